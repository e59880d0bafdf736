//! Federated averaging in plain f32 (McMahan et al., AISTATS 2017), unweighted as in the encrypted
//! pipeline: the aggregator only sees a sum of accepted updates and their count, so every configuration
//! of the demo averages the same way and the comparison isolates the effect of the defence.

use alloc::vec;
use alloc::vec::Vec;

/// The update a clinic sends: its locally trained parameters minus the global parameters.
pub fn model_delta(local: &[f32], global: &[f32]) -> Vec<f32> {
    local.iter().zip(global).map(|(l, g)| l - g).collect()
}

/// Element-wise mean of the updates (all of length `len`); `None` if there are none.
pub fn mean_update<'a>(
    updates: impl IntoIterator<Item = &'a [f32]>,
    len: usize,
) -> Option<Vec<f32>> {
    let mut sum = vec![0.0f64; len];
    let mut count = 0usize;
    for u in updates {
        for (s, v) in sum.iter_mut().zip(u) {
            *s += f64::from(*v);
        }
        count += 1;
    }
    (count > 0).then(|| sum.iter().map(|s| (s / count as f64) as f32).collect())
}

/// w ← w + mean.
pub fn apply_update(global: &mut [f32], mean: &[f32]) {
    global.iter_mut().zip(mean).for_each(|(g, m)| *g += m);
}

/// Euclidean norm, accumulated in f64.
pub fn l2_norm(v: &[f32]) -> f64 {
    libm::sqrt(v.iter().map(|x| f64::from(*x) * f64::from(*x)).sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_of_two_updates() {
        let a = [1.0f32, 2.0, 3.0];
        let b = [3.0f32, 0.0, -3.0];
        let m = mean_update([&a[..], &b[..]], 3).unwrap();
        assert_eq!(m, vec![2.0, 1.0, 0.0]);
        assert_eq!(mean_update(core::iter::empty(), 3), None);
    }

    #[test]
    fn delta_then_apply_round_trips() {
        let g = [0.5f32, -1.0];
        let l = [1.5f32, 1.0];
        let d = model_delta(&l, &g);
        let mut w = g;
        apply_update(&mut w, &d);
        assert_eq!(w, l);
        assert!((l2_norm(&d) - 5f64.sqrt()).abs() < 1e-12);
    }
}
