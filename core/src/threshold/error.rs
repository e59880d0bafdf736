//! Errors of threshold key generation, backup sharing and decryption (every malformed input is typed).

use super::plan::PlanError;

/// What went wrong in a threshold operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdError {
    /// The committee shape or design is refused (`plan::design`).
    Plan(PlanError),
    /// A member index is outside 1..=n, or the contributions do not list exactly n members.
    MemberIndex {
        /// The offending index or count.
        index: usize,
        /// n.
        members: u32,
    },
    /// Fewer than t members sent a decryption share: the round cannot be decrypted, and nothing is revealed.
    TooFewShares {
        /// Shares present.
        have: u32,
        /// t.
        need: u32,
    },
    /// A member has neither a share nor a recovered key.
    MissingMember {
        /// Its index (1-based).
        member: u8,
    },
    /// Fewer than t backup shares of an absent member are available.
    NotEnoughBackups {
        /// The absent member (1-based).
        member: u8,
        /// Distinct backup shares supplied.
        have: u32,
        /// t.
        need: u32,
    },
    /// No t of the backup shares reconstruct a key that regenerates the member's published key share.
    BackupMismatch {
        /// The absent member (1-based).
        member: u8,
    },
    /// A member refuses to release another backup share: n − t members were already recovered this key epoch.
    ReleaseBudget {
        /// Members already released.
        released: u32,
        /// n − t.
        limit: u32,
    },
    /// The member's key has taken part in `plan::DECRYPTIONS_PER_KEY` decryptions: rotate it.
    KeyExhausted {
        /// The limit.
        limit: u64,
    },
    /// A decryption share was computed for another ciphertext (its c1 differs from the round's).
    WrongCiphertext,
    /// Chunk counts of key shares, ciphertext or buffers differ.
    ChunkCount {
        /// Expected.
        expected: usize,
        /// Got.
        got: usize,
    },
}

impl From<PlanError> for ThresholdError {
    fn from(e: PlanError) -> Self {
        Self::Plan(e)
    }
}

impl core::fmt::Display for ThresholdError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Plan(e) => write!(f, "committee design refused: {e:?}"),
            Self::MemberIndex { index, members } => {
                write!(
                    f,
                    "member index or count {index} does not fit a committee of {members}"
                )
            }
            Self::TooFewShares { have, need } => {
                write!(f, "{have} decryption shares, at least {need} needed")
            }
            Self::MissingMember { member } => {
                write!(f, "member {member} has neither a share nor a recovered key")
            }
            Self::NotEnoughBackups { member, have, need } => write!(
                f,
                "member {member} is absent and only {have} of the {need} backup shares needed are available"
            ),
            Self::BackupMismatch { member } => write!(
                f,
                "no threshold-sized set of backup shares of member {member} reconstructs its published key share"
            ),
            Self::ReleaseBudget { released, limit } => write!(
                f,
                "backup release refused: {released} members already recovered this key epoch (limit {limit})"
            ),
            Self::KeyExhausted { limit } => write!(
                f,
                "this key has taken part in {limit} decryptions, the limit of the smudging argument; rotate it"
            ),
            Self::WrongCiphertext => {
                f.write_str("the decryption share was computed for another ciphertext")
            }
            Self::ChunkCount { expected, got } => {
                write!(f, "chunk count mismatch: expected {expected}, got {got}")
            }
        }
    }
}

impl core::error::Error for ThresholdError {}
