//! The proof ring R_d = Z_q[Y]/(Y^128+1) inside R_N = Z_q[X]/(X^N+1) via Y = X^(N/128) (ZK-BRIEF §1,
//! "Mapping to the proof ring"), the coefficient permutation ψ: R_N → R_d^(N/128) and the automorphism
//! σ: X → X^(−1) used for inner products (Σ f_i g_i is the constant coefficient of σ(f)·g).
//!
//! Multiplication in R_d is [`super::poly::mul`] (or the explicit-K `NttPoly` functions) at N = 128:
//! the auxiliary primes are ≡ 1 (mod 256), so the same RNS NTT serves length 128.

use super::poly::Poly;
use crate::arith::Modulus;

/// Degree d of the proof ring.
pub const D: usize = crate::params::PROOF_RING_DEGREE;

/// An element of the proof ring R_d = Z_q[Y]/(Y^128+1).
pub type ProofPoly<M> = Poly<M, D>;

/// ψ(a) = (a_0, …, a_{k−1}) with a(X) = Σ_{i<k} X^i·a_i(X^k), k = N/128 = `B`: block i takes the
/// coefficients i, i+k, i+2k, … . A pure permutation, so it preserves ℓ2 norms and inner products.
pub fn split<M: Modulus, const N: usize, const B: usize>(
    a: &Poly<M, N>,
    out: &mut [ProofPoly<M>; B],
) {
    const { assert!(B * D == N, "B must be N/128") };
    for (i, block) in out.iter_mut().enumerate() {
        for (l, c) in block.coeffs.iter_mut().enumerate() {
            *c = a.coeffs[i + B * l];
        }
    }
}

/// ψ^(−1): a(X) = Σ_{i<k} X^i·a_i(X^k).
pub fn merge<M: Modulus, const N: usize, const B: usize>(
    blocks: &[ProofPoly<M>; B],
    out: &mut Poly<M, N>,
) {
    const { assert!(B * D == N, "B must be N/128") };
    for (i, block) in blocks.iter().enumerate() {
        for (l, c) in block.coeffs.iter().enumerate() {
            out.coeffs[i + B * l] = *c;
        }
    }
}

/// σ(a)(X) = a(X^(−1)) = a_0 − Σ_{i>0} a_i·X^(N−i) in Z_q[X]/(X^N+1) (any N, including the proof ring).
pub fn automorphism_inv<M: Modulus, const N: usize>(a: &Poly<M, N>, out: &mut Poly<M, N>) {
    out.coeffs[0] = a.coeffs[0];
    for i in 1..N {
        out.coeffs[N - i] = M::neg(a.coeffs[i]);
    }
}
