//! Coordinator tests with test doubles for the crypto: a verifier that reads a tiny plain-text test format and
//! an aggregate that adds little-endian u64 vectors. They exist only under `cfg(test)`; the product wires the
//! zkfl-core implementations (crate::crypto).

use super::lifecycle::Progress;
use super::testkit::opened;
use super::*;
use crate::model;

fn code(r: Result<Accepted, ApiError>) -> Code {
    r.err().map_or(Code::Internal, |e| e.code)
}

#[test]
fn accepted_updates_are_summed_and_a_rejection_is_recorded() {
    let c = opened();
    assert_eq!(
        c.process(1, b"1 1 ok 4").map(|a| a.accepted_so_far).ok(),
        Some(1)
    );
    assert_eq!(
        c.process(1, b"2 1 ok 6").map(|a| a.accepted_so_far).ok(),
        Some(2)
    );
    assert_eq!(code(c.process(1, b"3 1 no 100")), Code::ProofInvalid);
    let sum = c.store().running_sum(1).expect("sum").expect("some");
    assert_eq!(sum, [10u64.to_le_bytes(), 10u64.to_le_bytes()].concat());
    let subs = c.store().submissions(1).expect("subs");
    assert_eq!(
        subs.iter()
            .map(|s| (s.clinic_id, s.accepted))
            .collect::<Vec<_>>(),
        vec![(1, true), (2, true), (3, false)]
    );
    assert_eq!(subs[2].code.as_deref(), Some("proof_invalid"));
}

#[test]
fn duplicates_replays_and_wrong_rounds_are_refused_without_touching_the_sum() {
    let c = opened();
    c.process(1, b"1 1 ok 4").expect("first");
    assert_eq!(
        c.admit(1, b"1 1 ok 4").err().map(|e| e.code),
        Some(Code::ReplayedSubmission)
    );
    assert_eq!(code(c.process(1, b"1 1 ok 4")), Code::ReplayedSubmission);
    assert_eq!(code(c.process(1, b"1 1 ok 5")), Code::DuplicateSubmission);
    assert_eq!(code(c.process(1, b"2 7 ok 5")), Code::WrongRound);
    assert_eq!(code(c.process(2, b"2 2 ok 5")), Code::WrongRound);
    assert_eq!(code(c.process(1, b"garbage")), Code::MalformedEnvelope);
    let rec = c.store().round(1).expect("r").expect("e");
    // The raw-bytes replay at admission and the garbage envelope are the two unauthenticated rejections.
    assert_eq!((rec.accepted, rec.unauthenticated_rejections), (1, 2));
    assert_eq!(
        c.store().running_sum(1).expect("s").expect("s"),
        [4u64.to_le_bytes(), 4u64.to_le_bytes()].concat()
    );
    // The clinic whose wrong-round attempt was refused still has its slot.
    assert!(c.process(1, b"2 1 ok 1").is_ok());
}

#[test]
fn a_round_closes_when_every_clinic_decided_and_publishes_the_mean() {
    let c = opened();
    c.process(1, b"1 1 ok 4").expect("1");
    assert_eq!(c.drive(now()).ok(), Some(Progress::Idle));
    c.process(1, b"2 1 ok 8").expect("2");
    assert!(c.process(1, b"3 1 bad 1000").is_err());
    assert_eq!(
        c.drive(now()).ok(),
        Some(Progress::Moved(RoundState::Closing))
    );
    assert_eq!(code(c.process(1, b"3 1 ok 1")), Code::RoundNotOpen);
    assert_eq!(
        c.drive(now()).ok(),
        Some(Progress::Moved(RoundState::Decrypting))
    );
    assert_eq!(
        c.drive(now()).ok(),
        Some(Progress::Moved(RoundState::Published))
    );
    // mean = (4 + 8) / (scale 2 * 2 accepted) = 3 per coordinate.
    let upd = model::decode(&c.store().update(1).expect("u").expect("u")).expect("f32");
    assert_eq!(upd, vec![3.0, 3.0]);
    let next = c
        .store()
        .round(1)
        .expect("r")
        .expect("e")
        .next_model_sha3
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
        (2, next)
    );
}

#[test]
fn a_round_without_accepted_updates_fails_at_its_deadline() {
    let c = opened();
    assert!(c.process(1, b"1 1 no 4").is_err());
    let deadline = c
        .store()
        .round(1)
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
            scale: 1.0,
            deadline_secs: 1,
            model_sha3: None,
            model: None,
        })
        .map(|r| r.announcement.round)
        .ok(),
        Some(2)
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
    use super::testkit::coordinator;
    let dir = std::env::temp_dir().join(format!("zkfl-coord-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("zkfl.sqlite");
    {
        let c = coordinator(Store::open(&path).expect("open"));
        c.put_model(&model::encode(&[1.0, 2.0])).expect("model");
        c.open_round(&OpenRound {
            norm_bound: 5.0,
            scale: 2.0,
            deadline_secs: 600,
            model_sha3: None,
            model: None,
        })
        .expect("open");
        c.process(1, b"1 1 ok 4").expect("1");
        c.process(1, b"2 1 ok 6").expect("2");
        // Dropped without any shutdown: every decision was committed when it was answered.
    }
    let c = coordinator(Store::open(&path).expect("reopen"));
    let sum = c.store().running_sum(1).expect("sum").expect("some");
    assert_eq!(sum, [10u64.to_le_bytes(), 10u64.to_le_bytes()].concat());
    assert_eq!(code(c.process(1, b"1 1 ok 4")), Code::ReplayedSubmission);
    assert_eq!(code(c.process(1, b"2 1 ok 9")), Code::DuplicateSubmission);
    assert_eq!(
        c.process(1, b"3 1 ok 2").map(|a| a.accepted_so_far).ok(),
        Some(3)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
