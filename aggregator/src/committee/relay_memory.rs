//! What the relay remembers across decryption attempts and aggregator restarts (docs/THRESHOLD.md §16.4): per
//! aggregate, the spend receipts gathered and the present set announced, and the members' standing
//! (`committee::standing`). Kept in one file of the aggregator's data directory ([`MEMORY_FILE`]), written
//! atomically before any member is asked to answer for a newly announced present set.
//!
//! Why durable: every member answers an aggregate for one present set only (review 17, R17-2). A relay that
//! forgot the present set it announced (an aggregator restarted between attempts) would announce another, and
//! the members that had answered would refuse it: that aggregate could never be decrypted. And a relay that
//! forgot its members' standing would let each cheating member cost one more round after every restart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::standing::Standing;

/// The file in the aggregator's data directory that keeps the relay's memory.
pub const MEMORY_FILE: &str = "committee-relay.json";

/// Aggregates remembered: a retry comes within a few attempts, so the entries touched longest ago are dropped.
const ROUNDS_KEPT: usize = 64;

/// What one decryption attempt of an aggregate gathered.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RoundMemo {
    /// Signed spend receipts (member, bytes): durable facts of the members, so those of an earlier attempt still
    /// count for a member that is offline now.
    #[serde(with = "receipts_hex")]
    pub receipts: Vec<(u8, Vec<u8>)>,
    /// The present set announced, once members may have answered for it.
    pub present: Option<Vec<u8>>,
    /// When this entry was last written, in the memory's own count of writes: what pruning keeps the newest of
    /// (not the round number, which a new coordinator store may start again from 1; review 21, R21-2).
    #[serde(default)]
    pub touched: u64,
}

/// The relay's memory.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RelayMemory {
    /// The committee key's identity this memory belongs to (one key epoch; review 21, R21-2).
    pub key_id: [u8; 32],
    /// Per (round, the aggregate's identity: `relay::aggregate_id`, its ciphertexts' digests in sorted order).
    pub rounds: BTreeMap<(u64, [u8; 32]), RoundMemo>,
    /// The members' standing.
    pub standing: Standing,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    key_id: String,
    standing: Standing,
    rounds: Vec<StoredRound>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredRound {
    round: u64,
    digest: String,
    #[serde(flatten)]
    memo: RoundMemo,
}

impl RelayMemory {
    /// The memory kept in `dir` ([`MEMORY_FILE`]) for the committee key `key_id`, or an empty one if there is
    /// none yet or the file belongs to another key epoch (its present sets and standing mean nothing under a new
    /// key: the members' answers and indices are the new epoch's; review 21, R21-2).
    ///
    /// # Errors
    /// Why the file cannot be read or does not parse: a damaged memory is reported, never silently dropped (it
    /// may hold a present set members answered for).
    pub fn load(dir: &Path, key_id: &[u8; 32]) -> Result<Self, String> {
        let path = dir.join(MEMORY_FILE);
        let empty = Self {
            key_id: *key_id,
            ..Self::default()
        };
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(empty),
            Err(e) => return Err(unreadable(&path, &e.kind().to_string())),
        };
        let stored: Stored =
            serde_json::from_slice(&bytes).map_err(|e| unreadable(&path, &e.to_string()))?;
        if stored.key_id != hex::encode(key_id) {
            eprintln!(
                "committee: {} belongs to committee key {}, not {}: starting with an empty memory",
                path.display(),
                stored.key_id,
                hex::encode(key_id)
            );
            return Ok(empty);
        }
        let mut rounds = BTreeMap::new();
        for r in stored.rounds {
            let digest: [u8; 32] = hex::decode(&r.digest)
                .ok()
                .and_then(|d| d.try_into().ok())
                .ok_or_else(|| unreadable(&path, "a digest that is not 32 hex bytes"))?;
            rounds.insert((r.round, digest), r.memo);
        }
        Ok(Self {
            key_id: *key_id,
            rounds,
            standing: stored.standing,
        })
    }

    /// The entry of aggregate `key` (created empty if new), marked as the most recently written.
    pub fn touch(&mut self, key: (u64, [u8; 32])) -> &mut RoundMemo {
        let next = self.rounds.values().map(|m| m.touched).max().unwrap_or(0) + 1;
        let memo = self.rounds.entry(key).or_default();
        memo.touched = next;
        memo
    }

    /// Writes the memory to `dir` ([`MEMORY_FILE`]) atomically, keeping the [`ROUNDS_KEPT`] aggregates touched
    /// most recently.
    ///
    /// # Errors
    /// Why it could not be written (the previous file is then unchanged).
    pub fn save(&mut self, dir: &Path) -> Result<(), String> {
        if self.rounds.len() > ROUNDS_KEPT {
            let mut touched: Vec<u64> = self.rounds.values().map(|m| m.touched).collect();
            touched.sort_unstable_by(|a, b| b.cmp(a));
            let oldest_kept = touched[ROUNDS_KEPT - 1];
            self.rounds.retain(|_, m| m.touched >= oldest_kept);
        }
        let stored = Stored {
            key_id: hex::encode(self.key_id),
            standing: self.standing,
            rounds: self
                .rounds
                .iter()
                .map(|(&(round, digest), memo)| StoredRound {
                    round,
                    digest: hex::encode(digest),
                    memo: memo.clone(),
                })
                .collect(),
        };
        let bytes = serde_json::to_vec_pretty(&stored).map_err(|e| e.to_string())?;
        // The words name the file, not the directory: they may be published with a round (review 35, R35-1).
        write_atomically(&dir.join(MEMORY_FILE), &bytes).map_err(|e| {
            eprintln!(
                "committee: {} not written: {e}",
                dir.join(MEMORY_FILE).display()
            );
            format!("{MEMORY_FILE} not written: {}", e.kind())
        })
    }
}

/// Why the memory at `path` cannot be read, in words that name the file, not the directory (they surface in the
/// relay's errors, review 36 R36-1); the full path goes to the log.
fn unreadable(path: &Path, why: &str) -> String {
    eprintln!("committee: {} cannot be read: {why}", path.display());
    format!("{MEMORY_FILE} cannot be read: {why}")
}

/// Writes `bytes` to `path` through a synced temporary file and a rename, then syncs the directory: a crash
/// leaves the old file or the new one, never a torn one.
///
/// # Errors
/// The I/O error.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let tmp: PathBuf = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

mod receipts_hex {
    use serde::{Deserialize as _, Deserializer, Serialize as _, Serializer};

    pub fn serialize<S: Serializer>(r: &[(u8, Vec<u8>)], s: S) -> Result<S::Ok, S::Error> {
        r.iter()
            .map(|(m, b)| (*m, hex::encode(b)))
            .collect::<Vec<_>>()
            .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(u8, Vec<u8>)>, D::Error> {
        Vec::<(u8, String)>::deserialize(d)?
            .into_iter()
            .map(|(m, h)| {
                hex::decode(&h)
                    .map(|b| (m, b))
                    .map_err(serde::de::Error::custom)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{MEMORY_FILE, RelayMemory};
    use crate::committee::member::{Exclusion, ExclusionReason};

    fn dir(label: &str) -> std::path::PathBuf {
        let d =
            std::env::temp_dir().join(format!("zkfl-relay-memory-{}-{label}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn the_memory_survives_a_restart_and_old_rounds_are_dropped() {
        let d = dir("roundtrip");
        let key = [9u8; 32];
        let mut m = RelayMemory::load(&d, &key).unwrap();
        assert_eq!(m.rounds.len(), 0);
        m.standing.distrust(&[Exclusion {
            member: 2,
            supplement_for: 0,
            reason: ExclusionReason::Header,
        }]);
        m.standing.demote(1 << 4);
        // 70 aggregates, then round numbers start again from 1 (a new coordinator store): the newest written
        // are kept, whatever their round numbers (R21-2).
        for round in (100..170u64).chain([1]) {
            let memo = m.touch((round, [round as u8; 32]));
            memo.receipts = vec![(1, vec![1, 2, 3]), (3, vec![9])];
            memo.present = Some(vec![1, 3, 4]);
        }
        m.save(&d).unwrap();
        let back = RelayMemory::load(&d, &key).unwrap();
        assert_eq!(back.standing, m.standing);
        let rounds: Vec<u64> = back.rounds.keys().map(|k| k.0).collect();
        assert_eq!(rounds.len(), 64);
        assert!(rounds.contains(&1), "the newest aggregate is kept");
        assert!(!rounds.contains(&106), "the oldest are dropped");
        assert_eq!(back, m);
        // Another key epoch: an empty memory (R21-2).
        let other = RelayMemory::load(&d, &[8u8; 32]).unwrap();
        assert!(other.rounds.is_empty() && other.standing == super::Standing::default());
    }

    #[test]
    fn a_damaged_memory_is_an_error_not_an_empty_one() {
        let d = dir("damaged");
        std::fs::write(d.join(MEMORY_FILE), b"{\"standing\": ").unwrap();
        assert!(RelayMemory::load(&d, &[0u8; 32]).is_err());
        std::fs::write(
            d.join(MEMORY_FILE),
            format!(
                r#"{{"key_id":"{}","standing":{{"distrusted":0,"unreliable":0}},"rounds":[{{"round":1,"digest":"00","receipts":[],"present":null}}]}}"#,
                hex::encode([0u8; 32])
            ),
        )
        .unwrap();
        assert!(
            RelayMemory::load(&d, &[0u8; 32])
                .unwrap_err()
                .contains("digest")
        );
    }
}
