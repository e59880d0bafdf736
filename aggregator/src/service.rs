//! Assembly of a running service from a data directory and a key directory (docs/SERVICE.md): loads keys and
//! roster, opens the store, spawns the key-holder process and the verification pool.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::json;

use crate::coordinator::{Coordinator, ServiceFacts, sha3};
use zkfl_core::channel::{KemSecretKey, VerifyingKey};

use crate::crypto::{CoreAggregate, CoreVerifier, RosterKeys};
use crate::keyholder::{KeyHolderProcess, MODE};
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
}

/// A started service (HTTP not yet bound).
pub struct Service {
    /// Shared handler state.
    pub state: Arc<AppState>,
    keyholder: Arc<KeyHolderProcess>,
    _lock: crate::store::DirLock,
}

impl Service {
    /// Drains the verification queue and stops the key holder.
    pub fn stop(self) {
        self.state.pool.shutdown();
        self.keyholder.stop();
    }
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
    let bfv_key = read(&dir.public("bfv-public.bin")).ok();
    let aggregator_key = identity.verifying_key();
    let facts = ServiceFacts {
        limits: SetLimits::of(&roster.param_set).ok_or_else(|| {
            KeyError(format!(
                "roster names unknown parameter set '{}' (expected S or L)",
                roster.param_set
            ))
        })?,
        roster_size: u32::try_from(roster.clinics.len())?,
        kem_key_sha3: sha3(&kem_key),
        bfv_public_key_sha3: bfv_key.as_deref().map_or([0; 32], sha3),
    };
    let admin = crate::server::AdminAccess::with_token(&crate::keys::admin_token(&dir)?);
    std::fs::create_dir_all(&config.data_dir)?;
    let lock = crate::store::DirLock::acquire(&config.data_dir)?;
    let store = Store::open(&config.data_dir.join("zkfl.sqlite"))?;
    let exe = std::env::current_exe()?;
    let keyholder = Arc::new(KeyHolderProcess::spawn(&exe, &dir.keyholder())?);
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
        "decryption_mode": MODE,
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
        Box::new(KeyHolderRef(Arc::clone(&keyholder))),
        facts,
    ));
    let pool = VerifyPool::start(Arc::clone(&coordinator), config.workers, config.queue)?;
    let public = PublicInfo {
        params,
        roster: roster_json,
        kem_key,
        aggregator_key,
        bfv_key,
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
