//! Clipping and quantization of a float update to bounded integers, and de-quantization of the aggregate
//! (docs/QUANT.md; docs/API.md).
//!
//! A clinic's update d ∈ R^P is clipped to ‖d‖₂ ≤ τ, scaled by S and rounded to the nearest integer (ties away
//! from zero): m = round(S·c·d), c = min(1, τ/‖d‖). Rounding moves every coordinate by at most 1/2, so
//! ‖m‖ ≤ S·τ + √P/2; [`b_int`] turns that into an exact integer bound B_int, which is what the proof enforces.
//! m is packed into L = ⌈P/N⌉ plaintext chunks of N coefficients (coordinate j·N + i is coefficient i of chunk j;
//! the padding of the last chunk is zero). The aggregator de-quantizes the decrypted sum (mod t, centred) by
//! dividing by S·K.
//!
//! No heap: everything works on caller slices.

mod dequantize;
mod quantize;

pub use dequantize::dequantize;
pub use quantize::{ClipFactor, SquareSum, norm_sq};

use core::fmt;

use crate::arith::cast::f64_of_u64;

/// Largest parameter count accepted (2^24): keeps every f64 error term below the margin of [`b_int`].
pub const MAX_PARAMS: usize = 1 << 24;

/// Largest B_int representable: quantized coordinates fit `i32` (|m_i| ≤ ‖m‖ ≤ B_int), though stored as `i64` like BFV plaintexts.
pub const MAX_B_INT: u64 = i32::MAX as u64;

/// Relative margin on S·τ in [`b_int`], covering every f64 rounding error of the clip and scale steps
/// (at most about (P + 8)·2^-53 ≤ 2^-28 relative for P ≤ 2^24).
const SCALE_MARGIN: f64 = 1.0 / f64_of_u64(1 << 26);

/// Errors of quantization and de-quantization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuantError {
    /// The clip bound τ is not a positive finite number.
    InvalidNormBound,
    /// The scale S is not a positive finite number.
    InvalidScale,
    /// The parameter count is 0 or above [`MAX_PARAMS`].
    InvalidParams,
    /// S·τ + √P/2 does not fit in [`MAX_B_INT`].
    BoundOverflow,
    /// The update has another length than the quantizer's parameter count.
    LengthMismatch {
        /// Expected length.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// The output buffer is too short (whole update: L·N, one chunk: N).
    BufferTooShort,
    /// The update contains NaN or an infinity.
    NonFinite,
    /// The chunk index is not below the chunk count.
    ChunkOutOfRange,
    /// Norm check failed after rounding (cannot happen by the margin of [`b_int`]; kept as a typed error
    /// rather than a panic).
    NormExceeded,
    /// De-quantization: the plaintext modulus is 0 or even, a coefficient is ≥ t, or the clinic count is 0.
    InvalidAggregate,
}

impl fmt::Display for QuantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidNormBound => {
                write!(f, "the norm bound τ must be a positive finite number")
            }
            Self::InvalidScale => {
                write!(f, "the quantization scale must be a positive finite number")
            }
            Self::InvalidParams => {
                write!(f, "the parameter count must be between 1 and {MAX_PARAMS}")
            }
            Self::BoundOverflow => write!(f, "scale × clip bound is too large for 32-bit integers"),
            Self::LengthMismatch { expected, got } => {
                write!(f, "update has {got} parameters, expected {expected}")
            }
            Self::BufferTooShort => write!(f, "output buffer too short"),
            Self::NonFinite => write!(f, "update contains NaN or infinity"),
            Self::ChunkOutOfRange => write!(f, "chunk index out of range"),
            Self::NormExceeded => write!(f, "quantized norm exceeds B_int (internal error)"),
            Self::InvalidAggregate => {
                write!(f, "aggregate is not a sum of updates modulo an odd t")
            }
        }
    }
}

impl core::error::Error for QuantError {}

/// B_int = ⌈S·τ·(1 + 2^-26) + √P/2⌉ + 1: an integer with ‖m‖ ≤ B_int for every update the quantizer produces
/// (docs/QUANT.md §2). The margin covers the floating-point error of clipping and scaling; the +1 covers the
/// rounding of this very computation.
///
/// # Errors
/// [`QuantError::InvalidNormBound`], [`QuantError::InvalidScale`], [`QuantError::InvalidParams`],
/// [`QuantError::BoundOverflow`].
pub fn b_int(norm_bound: f64, scale: f64, params: usize) -> Result<u64, QuantError> {
    if !(norm_bound.is_finite() && norm_bound > 0.0) {
        return Err(QuantError::InvalidNormBound);
    }
    if !(scale.is_finite() && scale > 0.0) {
        return Err(QuantError::InvalidScale);
    }
    if params == 0 || params > MAX_PARAMS {
        return Err(QuantError::InvalidParams);
    }
    #[allow(clippy::cast_precision_loss)] // params ≤ 2^24 is exact in f64
    let bound = scale * norm_bound * (1.0 + SCALE_MARGIN) + libm::sqrt(params as f64) / 2.0;
    let bound = libm::ceil(bound) + 1.0;
    #[allow(clippy::cast_precision_loss)]
    if bound > MAX_B_INT as f64 {
        return Err(QuantError::BoundOverflow);
    }
    // 0 < bound ≤ 2^31 − 1 and integral: the conversion is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(bound as u64)
}

/// Number of plaintext chunks L = ⌈P/N⌉ for `params` coordinates at ring degree `n`.
#[must_use]
pub const fn chunk_count(params: usize, n: usize) -> usize {
    params.div_ceil(n)
}

/// The clinics' quantizer for one round: clip bound τ, scale S, parameter count P and the bound B_int it implies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantizer {
    norm_bound: f64,
    scale: f64,
    params: usize,
    b_int: u64,
}

impl Quantizer {
    /// A quantizer for `params` coordinates clipped to ℓ2 ≤ `norm_bound` and scaled by `scale`.
    ///
    /// # Errors
    /// As [`b_int`].
    pub fn new(norm_bound: f64, scale: f64, params: usize) -> Result<Self, QuantError> {
        let b_int = b_int(norm_bound, scale, params)?;
        Ok(Self {
            norm_bound,
            scale,
            params,
            b_int,
        })
    }

    /// The largest scale S whose B_int is at most `b_int_max` (e.g. the set's `B_INT_MAX`), rounded down to
    /// 1/1024 so it prints and serializes exactly.
    ///
    /// # Errors
    /// [`QuantError::BoundOverflow`] if even S = 1/1024 exceeds `b_int_max`; otherwise as [`b_int`].
    pub fn with_max_scale(
        norm_bound: f64,
        params: usize,
        b_int_max: u64,
    ) -> Result<Self, QuantError> {
        const STEPS: f64 = 1024.0;
        b_int(norm_bound, 1.0, params)?;
        // B_int ≥ S·τ, so S ≤ b_int_max/τ: binary search the largest k with b_int(k/1024) ≤ b_int_max.
        let fits = |k: u64| {
            #[allow(clippy::cast_precision_loss)]
            let s = k as f64 / STEPS;
            matches!(b_int(norm_bound, s, params), Ok(b) if b <= b_int_max)
        };
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let mut hi = (libm::ceil(b_int_max as f64 / norm_bound * STEPS) as u64).saturating_add(1);
        let mut lo = 0_u64;
        if !fits(1) {
            return Err(QuantError::BoundOverflow);
        }
        lo += 1;
        while hi - lo > 1 {
            let mid = lo + ((hi - lo) >> 1);
            if fits(mid) { lo = mid } else { hi = mid }
        }
        #[allow(clippy::cast_precision_loss)]
        Self::new(norm_bound, lo as f64 / STEPS, params)
    }

    /// Norm bound τ (the clip bound).
    #[must_use]
    pub const fn norm_bound(&self) -> f64 {
        self.norm_bound
    }

    /// Scale S.
    #[must_use]
    pub const fn scale(&self) -> f64 {
        self.scale
    }

    /// Parameter count P.
    #[must_use]
    pub const fn params(&self) -> usize {
        self.params
    }

    /// B_int: every quantized update has ‖m‖₂ ≤ B_int.
    #[must_use]
    pub const fn b_int(&self) -> u64 {
        self.b_int
    }

    /// Worst-case error of one coordinate of the de-quantized mean against the mean of the clipped updates:
    /// 1/(2S) (each clinic's rounding error is ≤ 1/2, averaged over K clinics and divided by S), plus f32
    /// rounding of the output.
    #[must_use]
    pub fn mean_error_bound(&self) -> f64 {
        0.5 / self.scale
    }
}

#[cfg(test)]
mod tests;
