//! Post-quantum channel (docs/CHANNEL.md): ML-KEM envelope with a SHAKE256 KDF and ChaCha20-Poly1305,
//! ML-DSA-65 clinic identities, signed submissions and a replay guard.
//!
//! Map (one concept per module, each naming the section of docs/CHANNEL.md it implements):
//! - [`ids`] — round, clinic and direction identifiers (§1).
//! - [`kem`] — ML-KEM-768/1024 keys and encapsulation, FIPS 203 (§2).
//! - `kdf` — SHAKE256 key schedule for the AEAD (§3).
//! - [`header`] — the 32-byte envelope header (§4).
//! - [`envelope`] — seal/open, in place and detached (§4).
//! - [`aead_stream`] — the envelope's ChaCha20-Poly1305 fed piece by piece (§4, for devices).
//! - [`digest`] — submission and announcement digests (§5).
//! - [`identity`] — ML-DSA-65 signing and verifying keys, FIPS 204 (§5).
//! - `fips204_signer` — the same ML-DSA-65 signatures from the `fips204` crate in a small stack frame, for
//!   devices (feature `fips204-signer`, §5).
//! - [`announcement`] — the signed round announcement: canonical bytes and signature check (§5).
//! - [`roster`] — registered clinics (§5).
//! - [`submission`] — the signed submission format and the end-to-end clinic/aggregator operations (§5).
//! - [`replay`] — the replay guard (§6).
//! - [`error`] — typed rejections (§7).

pub mod aead_stream;
pub mod announcement;
pub mod digest;
pub mod envelope;
pub mod error;
#[cfg(feature = "fips204-signer")]
mod fips204_signer;
mod hash;
pub mod header;
pub mod identity;
pub mod ids;
mod kdf;
pub mod kem;
pub mod replay;
pub mod roster;
pub mod submission;

pub use announcement::{Announcement, AnnouncementError};
pub use digest::{AnnouncementDigest, ContentHash, ContentHasher, ContentKind, SubmissionDigest};
pub use envelope::{
    OpenPolicy, Opened, SealContext, StreamingSeal, TAG_LEN, overhead, prefix_len, seal_streaming,
};
#[cfg(feature = "alloc")]
pub use envelope::{open_to_vec, seal_to_vec};
pub use error::{ChannelError, ReplayError};
#[cfg(feature = "fips204-signer")]
pub use fips204_signer::ExpandedSigningKey;
pub use header::{EnvelopeHeader, HEADER_LEN};
pub use identity::{ContextSigner, Signature, SigningKey, VerifyingKey};
pub use ids::{ClinicId, Direction, RoundId};
pub use kem::{
    ChannelKem, KemCiphertext, KemPublicKey, KemSecretKey, MlKem768, MlKem1024, SharedSecret,
};
pub use replay::{MemoryReplayGuard, ReplayGuard, ReplayKey};
pub use roster::{ClinicRoster, Roster};
#[cfg(feature = "alloc")]
pub use submission::seal_submission_to_vec;
pub use submission::{
    SubmissionEnvelopeLayout, SubmissionFields, SubmissionPolicy, SubmissionView,
    VerifiedSubmission, open_submission, seal_submission, seal_submission_in_place, signed_header,
};

/// The default KEM of the channel.
pub type DefaultKem = MlKem768;
