//! The scalar interface to Z_q. Every function is constant time: no branch, division or table lookup that
//! depends on the operand values.

use core::fmt::Debug;
use subtle::{ConditionallySelectable, ConstantTimeEq};

use super::cast::low_u64;
use super::ct::{mask_top_u64, mask_top_u128};
use zeroize::Zeroize;

/// The low 64-bit limb of a u128 as a mask (`mul_wide`'s limb split).
const LOW_64: u128 = (1 << 64) - 1;

/// A prime modulus q = 2^BITS − C with q ≡ 5 (mod 8), so X^d + 1 splits into exactly two irreducible
/// factors mod q for every power-of-two d ≥ 4 and short challenge differences are invertible
/// (Lyubashevsky–Seiler, EUROCRYPT 2018). Implemented by `Q44` (set S) and `Q86` (set L).
pub trait Modulus: Copy + Default + Debug + Send + Sync + 'static {
    /// Storage of one residue in [0, q): `u64` when q < 2^63, `u128` otherwise.
    type Coeff: Copy
        + Default
        + Debug
        + PartialEq
        + Eq
        + Send
        + Sync
        + Zeroize
        + ConditionallySelectable
        + ConstantTimeEq
        + 'static;
    /// q as a 128-bit integer.
    const Q: u128;
    /// k with q = 2^k − C.
    const BITS: u32;
    /// C with q = 2^k − C (small, so reduction folds the high part times C).
    const C: u128;
    /// Bytes of one canonical little-endian coefficient on the wire: ceil(BITS / 8).
    const BYTES: usize;
    /// Residue rows of an exact sum of products of proof-ring elements in RNS-NTT form
    /// (`zk::nttacc::NttR`): one row of 128 words per auxiliary prime, as many primes as this modulus
    /// needs (4 for q44, 7 for q86; asserted there). A type rather than a count so that the accumulators
    /// of set S do not carry set L's rows (docs/FIRMWARE.md: ≈ 40 % of the prover's NTT accumulators).
    type AccRows: Copy + AsRef<[[u32; 128]]> + AsMut<[[u32; 128]]> + Zeroize + Send + Sync + 'static;
    /// All-zero [`Self::AccRows`].
    const ACC_ZERO: Self::AccRows;

    /// 0 mod q.
    fn zero() -> Self::Coeff;
    /// a + b mod q.
    fn add(a: Self::Coeff, b: Self::Coeff) -> Self::Coeff;
    /// a − b mod q.
    fn sub(a: Self::Coeff, b: Self::Coeff) -> Self::Coeff;
    /// −a mod q.
    fn neg(a: Self::Coeff) -> Self::Coeff;
    /// a · b mod q.
    fn mul(a: Self::Coeff, b: Self::Coeff) -> Self::Coeff;
    /// The residue of a signed integer (any i64).
    fn from_i64(x: i64) -> Self::Coeff;
    /// The residue of an unsigned 128-bit integer (any u128), reduced in constant time.
    fn from_u128(x: u128) -> Self::Coeff;
    /// The canonical representative in [0, q).
    fn to_u128(a: Self::Coeff) -> u128;
    /// The centred representative in (−q/2, q/2].
    fn to_centered(a: Self::Coeff) -> i128;
}

/// q = 2^44 − 539, the modulus of parameter set S (N = 2048). Residues are `u64` in [0, q).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Q44;

impl Q44 {
    const K: u32 = 44;
    const CC: u64 = 539;
    const QQ: u64 = (1u64 << 44) - 539;
    const LOW: u64 = (1u64 << 44) - 1;

    /// x − q if x ≥ q, else x, for x < 2^63 (branch-free: the borrow of x − q selects).
    #[inline(always)]
    const fn csub(x: u64) -> u64 {
        let y = x.wrapping_sub(Self::QQ);
        y.wrapping_add(Self::QQ & mask_top_u64(y))
    }

    /// Reduces x < 2^97 with two pseudo-Mersenne folds x = hi·2^44 + lo ≡ hi·539 + lo (the first leaves
    /// < 2^63, the second < 2^44 + 2^29 < 2q), then one conditional subtraction.
    #[inline(always)]
    const fn reduce_u128_small(x: u128) -> u64 {
        let x1 = low_u64(x >> Self::K) * Self::CC + (low_u64(x) & Self::LOW);
        let x2 = (x1 >> Self::K) * Self::CC + (x1 & Self::LOW);
        Self::csub(x2)
    }
}

impl Modulus for Q44 {
    type Coeff = u64;
    const Q: u128 = Self::QQ as u128;
    const BITS: u32 = 44;
    const C: u128 = 539;
    const BYTES: usize = 6;
    type AccRows = [[u32; 128]; 4];
    const ACC_ZERO: [[u32; 128]; 4] = [[0; 128]; 4];

    #[inline(always)]
    fn zero() -> u64 {
        0
    }
    #[inline(always)]
    fn add(a: u64, b: u64) -> u64 {
        Self::csub(a + b)
    }
    #[inline(always)]
    fn sub(a: u64, b: u64) -> u64 {
        let y = a.wrapping_sub(b);
        y.wrapping_add(Self::QQ & mask_top_u64(y))
    }
    #[inline(always)]
    fn neg(a: u64) -> u64 {
        Self::sub(0, a)
    }
    #[inline(always)]
    fn mul(a: u64, b: u64) -> u64 {
        Self::reduce_u128_small(u128::from(a) * u128::from(b))
    }
    #[inline(always)]
    fn from_i64(x: i64) -> u64 {
        // Two's complement: x as u64 = x + 2^64·[x < 0]. Reduce that u64 with one fold (< 2^44 + 2^30)
        // and a conditional subtraction, then subtract 2^64 mod q when x was negative (mask).
        // 2^64 mod q is a compile-time constant of the public modulus.
        #[allow(clippy::integer_division_remainder_used)]
        const R64: u64 = low_u64((1u128 << 64) % Q44::QQ as u128);
        let u = x.cast_unsigned();
        let r = Self::csub((u >> Self::K) * Self::CC + (u & Self::LOW));
        Self::sub(r, R64 & mask_top_u64(u))
    }
    #[inline(always)]
    fn from_u128(x: u128) -> u64 {
        // One fold in u128 leaves x1 < 2^84·539 + 2^44 < 2^95, in range of the two-fold reduction.
        let x1 = (x >> Self::K) * u128::from(Self::CC) + (x & u128::from(Self::LOW));
        Self::reduce_u128_small(x1)
    }
    #[inline(always)]
    fn to_u128(a: u64) -> u128 {
        u128::from(a)
    }
    #[inline(always)]
    fn to_centered(a: u64) -> i128 {
        // a > (q−1)/2 ⇔ (q−1)/2 − a borrows.
        let m = mask_top_u64((Self::QQ >> 1).wrapping_sub(a)); // (q−1)/2 = q >> 1, q odd
        i128::from(a) - i128::from(Self::QQ & m)
    }
}

/// q = 2^86 − 35, the modulus of parameter set L (N = 4096). Residues are `u128` in [0, q).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Q86;

impl Q86 {
    const K: u32 = 86;
    const CC: u128 = 35;
    const QQ: u128 = (1u128 << 86) - 35;
    const LOW: u128 = (1u128 << 86) - 1;

    /// x − q if x ≥ q, else x, for x < 2^127 (branch-free).
    #[inline(always)]
    const fn csub(x: u128) -> u128 {
        let y = x.wrapping_sub(Self::QQ);
        y.wrapping_add(Self::QQ & mask_top_u128(y))
    }

    /// Reduces hi·2^86 + lo for hi < 2^86, lo < 2^86: the fold hi·35 + lo < 2^92, a second fold
    /// < 2^86 + 2^12 < 2q, then one conditional subtraction.
    #[inline(always)]
    const fn reduce_parts(hi: u128, lo: u128) -> u128 {
        let x1 = hi * Self::CC + lo;
        let x2 = (x1 >> Self::K) * Self::CC + (x1 & Self::LOW);
        Self::csub(x2)
    }

    /// The full product a·b < 2^172 as (low 128 bits, high bits), from 64-bit limbs (a, b < 2^86).
    #[inline(always)]
    const fn mul_wide(a: u128, b: u128) -> (u128, u128) {
        let (a0, a1) = (a & LOW_64, a >> 64);
        let (b0, b1) = (b & LOW_64, b >> 64);
        let low = a0 * b0; // < 2^128
        let mid = a0 * b1 + a1 * b0; // < 2^87
        let (low, carry) = low.overflowing_add(mid << 64);
        let high = (mid >> 64) + a1 * b1 + carry as u128; // < 2^45
        (low, high)
    }
}

impl Modulus for Q86 {
    type Coeff = u128;
    const Q: u128 = Self::QQ;
    const BITS: u32 = 86;
    const C: u128 = 35;
    const BYTES: usize = 11;
    type AccRows = [[u32; 128]; 7];
    const ACC_ZERO: [[u32; 128]; 7] = [[0; 128]; 7];

    #[inline(always)]
    fn zero() -> u128 {
        0
    }
    #[inline(always)]
    fn add(a: u128, b: u128) -> u128 {
        Self::csub(a + b)
    }
    #[inline(always)]
    fn sub(a: u128, b: u128) -> u128 {
        let y = a.wrapping_sub(b);
        y.wrapping_add(Self::QQ & mask_top_u128(y))
    }
    #[inline(always)]
    fn neg(a: u128) -> u128 {
        Self::sub(0, a)
    }
    #[inline(always)]
    fn mul(a: u128, b: u128) -> u128 {
        let (low, high) = Self::mul_wide(a, b);
        // x = high·2^128 + low = hi·2^86 + lo with hi = high·2^42 + (low >> 86) < 2^86.
        Self::reduce_parts((high << 42) | (low >> Self::K), low & Self::LOW)
    }
    #[inline(always)]
    fn from_i64(x: i64) -> u128 {
        // q > 2^63, so x + q is non-negative and < 2q.
        Self::csub((i128::from(x) + Self::QQ.cast_signed()).cast_unsigned())
    }
    #[inline(always)]
    fn from_u128(x: u128) -> u128 {
        Self::reduce_parts(x >> Self::K, x & Self::LOW)
    }
    #[inline(always)]
    fn to_u128(a: u128) -> u128 {
        a
    }
    #[inline(always)]
    fn to_centered(a: u128) -> i128 {
        let m = mask_top_u128((Self::QQ >> 1).wrapping_sub(a)); // (q−1)/2 = q >> 1, q odd
        a.cast_signed() - (Self::QQ & m).cast_signed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_bigint::BigUint;
    use proptest::prelude::*;

    fn big_mod(x: &BigUint, q: u128) -> u128 {
        u128::try_from(x % BigUint::from(q)).unwrap()
    }

    fn check_ops<M: Modulus>(a: u128, b: u128) {
        let (ca, cb) = (M::from_u128(a), M::from_u128(b));
        let (ra, rb) = (a % M::Q, b % M::Q);
        assert_eq!(M::to_u128(ca), ra);
        assert_eq!(M::to_u128(M::add(ca, cb)), (ra + rb) % M::Q);
        assert_eq!(M::to_u128(M::sub(ca, cb)), (ra + M::Q - rb) % M::Q);
        assert_eq!(M::to_u128(M::neg(ca)), (M::Q - ra) % M::Q);
        let prod = BigUint::from(ra) * BigUint::from(rb);
        assert_eq!(M::to_u128(M::mul(ca, cb)), big_mod(&prod, M::Q));
        let c = M::to_centered(ca);
        assert!(2 * c.unsigned_abs() < M::Q);
        assert_eq!(c.rem_euclid(M::Q as i128) as u128, ra);
    }

    fn edges<M: Modulus>() -> [u128; 12] {
        let q = M::Q;
        [
            0,
            1,
            2,
            q / 2,
            q / 2 + 1,
            q - 1,
            q,
            q + 1,
            2 * q - 1,
            1 << M::BITS,
            u128::MAX - 1,
            u128::MAX,
        ]
    }

    #[test]
    fn edge_values() {
        for a in edges::<Q44>() {
            for b in edges::<Q44>() {
                check_ops::<Q44>(a, b);
            }
        }
        for a in edges::<Q86>() {
            for b in edges::<Q86>() {
                check_ops::<Q86>(a, b);
            }
        }
        for x in [0i64, 1, -1, i64::MIN, i64::MAX, -(1 << 44), 1 << 44] {
            let want44 = i128::from(x).rem_euclid(Q44::Q as i128) as u128;
            assert_eq!(Q44::to_u128(Q44::from_i64(x)), want44);
            let want86 = i128::from(x).rem_euclid(Q86::Q as i128) as u128;
            assert_eq!(Q86::to_u128(Q86::from_i64(x)), want86);
        }
    }

    #[test]
    fn moduli_are_the_pinned_primes() {
        assert_eq!(Q44::Q, (1 << 44) - 539);
        assert_eq!(Q86::Q, (1 << 86) - 35);
        assert_eq!(Q44::Q % 8, 5);
        assert_eq!(Q86::Q % 8, 5);
        assert_eq!(Q44::BYTES, 6);
        assert_eq!(Q86::BYTES, 11);
        // (q−1)·(q−1) is the largest product: exercises both folds.
        let m = Q86::mul(Q86::Q - 1, Q86::Q - 1);
        assert_eq!(m, 1);
        assert_eq!(Q44::mul((Q44::Q - 1) as u64, (Q44::Q - 1) as u64), 1);
    }

    proptest! {
        #[test]
        fn q44_ops_match_bigint(a in any::<u128>(), b in any::<u128>()) {
            check_ops::<Q44>(a, b);
            check_ops::<Q44>(a % Q44::Q, b >> 84);
        }

        #[test]
        fn q86_ops_match_bigint(a in any::<u128>(), b in any::<u128>()) {
            check_ops::<Q86>(a, b);
            check_ops::<Q86>(a % Q86::Q, b >> 42);
        }

        #[test]
        fn from_i64_matches(x in any::<i64>()) {
            prop_assert_eq!(Q44::to_u128(Q44::from_i64(x)), i128::from(x).rem_euclid(Q44::Q as i128) as u128);
            prop_assert_eq!(Q86::to_u128(Q86::from_i64(x)), i128::from(x).rem_euclid(Q86::Q as i128) as u128);
        }
    }
}
