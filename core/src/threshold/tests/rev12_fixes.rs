//! Review 12's open findings R12-3 to R12-7 (docs/THRESHOLD.md §14), each as a test that fails on the code
//! before its fix.
//! Run: cargo test -p zkfl-core --lib threshold::tests::rev12_fixes
use super::*;

/// The commit phase of `epoch()` with fresh dealers: the dealers, their revealed slot shares and the ceremony
/// waiting for its first reveal.
fn committed(rng: &mut ChaCha20Rng) -> (Vec<Dealer>, Vec<Vec<Pl>>, KeyCeremony) {
    let dealers: Vec<Dealer> = (1..=MEMBERS as u8)
        .map(|i| Dealer::generate(&epoch(), i, rng).unwrap())
        .collect();
    let published: Vec<Vec<Pl>> = dealers.iter().map(public_shares).collect();
    let mut ceremony = KeyCeremony::new(epoch());
    for (d, p) in dealers.iter().zip(&published) {
        ceremony
            .commit(d.member(), commitment(&epoch(), d.member(), p))
            .unwrap();
    }
    (dealers, published, ceremony)
}

/// R12-3: the key identity hashed whatever the caller's accumulator held. Now the first reveal refuses a
/// non-zero buffer and a later one a buffer changed since the previous reveal; the finished identity is the
/// digest of the sum of the checked reveals.
#[test]
fn rev12_3_the_ceremony_vouches_for_its_accumulators() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1203);
        let (_, published, mut ceremony) = committed(&mut rng);
        let slots = committee().slots() * CHUNKS;
        let (mut b, mut sk) = (vec![Pl::zero(); CHUNKS], vec![Pl::zero(); slots]);
        // A pre-loaded key buffer at the first reveal: nothing added.
        b[0].coeffs[0] = M::from_i64(1);
        assert_eq!(
            ceremony.reveal::<P, N>(1, &published[0], &mut b, &mut sk),
            Err(ThresholdError::AccumulatorMismatch)
        );
        b[0].coeffs[0] = M::from_i64(0);
        ceremony
            .reveal::<P, N>(1, &published[0], &mut b, &mut sk)
            .unwrap();
        // A buffer changed between reveals (key or slot keys): refused, and nothing added.
        for tamper_key in [true, false] {
            let target = if tamper_key { &mut b[1] } else { &mut sk[3] };
            target.coeffs[7] = M::add(target.coeffs[7], M::from_i64(1));
            let before = (b.clone(), sk.clone());
            assert_eq!(
                ceremony.reveal::<P, N>(2, &published[1], &mut b, &mut sk),
                Err(ThresholdError::AccumulatorMismatch)
            );
            assert!(b == before.0 && sk == before.1, "nothing added");
            let target = if tamper_key { &mut b[1] } else { &mut sk[3] };
            target.coeffs[7] = M::sub(target.coeffs[7], M::from_i64(1));
        }
        for m in 2..=MEMBERS as u8 {
            ceremony
                .reveal::<P, N>(m, &published[m as usize - 1], &mut b, &mut sk)
                .unwrap();
        }
        let mut a = Box::new(Pl::zero());
        public_a::<P, N>(&epoch().crs, &mut a);
        let (digest, _) = round_key_id(&a, &b);
        assert_eq!(ceremony.committee_key().unwrap(), (digest, CHUNKS));
    });
}

/// R12-4: `Holdings::accept` checked a part against whatever share and a the caller passed. A corrupt dealer 2
/// revealing one share to the ceremony and dealing the seed of another, with that other share, was accepted.
/// Now the share must be the one the member's ceremony recorded for (dealer, slot), a is the epoch's, and the
/// ceremony must be the one the holdings came from.
#[test]
fn rev12_4_a_dealt_part_is_checked_against_the_ceremonys_reveal() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1204);
        let c = committee();
        let honest = Dealer::generate(&epoch(), 2, &mut rng).unwrap();
        let revealed = public_shares(&honest);
        let cer = placeholder_ceremony(&[(2, &revealed)]);
        let mut h = holdings_after(&cer, 1);
        let u = (0..c.slots()).find(|&u| c.holds(1, u)).unwrap();
        let slot = |p: &[Pl]| p[u * CHUNKS..(u + 1) * CHUNKS].to_vec();
        // The equivocating dealer: another secret, its own consistent (seed, share) pair.
        let other = Dealer::generate(&epoch(), 2, &mut rng).unwrap();
        let other_share = slot(&public_shares(&other));
        assert_eq!(
            h.accept::<P, N, K>(&cer, 2, u, other.slot_seed(u), &mut scratch(), &other_share),
            Err(ThresholdError::UnrevealedShare { dealer: 2, slot: u })
        );
        // The right share, but checked under another ceremony than the holdings' own.
        let foreign = placeholder_ceremony(&[]);
        assert_eq!(
            h.accept::<P, N, K>(
                &foreign,
                2,
                u,
                honest.slot_seed(u),
                &mut scratch(),
                &slot(&revealed)
            ),
            Err(ThresholdError::WrongEpoch)
        );
        // A scratch pre-loaded with another a does not matter: a is expanded from the epoch's CRS.
        let mut junk = scratch();
        junk.set_from_poly(&Pl::from_i64(&[5; N]));
        h.accept::<P, N, K>(&cer, 2, u, honest.slot_seed(u), &mut junk, &slot(&revealed))
            .unwrap();
    });
}

/// A ledger in which another answer of the same member records decryption marker `race` between this answer's
/// count and its write (what two concurrent requests do to a shared durable ledger).
struct Racing {
    inner: Spent,
    race: Option<[u8; 32]>,
}

impl SpentLedger for Racing {
    fn is_spent(&self, digest: &[u8; 32]) -> bool {
        self.inner.is_spent(digest)
    }
    fn spend_all<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
        &mut self,
        items: I,
    ) -> Result<(), LedgerRefusal> {
        if let Some(m) = self.race.take() {
            self.inner.0.insert(m);
        }
        self.inner.spend_all(items)
    }
}

/// R12-5: a concurrent answer taking the same decryption number made the second one fail with `KeyExhausted`
/// although the budget was nearly untouched (a service rotating keys on that error could be pushed into rotating).
/// Now it is the retryable `ConcurrentAnswer`, nothing is recorded, and the retry answers.
#[test]
fn rev12_5_a_concurrent_answer_is_retryable() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1205);
        let k = keygen(&mut rng);
        let cts = clinics(&k, CLINICS, &mut rng);
        let mut adm = admit(&cts);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        let present = mask(&[1, 2, 3]);
        let mut l = ledgers();
        let receipts = quorum_receipts(&k, &mut l, &[1, 2, 3], &agg, &mut rng).unwrap();
        let mut racing = Racing {
            inner: l.spent[0].clone(),
            race: Some(spend::decryption_marker(&epoch(), 0)),
        };
        let (_, roster) = identities();
        let spend = Spend {
            roster: &roster,
            receipts: &receipts,
        };
        let smudger = Smudger::new(&plan()).unwrap();
        let mut maker = Box::new(ShareMaker::<P, N, K>::new());
        let mut out = vec![Pl::zero(); CHUNKS];
        let mut go = |ledger: &mut Racing, rng: &mut ChaCha20Rng, out: &mut [Pl]| {
            maker.make(
                &k.holdings[0],
                &agg,
                present,
                &spend,
                &smudger,
                ledger,
                rng,
                out,
            )
        };
        assert_eq!(
            go(&mut racing, &mut rng, &mut out),
            Err(ThresholdError::ConcurrentAnswer)
        );
        assert_eq!(
            decryptions_taken(&epoch(), &racing.inner),
            1,
            "only the racer's"
        );
        assert!(out.iter().all(|d| *d == Pl::zero()), "no share written");
        go(&mut racing, &mut rng, &mut out).unwrap();
        assert_eq!(decryptions_taken(&epoch(), &racing.inner), 2);
    });
}

/// R12-6: the parameter set whose norm proofs admit the ciphertexts was not part of the key identity. Now a round
/// key names its set; `Admitted::verify::<Z>` refuses a key of another set before reading the proof, and the
/// identity differs by set.
#[test]
fn rev12_6_the_key_identity_names_the_parameter_set() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1206);
        let k = keygen(&mut rng);
        let b: Vec<[C; N]> = k.b.iter().map(|p| p.coeffs).collect();
        let key = RoundKey::<M, N> {
            set_id: P::ID,
            a: &k.a.coeffs,
            b: &b,
            epoch: epoch().epoch,
            round: ROUND,
            t: plaintext_modulus(1024, B_INT).unwrap(),
            bound: B_INT,
        };
        assert_eq!(key.id(), k.key, "the holdings' identity names set L");
        let other = RoundKey {
            set_id: crate::params::SetS::ID,
            ..key
        };
        assert_ne!(other.id(), key.id());
        let ct = encrypt_one(&k, &mut rng);
        let stmt = crate::zk::statement::Statement::<M, N> {
            pk_a: &k.a.coeffs,
            pk_b: &b,
            c1: &ct.c1,
            c0: &ct.c0,
            t: key.t,
            bound: B_INT,
        };
        let ctx = crate::zk::statement::Context {
            round: ROUND,
            clinic: 1,
        };
        assert_eq!(
            Admitted::<M, N>::verify::<P>(&other, &stmt, &ctx, &[]).unwrap_err(),
            ThresholdError::WrongKey
        );
    });
}

/// R12-7: `Admitted::unverified` exists whenever feature `valgrind-ct` or `threshold-bench` is on, which feature
/// unification can do in a product build, and its admissions were answered like verified ones. Now holdings
/// refuse an aggregate holding one (`Unverified`, at the receipt and at the answer, nothing recorded) unless they
/// opted in with `accept_unverified_admissions`, which only tests, the bench and ct-check call.
#[test]
fn rev12_7_unverified_admissions_are_refused_by_default() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1207);
        let k = keygen(&mut rng);
        let cts = clinics(&k, CLINICS, &mut rng);
        let mut adm = admit(&cts);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        assert!(!agg.verified());
        // Member 1's holdings as a product build makes them: complete, no opt-in.
        let c = committee();
        let (ids, roster) = identities();
        let mut own = Box::new(Holdings::new(&k.ceremony, 1, &roster, &plan()).unwrap());
        for (d, p) in k.dealers.iter().zip(&k.published) {
            for u in (0..c.slots()).filter(|&u| c.holds(1, u)) {
                let part = &p[u * CHUNKS..(u + 1) * CHUNKS];
                own.accept::<P, N, K>(
                    &k.ceremony,
                    d.member(),
                    u,
                    d.slot_seed(u),
                    &mut scratch(),
                    part,
                )
                .unwrap();
            }
        }
        assert!(own.complete());
        let mut mine = Spent::default();
        assert_eq!(
            sign_receipt(&own, &ids[0], &agg, &mut mine, &mut rng).unwrap_err(),
            ThresholdError::Unverified
        );
        let mut l = ledgers();
        let receipts = quorum_receipts(&k, &mut l, &[2, 3, 4, 5], &agg, &mut rng).unwrap();
        let spend = Spend {
            roster: &roster,
            receipts: &receipts,
        };
        let mut out = vec![Pl::zero(); CHUNKS];
        let mut maker = Box::new(ShareMaker::<P, N, K>::new());
        let r = maker.make(
            &own,
            &agg,
            mask(&[1, 2, 3]),
            &spend,
            &Smudger::new(&plan()).unwrap(),
            &mut mine,
            &mut rng,
            &mut out,
        );
        assert_eq!(r, Err(ThresholdError::Unverified));
        assert!(mine.0.is_empty(), "nothing recorded");
        // The test fixture's holdings opted in and answer.
        let mut l2 = ledgers();
        member_shares(&k, &mut l2, 1, &agg, mask(&[1, 2, 3]), &mut rng).unwrap();
    });
}

/// R12-2 (service side, the check clinics run): a committee key is accepted only with certificate signatures
/// of all n members over the key identity each computed itself, checked under the clinic's own roster. Fewer than
/// n, a signature moved to another member, a key of the aggregator's (signed by the aggregator's substitute keys,
/// review 12's R12-1 roster), or a roster other than the epoch's are refused.
#[test]
fn rev12_2_a_committee_key_needs_every_members_certificate() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1202);
        let k = keygen(&mut rng);
        let (ids, roster) = identities();
        let sigs: Vec<certificate::KeySignature> = (0..MEMBERS as usize)
            .map(|i| certificate::sign(&k.holdings[i], &ids[i], &mut rng).unwrap())
            .collect();
        certificate::check(&epoch(), &roster, &k.key, &sigs).unwrap();
        assert_eq!(
            certificate::check(&epoch(), &roster, &k.key, &sigs[1..]).unwrap_err(),
            ThresholdError::TooFewReceipts {
                have: MEMBERS - 1,
                need: MEMBERS
            }
        );
        let mut moved = sigs.clone();
        moved[2].member = 4;
        moved[3].member = 3;
        assert_eq!(
            certificate::check(&epoch(), &roster, &k.key, &moved).unwrap_err(),
            ThresholdError::Signature { member: 4 }
        );
        let mut twice = sigs.clone();
        twice[4] = twice[3].clone();
        assert_eq!(
            certificate::check(&epoch(), &roster, &k.key, &twice).unwrap_err(),
            ThresholdError::Duplicate { member: 4 }
        );
        // The aggregator's own key: the genuine members never sign it, and signatures by its substitute keys
        // for members 4 and 5 fail under the clinic's genuine roster.
        let own_key = [0xA5; 32];
        let fakes: Vec<SigningKey> = (4..=5u8)
            .map(|i| SigningKey::from_seed(&[200 + i; 32]))
            .collect();
        let mut forged = sigs[..3].to_vec();
        for (f, m) in fakes.iter().zip(4u8..) {
            let msg = certificate::message(&epoch(), &own_key);
            let signature = f
                .sign_with_context(&msg, certificate::CERTIFICATE_CONTEXT, &mut rng)
                .unwrap();
            forged.push(certificate::KeySignature {
                member: m,
                signature,
            });
        }
        assert_eq!(
            certificate::check(&epoch(), &roster, &own_key, &forged).unwrap_err(),
            ThresholdError::Signature { member: 1 }
        );
        // A clinic holding the genuine roster refuses an epoch of a substituted roster outright.
        let mut subst = roster.clone();
        subst[4] = fakes[1].verifying_key();
        let e2 = Epoch::new(epoch().crs, epoch().epoch, committee(), &subst).unwrap();
        assert_eq!(
            certificate::check(&e2, &roster, &k.key, &sigs).unwrap_err(),
            ThresholdError::WrongRoster
        );
        // Holdings that are not complete do not sign.
        let partial = Holdings::new(&k.ceremony, 1, &roster, &plan()).unwrap();
        assert_eq!(
            certificate::sign(&partial, &ids[0], &mut rng).unwrap_err(),
            ThresholdError::IncompleteHoldings
        );
    });
}
