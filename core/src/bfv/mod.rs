//! BFV with coefficient encoding and the multi-message variant (docs/BFV.md): key generation, encryption,
//! addition, decryption. Keys and ciphertexts live in caller-provided buffers (no heap); the public key is
//! used in RNS-NTT form over K auxiliary primes (K = [`keys::ternary_product_primes`]: 2 for set S, 4 for
//! set L).

/// Homomorphic addition.
pub mod ciphertext;
/// Decryption of a (possibly aggregated) ciphertext.
pub mod decrypt;
/// Streaming multi-message encryption.
pub mod encrypt;
/// Error type.
pub mod error;
/// The public key in coefficient and NTT form, generated from a secret key (`alloc`).
#[cfg(feature = "alloc")]
pub mod key_set;
/// Secret key, public a and b_j.
pub mod keys;
/// Plaintext modulus t, Δ, encoding and exact rounding.
pub mod plaintext;

pub use ciphertext::add_assign;
pub use decrypt::Decryptor;
pub use encrypt::{Encryptor, StreamEncryptor, encrypt};
pub use error::BfvError;
#[cfg(feature = "alloc")]
pub use key_set::{Encryption, PublicKeyPolys};
pub use keys::{SecretKey, public_a, ternary_product_primes};
pub use plaintext::PlainModulus;

#[cfg(test)]
mod tests;
