//! Configuration `plain`: the paper's baseline. Every update is averaged as is — no channel, no checks.

use super::pipeline::{Decision, Pipeline, RoundOutcome, Submission, TimeSplit};
use std::time::Instant;
use zkfl_learn::mean_update;

/// Plain FedAvg in process.
#[derive(Debug, Default)]
pub struct PlainFedAvg;

impl Pipeline for PlainFedAvg {
    fn round(
        &mut self,
        _round: usize,
        global: &[f32],
        submissions: &[Submission],
        _status: &dyn Fn(&str),
    ) -> Result<RoundOutcome, String> {
        let t = Instant::now();
        let mean = mean_update(submissions.iter().map(|s| &s.update[..]), global.len());
        let aggregate = t.elapsed().as_secs_f64();
        Ok(RoundOutcome {
            mean_update: mean,
            decisions: submissions
                .iter()
                .map(|s| Decision {
                    clinic: s.clinic,
                    accepted: true,
                    reason: None,
                })
                .collect(),
            time: TimeSplit {
                aggregate,
                ..TimeSplit::default()
            },
            // What a plain client uploads: the raw little-endian f32 vector.
            upload_bytes: submissions
                .iter()
                .map(|s| 4 * s.update.len() as u64)
                .collect(),
            aggregate_exact: None,
            not_submitted: Vec::new(),
            committee: None,
        })
    }
}
