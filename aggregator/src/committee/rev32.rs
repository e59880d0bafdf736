//! Review 32 (independent; the reviewer did not write the code): the committee's round path after the fixes of
//! R31-1 (a stored valid receipt stands against an empty or invalid fresh reply, `relay::Committee::
//! gather_receipts`) and R31-2 (a helper whose supplement is combined is restored) — against §16.4 items 5 and 6,
//! §3.2.1, §4.2, §15.3 and §1 of docs/THRESHOLD.md (§36).
//!
//! R32-1 (INFO; goal 6, a false sentence): item 6 says, after R31-1, that "only a member without a valid receipt
//! is published as refusing". A receipt signer whose liveness check (`READY`, asked of every signer before a
//! present set is chosen) is lost — dropped by the path, or withheld — is published among the round's
//! `refusals` ("offline before answering: …") while its valid receipt is published among the `receipt_signers`
//! and `receipts` of the same round, also when it would not have been in P at all.
//!
//! R32-2 (INFO; goals 4 and 6): item 6 keeps "per aggregate" the receipts gathered and the present set announced,
//! so that a retry announces the same P. The relay keys that memory by SHA3 of the request bytes (round and the
//! submissions in the order given, proofs included), while the aggregate members spend and answer once is the
//! canonical set of ciphertexts. The same aggregate asked for with its submissions in another order gets a fresh
//! P from the standing; the members that answered the stored P refuse it, the retry is lost and the relay demotes
//! those honest members with no fault on the path. Not reachable through the coordinator as it stands (its kept
//! submissions come in a stable order).
//!
//! Attempts that failed (goal 5, the stored receipts): a receipt reply replaced by another member's valid receipt
//! of the same aggregate (which a malicious member reads in the answer request) or by the member's own valid
//! receipt of another round's aggregate never replaces the stored receipt nor enters the receipt set; receipts of
//! one aggregate never count for another aggregate of the same round; a retry carried by stored receipts alone
//! makes no member spend anything new.
//!
//! Faults are made outside `Member`: each member's link computes the member's real reply, records it, then a
//! switch the test holds (changed between attempts, kept across a relay restart) replaces the reply to a chosen
//! step (receipt, liveness check, answer) by a refusal, an empty success, or bytes the test chose (a replayed
//! receipt). Positive controls take the relay's own defence away where it can be taken away from outside: the
//! stored receipt is removed from `committee-relay.json` before a restart.
//!
//! After the review (lead): R32-1 is fixed in the spec (item 6 now says a signer found offline before answering is
//! listed among the refusals as such; the live pin became the test of that sentence) and R32-2 in the relay (its
//! memory is keyed by `relay::aggregate_id`, the submissions' ciphertexts in sorted order; the finding test is no
//! longer ignored and its live pin became a control) — THRESHOLD §36 "After review 32".

use super::fixture::{big_stack, clinics};
use super::process::{ANSWER, READY, RECEIPT};
use super::relay::{Committee, Decryption, RelayError};
use super::relay_memory::RelayMemory;
use super::rig::{Fault, Rig, decrypt};

/// The receipts the memory holds for the aggregates of `round` (one entry per aggregate).
fn stored_receipts(rig: &Rig, c: &Committee, round: u64) -> Vec<Vec<(u8, Vec<u8>)>> {
    rig.entries(c, round)
        .into_iter()
        .map(|m| m.receipts)
        .collect()
}

/// The refusal a round publishes for `member`, if any.
fn refusal(res: &Result<Decryption, RelayError>, member: u8) -> Option<String> {
    let list = match res {
        Ok(d) => &d.refusals,
        Err(RelayError::TooFewKeyHolders { refusals, .. }) => refusals,
        Err(_) => return None,
    };
    list.iter()
        .find(|r| r.member == member)
        .map(|r| r.reason.clone())
}

fn holders(receipts: &[(u8, Vec<u8>)]) -> Vec<u8> {
    receipts.iter().map(|(m, _)| *m).collect()
}

// ----------------------------------------------------------------------------------------------------------
// R32-1: a receipt signer is published among the refusals when its liveness check is lost.
// ----------------------------------------------------------------------------------------------------------

/// R32-1 as item 6 now states it (the finding was the sentence, restated after the review): a signer whose
/// liveness check is lost stays among the receipt signers and is listed among the refusals only as "offline
/// before answering" — the round decrypts bit-exact with P = {1, 2, 3, 4}, member 5 among the receipt signers and
/// among the refusals ("offline before answering: …", the path's words cut to 200 bytes); without the fault
/// nobody is published as refusing; with 5's receipt reply lost instead, 5 is a refusal in its own words and no
/// signer (a member without a valid receipt).
#[test]
fn r32_1_a_signer_found_offline_is_listed_as_offline_before_answering() {
    big_stack(|| {
        let rig = Rig::new("rev32-1l");
        let mut c = rig.start();
        let (subs, sum) = clinics(c.key(), 3201);
        rig.set(5, &[(READY, Fault::Refuse("timed out"))]);
        let res = decrypt(&mut c, 1, &subs, &sum);
        let done = res.as_ref().expect("decrypts");
        assert_eq!(done.present, [1, 2, 3, 4]);
        assert_eq!(done.receipt_signers, [1, 2, 3, 4, 5]);
        assert_eq!(done.receipts.len(), 5);
        assert_eq!(
            refusal(&res, 5).as_deref(),
            Some("offline before answering: timed out")
        );
        rig.clear();
        let (subs, sum) = clinics(c.key(), 3202);
        let res = decrypt(&mut c, 2, &subs, &sum);
        assert!(res.as_ref().expect("decrypts").refusals.is_empty());
        rig.set(5, &[(RECEIPT, Fault::Refuse("timed out"))]);
        let (subs, sum) = clinics(c.key(), 3203);
        let res = decrypt(&mut c, 3, &subs, &sum);
        assert_eq!(refusal(&res, 5).as_deref(), Some("timed out"));
        assert_eq!(res.expect("decrypts").receipt_signers, [1, 2, 3, 4]);
    });
}

// ----------------------------------------------------------------------------------------------------------
// R32-2: the memory is kept per request bytes, not per aggregate.
// ----------------------------------------------------------------------------------------------------------

/// Attempt 1 of aggregate A (round 1) is lost to slot holder 1's dropped answer (P = {1, 2, 3, 4} stored, 1
/// demoted); the retry asks for the same aggregate with its submissions in `order`. Returns the retry, the clinics'
/// sum, and whether every member's fresh receipt for the retry is byte-identical to the one stored for A.
fn reordered_retry(
    rig: &Rig,
    c: &mut Committee,
    reverse: bool,
) -> (Result<Decryption, RelayError>, bool) {
    let (mut subs, sum) = clinics(c.key(), 3240);
    rig.set(1, &[(ANSWER, Fault::Refuse("withheld"))]);
    let first = decrypt(c, 1, &subs, &sum);
    assert!(first.is_err(), "lost to slot holder 1's dropped answer");
    let stored = stored_receipts(rig, c, 1).remove(0);
    rig.clear();
    if reverse {
        subs.reverse();
    }
    let retry = decrypt(c, 1, &subs, &sum);
    let same = stored.iter().all(|(m, b)| rig.own_receipt(*m, 1) == *b);
    (retry, same)
}

/// The finding (INFO): item 6 keeps "per aggregate, the receipts gathered … and the present set announced", and a
/// retry "must announce the same P: members answer one present set per aggregate". The relay keys that memory by
/// SHA3 of the request bytes (round ‖ submissions in the order given, proofs included), while the aggregate —
/// what members spend, sign receipts for and answer once — is the canonical set of ciphertexts (β(A) sorts their
/// digests). The same aggregate asked for with its submissions in another order is a new entry: no stored present
/// set, so P is chosen afresh from the standing (1 demoted in attempt 1: P = {2, 3, 4, 5}); members 2 and 3, which
/// answered A under {1, 2, 3, 4}, refuse (`AlreadyDecrypted`), member 5 spends a decryption on a present set
/// nobody else can answer, the retry is lost and 2, 3 and 4 are demoted. Not reachable through the coordinator as it stands (its kept
/// submissions come `ORDER BY rowid`), hence INFO.
#[test]
fn r32_2_a_retry_of_the_same_aggregate_announces_the_same_present_set() {
    big_stack(|| {
        let rig = Rig::new("rev32-2");
        let mut c = rig.start();
        let (retry, _) = reordered_retry(&rig, &mut c, true);
        assert_eq!(
            retry
                .expect("the retry of the same aggregate decrypts")
                .present,
            [1, 2, 3, 4]
        );
    });
}

/// Positive control of R32-2: with the submissions reversed the members return, for the retry, receipts
/// byte-identical to those stored for A (they see one aggregate, so the reordered request does reach them as the
/// same aggregate), and the relay keeps one memory entry for round 1; the same retry in the original order, on a
/// fresh copy, announces the stored P = {1, 2, 3, 4} and decrypts bit-exact (from the members' stored answers).
#[test]
fn r32_2_control_the_members_see_one_aggregate() {
    big_stack(|| {
        let rig = Rig::new("rev32-2l");
        let mut c = rig.start();
        let (retry, same) = reordered_retry(&rig, &mut c, true);
        assert!(same, "the members see the same aggregate");
        assert_eq!(retry.expect("decrypts").present, [1, 2, 3, 4]);
        assert_eq!(stored_receipts(&rig, &c, 1).len(), 1, "one memory entry");
        let rig = Rig::new("rev32-2c");
        let mut c = rig.start();
        let (retry, same) = reordered_retry(&rig, &mut c, false);
        assert!(same);
        assert_eq!(retry.expect("decrypts").present, [1, 2, 3, 4]);
    });
}

// ----------------------------------------------------------------------------------------------------------
// Attempts that failed: the stored receipts (R31-1) against replayed receipts, other aggregates and spending.
// ----------------------------------------------------------------------------------------------------------

/// Attempts 1–3 (goals 2 and 5), on one aggregate whose first attempt is lost to the path (slot holder 1's answer
/// dropped) with all five receipts stored:
///
/// 1. Retry: member 5 (malicious, or the path) answers the receipt request with member 3's valid receipt of this
///    very aggregate (every member reads the receipts in the answer request). The stored receipt of 5 stands: the
///    retry decrypts bit-exact with signers [1..5], the receipt sent and published for 5 is 5's stored one, 5 is
///    not published as refusing and the memory still holds 5's own bytes.
/// 2. Retry: member 5 answers with its own valid receipt of another round's aggregate (round 7, decrypted
///    before): the same.
/// 3. Retry with every receipt reply lost: the stored receipts alone carry it, and no member's spent ledger
///    grows on any retry (members resend their stored answers; nothing new is decrypted).
///
/// Positive control: the stored receipt of 5 removed from `committee-relay.json` before a restart — the replayed
/// receipts now reach `check_receipts` alone and are refused (5 published as refusing, with the check's words,
/// signers [1..4]); the retry still decrypts (the stored present set and four receipts). And the spent ledgers did
/// grow in the first attempt, so the measure is live.
#[test]
fn r32_attempt_replayed_receipts_never_replace_a_stored_one() {
    big_stack(|| {
        let rig = Rig::new("rev32-a1");
        let mut c = rig.start();
        let (subs7, sum7) = clinics(c.key(), 3207);
        decrypt(&mut c, 7, &subs7, &sum7).expect("round 7 decrypts");
        let other_round = rig.own_receipt(5, 7);
        let (subs, sum) = clinics(c.key(), 3210);
        let before = rig.spent();
        rig.set(1, &[(ANSWER, Fault::Refuse("withheld"))]);
        let first = decrypt(&mut c, 1, &subs, &sum);
        assert!(first.is_err(), "lost to slot holder 1's dropped answer");
        let after_first = rig.spent();
        assert!(
            before.iter().zip(&after_first).all(|(b, a)| a > b),
            "every member spent in attempt 1: {before:?} → {after_first:?}"
        );
        let stored = stored_receipts(&rig, &c, 1);
        assert_eq!(stored.len(), 1);
        let stored = stored[0].clone();
        assert_eq!(holders(&stored), [1, 2, 3, 4, 5]);
        let own5 = stored[4].1.clone();
        let of3 = stored[2].1.clone();
        assert_ne!(own5, other_round);
        rig.clear();
        for (what, replay) in [
            ("3's receipt", of3.clone()),
            ("round 7's", other_round.clone()),
        ] {
            rig.set(5, &[(RECEIPT, Fault::Bytes(replay))]);
            let res = decrypt(&mut c, 1, &subs, &sum);
            assert_eq!(refusal(&res, 5), None, "{what}");
            let done = res.expect("the retry decrypts");
            assert_eq!(done.receipt_signers, [1, 2, 3, 4, 5], "{what}");
            assert_eq!(
                done.receipts[4], own5,
                "{what}: 5's own stored receipt is sent"
            );
            assert_eq!(
                stored_receipts(&rig, &c, 1),
                std::slice::from_ref(&stored),
                "{what}: memory unchanged"
            );
        }
        for m in 1..=5 {
            rig.set(m, &[(RECEIPT, Fault::Refuse("timed out"))]);
        }
        let done = decrypt(&mut c, 1, &subs, &sum).expect("stored receipts carry the retry");
        assert_eq!(done.receipt_signers, [1, 2, 3, 4, 5]);
        assert_eq!(rig.spent(), after_first, "nothing new spent by any retry");
        // Positive control: the stored receipt of 5 taken away.
        let key_id = c.record().key_id;
        drop(c);
        let mut mem = RelayMemory::load(&rig.dir, &key_id).unwrap();
        for memo in mem.rounds.values_mut() {
            memo.receipts.retain(|(m, _)| *m != 5);
        }
        mem.save(&rig.dir).unwrap();
        let mut c = rig.start();
        rig.clear();
        for (replay, words) in [
            (
                of3,
                "its spend receipt is refused: a receipt of member 3 sent by member 5",
            ),
            (
                other_round,
                "its spend receipt is refused: a receipt for another round or aggregate",
            ),
        ] {
            rig.set(5, &[(RECEIPT, Fault::Bytes(replay))]);
            let res = decrypt(&mut c, 1, &subs, &sum);
            assert_eq!(refusal(&res, 5).as_deref(), Some(words));
            assert_eq!(res.expect("decrypts").receipt_signers, [1, 2, 3, 4]);
        }
        assert_eq!(rig.spent(), after_first);
    });
}

/// Attempt 5 (goals 2 and 5: receipts of two aggregates of one round). Aggregate A of round 1 is decrypted (its
/// five receipts stored). The coordinator then asks for another aggregate C of round 1 (other clinics): every
/// member refuses to sign it (`RoundSpent`), and A's stored receipts do not count for C — nor do A's receipts
/// replayed by the path as the members' replies for C (each refused as "a receipt for another round or
/// aggregate"): `TooFewKeyHolders` with no signer, no member asked to answer (no ledger grows), no memory entry for
/// C. Positive control: A's stored receipts alone carry a retry of A with every receipt reply lost, so receipts
/// looked up by round (not by aggregate) would have made C's quorum.
#[test]
fn r32_attempt_receipts_of_one_aggregate_never_count_for_another() {
    big_stack(|| {
        let rig = Rig::new("rev32-a4");
        let mut c = rig.start();
        let (subs, sum) = clinics(c.key(), 3220);
        decrypt(&mut c, 1, &subs, &sum).expect("aggregate A decrypts");
        let of_a: Vec<Vec<u8>> = (1..=5).map(|m| rig.own_receipt(m, 1)).collect();
        let spent = rig.spent();
        let (other, other_sum) = clinics(c.key(), 3221);
        let res = decrypt(&mut c, 1, &other, &other_sum);
        let Err(RelayError::TooFewKeyHolders { why, refusals }) = &res else {
            panic!("{res:?}");
        };
        assert!(why.starts_with("0 of 5 members signed"), "{why}");
        assert_eq!(refusals.len(), 5);
        for m in 1..=5u8 {
            rig.set(
                m,
                &[(RECEIPT, Fault::Bytes(of_a[usize::from(m) - 1].clone()))],
            );
        }
        let res = decrypt(&mut c, 1, &other, &other_sum);
        let Err(RelayError::TooFewKeyHolders { why, refusals }) = &res else {
            panic!("{res:?}");
        };
        assert!(why.starts_with("0 of 5 members signed"), "{why}");
        assert!(
            refusals.iter().all(|r| r
                .reason
                .ends_with("a receipt for another round or aggregate")),
            "{refusals:?}"
        );
        assert_eq!(rig.spent(), spent, "no member asked to answer");
        assert_eq!(
            stored_receipts(&rig, &c, 1).len(),
            1,
            "no memory entry for C"
        );
        // Positive control.
        for m in 1..=5u8 {
            rig.set(m, &[(RECEIPT, Fault::Refuse("timed out"))]);
        }
        let done = decrypt(&mut c, 1, &subs, &sum).expect("A's stored receipts carry A");
        assert_eq!(done.receipt_signers, [1, 2, 3, 4, 5]);
    });
}

/// Attempt 4 (goal 5: an empty receipt reply with a stored receipt on a fresh present set). Attempt 1 of an
/// aggregate stops before any present set is announced (three signers' liveness replies lost: two members can
/// answer, t = 3), with all five receipts stored and no present set. The retry chooses P afresh while members 4
/// and 5 answer the receipt request with an empty success: their stored receipts stand (signers [1..5]), the
/// retry decrypts bit-exact with P = {1, 2, 3, 4}, and neither 4 nor 5 is published as refusing. Positive control:
/// attempt 1 publishes the three lost liveness replies and asks no member to answer; the empty replies reach the
/// relay (without stored receipts an empty reply is a refusal, rev31's control).
#[test]
fn r32_attempt_stored_receipts_stand_on_a_fresh_present_set() {
    big_stack(|| {
        let rig = Rig::new("rev32-a5");
        let mut c = rig.start();
        let (subs, sum) = clinics(c.key(), 3230);
        for m in [1, 2, 3] {
            rig.set(m, &[(READY, Fault::Refuse("timed out"))]);
        }
        let first = decrypt(&mut c, 1, &subs, &sum);
        let Err(RelayError::TooFewKeyHolders { why, refusals }) = &first else {
            panic!("{first:?}");
        };
        assert!(why.starts_with("2 members can answer"), "{why}");
        assert_eq!(holders_of(refusals), [1, 2, 3]);
        let memo = rig.memory(&c);
        let memo = memo.rounds.values().next().expect("the aggregate's memo");
        assert_eq!(holders(&memo.receipts), [1, 2, 3, 4, 5]);
        assert_eq!(memo.present, None);
        assert_eq!(rig.answer_calls(), 0, "no member was asked to answer");
        rig.clear();
        rig.set(4, &[(RECEIPT, Fault::Empty)]);
        rig.set(5, &[(RECEIPT, Fault::Empty)]);
        let res = decrypt(&mut c, 1, &subs, &sum);
        assert_eq!(refusal(&res, 4), None);
        assert_eq!(refusal(&res, 5), None);
        let done = res.expect("the retry decrypts");
        assert_eq!(done.receipt_signers, [1, 2, 3, 4, 5]);
        assert_eq!(done.present, [1, 2, 3, 4]);
    });
}

fn holders_of(refusals: &[super::relay::Refusal]) -> Vec<u8> {
    refusals.iter().map(|r| r.member).collect()
}
