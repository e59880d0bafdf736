//! The committee roster file (docs/THRESHOLD.md §16.1): parameter set, n, t, CRS seed, key epoch and the n
//! members' ML-DSA-65 verifying keys. The operator assembles it from the members' exported keys and hands the
//! same file to every member and every clinic out of band; the aggregator never supplies or alters it (review 12,
//! R12-1). Everyone compares the digest ρ_R ([`CommitteeRoster::digest_hex`]) out of band.

use serde::{Deserialize, Serialize};
use zkfl_core::channel::identity::VerifyingKey;
use zkfl_core::threshold::{Committee, Epoch};

use super::CommitteeError;

/// `committee-roster.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CommitteeRoster {
    /// Parameter-set name ("L": threshold decryption has no room in set S, docs/THRESHOLD.md §4.4).
    pub param_set: String,
    /// n.
    pub members: u32,
    /// t.
    pub threshold: u32,
    /// The CRS seed that expands a (32 bytes, hex).
    pub crs: String,
    /// The key epoch number.
    pub epoch: u64,
    /// The members' ML-DSA-65 verifying keys (hex, 1,952 bytes each), member i at position i − 1.
    pub keys: Vec<String>,
}

impl CommitteeRoster {
    /// Parses a roster file.
    ///
    /// # Errors
    /// [`CommitteeError::Roster`] for malformed JSON.
    pub fn parse(json: &[u8]) -> Result<Self, CommitteeError> {
        serde_json::from_slice(json).map_err(|e| CommitteeError::Roster(e.to_string()))
    }

    /// The members' verifying keys.
    ///
    /// # Errors
    /// [`CommitteeError::Roster`] for another count than n or a key that is not hex of 1,952 bytes.
    pub fn verifying_keys(&self) -> Result<Vec<VerifyingKey>, CommitteeError> {
        if self.keys.len() != self.members as usize {
            return Err(CommitteeError::Roster(format!(
                "{} keys for a committee of {}",
                self.keys.len(),
                self.members
            )));
        }
        self.keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                hex::decode(k)
                    .ok()
                    .and_then(|b| VerifyingKey::from_bytes(&b).ok())
                    .ok_or_else(|| {
                        CommitteeError::Roster(format!(
                            "key of member {} is not a hex ML-DSA-65 verifying key",
                            i + 1
                        ))
                    })
            })
            .collect()
    }

    /// The epoch (CRS, epoch number, committee, ρ_R) this roster defines.
    ///
    /// # Errors
    /// [`CommitteeError::Roster`] for a committee shape the core refuses, a CRS that is not 32 hex bytes,
    /// malformed keys or a repeated key.
    pub fn epoch(&self) -> Result<Epoch, CommitteeError> {
        let committee = Committee::new(self.members, self.threshold)
            .map_err(|e| CommitteeError::Roster(e.to_string()))?;
        let crs: [u8; 32] = hex::decode(&self.crs)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| CommitteeError::Roster("crs must be 32 bytes of hex".into()))?;
        Epoch::new(crs, self.epoch, committee, &self.verifying_keys()?)
            .map_err(|e| CommitteeError::Roster(e.to_string()))
    }

    /// ρ_R in hex: what members and clinics compare out of band.
    ///
    /// # Errors
    /// As [`CommitteeRoster::epoch`].
    pub fn digest_hex(&self) -> Result<String, CommitteeError> {
        Ok(hex::encode(self.epoch()?.roster))
    }
}
