//! The coordinator: the one place where submissions meet the round state machine, the running sum and
//! storage (docs/SERVICE.md "Submission path"). It is synchronous and called from verification workers and
//! from the round driver; expensive checks run without the store lock, the final decision under it.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use sha3::{Digest, Sha3_256};
use zkfl_core::channel::{ReplayError, ReplayGuard, ReplayKey};

use crate::error::{ApiError, Code, PortError};
use crate::round::{ClinicId, RoundId, RoundState};
use crate::store::{ReplayMark, RoundRecord, Store, StoreError, SubmissionRecord};
use crate::verify::{Aggregate, Authenticated, RoundContext, SubmissionVerifier};

/// Signs round announcements with the aggregator's identity key.
pub trait AnnouncementSigner: Send + Sync {
    /// ML-DSA-65 signature over the canonical announcement bytes.
    fn sign(&self, announcement: &[u8]) -> Result<Vec<u8>, PortError>;
}

/// What the coordinator asks the decryptor (the key holder) to decrypt.
#[derive(Debug, PartialEq, Eq)]
pub struct DecryptionRequest<'a> {
    /// Round number.
    pub round: RoundId,
    /// Number of model coordinates to return.
    pub model_dim: u32,
    /// Number of ciphertexts in the aggregate (as claimed by the service).
    pub accepted: u32,
    /// The round's plaintext modulus t.
    pub t: u64,
    /// The aggregate ciphertext.
    pub aggregate: &'a [u8],
}

/// One accepted submission as kept in the store (schema v4): what a committee member needs to verify the
/// clinic's norm proof itself before it helps decrypt (docs/THRESHOLD.md §16.4 item 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptSubmission {
    /// The clinic.
    pub clinic_id: crate::round::ClinicId,
    /// Its BFV ciphertext (`zkfl_core::wire` encoding).
    pub ciphertext: Vec<u8>,
    /// Its norm proof.
    pub proof: Vec<u8>,
}

/// What a decryptor returns for a round.
#[derive(Clone, Debug, PartialEq)]
pub struct Decrypted {
    /// The centred integer sums, one per model coordinate.
    pub sums: Vec<i64>,
    /// How the round was decrypted (threshold mode: present set, receipt signers, refusals, exclusions),
    /// published with the round.
    pub report: Option<serde_json::Value>,
}

/// Decrypts a round's aggregate: the boundary to the key holder (single-decryptor mode, docs/SERVICE.md "Key
/// holder") or to the key-holder committee (threshold mode, docs/THRESHOLD.md §16).
pub trait Decryptor: Send + Sync {
    /// Returns the centred integer sums of the quantized updates, one per model coordinate.
    fn decrypt_aggregate(&self, request: &DecryptionRequest<'_>) -> Result<Vec<i64>, PortError>;

    /// Decrypts a round given its aggregate and, for a decryptor that [`Decryptor::needs_submissions`], the
    /// round's accepted submissions in acceptance order. The default is [`Decryptor::decrypt_aggregate`].
    fn decrypt_round(
        &self,
        request: &DecryptionRequest<'_>,
        submissions: &[KeptSubmission],
    ) -> Result<Decrypted, PortError> {
        let _ = submissions;
        Ok(Decrypted {
            sums: self.decrypt_aggregate(request)?,
            report: None,
        })
    }

    /// Whether [`Decryptor::decrypt_round`] needs the accepted submissions (threshold mode: every member
    /// verifies every norm proof itself), not only their sum.
    fn needs_submissions(&self) -> bool {
        false
    }

    /// The decryption mode rounds report: `single-decryptor` or `threshold t-of-n`.
    fn mode(&self) -> String {
        crate::keyholder::MODE.to_owned()
    }

    /// Whether decryption can proceed now (`/v1/health`).
    fn health(&self) -> DecryptorHealth {
        DecryptorHealth {
            ok: true,
            state: "in-process",
            restarts: 0,
        }
    }

    /// Restarts a crashed decryptor (called by the round driver every tick).
    fn supervise(&self) {}
}

/// The decryptor's state as `/v1/health` reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DecryptorHealth {
    /// Whether decryption can proceed.
    pub ok: bool,
    /// `running`, `busy`, `down`, `stopped` or `in-process`.
    pub state: &'static str,
    /// Restarts since the service started.
    pub restarts: u64,
}

/// Facts fixed for the lifetime of the service.
#[derive(Clone, Debug)]
pub struct ServiceFacts {
    /// Limits of the parameter set (id, N, q, L_max, B_max).
    pub limits: crate::model::SetLimits,
    /// Number of clinics in the roster.
    pub roster_size: u32,
    /// SHA3-256 of the ML-KEM encapsulation key.
    pub kem_key_sha3: [u8; 32],
    /// SHA3-256 of the BFV public key (the committee key in threshold mode).
    pub bfv_public_key_sha3: [u8; 32],
    /// Threshold mode: the committee's plan and design every round must fit (`None`: single-decryptor mode).
    pub committee: Option<crate::model::CommitteeTerms>,
}

/// What an admin asks for when opening a round.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
pub struct OpenRound {
    /// Clip bound B.
    pub norm_bound: f64,
    /// Quantization scale S.
    pub scale: f64,
    /// Seconds from now until the deadline.
    pub deadline_secs: u64,
    /// Model to start from (hex SHA3-256); default: the latest model.
    #[serde(default)]
    pub model_sha3: Option<String>,
    /// The model the round trains (`mlp:784,128,64,4`, `logistic:30,2`, `cox:39`), signed into the
    /// announcement; its parameter count must equal the model's. Default: none (a bare parameter vector).
    #[serde(default)]
    pub model: Option<String>,
}

/// The answer to an accepted submission.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Accepted {
    /// Round number.
    pub round: RoundId,
    /// Roster id.
    pub clinic_id: ClinicId,
    /// Always `"accepted"`.
    pub decision: String,
    /// Submission digest (hex).
    pub digest: String,
    /// Accepted submissions in the round so far.
    pub accepted_so_far: u32,
}

/// The service's core.
pub struct Coordinator {
    store: Mutex<Store>,
    verifier: Box<dyn SubmissionVerifier>,
    aggregate: Box<dyn Aggregate>,
    signer: Box<dyn AnnouncementSigner>,
    decryptor: Box<dyn Decryptor>,
    facts: ServiceFacts,
    timings: Timings,
    in_flight: InFlight,
    unauthenticated: Counters,
    decrypt_attempts: Counters,
}

fn internal(e: StoreError) -> ApiError {
    storage_error(e)
}

/// The peer-facing error for a storage failure: a full disk is `503 storage_full` (retry later), a
/// uniqueness race between two workers is `409 duplicate_submission`, anything else is internal.
pub fn storage_error(e: StoreError) -> ApiError {
    use rusqlite::ErrorCode;
    match e.sqlite_code() {
        Some(ErrorCode::DiskFull) => ApiError::new(
            Code::StorageFull,
            "the aggregator's disk is full; retry once the operator has freed space",
        ),
        Some(ErrorCode::ConstraintViolation) => ApiError::new(
            Code::DuplicateSubmission,
            "a decision for this clinic was recorded concurrently; one submission per clinic per round",
        ),
        _ => ApiError::internal(e),
    }
}

/// A submission that passed [`Coordinator::authenticate`], holding its clinic's verification slot until
/// it is dropped.
pub struct Staged {
    envelope_sha3: [u8; 32],
    auth: Authenticated,
    ctx: RoundContext,
    replay: Option<ReplayMark>,
    _slot: ClinicSlot,
}

impl Staged {
    /// The authenticated clinic.
    #[must_use]
    pub fn clinic_id(&self) -> ClinicId {
        self.auth.clinic_id
    }
}

/// Clinics with a submission between authentication and decision (at most one each).
#[derive(Default)]
struct InFlight(std::sync::Arc<Mutex<std::collections::HashSet<ClinicId>>>);

/// Frees a clinic's slot on drop.
pub struct ClinicSlot {
    set: std::sync::Arc<Mutex<std::collections::HashSet<ClinicId>>>,
    clinic: ClinicId,
}

impl InFlight {
    fn claim(&self, clinic: ClinicId) -> Result<ClinicSlot, ApiError> {
        let mut set = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !set.insert(clinic) {
            return Err(ApiError::new(
                Code::QueueFull,
                format!(
                    "a submission of clinic {clinic} is already being verified; retry after its verdict"
                ),
            ));
        }
        Ok(ClinicSlot {
            set: std::sync::Arc::clone(&self.0),
            clinic,
        })
    }
}

impl Drop for ClinicSlot {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.clinic);
    }
}

/// Per-round counts kept in memory until the round driver writes them.
#[derive(Default)]
struct Counters(Mutex<std::collections::BTreeMap<RoundId, u64>>);

impl Counters {
    fn map(&self) -> MutexGuard<'_, std::collections::BTreeMap<RoundId, u64>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
    fn bump(&self, round: RoundId) {
        *self.map().entry(round).or_default() += 1;
    }
    fn bump_and_get(&self, round: RoundId) -> u64 {
        let mut m = self.map();
        let n = m.entry(round).or_default();
        *n += 1;
        *n
    }
    fn pending(&self, round: RoundId) -> u64 {
        self.map().get(&round).copied().unwrap_or(0)
    }
    fn take(&self) -> Vec<(RoundId, u64)> {
        std::mem::take(&mut *self.map()).into_iter().collect()
    }
    fn restore(&self, round: RoundId, n: u64) {
        *self.map().entry(round).or_default() += n;
    }
}

/// SQLite stores signed 64-bit integers: a replay mark beyond `i64::MAX` could never be recorded, so such
/// an envelope is refused before it costs a proof verification (and cannot be replayed for that work).
fn check_storable(mark: Option<&ReplayMark>) -> Result<(), ApiError> {
    let limit = i64::MAX as u64;
    if mark.is_some_and(|m| m.sequence > limit || m.round.0 > limit) {
        return Err(ApiError::new(
            Code::MalformedEnvelope,
            "the envelope's sequence number or round exceeds 2^63 - 1; sequence numbers must stay below that",
        ));
    }
    Ok(())
}

/// SHA3-256 of some bytes.
#[must_use]
pub fn sha3(bytes: &[u8]) -> [u8; 32] {
    Sha3_256::digest(bytes).into()
}

/// Current Unix time in seconds.
#[must_use]
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Coordinator {
    /// Assembles a coordinator from its parts.
    pub fn new(
        store: Store,
        verifier: Box<dyn SubmissionVerifier>,
        aggregate: Box<dyn Aggregate>,
        signer: Box<dyn AnnouncementSigner>,
        decryptor: Box<dyn Decryptor>,
        facts: ServiceFacts,
    ) -> Self {
        Self {
            store: Mutex::new(store),
            verifier,
            aggregate,
            signer,
            decryptor,
            facts,
            timings: Timings::default(),
            in_flight: InFlight::default(),
            unauthenticated: Counters::default(),
            decrypt_attempts: Counters::default(),
        }
    }

    /// Work times of `round` measured by this process (none after a restart).
    #[must_use]
    pub fn timings(&self, round: RoundId) -> Option<RoundTimings> {
        self.timings.get(round)
    }

    /// The fixed facts.
    #[must_use]
    pub fn facts(&self) -> &ServiceFacts {
        &self.facts
    }

    /// Locks the store. A poisoned lock means a panic happened while holding it; the store itself is
    /// transactional, so continuing is safe. Only the coordinator and its tests reach the store; readers
    /// use the read interface (`reads`).
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The body limit of a submission to `round`, before any byte of it is read: the round must be the open
    /// one (else the typed `wrong_round` / `round_not_open` / `no_round` error), and its limit is the longest
    /// envelope its parameter set, chunk count and B_int allow ([`RoundContext::max_submission_len`]).
    pub fn submission_limit(&self, round: RoundId) -> Result<usize, ApiError> {
        let rec = open_round(&self.store(), round)?;
        Ok(RoundContext::of(&rec.announcement).max_submission_len())
    }

    /// Cheap checks done before a submission takes a verification slot (about a millisecond): the round is
    /// the open one, these bytes were not seen before, the envelope opens, the ML-DSA signature verifies
    /// against the roster, the replay rules hold and no other submission of the same clinic is being
    /// verified. The envelope is hashed before the store lock is taken; a rejection here is counted in
    /// memory (no synced write per unauthenticated request).
    pub fn authenticate(&self, round: RoundId, envelope: &[u8]) -> Result<Staged, ApiError> {
        let envelope_sha3 = sha3(envelope);
        let ctx = {
            let store = self.store();
            let rec = open_round(&store, round)?;
            if store.envelope_seen(&envelope_sha3).map_err(internal)? {
                drop(store);
                self.unauthenticated.bump(round);
                return Err(ApiError::new(
                    Code::ReplayedSubmission,
                    "these exact envelope bytes were already submitted; build a fresh submission",
                ));
            }
            RoundContext::of(&rec.announcement)
        };
        let mut guard = StagedReplayGuard {
            coordinator: self,
            staged: None,
        };
        let started = Instant::now();
        let auth = self.verifier.authenticate(envelope, &ctx, &mut guard);
        self.timings.add(round, Phase::Verify, started.elapsed());
        let auth = auth.inspect_err(|_| self.unauthenticated.bump(round))?;
        self.check_binding(&auth, &ctx)?;
        let replay = guard.staged;
        check_storable(replay.as_ref())?;
        let slot = self.in_flight.claim(auth.clinic_id)?;
        Ok(Staged {
            envelope_sha3,
            auth,
            ctx,
            replay,
            _slot: slot,
        })
    }

    /// The expensive part (run on a verification worker): ciphertext and norm proof, then the decision.
    pub fn verify_staged(&self, staged: &Staged) -> Result<Accepted, ApiError> {
        let started = Instant::now();
        let verdict = self.verifier.verify(&staged.auth, &staged.ctx);
        self.timings
            .add(staged.ctx.round, Phase::Proof, started.elapsed());
        self.decide(
            &staged.auth,
            &staged.ctx,
            &staged.envelope_sha3,
            staged.replay,
            verdict,
        )
    }

    /// Full processing of one submission: [`Coordinator::authenticate`] then [`Coordinator::verify_staged`].
    pub fn process(&self, round: RoundId, envelope: &[u8]) -> Result<Accepted, ApiError> {
        let staged = self.authenticate(round, envelope)?;
        self.verify_staged(&staged)
    }

    /// Rejections before authentication in `round`: the stored count plus those not yet written.
    #[must_use]
    pub fn unauthenticated_rejections(&self, rec: &RoundRecord) -> u64 {
        rec.unauthenticated_rejections + self.unauthenticated.pending(rec.announcement.round)
    }

    /// The decryption mode (`single-decryptor` or `threshold t-of-n`).
    #[must_use]
    pub fn decryption_mode(&self) -> String {
        self.decryptor.mode()
    }

    /// The decryptor's state (never waits for a running decryption).
    #[must_use]
    pub fn decryptor_health(&self) -> DecryptorHealth {
        self.decryptor.health()
    }

    /// Restarts a crashed decryptor.
    pub fn supervise(&self) {
        self.decryptor.supervise();
    }

    /// Writes the in-memory count of unauthenticated rejections (called by the round driver, so a flood
    /// costs at most one write per tick).
    pub fn flush_counters(&self) -> Result<(), ApiError> {
        for (round, n) in self.unauthenticated.take() {
            if let Err(e) = self.store().add_unauthenticated_rejections(round, n) {
                self.unauthenticated.restore(round, n);
                return Err(storage_error(e));
            }
        }
        Ok(())
    }

    /// Round binding, duplicate and replay checks on an authenticated submission (nothing is stored: these
    /// say nothing about the clinic's update and must not use up its slot).
    fn check_binding(&self, auth: &Authenticated, ctx: &RoundContext) -> Result<(), ApiError> {
        if auth.round != ctx.round {
            return Err(ApiError::new(
                Code::WrongRound,
                format!(
                    "the signed submission is for round {} but was posted to round {}; rebuild it for round {}",
                    auth.round, ctx.round, ctx.round
                ),
            ));
        }
        let store = self.store();
        if store.digest_seen(&auth.digest).map_err(internal)? {
            return Err(ApiError::new(
                Code::ReplayedSubmission,
                "this signed submission was already received; replays are refused",
            ));
        }
        if store
            .decision(ctx.round, auth.clinic_id)
            .map_err(internal)?
            .is_some()
        {
            return Err(ApiError::new(
                Code::DuplicateSubmission,
                format!(
                    "clinic {} already has a decision in round {}; one submission per clinic per round",
                    auth.clinic_id, ctx.round
                ),
            ));
        }
        Ok(())
    }

    /// Records the verdict under the store lock, adding an accepted ciphertext to the running sum.
    fn decide(
        &self,
        auth: &Authenticated,
        ctx: &RoundContext,
        envelope_sha3: &[u8; 32],
        replay: Option<ReplayMark>,
        verdict: Result<(), ApiError>,
    ) -> Result<Accepted, ApiError> {
        let mut store = self.store();
        open_round(&store, ctx.round)?;
        // Re-check under the lock: two workers may have raced on the same clinic.
        drop(store);
        self.check_binding(auth, ctx)?;
        store = self.store();
        let mut record = SubmissionRecord {
            clinic_id: auth.clinic_id,
            accepted: verdict.is_ok(),
            code: None,
            message: None,
            digest: auth.digest.clone(),
            received_at: now(),
        };
        match verdict {
            Ok(()) => {
                let sum = store
                    .running_sum(ctx.round)
                    .map_err(internal)?
                    .ok_or_else(|| ApiError::internal("open round without a running sum"))?;
                let added = Instant::now();
                let new_sum = self.aggregate.add(&sum, &auth.ciphertext)?;
                self.timings
                    .add(ctx.round, Phase::Aggregate, added.elapsed());
                store
                    .record_decision(
                        ctx.round,
                        &record,
                        envelope_sha3,
                        replay,
                        Some((&new_sum, &auth.ciphertext, &auth.proof)),
                    )
                    .map_err(internal)?;
                let accepted_so_far = store
                    .round(ctx.round)
                    .map_err(internal)?
                    .map_or(0, |r| r.accepted);
                eprintln!(
                    "round {}: clinic {} accepted ({accepted_so_far} so far)",
                    ctx.round, auth.clinic_id
                );
                Ok(Accepted {
                    round: ctx.round,
                    clinic_id: auth.clinic_id,
                    decision: "accepted".into(),
                    digest: hex::encode(&auth.digest),
                    accepted_so_far,
                })
            }
            Err(e) => {
                record.code = Some(e.code.as_str().to_owned());
                record.message = Some(e.message.clone());
                store
                    .record_decision(ctx.round, &record, envelope_sha3, replay, None)
                    .map_err(internal)?;
                eprintln!(
                    "round {}: clinic {} rejected: {e}",
                    ctx.round, auth.clinic_id
                );
                Err(e)
            }
        }
    }
}

/// The channel's replay guard over the store (docs/CHANNEL.md §6): `check` reads the sender's high-water mark;
/// `record` re-checks and only stages the new mark, which the coordinator then commits in the same transaction
/// as the decision, so a crash never leaves a mark without a decision or the other way round.
struct StagedReplayGuard<'a> {
    coordinator: &'a Coordinator,
    staged: Option<ReplayMark>,
}

impl ReplayGuard for StagedReplayGuard<'_> {
    fn check(&self, key: &ReplayKey) -> Result<(), ReplayError> {
        let mark = self
            .coordinator
            .store()
            .replay_mark(key.direction.to_byte(), key.clinic)
            .map_err(|_| ReplayError::Unavailable)?;
        match mark {
            Some(m) if (key.round, key.sequence) == m => Err(ReplayError::Duplicate),
            Some(m) if (key.round, key.sequence) < m => Err(ReplayError::Stale),
            _ => Ok(()),
        }
    }

    fn record(&mut self, key: &ReplayKey) -> Result<(), ReplayError> {
        self.check(key)?;
        self.staged = Some(ReplayMark {
            direction: key.direction.to_byte(),
            clinic: key.clinic,
            round: key.round,
            sequence: key.sequence,
        });
        Ok(())
    }
}

/// The open round with this id, or the typed reason why a submission to it is refused.
fn open_round(store: &Store, round: RoundId) -> Result<RoundRecord, ApiError> {
    let latest = store
        .latest_round()
        .map_err(internal)?
        .ok_or_else(|| ApiError::new(Code::NoRound, "no round has been opened yet"))?;
    let current = latest.announcement.round;
    if round != current {
        return Err(ApiError::new(
            Code::WrongRound,
            format!("round {round} is not the current round; the current round is {current}"),
        ));
    }
    if latest.state() != RoundState::Open {
        return Err(ApiError::new(
            Code::RoundNotOpen,
            format!(
                "round {round} is {} and no longer accepts submissions",
                latest.state().as_str()
            ),
        ));
    }
    Ok(latest)
}

mod lifecycle;
mod reads;
mod timing;
pub use lifecycle::{Progress, parse_hash};
pub use reads::RoundReport;
pub use timing::RoundTimings;
use timing::{Phase, Timings};

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;
