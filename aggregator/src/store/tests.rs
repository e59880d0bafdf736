use super::*;
use crate::round::{ClinicId, RoundId};

fn announcement(round: RoundId, model: [u8; 32]) -> Announcement {
    Announcement {
        model_sha3: model,
        ..crate::round::sample_announcement(round, 2)
    }
}

fn decision(clinic_id: u32, accepted: bool, digest: u8) -> SubmissionRecord {
    SubmissionRecord {
        clinic_id: ClinicId(clinic_id),
        accepted,
        code: (!accepted).then(|| "proof_invalid".to_owned()),
        message: (!accepted).then(|| "bad".to_owned()),
        digest: vec![digest; 64],
        received_at: 11,
    }
}

/// Records clinic `clinic`'s accepted decision in round 1 (submission digest `[digest; 64]`, envelope hash
/// `[envelope; 32]`, no replay mark) with the new running sum `sum` and its ciphertext `ct`.
fn accept(
    store: &mut Store,
    clinic: u32,
    digest: u8,
    envelope: u8,
    sum: &[u8],
    ct: &[u8],
) -> Result<()> {
    store.record_decision(
        RoundId(1),
        &decision(clinic, true, digest),
        &[envelope; 32],
        None,
        Some((sum, ct, &b"proof"[..])),
    )
}

fn store_with_round() -> Store {
    with_round(Store::in_memory().expect("store"))
}

/// `store` with a two-parameter model ([9; 32]) and round 1 on it, its running sum `sum0`.
fn with_round(store: Store) -> Store {
    store.put_model(&[9; 32], 2, &[0; 8]).expect("model");
    store
        .insert_round(&announcement(RoundId(1), [9; 32]), b"sig", b"sum0")
        .expect("round");
    store
}

#[test]
fn a_decision_stores_row_digest_envelope_and_sum_together() {
    let mut store = store_with_round();
    accept(&mut store, 3, 7, 8, b"sum1", b"ct-sum1").expect("decide");
    assert_eq!(
        store.running_sum(RoundId(1)).expect("sum").as_deref(),
        Some(&b"sum1"[..])
    );
    assert!(store.digest_seen(&[7; 64]).expect("digest"));
    assert!(store.envelope_seen(&[8; 32]).expect("env"));
    assert!(!store.envelope_seen(&[6; 32]).expect("env"));
    let rec = store.round(RoundId(1)).expect("round").expect("exists");
    assert_eq!(rec.accepted, 1);
    assert_eq!(
        store.decision(RoundId(1), ClinicId(3)).expect("d"),
        Some(decision(3, true, 7))
    );
}

#[test]
fn a_second_decision_for_a_clinic_is_refused_and_changes_nothing() {
    let mut store = store_with_round();
    accept(&mut store, 3, 7, 8, b"sum1", b"ct-sum1").expect("decide");
    assert!(accept(&mut store, 3, 5, 4, b"sum2", b"ct-sum2").is_err());
    assert_eq!(
        store.running_sum(RoundId(1)).expect("sum").as_deref(),
        Some(&b"sum1"[..])
    );
    assert!(!store.digest_seen(&[5; 64]).expect("digest"));
    assert_eq!(store.round(RoundId(1)).expect("r").expect("e").accepted, 1);
}

#[test]
fn a_rejection_keeps_the_sum() {
    let mut store = store_with_round();
    store
        .record_decision(RoundId(1), &decision(2, false, 7), &[8; 32], None, None)
        .expect("decide");
    assert_eq!(
        store.running_sum(RoundId(1)).expect("sum").as_deref(),
        Some(&b"sum0"[..])
    );
    assert_eq!(
        store.submissions(RoundId(1)).expect("subs"),
        vec![decision(2, false, 7)]
    );
}

#[test]
fn accepting_into_a_closed_round_fails_atomically() {
    let mut store = store_with_round();
    store
        .transition(RoundId(1), RoundState::close)
        .expect("close");
    assert!(accept(&mut store, 3, 7, 8, b"sum1", b"ct-sum1").is_err());
    assert!(store.submissions(RoundId(1)).expect("subs").is_empty());
    assert!(!store.digest_seen(&[7; 64]).expect("digest"));
}

#[test]
fn state_survives_reopening_the_file() {
    let dir = std::env::temp_dir().join(format!("zkfl-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("zkfl.sqlite");
    {
        let mut store = with_round(Store::open(&path).expect("open"));
        accept(&mut store, 1, 1, 1, b"sum1", b"ct-sum1").expect("d");
    }
    let store = Store::open(&path).expect("reopen");
    assert_eq!(
        store.running_sum(RoundId(1)).expect("sum").as_deref(),
        Some(&b"sum1"[..])
    );
    assert_eq!(
        store.latest_round().expect("r").expect("e").announcement,
        announcement(RoundId(1), [9; 32])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn publish_and_fail_follow_the_state_machine() {
    let mut store = store_with_round();
    assert!(
        store
            .publish(RoundId(1), b"upd", &[5; 32], &[1; 8], 2, 30)
            .is_err()
    );
    assert!(
        store
            .fail(RoundId(1), "no_accepted_submissions", "none")
            .is_err()
    );
    store
        .transition(RoundId(1), RoundState::close)
        .expect("close");
    store
        .transition(RoundId(1), RoundState::start_decrypting)
        .expect("decrypt");
    store
        .publish(RoundId(1), b"upd", &[5; 32], &[1; 8], 2, 30)
        .expect("publish");
    let rec = store.round(RoundId(1)).expect("r").expect("e");
    assert_eq!(rec.state(), RoundState::Published);
    assert_eq!(rec.phase.next_model_sha3(), Some([5; 32]));
    assert_eq!(store.model(&[5; 32]).expect("m"), Some(vec![1; 8]));
    assert_eq!(store.update(RoundId(1)).expect("u"), Some(b"upd".to_vec()));
}

#[test]
fn replay_marks_only_move_forward_and_commit_with_the_decision() {
    let mut store = store_with_round();
    let mark = |round, sequence| {
        Some(ReplayMark {
            direction: 1,
            clinic: ClinicId(3),
            round,
            sequence,
        })
    };
    store
        .record_decision(
            RoundId(1),
            &decision(3, false, 7),
            &[8; 32],
            mark(RoundId(1), 5),
            None,
        )
        .expect("decide");
    assert_eq!(
        store.replay_mark(1, ClinicId(3)).expect("mark"),
        Some((RoundId(1), 5))
    );
    // A failed decision (same clinic again) leaves the mark alone.
    assert!(
        store
            .record_decision(
                RoundId(1),
                &decision(3, true, 9),
                &[9; 32],
                mark(RoundId(1), 9),
                Some((&b"s"[..], &b"ct-s"[..], &b"proof"[..]))
            )
            .is_err()
    );
    assert_eq!(
        store.replay_mark(1, ClinicId(3)).expect("mark"),
        Some((RoundId(1), 5))
    );
    let other = Some(ReplayMark {
        direction: 1,
        clinic: ClinicId(4),
        round: RoundId(1),
        sequence: 2,
    });
    store
        .record_decision(RoundId(1), &decision(4, false, 1), &[1; 32], other, None)
        .expect("d");
    assert_eq!(
        store.replay_mark(1, ClinicId(4)).expect("mark"),
        Some((RoundId(1), 2))
    );
    assert_eq!(store.replay_mark(2, ClinicId(3)).expect("mark"), None);
}

#[test]
fn a_racing_second_decision_maps_to_409_not_500() {
    let mut store = store_with_round();
    store
        .record_decision(RoundId(1), &decision(3, false, 7), &[8; 32], None, None)
        .expect("first");
    let e = store
        .record_decision(RoundId(1), &decision(3, false, 6), &[6; 32], None, None)
        .expect_err("second row for the same clinic");
    let api = crate::coordinator::storage_error(e);
    assert_eq!(api.code, crate::error::Code::DuplicateSubmission);
    assert_eq!(api.code.status(), 409);
}

#[test]
fn a_full_disk_maps_to_503_storage_full() {
    let mut store = store_with_round();
    let pages: i64 = store
        .conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .expect("page count");
    // SQLite reports SQLITE_FULL once the file may not grow, as on a full disk.
    store
        .conn
        .pragma_update(None, "max_page_count", pages)
        .expect("cap");
    let big = vec![7u8; 1 << 20];
    let e = store
        .record_decision(
            RoundId(1),
            &decision(3, true, 7),
            &[8; 32],
            None,
            Some((&big[..], &big[..], &b"proof"[..])),
        )
        .expect_err("disk full");
    let api = crate::coordinator::storage_error(e);
    assert_eq!(api.code, crate::error::Code::StorageFull);
    assert_eq!(api.code.status(), 503);
    assert!(api.code.is_retryable());
}

#[test]
fn a_damaged_database_file_is_refused_at_start_up() {
    let dir = std::env::temp_dir().join(format!("zkfl-store-damage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("zkfl.sqlite");
    {
        let store = Store::open(&path).expect("create");
        for i in 0..200u8 {
            store.put_model(&[i; 32], 1024, &[i; 4096]).expect("model");
        }
        store
            .conn
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
            .expect("checkpoint");
    }
    let len = std::fs::metadata(&path).expect("meta").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open file");
    file.set_len(len / 2).expect("truncate");
    drop(file);
    assert!(matches!(Store::open(&path), Err(StoreError::Damaged(_))));
    std::fs::write(&path, b"not a database at all, just text").expect("junk");
    let _ = std::fs::remove_file(dir.join("zkfl.sqlite-wal"));
    assert!(matches!(Store::open(&path), Err(StoreError::Damaged(_))));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_data_directory_is_locked_by_one_service() {
    let dir = std::env::temp_dir().join(format!("zkfl-store-lock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let first = DirLock::acquire(&dir).expect("first lock");
    let second = DirLock::acquire(&dir);
    assert!(second.is_err_and(|e| e.to_string().contains("in use by another zkfl serve")));
    drop(first);
    assert!(DirLock::acquire(&dir).is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn accepted_ciphertexts_are_kept_in_order_with_a_hash_chain() {
    let mut store = store_with_round();
    accept(&mut store, 3, 7, 8, b"s1", b"c3").expect("3");
    accept(&mut store, 1, 5, 5, b"s2", b"c1").expect("1");
    let (kept, head) = store.accepted_ciphertexts(RoundId(1)).expect("kept");
    assert_eq!(
        kept.iter()
            .map(|k| (k.clinic_id.0, k.ciphertext.clone(), k.proof.clone()))
            .collect::<Vec<_>>(),
        vec![
            (3, Some(b"c3".to_vec()), Some(b"proof".to_vec())),
            (1, Some(b"c1".to_vec()), Some(b"proof".to_vec()))
        ]
    );
    let expect = chain_link(
        &chain_link(&chain_start(RoundId(1)), ClinicId(3), b"c3"),
        ClinicId(1),
        b"c1",
    );
    assert_eq!(head.as_deref(), Some(&expect[..]));
}

#[test]
fn a_v3_database_is_migrated_to_v4_with_nothing_lost() {
    let dir = std::env::temp_dir().join(format!("zkfl-store-v3-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("zkfl.sqlite");
    let a = announcement(RoundId(1), [9; 32]);
    {
        // A data directory as schema v3 wrote it: one round with one accepted submission (ciphertext, no
        // proof column yet).
        let mut conn = rusqlite::Connection::open(&path).expect("open");
        for (v, sql) in schema::MIGRATIONS.iter().take(3).enumerate() {
            let tx = conn.transaction().expect("tx");
            tx.execute_batch(sql).expect("v3 schema");
            tx.pragma_update(None, "user_version", (v + 1) as u32)
                .expect("version");
            tx.commit().expect("commit");
        }
        conn.execute(
            "INSERT INTO models (sha3, dim, data) VALUES (?1, 2, ?2)",
            params![&[9u8; 32][..], &[0u8; 8][..]],
        )
        .expect("model");
        conn.execute(
            "INSERT INTO rounds (id, state, model_sha3, announcement, signature, running_sum, accepted,
                                 sum_chain)
             VALUES (1, 'open', ?1, ?2, x'01', x'02', 1, x'03')",
            params![&[9u8; 32][..], crate::round::encode_announcement(&a)],
        )
        .expect("round");
        conn.execute(
            "INSERT INTO submissions (round, clinic_id, accepted, digest, received_at, ciphertext)
             VALUES (1, 4, 1, x'05', 6, x'0707')",
            [],
        )
        .expect("submission");
    }
    let store = Store::open(&path).expect("migrated");
    let version: u32 = store
        .conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 4);
    let (kept, head) = store.accepted_ciphertexts(RoundId(1)).expect("kept");
    assert_eq!(
        kept,
        vec![Accepted {
            clinic_id: ClinicId(4),
            ciphertext: Some(vec![7, 7]),
            proof: None,
        }]
    );
    assert_eq!(head, Some(vec![3]));
    let rec = store.round(RoundId(1)).expect("read").expect("round");
    assert_eq!(rec.accepted, 1);
    assert_eq!(rec.announcement, a);
    assert_eq!(store.running_sum(RoundId(1)).expect("sum"), Some(vec![2]));
    assert_eq!(store.decryption(RoundId(1)).expect("none"), None);
    store.set_decryption(RoundId(1), "{}").expect("set");
    assert_eq!(
        store.decryption(RoundId(1)).expect("kept").as_deref(),
        Some("{}")
    );
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
