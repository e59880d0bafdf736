//! The committee roster file (docs/THRESHOLD.md §16.1): parameter set, n, t, CRS seed, key epoch, the n
//! members' ML-DSA-65 verifying keys, and their ML-KEM-768 encapsulation keys each signed by the member's own
//! ML-DSA key (review 13, R13-1: dealt parts are sealed to these keys, never to keys the relay hands out). The
//! operator assembles it from the members' exported keys and hands the same file to every member and every
//! clinic out of band; the aggregator never supplies or alters it (review 12, R12-1). Everyone compares the
//! digest ρ_R ([`CommitteeRoster::digest_hex`]) out of band; ρ_R fixes the ML-DSA keys and they fix the KEM
//! keys, so a file with another KEM key is refused ([`CommitteeRoster::kem_keys`]).

use serde::{Deserialize, Serialize};
use zkfl_core::channel::KemPublicKey;
use zkfl_core::channel::identity::{Signature, VerifyingKey};
use zkfl_core::threshold::wire::signed::{MemberKem, verify_kem_key};
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
    /// The members' ML-KEM-768 encapsulation keys (hex, 1,184 bytes each), member i at position i − 1: the key
    /// every dealer seals its dealt parts (0x12) to.
    pub kem_keys: Vec<String>,
    /// Member i's ML-DSA signature on its KEM key (`signed::sign_kem_key`: epoch identity, index, key; hex).
    pub kem_signatures: Vec<String>,
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

    /// The members' KEM keys, each checked against its signature by the member's roster ML-DSA key.
    ///
    /// # Errors
    /// [`CommitteeError::Roster`] for another count than n, a key or signature that does not parse, or a KEM
    /// key its member did not sign (a roster file altered after the members made it).
    pub fn kem_keys(&self) -> Result<Vec<KemPublicKey<MemberKem>>, CommitteeError> {
        let n = self.members as usize;
        if self.kem_keys.len() != n || self.kem_signatures.len() != n {
            return Err(CommitteeError::Roster(format!(
                "{} KEM keys and {} KEM key signatures for a committee of {n}",
                self.kem_keys.len(),
                self.kem_signatures.len()
            )));
        }
        let epoch = self.epoch()?;
        let vks = self.verifying_keys()?;
        let mut out = Vec::with_capacity(n);
        for (i, ((k, s), vk)) in self
            .kem_keys
            .iter()
            .zip(&self.kem_signatures)
            .zip(&vks)
            .enumerate()
        {
            let member = (i + 1) as u8;
            let bad = |what: &str| {
                CommitteeError::Roster(format!("{what} of member {member} does not parse"))
            };
            let ek = hex::decode(k)
                .ok()
                .and_then(|b| KemPublicKey::<MemberKem>::from_bytes(&b).ok())
                .ok_or_else(|| bad("the KEM key"))?;
            let sig = hex::decode(s)
                .ok()
                .and_then(|b| Signature::from_bytes(&b).ok())
                .ok_or_else(|| bad("the KEM key signature"))?;
            verify_kem_key(&epoch, member, vk, &ek, &sig)
                .map_err(|e| CommitteeError::Roster(e.to_string()))?;
            out.push(ek);
        }
        Ok(out)
    }

    /// ρ_R in hex: what members and clinics compare out of band.
    ///
    /// # Errors
    /// As [`CommitteeRoster::epoch`].
    pub fn digest_hex(&self) -> Result<String, CommitteeError> {
        Ok(hex::encode(self.epoch()?.roster))
    }
}
