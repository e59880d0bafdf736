//! Decryption shares with smudging noise (docs/THRESHOLD.md §3): member i's share of chunk j of a (summed)
//! ciphertext with first component c1 is d_{i,j} = s_{i,j}·c1 + E_{i,j}, E_{i,j} ← D_σ^N with σ from
//! `plan::design`, resampled until ‖E_{i,j}‖² ≤ ⌈1.44·σ²·N⌉ (the bound the share proof enforces).
//!
//! The noise is the convolution X1 + 2^23·X2 of two constant-time discrete Gaussians (`ring::gaussian`;
//! `plan::INNER_SIGMA`, `plan::OUTER_SHIFT`): the base sampler stops at σ < 2^28 and σ here is ≈ 2^49.

use super::error::ThresholdError;
use super::plan::{INNER_SIGMA, OUTER_SHIFT, Plan};
use crate::arith::Modulus;
use crate::bfv::SecretKey;
use crate::bfv::keys::check_params;
use crate::params::ParamSet;
use crate::ring::gaussian::GaussianSampler;
use crate::ring::{NttPoly, Poly};
use rand_core::CryptoRng;
use zeroize::Zeroize;

/// The smudging-noise sampler of one committee design.
#[derive(Clone, Debug)]
pub struct Smudger {
    inner: GaussianSampler,
    outer: GaussianSampler,
    bound_sq: u128,
}

impl Smudger {
    /// The sampler of `plan` (public parameters).
    ///
    /// # Errors
    /// [`ThresholdError::Plan`] if the plan's outer width is outside the base sampler's range.
    pub fn new(plan: &Plan) -> Result<Self, ThresholdError> {
        let bad = super::plan::PlanError::NoRoom;
        let inner = GaussianSampler::new(INNER_SIGMA << 32).map_err(|_| bad)?;
        let outer = GaussianSampler::new(plan.outer_sigma << 32).map_err(|_| bad)?;
        Ok(Self {
            inner,
            outer,
            bound_sq: plan.share_bound_sq,
        })
    }

    /// The bound on ‖E‖² every sample meets.
    #[must_use]
    pub fn bound_sq(&self) -> u128 {
        self.bound_sq
    }

    /// out = E with E ← (D_σ)^N conditioned on ‖E‖² ≤ bound. Only the accept bit of a whole candidate is
    /// public (it fails with probability < 2^−300).
    pub fn sample<M: Modulus, const N: usize, R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        out: &mut Poly<M, N>,
    ) {
        loop {
            let mut norm = 0u128;
            for c in out.coeffs.iter_mut() {
                let x = self.inner.sample(rng) + (self.outer.sample(rng) << OUTER_SHIFT);
                norm += (i128::from(x) * i128::from(x)) as u128;
                *c = M::from_i64(x);
            }
            let ok = norm <= self.bound_sq;
            norm.zeroize();
            if crate::ct::declassify_bool(ok) {
                return;
            }
        }
    }
}

/// Scratch space of a member's share computation (keeps ~N·K words off the call stack of each chunk).
pub struct ShareMaker<P: ParamSet, const N: usize, const K: usize> {
    c1_ntt: NttPoly<N, K>,
    s_ntt: NttPoly<N, K>,
    s: Poly<P::M, N>,
    noise: Poly<P::M, N>,
}

impl<P: ParamSet, const N: usize, const K: usize> core::fmt::Debug for ShareMaker<P, N, K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ShareMaker { .. }")
    }
}

impl<P: ParamSet, const N: usize, const K: usize> ShareMaker<P, N, K> {
    /// Prepares the shares of a ciphertext with first component `c1` (transformed once).
    pub fn new(c1: &Poly<P::M, N>) -> Self {
        const { check_params::<P, N, K>() };
        Self {
            c1_ntt: NttPoly::from_poly(c1),
            s_ntt: NttPoly::zero(),
            s: Poly::zero(),
            noise: Poly::zero(),
        }
    }

    /// d_{i,j} = s_{i,j}·c1 + E_{i,j} into `out`; the noise E_{i,j} stays inside (wiped on the next call and on
    /// drop) unless the share proof asks for it through [`ShareMaker::last_noise`].
    pub fn share<R: CryptoRng + ?Sized>(
        &mut self,
        key: &SecretKey<P, N>,
        j: usize,
        smudger: &Smudger,
        rng: &mut R,
        out: &mut Poly<P::M, N>,
    ) {
        key.secret_chunk(j, &mut self.s);
        self.s_ntt.set_from_poly(&self.s);
        self.s_ntt.mul_assign(&self.c1_ntt);
        self.s_ntt.inverse_into(out);
        smudger.sample(rng, &mut self.noise);
        out.add_assign(&self.noise);
        self.s.zeroize();
        self.s_ntt.zeroize();
    }

    /// E_{i,j} of the last share (witness of the share proof).
    pub fn last_noise(&self) -> &Poly<P::M, N> {
        &self.noise
    }
}

impl<P: ParamSet, const N: usize, const K: usize> Drop for ShareMaker<P, N, K> {
    fn drop(&mut self) {
        self.s.zeroize();
        self.s_ntt.zeroize();
        self.noise.zeroize();
    }
}
