//! The narrow interfaces between the service and the cryptography (docs/SERVICE.md "Verification"):
//! [`SubmissionVerifier`] turns envelope bytes into an authenticated, verified submission or a typed
//! rejection, and [`Aggregate`] keeps the homomorphic running sum. The service never sees a plaintext.

pub use zkfl_core::channel::ReplayGuard;

use crate::error::ApiError;
use crate::round::{ClinicId, RoundId};

/// A rejection is an API error: a stable code plus a message saying why.
pub type Rejection = ApiError;

/// What the verifier learnt from the envelope and the signature, before the proof is checked.
#[derive(Clone, Debug)]
pub struct Authenticated {
    /// Roster id of the clinic whose ML-DSA signature verified.
    pub clinic_id: ClinicId,
    /// The round the signed submission names.
    pub round: RoundId,
    /// The parameter-set id the signed submission names.
    pub param_set_id: u8,
    /// Digest of the signed submission (the channel's 64-byte `SubmissionDigest`).
    pub digest: Vec<u8>,
    /// The BFV ciphertext in its wire encoding.
    pub ciphertext: Vec<u8>,
    /// The norm proof in its wire encoding.
    pub proof: Vec<u8>,
}

/// The public facts of a round that a proof must be checked against (docs/PROTOCOL.md §2 and §6 step 0:
/// the transcript binds parameter set, round, client, public-key hash and ciphertext).
#[derive(Clone, Debug)]
pub struct RoundContext {
    /// Round number.
    pub round: RoundId,
    /// Parameter-set id.
    pub param_set_id: u8,
    /// Number of model parameters.
    pub model_dim: u32,
    /// Proven l2 bound on the quantized update.
    pub b_int: u64,
    /// BFV plaintext modulus t of the round (Δ = ⌊q/t⌋ is part of the proof statement).
    pub t: u64,
    /// SHA3-256 of the BFV public key.
    pub bfv_public_key_sha3: [u8; 32],
}

impl RoundContext {
    /// The longest submission envelope this round accepts, computed from its parameter set, chunk count and
    /// B_int (`zkfl_core::policy::max_submission_len`, the one source of the limit); 0 for a round
    /// no submission can fit (an unknown set or a model the set cannot carry).
    #[must_use]
    pub fn max_submission_len(&self) -> usize {
        zkfl_core::clinic::chunks_for(self.param_set_id, self.model_dim)
            .and_then(|chunks| {
                zkfl_core::policy::max_submission_len(self.param_set_id, chunks, self.b_int)
            })
            .unwrap_or(0)
    }

    /// The proof context of the round `a` announces.
    #[must_use]
    pub fn of(a: &crate::round::Announcement) -> Self {
        Self {
            round: a.round,
            param_set_id: a.param_set_id,
            model_dim: a.model_dim,
            b_int: a.b_int,
            t: a.t,
            bfv_public_key_sha3: a.bfv_public_key_sha3,
        }
    }
}

/// Opens, authenticates and verifies submissions. Implementations must be pure functions of their keys and
/// inputs (they run on several worker threads at once).
pub trait SubmissionVerifier: Send + Sync {
    /// Decodes and opens the envelope for the round in `round`, checks the signature against the roster and
    /// the channel's replay rules through `guard` (whose `record` only stages the mark; the coordinator
    /// stores it together with the decision).
    fn authenticate(
        &self,
        envelope: &[u8],
        round: &RoundContext,
        guard: &mut dyn ReplayGuard,
    ) -> Result<Authenticated, Rejection>;
    /// Decodes the ciphertext and verifies the norm proof in the round's context.
    fn verify(&self, submission: &Authenticated, round: &RoundContext) -> Result<(), Rejection>;
}

/// The homomorphic running sum of accepted ciphertexts, in the ciphertext wire encoding. One sum is held at a
/// time, so memory does not grow with the number of clinics.
pub trait Aggregate: Send + Sync {
    /// The encoding of the empty sum for a round.
    fn empty(&self, round: &RoundContext) -> Result<Vec<u8>, Rejection>;
    /// `sum + ciphertext`, both in the wire encoding (the ciphertext was already verified).
    fn add(&self, sum: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, Rejection>;
}
