//! Speed of the proof's building blocks (zkprim): Gaussian sampling at the proof's widths, the fixed-point
//! rejection tests, Rice coding. JL blocks and challenges as the proof derives them: `core/benches/zk.rs`.

use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::hint::black_box;
use zkfl_core::ring::gaussian::GaussianSampler;
use zkfl_core::zk::codec::{RiceCode, RiceReader, RiceWriter, SliceSink};
use zkfl_core::zk::params::ZK_S;
use zkfl_core::zk::reject::{InvTwoSigmaSq, RejectionConstant, StandardTest, bimodal_accept};

fn gaussian(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::from_seed([1; 32]);
    for (name, sigma) in [
        ("3.2", 3.2),
        ("2^17.3", 158_948.0),
        ("2^22.25", 4_988_749.0),
        ("2^26.25", 79_819_984.0),
    ] {
        let g = GaussianSampler::from_sigma(sigma).unwrap();
        let mut out = [0i64; 128];
        c.bench_function(&format!("gaussian sigma={name} x128"), |b| {
            b.iter(|| g.fill(&mut rng, black_box(&mut out)))
        });
    }
}

fn fixed_point(c: &mut Criterion) {
    let mut x = 0x1234_5678_9abc_def0_1234_5678u128;
    c.bench_function("fixed exp_neg (Q8.120)", |b| {
        b.iter(|| {
            x = x.wrapping_mul(0x2545_f491_4f6c_dd1d).wrapping_add(1) % (4u128 << 120);
            zkfl_core::ring::fixed::exp_neg(black_box(x))
        })
    });
}

fn rejection(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::from_seed([2; 32]);
    let m = RejectionConstant::from_m(1.954).unwrap();
    let w = InvTwoSigmaSq::new(4_988_749u64 << 32).unwrap();
    c.bench_function("standard rejection, 2 blocks", |b| {
        b.iter(|| {
            let mut t = StandardTest::new(m);
            t.add_block(&w, black_box(62_000_000_000), black_box(-1_234_567_890_123));
            t.add_block(&w, black_box(1_000_000), black_box(987_654_321));
            t.decide(&mut rng)
        })
    });
    let m3 = RejectionConstant::from_m(1.133).unwrap();
    c.bench_function("bimodal rejection", |b| {
        b.iter(|| {
            bimodal_accept(
                m3,
                &w,
                black_box(6_000_000_000_000),
                black_box(-12_345_678_901_234),
                &mut rng,
            )
        })
    });
}

/// The z code of set S's m blocks (σ_m, w_m) on 8192 samples of D_σm.
fn codec(c: &mut Criterion) {
    let g = GaussianSampler::from_sigma(ZK_S.sigma_m as f64).unwrap();
    let mut z = vec![0i64; 128 * 64];
    g.fill(&mut ChaCha20Rng::from_seed([4; 32]), &mut z);
    let code = RiceCode::for_gaussian(ZK_S.sigma_m, ZK_S.wm);
    let bits: u64 = z.iter().map(|&x| code.bits(x)).sum();
    let mut buf = vec![0u8; bits.div_ceil(8) as usize];
    c.bench_function("rice encode 8192 coeffs sigma_m of set S", |b| {
        b.iter(|| {
            let mut sink = SliceSink::new(&mut buf);
            let mut w = RiceWriter::new();
            for &x in black_box(&z) {
                w.push(&mut sink, x, &code).unwrap();
            }
            w.finish(&mut sink).unwrap();
        })
    });
    c.bench_function("rice decode 8192 coeffs sigma_m of set S", |b| {
        b.iter(|| {
            let mut r = RiceReader::new(black_box(&buf));
            let mut acc = 0i64;
            for _ in 0..z.len() {
                acc ^= r.next_value(&code).unwrap();
            }
            r.finish().unwrap();
            acc
        })
    });
}

criterion_group!(benches, gaussian, fixed_point, rejection, codec);
criterion_main!(benches);
