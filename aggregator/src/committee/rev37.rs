//! Review 37 (independent; the reviewer did not write the code): the committee's round path after the fix
//! following review 36 (R36-1: `RelayMemory::load` words a read error with the file's name and why, never the data
//! directory) — against §16.4 items 5 and 6, §3.2.1, §4.2, §15.3 and §1 of docs/THRESHOLD.md (§41). The focus is
//! the changed read path: every read error's words, and whether the memory read back after a stop keeps the facts
//! the round path learned (a demotion, a stored present set), so that a withholder still costs one round.
//!
//! Findings: none.
//!
//! Attempts that failed (each a passing test with its positive control):
//! - every read error of the memory (a directory in its place, bytes that do not parse, a digest that is not 32
//!   hex bytes) stops the start with `RelayError::Memory` naming `committee-relay.json` and not the data
//!   directory; control: the same relay over the undamaged file starts;
//! - a stop after a round lost to a slot holder's dropped answer: the memory read back keeps the demotion, so the
//!   next aggregate is decrypted at once by P = {2, 3, 4, 5} (one round lost, one demotion); control: the same
//!   rounds without the drop keep P = {1, 2, 3, 4} and demote nobody;
//! - a stop after a round in which slot holder 1 signs wrong shares: round 1 names member 1 alone as excluded
//!   and publishes nothing wrong, the memory read back distrusts member 1 alone, and the next aggregate decrypts
//!   bit-exact at once without it; control: the same rounds with an honest member 1 distrust nobody;
//! - a stop between the attempts of one aggregate: the retry after the restart is asked under the present set
//!   read back (no member answers one aggregate under two present sets); control: a new aggregate after the same
//!   restart is given another present set (without the stored one the retry would have been too).
//!
//! Faults are made outside `Member`: the rig's links (`committee::rig`) compute the member's real reply, then
//! drop it for the steps the test switches on; a damaged memory is bytes (or a directory) the test puts in place
//! of `committee-relay.json`; a "stop" is the relay dropped and started again over the same data directory.

use super::CommitteeError;
use super::fixture::{DESIGN, big_stack, clinics, roster};
use super::link::MemberLink;
use super::process::ANSWER;
use super::relay::{Committee, RelayError};
use super::relay_memory::MEMORY_FILE;
use super::rig::{Rig, decrypt};
use zkfl_core::threshold::slots::bit;

/// The ways a memory file is damaged: a directory in its place, bytes that do not parse, a bad digest.
#[derive(Clone, Copy)]
enum Damage {
    None,
    Directory,
    NotJson,
    BadDigest,
}

/// Starts a relay over a memory written by one real round, then damaged as `damage` says; `Err` holds the
/// start's words and the data directory.
fn start_over(label: &str, damage: Damage) -> Result<(), (String, String)> {
    let rig = Rig::new(label);
    let mut c = rig.start();
    let (subs, sum) = clinics(c.key(), 3700);
    decrypt(&mut c, 1, &subs, &sum).expect("round 1 decrypts");
    drop(c);
    let file = rig.dir.join(MEMORY_FILE);
    let text = std::fs::read_to_string(&file).expect("round 1 wrote the memory");
    match damage {
        Damage::None => {}
        Damage::Directory => {
            std::fs::remove_file(&file).unwrap();
            std::fs::create_dir_all(&file).unwrap();
        }
        Damage::NotJson => std::fs::write(&file, b"{ not json").unwrap(),
        Damage::BadDigest => {
            let key = text.find("\"digest\"").expect("a stored round") + "\"digest\"".len();
            let at = key + text[key..].find('"').expect("the digest's value") + 1;
            let bad = format!("{}zz{}", &text[..at], &text[at + 2..]);
            std::fs::write(&file, bad).unwrap();
        }
    }
    let links: Vec<Option<Box<dyn MemberLink>>> = (0..5).map(|_| None).collect();
    match Committee::start(roster(), DESIGN, links, &rig.dir) {
        Ok(_) => Ok(()),
        Err(e @ RelayError::Memory(_)) => {
            Err((e.to_string(), rig.dir.to_string_lossy().into_owned()))
        }
        Err(e) => panic!("not the memory's error: {e:?}"),
    }
}

/// Attempt 1: every read error names the file, not the data directory. Positive control: the undamaged file
/// starts a relay (the damage, and nothing else, stops it).
#[test]
fn r37_attempt_every_read_error_names_the_file_not_the_directory() {
    big_stack(|| {
        assert!(start_over("rev37-a1c", Damage::None).is_ok(), "control");
        for (label, damage) in [
            ("rev37-a1d", Damage::Directory),
            ("rev37-a1j", Damage::NotJson),
            ("rev37-a1g", Damage::BadDigest),
        ] {
            let Err((text, dir)) = start_over(label, damage) else {
                panic!("{label}: a damaged memory starts a relay");
            };
            assert!(text.starts_with("the relay's memory: "), "{text}");
            assert!(text.contains(MEMORY_FILE), "{text}");
            assert!(
                !text.contains(&dir),
                "{label}: the words name the data directory: {text}"
            );
        }
    });
}

/// Attempt 2: a stop after a round lost to slot holder 1's dropped answer. The memory read back keeps the
/// demotion (one per attempt), so the next aggregate is decrypted at once without member 1. Positive control:
/// without the drop both rounds decrypt under P = {1, 2, 3, 4} and nobody is demoted.
#[test]
fn r37_attempt_a_stop_keeps_the_lesson_of_a_lost_round() {
    big_stack(|| {
        for drop_answer in [true, false] {
            let rig = Rig::new(if drop_answer { "rev37-a2" } else { "rev37-a2c" });
            let mut c = rig.start();
            let (subs, sum) = clinics(c.key(), 3710);
            if drop_answer {
                rig.drop_replies(1, &[ANSWER]);
                assert!(
                    decrypt(&mut c, 1, &subs, &sum).is_err(),
                    "lost to 1's answer"
                );
                rig.clear();
            } else {
                decrypt(&mut c, 1, &subs, &sum).expect("round 1 decrypts");
            }
            let before = rig.memory(&c).standing.unreliable();
            drop(c);
            let mut c = rig.start();
            let after = rig.memory(&c).standing.unreliable();
            assert_eq!(before, after, "the standing read back");
            assert_eq!(rig.memory(&c).standing.distrusted(), 0, "nobody distrusted");
            let (subs2, sum2) = clinics(c.key(), 3711);
            let asked = rig.answer_calls();
            let d2 = decrypt(&mut c, 2, &subs2, &sum2).expect("round 2 decrypts at once");
            if drop_answer {
                assert_eq!(after, bit(1), "one demotion, of member 1");
                assert_eq!(d2.present, [2, 3, 4, 5]);
            } else {
                assert_eq!(after, 0);
                assert_eq!(d2.present, [1, 2, 3, 4]);
            }
            assert_eq!(rig.answer_calls() - asked, 4, "P asked once");
            let stored = rig.entries(&c, 2);
            assert_eq!(stored[0].present.as_deref(), Some(&d2.present[..]));
        }
    });
}

/// The members a round's failure names as excluded.
fn named_excluded(e: &CommitteeError) -> Vec<u8> {
    match e {
        CommitteeError::Excluded(x)
        | CommitteeError::RelayAndExcluded { excluded: x, .. }
        | CommitteeError::TooManyShareSets { excluded: x, .. }
        | CommitteeError::Unrepairable { excluded: x } => x.iter().map(|e| e.member).collect(),
        other => panic!("{other:?}"),
    }
}

/// Attempt 3: a stop after a cheater's round. Slot holder 1 signs wrong shares; round 1 names member 1 alone as
/// excluded (a decryption, if any, is bit-exact: `decrypt` checks it against the clinics' sum), the memory read
/// back distrusts member 1 alone, and the next aggregate decrypts at once without it. Positive control: with an
/// honest member 1 nobody is named or distrusted and P = {1, 2, 3, 4} stays.
#[test]
fn r37_attempt_a_stop_keeps_a_cheaters_distrust() {
    big_stack(|| {
        for cheat in [true, false] {
            let cheaters: &[u8] = if cheat { &[1] } else { &[] };
            let rig = Rig::with_cheaters(if cheat { "rev37-a3" } else { "rev37-a3c" }, cheaters);
            let mut c = rig.start();
            let (subs, sum) = clinics(c.key(), 3720);
            let named: Vec<u8> = match decrypt(&mut c, 1, &subs, &sum) {
                Ok(d) => d.exclusions.iter().map(|e| e.member).collect(),
                Err(RelayError::Committee(e)) => named_excluded(&e),
                Err(e) => panic!("{e:?}"),
            };
            drop(c);
            let mut c = rig.start();
            let m = rig.memory(&c);
            let (subs2, sum2) = clinics(c.key(), 3721);
            let asked = rig.answer_calls();
            let d2 = decrypt(&mut c, 2, &subs2, &sum2).expect("round 2 decrypts at once");
            assert_eq!(rig.answer_calls() - asked, 4, "P asked once");
            if cheat {
                assert!(
                    !named.is_empty() && named.iter().all(|x| *x == 1),
                    "{named:?}"
                );
                assert_eq!(m.standing.distrusted(), bit(1), "member 1 alone distrusted");
                assert!(!d2.present.contains(&1), "{:?}", d2.present);
                assert!(d2.exclusions.is_empty());
            } else {
                assert!(named.is_empty(), "{named:?}");
                assert_eq!(m.standing.distrusted(), 0);
                assert_eq!(d2.present, [1, 2, 3, 4]);
            }
        }
    });
}

/// Attempt 4: a stop between two attempts of one aggregate. Round 1 is lost to slot holder 2's dropped answer
/// under P = {1, 2, 3, 4}; after a restart its retry is asked under the P read back, and decrypts bit-exact.
/// Positive control: a new aggregate after the same restart gets a P without member 2, so a retry that had lost
/// its stored P would have been asked under another present set.
#[test]
fn r37_attempt_a_retry_after_a_stop_keeps_its_present_set() {
    big_stack(|| {
        let rig = Rig::new("rev37-a4");
        let mut c = rig.start();
        let (subs, sum) = clinics(c.key(), 3730);
        rig.drop_replies(2, &[ANSWER]);
        assert!(
            decrypt(&mut c, 1, &subs, &sum).is_err(),
            "lost to 2's answer"
        );
        rig.clear();
        drop(c);
        let mut c = rig.start();
        let stored = rig.entries(&c, 1);
        assert_eq!(stored[0].present.as_deref(), Some(&[1u8, 2, 3, 4][..]));
        let d = decrypt(&mut c, 1, &subs, &sum).expect("the retry decrypts");
        assert_eq!(d.present, [1, 2, 3, 4], "asked under the P read back");
        let (subs2, sum2) = clinics(c.key(), 3731);
        let d2 = decrypt(&mut c, 2, &subs2, &sum2).expect("control: round 2 decrypts");
        assert!(!d2.present.contains(&2), "control: {:?}", d2.present);
    });
}
