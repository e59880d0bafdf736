//! The read side of the coordinator (docs/API.md "Public endpoints"): what the HTTP read handlers, the
//! admin close answer and the serve loop may learn about rounds, models and updates. Every read goes
//! through here, so the store stays behind the coordinator and a read sees the counts not yet written
//! (unauthenticated rejections) and this process's timings.

use super::{Coordinator, RoundTimings, internal};
use crate::error::{ApiError, Code};
use crate::round::RoundId;
use crate::store::{RoundRecord, SubmissionRecord};

/// One round as `GET /v1/rounds/{round}` reports it.
#[derive(Clone, Debug)]
pub struct RoundReport {
    /// The round, with the unauthenticated rejections not yet written added.
    pub record: RoundRecord,
    /// Its per-clinic decisions.
    pub submissions: Vec<SubmissionRecord>,
    /// Roster size (the number of decisions expected).
    pub expected: u32,
    /// This process's work times for the round (none after a restart).
    pub timings: Option<RoundTimings>,
    /// `single-decryptor` or `threshold t-of-n`.
    pub decryption_mode: String,
    /// How the round was decrypted (threshold mode), once it was.
    pub decryption: Option<serde_json::Value>,
}

impl Coordinator {
    /// The latest round, if any was opened.
    pub fn latest_round(&self) -> Result<Option<RoundRecord>, ApiError> {
        self.store().latest_round().map_err(internal)
    }

    /// Round `id`; `not_found` if there is none.
    pub fn round(&self, id: RoundId) -> Result<RoundRecord, ApiError> {
        self.store()
            .round(id)
            .map_err(internal)?
            .ok_or_else(|| ApiError::new(Code::NotFound, format!("there is no round {id}")))
    }

    /// Round `id` with its decisions and timings; `not_found` if there is none.
    pub fn round_report(&self, id: RoundId) -> Result<RoundReport, ApiError> {
        let mut record = self.round(id)?;
        record.unauthenticated_rejections = self.unauthenticated_rejections(&record);
        let submissions = self.store().submissions(id).map_err(internal)?;
        let decryption = self
            .store()
            .decryption(id)
            .map_err(internal)?
            .and_then(|j| serde_json::from_str(&j).ok());
        Ok(RoundReport {
            record,
            submissions,
            expected: self.facts().roster_size,
            timings: self.timings(id),
            decryption_mode: self.decryption_mode(),
            decryption,
        })
    }

    /// The published mean update of round `id`, if it is published.
    pub fn published_update(&self, id: RoundId) -> Result<Option<Vec<u8>>, ApiError> {
        self.store().update(id).map_err(internal)
    }

    /// The global model `w_id` that round `id` starts from: the round's own model, or, before round `id`
    /// is opened, the model round `id − 1` published.
    pub fn model_of_round(&self, id: RoundId) -> Result<Option<Vec<u8>>, ApiError> {
        let store = self.store();
        let hash = match store.round(id).map_err(internal)? {
            Some(r) => Some(r.announcement.model_sha3),
            None => match id.prev() {
                Some(prev) => store
                    .round(prev)
                    .map_err(internal)?
                    .and_then(|r| r.phase.next_model_sha3()),
                None => None,
            },
        };
        match hash {
            Some(h) => store.model(&h).map_err(internal),
            None => Ok(None),
        }
    }
}
