//! Review 35 (independent; the reviewer did not write the code): the committee's round path after the change
//! following review 34 (R34-1: a failed save of the relay's memory after an attempt makes the next attempt save
//! first and return `Storage`, nobody asked, until the save succeeds; item 6 states the window between the
//! members' answers and the write of the attempt's standing) — against §16.4 items 5 and 6, §3.2.1, §4.2, §15.3
//! and §1 of docs/THRESHOLD.md (§39). The newest change is the focus (goal 5): can the save-first gate wedge the
//! relay, lose a decryption, lose or double a lesson, or be worked by the path.
//!
//! R35-1 (INFO; goal 3, the words of a round's failure): a failed write of the relay's memory — the present set's
//! write (R33-3) or the gate's save (R34-1) — is `RelayError::Storage`, whose text is "committee ceremony record:
//! …" (the variant's doc: "the ceremony file could not be read or written"). The coordinator publishes it as the
//! round's failure reason, so a round lost to the memory's storage names the ceremony record, a file the round
//! never touched (and carries the aggregator's data directory in published text).
//!
//! R35-2 (INFO; goal 5, the gate itself; an aggregator storage fault, outside §1's path): the gate refuses every
//! attempt, also the retry of an aggregate whose present set is on disk and whose members have all answered — a
//! retry that uses nothing of the standing (only a new present set does, `Standing::choose`) and writes nothing
//! before the members resend their stored answers. Before the change that retry decrypted with the memory
//! unwritable (shown by a restart, which forgets the gate); now it is `Storage` until the disk is repaired, and the
//! coordinator fails the round after `DECRYPT_ATTEMPTS` tries, its markers already spent.
//!
//! Attempts that failed (each a passing test with its positive control):
//! - a failed save after a lost round, without a stop: the lesson stays in RAM, every attempt is refused as
//!   `Storage` with no member asked (no receipt request either) while the memory is unwritable, the first attempt
//!   after the repair writes it before anything else, demotes once, and the next round excludes the withholder;
//! - a decryption whose save fails is returned, and its retry after the repair returns the same sums with nothing
//!   new spent (the members resend their stored answers under the stored P);
//! - a cheater's round whose save fails: member 1 alone is named excluded, the distrust stays in RAM, is written
//!   by the first attempt after the repair, and keeps member 1 out of the next P (no honest member demoted);
//! - the path's faults alone (dropped receipts below the quorum, a withheld answer, a dropped receipt above it)
//!   never raise the gate: every save after those attempts succeeds and the next attempt runs.
//!
//! Faults are made outside `Member`: each member's link computes the member's real reply and records it, then a
//! switch the test holds replaces the reply to one step by a refusal (the path dropping it); a storage fault is a
//! directory where `write_atomically` puts its temporary file (its `create` fails, also for root), made by the
//! test or by a link the moment the relay sends it an answer request (after the present set's write, so only the
//! save after the attempt fails). A "stop" is the relay dropped and started again over the same data directory.
//!
//! After the review (lead, THRESHOLD §39 "After review 35"): R35-1 is fixed (`RelayError::Memory`, words without
//! the data directory) and the gate of R35-2 is withdrawn (a new present set is written with the standing it was
//! chosen from; a retry under a stored present set runs). The finding tests are no longer ignored; the attempt
//! tests now check that a new present set, not every attempt, waits for a failed write.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::CommitteeError;
use super::fixture::{DESIGN, big_stack, ceremony, clinics, copy_of, db, open, roster, spent_rows};
use super::link::MemberLink;
use super::member::{Member, Submission};
use super::process::{ANSWER, RECEIPT, parse_reply, reply};
use super::relay::{Committee, Decryption, RelayError, on_big_stack};
use super::relay_memory::{MEMORY_FILE, RelayMemory};
use zkfl_core::threshold::slots::bit;

/// Per member, the steps (ops) whose replies the path replaces by a refusal, changed by the test between attempts.
type Switch = Arc<Mutex<Vec<u8>>>;

/// Per member, every request the member itself answered: the step.
type Seen = Arc<Mutex<Vec<u8>>>;

/// Where to make a directory when a member is asked to answer (a storage fault timed by the round itself).
type Trap = Arc<Mutex<Option<PathBuf>>>;

/// An in-process member whose replies are recorded, then dropped for the steps in `switch`.
struct Link {
    member: Member,
    switch: Switch,
    seen: Seen,
    trap: Trap,
}

impl MemberLink for Link {
    fn call(&mut self, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        if op == ANSWER
            && let Some(d) = self.trap.lock().unwrap().as_ref()
        {
            std::fs::create_dir_all(d).unwrap();
        }
        self.seen.lock().unwrap().push(op);
        let mut req = vec![op];
        req.extend_from_slice(body);
        let member = &mut self.member;
        let out = parse_reply(&on_big_stack(|| reply(member, &req)));
        if self.switch.lock().unwrap().contains(&op) {
            return Err("timed out (the path dropped the reply)".into());
        }
        out
    }
}

/// A copy of the committee (the fixture's one-chunk design of set L: P = {1, 2, 3, 4}, member 4 slotless,
/// w = 4) with its five switches, records and one storage trap.
struct Rig {
    dir: PathBuf,
    switches: Vec<Switch>,
    seen: Vec<Seen>,
    trap: Trap,
    /// Members that sign wrong shares (their own corrupt answers).
    cheaters: Vec<u8>,
}

impl Rig {
    fn new(label: &str) -> Self {
        Self::with_cheaters(label, &[])
    }

    fn with_cheaters(label: &str, cheaters: &[u8]) -> Self {
        Self {
            dir: copy_of(ceremony(), label),
            switches: (0..5).map(|_| Switch::default()).collect(),
            seen: (0..5).map(|_| Seen::default()).collect(),
            trap: Trap::default(),
            cheaters: cheaters.to_vec(),
        }
    }

    /// A relay over the members' databases and the relay memory in the rig's directory (a restart when called
    /// again).
    fn start(&self) -> Committee {
        let r = roster();
        let links = (1..=5u8)
            .map(|i| {
                let k = usize::from(i) - 1;
                let mut member = open(&self.dir, &r, i);
                if self.cheaters.contains(&i) {
                    member.corrupt_shares_for_demo();
                }
                Some(Box::new(Link {
                    member,
                    switch: Arc::clone(&self.switches[k]),
                    seen: Arc::clone(&self.seen[k]),
                    trap: Arc::clone(&self.trap),
                }) as Box<dyn MemberLink>)
            })
            .collect();
        let mut c = Committee::start(r, DESIGN, links, &self.dir).unwrap();
        c.admit_unverified();
        c
    }

    /// Member `m`'s replies to `ops` are dropped from now on.
    fn drop_replies(&self, m: u8, ops: &[u8]) {
        *self.switches[usize::from(m) - 1].lock().unwrap() = ops.to_vec();
    }

    fn clear(&self) {
        for m in 1..=5 {
            self.drop_replies(m, &[]);
        }
    }

    /// The directory whose presence makes every write of the relay's memory fail.
    fn blocker(&self) -> PathBuf {
        self.dir.join("committee-relay.tmp")
    }

    /// A save after the attempt fails: the memory is made unwritable when the members are asked to answer.
    fn fail_the_save_after_the_answers(&self, on: bool) {
        *self.trap.lock().unwrap() = on.then(|| self.blocker());
    }

    /// The memory file writable again.
    fn repair(&self) {
        *self.trap.lock().unwrap() = None;
        let _ = std::fs::remove_dir_all(self.blocker());
    }

    /// How many requests of step `op` the members have been sent so far.
    fn calls(&self, op: u8) -> usize {
        self.seen
            .iter()
            .map(|s| s.lock().unwrap().iter().filter(|o| **o == op).count())
            .sum()
    }

    fn memory(&self, c: &Committee) -> RelayMemory {
        RelayMemory::load(&self.dir, &c.record().key_id).unwrap()
    }

    /// Rows of every member's spent ledger.
    fn spent(&self) -> Vec<i64> {
        (1..=5).map(|i| spent_rows(&db(&self.dir, i))).collect()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Decrypts and checks a decryption bit-exact against the clinics' sum.
fn decrypt(
    c: &mut Committee,
    round: u64,
    subs: &[Submission],
    sum: &[i64],
) -> Result<Decryption, RelayError> {
    let res = c.decrypt(round, subs);
    if let Ok(d) = &res {
        assert_eq!(d.chunks[0].to_vec(), sum, "bit-exact");
    }
    res
}

/// Round 1 lost to slot holder 1's withheld answer (its link drops the reply after the member made it), with the
/// save after the attempt failing when `fail` is set. Returns the submissions of round 1 and their sum.
fn a_withheld_round(
    rig: &Rig,
    c: &mut Committee,
    fail: bool,
    seed: u64,
) -> (Vec<Submission>, Vec<i64>) {
    let (subs, sum) = clinics(c.key(), seed);
    rig.fail_the_save_after_the_answers(fail);
    rig.drop_replies(1, &[ANSWER]);
    assert!(
        decrypt(c, 1, &subs, &sum).is_err(),
        "round 1 lost to 1's withholding"
    );
    assert_eq!(rig.calls(ANSWER), 4, "P = {{1, 2, 3, 4}} was asked");
    rig.clear();
    *rig.trap.lock().unwrap() = None;
    (subs, sum)
}

// ----------------------------------------------------------------------------------------------------------
// Goal 5: the save-first gate after a failed save (R34-1's change).
// ----------------------------------------------------------------------------------------------------------

/// Attempt 1 (goals 4 and 5): a failed save after a lost round, without a stop. Round 1 is lost to slot holder
/// 1's withheld answer and the save after it fails (the file's standing does not demote 1: the fault reaches the
/// relay). While the memory stays unwritable, two attempts of round 2 (another aggregate) are `Storage` with no
/// member sent anything — not even a receipt request — and the file is unchanged; after the repair the next
/// attempt of round 2 first writes the standing kept in RAM (member 1 unreliable, once; nobody distrusted; the
/// refused attempts demoted nobody) and decrypts bit-exact with P = {2, 3, 4, 5}. The gate neither wedges (the
/// first attempt after the repair runs) nor doubles a demotion. Positive control (the defence taken away: a
/// restart forgets RAM and the gate): the same failed save followed by a restart with the disk repaired, and round
/// 2 is lost to the same withholder under P = {1, 2, 3, 4} — the window item 6 states (R34-1).
#[test]
fn r35_attempt_a_failed_save_keeps_the_lesson_until_it_is_saved() {
    big_stack(|| {
        for restart in [false, true] {
            let rig = Rig::new(if restart { "rev35-a1c" } else { "rev35-a1" });
            let mut c = rig.start();
            let before = rig.memory(&c).standing;
            a_withheld_round(&rig, &mut c, true, 3510);
            assert_eq!(
                rig.memory(&c).standing,
                before,
                "the save after round 1 failed"
            );
            let (subs2, sum2) = clinics(c.key(), 3511);
            if restart {
                drop(c);
                rig.repair();
                c = rig.start();
                rig.drop_replies(1, &[ANSWER]);
                let lost = decrypt(&mut c, 2, &subs2, &sum2);
                assert!(
                    lost.is_err(),
                    "without the gate, round 2 is lost again: {lost:?}"
                );
                continue;
            }
            let asked = rig.calls(ANSWER);
            for _ in 0..2 {
                let res = decrypt(&mut c, 2, &subs2, &sum2);
                assert!(matches!(res, Err(RelayError::Memory(_))), "{res:?}");
            }
            assert_eq!(rig.calls(ANSWER), asked, "nobody asked to answer");
            assert_eq!(rig.memory(&c).standing, before, "the file is unchanged");
            rig.repair();
            rig.drop_replies(1, &[ANSWER]);
            let done =
                decrypt(&mut c, 2, &subs2, &sum2).expect("the first attempt after the repair runs");
            assert_eq!(done.present, [2, 3, 4, 5]);
            let standing = rig.memory(&c).standing;
            assert_eq!(standing.unreliable(), bit(1), "member 1 demoted, once");
            assert_eq!(standing.distrusted(), 0);
        }
    });
}

/// Attempt 2 (goal 5): a decryption whose save fails is not lost. Round 1 decrypts while the save after it fails
/// (the memory made unwritable when the members are asked to answer): the sums are returned bit-exact. The retry
/// of the same aggregate with the memory still unwritable is `Storage`, nobody asked; after the repair it runs,
/// announces the stored P, the members resend their stored answers, the same sums come back and nothing new is
/// spent; round 2 then decrypts. Positive control: the fault reaches the relay — without it the same retry runs at
/// once (no `Storage`), so the gate is raised by the failed save and nothing else.
#[test]
fn r35_attempt_a_decryption_whose_save_fails_is_not_lost() {
    big_stack(|| {
        for fail in [true, false] {
            let rig = Rig::new(if fail { "rev35-a2" } else { "rev35-a2c" });
            let mut c = rig.start();
            let (subs, sum) = clinics(c.key(), 3520);
            rig.fail_the_save_after_the_answers(fail);
            let first = decrypt(&mut c, 1, &subs, &sum).expect("decrypts, the failed save aside");
            assert_eq!(first.present, [1, 2, 3, 4]);
            *rig.trap.lock().unwrap() = None;
            let spent = rig.spent();
            let asked = rig.calls(ANSWER);
            let _ = asked;
            // The retry runs under the stored present set, with the memory still unwritable when `fail` is set
            // (review 35, R35-2: a retry acts on no standing).
            let again = decrypt(&mut c, 1, &subs, &sum).expect("the retry decrypts");
            assert_eq!(again.present, first.present);
            assert_eq!(again.chunks, first.chunks);
            assert_eq!(rig.spent(), spent, "nothing new spent");
            rig.repair();
            let (subs2, sum2) = clinics(c.key(), 3521);
            decrypt(&mut c, 2, &subs2, &sum2).expect("round 2 decrypts");
        }
    });
}

/// Attempt 3 (goal 5): the path cannot raise the gate. The path drops the receipt replies of 4 and 5 (an attempt
/// below the quorum), then slot holder 1's answer (a lost round), then member 5's receipt reply (a round above the
/// quorum): after each, the save succeeds — the file holds what the attempt taught (the lost round's demotion of
/// member 1 is on disk before the next attempt) — and the next attempt runs; round 2 decrypts with P = {2, 3, 4,
/// 5}. The path's replies reach the memory only as receipts that passed `check_receipts` and as the standing, a
/// bitmask: nothing it sends can make a save fail. Positive control: the same sequence with the memory unwritable
/// after the lost round's answers is `Storage` at the next attempt.
#[test]
fn r35_attempt_the_path_cannot_raise_the_gate() {
    big_stack(|| {
        for fault in [false, true] {
            let rig = Rig::new(if fault { "rev35-a3c" } else { "rev35-a3" });
            let mut c = rig.start();
            let (subs, sum) = clinics(c.key(), 3530);
            for m in [4, 5] {
                rig.drop_replies(m, &[RECEIPT]);
            }
            let below = decrypt(&mut c, 1, &subs, &sum);
            assert!(
                matches!(below, Err(RelayError::TooFewKeyHolders { .. })),
                "{below:?}"
            );
            rig.clear();
            rig.fail_the_save_after_the_answers(fault);
            rig.drop_replies(1, &[ANSWER]);
            assert!(
                decrypt(&mut c, 1, &subs, &sum).is_err(),
                "lost to 1's answer"
            );
            rig.clear();
            *rig.trap.lock().unwrap() = None;
            let demoted_on_disk = rig.memory(&c).standing.unreliable() == bit(1);
            assert_eq!(demoted_on_disk, !fault);
            rig.drop_replies(5, &[RECEIPT]);
            let (subs2, sum2) = clinics(c.key(), 3531);
            let next = decrypt(&mut c, 2, &subs2, &sum2);
            if fault {
                assert!(matches!(next, Err(RelayError::Memory(_))), "{next:?}");
            } else {
                assert_eq!(next.expect("decrypts").present, [2, 3, 4]);
            }
        }
    });
}

/// The members a combination's error names as excluded.
fn named_excluded(e: &CommitteeError) -> Vec<u8> {
    match e {
        CommitteeError::Excluded(x)
        | CommitteeError::RelayAndExcluded { excluded: x, .. }
        | CommitteeError::TooManyShareSets { excluded: x, .. }
        | CommitteeError::Unrepairable { excluded: x } => x.iter().map(|e| e.member).collect(),
        other => panic!("{other:?}"),
    }
}

/// Attempt 4 (goals 1, 3 and 4): a cheater's round whose save fails, without a stop. Slot holder 1 signs wrong
/// shares in round 1 and the save after the attempt fails (the file's standing is unchanged: the fault reaches
/// the relay). Whatever round 1 gives, it names member 1 alone as excluded and publishes nothing wrong (a
/// decryption is bit-exact). Round 2 (another aggregate) is `Storage` while the memory is unwritable, nobody sent
/// anything; after the repair the distrust kept in RAM is written before the round and round 2 leaves member 1
/// out of P = {2, 3, 4, 5} and decrypts bit-exact; the file distrusts member 1 and demotes no honest member.
/// Positive control: a restart instead of the gate (the disk repaired) forgets the distrust, and round 2's stored
/// present set holds member 1 again.
#[test]
fn r35_attempt_a_cheaters_distrust_survives_a_failed_save() {
    big_stack(|| {
        for restart in [false, true] {
            let rig = Rig::with_cheaters(if restart { "rev35-a4c" } else { "rev35-a4" }, &[1]);
            let mut c = rig.start();
            let before = rig.memory(&c).standing;
            let (subs, sum) = clinics(c.key(), 3560);
            rig.fail_the_save_after_the_answers(true);
            let first = decrypt(&mut c, 1, &subs, &sum);
            *rig.trap.lock().unwrap() = None;
            let named: Vec<u8> = match &first {
                Ok(d) => d.exclusions.iter().map(|e| e.member).collect(),
                Err(RelayError::Committee(e)) => named_excluded(e),
                Err(e) => panic!("{e:?}"),
            };
            assert!(
                !named.is_empty() && named.iter().all(|m| *m == 1),
                "{first:?}"
            );
            assert_eq!(
                rig.memory(&c).standing,
                before,
                "the save after round 1 failed"
            );
            let (subs2, sum2) = clinics(c.key(), 3561);
            if restart {
                drop(c);
                rig.repair();
                c = rig.start();
                let _ = decrypt(&mut c, 2, &subs2, &sum2);
                let present = rig
                    .memory(&c)
                    .rounds
                    .iter()
                    .find(|((r, _), _)| *r == 2)
                    .and_then(|(_, m)| m.present.clone());
                assert!(
                    present.is_some_and(|p| p.contains(&1)),
                    "the distrust is forgotten"
                );
                continue;
            }
            let asked = rig.calls(ANSWER);
            let res = decrypt(&mut c, 2, &subs2, &sum2);
            assert!(matches!(res, Err(RelayError::Memory(_))), "{res:?}");
            assert_eq!(rig.calls(ANSWER), asked, "nobody asked to answer");
            rig.repair();
            let done = decrypt(&mut c, 2, &subs2, &sum2).expect("decrypts without the cheater");
            assert_eq!(done.present, [2, 3, 4, 5]);
            assert!(done.exclusions.is_empty());
            let standing = rig.memory(&c).standing;
            assert_eq!(standing.distrusted(), bit(1));
            assert_eq!(
                standing.unreliable() & !bit(1),
                0,
                "no honest member demoted"
            );
        }
    });
}

// ----------------------------------------------------------------------------------------------------------
// R35-1: the words of a round lost to the memory's storage.
// ----------------------------------------------------------------------------------------------------------

/// The `Storage` error of a failed write of the relay's memory, as the coordinator publishes it (`to_string`).
fn memory_storage_error() -> String {
    let rig = Rig::new("rev35-1");
    let mut c = rig.start();
    let (subs, sum) = clinics(c.key(), 3540);
    std::fs::create_dir_all(rig.blocker()).unwrap();
    let res = decrypt(&mut c, 1, &subs, &sum);
    let Err(e @ RelayError::Memory(_)) = &res else {
        panic!("{res:?}");
    };
    assert_eq!(rig.calls(ANSWER), 0, "nobody asked");
    let text = e.to_string();
    let dir = rig.dir.to_string_lossy().into_owned();
    assert!(
        !text.contains(&dir),
        "the words name the data directory: {text}"
    );
    text
}

/// Control of R35-1: the fault reaches the relay and the error is the memory's (its text names the memory file),
/// so the words below are about a write of `committee-relay.json`.
#[test]
fn r35_1_control_the_error_is_the_memorys() {
    big_stack(|| {
        let text = memory_storage_error();
        assert!(text.contains(MEMORY_FILE), "{text}");
        assert!(text.starts_with("the relay's memory: "), "{text}");
    });
}

/// R35-1: a round lost to the relay memory's storage is published as a fault of the committee ceremony record.
#[test]
fn r35_1_a_memory_write_failure_is_not_called_the_ceremony_record() {
    big_stack(|| {
        let text = memory_storage_error();
        assert!(!text.contains("ceremony record"), "{text}");
    });
}

// ----------------------------------------------------------------------------------------------------------
// R35-2: the gate refuses a retry that would not act on the standing.
// ----------------------------------------------------------------------------------------------------------

/// Round 1 is lost to slot holder 1's answer, which the path drops (every member of P = {1, 2, 3, 4} made and
/// stored its answer), and the save after the attempt fails. With the memory still unwritable, the retry of round
/// 1 — the path clean now — is `Storage` when `restart` is not set (the gate); with `restart` (the gate and RAM
/// forgotten, the stored P read from the file) the same retry runs. Returns the retry's result and how many new
/// spent rows it made.
fn retry_while_unwritable(rig: &Rig, restart: bool) -> (Result<Decryption, RelayError>, Vec<i64>) {
    let mut c = rig.start();
    let (subs, sum) = a_withheld_round(rig, &mut c, true, 3550);
    assert!(rig.blocker().exists(), "the memory is unwritable");
    if restart {
        drop(c);
        c = rig.start();
    }
    let spent = rig.spent();
    let res = decrypt(&mut c, 1, &subs, &sum);
    let now = rig.spent();
    (res, now.iter().zip(&spent).map(|(a, b)| a - b).collect())
}

/// Control of R35-2: the retry needs no write. A relay restarted over the same file (so without the gate), with
/// the memory still unwritable, announces the stored P, gets the members' stored answers and decrypts bit-exact
/// with nothing new spent; and the relay with the gate decrypts the same retry once the memory is repaired.
#[test]
fn r35_2_control_the_retry_needs_no_write() {
    big_stack(|| {
        let rig = Rig::new("rev35-2c");
        let (res, new) = retry_while_unwritable(&rig, true);
        assert_eq!(
            res.expect("decrypts without any write").present,
            [1, 2, 3, 4]
        );
        assert_eq!(new, [0; 5], "nothing new spent");
        // The fault reaches the relay: with the memory still unwritable, a new aggregate cannot have its
        // present set written, so it is refused before anyone answers.
        let rig = Rig::new("rev35-2c2");
        let mut c = rig.start();
        a_withheld_round(&rig, &mut c, true, 3552);
        let asked = rig.calls(ANSWER);
        let (subs2, sum2) = clinics(c.key(), 3553);
        let res = decrypt(&mut c, 2, &subs2, &sum2);
        assert!(matches!(res, Err(RelayError::Memory(_))), "{res:?}");
        assert_eq!(rig.calls(ANSWER), asked, "nobody asked to answer");
    });
}

/// R35-2: the retry of an aggregate whose present set is on disk and whose members have all answered uses nothing
/// of the standing (only a new present set does: `Standing::choose`), yet the gate refuses it while the memory is
/// unwritable; the coordinator gives a round `DECRYPT_ATTEMPTS` tries, so a storage fault that outlasts them fails a
/// round the members have already answered and spent, which the relay could decrypt without writing anything.
#[test]
fn r35_2_a_retry_under_a_stored_present_set_runs_while_the_memory_is_unwritable() {
    big_stack(|| {
        let rig = Rig::new("rev35-2");
        let (res, new) = retry_while_unwritable(&rig, false);
        assert_eq!(
            res.expect("the answered aggregate decrypts").present,
            [1, 2, 3, 4]
        );
        assert_eq!(new, [0; 5]);
    });
}
