//! Errors of BFV operations on caller-supplied values (never panics on them).

/// What was wrong with a BFV call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BfvError {
    /// The plaintext modulus t must satisfy 2 ≤ t < q.
    InvalidPlainModulus {
        /// The rejected t.
        t: u64,
    },
    /// A message coefficient lies outside the centred range [−⌊(t−1)/2⌋, ⌊t/2⌋] of Z_t.
    MessageOutOfRange,
    /// Two ciphertexts (or a ciphertext and its buffers) have different chunk counts.
    ChunkCountMismatch {
        /// Chunks expected.
        expected: usize,
        /// Chunks supplied.
        got: usize,
    },
    /// More chunks were requested than the public key or the encryptor provides.
    TooManyChunks {
        /// The chunk limit.
        limit: usize,
    },
}

impl core::fmt::Display for BfvError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::InvalidPlainModulus { t } => {
                write!(f, "plaintext modulus t = {t} is not in [2, q)")
            }
            Self::MessageOutOfRange => {
                f.write_str("a message coefficient is outside the centred range of Z_t")
            }
            Self::ChunkCountMismatch { expected, got } => {
                write!(f, "chunk count mismatch: expected {expected}, got {got}")
            }
            Self::TooManyChunks { limit } => write!(f, "more than {limit} chunks"),
        }
    }
}
