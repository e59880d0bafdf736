//! Adversarial and round-trip tests of the ML-KEM + ChaCha20-Poly1305 envelope: every header field and
//! every byte of KEM ciphertext, payload and tag changed, truncated and oversized envelopes, misdirected
//! and replayed ones. Each must be a typed rejection that leaves the replay guard unchanged.

mod channel_common;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_core::channel::envelope::{
    envelope_len, open_detached, open_in_place, open_to_vec, seal_detached, seal_in_place,
    seal_to_vec,
};
use zkfl_core::channel::{
    ChannelError, ChannelKem, ClinicId, Direction, HEADER_LEN, KemSecretKey, MemoryReplayGuard,
    MlKem768, MlKem1024, OpenPolicy, ReplayError, ReplayGuard, RoundId, SealContext, TAG_LEN,
    overhead, prefix_len,
};

const ROUND: RoundId = RoundId(7);

fn ctx(sequence: u64) -> SealContext {
    SealContext {
        direction: Direction::ClinicToAggregator,
        round: ROUND,
        clinic: ClinicId(3),
        sequence,
    }
}

fn policy(max: usize) -> OpenPolicy {
    OpenPolicy {
        direction: Direction::ClinicToAggregator,
        round: ROUND,
        max_payload_len: max,
    }
}

fn payload(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 + 7) as u8).collect()
}

fn round_trip<K: ChannelKem>() {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let sk = KemSecretKey::<K>::generate(&mut rng);
    let guard = MemoryReplayGuard::<4>::new();
    for n in [0usize, 1, 63, 64, 65, 4096] {
        let msg = payload(n);
        // Vec API.
        let env = seal_to_vec(sk.public_key(), &ctx(n as u64), &msg, &mut rng).unwrap();
        assert_eq!(env.len(), n + overhead::<K>());
        let (h, out) = open_to_vec(&sk, &policy(1 << 20), &guard, &env).unwrap();
        assert_eq!(out, msg);
        assert_eq!(h.sequence, n as u64);
        assert_eq!(h.kem_id, K::ID);
        // In place.
        let mut buf = vec![0u8; envelope_len::<K>(n).unwrap()];
        buf[prefix_len::<K>()..prefix_len::<K>() + n].copy_from_slice(&msg);
        seal_in_place(sk.public_key(), &ctx(1), &mut buf, &mut rng).unwrap();
        if n > 0 {
            let body = &buf[prefix_len::<K>()..prefix_len::<K>() + n];
            assert_ne!(body, msg.as_slice(), "encrypted in place");
        }
        let opened = open_in_place(&sk, &policy(1 << 20), &guard, &mut buf).unwrap();
        assert_eq!(opened.payload, msg.as_slice());
        // Detached.
        let mut prefix = vec![0u8; prefix_len::<K>()];
        let mut body = msg.clone();
        let tag =
            seal_detached(sk.public_key(), &ctx(2), &mut prefix, &mut body, &mut rng).unwrap();
        open_detached(&sk, &policy(1 << 20), &guard, &prefix, &mut body, &tag).unwrap();
        assert_eq!(body, msg);
    }
    assert!(guard.is_empty(), "opening alone never records");
}

#[test]
fn envelopes_round_trip_for_both_kems() {
    round_trip::<MlKem768>();
    round_trip::<MlKem1024>();
    assert_eq!(overhead::<MlKem768>(), 32 + 1088 + 16);
    assert_eq!(overhead::<MlKem1024>(), 32 + 1568 + 16);
}

/// Seals a 100-byte payload and returns (key, envelope).
fn sealed_768() -> (KemSecretKey<MlKem768>, Vec<u8>) {
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let sk = KemSecretKey::<MlKem768>::generate(&mut rng);
    let env = seal_to_vec(sk.public_key(), &ctx(5), &payload(100), &mut rng).unwrap();
    (sk, env)
}

#[test]
fn every_flipped_bit_of_the_header_is_rejected() {
    let (sk, env) = sealed_768();
    let guard = MemoryReplayGuard::<4>::new();
    for i in 0..HEADER_LEN {
        for bit in 0..8 {
            let mut e = env.clone();
            e[i] ^= 1 << bit;
            let r = open_to_vec(&sk, &policy(1 << 20), &guard, &e);
            assert!(r.is_err(), "header byte {i} bit {bit} accepted");
        }
    }
    // Field-specific reasons.
    let reason = |i: usize, x: u8| {
        let mut e = env.clone();
        e[i] ^= x;
        open_to_vec(&sk, &policy(1 << 20), &guard, &e).unwrap_err()
    };
    assert_eq!(reason(0, 1), ChannelError::UnsupportedVersion(0));
    assert_eq!(
        reason(1, 3),
        ChannelError::KemMismatch {
            expected: 1,
            got: 2
        }
    );
    assert_eq!(reason(2, 1), ChannelError::UnknownDirection(0));
    assert_eq!(
        reason(2, 3),
        ChannelError::WrongDirection {
            expected: Direction::ClinicToAggregator,
            got: Direction::AggregatorToClinic
        }
    );
    assert_eq!(reason(3, 1), ChannelError::ReservedNonZero);
    assert_eq!(reason(4, 1), ChannelError::DecryptionFailed); // clinic id: authenticated
    assert_eq!(
        reason(8, 1),
        ChannelError::WrongRound {
            expected: ROUND,
            got: RoundId(6)
        }
    );
    assert_eq!(reason(16, 1), ChannelError::DecryptionFailed); // sequence: authenticated
    assert_eq!(
        reason(24, 1),
        ChannelError::LengthMismatch {
            declared: 101,
            actual: 100
        }
    );
    assert!(guard.is_empty());
}

#[test]
fn every_byte_of_kem_ciphertext_payload_and_tag_is_authenticated() {
    let (sk, env) = sealed_768();
    let guard = MemoryReplayGuard::<4>::new();
    for i in HEADER_LEN..env.len() {
        let mut e = env.clone();
        e[i] ^= 0x80;
        assert_eq!(
            open_to_vec(&sk, &policy(1 << 20), &guard, &e).unwrap_err(),
            ChannelError::DecryptionFailed,
            "byte {i} of {}",
            env.len()
        );
    }
    assert!(guard.is_empty());
}

#[test]
fn truncated_and_oversized_envelopes_are_typed_errors() {
    let (sk, env) = sealed_768();
    let guard = MemoryReplayGuard::<4>::new();
    let min = overhead::<MlKem768>();
    for len in 0..env.len() {
        let r = open_to_vec(&sk, &policy(1 << 20), &guard, &env[..len]).unwrap_err();
        if len < min {
            assert_eq!(
                r,
                ChannelError::Truncated {
                    needed: min,
                    got: len
                }
            );
        } else {
            assert!(
                matches!(r, ChannelError::LengthMismatch { declared: 100, .. }),
                "len {len}: {r:?}"
            );
        }
    }
    let mut longer = env.clone();
    longer.push(0);
    assert_eq!(
        open_to_vec(&sk, &policy(1 << 20), &guard, &longer).unwrap_err(),
        ChannelError::LengthMismatch {
            declared: 100,
            actual: 101
        }
    );
    // Larger than the policy allows: refused before any cryptographic work.
    assert_eq!(
        open_to_vec(&sk, &policy(99), &guard, &env).unwrap_err(),
        ChannelError::Oversized {
            limit: 99 + min,
            got: env.len()
        }
    );
    let mut buf = env.clone();
    assert!(matches!(
        open_in_place(&sk, &policy(99), &guard, &mut buf),
        Err(ChannelError::Oversized { .. })
    ));
    // Output buffers that are too small for sealing.
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut small = vec![0u8; min - 1];
    assert_eq!(
        seal_in_place(sk.public_key(), &ctx(0), &mut small, &mut rng),
        Err(ChannelError::BufferTooSmall {
            needed: min,
            got: min - 1
        })
    );
    let mut prefix = vec![0u8; prefix_len::<MlKem768>() - 1];
    assert!(matches!(
        seal_detached(sk.public_key(), &ctx(0), &mut prefix, &mut [], &mut rng),
        Err(ChannelError::BufferTooSmall { .. })
    ));
    let mut body = payload(100);
    let (p, rest) = env.split_at(prefix_len::<MlKem768>());
    assert!(matches!(
        open_detached(
            &sk,
            &policy(1 << 20),
            &guard,
            p,
            &mut body,
            &rest[100..100 + TAG_LEN - 1]
        ),
        Err(ChannelError::Truncated { .. })
    ));
}

#[test]
fn misdirected_envelopes_are_rejected() {
    let mut rng = ChaCha20Rng::seed_from_u64(13);
    let sk = KemSecretKey::<MlKem768>::generate(&mut rng);
    let other = KemSecretKey::<MlKem768>::generate(&mut rng);
    let sk1024 = KemSecretKey::<MlKem1024>::generate(&mut rng);
    let guard = MemoryReplayGuard::<4>::new();
    let env = seal_to_vec(sk.public_key(), &ctx(0), b"hello", &mut rng).unwrap();
    assert_eq!(
        open_to_vec(&other, &policy(64), &guard, &env).unwrap_err(),
        ChannelError::DecryptionFailed,
        "sealed to another key"
    );
    assert!(matches!(
        open_to_vec(&sk1024, &policy(64), &guard, &env),
        Err(ChannelError::Truncated { .. }
            | ChannelError::KemMismatch { .. }
            | ChannelError::LengthMismatch { .. })
    ));
    let mut p = policy(64);
    p.round = RoundId(8);
    assert_eq!(
        open_to_vec(&sk, &p, &guard, &env).unwrap_err(),
        ChannelError::WrongRound {
            expected: RoundId(8),
            got: ROUND
        }
    );
    let mut p = policy(64);
    p.direction = Direction::AggregatorToClinic;
    assert!(matches!(
        open_to_vec(&sk, &p, &guard, &env),
        Err(ChannelError::WrongDirection { .. })
    ));
    // Changing the direction byte but keeping everything else cannot be opened in the other direction.
    let mut reflected = env.clone();
    reflected[2] = Direction::AggregatorToClinic.to_byte();
    assert_eq!(
        open_to_vec(&sk, &p, &guard, &reflected).unwrap_err(),
        ChannelError::DecryptionFailed
    );
}

#[test]
fn replayed_and_stale_envelopes_are_rejected_after_recording() {
    let mut rng = ChaCha20Rng::seed_from_u64(14);
    let sk = KemSecretKey::<MlKem768>::generate(&mut rng);
    let mut guard = MemoryReplayGuard::<4>::new();
    let e5 = seal_to_vec(sk.public_key(), &ctx(5), b"five", &mut rng).unwrap();
    let e4 = seal_to_vec(sk.public_key(), &ctx(4), b"four", &mut rng).unwrap();
    let (h, _) = open_to_vec(&sk, &policy(64), &guard, &e5).unwrap();
    guard.record(&h.replay_key()).unwrap();
    assert_eq!(
        open_to_vec(&sk, &policy(64), &guard, &e5).unwrap_err(),
        ChannelError::Replay(ReplayError::Duplicate)
    );
    assert_eq!(
        open_to_vec(&sk, &policy(64), &guard, &e4).unwrap_err(),
        ChannelError::Replay(ReplayError::Stale)
    );
    assert_eq!(guard.len(), 1);
}

mod arbitrary_input {
    use super::*;
    use proptest::prelude::*;
    use zkfl_core::channel::SubmissionView;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Random bytes never open and never panic, whatever header they happen to start with.
        #[test]
        fn random_bytes_are_typed_rejections(bytes in proptest::collection::vec(any::<u8>(), 0..2000),
                                             head in proptest::collection::vec(any::<u8>(), 32)) {
            let (sk, env) = sealed_768();
            let guard = MemoryReplayGuard::<1>::new();
            prop_assert!(open_to_vec(&sk, &policy(1 << 20), &guard, &bytes).is_err());
            // A valid header with random body bytes after it.
            let mut spliced = env[..HEADER_LEN].to_vec();
            spliced.extend_from_slice(&bytes);
            prop_assert!(open_to_vec(&sk, &policy(1 << 20), &guard, &spliced).is_err());
            // A random header in front of a genuine body.
            let mut e = env.clone();
            e[..HEADER_LEN].copy_from_slice(&head);
            prop_assert!(open_to_vec(&sk, &policy(1 << 20), &guard, &e).is_err() || head == env[..HEADER_LEN]);
            let _ = SubmissionView::parse(&bytes);
        }
    }
}
