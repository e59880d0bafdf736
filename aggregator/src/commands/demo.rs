//! `zkfl demo`: runs the paper's experiment in every configuration and prints the comparison (docs/DEMO.md).

use crate::demo::{self, scenario::AttackKind, scenario::Scenario};
use std::path::PathBuf;

/// Attack selector on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Attack {
    /// N(0, σ²) noise in every parameter (the paper's attack).
    Noise,
    /// The honest update multiplied by --factor.
    Scaled,
    /// The honest update negated.
    SignFlip,
}

/// Arguments of `zkfl demo`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of clinics.
    #[arg(long, default_value_t = 5)]
    clinics: usize,
    /// Number of rounds.
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Malicious clinic ids (1-based, comma separated; empty for none).
    #[arg(long, value_delimiter = ',', default_value = "3")]
    attackers: Vec<usize>,
    /// First round (1-based) in which the attackers misbehave.
    #[arg(long, default_value_t = 4)]
    attack_from: usize,
    /// What the attackers send.
    #[arg(long, value_enum, default_value_t = Attack::Noise)]
    attack: Attack,
    /// σ of the noise attack.
    #[arg(long, default_value_t = 50.0)]
    sigma: f32,
    /// k of the scaled attack.
    #[arg(long, default_value_t = 10.0)]
    factor: f32,
    /// Clipping norm bound τ.
    #[arg(long, default_value_t = 5.0)]
    tau: f32,
    /// Master seed (data, split, model, training, attack, crypto randomness).
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Local epochs per round.
    #[arg(long, default_value_t = 1)]
    epochs: usize,
    /// Local mini-batch size.
    #[arg(long, default_value_t = 32)]
    batch: usize,
    /// Local learning rate.
    #[arg(long, default_value_t = 0.05)]
    lr: f32,
    /// Training samples (split among clinics).
    #[arg(long, default_value_t = 6000)]
    train_samples: usize,
    /// Held-out test samples.
    #[arg(long, default_value_t = 1000)]
    test_samples: usize,
    /// Dirichlet α of the non-IID split.
    #[arg(long, default_value_t = 0.5)]
    alpha: f64,
    /// Run only these configurations (comma separated: plain, plain_clean, kem, zkfl, zkfl_clean).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Clinics that encrypt and prove at the same time in zkfl/zkfl_clean (0: one per available core).
    #[arg(long, default_value_t = 0)]
    parallel_clinics: usize,
    /// Image side of the synthetic data (features = side²; 28 gives the paper's 108,996-parameter MLP).
    #[arg(long, default_value_t = 28)]
    side: usize,
    /// Write report.json and SVG plots into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

impl Args {
    fn scenario(&self) -> Scenario {
        let mut s = Scenario::paper(self.seed);
        s.clinics = self.clinics;
        s.rounds = self.rounds;
        s.attackers = self.attackers.clone();
        s.attack_from = self.attack_from;
        s.attack = match self.attack {
            Attack::Noise => AttackKind::Noise { sigma: self.sigma },
            Attack::Scaled => AttackKind::Scaled {
                factor: self.factor,
            },
            Attack::SignFlip => AttackKind::SignFlip,
        };
        s.tau = self.tau;
        s.alpha = self.alpha;
        s.data.side = self.side;
        s.data.train = self.train_samples;
        s.data.test = self.test_samples;
        s.train.epochs = self.epochs;
        s.train.batch = self.batch;
        s.train.lr = self.lr;
        s
    }
}

/// Runs the demo.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let opts = demo::Options {
        only: args.only.clone(),
        quiet: args.quiet,
        zkfl_exe: std::env::current_exe()?,
        parallel_clinics: args.parallel_clinics,
    };
    let report = demo::run(args.scenario(), &opts)?;
    demo::print(&report);
    if let Some(dir) = &args.out {
        demo::write(&report, dir)?;
        println!("wrote {}/report.json and SVG plots", dir.display());
    }
    Ok(())
}
