//! The key directory written by `zkfl keygen` and read by `zkfl serve` and by clinics (docs/SERVICE.md
//! "Key directory"). Private keys are stored as FIPS seeds (ML-KEM `d‖z`, 64 bytes, FIPS 203 §7.1; ML-DSA
//! `ξ`, 32 bytes, FIPS 204 §5.1), files mode 0600, zeroized after use.
//!
//! ```text
//! <keys>/aggregator/kem-seed.bin     ML-KEM-768 seed (secret, aggregator only)
//! <keys>/aggregator/sign-seed.bin    ML-DSA-65 seed of the aggregator identity (secret)
//! <keys>/keyholder/bfv-secret.bin    BFV secret key (secret, key-holder process only)
//! <keys>/public/kem-ek.bin           ML-KEM-768 encapsulation key (1184 B)
//! <keys>/public/aggregator-vk.bin    ML-DSA-65 verifying key of the aggregator (1952 B)
//! <keys>/public/bfv-public.bin       BFV public key (zkfl_core::wire)
//! <keys>/public/roster.json          clinic ids and ML-DSA-65 verifying keys
//! <keys>/clinics/<id>/sign-seed.bin  clinic identity seed (secret, give to that clinic only)
//! <keys>/clinics/<id>/...            copies of the public files the clinic needs (pinned)
//! ```

use std::path::{Path, PathBuf};

use getrandom::rand_core::UnwrapErr;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;
use zkfl_core::channel::{
    Announcement, ClinicId, KemSecretKey, MlKem768, SigningKey, VerifyingKey,
};

/// A key-directory problem, with the path involved.
#[derive(Debug)]
pub struct KeyError(pub String);

impl core::fmt::Display for KeyError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for KeyError {}

/// Paths inside a key directory.
#[derive(Clone, Debug)]
pub struct KeyDir(pub PathBuf);

impl KeyDir {
    /// ML-KEM-768 seed of the aggregator.
    #[must_use]
    pub fn kem_seed(&self) -> PathBuf {
        self.0.join("aggregator/kem-seed.bin")
    }
    /// ML-DSA-65 seed of the aggregator.
    #[must_use]
    pub fn sign_seed(&self) -> PathBuf {
        self.0.join("aggregator/sign-seed.bin")
    }
    /// The admin token (hex, mode 0600): admin requests send it as `Authorization: Bearer <token>`.
    #[must_use]
    pub fn admin_token(&self) -> PathBuf {
        self.0.join("aggregator/admin-token")
    }
    /// The key holder's directory (BFV secret key and its decryption ledger).
    #[must_use]
    pub fn keyholder(&self) -> PathBuf {
        self.0.join("keyholder")
    }
    /// Public files.
    #[must_use]
    pub fn public(&self, name: &str) -> PathBuf {
        self.0.join("public").join(name)
    }
    /// One clinic's directory.
    #[must_use]
    pub fn clinic(&self, id: ClinicId) -> PathBuf {
        self.0.join("clinics").join(id.to_string())
    }
}

/// `public/roster.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Roster {
    /// Parameter-set name ("S" or "L").
    pub param_set: String,
    /// The clinics.
    pub clinics: Vec<RosterEntry>,
}

/// One roster entry.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct RosterEntry {
    /// Roster id (1-based).
    pub clinic_id: ClinicId,
    /// ML-DSA-65 verifying key, hex.
    pub verifying_key: String,
}

/// Reads a file, saying which one failed.
pub fn read(path: &Path) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|e| KeyError(format!("cannot read {}: {e}", path.display())))
}

/// Reads a secret file of exactly `N` bytes into a zeroizing buffer.
pub fn read_secret<const N: usize>(path: &Path) -> Result<Zeroizing<[u8; N]>, KeyError> {
    let bytes = Zeroizing::new(read(path)?);
    let mut out = Zeroizing::new([0u8; N]);
    if bytes.len() != N {
        return Err(KeyError(format!(
            "{} must hold {N} bytes, found {}",
            path.display(),
            bytes.len()
        )));
    }
    out.copy_from_slice(&bytes);
    Ok(out)
}

/// Writes a fresh random admin token (32 bytes from the OS, hex) to the key directory, mode 0600.
pub fn write_admin_token(dir: &KeyDir) -> Result<(), KeyError> {
    use getrandom::rand_core::TryRng as _;
    let mut raw = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::SysRng
        .try_fill_bytes(&mut *raw)
        .map_err(|e| KeyError(format!("OS randomness failed: {e}")))?;
    let token = zeroize::Zeroizing::new(hex::encode(*raw));
    write(&dir.admin_token(), token.as_bytes(), true)
}

/// The admin token of a key directory, created (mode 0600) if a key directory from an older `keygen` has
/// none. A token file readable by group or others is refused, like any other leaked secret.
pub fn admin_token(dir: &KeyDir) -> Result<zeroize::Zeroizing<String>, KeyError> {
    let path = dir.admin_token();
    if !path.exists() {
        write_admin_token(dir)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path)
            .map_err(|e| KeyError(format!("{}: {e}", path.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(KeyError(format!(
                "{} is readable by other users (mode {:o}); run chmod 600 on it",
                path.display(),
                mode & 0o777
            )));
        }
    }
    let text =
        std::fs::read_to_string(&path).map_err(|e| KeyError(format!("{}: {e}", path.display())))?;
    Ok(zeroize::Zeroizing::new(text.trim().to_owned()))
}

/// Writes a file, creating parent directories; secrets get mode 0600.
pub fn write(path: &Path, bytes: &[u8], secret: bool) -> Result<(), KeyError> {
    use std::io::Write as _;
    let err = |e: std::io::Error| KeyError(format!("cannot write {}: {e}", path.display()));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(err)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let _ = secret;
    opts.open(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .map_err(err)
}

/// An ML-DSA-65 identity (aggregator or clinic), zkfl-core's `channel::SigningKey`.
pub struct AggregatorIdentity(SigningKey);

impl AggregatorIdentity {
    /// From the 32-byte seed ξ (FIPS 204 Algorithm 6).
    #[must_use]
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_seed(seed))
    }

    /// Encoded verifying key (1952 bytes).
    #[must_use]
    pub fn verifying_key(&self) -> Vec<u8> {
        self.0.verifying_key().as_bytes().to_vec()
    }
}

impl crate::coordinator::AnnouncementSigner for AggregatorIdentity {
    fn sign(&self, announcement: &[u8]) -> Result<Vec<u8>, crate::error::PortError> {
        // Hedged ML-DSA (FIPS 204 §3.4) with OS randomness, over zkfl-core's announcement digest.
        let sig = Announcement::sign(&self.0, announcement, &mut UnwrapErr(getrandom::SysRng))
            .map_err(crate::error::PortError::Signing)?;
        Ok(sig.as_bytes().to_vec())
    }
}

/// Checks an ML-DSA-65 signature over a canonical round announcement (zkfl-core's
/// `channel::Announcement::verify`, what every clinic runs).
#[must_use]
pub fn verify_announcement(verifying_key: &[u8], announcement: &[u8], signature: &[u8]) -> bool {
    VerifyingKey::from_bytes(verifying_key)
        .is_ok_and(|vk| Announcement::verify(&vk, announcement, signature).is_ok())
}

/// The ML-KEM-768 encapsulation key for a decapsulation-key seed (FIPS 203 Algorithm 16).
#[must_use]
pub fn kem_encapsulation_key(seed: &[u8; 64]) -> Vec<u8> {
    let ek = KemSecretKey::<MlKem768>::from_seed(seed)
        .public_key()
        .to_bytes();
    <[u8]>::to_vec(ek.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coordinator::AnnouncementSigner as _;

    fn announcement(round: u64) -> Vec<u8> {
        crate::round::encode_announcement(&crate::round::sample_announcement(
            crate::round::RoundId(round),
            4,
        ))
    }

    #[test]
    fn announcements_verify_only_under_the_right_key_and_bytes() {
        let id = AggregatorIdentity::from_seed(&[7; 32]);
        let other = AggregatorIdentity::from_seed(&[8; 32]);
        let sig = id.sign(&announcement(1)).expect("sign");
        assert!(verify_announcement(
            &id.verifying_key(),
            &announcement(1),
            &sig
        ));
        assert!(!verify_announcement(
            &id.verifying_key(),
            &announcement(2),
            &sig
        ));
        assert!(!verify_announcement(
            &other.verifying_key(),
            &announcement(1),
            &sig
        ));
        assert!(!verify_announcement(
            &id.verifying_key(),
            &announcement(1),
            &sig[1..]
        ));
        assert!(id.sign(b"not an announcement").is_err());
    }

    #[test]
    fn kem_keys_have_the_fips_size() {
        assert_eq!(kem_encapsulation_key(&[1; 64]).len(), 1184);
        assert_eq!(
            AggregatorIdentity::from_seed(&[1; 32])
                .verifying_key()
                .len(),
            1952
        );
    }
}
