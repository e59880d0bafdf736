//! Threshold decryption by a committee of n key holders, t of whom suffice (docs/THRESHOLD.md): the numbers
//! (`plan`), the replicated t-of-n sharing (`slots`), dealer-free key generation with commit-then-reveal
//! (`keys`), the aggregate a member decrypts (`aggregate`), the committee-wide spend receipts without which no
//! member answers it (`spend`), the committee key certificate clinics check (`certificate`), decryption shares
//! with smudging noise (`share`), the parameters of the share-correctness proof (`share_proof_params`, §6), the
//! share relation it proves (`share_relation`), its prover and verifier (`share_proof`), the shares'
//! combination (`combine`) and the committee's messages on the wire (`wire`).

// Every module is under the crate's lints: conversions go through `arith::cast` (branch-free where secrets
// pass), and the few `/` and `%` left divide public values, each allowed on its item with the reason.
pub mod aggregate;
pub mod certificate;
pub mod combine;
pub mod error;
pub mod keys;
pub mod plan;
pub mod share;
pub mod share_proof;
pub mod share_proof_params;
pub mod share_relation;
pub mod slots;
pub mod spend;
/// Wire formats of the committee's messages (docs/THRESHOLD.md §15), formerly `wire::committee`.
pub mod wire;

pub use aggregate::{Admitted, Aggregate, LedgerRefusal, RoundKey, SpentLedger};
pub use combine::{Combiner, MemberShares};
pub use error::ThresholdError;
pub use keys::{Dealer, Epoch, Holdings, KeyCeremony, roster_digest};
pub use plan::CheckedPlan;
pub use share::{ShareMaker, Smudger};
pub use slots::Committee;
pub use spend::{
    ReceiptLedger, Spend, SpendReceipt, check_receipts, decryptions_taken, sign_receipt,
    sign_receipt_kept, spend_quorum,
};

#[cfg(test)]
#[allow(clippy::pedantic, clippy::integer_division_remainder_used)]
mod tests;
