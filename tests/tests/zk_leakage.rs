//! Statistical zero-knowledge check (docs/PROTOCOL.md §8): the prover's public Gaussian responses — z3 (JL,
//! bimodal rejection), the m blocks of z1 (σ_m), the u and slack blocks of z1 and z2 (σ_s, standard
//! rejection) — must be distributed independently of the witness. Two witnesses under the same key: ‖m‖² = 16
//! and ‖m‖² = B² exactly (B = 4096; their slack bits υ_m are B² − 16 in binary versus all zeros). Each is
//! proven R times with different proof seeds; per component the pooled values, normalised by their σ, are
//! compared between the two witnesses with a two-sample Kolmogorov–Smirnov test, and each side's mean and
//! variance with those of the nominal Gaussian; per coefficient of the z1 block of υ_m (where the norm lives),
//! the means of the two witnesses are compared. All at a fixed significance with deterministic seeds, so the
//! test is reproducible.
//!
//! Power (the test can fail): the same statistics applied to the unmasked part of the responses, c·s
//! (= z − y, computed here from the public challenge and the known witness), must flag a leak for the m and
//! υ_m blocks; `unmasked_responses_are_detected` checks that, so a prover that forgot its mask (z = c·s) or
//! skipped the rejection badly enough to shift the distribution would fail the same statistic.
//!
//! `cargo test --release --test zk_leakage` runs R = 24 per witness (about 20 s on one core); the ignored
//! `leakage_large` runs R = 150.

mod zk_common;

use zk_common::{Instance, big_stack, encrypt, key, prove_slice};
use zkfl_core::params::SetS;
use zkfl_core::zk::codec::{RiceCode, RiceReader};
use zkfl_core::zk::derive::challenge_from_seed;
use zkfl_core::zk::layout::Layout;
use zkfl_core::zk::params::{D, GROUPS, JL_ROWS};
use zkfl_core::zk::proof::BitReader;
use zkfl_core::zk::public::mul_small_exact;
use zkfl_core::zk::ringmul::psi_block_i64;

const N: usize = 2048;
const K: usize = zkfl_core::set_s::K;
const B: u64 = 4096;
/// Kolmogorov–Smirnov coefficient c(α) = √(−ln(α/2)/2) at α = 10⁻⁴ (several components are tested).
const KS_C: f64 = 2.226;
/// Standard-normal quantile for the moment checks and the per-coefficient means (two-sided ≈ 10⁻⁶,
/// Bonferroni over the 128 coefficients at 10⁻⁴).
const Z_CRIT: f64 = 4.9;

/// The response components of one proof, normalised by their σ.
#[derive(Default)]
struct Samples {
    z3: Vec<f64>,
    zm: Vec<f64>,
    zu: Vec<f64>,
    z_ups_m: Vec<Vec<f64>>,
    z_ups_rest: Vec<f64>,
    z2: Vec<f64>,
    /// Unmasked c·s of the m blocks and of υ_m (negative control), normalised by the same σ.
    cs_m: Vec<f64>,
    cs_ups_m: Vec<f64>,
}

fn witness(heavy: bool) -> Vec<[i64; N]> {
    let mut m = [0i64; N];
    if heavy {
        // 1024 coordinates of ±128: ‖m‖² = 1024·128² = 4096² = B² exactly.
        for (i, x) in m.iter_mut().take(1024).enumerate() {
            *x = if (i * 7919) % 3 == 0 { -128 } else { 128 };
        }
    } else {
        for (i, x) in m.iter_mut().take(16).enumerate() {
            *x = if i % 2 == 0 { 1 } else { -1 };
        }
    }
    vec![m]
}

fn read(bytes: &[u8], count: usize, w: u32, sigma: u64) -> Vec<f64> {
    let mut rd = BitReader::new(bytes);
    (0..count)
        .map(|_| rd.get(w).expect("honest proof decodes") as f64 / sigma as f64)
        .collect()
}

/// The slack bits υ_m = binary expansion of B² − ‖m‖² in ℓ_m bits (PROTOCOL §5).
fn slack_m(lay: &Layout, m: &[[i64; N]]) -> [i64; D] {
    let s = lay.bound_sq[0] - zk_common::norm_sq(m);
    core::array::from_fn(|t| {
        if t < lay.bits(0) {
            ((s >> t) & 1) as i64
        } else {
            0
        }
    })
}

fn collect(inst: &Instance<SetS, N>, tag: u8, runs: usize, out: &mut Samples) {
    let lay = inst.statement().layout::<SetS>().expect("layout");
    let zk = lay.zk;
    out.z_ups_m.resize(D, Vec::new());
    let ups = slack_m(&lay, &inst.m);
    for r in 0..runs {
        let mut seed = [tag; 32];
        seed[..8].copy_from_slice(&(r as u64).to_le_bytes());
        let (p, _) = prove_slice::<SetS, N>(inst, seed).expect("honest prover");
        out.z3.extend(read(
            &p[lay.off_z3()..lay.off_h()],
            JL_ROWS,
            zk.w3,
            zk.sigma3,
        ));
        let mut rd = RiceReader::new(&p[lay.off_z1u()..]);
        let mut take = |count: usize, code: RiceCode, sigma: u64| -> Vec<f64> {
            (0..count)
                .map(|_| rd.next_value(&code).expect("honest proof decodes") as f64 / sigma as f64)
                .collect()
        };
        out.zu.extend(take(lay.k * D, lay.code_s(), zk.sigma_s));
        out.zm.extend(take(lay.dim_m(), lay.code_m(), zk.sigma_m));
        let rest = take((GROUPS + zk.m2()) * D, lay.code_s(), zk.sigma_s);
        rd.finish().expect("no bytes after z");
        for (t, v) in rest[..D].iter().enumerate() {
            out.z_ups_m[t].push(*v);
        }
        out.z_ups_rest.extend(&rest[D..GROUPS * D]);
        out.z2.extend(&rest[GROUPS * D..]);
        // Negative control: c·s from the public challenge and the known witness.
        let c_seed: [u8; 32] = p[lay.off_cseed()..lay.off_z1u()].try_into().expect("seed");
        let c = challenge_from_seed(&c_seed);
        let mut cs = [0i64; D];
        let mut blk = [0i64; D];
        for i in 0..lay.k {
            psi_block_i64(&inst.m[0], i, &mut blk);
            mul_small_exact(&c, &blk, &mut cs);
            out.cs_m
                .extend(cs.iter().map(|&x| x as f64 / zk.sigma_m as f64));
        }
        mul_small_exact(&c, &ups, &mut cs);
        out.cs_ups_m
            .extend(cs.iter().map(|&x| x as f64 / zk.sigma_s as f64));
    }
}

/// Two-sample Kolmogorov–Smirnov statistic D and its critical value at α = 10⁻⁴.
fn ks(a: &[f64], b: &[f64]) -> (f64, f64) {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    (d, KS_C * ((n + m) / (n * m)).sqrt())
}

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// Mean 0 and variance 1 (the values are normalised by σ) within Z_CRIT standard errors.
fn check_moments(name: &str, x: &[f64]) {
    let n = x.len() as f64;
    let (mean, var) = mean_var(x);
    eprintln!("{name}: n = {n}, mean {mean:+.4}, var {var:.4}");
    assert!(mean.abs() <= Z_CRIT / n.sqrt(), "{name}: mean {mean}");
    assert!(
        (var - 1.0).abs() <= Z_CRIT * (2.0 / n).sqrt(),
        "{name}: variance {var}"
    );
}

fn samples(runs: usize) -> (Samples, Samples) {
    big_stack(move || {
        let k = key::<SetS, N, K>([0x61; 32], [0x62; 32], 1);
        let light = encrypt::<SetS, N, K>(&k, witness(false), 40_961, B, [0x63; 32], 1, 1);
        let heavy = encrypt::<SetS, N, K>(&k, witness(true), 40_961, B, [0x64; 32], 1, 1);
        assert_eq!(zk_common::norm_sq(&heavy.m), u128::from(B * B));
        let (mut a, mut b) = (Samples::default(), Samples::default());
        collect(&light, 1, runs, &mut a);
        collect(&heavy, 2, runs, &mut b);
        (a, b)
    })
}

fn check_independent(a: &Samples, b: &Samples) {
    let flat = |v: &Vec<Vec<f64>>| v.iter().flatten().copied().collect::<Vec<f64>>();
    let comps: [(&str, Vec<f64>, Vec<f64>); 6] = [
        ("z3", a.z3.clone(), b.z3.clone()),
        ("z1 m", a.zm.clone(), b.zm.clone()),
        ("z1 u", a.zu.clone(), b.zu.clone()),
        ("z1 slack m", flat(&a.z_ups_m), flat(&b.z_ups_m)),
        ("z1 other slack", a.z_ups_rest.clone(), b.z_ups_rest.clone()),
        ("z2", a.z2.clone(), b.z2.clone()),
    ];
    for (name, x, y) in &comps {
        let (d, crit) = ks(x, y);
        eprintln!("{name}: KS D = {d:.5} (critical {crit:.5})");
        assert!(
            d <= crit,
            "{name}: distributions differ between witnesses (D = {d}, critical {crit})"
        );
        check_moments(&format!("{name}, light witness"), x);
        check_moments(&format!("{name}, heavy witness"), y);
    }
    // Per coefficient of the slack block υ_m: mean of the light minus mean of the heavy witness.
    let runs = a.z_ups_m[0].len() as f64;
    let worst = (0..D)
        .map(|t| {
            let (ma, _) = mean_var(&a.z_ups_m[t]);
            let (mb, _) = mean_var(&b.z_ups_m[t]);
            (ma - mb).abs() / (2.0 / runs).sqrt()
        })
        .fold(0f64, f64::max);
    eprintln!("slack m: largest per-coefficient mean difference {worst:.3} standard errors");
    assert!(
        worst <= Z_CRIT,
        "slack m: a coefficient's mean depends on the witness ({worst})"
    );
}

#[test]
fn responses_are_independent_of_the_witness_norm() {
    let (a, b) = samples(24);
    check_independent(&a, &b);
}

/// The statistic has power: on the unmasked part c·s of the responses (what z would be without its mask)
/// it separates the two witnesses by far.
#[test]
fn unmasked_responses_are_detected() {
    let (a, b) = samples(4);
    for (name, x, y) in [
        ("c·m", &a.cs_m, &b.cs_m),
        ("c·υ_m", &a.cs_ups_m, &b.cs_ups_m),
    ] {
        let (d, crit) = ks(x, y);
        eprintln!("unmasked {name}: KS D = {d:.4} (critical {crit:.4})");
        assert!(
            d > 2.0 * crit,
            "unmasked {name} not detected: D = {d}, critical {crit}"
        );
    }
}

#[test]
#[ignore = "long: 300 proofs (run with --ignored --nocapture)"]
fn leakage_large() {
    let (a, b) = samples(150);
    check_independent(&a, &b);
}
