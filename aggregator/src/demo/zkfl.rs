//! Configurations `zkfl` and `zkfl_clean`: full ZKFL-PQ through a real `zkfl serve` (docs/DEMO.md). The demo
//! starts the server as a child process; every round it uploads the global model and opens a round through
//! the loopback admin API, the clinics (threads of the demo, each with its own keys and HTTP client) build
//! their submissions (`demo::clinic`: clip, quantize, BFV-encrypt all parameters, prove, sign, seal) and POST
//! them; the server verifies, sums accepted ciphertexts, has its key-holder process decrypt the sum only, and
//! publishes the mean update. The demo reads the verdicts, the server's work times and the published update
//! back from the round status endpoints, and checks the update bit for bit against the plaintext sum of the
//! accepted quantized updates (which the demo knows because it plays the clinics).

use super::clinic::{self, ClinicKeys, N, Sealed};
use super::committee::{CommitteeRound, CommitteeSpec, MemberCost};
use super::pipeline::{Decision, Pipeline, RoundOutcome, Submission, TimeSplit};
use super::serve::ServeProcess;
use crate::client::{Client, ClientError, RoundStatus};
use crate::coordinator::OpenRound;
use crate::error::Code;
use crate::round::{Announcement, ClinicId, RoundId};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::path::Path;
use std::sync::{Condvar, Mutex};
use std::time::Duration;
use zkfl_core::clinic::PublicKey;
use zkfl_core::params::bounds::KeyBounds;
use zkfl_core::params::{ParamSet, SetL, SetS};
use zkfl_core::policy::{Config, ConfigError, ConfigRequest, check_config};
use zkfl_core::quant::{Quantizer, dequantize};

/// Stack of a clinic thread: the streaming prover keeps its fixed-size state on the stack.
const PROVER_STACK: usize = 64 << 20;
/// Longest a round may take to be published once every clinic has submitted.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(1800);

/// ZKFL-PQ through `zkfl serve`: set S with one key holder, or set L with a key-holder committee
/// (`zkfl_committee`, `demo::committee`).
pub struct ZkflPipeline {
    server: ServeProcess,
    /// Threshold configuration: the committee and its members' ceremony costs.
    committee: Option<(CommitteeSpec, Vec<MemberCost>)>,
    /// The served key bytes (`GET /v1/keys/bfv`).
    served: Vec<u8>,
    /// Threshold configuration: each clinic's own copy of the committee roster (index 0 = clinic 1).
    rosters: Vec<Vec<u8>>,
    admin: Client,
    clinics: Vec<ClinicKeys>,
    pk: PublicKey,
    config: Config,
    quantizer: Quantizer,
    seed: u64,
    unprovable: usize,
    /// Clinics that may encrypt and prove at the same time (the rest wait for a slot).
    parallel: usize,
}

/// A counting semaphore: at most `n` clinics build their submission at once, so that on a small machine the
/// per-clinic encrypt/prove times are not inflated by more provers than cores.
struct Slots {
    free: Mutex<usize>,
    cv: Condvar,
}

impl Slots {
    fn new(n: usize) -> Self {
        Self {
            free: Mutex::new(n.max(1)),
            cv: Condvar::new(),
        }
    }

    /// Runs `f` while holding a slot (released even if `f` panics, so the other clinics never hang).
    fn with<T>(&self, f: impl FnOnce() -> T) -> T {
        struct Release<'a>(&'a Slots);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                *self.0.lock() += 1;
                self.0.cv.notify_one();
            }
        }
        {
            let mut free = self.lock();
            while *free == 0 {
                free = self
                    .cv
                    .wait(free)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            *free -= 1;
        }
        let _release = Release(self);
        f()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, usize> {
        self.free
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The round parameters of the encrypted configurations: the largest quantization scale set S's B_INT_MAX
/// allows for τ and P, and the configuration `policy::check_config` derives from it (t, chunks,
/// noise), for single-decryptor keys.
pub fn derive(
    clinics: usize,
    params: usize,
    norm_bound: f32,
) -> Result<(Quantizer, Config), String> {
    let quantizer = Quantizer::with_max_scale(f64::from(norm_bound), params, SetS::B_INT_MAX)
        .map_err(|e| format!("quantizer: {e}"))?;
    let config = check_config::<SetS>(&ConfigRequest {
        clinics: u32::try_from(clinics).map_err(|e| e.to_string())?,
        params: u32::try_from(params).map_err(|e| e.to_string())?,
        norm_bound: f64::from(norm_bound),
        scale: quantizer.scale(),
        key: KeyBounds::single::<SetS>(),
        smudging: 0,
    })
    .map_err(|e| match e {
        // check_config's advice (a lower scale, set L) names knobs the demo does not have.
        ConfigError::TooManyClinics { clinics, max } => format!(
            "{clinics} clinics: with parameter set {} a sum of at most {max} clinics' updates decrypts exactly for \
             {params} parameters at τ = {norm_bound} and the demo's quantization scale; use --clinics {max} or fewer",
            SetS::NAME
        ),
        e => format!("parameter set {}: {e}", SetS::NAME),
    })?;
    Ok((quantizer, config))
}

/// The derived parameters as `report.json` and the header name them.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CryptoParams {
    /// Parameter set name (`S`).
    pub param_set: &'static str,
    /// Ring degree N.
    pub ring_degree: usize,
    /// The ciphertext modulus q, as text.
    pub modulus_q: &'static str,
    /// BFV chunks L = ⌈P/N⌉.
    pub chunks: u32,
    /// Quantization scale S.
    pub quant_scale: f64,
    /// Proven integer bound B_int.
    pub b_int: u64,
    /// Plaintext modulus t.
    pub plaintext_modulus_t: u64,
    /// Decryption mode of the service.
    pub decryption_mode: &'static str,
}

impl CryptoParams {
    /// Derives them for the scenario's clinics, model size and τ.
    pub fn new(clinics: usize, params: usize, norm_bound: f32) -> Result<Self, String> {
        let (q, c) = derive(clinics, params, norm_bound)?;
        Ok(Self {
            param_set: SetS::NAME,
            ring_degree: N,
            modulus_q: "2^44 - 539",
            chunks: c.chunks,
            quant_scale: q.scale(),
            b_int: c.b_int(),
            plaintext_modulus_t: c.t,
            decryption_mode: crate::keyholder::MODE,
        })
    }

    /// One line for the terminal header.
    pub fn line(&self) -> String {
        format!(
            "encrypted configurations: parameter set {} (N = {}, q = {}), L = {} chunks, quantization scale S = {:.4}, B_int = {}, t = {}, {} mode",
            self.param_set,
            self.ring_degree,
            self.modulus_q,
            self.chunks,
            self.quant_scale,
            self.b_int,
            self.plaintext_modulus_t,
            self.decryption_mode
        )
    }
}

/// One clinic's round: its submission (or why it could not build one) and the server's answer.
struct ClinicRound {
    clinic: usize,
    sealed: Result<Sealed, String>,
    answer: Option<Result<(), ClientError>>,
}

impl ZkflPipeline {
    /// Starts `exe serve` with keys for `clinics` clinics, and derives the round parameters for a model of
    /// `params` parameters clipped to `norm_bound` τ (largest scale set S's B_INT_MAX allows; the server checks them
    /// again with `check_config` when a round is opened). At most `parallel` clinics encrypt and prove at
    /// the same time (0: one per available core).
    pub fn new(
        exe: &Path,
        tag: &str,
        clinics: usize,
        params: usize,
        norm_bound: f32,
        seed: u64,
        parallel: usize,
    ) -> Result<Self, String> {
        let (quantizer, config) = derive(clinics, params, norm_bound)?;
        let server = ServeProcess::start(exe, clinics, tag)?;
        Self::with_server(server, None, clinics, quantizer, config, seed, parallel)
    }

    /// The threshold configuration: set L, the committee of `spec` as member processes over HTTP behind
    /// `zkfl serve` (`ServeProcess::start_committee`), the model `initial` (its size fixes the committee's
    /// design). Returns once the key ceremony is done.
    #[allow(clippy::too_many_arguments)]
    pub fn committee(
        exe: &Path,
        tag: &str,
        clinics: usize,
        initial: &[f32],
        norm_bound: f32,
        seed: u64,
        parallel: usize,
        spec: &CommitteeSpec,
    ) -> Result<Self, String> {
        let (quantizer, config, design) =
            super::committee::derive(clinics, initial.len(), norm_bound, spec)?;
        let server =
            ServeProcess::start_committee(exe, clinics, tag, spec, design, initial, &quantizer)?;
        let ceremony = server.ceremony_costs();
        Self::with_server(
            server,
            Some((spec.clone(), ceremony)),
            clinics,
            quantizer,
            config,
            seed,
            parallel,
        )
    }

    fn with_server(
        server: ServeProcess,
        committee: Option<(CommitteeSpec, Vec<MemberCost>)>,
        clinics: usize,
        quantizer: Quantizer,
        config: Config,
        seed: u64,
        parallel: usize,
    ) -> Result<Self, String> {
        let admin = server.client();
        let keys = server.keys();
        let clinics = (1..=clinics as u32)
            .map(|id| ClinicKeys::load(&keys, ClinicId(id)))
            .collect::<Result<Vec<_>, _>>()?;
        let served = admin
            .bfv_key()
            .map_err(|e| format!("GET /v1/keys/bfv: {e}"))?;
        let pk = PublicKey::decode_for_model(&served, config.params).map_err(|e| e.to_string())?;
        let rosters = if committee.is_some() {
            clinics
                .iter()
                .map(|c| {
                    crate::clinic::committee_roster(&keys.join(format!("clinics/{}", c.id)))
                        .ok_or_else(|| format!("clinic {}: no committee roster", c.id))
                })
                .collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        Ok(Self {
            server,
            committee,
            served,
            rosters,
            admin,
            clinics,
            pk,
            config,
            quantizer,
            seed,
            unprovable: 0,
            parallel: if parallel == 0 {
                std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
            } else {
                parallel
            },
        })
    }

    /// The derived configuration (parameter set, scale, B_int, t, noise figures).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The quantization scale S used for every round.
    pub fn scale(&self) -> f64 {
        self.quantizer.scale()
    }

    /// A one-line description of the derived parameters.
    pub fn describe(&self) -> String {
        let set = if self.committee.is_some() {
            format!("{} (N = {}, q ≈ 2^86)", SetL::NAME, SetL::N)
        } else {
            format!("{} (N = {N}, q = 2^44 − 539)", SetS::NAME)
        };
        format!(
            "set {set}, L = {} chunks, scale S = {}, B_int = {}, t = {}, noise ≤ {} of budget {}, max clinics {}",
            self.config.chunks,
            self.quantizer.scale(),
            self.config.b_int(),
            self.config.t,
            self.config.noise_total,
            self.config.noise_budget,
            self.config.max_clinics
        )
    }

    /// Uploads the global model and opens the round on the server; returns the verified announcement.
    fn open_round(&self, global: &[f32]) -> Result<Announcement, String> {
        let hash = self
            .admin
            .admin_put_model(global)
            .map_err(|e| format!("POST /v1/admin/models: {e}"))?;
        let req = OpenRound {
            norm_bound: self.quantizer.norm_bound(),
            scale: self.quantizer.scale(),
            deadline_secs: PUBLISH_TIMEOUT.as_secs(),
            model_sha3: Some(hash),
            model: None,
        };
        let signed = self
            .admin
            .admin_open_round(&req)
            .map_err(|e| format!("POST /v1/admin/rounds: {e}"))?;
        let pinned = &self.clinics.first().ok_or("no clinics")?.aggregator_vk;
        signed
            .verify(pinned)
            .map_err(|e| format!("round announcement: {e}"))
    }

    /// Every clinic builds and posts its submission, in parallel threads (one per clinic machine).
    fn clinics_submit(&self, a: &Announcement, subs: &[Submission]) -> Vec<ClinicRound> {
        let url = self.server.url();
        let slots = Slots::new(self.parallel);
        let slots = &slots;
        std::thread::scope(|s| {
            let hs: Vec<_> = subs
                .iter()
                .map(|sub| {
                    let keys = self.clinics.get(sub.clinic.wrapping_sub(1));
                    let pk = &self.pk;
                    let mut rng = ChaCha20Rng::seed_from_u64(
                        self.seed ^ (a.round.0 << 32) ^ sub.clinic as u64,
                    );
                    let work = move || {
                        let sealed = slots.with(|| {
                            keys.ok_or_else(|| format!("clinic {} has no keys", sub.clinic))
                                .and_then(|k| {
                                    clinic::submission(
                                        k,
                                        pk,
                                        a,
                                        &sub.update,
                                        sub.malicious,
                                        &mut rng,
                                    )
                                })
                        });
                        let answer = sealed
                            .as_ref()
                            .ok()
                            .map(|x| Client::new(url).submit(a.round, &x.envelope).map(|_| ()));
                        ClinicRound {
                            clinic: sub.clinic,
                            sealed,
                            answer,
                        }
                    };
                    std::thread::Builder::new()
                        .stack_size(PROVER_STACK)
                        .spawn_scoped(s, work)
                })
                .collect();
            hs.into_iter()
                .zip(subs)
                .map(|(h, sub)| match h {
                    Ok(h) => h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
                    Err(e) => ClinicRound {
                        clinic: sub.clinic,
                        sealed: Err(format!("cannot start a clinic thread: {e}")),
                        answer: None,
                    },
                })
                .collect()
        })
    }

    /// Closes the round if it is still open (a clinic could not submit), then waits for publication.
    fn finish_round(&self, round: RoundId) -> Result<RoundStatus, String> {
        let s = self.admin.status(round).map_err(|e| e.to_string())?;
        if s.state == "open" {
            match self.admin.admin_close_round(round) {
                Ok(_) => {}
                Err(e) if e.code() == Some(Code::RoundNotOpen) => {}
                Err(e) => return Err(format!("closing round {round}: {e}")),
            }
        }
        self.admin
            .wait_for_end(round, PUBLISH_TIMEOUT)
            .map_err(|e| format!("{e}; server log: {}", self.server.log_tail()))
    }

    /// Checks the published mean update against the plaintext sum of the accepted quantized updates: the
    /// de-quantized sum must match bit for bit, and the integers recovered from the f32 values must equal the
    /// centred plaintext sums (|Σ| ≤ k·B_int < 2^24, so f32 determines them), and the server's next model must
    /// be w + update.
    fn matches_plaintext_sum(
        &self,
        a: &Announcement,
        accepted: &[&Sealed],
        update: &[f32],
        global: &[f32],
        next_model_sha3: Option<&str>,
    ) -> Result<bool, String> {
        let q = clinic::quantizer(a)?;
        let t = i128::from(a.t);
        let dim = update.len();
        let sums: Vec<i128> = (0..dim)
            .map(|i| accepted.iter().map(|s| i128::from(s.m[i])).sum::<i128>())
            .collect();
        let residues: Vec<u64> = sums.iter().map(|&v| v.rem_euclid(t) as u64).collect();
        let k = accepted.len() as u32;
        let mut expect = vec![0f32; dim];
        dequantize(&q, &residues, a.t, k, &mut expect).map_err(|e| e.to_string())?;
        let bits = expect
            .iter()
            .zip(update)
            .all(|(x, y)| x.to_bits() == y.to_bits());
        let sk = q.scale() * f64::from(k);
        let ints = sums
            .iter()
            .zip(update)
            .all(|(&s, &u)| (f64::from(u) * sk).round() as i128 == s);
        let next: Vec<f32> = global.iter().zip(update).map(|(w, d)| w + d).collect();
        let next_hash = hex::encode(crate::coordinator::sha3(&crate::model::encode(&next)));
        Ok(bits && ints && next_model_sha3 == Some(next_hash.as_str()))
    }
}

/// The server's per-clinic decisions, plus the clinics whose submission was refused before it was
/// authenticated (those have no stored decision, only the HTTP error).
fn decisions(status: &RoundStatus, rounds: &[ClinicRound]) -> Vec<Decision> {
    let mut out: Vec<Decision> = status
        .submissions
        .iter()
        .map(|s| Decision {
            clinic: s.clinic_id.0 as usize,
            accepted: s.decision == "accepted",
            reason: s.code.map(|c| {
                format!(
                    "{}: {}",
                    c.as_str(),
                    s.message.as_deref().unwrap_or_default()
                )
            }),
        })
        .collect();
    for r in rounds {
        if let Some(Err(e)) = &r.answer
            && !out.iter().any(|d| d.clinic == r.clinic)
        {
            out.push(Decision {
                clinic: r.clinic,
                accepted: false,
                reason: Some(match e.code() {
                    Some(c) => format!("{}: {e}", c.as_str()),
                    None => format!("transport: {e}"),
                }),
            });
        }
    }
    out.sort_by_key(|d| d.clinic);
    out
}

impl Pipeline for ZkflPipeline {
    fn round(
        &mut self,
        round: usize,
        global: &[f32],
        submissions: &[Submission],
        status: &dyn Fn(&str),
    ) -> Result<RoundOutcome, String> {
        status(&format!("round {round}: opening the round on zkfl serve"));
        let a = self.open_round(global)?;
        self.check_committee_key(&a)?;
        status(&format!(
            "round {round}: clinics clip, quantize, encrypt, prove, submit over HTTP"
        ));
        let rounds = self.clinics_submit(&a, submissions);
        status(&format!(
            "round {round}: server verifies, aggregates, decrypts the sum"
        ));
        let st = self.finish_round(a.round)?;
        let mut time = TimeSplit::default();
        let built: Vec<&Sealed> = rounds
            .iter()
            .filter_map(|r| r.sealed.as_ref().ok())
            .collect();
        let n = built.len().max(1) as f64;
        time.encrypt = built.iter().map(|s| s.encrypt_s).sum::<f64>() / n;
        time.prove = built.iter().map(|s| s.prove_s).sum::<f64>() / n;
        if let Some(t) = st.timing_s {
            (time.verify, time.aggregate, time.decrypt) = (t.verify, t.aggregate, t.decrypt);
        }
        self.unprovable += built.iter().filter(|s| s.exceeds_bound).count();
        let decisions = decisions(&st, &rounds);
        let not_submitted = rounds
            .iter()
            .filter_map(|r| r.sealed.as_ref().err().map(|e| (r.clinic, e.clone())))
            .collect();
        let (mean_update, aggregate_exact) = if st.state == "published" {
            let update = self
                .admin
                .update(a.round)
                .map_err(|e| format!("GET /v1/rounds/{}/update: {e}", a.round))?;
            let accepted: Vec<&Sealed> = rounds
                .iter()
                .filter(|r| decisions.iter().any(|d| d.clinic == r.clinic && d.accepted))
                .filter_map(|r| r.sealed.as_ref().ok())
                .collect();
            let next = st
                .result
                .as_ref()
                .and_then(|r| r["next_model_sha3"].as_str());
            let exact = self.matches_plaintext_sum(&a, &accepted, &update, global, next)?;
            (Some(update), Some(exact))
        } else {
            (None, None)
        };
        let committee = match self.committee {
            Some(_) => Some(self.committee_round(round, a.round, aggregate_exact)?),
            None => None,
        };
        Ok(RoundOutcome {
            mean_update,
            decisions,
            time,
            upload_bytes: built.iter().map(|s| s.envelope.len() as u64).collect(),
            aggregate_exact,
            not_submitted,
            committee,
        })
    }

    fn notes(&self) -> Vec<String> {
        let decryption = match &self.committee {
            None => "decryption: single-decryptor mode — the BFV secret key lives only in the key-holder process that `zkfl serve` starts; it decrypts the round's aggregate only".to_owned(),
            Some((spec, _)) => format!(
                "decryption: {} — `zkfl keygen --committee {} --threshold {}` without a dealer's key; members {} run as `zkfl keyholder --committee --listen` processes that `zkfl serve` reaches over loopback HTTP (`--member http://…`){}{}; each clinic accepts the committee key only with all n members' certificate signatures under its own roster copy; every share carries its share-correctness proofs, verified before combining",
                spec.mode(),
                spec.members,
                spec.threshold,
                list((1..=spec.members).filter(|&i| spec.online(i))),
                if spec.offline.is_empty() {
                    String::new()
                } else {
                    format!(", members {} offline (`--member off`)", list(spec.offline.iter().copied()))
                },
                if spec.cheating.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", members {} started with --demo-cheat-share (demo only: a wrong decryption share)",
                        list(spec.cheating.iter().copied())
                    )
                },
            ),
        };
        vec![
            self.describe(),
            format!(
                "transport: clinics POST ML-KEM-768 envelopes with ML-DSA-65 signed submissions to a real `zkfl serve` ({}, child process of the demo) over loopback HTTP; verdicts, work times and the mean update are read back from the round status endpoints",
                self.server.url()
            ),
            format!(
                "clinics: one thread each, at most {} encrypting/proving at once; encrypt and prove are per-clinic wall times",
                self.parallel
            ),
            decryption,
            format!(
                "zero-knowledge proof (zkfl_core::zk, LNP22-style) for every submission: well-formed ciphertext and ‖m‖₂ ≤ B_int = {}, bound to set, round, clinic, key hash and ciphertext, verified by the server; attackers use the prover with norm checks disabled",
                self.config.b_int()
            ),
        ]
    }

    fn proof_status(&self) -> &'static str {
        "verified"
    }

    fn ceremony_costs(&self) -> Vec<MemberCost> {
        self.committee
            .as_ref()
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    }
}

/// Member ids as `1, 2, 3`.
fn list(ids: impl Iterator<Item = u8>) -> String {
    ids.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

impl ZkflPipeline {
    /// Threshold configuration: every clinic accepts the served committee key for round `a` only with all n
    /// members' certificate signatures under its own roster copy (`clinic::check_committee_key`, as
    /// `zkfl clinic` does), before it encrypts.
    fn check_committee_key(&self, a: &Announcement) -> Result<(), String> {
        if self.rosters.is_empty() {
            return Ok(());
        }
        let cert = self
            .admin
            .committee_key()
            .map_err(|e| format!("GET /v1/keys/committee: {e}"))?;
        for (i, roster) in self.rosters.iter().enumerate() {
            crate::clinic::check_committee_key(roster, &self.served, a, &cert)
                .map_err(|e| format!("clinic {}: {e}", i + 1))?;
        }
        Ok(())
    }

    /// Threshold configuration: how round `round` (the server's `id`) was decrypted, read back from
    /// `GET /v1/rounds/{r}`, with each member's costs since the last round and the demo's bit-exact verdict.
    fn committee_round(
        &mut self,
        round: usize,
        id: RoundId,
        exact: Option<bool>,
    ) -> Result<CommitteeRound, String> {
        let raw = self
            .admin
            .get_bytes(&format!("/v1/rounds/{}", id.0))
            .map_err(|e| format!("GET /v1/rounds/{}: {e}", id.0))?;
        let status: serde_json::Value =
            serde_json::from_slice(&raw).map_err(|e| format!("GET /v1/rounds/{}: {e}", id.0))?;
        let mut facts = CommitteeRound::from_status(round, &status);
        facts.aggregate_exact = exact;
        facts.members = self.server.member_costs();
        Ok(facts)
    }
}

impl ZkflPipeline {
    /// Updates whose quantized norm exceeded B_int (a norm proof for them cannot exist).
    pub fn unprovable(&self) -> usize {
        self.unprovable
    }
}

#[cfg(test)]
mod tests {
    use super::Slots;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn slots_bound_concurrency_and_survive_a_panic() {
        let slots = Slots::new(2);
        let (now, max) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            slots.with(|| panic!("a clinic thread panics"))
        }));
        assert!(panicked.is_err());
        std::thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| {
                    slots.with(|| {
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        max.fetch_max(n, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        now.fetch_sub(1, Ordering::SeqCst);
                    });
                });
            }
        });
        let max = max.load(Ordering::SeqCst);
        assert!((1..=2).contains(&max), "{max} clinics held a slot at once");
        assert_eq!(
            *slots.lock(),
            2,
            "every slot released, including the panicking one"
        );
    }
}
