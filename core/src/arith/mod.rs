//! Modular arithmetic: the proof/BFV prime q ≡ 5 (mod 8) and the residue-number-system NTT over auxiliary
//! ~30-bit NTT-friendly primes used to multiply exactly in Z_q[X]/(X^N+1) (docs/BFV.md).

/// The conversions `From`/`TryFrom` cannot say (low bits, checked narrowing in `const`, estimates in `f64`).
pub mod cast;
/// Constant-time idioms written once: masks, select, conditional subtraction, remainder (no division).
pub mod ct;
/// Exact integer square roots of public values (⌊√x⌋, ⌈√x⌉).
pub mod isqrt;
/// Z_q for the two pseudo-Mersenne primes q = 2^44 − 539 and 2^86 − 35 (constant time).
pub mod modulus;
/// Negacyclic NTT over one auxiliary prime (Harvey's lazy butterflies, Shoup twiddles).
pub mod ntt;
/// The ten auxiliary NTT primes p < 2^30, p ≡ 1 (mod 8192), with compile-time tables.
pub mod primes;
/// CRT from auxiliary residues to the exact centred integer mod q (Garner), and centred lifting.
pub mod rns;

pub use modulus::{Modulus, Q44, Q86};
