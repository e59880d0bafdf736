//! Versioned, length-checked wire encodings with typed decode errors (docs/WIRE.md).

/// BFV public key and ciphertext encodings (docs/BFV.md §7).
pub mod bfv;
/// The key-holder committee's messages (docs/THRESHOLD.md §15).
// Its seven casts (wire widths and counts) are worked down with the committee work (issue 17) that is changing
// this module now; the cast lints are on in the rest of the library.
#[allow(clippy::cast_possible_truncation)]
pub mod committee;
/// `DecodeError` / `EncodeError`, shared by every decoder.
pub mod error;
/// Canonical encoding of one polynomial.
pub mod poly;
/// The round terms a host hands a clinic device (firmware example).
pub mod terms;

pub use error::{DecodeError, EncodeError};
