//! Random variates for the synthetic data: uniform, standard normal, Gamma and Dirichlet, written over any
//! `rand_core::Rng` so the same seed gives the same data on every target (wasm, MCU, native).
//!
//! These samplers are for *simulation data only*; they are not constant time and must never draw secrets
//! (the lattice samplers live in `ring`).

use rand_core::Rng;

/// A uniform double in the open interval (0, 1): 53 random bits, offset by half an ulp so 0 never occurs
/// (the normal and Gamma samplers take logarithms).
pub fn uniform_open01<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let bits = rng.next_u64() >> 11;
    (bits as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// One standard normal variate by the Box–Muller transform (Box & Muller, Ann. Math. Stat. 1958). The
/// second variate of the pair is dropped so the stream position depends only on the number of calls.
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let u1 = uniform_open01(rng);
    let u2 = uniform_open01(rng);
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(core::f64::consts::TAU * u2)
}

/// Fills `out` with independent standard normals, using both variates of each Box–Muller pair (twice as
/// fast as calling `standard_normal` per entry; the data generator draws millions).
pub fn fill_standard_normal<R: Rng + ?Sized>(rng: &mut R, out: &mut [f32]) {
    for pair in out.chunks_mut(2) {
        let u1 = uniform_open01(rng);
        let u2 = uniform_open01(rng);
        let r = libm::sqrt(-2.0 * libm::log(u1));
        let (s, c) = libm::sincos(core::f64::consts::TAU * u2);
        pair[0] = (r * c) as f32;
        if let Some(second) = pair.get_mut(1) {
            *second = (r * s) as f32;
        }
    }
}

/// One Gamma(shape, 1) variate by Marsaglia & Tsang (ACM TOMS 26(3), 2000). For shape < 1 it uses the
/// boost Gamma(a) = Gamma(a+1) · U^(1/a) from the same paper, §6. Returns 0 for non-positive or NaN shape.
pub fn gamma<R: Rng + ?Sized>(rng: &mut R, shape: f64) -> f64 {
    if shape.is_nan() || shape <= 0.0 {
        return 0.0;
    }
    if shape < 1.0 {
        let boost = libm::pow(uniform_open01(rng), 1.0 / shape);
        return gamma(rng, shape + 1.0) * boost;
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / libm::sqrt(9.0 * d);
    loop {
        let x = standard_normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = uniform_open01(rng);
        // Squeeze test first (cheap), then the exact log test.
        if u < 1.0 - 0.0331 * x * x * x * x
            || libm::log(u) < 0.5 * x * x + d * (1.0 - v + libm::log(v))
        {
            return d * v;
        }
    }
}

/// Fills `out` with one Dirichlet(alpha, …, alpha) draw: independent Gamma(alpha) variates normalised to sum
/// to one. If every Gamma draw underflows to zero (possible for tiny alpha) the uniform vector is returned.
pub fn dirichlet<R: Rng + ?Sized>(rng: &mut R, alpha: f64, out: &mut [f64]) {
    for p in out.iter_mut() {
        *p = gamma(rng, alpha);
    }
    let total: f64 = out.iter().sum();
    let n = out.len() as f64;
    for p in out.iter_mut() {
        *p = if total > 0.0 { *p / total } else { 1.0 / n };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn moments(xs: impl Iterator<Item = f64>) -> (f64, f64) {
        let v: alloc::vec::Vec<f64> = xs.collect();
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0);
        (mean, var)
    }

    #[test]
    fn normal_has_unit_moments() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let (m, v) = moments((0..100_000).map(|_| standard_normal(&mut rng)));
        assert!(m.abs() < 0.02, "mean {m}");
        assert!((v - 1.0).abs() < 0.02, "var {v}");
    }

    #[test]
    fn filled_normals_have_unit_moments() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let mut v = alloc::vec![0.0f32; 100_001];
        fill_standard_normal(&mut rng, &mut v);
        let (m, var) = moments(v.iter().map(|x| f64::from(*x)));
        assert!(m.abs() < 0.02, "mean {m}");
        assert!((var - 1.0).abs() < 0.02, "var {var}");
    }

    #[test]
    fn gamma_mean_and_variance_equal_shape() {
        for &a in &[0.3, 0.5, 1.0, 2.5, 9.0] {
            let mut rng = ChaCha20Rng::seed_from_u64(2);
            let (m, v) = moments((0..100_000).map(|_| gamma(&mut rng, a)));
            assert!((m - a).abs() < 0.03 * a.max(1.0), "shape {a}: mean {m}");
            assert!((v - a).abs() < 0.08 * a.max(1.0), "shape {a}: var {v}");
        }
    }

    #[test]
    fn dirichlet_sums_to_one_with_right_mean() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let mut acc = [0.0f64; 5];
        let mut p = [0.0f64; 5];
        for _ in 0..20_000 {
            dirichlet(&mut rng, 0.5, &mut p);
            assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(p.iter().all(|&x| (0.0..=1.0).contains(&x)));
            acc.iter_mut().zip(p).for_each(|(a, x)| *a += x);
        }
        for a in acc {
            assert!(
                (a / 20_000.0 - 0.2).abs() < 0.01,
                "component mean {}",
                a / 20_000.0
            );
        }
    }

    #[test]
    fn invalid_shape_gives_zero() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        assert_eq!(gamma(&mut rng, 0.0), 0.0);
        assert_eq!(gamma(&mut rng, -1.0), 0.0);
        assert_eq!(gamma(&mut rng, f64::NAN), 0.0);
    }
}
