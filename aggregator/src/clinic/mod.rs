//! The clinic side against a real `zkfl serve` (docs/API.md): a clinic's own keys from `zkfl keygen`, and the
//! round as the core pipeline (`zkfl_core::clinic`) sees it, built only from a round announcement whose
//! signature was checked with the pinned aggregator key and from a served BFV key whose hash is the
//! announced one. Used by `zkfl clinic` and by the demo's clinics.

use std::path::Path;

use zkfl_core::channel::{ClinicId, KemPublicKey, MlKem768, SigningKey};
use zkfl_core::clinic::{PublicKey, Round, RoundTerms};

use crate::round::Announcement;

/// One clinic's own keys (`keys/clinics/<id>` from `zkfl keygen`).
pub struct ClinicKeys {
    /// Roster id.
    pub id: ClinicId,
    /// The clinic's ML-DSA-65 signing key.
    pub sign: SigningKey,
    /// The pinned aggregator ML-KEM-768 encapsulation key (submissions are sealed to it).
    pub kem: KemPublicKey<MlKem768>,
    /// The pinned aggregator ML-DSA-65 verifying key (checks round announcements).
    pub aggregator_vk: Vec<u8>,
}

impl ClinicKeys {
    /// Loads clinic `id` from the key directory `keys` (the directory `zkfl keygen` wrote).
    pub fn load(keys: &Path, id: ClinicId) -> Result<Self, String> {
        Self::load_dir(&keys.join(format!("clinics/{id}")), id)
    }

    /// Loads a clinic's own key directory (`sign-seed.bin`, `kem-ek.bin`, `aggregator-vk.bin`) as clinic `id`.
    pub fn load_dir(dir: &Path, id: ClinicId) -> Result<Self, String> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| format!("{}/{name}: {e}", dir.display()))
        };
        let seed = zeroize::Zeroizing::new(read("sign-seed.bin")?);
        Ok(Self {
            id,
            sign: SigningKey::from_bytes(&seed).map_err(|e| format!("clinic {id} key: {e}"))?,
            kem: KemPublicKey::<MlKem768>::from_bytes(&read("kem-ek.bin")?)
                .map_err(|e| format!("clinic {id} pinned KEM key: {e}"))?,
            aggregator_vk: read("aggregator-vk.bin")?,
        })
    }
}

/// The pipeline's terms from a verified announcement.
#[must_use]
pub fn terms(a: &Announcement) -> RoundTerms {
    RoundTerms {
        param_set_id: a.param_set_id,
        round: a.round.0,
        model_dim: a.model_dim,
        norm_bound: a.norm_bound,
        scale: a.scale,
        b_int: a.b_int,
        t: a.t,
        bfv_public_key_sha3: a.bfv_public_key_sha3,
    }
}

/// The core pipeline's round for verified announcement `a`, the served key `pk` and the clinic's pinned KEM
/// key; refuses a key that is not the announced one and a B_int or t that does not follow from τ and S.
pub fn round(a: &Announcement, pk: &PublicKey, keys: &ClinicKeys) -> Result<Round, String> {
    Round::new(terms(a), pk.clone(), keys.kem.clone())
        .map_err(|e| format!("round {}: {e}", a.round))
}
