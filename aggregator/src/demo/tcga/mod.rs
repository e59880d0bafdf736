//! `zkfl demo --dataset fed-tcga-brca`: FLamby's Fed-TCGA-BRCA benchmark — a linear Cox model (39 weights,
//! no bias) over 6 real regional centres — trained with FedAvg in four configurations (plain, plain with an
//! attacking centre, ZKFL-PQ with the attacker, ZKFL-PQ clean) next to local-only training, scored by the
//! concordance index (docs/DEMO.md "Fed-TCGA-BRCA").
//!
//! The configurations share the synthetic demo's machinery: the same [`Pipeline`]s (ZKFL-PQ through a real
//! `zkfl serve`: clip, quantize, BFV-encrypt, prove, verify, homomorphic sum, decrypt the sum only; the 39
//! weights fit one BFV chunk), the same attack and the same per-round statistics ([`ConfigReport`]).

pub mod data;

use super::pipeline::{Pipeline, Submission};
use super::plain::PlainFedAvg;
use super::report::ConfigReport;
use super::runner::ConfigSpec;
use super::scenario::{AttackKind, Scenario, streams};
use super::zkfl::{CryptoParams, ZkflPipeline};
use data::{FEATURES, FedTcgaBrca};
use rand_core::Rng;
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;
use zkfl_learn::cox::{self, SurvivalSet};
use zkfl_learn::{TrainConfig, apply_update, concordance_index, l2_norm, model_delta};

/// Name of the data set on the command line and in `report.json`.
pub const NAME: &str = "fed-tcga-brca";

/// Clip bound τ of this data set (docs/DEMO.md "Choosing τ"). Without an attacker the honest update norms
/// of the default run (20 rounds, 6 centres, plain FedAvg) have median 0.048, 90th percentile 0.135 and
/// maximum 0.214, so τ = 0.3 clips no clean honest update (1.4× headroom over the largest) while an attacker
/// is held to a norm 17× below the paper's τ = 5, which was chosen for a 108,996-parameter MLP.
pub const NORM_BOUND: f32 = 0.3;

/// The configurations, in the order they run (the `--only` names).
pub const CONFIGS: [ConfigSpec; 4] = [
    ConfigSpec {
        name: "plain_clean",
        description: "plain FedAvg over the 6 centres, no attacker",
        with_attacker: false,
    },
    ConfigSpec {
        name: "plain",
        description: "plain FedAvg, attacking centre active",
        with_attacker: true,
    },
    ConfigSpec {
        name: "zkfl",
        description: "ZKFL-PQ through zkfl serve (clip, quantize, BFV-encrypt, prove, verify, aggregate, decrypt the sum); attacking centre active",
        with_attacker: true,
    },
    ConfigSpec {
        name: "zkfl_clean",
        description: "ZKFL-PQ through zkfl serve, no attacker",
        with_attacker: false,
    },
];

impl Scenario {
    /// The Fed-TCGA-BRCA defaults: the 6 centres, 20 rounds, centre 6 (Canada, the smallest) sends
    /// N(0, 50²) noise from round 4 as in the paper's experiment, τ = [`NORM_BOUND`], one local epoch of
    /// mini-batch gradient descent (batch 16, learning rate 0.1) per round.
    pub fn fed_tcga_brca(seed: u64) -> Self {
        let mut s = Self::paper(seed);
        s.clinics = data::CENTRES.len();
        s.rounds = 20;
        s.attackers = vec![6];
        s.attack_from = 4;
        s.attack = AttackKind::Noise { sigma: 50.0 };
        s.norm_bound = NORM_BOUND;
        s.train = cox::TRAIN;
        s
    }
}

/// Distribution of update norms (l2), to set next to τ.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NormSummary {
    /// Updates counted.
    pub count: usize,
    /// Smallest.
    pub min: f64,
    /// 10th percentile.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Largest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl NormSummary {
    /// Summary of `norms` (non-finite values are skipped); nearest-rank percentiles.
    pub fn of(norms: &[f64]) -> Self {
        let mut v: Vec<f64> = norms.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return Self::default();
        }
        v.sort_by(f64::total_cmp);
        let pick = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        Self {
            count: v.len(),
            min: v[0],
            p10: pick(0.1),
            p50: pick(0.5),
            p90: pick(0.9),
            max: v[v.len() - 1],
            mean: v.iter().sum::<f64>() / v.len() as f64,
        }
    }
}

/// C-index of a model on the pooled test set and on each centre's test set.
#[derive(Clone, Debug, Serialize)]
pub struct Scores {
    /// Pooled test set (all 222 test patients).
    pub c_index: Option<f64>,
    /// Each centre's test set, in centre order (`null` if a centre's test set has no comparable pair).
    pub c_index_per_centre: Vec<Option<f64>>,
}

/// One configuration's results.
#[derive(Clone, Debug, Serialize)]
pub struct TcgaConfigReport {
    /// `plain_clean`, `plain`, `zkfl` or `zkfl_clean`.
    pub name: String,
    /// What the configuration does.
    pub description: String,
    /// Whether the attacking centre was active.
    pub with_attacker: bool,
    /// C-index of the final global model on the pooled test set.
    pub c_index: Option<f64>,
    /// C-index of the final global model on each centre's test set.
    pub c_index_per_centre: Vec<Option<f64>>,
    /// Pooled test C-index after each round.
    pub c_index_per_round: Vec<Option<f64>>,
    /// Malicious submissions sent.
    pub attacker_updates: usize,
    /// Malicious submissions rejected.
    pub attacker_rejected: usize,
    /// Honest submissions sent.
    pub honest_updates: usize,
    /// Honest submissions rejected (false rejections).
    pub honest_rejected: usize,
    /// Rejection reasons (server codes) with counts.
    pub rejection_reasons: Vec<(String, usize)>,
    /// Accepted submissions per round.
    pub accepted_per_round: Vec<usize>,
    /// Honest update norms over all rounds and centres (before clipping).
    pub honest_norms: NormSummary,
    /// Rounds whose decrypted aggregate matched the plaintext sum of the accepted quantized updates bit for bit.
    pub aggregate_exact: usize,
    /// Rounds checked that way.
    pub aggregate_checks: usize,
    /// Mean wall-clock seconds per round.
    pub mean_round_s: f64,
    /// Mean bytes one centre uploads per round.
    pub upload_bytes_per_clinic: f64,
    /// Zero-knowledge proof status: `n/a` or `verified`.
    pub proof: String,
    /// Parameter set, transport and proof notes.
    pub notes: Vec<String>,
}

/// A centre as the report lists it.
#[derive(Clone, Debug, Serialize)]
pub struct CentreInfo {
    /// Region.
    pub name: &'static str,
    /// Training patients.
    pub train: usize,
    /// Test patients.
    pub test: usize,
    /// Deaths among the training patients.
    pub train_events: usize,
    /// Deaths among the test patients.
    pub test_events: usize,
}

/// Everything `report.json` holds for the Fed-TCGA-BRCA run.
#[derive(Clone, Debug, Serialize)]
pub struct TcgaReport {
    /// `fed-tcga-brca`.
    pub dataset: &'static str,
    /// Model: weights of the linear Cox model.
    pub params: usize,
    /// The centres (clinic i = centre i).
    pub centres: Vec<CentreInfo>,
    /// Rounds.
    pub rounds: usize,
    /// 1-based attacking centres.
    pub attackers: Vec<usize>,
    /// 1-based first malicious round.
    pub attack_from: usize,
    /// The attack.
    pub attack: String,
    /// Norm bound τ.
    pub norm_bound: f32,
    /// Honest update norms over the clean configurations' rounds and centres (the distribution to set τ
    /// from; under attack the honest norms grow with the damage, see each configuration's `honest_norms`).
    /// Over the attacked configurations if no clean one ran.
    pub honest_norms: NormSummary,
    /// Master seed.
    pub seed: u64,
    /// Local epochs, batch size and learning rate per round.
    pub local_training: String,
    /// Parameter set, scale, B_int and t of the ZKFL-PQ configurations.
    pub crypto: CryptoParams,
    /// One entry per configuration.
    pub configs: Vec<TcgaConfigReport>,
    /// Each centre trained alone for the same number of local epochs (rounds × epochs); pooled = every test
    /// patient scored by the model of their own centre.
    pub local_only: Scores,
}

/// How to run it besides the scenario.
#[derive(Clone, Debug)]
pub struct TcgaOptions {
    /// Run only these configurations (all if empty).
    pub only: Vec<String>,
    /// No per-round progress lines.
    pub quiet: bool,
    /// The `zkfl` binary whose `keygen` and `serve` the ZKFL-PQ configurations start.
    pub zkfl_exe: PathBuf,
    /// Clinics that encrypt and prove at the same time (0: one per core).
    pub parallel_clinics: usize,
    /// Data directory; the copy compiled into the binary if `None`.
    pub data_dir: Option<PathBuf>,
}

/// Checks the scenario fits this data set and that every `--only` name is one of [`CONFIGS`].
pub fn validate(sc: &Scenario, only: &[String]) -> Result<(), String> {
    sc.validate()?;
    if sc.clinics != data::CENTRES.len() {
        return Err(format!(
            "Fed-TCGA-BRCA has exactly {} centres, not {}",
            data::CENTRES.len(),
            sc.clinics
        ));
    }
    super::runner::check_only(only, &CONFIGS)
}

/// Loads the data, runs the selected configurations and local-only training.
pub fn run(sc: &Scenario, opts: &TcgaOptions) -> Result<TcgaReport, String> {
    validate(sc, &opts.only)?;
    let data = match &opts.data_dir {
        Some(dir) => FedTcgaBrca::load(dir),
        None => FedTcgaBrca::embedded(),
    }
    .map_err(|e| format!("Fed-TCGA-BRCA: {e}"))?;
    let crypto = CryptoParams::new(sc.clinics, FEATURES, sc.norm_bound)?;
    let mut configs = Vec::new();
    let (mut clean_norms, mut attacked_norms) = (Vec::new(), Vec::new());
    for spec in CONFIGS
        .iter()
        .filter(|c| opts.only.is_empty() || opts.only.iter().any(|o| o == c.name))
    {
        let mut pipeline: Box<dyn Pipeline> = match spec.name {
            "plain" | "plain_clean" => Box::new(PlainFedAvg),
            _ => Box::new(ZkflPipeline::new(
                &opts.zkfl_exe,
                &format!("tcga-{}", spec.name),
                sc.clinics,
                FEATURES,
                sc.norm_bound,
                sc.rng(streams::CRYPTO, 0, 0).next_u64(),
                opts.parallel_clinics,
            )?),
        };
        let (report, norms) = run_config(sc, &data, spec, pipeline.as_mut(), opts.quiet)?;
        if spec.with_attacker {
            attacked_norms.extend(norms);
        } else {
            clean_norms.extend(norms);
        }
        configs.push(report);
    }
    Ok(TcgaReport {
        dataset: NAME,
        params: FEATURES,
        centres: data
            .centres
            .iter()
            .map(|c| CentreInfo {
                name: c.name,
                train: c.train.len(),
                test: c.test.len(),
                train_events: c.train.events(),
                test_events: c.test.events(),
            })
            .collect(),
        rounds: sc.rounds,
        attackers: sc.attackers.clone(),
        attack_from: sc.attack_from,
        attack: sc.attack.label(),
        norm_bound: sc.norm_bound,
        honest_norms: NormSummary::of(if clean_norms.is_empty() {
            &attacked_norms
        } else {
            &clean_norms
        }),
        seed: sc.seed,
        local_training: format!(
            "{} epoch(s), batch {}, learning rate {}",
            sc.train.epochs, sc.train.batch, sc.train.lr
        ),
        crypto,
        configs,
        local_only: local_only(sc, &data),
    })
}

/// C-index of `w` on the pooled test set and per centre.
pub fn scores(w: &[f32], data: &FedTcgaBrca) -> Scores {
    let pooled = data.pooled_test();
    Scores {
        c_index: c_index(w, &pooled),
        c_index_per_centre: data.centres.iter().map(|c| c_index(w, &c.test)).collect(),
    }
}

fn c_index(w: &[f32], set: &SurvivalSet) -> Option<f64> {
    concordance_index(&set.time, &set.event, &cox::risks(w, set))
}

/// Every centre trains alone from w = 0 for rounds × epochs local epochs, with the same training stream.
pub fn local_only(sc: &Scenario, data: &FedTcgaBrca) -> Scores {
    let cfg = TrainConfig {
        epochs: sc.train.epochs * sc.rounds,
        ..sc.train
    };
    let models: Vec<Vec<f32>> = data
        .centres
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut w = vec![0.0f32; FEATURES];
            cox::train(
                &mut w,
                &c.train,
                &cfg,
                &mut sc.rng(streams::TRAIN, 0, i + 1),
            );
            w
        })
        .collect();
    let (mut time, mut event, mut risk) = (Vec::new(), Vec::new(), Vec::new());
    for (c, w) in data.centres.iter().zip(&models) {
        time.extend_from_slice(&c.test.time);
        event.extend_from_slice(&c.test.event);
        risk.extend(cox::risks(w, &c.test));
    }
    Scores {
        c_index: concordance_index(&time, &event, &risk),
        c_index_per_centre: data
            .centres
            .iter()
            .zip(&models)
            .map(|(c, w)| c_index(w, &c.test))
            .collect(),
    }
}

/// The rounds of one configuration; returns its report and the honest update norms seen.
fn run_config(
    sc: &Scenario,
    data: &FedTcgaBrca,
    spec: &ConfigSpec,
    pipeline: &mut dyn Pipeline,
    quiet: bool,
) -> Result<(TcgaConfigReport, Vec<f64>), String> {
    let mut w = vec![0.0f32; FEATURES];
    let mut stats = ConfigReport::new(spec, FEATURES, pipeline.proof_status(), pipeline.notes());
    let mut per_round = Vec::new();
    let mut norms = Vec::new();
    let mut total = super::pipeline::TimeSplit::default();
    for round in 1..=sc.rounds {
        let start = Instant::now();
        let subs = local_updates(sc, data, &w, round, spec.with_attacker);
        norms.extend(
            subs.iter()
                .filter(|s| !s.malicious)
                .map(|s| l2_norm(&s.update)),
        );
        let outcome = pipeline.round(round, &w, &subs, &|_| {})?;
        if let Some(mean) = &outcome.mean_update {
            apply_update(&mut w, mean);
        }
        let c = scores(&w, data).c_index;
        stats.record_round(
            &subs,
            &outcome,
            c.unwrap_or(f64::NAN),
            start.elapsed().as_secs_f64(),
        );
        total.add(&outcome.time);
        per_round.push(c);
        if !quiet {
            let accepted = outcome.decisions.iter().filter(|d| d.accepted).count();
            eprintln!(
                "{} round {round}/{}: pooled C-index {}, {accepted}/{} updates accepted",
                spec.name,
                sc.rounds,
                fmt_c(c),
                subs.len()
            );
        }
    }
    stats.finish(total, sc.rounds);
    let final_scores = scores(&w, data);
    let report = TcgaConfigReport {
        name: spec.name.to_string(),
        description: spec.description.to_string(),
        with_attacker: spec.with_attacker,
        c_index: final_scores.c_index,
        c_index_per_centre: final_scores.c_index_per_centre,
        c_index_per_round: per_round,
        attacker_updates: stats.attacker_updates,
        attacker_rejected: stats.attacker_rejected,
        honest_updates: stats.honest_updates,
        honest_rejected: stats.honest_rejected,
        rejection_reasons: stats.rejection_reasons.clone(),
        accepted_per_round: stats.accepted_per_round.clone(),
        honest_norms: NormSummary::of(&norms),
        aggregate_exact: stats.aggregate_exact,
        aggregate_checks: stats.aggregate_checks,
        mean_round_s: stats.mean_round_s,
        upload_bytes_per_clinic: stats.upload_bytes_per_clinic,
        proof: stats.proof.clone(),
        notes: stats.notes.clone(),
    };
    Ok((report, norms))
}

/// Each centre trains one round from the global weights; the attacking centre replaces its update.
fn local_updates(
    sc: &Scenario,
    data: &FedTcgaBrca,
    global: &[f32],
    round: usize,
    with_attacker: bool,
) -> Vec<Submission> {
    data.centres
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let clinic = i + 1;
            let mut local = global.to_vec();
            cox::train(
                &mut local,
                &c.train,
                &sc.train,
                &mut sc.rng(streams::TRAIN, round, clinic),
            );
            sc.submission(clinic, round, model_delta(&local, global), with_attacker)
        })
        .collect()
}

fn fmt_c(c: Option<f64>) -> String {
    c.map_or_else(|| "  n/a".into(), |c| format!("{c:.3}"))
}

/// The terminal tables: C-index per configuration and centre, then rejections and norms.
pub fn print(r: &TcgaReport) {
    println!(
        "ZKFL-PQ demo on Fed-TCGA-BRCA: linear Cox model ({} weights), {} centres, {} rounds ({}), attacking centre {:?} from round {} ({}), τ = {}, seed {}",
        r.params,
        r.centres.len(),
        r.rounds,
        r.local_training,
        r.attackers,
        r.attack_from,
        r.attack,
        r.norm_bound,
        r.seed
    );
    println!("{}", r.crypto.line());
    let mut head = format!("{:<13} │ {:>6}", "C-index", "pooled");
    for c in &r.centres {
        head += &format!(" │ {:>9}", c.name);
    }
    println!("{head}");
    let row = |name: &str, s: &Scores| {
        let mut line = format!("{name:<13} │ {:>6}", fmt_c(s.c_index));
        for c in &s.c_index_per_centre {
            line += &format!(" │ {:>9}", fmt_c(*c));
        }
        println!("{line}");
    };
    for c in &r.configs {
        row(
            &c.name,
            &Scores {
                c_index: c.c_index,
                c_index_per_centre: c.c_index_per_centre.clone(),
            },
        );
    }
    row("local only", &r.local_only);
    println!(
        "{:<13} │ {:>13} │ {:>10} │ {:>15} │ {:>11} │ proof",
        "config", "attacker rej.", "false rej.", "bit-exact sums", "round time"
    );
    for c in &r.configs {
        println!(
            "{:<13} │ {:>13} │ {:>10} │ {:>15} │ {:>9.3} s │ {}",
            c.name,
            format!("{}/{}", c.attacker_rejected, c.attacker_updates),
            format!("{}/{}", c.honest_rejected, c.honest_updates),
            format!("{}/{}", c.aggregate_exact, c.aggregate_checks),
            c.mean_round_s,
            c.proof
        );
    }
    let n = &r.honest_norms;
    if n.count == 0 {
        println!("honest update norms: none recorded; τ = {}", r.norm_bound);
        return;
    }
    println!(
        "honest update norms ({} updates): min {:.4}, p10 {:.4}, median {:.4}, p90 {:.4}, max {:.4}; τ = {} ({:.1}× the largest)",
        n.count,
        n.min,
        n.p10,
        n.p50,
        n.p90,
        n.max,
        r.norm_bound,
        f64::from(r.norm_bound) / n.max.max(f64::MIN_POSITIVE)
    );
}

/// Writes `report.json` into `dir` (created if missing).
pub fn write(r: &TcgaReport, dir: &std::path::Path) -> Result<(), String> {
    let path = dir.join("report.json");
    let json = serde_json::to_vec_pretty(r).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&path, json))
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_summary_percentiles() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        let s = NormSummary::of(&v);
        assert_eq!(
            (s.count, s.min, s.p10, s.p50, s.p90, s.max),
            (10, 1.0, 1.0, 5.0, 9.0, 10.0)
        );
        assert!((s.mean - 5.5).abs() < 1e-12);
        assert_eq!(NormSummary::of(&[f64::NAN]).count, 0);
    }

    #[test]
    fn federated_training_beats_chance_and_local_only_runs() {
        let data = FedTcgaBrca::embedded().expect("data");
        let sc = Scenario::fed_tcga_brca(1);
        let mut w = vec![0.0f32; FEATURES];
        for round in 1..=sc.rounds {
            let subs = local_updates(&sc, &data, &w, round, false);
            let mean = zkfl_learn::mean_update(subs.iter().map(|s| &s.update[..]), FEATURES)
                .expect("updates");
            apply_update(&mut w, &mean);
            for s in &subs {
                assert!(
                    l2_norm(&s.update) < f64::from(NORM_BOUND),
                    "honest norm above τ"
                );
            }
        }
        let c = scores(&w, &data).c_index.expect("comparable pairs");
        assert!(c > 0.6, "pooled C-index {c}");
        let local = local_only(&sc, &data);
        assert_eq!(local.c_index_per_centre.len(), 6);
        assert!(local.c_index.is_some());
    }

    #[test]
    fn only_names_and_centre_count_are_checked() {
        let sc = Scenario::fed_tcga_brca(1);
        assert!(validate(&sc, &["zkfl".into()]).is_ok());
        let e = validate(&sc, &["kem".into()]).unwrap_err();
        assert!(
            e.contains("no configuration `kem`") && e.contains("plain_clean"),
            "{e}"
        );
        let mut five = sc.clone();
        five.clinics = 5;
        five.attackers.clear();
        assert!(
            validate(&five, &[])
                .unwrap_err()
                .contains("exactly 6 centres")
        );
    }
}
