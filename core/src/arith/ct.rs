//! Constant-time idioms, written once (docs/CONSTANT_TIME.md; the reference Kyber code's `cmov`/`verify`
//! file): masks from a borrow or a top bit, a select behind an optimisation barrier, a conditional
//! subtraction, a saturating add and a remainder by a public modulus — no branch, no table index and no
//! division on a secret. The moduli (`modulus`), the NTT primes (`primes`, `ntt`), the fixed-point samplers
//! (`ring::fixed`, `ring::gaussian`) and the prover's rejection tests use these.

/// All-ones mask if `x` has its top bit set (i.e. x ≥ 2^127 as u128, used to read the sign of a wrapped
/// subtraction), else 0. Branch-free.
#[inline(always)]
#[must_use]
pub const fn mask_top_u128(x: u128) -> u128 {
    0u128.wrapping_sub(x >> 127)
}

/// All-ones mask if the u64 `x` has its top bit set, else 0. Branch-free.
#[inline(always)]
#[must_use]
pub const fn mask_top_u64(x: u64) -> u64 {
    0u64.wrapping_sub(x >> 63)
}

/// All-ones mask if `a < b`, zero otherwise, without a branch (borrow of `a − b`).
#[must_use]
pub const fn ct_lt(a: u128, b: u128) -> u128 {
    let (_, borrow) = a.overflowing_sub(b);
    0u128.wrapping_sub(borrow as u128)
}

/// `a` where `mask` is all ones, `b` where it is zero. The mask passes through an optimisation barrier
/// ([`core::hint::black_box`]) so that LLVM cannot recognise a 0/−1 mask derived from a comparison and
/// turn the select back into a `cmov` or a conditional jump (seen by the valgrind taint check, ct-check/).
#[must_use]
pub const fn ct_select(mask: u128, a: u128, b: u128) -> u128 {
    let mask = core::hint::black_box(mask);
    (a & mask) | (b & !mask)
}

/// All-ones mask if `x ≠ 0`, zero otherwise, without a branch or a flag-setting comparison.
#[must_use]
pub const fn ct_nonzero(x: u128) -> u128 {
    0u128.wrapping_sub((x | x.wrapping_neg()) >> 127)
}

/// `a + b` saturating at 2^128 − 1, branch-free (the carry becomes a mask behind the barrier of
/// [`ct_select`]).
#[must_use]
pub const fn ct_sat_add(a: u128, b: u128) -> u128 {
    let (s, carry) = a.overflowing_add(b);
    ct_select(0u128.wrapping_sub(carry as u128), u128::MAX, s)
}

/// `x mod q` for a public 0 < q < 2^127 and a secret x, by restoring long division one bit at a time
/// with masked subtractions: 128 identical steps, no `%` (u128 division is a libcall with data-dependent
/// timing).
#[must_use]
pub const fn ct_rem(x: u128, q: u128) -> u128 {
    let mut rem = 0u128;
    let mut i = 128;
    while i > 0 {
        i -= 1;
        // rem < q < 2^127, so the shifted value fits.
        rem = (rem << 1) | ((x >> i) & 1);
        let ge = !ct_lt(rem, q);
        rem = rem.wrapping_sub(ct_select(ge, q, 0));
    }
    rem
}

/// x − m if x ≥ m else x, for m < 2^31 and x < 2m: the top bit of the wrapped x − m selects, with no
/// branch.
#[inline(always)]
#[must_use]
pub const fn csub(x: u32, m: u32) -> u32 {
    let y = x.wrapping_sub(m);
    y.wrapping_add(m & (y.cast_signed() >> 31).cast_unsigned())
}

/// (⌊x/3⌋, x mod 3) of a byte by multiply-shift: ⌊x·171/2^9⌋ = ⌊x/3⌋ for every x < 256 (the test checks
/// all 256), so no division instruction touches the secret byte. The ternary samplers' digit extraction.
#[inline(always)]
#[must_use]
pub fn divrem3_u8(x: u8) -> (u8, u8) {
    let x = u32::from(x);
    let q = (x * 171) >> 9;
    // q ≤ 85 and x − 3q ≤ 2: both fit a byte.
    (
        super::cast::low_u8(u64::from(q)),
        super::cast::low_u8(u64::from(x - 3 * q)),
    )
}

/// a − b clamped at 0, branch-free (the comparison and select go through `subtle`'s barrier).
#[inline]
#[must_use]
pub fn ct_sat_sub(a: u128, b: u128) -> u128 {
    use subtle::{ConditionallySelectable, ConstantTimeLess};
    u128::conditional_select(&a.wrapping_sub(b), &0, a.ct_lt(&b))
}

/// (|x|, whether x < 0), branch-free (the sign bit selects through `subtle`'s barrier).
#[inline]
#[must_use]
pub fn ct_abs_and_sign(x: i128) -> (u128, subtle::Choice) {
    use subtle::ConditionallySelectable;
    let ux = x.cast_unsigned();
    let neg = subtle::Choice::from((ux >> 127) as u8);
    (u128::conditional_select(&ux, &ux.wrapping_neg(), neg), neg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The multiply-shift equals `/` and `%` on every byte (exhaustive).
    #[test]
    fn divrem3_is_exact_on_every_byte() {
        for x in 0..=u8::MAX {
            assert_eq!(divrem3_u8(x), (x / 3, x % 3), "x {x}");
        }
    }

    #[test]
    fn saturating_subtraction_and_absolute_value_match_the_operators() {
        for (a, b) in [
            (0u128, 0u128),
            (5, 7),
            (7, 5),
            (u128::MAX, 1),
            (1, u128::MAX),
        ] {
            assert_eq!(ct_sat_sub(a, b), a.saturating_sub(b), "a {a} b {b}");
        }
        for x in [0i128, 1, -1, i128::MAX, i128::MIN + 1, -(1 << 100)] {
            let (abs, neg) = ct_abs_and_sign(x);
            assert_eq!(abs, x.unsigned_abs(), "x {x}");
            assert_eq!(bool::from(neg), x < 0, "x {x}");
        }
        let (abs, neg) = ct_abs_and_sign(i128::MIN);
        assert_eq!((abs, bool::from(neg)), (1 << 127, true));
    }

    #[test]
    fn ct_rem_and_sat_add_match_the_operators() {
        let mut s = 0x0f1e_2d3c_4b5a_6978u128;
        for q in [1u128, 3, (1 << 44) - 539, (1 << 86) - 35, (1 << 126) + 5] {
            for x in [0u128, 1, q - 1, q, q + 1, u128::MAX, u128::MAX - 1] {
                assert_eq!(ct_rem(x, q), x % q, "x {x} q {q}");
            }
            for _ in 0..200 {
                s = s
                    .wrapping_mul(0x2545_f491_4f6c_dd1d_7f4a_7c15_9e37_79b9)
                    .wrapping_add(3);
                assert_eq!(ct_rem(s, q), s % q);
                assert_eq!(ct_rem(s >> 40, q), (s >> 40) % q);
            }
        }
        for (a, b) in [(0u128, 0u128), (u128::MAX, 1), (1 << 127, 1 << 127), (5, 7)] {
            assert_eq!(ct_sat_add(a, b), a.saturating_add(b));
        }
        assert_eq!(ct_nonzero(0), 0);
        assert_eq!(ct_nonzero(1 << 127), u128::MAX);
    }

    #[test]
    fn masks_and_conditional_subtraction_select_without_a_branch() {
        assert_eq!(mask_top_u64(1 << 63), u64::MAX);
        assert_eq!(mask_top_u64((1 << 63) - 1), 0);
        assert_eq!(mask_top_u128(1 << 127), u128::MAX);
        assert_eq!(mask_top_u128(5), 0);
        assert_eq!(ct_lt(3, 5), u128::MAX);
        assert_eq!(ct_lt(5, 5), 0);
        assert_eq!(ct_select(u128::MAX, 1, 2), 1);
        assert_eq!(ct_select(0, 1, 2), 2);
        for (x, m) in [
            (0u32, 7u32),
            (6, 7),
            (7, 7),
            (13, 7),
            ((1 << 31) - 2, (1 << 30) + 3),
        ] {
            assert_eq!(csub(x, m), if x >= m { x - m } else { x }, "x {x} m {m}");
        }
    }
}
