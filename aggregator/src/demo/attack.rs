//! Malicious updates (the threat model's "large-norm or random updates").

use super::scenario::AttackKind;
use rand_core::Rng;
use zkfl_learn::sample::fill_standard_normal;

/// The update a malicious clinic sends, given what its honest update would have been.
pub fn malicious_update<R: Rng + ?Sized>(
    kind: AttackKind,
    honest: &[f32],
    rng: &mut R,
) -> Vec<f32> {
    match kind {
        AttackKind::Noise { sigma } => {
            let mut v = vec![0.0f32; honest.len()];
            fill_standard_normal(rng, &mut v);
            v.iter_mut().for_each(|x| *x *= sigma);
            v
        }
        AttackKind::Scaled { factor } => honest.iter().map(|x| x * factor).collect(),
        AttackKind::SignFlip => honest.iter().map(|x| -x).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use zkfl_learn::l2_norm;

    #[test]
    fn noise_has_the_expected_norm() {
        let honest = vec![0.0f32; 100_000];
        let v = malicious_update(
            AttackKind::Noise { sigma: 50.0 },
            &honest,
            &mut ChaCha20Rng::seed_from_u64(1),
        );
        let expected = 50.0 * (100_000f64).sqrt();
        assert!((l2_norm(&v) / expected - 1.0).abs() < 0.01);
    }

    #[test]
    fn scaled_and_flipped() {
        let h = [1.0f32, -2.0];
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        assert_eq!(
            malicious_update(AttackKind::Scaled { factor: 10.0 }, &h, &mut rng),
            vec![10.0, -20.0]
        );
        assert_eq!(
            malicious_update(AttackKind::SignFlip, &h, &mut rng),
            vec![-1.0, 2.0]
        );
    }
}
