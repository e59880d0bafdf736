//! The clinic's randomness. The core takes randomness through `rand_core` traits; here it comes from a
//! ChaCha20 generator seeded by the browser's CSPRNG (`crypto.getRandomValues`, through `getrandom`'s
//! `wasm_js` backend). A caller-supplied seed is accepted only so that tests can compare the wasm build with
//! the native one byte for byte (known-answer tests); the page never passes one.

use crate::error::{ClinicError, ErrorCode};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zeroize::Zeroize;

/// Length of an explicit seed, in bytes.
pub const SEED_LEN: usize = 32;

/// A generator seeded from the platform's CSPRNG.
pub fn fresh() -> Result<ChaCha20Rng, ClinicError> {
    let mut seed = [0u8; SEED_LEN];
    getrandom::fill(&mut seed).map_err(|e| ClinicError::from_display(ErrorCode::Rng, e))?;
    let rng = ChaCha20Rng::from_seed(seed);
    seed.zeroize();
    Ok(rng)
}

/// A generator from an explicit 32-byte seed (tests and known-answer vectors only).
pub fn seeded(seed: &[u8]) -> Result<ChaCha20Rng, ClinicError> {
    let mut s: [u8; SEED_LEN] = seed.try_into().map_err(|_| {
        ClinicError::new(ErrorCode::BadInput, "a test seed must be exactly 32 bytes")
    })?;
    let rng = ChaCha20Rng::from_seed(s);
    s.zeroize();
    Ok(rng)
}

/// `seeded(seed)` when a seed is given, `fresh()` otherwise.
pub fn from_option(seed: Option<&[u8]>) -> Result<ChaCha20Rng, ClinicError> {
    match seed {
        Some(s) => seeded(s),
        None => fresh(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng;

    #[test]
    fn seeded_is_deterministic() {
        let seed = [7u8; SEED_LEN];
        let a = seeded(&seed).map(|mut r| r.next_u64());
        let b = seeded(&seed).map(|mut r| r.next_u64());
        assert_eq!(a, b);
    }

    #[test]
    fn wrong_seed_length_is_rejected() {
        let err = seeded(&[0u8; 31]).err().map(|e| e.code());
        assert_eq!(err, Some(ErrorCode::BadInput));
    }

    #[test]
    fn fresh_generators_differ() {
        let a = fresh().map(|mut r| r.next_u64());
        let b = fresh().map(|mut r| r.next_u64());
        assert!(a.is_ok());
        assert_ne!(a, b);
    }
}
