//! The share relation of docs/THRESHOLD.md §6.1 in code: the public B_S a verifier computes itself from the slot
//! keys and the present set ([`assigned_slot_key`]), the derived witnesses e_S = −B_S − a·S and
//! X1 = d − c1·S − 2^23·X2 ([`derive_witness`]), and the check of the four bounds ([`check_witness`]) that the
//! share proof's prover runs on its own witness before it proves (a nonzero result means an invalid witness).
//!
//! This is the relation the proof will enforce, not the proof: a verifier cannot run [`check_witness`], which
//! needs the secret S and X2 (docs/THRESHOLD.md §6.8).

use super::share_proof_params::ShareBounds;
use super::slots::{Committee, Members, bit};
use crate::arith::Modulus;
use crate::bfv::keys::check_params;
use crate::params::ParamSet;
use crate::ring::{NttPoly, Poly};
use zeroize::Zeroize;

/// Which bound of §6.1 a witness fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelationError {
    /// ‖X2‖² above B_X2².
    HighDigit,
    /// ‖S‖² above p²·N.
    KeyParts,
    /// ‖e_S‖² = ‖−B_S − a·S‖² above p²·B_2²: S does not open the member's assigned slot keys.
    KeyError,
    /// ‖X1‖² = ‖d − c1·S − 2^23·X2‖² above B_X1²: the share is not c1·S plus the bounded digits.
    LowDigit,
}

/// One chunk's public inputs (§6.1): a, the aggregate's c1, B_S and the share d.
#[derive(Clone, Copy, Debug)]
pub struct ShareStatement<'a, M: Modulus, const N: usize> {
    /// The CRS a.
    pub a: &'a Poly<M, N>,
    /// Σ c1 of the aggregate (computed by the verifier from the admitted ciphertexts).
    pub c1: &'a Poly<M, N>,
    /// B_S = Σ_{U assigned to h} B_{U,j} ([`assigned_slot_key`]).
    pub b_s: &'a Poly<M, N>,
    /// The share d_{h,j}.
    pub d: &'a Poly<M, N>,
}

/// B_S = Σ_{U assigned to `member` under `present`} B_{U,j} into `out`, from the ceremony's slot keys
/// (`slot_keys[u·L + j]`, `keys::KeyCeremony::reveal`). Public: the verifier computes it and never takes it from
/// the prover, so a share made under another assignment or with another member's parts opens another B_S.
pub fn assigned_slot_key<M: Modulus, const N: usize>(
    committee: &Committee,
    present: Members,
    member: u8,
    slot_keys: &[Poly<M, N>],
    chunks: usize,
    j: usize,
    out: &mut Poly<M, N>,
) {
    answer_slot_key(committee, present, 0, member, slot_keys, chunks, j, out);
}

/// Whether `member`'s answer under `present` covers slot `u`: for a regular answer (`supplement_for` = 0) the
/// slots whose lowest present holder it is (`Committee::assignee`); for a supplementary answer for excluded
/// member x (docs/THRESHOLD.md §3.2.1) the slots assigned to x whose lowest holder in P \ {x} it is. The
/// regular answers of P \ {x} and the supplements for x then cover every slot exactly once, or some slot of x
/// has no other holder in P and the round needs another present set.
#[must_use]
pub fn covers(
    committee: &Committee,
    present: Members,
    supplement_for: u8,
    member: u8,
    u: usize,
) -> bool {
    if supplement_for == 0 {
        return committee.assignee(present, u) == Some(member);
    }
    committee.assignee(present, u) == Some(supplement_for)
        && committee.assignee(present & !bit(supplement_for), u) == Some(member)
}

/// B_S of `member`'s answer under `present` (regular or supplementary for `supplement_for`, [`covers`]) for
/// chunk j: Σ B_{U,j} over the slots it covers.
#[allow(clippy::too_many_arguments)]
pub fn answer_slot_key<M: Modulus, const N: usize>(
    committee: &Committee,
    present: Members,
    supplement_for: u8,
    member: u8,
    slot_keys: &[Poly<M, N>],
    chunks: usize,
    j: usize,
    out: &mut Poly<M, N>,
) {
    *out = Poly::zero();
    for u in
        (0..committee.slots()).filter(|&u| covers(committee, present, supplement_for, member, u))
    {
        out.add_assign(&slot_keys[u * chunks + j]);
    }
}

/// Scratch space of [`derive_witness`] (two NTT polynomials; keeps ~N·K words off the stack).
pub struct RelationScratch<const N: usize, const K: usize> {
    s_ntt: NttPoly<N, K>,
    x_ntt: NttPoly<N, K>,
}

impl<const N: usize, const K: usize> Default for RelationScratch<N, K> {
    fn default() -> Self {
        Self {
            s_ntt: NttPoly::zero(),
            x_ntt: NttPoly::zero(),
        }
    }
}

impl<const N: usize, const K: usize> Drop for RelationScratch<N, K> {
    fn drop(&mut self) {
        self.s_ntt.zeroize();
        self.x_ntt.zeroize();
    }
}

/// e_S = −B_S − a·S and X1 = d − c1·S − 2^23·X2 (mod q), the derived witnesses of §6.1.
pub fn derive_witness<P: ParamSet, const N: usize, const K: usize>(
    stmt: &ShareStatement<'_, P::M, N>,
    s: &Poly<P::M, N>,
    x2: &Poly<P::M, N>,
    scratch: &mut RelationScratch<N, K>,
    e_s: &mut Poly<P::M, N>,
    x1: &mut Poly<P::M, N>,
) {
    const { check_params::<P, N, K>() };
    scratch.s_ntt.set_from_poly(s);
    scratch.x_ntt.set_from_poly(stmt.a);
    scratch.x_ntt.mul_assign(&scratch.s_ntt);
    scratch.x_ntt.inverse_into(e_s);
    e_s.add_assign(stmt.b_s);
    e_s.neg_assign();
    scratch.x_ntt.set_from_poly(stmt.c1);
    scratch.x_ntt.mul_assign(&scratch.s_ntt);
    scratch.x_ntt.inverse_into(x1);
    x1.neg_assign();
    x1.add_assign(stmt.d);
    let shift = <P::M as Modulus>::from_i64(1 << super::plan::OUTER_SHIFT);
    x1.add_scaled_assign(<P::M as Modulus>::neg(shift), x2);
    scratch.s_ntt.zeroize();
    scratch.x_ntt.zeroize();
}

/// Err unless (S, X2) is a witness of §6.1 for `stmt` under `bounds`. Secret inputs: the four norms are
/// computed in constant time; only which bound failed is public (the prover's self-check, like the norm
/// proof's `ProveError::NormBound`). `e_s` and `x1` receive the derived witnesses.
///
/// # Errors
/// The first failing bound, in the order X2, S, e_S, X1.
#[allow(clippy::too_many_arguments)]
pub fn check_witness<P: ParamSet, const N: usize, const K: usize>(
    stmt: &ShareStatement<'_, P::M, N>,
    bounds: &ShareBounds,
    s: &Poly<P::M, N>,
    x2: &Poly<P::M, N>,
    scratch: &mut RelationScratch<N, K>,
    e_s: &mut Poly<P::M, N>,
    x1: &mut Poly<P::M, N>,
) -> Result<(), RelationError> {
    derive_witness::<P, N, K>(stmt, s, x2, scratch, e_s, x1);
    let checks = [
        (
            x2.norm_sq_centered() <= bounds.x2_sq,
            RelationError::HighDigit,
        ),
        (s.norm_sq_centered() <= bounds.s_sq, RelationError::KeyParts),
        (
            e_s.norm_sq_centered() <= bounds.e_sq,
            RelationError::KeyError,
        ),
        (
            x1.norm_sq_centered() <= bounds.x1_sq,
            RelationError::LowDigit,
        ),
    ];
    for (ok, err) in checks {
        if !crate::ct::declassify_bool(ok) {
            return Err(err);
        }
    }
    Ok(())
}
