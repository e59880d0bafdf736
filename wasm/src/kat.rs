//! Known-answer and benchmark helpers (feature `kat`, never in the page's package): fixed seeds → synthetic
//! data → trained update → quantized integers → BFV ciphertext under a seeded set-S key, each stage hashed.
//! `tests/kat.rs` checks the digests against `tests/vectors/kat.txt` (computed natively) on both targets, so
//! the wasm32 build provably computes the same bytes as the native one (README.md, "Other targets").
//! Only calls into `zkfl-core`; the fixed seeds make it a test fixture, not a way to encrypt real updates.
//!
//! The proof KAT (`proof_kat`, vector `tests/vectors/proof.txt`) runs the page's own path
//! (`ClinicRound::encrypt`: clip, quantize, encrypt, prove) on the first [`PROOF_PARAMS`] values of the KAT
//! update under the seeded key, with a seeded RNG, and hashes the proof bytes. `KatProveBench` times the same
//! path on the whole 108,996-parameter update (the browser/native bench).

use crate::clinic::{ClinicRound, PreparedUpdate};
use crate::learn::{synthetic_clinic_data, train_update};
use crate::progress::Silent;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha3::{Digest, Sha3_256};
use wasm_bindgen::prelude::wasm_bindgen;
use zkfl_core::bfv::PlainModulus;
use zkfl_core::channel::{KemSecretKey, MlKem768};
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::quant::{Quantizer, chunk_count};
use zkfl_learn::{Mlp, param_count};

use zkfl_core::set_s::{self, N};
const CLINICS: u64 = 5;

fn hex(d: impl AsRef<[u8]>) -> String {
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// Digests (SHA3-256, hex) of each stage for the fixed seeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digests {
    /// Synthetic data of clinic 2 of 5 (64 samples): features (f32 LE) then labels.
    pub data: String,
    /// The trained update (f32 LE).
    pub update: String,
    /// The clipped, quantized integers (i64 LE), zero-padded to L·N.
    pub quantized: String,
    /// c1 ‖ c0_1 ‖ … ‖ c0_L, centred coefficients (i128 LE).
    pub ciphertext: String,
}

/// The KAT's trained update (108,996 f32): seeded data, seeded initial model, one seeded epoch.
pub fn kat_update() -> Vec<f32> {
    let data = synthetic_clinic_data(2, CLINICS as u32, 64, &[0u8; 32]).expect("data");
    let global = Mlp::new(&Mlp::PAPER_SIZES, &mut ChaCha20Rng::from_seed([1; 32]))
        .expect("mlp")
        .params()
        .to_vec();
    train_update(
        &global,
        &data,
        1,
        &mut ChaCha20Rng::from_seed([2; 32]),
        &mut Silent,
    )
    .expect("train")
}

/// Digests of the stages that do not depend on the BFV encryption (data, update, quantized) and the
/// quantized message, its plaintext modulus and chunk count.
pub fn prepare() -> (Digests, Vec<i64>, u64, usize) {
    let data = synthetic_clinic_data(2, CLINICS as u32, 64, &[0u8; 32]).expect("data");
    let mut h = Sha3_256::new();
    data.x.iter().for_each(|v| h.update(v.to_le_bytes()));
    h.update(&data.y);
    let data_digest = hex(h.finalize());

    let update = kat_update();
    let mut h = Sha3_256::new();
    update.iter().for_each(|v| h.update(v.to_le_bytes()));
    let update_digest = hex(h.finalize());

    let quant = Quantizer::with_max_scale(5.0, update.len(), SetS::B_INT_MAX).expect("quantizer");
    let chunks = chunk_count(update.len(), N);
    let mut m = vec![0i64; chunks * N];
    quant.quantize(&update, &mut m).expect("quantize");
    let mut h = Sha3_256::new();
    m.iter().for_each(|v| h.update(v.to_le_bytes()));
    let quantized_digest = hex(h.finalize());

    let t = 2 * CLINICS * quant.b_int() + 1;
    let d = Digests {
        data: data_digest,
        update: update_digest,
        quantized: quantized_digest,
        ciphertext: String::new(),
    };
    (d, m, t, chunks)
}

/// All four digests.
pub fn run() -> Digests {
    let (mut d, m, t, chunks) = prepare();
    d.ciphertext = encrypt_digest(&m, t, chunks);
    d
}

/// JS (feature `kat` only): the four digests, one `name hex` per line, as in `tests/vectors/kat.txt`.
#[wasm_bindgen(js_name = katDigests)]
pub fn js_kat_digests() -> String {
    let d = run();
    format!(
        "data {}\nupdate {}\nquantized {}\nciphertext {}\n",
        d.data, d.update, d.quantized, d.ciphertext
    )
}

/// Parameters of the proof KAT: the first two chunks' worth of the KAT update (a 4,096-parameter model), so
/// the wasm test in Node stays quick; the prover's code path is the same for every chunk count.
pub const PROOF_PARAMS: usize = 2 * N;
/// Round and clinic the KAT proofs are bound to, and the announced public-key hash.
const PROOF_ROUND: u64 = 1;
const PROOF_CLINIC: u32 = 2;
/// Seed of the RNG that the encryption and then the prover draw from.
const PROOF_RNG_SEED: [u8; 32] = [7; 32];

/// A `ClinicRound` for a `params`-parameter model under the KAT's seeded set-S key (a from seed 5, secret
/// from seed 4) and a seeded ML-KEM key: clip 5, the largest scale for the paper's 108,996 parameters (as
/// the demo's aggregator announces), 5 clinics.
pub fn kat_round(params: usize) -> ClinicRound {
    let scale = Quantizer::with_max_scale(5.0, param_count(&Mlp::PAPER_SIZES), SetS::B_INT_MAX)
        .expect("quantizer")
        .scale();
    let pk = kat_key(chunk_count(params, N))
        .encode()
        .expect("public key");
    let kem = KemSecretKey::<MlKem768>::from_seed(&[3; 64]);
    ClinicRound::new(
        SetS::ID,
        PROOF_ROUND,
        CLINICS as u32,
        u32::try_from(params).expect("params"),
        5.0,
        scale,
        &pk,
        kem.public_key().to_bytes().as_ref(),
    )
    .expect("round")
}

/// Clip + quantize + encrypt + prove `update` for the KAT clinic with the seeded RNG (the page's path).
pub fn encrypt_and_prove(round: &ClinicRound, update: &[f32]) -> PreparedUpdate {
    round
        .encrypt(
            update,
            PROOF_CLINIC,
            round.pk_sha3(),
            &mut ChaCha20Rng::from_seed(PROOF_RNG_SEED),
            &mut Silent,
        )
        .expect("encrypt and prove")
}

/// The proof KAT: `proof_len`, `ciphertext` and `proof` digests (SHA3-256 of the encoded bytes), one
/// `name value` per line as in `tests/vectors/proof.txt`.
pub fn proof_kat() -> String {
    let update = kat_update();
    let p = encrypt_and_prove(&kat_round(PROOF_PARAMS), &update[..PROOF_PARAMS]);
    describe_prepared(&p)
}

fn describe_prepared(p: &PreparedUpdate) -> String {
    format!(
        "proof_len {}\nciphertext {}\nproof {}\n",
        p.proof_bytes().len(),
        hex(Sha3_256::digest(p.ciphertext_bytes())),
        hex(Sha3_256::digest(p.proof_bytes()))
    )
}

/// JS (feature `kat` only): the proof KAT's lines (see [`proof_kat`]).
#[wasm_bindgen(js_name = katProofDigests)]
pub fn js_kat_proof_digests() -> String {
    proof_kat()
}

/// JS (feature `kat` only): the whole KAT update and its round prepared once (not timed); `run()` clips,
/// quantizes, encrypts and proves it with the seeded RNG — `ClinicRound::encrypt`, the page's path — and
/// `digest()` describes the last result (same lines as the proof KAT, so native and browser can be compared
/// byte for byte). The encrypt + prove half of the browser/native bench (scripts/wasm-bench.sh).
#[wasm_bindgen]
pub struct KatProveBench {
    update: Vec<f32>,
    round: ClinicRound,
    last: Option<PreparedUpdate>,
}

#[wasm_bindgen]
impl KatProveBench {
    /// Prepares update and round (108,996 parameters, 54 chunks).
    #[wasm_bindgen(constructor)]
    pub fn new() -> KatProveBench {
        let update = kat_update();
        let round = kat_round(update.len());
        KatProveBench {
            update,
            round,
            last: None,
        }
    }

    /// Clip + quantize + encrypt + prove once.
    pub fn run(&mut self) {
        self.last = Some(encrypt_and_prove(&self.round, &self.update));
    }

    /// `proof_len`, `ciphertext` and `proof` lines of the last run (empty before `run`).
    pub fn digest(&self) -> String {
        self.last
            .as_ref()
            .map(describe_prepared)
            .unwrap_or_default()
    }
}

impl Default for KatProveBench {
    fn default() -> Self {
        Self::new()
    }
}

/// The KAT's seeded set-S public key (a, b_1..b_L), derived once.
pub type KatKey = set_s::PublicKey;

type PolyS = set_s::Poly;

/// Derives the seeded key with `chunks` chunks (a from seed 5, secret from seed 4).
pub fn kat_key(chunks: usize) -> KatKey {
    KatKey::generate(&set_s::SecretKey::from_seed([4; 32]), &[5; 32], chunks)
}

/// BFV-encrypts the quantized chunks `m` (plaintext modulus `t`) under `key` with the KAT's seeded RNG:
/// exactly the clinic's work per update (`ClinicRound::encrypt` minus clipping), the part the bench times.
pub fn encrypt(key: &KatKey, m: &[i64], t: u64) -> (Box<PolyS>, Vec<PolyS>) {
    let plain = PlainModulus::new(t).expect("t");
    let enc = key
        .encrypt(plain, m, &mut ChaCha20Rng::from_seed([6; 32]))
        .expect("encrypt");
    (enc.c1, enc.c0)
}

/// SHA3-256 of c1 ‖ c0_1 ‖ … ‖ c0_L (centred coefficients, i128 LE), hex.
pub fn ciphertext_digest(c1: &PolyS, c0: &[PolyS]) -> String {
    let mut h = Sha3_256::new();
    for p in core::iter::once(c1).chain(c0) {
        (0..N).for_each(|i| h.update(p.centered(i).to_le_bytes()));
    }
    hex(h.finalize())
}

/// Encrypts the quantized chunks under the seeded key and returns the ciphertext digest.
pub fn encrypt_digest(m: &[i64], t: u64, chunks: usize) -> String {
    let (c1, c0) = encrypt(&kat_key(chunks), m, t);
    ciphertext_digest(&c1, &c0)
}

/// JS (feature `kat` only): the KAT's update and key prepared once; `run()` encrypts (timed by the caller),
/// `digest()` hashes the last ciphertext. The browser half of the native/wasm ratio (scripts/wasm-bench.sh).
#[wasm_bindgen]
pub struct KatBench {
    m: Vec<i64>,
    t: u64,
    key: KatKey,
    last: Option<(Box<PolyS>, Vec<PolyS>)>,
}

#[wasm_bindgen]
impl KatBench {
    /// Prepares data, update, quantized message and key (not timed).
    #[wasm_bindgen(constructor)]
    pub fn new() -> KatBench {
        let (_, m, t, chunks) = prepare();
        KatBench {
            m,
            t,
            key: kat_key(chunks),
            last: None,
        }
    }

    /// Encrypts the update once.
    pub fn run(&mut self) {
        self.last = Some(encrypt(&self.key, &self.m, self.t));
    }

    /// Digest of the last ciphertext (empty before `run`).
    pub fn digest(&self) -> String {
        self.last
            .as_ref()
            .map(|(c1, c0)| ciphertext_digest(c1, c0))
            .unwrap_or_default()
    }
}

impl Default for KatBench {
    fn default() -> Self {
        Self::new()
    }
}

/// Native benches only (`examples/bench_*`; `Instant` has no clock on wasm32): the median wall time of
/// `reps` calls of `run`, in milliseconds.
pub fn median_ms(reps: usize, mut run: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let start = std::time::Instant::now();
            run();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[reps / 2]
}
