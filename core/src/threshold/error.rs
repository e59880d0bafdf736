//! Errors of threshold key generation, aggregation, decryption shares and their combination (every malformed input is typed).

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
    /// A second commitment, reveal, dealt part or share set from the same member.
    Duplicate {
        /// The member (1-based).
        member: u8,
    },
    /// Key generation out of order: a reveal before every commitment is in, or a commitment after reveals began.
    CeremonyOrder,
    /// Revealed slot shares that do not open the member's commitment.
    CommitmentMismatch {
        /// The member (1-based).
        member: u8,
    },
    /// A dealt part seed that does not regenerate the dealer's revealed slot share.
    DealtPartMismatch {
        /// The dealer (1-based).
        dealer: u8,
        /// The slot index.
        slot: usize,
    },
    /// The member does not hold this slot (it is one of the slot's members).
    NotAHolder {
        /// The member (1-based).
        member: u8,
    },
    /// Dealing is not complete: some held slot lacks a dealer's part.
    IncompleteHoldings,
    /// The member was asked for a share of a decryption whose present set does not include it.
    NotInPresentSet {
        /// The member (1-based).
        member: u8,
    },
    /// The members that sent shares are not exactly the announced present set.
    ShareSetMismatch {
        /// The present set (bit i − 1 for member i).
        expected: u32,
        /// The senders.
        got: u32,
    },
    /// Fewer ciphertexts than `plan::MIN_CLINICS` in an aggregate.
    TooFewCiphertexts {
        /// Ciphertexts.
        have: u32,
        /// The minimum.
        need: u32,
    },
    /// More ciphertexts than the plan's K in an aggregate (the smudging argument and exact decryption are
    /// computed for at most K).
    TooManyCiphertexts {
        /// Ciphertexts.
        have: u64,
        /// K.
        max: u32,
    },
    /// The smudger's checked plan is not for this member's committee or chunk count (review 10, R10-3).
    WrongPlan,
    /// The roster a spend is checked against is not the one the member's holdings were set up with, or it repeats a
    /// key (review 10, R10-1 and R10-6).
    WrongRoster,
    /// The member's own ledger holds no receipt it signed for this aggregate (review 10, R10-1): it answers only
    /// what it spent itself, whatever receipts it is shown.
    NotSpentByMember {
        /// The member.
        member: u8,
    },
    /// A smudging digit failed its norm bound `share::MAX_RESAMPLES` times in a row (probability < 2^−300 per
    /// try with the designed bounds): the sampler or its bounds are broken.
    SmudgingResample,
    /// The share proof's prover refused an answer's chunk (never for an honest share: its witness meets every
    /// bound the sampler enforced).
    ShareProof,
    /// A dealer, holding or key used under another epoch or committee than its own.
    WrongEpoch,
    /// Two ciphertexts of an aggregate have equal c1, or two come from the same clinic.
    RepeatedCiphertext {
        /// The clinic of the repeat.
        clinic: u64,
    },
    /// A ciphertext with c1 = 0.
    ZeroCiphertext {
        /// Its clinic.
        clinic: u64,
    },
    /// The member already helped decrypt an aggregate containing this ciphertext in this key epoch.
    AlreadyDecrypted {
        /// Its clinic.
        clinic: u64,
    },
    /// A share set labelled with another aggregate.
    WrongAggregate {
        /// The sender.
        member: u8,
    },
    /// The spent-ciphertext ledger cannot record more.
    LedgerFull,
    /// A ciphertext's statement is not under the committee key.
    WrongKey,
    /// The member already signed a spend receipt for another aggregate of this round.
    RoundSpent {
        /// The round.
        round: u64,
    },
    /// A spend receipt that cannot be signed or does not verify.
    Signature {
        /// The signer.
        member: u8,
    },
    /// Fewer spend receipts than the quorum ⌈(n + t)/2⌉.
    TooFewReceipts {
        /// Distinct valid receipts.
        have: u32,
        /// The quorum.
        need: u32,
    },
    /// A ciphertext's statement has another plaintext modulus t or bound than the round's.
    WrongStatement,
    /// A ciphertext's proof context is another round.
    WrongRound,
    /// A ciphertext's norm proof does not verify.
    Proof(crate::zk::proof::ProofError),
    /// A ceremony's accumulators (committee key, slot keys) were not all zero at the first reveal, or not what
    /// the previous reveal left in them (review 12, R12-3).
    AccumulatorMismatch,
    /// The slot share a dealt part is checked against is not the dealer's revealed one in the member's
    /// ceremony (review 12, R12-4).
    UnrevealedShare {
        /// The dealer (1-based).
        dealer: u8,
        /// The slot index.
        slot: usize,
    },
    /// An aggregate holds a ciphertext admitted without its norm proof (`Admitted::unverified`, test and
    /// bench builds only), and these holdings did not opt in (review 12, R12-7).
    Unverified,
    /// Another answer of this member took the decryption number this one counted (two answers at once; review
    /// 12, R12-5). Nothing was recorded; retry.
    ConcurrentAnswer,
    /// The member's key has taken part in `plan::DECRYPTIONS_PER_KEY` decryptions: rotate it.
    KeyExhausted {
        /// The limit.
        limit: u64,
    },
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
            Self::Duplicate { member } => write!(f, "member {member} sent the same thing twice"),
            Self::CeremonyOrder => f.write_str(
                "key generation out of order: reveals wait for every commitment, commitments end at the first reveal",
            ),
            Self::CommitmentMismatch { member } => {
                write!(f, "member {member}'s revealed key shares do not open its commitment")
            }
            Self::DealtPartMismatch { dealer, slot } => write!(
                f,
                "dealer {dealer}'s part of slot {slot} does not regenerate its revealed slot share"
            ),
            Self::NotAHolder { member } => write!(f, "member {member} does not hold this slot"),
            Self::IncompleteHoldings => f.write_str("key dealing is not complete"),
            Self::NotInPresentSet { member } => {
                write!(f, "member {member} is not in the announced present set")
            }
            Self::ShareSetMismatch { expected, got } => write!(
                f,
                "shares came from members {got:#b}, the present set is {expected:#b}"
            ),
            Self::TooFewCiphertexts { have, need } => {
                write!(f, "{have} ciphertexts in the aggregate, at least {need} needed")
            }
            Self::RepeatedCiphertext { clinic } => {
                write!(f, "clinic {clinic}'s c1 or id repeats in the aggregate")
            }
            Self::TooManyCiphertexts { have, max } => {
                write!(f, "{have} ciphertexts in the aggregate, at most {max} allowed")
            }
            Self::WrongPlan => f.write_str("the smudging plan is for another committee or chunk count"),
            Self::WrongRoster => f.write_str("the spend roster is not this member's committee roster, or repeats a key"),
            Self::NotSpentByMember { member } => {
                write!(f, "member {member} has not signed a spend receipt for this aggregate")
            }
            Self::SmudgingResample => f.write_str("the smudging sampler kept failing its norm bound"),
            Self::ShareProof => f.write_str("the share proof's prover refused the answer"),
            Self::WrongEpoch => f.write_str("used under another epoch or committee than its own"),
            Self::ZeroCiphertext { clinic } => write!(f, "clinic {clinic}'s ciphertext has c1 = 0"),
            Self::AlreadyDecrypted { clinic } => write!(
                f,
                "clinic {clinic}'s ciphertext was already decrypted in this key epoch"
            ),
            Self::WrongAggregate { member } => {
                write!(f, "member {member}'s shares are for another aggregate")
            }
            Self::LedgerFull => f.write_str("the spent-ciphertext ledger is full"),
            Self::WrongKey => f.write_str("a ciphertext is not under the committee key"),
            Self::RoundSpent { round } => {
                write!(f, "a spend receipt was already signed for another aggregate of round {round}")
            }
            Self::Signature { member } => write!(f, "member {member}'s spend receipt does not verify"),
            Self::TooFewReceipts { have, need } => write!(
                f,
                "{have} spend receipts, a quorum of {need} is needed"
            ),
            Self::WrongStatement => {
                f.write_str("a ciphertext is proven under another plaintext modulus or bound than the round's")
            }
            Self::WrongRound => f.write_str("a ciphertext's proof is for another round"),
            Self::Proof(e) => write!(f, "a ciphertext's norm proof fails: {e:?}"),
            Self::AccumulatorMismatch => f.write_str(
                "the key ceremony's sums were not zero at the first reveal or were changed between reveals",
            ),
            Self::UnrevealedShare { dealer, slot } => write!(
                f,
                "the share of slot {slot} a part is checked against is not dealer {dealer}'s revealed one"
            ),
            Self::Unverified => f.write_str(
                "an aggregate holds a ciphertext admitted without its norm proof; refused",
            ),
            Self::ConcurrentAnswer => f.write_str(
                "another answer of this member took the same decryption number at the same time; nothing was recorded, retry",
            ),
            Self::KeyExhausted { limit } => write!(
                f,
                "this key has taken part in {limit} decryptions, the limit of the smudging argument; rotate it"
            ),
            Self::ChunkCount { expected, got } => {
                write!(f, "chunk count mismatch: expected {expected}, got {got}")
            }
        }
    }
}

impl core::error::Error for ThresholdError {}
