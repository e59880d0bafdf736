//! One clinic's submission for one round, the single pipeline every clinic uses — `zkfl clinic`, the demo's
//! clinics, the browser page (wasm), the Python package and the tests: clip → quantize → BFV-encrypt → prove
//! ‖m‖₂ ≤ B_int → sign (ML-DSA-65) → seal (ML-KEM-768 + ChaCha20-Poly1305). Needs `alloc`: the chunk count L
//! is the round's, not a compile-time constant.
//!
//! A [`Round`] is built from the round's signed terms ([`RoundTerms`], the facts of the verified round
//! announcement, which names the parameter set), the served BFV key ([`PublicKey`], whose wire header names
//! its set) and the aggregator's KEM key; it refuses a set it does not know, a key whose hash is not the
//! announced one, and a B_int or t that does not follow from the announced τ and scale. Sets S, L and XL
//! (docs/PROTOCOL.md §9.1: XL carries up to 512 chunks = 2^21 parameters under one ℓ2 bound) run the same
//! steps ([`set`], generic over the set). The steps can be run one by one ([`Round::quantize`],
//! [`Round::encrypt`], [`Round::prove`], [`Round::seal`]), which the demo does to time them, or at once with
//! [`Round::submit`].
//!
//! The RNG is drawn in a fixed order (encryption, then the prover, then sealing), so a seeded RNG gives the
//! same bytes on every target (the proof KAT, `tests/vectors/proof.txt`).

mod set;

use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use rand_core::CryptoRng;
use sha3::Digest;
use zeroize::Zeroizing;

use crate::arith::{Q44, Q86};
use crate::bfv::{BfvError, PlainModulus};
use crate::channel::{
    Announcement, ChannelError, ClinicId, KemPublicKey, MlKem768, RoundId, SigningKey,
    SubmissionFields, seal_submission_to_vec,
};
use crate::params::{ParamSet, SetL, SetS, SetXL};
use crate::quant::{QuantError, Quantizer, chunk_count, norm_sq};
use crate::wire::{DecodeError, EncodeError};
use crate::zk::prove::{ProveError, UpdateSource};
use set::{Prover, Secret, SetCiphertext, SetKey};

/// Ring degree of set S (the firmware's and the browser's set).
pub const N: usize = SetS::N;
/// Auxiliary NTT primes for a ternary × uniform product mod q of set S (as `bfv` sizes them).
pub const K: usize = crate::set_s::K;
/// Ring degree of sets L and XL (one BFV ring, docs/PROTOCOL.md §9.1).
const N_L: usize = SetL::N;
/// Auxiliary NTT primes of sets L and XL.
const K_L: usize = crate::set_l::K;
const _: () = assert!(SetXL::N == N_L);

/// The ring degree N of parameter set `id` if the clinic pipeline supports it (S, L, XL), else `None`.
#[must_use]
pub const fn ring_degree(id: u8) -> Option<usize> {
    match id {
        SetS::ID => Some(SetS::N),
        SetL::ID => Some(SetL::N),
        SetXL::ID => Some(SetXL::N),
        _ => None,
    }
}

/// The chunk count L of a `model_dim`-parameter update under parameter set `id` (`None` for an unknown set).
#[must_use]
pub fn chunks_for(id: u8, model_dim: u32) -> Option<usize> {
    ring_degree(id).map(|n| chunk_count(model_dim as usize, n))
}

/// Why a clinic could not build its submission.
#[derive(Debug)]
pub enum ClinicError {
    /// The round is for a parameter set the pipeline does not know (or the served key, or the ciphertext, is
    /// for another set than the round's).
    ParamSet(u8),
    /// τ, scale or model dimension give no quantizer.
    Quantizer(QuantError),
    /// The announced B_int does not follow from τ, scale and the model dimension.
    BInt {
        /// What the announcement says.
        announced: u64,
        /// What τ and the scale give.
        expected: u64,
    },
    /// The announced plaintext modulus t is not usable.
    PlainModulus(BfvError),
    /// t < 2·B_int + 1: a proof-accepted update would not decrypt exactly.
    SmallT {
        /// Announced t.
        t: u64,
        /// Announced B_int.
        b_int: u64,
    },
    /// The served BFV key is not the one whose hash the announcement carries.
    KeyHash,
    /// The served BFV key does not decode, or has fewer chunks than the model needs.
    PublicKey(DecodeError),
    /// The model needs more chunks than the key (or its set) has.
    Chunks {
        /// Chunks the model needs.
        needed: usize,
        /// Chunks available.
        available: usize,
    },
    /// The update has a length other than the announced model dimension.
    UpdateLength {
        /// Announced model dimension.
        expected: usize,
        /// Length given.
        got: usize,
    },
    /// An integer update has a coefficient outside the plaintext range of t.
    MessageRange {
        /// Index of the first coefficient out of range.
        index: usize,
    },
    /// Encryption failed (a message coefficient outside the plaintext range).
    Encrypt(BfvError),
    /// The ciphertext could not be encoded.
    Encode(EncodeError),
    /// The honest prover refused (the statement is false or malformed).
    Prove(ProveError),
    /// Signing or sealing failed.
    Seal(ChannelError),
    /// The progress sink asked to stop.
    Cancelled,
}

impl core::error::Error for ClinicError {}

impl fmt::Display for ClinicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ParamSet(id) => write!(
                f,
                "the round uses parameter set {id}; clinics support sets S ({}), L ({}) and XL ({}) \
                 with a key and ciphertext of the same set",
                SetS::ID,
                SetL::ID,
                SetXL::ID
            ),
            Self::Quantizer(e) => write!(f, "announced τ/scale: {e}"),
            Self::BInt {
                announced,
                expected,
            } => write!(
                f,
                "announced B_int {announced} does not follow from τ and the scale (expected {expected})"
            ),
            Self::PlainModulus(e) => write!(f, "announced plaintext modulus t: {e}"),
            Self::SmallT { t, b_int } => write!(
                f,
                "announced t = {t} is below 2·B_int + 1 = {} (B_int = {b_int})",
                2 * u128::from(*b_int) + 1
            ),
            Self::KeyHash => {
                f.write_str("the served BFV public key is not the announced one (SHA3-256 differs)")
            }
            Self::PublicKey(e) => write!(f, "BFV public key: {e}"),
            Self::Chunks { needed, available } => write!(
                f,
                "the model needs {needed} chunks but the BFV key has {available}"
            ),
            Self::UpdateLength { expected, got } => write!(
                f,
                "the update has {got} values but the round's model has {expected} parameters"
            ),
            Self::MessageRange { index } => write!(
                f,
                "coefficient {index} of the integer update is outside the plaintext range of t"
            ),
            Self::Encrypt(e) => write!(f, "encryption failed: {e}"),
            Self::Encode(e) => write!(f, "ciphertext encoding failed: {e}"),
            Self::Prove(e) => write!(f, "the prover refused: {e:?}"),
            Self::Seal(e) => write!(f, "sign and seal failed: {e}"),
            Self::Cancelled => f.write_str("cancelled"),
        }
    }
}

/// Progress of the long steps: `stage` is `"encrypt"` or `"prove"`, `done` of `total` units complete.
/// Returning `false` abandons the submission ([`ClinicError::Cancelled`]).
pub trait Progress {
    /// Reports progress; `false` cancels.
    fn report(&mut self, stage: &'static str, done: u32, total: u32) -> bool;
}

/// A progress sink that ignores every report.
pub struct Silent;

impl Progress for Silent {
    fn report(&mut self, _: &'static str, _: u32, _: u32) -> bool {
        true
    }
}

fn report(
    p: &mut dyn Progress,
    stage: &'static str,
    done: usize,
    total: usize,
) -> Result<(), ClinicError> {
    let c = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
    if p.report(stage, c(done), c(total)) {
        Ok(())
    } else {
        Err(ClinicError::Cancelled)
    }
}

/// Passes of `zk::prove` over the update when every rejection step accepts at its first try: norms and
/// slack, the commitment t_A, the JL projection, the masked opening and the response.
pub const PROVE_MIN_PASSES: u32 = 5;

/// Progress of the norm proof observed from outside the prover: `zk::prove` reads the update chunk by chunk
/// through [`UpdateSource`] in each of its streaming passes, so this wrapper reports one `"prove"` step per
/// chunk read. The total assumes [`PROVE_MIN_PASSES`] passes; a retried rejection step adds its passes to the
/// total as it starts, so the bar can step back a little. Only the (public) read pattern is observed, never
/// the chunks. `UpdateSource::chunk` cannot fail, so a cancellation is remembered and further reports are
/// skipped; the caller turns it into [`ClinicError::Cancelled`] when the prover returns.
struct ReadProgress<'a, U> {
    inner: U,
    sink: &'a mut dyn Progress,
    chunks: u32,
    reads: u32,
    cancelled: bool,
}

impl<'a, U> ReadProgress<'a, U> {
    fn new(inner: U, chunks: usize, sink: &'a mut dyn Progress) -> Self {
        Self {
            inner,
            sink,
            chunks: u32::try_from(chunks).unwrap_or(u32::MAX).max(1),
            reads: 0,
            cancelled: false,
        }
    }

    /// Reports the end of the proof (done = total = chunks read), or the earlier cancellation.
    fn finish(self) -> Result<(), ClinicError> {
        if self.cancelled || !self.sink.report("prove", self.reads, self.reads) {
            return Err(ClinicError::Cancelled);
        }
        Ok(())
    }
}

impl<U: UpdateSource<N>, const N: usize> UpdateSource<N> for ReadProgress<'_, U> {
    fn chunk(&mut self, j: usize, out: &mut [i64; N]) {
        self.inner.chunk(j, out);
        self.reads = self.reads.saturating_add(1);
        if !self.cancelled {
            let passes = PROVE_MIN_PASSES.max(self.reads.div_ceil(self.chunks));
            let total = passes.saturating_mul(self.chunks);
            self.cancelled = !self.sink.report("prove", self.reads, total);
        }
    }
}

/// The facts of a verified round announcement that the pipeline needs (the aggregator's announcement
/// carries them, signed: `channel::Announcement::verify` checks the signature, then [`RoundTerms::of`] gives
/// these).
#[derive(Clone, Debug, PartialEq)]
pub struct RoundTerms {
    /// Parameter-set id (`ParamSet::ID`: S, L or XL).
    pub param_set_id: u8,
    /// Round number (bound into the proof and the signed submission).
    pub round: u64,
    /// Number of model parameters.
    pub model_dim: u32,
    /// Clip bound τ on the float update's ℓ2 norm.
    pub norm_bound: f64,
    /// Quantization scale S.
    pub scale: f64,
    /// The proven integer bound B_int on ‖m‖₂.
    pub b_int: u64,
    /// BFV plaintext modulus t.
    pub t: u64,
    /// SHA3-256 of the encoded BFV public key.
    pub bfv_public_key_sha3: [u8; 32],
}

impl RoundTerms {
    /// The terms announced by `announcement` (verify it first: `channel::Announcement::verify`). The
    /// conversion lives here, not in `channel`, because the channel sits below the clinic pipeline.
    #[must_use]
    pub fn of<Spec>(announcement: &Announcement<Spec>) -> Self {
        Self {
            param_set_id: announcement.param_set_id,
            round: announcement.round.0,
            model_dim: announcement.model_dim,
            norm_bound: announcement.norm_bound,
            scale: announcement.scale,
            b_int: announcement.b_int,
            t: announcement.t,
            bfv_public_key_sha3: announcement.bfv_public_key_sha3,
        }
    }
}

/// The served key of one of the sets the pipeline supports.
#[derive(Clone)]
enum SetKeys {
    S(SetKey<SetS, N, K>),
    L(SetKey<SetL, N_L, K_L>),
    XL(SetKey<SetXL, N_L, K_L>),
}

/// A ciphertext of one of the sets the pipeline supports.
enum SetCiphertexts {
    S(SetCiphertext<SetS, N>),
    L(SetCiphertext<SetL, N_L>),
    XL(SetCiphertext<SetXL, N_L>),
}

impl From<SetCiphertext<SetS, N>> for SetCiphertexts {
    fn from(c: SetCiphertext<SetS, N>) -> Self {
        Self::S(c)
    }
}
impl From<SetCiphertext<SetL, N_L>> for SetCiphertexts {
    fn from(c: SetCiphertext<SetL, N_L>) -> Self {
        Self::L(c)
    }
}
impl From<SetCiphertext<SetXL, N_L>> for SetCiphertexts {
    fn from(c: SetCiphertext<SetXL, N_L>) -> Self {
        Self::XL(c)
    }
}

/// Runs `$body` with `$k` bound to the set-specific value inside `$e` (a [`SetKeys`]): the body is compiled
/// once per set.
macro_rules! per_set {
    ($e:expr, $k:ident => $body:expr) => {
        match $e {
            SetKeys::S($k) => $body,
            SetKeys::L($k) => $body,
            SetKeys::XL($k) => $body,
        }
    };
}

/// The aggregator's BFV public key as a clinic uses it: NTT forms for encryption and coefficient forms for
/// the proof statement, for the first L chunks only, of the set its wire header names. Cloned (not
/// re-decoded) for each round.
#[derive(Clone)]
pub struct PublicKey {
    key: SetKeys,
    sha3: [u8; 32],
}

impl PublicKey {
    /// Decodes the served key (`wire::bfv`, set S, L or XL as its header says) and keeps its first `chunks`
    /// chunks; the hash is over all the served bytes (what the announcement's `bfv_public_key_sha3` covers).
    pub fn decode(bytes: &[u8], chunks: usize) -> Result<Self, ClinicError> {
        // Byte 2 of the header is the set id; an unknown one is refused by set S's decoder (typed error).
        let key = match bytes.get(2).copied() {
            Some(SetL::ID) => SetKeys::L(SetKey::decode(bytes, chunks)?),
            Some(SetXL::ID) => SetKeys::XL(SetKey::decode(bytes, chunks)?),
            _ => SetKeys::S(SetKey::decode(bytes, chunks)?),
        };
        Ok(Self {
            key,
            sha3: sha3::Sha3_256::digest(bytes).into(),
        })
    }

    /// Decodes the served key keeping the chunks a `model_dim`-parameter update needs under the key's set.
    pub fn decode_for_model(bytes: &[u8], model_dim: u32) -> Result<Self, ClinicError> {
        let id = bytes.get(2).copied().unwrap_or(SetS::ID);
        let chunks = chunks_for(id, model_dim).unwrap_or(0);
        Self::decode(bytes, chunks)
    }

    /// Chunks L kept.
    #[must_use]
    pub fn chunks(&self) -> usize {
        per_set!(&self.key, k => k.chunks())
    }

    /// The key's parameter-set id.
    #[must_use]
    pub fn param_set_id(&self) -> u8 {
        match self.key {
            SetKeys::S(_) => SetS::ID,
            SetKeys::L(_) => SetL::ID,
            SetKeys::XL(_) => SetXL::ID,
        }
    }

    /// SHA3-256 of the served key bytes.
    #[must_use]
    pub fn sha3(&self) -> [u8; 32] {
        self.sha3
    }

    fn truncate(&mut self, chunks: usize) {
        per_set!(&mut self.key, k => k.truncate(chunks));
    }
}

/// A quantized update: L·N integers centred mod t (zero-padded), wiped on drop. Never leaves the clinic.
pub struct Message {
    m: Zeroizing<Vec<i64>>,
    norm_sq: u128,
}

impl Message {
    /// The coefficients (the demo keeps them to check the decrypted sum bit for bit).
    #[must_use]
    pub fn coeffs(&self) -> &[i64] {
        &self.m
    }

    /// ‖m‖₂² (after reduction mod t).
    #[must_use]
    pub fn norm_sq(&self) -> u128 {
        self.norm_sq
    }
}

/// A BFV ciphertext (c1, c0_1..c0_L) and its `wire::bfv` encoding.
pub struct Ciphertext {
    bytes: Vec<u8>,
    polys: SetCiphertexts,
}

impl Ciphertext {
    /// The encoded ciphertext (what is signed and sealed).
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The parameter-set id of the ciphertext.
    #[must_use]
    pub fn param_set_id(&self) -> u8 {
        match self.polys {
            SetCiphertexts::S(_) => SetS::ID,
            SetCiphertexts::L(_) => SetL::ID,
            SetCiphertexts::XL(_) => SetXL::ID,
        }
    }

    /// Keeps the encoding only (frees the polynomials; what sealing needs).
    fn into_bytes_only(mut self) -> Self {
        let empty = |polys: &mut SetCiphertexts| match polys {
            SetCiphertexts::S(c) => c.clear(),
            SetCiphertexts::L(c) => c.clear(),
            SetCiphertexts::XL(c) => c.clear(),
        };
        empty(&mut self.polys);
        self
    }
}

/// A ciphertext with the encryption randomness u the proof needs (wiped on drop).
pub struct Encrypted {
    ciphertext: Ciphertext,
    u: Zeroizing<Vec<i64>>,
}

impl Encrypted {
    /// The public ciphertext.
    #[must_use]
    pub fn ciphertext(&self) -> &Ciphertext {
        &self.ciphertext
    }

    /// The public ciphertext, dropping (and wiping) u.
    #[must_use]
    pub fn into_ciphertext(self) -> Ciphertext {
        self.ciphertext
    }
}

/// How a proof was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofKind {
    /// By the honest prover.
    Honest,
    /// By the prover with its norm checks removed (attack simulation).
    Cheating,
    /// A forgery, a valid header then zeros (the shortest proof length): the cheating prover gave up
    /// (attack simulation).
    Forged,
}

impl ProofKind {
    /// Short description.
    #[must_use]
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

/// The encoded norm proof (`zk`) and how it was made.
pub struct NormProof {
    bytes: Vec<u8>,
    kind: ProofKind,
}

impl NormProof {
    /// The encoded proof.
    #[must_use]
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// How it was made.
    #[must_use]
    pub fn kind(&self) -> ProofKind {
        self.kind
    }
}

/// A whole submission: the sealed envelope to POST, and what went into it.
pub struct Submission {
    /// The sealed, signed envelope.
    pub envelope: Vec<u8>,
    /// ‖m‖₂² of the quantized update.
    pub norm_sq: u128,
}

/// One round as a clinic sees it.
pub struct Round {
    terms: RoundTerms,
    quantizer: Quantizer,
    /// The centred plaintext range of t.
    message_range: (i64, i64),
    /// Ring degree N of the round's set.
    n: usize,
    chunks: usize,
    pk: PublicKey,
    kem: KemPublicKey<MlKem768>,
}

impl Round {
    /// Checks the terms against the keys: a supported set (S, L or XL) that is the key's, the key hash is the
    /// announced one, B_int follows from τ, the scale and the model dimension, t is a usable plaintext
    /// modulus, the key has the chunks the model needs (its extra chunks are dropped).
    pub fn new(
        terms: RoundTerms,
        mut pk: PublicKey,
        kem: KemPublicKey<MlKem768>,
    ) -> Result<Self, ClinicError> {
        let n = ring_degree(terms.param_set_id).ok_or(ClinicError::ParamSet(terms.param_set_id))?;
        if pk.sha3 != terms.bfv_public_key_sha3 {
            return Err(ClinicError::KeyHash);
        }
        if pk.param_set_id() != terms.param_set_id {
            return Err(ClinicError::ParamSet(terms.param_set_id));
        }
        let quantizer = Quantizer::new(terms.norm_bound, terms.scale, terms.model_dim as usize)
            .map_err(ClinicError::Quantizer)?;
        if quantizer.b_int() != terms.b_int {
            return Err(ClinicError::BInt {
                announced: terms.b_int,
                expected: quantizer.b_int(),
            });
        }
        if u128::from(terms.t) < 2 * u128::from(terms.b_int) + 1 {
            return Err(ClinicError::SmallT {
                t: terms.t,
                b_int: terms.b_int,
            });
        }
        let message_range = match pk.key {
            SetKeys::S(_) => PlainModulus::<Q44>::new(terms.t).map(|p| p.message_range()),
            SetKeys::L(_) | SetKeys::XL(_) => {
                PlainModulus::<Q86>::new(terms.t).map(|p| p.message_range())
            }
        }
        .map_err(ClinicError::PlainModulus)?;
        let chunks = chunk_count(terms.model_dim as usize, n);
        if chunks == 0 || chunks > pk.chunks() {
            return Err(ClinicError::Chunks {
                needed: chunks,
                available: pk.chunks(),
            });
        }
        pk.truncate(chunks);
        Ok(Self {
            terms,
            quantizer,
            message_range,
            n,
            chunks,
            pk,
            kem,
        })
    }

    /// The round's terms.
    #[must_use]
    pub fn terms(&self) -> &RoundTerms {
        &self.terms
    }

    /// The round's quantizer (τ, scale, B_int).
    #[must_use]
    pub fn quantizer(&self) -> &Quantizer {
        &self.quantizer
    }

    /// Chunks L.
    #[must_use]
    pub fn chunks(&self) -> usize {
        self.chunks
    }

    /// Ring degree N of the round's parameter set (coefficients per chunk).
    #[must_use]
    pub fn ring_degree(&self) -> usize {
        self.n
    }

    /// SHA3-256 of the round's BFV key.
    #[must_use]
    pub fn pk_sha3(&self) -> [u8; 32] {
        self.pk.sha3
    }

    fn check_len(&self, update: &[f32]) -> Result<(), ClinicError> {
        if update.len() == self.quantizer.params() {
            Ok(())
        } else {
            Err(ClinicError::UpdateLength {
                expected: self.quantizer.params(),
                got: update.len(),
            })
        }
    }

    /// Clips the update to τ and quantizes it (round(S·d), zero-padded to L·N).
    pub fn quantize(&self, update: &[f32]) -> Result<Message, ClinicError> {
        self.check_len(update)?;
        let mut m = Zeroizing::new(vec![0i64; self.chunks * self.n]);
        let norm_sq = self
            .quantizer
            .quantize(update, &mut m)
            .map_err(ClinicError::Quantizer)?;
        Ok(Message { m, norm_sq })
    }

    /// An update that is already quantized (integers, at most L·N of them, zero-padded): checked against the
    /// plaintext range of t only — the prover checks ‖m‖₂ ≤ B_int.
    pub fn message(&self, ints: &[i64]) -> Result<Message, ClinicError> {
        let len = self.chunks * self.n;
        if ints.len() > len {
            return Err(ClinicError::UpdateLength {
                expected: len,
                got: ints.len(),
            });
        }
        let (lo, hi) = self.message_range;
        if let Some(index) = ints.iter().position(|x| !(lo..=hi).contains(x)) {
            return Err(ClinicError::MessageRange { index });
        }
        let mut m = Zeroizing::new(vec![0i64; len]);
        m[..ints.len()].copy_from_slice(ints);
        let norm_sq = norm_sq(&m);
        Ok(Message { m, norm_sq })
    }

    /// **Attack simulation only**: what a malicious clinic can encrypt — round(S·d) per coordinate without
    /// clipping, reduced to the centred representative mod t (the only thing BFV can encrypt). The ciphertext
    /// is well formed but ‖m‖₂ may be far above B_int.
    #[cfg(feature = "attack-prover")]
    pub fn quantize_unclipped(&self, update: &[f32]) -> Result<Message, ClinicError> {
        self.check_len(update)?;
        let mut m = Zeroizing::new(vec![0i64; self.chunks * self.n]);
        let t = i64::try_from(self.terms.t).unwrap_or(i64::MAX);
        let (_, hi) = self.message_range;
        let scale = self.quantizer.scale();
        for (o, &d) in m.iter_mut().zip(update) {
            let v = libm::round(f64::from(d) * scale);
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
        let norm_sq = norm_sq(&m);
        Ok(Message { m, norm_sq })
    }

    /// BFV-encrypts `m` chunk by chunk (one `"encrypt"` progress step per chunk) and encodes the ciphertext.
    pub fn encrypt<R: CryptoRng>(
        &self,
        m: &Message,
        rng: &mut R,
        progress: &mut dyn Progress,
    ) -> Result<Encrypted, ClinicError> {
        let t = self.terms.t;
        let (bytes, polys, u) = per_set!(&self.pk.key, k => {
            let (bytes, ct, u) = set::encrypt(k, t, &m.m, rng, progress)?;
            (bytes, SetCiphertexts::from(ct), u)
        });
        Ok(Encrypted {
            ciphertext: Ciphertext { bytes, polys },
            u,
        })
    }

    /// Proves that `enc` is a well-formed encryption of `m` under the round's key and ‖m‖₂ ≤ B_int, bound to
    /// (round, `clinic`). The honest prover refuses a false statement ([`ClinicError::Prove`]).
    pub fn prove<R: CryptoRng>(
        &self,
        enc: &Encrypted,
        m: &Message,
        clinic: u32,
        rng: &mut R,
        progress: &mut dyn Progress,
    ) -> Result<NormProof, ClinicError> {
        self.run_prover(enc, m, clinic, rng, progress, Prover::Honest)
    }

    /// **Attack simulation only**: the prover with its norm checks removed; if it finds no accepted
    /// transcript (the usual case for a long, unclipped update), a forgery — the header the verifier expects,
    /// then zeros. Either way the aggregator must reject it.
    #[cfg(feature = "attack-prover")]
    pub fn prove_cheating<R: CryptoRng>(
        &self,
        enc: &Encrypted,
        m: &Message,
        clinic: u32,
        rng: &mut R,
        progress: &mut dyn Progress,
    ) -> Result<NormProof, ClinicError> {
        self.run_prover(enc, m, clinic, rng, progress, Prover::Cheating)
    }

    /// Runs `prover` over the round's key and `enc`; `enc` must be of the round's set.
    fn run_prover<R: CryptoRng>(
        &self,
        enc: &Encrypted,
        m: &Message,
        clinic: u32,
        rng: &mut R,
        progress: &mut dyn Progress,
        prover: Prover,
    ) -> Result<NormProof, ClinicError> {
        let secret = Secret { u: &enc.u, m: &m.m };
        let terms = &self.terms;
        match (&self.pk.key, &enc.ciphertext.polys) {
            (SetKeys::S(k), SetCiphertexts::S(c)) => {
                set::prove(k, c, &secret, terms, clinic, rng, progress, prover)
            }
            (SetKeys::L(k), SetCiphertexts::L(c)) => {
                set::prove(k, c, &secret, terms, clinic, rng, progress, prover)
            }
            (SetKeys::XL(k), SetCiphertexts::XL(c)) => {
                set::prove(k, c, &secret, terms, clinic, rng, progress, prover)
            }
            _ => Err(ClinicError::ParamSet(terms.param_set_id)),
        }
    }

    /// Signs (ML-DSA-65, `key`) and seals (to the aggregator's KEM key) ciphertext and proof as `clinic`'s
    /// submission number `sequence` of this round.
    pub fn seal<R: CryptoRng>(
        &self,
        ciphertext: &Ciphertext,
        proof: &NormProof,
        clinic: u32,
        key: &SigningKey,
        sequence: u64,
        rng: &mut R,
    ) -> Result<Vec<u8>, ClinicError> {
        let fields = SubmissionFields {
            param_id: self.terms.param_set_id,
            round: RoundId(self.terms.round),
            clinic: ClinicId(clinic),
        };
        seal_submission_to_vec::<MlKem768, _>(
            &self.kem,
            &fields,
            sequence,
            &ciphertext.bytes,
            &proof.bytes,
            key,
            rng,
        )
        .map_err(ClinicError::Seal)
    }

    /// The whole pipeline for an honest clinic: clip, quantize, encrypt, prove, sign, seal. The message, u
    /// and the ciphertext's polynomials are dropped (wiped) before sealing, so that the envelope is the only
    /// large buffer built while the ciphertext bytes and proof are held.
    pub fn submit<R: CryptoRng>(
        &self,
        update: &[f32],
        clinic: u32,
        key: &SigningKey,
        sequence: u64,
        rng: &mut R,
        progress: &mut dyn Progress,
    ) -> Result<Submission, ClinicError> {
        let m = self.quantize(update)?;
        let enc = self.encrypt(&m, rng, progress)?;
        let proof = self.prove(&enc, &m, clinic, rng, progress)?;
        let norm_sq = m.norm_sq;
        drop(m);
        let ciphertext = enc.into_ciphertext().into_bytes_only();
        let envelope = self.seal(&ciphertext, &proof, clinic, key, sequence, rng)?;
        Ok(Submission { envelope, norm_sq })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bfv::SecretKey;
    use crate::channel::KemSecretKey;
    use crate::policy::max_submission_len;
    use crate::zk::statement::Context;
    use crate::zk::verify::verify;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    const DIM: u32 = 3000;

    /// A seeded set-S key with `chunks` chunks, encoded as `zkfl serve` serves it.
    fn served_key(chunks: usize) -> Vec<u8> {
        let sk = crate::set_s::SecretKey::from_seed([4; 32]);
        crate::set_s::PublicKey::generate(&sk, &[5; 32], chunks)
            .encode()
            .expect("pk")
    }

    fn terms(served: &[u8]) -> RoundTerms {
        let q = Quantizer::with_max_scale(5.0, DIM as usize, SetS::B_INT_MAX).expect("q");
        RoundTerms {
            param_set_id: SetS::ID,
            round: 3,
            model_dim: DIM,
            norm_bound: 5.0,
            scale: q.scale(),
            b_int: q.b_int(),
            t: 2 * 5 * q.b_int() + 1,
            bfv_public_key_sha3: sha3::Sha3_256::digest(served).into(),
        }
    }

    fn kem() -> KemPublicKey<MlKem768> {
        KemSecretKey::<MlKem768>::from_seed(&[3; 64])
            .public_key()
            .clone()
    }

    fn round_with(t: RoundTerms, served: &[u8]) -> Result<Round, ClinicError> {
        Round::new(t, PublicKey::decode(served, 2)?, kem())
    }

    fn verify_for(r: &Round, enc: &Encrypted, proof: &NormProof, clinic: u32) -> bool {
        let ctx = Context {
            round: r.terms.round,
            clinic: u64::from(clinic),
        };
        let (t, p) = (&r.terms, proof.bytes());
        match (&r.pk.key, &enc.ciphertext().polys) {
            (SetKeys::S(k), SetCiphertexts::S(c)) => {
                verify::<SetS, N>(&set::statement(k, c, t), &ctx, p).is_ok()
            }
            (SetKeys::L(k), SetCiphertexts::L(c)) => {
                verify::<SetL, N_L>(&set::statement(k, c, t), &ctx, p).is_ok()
            }
            (SetKeys::XL(k), SetCiphertexts::XL(c)) => {
                verify::<SetXL, N_L>(&set::statement(k, c, t), &ctx, p).is_ok()
            }
            _ => false,
        }
    }

    #[test]
    fn an_honest_update_gives_a_proof_that_verifies_and_a_sealed_envelope() {
        let served = served_key(4);
        let r = round_with(terms(&served), &served).expect("round");
        assert_eq!(r.chunks(), 2);
        let update: Vec<f32> = (0..DIM).map(|i| ((i % 11) as f32 - 5.0) * 0.02).collect();
        let mut rng = ChaCha20Rng::from_seed([9; 32]);
        let m = r.quantize(&update).expect("quantize");
        assert!(m.norm_sq() <= u128::from(r.terms().b_int).pow(2));
        let enc = r.encrypt(&m, &mut rng, &mut Silent).expect("encrypt");
        let proof = r.prove(&enc, &m, 2, &mut rng, &mut Silent).expect("prove");
        assert_eq!(proof.kind(), ProofKind::Honest);
        assert!(verify_for(&r, &enc, &proof, 2));
        assert!(!verify_for(&r, &enc, &proof, 1), "bound to its clinic");
        let key = SigningKey::from_seed(&[1; 32]);
        let env = r
            .seal(enc.ciphertext(), &proof, 2, &key, 1, &mut rng)
            .expect("seal");
        assert!(env.len() > enc.ciphertext().bytes().len() + proof.bytes().len());
        // The service's per-round body limit holds the envelope; unknown sets and sizes have none.
        let max = max_submission_len(SetS::ID, 2, r.terms().b_int).expect("limit");
        assert!(env.len() <= max, "{} > {max}", env.len());
        assert!(max_submission_len(SetS::ID, 3, r.terms().b_int).expect("limit") > max);
        assert_eq!(max_submission_len(9, 2, r.terms().b_int), None);
        assert_eq!(max_submission_len(SetS::ID, 0, r.terms().b_int), None);
        assert_eq!(max_submission_len(SetS::ID, SetS::MAX_CHUNKS + 1, 1), None);
    }

    #[test]
    fn the_round_refuses_terms_that_do_not_match_the_keys() {
        let served = served_key(2);
        let good = terms(&served);
        let mut t = good.clone();
        t.bfv_public_key_sha3[0] ^= 1;
        assert!(matches!(round_with(t, &served), Err(ClinicError::KeyHash)));
        let mut t = good.clone();
        t.b_int += 1;
        assert!(matches!(
            round_with(t, &served),
            Err(ClinicError::BInt { .. })
        ));
        let mut t = good.clone();
        t.param_set_id = 9;
        assert!(matches!(
            round_with(t, &served),
            Err(ClinicError::ParamSet(9))
        ));
        let mut t = good.clone();
        t.param_set_id = SetL::ID; // a set-S key under a set-L announcement
        assert!(matches!(
            round_with(t, &served),
            Err(ClinicError::ParamSet(2))
        ));
        let mut t = good.clone();
        t.t = 2 * t.b_int;
        assert!(matches!(
            round_with(t, &served),
            Err(ClinicError::SmallT { .. })
        ));
        let mut t = good.clone();
        t.t = 1 << 50; // above q
        assert!(matches!(
            round_with(t, &served),
            Err(ClinicError::PlainModulus(_))
        ));
        assert!(matches!(
            PublicKey::decode(&served, 3),
            Err(ClinicError::Chunks {
                needed: 3,
                available: 2
            })
        ));
        let r = round_with(good, &served).expect("round");
        assert!(matches!(
            r.quantize(&[0.0; 10]),
            Err(ClinicError::UpdateLength {
                expected: 3000,
                got: 10
            })
        ));
        assert!(matches!(
            r.message(&[0, 1, i64::MAX]),
            Err(ClinicError::MessageRange { index: 2 })
        ));
        assert!(r.message(&[0; 2 * N + 1]).is_err());
    }

    #[test]
    #[allow(clippy::items_after_statements)] // the progress stub sits next to its use
    fn the_honest_prover_refuses_an_update_above_the_bound_and_progress_can_cancel() {
        let served = served_key(2);
        let r = round_with(terms(&served), &served).expect("round");
        let b = i64::try_from(r.terms().b_int).expect("b");
        let m = r.message(&[b, b]).expect("in range");
        let mut rng = ChaCha20Rng::from_seed([9; 32]);
        let enc = r.encrypt(&m, &mut rng, &mut Silent).expect("encrypt");
        assert!(matches!(
            r.prove(&enc, &m, 1, &mut rng, &mut Silent),
            Err(ClinicError::Prove(_))
        ));
        struct StopAt(u32);
        impl Progress for StopAt {
            fn report(&mut self, _: &'static str, done: u32, _: u32) -> bool {
                done < self.0
            }
        }
        assert!(matches!(
            r.encrypt(&m, &mut rng, &mut StopAt(1)),
            Err(ClinicError::Cancelled)
        ));
    }

    /// A served set-L-ring key of `chunks` chunks for set `P` (L or XL).
    fn served_large<P: ParamSet<M = Q86>>(chunks: usize) -> Vec<u8> {
        let sk = SecretKey::<P, N_L>::from_seed([6; 32]);
        crate::bfv::PublicKeyPolys::<P, N_L, K_L>::generate(&sk, &[7; 32], chunks)
            .encode()
            .expect("pk")
    }

    /// Sets L and XL run the same pipeline: the round takes its set from the terms, the key's header names
    /// the same set, and the proof verifies under that set only.
    #[test]
    fn sets_l_and_xl_give_proofs_that_verify_under_their_own_set() {
        for (id, served) in [
            (SetL::ID, served_large::<SetL>(2)),
            (SetXL::ID, served_large::<SetXL>(2)),
        ] {
            let dim = N_L as u32 + 5; // two chunks
            let mut t = terms(&served);
            let q = Quantizer::new(t.norm_bound, t.scale, dim as usize).expect("q");
            (t.param_set_id, t.model_dim, t.b_int) = (id, dim, q.b_int());
            t.t = 2 * 5 * q.b_int() + 1;
            let pk = PublicKey::decode_for_model(&served, dim).expect("pk");
            assert_eq!((pk.param_set_id(), pk.chunks()), (id, 2));
            let r = Round::new(t.clone(), pk.clone(), kem()).expect("round");
            assert_eq!((r.chunks(), r.ring_degree()), (2, N_L));
            let update: Vec<f32> = (0..dim).map(|i| ((i % 7) as f32 - 3.0) * 0.01).collect();
            let mut rng = ChaCha20Rng::from_seed([9; 32]);
            let m = r.quantize(&update).expect("quantize");
            let enc = r.encrypt(&m, &mut rng, &mut Silent).expect("encrypt");
            assert_eq!(enc.ciphertext().param_set_id(), id);
            let proof = r.prove(&enc, &m, 2, &mut rng, &mut Silent).expect("prove");
            assert!(verify_for(&r, &enc, &proof, 2));
            assert_eq!(proof.bytes()[4], id, "the proof header names the set");
            let key = SigningKey::from_seed(&[1; 32]);
            let env = r
                .seal(enc.ciphertext(), &proof, 2, &key, 1, &mut rng)
                .expect("seal");
            let max = max_submission_len(id, 2, r.terms().b_int);
            assert!(env.len() <= max.expect("limit"));
            // The other large set's announcement over this key is refused.
            t.param_set_id = if id == SetL::ID { SetXL::ID } else { SetL::ID };
            assert!(matches!(
                Round::new(t, pk, kem()),
                Err(ClinicError::ParamSet(_))
            ));
        }
    }

    #[cfg(feature = "attack-prover")]
    #[test]
    fn unclipped_quantization_wraps_into_the_plaintext_range() {
        let served = served_key(2);
        let mut t = terms(&served);
        t.scale = 2.0;
        t.norm_bound = 1.0;
        t.model_dim = 5;
        let q = Quantizer::new(1.0, 2.0, 5).expect("q");
        t.b_int = q.b_int();
        t.t = 11;
        let r = Round::new(t, PublicKey::decode(&served, 2).expect("pk"), kem()).expect("round");
        let m = r
            .quantize_unclipped(&[0.5, -2.0, 3.0, f32::NAN, 1e30])
            .expect("unclipped");
        // round(1.0) = 1, −4, 6 → 6 − 11 = −5, NaN → 0, 1e15 mod 11 centred, padding 0.
        let big = 1_000_000_000_000_000i64.rem_euclid(11);
        let big = if big > 5 { big - 11 } else { big };
        assert_eq!(&m.coeffs()[..6], &[1, -4, -5, 0, big, 0]);
        assert!(m.coeffs().iter().all(|&x| (-5..=5).contains(&x)));
    }
}
