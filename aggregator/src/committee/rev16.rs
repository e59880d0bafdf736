//! Review 16 (independent; the reviewer did not write the code): the committee service after reviews 13 and 15
//! (docs/THRESHOLD.md §16, §19) and the share proofs' enforcement in `Combination` (§3.2.1, §16.4 item 5).
//!
//! Every test passes as committed: a demonstrated break is a test that shows the bad outcome; a refusal is
//! asserted with a comment naming the check that stops it. The fixtures are `committee::fixture`'s, with
//! `open` (returning the member's error) and `clinics` (from a caller's RNG) of its own.

use super::CommitteeError;
use super::member::{C, Combination, ExclusionReason, K, Member, N, P, Submission};
use super::roster::CommitteeRoster;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use zkfl_core::policy::plaintext_modulus;
use zkfl_core::ring::NttPoly;
use zkfl_core::threshold::ThresholdError;
use zkfl_core::threshold::wire::signed::{self};

use super::fixture::*;

fn open(d: &std::path::Path, r: &CommitteeRoster, i: u8) -> Result<Member, CommitteeError> {
    let mut m = Member::open(&db(d, i), r, i, &seed(i), &kem_seed(i), DESIGN)?;
    m.admit_unverified();
    Ok(m)
}

/// Commitments and reveals through bytes; returns them (the public messages for `Combination::observe`).
fn commit_and_reveal(members: &mut [Member]) -> Vec<Vec<u8>> {
    let commits: Vec<Vec<u8>> = members.iter_mut().map(|m| m.commit().unwrap()).collect();
    for m in members.iter_mut() {
        for c in &commits {
            m.accept(c).unwrap();
        }
    }
    let reveals: Vec<Vec<u8>> = members.iter().map(|m| m.reveal().unwrap()).collect();
    for m in members.iter_mut() {
        for r in &reveals {
            m.accept(r).unwrap();
        }
    }
    commits.into_iter().chain(reveals).collect()
}

/// Every dealt part (each member also deals to itself) but the pairs `skip` (dealer, holder).
fn deal(members: &mut [Member], skip: &[(u8, u8)]) {
    for d in 0..members.len() {
        for h in 0..members.len() {
            let (dd, hh) = (d as u8 + 1, h as u8 + 1);
            if skip.contains(&(dd, hh)) {
                continue;
            }
            let bytes = members[d].deal_to(hh).unwrap();
            members[h].accept_sealed(&bytes).unwrap();
        }
    }
}

fn clinics(a: &[C; N], b: &[[C; N]], rng: &mut ChaCha20Rng) -> Vec<Submission> {
    let plain =
        zkfl_core::bfv::PlainModulus::new(plaintext_modulus(DESIGN.clinics, DESIGN.b_int).unwrap())
            .unwrap();
    let a_ntt = Box::new(NttPoly::<N, K>::from_poly(&Pl { coeffs: *a }));
    let b_ntt: Vec<NttPoly<N, K>> = b
        .iter()
        .map(|c| NttPoly::from_poly(&Pl { coeffs: *c }))
        .collect();
    (0..3)
        .map(|i| {
            let m: [i64; N] = core::array::from_fn(|_| (rng.next_u64() % 201) as i64 - 100);
            let mut c1 = Box::new(Pl::zero());
            let mut c0 = vec![Pl::zero()];
            zkfl_core::bfv::encrypt::<P, N, K>(&a_ntt, &b_ntt, plain, &[m], rng, &mut c1, &mut c0)
                .unwrap();
            Submission {
                clinic: 100 + i,
                c1: Box::new(c1.coeffs),
                c0: c0.iter().map(|p| p.coeffs).collect(),
                proof: Vec::new(),
            }
        })
        .collect()
}

/// Holds the write lock of `path` (another SQLite connection, as a concurrent process or a full disk would make
/// the member's write fail) for longer than the member's busy timeout (10 s).
fn hold_write_lock(path: &std::path::Path) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch("BEGIN IMMEDIATE").unwrap();
    c
}

/// R16-1 (idea 1, durability of the R15-2 no-op) — fixed after the review: a digest counts as a repeat only once
/// its message is logged, so the retry below is logged; as found: `accept_sealed` applied a dealt part and recorded its digest in
/// memory *before* `MemberStore::log` writes it; when that write fails the member reports `Storage`, but the
/// relay's retry of the very same envelope is then the R15-2 "repeat": `Ok(())`, nothing logged. The member is
/// ready, the service believes the part is stored; after a restart the part is gone (holdings incomplete: the
/// member can no longer answer in this epoch) until someone happens to relay it again.
#[test]
fn rev16_1_a_failed_log_write_then_the_replay_no_op_loses_a_dealt_part_across_restart() {
    big_stack(|| {
        let d = dir("lostpart");
        let r = roster();
        let mut members: Vec<Member> = (1..=5).map(|i| open(&d, &r, i).unwrap()).collect();
        let public = commit_and_reveal(&mut members);
        deal(&mut members, &[(2, 5)]);
        let envelope = members[1].deal_to(5).unwrap();

        // Refusal first: a replayed body with one byte changed under the original signature is not a repeat:
        // the signature is verified before the digest is taken (`signed::verify_signed`), so `Relay`.
        let mut changed = public[1].clone();
        let last = changed.len() - signed::SIGNED_OVERHEAD - 1;
        changed[last] ^= 1;
        let res = members[4].accept(&changed);
        assert!(matches!(res, Err(CommitteeError::Relay(_))), "{res:?}");
        // A genuine repeat is the R15-2 no-op.
        members[4].accept(&public[1]).unwrap();

        let lock = hold_write_lock(&db(&d, 5));
        let first = members[4].accept_sealed(&envelope);
        assert!(
            matches!(first, Err(CommitteeError::Storage(_))),
            "{first:?}"
        );
        lock.execute_batch("COMMIT").unwrap();
        drop(lock);
        // The relay retries the envelope the member reported as not stored. Fixed after the review (R16-1): the
        // retry is logged now (not skipped as a repeat), so the part survives the restart.
        members[4].accept_sealed(&envelope).unwrap();
        assert!(members[4].ready(), "in memory the part is held");
        drop(members.remove(4));
        let mut reopened = open(&d, &r, 5).unwrap();
        assert!(
            reopened.ready(),
            "after the restart the dealt part the member acknowledged must be in its log (R16-1)"
        );
        // A later repeat is the R15-2 no-op.
        reopened.accept_sealed(&envelope).unwrap();
        assert!(reopened.ready());
        let _ = std::fs::remove_dir_all(&d);
    });
}

/// Counts of (spent markers, stored replies) of `path` read in one snapshot (one read transaction).
fn spent_and_replies(path: &std::path::Path) -> (i64, i64) {
    let mut c = rusqlite::Connection::open(path).unwrap();
    let tx = c.transaction().unwrap();
    let count = |table: &str| -> i64 {
        tx.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    (count("spent"), count("replies"))
}

/// R16-2 (idea 4, durable state of a round) — fixed after the review. As found: `Member::respond` spent the
/// "answered" and decryption markers (`spend_all`, durable) *before* it computed and proved the shares and only
/// then stored the reply (`store_reply`); a failure (crash, or a write that fails) in that window, which lasted
/// the whole proving time, left the aggregate answered with no stored reply: the same request again was
/// `AlreadyDecrypted`, the round could not complete under any present set and one decryption of budget was
/// lost. Fixed: the markers are only staged while the shares and proofs are made, then written with the reply
/// in one `BEGIN IMMEDIATE` transaction (`MemberStore::commit_answer`).
///
/// The test watches the member's database from another connection and, as soon as the answer's two markers
/// are visible, takes the write lock past the member's busy timeout (what made `store_reply` fail before the
/// fix, as a crash at that point would). Now the markers are never visible without the reply (same snapshot),
/// the answer is delivered, and the repeated request gets the stored bytes, byte-identical, with exactly one
/// decryption counted. Before the fix this test fails at `first` (`Storage`), and the repeat was
/// `AlreadyDecrypted`. Second half: a write that fails at the commit itself (the lock held throughout) leaves
/// nothing spent and nothing stored, and the retry answers.
#[test]
fn rev16_2_a_failure_between_spend_and_stored_reply_no_longer_loses_the_answer() {
    big_stack(|| {
        let d = dir("lostreply");
        let r = roster();
        let mut members: Vec<Member> = (1..=5).map(|i| open(&d, &r, i).unwrap()).collect();
        commit_and_reveal(&mut members);
        deal(&mut members, &[]);
        let (a, b) = members[0].committee_key().unwrap();
        let mut agg = Combination::new(&r, DESIGN, a.clone(), b.clone()).unwrap();
        agg.admit_unverified();
        let mut rng = ChaCha20Rng::seed_from_u64(16);
        let subs = clinics(&a, &b, &mut rng);
        let receipts: Vec<Vec<u8>> = (0..4)
            .map(|i| members[i].receipt(1, &subs).unwrap())
            .collect();
        let present = mask(&[1, 2, 3, 4]);
        let p = agg.present(1, &subs, present).unwrap();
        let path = db(&d, 1);
        let (baseline, replies0) = spent_and_replies(&path);
        let (tx, rx) = std::sync::mpsc::channel();
        let watched = path.clone();
        let locker = std::thread::spawn(move || {
            let seen = loop {
                let (spent, replies) = spent_and_replies(&watched);
                if spent >= baseline + 2 {
                    break replies;
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            };
            let lock = hold_write_lock(&watched);
            tx.send(seen).unwrap();
            std::thread::sleep(std::time::Duration::from_secs(12));
            lock.execute_batch("COMMIT").unwrap();
        });
        let first = members[0].answer(1, &subs, &p, &receipts);
        let replies_with_markers = rx.recv().unwrap();
        locker.join().unwrap();
        assert_eq!(
            replies_with_markers,
            replies0 + 1,
            "the answer's markers were durable without its reply (R16-2)"
        );
        let first = first.expect("the answer must be delivered (R16-2)");
        // The same request again: the stored bytes, byte-identical; no second decryption.
        let again = members[0].answer(1, &subs, &p, &receipts).unwrap();
        assert_eq!(again, first, "a repeat is the stored reply");
        assert_eq!(spent_and_replies(&path), (baseline + 2, replies0 + 1));

        // A write that fails at the commit (lock held from before the request until after it): nothing spent,
        // nothing stored, a typed error; the retry answers and counts one decryption.
        let path2 = db(&d, 2);
        let before = spent_and_replies(&path2);
        let lock = hold_write_lock(&path2);
        let failed = members[1].answer(1, &subs, &p, &receipts);
        lock.execute_batch("COMMIT").unwrap();
        drop(lock);
        assert!(
            matches!(failed, Err(CommitteeError::Storage(_))),
            "{failed:?}"
        );
        assert_eq!(spent_and_replies(&path2), before, "nothing written");
        let retried = members[1].answer(1, &subs, &p, &receipts).unwrap();
        assert_eq!(spent_and_replies(&path2), (before.0 + 2, before.1 + 1));
        assert_eq!(members[1].answer(1, &subs, &p, &receipts).unwrap(), retried);
        // Another present set for the answered aggregate is still refused (§3.2).
        let p2 = agg.present(1, &subs, mask(&[2, 3, 4])).unwrap();
        assert!(matches!(
            members[1].answer(1, &subs, &p2, &receipts),
            Err(CommitteeError::Threshold(
                ThresholdError::AlreadyDecrypted { .. }
            ))
        ));
        let _ = std::fs::remove_dir_all(&d);
    });
}

/// R16-3 (ideas 2 and 3). (a) Fixed after the review: the header mismatch now excludes the sender
/// (`ExclusionReason::Header`) and the round completes with supplements, bit-exact; as found: a cheating member
/// escaped the typed `Exclusion`: its share set's header claimed
/// another present set; `Combination::checked_answer` treats that as the transport's `Protocol` error for the
/// whole combination, not an exclusion, so no helper may supplement its slots (`combine_excluding` refuses a
/// supplement "for a member who was not excluded") and leaving it out is `ShareSetMismatch`: the round stops
/// instead of being completed without the cheater as §3.2.1 promises (it could also stop it by silence; the
/// difference is that the refusal is not the typed exclusion §16.4 item 5 says is returned and published).
/// (b) Fixed after the review (R16-3b): as found, supplements were answered on the aggregator's word alone (an
/// honest member gave, for one aggregate, its regular answer and one supplement per other member of P, each a
/// decryption of its budget, with no failed proof anywhere); now a helper answers only against the excluded
/// member's signed answer that fails its own checks (`Member::supplement`'s evidence, docs/THRESHOLD.md §15.3).
#[test]
fn rev16_3_a_cheater_is_excluded_and_supplements_need_evidence() {
    big_stack(|| {
        let d = dir("cheat");
        let r = roster();
        let mut members: Vec<Member> = (1..=5).map(|i| open(&d, &r, i).unwrap()).collect();
        let public = commit_and_reveal(&mut members);
        deal(&mut members, &[]);
        let (a, b) = members[0].committee_key().unwrap();
        let mut agg = Combination::new(&r, DESIGN, a.clone(), b.clone()).unwrap();
        agg.admit_unverified();
        for m in &public {
            agg.observe(m).unwrap();
        }
        let mut rng = ChaCha20Rng::seed_from_u64(16);
        let subs = clinics(&a, &b, &mut rng);
        let receipts: Vec<Vec<u8>> = (0..4)
            .map(|i| members[i].receipt(1, &subs).unwrap())
            .collect();
        let present = mask(&[1, 2, 3, 4]);
        let p = agg.present(1, &subs, present).unwrap();
        let mut answers: Vec<(u8, Vec<u8>)> = (0..4)
            .map(|i| {
                (
                    i as u8 + 1,
                    members[i].answer(1, &subs, &p, &receipts).unwrap(),
                )
            })
            .collect();

        let honest = agg.combine(1, &subs, present, &answers).unwrap();
        // (a) member 3 rewrites the present set of its share-set header (offset HEADER + 40, u32 LE).
        let at = zkfl_core::threshold::wire::HEADER_BYTES + 40;
        answers[2].1[at..at + 4].copy_from_slice(&mask(&[1, 2, 3, 5]).to_le_bytes());
        // Signed by member 3 itself for the request it was sent (§15.3): its own doing, not the path's.
        super::tests::resign(&r, 3, &p, 0, &mut answers[2].1);
        let res = agg.combine(1, &subs, present, &answers);
        match &res {
            Err(CommitteeError::Excluded(e)) => assert!(
                e.len() == 1 && e[0].member == 3 && e[0].reason == ExclusionReason::Header,
                "{e:?}"
            ),
            other => panic!("the header cheat must exclude member 3 (R16-3a): {other:?}"),
        }
        let helpers = agg.helpers(present, mask(&[3]));
        let supplements: Vec<(u8, Vec<u8>)> = helpers
            .iter()
            .map(|&(y, x)| {
                (
                    y,
                    members[usize::from(y) - 1]
                        .supplement(1, &subs, &p, &receipts, x, &answers[usize::from(x) - 1].1)
                        .unwrap(),
                )
            })
            .collect();
        // Fixed: member 3 is excluded and the helpers' supplements complete the round, bit-exact.
        let done = agg
            .combine_excluding(1, &subs, present, &answers, &supplements)
            .unwrap();
        assert_eq!(done.chunks, honest);
        assert!(done.excluded.iter().any(|e| e.member == 3));
        let without: Vec<(u8, Vec<u8>)> =
            answers.iter().filter(|(m, _)| *m != 3).cloned().collect();
        // Supplements for 3 need 3 excluded: with no exclusion no supplement is expected, so each is a message
        // the relay made or misrouted (`Relay`, review 26 R26-2: x is never read from the bytes); and without
        // them the senders are not P (`Combiner::decrypt`: ShareSetMismatch).
        let res = agg.combine_excluding(1, &subs, present, &without, &supplements);
        assert!(matches!(res, Err(CommitteeError::Relay(_))), "{res:?}");
        let res = agg.combine(1, &subs, present, &without);
        assert!(
            matches!(
                res,
                Err(CommitteeError::Threshold(
                    ThresholdError::ShareSetMismatch { .. }
                ))
            ),
            "{res:?}"
        );

        // (b) Fixed after the review (R16-3b): a helper supplements only on evidence. Member 4, honest, already
        // answered; asked to supplement for the honest members 1 and 2 it refuses (`NoEvidence`) without
        // evidence, with their honest signed answers (which pass its own checks), with member 1's answer changed
        // on the path (+Δ, signature kept: the signature fails), with member 3's failing answer offered for
        // member 1, and with member 1's answer under another present set; nothing is spent. Member 3's signed
        // failing answer gets the supplement for member 3.
        let path = db(&d, 4);
        let before = spent_rows(&path);
        let no_evidence = |res: Result<Vec<u8>, CommitteeError>, x: u8| match res {
            Err(CommitteeError::NoEvidence { excluded, .. }) if excluded == x => {}
            other => panic!(
                "supplement for {x}: expected NoEvidence, got {:?}",
                other.map(|b| b.len())
            ),
        };
        for x in [1u8, 2] {
            let honest = &answers[usize::from(x) - 1].1;
            no_evidence(members[3].supplement(1, &subs, &p, &receipts, x, &[]), x);
            no_evidence(members[3].supplement(1, &subs, &p, &receipts, x, honest), x);
        }
        let mut changed = answers[0].1.clone();
        super::tests::add_delta(&mut changed, 5);
        no_evidence(
            members[3].supplement(1, &subs, &p, &receipts, 1, &changed),
            1,
        );
        no_evidence(
            members[3].supplement(1, &subs, &p, &receipts, 1, &answers[2].1),
            1,
        );
        // Under another present set member 4, which answered under P, now refuses before any evidence check
        // (review 17, R17-2: one present set per aggregate, `AlreadyDecrypted`).
        let p5 = agg.present(1, &subs, mask(&[1, 2, 4, 5])).unwrap();
        let other_p = |res: Result<Vec<u8>, CommitteeError>| {
            assert!(
                matches!(
                    res,
                    Err(CommitteeError::Threshold(
                        ThresholdError::AlreadyDecrypted { .. }
                    ))
                ),
                "{:?}",
                res.map(|b| b.len())
            );
        };
        other_p(members[3].supplement(1, &subs, &p5, &receipts, 1, &answers[0].1));
        other_p(members[3].supplement(1, &subs, &p5, &receipts, 5, &[]));
        assert_eq!(
            spent_rows(&path),
            before,
            "a refused supplement spends nothing"
        );
        // With member 3's signed failing answer: answered (resent from storage if member 4 helped above).
        let evidence = &answers[2].1;
        members[3]
            .supplement(1, &subs, &p, &receipts, 3, evidence)
            .unwrap();
        let after = spent_rows(&path);
        let helped_3 = helpers.iter().any(|&(y, _)| y == 4);
        assert_eq!(after - before, if helped_3 { 0 } else { 2 });
        // Refusals: x = the member itself and x outside P (NotInPresentSet); x = 0 (`Member::supplement`:
        // Protocol); nothing spent.
        for (x, want) in [
            (4u8, "NotInPresentSet"),
            (5, "NotInPresentSet"),
            (0, "Protocol"),
        ] {
            let res = members[3].supplement(1, &subs, &p, &receipts, x, evidence);
            let got = match &res {
                Err(CommitteeError::Threshold(ThresholdError::NotInPresentSet { .. })) => {
                    "NotInPresentSet"
                }
                Err(CommitteeError::Protocol(_)) => "Protocol",
                _ => "other",
            };
            assert_eq!(got, want, "x = {x}: {res:?}");
        }
        assert_eq!(spent_rows(&path), after);
        let _ = std::fs::remove_dir_all(&d);
    });
}

/// Idea 3, refused: a cheating member sends two answers (its honest one and a corrupted one) hoping to be both
/// kept and excluded, so its slots are counted twice (its share plus the helpers' supplements) and the result
/// shifts. `Combiner::decrypt_excluding` refuses a share set from an excluded member (the kept senders must be
/// exactly P \ E) or a repeated sender (`Duplicate`); the published result is never a wrong value.
#[test]
fn rev16_4_a_member_answering_twice_is_never_counted_twice() {
    big_stack(|| {
        let d = dir("twice");
        let r = roster();
        let mut members: Vec<Member> = (1..=5).map(|i| open(&d, &r, i).unwrap()).collect();
        let public = commit_and_reveal(&mut members);
        deal(&mut members, &[]);
        let (a, b) = members[0].committee_key().unwrap();
        let mut agg = Combination::new(&r, DESIGN, a.clone(), b.clone()).unwrap();
        agg.admit_unverified();
        for m in &public {
            agg.observe(m).unwrap();
        }
        let mut rng = ChaCha20Rng::seed_from_u64(16);
        let subs = clinics(&a, &b, &mut rng);
        let receipts: Vec<Vec<u8>> = (0..4)
            .map(|i| members[i].receipt(1, &subs).unwrap())
            .collect();
        let present = mask(&[1, 2, 3, 4]);
        let p = agg.present(1, &subs, present).unwrap();
        let answers: Vec<(u8, Vec<u8>)> = (0..4)
            .map(|i| {
                (
                    i as u8 + 1,
                    members[i].answer(1, &subs, &p, &receipts).unwrap(),
                )
            })
            .collect();
        let reference = agg.combine(1, &subs, present, &answers).unwrap();
        let mut bad = answers[2].clone();
        let at = zkfl_core::threshold::wire::HEADER_BYTES + 44 + 7 * 11;
        bad.1[at] ^= 1;
        super::tests::resign(&r, 3, &p, 0, &mut bad.1);
        let helpers = agg.helpers(present, mask(&[3]));
        let supplements: Vec<(u8, Vec<u8>)> = helpers
            .iter()
            .map(|&(y, x)| {
                (
                    y,
                    members[usize::from(y) - 1]
                        .supplement(1, &subs, &p, &receipts, x, &bad.1)
                        .unwrap(),
                )
            })
            .collect();
        for order in [true, false] {
            let mut twice = answers.clone();
            if order {
                twice.push(bad.clone());
            } else {
                twice.insert(2, bad.clone());
            }
            let res = agg.combine_excluding(1, &subs, present, &twice, &supplements);
            eprintln!(
                "rev16_4 (bad {}): {:?}",
                if order { "last" } else { "first" },
                res.as_ref().map(|c| &c.excluded)
            );
            // `Combiner::decrypt_excluding`: the kept senders {1, 2, 3, 4} are not P \ E = {1, 2, 4}.
            assert!(
                matches!(
                    res,
                    Err(CommitteeError::Threshold(
                        ThresholdError::ShareSetMismatch { .. }
                    ))
                ),
                "{:?}",
                res.map(|c| c.chunks == reference)
            );
        }
        let _ = std::fs::remove_dir_all(&d);
    });
}
