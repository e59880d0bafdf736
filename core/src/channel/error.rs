//! Typed rejections (docs/CHANNEL.md §7). Every malformed, misdirected, replayed or forged input maps to
//! exactly one variant, so the aggregator can log and report the reason without parsing strings.

use core::fmt;

use super::ids::{ClinicId, Direction, RoundId};

/// Why the replay guard refused an envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// The same (direction, clinic, round, sequence) was already accepted.
    Duplicate,
    /// Older than the newest (round, sequence) already accepted from this sender.
    Stale,
    /// The guard has no room to track another sender.
    Full,
    /// The guard's storage failed (e.g. the aggregator's database); treat as a rejection.
    Unavailable,
}

/// Everything that can go wrong in the channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelError {
    /// Input shorter than its layout requires.
    Truncated {
        /// Bytes the layout needs.
        needed: usize,
        /// Bytes supplied.
        got: usize,
    },
    /// Input longer than its layout or the caller's limit allows.
    Oversized {
        /// Largest accepted length.
        limit: usize,
        /// Bytes supplied.
        got: usize,
    },
    /// Caller's output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        got: usize,
    },
    /// Unknown envelope or submission format version.
    UnsupportedVersion(u8),
    /// The header names another KEM than the opener's key.
    KemMismatch {
        /// KEM id of the opener's key.
        expected: u8,
        /// KEM id in the header.
        got: u8,
    },
    /// Direction byte is neither 1 nor 2.
    UnknownDirection(u8),
    /// Envelope travels in the other direction than the opener expects.
    WrongDirection {
        /// Direction the opener expects.
        expected: Direction,
        /// Direction in the header.
        got: Direction,
    },
    /// Envelope or submission for another round.
    WrongRound {
        /// The round being collected.
        expected: RoundId,
        /// Round in the input.
        got: RoundId,
    },
    /// A reserved header byte is not zero.
    ReservedNonZero,
    /// A declared length disagrees with the bytes present.
    LengthMismatch {
        /// Length declared in the header.
        declared: u64,
        /// Length actually present.
        actual: usize,
    },
    /// Key bytes of the wrong length, or an ML-KEM encapsulation key failing the FIPS 203 §7.2 modulus check.
    InvalidKey,
    /// AEAD authentication failed: some byte of header, KEM ciphertext, payload or tag was changed, or the
    /// envelope was sealed to another key.
    DecryptionFailed,
    /// Refused by the replay guard.
    Replay(ReplayError),
    /// The clinic id is not in the roster.
    UnknownClinic(ClinicId),
    /// The envelope header and the signed submission name different clinics.
    ClinicMismatch {
        /// Clinic id in the envelope header.
        envelope: ClinicId,
        /// Clinic id in the signed submission.
        submission: ClinicId,
    },
    /// Submission for another parameter set.
    ParamSetMismatch {
        /// Parameter-set id of the round.
        expected: u8,
        /// Parameter-set id in the submission.
        got: u8,
    },
    /// Signature bytes that do not decode (FIPS 204 Algorithm 27 `sigDecode` fails, e.g. bad hints).
    MalformedSignature,
    /// Well-formed signature that does not verify under the registered key.
    BadSignature,
    /// FIPS 204 context string longer than 255 bytes.
    ContextTooLong,
    /// ML-DSA signing failed (RNG error or rejection-sampling bound hit; not expected in practice).
    SigningFailed,
    /// This clinic id is already registered.
    DuplicateClinic(ClinicId),
    /// This verifying key is already registered under another clinic id.
    DuplicateKey(ClinicId),
    /// The roster has no room for another clinic.
    RosterFull,
}

impl ChannelError {
    /// Stable machine-readable reason code, for logs and HTTP error bodies.
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Truncated { .. } => "truncated",
            Self::Oversized { .. } => "oversized",
            Self::BufferTooSmall { .. } => "buffer_too_small",
            Self::UnsupportedVersion(_) => "unsupported_version",
            Self::KemMismatch { .. } => "kem_mismatch",
            Self::UnknownDirection(_) => "unknown_direction",
            Self::WrongDirection { .. } => "wrong_direction",
            Self::WrongRound { .. } => "wrong_round",
            Self::ReservedNonZero => "reserved_nonzero",
            Self::LengthMismatch { .. } => "length_mismatch",
            Self::InvalidKey => "invalid_key",
            Self::DecryptionFailed => "decryption_failed",
            Self::Replay(ReplayError::Duplicate) => "replay_duplicate",
            Self::Replay(ReplayError::Stale) => "replay_stale",
            Self::Replay(ReplayError::Full) => "replay_guard_full",
            Self::Replay(ReplayError::Unavailable) => "replay_guard_unavailable",
            Self::UnknownClinic(_) => "unknown_clinic",
            Self::ClinicMismatch { .. } => "clinic_mismatch",
            Self::ParamSetMismatch { .. } => "param_set_mismatch",
            Self::MalformedSignature => "malformed_signature",
            Self::BadSignature => "bad_signature",
            Self::ContextTooLong => "context_too_long",
            Self::SigningFailed => "signing_failed",
            Self::DuplicateClinic(_) => "duplicate_clinic",
            Self::DuplicateKey(_) => "duplicate_key",
            Self::RosterFull => "roster_full",
        }
    }
}

impl From<ReplayError> for ChannelError {
    fn from(e: ReplayError) -> Self {
        Self::Replay(e)
    }
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { needed, got } => {
                write!(f, "input truncated: need {needed} bytes, got {got}")
            }
            Self::Oversized { limit, got } => {
                write!(f, "input oversized: limit {limit} bytes, got {got}")
            }
            Self::BufferTooSmall { needed, got } => {
                write!(
                    f,
                    "output buffer too small: need {needed} bytes, have {got}"
                )
            }
            Self::UnsupportedVersion(v) => write!(f, "unsupported format version {v}"),
            Self::KemMismatch { expected, got } => write!(f, "KEM id {got}, expected {expected}"),
            Self::UnknownDirection(b) => write!(f, "unknown direction byte {b}"),
            Self::WrongDirection { expected, got } => {
                write!(f, "direction {got:?}, expected {expected:?}")
            }
            Self::WrongRound { expected, got } => {
                write!(f, "round {}, expected round {}", got.0, expected.0)
            }
            Self::ReservedNonZero => f.write_str("reserved header bytes are not zero"),
            Self::LengthMismatch { declared, actual } => {
                write!(f, "declared length {declared} but {actual} bytes present")
            }
            Self::InvalidKey => f.write_str("invalid key encoding"),
            Self::DecryptionFailed => f.write_str("envelope authentication failed"),
            Self::Replay(e) => write!(f, "replay guard refused the envelope: {e:?}"),
            Self::UnknownClinic(c) => write!(f, "clinic {} is not in the roster", c.0),
            Self::ClinicMismatch {
                envelope,
                submission,
            } => write!(
                f,
                "envelope is from clinic {} but the submission is signed as clinic {}",
                envelope.0, submission.0
            ),
            Self::ParamSetMismatch { expected, got } => {
                write!(f, "parameter set {got}, expected {expected}")
            }
            Self::MalformedSignature => f.write_str("signature does not decode"),
            Self::BadSignature => f.write_str("signature does not verify"),
            Self::ContextTooLong => f.write_str("signature context longer than 255 bytes"),
            Self::SigningFailed => f.write_str("signing failed"),
            Self::DuplicateClinic(c) => write!(f, "clinic {} is already registered", c.0),
            Self::DuplicateKey(c) => write!(f, "key already registered for clinic {}", c.0),
            Self::RosterFull => f.write_str("roster is full"),
        }
    }
}

impl core::error::Error for ChannelError {}

/// Checks that `got` equals a fixed layout length `want`, as a typed error.
pub(crate) const fn expect_len(want: usize, got: usize) -> Result<(), ChannelError> {
    if got < want {
        Err(ChannelError::Truncated { needed: want, got })
    } else if got > want {
        Err(ChannelError::Oversized { limit: want, got })
    } else {
        Ok(())
    }
}
