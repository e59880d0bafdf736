//! The signed round announcement in the browser: the page hands the canonical bytes and the ML-DSA-65
//! signature to [`verify`] (zkfl-core's `channel::Announcement::verify`, the check `zkfl clinic` runs) with the
//! aggregator's verifying key, and takes the round's terms and model spec only from the result — never from
//! the JSON copy the aggregator also sends, which nothing signs.

use js_sys::Uint8Array;
use sha3::{Digest, Sha3_256};
use wasm_bindgen::prelude::wasm_bindgen;
use zkfl_core::channel::{Announcement, VerifyingKey};
use zkfl_core::clinic::RoundTerms;
use zkfl_learn::ModelSpec;

use crate::error::{ClinicError, ErrorCode};

/// The facts of an announcement whose signature verified.
#[wasm_bindgen]
pub struct VerifiedAnnouncement {
    /// The signed fields, the spec's bytes decoded.
    signed: Announcement<ModelSpec>,
}

fn bad(e: impl core::fmt::Display) -> ClinicError {
    ClinicError::from_display(ErrorCode::BadAnnouncement, e)
}

fn hex(d: &[u8; 32]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks `signature` over the canonical `bytes` under `aggregator_key` (the 1,952-byte ML-DSA-65 verifying
/// key) and decodes the announced model spec (its parameter count must be the model dimension).
pub fn verify(
    bytes: &[u8],
    signature: &[u8],
    aggregator_key: &[u8],
) -> Result<VerifiedAnnouncement, ClinicError> {
    let key = VerifyingKey::from_bytes(aggregator_key)
        .map_err(|e| ClinicError::new(ErrorCode::BadInput, format!("aggregator key: {e}")))?;
    let a = Announcement::verify(&key, bytes, signature).map_err(bad)?;
    let signed = a
        .map_spec(|s| ModelSpec::decode_for_dimension(s, a.model_dim as usize))
        .map_err(bad)?;
    Ok(VerifiedAnnouncement { signed })
}

impl VerifiedAnnouncement {
    /// The clinic pipeline's terms.
    pub fn terms(&self) -> RoundTerms {
        RoundTerms::of(&self.signed)
    }

    /// The announced model, if any.
    pub fn spec(&self) -> Option<&ModelSpec> {
        self.signed.model_spec.as_ref()
    }

    /// Refuses a served ML-KEM key other than the announced one (submissions are sealed to it).
    pub fn check_kem_key(&self, kem_key: &[u8]) -> Result<(), ClinicError> {
        if <[u8; 32]>::from(Sha3_256::digest(kem_key)) == self.signed.kem_key_sha3 {
            Ok(())
        } else {
            Err(bad(
                "the served ML-KEM key is not the announced one (SHA3-256 differs)",
            ))
        }
    }

    /// Refuses a served global model other than the announced one.
    pub fn check_model(&self, model: &[u8]) -> Result<(), ClinicError> {
        let len = 4 * self.signed.model_dim as usize;
        if model.len() != len {
            return Err(bad(format!(
                "the served model has {} bytes, the announced one {len}",
                model.len()
            )));
        }
        if <[u8; 32]>::from(Sha3_256::digest(model)) != self.signed.model_sha3 {
            return Err(bad(
                "the served model is not the announced one (SHA3-256 differs)",
            ));
        }
        Ok(())
    }
}

/// JS: `verifyAnnouncement(bytes: Uint8Array, signature: Uint8Array, aggregatorKey: Uint8Array)
/// -> VerifiedAnnouncement`; throws `BadAnnouncement` for malformed bytes, a signature that does not verify
/// or a spec that does not match the model dimension, `BadInput` for a malformed key.
#[wasm_bindgen(js_name = verifyAnnouncement)]
pub fn js_verify(
    bytes: &[u8],
    signature: &[u8],
    aggregator_key: &[u8],
) -> Result<VerifiedAnnouncement, wasm_bindgen::JsValue> {
    Ok(verify(bytes, signature, aggregator_key)?)
}

/// SHA3-256 of the aggregator's verifying key, hex (the fingerprint the page shows next to "pinned").
#[wasm_bindgen(js_name = aggregatorKeySha3)]
pub fn js_aggregator_key_sha3(aggregator_key: &[u8]) -> String {
    hex(&Sha3_256::digest(aggregator_key).into())
}

#[wasm_bindgen]
impl VerifiedAnnouncement {
    /// Round number.
    #[wasm_bindgen(getter)]
    pub fn round(&self) -> f64 {
        // Round numbers stay far below 2^53.
        #[allow(clippy::cast_precision_loss)]
        let r = self.signed.round.0 as f64;
        r
    }

    /// Parameter-set id.
    #[wasm_bindgen(getter, js_name = paramSetId)]
    pub fn param_set_id(&self) -> u8 {
        self.signed.param_set_id
    }

    /// Number of model parameters.
    #[wasm_bindgen(getter, js_name = modelDim)]
    pub fn model_dim(&self) -> u32 {
        self.signed.model_dim
    }

    /// Clip bound τ.
    #[wasm_bindgen(getter, js_name = normBound)]
    pub fn norm_bound(&self) -> f64 {
        self.signed.norm_bound
    }

    /// Quantization scale S.
    #[wasm_bindgen(getter)]
    pub fn scale(&self) -> f64 {
        self.signed.scale
    }

    /// B_int.
    #[wasm_bindgen(getter, js_name = bInt)]
    pub fn b_int(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // B_int < 2^31
        let b = self.signed.b_int as f64;
        b
    }

    /// Plaintext modulus t, decimal (may exceed 2^53 for set L).
    #[wasm_bindgen(getter)]
    pub fn t(&self) -> String {
        self.signed.t.to_string()
    }

    /// When the round opened (Unix seconds).
    #[wasm_bindgen(getter, js_name = openedAt)]
    pub fn opened_at(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let s = self.signed.opened_at as f64;
        s
    }

    /// Deadline (Unix seconds).
    #[wasm_bindgen(getter)]
    pub fn deadline(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let s = self.signed.deadline as f64;
        s
    }

    /// The announced model in text form (`logistic:3,2`), or `undefined` for a round without a spec.
    #[wasm_bindgen(getter, js_name = model)]
    pub fn model_text(&self) -> Option<String> {
        self.signed.model_spec.as_ref().map(ToString::to_string)
    }

    /// SHA3-256 of the global model, hex.
    #[wasm_bindgen(getter, js_name = modelSha3)]
    pub fn model_sha3(&self) -> String {
        hex(&self.signed.model_sha3)
    }

    /// SHA3-256 of the BFV public key, hex.
    #[wasm_bindgen(getter, js_name = bfvPublicKeySha3)]
    pub fn bfv_public_key_sha3(&self) -> String {
        hex(&self.signed.bfv_public_key_sha3)
    }

    /// SHA3-256 of the aggregator's ML-KEM key, hex.
    #[wasm_bindgen(getter, js_name = kemKeySha3)]
    pub fn kem_key_sha3(&self) -> String {
        hex(&self.signed.kem_key_sha3)
    }

    /// JS: `checkModel(bytes: Uint8Array)`: throws `BadAnnouncement` unless the served global model is the
    /// announced one.
    #[wasm_bindgen(js_name = checkModel)]
    pub fn js_check_model(&self, model: &Uint8Array) -> Result<(), wasm_bindgen::JsValue> {
        Ok(self.check_model(&model.to_vec())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use zkfl_core::channel::{RoundId, SigningKey};

    /// A signed v2 announcement of `spec` (39-feature Cox: 39 parameters), as `zkfl serve` signs it.
    pub(crate) fn signed(spec: &[u8], model: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
        let a = Announcement {
            param_set_id: 1,
            round: RoundId(4),
            model_dim: 39,
            model_sha3: Sha3_256::digest(model).into(),
            norm_bound: 1.0,
            scale: 1024.0,
            b_int: 1024,
            t: 10_241,
            opened_at: 1,
            deadline: 2,
            kem_key_sha3: Sha3_256::digest(b"kem").into(),
            bfv_public_key_sha3: [5; 32],
            model_spec: Some(spec),
        };
        let bytes = a.to_vec().expect("encode");
        let key = SigningKey::from_seed(&[7; 32]);
        let sig =
            Announcement::sign(&key, &bytes, &mut ChaCha20Rng::from_seed([1; 32])).expect("sign");
        (
            bytes,
            sig.as_bytes().to_vec(),
            key.verifying_key().to_bytes().to_vec(),
        )
    }

    #[test]
    fn the_model_and_terms_come_from_the_signed_bytes_only() {
        let spec = ModelSpec::LinearCox { features: 39 };
        let model = [0u8; 4 * 39];
        let (bytes, sig, vk) = signed(&spec.encode(), &model);
        let v = verify(&bytes, &sig, &vk).expect("verifies");
        assert_eq!(v.spec(), Some(&spec));
        assert_eq!(v.terms().b_int, 1024);
        assert!(v.check_model(&model).is_ok());
        assert_eq!(
            v.check_model(&[1u8; 4 * 39]).map_err(|e| e.code()),
            Err(ErrorCode::BadAnnouncement)
        );
        assert!(v.check_kem_key(b"kem").is_ok());
        assert!(v.check_kem_key(b"other").is_err());
        // A spec swapped in the bytes (another Cox model of the same length) fails the signature.
        let mut tampered = bytes.clone();
        let last = tampered.len() - 4;
        tampered[last] ^= 1;
        assert_eq!(
            verify(&tampered, &sig, &vk)
                .map(|_| ())
                .map_err(|e| e.code()),
            Err(ErrorCode::BadAnnouncement)
        );
        assert_eq!(
            verify(&bytes, &sig, &vk[1..])
                .map(|_| ())
                .map_err(|e| e.code()),
            Err(ErrorCode::BadInput)
        );
        // Signed, but the spec does not match the dimension: refused too.
        let (bytes, sig, vk) = signed(&ModelSpec::LinearCox { features: 40 }.encode(), &model);
        assert_eq!(
            verify(&bytes, &sig, &vk).map(|_| ()).map_err(|e| e.code()),
            Err(ErrorCode::BadAnnouncement)
        );
    }
}
