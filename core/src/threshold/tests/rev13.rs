//! Review 13 (independent reviewer): the committee service of docs/THRESHOLD.md §15–§16, as written, in code.
//!
//! These tests run the honest core and the real `threshold::wire` codecs under the message flow §16.3 specifies
//! (the aggregator relays every ceremony message) and show what the relay gets when the spec leaves a message
//! without end-to-end protection:
//!
//! - R13-1: the 0x12 dealt-parts plaintexts of any t holders give the whole committee secret, with **no** corrupt
//!   member. §16.3 has a dealer seal each 0x12 "ML-KEM to h's channel key", but the roster file of §16.1 holds
//!   only ML-DSA verifying keys and docs/CHANNEL.md defines envelopes only between a clinic and the aggregator,
//!   so a member's KEM key reaches the dealers through the relay, which can hand out its own.
//! - R13-2: 0x10/0x11 carry no signature and the channel hop authenticates only the relay, so the relay can
//!   replace an honest member's commitment and reveal in another honest member's view with a consistent pair of
//!   its own. The victim's genuine dealt parts then fail `Holdings::accept` (`DealtPartMismatch`), which §2.2 and
//!   §16.3 treat as proof that the dealer cheated: the relay evicts honest members at will.
//!
//! Fixed (docs/THRESHOLD.md §17): each test now first shows the refusal — the relay's KEM key is not signed by
//! the member, the relay's substitute carries no valid signature (`threshold::wire::signed`) — and keeps the
//! original attack as the positive control (what the relay gets when that check is skipped). The service-level
//! refusals (a `Member` refusing and blaming the relay) are in the aggregator's `committee::tests`.
//! Run: cargo test -p zkfl-core --release --lib threshold::tests::rev13 -- --nocapture
#![allow(clippy::needless_range_loop, clippy::too_many_lines)]
use super::*;
use crate::bfv::SecretKey;
use crate::channel::KemSecretKey;
use crate::threshold::wire::signed::{self, MemberKem, SignedError};
use crate::threshold::wire::{
    COMMITMENT_BYTES, Frame, Kind, dealt_len, decode_commitment, decode_dealt, decode_reveal,
    encode_commitment, encode_dealt, encode_reveal, reveal_len,
};

/// Decrypts one chunk of a single ciphertext with the committee secret `s` alone (no share, no smudging).
fn decrypt_alone(s: &Pl, c1: &Pl, c0: &Pl) -> Box<[i64; N]> {
    let c1_ntt = Box::new(NttPoly::<N, K>::from_poly(c1));
    let mut sn = Box::new(NttPoly::<N, K>::from_poly(s));
    sn.mul_assign(&*c1_ntt);
    let mut phase = Box::new(Pl::zero());
    sn.inverse_into(&mut *phase);
    phase.add_assign(c0);
    let mut out = Box::new([0i64; N]);
    plain().decode(&*phase, &mut out);
    out
}

/// `message ‖ σ` (std here; the service uses `signed::signed_to_vec`).
fn sign_vec(signer: &SigningKey, message: &[u8], rng: &mut ChaCha20Rng) -> Vec<u8> {
    let sig = signed::sign_message(signer, message, rng).unwrap();
    [message, &sig.as_bytes()[..]].concat()
}

/// R13-1 (high, spec), refused: a dealer seals 0x12 only to the KEM key its holder signed with its roster key;
/// a KEM key the relay hands out carries no such signature (`KemKeyNotSigned`), and an envelope sealed to the
/// holder's key does not open with the relay's. Positive control (the check skipped): every member honest, the
/// relay reads the 0x12 messages addressed to members 1, 2 and 3 (any t members hold every slot, §2.1), sealed
/// to keys it handed out; from the decoded seeds alone it rebuilds s_j and reads an individual clinic's update.
#[test]
fn rev13_1_relay_kem_key_is_refused_and_without_the_check_it_reads_the_committee_secret() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1301);
        let k = keygen(&mut rng);
        let c = committee();
        let e = epoch();
        let frame = Frame {
            epoch: &e,
            chunks: CHUNKS,
        };
        // Refusal: holder 1's own KEM key, signed by holder 1, versus the relay's key under the same claim.
        let (ids, roster) = identities();
        let holder_kem = KemSecretKey::<MemberKem>::from_seed(&[41; 64]);
        let relay_kem = KemSecretKey::<MemberKem>::from_seed(&[66; 64]);
        let sig = signed::sign_kem_key(&ids[0], &e, 1, holder_kem.public_key(), &mut rng).unwrap();
        signed::verify_kem_key(&e, 1, &roster[0], holder_kem.public_key(), &sig).unwrap();
        assert_eq!(
            signed::verify_kem_key(&e, 1, &roster[0], relay_kem.public_key(), &sig),
            Err(SignedError::KemKeyNotSigned { member: 1 })
        );
        let relay_sig = signed::sign_kem_key(
            &SigningKey::from_seed(&[66; 32]),
            &e,
            1,
            relay_kem.public_key(),
            &mut rng,
        )
        .unwrap();
        assert_eq!(
            signed::verify_kem_key(&e, 1, &roster[0], relay_kem.public_key(), &relay_sig),
            Err(SignedError::KemKeyNotSigned { member: 1 })
        );
        let mut msg = vec![0u8; dealt_len(&frame)];
        let d1 = &k.dealers[0];
        encode_dealt::<P>(&frame, 1, 1, |u| d1.deal(&e, u, 1).unwrap(), &mut msg).unwrap();
        let mut sealed = vec![0u8; signed::sealed_dealt_len(&frame)];
        signed::seal_dealt::<P, _, _>(
            &frame,
            &ids[0],
            holder_kem.public_key(),
            &msg,
            &mut sealed,
            &mut rng,
        )
        .unwrap();
        assert!(matches!(
            signed::open_dealt::<P>(&frame, 1, &relay_kem, &roster, &mut sealed.clone()),
            Err(SignedError::Envelope(_))
        ));
        let mut buf = sealed.clone();
        let (dealer, opened) =
            signed::open_dealt::<P>(&frame, 1, &holder_kem, &roster, &mut buf).unwrap();
        assert_eq!((dealer, &opened[..msg.len()]), (1, &msg[..]));
        // Positive control from here: the dealers sealed to the relay's key, so it read every 0x12 below.
        // What the relay decrypted: the wire bytes of every dealer's 0x12 for holders 1..=t.
        let mut read = Vec::new();
        for d in &k.dealers {
            for h in 1..=THRESHOLD as u8 {
                let mut buf = vec![0u8; dealt_len(&frame)];
                encode_dealt::<P>(
                    &frame,
                    d.member(),
                    h,
                    |u| d.deal(&e, u, h).unwrap(),
                    &mut buf,
                )
                .unwrap();
                read.push(decode_dealt::<P>(&frame, &buf).unwrap());
            }
        }
        // s_j = Σ_U Σ_i r_{i,U,j}, every (dealer, slot) part taken from one message that carries it.
        let mut s = vec![Pl::zero(); CHUNKS];
        let mut tmp = Box::new(Pl::zero());
        for u in 0..c.slots() {
            for dealer in 1..=MEMBERS as u8 {
                let parts = read
                    .iter()
                    .find(|p| p.dealer == dealer && p.slots[..p.count].contains(&u))
                    .expect("t holders cover every slot");
                let i = parts.slots[..parts.count]
                    .iter()
                    .position(|&x| x == u)
                    .unwrap();
                let key = SecretKey::<P, N>::from_seed(parts.seeds[i]);
                for (j, sj) in s.iter_mut().enumerate() {
                    key.secret_chunk(j, &mut tmp);
                    sj.add_assign(&tmp);
                }
            }
        }
        // The relay's s is the committee's: b_j = −(a·s_j + e_j) with e_j short.
        let a_ntt = NttPoly::<N, K>::from_poly(&k.a);
        for j in 0..CHUNKS {
            let mut as_ = Box::new(NttPoly::<N, K>::from_poly(&s[j]));
            as_.mul_assign(&a_ntt);
            let mut ej = Box::new(Pl::zero());
            as_.inverse_into(&mut *ej);
            ej.add_assign(&k.b[j]);
            let max = (0..N).map(|i| ej.centered(i).unsigned_abs()).max().unwrap();
            assert!(max < 1 << 12, "a·s_j + b_j is short (|e_j|∞ = {max})");
        }
        // An individual clinic's ciphertext, read by the relay alone.
        let ct = encrypt_one(&k, &mut rng);
        let c1 = Pl { coeffs: *ct.c1 };
        for j in 0..CHUNKS {
            let c0 = Pl { coeffs: ct.c0[j] };
            assert_eq!(*decrypt_alone(&s[j], &c1, &c0), ct.m[j], "chunk {j} read");
        }
        std::println!(
            "R13-1: the relay read the 0x12 messages of holders 1..={THRESHOLD} (no corrupt member) and \
             decrypted an individual clinic's update"
        );
    });
}

/// R13-2 (medium, spec), refused: the relay substitutes honest member 3's 0x10 commitment and 0x11 reveal in
/// honest member 4's view with a pair of its own. Signed (`threshold::wire::signed`), the substitutes fail
/// under member 3's roster key as `BadSignature { claimed_sender: 3 }` (the relay's fault), while member 3's
/// genuine signed messages verify. Positive control (signatures not checked, the spec before review 13): member
/// 4's ceremony completes on the substitutes, and member 3's genuine dealt parts are then refused as
/// `DealtPartMismatch { dealer: 3 }`, the evidence §2.2 and §16.3 take to disqualify dealer 3.
#[test]
fn rev13_2_relay_substitution_fails_its_signature_and_without_the_check_frames_a_dealer() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1302);
        let c = committee();
        let e = epoch();
        let frame = Frame {
            epoch: &e,
            chunks: CHUNKS,
        };
        let dealers: Vec<Dealer> = (1..=MEMBERS as u8)
            .map(|i| Dealer::generate(&e, i, &mut rng).unwrap())
            .collect();
        let published: Vec<Vec<Pl>> = dealers.iter().map(public_shares).collect();
        // The relay runs the honest dealer code under index 3 with a secret of its own.
        let fake3 = Dealer::generate(&e, 3, &mut rng).unwrap();
        let fake3_shares = public_shares(&fake3);

        // Wire bytes member 4 receives from the relay: the genuine ones, except "member 3"'s.
        let mut commits = Vec::new();
        let mut reveals = Vec::new();
        for (d, p) in dealers.iter().zip(&published) {
            let shares = if d.member() == 3 { &fake3_shares } else { p };
            let mut cb = vec![0u8; COMMITMENT_BYTES];
            encode_commitment::<P>(
                &frame,
                d.member(),
                &commitment(&e, d.member(), shares),
                &mut cb,
            )
            .unwrap();
            commits.push(cb);
            let mut rb = vec![0u8; reveal_len::<P>(&frame)];
            encode_reveal::<P, N>(&frame, d.member(), shares, &mut rb).unwrap();
            reveals.push(rb);
        }
        // Refusal: genuine messages are signed by their senders; the relay signs its substitute with its own key.
        let (ids, roster) = identities();
        let relay = SigningKey::from_seed(&[66; 32]);
        for (i, (cb, rb)) in commits.iter().zip(&reveals).enumerate() {
            let signer = if i == 2 { &relay } else { &ids[i] };
            for (kind, m) in [(Kind::Commitment, cb), (Kind::Reveal, rb)] {
                let sm = sign_vec(signer, m, &mut rng);
                let got = signed::verify_signed::<P>(&frame, kind, &roster, &sm);
                if i == 2 {
                    assert_eq!(got, Err(SignedError::BadSignature { claimed_sender: 3 }));
                } else {
                    assert_eq!(got, Ok((i as u8 + 1, &m[..])));
                }
            }
        }
        let mut genuine3 = vec![0u8; COMMITMENT_BYTES];
        encode_commitment::<P>(&frame, 3, &commitment(&e, 3, &published[2]), &mut genuine3)
            .unwrap();
        let sm = sign_vec(&ids[2], &genuine3, &mut rng);
        assert_eq!(
            signed::verify_signed::<P>(&frame, Kind::Commitment, &roster, &sm),
            Ok((3, &genuine3[..]))
        );
        // Positive control: member 4's service decodes without checking signatures and feeds them to its
        // ceremony: nothing else on the wire tells them apart.
        let mut cer4 = KeyCeremony::new(e);
        for cb in &commits {
            let (m, cm) = decode_commitment::<P>(&frame, cb).unwrap();
            cer4.commit(m, cm).unwrap();
        }
        let mut b4 = vec![Pl::zero(); CHUNKS];
        let mut sk4 = vec![Pl::zero(); c.slots() * CHUNKS];
        let mut shares = vec![Pl::zero(); c.slots() * CHUNKS];
        for rb in &reveals {
            let m = decode_reveal::<P, N>(&frame, rb, &mut shares).unwrap();
            cer4.reveal::<P, N>(m, &shares, &mut b4, &mut sk4).unwrap();
        }
        assert!(cer4.complete(), "member 4's ceremony completes");
        // The genuine ceremony the other honest members ran.
        let mut cer = KeyCeremony::new(e);
        for (d, p) in dealers.iter().zip(&published) {
            cer.commit(d.member(), commitment(&e, d.member(), p))
                .unwrap();
        }
        let mut b = vec![Pl::zero(); CHUNKS];
        let mut sk = vec![Pl::zero(); c.slots() * CHUNKS];
        for (d, p) in dealers.iter().zip(&published) {
            cer.reveal::<P, N>(d.member(), p, &mut b, &mut sk).unwrap();
        }
        assert_ne!(
            cer.committee_key().unwrap().0,
            cer4.committee_key().unwrap().0
        );

        // Dealing: every genuine dealer's seeds to member 4 (dealer-signed, so the relay cannot touch them).
        let mut h4 = holdings_after(&cer4, 4);
        let mut blamed = Vec::new();
        for (d, p) in dealers.iter().zip(&published) {
            let p4 = if d.member() == 3 { &fake3_shares } else { p };
            for u in (0..c.slots()).filter(|&u| c.holds(4, u)) {
                let r = h4.accept::<P, N, K>(
                    &cer4,
                    d.member(),
                    u,
                    d.deal(&e, u, 4).unwrap(),
                    &mut scratch(),
                    &p4[u * CHUNKS..(u + 1) * CHUNKS],
                );
                match r {
                    Ok(()) => {}
                    Err(ThresholdError::DealtPartMismatch { dealer, .. }) => blamed.push(dealer),
                    Err(x) => panic!("unexpected {x:?}"),
                }
            }
        }
        assert!(!h4.complete());
        assert!(!blamed.is_empty() && blamed.iter().all(|&d| d == 3));
        // Dealer 3 is honest: its parts pass at member 5, whose view the relay left alone.
        let mut h5 = holdings_after(&cer, 5);
        for u in (0..c.slots()).filter(|&u| c.holds(5, u)) {
            h5.accept::<P, N, K>(
                &cer,
                3,
                u,
                dealers[2].deal(&e, u, 5).unwrap(),
                &mut scratch(),
                &published[2][u * CHUNKS..(u + 1) * CHUNKS],
            )
            .unwrap();
        }
        std::println!(
            "R13-2: honest member 4 blames honest dealer 3 ({} DealtPartMismatch) after the relay swapped \
             member 3's unsigned 0x10/0x11 in its view",
            blamed.len()
        );
    });
}

/// R13-5 (low), refused: §2.2 says the holders' checks give every part its norm bound only when n ≥ 2t − 1
/// ("for n ≤ 2t − 2 the key-share proof of §6.9 is needed", not implemented). In 3-of-4, slot {3, 4} is held
/// only by members 1 and 2, so with them corrupt no honest member checks any part of it (the committee secret's
/// norm, hence every clinic's noise bound E_1 of §4.1, is then the adversary's choice). The design now refuses
/// such shapes (`NeedsKeyShareProof`); the shapes at the boundary (n = 2t − 1) are still designed.
#[test]
fn rev13_5_shapes_below_2t_minus_1_are_refused() {
    use crate::threshold::plan::PlanError;
    for (n, t) in [(4u32, 3u32), (2, 2), (6, 4), (5, 4)] {
        assert!(2 * t - 1 > n);
        assert_eq!(
            CheckedPlan::<P>::design(n, t, 64, B_INT, CHUNKS).unwrap_err(),
            PlanError::NeedsKeyShareProof {
                members: n,
                threshold: t
            },
            "{t}-of-{n} is refused"
        );
    }
    for (n, t) in [(3u32, 2u32), (5, 3)] {
        assert!(CheckedPlan::<P>::design(n, t, 64, B_INT, CHUNKS).is_ok());
    }
    let c = Committee::new(4, 3).unwrap();
    let u = (0..c.slots())
        .find(|&u| c.slot(u) == mask(&[3, 4]))
        .unwrap();
    let holders: Vec<u8> = (1..=4u8).filter(|&h| c.holds(h, u)).collect();
    assert_eq!(
        holders,
        [1, 2],
        "slot {{3, 4}} has no honest holder when 1 and 2 are corrupt"
    );
}

/// A ledger that keeps its receipts ([`ReceiptLedger`]), in memory.
#[derive(Default)]
struct Kept {
    spent: Spent,
    receipts: std::collections::BTreeMap<[u8; 32], SpendReceipt>,
}

impl SpentLedger for Kept {
    fn is_spent(&self, digest: &[u8; 32]) -> bool {
        self.spent.is_spent(digest)
    }
    fn spend_all<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
        &mut self,
        items: I,
    ) -> Result<(), LedgerRefusal> {
        self.spent.spend_all(items)
    }
}

impl crate::threshold::ReceiptLedger for Kept {
    fn kept_receipt(&self, key: &[u8; 32]) -> Option<SpendReceipt> {
        self.receipts.get(key).cloned()
    }
    fn spend_all_keeping<'x, I: Iterator<Item = &'x [u8; 32]> + Clone>(
        &mut self,
        items: I,
        key: &[u8; 32],
        receipt: &SpendReceipt,
    ) -> Result<(), LedgerRefusal> {
        self.spent.spend_all(items)?;
        self.receipts.insert(*key, receipt.clone());
        Ok(())
    }
}

/// R13-6 (info, liveness), fixed: §16.4 says a restarted member "resumes from its database: a receipt it signed
/// is a fact of its ledger", but the receipt was not stored and `sign_receipt` refuses to sign the same
/// aggregate again (`RoundSpent`): a receipt lost after the ledger write could never be reissued (3-of-5: w = 4,
/// one such loss plus one offline member stops the round). `sign_receipt_kept` keeps the receipt in the same
/// write as the spend and returns it for the same aggregate; another aggregate of the round is still refused.
/// Positive control: the ledger without kept receipts (`sign_receipt`) still refuses the repeat. The durable
/// version (SQLite, across a restart) is tested in the aggregator's `committee::tests`.
#[test]
fn rev13_6_a_lost_receipt_is_returned_again() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1306);
        let k = keygen(&mut rng);
        let cts = clinics(&k, CLINICS, &mut rng);
        let mut adm = admit(&cts);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        let (ids, roster) = identities();
        let mut kept = Kept::default();
        let first =
            crate::threshold::sign_receipt_kept(&k.holdings[0], &ids[0], &agg, &mut kept, &mut rng)
                .unwrap();
        let again =
            crate::threshold::sign_receipt_kept(&k.holdings[0], &ids[0], &agg, &mut kept, &mut rng)
                .unwrap();
        assert_eq!(again.signature.as_bytes(), first.signature.as_bytes());
        let msg =
            crate::threshold::spend::receipt_message(&epoch(), k.holdings[0].roster(), 1, &agg);
        roster[0]
            .verify_with_context(
                &msg,
                crate::threshold::spend::RECEIPT_CONTEXT,
                &again.signature,
            )
            .unwrap();
        // Another aggregate of the same round: still refused.
        let cts2 = clinics(&k, CLINICS, &mut rng);
        let mut adm2 = admit(&cts2);
        let mut c02 = vec![Pl::zero(); CHUNKS];
        let agg2 = Aggregate::build(&plan(), ROUND, &mut adm2, &mut c02).unwrap();
        assert_eq!(
            crate::threshold::sign_receipt_kept(
                &k.holdings[0],
                &ids[0],
                &agg2,
                &mut kept,
                &mut rng
            )
            .unwrap_err(),
            ThresholdError::RoundSpent { round: ROUND }
        );
    });
}

/// Positive control of R13-6: without kept receipts, the repeat is refused.
#[test]
fn rev13_6_without_kept_receipts_a_lost_receipt_cannot_be_reissued() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1306);
        let k = keygen(&mut rng);
        let cts = clinics(&k, CLINICS, &mut rng);
        let mut adm = admit(&cts);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        let mut l = ledgers();
        receipt(&k, &mut l, 1, &agg, &mut rng).unwrap();
        // The reply was lost; the same request for the same aggregate:
        assert_eq!(
            receipt(&k, &mut l, 1, &agg, &mut rng).unwrap_err(),
            ThresholdError::RoundSpent { round: ROUND }
        );
    });
}

/// R13-2, second form: the relay replaces member 4's *own* commitment and reveal in member 4's ceremony. The core
/// does not know which entry is the member's own (`KeyCeremony` and `Holdings::new` take every index alike), so
/// the ceremony completes and holdings are made; the substitution shows only when member 4 checks its own seeds,
/// as `DealtPartMismatch { dealer: 4 }` — the member "blames" itself, where it could have named the relay.
#[test]
fn rev13_2b_relay_substitutes_the_members_own_entry_unnoticed_until_dealing() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1322);
        let c = committee();
        let e = epoch();
        let dealers: Vec<Dealer> = (1..=MEMBERS as u8)
            .map(|i| Dealer::generate(&e, i, &mut rng).unwrap())
            .collect();
        let mut published: Vec<Vec<Pl>> = dealers.iter().map(public_shares).collect();
        let own = published[3].clone();
        let fake4 = Dealer::generate(&e, 4, &mut rng).unwrap();
        published[3] = public_shares(&fake4);
        let mut cer4 = KeyCeremony::new(e);
        for (m, p) in (1..=MEMBERS as u8).zip(&published) {
            cer4.commit(m, commitment(&e, m, p)).unwrap();
        }
        let mut b = vec![Pl::zero(); CHUNKS];
        let mut sk = vec![Pl::zero(); c.slots() * CHUNKS];
        for (m, p) in (1..=MEMBERS as u8).zip(&published) {
            cer4.reveal::<P, N>(m, p, &mut b, &mut sk).unwrap();
        }
        let mut h4 = holdings_after(&cer4, 4);
        let u = (0..c.slots()).find(|&u| c.holds(4, u)).unwrap();
        assert_eq!(
            h4.accept::<P, N, K>(
                &cer4,
                4,
                u,
                dealers[3].deal(&e, u, 4).unwrap(),
                &mut scratch(),
                &own[u * CHUNKS..(u + 1) * CHUNKS],
            ),
            Err(ThresholdError::UnrevealedShare { dealer: 4, slot: u })
        );
        assert_eq!(
            h4.accept::<P, N, K>(
                &cer4,
                4,
                u,
                dealers[3].deal(&e, u, 4).unwrap(),
                &mut scratch(),
                &published[3][u * CHUNKS..(u + 1) * CHUNKS],
            ),
            Err(ThresholdError::DealtPartMismatch { dealer: 4, slot: u })
        );
    });
}
