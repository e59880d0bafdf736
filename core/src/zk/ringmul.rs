//! The BFV ring seen from the proof ring (docs/PROTOCOL.md §1):
//! ψ splits a ∈ R_N into k = N/d blocks a_i with a(X) = Σ_{i<k} X^i·a_i(X^k), and products by public
//! BFV polynomials are taken in R_N and then mapped by ψ (the block matrix M_b is never built).

use super::rq::{D, Rq};
use crate::arith::Modulus;
use crate::arith::ntt;
use crate::arith::primes::NTT_PRIMES;
use crate::arith::rns::{lift_centered, lift_i64, primes_needed, q_montgomery, reconstruct};
use zeroize::Zeroize;

/// k = N/D, the proof-ring blocks of a degree-N polynomial (public sizes; D divides N).
#[must_use]
#[allow(clippy::integer_division_remainder_used, reason = "public sizes")]
pub const fn blocks<const N: usize>() -> usize {
    N / D
}

/// Block `i` of ψ(a): coefficient t of the block is a[i + t·k].
pub fn psi_block<M: Modulus, const N: usize>(a: &[M::Coeff; N], i: usize) -> Rq<M> {
    let k = blocks::<N>();
    let mut r = Rq::<M>::zero();
    for (t, o) in r.0.iter_mut().enumerate() {
        *o = a[i + t * k];
    }
    r
}

/// Block `i` of ψ(x) for a signed vector (i64, or i32 where the prover keeps short values narrow).
pub fn psi_block_i64<const N: usize>(x: &[impl Copy + Into<i64>; N], i: usize, out: &mut [i64; D]) {
    let k = blocks::<N>();
    for (t, o) in out.iter_mut().enumerate() {
        *o = x[i + t * k].into();
    }
}

/// [`psi_inv_block_i64`] into an i32 vector (the caller's values are below 2^31 in magnitude: masks
/// below the sampler's tail cut).
pub fn psi_inv_block_i32<const N: usize>(blk: &[i64; D], i: usize, x: &mut [i32; N]) {
    let k = blocks::<N>();
    for (t, &v) in blk.iter().enumerate() {
        x[i + t * k] = crate::arith::cast::low_i32(v); // |v| < 2^31 (the caller's bound), no branch
    }
}

/// Writes block `i` back: x[i + t·k] = blk[t] (ψ⁻¹, one block at a time).
pub fn psi_inv_block_i64<const N: usize>(blk: &[i64; D], i: usize, x: &mut [i64; N]) {
    let k = blocks::<N>();
    for (t, &v) in blk.iter().enumerate() {
        x[i + t * k] = v;
    }
}

/// Bits of the short operand of [`mul_public_short`]: |x_i| < 2^30. The verifier calls it on z_u, decoded
/// from w_s-bit fields (|z| ≤ 2^(w_s−1) − 1), so w_s − 1 ≤ SHORT_BITS must hold for every set, or V6/V7 would
/// stop being exact: asserted at compile time below for the norm proof's sets, and by
/// `threshold::share_proof_params` for the share proof (w_s = 29 at the design point, 31 for 4-of-7,
/// docs/THRESHOLD.md §6.3). 30 rather than 24 needs no more auxiliary primes for sets S and L (asserted
/// below), so their products are unchanged.
pub const SHORT_BITS: u32 = 30;
const _: () = assert!(
    super::params::ZK_S.ws - 1 <= SHORT_BITS && super::params::ZK_L.ws - 1 <= SHORT_BITS,
    "mul_public_short is exact only for responses below 2^SHORT_BITS"
);

/// Most auxiliary primes any parameter set needs for public × short (5 at N = 4096, q < 2^86).
const MAX_K: usize = 5;

const _: () = assert!(
    primes_public_short::<crate::arith::modulus::Q44, 2048>() == 3
        && primes_public_short::<crate::arith::modulus::Q86, 4096>() == 5,
    "the short operand's width must not add primes (stack) for sets S and L"
);

/// Auxiliary primes for an exact product of a centred element of Z_q (|a| < 2^(BITS−1)) by a short
/// vector in Z[X]/(X^N+1): P_K > 2·N·2^(BITS−1)·2^SHORT_BITS (3 at N = 2048 q44, 5 at N = 4096 q86).
const fn primes_public_short<M: Modulus, const N: usize>() -> usize {
    primes_needed(N, M::BITS - 1, SHORT_BITS, 1)
}

/// out = a·x in R_N = Z_q[X]/(X^N+1), for a public a (residues) and a short signed x with |x_i| < 2^30.
/// The exact integer product of the centred lift of a by x is computed by RNS-NTT (docs/BFV.md;
/// `ring::poly`) over K primes with P_K above twice its largest
/// coefficient, then reduced mod q: bit-identical to the schoolbook product, O(K·N log N) instead of
/// O(N²). Constant time in x (fixed transforms, no data-dependent branch or index). One residue table
/// (K·N words) and one row live on the stack: ≤ 96 KiB at N = 4096.
pub fn mul_public_short<M: Modulus, const N: usize>(
    a: &[M::Coeff; N],
    x: &[i64; N],
    out: &mut [M::Coeff; N],
) {
    *out = *a;
    mul_public_short_in_place::<M, N, i64>(out, x);
}

/// a ← a·x, [`mul_public_short`] without a separate output (a is read for every prime before the
/// product is written back): one N-sized buffer less on the caller's stack (docs/FIRMWARE.md).
pub fn mul_public_short_in_place<M: Modulus, const N: usize, T: Copy + Into<i64>>(
    a: &mut [M::Coeff; N],
    x: &[T; N],
) {
    const { assert!(primes_public_short::<M, N>() <= MAX_K) };
    // The residue table holds exactly the primes this (M, N) needs (3 rows for set S, not MAX_K).
    match const { primes_public_short::<M, N>() } {
        1 => mul_in_place_k::<M, N, T, 1>(a, x),
        2 => mul_in_place_k::<M, N, T, 2>(a, x),
        3 => mul_in_place_k::<M, N, T, 3>(a, x),
        4 => mul_in_place_k::<M, N, T, 4>(a, x),
        _ => mul_in_place_k::<M, N, T, MAX_K>(a, x),
    }
}

/// [`mul_public_short_in_place`] over K primes.
fn mul_in_place_k<M: Modulus, const N: usize, T: Copy + Into<i64>, const K: usize>(
    a: &mut [M::Coeff; N],
    x: &[T; N],
) {
    let mut res = [[0u32; N]; K];
    let mut row = [0u32; N];
    for (j, rj) in res.iter_mut().enumerate() {
        let pr = &NTT_PRIMES[j];
        let qm = q_montgomery::<M>(pr);
        for (r, &c) in row.iter_mut().zip(a.iter()) {
            *r = lift_centered::<M>(c, qm, pr);
        }
        ntt::forward(&mut row, pr);
        for (r, &v) in rj.iter_mut().zip(x.iter()) {
            *r = lift_i64(v.into(), pr);
        }
        ntt::forward(rj, pr);
        for (r, &y) in rj.iter_mut().zip(row.iter()) {
            *r = pr.mont_mul(*r, y);
        }
        ntt::inverse_from_montgomery(rj, pr);
    }
    for (i, o) in a.iter_mut().enumerate() {
        let r: [u32; K] = core::array::from_fn(|j| res[j][i]);
        *o = reconstruct::<M, K>(&r);
    }
    res.zeroize();
    row.zeroize();
}

/// The former schoolbook product, kept as the reference the NTT product is checked against.
#[cfg(test)]
pub fn mul_public_short_schoolbook<M: Modulus, const N: usize>(
    a: &[M::Coeff; N],
    x: &[i64; N],
    out: &mut [M::Coeff; N],
) {
    let mut pos = [0u128; N];
    let mut neg = [0u128; N];
    for j in 0..N {
        let xj = x[j];
        let sign = u128::from((xj >> 63) as u64) & 1;
        let mag = u128::from(xj.unsigned_abs());
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

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::arith::{Q44, Q86};
    use proptest::prelude::*;
    use std::boxed::Box;
    use std::vec::Vec;

    /// Compares the NTT product with the schoolbook one at full size, on inputs spread over the whole
    /// range: a uniform mod q (plus the extremes 0, (q−1)/2, (q+1)/2, q−1), x up to ±(2^24 − 1).
    fn check<M: Modulus, const N: usize>(seed: &[u64], xs: &[i64]) {
        let q = M::Q;
        let mut a = Box::new([M::zero(); N]);
        let mut st = seed[0] | 1;
        for (i, c) in a.iter_mut().enumerate() {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            let v = match i % 97 {
                0 => 0,
                1 => (q - 1) / 2,
                2 => q.div_ceil(2),
                3 => q - 1,
                _ => {
                    ((u128::from(st) << 64) | u128::from(st.rotate_left(29) ^ seed[i % seed.len()]))
                        % q
                }
            };
            *c = M::from_u128(v);
        }
        let x: Box<[i64; N]> = Box::new(core::array::from_fn(|i| xs[i % xs.len()]));
        let mut want = Box::new([M::zero(); N]);
        let mut got = Box::new([M::zero(); N]);
        mul_public_short_schoolbook::<M, N>(&a, &x, &mut want);
        mul_public_short::<M, N>(&a, &x, &mut got);
        let w: Vec<u128> = want.iter().map(|&c| M::to_u128(c)).collect();
        let g: Vec<u128> = got.iter().map(|&c| M::to_u128(c)).collect();
        assert_eq!(w, g);
    }

    const XMAX: i64 = (1 << 24) - 1;

    #[test]
    fn extreme_operands_match_schoolbook() {
        check::<Q44, 2048>(&[7], &[XMAX, -XMAX]);
        check::<Q44, 2048>(&[9], &[-XMAX]);
        check::<Q86, 4096>(&[11], &[XMAX, -XMAX, XMAX]);
        check::<Q86, 4096>(&[13], &[XMAX]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4))]
        #[test]
        fn ntt_matches_schoolbook_q44(seed in proptest::collection::vec(any::<u64>(), 1..8),
                                      xs in proptest::collection::vec(-XMAX..=XMAX, 1..300)) {
            check::<Q44, 2048>(&seed, &xs);
        }

        #[test]
        fn ntt_matches_schoolbook_q86(seed in proptest::collection::vec(any::<u64>(), 1..8),
                                      xs in proptest::collection::vec(-XMAX..=XMAX, 1..300)) {
            check::<Q86, 4096>(&seed, &xs);
        }
    }
}
