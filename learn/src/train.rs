//! One clinic's local training for the model a round announces ([`ModelSpec`]): start from the global
//! parameters, train on the clinic's own data, return the update (local − global). Also the honest-norm
//! calibration of the clip bound τ (`zkfl clinic calibrate`): the ℓ2 norms of the updates this clinic would
//! send, over a few local rounds, computed locally.
//!
//! Classifiers (MLP, logistic regression) train here. The linear Cox model's parameter layout is declared by
//! [`ModelSpec::LinearCox`]; its survival trainer (partial likelihood on time/event data) is a separate
//! module, so this function refuses it with [`TrainError::NotTrainableHere`].

use alloc::vec::Vec;
use core::fmt;

use rand_core::Rng;

use crate::data::Dataset;
use crate::fedavg::{apply_update, l2_norm, model_delta};
use crate::mlp::{Mlp, MlpError, TrainConfig};
use crate::spec::ModelSpec;

/// Why local training could not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrainError {
    /// This model kind is not trained by the classification trainer (e.g. linear Cox needs survival data).
    NotTrainableHere(ModelSpec),
    /// The global parameters do not fit the spec.
    Model(MlpError),
    /// The data set does not fit the spec (features or classes), or is empty.
    Data(alloc::string::String),
}

impl core::error::Error for TrainError {}

impl fmt::Display for TrainError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotTrainableHere(s) => write!(
                f,
                "model kind {s} is not trainable here: it needs survival data (time, event), not class labels"
            ),
            Self::Model(e) => write!(f, "global model: {e}"),
            Self::Data(e) => write!(f, "data: {e}"),
        }
    }
}

/// Checks that `data` fits the classifier `spec` and returns its layer sizes.
fn classifier(spec: &ModelSpec, data: &Dataset) -> Result<Vec<usize>, TrainError> {
    let sizes = spec
        .mlp_sizes()
        .ok_or_else(|| TrainError::NotTrainableHere(spec.clone()))?;
    if data.is_empty() {
        return Err(TrainError::Data("no samples".into()));
    }
    if data.features != spec.features() || Some(data.classes) != spec.classes() {
        return Err(TrainError::Data(alloc::format!(
            "{} features and {} classes, the model {spec} takes {} and {}",
            data.features,
            data.classes,
            spec.features(),
            spec.classes().unwrap_or(0)
        )));
    }
    Ok(sizes)
}

/// Trains `spec` from `global` on `data` for `cfg.epochs` and returns the update (local − global).
pub fn local_update<R: Rng + ?Sized>(
    spec: &ModelSpec,
    global: &[f32],
    data: &Dataset,
    cfg: &TrainConfig,
    rng: &mut R,
) -> Result<Vec<f32>, TrainError> {
    let sizes = classifier(spec, data)?;
    let mut model = Mlp::from_params(&sizes, global.to_vec()).map_err(TrainError::Model)?;
    model.train(data, cfg, rng);
    Ok(model_delta(model.params(), global))
}

/// The ℓ2 norms of this clinic's honest updates over `rounds` simulated rounds: each round trains from the
/// current model for `cfg.epochs` and then applies the clinic's own update (as if it were the only clinic),
/// so later rounds see the smaller updates of a converging model. Sorted ascending.
pub fn honest_update_norms<R: Rng + ?Sized>(
    spec: &ModelSpec,
    global: &[f32],
    data: &Dataset,
    cfg: &TrainConfig,
    rounds: usize,
    rng: &mut R,
) -> Result<Vec<f64>, TrainError> {
    let mut w = global.to_vec();
    let mut norms = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let d = local_update(spec, &w, data, cfg, rng)?;
        norms.push(l2_norm(&d));
        apply_update(&mut w, &d);
    }
    norms.sort_by(f64::total_cmp);
    Ok(norms)
}

/// The `p`-quantile (0 ≤ p ≤ 1, nearest rank) of sorted values; `None` if empty.
#[must_use]
pub fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    // Nearest rank: ⌈p·n⌉, at least 1.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = (libm::ceil(p.clamp(0.0, 1.0) * n as f64) as usize).max(1);
    sorted.get(rank - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn data() -> Dataset {
        // Two separable classes on feature 0.
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..40u8 {
            let c = i % 2;
            x.extend_from_slice(&[if c == 0 { -1.0 } else { 1.0 }, f32::from(i) * 0.01]);
            y.push(c);
        }
        Dataset {
            features: 2,
            classes: 2,
            x,
            y,
        }
    }

    const CFG: TrainConfig = TrainConfig {
        epochs: 2,
        batch: 8,
        lr: 0.1,
    };

    #[test]
    fn logistic_regression_trains_and_its_updates_shrink_as_it_converges() {
        let spec = ModelSpec::parse("logistic:2,2").expect("spec");
        let global = alloc::vec![0.0; spec.param_count()];
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let d = local_update(&spec, &global, &data(), &CFG, &mut rng).expect("train");
        assert_eq!(d.len(), 6);
        assert!(l2_norm(&d) > 0.0);
        let norms = honest_update_norms(&spec, &global, &data(), &CFG, 6, &mut rng).expect("norms");
        assert_eq!(norms.len(), 6);
        assert!(norms.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(quantile(&norms, 1.0), norms.last().copied());
        assert_eq!(quantile(&norms, 0.0), norms.first().copied());
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn a_cox_model_or_mismatched_data_is_refused() {
        let cox = ModelSpec::parse("cox:2").expect("spec");
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let e = local_update(&cox, &[0.0; 2], &data(), &CFG, &mut rng).expect_err("cox");
        assert!(matches!(e, TrainError::NotTrainableHere(_)));
        assert!(alloc::string::ToString::to_string(&e).contains("not trainable here"));
        let wide = ModelSpec::parse("logistic:3,2").expect("spec");
        assert!(matches!(
            local_update(&wide, &[0.0; 8], &data(), &CFG, &mut rng),
            Err(TrainError::Data(_))
        ));
        let spec = ModelSpec::parse("logistic:2,2").expect("spec");
        assert!(matches!(
            local_update(&spec, &[0.0; 5], &data(), &CFG, &mut rng),
            Err(TrainError::Model(_))
        ));
    }
}
