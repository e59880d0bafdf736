//! Forgers built outside the prover (docs/PROTOCOL.md §6.1, §7.1): proofs of false statements that the
//! version-1 verifier (A2 = [I_n | 0 | A2'], reachable only behind `attack-sim`) accepts and the fixed
//! verifier refuses.
//!
//! TODO(doc): full description.

#[path = "zk_forgers/forge.rs"]
mod forge;
#[path = "zk_forgers/lll.rs"]
mod lll;
mod zk_common;

use forge::{Claim, Target, Variant, forge};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zk_common::{Instance, big_stack, encrypt, key, norm_sq};
use zkfl_core::arith::Modulus;
use zkfl_core::bfv::ternary_product_primes;
use zkfl_core::params::{ParamSet, SetL, SetS};
use zkfl_core::zk::params::ZkParams;
use zkfl_core::zk::proof::ProofError;
use zkfl_core::zk::verify::{Disable, verify, verify_with};

const NS: usize = 2048;
const KS: usize = ternary_product_primes(NS, <<SetS as ParamSet>::M as Modulus>::BITS);
const NL: usize = 4096;
const KL: usize = ternary_product_primes(NL, <<SetL as ParamSet>::M as Modulus>::BITS);

/// The broken (version-1) verifier: check V6 with the A2 that leaves the BDLOP messages unbound.
const BROKEN: Disable = Disable {
    v6_unbound_messages: true,
    v2_h: false,
    v3_z3: false,
    v4_z: false,
    v6_commit: false,
    v7_quad: false,
    v8_challenge: false,
};

/// One chunk whose every coefficient is ±`mag` (random signs).
fn huge_update<const N: usize>(mag: i64, seed: u64) -> Vec<[i64; N]> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut m = [0i64; N];
    for x in m.iter_mut() {
        *x = if rng.next_u32() & 1 == 0 { mag } else { -mag };
    }
    vec![m]
}

/// Set S, one chunk: an honest encryption (ternary u, proper errors) of m = ±9000 at B = 4096
/// (‖m‖ ≈ 99·B).
fn set_s_huge_m() -> Instance<SetS, NS> {
    let k = key::<SetS, NS, KS>([11; 32], [12; 32], 1);
    encrypt::<SetS, NS, KS>(&k, huge_update::<NS>(9000, 1), 65_537, 4096, [13; 32], 7, 3)
}

/// Set S, one chunk: a uniformly random ciphertext (no short witness exists at all).
fn set_s_uniform_ct() -> Instance<SetS, NS> {
    let mut inst = set_s_huge_m();
    let mut rng = ChaCha20Rng::seed_from_u64(99);
    let q = <<SetS as ParamSet>::M as Modulus>::Q;
    let mut uni = || <<SetS as ParamSet>::M as Modulus>::from_u128(u128::from(rng.next_u64()) % q);
    for x in inst.c1.iter_mut() {
        *x = uni();
    }
    for x in inst.c0[0].iter_mut() {
        *x = uni();
    }
    inst.u = vec![0; NS];
    inst.m = vec![[0; NS]];
    inst
}

/// Set L, one chunk: an honest encryption of m = ±300,000 at B = 2^16 (‖m‖ ≈ 293·B).
fn set_l_huge_m() -> Instance<SetL, NL> {
    let k = key::<SetL, NL, KL>([21; 32], [22; 32], 1);
    encrypt::<SetL, NL, KL>(
        &k,
        huge_update::<NL>(300_000, 2),
        1_000_003,
        1 << 16,
        [23; 32],
        7,
        3,
    )
}

/// Runs the forger against both verifiers and asserts: the forgery aimed at the version-1 A2 is
/// accepted by the broken verifier and refused by `verify`; the same forger aimed at the fixed A2 is
/// refused by `verify` (and by the broken verifier).
fn attack<P: ZkParams, const N: usize>(inst: &Instance<P, N>, var: Variant, name: &str) {
    let st = inst.statement();
    let u: [i64; N] = inst.u.clone().try_into().expect("u has N coefficients");
    let claim = Claim { u: &u, m: &inst.m };
    let b2 = u128::from(inst.bound).pow(2);
    if norm_sq(&inst.m) > 0 {
        assert!(
            norm_sq(&inst.m) > 8000 * b2,
            "{name}: the statement must be false"
        );
    }
    let bad = forge::<P, N>(&st, &inst.ctx, &claim, Target::Unbound, var, 5);
    let zmax = 1i64 << (P::ZK.ws - 1);
    println!(
        "{name}: residuals E_k = {:?}; ‖δ‖∞ = {}, ‖δ‖₂ = {:.0}, max |z_s| = {} (< 2^{} = {zmax}); {} bytes",
        bad.residuals,
        bad.delta_inf,
        bad.delta_l2,
        bad.zs_inf,
        P::ZK.ws - 1,
        bad.proof.len()
    );
    if var.g_columns {
        println!("{name}: garbage constants re-opened by ε = {:?}", bad.eps);
        assert!(bad.eps.iter().any(|&e| e != 0), "{name}: g_k re-opened");
    }
    let broken = verify_with::<P, N>(&st, &inst.ctx, &bad.proof, BROKEN);
    let fixed = verify::<P, N>(&st, &inst.ctx, &bad.proof);
    println!("{name}: broken verifier {broken:?}; fixed verifier on the same bytes {fixed:?}");
    assert_eq!(
        broken,
        Ok(()),
        "{name}: the version-1 verifier must accept the forgery"
    );
    assert_eq!(
        fixed,
        Err(ProofError::Challenge),
        "{name}: fixed verifier, same bytes"
    );
    let aimed = forge::<P, N>(&st, &inst.ctx, &claim, Target::Bound, var, 5);
    let fixed2 = verify::<P, N>(&st, &inst.ctx, &aimed.proof);
    let broken2 = verify_with::<P, N>(&st, &inst.ctx, &aimed.proof, BROKEN);
    println!("{name}: forger aimed at the fixed A2: fixed verifier {fixed2:?}, broken {broken2:?}");
    assert_eq!(
        fixed2,
        Err(ProofError::Challenge),
        "{name}: fixed verifier, aimed forgery"
    );
    assert!(
        broken2.is_err(),
        "{name}: the aimed forgery opens nothing under version 1 either"
    );
}

const A: Variant = Variant {
    cols: 20,
    g_columns: false,
    flip_beta: false,
    masks: false,
};

#[test]
fn forger_a_y3_set_s_huge_m() {
    big_stack(|| attack::<SetS, NS>(&set_s_huge_m(), A, "S/a/huge m"));
}

#[test]
fn forger_a_y3_set_s_uniform_ciphertext() {
    big_stack(|| attack::<SetS, NS>(&set_s_uniform_ct(), A, "S/a/uniform ct"));
}

#[test]
fn forger_a_y3_set_l_huge_m() {
    big_stack(|| attack::<SetL, NL>(&set_l_huge_m(), A, "L/a/huge m"));
}

/// (b): fewer y3 rows, plus the constant coefficients of g_1..g_λ as λ more lattice columns.
const B: Variant = Variant {
    cols: 12,
    g_columns: true,
    ..A
};

#[test]
fn forger_b_y3_and_garbage_constants_set_s() {
    big_stack(|| attack::<SetS, NS>(&set_s_huge_m(), B, "S/b/huge m"));
}

#[test]
fn forger_b_y3_and_garbage_constants_set_l() {
    big_stack(|| attack::<SetL, NL>(&set_l_huge_m(), B, "L/b/huge m"));
}

/// (c): β3 = 1 re-opened as −1 after μ, y3 corrected by LLL as in (a).
const C: Variant = Variant {
    flip_beta: true,
    ..A
};

#[test]
fn forger_c_beta_flipped_set_s() {
    big_stack(|| attack::<SetS, NS>(&set_s_huge_m(), C, "S/c/huge m"));
}

#[test]
fn forger_c_beta_flipped_set_l() {
    big_stack(|| attack::<SetL, NL>(&set_l_huge_m(), C, "L/c/huge m"));
}

/// (d): (a) with honest Gaussian masks y1, y2 (g0, g1 from F̃ at c ∈ {0, ±1}, PROTOCOL §6 step 5).
const DM: Variant = Variant { masks: true, ..A };

#[test]
fn forger_d_gaussian_masks_set_s() {
    big_stack(|| attack::<SetS, NS>(&set_s_huge_m(), DM, "S/d/huge m"));
}

#[test]
fn forger_d_gaussian_masks_set_l() {
    big_stack(|| attack::<SetL, NL>(&set_l_huge_m(), DM, "L/d/huge m"));
}
