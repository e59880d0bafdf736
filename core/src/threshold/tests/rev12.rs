//! Review 12 (independent reviewer, docs/THRESHOLD.md §14, R12-1): the assumption of §3.1.1 step 0, in code.
//!
//! The F2 fix of review 11 binds ρ_R into the epoch, so members that complete one ceremony hold one roster. It
//! does not make the roster *correct*: honest members whose roster holds their own genuine keys but the
//! aggregator's key for enough other members run a complete ceremony with the adversary (every commitment is
//! made under their epoch), get complete holdings and one key identity, and deal their part of every slot to an
//! adversarial holder, so the adversary alone knows the committee secret and reads every clinic that encrypts
//! under that key. With t − 1 corrupt members one substituted roster entry is enough, and "each member confirms
//! its own key" does not catch it. These tests pin that the core cannot see this — the roster must come from a
//! PKI the aggregator does not control (§3.1.1 step 0, §9) — so that whoever adds that check to the service
//! turns them into refusal tests.
//! Run: cargo test -p zkfl-core --lib threshold::tests::rev12 -- --nocapture
use super::*;

/// Runs the ceremony of the roster in which the entries of `substituted` (1-based members) are the
/// aggregator's keys, with `honest` the honest members (each confirms its own key in the roster), the rest
/// corrupt. Returns after checking: every honest member gets complete holdings with one key identity, the
/// adversary reconstructs s_j from the parts it was dealt, decrypts clinics under the key alone, and honest
/// member `honest[0]` answers an aggregate under it with a receipt quorum that includes the aggregator's keys.
fn substituted_roster_ceremony(substituted: &[u8], honest: &[u8], seed: u64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let c = committee();
    let (ids, real) = identities();
    let fake: Vec<SigningKey> = (0..5u8)
        .map(|i| SigningKey::from_seed(&[200 + i; 32]))
        .collect();
    let mut roster = real.clone();
    for &m in substituted {
        roster[m as usize - 1] = fake[m as usize - 1].verifying_key();
    }
    // "Each member confirms its own key in it": every honest member's key is there, at its index.
    for &h in honest {
        assert_eq!(
            roster[h as usize - 1].as_bytes(),
            real[h as usize - 1].as_bytes()
        );
    }
    let e = Epoch::new(epoch().crs, epoch().epoch, c, &roster).unwrap();
    assert_ne!(e, epoch());

    // Every member runs the honest code under e (the corrupt ones and the aggregator too).
    let dealers: Vec<Dealer> = (1..=MEMBERS as u8)
        .map(|i| Dealer::generate(&e, i, &mut rng).unwrap())
        .collect();
    let published: Vec<Vec<Pl>> = dealers.iter().map(public_shares).collect();
    // The honest members' ceremony under e: every commitment opens, no CommitmentMismatch.
    let mut ceremony = KeyCeremony::new(e);
    for (d, p) in dealers.iter().zip(&published) {
        ceremony
            .commit(d.member(), commitment(&e, d.member(), p))
            .unwrap();
    }
    let mut b = vec![Pl::zero(); CHUNKS];
    let mut slot_keys = vec![Pl::zero(); c.slots() * CHUNKS];
    for (d, p) in dealers.iter().zip(&published) {
        ceremony
            .reveal::<P, N>(d.member(), p, &mut b, &mut slot_keys)
            .unwrap();
    }
    assert!(ceremony.complete());
    let mut a = Box::new(Pl::zero());
    public_a::<P, N>(&e.crs, &mut a);
    let a_ntt = Box::new(NttPoly::<N, K>::from_poly(&*a));
    // Holdings under this roster are accepted (it hashes to e's ρ_R), for every member.
    let mut hold: Vec<Box<Holdings>> = (1..=MEMBERS as u8)
        .map(|h| {
            let mut held = Box::new(Holdings::new(&ceremony, h, &roster, &plan()).unwrap());
            held.accept_unverified_admissions();
            held
        })
        .collect();
    for (d, p) in dealers.iter().zip(&published) {
        for u in 0..c.slots() {
            for h in (1..=MEMBERS as u8).filter(|&h| c.holds(h, u)) {
                let seed = d.deal(&e, u, h).unwrap();
                hold[h as usize - 1]
                    .accept::<P, N, K>(
                        &ceremony,
                        d.member(),
                        u,
                        seed,
                        &mut scratch(),
                        &p[u * CHUNKS..(u + 1) * CHUNKS],
                    )
                    .unwrap();
            }
        }
    }
    let (_, id) = round_key_id(&a, &b);
    for &h in honest {
        assert!(
            hold[h as usize - 1].complete(),
            "honest member {h} holds a complete key"
        );
        assert_eq!(*hold[h as usize - 1].key_id(), id, "one key identity");
    }

    // Every slot has an adversarial holder (corrupt or substituted), which received every dealer's part.
    let adversary: Vec<u8> = (1..=MEMBERS as u8)
        .filter(|m| !honest.contains(m))
        .collect();
    let mut s: Vec<Pl> = vec![Pl::zero(); CHUNKS];
    let mut tmp = Box::new(Pl::zero());
    for u in 0..c.slots() {
        let h = adversary
            .iter()
            .copied()
            .find(|&h| c.holds(h, u))
            .expect("an adversarial holder");
        for (j, sj) in s.iter_mut().enumerate() {
            hold[h as usize - 1].add_slot_secret::<P, N>(u, j, &mut *tmp, sj);
        }
    }

    // Clinics encrypting under this committee key are read one by one by the adversary alone.
    let b_ntt: Vec<NttPoly<N, K>> = b.iter().map(NttPoly::from_poly).collect();
    let mut cts: Vec<Ct> = Vec::new();
    for _ in 0..CLINICS {
        let m: Vec<[i64; N]> = (0..CHUNKS)
            .map(|_| core::array::from_fn(|_| (rng.next_u64() % 201) as i64 - 100))
            .collect();
        let mut c1 = Box::new(Pl::zero());
        let mut c0: Vec<Pl> = vec![Pl::zero(); CHUNKS];
        encrypt::<P, N, K>(&a_ntt, &b_ntt, plain(), &m, &mut rng, &mut c1, &mut c0).unwrap();
        let c1_ntt = Box::new(NttPoly::<N, K>::from_poly(&*c1));
        for j in 0..CHUNKS {
            let mut sn = Box::new(NttPoly::<N, K>::from_poly(&s[j]));
            sn.mul_assign(&*c1_ntt);
            let mut phase = Box::new(Pl::zero());
            sn.inverse_into(&mut *phase);
            phase.add_assign(&c0[j]);
            let mut out = Box::new([0i64; N]);
            plain().decode(&*phase, &mut out);
            assert_eq!(
                *out, m[j],
                "individual update read without any honest share"
            );
        }
        cts.push(Ct {
            key: id,
            m,
            c1: Box::new(c1.coeffs),
            c0: c0.iter().map(|p| p.coeffs).collect(),
        });
    }
    std::println!(
        "roster with the aggregator's keys for {substituted:?}: honest members {honest:?} got complete \
         holdings with one key identity; the adversary alone decrypted {CLINICS} individual ciphertexts"
    );

    // And an honest member answers under this key: its quorum check passes with the aggregator's receipts.
    let mut adm = admit(&cts);
    let mut c0a = vec![Pl::zero(); CHUNKS];
    let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0a).unwrap();
    let keys: Vec<&SigningKey> = (1..=MEMBERS as u8)
        .map(|m| {
            if substituted.contains(&m) {
                &fake[m as usize - 1]
            } else {
                &ids[m as usize - 1]
            }
        })
        .collect();
    let mut spent: Vec<Spent> = vec![Spent::default(); MEMBERS as usize];
    let mut receipts = Vec::new();
    for m in 1..=MEMBERS as u8 {
        let i = m as usize - 1;
        receipts.push(sign_receipt(&hold[i], keys[i], &agg, &mut spent[i], &mut rng).unwrap());
    }
    let me = honest[0];
    let smudger = Smudger::new(&plan()).unwrap();
    let mut maker = Box::new(ShareMaker::<P, N, K>::new());
    let mut out = vec![Pl::zero(); CHUNKS];
    let spend = Spend {
        roster: &roster,
        receipts: &receipts,
    };
    let present = mask(&[1, 2, me]);
    maker
        .make(
            &hold[me as usize - 1],
            &agg,
            present,
            &spend,
            &smudger,
            &mut spent[me as usize - 1],
            &mut rng,
            &mut out,
        )
        .unwrap();
    std::println!("honest member {me} answered an aggregate under that key");
}

/// Member 3 alone is given a roster with the aggregator's keys for 4 and 5 (review 11 F2's precondition).
#[test]
fn rev12_member_with_an_aggregator_roster_gets_holdings_for_a_key_the_adversary_knows() {
    big_stack(|| substituted_roster_ceremony(&[4, 5], &[3], 1201));
}

/// Members 3 and 4 get the same roster, in which only member 5's entry is the aggregator's: both complete the
/// ceremony together and agree on the key, yet coalition {1, 2} plus the substituted entry hold every slot.
#[test]
fn rev12_one_substituted_roster_entry_gives_the_adversary_the_key() {
    big_stack(|| substituted_roster_ceremony(&[5], &[3, 4], 1202));
}
