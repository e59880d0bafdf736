//! Review 25 (independent; the reviewer did not write the code): §16.4 item 6 of docs/THRESHOLD.md read sentence
//! by sentence against `Standing::choose` and the relay's `combine` / `learn_failure` (§29).
//!
//! R25-1: "The relay learns from every combination, whether it decrypts or not: a member whose own signed answer
//! … failed its checks is distrusted". `combine_excluding` checks the answers of P in member order and returns
//! `Relay` at the first answer whose signature fails (`checked_answer`'s `?`), dropping the exclusions it has
//! already found; `learn_failure` then only demotes the unsigned ones. A cheater whose signed failing answer is
//! combined together with an answer the path changed is neither distrusted nor demoted. The count bound still
//! holds: rev24's retry model (`relay_model::retry_round`, with this file's own attempt model) with R25-1 and set L's `TooManyShareSets`
//! refusals in it, driving the real `Standing`, finds no sequence over it.
//!
//! After the review (lead): R25-1 is fixed — `combine_excluding` checks every answer before it reports the path's
//! failure and names the exclusions with it (`CommitteeError::RelayAndExcluded`); the tests below follow the fixed
//! relay. This file's attempt model and its count check are folded into `relay_model::relay_attempt`, the model of
//! the relay as it runs now, which rev28's count check drives over a superset of these plans and rounds.

use zkfl_core::threshold::slots::{Committee as Slots, Members, bit};
use zkfl_core::threshold::wire::HEADER_BYTES;

use super::CommitteeError;
use super::fixture::{DESIGN, ceremony, clinics, copy_of, open, roster};
use super::link::MemberLink;
use super::member::{Exclusion, ExclusionReason, Member};
use super::process::{ANSWER, parse_reply, reply};
use super::relay::{Committee, Decryption, RelayError, on_big_stack};
use super::relay_model::{L_MAX_SHARE_SETS, T};
use super::standing::Standing;

/// An in-process member; `cheat` makes it sign a wrong share (after its honest proof), `garble_in` makes the path
/// flip one byte of its signed answer in that round.
struct Local {
    member: Member,
    garble_in: Option<u64>,
}

impl MemberLink for Local {
    fn call(&mut self, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        let round = (op == ANSWER)
            .then(|| {
                body.get(..8)
                    .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
            })
            .flatten();
        let mut req = vec![op];
        req.extend_from_slice(body);
        let member = &mut self.member;
        let mut out = parse_reply(&on_big_stack(|| reply(member, &req)))?;
        if round.is_some() && round == self.garble_in {
            out[HEADER_BYTES + 50] ^= 1;
        }
        Ok(out)
    }
}

/// Round 1 with member 1 cheating and, if `garble_two`, the path changing member 2's answer. Returns the result
/// and the standing the relay saved (distrusted, unreliable).
fn round_one(label: &str, garble_two: bool) -> (Result<Decryption, RelayError>, Members, Members) {
    let d = copy_of(ceremony(), label);
    let r = roster();
    let links = (1..=5u8)
        .map(|i| {
            let mut member = open(&d, &r, i);
            if i == 1 {
                member.corrupt_shares_for_demo();
            }
            Some(Box::new(Local {
                member,
                garble_in: (i == 2 && garble_two).then_some(1),
            }) as Box<dyn MemberLink>)
        })
        .collect();
    let mut c = Committee::start(r, DESIGN, links, &d).unwrap();
    c.admit_unverified();
    let (subs, _) = clinics(c.key(), 2501);
    let res = c.decrypt(1, &subs);
    drop(c);
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("committee-relay.json")).unwrap()).unwrap();
    let field = |k: &str| stored["standing"][k].as_u64().unwrap() as Members;
    let out = (res, field("distrusted"), field("unreliable"));
    let _ = std::fs::remove_dir_all(&d);
    out
}

/// R25-1 (live): member 1 (slot holder of P = {1, 2, 3, 4}) signs a failing answer; the path changes honest
/// member 2's answer in the same round. §16.4 item 6: "The relay learns from every combination, whether it
/// decrypts or not: a member whose own signed answer … failed its checks is distrusted". Before the fix it was
/// not: the combiner stopped at member 2's signature (`Relay`), dropping member 1's exclusion. Now every answer is
/// checked first and the exclusion comes with the path's failure (`RelayAndExcluded`).
#[test]
fn r25_1_a_cheater_is_distrusted_in_every_combination() {
    let (res, distrusted, _) = round_one("rev25-cheat-garble", true);
    assert!(res.is_err());
    assert_ne!(distrusted & bit(1), 0, "member 1 signed a failing answer");
}

/// R25-1, fixed: the honest member whose answer the path changed is demoted, not distrusted; the cheater is
/// distrusted and not demoted. Control: without the changed answer member 1 is distrusted and nobody demoted.
#[test]
fn r25_1_fixed_the_changed_answer_demotes_only_its_member() {
    let (res, distrusted, unreliable) = round_one("rev25-cheat-garble-fixed", true);
    assert!(
        matches!(
            res,
            Err(RelayError::Committee(CommitteeError::RelayAndExcluded { ref excluded, .. }))
                if excluded.iter().map(|e| e.member).collect::<Vec<_>>() == [1]
        ),
        "{res:?}"
    );
    assert_eq!((distrusted, unreliable), (bit(1), bit(2)));
    let (_, distrusted, unreliable) = round_one("rev25-cheat-only", false);
    assert_eq!((distrusted, unreliable), (bit(1), 0), "control");
}

/// §16.4 item 6's present-set sentences, written out independently of `choose`: the t + 1 lowest live signers
/// never demoted (nor distrusted); where fewer than t, topped up to t with members restored after a demotion, then
/// unreliable ones — each least recently demoted first — then distrusted ones, lowest first.
fn as_stated(alive: &[u8], distrusted: Members, unreliable: Members, at: &[u64; 6]) -> Vec<u8> {
    let never: Vec<u8> = alive
        .iter()
        .copied()
        .filter(|&m| distrusted & bit(m) == 0 && at[usize::from(m)] == 0)
        .collect();
    let mut p: Vec<u8> = never.iter().copied().take(T + 1).collect();
    let by_time = |mut v: Vec<u8>| {
        v.sort_by_key(|&m| (at[usize::from(m)], m));
        v
    };
    let restored = by_time(
        alive
            .iter()
            .copied()
            .filter(|&m| {
                distrusted & bit(m) == 0 && unreliable & bit(m) == 0 && at[usize::from(m)] != 0
            })
            .collect(),
    );
    let unrel = by_time(
        alive
            .iter()
            .copied()
            .filter(|&m| distrusted & bit(m) == 0 && unreliable & bit(m) != 0)
            .collect(),
    );
    let dis: Vec<u8> = alive
        .iter()
        .copied()
        .filter(|&m| distrusted & bit(m) != 0)
        .collect();
    for m in restored.into_iter().chain(unrel).chain(dis) {
        if p.len() < T {
            p.push(m);
        }
    }
    p.sort_unstable();
    p
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Demote(Members),
    Restore(Members),
    Distrust(u8),
}

fn ops() -> Vec<Op> {
    let mut v = Vec::new();
    for m in 1..=5u8 {
        v.push(Op::Distrust(m));
        v.push(Op::Demote(bit(m)));
        for k in m + 1..=5 {
            v.push(Op::Demote(bit(m) | bit(k)));
        }
    }
    for s in 1..32u32 {
        v.push(Op::Restore((s << 1) as Members));
    }
    v
}

/// Replays `seq` on the real `Standing` and on the model's own record of demotion times; checks `choose` against
/// `as_stated` (or against `chooser`) for every live set of at least t members, and that no member ever demoted
/// is the spare. Returns the first disagreement.
fn check(seq: &[Op], chooser: &dyn Fn(&Standing, &[u8]) -> Vec<u8>) -> Option<String> {
    let mut s = Standing::default();
    let mut at = [0u64; 6];
    let mut clock = 0;
    for op in seq {
        match *op {
            Op::Demote(m) => {
                s.demote(m);
                clock += 1;
                (1..=5)
                    .filter(|&x| m & bit(x) != 0)
                    .for_each(|x| at[usize::from(x)] = clock);
            }
            Op::Restore(m) => s.restore(m),
            Op::Distrust(m) => s.distrust(&[Exclusion {
                member: m,
                supplement_for: 0,
                reason: ExclusionReason::Header,
            }]),
        }
    }
    for live in 0..32u32 {
        let alive: Vec<u8> = (1..=5u8).filter(|&m| live & (1 << (m - 1)) != 0).collect();
        if alive.len() < T {
            continue;
        }
        let got = chooser(&s, &alive);
        let want = as_stated(&alive, s.distrusted(), s.unreliable(), &at);
        if got != want {
            return Some(format!(
                "{seq:?} alive {alive:?}: chosen {got:?}, stated {want:?}"
            ));
        }
        let ever = |m: u8| at[usize::from(m)] != 0 || s.distrusted() & bit(m) != 0;
        if got.len() == T + 1 && got.iter().any(|&m| ever(m)) {
            return Some(format!(
                "{seq:?} alive {alive:?}: a demoted member is the spare in {got:?}"
            ));
        }
    }
    None
}

fn search(depth: usize, chooser: &dyn Fn(&Standing, &[u8]) -> Vec<u8>) -> Option<String> {
    let ops = ops();
    let mut seq = Vec::new();
    fn go(
        seq: &mut Vec<Op>,
        depth: usize,
        ops: &[Op],
        chooser: &dyn Fn(&Standing, &[u8]) -> Vec<u8>,
    ) -> Option<String> {
        if let Some(e) = check(seq, chooser) {
            return Some(e);
        }
        if seq.len() == depth {
            return None;
        }
        for &op in ops {
            seq.push(op);
            let e = go(seq, depth, ops, chooser);
            seq.pop();
            if e.is_some() {
                return e;
            }
        }
        None
    }
    go(&mut seq, depth, &ops, chooser)
}

/// Attempt (failed): every sentence of item 6 on how present sets are chosen, and "a member ever demoted is never
/// the spare", checked against the real `Standing::choose` after every sequence of up to three demotions (one or
/// two members), restores (any set) and distrusts, for every live set of at least t members. What makes it hold:
/// `choose` fills the t + 1 positions from never-demoted members only and every other level only up to t; a
/// restored member keeps its demotion time. Positive control: a chooser that lets restored members be the spare
/// (the relay before review 22, R22-1) is caught.
#[test]
fn r25_attempt_choose_is_what_item_6_states() {
    assert_eq!(search(3, &|s, alive| s.choose(alive, T)), None);
    let before_r22 = |s: &Standing, alive: &[u8]| {
        let mut v = s.choose(alive, T);
        if v.len() == T {
            let spare = alive.iter().copied().find(|&m| {
                !v.contains(&m) && s.distrusted() & bit(m) == 0 && s.unreliable() & bit(m) == 0
            });
            if let Some(m) = spare {
                v.push(m);
                v.sort_unstable();
            }
        }
        v
    };
    assert!(search(3, &before_r22).is_some(), "control");
}

/// Attempt 3 (failed), set L: a cheating slot holder in a P of t + 1 is repaired only when the three kept share
/// sets plus its helpers fit set L's `max_share_sets`; otherwise the round is `TooManyShareSets` (rev24's model
/// treats every such round as repaired). Which members of P = {1, 2, 3, 4} that is, from the core's slot
/// assignment and set L's design point. It costs one round at most: only never-demoted members fill t + 1
/// positions (`r25_attempt_choose_is_what_item_6_states`), so it is the member's first misbehaviour, and it is then
/// distrusted. Control: P = all five (four kept) needs more than the bound for member 1 as well.
#[test]
fn r25_attempt_set_l_refuses_some_repairs_of_a_p_of_t_plus_one() {
    use zkfl_core::params::{ParamSet, SetL};
    let max = zkfl_core::threshold::plan::design::<SetL>(5, 3, 1024, 1 << 16, SetL::MAX_CHUNKS)
        .unwrap()
        .max_share_sets as usize;
    let c = Slots::new(5, 3).unwrap();
    let helpers = |p: Members, x: u8| {
        let mut ys: Vec<u8> = (0..c.slots())
            .filter(|&u| c.assignee(p, u) == Some(x))
            .filter_map(|u| c.assignee(p & !bit(x), u))
            .collect();
        ys.sort_unstable();
        ys.dedup();
        ys.len()
    };
    let p: Members = bit(1) | bit(2) | bit(3) | bit(4);
    let refused: Vec<u8> = (1..=4u8).filter(|&x| 3 + helpers(p, x) > max).collect();
    eprintln!(
        "set L: max_share_sets {max}; helpers under P = {{1, 2, 3, 4}}: {:?}; refused: {refused:?}",
        (1..=4u8).map(|x| helpers(p, x)).collect::<Vec<_>>()
    );
    assert_eq!(max, L_MAX_SHARE_SETS);
    assert!(
        (0..c.slots()).all(|u| c.assignee(p, u) != Some(4)),
        "the highest member of a P of t + 1 holds no slot"
    );
    let all = p | bit(5);
    assert!(4 + helpers(all, 1) > max, "control: P of five");
    assert_eq!(refused, [1]);
}
