//! Lattice zero-knowledge proof that a BFV ciphertext is well formed and its plaintext has l2 norm at most B (docs/PROTOCOL.md).

/// Challenge polynomials (σ-invariant, η = 59) and uniform Z_q batching scalars (ZK-BRIEF §4).
pub mod challenge;
/// Canonical encodings: Golomb–Rice for Gaussian responses, bit-packed residues mod q (ZK-BRIEF §3 step 6).
pub mod codec;
/// Johnson–Lindenstrauss challenge matrix, generated and applied one column block at a time (ZK-BRIEF §3).
pub mod jl;
/// Constant-time fixed-point rejection decisions, standard and bimodal (ZK-BRIEF §3.2).
pub mod reject;
/// Fiat–Shamir transcript over SHAKE256 with framed, labelled messages (ZK.md).
pub mod transcript;
