//! Security of the proof's lattice instances, computed with the repository's core-SVP estimator
//! (`zkfl_core::params::estimate`, calibrated to Kyber) from the constants the prover and verifier use
//! (`zkfl_core::zk::params`), not copied from docs/PROTOCOL.md §9. Fails if any instance drops below 128-bit
//! classical core-SVP.

use zkfl_core::arith::Modulus;
use zkfl_core::params::estimate::{core_svp_bits, lwe_primal_beta, msis_l2_beta};
use zkfl_core::params::{ParamSet, SetL, SetS};
use zkfl_core::zk::params::{D, ETA, ZK_L, ZK_S, ZkConsts};

/// Verifier slack on ‖z_b‖ (PROTOCOL §3: T_z = 1.1).
const T_Z: f64 = 1.1;

fn log2_q<P: ParamSet>() -> f64 {
    (<P::M as Modulus>::Q as f64).log2()
}

/// log2 of β_MSIS = 4η·√(Σ_b (2·T_z·σ_b·√dim_b)²) over the blocks of (z1, z2) at the largest L (PROTOCOL §3).
fn log2_beta_msis(c: &ZkConsts, n: usize) -> f64 {
    let k = (n / D) as f64;
    let d = D as f64;
    let dim_m = k * c.l_max as f64 * d;
    let dim_u_slack = (k + 4.0) * d;
    let dim_s2 = c.m2() as f64 * d;
    let term = |sigma: f64, dim: f64| (2.0 * T_Z * sigma).powi(2) * dim;
    let sum = term(c.sigma_m as f64, dim_m)
        + term(c.sigma_s as f64, dim_u_slack)
        + term(c.sigma_s as f64, dim_s2);
    (4.0 * ETA as f64 * sum.sqrt()).log2()
}

fn msis_bits(c: &ZkConsts, n: usize, log2_q: f64) -> (u32, f64) {
    let k = n / D;
    let m1 = k * (1 + c.l_max) + 4;
    let rows = (c.kmsis * D) as u32;
    let cols = ((m1 + c.m2()) * D) as u32;
    let beta = msis_l2_beta(rows, cols, log2_q, log2_beta_msis(c, n));
    (beta, core_svp_bits(beta).0)
}

fn mlwe_bits(c: &ZkConsts, log2_q: f64) -> (u32, f64) {
    let ternary = (2.0f64 / 3.0).sqrt();
    let secret = (c.kmlwe * D) as u32;
    let samples = ((c.kmsis + c.ell()) * D) as u32;
    let beta = lwe_primal_beta(secret, samples, log2_q, ternary, ternary);
    (beta, core_svp_bits(beta).0)
}

fn check<P: ParamSet>(c: &ZkConsts) {
    let lq = log2_q::<P>();
    let lb = log2_beta_msis(c, P::N);
    assert!(
        lb < lq,
        "set {}: β_MSIS = 2^{lb:.2} is not below q",
        P::NAME
    );
    let (mb, msis) = msis_bits(c, P::N, lq);
    let (lwb, mlwe) = mlwe_bits(c, lq);
    println!(
        "set {}: MSIS β_MSIS 2^{lb:.2} → β {mb} ({msis:.1} bits); MLWE β {lwb} ({mlwe:.1} bits)",
        P::NAME
    );
    assert!(
        msis >= 128.0,
        "set {}: MSIS binding {msis:.1} bits",
        P::NAME
    );
    assert!(mlwe >= 128.0, "set {}: MLWE hiding {mlwe:.1} bits", P::NAME);
}

#[test]
fn proof_instances_of_set_s_reach_128_bits() {
    check::<SetS>(&ZK_S);
}

#[test]
fn proof_instances_of_set_l_reach_128_bits() {
    check::<SetL>(&ZK_L);
}

#[test]
fn a_weakened_instance_is_caught() {
    // Halving the MLWE rank must drop hiding below 128 bits: the check above can fail.
    let weak = ZkConsts {
        kmlwe: ZK_S.kmlwe / 2,
        ..ZK_S
    };
    let (_, bits) = mlwe_bits(&weak, log2_q::<SetS>());
    assert!(bits < 128.0, "weakened instance still at {bits:.1} bits");
}
