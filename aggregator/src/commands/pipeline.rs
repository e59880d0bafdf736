//! The clinic-side data path of one update without the proof (clip, quantize, encrypt; docs/QUANT.md, docs/BFV.md):
//! quantize → BFV-encrypt chunk by chunk → sum ciphertexts → decrypt → de-quantize. Shared by `zkfl params`
//! (round trip) and `zkfl bench` (timings); generic over the parameter set.

use rand_core::{CryptoRng, Rng};
use zkfl_core::arith::Modulus;
use zkfl_core::bfv::{self, Decryptor, Encryption, PlainModulus, PublicKeyPolys, SecretKey};
use zkfl_core::params::ParamSet;
use zkfl_core::policy::Config;
use zkfl_core::quant::{self, Quantizer};
/// K of each set (`zkfl_core::sets`, where it is computed), under the names the benches use.
pub use zkfl_core::{set_l::K as K_L, set_s::K as K_S, set_xl::K as K_XL};

/// A single-decryptor BFV key pair for `chunks` plaintext chunks (zkfl-core's key set-up).
pub struct Keys<P: ParamSet, const N: usize, const K: usize> {
    /// Secret key (seed of s_j, e'_j).
    pub sk: SecretKey<P, N>,
    /// The public key (a, b_1..b_L).
    pub pk: PublicKeyPolys<P, N, K>,
}

/// A multi-message ciphertext (c1, c0_1..c0_L) and its encryption randomness.
pub type Ciphertext<P, const N: usize> = Encryption<P, N>;

/// Generates a key pair with a fresh public a.
pub fn keygen<P: ParamSet, const N: usize, const K: usize>(
    chunks: usize,
    rng: &mut impl CryptoRng,
) -> Keys<P, N, K> {
    let sk = SecretKey::<P, N>::generate(rng);
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    let pk = PublicKeyPolys::generate(&sk, &seed, chunks);
    Keys { sk, pk }
}

/// Encrypts a quantized update (`m`: L·N centred integers, chunk j = `m[j·N..(j+1)·N]`).
pub fn encrypt<P: ParamSet, const N: usize, const K: usize>(
    keys: &Keys<P, N, K>,
    plain: PlainModulus<P::M>,
    m: &[i64],
    rng: &mut impl CryptoRng,
) -> Result<Ciphertext<P, N>, bfv::BfvError> {
    keys.pk.encrypt(plain, m, rng)
}

/// Decrypts into `out` (L·N coefficients of Z_t as residues in [0, t), ready for `quant::dequantize`).
pub fn decrypt<P: ParamSet, const N: usize, const K: usize>(
    keys: &Keys<P, N, K>,
    plain: PlainModulus<P::M>,
    ct: &Ciphertext<P, N>,
    out: &mut [u64],
) {
    let mut dec = Box::new(Decryptor::<P, N, K>::new(&keys.sk, plain, &ct.c1));
    let mut chunk = Box::new([0i64; N]);
    let t = plain.t();
    for (j, (c0, o)) in ct.c0.iter().zip(out.chunks_exact_mut(N)).enumerate() {
        dec.decrypt_chunk(j, c0, &mut chunk);
        for (x, &v) in o.iter_mut().zip(chunk.iter()) {
            // Centred in (−t/2, t/2]: rem_euclid maps it into [0, t).
            *x = v.rem_euclid(t as i64) as u64;
        }
    }
}

/// Bytes of a ciphertext of `chunks` chunks in the canonical coefficient encoding (⌈log2 q / 8⌉ bytes per
/// coefficient, (L + 1)·N coefficients), without any header.
pub fn ciphertext_bytes<P: ParamSet>(chunks: usize) -> usize {
    (chunks + 1) * P::N * <P::M as Modulus>::BYTES
}

/// A random test update: coordinates uniform in [−a, a] (a chosen so that some clinics are clipped).
pub fn random_update(params: usize, amplitude: f32, rng: &mut impl Rng) -> Vec<f32> {
    (0..params)
        .map(|_| {
            let u = (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32;
            (2.0 * u - 1.0) * amplitude
        })
        .collect()
}

/// Outcome of [`round_trip`].
pub struct RoundTrip {
    /// Largest |de-quantized mean − mean of the clipped updates| over all coordinates.
    pub max_error: f64,
    /// The bound 1/(2S) (+ f32 rounding) it must respect.
    pub bound: f64,
    /// Ciphertext bytes of one update.
    pub ciphertext_bytes: usize,
}

/// K clinics quantize and encrypt random updates, the ciphertexts are summed, the sum is decrypted and
/// de-quantized, and the result is compared with the exact mean of the clipped updates.
pub fn round_trip<P: ParamSet, const N: usize, const K: usize>(
    config: &Config,
    rng: &mut impl CryptoRng,
) -> Result<RoundTrip, Box<dyn std::error::Error>> {
    let q: &Quantizer = &config.quantizer;
    let (p, chunks) = (q.params(), config.chunks as usize);
    let keys = keygen::<P, N, K>(chunks, rng);
    let plain = PlainModulus::<P::M>::new(config.t).map_err(|e| e.to_string())?;
    let mut sum: Option<Ciphertext<P, N>> = None;
    let mut mean = vec![0.0_f64; p];
    let mut m = vec![0_i64; chunks * N];
    for clinic in 0..config.clinics {
        let d = random_update(p, 0.004 * (clinic + 1) as f32, rng);
        q.quantize(&d, &mut m)?;
        let c = q.clip_factor(&d)?.multiplier() / q.scale();
        for (acc, &x) in mean.iter_mut().zip(&d) {
            *acc += c * f64::from(x) / f64::from(config.clinics);
        }
        let ct = encrypt::<P, N, K>(&keys, plain, &m, rng).map_err(|e| e.to_string())?;
        match &mut sum {
            None => sum = Some(ct),
            Some(s) => {
                bfv::add_assign(&mut s.c1, &mut s.c0, &ct.c1, &ct.c0).map_err(|e| e.to_string())?
            }
        }
    }
    let sum = sum.ok_or("no clinics")?;
    let mut plain_sum = vec![0_u64; chunks * N];
    decrypt::<P, N, K>(&keys, plain, &sum, &mut plain_sum);
    let mut out = vec![0.0_f32; p];
    quant::dequantize(q, &plain_sum, config.t, config.clinics, &mut out)?;
    let max_error = out
        .iter()
        .zip(&mean)
        .map(|(&o, &e)| (f64::from(o) - e).abs())
        .fold(0.0, f64::max);
    Ok(RoundTrip {
        max_error,
        bound: q.mean_error_bound() * (1.0 + 1e-6) + f64::from(f32::EPSILON),
        ciphertext_bytes: ciphertext_bytes::<P>(chunks),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use zkfl_core::params::SetS;
    use zkfl_core::params::bounds::KeyBounds;
    use zkfl_core::policy::{ConfigRequest, check_config};

    #[test]
    fn quantize_encrypt_sum_decrypt_dequantize_round_trip() {
        let q = Quantizer::with_max_scale(5.0, 108_996, SetS::B_INT_MAX).unwrap();
        let config = check_config::<SetS>(&ConfigRequest {
            clinics: 3,
            params: 108_996,
            norm_bound: 5.0,
            scale: q.scale(),
            key: KeyBounds::single::<SetS>(),
            smudging: 0,
        })
        .unwrap();
        let rt =
            round_trip::<SetS, 2048, K_S>(&config, &mut ChaCha20Rng::seed_from_u64(3)).unwrap();
        assert!(rt.max_error <= rt.bound, "{} > {}", rt.max_error, rt.bound);
        // Not vacuous: quantization error is visible, just bounded.
        assert!(rt.max_error > rt.bound / 100.0);
        assert_eq!(rt.ciphertext_bytes, 55 * 2048 * 6);
    }
}
