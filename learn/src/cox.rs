//! Linear Cox proportional-hazards model (Cox 1972), the model of the Fed-TCGA-BRCA benchmark: the hazard
//! of patient i is h₀(t)·exp(wᵀxᵢ) with one weight per feature and no bias (a bias cancels in the partial
//! likelihood). Trained by mini-batch gradient descent on the negative log partial likelihood with
//! Breslow's handling of tied times, averaged over the batch's patients as FLamby's `BaselineLoss` does, so
//! the learning rate means the same for every batch size.
//!
//! Risks and sums are accumulated in f64 relative to the largest risk in the risk set so far, so a diverging
//! weight vector gives a large but finite loss instead of NaN for as long as the risks themselves are finite.

use super::mlp::TrainConfig;
use super::split::shuffle;
use alloc::vec;
use alloc::vec::Vec;
use rand_core::Rng;

/// Local training per round of the Fed-TCGA-BRCA benchmark (`zkfl demo --dataset fed-tcga-brca`) and the
/// default of `zkfl clinic` for a Cox round: one epoch of mini-batch gradient descent, batch 16, learning
/// rate 0.1 (the honest update norms these give are what τ = 0.3 was chosen for, docs/DEMO.md).
pub const TRAIN: TrainConfig = TrainConfig {
    epochs: 1,
    batch: 16,
    lr: 0.1,
};

/// Survival data: a row-major feature matrix, follow-up times and event indicators.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SurvivalSet {
    /// Features per patient.
    pub features: usize,
    /// `len() × features` values, row-major.
    pub x: Vec<f32>,
    /// Follow-up time (days).
    pub time: Vec<f32>,
    /// True if the event (death) was observed at `time`, false if censored there.
    pub event: Vec<bool>,
}

impl SurvivalSet {
    /// An empty set with `features` columns.
    pub fn new(features: usize) -> Self {
        Self {
            features,
            ..Self::default()
        }
    }

    /// Appends one patient (`x.len()` must be `features`).
    pub fn push(&mut self, x: &[f32], time: f32, event: bool) {
        debug_assert_eq!(x.len(), self.features);
        self.x.extend_from_slice(x);
        self.time.push(time);
        self.event.push(event);
    }

    /// Patients.
    pub fn len(&self) -> usize {
        self.time.len()
    }

    /// True if there are no patients.
    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Features of patient `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.x[i * self.features..(i + 1) * self.features]
    }

    /// Observed events.
    pub fn events(&self) -> usize {
        self.event.iter().filter(|&&e| e).count()
    }

    /// Appends every patient of `other` (same feature count).
    pub fn extend(&mut self, other: &SurvivalSet) {
        debug_assert_eq!(other.features, self.features);
        self.x.extend_from_slice(&other.x);
        self.time.extend_from_slice(&other.time);
        self.event.extend_from_slice(&other.event);
    }
}

/// Risk score wᵀx (the log relative hazard), in f64.
pub fn risk(w: &[f32], x: &[f32]) -> f64 {
    w.iter()
        .zip(x)
        .map(|(a, b)| f64::from(*a) * f64::from(*b))
        .sum()
}

/// Risk scores of every patient.
pub fn risks(w: &[f32], data: &SurvivalSet) -> Vec<f64> {
    (0..data.len()).map(|i| risk(w, data.row(i))).collect()
}

/// Negative log partial likelihood (Breslow ties) of the patients `batch`, divided by `batch.len()`, and
/// its gradient in `grad` (overwritten; length = features):
///
/// L(w) = (1/n) Σ_{i ∈ batch, event} [ log Σ_{j ∈ batch, Tⱼ ≥ Tᵢ} exp(rⱼ) − rᵢ ],   rᵢ = wᵀxᵢ,
///
/// ∇L = (1/n) Σ_{i event} [ Σ_{j: Tⱼ ≥ Tᵢ} exp(rⱼ) xⱼ / Σ_{j: Tⱼ ≥ Tᵢ} exp(rⱼ) − xᵢ ].
///
/// Computed in O(n log n + n·d) by sweeping the patients from the latest time down, adding each group of
/// tied times to the risk-set sums before the group's events are scored.
pub fn loss_and_grad(w: &[f32], data: &SurvivalSet, batch: &[usize], grad: &mut [f64]) -> f64 {
    let d = data.features;
    grad.iter_mut().for_each(|g| *g = 0.0);
    if batch.is_empty() {
        return 0.0;
    }
    let mut order = batch.to_vec();
    order.sort_by(|&a, &b| data.time[b].total_cmp(&data.time[a]));
    let r: Vec<f64> = order.iter().map(|&i| risk(w, data.row(i))).collect();
    // Risk-set sums relative to exp(shift), shift = the largest risk added so far: s0 ≥ 1 once non-empty.
    let mut shift = f64::NEG_INFINITY;
    let mut s0 = 0.0f64;
    let mut s1 = vec![0.0f64; d];
    let mut loss = 0.0f64;
    let mut start = 0;
    while start < order.len() {
        let t = data.time[order[start]];
        let end = start
            + order[start..]
                .iter()
                .take_while(|&&i| data.time[i] == t)
                .count();
        for k in start..end {
            if r[k] > shift {
                let rescale = libm::exp(shift - r[k]);
                s0 *= rescale;
                s1.iter_mut().for_each(|s| *s *= rescale);
                shift = r[k];
            }
            let e = libm::exp(r[k] - shift);
            s0 += e;
            for (s, x) in s1.iter_mut().zip(data.row(order[k])) {
                *s += e * f64::from(*x);
            }
        }
        for k in (start..end).filter(|&k| data.event[order[k]]) {
            loss += libm::log(s0) + shift - r[k];
            for ((g, s), x) in grad.iter_mut().zip(&s1).zip(data.row(order[k])) {
                *g += s / s0 - f64::from(*x);
            }
        }
        start = end;
    }
    let n = batch.len() as f64;
    grad.iter_mut().for_each(|g| *g /= n);
    loss / n
}

/// `cfg.epochs` passes of mini-batch gradient descent over `data` (shuffled by `rng` each epoch);
/// returns the mean batch loss of the last epoch.
pub fn train<R: Rng + ?Sized>(
    w: &mut [f32],
    data: &SurvivalSet,
    cfg: &TrainConfig,
    rng: &mut R,
) -> f64 {
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut grad = vec![0.0f64; data.features];
    let mut last = 0.0;
    for _ in 0..cfg.epochs {
        shuffle(&mut order, rng);
        let (mut sum, mut batches) = (0.0, 0usize);
        for batch in order.chunks(cfg.batch.max(1)) {
            sum += loss_and_grad(w, data, batch, &mut grad);
            batches += 1;
            for (wi, g) in w.iter_mut().zip(&grad) {
                *wi -= cfg.lr * *g as f32;
            }
        }
        last = sum / batches.max(1) as f64;
    }
    last
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    /// A small set with tied times (an event and a censoring at t = 5, two events at t = 8).
    fn small() -> SurvivalSet {
        let mut s = SurvivalSet::new(3);
        let rows: [([f32; 3], f32, bool); 7] = [
            ([0.5, -1.0, 1.0], 2.0, true),
            ([1.5, 0.0, 0.0], 5.0, true),
            ([-0.3, 1.0, 1.0], 5.0, false),
            ([0.2, 0.4, 0.0], 8.0, true),
            ([-1.2, 0.7, 1.0], 8.0, true),
            ([0.0, -0.5, 0.0], 11.0, false),
            ([0.9, 0.1, 1.0], 3.0, false),
        ];
        for (x, t, e) in rows {
            s.push(&x, t, e);
        }
        s
    }

    /// The loss written directly from the definition, O(n²), for comparison.
    fn loss_by_definition(w: &[f32], s: &SurvivalSet) -> f64 {
        let n = s.len();
        let mut l = 0.0;
        for i in (0..n).filter(|&i| s.event[i]) {
            let den: f64 = (0..n)
                .filter(|&j| s.time[j] >= s.time[i])
                .map(|j| libm::exp(risk(w, s.row(j))))
                .sum();
            l += libm::log(den) - risk(w, s.row(i));
        }
        l / n as f64
    }

    #[test]
    fn loss_matches_the_definition_with_ties() {
        let s = small();
        let all: Vec<usize> = (0..s.len()).collect();
        let mut g = vec![0.0; 3];
        for w in [[0.0f32, 0.0, 0.0], [0.3, -0.7, 1.1], [4.0, 3.0, -2.0]] {
            let fast = loss_and_grad(&w, &s, &all, &mut g);
            assert!((fast - loss_by_definition(&w, &s)).abs() < 1e-12, "{w:?}");
        }
        // At w = 0 every risk set contributes log(|risk set|): 7, 5, 5, 3, 3 patients at t ≥ 2, 5, 5, 8, 8.
        let expect = (7f64.ln() + 5f64.ln() + 3f64.ln() * 2.0) / 7.0;
        assert!((loss_and_grad(&[0.0; 3], &s, &all, &mut g) - expect).abs() < 1e-12);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        let s = small();
        let all: Vec<usize> = (0..s.len()).collect();
        let w = [0.4f32, -0.6, 0.25];
        let mut g = vec![0.0; 3];
        loss_and_grad(&w, &s, &all, &mut g);
        for k in 0..3 {
            let h = 1e-3f64;
            let at = |delta: f64| {
                let mut v: Vec<f64> = w.iter().map(|&x| f64::from(x)).collect();
                v[k] += delta;
                // Evaluate in f64 to keep the difference quotient accurate.
                let n = s.len();
                let r = |j: usize| -> f64 {
                    v.iter().zip(s.row(j)).map(|(a, b)| a * f64::from(*b)).sum()
                };
                let mut l = 0.0;
                for i in (0..n).filter(|&i| s.event[i]) {
                    let den: f64 = (0..n)
                        .filter(|&j| s.time[j] >= s.time[i])
                        .map(|j| r(j).exp())
                        .sum();
                    l += den.ln() - r(i);
                }
                l / n as f64
            };
            let numeric = (at(h) - at(-h)) / (2.0 * h);
            assert!(
                (g[k] - numeric).abs() < 1e-6,
                "weight {k}: analytic {} numeric {numeric}",
                g[k]
            );
        }
    }

    #[test]
    fn large_risks_stay_finite() {
        let s = small();
        let all: Vec<usize> = (0..s.len()).collect();
        let mut g = vec![0.0; 3];
        let l = loss_and_grad(&[800.0, -900.0, 700.0], &s, &all, &mut g);
        assert!(l.is_finite() && g.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn training_lowers_the_loss_and_ranks_risk() {
        // Time decreases with the first feature: a trained model must give it a positive weight.
        let mut s = SurvivalSet::new(2);
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for i in 0..200 {
            let a = (i % 20) as f32 / 10.0 - 1.0;
            let b = ((i * 7) % 13) as f32 / 13.0;
            s.push(
                &[a, b],
                100.0 * libm::expf(-2.0 * a) + (i % 5) as f32,
                i % 3 != 0,
            );
        }
        let all: Vec<usize> = (0..s.len()).collect();
        let mut g = vec![0.0; 2];
        let mut w = [0.0f32; 2];
        let before = loss_and_grad(&w, &s, &all, &mut g);
        let cfg = TrainConfig {
            epochs: 20,
            batch: 50,
            lr: 0.5,
        };
        train(&mut w, &s, &cfg, &mut rng);
        let after = loss_and_grad(&w, &s, &all, &mut g);
        assert!(after < before, "{after} ≥ {before}");
        assert!(w[0] > 0.5, "{w:?}");
    }
}
