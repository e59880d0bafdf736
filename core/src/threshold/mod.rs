//! Threshold decryption by a committee of n key holders, t of whom suffice (docs/THRESHOLD.md): the numbers
//! (`plan`), collective key generation and recovery of absent members (`keys`, `backup`), decryption shares with
//! smudging noise (`share`) and their combination (`combine`).

pub mod backup;
pub mod combine;
pub mod error;
pub mod keys;
pub mod plan;
pub mod share;

pub use combine::{Combiner, Contribution};
pub use error::ThresholdError;
pub use share::{DecryptionLedger, ShareMaker, Smudger};

#[cfg(test)]
mod tests;
