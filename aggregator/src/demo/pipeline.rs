//! What differs between configurations: how the clinics' updates reach the aggregator and how they are
//! checked and combined. The round loop (`runner`) is shared, so every configuration trains identically.

use serde::Serialize;

/// One clinic's update for a round, as produced by local training (or by the attack).
#[derive(Clone, Debug)]
pub struct Submission {
    /// 1-based clinic id.
    pub clinic: usize,
    /// The float update d = w_local − w_global (or the malicious vector).
    pub update: Vec<f32>,
    /// True if this clinic attacks in this round (ground truth for the statistics, never sent).
    pub malicious: bool,
}

/// The aggregator's verdict on one submission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// 1-based clinic id.
    pub clinic: usize,
    /// Accepted into the aggregate.
    pub accepted: bool,
    /// Rejection code and message, if rejected.
    pub reason: Option<String>,
}

/// Wall-clock seconds spent per phase of a round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct TimeSplit {
    /// Local training (all clinics, in parallel).
    pub train: f64,
    /// Clip, quantize, BFV-encrypt (and seal the envelope).
    pub encrypt: f64,
    /// Norm/well-formedness proof generation.
    pub prove: f64,
    /// Envelope opening, signature and proof verification (aggregator side, including upload).
    pub verify: f64,
    /// Combining accepted updates (homomorphic or plain sum).
    pub aggregate: f64,
    /// Decrypting and de-quantizing the aggregate.
    pub decrypt: f64,
}

impl TimeSplit {
    /// Sum of all phases.
    pub fn total(&self) -> f64 {
        self.train + self.encrypt + self.prove + self.verify + self.aggregate + self.decrypt
    }

    /// Element-wise sum.
    pub fn add(&mut self, o: &TimeSplit) {
        self.train += o.train;
        self.encrypt += o.encrypt;
        self.prove += o.prove;
        self.verify += o.verify;
        self.aggregate += o.aggregate;
        self.decrypt += o.decrypt;
    }

    /// Every phase divided by `n`.
    pub fn scaled(&self, n: f64) -> TimeSplit {
        TimeSplit {
            train: self.train / n,
            encrypt: self.encrypt / n,
            prove: self.prove / n,
            verify: self.verify / n,
            aggregate: self.aggregate / n,
            decrypt: self.decrypt / n,
        }
    }
}

/// The result of one round as seen by the aggregator.
#[derive(Clone, Debug, Default)]
pub struct RoundOutcome {
    /// The averaged update to apply to the global model, `None` if nothing was accepted.
    pub mean_update: Option<Vec<f32>>,
    /// One decision per submission.
    pub decisions: Vec<Decision>,
    /// Time per phase (training is filled in by the runner).
    pub time: TimeSplit,
    /// Bytes each clinic uploaded this round (index 0 = clinic 1).
    pub upload_bytes: Vec<u64>,
    /// For encrypted configurations: whether the decrypted aggregate equals, bit for bit, the de-quantized
    /// plaintext sum of the accepted quantized updates.
    pub aggregate_exact: Option<bool>,
    /// Clinics that could not submit at all this round, with the reason (e.g. a diverged local model).
    pub not_submitted: Vec<(usize, String)>,
    /// Threshold configuration: how the round was decrypted and what each member spent.
    pub committee: Option<super::committee::CommitteeRound>,
}

/// A way of moving updates from clinics to the aggregator and combining them.
pub trait Pipeline {
    /// Runs the transport/defence part of round `round` (1-based) on the clinics' updates.
    fn round(
        &mut self,
        round: usize,
        global: &[f32],
        submissions: &[Submission],
        status: &dyn Fn(&str),
    ) -> Result<RoundOutcome, String>;

    /// Facts about this configuration to print and store (parameter set, scale, missing pieces).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// State of the zero-knowledge proof in this configuration: "n/a", "verified" or "missing".
    fn proof_status(&self) -> &'static str {
        "n/a"
    }

    /// Threshold configuration: each member's costs of the key ceremony (once, before round 1).
    fn ceremony_costs(&self) -> Vec<super::committee::MemberCost> {
        Vec::new()
    }
}
