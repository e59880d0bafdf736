//! The relay's rules as models the reviews check exhaustively against the real `Standing` (reviews 22–25,
//! docs/THRESHOLD.md §26–§29): one malicious member of a 3-of-5 committee plays a move per round or attempt, the
//! path drops receipts and changes answers, and each outcome is decided by the relay's rules (`attempt`,
//! `combine`, `learn_combined`, `learn_failure`) with slot holders from the core's own `assignee`. Shared here so
//! that each review's file keeps only what it grades differently (its rule, its bound); the relay's attempt as it
//! runs now is `relay_attempt`, which every count check uses.

use std::collections::HashMap;
use std::sync::OnceLock;

use zkfl_core::threshold::slots::{Committee as Slots, Members, bit};

use super::member::{Exclusion, ExclusionReason};
use super::standing::Standing;

pub const N_MEMBERS: u8 = 5;
pub const T: usize = 3;
/// The coordinator's `DECRYPT_ATTEMPTS` (private to `coordinator::lifecycle`; its tests pin the value 4).
pub const ATTEMPTS: usize = 4;
/// w = ⌈(n + t)/2⌉ receipts: fewer loses the attempt with nothing learnt and no present set stored.
pub const QUORUM: usize = 4;

/// What the malicious member does in one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// Answers correctly.
    Honest,
    /// Signs its receipt, then drops the answer request.
    Withhold,
    /// Signs an answer that fails its checks.
    Cheat,
    /// Signs no receipt and does not answer.
    Absent,
    /// Sends an answer whose signature fails (what a changed answer looks like).
    Unsigned,
}

pub const MOVES: [Move; 5] = [
    Move::Honest,
    Move::Withhold,
    Move::Cheat,
    Move::Absent,
    Move::Unsigned,
];

/// Whether `member` holds a slot under `present`, from the core's own `assignee` (tabulated once: the search
/// asks it millions of times).
pub fn holds_slot(present: Members, member: u8) -> bool {
    static TABLE: OnceLock<Vec<Members>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let c = Slots::new(u32::from(N_MEMBERS), T as u32).unwrap();
        (0..1u32 << (N_MEMBERS + 1))
            .map(|p| {
                (0..c.slots())
                    .filter_map(|u| c.assignee(p, u))
                    .fold(0, |a, x| a | bit(x))
            })
            .collect()
    });
    table[present as usize] & bit(member) != 0
}

/// An exclusion of `member` (its reason does not matter to `Standing`).
pub fn excluded(member: u8) -> Exclusion {
    Exclusion {
        member,
        supplement_for: 0,
        reason: ExclusionReason::Header,
    }
}

/// Members in good standing (neither unreliable nor distrusted).
pub fn good_standing(s: &Standing) -> usize {
    (1..=N_MEMBERS)
        .filter(|&x| (s.unreliable() | s.distrusted()) & bit(x) == 0)
        .count()
}

// ---- One `decrypt` per round (review 22's model). ----

/// One modelled round's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub decrypted: bool,
    /// The round would have decrypted had the malicious member answered correctly.
    pub cost_by_member: bool,
}

/// How P is chosen from the live members.
pub type Rule = fn(&Standing, &[u8]) -> Vec<u8>;

/// The rule under review (`Standing::choose`).
pub fn current(s: &Standing, alive: &[u8]) -> Vec<u8> {
    s.choose(alive, T)
}

/// One round as the relay ran it at review 22 (`attempt`, `combine`, `learn_*`; since review 26 R26-3 a slotless
/// member's unsigned answer is left out rather than demoted, which this model still demotes — the conservative
/// side for the count), applied to `s`: malicious member `m` plays
/// `mv`, the path changes the signed answer of `garbled` and drops the spend receipt of `dropped` (0: none).
/// Returns the outcome and P (empty when too few receipts: the round is lost before anyone answers).
pub fn model_round(
    s: &mut Standing,
    rule: Rule,
    m: u8,
    mv: Move,
    garbled: u8,
    dropped: u8,
) -> (Outcome, Vec<u8>) {
    let alive: Vec<u8> = (1..=N_MEMBERS)
        .filter(|&x| (x != m || mv != Move::Absent) && x != dropped)
        .collect();
    // w = ⌈(n + t)/2⌉ = 4 receipts: fewer loses the round with nothing learnt (`TooFewKeyHolders`).
    if alive.len() < 4 {
        return (
            Outcome {
                decrypted: false,
                cost_by_member: false,
            },
            Vec::new(),
        );
    }
    let present = rule(s, &alive);
    let mask = present.iter().fold(0, |a, &x| a | bit(x));
    let in_p = mask & bit(m) != 0;
    let m_slot = in_p && holds_slot(mask, m);
    // The path changes the answer of a member of P (a slotless spare's changed answer fails its signature too:
    // `Relay`, as for a slot holder).
    let garbled = if mask & bit(garbled) != 0 { garbled } else { 0 };
    // `attempt`: silent slot holders are demoted before combining.
    if in_p && mv == Move::Withhold && m_slot {
        s.demote(bit(m));
        return (
            Outcome {
                decrypted: false,
                cost_by_member: true,
            },
            present,
        );
    }
    if in_p && mv == Move::Unsigned {
        // `Relay` (an answer whose signature fails: changed on the path as far as the relay can tell), whether
        // or not the member holds a slot; `unsigned_answers` names it (and the path's victim, if any).
        s.demote(bit(m) | bit(garbled));
        return (
            Outcome {
                decrypted: false,
                cost_by_member: garbled == 0,
            },
            present,
        );
    }
    let cheats = in_p && mv == Move::Cheat;
    let silent_spare = in_p && mv == Move::Withhold && !m_slot;
    if cheats {
        // First combination: `Excluded` (the signed failing answer); distrusted at once.
        s.distrust(&[excluded(m)]);
        if m_slot && present.len() == T {
            // No helper outside the cheater's slots: `Unrepairable`.
            return (
                Outcome {
                    decrypted: false,
                    cost_by_member: true,
                },
                present,
            );
        }
    }
    if garbled != 0 {
        // `Relay`: `unsigned_answers` names the garbled member.
        s.demote(bit(garbled));
        return (
            Outcome {
                decrypted: false,
                cost_by_member: false,
            },
            present,
        );
    }
    let left_out = if cheats || silent_spare { bit(m) } else { 0 };
    let distrusted = s.distrusted();
    s.restore(mask & !left_out & !distrusted);
    (
        Outcome {
            decrypted: true,
            cost_by_member: false,
        },
        present,
    )
}

// ---- The coordinator's retries: several attempts of one aggregate per round (review 24's model). ----

/// One attempt's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    Decrypted,
    /// Lost, and it would have decrypted had the member answered correctly.
    LostToMember,
    /// Lost to the path (changed answers) or to too few receipts.
    LostToPath,
}

/// How one attempt ends and what the relay learns from it (each review's own model of `attempt`).
pub type AttemptModel = fn(&mut Standing, Members, u8, Move, Members) -> Attempt;

/// One round: up to `ATTEMPTS` attempts of one aggregate, each decided by `attempt`. The member plays `first` in the first `k` attempts,
/// then answers correctly; the path drops the spend receipt of `dropped` (0: none) in the first attempt and
/// changes the answers of `garbled` in the first `j` attempts. Returns whether the round decrypted, whether it
/// was lost to the member (its last attempt was), whether the path interfered, and every present set used.
pub fn retry_round(
    s: &mut Standing,
    attempt: AttemptModel,
    m: u8,
    (first, k): (Move, usize),
    dropped: u8,
    (garbled, j): (Members, usize),
) -> (bool, bool, bool, Vec<Vec<u8>>) {
    let mut signed: Members = 0;
    let mut present: Option<Vec<u8>> = None;
    let mut sets = Vec::new();
    let mut last = Attempt::LostToPath;
    let interfered = dropped != 0 || (garbled != 0 && j > 0);
    for a in 0..ATTEMPTS {
        let mv = if a < k { first } else { Move::Honest };
        for x in 1..=N_MEMBERS {
            if (x != m || mv != Move::Absent) && !(a == 0 && x == dropped) {
                signed |= bit(x);
            }
        }
        let alive: Vec<u8> = (1..=N_MEMBERS).filter(|&x| signed & bit(x) != 0).collect();
        if alive.len() < QUORUM {
            last = Attempt::LostToPath;
            continue;
        }
        let p = present.get_or_insert_with(|| s.choose(&alive, T)).clone();
        let mask = p.iter().fold(0, |acc, &x| acc | bit(x));
        if !sets.contains(&p) {
            sets.push(p);
        }
        last = attempt(s, mask, m, mv, if a < j { garbled } else { 0 });
        if last == Attempt::Decrypted {
            break;
        }
    }
    (
        last == Attempt::Decrypted,
        last == Attempt::LostToMember,
        interfered,
        sets,
    )
}

/// `s` with its demotion times replaced by their ranks (what `choose` depends on), so equal situations share a
/// memo entry.
pub fn normal(s: &Standing) -> String {
    let mut v = serde_json::to_value(s).unwrap();
    let times: Vec<u64> = v["last_demoted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    let mut distinct = times.clone();
    distinct.sort_unstable();
    distinct.dedup();
    let ranked: Vec<u64> = times
        .iter()
        .map(|t| distinct.iter().position(|d| d == t).unwrap() as u64)
        .collect();
    v["last_demoted"] = serde_json::json!(ranked);
    v["demotions"] = serde_json::json!(0);
    v.to_string()
}

/// One round's plan: the member's (move, attempts it plays it), the dropped receipt, the path's (changed
/// answers, attempts they are changed in).
pub type Plan = ((Move, usize), u8, (Members, usize));

/// Every round plan: the member's (move, attempts it plays it) and the path's (dropped receipt, changed answers
/// of up to `max_garbled` honest members for 1 or all attempts).
pub fn plans(m: u8, max_garbled: u32) -> Vec<Plan> {
    let mut member = vec![(Move::Honest, ATTEMPTS)];
    for mv in MOVES.into_iter().filter(|&mv| mv != Move::Honest) {
        // In the first attempt only (then correct answers), or in every attempt.
        for k in [1, ATTEMPTS] {
            member.push((mv, k));
        }
    }
    let honest: Members = (1..=N_MEMBERS)
        .filter(|&x| x != m)
        .fold(0, |a, x| a | bit(x));
    let mut path = vec![(0, 0)];
    for g in 1..=honest {
        if g & !honest == 0 && g.count_ones() <= max_garbled {
            path.push((g, 1));
            path.push((g, ATTEMPTS));
        }
    }
    let mut out = Vec::new();
    for &mp in &member {
        for d in (0..=N_MEMBERS).filter(|&d| d != m) {
            for &gp in &path {
                out.push((mp, d, gp));
            }
        }
    }
    out
}

/// The most (rounds lost to member `m`, each attempt decided by `attempt`) − (rounds the path interfered in) from `s` over `rounds` rounds, over
/// every round plan. Asserts in every round: no honest member distrusted, P never wider than t + 1, one present
/// set per aggregate, an honest member demoted only in a round where the path changed its answer. With `forget`
/// the relay forgets every standing after each round (the positive control: the relay before review 18).
pub fn retry_excess(
    s: &Standing,
    attempt: AttemptModel,
    m: u8,
    rounds: u32,
    plans: &[Plan],
    forget: bool,
    memo: &mut HashMap<(String, u32), i64>,
) -> i64 {
    if rounds == 0 {
        return 0;
    }
    let key = (normal(s), rounds);
    if let Some(&v) = memo.get(&key) {
        return v;
    }
    let mut best = i64::MIN;
    for &(mp, d, gp) in plans {
        let mut next = *s;
        let (_, lost_to_m, interfered, sets) = retry_round(&mut next, attempt, m, mp, d, gp);
        assert_eq!(
            next.distrusted() & !bit(m),
            0,
            "an honest member distrusted"
        );
        assert!(sets.len() <= 1, "two present sets for one aggregate");
        assert!(sets.iter().all(|p| p.len() <= T + 1), "P wider than t + 1");
        let demoted_honest = (1..=N_MEMBERS)
            .filter(|&x| x != m && next.unreliable() & bit(x) != 0 && s.unreliable() & bit(x) == 0)
            .fold(0, |a, x| a | bit(x));
        assert_eq!(
            demoted_honest & !gp.0,
            0,
            "an honest member demoted without a changed answer: {s:?} {mp:?} {d} {gp:?}"
        );
        let gain = i64::from(lost_to_m) - i64::from(interfered);
        if forget {
            next = Standing::default();
        }
        best = best.max(gain + retry_excess(&next, attempt, m, rounds - 1, plans, forget, memo));
    }
    memo.insert(key, best);
    best
}

// ---- The current relay's attempt (reviews 25–28), with the path's supplement faults. ----

/// Set L's `max_share_sets` at the fixture's design point (rev25 and rev28 check it against the core's design
/// and the combiner).
pub const L_MAX_SHARE_SETS: usize = 5;

/// The helpers of `x`'s slots under `present` as a member mask (`Combination::helpers`, from the core's
/// `assignee`; tabulated once).
pub fn helper_mask(present: Members, x: u8) -> Members {
    static TABLE: OnceLock<Vec<[Members; 6]>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let c = Slots::new(u32::from(N_MEMBERS), T as u32).unwrap();
        (0..1u32 << (N_MEMBERS + 1))
            .map(|p| {
                let mut row = [0; 6];
                for x in 1..=N_MEMBERS {
                    row[usize::from(x)] = (0..c.slots())
                        .filter(|&u| c.assignee(p, u) == Some(x))
                        .filter_map(|u| c.assignee(p & !bit(x), u))
                        .fold(0, |a, y| a | bit(y));
                }
                row
            })
            .collect()
    });
    table[present as usize][usize::from(x)]
}

/// Bit offsets of the path's supplement faults in a plan's `garbled` mask: `g | c << SUPP | l << LOST` (c ∪ l =
/// g): the path changes the supplements of `c` and drops those of `l` (review 27's model).
pub const SUPP: u32 = 8;
pub const LOST: u32 = 16;

/// One attempt as the relay runs it now (`attempt`, `combine`, `learn_*`; review 28's model): a slot holder's
/// silence (withheld, absent, or an answer whose signature fails) demotes it with the slot holders whose answers
/// the path changed, in one demotion; a slotless member's silence or unsigned answer is left out and the round
/// goes on (R26-3); a cheater is distrusted in every combination (R25-1), and without a spare, or where its repair
/// needs more than set L's `max_share_sets`, its round is lost; the helpers whose supplements the path changed or
/// dropped are demoted in one demotion (R27-2) after every helper was asked (R26-2), and the attempt is lost.
pub fn relay_attempt(
    s: &mut Standing,
    mask: Members,
    m: u8,
    mv: Move,
    garbled: Members,
) -> Attempt {
    let in_p = mask & bit(m) != 0;
    let m_slot = in_p && holds_slot(mask, m);
    let supp_hit = ((garbled >> SUPP) | (garbled >> LOST)) & 0xff & mask & !bit(m);
    let changed = if supp_hit != 0 {
        0
    } else {
        garbled & mask & !bit(m)
    };
    let slot_holders = (1..=N_MEMBERS)
        .filter(|&x| mask & bit(x) != 0 && holds_slot(mask, x))
        .fold(0, |a, x| a | bit(x));
    let changed_holders = changed & slot_holders;
    let cheats = in_p && mv == Move::Cheat;
    if in_p && m_slot && matches!(mv, Move::Withhold | Move::Absent | Move::Unsigned) {
        s.demote(bit(m) | changed_holders);
        return if changed_holders == 0 {
            Attempt::LostToMember
        } else {
            Attempt::LostToPath
        };
    }
    let silent_spare =
        in_p && !m_slot && matches!(mv, Move::Withhold | Move::Absent | Move::Unsigned);
    if changed_holders != 0 {
        if cheats {
            s.distrust(&[excluded(m)]);
        }
        s.demote(changed_holders);
        return Attempt::LostToPath;
    }
    if cheats {
        s.distrust(&[excluded(m)]);
        if m_slot {
            let helpers = helper_mask(mask, m);
            if mask.count_ones() as usize == T
                || T + helpers.count_ones() as usize > L_MAX_SHARE_SETS
            {
                return Attempt::LostToMember;
            }
            if helpers & supp_hit != 0 {
                // R27-2's fix: the changed and the lost helpers in one demotion.
                s.demote(helpers & supp_hit);
                return Attempt::LostToPath;
            }
        }
    }
    let left_out = if cheats || silent_spare { bit(m) } else { 0 } | changed;
    let distrusted = s.distrusted();
    s.restore(mask & !left_out & !distrusted);
    Attempt::Decrypted
}

/// `plans` with every split of each plan's changed answers into changed and dropped supplements (the same honest
/// members, hit in the supplement stage instead; `relay_attempt` reads them from bits `SUPP` and `LOST`).
pub fn with_supplement_faults(mut plans: Vec<Plan>) -> Vec<Plan> {
    let mut extra = Vec::new();
    for &(mp, d, (g, j)) in plans.iter().filter(|(_, _, (g, _))| *g != 0) {
        for c in (0..=g).filter(|c| c & !g == 0) {
            extra.push((mp, d, (g | c << SUPP | (g & !c) << LOST, j)));
        }
    }
    plans.extend(extra);
    plans
}
