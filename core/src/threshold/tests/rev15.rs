//! Review 15 (independent reviewer): the committee ceremony and round protocol as fixed after review 13
//! (docs/THRESHOLD.md §15.2, §16, §17), attacked with the honest core and the real signed/sealed codecs.
//!
//! Both findings are fixed in the committee service (zkfl-aggregator), where the refusal tests are
//! (`committee::tests::rev15_1_a_restarted_member_never_signs_a_second_commitment`,
//! `committee::tests::rev15_2_a_relayed_repeat_is_a_no_op_and_equivocation_still_blames`); the two tests here
//! stay as positive controls of the mechanism each fix stops at the service (docs/THRESHOLD.md §19).
//!
//! - R15-1 (break, fixed): a member that restarts after sending its signed 0x10 but before it has logged any accepted
//!   message commits again in the **same** epoch with a fresh dealer secret: nothing durable records that it
//!   committed (the service's `Member::commit` refuses only on `self.dealer` / `self.commitments`, both rebuilt
//!   from memory and the log of *received* messages, and `MemberStore` logs only accepted messages). The relay
//!   keeps the first signed commitment and delivers it to the other members; the honest member reveals shares
//!   of its second secret, and every member holding the first commitment refuses the reveal as
//!   `CommitmentMismatch` against the honest member, with two valid signatures of that member as "evidence" of
//!   equivocation. §16.3 then aborts the epoch without the blamed (honest) member. Fix: `Member::commit`
//!   writes its signed 0x10 to the member's database (one transaction) before returning it and refuses
//!   (`CommitteeError::AlreadyCommitted`) once it is there, so no second signed commitment ever exists.
//! - R15-2 (attribution, fixed): a relay's byte-identical replay of a genuine signed 0x10 or sealed 0x12 is
//!   refused as `Duplicate { member }`, naming the honest sender, not as the relay's doing. Fix: the member
//!   drops a verified repeat of an accepted message body before the core (a no-op, not logged twice); a
//!   *different* second message of a sender still reaches the core as `Duplicate` (equivocation).
//! - Everything else tried is refused; each test names the check.
//!
//! Run: cargo test -p zkfl-core --release --lib threshold::tests::rev15 -- --nocapture
#![allow(clippy::too_many_lines)]
use super::*;
use crate::channel::KemSecretKey;
use crate::channel::{ClinicId, Direction, RoundId, SealContext};
use crate::threshold::wire::signed::{self, MemberKem, SignedError};
use crate::threshold::wire::{
    COMMITMENT_BYTES, Frame, Kind, dealt_len, decode_commitment, decode_reveal, encode_commitment,
    encode_dealt, encode_reveal, reveal_len,
};
use crate::wire::DecodeError;

/// `message ‖ σ`.
fn sign_vec(signer: &SigningKey, message: &[u8], rng: &mut ChaCha20Rng) -> Vec<u8> {
    let sig = signed::sign_message(signer, message, rng).unwrap();
    [message, &sig.as_bytes()[..]].concat()
}

/// Dealer `d`'s signed 0x10 and 0x11 for `shares`.
fn signed_pair(
    frame: &Frame<'_>,
    signer: &SigningKey,
    d: u8,
    shares: &[Pl],
    rng: &mut ChaCha20Rng,
) -> (Vec<u8>, Vec<u8>) {
    let mut cb = vec![0u8; COMMITMENT_BYTES];
    encode_commitment::<P>(frame, d, &commitment(frame.epoch, d, shares), &mut cb).unwrap();
    let mut rb = vec![0u8; reveal_len::<P>(frame)];
    encode_reveal::<P, N>(frame, d, shares, &mut rb).unwrap();
    (sign_vec(signer, &cb, rng), sign_vec(signer, &rb, rng))
}

/// A member's view of the ceremony: it verifies every signed 0x10 then 0x11 (`verify_signed`, as
/// `Member::verify_and_apply`) and feeds its `KeyCeremony`; returns the first refusal of a reveal.
fn run_view(
    frame: &Frame<'_>,
    roster: &[VerifyingKey],
    commits: &[&Vec<u8>],
    reveals: &[&Vec<u8>],
) -> (KeyCeremony, Result<(), ThresholdError>) {
    let c = committee();
    let mut cer = KeyCeremony::new(*frame.epoch);
    for sm in commits {
        let (_, m) = signed::verify_signed::<P>(frame, Kind::Commitment, roster, sm).unwrap();
        let (d, cm) = decode_commitment::<P>(frame, m).unwrap();
        cer.commit(d, cm).unwrap();
    }
    let mut key = vec![Pl::zero(); CHUNKS];
    let mut sk = vec![Pl::zero(); c.slots() * CHUNKS];
    let mut shares = vec![Pl::zero(); c.slots() * CHUNKS];
    for sm in reveals {
        let (_, m) = signed::verify_signed::<P>(frame, Kind::Reveal, roster, sm).unwrap();
        let d = decode_reveal::<P, N>(frame, m, &mut shares).unwrap();
        if let Err(e) = cer.reveal::<P, N>(d, &shares, &mut key, &mut sk) {
            return (cer, Err(e));
        }
    }
    (cer, Ok(()))
}

/// R15-1 (medium, break: honest members evict an honest member). All five members honest. Member 3 commits
/// (signed 0x10 `c1`, secret kept in memory only, §16.2), then its process restarts before the relay has
/// delivered it any commitment (the relay chooses how long that window is; `MemberProcess::kill` is the
/// relay's own handle on the child). Its log is empty, so `Member::commit` succeeds again in the same epoch: a
/// fresh `Dealer::generate` and a second signed 0x10 `c2`. The relay delivers `c2` to member 3 itself (its
/// own-commitment check passes) and to member 5, and the kept `c1` to members 1, 2 and 4. Every signature
/// verifies. Member 3 reveals the shares of its current secret; members 1, 2 and 4 refuse it as
/// `CommitmentMismatch { member: 3 }` and hold two valid signed commitments of member 3 (equivocation
/// evidence), so §16.3 aborts the epoch "without the blamed dealer": an honest member evicted by the relay,
/// repeatable every epoch in which the member restarts in that window.
/// Fixed at the service: `Member::commit` records the signed 0x10 in the member's database before it leaves and
/// refuses (`AlreadyCommitted`) after the restart, so `c2` is never signed (the member leaves the epoch, §16.2);
/// refusal test `committee::tests::rev15_1_a_restarted_member_never_signs_a_second_commitment` in
/// zkfl-aggregator. This test stays as the positive control of the mechanism: two signed commitments of one
/// member, split by the relay, make honest members blame it.
#[test]
fn rev15_1_mechanism_two_commitments_of_one_member_make_honest_members_blame_it() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1501);
        let e = epoch();
        let frame = Frame {
            epoch: &e,
            chunks: CHUNKS,
        };
        let (ids, roster) = identities();
        let dealers: Vec<Dealer> = (1..=MEMBERS as u8)
            .map(|i| Dealer::generate(&e, i, &mut rng).unwrap())
            .collect();
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = dealers
            .iter()
            .map(|d| {
                let i = d.member() as usize - 1;
                signed_pair(&frame, &ids[i], d.member(), &public_shares(d), &mut rng)
            })
            .collect();
        // Member 3 after its restart: same identity key, same epoch, fresh secret (the old one is gone).
        let restarted = Dealer::generate(&e, 3, &mut rng).unwrap();
        let (c2, r2) = signed_pair(&frame, &ids[2], 3, &public_shares(&restarted), &mut rng);
        let c1 = &pairs[2].0;
        // Both commitments carry member 3's valid signature; they differ.
        let v1 = signed::verify_signed::<P>(&frame, Kind::Commitment, &roster, c1).unwrap();
        let v2 = signed::verify_signed::<P>(&frame, Kind::Commitment, &roster, &c2).unwrap();
        assert_eq!((v1.0, v2.0), (3, 3));
        assert_ne!(
            v1.1, v2.1,
            "two different signed commitments of honest member 3"
        );
        // What the relay delivers: c1 to members 1, 2, 4; c2 to members 3 and 5; member 3's only reveal is r2.
        let reveals: Vec<&Vec<u8>> = (0..MEMBERS as usize)
            .map(|i| if i == 2 { &r2 } else { &pairs[i].1 })
            .collect();
        let view_c1: Vec<&Vec<u8>> = (0..MEMBERS as usize)
            .map(|i| if i == 2 { c1 } else { &pairs[i].0 })
            .collect();
        let view_c2: Vec<&Vec<u8>> = (0..MEMBERS as usize)
            .map(|i| if i == 2 { &c2 } else { &pairs[i].0 })
            .collect();
        let mut blamed = Vec::new();
        for member in 1..=MEMBERS as u8 {
            let view = if member == 3 || member == 5 {
                &view_c2
            } else {
                &view_c1
            };
            let (cer, r) = run_view(&frame, &roster, view, &reveals);
            match r {
                Ok(()) => assert!(cer.complete(), "member {member} completes"),
                Err(ThresholdError::CommitmentMismatch { member: 3 }) => blamed.push(member),
                Err(x) => panic!("member {member}: unexpected {x:?}"),
            }
        }
        assert_eq!(
            blamed,
            [1, 2, 4],
            "honest members 1, 2 and 4 blame honest member 3"
        );
        std::println!(
            "R15-1: honest members {blamed:?} refuse honest member 3's reveal (CommitmentMismatch), holding two \
             valid signed commitments of member 3 from before and after its restart"
        );
    });
}

/// Signed messages cannot be moved to another epoch, sender, kind or recipient (refusals).
/// - Another epoch (same committee, epoch 2): `read_header`'s epoch-identity check, `Wire(WrongEpoch)`.
/// - Sender byte changed: σ is checked under the *claimed* sender's key, `BadSignature { claimed_sender }`.
/// - Kind byte changed (0x10 presented as 0x11): σ covers the kind byte, `BadSignature`.
/// - σ of one message appended to another message of the same sender: `BadSignature`.
/// - A KEM-key signature presented as a message signature: distinct ML-DSA contexts, `BadSignature`.
#[test]
fn rev15_2_signed_messages_bind_epoch_sender_and_kind() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1502);
        let e = epoch();
        let frame = Frame {
            epoch: &e,
            chunks: CHUNKS,
        };
        let (ids, roster) = identities();
        let d = Dealer::generate(&e, 2, &mut rng).unwrap();
        let (sc, sr) = signed_pair(&frame, &ids[1], 2, &public_shares(&d), &mut rng);
        assert!(signed::verify_signed::<P>(&frame, Kind::Commitment, &roster, &sc).is_ok());
        // Another epoch.
        let e2 = Epoch::new([3; 32], 2, committee(), &roster).unwrap();
        let frame2 = Frame {
            epoch: &e2,
            chunks: CHUNKS,
        };
        assert_eq!(
            signed::verify_signed::<P>(&frame2, Kind::Commitment, &roster, &sc),
            Err(SignedError::Wire(DecodeError::WrongEpoch))
        );
        // Another sender.
        let mut other = sc.clone();
        other[3] = 4;
        assert_eq!(
            signed::verify_signed::<P>(&frame, Kind::Commitment, &roster, &other),
            Err(SignedError::BadSignature { claimed_sender: 4 })
        );
        // Another kind.
        let mut other = sc.clone();
        other[1] = Kind::Reveal as u8;
        assert_eq!(
            signed::verify_signed::<P>(&frame, Kind::Reveal, &roster, &other),
            Err(SignedError::BadSignature { claimed_sender: 2 })
        );
        // The commitment's σ on the same sender's reveal.
        let sig_c = &sc[COMMITMENT_BYTES..];
        let spliced = [&sr[..sr.len() - signed::SIGNED_OVERHEAD], sig_c].concat();
        assert_eq!(
            signed::verify_signed::<P>(&frame, Kind::Reveal, &roster, &spliced),
            Err(SignedError::BadSignature { claimed_sender: 2 })
        );
        // A KEM-key signature as a message signature.
        let kem = KemSecretKey::<MemberKem>::from_seed(&[2; 64]);
        let ks = signed::sign_kem_key(&ids[1], &e, 2, kem.public_key(), &mut rng).unwrap();
        let forged = [&sc[..COMMITMENT_BYTES], &ks.as_bytes()[..]].concat();
        assert_eq!(
            signed::verify_signed::<P>(&frame, Kind::Commitment, &roster, &forged),
            Err(SignedError::BadSignature { claimed_sender: 2 })
        );
    });
}

/// The sealed 0x12 is bound to its recipient (refusals).
/// - The relay delivers dealer 3's envelope for holder 1 to holder 2: it is sealed to holder 1's roster KEM key
///   (`open_dealt`: `Envelope`).
/// - Holder 1 corrupt: it opens its own envelope and re-seals dealer 3's signed message to holder 2 with a
///   context naming holder 2 and dealer 3: the signed body names holder 1 (`WrongRecipient { 2, 1 }`, the
///   relay/forwarder is blamed, not dealer 3); with the body's holder byte edited to 2, σ fails
///   (`BadSignature { claimed_sender: 3 }`, again not dealer 3's fault).
/// - Envelope context naming another dealer than the signed header: `WrongRecipient`.
/// - A corrupt member 2 registers honest member 1's KEM key as its own (signed by 2 for index 2: accepted, KEM
///   keys need not be distinct): parts for 2 then reach 1, who refuses them as addressed to another holder;
///   member 1's own signature on its key does not verify for index 2 (`KemKeyNotSigned`).
#[test]
fn rev15_3_sealed_parts_are_bound_to_holder_and_dealer() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1503);
        let e = epoch();
        let frame = Frame {
            epoch: &e,
            chunks: CHUNKS,
        };
        let (ids, roster) = identities();
        let kems: Vec<KemSecretKey<MemberKem>> = (1..=MEMBERS as u8)
            .map(|i| KemSecretKey::<MemberKem>::from_seed(&[i; 64]))
            .collect();
        let d3 = Dealer::generate(&e, 3, &mut rng).unwrap();
        let mut msg = vec![0u8; dealt_len(&frame)];
        encode_dealt::<P>(&frame, 3, 1, |u| d3.deal(&e, u, 1).unwrap(), &mut msg).unwrap();
        let mut sealed = vec![0u8; signed::sealed_dealt_len(&frame)];
        signed::seal_dealt::<P, _, _>(
            &frame,
            &ids[2],
            kems[0].public_key(),
            &msg,
            &mut sealed,
            &mut rng,
        )
        .unwrap();
        // Re-targeted by the relay.
        assert!(matches!(
            signed::open_dealt::<P>(&frame, 2, &kems[1], &roster, &mut sealed.clone()),
            Err(SignedError::Envelope(_))
        ));
        // Holder 1 opens its own.
        let mut buf = sealed.clone();
        let (dealer, payload) =
            signed::open_dealt::<P>(&frame, 1, &kems[0], &roster, &mut buf).unwrap();
        assert_eq!(dealer, 3);
        let payload = payload.to_vec();
        let reseal = |payload: &[u8], holder: u8, seq: u64, rng: &mut ChaCha20Rng| {
            let at = crate::channel::envelope::prefix_len::<MemberKem>();
            let mut out = vec![0u8; signed::sealed_dealt_len(&frame)];
            out[at..at + payload.len()].copy_from_slice(payload);
            let ctx = SealContext {
                direction: Direction::DealerToHolder,
                round: RoundId(e.epoch),
                clinic: ClinicId(u32::from(holder)),
                sequence: seq,
            };
            crate::channel::envelope::seal_in_place(
                kems[usize::from(holder) - 1].public_key(),
                &ctx,
                &mut out,
                rng,
            )
            .unwrap();
            out
        };
        // Forwarded to holder 2 as is.
        let mut fwd = reseal(&payload, 2, 3, &mut rng);
        assert_eq!(
            signed::open_dealt::<P>(&frame, 2, &kems[1], &roster, &mut fwd).map(|x| x.0),
            Err(SignedError::WrongRecipient {
                expected: 2,
                got: 1
            })
        );
        // Holder byte edited.
        let mut edited = payload.clone();
        edited[crate::threshold::wire::HEADER_BYTES] = 2;
        let mut fwd = reseal(&edited, 2, 3, &mut rng);
        assert_eq!(
            signed::open_dealt::<P>(&frame, 2, &kems[1], &roster, &mut fwd).map(|x| x.0),
            Err(SignedError::BadSignature { claimed_sender: 3 })
        );
        // Envelope naming dealer 4 around dealer 3's message, to holder 1.
        let mut relabelled = reseal(&payload, 1, 4, &mut rng);
        assert_eq!(
            signed::open_dealt::<P>(&frame, 1, &kems[0], &roster, &mut relabelled).map(|x| x.0),
            Err(SignedError::WrongRecipient {
                expected: 1,
                got: 1
            })
        );
        // KEM-key signatures bind the member index.
        let s1 = signed::sign_kem_key(&ids[0], &e, 1, kems[0].public_key(), &mut rng).unwrap();
        assert_eq!(
            signed::verify_kem_key(&e, 2, &roster[1], kems[0].public_key(), &s1),
            Err(SignedError::KemKeyNotSigned { member: 2 })
        );
        let s2 = signed::sign_kem_key(&ids[1], &e, 2, kems[0].public_key(), &mut rng).unwrap();
        assert_eq!(
            signed::verify_kem_key(&e, 2, &roster[1], kems[0].public_key(), &s2),
            Ok(())
        );
        let mut to2 = vec![0u8; dealt_len(&frame)];
        encode_dealt::<P>(&frame, 3, 2, |u| d3.deal(&e, u, 2).unwrap(), &mut to2).unwrap();
        let mut sealed2 = vec![0u8; signed::sealed_dealt_len(&frame)];
        signed::seal_dealt::<P, _, _>(
            &frame,
            &ids[2],
            kems[0].public_key(),
            &to2,
            &mut sealed2,
            &mut rng,
        )
        .unwrap();
        assert_eq!(
            signed::open_dealt::<P>(&frame, 1, &kems[0], &roster, &mut sealed2).map(|x| x.0),
            Err(SignedError::WrongRecipient {
                expected: 1,
                got: 2
            })
        );
    });
}

/// A corrupt dealer equivocates (two signed commitments to different members): the blame falls on it alone
/// (refusal). A member shown both refuses the second as `Duplicate { member: 2 }` (`KeyCeremony::commit`); a
/// member that holds the commitment dealer 2 does not open refuses its reveal as `CommitmentMismatch
/// { member: 2 }` and holds two valid signed commitments of member 2; members that hold the opened one complete.
/// An adaptive (rogue-key) second commitment cannot reach every honest member: the first honest reveal needs all
/// n commitments (`Member::reveal`, `KeyCeremony::reveal`'s `CeremonyOrder`), so its revealer fixed dealer 2's
/// commitment before any honest share was public, and the certificate needs all n members (`certificate::check`).
#[test]
fn rev15_4_equivocating_dealer_blames_only_itself() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1504);
        let e = epoch();
        let frame = Frame {
            epoch: &e,
            chunks: CHUNKS,
        };
        let (ids, roster) = identities();
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = (1..=MEMBERS as u8)
            .map(|i| {
                let d = Dealer::generate(&e, i, &mut rng).unwrap();
                signed_pair(
                    &frame,
                    &ids[i as usize - 1],
                    i,
                    &public_shares(&d),
                    &mut rng,
                )
            })
            .collect();
        let alt = Dealer::generate(&e, 2, &mut rng).unwrap();
        let (c2b, _) = signed_pair(&frame, &ids[1], 2, &public_shares(&alt), &mut rng);
        let mut cer = KeyCeremony::new(e);
        let (_, m) =
            signed::verify_signed::<P>(&frame, Kind::Commitment, &roster, &pairs[1].0).unwrap();
        let (d, cm) = decode_commitment::<P>(&frame, m).unwrap();
        cer.commit(d, cm).unwrap();
        let (_, m) = signed::verify_signed::<P>(&frame, Kind::Commitment, &roster, &c2b).unwrap();
        let (d, cm) = decode_commitment::<P>(&frame, m).unwrap();
        assert_eq!(
            cer.commit(d, cm),
            Err(ThresholdError::Duplicate { member: 2 })
        );
        let reveals: Vec<&Vec<u8>> = pairs.iter().map(|p| &p.1).collect();
        let honest: Vec<&Vec<u8>> = pairs.iter().map(|p| &p.0).collect();
        let mut shown_alt = honest.clone();
        shown_alt[1] = &c2b;
        let (_, r) = run_view(&frame, &roster, &shown_alt, &reveals);
        assert_eq!(r, Err(ThresholdError::CommitmentMismatch { member: 2 }));
        let (cer, r) = run_view(&frame, &roster, &honest, &reveals);
        assert_eq!(r, Ok(()));
        assert!(cer.complete());
        // Reveal before all n commitments: refused.
        let mut early = KeyCeremony::new(e);
        early.commit(1, [0; 32]).unwrap();
        let c = committee();
        let mut key = vec![Pl::zero(); CHUNKS];
        let mut sk = vec![Pl::zero(); c.slots() * CHUNKS];
        let shares = vec![Pl::zero(); c.slots() * CHUNKS];
        assert_eq!(
            early.reveal::<P, N>(1, &shares, &mut key, &mut sk),
            Err(ThresholdError::CeremonyOrder)
        );
    });
}

/// A receipt (also a kept one, R13-6) counts only for the aggregate it was signed for (refusal): the receipt
/// message hashes epoch, round, roster digest, signer and the aggregate binding (`spend::receipt_message`), so
/// four valid receipts for aggregate A are refused for aggregate B of the same round (`check_receipts`:
/// `Signature`), and the kept receipt handed out again for A is the same signature over A.
#[test]
fn rev15_5_receipts_count_only_for_their_aggregate() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1505);
        let k = keygen(&mut rng);
        let (_, roster) = identities();
        let cts_a = clinics(&k, CLINICS, &mut rng);
        let mut adm_a = admit(&cts_a);
        let mut c0a = vec![Pl::zero(); CHUNKS];
        let agg_a = Aggregate::build(&plan(), ROUND, &mut adm_a, &mut c0a).unwrap();
        let mut l = ledgers();
        let rs: Vec<SpendReceipt> = (1..=4u8)
            .map(|h| receipt(&k, &mut l, h, &agg_a, &mut rng).unwrap())
            .collect();
        crate::threshold::spend::check_receipts(&k.holdings[4], &roster, &agg_a, &rs).unwrap();
        let cts_b = clinics(&k, CLINICS, &mut rng);
        let mut adm_b = admit(&cts_b);
        let mut c0b = vec![Pl::zero(); CHUNKS];
        let agg_b = Aggregate::build(&plan(), ROUND, &mut adm_b, &mut c0b).unwrap();
        assert_eq!(
            crate::threshold::spend::check_receipts(&k.holdings[4], &roster, &agg_b, &rs),
            Err(ThresholdError::Signature { member: 1 })
        );
        // A repeated receipt of one member does not count twice.
        let dup = vec![rs[0].clone(), rs[0].clone(), rs[1].clone(), rs[2].clone()];
        assert_eq!(
            crate::threshold::spend::check_receipts(&k.holdings[4], &roster, &agg_a, &dup),
            Err(ThresholdError::Duplicate { member: 1 })
        );
    });
}

/// R15-2 (low, attribution): the relay replays a genuine signed message — dealer 2's 0x10 to a member that
/// already has it, or dealer 2's sealed 0x12 to its holder again (`open_dealt` uses an accept-all replay guard
/// and leaves repeats to the holdings). Both are refused, so nothing is counted twice, but as
/// `Duplicate { member: 2 }` ("member 2 sent the same thing twice"), which the service returns as
/// `CommitteeError::Threshold` naming the honest sender, not as `CommitteeError::Relay`. A byte-identical
/// repeat of a signed message is no evidence against its signer; it should be an idempotent no-op or `Relay`.
/// Fixed at the service: the member verifies the signature, then drops a repeat of an accepted message body
/// before the core (no-op, not logged twice); refusal test
/// `committee::tests::rev15_2_a_relayed_repeat_is_a_no_op_and_equivocation_still_blames` in zkfl-aggregator.
/// This test stays as the positive control of the mechanism: the core, which sees no signatures, refuses any
/// second entry of a member as `Duplicate`, so the service must filter verified repeats before it.
#[test]
fn rev15_6_mechanism_the_core_reports_any_repeat_as_the_senders_duplicate() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1506);
        let mut k = keygen(&mut rng);
        let e = epoch();
        let c = committee();
        let mut cer = KeyCeremony::new(e);
        let c2 = commitment(&e, 2, &k.published[1]);
        cer.commit(2, c2).unwrap();
        assert_eq!(
            cer.commit(2, c2),
            Err(ThresholdError::Duplicate { member: 2 })
        );
        let u = (0..c.slots()).find(|&u| c.holds(1, u)).unwrap();
        assert_eq!(
            k.holdings[0].accept::<P, N, K>(
                &k.ceremony,
                2,
                u,
                k.dealers[1].deal(&e, u, 1).unwrap(),
                &mut scratch(),
                &k.published[1][u * CHUNKS..(u + 1) * CHUNKS],
            ),
            Err(ThresholdError::Duplicate { member: 2 })
        );
        std::println!(
            "R15-2: a relayed repeat is refused as \"{}\"",
            ThresholdError::Duplicate { member: 2 }
        );
    });
}
