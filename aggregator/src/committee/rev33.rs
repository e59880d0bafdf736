//! Review 33 (independent; the reviewer did not write the code): the committee's round path after the fixes of
//! R32-1 (item 6 restated: a signer found offline is listed as "offline before answering") and R32-2 (the relay's
//! memory keyed by (round, `relay::aggregate_id`)) — against §16.4 items 5 and 6, §3.2.1, §4.2, §15.3 and §1 of
//! docs/THRESHOLD.md (§37). The newest change, the key of the relay's memory, is the focus (goal 5).
//!
//! R33-1 (INFO; goals 5 and 6, a false sentence): item 6 names an aggregate in the relay's memory "by its round and
//! its submissions' ciphertexts in sorted order, as β(A) names it". `relay::aggregate_id` hashes each submission's
//! clinic id with its ciphertext, while β(A) — what the members spend, sign receipts for and answer once — hashes
//! the ciphertexts alone. The same ciphertexts asked for again under other clinic ids are one aggregate to the
//! members (they return byte-identical receipts) and a second entry to the relay: no stored present set, so P is
//! chosen afresh from the standing; the members that answered the stored P refuse, the retry is lost and the relay
//! demotes those honest members with no fault on the path — the failure R32-2 fixed for the order. Not reachable
//! through the coordinator as it stands (a kept submission keeps its clinic id, and with proofs verified a relabel
//! needs a norm proof of the same ciphertext under the other clinic id, i.e. the encrypting clinic's witness).
//!
//! R33-2 (INFO; goal 6, a sentence): item 6 keeps "per aggregate … the receipts gathered", a stored valid receipt
//! standing when a later reply of its member is lost. The receipts of an attempt that stays below the spend quorum
//! are not kept (`attempt` returns `TooFewKeyHolders` before it touches the memory): with the path dropping two
//! receipt replies in each of two attempts — other members each time — five valid receipts of the aggregate were
//! signed and the second attempt is still lost as "3 of 5". The path interfered in both: the count holds.
//!
//! R33-3 (INFO; goal 6, a sentence, under a storage fault outside §1): item 6 says "a present set is written before
//! any member is asked to answer for it". When that write fails the attempt stops with a storage error, but the
//! present set stays in the relay's memory in RAM, and the next attempt of the aggregate asks the members to answer
//! it without writing it.
//!
//! Attempts that failed (goals 4 and 5): a retry in another order and with other proof bytes finds the stored
//! entry (the stored P is sent, nobody spends anything new); a request repeating a ciphertext (the same submission twice, or
//! the same ciphertext under a second clinic id) never shares the stored entry of the aggregate, never reaches an
//! answer request, and leaves the memory, the standing and every member's ledger as they were; a memory file of
//! the format before R32-2 loads with its standing and its entries match no aggregate (as §36 states).
//!
//! Faults are made outside `Member`: each member's link computes the member's real reply, records it, then a
//! switch the test holds (changed between attempts, kept across a relay restart) replaces the reply to one step by
//! a refusal; a storage fault is a directory where the memory's temporary file goes. Requests are made by the test
//! (reordered, relabelled, proof bytes changed, a submission repeated), as a coordinator could give them. Positive controls take the relay's defence away from outside where possible: the
//! stored present set is removed from `committee-relay.json` before a restart.
//!
//! After the review (lead): R33-1, R33-2 and R33-3 are fixed in the relay (THRESHOLD §37 "After review 33"): the
//! finding tests are no longer ignored and the controls no longer pin the behaviour as found.

use super::fixture::{big_stack, clinics};
use super::member::Submission;
use super::process::{ANSWER, RECEIPT};
use super::relay::{Committee, Decryption, RelayError};
use super::relay_memory::{RelayMemory, RoundMemo};
use super::rig::{Rig, decrypt};
use zkfl_core::threshold::slots::bit;

/// Attempt 1 of round 1's aggregate (clinics seeded `seed`), lost to the path dropping slot holder 1's answer:
/// P = {1, 2, 3, 4} and five receipts stored, 1 demoted. Returns the submissions, their sum and the receipts stored.
fn lost_first_attempt(
    rig: &Rig,
    c: &mut Committee,
    seed: u64,
) -> (Vec<Submission>, Vec<i64>, RoundMemo) {
    let (subs, sum) = clinics(c.key(), seed);
    rig.drop_replies(1, &[ANSWER]);
    let first = decrypt(c, 1, &subs, &sum);
    assert!(first.is_err(), "lost to slot holder 1's dropped answer");
    rig.clear();
    let entries = rig.entries(c, 1);
    assert_eq!(entries.len(), 1);
    let memo = entries[0].clone();
    assert_eq!(memo.present.as_deref(), Some(&[1u8, 2, 3, 4][..]));
    assert_eq!(memo.receipts.len(), 5);
    (subs, sum, memo)
}

/// The same ciphertexts with the clinic ids of the first two submissions swapped.
fn relabelled(subs: &[Submission]) -> Vec<Submission> {
    let mut out = subs.to_vec();
    let (a, b) = (out[0].clinic, out[1].clinic);
    out[0].clinic = b;
    out[1].clinic = a;
    out
}

// ----------------------------------------------------------------------------------------------------------
// R33-1: the memory names an aggregate by its clinics too; β(A) does not.
// ----------------------------------------------------------------------------------------------------------

/// The finding (INFO): item 6 names an aggregate in the relay's memory "by its round and its submissions'
/// ciphertexts in sorted order, as β(A) names it", so a retry of the aggregate announces the stored P. Attempt 1 is
/// lost to the path (slot holder 1's answer dropped; P = {1, 2, 3, 4} stored); the retry asks for the same
/// ciphertexts with two clinic ids swapped — one aggregate to the members, whose β(A) has no clinic id — and should
/// announce the stored P and decrypt from the members' stored answers. `relay::aggregate_id` hashes the clinic ids
/// too: the retry is a new entry, P is chosen afresh ({2, 3, 4, 5}), and it is lost.
#[test]
fn r33_1_a_retry_under_other_clinic_ids_announces_the_same_present_set() {
    big_stack(|| {
        let rig = Rig::new("rev33-1");
        let mut c = rig.start();
        let (subs, sum, _) = lost_first_attempt(&rig, &mut c, 3310);
        let retry = decrypt(&mut c, 1, &relabelled(&subs), &sum);
        assert_eq!(
            retry
                .expect("the retry of the same aggregate decrypts")
                .present,
            [1, 2, 3, 4]
        );
    });
}

/// Positive control of R33-1: the relabelled request reaches the members as the same aggregate — for the
/// relabelled retry every member returns a receipt byte-identical to the one stored for the aggregate — and the
/// relay keeps one entry for round 1; the same retry under the original clinic ids, on a fresh copy, announces
/// the stored P and decrypts bit-exact with no member spending anything new.
#[test]
fn r33_1_control_one_aggregate_to_the_members_and_the_relay() {
    big_stack(|| {
        let rig = Rig::new("rev33-1c");
        let mut c = rig.start();
        let (subs, sum, memo) = lost_first_attempt(&rig, &mut c, 3310);
        let retry = decrypt(&mut c, 1, &relabelled(&subs), &sum);
        assert!(
            memo.receipts
                .iter()
                .all(|(m, b)| rig.own_receipt(*m, 1) == *b),
            "the members see the same aggregate"
        );
        assert!(retry.is_ok(), "{retry:?}");
        assert_eq!(rig.entries(&c, 1).len(), 1, "one memory entry");
        drop(c);

        let rig = Rig::new("rev33-1c2");
        let mut c = rig.start();
        let (subs, sum, _) = lost_first_attempt(&rig, &mut c, 3310);
        let spent_before = rig.spent();
        let done = decrypt(&mut c, 1, &subs, &sum).expect("the in-order retry decrypts");
        assert_eq!(done.present, [1, 2, 3, 4]);
        assert_eq!(rig.spent(), spent_before, "nothing new spent");
    });
}

// ----------------------------------------------------------------------------------------------------------
// R33-2: the receipts of an attempt below the spend quorum are not kept.
// ----------------------------------------------------------------------------------------------------------

/// Attempt 1 of round 1's aggregate: the path drops the receipt replies of members 4 and 5 (three signers, w = 4:
/// `TooFewKeyHolders`, nobody asked to answer); attempt 2: it drops those of members 1 and 2. Returns both results.
fn split_receipts(rig: &Rig, c: &mut Committee) -> [Result<Decryption, RelayError>; 2] {
    let (subs, sum) = clinics(c.key(), 3340);
    for m in [4, 5] {
        rig.drop_replies(m, &[RECEIPT]);
    }
    let first = decrypt(c, 1, &subs, &sum);
    rig.clear();
    for m in [1, 2] {
        rig.drop_replies(m, &[RECEIPT]);
    }
    let second = decrypt(c, 1, &subs, &sum);
    rig.clear();
    [first, second]
}

/// The finding (INFO; goal 6, a sentence): item 6 keeps "per aggregate … the receipts gathered (a stored valid
/// receipt stands when a later reply of its member is lost …)", and `gather_receipts` says a receipt "stored in an
/// earlier attempt of this aggregate still counts for a member that is offline now". The receipts gathered in an
/// attempt that stays below the spend quorum are not kept (`attempt` returns `TooFewKeyHolders` before it touches
/// the memory): members 1, 2 and 3 signed valid receipts in attempt 1, members 3, 4 and 5 in attempt 2 — five valid
/// receipts of the aggregate, w = 4 — and attempt 2 is lost as "3 of 5 members signed". The path interfered in
/// both attempts, so item 6's count holds.
#[test]
fn r33_2_receipts_of_an_attempt_below_the_quorum_still_count() {
    big_stack(|| {
        let rig = Rig::new("rev33-2");
        let mut c = rig.start();
        let [_, second] = split_receipts(&rig, &mut c);
        assert_eq!(
            second
                .expect("five valid receipts across the attempts")
                .receipt_signers,
            [1, 2, 3, 4, 5]
        );
    });
}

/// Positive control of R33-2: attempt 1 stops at `TooFewKeyHolders` with three signers (the path's faults reach
/// the relay) and attempt 2, counting attempt 1's kept receipts, decrypts; the members did sign in attempt 1
/// (their receipts are durable facts: the receipts published are byte-identical to those of attempt 1). When attempt 1
/// reaches the quorum instead (only 5's receipt dropped, then 1's answer dropped: lost with P and four receipts
/// stored), the same attempt 2 (1's and 2's receipt replies dropped) decrypts with signers [1..5]: the stored
/// receipts are what item 6 describes, once the quorum was reached.
#[test]
fn r33_2_control_receipts_of_every_attempt_are_kept() {
    big_stack(|| {
        let rig = Rig::new("rev33-2c");
        let mut c = rig.start();
        let (subs, sum) = clinics(c.key(), 3340);
        let [first, second] = split_receipts(&rig, &mut c);
        // The receipts 1, 2 and 3 signed in attempt 1 (their first replies, recorded before the path acted).
        let signed_first: Vec<Vec<u8>> = (1..=3u8)
            .map(|m| {
                rig.replies(m, RECEIPT)
                    .first()
                    .cloned()
                    .expect("signed in attempt 1")
            })
            .collect();
        assert!(
            matches!(&first, Err(RelayError::TooFewKeyHolders { why, .. }) if why.starts_with("3 of 5")),
            "{first:?}"
        );
        let second = second.expect("attempt 2 counts attempt 1's receipts");
        assert_eq!(second.receipt_signers, [1, 2, 3, 4, 5]);
        assert_eq!(second.receipts[..3], signed_first[..], "durable receipts");
        assert_eq!(rig.entries(&c, 1).len(), 1);
        drop(c);

        let rig = Rig::new("rev33-2c2");
        let mut c = rig.start();
        rig.drop_replies(5, &[RECEIPT]);
        rig.drop_replies(1, &[ANSWER]);
        assert!(
            decrypt(&mut c, 1, &subs, &sum).is_err(),
            "lost to 1's answer"
        );
        assert_eq!(rig.entries(&c, 1)[0].receipts.len(), 4);
        rig.clear();
        for m in [1, 2] {
            rig.drop_replies(m, &[RECEIPT]);
        }
        let done = decrypt(&mut c, 1, &subs, &sum).expect("the stored receipts carry it");
        assert_eq!(done.receipt_signers, [1, 2, 3, 4, 5]);
    });
}

// ----------------------------------------------------------------------------------------------------------
// R33-3: a present set whose write failed is announced on the next attempt without being written.
// ----------------------------------------------------------------------------------------------------------

/// Round 1's aggregate with the relay's memory file unwritable (a directory where `write_atomically` puts its
/// temporary file: `create` fails, also for root): attempt 1 chooses P and cannot write it; attempt 2 follows.
/// Returns whether attempt 1 stopped with `Storage`, whether it asked no member to answer and whether attempt 2
/// decrypted; whether any member was asked to answer by attempt 2; and the present set of round 1 in
/// `committee-relay.json` after attempt 2 (`None`: not written).
fn unwritable_memory(rig: &Rig, c: &mut Committee) -> ([bool; 3], bool, Option<Vec<u8>>) {
    let (subs, sum) = clinics(c.key(), 3360);
    std::fs::create_dir_all(rig.dir.join("committee-relay.tmp")).unwrap();
    let first = decrypt(c, 1, &subs, &sum);
    let storage = matches!(first, Err(RelayError::Memory(_)));
    let asked_first = rig.answer_calls() > 0;
    let second = decrypt(c, 1, &subs, &sum);
    let asked_second = rig.answer_calls() > 0;
    let on_disk = RelayMemory::load(&rig.dir, &c.record().key_id)
        .unwrap()
        .rounds
        .iter()
        .find(|((r, _), _)| *r == 1)
        .and_then(|(_, m)| m.present.clone());
    (
        [storage, !asked_first, second.is_ok()],
        asked_second,
        on_disk,
    )
}

/// The finding (INFO; goal 6, a sentence, under a storage fault outside §1): item 6 says "a present set is written
/// before any member is asked to answer for it". When that write fails, attempt 1 stops with a storage error before
/// any member answers (as the sentence wants), but the present set stays in the relay's memory in RAM, and attempt 2
/// of the same aggregate takes it as "announced" (`earlier`) and asks the members to answer without writing it:
/// the members answer a P that `committee-relay.json` does not hold. A restart after that (disk repaired) chooses P
/// afresh, and if it differs (a liveness reply lost then) the members that answered refuse it, as in R32-2.
#[test]
fn r33_3_a_present_set_is_written_before_members_answer_it() {
    big_stack(|| {
        let rig = Rig::new("rev33-3");
        let mut c = rig.start();
        let (_, asked, on_disk) = unwritable_memory(&rig, &mut c);
        assert!(
            !asked || on_disk.as_deref() == Some(&[1u8, 2, 3, 4][..]),
            "members were asked to answer a present set the file does not hold: {on_disk:?}"
        );
    });
}

/// Positive control of R33-3: the fault reaches the relay — attempt 1 returns `Storage` and asks no member to
/// answer (the write-before-answer rule); attempt 2, with the file still unwritable, stops the same way rather
/// than announcing the unwritten present set. Without the fault the file holds P = {1, 2, 3, 4} after a round 1
/// lost to slot holder 1's dropped answer (the present set is written when it is chosen).
#[test]
fn r33_3_control_an_unwritten_present_set_is_never_announced() {
    big_stack(|| {
        let rig = Rig::new("rev33-3c");
        let mut c = rig.start();
        let (first, asked, on_disk) = unwritable_memory(&rig, &mut c);
        assert_eq!(
            first,
            [true, true, false],
            "attempt 1: Storage, nobody asked to answer; attempt 2 does not decrypt"
        );
        assert!(!asked, "no attempt asks the members");
        assert_eq!(on_disk, None, "no present set on disk");
        drop(c);
        let rig = Rig::new("rev33-3c2");
        let mut c = rig.start();
        lost_first_attempt(&rig, &mut c, 3360);
    });
}

// ----------------------------------------------------------------------------------------------------------
// Attempts that failed (goal 5): requests the members treat as the same aggregate, or as none.
// ----------------------------------------------------------------------------------------------------------

/// Attempt 1: after attempt 1 of the aggregate is lost to the path, the retry gives its submissions reversed and
/// with other proof bytes (what `relay::aggregate_id` leaves out): one memory entry, the stored P = {1, 2, 3, 4}
/// announced, the round decrypts bit-exact, the five stored receipts published, and no member's ledger grows.
/// Positive control: on a fresh copy, the stored present set is removed from `committee-relay.json` before a
/// restart — the same retry gets a fresh P ({2, 3, 4, 5}) and is lost, so the stored P is what carries it.
#[test]
fn r33_attempt_a_retry_in_another_order_with_other_proofs_finds_the_stored_aggregate() {
    big_stack(|| {
        let changed = |subs: &[Submission]| {
            let mut out = subs.to_vec();
            out.reverse();
            for (i, s) in out.iter_mut().enumerate() {
                s.proof = vec![0x5a; 40 + i];
            }
            out
        };
        let rig = Rig::new("rev33-a1");
        let mut c = rig.start();
        let (subs, sum, memo) = lost_first_attempt(&rig, &mut c, 3320);
        let spent_before = rig.spent();
        let done = decrypt(&mut c, 1, &changed(&subs), &sum).expect("the retry decrypts");
        assert_eq!(done.present, [1, 2, 3, 4]);
        assert_eq!(done.receipt_signers, [1, 2, 3, 4, 5]);
        let stored: Vec<Vec<u8>> = memo.receipts.iter().map(|(_, b)| b.clone()).collect();
        assert_eq!(done.receipts, stored);
        assert_eq!(rig.entries(&c, 1).len(), 1, "one entry");
        assert_eq!(rig.spent(), spent_before, "nothing new spent");
        drop(c);

        let rig = Rig::new("rev33-a1c");
        let mut c = rig.start();
        let (subs, sum, _) = lost_first_attempt(&rig, &mut c, 3320);
        let key_id = c.record().key_id;
        drop(c);
        let mut m = RelayMemory::load(&rig.dir, &key_id).unwrap();
        for memo in m.rounds.values_mut() {
            memo.present = None;
        }
        m.save(&rig.dir).unwrap();
        let mut c = rig.start();
        let res = decrypt(&mut c, 1, &changed(&subs), &sum);
        assert!(res.is_err(), "without the stored P the retry is lost");
        let entries = rig.entries(&c, 1);
        assert_eq!(entries[0].present.as_deref(), Some(&[2u8, 3, 4, 5][..]));
    });
}

/// Attempt 2: after attempt 1 of aggregate A = {s0, s1, s2} is lost (P and five receipts stored), the request
/// repeats a ciphertext — (a) s0 given twice, (b) s0's ciphertext again under a fourth clinic id — hoping to share
/// A's entry (its stored receipts would carry the quorum, its P would be asked for an aggregate the members refuse,
/// and the members of P would be demoted). Each is refused before any answer request: an error, A's entry unchanged
/// and no second entry, the standing unchanged, no member's ledger grown. What stops it: `aggregate_id` hashes the
/// count and every submission (a repeat is another id), and the relay's own `check_receipts` builds the aggregate,
/// which refuses a repeated clinic id or c1. Positive control: A's entry is live — the retry of A with every
/// receipt reply dropped decrypts from the stored receipts and P.
#[test]
fn r33_attempt_a_repeated_ciphertext_never_shares_the_stored_aggregate() {
    big_stack(|| {
        let rig = Rig::new("rev33-a2");
        let mut c = rig.start();
        let (subs, sum, memo) = lost_first_attempt(&rig, &mut c, 3330);
        let standing = rig.memory(&c).standing;
        let spent_before = rig.spent();
        let twice: Vec<Submission> = subs.iter().cloned().chain([subs[0].clone()]).collect();
        let mut again = twice.clone();
        again[3].clinic = 103;
        let answered = rig.answer_calls();
        for (what, request) in [("twice", twice), ("another clinic", again)] {
            let res = c.decrypt(1, &request);
            assert_eq!(rig.answer_calls(), answered, "{what}: no answer request");
            assert!(
                matches!(res, Err(RelayError::Committee(_))),
                "{what}: {res:?}"
            );
            assert_eq!(rig.entries(&c, 1), std::slice::from_ref(&memo), "{what}");
            assert_eq!(rig.memory(&c).standing, standing, "{what}");
            assert_eq!(rig.spent(), spent_before, "{what}");
        }
        for m in 1..=5 {
            rig.drop_replies(m, &[RECEIPT]);
        }
        let done = decrypt(&mut c, 1, &subs, &sum).expect("A's retry decrypts from its entry");
        assert_eq!(done.present, [1, 2, 3, 4]);
        assert_eq!(done.receipt_signers, [1, 2, 3, 4, 5]);
    });
}

/// Attempt 3 (goals 4 and 5): a `committee-relay.json` written before R32-2's fix names an aggregate by the old
/// request hash. After attempt 1 of an aggregate is lost (P = {1, 2, 3, 4}, 1 demoted), its entry's digest is
/// rewritten to another 32 bytes (as the old hash is) before a restart. The relay starts (the file is not
/// "damaged"), keeps the old standing (1 is still unreliable: the fresh P of the retry, {2, 3, 4, 5}, leaves it
/// out), never matches the old entry to the aggregate (two entries afterwards, the old one unchanged), and a new
/// round after it decrypts bit-exact — as §36 "After review 32" states (an aggregate in flight across the upgrade is
/// lost, rounds after it are not). Positive control: the file unchanged, the same restart and retry announce the
/// stored P and decrypt, so the rewritten digest is what the relay no longer finds.
#[test]
fn r33_attempt_an_old_format_memory_keeps_its_standing_and_matches_nothing() {
    big_stack(|| {
        for rewrite in [true, false] {
            let rig = Rig::new(if rewrite { "rev33-a3" } else { "rev33-a3c" });
            let mut c = rig.start();
            let (subs, sum, memo) = lost_first_attempt(&rig, &mut c, 3350);
            drop(c);
            if rewrite {
                let path = rig.dir.join(super::relay_memory::MEMORY_FILE);
                let mut v: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                v["rounds"][0]["digest"] = hex::encode([0xab; 32]).into();
                std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
            }
            let mut c = rig.start();
            let standing = rig.memory(&c).standing;
            assert_ne!(standing.unreliable() & bit(1), 0, "the standing is kept");
            let retry = decrypt(&mut c, 1, &subs, &sum);
            if rewrite {
                assert!(retry.is_err(), "the in-flight aggregate is not found");
                let entries = rig.entries(&c, 1);
                assert_eq!(entries.len(), 2);
                assert!(entries.contains(&memo), "the old entry is left as it was");
                assert!(
                    entries
                        .iter()
                        .any(|m| m.present.as_deref() == Some(&[2u8, 3, 4, 5][..]))
                );
                let (subs2, sum2) = clinics(c.key(), 3351);
                decrypt(&mut c, 2, &subs2, &sum2).expect("a later round decrypts");
            } else {
                assert_eq!(retry.expect("decrypts").present, [1, 2, 3, 4]);
            }
        }
    });
}
