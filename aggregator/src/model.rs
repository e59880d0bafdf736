//! Models as little-endian f32 bytes, the proven integer bound, and de-quantization of the decrypted
//! aggregate (docs/API.md "Round life cycle").

use zkfl_core::arith::Modulus;
use zkfl_core::params::bounds::KeyBounds;
use zkfl_core::params::{ParamSet, SetL, SetS, SetXL};
use zkfl_core::policy::{Config, ConfigError, ConfigRequest, check_config};
use zkfl_core::quant::{Quantizer, dequantize};

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

/// The round configuration for `clinics` clinics and a model of `dim` parameters under set `set`, from
/// zkfl-core's noise analysis (`policy::check_config`, docs/NOISE.md §5): B_int, t, chunks. Anything the
/// set cannot prove or decrypt exactly is refused with `parameter_mismatch` and the reason.
pub fn round_config(
    limits: &SetLimits,
    clinics: u32,
    dim: u32,
    norm_bound: f64,
    scale: f64,
) -> Result<Config, ApiError> {
    round_config_for(limits, clinics, dim, norm_bound, scale, None)
}

/// The committee's terms in threshold mode (docs/THRESHOLD.md §4): the committee key's bounds and the
/// smudging bound of the threshold plan (`zkfl_core::threshold::plan`), and the design (B_int, L) the
/// committee's key and share proofs are fixed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommitteeTerms {
    /// n.
    pub members: u32,
    /// t.
    pub threshold: u32,
    /// B_int of the design.
    pub b_int: u64,
    /// Chunks L of the design.
    pub chunks: u32,
    /// Bounds on the committee key (`plan::committee_key`).
    pub key: KeyBounds,
    /// Worst-case smudging per coefficient of the combined phase (`Plan::smudging`).
    pub smudging: u128,
}

impl CommitteeTerms {
    /// The terms of an n-member, threshold-t committee of set L for rounds of `clinics` clinics, B_int
    /// `b_int` and `chunks` chunks.
    ///
    /// # Errors
    /// The plan's refusal in words (no room, too lossy, malformed committee).
    pub fn plan(
        members: u32,
        threshold: u32,
        clinics: u32,
        b_int: u64,
        chunks: u32,
    ) -> Result<Self, String> {
        use zkfl_core::threshold::plan;
        let p = plan::design::<SetL>(members, threshold, clinics, b_int, chunks as usize)
            .map_err(|e| format!("threshold plan {threshold}-of-{members}: {e:?}"))?;
        Ok(Self {
            members,
            threshold,
            b_int,
            chunks,
            key: plan::committee_key::<SetL>(members, threshold),
            smudging: p.smudging,
        })
    }
}

/// [`round_config`] under a committee's key bounds and smudging (threshold mode), or a single key holder's
/// key without smudging (`None`). In threshold mode a round whose B_int or chunk count is not the
/// committee's design is refused (`parameter_mismatch`): the committee key and the share proofs are fixed
/// to it for the key's epoch.
pub fn round_config_for(
    limits: &SetLimits,
    clinics: u32,
    dim: u32,
    norm_bound: f64,
    scale: f64,
    committee: Option<&CommitteeTerms>,
) -> Result<Config, ApiError> {
    // Single-decryptor mode: one key holder's key, no smudging noise.
    let (key_of, smudging) = match committee {
        Some(c) => (Some(c.key), c.smudging),
        None => (None, 0),
    };
    let req = |key: KeyBounds| ConfigRequest {
        clinics,
        params: dim,
        norm_bound,
        scale,
        key,
        smudging,
    };
    let result = match limits.id {
        SetS::ID => check_config::<SetS>(&req(key_of.unwrap_or(KeyBounds::single::<SetS>()))),
        SetXL::ID => check_config::<SetXL>(&req(key_of.unwrap_or(KeyBounds::single::<SetXL>()))),
        _ => check_config::<SetL>(&req(key_of.unwrap_or(KeyBounds::single::<SetL>()))),
    };
    let mismatch = |why: String| ApiError::new(Code::ParameterMismatch, why);
    let config = result.map_err(|e: ConfigError| {
        mismatch(format!("set {} cannot run this round: {e}", limits.name))
    })?;
    if let Some(c) = committee
        && (limits.id != SetL::ID || config.b_int() != c.b_int || config.chunks != c.chunks)
    {
        return Err(mismatch(format!(
            "the {}-of-{} committee's key is fixed to set L, B_int {} and {} chunk(s); this round needs set \
                 {}, B_int {} and {} chunk(s) (open rounds with the --norm-bound, --scale and model size \
                 `zkfl serve` started with)",
            c.threshold,
            c.members,
            c.b_int,
            c.chunks,
            limits.name,
            config.b_int(),
            config.chunks
        )));
    }
    Ok(config)
}

/// The mean update from the decrypted sums (centred integers, one per coordinate): zkfl-core's
/// de-quantization (`quant::dequantize`, docs/QUANT.md §4) of the sum of `accepted` updates.
pub fn mean_update(
    sums: &[i64],
    t: u64,
    norm_bound: f64,
    scale: f64,
    accepted: u32,
) -> Result<Vec<f32>, String> {
    let quantizer = Quantizer::new(norm_bound, scale, sums.len()).map_err(|e| e.to_string())?;
    let t_signed = i64::try_from(t).map_err(|_| "t does not fit in i64".to_owned())?;
    // Back to the representatives in [0, t) that `dequantize` expects.
    let residues: Vec<u64> = sums
        .iter()
        .map(|&c| u64::try_from(c.rem_euclid(t_signed)).unwrap_or(u64::MAX))
        .collect();
    let mut out = vec![0f32; sums.len()];
    dequantize(&quantizer, &residues, t, accepted, &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// What a parameter set can prove (from its `ParamSet` constants): id, N, q, L_max, B_INT_MAX.
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
    /// B_INT_MAX.
    pub b_max: u64,
}

impl SetLimits {
    fn from_set<P: ParamSet>() -> Self {
        #[allow(clippy::cast_possible_truncation)]
        Self {
            name: P::NAME,
            id: P::ID,
            ring_degree: P::N as u32,
            modulus_q: <P::M as Modulus>::Q,
            max_chunks: P::MAX_CHUNKS as u32,
            b_max: P::B_INT_MAX,
        }
    }

    /// The limits of set `name` ("S", "L" or "XL").
    #[must_use]
    pub fn of(name: &str) -> Option<Self> {
        match name {
            "S" => Some(Self::from_set::<SetS>()),
            "L" => Some(Self::from_set::<SetL>()),
            "XL" => Some(Self::from_set::<SetXL>()),
            _ => None,
        }
    }

    /// Chunks L = ⌈dim/N⌉ for a model of `dim` parameters.
    #[must_use]
    pub fn chunks(&self, dim: u32) -> u32 {
        dim.div_ceil(self.ring_degree)
    }

    /// Largest model the set can carry.
    #[must_use]
    pub fn max_model_dim(&self) -> u64 {
        u64::from(self.ring_degree) * u64::from(self.max_chunks)
    }

    /// The longest submission envelope of any round of this set (L_max chunks, B_max): what the service must
    /// be able to hold in flight at once (`zkfl_core::policy::max_submission_len`).
    #[must_use]
    pub fn max_submission_len(&self) -> usize {
        zkfl_core::policy::max_submission_len(self.id, self.max_chunks as usize, self.b_max)
            .unwrap_or(0)
    }
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
    fn round_config_refuses_what_the_set_cannot_prove_or_decrypt() {
        let s = SetLimits::of("S").expect("S");
        assert_eq!(s.max_model_dim(), 131_072);
        let ok = round_config(&s, 5, 108_996, 5.0, 512.0).expect("paper setting fits set S");
        assert_eq!((ok.chunks, ok.t), (54, 2 * 5 * ok.b_int() + 1));
        let code = |r: Result<Config, ApiError>| r.err().map(|e| e.code);
        assert_eq!(
            code(round_config(&s, 5, 108_996, 5.0, 4096.0)),
            Some(Code::ParameterMismatch)
        );
        assert_eq!(
            code(round_config(&s, 5, 131_073, 1.0, 1.0)),
            Some(Code::ParameterMismatch)
        );
        assert_eq!(
            code(round_config(&s, 0, 10, 1.0, 1.0)),
            Some(Code::ParameterMismatch)
        );
        assert!(SetLimits::of("X").is_none());
    }

    #[test]
    fn mean_update_divides_by_scale_and_count() {
        // t = 101: -8 is the residue 93; (40, -8) / (4 * 2) = (5, -1).
        assert_eq!(
            mean_update(&[40, -8], 101, 100.0, 4.0, 2),
            Ok(vec![5.0, -1.0])
        );
        assert!(
            mean_update(&[1], 100, 100.0, 4.0, 1).is_err(),
            "even t is refused"
        );
    }
}
