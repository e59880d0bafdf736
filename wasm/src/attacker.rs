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

use crate::clinic::{ClinicRound, PreparedUpdate, Prover};
use crate::error::{ClinicError, ErrorCode};
use crate::progress::{self, Progress};
use crate::rng;
use wasm_bindgen::prelude::wasm_bindgen;
use zkfl_core::bfv::PlainModulus;
use zkfl_core::quant::norm_sq;
use zkfl_learn::sample::fill_standard_normal;

/// σ of the paper's noise attack.
pub const PAPER_SIGMA: f64 = 50.0;

/// round(S·d) per coordinate, without clipping, reduced to the centred representative mod t (what a
/// malicious clinic can put into a BFV plaintext). `out` is zero-padded past the update.
pub fn quantize_unclipped(update: &[f32], scale: f64, plain_t: u64, out: &mut [i64]) {
    let t = i64::try_from(plain_t).unwrap_or(i64::MAX);
    let hi = t / 2;
    out.fill(0);
    for (o, &d) in out.iter_mut().zip(update) {
        let v = (f64::from(d) * scale).round();
        // Finite and clamped, so the cast is exact; rem_euclid then lands in [0, t).
        #[allow(clippy::cast_possible_truncation)]
        let v = if v.is_finite() {
            v.clamp(-1e15, 1e15) as i64
        } else {
            0
        };
        let r = v.rem_euclid(t);
        *o = if r > hi { r - t } else { r };
    }
}

impl ClinicRound {
    /// Attacker demo: encrypts N(0, `sigma`²) noise (one value per model parameter, unclipped) and attaches
    /// the cheating prover's proof (see the module documentation). The aggregator must reject it.
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
        let config = self.config();
        let mut noise = vec![0.0f32; config.quantizer.params()];
        fill_standard_normal(rng, &mut noise);
        // f32 noise as the native attacker sends it (aggregator/src/demo/attack.rs).
        #[allow(clippy::cast_possible_truncation)]
        let s = sigma as f32;
        noise.iter_mut().for_each(|x| *x *= s);
        let plain =
            PlainModulus::<<zkfl_core::params::SetS as zkfl_core::params::ParamSet>::M>::new(
                config.t,
            )
            .map_err(|e| ClinicError::from_display(ErrorCode::Encrypt, e))?;
        let mut m = vec![0i64; self.chunk_len()];
        quantize_unclipped(&noise, config.quantizer.scale(), plain.t(), &mut m);
        let sq = norm_sq(&m);
        self.encrypt_and_prove(
            &m,
            sq,
            clinic,
            pk_hash,
            Prover::CheatingAttackerDemo,
            rng,
            progress,
        )
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
        let pk_hash: [u8; 32] = pk_hash
            .try_into()
            .map_err(|_| ClinicError::new(ErrorCode::BadInput, "pkHash must be 32 bytes"))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unclipped_quantization_wraps_into_the_plaintext_range() {
        let t = 11u64;
        let mut out = [9i64; 6];
        quantize_unclipped(&[0.5, -2.0, 3.0, f32::NAN, 1e30], 2.0, t, &mut out);
        // round(1.0)=1, −4, 6 → 6−11 = −5, NaN → 0, 1e15 mod 11 centred, padding 0.
        let big = 1_000_000_000_000_000i64.rem_euclid(11);
        let big = if big > 5 { big - 11 } else { big };
        assert_eq!(out, [1, -4, -5, 0, big, 0]);
        assert!(out.iter().all(|&x| (-5..=5).contains(&x)));
    }
}
