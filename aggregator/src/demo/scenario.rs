//! The experiment's knobs (clinics, rounds, attackers, bound, seed, training) and the shared setup every
//! configuration starts from: one data set, one non-IID split, one initial model.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_learn::{Dataset, Mlp, SyntheticSpec, TrainConfig, dirichlet_split, generate};

/// What a malicious clinic sends instead of its honest update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AttackKind {
    /// i.i.d. N(0, σ²) noise in every parameter (the paper's attack, σ = 50).
    Noise {
        /// Standard deviation σ.
        sigma: f32,
    },
    /// The honest update multiplied by k (model-replacement style boosting).
    Scaled {
        /// Factor k.
        factor: f32,
    },
    /// The honest update negated (norm unchanged, so a norm bound alone cannot catch it).
    SignFlip,
}

impl AttackKind {
    /// Short label for tables and reports.
    pub fn label(&self) -> String {
        match self {
            Self::Noise { sigma } => format!("noise N(0, {sigma}²)"),
            Self::Scaled { factor } => format!("scaled update ×{factor}"),
            Self::SignFlip => "sign flip".to_string(),
        }
    }
}

/// Everything that defines one demo run (identical for every configuration in it).
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Number of clinics.
    pub clinics: usize,
    /// Number of federated rounds.
    pub rounds: usize,
    /// 1-based ids of the malicious clinics.
    pub attackers: Vec<usize>,
    /// 1-based first round in which the attackers misbehave.
    pub attack_from: usize,
    /// The attack.
    pub attack: AttackKind,
    /// Clipping norm bound τ (float domain).
    pub norm_bound: f32,
    /// Master seed: data, split, initial model, training order and attack noise derive from it.
    pub seed: u64,
    /// Dirichlet concentration of the non-IID split.
    pub alpha: f64,
    /// Synthetic data shape.
    pub data: SyntheticSpec,
    /// Local training per round.
    pub train: TrainConfig,
    /// Widths of the MLP's two hidden layers (the paper's 128 and 64; smaller for quick threshold runs).
    pub hidden: [usize; 2],
}

impl Scenario {
    /// The paper's experiment: 5 clinics, 10 rounds, clinic 3 sends N(0, 50²) noise from round 4, τ = 5.
    pub fn paper(seed: u64) -> Self {
        Self {
            clinics: 5,
            rounds: 10,
            attackers: vec![3],
            attack_from: 4,
            attack: AttackKind::Noise { sigma: 50.0 },
            norm_bound: 5.0,
            seed,
            alpha: 0.5,
            data: SyntheticSpec::PAPER,
            train: TrainConfig {
                epochs: 1,
                batch: 32,
                lr: 0.05,
            },
            hidden: [Mlp::PAPER_SIZES[1], Mlp::PAPER_SIZES[2]],
        }
    }

    /// True if clinic `clinic` (1-based) attacks in round `round` (1-based) of a run with attackers.
    pub fn attacks(&self, clinic: usize, round: usize) -> bool {
        round >= self.attack_from && self.attackers.contains(&clinic)
    }

    /// What clinic `clinic` sends in round `round`: its `honest` update, or, if it attacks in this run
    /// (`with_attacker`), the scenario's attack on it (drawn from the clinic's attack stream).
    pub fn submission(
        &self,
        clinic: usize,
        round: usize,
        honest: Vec<f32>,
        with_attacker: bool,
    ) -> super::pipeline::Submission {
        let malicious = with_attacker && self.attacks(clinic, round);
        let update = if malicious {
            super::attack::malicious_update(
                self.attack,
                &honest,
                &mut self.rng(streams::ATTACK, round, clinic),
            )
        } else {
            honest
        };
        super::pipeline::Submission {
            clinic,
            update,
            malicious,
        }
    }

    /// Checks the knobs make sense before anything expensive runs.
    pub fn validate(&self) -> Result<(), String> {
        if self.clinics == 0 || self.rounds == 0 {
            return Err("need at least one clinic and one round".into());
        }
        if let Some(bad) = self.attackers.iter().find(|&&a| a == 0 || a > self.clinics) {
            return Err(format!(
                "attacker id {bad} is not a clinic (clinics are numbered 1..={})",
                self.clinics
            ));
        }
        if !(self.norm_bound.is_finite() && self.norm_bound > 0.0) {
            return Err(format!(
                "norm bound τ must be positive and finite, got {}",
                self.norm_bound
            ));
        }
        if self.train.batch == 0 || self.train.epochs == 0 {
            return Err("batch size and local epochs must be at least 1".into());
        }
        if !(self.train.lr.is_finite() && self.train.lr > 0.0) {
            return Err(format!(
                "--lr: the learning rate must be positive and finite, got {}",
                self.train.lr
            ));
        }
        // NaN fails every comparison, so these are written to accept only the valid range.
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(format!(
                "--alpha: the Dirichlet concentration must be positive and finite, got {} (large α is close to IID)",
                self.alpha
            ));
        }
        if self.hidden.contains(&0) {
            return Err("--hidden: both hidden layers need at least one unit".into());
        }
        if self.data.train == 0 || self.data.test == 0 {
            return Err("--train-samples and --test-samples must be at least 1".into());
        }
        match self.attack {
            AttackKind::Noise { sigma: x } | AttackKind::Scaled { factor: x } if !x.is_finite() => {
                Err(format!(
                    "the attack's --sigma/--factor must be finite, got {x}"
                ))
            }
            _ => Ok(()),
        }
    }

    /// Layer sizes of the MLP for this data shape (the paper's 784-128-64-4 at side 28).
    pub fn mlp_sizes(&self) -> [usize; 4] {
        let mut sizes = Mlp::PAPER_SIZES;
        sizes[0] = self.data.features();
        sizes[1] = self.hidden[0];
        sizes[2] = self.hidden[1];
        sizes[3] = self.data.classes;
        sizes
    }

    /// Model parameters of the synthetic experiment's MLP.
    pub fn params(&self) -> usize {
        zkfl_learn::param_count(&self.mlp_sizes())
    }

    /// A seeded RNG for one purpose (`stream`) in one round and clinic, independent of the configuration,
    /// so the clean and the defended runs see exactly the same training randomness.
    pub fn rng(&self, stream: u64, round: usize, clinic: usize) -> ChaCha20Rng {
        let mut rng = ChaCha20Rng::seed_from_u64(self.seed);
        rng.set_stream(stream.wrapping_mul(1 << 40) ^ ((round as u64) << 20) ^ clinic as u64);
        rng
    }
}

/// RNG streams (the `stream` argument of `Scenario::rng`).
pub mod streams {
    /// Data generation.
    pub const DATA: u64 = 1;
    /// Non-IID split.
    pub const SPLIT: u64 = 2;
    /// Initial model.
    pub const INIT: u64 = 3;
    /// Local training order.
    pub const TRAIN: u64 = 4;
    /// Attack noise.
    pub const ATTACK: u64 = 5;
    /// Cryptographic randomness of the demo (keys, encryption); a real clinic uses the OS RNG.
    pub const CRYPTO: u64 = 6;
}

/// What every configuration of one run shares.
#[derive(Clone, Debug)]
pub struct Setup {
    /// The knobs.
    pub scenario: Scenario,
    /// Local data of each clinic (index 0 = clinic 1).
    pub local: Vec<Dataset>,
    /// Held-out test set.
    pub test: Dataset,
    /// Initial global model w_1.
    pub initial: Mlp,
}

impl Setup {
    /// Generates the data, splits it and draws the initial model.
    pub fn new(scenario: Scenario) -> Result<Self, String> {
        scenario.validate()?;
        let data = generate(&scenario.data, &mut scenario.rng(streams::DATA, 0, 0));
        let min = (scenario.train.batch).min(data.train.len() / scenario.clinics.max(1) / 4);
        let parts = dirichlet_split(
            &data.train,
            scenario.clinics,
            scenario.alpha,
            min.max(1),
            &mut scenario.rng(streams::SPLIT, 0, 0),
        )
        .map_err(|e| e.to_string())?;
        let local = parts.iter().map(|p| data.train.subset(p)).collect();
        let initial = Mlp::new(
            &scenario.mlp_sizes(),
            &mut scenario.rng(streams::INIT, 0, 0),
        )
        .map_err(|e| e.to_string())?;
        Ok(Self {
            scenario,
            local,
            test: data.test,
            initial,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meaningless_knobs_are_refused() {
        let ok = Scenario::paper(1);
        assert!(ok.validate().is_ok());
        let with = |f: &dyn Fn(&mut Scenario)| {
            let mut s = ok.clone();
            f(&mut s);
            s.validate().unwrap_err()
        };
        assert!(with(&|s| s.alpha = 0.0).contains("--alpha"));
        assert!(with(&|s| s.alpha = -1.0).contains("--alpha"));
        assert!(with(&|s| s.alpha = f64::NAN).contains("--alpha"));
        assert!(with(&|s| s.train.lr = f32::NAN).contains("--lr"));
        assert!(with(&|s| s.train.lr = 0.0).contains("--lr"));
        assert!(with(&|s| s.data.test = 0).contains("--test-samples"));
        assert!(
            with(&|s| s.attack = AttackKind::Noise {
                sigma: f32::INFINITY
            })
            .contains("--sigma")
        );
        assert!(with(&|s| s.attackers = vec![6]).contains("attacker id 6"));
    }
}
