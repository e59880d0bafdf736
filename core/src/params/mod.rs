//! Parameter sets as types (STYLE.md: "parameter sets are types"). Generic code is written over
//! `<P: ParamSet, const N: usize>` and asserts `N == P::N` in a `const` block, because stable Rust cannot yet
//! size an array by an associated constant.

use crate::arith::Modulus;

/// Proof-ring degree d: the proof works over Z_q[Y]/(Y^128 + 1) with Y = X^(N/128) (ZK-BRIEF §1).
pub const PROOF_RING_DEGREE: usize = 128;

/// One consistent choice of ring degree, modulus and limits. Every limit (clinic count, bounds, plaintext
/// modulus) is derived from the noise analysis in `docs/NOISE.md`; the security estimate of every lattice
/// instance is computed by `params::estimate` (a test fails below 128-bit classical core-SVP).
pub trait ParamSet: Copy + Default + core::fmt::Debug + Send + Sync + 'static {
    /// The prime q ≡ 5 (mod 8) used by BFV and by the proof.
    type M: Modulus;
    /// Ring degree of the BFV ring Z_q[X]/(X^N+1).
    const N: usize;
    /// Parameter-set id on the wire and in every transcript.
    const ID: u8;
    /// Human-readable name ("S" or "L").
    const NAME: &'static str;
}
