//! Non-IID partition of a data set among clinics by a per-class Dirichlet draw (Hsu, Qi & Brown,
//! "Measuring the effects of non-identical data distribution for federated visual classification", 2019):
//! for each class, proportions p ~ Dir(α·1) say which share of that class each clinic receives.

use super::data::Dataset;
use super::sample::dirichlet;
use alloc::vec;
use alloc::vec::Vec;
use rand_core::Rng;

/// How many times a split is redrawn to give every clinic at least `min_per_clinic` samples.
const MAX_ATTEMPTS: usize = 100;

/// Errors of the split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitError {
    /// No clinics requested.
    NoClinics,
    /// Not even `MAX_ATTEMPTS` redraws gave every clinic enough samples (too little data or too many clinics).
    TooFewSamples,
}

impl core::fmt::Display for SplitError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoClinics => write!(f, "cannot split data among zero clinics"),
            Self::TooFewSamples => write!(
                f,
                "could not give every clinic the minimum number of samples; use more data or fewer clinics"
            ),
        }
    }
}

/// Splits sample indices of `data` among `clinics` clinics; every clinic gets at least `min_per_clinic`.
/// Returns one index list per clinic; together they cover every sample exactly once.
pub fn dirichlet_split<R: Rng + ?Sized>(
    data: &Dataset,
    clinics: usize,
    alpha: f64,
    min_per_clinic: usize,
    rng: &mut R,
) -> Result<Vec<Vec<usize>>, SplitError> {
    if clinics == 0 {
        return Err(SplitError::NoClinics);
    }
    for _ in 0..MAX_ATTEMPTS {
        let parts = draw_once(data, clinics, alpha, rng);
        if parts.iter().all(|p| p.len() >= min_per_clinic) {
            return Ok(parts);
        }
    }
    Err(SplitError::TooFewSamples)
}

fn draw_once<R: Rng + ?Sized>(
    data: &Dataset,
    clinics: usize,
    alpha: f64,
    rng: &mut R,
) -> Vec<Vec<usize>> {
    let mut parts = vec![Vec::new(); clinics];
    let mut p = vec![0.0f64; clinics];
    for class in 0..data.classes {
        let mut idx: Vec<usize> = (0..data.len())
            .filter(|&i| usize::from(data.y[i]) == class)
            .collect();
        shuffle(&mut idx, rng);
        dirichlet(rng, alpha, &mut p);
        let n = idx.len();
        let mut start = 0usize;
        let mut cum = 0.0f64;
        for (k, part) in parts.iter_mut().enumerate() {
            cum += p[k];
            let end = if k + 1 == clinics {
                n
            } else {
                ((cum * n as f64) as usize).min(n)
            };
            part.extend_from_slice(&idx[start..end.max(start)]);
            start = end.max(start);
        }
    }
    parts
}

/// Fisher–Yates shuffle with a bias-free bounded draw (Lemire's multiply-and-reject).
pub fn shuffle<T, R: Rng + ?Sized>(v: &mut [T], rng: &mut R) {
    for i in (1..v.len()).rev() {
        let j = bounded(rng, (i + 1) as u64) as usize;
        v.swap(i, j);
    }
}

fn bounded<R: Rng + ?Sized>(rng: &mut R, n: u64) -> u64 {
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = u128::from(rng.next_u64()) * u128::from(n);
        if (m as u64) >= threshold {
            return (m >> 64) as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{SyntheticSpec, generate};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn data() -> Dataset {
        let spec = SyntheticSpec {
            train: 2000,
            test: 10,
            ..SyntheticSpec::PAPER
        };
        generate(&spec, &mut ChaCha20Rng::seed_from_u64(11)).train
    }

    #[test]
    fn partition_covers_every_sample_once() {
        let d = data();
        let parts = dirichlet_split(&d, 5, 0.5, 20, &mut ChaCha20Rng::seed_from_u64(1)).unwrap();
        let mut all: Vec<usize> = parts.concat();
        all.sort_unstable();
        assert_eq!(all, (0..d.len()).collect::<Vec<_>>());
        assert!(parts.iter().all(|p| p.len() >= 20));
    }

    #[test]
    fn small_alpha_is_skewed_large_alpha_is_balanced() {
        let d = data();
        let skew = |alpha: f64| {
            let parts =
                dirichlet_split(&d, 5, alpha, 1, &mut ChaCha20Rng::seed_from_u64(2)).unwrap();
            // Mean over clinics of the largest class share.
            parts
                .iter()
                .map(|p| {
                    let c = d.subset(p).class_counts();
                    *c.iter().max().unwrap() as f64 / p.len() as f64
                })
                .sum::<f64>()
                / 5.0
        };
        let (non_iid, iid) = (skew(0.5), skew(1000.0));
        assert!(non_iid > 0.45, "alpha 0.5 max share {non_iid}");
        assert!(iid < 0.30, "alpha 1000 max share {iid}");
    }

    #[test]
    fn zero_clinics_and_impossible_minimum_are_errors() {
        let d = data();
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        assert_eq!(
            dirichlet_split(&d, 0, 0.5, 1, &mut rng),
            Err(SplitError::NoClinics)
        );
        assert_eq!(
            dirichlet_split(&d, 5, 0.5, 1000, &mut rng),
            Err(SplitError::TooFewSamples)
        );
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut v: Vec<u32> = (0..1000).collect();
        shuffle(&mut v, &mut ChaCha20Rng::seed_from_u64(4));
        assert_ne!(v, (0..1000).collect::<Vec<_>>());
        v.sort_unstable();
        assert_eq!(v, (0..1000).collect::<Vec<_>>());
    }
}
