//! `zkfl keygen`: writes a key directory (layout in `crate::keys`): the aggregator's ML-KEM-768 and ML-DSA-65
//! keys, the BFV key pair for the key holder, and ML-DSA-65 identities for N clinics with the roster.

use std::path::PathBuf;

use getrandom::rand_core::{TryRng as _, UnwrapErr};
use zeroize::Zeroizing;

use crate::keys::{
    AggregatorIdentity, KeyDir, KeyError, Roster, RosterEntry, kem_encapsulation_key, write,
};
use crate::model::SetLimits;
use crate::round::ClinicId;

/// Arguments of `zkfl keygen`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Output directory (e.g. zkfl-data/keys).
    #[arg(long)]
    pub out: PathBuf,
    /// Number of clinics in the roster.
    #[arg(long, default_value_t = 5)]
    pub clinics: u32,
    /// Parameter set: S (clinic) or L (consortium).
    #[arg(long, default_value = "S")]
    pub param_set: String,
    /// Overwrite an existing key directory.
    #[arg(long)]
    pub force: bool,
    /// Threshold mode: the number n of key-holder committee members (docs/THRESHOLD.md §16). Writes each
    /// member's ML-DSA-65 identity and the committee roster instead of a single-decryptor BFV key.
    #[arg(long, requires = "threshold")]
    pub committee: Option<u32>,
    /// Threshold mode: t, the members needed to decrypt (with --committee).
    #[arg(long, requires = "committee")]
    pub threshold: Option<u32>,
}

fn random<const N: usize>() -> Result<Zeroizing<[u8; N]>, KeyError> {
    let mut out = Zeroizing::new([0u8; N]);
    getrandom::SysRng
        .try_fill_bytes(&mut *out)
        .map_err(|e| KeyError(format!("OS randomness failed: {e}")))?;
    Ok(out)
}

/// Generates and writes every key.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if !matches!(args.param_set.as_str(), "S" | "L" | "XL") {
        return Err(KeyError(format!(
            "unknown parameter set '{}'; use S, L or XL",
            args.param_set
        ))
        .into());
    }
    if args.clinics == 0 {
        return Err(KeyError("a roster needs at least one clinic".into()).into());
    }
    let dir = KeyDir(args.out.clone());
    if dir.public("roster.json").exists() && !args.force {
        return Err(KeyError(format!(
            "{} already holds keys; pass --force to replace them",
            args.out.display()
        ))
        .into());
    }
    let kem_seed = random::<64>()?;
    let kem_ek = kem_encapsulation_key(&kem_seed);
    write(&dir.kem_seed(), &*kem_seed, true)?;
    write(&dir.public("kem-ek.bin"), &kem_ek, false)?;
    let sign_seed = random::<32>()?;
    let aggregator_vk = AggregatorIdentity::from_seed(&sign_seed).verifying_key();
    write(&dir.sign_seed(), &*sign_seed, true)?;
    write(&dir.public("aggregator-vk.bin"), &aggregator_vk, false)?;
    crate::keys::write_admin_token(&dir)?;
    let committee = match (args.committee, args.threshold) {
        (Some(n), Some(t)) => Some(committee_setup(
            &dir,
            &args.param_set,
            n,
            t,
            &aggregator_vk,
        )?),
        _ => None,
    };
    let bfv_pk = if committee.is_none() {
        let limits = SetLimits::of(&args.param_set)
            .ok_or_else(|| KeyError("unknown parameter set".into()))?;
        let (bfv_pk, bfv_seed) =
            crate::crypto::bfv_keygen(&limits, &mut UnwrapErr(getrandom::SysRng))?;
        write(&dir.keyholder().join("bfv-secret.bin"), &*bfv_seed, true)?;
        write(
            &dir.keyholder().join("param-set"),
            args.param_set.as_bytes(),
            false,
        )?;
        write(&dir.public("bfv-public.bin"), &bfv_pk, false)?;
        Some(bfv_pk)
    } else {
        None
    };
    let mut clinics = Vec::new();
    for id in (1..=args.clinics).map(ClinicId) {
        let seed = random::<32>()?;
        let vk = AggregatorIdentity::from_seed(&seed).verifying_key();
        let cdir = dir.clinic(id);
        write(&cdir.join("sign-seed.bin"), &*seed, true)?;
        write(&cdir.join("sign-vk.bin"), &vk, false)?;
        write(&cdir.join("clinic-id"), id.to_string().as_bytes(), false)?;
        write(&cdir.join("aggregator-vk.bin"), &aggregator_vk, false)?;
        write(&cdir.join("kem-ek.bin"), &kem_ek, false)?;
        if let Some(pk) = &bfv_pk {
            write(&cdir.join("bfv-public.bin"), pk, false)?;
        }
        if let Some(json) = &committee {
            write(&cdir.join(ROSTER_FILE), json, false)?;
        }
        clinics.push(RosterEntry {
            clinic_id: id,
            verifying_key: hex::encode(vk),
        });
    }
    let roster = Roster {
        param_set: args.param_set.clone(),
        clinics,
    };
    let json = serde_json::to_vec_pretty(&roster)?;
    write(&dir.public("roster.json"), &json, false)?;
    println!(
        "zkfl keygen: wrote keys for parameter set {} and {} clinics to {}",
        args.param_set,
        args.clinics,
        args.out.display()
    );
    if committee.is_none() {
        println!(
            "zkfl keygen: the BFV secret key is in {} (single-decryptor mode: only the key holder reads it)",
            dir.keyholder().display()
        );
    }
    println!(
        "zkfl keygen: the admin token (mode 0600) is {}",
        dir.admin_token().display()
    );
    println!(
        "zkfl keygen: give each clinic only its own directory {}/<id>",
        args.out.join("clinics").display()
    );
    Ok(())
}

/// File name of the committee roster (docs/THRESHOLD.md §16.1).
pub const ROSTER_FILE: &str = "committee-roster.json";
/// A member's ML-DSA identity seed, in its own directory (0600).
pub const IDENTITY_SEED_FILE: &str = "identity-seed.bin";
/// A member's ML-KEM-768 decapsulation seed d ‖ z, in its own directory (0600): opens the dealt parts sealed
/// to its roster KEM key (review 13, R13-1).
pub const KEM_SEED_FILE: &str = "kem-seed.bin";

/// Threshold-mode set-up: n member identities (`members/<i>/identity-seed.bin` and `kem-seed.bin`, mode 0600,
/// each with a copy of the roster and the aggregator's verifying key `aggregator-vk.bin`, the only key whose
/// signed requests a listening member answers, THRESHOLD §16.6) and the committee roster (`public/committee-roster.json`: set, n, t, a fresh CRS seed, epoch 1,
/// the n verifying keys). Prints the roster digest ρ_R, which every member and clinic compares out of band.
/// Returns the roster's JSON (copied into every clinic directory).
///
/// For trials one operator runs this; in a deployment each member generates its own identity on its own host
/// and the operator assembles the roster from the exported verifying keys (the same JSON format); the operator
/// hands each member the roster and `public/aggregator-vk.bin`, whose fingerprint (printed here) the member's
/// operator compares out of band like the roster digest.
fn committee_setup(
    dir: &KeyDir,
    set: &str,
    n: u32,
    t: u32,
    aggregator_vk: &[u8],
) -> Result<Vec<u8>, KeyError> {
    use crate::committee::roster::CommitteeRoster;
    use getrandom::rand_core::UnwrapErr;
    use zkfl_core::threshold::wire::signed::{MemberKem, sign_kem_key};
    if set != "L" {
        return Err(KeyError(
            "threshold mode runs on parameter set L (set S has no room for smudging); pass --param-set L"
                .into(),
        ));
    }
    if !zkfl_core::threshold::plan::honest_holder_checks_every_slot(n, t) {
        return Err(KeyError(format!(
            "a {t}-of-{n} committee needs n ≥ 2t − 1 (below, some slot may have no honest holder to check its \
             parts, and the key-share proof that would replace that check does not exist)"
        )));
    }
    let mut keys = Vec::new();
    let mut seeds = Vec::new();
    for i in 1..=n {
        let seed = random::<32>()?;
        let kem_seed = random::<{ zkfl_core::channel::kem::KEM_SEED_LEN }>()?;
        keys.push(hex::encode(
            zkfl_core::channel::SigningKey::from_seed(&seed)
                .verifying_key()
                .as_bytes(),
        ));
        seeds.push((i, seed, kem_seed));
    }
    let mut roster = CommitteeRoster {
        param_set: set.to_owned(),
        members: n,
        threshold: t,
        crs: hex::encode(*random::<32>()?),
        epoch: 1,
        keys,
        kem_keys: Vec::new(),
        kem_signatures: Vec::new(),
    };
    let epoch = roster
        .epoch()
        .map_err(|e| KeyError(format!("committee {t}-of-{n}: {e}")))?;
    // Each member signs its own KEM key (on its own host in a deployment; review 13, R13-1).
    for (i, seed, kem_seed) in &seeds {
        let identity = zkfl_core::channel::SigningKey::from_seed(seed);
        let kem = zkfl_core::channel::KemSecretKey::<MemberKem>::from_seed(kem_seed);
        let sig = sign_kem_key(
            &identity,
            &epoch,
            *i as u8,
            kem.public_key(),
            &mut UnwrapErr(getrandom::SysRng),
        )
        .map_err(|e| KeyError(e.to_string()))?;
        roster
            .kem_keys
            .push(hex::encode::<&[u8]>(kem.public_key().to_bytes().as_ref()));
        roster.kem_signatures.push(hex::encode(sig.as_bytes()));
    }
    let digest = roster
        .digest_hex()
        .map_err(|e| KeyError(format!("committee {t}-of-{n}: {e}")))?;
    let json = serde_json::to_vec_pretty(&roster).map_err(|e| KeyError(e.to_string()))?;
    write(&dir.public(ROSTER_FILE), &json, false)?;
    for (i, seed, kem_seed) in &seeds {
        let mdir = dir.0.join("members").join(i.to_string());
        write(&mdir.join(IDENTITY_SEED_FILE), &**seed, true)?;
        write(&mdir.join(KEM_SEED_FILE), &**kem_seed, true)?;
        write(&mdir.join("member-index"), i.to_string().as_bytes(), false)?;
        write(&mdir.join(ROSTER_FILE), &json, false)?;
        write(
            &mdir.join(crate::committee::process::auth::AGGREGATOR_VK_FILE),
            aggregator_vk,
            false,
        )?;
    }
    let fingerprint = zkfl_core::channel::VerifyingKey::from_bytes(aggregator_vk)
        .map_err(|e| KeyError(format!("aggregator verifying key: {e}")))?
        .fingerprint();
    println!(
        "zkfl keygen: threshold mode, a {t}-of-{n} committee; roster digest {digest} \
         (compare it with every member and clinic out of band)"
    );
    println!(
        "zkfl keygen: members answer only requests signed by the aggregator key with fingerprint {} \
         (each member's aggregator-vk.bin; compare it out of band with the roster digest)",
        hex::encode(fingerprint)
    );
    println!(
        "zkfl keygen: give member i only {}/<i> (its identity seed, the roster and the aggregator's key)",
        dir.0.join("members").display()
    );
    Ok(json)
}
