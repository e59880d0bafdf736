//! The two vector kernels the MLP spends its time in. Written with eight independent accumulators so the
//! compiler can vectorise them (a single running f32 sum cannot be reordered), and without FMA
//! contraction, so native, wasm and MCU builds produce bit-identical results from the same inputs.

/// Lanes of the unrolled kernels (one AVX register of f32, two SSE/NEON/wasm-simd registers).
const LANES: usize = 8;

/// Σ a[i]·b[i] over the common length.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..LANES {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// y[i] += alpha·x[i] over the common length.
pub fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn dot_matches_f64_reference(v in proptest::collection::vec((-4.0f32..4.0, -4.0f32..4.0), 0..100)) {
            let (a, b): (alloc::vec::Vec<f32>, alloc::vec::Vec<f32>) = v.into_iter().unzip();
            let exact: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
            prop_assert!((f64::from(dot(&a, &b)) - exact).abs() < 1e-3);
        }

        #[test]
        fn axpy_matches_scalar_loop(alpha in -3.0f32..3.0, v in proptest::collection::vec((-4.0f32..4.0, -4.0f32..4.0), 0..50)) {
            let (x, mut y): (alloc::vec::Vec<f32>, alloc::vec::Vec<f32>) = v.into_iter().unzip();
            let expect: alloc::vec::Vec<f32> = x.iter().zip(&y).map(|(a, b)| b + alpha * a).collect();
            axpy(alpha, &x, &mut y);
            prop_assert_eq!(y, expect);
        }
    }
}
