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

/// The core pipeline's round for verified announcement `a`, the served key `pk` and the clinic's pinned KEM
/// key; refuses a key that is not the announced one and a B_int or t that does not follow from τ and S.
pub fn round(a: &Announcement, pk: &PublicKey, keys: &ClinicKeys) -> Result<Round, String> {
    Round::new(RoundTerms::of(a), pk.clone(), keys.kem.clone())
        .map_err(|e| format!("round {}: {e}", a.round))
}

/// Threshold mode (docs/THRESHOLD.md §16.1 item 3): accepts the served committee key for round `a` only if all
/// n members' certificate signatures (`committee`: the `GET /v1/keys/committee` body) verify, under the
/// clinic's own copy of the committee roster (`roster`: the `committee-roster.json` `zkfl keygen` wrote into the
/// clinic's directory), for the key identity the clinic computes itself from the served key bytes and the
/// round's (t, B_int) (`threshold::certificate::check`). The aggregator cannot produce these signatures for a
/// key of its own.
///
/// # Errors
/// Why the key is refused, in words.
pub fn check_committee_key(
    roster: &[u8],
    served: &[u8],
    a: &Announcement,
    committee: &serde_json::Value,
) -> Result<(), String> {
    use zkfl_core::channel::identity::Signature;
    use zkfl_core::params::{ParamSet, SetL};
    use zkfl_core::threshold::aggregate::RoundKey;
    use zkfl_core::threshold::certificate::{self, KeySignature};
    use zkfl_core::wire::bfv::{KIND_PUBLIC_KEY, decode_public_key, read_header};
    type M = <SetL as ParamSet>::M;
    const N: usize = SetL::N;
    let refuse = |why: String| format!("the committee key is refused: {why}");
    let roster = crate::committee::roster::CommitteeRoster::parse(roster)
        .map_err(|e| refuse(format!("this clinic's committee roster: {e}")))?;
    let epoch = roster.epoch().map_err(|e| refuse(e.to_string()))?;
    let keys = roster.verifying_keys().map_err(|e| refuse(e.to_string()))?;
    if a.param_set_id != SetL::ID {
        return Err(refuse(format!(
            "threshold mode runs on set L; round {} announces set {}",
            a.round, a.param_set_id
        )));
    }
    let chunks = read_header::<SetL>(served, KIND_PUBLIC_KEY)
        .map_err(|e| refuse(format!("served key: {e}")))?
        .chunks;
    let mut pa = Box::new(zkfl_core::ring::Poly::<M, N>::zero());
    let mut pb = vec![zkfl_core::ring::Poly::<M, N>::zero(); chunks];
    decode_public_key::<SetL, N>(served, &mut pa, &mut pb)
        .map_err(|e| refuse(format!("served key: {e}")))?;
    let b: Vec<_> = pb.iter().map(|p| p.coeffs).collect();
    let key_id = RoundKey::<M, N> {
        set_id: SetL::ID,
        a: &pa.coeffs,
        b: &b,
        epoch: epoch.epoch,
        round: a.round.0,
        t: a.t,
        bound: a.b_int,
    }
    .id();
    let signatures = committee["certificate"]
        .as_array()
        .ok_or_else(|| refuse("the service serves no certificate".into()))?
        .iter()
        .map(|s| {
            let member = s["member"]
                .as_u64()
                .and_then(|m| u8::try_from(m).ok())
                .ok_or("a certificate entry without its member")?;
            let bytes = s["signature"]
                .as_str()
                .and_then(|h| hex::decode(h).ok())
                .ok_or("a certificate signature that is not hex")?;
            let signature =
                Signature::from_bytes(&bytes).map_err(|_| "a malformed certificate signature")?;
            Ok(KeySignature { member, signature })
        })
        .collect::<Result<Vec<_>, &str>>()
        .map_err(|e| refuse(e.to_owned()))?;
    certificate::check(&epoch, &keys, &key_id, &signatures).map_err(|e| {
        refuse(format!(
            "its certificate does not carry all {} members' signatures under this clinic's roster ({e})",
            epoch.committee.members()
        ))
    })
}

/// The committee roster file in a clinic's directory, if the clinic was set up for threshold mode.
#[must_use]
pub fn committee_roster(clinic_dir: &Path) -> Option<Vec<u8>> {
    std::fs::read(clinic_dir.join(crate::commands::keygen::ROSTER_FILE)).ok()
}
