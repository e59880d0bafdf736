//! Seal/open throughput of the channel for a 1.5 MB payload (the size of one clinic's upload), with
//! ML-KEM-768 and ML-KEM-1024, in place (no heap in the measured path), plus sign/verify of a submission.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::hint::black_box;
use zkfl_core::channel::envelope::{envelope_len, open_in_place, seal_in_place};
use zkfl_core::channel::{
    ChannelKem, ClinicId, Direction, KemSecretKey, MemoryReplayGuard, MlKem768, MlKem1024,
    OpenPolicy, RoundId, SealContext, SigningKey, SubmissionDigest, prefix_len,
};

const PAYLOAD: usize = 1_500_000;

fn bench_kem<K: ChannelKem>(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let sk = KemSecretKey::<K>::generate(&mut rng);
    let ctx = SealContext {
        direction: Direction::ClinicToAggregator,
        round: RoundId(1),
        clinic: ClinicId(1),
        sequence: 0,
    };
    let policy = OpenPolicy {
        direction: Direction::ClinicToAggregator,
        round: RoundId(1),
        max_payload_len: PAYLOAD,
    };
    let guard = MemoryReplayGuard::<1>::new();
    let len = envelope_len::<K>(PAYLOAD).unwrap_or(0);
    let mut buf = vec![0x5au8; len];
    let mut group = c.benchmark_group(format!("channel/{}", K::NAME));
    group.throughput(Throughput::Bytes(PAYLOAD as u64));
    group.sample_size(20);
    group.bench_function("seal_in_place 1.5MB", |b| {
        b.iter(|| seal_in_place(sk.public_key(), &ctx, black_box(&mut buf), &mut rng).is_ok());
    });
    // Open: restore a sealed copy each iteration (the copy, ~0.1 ms, is included and small).
    if seal_in_place(sk.public_key(), &ctx, &mut buf, &mut rng).is_ok() {
        let sealed = buf.clone();
        group.bench_function("open_in_place 1.5MB", |b| {
            b.iter(|| {
                buf.copy_from_slice(&sealed);
                open_in_place(&sk, &policy, &guard, black_box(&mut buf)).is_ok()
            });
        });
    }
    // Bare ChaCha20-Poly1305 over the same bytes: the envelope's cost relative to the AEAD alone.
    {
        use chacha20poly1305::{AeadInOut, ChaCha20Poly1305, KeyInit};
        let aead = ChaCha20Poly1305::new(&[7u8; 32].into());
        let nonce = [1u8; 12].into();
        let mut body = vec![0x5au8; PAYLOAD];
        group.bench_function("bare ChaCha20-Poly1305 encrypt 1.5MB", |b| {
            b.iter(|| {
                aead.encrypt_inout_detached(&nonce, b"", black_box(body.as_mut_slice()).into())
                    .is_ok()
            });
        });
    }
    let small = prefix_len::<K>();
    group.throughput(Throughput::Elements(1));
    let mut tiny = vec![0u8; small + 16];
    group.bench_function("seal_empty (KEM + KDF only)", |b| {
        b.iter(|| seal_in_place(sk.public_key(), &ctx, black_box(&mut tiny), &mut rng).is_ok());
    });
    group.finish();
}

fn bench_signatures(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let key = SigningKey::generate(&mut rng);
    let vk = key.verifying_key();
    let d = SubmissionDigest::of_content(1, RoundId(1), ClinicId(1), b"ct", b"proof");
    let mut group = c.benchmark_group("channel/ML-DSA-65");
    group.bench_function("sign_submission", |b| {
        b.iter(|| key.sign_submission(black_box(&d), &mut rng).is_ok());
    });
    if let Ok(sig) = key.sign_submission(&d, &mut rng) {
        group.bench_function("verify_submission", |b| {
            b.iter(|| vk.verify_submission(black_box(&d), &sig).is_ok());
        });
    }
    group.finish();
}

fn all(c: &mut Criterion) {
    bench_kem::<MlKem768>(c);
    bench_kem::<MlKem1024>(c);
    bench_signatures(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
