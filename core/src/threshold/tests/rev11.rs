//! Review 11 (independent reviewer) attacks, as refusal tests (docs/THRESHOLD.md §13).
//!
//! F1: an honest member answered an aggregate admitted under a key that is not its epoch's committee key. Three
//! adversarial clinics prove genuine norm proofs under a forged `RoundKey` whose `a` is the constant 2^60; the
//! spend quorum signed, honest member 3 answered with present set {1, 2, 3}, and its share revealed its assigned
//! slot part R_{1,2} exactly (then S₁ + S₂ + S₃ = s_j from three honest shares of one round). Now the holdings
//! carry the key identity the member computed from its own ceremony and plan, and `sign_receipt` and `make`
//! refuse any other with `WrongKey` before anything is recorded.
//!
//! F2: honest members set up with different rosters (member 3's with the aggregator's keys for 4 and 5, member
//! 4's with its keys for 3 and 5) completed the ceremony normally, and each then answered one of two
//! overlapping aggregates under a "quorum" of its own roster: dec(A) − dec(B) = m_w. Now ρ_R is part of the
//! `Epoch`, hence of every commitment and part seed: such a member's reveal check fails with
//! `CommitmentMismatch`, dealing to it fails, and it never gets holdings.
//! Run: cargo test -p zkfl-core --lib threshold::tests::rev11 -- --nocapture
use super::*;
use crate::zk::prove::{SliceUpdate, Witness, prove};
use crate::zk::statement::{Context, Statement};

/// Ciphertexts of three clinics under the forged a′ = 2^60 with u₁ = 1, u₂ = X, u₃ = −X (distinct c1, Σu = 1),
/// their updates, and a′.
fn forged_key_ciphertexts(k: &Keyed, rng: &mut ChaCha20Rng) -> (Vec<Ct>, Box<Pl>) {
    let delta = plain().delta();
    let mut a_forged = Box::new(Pl::zero());
    a_forged.coeffs[0] = M::from_i64(1 << 60);
    let small = |rng: &mut ChaCha20Rng, r: u64| -> [i64; N] {
        core::array::from_fn(|_| (rng.next_u64() % (2 * r + 1)) as i64 - r as i64)
    };
    let us: [[i64; N]; 3] = [
        core::array::from_fn(|i| i64::from(i == 0)),
        core::array::from_fn(|i| i64::from(i == 1)),
        core::array::from_fn(|i| -i64::from(i == 1)),
    ];
    let b: Vec<[C; N]> = k.b.iter().map(|p| p.coeffs).collect();
    let key = forged_key(&a_forged, &b).id();
    let cts = us
        .iter()
        .map(|u| {
            let m: Vec<[i64; N]> = (0..CHUNKS).map(|_| small(rng, 100)).collect();
            let up = Box::new(Pl::from_i64(u));
            let mut c1 = Box::new(Pl::zero());
            crate::ring::poly::mul::<M, N, 7>(&a_forged, &up, &mut c1);
            c1.add_assign(&Pl::from_i64(&small(rng, 2)));
            let c0 = m
                .iter()
                .zip(&k.b)
                .map(|(mj, bj)| {
                    let mut cj = Box::new(Pl::zero());
                    crate::ring::poly::mul::<M, N, 7>(bj, &up, &mut cj);
                    cj.add_assign(&Pl::from_i64(&small(rng, 2)));
                    let mut dm = Pl::from_i64(mj);
                    dm.scalar_mul_assign(delta);
                    cj.add_assign(&dm);
                    cj.coeffs
                })
                .collect();
            Ct {
                key,
                m,
                c1: Box::new(c1.coeffs),
                c0,
            }
        })
        .collect();
    (cts, a_forged)
}

/// The aggregator's forged round key: a′, the committee's b, another epoch number (99).
fn forged_key<'a>(a: &'a Pl, b: &'a [[C; N]]) -> RoundKey<'a, M, N> {
    RoundKey::<M, N> {
        set_id: P::ID,
        a: &a.coeffs,
        b,
        epoch: 99,
        round: ROUND,
        t: plaintext_modulus(1024, B_INT).unwrap(),
        bound: B_INT,
    }
}

/// Every honest member refuses the forged-key aggregate, at the receipt and at the answer, with `WrongKey`, and
/// its ledgers stay empty; even with the coalition's receipts in hand, member 3's `make` refuses.
fn assert_refused(k: &Keyed, agg: &Aggregate<'_, '_, M, N>, rng: &mut ChaCha20Rng) {
    assert_ne!(*agg.key_id(), k.key, "not the epoch's key");
    let mut l = ledgers();
    for h in 1..=MEMBERS as u8 {
        assert_eq!(
            receipt(k, &mut l, h, agg, rng).unwrap_err(),
            ThresholdError::WrongKey
        );
        assert!(l.spent[h as usize - 1].0.is_empty(), "nothing recorded");
    }
    // The coalition's receipts, signed by the adversary outside the honest path.
    let (ids, _) = identities();
    let rho = *k.holdings[0].roster();
    let receipts: Vec<SpendReceipt> = [1u8, 2, 4, 5]
        .iter()
        .map(|&m| forged_receipt(&ids[m as usize - 1], &rho, m, agg, rng))
        .collect();
    assert_eq!(
        answer(k, &mut l, 3, agg, mask(&[1, 2, 3]), &receipts, rng).unwrap_err(),
        ThresholdError::WrongKey
    );
    assert!(l.spent[2].0.is_empty(), "nothing recorded");
}

/// F1, fast variant (CI): the forged-key ciphertexts admitted as the aggregator's `Admitted::verify` would admit
/// them (recording the forged key's identity), without the three set-L proofs. Before the fix every honest member
/// signed and member 3 answered.
#[test]
fn rev11_foreign_round_key_is_refused() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1111);
        let k = keygen(&mut rng);
        let (cts, _) = forged_key_ciphertexts(&k, &mut rng);
        let mut adm = admit(&cts);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        assert_refused(&k, &agg, &mut rng);
    });
}

/// F1, the reviewer's full attack: genuine norm proofs under the forged key verify and the aggregate builds; the
/// honest members refuse it (≈ 3 s: three set-L proofs).
#[test]
fn rev11_foreign_round_key_leaks_a_slot_part() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1111);
        let k = keygen(&mut rng);
        let (cts, a_forged) = forged_key_ciphertexts(&k, &mut rng);
        let b: Vec<[C; N]> = k.b.iter().map(|p| p.coeffs).collect();
        let key = forged_key(&a_forged, &b);
        let stmts: Vec<Statement<'_, M, N>> = cts
            .iter()
            .map(|ct| Statement {
                pk_a: &a_forged.coeffs,
                pk_b: &b,
                c1: &ct.c1,
                c0: &ct.c0,
                t: key.t,
                bound: B_INT,
            })
            .collect();
        let us: [Vec<i64>; 3] = [
            (0..N).map(|i| i64::from(i == 0)).collect(),
            (0..N).map(|i| i64::from(i == 1)).collect(),
            (0..N).map(|i| -i64::from(i == 1)).collect(),
        ];
        let proofs: Vec<Vec<u8>> = stmts
            .iter()
            .zip(&cts)
            .zip(&us)
            .enumerate()
            .map(|(clinic, ((stmt, ct), u))| {
                let ctx = Context {
                    round: ROUND,
                    clinic: clinic as u64,
                };
                let mut out = vec![0u8; stmt.layout::<P>().unwrap().prove_buf_len()];
                let mut w = Witness {
                    u,
                    m: SliceUpdate(&ct.m),
                };
                let stats = prove::<P, N, _, _>(stmt, &ctx, &mut w, &mut rng, &mut out).unwrap();
                out.truncate(stats.len);
                out
            })
            .collect();
        let mut adm: Vec<Admitted<'_, M, N>> = stmts
            .iter()
            .zip(&proofs)
            .enumerate()
            .map(|(i, (st, pr))| {
                let ctx = Context {
                    round: ROUND,
                    clinic: i as u64,
                };
                Admitted::verify::<P>(&key, st, &ctx, pr)
                    .expect("genuine proofs under the forged key")
            })
            .collect();
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        assert_refused(&k, &agg, &mut rng);
        std::println!("forged-key aggregate with genuine proofs: refused by every honest member");
    });
}

/// F2: a member given another roster than the rest of the committee cannot complete the ceremony with them: its
/// `KeyCeremony` (under its own epoch, i.e. its own ρ_R) refuses the others' reveals, the others refuse its reveal,
/// the dealers refuse to deal to it under its epoch, and the common ceremony gives it no holdings under its
/// roster. Before the fix, members 3 and 4 with rosters r3 and r4 both got complete holdings and isolated an
/// honest clinic's update bit-exact.
#[test]
fn rev11_inconsistent_rosters_are_refused_at_the_ceremony() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1112);
        let k = keygen(&mut rng);
        let (_, real) = identities();
        let fake: Vec<SigningKey> = (0..5u8)
            .map(|i| SigningKey::from_seed(&[200 + i; 32]))
            .collect();
        let mut r3 = real.clone();
        r3[3] = fake[3].verifying_key();
        r3[4] = fake[4].verifying_key();
        let e3 = Epoch::new(epoch().crs, epoch().epoch, committee(), &r3).unwrap();
        assert_ne!(e3, epoch());
        let commitments = |k: &Keyed| -> Vec<[u8; 32]> {
            k.dealers
                .iter()
                .zip(&k.published)
                .map(|(d, p)| {
                    let e = if d.member() == 3 { e3 } else { epoch() };
                    commitment(&e, d.member(), p)
                })
                .collect()
        };
        let mut b = vec![Pl::zero(); CHUNKS];
        let mut sk = vec![Pl::zero(); committee().slots() * CHUNKS];
        // Member 3's own ceremony under e3: the others' commitments (made under the common epoch) do not open.
        let mut own = KeyCeremony::new(e3);
        for (m, c) in (1u8..).zip(commitments(&k)) {
            own.commit(m, c).unwrap();
        }
        assert_eq!(
            own.reveal::<P, N>(1, &k.published[0], &mut b, &mut sk)
                .unwrap_err(),
            ThresholdError::CommitmentMismatch { member: 1 }
        );
        // The others' ceremony: member 3's commitment under e3 does not open under the common epoch.
        let mut common = KeyCeremony::new(epoch());
        for (m, c) in (1u8..).zip(commitments(&k)) {
            common.commit(m, c).unwrap();
        }
        assert_eq!(
            common
                .reveal::<P, N>(3, &k.published[2], &mut b, &mut sk)
                .unwrap_err(),
            ThresholdError::CommitmentMismatch { member: 3 }
        );
        // Dealing under e3 is refused by a dealer of the common epoch.
        let c = committee();
        let u = (0..c.slots()).find(|&u| c.holds(3, u)).unwrap();
        assert_eq!(
            k.dealers[0].deal(&e3, u, 3).unwrap_err(),
            ThresholdError::WrongEpoch
        );
        // Holdings under the complete common ceremony with roster r3 are refused.
        assert_eq!(
            Holdings::new(&k.ceremony, 3, &r3, &plan()).unwrap_err(),
            ThresholdError::WrongRoster
        );
    });
}

/// F3: the decryption budget Q rested on a `DecryptionLedger` the caller made (`DecryptionLedger::new(0)` on
/// every call reset it). Now each answer spends the epoch's next decryption marker in the member's durable spent
/// ledger, together with its "answered" marker, and `make` refuses once Q are spent, whatever the caller does.
#[test]
fn rev11_decryption_count_lives_in_the_members_ledger() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1113);
        let k = keygen(&mut rng);
        let cts = clinics(&k, 2 * CLINICS, &mut rng);
        let mut adm1 = admit_in(&cts[..CLINICS], ROUND, 100);
        let mut adm2 = admit_in(&cts[CLINICS..], ROUND + 1, 200);
        let (mut c01, mut c02) = (vec![Pl::zero(); CHUNKS], vec![Pl::zero(); CHUNKS]);
        let agg1 = Aggregate::build(&plan(), ROUND, &mut adm1, &mut c01).unwrap();
        let agg2 = Aggregate::build(&plan(), ROUND + 1, &mut adm2, &mut c02).unwrap();
        let present = mask(&[1, 2, 3]);
        let mut l = ledgers();
        // Member 1 counts its answer; member 2's ledger already holds Q − 1 answers of the epoch.
        l.spent[1]
            .0
            .extend((0..DECRYPTIONS_PER_KEY - 1).map(|i| spend::decryption_marker(&epoch(), i)));
        member_shares(&k, &mut l, 1, &agg1, present, &mut rng).unwrap();
        assert_eq!(decryptions_taken(&epoch(), &l.spent[0]), 1);
        member_shares(&k, &mut l, 2, &agg1, present, &mut rng).unwrap();
        assert_eq!(
            decryptions_taken(&epoch(), &l.spent[1]),
            DECRYPTIONS_PER_KEY
        );
        // The next round: member 2 signs its receipt but its answer is refused, and nothing is counted.
        assert_eq!(
            member_shares(&k, &mut l, 2, &agg2, present, &mut rng).unwrap_err(),
            ThresholdError::KeyExhausted {
                limit: DECRYPTIONS_PER_KEY
            }
        );
        assert_eq!(
            decryptions_taken(&epoch(), &l.spent[1]),
            DECRYPTIONS_PER_KEY
        );
        // Member 1 answers the next round too: its count goes on from its ledger.
        member_shares(&k, &mut l, 1, &agg2, present, &mut rng).unwrap();
        assert_eq!(decryptions_taken(&epoch(), &l.spent[0]), 2);
    });
}
