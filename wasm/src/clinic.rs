//! One clinic's submission for one round in the browser: the bindings over `zkfl_core::clinic` (clip,
//! quantize, BFV-encrypt, prove ‖m‖₂ ≤ B_int, sign, seal — the pipeline every clinic uses). This module only
//! derives the round's terms from what the page passes (the announcement's τ and scale, the roster size, the
//! served keys), adapts progress reports to the page's callback and maps errors to the page's codes.

use crate::announcement::VerifiedAnnouncement;
use crate::error::{ClinicError, ErrorCode};
use crate::progress::{self, Progress};
use crate::rng;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::wasm_bindgen;
use zkfl_core::channel::{KemPublicKey, MlKem768, SigningKey};
use zkfl_core::clinic::{self as pipeline, Ciphertext, NormProof, PublicKey, Round, RoundTerms};
use zkfl_core::params::bounds::KeyBounds;
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::policy::{ConfigRequest, check_config};
use zkfl_core::quant::chunk_count;

pub use zkfl_core::clinic::ProofKind;

/// A round as a clinic sees it: the core pipeline's [`Round`] for the announced terms and served keys.
#[wasm_bindgen]
pub struct ClinicRound {
    round: Round,
}

/// An encrypted update and its proof, ready to be signed and sealed.
#[wasm_bindgen]
pub struct PreparedUpdate {
    ciphertext: Ciphertext,
    proof: NormProof,
    norm_sq: f64,
}

/// The page's progress callback seen through the core's `Progress` (a throwing callback cancels; its error
/// is kept so the page sees `Callback`, not a generic cancellation).
pub(crate) struct Bridge<'a> {
    inner: &'a mut dyn Progress,
    err: Option<ClinicError>,
}

impl<'a> Bridge<'a> {
    pub(crate) fn new(inner: &'a mut dyn Progress) -> Self {
        Self { inner, err: None }
    }

    /// The page's error for a core error (the callback's own error for a cancellation).
    pub(crate) fn error(&mut self, e: pipeline::ClinicError) -> ClinicError {
        use pipeline::ClinicError as E;
        let code = match &e {
            E::Cancelled => {
                return self.err.take().unwrap_or_else(|| {
                    ClinicError::new(ErrorCode::Callback, "the operation was cancelled")
                });
            }
            E::ParamSet(_)
            | E::Quantizer(_)
            | E::BInt { .. }
            | E::PlainModulus(_)
            | E::SmallT { .. }
            | E::KeyHash
            | E::PublicKey(_)
            | E::Chunks { .. } => ErrorCode::BadParams,
            E::UpdateLength { .. } | E::MessageRange { .. } => ErrorCode::BadInput,
            E::Encrypt(_) | E::Encode(_) => ErrorCode::Encrypt,
            E::Prove(_) => ErrorCode::Prove,
            E::Seal(_) => ErrorCode::Seal,
        };
        ClinicError::from_display(code, e)
    }
}

impl pipeline::Progress for Bridge<'_> {
    fn report(&mut self, stage: &'static str, done: u32, total: u32) -> bool {
        match self.inner.report(stage, done, total) {
            Ok(()) => true,
            Err(e) => {
                self.err = Some(e);
                false
            }
        }
    }
}

#[wasm_bindgen]
impl PreparedUpdate {
    /// Encoded BFV ciphertext (`zkfl_core::wire`).
    #[wasm_bindgen(getter)]
    pub fn ciphertext(&self) -> Uint8Array {
        Uint8Array::from(self.ciphertext.bytes())
    }

    /// Squared ℓ2 norm of the quantized update (what the proof bounds by B_int²).
    #[wasm_bindgen(getter, js_name = normSq)]
    pub fn norm_sq(&self) -> f64 {
        self.norm_sq
    }

    /// Length of the attached proof.
    #[wasm_bindgen(getter, js_name = proofLen)]
    pub fn proof_len(&self) -> usize {
        self.proof.bytes().len()
    }

    /// How the proof was made (`honest prover`, or for the attacker demo the cheating prover or a forgery).
    #[wasm_bindgen(getter, js_name = proofKind)]
    pub fn proof_kind_js(&self) -> String {
        self.proof.kind().describe().into()
    }
}

impl PreparedUpdate {
    /// Encoded BFV ciphertext.
    pub fn ciphertext_bytes(&self) -> &[u8] {
        self.ciphertext.bytes()
    }

    /// Encoded proof.
    pub fn proof_bytes(&self) -> &[u8] {
        self.proof.bytes()
    }

    /// How the proof was made.
    pub fn proof_kind(&self) -> ProofKind {
        self.proof.kind()
    }
}

impl ClinicRound {
    /// Builds the round from terms derived here rather than signed: the plaintext modulus t follows from the
    /// roster size `clinics` exactly as the aggregator derives it (single-decryptor key bounds,
    /// `check_config`). For the known-answer vectors and the native tests only (not bound to JavaScript; the
    /// page uses [`ClinicRound::from_announcement`]). Rejects a set other than S, an inconsistent
    /// configuration, or malformed keys.
    #[allow(clippy::too_many_arguments)] // announcement fields + two keys
    pub fn new(
        param_set_id: u8,
        round: u64,
        clinics: u32,
        model_dim: u32,
        norm_bound: f64,
        scale: f64,
        bfv_key: &[u8],
        kem_key: &[u8],
    ) -> Result<Self, ClinicError> {
        let bad = |e: &dyn core::fmt::Display| ClinicError::from_display(ErrorCode::BadParams, e);
        browser_set(param_set_id)?;
        let config = check_config::<SetS>(&ConfigRequest {
            clinics,
            params: model_dim,
            norm_bound,
            scale,
            key: KeyBounds::single::<SetS>(),
            smudging: 0,
        })
        .map_err(|e| bad(&e))?;
        let pk = PublicKey::decode(bfv_key, config.chunks as usize).map_err(|e| bad(&e))?;
        let kem = KemPublicKey::<MlKem768>::from_bytes(kem_key).map_err(|e| bad(&e))?;
        let terms = RoundTerms {
            param_set_id,
            round,
            model_dim,
            norm_bound,
            scale,
            b_int: config.quantizer.b_int(),
            t: config.t,
            bfv_public_key_sha3: pk.sha3(),
        };
        Ok(Self {
            round: Round::new(terms, pk, kem).map_err(|e| bad(&e))?,
        })
    }

    /// The round of a verified announcement (`announcement::verify`, under the pinned aggregator key): τ, S,
    /// B_int, t and the key hashes are the signed ones; the served ML-KEM key must hash to the announced one and
    /// the served BFV key (first ⌈model_dim/N⌉ chunks kept) to the announced `bfv_public_key_sha3`.
    pub fn from_announcement(
        verified: &VerifiedAnnouncement,
        bfv_key: &[u8],
        kem_key: &[u8],
    ) -> Result<Self, ClinicError> {
        let bad = |e: &dyn core::fmt::Display| ClinicError::from_display(ErrorCode::BadParams, e);
        verified.check_kem_key(kem_key)?;
        let terms = verified.terms();
        browser_set(terms.param_set_id)?;
        let chunks = chunk_count(terms.model_dim as usize, SetS::N);
        let pk = PublicKey::decode(bfv_key, chunks).map_err(|e| bad(&e))?;
        let kem = KemPublicKey::<MlKem768>::from_bytes(kem_key).map_err(|e| bad(&e))?;
        Ok(Self {
            round: Round::new(terms, pk, kem).map_err(|e| bad(&e))?,
        })
    }

    /// SHA3-256 of the round's encoded BFV public key.
    pub fn pk_sha3(&self) -> [u8; 32] {
        self.round.pk_sha3()
    }

    /// The core pipeline's round.
    pub(crate) fn pipeline(&self) -> &Round {
        &self.round
    }

    /// A clinic refuses to encrypt under a key other than the announced one (the proof itself hashes the key
    /// it is made for).
    pub(crate) fn check_pk_hash(&self, pk_hash: [u8; 32]) -> Result<(), ClinicError> {
        if pk_hash == self.round.pk_sha3() {
            Ok(())
        } else {
            Err(ClinicError::new(
                ErrorCode::BadInput,
                "pkHash is not the SHA3-256 of this round's BFV public key",
            ))
        }
    }

    /// Clips, quantizes and encrypts `update` (one progress step per chunk), then proves the ciphertext well
    /// formed and ‖m‖₂ ≤ B_int for `clinic`. `pk_hash` is the announced hash of the round's key.
    pub fn encrypt(
        &self,
        update: &[f32],
        clinic: u32,
        pk_hash: [u8; 32],
        rng: &mut rand_chacha::ChaCha20Rng,
        progress: &mut dyn Progress,
    ) -> Result<PreparedUpdate, ClinicError> {
        self.check_pk_hash(pk_hash)?;
        let mut bridge = Bridge::new(progress);
        let r = &self.round;
        let mut run = |b: &mut Bridge<'_>| {
            let m = r.quantize(update)?;
            let enc = r.encrypt(&m, rng, b)?;
            let proof = r.prove(&enc, &m, clinic, rng, b)?;
            Ok((enc, proof, m.norm_sq()))
        };
        let (enc, proof, norm_sq) = run(&mut bridge).map_err(|e| bridge.error(e))?;
        Ok(prepared(enc, proof, norm_sq))
    }

    /// Signs and seals a prepared update for this round as clinic `clinic`.
    pub fn seal(
        &self,
        prepared: &PreparedUpdate,
        clinic: u32,
        signing_seed: &[u8],
        sequence: u64,
        rng: &mut rand_chacha::ChaCha20Rng,
    ) -> Result<Vec<u8>, ClinicError> {
        let key = SigningKey::from_bytes(signing_seed)
            .map_err(|e| ClinicError::from_display(ErrorCode::Seal, e))?;
        self.round
            .seal(
                &prepared.ciphertext,
                &prepared.proof,
                clinic,
                &key,
                sequence,
                rng,
            )
            .map_err(|e| ClinicError::from_display(ErrorCode::Seal, e))
    }
}

/// A prepared update from the pipeline's encryption and proof.
/// The browser clinic runs set S only (docs/BROWSER.md): a round of set L or XL (or an unknown set) is
/// refused before its key is decoded, with [`ErrorCode::UnsupportedSet`] for the page to display.
pub fn browser_set(param_set_id: u8) -> Result<(), ClinicError> {
    if param_set_id == SetS::ID {
        return Ok(());
    }
    Err(ClinicError::new(
        ErrorCode::UnsupportedSet,
        format!(
            "this round uses parameter set {param_set_id}; the browser clinic runs set S ({}) only \
             (at most {} parameters): submit with `zkfl clinic submit` or the Python package instead",
            SetS::ID,
            SetS::MAX_CHUNKS * SetS::N
        ),
    ))
}

pub(crate) fn prepared(
    enc: pipeline::Encrypted,
    proof: NormProof,
    norm_sq: u128,
) -> PreparedUpdate {
    // u128 → f64 only for display; the exact value never leaves the core.
    #[allow(clippy::cast_precision_loss)]
    let norm_sq = norm_sq as f64;
    PreparedUpdate {
        ciphertext: enc.into_ciphertext(),
        proof,
        norm_sq,
    }
}

#[wasm_bindgen]
impl ClinicRound {
    /// JS: `ClinicRound.fromAnnouncement(verified: VerifiedAnnouncement, bfvKey, kemKey)`, from
    /// `verifyAnnouncement` (the signed announcement under the pinned aggregator key), `/v1/keys/bfv` and
    /// `/v1/keys/kem`. The page has no other way to make a round: nothing it proves for comes from the
    /// unsigned JSON.
    #[wasm_bindgen(js_name = fromAnnouncement)]
    pub fn js_from_announcement(
        verified: &VerifiedAnnouncement,
        bfv_key: &[u8],
        kem_key: &[u8],
    ) -> Result<ClinicRound, wasm_bindgen::JsValue> {
        Ok(Self::from_announcement(verified, bfv_key, kem_key)?)
    }

    /// B_int of this round (the bound the proof will show).
    #[wasm_bindgen(getter, js_name = bInt)]
    pub fn b_int(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // B_int < 2^31
        let b = self.round.terms().b_int as f64;
        b
    }

    /// JS: `encryptAndProve(update: Float32Array, clinic, pkHash: Uint8Array(32), progress?) -> PreparedUpdate`.
    #[wasm_bindgen(js_name = encryptAndProve)]
    pub fn js_encrypt(
        &self,
        update: &[f32],
        clinic: u32,
        pk_hash: &[u8],
        progress: Option<js_sys::Function>,
    ) -> Result<PreparedUpdate, wasm_bindgen::JsValue> {
        let pk_hash = pk_hash_arg(pk_hash)?;
        let mut sink = progress::from_option(progress.as_ref());
        Ok(self.encrypt(update, clinic, pk_hash, &mut rng::fresh()?, sink.as_mut())?)
    }

    /// JS: `seal(prepared, clinic, signingSeed: Uint8Array(32), sequence) -> Uint8Array` (the envelope to POST).
    #[wasm_bindgen(js_name = seal)]
    pub fn js_seal(
        &self,
        prepared: &PreparedUpdate,
        clinic: u32,
        signing_seed: &[u8],
        sequence: u64,
    ) -> Result<Uint8Array, wasm_bindgen::JsValue> {
        let env = self.seal(prepared, clinic, signing_seed, sequence, &mut rng::fresh()?)?;
        Ok(Uint8Array::from(env.as_slice()))
    }
}

/// The JavaScript `pkHash` argument: the 32-byte SHA3-256 of the clinic's verifying key.
pub(crate) fn pk_hash_arg(pk_hash: &[u8]) -> Result<[u8; 32], ClinicError> {
    pk_hash
        .try_into()
        .map_err(|_| ClinicError::new(ErrorCode::BadInput, "pkHash must be 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkfl_core::params::{SetL, SetXL};

    #[test]
    fn a_round_of_another_set_than_s_is_refused_with_its_own_code() {
        for id in [SetL::ID, SetXL::ID, 0, 9] {
            match ClinicRound::new(id, 1, 3, 100, 1.0, 512.0, &[], &[]) {
                Err(e) => {
                    assert_eq!(e.code(), ErrorCode::UnsupportedSet, "set {id}");
                    assert!(e.message().contains("zkfl clinic submit"));
                }
                Ok(_) => panic!("set {id} accepted"),
            }
        }
        assert!(browser_set(SetS::ID).is_ok());
        // Set S goes on to the key checks (an empty key is malformed, not unsupported).
        match ClinicRound::new(SetS::ID, 1, 3, 100, 1.0, 512.0, &[], &[]) {
            Err(e) => assert_eq!(e.code(), ErrorCode::BadParams),
            Ok(_) => panic!("an empty key accepted"),
        }
    }
}
