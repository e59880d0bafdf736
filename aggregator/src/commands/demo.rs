//! `zkfl demo`: runs the paper's experiment (or Fed-TCGA-BRCA) in every configuration and prints the
//! comparison (docs/DEMO.md). Every option is checked before anything expensive starts.

use crate::demo::{self, scenario::AttackKind, scenario::Scenario, tcga};
use std::path::{Path, PathBuf};

/// The data set the demo trains on.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dataset {
    /// The paper's synthetic 4-class imaging data and its MLP (default).
    Synthetic,
    /// Fed-TCGA-BRCA: 1,088 real breast-cancer patients in 6 centres, linear Cox model, C-index.
    FedTcgaBrca,
}

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
    /// The data set: the paper's synthetic experiment, or Fed-TCGA-BRCA (6 real centres, linear Cox model).
    #[arg(long, value_enum, default_value_t = Dataset::Synthetic)]
    dataset: Dataset,
    /// Fed-TCGA-BRCA: read brca.csv, centers.csv and train_test_split.csv from this directory instead of the
    /// copy built into the binary (data/fed-tcga-brca).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Number of clinics (synthetic; Fed-TCGA-BRCA always has its 6 centres).
    #[arg(long, default_value_t = 5)]
    clinics: usize,
    /// Number of rounds [default: 10 synthetic, 20 fed-tcga-brca].
    #[arg(long)]
    rounds: Option<usize>,
    /// Malicious clinic ids (1-based, comma separated; "" for none) [default: 3 synthetic, 6 fed-tcga-brca].
    #[arg(long)]
    attackers: Option<String>,
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
    /// Clipping norm bound τ [default: 5 synthetic, 0.3 fed-tcga-brca].
    #[arg(long)]
    norm_bound: Option<f32>,
    /// Master seed (data, split, model, training, attack, crypto randomness).
    #[arg(long, default_value_t = 2024)]
    seed: u64,
    /// Local epochs per round.
    #[arg(long, default_value_t = 1)]
    epochs: usize,
    /// Local mini-batch size [default: 32 synthetic, 16 fed-tcga-brca].
    #[arg(long)]
    batch: Option<usize>,
    /// Local learning rate [default: 0.05 synthetic, 0.1 fed-tcga-brca].
    #[arg(long)]
    lr: Option<f32>,
    /// Training samples (split among clinics).
    #[arg(long, default_value_t = 6000)]
    train_samples: usize,
    /// Held-out test samples.
    #[arg(long, default_value_t = 1000)]
    test_samples: usize,
    /// Dirichlet α of the non-IID split.
    #[arg(long, default_value_t = 0.5)]
    alpha: f64,
    /// Run only these configurations (comma separated: plain, plain_clean, kem, zkfl, zkfl_clean, and with
    /// --committee zkfl_committee; Fed-TCGA-BRCA has no kem).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Clinics that encrypt and prove at the same time in zkfl/zkfl_clean (0: one per available core).
    #[arg(long, default_value_t = 0)]
    parallel_clinics: usize,
    /// Image side of the synthetic data (features = side²; 28 gives the paper's 108,996-parameter MLP).
    #[arg(long, default_value_t = 28)]
    side: usize,
    /// Widths of the MLP's two hidden layers (the paper's 128,64); smaller models make quick threshold runs
    /// (e.g. --side 4 --hidden 8,8: 244 parameters, one BFV chunk).
    #[arg(long, value_delimiter = ',', default_values_t = [128usize, 64])]
    hidden: Vec<usize>,
    /// Threshold decryption: run the `zkfl_committee` configuration with a T-of-N key-holder committee (e.g.
    /// 3-of-5); without --only it runs alone (docs/DEMO.md "Threshold decryption").
    #[arg(long, value_name = "T-of-N")]
    committee: Option<String>,
    /// With --committee: members that are not started (comma separated, 1-based).
    #[arg(long, requires = "committee", default_value = "")]
    offline: String,
    /// With --committee: members started with --demo-cheat-share (demo only: they send a wrong decryption
    /// share, which the share proofs catch; comma separated, 1-based).
    #[arg(long, requires = "committee", default_value = "")]
    cheating: String,
    /// Write report.json (and, synthetic, the SVG plots) into this directory; checked before the run.
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

impl Args {
    fn scenario(&self) -> Result<Scenario, String> {
        let mut s = match self.dataset {
            Dataset::Synthetic => Scenario::paper(self.seed),
            Dataset::FedTcgaBrca => Scenario::fed_tcga_brca(self.seed),
        };
        if self.dataset == Dataset::Synthetic {
            s.clinics = self.clinics;
        } else if self.clinics != 5 {
            return Err(format!(
                "--clinics: Fed-TCGA-BRCA has its {} centres as clinics",
                s.clinics
            ));
        }
        s.rounds = self.rounds.unwrap_or(s.rounds);
        if let Some(list) = &self.attackers {
            s.attackers = parse_attackers(list)?;
        }
        s.attack_from = self.attack_from;
        s.attack = match self.attack {
            Attack::Noise => AttackKind::Noise { sigma: self.sigma },
            Attack::Scaled => AttackKind::Scaled {
                factor: self.factor,
            },
            Attack::SignFlip => AttackKind::SignFlip,
        };
        s.norm_bound = self.norm_bound.unwrap_or(s.norm_bound);
        s.alpha = self.alpha;
        s.data.side = self.side;
        if let [h1, h2] = self.hidden[..] {
            s.hidden = [h1, h2];
        } else {
            return Err("--hidden takes two widths, e.g. --hidden 128,64".into());
        }
        s.data.train = self.train_samples;
        s.data.test = self.test_samples;
        s.train.epochs = self.epochs;
        s.train.batch = self.batch.unwrap_or(s.train.batch);
        s.train.lr = self.lr.unwrap_or(s.train.lr);
        s.validate()?;
        Ok(s)
    }
}

/// Options of the synthetic experiment only (argument id, flag): Fed-TCGA-BRCA has its centres' own data and
/// FLamby's fixed train/test split, so with `--dataset fed-tcga-brca` they would be silently ignored (the
/// threshold configuration runs on the synthetic experiment only).
const SYNTHETIC_ONLY: [(&str, &str); 6] = [
    ("train_samples", "--train-samples"),
    ("test_samples", "--test-samples"),
    ("alpha", "--alpha"),
    ("side", "--side"),
    ("hidden", "--hidden"),
    ("committee", "--committee"),
];

/// Refuses options given on the command line that the chosen data set does not use (a usage error: `zkfl`
/// exits 2 with this message).
pub fn check_options(m: &clap::ArgMatches) -> Result<(), String> {
    if m.get_one::<Dataset>("dataset") != Some(&Dataset::FedTcgaBrca) {
        return Ok(());
    }
    let given: Vec<&str> = SYNTHETIC_ONLY
        .iter()
        .filter(|(id, _)| m.value_source(id) == Some(clap::parser::ValueSource::CommandLine))
        .map(|&(_, flag)| flag)
        .collect();
    if given.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{} {} to the synthetic experiment only; --dataset fed-tcga-brca uses the centres' own data and FLamby's \
         train/test split",
        given.join(", "),
        if given.len() == 1 { "applies" } else { "apply" }
    ))
}

/// `--attackers`: comma-separated 1-based ids; empty (or only commas and spaces) for none.
fn parse_attackers(list: &str) -> Result<Vec<usize>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse::<usize>().map_err(|_| {
                format!("--attackers: `{a}` is not a clinic id (1-based, comma separated)")
            })
        })
        .collect()
}

/// Creates `dir` and checks a file can be written in it, so a bad output path (`flag`) fails before a long
/// run, naming the path.
pub fn check_out_dir(flag: &str, dir: &Path) -> Result<(), String> {
    let probe = dir.join(".zkfl-write-check");
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b""))
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| format!("{flag} {}: cannot write there: {e}", dir.display()))
}

/// Runs the demo.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let scenario = args.scenario()?;
    if let Some(dir) = &args.out {
        check_out_dir("--out", dir)?;
    }
    let _cleanup = demo::serve::cleanup_on_signal();
    let result = run_checked(&args, scenario);
    if result.is_err() {
        demo::serve::park_if_interrupted();
    }
    result
}

fn run_checked(args: &Args, scenario: Scenario) -> Result<(), Box<dyn std::error::Error>> {
    if args.dataset == Dataset::FedTcgaBrca {
        let opts = tcga::TcgaOptions {
            only: args.only.clone(),
            quiet: args.quiet,
            zkfl_exe: std::env::current_exe()?,
            parallel_clinics: args.parallel_clinics,
            data_dir: args.data.clone(),
        };
        let report = tcga::run(&scenario, &opts)?;
        tcga::print(&report);
        if let Some(dir) = &args.out {
            tcga::write(&report, dir)?;
            println!("wrote {}/report.json", dir.display());
        }
        return Ok(());
    }
    let committee = args
        .committee
        .as_deref()
        .map(|c| demo::committee::CommitteeSpec::parse(c, &args.offline, &args.cheating))
        .transpose()?;
    let opts = demo::Options {
        only: args.only.clone(),
        quiet: args.quiet,
        zkfl_exe: std::env::current_exe()?,
        parallel_clinics: args.parallel_clinics,
        committee,
    };
    let report = demo::run(scenario, &opts)?;
    demo::print(&report);
    if let Some(dir) = &args.out {
        demo::write(&report, dir).map_err(|e| format!("--out {}: {e}", dir.display()))?;
        println!("wrote {}/report.json and SVG plots", dir.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attackers_list_parses_and_empty_means_none() {
        assert_eq!(parse_attackers(""), Ok(vec![]));
        assert_eq!(parse_attackers(" , "), Ok(vec![]));
        assert_eq!(parse_attackers("3,5"), Ok(vec![3, 5]));
        assert!(parse_attackers("3,x").unwrap_err().contains("`x`"));
    }

    #[test]
    fn unwritable_out_dir_is_named() {
        let e = check_out_dir("--out", Path::new("/proc/zkfl-no-such-dir")).unwrap_err();
        assert!(e.contains("/proc/zkfl-no-such-dir"), "{e}");
    }
}
