//! The product's implementations of [`SubmissionVerifier`], [`Aggregate`] and the key holder's
//! [`AggregateDecryption`] over zkfl-core: `channel` (ML-KEM-768 envelope, ML-DSA-65 signatures against the
//! roster, replay rules), `wire` + `bfv` (ciphertext decoding, homomorphic addition, decryption, key
//! generation), `zk` (norm-proof verification). This is the only crypto path the service has: there is no
//! plaintext side channel and no way to skip a check; a missing input (no BFV public key) rejects with
//! `check_unavailable`.

use zeroize::Zeroizing;
use zkfl_core::arith::Modulus;
use zkfl_core::bfv::{Decryptor, PlainModulus, PublicKeyPolys, SecretKey, add_assign};
use zkfl_core::channel::{
    ChannelError, ClinicId, ClinicRoster, KemSecretKey, MlKem768, ReplayError, ReplayGuard,
    SubmissionPolicy, VerifyingKey, open_submission,
};
use zkfl_core::params::{ParamSet, SetL, SetS, SetXL};
use zkfl_core::ring::Poly;
use zkfl_core::wire::bfv::{
    KIND_CIPHERTEXT, decode_ciphertext, decode_public_key, encode_ciphertext, encoded_len,
    read_header,
};
use zkfl_core::zk::layout::Layout;
use zkfl_core::zk::params::ZkParams;
use zkfl_core::zk::public::A1Table;
use zkfl_core::zk::statement::{Context, Statement};
use zkfl_core::zk::verify::{verify, verify_with_table};
use zkfl_core::{set_l, set_s, set_xl};

use crate::error::PortError;
use crate::error::{ApiError, Code};
use crate::keyholder::{AggregateDecryption, Request};
use crate::model::SetLimits;
use crate::verify::{Aggregate, Authenticated, RoundContext, SubmissionVerifier};

/// The CRS matrix A1 of a parameter set in NTT form, expanded once per process and shared by every
/// verification (docs/PROTOCOL.md §6.2: `verify_with_table` returns exactly what `verify` returns; the table
/// only saves re-expanding A1 from SHAKE128 for each proof). It covers the widest layout the set allows
/// (l_max chunks), so every statement of the set finds its columns; ≈ 24 MB per set in use, built on first use.
/// Set XL has none: its widest table (512 chunks) would take ≈ 250 MB, so each XL proof re-expands the A1
/// columns it reads from SHAKE128 (`verify`, streaming; docs/PROTOCOL.md §9.1), and the verifier's memory stays
/// independent of the update size.
trait SharedA1: ZkParams + Sized {
    fn a1_table() -> Option<&'static A1Table<'static, Self::M>>;
}

/// Builds the widest A1 table of set `P` in a buffer that lives as long as the process (one per set).
fn build_a1<P: ZkParams>() -> &'static A1Table<'static, P::M> {
    let widest = Layout::new(P::ZK, P::N, <P::M as Modulus>::BYTES, P::ZK.l_max, 1);
    let (n, cols) = (P::ZK.kmsis, widest.m1());
    let buf: &'static mut [u32] =
        Box::leak(vec![0u32; A1Table::<P::M>::words(n, cols)].into_boxed_slice());
    let table = A1Table::<P::M>::fill(P::ID, n, cols, buf)
        .expect("the buffer has A1Table::words and n = kmsis is a supported chunk size");
    Box::leak(Box::new(table))
}

impl SharedA1 for SetS {
    fn a1_table() -> Option<&'static A1Table<'static, Self::M>> {
        static T: std::sync::OnceLock<&'static A1Table<'static, <SetS as ParamSet>::M>> =
            std::sync::OnceLock::new();
        Some(T.get_or_init(build_a1::<SetS>))
    }
}

impl SharedA1 for SetL {
    fn a1_table() -> Option<&'static A1Table<'static, Self::M>> {
        static T: std::sync::OnceLock<&'static A1Table<'static, <SetL as ParamSet>::M>> =
            std::sync::OnceLock::new();
        Some(T.get_or_init(build_a1::<SetL>))
    }
}

impl SharedA1 for SetXL {
    fn a1_table() -> Option<&'static A1Table<'static, Self::M>> {
        None
    }
}

/// Whether envelope opening and signature checks come from zkfl-core in this build.
pub const ENVELOPE_WIRED: bool = true;

fn unavailable(what: &str) -> ApiError {
    ApiError::new(
        Code::CheckUnavailable,
        format!(
            "{what} is not available in this build of zkfl-core; the submission is rejected, never accepted"
        ),
    )
}

/// Maps a channel error to the API's code (docs/API.md table) with the channel's stable code in the message.
fn channel_rejection(e: ChannelError) -> ApiError {
    let code = match e {
        ChannelError::DecryptionFailed => Code::EnvelopeOpenFailed,
        ChannelError::WrongRound { .. } => Code::WrongRound,
        ChannelError::Replay(ReplayError::Duplicate | ReplayError::Stale) => {
            Code::ReplayedSubmission
        }
        ChannelError::Replay(_) => Code::Internal,
        ChannelError::UnknownClinic(_) => Code::UnknownClinic,
        ChannelError::ClinicMismatch { .. }
        | ChannelError::MalformedSignature
        | ChannelError::BadSignature => Code::SignatureInvalid,
        ChannelError::ParamSetMismatch { .. } => Code::ParameterMismatch,
        _ => Code::MalformedEnvelope,
    };
    ApiError::new(code, format!("{} ({e})", e.code()))
}

/// The roster as the channel's [`ClinicRoster`].
pub struct RosterKeys(pub Vec<(ClinicId, VerifyingKey)>);

impl ClinicRoster for RosterKeys {
    fn verifying_key(&self, clinic: ClinicId) -> Option<VerifyingKey> {
        self.0
            .iter()
            .find(|(id, _)| *id == clinic)
            .map(|(_, k)| k.clone())
    }
}

/// Opens envelopes with the aggregator's ML-KEM key, checks ML-DSA signatures against the roster, decodes
/// ciphertexts and (once available) verifies norm proofs.
pub struct CoreVerifier {
    /// The aggregator's ML-KEM-768 key.
    pub kem: KemSecretKey<MlKem768>,
    /// Registered clinics.
    pub roster: RosterKeys,
    /// The parameter set.
    pub limits: SetLimits,
    /// Largest submission (envelope payload) accepted in any round; each round is further held to its own
    /// limit ([`RoundContext::max_submission_len`]).
    pub max_submission_len: usize,
    /// The BFV public key (wire encoding, L_max chunks) the proofs are about.
    pub bfv_public_key: Option<Vec<u8>>,
}

impl SubmissionVerifier for CoreVerifier {
    fn authenticate(
        &self,
        envelope: &[u8],
        round: &RoundContext,
        guard: &mut dyn ReplayGuard,
    ) -> Result<Authenticated, ApiError> {
        let mut buf = envelope.to_vec();
        let policy = SubmissionPolicy {
            param_id: round.param_set_id,
            round: round.round,
            max_submission_len: self.max_submission_len.min(round.max_submission_len()),
        };
        let v =
            open_submission::<MlKem768, _, _>(&self.kem, &policy, &self.roster, guard, &mut buf)
                .map_err(channel_rejection)?;
        Ok(Authenticated {
            clinic_id: v.fields.clinic,
            round: v.fields.round,
            param_set_id: v.fields.param_id,
            digest: v.digest.0.to_vec(),
            ciphertext: v.ciphertext.to_vec(),
            proof: v.proof.to_vec(),
        })
    }

    fn verify(&self, submission: &Authenticated, round: &RoundContext) -> Result<(), ApiError> {
        let chunks = self.limits.chunks(round.model_dim);
        with_set(&self.limits, |s| {
            s.check_ciphertext(&submission.ciphertext, chunks)
        })?;
        let pk = self
            .bfv_public_key
            .as_deref()
            .ok_or_else(|| unavailable("the BFV public key (keys/public/bfv-public.bin)"))?;
        // The proof is checked against the key the round announced (and the key holder decrypts with), not
        // against whatever key file the service holds now.
        let pk_sha3: [u8; 32] =
            sha3::Digest::finalize(sha3::Digest::chain_update(sha3::Sha3_256::default(), pk))
                .into();
        if pk_sha3 != round.bfv_public_key_sha3 {
            return Err(ApiError::new(
                Code::CheckUnavailable,
                "the service's BFV public key is not the one this round announced; the submission is \
                 rejected, never accepted",
            ));
        }
        let inputs = ProofInputs {
            chunks,
            clinic: submission.clinic_id,
            round,
        };
        with_set(&self.limits, |s| {
            s.verify_proof(pk, &submission.ciphertext, &submission.proof, &inputs)
        })
    }
}

/// Running sum of BFV ciphertexts in the `zkfl_core::wire` encoding.
pub struct CoreAggregate {
    /// The parameter set.
    pub limits: SetLimits,
}

impl Aggregate for CoreAggregate {
    fn empty(&self, round: &RoundContext) -> Result<Vec<u8>, ApiError> {
        let chunks = self.limits.chunks(round.model_dim);
        with_set(&self.limits, |s| s.zero_ciphertext(chunks))
    }

    fn add(&self, sum: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, ApiError> {
        with_set(&self.limits, |s| s.add(sum, ciphertext))
    }
}

/// BFV decryption of an aggregate in the key holder.
pub struct CoreDecryption {
    /// BFV secret-key seed (zeroized on drop).
    pub secret_seed: Option<Zeroizing<[u8; 32]>>,
    /// The parameter set.
    pub limits: SetLimits,
}

impl AggregateDecryption for CoreDecryption {
    fn decrypt(&self, request: &Request<'_>) -> Result<Vec<i64>, PortError> {
        let seed = self.secret_seed.as_ref().ok_or_else(|| {
            PortError::Decryption("the key holder has no BFV secret key".to_owned())
        })?;
        let chunks = self.limits.chunks(request.model_dim);
        let mut out = with_set(&self.limits, |s| {
            s.decrypt(seed, request.t, request.aggregate, chunks)
        })
        .map_err(|e| PortError::Decryption(e.message))?;
        out.truncate(request.model_dim as usize);
        Ok(out)
    }
}

/// Generates a BFV key pair for set `limits`: the secret-key seed and the public key (a, b_1..b_Lmax) in the
/// wire encoding. Clinics with L < L_max chunks use b_1..b_L.
pub fn bfv_keygen<R: rand_core::CryptoRng>(
    limits: &SetLimits,
    rng: &mut R,
) -> Result<(Vec<u8>, Zeroizing<[u8; 32]>), String> {
    let mut a_seed = [0u8; 32];
    rng.fill_bytes(&mut a_seed);
    let out = match limits.id {
        SetS::ID => keygen::<set_s::Set, { set_s::N }, { set_s::K }, R>(&a_seed, rng),
        SetXL::ID => keygen::<set_xl::Set, { set_xl::N }, { set_xl::K }, R>(&a_seed, rng),
        _ => keygen::<set_l::Set, { set_l::N }, { set_l::K }, R>(&a_seed, rng),
    };
    out.map_err(|e| format!("BFV public-key encoding: {e}"))
}

fn keygen<P: ParamSet, const N: usize, const K: usize, R: rand_core::CryptoRng>(
    a_seed: &[u8; 32],
    rng: &mut R,
) -> Result<(Vec<u8>, Zeroizing<[u8; 32]>), zkfl_core::wire::EncodeError> {
    let sk = SecretKey::<P, N>::generate(rng);
    let pk = PublicKeyPolys::<P, N, K>::generate(&sk, a_seed, P::MAX_CHUNKS).encode()?;
    Ok((pk, Zeroizing::new(*sk.seed())))
}

/// The public inputs of a norm proof besides key and ciphertext (docs/PROTOCOL.md §2, §6 step 0).
struct ProofInputs<'a> {
    chunks: u32,
    clinic: ClinicId,
    round: &'a RoundContext,
}

/// The BFV operations the service needs, for one parameter set.
trait SetOps {
    fn verify_proof(
        &self,
        pk: &[u8],
        ct: &[u8],
        proof: &[u8],
        inputs: &ProofInputs<'_>,
    ) -> Result<(), ApiError>;
    fn check_ciphertext(&self, bytes: &[u8], chunks: u32) -> Result<(), ApiError>;
    fn zero_ciphertext(&self, chunks: u32) -> Result<Vec<u8>, ApiError>;
    fn add(&self, sum: &[u8], ct: &[u8]) -> Result<Vec<u8>, ApiError>;
    fn decrypt(
        &self,
        seed: &[u8; 32],
        t: u64,
        ct: &[u8],
        chunks: u32,
    ) -> Result<Vec<i64>, ApiError>;
}

struct Ops<P, const N: usize, const K: usize>(core::marker::PhantomData<P>);

fn with_set<T>(
    limits: &SetLimits,
    f: impl FnOnce(&dyn SetOps) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    match limits.id {
        SetS::ID => f(&Ops::<set_s::Set, { set_s::N }, { set_s::K }>(
            core::marker::PhantomData,
        )),
        SetXL::ID => f(&Ops::<set_xl::Set, { set_xl::N }, { set_xl::K }>(
            core::marker::PhantomData,
        )),
        _ => f(&Ops::<set_l::Set, { set_l::N }, { set_l::K }>(
            core::marker::PhantomData,
        )),
    }
}

type Ct<P, const N: usize> = (
    Box<Poly<<P as ParamSet>::M, N>>,
    Vec<Poly<<P as ParamSet>::M, N>>,
);

impl<P: SharedA1, const N: usize, const K: usize> Ops<P, N, K> {
    fn decode(bytes: &[u8], chunks: u32) -> Result<Ct<P, N>, ApiError> {
        let bad = |e: zkfl_core::wire::DecodeError| {
            ApiError::new(
                Code::CiphertextMalformed,
                format!("the BFV ciphertext does not decode: {e}"),
            )
        };
        let header = read_header::<P>(bytes, KIND_CIPHERTEXT).map_err(bad)?;
        if header.chunks != chunks as usize {
            return Err(ApiError::new(
                Code::ParameterMismatch,
                format!(
                    "the ciphertext has {} chunks; this round's model needs {chunks}",
                    header.chunks
                ),
            ));
        }
        let mut c1 = Box::new(Poly::zero());
        let mut c0 = vec![Poly::zero(); header.chunks];
        decode_ciphertext::<P, N>(bytes, &mut c1, &mut c0).map_err(bad)?;
        Ok((c1, c0))
    }

    fn encode(c1: &Poly<P::M, N>, c0: &[Poly<P::M, N>]) -> Result<Vec<u8>, ApiError> {
        let mut out = vec![0u8; encoded_len::<P>(c0.len())];
        encode_ciphertext::<P, N>(c1, c0, &mut out).map_err(ApiError::internal)?;
        Ok(out)
    }
}

impl<P: SharedA1, const N: usize, const K: usize> SetOps for Ops<P, N, K> {
    fn verify_proof(
        &self,
        pk: &[u8],
        ct: &[u8],
        proof: &[u8],
        inputs: &ProofInputs<'_>,
    ) -> Result<(), ApiError> {
        let (c1, c0) = Self::decode(ct, inputs.chunks)?;
        let mut a = Box::new(Poly::<P::M, N>::zero());
        // The key's own chunk count: a single key holder's key has L_max chunks, a committee key the design's L
        // (docs/THRESHOLD.md §16); a key with fewer chunks than the ciphertext cannot be the round's.
        let key_chunks =
            zkfl_core::wire::bfv::read_header::<P>(pk, zkfl_core::wire::bfv::KIND_PUBLIC_KEY)
                .map_err(ApiError::internal)?
                .chunks;
        if key_chunks < c0.len() {
            return Err(ApiError::new(
                Code::ParameterMismatch,
                format!(
                    "the BFV key has {key_chunks} chunks, the ciphertext {}",
                    c0.len()
                ),
            ));
        }
        let mut b = vec![Poly::<P::M, N>::zero(); key_chunks];
        decode_public_key::<P, N>(pk, &mut a, &mut b).map_err(ApiError::internal)?;
        let pk_b: Vec<[<P::M as Modulus>::Coeff; N]> =
            b.iter().take(c0.len()).map(|p| p.coeffs).collect();
        let c0: Vec<[<P::M as Modulus>::Coeff; N]> = c0.iter().map(|p| p.coeffs).collect();
        let plain = PlainModulus::<P::M>::new(inputs.round.t).map_err(|e| {
            ApiError::new(Code::ParameterMismatch, format!("plaintext modulus: {e}"))
        })?;
        let stmt = Statement {
            pk_a: &a.coeffs,
            pk_b: &pk_b,
            c1: &c1.coeffs,
            c0: &c0,
            t: plain.t(),
            bound: inputs.round.b_int,
        };
        // The proof is bound to round and clinic; the statement's key (the round's) is hashed by the
        // verifier itself (docs/PROTOCOL.md §2).
        let ctx = Context {
            round: inputs.round.round.0,
            clinic: u64::from(inputs.clinic.0),
        };
        let verdict = match P::a1_table() {
            Some(table) => verify_with_table::<P, N>(&stmt, &ctx, proof, table),
            None => verify::<P, N>(&stmt, &ctx, proof),
        };
        verdict.map_err(|e| {
            ApiError::new(
                Code::ProofInvalid,
                format!("the norm proof does not verify: {e}"),
            )
        })
    }

    fn check_ciphertext(&self, bytes: &[u8], chunks: u32) -> Result<(), ApiError> {
        Self::decode(bytes, chunks).map(|_| ())
    }

    fn zero_ciphertext(&self, chunks: u32) -> Result<Vec<u8>, ApiError> {
        Self::encode(&Poly::zero(), &vec![Poly::zero(); chunks as usize])
    }

    fn add(&self, sum: &[u8], ct: &[u8]) -> Result<Vec<u8>, ApiError> {
        let header = read_header::<P>(sum, KIND_CIPHERTEXT).map_err(ApiError::internal)?;
        let chunks = u32::try_from(header.chunks).map_err(ApiError::internal)?;
        let (mut s1, mut s0) = Self::decode(sum, chunks)?;
        let (c1, c0) = Self::decode(ct, chunks)?;
        add_assign(&mut s1, &mut s0, &c1, &c0).map_err(ApiError::internal)?;
        Self::encode(&s1, &s0)
    }

    fn decrypt(
        &self,
        seed: &[u8; 32],
        t: u64,
        ct: &[u8],
        chunks: u32,
    ) -> Result<Vec<i64>, ApiError> {
        let (c1, c0) = Self::decode(ct, chunks)?;
        let sk = SecretKey::<P, N>::from_seed(*seed);
        let plain = PlainModulus::<P::M>::new(t)
            .map_err(|e| ApiError::new(Code::Internal, format!("plaintext modulus {t}: {e}")))?;
        let mut dec = Box::new(Decryptor::<P, N, K>::new(&sk, plain, &c1));
        let mut chunk = Box::new([0i64; N]);
        let mut out = Vec::with_capacity(N * c0.len());
        for (j, c0j) in c0.iter().enumerate() {
            dec.decrypt_chunk(j, c0j, &mut chunk);
            out.extend_from_slice(&chunk[..]);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
