//! Envelope key schedule (docs/CHANNEL.md §3): one SHAKE256 call over the ML-KEM shared secret and the
//! transcript, squeezed into a ChaCha20-Poly1305 key and nonce.
//!
//! `okm = SHAKE256(F("ZKFL-PQ/v1/channel/kdf") ‖ F(direction label) ‖ u8 kem id ‖ F(ss) ‖ F(kem ct)
//!                 ‖ F(H(ek)) ‖ F(header), 44)` with `F(x) = u64-LE |x| ‖ x`; key = okm[0..32],
//! nonce = okm[32..44]. Binding the KEM ciphertext and `H(ek)` follows the usual KEM-DEM hygiene (as in
//! HPKE's `key_schedule` and X-Wing's combiner): the key is tied to this encapsulation and this recipient,
//! not only to the shared secret. Every envelope uses a fresh encapsulation, so each key encrypts exactly
//! one message and the derived nonce can never repeat under one key.

use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::hash::LabeledShake;
use super::header::HEADER_LEN;
use super::ids::Direction;
use super::kem::{KEY_HASH_LEN, SharedSecret};

/// Domain label of the KDF.
pub(crate) const KDF_DOMAIN: &[u8] = b"ZKFL-PQ/v1/channel/kdf";
/// ChaCha20-Poly1305 key length.
pub(crate) const AEAD_KEY_LEN: usize = 32;
/// ChaCha20-Poly1305 nonce length.
pub(crate) const AEAD_NONCE_LEN: usize = 12;

/// The derived AEAD key and nonce; wiped on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub(crate) struct AeadKeys {
    key: [u8; AEAD_KEY_LEN],
    nonce: [u8; AEAD_NONCE_LEN],
}

impl AeadKeys {
    /// Runs the KDF.
    pub(crate) fn derive(
        ss: &SharedSecret,
        direction: Direction,
        kem_id: u8,
        kem_ct: &[u8],
        recipient_key_hash: &[u8; KEY_HASH_LEN],
        header: &[u8; HEADER_LEN],
    ) -> Self {
        let mut h = LabeledShake::new(KDF_DOMAIN);
        h.bytes(direction.kdf_label())
            .u8(kem_id)
            .bytes(ss.as_bytes())
            .bytes(kem_ct)
            .bytes(recipient_key_hash)
            .bytes(header);
        let mut okm = [0u8; AEAD_KEY_LEN + AEAD_NONCE_LEN];
        h.finish(&mut okm);
        let mut keys = Self {
            key: [0; AEAD_KEY_LEN],
            nonce: [0; AEAD_NONCE_LEN],
        };
        keys.key.copy_from_slice(&okm[..AEAD_KEY_LEN]);
        keys.nonce.copy_from_slice(&okm[AEAD_KEY_LEN..]);
        okm.zeroize();
        keys
    }

    /// The AEAD instance (itself zeroized on drop by `chacha20poly1305`'s `zeroize` feature).
    pub(crate) fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&self.key.into())
    }

    /// The derived nonce.
    pub(crate) fn nonce(&self) -> chacha20poly1305::Nonce {
        self.nonce.into()
    }

    /// Key and nonce for the streamed AEAD (`aead_stream`).
    pub(crate) fn key_and_nonce(&self) -> (&[u8; AEAD_KEY_LEN], &[u8; AEAD_NONCE_LEN]) {
        (&self.key, &self.nonce)
    }

    #[cfg(test)]
    pub(crate) fn raw(&self) -> ([u8; AEAD_KEY_LEN], [u8; AEAD_NONCE_LEN]) {
        (self.key, self.nonce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::kem::{KemSecretKey, MlKem768, encapsulate};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn every_input_changes_key_and_nonce() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let sk = KemSecretKey::<MlKem768>::generate(&mut rng);
        let (ct, ss) = encapsulate(sk.public_key(), &mut rng);
        let (_, ss2) = encapsulate(sk.public_key(), &mut rng);
        let ct = ct.as_bytes();
        let kh = *sk.public_key().key_hash();
        let head = [5u8; HEADER_LEN];
        let c2a = Direction::ClinicToAggregator;
        let base = AeadKeys::derive(&ss, c2a, 1, ct, &kh, &head).raw();
        let mut ct2 = [0u8; 1088];
        ct2.copy_from_slice(ct);
        ct2[0] ^= 1;
        let mut kh2 = kh;
        kh2[31] ^= 1;
        let mut head2 = head;
        head2[9] ^= 1;
        let variants = [
            AeadKeys::derive(&ss2, c2a, 1, ct, &kh, &head).raw(),
            AeadKeys::derive(&ss, Direction::AggregatorToClinic, 1, ct, &kh, &head).raw(),
            AeadKeys::derive(&ss, c2a, 2, ct, &kh, &head).raw(),
            AeadKeys::derive(&ss, c2a, 1, &ct2, &kh, &head).raw(),
            AeadKeys::derive(&ss, c2a, 1, ct, &kh2, &head).raw(),
            AeadKeys::derive(&ss, c2a, 1, ct, &kh, &head2).raw(),
        ];
        for v in variants {
            assert_ne!(v.0, base.0);
            assert_ne!(v.1, base.1);
        }
        assert_eq!(AeadKeys::derive(&ss, c2a, 1, ct, &kh, &head).raw(), base);
    }
}
