//! Collective key generation without a dealer (docs/THRESHOLD.md §2), in three steps:
//!
//! 1. **Commit.** Member i draws its own 32-byte seed; for every slot U (`slots`) it derives a part
//!    (r_{i,U,j}, e_{i,U,j}), exactly a single-decryptor `bfv::SecretKey`, and its public slot share
//!    b_{i,U,j} = −(a·r_{i,U,j} + e_{i,U,j}) for every chunk j. It publishes only a commitment
//!    H(label, CRS seed, epoch, n, t, i, L, every b_{i,U,j}) ([`commitment`]).
//! 2. **Reveal.** Once all n commitments are in, each member reveals its slot shares; [`KeyCeremony`] refuses
//!    a reveal before every commitment is in and a reveal that does not open its commitment. So no member —
//!    in particular not the last one — can choose its shares after seeing the others' (review 7, finding 3).
//! 3. **Deal.** Member i sends the seed of its part of slot U to every holder of U (every member outside U)
//!    inside the ML-KEM + ML-DSA channel; the holder accepts it only if it regenerates the revealed
//!    b_{i,U,j} exactly ([`Holdings::accept`]). A slot-part seed is the sharing itself (the part r_{i,U}, e_{i,U}
//!    in compact form), dealt once at key generation to its n − t + 1 holders; no seed is ever released at
//!    decryption time.
//!
//! The committee key is b_j = Σ_i Σ_U b_{i,U,j} = −(a·s_j + e_j), s_j = Σ_U R_{U,j}, R_{U,j} = Σ_i r_{i,U,j}.
//! Clinics encrypt under (a, b_j) unchanged.

use super::aggregate::{committee_key_digest_of, key_id};
use super::error::ThresholdError;
use super::plan::{CheckedPlan, MAX_MEMBERS, SLOT_CAP};
use super::slots::{Committee, bit};
use crate::arith::Modulus;
use crate::bfv::SecretKey;
use crate::bfv::keys::check_params;
use crate::channel::identity::VerifyingKey;
use crate::params::ParamSet;
use crate::ring::sample::SEED_BYTES;
use crate::ring::{NttPoly, Poly};
use rand_core::CryptoRng;
use sha3::{Digest, Sha3_256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Domain label of a key commitment.
pub const COMMIT_LABEL: &[u8] = b"ZKFL-PQ/threshold/key-commitment/v1";
/// Domain label of a slot part's seed derivation.
pub const SLOT_LABEL: &[u8] = b"ZKFL-PQ/threshold/slot-part/v1";
/// Domain label of an epoch's identity (`Epoch::id`).
pub const EPOCH_LABEL: &[u8] = b"ZKFL-PQ/threshold/epoch/v1";
/// Domain label of the digest a ceremony keeps of one dealer's revealed share of one slot (review 12, R12-4).
pub const SLOT_SHARE_LABEL: &[u8] = b"ZKFL-PQ/threshold/revealed-slot-share/v1";
/// Domain label of the digest a ceremony keeps of its accumulators between reveals (review 12, R12-3).
pub const ACCUMULATOR_LABEL: &[u8] = b"ZKFL-PQ/threshold/ceremony-accumulator/v1";

/// The public context of one committee key: the CRS seed that expands a, the key epoch, the committee and the
/// digest ρ_R of its roster of ML-DSA identity keys.
///
/// Review 11, F2: ρ_R is part of the epoch, so it enters every key commitment ([`commitment`]) and every part
/// seed ([`Dealer::slot_seed`]); a member set up with another roster than the others runs its ceremony under
/// another `Epoch` and gets `CommitmentMismatch` at the first reveal (and its dealer `WrongEpoch` at dealing), so
/// members that complete a ceremony together hold one roster, on which the quorum argument (§3.1.1) rests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Epoch {
    /// Seed of the public a (`bfv::public_a`).
    pub crs: [u8; SEED_BYTES],
    /// Key epoch (incremented at every rotation).
    pub epoch: u64,
    /// n and t.
    pub committee: Committee,
    /// [`roster_digest`] of the committee's roster (use [`Epoch::new`]; `Holdings::new` checks it).
    pub roster: [u8; 32],
}

impl Epoch {
    /// The epoch of (CRS, epoch number, committee) with the roster `roster` (exactly n pairwise distinct keys,
    /// member i at i − 1) bound in.
    ///
    /// # Errors
    /// [`ThresholdError::WrongRoster`] for a roster of another size or with a repeated key.
    pub fn new(
        crs: [u8; SEED_BYTES],
        epoch: u64,
        committee: Committee,
        roster: &[VerifyingKey],
    ) -> Result<Self, ThresholdError> {
        let mut e = Self {
            crs,
            epoch,
            committee,
            roster: [0; 32],
        };
        e.roster = roster_digest(&e, roster)?;
        Ok(e)
    }

    /// H(label, CRS, epoch, n, t, ρ_R): the 32 bytes every committee message carries (`threshold::wire`), so a
    /// message of another epoch, committee or roster is refused before its body is read.
    #[must_use]
    pub fn id(&self) -> [u8; 32] {
        let mut h = Sha3_256::new();
        h.update(EPOCH_LABEL);
        self.absorb(&mut h);
        h.finalize().into()
    }

    /// (CRS, epoch, n, t, ρ_R) into `h`: the context every commitment and part seed is bound to.
    fn absorb(&self, h: &mut Sha3_256) {
        h.update(self.crs);
        h.update(self.epoch.to_le_bytes());
        h.update(self.committee.members().to_le_bytes());
        h.update(self.committee.threshold().to_le_bytes());
        h.update(self.roster);
    }
}

/// Feeds a polynomial's canonical residues (little-endian, `Modulus::BYTES` each) into `h`.
pub(crate) fn absorb_poly<M: Modulus, const N: usize>(h: &mut Sha3_256, p: &Poly<M, N>) {
    for &c in &p.coeffs {
        h.update(&M::to_u128(c).to_le_bytes()[..M::BYTES]);
    }
}

/// The commitment of member `member` to its slot shares `shares[u·L + j]` = b_{member,U_u,j} (all slots, L
/// chunks each), bound to the CRS, the epoch, the committee shape, the roster digest ρ_R and the member index.
#[must_use]
pub fn commitment<M: Modulus, const N: usize>(
    epoch: &Epoch,
    member: u8,
    shares: &[Poly<M, N>],
) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(COMMIT_LABEL);
    epoch.absorb(&mut h);
    h.update([member]);
    h.update((shares.len() as u64).to_le_bytes());
    for p in shares {
        absorb_poly(&mut h, p);
    }
    h.finalize().into()
}

/// A member's own secret for one epoch: the seed its slot parts are derived from. Zeroized on drop.
///
/// A dealer belongs to one [`Epoch`] (review 8, finding 3): its part seeds are derived from the secret, the
/// CRS, the epoch number, n, t, the member index and the slot's member mask, so a dealer kept across a
/// rotation or a restart (with a renumbered committee) never re-deals a part; a restart and a rotation
/// draw a fresh secret anyway (docs/THRESHOLD.md §2.2).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Dealer {
    #[zeroize(skip)]
    epoch: Epoch,
    #[zeroize(skip)]
    member: u8,
    seed: [u8; SEED_BYTES],
}

impl core::fmt::Debug for Dealer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Dealer")
            .field("member", &self.member)
            .finish_non_exhaustive()
    }
}

impl Dealer {
    /// Member `member`'s fresh secret for `epoch`.
    ///
    /// # Errors
    /// [`ThresholdError::MemberIndex`] outside 1..=n.
    pub fn generate(
        epoch: &Epoch,
        member: u8,
        rng: &mut impl CryptoRng,
    ) -> Result<Self, ThresholdError> {
        if bit(member) & epoch.committee.all() == 0 {
            return Err(ThresholdError::MemberIndex {
                index: member as usize,
                members: epoch.committee.members(),
            });
        }
        let mut seed = [0u8; SEED_BYTES];
        rng.fill_bytes(&mut seed);
        Ok(Self {
            epoch: *epoch,
            member,
            seed,
        })
    }

    /// The epoch this dealer belongs to.
    #[must_use]
    pub fn epoch(&self) -> &Epoch {
        &self.epoch
    }

    /// The member index (1-based).
    #[must_use]
    pub fn member(&self) -> u8 {
        self.member
    }

    /// The seed of this member's part of slot `slot` (secret: dealt only to the slot's holders):
    /// H(label, secret, CRS, epoch, n, t, ρ_R, member, slot mask). The slot's member mask, not its rank, so a
    /// renumbered committee never maps an old slot's part onto a new slot.
    #[must_use]
    pub fn slot_seed(&self, slot: usize) -> [u8; SEED_BYTES] {
        let c = &self.epoch.committee;
        let mut h = Sha3_256::new();
        h.update(SLOT_LABEL);
        h.update(self.seed);
        self.epoch.absorb(&mut h);
        h.update([self.member]);
        h.update(c.slot(slot).to_le_bytes());
        h.finalize().into()
    }

    /// Err unless `epoch` is the dealer's own, every field of it (review 10, R10-2: comparing only (n, t) let a
    /// dealer kept across a rotation re-deal its old parts under the new epoch).
    fn check_epoch(&self, epoch: &Epoch) -> Result<(), ThresholdError> {
        if *epoch == self.epoch {
            Ok(())
        } else {
            Err(ThresholdError::WrongEpoch)
        }
    }

    /// The public slot shares b_{i,U,j} of every slot and chunk into `out[u·L + j]` (L = `chunks`), under the a
    /// of the dealer's own CRS (`a_scratch` holds it; never a caller's a).
    ///
    /// # Errors
    /// [`ThresholdError::WrongEpoch`] unless `epoch` is the dealer's own,
    /// [`ThresholdError::ChunkCount`] if `out` does not hold slots·L polynomials.
    pub fn public_shares<P: ParamSet, const N: usize, const K: usize>(
        &self,
        epoch: &Epoch,
        a_scratch: &mut NttPoly<N, K>,
        chunks: usize,
        out: &mut [Poly<P::M, N>],
    ) -> Result<(), ThresholdError> {
        const { check_params::<P, N, K>() };
        self.check_epoch(epoch)?;
        check_len(out.len(), epoch.committee.slots() * chunks)?;
        let mut a = Poly::<P::M, N>::zero();
        crate::bfv::public_a::<P, N>(&self.epoch.crs, &mut a);
        a_scratch.set_from_poly(&a);
        for (u, slot) in out.chunks_mut(chunks).enumerate() {
            let key = SecretKey::<P, N>::from_seed(self.slot_seed(u));
            for (j, b) in slot.iter_mut().enumerate() {
                key.public_key_chunk(a_scratch, j, b);
            }
        }
        Ok(())
    }

    /// The part seed of slot `slot` dealt to `holder`.
    ///
    /// # Errors
    /// [`ThresholdError::NotAHolder`] unless `holder` holds the slot (is outside it): the dealer never hands a
    /// slot's part to a member of the slot; [`ThresholdError::WrongEpoch`] for another epoch than the
    /// dealer's own (every field, R10-2).
    pub fn deal(
        &self,
        epoch: &Epoch,
        slot: usize,
        holder: u8,
    ) -> Result<[u8; SEED_BYTES], ThresholdError> {
        self.check_epoch(epoch)?;
        let committee = &epoch.committee;
        if slot >= committee.slots() || !committee.holds(holder, slot) {
            return Err(ThresholdError::NotAHolder { member: holder });
        }
        Ok(self.slot_seed(slot))
    }
}

fn check_len(got: usize, expected: usize) -> Result<(), ThresholdError> {
    if got == expected {
        Ok(())
    } else {
        Err(ThresholdError::ChunkCount { expected, got })
    }
}

/// The public side of key generation (run by the aggregator and by every member): commitments first, then
/// reveals checked against them, summed into the committee key b_j and the slot keys B_{U,j} = Σ_i b_{i,U,j}.
///
/// The sums live in the caller's buffers (no allocator), but the ceremony vouches for them (review 12, R12-3):
/// the first reveal refuses buffers that are not all zero, and every later reveal refuses buffers whose digest
/// is not the one the ceremony recorded after the previous reveal (`AccumulatorMismatch`), so the key identity
/// the last reveal computes is the digest of exactly the sum of the checked reveals. It also keeps a digest of
/// every dealer's revealed share of every slot, against which `Holdings::accept` checks a dealt part (R12-4).
#[derive(Clone, Debug)]
pub struct KeyCeremony {
    epoch: Epoch,
    commitments: [[u8; 32]; MAX_MEMBERS as usize],
    committed: u32,
    revealed: u32,
    /// L, fixed by the first reveal.
    chunks: usize,
    /// [`accumulator_digest`] of (key, slot keys) after the last accepted reveal.
    accumulator: [u8; 32],
    /// [`slot_share_digest`] of dealer i's revealed share of slot u at `[u][i − 1]`.
    slot_shares: [[[u8; 32]; MAX_MEMBERS as usize]; SLOT_CAP],
    /// `aggregate::committee_key_digest` of (a of the epoch's CRS, the summed key), set by the last reveal.
    key: [u8; 32],
}

/// H(label, epoch, L, every coefficient of `key` then `slot_keys`): what a ceremony records of its accumulators.
fn accumulator_digest<M: Modulus, const N: usize>(
    epoch: &Epoch,
    key: &[Poly<M, N>],
    slot_keys: &[Poly<M, N>],
) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(ACCUMULATOR_LABEL);
    epoch.absorb(&mut h);
    h.update((key.len() as u64).to_le_bytes());
    for p in key.iter().chain(slot_keys) {
        absorb_poly(&mut h, p);
    }
    h.finalize().into()
}

/// H(label, epoch, dealer, slot mask, L, b_{dealer,U,1..L}): the digest of one dealer's revealed share of one
/// slot, which a holder's dealt part must regenerate (review 12, R12-4).
#[must_use]
pub fn slot_share_digest<M: Modulus, const N: usize>(
    epoch: &Epoch,
    dealer: u8,
    slot: usize,
    share: &[Poly<M, N>],
) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(SLOT_SHARE_LABEL);
    epoch.absorb(&mut h);
    h.update([dealer]);
    h.update(epoch.committee.slot(slot).to_le_bytes());
    h.update((share.len() as u64).to_le_bytes());
    for p in share {
        absorb_poly(&mut h, p);
    }
    h.finalize().into()
}

impl KeyCeremony {
    /// A ceremony for `epoch`.
    #[must_use]
    pub fn new(epoch: Epoch) -> Self {
        Self {
            epoch,
            commitments: [[0; 32]; MAX_MEMBERS as usize],
            committed: 0,
            revealed: 0,
            chunks: 0,
            accumulator: [0; 32],
            slot_shares: [[[0; 32]; MAX_MEMBERS as usize]; SLOT_CAP],
            key: [0; 32],
        }
    }

    /// The epoch.
    #[must_use]
    pub fn epoch(&self) -> &Epoch {
        &self.epoch
    }

    /// Records member `member`'s commitment.
    ///
    /// # Errors
    /// [`ThresholdError::MemberIndex`] outside 1..=n, [`ThresholdError::Duplicate`] for a second commitment,
    /// [`ThresholdError::CeremonyOrder`] once reveals have begun.
    pub fn commit(&mut self, member: u8, c: [u8; 32]) -> Result<(), ThresholdError> {
        let b = self.member_bit(member)?;
        if self.revealed != 0 {
            return Err(ThresholdError::CeremonyOrder);
        }
        if self.committed & b != 0 {
            return Err(ThresholdError::Duplicate { member });
        }
        self.commitments[member as usize - 1] = c;
        self.committed |= b;
        Ok(())
    }

    /// Checks member `member`'s revealed slot shares (`shares[u·L + j]`) against its commitment and adds them
    /// into the committee key `key[j]` and the slot keys `slot_keys[u·L + j]` (both start at zero; the same
    /// buffers for every reveal, checked: review 12, R12-3). The last reveal digests the finished key together
    /// with the a of the epoch's own CRS ([`KeyCeremony::committee_key`]): a member's holdings take their key
    /// identity from here, never from a caller or the aggregator (review 11, F1).
    ///
    /// # Errors
    /// [`ThresholdError::CeremonyOrder`] before all n commitments are in, [`ThresholdError::Duplicate`] for a
    /// second reveal, [`ThresholdError::CommitmentMismatch`] if the shares do not open the commitment (nothing
    /// is added then), [`ThresholdError::ChunkCount`] for wrong buffer sizes or another L than the first reveal's,
    /// [`ThresholdError::AccumulatorMismatch`] if `key` and `slot_keys` are not all zero at the first reveal or
    /// not what the previous reveal left in them (nothing is added then).
    pub fn reveal<P: ParamSet, const N: usize>(
        &mut self,
        member: u8,
        shares: &[Poly<P::M, N>],
        key: &mut [Poly<P::M, N>],
        slot_keys: &mut [Poly<P::M, N>],
    ) -> Result<(), ThresholdError> {
        let b = self.member_bit(member)?;
        if self.committed != self.epoch.committee.all() {
            return Err(ThresholdError::CeremonyOrder);
        }
        if self.revealed & b != 0 {
            return Err(ThresholdError::Duplicate { member });
        }
        let chunks = key.len();
        if self.revealed != 0 || chunks == 0 {
            check_len(chunks, self.chunks.max(1))?;
        }
        check_len(shares.len(), self.epoch.committee.slots() * chunks)?;
        check_len(slot_keys.len(), shares.len())?;
        let c = commitment(&self.epoch, member, shares);
        if !bool::from(c.ct_eq(&self.commitments[member as usize - 1])) {
            return Err(ThresholdError::CommitmentMismatch { member });
        }
        let fresh = if self.revealed == 0 {
            key.iter()
                .chain(slot_keys.iter())
                .all(|p| p.coeffs.iter().all(|&c| P::M::to_u128(c) == 0))
        } else {
            accumulator_digest(&self.epoch, key, slot_keys) == self.accumulator
        };
        if !fresh {
            return Err(ThresholdError::AccumulatorMismatch);
        }
        // Share j of each slot adds into chunk j of the key (the lengths are checked above).
        for (slot, slot_key) in shares.chunks(chunks).zip(slot_keys.chunks_mut(chunks)) {
            for ((s, sk), k) in slot.iter().zip(slot_key).zip(key.iter_mut()) {
                k.add_assign(s);
                sk.add_assign(s);
            }
        }
        for (u, share) in shares.chunks(chunks).enumerate() {
            self.slot_shares[u][member as usize - 1] =
                slot_share_digest(&self.epoch, member, u, share);
        }
        self.accumulator = accumulator_digest(&self.epoch, key, slot_keys);
        self.revealed |= b;
        self.chunks = chunks;
        if self.complete() {
            let mut a = Poly::<P::M, N>::zero();
            crate::bfv::public_a::<P, N>(&self.epoch.crs, &mut a);
            self.key = committee_key_digest_of::<P::M, N>(
                &a.coeffs,
                chunks,
                key.iter().map(|p| &p.coeffs),
            );
        }
        Ok(())
    }

    /// The digest of the committee key this ceremony summed (`aggregate::committee_key_digest` of the epoch's a
    /// and b_1..b_L) and L, once every member has revealed.
    ///
    /// # Errors
    /// [`ThresholdError::CeremonyOrder`] before the last reveal.
    pub fn committee_key(&self) -> Result<([u8; 32], usize), ThresholdError> {
        if self.complete() {
            Ok((self.key, self.chunks))
        } else {
            Err(ThresholdError::CeremonyOrder)
        }
    }

    /// Whether every member has revealed (the committee key is complete).
    #[must_use]
    pub fn complete(&self) -> bool {
        self.revealed == self.epoch.committee.all()
    }

    /// Err unless `share` is dealer `dealer`'s revealed share of slot `slot` in this ceremony (review 12, R12-4).
    fn check_revealed<M: Modulus, const N: usize>(
        &self,
        dealer: u8,
        slot: usize,
        share: &[Poly<M, N>],
    ) -> Result<(), ThresholdError> {
        let d = slot_share_digest(&self.epoch, dealer, slot, share);
        if d == self.slot_shares[slot][dealer as usize - 1] {
            Ok(())
        } else {
            Err(ThresholdError::UnrevealedShare { dealer, slot })
        }
    }

    fn member_bit(&self, member: u8) -> Result<u32, ThresholdError> {
        let b = bit(member) & self.epoch.committee.all();
        if b == 0 {
            return Err(ThresholdError::MemberIndex {
                index: member as usize,
                members: self.epoch.committee.members(),
            });
        }
        Ok(b)
    }
}

/// Domain label of a committee roster's digest.
pub const ROSTER_LABEL: &[u8] = b"ZKFL-PQ/threshold/roster/v1";

/// H(label, CRS, epoch, n, t, every key in member order) of a roster of exactly n pairwise distinct ML-DSA
/// identity keys (review 10, R10-6: a repeated key would let one signature count for two members). It reads
/// `epoch`'s CRS, number and committee, not its `roster` field (this is what that field holds).
///
/// # Errors
/// [`ThresholdError::WrongRoster`] for another size or a repeated key.
pub fn roster_digest(epoch: &Epoch, roster: &[VerifyingKey]) -> Result<[u8; 32], ThresholdError> {
    if roster.len() != epoch.committee.members() as usize {
        return Err(ThresholdError::WrongRoster);
    }
    for (i, k) in roster.iter().enumerate() {
        if roster[..i].iter().any(|o| o.as_bytes() == k.as_bytes()) {
            return Err(ThresholdError::WrongRoster);
        }
    }
    let mut h = Sha3_256::new();
    h.update(ROSTER_LABEL);
    h.update(epoch.crs);
    h.update(epoch.epoch.to_le_bytes());
    h.update(epoch.committee.members().to_le_bytes());
    h.update(epoch.committee.threshold().to_le_bytes());
    for k in roster {
        h.update(k.as_bytes());
    }
    Ok(h.finalize().into())
}

/// What one member holds after dealing: for every slot it holds, every dealer's part seed, each checked
/// against the dealer's revealed slot share. Zeroized on drop.
pub struct Holdings {
    member: u8,
    epoch: Epoch,
    roster: [u8; 32],
    key: [u8; 32],
    /// The ceremony's committee-key digest (`KeyCeremony::committee_key`): `accept` takes only that ceremony.
    ceremony_key: [u8; 32],
    /// Whether aggregates of ciphertexts admitted without their proof are answered (review 12, R12-7: only
    /// after [`Holdings::accept_unverified_admissions`], which exists only in test, bench and ct-check builds).
    unverified_ok: bool,
    plan: (u32, u64),
    chunks: usize,
    seeds: [[[u8; SEED_BYTES]; MAX_MEMBERS as usize]; SLOT_CAP],
    received: [u32; SLOT_CAP],
}

impl core::fmt::Debug for Holdings {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Holdings")
            .field("member", &self.member)
            .field("complete", &self.complete())
            .finish_non_exhaustive()
    }
}

impl Drop for Holdings {
    fn drop(&mut self) {
        self.seeds.zeroize();
    }
}

impl Holdings {
    /// Empty holdings of member `member` for the committee key of `ceremony` (the member's own, complete: its
    /// epoch, L and key digest), and the committee's roster of ML-DSA identity keys (exactly n, member i at i − 1,
    /// pairwise distinct). The holdings are the member's per-epoch state (review 10, R10-1): spend receipts are
    /// signed and checked under this epoch and this roster only, never under ones the request carries; every
    /// dealt part is checked against all L chunks of its published share (review 8, finding 7).
    ///
    /// Review 11, F1: the holdings carry the round key identity `aggregate::key_id` of (epoch, t, B_int, committee
    /// key digest), computed here from the member's own ceremony (a from the epoch's CRS, b_j from the reveals
    /// it checked) and its own `plan` (t = `plaintext_modulus(K, B_int)`); `spend::sign_receipt` and
    /// `share::ShareMaker::make` refuse an aggregate admitted under any other identity.
    ///
    /// # Errors
    /// [`ThresholdError::CeremonyOrder`] before the ceremony is complete, [`ThresholdError::MemberIndex`] outside
    /// 1..=n, [`ThresholdError::WrongPlan`] if `plan` is for another (n, t, L) or has no plaintext modulus,
    /// [`ThresholdError::WrongRoster`] for a roster of another size or with a repeated key (R10-6), or one whose
    /// digest is not the epoch's ρ_R (review 11, F2).
    pub fn new<P: ParamSet>(
        ceremony: &KeyCeremony,
        member: u8,
        roster: &[VerifyingKey],
        plan: &CheckedPlan<P>,
    ) -> Result<Self, ThresholdError> {
        let epoch = ceremony.epoch();
        let committee = epoch.committee;
        let (digest, chunks) = ceremony.committee_key()?;
        if bit(member) & committee.all() == 0 {
            return Err(ThresholdError::MemberIndex {
                index: member as usize,
                members: committee.members(),
            });
        }
        let p = plan.plan();
        if (p.members, p.threshold, p.chunks)
            != (committee.members(), committee.threshold(), chunks)
        {
            return Err(ThresholdError::WrongPlan);
        }
        let t = crate::policy::plaintext_modulus(p.clinics, p.b_int)
            .ok_or(ThresholdError::WrongPlan)?;
        if roster_digest(epoch, roster)? != epoch.roster {
            return Err(ThresholdError::WrongRoster);
        }
        Ok(Self {
            member,
            epoch: *epoch,
            roster: epoch.roster,
            key: key_id(P::ID, epoch.epoch, t, p.b_int, &digest),
            ceremony_key: digest,
            unverified_ok: false,
            plan: (p.clinics, p.b_int),
            chunks,
            seeds: [[[0; SEED_BYTES]; MAX_MEMBERS as usize]; SLOT_CAP],
            received: [0; SLOT_CAP],
        })
    }

    /// The holder's index.
    #[must_use]
    pub fn member(&self) -> u8 {
        self.member
    }

    /// The committee.
    #[must_use]
    pub fn committee(&self) -> &Committee {
        &self.epoch.committee
    }

    /// The key epoch these holdings belong to.
    #[must_use]
    pub fn epoch(&self) -> &Epoch {
        &self.epoch
    }

    /// The round key identity (`aggregate::RoundKey::id`) of the epoch's committee key under the member's plan:
    /// the only key identity it signs receipts for or answers (review 11, F1).
    #[must_use]
    pub fn key_id(&self) -> &[u8; 32] {
        &self.key
    }

    /// Err unless every ciphertext of an aggregate was admitted under [`Holdings::key_id`]
    /// ([`ThresholdError::WrongKey`]) and with its proof verified ([`ThresholdError::Unverified`], review 12
    /// R12-7: `Admitted::unverified` exists in bench and ct-check builds, which feature unification can turn on
    /// in a product build; its admissions are still refused unless these holdings opted in).
    pub(crate) fn check_key(
        &self,
        agg_key: &[u8; 32],
        verified: bool,
    ) -> Result<(), ThresholdError> {
        if *agg_key != self.key {
            return Err(ThresholdError::WrongKey);
        }
        if !verified && !self.unverified_ok {
            return Err(ThresholdError::Unverified);
        }
        Ok(())
    }

    /// Lets these holdings answer aggregates of ciphertexts admitted by `Admitted::unverified` (proofs not
    /// checked): only for this crate's tests, the constant-time check (feature `valgrind-ct`) and the bench
    /// (feature `threshold-bench`). A product build never calls it, so even with those features unified in,
    /// an unverified admission is refused with [`ThresholdError::Unverified`] (review 12, R12-7).
    #[cfg(any(test, feature = "valgrind-ct", feature = "threshold-bench"))]
    pub fn accept_unverified_admissions(&mut self) {
        self.unverified_ok = true;
    }

    /// (K, B_int) of the plan the holdings were made under (a smudger for another plan is refused).
    #[must_use]
    pub fn plan(&self) -> (u32, u64) {
        self.plan
    }

    /// The digest of the committee roster they were set up with ([`roster_digest`]).
    #[must_use]
    pub fn roster(&self) -> &[u8; 32] {
        &self.roster
    }

    /// The key's chunk count L.
    #[must_use]
    pub fn chunks(&self) -> usize {
        self.chunks
    }

    /// Accepts dealer `dealer`'s part seed of slot `slot` if it regenerates the dealer's revealed slot share
    /// `published[j]` = b_{dealer,U,j} for every chunk (exact: a seed determines r and e) under the a of the
    /// epoch's CRS, expanded here into `a_scratch`.
    ///
    /// Review 12, R12-4: `published` must be the share the dealer revealed in `ceremony` (the member's own,
    /// complete ceremony these holdings were made from; its per-(dealer, slot) digest is checked), so a dealer
    /// cannot reveal one share to the ceremony and have its part checked against another, and no caller's a
    /// enters the check.
    ///
    /// # Errors
    /// [`ThresholdError::WrongEpoch`] if `ceremony` is not the one these holdings were made from,
    /// [`ThresholdError::NotAHolder`] if this member does not hold the slot, [`ThresholdError::MemberIndex`]
    /// for a dealer outside 1..=n, [`ThresholdError::Duplicate`] for a second part from the same dealer,
    /// [`ThresholdError::ChunkCount`] unless `published` has exactly L chunks,
    /// [`ThresholdError::UnrevealedShare`] if `published` is not the dealer's revealed share of the slot,
    /// [`ThresholdError::DealtPartMismatch`] if the seed does not regenerate the share (complain: the dealer is
    /// disqualified and the ceremony restarts without it).
    #[allow(clippy::too_many_arguments)]
    pub fn accept<P: ParamSet, const N: usize, const K: usize>(
        &mut self,
        ceremony: &KeyCeremony,
        dealer: u8,
        slot: usize,
        seed: [u8; SEED_BYTES],
        a_scratch: &mut NttPoly<N, K>,
        published: &[Poly<P::M, N>],
    ) -> Result<(), ThresholdError> {
        const { check_params::<P, N, K>() };
        let same = ceremony.epoch == self.epoch
            && ceremony
                .committee_key()
                .is_ok_and(|(k, l)| k == self.ceremony_key && l == self.chunks);
        if !same {
            return Err(ThresholdError::WrongEpoch);
        }
        if slot >= self.epoch.committee.slots() || !self.epoch.committee.holds(self.member, slot) {
            return Err(ThresholdError::NotAHolder {
                member: self.member,
            });
        }
        let b = bit(dealer) & self.epoch.committee.all();
        if b == 0 {
            return Err(ThresholdError::MemberIndex {
                index: dealer as usize,
                members: self.epoch.committee.members(),
            });
        }
        if self.received[slot] & b != 0 {
            return Err(ThresholdError::Duplicate { member: dealer });
        }
        check_len(published.len(), self.chunks)?;
        ceremony.check_revealed(dealer, slot, published)?;
        let mut regen = Poly::<P::M, N>::zero();
        crate::bfv::public_a::<P, N>(&self.epoch.crs, &mut regen);
        a_scratch.set_from_poly(&regen);
        let key = SecretKey::<P, N>::from_seed(seed);
        let ok = published.iter().enumerate().all(|(j, pj)| {
            key.public_key_chunk(a_scratch, j, &mut regen);
            // Public: the regenerated share is compared with a published one.
            crate::ct::declassify_bool(bool::from(regen.ct_eq(pj)))
        });
        if !ok {
            return Err(ThresholdError::DealtPartMismatch { dealer, slot });
        }
        self.seeds[slot][dealer as usize - 1] = seed;
        self.received[slot] |= b;
        Ok(())
    }

    /// Whether every held slot has every dealer's part.
    #[must_use]
    pub fn complete(&self) -> bool {
        (0..self.epoch.committee.slots()).all(|u| {
            !self.epoch.committee.holds(self.member, u)
                || self.received[u] == self.epoch.committee.all()
        })
    }

    /// R_{U,j} = Σ_i r_{i,U,j} of held slot `slot` added into `acc` (scratch `tmp`; both secret).
    pub(crate) fn add_slot_secret<P: ParamSet, const N: usize>(
        &self,
        slot: usize,
        j: usize,
        tmp: &mut Poly<P::M, N>,
        acc: &mut Poly<P::M, N>,
    ) {
        for seed in &self.seeds[slot][..self.epoch.committee.members() as usize] {
            SecretKey::<P, N>::from_seed(*seed).secret_chunk(j, tmp);
            acc.add_assign(tmp);
        }
        tmp.zeroize();
    }
}
