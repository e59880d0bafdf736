//! Who may ask a listening member anything (docs/THRESHOLD.md §16.6): only the aggregator. Every
//! `POST /v1/committee` carries, in the [`SIGNATURE_HEADER`] header, the hex of an ML-DSA-65 signature by the
//! aggregator's identity key (the key `zkfl keygen` writes as `aggregator/sign-seed.bin`) under the context
//! [`REQUEST_CONTEXT`] over [`request_digest`], which binds the committee's epoch identity, the member the
//! request is for, the op and the body. The member checks it with the aggregator's verifying key from its own
//! directory ([`AGGREGATOR_VK_FILE`], handed over out of band with the roster and compared by fingerprint)
//! before the request reaches it: a third party that reaches the port can no longer spend the member's round
//! receipt on an aggregate of its own or drain its decryption budget.
//!
//! A replayed genuine request needs no guard: the member's answer to a repeat is what it already stored (its
//! commitment, reveal, receipt or answer bytes), so a replay spends nothing new; a request signed for another
//! member, epoch or op, or with any body byte changed, fails the signature.

use std::path::Path;

use sha3::{Digest, Sha3_256};
use zkfl_core::channel::identity::{SIGNATURE_LEN, Signature, SigningKey, VerifyingKey};

use super::super::CommitteeError;
use super::super::roster::CommitteeRoster;

/// ML-DSA context of the aggregator's signature on a request to a member.
pub const REQUEST_CONTEXT: &[u8] = b"ZKFL-PQ/v1/committee-request";
/// The header that carries the signature (hex, [`SIGNATURE_LEN`] bytes).
pub const SIGNATURE_HEADER: &str = "x-zkfl-aggregator-signature";
/// The aggregator's ML-DSA-65 verifying key in a member's directory (written by `zkfl keygen --committee`).
pub const AGGREGATOR_VK_FILE: &str = "aggregator-vk.bin";

/// What the aggregator signs for one request: SHA3-256 of the context, the epoch identity, the member index,
/// the op, the body's length and the body's SHA3-256 (a reveal is 12 MB; it is hashed once).
#[must_use]
pub fn request_digest(epoch_id: &[u8; 32], member: u8, op: u8, body: &[u8]) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(REQUEST_CONTEXT);
    h.update(epoch_id);
    h.update([member, op]);
    h.update((body.len() as u64).to_le_bytes());
    h.update(Sha3_256::digest(body));
    h.finalize().into()
}

/// The aggregator's side: signs requests to the members of one epoch.
#[derive(Clone)]
pub struct RequestSigner {
    key: SigningKey,
    epoch_id: [u8; 32],
}

impl RequestSigner {
    /// Signs with `key` (the aggregator's identity) for the epoch of `roster`.
    ///
    /// # Errors
    /// [`CommitteeError::Roster`] for a roster whose epoch does not parse.
    pub fn new(key: SigningKey, roster: &CommitteeRoster) -> Result<Self, CommitteeError> {
        Ok(Self {
            key,
            epoch_id: roster.epoch()?.id(),
        })
    }

    /// The [`SIGNATURE_HEADER`] value for `op ‖ body` to `member` (hedged ML-DSA, OS randomness).
    ///
    /// # Errors
    /// [`CommitteeError::Protocol`] if the signature library fails.
    pub fn sign(&self, member: u8, op: u8, body: &[u8]) -> Result<String, CommitteeError> {
        let digest = request_digest(&self.epoch_id, member, op, body);
        let sig = self
            .key
            .sign_with_context(
                &digest,
                REQUEST_CONTEXT,
                &mut getrandom::rand_core::UnwrapErr(getrandom::SysRng),
            )
            .map_err(|e| CommitteeError::Protocol(format!("signing a member request: {e}")))?;
        Ok(hex::encode(sig.as_bytes()))
    }
}

/// Why a listening member refused a request before reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestAuthError {
    /// No [`SIGNATURE_HEADER`] (401).
    Missing,
    /// The header is not the hex of an ML-DSA-65 signature (403).
    Malformed,
    /// The signature does not verify under the aggregator's key for this member, epoch, op and body (403).
    BadSignature,
    /// An empty body: no op (400).
    Empty,
}

impl RequestAuthError {
    /// The HTTP status of the refusal.
    #[must_use]
    pub fn status(self) -> u16 {
        match self {
            Self::Missing => 401,
            Self::Malformed | Self::BadSignature => 403,
            Self::Empty => 400,
        }
    }
}

impl core::fmt::Display for RequestAuthError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Missing => "unsigned request: only the aggregator may ask this member (x-zkfl-aggregator-signature)",
            Self::Malformed => "the request signature is not an ML-DSA-65 signature in hex",
            Self::BadSignature => {
                "the request is not signed by the aggregator for this member, epoch, op and body"
            }
            Self::Empty => "empty request: no op",
        })
    }
}

impl std::error::Error for RequestAuthError {}

/// The member's side: checks requests against the aggregator's verifying key.
#[derive(Clone, Debug)]
pub struct RequestVerifier {
    key: VerifyingKey,
    epoch_id: [u8; 32],
    member: u8,
}

impl RequestVerifier {
    /// For member `member` of the epoch of `roster`, under the aggregator's verifying key `key`.
    ///
    /// # Errors
    /// [`CommitteeError::Roster`] for a roster whose epoch does not parse.
    pub fn new(
        key: VerifyingKey,
        roster: &CommitteeRoster,
        member: u8,
    ) -> Result<Self, CommitteeError> {
        Ok(Self {
            key,
            epoch_id: roster.epoch()?.id(),
            member,
        })
    }

    /// From a member's directory: [`AGGREGATOR_VK_FILE`] and `member-index`.
    ///
    /// # Errors
    /// [`CommitteeError::Roster`] for a missing or malformed file.
    pub fn load(dir: &Path, roster: &CommitteeRoster) -> Result<Self, CommitteeError> {
        let read = |name: &str| {
            std::fs::read(dir.join(name))
                .map_err(|e| CommitteeError::Roster(format!("{}/{name}: {e}", dir.display())))
        };
        let key = VerifyingKey::from_bytes(&read(AGGREGATOR_VK_FILE)?).map_err(|e| {
            CommitteeError::Roster(format!("{AGGREGATOR_VK_FILE}: not an ML-DSA-65 key: {e}"))
        })?;
        let member: u8 = String::from_utf8_lossy(&read("member-index")?)
            .trim()
            .parse()
            .map_err(|_| CommitteeError::Roster("member-index is not a member number".into()))?;
        Self::new(key, roster, member)
    }

    /// The aggregator key's fingerprint (for the operator to compare out of band).
    #[must_use]
    pub fn fingerprint(&self) -> [u8; 32] {
        self.key.fingerprint()
    }

    /// Checks the [`SIGNATURE_HEADER`] value `header` on the request `op ‖ body`.
    ///
    /// # Errors
    /// As [`RequestAuthError`].
    pub fn check(&self, header: Option<&[u8]>, request: &[u8]) -> Result<(), RequestAuthError> {
        let header = header.ok_or(RequestAuthError::Missing)?;
        let (&op, body) = request.split_first().ok_or(RequestAuthError::Empty)?;
        let mut raw = [0u8; SIGNATURE_LEN];
        hex::decode_to_slice(header.trim_ascii(), &mut raw)
            .map_err(|_| RequestAuthError::Malformed)?;
        let sig = Signature::from_bytes(&raw).map_err(|_| RequestAuthError::Malformed)?;
        let digest = request_digest(&self.epoch_id, self.member, op, body);
        self.key
            .verify_with_context(&digest, REQUEST_CONTEXT, &sig)
            .map_err(|_| RequestAuthError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster() -> CommitteeRoster {
        let keys = (1..=3u8)
            .map(|i| hex::encode(SigningKey::from_seed(&[i; 32]).verifying_key().as_bytes()))
            .collect();
        CommitteeRoster {
            param_set: "L".into(),
            members: 3,
            threshold: 2,
            crs: hex::encode([9u8; 32]),
            epoch: 1,
            keys,
            kem_keys: Vec::new(),
            kem_signatures: Vec::new(),
        }
    }

    #[test]
    fn only_the_aggregators_signature_for_this_member_op_and_body_passes() {
        let r = roster();
        let agg = SigningKey::from_seed(&[7; 32]);
        let signer = RequestSigner::new(agg.clone(), &r).unwrap();
        let other = RequestSigner::new(SigningKey::from_seed(&[8; 32]), &r).unwrap();
        let v = RequestVerifier::new(agg.verifying_key(), &r, 1).unwrap();
        let request = [9u8, 1, 2, 3];
        let ok = signer.sign(1, 9, &request[1..]).unwrap();
        assert_eq!(v.check(Some(ok.as_bytes()), &request), Ok(()));
        assert_eq!(v.check(None, &request), Err(RequestAuthError::Missing));
        assert_eq!(
            v.check(Some(b"zz"), &request),
            Err(RequestAuthError::Malformed)
        );
        assert_eq!(
            v.check(Some(ok.as_bytes()), &[]),
            Err(RequestAuthError::Empty)
        );
        let bad = |h: &str, req: &[u8]| v.check(Some(h.as_bytes()), req);
        let forged = other.sign(1, 9, &request[1..]).unwrap();
        assert_eq!(bad(&forged, &request), Err(RequestAuthError::BadSignature));
        let for_two = signer.sign(2, 9, &request[1..]).unwrap();
        assert_eq!(bad(&for_two, &request), Err(RequestAuthError::BadSignature));
        assert_eq!(bad(&ok, &[8, 1, 2, 3]), Err(RequestAuthError::BadSignature));
        assert_eq!(bad(&ok, &[9, 1, 2, 4]), Err(RequestAuthError::BadSignature));
        let mut r2 = r.clone();
        r2.epoch = 2;
        let other_epoch = RequestSigner::new(agg, &r2).unwrap();
        let e2 = other_epoch.sign(1, 9, &request[1..]).unwrap();
        assert_eq!(bad(&e2, &request), Err(RequestAuthError::BadSignature));
    }
}
