//! The demo's clinics: an honest clinic runs the one clinic pipeline (`zkfl_core::clinic`, via
//! `crate::clinic`) exactly as `zkfl clinic` does against `zkfl serve`; the demo times its steps and keeps the
//! quantized plaintext for its bit-exact check of the published sum.
//!
//! A malicious clinic cannot prove a false statement: the honest prover refuses, so it quantizes without
//! clipping and runs the library's cheating prover (norm checks switched off), or sends a forgery (a valid
//! proof header, then zeros) if even that fails (`Round::quantize_unclipped`, `Round::prove_cheating`).

use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use zkfl_core::clinic::{PublicKey, Silent};
use zkfl_core::quant::Quantizer;

pub use crate::clinic::ClinicKeys;
use crate::round::Announcement;

/// Ring degree of set S.
pub const N: usize = zkfl_core::clinic::N;

/// What a clinic sends in one round, and what it keeps for the demo's bit-exact check.
pub struct Sealed {
    /// The sealed, signed envelope (POST body).
    pub envelope: Vec<u8>,
    /// The quantized plaintext, centred mod t (kept locally; never sent in the clear).
    pub m: Vec<i64>,
    /// ‖m‖₂ > B_int: no honest proof exists for this update.
    pub exceeds_bound: bool,
    /// Seconds spent quantizing, encrypting, encoding, signing and sealing.
    pub encrypt_s: f64,
    /// Seconds spent proving.
    pub prove_s: f64,
}

/// The round's quantizer from the signed announcement; refuses an announcement whose B_int does not follow
/// from its τ and scale.
pub fn quantizer(a: &Announcement) -> Result<Quantizer, String> {
    let q = Quantizer::new(a.norm_bound, a.scale, a.model_dim as usize)
        .map_err(|e| format!("announced τ/scale: {e}"))?;
    if q.b_int() != a.b_int {
        return Err(format!(
            "announced B_int {} does not follow from τ = {} and S = {} (expected {})",
            a.b_int,
            a.norm_bound,
            a.scale,
            q.b_int()
        ));
    }
    Ok(q)
}

/// Builds clinic `keys.id`'s submission of `update` for announced round `a` under the served key `pk`.
pub fn submission(
    keys: &ClinicKeys,
    pk: &PublicKey,
    a: &Announcement,
    update: &[f32],
    malicious: bool,
    rng: &mut ChaCha20Rng,
) -> Result<Sealed, String> {
    let err = |e: zkfl_core::clinic::ClinicError| format!("clinic {}: {e}", keys.id);
    let t0 = Instant::now();
    let round = crate::clinic::round(a, pk, keys)?;
    let m = if malicious {
        round.quantize_unclipped(update)
    } else {
        round.quantize(update)
    }
    .map_err(err)?;
    let exceeds_bound = m.norm_sq() > u128::from(a.b_int).pow(2);
    let enc = round.encrypt(&m, rng, &mut Silent).map_err(err)?;
    let mut encrypt_s = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    let proof = if malicious {
        round.prove_cheating(&enc, &m, keys.id.0, rng, &mut Silent)
    } else {
        round.prove(&enc, &m, keys.id.0, rng, &mut Silent)
    }
    .map_err(err)?;
    let prove_s = t1.elapsed().as_secs_f64();

    let t2 = Instant::now();
    let envelope = round
        .seal(enc.ciphertext(), &proof, keys.id.0, &keys.sign, 1, rng)
        .map_err(err)?;
    encrypt_s += t2.elapsed().as_secs_f64();
    Ok(Sealed {
        envelope,
        m: m.coeffs().to_vec(),
        exceeds_bound,
        encrypt_s,
        prove_s,
    })
}
