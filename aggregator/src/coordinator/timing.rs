//! Per-round work times of the service (docs/SERVICE.md "Round timings"), reported in the round status so a
//! client such as `zkfl demo` can split a round's time without measuring the server from outside. Kept in
//! memory only: they describe this process's work, and a restarted service reports none for older rounds.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::round::RoundId;

/// Seconds the service spent on one round, summed over its submissions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RoundTimings {
    /// Worker time opening envelopes, checking signatures, decoding ciphertexts and verifying proofs.
    pub verify: f64,
    /// Time adding accepted ciphertexts to the running sum (homomorphic additions).
    pub aggregate: f64,
    /// Key-holder decryption of the aggregate plus de-quantization of the mean update.
    pub decrypt: f64,
    /// Submissions that reached a worker (authenticated or not).
    pub verified: u32,
}

/// Which part of a round a measured duration belongs to.
#[derive(Clone, Copy, Debug)]
pub enum Phase {
    /// Proof check of an already authenticated submission (time only; counted at authentication).
    Proof,
    /// Envelope, signature, decoding, proof (one submission).
    Verify,
    /// One homomorphic addition.
    Aggregate,
    /// Decryption and de-quantization.
    Decrypt,
}

/// The in-memory table of [`RoundTimings`].
#[derive(Debug, Default)]
pub struct Timings(Mutex<HashMap<RoundId, RoundTimings>>);

impl Timings {
    /// Adds `d` to `phase` of `round`.
    pub fn add(&self, round: RoundId, phase: Phase, d: Duration) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let t = map.entry(round).or_default();
        let s = d.as_secs_f64();
        match phase {
            Phase::Verify => {
                t.verify += s;
                t.verified += 1;
            }
            Phase::Proof => t.verify += s,
            Phase::Aggregate => t.aggregate += s,
            Phase::Decrypt => t.decrypt += s,
        }
    }

    /// The times recorded for `round` by this process, if any.
    #[must_use]
    pub fn get(&self, round: RoundId) -> Option<RoundTimings> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&round)
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_accumulate_per_round() {
        let t = Timings::default();
        assert_eq!(t.get(RoundId(1)), None);
        t.add(RoundId(1), Phase::Verify, Duration::from_millis(500));
        t.add(RoundId(1), Phase::Verify, Duration::from_millis(250));
        t.add(RoundId(1), Phase::Aggregate, Duration::from_millis(10));
        t.add(RoundId(2), Phase::Decrypt, Duration::from_secs(1));
        let one = t.get(RoundId(1)).expect("round 1");
        assert_eq!((one.verify, one.aggregate, one.verified), (0.75, 0.01, 2));
        assert_eq!(t.get(RoundId(2)).map(|r| r.decrypt), Some(1.0));
    }
}
