//! Every number derived from a parameter set, in one table (LaZer commits its generated parameter header the
//! same way): the sizes of [`super::set_s`], [`super::set_l`] and [`super::set_xl`], the proof limits the set
//! takes from its proof constants, and the wire and policy sizes that follow. The table is committed as
//! `core/src/sets/derived.txt`; the test below fails when a change moves any of these numbers without the
//! file being regenerated, so every such change shows up in review. Regenerate with
//! `ZKFL_BLESS=1 cargo test -p zkfl-core --features std --lib sets::derived`.

use core::fmt::{self, Write};

use crate::arith::Modulus;
use crate::params::{ERROR_ETA, PROOF_RING_DEGREE, ParamSet};

/// Writes the rows of one set.
#[allow(
    clippy::integer_division_remainder_used,
    reason = "public set sizes, no secret operand"
)]
fn write_set<P: ParamSet>(out: &mut impl Write, k: usize) -> fmt::Result {
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
    let env = |chunks| crate::params::limits::max_submission_len(P::ID, chunks, b_max);
    writeln!(out, "max_submission_bytes_1_chunk_b_max = {:?}", env(1))?;
    writeln!(out, "max_submission_bytes_l_max_b_max = {:?}", env(l_max))?;
    writeln!(out)
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
