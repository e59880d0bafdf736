//! Side-by-side: encrypting the paper's whole 108,996-parameter update with our multi-message BFV (set S:
//! N = 2048, q = 2^44 − 539, one u shared by 54 chunks) and with fhe.rs 0.1.1 (N = 2048, one 54-bit NTT prime,
//! standard BFV: 54 independent public-key encryptions, coefficient encoding), same plaintext modulus t.
//! Prints our time / theirs at the end (ratios, not absolute figures, are what the docs quote).
//!
//! Run: `cargo bench -p zkfl-tests --bench bfv_vs_fhe`.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use fhe::bfv::{BfvParameters, BfvParametersBuilder, Encoding, Plaintext, PublicKey};
use fhe_traits::{FheEncoder, FheEncrypter};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use rand09::SeedableRng as _;
use zkfl_core::bfv::{PlainModulus, PublicKeyPolys};
use zkfl_core::params::bounds::KeyBounds;
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::policy::{ConfigRequest, check_config};
use zkfl_core::quant::Quantizer;
use zkfl_core::ring::{NttPoly, Poly};

const PARAMS: usize = 108_996;
const N: usize = 2048;
const K: usize = zkfl_core::set_s::K;

/// Our side: public key in NTT form and the quantized update, chunked.
struct Ours {
    a_ntt: Box<NttPoly<N, K>>,
    b_ntt: Vec<NttPoly<N, K>>,
    plain: PlainModulus<<SetS as ParamSet>::M>,
    m: Vec<[i64; N]>,
}

/// fhe.rs side: parameters, public key and the same update as signed integers.
struct Theirs {
    par: Arc<BfvParameters>,
    pk: PublicKey,
    m: Vec<Vec<i64>>,
}

fn setup() -> (Ours, Theirs) {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let quantizer = Quantizer::with_max_scale(5.0, PARAMS, SetS::B_INT_MAX).expect("quantizer");
    let config = check_config::<SetS>(&ConfigRequest {
        clinics: 5,
        params: PARAMS as u32,
        norm_bound: 5.0,
        scale: quantizer.scale(),
        key: KeyBounds::single::<SetS>(),
        smudging: 0,
    })
    .expect("demo configuration");
    let update: Vec<f32> = (0..PARAMS)
        .map(|_| ((rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.05)
        .collect();
    let chunks = config.chunks as usize;
    let mut flat = vec![0_i64; chunks * N];
    config
        .quantizer
        .quantize(&update, &mut flat)
        .expect("quantize");
    let m: Vec<[i64; N]> = flat
        .chunks_exact(N)
        .map(|c| c.try_into().expect("chunk"))
        .collect();

    let sk = zkfl_core::set_s::SecretKey::generate(&mut rng);
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    let PublicKeyPolys { a_ntt, b_ntt, .. } = PublicKeyPolys::generate(&sk, &seed, chunks);
    let plain = PlainModulus::new(config.t).expect("t");
    let ours = Ours {
        a_ntt,
        b_ntt,
        plain,
        m: m.clone(),
    };

    let par = BfvParametersBuilder::new()
        .set_degree(N)
        .set_plaintext_modulus(config.t)
        .set_moduli_sizes(&[54])
        .build_arc()
        .expect("fhe.rs parameters");
    let mut rng09 = rand09::rngs::StdRng::seed_from_u64(7);
    let fsk = fhe::bfv::SecretKey::random(&par, &mut rng09);
    let pk = PublicKey::new(&fsk, &mut rng09);
    let theirs = Theirs {
        par,
        pk,
        m: m.iter().map(|c| c.to_vec()).collect(),
    };
    (ours, theirs)
}

fn encrypt_ours(o: &Ours, rng: &mut ChaCha20Rng) -> usize {
    let mut enc = Box::new(zkfl_core::set_s::Encryptor::new(
        &o.a_ntt,
        o.plain,
        o.m.len(),
        rng,
    ));
    let mut c0 = Box::new(Poly::zero());
    let mut acc = 0;
    for (b, mj) in o.b_ntt.iter().zip(&o.m) {
        enc.encrypt_chunk(b, mj, &mut c0).expect("encrypt");
        acc += usize::from(black_box(&*c0).coeffs[0] & 1 == 1);
    }
    acc + usize::from(enc.c1().coeffs[0] & 1 == 1)
}

fn encrypt_theirs(t: &Theirs, rng: &mut rand09::rngs::StdRng) -> usize {
    let mut acc = 0;
    for mj in &t.m {
        let pt = Plaintext::try_encode(mj.as_slice(), Encoding::poly(), &t.par).expect("encode");
        let ct = t.pk.try_encrypt(&pt, rng).expect("encrypt");
        acc += black_box(&ct).len();
    }
    acc
}

fn median(mut f: impl FnMut(), runs: usize) -> f64 {
    let mut v: Vec<f64> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[runs / 2]
}

fn bench(c: &mut Criterion) {
    let (ours, theirs) = setup();
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let mut rng09 = rand09::rngs::StdRng::seed_from_u64(9);
    let mut g = c.benchmark_group("encrypt_108996_params");
    g.bench_function("zkfl_bfv_set_s", |b| {
        b.iter(|| encrypt_ours(&ours, &mut rng))
    });
    g.bench_function("fhe_rs_0_1_1_n2048", |b| {
        b.iter(|| encrypt_theirs(&theirs, &mut rng09))
    });
    g.finish();
    let t_ours = median(
        || {
            black_box(encrypt_ours(&ours, &mut rng));
        },
        15,
    );
    let t_theirs = median(
        || {
            black_box(encrypt_theirs(&theirs, &mut rng09));
        },
        15,
    );
    println!(
        "encrypt 108,996 parameters: zkfl {:.2} ms, fhe.rs {:.2} ms, ratio ours/theirs = {:.3} ({:.2}x faster)",
        t_ours * 1e3,
        t_theirs * 1e3,
        t_ours / t_theirs,
        t_theirs / t_ours
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
