//! Committee-wide spend (docs/THRESHOLD.md §3.1.1; review 8, finding 1). A per-member spent ledger does not stop
//! differencing: the aggregator sends two overlapping aggregates to *disjoint* sets of honest members. So a member
//! answers an aggregate only with signed spend receipts for exactly that aggregate from a quorum W of
//! w = ⌈(n + t)/2⌉ members ([`spend_quorum`]): any two quorums share 2w − n ≥ t > t − 1 members, hence an honest
//! one, which signed a receipt for one of two overlapping aggregates (or two aggregates of one round) and refused
//! the other. A receipt is the signer's spend: [`sign_receipt`] refuses a spent ciphertext or a second aggregate
//! of the round, records both, then signs with the member's ML-DSA channel identity (`channel::identity`).
//!
//! Review 10: the epoch and the roster are the member's own (its [`Holdings`], R10-1), never the request's; a
//! receipt binds the signer's index and the roster digest (R10-6); signing records the round marker, a "signed"
//! marker of the aggregate and every ciphertext digest in one atomic test-and-set (`SpentLedger::spend_all`,
//! R10-5); an answer needs the member's own "signed" marker in its own ledger, whatever receipts it is shown.

use super::aggregate::{Admitted, Aggregate, LedgerRefusal, SpentLedger};
use super::error::ThresholdError;
use super::keys::{Epoch, Holdings, roster_digest};
use super::plan::DECRYPTIONS_PER_KEY;
use super::slots::bit;
use crate::arith::Modulus;
use crate::channel::identity::{Signature, SigningKey, VerifyingKey};
use rand_core::CryptoRng;
use sha3::{Digest, Sha3_256};

/// ML-DSA context string of a spend receipt.
pub const RECEIPT_CONTEXT: &[u8] = b"ZKFL-PQ/threshold/spend-receipt/v1";
/// Domain label of the per-round marker a signer spends (one aggregate per round).
pub const ROUND_LABEL: &[u8] = b"ZKFL-PQ/threshold/round-spent/v1";
/// Domain label of the marker a member spends when it signs a receipt for an aggregate (what its answer checks).
pub const SIGNED_LABEL: &[u8] = b"ZKFL-PQ/threshold/signed/v1";
/// Domain label of the marker a member spends when it answers an aggregate (one answer per aggregate).
pub const ANSWER_LABEL: &[u8] = b"ZKFL-PQ/threshold/answered/v1";
/// Domain label of the marker a member spends when it answers for the slots of an excluded member x of an
/// aggregate (one supplementary answer per aggregate and x, docs/THRESHOLD.md §3.2.1).
pub const SUPPLEMENT_LABEL: &[u8] = b"ZKFL-PQ/threshold/supplement/v1";
/// Domain label of the i-th decryption marker of an epoch (the durable per-epoch count, review 11 F3).
pub const DECRYPTION_LABEL: &[u8] = b"ZKFL-PQ/threshold/decryption/v1";

/// The marker of decryption number `i` (0-based) under `epoch`.
#[must_use]
pub fn decryption_marker(epoch: &Epoch, i: u64) -> [u8; 32] {
    marker(DECRYPTION_LABEL, epoch, i, None)
}

/// The number of decryptions `spent` records under `epoch`: the least i whose [`decryption_marker`] is unspent,
/// capped at [`DECRYPTIONS_PER_KEY`]. An answer spends marker i together with its "answered" marker in one
/// `spend_all`, so the spent markers are always 0..i − 1 and a binary search over them finds i (≤ 11 lookups).
/// The count lives in the member's durable ledger, not in a value the caller passes (review 11, F3).
#[must_use]
pub fn decryptions_taken(epoch: &Epoch, spent: &impl SpentLedger) -> u64 {
    let (mut lo, mut hi) = (0u64, DECRYPTIONS_PER_KEY);
    while lo < hi {
        let mid = lo + ((hi - lo) >> 1);
        if spent.is_spent(&decryption_marker(epoch, mid)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// w = ⌈(n + t)/2⌉, the least quorum size with 2w − n ≥ t (3-of-5: 4; 4-of-7: 6).
#[must_use]
pub const fn spend_quorum(members: u32, threshold: u32) -> u32 {
    (members + threshold).div_ceil(2)
}

/// Member `member`'s signed statement that it spent the aggregate the signature is bound to.
#[derive(Clone, Debug)]
pub struct SpendReceipt {
    /// The signer (1-based).
    pub member: u8,
    /// ML-DSA-65 over [`receipt_message`] under [`RECEIPT_CONTEXT`].
    pub signature: Signature,
}

/// What a receipt signs: H(label, CRS, epoch, n, t, round, roster digest, signer, aggregate binding).
#[must_use]
pub fn receipt_message<M: Modulus, const N: usize>(
    epoch: &Epoch,
    roster: &[u8; 32],
    signer: u8,
    agg: &Aggregate<'_, '_, M, N>,
) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(RECEIPT_CONTEXT);
    h.update(epoch_bytes(epoch, agg.round()));
    h.update(roster);
    h.update([signer]);
    h.update(agg.binding());
    h.finalize().into()
}

fn epoch_bytes(epoch: &Epoch, round: u64) -> [u8; 56] {
    let mut b = [0u8; 56];
    b[..32].copy_from_slice(&epoch.crs);
    b[32..40].copy_from_slice(&epoch.epoch.to_le_bytes());
    b[40..44].copy_from_slice(&epoch.committee.members().to_le_bytes());
    b[44..48].copy_from_slice(&epoch.committee.threshold().to_le_bytes());
    b[48..].copy_from_slice(&round.to_le_bytes());
    b
}

fn marker(label: &[u8], epoch: &Epoch, round: u64, binding: Option<&[u8; 32]>) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(label);
    h.update(epoch_bytes(epoch, round));
    if let Some(b) = binding {
        h.update(b);
    }
    h.finalize().into()
}

/// The holder of `holdings` spends `agg` in its ledger and signs a receipt for it with its identity key, under
/// its own epoch and roster. The round marker, the aggregate's "signed" marker and every ciphertext digest are
/// recorded in one all-or-nothing `spend_all` before the signature is made.
///
/// # Errors
/// [`ThresholdError::WrongKey`] if `agg` was admitted under another key identity than the holdings' own
/// (review 11, F1: an aggregate under a forged a′ = 2^60 made honest shares reveal their slot parts),
/// [`ThresholdError::RoundSpent`] if the member already signed an aggregate of this round,
/// [`ThresholdError::AlreadyDecrypted`] if a ciphertext of `agg` is spent, [`ThresholdError::LedgerFull`]
/// (nothing is recorded in these four cases), [`ThresholdError::Signature`] if signing fails.
pub fn sign_receipt<M: Modulus, const N: usize, R: CryptoRng + ?Sized>(
    holdings: &Holdings,
    identity: &SigningKey,
    agg: &Aggregate<'_, '_, M, N>,
    spent: &mut impl SpentLedger,
    rng: &mut R,
) -> Result<SpendReceipt, ThresholdError> {
    holdings.check_key(agg.key_id(), agg.verified())?;
    let epoch = holdings.epoch();
    let member = holdings.member();
    let binding = agg.binding();
    let markers = [
        marker(ROUND_LABEL, epoch, agg.round(), None),
        marker(SIGNED_LABEL, epoch, agg.round(), Some(&binding)),
    ];
    spent
        .spend_all(markers.iter().chain(agg.digests()))
        .map_err(|r| refusal(agg, markers.len(), r))?;
    let msg = receipt_message(epoch, holdings.roster(), member, agg);
    let signature = identity
        .sign_with_context(&msg, RECEIPT_CONTEXT, rng)
        .map_err(|_| ThresholdError::Signature { member })?;
    Ok(SpendReceipt { member, signature })
}

/// A ledger refusal as the threshold error it means for `agg` (the first `markers` items are the round and
/// "signed" markers, the rest its ciphertext digests in order).
fn refusal<M: Modulus, const N: usize>(
    agg: &Aggregate<'_, '_, M, N>,
    markers: usize,
    r: LedgerRefusal,
) -> ThresholdError {
    match r {
        LedgerRefusal::Spent(i) if i < markers => ThresholdError::RoundSpent { round: agg.round() },
        LedgerRefusal::Spent(i) => ThresholdError::AlreadyDecrypted {
            clinic: agg.ciphertexts()[i - markers].clinic(),
        },
        LedgerRefusal::Full => ThresholdError::LedgerFull,
    }
}

/// A spent ledger that also keeps the receipts its member signed (review 13, R13-6): a receipt lost after the
/// ledger write (a crash, a dropped reply) is returned again for the same aggregate instead of being refused as
/// `RoundSpent`, so the member is not lost from the round's quorum.
pub trait ReceiptLedger: SpentLedger {
    /// The receipt kept under `key` (the aggregate's "signed" marker), if any.
    fn kept_receipt(&self, key: &[u8; 32]) -> Option<SpendReceipt>;
    /// [`SpentLedger::spend_all`] and, in the same all-or-nothing write, `receipt` kept under `key`.
    ///
    /// # Errors
    /// As [`SpentLedger::spend_all`]; nothing is recorded or kept on error.
    fn spend_all_keeping<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
        &mut self,
        items: I,
        key: &[u8; 32],
        receipt: &SpendReceipt,
    ) -> Result<(), LedgerRefusal>;
}

/// [`sign_receipt`] with the receipt kept in the ledger, in the same write as the spend: a repeated request for
/// the same aggregate returns the kept receipt (no new spend, no new signature); another aggregate of the round
/// is still `RoundSpent`.
///
/// # Errors
/// As [`sign_receipt`].
pub fn sign_receipt_kept<M: Modulus, const N: usize, R: CryptoRng + ?Sized>(
    holdings: &Holdings,
    identity: &SigningKey,
    agg: &Aggregate<'_, '_, M, N>,
    ledger: &mut impl ReceiptLedger,
    rng: &mut R,
) -> Result<SpendReceipt, ThresholdError> {
    holdings.check_key(agg.key_id(), agg.verified())?;
    let epoch = holdings.epoch();
    let member = holdings.member();
    let binding = agg.binding();
    let markers = [
        marker(ROUND_LABEL, epoch, agg.round(), None),
        marker(SIGNED_LABEL, epoch, agg.round(), Some(&binding)),
    ];
    if let Some(kept) = ledger.kept_receipt(&markers[1]) {
        return Ok(kept);
    }
    // Signed before the write so that the write can keep it; it leaves this function only after the write.
    let msg = receipt_message(epoch, holdings.roster(), member, agg);
    let signature = identity
        .sign_with_context(&msg, RECEIPT_CONTEXT, rng)
        .map_err(|_| ThresholdError::Signature { member })?;
    let receipt = SpendReceipt { member, signature };
    ledger
        .spend_all_keeping(markers.iter().chain(agg.digests()), &markers[1], &receipt)
        .map_err(|r| refusal(agg, markers.len(), r))?;
    Ok(receipt)
}

/// Checks that `receipts` spend exactly `agg` under the epoch and roster of `holdings`: `roster` must be the one
/// the holdings were set up with (its digest), the signers distinct members of the committee, each signature
/// valid under that member's key (member i at i − 1), at least [`spend_quorum`] of them.
///
/// # Errors
/// [`ThresholdError::WrongRoster`] for another roster, [`ThresholdError::MemberIndex`] for a signer outside
/// 1..=n, [`ThresholdError::Duplicate`] for a second receipt of a member, [`ThresholdError::Signature`] for a
/// signature that does not verify (another aggregate, round, epoch, roster, signer or key),
/// [`ThresholdError::TooFewReceipts`] below the quorum.
pub fn check_receipts<M: Modulus, const N: usize>(
    holdings: &Holdings,
    roster: &[VerifyingKey],
    agg: &Aggregate<'_, '_, M, N>,
    receipts: &[SpendReceipt],
) -> Result<(), ThresholdError> {
    let epoch = holdings.epoch();
    if roster_digest(epoch, roster)? != *holdings.roster() {
        return Err(ThresholdError::WrongRoster);
    }
    let c = &epoch.committee;
    let mut seen = 0u32;
    for r in receipts {
        let b = bit(r.member) & c.all();
        if b == 0 {
            return Err(ThresholdError::MemberIndex {
                index: r.member as usize,
                members: c.members(),
            });
        }
        if seen & b != 0 {
            return Err(ThresholdError::Duplicate { member: r.member });
        }
        let msg = receipt_message(epoch, holdings.roster(), r.member, agg);
        roster[r.member as usize - 1]
            .verify_with_context(&msg, RECEIPT_CONTEXT, &r.signature)
            .map_err(|_| ThresholdError::Signature { member: r.member })?;
        seen |= b;
    }
    let need = spend_quorum(c.members(), c.threshold());
    if seen.count_ones() < need {
        return Err(ThresholdError::TooFewReceipts {
            have: seen.count_ones(),
            need,
        });
    }
    Ok(())
}

/// The receipts a member is asked to answer with, and the roster they are checked under (which must be the
/// member's own, [`Holdings::roster`]; the epoch is always the holdings').
#[derive(Clone, Copy, Debug)]
pub struct Spend<'a> {
    /// The members' ML-DSA identity keys (exactly n, member i at i − 1).
    pub roster: &'a [VerifyingKey],
    /// The quorum's receipts for the aggregate.
    pub receipts: &'a [SpendReceipt],
}

impl Spend<'_> {
    /// Err unless the receipts spend `agg` ([`check_receipts`]) and the member's own ledger holds its "signed"
    /// marker for `agg` (R10-1: its own spend is a fact of its own ledger, not of a signature checked under a
    /// roster) and fewer than [`DECRYPTIONS_PER_KEY`] answers of the epoch are recorded
    /// ([`ThresholdError::KeyExhausted`], review 11 F3); then marks `agg` answered and counts the decryption in
    /// one `spend_all`, refusing a second answer to the same aggregate ([`ThresholdError::AlreadyDecrypted`]).
    pub(crate) fn answer<M: Modulus, const N: usize>(
        &self,
        holdings: &Holdings,
        agg: &Aggregate<'_, '_, M, N>,
        spent: &mut impl SpentLedger,
    ) -> Result<(), ThresholdError> {
        let m = marker(
            ANSWER_LABEL,
            holdings.epoch(),
            agg.round(),
            Some(&agg.binding()),
        );
        self.answer_marked(holdings, agg, spent, &m)
    }

    /// [`Spend::answer`] for a supplementary answer for the slots of excluded member `excluded`
    /// (docs/THRESHOLD.md §3.2.1): the same checks and decryption count, with the marker of (aggregate, x)
    /// instead of the aggregate's "answered" marker, so a member answers an aggregate once and once more per
    /// excluded member at most.
    pub(crate) fn answer_supplement<M: Modulus, const N: usize>(
        &self,
        holdings: &Holdings,
        agg: &Aggregate<'_, '_, M, N>,
        excluded: u8,
        spent: &mut impl SpentLedger,
    ) -> Result<(), ThresholdError> {
        let mut h = Sha3_256::new();
        h.update(agg.binding());
        h.update([excluded]);
        let bx: [u8; 32] = h.finalize().into();
        let m = marker(SUPPLEMENT_LABEL, holdings.epoch(), agg.round(), Some(&bx));
        self.answer_marked(holdings, agg, spent, &m)
    }

    fn answer_marked<M: Modulus, const N: usize>(
        &self,
        holdings: &Holdings,
        agg: &Aggregate<'_, '_, M, N>,
        spent: &mut impl SpentLedger,
        answered: &[u8; 32],
    ) -> Result<(), ThresholdError> {
        check_receipts(holdings, self.roster, agg, self.receipts)?;
        let epoch = holdings.epoch();
        let binding = agg.binding();
        if !spent.is_spent(&marker(SIGNED_LABEL, epoch, agg.round(), Some(&binding))) {
            return Err(ThresholdError::NotSpentByMember {
                member: holdings.member(),
            });
        }
        let taken = decryptions_taken(epoch, spent);
        if taken >= DECRYPTIONS_PER_KEY {
            return Err(ThresholdError::KeyExhausted {
                limit: DECRYPTIONS_PER_KEY,
            });
        }
        let markers = [*answered, decryption_marker(epoch, taken)];
        spent.spend_all(markers.iter()).map_err(|r| match r {
            LedgerRefusal::Spent(0) => ThresholdError::AlreadyDecrypted {
                clinic: agg.ciphertexts().first().map_or(0, Admitted::clinic),
            },
            // Marker `taken` was spent between the count and this write: another answer of this member
            // took it concurrently (review 12, R12-5). Nothing was recorded and budget may remain, so this is
            // a retryable refusal, not `KeyExhausted` (a service rotating keys on that error must not be
            // pushed into rotating early).
            LedgerRefusal::Spent(_) => ThresholdError::ConcurrentAnswer,
            LedgerRefusal::Full => ThresholdError::LedgerFull,
        })
    }
}
