//! Assembly of a running service from a data directory and a key directory (docs/SERVICE.md): loads keys and
//! roster, opens the store, spawns the key-holder process and the verification pool.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;

use crate::coordinator::{Coordinator, ServiceFacts, sha3};
use zkfl_core::channel::{KemSecretKey, VerifyingKey};

use crate::crypto::{CoreAggregate, CoreVerifier, RosterKeys};
use crate::keyholder::KeyHolderProcess;
use crate::keys::{AggregatorIdentity, KeyDir, KeyError, Roster, read, read_secret};
use crate::model::SetLimits;
use crate::server::{AppState, PublicInfo};
use crate::store::Store;
use crate::verify_pool::VerifyPool;

/// Where things are and how big things may get.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// Data directory (SQLite database).
    pub data_dir: PathBuf,
    /// Key directory from `zkfl keygen`.
    pub keys: PathBuf,
    /// Verification threads.
    pub workers: usize,
    /// Queue capacity.
    pub queue: usize,
    /// Largest request body.
    pub max_body: usize,
    /// Caps on concurrent work.
    pub guards: crate::server::GuardConfig,
    /// Threshold mode's inputs (used when the key directory holds a committee roster).
    pub committee: CommitteeConfig,
}

/// What threshold mode needs besides the key directory (docs/THRESHOLD.md §16): the members, and the round
/// parameters that fix the committee's design (B_int and L) for the key's epoch.
#[derive(Clone, Debug, Default)]
pub struct CommitteeConfig {
    /// One spec per member in member order: `off`, `dir:<path>` or `http://host:port`.
    pub members: Vec<String>,
    /// Clip bound B of the rounds.
    pub norm_bound: f64,
    /// Quantization scale S of the rounds.
    pub scale: f64,
    /// Parameters of the model the rounds train (else the store's only model).
    pub model_dim: Option<u32>,
}

/// A started service (HTTP not yet bound).
pub struct Service {
    /// Shared handler state.
    pub state: Arc<AppState>,
    keyholder: Option<Arc<KeyHolderProcess>>,
    _lock: crate::store::DirLock,
}

impl Service {
    /// Drains the verification queue and stops the key holder (the committee's member links close when the
    /// coordinator is dropped).
    pub fn stop(self) {
        self.state.pool.shutdown();
        if let Some(k) = &self.keyholder {
            k.stop();
        }
    }
}

/// Threshold mode's parts: the committee as decryptor, its key, what `GET /v1/keys/committee` serves.
struct CommitteeMode {
    decryptor: crate::committee::relay::CommitteeDecryptor,
    key_wire: Vec<u8>,
    terms: crate::model::CommitteeTerms,
    public: serde_json::Value,
}

/// Starts the committee (docs/THRESHOLD.md §16): the roster from the key directory, one link per member spec,
/// the design fixed from the clinic roster size, B_int of the configured round parameters and the model's
/// chunk count; the ceremony runs once per epoch (its outputs kept in the data directory).
fn start_committee(
    dir: &KeyDir,
    config: &ServiceConfig,
    limits: &SetLimits,
    clinics: u32,
    store: &Store,
) -> Result<CommitteeMode, Box<dyn std::error::Error>> {
    use crate::committee::{link, member::Design, relay, roster::CommitteeRoster};
    let roster = CommitteeRoster::parse(&read(&dir.public(crate::commands::keygen::ROSTER_FILE))?)?;
    let c = roster.epoch()?.committee;
    let (n, t) = (c.members(), c.threshold());
    let cc = &config.committee;
    if cc.members.len() != n as usize {
        return Err(KeyError(format!(
            "threshold mode: the committee roster has {n} members; give --member once per member in member \
             order ({} given; `off` for a member that is offline)",
            cc.members.len()
        ))
        .into());
    }
    if limits.id != <zkfl_core::params::SetL as zkfl_core::params::ParamSet>::ID {
        return Err(KeyError(format!(
            "threshold mode runs on parameter set L; the clinic roster names set {}",
            limits.name
        ))
        .into());
    }
    let dim = match cc.model_dim {
        Some(d) => d,
        None => match store.sole_model()? {
            Some(h) => store.model(&h)?.map_or(0, |m| (m.len() / 4) as u32),
            None => 0,
        },
    };
    if dim == 0 {
        return Err(KeyError(
            "threshold mode fixes the committee's design from the model's size: give --initial-model".into(),
        )
        .into());
    }
    let b_int = zkfl_core::quant::b_int(cc.norm_bound, cc.scale, dim as usize)
        .map_err(|e| KeyError(format!("--norm-bound/--scale: {e:?}")))?;
    let chunks = limits.chunks(dim);
    let terms =
        crate::model::CommitteeTerms::plan(n, t, clinics, b_int, chunks).map_err(KeyError)?;
    let design = Design {
        clinics,
        b_int,
        chunks: chunks as usize,
    };
    let exe = std::env::current_exe()?;
    // Members over HTTP answer only requests the aggregator's identity key signed (THRESHOLD §16.6).
    let signer = crate::committee::process::auth::RequestSigner::new(
        zkfl_core::channel::SigningKey::from_seed(&*read_secret::<32>(&dir.sign_seed())?),
        &roster,
    )?;
    let links = cc
        .members
        .iter()
        .zip(1u8..)
        .map(|(spec, i)| link::connect(spec, &exe, design, &signer, i))
        .collect::<Result<Vec<_>, _>>()?;
    let digest = roster.digest_hex()?;
    let committee = relay::Committee::start(roster, design, links, &config.data_dir)?;
    let key_wire = relay::key_wire(committee.key())?;
    let record = committee.record();
    let public = json!({
        "mode": relay::mode(t, n),
        "members": n,
        "threshold": t,
        "roster_digest": digest,
        "key_id": hex::encode(record.key_id),
        "bfv_public_key_sha3": hex::encode(sha3(&key_wire)),
        "design": {"clinics": clinics, "b_int": b_int.to_string(), "chunks": chunks},
        "certificate": record.signatures.iter().map(|s| json!({
            "member": s.member,
            "signature": hex::encode(s.signature.as_bytes()),
        })).collect::<Vec<_>>(),
    });
    Ok(CommitteeMode {
        decryptor: relay::CommitteeDecryptor::new(committee)?,
        key_wire,
        terms,
        public,
    })
}

/// Starts everything but the HTTP listener.
pub fn start(config: &ServiceConfig) -> Result<Service, Box<dyn std::error::Error>> {
    let dir = KeyDir(config.keys.clone());
    let roster: Roster = serde_json::from_slice(&read(&dir.public("roster.json"))?)
        .map_err(|e| KeyError(format!("roster.json: {e}")))?;
    let roster_keys = roster_keys(&roster)?;
    let kem_seed = read_secret::<64>(&dir.kem_seed())?;
    let identity = AggregatorIdentity::from_seed(&*read_secret::<32>(&dir.sign_seed())?);
    let kem_key = read(&dir.public("kem-ek.bin"))?;
    let limits = SetLimits::of(&roster.param_set).ok_or_else(|| {
        KeyError(format!(
            "roster names unknown parameter set '{}' (expected S or L)",
            roster.param_set
        ))
    })?;
    let roster_size = u32::try_from(roster.clinics.len())?;
    let aggregator_key = identity.verifying_key();
    let admin = crate::server::AdminAccess::with_token(&crate::keys::admin_token(&dir)?);
    std::fs::create_dir_all(&config.data_dir)?;
    let lock = crate::store::DirLock::acquire(&config.data_dir)?;
    let store = Store::open(&config.data_dir.join("zkfl.sqlite"))?;
    // Threshold mode: `zkfl keygen --committee` wrote a committee roster and no single-decryptor key.
    let threshold = dir
        .public(crate::commands::keygen::ROSTER_FILE)
        .exists()
        .then(|| start_committee(&dir, config, &limits, roster_size, &store))
        .transpose()?;
    let bfv_key = match &threshold {
        Some(m) => Some(m.key_wire.clone()),
        None => read(&dir.public("bfv-public.bin")).ok(),
    };
    let facts = ServiceFacts {
        limits,
        roster_size,
        kem_key_sha3: sha3(&kem_key),
        bfv_public_key_sha3: bfv_key.as_deref().map_or([0; 32], sha3),
        committee: threshold.as_ref().map(|m| m.terms),
    };
    let (keyholder, decryptor, committee_json): (
        Option<Arc<KeyHolderProcess>>,
        Box<dyn crate::coordinator::Decryptor>,
        _,
    ) = match threshold {
        Some(m) => (None, Box::new(m.decryptor), Some(m.public)),
        None => {
            let exe = std::env::current_exe()?;
            let k = Arc::new(KeyHolderProcess::spawn(&exe, &dir.keyholder())?);
            (Some(Arc::clone(&k)), Box::new(KeyHolderRef(k)), None)
        }
    };
    let mode = decryptor.mode();
    let guards = body_budget_fits(&config.guards, &facts);
    let verifier = CoreVerifier {
        kem: KemSecretKey::from_seed(&kem_seed),
        roster: roster_keys,
        limits: facts.limits,
        max_submission_len: facts.limits.max_submission_len(),
        bfv_public_key: bfv_key.clone(),
    };
    let params = json!({
        "param_set": roster.param_set,
        "param_set_id": facts.limits.id,
        "ring_degree": facts.limits.ring_degree,
        "modulus_q": facts.limits.modulus_q.to_string(),
        "max_chunks": facts.limits.max_chunks,
        "max_model_dim": facts.limits.max_model_dim(),
        "b_max": facts.limits.b_max,
        "roster_size": facts.roster_size,
        "max_body_bytes": config.max_body,
        "max_submission_bytes": facts.limits.max_submission_len(),
        "aggregator_kem": "ML-KEM-768",
        "aggregator_signature": "ML-DSA-65",
        "clinic_signature": "ML-DSA-65",
        "kem_key_sha3": hex::encode(facts.kem_key_sha3),
        "bfv_public_key_sha3": bfv_key.as_deref().map(|k| hex::encode(sha3(k))),
        "aggregator_verifying_key_sha3": hex::encode(sha3(&aggregator_key)),
        "decryption_mode": mode,
    });
    let roster_json = json!({"clinics": roster.clinics.iter().map(|c| json!({
        "clinic_id": c.clinic_id,
        "verifying_key": c.verifying_key,
        "verifying_key_sha3": hex::decode(&c.verifying_key).map(|k| hex::encode(sha3(&k))).unwrap_or_default(),
    })).collect::<Vec<_>>()});
    let coordinator = Arc::new(Coordinator::new(
        store,
        Box::new(verifier),
        Box::new(CoreAggregate {
            limits: facts.limits,
        }),
        Box::new(identity),
        decryptor,
        facts,
    ));
    let pool = VerifyPool::start(Arc::clone(&coordinator), config.workers, config.queue)?;
    let public = PublicInfo {
        params,
        roster: roster_json,
        kem_key,
        aggregator_key,
        bfv_key,
        committee: committee_json,
    };
    Ok(Service {
        state: Arc::new(AppState {
            coordinator,
            pool,
            public,
            max_body: config.max_body,
            guards: crate::server::Guards::new(&guards, admin),
        }),
        keyholder,
        _lock: lock,
    })
}

/// Lets the coordinator use the key holder that the service also stops.
struct KeyHolderRef(Arc<KeyHolderProcess>);

impl crate::coordinator::Decryptor for KeyHolderRef {
    fn decrypt_aggregate(
        &self,
        request: &crate::coordinator::DecryptionRequest<'_>,
    ) -> Result<Vec<i64>, crate::error::PortError> {
        self.0.decrypt_aggregate(request)
    }

    fn health(&self) -> crate::coordinator::DecryptorHealth {
        crate::coordinator::Decryptor::health(&*self.0)
    }

    fn supervise(&self) {
        self.0.supervise();
    }
}

/// The roster's ML-DSA-65 verifying keys (`roster.json` from `zkfl keygen`), as the verifier checks
/// submissions against them.
pub fn roster_keys(roster: &Roster) -> Result<RosterKeys, KeyError> {
    roster
        .clinics
        .iter()
        .map(|c| {
            hex::decode(&c.verifying_key)
                .ok()
                .and_then(|k| VerifyingKey::from_bytes(&k).ok())
                .map(|k| (c.clinic_id, k))
                .ok_or_else(|| {
                    KeyError(format!(
                        "roster: clinic {} has no valid ML-DSA-65 key",
                        c.clinic_id
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(RosterKeys)
}

/// The guards with an in-flight body budget that holds at least one submission of the largest round the set
/// allows, so that a set-XL round's envelope is never refused as "busy" by a budget sized for set S.
fn body_budget_fits(
    guards: &crate::server::GuardConfig,
    facts: &ServiceFacts,
) -> crate::server::GuardConfig {
    let mut g = guards.clone();
    g.body_budget = g.body_budget.max(facts.limits.max_submission_len());
    g
}
