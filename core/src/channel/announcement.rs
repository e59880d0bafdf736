//! The signed round announcement (docs/API.md "canonical encoding", docs/CHANNEL.md §5): the canonical bytes
//! the aggregator signs when it opens a round, their decoding, and the ML-DSA-65 signature over them. The one
//! definition the aggregator (signing, storing), `zkfl clinic` and the browser page (checking, against the
//! pinned aggregator key) share, so a clinic takes τ, S, B_int, t, the key hashes and the model spec only from
//! bytes the aggregator signed, never from a JSON copy. No allocator: the decoded announcement borrows its
//! model spec from the bytes.
//!
//! Layout (little-endian): `"ZKFL-PQ round v1"` (16 bytes) ‖ `param_set_id` u8 ‖ `round` u64 ‖ `model_dim` u32 ‖
//! `model_sha3` [32] ‖ `norm_bound` f64 bits ‖ `scale` f64 bits ‖ `b_int` u64 ‖ `t` u64 ‖ `opened_at` u64 ‖
//! `deadline` u64 ‖ `kem_key_sha3` [32] ‖ `bfv_public_key_sha3` [32]. A round that announces its model starts
//! with `"ZKFL-PQ round v2"` instead and appends `spec_len` u16 ‖ the spec's canonical bytes (`zkfl_learn::spec`,
//! opaque here: the learning crate decodes it and checks its parameter count against `model_dim`).

use rand_core::CryptoRng;

use super::digest::AnnouncementDigest;
use super::identity::{Signature, SigningKey, VerifyingKey};
use super::ids::RoundId;

/// Domain separator of an announcement without a model spec.
pub const MAGIC_V1: &[u8; 16] = b"ZKFL-PQ round v1";
/// Domain separator of an announcement that carries its model spec.
pub const MAGIC_V2: &[u8; 16] = b"ZKFL-PQ round v2";
/// Length of the fixed fields (the whole v1 encoding).
pub const FIXED_LEN: usize = 16 + 1 + 8 + 4 + 32 + 8 + 8 + 8 + 8 + 8 + 8 + 32 + 32;
/// Longest model spec (its length is a u16).
pub const MAX_SPEC_LEN: usize = u16::MAX as usize;

/// What the aggregator signs when it opens a round. `Spec` holds the model spec: its canonical bytes
/// (`&[u8]`, the default, as decoded here without an allocator), or any decoded form a caller keeps
/// (the aggregator keeps `zkfl_learn::ModelSpec`, see [`Announcement::map_spec`]); the fields are defined
/// once, here.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Announcement<Spec = &'static [u8]> {
    /// Parameter-set id (`ParamSet::ID`).
    pub param_set_id: u8,
    /// Round number.
    pub round: RoundId,
    /// Number of model parameters.
    pub model_dim: u32,
    /// SHA3-256 of the global model bytes (little-endian f32).
    pub model_sha3: [u8; 32],
    /// Clip bound τ on the float update's ℓ2 norm.
    pub norm_bound: f64,
    /// Quantization scale S.
    pub scale: f64,
    /// The proven integer bound B_int on ‖m‖₂.
    pub b_int: u64,
    /// BFV plaintext modulus t.
    pub t: u64,
    /// When the round opened (Unix seconds).
    pub opened_at: u64,
    /// Deadline (Unix seconds).
    pub deadline: u64,
    /// SHA3-256 of the aggregator's ML-KEM encapsulation key.
    pub kem_key_sha3: [u8; 32],
    /// SHA3-256 of the BFV public key encoding.
    pub bfv_public_key_sha3: [u8; 32],
    /// The model spec (v2), or `None`: a bare parameter vector (v1).
    pub model_spec: Option<Spec>,
}

/// Why bytes are not a valid (signed) announcement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnnouncementError {
    /// Shorter or longer than the fields say.
    Length,
    /// Neither the v1 nor the v2 domain separator.
    Magic,
    /// A v2 announcement whose spec is empty or longer than [`MAX_SPEC_LEN`].
    SpecLength,
    /// The output buffer is shorter than [`Announcement::encoded_len`].
    Buffer,
    /// The signature is malformed or does not verify under the given key.
    Signature,
    /// Signing failed.
    Signing,
}

impl core::error::Error for AnnouncementError {}

impl core::fmt::Display for AnnouncementError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Length => "the round announcement has the wrong length",
            Self::Magic => "the round announcement does not start with the round-v1/v2 domain separator",
            Self::SpecLength => "the announced model spec is empty or too long",
            Self::Buffer => "the buffer is too short for the round announcement",
            Self::Signature => {
                "the round announcement's ML-DSA-65 signature does not verify under the aggregator key"
            }
            Self::Signing => "signing the round announcement failed",
        })
    }
}

impl<Spec> Announcement<Spec> {
    /// The same facts with the spec converted by `f` (e.g. decoded, or encoded back to bytes).
    pub fn map_spec<T, E>(
        &self,
        f: impl FnOnce(&Spec) -> Result<T, E>,
    ) -> Result<Announcement<T>, E> {
        Ok(Announcement {
            param_set_id: self.param_set_id,
            round: self.round,
            model_dim: self.model_dim,
            model_sha3: self.model_sha3,
            norm_bound: self.norm_bound,
            scale: self.scale,
            b_int: self.b_int,
            t: self.t,
            opened_at: self.opened_at,
            deadline: self.deadline,
            kem_key_sha3: self.kem_key_sha3,
            bfv_public_key_sha3: self.bfv_public_key_sha3,
            model_spec: self.model_spec.as_ref().map(f).transpose()?,
        })
    }
}

impl<Spec: AsRef<[u8]>> Announcement<Spec> {
    /// Length of the canonical encoding.
    #[must_use]
    pub fn encoded_len(&self) -> usize {
        FIXED_LEN + self.model_spec.as_ref().map_or(0, |s| 2 + s.as_ref().len())
    }

    /// Writes the canonical encoding into `out` and returns its length.
    pub fn encode(&self, out: &mut [u8]) -> Result<usize, AnnouncementError> {
        let len = self.encoded_len();
        let spec = self.model_spec.as_ref().map(AsRef::as_ref);
        if spec.is_some_and(|s: &[u8]| s.is_empty() || s.len() > MAX_SPEC_LEN) {
            return Err(AnnouncementError::SpecLength);
        }
        let mut w = Writer(out.get_mut(..len).ok_or(AnnouncementError::Buffer)?);
        w.put(if spec.is_some() { MAGIC_V2 } else { MAGIC_V1 });
        w.put(&[self.param_set_id]);
        w.put(&self.round.0.to_le_bytes());
        w.put(&self.model_dim.to_le_bytes());
        w.put(&self.model_sha3);
        w.put(&self.norm_bound.to_bits().to_le_bytes());
        w.put(&self.scale.to_bits().to_le_bytes());
        w.put(&self.b_int.to_le_bytes());
        w.put(&self.t.to_le_bytes());
        w.put(&self.opened_at.to_le_bytes());
        w.put(&self.deadline.to_le_bytes());
        w.put(&self.kem_key_sha3);
        w.put(&self.bfv_public_key_sha3);
        if let Some(spec) = spec {
            // Checked above: 1 ≤ len ≤ u16::MAX.
            #[allow(clippy::cast_possible_truncation)]
            w.put(&(spec.len() as u16).to_le_bytes());
            w.put(spec);
        }
        Ok(len)
    }

    /// The canonical encoding in a new vector.
    #[cfg(feature = "alloc")]
    pub fn to_vec(&self) -> Result<alloc::vec::Vec<u8>, AnnouncementError> {
        let mut out = alloc::vec![0u8; self.encoded_len()];
        self.encode(&mut out)?;
        Ok(out)
    }
}

impl<'a> Announcement<&'a [u8]> {
    /// Decodes the canonical encoding; every length is checked. Says nothing about who made it: a clinic
    /// uses [`Announcement::verify`].
    pub fn decode(bytes: &'a [u8]) -> Result<Self, AnnouncementError> {
        let mut r = Reader(bytes);
        let v2 = match &r.take::<16>()? {
            m if m == MAGIC_V1 => false,
            m if m == MAGIC_V2 => true,
            _ => return Err(AnnouncementError::Magic),
        };
        let mut a = Self {
            param_set_id: r.take::<1>()?[0],
            round: RoundId(u64::from_le_bytes(r.take()?)),
            model_dim: u32::from_le_bytes(r.take()?),
            model_sha3: r.take()?,
            norm_bound: f64::from_bits(u64::from_le_bytes(r.take()?)),
            scale: f64::from_bits(u64::from_le_bytes(r.take()?)),
            b_int: u64::from_le_bytes(r.take()?),
            t: u64::from_le_bytes(r.take()?),
            opened_at: u64::from_le_bytes(r.take()?),
            deadline: u64::from_le_bytes(r.take()?),
            kem_key_sha3: r.take()?,
            bfv_public_key_sha3: r.take()?,
            model_spec: None,
        };
        if v2 {
            let len = usize::from(u16::from_le_bytes(r.take()?));
            if len == 0 {
                return Err(AnnouncementError::SpecLength);
            }
            a.model_spec = Some(r.0);
            if r.0.len() != len {
                return Err(AnnouncementError::Length);
            }
        } else if !r.0.is_empty() {
            return Err(AnnouncementError::Length);
        }
        Ok(a)
    }

    /// Decodes `bytes` and checks the aggregator's ML-DSA-65 `signature` over them (context
    /// `"ZKFL-PQ/v1/round-announcement"`, [`AnnouncementDigest`] of param-set id, round and bytes) under
    /// `key`, the clinic's pinned aggregator key. Only the returned facts are to be used.
    pub fn verify(
        key: &VerifyingKey,
        bytes: &'a [u8],
        signature: &[u8],
    ) -> Result<Self, AnnouncementError> {
        let a = Self::decode(bytes)?;
        let sig = Signature::from_bytes(signature).map_err(|_| AnnouncementError::Signature)?;
        key.verify_announcement(&digest(&a, bytes), &sig)
            .map_err(|_| AnnouncementError::Signature)?;
        Ok(a)
    }

    /// Signs canonical announcement bytes (hedged ML-DSA-65 with `rng`); refuses bytes that do not decode.
    pub fn sign<R: CryptoRng + ?Sized>(
        key: &SigningKey,
        bytes: &[u8],
        rng: &mut R,
    ) -> Result<Signature, AnnouncementError> {
        let a = Announcement::decode(bytes)?;
        key.sign_announcement(&digest(&a, bytes), rng)
            .map_err(|_| AnnouncementError::Signing)
    }
}

fn digest<Spec>(a: &Announcement<Spec>, bytes: &[u8]) -> AnnouncementDigest {
    AnnouncementDigest::new(a.param_set_id, a.round, bytes)
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const K: usize>(&mut self) -> Result<[u8; K], AnnouncementError> {
        let (head, rest) = self
            .0
            .split_first_chunk::<K>()
            .ok_or(AnnouncementError::Length)?;
        self.0 = rest;
        Ok(*head)
    }
}

/// Writes into a buffer of exactly the encoded length.
struct Writer<'a>(&'a mut [u8]);

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) {
        let (head, rest) = core::mem::take(&mut self.0).split_at_mut(bytes.len());
        head.copy_from_slice(bytes);
        self.0 = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    const SPEC: &[u8] = &[3, 39, 0, 0, 0];

    fn sample(spec: Option<&[u8]>) -> Announcement<&[u8]> {
        Announcement {
            param_set_id: 1,
            round: RoundId(7),
            model_dim: 39,
            model_sha3: [3; 32],
            norm_bound: 5.0,
            scale: 4096.0,
            b_int: 2_726,
            t: 27_261,
            opened_at: 1_000,
            deadline: 1_600,
            kem_key_sha3: [4; 32],
            bfv_public_key_sha3: [5; 32],
            model_spec: spec,
        }
    }

    fn encode(a: &Announcement<&[u8]>) -> ([u8; 256], usize) {
        let mut buf = [0u8; 256];
        let n = a.encode(&mut buf).expect("encode");
        (buf, n)
    }

    fn signed(a: &Announcement<&[u8]>) -> (([u8; 256], usize), Signature, VerifyingKey) {
        let key = SigningKey::from_seed(&[9; 32]);
        let (buf, n) = encode(a);
        let sig = Announcement::sign(&key, &buf[..n], &mut ChaCha20Rng::from_seed([1; 32]))
            .expect("sign");
        ((buf, n), sig, key.verifying_key())
    }

    #[test]
    fn v1_and_v2_round_trip() {
        for spec in [None, Some(SPEC)] {
            let a = sample(spec);
            let (buf, n) = encode(&a);
            assert_eq!(n, a.encoded_len());
            assert_eq!(&buf[..16], if spec.is_some() { MAGIC_V2 } else { MAGIC_V1 });
            assert_eq!(Announcement::decode(&buf[..n]), Ok(a));
        }
        assert_eq!(sample(None).encoded_len(), FIXED_LEN);
        assert_eq!(sample(Some(SPEC)).encoded_len(), FIXED_LEN + 2 + SPEC.len());
    }

    #[test]
    fn every_malformed_input_is_a_typed_error() {
        use AnnouncementError as E;
        let (v1, n1) = encode(&sample(None));
        let (v2, n2) = encode(&sample(Some(SPEC)));
        for n in 0..n1 {
            assert_eq!(
                Announcement::decode(&v1[..n]),
                Err(E::Length),
                "v1 cut at {n}"
            );
        }
        for n in 0..n2 {
            assert!(Announcement::decode(&v2[..n]).is_err(), "v2 cut at {n}");
        }
        assert_eq!(
            Announcement::decode(&v1[..=n1]),
            Err(E::Length),
            "v1 + a byte"
        );
        assert_eq!(
            Announcement::decode(&v2[..=n2]),
            Err(E::Length),
            "v2 + a byte"
        );
        let mut bad = v1;
        bad[15] ^= 1;
        assert_eq!(Announcement::decode(&bad[..n1]), Err(E::Magic));
        let mut empty = v2;
        empty[FIXED_LEN..FIXED_LEN + 2].fill(0);
        assert_eq!(
            Announcement::decode(&empty[..FIXED_LEN + 2]),
            Err(E::SpecLength)
        );
        assert_eq!(
            sample(Some(&[])).encode(&mut [0u8; 256]),
            Err(E::SpecLength)
        );
        assert_eq!(sample(Some(SPEC)).encode(&mut [0u8; 100]), Err(E::Buffer));
        assert_eq!(
            Announcement::sign(
                &SigningKey::from_seed(&[9; 32]),
                b"not an announcement",
                &mut ChaCha20Rng::from_seed([1; 32])
            ),
            Err(E::Magic)
        );
    }

    #[test]
    fn a_signed_announcement_verifies_and_a_tampered_field_or_spec_does_not() {
        let a = sample(Some(SPEC));
        let ((buf, n), sig, vk) = signed(&a);
        let bytes = &buf[..n];
        assert_eq!(Announcement::verify(&vk, bytes, sig.as_bytes()), Ok(a));
        // Every field matters: the spec (its last byte), τ (61), B_int (77), t (85), the KEM and BFV key
        // hashes (120, 172), the round (17).
        for i in [n - 1, 61, 77, 85, 120, FIXED_LEN - 1, 17] {
            let mut t = buf;
            t[i] ^= 1;
            assert_eq!(
                Announcement::verify(&vk, &t[..n], sig.as_bytes()),
                Err(AnnouncementError::Signature),
                "byte {i} flipped"
            );
        }
        // Another spec of the same length, re-encoded: not what was signed.
        let other = sample(Some(&[3, 40, 0, 0, 0]));
        let (o, m) = encode(&other);
        assert_eq!(
            Announcement::verify(&vk, &o[..m], sig.as_bytes()),
            Err(AnnouncementError::Signature)
        );
        let wrong = SigningKey::from_seed(&[8; 32]).verifying_key();
        assert_eq!(
            Announcement::verify(&wrong, bytes, sig.as_bytes()),
            Err(AnnouncementError::Signature)
        );
        assert_eq!(
            Announcement::verify(&vk, bytes, &sig.as_bytes()[1..]),
            Err(AnnouncementError::Signature)
        );
        assert_eq!(
            Announcement::verify(&vk, &buf[..n - 1], sig.as_bytes()),
            Err(AnnouncementError::Length)
        );
    }

    proptest::proptest! {
        #[test]
        fn any_announcement_round_trips(
            fields in proptest::array::uniform8(proptest::prelude::any::<u64>()),
            hashes in proptest::array::uniform3(proptest::array::uniform32(proptest::prelude::any::<u8>())),
            spec in proptest::option::of(proptest::collection::vec(proptest::prelude::any::<u8>(), 1..64)),
        ) {
            let a = Announcement {
                param_set_id: fields[0] as u8,
                round: RoundId(fields[1]),
                model_dim: fields[2] as u32,
                model_sha3: hashes[0],
                norm_bound: f64::from_bits(fields[3]),
                scale: f64::from_bits(fields[4]),
                b_int: fields[5],
                t: fields[6],
                opened_at: fields[7],
                deadline: fields[7].wrapping_add(1),
                kem_key_sha3: hashes[1],
                bfv_public_key_sha3: hashes[2],
                model_spec: spec.as_deref(),
            };
            let mut buf = [0u8; 256];
            let n = a.encode(&mut buf).expect("encode");
            let b = Announcement::decode(&buf[..n]).expect("decode");
            // Compare through the bits: NaN ≠ NaN as f64.
            proptest::prop_assert_eq!(b.norm_bound.to_bits(), a.norm_bound.to_bits());
            proptest::prop_assert_eq!(b.scale.to_bits(), a.scale.to_bits());
            proptest::prop_assert_eq!(
                Announcement { norm_bound: 0.0, scale: 0.0, ..b },
                Announcement { norm_bound: 0.0, scale: 0.0, ..a }
            );
        }

        #[test]
        fn arbitrary_bytes_decode_or_give_a_typed_error(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            v2 in proptest::prelude::any::<bool>(),
        ) {
            let mut b = bytes;
            if b.len() >= 16 {
                b[..16].copy_from_slice(if v2 { MAGIC_V2 } else { MAGIC_V1 });
            }
            if let Ok(a) = Announcement::decode(&b) {
                proptest::prop_assert_eq!(a.encoded_len(), b.len());
            }
        }
    }
}
