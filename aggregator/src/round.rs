//! The round state machine and the signed round announcement (docs/SERVICE.md "Round state machine"; docs/API.md
//! "Round life cycle"). Transitions are methods that either return the next state or say why not, so an
//! illegal step (publishing an open round, reopening a published one) is an error, not a silent bug.

use serde::{Deserialize, Serialize};

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

/// Domain separator that starts the canonical announcement bytes of a round without a model spec.
pub const ANNOUNCEMENT_MAGIC: &[u8; 16] = b"ZKFL-PQ round v1";
/// Domain separator of a round that announces its model spec (the v1 fields, then the spec).
pub const ANNOUNCEMENT_MAGIC_V2: &[u8; 16] = b"ZKFL-PQ round v2";
/// Length of the canonical announcement encoding without a model spec (v1).
pub const ANNOUNCEMENT_LEN: usize = 16 + 1 + 8 + 4 + 32 + 8 + 8 + 8 + 8 + 8 + 8 + 32 + 32;

/// What the aggregator signs when it opens a round (docs/API.md, "canonical encoding").
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
    /// The model the round trains (`zkfl_learn::spec` canonical bytes follow the v1 fields, after a u16 LE
    /// length, under the v2 separator); `None`: a bare parameter vector (v1 encoding).
    pub model: Option<zkfl_learn::ModelSpec>,
}

/// The canonical bytes were not a valid announcement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnouncementError {
    /// Wrong length.
    Length,
    /// Wrong domain separator.
    Magic,
    /// The model spec does not decode, or its parameter count is not the model dimension.
    Model,
}

impl core::fmt::Display for AnnouncementError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Length => "announcement has the wrong length",
            Self::Magic => "announcement does not start with the round-v1/v2 domain separator",
            Self::Model => {
                "announced model spec does not decode or does not match the model dimension"
            }
        })
    }
}

impl std::error::Error for AnnouncementError {}

impl Announcement {
    /// The canonical little-endian encoding that is signed.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(ANNOUNCEMENT_LEN + 64);
        out.extend_from_slice(if self.model.is_some() {
            ANNOUNCEMENT_MAGIC_V2
        } else {
            ANNOUNCEMENT_MAGIC
        });
        out.push(self.param_set_id);
        out.extend_from_slice(&self.round.to_le_bytes());
        out.extend_from_slice(&self.model_dim.to_le_bytes());
        out.extend_from_slice(&self.model_sha3);
        out.extend_from_slice(&self.norm_bound.to_bits().to_le_bytes());
        out.extend_from_slice(&self.scale.to_bits().to_le_bytes());
        out.extend_from_slice(&self.b_int.to_le_bytes());
        out.extend_from_slice(&self.t.to_le_bytes());
        out.extend_from_slice(&self.opened_at.to_le_bytes());
        out.extend_from_slice(&self.deadline.to_le_bytes());
        out.extend_from_slice(&self.kem_key_sha3);
        out.extend_from_slice(&self.bfv_public_key_sha3);
        if let Some(m) = &self.model {
            let spec = m.encode();
            out.extend_from_slice(&u16::try_from(spec.len()).unwrap_or(u16::MAX).to_le_bytes());
            out.extend_from_slice(&spec);
        }
        out
    }

    /// Decodes the canonical encoding; every length is checked.
    pub fn decode(bytes: &[u8]) -> Result<Self, AnnouncementError> {
        let mut r = Reader(bytes);
        let v2 = match &r.take::<16>()? {
            m if m == ANNOUNCEMENT_MAGIC => false,
            m if m == ANNOUNCEMENT_MAGIC_V2 => true,
            _ => return Err(AnnouncementError::Magic),
        };
        if bytes.len() < ANNOUNCEMENT_LEN || (!v2 && bytes.len() != ANNOUNCEMENT_LEN) {
            return Err(AnnouncementError::Length);
        }
        let mut a = Self {
            param_set_id: r.take::<1>()?[0],
            round: u64::from_le_bytes(r.take()?),
            model_dim: u32::from_le_bytes(r.take()?),
            model_sha3: r.take()?,
            norm_bound: f64::from_bits(u64::from_le_bytes(r.take()?)),
            scale: f64::from_bits(u64::from_le_bytes(r.take()?)),
            b_int: u64::from_le_bytes(r.take()?),
            t: u64::from_le_bytes(r.take()?),
            opened_at: u64::from_le_bytes(r.take()?),
            deadline: u64::from_le_bytes(r.take()?),
            kem_key_sha3: r.take()?,
            bfv_public_key_sha3: r.take()?,
            model: None,
        };
        if v2 {
            let len = usize::from(u16::from_le_bytes(r.take()?));
            if r.0.len() != len {
                return Err(AnnouncementError::Length);
            }
            let spec = zkfl_learn::ModelSpec::decode(r.0).map_err(|_| AnnouncementError::Model)?;
            if spec.param_count() != a.model_dim as usize {
                return Err(AnnouncementError::Model);
            }
            a.model = Some(spec);
        }
        Ok(a)
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const K: usize>(&mut self) -> Result<[u8; K], AnnouncementError> {
        let (head, rest) = self
            .0
            .split_first_chunk::<K>()
            .ok_or(AnnouncementError::Length)?;
        self.0 = rest;
        Ok(*head)
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
            Err(AnnouncementError::Length)
        );
        let mut bad = bytes.clone();
        bad[0] ^= 1;
        assert_eq!(Announcement::decode(&bad), Err(AnnouncementError::Magic));
    }

    #[test]
    fn a_model_spec_is_signed_into_a_v2_announcement_and_checked_against_the_dimension() {
        let mut a = sample();
        a.model = Some(zkfl_learn::ModelSpec::paper());
        let bytes = a.encode();
        assert_eq!(&bytes[..16], ANNOUNCEMENT_MAGIC_V2);
        assert_eq!(Announcement::decode(&bytes), Ok(a.clone()));
        assert_eq!(
            Announcement::decode(&bytes[..bytes.len() - 1]),
            Err(AnnouncementError::Length)
        );
        a.model_dim = 8;
        assert_eq!(
            Announcement::decode(&a.encode()),
            Err(AnnouncementError::Model)
        );
        let mut v1 = sample().encode();
        v1.push(0);
        assert_eq!(Announcement::decode(&v1), Err(AnnouncementError::Length));
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
