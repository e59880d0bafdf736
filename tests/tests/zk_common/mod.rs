//! Shared set-up of the cross-crate proof tests (`zk_kat`, `zk_e2e`, `zk_leakage`): a seeded BFV key
//! (core::bfv), a deterministic update, its multi-message encryption with the witness u taken from the
//! encryptor, and the proof statement and context exactly as the aggregator and the browser clinic build them
//! (context = round, clinic, SHA3-256 of the wire-encoded public key). Every input is derived from 32-byte
//! seeds through zkfl-core and `rand_chacha` only, so the wasm build can recompute the same bytes
//! (tests/vectors/zk/README.md documents the derivation).
#![allow(dead_code)]

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use sha3::{Digest, Sha3_256};
use zkfl_core::arith::Modulus;
use zkfl_core::bfv::{PlainModulus, PublicKeyPolys, SecretKey};
use zkfl_core::params::ParamSet;
use zkfl_core::wire;
use zkfl_core::zk::params::ZkParams;
use zkfl_core::zk::prove::{ProveError, ProveStats, SliceUpdate, UpdateSource, Witness, prove};
use zkfl_core::zk::statement::{Context, Statement};

/// Coefficient type of a set.
pub type Coeff<P> = <<P as ParamSet>::M as Modulus>::Coeff;

/// Stack of the threads that prove and verify: the streaming prover keeps its fixed-size state (and set L's
/// 4096-coefficient temporaries) on the stack, as the aggregator's clinic threads do.
pub const PROVER_STACK: usize = 64 << 20;

/// Runs `f` on a thread with [`PROVER_STACK`] bytes of stack.
pub fn big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(PROVER_STACK)
            .spawn_scoped(s, f)
            .expect("spawn prover thread")
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// SHA3-256, hex.
pub fn sha3_hex(bytes: &[u8]) -> String {
    hex::encode(Sha3_256::digest(bytes))
}

/// Everything that determines one proof.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Seed of the BFV secret key (`SecretKey::from_seed`).
    pub sk_seed: [u8; 32],
    /// Seed of the public polynomial a (`bfv::public_a`).
    pub a_seed: [u8; 32],
    /// Seed of the ChaCha20 RNG handed to `Encryptor::new` (u, e2, e1_j).
    pub enc_seed: [u8; 32],
    /// Seed of the update (see [`seeded_chunk`]).
    pub update_seed: [u8; 32],
    /// Seed of the ChaCha20 RNG handed to `zk::prove::prove`.
    pub proof_seed: [u8; 32],
    /// Nonzero coefficients of the update (the rest of the last chunk is zero padding).
    pub params: usize,
    /// Chunks L.
    pub chunks: usize,
    /// Plaintext modulus t.
    pub t: u64,
    /// Norm bound B.
    pub bound: u64,
    /// Round id of the context.
    pub round: u64,
    /// Clinic id of the context.
    pub clinic: u64,
}

/// Chunk j of the seeded update: global coefficient g = j·N + i is, for g < params,
/// (x mod 201) − 100 with x the next `u32` of ChaCha20Rng::from_seed(update_seed) on stream j
/// (`set_stream(j)`), drawn in order i = 0, 1, …; coefficients with g ≥ params are 0 and draw nothing.
pub fn seeded_chunk<const N: usize>(seed: &[u8; 32], params: usize, j: usize, out: &mut [i64; N]) {
    let mut rng = ChaCha20Rng::from_seed(*seed);
    rng.set_stream(j as u64);
    for (i, x) in out.iter_mut().enumerate() {
        *x = if j * N + i < params {
            i64::from(rng.next_u32() % 201) - 100
        } else {
            0
        };
    }
}

/// The seeded update as a streaming source: chunk j is regenerated from the seed on every read and never
/// stored (the way a device reads its update from flash).
pub struct SeededUpdate {
    /// Update seed.
    pub seed: [u8; 32],
    /// Nonzero coefficients.
    pub params: usize,
    /// Number of chunk reads so far (the prover reads each chunk once per pass).
    pub reads: usize,
}

impl<const N: usize> UpdateSource<N> for SeededUpdate {
    fn chunk(&mut self, j: usize, out: &mut [i64; N]) {
        self.reads += 1;
        seeded_chunk::<N>(&self.seed, self.params, j, out);
    }
}

/// The whole seeded update in memory.
pub fn seeded_update<const N: usize>(
    seed: &[u8; 32],
    params: usize,
    chunks: usize,
) -> Vec<[i64; N]> {
    (0..chunks)
        .map(|j| {
            let mut c = [0i64; N];
            seeded_chunk::<N>(seed, params, j, &mut c);
            c
        })
        .collect()
}

/// The seeded public key: sk = SecretKey::from_seed(sk_seed), a = public_a(a_seed),
/// b_j = sk.public_key_chunk(a, j), j < `chunks` (zkfl-core's one key set-up, `bfv::PublicKeyPolys`).
pub fn key<P: ParamSet, const N: usize, const K: usize>(
    sk_seed: [u8; 32],
    a_seed: [u8; 32],
    chunks: usize,
) -> PublicKeyPolys<P, N, K> {
    PublicKeyPolys::generate(&SecretKey::<P, N>::from_seed(sk_seed), &a_seed, chunks)
}

/// Public statement data, witness and context of one encrypted update.
pub struct Instance<P: ParamSet, const N: usize> {
    /// pk.a.
    pub pk_a: Box<[Coeff<P>; N]>,
    /// pk.b_j.
    pub pk_b: Vec<[Coeff<P>; N]>,
    /// ct.c1.
    pub c1: Box<[Coeff<P>; N]>,
    /// ct.c0_j.
    pub c0: Vec<[Coeff<P>; N]>,
    /// Plaintext modulus t (the statement derives Δ = ⌊q/t⌋).
    pub t: u64,
    /// B.
    pub bound: u64,
    /// u (centred), taken from the encryptor.
    pub u: Vec<i64>,
    /// The update.
    pub m: Vec<[i64; N]>,
    /// Context.
    pub ctx: Context,
    /// Wire encoding of the ciphertext.
    pub ct_bytes: Vec<u8>,
}

impl<P: ParamSet, const N: usize> Instance<P, N> {
    /// The statement over this instance's slices.
    pub fn statement(&self) -> Statement<'_, P::M, N> {
        Statement {
            pk_a: &self.pk_a,
            pk_b: &self.pk_b,
            c1: &self.c1,
            c0: &self.c0,
            t: self.t,
            bound: self.bound,
        }
    }
}

/// Encrypts `m` under `key` with ChaCha20Rng::from_seed(enc_seed) handed to `Encryptor::new`, chunk by chunk
/// in order (`PublicKeyPolys::encrypt`), and assembles the instance (context: round, clinic).
#[allow(clippy::too_many_arguments)]
pub fn encrypt<P: ParamSet, const N: usize, const K: usize>(
    key: &PublicKeyPolys<P, N, K>,
    m: Vec<[i64; N]>,
    t: u64,
    bound: u64,
    enc_seed: [u8; 32],
    round: u64,
    clinic: u64,
) -> Instance<P, N> {
    let plain = PlainModulus::<P::M>::new(t).expect("plaintext modulus");
    let enc = key
        .encrypt(
            plain,
            m.as_flattened(),
            &mut ChaCha20Rng::from_seed(enc_seed),
        )
        .expect("encrypt");
    let mut ct_bytes = vec![0u8; wire::bfv::encoded_len::<P>(m.len())];
    wire::bfv::encode_ciphertext::<P, N>(&enc.c1, &enc.c0, &mut ct_bytes).expect("encode ct");
    Instance {
        pk_a: Box::new(key.a.coeffs),
        pk_b: key.b_coeffs(),
        c1: Box::new(enc.c1.coeffs),
        c0: enc.c0_coeffs(),
        t: plain.t(),
        bound,
        u: enc.u.to_vec(),
        m,
        ctx: Context { round, clinic },
        ct_bytes,
    }
}

/// Key and instance of a spec (the seeded update in memory).
pub fn instance<P: ParamSet, const N: usize, const K: usize>(spec: &Spec) -> Instance<P, N> {
    let key = key::<P, N, K>(spec.sk_seed, spec.a_seed, spec.chunks);
    let m = seeded_update::<N>(&spec.update_seed, spec.params, spec.chunks);
    encrypt::<P, N, K>(
        &key,
        m,
        spec.t,
        spec.bound,
        spec.enc_seed,
        spec.round,
        spec.clinic,
    )
}

/// Proves `inst` reading the update from `src`, with ChaCha20Rng::from_seed(proof_seed).
pub fn prove_from<P: ZkParams, const N: usize, U: UpdateSource<N>>(
    inst: &Instance<P, N>,
    src: U,
    proof_seed: [u8; 32],
) -> Result<(Vec<u8>, ProveStats), ProveError> {
    let st = inst.statement();
    let len = st
        .layout::<P>()
        .map_err(|_| ProveError::Statement)?
        .prove_buf_len();
    let mut out = vec![0u8; len];
    let mut wit = Witness { u: &inst.u, m: src };
    let stats = prove::<P, N, _, _>(
        &st,
        &inst.ctx,
        &mut wit,
        &mut ChaCha20Rng::from_seed(proof_seed),
        &mut out,
    )?;
    out.truncate(stats.len);
    Ok((out, stats))
}

/// Proves `inst` from its in-memory update.
pub fn prove_slice<P: ZkParams, const N: usize>(
    inst: &Instance<P, N>,
    proof_seed: [u8; 32],
) -> Result<(Vec<u8>, ProveStats), ProveError> {
    prove_from::<P, N, _>(inst, SliceUpdate(&inst.m), proof_seed)
}

/// ‖m‖² of an update.
pub fn norm_sq<const N: usize>(m: &[[i64; N]]) -> u128 {
    m.iter()
        .flat_map(|c| c.iter())
        .map(|&x| (i128::from(x) * i128::from(x)) as u128)
        .sum()
}

/// The update as i64 little-endian bytes (for hashing).
pub fn update_bytes<const N: usize>(m: &[[i64; N]]) -> Vec<u8> {
    m.iter()
        .flat_map(|c| c.iter())
        .flat_map(|x| x.to_le_bytes())
        .collect()
}
