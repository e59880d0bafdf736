//! The security table of docs/SECURITY.md as tests: every BFV lattice instance must reach 128-bit classical
//! core-SVP under `params::estimate`.

use super::estimate::{TARGET_BITS, core_svp_bits, lwe_primal};
use super::{ERROR_SIGMA, ParamSet, SetL, SetS, SetXL, TERNARY_SIGMA, log2_q};

/// Both RLWE instances of set `P` (docs/SECURITY.md §3): the public key (secret s_j, one ring sample, N samples)
/// and the multi-message ciphertext (secret u, (L_max + 1)·N samples).
fn bfv_instances<P: ParamSet>() -> [(&'static str, u32, u32); 2] {
    let n = P::N as u32;
    [
        ("public key", n, n),
        ("ciphertext", n, (P::MAX_CHUNKS as u32 + 1) * n),
    ]
}

fn check_set<P: ParamSet>() {
    for (what, n, samples) in bfv_instances::<P>() {
        let attack = lwe_primal(n, samples, log2_q::<P>(), TERNARY_SIGMA, ERROR_SIGMA);
        let (classical, _) = core_svp_bits(attack.beta);
        assert!(
            classical >= TARGET_BITS,
            "set {} {what}: β = {} ({classical:.1} bits) below 128",
            P::NAME,
            attack.beta
        );
        // The optimal attack uses far fewer samples than available, so more chunks would not help it.
        assert!(attack.samples < samples);
    }
}

#[test]
fn bfv_set_s_reaches_128_bits() {
    check_set::<SetS>();
}

#[test]
fn bfv_set_l_reaches_128_bits() {
    check_set::<SetL>();
}

#[test]
fn bfv_set_xl_reaches_128_bits() {
    // Set L's ring and modulus with (512 + 1)·N ciphertext samples: the attack still uses fewer.
    check_set::<SetXL>();
}

/// Largest integer log2 q with 128-bit classical core-SVP at ring degree n (ternary secret, CBD(21) error,
/// unlimited samples).
fn max_log2_q(n: u32) -> u32 {
    (20..200)
        .take_while(|&lq| {
            let beta = lwe_primal(n, 1 << 20, f64::from(lq), TERNARY_SIGMA, ERROR_SIGMA).beta;
            core_svp_bits(beta).0 >= TARGET_BITS
        })
        .last()
        .unwrap_or(0)
}

#[test]
fn brief_modulus_caps_hold() {
    // Design target: "caps log2 q at about 44 for N = 2048 and about 88 for N = 4096".
    let cap_s = max_log2_q(2048);
    let cap_l = max_log2_q(4096);
    assert!((44..=46).contains(&cap_s), "N = 2048: log2 q ≤ {cap_s}");
    assert!((88..=91).contains(&cap_l), "N = 4096: log2 q ≤ {cap_l}");
    assert!(log2_q::<SetS>() <= f64::from(cap_s) && log2_q::<SetL>() <= f64::from(cap_l));
}
