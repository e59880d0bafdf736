//! One committee member (docs/THRESHOLD.md §16): it answers the committee messages of §15 through zkfl-core's
//! threshold core, with its roster from its own file, its identity and KEM keys, and its durable
//! [`MemberStore`]. The transport (HTTP inside the ML-KEM + ML-DSA channel) is not here: every method takes the
//! bytes of one message and returns the bytes to send.
//!
//! The aggregator relays the ceremony, so the channel hop authenticates only the relay (review 13): every
//! ceremony message a member sends is signed by its roster key (0x10, 0x11) and a 0x12 is also sealed to the
//! holder's roster KEM key (`threshold::wire::signed`); a member verifies before acting and blames the relay,
//! never the claimed sender, for a signature that fails.
//!
//! Threshold decryption exists for set L only (set S has no room for smudging, docs/THRESHOLD.md §4.4).

use std::path::Path;

use sha3::{Digest as _, Sha3_256};
use subtle::{Choice, ConstantTimeEq as _};

use getrandom::rand_core::UnwrapErr;
use zkfl_core::arith::Modulus;
use zkfl_core::channel::identity::{SigningKey, VerifyingKey};
use zkfl_core::channel::{KemPublicKey, KemSecretKey};
use zkfl_core::params::{ParamSet, SetL};
use zkfl_core::policy::plaintext_modulus;
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::threshold::certificate::{self, KeySignature};
use zkfl_core::threshold::share_proof::{
    AnswerProver, EpochPublic, ShareProofFailure, max_proof_len, prove_answer, verify_answer_chunk,
};
use zkfl_core::threshold::share_proof_params::{ShareProofParams, derive};
use zkfl_core::threshold::share_relation::covers;
use zkfl_core::threshold::slots::{Members, bit};
use zkfl_core::threshold::wire::signed::{self, AnswerFor, MemberKem};
use zkfl_core::threshold::wire::{self as wire, Frame, Kind, PresentSet, ShareSetHeader};
use zkfl_core::threshold::{
    Admitted, Aggregate, CheckedPlan, Combiner, Dealer, Epoch, Holdings, KeyCeremony, MemberShares,
    RoundKey, ShareMaker, Smudger, Spend, keys::commitment,
};
use zkfl_core::threshold::{LedgerRefusal, SpentLedger, ThresholdError};

use super::CommitteeError;
use super::roster::CommitteeRoster;
use super::store::MemberStore;

/// The set threshold mode runs on.
pub type P = SetL;
/// Its ring degree.
pub const N: usize = 4096;
/// Its NTT prime count.
pub const K: usize = 4;
type M = <P as ParamSet>::M;
/// A coefficient of set L.
pub type C = <M as Modulus>::Coeff;
type Pl = Poly<M, N>;
/// A committee public key (a, b_1..b_L) as coefficient arrays.
pub type CommitteeKey = (Box<[C; N]>, Vec<[C; N]>);

/// One clinic's accepted submission as a member receives it with a round: clinic id, ciphertext and norm proof.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The clinic.
    pub clinic: u64,
    /// c1.
    pub c1: Box<[C; N]>,
    /// c0_1..c0_L.
    pub c0: Vec<[C; N]>,
    /// The norm proof (docs/PROTOCOL.md), verified by every member itself.
    pub proof: Vec<u8>,
}

/// The round's public terms: round number, plan (K, B_int), committee key (a, b_1..b_L).
struct RoundTerms<'k> {
    round: u64,
    a: &'k [C; N],
    b: &'k [[C; N]],
    plan: &'k CheckedPlan<P>,
    epoch: u64,
}

impl<'k> RoundTerms<'k> {
    /// The terms of `round` under committee key (`a`, `b`) and `plan`, in `epoch`.
    fn of(
        round: u64,
        a: &'k [C; N],
        b: &'k [[C; N]],
        plan: &'k CheckedPlan<P>,
        epoch: &Epoch,
    ) -> Self {
        Self {
            round,
            a,
            b,
            plan,
            epoch: epoch.epoch,
        }
    }

    fn key(&self) -> Result<RoundKey<'_, M, N>, CommitteeError> {
        let p = self.plan.plan();
        let t = plaintext_modulus(p.clinics, p.b_int).ok_or(CommitteeError::Protocol(
            "the plan has no plaintext modulus".into(),
        ))?;
        Ok(RoundKey {
            set_id: P::ID,
            a: self.a,
            b: self.b,
            epoch: self.epoch,
            round: self.round,
            t,
            bound: p.b_int,
        })
    }
}

/// How submissions are admitted: with their proofs verified (the product), or, in this crate's tests only,
/// without (set-L proofs take seconds each; zkfl-core's test hook, refused unless the holdings opted in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// `Admitted::verify` under the member's own round key.
    Verify,
    /// `Admitted::unverified` (tests only).
    #[cfg(test)]
    Unverified,
}

/// Admits every submission under `terms` and calls `f` with the core's aggregate.
fn with_aggregate<T>(
    terms: &RoundTerms<'_>,
    subs: &[Submission],
    admission: Admission,
    f: impl FnOnce(&Aggregate<'_, '_, M, N>) -> Result<T, CommitteeError>,
) -> Result<T, CommitteeError> {
    let key = terms.key()?;
    let mut admitted = Vec::with_capacity(subs.len());
    for s in subs {
        let a = match admission {
            Admission::Verify => {
                let stmt = zkfl_core::zk::statement::Statement::<M, N> {
                    pk_a: key.a,
                    pk_b: key.b,
                    c1: &s.c1,
                    c0: &s.c0,
                    t: key.t,
                    bound: key.bound,
                };
                let ctx = zkfl_core::zk::statement::Context {
                    round: terms.round,
                    clinic: s.clinic,
                };
                Admitted::verify::<P>(&key, &stmt, &ctx, &s.proof)?
            }
            #[cfg(test)]
            Admission::Unverified => {
                Admitted::unverified(key.id(), terms.round, s.clinic, &s.c1, &s.c0)
            }
        };
        admitted.push(a);
    }
    let mut c0 = vec![Pl::zero(); terms.b.len()];
    let agg = Aggregate::build(terms.plan, terms.round, &mut admitted, &mut c0)?;
    f(&agg)
}

/// A committee member.
pub struct Member {
    index: u8,
    epoch: Epoch,
    roster: Vec<VerifyingKey>,
    chunks: usize,
    plan: CheckedPlan<P>,
    identity: SigningKey,
    /// The decapsulation key of this member's roster KEM key (opens the dealt parts sealed to it).
    kem: KemSecretKey<MemberKem>,
    /// Every member's roster KEM key, checked against its ML-DSA signature (member i at i − 1).
    kem_keys: Vec<KemPublicKey<MemberKem>>,
    /// This member's own commitment, to refuse a relayed "own" entry that is not it (R13-2, second form); read
    /// back from the database after a restart.
    own_commitment: Option<[u8; 32]>,
    /// SHA3-256 of every accepted message body (signature stripped) that is in the durable log: a relay's repeat
    /// of one is a no-op, never a `Duplicate` blamed on its sender (review 15, R15-2).
    accepted: Vec<[u8; 32]>,
    /// Digests of messages applied whose log write failed: a repeat of one is logged then, not skipped, so an
    /// acknowledged message is never only in memory (review 16, R16-1).
    unlogged: Vec<[u8; 32]>,
    /// Whether signatures are verified (always, but for the positive controls of this crate's tests).
    check_signatures: bool,
    store: MemberStore,
    /// This member's dealer secret for the epoch (memory only: a restart before the ceremony completes leaves it).
    dealer: Option<Dealer>,
    own_shares: Vec<Pl>,
    ceremony: KeyCeremony,
    commitments: u32,
    /// Revealed slot shares of every dealer (member i at i − 1), kept to check dealt parts.
    reveals: Vec<Option<Vec<Pl>>>,
    key: Vec<Pl>,
    slot_keys: Vec<Pl>,
    holdings: Option<Box<Holdings>>,
    admission: Admission,
    /// The share proof's parameters for the plan (docs/THRESHOLD.md §6.3).
    share_params: ShareProofParams,
    /// Demo only ([`Member::corrupt_shares_for_demo`]): every later answer carries a wrong share.
    corrupt_for_demo: bool,
}

impl core::fmt::Debug for Member {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Member")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

/// The committee design a member runs: clinics per round K and B_int (t = 2·K·B_int + 1), chunks L.
#[derive(Clone, Copy, Debug)]
pub struct Design {
    /// K.
    pub clinics: u32,
    /// B_int.
    pub b_int: u64,
    /// L.
    pub chunks: usize,
}

impl Design {
    /// The threshold core's checked plan of this design for the committee of `epoch` (its n and t).
    fn plan(self, epoch: &Epoch) -> Result<CheckedPlan<P>, CommitteeError> {
        let c = epoch.committee;
        Ok(CheckedPlan::<P>::design(
            c.members(),
            c.threshold(),
            self.clinics,
            self.b_int,
            self.chunks,
        )?)
    }
}

impl Member {
    /// Opens member `index` of `roster` (its own file) with its identity seed and KEM seed, state at `db`, and
    /// replays its log.
    ///
    /// # Errors
    /// [`CommitteeError::Roster`] for a bad roster (also a KEM key its member did not sign), or an identity or
    /// KEM key that is not the roster's entry for `index`, [`CommitteeError::RosterChanged`] for a state set up under another roster, epoch or index,
    /// [`CommitteeError::Threshold`] for a design the core refuses, and what replaying the log refuses.
    pub fn open(
        db: &Path,
        roster: &CommitteeRoster,
        index: u8,
        identity_seed: &[u8; 32],
        kem_seed: &[u8; zkfl_core::channel::kem::KEM_SEED_LEN],
        design: Design,
    ) -> Result<Self, CommitteeError> {
        if roster.param_set != "L" {
            return Err(CommitteeError::Roster(
                "threshold mode runs on parameter set L".into(),
            ));
        }
        let epoch = roster.epoch()?;
        let keys = roster.verifying_keys()?;
        let identity = SigningKey::from_seed(identity_seed);
        let own = keys
            .get(usize::from(index).wrapping_sub(1))
            .ok_or_else(|| CommitteeError::Roster(format!("no member {index} in the roster")))?;
        if own.as_bytes() != identity.verifying_key().as_bytes() {
            return Err(CommitteeError::Roster(format!(
                "the identity key is not the roster's key of member {index}"
            )));
        }
        let kem_keys = roster.kem_keys()?;
        let kem = KemSecretKey::<MemberKem>::from_seed(kem_seed);
        if kem_keys.get(usize::from(index) - 1) != Some(kem.public_key()) {
            return Err(CommitteeError::Roster(format!(
                "the KEM key is not the roster's KEM key of member {index}"
            )));
        }
        let c = epoch.committee;
        let plan = design.plan(&epoch)?;
        let store = MemberStore::open(db, &epoch.id(), index)?;
        let mut m = Self {
            index,
            epoch,
            roster: keys,
            chunks: design.chunks,
            plan,
            identity,
            kem,
            kem_keys,
            own_commitment: None,
            accepted: Vec::new(),
            unlogged: Vec::new(),
            check_signatures: true,
            store,
            dealer: None,
            own_shares: Vec::new(),
            ceremony: KeyCeremony::new(epoch),
            commitments: 0,
            reveals: vec![None; c.members() as usize],
            key: vec![Pl::zero(); design.chunks],
            slot_keys: vec![Pl::zero(); c.slots() * design.chunks],
            holdings: None,
            admission: Admission::Verify,
            share_params: share_params(&plan)?,
            corrupt_for_demo: false,
        };
        if let Some(own) = m.store.commitment()? {
            let body = own
                .get(..own.len().saturating_sub(signed::SIGNED_OVERHEAD))
                .unwrap_or_default();
            m.own_commitment = Some(wire::decode_commitment::<P>(&m.frame(), body)?.1);
        }
        for bytes in m.store.logged()? {
            if let Some(digest) = m.verify_and_apply(&bytes)? {
                m.logged(digest);
            }
        }
        Ok(m)
    }

    /// Positive controls only: accept ceremony messages without verifying their signatures (the spec before
    /// review 13), to show the relay's substitution succeeds without the check.
    #[cfg(test)]
    pub fn skip_signature_checks(&mut self) {
        self.check_signatures = false;
    }

    /// Admits submissions without their proofs (tests of this crate only; the holdings opt in).
    #[cfg(test)]
    pub fn admit_unverified(&mut self) {
        self.admission = Admission::Unverified;
        if let Some(h) = self.holdings.as_mut() {
            h.accept_unverified_admissions();
        }
    }

    fn frame(&self) -> Frame<'_> {
        Frame {
            epoch: &self.epoch,
            chunks: self.chunks,
        }
    }

    /// **Demo only** (`zkfl demo`'s threshold configuration: "one member sends a wrong share"). From this call
    /// on, every answer this member makes has Δ (the round's plaintext scaling ⌊q/t⌋) added to coefficient 0
    /// of its share of chunk 0 *after* its honest share proof is made, so the share decrypts one unit off and
    /// its proof no longer verifies: the combiner must exclude this member and complete the round from the
    /// helpers' supplementary answers (docs/THRESHOLD.md §3.2.1).
    ///
    /// Safe to ship: it only makes this member itself misbehave in a way any member could choose to (its own
    /// share, its own answer); it reveals nothing, spends nothing beyond the answer it would give anyway, and
    /// the share proofs are what protect everyone else from it. There is no way to switch it on from the
    /// network: only the process that owns the member calls it.
    pub fn corrupt_shares_for_demo(&mut self) {
        self.corrupt_for_demo = true;
    }

    /// The member index.
    #[must_use]
    pub fn index(&self) -> u8 {
        self.index
    }

    /// Whether the ceremony is complete and every held part is checked.
    #[must_use]
    pub fn ready(&self) -> bool {
        self.holdings.as_ref().is_some_and(|h| h.complete())
    }

    /// Step 1: a fresh dealer secret and its commitment (0x10). The signed 0x10 is written to the database
    /// (durable) before it is returned, so a member never signs two commitments in one epoch, even across a
    /// restart (review 15, R15-1).
    ///
    /// # Errors
    /// [`CommitteeError::AlreadyCommitted`] once this member has committed in this epoch (before or after a
    /// restart: its secret is gone, it has left the ceremony, §16.2); [`CommitteeError::Protocol`] after a
    /// restart mid-ceremony without a commitment of its own (it has received commitments).
    pub fn commit(&mut self) -> Result<Vec<u8>, CommitteeError> {
        if self.own_commitment.is_some() || self.store.commitment()?.is_some() {
            return Err(CommitteeError::AlreadyCommitted);
        }
        if self.dealer.is_some() || self.commitments != 0 {
            return Err(CommitteeError::Protocol(
                "this member already took part in this epoch's ceremony; start a new epoch".into(),
            ));
        }
        let mut rng = UnwrapErr(getrandom::SysRng);
        let dealer = Dealer::generate(&self.epoch, self.index, &mut rng)?;
        let mut shares = vec![Pl::zero(); self.epoch.committee.slots() * self.chunks];
        let mut scratch = Box::new(NttPoly::<N, K>::zero());
        dealer.public_shares::<P, N, K>(&self.epoch, &mut scratch, self.chunks, &mut shares)?;
        let c = commitment(&self.epoch, self.index, &shares);
        let mut out = vec![0u8; wire::COMMITMENT_BYTES];
        wire::encode_commitment::<P>(&self.frame(), self.index, &c, &mut out)
            .map_err(|e| CommitteeError::Protocol(e.to_string()))?;
        let signed = self.sign(&out)?;
        // Durable before the 0x10 leaves: a crash after this line leaves the member out of the ceremony, never
        // able to sign a second commitment.
        self.store.record_commitment(&signed)?;
        self.dealer = Some(dealer);
        self.own_shares = shares;
        self.own_commitment = Some(c);
        Ok(signed)
    }

    /// `message ‖ σ` under this member's identity key.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CommitteeError> {
        Ok(signed::signed_to_vec(
            &self.identity,
            message,
            &mut UnwrapErr(getrandom::SysRng),
        )?)
    }

    /// Step 2: this member's reveal (0x11), once all n commitments are in.
    ///
    /// # Errors
    /// [`CommitteeError::Protocol`] before every commitment is in or without a dealer secret.
    pub fn reveal(&self) -> Result<Vec<u8>, CommitteeError> {
        if self.commitments != self.epoch.committee.all() || self.dealer.is_none() {
            return Err(CommitteeError::Protocol(
                "reveal only after committing and receiving all n commitments".into(),
            ));
        }
        let mut out = vec![0u8; wire::reveal_len::<P>(&self.frame())];
        wire::encode_reveal::<P, N>(&self.frame(), self.index, &self.own_shares, &mut out)
            .map_err(|e| CommitteeError::Protocol(e.to_string()))?;
        self.sign(&out)
    }

    /// Step 3: this member's part seeds for `holder` (0x12), signed and sealed to the holder's roster KEM key:
    /// the relay forwards the envelope and can neither read nor change it.
    ///
    /// # Errors
    /// [`CommitteeError::Protocol`] before the ceremony is complete, without a dealer secret, or for a holder
    /// outside the committee.
    pub fn deal_to(&self, holder: u8) -> Result<Vec<u8>, CommitteeError> {
        let dealer = self
            .dealer
            .as_ref()
            .filter(|_| self.ceremony.complete())
            .ok_or_else(|| {
                CommitteeError::Protocol("deal only after every reveal checked".into())
            })?;
        let holder_key = self
            .kem_keys
            .get(usize::from(holder).wrapping_sub(1))
            .ok_or_else(|| CommitteeError::Protocol(format!("no member {holder}")))?;
        let mut out = zeroize::Zeroizing::new(vec![0u8; wire::dealt_len(&self.frame())]);
        let mut err = None;
        wire::encode_dealt::<P>(
            &self.frame(),
            self.index,
            holder,
            |u| {
                dealer.deal(&self.epoch, u, holder).unwrap_or_else(|e| {
                    err = Some(e);
                    [0; 32]
                })
            },
            &mut out,
        )
        .map_err(|e| CommitteeError::Protocol(e.to_string()))?;
        if let Some(e) = err {
            return Err(e.into());
        }
        // Holds the plaintext until sealed in place: wiped if sealing fails.
        let mut sealed =
            zeroize::Zeroizing::new(vec![0u8; signed::sealed_dealt_len(&self.frame())]);
        signed::seal_dealt::<P, _, _>(
            &self.frame(),
            &self.identity,
            holder_key,
            &out,
            &mut sealed,
            &mut UnwrapErr(getrandom::SysRng),
        )?;
        Ok(sealed.to_vec())
    }

    /// Takes one relayed ceremony message, 0x10 or 0x11 as `message ‖ σ`: verifies σ under the roster key of
    /// the message's sender, checks it with the core and records it in the durable log.
    ///
    /// # Errors
    /// [`CommitteeError::Relay`] for a signature that fails (the relay changed or made it; the claimed sender is
    /// not blamed) or a commitment in this member's own name that is not its own, [`CommitteeError::Wire`] for
    /// malformed bytes, [`CommitteeError::Protocol`] for another kind; [`CommitteeError::Threshold`] for what the
    /// core refuses (order, commitment mismatch).
    pub fn accept(&mut self, bytes: &[u8]) -> Result<(), CommitteeError> {
        match bytes.get(1).copied() {
            Some(k) if k == Kind::Commitment as u8 || k == Kind::Reveal as u8 => {}
            other => {
                return Err(CommitteeError::Protocol(format!(
                    "not a signed commitment or reveal (kind {other:?}); dealt parts come sealed"
                )));
            }
        }
        if let Some(digest) = self.verify_and_apply(bytes)? {
            self.store.log(bytes)?;
            self.logged(digest);
        }
        Ok(())
    }

    /// Takes one relayed 0x12 envelope: opens it with this member's KEM key, verifies the dealer's signature,
    /// checks every part against the dealer's reveal and logs the signed message.
    ///
    /// # Errors
    /// [`CommitteeError::Relay`] for an envelope that does not open, is addressed to another holder, or whose
    /// signature fails (none of which blames the dealer); [`CommitteeError::Threshold`] (`DealtPartMismatch`) for
    /// a part the dealer signed that does not match its reveal: evidence against the dealer.
    pub fn accept_sealed(&mut self, envelope: &[u8]) -> Result<(), CommitteeError> {
        let mut buf = zeroize::Zeroizing::new(envelope.to_vec());
        let frame = Frame {
            epoch: &self.epoch,
            chunks: self.chunks,
        };
        let (_, signed) =
            signed::open_dealt::<P>(&frame, self.index, &self.kem, &self.roster, &mut buf)?;
        let signed = zeroize::Zeroizing::new(signed.to_vec());
        if let Some(digest) = self.verify_and_apply(&signed)? {
            self.store.log(&signed)?;
            self.logged(digest);
        }
        Ok(())
    }

    /// Verifies `message ‖ σ` (unless a positive control switched it off) and applies the message, returning
    /// its digest for the caller to log; `None` (and nothing applied) for a verified repeat of a message already
    /// in the log: the relay's replay, no evidence against the signer (R15-2). A repeat of a message applied
    /// but not yet logged (its write failed) returns its digest again without applying it, so the caller logs it
    /// now (R16-1). A *different* second message of one sender still reaches the core (`Duplicate` /
    /// `CommitmentMismatch`: equivocation).
    fn verify_and_apply(&mut self, bytes: &[u8]) -> Result<Option<[u8; 32]>, CommitteeError> {
        let kind = match bytes.get(1).copied() {
            Some(k) if k == Kind::Commitment as u8 => Kind::Commitment,
            Some(k) if k == Kind::Reveal as u8 => Kind::Reveal,
            Some(k) if k == Kind::DealtParts as u8 => Kind::DealtParts,
            other => {
                return Err(CommitteeError::Protocol(format!(
                    "not a ceremony message (kind {other:?})"
                )));
            }
        };
        let (sender, message) = if self.check_signatures {
            signed::verify_signed::<P>(&self.frame(), kind, &self.roster, bytes)?
        } else {
            let m = bytes
                .get(..bytes.len().saturating_sub(signed::SIGNED_OVERHEAD))
                .unwrap_or_default();
            (m.get(3).copied().unwrap_or(0), m)
        };
        let digest: [u8; 32] = Sha3_256::new()
            .chain_update(b"zkfl committee accepted message")
            .chain_update(message)
            .finalize()
            .into();
        // Dealt-part bodies hold secret seeds: compare every digest without an early exit.
        let seen_in = |list: &[[u8; 32]]| {
            bool::from(
                list.iter()
                    .fold(Choice::from(0), |seen, d| seen | d.ct_eq(&digest)),
            )
        };
        if seen_in(&self.accepted) {
            return Ok(None);
        }
        if seen_in(&self.unlogged) {
            return Ok(Some(digest));
        }
        self.apply(sender, message)?;
        self.unlogged.push(digest);
        Ok(Some(digest))
    }

    /// Records that the message of `digest` is in the durable log (R16-1).
    fn logged(&mut self, digest: [u8; 32]) {
        self.unlogged.retain(|d| !bool::from(d.ct_eq(&digest)));
        self.accepted.push(digest);
    }

    fn apply(&mut self, sender: u8, bytes: &[u8]) -> Result<(), CommitteeError> {
        match bytes.get(1).copied() {
            Some(k) if k == Kind::Commitment as u8 => {
                let (m, c) = wire::decode_commitment::<P>(&self.frame(), bytes)?;
                if m == self.index && self.own_commitment.is_some_and(|own| own != c) {
                    return Err(CommitteeError::Relay(
                        "a commitment in this member's name that is not its own".into(),
                    ));
                }
                self.ceremony.commit(m, c)?;
                self.commitments |= bit(m);
            }
            Some(k) if k == Kind::Reveal as u8 => {
                let mut shares = vec![Pl::zero(); self.epoch.committee.slots() * self.chunks];
                let m = wire::decode_reveal::<P, N>(&self.frame(), bytes, &mut shares)?;
                self.ceremony
                    .reveal::<P, N>(m, &shares, &mut self.key, &mut self.slot_keys)?;
                self.reveals[usize::from(m) - 1] = Some(shares);
                if self.ceremony.complete() {
                    #[allow(unused_mut)]
                    let mut h = Box::new(Holdings::new(
                        &self.ceremony,
                        self.index,
                        &self.roster,
                        &self.plan,
                    )?);
                    #[cfg(test)]
                    if self.admission == Admission::Unverified {
                        h.accept_unverified_admissions();
                    }
                    self.holdings = Some(h);
                }
            }
            Some(k) if k == Kind::DealtParts as u8 => self.accept_dealt(sender, bytes)?,
            other => {
                return Err(CommitteeError::Protocol(format!(
                    "not a ceremony message (kind {other:?})"
                )));
            }
        }
        Ok(())
    }

    fn accept_dealt(&mut self, sender: u8, bytes: &[u8]) -> Result<(), CommitteeError> {
        let parts = wire::decode_dealt::<P>(&self.frame(), bytes)?;
        if parts.holder != self.index || parts.dealer != sender {
            return Err(CommitteeError::Protocol(
                "dealt parts for another holder".into(),
            ));
        }
        let published = self.reveals[usize::from(sender) - 1]
            .as_ref()
            .ok_or_else(|| {
                CommitteeError::Protocol("dealt parts before the dealer's reveal".into())
            })?;
        let holdings = self
            .holdings
            .as_mut()
            .ok_or_else(|| CommitteeError::Protocol("dealt parts before every reveal".into()))?;
        let mut scratch = Box::new(NttPoly::<N, K>::zero());
        let l = self.chunks;
        for (u, seed) in parts.slots[..parts.count].iter().zip(&parts.seeds) {
            holdings.accept::<P, N, K>(
                &self.ceremony,
                sender,
                *u,
                *seed,
                &mut scratch,
                &published[u * l..(u + 1) * l],
            )?;
        }
        Ok(())
    }

    /// The committee key (a, b_1..b_L) this member computed, once the ceremony is complete.
    ///
    /// # Errors
    /// [`CommitteeError::Protocol`] before the last reveal.
    pub fn committee_key(&self) -> Result<CommitteeKey, CommitteeError> {
        if !self.ceremony.complete() {
            return Err(CommitteeError::Protocol(
                "the ceremony is not complete".into(),
            ));
        }
        let mut a = Box::new(Pl::zero());
        zkfl_core::bfv::public_a::<P, N>(&self.epoch.crs, &mut a);
        Ok((
            Box::new(a.coeffs),
            self.key.iter().map(|p| p.coeffs).collect(),
        ))
    }

    /// This member's committee key certificate signature (docs/THRESHOLD.md §16.1), once its holdings are
    /// complete: what clinics check, for all n members, before encrypting under the key.
    ///
    /// # Errors
    /// [`CommitteeError::Threshold`] (`IncompleteHoldings`) before every part is checked.
    pub fn certify(&self) -> Result<(KeySignature, [u8; 32]), CommitteeError> {
        let h = self.holdings.as_ref().ok_or(CommitteeError::Threshold(
            zkfl_core::threshold::ThresholdError::IncompleteHoldings,
        ))?;
        let sig = certificate::sign(h, &self.identity, &mut UnwrapErr(getrandom::SysRng))?;
        Ok((sig, *h.key_id()))
    }

    /// Verifies the round's submissions itself, builds the aggregate, spends it in its durable ledger and returns
    /// its spend receipt (0x14) for it, kept in the same transaction as the spend: the same request again (a
    /// lost reply, a restart) returns the kept receipt (review 13, R13-6).
    ///
    /// # Errors
    /// [`CommitteeError::Threshold`]: a proof that fails, an aggregate the core refuses, `RoundSpent` (another
    /// aggregate of this round was signed), `AlreadyDecrypted` (a ciphertext already spent), `IncompleteHoldings`.
    pub fn receipt(&mut self, round: u64, subs: &[Submission]) -> Result<Vec<u8>, CommitteeError> {
        let key = self.committee_key()?;
        let terms = RoundTerms::of(round, &key.0, &key.1, &self.plan, &self.epoch);
        let h = complete(self.holdings.as_deref())?;
        let frame = Frame {
            epoch: &self.epoch,
            chunks: self.chunks,
        };
        let (identity, store) = (&self.identity, &mut self.store);
        with_aggregate(&terms, subs, self.admission, |agg| {
            let receipt = zkfl_core::threshold::sign_receipt_kept(
                h,
                identity,
                agg,
                store,
                &mut UnwrapErr(getrandom::SysRng),
            )?;
            let mut out = vec![0u8; wire::RECEIPT_BYTES];
            wire::encode_receipt::<P>(&frame, round, &agg.binding(), &receipt, &mut out)
                .map_err(|e| CommitteeError::Protocol(e.to_string()))?;
            Ok(out)
        })
    }

    /// Answers the aggregate of `round` for the present set (0x13) with the quorum's receipts (0x14 each): its
    /// share set (0x15), or the bytes it already sent for this aggregate.
    ///
    /// # Errors
    /// [`CommitteeError::Wire`] for malformed messages, [`CommitteeError::Protocol`] for a present set or receipt
    /// of another round or aggregate, [`CommitteeError::Threshold`] for every refusal of `ShareMaker::make`
    /// (present set, quorum, own receipt, decryption count).
    pub fn answer(
        &mut self,
        round: u64,
        subs: &[Submission],
        present: &[u8],
        receipts: &[Vec<u8>],
    ) -> Result<Vec<u8>, CommitteeError> {
        self.respond(round, subs, present, receipts, 0, &[])
    }

    /// A supplementary answer for the slots of excluded member `excluded` (docs/THRESHOLD.md §3.2.1): the slots
    /// of x whose lowest holder in P \ {x} is this member, as a share set (0x15) followed by its proofs (0x16,
    /// x = `excluded`); once per (aggregate, x), counted as one decryption, resent from storage when asked again.
    ///
    /// Only on `evidence` (review 16 R16-3b): x's own signed answer to this request (§15.3) that fails a check
    /// under this member's own view — its signature verified under x's roster key for this member's (round,
    /// β(A), P), then its share set and every chunk's share proof re-checked against this member's own aggregate
    /// and slot keys. The aggregator's word alone would let it drain every member's decryption budget. A supplement
    /// already given (stored) is resent for the same request without a new check: it spends and reveals nothing
    /// new.
    ///
    /// # Errors
    /// [`CommitteeError::NoEvidence`] (nothing spent) for evidence that is missing, not x's signed answer to this
    /// request, or an answer that passes every check; otherwise as [`Member::answer`], and
    /// [`CommitteeError::Threshold`] (`NotInPresentSet`) for an x outside P or this member itself.
    pub fn supplement(
        &mut self,
        round: u64,
        subs: &[Submission],
        present: &[u8],
        receipts: &[Vec<u8>],
        excluded: u8,
        evidence: &[u8],
    ) -> Result<Vec<u8>, CommitteeError> {
        if excluded == 0 {
            return Err(CommitteeError::Protocol("no member to supplement".into()));
        }
        self.respond(round, subs, present, receipts, excluded, evidence)
    }

    fn respond(
        &mut self,
        round: u64,
        subs: &[Submission],
        present: &[u8],
        receipts: &[Vec<u8>],
        supplement_for: u8,
        evidence: &[u8],
    ) -> Result<Vec<u8>, CommitteeError> {
        let frame = Frame {
            epoch: &self.epoch,
            chunks: self.chunks,
        };
        let (p, rs) = self.decode_request(round, present, receipts, supplement_for)?;
        let reply_key = reply_key(&p.binding, supplement_for);
        if let Some(bytes) = stored_reply(&self.store, &reply_key, p.members, subs)? {
            return Ok(bytes);
        }
        self.one_present_set(&p, subs)?;
        let c = self.epoch.committee;
        if supplement_for != 0
            && !(0..c.slots()).any(|u| covers(&c, p.members, supplement_for, self.index, u))
        {
            // Review 17, R17-3: a supplement covering no slot would be pure noise, one decryption spent.
            return Err(CommitteeError::NothingToSupplement {
                excluded: supplement_for,
            });
        }
        let key = self.committee_key()?;
        let terms = RoundTerms::of(round, &key.0, &key.1, &self.plan, &self.epoch);
        let h = complete(self.holdings.as_deref())?;
        let spend = Spend {
            roster: &self.roster,
            receipts: &rs,
        };
        let smudger = Smudger::new(&self.plan)?;
        let mut a = Box::new(Pl::zero());
        zkfl_core::bfv::public_a::<P, N>(&self.epoch.crs, &mut a);
        let prover = AnswerProver {
            params: &self.share_params,
            a: &a,
            slot_keys: &self.slot_keys,
        };
        let delta = self.demo_delta(&terms)?;
        let key_id = terms.key()?.id();
        let public = EpochPublic {
            key_id: &key_id,
            committee: &self.epoch.committee,
            a: &a,
            slot_keys: &self.slot_keys,
            chunks: self.chunks,
        };
        let what = AnswerFor {
            member: self.index,
            round,
            binding: p.binding,
            present: p.members,
            supplement_for,
        };
        let (chunks, store) = (self.chunks, &mut self.store);
        let (identity, epoch, roster) = (&self.identity, &self.epoch, &self.roster);
        with_aggregate(&terms, subs, self.admission, |agg| {
            if agg.binding() != p.binding {
                return Err(CommitteeError::Protocol(
                    "the present set names another aggregate than this member built".into(),
                ));
            }
            if supplement_for != 0 {
                let check = AnswerCheck {
                    frame,
                    params: prover.params,
                    epoch: &public,
                    agg,
                    round,
                    present: p.members,
                };
                check.evidence(epoch, roster, supplement_for, evidence)?;
            }
            let mut shares = vec![Pl::zero(); chunks];
            let mut maker = Box::new(ShareMaker::<P, N, K>::new());
            let mut proofs = Vec::with_capacity(chunks);
            // The quorum, own-receipt, decryption-count and not-yet-answered checks run against the durable
            // ledger here, before the expensive work; the markers they spend are only staged (R16-2).
            let mut staged = StagedSpend {
                store: &*store,
                markers: Vec::new(),
            };
            prove_answer(
                &mut maker,
                &prover,
                h,
                agg,
                p.members,
                supplement_for,
                &spend,
                &smudger,
                &mut staged,
                &mut UnwrapErr(getrandom::SysRng),
                &mut shares,
                &mut proofs,
            )?;
            let markers = staged.markers;
            if let (Some(delta), Some(d)) = (delta, shares.first_mut()) {
                // Demo only (`corrupt_shares_for_demo`): the wrong share, after the honest proof.
                d.coeffs[0] = <M as Modulus>::add(d.coeffs[0], delta);
            }
            let out = signed_answer(&frame, identity, &what, &shares, &proofs)?;
            // Markers and reply durable together, the markers re-checked inside the transaction (R16-2): an
            // answer leaves this member only once it is both spent and stored.
            commit_answer(store, &markers, &reply_key, out, p.members, subs)
        })
    }

    /// Refuses, before anything is spent, an answer or supplement of the aggregate `p` names under another
    /// present set than this member's first answer of it (regular or supplement, review 17 R17-2,
    /// docs/THRESHOLD.md §3.2): every reply it stored for the aggregate (the regular answer and each
    /// supplement, durable with their markers, R16-2) carries its present set, so the refusal survives a
    /// restart.
    fn one_present_set(&self, p: &PresentSet, subs: &[Submission]) -> Result<(), CommitteeError> {
        for x in std::iter::once(0).chain(self.epoch.committee.member_numbers()) {
            stored_reply(&self.store, &reply_key(&p.binding, x), p.members, subs)?;
        }
        Ok(())
    }

    /// Decodes an answer request: the present set (0x13) of `round`, with this member in it and, for a
    /// supplement, x ∈ P other than this member, and the receipts (0x14) of the same round and aggregate.
    fn decode_request(
        &self,
        round: u64,
        present: &[u8],
        receipts: &[Vec<u8>],
        supplement_for: u8,
    ) -> Result<(PresentSet, Vec<zkfl_core::threshold::SpendReceipt>), CommitteeError> {
        let frame = self.frame();
        let p = wire::decode_present::<P>(&frame, present)?;
        if supplement_for != 0
            && (p.members & bit(supplement_for) == 0 || supplement_for == self.index)
        {
            return Err(CommitteeError::Threshold(ThresholdError::NotInPresentSet {
                member: supplement_for,
            }));
        }
        if p.round != round {
            return Err(CommitteeError::Protocol(
                "present set of another round".into(),
            ));
        }
        let mut rs = Vec::with_capacity(receipts.len());
        for r in receipts {
            let (rd, b, receipt) = wire::decode_receipt::<P>(&frame, r)?;
            if rd != round || b != p.binding {
                return Err(CommitteeError::Protocol(
                    "a receipt for another round or aggregate".into(),
                ));
            }
            rs.push(receipt);
        }
        Ok((p, rs))
    }

    /// Δ of the round when the demo's wrong share is switched on ([`Member::corrupt_shares_for_demo`]).
    fn demo_delta(&self, terms: &RoundTerms<'_>) -> Result<Option<C>, CommitteeError> {
        if !self.corrupt_for_demo {
            return Ok(None);
        }
        let plain = zkfl_core::bfv::PlainModulus::<M>::new(terms.key()?.t)
            .map_err(|e| CommitteeError::Protocol(format!("plaintext modulus: {e:?}")))?;
        Ok(Some(plain.delta()))
    }
}

/// The answer `what` as sent (§15.3): the share set (0x15) and its proofs (0x16), signed by `identity` for exactly
/// this request, so a change on the path is the path's fault, never this member's.
fn signed_answer(
    frame: &Frame<'_>,
    identity: &SigningKey,
    what: &AnswerFor,
    shares: &[Pl],
    proofs: &[Vec<u8>],
) -> Result<Vec<u8>, CommitteeError> {
    let head = ShareSetHeader {
        member: what.member,
        round: what.round,
        binding: what.binding,
        present: what.present,
    };
    let set_len = wire::share_set_len::<P>(frame);
    let refs: Vec<&[u8]> = proofs.iter().map(Vec::as_slice).collect();
    let mut out = vec![0u8; set_len + wire::share_proofs_len(refs.iter().map(|p| p.len()))];
    let (set, proof_bytes) = out.split_at_mut(set_len);
    wire::encode_share_set::<P, N>(frame, &head, shares, set)
        .map_err(|e| CommitteeError::Protocol(e.to_string()))?;
    wire::encode_share_proofs::<P>(frame, &head, what.supplement_for, &refs, proof_bytes)
        .map_err(|e| CommitteeError::Protocol(e.to_string()))?;
    let sig = signed::sign_answer(
        identity,
        frame.epoch,
        what,
        &out,
        &mut UnwrapErr(getrandom::SysRng),
    )
    .map_err(|e| CommitteeError::Protocol(format!("signing the answer: {e}")))?;
    out.extend_from_slice(sig.as_bytes());
    Ok(out)
}

/// Writes an answer's staged `markers` and its reply `out` in one transaction (R16-2) and returns `out`; the
/// markers are re-checked inside it: the answered marker spent meanwhile (a concurrent request for the same
/// aggregate committed first) gives that stored reply (same present set), the decryption marker taken
/// meanwhile is `ConcurrentAnswer` (retryable); nothing is written in either case.
fn commit_answer(
    store: &mut MemberStore,
    markers: &[[u8; 32]],
    reply_key: &[u8; 32],
    out: Vec<u8>,
    members: Members,
    subs: &[Submission],
) -> Result<Vec<u8>, CommitteeError> {
    match store.commit_answer(markers, reply_key, &out)? {
        Ok(()) => Ok(out),
        Err(0) => stored_reply(store, reply_key, members, subs)?.ok_or(CommitteeError::Threshold(
            ThresholdError::AlreadyDecrypted {
                clinic: subs.first().map_or(0, |s| s.clinic),
            },
        )),
        Err(_) => Err(CommitteeError::Threshold(ThresholdError::ConcurrentAnswer)),
    }
}

/// The reply stored under `key`: `Some` for the same present set `members` (a lost reply, a restart: the stored
/// bytes, never a fresh answer), `AlreadyDecrypted` for another present set of an aggregate already answered
/// (docs/THRESHOLD.md §3.2), `None` if the aggregate was not answered.
fn stored_reply(
    store: &MemberStore,
    key: &[u8; 32],
    members: Members,
    subs: &[Submission],
) -> Result<Option<Vec<u8>>, CommitteeError> {
    let Some(bytes) = store.reply(key)? else {
        return Ok(None);
    };
    let at = wire::HEADER_BYTES + 40;
    let stored = bytes
        .get(at..at + 4)
        .map(|m| u32::from_le_bytes([m[0], m[1], m[2], m[3]]));
    if stored == Some(members) {
        Ok(Some(bytes))
    } else {
        Err(CommitteeError::Threshold(
            ThresholdError::AlreadyDecrypted {
                clinic: subs.first().map_or(0, |s| s.clinic),
            },
        ))
    }
}

/// An answer's spend, staged (review 16 R16-2). `Spend::answer` checks this member's durable ledger as always
/// (own "signed" marker, decryption count, not yet answered; the quorum's receipts), but the markers it spends
/// are only collected here, and written with the reply in one transaction (`MemberStore::commit_answer`) once
/// the shares and proofs exist: no marker is durable without the reply that answers it, and no answer leaves
/// the member before both are. Deliberately not durable itself (unlike the `SpentLedger` contract): nothing it
/// holds is ever acted on until `commit_answer` re-checks and writes it.
struct StagedSpend<'s> {
    store: &'s MemberStore,
    markers: Vec<[u8; 32]>,
}

impl SpentLedger for StagedSpend<'_> {
    fn is_spent(&self, digest: &[u8; 32]) -> bool {
        self.markers.contains(digest) || self.store.is_spent(digest)
    }

    fn spend_all<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
        &mut self,
        items: I,
    ) -> Result<(), LedgerRefusal> {
        for (i, d) in items.clone().enumerate() {
            if self.is_spent(d) || items.clone().take(i).any(|e| e == d) {
                return Err(LedgerRefusal::Spent(i));
            }
        }
        self.markers.extend(items.copied());
        Ok(())
    }
}

/// The key a stored reply is kept under: the aggregate's binding for the regular answer, H(binding ‖ x) for the
/// supplementary answer for x.
fn reply_key(binding: &[u8; 32], supplement_for: u8) -> [u8; 32] {
    use sha3::{Digest, Sha3_256};
    if supplement_for == 0 {
        return *binding;
    }
    let mut h = Sha3_256::new();
    h.update(b"ZKFL-PQ/committee/supplement-reply/v1");
    h.update(binding);
    h.update([supplement_for]);
    h.finalize().into()
}

/// Err unless the holdings exist and every held part is checked.
fn complete(h: Option<&Holdings>) -> Result<&Holdings, CommitteeError> {
    h.filter(|h| h.complete()).ok_or(CommitteeError::Threshold(
        zkfl_core::threshold::ThresholdError::IncompleteHoldings,
    ))
}

/// Bytes of the share set (0x15) that starts a member's answer of `chunks` chunks under `roster`'s epoch (the
/// 0x16 proofs follow).
///
/// # Panics
/// For a roster without an epoch.
#[must_use]
pub fn share_set_bytes(chunks: usize, roster: &CommitteeRoster) -> usize {
    let epoch = roster.epoch().expect("roster epoch");
    wire::share_set_len::<P>(&Frame {
        epoch: &epoch,
        chunks,
    })
}

/// The longest signed answer (0x15 ‖ 0x16 ‖ σ, §15.3) a member of `roster`'s epoch sends under `design`: every
/// chunk's proof at the verifier's length limit. Bounds the evidence a SUPPLEMENT request carries (review 16
/// R16-3b), hence the member transport's request limit.
///
/// # Errors
/// [`CommitteeError::Roster`] for a roster whose epoch does not parse, [`CommitteeError::Threshold`] /
/// [`CommitteeError::Protocol`] for a design the core refuses.
pub fn max_answer_bytes(roster: &CommitteeRoster, design: Design) -> Result<usize, CommitteeError> {
    let epoch = roster.epoch()?;
    let plan = design.plan(&epoch)?;
    let proof = max_proof_len::<P>(&share_params(&plan)?);
    let frame = Frame {
        epoch: &epoch,
        chunks: design.chunks,
    };
    Ok(wire::share_set_len::<P>(&frame)
        + wire::share_proofs_len(std::iter::repeat_n(proof, design.chunks))
        + signed::SIGNED_OVERHEAD)
}

fn share_params(plan: &CheckedPlan<P>) -> Result<ShareProofParams, CommitteeError> {
    derive(plan).map_err(|e| CommitteeError::Protocol(format!("share proof parameters: {e:?}")))
}

/// Why a member's answer was left out of a combination (docs/THRESHOLD.md §3.2.1, §16.4 item 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExclusionReason {
    /// A chunk's share proof does not verify (or the answer's shape is wrong), with the check that failed.
    Proof {
        /// The chunk.
        chunk: usize,
        /// The failure.
        failure: ShareProofFailure,
    },
    /// The share set or its proofs are malformed, or the share set and its proofs disagree.
    Malformed(zkfl_core::wire::DecodeError),
    /// The share set's header claims another sender, round or present set than the one the authenticated
    /// sender was asked for (review 16, R16-3a: the sender is excluded, so helpers may supplement its slots).
    Header,
}

/// A member excluded from a round's combination, and why (the channel authenticated the sender).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exclusion {
    /// The member.
    pub member: u8,
    /// For a supplementary answer, the excluded member it supplemented (0 for a regular answer).
    pub supplement_for: u8,
    /// Why.
    pub reason: ExclusionReason,
}

/// A combined round: the decrypted chunks and the members excluded on the way.
#[derive(Clone, Debug)]
pub struct Combined {
    /// L chunks of N centred integers.
    pub chunks: Vec<[i64; N]>,
    /// The members whose answers failed, with the reason (logged and kept with the round).
    pub excluded: Vec<Exclusion>,
    /// Members of P that sent nothing and hold no slot under P (review 17, R17-4): left out, not excluded —
    /// silence is no evidence against them.
    pub silent: Vec<u8>,
}

/// The aggregator's side of a round: follows the ceremony (commitments and reveals it relays) to compute the
/// committee key and slot keys itself, builds the aggregate from the same submissions, announces the present
/// set, verifies every answer's share proofs and combines. It holds no key material.
pub struct Combination {
    epoch: Epoch,
    plan: CheckedPlan<P>,
    a: Box<[C; N]>,
    b: Vec<[C; N]>,
    admission: Admission,
    share_params: ShareProofParams,
    ceremony: KeyCeremony,
    key: Vec<Pl>,
    slot_keys: Vec<Pl>,
    roster_keys: Vec<VerifyingKey>,
    /// Whether answer signatures are verified (always, but for the positive control of this crate's tests).
    check_answer_signatures: bool,
}

impl Combination {
    /// For the committee key (a, b) of `roster`'s epoch under `design`.
    ///
    /// # Errors
    /// As [`Member::open`] for the roster and design.
    pub fn new(
        roster: &CommitteeRoster,
        design: Design,
        a: Box<[C; N]>,
        b: Vec<[C; N]>,
    ) -> Result<Self, CommitteeError> {
        let epoch = roster.epoch()?;
        let c = epoch.committee;
        let plan = design.plan(&epoch)?;
        let chunks = b.len();
        Ok(Self {
            epoch,
            share_params: share_params(&plan)?,
            plan,
            a,
            b,
            admission: Admission::Verify,
            ceremony: KeyCeremony::new(epoch),
            key: vec![Pl::zero(); chunks],
            slot_keys: vec![Pl::zero(); c.slots() * chunks],
            roster_keys: roster.verifying_keys()?,
            check_answer_signatures: true,
        })
    }

    /// Follows one signed ceremony message the aggregator relays (0x10 commitment, 0x11 reveal, each with its
    /// sender's signature under the roster; 0x12 is sealed and not seen): the combiner computes the slot keys
    /// B_{U,j} the share proofs are verified against from the reveals itself, and checks that the committee key
    /// they give is the (a, b) it was built with.
    ///
    /// # Errors
    /// [`CommitteeError::Wire`], [`CommitteeError::Threshold`] for what the core's ceremony refuses,
    /// [`CommitteeError::Protocol`] for another kind or a committee key other than (a, b).
    pub fn observe(&mut self, bytes: &[u8]) -> Result<(), CommitteeError> {
        let frame = Frame {
            epoch: &self.epoch,
            chunks: self.b.len(),
        };
        let kind = match bytes.get(1).copied() {
            Some(k) if k == Kind::Commitment as u8 => Kind::Commitment,
            Some(k) if k == Kind::Reveal as u8 => Kind::Reveal,
            other => {
                return Err(CommitteeError::Protocol(format!(
                    "not a public ceremony message (kind {other:?})"
                )));
            }
        };
        let (sender, bytes) = signed::verify_signed::<P>(&frame, kind, &self.roster_keys, bytes)?;
        if bytes.get(3) != Some(&sender) {
            return Err(CommitteeError::Protocol(
                "a ceremony message signed by another member than its sender".into(),
            ));
        }
        match kind {
            Kind::Commitment => {
                let (m, c) = wire::decode_commitment::<P>(&frame, bytes)?;
                self.ceremony.commit(m, c)?;
            }
            _ => {
                let mut shares = vec![Pl::zero(); self.epoch.committee.slots() * self.b.len()];
                let m = wire::decode_reveal::<P, N>(&frame, bytes, &mut shares)?;
                self.ceremony
                    .reveal::<P, N>(m, &shares, &mut self.key, &mut self.slot_keys)?;
                if self.ceremony.complete()
                    && self.key.iter().zip(&self.b).any(|(k, b)| k.coeffs != *b)
                {
                    return Err(CommitteeError::Protocol(
                        "the ceremony's committee key is not the combiner's (a, b)".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The (helper y, excluded x) pairs whose supplementary answers replace the excluded members' slots: for
    /// each slot of an excluded x under `present`, its lowest holder in P \ {x} (docs/THRESHOLD.md §3.2.1).
    #[must_use]
    pub fn helpers(&self, present: Members, excluded: Members) -> Vec<(u8, u8)> {
        let c = self.epoch.committee;
        let mut out = Vec::new();
        for x in c.member_numbers().filter(|&x| excluded & bit(x) != 0) {
            for u in 0..c.slots() {
                if c.assignee(present, u) == Some(x)
                    && let Some(y) = c.assignee(present & !bit(x), u)
                    && !out.contains(&(y, x))
                {
                    out.push((y, x));
                }
            }
        }
        out
    }

    /// Whether every slot held under `present` by a member of `excluded` has a next holder in P that is not
    /// excluded itself: the helper that can supplement it (docs/THRESHOLD.md §3.2.1; review 20, R20-1).
    #[must_use]
    pub fn repairable(&self, present: Members, excluded: Members) -> bool {
        let c = self.epoch.committee;
        c.member_numbers()
            .filter(|&x| excluded & bit(x) != 0)
            .all(|x| {
                (0..c.slots())
                    .filter(|&u| c.assignee(present, u) == Some(x))
                    .all(|u| {
                        c.assignee(present & !bit(x), u)
                            .is_some_and(|y| excluded & bit(y) == 0)
                    })
            })
    }

    /// For each (sender, bytes) of `receipts`, whether it is a valid spend receipt for `round`'s aggregate of
    /// `subs`: decoded, for this round and aggregate, of the member that sent it, signed under its roster key —
    /// what every member checks before it answers (`spend::check_receipts`). The relay counts only valid ones,
    /// so one bad receipt cannot make every honest member refuse the answer request (review 20, R20-3).
    ///
    /// # Errors
    /// What building the aggregate refuses.
    pub fn check_receipts(
        &self,
        round: u64,
        subs: &[Submission],
        receipts: &[(u8, Vec<u8>)],
    ) -> Result<Vec<Result<(), String>>, CommitteeError> {
        with_aggregate(&self.terms(round), subs, self.admission, |agg| {
            Ok(receipts
                .iter()
                .map(|(sender, bytes)| self.check_receipt(agg, round, *sender, bytes))
                .collect())
        })
    }

    fn check_receipt(
        &self,
        agg: &Aggregate<'_, '_, M, N>,
        round: u64,
        sender: u8,
        bytes: &[u8],
    ) -> Result<(), String> {
        let (r, binding, receipt) =
            wire::decode_receipt::<P>(&self.frame(), bytes).map_err(|e| e.to_string())?;
        if r != round || binding != agg.binding() {
            return Err("a receipt for another round or aggregate".into());
        }
        if receipt.member != sender {
            return Err(format!(
                "a receipt of member {} sent by member {sender}",
                receipt.member
            ));
        }
        let key = usize::from(sender)
            .checked_sub(1)
            .and_then(|i| self.roster_keys.get(i))
            .ok_or_else(|| format!("member {sender} is not in the roster"))?;
        let msg = zkfl_core::threshold::spend::receipt_message(
            &self.epoch,
            &self.epoch.roster,
            sender,
            agg,
        );
        key.verify_with_context(
            &msg,
            zkfl_core::threshold::spend::RECEIPT_CONTEXT,
            &receipt.signature,
        )
        .map_err(|_| "its signature does not verify under the member's roster key".into())
    }

    /// Whether `member` holds a slot under `present` (its regular answer carries key material): a member of P
    /// that holds none can be left out when it sends nothing (review 17, R17-4).
    #[must_use]
    pub fn holds_slot(&self, present: Members, member: u8) -> bool {
        let c = self.epoch.committee;
        (0..c.slots()).any(|u| c.assignee(present, u) == Some(member))
    }

    /// The members among `answers` (sender, excluded member it supplements or 0, bytes) that sent an answer but
    /// not one signed by themselves for this request — the round, aggregate and present set of the present-set
    /// message `present` (0x13) — or sent nothing: what `combine_excluding` refuses as [`CommitteeError::Relay`]
    /// (or [`CommitteeError::RelayAndExcluded`]) without naming them. The relay uses it for scheduling only (a member whose reply was lost or changed on
    /// the path is no longer preferred for later present sets, review 19 R19-1); it is never published as an
    /// exclusion, since the path may be to blame.
    ///
    /// # Errors
    /// [`CommitteeError::Wire`] when `present` does not decode.
    pub fn unsigned_answers(
        &self,
        present: &[u8],
        answers: &[(u8, u8, &[u8])],
    ) -> Result<Members, CommitteeError> {
        let p = wire::decode_present::<P>(&self.frame(), present)?;
        Ok(answers
            .iter()
            .filter(|(sender, supplement_for, bytes)| {
                let what = AnswerFor {
                    member: *sender,
                    round: p.round,
                    binding: p.binding,
                    present: p.members,
                    supplement_for: *supplement_for,
                };
                bytes.is_empty()
                    || signed::verify_answer(&self.epoch, &self.roster_keys, &what, bytes).is_err()
            })
            .fold(0, |m, (sender, _, _)| m | bit(*sender)))
    }

    /// The most share sets one combination sums (`Plan::max_share_sets`, review 17 R17-5).
    #[must_use]
    pub fn max_share_sets(&self) -> u32 {
        self.plan.plan().max_share_sets
    }

    /// The supplementary answers to ask for after [`CommitteeError::Excluded`]: (helper y, excluded x, x's signed
    /// answer as received) for every excluded regular answer, the helpers as [`Combination::helpers`] names them.
    /// x's answer is the evidence y checks itself before it answers (review 16 R16-3b): pass it with the request
    /// (`process::encode_supplement`).
    #[must_use]
    pub fn supplement_requests<'r>(
        &self,
        present: Members,
        excluded: &[Exclusion],
        received: &'r [(u8, Vec<u8>)],
    ) -> Vec<(u8, u8, &'r [u8])> {
        let mask = excluded
            .iter()
            .filter(|e| e.supplement_for == 0)
            .fold(0, |m, e| m | bit(e.member));
        self.helpers(present, mask)
            .into_iter()
            .map(|(y, x)| {
                let answer = received
                    .iter()
                    .find(|(m, _)| *m == x)
                    .map_or(&[][..], |(_, b)| b.as_slice());
                (y, x, answer)
            })
            .collect()
    }

    /// Admits submissions without proofs (tests only).
    #[cfg(test)]
    pub fn admit_unverified(&mut self) {
        self.admission = Admission::Unverified;
    }

    /// Positive control of the answer-signature check (tests only): answers are taken without verifying their
    /// signatures, so a change made on the path reaches the share proofs and blames the claimed member.
    #[cfg(test)]
    pub fn skip_answer_signatures(&mut self) {
        self.check_answer_signatures = false;
    }

    fn frame(&self) -> Frame<'_> {
        Frame {
            epoch: &self.epoch,
            chunks: self.b.len(),
        }
    }

    fn terms(&self, round: u64) -> RoundTerms<'_> {
        RoundTerms::of(round, &self.a, &self.b, &self.plan, &self.epoch)
    }

    /// The present set message (0x13) for `members` and the round's aggregate.
    ///
    /// # Errors
    /// [`CommitteeError::Threshold`] (`TooFewShares`) below t — a round that cannot decrypt asks no member
    /// for anything — and what building the aggregate refuses.
    pub fn present(
        &self,
        round: u64,
        subs: &[Submission],
        members: Members,
    ) -> Result<Vec<u8>, CommitteeError> {
        self.epoch.committee.check_present(members)?;
        with_aggregate(&self.terms(round), subs, self.admission, |agg| {
            let p = PresentSet {
                round,
                binding: agg.binding(),
                members,
            };
            let mut out = vec![0u8; wire::PRESENT_BYTES];
            wire::encode_present::<P>(&self.frame(), &p, &mut out)
                .map_err(|e| CommitteeError::Protocol(e.to_string()))?;
            Ok(out)
        })
    }

    /// Combines the answers (0x15 share set followed by its 0x16 proofs) received from `senders`
    /// (authenticated by the channel) into the decrypted aggregate: L chunks of N centred integers. Every
    /// chunk's share proof is verified first (`share_proof::verify_answer_chunk`, against the combiner's own
    /// key identity, aggregate, c1 and slot keys); if any member's answer fails, nothing is combined and the
    /// exclusions are returned ([`CommitteeError::Excluded`]): ask the [`Combination::helpers`] for
    /// supplementary answers and call [`Combination::combine_excluding`].
    ///
    /// # Errors
    /// [`CommitteeError::Excluded`], [`CommitteeError::Protocol`] for an answer whose claimed sender, round or
    /// present set is not the expected one, [`CommitteeError::Threshold`] for what `Combiner::decrypt` refuses.
    pub fn combine(
        &self,
        round: u64,
        subs: &[Submission],
        present: Members,
        received: &[(u8, Vec<u8>)],
    ) -> Result<Vec<[i64; N]>, CommitteeError> {
        let c = self.combine_excluding(round, subs, present, received, &[])?;
        Ok(c.chunks)
    }

    /// [`Combination::combine`] with the supplementary answers `supplements` (sender, bytes) for the members
    /// whose answers fail: the failing members are excluded (each [`Exclusion`] logged and returned), and the
    /// chunks are combined from the remaining members' answers and the supplements (`Combiner::decrypt_excluding`)
    /// once every supplement's proofs verify too.
    ///
    /// # Errors
    /// [`CommitteeError::Excluded`] when an answer fails and the supplements do not cover its slots, or when a
    /// supplement fails; [`CommitteeError::TooManyShareSets`] and [`CommitteeError::Unrepairable`] before any
    /// supplement is needed; [`CommitteeError::Relay`] when an answer's signature fails or a slot holder sent
    /// nothing — checked for every answer first, so members whose own signed answers failed are named with it
    /// ([`CommitteeError::RelayAndExcluded`]); otherwise as [`Combination::combine`].
    pub fn combine_excluding(
        &self,
        round: u64,
        subs: &[Submission],
        present: Members,
        received: &[(u8, Vec<u8>)],
        supplements: &[(u8, Vec<u8>)],
    ) -> Result<Combined, CommitteeError> {
        if !self.ceremony.complete() {
            return Err(CommitteeError::Protocol(
                "the combiner has not observed the ceremony's reveals (no slot keys to verify against)".into(),
            ));
        }
        let l = self.b.len();
        let p = self.plan.plan();
        let t = plaintext_modulus(p.clinics, p.b_int)
            .ok_or(CommitteeError::Protocol("no plaintext modulus".into()))?;
        let plain = zkfl_core::bfv::PlainModulus::new(t)
            .map_err(|e| CommitteeError::Protocol(format!("{e:?}")))?;
        let terms = self.terms(round);
        let key_id = terms.key()?.id();
        let mut a = Box::new(Pl::zero());
        a.coeffs = *self.a;
        with_aggregate(&terms, subs, self.admission, |agg| {
            let epoch = EpochPublic {
                key_id: &key_id,
                committee: &self.epoch.committee,
                a: &a,
                slot_keys: &self.slot_keys,
                chunks: l,
            };
            let mut excluded = Vec::new();
            let mut kept = Vec::new();
            let mut silent = Vec::new();
            // The answers the path changed (and slot holders' silence): they stop the combination, but only after
            // every other answer is checked, so a cheater's signed failing answer is never dropped with them
            // (review 25, R25-1), and each is said (review 29, R29-1).
            let mut path = Vec::new();
            for (sender, bytes) in received {
                if bytes.is_empty() && !self.holds_slot(present, *sender) {
                    // R17-4: its answer would be pure noise; the others cover every slot.
                    silent.push(*sender);
                    continue;
                }
                match self.checked_answer(&epoch, agg, round, present, 0, *sender, bytes) {
                    Ok(Ok(shares)) => kept.push((*sender, shares)),
                    Ok(Err(reason)) => excluded.push(Exclusion {
                        member: *sender,
                        supplement_for: 0,
                        reason,
                    }),
                    Err(CommitteeError::Relay(why)) if !self.holds_slot(present, *sender) => {
                        // Review 26, R26-3: a slotless member's answer that is not its own signed answer is no
                        // answer; it is left out like its silence (R17-4), its shares being pure noise.
                        eprintln!(
                            "committee round {round}: member {sender} (no slot) left out: {why}"
                        );
                        silent.push(*sender);
                    }
                    Err(CommitteeError::Relay(why)) => {
                        path.push(why);
                    }
                    Err(e) => return Err(e),
                }
            }
            // Logged before anything can stop the combination (review 26, R26-1).
            log_exclusions(round, &excluded);
            if !path.is_empty() {
                return Err(path_stopped(path.join("; "), excluded));
            }
            let excluded_mask = excluded.iter().fold(0, |m, e| m | bit(e.member));
            let silent_mask = silent.iter().fold(0, |m, &s| m | bit(s));
            let needed = self.helpers(present, excluded_mask);
            let sets = kept.len() + needed.len();
            if sets > self.max_share_sets() as usize {
                // R17-5: refused before any helper is asked to spend a decryption.
                return Err(CommitteeError::TooManyShareSets {
                    sets,
                    max: self.max_share_sets(),
                    excluded,
                });
            }
            if !self.repairable(present, excluded_mask) {
                // R20-1, R20-4: a slot without a helper; refused before any helper is asked.
                return Err(CommitteeError::Unrepairable { excluded });
            }
            let mut supp = Vec::new();
            let mut failed = Vec::new();
            let mut path = Vec::new();
            for (sender, bytes) in supplements {
                match self.checked_supplement(&epoch, agg, round, present, &needed, *sender, bytes)
                {
                    Ok((x, Ok(shares))) => supp.push((x, *sender, shares)),
                    Ok((x, Err(reason))) => failed.push(Exclusion {
                        member: *sender,
                        supplement_for: x,
                        reason,
                    }),
                    Err(CommitteeError::Relay(why)) => {
                        path.push(why);
                    }
                    Err(e) => return Err(e),
                }
            }
            log_exclusions(round, &failed);
            if !path.is_empty() {
                excluded.extend(failed);
                return Err(path_stopped(path.join("; "), excluded));
            }
            // Supplements still to ask for: only while some excluded member's slot has a helper that has not
            // answered (R17-1: an excluded member holding no slot needs none, and the round combines).
            let unanswered = needed
                .iter()
                .any(|&(y, x)| !supp.iter().any(|(sx, sy, _)| *sx == x && *sy == y));
            if !failed.is_empty() || unanswered {
                excluded.extend(failed);
                return Err(CommitteeError::Excluded(excluded));
            }
            let sets: Vec<MemberShares<'_, P, N>> = kept
                .iter()
                .map(|(m, s)| MemberShares {
                    member: *m,
                    aggregate: agg.binding(),
                    shares: s,
                })
                .collect();
            let supp_sets: Vec<(u8, MemberShares<'_, P, N>)> = supp
                .iter()
                .map(|(x, m, s)| {
                    (
                        *x,
                        MemberShares {
                            member: *m,
                            aggregate: agg.binding(),
                            shares: s,
                        },
                    )
                })
                .collect();
            let mut out = vec![[0i64; N]; l];
            let mut combiner = Box::new(Combiner::<P, N>::new(plain, self.epoch.committee));
            combiner.decrypt_excluding(
                agg,
                present,
                excluded_mask,
                silent_mask,
                &sets,
                &supp_sets,
                &mut out,
            )?;
            Ok(Combined {
                chunks: out,
                excluded,
                silent,
            })
        })
    }

    /// Checks one supplementary answer of helper `sender` (review 26, R26-2): the excluded member x it is for is
    /// never read from the bytes the path carries; each x that `needed` pairs with this helper is tried, and the
    /// answer counts for the x its signature was made for. No such x is [`CommitteeError::Relay`] (changed on the
    /// path, or made for another request), so the helper is demoted, not blamed. With signature checks switched
    /// off (tests), x is the one the answer states.
    #[allow(clippy::too_many_arguments)]
    fn checked_supplement(
        &self,
        epoch: &EpochPublic<'_, M, N>,
        agg: &Aggregate<'_, '_, M, N>,
        round: u64,
        present: Members,
        needed: &[(u8, u8)],
        sender: u8,
        bytes: &[u8],
    ) -> Result<(u8, Result<Vec<Pl>, ExclusionReason>), CommitteeError> {
        let candidates: Vec<u8> = if self.check_answer_signatures {
            needed
                .iter()
                .filter(|(y, _)| *y == sender)
                .map(|(_, x)| *x)
                .collect()
        } else {
            let at = wire::share_set_len::<P>(&self.frame()) + wire::HEADER_BYTES + 44;
            let x = bytes.get(at).copied().unwrap_or(0);
            if !needed.contains(&(sender, x)) {
                return Err(CommitteeError::Protocol(format!(
                    "a supplementary answer from member {sender} for member {x}, which it does not help"
                )));
            }
            vec![x]
        };
        for &x in &candidates {
            match self.checked_answer(epoch, agg, round, present, x, sender, bytes) {
                Err(CommitteeError::Relay(_)) => {}
                other => return other.map(|checked| (x, checked)),
            }
        }
        Err(CommitteeError::Relay(format!(
            "the supplementary answer of member {sender} is not its signed supplement for an excluded member it \
             helps ({candidates:?}): changed or made by the relay (member {sender} is not blamed)"
        )))
    }

    /// Verifies one signed answer (share set ‖ proofs ‖ σ) from `sender` for this request, then decodes it and
    /// verifies every chunk's proof: Ok(Ok(shares)), or Ok(Err(reason)) to exclude the sender. The signature is
    /// checked first, for the combiner's own (round, β(A), P, x) under the sender's roster key: one that fails is
    /// [`CommitteeError::Relay`] for the whole combination (the answer was changed, replayed or made on the
    /// path; its member is not blamed), so only an answer its member signed for this request can exclude it.
    #[allow(clippy::too_many_arguments)]
    fn checked_answer(
        &self,
        epoch: &EpochPublic<'_, M, N>,
        agg: &Aggregate<'_, '_, M, N>,
        round: u64,
        present: Members,
        supplement_for: u8,
        sender: u8,
        bytes: &[u8],
    ) -> Result<Result<Vec<Pl>, ExclusionReason>, CommitteeError> {
        let what = AnswerFor {
            member: sender,
            round,
            binding: agg.binding(),
            present,
            supplement_for,
        };
        if bytes.is_empty() {
            // Silence is not evidence (review 16 R16-3b): no helper supplements a member that sent nothing, so
            // a silent member holding a slot (or a silent helper) leaves the round undecryptable. A silent
            // member holding no slot never reaches here (`combine_excluding` leaves it out, R17-4).
            return Err(CommitteeError::Relay(format!(
                "member {sender} sent no answer (supplement for {supplement_for}) and holds slots under the \
                 present set; a silent member cannot be replaced by supplements, so this aggregate cannot be \
                 decrypted with this present set: retry it, or drop unresponsive members before announcing \
                 the present set of a fresh round"
            )));
        }
        let answer = if self.check_answer_signatures {
            signed::verify_answer(&self.epoch, &self.roster_keys, &what, bytes).map_err(|e| {
                CommitteeError::Relay(format!(
                    "the answer of member {sender} (supplement for {supplement_for}): {e}"
                ))
            })?
        } else {
            bytes
                .get(..bytes.len().saturating_sub(signed::SIGNED_OVERHEAD))
                .unwrap_or_default()
        };
        let check = AnswerCheck {
            frame: self.frame(),
            params: &self.share_params,
            epoch,
            agg,
            round,
            present,
        };
        Ok(check.run(supplement_for, sender, answer))
    }
}

/// Logs the members excluded from a round's combination, with why.
fn log_exclusions(round: u64, excluded: &[Exclusion]) {
    for e in excluded {
        let what = if e.supplement_for == 0 {
            String::new()
        } else {
            format!(" (supplement for member {})", e.supplement_for)
        };
        eprintln!(
            "committee round {round}: member {} excluded{what}: {:?}",
            e.member, e.reason
        );
    }
}

/// A combination stopped by an answer the path changed (or a slot holder's silence), after every answer was
/// checked: [`CommitteeError::Relay`] alone, or with the members whose own signed answers failed
/// ([`CommitteeError::RelayAndExcluded`], review 25 R25-1) so the relay distrusts them in that round too.
fn path_stopped(why: String, excluded: Vec<Exclusion>) -> CommitteeError {
    if excluded.is_empty() {
        CommitteeError::Relay(why)
    } else {
        CommitteeError::RelayAndExcluded { why, excluded }
    }
}

/// What an answer is checked against: the checker's own frame, share-proof parameters, key identity and slot
/// keys, aggregate, round and present set (the combiner's, or a helper's when it checks the evidence for a
/// supplement, review 16 R16-3b).
struct AnswerCheck<'c, 'e, 'a, 'b> {
    frame: Frame<'c>,
    params: &'c ShareProofParams,
    epoch: &'c EpochPublic<'e, M, N>,
    agg: &'c Aggregate<'a, 'b, M, N>,
    round: u64,
    present: Members,
}

impl AnswerCheck<'_, '_, '_, '_> {
    /// Whether `evidence` shows that member `x` failed this request (review 16 R16-3b): x's answer signed for
    /// (x, round, β(A), P, regular answer) under x's roster key, that fails `run` under this checker's own view.
    /// Returns why it fails.
    ///
    /// # Errors
    /// [`CommitteeError::NoEvidence`]: no such signature, or an answer that passes.
    fn evidence(
        &self,
        epoch: &Epoch,
        roster: &[VerifyingKey],
        x: u8,
        evidence: &[u8],
    ) -> Result<ExclusionReason, CommitteeError> {
        let what = AnswerFor {
            member: x,
            round: self.round,
            binding: self.agg.binding(),
            present: self.present,
            supplement_for: 0,
        };
        let answer = signed::verify_answer(epoch, roster, &what, evidence).map_err(|e| {
            CommitteeError::NoEvidence {
                excluded: x,
                why: format!("not its signed answer to this request: {e}"),
            }
        })?;
        match self.run(0, x, answer) {
            Ok(_) => Err(CommitteeError::NoEvidence {
                excluded: x,
                why: "its signed answer passes every check".into(),
            }),
            Err(reason) => Ok(reason),
        }
    }

    /// Decodes `answer` (share set ‖ proofs, signature already checked) of `sender` for the excluded member
    /// `supplement_for` (0: a regular answer) and verifies every chunk's proof: the shares, or why the sender
    /// is excluded. A share set claiming another sender, round or present set excludes its sender too
    /// (`ExclusionReason::Header`, review 16 R16-3a): were it a whole-round error, a cheater could stop the
    /// round instead of being replaced by supplements.
    fn run(
        &self,
        supplement_for: u8,
        sender: u8,
        answer: &[u8],
    ) -> Result<Vec<Pl>, ExclusionReason> {
        let l = self.frame.chunks;
        let set_len = wire::share_set_len::<P>(&self.frame);
        let (set, proof_bytes) = answer.split_at(set_len.min(answer.len()));
        let mut shares = vec![Pl::zero(); l];
        let h = wire::decode_share_set::<P, N>(&self.frame, set, &mut shares)
            .map_err(ExclusionReason::Malformed)?;
        if h.member != sender || h.round != self.round || h.present != self.present {
            return Err(ExclusionReason::Header);
        }
        let mut proofs: Vec<&[u8]> = vec![&[]; l];
        let max = max_proof_len::<P>(self.params);
        match wire::decode_share_proofs::<P>(&self.frame, proof_bytes, max, &mut proofs) {
            Ok((ph, x)) if ph == h && x == supplement_for => {}
            Ok(_) => {
                return Err(ExclusionReason::Malformed(
                    zkfl_core::wire::DecodeError::WrongEpoch,
                ));
            }
            Err(e) => return Err(ExclusionReason::Malformed(e)),
        }
        let mut b_s = Box::new(Pl::zero());
        for (j, (d, proof)) in shares.iter().zip(&proofs).enumerate() {
            verify_answer_chunk::<P, N>(
                self.params,
                self.epoch,
                self.agg,
                self.present,
                supplement_for,
                sender,
                j,
                d,
                proof,
                &mut b_s,
            )
            .map_err(|failure| ExclusionReason::Proof { chunk: j, failure })?;
        }
        Ok(shares)
    }
}
