//! The relay against members that cost a round (reviews 18 R18-2, 19 R19-1, R19-2, R19-3; docs/THRESHOLD.md
//! §16.4, §24): `relay::Committee::decrypt` itself, over in-process member links, with one member that cheats
//! (a wrong share after its honest proof, signed), withholds its answer, or has its answer changed after signing.
//! Each fault may cost the round it first shows in; the next round must decrypt bit-exact without the member.
//! Every scenario is also run with the relay's memory switched off (`forget_standing`, the relay before reviews
//! 18–19): then the second round is lost too (or excludes the same cheater again), so these tests can fail.

use std::path::Path;

use zkfl_core::threshold::wire::HEADER_BYTES;

use super::fixture::{DESIGN, big_stack, ceremony, copy_of, decrypt_exact, open, roster};
use super::link::MemberLink;
use super::member::Member;
use super::process::{ANSWER, SUPPLEMENT, parse_reply, reply};
use super::relay::{Committee, Decryption, RelayError, on_big_stack};
use super::relay_memory::RelayMemory;

/// What one member does wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Honest,
    /// Adds Δ to one share after its honest proof and signs the result (`Member::corrupt_shares_for_demo`).
    Cheat,
    /// Signs its receipt, then refuses to answer.
    Withhold,
    /// Its signed answer has one byte changed after signing (by the member or the path).
    Garble,
}

/// A member in this process, behind the link the relay uses for a member on another host.
struct Local {
    member: Member,
    fault: Fault,
}

impl MemberLink for Local {
    fn call(&mut self, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        let mut request = vec![op];
        request.extend_from_slice(body);
        let member = &mut self.member;
        let out = parse_reply(&on_big_stack(|| reply(member, &request)));
        let answering = op == ANSWER || op == SUPPLEMENT;
        match self.fault {
            Fault::Withhold if answering => Err("withheld".into()),
            Fault::Garble if answering => out.map(|mut b| {
                b[HEADER_BYTES + 50] ^= 1;
                b
            }),
            _ => out,
        }
    }
}

/// The relay over the five members in `d`, member `who` at `fault` (the others honest), admitting submissions
/// without proofs.
fn relay(d: &Path, who: u8, fault: Fault) -> Committee {
    relay_with(d, &[(who, fault)])
}

/// The relay over the five members in `d`, each member of `faults` at its fault (the others honest).
fn relay_with(d: &Path, faults: &[(u8, Fault)]) -> Committee {
    let r = roster();
    let links = (1..=5)
        .map(|i| {
            let mut member = open(d, &r, i);
            let fault = faults
                .iter()
                .find(|(who, _)| *who == i)
                .map_or(Fault::Honest, |(_, f)| *f);
            if fault == Fault::Cheat {
                member.corrupt_shares_for_demo();
            }
            Some(Box::new(Local { member, fault }) as Box<dyn MemberLink>)
        })
        .collect();
    let mut c = Committee::start(r, DESIGN, links, d).unwrap();
    c.admit_unverified();
    c
}

/// Two rounds through the relay with member `who` at `fault`. `memory`: whether the relay keeps the members'
/// standing between rounds; `restart`: whether the aggregator restarts between them (the relay and every
/// member reopened from their directories).
fn two_rounds(
    label: &str,
    who: u8,
    fault: Fault,
    memory: bool,
    restart: bool,
) -> Vec<Result<Decryption, RelayError>> {
    let d = copy_of(ceremony(), label);
    let mut c = relay(&d, who, fault);
    let mut results = Vec::new();
    for round in 1..=2u64 {
        if !memory {
            c.forget_standing();
        }
        if restart && round == 2 {
            drop(c);
            c = relay(&d, who, fault);
        }
        results.push(decrypt_exact(&mut c, round, 2400 + round));
    }
    drop(c);
    let _ = std::fs::remove_dir_all(&d);
    results
}

/// A member of P holding slots that costs round 1 is left out of round 2, which decrypts with the four others;
/// with the memory off, round 2 is lost the same way.
fn costs_one_round(label: &'static str, fault: Fault) {
    big_stack(move || {
        let rounds = two_rounds(label, 1, fault, true, false);
        assert!(
            rounds[0].is_err(),
            "{fault:?}: round 1 with member 1 in P = [1, 2, 3, 4]"
        );
        let second = rounds[1]
            .as_ref()
            .unwrap_or_else(|e| panic!("{fault:?}: round 2 lost: {e}"));
        assert_eq!(second.present, [2, 3, 4, 5], "{fault:?}");
        assert!(
            second.exclusions.is_empty(),
            "{fault:?}: {:?}",
            second.exclusions
        );

        let control = two_rounds(&format!("{label}-forget"), 1, fault, false, false);
        assert!(
            control[1].is_err(),
            "{fault:?}: without the relay's memory member 1 stops round 2 as well"
        );
    });
}

/// R19-2: the lowest member of P cheating needs 2t = 6 share sets to repair (more than the 5 the noise budget
/// covers): the combiner refuses with `TooManyShareSets`, which now names the cheater, and the relay leaves it out.
#[test]
fn a_cheating_lowest_member_costs_at_most_one_round() {
    costs_one_round("cheat-1", Fault::Cheat);
}

/// R19-1: a slot-holding member that signs its receipt and withholds its answer.
#[test]
fn a_member_withholding_its_answer_costs_at_most_one_round() {
    costs_one_round("withhold-1", Fault::Withhold);
}

/// R19-1: a slot-holding member whose answer arrives changed after signing (`Relay`, which blames nobody): the
/// member is demoted for scheduling, never published as an exclusion.
#[test]
fn a_member_with_a_garbled_answer_costs_at_most_one_round() {
    costs_one_round("garble-1", Fault::Garble);
}

/// R19-3: member 4, the spare of P = [1, 2, 3, 4] (no slot), cheats: round 1 decrypts and excludes it without a
/// supplement; round 2 takes member 5 instead and excludes nobody. With the memory off, round 2 excludes it
/// again.
#[test]
fn a_slotless_cheater_excluded_in_a_decrypted_round_is_left_out_later() {
    big_stack(|| {
        let rounds = two_rounds("cheat-4", 4, Fault::Cheat, true, false);
        let first = rounds[0].as_ref().unwrap();
        assert_eq!(first.present, [1, 2, 3, 4]);
        assert_eq!(
            first
                .exclusions
                .iter()
                .map(|e| e.member)
                .collect::<Vec<_>>(),
            [4]
        );
        assert!(
            first.supplements.is_empty(),
            "4 holds no slot: {:?}",
            first.supplements
        );
        let second = rounds[1].as_ref().unwrap();
        assert_eq!(second.present, [1, 2, 3, 5]);
        assert!(second.exclusions.is_empty(), "{:?}", second.exclusions);

        let control = two_rounds("cheat-4-forget", 4, Fault::Cheat, false, false);
        let again = control[1].as_ref().unwrap();
        assert_eq!(again.present, [1, 2, 3, 4]);
        assert_eq!(again.exclusions.len(), 1, "{:?}", again.exclusions);
    });
}

/// The members' standing survives an aggregator restart (`relay_memory`): member 1 cheats in round 1, the
/// aggregator restarts, and round 2 still leaves it out.
#[test]
fn the_standing_survives_an_aggregator_restart() {
    big_stack(|| {
        let rounds = two_rounds("cheat-1-restart", 1, Fault::Cheat, true, true);
        assert!(rounds[0].is_err());
        let second = rounds[1]
            .as_ref()
            .unwrap_or_else(|e| panic!("round 2 lost: {e}"));
        assert_eq!(second.present, [2, 3, 4, 5]);
    });
}

/// The present set announced for an aggregate survives an aggregator restart: member 1 withholds its answer,
/// the aggregator restarts and member 1 is honest again. The retry of the same aggregate must announce the
/// same P — members 2, 3, 4 answered for it and answer no other — and decrypts. (A relay that forgot P would
/// choose [2, 3, 4, 5], member 1 being demoted, and the members that answered would refuse: checked by clearing
/// the remembered present sets, the control.)
#[test]
fn a_retry_after_an_aggregator_restart_announces_the_same_present_set() {
    big_stack(|| {
        for keep in [true, false] {
            let d = copy_of(ceremony(), &format!("retry-restart-{keep}"));
            let mut c = relay(&d, 1, Fault::Withhold);
            assert!(decrypt_exact(&mut c, 1, 2500).is_err(), "member 1 withheld");
            let key_id = c.record().key_id;
            drop(c);
            if !keep {
                // The control: the standing kept, the aggregates' present sets forgotten.
                let mut m = RelayMemory::load(&d, &key_id).unwrap();
                assert!(m.standing.unreliable() != 0, "member 1 was demoted");
                m.rounds.clear();
                m.save(&d).unwrap();
            }
            let mut c = relay(&d, 0, Fault::Honest);
            let retry = decrypt_exact(&mut c, 1, 2500);
            if keep {
                let done = retry.unwrap_or_else(|e| panic!("retry after restart: {e}"));
                assert_eq!(done.present, [1, 2, 3, 4]);
            } else {
                assert!(
                    retry.is_err(),
                    "without the memory the retry announces another P"
                );
            }
            drop(c);
            let _ = std::fs::remove_dir_all(&d);
        }
    });
}

/// Review 25 R25-1, in a silent round: member 1 (a slot holder) cheats while member 2's answer is lost on the
/// path. The round is lost either way (a silent slot holder cannot be supplemented), but the answers given are
/// still checked: member 1 is distrusted in this round, member 2 only demoted. The next round leaves both out of
/// the spare positions: P = [3, 4, 5] (t members in good standing). Control: member 2 alone silent demotes only
/// member 2, so the cheater's distrust comes from its own signed answer.
#[test]
fn a_cheater_in_a_round_with_a_silent_slot_holder_is_distrusted() {
    big_stack(|| {
        for cheat in [true, false] {
            let d = copy_of(ceremony(), &format!("cheat-1-silent-2-{cheat}"));
            let first = if cheat { Fault::Cheat } else { Fault::Honest };
            let mut c = relay_with(&d, &[(1, first), (2, Fault::Withhold)]);
            assert!(
                decrypt_exact(&mut c, 1, 2600).is_err(),
                "member 2 held a slot"
            );
            let key_id = c.record().key_id;
            drop(c);
            let standing = RelayMemory::load(&d, &key_id).unwrap().standing;
            let distrusted = if cheat { 1 } else { 0 };
            assert_eq!(
                (standing.distrusted(), standing.unreliable()),
                (distrusted, 0b10),
                "cheat = {cheat}"
            );
            if cheat {
                let mut c = relay_with(&d, &[(1, Fault::Cheat)]);
                let second =
                    decrypt_exact(&mut c, 2, 2601).unwrap_or_else(|e| panic!("round 2: {e}"));
                assert_eq!(second.present, [3, 4, 5]);
            }
            let _ = std::fs::remove_dir_all(&d);
        }
    });
}
