//! A committee member's durable state (docs/THRESHOLD.md §16.2): one SQLite database, WAL, `synchronous=FULL`.
//!
//! - `pinned`: the epoch identity (which contains the roster digest ρ_R) and the member index, written at the
//!   first open; any later open under another roster, epoch or index is refused (`RosterChanged`).
//! - `spent`: the member's `SpentLedger` (spent ciphertexts, round, "signed", "answered" and decryption markers):
//!   `spend_all` is one `BEGIN IMMEDIATE` transaction (atomic, durable when it returns, serialised against
//!   concurrent callers and processes; review 10 R10-5), so the decryption count survives restarts (review 11 F3).
//! - `log`: every ceremony message the member accepted, in order, replayed at start through the same checks.
//! - `replies`: every answer the member sent, by aggregate binding (or (binding, x) for a supplement), resent
//!   unchanged when asked again. An answer's "answered" and decryption markers and its reply are written in one
//!   `BEGIN IMMEDIATE` transaction ([`MemberStore::commit_answer`], review 16 R16-2): either the answer is spent
//!   and stored, or neither, so a crash can never leave an aggregate answered with nothing to resend.
//! - `receipts`: every spend receipt the member signed, by the aggregate's "signed" marker, written in the same
//!   transaction as the spend and returned again for the same aggregate (review 13, R13-6).
//! - `committed`: the member's own signed 0x10 for the pinned epoch, written (one `BEGIN IMMEDIATE`
//!   transaction) before the commitment leaves the member; once it is there the member never commits again in
//!   this epoch (review 15, R15-1): after a restart its dealer secret is gone and it has left the ceremony.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use zkfl_core::channel::identity::Signature;
use zkfl_core::threshold::{LedgerRefusal, ReceiptLedger, SpendReceipt, SpentLedger};

use super::CommitteeError;

/// The database of one member.
pub struct MemberStore {
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS pinned (id INTEGER PRIMARY KEY CHECK (id = 1), epoch_id BLOB NOT NULL,
                                   member INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS spent (digest BLOB PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY AUTOINCREMENT, bytes BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS replies (binding BLOB PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS receipts (marker BLOB PRIMARY KEY, member INTEGER NOT NULL,
                                     signature BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS committed (id INTEGER PRIMARY KEY CHECK (id = 1), bytes BLOB NOT NULL);
";

impl MemberStore {
    /// Opens (creating) `path` for member `member` of the epoch with identity `epoch_id`.
    ///
    /// # Errors
    /// [`CommitteeError::RosterChanged`] if the database was pinned to another epoch identity or member,
    /// [`CommitteeError::Storage`] if SQLite fails.
    pub fn open(path: &Path, epoch_id: &[u8; 32], member: u8) -> Result<Self, CommitteeError> {
        let conn = Connection::open(path)?;
        // The log holds dealt part seeds (the member's key share): owner only, like every other secret file.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| CommitteeError::Storage(format!("{}: {e}", path.display())))?;
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        let pinned: Option<(Vec<u8>, i64)> = conn
            .query_row(
                "SELECT epoch_id, member FROM pinned WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match pinned {
            None => {
                conn.execute(
                    "INSERT INTO pinned (id, epoch_id, member) VALUES (1, ?1, ?2)",
                    params![&epoch_id[..], i64::from(member)],
                )?;
            }
            Some((e, m)) if e == epoch_id && m == i64::from(member) => {}
            Some(_) => return Err(CommitteeError::RosterChanged),
        }
        Ok(Self { conn })
    }

    /// Appends an accepted ceremony message to the log.
    ///
    /// # Errors
    /// [`CommitteeError::Storage`].
    pub fn log(&self, bytes: &[u8]) -> Result<(), CommitteeError> {
        self.conn
            .execute("INSERT INTO log (bytes) VALUES (?1)", params![bytes])?;
        Ok(())
    }

    /// Every logged message, in order.
    ///
    /// # Errors
    /// [`CommitteeError::Storage`].
    pub fn logged(&self) -> Result<Vec<Vec<u8>>, CommitteeError> {
        let mut st = self.conn.prepare("SELECT bytes FROM log ORDER BY seq")?;
        let rows = st.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>().map_err(Into::into)
    }

    /// Records this member's signed commitment for the pinned epoch, durable when it returns.
    ///
    /// # Errors
    /// [`CommitteeError::AlreadyCommitted`] if a commitment is already recorded (nothing is written),
    /// [`CommitteeError::Storage`] if SQLite fails.
    pub fn record_commitment(&mut self, signed: &[u8]) -> Result<(), CommitteeError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO committed (id, bytes) VALUES (1, ?1)",
            params![signed],
        )?;
        if inserted == 0 {
            return Err(CommitteeError::AlreadyCommitted);
        }
        tx.commit()?;
        Ok(())
    }

    /// This member's signed commitment for the pinned epoch, if it committed.
    ///
    /// # Errors
    /// [`CommitteeError::Storage`].
    pub fn commitment(&self) -> Result<Option<Vec<u8>>, CommitteeError> {
        self.conn
            .query_row("SELECT bytes FROM committed WHERE id = 1", [], |r| r.get(0))
            .optional()
            .map_err(Into::into)
    }

    /// Spends an answer's `markers` (its "answered" or supplement marker, then its decryption marker, as
    /// `spend::Spend` chose them against this ledger before the shares were made) and stores its `reply` under
    /// `key`, in one `BEGIN IMMEDIATE` transaction (review 16 R16-2): durable together or not at all. Every
    /// marker is re-checked inside the transaction (a concurrent answer may have taken it since).
    ///
    /// # Errors
    /// `Ok(Err(i))` if marker `i` is already spent (nothing written), [`CommitteeError::Storage`] if SQLite
    /// fails (nothing written).
    pub fn commit_answer(
        &mut self,
        markers: &[[u8; 32]],
        key: &[u8; 32],
        reply: &[u8],
    ) -> Result<Result<(), usize>, CommitteeError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Err(i) = mark_spent(&tx, markers.iter())? {
            // Dropping `tx` rolls back.
            return Ok(Err(i));
        }
        tx.execute(
            "INSERT INTO replies (binding, bytes) VALUES (?1, ?2)",
            params![&key[..], reply],
        )?;
        tx.commit()?;
        Ok(Ok(()))
    }

    /// The share-set bytes already sent for aggregate `binding`, if any.
    ///
    /// # Errors
    /// [`CommitteeError::Storage`].
    pub fn reply(&self, binding: &[u8; 32]) -> Result<Option<Vec<u8>>, CommitteeError> {
        self.conn
            .query_row(
                "SELECT bytes FROM replies WHERE binding = ?1",
                params![&binding[..]],
                |r| r.get(0),
            )
            .optional()
            .map_err(Into::into)
    }
}

impl SpentLedger for MemberStore {
    fn is_spent(&self, digest: &[u8; 32]) -> bool {
        // A read that fails counts as spent: the member then refuses rather than answering twice.
        self.conn
            .query_row(
                "SELECT 1 FROM spent WHERE digest = ?1",
                params![&digest[..]],
                |_| Ok(()),
            )
            .optional()
            .map_or(true, |r| r.is_some())
    }

    fn spend_all<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
        &mut self,
        items: I,
    ) -> Result<(), LedgerRefusal> {
        self.spend(items, None)
    }
}

impl MemberStore {
    /// One `BEGIN IMMEDIATE` transaction: every item of `items`, and the receipt `keep` if given; all or nothing.
    fn spend<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
        &mut self,
        items: I,
        keep: Option<(&[u8; 32], &SpendReceipt)>,
    ) -> Result<(), LedgerRefusal> {
        let run = |conn: &mut Connection| -> Result<Result<(), usize>, rusqlite::Error> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            if let Err(i) = mark_spent(&tx, items.clone())? {
                // Dropping `tx` rolls back everything.
                return Ok(Err(i));
            }
            if let Some((marker, r)) = keep {
                tx.execute(
                    "INSERT INTO receipts (marker, member, signature) VALUES (?1, ?2, ?3)",
                    params![
                        &marker[..],
                        i64::from(r.member),
                        &r.signature.as_bytes()[..]
                    ],
                )?;
            }
            tx.commit()?;
            Ok(Ok(()))
        };
        match run(&mut self.conn) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(i)) => Err(LedgerRefusal::Spent(i)),
            // Nothing was committed (a full disk, a lock held past the timeout): the batch does not fit now.
            Err(_) => Err(LedgerRefusal::Full),
        }
    }
}

/// Inserts every digest of `items` into `spent` inside `tx`; `Ok(Err(i))` at the first one already spent (or
/// repeated within the batch), after which the caller drops `tx` so nothing of the batch is written.
fn mark_spent<'x>(
    tx: &rusqlite::Transaction<'_>,
    items: impl Iterator<Item = &'x [u8; 32]>,
) -> rusqlite::Result<Result<(), usize>> {
    for (i, d) in items.enumerate() {
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO spent (digest) VALUES (?1)",
            params![&d[..]],
        )?;
        if inserted == 0 {
            return Ok(Err(i));
        }
    }
    Ok(Ok(()))
}

impl ReceiptLedger for MemberStore {
    fn kept_receipt(&self, key: &[u8; 32]) -> Option<SpendReceipt> {
        let row: Option<(i64, Vec<u8>)> = self
            .conn
            .query_row(
                "SELECT member, signature FROM receipts WHERE marker = ?1",
                params![&key[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .ok()
            .flatten();
        // A row that does not parse is treated as absent: the spend then refuses (`RoundSpent`), never signs twice.
        let (member, sig) = row?;
        Some(SpendReceipt {
            member: u8::try_from(member).ok()?,
            signature: Signature::from_bytes(&sig).ok()?,
        })
    }

    fn spend_all_keeping<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
        &mut self,
        items: I,
        key: &[u8; 32],
        receipt: &SpendReceipt,
    ) -> Result<(), LedgerRefusal> {
        self.spend(items, Some((key, receipt)))
    }
}
