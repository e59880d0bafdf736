//! The committee key certificate (docs/THRESHOLD.md §16.1; review 12, R12-2): how a clinic knows that the public
//! key it encrypts under is the committee's. Every member signs the round key identity it computed itself from its
//! own ceremony and plan (`Holdings::key_id`), bound to its epoch (which holds the roster digest ρ_R); a clinic
//! accepts a key only with valid signatures from **all n** members of the roster it obtained out of band. The
//! aggregator cannot sign for a key of its own, and a member signs only the key its own checks produced.

use super::error::ThresholdError;
use super::keys::{Epoch, Holdings, roster_digest};
use super::slots::bit;
use crate::channel::identity::{Signature, SigningKey, VerifyingKey};
use rand_core::CryptoRng;
use sha3::{Digest, Sha3_256};

/// ML-DSA context string (and domain label) of a certificate signature.
pub const CERTIFICATE_CONTEXT: &[u8] = b"ZKFL-PQ/threshold/committee-key-cert/v1";

/// What every member signs: H(label, `Epoch::id`, key identity).
#[must_use]
pub fn message(epoch: &Epoch, key_id: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(CERTIFICATE_CONTEXT);
    h.update(epoch.id());
    h.update(key_id);
    h.finalize().into()
}

/// One member's certificate signature.
#[derive(Clone, Debug)]
pub struct KeySignature {
    /// The signer (1-based).
    pub member: u8,
    /// ML-DSA-65 over [`message`] under [`CERTIFICATE_CONTEXT`].
    pub signature: Signature,
}

/// The holder of `holdings` (complete: every part checked) signs its own key identity under its own epoch.
///
/// # Errors
/// [`ThresholdError::IncompleteHoldings`] before dealing is complete, [`ThresholdError::Signature`] if signing
/// fails.
pub fn sign<R: CryptoRng + ?Sized>(
    holdings: &Holdings,
    identity: &SigningKey,
    rng: &mut R,
) -> Result<KeySignature, ThresholdError> {
    if !holdings.complete() {
        return Err(ThresholdError::IncompleteHoldings);
    }
    let member = holdings.member();
    let msg = message(holdings.epoch(), holdings.key_id());
    let signature = identity
        .sign_with_context(&msg, CERTIFICATE_CONTEXT, rng)
        .map_err(|_| ThresholdError::Signature { member })?;
    Ok(KeySignature { member, signature })
}

/// Err unless `signatures` hold a valid signature of every one of the n members of `roster` (the verifier's own,
/// obtained out of band; it must hash to `epoch.roster`) over `key_id` under `epoch`.
///
/// # Errors
/// [`ThresholdError::WrongRoster`] for a roster that is not the epoch's, [`ThresholdError::MemberIndex`] for a
/// signer outside 1..=n, [`ThresholdError::Duplicate`] for a second signature of a member,
/// [`ThresholdError::Signature`] for one that does not verify, [`ThresholdError::TooFewReceipts`] (`need` = n)
/// unless all n signed.
pub fn check(
    epoch: &Epoch,
    roster: &[VerifyingKey],
    key_id: &[u8; 32],
    signatures: &[KeySignature],
) -> Result<(), ThresholdError> {
    if roster_digest(epoch, roster)? != epoch.roster {
        return Err(ThresholdError::WrongRoster);
    }
    let c = &epoch.committee;
    let msg = message(epoch, key_id);
    let mut seen = 0u32;
    for s in signatures {
        let b = bit(s.member) & c.all();
        if b == 0 {
            return Err(ThresholdError::MemberIndex {
                index: s.member as usize,
                members: c.members(),
            });
        }
        if seen & b != 0 {
            return Err(ThresholdError::Duplicate { member: s.member });
        }
        roster[s.member as usize - 1]
            .verify_with_context(&msg, CERTIFICATE_CONTEXT, &s.signature)
            .map_err(|_| ThresholdError::Signature { member: s.member })?;
        seen |= b;
    }
    if seen != c.all() {
        return Err(ThresholdError::TooFewReceipts {
            have: seen.count_ones(),
            need: c.members(),
        });
    }
    Ok(())
}
