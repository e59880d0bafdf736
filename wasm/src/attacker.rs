//! **Attacker demo** (the page's "Submit a poisoned update" button, docs/BROWSER.md): what a malicious clinic
//! can send, so the page can show the aggregator rejecting it. Never used for an honest submission.
//!
//! The attack is the paper's: instead of its trained update the clinic sends N(0, σ²) noise per parameter
//! (σ = 50). It does not clip: it rounds S·d and reduces each coordinate into the plaintext range (the only
//! thing BFV can encrypt), so the ciphertext is perfectly well formed but ‖m‖₂ is far above B_int. The honest
//! prover refuses that statement, so the attacker runs the library's prover with its own norm checks removed
//! (`zk::prove::prove_with` with `Cheat { skip_norm_checks: true, .. }`), as the native demo's attacker does
//! (`aggregator/src/demo/zkfl.rs`). For a vector this long no JL projection is short enough, so that prover
//! retries `zk::prove::MAX_ATTEMPTS` times and gives up; the attacker then attaches a forgery of the right
//! length — a well-formed proof header, then zeros (the native demo sends all zeros). The result is signed
//! and sealed exactly like an honest submission, so only the proof can give it away.

use crate::clinic::{Bridge, ClinicRound, PreparedUpdate, prepared};
use crate::error::{ClinicError, ErrorCode};
use crate::progress::{self, Progress};
use crate::rng;
use wasm_bindgen::prelude::wasm_bindgen;
use zkfl_learn::sample::fill_standard_normal;

/// σ of the paper's noise attack.
pub const PAPER_SIGMA: f64 = 50.0;

impl ClinicRound {
    /// Attacker demo: encrypts N(0, `sigma`²) noise (one value per model parameter, unclipped:
    /// `zkfl_core::clinic::Round::quantize_unclipped`) and attaches the cheating prover's proof
    /// (`Round::prove_cheating`, see the module documentation). The aggregator must reject it.
    pub fn poisoned_update_attacker_demo(
        &self,
        sigma: f64,
        clinic: u32,
        pk_hash: [u8; 32],
        rng: &mut rand_chacha::ChaCha20Rng,
        progress: &mut dyn Progress,
    ) -> Result<PreparedUpdate, ClinicError> {
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(ClinicError::new(
                ErrorCode::BadInput,
                "sigma must be a positive number",
            ));
        }
        self.check_pk_hash(pk_hash)?;
        let r = self.pipeline();
        let mut noise = vec![0.0f32; r.quantizer().params()];
        fill_standard_normal(rng, &mut noise);
        // f32 noise as the native attacker sends it (aggregator/src/demo/attack.rs).
        #[allow(clippy::cast_possible_truncation)]
        let s = sigma as f32;
        noise.iter_mut().for_each(|x| *x *= s);
        let mut bridge = Bridge::new(progress);
        let mut run = |b: &mut Bridge<'_>| {
            let m = r.quantize_unclipped(&noise)?;
            let enc = r.encrypt(&m, rng, b)?;
            let proof = r.prove_cheating(&enc, &m, clinic, rng, b)?;
            Ok((enc, proof, m.norm_sq()))
        };
        let (enc, proof, norm_sq) = run(&mut bridge).map_err(|e| bridge.error(e))?;
        Ok(prepared(enc, proof, norm_sq))
    }
}

#[wasm_bindgen]
impl ClinicRound {
    /// JS, **attacker demo only**: `attackerDemoPoisonedUpdate(clinic, pkHash: Uint8Array(32), sigma?,
    /// progress?) -> PreparedUpdate` — unclipped N(0, σ²) noise (σ = 50 by default, the paper's attack),
    /// encrypted, with a proof from the prover with its norm checks removed. Seal it with `seal` like an
    /// honest update; the aggregator must reject it (`proof_invalid`).
    #[wasm_bindgen(js_name = attackerDemoPoisonedUpdate)]
    pub fn js_attacker_demo_poisoned_update(
        &self,
        clinic: u32,
        pk_hash: &[u8],
        sigma: Option<f64>,
        progress: Option<js_sys::Function>,
    ) -> Result<PreparedUpdate, wasm_bindgen::JsValue> {
        let pk_hash = crate::clinic::pk_hash_arg(pk_hash)?;
        let mut sink = progress::from_option(progress.as_ref());
        Ok(self.poisoned_update_attacker_demo(
            sigma.unwrap_or(PAPER_SIGMA),
            clinic,
            pk_hash,
            &mut rng::fresh()?,
            sink.as_mut(),
        )?)
    }
}
