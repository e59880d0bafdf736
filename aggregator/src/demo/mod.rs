//! `zkfl demo`: the paper's experiment, reproduced and extended (docs/DEMO.md). Runs several
//! configurations of the same federated training — plain FedAvg, FedAvg over the ML-KEM channel, full
//! ZKFL-PQ — with and without an attacker, and reports accuracy, rejections, time and bytes.

pub mod attack;
pub mod clinic;
pub mod committee;
pub mod kem;
pub mod pipeline;
pub mod plain;
pub mod plots;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod serve;
pub mod tcga;
pub mod transport;
pub mod zkfl;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use pipeline::Pipeline;
use rand_core::Rng;
use report::ConfigReport;
use runner::{ConfigSpec, run_config};
use scenario::{Scenario, Setup};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The configurations, in the order they run (`zkfl_committee` only with `--committee`).
pub const CONFIGS: [ConfigSpec; 6] = [
    ConfigSpec {
        name: "plain",
        description: "plain FedAvg, attacker active (the paper's baseline)",
        with_attacker: true,
    },
    ConfigSpec {
        name: "plain_clean",
        description: "plain FedAvg, no attacker (reference accuracy)",
        with_attacker: false,
    },
    ConfigSpec {
        name: "kem",
        description: "FedAvg over the post-quantum channel (ML-KEM-768 envelope, ML-DSA-65), attacker active",
        with_attacker: true,
    },
    ConfigSpec {
        name: "zkfl",
        description: "ZKFL-PQ through zkfl serve: clip, quantize, BFV-encrypt, prove, verify, aggregate, decrypt the sum; attacker active",
        with_attacker: true,
    },
    ConfigSpec {
        name: "zkfl_clean",
        description: "ZKFL-PQ through zkfl serve, no attacker (quantization/clipping cost)",
        with_attacker: false,
    },
    ConfigSpec {
        name: COMMITTEE_CONFIG,
        description: "ZKFL-PQ through zkfl serve with threshold decryption: a t-of-n key-holder committee of processes over HTTP, members offline and cheating as given; attacker active",
        with_attacker: true,
    },
];

/// The threshold configuration's name.
pub const COMMITTEE_CONFIG: &str = "zkfl_committee";

/// The configurations a run executes: `--only`'s (all but the threshold one if empty); with `--committee` and
/// no `--only`, the threshold configuration alone.
///
/// # Errors
/// An unknown name, or `zkfl_committee` without `--committee`.
pub fn selected(only: &[String], committee: bool) -> Result<Vec<&'static ConfigSpec>, String> {
    runner::check_only(only, &CONFIGS)?;
    if !committee && only.iter().any(|o| o == COMMITTEE_CONFIG) {
        return Err(format!(
            "--only {COMMITTEE_CONFIG} needs --committee T-of-N (e.g. --committee 3-of-5 --offline 5 --cheating 2)"
        ));
    }
    Ok(CONFIGS
        .iter()
        .filter(|c| match (only.is_empty(), committee) {
            (true, true) => c.name == COMMITTEE_CONFIG,
            (true, false) => c.name != COMMITTEE_CONFIG,
            (false, _) => only.iter().any(|o| o == c.name),
        })
        .collect())
}

/// Everything `report.json` holds.
#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    /// Model parameters.
    pub params: usize,
    /// Clinics.
    pub clinics: usize,
    /// Rounds.
    pub rounds: usize,
    /// 1-based attacker ids.
    pub attackers: Vec<usize>,
    /// 1-based first malicious round.
    pub attack_from: usize,
    /// The attack.
    pub attack: String,
    /// Norm bound τ.
    pub norm_bound: f32,
    /// Master seed.
    pub seed: u64,
    /// Samples held by each clinic.
    pub samples_per_clinic: Vec<usize>,
    /// Parameter set, quantization scale, B_int and t of the encrypted configurations.
    pub crypto: zkfl::CryptoParams,
    /// The threshold configuration's committee (`--committee`, `--offline`, `--cheating`), if it ran.
    pub committee: Option<committee::CommitteeSpec>,
    /// One entry per configuration.
    pub configs: Vec<ConfigReport>,
}

/// How to run the demo besides the scenario.
#[derive(Clone, Debug)]
pub struct Options {
    /// Run only these configurations (all if empty).
    pub only: Vec<String>,
    /// No progress bars.
    pub quiet: bool,
    /// The `zkfl` binary whose `keygen` and `serve` subcommands the encrypted configurations start
    /// (`zkfl demo` passes its own executable; tests pass `CARGO_BIN_EXE_zkfl`).
    pub zkfl_exe: PathBuf,
    /// Clinics that encrypt and prove at the same time in the encrypted configurations (0: one per core).
    pub parallel_clinics: usize,
    /// The threshold configuration's committee (`zkfl demo --committee 3-of-5 --offline 5 --cheating 2`).
    pub committee: Option<committee::CommitteeSpec>,
}

/// Runs the selected configurations; progress bars go to stderr unless `quiet`.
pub fn run(scenario: Scenario, opts: &Options) -> Result<DemoReport, String> {
    let only = &opts.only;
    let quiet = opts.quiet;
    scenario.validate()?;
    let configs_to_run = selected(only, opts.committee.is_some())?;
    // The clinic limit of the encrypted configurations comes before the data split, whose error would hide it.
    let crypto = zkfl::CryptoParams::new(scenario.clinics, scenario.params(), scenario.norm_bound)?;
    let setup = Setup::new(scenario)?;
    let sc = &setup.scenario;
    let multi = MultiProgress::with_draw_target(if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    });
    let style = ProgressStyle::with_template(
        "{prefix:>12} [{bar:30}] {pos}/{len} rounds {elapsed:>4} {msg}",
    )
    .map_err(|e| e.to_string())?
    .progress_chars("=> ");
    let mut configs = Vec::new();
    for spec in configs_to_run {
        let mut pipeline = make_pipeline(spec, &setup, opts)?;
        let bar = multi.add(ProgressBar::new(sc.rounds as u64));
        bar.set_style(style.clone());
        bar.set_prefix(spec.name);
        let status = |m: &str| bar.set_message(m.to_string());
        let done = |r: usize, acc: f64| {
            bar.inc(1);
            bar.set_message(format!("accuracy {:.2}%", 100.0 * acc));
            // Progress bars draw only on a terminal; redirected output gets one line per round.
            if !quiet && !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                eprintln!(
                    "{} round {r}/{}: accuracy {:.2}%",
                    spec.name,
                    sc.rounds,
                    100.0 * acc
                );
            }
        };
        let report = run_config(&setup, spec, pipeline.as_mut(), &status, &done)?;
        bar.finish_with_message(format!(
            "final accuracy {:.2}%",
            100.0 * report.final_accuracy
        ));
        configs.push(report);
    }
    Ok(DemoReport {
        params: setup.initial.params().len(),
        clinics: sc.clinics,
        rounds: sc.rounds,
        attackers: sc.attackers.clone(),
        attack_from: sc.attack_from,
        attack: sc.attack.label(),
        norm_bound: sc.norm_bound,
        seed: sc.seed,
        samples_per_clinic: setup.local.iter().map(|d| d.len()).collect(),
        crypto,
        committee: opts.committee.clone(),
        configs,
    })
}

fn make_pipeline(
    spec: &ConfigSpec,
    setup: &Setup,
    opts: &Options,
) -> Result<Box<dyn Pipeline>, String> {
    let sc = &setup.scenario;
    match spec.name {
        "plain" | "plain_clean" => Ok(Box::new(plain::PlainFedAvg)),
        "kem" => Ok(Box::new(kem::KemFedAvg::new(
            sc.clinics,
            sc.rng(scenario::streams::CRYPTO, 0, 1).next_u64(),
        )?)),
        COMMITTEE_CONFIG => {
            let committee = opts
                .committee
                .as_ref()
                .ok_or("zkfl_committee needs --committee T-of-N")?;
            Ok(Box::new(zkfl::ZkflPipeline::committee(
                &opts.zkfl_exe,
                spec.name,
                sc.clinics,
                setup.initial.params(),
                sc.norm_bound,
                sc.rng(scenario::streams::CRYPTO, 0, 2).next_u64(),
                opts.parallel_clinics,
                committee,
            )?))
        }
        "zkfl" | "zkfl_clean" => Ok(Box::new(zkfl::ZkflPipeline::new(
            &opts.zkfl_exe,
            spec.name,
            sc.clinics,
            setup.initial.params().len(),
            sc.norm_bound,
            sc.rng(scenario::streams::CRYPTO, 0, 0).next_u64(),
            opts.parallel_clinics,
        )?)),
        other => Err(format!("unknown configuration {other}")),
    }
}

/// Prints the tables and the summary.
pub fn print(report: &DemoReport) {
    println!(
        "ZKFL-PQ demo: MLP with {} parameters, {} clinics (samples {:?}), {} rounds, attackers {:?} from round {} ({}), τ = {}, seed {}",
        report.params,
        report.clinics,
        report.samples_per_clinic,
        report.rounds,
        report.attackers,
        report.attack_from,
        report.attack,
        report.norm_bound,
        report.seed
    );
    println!("{}", report.crypto.line());
    if let Some(c) = &report.committee {
        println!(
            "threshold configuration: {} committee, offline {:?}, cheating {:?} (demo only), set L (its own line below)",
            c.mode(),
            c.offline,
            c.cheating
        );
    }
    for c in &report.configs {
        println!("{}", c.table());
    }
    println!("{}", report::summary(&report.configs));
}

/// Writes `report.json` and the SVG plots into `dir` (created if missing).
pub fn write(report: &DemoReport, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("report.json"), serde_json::to_vec_pretty(report)?)?;
    plots::write_all(dir, &report.configs)?;
    Ok(())
}
