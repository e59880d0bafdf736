//! One clinic's local training for the model a round announces ([`ModelSpec`]): start from the global
//! parameters, train on the clinic's own data, return the update (local − global). Also the honest-norm
//! calibration of the clip bound τ (`zkfl clinic calibrate`): the ℓ2 norms of the updates this clinic would
//! send, over a few local rounds, computed locally.
//!
//! Classifiers (MLP, logistic regression) train on class-labelled data ([`LocalData::Classes`]) by SGD on the
//! cross-entropy; the linear Cox model trains on survival data ([`LocalData::Survival`]) by mini-batch
//! gradient descent on the partial likelihood ([`crate::cox`]). A model kind given the other kind of data
//! is refused with [`TrainError::NotTrainableHere`].

use alloc::vec::Vec;
use core::fmt;

use rand_core::Rng;

use crate::cox::{self, SurvivalSet};
use crate::data::Dataset;
use crate::fedavg::{apply_update, l2_norm, model_delta};
use crate::mlp::{Mlp, MlpError, TrainConfig};
use crate::spec::ModelSpec;

/// Why local training could not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TrainError {
    /// This model kind does not train on this kind of data (a classifier needs class labels, the Cox
    /// model survival times and events).
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
                "model kind {s} is not trainable on this data: {}",
                if s.classes().is_some() {
                    "a classifier needs class labels, not survival data"
                } else {
                    "the Cox model needs survival data (time, event), not class labels"
                }
            ),
            Self::Model(e) => write!(f, "global model: {e}"),
            Self::Data(e) => write!(f, "data: {e}"),
        }
    }
}

/// A clinic's local training data, of the kind its model needs.
#[derive(Clone, Debug, PartialEq)]
pub enum LocalData {
    /// Features and integer class labels (MLP, logistic regression).
    Classes(Dataset),
    /// Features, follow-up times and events (linear Cox model).
    Survival(SurvivalSet),
}

impl LocalData {
    /// Samples (patients).
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::Classes(d) => d.len(),
            Self::Survival(s) => s.len(),
        }
    }

    /// True if there are no samples.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Local-training hyper-parameters when a clinic gives none: for the Cox model those of the Fed-TCGA-BRCA
/// demo ([`cox::TRAIN`]); for classifiers one epoch, batch 32, learning rate 0.05.
#[must_use]
pub fn default_config(spec: &ModelSpec) -> TrainConfig {
    match spec {
        ModelSpec::LinearCox { .. } => cox::TRAIN,
        _ => TrainConfig {
            epochs: 1,
            batch: 32,
            lr: 0.05,
        },
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
/// Refuses data of the wrong kind for the model, and data or parameters that do not fit it.
pub fn local_update<R: Rng + ?Sized>(
    spec: &ModelSpec,
    global: &[f32],
    data: &LocalData,
    cfg: &TrainConfig,
    rng: &mut R,
) -> Result<Vec<f32>, TrainError> {
    match data {
        LocalData::Classes(data) => {
            let sizes = classifier(spec, data)?;
            let mut model = Mlp::from_params(&sizes, global.to_vec()).map_err(TrainError::Model)?;
            model.train(data, cfg, rng);
            Ok(model_delta(model.params(), global))
        }
        LocalData::Survival(data) => {
            check_cox(spec, global, data)?;
            let mut w = global.to_vec();
            cox::train(&mut w, data, cfg, rng);
            Ok(model_delta(&w, global))
        }
    }
}

/// Checks that `spec` is the Cox model and that `global` and `data` fit it.
fn check_cox(spec: &ModelSpec, global: &[f32], data: &SurvivalSet) -> Result<(), TrainError> {
    let ModelSpec::LinearCox { features } = *spec else {
        return Err(TrainError::NotTrainableHere(spec.clone()));
    };
    if global.len() != features {
        return Err(TrainError::Model(MlpError::WrongLength {
            expected: features,
            got: global.len(),
        }));
    }
    if data.is_empty() {
        return Err(TrainError::Data("no patients".into()));
    }
    if data.features != features {
        return Err(TrainError::Data(alloc::format!(
            "{} features, the model {spec} takes {features}",
            data.features
        )));
    }
    Ok(())
}

/// The ℓ2 norms of this clinic's honest updates over `rounds` simulated rounds: each round trains from the
/// current model for `cfg.epochs` and then applies the clinic's own update (as if it were the only clinic),
/// so later rounds see the smaller updates of a converging model. Sorted ascending.
pub fn honest_update_norms<R: Rng + ?Sized>(
    spec: &ModelSpec,
    global: &[f32],
    data: &LocalData,
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

    /// Survival times that fall with feature 0; feature 1 is unrelated; every third patient censored.
    fn survival() -> LocalData {
        let mut s = SurvivalSet::new(2);
        for i in 0..60u16 {
            let a = f32::from(i % 10) / 5.0 - 1.0;
            let b = f32::from((i * 7) % 11) / 11.0 - 0.5;
            s.push(
                &[a, b],
                50.0 * libm::expf(-2.0 * a) + f32::from(i % 4),
                i % 3 != 0,
            );
        }
        LocalData::Survival(s)
    }

    fn classes() -> LocalData {
        LocalData::Classes(data())
    }

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
        let d = local_update(&spec, &global, &classes(), &CFG, &mut rng).expect("train");
        assert_eq!(d.len(), 6);
        assert!(l2_norm(&d) > 0.0);
        let norms =
            honest_update_norms(&spec, &global, &classes(), &CFG, 6, &mut rng).expect("norms");
        assert_eq!(norms.len(), 6);
        assert!(norms.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(quantile(&norms, 1.0), norms.last().copied());
        assert_eq!(quantile(&norms, 0.0), norms.first().copied());
        assert_eq!(quantile(&[], 0.5), None);
    }

    #[test]
    fn the_wrong_kind_of_data_or_mismatched_data_is_refused() {
        let cox = ModelSpec::parse("cox:2").expect("spec");
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let e = local_update(&cox, &[0.0; 2], &classes(), &CFG, &mut rng).expect_err("cox");
        assert!(matches!(e, TrainError::NotTrainableHere(_)));
        assert!(alloc::string::ToString::to_string(&e).contains("needs survival data"));
        let logistic = ModelSpec::parse("logistic:2,2").expect("spec");
        let e = local_update(&logistic, &[0.0; 6], &survival(), &CFG, &mut rng)
            .expect_err("survival data for a classifier");
        assert!(alloc::string::ToString::to_string(&e).contains("needs class labels"));
        assert!(matches!(
            local_update(&cox, &[0.0; 3], &survival(), &CFG, &mut rng),
            Err(TrainError::Model(_))
        ));
        let cox3 = ModelSpec::parse("cox:3").expect("spec");
        assert!(matches!(
            local_update(&cox3, &[0.0; 3], &survival(), &CFG, &mut rng),
            Err(TrainError::Data(_))
        ));
        let wide = ModelSpec::parse("logistic:3,2").expect("spec");
        assert!(matches!(
            local_update(&wide, &[0.0; 8], &classes(), &CFG, &mut rng),
            Err(TrainError::Data(_))
        ));
        let spec = ModelSpec::parse("logistic:2,2").expect("spec");
        assert!(matches!(
            local_update(&spec, &[0.0; 5], &classes(), &CFG, &mut rng),
            Err(TrainError::Model(_))
        ));
    }

    #[test]
    fn the_cox_model_trains_on_survival_data_and_learns_the_risk_direction() {
        let spec = ModelSpec::parse("cox:2").expect("spec");
        let mut rng = ChaCha20Rng::from_seed([2; 32]);
        let cfg = default_config(&spec);
        assert_eq!(cfg, cox::TRAIN);
        let mut w = alloc::vec![0.0f32; 2];
        for _ in 0..10 {
            let d = local_update(&spec, &w, &survival(), &cfg, &mut rng).expect("train");
            assert_eq!(d.len(), 2);
            apply_update(&mut w, &d);
        }
        // Feature 0 shortens survival: its weight (log hazard ratio) must be positive; feature 1 is noise.
        assert!(w[0] > 0.3 && w[0] > 3.0 * w[1].abs(), "{w:?}");
        let norms =
            honest_update_norms(&spec, &[0.0; 2], &survival(), &cfg, 4, &mut rng).expect("norms");
        assert!(norms.len() == 4 && norms[3] > 0.0);
    }
}
