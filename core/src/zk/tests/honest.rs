//! Completeness and determinism: honest proofs verify (set S at norm exactly B, random updates, set L),
//! the same seed gives the same bytes, the fixture's bytes are pinned, and the prover fits the browser's stack.
// Index loops walk several parallel arrays (coefficients, blocks, rows) in lockstep.
#![allow(clippy::needless_range_loop)]

use super::*;

#[test]
fn honest_proof_verifies_at_norm_exactly_b() {
    let f = fixture();
    assert_eq!(
        verify::<SetS, N>(&stmt(&f.inst, 4096), &ctx(), &f.proof),
        Ok(())
    );
}

#[test]
fn same_seed_same_bytes() {
    let f = fixture();
    let again = make_proof(&f.inst, 4096, Cheat::default(), 11).unwrap();
    assert_eq!(again, f.proof);
}

/// Completeness over many random honest updates (random norms, one at B² exactly, L = 1 or 2): every
/// proof verifies. The restart counts of both rejection steps are printed (`--nocapture`) and their means bounded
/// by the expected ≈ 1.1 (JL) and ≈ 2 (opening) with wide margins (deterministic seeds).
#[test]
fn completeness_over_random_honest_updates() {
    let mut rng = ChaCha20Rng::seed_from_u64(77);
    let (runs, mut jl, mut open) = (16u32, 0u32, 0u32);
    for i in 0..runs {
        // L = 2 for even runs (norms up to B²), L = 1 for odd ones (up to B²/2: one chunk of |m_i| ≤ 150 holds
        // about 15·10⁶ on average, less than B²).
        let l = 2 - (i as usize % 2);
        let cap = if l == 2 { 4096 * 4096 } else { 4096 * 4096 / 2 };
        let norm_sq = if i == 0 {
            4096 * 4096
        } else {
            u64::from(rng.next_u32()) % (cap + 1)
        };
        let m = update_with_norm(&mut rng, l, norm_sq);
        let inst = instance(&mut rng, m);
        let st = stmt(&inst, 4096);
        let mut out = vec![0u8; st.layout::<SetS>().unwrap().prove_buf_len()];
        let mut w = Witness {
            u: &inst.u,
            m: SliceUpdate(&inst.m),
        };
        let stats =
            prove_with::<SetS, N, _, _>(&st, &ctx(), &mut w, &mut rng, &mut out, Cheat::default())
                .unwrap_or_else(|e| panic!("run {i}: honest prover failed: {e:?}"));
        let lay = st.layout::<SetS>().unwrap();
        assert!(lay.min_proof_len() <= stats.len && stats.len <= lay.max_proof_len());
        assert_eq!(
            verify::<SetS, N>(&st, &ctx(), &out[..stats.len]),
            Ok(()),
            "run {i}"
        );
        std::eprintln!(
            "run {i}: L = {l}, ‖m‖² = {norm_sq}, JL attempts {}, opening attempts {}",
            stats.jl_attempts,
            stats.attempts
        );
        jl += stats.jl_attempts;
        open += stats.attempts;
    }
    std::eprintln!(
        "mean attempts over {runs} proofs: JL {:.2}, opening {:.2}",
        f64::from(jl) / f64::from(runs),
        f64::from(open) / f64::from(runs)
    );
    assert!(
        jl <= 3 * runs && open <= 6 * runs,
        "restarts far above expectation: JL {jl}, opening {open}"
    );
}

/// Set L end to end (N = 4096, q = 2^86 − 35, one chunk). Slow with the schoolbook products: run with
/// `cargo test --release -- --ignored zk::tests::set_l`.
#[test]
#[ignore = "slow until the NTT products land"]
fn set_l_honest_proof_verifies() {
    use crate::params::SetL;
    type ML = <SetL as ParamSet>::M;
    const NL: usize = 4096;
    let mut rng = ChaCha20Rng::seed_from_u64(21);
    let a: Box<[<ML as Modulus>::Coeff; NL]> = Box::new(core::array::from_fn(|_| {
        ML::from_u128((u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())) % ML::Q)
    }));
    let t_l: u64 = 1 << 30;
    let delta = ML::from_u128(ML::Q / u128::from(t_l));
    let u: Vec<i64> = (0..NL).map(|_| i64::from(rng.next_u32() % 3) - 1).collect();
    let uu: [i64; NL] = core::array::from_fn(|i| u[i]);
    let m: [i64; NL] = core::array::from_fn(|i| if i < 1000 { (i as i64 % 200) - 100 } else { 0 });
    let s: [i64; NL] = core::array::from_fn(|_| i64::from(rng.next_u32() % 3) - 1);
    let mut t = [0u128; NL];
    mul_public_short::<ML, NL>(&a, &s, &mut t);
    let b: [u128; NL] =
        core::array::from_fn(|i| ML::neg(ML::add(t[i], ML::from_i64(cbd(&mut rng)))));
    mul_public_short::<ML, NL>(&b, &uu, &mut t);
    let c0: [u128; NL] = core::array::from_fn(|i| {
        ML::add(
            ML::add(t[i], ML::from_i64(cbd(&mut rng))),
            ML::mul(delta, ML::from_i64(m[i])),
        )
    });
    mul_public_short::<ML, NL>(&a, &uu, &mut t);
    let c1: Box<[u128; NL]> = Box::new(core::array::from_fn(|i| {
        ML::add(t[i], ML::from_i64(cbd(&mut rng)))
    }));
    let pk_b = vec![b];
    let c0v = vec![c0];
    let st = Statement::<ML, NL> {
        pk_a: &a,
        pk_b: &pk_b,
        c1: &c1,
        c0: &c0v,
        t: t_l,
        bound: 65536,
    };
    let lay = st.layout::<SetL>().unwrap();
    let mut out = vec![0u8; lay.prove_buf_len()];
    let ms = vec![m];
    let mut w = Witness {
        u: &u,
        m: SliceUpdate(&ms),
    };
    let t0 = std::time::Instant::now();
    let stats =
        prove_with::<SetL, NL, _, _>(&st, &ctx(), &mut w, &mut rng, &mut out, Cheat::default())
            .unwrap();
    std::eprintln!("L prove {:?} {:?}", t0.elapsed(), stats);
    out.truncate(stats.len);
    assert_eq!(verify::<SetL, NL>(&st, &ctx(), &out), Ok(()));
    out[lay.off_z1u() + 3] ^= 1;
    assert!(verify::<SetL, NL>(&st, &ctx(), &out).is_err());
}

/// SHAKE256 (32 bytes) of the fixture proof: pins the proof bytes so that faster arithmetic (RNS-NTT
/// products instead of schoolbook) provably leaves the output unchanged.
fn fixture_digest() -> [u8; 32] {
    use shake::{ExtendableOutput, Shake256, Update, XofReader};
    let mut h = Shake256::default();
    h.update(&fixture().proof);
    let mut out = [0u8; 32];
    h.finalize_xof().read(&mut out);
    out
}

#[test]
fn fixture_proof_bytes_pinned() {
    let d = fixture_digest();
    let hex: std::string::String = d.iter().fold(std::string::String::new(), |mut h, b| {
        use core::fmt::Write;
        write!(h, "{b:02x}").expect("write to a String");
        h
    });
    assert_eq!(hex, GOLDEN_PROOF_DIGEST);
}

/// Re-pinned deliberately for wire version 3 (z Rice coded, PROTOCOL §12.1; same transcript and prover
/// randomness as version 2). Version 2 had re-pinned it for A2 binding the BDLOP messages, H(pk) from the
/// statement, challenges in [−4, 4], λ = 5 and MSIS rank 15 for 2^−128 at Q = 2^64, and t hashed with Δ.
const GOLDEN_PROOF_DIGEST: &str =
    "fa7adb5297fca9918f24b799af8759a72b49972e35a2427e25722b1292d4828d";

/// Prove/verify wall time of the 2-chunk fixture (informational; run with `--ignored --nocapture`).
#[test]
#[ignore = "informational timing; run with --ignored --nocapture"]
fn time_two_chunk_prove_verify() {
    let f = fixture();
    let t0 = std::time::Instant::now();
    let p = make_proof(&f.inst, 4096, Cheat::default(), 11).unwrap();
    let tp = t0.elapsed();
    let t1 = std::time::Instant::now();
    assert_eq!(verify::<SetS, N>(&stmt(&f.inst, 4096), &ctx(), &p), Ok(()));
    std::eprintln!("2-chunk S: prove {tp:?}, verify {:?}", t1.elapsed());
}

/// CPU time of the calling thread in seconds (Linux `/proc/thread-self/schedstat`; NaN elsewhere): the
/// shared test machine is loaded, so wall time overstates the cost.
fn thread_cpu_s() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e9)
}

/// Full-size set S (54 chunks, one proof) prove/verify wall and thread-CPU time (run with
/// `--ignored --nocapture`).
#[test]
#[ignore = "informational timing; run with --ignored --nocapture"]
fn time_full_size_s_prove_verify() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let m = update_with_norm(&mut rng, 54, 4096 * 4096);
    let inst = instance(&mut rng, m);
    let (t0, c0) = (std::time::Instant::now(), thread_cpu_s());
    let p = make_proof(&inst, 4096, Cheat::default(), 11).unwrap();
    let (tp, cp) = (t0.elapsed(), thread_cpu_s() - c0);
    let (t1, c1) = (std::time::Instant::now(), thread_cpu_s());
    assert_eq!(verify::<SetS, N>(&stmt(&inst, 4096), &ctx(), &p), Ok(()));
    let (tv, cv) = (t1.elapsed(), thread_cpu_s() - c1);
    std::eprintln!(
        "54-chunk S: prove {tp:?} (cpu {cp:.3} s), verify {tv:?} (cpu {cv:.3} s), {} B",
        p.len()
    );
}

/// The browser runs the prover on wasm32's default 1 MiB stack: set S must prove and verify within it
/// (the instance is built outside the measured thread; the stack use does not depend on L).
#[test]
fn set_s_prove_and_verify_fit_in_1_mib_stack() {
    let f = fixture();
    let inst = clone_inst(&f.inst);
    let ok = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let p = make_proof(&inst, 4096, Cheat::default(), 11).expect("honest prover");
            verify::<SetS, N>(&stmt(&inst, 4096), &ctx(), &p) == Ok(())
        })
        .expect("thread")
        .join()
        .expect("no stack overflow");
    assert!(ok);
}
