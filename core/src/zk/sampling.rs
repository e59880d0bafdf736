//! Masks and rejection decisions of the prover (docs/PROTOCOL.md §6 steps 2 and 5, §11): the constant-time
//! discrete Gaussian sampler of `ring::gaussian` at the three widths σ_m, σ_s, σ₃, fed by SHAKE256 streams
//! keyed with the secret mask seed (so every mask block can be regenerated), and the fixed-point rejection
//! tests of `zk::reject`. Only the accept bits become public.
//!
//! A width at or above the base sampler's limit 2^28 (the threshold share proof's σ_m ≈ 2^43.8 and
//! σ₃ ≈ 2^38.7, docs/THRESHOLD.md §6.2 item 3) is sampled as the convolution x + 2^k·y of two base samples
//! ([`Convolution`]): x ← D_{σ_s} (the same proof's σ_s sampler) and y ← D_{σ2}. The norm proof's widths are
//! all below 2^28 and keep the single base sample (the same bytes as before the convolution existed).

use super::params::ZkConsts;
use super::reject::{InvTwoSigmaSq, RejectionConstant, StandardTest, bimodal_accept};
use crate::arith::cast::fit_u64;
use crate::arith::isqrt::{ceil_sqrt, floor_sqrt};
use crate::ring::fixed::SigmaOutOfRange;
use crate::ring::gaussian::{GaussianSampler, XofRng};
use shake::Shake256Reader;

/// The base sampler takes σ < 2^28 (`ring::gaussian`); a declared width at or above it is a [`Convolution`].
pub const BASE_SIGMA_LIMIT: u64 = 1 << 28;

/// Bits of the outer width of a convolution: k is chosen so that σ2 < 2^27 (and ≥ 2^25 for σ ≥ 2^28).
pub const OUTER_BITS: u32 = 27;

/// η_ε(Z) for ε = 2^−128 as 54/10 (√(ln(2 + 2/ε)/π) = 5.35, rounded up; `threshold::plan::SMOOTHING_Z`).
const SMOOTHING_TENTHS: u128 = 54;

/// A mask width σ ≥ 2^28 sampled as x + 2^k·y, x ← D_{σ1}, y ← D_{σ2}, both base samples (σ1, σ2 < 2^28).
/// By the convolution lemma (Micciancio–Walter, CRYPTO 2017, coefficient vector (1, 2^k)) the sum is within
/// statistical distance 2^−128 of D_σ with σ² = σ1² + 4^k·σ2² when both σ1 and σ2 are at least
/// √2·2^k·η_ε(Z) ([`Convolution::lemma_ok`]). The rejection tests use this exact integer σ² (never the
/// declared width), so the mask law and the rejection agree.
///
/// Declared widths are integers (`ZkConsts`); [`Convolution::of`] maps one to (k, σ2) with
/// k = bitlen(σ) − 27 and σ2 = ⌊√(σ² − σ1²)/2^k⌋, so σ_exact ≤ σ_declared < σ_exact + 1 for a declared width
/// made by [`Convolution::reaching`] (the public bounds and wire widths use the declared one, an upper bound).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Convolution {
    /// k.
    pub shift: u32,
    /// σ1 (integer).
    pub inner: u64,
    /// σ2 (integer).
    pub outer: u64,
}

impl Convolution {
    /// The convolution of a declared width `sigma` ≥ 2^28 with inner width `inner`; `None` for a width the
    /// base sampler takes directly or when σ2 would not fit the base sampler.
    #[must_use]
    pub const fn of(sigma: u64, inner: u64) -> Option<Self> {
        if sigma < BASE_SIGMA_LIMIT || inner == 0 || inner >= BASE_SIGMA_LIMIT || inner >= sigma {
            return None;
        }
        let shift = (64 - sigma.leading_zeros()) - OUTER_BITS;
        let rest = (sigma as u128) * (sigma as u128) - (inner as u128) * (inner as u128);
        let outer = fit_u64(floor_sqrt(rest) >> shift);
        if outer == 0 || outer >= BASE_SIGMA_LIMIT {
            return None;
        }
        Some(Self {
            shift,
            inner,
            outer,
        })
    }

    /// The smallest declared width whose convolution (inner width `inner`) has σ² ≥ `min_sq`:
    /// σ2 = ⌈√(min − σ1²)/2^k⌉, declared = ⌈√(σ1² + 4^k·σ2²)⌉ (checked to map back to the same σ2).
    #[must_use]
    pub const fn reaching(min_sq: u128, inner: u64) -> Option<u64> {
        let min = ceil_sqrt(min_sq);
        if min < BASE_SIGMA_LIMIT as u128 || min >= 1 << 63 {
            return None;
        }
        let shift = (128 - min.leading_zeros()) - OUTER_BITS;
        let i2 = (inner as u128) * (inner as u128);
        if i2 >= min_sq {
            return None;
        }
        let outer = ceil_sqrt(min_sq - i2).div_ceil(1 << shift);
        let exact = i2 + (outer << shift) * (outer << shift);
        let declared = fit_u64(ceil_sqrt(exact));
        match Self::of(declared, inner) {
            Some(c) if c.sigma_sq() == exact => Some(declared),
            _ => None,
        }
    }

    /// σ² = σ1² + 4^k·σ2² (exact).
    #[must_use]
    pub const fn sigma_sq(&self) -> u128 {
        let o = (self.outer as u128) << self.shift;
        (self.inner as u128) * (self.inner as u128) + o * o
    }

    /// Both widths meet the lemma's condition σ_i ≥ √2·2^k·η_ε(Z), i.e. 100·σ_i² ≥ 2·4^k·54².
    #[must_use]
    pub const fn lemma_ok(&self) -> bool {
        let need = 2 * (1u128 << (2 * self.shift)) * SMOOTHING_TENTHS * SMOOTHING_TENTHS;
        let (i, o) = (self.inner as u128, self.outer as u128);
        100 * i * i >= need && 100 * o * o >= need
    }
}

/// M of the joint standard rejection at γ = 20: exp(√(2·129·ln 2)/γ + 1/(2γ²)) = 1.9539… (PROTOCOL §3),
/// rounded up.
pub const M_STANDARD: f64 = 1.954;
/// M₃ of the bimodal rejection at γ₃ = √2 (σ₃ = √2·‖R·s3‖_max over the 512 JL rows): exp(1/4), rounded up.
pub const M_BIMODAL: f64 = 1.284_025_416_687_742;

/// Which width a mask block uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// σ_m (m blocks of y1).
    M,
    /// σ_s (u and υ blocks of y1, all of y2).
    S,
    /// σ₃ (the JL mask y3).
    Three,
}

/// The three samplers and rejection widths of one parameter set (public tables, built once per proof).
pub struct Masks {
    m: GaussianSampler,
    s: GaussianSampler,
    three: GaussianSampler,
    /// k of the σ_m and σ₃ convolutions (0: a single base sample; `m`, `three` are then D_σ itself, else
    /// the outer D_{σ2}, with `s` as the inner sampler).
    shift_m: u32,
    shift_3: u32,
    inv_m: InvTwoSigmaSq,
    inv_s: InvTwoSigmaSq,
    inv_3: InvTwoSigmaSq,
}

/// A width outside the sampler's range (a parameter bug; asserted by tests for both sets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadWidth;

impl From<SigmaOutOfRange> for BadWidth {
    fn from(_: SigmaOutOfRange) -> Self {
        Self
    }
}

/// The sampler, rejection width and shift of a declared width σ: a base sampler for σ < 2^28 (shift 0,
/// exactly as before convolutions existed), else the outer sampler of [`Convolution::of`] with the exact σ²
/// of the convolution for the rejection; the lemma's condition must hold.
fn wide(sigma: u64, inner: u64) -> Result<(GaussianSampler, InvTwoSigmaSq, u32), BadWidth> {
    if sigma < BASE_SIGMA_LIMIT {
        return Ok((
            GaussianSampler::new(sigma << 32)?,
            InvTwoSigmaSq::new(sigma << 32)?,
            0,
        ));
    }
    let c = Convolution::of(sigma, inner).ok_or(BadWidth)?;
    if !c.lemma_ok() {
        return Err(BadWidth);
    }
    Ok((
        GaussianSampler::new(c.outer << 32)?,
        InvTwoSigmaSq::from_sigma_sq(c.sigma_sq())?,
        c.shift,
    ))
}

impl Masks {
    /// Samplers for the widths of `zk` (integers σ, converted to Q32.32 exactly; widths ≥ 2^28 as a
    /// [`Convolution`] with σ_s as the inner width).
    pub fn new(zk: &ZkConsts) -> Result<Self, BadWidth> {
        let (m, inv_m, shift_m) = wide(zk.sigma_m, zk.sigma_s)?;
        let (three, inv_3, shift_3) = wide(zk.sigma3, zk.sigma_s)?;
        Ok(Self {
            m,
            s: GaussianSampler::new(zk.sigma_s << 32).map_err(|_| BadWidth)?,
            three,
            shift_m,
            shift_3,
            inv_m,
            inv_s: InvTwoSigmaSq::new(zk.sigma_s << 32).map_err(|_| BadWidth)?,
            inv_3,
        })
    }

    /// Bits b with |y| < 2^b for every y1 mask value (widths σ_m and σ_s; bit length of the larger
    /// tail cut, which the sampler never exceeds; for a convolution x + 2^k·y the sum of both cuts).
    #[must_use]
    pub fn y1_bits(&self) -> u32 {
        let m = self.s.tail_bound() * u64::from(self.shift_m != 0)
            + (self.m.tail_bound() << self.shift_m);
        let t = m.max(self.s.tail_bound());
        u64::BITS - t.leading_zeros()
    }

    /// Fills `out` with D_σ samples from the secret stream `rd`.
    pub fn fill(&self, w: Width, rd: Shake256Reader, out: &mut [i64]) {
        let mut rng = XofRng::new(rd);
        match w {
            Width::M => self.fill_wide(&self.m, self.shift_m, &mut rng, out),
            Width::S => self.s.fill(&mut rng, out),
            Width::Three => self.fill_wide(&self.three, self.shift_3, &mut rng, out),
        }
    }

    /// One base sample per value (k = 0), or x + 2^k·y with x from the σ_s sampler and y from `outer`
    /// (inner first, then outer, per value; constant time per candidate as the base sampler).
    fn fill_wide(
        &self,
        outer: &GaussianSampler,
        shift: u32,
        rng: &mut XofRng<Shake256Reader>,
        out: &mut [i64],
    ) {
        if shift == 0 {
            outer.fill(rng, out);
            return;
        }
        for x in out {
            let inner = self.s.sample(rng);
            *x = inner + (outer.sample(rng) << shift);
        }
    }

    /// Joint standard rejection over the two width classes (statistics [m, s]).
    ///
    /// M is converted at each decision rather than stored (the prover's state did not grow when the
    /// convolution shifts were added); it is in [1, 256), so the conversion succeeds (test
    /// `rejection_constants_convert`), and a failure would only reject.
    #[must_use]
    pub fn accept_standard(&self, coin: Shake256Reader, v_sq: [u128; 2], zv: [i128; 2]) -> bool {
        let Ok(m) = RejectionConstant::from_m(M_STANDARD) else {
            return false;
        };
        let mut t = StandardTest::new(m);
        t.add_block(&self.inv_m, v_sq[0], zv[0]);
        t.add_block(&self.inv_s, v_sq[1], zv[1]);
        t.decide(&mut XofRng::new(coin))
    }

    /// Bimodal rejection of the JL response.
    #[must_use]
    pub fn accept_bimodal(&self, coin: Shake256Reader, v_sq: u128, zv: i128) -> bool {
        let Ok(m) = RejectionConstant::from_m(M_BIMODAL) else {
            return false;
        };
        bimodal_accept(m, &self.inv_3, v_sq, zv, &mut XofRng::new(coin))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::zk::derive::xof256;
    use crate::zk::params::{ZK_L, ZK_S, ZK_XL};

    /// The norm proof's widths are all below 2^28: single base samples, as before convolutions existed.
    #[test]
    fn norm_proof_widths_are_base_samples() {
        for zk in [ZK_S, ZK_L, ZK_XL] {
            let m = Masks::new(&zk).unwrap();
            assert_eq!((m.shift_m, m.shift_3), (0, 0));
            assert!(Convolution::of(zk.sigma_m, zk.sigma_s).is_none());
        }
    }

    /// Widths at the share proof's scale (σ_m ≈ 2^43.8, σ₃ ≈ 2^38.7 with σ_s ≈ 2^24): the declared width
    /// made by `reaching` maps back to the same convolution, its exact σ is within 1 below the declared
    /// one and at least the requested minimum, and the lemma holds; a width too wide for the inner
    /// sampler fails it.
    #[test]
    fn convolution_widths_round_trip_and_meet_the_lemma() {
        let inner = 16_759_371u64;
        for min in [
            15_472_150_750_974u128,
            454_848_162_525,
            1 << 28,
            (1 << 40) - 1,
        ] {
            let d = Convolution::reaching(min * min, inner).unwrap();
            let c = Convolution::of(d, inner).unwrap();
            let (d2, ex) = (u128::from(d) * u128::from(d), c.sigma_sq());
            assert!(
                ex >= min * min && ex <= d2 && d2 - ex < 2 * u128::from(d),
                "{min}: {c:?}"
            );
            assert!(c.lemma_ok(), "{c:?}");
            assert!(c.outer >= 1 << 25 && c.outer < 1 << 27, "{c:?}");
        }
        // k = bitlen(σ) − 27 grows with σ: at σ ≈ 2^52 the inner 2^24 is below √2·2^25·5.4.
        let c = Convolution::of(1 << 52, inner).unwrap();
        assert!(!c.lemma_ok());
        assert!(Convolution::of(1 << 27, inner).is_none());
    }

    /// The convolution's samples have the exact σ² (empirical variance within 3 %), and the rejection
    /// width of a wide mask is the convolution's exact σ².
    #[test]
    fn wide_masks_have_the_convolution_variance() {
        let inner = 16_759_371u64;
        let sigma3 = Convolution::reaching(454_848_162_525u128.pow(2), inner).unwrap();
        let sigma_m = Convolution::reaching(15_472_150_750_974u128.pow(2), inner).unwrap();
        let zk = ZkConsts {
            sigma3,
            sigma_m,
            sigma_s: inner,
            ..ZK_L
        };
        let masks = Masks::new(&zk).unwrap();
        assert!(masks.shift_m > 0 && masks.shift_3 > 0);
        let c = Convolution::of(sigma_m, inner).unwrap();
        assert_eq!(
            masks.inv_m,
            InvTwoSigmaSq::from_sigma_sq(c.sigma_sq()).unwrap()
        );
        let mut out = [0i64; 4096];
        masks.fill(Width::M, xof256(b"test", &[7; 32], &[1]), &mut out);
        let var = out.iter().map(|&x| (x as f64).powi(2)).sum::<f64>() / out.len() as f64;
        let ratio = var / c.sigma_sq() as f64;
        assert!((0.97..1.03).contains(&ratio), "variance ratio {ratio}");
        let bits = masks.y1_bits();
        assert!(
            out.iter().all(|&x| x.unsigned_abs() < 1 << bits) && bits <= 49,
            "{bits}"
        );
    }

    /// The prover state holds one `Masks`: with the two shifts in and the two rejection constants out, it
    /// is no larger than the fields it had before convolutions existed.
    #[test]
    fn masks_size() {
        use core::mem::size_of;
        let before = 3 * size_of::<GaussianSampler>()
            + 3 * size_of::<InvTwoSigmaSq>()
            + 2 * size_of::<RejectionConstant>();
        std::eprintln!(
            "Masks: {} B (fields before: {before} B)",
            size_of::<Masks>()
        );
        assert!(size_of::<Masks>() <= before);
    }

    #[test]
    fn rejection_constants_convert() {
        assert!(RejectionConstant::from_m(M_STANDARD).is_ok());
        assert!(RejectionConstant::from_m(M_BIMODAL).is_ok());
    }
}
