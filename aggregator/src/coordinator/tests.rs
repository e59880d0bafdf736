//! Coordinator tests with test doubles for the crypto: a verifier that reads a tiny plain-text test format and
//! an aggregate that adds little-endian u64 vectors. They exist only under `cfg(test)`; the product wires the
//! zkfl-core implementations (crate::crypto).

use super::lifecycle::Progress;
use super::testkit::opened;
use super::*;
use crate::model;
use crate::round::{ClinicId, RoundId};

fn code(r: Result<Accepted, ApiError>) -> Code {
    r.err().map_or(Code::Internal, |e| e.code)
}

#[test]
fn accepted_updates_are_summed_and_a_rejection_is_recorded() {
    let c = opened();
    assert_eq!(
        c.process(RoundId(1), b"1 1 ok 4")
            .map(|a| a.accepted_so_far)
            .ok(),
        Some(1)
    );
    assert_eq!(
        c.process(RoundId(1), b"2 1 ok 6")
            .map(|a| a.accepted_so_far)
            .ok(),
        Some(2)
    );
    assert_eq!(
        code(c.process(RoundId(1), b"3 1 no 100")),
        Code::ProofInvalid
    );
    let sum = c
        .store()
        .running_sum(RoundId(1))
        .expect("sum")
        .expect("some");
    assert_eq!(sum, [10u64.to_le_bytes(), 10u64.to_le_bytes()].concat());
    let subs = c.store().submissions(RoundId(1)).expect("subs");
    assert_eq!(
        subs.iter()
            .map(|s| (s.clinic_id.0, s.accepted))
            .collect::<Vec<_>>(),
        vec![(1, true), (2, true), (3, false)]
    );
    assert_eq!(subs[2].code.as_deref(), Some("proof_invalid"));
}

#[test]
fn duplicates_replays_and_wrong_rounds_are_refused_without_touching_the_sum() {
    let c = opened();
    c.process(RoundId(1), b"1 1 ok 4").expect("first");
    assert_eq!(
        c.authenticate(RoundId(1), b"1 1 ok 4")
            .err()
            .map(|e| e.code),
        Some(Code::ReplayedSubmission)
    );
    assert_eq!(
        code(c.process(RoundId(1), b"1 1 ok 4")),
        Code::ReplayedSubmission
    );
    assert_eq!(
        code(c.process(RoundId(1), b"1 1 ok 5")),
        Code::DuplicateSubmission
    );
    assert_eq!(code(c.process(RoundId(1), b"2 7 ok 5")), Code::WrongRound);
    assert_eq!(code(c.process(RoundId(2), b"2 2 ok 5")), Code::WrongRound);
    assert_eq!(
        code(c.process(RoundId(1), b"garbage")),
        Code::MalformedEnvelope
    );
    let rec = c.store().round(RoundId(1)).expect("r").expect("e");
    // The raw-bytes replays and the garbage envelope are the unauthenticated rejections: counted in
    // memory (no write per junk request), written by the round driver's flush.
    assert_eq!((rec.accepted, rec.unauthenticated_rejections), (1, 0));
    assert_eq!(c.unauthenticated_rejections(&rec), 3);
    c.flush_counters().expect("flush");
    let rec = c.store().round(RoundId(1)).expect("r").expect("e");
    assert_eq!(rec.unauthenticated_rejections, 3);
    assert_eq!(c.unauthenticated_rejections(&rec), 3);
    assert_eq!(
        c.store().running_sum(RoundId(1)).expect("s").expect("s"),
        [4u64.to_le_bytes(), 4u64.to_le_bytes()].concat()
    );
    // The clinic whose wrong-round attempt was refused still has its slot.
    assert!(c.process(RoundId(1), b"2 1 ok 1").is_ok());
}

#[test]
fn a_round_closes_when_every_clinic_decided_and_publishes_the_mean() {
    let c = opened();
    c.process(RoundId(1), b"1 1 ok 4").expect("1");
    assert_eq!(c.drive(now()).ok(), Some(Progress::Idle));
    c.process(RoundId(1), b"2 1 ok 8").expect("2");
    assert!(c.process(RoundId(1), b"3 1 bad 1000").is_err());
    assert_eq!(
        c.drive(now()).ok(),
        Some(Progress::Moved(RoundState::Closing))
    );
    assert_eq!(code(c.process(RoundId(1), b"3 1 ok 1")), Code::RoundNotOpen);
    assert_eq!(
        c.drive(now()).ok(),
        Some(Progress::Moved(RoundState::Decrypting))
    );
    assert_eq!(
        c.drive(now()).ok(),
        Some(Progress::Moved(RoundState::Published))
    );
    // mean = (4 + 8) / (scale 2 * 2 accepted) = 3 per coordinate.
    let upd = model::decode(&c.store().update(RoundId(1)).expect("u").expect("u")).expect("f32");
    assert_eq!(upd, vec![3.0, 3.0]);
    let next = c
        .store()
        .round(RoundId(1))
        .expect("r")
        .expect("e")
        .phase
        .next_model_sha3()
        .expect("next");
    assert_eq!(
        model::decode(&c.store().model(&next).expect("m").expect("m")).ok(),
        Some(vec![4.0, 5.0])
    );
    let r2 = c
        .open_round(&OpenRound {
            norm_bound: 5.0,
            scale: 2.0,
            deadline_secs: 1,
            model_sha3: None,
            model: None,
        })
        .expect("open 2");
    assert_eq!(
        (r2.announcement.round, r2.announcement.model_sha3),
        (RoundId(2), next)
    );
}

#[test]
fn a_round_without_accepted_updates_fails_at_its_deadline() {
    let c = opened();
    assert!(c.process(RoundId(1), b"1 1 no 4").is_err());
    let deadline = c
        .store()
        .round(RoundId(1))
        .expect("r")
        .expect("e")
        .announcement
        .deadline;
    assert_eq!(c.drive(deadline - 1).ok(), Some(Progress::Idle));
    assert_eq!(
        c.drive(deadline).ok(),
        Some(Progress::Moved(RoundState::Closing))
    );
    assert_eq!(
        c.drive(deadline).ok(),
        Some(Progress::Moved(RoundState::Failed))
    );
    assert_eq!(
        c.open_round(&OpenRound {
            norm_bound: 1.0,
            scale: 16.0,
            deadline_secs: 1,
            model_sha3: None,
            model: None,
        })
        .map(|r| r.announcement.round)
        .ok(),
        Some(RoundId(2))
    );
}

#[test]
fn only_one_round_is_open_at_a_time() {
    let c = opened();
    let again = c.open_round(&OpenRound {
        norm_bound: 5.0,
        scale: 2.0,
        deadline_secs: 600,
        model_sha3: None,
        model: None,
    });
    assert_eq!(again.err().map(|e| e.code), Some(Code::RoundAlreadyOpen));
}

#[test]
fn accepted_submissions_and_the_running_sum_survive_a_restart() {
    use super::testkit::{coordinator, open_first_round};
    let dir = std::env::temp_dir().join(format!("zkfl-coord-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("zkfl.sqlite");
    {
        let c = coordinator(Store::open(&path).expect("open"));
        open_first_round(&c);
        c.process(RoundId(1), b"1 1 ok 4").expect("1");
        c.process(RoundId(1), b"2 1 ok 6").expect("2");
        // Dropped without any shutdown: every decision was committed when it was answered.
    }
    let c = coordinator(Store::open(&path).expect("reopen"));
    let sum = c
        .store()
        .running_sum(RoundId(1))
        .expect("sum")
        .expect("some");
    assert_eq!(sum, [10u64.to_le_bytes(), 10u64.to_le_bytes()].concat());
    assert_eq!(
        code(c.process(RoundId(1), b"1 1 ok 4")),
        Code::ReplayedSubmission
    );
    assert_eq!(
        code(c.process(RoundId(1), b"2 1 ok 9")),
        Code::DuplicateSubmission
    );
    assert_eq!(
        c.process(RoundId(1), b"3 1 ok 2")
            .map(|a| a.accepted_so_far)
            .ok(),
        Some(3)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_submission_per_clinic_is_verified_at_a_time() {
    let c = opened();
    let first = c.authenticate(RoundId(1), b"1 1 ok 4").expect("first");
    assert_eq!(first.clinic_id(), ClinicId(1));
    assert_eq!(
        c.authenticate(RoundId(1), b"1 1 ok 5")
            .err()
            .map(|e| e.code),
        Some(Code::QueueFull)
    );
    assert!(c.authenticate(RoundId(1), b"2 1 ok 5").is_ok());
    assert!(c.verify_staged(&first).is_ok());
    drop(first);
    assert_eq!(
        c.authenticate(RoundId(1), b"1 1 ok 5")
            .err()
            .map(|e| e.code),
        Some(Code::DuplicateSubmission)
    );
}

#[test]
fn a_replay_mark_beyond_i64_is_refused_before_verification() {
    let mark = |sequence| ReplayMark {
        direction: 1,
        clinic: ClinicId(1),
        round: RoundId(1),
        sequence,
    };
    assert!(check_storable(Some(&mark(i64::MAX as u64))).is_ok());
    assert_eq!(
        check_storable(Some(&mark(i64::MAX as u64 + 1)))
            .err()
            .map(|e| e.code),
        Some(Code::MalformedEnvelope)
    );
    assert!(check_storable(None).is_ok());
}

fn close_and_decrypt(c: &Coordinator) -> RoundState {
    c.close_now(RoundId(1)).expect("close");
    for _ in 0..8 {
        let _ = c.drive(now());
    }
    c.store().round(RoundId(1)).expect("r").expect("e").state()
}

#[test]
fn a_damaged_running_sum_is_rebuilt_from_the_kept_ciphertexts() {
    let c = opened();
    c.process(RoundId(1), b"1 1 ok 4").expect("1");
    c.process(RoundId(1), b"2 1 ok 6").expect("2");
    let mut sum = c.store().running_sum(RoundId(1)).expect("s").expect("s");
    sum[0] ^= 1;
    c.store()
        .replace_running_sum(RoundId(1), &sum)
        .expect("flip a bit");
    assert_eq!(close_and_decrypt(&c), RoundState::Published);
    assert_eq!(
        c.store().running_sum(RoundId(1)).expect("s").expect("s"),
        [10u64.to_le_bytes(), 10u64.to_le_bytes()].concat()
    );
}

#[test]
fn a_damaged_kept_ciphertext_fails_the_round_with_a_clear_reason() {
    let c = opened();
    c.process(RoundId(1), b"1 1 ok 4").expect("1");
    c.store()
        .damage_ciphertext_for_test(RoundId(1), ClinicId(1));
    assert_eq!(close_and_decrypt(&c), RoundState::Failed);
    let rec = c.store().round(RoundId(1)).expect("r").expect("e");
    assert!(
        matches!(&rec.phase, crate::round::RoundPhase::Failed { code, .. } if code == "integrity_failed"),
        "{:?}",
        rec.phase
    );
}

#[test]
fn a_failing_decryptor_is_retried_then_the_round_fails_with_the_reason() {
    use std::sync::atomic::{AtomicU64, Ordering};
    struct Flaky(std::sync::Arc<AtomicU64>, u64);
    impl Decryptor for Flaky {
        fn decrypt_aggregate(
            &self,
            r: &super::DecryptionRequest<'_>,
        ) -> Result<Vec<i64>, crate::error::PortError> {
            let dim = r.model_dim;
            if self.0.fetch_add(1, Ordering::SeqCst) < self.1 {
                Err(crate::error::PortError::KeyHolderUnavailable(
                    "key holder pipe: Broken pipe".into(),
                ))
            } else {
                Ok(vec![0; dim as usize])
            }
        }
    }
    for (failures, expect) in [
        (
            super::lifecycle::DECRYPT_ATTEMPTS - 1,
            RoundState::Published,
        ),
        (super::lifecycle::DECRYPT_ATTEMPTS, RoundState::Failed),
    ] {
        let calls = std::sync::Arc::new(AtomicU64::new(0));
        let c =
            super::testkit::opened_with(Box::new(Flaky(std::sync::Arc::clone(&calls), failures)));
        c.process(RoundId(1), b"1 1 ok 4").expect("1");
        assert_eq!(close_and_decrypt(&c), expect, "{failures} failures");
        let rec = c.store().round(RoundId(1)).expect("r").expect("e");
        if expect == RoundState::Failed {
            let crate::round::RoundPhase::Failed { code, message: msg } = rec.phase else {
                panic!("no failure reason: {:?}", rec.phase);
            };
            assert_eq!(code, "decryption_failed");
            assert!(
                msg.contains("Broken pipe") && msg.contains("attempts"),
                "{msg}"
            );
        }
    }
}

#[test]
fn round_parameters_are_validated() {
    let c = opened();
    c.close_now(RoundId(1)).expect("close");
    for _ in 0..4 {
        let _ = c.drive(now());
    }
    let req = |norm_bound, scale, deadline_secs| OpenRound {
        norm_bound,
        scale,
        deadline_secs,
        model_sha3: None,
        model: None,
    };
    for bad in [
        req(5.0, 5e-324, 60),
        req(5.0, f64::NAN, 60),
        req(5.0, f64::INFINITY, 60),
        req(0.0, 512.0, 60),
        req(-1.0, 512.0, 60),
        req(5.0, 512.0, 0),
        req(5.0, 512.0, u64::MAX),
    ] {
        assert_eq!(
            c.open_round(&bad).err().map(|e| e.code),
            Some(Code::MalformedRequest),
            "{bad:?}"
        );
    }
    assert!(c.open_round(&req(5.0, 512.0, 60)).is_ok());
}
