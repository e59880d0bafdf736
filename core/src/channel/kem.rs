//! ML-KEM (FIPS 203) wrapped in the channel's own key types (docs/CHANNEL.md §2).
//!
//! The parameter set is a type (`MlKem768`, the default, or `MlKem1024`), so a key of one set can never be
//! used to open an envelope of the other. Secret keys are stored as the 64-byte FIPS 203 seed `d ‖ z`
//! (the form FIPS 203 §7.1 recommends for storage) and wiped on drop.

use core::fmt;

use ml_kem::kem::{Decapsulate, Encapsulate, KeyExport};
use rand_core::CryptoRng;
use sha3::{Digest, Sha3_256};
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::error::{ChannelError, expect_len};

pub use ml_kem::{MlKem768, MlKem1024};

/// Length of an ML-KEM secret key seed `d ‖ z` (FIPS 203 Algorithm 19).
pub const KEM_SEED_LEN: usize = 64;
/// Length of an ML-KEM shared secret.
pub const SHARED_SECRET_LEN: usize = 32;
/// Length of the recipient key hash `H(ek) = SHA3-256(ek)` (FIPS 203 §4.1).
pub const KEY_HASH_LEN: usize = 32;

mod sealed {
    pub trait Sealed {}
}

/// An ML-KEM parameter set usable for envelopes. Implemented for [`MlKem768`] and [`MlKem1024`] only.
pub trait ChannelKem: sealed::Sealed + Copy + fmt::Debug + Default + 'static {
    /// KEM id byte in the envelope header.
    const ID: u8;
    /// Name as in FIPS 203.
    const NAME: &'static str;
    /// Length of an encoded encapsulation key.
    const ENCAPSULATION_KEY_LEN: usize;
    /// Length of a KEM ciphertext.
    const CIPHERTEXT_LEN: usize;
    /// The `ml-kem` encapsulation key.
    #[doc(hidden)]
    type Ek: Clone;
    /// The `ml-kem` decapsulation key.
    #[doc(hidden)]
    type Dk;
    /// Fixed-size encapsulation-key bytes.
    #[doc(hidden)]
    type EkBytes: AsRef<[u8]> + Clone;
    /// Fixed-size ciphertext bytes.
    #[doc(hidden)]
    type CtBytes: AsRef<[u8]> + Clone;
    #[doc(hidden)]
    fn dk_from_seed(seed: &[u8; KEM_SEED_LEN]) -> Self::Dk;
    #[doc(hidden)]
    fn dk_ek(dk: &Self::Dk) -> &Self::Ek;
    #[doc(hidden)]
    fn ek_from_bytes(bytes: &[u8]) -> Result<Self::Ek, ChannelError>;
    #[doc(hidden)]
    fn ek_to_bytes(ek: &Self::Ek) -> Self::EkBytes;
    #[doc(hidden)]
    fn ct_from_bytes(bytes: &[u8]) -> Result<Self::CtBytes, ChannelError>;
    #[doc(hidden)]
    fn encapsulate<R: CryptoRng + ?Sized>(
        ek: &Self::Ek,
        rng: &mut R,
    ) -> (Self::CtBytes, SharedSecret);
    #[doc(hidden)]
    fn decapsulate(dk: &Self::Dk, ct: &Self::CtBytes) -> SharedSecret;
}

/// Moves an `ml-kem` shared key into our zeroizing type and wipes the original.
fn take_shared(mut k: ml_kem::SharedKey) -> SharedSecret {
    let mut out = SharedSecret([0u8; SHARED_SECRET_LEN]);
    out.0.copy_from_slice(k.as_slice());
    k.as_mut_slice().zeroize();
    out
}

macro_rules! channel_kem {
    ($marker:ty, $id:expr, $name:expr, $ek_len:expr, $ct_len:expr) => {
        impl sealed::Sealed for $marker {}

        impl ChannelKem for $marker {
            const ID: u8 = $id;
            const NAME: &'static str = $name;
            const ENCAPSULATION_KEY_LEN: usize = $ek_len;
            const CIPHERTEXT_LEN: usize = $ct_len;
            type Ek = ml_kem::EncapsulationKey<$marker>;
            type Dk = ml_kem::DecapsulationKey<$marker>;
            type EkBytes = ml_kem::kem::Key<ml_kem::EncapsulationKey<$marker>>;
            type CtBytes = ml_kem::Ciphertext<$marker>;

            fn dk_from_seed(seed: &[u8; KEM_SEED_LEN]) -> Self::Dk {
                ml_kem::DecapsulationKey::<$marker>::from_seed(ml_kem::Seed::from(*seed))
            }

            fn dk_ek(dk: &Self::Dk) -> &Self::Ek {
                dk.encapsulation_key()
            }

            fn ek_from_bytes(bytes: &[u8]) -> Result<Self::Ek, ChannelError> {
                expect_len($ek_len, bytes.len())?;
                let arr = Self::EkBytes::try_from(bytes).map_err(|_| ChannelError::InvalidKey)?;
                ml_kem::EncapsulationKey::<$marker>::new(&arr).map_err(|_| ChannelError::InvalidKey)
            }

            fn ek_to_bytes(ek: &Self::Ek) -> Self::EkBytes {
                ek.to_bytes()
            }

            fn ct_from_bytes(bytes: &[u8]) -> Result<Self::CtBytes, ChannelError> {
                expect_len($ct_len, bytes.len())?;
                Self::CtBytes::try_from(bytes).map_err(|_| ChannelError::Truncated {
                    needed: $ct_len,
                    got: bytes.len(),
                })
            }

            fn encapsulate<R: CryptoRng + ?Sized>(
                ek: &Self::Ek,
                rng: &mut R,
            ) -> (Self::CtBytes, SharedSecret) {
                let (ct, k) = ek.encapsulate_with_rng(rng);
                (ct, take_shared(k))
            }

            fn decapsulate(dk: &Self::Dk, ct: &Self::CtBytes) -> SharedSecret {
                take_shared(dk.decapsulate(ct))
            }
        }
    };
}

channel_kem!(MlKem768, 1, "ML-KEM-768", 1184, 1088);
channel_kem!(MlKem1024, 2, "ML-KEM-1024", 1568, 1568);

/// The 32-byte ML-KEM shared secret; wiped on drop, compared only in constant time.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SharedSecret([u8; SHARED_SECRET_LEN]);

impl SharedSecret {
    /// The secret bytes (feed them to the KDF, never to a log).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; SHARED_SECRET_LEN] {
        &self.0
    }
}

impl ConstantTimeEq for SharedSecret {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.0.ct_eq(&other.0)
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

/// A recipient's ML-KEM encapsulation key with its hash `H(ek)`.
pub struct KemPublicKey<K: ChannelKem> {
    ek: K::Ek,
    hash: [u8; KEY_HASH_LEN],
}

impl<K: ChannelKem> KemPublicKey<K> {
    fn from_ek(ek: K::Ek) -> Self {
        let hash = Sha3_256::digest(K::ek_to_bytes(&ek).as_ref()).into();
        Self { ek, hash }
    }

    /// Decodes an encapsulation key, applying the FIPS 203 §7.2 input check (every coefficient < q).
    ///
    /// # Errors
    /// `Truncated`/`Oversized` for a wrong length, `InvalidKey` if the modulus check fails.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChannelError> {
        K::ek_from_bytes(bytes).map(Self::from_ek)
    }

    /// The encoded encapsulation key (`K::ENCAPSULATION_KEY_LEN` bytes).
    #[must_use]
    pub fn to_bytes(&self) -> K::EkBytes {
        K::ek_to_bytes(&self.ek)
    }

    /// `H(ek) = SHA3-256(ek)`, bound into the KDF so an envelope opens only for the intended key.
    #[must_use]
    pub fn key_hash(&self) -> &[u8; KEY_HASH_LEN] {
        &self.hash
    }

    pub(crate) fn encapsulate<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
    ) -> (KemCiphertext<K>, SharedSecret) {
        let (ct, ss) = K::encapsulate(&self.ek, rng);
        (KemCiphertext { bytes: ct }, ss)
    }
}

impl<K: ChannelKem> Clone for KemPublicKey<K> {
    fn clone(&self) -> Self {
        Self {
            ek: self.ek.clone(),
            hash: self.hash,
        }
    }
}

impl<K: ChannelKem> PartialEq for KemPublicKey<K> {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash
    }
}

impl<K: ChannelKem> Eq for KemPublicKey<K> {}

// The key bytes are summarized by their hash on purpose (1,184 bytes of hex help nobody).
#[allow(clippy::missing_fields_in_debug)]
impl<K: ChannelKem> fmt::Debug for KemPublicKey<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KemPublicKey")
            .field("kem", &K::NAME)
            .field("hash", &self.hash)
            .finish()
    }
}

/// A recipient's ML-KEM decapsulation key, kept with its 64-byte seed. Wiped on drop.
pub struct KemSecretKey<K: ChannelKem> {
    seed: Zeroizing<[u8; KEM_SEED_LEN]>,
    dk: K::Dk,
    public: KemPublicKey<K>,
}

impl<K: ChannelKem> KemSecretKey<K> {
    /// FIPS 203 Algorithm 16 `ML-KEM.KeyGen_internal(d, z)` from the seed `d ‖ z`.
    #[must_use]
    pub fn from_seed(seed: &[u8; KEM_SEED_LEN]) -> Self {
        let dk = K::dk_from_seed(seed);
        let public = KemPublicKey::from_ek(K::dk_ek(&dk).clone());
        Self {
            seed: Zeroizing::new(*seed),
            dk,
            public,
        }
    }

    /// FIPS 203 Algorithm 19 `ML-KEM.KeyGen`: draws `d` then `z` (32 bytes each) from `rng`.
    #[must_use]
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; KEM_SEED_LEN]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(&seed)
    }

    /// Decodes a 64-byte seed.
    ///
    /// # Errors
    /// `Truncated`/`Oversized` unless exactly [`KEM_SEED_LEN`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChannelError> {
        expect_len(KEM_SEED_LEN, bytes.len())?;
        let mut seed = Zeroizing::new([0u8; KEM_SEED_LEN]);
        seed.copy_from_slice(bytes);
        Ok(Self::from_seed(&seed))
    }

    /// The seed `d ‖ z` (secret; wiped when the returned value drops).
    #[must_use]
    pub fn to_bytes(&self) -> Zeroizing<[u8; KEM_SEED_LEN]> {
        self.seed.clone()
    }

    /// The matching encapsulation key.
    #[must_use]
    pub fn public_key(&self) -> &KemPublicKey<K> {
        &self.public
    }

    /// FIPS 203 Algorithm 21 `ML-KEM.Decaps`. Never fails: a mauled ciphertext yields the implicit-rejection
    /// key `J(z ‖ c)`, which the AEAD then rejects.
    #[must_use]
    pub fn decapsulate(&self, ct: &KemCiphertext<K>) -> SharedSecret {
        K::decapsulate(&self.dk, &ct.bytes)
    }
}

impl<K: ChannelKem> ConstantTimeEq for KemSecretKey<K> {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.seed.as_ref().ct_eq(other.seed.as_ref())
    }
}

impl<K: ChannelKem> fmt::Debug for KemSecretKey<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KemSecretKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// An ML-KEM ciphertext of parameter set `K`.
pub struct KemCiphertext<K: ChannelKem> {
    bytes: K::CtBytes,
}

impl<K: ChannelKem> KemCiphertext<K> {
    /// Decodes a ciphertext (any bytes of the right length are a ciphertext, FIPS 203 §7.3).
    ///
    /// # Errors
    /// `Truncated`/`Oversized` unless exactly `K::CIPHERTEXT_LEN` bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ChannelError> {
        K::ct_from_bytes(bytes).map(|bytes| Self { bytes })
    }

    /// The ciphertext bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_ref()
    }
}

impl<K: ChannelKem> Clone for KemCiphertext<K> {
    fn clone(&self) -> Self {
        Self {
            bytes: self.bytes.clone(),
        }
    }
}

impl<K: ChannelKem> fmt::Debug for KemCiphertext<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KemCiphertext")
            .field("kem", &K::NAME)
            .finish_non_exhaustive()
    }
}

/// Encapsulates to `pk` and returns the ciphertext and shared secret (FIPS 203 Algorithm 20
/// `ML-KEM.Encaps`, drawing the 32-byte message `m` from `rng`).
pub fn encapsulate<K: ChannelKem, R: CryptoRng + ?Sized>(
    pk: &KemPublicKey<K>,
    rng: &mut R,
) -> (KemCiphertext<K>, SharedSecret) {
    pk.encapsulate(rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn round_trip<K: ChannelKem>() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let sk = KemSecretKey::<K>::generate(&mut rng);
        let (ct, ss) = encapsulate(sk.public_key(), &mut rng);
        assert_eq!(ct.as_bytes().len(), K::CIPHERTEXT_LEN);
        assert!(bool::from(sk.decapsulate(&ct).ct_eq(&ss)));
        let pk_bytes = sk.public_key().to_bytes();
        assert_eq!(pk_bytes.as_ref().len(), K::ENCAPSULATION_KEY_LEN);
        let pk2 = KemPublicKey::<K>::from_bytes(pk_bytes.as_ref()).unwrap();
        assert_eq!(&pk2, sk.public_key());
        let sk2 = KemSecretKey::<K>::from_bytes(sk.to_bytes().as_ref()).unwrap();
        assert!(bool::from(sk2.ct_eq(&sk)));
    }

    #[test]
    fn kem_round_trips() {
        round_trip::<MlKem768>();
        round_trip::<MlKem1024>();
    }

    #[test]
    fn wrong_lengths_are_typed_errors() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let sk = KemSecretKey::<MlKem768>::generate(&mut rng);
        let pk = sk.public_key().to_bytes();
        assert!(matches!(
            KemPublicKey::<MlKem768>::from_bytes(&pk[..1183]),
            Err(ChannelError::Truncated {
                needed: 1184,
                got: 1183
            })
        ));
        assert!(matches!(
            KemPublicKey::<MlKem1024>::from_bytes(pk.as_ref()),
            Err(ChannelError::Truncated { .. })
        ));
        assert!(matches!(
            KemSecretKey::<MlKem768>::from_bytes(&[0u8; 65]),
            Err(ChannelError::Oversized { .. })
        ));
        assert!(matches!(
            KemCiphertext::<MlKem768>::from_bytes(&[0u8; 10]),
            Err(ChannelError::Truncated { .. })
        ));
    }

    #[test]
    fn unreduced_encapsulation_key_is_rejected() {
        // Coefficient 0xFFF >= q = 3329 in the first 12-bit slot fails the FIPS 203 §7.2 modulus check.
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let sk = KemSecretKey::<MlKem768>::generate(&mut rng);
        let mut pk = [0u8; 1184];
        pk.copy_from_slice(sk.public_key().to_bytes().as_ref());
        pk[0] = 0xff;
        pk[1] |= 0x0f;
        assert!(matches!(
            KemPublicKey::<MlKem768>::from_bytes(&pk),
            Err(ChannelError::InvalidKey)
        ));
    }
}
