//! The only thing a member decrypts (docs/THRESHOLD.md §3.1): the sum of a round's accepted ciphertexts,
//! computed by the core itself. A member never takes a raw c1 (review 7, finding 2: c1 = 2^60 reveals a key
//! share in one query). Every ciphertext must
//!
//! - carry a norm proof that verifies (`zk::verify`) against the committee key and this round ([`Admitted`]);
//! - be admitted for this round, and have a c1 distinct from every other one in the aggregate (a "sum" of
//!   copies, or of ciphertexts sharing one c1, is an individual c1 times a constant: review 8, finding 2), and
//!   c1 ≠ 0;
//! - be fresh in the key epoch: a member's [`SpentLedger`] refuses to sign a spend receipt (`spend`) for an
//!   aggregate that contains a ciphertext it already spent (two overlapping rounds differ by one individual
//!   ciphertext), and a member answers only with receipts of a quorum, so overlapping aggregates cannot be
//!   routed to disjoint honest members (review 8, finding 1);
//!
//! and the aggregate must have at least `plan::MIN_CLINICS` and at most the plan's K of them (the smudging
//! argument and exact decryption are computed for K). A minimum count protects an individual
//! clinic only if the aggregator does not control clinic admission (it could fill a round with its own
//! clinics): clinic enrolment must be authenticated outside the aggregator (§1).

use super::error::ThresholdError;
use super::keys::absorb_poly;
use super::plan::{CheckedPlan, MIN_CLINICS};
use crate::arith::Modulus;
use crate::params::ParamSet;
use crate::ring::Poly;
use crate::zk::params::ZkParams;
use crate::zk::statement::{Context, Statement};
use sha3::{Digest, Sha3_256};

/// Domain label of a ciphertext digest.
pub const CIPHERTEXT_LABEL: &[u8] = b"ZKFL-PQ/threshold/ciphertext/v1";

/// Domain label of a round key's identity.
pub const KEY_LABEL: &[u8] = b"ZKFL-PQ/threshold/round-key/v2";

/// The public data a round is decrypted under: the CRS a, the committee key b_1..b_L, the key epoch, the round
/// number, and the plaintext modulus t and bound B_int the clinics must prove against (review 8, finding 5: a
/// clinic proving under its own t′ or B decodes as about (t/t′)·m, past the norm bound).
#[derive(Clone, Copy, Debug)]
pub struct RoundKey<'a, M: Modulus, const N: usize> {
    /// The parameter set's id (`ParamSet::ID`) the clinics' norm proofs are verified under (review 12, R12-6:
    /// part of the key identity, and `Admitted::verify::<Z>` refuses another `Z`).
    pub set_id: u8,
    /// The CRS a.
    pub a: &'a [M::Coeff; N],
    /// The committee key b_j (exactly L).
    pub b: &'a [[M::Coeff; N]],
    /// The key epoch (`keys::Epoch::epoch`).
    pub epoch: u64,
    /// The round.
    pub round: u64,
    /// The round's plaintext modulus t (`policy::plaintext_modulus(K, B_int)`).
    pub t: u64,
    /// The round's bound B_int.
    pub bound: u64,
}

impl<M: Modulus, const N: usize> RoundKey<'_, M, N> {
    /// [`key_id`] of (set id, epoch, t, B_int, [`committee_key_digest`] of (a, b_1..b_L)): the key identity
    /// every admitted ciphertext records and an aggregate binds (the round is bound separately).
    #[must_use]
    pub fn id(&self) -> [u8; 32] {
        key_id(
            self.set_id,
            self.epoch,
            self.t,
            self.bound,
            &committee_key_digest::<M, N>(self.a, self.b),
        )
    }
}

/// Domain label of a committee key's digest.
pub const COMMITTEE_KEY_LABEL: &[u8] = b"ZKFL-PQ/threshold/committee-key/v1";

/// SHA3-256 of (label, L, a, b_1..b_L): the committee key a member's `Holdings` are bound to (a member
/// computes it itself in its own `keys::KeyCeremony`, review 11 F1).
#[must_use]
pub fn committee_key_digest<M: Modulus, const N: usize>(
    a: &[M::Coeff; N],
    b: &[[M::Coeff; N]],
) -> [u8; 32] {
    committee_key_digest_of::<M, N>(a, b.len(), b.iter())
}

/// [`committee_key_digest`] of `chunks` key polynomials given by reference (one source of truth for the
/// encoding; `keys::KeyCeremony` hashes the key it summed without copying it).
pub(crate) fn committee_key_digest_of<'c, M: Modulus, const N: usize>(
    a: &[M::Coeff; N],
    chunks: usize,
    b: impl Iterator<Item = &'c [M::Coeff; N]>,
) -> [u8; 32]
where
    M::Coeff: 'c,
{
    let mut h = Sha3_256::new();
    h.update(COMMITTEE_KEY_LABEL);
    h.update((chunks as u64).to_le_bytes());
    let mut absorb = |c: &[M::Coeff; N]| {
        for &x in c {
            h.update(&M::to_u128(x).to_le_bytes()[..M::BYTES]);
        }
    };
    absorb(a);
    for b in b {
        absorb(b);
    }
    h.finalize().into()
}

/// SHA3-256 of (label, set id, epoch, t, B_int, committee key digest): a round key's identity
/// ([`RoundKey::id`]). A member recomputes it from its own parameter set, epoch, committee key and checked plan's
/// (t, B_int) and refuses an aggregate admitted under any other (review 8 finding 5; review 10 attempt 11: an
/// aggregate admitted under a foreign key with a′ = 2^60 brings back review 7's constant-c1 leak; review 12
/// R12-6: the set whose norm proofs admitted the ciphertexts is part of it).
#[must_use]
pub fn key_id(set_id: u8, epoch: u64, t: u64, bound: u64, committee_key: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(KEY_LABEL);
    h.update([set_id]);
    h.update(epoch.to_le_bytes());
    h.update(t.to_le_bytes());
    h.update(bound.to_le_bytes());
    h.update(committee_key);
    h.finalize().into()
}

/// One accepted ciphertext: its proof verified against the committee key and the round. Only
/// [`Admitted::verify`] makes one (and, in this crate's tests, a constructor that skips the proof).
#[derive(Clone, Copy, Debug)]
pub struct Admitted<'a, M: Modulus, const N: usize> {
    key: [u8; 32],
    /// False only for `Admitted::unverified` (review 12, R12-7: members refuse such aggregates by default).
    verified: bool,
    round: u64,
    clinic: u64,
    c1: &'a [M::Coeff; N],
    c0: &'a [[M::Coeff; N]],
    digest: [u8; 32],
    c1_digest: [u8; 32],
}

/// Domain label of a c1 digest.
pub const C1_LABEL: &[u8] = b"ZKFL-PQ/threshold/c1/v1";

/// SHA3-256 of c1 alone: a member's share depends only on c1, so an aggregate refuses two equal ones
/// (review 8, finding 2: one c1 under many c0 is "one ciphertext times a constant").
#[must_use]
pub fn c1_digest<M: Modulus, const N: usize>(c1: &[M::Coeff; N]) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(C1_LABEL);
    for &x in c1 {
        h.update(&M::to_u128(x).to_le_bytes()[..M::BYTES]);
    }
    h.finalize().into()
}

/// SHA3-256 of a ciphertext (c1, c0_1..c0_L), the identity the ledgers keep.
#[must_use]
pub fn ciphertext_digest<M: Modulus, const N: usize>(
    c1: &[M::Coeff; N],
    c0: &[[M::Coeff; N]],
) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(CIPHERTEXT_LABEL);
    h.update((c0.len() as u64).to_le_bytes());
    let mut absorb = |c: &[M::Coeff; N]| {
        for &x in c {
            h.update(&M::to_u128(x).to_le_bytes()[..M::BYTES]);
        }
    };
    absorb(c1);
    for c in c0 {
        absorb(c);
    }
    h.finalize().into()
}

impl<'a, M: Modulus, const N: usize> Admitted<'a, M, N> {
    /// Verifies `proof` for `stmt` in `ctx` and admits the ciphertext if the statement is under `key` and the
    /// context is `key.round`.
    ///
    /// # Errors
    /// [`ThresholdError::WrongKey`] if the statement's key is not the committee key or `Z` is not the round
    /// key's parameter set (review 12, R12-6), [`ThresholdError::WrongRound`] for another round, [`ThresholdError::WrongStatement`] if the statement's
    /// t or bound is not the round's, [`ThresholdError::Proof`] if the proof fails.
    pub fn verify<Z: ZkParams<M = M>>(
        key: &RoundKey<'_, M, N>,
        stmt: &Statement<'a, M, N>,
        ctx: &Context,
        proof: &[u8],
    ) -> Result<Self, ThresholdError> {
        let same_key = Z::ID == key.set_id && stmt.pk_a == key.a && stmt.pk_b == key.b;
        if !same_key {
            return Err(ThresholdError::WrongKey);
        }
        if ctx.round != key.round {
            return Err(ThresholdError::WrongRound);
        }
        if stmt.t != key.t || stmt.bound != key.bound {
            return Err(ThresholdError::WrongStatement);
        }
        crate::zk::verify::verify::<Z, N>(stmt, ctx, proof).map_err(ThresholdError::Proof)?;
        Ok(Self::admit(
            key.id(),
            true,
            ctx.round,
            ctx.clinic,
            stmt.c1,
            stmt.c0,
        ))
    }

    fn admit(
        key: [u8; 32],
        verified: bool,
        round: u64,
        clinic: u64,
        c1: &'a [M::Coeff; N],
        c0: &'a [[M::Coeff; N]],
    ) -> Self {
        Self {
            key,
            verified,
            round,
            clinic,
            c1,
            c0,
            digest: ciphertext_digest::<M, N>(c1, c0),
            c1_digest: c1_digest::<M, N>(c1),
        }
    }

    /// A ciphertext admitted without its proof: only for this crate's tests of the other checks (proofs of set
    /// L take seconds each), the constant-time check (feature `valgrind-ct`) and the bench (feature
    /// `threshold-bench`); never in a product build. It records the key identity `key` it is given (no
    /// `RoundKey`) and is marked unverified: a member refuses an aggregate holding it (`Unverified`) unless its
    /// holdings opted in with `Holdings::accept_unverified_admissions` (review 12, R12-7: feature unification
    /// can make this function exist in a product build; it still cannot get an answer there).
    #[cfg(any(test, feature = "valgrind-ct", feature = "threshold-bench"))]
    pub fn unverified(
        key: [u8; 32],
        round: u64,
        clinic: u64,
        c1: &'a [M::Coeff; N],
        c0: &'a [[M::Coeff; N]],
    ) -> Self {
        Self::admit(key, false, round, clinic, c1, c0)
    }

    /// The identity of the key it was admitted under ([`RoundKey::id`]).
    #[must_use]
    pub fn key_id(&self) -> &[u8; 32] {
        &self.key
    }

    /// The same ciphertext recorded under key identity `key` (tests of the mixed-key refusal).
    #[cfg(test)]
    pub(crate) fn with_key(mut self, key: [u8; 32]) -> Self {
        self.key = key;
        self
    }

    /// The round it was admitted for (its proof context).
    #[must_use]
    pub fn round(&self) -> u64 {
        self.round
    }

    /// The clinic.
    #[must_use]
    pub fn clinic(&self) -> u64 {
        self.clinic
    }

    /// The ciphertext's digest.
    #[must_use]
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }
}

/// Why a ledger refused [`SpentLedger::spend_all`] (nothing was recorded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerRefusal {
    /// Item `i` of the batch was already spent.
    Spent(usize),
    /// The ledger cannot record the whole batch.
    Full,
}

/// A member's spent markers in this key epoch: the digests of every ciphertext of every aggregate it signed a
/// spend receipt for (`spend::sign_receipt`; signed, not necessarily answered), one marker per round it signed
/// in, one per aggregate it signed, and one per aggregate it answered. The service keeps it on disk with the key;
/// it is cleared only by a key rotation.
///
/// **Atomicity** (review 10, R10-5): [`SpentLedger::spend_all`] is one test-and-set of a whole batch. An
/// implementation must make it all-or-nothing and durable before it returns `Ok` (a crash or a full disk
/// leaves either every item recorded or none), and serialise concurrent callers (one lock or one transaction
/// around check and write: a check followed by a separate write is a race between two requests).
pub trait SpentLedger {
    /// Whether `digest` was spent.
    fn is_spent(&self, digest: &[u8; 32]) -> bool;
    /// Records every item of `items` if none of them is spent and all fit, else records nothing.
    ///
    /// # Errors
    /// [`LedgerRefusal::Spent`] with the index of the first spent item, [`LedgerRefusal::Full`].
    fn spend_all<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
        &mut self,
        items: I,
    ) -> Result<(), LedgerRefusal>;
}

#[cfg(feature = "alloc")]
impl SpentLedger for alloc::collections::BTreeSet<[u8; 32]> {
    fn is_spent(&self, digest: &[u8; 32]) -> bool {
        self.contains(digest)
    }
    fn spend_all<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
        &mut self,
        items: I,
    ) -> Result<(), LedgerRefusal> {
        if let Some(i) = items.clone().position(|d| self.contains(d)) {
            return Err(LedgerRefusal::Spent(i));
        }
        self.extend(items.copied());
        Ok(())
    }
}

/// The sum of a round's admitted ciphertexts, computed here (c1 kept, c0 written to the caller's buffer).
pub struct Aggregate<'a, 'b, M: Modulus, const N: usize> {
    key: [u8; 32],
    verified: bool,
    round: u64,
    members: &'a [Admitted<'a, M, N>],
    c1: Poly<M, N>,
    c0: &'b [Poly<M, N>],
}

impl<M: Modulus, const N: usize> core::fmt::Debug for Aggregate<'_, '_, M, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Aggregate")
            .field("round", &self.round)
            .field("ciphertexts", &self.members.len())
            .finish_non_exhaustive()
    }
}

impl<'a, 'b, M: Modulus, const N: usize> Aggregate<'a, 'b, M, N> {
    /// Sums `admitted` (all admitted for `round`) into c1 and `c0_out` (L polynomials). `admitted` is sorted in
    /// place into the canonical order (increasing c1 digest), so an aggregate is a set: its binding does not
    /// depend on the order the aggregator listed the ciphertexts in.
    ///
    /// Distinctness is checked by sorting, O(K log K) with no scratch: by clinic id (adjacent ids equal), then
    /// by c1 digest (adjacent c1 equal). Equal c1 is refused even under distinct c0, because a member's share
    /// depends only on c1 (review 8, finding 2).
    ///
    /// # Errors
    /// [`ThresholdError::TooFewCiphertexts`] below [`MIN_CLINICS`], [`ThresholdError::TooManyCiphertexts`]
    /// above the checked plan's K (`clinics`: the smudging argument and exact decryption hold only up to it; the
    /// plan is a `CheckedPlan`, never a caller-built one, review 10 R10-3),
    /// [`ThresholdError::WrongRound`] for a ciphertext admitted for another round, [`ThresholdError::WrongKey`]
    /// for ciphertexts admitted under different round keys,
    /// [`ThresholdError::RepeatedCiphertext`] if two clinic ids or two c1 are equal,
    /// [`ThresholdError::ZeroCiphertext`] for c1 = 0, [`ThresholdError::ChunkCount`] if a ciphertext or `c0_out`
    /// has another chunk count than the plan's L.
    pub fn build<P: ParamSet<M = M>>(
        plan: &CheckedPlan<P>,
        round: u64,
        admitted: &'a mut [Admitted<'a, M, N>],
        c0_out: &'b mut [Poly<M, N>],
    ) -> Result<Self, ThresholdError> {
        let plan = plan.plan();
        let have = admitted.len();
        if have < MIN_CLINICS as usize {
            return Err(ThresholdError::TooFewCiphertexts {
                // have < MIN_CLINICS, a u32: the conversion cannot fail.
                have: u32::try_from(have).unwrap_or(u32::MAX),
                need: MIN_CLINICS,
            });
        }
        if have > plan.clinics as usize {
            return Err(ThresholdError::TooManyCiphertexts {
                have: have as u64,
                max: plan.clinics,
            });
        }
        if c0_out.len() != plan.chunks {
            return Err(ThresholdError::ChunkCount {
                expected: plan.chunks,
                got: c0_out.len(),
            });
        }
        let key = admitted[0].key;
        for x in admitted.iter() {
            if x.round != round {
                return Err(ThresholdError::WrongRound);
            }
            if x.key != key {
                return Err(ThresholdError::WrongKey);
            }
            if x.c0.len() != c0_out.len() {
                return Err(ThresholdError::ChunkCount {
                    expected: c0_out.len(),
                    got: x.c0.len(),
                });
            }
            if x.c1.iter().all(|&c| M::to_u128(c) == 0) {
                return Err(ThresholdError::ZeroCiphertext { clinic: x.clinic });
            }
        }
        admitted.sort_unstable_by_key(|x| x.clinic);
        if let Some(w) = admitted.windows(2).find(|w| w[0].clinic == w[1].clinic) {
            return Err(ThresholdError::RepeatedCiphertext {
                clinic: w[1].clinic,
            });
        }
        admitted
            .sort_unstable_by(|x, y| x.c1_digest.cmp(&y.c1_digest).then(x.clinic.cmp(&y.clinic)));
        if let Some(w) = admitted
            .windows(2)
            .find(|w| w[0].c1_digest == w[1].c1_digest)
        {
            return Err(ThresholdError::RepeatedCiphertext {
                clinic: w[1].clinic,
            });
        }
        let admitted: &'a [Admitted<'a, M, N>] = admitted;
        let mut c1 = Poly::<M, N>::zero();
        for c in c0_out.iter_mut() {
            *c = Poly::zero();
        }
        for x in admitted {
            add_coeffs::<M, N>(&mut c1, x.c1);
            for (acc, c) in c0_out.iter_mut().zip(x.c0) {
                add_coeffs::<M, N>(acc, c);
            }
        }
        Ok(Self {
            key,
            verified: admitted.iter().all(|x| x.verified),
            round,
            members: admitted,
            c1,
            c0: c0_out,
        })
    }

    /// The round.
    #[must_use]
    pub fn round(&self) -> u64 {
        self.round
    }

    /// The identity of the round key every ciphertext was admitted under ([`RoundKey::id`]).
    #[must_use]
    pub fn key_id(&self) -> &[u8; 32] {
        &self.key
    }

    /// Whether every ciphertext was admitted with its proof verified (`Admitted::verify`).
    #[must_use]
    pub fn verified(&self) -> bool {
        self.verified
    }

    /// Σ c1.
    #[must_use]
    pub fn c1(&self) -> &Poly<M, N> {
        &self.c1
    }

    /// Σ c0_j.
    #[must_use]
    pub fn c0(&self) -> &[Poly<M, N>] {
        self.c0
    }

    /// Chunks L.
    #[must_use]
    pub fn chunks(&self) -> usize {
        self.c0.len()
    }

    /// The admitted ciphertexts.
    #[must_use]
    pub fn ciphertexts(&self) -> &[Admitted<'a, M, N>] {
        self.members
    }

    /// SHA3-256 binding of the aggregate (key identity, round, every ciphertext digest in canonical order, Σ c1):
    /// what a share is for.
    #[must_use]
    pub fn binding(&self) -> [u8; 32] {
        let mut h = Sha3_256::new();
        h.update(b"ZKFL-PQ/threshold/aggregate/v2");
        h.update(self.key);
        h.update(self.round.to_le_bytes());
        for x in self.members {
            h.update(x.digest);
        }
        absorb_poly(&mut h, &self.c1);
        h.finalize().into()
    }

    /// The digests of its ciphertexts, in canonical order (what a receipt spends).
    pub(crate) fn digests(&self) -> impl Iterator<Item = &[u8; 32]> + Clone {
        self.members.iter().map(|x| &x.digest)
    }
}

fn add_coeffs<M: Modulus, const N: usize>(acc: &mut Poly<M, N>, c: &[M::Coeff; N]) {
    for (a, &b) in acc.coeffs.iter_mut().zip(c.iter()) {
        *a = M::add(*a, b);
    }
}
