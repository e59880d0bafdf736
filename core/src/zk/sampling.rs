//! Masks and rejection decisions of the prover (docs/PROTOCOL.md §6 steps 2 and 5, §11): the constant-time
//! discrete Gaussian sampler of `ring::gaussian` at the three widths σ_m, σ_s, σ₃, fed by SHAKE256 streams
//! keyed with the secret mask seed (so every mask block can be regenerated), and the fixed-point rejection
//! tests of `zk::reject`. Only the accept bits become public.

use super::params::ZkConsts;
use super::reject::{InvTwoSigmaSq, RejectionConstant, StandardTest, bimodal_accept};
use crate::ring::gaussian::{GaussianSampler, XofRng};
use shake::Shake256Reader;

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
    inv_m: InvTwoSigmaSq,
    inv_s: InvTwoSigmaSq,
    inv_3: InvTwoSigmaSq,
    m_std: RejectionConstant,
    m_bi: RejectionConstant,
}

/// A width outside the sampler's range (a parameter bug; asserted by tests for both sets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadWidth;

impl Masks {
    /// Samplers for the widths of `zk` (integers σ, converted to Q32.32 exactly).
    pub fn new(zk: &ZkConsts) -> Result<Self, BadWidth> {
        let q32 = |s: u64| s << 32;
        Ok(Self {
            m: GaussianSampler::new(q32(zk.sigma_m)).map_err(|_| BadWidth)?,
            s: GaussianSampler::new(q32(zk.sigma_s)).map_err(|_| BadWidth)?,
            three: GaussianSampler::new(q32(zk.sigma3)).map_err(|_| BadWidth)?,
            inv_m: InvTwoSigmaSq::new(q32(zk.sigma_m)).map_err(|_| BadWidth)?,
            inv_s: InvTwoSigmaSq::new(q32(zk.sigma_s)).map_err(|_| BadWidth)?,
            inv_3: InvTwoSigmaSq::new(q32(zk.sigma3)).map_err(|_| BadWidth)?,
            m_std: RejectionConstant::from_m(M_STANDARD).map_err(|_| BadWidth)?,
            m_bi: RejectionConstant::from_m(M_BIMODAL).map_err(|_| BadWidth)?,
        })
    }

    /// Bits b with |y| < 2^b for every y1 mask value (widths σ_m and σ_s; bit length of the larger
    /// tail cut, which the sampler never exceeds).
    pub fn y1_bits(&self) -> u32 {
        let t = self.m.tail_bound().max(self.s.tail_bound());
        u64::BITS - t.leading_zeros()
    }

    /// Fills `out` with D_σ samples from the secret stream `rd`.
    pub fn fill(&self, w: Width, rd: Shake256Reader, out: &mut [i64]) {
        let mut rng = XofRng::new(rd);
        match w {
            Width::M => self.m.fill(&mut rng, out),
            Width::S => self.s.fill(&mut rng, out),
            Width::Three => self.three.fill(&mut rng, out),
        }
    }

    /// Joint standard rejection over the two width classes (statistics [m, s]).
    pub fn accept_standard(&self, coin: Shake256Reader, v_sq: [u128; 2], zv: [i128; 2]) -> bool {
        let mut t = StandardTest::new(self.m_std);
        t.add_block(&self.inv_m, v_sq[0], zv[0]);
        t.add_block(&self.inv_s, v_sq[1], zv[1]);
        t.decide(&mut XofRng::new(coin))
    }

    /// Bimodal rejection of the JL response.
    pub fn accept_bimodal(&self, coin: Shake256Reader, v_sq: u128, zv: i128) -> bool {
        bimodal_accept(self.m_bi, &self.inv_3, v_sq, zv, &mut XofRng::new(coin))
    }
}
