//! The round state machine and the signed round announcement (docs/SERVICE.md "Round state machine"; docs/API.md
//! "Round life cycle"). Transitions are methods that either return the next state or say why not, so an
//! illegal step (publishing an open round, reopening a published one) is an error, not a silent bug.

use serde::{Deserialize, Serialize};
use zkfl_core::channel::announcement;

/// Round and clinic numbers: zkfl-core's channel ids, the ones every envelope header carries, so the store, the
/// API and the channel cannot disagree on what a round or a clinic is. They serialize as bare numbers.
pub use zkfl_core::channel::{ClinicId, RoundId};

/// Where a round is in its life cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundState {
    /// Accepting submissions until the deadline or until every roster clinic has a decision.
    Open,
    /// No more submissions; the running sum is frozen.
    Closing,
    /// The key holder is decrypting the aggregate.
    Decrypting,
    /// The new model is stored and served.
    Published,
    /// No accepted submission, or decryption failed; the next round reuses the model.
    Failed,
}

/// Where a round is, with the data only that state has (a state holds exactly its data, as rustls's
/// handshake states do): a published round its next model and publication time, a failed one its reason.
/// No round record carries a next model while open, or a failure while published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoundPhase {
    /// Accepting submissions.
    Open,
    /// No more submissions; the running sum is frozen.
    Closing,
    /// The key holder is decrypting the aggregate.
    Decrypting,
    /// The new model is stored and served.
    Published {
        /// SHA3-256 of the published model `w_{r+1}`.
        next_model_sha3: [u8; 32],
        /// When it was published (Unix seconds).
        published_at: u64,
    },
    /// No accepted submission, or decryption failed.
    Failed {
        /// `no_accepted_submissions`, `decryption_failed` or `integrity_failed` (docs/API.md).
        code: String,
        /// What happened.
        message: String,
    },
}

impl RoundPhase {
    /// The bare state.
    #[must_use]
    pub fn state(&self) -> RoundState {
        match self {
            Self::Open => RoundState::Open,
            Self::Closing => RoundState::Closing,
            Self::Decrypting => RoundState::Decrypting,
            Self::Published { .. } => RoundState::Published,
            Self::Failed { .. } => RoundState::Failed,
        }
    }

    /// The published model's hash, once published.
    #[must_use]
    pub fn next_model_sha3(&self) -> Option<[u8; 32]> {
        match self {
            Self::Published {
                next_model_sha3, ..
            } => Some(*next_model_sha3),
            _ => None,
        }
    }
}

/// Why a transition was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IllegalTransition {
    /// State the round was in.
    pub from: RoundState,
    /// State that was requested.
    pub to: RoundState,
}

impl core::fmt::Display for IllegalTransition {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "illegal round transition {} -> {}",
            self.from.as_str(),
            self.to.as_str()
        )
    }
}

impl std::error::Error for IllegalTransition {}

impl RoundState {
    /// Stops accepting submissions.
    pub fn close(self) -> Result<Self, IllegalTransition> {
        self.step(Self::Open, Self::Closing)
    }

    /// Hands the frozen aggregate to the key holder.
    pub fn start_decrypting(self) -> Result<Self, IllegalTransition> {
        self.step(Self::Closing, Self::Decrypting)
    }

    /// Stores the new model.
    pub fn publish(self) -> Result<Self, IllegalTransition> {
        self.step(Self::Decrypting, Self::Published)
    }

    /// Gives up on the round (nothing accepted, or decryption failed).
    pub fn fail(self) -> Result<Self, IllegalTransition> {
        match self {
            Self::Closing | Self::Decrypting => Ok(Self::Failed),
            from => Err(IllegalTransition {
                from,
                to: Self::Failed,
            }),
        }
    }

    /// True once the round can never change again.
    #[must_use]
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Published | Self::Failed)
    }

    fn step(self, from: Self, to: Self) -> Result<Self, IllegalTransition> {
        if self == from {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }

    /// The wire and storage string.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closing => "closing",
            Self::Decrypting => "decrypting",
            Self::Published => "published",
            Self::Failed => "failed",
        }
    }

    /// Parses the storage string.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Open,
            Self::Closing,
            Self::Decrypting,
            Self::Published,
            Self::Failed,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// Length of the canonical announcement encoding without a model spec (v1; `zkfl_core::channel::announcement`).
pub const ANNOUNCEMENT_LEN: usize = announcement::FIXED_LEN;

/// What the aggregator signs when it opens a round: zkfl-core's announcement (`channel::Announcement`, the one
/// definition of the signed fields and their canonical bytes) with its model spec decoded (`model_spec`:
/// `None` is a bare parameter vector, v1 encoding; a spec is signed as its `zkfl_learn::spec` canonical
/// bytes, v2 encoding).
pub type Announcement = announcement::Announcement<zkfl_learn::ModelSpec>;

/// The canonical bytes were not a valid announcement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnouncementError {
    /// The canonical bytes do not decode (or the signature does not verify).
    Format(announcement::AnnouncementError),
    /// The model spec does not decode, or its parameter count is not the model dimension.
    Model,
}

impl core::fmt::Display for AnnouncementError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Format(e) => e.fmt(f),
            Self::Model => f.write_str(
                "announced model spec does not decode or does not match the model dimension",
            ),
        }
    }
}

impl std::error::Error for AnnouncementError {}

impl From<announcement::AnnouncementError> for AnnouncementError {
    fn from(e: announcement::AnnouncementError) -> Self {
        Self::Format(e)
    }
}

/// The canonical little-endian encoding of `a` that is signed.
#[must_use]
pub fn encode_announcement(a: &Announcement) -> Vec<u8> {
    let Ok(bytes) = a.map_spec(|m| Ok::<_, core::convert::Infallible>(m.encode()));
    // A spec's canonical bytes are a few dozen bytes (at most 255 layers), far below the u16 limit.
    bytes.to_vec().expect("a model spec fits the announcement")
}

/// Decodes the canonical encoding; every length is checked, and a spec must match the model dimension.
pub fn decode_announcement(bytes: &[u8]) -> Result<Announcement, AnnouncementError> {
    decode_spec(&announcement::Announcement::decode(bytes)?)
}

/// The decoded spec of zkfl-core's (decoded or verified) announcement.
pub fn decode_spec(
    a: &announcement::Announcement<&[u8]>,
) -> Result<Announcement, AnnouncementError> {
    a.map_spec(|s| {
        zkfl_learn::ModelSpec::decode_for_dimension(s, a.model_dim as usize)
            .map_err(|_| AnnouncementError::Model)
    })
}

/// An announcement for the crate's tests: round `round` of set S over `model_dim` parameters, without a
/// model spec, with fixed hashes and times (tests override what they check with struct update syntax).
#[cfg(test)]
pub(crate) fn sample_announcement(round: RoundId, model_dim: u32) -> Announcement {
    Announcement {
        param_set_id: 1,
        round,
        model_dim,
        model_sha3: [3; 32],
        norm_bound: 5.0,
        scale: 4096.0,
        b_int: 2_726,
        t: 27_261,
        opened_at: 1_000,
        deadline: 1_600,
        kem_key_sha3: [4; 32],
        bfv_public_key_sha3: [5; 32],
        model_spec: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Announcement {
        sample_announcement(RoundId(7), 108_996)
    }

    /// The typed ids are bare numbers in JSON and in paths, as the plain integers they replaced were.
    #[test]
    fn ids_serialize_as_bare_numbers() {
        assert_eq!(serde_json::to_string(&RoundId(7)).expect("json"), "7");
        assert_eq!(serde_json::to_string(&ClinicId(3)).expect("json"), "3");
        assert_eq!(
            serde_json::from_str::<RoundId>("12").expect("round"),
            RoundId(12)
        );
        assert_eq!(
            serde_json::from_str::<ClinicId>("4").expect("clinic"),
            ClinicId(4)
        );
        assert!(serde_json::from_str::<ClinicId>("-1").is_err());
        assert!(serde_json::from_str::<RoundId>("\"1\"").is_err());
        assert_eq!(format!("{}/{}", RoundId(9), ClinicId(2)), "9/2");
        assert_eq!("18446744073709551615".parse(), Ok(RoundId(u64::MAX)));
        assert_eq!(RoundId(u64::MAX).next(), None);
        assert_eq!(RoundId(0).prev(), None);
        assert_eq!(RoundId(4).next().and_then(RoundId::prev), Some(RoundId(4)));
    }

    #[test]
    fn announcement_round_trips_and_rejects_bad_bytes() {
        let a = sample();
        let bytes = encode_announcement(&a);
        assert_eq!(bytes.len(), ANNOUNCEMENT_LEN);
        assert_eq!(decode_announcement(&bytes), Ok(a));
        assert_eq!(
            decode_announcement(&bytes[..bytes.len() - 1]),
            Err(AnnouncementError::Format(
                announcement::AnnouncementError::Length
            ))
        );
        let mut bad = bytes.clone();
        bad[0] ^= 1;
        assert_eq!(
            decode_announcement(&bad),
            Err(AnnouncementError::Format(
                announcement::AnnouncementError::Magic
            ))
        );
    }

    #[test]
    fn a_model_spec_is_signed_into_a_v2_announcement_and_checked_against_the_dimension() {
        let mut a = sample();
        a.model_spec = Some(zkfl_learn::ModelSpec::paper());
        let bytes = encode_announcement(&a);
        assert_eq!(&bytes[..16], announcement::MAGIC_V2);
        assert_eq!(decode_announcement(&bytes), Ok(a.clone()));
        assert_eq!(
            decode_announcement(&bytes[..bytes.len() - 1]),
            Err(AnnouncementError::Format(
                announcement::AnnouncementError::Length
            ))
        );
        a.model_dim = 8;
        assert_eq!(
            decode_announcement(&encode_announcement(&a)),
            Err(AnnouncementError::Model)
        );
        let mut v1 = encode_announcement(&sample());
        v1.push(0);
        assert_eq!(
            decode_announcement(&v1),
            Err(AnnouncementError::Format(
                announcement::AnnouncementError::Length
            ))
        );
    }

    #[test]
    fn the_happy_path_walks_open_to_published() {
        let s = RoundState::Open
            .close()
            .and_then(RoundState::start_decrypting)
            .and_then(RoundState::publish);
        assert_eq!(s, Ok(RoundState::Published));
    }

    #[test]
    fn illegal_transitions_are_refused() {
        assert!(RoundState::Open.publish().is_err());
        assert!(RoundState::Open.start_decrypting().is_err());
        assert!(RoundState::Published.close().is_err());
        assert!(RoundState::Published.fail().is_err());
        assert!(RoundState::Open.fail().is_err());
        assert!(RoundState::Closing.close().is_err());
        assert_eq!(RoundState::Decrypting.fail(), Ok(RoundState::Failed));
        for s in [
            RoundState::Open,
            RoundState::Closing,
            RoundState::Decrypting,
            RoundState::Published,
            RoundState::Failed,
        ] {
            assert_eq!(RoundState::parse(s.as_str()), Some(s));
        }
    }
}
