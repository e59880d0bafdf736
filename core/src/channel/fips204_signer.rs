//! ML-DSA-65 signing with the `fips204` crate (feature `fips204-signer`), for devices whose stack cannot hold
//! the `ml-dsa` signer (docs/FIRMWARE.md, "Where the stack goes").
//!
//! Both crates implement FIPS 204 Algorithm 2 `ML-DSA.Sign` (hedged, with the caller's 32-byte `rnd`) over the
//! same key derivation from ξ (Algorithm 6), so for the same seed, message, context and `rnd` they give the same
//! signature bytes (`tests/tests/channel_fips204.rs` checks it) and the verifier cannot tell them apart. What
//! differs is memory: `ml-dsa` 0.1.2 signs in a ≈ 350 KB frame on a Cortex-M4, `fips204` 0.4 in ≈ 130 KB, and
//! its key generation (≈ 140 KB) runs in a call of its own before, leaving the expanded key (17.5 KB: the
//! `skDecode` fields with s1, s2 and t0 in NTT form) that this type keeps. Keeping the 4,032-byte `skEncode`
//! form instead would cost an encoding and a decoding on the device (≈ 80 KB more stack while decoding and
//! ≈ 70 KB more code) to save 13.5 KB that are held only while signing.

use core::fmt;

use fips204::ml_dsa_65::{KG, PrivateKey};
use fips204::traits::{KeyGen, SerDes, Signer};
use rand_core::CryptoRng;
use zeroize::{Zeroize, Zeroizing};

use super::error::ChannelError;
use super::identity::{
    ContextSigner, MAX_CONTEXT_LEN, SIGNATURE_LEN, SIGNING_SEED_LEN, Signature, SigningKey,
    VerifyingKey,
};

/// An ML-DSA-65 signing key expanded for signing (the FIPS 204 `skDecode` fields, with s1, s2 and t0 in NTT
/// form; wiped on drop by `fips204`). Made from the 32-byte seed ξ of a [`SigningKey`] by key generation, once,
/// before signing.
pub struct ExpandedSigningKey {
    key: PrivateKey,
}

impl ExpandedSigningKey {
    /// FIPS 204 Algorithm 6 `ML-DSA.KeyGen_internal(ξ)` for the seed of `key` (the copy of the seed is wiped).
    #[must_use]
    pub fn expand(key: &SigningKey) -> Self {
        let mut seed = key.to_bytes();
        Self::from_seed_wiping(&mut seed)
    }

    /// Key generation from a seed ξ that is wiped (all zero) when this returns: for a device that reads its
    /// seed from protected storage into a buffer of its own. Out of line: key generation's frame is gone
    /// before signing runs (the two do not add up on the stack).
    #[must_use]
    #[inline(never)]
    pub fn from_seed_wiping(seed: &mut [u8; SIGNING_SEED_LEN]) -> Self {
        let (_, key) = KG::keygen_from_seed(seed);
        seed.zeroize();
        Self { key }
    }

    /// The matching verifying key (`pkEncode`, the bytes of [`SigningKey::verifying_key`]).
    ///
    /// # Errors
    /// `Truncated`/`Oversized` if the library's encoding is not 1,952 bytes (it always is).
    pub fn verifying_key(&self) -> Result<VerifyingKey, ChannelError> {
        VerifyingKey::from_bytes(&self.key.get_public_key().into_bytes())
    }

    /// FIPS 204 Algorithm 2 `ML-DSA.Sign(sk, msg, ctx)` with the 32-byte `rnd` drawn from `rng` exactly as the
    /// `ml-dsa` signer draws it (one `fill_bytes` of 32 bytes), so the two consume the RNG alike.
    ///
    /// # Errors
    /// `ContextTooLong` if `ctx` exceeds 255 bytes; `SigningFailed` if the library refuses.
    #[inline(never)]
    pub fn sign_with_context<R: CryptoRng + ?Sized>(
        &self,
        msg: &[u8],
        ctx: &[u8],
        rng: &mut R,
    ) -> Result<Signature, ChannelError> {
        if ctx.len() > MAX_CONTEXT_LEN {
            return Err(ChannelError::ContextTooLong);
        }
        let mut rnd = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(rnd.as_mut());
        let sig: [u8; SIGNATURE_LEN] = self
            .key
            .try_sign_with_seed(&rnd, msg, ctx)
            .map_err(|_| ChannelError::SigningFailed)?;
        Signature::from_bytes(&sig)
    }
}

impl ContextSigner for ExpandedSigningKey {
    fn sign_with_context<R: CryptoRng + ?Sized>(
        &self,
        msg: &[u8],
        ctx: &[u8],
        rng: &mut R,
    ) -> Result<Signature, ChannelError> {
        ExpandedSigningKey::sign_with_context(self, msg, ctx, rng)
    }
}

impl fmt::Debug for ExpandedSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExpandedSigningKey(..)")
    }
}
