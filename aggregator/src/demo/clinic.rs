//! The clinic side of the `zkfl` configurations, as a real clinic runs it against `zkfl serve` (docs/API.md):
//! check the signed round announcement with the pinned aggregator key, check the served BFV public key against
//! the announced hash, clip and quantize with the announced τ and scale, BFV-encrypt every chunk (set S),
//! prove ‖m‖₂ ≤ B_int and well-formedness bound to (set, round, clinic, key hash, ciphertext) (zkfl_core::zk),
//! sign with the clinic's ML-DSA-65 key and seal to the aggregator's ML-KEM-768 key (zkfl_core::channel).
//!
//! A malicious clinic cannot prove a false statement: the honest prover refuses, so it runs the library's
//! cheating prover (norm checks switched off) and, if even that fails, sends an all-zero proof.

use std::path::Path;
use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use zkfl_core::arith::{Modulus, Q44};
use zkfl_core::bfv::{self, Encryptor, PlainModulus};
use zkfl_core::channel::{
    ClinicId, KemPublicKey, MlKem768, RoundId, SigningKey, SubmissionFields, seal_submission_to_vec,
};
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::quant::{Quantizer, norm_sq};
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::wire;
use zkfl_core::zk::prove::{Cheat, SliceUpdate, Witness, prove, prove_with};
use zkfl_core::zk::statement::{Context, Statement};

use crate::round::Announcement;

/// Ring degree of set S.
pub const N: usize = SetS::N;
/// Auxiliary NTT primes for set S products.
const K: usize = bfv::ternary_product_primes(N, <Q44 as Modulus>::BITS);
type Set = SetS;

/// The aggregator's BFV public key as every clinic uses it: NTT forms for encryption, coefficient forms
/// for the proof statement, only the first L chunks.
pub struct BfvPublic {
    a_ntt: Box<NttPoly<N, K>>,
    b_ntt: Vec<NttPoly<N, K>>,
    pk_a: Box<[u64; N]>,
    pk_b: Vec<[u64; N]>,
    /// SHA3-256 of the served key bytes (must equal the announcement's `bfv_public_key_sha3`).
    pub sha3: [u8; 32],
}

impl BfvPublic {
    /// Decodes the served key and keeps `chunks` of its L_max chunks.
    pub fn decode(bytes: &[u8], chunks: usize) -> Result<Self, String> {
        let mut a = Box::new(Poly::<Q44, N>::zero());
        let mut b = vec![Poly::<Q44, N>::zero(); Set::MAX_CHUNKS];
        wire::bfv::decode_public_key::<Set, N>(bytes, &mut a, &mut b)
            .map_err(|e| format!("BFV public key: {e:?}"))?;
        if chunks == 0 || chunks > b.len() {
            return Err(format!("a model of {chunks} chunks does not fit set S"));
        }
        b.truncate(chunks);
        Ok(Self {
            a_ntt: Box::new(NttPoly::from_poly(&*a)),
            b_ntt: b.iter().map(NttPoly::from_poly).collect(),
            pk_a: Box::new(a.coeffs),
            pk_b: b.iter().map(|p| p.coeffs).collect(),
            sha3: crate::coordinator::sha3(bytes),
        })
    }

    /// Chunks L.
    #[must_use]
    pub fn chunks(&self) -> usize {
        self.b_ntt.len()
    }
}

/// One clinic's own keys (`keys/clinics/<id>` from `zkfl keygen`).
pub struct ClinicKeys {
    /// Roster id.
    pub id: u32,
    sign: SigningKey,
    kem: KemPublicKey<MlKem768>,
    /// Pinned aggregator ML-DSA-65 verifying key (checks round announcements).
    pub aggregator_vk: Vec<u8>,
}

impl ClinicKeys {
    /// Loads clinic `id` from the key directory `keys`.
    pub fn load(keys: &Path, id: u32) -> Result<Self, String> {
        let dir = keys.join(format!("clinics/{id}"));
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| format!("{}/{name}: {e}", dir.display()))
        };
        let seed = zeroize::Zeroizing::new(read("sign-seed.bin")?);
        Ok(Self {
            id,
            sign: SigningKey::from_bytes(&seed).map_err(|e| format!("clinic {id} key: {e}"))?,
            kem: KemPublicKey::<MlKem768>::from_bytes(&read("kem-ek.bin")?)
                .map_err(|e| format!("clinic {id} pinned KEM key: {e}"))?,
            aggregator_vk: read("aggregator-vk.bin")?,
        })
    }
}

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

/// The round's quantizer from the signed announcement; refuses an announcement whose B_int or t does not
/// follow from its τ and scale.
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

/// Builds clinic `keys.id`'s submission of `update` for announced round `a`.
pub fn submission(
    keys: &ClinicKeys,
    pk: &BfvPublic,
    a: &Announcement,
    update: &[f32],
    malicious: bool,
    rng: &mut ChaCha20Rng,
) -> Result<Sealed, String> {
    let t0 = Instant::now();
    if pk.sha3 != a.bfv_public_key_sha3 {
        return Err("the served BFV key is not the announced one".into());
    }
    let q = quantizer(a)?;
    let plain = PlainModulus::<Q44>::new(a.t).map_err(|e| format!("announced t: {e:?}"))?;
    let mut m = vec![0i64; pk.chunks() * N];
    if malicious {
        quantize_unclipped(q.scale(), update, &mut m);
    } else {
        q.quantize(update, &mut m)
            .map_err(|e| format!("clinic {}: {e}", keys.id))?;
    }
    let exceeds_bound = norm_sq(&m) > u128::from(a.b_int).pow(2);
    reduce_mod_t(&mut m, a.t, plain.message_range());
    let mut enc = Box::new(Encryptor::<Set, N, K>::new(
        &pk.a_ntt,
        plain,
        pk.chunks(),
        rng,
    ));
    let mut c0 = vec![Poly::<Q44, N>::zero(); pk.chunks()];
    let mut chunk = Box::new([0i64; N]);
    for (j, b) in pk.b_ntt.iter().enumerate() {
        chunk.copy_from_slice(&m[j * N..(j + 1) * N]);
        enc.encrypt_chunk(b, &chunk, &mut c0[j])
            .map_err(|e| format!("clinic {}: encryption failed: {e:?}", keys.id))?;
    }
    let c1 = Box::new(enc.c1().clone());
    let mut ct = vec![0u8; wire::bfv::encoded_len::<Set>(c0.len())];
    wire::bfv::encode_ciphertext::<Set, N>(&c1, &c0, &mut ct).map_err(|e| format!("{e:?}"))?;
    let u: Vec<i64> = enc
        .u()
        .coeffs
        .iter()
        .map(|&c| Q44::to_centered(c) as i64)
        .collect();
    drop(enc);
    let mut encrypt_s = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    let c0c: Vec<[u64; N]> = c0.iter().map(|p| p.coeffs).collect();
    let st = Statement {
        pk_a: &pk.pk_a,
        pk_b: &pk.pk_b,
        c1: &c1.coeffs,
        c0: &c0c,
        t: plain.t(),
        bound: a.b_int,
    };
    let ctx = Context {
        round: a.round,
        clinic: u64::from(keys.id),
    };
    let proof = prove_update(&st, &ctx, &u, &m, malicious, rng)
        .map_err(|e| format!("clinic {}: {e}", keys.id))?;
    let prove_s = t1.elapsed().as_secs_f64();

    let t2 = Instant::now();
    let fields = SubmissionFields {
        param_id: Set::ID,
        round: RoundId(a.round),
        clinic: ClinicId(keys.id),
    };
    let envelope = seal_submission_to_vec(&keys.kem, &fields, 1, &ct, &proof, &keys.sign, rng)
        .map_err(|e| format!("clinic {}: seal: {e}", keys.id))?;
    encrypt_s += t2.elapsed().as_secs_f64();
    Ok(Sealed {
        envelope,
        m,
        exceeds_bound,
        encrypt_s,
        prove_s,
    })
}

/// The norm proof: the honest prover for an honest clinic; for a malicious one the cheating prover without
/// norm checks, or a forged all-zero proof of the right length if even that fails.
fn prove_update(
    st: &Statement<'_, Q44, N>,
    ctx: &Context,
    u: &[i64],
    m: &[i64],
    malicious: bool,
    rng: &mut ChaCha20Rng,
) -> Result<Vec<u8>, String> {
    let layout = st
        .layout::<Set>()
        .map_err(|e| format!("proof statement: {e}"))?;
    let chunks: Vec<[i64; N]> = m
        .chunks_exact(N)
        .map(|c| {
            let mut a = [0i64; N];
            a.copy_from_slice(c);
            a
        })
        .collect();
    let mut proof = vec![0u8; layout.proof_len()];
    let mut wit = Witness {
        u,
        m: SliceUpdate(&chunks),
    };
    if !malicious {
        prove::<Set, N, _, _>(st, ctx, &mut wit, rng, &mut proof)
            .map_err(|e| format!("prover refused: {e:?}"))?;
        return Ok(proof);
    }
    let cheat = Cheat {
        skip_norm_checks: true,
        ..Cheat::default()
    };
    if prove_with::<Set, N, _, _>(st, ctx, &mut wit, rng, &mut proof, cheat).is_err() {
        proof.fill(0);
    }
    Ok(proof)
}

/// What a malicious clinic can encrypt: round(S·d) without clipping.
fn quantize_unclipped(scale: f64, update: &[f32], out: &mut [i64]) {
    for (o, &d) in out.iter_mut().zip(update) {
        let v = (f64::from(d) * scale).round();
        *o = if v.is_finite() {
            v.clamp(-1e15, 1e15) as i64
        } else {
            0
        };
    }
}

/// Centred representative mod t (a no-op for honest, clipped updates).
fn reduce_mod_t(m: &mut [i64], t: u64, (_, hi): (i64, i64)) {
    let t = t as i64;
    for x in m {
        let r = x.rem_euclid(t);
        *x = if r > hi { r - t } else { r };
    }
}
