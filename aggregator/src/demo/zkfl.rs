//! Configuration `zkfl`: every clinic clips and quantizes its update (zkfl_core::quant), BFV-encrypts all
//! 108,996 parameters (zkfl_core::bfv, set S), the aggregator adds the accepted ciphertexts homomorphically
//! and only the sum is decrypted and de-quantized. The parameter set, scale S, B_int and t come from
//! `params::limits::check_config`, i.e. from the noise analysis, and are printed.
//!
//! Every clinic proves (zkfl_core::zk, docs/PROTOCOL.md) that its ciphertext is well formed and ‖m‖₂ ≤ B_int,
//! bound to (set, round, clinic, public-key hash, ciphertext). A malicious clinic cannot: the honest prover
//! refuses a false statement, so the attacker runs the prover with its norm checks switched off (the
//! strongest cheating prover the library offers) and, if even that fails, sends a forged all-zero proof. The
//! aggregator verifies every proof and rejects with the verifier's reason.

use super::pipeline::{Decision, Pipeline, RoundOutcome, Submission, TimeSplit};
use super::transport::Channel;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use sha3::Digest;
use std::time::Instant;
use zkfl_core::arith::{Modulus, Q44};
use zkfl_core::bfv::{self, Decryptor, Encryptor, PlainModulus, SecretKey, public_a};
use zkfl_core::params::limits::{Config, ConfigRequest, KeyBounds, check_config};
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::quant::{Quantizer, dequantize, norm_sq};
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::wire;
use zkfl_core::zk::prove::{Cheat, SliceUpdate, Witness, prove, prove_with};
use zkfl_core::zk::statement::{Context, Statement};
use zkfl_core::zk::verify::verify;

/// Whether the zero-knowledge norm proof (prover and verifier) is wired into this configuration. While it is
/// `false`, every decodable, authenticated ciphertext is accepted and the report says `proof: missing`.
pub const PROOF_AVAILABLE: bool = true;

/// Ring degree of set S.
const N: usize = 2048;
/// Auxiliary NTT primes for set S products (`bfv::ternary_product_primes(2048, 44)`).
const K: usize = bfv::ternary_product_primes(N, <Q44 as Modulus>::BITS);

type Set = SetS;

/// Stack of a clinic thread: the streaming prover keeps its fixed-size state on the stack.
const PROVER_STACK: usize = 64 << 20;

/// One encrypted update: c1 and c0_1..c0_L.
struct Ciphertext {
    c1: Box<Poly<Q44, N>>,
    c0: Vec<Poly<Q44, N>>,
}

impl Ciphertext {
    fn zero(chunks: usize) -> Self {
        Self {
            c1: Box::new(Poly::zero()),
            c0: vec![Poly::zero(); chunks],
        }
    }

    /// The versioned wire encoding (zkfl_core::wire, docs/WIRE.md).
    fn encode(&self) -> Result<Vec<u8>, String> {
        let mut out = vec![0u8; wire::bfv::encoded_len::<Set>(self.c0.len())];
        wire::bfv::encode_ciphertext::<Set, N>(&self.c1, &self.c0, &mut out)
            .map_err(|e| format!("{e:?}"))?;
        Ok(out)
    }

    /// Strict decoding with exactly `chunks` chunks (every coefficient < q, exact length).
    fn decode(bytes: &[u8], chunks: usize) -> Result<Self, String> {
        let mut ct = Self::zero(chunks);
        wire::bfv::decode_ciphertext::<Set, N>(bytes, &mut ct.c1, &mut ct.c0)
            .map_err(|e| format!("ciphertext_malformed: {e:?}"))?;
        Ok(ct)
    }
}

/// What one clinic produced in one round.
struct Encrypted {
    clinic: usize,
    /// Wire encoding of the ciphertext.
    ct: Vec<u8>,
    /// The quantized plaintext (kept only to check the decrypted aggregate bit for bit).
    m: Vec<i64>,
    /// ‖m‖₂ > B_int: a norm proof for this plaintext cannot exist.
    exceeds_bound: bool,
    /// The proof bytes.
    proof: Vec<u8>,
    encrypt_s: f64,
    prove_s: f64,
}

/// ZKFL-PQ in process (set S).
pub struct ZkflPipeline {
    config: Config,
    quantizer: Quantizer,
    plain: PlainModulus<Q44>,
    sk: SecretKey<Set, N>,
    a_ntt: Box<NttPoly<N, K>>,
    b_ntt: Vec<NttPoly<N, K>>,
    /// The public key in coefficient form (the proof statement).
    pk_a: Box<[u64; N]>,
    pk_b: Vec<[u64; N]>,
    /// SHA3-256 of the wire-encoded public key (bound into every proof).
    pk_hash: [u8; 32],
    seed: u64,
    unprovable: usize,
    channel: Channel,
    /// Whether clinics prove and the aggregator verifies in this run (`zkfl demo --proof`).
    prove: bool,
}

impl ZkflPipeline {
    /// Derives the configuration for `clinics` clinics and a model of `params` parameters clipped to `tau`
    /// (largest scale the set's B_INT_MAX allows), and generates a BFV key pair.
    pub fn new(
        clinics: usize,
        params: usize,
        tau: f32,
        seed: u64,
        prove: bool,
    ) -> Result<Self, String> {
        let quantizer = Quantizer::with_max_scale(f64::from(tau), params, Set::B_INT_MAX)
            .map_err(|e| format!("quantizer: {e}"))?;
        let config = check_config::<Set>(&ConfigRequest {
            clinics: u32::try_from(clinics).map_err(|e| e.to_string())?,
            params: u32::try_from(params).map_err(|e| e.to_string())?,
            clip: f64::from(tau),
            scale: quantizer.scale(),
            key: KeyBounds::single::<Set>(),
            smudging: 0,
        })
        .map_err(|e| format!("parameter set {}: {e}", Set::NAME))?;
        let plain = PlainModulus::<Q44>::new(config.t).map_err(|e| format!("{e:?}"))?;
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let sk = SecretKey::<Set, N>::generate(&mut rng);
        let mut a_seed = [0u8; 32];
        rng.fill_bytes(&mut a_seed);
        let mut a = Box::new(Poly::<Q44, N>::zero());
        public_a::<Set, N>(&a_seed, &mut a);
        let a_ntt = Box::new(NttPoly::<N, K>::from_poly(&*a));
        let mut b_polys = Vec::with_capacity(config.chunks as usize);
        for j in 0..config.chunks as usize {
            let mut b = Poly::<Q44, N>::zero();
            sk.public_key_chunk(&a_ntt, j, &mut b);
            b_polys.push(b);
        }
        let b_ntt = b_polys.iter().map(NttPoly::from_poly).collect();
        let mut pk_bytes = vec![0u8; wire::bfv::encoded_len::<Set>(b_polys.len())];
        wire::bfv::encode_public_key::<Set, N>(&a, &b_polys, &mut pk_bytes)
            .map_err(|e| format!("{e:?}"))?;
        let pk_hash: [u8; 32] = sha3::Sha3_256::digest(&pk_bytes).into();
        Ok(Self {
            config,
            quantizer,
            plain,
            sk,
            a_ntt,
            b_ntt,
            pk_a: Box::new(a.coeffs),
            pk_b: b_polys.iter().map(|b| b.coeffs).collect(),
            pk_hash,
            seed,
            unprovable: 0,
            channel: Channel::new(clinics, Set::ID, seed ^ 0x5eed)?,
            prove,
        })
    }

    /// The derived configuration (parameter set, scale, B_int, t, noise figures).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A one-line description of the derived parameters.
    pub fn describe(&self) -> String {
        format!(
            "set {} (N = {}, q = 2^44 − 539), L = {} chunks, scale S = {}, B_int = {}, t = {}, noise ≤ {} of budget {}, max clinics {}",
            Set::NAME,
            N,
            self.config.chunks,
            self.quantizer.scale(),
            self.config.b_int(),
            self.config.t,
            self.config.noise_total,
            self.config.noise_budget,
            self.config.max_clinics
        )
    }

    fn chunk_len(&self) -> usize {
        self.config.chunks as usize * N
    }

    /// Clinic side: quantize (honest clinics clip; a malicious one rounds its raw vector and reduces it into
    /// the plaintext range), then encrypt every chunk.
    fn encrypt(&self, round: usize, sub: &Submission) -> Result<Encrypted, String> {
        let t0 = Instant::now();
        let mut m = vec![0i64; self.chunk_len()];
        if sub.malicious {
            self.quantize_unclipped(&sub.update, &mut m);
        } else {
            self.quantizer
                .quantize(&sub.update, &mut m)
                .map_err(|e| format!("clinic {}: {e}", sub.clinic))?;
        }
        let exceeds_bound = norm_sq(&m) > u128::from(self.config.b_int()).pow(2);
        let reduced = self.reduce_mod_t(&m);
        let mut rng =
            ChaCha20Rng::seed_from_u64(self.seed ^ ((round as u64) << 32) ^ sub.clinic as u64);
        let mut enc = Box::new(Encryptor::<Set, N, K>::new(
            &self.a_ntt,
            self.plain,
            self.b_ntt.len(),
            &mut rng,
        ));
        let mut c0 = Vec::with_capacity(self.b_ntt.len());
        let mut chunk = Box::new([0i64; N]);
        for (j, b) in self.b_ntt.iter().enumerate() {
            chunk.copy_from_slice(&reduced[j * N..(j + 1) * N]);
            let mut out = Poly::zero();
            enc.encrypt_chunk(b, &chunk, &mut out)
                .map_err(|e| format!("clinic {}: encryption failed: {e:?}", sub.clinic))?;
            c0.push(out);
        }
        let ct = Ciphertext {
            c1: Box::new(enc.c1().clone()),
            c0,
        };
        let bytes = ct.encode()?;
        let encrypt_s = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let u: Vec<i64> = enc
            .u()
            .coeffs
            .iter()
            .map(|&c| Q44::to_centered(c) as i64)
            .collect();
        drop(enc);
        let proof = if self.prove {
            self.prove(round, sub, &ct, &u, &reduced, &mut rng)?
        } else {
            Vec::new()
        };
        Ok(Encrypted {
            clinic: sub.clinic,
            ct: bytes,
            m: reduced,
            exceeds_bound,
            proof,
            encrypt_s,
            prove_s: t1.elapsed().as_secs_f64(),
        })
    }

    /// The public statement for a ciphertext under this pipeline's key.
    fn statement<'a>(&'a self, c1: &'a [u64; N], c0: &'a [[u64; N]]) -> Statement<'a, Q44, N> {
        Statement {
            pk_a: &self.pk_a,
            pk_b: &self.pk_b,
            c1,
            c0,
            delta: self.plain.delta(),
            bound: self.config.b_int(),
        }
    }

    fn context(&self, round: usize, clinic: usize) -> Context {
        Context {
            round: round as u64,
            clinic: clinic as u64,
            pk_hash: self.pk_hash,
        }
    }

    /// Clinic side: the norm proof. An honest clinic runs the honest prover; a malicious one the cheating
    /// prover without norm checks, or, if that fails too, a forged all-zero proof of the right length.
    fn prove(
        &self,
        round: usize,
        sub: &Submission,
        ct: &Ciphertext,
        u: &[i64],
        m: &[i64],
        rng: &mut ChaCha20Rng,
    ) -> Result<Vec<u8>, String> {
        let c0: Vec<[u64; N]> = ct.c0.iter().map(|p| p.coeffs).collect();
        let st = self.statement(&ct.c1.coeffs, &c0);
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
        let ctx = self.context(round, sub.clinic);
        if !sub.malicious {
            prove::<Set, N, _, _>(&st, &ctx, &mut wit, rng, &mut proof)
                .map_err(|e| format!("clinic {}: prover refused: {e:?}", sub.clinic))?;
            return Ok(proof);
        }
        let cheat = Cheat {
            skip_norm_checks: true,
            ..Cheat::default()
        };
        if prove_with::<Set, N, _, _>(&st, &ctx, &mut wit, rng, &mut proof, cheat).is_err() {
            proof.fill(0);
        }
        Ok(proof)
    }

    /// Aggregator side: verifies the proof of a decoded ciphertext in its context.
    fn verify_proof(
        &self,
        round: usize,
        clinic: usize,
        ct: &Ciphertext,
        proof: &[u8],
    ) -> Result<(), String> {
        let c0: Vec<[u64; N]> = ct.c0.iter().map(|p| p.coeffs).collect();
        let st = self.statement(&ct.c1.coeffs, &c0);
        verify::<Set, N>(&st, &self.context(round, clinic), proof)
            .map_err(|e| format!("proof_invalid: {e}"))
    }

    /// What a malicious clinic can encrypt: round(S·d) without clipping.
    fn quantize_unclipped(&self, update: &[f32], out: &mut [i64]) {
        let s = self.quantizer.scale();
        for (o, &d) in out.iter_mut().zip(update) {
            let v = (f64::from(d) * s).round();
            *o = if v.is_finite() {
                v.clamp(-1e15, 1e15) as i64
            } else {
                0
            };
        }
    }

    /// Centred representative mod t (a no-op for honest, clipped updates).
    fn reduce_mod_t(&self, m: &[i64]) -> Vec<i64> {
        let t = self.config.t as i64;
        let (lo, hi) = self.plain.message_range();
        m.iter()
            .map(|&x| {
                let r = x.rem_euclid(t);
                let r = if r > hi { r - t } else { r };
                debug_assert!(r >= lo);
                r
            })
            .collect()
    }

    /// Key holder: decrypts the sum into coefficients in [0, t).
    fn decrypt(&self, sum: &Ciphertext) -> Vec<u64> {
        let mut dec = Box::new(Decryptor::<Set, N, K>::new(&self.sk, self.plain, &sum.c1));
        let mut out = Vec::with_capacity(self.chunk_len());
        let mut chunk = Box::new([0i64; N]);
        let t = self.config.t as i64;
        for (j, c0) in sum.c0.iter().enumerate() {
            dec.decrypt_chunk(j, c0, &mut chunk);
            out.extend(chunk.iter().map(|&v| v.rem_euclid(t) as u64));
        }
        out
    }
}

impl Pipeline for ZkflPipeline {
    fn round(
        &mut self,
        round: usize,
        global: &[f32],
        submissions: &[Submission],
        status: &dyn Fn(&str),
    ) -> Result<RoundOutcome, String> {
        status(&format!("round {round}: clip, quantize, BFV-encrypt"));
        let this: &Self = self;
        let results = std::thread::scope(|s| {
            let hs: Vec<_> = submissions
                .iter()
                .map(|sub| {
                    std::thread::Builder::new()
                        .stack_size(PROVER_STACK)
                        .spawn_scoped(s, move || this.encrypt(round, sub))
                })
                .collect();
            hs.into_iter()
                .map(|h| match h {
                    Ok(h) => h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
                    Err(e) => Err(format!("cannot start a clinic thread: {e}")),
                })
                .collect::<Vec<Result<Encrypted, String>>>()
        });
        // A clinic whose quantizer refuses its update (e.g. NaN after the model diverged) cannot submit.
        let mut encrypted = Vec::new();
        let mut not_submitted = Vec::new();
        for (sub, r) in submissions.iter().zip(results) {
            match r {
                Ok(e) => encrypted.push(e),
                Err(e) => not_submitted.push((sub.clinic, e)),
            }
        }
        let mut time = TimeSplit::default();
        // Clinic side, continued: sign and seal (per-clinic time: clinics run on their own machines).
        let mut envelopes = Vec::with_capacity(encrypted.len());
        for e in &encrypted {
            let t = Instant::now();
            let env = self.channel.seal(e.clinic, round, &e.ct, &e.proof)?;
            time.encrypt += e.encrypt_s + t.elapsed().as_secs_f64();
            time.prove += e.prove_s;
            envelopes.push((e.clinic, env));
        }
        time.encrypt /= encrypted.len().max(1) as f64;
        time.prove /= encrypted.len().max(1) as f64;
        let upload_bytes = envelopes.iter().map(|(_, e)| e.len() as u64).collect();
        // Aggregator side: open, authenticate, decode, verify the proof; add accepted ones to the running sum.
        status(&format!("round {round}: open, verify, aggregate"));
        let chunks = self.config.chunks as usize;
        let mut sum: Option<Ciphertext> = None;
        let mut decisions = Vec::new();
        let mut accepted_clinics = Vec::new();
        for (clinic, env) in envelopes {
            let t = Instant::now();
            let opened = self.channel.open(round, env).and_then(|o| {
                let ct = Ciphertext::decode(&o.ciphertext, chunks)?;
                if self.prove {
                    self.verify_proof(round, o.clinic, &ct, &o.proof)?;
                }
                Ok((o.clinic, ct))
            });
            time.verify += t.elapsed().as_secs_f64();
            match opened {
                Ok((who, ct)) => {
                    let t = Instant::now();
                    match sum.as_mut() {
                        None => sum = Some(ct),
                        Some(acc) => bfv::add_assign(&mut acc.c1, &mut acc.c0, &ct.c1, &ct.c0)
                            .map_err(|e| format!("{e:?}"))?,
                    }
                    time.aggregate += t.elapsed().as_secs_f64();
                    accepted_clinics.push(who);
                    decisions.push(Decision {
                        clinic,
                        accepted: true,
                        reason: None,
                    });
                }
                Err(reason) => decisions.push(Decision {
                    clinic,
                    accepted: false,
                    reason: Some(reason),
                }),
            }
        }
        self.unprovable += encrypted.iter().filter(|e| e.exceeds_bound).count();
        let accepted: Vec<&Encrypted> = encrypted
            .iter()
            .filter(|e| accepted_clinics.contains(&e.clinic))
            .collect();
        let (mean_update, exact) = match sum {
            None => (None, None),
            Some(sum) => {
                status(&format!("round {round}: decrypting the aggregate only"));
                let t = Instant::now();
                let plain_sum = self.decrypt(&sum);
                let k = accepted.len() as u32;
                let mut mean = vec![0f32; global.len()];
                dequantize(&self.quantizer, &plain_sum, self.config.t, k, &mut mean)
                    .map_err(|e| format!("de-quantize: {e}"))?;
                time.decrypt = t.elapsed().as_secs_f64();
                let exact = self.matches_plaintext_sum(&accepted, &plain_sum, &mean, k)?;
                (Some(mean), Some(exact))
            }
        };
        Ok(RoundOutcome {
            mean_update,
            decisions,
            time,
            upload_bytes,
            aggregate_exact: exact,
            not_submitted,
        })
    }

    fn notes(&self) -> Vec<String> {
        vec![
            self.describe(),
            "decryption: single decryptor, in process (the key never leaves the key-holder object)".into(),
            "transport: ML-KEM-768 envelope + ML-DSA-65 signed submission (zkfl_core::channel), in process — not yet through zkfl serve over HTTP".into(),
            if self.prove { format!(
                "zero-knowledge proof (zkfl_core::zk, LNP22-style): well-formed ciphertext and ‖m‖₂ ≤ B_int = {}, bound to set, round, clinic, key hash and ciphertext; attackers use the prover with norm checks disabled",
                self.config.b_int()
            ) } else {
                "zero-knowledge proof NOT RUN in this configuration (zkfl demo --proof); nothing can be rejected".into()
            },
        ]
    }

    fn proof_status(&self) -> &'static str {
        match (PROOF_AVAILABLE, self.prove) {
            (false, _) => "missing",
            (true, true) => "verified",
            (true, false) => "not run",
        }
    }
}

impl ZkflPipeline {
    /// Checks the decrypted sum against the plaintext sum of the accepted quantized updates mod t, and the
    /// de-quantized mean against de-quantizing that plaintext sum: both must match bit for bit.
    fn matches_plaintext_sum(
        &self,
        accepted: &[&Encrypted],
        decrypted: &[u64],
        mean: &[f32],
        k: u32,
    ) -> Result<bool, String> {
        let t = self.config.t as i128;
        let expect: Vec<u64> = (0..decrypted.len())
            .map(|i| {
                accepted
                    .iter()
                    .map(|e| i128::from(e.m[i]))
                    .sum::<i128>()
                    .rem_euclid(t) as u64
            })
            .collect();
        let mut expect_mean = vec![0f32; mean.len()];
        dequantize(&self.quantizer, &expect, self.config.t, k, &mut expect_mean)
            .map_err(|e| e.to_string())?;
        let same_bits = expect_mean
            .iter()
            .zip(mean)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        Ok(expect == decrypted && same_bits)
    }

    /// Updates whose quantized norm exceeded B_int (a norm proof for them cannot exist).
    pub fn unprovable(&self) -> usize {
        self.unprovable
    }
}
