//! Polynomials over Z_q[X]/(X^N+1), the proof subring Z_q[Y]/(Y^128+1), and samplers (ARCHITECTURE.md,
//! "arith/ring").

/// `Poly` (coefficient form) and `NttPoly` (RNS-NTT form), exact multiplication mod q.
pub mod poly;
/// Uniform, ternary and centred-binomial samplers from SHAKE128.
pub mod sample;
/// The proof ring R_d = Z_q[Y]/(Y^128+1), the permutation ψ and the automorphism σ (ZK-BRIEF §1).
pub mod subring;

pub use poly::{NttPoly, Poly, mul};
pub use sample::Xof;
