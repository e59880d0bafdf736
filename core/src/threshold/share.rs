//! Decryption shares with smudging noise (docs/THRESHOLD.md §3): member i's share of chunk j of a (summed)
//! ciphertext with first component c1 is d_{i,j} = s_{i,j}·c1 + E_{i,j} with E_{i,j} = X1 + 2^23·X2 ≈ D_σ^N,
//! σ from `plan::design`.
//!
//! The noise is the convolution of two constant-time discrete Gaussians (`ring::gaussian`; `plan::INNER_SIGMA`,
//! `plan::OUTER_SHIFT`): the base sampler stops at σ < 2^28 and σ here is ≈ 2^49. Each digit is resampled until
//! ‖X‖² ≤ ⌈1.44·σ_X²·N⌉ (`plan::share_noise_bound_sq`), the bounds the share proof enforces digit by digit.

use super::error::ThresholdError;
use super::plan::{DECRYPTIONS_PER_KEY, INNER_SIGMA, OUTER_SHIFT, Plan};
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
    inner_bound_sq: u128,
    outer_bound_sq: u128,
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
            inner_bound_sq: plan.inner_bound_sq,
            outer_bound_sq: plan.outer_bound_sq,
        })
    }

    /// The bounds (‖X1‖², ‖X2‖²) every sample meets.
    #[must_use]
    pub fn bounds_sq(&self) -> (u128, u128) {
        (self.inner_bound_sq, self.outer_bound_sq)
    }

    /// Samples both digits (X1, X2), each conditioned on its bound, and sets e = X1 + 2^23·X2.
    pub fn sample<M: Modulus, const N: usize, R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        digits: &mut [Poly<M, N>; 2],
        e: &mut Poly<M, N>,
    ) {
        Self::digit(&self.inner, self.inner_bound_sq, rng, &mut digits[0]);
        Self::digit(&self.outer, self.outer_bound_sq, rng, &mut digits[1]);
        let shift = M::from_i64(1 << OUTER_SHIFT);
        for ((o, &x1), &x2) in e
            .coeffs
            .iter_mut()
            .zip(digits[0].coeffs.iter())
            .zip(digits[1].coeffs.iter())
        {
            *o = M::add(x1, M::mul(shift, x2));
        }
    }

    /// out ← D^N conditioned on ‖out‖² ≤ `bound_sq`. Only the accept bit of a whole candidate is public (it
    /// fails with probability < 2^−300).
    fn digit<M: Modulus, const N: usize, R: CryptoRng + ?Sized>(
        sampler: &GaussianSampler,
        bound_sq: u128,
        rng: &mut R,
        out: &mut Poly<M, N>,
    ) {
        loop {
            let mut norm = 0u128;
            for c in out.coeffs.iter_mut() {
                let x = sampler.sample(rng);
                norm += (i128::from(x) * i128::from(x)) as u128;
                *c = M::from_i64(x);
            }
            let ok = norm <= bound_sq;
            norm.zeroize();
            if crate::ct::declassify_bool(ok) {
                return;
            }
        }
    }
}

/// A member's count of decryptions under its current key (docs/THRESHOLD.md §4.3): the smudging argument holds
/// for at most [`DECRYPTIONS_PER_KEY`] of them, so the member refuses the next one and the committee rotates the
/// key. The service persists the count with the key (and records each decryption in the member's ledger).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecryptionLedger {
    taken: u64,
}

impl DecryptionLedger {
    /// A ledger that has already recorded `taken` decryptions (0 for a fresh key).
    #[must_use]
    pub fn new(taken: u64) -> Self {
        Self { taken }
    }

    /// Decryptions recorded so far.
    #[must_use]
    pub fn taken(&self) -> u64 {
        self.taken
    }

    /// Records one more decryption.
    ///
    /// # Errors
    /// [`ThresholdError::KeyExhausted`] once [`DECRYPTIONS_PER_KEY`] were taken (nothing is recorded then).
    pub fn record(&mut self) -> Result<(), ThresholdError> {
        if self.taken >= DECRYPTIONS_PER_KEY {
            return Err(ThresholdError::KeyExhausted {
                limit: DECRYPTIONS_PER_KEY,
            });
        }
        self.taken += 1;
        Ok(())
    }
}

/// Scratch space of a member's share computation (keeps ~N·K words off the call stack of each chunk).
pub struct ShareMaker<P: ParamSet, const N: usize, const K: usize> {
    c1_ntt: NttPoly<N, K>,
    s_ntt: NttPoly<N, K>,
    s: Poly<P::M, N>,
    noise: Poly<P::M, N>,
    digits: [Poly<P::M, N>; 2],
}

impl<P: ParamSet, const N: usize, const K: usize> core::fmt::Debug for ShareMaker<P, N, K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("ShareMaker { .. }")
    }
}

impl<P: ParamSet, const N: usize, const K: usize> ShareMaker<P, N, K> {
    /// Prepares the shares of a ciphertext with first component `c1` (transformed once), recording the
    /// decryption in the member's `ledger` first.
    ///
    /// # Errors
    /// [`ThresholdError::KeyExhausted`] when the key's decryption budget is spent.
    pub fn new(c1: &Poly<P::M, N>, ledger: &mut DecryptionLedger) -> Result<Self, ThresholdError> {
        const { check_params::<P, N, K>() };
        ledger.record()?;
        Ok(Self {
            c1_ntt: NttPoly::from_poly(c1),
            s_ntt: NttPoly::zero(),
            s: Poly::zero(),
            noise: Poly::zero(),
            digits: [Poly::zero(), Poly::zero()],
        })
    }

    /// d_{i,j} = s_{i,j}·c1 + E_{i,j} into `out`; the noise stays inside (overwritten by the next call, wiped on
    /// drop) unless the share proof asks for it through [`ShareMaker::last_noise`] / [`ShareMaker::last_digits`].
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
        smudger.sample(rng, &mut self.digits, &mut self.noise);
        out.add_assign(&self.noise);
        self.s.zeroize();
        self.s_ntt.zeroize();
    }

    /// E_{i,j} of the last share (witness of the share proof).
    pub fn last_noise(&self) -> &Poly<P::M, N> {
        &self.noise
    }

    /// The digits (X1, X2) of the last share's noise, E = X1 + 2^23·X2 (witnesses of the share proof).
    pub fn last_digits(&self) -> &[Poly<P::M, N>; 2] {
        &self.digits
    }
}

impl<P: ParamSet, const N: usize, const K: usize> Drop for ShareMaker<P, N, K> {
    fn drop(&mut self) {
        self.s.zeroize();
        self.s_ntt.zeroize();
        self.noise.zeroize();
        self.digits[0].zeroize();
        self.digits[1].zeroize();
    }
}
