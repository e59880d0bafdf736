//! Review 21 (independent; the reviewer did not write the code): the fixes after review 20 to the relay
//! (`relay::Committee::{decrypt, attempt, combine}`, `Standing::choose` filling P to t + 1 with unreliable
//! members, receipts checked before counting, the `max_answer` cap; docs/THRESHOLD.md §16.4 item 6, §24, §25).
//!
//! Every attack runs `relay::Committee::decrypt` itself over in-process member links with real set-L share
//! proofs (as `committee::rev20` does); faults are made outside `Member`: a path that changes one byte of a
//! member's signed answer, and a corrupt member that signs its spend receipt and then withholds its answer (what
//! an HTTP member that drops the request does). A live break asserts what the spec promises and is `#[ignore]`d
//! with its finding id; a failed attempt asserts the refusal and carries a positive control.

use std::path::Path;

use zkfl_core::threshold::wire::HEADER_BYTES;

use super::fixture::{
    DESIGN, big_stack, ceremony, clinics, copy_of, lost_to_silence, open, roster,
};
use super::link::MemberLink;
use super::member::Member;
use super::process::{ANSWER, RECEIPT, parse_reply, reply};
use super::relay::{Committee, Decryption, RelayError, on_big_stack};

/// What one member, or the path to it, does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    Honest,
    /// The path flips one byte of the member's signed answer in this round (a lost or damaged reply: what an
    /// HTTP timeout or a proxy does once; nothing else).
    GarbleIn(u64),
    /// A corrupt member: signs its spend receipt every round (it is a signer, so it can be chosen for P), but
    /// from this round on refuses every answer request (it never signs a failing answer, so it is never
    /// distrusted, only demoted).
    WithholdFrom(u64),
    /// A corrupt member: from round 2 on it returns, as its spend receipt, the valid receipt it signed for
    /// round 1 (its own key, its own member id, another round and aggregate).
    ReplayReceipt,
    /// The member (or the path to it) drops its answer to the first request of this round only (a timeout); a
    /// retry gets its answer.
    WithholdOnceIn(u64),
}

/// A member in this process with the fault `act` applied to its replies.
struct Local {
    member: Member,
    act: Act,
    /// The first spend receipt this member signed (for `ReplayReceipt`).
    first_receipt: Option<Vec<u8>>,
    /// Whether a `WithholdOnceIn` has fired.
    fired: bool,
}

impl MemberLink for Local {
    fn call(&mut self, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        let round = (op == ANSWER)
            .then(|| {
                body.get(..8)
                    .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
            })
            .flatten();
        if let (Act::WithholdFrom(from), Some(r)) = (self.act, round)
            && r >= from
        {
            return Err("connection closed (the member withholds its answer)".into());
        }
        if let (Act::WithholdOnceIn(at), Some(r)) = (self.act, round)
            && r == at
            && !self.fired
        {
            self.fired = true;
            return Err("connection closed (the member withholds its answer)".into());
        }
        let mut req = vec![op];
        req.extend_from_slice(body);
        let member = &mut self.member;
        let out = parse_reply(&on_big_stack(|| reply(member, &req)))?;
        match self.act {
            Act::GarbleIn(r) if round == Some(r) => {
                let mut b = out;
                b[HEADER_BYTES + 50] ^= 1;
                Ok(b)
            }
            Act::ReplayReceipt if op == RECEIPT => {
                Ok(self.first_receipt.get_or_insert(out).clone())
            }
            _ => Ok(out),
        }
    }
}

/// The relay started over member i at `acts[i − 1]`, on the state in `d`.
fn start(d: &Path, acts: [Act; 5]) -> Committee {
    let r = roster();
    let links = (1..=5u8)
        .map(|i| {
            Some(Box::new(Local {
                member: open(d, &r, i),
                act: acts[usize::from(i) - 1],
                first_receipt: None,
                fired: false,
            }) as Box<dyn MemberLink>)
        })
        .collect();
    let mut c = Committee::start(r, DESIGN, links, d).unwrap();
    c.admit_unverified();
    c
}

/// Decrypts `round` (its clinics fixed by the round number), checked bit-exact against the plaintext sum.
fn round(c: &mut Committee, round: u64) -> Result<Decryption, RelayError> {
    let (subs, sum) = clinics(c.key(), 2100 + round);
    let res = c.decrypt(round, &subs);
    if let Ok(done) = &res {
        assert_eq!(done.chunks[0].to_vec(), sum, "round {round} bit-exact");
    }
    res
}

/// `rounds` rounds with member i at `acts[i − 1]`; after round `restart_after` (0: never) the aggregator restarts (the
/// relay is started again on its data directory, as a crashed or redeployed aggregator is).
fn run(
    label: &str,
    acts: [Act; 5],
    rounds: u64,
    restart_after: u64,
) -> Vec<Result<Decryption, RelayError>> {
    let d = copy_of(ceremony(), label);
    let mut c = start(&d, acts);
    let mut out = Vec::new();
    for r in 1..=rounds {
        out.push(round(&mut c, r));
        if r == restart_after {
            drop(c);
            c = start(&d, acts);
        }
    }
    drop(c);
    let _ = std::fs::remove_dir_all(&d);
    out
}

fn present(r: &Result<Decryption, RelayError>) -> Option<Vec<u8>> {
    r.as_ref().ok().map(|d| d.present.clone())
}

/// R21-1: one withholding member stops every round after one earlier lost reply of an honest member.
///
/// The path damages honest member 3's signed answer once, in round 1 (the round is lost, as the path can always
/// do; `unsigned_answers` names 3, which is demoted, §16.4 item 6). From round 2 on member 2 — a corrupt member
/// that signs its receipt but withholds its answer — is in P = {1, 2, 4, 5} holding slots: round 2 is lost and
/// 2 demoted (its one round). Now the members in good standing are {1, 4, 5} = t, and `Standing::choose` fills
/// P to t + 1 with the *lowest* unreliable member (review 20's fix R20-1 (b)): member 2 again, never honest
/// member 3. Member 2 withholds again, is demoted again (no change), and every later round takes the same
/// P = {1, 2, 4, 5} and is lost, with members 1, 3, 4, 5 online and honest; the standing is durable, so an
/// aggregator restart does not help. Before R20-1 (b) P would have been {1, 4, 5} and the round would decrypt.
/// §1 and §16.4 item 6 promise that the withholder costs at most one round: round 3 must decrypt without it.
#[test]
fn r21_1_a_withholding_member_costs_at_most_one_round_after_an_honest_member_was_demoted() {
    big_stack(|| {
        let acts = [
            Act::Honest,
            Act::WithholdFrom(2),
            Act::GarbleIn(1),
            Act::Honest,
            Act::Honest,
        ];
        let rounds = run("r21-1", acts, 4, 3);
        assert!(
            matches!(
                &rounds[0],
                Err(RelayError::Committee(super::CommitteeError::Relay(_)))
            ),
            "round 1: the path's change: {:?}",
            rounds[0].as_ref().err()
        );
        assert!(
            lost_to_silence(&rounds[1], 2),
            "round 2: member 2's one round: {:?}",
            rounds[1].as_ref().err()
        );
        for (i, r) in rounds.iter().enumerate().skip(2) {
            let done = r.as_ref().unwrap_or_else(|e| {
                panic!("round {}: lost again to withholding member 2: {e}", i + 1)
            });
            assert!(!done.present.contains(&2), "{:?}", done.present);
        }
    });
}

/// Control of R21-1: the same two faults with the members' numbers swapped (the path damages honest member 2's
/// answer in round 1, member 3 withholds from round 2). Now the lowest unreliable member is the honest one:
/// round 3's P = {1, 2, 4, 5} decrypts bit-exact, restores member 2, and round 4 (after a restart) decrypts with
/// the same P — the withholder costs exactly one round. So what R21-1 exploits is only the order in which
/// `Standing::choose` takes unreliable members (lowest first, never rotating, a repeated demotion changing
/// nothing).
#[test]
fn r21_1_control_a_withholder_above_the_demoted_honest_member_costs_one_round() {
    big_stack(|| {
        let acts = [
            Act::Honest,
            Act::GarbleIn(1),
            Act::WithholdFrom(2),
            Act::Honest,
            Act::Honest,
        ];
        let rounds = run("r21-1-control", acts, 4, 3);
        assert!(
            matches!(
                &rounds[0],
                Err(RelayError::Committee(super::CommitteeError::Relay(_)))
            ),
            "round 1: {:?}",
            rounds[0].as_ref().err()
        );
        assert_eq!(
            rounds[1].as_ref().err().map(|_| ()),
            Some(()),
            "round 2 is the withholder's"
        );
        assert!(
            lost_to_silence(&rounds[1], 3),
            "{:?}",
            rounds[1].as_ref().err()
        );
        // Since R21-1's fix an unreliable member is never the spare: P = the three in good standing.
        assert_eq!(
            present(&rounds[2]),
            Some(vec![1, 4, 5]),
            "{:?}",
            rounds[2].as_ref().err()
        );
        assert_eq!(
            present(&rounds[3]),
            Some(vec![1, 4, 5]),
            "{:?}",
            rounds[3].as_ref().err()
        );
    });
}

/// Attempt (failed): a receipt that passes the relay's check but fails the members' (review 20's R20-3 route with
/// a well-formed, well-signed receipt). Member 1 — the lowest, so P's first member if it counted as a signer —
/// returns in round 2 the receipt it really signed for round 1: decoded, its own id, a valid signature under its
/// roster key, only for another round and aggregate. What stops it: `Combination::check_receipt` checks the
/// round and β(A) the members check (`Member::decode_request`, then `spend::check_receipts` for the
/// signatures, distinct signers and the quorum; the relay's list has one receipt per member by construction and
/// additionally refuses a receipt of another member than its sender). Member 1 is refused with the round and is
/// not a signer, P = {2, 3, 4, 5}, and the round decrypts bit-exact from four receipts (still w). Positive
/// control: round 1, where the same receipt is current, counts member 1 and P = {1, 2, 3, 4}; the relay without
/// the check is review 20's R20-3 (every honest member refuses a request carrying a bad receipt: `rev20`).
#[test]
fn r21_attempt_a_replayed_receipt_is_refused_by_the_relay_as_by_the_members() {
    big_stack(|| {
        let acts = [
            Act::ReplayReceipt,
            Act::Honest,
            Act::Honest,
            Act::Honest,
            Act::Honest,
        ];
        let rounds = run("r21-receipt", acts, 3, 0);
        let first = rounds[0].as_ref().unwrap();
        assert_eq!(first.receipt_signers, [1, 2, 3, 4, 5]);
        assert_eq!(first.present, [1, 2, 3, 4]);
        for (i, r) in rounds.iter().enumerate().skip(1) {
            let done = r
                .as_ref()
                .unwrap_or_else(|e| panic!("round {}: {e}", i + 1));
            assert_eq!(done.receipt_signers, [2, 3, 4, 5]);
            assert_eq!(done.present, [2, 3, 4, 5]);
            assert!(
                done.refusals.iter().any(|f| f.member == 1
                    && f.reason
                        .contains("a receipt for another round or aggregate")),
                "{:?}",
                done.refusals
            );
        }
    });
}

/// R21-2 (LOW, a precondition outside the threat model's attackers): the relay's memory forgets the present set
/// of an aggregate as soon as it is written when round numbers restart below the newest remembered round.
/// `RelayMemory::save` keeps only aggregates within `ROUNDS_KEPT` of the *highest* round number it holds, and
/// the memory file carries no epoch, roster, design or coordinator-store identity (the ceremony file does); the
/// coordinator numbers rounds from 1 in an empty store (`coordinator::lifecycle`). So a new key epoch run with a
/// fresh coordinator store in a data directory that keeps `committee-relay.json` starts below the memory's
/// newest round (in one epoch the members' `RoundSpent` would stop a reused round number first). Here round 1000
/// was decrypted earlier (the kept memory's newest round; one epoch stands in for two); round 1's first attempt loses member 2's answer once (a timeout: 2 demoted, as specified),
/// but its present set was dropped from the memory at the save that was to make it durable, so the retry of the
/// same aggregate announces a fresh P = {1, 3, 4, 5}; members 1, 3, 4 answered under {1, 2, 3, 4} and refuse
/// (`Member::one_present_set`), they are demoted as slot holders without an answer, and the aggregate is lost.
/// No member answers under two present sets (that check holds); the damage is the aggregate and three honest
/// members' standing. Promise (§16.4 item 6): a retry announces the same P. Control (not ignored): without the
/// earlier round 1000 the retry keeps P = {1, 2, 3, 4} and decrypts bit-exact.
#[test]
fn r21_2_a_retry_announces_the_same_present_set_after_round_numbers_restart() {
    big_stack(|| assert_eq!(retry_after(true), Ok(vec![1, 2, 3, 4])));
}

#[test]
fn r21_2_control_a_retry_announces_the_same_present_set() {
    big_stack(|| assert_eq!(retry_after(false), Ok(vec![1, 2, 3, 4])));
}

/// Round 1 with member 2's first answer lost, retried; `high_round_first`: round 1000 was decrypted before.
/// The retry's present set, or its error in words.
fn retry_after(high_round_first: bool) -> Result<Vec<u8>, String> {
    let label = if high_round_first {
        "r21-2"
    } else {
        "r21-2-control"
    };
    let d = copy_of(ceremony(), label);
    let acts = [
        Act::Honest,
        Act::WithholdOnceIn(1),
        Act::Honest,
        Act::Honest,
        Act::Honest,
    ];
    let mut c = start(&d, acts);
    if high_round_first {
        assert_eq!(present(&round(&mut c, 1000)), Some(vec![1, 2, 3, 4]));
    }
    assert!(lost_to_silence(&round(&mut c, 1), 2));
    let retry = round(&mut c, 1);
    drop(c);
    let _ = std::fs::remove_dir_all(&d);
    retry.map(|d| d.present).map_err(|e| e.to_string())
}
