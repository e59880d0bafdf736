//! Every number derived from a parameter set, in one table (LaZer commits its generated parameter header the
//! same way, with the soundness and security numbers above the constants): the sizes of [`super::set_s`],
//! [`super::set_l`] and [`super::set_xl`], the proof constants and limits of the set, the security estimates
//! (MSIS binding, MLWE hiding, core-SVP) and the soundness error they give, and the wire and policy sizes that
//! follow. The table is committed as
//! `core/src/sets/derived.txt`; the test below fails when a change moves any of these numbers without the
//! file being regenerated, so every such change shows up in review. Regenerate with
//! `ZKFL_BLESS=1 cargo test -p zkfl-core --features std --lib sets::derived`.

use core::fmt::{self, Write};

use crate::arith::Modulus;
use crate::params::{ERROR_ETA, PROOF_RING_DEGREE, log2_q};
use crate::zk::params::{
    JL_REPS, LOG2_QUERIES, SoundnessTerms, ZkParams, log2_challenge_space, mlwe_security,
    msis_security,
};

/// Writes the rows of one set.
#[allow(
    clippy::integer_division_remainder_used,
    reason = "public set sizes, no secret operand"
)]
fn write_set<P: ZkParams>(out: &mut impl Write, k: usize) -> fmt::Result {
    let q = <P::M as Modulus>::Q;
    let bits = <P::M as Modulus>::BITS;
    let bytes = <P::M as Modulus>::BYTES;
    let n = P::N;
    let l_max = P::MAX_CHUNKS;
    let b_max = P::B_INT_MAX;
    writeln!(out, "[set {}]", P::NAME)?;
    writeln!(out, "id = {}", P::ID)?;
    writeln!(out, "q = {q}")?;
    writeln!(out, "q_bits = {bits}")?;
    writeln!(out, "coeff_bytes = {bytes}")?;
    writeln!(out, "N = {n}")?;
    writeln!(out, "K = {k}")?;
    writeln!(out, "error_eta = {}", P::ERROR_ETA)?;
    writeln!(out, "proof_ring_degree = {}", P::PROOF_D)?;
    writeln!(out, "proof_ring_elements_per_poly = {}", n / P::PROOF_D)?;
    writeln!(out, "l_max = {l_max}")?;
    writeln!(out, "b_int_max = {b_max}")?;
    writeln!(out, "max_model_parameters = {}", l_max * n)?;
    writeln!(
        out,
        "ciphertext_bytes_1_chunk = {}",
        crate::wire::bfv::encoded_len::<P>(1)
    )?;
    writeln!(
        out,
        "ciphertext_bytes_l_max = {}",
        crate::wire::bfv::encoded_len::<P>(l_max)
    )?;
    let env = |chunks| crate::policy::max_submission_len(P::ID, chunks, b_max);
    writeln!(out, "max_submission_bytes_1_chunk_b_max = {:?}", env(1))?;
    writeln!(out, "max_submission_bytes_l_max_b_max = {:?}", env(l_max))?;
    write_security::<P>(out)?;
    writeln!(out)
}

/// The proof constants of the set and what they give: MSIS and MLWE estimates (BKZ β, classical core-SVP
/// bits) and the log₂ soundness error against 2^LOG2_QUERIES oracle queries (PROTOCOL §7.2), to 0.01 bit.
fn write_security<P: ZkParams>(out: &mut impl Write) -> fmt::Result {
    let c = P::ZK;
    writeln!(out, "proof_constants = {c:?}")?;
    let lq = log2_q::<P>();
    let (msis_beta, msis_bits) = msis_security(&c, P::N, lq);
    let (mlwe_beta, mlwe_bits) = mlwe_security(&c, lq);
    writeln!(out, "msis_bkz_beta = {msis_beta}")?;
    writeln!(out, "msis_core_svp_bits = {msis_bits:.2}")?;
    writeln!(out, "mlwe_bkz_beta = {mlwe_beta}")?;
    writeln!(out, "mlwe_core_svp_bits = {mlwe_bits:.2}")?;
    let t = SoundnessTerms::compute(&c, lq, JL_REPS, LOG2_QUERIES, msis_bits);
    writeln!(
        out,
        "log2_soundness_error_q_2_pow_{LOG2_QUERIES} = {:.2}",
        t.total()
    )
}

/// The whole table, as committed in `derived.txt`.
pub fn table(out: &mut impl Write) -> fmt::Result {
    writeln!(
        out,
        "# Derived constants of every parameter set (zkfl-core `sets::derived::table`)."
    )?;
    writeln!(
        out,
        "# Generated; do not edit. See core/src/sets/derived.rs for how to regenerate."
    )?;
    writeln!(out, "proof_ring_degree = {PROOF_RING_DEGREE}")?;
    writeln!(out, "error_eta = {ERROR_ETA}")?;
    writeln!(out, "log2_challenge_space = {:.2}", log2_challenge_space())?;
    writeln!(out)?;
    write_set::<super::set_s::Set>(out, super::set_s::K)?;
    write_set::<super::set_l::Set>(out, super::set_l::K)?;
    write_set::<super::set_xl::Set>(out, super::set_xl::K)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::String;

    const COMMITTED: &str = include_str!("derived.txt");

    #[test]
    fn committed_table_is_current() {
        let mut now = String::new();
        super::table(&mut now).expect("write");
        if std::env::var_os("ZKFL_BLESS").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/sets/derived.txt");
            std::fs::write(path, &now).expect("write derived.txt");
            return;
        }
        assert!(
            now == COMMITTED,
            "a derived constant changed; regenerate core/src/sets/derived.txt (see sets/derived.rs) and review \
             the difference:\n{now}"
        );
    }

    /// K is what the BFV layer needs (the compile-time check `bfv::keys::check_params` refuses less), and the
    /// sets sharing one ring share it.
    #[test]
    fn k_matches_the_ring() {
        assert_eq!(super::super::set_s::K, 2);
        assert_eq!(super::super::set_l::K, 4);
        assert_eq!(super::super::set_xl::K, super::super::set_l::K);
    }
}
