//! Clinic and aggregator identities: ML-DSA-65 (FIPS 204) key pairs and signatures (docs/CHANNEL.md §5).
//!
//! Keys are wrapped in our own types holding their canonical encodings: a signing key is its 32-byte seed
//! ξ (FIPS 204 Algorithm 6), wiped on drop, and is expanded only for the duration of a signature; a
//! verifying key is its 1,952-byte `pkEncode` (Algorithm 22). This keeps the types small enough to store
//! (roster, aggregator database) and leaves the large expanded forms on the stack only while in use.
//!
//! Signing is FIPS 204 Algorithm 2 `ML-DSA.Sign` with a context string: submissions and round
//! announcements use different contexts, so neither can be replayed as the other. Signing is hedged: the
//! 32-byte `rnd` comes from the caller's RNG (an RNG that returns zeros yields the deterministic variant).

use core::fmt;

use ml_dsa::{EncodedSignature, EncodedVerifyingKey, ExpandedSigningKey, MlDsa65};
use rand_core::CryptoRng;
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::digest::{AnnouncementDigest, SubmissionDigest};
use super::error::{ChannelError, expect_len};
use super::hash::LabeledShake;

/// Length of an ML-DSA-65 seed ξ.
pub const SIGNING_SEED_LEN: usize = 32;
/// Length of an encoded ML-DSA-65 verifying key.
pub const VERIFYING_KEY_LEN: usize = 1952;
/// Length of an encoded ML-DSA-65 signature.
pub const SIGNATURE_LEN: usize = 3309;
/// FIPS 204 context string of submission signatures.
pub const SUBMISSION_CONTEXT: &[u8] = b"ZKFL-PQ/v1/submission";
/// FIPS 204 context string of round-announcement signatures.
pub const ANNOUNCEMENT_CONTEXT: &[u8] = b"ZKFL-PQ/v1/round-announcement";
/// Largest FIPS 204 context string.
pub(crate) const MAX_CONTEXT_LEN: usize = 255;

/// An ML-DSA-65 signing key (a clinic's or the aggregator's), stored as its seed ξ.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SigningKey {
    seed: [u8; SIGNING_SEED_LEN],
}

impl SigningKey {
    /// Key from a seed ξ (FIPS 204 Algorithm 6 `ML-DSA.KeyGen_internal`).
    #[must_use]
    pub fn from_seed(seed: &[u8; SIGNING_SEED_LEN]) -> Self {
        Self { seed: *seed }
    }

    /// FIPS 204 Algorithm 1 `ML-DSA.KeyGen`: draws ξ from `rng`.
    #[must_use]
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut key = Self {
            seed: [0u8; SIGNING_SEED_LEN],
        };
        rng.fill_bytes(&mut key.seed);
        key
    }

    /// Decodes a 32-byte seed.
    ///
    /// # Errors
    /// `Truncated`/`Oversized` unless exactly [`SIGNING_SEED_LEN`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChannelError> {
        expect_len(SIGNING_SEED_LEN, bytes.len())?;
        let mut key = Self {
            seed: [0u8; SIGNING_SEED_LEN],
        };
        key.seed.copy_from_slice(bytes);
        Ok(key)
    }

    /// The seed ξ (secret; wiped when the returned value drops).
    #[must_use]
    pub fn to_bytes(&self) -> Zeroizing<[u8; SIGNING_SEED_LEN]> {
        Zeroizing::new(self.seed)
    }

    /// The expanded key (zeroized on drop by `ml-dsa`); the temporary seed copy is wiped here.
    fn expand(&self) -> ExpandedSigningKey<MlDsa65> {
        let mut xi = ml_dsa::B32::from(self.seed);
        let key = ExpandedSigningKey::<MlDsa65>::from_seed(&xi);
        xi.zeroize();
        key
    }

    /// The matching verifying key.
    #[must_use]
    pub fn verifying_key(&self) -> VerifyingKey {
        let mut bytes = [0u8; VERIFYING_KEY_LEN];
        bytes.copy_from_slice(self.expand().verifying_key().encode().as_slice());
        VerifyingKey { bytes }
    }

    /// FIPS 204 Algorithm 2 `ML-DSA.Sign(sk, msg, ctx)` with `rnd` drawn from `rng`.
    ///
    /// # Errors
    /// `ContextTooLong` if `ctx` exceeds 255 bytes; `SigningFailed` if the library reports failure.
    pub fn sign_with_context<R: CryptoRng + ?Sized>(
        &self,
        msg: &[u8],
        ctx: &[u8],
        rng: &mut R,
    ) -> Result<Signature, ChannelError> {
        if ctx.len() > MAX_CONTEXT_LEN {
            return Err(ChannelError::ContextTooLong);
        }
        let sig = self
            .expand()
            .sign_randomized(msg, ctx, rng)
            .map_err(|_| ChannelError::SigningFailed)?;
        let mut bytes = [0u8; SIGNATURE_LEN];
        bytes.copy_from_slice(sig.encode().as_slice());
        Ok(Signature { bytes })
    }

    /// Signs a submission digest under [`SUBMISSION_CONTEXT`].
    ///
    /// # Errors
    /// `SigningFailed` if the library reports failure.
    pub fn sign_submission<R: CryptoRng + ?Sized>(
        &self,
        digest: &SubmissionDigest,
        rng: &mut R,
    ) -> Result<Signature, ChannelError> {
        self.sign_with_context(&digest.0, SUBMISSION_CONTEXT, rng)
    }

    /// Signs a round-announcement digest under [`ANNOUNCEMENT_CONTEXT`].
    ///
    /// # Errors
    /// `SigningFailed` if the library reports failure.
    pub fn sign_announcement<R: CryptoRng + ?Sized>(
        &self,
        digest: &AnnouncementDigest,
        rng: &mut R,
    ) -> Result<Signature, ChannelError> {
        self.sign_with_context(&digest.0, ANNOUNCEMENT_CONTEXT, rng)
    }
}

/// An ML-DSA-65 signer: FIPS 204 Algorithm 2 `ML-DSA.Sign(sk, msg, ctx)`, hedged with 32 bytes of `rnd` drawn
/// from the caller's RNG. Implemented by [`SigningKey`] (the `ml-dsa` crate) and, with the feature
/// `fips204-signer`, by `ExpandedSigningKey` (the `fips204` crate, for small stacks): the same key, message,
/// context and RNG give the same signature bytes from either.
pub trait ContextSigner {
    /// Signs `msg` under the context string `ctx`.
    ///
    /// # Errors
    /// `ContextTooLong` if `ctx` exceeds 255 bytes; `SigningFailed` (or `InvalidKey`) if the library refuses.
    fn sign_with_context<R: CryptoRng + ?Sized>(
        &self,
        msg: &[u8],
        ctx: &[u8],
        rng: &mut R,
    ) -> Result<Signature, ChannelError>;
}

impl ContextSigner for SigningKey {
    fn sign_with_context<R: CryptoRng + ?Sized>(
        &self,
        msg: &[u8],
        ctx: &[u8],
        rng: &mut R,
    ) -> Result<Signature, ChannelError> {
        SigningKey::sign_with_context(self, msg, ctx, rng)
    }
}

impl ConstantTimeEq for SigningKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.seed.ct_eq(&other.seed)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

/// An ML-DSA-65 verifying key in its FIPS 204 encoding.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    bytes: [u8; VERIFYING_KEY_LEN],
}

impl VerifyingKey {
    /// Decodes a verifying key. Any 1,952 bytes are a valid `pkEncode` output (ρ and 10-bit t1 coefficients).
    ///
    /// # Errors
    /// `Truncated`/`Oversized` unless exactly [`VERIFYING_KEY_LEN`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChannelError> {
        expect_len(VERIFYING_KEY_LEN, bytes.len())?;
        let mut key = Self {
            bytes: [0u8; VERIFYING_KEY_LEN],
        };
        key.bytes.copy_from_slice(bytes);
        Ok(key)
    }

    /// The encoded key.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; VERIFYING_KEY_LEN] {
        &self.bytes
    }

    /// The encoded key, by value (inverse of [`VerifyingKey::from_bytes`]).
    #[must_use]
    pub fn to_bytes(&self) -> [u8; VERIFYING_KEY_LEN] {
        self.bytes
    }

    /// `SHAKE256(F("ZKFL-PQ/v1/verifying-key-fingerprint") ‖ F(pk), 32)`, for logs and the roster file.
    #[must_use]
    pub fn fingerprint(&self) -> [u8; 32] {
        let mut h = LabeledShake::new(b"ZKFL-PQ/v1/verifying-key-fingerprint");
        h.bytes(&self.bytes);
        let mut out = [0u8; 32];
        h.finish(&mut out);
        out
    }

    /// FIPS 204 Algorithm 3 `ML-DSA.Verify(pk, msg, σ, ctx)`.
    ///
    /// # Errors
    /// `ContextTooLong`, `MalformedSignature` if σ fails `sigDecode` (Algorithm 27: malformed hints or
    /// ‖z‖∞ too large), `BadSignature` if it does not verify.
    pub fn verify_with_context(
        &self,
        msg: &[u8],
        ctx: &[u8],
        sig: &Signature,
    ) -> Result<(), ChannelError> {
        if ctx.len() > MAX_CONTEXT_LEN {
            return Err(ChannelError::ContextTooLong);
        }
        let enc_sig = EncodedSignature::<MlDsa65>::try_from(sig.bytes.as_slice())
            .map_err(|_| ChannelError::MalformedSignature)?;
        let sig = ml_dsa::Signature::<MlDsa65>::decode(&enc_sig)
            .ok_or(ChannelError::MalformedSignature)?;
        let enc_key = EncodedVerifyingKey::<MlDsa65>::try_from(self.bytes.as_slice())
            .map_err(|_| ChannelError::InvalidKey)?;
        let key = ml_dsa::VerifyingKey::<MlDsa65>::decode(&enc_key);
        if key.verify_with_context(msg, ctx, &sig) {
            Ok(())
        } else {
            Err(ChannelError::BadSignature)
        }
    }

    /// Verifies a submission signature.
    ///
    /// # Errors
    /// As [`VerifyingKey::verify_with_context`].
    pub fn verify_submission(
        &self,
        digest: &SubmissionDigest,
        sig: &Signature,
    ) -> Result<(), ChannelError> {
        self.verify_with_context(&digest.0, SUBMISSION_CONTEXT, sig)
    }

    /// Verifies a round-announcement signature.
    ///
    /// # Errors
    /// As [`VerifyingKey::verify_with_context`].
    pub fn verify_announcement(
        &self,
        digest: &AnnouncementDigest,
        sig: &Signature,
    ) -> Result<(), ChannelError> {
        self.verify_with_context(&digest.0, ANNOUNCEMENT_CONTEXT, sig)
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fp = self.fingerprint();
        write!(f, "VerifyingKey(")?;
        for b in &fp[..8] {
            write!(f, "{b:02x}")?;
        }
        write!(f, "..)")
    }
}

/// An encoded ML-DSA-65 signature (decoded and checked at verification time).
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    bytes: [u8; SIGNATURE_LEN],
}

impl Signature {
    /// Takes signature bytes; only the length is checked here.
    ///
    /// # Errors
    /// `Truncated`/`Oversized` unless exactly [`SIGNATURE_LEN`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChannelError> {
        expect_len(SIGNATURE_LEN, bytes.len())?;
        let mut sig = Self {
            bytes: [0u8; SIGNATURE_LEN],
        };
        sig.bytes.copy_from_slice(bytes);
        Ok(sig)
    }

    /// The encoded signature.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.bytes
    }

    /// The encoded signature, by value (inverse of [`Signature::from_bytes`]).
    #[must_use]
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        self.bytes
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::super::ids::{ClinicId, RoundId};
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn sign_verify_and_reject() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let sk = SigningKey::generate(&mut rng);
        let vk = sk.verifying_key();
        let d = SubmissionDigest::of_content(1, RoundId(2), ClinicId(3), b"ct", b"proof");
        let sig = sk.sign_submission(&d, &mut rng).unwrap();
        vk.verify_submission(&d, &sig).unwrap();
        // Same digest bytes under the announcement context must not verify.
        assert_eq!(
            vk.verify_announcement(&AnnouncementDigest(d.0), &sig),
            Err(ChannelError::BadSignature)
        );
        let d2 = SubmissionDigest::of_content(1, RoundId(3), ClinicId(3), b"ct", b"proof");
        assert_eq!(
            vk.verify_submission(&d2, &sig),
            Err(ChannelError::BadSignature)
        );
        let other = SigningKey::generate(&mut rng).verifying_key();
        assert_eq!(
            other.verify_submission(&d, &sig),
            Err(ChannelError::BadSignature)
        );
        let long = [0u8; 256];
        assert_eq!(
            sk.sign_with_context(b"m", &long, &mut rng).err(),
            Some(ChannelError::ContextTooLong)
        );
    }

    #[test]
    fn key_encodings_round_trip() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let sk = SigningKey::generate(&mut rng);
        let sk2 = SigningKey::from_bytes(sk.to_bytes().as_ref()).unwrap();
        assert!(bool::from(sk.ct_eq(&sk2)));
        let vk = sk.verifying_key();
        assert_eq!(VerifyingKey::from_bytes(&vk.to_bytes()).unwrap(), vk);
        assert!(matches!(
            VerifyingKey::from_bytes(&vk.as_bytes()[1..]),
            Err(ChannelError::Truncated { .. })
        ));
        assert!(matches!(
            Signature::from_bytes(&[0u8; 3310]),
            Err(ChannelError::Oversized { .. })
        ));
    }
}
