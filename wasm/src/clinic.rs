//! One clinic's submission for one round, over `zkfl_core` (`params::limits`, `quant`, `bfv`, `wire`,
//! `channel`): derive the round's configuration exactly as the aggregator does (single-decryptor key bounds,
//! `check_config`), clip and quantize the update, BFV-encrypt it chunk by chunk under the served public key,
//! then sign (ML-DSA-65) and seal (ML-KEM-768 + ChaCha20-Poly1305) the submission.
//!
//! The zero-knowledge proof (`zkfl_core::zk::prove`) shows that the ciphertext is well formed and that the
//! quantized update has ℓ2 norm at most B_int, bound to round, clinic and the announced public-key hash.

use crate::error::{ClinicError, ErrorCode};
use crate::progress::{self, Progress, ProveProgress};
use crate::rng;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::wasm_bindgen;
use zkfl_core::bfv::{Encryptor, PlainModulus};
use zkfl_core::channel::{ClinicId, KemPublicKey, MlKem768, RoundId, SigningKey, SubmissionFields};
use zkfl_core::params::limits::{Config, ConfigRequest, KeyBounds, check_config};
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::wire::bfv::{KIND_PUBLIC_KEY, decode_public_key, encode_ciphertext, read_header};
use zkfl_core::zk::layout::{HEADER_BYTES, VERSION};
use zkfl_core::zk::prove::{Cheat, SliceUpdate, Witness, prove, prove_with};
use zkfl_core::zk::statement::{Context, Statement};

const N: usize = SetS::N;
/// NTT primes for set S products (enough for a ternary × uniform product, as in `bfv`).
const K: usize = 2;

type PolyS = Poly<<SetS as ParamSet>::M, N>;

/// A round as a clinic sees it: configuration, BFV public key (NTT form) and the aggregator's KEM key.
#[wasm_bindgen]
pub struct ClinicRound {
    round: u64,
    config: Config,
    a: Box<PolyS>,
    b: Vec<PolyS>,
    a_ntt: Box<NttPoly<N, K>>,
    b_ntt: Vec<NttPoly<N, K>>,
    kem: KemPublicKey<MlKem768>,
    /// SHA3-256 of the encoded BFV public key (what the round announcement carries as
    /// `bfv_public_key_sha3`).
    pk_sha3: [u8; 32],
}

/// An encrypted update and its proof, ready to be signed and sealed.
#[wasm_bindgen]
pub struct PreparedUpdate {
    ciphertext: Vec<u8>,
    proof: Vec<u8>,
    norm_sq: f64,
    proof_kind: ProofKind,
}

/// Which prover runs on the encrypted update.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Prover {
    /// `zk::prove`: refuses a false statement (‖m‖₂ > B_int).
    Honest,
    /// The attacker demo only (`crate::attacker`): `zk::prove::prove_with` with the prover's own norm checks
    /// removed, as the native demo's attacker does.
    CheatingAttackerDemo,
}

/// How the attached proof was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofKind {
    /// By the honest prover.
    Honest,
    /// By the prover with its norm checks removed (attacker demo).
    Cheating,
    /// A forgery, a valid header then zeros: the cheating prover gave up (attacker demo).
    Forged,
}

impl ProofKind {
    /// Short description for the page.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Honest => "honest prover",
            Self::Cheating => "cheating prover (norm checks removed)",
            Self::Forged => {
                "forged: header then zeros (the cheating prover found no accepted transcript)"
            }
        }
    }
}

/// Attacker demo: a forged proof — the header the verifier expects ("ZKP" ‖ version ‖ set id ‖ L, u16 LE;
/// `zk::layout`) so that it passes the format check, then all zeros.
fn forge_proof(proof: &mut [u8], chunks: usize) {
    proof.fill(0);
    let l = u16::try_from(chunks).unwrap_or(u16::MAX).to_le_bytes();
    let header = [b'Z', b'K', b'P', VERSION, SetS::ID, l[0], l[1]];
    if let Some(h) = proof.get_mut(..HEADER_BYTES.min(header.len())) {
        h.copy_from_slice(&header[..h.len()]);
    }
}

/// The public parts of the statement that come from the encryption step.
struct ProofInput<'a> {
    c0: &'a [PolyS],
    m: &'a [i64],
    t: u64,
    clinic: u32,
}

#[wasm_bindgen]
impl PreparedUpdate {
    /// Encoded BFV ciphertext (`zkfl_core::wire`).
    #[wasm_bindgen(getter)]
    pub fn ciphertext(&self) -> Uint8Array {
        Uint8Array::from(self.ciphertext.as_slice())
    }

    /// Squared ℓ2 norm of the quantized update (what the proof bounds by B_int²).
    #[wasm_bindgen(getter, js_name = normSq)]
    pub fn norm_sq(&self) -> f64 {
        self.norm_sq
    }

    /// Length of the attached proof.
    #[wasm_bindgen(getter, js_name = proofLen)]
    pub fn proof_len(&self) -> usize {
        self.proof.len()
    }

    /// How the proof was made (`honest prover`, or for the attacker demo the cheating prover or a forgery).
    #[wasm_bindgen(getter, js_name = proofKind)]
    pub fn proof_kind_js(&self) -> String {
        self.proof_kind.describe().into()
    }
}

impl PreparedUpdate {
    /// Encoded BFV ciphertext.
    pub fn ciphertext_bytes(&self) -> &[u8] {
        &self.ciphertext
    }

    /// Encoded proof.
    pub fn proof_bytes(&self) -> &[u8] {
        &self.proof
    }

    /// How the proof was made.
    pub fn proof_kind(&self) -> ProofKind {
        self.proof_kind
    }
}

impl ClinicRound {
    /// Builds the round; rejects a set other than S, an inconsistent configuration, or malformed keys.
    #[allow(clippy::too_many_arguments)] // mirrors the JS constructor: announcement fields + two keys
    pub fn new(
        param_set_id: u8,
        round: u64,
        clinics: u32,
        model_dim: u32,
        clip: f64,
        scale: f64,
        bfv_key: &[u8],
        kem_key: &[u8],
    ) -> Result<Self, ClinicError> {
        if param_set_id != SetS::ID {
            return Err(ClinicError::new(
                ErrorCode::BadParams,
                "the browser clinic supports parameter set S only",
            ));
        }
        let config = check_config::<SetS>(&ConfigRequest {
            clinics,
            params: model_dim,
            clip,
            scale,
            key: KeyBounds::single::<SetS>(),
            smudging: 0,
        })
        .map_err(|e| ClinicError::from_display(ErrorCode::BadParams, e))?;
        let header = read_header::<SetS>(bfv_key, KIND_PUBLIC_KEY)
            .map_err(|e| ClinicError::from_display(ErrorCode::BadParams, e))?;
        if header.chunks < config.chunks as usize {
            return Err(ClinicError::new(
                ErrorCode::BadParams,
                "the BFV public key has fewer chunks than the model needs",
            ));
        }
        let mut a = Box::new(PolyS::zero());
        let mut b: Vec<PolyS> = (0..header.chunks).map(|_| PolyS::zero()).collect();
        decode_public_key::<SetS, N>(bfv_key, &mut a, &mut b)
            .map_err(|e| ClinicError::from_display(ErrorCode::BadParams, e))?;
        let kem = KemPublicKey::<MlKem768>::from_bytes(kem_key)
            .map_err(|e| ClinicError::from_display(ErrorCode::BadParams, e))?;
        b.truncate(config.chunks as usize);
        Ok(Self {
            round,
            a_ntt: Box::new(NttPoly::from_poly(&*a)),
            b_ntt: b.iter().map(NttPoly::from_poly).collect(),
            a,
            b,
            config,
            kem,
            pk_sha3: sha3::Digest::finalize(sha3::Digest::chain_update(
                sha3::Sha3_256::default(),
                bfv_key,
            ))
            .into(),
        })
    }

    /// SHA3-256 of the round's encoded BFV public key.
    pub fn pk_sha3(&self) -> [u8; 32] {
        self.pk_sha3
    }

    /// Clips, quantizes and encrypts `update` (one progress step per chunk), then proves (one progress step
    /// per chunk read by each of the prover's passes, [`ProveProgress`]) the ciphertext well
    /// formed and ‖m‖₂ ≤ B_int for `clinic`. `pk_hash` is the announced hash of the round's key: a clinic
    /// refuses to encrypt under a key other than the announced one (the proof itself hashes the key it is
    /// made for).
    pub fn encrypt(
        &self,
        update: &[f32],
        clinic: u32,
        pk_hash: [u8; 32],
        rng: &mut rand_chacha::ChaCha20Rng,
        progress: &mut dyn Progress,
    ) -> Result<PreparedUpdate, ClinicError> {
        let mut m = vec![0i64; self.chunk_len()];
        let norm_sq = self
            .config
            .quantizer
            .quantize(update, &mut m)
            .map_err(|e| ClinicError::from_display(ErrorCode::Encrypt, e))?;
        let prepared =
            self.encrypt_and_prove(&m, norm_sq, clinic, pk_hash, Prover::Honest, rng, progress);
        zeroize::Zeroize::zeroize(&mut m[..]);
        prepared
    }

    /// Number of message coefficients of this round: chunks · N (the update, zero-padded).
    pub(crate) fn chunk_len(&self) -> usize {
        self.config.chunks as usize * N
    }

    /// The round's configuration (quantizer, plaintext modulus t, chunk count).
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// BFV-encrypts the quantized message `m` (chunks · N coefficients in the plaintext range; one progress
    /// step per chunk), then runs `prover` on it. `norm_sq` = ‖m‖² is only reported back.
    #[allow(clippy::too_many_arguments)] // message, its norm, the statement's context, prover, rng, progress
    pub(crate) fn encrypt_and_prove(
        &self,
        m: &[i64],
        norm_sq: u128,
        clinic: u32,
        pk_hash: [u8; 32],
        prover: Prover,
        rng: &mut rand_chacha::ChaCha20Rng,
        progress: &mut dyn Progress,
    ) -> Result<PreparedUpdate, ClinicError> {
        if pk_hash != self.pk_sha3 {
            return Err(ClinicError::new(
                ErrorCode::BadInput,
                "pkHash is not the SHA3-256 of this round's BFV public key",
            ));
        }
        let chunks = self.config.chunks as usize;
        if m.len() != chunks * N {
            return Err(ClinicError::new(
                ErrorCode::Encrypt,
                "the quantized update has the wrong length",
            ));
        }
        let plain = PlainModulus::new(self.config.t)
            .map_err(|e| ClinicError::from_display(ErrorCode::Encrypt, e))?;
        let mut enc = Box::new(Encryptor::<SetS, N, K>::new(
            &self.a_ntt,
            plain,
            chunks,
            rng,
        ));
        let mut c0: Vec<PolyS> = Vec::with_capacity(chunks);
        let mut mj = Box::new([0i64; N]);
        for (j, (b, chunk)) in self.b_ntt.iter().zip(m.chunks_exact(N)).enumerate() {
            progress.report("encrypt", j as u32, chunks as u32)?;
            mj.copy_from_slice(chunk);
            let mut c = PolyS::zero();
            enc.encrypt_chunk(b, &mj, &mut c)
                .map_err(|e| ClinicError::from_display(ErrorCode::Encrypt, e))?;
            c0.push(c);
        }
        zeroize::Zeroize::zeroize(&mut mj[..]);
        progress.report("encrypt", chunks as u32, chunks as u32)?;
        let mut ciphertext = vec![0u8; zkfl_core::wire::bfv::encoded_len::<SetS>(chunks)];
        encode_ciphertext::<SetS, N>(enc.c1(), &c0, &mut ciphertext)
            .map_err(|e| ClinicError::from_display(ErrorCode::Encrypt, e))?;
        let stmt = ProofInput {
            c0: &c0,
            m,
            t: plain.t(),
            clinic,
        };
        let (proof, proof_kind) = self.prove(&mut enc, &stmt, prover, rng, progress)?;
        // u128 → f64 only for display; the exact value never leaves the core.
        #[allow(clippy::cast_precision_loss)]
        let norm_sq = norm_sq as f64;
        Ok(PreparedUpdate {
            ciphertext,
            proof,
            norm_sq,
            proof_kind,
        })
    }

    /// The norm proof for the ciphertext just produced by `enc` (witness u and m), by `prover`.
    fn prove(
        &self,
        enc: &mut Encryptor<SetS, N, K>,
        input: &ProofInput<'_>,
        prover: Prover,
        rng: &mut rand_chacha::ChaCha20Rng,
        progress: &mut dyn Progress,
    ) -> Result<(Vec<u8>, ProofKind), ClinicError> {
        let err = |e: &dyn core::fmt::Display| ClinicError::from_display(ErrorCode::Prove, e);
        let mut u = vec![0i64; N];
        for (i, x) in u.iter_mut().enumerate() {
            *x = i64::try_from(enc.u().centered(i))
                .map_err(|_| ClinicError::new(ErrorCode::Prove, "u is not ternary"))?;
        }
        let pk_b: Vec<_> = self.b.iter().map(|p| p.coeffs).collect();
        let c0c: Vec<_> = input.c0.iter().map(|p| p.coeffs).collect();
        let stmt = Statement {
            pk_a: &self.a.coeffs,
            pk_b: &pk_b,
            c1: &enc.c1().coeffs,
            c0: &c0c,
            t: input.t,
            bound: self.config.quantizer.b_int(),
        };
        let ctx = Context {
            round: self.round,
            clinic: u64::from(input.clinic),
        };
        let layout = stmt.layout::<SetS>().map_err(|e| err(&e))?;
        let mut proof = vec![0u8; layout.proof_len()];
        let mut chunks: Vec<[i64; N]> = input
            .m
            .chunks_exact(N)
            .map(|c| {
                let mut a = [0i64; N];
                a.copy_from_slice(c);
                a
            })
            .collect();
        let mut wit = Witness {
            u: &u,
            m: ProveProgress::new(SliceUpdate(&chunks), chunks.len(), progress),
        };
        let res = match prover {
            Prover::Honest => prove::<SetS, N, _, _>(&stmt, &ctx, &mut wit, rng, &mut proof),
            Prover::CheatingAttackerDemo => {
                let cheat = Cheat {
                    skip_norm_checks: true,
                    ..Cheat::default()
                };
                prove_with::<SetS, N, _, _>(&stmt, &ctx, &mut wit, rng, &mut proof, cheat)
            }
        };
        let reported = wit.m.finish();
        zeroize::Zeroize::zeroize(&mut u[..]);
        chunks
            .iter_mut()
            .for_each(|c| zeroize::Zeroize::zeroize(&mut c[..]));
        reported?;
        match (res, prover) {
            (Ok(_), Prover::Honest) => Ok((proof, ProofKind::Honest)),
            (Ok(_), Prover::CheatingAttackerDemo) => Ok((proof, ProofKind::Cheating)),
            (Err(e), Prover::Honest) => Err(ClinicError::new(
                ErrorCode::Prove,
                format!("the prover failed: {e:?}"),
            )),
            // The cheating prover found no accepted transcript (its JL or final rejection never passes for
            // a vector this long): the attacker sends a forgery instead — a well-formed header, then zeros.
            (Err(_), Prover::CheatingAttackerDemo) => {
                forge_proof(&mut proof, input.c0.len());
                Ok((proof, ProofKind::Forged))
            }
        }
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
        let fields = SubmissionFields {
            param_id: SetS::ID,
            round: RoundId(self.round),
            clinic: ClinicId(clinic),
        };
        zkfl_core::channel::seal_submission_to_vec::<MlKem768, _>(
            &self.kem,
            &fields,
            sequence,
            &prepared.ciphertext,
            &prepared.proof,
            &key,
            rng,
        )
        .map_err(|e| ClinicError::from_display(ErrorCode::Seal, e))
    }
}

#[wasm_bindgen]
impl ClinicRound {
    /// JS: `new ClinicRound(paramSetId, round, clinics, modelDim, normBound, scale, bfvKey, kemKey)`, from the
    /// announcement, `/v1/params` (`roster_size`), `/v1/keys/bfv` and `/v1/keys/kem`.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn js_new(
        param_set_id: u8,
        round: u64,
        clinics: u32,
        model_dim: u32,
        norm_bound: f64,
        scale: f64,
        bfv_key: &[u8],
        kem_key: &[u8],
    ) -> Result<ClinicRound, wasm_bindgen::JsValue> {
        Ok(Self::new(
            param_set_id,
            round,
            clinics,
            model_dim,
            norm_bound,
            scale,
            bfv_key,
            kem_key,
        )?)
    }

    /// B_int of this round (the bound the proof will show).
    #[wasm_bindgen(getter, js_name = bInt)]
    pub fn b_int(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)] // B_int < 2^31
        let b = self.config.quantizer.b_int() as f64;
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
        let pk_hash: [u8; 32] = pk_hash
            .try_into()
            .map_err(|_| ClinicError::new(ErrorCode::BadInput, "pkHash must be 32 bytes"))?;
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
