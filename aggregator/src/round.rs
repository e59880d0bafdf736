//! The round state machine and the signed round announcement (docs/SERVICE.md "Round state machine"; docs/API.md
//! "Round life cycle"). Transitions are methods that either return the next state or say why not, so an
//! illegal step (publishing an open round, reopening a published one) is an error, not a silent bug.

use serde::{Deserialize, Serialize};
use zkfl_core::channel::announcement;

/// Round number, starting at 1.
pub type RoundId = u64;

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

/// What the aggregator signs when it opens a round: zkfl-core's announcement (`channel::announcement`, the
/// canonical bytes every clinic checks) with its model spec decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct Announcement {
    /// Parameter-set id (`ParamSet::ID`).
    pub param_set_id: u8,
    /// Round number.
    pub round: RoundId,
    /// Number of model parameters.
    pub model_dim: u32,
    /// SHA3-256 of the global model bytes (little-endian f32).
    pub model_sha3: [u8; 32],
    /// Clip bound B on the float update's l2 norm.
    pub norm_bound: f64,
    /// Quantization scale S.
    pub scale: f64,
    /// The proven integer bound B_int on ||m||_2.
    pub b_int: u64,
    /// BFV plaintext modulus t = 2·K·B_int + 1 for this round (params::limits::plaintext_modulus).
    pub t: u64,
    /// When the round opened (Unix seconds).
    pub opened_at: u64,
    /// Deadline (Unix seconds).
    pub deadline: u64,
    /// SHA3-256 of the aggregator's ML-KEM encapsulation key.
    pub kem_key_sha3: [u8; 32],
    /// SHA3-256 of the BFV public key encoding.
    pub bfv_public_key_sha3: [u8; 32],
    /// The model the round trains (signed as its `zkfl_learn::spec` canonical bytes, v2 encoding); `None`: a
    /// bare parameter vector (v1 encoding).
    pub model: Option<zkfl_learn::ModelSpec>,
}

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

impl Announcement {
    /// The canonical little-endian encoding that is signed.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let spec = self.model.as_ref().map(zkfl_learn::ModelSpec::encode);
        let core = announcement::Announcement {
            param_set_id: self.param_set_id,
            round: self.round,
            model_dim: self.model_dim,
            model_sha3: self.model_sha3,
            norm_bound: self.norm_bound,
            scale: self.scale,
            b_int: self.b_int,
            t: self.t,
            opened_at: self.opened_at,
            deadline: self.deadline,
            kem_key_sha3: self.kem_key_sha3,
            bfv_public_key_sha3: self.bfv_public_key_sha3,
            model_spec: spec.as_deref(),
        };
        // A spec's canonical bytes are a few dozen bytes (at most 255 layers), far below the u16 limit.
        core.to_vec().expect("a model spec fits the announcement")
    }

    /// Decodes the canonical encoding; every length is checked, and a spec must match the model dimension.
    pub fn decode(bytes: &[u8]) -> Result<Self, AnnouncementError> {
        Self::from_core(&announcement::Announcement::decode(bytes)?)
    }

    /// The decoded spec of zkfl-core's (decoded or verified) announcement.
    pub fn from_core(a: &announcement::Announcement<'_>) -> Result<Self, AnnouncementError> {
        let model = a
            .model_spec
            .map(|s| zkfl_learn::ModelSpec::decode_for_dimension(s, a.model_dim as usize))
            .transpose()
            .map_err(|_| AnnouncementError::Model)?;
        Ok(Self {
            param_set_id: a.param_set_id,
            round: a.round,
            model_dim: a.model_dim,
            model_sha3: a.model_sha3,
            norm_bound: a.norm_bound,
            scale: a.scale,
            b_int: a.b_int,
            t: a.t,
            opened_at: a.opened_at,
            deadline: a.deadline,
            kem_key_sha3: a.kem_key_sha3,
            bfv_public_key_sha3: a.bfv_public_key_sha3,
            model,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Announcement {
        Announcement {
            param_set_id: 1,
            round: 7,
            model_dim: 108_996,
            model_sha3: [3; 32],
            norm_bound: 5.0,
            scale: 4096.0,
            b_int: 2_726,
            t: 27_261,
            opened_at: 1_000,
            deadline: 1_600,
            kem_key_sha3: [4; 32],
            bfv_public_key_sha3: [5; 32],
            model: None,
        }
    }

    #[test]
    fn announcement_round_trips_and_rejects_bad_bytes() {
        let a = sample();
        let bytes = a.encode();
        assert_eq!(bytes.len(), ANNOUNCEMENT_LEN);
        assert_eq!(Announcement::decode(&bytes), Ok(a));
        assert_eq!(
            Announcement::decode(&bytes[..bytes.len() - 1]),
            Err(AnnouncementError::Format(
                announcement::AnnouncementError::Length
            ))
        );
        let mut bad = bytes.clone();
        bad[0] ^= 1;
        assert_eq!(
            Announcement::decode(&bad),
            Err(AnnouncementError::Format(
                announcement::AnnouncementError::Magic
            ))
        );
    }

    #[test]
    fn a_model_spec_is_signed_into_a_v2_announcement_and_checked_against_the_dimension() {
        let mut a = sample();
        a.model = Some(zkfl_learn::ModelSpec::paper());
        let bytes = a.encode();
        assert_eq!(&bytes[..16], announcement::MAGIC_V2);
        assert_eq!(Announcement::decode(&bytes), Ok(a.clone()));
        assert_eq!(
            Announcement::decode(&bytes[..bytes.len() - 1]),
            Err(AnnouncementError::Format(
                announcement::AnnouncementError::Length
            ))
        );
        a.model_dim = 8;
        assert_eq!(
            Announcement::decode(&a.encode()),
            Err(AnnouncementError::Model)
        );
        let mut v1 = sample().encode();
        v1.push(0);
        assert_eq!(
            Announcement::decode(&v1),
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
