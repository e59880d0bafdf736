//! Residue-number-system reconstruction: from the residues of an integer z modulo the first K auxiliary
//! primes back to z mod q, exactly (docs/BFV.md).
//!
//! An exact product in Z[X]/(X^N+1) of two polynomials with centred coefficients has coefficients
//! |z| ≤ terms·N·max|a_i|·max|b_i|. The K primes recover z exactly iff their product P > 2·max|z|
//! (`primes_needed` computes K). Uses in this crate:
//! - uniform × ternary (BFV a·u, b_j·u, c1·s): N = 2048, |a| < 2^43: |z| < 2^54, K = 2; N = 4096,
//!   |a| < 2^85: |z| < 2^97, K = 4.
//! - uniform × uniform (general `ring::mul`): N = 2048, q ≈ 2^44: |z| < 2^97, K = 4; N = 4096,
//!   q ≈ 2^86: |z| < 2^182, K = 7. The proof ring (N = 128) needs K = 4 at q44 and K = 6 at q86 for uniform × uniform; uniform ×
//!   Gaussian(σ ≤ 2^26, tail 2^30) at N = 128, q44 needs K = 3.
//!
//! Reconstruction is Garner's mixed-radix algorithm made sign-free: we add H = (P−1)/2 to the residues,
//! so Y = z + H lies in [0, P) and no comparison with P/2 is needed; H's mixed-radix digits are
//! (p_i − 1)/2. Then z mod q = (Σ v_i·Π_{j<i} p_j − H) mod q by Horner's rule with 30-bit multipliers,
//! every step a constant-time reduction.
// Division lint (lib.rs): the divisions build compile-time constants from the public primes and q.
#![allow(clippy::integer_division_remainder_used)]

use super::cast::{fit_u32, low_u32, low_u64};
use super::modulus::Modulus;
use super::primes::{NTT_PRIMES, NttPrime, PRIME_COUNT, PRIMES, shoup};

/// ⌊1000·log2 p⌋ lower bound for every auxiliary prime (each p > 2^29.999).
const MILLIBITS_PER_PRIME: u64 = 29_999;

/// Number of auxiliary primes needed to multiply exactly, accumulating `terms` products, in
/// Z[X]/(X^n+1), operands with |a_i| < 2^a_bits and |b_i| < 2^b_bits: the smallest K with
/// P_K > 2·terms·n·2^(a_bits+b_bits). Panics (at compile time when used in `const`) above 10 primes.
#[must_use]
pub const fn primes_needed(n: usize, a_bits: u32, b_bits: u32, terms: usize) -> usize {
    let need_bits = 1 + ceil_log2(n as u64) + ceil_log2(terms as u64) + a_bits + b_bits;
    let mut k = 1;
    while (k as u64) * MILLIBITS_PER_PRIME < need_bits as u64 * 1000 {
        k += 1;
    }
    assert!(k <= PRIME_COUNT, "more than 10 auxiliary primes needed");
    k
}

/// Primes needed for a general product of two elements of Z_q[X]/(X^n+1) with q < 2^bits (centred
/// coefficients below 2^(bits−1)).
#[must_use]
pub const fn primes_for_uniform(n: usize, bits: u32) -> usize {
    primes_needed(n, bits - 1, bits - 1, 1)
}

const fn ceil_log2(x: u64) -> u32 {
    if x <= 1 {
        0
    } else {
        64 - (x - 1).leading_zeros()
    }
}

/// Garner constants: `INV[i][j]` = p_j^(−1) mod p_i (j < i) with Shoup companions `INV_SHOUP`.
static INV: [[u32; PRIME_COUNT]; PRIME_COUNT] = garner_inverses().0;
static INV_SHOUP: [[u32; PRIME_COUNT]; PRIME_COUNT] = garner_inverses().1;
/// `HALF[k][i]` = H_k mod p_i with H_k = (P_k − 1)/2 and P_k the product of the first k primes.
static HALF: [[u32; PRIME_COUNT]; PRIME_COUNT + 1] = half_residues();

const fn garner_inverses() -> (
    [[u32; PRIME_COUNT]; PRIME_COUNT],
    [[u32; PRIME_COUNT]; PRIME_COUNT],
) {
    let mut inv = [[0u32; PRIME_COUNT]; PRIME_COUNT];
    let mut sh = [[0u32; PRIME_COUNT]; PRIME_COUNT];
    let mut i = 0;
    while i < PRIME_COUNT {
        let mut j = 0;
        while j < i {
            let pi = PRIMES[i] as u64;
            let x = fit_u32(super::primes::pow_mod(PRIMES[j] as u64 % pi, pi - 2, pi));
            inv[i][j] = x;
            sh[i][j] = shoup(x, PRIMES[i]);
            j += 1;
        }
        i += 1;
    }
    (inv, sh)
}

const fn half_residues() -> [[u32; PRIME_COUNT]; PRIME_COUNT + 1] {
    let mut out = [[0u32; PRIME_COUNT]; PRIME_COUNT + 1];
    let mut k = 1;
    while k <= PRIME_COUNT {
        let mut i = 0;
        while i < k {
            let m = PRIMES[i] as u64;
            // Horner over the mixed-radix digits h_j = (p_j − 1)/2, top digit first.
            let mut acc = 0u64;
            let mut j = k;
            while j > 0 {
                j -= 1;
                acc = (acc * (PRIMES[j] as u64 % m) + (PRIMES[j] as u64 - 1) / 2) % m;
            }
            out[k][i] = fit_u32(acc);
            i += 1;
        }
        k += 1;
    }
    out
}

/// H_k = (P_k − 1)/2 exactly, for k ≤ 4 (P_4 < 2^120); 0 for larger k (not used there).
const fn half_exact(k: usize) -> u128 {
    if k > 4 {
        return 0;
    }
    let mut acc = 0u128;
    let mut j = k;
    while j > 0 {
        j -= 1;
        acc = acc * PRIMES[j] as u128 + (PRIMES[j] as u128 - 1) / 2;
    }
    acc
}

/// H_k mod q with H_k = (P_k − 1)/2 (compile-time helper, public data).
#[must_use]
pub const fn half_mod_q(q: u128, k: usize) -> u128 {
    let mut acc = 0u128;
    let mut j = k;
    while j > 0 {
        j -= 1;
        acc = (acc * PRIMES[j] as u128 + (PRIMES[j] as u128 - 1) / 2) % q;
    }
    acc
}

/// The exact integer z with the given residues modulo the first K primes (|z| ≤ (P_K − 1)/2), reduced
/// mod q. Residues must be in [0, p_i). Constant time.
#[inline]
#[must_use]
pub fn reconstruct<M: Modulus, const K: usize>(res: &[u32; K]) -> M::Coeff {
    let v = garner_digits::<K>(res);
    if K <= 2 {
        // P_2 < 2^60: z = Y − H fits an i64 and needs a single signed reduction.
        let y = if K == 2 {
            u64::from(v[0]) + u64::from(v[K - 1]) * u64::from(PRIMES[0])
        } else {
            u64::from(v[0])
        };
        // Here H < P_2/2 < 2^59 and Y < P_2 < 2^60 (the const block is evaluated for every K, hence the
        // low limb rather than a checked narrowing; it is exact where it is used).
        let half = const { low_u64(half_exact(K)) }.cast_signed();
        return M::from_i64(y.cast_signed() - half);
    }
    let acc = if K <= 4 {
        // P_4 < 2^120: Y = z + H is computed exactly in u128, then reduced once.
        let mut y = u128::from(v[K - 1]);
        for i in (0..K - 1).rev() {
            y = y * u128::from(PRIMES[i]) + u128::from(v[i]);
        }
        M::from_u128(y)
    } else {
        // Horner mod q: acc < q < 2^86 times p < 2^30 stays below 2^116.
        let mut acc = M::from_u128(u128::from(v[K - 1]));
        for i in (0..K - 1).rev() {
            acc = M::from_u128(M::to_u128(acc) * u128::from(PRIMES[i]) + u128::from(v[i]));
        }
        acc
    };
    M::sub(acc, M::from_u128(const { half_mod_q(M::Q, K) }))
}

/// Mixed-radix digits v_i of Y = z + H (Y = Σ v_i·Π_{j<i} p_j, 0 ≤ v_i < p_i) by Garner's algorithm.
#[inline(always)]
fn garner_digits<const K: usize>(res: &[u32; K]) -> [u32; K] {
    let mut v = [0u32; K];
    for i in 0..K {
        let pr = &NTT_PRIMES[i];
        let mut t = pr.add(res[i], HALF[K][i]);
        for (j, &vj) in v.iter().enumerate().take(i) {
            let vj = pr.csub(vj); // v_j < p_j < 2·p_i
            let d = t + pr.p - vj;
            t = pr.csub(pr.shoup_mul_lazy(d, INV[i][j], INV_SHOUP[i][j]));
        }
        v[i] = t;
    }
    v
}

/// The residue of the centred representative of `a` ∈ Z_q modulo `pr.p`, in Montgomery form
/// (centred(a)·2^32 mod p), constant time: limbwise lifting of the canonical value, then subtraction
/// of q·2^32 mod p selected by mask when a > (q−1)/2.
#[inline]
pub fn lift_centered<M: Modulus>(a: M::Coeff, q_mont: u32, pr: &NttPrime) -> u32 {
    let v = M::to_u128(a);
    let r = lift_unsigned(v, M::BITS, pr);
    let neg = (((M::Q - 1) / 2).wrapping_sub(v) >> 127) as u32;
    pr.sub(r, q_mont & 0u32.wrapping_sub(neg))
}

/// q·2^32 mod p: the Montgomery-form residue of q, passed to [`lift_centered`].
#[must_use]
pub fn q_montgomery<M: Modulus>(pr: &NttPrime) -> u32 {
    lift_unsigned(M::Q, M::BITS, pr)
}

/// v·2^32 mod p for v < 2^bits, limb by limb: Σ_i mont(l_i, R^(i+2)) = Σ_i l_i·2^(32i)·R.
#[inline(always)]
fn lift_unsigned(v: u128, bits: u32, pr: &NttPrime) -> u32 {
    let limbs = bits.div_ceil(32) as usize;
    let mut r = 0u32;
    for i in 0..limbs {
        let l = low_u32(low_u64(v >> (32 * i)));
        r = pr.add(r, pr.mont_mul(l, pr.r_pows[i]));
    }
    r
}

/// The residue of a signed integer modulo `pr.p` in Montgomery form (x·2^32 mod p), constant time.
#[inline]
#[must_use]
pub fn lift_i64(x: i64, pr: &NttPrime) -> u32 {
    let sign = (x >> 63).cast_unsigned(); // all ones if negative
    let abs = (x.cast_unsigned() ^ sign).wrapping_sub(sign);
    let r = lift_unsigned(u128::from(abs), 64, pr);
    // p − r for negative x (and 0 stays 0 after the conditional subtraction).
    let neg = pr.csub(pr.p - r);
    r ^ ((r ^ neg) & low_u32(sign))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::modulus::{Q44, Q86};
    use num_bigint::BigInt;
    use proptest::prelude::*;

    fn residues_of<const K: usize>(z: &BigInt) -> [u32; K] {
        core::array::from_fn(|i| {
            let p = BigInt::from(PRIMES[i]);
            let r = ((z % &p) + &p) % &p;
            u32::try_from(r).unwrap()
        })
    }

    fn mod_q(z: &BigInt, q: u128) -> u128 {
        let q = BigInt::from(q);
        u128::try_from(((z % &q) + &q) % &q).unwrap()
    }

    fn check<M: Modulus, const K: usize>(z: &BigInt) {
        let r = residues_of::<K>(z);
        assert_eq!(
            M::to_u128(reconstruct::<M, K>(&r)),
            mod_q(z, M::Q),
            "z = {z}, K = {K}"
        );
    }

    fn half(k: usize) -> BigInt {
        let p: BigInt = PRIMES[..k].iter().map(|&p| BigInt::from(p)).product();
        (p - 1) / 2
    }

    #[test]
    fn prime_counts_documented() {
        assert_eq!(primes_needed(2048, 43, 0, 1), 2);
        assert_eq!(primes_needed(4096, 85, 0, 1), 4);
        assert_eq!(primes_for_uniform(2048, 44), 4);
        assert_eq!(primes_for_uniform(4096, 86), 7);
        assert_eq!(primes_for_uniform(128, 44), 4);
        assert_eq!(primes_for_uniform(128, 86), 6);
        assert_eq!(primes_needed(128, 43, 30, 1), 3);
        // The chosen K really covers the bound: P_K > 2·N·(q/2)^2.
        for (n, q, k) in [(2048usize, Q44::Q, 4usize), (4096, Q86::Q, 7)] {
            let bound = BigInt::from(n) * (BigInt::from(q) / 2) * (BigInt::from(q) / 2);
            assert!(half(k) >= bound);
            assert!(half(k - 1) < bound, "K is not minimal");
        }
    }

    #[test]
    fn reconstruct_edges() {
        for k in 1..=PRIME_COUNT {
            let h = half(k);
            for z in [
                BigInt::from(0),
                BigInt::from(1),
                BigInt::from(-1),
                h.clone(),
                -h.clone(),
            ] {
                match k {
                    1 => (check::<Q44, 1>(&z), check::<Q86, 1>(&z)),
                    2 => (check::<Q44, 2>(&z), check::<Q86, 2>(&z)),
                    3 => (check::<Q44, 3>(&z), check::<Q86, 3>(&z)),
                    4 => (check::<Q44, 4>(&z), check::<Q86, 4>(&z)),
                    5 => (check::<Q44, 5>(&z), check::<Q86, 5>(&z)),
                    6 => (check::<Q44, 6>(&z), check::<Q86, 6>(&z)),
                    7 => (check::<Q44, 7>(&z), check::<Q86, 7>(&z)),
                    8 => (check::<Q44, 8>(&z), check::<Q86, 8>(&z)),
                    9 => (check::<Q44, 9>(&z), check::<Q86, 9>(&z)),
                    _ => (check::<Q44, 10>(&z), check::<Q86, 10>(&z)),
                };
            }
        }
    }

    #[test]
    fn lifting_matches_centred_value() {
        for pr in &NTT_PRIMES[..3] {
            let p = i128::from(pr.p);
            let r = (1i128 << 32) % p;
            let qm44 = q_montgomery::<Q44>(pr);
            let qm86 = q_montgomery::<Q86>(pr);
            for a in [
                0u128,
                1,
                2,
                (Q44::Q - 1) / 2,
                Q44::Q.div_ceil(2),
                Q44::Q - 1,
                12345678901,
            ] {
                let c = Q44::to_centered(a as u64);
                let want = (c.rem_euclid(p) * r % p) as u32;
                assert_eq!(lift_centered::<Q44>(a as u64, qm44, pr), want);
            }
            for a in [
                0u128,
                1,
                (Q86::Q - 1) / 2,
                Q86::Q.div_ceil(2),
                Q86::Q - 1,
                1 << 85,
            ] {
                let c = Q86::to_centered(a);
                let want = (c.rem_euclid(p) * r % p) as u32;
                assert_eq!(lift_centered::<Q86>(a, qm86, pr), want);
            }
            for x in [0i64, 1, -1, i64::MIN, i64::MAX, -(1 << 40)] {
                let want = (i128::from(x).rem_euclid(p) * r % p) as u32;
                assert_eq!(lift_i64(x, pr), want);
            }
        }
    }

    proptest! {
        #[test]
        fn reconstruct_random_k4(lo in any::<u128>(), neg in any::<bool>()) {
            let z = BigInt::from(lo) % half(4);
            let z = if neg { -z } else { z };
            check::<Q44, 4>(&z);
            check::<Q86, 4>(&z);
        }

        #[test]
        fn reconstruct_random_k7(a in any::<u128>(), b in any::<u128>(), neg in any::<bool>()) {
            let z = ((BigInt::from(a) << 128usize) + BigInt::from(b)) % half(7);
            let z = if neg { -z } else { z };
            check::<Q44, 7>(&z);
            check::<Q86, 7>(&z);
        }
    }
}
