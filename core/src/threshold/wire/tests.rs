//! Round trips and typed refusals of every committee message (docs/THRESHOLD.md §15).
extern crate std;
use super::*;
use crate::arith::Modulus;
use crate::channel::identity::{SigningKey, VerifyingKey};
use crate::params::{SetL, SetS};
use crate::ring::sample::{Xof, uniform};
use proptest::prelude::*;
use std::vec;
use std::vec::Vec;

type P = SetS;
const N: usize = 2048;
type Pl = Poly<<P as ParamSet>::M, N>;

fn roster() -> &'static [VerifyingKey] {
    static R: std::sync::OnceLock<Vec<VerifyingKey>> = std::sync::OnceLock::new();
    R.get_or_init(|| {
        (1..=7u8)
            .map(|i| SigningKey::from_seed(&[i; 32]).verifying_key())
            .collect()
    })
}

fn epoch(n: u32, t: u32, number: u64) -> Epoch {
    let c = Committee::new(n, t).unwrap();
    Epoch::new([9; 32], number, c, &roster()[..n as usize]).unwrap()
}

fn polys(seed: u8, count: usize) -> Vec<Pl> {
    (0..count)
        .map(|i| {
            let mut p = Pl::zero();
            uniform(
                &mut Xof::new(&[seed; 32], b"committee-wire", i as u64),
                &mut p,
            );
            p
        })
        .collect()
}

/// The frames a receiver might hold instead of the sender's: another epoch number, roster, committee shape, L.
fn other_frames(e: &Epoch, chunks: usize) -> Vec<(Epoch, usize, DecodeError)> {
    let c = e.committee;
    let mut other_roster = *e;
    other_roster.roster[0] ^= 1;
    let (n, t) = (c.members() as u8, c.threshold() as u8);
    let (on, ot) = if (n, t) == (7, 4) { (3, 2) } else { (7, 4) };
    vec![
        (
            epoch(c.members(), c.threshold(), e.epoch + 1),
            chunks,
            DecodeError::WrongEpoch,
        ),
        (other_roster, chunks, DecodeError::WrongEpoch),
        (
            epoch(u32::from(on), u32::from(ot), e.epoch),
            chunks,
            DecodeError::WrongCommittee {
                expected: (on, ot),
                got: (n, t),
            },
        ),
        (
            *e,
            chunks + 1,
            DecodeError::WrongChunkCount {
                expected: chunks + 1,
                got: chunks,
            },
        ),
    ]
}

/// A decoder under test: decodes bytes under a frame, discarding what it read.
type Decoder = dyn Fn(&Frame<'_>, &[u8]) -> Result<(), DecodeError>;

/// Every generic refusal of a valid message `good` of kind `kind`: truncation at `pos`, one byte more, version,
/// kind, set, sender, and every other frame; `dec` decodes under a frame.
fn refusals(e: &Epoch, chunks: usize, kind: Kind, good: &[u8], pos: usize, dec: &Decoder) {
    let f = Frame { epoch: e, chunks };
    assert_eq!(dec(&f, good), Ok(()));
    let cut = pos % good.len();
    let expected = if cut < HEADER_BYTES {
        HEADER_BYTES
    } else {
        good.len()
    };
    assert_eq!(
        dec(&f, &good[..cut]),
        Err(DecodeError::WrongLength { expected, got: cut })
    );
    let mut longer = good.to_vec();
    longer.push(0);
    assert_eq!(
        dec(&f, &longer),
        Err(DecodeError::WrongLength {
            expected: good.len(),
            got: good.len() + 1
        })
    );
    let with = |i: usize, v: u8| {
        let mut b = good.to_vec();
        b[i] = v;
        dec(&f, &b)
    };
    assert_eq!(
        with(0, 2),
        Err(DecodeError::WrongVersion {
            expected: 1,
            got: 2
        })
    );
    for other in [
        0x01u8, 0x02, 0x03, 0x04, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16,
    ] {
        if other != kind as u8 {
            assert_eq!(
                with(1, other),
                Err(DecodeError::WrongKind {
                    expected: kind as u8,
                    got: other
                })
            );
        }
    }
    assert_eq!(
        with(2, SetL::ID),
        Err(DecodeError::WrongParamSet {
            expected: P::ID,
            got: SetL::ID
        })
    );
    let n = e.committee.members() as u8;
    let bad_senders: Vec<u8> = if kind == Kind::PresentSet {
        vec![1, n]
    } else {
        vec![0, n + 1, 255]
    };
    for s in bad_senders {
        assert_eq!(with(3, s), Err(DecodeError::MemberIndex { index: s }));
    }
    for (other, l, err) in other_frames(e, chunks) {
        assert_eq!(
            dec(
                &Frame {
                    epoch: &other,
                    chunks: l
                },
                good
            ),
            Err(err)
        );
    }
    // The first epoch-identity byte flipped.
    let mut b = good.to_vec();
    b[8] ^= 1;
    assert_eq!(dec(&f, &b), Err(DecodeError::WrongEpoch));
}

/// A non-canonical coefficient (q) at polynomial index `idx` of a message whose polynomials start at `body`.
fn non_canonical(good: &[u8], body: usize, idx: usize) -> Vec<u8> {
    let bytes = <P as ParamSet>::M::BYTES;
    let off = body + idx * bytes;
    let mut b = good.to_vec();
    b[off..off + bytes].copy_from_slice(&<P as ParamSet>::M::Q.to_le_bytes()[..bytes]);
    b
}

fn check_commitment(e: &Epoch, chunks: usize, member: u8, c: [u8; 32], pos: usize) {
    let f = Frame { epoch: e, chunks };
    let mut buf = vec![0u8; COMMITMENT_BYTES];
    encode_commitment::<P>(&f, member, &c, &mut buf).unwrap();
    assert_eq!(decode_commitment::<P>(&f, &buf), Ok((member, c)));
    refusals(e, chunks, Kind::Commitment, &buf, pos, &|f, b| {
        decode_commitment::<P>(f, b).map(|_| ())
    });
}

fn check_reveal(e: &Epoch, chunks: usize, member: u8, seed: u8, pos: usize) {
    let f = Frame { epoch: e, chunks };
    let count = e.committee.slots() * chunks;
    let shares = polys(seed, count);
    let mut buf = vec![0u8; reveal_len::<P>(&f)];
    encode_reveal::<P, N>(&f, member, &shares, &mut buf).unwrap();
    let mut out = vec![Pl::zero(); count];
    assert_eq!(decode_reveal::<P, N>(&f, &buf, &mut out), Ok(member));
    assert!(out == shares);
    refusals(e, chunks, Kind::Reveal, &buf, pos, &|f, b| {
        let mut o = vec![Pl::zero(); f.epoch.committee.slots() * f.chunks];
        decode_reveal::<P, N>(f, b, &mut o).map(|_| ())
    });
    let idx = pos % (count * N);
    assert_eq!(
        decode_reveal::<P, N>(&f, &non_canonical(&buf, HEADER_BYTES, idx), &mut out),
        Err(DecodeError::CoefficientOutOfRange { index: idx })
    );
}

fn check_dealt(e: &Epoch, chunks: usize, dealer: u8, holder: u8, pos: usize) {
    let f = Frame { epoch: e, chunks };
    let c = e.committee;
    let seed = |u: usize| [u as u8 ^ dealer; 32];
    let mut buf = vec![0u8; dealt_len(&f)];
    encode_dealt::<P>(&f, dealer, holder, seed, &mut buf).unwrap();
    let d = decode_dealt::<P>(&f, &buf).unwrap();
    assert_eq!((d.dealer, d.holder), (dealer, holder));
    let held: Vec<usize> = (0..c.slots()).filter(|&u| c.holds(holder, u)).collect();
    assert_eq!(&d.slots[..d.count], &held[..]);
    assert!(held.iter().zip(&d.seeds).all(|(&u, s)| *s == seed(u)));
    refusals(e, chunks, Kind::DealtParts, &buf, pos, &|f, b| {
        decode_dealt::<P>(f, b).map(|_| ())
    });
    // A holder outside the committee, a wrong count, a slot the holder is a member of or out of order.
    let mut bad = buf.clone();
    bad[HEADER_BYTES] = c.members() as u8 + 1;
    assert_eq!(
        decode_dealt::<P>(&f, &bad).unwrap_err(),
        DecodeError::MemberIndex {
            index: c.members() as u8 + 1
        }
    );
    let mut bad = buf.clone();
    bad[HEADER_BYTES + 1] += 1;
    assert_eq!(
        decode_dealt::<P>(&f, &bad).unwrap_err(),
        DecodeError::SlotMask { mask: 0 }
    );
    let member_slot = (0..c.slots()).find(|&u| !c.holds(holder, u)).unwrap();
    let entry = pos % held.len();
    let off = HEADER_BYTES + 2 + entry * (4 + SEED_BYTES);
    let mask = c.slot(member_slot);
    let mut bad = buf.clone();
    bad[off..off + 4].copy_from_slice(&mask.to_le_bytes());
    assert_eq!(
        decode_dealt::<P>(&f, &bad).unwrap_err(),
        DecodeError::SlotMask { mask }
    );
    if held.len() > 1 {
        let other = held[(entry + 1) % held.len()];
        let mut bad = buf.clone();
        bad[off..off + 4].copy_from_slice(&c.slot(other).to_le_bytes());
        assert_eq!(
            decode_dealt::<P>(&f, &bad).unwrap_err(),
            DecodeError::SlotMask {
                mask: c.slot(other)
            }
        );
    }
}

fn check_present(e: &Epoch, chunks: usize, p: PresentSet, pos: usize) {
    let f = Frame { epoch: e, chunks };
    let mut buf = vec![0u8; PRESENT_BYTES];
    encode_present::<P>(&f, &p, &mut buf).unwrap();
    assert_eq!(decode_present::<P>(&f, &buf), Ok(p));
    refusals(e, chunks, Kind::PresentSet, &buf, pos, &|f, b| {
        decode_present::<P>(f, b).map(|_| ())
    });
    let outside = p.members | (1 << e.committee.members());
    let mut bad = buf.clone();
    bad[HEADER_BYTES + 40..].copy_from_slice(&outside.to_le_bytes());
    assert_eq!(
        decode_present::<P>(&f, &bad),
        Err(DecodeError::MemberSet { mask: outside })
    );
}

fn check_receipt(e: &Epoch, chunks: usize, member: u8, round: u64, binding: [u8; 32], pos: usize) {
    let f = Frame { epoch: e, chunks };
    let r = SpendReceipt {
        member,
        signature: Signature::from_bytes(&[binding[0]; SIGNATURE_LEN]).unwrap(),
    };
    let mut buf = vec![0u8; RECEIPT_BYTES];
    encode_receipt::<P>(&f, round, &binding, &r, &mut buf).unwrap();
    let (rd, bd, got) = decode_receipt::<P>(&f, &buf).unwrap();
    assert_eq!((rd, bd, got.member), (round, binding, member));
    assert!(got.signature == r.signature);
    refusals(e, chunks, Kind::SpendReceipt, &buf, pos, &|f, b| {
        decode_receipt::<P>(f, b).map(|_| ())
    });
}

fn check_share_set(e: &Epoch, chunks: usize, h: ShareSetHeader, seed: u8, pos: usize) {
    let f = Frame { epoch: e, chunks };
    let shares = polys(seed, chunks);
    let mut buf = vec![0u8; share_set_len::<P>(&f)];
    encode_share_set::<P, N>(&f, &h, &shares, &mut buf).unwrap();
    let mut out = vec![Pl::zero(); chunks];
    assert_eq!(decode_share_set::<P, N>(&f, &buf, &mut out), Ok(h));
    assert!(out == shares);
    refusals(e, chunks, Kind::ShareSet, &buf, pos, &|f, b| {
        let mut o = vec![Pl::zero(); f.chunks];
        decode_share_set::<P, N>(f, b, &mut o).map(|_| ())
    });
    // A present set without the sender, or with members outside the committee.
    for mask in [
        h.present & !bit(h.member),
        h.present | (1 << e.committee.members()),
    ] {
        let mut bad = buf.clone();
        bad[HEADER_BYTES + 40..HEADER_BYTES + 44].copy_from_slice(&mask.to_le_bytes());
        assert_eq!(
            decode_share_set::<P, N>(&f, &bad, &mut out),
            Err(DecodeError::MemberSet { mask })
        );
    }
    let idx = pos % (chunks * N);
    assert_eq!(
        decode_share_set::<P, N>(&f, &non_canonical(&buf, HEADER_BYTES + 44, idx), &mut out),
        Err(DecodeError::CoefficientOutOfRange { index: idx })
    );
}

#[test]
fn sizes_are_as_documented() {
    let e = epoch(5, 3, 1);
    let f = Frame {
        epoch: &e,
        chunks: 27,
    };
    assert_eq!(COMMITMENT_BYTES, 72);
    assert_eq!(dealt_len(&f), 40 + 2 + 6 * 36);
    assert_eq!(PRESENT_BYTES, 84);
    assert_eq!(RECEIPT_BYTES, 40 + 40 + 3309);
    assert_eq!(reveal_len::<SetL>(&f), 40 + 10 * 27 * 4096 * 11);
    assert_eq!(share_set_len::<SetL>(&f), 40 + 44 + 27 * 4096 * 11);
}

#[test]
fn encoders_refuse_wrong_buffers() {
    let e = epoch(5, 3, 1);
    let f = Frame {
        epoch: &e,
        chunks: 1,
    };
    assert_eq!(
        encode_commitment::<P>(&f, 1, &[0; 32], &mut [0u8; 71]),
        Err(EncodeError::WrongBufferLength {
            expected: 72,
            got: 71
        })
    );
    let mut buf = vec![0u8; reveal_len::<P>(&f)];
    assert_eq!(
        encode_reveal::<P, N>(&f, 1, &polys(1, 3), &mut buf),
        Err(EncodeError::WrongBufferLength {
            expected: 10,
            got: 3
        })
    );
    let zero = Frame {
        epoch: &e,
        chunks: 0,
    };
    assert_eq!(
        encode_commitment::<P>(&zero, 1, &[0; 32], &mut [0u8; 72]),
        Err(EncodeError::TooManyChunks { chunks: 0 })
    );
}

fn shape() -> impl Strategy<Value = (u32, u32)> {
    prop_oneof![Just((3u32, 2u32)), Just((5, 3)), Just((7, 4))]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn every_message_round_trips_and_refuses_what_is_malformed(
        (n, t) in shape(),
        number in 0u64..1000,
        chunks in 1usize..3,
        sender in any::<u8>(),
        other in any::<u8>(),
        round in any::<u64>(),
        binding in any::<[u8; 32]>(),
        mask in any::<u32>(),
        pos in any::<usize>(),
    ) {
        let e = epoch(n, t, number);
        let member = sender % n as u8 + 1;
        let holder = other % n as u8 + 1;
        check_commitment(&e, chunks, member, binding, pos);
        check_reveal(&e, chunks, member, binding[1], pos);
        check_dealt(&e, chunks, member, holder, pos);
        let all = e.committee.all();
        check_present(&e, chunks, PresentSet { round, binding, members: mask & all }, pos);
        check_receipt(&e, chunks, member, round, binding, pos);
        let present = (mask & all) | bit(member);
        check_share_set(&e, chunks, ShareSetHeader { member, round, binding, present }, binding[2], pos);
    }
}

/// 0x16 share proofs (docs/THRESHOLD.md §15): round trip of a regular and a supplementary answer's proofs, then
/// typed refusals — another kind or frame, a proof of 0 bytes or above the verifier's limit, a truncated or
/// padded message, a present set without the sender, an x outside P or equal to the sender.
#[test]
fn share_proofs_round_trip_and_refusals() {
    let e = epoch(5, 3, 1);
    let f = Frame {
        epoch: &e,
        chunks: 3,
    };
    let h = ShareSetHeader {
        member: 2,
        round: 9,
        binding: [7; 32],
        present: 0b1111,
    };
    let proofs: Vec<Vec<u8>> = (0..3u8).map(|i| vec![i + 1; 10 + usize::from(i)]).collect();
    let refs: Vec<&[u8]> = proofs.iter().map(Vec::as_slice).collect();
    for x in [0u8, 1] {
        let mut buf = vec![0u8; share_proofs_len(refs.iter().map(|p| p.len()))];
        encode_share_proofs::<P>(&f, &h, x, &refs, &mut buf).unwrap();
        let mut out: Vec<&[u8]> = vec![&[]; 3];
        assert_eq!(decode_share_proofs::<P>(&f, &buf, 12, &mut out), Ok((h, x)));
        assert_eq!(out, refs);
        let dec = |b: &[u8], max: usize| {
            let mut o: Vec<&[u8]> = vec![&[]; 3];
            decode_share_proofs::<P>(&f, b, max, &mut o)
        };
        assert!(matches!(
            dec(&buf, 11),
            Err(DecodeError::WrongLength {
                expected: 11,
                got: 12
            })
        ));
        assert!(matches!(
            decode_share_set::<P, N>(&f, &buf, &mut vec![Pl::zero(); 3]),
            Err(DecodeError::WrongKind { .. })
        ));
        for other in other_frames(&e, 3) {
            let g = Frame {
                epoch: &other.0,
                chunks: other.1,
            };
            let mut o: Vec<&[u8]> = vec![&[]; g.chunks];
            assert!(decode_share_proofs::<P>(&g, &buf, 12, &mut o).is_err());
        }
        let mut long = buf.clone();
        long.push(0);
        assert!(matches!(
            dec(&long, 12),
            Err(DecodeError::WrongLength { .. })
        ));
        assert!(decode_share_proofs::<P>(&f, &buf[..buf.len() - 1], 12, &mut out).is_err());
        let mut empty = buf.clone();
        empty[HEADER_BYTES + 45..HEADER_BYTES + 49].copy_from_slice(&0u32.to_le_bytes());
        assert!(matches!(
            dec(&empty, 12),
            Err(DecodeError::WrongLength { got: 0, .. })
        ));
        for (xb, err) in [
            (2u8, DecodeError::MemberIndex { index: 2 }),
            (5, DecodeError::MemberIndex { index: 5 }),
        ] {
            let mut bad = buf.clone();
            bad[HEADER_BYTES + 44] = xb;
            assert_eq!(dec(&bad, 12), Err(err));
        }
        let mut no_sender = buf.clone();
        no_sender[HEADER_BYTES + 40..HEADER_BYTES + 44].copy_from_slice(&0b1101u32.to_le_bytes());
        assert_eq!(
            dec(&no_sender, 12),
            Err(DecodeError::MemberSet { mask: 0b1101 })
        );
    }
}

/// §15.3: a signed answer verifies only for exactly the request its member signed it for (epoch, member, round,
/// aggregate binding, present set, supplement target, bytes) and only under that member's roster key; every
/// other case is `BadSignature` naming the claimed member (the path's fault), or a typed wire error.
#[test]
fn signed_answers_bind_the_request_and_the_signer() {
    use super::signed::{AnswerFor, SIGNED_OVERHEAD, SignedError, sign_answer, verify_answer};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    let mut rng = ChaCha20Rng::seed_from_u64(153);
    let e = epoch(5, 3, 1);
    let what = AnswerFor {
        member: 2,
        round: 7,
        binding: [5; 32],
        present: 0b1111,
        supplement_for: 0,
    };
    let answer: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
    let sign = |key: u8, w: &AnswerFor, e: &Epoch, rng: &mut ChaCha20Rng| {
        let sig = sign_answer(&SigningKey::from_seed(&[key; 32]), e, w, &answer, rng).unwrap();
        let mut out = answer.clone();
        out.extend_from_slice(sig.as_bytes());
        out
    };
    let signed = sign(2, &what, &e, &mut rng);
    let r = &roster()[..5];
    assert_eq!(verify_answer(&e, r, &what, &signed), Ok(&answer[..]));
    let bad = |m: u8| Err(SignedError::BadSignature { claimed_sender: m });
    // Verified under another request than the one signed: every field is bound.
    let others = [
        AnswerFor { member: 3, ..what },
        AnswerFor { round: 8, ..what },
        AnswerFor {
            binding: [6; 32],
            ..what
        },
        AnswerFor {
            present: 0b10111,
            ..what
        },
        AnswerFor {
            supplement_for: 1,
            ..what
        },
    ];
    for w in &others {
        assert_eq!(verify_answer(&e, r, w, &signed), bad(w.member), "{w:?}");
    }
    assert_eq!(verify_answer(&epoch(5, 3, 2), r, &what, &signed), bad(2));
    // Changed bytes, truncated, extended.
    let mut changed = signed.clone();
    changed[17] ^= 1;
    assert_eq!(verify_answer(&e, r, &what, &changed), bad(2));
    assert_eq!(verify_answer(&e, r, &what, &signed[1..]), bad(2));
    let mut longer = signed.clone();
    longer.push(0);
    assert_eq!(verify_answer(&e, r, &what, &longer), bad(2));
    // Signed by another member's key (member 4 framing member 2), or for another request by member 2.
    assert_eq!(
        verify_answer(&e, r, &what, &sign(4, &what, &e, &mut rng)),
        bad(2)
    );
    let replay = sign(2, &AnswerFor { round: 6, ..what }, &e, &mut rng);
    assert_eq!(verify_answer(&e, r, &what, &replay), bad(2));
    // Typed wire errors: too short for a signature, a member outside the roster.
    assert_eq!(
        verify_answer(&e, r, &what, &signed[..SIGNED_OVERHEAD - 1]),
        Err(SignedError::Wire(DecodeError::WrongLength {
            expected: SIGNED_OVERHEAD,
            got: SIGNED_OVERHEAD - 1
        }))
    );
    for m in [0u8, 6] {
        assert_eq!(
            verify_answer(&e, r, &AnswerFor { member: m, ..what }, &signed),
            Err(SignedError::Wire(DecodeError::MemberIndex { index: m }))
        );
    }
}
