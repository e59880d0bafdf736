//! Local training for clinics, the demo and the browser clinic (docs/DEMO.md): data sets, models, SGD,
//! FedAvg. A crate of its own so the cryptographic core (`zkfl-core`, `no_std`, no allocator) carries no
//! learning code.
//!
//! Hand-written rather than built on an ML framework so the same code runs natively (`zkfl`) and in wasm
//! (the browser clinic) and gives bit-identical results on every target (all float functions from `libm`);
//! the reasons and measurements are in docs/DEMO.md.
#![deny(missing_docs)]

extern crate alloc;

/// Harrell's concordance index for survival models.
pub mod cindex;
/// Linear Cox proportional-hazards model and its partial likelihood (Fed-TCGA-BRCA).
pub mod cox;
/// A clinic's own data from CSV: header, label or time/event columns, per-clinic standardization.
pub mod csv;
/// The synthetic imaging data set of the paper's experiment.
pub mod data;
/// Plain FedAvg on f32 vectors.
pub mod fedavg;
/// Dot product and axpy kernels.
pub mod linalg;
/// The MLP: forward, back-propagation, SGD, evaluation.
pub mod mlp;
/// Random variates for simulation data (normal, Gamma, Dirichlet).
pub mod sample;
/// The model a round trains, as the round announcement declares it.
pub mod spec;
/// Dirichlet non-IID partition among clinics.
pub mod split;
/// Local training for the announced model; honest-norm calibration of τ.
pub mod train;

pub use cindex::concordance_index;
pub use cox::SurvivalSet;
pub use data::{Dataset, Synthetic, SyntheticSpec, generate};
pub use fedavg::{apply_update, l2_norm, mean_update, model_delta};
pub use mlp::{Evaluation, Mlp, MlpError, TrainConfig, param_count};
pub use spec::{Activation, ModelSpec, SpecError};
pub use split::{SplitError, dirichlet_split};
pub use train::{
    LocalData, TrainError, default_config, honest_update_norms, local_update, quantile,
};
