//! De-quantization of the decrypted aggregate (docs/QUANT.md §4): centred representative mod t, divided by S·K.

use super::{QuantError, Quantizer};
use crate::arith::cast::f64_of_u64;

/// Writes the mean update of `clinics` accepted clinics into `out[..P]` from the decrypted plaintext sum
/// `sum` (coefficients in [0, t), chunks concatenated, length ≥ P; padding is ignored).
///
/// Each coefficient is centred (t odd: values above (t−1)/2 stand for v − t), which recovers the integer sum
/// exactly when t ≥ 2·K·B_int + 1 (`policy::plaintext_modulus`), then divided by S·K.
///
/// # Errors
/// [`QuantError::InvalidAggregate`] if t is even or 0, `clinics` is 0, or a coefficient is ≥ t;
/// [`QuantError::BufferTooShort`] if `sum` or `out` is shorter than P.
pub fn dequantize(
    quantizer: &Quantizer,
    sum: &[u64],
    t: u64,
    clinics: u32,
    out: &mut [f32],
) -> Result<(), QuantError> {
    let p = quantizer.params();
    if t.is_multiple_of(2) || clinics == 0 {
        return Err(QuantError::InvalidAggregate);
    }
    let (Some(sum), Some(out)) = (sum.get(..p), out.get_mut(..p)) else {
        return Err(QuantError::BufferTooShort);
    };
    if sum.iter().any(|&c| c >= t) {
        return Err(QuantError::InvalidAggregate);
    }
    let half = t >> 1; // ⌊t/2⌋ of the public t
    let divisor = quantizer.scale() * f64::from(clinics);
    for (o, &c) in out.iter_mut().zip(sum) {
        // The aggregate is public once decrypted, so branching on it is fine.
        let v = if c > half {
            -f64_of_u64(t - c)
        } else {
            f64_of_u64(c)
        };
        // Narrowing to f32 is the output format of the model.
        #[allow(clippy::cast_possible_truncation)]
        let mean = (v / divisor) as f32;
        *o = mean;
    }
    Ok(())
}
