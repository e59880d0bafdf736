//! Rejection-sampling decisions in constant-time fixed point (docs/PROTOCOL.md; Lyubashevsky, EUROCRYPT 2012,
//! Thm 4.6 for the standard test; Ducas–Durmus–Lepoint–Lyubashevsky, CRYPTO 2013, §3.2 for the bimodal
//! test; LNP22 §3 and Fig. 10 for their use in the proof).
//!
//! Given the integer statistics of a masked response z = y + v (v = c·s or β·R·s) — ‖v‖² and ⟨z, v⟩ —
//! and public widths σ and constant M:
//! - **standard**: accept with probability min(1, exp(Σ_b (‖v_b‖² − 2⟨z_b, v_b⟩)/(2σ_b²)) / M), summed
//!   over the blocks of one joint rejection ([`StandardTest`]);
//! - **bimodal**: accept with probability 1 / (M·exp(−‖v‖²/(2σ²))·cosh(⟨z, v⟩/σ²)) ([`bimodal_accept`]).
//!   1/cosh(w) is evaluated as 2e^(−|w|)/(1 + e^(−2|w|)) and the division is avoided: with u uniform,
//!   accept ⟺ u·(1 + e^(−2|w|)) < 2e^(−x₁) with x₁ = ln M + |w| − ‖v‖²/(2σ²), a 256-bit
//!   cross-multiplied comparison.
//!
//! **Arithmetic.** Everything is Q8.120 ([`crate::ring::fixed`]): n/(2σ²) via a precomputed 126-bit
//! reciprocal (relative error 2^−125), saturating adds, exp(−x) with absolute error ≤ 2^−112, and a
//! comparison against 120 uniform bits. No floating point touches secret values, no branch or index
//! depends on them; the returned bool is the only value meant to become public. The exponent is clamped
//! to [0, 256): below 0 the probability is 1 (the test accepts), above 256 it is < 2^−369 (rejects).
//!
//! **Precision.** The computed acceptance probability p̂ satisfies |p̂ − p| ≤ 2^−110 for every input whose
//! exponent terms are below 256 (errors: exponent ≤ 2^−117 absolute from the reciprocals and ln M, which
//! moves e^(−x) by ≤ 2^−117; exp ≤ 2^−112; comparison granularity 2^−120). The tests compare p̂ with an
//! f64 reference on random inputs and check the simulated acceptance rate equals 1/M.
//!
//! API summary:
//! - [`RejectionConstant::from_m`]`(f64)` / [`RejectionConstant::from_ln_m_q120`] — public ln M;
//!   [`RejectionConstant::standard_for_gamma`]`(γ, 129)` and [`RejectionConstant::bimodal_for_gamma`]`(γ)`.
//! - [`StandardTest::new`]`(ln_m)`, [`StandardTest::add_block`]`(&InvTwoSigmaSq, ‖v‖², ⟨z,v⟩)`,
//!   [`StandardTest::decide`]`(&mut rng) -> bool`; [`standard_accept`] for one block.
//! - [`bimodal_accept`]`(ln_m, &InvTwoSigmaSq, ‖v‖², ⟨z,v⟩, &mut rng) -> bool`.
//! - Widths are [`InvTwoSigmaSq`]`::new(sigma_q32)` (σ in Q32.32), shared with the Gaussian sampler.

use crate::arith::ct::{ct_abs_and_sign, ct_lt, ct_sat_add, ct_sat_sub};
use crate::ring::fixed::{FRAC, ONE, exp_neg, ln, uniform_q120};
use rand_core::Rng;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

pub use crate::ring::fixed::InvTwoSigmaSq;

/// The public rejection constant, stored as ln M in Q8.120.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RejectionConstant {
    ln_m: u128,
}

/// M outside [1, 256).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadRejectionConstant;

impl RejectionConstant {
    /// From M as a float (a public parameter, e.g. 1.95 for γ = 20): converted once to Q8.120, then
    /// ln M by the fixed-point logarithm (identical on every target).
    ///
    /// # Errors
    /// [`BadRejectionConstant`] unless 1 ≤ M < 256.
    pub fn from_m(m: f64) -> Result<Self, BadRejectionConstant> {
        if !(1.0..256.0).contains(&m) {
            return Err(BadRejectionConstant);
        }
        // 2^52-granular conversion: exact for every f64 in range.
        // m·2^52 ∈ [2^52, 2^60).
        let m_q52 = u128::from(crate::arith::cast::floor_f64_to_u64(
            m * 4_503_599_627_370_496.0,
        ));
        Ok(Self {
            ln_m: ln(m_q52 << (FRAC - 52)),
        })
    }

    /// The standard-rejection constant for σ_b ≥ γ·‖v_b‖ (joint over blocks):
    /// M = exp(√(2·tail_bits·ln 2)/γ + 1/(2γ²)), so that the exponent exceeds ln M only with probability
    /// 2^−tail_bits (Lyubashevsky 2012, Lemma 4.5; docs/PROTOCOL.md uses tail_bits = 129: M = 3.39, 2.61,
    /// 1.95 for γ = 11, 14, 20). Computed with `libm` (deterministic on every target).
    ///
    /// # Errors
    /// [`BadRejectionConstant`] if γ is not positive or M falls outside [1, 256).
    pub fn standard_for_gamma(gamma: f64, tail_bits: u32) -> Result<Self, BadRejectionConstant> {
        if gamma.is_nan() || gamma <= 0.0 {
            return Err(BadRejectionConstant);
        }
        let t = libm::sqrt(2.0 * f64::from(tail_bits) * core::f64::consts::LN_2);
        Self::from_m(libm::exp(t / gamma + 1.0 / (2.0 * gamma * gamma)))
    }

    /// The bimodal constant M = exp(1/(2γ²)) for σ ≥ γ·‖v‖ (Ducas et al. 2013, §3.2).
    ///
    /// # Errors
    /// [`BadRejectionConstant`] if γ is not positive or M falls outside [1, 256).
    pub fn bimodal_for_gamma(gamma: f64) -> Result<Self, BadRejectionConstant> {
        if gamma.is_nan() || gamma <= 0.0 {
            return Err(BadRejectionConstant);
        }
        Self::from_m(libm::exp(1.0 / (2.0 * gamma * gamma)))
    }

    /// From ln M already in Q8.120 (ln M < 256).
    #[must_use]
    pub fn from_ln_m_q120(ln_m: u128) -> Self {
        Self { ln_m }
    }

    /// ln M in Q8.120.
    #[must_use]
    pub fn ln_m_q120(&self) -> u128 {
        self.ln_m
    }
}

// Branch-free: the selects go through `subtle` (its `Choice` sits behind an optimisation barrier) or the
// helpers of `arith::ct`, so the release build keeps them as masks: no `cmov`, no conditional jump on the
// secret statistics (checked under valgrind by ct-check/, docs/CONSTANT_TIME.md).

/// Whether x = 2^128 − 1 (a saturated sum), branch-free.
fn ct_is_max(x: u128) -> Choice {
    x.ct_eq(&u128::MAX)
}

/// Accumulates the exponent of one joint standard rejection over several blocks (secret; zeroized on
/// drop). x = ln M + Σ_b (2⟨z_b,v_b⟩ − ‖v_b‖²)/(2σ_b²) is kept as a positive part and a negative part.
#[derive(Clone, Debug, Zeroize)]
pub struct StandardTest {
    pos: u128,
    neg: u128,
}

impl Drop for StandardTest {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl StandardTest {
    /// Starts a test with constant M.
    #[must_use]
    pub fn new(m: RejectionConstant) -> Self {
        Self {
            pos: m.ln_m,
            neg: 0,
        }
    }

    /// Adds block b with width σ_b (as 1/(2σ_b²)), ‖v_b‖² and ⟨z_b, v_b⟩.
    pub fn add_block(&mut self, width: &InvTwoSigmaSq, v_norm2: u128, zv: i128) {
        let (abs, neg) = ct_abs_and_sign(zv);
        // 2|⟨z,v⟩|/(2σ²), saturating, added to the part its sign selects.
        let half = width.scale(abs);
        let term = ct_sat_add(half, half);
        self.pos = ct_sat_add(self.pos, u128::conditional_select(&term, &0, neg));
        self.neg = ct_sat_add(self.neg, u128::conditional_select(&0, &term, neg));
        self.neg = ct_sat_add(self.neg, width.scale(v_norm2));
    }

    /// The clamped exponent x = max(0, pos − neg), or 2^128 − 1 if the positive part saturated.
    fn exponent(&self) -> u128 {
        let saturated = ct_is_max(self.pos);
        u128::conditional_select(&ct_sat_sub(self.pos, self.neg), &u128::MAX, saturated)
    }

    /// The acceptance probability in Q8.120 (secret: for tests and diagnostics only).
    #[must_use]
    pub fn probability(&self) -> u128 {
        exp_neg(self.exponent())
    }

    /// Draws the decision; the returned bit is the only public output.
    pub fn decide<R: Rng + ?Sized>(&self, rng: &mut R) -> bool {
        // Public: the accept bit (the prover restarts or publishes); the probability stays secret.
        crate::ct::declassify_bool(ct_lt(uniform_q120(rng), self.probability()) & 1 == 1)
    }
}

/// One-block standard rejection: accept with probability min(1, exp((‖v‖² − 2⟨z,v⟩)/(2σ²))/M).
pub fn standard_accept<R: Rng + ?Sized>(
    m: RejectionConstant,
    width: &InvTwoSigmaSq,
    v_norm2: u128,
    zv: i128,
    rng: &mut R,
) -> bool {
    let mut t = StandardTest::new(m);
    t.add_block(width, v_norm2, zv);
    t.decide(rng)
}

/// Numerator 2e^(−x₁) and denominator 1 + e^(−2|w|) of the bimodal probability, both Q8.120, with
/// x₁ = max(0, ln M + |w| − ‖v‖²/(2σ²)) and |w| = |⟨z,v⟩|/σ².
fn bimodal_fraction(
    m: RejectionConstant,
    width: &InvTwoSigmaSq,
    v_norm2: u128,
    zv: i128,
) -> (u128, u128) {
    let (abs, _) = ct_abs_and_sign(zv);
    let half = width.scale(abs);
    let w = ct_sat_add(half, half);
    let two_w = ct_sat_add(w, w);
    let pos = ct_sat_add(m.ln_m, w);
    let saturated = ct_is_max(pos);
    let x1 = u128::conditional_select(
        &ct_sat_sub(pos, width.scale(v_norm2)),
        &u128::MAX,
        saturated,
    );
    let num = exp_neg(x1) << 1;
    let den = ONE + exp_neg(two_w);
    (num, den)
}

/// Bimodal rejection: accept with probability min(1, 1/(M·exp(−‖v‖²/(2σ²))·cosh(⟨z,v⟩/σ²))).
/// Decided as u·den < num (256-bit products, no division) for u uniform in [0, 1).
pub fn bimodal_accept<R: Rng + ?Sized>(
    m: RejectionConstant,
    width: &InvTwoSigmaSq,
    v_norm2: u128,
    zv: i128,
    rng: &mut R,
) -> bool {
    let (num, den) = bimodal_fraction(m, width, v_norm2, zv);
    let u = uniform_q120(rng);
    // u·den is Q.240 < 2^242; num·2^120 as (hi, lo) = (num >> 8, num << 120).
    let (ph, pl) = crate::ring::fixed::mul_wide(u, den);
    let (nh, nl) = (num >> (128 - FRAC), num << FRAC);
    let (_, borrow_lo) = pl.overflowing_sub(nl);
    let (d1, b1) = ph.overflowing_sub(nh);
    let (_, b2) = d1.overflowing_sub(u128::from(borrow_lo));
    // Public: the accept bit (the prover restarts or publishes); num, den and u stay secret.
    crate::ct::declassify_bool(b1 | b2)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn q120(x: u128) -> f64 {
        x as f64 / ONE as f64
    }

    fn width(sigma: f64) -> (InvTwoSigmaSq, f64) {
        let q32 = (sigma * 2f64.powi(32)) as u64;
        (InvTwoSigmaSq::new(q32).unwrap(), q32 as f64 / 2f64.powi(32))
    }

    /// Standard normal by Box–Muller (test-only reference randomness).
    fn normal(rng: &mut ChaCha20Rng) -> f64 {
        let u1 = (rng.next_u64() >> 11) as f64 / 2f64.powi(53) + 1e-300;
        let u2 = (rng.next_u64() >> 11) as f64 / 2f64.powi(53);
        (-2.0 * u1.ln()).sqrt() * (2.0 * core::f64::consts::PI * u2).cos()
    }

    #[test]
    fn ln_m_matches_f64() {
        for &m in &[1.0, 1.95, 2.61, 3.39, 200.0] {
            let c = RejectionConstant::from_m(m).unwrap();
            assert!((q120(c.ln_m_q120()) - f64::ln(m)).abs() < 1e-15);
        }
        assert_eq!(RejectionConstant::from_m(0.5), Err(BadRejectionConstant));
        assert_eq!(
            RejectionConstant::from_m(f64::NAN),
            Err(BadRejectionConstant)
        );
    }

    #[test]
    fn constants_for_gamma_match_the_brief() {
        for (gamma, m) in [(11.0, 3.39), (14.0, 2.61), (20.0, 1.95)] {
            let c = RejectionConstant::standard_for_gamma(gamma, 129).unwrap();
            let got = q120(exp_neg(0)) / q120(exp_neg(c.ln_m_q120()));
            assert!((got - m).abs() < 0.006, "γ {gamma}: M = {got}");
        }
        let c = RejectionConstant::bimodal_for_gamma(2.0).unwrap();
        assert!((q120(c.ln_m_q120()) - 0.125).abs() < 1e-15);
        assert_eq!(
            RejectionConstant::standard_for_gamma(0.0, 129),
            Err(BadRejectionConstant)
        );
        assert_eq!(
            RejectionConstant::bimodal_for_gamma(-1.0),
            Err(BadRejectionConstant)
        );
        assert_eq!(
            RejectionConstant::bimodal_for_gamma(0.01),
            Err(BadRejectionConstant)
        );
    }

    #[test]
    fn standard_probability_matches_f64() {
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let m = RejectionConstant::from_m(1.954).unwrap();
        for _ in 0..3000 {
            let sigma = 10f64.powf(1.0 + 6.0 * (f64::from(rng.next_u32()) / 2f64.powi(32)));
            let (w, sigma) = width(sigma);
            let vn = (sigma / 20.0) * (f64::from(rng.next_u32()) / 2f64.powi(32) * 2.0);
            let v_norm2 = (vn * vn) as u128;
            let zv = (normal(&mut rng) * sigma * vn * 2.0) as i128;
            let mut t = StandardTest::new(m);
            t.add_block(&w, v_norm2, zv);
            let got = q120(t.probability());
            let x = (v_norm2 as f64 - 2.0 * zv as f64) / (2.0 * sigma * sigma);
            let want = (x.exp() / 1.954).min(1.0);
            assert!(
                (got - want).abs() < 1e-12,
                "σ {sigma} ‖v‖² {v_norm2} zv {zv}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn standard_blocks_add_up() {
        let m = RejectionConstant::from_m(2.61).unwrap();
        let (w1, s1) = width(1000.0);
        let (w2, s2) = width(50_000.0);
        let mut t = StandardTest::new(m);
        t.add_block(&w1, 2500, -40_000);
        t.add_block(&w2, 6_250_000, 900_000_000);
        let x = (2500.0 + 80_000.0) / (2.0 * s1 * s1) + (6_250_000.0 - 1.8e9) / (2.0 * s2 * s2);
        let want = (x.exp() / 2.61).min(1.0);
        assert!((q120(t.probability()) - want).abs() < 1e-12);
    }

    #[test]
    fn standard_extremes_clamp() {
        let m = RejectionConstant::from_m(3.0).unwrap();
        let (w, _) = width(10.0);
        // Huge positive ⟨z,v⟩ → probability 0; huge negative → 1 (clamped).
        let mut t = StandardTest::new(m);
        t.add_block(&w, 0, i128::MAX);
        assert_eq!(t.probability(), 0);
        let mut t = StandardTest::new(m);
        t.add_block(&w, 0, i128::MIN);
        assert_eq!(t.probability(), ONE);
        let mut rng = ChaCha20Rng::from_seed([2; 32]);
        assert!(t.decide(&mut rng));
    }

    #[test]
    fn bimodal_fraction_matches_f64() {
        let mut rng = ChaCha20Rng::from_seed([3; 32]);
        for _ in 0..3000 {
            let sigma = 10f64.powf(1.0 + 6.0 * (f64::from(rng.next_u32()) / 2f64.powi(32)));
            let (w, sigma) = width(sigma);
            let gamma = 2.0f64;
            let m_val = (1.0 / (2.0 * gamma * gamma)).exp();
            let m = RejectionConstant::from_m(m_val).unwrap();
            let vn = sigma / gamma * (f64::from(rng.next_u32()) / 2f64.powi(32));
            let v_norm2 = (vn * vn) as u128;
            let zv = (normal(&mut rng) * sigma * vn * 1.5) as i128;
            let (num, den) = bimodal_fraction(m, &w, v_norm2, zv);
            let got = (q120(num) / q120(den)).min(1.0);
            let want = 1.0
                / (m_val
                    * (-(v_norm2 as f64) / (2.0 * sigma * sigma)).exp()
                    * (zv as f64 / (sigma * sigma)).cosh());
            assert!((got - want.min(1.0)).abs() < 1e-12, "{got} vs {want}");
        }
    }

    /// Simulates z = y + v with ⟨y, v⟩ ~ N(0, σ²‖v‖²) and returns (acceptance rate, mean of ⟨z,v⟩
    /// over accepted samples in units of σ‖v‖).
    fn simulate_standard(gamma: f64, trials: u32, disable: bool) -> (f64, f64) {
        let mut rng = ChaCha20Rng::from_seed([4; 32]);
        let (w, sigma) = width(1.55 * 2f64.powi(22));
        let m_val = ((2.0 * 129.0 * core::f64::consts::LN_2).sqrt() / gamma
            + 1.0 / (2.0 * gamma * gamma))
            .exp();
        let m = RejectionConstant::from_m(m_val).unwrap();
        let vn = sigma / gamma;
        let (mut acc, mut sum) = (0u32, 0.0);
        for _ in 0..trials {
            let zv = normal(&mut rng) * sigma * vn + vn * vn;
            if disable || standard_accept(m, &w, (vn * vn) as u128, zv as i128, &mut rng) {
                acc += 1;
                sum += zv / (sigma * vn);
            }
        }
        (f64::from(acc) / f64::from(trials), sum / f64::from(acc))
    }

    #[test]
    fn standard_acceptance_rate_is_one_over_m() {
        for &gamma in &[11.0f64, 20.0] {
            let n = 40_000;
            let m = ((2.0 * 129.0 * core::f64::consts::LN_2).sqrt() / gamma
                + 1.0 / (2.0 * gamma * gamma))
                .exp();
            let (rate, mean) = simulate_standard(gamma, n, false);
            let sd = (1.0 / m * (1.0 - 1.0 / m) / f64::from(n)).sqrt();
            assert!(
                (rate - 1.0 / m).abs() < 5.0 * sd,
                "γ {gamma}: rate {rate} vs {}",
                1.0 / m
            );
            // Accepted ⟨z,v⟩ is centred: the shift ‖v‖²/(σ‖v‖) = 1/γ has been removed.
            assert!(mean.abs() < 0.04, "γ {gamma}: mean {mean}");
        }
        // Without rejection the shift 1/γ is visible (the test above can fail).
        let (_, mean) = simulate_standard(11.0, 40_000, true);
        assert!(mean > 0.02, "{mean}");
    }

    #[test]
    fn bimodal_acceptance_rate_is_one_over_m() {
        let mut rng = ChaCha20Rng::from_seed([5; 32]);
        let (w, sigma) = width(1.55 * 2f64.powi(20));
        let gamma = 2.0f64;
        let m_val = (1.0 / (2.0 * gamma * gamma)).exp();
        let m = RejectionConstant::from_m(m_val).unwrap();
        let vn = sigma / gamma;
        let n = 40_000u32;
        let (mut acc, mut sum) = (0u32, 0.0);
        for _ in 0..n {
            let beta = if rng.next_u32() & 1 == 1 { 1.0 } else { -1.0 };
            let zv = normal(&mut rng) * sigma * vn + beta * vn * vn;
            if bimodal_accept(m, &w, (vn * vn) as u128, zv as i128, &mut rng) {
                acc += 1;
                sum += (zv / (sigma * vn)).powi(2);
            }
        }
        let rate = f64::from(acc) / f64::from(n);
        let sd = (1.0 / m_val * (1.0 - 1.0 / m_val) / f64::from(n)).sqrt();
        assert!(
            (rate - 1.0 / m_val).abs() < 5.0 * sd,
            "rate {rate} vs {}",
            1.0 / m_val
        );
        // Accepted ⟨z,v⟩/(σ‖v‖) is standard normal: second moment 1 (it would be 1 + 1/γ² = 1.25 without
        // rejection).
        let second = sum / f64::from(acc);
        assert!((second - 1.0).abs() < 0.05, "second moment {second}");
    }
}
