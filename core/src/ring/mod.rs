//! Polynomials over Z_q[X]/(X^N+1), the proof subring Z_q[Y]/(Y^128+1), and samplers (ARCHITECTURE.md, "arith/ring").

pub mod fixed;
pub mod gaussian;
