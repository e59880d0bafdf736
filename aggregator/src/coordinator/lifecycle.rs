//! Opening rounds and driving them through closing, decryption and publication (docs/API.md "Round life
//! cycle"). Each step is stored before the next begins, so a restart resumes where the process stopped.

use super::{Coordinator, OpenRound, internal, now, sha3};
use crate::error::{ApiError, Code, PortError};
use crate::model;
use crate::round::{Announcement, RoundId, RoundState};
use crate::store::RoundRecord;
use crate::verify::RoundContext;

/// Decryption attempts per round (each already retries the key-holder pipe with restarts) before the
/// round fails.
pub const DECRYPT_ATTEMPTS: u64 = 4;

/// What one call of [`Coordinator::drive`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Nothing to do.
    Idle,
    /// A round moved to this state.
    Moved(RoundState),
}

impl Coordinator {
    /// Stores a model sent by an admin; returns its hash.
    pub fn put_model(&self, bytes: &[u8]) -> Result<([u8; 32], u32), ApiError> {
        let m = model::decode(bytes)?;
        let dim = u32::try_from(m.len())
            .map_err(|_| ApiError::new(Code::MalformedRequest, "model too large"))?;
        let h = sha3(bytes);
        self.store().put_model(&h, dim, bytes).map_err(internal)?;
        Ok((h, dim))
    }

    /// Opens the next round, signed. Refused while another round is not finished.
    pub fn open_round(&self, req: &OpenRound) -> Result<RoundRecord, ApiError> {
        let store = self.store();
        let latest = store.latest_round().map_err(internal)?;
        if let Some(l) = latest.as_ref().filter(|l| !l.state().is_terminal()) {
            return Err(ApiError::new(
                Code::RoundAlreadyOpen,
                format!(
                    "round {} is {}; wait until it is published or failed",
                    l.announcement.round,
                    l.state().as_str()
                ),
            ));
        }
        let model_sha3 = match &req.model_sha3 {
            Some(h) => parse_hash(h)?,
            None => match &latest {
                Some(l) => l.phase.next_model_sha3().unwrap_or(l.announcement.model_sha3),
                None => store.sole_model().map_err(internal)?.ok_or_else(|| ApiError::new(Code::NotFound, "no initial model: upload one with POST /v1/admin/models or start with --initial-model"))?,
            },
        };
        let bytes = store
            .model(&model_sha3)
            .map_err(internal)?
            .ok_or_else(|| ApiError::new(Code::NotFound, "no stored model with that hash"))?;
        let model_dim =
            u32::try_from(bytes.len() / 4).map_err(|_| ApiError::internal("model size"))?;
        check_round_request(req)?;
        let config = model::round_config_for(
            &self.facts.limits,
            self.facts.roster_size,
            model_dim,
            req.norm_bound,
            req.scale,
            self.facts.committee.as_ref(),
        )?;
        check_bound_slack(config.b_int(), req)?;
        let model = req
            .model
            .as_deref()
            .map(|m| announced_model(m, model_dim))
            .transpose()?;
        let opened_at = now();
        let announcement = Announcement {
            param_set_id: self.facts.limits.id,
            round: match &latest {
                None => RoundId(1),
                Some(l) => l.announcement.round.next().ok_or_else(|| {
                    ApiError::internal("round numbers are exhausted (the last round is 2^64 - 1)")
                })?,
            },
            model_dim,
            model_sha3,
            norm_bound: req.norm_bound,
            scale: req.scale,
            b_int: config.b_int(),
            t: config.t,
            opened_at,
            deadline: opened_at.saturating_add(req.deadline_secs),
            kem_key_sha3: self.facts.kem_key_sha3,
            bfv_public_key_sha3: self.facts.bfv_public_key_sha3,
            model_spec: model,
        };
        let signature = self
            .signer
            .sign(&crate::round::encode_announcement(&announcement))
            .map_err(ApiError::internal)?;
        let empty = self.aggregate.empty(&RoundContext::of(&announcement))?;
        store
            .insert_round(&announcement, &signature, &empty)
            .map_err(internal)?;
        eprintln!(
            "round {} opened: dim {model_dim}, B {}, S {}, deadline {}",
            announcement.round, req.norm_bound, req.scale, announcement.deadline
        );
        store
            .round(announcement.round)
            .map_err(internal)?
            .ok_or_else(|| ApiError::internal("round vanished"))
    }

    /// Closes the open round now (admin request).
    pub fn close_now(&self, round: RoundId) -> Result<(), ApiError> {
        let store = self.store();
        let rec = store
            .round(round)
            .map_err(internal)?
            .ok_or_else(|| ApiError::new(Code::NotFound, format!("no round {round}")))?;
        if rec.state() != RoundState::Open {
            return Err(ApiError::new(
                Code::RoundNotOpen,
                format!("round {round} is {}", rec.state().as_str()),
            ));
        }
        store
            .transition(round, RoundState::close)
            .map_err(internal)?;
        Ok(())
    }

    /// Makes one step of progress on the latest round, if any is due. Called by the round driver.
    pub fn drive(&self, now: u64) -> Result<Progress, ApiError> {
        let Some(rec) = self.store().latest_round().map_err(internal)? else {
            return Ok(Progress::Idle);
        };
        let id = rec.announcement.round;
        match rec.state() {
            RoundState::Open => {
                let decided = u32::try_from(self.store().submissions(id).map_err(internal)?.len())
                    .unwrap_or(u32::MAX);
                if now >= rec.announcement.deadline || decided >= self.facts.roster_size {
                    self.store()
                        .transition(id, RoundState::close)
                        .map_err(internal)?;
                    eprintln!("round {id} closing ({decided} decisions)");
                    return Ok(Progress::Moved(RoundState::Closing));
                }
                Ok(Progress::Idle)
            }
            RoundState::Closing if rec.accepted == 0 => {
                self.store().fail(id, "no_accepted_submissions", "the round closed without any accepted submission; the next round starts from the same model").map_err(internal)?;
                eprintln!("round {id} failed: no accepted submissions");
                Ok(Progress::Moved(RoundState::Failed))
            }
            RoundState::Closing => {
                self.store()
                    .transition(id, RoundState::start_decrypting)
                    .map_err(internal)?;
                Ok(Progress::Moved(RoundState::Decrypting))
            }
            RoundState::Decrypting => self.decrypt_and_publish(&rec, now),
            RoundState::Published | RoundState::Failed => Ok(Progress::Idle),
        }
    }

    /// The running sum checked against the accepted ciphertexts kept beside it: the hash chain over them
    /// must match the stored head, and the sum rebuilt from them must equal the stored sum; a damaged
    /// stored sum is replaced by the rebuilt one (logged), a damaged ciphertext or chain fails the round.
    fn verified_sum(
        &self,
        rec: &RoundRecord,
    ) -> Result<(Vec<u8>, Vec<crate::store::Accepted>), String> {
        let a = &rec.announcement;
        let store = self.store();
        let stored = store
            .running_sum(a.round)
            .map_err(|e| e.to_string())?
            .ok_or("the round has no running sum")?;
        let (accepted, head) = store
            .accepted_ciphertexts(a.round)
            .map_err(|e| e.to_string())?;
        drop(store);
        if accepted.len() != rec.accepted as usize {
            return Err(format!(
                "{} accepted ciphertexts are stored for {} accepted submissions",
                accepted.len(),
                rec.accepted
            ));
        }
        let Some(cts) = accepted
            .iter()
            .map(|x| x.ciphertext.as_deref().map(|c| (x.clinic_id, c)))
            .collect::<Option<Vec<_>>>()
        else {
            eprintln!(
                "round {}: accepted before schema v3; the running sum cannot be re-checked",
                a.round
            );
            return Ok((stored, accepted));
        };
        let mut chain = crate::store::chain_start(a.round);
        for (clinic, ct) in &cts {
            chain = crate::store::chain_link(&chain, *clinic, ct);
        }
        if head.as_deref() != Some(&chain[..]) {
            return Err(
                "the kept ciphertexts do not match the round's hash chain (damaged storage)".into(),
            );
        }
        let mut rebuilt = self
            .aggregate
            .empty(&RoundContext::of(a))
            .map_err(|e| e.message)?;
        for (_, ct) in &cts {
            rebuilt = self.aggregate.add(&rebuilt, ct).map_err(|e| e.message)?;
        }
        if rebuilt != stored {
            eprintln!(
                "round {}: the stored running sum differs from the sum of the {} kept ciphertexts; \
                 using the rebuilt sum",
                a.round,
                cts.len()
            );
            self.store()
                .replace_running_sum(a.round, &rebuilt)
                .map_err(|e| e.to_string())?;
        }
        Ok((rebuilt, accepted))
    }

    /// Asks the key holder for the aggregate (no lock held meanwhile), then publishes w_{r+1} = w_r + mean.
    /// A failed decryption is retried on later driver ticks (the key holder is restarted meanwhile); the
    /// round fails only after [`DECRYPT_ATTEMPTS`] attempts, with the last reason.
    fn decrypt_and_publish(&self, rec: &RoundRecord, now: u64) -> Result<Progress, ApiError> {
        let a = &rec.announcement;
        let (sum, accepted) = match self.verified_sum(rec) {
            Ok(s) => s,
            Err(why) => {
                eprintln!("round {} failed: integrity: {why}", a.round);
                self.store()
                    .fail(
                        a.round,
                        "integrity_failed",
                        &format!("the aggregate could not be verified: {why}"),
                    )
                    .map_err(internal)?;
                return Ok(Progress::Moved(RoundState::Failed));
            }
        };
        let kept = if self.decryptor.needs_submissions() {
            match kept_submissions(accepted) {
                Ok(k) => k,
                Err(why) => {
                    return self.fail_decryption(a.round, &why);
                }
            }
        } else {
            Vec::new()
        };
        let started = std::time::Instant::now();
        let decrypted = self.decryptor.decrypt_round(
            &super::DecryptionRequest {
                round: a.round,
                model_dim: a.model_dim,
                accepted: rec.accepted,
                t: a.t,
                aggregate: &sum,
            },
            &kept,
        );
        if let Ok(super::Decrypted {
            report: Some(report),
            ..
        })
        | Err(PortError::TooFewKeyHolders { report, .. }) = &decrypted
        {
            self.store()
                .set_decryption(a.round, &report.to_string())
                .map_err(internal)?;
        }
        let sums = match decrypted.map(|d| d.sums) {
            Ok(s) if s.len() == a.model_dim as usize => s,
            Err(PortError::TooFewKeyHolders { message, .. }) => {
                eprintln!("round {} failed: too few key holders: {message}", a.round);
                self.store()
                    .fail(a.round, "too_few_key_holders", &message)
                    .map_err(internal)?;
                return Ok(Progress::Moved(RoundState::Failed));
            }
            Ok(s) => {
                return self.fail_decryption(
                    a.round,
                    &format!(
                        "key holder returned {} values for a model of {}",
                        s.len(),
                        a.model_dim
                    ),
                );
            }
            Err(e) => {
                let attempt = self.decrypt_attempts.bump_and_get(a.round);
                if attempt < DECRYPT_ATTEMPTS {
                    eprintln!(
                        "round {}: decryption attempt {attempt}/{DECRYPT_ATTEMPTS} failed: {e}; retrying",
                        a.round
                    );
                    return Ok(Progress::Idle);
                }
                return self.fail_decryption(
                    a.round,
                    &format!("{e} (gave up after {DECRYPT_ATTEMPTS} attempts)"),
                );
            }
        };
        let update = match model::mean_update(&sums, a.t, a.norm_bound, a.scale, rec.accepted) {
            Ok(u) => u,
            Err(e) => return self.fail_decryption(a.round, &format!("de-quantization: {e}")),
        };
        self.timings
            .add(a.round, super::Phase::Decrypt, started.elapsed());
        let old = self
            .store()
            .model(&a.model_sha3)
            .map_err(internal)?
            .ok_or_else(|| ApiError::internal("round model missing"))?;
        let old = model::decode(&old)?;
        let next: Vec<f32> = old.iter().zip(&update).map(|(w, d)| w + d).collect();
        let next_bytes = model::encode(&next);
        let next_sha3 = sha3(&next_bytes);
        self.store()
            .publish(
                a.round,
                &model::encode(&update),
                &next_sha3,
                &next_bytes,
                a.model_dim,
                now,
            )
            .map_err(internal)?;
        eprintln!(
            "round {} published from {} accepted updates [{} mode]",
            a.round,
            rec.accepted,
            self.decryptor.mode()
        );
        Ok(Progress::Moved(RoundState::Published))
    }

    fn fail_decryption(&self, round: RoundId, why: &str) -> Result<Progress, ApiError> {
        eprintln!("round {round} failed: decryption: {why}");
        self.store()
            .fail(
                round,
                "decryption_failed",
                &format!("the key holder could not decrypt the aggregate: {why}"),
            )
            .map_err(internal)?;
        Ok(Progress::Moved(RoundState::Failed))
    }
}

/// The accepted submissions with their ciphertexts and norm proofs, for a decryptor whose members verify every
/// proof themselves; refused for rows kept before schema v4 (no proof kept).
fn kept_submissions(
    accepted: Vec<crate::store::Accepted>,
) -> Result<Vec<super::KeptSubmission>, String> {
    accepted
        .into_iter()
        .map(|x| match (x.ciphertext, x.proof) {
            (Some(ciphertext), Some(proof)) => Ok(super::KeptSubmission {
                clinic_id: x.clinic_id,
                ciphertext,
                proof,
            }),
            _ => Err(format!(
                "clinic {}'s submission was kept without its norm proof (before schema v4); committee \
                 members verify every proof themselves and cannot decrypt this round",
                x.clinic_id
            )),
        })
        .collect()
}

/// Shortest and longest round an admin may open (seconds).
pub const DEADLINE_RANGE: core::ops::RangeInclusive<u64> = 1..=30 * 24 * 3600;

/// Largest ratio of the proven integer bound to the clip bound in integer units (S·B): rounding adds a
/// slack of about √d/2, and a scale too small for the model makes the proof say little about the clip.
pub const MAX_BOUND_SLACK: f64 = 2.0;

/// Refuses round parameters that are not finite and positive or a deadline outside [`DEADLINE_RANGE`].
fn check_round_request(req: &OpenRound) -> Result<(), ApiError> {
    let bad = |m: String| Err(ApiError::new(Code::MalformedRequest, m));
    if !(req.norm_bound.is_finite() && req.norm_bound > 0.0) {
        return bad(format!(
            "norm_bound must be a finite number > 0, not {}",
            req.norm_bound
        ));
    }
    if !(req.scale.is_finite() && req.scale >= 1.0) {
        return bad(format!(
            "scale must be a finite number >= 1, not {}",
            req.scale
        ));
    }
    if !DEADLINE_RANGE.contains(&req.deadline_secs) {
        return bad(format!(
            "deadline_secs must be between {} and {}, not {}",
            DEADLINE_RANGE.start(),
            DEADLINE_RANGE.end(),
            req.deadline_secs
        ));
    }
    Ok(())
}

/// Refuses a scale so small that the proven bound is more than [`MAX_BOUND_SLACK`] × the clip bound.
fn check_bound_slack(b_int: u64, req: &OpenRound) -> Result<(), ApiError> {
    let clip_int = req.scale * req.norm_bound;
    #[allow(clippy::cast_precision_loss)]
    let ratio = b_int as f64 / clip_int;
    if ratio > MAX_BOUND_SLACK {
        return Err(ApiError::new(
            Code::MalformedRequest,
            format!(
                "with scale {} the proven bound {b_int} is {ratio:.1}x the clip bound in integer units \
                 ({clip_int:.1}); raise the scale so the rounding slack stays below {MAX_BOUND_SLACK}x",
                req.scale
            ),
        ));
    }
    Ok(())
}

/// Parses a hex SHA3-256.
pub fn parse_hash(h: &str) -> Result<[u8; 32], ApiError> {
    hex::decode(h)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| {
            ApiError::new(
                Code::MalformedRequest,
                "model_sha3 must be 64 hex characters",
            )
        })
}

/// The round's model spec, refused unless its parameter count is the stored model's dimension.
fn announced_model(spec: &str, model_dim: u32) -> Result<zkfl_learn::ModelSpec, ApiError> {
    let bad = |m: String| ApiError::new(Code::MalformedRequest, m);
    let spec = zkfl_learn::ModelSpec::parse(spec).map_err(|e| bad(e.to_string()))?;
    if spec.param_count() == model_dim as usize {
        Ok(spec)
    } else {
        Err(bad(format!(
            "model {spec} has {} parameters, the round's model has {model_dim}",
            spec.param_count()
        )))
    }
}
