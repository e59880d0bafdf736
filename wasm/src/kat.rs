//! Known-answer and benchmark helpers (feature `kat`, never in the page's package): fixed seeds → synthetic
//! data → trained update → quantized integers → BFV ciphertext under a seeded set-S key, each stage hashed.
//! `tests/kat.rs` checks the digests against `tests/vectors/kat.txt` (computed natively) on both targets, so
//! the wasm32 build provably computes the same bytes as the native one (ARCHITECTURE.md, "Quality bars").
//! Only calls into `zkfl-core`; the fixed seeds make it a test fixture, not a way to encrypt real updates.

use crate::learn::{synthetic_clinic_data, train_update};
use crate::progress::Silent;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sha3::{Digest, Sha3_256};
use wasm_bindgen::prelude::wasm_bindgen;
use zkfl_core::bfv::{Encryptor, PlainModulus, SecretKey, public_a};
use zkfl_core::learn::Mlp;
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::quant::{Quantizer, chunk_count};
use zkfl_core::ring::{NttPoly, Poly};

const N: usize = 2048;
/// NTT primes for set S products (as in core's BFV tests).
const K: usize = 2;
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

/// Digests of the stages that do not depend on the BFV encryption (data, update, quantized) and the
/// quantized message, its plaintext modulus and chunk count.
pub fn prepare() -> (Digests, Vec<i64>, u64, usize) {
    let data = synthetic_clinic_data(2, CLINICS as u32, 64, &[0u8; 32]).expect("data");
    let mut h = Sha3_256::new();
    data.x.iter().for_each(|v| h.update(v.to_le_bytes()));
    h.update(&data.y);
    let data_digest = hex(h.finalize());

    let global = Mlp::new(&Mlp::PAPER_SIZES, &mut ChaCha20Rng::from_seed([1; 32]))
        .expect("mlp")
        .params()
        .to_vec();
    let update = train_update(
        &global,
        &data,
        1,
        &mut ChaCha20Rng::from_seed([2; 32]),
        &mut Silent,
    )
    .expect("train");
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

/// The KAT's seeded set-S public key (a, b_1..b_L) in NTT form, derived once.
pub struct KatKey {
    a_ntt: Box<NttPoly<N, K>>,
    b_ntt: Vec<NttPoly<N, K>>,
}

type PolyS = Poly<<SetS as ParamSet>::M, N>;

/// Derives the seeded key with `chunks` chunks.
pub fn kat_key(chunks: usize) -> KatKey {
    let sk = SecretKey::<SetS, N>::from_seed([4; 32]);
    let mut a = Box::new(Poly::zero());
    public_a::<SetS, N>(&[5; 32], &mut a);
    let a_ntt = Box::new(NttPoly::<N, K>::from_poly(&*a));
    let mut b = Box::new(Poly::zero());
    let b_ntt = (0..chunks)
        .map(|j| {
            sk.public_key_chunk(&a_ntt, j, &mut b);
            NttPoly::from_poly(&*b)
        })
        .collect();
    KatKey { a_ntt, b_ntt }
}

/// BFV-encrypts the quantized chunks `m` (plaintext modulus `t`) under `key` with the KAT's seeded RNG:
/// exactly the clinic's work per update (`ClinicRound::encrypt` minus clipping), the part the bench times.
pub fn encrypt(key: &KatKey, m: &[i64], t: u64) -> (Box<PolyS>, Vec<PolyS>) {
    let plain = PlainModulus::new(t).expect("t");
    let chunks = key.b_ntt.len();
    let mut enc = Box::new(Encryptor::<SetS, N, K>::new(
        &key.a_ntt,
        plain,
        chunks,
        &mut ChaCha20Rng::from_seed([6; 32]),
    ));
    let mut mj = Box::new([0i64; N]);
    let mut c0 = Vec::with_capacity(chunks);
    for (b, chunk) in key.b_ntt.iter().zip(m.chunks_exact(N)) {
        mj.copy_from_slice(chunk);
        let mut c = PolyS::zero();
        enc.encrypt_chunk(b, &mj, &mut c).expect("encrypt");
        c0.push(c);
    }
    (Box::new(enc.c1().clone()), c0)
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
