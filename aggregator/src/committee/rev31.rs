//! Review 31 (independent; the reviewer did not write the code): the committee's round path after the fix of
//! R30-1 (an empty reply is silence for a slot holder and a missing supplement for a helper) — against §16.4
//! items 5 and 6, §3.2.1, §4.2, §15.3 and §1 of docs/THRESHOLD.md (§35).
//!
//! R31-1 (LOW; goals 3 and 4): the relay's memory keeps, per aggregate, the spend receipts gathered as "durable
//! facts of the members" that "still count for a member that is offline now", and a retry keeps a stored receipt
//! when the member's receipt reply is lost (`Err`). A *success* reply that is not a valid receipt — an empty
//! success (`0` alone) or a receipt the path changed — is treated worse than the lost reply: `attempt` replaces
//! the stored valid receipt by the reply, `check_receipts` refuses it, the stored receipt is erased from
//! `committee-relay.json`, and the round publishes the member among its `refusals` ("its spend receipt is
//! refused: …") although the relay held that member's valid receipt for this very aggregate. The same
//! inconsistency R30-1 fixed for answers (empty success handled unlike `Err`), here for receipts.
//!
//! R31-2 (INFO; goal 5): item 6 says "a later valid answer that is combined restores an unreliable member", but
//! `learn_combined` restores only members of P neither excluded nor silent: on the retry of an aggregate (a kept
//! present set), a demoted helper whose regular answer the path emptied (slotless: left out) has its supplement
//! combined and the round decrypts, yet it stays unreliable.
//!
//! Faults are made outside `Member`: each member's link computes the member's real reply, then a switch the test
//! holds (changed between attempts, kept across a relay restart) replaces the reply to a chosen step by an empty
//! success, a refusal, or the same bytes with one byte flipped (a change made on the path).
//!
//! After the review (lead): R31-1 and R31-2 are fixed (THRESHOLD §35 "After review 31"); the finding tests are no
//! longer ignored and the controls no longer pin the behaviour as found.

use super::fixture::{big_stack, clinics, published, returned};
use super::process::{ANSWER, RECEIPT, SUPPLEMENT};
use super::relay::{Committee, Decryption, RelayError};
use super::rig::{Fault, Rig, decrypt};
use super::standing::Standing;
use zkfl_core::threshold::slots::{Members, bit};

/// A refusal or a lost reply.
const REFUSED: Fault = Fault::Refuse("withheld");

/// Demotions so far (the standing's own clock, read through its stored form).
fn demotions(s: &Standing) -> u64 {
    serde_json::to_value(s).unwrap()["demotions"]
        .as_u64()
        .unwrap_or(0)
}

fn members(m: Members) -> Vec<u8> {
    (1..=5u8).filter(|&i| m & bit(i) != 0).collect()
}

/// The text a round publishes when the relay is blamed (`CommitteeError::Relay`'s Display).
const RELAY_BLAMED: &str = "the relay is to blame";

fn stored_receipt_holders(rig: &Rig, c: &Committee) -> Vec<u8> {
    let mem = rig.memory(c);
    let memo = mem.rounds.values().next().expect("the aggregate's memo");
    memo.receipts.iter().map(|(m, _)| *m).collect()
}

// ----------------------------------------------------------------------------------------------------------
// R31-1: a success reply that is not a valid receipt erases the stored valid receipt.
// ----------------------------------------------------------------------------------------------------------

/// What a retry of one aggregate shows when the receipt replies of `faulted` are `fault` on the retry: the
/// members whose receipts the memory holds after attempt 1 and after the retry, and the retry's result. Attempt 1
/// is lost to the path (slot holder 1's answer dropped), every member having signed a receipt.
fn receipt_retry(
    label: &str,
    faulted: &[u8],
    fault: Fault,
) -> (Vec<u8>, Vec<u8>, Result<Decryption, RelayError>) {
    let rig = Rig::new(label);
    let mut c = rig.start();
    let (subs, sum) = clinics(c.key(), 3100);
    rig.set(1, &[(ANSWER, REFUSED)]);
    let first = decrypt(&mut c, 1, &subs, &sum);
    assert!(
        published(&first).contains("holding slots did not answer (member 1)"),
        "{}",
        published(&first)
    );
    let after_first = stored_receipt_holders(&rig, &c);
    rig.set(1, &[]);
    for &m in faulted {
        rig.set(m, &[(RECEIPT, fault.clone())]);
    }
    let retry = decrypt(&mut c, 1, &subs, &sum);
    let after_retry = stored_receipt_holders(&rig, &c);
    (after_first, after_retry, retry)
}

/// Whether a round's result publishes `member` among the members that refused a receipt.
fn refused(res: &Result<Decryption, RelayError>, member: u8) -> bool {
    match res {
        Ok(d) => d.refusals.iter().any(|r| r.member == member),
        Err(RelayError::TooFewKeyHolders { refusals, .. }) => {
            refusals.iter().any(|r| r.member == member)
        }
        Err(_) => false,
    }
}

/// The finding (LOW): on a retry, member 5's receipt reply replaced by an empty success — or changed by the path —
/// must not erase the valid receipt of member 5 the relay already holds for this aggregate, nor publish member 5
/// as a member whose receipt is refused; and the receipt replies of members 4 and 5 both emptied must not stop a
/// retry that the stored receipts carry when the same replies are lost (`Err`, control below): an empty or
/// changed success is no more evidence than a lost reply.
#[test]
fn r31_1_an_invalid_receipt_reply_keeps_the_stored_receipt() {
    big_stack(|| {
        let mut wrong = Vec::new();
        for (label, fault) in [("rev31-1e", Fault::Empty), ("rev31-1f", Fault::Flip)] {
            let (first, retry, res) = receipt_retry(label, &[5], fault.clone());
            assert_eq!(first, [1, 2, 3, 4, 5]);
            let signers = res.as_ref().map(|d| d.receipt_signers.clone()).ok();
            if retry != [1, 2, 3, 4, 5] || signers.as_deref() != Some(&[1, 2, 3, 4, 5]) {
                wrong.push(format!("{fault:?}: memory {retry:?}, signers {signers:?}"));
            }
            if refused(&res, 5) {
                wrong.push(format!("{fault:?}: member 5 published as refused"));
            }
        }
        let (_, _, res) = receipt_retry("rev31-1t", &[4, 5], Fault::Empty);
        if res.is_err() {
            wrong.push(format!(
                "two empty receipts stop the retry: {}",
                published(&res)
            ));
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    });
}

/// Positive control of R31-1: the faults reach the relay (attempt 1 is lost to slot holder 1's dropped answer
/// with every receipt stored); lost receipt replies (`Err`) on the retry keep the stored receipts (the memory's
/// rule works: the retry decrypts with all five signers, also with 4 and 5 both lost); and an empty receipt reply
/// where the relay holds no receipt of the member (the aggregate's first attempt) leaves it out of the signers and
/// publishes it as refused, so the fix keeps only what was already held.
#[test]
fn r31_1_control_a_lost_receipt_reply_keeps_the_stored_receipt() {
    big_stack(|| {
        let (first, retry, res) = receipt_retry("rev31-1c", &[5], REFUSED);
        assert_eq!(first, [1, 2, 3, 4, 5]);
        assert_eq!(retry, [1, 2, 3, 4, 5]);
        assert!(!refused(&res, 5));
        assert_eq!(res.expect("decrypts").receipt_signers, [1, 2, 3, 4, 5]);
        let (_, retry, res) = receipt_retry("rev31-1c2", &[4, 5], REFUSED);
        assert_eq!(retry, [1, 2, 3, 4, 5]);
        assert_eq!(res.expect("decrypts").receipt_signers, [1, 2, 3, 4, 5]);
        let rig = Rig::new("rev31-1l");
        let mut c = rig.start();
        let (subs, sum) = clinics(c.key(), 3105);
        rig.set(5, &[(RECEIPT, Fault::Empty)]);
        let res = decrypt(&mut c, 1, &subs, &sum);
        assert!(refused(&res, 5), "the empty reply reaches the relay");
        assert_eq!(res.expect("decrypts").receipt_signers, [1, 2, 3, 4]);
        assert_eq!(stored_receipt_holders(&rig, &c), [1, 2, 3, 4]);
    });
}

// ----------------------------------------------------------------------------------------------------------
// Attempts that failed.
// ----------------------------------------------------------------------------------------------------------

/// Round 1 over a fresh rig with `cheaters` and `faults` (member, step, fault), then round 2 with every link honest
/// over the stored memory after a relay restart: both results and the standing stored after round 1.
fn two_rounds(
    label: &str,
    cheaters: &[u8],
    faults: &[(u8, u8, Fault)],
) -> (
    Result<Decryption, RelayError>,
    Standing,
    Result<Decryption, RelayError>,
) {
    let rig = Rig::with_cheaters(label, cheaters);
    let mut c = rig.start();
    for (m, op, f) in faults {
        rig.add(*m, *op, f.clone());
    }
    let (subs, sum) = clinics(c.key(), 3110);
    let first = decrypt(&mut c, 1, &subs, &sum);
    let standing = rig.memory(&c).standing;
    drop(c);
    for m in 1..=5 {
        rig.set(m, &[]);
    }
    let mut c = rig.start();
    let (subs, sum) = clinics(c.key(), 3111);
    let second = decrypt(&mut c, 2, &subs, &sum);
    (first, standing, second)
}

/// Attempt 1 (goals 1, 3, 4: an empty reply with a cheater). Member 2 cheats (malicious) and the path empties
/// slot holder 3's answer: the round is lost, returns exactly [2], distrusts 2 alone, demotes 3 alone in one
/// demotion, publishes 3's silence (never "the relay is to blame"), and the next round (after a restart)
/// decrypts bit-exact without 2 or 3 as spare. Controls: without the empty reply the same cheater is repaired by
/// its helpers and round 1 decrypts bit-exact (so the empty reply is what stopped it); 3's reply lost (`Err`)
/// gives the same report and standing.
#[test]
fn r31_attempt_an_empty_answer_with_a_cheater() {
    big_stack(|| {
        for (label, fault) in [("rev31-a1e", Fault::Empty), ("rev31-a1r", REFUSED)] {
            let (first, s, second) = two_rounds(label, &[2], &[(3, ANSWER, fault.clone())]);
            let text = published(&first);
            assert!(first.is_err(), "{fault:?}");
            assert_eq!(returned(&first), Some(vec![2]), "{fault:?}: {text}");
            assert!(
                text.contains("holding slots did not answer (member 3)"),
                "{text}"
            );
            assert!(!text.contains(RELAY_BLAMED), "{text}");
            assert_eq!(s.distrusted(), bit(2), "{fault:?}");
            assert_eq!(s.unreliable(), bit(3), "{fault:?}");
            assert_eq!(demotions(&s), 1, "{fault:?}");
            let done = second.expect("the next round decrypts");
            assert!(!done.present.contains(&2), "{:?}", done.present);
        }
        let (control, s, _) = two_rounds("rev31-a1c", &[2], &[]);
        let done = control.expect("control: the cheater alone is repaired");
        assert_eq!(done.exclusions.len(), 1);
        assert_eq!(sorted(&done.supplements), [(3, 2), (4, 2)]);
        assert_eq!(s.distrusted(), bit(2));
    });
}

/// Attempt 2 (goals 3, 4: a missing supplement with a changed one). Member 2 cheats; the path empties helper 3's
/// supplement and flips a byte of helper 4's: the round returns [2], names 3 as not having supplemented 2 (not 4,
/// whose supplement is the path's change), distrusts 2 alone and demotes 3 and 4 in one demotion; the next round
/// decrypts. Control: the flip alone reaches the combiner (its text says the supplement was changed on the path).
#[test]
fn r31_attempt_an_empty_supplement_with_a_changed_one() {
    big_stack(|| {
        let (first, s, second) = two_rounds(
            "rev31-a2",
            &[2],
            &[(3, SUPPLEMENT, Fault::Empty), (4, SUPPLEMENT, Fault::Flip)],
        );
        let text = published(&first);
        assert_eq!(returned(&first), Some(vec![2]), "{text}");
        assert!(
            text.contains("member 3 could not supplement excluded member 2"),
            "{text}"
        );
        assert!(!text.contains("member 4 could not supplement"), "{text}");
        assert!(
            text.contains("the supplementary answer of member 4"),
            "{text}"
        );
        assert_eq!(s.distrusted(), bit(2));
        assert_eq!(members(s.unreliable()), [3, 4]);
        assert_eq!(demotions(&s), 1, "one demotion for the attempt");
        second.expect("the next round decrypts");
        let (flip, s, _) = two_rounds("rev31-a2c", &[2], &[(4, SUPPLEMENT, Fault::Flip)]);
        let text = published(&flip);
        assert!(
            text.contains("the supplementary answer of member 4"),
            "{text}"
        );
        assert_eq!(members(s.unreliable()), [4]);
    });
}

/// Attempt 3 (goals 1, 2: an empty reply from a slotless member that is also a helper). P = {1, 2, 3, 4}; member 4
/// holds no slot under P but helps cheater 2. The path empties 4's regular answer: 4 is left out (unanswered), 2
/// excluded, and 4's supplement still repairs 2's slots — the round decrypts bit-exact within the share-set bound
/// (kept {1, 3} + supplements of 3 and 4 = 4 ≤ 5), 4 neither excluded nor demoted. Control: without the empty
/// reply the round decrypts too, with 4 among the kept answers (5 share sets).
#[test]
fn r31_attempt_an_empty_answer_from_a_slotless_helper() {
    big_stack(|| {
        let (first, s, _) = two_rounds("rev31-a3", &[2], &[(4, ANSWER, Fault::Empty)]);
        let done = first.expect("decrypts bit-exact");
        assert_eq!(done.present, [1, 2, 3, 4]);
        assert_eq!(done.unanswered, [4]);
        assert_eq!(sorted(&done.supplements), [(3, 2), (4, 2)]);
        assert_eq!(returned(&Ok(done)), Some(vec![2]));
        assert_eq!(s.distrusted(), bit(2));
        assert_eq!(s.unreliable(), 0);
        let (control, _, _) = two_rounds("rev31-a3c", &[2], &[]);
        assert!(control.expect("control decrypts").unanswered.is_empty());
    });
}

/// Attempt 4 (goal 4: a restart between attempts). Member 1 (malicious, a slot holder) answers with an empty
/// success in round 1: lost, 1 unreliable in the stored memory; after a restart round 2 is not given 1 (P = {2, 3,
/// 4, 5}) and decrypts while 1 still answers empty. Positive control: the same restart with the standing forgotten
/// (`forget_standing`, the relay before reviews 18–19) puts 1 back in P and loses round 2 too.
#[test]
fn r31_attempt_a_restart_does_not_help_a_silent_member() {
    big_stack(|| {
        for forget in [false, true] {
            let rig = Rig::new(if forget { "rev31-a4c" } else { "rev31-a4" });
            rig.set(1, &[(ANSWER, Fault::Empty)]);
            let mut c = rig.start();
            let (subs, sum) = clinics(c.key(), 3120);
            let first = decrypt(&mut c, 1, &subs, &sum);
            assert!(
                published(&first).contains("holding slots did not answer (member 1)"),
                "{}",
                published(&first)
            );
            drop(c);
            let mut c = rig.start();
            assert_eq!(c_standing(&rig, &c).unreliable(), bit(1));
            if forget {
                c.forget_standing();
            }
            let (subs, sum) = clinics(c.key(), 3121);
            let second = decrypt(&mut c, 2, &subs, &sum);
            if forget {
                assert!(second.is_err(), "control: 1 chosen again, round 2 lost");
            } else {
                assert_eq!(second.expect("round 2 decrypts").present, [2, 3, 4, 5]);
            }
        }
    });
}

fn c_standing(rig: &Rig, c: &Committee) -> Standing {
    rig.memory(c).standing
}

/// Attempt 5 (goals 3, 4: an empty answer with a changed answer, the path alone). Slot holder 1's answer emptied
/// and slot holder 2's flipped: nobody is distrusted or returned as excluded, 1 and 2 are demoted in one
/// demotion, the text says 1 did not answer and 2's answer failed its signature, and the retry of the same
/// aggregate announces the same P (members answer one present set per aggregate) and decrypts once the path
/// leaves it alone. Control: a flipped answer alone is reported as the path's (the flip reaches the combiner).
#[test]
fn r31_attempt_an_empty_answer_with_a_changed_answer_and_a_retry() {
    big_stack(|| {
        let rig = Rig::new("rev31-a5");
        rig.set(1, &[(ANSWER, Fault::Empty)]);
        rig.set(2, &[(ANSWER, Fault::Flip)]);
        let mut c = rig.start();
        let (subs, sum) = clinics(c.key(), 3130);
        let first = decrypt(&mut c, 1, &subs, &sum);
        let text = published(&first);
        assert_eq!(returned(&first), None, "{text}");
        assert!(
            text.contains("holding slots did not answer (member 1)"),
            "{text}"
        );
        assert!(text.contains("the answer of member 2"), "{text}");
        let s = rig.memory(&c).standing;
        assert_eq!(s.distrusted(), 0);
        assert_eq!(members(s.unreliable()), [1, 2]);
        assert_eq!(demotions(&s), 1);
        drop(c);
        rig.set(1, &[]);
        rig.set(2, &[]);
        let mut c = rig.start();
        let done = decrypt(&mut c, 1, &subs, &sum).expect("the retry decrypts");
        assert_eq!(done.present, [1, 2, 3, 4], "the same present set");
        let s = rig.memory(&c).standing;
        assert_eq!(s.unreliable(), 0, "restored by their combined answers");
        let (flip, s, _) = two_rounds("rev31-a5c", &[], &[(2, ANSWER, Fault::Flip)]);
        assert!(
            published(&flip).contains("the answer of member 2"),
            "{}",
            published(&flip)
        );
        assert_eq!(s.unreliable(), bit(2));
    });
}

fn sorted(pairs: &[(u8, u8)]) -> Vec<(u8, u8)> {
    let mut v = pairs.to_vec();
    v.sort_unstable();
    v
}

// ----------------------------------------------------------------------------------------------------------
// R31-2: a demoted helper whose supplement is combined stays unreliable when its regular answer was silent.
// ----------------------------------------------------------------------------------------------------------

/// Attempt 1 of aggregate 1 (member 2 cheating, P = {1, 2, 3, 4}) loses helper 4's supplement to the path (an
/// empty success), so 4 is demoted; the retry of the same aggregate (same P) runs with `retry_fault` on 4's regular
/// answer. Returns the retry's result and the standing after it.
fn helper_retry(
    label: &str,
    retry_fault: Option<Fault>,
) -> (Result<Decryption, RelayError>, Standing) {
    let rig = Rig::with_cheaters(label, &[2]);
    let mut c = rig.start();
    let (subs, sum) = clinics(c.key(), 3140);
    rig.set(4, &[(SUPPLEMENT, Fault::Empty)]);
    let first = decrypt(&mut c, 1, &subs, &sum);
    assert!(
        published(&first).contains("member 4 could not supplement excluded member 2"),
        "{}",
        published(&first)
    );
    assert_eq!(rig.memory(&c).standing.unreliable(), bit(4));
    rig.set(
        4,
        &retry_fault.map(|f| vec![(ANSWER, f)]).unwrap_or_default(),
    );
    let retry = decrypt(&mut c, 1, &subs, &sum);
    let s = rig.memory(&c).standing;
    (retry, s)
}

/// The finding (INFO): item 6 says "a later valid answer that is combined restores an unreliable member". On the
/// retry the path empties slotless member 4's regular answer; 4's supplement for 2 — its valid signed answer — is
/// combined and the round decrypts, but 4 stays unreliable: `learn_combined` restores only members of P not left
/// out, and 4 is among the `silent`.
#[test]
fn r31_2_a_combined_supplement_restores_its_helper() {
    big_stack(|| {
        let (retry, s) = helper_retry("rev31-2", Some(Fault::Empty));
        let done = retry.expect("the retry decrypts");
        assert!(done.supplements.contains(&(4, 2)));
        assert_eq!(s.unreliable(), 0, "4's combined supplement restores it");
    });
}

/// Positive control of R31-2: the retry with 4's regular answer delivered restores 4 (restoration works); with it
/// emptied the fault reaches the relay — the retry decrypts bit-exact with 4's supplement combined and 4 left out
/// as unanswered — and only cheater 2 is distrusted.
#[test]
fn r31_2_control_a_delivered_answer_restores_the_helper() {
    big_stack(|| {
        let (retry, s) = helper_retry("rev31-2c", None);
        assert!(retry.expect("decrypts").supplements.contains(&(4, 2)));
        assert_eq!(s.unreliable(), 0);
        let (retry, s) = helper_retry("rev31-2l", Some(Fault::Empty));
        let done = retry.expect("decrypts");
        assert!(done.supplements.contains(&(4, 2)));
        assert_eq!(done.unanswered, [4]);
        assert_eq!(s.distrusted(), bit(2));
    });
}
