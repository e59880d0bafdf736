//! Modular arithmetic: the proof/BFV prime q ≡ 5 (mod 8) and the residue-number-system NTT over auxiliary
//! ~30-bit NTT-friendly primes used to multiply exactly in Z_q[X]/(X^N+1) (ARCHITECTURE.md, "Cryptographic
//! building blocks").

pub mod modulus;

pub use modulus::Modulus;
