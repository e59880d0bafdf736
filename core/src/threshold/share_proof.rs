//! The share-correctness proof (docs/THRESHOLD.md §6): one proof per chunk that member h's share
//! d = S·c1 + X1 + 2^23·X2 was made with the parts assigned to h (a·S + e_S = −B_S) and digits within the
//! smudger's bounds. It is the norm proof's relation at L = 1 under the substitution of §6.2
//! (a, b, c1, c0, Δ, u, m) → (a, c1_agg, −B_S, d, 2^23, S, X2), proven and verified by the norm proof's own
//! prover and verifier (`zk::prove::prove_relation`, `zk::verify::verify_relation`) with the share proof's
//! layout (u128 bounds, parameters from `share_proof_params::derive`), Δ, CRS (`zk::derive::SHARE_CRS_LABEL`)
//! and transcript ([`transcript`], §6.2 item 1).
//!
//! The verifier's public inputs are its own: c1 from the aggregate it built from admitted ciphertexts, B_S from
//! the ceremony's slot keys and the present set (`share_relation::assigned_slot_key`), and the aggregate's key
//! identity must equal the verifier's own before any equation is looked at (`WrongKey`, §6.1, review 11 B1):
//! [`verify_member_share`]. Nothing of the statement is read from the proof.

use super::aggregate::Aggregate;
use super::share_proof_params::ShareProofParams;
use super::share_relation::answer_slot_key;
use super::slots::{Committee, Members, bit};
use crate::arith::Modulus;
use crate::ring::Poly;
use crate::zk::derive::SHARE_CRS_BIT;
use crate::zk::layout::Layout;
use crate::zk::params::ZkParams;
use crate::zk::proof::ProofError;
use crate::zk::prove::{ProveError, ProveStats, SliceUpdate, Witness, prove_relation};
use crate::zk::statement::{Relation, Statement};
use crate::zk::transcript::Transcript;
use crate::zk::verify::verify_relation;
use rand_core::CryptoRng;

/// Transcript label of the share proof (docs/THRESHOLD.md §6.2 item 1).
pub const TRANSCRIPT_LABEL: &[u8] = b"ZKFL-PQ/threshold/share-proof/v1";

/// Δ of the share relation: the high digit's weight 2^23 (`plan::OUTER_SHIFT`).
pub const SHARE_DELTA: u64 = 1 << super::plan::OUTER_SHIFT;

/// Why a share proof was not made or not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareProofFailure {
    /// The aggregate was admitted under another key identity than the verifier's (or prover's) own
    /// (§6.1 precondition, review 11 B1): nothing else was checked.
    WrongKey,
    /// The chunk index is not below the number of slot-key chunks, or the slot keys are too few.
    Chunk,
    /// The parameters do not fit the proof's arrays or widths (never for `share_proof_params::derive`).
    Parameters,
    /// The prover refused (its witness violates a bound of §6.1, or the buffer is short).
    Prove(ProveError),
    /// The proof does not verify for this statement.
    Proof(ProofError),
    /// The answer's shape is wrong before any proof is read: P is not a valid present set, the member is not
    /// in P, or a supplementary answer's x is not in P or is the member itself.
    NotInPresentSet,
}

/// The public context of one chunk's proof besides its polynomials: what every challenge hashes (§6.2
/// item 1, §6.4 S6).
#[derive(Clone, Copy, Debug)]
pub struct ShareContext<'a> {
    /// The aggregate's key identity (`Aggregate::key_id`, equal to the member's `Holdings::key_id`).
    pub key_id: &'a [u8; 32],
    /// β(A) (`Aggregate::binding`).
    pub binding: &'a [u8; 32],
    /// The round.
    pub round: u64,
    /// The present set P.
    pub present: Members,
    /// The member h.
    pub member: u8,
    /// 0 for a regular answer; x for a supplementary answer for the slots of excluded member x (§3.2.1).
    pub supplement_for: u8,
    /// The chunk j.
    pub chunk: usize,
}

/// The relation the norm proof's code proves for `params`: its layout with the share bounds at L = 1,
/// Δ = 2^23 and the share proof's CRS id (set id with `SHARE_CRS_BIT`).
#[must_use]
pub fn relation<P: ZkParams>(params: &ShareProofParams) -> Relation<P::M> {
    Relation {
        layout: layout::<P>(params),
        delta: P::M::from_u128(u128::from(SHARE_DELTA)),
        crs: P::ID | SHARE_CRS_BIT,
    }
}

/// The proof layout of `params` (L = 1, the four squared bounds of §6.1 in group order X2, S, e_S, X1).
#[must_use]
pub fn layout<P: ZkParams>(params: &ShareProofParams) -> Layout {
    Layout::with_bounds(
        params.as_zk(),
        P::N,
        <P::M as Modulus>::BYTES,
        1,
        params.bounds.groups(),
    )
}

/// The transcript's start (§6.2 item 1): label, set id, key identity, β(A), r, P, h, (x for a supplementary
/// answer), j, the four squared
/// bounds (u128 little endian), then B_S and d (canonical coefficient bytes).
#[must_use]
pub fn transcript<P: ZkParams, const N: usize>(
    params: &ShareProofParams,
    ctx: &ShareContext<'_>,
    b_s: &Poly<P::M, N>,
    d: &Poly<P::M, N>,
) -> Transcript {
    let mut t = Transcript::new(TRANSCRIPT_LABEL);
    t.absorb_u64(b"set", u64::from(P::ID));
    t.absorb_bytes(b"key-id", ctx.key_id);
    t.absorb_bytes(b"aggregate", ctx.binding);
    t.absorb_u64(b"round", ctx.round);
    t.absorb_u64(b"present", u64::from(ctx.present));
    t.absorb_u64(b"member", u64::from(ctx.member));
    // Absorbed only for a supplementary answer, so a regular answer's transcript (and the KAT) is unchanged and
    // the two kinds of statement never share a transcript.
    if ctx.supplement_for != 0 {
        t.absorb_u64(b"supplement-for", u64::from(ctx.supplement_for));
    }
    t.absorb_u64(b"chunk", ctx.chunk as u64);
    for g in params.bounds.groups() {
        t.absorb_bytes(b"bound", &g.to_le_bytes());
    }
    t.absorb_coeffs::<P::M>(b"b_s", &b_s.coeffs);
    t.absorb_coeffs::<P::M>(b"d", &d.coeffs);
    t
}

/// The public polynomials of one chunk's statement: the CRS a, the aggregate's c1, B_S and the share d.
#[derive(Clone, Copy, Debug)]
pub struct SharePublic<'a, M: Modulus, const N: usize> {
    /// The CRS a of the epoch.
    pub a: &'a Poly<M, N>,
    /// Σ c1 of the aggregate (the verifier's own).
    pub c1: &'a Poly<M, N>,
    /// B_S (the verifier's own, `share_relation::assigned_slot_key`).
    pub b_s: &'a Poly<M, N>,
    /// The share d_{h,j}.
    pub d: &'a Poly<M, N>,
}

/// The norm proof's statement for the share relation (§6.2 table): pk_a = a, pk_b = [c1], c1 = −B_S,
/// c0 = [d]; `neg_b_s` receives −B_S. Its t and bound are not read by the relation's prover and verifier.
fn statement<'a, M: Modulus, const N: usize>(
    p: &SharePublic<'a, M, N>,
    neg_b_s: &'a mut Poly<M, N>,
) -> Statement<'a, M, N> {
    for (o, &x) in neg_b_s.coeffs.iter_mut().zip(p.b_s.coeffs.iter()) {
        *o = M::neg(x);
    }
    Statement {
        pk_a: &p.a.coeffs,
        pk_b: core::slice::from_ref(&p.c1.coeffs),
        c1: &neg_b_s.coeffs,
        c0: core::slice::from_ref(&p.d.coeffs),
        t: 0,
        bound: 0,
    }
}

/// Bytes of the prover's output buffer for `params` (the staged fixed-width z included).
#[must_use]
pub fn prove_buf_len<P: ZkParams>(params: &ShareProofParams) -> usize {
    layout::<P>(params).prove_buf_len()
}

/// The longest accepted proof: the verifier's length limit (the Rice-coded maximum, §6.3).
#[must_use]
pub fn max_proof_len<P: ZkParams>(params: &ShareProofParams) -> usize {
    layout::<P>(params).max_proof_len()
}

/// Proves one chunk's share: witness S (the member's assigned parts, centred, |S_i| ≤ p) and the high digit
/// X2 (centred). The derived e_S and X1 are computed by the prover from the public values; it refuses a
/// witness that violates a bound (`ProveError::NormBound`: groups M = X2, U = S, E2 = e_S, E1 = X1). The
/// proof is `out[..stats.len]`; `out` must hold [`prove_buf_len`] bytes.
///
/// # Errors
/// [`ShareProofFailure::Parameters`] for parameters that do not fit the proof's arrays,
/// [`ShareProofFailure::Prove`] when the prover refuses.
#[allow(clippy::too_many_arguments)]
pub fn prove<P: ZkParams, const N: usize, R: CryptoRng>(
    params: &ShareProofParams,
    ctx: &ShareContext<'_>,
    public: &SharePublic<'_, P::M, N>,
    s: &[i64; N],
    x2: &[i64; N],
    rng: &mut R,
    out: &mut [u8],
) -> Result<ProveStats, ShareProofFailure> {
    if !params.conditions(<P::M as Modulus>::Q).arrays {
        return Err(ShareProofFailure::Parameters);
    }
    let rel = relation::<P>(params);
    let start = transcript::<P, N>(params, ctx, public.b_s, public.d);
    let mut neg_b_s = Poly::<P::M, N>::zero();
    let stmt = statement(public, &mut neg_b_s);
    let chunk = core::slice::from_ref(x2);
    let mut wit = Witness {
        u: s,
        m: SliceUpdate(chunk),
    };
    prove_relation::<P, N, _, R>(&stmt, &rel, &start, &mut wit, rng, out)
        .map_err(ShareProofFailure::Prove)
}

/// Verifies one chunk's proof against public values the caller computed itself (see
/// [`verify_member_share`], which computes them).
///
/// # Errors
/// [`ShareProofFailure::Parameters`], or [`ShareProofFailure::Proof`] with the failing check.
pub fn verify<P: ZkParams, const N: usize>(
    params: &ShareProofParams,
    ctx: &ShareContext<'_>,
    public: &SharePublic<'_, P::M, N>,
    proof: &[u8],
) -> Result<(), ShareProofFailure> {
    verify_checked::<P, N>(params, ctx, public, proof, Checks::All)
}

/// Which verifier runs: the real one, or (only with `attack-sim`) the norm proof's verifier with checks
/// switched off, for the forgers' demonstrations.
#[derive(Clone, Copy)]
enum Checks {
    All,
    #[cfg(any(test, feature = "attack-sim"))]
    Broken(crate::zk::verify::Disable),
}

fn verify_checked<P: ZkParams, const N: usize>(
    params: &ShareProofParams,
    ctx: &ShareContext<'_>,
    public: &SharePublic<'_, P::M, N>,
    proof: &[u8],
    checks: Checks,
) -> Result<(), ShareProofFailure> {
    if !params.conditions(<P::M as Modulus>::Q).arrays {
        return Err(ShareProofFailure::Parameters);
    }
    let rel = relation::<P>(params);
    let start = transcript::<P, N>(params, ctx, public.b_s, public.d);
    let mut neg_b_s = Poly::<P::M, N>::zero();
    let stmt = statement(public, &mut neg_b_s);
    let r = match checks {
        Checks::All => verify_relation::<P, N>(&stmt, &rel, &start, proof),
        #[cfg(any(test, feature = "attack-sim"))]
        Checks::Broken(dis) => {
            crate::zk::verify::verify_relation_with::<P, N>(&stmt, &rel, &start, proof, dis)
        }
    };
    r.map_err(ShareProofFailure::Proof)
}

/// [`verify`] with the norm proof's checks in `dis` switched off (broken-verifier demonstrations only).
///
/// # Errors
/// As [`verify`], for the checks left on.
#[cfg(any(test, feature = "attack-sim"))]
pub fn verify_with<P: ZkParams, const N: usize>(
    params: &ShareProofParams,
    ctx: &ShareContext<'_>,
    public: &SharePublic<'_, P::M, N>,
    proof: &[u8],
    dis: crate::zk::verify::Disable,
) -> Result<(), ShareProofFailure> {
    verify_checked::<P, N>(params, ctx, public, proof, Checks::Broken(dis))
}

/// What the combiner (or any verifier) holds of the epoch: its own key identity, the committee, the CRS a
/// and the ceremony's slot keys (`slot_keys[u·L + j]`, L chunks).
#[derive(Clone, Copy, Debug)]
pub struct EpochPublic<'a, M: Modulus, const N: usize> {
    /// The key identity the verifier computed itself (`Holdings::key_id` / `RoundKey::id`).
    pub key_id: &'a [u8; 32],
    /// The committee (n, t).
    pub committee: &'a Committee,
    /// The CRS a.
    pub a: &'a Poly<M, N>,
    /// The ceremony's slot keys.
    pub slot_keys: &'a [Poly<M, N>],
    /// Chunks L of the slot keys.
    pub chunks: usize,
}

/// Verifies member `member`'s proof for chunk `j` of its share `d` of `agg` under the present set `present`:
/// first the key-identity precondition (the aggregate's key identity must be the verifier's own, §6.1), then
/// B_S from the slot keys and P (`b_s` is scratch), c1 and β(A) from the aggregate, and the proof.
///
/// # Errors
/// [`ShareProofFailure::WrongKey`] before anything else, [`ShareProofFailure::Chunk`] for a chunk or slot-key
/// count that does not fit, then as [`verify`].
#[allow(clippy::too_many_arguments)]
pub fn verify_member_share<P: ZkParams, const N: usize>(
    params: &ShareProofParams,
    epoch: &EpochPublic<'_, P::M, N>,
    agg: &Aggregate<'_, '_, P::M, N>,
    present: Members,
    member: u8,
    j: usize,
    d: &Poly<P::M, N>,
    proof: &[u8],
    b_s: &mut Poly<P::M, N>,
) -> Result<(), ShareProofFailure> {
    verify_chunk::<P, N>(params, epoch, agg, present, 0, member, j, d, proof, b_s)
}

/// What a combiner checks of one answer's chunk before it adds the share (§16.4 item 5): the answer's shape —
/// P a valid present set of at least t, the member in P, for a supplementary answer x ∈ P and x ≠ member
/// (review 14, R14-1: [`verify_member_share`] alone accepts a proof of a member outside P, where B_S = 0) —,
/// then [`verify_member_share`]'s checks with B_S of the slots the answer covers
/// (`share_relation::answer_slot_key`) and x bound in the transcript.
///
/// # Errors
/// [`ShareProofFailure::NotInPresentSet`] for the shape, then as [`verify_member_share`].
#[allow(clippy::too_many_arguments)]
pub fn verify_answer_chunk<P: ZkParams, const N: usize>(
    params: &ShareProofParams,
    epoch: &EpochPublic<'_, P::M, N>,
    agg: &Aggregate<'_, '_, P::M, N>,
    present: Members,
    supplement_for: u8,
    member: u8,
    j: usize,
    d: &Poly<P::M, N>,
    proof: &[u8],
    b_s: &mut Poly<P::M, N>,
) -> Result<(), ShareProofFailure> {
    let in_p = |m: u8| present & bit(m) != 0;
    let supplement_ok = supplement_for == 0 || (in_p(supplement_for) && supplement_for != member);
    if epoch.committee.check_present(present).is_err() || !in_p(member) || !supplement_ok {
        return Err(ShareProofFailure::NotInPresentSet);
    }
    verify_chunk::<P, N>(
        params,
        epoch,
        agg,
        present,
        supplement_for,
        member,
        j,
        d,
        proof,
        b_s,
    )
}

#[allow(clippy::too_many_arguments)]
fn verify_chunk<P: ZkParams, const N: usize>(
    params: &ShareProofParams,
    epoch: &EpochPublic<'_, P::M, N>,
    agg: &Aggregate<'_, '_, P::M, N>,
    present: Members,
    supplement_for: u8,
    member: u8,
    j: usize,
    d: &Poly<P::M, N>,
    proof: &[u8],
    b_s: &mut Poly<P::M, N>,
) -> Result<(), ShareProofFailure> {
    use subtle::ConstantTimeEq;
    if !bool::from(agg.key_id().ct_eq(epoch.key_id)) {
        return Err(ShareProofFailure::WrongKey);
    }
    if j >= epoch.chunks || epoch.slot_keys.len() < epoch.committee.slots() * epoch.chunks {
        return Err(ShareProofFailure::Chunk);
    }
    answer_slot_key(
        epoch.committee,
        present,
        supplement_for,
        member,
        epoch.slot_keys,
        epoch.chunks,
        j,
        b_s,
    );
    let binding = agg.binding();
    let ctx = ShareContext {
        key_id: epoch.key_id,
        binding: &binding,
        round: agg.round(),
        present,
        member,
        supplement_for,
        chunk: j,
    };
    let public = SharePublic {
        a: epoch.a,
        c1: agg.c1(),
        b_s,
        d,
    };
    verify::<P, N>(params, &ctx, &public, proof)
}

/// What a member needs besides its holdings to prove its answer: the share proof's parameters, the CRS a and
/// the ceremony's slot keys (`slot_keys[u·L + j]`).
#[cfg(feature = "alloc")]
#[derive(Clone, Copy, Debug)]
pub struct AnswerProver<'a, M: Modulus, const N: usize> {
    /// `share_proof_params::derive` of the member's plan.
    pub params: &'a ShareProofParams,
    /// The CRS a.
    pub a: &'a Poly<M, N>,
    /// The ceremony's slot keys.
    pub slot_keys: &'a [Poly<M, N>],
}

/// A member's answer with its share proofs (§16.4 item 5): [`super::ShareMaker::make_answer`] writes the shares
/// of every chunk into `out` and, for each chunk while its witness is in memory, this proves it under the
/// answer's context (key identity, β(A), r, P, h, x, j) and B_S of the slots it covers; `proofs` receives one
/// proof per chunk. The witnesses are centred into zeroized scratch.
///
/// # Errors
/// As `make_answer`; [`super::ThresholdError::ShareProof`] if the prover refuses (never for an honest share).
#[cfg(feature = "alloc")]
#[allow(clippy::too_many_arguments)]
pub fn prove_answer<P, const N: usize, const K: usize, R>(
    maker: &mut super::ShareMaker<P, N, K>,
    prover: &AnswerProver<'_, P::M, N>,
    holdings: &super::Holdings,
    agg: &Aggregate<'_, '_, P::M, N>,
    present: Members,
    supplement_for: u8,
    spend: &super::Spend<'_>,
    smudger: &super::Smudger<P>,
    spent: &mut impl super::SpentLedger,
    rng: &mut R,
    out: &mut [Poly<P::M, N>],
    proofs: &mut alloc::vec::Vec<alloc::vec::Vec<u8>>,
) -> Result<(), super::ThresholdError>
where
    P: crate::params::ParamSet + ZkParams,
    R: CryptoRng,
{
    use alloc::boxed::Box;
    use alloc::vec;
    use zeroize::Zeroize;
    let member = holdings.member();
    let key_id = *holdings.key_id();
    let binding = agg.binding();
    let (committee, chunks) = (*holdings.committee(), holdings.chunks());
    let mut s = Box::new([0i64; N]);
    let mut x2 = Box::new([0i64; N]);
    let mut b_s = Box::new(Poly::<P::M, N>::zero());
    let mut buf = vec![0u8; prove_buf_len::<P>(prover.params)];
    proofs.clear();
    let r = maker.make_answer(
        holdings,
        agg,
        present,
        supplement_for,
        spend,
        smudger,
        spent,
        rng,
        out,
        |j, w, rng| {
            // Centred residues of the secret witness, |x| < q/2 < 2^63: the low limb is the value, and taking
            // it is branch-free.
            for i in 0..N {
                s[i] = crate::arith::cast::low_i64(<P::M as Modulus>::to_centered(w.s.coeffs[i]));
                x2[i] = crate::arith::cast::low_i64(<P::M as Modulus>::to_centered(w.x2.coeffs[i]));
            }
            answer_slot_key(
                &committee,
                present,
                supplement_for,
                member,
                prover.slot_keys,
                chunks,
                j,
                &mut b_s,
            );
            let ctx = ShareContext {
                key_id: &key_id,
                binding: &binding,
                round: agg.round(),
                present,
                member,
                supplement_for,
                chunk: j,
            };
            let public = SharePublic {
                a: prover.a,
                c1: agg.c1(),
                b_s: &b_s,
                d: w.d,
            };
            let stats = prove::<P, N, _>(prover.params, &ctx, &public, &s, &x2, rng, &mut buf)
                .map_err(|_| super::ThresholdError::ShareProof)?;
            proofs.push(buf[..stats.len].to_vec());
            Ok(())
        },
    );
    s.zeroize();
    x2.zeroize();
    r
}
