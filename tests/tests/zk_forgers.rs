//! Forgers built outside the prover (docs/PROTOCOL.md §6.1, §7.1 step 3). The version-1 matrix
//! A2 = [I_n | 0 | A2'] (reachable only behind `attack-sim`: `zk::public::a2_acc_unbound` and
//! `verify_with(.., Disable { v6_unbound_messages: true, .. })`) leaves the ℓ coordinates s2[n..n+ℓ]
//! that hide the BDLOP messages out of t_A and out of V6, so (s2[n+j] − δ, msg_j + δ) opens t_j exactly
//! like (s2[n+j], msg_j). The forgers turn that into accepted proofs of false statements. They never call
//! `zk::prove`: they use only what the verifier uses — `zk::derive` (matrices, JL rows, c), `zk::eval`
//! (μ, γ, F̃_k, F̃), `zk::public` (A1, A2, B rows), `zk::statement` and the transcript (replayed in the
//! order of `zk::verify`), `zk::layout` and `zk::proof` (wire format).
//!
//! # The attack (`zk_forgers/forge.rs`)
//! 1. Any statement: an honest encryption of m with ‖m‖ ≈ 99·B (S) or 293·B (L), or a uniformly random
//!    ciphertext. Claimed s1 = ψ(u) ‖ ψ(m) ‖ υ with υ = 0, s2 ternary.
//! 2. t_A = A1·s1 + A2·s2 (A2 as the forger believes: [`forge::Target`]); t_y = b_y·s2 + y3 (y3 = 0),
//!    t_β = b_β·s2 + 1, z3 = 0 (V3 holds for any JL matrix), g_k uniform with ct(g_k) = 0,
//!    t_g = b_g·s2 + g.
//! 3. After μ: E_k = ct(Σ_i μ_{k,i}·F_i(s)) ≠ 0 (false exact norm, JL rows with z3 ≠ y3 + β3·R·s3).
//!    Every JL constraint contains −y3_i, so y3' = y3 + δ changes ct(F_i) by −δ_i and δ must solve
//!    Σ_i μ_{k,i}·δ_i ≡ E_k (mod q), k ≤ λ: only λ ≤ 3 scalar equations. The q-ary lattice over 20
//!    coordinates has determinant q^λ, so exact LLL + Babai (`zk_forgers/lll.rs`) give ‖δ‖∞ ≈ q^(λ/20):
//!    about 50 (S) and 300 (L), far inside 2^(w_s−1) = 2^23 and the V4 radius.
//! 4. s2'[n + row] = s2[n + row] − δ (t_y unchanged; under version 1 t_A too), h_k = g_k + F_k(s') (so
//!    ct(h_k) = 0 and F(s') = 0 for every γ), t_t = b_t·s2' + g1, v = g0 + b_t·y2, w = A1·y1 + A2·y2,
//!    c from the transcript, z1 = y1 + c·s1, z2 = y2 + c·s2': short because δ is.
//!
//! Variants: (a) δ on 20 rows of y3; (b) 12 rows of y3 plus the constant coefficients of g_1..g_λ as λ
//! more lattice columns (ct(g_k) enters ct(h_k) with coefficient 1); (c) β3 re-opened as −β3 after μ
//! (δ = −2 on its row: still constant with β3² = 1, only the JL residuals change), then y3 as in (a);
//! (d) (a) with Gaussian masks y1, y2, g0 = F̃(0) and g1 = (F̃(1) − F̃(−1))/2 from `f_tilde`
//! (PROTOCOL §6 step 5). Every test asserts: the broken verifier accepts the forgery; `verify` refuses
//! the same bytes; the same forger aimed at the fixed A2 is refused by `verify` (and by version 1).
//!
//! # Why the fixed verifier refuses them
//! With A2 = [I_n | A2'] the re-opened coordinates enter V6: A1·z1 + A2·z2 − c·t_A differs from the w
//! hashed before c by c·A2'·(s2' − s2) ≠ 0, and V8 fails (`ProofError::Challenge`). Cancelling it needs a
//! short nonzero kernel vector of A2' (MSIS, PROTOCOL §9).
//!
//! # Two re-openings after c that are NOT built here
//! (i) *Re-open the garbage term after c* (no μ correction). Then F(s) ≠ 0: V2 forces ct(h_k) = 0, so
//! the best h leaves h_k − g_k − F_k(s) = −E_k and F(s) = −Σ_k γ_k·E_k, uniform in R_q because γ is
//! drawn after h. V7 with V8 (v' = F̃(c) − (c·t_t − b_t·z2) must equal the v hashed before c), with
//! F̃(c) = c²·F(s) + c·g1 + g0 and the garbage opening c·g1' − b_t·y2, reads
//! c·(g1' − g1) = c²·F(s) + (g0 + b_t·y2 − v), so δ_t = g1' − g1 = c·F(s) + c⁻¹·(g0 + b_t·y2 − v):
//! unique (c is invertible, ‖c‖∞ ≤ 2) and uniform, while z2[n + row_t] = y2 + c·(s2 − δ_t) must pass V1
//! (w_s-bit fields) and V4. 128 equations mod q, 128 unknowns: no lattice freedom, no short δ.
//! (ii) *Choose the message masks after c.* Version 1 leaves y2[n..n+ℓ] out of w, so each opening mask
//! −b_j·y2 can be picked after c. One mask alone is forced to a uniform value by the same V7 equation
//! as in (i). All masks that enter F̃ linearly together (y3's 4 blocks, g_1..g_λ, garbage; β3 enters
//! quadratically) make V7 one equation in R_q — d = 128 equations mod q in (5 + λ)·d short unknowns, a
//! rank-1 inhomogeneous Ring-SIS instance, not the λ-scalar system of step 3. Estimated under the
//! GSA (optimal sub-dimension): plain LLL reaches about 2^26.5 (S) / 2^37.1 (L) against the V4 radius
//! 2^25.3 / 2^25.7, so no small-LLL test can do it and none pretends to; it is not out of reach for BKZ
//! though (root-Hermite 1.0198 suffices for S, about 1.0104 — block size near 80 — for L). The fix
//! removes it as well: with A2 = [I_n | A2'] all of y2 enters w before c.

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
use zkfl_core::params::{ParamSet, SetL, SetS, SetXL};
use zkfl_core::zk::params::ZkParams;
use zkfl_core::zk::proof::ProofError;
use zkfl_core::zk::public::A1Table;
use zkfl_core::zk::verify::{Disable, Submission, verify, verify_round, verify_with};

const NS: usize = 2048;
const KS: usize = zkfl_core::set_s::K;
const NL: usize = 4096;
const KL: usize = zkfl_core::set_l::K;

/// The broken (version-1) verifier: check V6 with the A2 that leaves the BDLOP messages unbound.
fn version1() -> Disable {
    Disable {
        v6_unbound_messages: true,
        ..Disable::default()
    }
}

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
    let b2 = u128::from(inst.bound).pow(2);
    if norm_sq(&inst.m) > 0 {
        assert!(
            norm_sq(&inst.m) > 8000 * b2,
            "{name}: the statement must be false"
        );
    }
    attack_false_statement::<P, N>(inst, var, name);
}

/// [`attack`] without its check of how false the statement is (the caller checks it).
fn attack_false_statement<P: ZkParams, const N: usize>(
    inst: &Instance<P, N>,
    var: Variant,
    name: &str,
) {
    let st = inst.statement();
    let u: [i64; N] = inst.u.clone().try_into().expect("u has N coefficients");
    let claim = Claim { u: &u, m: &inst.m };
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
    // δ is short: c·δ stays far inside the w_s-bit fields and the V4 radius.
    assert!(bad.delta_inf < 1 << 13, "{name}: ‖δ‖∞ = {}", bad.delta_inf);
    assert!(bad.zs_inf < zmax, "{name}: z_s does not fit the wire");
    if var.g_columns {
        println!("{name}: garbage constants re-opened by ε = {:?}", bad.eps);
        assert!(bad.eps.iter().any(|&e| e != 0), "{name}: g_k re-opened");
    }
    let broken = verify_with::<P, N>(&st, &inst.ctx, &bad.proof, version1());
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
    let broken2 = verify_with::<P, N>(&st, &inst.ctx, &aimed.proof, version1());
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
    // The round verifier (shared A1 table, two threads) gives each forgery the verdict `verify` gives.
    let lay = st.layout::<P>().expect("layout");
    let mut a1_buf = vec![0u32; A1Table::<P::M>::words(lay.zk.kmsis, lay.m1())];
    let a1 = A1Table::<P::M>::fill(P::ID, lay.zk.kmsis, lay.m1(), &mut a1_buf).expect("a1");
    let subs = [&bad.proof, &aimed.proof].map(|p| Submission {
        stmt: &st,
        ctx: inst.ctx,
        proof: p,
    });
    let mut verdicts = [Ok(()); 2];
    let accepted = verify_round::<P, N>(&subs, &a1, &mut verdicts, 2).expect("verdicts fit");
    assert_eq!(accepted, 0, "{name}: round verifier");
    assert_eq!(
        verdicts,
        [Err(ProofError::Challenge); 2],
        "{name}: round verifier"
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

/// Chunks of the set-XL forgery: more than set L's 32 (PROTOCOL §9.1, §16.2).
const XL_CHUNKS: usize = 40;

/// Set XL, 40 chunks: every chunk is ±1000 (‖m_j‖ = 64,000 < B = 2^16, so a per-chunk bound would hold for
/// each), the update has ‖m‖ = √40·64,000 ≈ 6.2·B. An honest encryption.
fn set_xl_norm_split_across_chunks() -> Instance<SetXL, NL> {
    let k = key::<SetXL, NL, KL>([31; 32], [32; 32], XL_CHUNKS);
    let m: Vec<[i64; NL]> = (0..XL_CHUNKS as u64)
        .flat_map(|j| huge_update::<NL>(1000, 100 + j))
        .collect();
    encrypt::<SetXL, NL, KL>(&k, m, 1_000_003, 1 << 16, [33; 32], 7, 3)
}

/// The global bound at set XL's size: a statement whose every chunk is within B but whose whole update is
/// not. The forger (a) gets it past the broken verifier; `verify` refuses it (PROTOCOL §16.2).
#[test]
fn forger_a_y3_set_xl_norm_split_across_chunks() {
    big_stack(|| {
        let inst = set_xl_norm_split_across_chunks();
        let b2 = u128::from(inst.bound).pow(2);
        assert!(
            inst.m.iter().all(|c| norm_sq(std::slice::from_ref(c)) < b2),
            "every chunk alone is within B"
        );
        assert!(norm_sq(&inst.m) > 30 * b2, "the update is not");
        attack_false_statement::<SetXL, NL>(&inst, A, "XL/a/norm split over 40 chunks");
    });
}

/// (b): fewer y3 rows, plus the constant coefficients of g_1..g_λ as λ more lattice columns (set L has
/// q^λ = 2^258 to spread over the columns, so it keeps more y3 rows: 16 columns would leave ‖δ‖∞ ≈ 2^16).
const B: Variant = Variant {
    cols: 12,
    g_columns: true,
    ..A
};
const B_L: Variant = Variant { cols: 24, ..B };

#[test]
fn forger_b_y3_and_garbage_constants_set_s() {
    big_stack(|| attack::<SetS, NS>(&set_s_huge_m(), B, "S/b/huge m"));
}

#[test]
fn forger_b_y3_and_garbage_constants_set_l() {
    big_stack(|| attack::<SetL, NL>(&set_l_huge_m(), B_L, "L/b/huge m"));
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
