//! Durable state in SQLite (docs/SERVICE.md "Storage"): models, rounds with their state and running sum,
//! per-clinic decisions, and the replay memory. Every decision is one transaction, so a `kill -9` at any
//! moment leaves either the whole decision (row, digest, new running sum) or none of it.

mod schema;

pub use schema::SCHEMA_VERSION;

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

use crate::round::{Announcement, ClinicId, RoundId, RoundPhase, RoundState};

/// A storage failure (always an internal error for the peer).
#[derive(Debug)]
pub enum StoreError {
    /// SQLite said no.
    Sql(rusqlite::Error),
    /// A stored value does not parse (corrupted or foreign database).
    Corrupt(&'static str),
    /// The requested state change is not a legal transition.
    Transition(crate::round::IllegalTransition),
    /// `PRAGMA quick_check` found damage at start-up.
    Damaged(String),
}

impl core::fmt::Display for StoreError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Sql(e) => write!(f, "sqlite: {e}"),
            Self::Corrupt(what) => write!(f, "corrupt database: {what}"),
            Self::Transition(t) => write!(f, "{t}"),
            Self::Damaged(what) => write!(
                f,
                "the database failed its integrity check ({what}); refusing to start: restore the data \
                 directory from a backup"
            ),
        }
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    /// SQLite's primary error code, if SQLite reported this error.
    #[must_use]
    pub fn sqlite_code(&self) -> Option<rusqlite::ErrorCode> {
        match self {
            Self::Sql(e) => e.sqlite_error_code(),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Sql(e)
    }
}

impl From<crate::round::IllegalTransition> for StoreError {
    fn from(e: crate::round::IllegalTransition) -> Self {
        Self::Transition(e)
    }
}

/// One accepted ciphertext as kept for the integrity check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// Roster id.
    pub clinic_id: ClinicId,
    /// The BFV ciphertext (wire encoding); `None` for a row written before schema v3.
    pub ciphertext: Option<Vec<u8>>,
    /// The norm proof the aggregator verified (a committee member verifies it again); `None` for a row
    /// written before schema v4.
    pub proof: Option<Vec<u8>>,
}

/// The first link of a round's hash chain over accepted ciphertexts.
#[must_use]
pub fn chain_start(round: RoundId) -> [u8; 32] {
    use sha3::Digest as _;
    sha3::Sha3_256::new()
        .chain_update(b"ZKFL-PQ sum chain v1")
        .chain_update(round.0.to_le_bytes())
        .finalize()
        .into()
}

/// The next link: binds the previous head, the clinic and the ciphertext's hash, in acceptance order.
#[must_use]
pub fn chain_link(head: &[u8; 32], clinic_id: ClinicId, ciphertext: &[u8]) -> [u8; 32] {
    use sha3::Digest as _;
    sha3::Sha3_256::new()
        .chain_update(head)
        .chain_update(clinic_id.0.to_le_bytes())
        .chain_update(sha3::Sha3_256::digest(ciphertext))
        .finalize()
        .into()
}

/// An exclusive lock on a data directory (`zkfl.lock`), held for the life of the service so two `serve`
/// processes can never share one database and running sum. The OS drops it when the process dies.
pub struct DirLock(#[allow(dead_code)] std::fs::File);

impl DirLock {
    /// Takes the lock, or says which directory is already in use.
    pub fn acquire(dir: &Path) -> std::io::Result<Self> {
        let path = dir.join("zkfl.lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Self(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(std::io::Error::other(format!(
                "{} is in use by another zkfl serve (lock {}); stop it or use another --data-dir",
                dir.display(),
                path.display()
            ))),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

/// Result alias of this module.
pub type Result<T> = core::result::Result<T, StoreError>;

/// One round as stored.
#[derive(Clone, Debug)]
pub struct RoundRecord {
    /// Where the round is, with that state's own data.
    pub phase: RoundPhase,
    /// The signed facts.
    pub announcement: Announcement,
    /// ML-DSA-65 signature over `round::encode_announcement(announcement)`.
    pub signature: Vec<u8>,
    /// Number of accepted submissions.
    pub accepted: u32,
    /// Rejections before authentication.
    pub unauthenticated_rejections: u64,
}

impl RoundRecord {
    /// The round's state without its data.
    #[must_use]
    pub fn state(&self) -> RoundState {
        self.phase.state()
    }
}

/// The round's state with its own data from the stored columns; a published round without its model
/// hash or time, or a failed one without its reason, is corrupt.
fn phase(
    state: &str,
    next: Option<Vec<u8>>,
    published_at: Option<u64>,
    failure: Option<(String, String)>,
) -> Result<RoundPhase> {
    let corrupt = StoreError::Corrupt("round state");
    Ok(
        match RoundState::parse(state).ok_or(StoreError::Corrupt("round state"))? {
            RoundState::Open => RoundPhase::Open,
            RoundState::Closing => RoundPhase::Closing,
            RoundState::Decrypting => RoundPhase::Decrypting,
            RoundState::Published => RoundPhase::Published {
                next_model_sha3: blob32(next.ok_or(corrupt)?)?,
                published_at: published_at.ok_or(StoreError::Corrupt("publication time"))?,
            },
            RoundState::Failed => {
                let (code, message) = failure.ok_or(corrupt)?;
                RoundPhase::Failed { code, message }
            }
        },
    )
}

/// A sender's position in the channel's replay order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayMark {
    /// Direction byte (1 = clinic to aggregator).
    pub direction: u8,
    /// Clinic id.
    pub clinic: ClinicId,
    /// Round of the envelope.
    pub round: RoundId,
    /// Sequence number of the envelope.
    pub sequence: u64,
}

/// One per-clinic decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmissionRecord {
    /// Roster id.
    pub clinic_id: ClinicId,
    /// Accepted or not.
    pub accepted: bool,
    /// Rejection code (wire string) if rejected.
    pub code: Option<String>,
    /// Rejection message if rejected.
    pub message: Option<String>,
    /// Submission digest (the 64-byte `SubmissionDigest` the clinic signed).
    pub digest: Vec<u8>,
    /// Unix seconds.
    pub received_at: u64,
}

/// The SQLite-backed store. Not `Sync`: the coordinator owns it behind one mutex, which also serialises
/// updates of the running sum.
pub struct Store {
    conn: Connection,
}

fn blob32(v: Vec<u8>) -> Result<[u8; 32]> {
    v.try_into()
        .map_err(|_| StoreError::Corrupt("hash is not 32 bytes"))
}

impl Store {
    /// Opens (creating if needed) the database at `path`, checks it with `PRAGMA quick_check` and applies
    /// migrations. A damaged or truncated file is refused with [`StoreError::Damaged`].
    pub fn open(path: &Path) -> Result<Self> {
        let damaged = |e: rusqlite::Error| StoreError::Damaged(e.to_string());
        let conn = Connection::open(path).map_err(damaged)?;
        let verdict: Vec<String> = conn
            .prepare("PRAGMA quick_check")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .map_err(damaged)?;
        if verdict != ["ok"] {
            return Err(StoreError::Damaged(verdict.join("; ")));
        }
        Self::init(conn)
    }

    /// An in-memory store for unit tests.
    pub fn in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?)
    }

    fn init(mut conn: Connection) -> Result<Self> {
        // WAL + FULL: a committed decision survives a crash of the process or of the machine.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        schema::migrate(&mut conn)?;
        Ok(Self { conn })
    }

    /// Stores a model (idempotent).
    pub fn put_model(&self, sha3: &[u8; 32], dim: u32, data: &[u8]) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO models (sha3, dim, data) VALUES (?1, ?2, ?3)",
            params![&sha3[..], dim, data],
        )?;
        Ok(())
    }

    /// A stored model's bytes.
    pub fn model(&self, sha3: &[u8; 32]) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row(
                "SELECT data FROM models WHERE sha3 = ?1",
                [&sha3[..]],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The only stored model, if exactly one exists (the initial model before round 1).
    pub fn sole_model(&self) -> Result<Option<[u8; 32]>> {
        let mut stmt = self.conn.prepare("SELECT sha3 FROM models LIMIT 2")?;
        let rows: Vec<Vec<u8>> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        match <[Vec<u8>; 1]>::try_from(rows) {
            Ok([one]) => Ok(Some(blob32(one)?)),
            Err(_) => Ok(None),
        }
    }

    /// Inserts a new open round with its empty running sum and the start of its hash chain.
    pub fn insert_round(&self, a: &Announcement, signature: &[u8], empty_sum: &[u8]) -> Result<()> {
        self.conn.execute(
            "INSERT INTO rounds (id, state, model_sha3, announcement, signature, running_sum, sum_chain)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                a.round.0,
                RoundState::Open.as_str(),
                &a.model_sha3[..],
                crate::round::encode_announcement(a),
                signature,
                empty_sum,
                &chain_start(a.round)[..]
            ],
        )?;
        Ok(())
    }

    /// The accepted ciphertexts of a round in acceptance order (`None` for a row written before schema
    /// v3) and the stored head of its hash chain.
    pub fn accepted_ciphertexts(&self, id: RoundId) -> Result<(Vec<Accepted>, Option<Vec<u8>>)> {
        let mut stmt = self.conn.prepare(
            "SELECT clinic_id, ciphertext, proof FROM submissions WHERE round = ?1 AND accepted = 1
             ORDER BY rowid",
        )?;
        let rows = stmt
            .query_map([id.0], |r| {
                Ok(Accepted {
                    clinic_id: ClinicId(r.get(0)?),
                    ciphertext: r.get(1)?,
                    proof: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let head = self
            .conn
            .query_row("SELECT sum_chain FROM rounds WHERE id = ?1", [id.0], |r| {
                r.get::<_, Option<Vec<u8>>>(0)
            })
            .optional()?
            .flatten();
        Ok((rows, head))
    }

    /// Flips a bit of a kept ciphertext (tests of the integrity check only).
    #[cfg(test)]
    pub fn damage_ciphertext_for_test(&self, round: RoundId, clinic: ClinicId) {
        let ct: Vec<u8> = self
            .conn
            .query_row(
                "SELECT ciphertext FROM submissions WHERE round = ?1 AND clinic_id = ?2",
                params![round.0, clinic.0],
                |r| r.get(0),
            )
            .expect("kept ciphertext");
        let mut ct = ct;
        ct[0] ^= 1;
        self.conn
            .execute(
                "UPDATE submissions SET ciphertext = ?3 WHERE round = ?1 AND clinic_id = ?2",
                params![round.0, clinic.0, ct],
            )
            .expect("damage");
    }

    /// Replaces a round's running sum (after it was rebuilt from the accepted ciphertexts).
    pub fn replace_running_sum(&self, id: RoundId, sum: &[u8]) -> Result<()> {
        self.conn.execute(
            "UPDATE rounds SET running_sum = ?2 WHERE id = ?1",
            params![id.0, sum],
        )?;
        Ok(())
    }

    /// The highest-numbered round.
    pub fn latest_round(&self) -> Result<Option<RoundRecord>> {
        let id: Option<u64> = self
            .conn
            .query_row("SELECT MAX(id) FROM rounds", [], |r| r.get(0))?;
        match id {
            Some(id) => self.round(RoundId(id)),
            None => Ok(None),
        }
    }

    /// One round.
    pub fn round(&self, id: RoundId) -> Result<Option<RoundRecord>> {
        let row = self
            .conn
            .query_row(
                "SELECT state, announcement, signature, accepted, unauthenticated_rejections,
                        next_model_sha3, published_at, failure_code, failure_message
                 FROM rounds WHERE id = ?1",
                [id.0],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, u32>(3)?,
                        r.get::<_, u64>(4)?,
                        r.get::<_, Option<Vec<u8>>>(5)?,
                        r.get::<_, Option<u64>>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, Option<String>>(8)?,
                    ))
                },
            )
            .optional()?;
        let Some((state, ann, signature, accepted, unauth, next, published_at, fcode, fmsg)) = row
        else {
            return Ok(None);
        };
        Ok(Some(RoundRecord {
            phase: phase(&state, next, published_at, fcode.zip(fmsg))?,
            announcement: crate::round::decode_announcement(&ann)
                .map_err(|_| StoreError::Corrupt("announcement"))?,
            signature,
            accepted,
            unauthenticated_rejections: unauth,
        }))
    }

    /// The running sum of a round (the aggregate ciphertext encoding).
    pub fn running_sum(&self, id: RoundId) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row(
                "SELECT running_sum FROM rounds WHERE id = ?1",
                [id.0],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Adds `n` rejections that happened before the sender was authenticated (counted in memory and
    /// written in batches by the round driver).
    pub fn add_unauthenticated_rejections(&self, id: RoundId, n: u64) -> Result<()> {
        self.conn.execute(
            "UPDATE rounds SET unauthenticated_rejections = unauthenticated_rejections + ?2 WHERE id = ?1",
            params![id.0, n],
        )?;
        Ok(())
    }

    /// Whether these exact envelope bytes were seen before.
    pub fn envelope_seen(&self, sha3: &[u8; 32]) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM seen_envelopes WHERE sha3 = ?1",
            [&sha3[..]],
            |r| r.get::<_, u64>(0),
        )? > 0)
    }

    /// Whether this signed-submission digest was seen before (in any round).
    pub fn digest_seen(&self, digest: &[u8]) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM seen_digests WHERE digest = ?1",
            [digest],
            |r| r.get::<_, u64>(0),
        )? > 0)
    }

    /// The decision already recorded for a clinic in a round.
    pub fn decision(&self, id: RoundId, clinic_id: ClinicId) -> Result<Option<SubmissionRecord>> {
        Ok(self
            .submissions_where(id, Some(clinic_id))?
            .into_iter()
            .next())
    }

    /// Every decision of a round, by clinic id.
    pub fn submissions(&self, id: RoundId) -> Result<Vec<SubmissionRecord>> {
        self.submissions_where(id, None)
    }

    fn submissions_where(
        &self,
        id: RoundId,
        clinic: Option<ClinicId>,
    ) -> Result<Vec<SubmissionRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT clinic_id, accepted, code, message, digest, received_at FROM submissions
             WHERE round = ?1 AND (?2 IS NULL OR clinic_id = ?2) ORDER BY clinic_id",
        )?;
        let rows = stmt.query_map(params![id.0, clinic.map(|c| c.0)], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get::<_, Vec<u8>>(4)?,
                r.get(5)?,
            ))
        })?;
        rows.map(|row| {
            let (clinic_id, accepted, code, message, digest, received_at) = row?;
            Ok(SubmissionRecord {
                clinic_id: ClinicId(clinic_id),
                accepted,
                code,
                message,
                digest,
                received_at,
            })
        })
        .collect()
    }

    /// The replay high-water mark `(round, sequence)` of a sender (docs/CHANNEL.md §6).
    pub fn replay_mark(&self, direction: u8, clinic: ClinicId) -> Result<Option<(RoundId, u64)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT round, sequence FROM replay_marks WHERE direction = ?1 AND clinic = ?2",
                params![direction, clinic.0],
                |r| Ok((RoundId(r.get(0)?), r.get(1)?)),
            )
            .optional()?)
    }

    /// Records one authenticated decision atomically: the decision row, the replay memory (digest, envelope
    /// hash, the channel's high-water mark) and, for an accepted submission, the new running sum and count
    /// with the submission's ciphertext and norm proof (`new_sum`: sum, ciphertext, proof).
    pub fn record_decision(
        &mut self,
        id: RoundId,
        decision: &SubmissionRecord,
        envelope_sha3: &[u8; 32],
        replay: Option<ReplayMark>,
        new_sum: Option<(&[u8], &[u8], &[u8])>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let ciphertext = new_sum.map(|(_, ct, _)| ct);
        let proof = new_sum.map(|(_, _, proof)| proof);
        if let Some(m) = replay {
            tx.execute(
                "INSERT INTO replay_marks (direction, clinic, round, sequence) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (direction, clinic) DO UPDATE SET round = excluded.round, sequence = excluded.sequence
                 WHERE (excluded.round, excluded.sequence) > (replay_marks.round, replay_marks.sequence)",
                params![m.direction, m.clinic.0, m.round.0, m.sequence],
            )?;
        }
        tx.execute(
            "INSERT INTO submissions (round, clinic_id, accepted, code, message, digest, received_at,
                                      ciphertext, proof)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                id.0,
                decision.clinic_id.0,
                decision.accepted,
                decision.code,
                decision.message,
                &decision.digest,
                decision.received_at,
                ciphertext,
                proof
            ],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO seen_digests (digest, round) VALUES (?1, ?2)",
            params![&decision.digest, id.0],
        )?;
        tx.execute(
            "INSERT OR IGNORE INTO seen_envelopes (sha3, round) VALUES (?1, ?2)",
            params![&envelope_sha3[..], id.0],
        )?;
        if let Some((sum, ct, _)) = new_sum {
            let head: Option<Vec<u8>> = tx
                .query_row("SELECT sum_chain FROM rounds WHERE id = ?1", [id.0], |r| {
                    r.get(0)
                })
                .optional()?
                .flatten();
            let head = head.map_or_else(|| chain_start(id), |h| blob32(h).unwrap_or([0; 32]));
            let next = chain_link(&head, decision.clinic_id, ct);
            let n = tx.execute(
                "UPDATE rounds SET running_sum = ?2, sum_chain = ?3, accepted = accepted + 1
                 WHERE id = ?1 AND state = 'open'",
                params![id.0, sum, &next[..]],
            )?;
            if n != 1 {
                return Err(StoreError::Corrupt(
                    "accepted a submission into a round that is not open",
                ));
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Moves a round along its state machine (checked against the stored state).
    pub fn transition(
        &self,
        id: RoundId,
        step: fn(RoundState) -> core::result::Result<RoundState, crate::round::IllegalTransition>,
    ) -> Result<RoundState> {
        let rec = self
            .round(id)?
            .ok_or(StoreError::Corrupt("transition of a missing round"))?;
        let next = step(rec.state())?;
        self.conn.execute(
            "UPDATE rounds SET state = ?2 WHERE id = ?1",
            params![id.0, next.as_str()],
        )?;
        Ok(next)
    }

    /// Publishes a decrypting round: stores the mean update and the next model in one transaction.
    pub fn publish(
        &mut self,
        id: RoundId,
        update: &[u8],
        next_sha3: &[u8; 32],
        next_model: &[u8],
        dim: u32,
        now: u64,
    ) -> Result<()> {
        let rec = self
            .round(id)?
            .ok_or(StoreError::Corrupt("publish of a missing round"))?;
        let next = rec.state().publish()?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT OR IGNORE INTO models (sha3, dim, data) VALUES (?1, ?2, ?3)",
            params![&next_sha3[..], dim, next_model],
        )?;
        tx.execute(
            "UPDATE rounds SET state = ?2, update_data = ?3, next_model_sha3 = ?4, published_at = ?5 WHERE id = ?1",
            params![id.0, next.as_str(), update, &next_sha3[..], now],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Keeps how a round was decrypted (JSON, threshold mode: present set, receipt signers, refusals,
    /// exclusions), stored before the round is published or failed.
    pub fn set_decryption(&self, id: RoundId, report: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE rounds SET decryption = ?2 WHERE id = ?1",
            params![id.0, report],
        )?;
        Ok(())
    }

    /// How a round was decrypted (JSON), if it was kept.
    pub fn decryption(&self, id: RoundId) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT decryption FROM rounds WHERE id = ?1", [id.0], |r| {
                r.get(0)
            })
            .optional()?
            .flatten())
    }

    /// Marks a closing or decrypting round as failed, with the reason.
    pub fn fail(&self, id: RoundId, code: &str, message: &str) -> Result<()> {
        let rec = self
            .round(id)?
            .ok_or(StoreError::Corrupt("failing a missing round"))?;
        let next = rec.state().fail()?;
        self.conn.execute(
            "UPDATE rounds SET state = ?2, failure_code = ?3, failure_message = ?4 WHERE id = ?1",
            params![id.0, next.as_str(), code, message],
        )?;
        Ok(())
    }

    /// The published mean update of a round.
    pub fn update(&self, id: RoundId) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .query_row(
                "SELECT update_data FROM rounds WHERE id = ?1",
                [id.0],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }
}

#[cfg(test)]
mod tests;
