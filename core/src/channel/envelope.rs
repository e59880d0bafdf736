//! The envelope (docs/CHANNEL.md §4–5): `header ‖ KEM ciphertext ‖ AEAD(payload) ‖ tag`, sealed to the
//! holder of an ML-KEM key with a fresh encapsulation per envelope.
//!
//! Two shapes of the same format, both heap-free: *in place* over one caller buffer that holds the whole
//! envelope (the payload is written at [`prefix_len`] and encrypted where it lies), and *detached* with the
//! prefix, payload and tag in separate buffers. With the `alloc` feature, [`seal_to_vec`] and
//! [`open_to_vec`] wrap them.

use chacha20poly1305::AeadInOut;
use rand_core::CryptoRng;

use super::aead_stream::{self, SealStream};
use super::error::ChannelError;
use super::header::{EnvelopeHeader, HEADER_LEN};
use super::ids::{ClinicId, Direction, RoundId};
use super::kdf::AeadKeys;
use super::kem::{ChannelKem, KemCiphertext, KemPublicKey, KemSecretKey};
use super::replay::{ReplayGuard, ReplayKey};

/// Poly1305 tag length.
pub const TAG_LEN: usize = 16;

/// Bytes before the payload: header and KEM ciphertext.
#[must_use]
pub const fn prefix_len<K: ChannelKem>() -> usize {
    HEADER_LEN + K::CIPHERTEXT_LEN
}

/// Total bytes an envelope adds to its payload (1,136 for ML-KEM-768, 1,616 for ML-KEM-1024).
#[must_use]
pub const fn overhead<K: ChannelKem>() -> usize {
    prefix_len::<K>() + TAG_LEN
}

/// Length of an envelope around `payload_len` bytes, `None` on `usize` overflow.
#[must_use]
pub const fn envelope_len<K: ChannelKem>(payload_len: usize) -> Option<usize> {
    payload_len.checked_add(overhead::<K>())
}

/// What the sender puts in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealContext {
    /// Direction of travel.
    pub direction: Direction,
    /// Round of the message.
    pub round: RoundId,
    /// Sending clinic (clinic → aggregator) or recipient clinic (aggregator → clinic).
    pub clinic: ClinicId,
    /// Strictly increasing per (direction, clinic, round); e.g. 0 for the first attempt, 1 for a retry.
    pub sequence: u64,
}

/// What the opener accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenPolicy {
    /// Only envelopes travelling this way.
    pub direction: Direction,
    /// Only envelopes of this round.
    pub round: RoundId,
    /// Largest payload accepted, in bytes (checked before any cryptographic work).
    pub max_payload_len: usize,
}

impl EnvelopeHeader {
    /// The replay-guard key of this header.
    #[must_use]
    pub fn replay_key(&self) -> ReplayKey {
        ReplayKey {
            direction: self.direction,
            clinic: self.clinic,
            round: self.round,
            sequence: self.sequence,
        }
    }
}

/// An opened envelope: its authenticated header and the decrypted payload, in the caller's buffer.
#[derive(Debug)]
pub struct Opened<'a> {
    /// The authenticated header.
    pub header: EnvelopeHeader,
    /// The plaintext payload.
    pub payload: &'a mut [u8],
}

/// Reads the header of an envelope without opening it, e.g. to route by clinic id. The result is NOT
/// authenticated until the envelope is opened.
///
/// # Errors
/// `Truncated` or any header decoding error.
pub fn peek_header(envelope: &[u8]) -> Result<EnvelopeHeader, ChannelError> {
    let head = envelope.get(..HEADER_LEN).ok_or(ChannelError::Truncated {
        needed: HEADER_LEN,
        got: envelope.len(),
    })?;
    EnvelopeHeader::decode(head)
}

/// Seals `payload` in place and writes the prefix (header ‖ KEM ciphertext) into `prefix`, which must be
/// exactly [`prefix_len`] bytes. Returns the detached tag.
///
/// # Errors
/// `BufferTooSmall`/`Oversized` if `prefix` has the wrong length.
pub fn seal_detached<K: ChannelKem, R: CryptoRng + ?Sized>(
    recipient: &KemPublicKey<K>,
    ctx: &SealContext,
    prefix: &mut [u8],
    payload: &mut [u8],
    rng: &mut R,
) -> Result<[u8; TAG_LEN], ChannelError> {
    let keys = seal_prefix(recipient, ctx, payload.len(), prefix, rng)?;
    let tag = keys
        .cipher()
        .encrypt_inout_detached(&keys.nonce(), prefix, payload.into())
        .map_err(|_| ChannelError::Oversized {
            limit: usize::MAX,
            got: payload.len(),
        })?;
    Ok(tag.into())
}

/// Writes the prefix (header for `payload_len` bytes, fresh KEM ciphertext) and derives the AEAD keys.
fn seal_prefix<K: ChannelKem, R: CryptoRng + ?Sized>(
    recipient: &KemPublicKey<K>,
    ctx: &SealContext,
    payload_len: usize,
    prefix: &mut [u8],
    rng: &mut R,
) -> Result<AeadKeys, ChannelError> {
    let needed = prefix_len::<K>();
    if prefix.len() < needed {
        return Err(ChannelError::BufferTooSmall {
            needed,
            got: prefix.len(),
        });
    }
    if prefix.len() > needed {
        return Err(ChannelError::Oversized {
            limit: needed,
            got: prefix.len(),
        });
    }
    let header = EnvelopeHeader {
        kem_id: K::ID,
        direction: ctx.direction,
        round: ctx.round,
        clinic: ctx.clinic,
        sequence: ctx.sequence,
        payload_len: payload_len as u64,
    }
    .encode();
    let (ct, ss) = recipient.encapsulate(rng);
    prefix[..HEADER_LEN].copy_from_slice(&header);
    prefix[HEADER_LEN..].copy_from_slice(ct.as_bytes());
    Ok(AeadKeys::derive(
        &ss,
        ctx.direction,
        K::ID,
        ct.as_bytes(),
        recipient.key_hash(),
        &header,
    ))
}

/// An envelope sealed as its payload is produced ([`seal_streaming`]): the same bytes as
/// [`seal_detached`] for the same RNG, without the payload in one buffer.
pub struct StreamingSeal {
    stream: SealStream,
    remaining: u64,
    declared: u64,
}

impl StreamingSeal {
    /// Encrypts the next piece of the payload in place (send it on afterwards).
    ///
    /// # Errors
    /// `LengthMismatch` if the pieces exceed the declared payload length (nothing is encrypted then).
    pub fn encrypt(&mut self, piece: &mut [u8]) -> Result<(), ChannelError> {
        let len = piece.len() as u64;
        if len > self.remaining {
            return Err(ChannelError::LengthMismatch {
                declared: self.declared,
                actual: usize_saturating(self.declared - self.remaining + len),
            });
        }
        self.stream
            .encrypt(piece)
            .map_err(|_| ChannelError::Oversized {
                limit: usize::MAX,
                got: usize_saturating(self.declared),
            })?;
        self.remaining -= len;
        Ok(())
    }

    /// The tag that ends the envelope.
    ///
    /// # Errors
    /// `LengthMismatch` if fewer bytes than declared were encrypted.
    pub fn finish(self) -> Result<[u8; TAG_LEN], ChannelError> {
        if self.remaining != 0 {
            return Err(ChannelError::LengthMismatch {
                declared: self.declared,
                actual: usize_saturating(self.declared - self.remaining),
            });
        }
        Ok(self.stream.finish())
    }
}

/// A byte count for an error report: `usize::MAX` where it does not fit (a 32-bit target, wasm32 among them,
/// and a count above 4 GiB), never a wrapped value.
fn usize_saturating(x: u64) -> usize {
    usize::try_from(x).unwrap_or(usize::MAX)
}

/// Starts a streamed seal of a `payload_len`-byte payload: writes `prefix` ([`prefix_len`] bytes: the header
/// declares the length, so it must be known up front) and returns the sealer for the payload's pieces; the
/// envelope is `prefix ‖ encrypted pieces ‖ tag`.
///
/// # Errors
/// As [`seal_detached`]; `Oversized` beyond [`aead_stream::MAX_PAYLOAD`].
pub fn seal_streaming<K: ChannelKem, R: CryptoRng + ?Sized>(
    recipient: &KemPublicKey<K>,
    ctx: &SealContext,
    payload_len: usize,
    prefix: &mut [u8],
    rng: &mut R,
) -> Result<StreamingSeal, ChannelError> {
    if payload_len as u64 > aead_stream::MAX_PAYLOAD {
        return Err(ChannelError::Oversized {
            limit: usize_saturating(aead_stream::MAX_PAYLOAD),
            got: payload_len,
        });
    }
    let keys = seal_prefix(recipient, ctx, payload_len, prefix, rng)?;
    let (key, nonce) = keys.key_and_nonce();
    Ok(StreamingSeal {
        stream: SealStream::new(key, nonce, prefix),
        remaining: payload_len as u64,
        declared: payload_len as u64,
    })
}

/// Opens an envelope given as prefix, payload (decrypted in place) and tag. Checks, in this order and
/// before any decryption: lengths, header fields against `policy`, and `guard.check`. The guard is not
/// modified; call `guard.record(&header.replay_key())` once the payload has been accepted.
///
/// # Errors
/// Length errors, header errors, `KemMismatch`, `WrongDirection`, `WrongRound`, `LengthMismatch`,
/// `Replay`, and `DecryptionFailed` for any changed byte.
pub fn open_detached<K: ChannelKem, G: ReplayGuard + ?Sized>(
    sk: &KemSecretKey<K>,
    policy: &OpenPolicy,
    guard: &G,
    prefix: &[u8],
    payload: &mut [u8],
    tag: &[u8],
) -> Result<EnvelopeHeader, ChannelError> {
    super::error::expect_len(prefix_len::<K>(), prefix.len())?;
    super::error::expect_len(TAG_LEN, tag.len())?;
    if payload.len() > policy.max_payload_len {
        return Err(ChannelError::Oversized {
            limit: policy.max_payload_len,
            got: payload.len(),
        });
    }
    let (head, ct) = prefix.split_at(HEADER_LEN);
    let header = check_header::<K>(head, policy, payload.len())?;
    guard.check(&header.replay_key())?;
    let ct = KemCiphertext::<K>::from_bytes(ct)?;
    let ss = sk.decapsulate(&ct);
    let mut head_arr = [0u8; HEADER_LEN];
    head_arr.copy_from_slice(head);
    let keys = AeadKeys::derive(
        &ss,
        header.direction,
        K::ID,
        ct.as_bytes(),
        sk.public_key().key_hash(),
        &head_arr,
    );
    let mut tag_arr = [0u8; TAG_LEN];
    tag_arr.copy_from_slice(tag);
    keys.cipher()
        .decrypt_inout_detached(&keys.nonce(), prefix, payload.into(), &tag_arr.into())
        .map_err(|_| ChannelError::DecryptionFailed)?;
    Ok(header)
}

/// Decodes the header and checks it against the opener's expectations.
fn check_header<K: ChannelKem>(
    head: &[u8],
    policy: &OpenPolicy,
    payload_len: usize,
) -> Result<EnvelopeHeader, ChannelError> {
    let header = EnvelopeHeader::decode(head)?;
    if header.kem_id != K::ID {
        return Err(ChannelError::KemMismatch {
            expected: K::ID,
            got: header.kem_id,
        });
    }
    if header.direction != policy.direction {
        return Err(ChannelError::WrongDirection {
            expected: policy.direction,
            got: header.direction,
        });
    }
    if header.round != policy.round {
        return Err(ChannelError::WrongRound {
            expected: policy.round,
            got: header.round,
        });
    }
    if header.payload_len != payload_len as u64 {
        return Err(ChannelError::LengthMismatch {
            declared: header.payload_len,
            actual: payload_len,
        });
    }
    Ok(header)
}

/// A whole-envelope buffer split into prefix, payload and tag.
struct Parts<'a> {
    prefix: &'a mut [u8],
    payload: &'a mut [u8],
    tag: &'a mut [u8],
}

/// Splits a whole-envelope buffer into prefix, payload and tag.
fn split_envelope<K: ChannelKem>(envelope: &mut [u8]) -> Result<Parts<'_>, ChannelError> {
    let needed = overhead::<K>();
    if envelope.len() < needed {
        return Err(ChannelError::Truncated {
            needed,
            got: envelope.len(),
        });
    }
    let (prefix, rest) = envelope.split_at_mut(prefix_len::<K>());
    let body_len = rest.len() - TAG_LEN;
    let (payload, tag) = rest.split_at_mut(body_len);
    Ok(Parts {
        prefix,
        payload,
        tag,
    })
}

/// Seals in place: `envelope` is [`envelope_len`] bytes with the plaintext payload already at
/// `[prefix_len .. len - TAG_LEN]`; the prefix and tag are written around it.
///
/// # Errors
/// `BufferTooSmall` if `envelope` is shorter than [`overhead`].
#[inline(never)]
pub fn seal_in_place<K: ChannelKem, R: CryptoRng + ?Sized>(
    recipient: &KemPublicKey<K>,
    ctx: &SealContext,
    envelope: &mut [u8],
    rng: &mut R,
) -> Result<(), ChannelError> {
    let got = envelope.len();
    let needed = overhead::<K>();
    let parts =
        split_envelope::<K>(envelope).map_err(|_| ChannelError::BufferTooSmall { needed, got })?;
    let t = seal_detached(recipient, ctx, parts.prefix, parts.payload, rng)?;
    parts.tag.copy_from_slice(&t);
    Ok(())
}

/// Opens a whole envelope in place; the returned payload borrows `envelope`. Same checks and guard
/// contract as [`open_detached`]; an envelope longer than the policy allows is refused before anything else.
///
/// # Errors
/// As [`open_detached`].
pub fn open_in_place<'a, K: ChannelKem, G: ReplayGuard + ?Sized>(
    sk: &KemSecretKey<K>,
    policy: &OpenPolicy,
    guard: &G,
    envelope: &'a mut [u8],
) -> Result<Opened<'a>, ChannelError> {
    let limit = policy.max_payload_len.saturating_add(overhead::<K>());
    if envelope.len() > limit {
        return Err(ChannelError::Oversized {
            limit,
            got: envelope.len(),
        });
    }
    let parts = split_envelope::<K>(envelope)?;
    let header = open_detached(sk, policy, guard, parts.prefix, parts.payload, parts.tag)?;
    Ok(Opened {
        header,
        payload: parts.payload,
    })
}

/// Seals a copy of `payload` into a new envelope.
///
/// # Errors
/// As [`seal_in_place`].
#[cfg(feature = "alloc")]
pub fn seal_to_vec<K: ChannelKem, R: CryptoRng + ?Sized>(
    recipient: &KemPublicKey<K>,
    ctx: &SealContext,
    payload: &[u8],
    rng: &mut R,
) -> Result<alloc::vec::Vec<u8>, ChannelError> {
    let len = envelope_len::<K>(payload.len()).ok_or(ChannelError::Oversized {
        limit: usize::MAX - overhead::<K>(),
        got: payload.len(),
    })?;
    let mut out = alloc::vec![0u8; len];
    out[prefix_len::<K>()..len - TAG_LEN].copy_from_slice(payload);
    seal_in_place(recipient, ctx, &mut out, rng)?;
    Ok(out)
}

/// Opens an envelope into a new payload vector; `envelope` is not modified.
///
/// # Errors
/// As [`open_in_place`].
#[cfg(feature = "alloc")]
pub fn open_to_vec<K: ChannelKem, G: ReplayGuard + ?Sized>(
    sk: &KemSecretKey<K>,
    policy: &OpenPolicy,
    guard: &G,
    envelope: &[u8],
) -> Result<(EnvelopeHeader, alloc::vec::Vec<u8>), ChannelError> {
    let limit = policy.max_payload_len.saturating_add(overhead::<K>());
    if envelope.len() > limit {
        return Err(ChannelError::Oversized {
            limit,
            got: envelope.len(),
        });
    }
    let needed = overhead::<K>();
    if envelope.len() < needed {
        return Err(ChannelError::Truncated {
            needed,
            got: envelope.len(),
        });
    }
    let (prefix, rest) = envelope.split_at(prefix_len::<K>());
    let (body, tag) = rest.split_at(rest.len() - TAG_LEN);
    let mut payload = body.to_vec();
    let header = open_detached(sk, policy, guard, prefix, &mut payload, tag)?;
    Ok((header, payload))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::channel::kem::MlKem768;
    use proptest::prelude::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn ctx() -> SealContext {
        SealContext {
            direction: Direction::ClinicToAggregator,
            round: RoundId(4),
            clinic: ClinicId(9),
            sequence: 2,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// The streamed seal writes the prefix, ciphertext and tag of `seal_detached` for the same RNG,
        /// whatever the pieces.
        #[test]
        fn streaming_seal_equals_detached(
            payload in proptest::collection::vec(any::<u8>(), 0..600),
            cut in any::<usize>(),
            seed in any::<u64>(),
        ) {
            let sk = KemSecretKey::<MlKem768>::generate(&mut ChaCha20Rng::seed_from_u64(1));
            let pk = sk.public_key();
            let mut want_prefix = [0u8; prefix_len::<MlKem768>()];
            let mut want = payload.clone();
            let want_tag = seal_detached(pk, &ctx(), &mut want_prefix, &mut want,
                &mut ChaCha20Rng::seed_from_u64(seed)).unwrap();
            let mut prefix = [0u8; prefix_len::<MlKem768>()];
            let mut got = payload.clone();
            let mut s = seal_streaming(pk, &ctx(), got.len(), &mut prefix,
                &mut ChaCha20Rng::seed_from_u64(seed)).unwrap();
            let (a, b) = got.split_at_mut(cut % (payload.len() + 1));
            s.encrypt(a).unwrap();
            s.encrypt(b).unwrap();
            prop_assert_eq!(s.finish().unwrap(), want_tag);
            prop_assert_eq!(&prefix[..], &want_prefix[..]);
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn streaming_seal_holds_to_the_declared_length() {
        let sk = KemSecretKey::<MlKem768>::generate(&mut ChaCha20Rng::seed_from_u64(1));
        let mut prefix = [0u8; prefix_len::<MlKem768>()];
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let mut s = seal_streaming(sk.public_key(), &ctx(), 10, &mut prefix, &mut rng).unwrap();
        assert!(matches!(
            s.encrypt(&mut [0u8; 11]),
            Err(ChannelError::LengthMismatch {
                declared: 10,
                actual: 11
            })
        ));
        s.encrypt(&mut [0u8; 9]).unwrap();
        assert!(matches!(
            s.finish(),
            Err(ChannelError::LengthMismatch {
                declared: 10,
                actual: 9
            })
        ));
    }
}
