//! Schema migrations, applied in order and recorded in `PRAGMA user_version`, so an old data directory is
//! upgraded in place and a newer one is refused.

use rusqlite::Connection;

/// Migration `i` brings the schema from version `i` to `i + 1`.
pub(super) const MIGRATIONS: &[&str] = &[
    // v1: models, rounds with their running sum, per-clinic decisions, replay memory.
    "CREATE TABLE models (
        sha3 BLOB PRIMARY KEY,
        dim INTEGER NOT NULL,
        data BLOB NOT NULL
     );
     CREATE TABLE rounds (
        id INTEGER PRIMARY KEY,
        state TEXT NOT NULL,
        model_sha3 BLOB NOT NULL REFERENCES models(sha3),
        announcement BLOB NOT NULL,
        signature BLOB NOT NULL,
        running_sum BLOB,
        accepted INTEGER NOT NULL DEFAULT 0,
        unauthenticated_rejections INTEGER NOT NULL DEFAULT 0,
        update_data BLOB,
        next_model_sha3 BLOB REFERENCES models(sha3),
        published_at INTEGER,
        failure_code TEXT,
        failure_message TEXT
     );
     CREATE TABLE submissions (
        round INTEGER NOT NULL REFERENCES rounds(id),
        clinic_id INTEGER NOT NULL,
        accepted INTEGER NOT NULL,
        code TEXT,
        message TEXT,
        digest BLOB NOT NULL,
        received_at INTEGER NOT NULL,
        PRIMARY KEY (round, clinic_id)
     );
     CREATE TABLE seen_digests (digest BLOB PRIMARY KEY, round INTEGER NOT NULL);
     CREATE TABLE seen_envelopes (sha3 BLOB PRIMARY KEY, round INTEGER NOT NULL);",
    // v2: the channel's replay guard (docs/CHANNEL.md §6): per (direction, clinic) high-water mark.
    "CREATE TABLE replay_marks (
        direction INTEGER NOT NULL,
        clinic INTEGER NOT NULL,
        round INTEGER NOT NULL,
        sequence INTEGER NOT NULL,
        PRIMARY KEY (direction, clinic)
     );",
    // v3: integrity of the running sum: each accepted ciphertext is kept, and a hash chain over them
    // (rounds.sum_chain) lets the sum be checked and rebuilt before decryption.
    "ALTER TABLE submissions ADD COLUMN ciphertext BLOB;
     ALTER TABLE rounds ADD COLUMN sum_chain BLOB;",
    // v4: threshold mode (docs/THRESHOLD.md §16.4): every committee member verifies each accepted submission's
    // norm proof itself, so the proof is kept beside its ciphertext; a round keeps how it was decrypted (JSON:
    // present set, receipt signers, refusals, exclusions). Rows of earlier versions keep every column they had
    // (proof NULL: such a round can only be decrypted by the single key holder).
    "ALTER TABLE submissions ADD COLUMN proof BLOB;
     ALTER TABLE rounds ADD COLUMN decryption TEXT;",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = 4;

/// Brings the database to [`SCHEMA_VERSION`].
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(rusqlite::Error::InvalidQuery);
    }
    for (v, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (v + 1) as u32)?;
        tx.commit()?;
    }
    Ok(())
}
