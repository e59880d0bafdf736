//! Security of the proof's lattice instances, computed with the repository's core-SVP estimator
//! (`zkfl_core::params::estimate`, calibrated to Kyber) from the constants the prover and verifier use
//! (`zkfl_core::zk::params`), not copied from docs/PROTOCOL.md §9. Fails if any instance drops below 128-bit
//! classical core-SVP.

use zkfl_core::arith::Modulus;
use zkfl_core::params::{ParamSet, SetL, SetS, SetXL};
use zkfl_core::zk::params::{
    ZK_L, ZK_S, ZK_XL, ZkConsts, log2_beta_msis, mlwe_security, msis_security,
};

fn log2_q<P: ParamSet>() -> f64 {
    (<P::M as Modulus>::Q as f64).log2()
}

fn check<P: ParamSet>(c: &ZkConsts) {
    let lq = log2_q::<P>();
    let lb = log2_beta_msis(c, P::N);
    assert!(
        lb < lq,
        "set {}: β_MSIS = 2^{lb:.2} is not below q",
        P::NAME
    );
    let (mb, msis) = msis_security(c, P::N, lq);
    let (lwb, mlwe) = mlwe_security(c, lq);
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
fn proof_instances_of_set_xl_reach_128_bits() {
    check::<SetXL>(&ZK_XL);
}

#[test]
fn set_l_constants_fail_at_set_xl_size() {
    // Set L's MSIS rank with set XL's chunk count: the MSIS check fails, so XL needs its own constants
    // (the extra MSIS row is what the larger β_MSIS costs).
    let stretched = ZkConsts {
        l_max: ZK_XL.l_max,
        ..ZK_L
    };
    let (_, bits) = msis_security(&stretched, SetL::N, log2_q::<SetL>());
    assert!(
        bits < 128.0,
        "set L's rank at 512 chunks still at {bits:.1} bits"
    );
    // And one MLWE rank less than XL's falls short (the extra MSIS row adds d MLWE samples).
    let thin = ZkConsts {
        kmlwe: ZK_XL.kmlwe - 1,
        ..ZK_XL
    };
    let (_, bits) = mlwe_security(&thin, log2_q::<SetXL>());
    assert!(
        bits < 128.0,
        "XL with k = {} still at {bits:.1} bits",
        thin.kmlwe
    );
}

#[test]
fn a_weakened_instance_is_caught() {
    // Halving the MLWE rank must drop hiding below 128 bits: the check above can fail.
    let weak = ZkConsts {
        kmlwe: ZK_S.kmlwe / 2,
        ..ZK_S
    };
    let (_, bits) = mlwe_security(&weak, log2_q::<SetS>());
    assert!(bits < 128.0, "weakened instance still at {bits:.1} bits");
}
