//! Lattice zero-knowledge proof that a BFV ciphertext is well formed and its plaintext has l2 norm at most B (docs/PROTOCOL.md).

pub mod challenge;
pub mod reject;
pub mod transcript;

#[cfg(test)]
pub(crate) mod testq;
