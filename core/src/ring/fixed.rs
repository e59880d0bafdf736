//! Constant-time fixed-point arithmetic for the samplers and rejection tests (docs/CONSTANT_TIME.md:
//! no floating point on secret values, at least 64 fractional bits).
//!
//! Format: unsigned **Q8.120** in a `u128` (value = raw / 2^120, range [0, 256)). Every function below
//! runs the same instruction sequence whatever its operands (fixed loop counts, masks instead of branches,
//! shifts by public amounts only); u128 products are built from 64×64→128 multiplications.
//!
//! API summary:
//! - [`mul_wide`] (128×128→256), [`fx_mul`] (Q8.120 product); the masks and selects they use are the
//!   constant-time idioms of `arith::ct`.
//! - [`exp_neg`]`(x)` = e^(−x) for x ∈ Q8.120, saturating to 0 for x ≥ 256. **Error**: the result r̂
//!   satisfies |r̂ − e^(−x)| ≤ 2^−112. Argument reduction x = a·ln2 + r with a ≤ ⌊x/ln2⌋ exact and r
//!   accurate to 2^−119; r = i/16 + r_lo; e^(−i/16) from a 12-entry table built at compile time by
//!   [`exp_neg_reference`] (degree-32 Taylor on [0, 0.75): truncation < 2^−130, 64 roundings of 2^−120,
//!   error ≤ 2^−113) and scanned in full; e^(−r_lo) by the degree-18 Taylor polynomial on [0, 2^−4)
//!   (truncation < 2^−132, 19 roundings of 2^−120); one more product; the final right shift by a only
//!   shrinks the error. Checked against f64, against [`exp_neg_reference`], and against the identities
//!   e^(−x)e^(−y) = e^(−(x+y)), e^(−k ln 2) = 2^−k in the tests.
//! - [`ln`]`(m)` = ln m for m ∈ [1, 256) (public inputs; Newton iteration on [`exp_neg`]), error ≤ 2^−108.
//! - [`InvTwoSigmaSq`]: 1/(2σ²) for σ given in Q32.32, as a 126-bit mantissa and a shift, and
//!   [`InvTwoSigmaSq::scale`]`(n)` = n/(2σ²) in Q8.120 (saturating), relative error ≤ 2^−125.
//! - [`uniform_q120`]: 120 uniform fractional bits from an RNG, for Bernoulli trials `u < p`.

use rand_core::Rng;

/// Fractional bits of the fixed-point format.
pub const FRAC: u32 = 120;
/// 1.0 in Q8.120.
pub const ONE: u128 = 1 << FRAC;
/// ln 2 · 2^128, rounded down (ln 2 = 0.6931471805599453094172321214581765680755…).
const LN2_Q128: u128 = 0xb172_17f7_d1cf_79ab_c9e3_b398_03f2_f6af;
/// (1/ln 2) · 2^127, rounded down.
const INV_LN2_Q127: u128 = 0xb8aa_3b29_5c17_f0bb_be87_fed0_691d_3e88;
/// Degree of the Taylor polynomial of e^(−r) on [0, 0.75).
const TAYLOR_DEGREE: usize = 32;

/// Full 256-bit product `a·b` as (high, low) halves, from four 64×64 products (constant time).
#[must_use]
pub const fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    const M: u128 = u64::MAX as u128;
    let (a0, a1) = (a & M, a >> 64);
    let (b0, b1) = (b & M, b >> 64);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & M) + (p10 & M);
    let lo = (p00 & M) | (mid << 64);
    let hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (hi, lo)
}

/// Q8.120 product `⌊a·b⌋`; the caller guarantees a·b < 256 (the high bits are dropped otherwise).
#[must_use]
pub const fn fx_mul(a: u128, b: u128) -> u128 {
    let (hi, lo) = mul_wide(a, b);
    (hi << (128 - FRAC)) | (lo >> FRAC)
}

// The constant-time idioms (masks, select, saturating add, remainder) are written once, in `arith::ct`.
use crate::arith::ct::{ct_lt, ct_nonzero, ct_select};

/// `⌊2^128 / k⌋` for k ≥ 2, and 2^128 − 1 for k = 1 (used only as the Horner constant 1/k).
#[allow(clippy::integer_division_remainder_used)] // compile-time table of public constants
const fn inv_q128(k: u128) -> u128 {
    if k == 1 { u128::MAX } else { u128::MAX / k }
}

/// 1/k in Q0.128 for k = 1..=TAYLOR_DEGREE (index k).
const INV_K: [u128; TAYLOR_DEGREE + 1] = {
    let mut t = [0u128; TAYLOR_DEGREE + 1];
    let mut k = 1;
    while k <= TAYLOR_DEGREE {
        t[k] = inv_q128(k as u128);
        k += 1;
    }
    t
};

/// Argument reduction x = a·ln2 + r: returns (a, r) with a ≤ ⌊x/ln2⌋ (the reciprocal is rounded down)
/// and r ∈ [0, ln2 + 2^−118), r accurate to 2^−119.
const fn reduce_ln2(x: u128) -> (u128, u128) {
    let (hi, _) = mul_wide(x, INV_LN2_Q127);
    let a = hi >> (FRAC + 127 - 128);
    // a·ln2 in Q8.120, rounded to nearest: (a·LN2_Q128) / 2^8.
    let (h2, l2) = mul_wide(a, LN2_Q128);
    let a_ln2 = (h2 << (128 - 8)) | (l2 >> 8);
    let a_ln2 = a_ln2.wrapping_add((l2 >> 7) & 1);
    // A rounding overshoot below 0 is clamped to 0.
    let r = x.wrapping_sub(a_ln2);
    (a, ct_select(ct_lt(x, a_ln2), 0, r))
}

/// Reference e^(−x): degree-32 Taylor polynomial of e^(−r) on the reduced argument (nested Horner
/// t ← 1 − (r·t)/k). Used at compile time for the exp table and in tests against [`exp_neg`].
#[must_use]
pub const fn exp_neg_reference(x: u128) -> u128 {
    let (a, r) = reduce_ln2(x);
    let mut t = ONE;
    let mut k = TAYLOR_DEGREE;
    while k >= 1 {
        let rt = fx_mul(r, t);
        let (q, _) = mul_wide(rt, INV_K[k]);
        t = ONE - q;
        k -= 1;
    }
    shift_right_ct(t, a)
}

/// Bits of the reduced argument resolved by the table: r = i/16 + r_lo with r_lo < 2^−4.
const TABLE_SHIFT: u32 = FRAC - 4;
/// Table entries: i ≤ ⌊16·(ln2 + 2^−118)⌋ = 11.
const TABLE_LEN: usize = 12;
/// e^(−i/16) in Q8.120 for i < 12 (from [`exp_neg_reference`], error ≤ 2^−113).
const EXP_TABLE: [u128; TABLE_LEN] = {
    let mut t = [0u128; TABLE_LEN];
    let mut i = 0;
    while i < TABLE_LEN {
        t[i] = exp_neg_reference((i as u128) << TABLE_SHIFT);
        i += 1;
    }
    t
};
/// Degree of the Taylor polynomial on [0, 2^−4): (2^−4)^19/19! < 2^−132.
const SHORT_DEGREE: usize = 18;
/// 1/k! in Q8.120, k = 0..=18 (rounded down; 18! < 2^53).
#[allow(clippy::integer_division_remainder_used)] // compile-time table of public constants
const INV_FACT: [u128; SHORT_DEGREE + 1] = {
    let mut t = [0u128; SHORT_DEGREE + 1];
    let mut f: u128 = 1;
    let mut k = 0;
    while k <= SHORT_DEGREE {
        if k > 0 {
            f *= k as u128;
        }
        t[k] = ONE / f;
        k += 1;
    }
    t
};

/// e^(−x) for x in Q8.120 (constant time; see the module docs for the error bound): x = a·ln2 + i/16 +
/// r_lo, e^(−x) = 2^−a · `T[i]` · P(r_lo) with T scanned in full (no secret index) and P the degree-18
/// Taylor polynomial in coefficient-form Horner (t ← 1/k! − r_lo·t stays positive because r_lo < 1/16).
#[must_use]
pub fn exp_neg(x: u128) -> u128 {
    let (a, r) = reduce_ln2(x);
    // r < ln2 + 2^−118, so i ≤ 11.
    let i = (r >> TABLE_SHIFT) as u64;
    let r_lo = r & ((1u128 << TABLE_SHIFT) - 1);
    let mut e_hi = 0u128;
    for (j, &e) in EXP_TABLE.iter().enumerate() {
        let eq = (j as u64) ^ i;
        let hit = ((eq | eq.wrapping_neg()) >> 63) ^ 1;
        e_hi |= ct_select(0u128.wrapping_sub(u128::from(hit)), e, 0);
    }
    let mut t = INV_FACT[SHORT_DEGREE];
    for &c in INV_FACT[..SHORT_DEGREE].iter().rev() {
        t = c - fx_mul(r_lo, t);
    }
    shift_right_ct(fx_mul(e_hi, t), a)
}

/// `v >> s` for a secret s < 2^9 (s ≥ 128 gives 0), as a barrel shifter of masked selects.
const fn shift_right_ct(v: u128, s: u128) -> u128 {
    let mut v = v;
    let mut bit = 0;
    while bit < 9 {
        let amount = 1u32 << bit;
        let shifted = if amount >= 128 { 0 } else { v >> amount };
        let mask = 0u128.wrapping_sub((s >> bit) & 1);
        v = ct_select(mask, shifted, v);
        bit += 1;
    }
    v
}

/// ln m for m ∈ [1, 256) in Q8.120 (m < 1 is treated as 1). Public inputs only (parameters such as the
/// rejection constant M): Newton's iteration y ← y − 1 + m·e^(−y) from y₀ = ⌊log₂ m⌋·ln 2, which is
/// within ln 2 of the root, so eight steps reach the precision of [`exp_neg`].
#[must_use]
pub fn ln(m: u128) -> u128 {
    let m = if m < ONE { ONE } else { m };
    let log2_floor = u128::from(m.ilog2() - FRAC);
    let mut y = log2_floor * (LN2_Q128 >> 8);
    for _ in 0..8 {
        let me = fx_mul(m, exp_neg(y));
        y = (y + me).saturating_sub(ONE);
    }
    y
}

/// 1/(2σ²) for a public σ, stored as `mant / 2^shift` with a 126-bit mantissa, so that
/// [`scale`](Self::scale) turns an integer statistic n into n/(2σ²) in Q8.120.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvTwoSigmaSq {
    mant: u128,
    shift: u32,
}

/// σ outside the supported range [0.5, 2^28) (in Q32.32: `2^31 ≤ sigma_q32 < 2^60`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigmaOutOfRange;

impl InvTwoSigmaSq {
    /// From σ in Q32.32 (σ = `sigma_q32` / 2^32), 0.5 ≤ σ < 2^28.
    ///
    /// # Errors
    /// [`SigmaOutOfRange`] outside that range.
    pub fn new(sigma_q32: u64) -> Result<Self, SigmaOutOfRange> {
        if !(1u64 << 31..1u64 << 60).contains(&sigma_q32) {
            return Err(SigmaOutOfRange);
        }
        // 1/(2σ²) = 2^63 / s² with s = sigma_q32. mant = ⌊2^(63+E) / s²⌋ has 126 bits for
        // E = 126 + bitlen(s²) − 64, where bitlen(s²) ∈ [63, 120] so 63 + E ∈ [188, 245].
        let s2 = u128::from(sigma_q32) * u128::from(sigma_q32);
        let bits = 128 - s2.leading_zeros();
        let e = 126 + bits - 64;
        let total = 63 + e;
        let mant = div_pow2_by(total, s2);
        Ok(Self {
            mant,
            shift: e - FRAC,
        })
    }

    /// From an integer σ² (σ² = `sigma_sq`, 4 ≤ σ² < 2^121): the widths above the base sampler's range
    /// (the convolution masks of the threshold share proof, docs/THRESHOLD.md §6.2 item 3), whose σ² is an
    /// exact integer σ1² + 4^k·σ2² but whose σ is not. For σ² = s² with s an integer below 2^28 this is bit for
    /// bit [`InvTwoSigmaSq::new`]`(s << 32)` (both compute ⌊2^(125 + b) / σ²⌋ with b = bitlen(σ²); test
    /// `inv_from_sigma_sq_matches_q32`).
    ///
    /// # Errors
    /// [`SigmaOutOfRange`] outside that range.
    pub fn from_sigma_sq(sigma_sq: u128) -> Result<Self, SigmaOutOfRange> {
        if !(4..1u128 << 121).contains(&sigma_sq) {
            return Err(SigmaOutOfRange);
        }
        // 1/(2σ²) = 2^−1/σ²; n/(2σ²) in Q8.120 is n·2^119/σ² = n·mant / 2^(b + 6) with
        // mant = ⌊2^(125 + b)/σ²⌋ (126 bits), 3 ≤ b = bitlen(σ²) ≤ 121 so 128 ≤ 125 + b (`div_pow2_by`)
        // and the shift stays below 128.
        let bits = 128 - sigma_sq.leading_zeros();
        let mant = div_pow2_by(125 + bits, sigma_sq);
        Ok(Self {
            mant,
            shift: bits + 6,
        })
    }

    /// n/(2σ²) in Q8.120, rounded down, saturating at 2^128 − 1 (constant time in n).
    #[must_use]
    pub fn scale(&self, n: u128) -> u128 {
        let (hi, lo) = mul_wide(n, self.mant);
        // (hi, lo) >> shift with 5 ≤ shift < 128 (checked by construction of `new`).
        let low = (lo >> self.shift) | (hi << (128 - self.shift));
        let overflow = hi >> self.shift;
        ct_select(ct_nonzero(overflow), u128::MAX, low)
    }
}

/// ⌊2^e / d⌋ for 128 ≤ e < 256 and d > 2^(e−128) (so the quotient fits), by long division on public
/// values.
fn div_pow2_by(e: u32, d: u128) -> u128 {
    // Dividend 2^e = (hi, 0) with hi = 2^(e−128); restoring division one quotient bit at a time.
    let mut rem: u128 = 1u128 << (e - 128);
    let mut q: u128 = 0;
    for _ in 0..128 {
        let carry = rem >> 127;
        rem <<= 1;
        q <<= 1;
        if carry == 1 || rem >= d {
            rem = rem.wrapping_sub(d);
            q |= 1;
        }
    }
    q
}

/// 120 uniform fractional bits (a Q8.120 value in [0, 1)) from two 64-bit RNG words.
pub fn uniform_q120<R: Rng + ?Sized>(rng: &mut R) -> u128 {
    let hi = u128::from(rng.next_u64());
    let lo = u128::from(rng.next_u64());
    ((hi << 64) | lo) >> (128 - FRAC)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn inv_from_sigma_sq_matches_q32() {
        for s in [
            2u64,
            3,
            5,
            768_511,
            885_971,
            9_222_132,
            147_957_157,
            (1 << 28) - 1,
        ] {
            let a = InvTwoSigmaSq::new(s << 32).unwrap();
            let b = InvTwoSigmaSq::from_sigma_sq(u128::from(s) * u128::from(s)).expect("in range");
            assert_eq!(a, b, "σ = {s}");
        }
        // Wide: σ ≈ 2^43.8; n = 2σ² scales to 1.0 within the stated relative error.
        let s = 15_472_150_750_974u128;
        let w = InvTwoSigmaSq::from_sigma_sq(s * s).unwrap();
        let one = w.scale(2 * s * s);
        assert!(one.abs_diff(ONE) <= ONE >> 100, "{one}");
        assert!(InvTwoSigmaSq::from_sigma_sq(3).is_err());
        assert!(InvTwoSigmaSq::from_sigma_sq(1 << 121).is_err());
    }

    fn to_f64(x: u128) -> f64 {
        x as f64 / ONE as f64
    }
    fn from_f64(x: f64) -> u128 {
        (x * ONE as f64) as u128
    }

    #[test]
    fn constants_are_right() {
        assert!((LN2_Q128 as f64 / 2f64.powi(128) - core::f64::consts::LN_2).abs() < 1e-16);
        assert!(
            (INV_LN2_Q127 as f64 / 2f64.powi(127) - 1.0 / core::f64::consts::LN_2).abs() < 1e-15
        );
        // ln2 · (1/ln2) = 1 to within the truncation of both constants.
        let (hi, _) = mul_wide(LN2_Q128, INV_LN2_Q127);
        assert!(hi < 1 << 127, "product below 2^255");
        assert!((1u128 << 127) - hi < 4);
    }

    #[test]
    fn mul_wide_matches_split_product() {
        let vals = [
            0u128,
            1,
            u128::MAX,
            1 << 64,
            (1 << 64) - 1,
            0x1234_5678_9abc_def0_1122_3344_5566_7788,
        ];
        for &a in &vals {
            for &b in &vals {
                let (hi, lo) = mul_wide(a, b);
                assert_eq!(lo, a.wrapping_mul(b));
                // hi via 32-bit limbs reference.
                let limbs = |x: u128| {
                    [
                        x as u32,
                        (x >> 32) as u32,
                        (x >> 64) as u32,
                        (x >> 96) as u32,
                    ]
                };
                let (la, lb) = (limbs(a), limbs(b));
                let mut r = [0u64; 9];
                for i in 0..4 {
                    let mut carry = 0u64;
                    for j in 0..4 {
                        let t =
                            u64::from(la[i]) * u64::from(lb[j]) + (r[i + j] & 0xffff_ffff) + carry;
                        r[i + j] = t & 0xffff_ffff;
                        carry = t >> 32;
                    }
                    r[i + 4] += carry;
                }
                let h = u128::from(r[4] as u32)
                    | (u128::from(r[5] as u32) << 32)
                    | (u128::from(r[6] as u32) << 64)
                    | (u128::from(r[7] as u32) << 96);
                assert_eq!(hi, h);
            }
        }
    }

    #[test]
    fn exp_matches_f64() {
        let mut x = 0.0f64;
        while x < 90.0 {
            let got = to_f64(exp_neg(from_f64(x)));
            let want = (-x).exp();
            assert!(
                (got - want).abs() <= want * 1e-15 + 1e-36,
                "x = {x}: {got} vs {want}"
            );
            x += 0.0137;
        }
        assert_eq!(exp_neg(0), ONE);
        assert_eq!(exp_neg(u128::MAX), 0);
        assert_eq!(exp_neg(200 * ONE), 0);
    }

    #[test]
    fn exp_is_precise_beyond_f64() {
        // e^(−k·ln2) = 2^−k exactly; |error| ≤ 2^−112 (documented bound).
        for k in 0..100u32 {
            let x = u128::from(k) * (LN2_Q128 >> 8);
            let got = exp_neg(x);
            let want = ONE >> k;
            assert!(got.abs_diff(want) < 1 << 8, "k = {k}: {got} vs {want}");
        }
        // e^(−x)·e^(−y) = e^(−(x+y)).
        let mut s = 0x9e37_79b9_7f4a_7c15u128;
        for _ in 0..2000 {
            s = s
                .wrapping_mul(0x2545_f491_4f6c_dd1d_7f4a_7c15_9e37_79b9)
                .wrapping_add(1);
            let x = (s >> 2) % (3 * ONE);
            let y = (s >> 66) % (3 * ONE);
            let lhs = fx_mul(exp_neg(x), exp_neg(y));
            let rhs = exp_neg(x + y);
            assert!(lhs.abs_diff(rhs) < 1 << 10, "x = {x}, y = {y}");
        }
    }

    #[test]
    fn fast_exp_matches_reference() {
        let mut s = 0x0123_4567_89ab_cdefu128;
        for _ in 0..20_000 {
            s = s
                .wrapping_mul(0x2545_f491_4f6c_dd1d_7f4a_7c15_9e37_79b9)
                .wrapping_add(7);
            let x = (s >> 3) % (100 * ONE);
            assert!(
                exp_neg(x).abs_diff(exp_neg_reference(x)) < 1 << 8,
                "x = {x}"
            );
        }
        // Table boundaries: r just below and at multiples of 1/16.
        for i in 0..12u128 {
            for d in [0u128, 1, 2] {
                let x = (i << TABLE_SHIFT).saturating_sub(d);
                assert!(
                    exp_neg(x).abs_diff(exp_neg_reference(x)) < 1 << 8,
                    "i = {i}"
                );
            }
        }
    }

    #[test]
    fn ln_inverts_exp() {
        for &m in &[1.0f64, 1.5, 2.0, core::f64::consts::E, 3.39, 100.0, 255.0] {
            let got = to_f64(ln(from_f64(m)));
            assert!((got - m.ln()).abs() < 1e-14, "m = {m}: {got}");
        }
        // exp(−ln m)·m = 1 to 2^−100.
        let m = from_f64(3.390_000_1);
        let back = fx_mul(exp_neg(ln(m)), m);
        assert!(back.abs_diff(ONE) < 1 << 20);
    }

    #[test]
    fn inv_two_sigma_sq_scales() {
        for &sigma in &[
            0.5f64,
            1.0,
            3.7,
            1000.0,
            1.55 * 2f64.powi(25),
            2f64.powi(27),
        ] {
            let q32 = (sigma * 2f64.powi(32)) as u64;
            let inv = InvTwoSigmaSq::new(q32).unwrap();
            let sigma = q32 as f64 / 2f64.powi(32);
            for &n in &[1u128, 7, 12345, 1 << 40, 1 << 62] {
                let want = n as f64 / (2.0 * sigma * sigma);
                if want >= 255.0 {
                    continue;
                }
                let got = to_f64(inv.scale(n));
                assert!(
                    (got - want).abs() <= want * 1e-14 + 1e-30,
                    "σ {sigma} n {n}"
                );
            }
        }
        let inv = InvTwoSigmaSq::new(1 << 32).unwrap();
        assert_eq!(inv.scale(u128::MAX), u128::MAX);
        assert_eq!(InvTwoSigmaSq::new(1 << 30), Err(SigmaOutOfRange));
        assert_eq!(InvTwoSigmaSq::new(1 << 60), Err(SigmaOutOfRange));
    }
}
