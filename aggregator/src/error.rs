//! Typed API errors: a stable machine-readable code, an HTTP status and a human message (docs/API.md "Errors").

use serde::{Deserialize, Serialize};

/// Every error code the API can return. The string form is the wire contract in docs/API.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// JSON body or path parameter does not parse.
    MalformedRequest,
    /// Submission body is not a well-formed envelope.
    MalformedEnvelope,
    /// KEM decapsulation or AEAD authentication failed.
    EnvelopeOpenFailed,
    /// Reserved, never sent: the channel does not tell a malformed envelope from a malformed submission
    /// inside it, so both are `malformed_envelope` (docs/API.md lists only codes that are sent).
    MalformedSubmission,
    /// The submission names a clinic outside the roster.
    UnknownClinic,
    /// ML-DSA signature does not verify against the roster key.
    SignatureInvalid,
    /// Admin endpoint called from a non-loopback peer.
    AdminForbidden,
    /// No such round, model or route.
    NotFound,
    /// No round has been opened yet.
    NoRound,
    /// The submission is for another round than the open one.
    WrongRound,
    /// The round is not accepting submissions.
    RoundNotOpen,
    /// The clinic already has a decision in this round.
    DuplicateSubmission,
    /// These envelope bytes or this submission digest were seen before.
    ReplayedSubmission,
    /// A round is already open.
    RoundAlreadyOpen,
    /// Body exceeds the configured limit.
    BodyTooLarge,
    /// Wrong `Content-Type`.
    UnsupportedMediaType,
    /// Parameter set, chunk count or model dimension differs from the round's.
    ParameterMismatch,
    /// The BFV ciphertext does not decode.
    CiphertextMalformed,
    /// The zero-knowledge proof does not verify.
    ProofInvalid,
    /// A verification step is missing from this build; the submission is rejected.
    CheckUnavailable,
    /// The verification queue, the authentication slots, the clinic's slot or the in-flight body budget
    /// is full.
    QueueFull,
    /// Storage or key-holder failure.
    Internal,
    /// The server is shutting down.
    ShuttingDown,
    /// The aggregator's disk is full; nothing was recorded.
    StorageFull,
}

impl Code {
    /// The HTTP status that goes with this code.
    #[must_use]
    pub fn status(self) -> u16 {
        match self {
            Self::MalformedRequest
            | Self::MalformedEnvelope
            | Self::EnvelopeOpenFailed
            | Self::MalformedSubmission => 400,
            Self::UnknownClinic | Self::SignatureInvalid | Self::AdminForbidden => 403,
            Self::NotFound | Self::NoRound => 404,
            Self::WrongRound
            | Self::RoundNotOpen
            | Self::DuplicateSubmission
            | Self::ReplayedSubmission
            | Self::RoundAlreadyOpen => 409,
            Self::BodyTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::ParameterMismatch
            | Self::CiphertextMalformed
            | Self::ProofInvalid
            | Self::CheckUnavailable => 422,
            Self::QueueFull => 429,
            Self::Internal => 500,
            Self::ShuttingDown | Self::StorageFull => 503,
        }
    }

    /// The wire string of this code (`"duplicate_submission"`, ...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedRequest => "malformed_request",
            Self::MalformedEnvelope => "malformed_envelope",
            Self::EnvelopeOpenFailed => "envelope_open_failed",
            Self::MalformedSubmission => "malformed_submission",
            Self::UnknownClinic => "unknown_clinic",
            Self::SignatureInvalid => "signature_invalid",
            Self::AdminForbidden => "admin_forbidden",
            Self::NotFound => "not_found",
            Self::NoRound => "no_round",
            Self::WrongRound => "wrong_round",
            Self::RoundNotOpen => "round_not_open",
            Self::DuplicateSubmission => "duplicate_submission",
            Self::ReplayedSubmission => "replayed_submission",
            Self::RoundAlreadyOpen => "round_already_open",
            Self::BodyTooLarge => "body_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::ParameterMismatch => "parameter_mismatch",
            Self::CiphertextMalformed => "ciphertext_malformed",
            Self::ProofInvalid => "proof_invalid",
            Self::CheckUnavailable => "check_unavailable",
            Self::QueueFull => "queue_full",
            Self::Internal => "internal",
            Self::ShuttingDown => "shutting_down",
            Self::StorageFull => "storage_full",
        }
    }

    /// Parses the wire string back (used by the client and by the store).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
}

impl Code {
    /// Whether a client should retry after `Retry-After` (a transient overload, not a verdict).
    #[must_use]
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            Self::QueueFull | Self::ShuttingDown | Self::StorageFull
        )
    }
}

impl core::fmt::Display for Code {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error as sent on the wire: `{"code": ..., "message": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// Stable machine-readable code.
    pub code: Code,
    /// What happened and what to do next.
    pub message: String,
}

impl ApiError {
    /// Builds an error from a code and a message.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// An internal error; the detail goes to the log, the peer sees a generic message.
    pub fn internal(detail: impl core::fmt::Display) -> Self {
        eprintln!("internal error: {detail}");
        Self::new(Code::Internal, "internal server error; see the server log")
    }
}

impl core::fmt::Display for ApiError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ApiError {}

/// Why a port of the coordinator failed: the announcement signer, the decryptor and the key holder's own
/// decryption and ledger. Typed so the coordinator decides on the kind (retry, fail the round, answer the
/// peer) and never parses a message; [`PortError::code`] is the API code a peer sees (the detail goes to
/// the server log, docs/API.md "Errors").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortError {
    /// The announcement bytes do not decode, or ML-DSA signing failed.
    Signing(zkfl_core::channel::AnnouncementError),
    /// The key holder is not running and could not be restarted, or its pipe broke.
    KeyHolderUnavailable(String),
    /// The key holder was stopped because the service is shutting down.
    KeyHolderStopped,
    /// The key holder refused the request (its ledger saw another aggregate for this round, or the
    /// request frame was malformed); the reason as the key holder wrote it.
    Refused(String),
    /// The key holder's reply is malformed or has the wrong length.
    MalformedReply,
    /// Threshold mode: fewer key holders than the spend quorum signed receipts, or fewer than t could answer;
    /// no member answered and nothing was decrypted (the round fails with `too_few_key_holders`).
    TooFewKeyHolders {
        /// Why, in words.
        message: String,
        /// The refusals, published with the failed round (JSON).
        report: serde_json::Value,
    },
    /// The key holder has no BFV secret key, its ledger cannot be written, or decryption failed.
    Decryption(String),
}

impl PortError {
    /// The API code a peer sees for this failure.
    #[must_use]
    pub fn code(&self) -> Code {
        match self {
            Self::KeyHolderStopped => Code::ShuttingDown,
            _ => Code::Internal,
        }
    }
}

impl core::fmt::Display for PortError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Signing(e) => write!(f, "announcement signing: {e}"),
            Self::KeyHolderUnavailable(why) | Self::Refused(why) | Self::Decryption(why) => {
                f.write_str(why)
            }
            Self::KeyHolderStopped => {
                f.write_str("the key holder has stopped (service shutting down)")
            }
            Self::MalformedReply => f.write_str("malformed key holder reply"),
            Self::TooFewKeyHolders { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for PortError {}

impl From<PortError> for ApiError {
    fn from(e: PortError) -> Self {
        match e.code() {
            Code::Internal => Self::internal(e),
            code => Self::new(code, e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_wire_string() {
        for code in [
            Code::MalformedEnvelope,
            Code::DuplicateSubmission,
            Code::QueueFull,
            Code::ShuttingDown,
        ] {
            assert_eq!(Code::parse(code.as_str()), Some(code));
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(serde_json::Value::from(code.as_str()))
            );
        }
        assert_eq!(Code::parse("no_such_code"), None);
    }

    #[test]
    fn every_sent_code_is_in_the_api_table_and_no_other() {
        let doc = include_str!("../../docs/API.md");
        let all = [
            Code::MalformedRequest,
            Code::MalformedEnvelope,
            Code::EnvelopeOpenFailed,
            Code::MalformedSubmission,
            Code::UnknownClinic,
            Code::SignatureInvalid,
            Code::AdminForbidden,
            Code::NotFound,
            Code::NoRound,
            Code::WrongRound,
            Code::RoundNotOpen,
            Code::DuplicateSubmission,
            Code::ReplayedSubmission,
            Code::RoundAlreadyOpen,
            Code::BodyTooLarge,
            Code::UnsupportedMediaType,
            Code::ParameterMismatch,
            Code::CiphertextMalformed,
            Code::ProofInvalid,
            Code::CheckUnavailable,
            Code::QueueFull,
            Code::Internal,
            Code::ShuttingDown,
            Code::StorageFull,
        ];
        for code in all {
            let row = format!("| {} | `{}` |", code.status(), code.as_str());
            assert_eq!(
                doc.contains(&row),
                code != Code::MalformedSubmission,
                "docs/API.md row for {code}"
            );
        }
        assert_eq!(Code::StorageFull.status(), 503);
        assert!(Code::StorageFull.is_retryable() && !Code::ProofInvalid.is_retryable());
    }

    #[test]
    fn statuses_match_the_api_table() {
        assert_eq!(Code::BodyTooLarge.status(), 413);
        assert_eq!(Code::QueueFull.status(), 429);
        assert_eq!(Code::ReplayedSubmission.status(), 409);
        assert_eq!(Code::ProofInvalid.status(), 422);
    }
}
