//! Models as little-endian f32 bytes, the proven integer bound, and de-quantization of the decrypted
//! aggregate (ARCHITECTURE.md "One round", steps 2 and 5).

use crate::error::{ApiError, Code};

/// Parses little-endian f32 model bytes; every value must be finite.
pub fn decode(bytes: &[u8]) -> Result<Vec<f32>, ApiError> {
    let (chunks, rest) = bytes.as_chunks::<4>();
    if !rest.is_empty() || chunks.is_empty() {
        return Err(ApiError::new(
            Code::MalformedRequest,
            "a model is a non-empty sequence of little-endian f32 (length a multiple of 4)",
        ));
    }
    let model: Vec<f32> = chunks.iter().map(|c| f32::from_le_bytes(*c)).collect();
    if model.iter().any(|x| !x.is_finite()) {
        return Err(ApiError::new(
            Code::MalformedRequest,
            "the model contains NaN or infinite values",
        ));
    }
    Ok(model)
}

/// Encodes a model as little-endian f32 bytes.
#[must_use]
pub fn encode(model: &[f32]) -> Vec<u8> {
    model.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// The integer bound B_int proven on ||m||_2 for m = round(S*d), ||d||_2 <= B, d in R^dim: each rounding moves
/// a coordinate by at most 1/2, so by the triangle inequality ||m|| <= S*B + sqrt(dim)/2.
#[must_use]
pub fn b_int(norm_bound: f64, scale: f64, dim: u32) -> u64 {
    let bound = scale * norm_bound + f64::from(dim).sqrt() / 2.0;
    // Saturating float-to-int conversion is the intent: absurd inputs are refused by `check_round`.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let b = bound.ceil() as u64;
    b
}

/// Checks the admin's round parameters for sanity (finite, positive, representable).
pub fn check_round(norm_bound: f64, scale: f64) -> Result<(), ApiError> {
    let ok = norm_bound.is_finite()
        && scale.is_finite()
        && norm_bound > 0.0
        && scale >= 1.0
        && norm_bound * scale < 1e15;
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            Code::ParameterMismatch,
            "norm_bound must be > 0, scale >= 1, both finite, and norm_bound*scale < 1e15",
        ))
    }
}

/// The mean update from the decrypted integer sums: sum / (S * accepted).
#[must_use]
pub fn mean_update(sums: &[i64], scale: f64, accepted: u32) -> Vec<f32> {
    let denom = scale * f64::from(accepted);
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    sums.iter().map(|&s| (s as f64 / denom) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn models_round_trip_and_bad_bytes_are_refused() {
        let m = vec![1.5f32, -2.0, 0.0];
        assert_eq!(decode(&encode(&m)).ok(), Some(m));
        assert!(decode(&[0; 5]).is_err());
        assert!(decode(&[]).is_err());
        assert!(decode(&f32::NAN.to_le_bytes()).is_err());
    }

    #[test]
    fn b_int_covers_the_worst_rounding() {
        // d = (B/sqrt(n)) * ones, each coordinate rounds up by nearly 1/2.
        assert_eq!(b_int(5.0, 100.0, 4), 501);
        assert!(b_int(5.0, 4096.0, 108_996) >= 20_480 + 165);
    }

    #[test]
    fn set_limits_refuse_what_the_proof_cannot_carry() {
        let s = SetLimits::of("S").expect("S");
        assert_eq!(s.max_model_dim(), 131_072);
        assert_eq!(s.chunks(108_996), 54);
        assert!(s.check(108_996, b_int(5.0, 512.0, 108_996)).is_ok());
        assert_eq!(
            s.check(108_996, b_int(5.0, 4096.0, 108_996))
                .err()
                .map(|e| e.code),
            Some(Code::ParameterMismatch)
        );
        assert!(s.check(131_073, 1).is_err());
        assert!(SetLimits::of("X").is_none());
    }

    #[test]
    fn mean_update_divides_by_scale_and_count() {
        assert_eq!(mean_update(&[40, -8], 4.0, 2), vec![5.0, -1.0]);
    }
}

/// What a parameter set can prove and decrypt (docs/PROTOCOL.md §3): ring degree N, modulus q, the largest
/// chunk count L_max (so at most L_max·N parameters) and the largest provable bound B_max.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetLimits {
    /// Parameter-set name.
    pub name: &'static str,
    /// Parameter-set id on the wire.
    pub id: u8,
    /// Ring degree N.
    pub ring_degree: u32,
    /// The modulus q.
    pub modulus_q: u128,
    /// L_max.
    pub max_chunks: u32,
    /// B_max.
    pub b_max: u64,
}

impl SetLimits {
    /// The limits of set `name` ("S" or "L").
    #[must_use]
    pub fn of(name: &str) -> Option<Self> {
        use zkfl_core::arith::{Modulus, Q44, Q86};
        match name {
            "S" => Some(Self {
                name: "S",
                id: 1,
                ring_degree: 2048,
                modulus_q: Q44::Q,
                max_chunks: 64,
                b_max: 1 << 12,
            }),
            "L" => Some(Self {
                name: "L",
                id: 2,
                ring_degree: 4096,
                modulus_q: Q86::Q,
                max_chunks: 32,
                b_max: 1 << 16,
            }),
            _ => None,
        }
    }

    /// Largest model the set can carry.
    #[must_use]
    pub fn max_model_dim(&self) -> u64 {
        u64::from(self.ring_degree) * u64::from(self.max_chunks)
    }

    /// Chunks L for a model of `dim` parameters.
    #[must_use]
    pub fn chunks(&self, dim: u32) -> u32 {
        dim.div_ceil(self.ring_degree)
    }

    /// Refuses a round the set cannot prove: too many parameters or B_int above B_max.
    pub fn check(&self, dim: u32, b_int: u64) -> Result<(), ApiError> {
        if u64::from(dim) > self.max_model_dim() {
            return Err(ApiError::new(
                Code::ParameterMismatch,
                format!(
                    "the model has {dim} parameters; set {} carries at most {}",
                    self.name,
                    self.max_model_dim()
                ),
            ));
        }
        if b_int > self.b_max {
            return Err(ApiError::new(
                Code::ParameterMismatch,
                format!(
                    "B_int = ceil(S*B + sqrt(dim)/2) = {b_int} exceeds B_max = {} of set {}; lower the scale or the norm bound",
                    self.b_max, self.name
                ),
            ));
        }
        Ok(())
    }
}
