//! The proof ring R_d = Z_q[Y]/(Y^128+1) inside R_N = Z_q[X]/(X^N+1) via Y = X^(N/128) (docs/PROTOCOL.md,
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

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::arith::Q44;
    use crate::ring::poly::mul;
    use crate::ring::sample::{Xof, uniform};
    use std::boxed::Box;

    #[test]
    fn split_merge_round_trip_and_blockwise_product() {
        let mut a = Box::new(Poly::<Q44, 2048>::zero());
        uniform(&mut Xof::new(&[1; 32], b"a", 0), &mut a);
        let mut blocks: Box<[ProofPoly<Q44>; 16]> =
            Box::new(core::array::from_fn(|_| Poly::zero()));
        split(&a, &mut blocks);
        let mut back = Box::new(Poly::<Q44, 2048>::zero());
        merge(&blocks, &mut back);
        assert_eq!(back, a);
        assert_eq!(blocks[3].coeffs[5], a.coeffs[3 + 16 * 5]);

        // Multiplying by an element of the subring (b(X) = b'(X^16)) acts blockwise: ψ(a·b) = (a_i·b').
        let mut bd = ProofPoly::<Q44>::zero();
        uniform(&mut Xof::new(&[2; 32], b"b", 0), &mut bd);
        let mut blocks_b: Box<[ProofPoly<Q44>; 16]> =
            Box::new(core::array::from_fn(|_| Poly::zero()));
        blocks_b[0] = bd.clone();
        let mut b = Box::new(Poly::<Q44, 2048>::zero());
        merge(&blocks_b, &mut b);
        let mut ab = Box::new(Poly::<Q44, 2048>::zero());
        mul::<Q44, 2048, 4>(&a, &b, &mut ab);
        let mut ab_blocks: Box<[ProofPoly<Q44>; 16]> =
            Box::new(core::array::from_fn(|_| Poly::zero()));
        split(&ab, &mut ab_blocks);
        for i in 0..16 {
            let mut want = ProofPoly::<Q44>::zero();
            mul::<Q44, 128, 4>(&blocks[i], &bd, &mut want);
            assert_eq!(ab_blocks[i], want);
        }
    }

    #[test]
    fn sigma_gives_inner_products_and_is_an_involution() {
        let mut f = ProofPoly::<Q44>::zero();
        let mut g = ProofPoly::<Q44>::zero();
        uniform(&mut Xof::new(&[3; 32], b"f", 0), &mut f);
        uniform(&mut Xof::new(&[3; 32], b"g", 0), &mut g);
        let mut sf = ProofPoly::<Q44>::zero();
        automorphism_inv(&f, &mut sf);
        let mut prod = ProofPoly::<Q44>::zero();
        mul::<Q44, 128, 4>(&sf, &g, &mut prod);
        let ip = f
            .coeffs
            .iter()
            .zip(g.coeffs.iter())
            .fold(0u64, |acc, (&x, &y)| Q44::add(acc, Q44::mul(x, y)));
        assert_eq!(prod.coeffs[0], ip);
        let mut ssf = ProofPoly::<Q44>::zero();
        automorphism_inv(&sf, &mut ssf);
        assert_eq!(ssf, f);
    }
}
