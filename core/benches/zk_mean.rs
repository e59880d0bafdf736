//! Mean prove / encrypt + prove / verify time of the paper-size update over many proofs with fresh
//! randomness (the prover's running time is random: rejection restarts), in this thread's CPU time next to
//! wall time (the machine is shared). Prints one line per figure and the seed, so a run can be repeated.
//!
//!     cargo bench -p zkfl-core --features std --bench zk_mean                 # set S, 12 proofs
//!     ZK_MEAN_RUNS=20 ZK_MEAN_SET=L cargo bench -p zkfl-core --features std --bench zk_mean
//!     ZK_MEAN_SEED=1234 cargo bench -p zkfl-core --features std --bench zk_mean   # repeat a run
//!     ZK_MEAN_TABLES=0 cargo bench -p zkfl-core --features std --bench zk_mean    # streaming (no lent memory, as no_std)
//!     ZK_MEAN_ROUND_ONLY=1 cargo bench -p zkfl-core --features std --bench zk_mean # one proof, then only verify_round
//!                                                                                  # (for `perf record` of the verifier)
// Timing statistics: clock readings, counts and means in f64 (bench output only).
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

#[allow(dead_code)]
#[path = "cpu_time.rs"]
mod cpu_time;
#[path = "zk_setup.rs"]
mod zk_setup;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::time::Instant;
use zk_setup::{
    K_L, K_S, PARAMS, Setup, ctx, encrypt, prove_into, prove_into_tables, setup, statement,
};
use zkfl_core::params::{SetL, SetS};
use zkfl_core::zk::params::ZkParams;
use zkfl_core::zk::prove::ProverTables;
use zkfl_core::zk::public::A1Table;
use zkfl_core::zk::verify::{Submission, verify, verify_round, verify_with_table};

/// Thread CPU time in seconds.
fn cpu_s() -> f64 {
    cpu_time::now_ns() as f64 * 1e-9
}

/// (CPU, wall) seconds of `f`.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (c0, w0) = (cpu_s(), Instant::now());
    let r = f();
    (r, cpu_s() - c0, w0.elapsed().as_secs_f64())
}

/// Mean and median of CPU and wall samples.
fn report(name: &str, cpu: &mut [f64], wall: &mut [f64]) {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let median = |v: &mut [f64]| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "{name:>14}: cpu mean {:.3} s median {:.3} s | wall mean {:.3} s median {:.3} s (n = {})",
        mean(cpu),
        median(cpu),
        mean(wall),
        median(wall),
        cpu.len()
    );
}

/// The lent tables (all of them, or none when the buffers are empty).
fn tabs<'t, M: zkfl_core::arith::Modulus>(
    a1: Option<&'t A1Table<'t, M>>,
    jl: &'t mut [u8],
    rho: &'t mut [u32],
) -> ProverTables<'t, M> {
    ProverTables {
        a1,
        jl: Some(jl),
        rho: Some(rho),
    }
}

/// A round of 16 submissions through `verify_round` on 1 and 2 threads: per-submission CPU (process
/// CPU for 2 threads) and wall time.
fn round<P: ZkParams, const N: usize>(
    st: &zkfl_core::zk::statement::Statement<'_, P::M, N>,
    proof: &[u8],
    a1: &A1Table<'_, P::M>,
) {
    const SUBS: usize = 16;
    let subs: Vec<Submission<'_, '_, P::M, N>> = (0..SUBS)
        .map(|_| Submission {
            stmt: st,
            ctx: ctx(),
            proof,
        })
        .collect();
    for threads in [1, 2] {
        let mut verdicts = vec![Ok(()); SUBS];
        let (p0, w0) = (process_cpu_s(), Instant::now());
        let ok = verify_round::<P, N>(&subs, a1, &mut verdicts, threads).expect("verdicts");
        let (pc, w) = (process_cpu_s() - p0, w0.elapsed().as_secs_f64());
        assert_eq!(ok, SUBS);
        println!(
            "verify_round ({SUBS} submissions, {threads} thread(s)): per submission cpu {:.3} s, wall {:.3} s",
            pc / SUBS as f64,
            w / SUBS as f64
        );
    }
}

/// Process CPU time (all threads) in seconds.
fn process_cpu_s() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the valid, exclusively borrowed `ts`.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &raw mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Size of the A1 table in MB.
fn a1_buf_mb<M: zkfl_core::arith::Modulus>(n: usize, cols: usize) -> f64 {
    (A1Table::<M>::words(n, cols) * 4) as f64 / 1e6
}

#[allow(clippy::too_many_lines)] // one table row per step, printed in order
fn run<P: ZkParams, const N: usize, const K: usize>(runs: usize, seed: u64, tables: bool) {
    let s: Setup<P, N, K> = setup::<P, N, K>();
    let st = statement(&s, &s.c1, &s.c0);
    let max = st.layout::<P>().expect("layout").max_proof_len();
    println!(
        "set {}: {} chunks, {PARAMS} params, proof at most {max} B ({:.3} B/param), seed {seed}, tables {tables}",
        P::NAME,
        s.m.len(),
        max as f64 / PARAMS as f64
    );
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut proof = vec![0u8; st.layout::<P>().expect("layout").prove_buf_len()];
    let mut len_sum = 0usize;
    let lay = st.layout::<P>().expect("layout");
    let n = lay.zk.kmsis;
    // Per process (per parameter set): A1 in NTT form, timed once.
    let mut a1_buf = vec![0u32; A1Table::<P::M>::words(n, lay.m1())];
    let (a1, c, w) = timed(|| A1Table::<P::M>::fill(P::ID, n, lay.m1(), &mut a1_buf).expect("a1"));
    let a1 = if tables {
        println!(
            "A1 table: {} MB, built in cpu {c:.3} s wall {w:.3} s (once per process)",
            a1_buf_mb::<P::M>(n, lay.m1())
        );
        Some(a1)
    } else {
        None
    };
    let mut jl = vec![
        0u8;
        if tables {
            ProverTables::<P::M>::jl_bytes(&lay)
        } else {
            0
        }
    ];
    let mut rho = vec![
        0u32;
        if tables {
            ProverTables::<P::M>::rho_words(&lay)
        } else {
            0
        }
    ];
    if std::env::var_os("ZK_MEAN_ROUND_ONLY").is_some() {
        let a1 = a1
            .as_ref()
            .expect("verify_round needs the A1 table (ZK_MEAN_TABLES unset)");
        let len = prove_into::<P, N>(&st, &s.u, &s.m, &mut rng, &mut proof).len;
        round::<P, N>(&st, &proof[..len], a1);
        return;
    }
    let (mut pc, mut pw, mut vc, mut vw, mut ec, mut ew) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut jl_att, mut op, mut eop) = (0u64, 0u64, 0u64);
    for _ in 0..runs {
        let (stats, c, w) = timed(|| {
            if tables {
                prove_into_tables::<P, N>(
                    &st,
                    &s.u,
                    &s.m,
                    &mut rng,
                    &mut proof,
                    tabs(a1.as_ref(), &mut jl, &mut rho),
                )
            } else {
                prove_into::<P, N>(&st, &s.u, &s.m, &mut rng, &mut proof)
            }
        });
        pc.push(c);
        pw.push(w);
        jl_att += u64::from(stats.jl_attempts);
        op += u64::from(stats.attempts);
        len_sum += stats.len;
        let p = &proof[..stats.len];
        let (ok, c, w) = timed(|| match a1.as_ref() {
            Some(t) => verify_with_table::<P, N>(&st, &ctx(), p, t),
            None => verify::<P, N>(&st, &ctx(), p),
        });
        assert_eq!(ok, Ok(()));
        vc.push(c);
        vw.push(w);
        let (estats, c, w) = timed(|| {
            let (c1, c0, u) = encrypt::<P, N, K>(&s, &mut rng);
            let st2 = statement(&s, &c1, &c0);
            if tables {
                prove_into_tables::<P, N>(
                    &st2,
                    &u,
                    &s.m,
                    &mut rng,
                    &mut proof,
                    tabs(a1.as_ref(), &mut jl, &mut rho),
                )
            } else {
                prove_into::<P, N>(&st2, &u, &s.m, &mut rng, &mut proof)
            }
        });
        eop += u64::from(estats.attempts);
        ec.push(c);
        ew.push(w);
    }
    if let Some(t) = a1.as_ref() {
        // `proof` holds the last encrypt + prove run's proof (another ciphertext): prove `st` again.
        let len = prove_into::<P, N>(&st, &s.u, &s.m, &mut rng, &mut proof).len;
        round::<P, N>(&st, &proof[..len], t);
    }
    let mean_len = len_sum as f64 / runs as f64;
    println!(
        "mean proof length {mean_len:.0} B ({:.3} B/param) over {runs} prove runs",
        mean_len / PARAMS as f64
    );
    report("prove", &mut pc, &mut pw);
    report("encrypt+prove", &mut ec, &mut ew);
    report("verify", &mut vc, &mut vw);
    println!(
        "mean attempts: prove runs JL {:.2}, opening {:.2}; encrypt+prove runs opening {:.2}",
        jl_att as f64 / runs as f64,
        op as f64 / runs as f64,
        eop as f64 / runs as f64
    );
}

fn main() {
    let env = |k: &str| std::env::var(k).ok();
    let runs = env("ZK_MEAN_RUNS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let seed = env("ZK_MEAN_SEED")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64)
        });
    let large = env("ZK_MEAN_SET").is_some_and(|s| s.eq_ignore_ascii_case("L"));
    // ZK_MEAN_TABLES=0: the streaming prover and verifier (no lent memory), as in no_std.
    let tables = env("ZK_MEAN_TABLES").is_none_or(|v| v != "0");
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(move || {
            if large {
                run::<SetL, 4096, K_L>(runs, seed, tables);
            } else {
                run::<SetS, 2048, K_S>(runs, seed, tables);
            }
        })
        .expect("bench thread")
        .join()
        .expect("bench thread panicked");
}
