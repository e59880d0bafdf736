//! Review 13: canonicity and robustness of the committee decoders (docs/THRESHOLD.md §15), by mutation.
//!
//! For every kind: random 1–3 byte mutations of a valid message anywhere (header and body); whenever a
//! decoder accepts the mutated bytes, re-encoding what it read must give back exactly those bytes (one
//! encoding per message, no field the decoder ignores). Plus arbitrary short inputs of every length up to
//! the header + 64 bytes and random bytes of the exact length: no panic.
//! Run: cargo test -p zkfl-core --release --lib threshold::wire::rev13
#![allow(clippy::manual_is_multiple_of, clippy::too_many_lines)]
extern crate std;
use super::*;
use crate::channel::identity::SigningKey;
use crate::params::SetS;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use std::vec;
use std::vec::Vec;

type P = SetS;
const N: usize = 2048;
type Pl = Poly<<P as ParamSet>::M, N>;

fn epoch(n: u32, t: u32) -> Epoch {
    let roster: Vec<_> = (1..=n as u8)
        .map(|i| SigningKey::from_seed(&[i; 32]).verifying_key())
        .collect();
    Epoch::new([9; 32], 4, Committee::new(n, t).unwrap(), &roster).unwrap()
}

/// Mutates `good` `iters` times; `roundtrip(bytes)` returns Some(re-encoding) if the decoder accepts.
fn mutate(
    good: &[u8],
    iters: usize,
    rng: &mut ChaCha20Rng,
    roundtrip: &dyn Fn(&[u8]) -> Option<Vec<u8>>,
) -> usize {
    assert_eq!(
        roundtrip(good).as_deref(),
        Some(good),
        "valid message round-trips"
    );
    let mut accepted = 0;
    for _ in 0..iters {
        let mut b = good.to_vec();
        let k = 1 + (rng.next_u32() % 3) as usize;
        for _ in 0..k {
            // Bias half the mutations into the first 48 bytes (header and fixed fields).
            let pos = if rng.next_u32() % 2 == 0 {
                (rng.next_u32() as usize) % b.len().min(HEADER_BYTES + 48)
            } else {
                (rng.next_u32() as usize) % b.len()
            };
            b[pos] = rng.next_u32() as u8;
        }
        if let Some(re) = roundtrip(&b) {
            accepted += 1;
            assert_eq!(re, b, "accepted bytes re-encode identically");
        }
    }
    accepted
}

#[test]
fn rev13_mutated_committee_messages_are_refused_or_canonical() {
    let mut rng = ChaCha20Rng::seed_from_u64(1313);
    for (n, t) in [(3u32, 2u32), (5, 3), (2, 1)] {
        let e = epoch(n, t);
        let chunks = 1;
        let f = Frame { epoch: &e, chunks };
        let c = e.committee;
        // 0x10
        let mut good = vec![0u8; COMMITMENT_BYTES];
        encode_commitment::<P>(&f, 1, &[5; 32], &mut good).unwrap();
        mutate(&good, 3000, &mut rng, &|b| {
            let (m, cm) = decode_commitment::<P>(&f, b).ok()?;
            let mut o = vec![0u8; COMMITMENT_BYTES];
            encode_commitment::<P>(&f, m, &cm, &mut o).unwrap();
            Some(o)
        });
        // 0x11
        let shares: Vec<Pl> = (0..c.slots() * chunks)
            .map(|i| {
                Pl::from_i64(&core::array::from_fn(|x| {
                    (x as i64 * 7919 + i as i64) % 1000 - 500
                }))
            })
            .collect();
        let mut good = vec![0u8; reveal_len::<P>(&f)];
        encode_reveal::<P, N>(&f, n as u8, &shares, &mut good).unwrap();
        mutate(&good, 400, &mut rng, &|b| {
            let mut out = vec![Pl::zero(); c.slots() * chunks];
            let m = decode_reveal::<P, N>(&f, b, &mut out).ok()?;
            let mut o = vec![0u8; reveal_len::<P>(&f)];
            encode_reveal::<P, N>(&f, m, &out, &mut o).unwrap();
            Some(o)
        });
        // 0x12
        for holder in 1..=n as u8 {
            let mut good = vec![0u8; dealt_len(&f)];
            encode_dealt::<P>(&f, 1, holder, |u| [u as u8 + 1; 32], &mut good).unwrap();
            mutate(&good, 2000, &mut rng, &|b| {
                let d = decode_dealt::<P>(&f, b).ok()?;
                assert!(d.slots[..d.count].iter().all(|&u| c.holds(d.holder, u)));
                let mut o = vec![0u8; dealt_len(&f)];
                let seeds = d.seeds;
                let slots = d.slots;
                encode_dealt::<P>(
                    &f,
                    d.dealer,
                    d.holder,
                    |u| seeds[slots[..d.count].iter().position(|&x| x == u).unwrap()],
                    &mut o,
                )
                .unwrap();
                Some(o)
            });
        }
        // 0x13
        let p = PresentSet {
            round: 77,
            binding: [3; 32],
            members: c.all(),
        };
        let mut good = vec![0u8; PRESENT_BYTES];
        encode_present::<P>(&f, &p, &mut good).unwrap();
        mutate(&good, 3000, &mut rng, &|b| {
            let p = decode_present::<P>(&f, b).ok()?;
            let mut o = vec![0u8; PRESENT_BYTES];
            encode_present::<P>(&f, &p, &mut o).unwrap();
            Some(o)
        });
        // 0x14
        let sig = SigningKey::from_seed(&[1; 32])
            .sign_with_context(b"m", b"c", &mut rng)
            .unwrap();
        let r = SpendReceipt {
            member: 1,
            signature: sig,
        };
        let mut good = vec![0u8; RECEIPT_BYTES];
        encode_receipt::<P>(&f, 9, &[4; 32], &r, &mut good).unwrap();
        mutate(&good, 3000, &mut rng, &|b| {
            let (round, binding, r) = decode_receipt::<P>(&f, b).ok()?;
            let mut o = vec![0u8; RECEIPT_BYTES];
            encode_receipt::<P>(&f, round, &binding, &r, &mut o).unwrap();
            Some(o)
        });
        // 0x15
        let h = ShareSetHeader {
            member: 1,
            round: 5,
            binding: [6; 32],
            present: c.all(),
        };
        let mut good = vec![0u8; share_set_len::<P>(&f)];
        encode_share_set::<P, N>(&f, &h, &shares[..chunks], &mut good).unwrap();
        mutate(&good, 2000, &mut rng, &|b| {
            let mut out = vec![Pl::zero(); chunks];
            let h = decode_share_set::<P, N>(&f, b, &mut out).ok()?;
            let mut o = vec![0u8; share_set_len::<P>(&f)];
            encode_share_set::<P, N>(&f, &h, &out, &mut o).unwrap();
            Some(o)
        });
        // Short and random inputs: never a panic.
        for len in 0..HEADER_BYTES + 64 {
            let b: Vec<u8> = (0..len).map(|_| rng.next_u32() as u8).collect();
            let _ = decode_commitment::<P>(&f, &b);
            let _ = decode_dealt::<P>(&f, &b);
            let _ = decode_present::<P>(&f, &b);
            let _ = decode_receipt::<P>(&f, &b);
            let mut out = vec![Pl::zero(); chunks];
            let _ = decode_share_set::<P, N>(&f, &b, &mut out);
            let mut out = vec![Pl::zero(); c.slots() * chunks];
            let _ = decode_reveal::<P, N>(&f, &b, &mut out);
            // A valid header followed by random bytes of the exact length.
            let mut g = vec![0u8; dealt_len(&f)];
            encode_dealt::<P>(&f, 1, 1, |_| [0; 32], &mut g).unwrap();
            for x in &mut g[HEADER_BYTES..] {
                *x = rng.next_u32() as u8;
            }
            let _ = decode_dealt::<P>(&f, &g);
        }
    }
}
