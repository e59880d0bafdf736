//! Review 19 (independent; the reviewer did not write the code): the fixes after review 18 — the `absent` mask of
//! `Combiner::decrypt_excluding` (R18-1) and the relay's memory of members excluded on their own signed failing
//! answers (then `relay::choose_present`, now `committee::standing`; R18-2 mitigation; docs/THRESHOLD.md §3.2.1, §4.2, §16.4, §22).
//!
//! A test that demonstrates a live break asserts what the spec promises and is `#[ignore]`d with its finding id.
//! Every other test is an attempt that failed: it asserts the refusal and names the check that stops it, with a
//! positive control. The fixtures are `committee::fixture`'s (shared by the review modules).

use super::CommitteeError;
use super::member::P;
use zkfl_core::threshold::ThresholdError;
use zkfl_core::threshold::slots::bit;
use zkfl_core::threshold::wire::signed;
use zkfl_core::threshold::wire::{Frame, HEADER_BYTES, share_set_len};

use super::fixture::*;

// R19-1 (MEDIUM, availability: a slot-holding member that withheld or garbled its answer stayed in every P) is
// fixed: the relay demotes a member of P that held a slot and gave no valid signed answer (`committee::standing`,
// scheduling, not blame). The test that was here emulated the relay's choice of P; `committee::relay_faults`
// drives `relay::Committee::decrypt` itself, with the memory off as the positive control (docs/THRESHOLD.md §24).

/// Attempt (failed): abuse the `absent` mask of `Combiner::decrypt_excluding` through `combine_excluding` (the
/// only caller; it marks silent a member whose answer is empty and that holds no slot under P). P = {1, 2, 3, 4};
/// member 4 holds no slot.
/// - an empty answer from member 1, which holds slots: `Combination::checked_answer` → `Relay` (never absent);
/// - an empty answer from member 5, outside P: marked silent (it holds no slot under P) but
///   `decrypt_excluding` refuses `absent ⊄ P` → `ShareSetMismatch`;
/// - member 4 both absent and answering: `check_senders` → `ShareSetMismatch`;
/// - member 4 both absent and excluded (an empty entry and its signed wrong answer): needs no helper (no slot),
///   and `decrypt_excluding` refuses `absent ∩ excluded ≠ ∅` → `ShareSetMismatch`;
/// - absent member 4 "supplementing" itself (a supplement for x = 4, which is not excluded):
///   `combine_excluding` → `Protocol` before any proof.
///
/// Positive control: member 4 silent, the answers of 1, 2, 3 combine bit-exact with 3 share sets and report 4 as
/// silent; and with member 2 cheating, absent helper 4's supplement combines bit-exact, every slot once.
#[test]
fn rev19_attempt_absent_mask_abuse_is_refused() {
    big_stack(|| {
        let mut c = committee("absent");
        let round = 1;
        let (subs, sum) = clinics(&c.key, 1911);
        let present = [1u8, 2, 3, 4];
        let pm = mask(&present);
        let rs = receipts(&mut c, round, &subs, &[1, 2, 3, 4, 5]);
        assert!(
            slots_covered(&c.roster, pm, 0, 4).is_empty(),
            "4 holds no slot"
        );
        let p = c.combination.present(round, &subs, pm).unwrap();
        let honest = answers(&mut c, round, &subs, &p, &rs, &present, 0);
        let comb = |c: &Committee, a: &[(u8, Vec<u8>)], s: &[(u8, Vec<u8>)]| {
            c.combination.combine_excluding(round, &subs, pm, a, s)
        };

        // Positive control: 4 silent.
        let mut silent4 = honest.clone();
        silent4[3].1 = Vec::new();
        let ok = comb(&c, &silent4, &[]).unwrap();
        assert_eq!(ok.chunks[0].to_vec(), sum);
        assert_eq!(ok.silent, [4]);
        assert!(ok.excluded.is_empty());

        // A slot holder cannot be absent.
        let mut silent1 = honest.clone();
        silent1[0].1 = Vec::new();
        let r = comb(&c, &silent1, &[]);
        assert!(matches!(r, Err(CommitteeError::Relay(_))), "{r:?}");

        // Absent outside P.
        let mut outside = honest.clone();
        outside.push((5, Vec::new()));
        let r = comb(&c, &outside, &[]);
        assert!(
            matches!(
                r,
                Err(CommitteeError::Threshold(
                    ThresholdError::ShareSetMismatch { .. }
                ))
            ),
            "{r:?}"
        );

        // Absent and answering.
        let mut twice = honest.clone();
        twice.push((4, Vec::new()));
        let r = comb(&c, &twice, &[]);
        assert!(
            matches!(
                r,
                Err(CommitteeError::Threshold(
                    ThresholdError::ShareSetMismatch { .. }
                ))
            ),
            "{r:?}"
        );

        // Absent and excluded.
        let mut both = silent4.clone();
        both.push((4, cheat(&c.roster, &p, 4, &honest[3].1)));
        let r = comb(&c, &both, &[]);
        assert!(
            matches!(
                r,
                Err(CommitteeError::Threshold(
                    ThresholdError::ShareSetMismatch { .. }
                ))
            ),
            "{r:?}"
        );

        // Absent member 4 supplementing itself: take a genuine supplement (3 for cheater 2) and point it at 4.
        let mut cheated = silent4.clone();
        cheated[1].1 = cheat(&c.roster, &p, 2, &honest[1].1);
        let first = comb(&c, &cheated, &[]);
        assert!(
            matches!(first, Err(CommitteeError::Excluded(_))),
            "{first:?}"
        );
        let helpers = c.combination.helpers(pm, bit(2));
        assert!(helpers.contains(&(4, 2)), "{helpers:?}");
        let supplements: Vec<(u8, Vec<u8>)> = helpers
            .iter()
            .map(|&(y, x)| {
                let s = c.members[usize::from(y) - 1]
                    .supplement(round, &subs, &p, &rs, x, &cheated[1].1)
                    .unwrap();
                (y, s)
            })
            .collect();
        let epoch = c.roster.epoch().unwrap();
        let frame = Frame {
            epoch: &epoch,
            chunks: DESIGN.chunks,
        };
        let at = share_set_len::<P>(&frame) + HEADER_BYTES + 44;
        let mut self_supp = supplements.clone();
        for (y, s) in &mut self_supp {
            if *y == 4 {
                assert_eq!(s[at], 2, "the x byte of the supplement");
                s[at] = 4;
            }
        }
        let r = comb(&c, &cheated, &self_supp);
        // Review 26 R26-2: x is never read from the bytes; the changed supplement fails its signature for x = 2
        // (the path's failure, helper 4 not blamed), member 2's own failing answer named with it.
        assert!(
            matches!(&r, Err(CommitteeError::RelayAndExcluded { excluded, .. })
                if excluded.iter().map(|e| e.member).collect::<Vec<_>>() == [2]),
            "{r:?}"
        );
        // Positive control: absent helper 4 supplements 2; sets: kept {1, 3} + supplements {3, 4} = 4 ≤ 5.
        assert!(supplements.len() + 2 <= c.combination.max_share_sets() as usize);
        let done = comb(&c, &cheated, &supplements).unwrap();
        assert_eq!(done.chunks[0].to_vec(), sum);
        assert_eq!(done.silent, [4]);
        assert_eq!(done.excluded.len(), 1);
        assert_eq!(done.excluded[0].member, 2);
    });
}

/// Attempt (failed): make the relay's memory (`distrusted`, fed only by `CommitteeError::Excluded`) a weapon by
/// getting an honest member excluded without its own failing answer, so later present sets drop it. P = {1, 2,
/// 3, 4}, all honest; the path (or a corrupt member relaying) changes what the combiner receives:
/// - one bit of honest member 2's answer flipped (share, proof or header): `signed::verify_answer` in
///   `Combination::checked_answer` fails → `Relay`, nobody excluded;
/// - member 3's signed answer delivered as member 2's (and 2's as 3's): the signature is checked under the
///   roster key of the link's member for (round, β(A), P, x) → `Relay`;
/// - member 2's answer to an earlier aggregate (round 1) replayed in round 2: the signature binds round and β(A)
///   → `Relay`;
/// - a corrupt member 4 signs member 2's answer body as its own: `ExclusionReason::Header` excludes 4, the
///   signer, never 2 (4 holds no slot, so the round still combines bit-exact, R17-1).
///
/// Positive control: with `skip_answer_signatures` the flipped bit excludes honest member 2 (what the signature
/// check prevents), and the untouched answers combine bit-exact.
#[test]
fn rev19_attempt_the_path_cannot_get_an_honest_member_distrusted() {
    big_stack(|| {
        let mut c = committee("path");
        let present = [1u8, 2, 3, 4];
        let pm = mask(&present);
        let all = [1u8, 2, 3, 4, 5];
        let (subs1, _) = clinics(&c.key, 1921);
        let rs1 = receipts(&mut c, 1, &subs1, &all);
        let p1 = c.combination.present(1, &subs1, pm).unwrap();
        let old = answers(&mut c, 1, &subs1, &p1, &rs1, &present, 0);
        let round = 2;
        let (subs, sum) = clinics(&c.key, 1922);
        let rs = receipts(&mut c, round, &subs, &all);
        let p = c.combination.present(round, &subs, pm).unwrap();
        let honest = answers(&mut c, round, &subs, &p, &rs, &present, 0);
        let ok = c
            .combination
            .combine_excluding(round, &subs, pm, &honest, &[])
            .unwrap();
        assert_eq!(ok.chunks[0].to_vec(), sum);
        let relay_only = |c: &Committee, a: &[(u8, Vec<u8>)]| {
            let r = c.combination.combine_excluding(round, &subs, pm, a, &[]);
            assert!(matches!(r, Err(CommitteeError::Relay(_))), "{r:?}");
        };
        let len = honest[1].1.len();
        for at in [
            0,
            HEADER_BYTES + 50,
            len / 2,
            len - signed::SIGNED_OVERHEAD - 1,
        ] {
            let mut a = honest.clone();
            a[1].1[at] ^= 1;
            relay_only(&c, &a);
        }
        let mut swapped = honest.clone();
        swapped[1].1 = honest[2].1.clone();
        swapped[2].1 = honest[1].1.clone();
        relay_only(&c, &swapped);
        let mut replayed = honest.clone();
        replayed[1].1 = old[1].1.clone();
        relay_only(&c, &replayed);
        // Corrupt member 4 passes 2's answer body off as its own, signed by itself: 4 is excluded, not 2. 4 holds
        // no slot under P, so the round combines without a supplement (R17-1) and reports the exclusion in
        // `Combined::excluded` — an `Ok`, which `relay::Committee::decrypt` does not add to `distrusted` (R19-3).
        let body = &honest[1].1[..len - signed::SIGNED_OVERHEAD];
        let mut framed = honest.clone();
        framed[3].1 = signed_by(&c.roster, 4, &request(&c.roster, &p, 4, 0), body);
        let done = c
            .combination
            .combine_excluding(round, &subs, pm, &framed, &[])
            .unwrap();
        assert_eq!(done.chunks[0].to_vec(), sum);
        assert_eq!(
            done.excluded.iter().map(|e| e.member).collect::<Vec<_>>(),
            [4]
        );
        // Positive control: without the signature check, the flipped bit blames honest member 2.
        let mut a = honest.clone();
        a[1].1[HEADER_BYTES + 50] ^= 1;
        c.combination.skip_answer_signatures();
        let r = c.combination.combine_excluding(round, &subs, pm, &a, &[]);
        let Err(CommitteeError::Excluded(ex)) = r else {
            panic!("{r:?}")
        };
        assert_eq!(ex.iter().map(|e| e.member).collect::<Vec<_>>(), [2]);
    });
}

// R19-2 (MEDIUM, availability: a cheating lowest member got `TooManyShareSets` before `Excluded` and was never
// distrusted) is fixed: `TooManyShareSets` carries the exclusions and the relay learns from every combination,
// failed or not (R19-3). Tested through the relay itself in `committee::relay_faults` (docs/THRESHOLD.md §24).
