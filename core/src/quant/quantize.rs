//! Clip, scale and round (docs/QUANT.md §1–2). Two entry points: [`Quantizer::quantize`] for a whole update in
//! memory and [`Quantizer::quantize_chunk`] for streaming one plaintext chunk at a time (microcontrollers).

use super::{QuantError, Quantizer};

/// The multiplier S·c applied to every coordinate of one update, c = min(1, τ/‖d‖₂).
/// Computed once per update by [`Quantizer::clip_factor`] (one pass), then used for every chunk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipFactor(f64);

impl ClipFactor {
    /// S·c.
    #[must_use]
    pub const fn multiplier(self) -> f64 {
        self.0
    }

    /// One quantized coordinate: round(S·c·d), ties away from zero (the rule of every entry point).
    #[must_use]
    pub fn quantize(self, d: f32) -> i64 {
        round_half_away(self.0 * f64::from(d))
    }
}

/// ‖d‖₂² of a float update accumulated piece by piece (f64, exact squares of f32, in coordinate order), for a
/// device that reads its update from storage a few values at a time; [`Quantizer::clip_factor_of`] turns it
/// into the clip factor, bit for bit the one [`Quantizer::clip_factor`] computes from the whole slice.
#[derive(Clone, Copy, Debug)]
pub struct SquareSum {
    sum: f64,
    finite: bool,
    count: usize,
}

impl Default for SquareSum {
    fn default() -> Self {
        Self {
            sum: 0.0,
            finite: true,
            count: 0,
        }
    }
}

impl SquareSum {
    /// Adds the next coordinates.
    pub fn add(&mut self, xs: &[f32]) {
        for &x in xs {
            self.finite &= x.is_finite();
            self.sum += f64::from(x) * f64::from(x);
        }
        self.count += xs.len();
    }
}

/// Nearest integer, ties away from zero, without a data-dependent branch: x + copysign(1/2 − 2^-54, x)
/// truncated toward zero (the 2^-54 keeps 1/2 − 2^-54 from rounding up to 1). Exact for |x| < 2^52; callers
/// only pass |x| < 2^31.
#[inline]
fn round_half_away(x: f64) -> i64 {
    let half = libm::copysign(0.5 - 0.25 * f64::EPSILON, x);
    // |x| < 2^31 − 1 (x ≤ ‖x‖ < B_int ≤ i32::MAX), so truncation is the intended conversion.
    #[allow(clippy::cast_possible_truncation)]
    let m = (x + half) as i64;
    m
}

/// ‖m‖₂² exactly, in integer arithmetic: each square < 2^126 fits u128, and the sum saturates at u128::MAX
/// (unreachable for quantized updates: |m_i| < 2^31 and at most 2^24 terms).
#[must_use]
pub fn norm_sq(m: &[i64]) -> u128 {
    m.iter().fold(0u128, |acc, &v| {
        acc.saturating_add(u128::from(v.unsigned_abs()).pow(2))
    })
}

impl Quantizer {
    /// The clip factor of `update` (length must be P). ‖d‖² is accumulated in f64 (exact squares of f32).
    ///
    /// # Errors
    /// [`QuantError::LengthMismatch`], [`QuantError::NonFinite`].
    pub fn clip_factor(&self, update: &[f32]) -> Result<ClipFactor, QuantError> {
        let mut s = SquareSum::default();
        s.add(update);
        self.clip_factor_of(&s)
    }

    /// The clip factor from ‖d‖² accumulated elsewhere ([`SquareSum`] over all P coordinates).
    ///
    /// # Errors
    /// [`QuantError::LengthMismatch`] unless exactly P coordinates were added, [`QuantError::NonFinite`].
    pub fn clip_factor_of(&self, s: &SquareSum) -> Result<ClipFactor, QuantError> {
        if s.count != self.params {
            return Err(QuantError::LengthMismatch {
                expected: self.params,
                got: s.count,
            });
        }
        if !s.finite {
            return Err(QuantError::NonFinite);
        }
        // ‖d‖ = 0 gives τ/0 = +∞ and min picks 1.
        Ok(ClipFactor(
            self.scale * (self.norm_bound / libm::sqrt(s.sum)).min(1.0),
        ))
    }

    /// Quantizes chunk `chunk` of `update` into `out` (whose length is the ring degree N): coefficient i is
    /// round(S·c·d_{chunk·N + i}), and coordinates past P are zero padding. Returns ‖chunk‖₂²; the caller sums
    /// these to get ‖m‖², which is ≤ B_int² by construction.
    ///
    /// # Errors
    /// [`QuantError::LengthMismatch`], [`QuantError::ChunkOutOfRange`] (also for an empty `out`).
    pub fn quantize_chunk(
        &self,
        update: &[f32],
        factor: ClipFactor,
        chunk: usize,
        out: &mut [i64],
    ) -> Result<u128, QuantError> {
        if update.len() != self.params {
            return Err(QuantError::LengthMismatch {
                expected: self.params,
                got: update.len(),
            });
        }
        let n = out.len();
        let start = chunk
            .checked_mul(n)
            .filter(|&s| n > 0 && s < self.params)
            .ok_or(QuantError::ChunkOutOfRange)?;
        let src = update
            .get(start..self.params.min(start + n))
            .ok_or(QuantError::ChunkOutOfRange)?;
        let (head, pad) = out.split_at_mut(src.len());
        for (o, &d) in head.iter_mut().zip(src) {
            *o = factor.quantize(d);
        }
        pad.fill(0);
        Ok(norm_sq(head))
    }

    /// Quantizes the whole update into `out` (length ≥ P, typically L·N: chunk j is `out[j·N..(j+1)·N]`);
    /// `out[P..]` is zeroed. Returns ‖m‖₂², checked against B_int² in integers.
    ///
    /// # Errors
    /// [`QuantError::LengthMismatch`], [`QuantError::BufferTooShort`], [`QuantError::NonFinite`],
    /// [`QuantError::NormExceeded`] (unreachable by the margin of `b_int`, reported rather than trusted).
    pub fn quantize(&self, update: &[f32], out: &mut [i64]) -> Result<u128, QuantError> {
        let factor = self.clip_factor(update)?;
        if out.len() < self.params {
            return Err(QuantError::BufferTooShort);
        }
        let (head, pad) = out.split_at_mut(self.params);
        for (o, &d) in head.iter_mut().zip(update) {
            *o = factor.quantize(d);
        }
        pad.fill(0);
        let n2 = norm_sq(head);
        if n2 > u128::from(self.b_int).pow(2) {
            return Err(QuantError::NormExceeded);
        }
        Ok(n2)
    }
}

#[cfg(test)]
pub(super) fn round_for_tests(x: f64) -> i64 {
    round_half_away(x)
}
