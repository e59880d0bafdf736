//! The shared round loop: local training at every clinic (in parallel threads), the attack, the
//! configuration's pipeline, FedAvg, evaluation on the held-out set, and the statistics of the report.

use super::pipeline::{Pipeline, Submission, TimeSplit};
use super::report::ConfigReport;
use super::scenario::{Setup, streams};
use std::time::Instant;
use zkfl_learn::{Mlp, apply_update, model_delta};

/// One configuration to run: its report name, description and whether the attackers are active.
#[derive(Clone, Debug)]
pub struct ConfigSpec {
    /// Name in the report (`plain`, `kem`, `zkfl`, `plain_clean`, `zkfl_clean`).
    pub name: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// Whether the scenario's attackers misbehave in this run.
    pub with_attacker: bool,
}

/// Refuses a `--only` name that is not one of `configs` (it would otherwise run nothing and exit 0).
pub fn check_only(only: &[String], configs: &[ConfigSpec]) -> Result<(), String> {
    let names: Vec<&str> = configs.iter().map(|c| c.name).collect();
    match only.iter().find(|o| !names.contains(&o.as_str())) {
        Some(bad) => Err(format!(
            "--only: no configuration `{bad}` (choose from {})",
            names.join(", ")
        )),
        None => Ok(()),
    }
}

/// Runs all rounds of one configuration and returns its report. `status` receives progress messages,
/// `round_done` is called after each round.
pub fn run_config(
    setup: &Setup,
    spec: &ConfigSpec,
    pipeline: &mut dyn Pipeline,
    status: &dyn Fn(&str),
    round_done: &dyn Fn(usize, f64),
) -> Result<ConfigReport, String> {
    let sc = &setup.scenario;
    let mut model = setup.initial.clone();
    let mut report = ConfigReport::new(
        spec,
        model.params().len(),
        pipeline.proof_status(),
        pipeline.notes(),
    );
    let mut total = TimeSplit::default();
    for round in 1..=sc.rounds {
        let round_start = Instant::now();
        status(&format!("round {round}: local training"));
        let t = Instant::now();
        let submissions = local_updates(setup, &model, round, spec.with_attacker);
        let train = t.elapsed().as_secs_f64();
        let mut outcome = pipeline.round(round, model.params(), &submissions, status)?;
        outcome.time.train = train;
        if let Some(mean) = &outcome.mean_update {
            apply_update(model.params_mut(), mean);
        }
        status(&format!("round {round}: evaluating"));
        let acc = model.evaluate(&setup.test).accuracy;
        report.record_round(
            &submissions,
            &outcome,
            acc,
            round_start.elapsed().as_secs_f64(),
        );
        total.add(&outcome.time);
        round_done(round, acc);
    }
    report.committee_ceremony = pipeline.ceremony_costs();
    report.finish(total, sc.rounds);
    Ok(report)
}

/// Every clinic trains from the global model on its own data; attackers replace their update.
fn local_updates(
    setup: &Setup,
    global: &Mlp,
    round: usize,
    with_attacker: bool,
) -> Vec<Submission> {
    let sc = &setup.scenario;
    std::thread::scope(|scope| {
        let handles: Vec<_> = setup
            .local
            .iter()
            .enumerate()
            .map(|(i, data)| {
                let clinic = i + 1;
                scope.spawn(move || {
                    let mut local = global.clone();
                    local.train(data, &sc.train, &mut sc.rng(streams::TRAIN, round, clinic));
                    let honest = model_delta(local.params(), global.params());
                    sc.submission(clinic, round, honest, with_attacker)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}
