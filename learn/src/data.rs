//! Synthetic "medical imaging" data as in the paper's experiment: each class has a mean image, every sample
//! is its class mean plus spatially correlated Gaussian noise. Deterministic from the caller's RNG.
//!
//! A class mean is a smooth random field (white noise blurred twice, scaled to unit RMS) times
//! `separation`; the noise mixes white noise with blurred noise (`correlation` of its variance), so
//! neighbouring pixels are correlated like texture in a scan and the task is not linearly trivial.

use super::sample::fill_standard_normal;
use alloc::vec;
use alloc::vec::Vec;
use rand_core::Rng;

/// Shape and difficulty of a synthetic data set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SyntheticSpec {
    /// Number of classes (the paper: 4).
    pub classes: usize,
    /// Image side; features = side² (the paper: 28 → 784).
    pub side: usize,
    /// Training samples (shared out among clinics by `split::dirichlet_split`).
    pub train: usize,
    /// Held-out test samples.
    pub test: usize,
    /// RMS amplitude of each class mean relative to the unit noise standard deviation.
    pub separation: f32,
    /// Fraction of the noise variance that is spatially correlated (0 = white, 1 = fully blurred).
    pub correlation: f32,
}

impl SyntheticSpec {
    /// The paper's shape: 4 classes of 28×28 "scans", 6,000 training and 1,000 test samples.
    pub const PAPER: Self = Self {
        classes: 4,
        side: 28,
        train: 6000,
        test: 1000,
        separation: 0.35,
        correlation: 0.7,
    };

    /// Number of input features.
    pub fn features(&self) -> usize {
        self.side * self.side
    }
}

/// A labelled data set, row-major: sample `i` is `x[i*features..(i+1)*features]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dataset {
    /// Features per sample.
    pub features: usize,
    /// Number of classes (labels are in `0..classes`).
    pub classes: usize,
    /// Feature matrix, one row per sample.
    pub x: Vec<f32>,
    /// Labels.
    pub y: Vec<u8>,
}

impl Dataset {
    /// Number of samples.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// True if there are no samples.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Features of sample `i`.
    pub fn sample(&self, i: usize) -> &[f32] {
        &self.x[i * self.features..(i + 1) * self.features]
    }

    /// A new data set holding the given samples, in the given order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let mut x = Vec::with_capacity(indices.len() * self.features);
        for &i in indices {
            x.extend_from_slice(self.sample(i));
        }
        Dataset {
            features: self.features,
            classes: self.classes,
            x,
            y: indices.iter().map(|&i| self.y[i]).collect(),
        }
    }

    /// Number of samples of each class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.classes];
        for &y in &self.y {
            c[usize::from(y)] += 1;
        }
        c
    }
}

/// A training set and a held-out test set drawn from the same class means.
#[derive(Clone, Debug)]
pub struct Synthetic {
    /// Training samples (to be split among clinics).
    pub train: Dataset,
    /// Held-out test samples (used only by the evaluator).
    pub test: Dataset,
}

/// Draws class means, then the training and test samples (labels uniform over classes).
pub fn generate<R: Rng + ?Sized>(spec: &SyntheticSpec, rng: &mut R) -> Synthetic {
    let means: Vec<Vec<f32>> = (0..spec.classes).map(|_| class_mean(spec, rng)).collect();
    let train = draw_samples(spec, &means, spec.train, rng);
    let test = draw_samples(spec, &means, spec.test, rng);
    Synthetic { train, test }
}

fn class_mean<R: Rng + ?Sized>(spec: &SyntheticSpec, rng: &mut R) -> Vec<f32> {
    let mut field = white(spec.features(), rng);
    field = blur(&blur(&field, spec.side), spec.side);
    let rms = libm::sqrtf(field.iter().map(|v| v * v).sum::<f32>() / field.len() as f32);
    let scale = if rms > 0.0 {
        spec.separation / rms
    } else {
        0.0
    };
    field.iter_mut().for_each(|v| *v *= scale);
    field
}

fn draw_samples<R: Rng + ?Sized>(
    spec: &SyntheticSpec,
    means: &[Vec<f32>],
    n: usize,
    rng: &mut R,
) -> Dataset {
    let f = spec.features();
    let (w_white, w_blur) = (
        libm::sqrtf(1.0 - spec.correlation.clamp(0.0, 1.0)),
        libm::sqrtf(spec.correlation.clamp(0.0, 1.0)),
    );
    let mut x = Vec::with_capacity(n * f);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let label = (rng.next_u32() as usize) % spec.classes;
        let white_part = white(f, rng);
        let blurred = normalized_blur(&white(f, rng), spec.side);
        for i in 0..f {
            x.push(means[label][i] + w_white * white_part[i] + w_blur * blurred[i]);
        }
        y.push(label as u8);
    }
    Dataset {
        features: f,
        classes: spec.classes,
        x,
        y,
    }
}

fn white<R: Rng + ?Sized>(n: usize, rng: &mut R) -> Vec<f32> {
    let mut v = vec![0.0f32; n];
    fill_standard_normal(rng, &mut v);
    v
}

/// Half-width of the box blur (a 5×5 box).
const BLUR_RADIUS: usize = 2;

/// Separable box blur on a `side`×`side` torus (wrap-around keeps the noise stationary, so every pixel
/// has the same variance).
fn blur(img: &[f32], side: usize) -> Vec<f32> {
    let width = (2 * BLUR_RADIUS + 1) as f32;
    let mut rows = vec![0.0f32; img.len()];
    let mut out = vec![0.0f32; img.len()];
    for r in 0..side {
        for c in 0..side {
            let s: f32 = (0..=2 * BLUR_RADIUS)
                .map(|k| img[r * side + (c + side + k - BLUR_RADIUS) % side])
                .sum();
            rows[r * side + c] = s / width;
        }
    }
    for r in 0..side {
        for c in 0..side {
            let s: f32 = (0..=2 * BLUR_RADIUS)
                .map(|k| rows[((r + side + k - BLUR_RADIUS) % side) * side + c])
                .sum();
            out[r * side + c] = s / width;
        }
    }
    out
}

/// Blur of white noise rescaled to unit variance: a box of width w averages w² independent unit normals,
/// so the variance is 1/w² and the factor is w.
fn normalized_blur(img: &[f32], side: usize) -> Vec<f32> {
    let width = (2 * BLUR_RADIUS + 1) as f32;
    let mut b = blur(img, side);
    b.iter_mut().for_each(|v| *v *= width);
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn small() -> SyntheticSpec {
        SyntheticSpec {
            train: 800,
            test: 200,
            ..SyntheticSpec::PAPER
        }
    }

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let a = generate(&small(), &mut ChaCha20Rng::seed_from_u64(7));
        let b = generate(&small(), &mut ChaCha20Rng::seed_from_u64(7));
        let c = generate(&small(), &mut ChaCha20Rng::seed_from_u64(8));
        assert_eq!(a.train, b.train);
        assert_eq!(a.test, b.test);
        assert_ne!(a.train.x, c.train.x);
    }

    #[test]
    fn shapes_and_labels() {
        let s = generate(&small(), &mut ChaCha20Rng::seed_from_u64(1));
        assert_eq!(s.train.len(), 800);
        assert_eq!(s.test.len(), 200);
        assert_eq!(s.train.x.len(), 800 * 784);
        let counts = s.train.class_counts();
        assert_eq!(counts.len(), 4);
        assert!(counts.iter().all(|&c| c > 150), "{counts:?}");
    }

    #[test]
    fn noise_is_unit_variance_and_neighbours_correlate() {
        let spec = SyntheticSpec {
            separation: 0.0,
            ..small()
        };
        let s = generate(&spec, &mut ChaCha20Rng::seed_from_u64(2));
        let x = &s.train.x;
        let var = x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32;
        assert!((var - 1.0).abs() < 0.03, "variance {var}");
        // Horizontal neighbours: correlation ≈ 0.7 · (4/5) from the shared box columns.
        let mut cov = 0.0f32;
        let mut n = 0.0f32;
        for i in 0..s.train.len() {
            let row = s.train.sample(i);
            for p in 0..783 {
                if p % 28 != 27 {
                    cov += row[p] * row[p + 1];
                    n += 1.0;
                }
            }
        }
        let corr = cov / n;
        assert!((corr - 0.56).abs() < 0.03, "neighbour correlation {corr}");
    }

    #[test]
    fn subset_picks_rows() {
        let s = generate(&small(), &mut ChaCha20Rng::seed_from_u64(3));
        let sub = s.train.subset(&[5, 2]);
        assert_eq!(sub.len(), 2);
        assert_eq!(sub.sample(0), s.train.sample(5));
        assert_eq!(sub.y[1], s.train.y[2]);
    }
}
