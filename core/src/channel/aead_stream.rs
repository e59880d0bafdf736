//! ChaCha20-Poly1305 (RFC 8439 §2.8) fed piece by piece: the same bytes as the one-shot
//! `chacha20poly1305` AEAD the envelope uses, for senders that cannot hold the whole payload in one buffer
//! (the clinic device: docs/FIRMWARE.md). Composed from RustCrypto's `chacha20` and `poly1305`:
//!
//! * the Poly1305 key is the first 32 bytes of ChaCha20 keystream block 0; the payload is encrypted from
//!   block 1 on;
//! * the MAC input is `AAD ‖ pad16 ‖ ciphertext ‖ pad16 ‖ u64-LE |AAD| ‖ u64-LE |ciphertext|`.
//!
//! Pieces may have any length (0 included): Poly1305 absorbs whole 16-byte blocks, and the tail of a piece
//! waits in a 16-byte buffer until the next piece completes it, so the tag does not depend on how the
//! payload was cut (`tests::matches_one_shot_for_any_split`). The ChaCha20 keystream position carries over in
//! the same way inside the `chacha20` crate.
//!
//! Opening streams too ([`OpenStream`]), but its plaintext pieces are **not authentic** until
//! [`OpenStream::finish`] has checked the tag: a caller must not act on them before (the aggregator, which
//! has memory, keeps the one-shot open).

use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use poly1305::Poly1305;
use poly1305::universal_hash::{KeyInit, UniversalHash};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::kdf::{AEAD_KEY_LEN, AEAD_NONCE_LEN};

/// Poly1305 block (and tag) length.
const BLOCK: usize = 16;
/// ChaCha20 block length: the payload's keystream starts at block 1.
const CHACHA_BLOCK: u64 = 64;
/// Longest payload under one key and nonce, the one-shot `chacha20poly1305`'s limit (fewer than 2^32 − 1
/// blocks of 64 bytes after block 0, which keys the MAC; RFC 8439 §2.8).
pub const MAX_PAYLOAD: u64 = u32::MAX as u64 * CHACHA_BLOCK - 1;

/// Why a stream refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamError {
    /// More than [`MAX_PAYLOAD`] bytes under one key and nonce.
    TooLong,
    /// The tag does not match (opening only).
    Tag,
}

/// The Poly1305 half: absorbs bytes in any pieces, padding each section (AAD, ciphertext) to 16 bytes.
#[allow(clippy::struct_field_names)] // `mac.mac` is the Poly1305 state inside the MAC half
struct Mac {
    mac: Poly1305,
    pending: [u8; BLOCK],
    pending_len: usize,
    aad_len: u64,
    text_len: u64,
}

impl Mac {
    /// Keys Poly1305 from keystream block 0 and leaves `cipher` at block 1.
    fn new(cipher: &mut ChaCha20) -> Self {
        let mut mac_key = poly1305::Key::default();
        cipher.apply_keystream(&mut mac_key);
        let mac = Poly1305::new(&mac_key);
        mac_key.zeroize();
        cipher.seek(CHACHA_BLOCK);
        Self {
            mac,
            pending: [0; BLOCK],
            pending_len: 0,
            aad_len: 0,
            text_len: 0,
        }
    }

    /// Absorbs `data` (full blocks at once, a short tail kept for the next call).
    fn absorb(&mut self, mut data: &[u8]) {
        if self.pending_len > 0 {
            let take = (BLOCK - self.pending_len).min(data.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&data[..take]);
            self.pending_len += take;
            data = &data[take..];
            if self.pending_len < BLOCK {
                return;
            }
            self.mac.update(&[self.pending.into()]);
            self.pending_len = 0;
        }
        let (blocks, tail) = poly1305::Block::slice_as_chunks(data);
        self.mac.update(blocks);
        self.pending[..tail.len()].copy_from_slice(tail);
        self.pending_len = tail.len();
    }

    /// Ends a section: a short tail is padded with zeros to a full block.
    fn pad(&mut self) {
        if self.pending_len > 0 {
            self.mac.update_padded(&self.pending[..self.pending_len]);
            self.pending_len = 0;
        }
    }

    /// Pads the ciphertext section, absorbs the lengths block and returns the tag.
    fn tag(mut self) -> [u8; BLOCK] {
        self.pad();
        let mut lens = [0u8; BLOCK];
        lens[..8].copy_from_slice(&self.aad_len.to_le_bytes());
        lens[8..].copy_from_slice(&self.text_len.to_le_bytes());
        self.mac.update(&[lens.into()]);
        self.pending.zeroize();
        let mac = core::mem::replace(&mut self.mac, Poly1305::new(&poly1305::Key::default()));
        mac.finalize().into()
    }

    /// Counts `len` more payload bytes, refusing beyond [`MAX_PAYLOAD`].
    fn count(&mut self, len: usize) -> Result<(), StreamError> {
        let total = self
            .text_len
            .checked_add(len as u64)
            .filter(|&t| t <= MAX_PAYLOAD)
            .ok_or(StreamError::TooLong)?;
        self.text_len = total;
        Ok(())
    }
}

impl Drop for Mac {
    fn drop(&mut self) {
        self.pending.zeroize();
    }
}

/// Starts ChaCha20 at block 0 and the MAC over the whole AAD.
fn start(key: &[u8; AEAD_KEY_LEN], nonce: &[u8; AEAD_NONCE_LEN], aad: &[u8]) -> (ChaCha20, Mac) {
    let mut cipher = ChaCha20::new(key.into(), nonce.into());
    let mut mac = Mac::new(&mut cipher);
    mac.absorb(aad);
    mac.pad();
    mac.aad_len = aad.len() as u64;
    (cipher, mac)
}

/// Encrypts a payload piece by piece; [`SealStream::finish`] returns the tag.
pub struct SealStream {
    cipher: ChaCha20,
    mac: Mac,
}

impl SealStream {
    /// Starts sealing under `key` and `nonce` with associated data `aad` (given whole: it is the envelope's
    /// prefix, a few hundred bytes).
    #[must_use]
    pub fn new(key: &[u8; AEAD_KEY_LEN], nonce: &[u8; AEAD_NONCE_LEN], aad: &[u8]) -> Self {
        let (cipher, mac) = start(key, nonce, aad);
        Self { cipher, mac }
    }

    /// Encrypts the next piece of the payload in place and authenticates its ciphertext.
    ///
    /// # Errors
    /// [`StreamError::TooLong`] past [`MAX_PAYLOAD`] bytes in total (nothing is encrypted then).
    pub fn encrypt(&mut self, piece: &mut [u8]) -> Result<(), StreamError> {
        self.mac.count(piece.len())?;
        self.cipher.apply_keystream(piece);
        self.mac.absorb(piece);
        Ok(())
    }

    /// The Poly1305 tag over the AAD and every ciphertext piece.
    #[must_use]
    pub fn finish(self) -> [u8; BLOCK] {
        self.mac.tag()
    }
}

/// Decrypts a payload piece by piece; nothing it returns is authentic before [`OpenStream::finish`] is `Ok`.
pub struct OpenStream {
    cipher: ChaCha20,
    mac: Mac,
}

impl OpenStream {
    /// Starts opening under `key` and `nonce` with associated data `aad`.
    #[must_use]
    pub fn new(key: &[u8; AEAD_KEY_LEN], nonce: &[u8; AEAD_NONCE_LEN], aad: &[u8]) -> Self {
        let (cipher, mac) = start(key, nonce, aad);
        Self { cipher, mac }
    }

    /// Authenticates the next ciphertext piece and decrypts it in place (not authentic until `finish`).
    ///
    /// # Errors
    /// [`StreamError::TooLong`] past [`MAX_PAYLOAD`] bytes in total (nothing is decrypted then).
    pub fn decrypt(&mut self, piece: &mut [u8]) -> Result<(), StreamError> {
        self.mac.count(piece.len())?;
        self.mac.absorb(piece);
        self.cipher.apply_keystream(piece);
        Ok(())
    }

    /// Checks `tag` in constant time.
    ///
    /// # Errors
    /// [`StreamError::Tag`] if it does not match: every piece decrypted so far must be discarded.
    pub fn finish(self, tag: &[u8; BLOCK]) -> Result<(), StreamError> {
        if bool::from(self.mac.tag().ct_eq(tag)) {
            Ok(())
        } else {
            Err(StreamError::Tag)
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use chacha20poly1305::{AeadInOut, ChaCha20Poly1305};
    use proptest::prelude::*;
    use std::vec::Vec;

    fn one_shot(key: &[u8; 32], nonce: &[u8; 12], aad: &[u8], msg: &mut [u8]) -> [u8; 16] {
        let aead = <ChaCha20Poly1305 as chacha20poly1305::KeyInit>::new(&(*key).into());
        aead.encrypt_inout_detached(&(*nonce).into(), aad, msg.into())
            .expect("short message")
            .into()
    }

    /// Cuts `len` bytes at the sorted, deduplicated positions `cuts` (taken modulo len + 1).
    fn pieces(len: usize, cuts: &[usize]) -> Vec<(usize, usize)> {
        let mut at: Vec<usize> = cuts.iter().map(|c| c % (len + 1)).collect();
        at.push(0);
        at.push(len);
        at.sort_unstable();
        at.windows(2).map(|w| (w[0], w[1])).collect()
    }

    /// RFC 8439 §2.8.2's test vector (key 80..9f, nonce 07000000 40..47, AAD 50..53 c0..c7, the
    /// "Ladies and Gentlemen" sunscreen plaintext): the tag and the ciphertext's first bytes.
    #[test]
    fn rfc8439_vector() {
        let key: [u8; 32] = core::array::from_fn(|i| 0x80 + i as u8);
        let nonce = [
            0x07, 0, 0, 0, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
        ];
        let aad = [
            0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
        ];
        let mut msg =
            *b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for \
the future, sunscreen would be it.";
        let mut s = SealStream::new(&key, &nonce, &aad);
        let (a, b) = msg.split_at_mut(7);
        s.encrypt(a).unwrap();
        s.encrypt(b).unwrap();
        assert_eq!(hex::encode(s.finish()), "1ae10b594f09e26a7e902ecbd0600691");
        assert_eq!(hex::encode(&msg[..16]), "d31a8d34648e60db7b86afbc53ef7ec2");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any payload (up to 3 ChaCha blocks and a bit), any AAD, cut anywhere: the ciphertext and tag of
        /// the one-shot `chacha20poly1305`, and opening the pieces (cut elsewhere) gives the payload back.
        #[test]
        fn matches_one_shot_for_any_split(
            key in any::<[u8; 32]>(),
            nonce in any::<[u8; 12]>(),
            aad in proptest::collection::vec(any::<u8>(), 0..70),
            msg in proptest::collection::vec(any::<u8>(), 0..300),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
            cuts2 in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let mut want = msg.clone();
            let want_tag = one_shot(&key, &nonce, &aad, &mut want);
            let mut got = msg.clone();
            let mut s = SealStream::new(&key, &nonce, &aad);
            for (a, b) in pieces(got.len(), &cuts) {
                s.encrypt(&mut got[a..b]).unwrap();
            }
            prop_assert_eq!(s.finish(), want_tag);
            prop_assert_eq!(&got, &want);
            let mut o = OpenStream::new(&key, &nonce, &aad);
            for (a, b) in pieces(got.len(), &cuts2) {
                o.decrypt(&mut got[a..b]).unwrap();
            }
            prop_assert_eq!(o.finish(&want_tag), Ok(()));
            prop_assert_eq!(&got, &msg);
        }

        /// Any changed ciphertext byte or tag byte is refused.
        #[test]
        fn open_refuses_any_change(
            msg in proptest::collection::vec(any::<u8>(), 1..200),
            at in any::<usize>(),
            bit in 0u8..8,
            in_tag in any::<bool>(),
        ) {
            let (key, nonce, aad) = ([9u8; 32], [3u8; 12], [1u8, 2, 3]);
            let mut ct = msg.clone();
            let mut tag = one_shot(&key, &nonce, &aad, &mut ct);
            if in_tag {
                tag[at % 16] ^= 1 << bit;
            } else {
                let i = at % ct.len();
                ct[i] ^= 1 << bit;
            }
            let mut o = OpenStream::new(&key, &nonce, &aad);
            o.decrypt(&mut ct).unwrap();
            prop_assert_eq!(o.finish(&tag), Err(StreamError::Tag));
        }
    }

    #[test]
    fn refuses_past_the_counter() {
        let mut s = SealStream::new(&[0; 32], &[0; 12], b"");
        s.mac.text_len = MAX_PAYLOAD - 1;
        assert_eq!(s.encrypt(&mut [0u8; 2]), Err(StreamError::TooLong));
        assert_eq!(s.encrypt(&mut [0u8; 1]), Ok(()));
    }
}
