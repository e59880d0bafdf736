//! Polynomials over Z_q[X]/(X^N+1) and samplers (docs/BFV.md). The proof ring Z_q[Y]/(Y^128+1) lives with
//! the proof (`zk::rq`).

/// Constant-time Q8.120 fixed point (exp, ln, 1/(2σ²)) for the Gaussian sampler and rejection tests.
pub mod fixed;
/// Constant-time discrete Gaussian sampler over Z for 0.5 ≤ σ < 2^28 (docs/PROTOCOL.md).
pub mod gaussian;
/// `Poly` (coefficient form) and `NttPoly` (RNS-NTT form), exact multiplication mod q.
pub mod poly;
/// Uniform, ternary and centred-binomial samplers from SHAKE128.
pub mod sample;

pub use poly::{NttPoly, Poly, mul};
pub use sample::Xof;
