//! Versioned, length-checked wire encodings with typed decode errors (docs/WIRE.md).

/// BFV public key and ciphertext encodings (docs/BFV.md §7).
pub mod bfv;
/// `DecodeError` / `EncodeError`, shared by every decoder.
pub mod error;
/// Canonical encoding of one polynomial.
pub mod poly;
/// The round terms a host hands a clinic device (firmware example).
pub mod terms;

pub use error::{DecodeError, EncodeError};
