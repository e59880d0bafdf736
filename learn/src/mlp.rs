//! A fully connected ReLU network with a softmax cross-entropy head, trained by mini-batch SGD.
//!
//! All parameters live in one flat `Vec<f32>` (per layer: weights row-major `out × in`, then biases), so a
//! model update is just a vector difference — the object that is clipped, quantized, encrypted and proven.
//! The paper's model is 784-128-64-4 = 108,996 parameters (`Mlp::PAPER_SIZES`).

use super::data::Dataset;
use super::linalg::{axpy, dot};
use super::sample::standard_normal;
use super::split::shuffle;
use alloc::vec;
use alloc::vec::Vec;
use rand_core::Rng;

/// Hyper-parameters of one local training run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainConfig {
    /// Passes over the local data.
    pub epochs: usize,
    /// Mini-batch size.
    pub batch: usize,
    /// SGD learning rate.
    pub lr: f32,
}

/// A multilayer perceptron: layer sizes plus a flat parameter vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Mlp {
    sizes: Vec<usize>,
    params: Vec<f32>,
}

/// Errors building a model from given parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MlpError {
    /// Fewer than two layer sizes, or a zero-sized layer.
    BadShape,
    /// The parameter vector does not have `param_count(sizes)` entries.
    WrongLength {
        /// Entries required by the shape.
        expected: usize,
        /// Entries given.
        got: usize,
    },
}

impl core::error::Error for MlpError {}

impl core::fmt::Display for MlpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::BadShape => write!(f, "an MLP needs at least two non-empty layers"),
            Self::WrongLength { expected, got } => {
                write!(
                    f,
                    "parameter vector has {got} entries, the shape needs {expected}"
                )
            }
        }
    }
}

/// Number of parameters of an MLP with the given layer sizes.
pub fn param_count(sizes: &[usize]) -> usize {
    sizes.windows(2).map(|w| w[1] * w[0] + w[1]).sum()
}

impl Mlp {
    /// The paper's architecture: 784 inputs, hidden layers of 128 and 64, 4 classes.
    pub const PAPER_SIZES: [usize; 4] = [784, 128, 64, 4];

    /// A fresh model with He-normal weights (He et al., ICCV 2015: std √(2/fan_in), suited to ReLU)
    /// and zero biases.
    pub fn new<R: Rng + ?Sized>(sizes: &[usize], rng: &mut R) -> Result<Self, MlpError> {
        check_shape(sizes)?;
        let mut params = Vec::with_capacity(param_count(sizes));
        for w in sizes.windows(2) {
            let std = libm::sqrtf(2.0 / w[0] as f32);
            params.extend((0..w[0] * w[1]).map(|_| std * standard_normal(rng) as f32));
            params.extend(core::iter::repeat_n(0.0, w[1]));
        }
        Ok(Self {
            sizes: sizes.to_vec(),
            params,
        })
    }

    /// A model with the given shape and parameters.
    pub fn from_params(sizes: &[usize], params: Vec<f32>) -> Result<Self, MlpError> {
        check_shape(sizes)?;
        let expected = param_count(sizes);
        if params.len() != expected {
            return Err(MlpError::WrongLength {
                expected,
                got: params.len(),
            });
        }
        Ok(Self {
            sizes: sizes.to_vec(),
            params,
        })
    }

    /// Layer sizes, input first.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// The flat parameter vector.
    pub fn params(&self) -> &[f32] {
        &self.params
    }

    /// The flat parameter vector, mutable (FedAvg applies the aggregate here).
    pub fn params_mut(&mut self) -> &mut [f32] {
        &mut self.params
    }

    /// Runs `cfg.epochs` of mini-batch SGD over `data` (shuffled by `rng` each epoch); returns the mean
    /// training loss of the last epoch.
    pub fn train<R: Rng + ?Sized>(
        &mut self,
        data: &Dataset,
        cfg: &TrainConfig,
        rng: &mut R,
    ) -> f32 {
        let mut order: Vec<usize> = (0..data.len()).collect();
        let mut ws = Workspace::new(&self.sizes, cfg.batch.max(1));
        let mut grad = vec![0.0f32; self.params.len()];
        let mut last = 0.0;
        for _ in 0..cfg.epochs {
            shuffle(&mut order, rng);
            let (mut total, mut seen) = (0.0f32, 0usize);
            for chunk in order.chunks(cfg.batch.max(1)) {
                ws.load(data, chunk);
                let loss = self.loss_and_grad(&mut ws, &mut grad);
                axpy(-cfg.lr, &grad, &mut self.params);
                total += loss * chunk.len() as f32;
                seen += chunk.len();
            }
            last = if seen > 0 { total / seen as f32 } else { 0.0 };
        }
        last
    }

    /// Mean cross-entropy loss and accuracy over `data`.
    pub fn evaluate(&self, data: &Dataset) -> Evaluation {
        const BATCH: usize = 256;
        let mut ws = Workspace::new(&self.sizes, BATCH);
        let idx: Vec<usize> = (0..data.len()).collect();
        let (mut loss, mut correct) = (0.0f64, 0usize);
        for chunk in idx.chunks(BATCH) {
            ws.load(data, chunk);
            self.forward(&mut ws);
            let (l, c) = ws.loss_and_correct();
            loss += f64::from(l);
            correct += c;
        }
        let n = data.len().max(1) as f64;
        Evaluation {
            loss: (loss / n) as f32,
            accuracy: correct as f64 / n,
        }
    }

    /// Mean loss of the batch in `ws` and its gradient (overwrites `grad`).
    fn loss_and_grad(&self, ws: &mut Workspace, grad: &mut [f32]) -> f32 {
        self.forward(ws);
        let (loss, _) = ws.loss_and_correct();
        ws.output_delta();
        grad.fill(0.0);
        self.backward(ws, grad);
        loss / ws.batch as f32
    }

    fn forward(&self, ws: &mut Workspace) {
        let layers = self.sizes.len() - 1;
        let mut off = 0;
        for l in 0..layers {
            let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
            let w = &self.params[off..off + n_in * n_out];
            let b = &self.params[off + n_in * n_out..off + n_in * n_out + n_out];
            let (inputs, outputs) = ws.acts.split_at_mut(l + 1);
            let (x, y) = (&inputs[l], &mut outputs[0]);
            for (j, row) in w.chunks_exact(n_in).enumerate() {
                for s in 0..ws.batch {
                    y[s * n_out + j] = dot(&x[s * n_in..(s + 1) * n_in], row) + b[j];
                }
            }
            if l + 1 < layers {
                y[..ws.batch * n_out]
                    .iter_mut()
                    .for_each(|v| *v = v.max(0.0));
            }
            off += n_in * n_out + n_out;
        }
    }

    /// Back-propagation: `ws.delta` holds dLoss/dlogits on entry.
    fn backward(&self, ws: &mut Workspace, grad: &mut [f32]) {
        let layers = self.sizes.len() - 1;
        let mut off = self.params.len();
        for l in (0..layers).rev() {
            let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
            off -= n_in * n_out + n_out;
            let w = &self.params[off..off + n_in * n_out];
            let (gw, gb) = grad[off..off + n_in * n_out + n_out].split_at_mut(n_in * n_out);
            let x = &ws.acts[l];
            for (j, grow) in gw.chunks_exact_mut(n_in).enumerate() {
                for s in 0..ws.batch {
                    let d = ws.delta[s * n_out + j];
                    axpy(d, &x[s * n_in..(s + 1) * n_in], grow);
                    gb[j] += d;
                }
            }
            if l > 0 {
                ws.prev.fill(0.0);
                for s in 0..ws.batch {
                    let p = &mut ws.prev[s * n_in..(s + 1) * n_in];
                    for (j, row) in w.chunks_exact(n_in).enumerate() {
                        axpy(ws.delta[s * n_out + j], row, p);
                    }
                    // ReLU derivative: the activation is positive exactly where its input was.
                    for (pi, xi) in p.iter_mut().zip(&x[s * n_in..(s + 1) * n_in]) {
                        if *xi <= 0.0 {
                            *pi = 0.0;
                        }
                    }
                }
                core::mem::swap(&mut ws.delta, &mut ws.prev);
            }
        }
    }
}

fn check_shape(sizes: &[usize]) -> Result<(), MlpError> {
    if sizes.len() < 2 || sizes.contains(&0) {
        return Err(MlpError::BadShape);
    }
    Ok(())
}

/// Loss and accuracy of a model on a data set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Evaluation {
    /// Mean cross-entropy.
    pub loss: f32,
    /// Fraction classified correctly, in [0, 1].
    pub accuracy: f64,
}

/// Reusable buffers for one mini-batch: activations of every layer, labels, and two delta buffers.
struct Workspace {
    sizes: Vec<usize>,
    batch: usize,
    labels: Vec<u8>,
    acts: Vec<Vec<f32>>,
    delta: Vec<f32>,
    prev: Vec<f32>,
}

impl Workspace {
    fn new(sizes: &[usize], max_batch: usize) -> Self {
        let widest = sizes.iter().copied().max().unwrap_or(0);
        Self {
            sizes: sizes.to_vec(),
            batch: 0,
            labels: Vec::with_capacity(max_batch),
            acts: sizes.iter().map(|&n| vec![0.0; n * max_batch]).collect(),
            delta: vec![0.0; widest * max_batch],
            prev: vec![0.0; widest * max_batch],
        }
    }

    fn load(&mut self, data: &Dataset, idx: &[usize]) {
        self.batch = idx.len();
        self.labels.clear();
        let f = data.features;
        for (s, &i) in idx.iter().enumerate() {
            self.acts[0][s * f..(s + 1) * f].copy_from_slice(data.sample(i));
            self.labels.push(data.y[i]);
        }
    }

    fn classes(&self) -> usize {
        self.sizes[self.sizes.len() - 1]
    }

    /// Summed cross-entropy of the batch and the number of correct arg-max predictions. Leaves the
    /// softmax probabilities in place of the logits (used by `output_delta`).
    fn loss_and_correct(&mut self) -> (f32, usize) {
        let k = self.classes();
        let out = self.acts.len() - 1;
        let (mut loss, mut correct) = (0.0f32, 0usize);
        for s in 0..self.batch {
            let z = &mut self.acts[out][s * k..(s + 1) * k];
            let label = usize::from(self.labels[s]);
            let (mut best, mut max) = (0usize, f32::NEG_INFINITY);
            for (c, &v) in z.iter().enumerate() {
                if v > max {
                    (best, max) = (c, v);
                }
            }
            correct += usize::from(best == label);
            let sum: f32 = z.iter().map(|v| libm::expf(v - max)).sum();
            let log_sum = libm::logf(sum) + max;
            loss += log_sum - z.get(label).copied().unwrap_or(0.0);
            z.iter_mut().for_each(|v| *v = libm::expf(*v - log_sum));
        }
        (loss, correct)
    }

    /// dLoss/dlogits for the mean loss: (softmax − one-hot) / batch.
    fn output_delta(&mut self) {
        let k = self.classes();
        let out = self.acts.len() - 1;
        let inv = 1.0 / self.batch as f32;
        for s in 0..self.batch {
            for c in 0..k {
                let onehot = if usize::from(self.labels[s]) == c {
                    1.0
                } else {
                    0.0
                };
                self.delta[s * k + c] = (self.acts[out][s * k + c] - onehot) * inv;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{SyntheticSpec, generate};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn tiny_data(n: usize, seed: u64) -> Dataset {
        let spec = SyntheticSpec {
            classes: 3,
            side: 3,
            train: n,
            test: 1,
            separation: 1.0,
            correlation: 0.5,
        };
        generate(&spec, &mut ChaCha20Rng::seed_from_u64(seed)).train
    }

    fn batch_loss(m: &Mlp, d: &Dataset) -> f32 {
        let mut ws = Workspace::new(m.sizes(), d.len());
        let idx: Vec<usize> = (0..d.len()).collect();
        ws.load(d, &idx);
        m.forward(&mut ws);
        ws.loss_and_correct().0 / d.len() as f32
    }

    #[test]
    fn paper_model_has_108996_parameters() {
        let m = Mlp::new(&Mlp::PAPER_SIZES, &mut ChaCha20Rng::seed_from_u64(0)).unwrap();
        assert_eq!(m.params().len(), 108_996);
        assert_eq!(param_count(&Mlp::PAPER_SIZES), 108_996);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let d = tiny_data(8, 1);
        let m = Mlp::new(&[9, 7, 5, 3], &mut ChaCha20Rng::seed_from_u64(2)).unwrap();
        let mut ws = Workspace::new(m.sizes(), d.len());
        let idx: Vec<usize> = (0..d.len()).collect();
        ws.load(&d, &idx);
        let mut grad = vec![0.0; m.params().len()];
        m.loss_and_grad(&mut ws, &mut grad);
        let eps = 1e-3f32;
        let mut worst = 0.0f32;
        for (i, &g) in grad.iter().enumerate() {
            let (mut plus, mut minus) = (m.clone(), m.clone());
            plus.params[i] += eps;
            minus.params[i] -= eps;
            let numeric = (batch_loss(&plus, &d) - batch_loss(&minus, &d)) / (2.0 * eps);
            let err = (numeric - g).abs() / (1e-2 + numeric.abs().max(g.abs()));
            worst = worst.max(err);
        }
        assert!(worst < 0.05, "worst relative gradient error {worst}");
    }

    #[test]
    fn a_wrong_gradient_is_caught_by_the_check() {
        // The check above must be able to fail: perturb one bias gradient and compare again.
        let d = tiny_data(8, 1);
        let m = Mlp::new(&[9, 7, 5, 3], &mut ChaCha20Rng::seed_from_u64(2)).unwrap();
        let mut ws = Workspace::new(m.sizes(), d.len());
        ws.load(&d, &(0..d.len()).collect::<Vec<_>>());
        let mut grad = vec![0.0; m.params().len()];
        m.loss_and_grad(&mut ws, &mut grad);
        let i = m.params().len() - 1;
        let mut plus = m.clone();
        plus.params[i] += 1e-3;
        let numeric = (batch_loss(&plus, &d) - batch_loss(&m, &d)) / 1e-3;
        assert!((numeric - (grad[i] + 0.1)).abs() > 0.05);
    }

    #[test]
    fn training_reduces_loss_and_beats_chance() {
        let spec = SyntheticSpec {
            train: 1500,
            test: 500,
            ..SyntheticSpec::PAPER
        };
        let s = generate(&spec, &mut ChaCha20Rng::seed_from_u64(5));
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let mut m = Mlp::new(&Mlp::PAPER_SIZES, &mut rng).unwrap();
        let before = m.evaluate(&s.test);
        let cfg = TrainConfig {
            epochs: 3,
            batch: 32,
            lr: 0.05,
        };
        m.train(&s.train, &cfg, &mut rng);
        let after = m.evaluate(&s.test);
        assert!(after.loss < before.loss, "{before:?} -> {after:?}");
        assert!(after.accuracy > 0.6, "{after:?}");
    }

    #[test]
    fn from_params_checks_shape_and_length() {
        assert_eq!(Mlp::from_params(&[3], vec![]), Err(MlpError::BadShape));
        assert_eq!(
            Mlp::from_params(&[3, 0, 2], vec![]),
            Err(MlpError::BadShape)
        );
        assert_eq!(
            Mlp::from_params(&[3, 2], vec![0.0; 7]),
            Err(MlpError::WrongLength {
                expected: 8,
                got: 7
            })
        );
        assert!(Mlp::from_params(&[3, 2], vec![0.0; 8]).is_ok());
    }
}
