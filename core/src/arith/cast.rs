//! The integer conversions `From`, `TryFrom` and `cast_signed`/`cast_unsigned` cannot say, written once.
//! Clippy's cast lints are on in core; these helpers are where each remaining kind of `as` stands, with its
//! argument, so a call site names what it means: the low bits of a wider word (limb splitting, byte
//! extraction, pseudo-Mersenne folds: the truncation is the point, and constant time), or a narrowing whose
//! range is known (checked, so a wrong range is a compile error in a `const` table and a panic elsewhere,
//! never a silent wrap), or an integer as `f64` for the estimators, the reports and the de-quantized model (exact
//! below 2^53; never a value of a proof, a key or the wire).

/// The low 64 bits of `x`. Truncation is the point; no branch (secrets pass here).
#[inline(always)]
#[must_use]
#[allow(
    clippy::cast_possible_truncation,
    reason = "the low limb is what the caller asks for"
)]
pub const fn low_u64(x: u128) -> u64 {
    x as u64
}

/// The low 32 bits of `x`. Truncation is the point; no branch (secrets pass here).
#[inline(always)]
#[must_use]
#[allow(
    clippy::cast_possible_truncation,
    reason = "the low limb is what the caller asks for"
)]
pub const fn low_u32(x: u64) -> u32 {
    x as u32
}

/// The low 8 bits of `x`. Truncation is the point; no branch (secrets pass here).
#[inline(always)]
#[must_use]
#[allow(
    clippy::cast_possible_truncation,
    reason = "the low byte is what the caller asks for"
)]
pub const fn low_u8(x: u64) -> u8 {
    x as u8
}

/// The low 64 bits of `x` as a signed value: `x` itself when it lies in the i64 range (two's complement),
/// with no branch (secrets pass here). The caller's argument says that it does.
#[inline(always)]
#[must_use]
pub const fn low_i64(x: i128) -> i64 {
    low_u64(x.cast_unsigned()).cast_signed()
}

/// The low 32 bits of `x` as a signed value: `x` itself when it lies in the i32 range, with no branch.
#[inline(always)]
#[must_use]
pub const fn low_i32(x: i64) -> i32 {
    low_u32(x.cast_unsigned()).cast_signed()
}

/// The low 8 bits of `x` as a signed value: `x` itself when it lies in the i8 range (a ternary or other
/// small coefficient), with no branch (secrets pass here).
#[inline(always)]
#[must_use]
pub const fn low_i8(x: i64) -> i8 {
    low_u8(x.cast_unsigned()).cast_signed()
}

/// `x` as `u32` where the caller's argument says x < 2^32 (a residue mod a prime < 2^30, a table entry).
/// Checked: in a `const` table a violated range fails the build. Public values only (the check branches).
#[inline]
#[must_use]
pub const fn fit_u32(x: u64) -> u32 {
    assert!(x <= u32::MAX as u64, "fit_u32: value above 2^32 - 1");
    low_u32(x)
}

/// `x` as `u64` where the caller's argument says x < 2^64 (a bit count, a square root of a `u128`).
/// Checked like [`fit_u32`]. Public values only.
#[inline]
#[must_use]
pub const fn fit_u64(x: u128) -> u64 {
    assert!(x <= u64::MAX as u128, "fit_u64: value above 2^64 - 1");
    low_u64(x)
}

/// `x` as `u8` where the caller's argument says x < 2^8 (a committee member's number, at most 16; a count
/// bounded by a wire field). Checked like [`fit_u32`]; public values only (the check branches).
#[inline]
#[must_use]
#[allow(clippy::cast_possible_truncation, reason = "checked on the line above")]
pub const fn fit_u8(x: u64) -> u8 {
    assert!(x <= u8::MAX as u64, "fit_u8: value above 255");
    x as u8
}

/// `x` as `usize` where the caller's argument says it fits (a byte or bit count of a proof or a buffer, far
/// below 2^32). Checked like [`fit_u32`], so a 16-bit or 32-bit target refuses rather than wraps.
#[inline]
#[must_use]
#[allow(clippy::cast_possible_truncation, reason = "checked on the line above")]
pub const fn fit_usize(x: u64) -> usize {
    assert!(x <= usize::MAX as u64, "fit_usize: value above usize::MAX");
    x as usize
}

/// ⌊x⌋ of a finite `x` in [0, 2^64) the caller has range-checked (a public parameter into fixed point, e.g.
/// σ·2^32 or M·2^52): the conversion only drops the fraction.
#[inline]
#[must_use]
#[allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "the caller's range check makes the conversion exact up to the fraction"
)]
pub fn floor_f64_to_u64(x: f64) -> u64 {
    debug_assert!((0.0..18_446_744_073_709_551_616.0).contains(&x));
    x as u64
}

/// `x` as `f64` for an estimate, a report or a de-quantized model value: exact below 2^53, rounded to nearest
/// above (never a value of a proof, a key or the wire).
#[inline]
#[must_use]
#[allow(clippy::cast_precision_loss, reason = "an estimate; exact below 2^53")]
pub const fn f64_of_u64(x: u64) -> f64 {
    x as f64
}

/// `x` as `f64` for an estimate or a report (see [`f64_of_u64`]).
#[inline]
#[must_use]
#[allow(clippy::cast_precision_loss, reason = "an estimate; exact below 2^53")]
pub const fn f64_of_u128(x: u128) -> f64 {
    x as f64
}

/// A size or count as `f64` for an estimate or a report (see [`f64_of_u64`]).
#[inline]
#[must_use]
#[allow(
    clippy::cast_precision_loss,
    reason = "an estimate; sizes are far below 2^53"
)]
pub const fn f64_of_usize(x: usize) -> f64 {
    x as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::float_cmp, reason = "exact conversions, compared exactly")]
    fn low_bits_and_checked_narrowing() {
        let x = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210_u128;
        assert_eq!(low_u64(x), 0xfedc_ba98_7654_3210);
        assert_eq!(low_u32(low_u64(x)), 0x7654_3210);
        assert_eq!(low_u8(0x1234_5678), 0x78);
        assert_eq!(low_i64(-5), -5);
        assert_eq!(low_i64(i128::from(i64::MIN)), i64::MIN);
        assert_eq!(low_i32(-(1 << 31)), i32::MIN);
        assert_eq!(low_i32(7), 7);
        assert_eq!(fit_u32(u64::from(u32::MAX)), u32::MAX);
        assert_eq!(fit_u64(u128::from(u64::MAX)), u64::MAX);
        assert_eq!(fit_usize(1 << 31), 1 << 31);
        assert_eq!(f64_of_u64((1 << 53) - 1), 9_007_199_254_740_991.0);
        assert_eq!(f64_of_usize(4096), 4096.0);
        assert_eq!(floor_f64_to_u64(2.75 * 4_294_967_296.0), 11_811_160_064);
        assert_eq!(floor_f64_to_u64(1.5), 1);
        assert_eq!(f64_of_u128(1 << 86), 77_371_252_455_336_267_181_195_264.0);
    }

    #[test]
    #[should_panic(expected = "fit_u32")]
    fn fit_u32_refuses_a_wide_value() {
        let _ = fit_u32(1 << 32);
    }

    #[test]
    #[should_panic(expected = "fit_u64")]
    fn fit_u64_refuses_a_wide_value() {
        let _ = fit_u64(1 << 64);
    }
}
