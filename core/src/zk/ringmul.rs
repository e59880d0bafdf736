//! The BFV ring seen from the proof ring (docs/PROTOCOL.md §1, ZK-BRIEF §1 "Mapping to the proof ring"):
//! ψ splits a ∈ R_N into k = N/d blocks a_i with a(X) = Σ_{i<k} X^i·a_i(X^k), and products by public
//! BFV polynomials are taken in R_N and then mapped by ψ (the block matrix M_b is never built).
// Index loops walk several parallel arrays (coefficients, blocks, rows) in lockstep.
#![allow(clippy::needless_range_loop)]

use super::rq::{D, Rq};
use crate::arith::Modulus;

/// Block `i` of ψ(a): coefficient t of the block is a[i + t·k].
pub fn psi_block<M: Modulus, const N: usize>(a: &[M::Coeff; N], i: usize) -> Rq<M> {
    let k = N / D;
    let mut r = Rq::<M>::zero();
    for (t, o) in r.0.iter_mut().enumerate() {
        *o = a[i + t * k];
    }
    r
}

/// Block `i` of ψ(x) for a signed vector.
pub fn psi_block_i64<const N: usize>(x: &[i64; N], i: usize, out: &mut [i64; D]) {
    let k = N / D;
    for (t, o) in out.iter_mut().enumerate() {
        *o = x[i + t * k];
    }
}

/// Writes block `i` back: x[i + t·k] = blk[t] (ψ⁻¹, one block at a time).
pub fn psi_inv_block_i64<const N: usize>(blk: &[i64; D], i: usize, x: &mut [i64; N]) {
    let k = N / D;
    for (t, &v) in blk.iter().enumerate() {
        x[i + t * k] = v;
    }
}

/// out = a·x in R_N = Z_q[X]/(X^N+1), for a public a (residues) and a short signed x with |x_i| < 2^24.
/// Partial sums are kept in two u128 accumulators (positive and negative wraps) and reduced once:
/// N·q·2^24 < 2^127 for both sets. Constant time in x (fixed loops, multiplications only).
pub fn mul_public_short<M: Modulus, const N: usize>(
    a: &[M::Coeff; N],
    x: &[i64; N],
    out: &mut [M::Coeff; N],
) {
    let mut pos = [0u128; N];
    let mut neg = [0u128; N];
    // x_j = xp_j − xn_j with xp, xn ≥ 0 selected without branches.
    for j in 0..N {
        let xj = x[j];
        let sign = (xj >> 63) as u64 as u128 & 1; // 1 if negative
        let mag = xj.unsigned_abs() as u128;
        let xp = mag * (1 - sign);
        let xn = mag * sign;
        for i in 0..N - j {
            let ai = M::to_u128(a[i]);
            pos[i + j] += ai * xp;
            neg[i + j] += ai * xn;
        }
        for i in N - j..N {
            let ai = M::to_u128(a[i]);
            neg[i + j - N] += ai * xp;
            pos[i + j - N] += ai * xn;
        }
    }
    for t in 0..N {
        out[t] = M::sub(M::from_u128(pos[t]), M::from_u128(neg[t]));
    }
}
