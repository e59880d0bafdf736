//! Parameter sets as types (STYLE.md: "parameter sets are types"). Generic code is written over
//! `<P: ParamSet, const N: usize>` and asserts `N == P::N` in a `const` block, because stable Rust cannot yet
//! size an array by an associated constant.
//!
//! Two sets (docs/BFV.md; docs/SECURITY.md, docs/NOISE.md):
//! - [`SetS`] ("clinic"): N = 2048, q = 2^44 − 539;
//! - [`SetL`] ("consortium"): N = 4096, q = 2^86 − 35;
//! - [`SetXL`] ("large model"): set L's ring and modulus with proof constants for up to 512 chunks (2^21
//!   parameters) under one global ℓ2 bound (docs/PROTOCOL.md §9.1).

pub mod bounds;
pub mod estimate;
#[cfg(test)]
mod security;

use crate::arith::{Modulus, Q44, Q86};

/// Proof-ring degree d: the proof works over Z_q[Y]/(Y^128 + 1) with Y = X^(N/128) (docs/PROTOCOL.md).
pub const PROOF_RING_DEGREE: usize = 128;

/// Centred-binomial parameter η of every BFV error polynomial (public-key error e'_j, encryption errors e1_j,
/// e2): CBD(η) = Σ_{i<η} (a_i − b_i) with fair bits a_i, b_i, so values lie in [−η, η] and the variance is η/2.
pub const ERROR_ETA: u32 = 21;

/// Standard deviation of CBD([`ERROR_ETA`]): σ_e = √(η/2) = √10.5 ≈ 3.24.
pub const ERROR_SIGMA: f64 = 3.240_370_349_203_93;

/// Standard deviation of a uniform ternary coefficient ({−1, 0, 1}, each with probability 1/3): √(2/3).
/// BFV secrets s_j and the encryption randomness u are uniform ternary.
pub const TERNARY_SIGMA: f64 = 0.816_496_580_927_726;

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
    /// Human-readable name ("S", "L" or "XL").
    const NAME: &'static str;
    /// η of the centred binomial distribution of every BFV error polynomial (see [`ERROR_ETA`]).
    const ERROR_ETA: u32 = ERROR_ETA;
    /// Standard deviation of that error distribution, √(η/2) (see [`ERROR_SIGMA`]).
    const ERROR_SIGMA: f64 = ERROR_SIGMA;
    /// Proof-ring degree d (see [`PROOF_RING_DEGREE`]); N/d proof-ring elements make one BFV polynomial.
    const PROOF_D: usize = PROOF_RING_DEGREE;
    /// Largest number L of plaintext chunks (BFV polynomials) of one update: the public key has L_max
    /// polynomials b_j and the proof's widths are sized for it (docs/PROTOCOL.md §3). Stated here, once; the
    /// set's proof constants (`zk::params::ZK_S` / `ZK_L` / `ZK_XL`) take `l_max` from it, so the parameter
    /// layer does not name the proof layer.
    const MAX_CHUNKS: usize;
    /// Largest integer norm bound B_int the proof supports (docs/PROTOCOL.md §3); `policy::check_config`
    /// refuses larger bounds. Stated here, once; the proof constants take `b_max` from it.
    const B_INT_MAX: u64;
}

/// Set S ("clinic"): N = 2048, q = 2^44 − 539. The default for the demo, the browser and microcontrollers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SetS;

/// Set L ("consortium"): N = 4096, q = 2^86 − 35. Up to about a thousand clinics and room for
/// threshold-decryption smudging noise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SetL;

/// Set XL ("large model"): N = 4096, q = 2^86 − 35 (set L's BFV ring, so the same RLWE instances and noise
/// analysis with more chunks), proof constants for up to 512 chunks = 2,097,152 parameters (`zk::params::ZK_XL`).
/// Its own id, so its proofs, keys and ciphertexts are never confused with set L's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SetXL;

impl ParamSet for SetS {
    type M = Q44;
    const N: usize = 2048;
    const ID: u8 = 1;
    const NAME: &'static str = "S";
    const MAX_CHUNKS: usize = 64;
    const B_INT_MAX: u64 = 1 << 12;
}

impl ParamSet for SetL {
    type M = Q86;
    const N: usize = 4096;
    const ID: u8 = 2;
    const NAME: &'static str = "L";
    const MAX_CHUNKS: usize = 32;
    const B_INT_MAX: u64 = 1 << 16;
}

impl ParamSet for SetXL {
    type M = Q86;
    const N: usize = 4096;
    const ID: u8 = 3;
    const NAME: &'static str = "XL";
    const MAX_CHUNKS: usize = 512;
    const B_INT_MAX: u64 = 1 << 16;
}

// Every set holds the paper's 108,996-parameter model, set XL at least 2^21 parameters (issue 13), and N is a
// multiple of the proof-ring degree.
const _: () =
    assert!(SetS::MAX_CHUNKS * SetS::N >= 108_996 && SetL::MAX_CHUNKS * SetL::N >= 108_996);
const _: () = assert!(SetXL::MAX_CHUNKS * SetXL::N >= 1 << 21);
const _: () = assert!(
    SetS::N.is_multiple_of(PROOF_RING_DEGREE)
        && SetL::N.is_multiple_of(PROOF_RING_DEGREE)
        && SetXL::N.is_multiple_of(PROOF_RING_DEGREE)
);

/// log2 q of a set as `f64` (for the estimator and for reports).
#[must_use]
pub fn log2_q<P: ParamSet>() -> f64 {
    // q < 2^87, so the conversion to f64 is exact to 2^-52 relative, far below what the estimator resolves.
    #[allow(clippy::cast_precision_loss)]
    let q = <P::M as Modulus>::Q as f64;
    libm::log2(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_match_their_moduli() {
        assert_eq!(<SetS as ParamSet>::M::Q, (1 << 44) - 539);
        assert_eq!(<SetL as ParamSet>::M::Q, (1 << 86) - 35);
        assert_eq!(<SetS as ParamSet>::M::Q % 8, 5);
        assert_eq!(<SetL as ParamSet>::M::Q % 8, 5);
        assert_ne!(SetS::ID, SetL::ID);
        assert_ne!(SetL::ID, SetXL::ID);
        assert_ne!(SetS::ID, SetXL::ID);
        assert_eq!(<SetXL as ParamSet>::M::Q, <SetL as ParamSet>::M::Q);
        assert!((ERROR_SIGMA * ERROR_SIGMA - f64::from(ERROR_ETA) / 2.0).abs() < 1e-12);
        assert!((TERNARY_SIGMA * TERNARY_SIGMA - 2.0 / 3.0).abs() < 1e-12);
    }
}
