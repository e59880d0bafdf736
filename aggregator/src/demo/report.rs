//! The per-configuration report (`report.json`'s `configs` entries) and the terminal table.

use super::committee::{CommitteeRound, MemberCost, mean_costs};
use super::pipeline::{RoundOutcome, Submission, TimeSplit};
use super::runner::ConfigSpec;
use serde::Serialize;
use zkfl_learn::l2_norm;

/// Results of one configuration.
#[derive(Clone, Debug, Serialize)]
pub struct ConfigReport {
    /// `plain`, `kem`, `zkfl`, `plain_clean` or `zkfl_clean`.
    pub name: String,
    /// What the configuration does.
    pub description: String,
    /// Whether the attackers were active.
    pub with_attacker: bool,
    /// Model parameters (108,996 for the paper's MLP).
    pub params: usize,
    /// Test accuracy after the last round.
    pub final_accuracy: f64,
    /// Test accuracy after each round.
    pub accuracy_per_round: Vec<f64>,
    /// Accepted submissions per round.
    pub accepted_per_round: Vec<usize>,
    /// Rejected submissions per round.
    pub rejected_per_round: Vec<usize>,
    /// Malicious submissions sent.
    pub attacker_updates: usize,
    /// Malicious submissions rejected.
    pub attacker_rejected: usize,
    /// Honest submissions sent.
    pub honest_updates: usize,
    /// Honest submissions rejected (false rejections).
    pub honest_rejected: usize,
    /// Clinic-rounds in which a clinic could not submit (its reason is in `rejection_reasons`-style notes).
    pub not_submitted: usize,
    /// Distinct rejection reasons seen, with counts.
    pub rejection_reasons: Vec<(String, usize)>,
    /// Mean wall-clock seconds per round (training, crypto, transport, evaluation).
    pub mean_round_s: f64,
    /// Mean and largest l2 norm of the honest float updates (before clipping), to compare with τ.
    pub honest_norm_mean: f64,
    /// Largest honest update norm seen.
    pub honest_norm_max: f64,
    /// Mean seconds per round per phase.
    pub mean_time_split_s: TimeSplit,
    /// Mean bytes one clinic uploads per round.
    pub upload_bytes_per_clinic: f64,
    /// Rounds in which the decrypted aggregate was checked against the plaintext sum, and how many matched.
    pub aggregate_checks: usize,
    /// Rounds whose decrypted aggregate matched bit for bit.
    pub aggregate_exact: usize,
    /// Zero-knowledge proof status: `n/a`, `verified` or `missing`.
    pub proof: String,
    /// Parameter set, scale and anything missing from this configuration.
    pub notes: Vec<String>,
    /// Threshold configuration: how each round was decrypted (mode, receipts, present set, refusals,
    /// exclusions, supplementary answers, bit-exact check) and each member's costs in it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub committee_rounds: Vec<CommitteeRound>,
    /// Threshold configuration: each member's costs of the key ceremony (once per key epoch).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub committee_ceremony: Vec<MemberCost>,
    /// Threshold configuration: each member's mean costs per round.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub committee_costs_per_round: Vec<MemberCost>,
    #[serde(skip)]
    honest_norm_count: usize,
    #[serde(skip)]
    round_seconds: Vec<f64>,
    #[serde(skip)]
    upload_total: f64,
    #[serde(skip)]
    upload_count: usize,
}

impl ConfigReport {
    /// An empty report for `spec`.
    pub fn new(spec: &ConfigSpec, params: usize, proof: &str, notes: Vec<String>) -> Self {
        Self {
            name: spec.name.to_string(),
            description: spec.description.to_string(),
            with_attacker: spec.with_attacker,
            params,
            final_accuracy: 0.0,
            accuracy_per_round: Vec::new(),
            accepted_per_round: Vec::new(),
            rejected_per_round: Vec::new(),
            attacker_updates: 0,
            attacker_rejected: 0,
            honest_updates: 0,
            honest_rejected: 0,
            not_submitted: 0,
            rejection_reasons: Vec::new(),
            mean_round_s: 0.0,
            honest_norm_mean: 0.0,
            honest_norm_max: 0.0,
            mean_time_split_s: TimeSplit::default(),
            upload_bytes_per_clinic: 0.0,
            aggregate_checks: 0,
            aggregate_exact: 0,
            proof: proof.to_string(),
            notes,
            committee_rounds: Vec::new(),
            committee_ceremony: Vec::new(),
            committee_costs_per_round: Vec::new(),
            honest_norm_count: 0,
            round_seconds: Vec::new(),
            upload_total: 0.0,
            upload_count: 0,
        }
    }

    /// Adds one round's statistics.
    pub fn record_round(
        &mut self,
        subs: &[Submission],
        out: &RoundOutcome,
        accuracy: f64,
        seconds: f64,
    ) {
        let (mut acc, mut rej) = (0, 0);
        for d in &out.decisions {
            let malicious = subs.iter().any(|s| s.clinic == d.clinic && s.malicious);
            if d.accepted {
                acc += 1;
            } else {
                rej += 1;
                if let Some(r) = &d.reason {
                    self.count_reason(r);
                }
            }
            match (malicious, d.accepted) {
                (true, a) => {
                    self.attacker_updates += 1;
                    self.attacker_rejected += usize::from(!a);
                }
                (false, a) => {
                    self.honest_updates += 1;
                    self.honest_rejected += usize::from(!a);
                }
            }
        }
        self.not_submitted += out.not_submitted.len();
        for (_, why) in &out.not_submitted {
            let why = why.split_once(": ").map_or(why.as_str(), |w| w.1);
            self.count_reason(&format!("not submitted ({why})"));
        }
        for s in subs.iter().filter(|s| !s.malicious) {
            let n = l2_norm(&s.update);
            if !n.is_finite() {
                continue;
            }
            self.honest_norm_mean += n;
            self.honest_norm_max = self.honest_norm_max.max(n);
            self.honest_norm_count += 1;
        }
        self.accepted_per_round.push(acc);
        self.rejected_per_round.push(rej);
        self.accuracy_per_round.push(accuracy);
        self.final_accuracy = accuracy;
        self.round_seconds.push(seconds);
        self.upload_total += out.upload_bytes.iter().map(|&b| b as f64).sum::<f64>();
        self.upload_count += out.upload_bytes.len();
        if let Some(exact) = out.aggregate_exact {
            self.aggregate_checks += 1;
            self.aggregate_exact += usize::from(exact);
        }
        if let Some(c) = &out.committee {
            self.committee_rounds.push(c.clone());
        }
    }

    fn count_reason(&mut self, reason: &str) {
        // Group by the stable code (text before the first ':').
        let key = reason
            .split(':')
            .next()
            .unwrap_or(reason)
            .trim()
            .to_string();
        match self.rejection_reasons.iter_mut().find(|(r, _)| *r == key) {
            Some((_, n)) => *n += 1,
            None => self.rejection_reasons.push((key, 1)),
        }
    }

    /// Computes the means once all rounds are in.
    pub fn finish(&mut self, total: TimeSplit, rounds: usize) {
        let n = rounds.max(1) as f64;
        self.honest_norm_mean /= self.honest_norm_count.max(1) as f64;
        self.mean_round_s = self.round_seconds.iter().sum::<f64>() / n;
        self.mean_time_split_s = total.scaled(n);
        self.upload_bytes_per_clinic = self.upload_total / self.upload_count.max(1) as f64;
        self.committee_costs_per_round = mean_costs(&self.committee_rounds);
    }

    /// Seconds of the mean round not in a measured phase (upload, waiting for the slowest clinic,
    /// evaluation); the round-time plot stacks it on top of the phases.
    pub fn other_round_s(&self) -> f64 {
        (self.mean_round_s - self.mean_time_split_s.total()).max(0.0)
    }

    /// The terminal table for this configuration.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let line = "─".repeat(78);
        s += &format!("{line}\n {} — {}\n{line}\n", self.name, self.description);
        s += " round │ accuracy │ accepted │ rejected\n";
        for (i, a) in self.accuracy_per_round.iter().enumerate() {
            s += &format!(
                " {:>5} │ {:>7.2}% │ {:>8} │ {:>8}\n",
                i + 1,
                100.0 * a,
                self.accepted_per_round[i],
                self.rejected_per_round[i]
            );
        }
        s += &format!(
            " final accuracy        {:.2}%\n",
            100.0 * self.final_accuracy
        );
        s += &format!(
            " attacker updates      {} sent, {} rejected{}\n",
            self.attacker_updates,
            self.attacker_rejected,
            percent(self.attacker_rejected, self.attacker_updates)
        );
        s += &format!(
            " false rejections      {} of {} honest updates\n",
            self.honest_rejected, self.honest_updates
        );
        if self.not_submitted > 0 {
            s += &format!(
                " not submitted         {} clinic-rounds\n",
                self.not_submitted
            );
        }
        for (r, n) in &self.rejection_reasons {
            s += &format!(" rejection reason      {r} ×{n}\n");
        }
        s += &format!(
            " honest update norm    mean {:.3}, max {:.3} (bound τ applies in zkfl)\n",
            self.honest_norm_mean, self.honest_norm_max
        );
        let t = &self.mean_time_split_s;
        s += &format!(" mean round time       {:.3} s\n", self.mean_round_s);
        s += &format!(
            "   train {:.3} │ encrypt {:.3} │ prove {:.3} │ verify {:.3} │ aggregate {:.3} │ decrypt {:.3} │ other {:.3}\n",
            t.train,
            t.encrypt,
            t.prove,
            t.verify,
            t.aggregate,
            t.decrypt,
            self.other_round_s()
        );
        s += &format!(
            " upload per clinic     {} per round\n",
            human_bytes(self.upload_bytes_per_clinic)
        );
        if self.aggregate_checks > 0 {
            s += &format!(
                " decrypted aggregate   bit-exact in {} of {} rounds\n",
                self.aggregate_exact, self.aggregate_checks
            );
        }
        s += &format!(" zero-knowledge proof  {}\n", self.proof);
        s += &self.committee_table();
        for n in &self.notes {
            s += &format!(" note: {n}\n");
        }
        s
    }
}

impl ConfigReport {
    /// The threshold configuration's rounds and per-member costs (empty for the other configurations).
    fn committee_table(&self) -> String {
        let mut s = String::new();
        if self.committee_rounds.is_empty() {
            return s;
        }
        s += " committee rounds\n";
        for r in &self.committee_rounds {
            for l in r.lines() {
                s += &l;
                s += "\n";
            }
        }
        let cost = |c: &MemberCost| {
            format!(
                "{:>8.3} s │ {:>10} in │ {:>10} out │ {:>3} requests",
                c.seconds,
                human_bytes(c.bytes_in as f64),
                human_bytes(c.bytes_out as f64),
                c.requests
            )
        };
        s += " per-member costs      (wall time the member spent answering; bytes it received and sent)\n";
        for c in &self.committee_costs_per_round {
            s += &format!("   member {} per round  {}\n", c.member, cost(c));
        }
        for c in &self.committee_ceremony {
            s += &format!("   member {} ceremony   {}\n", c.member, cost(c));
        }
        s
    }
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        String::new()
    } else {
        format!(" ({:.0}%)", 100.0 * part as f64 / whole as f64)
    }
}

/// Bytes in B/KiB/MiB.
pub fn human_bytes(b: f64) -> String {
    if b >= 1024.0 * 1024.0 {
        format!("{:.2} MiB", b / (1024.0 * 1024.0))
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{b:.0} B")
    }
}

/// One-line comparison of all configurations.
pub fn summary(configs: &[ConfigReport]) -> String {
    let mut s = format!(
        "{:<12} │ {:>9} │ {:>13} │ {:>10} │ {:>11} │ {:>10} │ {}\n",
        "config", "final acc", "attacker rej.", "false rej.", "round time", "upload", "proof"
    );
    for c in configs {
        s += &format!(
            "{:<12} │ {:>8.2}% │ {:>13} │ {:>10} │ {:>9.3} s │ {:>10} │ {}\n",
            c.name,
            100.0 * c.final_accuracy,
            format!("{}/{}", c.attacker_rejected, c.attacker_updates),
            c.honest_rejected,
            c.mean_round_s,
            human_bytes(c.upload_bytes_per_clinic),
            c.proof
        );
    }
    s
}
