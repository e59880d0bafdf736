//! The zero-knowledge proof at the paper's size (108,996 parameters: 54 chunks of set S, 27 of set L):
//! prove, verify and encrypt + prove (docs/PROTOCOL.md; issue 3's goals on one core: encrypt + prove ≤ 1 s,
//! verify ≤ 0.4 s, proof ≤ 4 B/param for set S), and the building blocks each protocol pass is made of, so a
//! regression can be located:
//!
//! | pass (PROTOCOL §10) | per block or chunk | bench |
//! |---|---|---|
//! | P1 commitment t_A = A1·s1 + A2·s2 | one A1 column per s1 block | `zk/parts/.../a1-column` |
//! | P1–P5 e1_j, e2 and the verifier's b_j·z_u | one R_N product per chunk | `zk/parts/.../mul-public-short` |
//! | P2 JL projection, P3/P4 ρ = Rᵀμ | one JL block per s3 block | `jl-block-expand`, `jl-rho` |
//! | P3–P5 relation and openings | R products at d = 128 | `rq-mul` |
//! | P4/P5 masks y1, y2, y3 | one Gaussian block | `mask-m`, `mask-s`, `mask-3` |
//! | challenges | c from its seed | `challenge` |
//!
//! Times are this thread's CPU time (the machine is shared). Sample counts are criterion's minimum (10) with
//! short measurement windows: the full-size runs take several seconds each. Everything runs on one thread with
//! a large stack (the streaming prover keeps its fixed-size state on the stack, as a clinic thread does).
//!
//!     cargo bench -p zkfl-core --features alloc --bench zk                # all
//!     cargo bench -p zkfl-core --features alloc --bench zk -- zk/parts    # building blocks only

#[path = "cpu_time.rs"]
mod cpu_time;
#[path = "zk_setup.rs"]
mod zk_setup;

use cpu_time::CpuTime;
use criterion::{BatchSize, Criterion};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::Duration;
use zk_setup::{CoeffOf, K_L, K_S, PARAMS, ctx, encrypt, prove_into, setup, statement};
use zkfl_core::arith::Modulus;
use zkfl_core::params::{SetL, SetS};
use zkfl_core::zk::derive::{Matrix, challenge_from_seed, jl_block, matrix_column, xof256};
use zkfl_core::zk::eval::Batch;
use zkfl_core::zk::params::{D, JL_ROWS, KMSIS_MAX, LAMBDA_MAX, ZkParams};
use zkfl_core::zk::ringmul::mul_public_short;
use zkfl_core::zk::rq::Rq;
use zkfl_core::zk::sampling::{Masks, Width};
use zkfl_core::zk::verify::verify;

/// prove, verify, encrypt + prove of the whole update.
fn full<P: ZkParams, const N: usize, const K: usize>(c: &mut Criterion<CpuTime>) {
    let s = setup::<P, N, K>();
    let st = statement(&s, &s.c1, &s.c0);
    let buf = st.layout::<P>().expect("layout").prove_buf_len();
    let mut proof = vec![0u8; buf];
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let len = prove_into::<P, N>(&st, &s.u, &s.m, &mut rng, &mut proof).len;
    assert_eq!(verify::<P, N>(&st, &ctx(), &proof[..len]), Ok(()));
    eprintln!(
        "set {}: {} chunks, proof {len} B ({:.3} B/param)",
        P::NAME,
        s.m.len(),
        zkfl_core::arith::cast::f64_of_usize(len) / zkfl_core::arith::cast::f64_of_usize(PARAMS)
    );
    let mut g = c.benchmark_group(format!("zk/{}-{PARAMS}", P::NAME));
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(5));
    g.bench_function("prove", |bch| {
        bch.iter(|| prove_into::<P, N>(&st, &s.u, &s.m, &mut rng, &mut proof));
    });
    let len = prove_into::<P, N>(&st, &s.u, &s.m, &mut rng, &mut proof).len;
    g.bench_function("verify", |bch| {
        bch.iter(|| verify::<P, N>(&st, &ctx(), black_box(&proof[..len])));
    });
    g.bench_function("encrypt+prove", |bch| {
        bch.iter(|| {
            let (c1, c0, u) = encrypt::<P, N, K>(&s, &mut rng);
            let st2 = statement(&s, &c1, &c0);
            prove_into::<P, N>(&st2, &u, &s.m, &mut rng, &mut proof);
        });
    });
    g.finish();
}

/// The building blocks of the passes (see the table at the top).
fn parts<P: ZkParams, const N: usize>(c: &mut Criterion<CpuTime>) {
    let mut g = c.benchmark_group(format!("zk/parts/{}", P::NAME));
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(100))
        .measurement_time(Duration::from_millis(500));
    let zk = P::ZK;
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let uni = |rng: &mut ChaCha20Rng| {
        P::M::from_u128((u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())) % P::M::Q)
    };
    // One R_N product public × short (b_j·u, b_j·z_u).
    let pubp: Box<[CoeffOf<P>; N]> = Box::new(core::array::from_fn(|_| uni(&mut rng)));
    let short: Box<[i64; N]> =
        Box::new(core::array::from_fn(|_| i64::from(rng.next_u32() % 3) - 1));
    let mut out = Box::new([P::M::zero(); N]);
    g.bench_function("mul-public-short (R_N, per chunk)", |b| {
        b.iter(|| mul_public_short::<P::M, N>(black_box(&pubp), black_box(&short), &mut out));
    });
    // One R product at d = 128.
    let x = Rq::<P::M>(core::array::from_fn(|_| uni(&mut rng)));
    let y = Rq::<P::M>(core::array::from_fn(|_| uni(&mut rng)));
    g.bench_function("rq-mul (d = 128)", |b| {
        b.iter(|| black_box(&x).mul(black_box(&y)));
    });
    // One A1 column (kmsis blocks from SHAKE128): the commitment and w = A1·y1 cost per s1 block.
    let mut col = [Rq::<P::M>::zero(); KMSIS_MAX];
    g.bench_function("a1-column (XOF expansion, per s1 block)", |b| {
        b.iter(|| matrix_column::<P::M>(P::ID, Matrix::A1, black_box(17), zk.kmsis, &mut col));
    });
    // One JL block: expansion of its JL_ROWS × d ternary rows, and ρ_k = R_bᵀ·μ_k for all k.
    let seed = [5u8; 32];
    let mut rows = Box::new([[0i8; D]; JL_ROWS]);
    g.bench_function("jl-block-expand (per s3 block)", |b| {
        b.iter(|| jl_block(black_box(&seed), black_box(33), &mut rows));
    });
    let batch = Batch::<P::M>::from_mu_seed(zk.lambda, &[6; 32]);
    let mut rho = [Rq::<P::M>::zero(); LAMBDA_MAX];
    g.bench_function("jl-rho (R_bᵀ·μ, per s3 block)", |b| {
        b.iter(|| batch.rho(black_box(&rows), &mut rho));
    });
    // Gaussian masks, one block of d coefficients at each width.
    let masks = Masks::new(&zk).expect("widths");
    let mut blk = [0i64; D];
    for (name, w) in [
        ("mask-m (σ_m, per block)", Width::M),
        ("mask-s (σ_s, per block)", Width::S),
        ("mask-3 (σ₃, per block)", Width::Three),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || xof256(b"y1", &seed, &[1, 2]),
                |rd| masks.fill(w, rd, &mut blk),
                BatchSize::SmallInput,
            );
        });
    }
    g.bench_function("challenge (from seed)", |b| {
        b.iter(|| challenge_from_seed(black_box(&seed)));
    });
    g.finish();
}

fn run() {
    let mut c = Criterion::default()
        .with_measurement(CpuTime)
        .configure_from_args();
    parts::<SetS, 2048>(&mut c);
    parts::<SetL, 4096>(&mut c);
    full::<SetS, 2048, K_S>(&mut c);
    full::<SetL, 4096, K_L>(&mut c);
    c.final_summary();
}

fn main() {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(run)
        .expect("bench thread")
        .join()
        .expect("bench thread panicked");
}
