//! Versioned, length-checked wire encodings with typed decode errors (docs/WIRE.md).

/// BFV public key and ciphertext encodings (docs/BFV.md §7).
pub mod bfv;
/// The key-holder committee's messages (docs/THRESHOLD.md §15), defined in `threshold::wire` next to the
/// types they encode (this module sits below `threshold`). The path is kept for the aggregator's committee
/// service until it imports `threshold::wire` (issue 17 is editing those files); `core/tests/layering.rs`
/// lists this re-export as the one allowed edge from `wire` up to `threshold`.
pub use crate::threshold::wire as committee;
/// `DecodeError` / `EncodeError`, shared by every decoder.
pub mod error;
/// Canonical encoding of one polynomial.
pub mod poly;
/// The round terms a host hands a clinic device (firmware example).
pub mod terms;

pub use error::{DecodeError, EncodeError};
