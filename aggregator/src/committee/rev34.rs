//! Review 34 (independent; the reviewer did not write the code): the committee's round path after the fixes of
//! R33-1 (`relay::aggregate_id` from the ciphertexts' digests alone), R33-2 (every valid receipt kept, also in an
//! attempt below the spend quorum) and R33-3 (a present set whose write failed is taken out of the relay's memory
//! again) — against §16.4 items 5 and 6, §3.2.1, §4.2, §15.3 and §1 of docs/THRESHOLD.md (§38). The newest changes
//! are the focus (goal 5): an entry holding receipts and no present set, the memory's key, and what RAM and
//! `committee-relay.json` hold when a write fails or the relay stops between two writes.
//!
//! R34-1 (INFO; goals 4 and 6, a sentence; an aggregator stop or a storage fault, outside §1's path): item 6
//! keeps "the standing after every attempt" so that "neither a retry after an aggregator restart … nor a cheater
//! gains from a restart". The present set is written before the answers, the standing only once the attempt is
//! over (a failed save is logged, not fatal); between the two run the answers and the whole combination. A relay
//! that stops in that window (or whose save after the attempt fails, then restarts) forgets that slot holder 1
//! withheld: the next round's P holds member 1 again and it costs a second round with no path interference.
//!
//! Attempts that failed (each a passing test with its positive control):
//! - receipts kept below the quorum count for their aggregate only: a second aggregate of the round, given the first
//!   one's stored receipts under its own memory key (the file rewritten, the relay restarted), is refused as
//!   "0 of 5" before any answer request (`check_receipts` re-checks stored receipts against the request's β(A));
//! - the memory key is the spec's: SHA3 over the sorted ciphertext digests, computed here from item 6's words, names
//!   the relay's entry; a request reordered and relabelled finds the receipts-only entry of an attempt below the
//!   quorum, and they carry the quorum of the retry;
//! - a stop between the present set's write and the standing's (the save after the attempt fails, then a restart):
//!   the present set written before any member answered is what the retry announces, and the retry decrypts;
//! - a present set whose write failed, then a restart: no entry is on disk with a present set, nothing was answered,
//!   and the retry after the repair writes P before the members answer it and decrypts;
//! - attempts below the quorum demote nobody, and a member whose kept receipt stands is not published as refusing.
//!
//! Faults are made outside `Member`: each member's link computes the member's real reply and records it, then a
//! switch the test holds replaces the reply to one step by a refusal; a storage fault is a directory where
//! `write_atomically` puts its temporary file (its `create` fails, also for root), made by the test or by a link
//! the moment the relay sends it an answer request (so the save after the attempt fails, the one before the
//! answers did not). Positive controls take the relay's defence away from outside where possible (the stored
//! present set removed from `committee-relay.json` before a restart) or show the stored receipts are what carries
//! a retry.
//!
//! After the review (lead, THRESHOLD §38 "After review 34", §39 "After review 35"): a standing whose save failed
//! is never acted on before it is written (a new present set is chosen from it and written with it); the window
//! between the answers and the write of the standing stays and item 6 says so — the reviewer's control is now the
//! test of that sentence, the ignored finding test is removed.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::fixture::{DESIGN, big_stack, ceremony, clinics, copy_of, db, open, roster, spent_rows};
use super::link::MemberLink;
use super::member::{Member, N, P, Submission};
use super::process::{ANSWER, RECEIPT, parse_reply, reply};
use super::relay::{Committee, Decryption, RelayError, on_big_stack};
use super::relay_memory::{MEMORY_FILE, RelayMemory, RoundMemo};
use zkfl_core::params::ParamSet;
use zkfl_core::threshold::aggregate::ciphertext_digest;
use zkfl_core::threshold::slots::bit;

/// Per member, the steps (ops) whose replies the path replaces by a refusal, changed by the test between attempts.
type Switch = Arc<Mutex<Vec<u8>>>;

/// Per member, every successful reply the member itself made: (step, bytes).
type Seen = Arc<Mutex<Vec<(u8, Vec<u8>)>>>;

/// One entry of the relay's memory: its key (round, aggregate) and what it holds.
type Entry = ((u64, [u8; 32]), RoundMemo);

/// Where to make a directory when the member is asked to answer (a storage fault timed by the round itself).
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
        let mut req = vec![op];
        req.extend_from_slice(body);
        let member = &mut self.member;
        let out = parse_reply(&on_big_stack(|| reply(member, &req)));
        if let Ok(bytes) = &out {
            self.seen.lock().unwrap().push((op, bytes.clone()));
        }
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
}

impl Rig {
    fn new(label: &str) -> Self {
        Self {
            dir: copy_of(ceremony(), label),
            switches: (0..5).map(|_| Switch::default()).collect(),
            seen: (0..5).map(|_| Seen::default()).collect(),
            trap: Trap::default(),
        }
    }

    /// A relay over the members' databases and the relay memory in the rig's directory (a restart when called
    /// again).
    fn start(&self) -> Committee {
        let r = roster();
        let links = (1..=5u8)
            .map(|i| {
                let k = usize::from(i) - 1;
                Some(Box::new(Link {
                    member: open(&self.dir, &r, i),
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

    /// The memory file unwritable from now on (`true`) or writable again (`false`).
    fn block(&self, on: bool) {
        if on {
            std::fs::create_dir_all(self.blocker()).unwrap();
        } else {
            let _ = std::fs::remove_dir_all(self.blocker());
        }
    }

    /// How many answer requests the members have answered so far (whatever the path then did to the reply).
    fn answer_calls(&self) -> usize {
        self.seen
            .iter()
            .map(|s| {
                s.lock()
                    .unwrap()
                    .iter()
                    .filter(|(op, _)| *op == ANSWER)
                    .count()
            })
            .sum()
    }

    fn memory(&self, c: &Committee) -> RelayMemory {
        RelayMemory::load(&self.dir, &c.record().key_id).unwrap()
    }

    /// The memory's entries for `round` on disk.
    fn entries(&self, c: &Committee, round: u64) -> Vec<Entry> {
        self.memory(c)
            .rounds
            .into_iter()
            .filter(|((r, _), _)| *r == round)
            .collect()
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

/// The aggregate's name as item 6 words it, computed here from the words alone: SHA3-256 over the ciphertexts'
/// digests (the core's `ciphertext_digest`) in sorted order, after the format's label and the count.
fn named_as_item_6(subs: &[Submission]) -> [u8; 32] {
    use sha3::Digest as _;
    let mut d: Vec<[u8; 32]> = subs
        .iter()
        .map(|s| ciphertext_digest::<<P as ParamSet>::M, N>(&s.c1, &s.c0))
        .collect();
    d.sort_unstable();
    let mut h = sha3::Sha3_256::new();
    h.update(b"ZKFL-PQ/relay/aggregate/v2");
    h.update((d.len() as u64).to_le_bytes());
    for x in &d {
        h.update(x);
    }
    h.finalize().into()
}

/// Attempt 1 of round 1's aggregate below the spend quorum: the path drops the receipt replies of members 4 and 5
/// (the members sign; three receipts reach the relay, w = 4). Returns the submissions, their sum and the entry on
/// disk (its key and memo).
fn below_the_quorum(rig: &Rig, c: &mut Committee, seed: u64) -> (Vec<Submission>, Vec<i64>, Entry) {
    let (subs, sum) = clinics(c.key(), seed);
    for m in [4, 5] {
        rig.drop_replies(m, &[RECEIPT]);
    }
    let first = decrypt(c, 1, &subs, &sum);
    rig.clear();
    assert!(
        matches!(&first, Err(RelayError::TooFewKeyHolders { why, .. }) if why.starts_with("3 of 5")),
        "{first:?}"
    );
    let entries = rig.entries(c, 1);
    assert_eq!(entries.len(), 1, "one receipts-only entry");
    assert_eq!(entries[0].1.present, None);
    (subs, sum, entries[0].clone())
}

// ----------------------------------------------------------------------------------------------------------
// Goal 5: receipts kept from an attempt below the quorum (R33-2) and the memory's key (R33-1).
// ----------------------------------------------------------------------------------------------------------

/// Attempt 1 (goals 2 and 5): the receipts kept from an attempt below the quorum are reused for another
/// aggregate. Aggregate A's attempt 1 stays below the quorum (receipts of 1, 2 and 3 kept, no present set). Then
/// the relay's file is rewritten so that A's receipts sit under the memory key of aggregate B (other ciphertexts,
/// the same round) and the relay restarts: B's request finds three stored receipts, which counted as they are would
/// make three signers of B ("3 of 5") where the members sign none (each signed A of round 1 and refuses). B is
/// refused as "0 of 5" before any answer request, every member published as refusing, nothing spent, the standing
/// unchanged. What stops it: `gather_receipts` re-checks stored receipts with the request's β(A)
/// (`check_receipts`), not only the memory key. Positive control: the same stored receipts under A's own key carry
/// A's retry with the receipt replies of 1, 2 and 3 dropped — signers [1..5], bit-exact, no refusal — so the
/// receipts moved are live ones; and the key computed from item 6's words is the relay's.
#[test]
fn r34_attempt_receipts_kept_below_the_quorum_count_for_their_aggregate_only() {
    big_stack(|| {
        let rig = Rig::new("rev34-a1");
        let mut c = rig.start();
        let (subs, _, (key, memo)) = below_the_quorum(&rig, &mut c, 3410);
        assert_eq!(key, (1, named_as_item_6(&subs)), "named as item 6 says");
        assert_eq!(
            memo.receipts.iter().map(|(m, _)| *m).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        let (other, _) = clinics(c.key(), 3411);
        let standing = rig.memory(&c).standing;
        let key_id = c.record().key_id;
        drop(c);
        // A's receipts under B's key.
        let mut m = RelayMemory::load(&rig.dir, &key_id).unwrap();
        let moved = m.rounds.remove(&key).unwrap();
        m.rounds.insert((1, named_as_item_6(&other)), moved);
        m.save(&rig.dir).unwrap();
        let mut c = rig.start();
        let spent = rig.spent();
        let res = c.decrypt(1, &other);
        assert_eq!(rig.answer_calls(), 0, "no answer request");
        let Err(RelayError::TooFewKeyHolders { why, refusals }) = &res else {
            panic!("{res:?}");
        };
        assert!(why.starts_with("0 of 5"), "{why}");
        let refused: Vec<u8> = refusals.iter().map(|r| r.member).collect();
        assert_eq!(refused, [1, 2, 3, 4, 5], "{refusals:?}");
        assert_eq!(rig.spent(), spent, "nothing spent");
        assert_eq!(rig.memory(&c).standing, standing, "standing unchanged");
        drop(c);

        // Control: the same receipts under A's own key carry A's retry.
        let rig = Rig::new("rev34-a1c");
        let mut c = rig.start();
        let (subs, sum, _) = below_the_quorum(&rig, &mut c, 3410);
        for m in [1, 2, 3] {
            rig.drop_replies(m, &[RECEIPT]);
        }
        let done = decrypt(&mut c, 1, &subs, &sum).expect("the kept receipts carry the quorum");
        assert_eq!(done.receipt_signers, [1, 2, 3, 4, 5]);
        assert!(done.refusals.is_empty(), "{:?}", done.refusals);
    });
}

/// Attempt 2 (goal 5): a receipts-only entry made below the quorum and a retry the coordinator gives reordered and
/// under other clinic ids (the same ciphertexts: one aggregate to the members). The retry finds the entry (one
/// entry for round 1 afterwards), the receipts of 1, 2 and 3 kept from attempt 1 count while the path drops their
/// replies now, P is chosen once and written before the answers, and the round decrypts bit-exact. Positive
/// control: the receipts-only entry removed from `committee-relay.json` before a restart — the same retry is below
/// the quorum again ("2 of 5"), so the kept entry, found under the new key, is what carries it.
#[test]
fn r34_attempt_a_receipts_only_entry_is_found_under_other_order_and_clinic_ids() {
    big_stack(|| {
        let changed = |subs: &[Submission]| {
            let mut out = subs.to_vec();
            out.reverse();
            let (a, b) = (out[0].clinic, out[1].clinic);
            out[0].clinic = b;
            out[1].clinic = a;
            out
        };
        for remove in [false, true] {
            let rig = Rig::new(if remove { "rev34-a2c" } else { "rev34-a2" });
            let mut c = rig.start();
            let (subs, sum, (key, _)) = below_the_quorum(&rig, &mut c, 3420);
            if remove {
                let key_id = c.record().key_id;
                drop(c);
                let mut m = RelayMemory::load(&rig.dir, &key_id).unwrap();
                m.rounds.remove(&key).unwrap();
                m.save(&rig.dir).unwrap();
                c = rig.start();
            }
            for m in [1, 2, 3] {
                rig.drop_replies(m, &[RECEIPT]);
            }
            let res = decrypt(&mut c, 1, &changed(&subs), &sum);
            if remove {
                assert!(
                    matches!(&res, Err(RelayError::TooFewKeyHolders { why, .. }) if why.starts_with("2 of 5")),
                    "{res:?}"
                );
            } else {
                let done = res.expect("the kept receipts carry the retry");
                assert_eq!(done.receipt_signers, [1, 2, 3, 4, 5]);
                assert_eq!(done.present, [1, 2, 3, 4]);
                let entries = rig.entries(&c, 1);
                assert_eq!(entries.len(), 1, "one entry");
                assert_eq!(entries[0].0, key);
            }
        }
    });
}

/// Attempt 5 (goals 3 and 4): blame and the count in attempts below the quorum with kept receipts. Attempt 1 stays
/// below the quorum (the path drops the receipt replies of 4 and 5); attempt 2 too (it drops those of 1, 4 and 5:
/// kept 1, 2, 3 and fresh 2, 3 make three signers). Neither attempt demotes or distrusts anyone (nobody was asked
/// to answer: scheduling learns nothing), and attempt 2 publishes as refusing only 4 and 5 — not member 1, whose
/// kept receipt stands though its reply is lost (item 6: "only a member without a valid receipt is published as
/// refusing a receipt"). Positive control: the same drops of attempt 2 on a fresh copy, without attempt 1, publish
/// 1, 4 and 5 (the path's drops reach the relay; the kept receipt is what clears member 1).
#[test]
fn r34_attempt_below_the_quorum_nobody_is_demoted_or_wrongly_refused() {
    big_stack(|| {
        for first in [true, false] {
            let rig = Rig::new(if first { "rev34-a5" } else { "rev34-a5c" });
            let mut c = rig.start();
            let (subs, sum) = if first {
                let (subs, sum, _) = below_the_quorum(&rig, &mut c, 3460);
                (subs, sum)
            } else {
                clinics(c.key(), 3460)
            };
            for m in [1, 4, 5] {
                rig.drop_replies(m, &[RECEIPT]);
            }
            let res = decrypt(&mut c, 1, &subs, &sum);
            let Err(RelayError::TooFewKeyHolders { why, refusals }) = &res else {
                panic!("{res:?}");
            };
            let refused: Vec<u8> = refusals.iter().map(|r| r.member).collect();
            if first {
                assert!(why.starts_with("3 of 5"), "{why}");
                assert_eq!(refused, [4, 5]);
            } else {
                assert!(why.starts_with("2 of 5"), "{why}");
                assert_eq!(refused, [1, 4, 5]);
            }
            let standing = rig.memory(&c).standing;
            assert_eq!(
                standing.unreliable() | standing.distrusted(),
                0,
                "nobody demoted"
            );
            assert_eq!(rig.answer_calls(), 0);
        }
    });
}

// ----------------------------------------------------------------------------------------------------------
// Goal 5: RAM and file when a write fails (R33-3), and a stop between two writes.
// ----------------------------------------------------------------------------------------------------------

/// Attempt 3 (goals 4 and 5): a stop between the two writes of an attempt. Attempt 1 of round 1's aggregate: P is
/// written, then a link makes the memory unwritable the moment it is asked to answer, so the save after the
/// attempt fails (the standing that demotes slot holder 1, whose answer the path drops, is never written), and the
/// relay stops (a restart; the disk repaired). The retry announces the present set written before any member
/// answered ({1, 2, 3, 4}), the members resend their stored answers, and the round decrypts bit-exact with nothing
/// new spent. Positive controls: the fault reaches the relay (the file's standing after attempt 1 is the one from
/// before it, P is on disk, four members answered); and with the stored present set removed from the file and
/// slot holder 2 demoted there before the restart (what another lost round could have left), the retry's P is
/// chosen afresh ({1, 3, 4, 5}), the members that answered {1, 2, 3, 4} refuse it, and the retry is lost — the
/// stored P is what carries it.
#[test]
fn r34_attempt_a_stop_between_the_writes_keeps_the_announced_present_set() {
    big_stack(|| {
        for strip in [false, true] {
            let rig = Rig::new(if strip { "rev34-a3c" } else { "rev34-a3" });
            let mut c = rig.start();
            let (subs, sum) = clinics(c.key(), 3430);
            let standing_before = rig.memory(&c).standing;
            *rig.trap.lock().unwrap() = Some(rig.blocker());
            rig.drop_replies(1, &[ANSWER]);
            let first = decrypt(&mut c, 1, &subs, &sum);
            assert!(first.is_err(), "lost to slot holder 1's dropped answer");
            let key_id = c.record().key_id;
            drop(c);
            *rig.trap.lock().unwrap() = None;
            rig.block(false);
            rig.clear();
            let on_disk = RelayMemory::load(&rig.dir, &key_id).unwrap();
            assert_eq!(
                on_disk.standing, standing_before,
                "the save after the attempt failed"
            );
            let entry = on_disk.rounds.values().next().unwrap().clone();
            assert_eq!(entry.present.as_deref(), Some(&[1u8, 2, 3, 4][..]));
            let answered = rig.answer_calls();
            assert_eq!(answered, 4, "P answered in attempt 1");
            if strip {
                // Control: without the stored P, and slot holder 2 demoted on disk.
                let mut m = on_disk.clone();
                for memo in m.rounds.values_mut() {
                    memo.present = None;
                }
                m.standing.demote(bit(2));
                m.save(&rig.dir).unwrap();
            }
            let mut c = rig.start();
            let spent = rig.spent();
            let retry = decrypt(&mut c, 1, &subs, &sum);
            if strip {
                assert!(retry.is_err(), "without the stored P the retry is lost");
            } else {
                let done = retry.expect("the stored P carries the retry");
                assert_eq!(done.present, [1, 2, 3, 4]);
                assert_eq!(rig.spent(), spent, "nothing new spent");
            }
        }
    });
}

/// Attempt 4 (goals 4 and 5): a present set whose write failed, then a stop. Attempt 1: the memory unwritable;
/// P is chosen, its write fails, `Storage`, no member asked. The relay stops; the disk is repaired; the retry
/// chooses P afresh, writes it before the answers and decrypts bit-exact; after it, the file holds that P and a
/// standing with nobody demoted (nobody cost anything). Also without a stop: attempt 2 with the memory still unwritable is refused as `Storage` again
/// with no answer request (R33-3), and attempt 3 after the repair decrypts with P on disk. Positive control: the
/// fault reaches the relay — the same attempt 1 with the memory writable asks the members (P = {1, 2, 3, 4}
/// written, four answer requests).
#[test]
fn r34_attempt_a_failed_present_write_leaves_nothing_announced() {
    big_stack(|| {
        for stop in [true, false] {
            let rig = Rig::new(if stop { "rev34-a4" } else { "rev34-a4b" });
            let mut c = rig.start();
            let (subs, sum) = clinics(c.key(), 3440);
            rig.block(true);
            let first = decrypt(&mut c, 1, &subs, &sum);
            assert!(matches!(first, Err(RelayError::Memory(_))), "{first:?}");
            assert_eq!(rig.answer_calls(), 0, "no answer request");
            if stop {
                drop(c);
                rig.block(false);
                c = rig.start();
            } else {
                let again = decrypt(&mut c, 1, &subs, &sum);
                assert!(matches!(again, Err(RelayError::Memory(_))), "{again:?}");
                assert_eq!(rig.answer_calls(), 0, "no answer request");
                rig.block(false);
            }
            let done = decrypt(&mut c, 1, &subs, &sum).expect("decrypts after the repair");
            assert_eq!(done.present, [1, 2, 3, 4]);
            let entries = rig.entries(&c, 1);
            assert_eq!(entries.len(), 1);
            assert_eq!(entries[0].1.present.as_deref(), Some(&[1u8, 2, 3, 4][..]));
            let standing = rig.memory(&c).standing;
            assert_eq!(
                standing.unreliable() | standing.distrusted(),
                0,
                "nobody demoted"
            );
        }
        // Control: writable, attempt 1 asks the members.
        let rig = Rig::new("rev34-a4c");
        let mut c = rig.start();
        let (subs, sum) = clinics(c.key(), 3440);
        decrypt(&mut c, 1, &subs, &sum).expect("decrypts");
        assert_eq!(rig.answer_calls(), 4);
        assert!(rig.dir.join(MEMORY_FILE).exists());
    });
}

// ----------------------------------------------------------------------------------------------------------
// R34-1: the lesson of an attempt is lost when the relay stops before the save after it.
// ----------------------------------------------------------------------------------------------------------

/// Round 1: slot holder 1 withholds its answer (its link refuses the answer request after the member made it; the
/// path touches nothing). When `stop` is set, the relay stops before the save after the attempt has run — made as
/// a save that fails (a link makes the memory unwritable the moment it is asked to answer, after the present set
/// was written) followed by a restart with the disk repaired; otherwise it restarts cleanly. Round 2 (another
/// aggregate): member 1 withholds again. Returns round 2's result and whether the file's standing after round 1
/// demotes member 1.
fn withholder_across_a_stop(rig: &Rig, stop: bool) -> (Result<Decryption, RelayError>, bool) {
    let mut c = rig.start();
    let (subs, sum) = clinics(c.key(), 3450);
    if stop {
        *rig.trap.lock().unwrap() = Some(rig.blocker());
    }
    rig.drop_replies(1, &[ANSWER]);
    assert!(
        decrypt(&mut c, 1, &subs, &sum).is_err(),
        "round 1 lost to 1's withholding"
    );
    assert_eq!(rig.answer_calls(), 4, "P = {{1, 2, 3, 4}} was asked");
    drop(c);
    *rig.trap.lock().unwrap() = None;
    rig.block(false);
    let mut c = rig.start();
    let demoted = rig.memory(&c).standing.unreliable() & bit(1) != 0;
    let (subs2, sum2) = clinics(c.key(), 3451);
    (decrypt(&mut c, 2, &subs2, &sum2), demoted)
}

/// R34-1 as item 6 now states it (the finding was the sentence; the window stays, documented): with a stop
/// between the members' answers and the write of the attempt's standing, the file's standing after round 1 does
/// not demote member 1 and round 2 is lost to the same withholding (P = {1, 2, 3, 4} again); with a clean restart
/// the file demotes member 1 and round 2 decrypts bit-exact with P = {2, 3, 4, 5} — the standing written after
/// the attempt is what carries the bound, and a stop in the window loses it.
#[test]
fn r34_1_a_stop_before_the_standing_is_written_loses_the_attempts_lesson() {
    big_stack(|| {
        let rig = Rig::new("rev34-1c");
        let (second, demoted) = withholder_across_a_stop(&rig, true);
        assert!(!demoted, "the save after round 1 did not happen");
        assert!(second.is_err(), "round 2 lost to the same withholder");
        let rig = Rig::new("rev34-1c2");
        let (second, demoted) = withholder_across_a_stop(&rig, false);
        assert!(demoted, "a clean restart keeps the demotion");
        assert_eq!(second.expect("decrypts").present, [2, 3, 4, 5]);
    });
}

/// R34-1 as the relay now keeps it (reviews 34–35): a standing whose save failed is never acted on before it is
/// written. Round 1 loses to slot holder 1's withheld answer and the save after it fails (the memory made
/// unwritable when the members are asked to answer; the file does not demote 1). Round 2, another aggregate, with
/// the memory still unwritable: its present set cannot be written, so it is refused (`Memory`) before anyone is
/// asked to answer. Once the memory is writable, round 2's present set is chosen from the standing kept in RAM and
/// written with it: P = {2, 3, 4, 5}, member 1 demoted on disk, and the round decrypts bit-exact.
#[test]
fn r34_1_a_standing_whose_save_failed_is_written_before_it_is_acted_on() {
    big_stack(|| {
        let rig = Rig::new("rev34-1s");
        let mut c = rig.start();
        let (subs, sum) = clinics(c.key(), 3460);
        *rig.trap.lock().unwrap() = Some(rig.blocker());
        rig.drop_replies(1, &[ANSWER]);
        assert!(
            decrypt(&mut c, 1, &subs, &sum).is_err(),
            "lost to 1's withholding"
        );
        *rig.trap.lock().unwrap() = None;
        assert_eq!(rig.memory(&c).standing.unreliable(), 0, "the save failed");
        let asked = rig.answer_calls();
        let (subs2, sum2) = clinics(c.key(), 3461);
        let res = decrypt(&mut c, 2, &subs2, &sum2);
        assert!(matches!(res, Err(RelayError::Memory(_))), "{res:?}");
        assert_eq!(rig.answer_calls(), asked, "nobody asked to answer");
        rig.block(false);
        let done = decrypt(&mut c, 2, &subs2, &sum2).expect("round 2 decrypts once written");
        assert_eq!(done.present, [2, 3, 4, 5]);
        assert_ne!(rig.memory(&c).standing.unreliable() & bit(1), 0);
    });
}
