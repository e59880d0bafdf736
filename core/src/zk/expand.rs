//! Public matrices of the ABDLOP commitment (A1, A2', B_y, b_β, B_g, b_t, ...) expanded from a public seed
//! (ZK-BRIEF §3 "Notation": SHAKE128(seed ‖ label ‖ index), so any column can be produced on its own;
//! LNP22 §3.1).
//!
//! Entry (row, col) of the matrix named `label` is the R_d element whose 128 coefficients are read from
//! `Xof::new(seed, label, (row << 32) | col)` ([`crate::ring::sample::Xof`], SHAKE128) by the rejection
//! sampler [`crate::ring::sample::uniform`] (public data): uniform mod q, and independent across entries
//! because distinct (label, row, col) give distinct XOF inputs. Rows and columns are < 2^32.
//!
//! Labels should start with [`MATRIX_LABEL_PREFIX`] so that matrix streams never share an XOF input with
//! the other users of `Xof` (JL blocks, secrets); the constants below follow that rule.
//!
//! API summary:
//! - [`expand_entry`]`::<M>(seed, label, row, col, &mut ProofPoly<M>)`.
//! - [`expand_column`]`::<M>(seed, label, col, &mut [ProofPoly<M>])` — rows 0..len (the streaming prover
//!   regenerates one column of A1 per witness block).
//! - [`expand_row`]`::<M>(seed, label, row, &mut [ProofPoly<M>])` — columns 0..len.
//! - Label constants [`LABEL_A1`], [`LABEL_A2`], [`LABEL_B_Y`], [`LABEL_B_BETA`], [`LABEL_B_G`], [`LABEL_B_T`].

use crate::arith::Modulus;
use crate::ring::sample::{SEED_BYTES, Xof, uniform};
use crate::ring::subring::ProofPoly;

/// Prefix shared by every matrix label.
pub const MATRIX_LABEL_PREFIX: &[u8] = b"ZKFL-PQ/mat/";
/// Ajtai part for the witness s1.
pub const LABEL_A1: &[u8] = b"ZKFL-PQ/mat/A1";
/// Ajtai part for the randomness s2 (the non-identity block A2').
pub const LABEL_A2: &[u8] = b"ZKFL-PQ/mat/A2";
/// BDLOP rows committing y3 (the JL mask).
pub const LABEL_B_Y: &[u8] = b"ZKFL-PQ/mat/By";
/// BDLOP row committing β3.
pub const LABEL_B_BETA: &[u8] = b"ZKFL-PQ/mat/Bbeta";
/// BDLOP rows committing the g masks of the batching step.
pub const LABEL_B_G: &[u8] = b"ZKFL-PQ/mat/Bg";
/// BDLOP row committing the garbage term t.
pub const LABEL_B_T: &[u8] = b"ZKFL-PQ/mat/Bt";

/// XOF index of entry (row, col): injective for row, col < 2^32.
fn index(row: u32, col: u32) -> u64 {
    (u64::from(row) << 32) | u64::from(col)
}

/// Entry (row, col) of the matrix `label`.
pub fn expand_entry<M: Modulus>(
    seed: &[u8; SEED_BYTES],
    label: &[u8],
    row: u32,
    col: u32,
    out: &mut ProofPoly<M>,
) {
    let mut xof = Xof::new(seed, label, index(row, col));
    uniform(&mut xof, out);
}

/// Column `col`, rows 0..out.len() (rows beyond 2^32 are not addressable and are left untouched).
pub fn expand_column<M: Modulus>(
    seed: &[u8; SEED_BYTES],
    label: &[u8],
    col: u32,
    out: &mut [ProofPoly<M>],
) {
    for (row, entry) in (0..=u32::MAX).zip(out.iter_mut()) {
        expand_entry(seed, label, row, col, entry);
    }
}

/// Row `row`, columns 0..out.len().
pub fn expand_row<M: Modulus>(
    seed: &[u8; SEED_BYTES],
    label: &[u8],
    row: u32,
    out: &mut [ProofPoly<M>],
) {
    for (col, entry) in (0..=u32::MAX).zip(out.iter_mut()) {
        expand_entry(seed, label, row, col, entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::modulus::{Q44, Q86};

    const SEED: [u8; 32] = [42; 32];

    #[test]
    fn labels_share_the_prefix() {
        for l in [
            LABEL_A1,
            LABEL_A2,
            LABEL_B_Y,
            LABEL_B_BETA,
            LABEL_B_G,
            LABEL_B_T,
        ] {
            assert!(l.starts_with(MATRIX_LABEL_PREFIX));
        }
    }

    #[test]
    fn columns_and_rows_agree_with_entries() {
        let mut col: [ProofPoly<Q44>; 4] = core::array::from_fn(|_| ProofPoly::zero());
        expand_column(&SEED, LABEL_A1, 7, &mut col);
        let mut row: [ProofPoly<Q44>; 9] = core::array::from_fn(|_| ProofPoly::zero());
        expand_row(&SEED, LABEL_A1, 2, &mut row);
        assert_eq!(row[7], col[2]);
        for (r, c) in col.iter().enumerate() {
            let mut e = ProofPoly::<Q44>::zero();
            expand_entry(&SEED, LABEL_A1, r as u32, 7, &mut e);
            assert_eq!(&e, c);
        }
    }

    #[test]
    fn entries_are_distinct_and_seed_label_bound() {
        let get = |seed: &[u8; 32], label: &[u8], r: u32, c: u32| {
            let mut e = ProofPoly::<Q44>::zero();
            expand_entry(seed, label, r, c, &mut e);
            e
        };
        let base = get(&SEED, LABEL_A1, 1, 2);
        assert_eq!(base, get(&SEED, LABEL_A1, 1, 2));
        assert_ne!(base, get(&SEED, LABEL_A1, 2, 1));
        assert_ne!(base, get(&SEED, LABEL_A2, 1, 2));
        assert_ne!(base, get(&[43; 32], LABEL_A1, 1, 2));
        assert_ne!(base, get(&SEED, LABEL_A1, 1, 3));
    }

    #[test]
    fn coefficients_look_uniform() {
        // 64 entries × 128 coefficients: all < q, top bit set about half the time, mean ≈ q/2.
        let mut col: [ProofPoly<Q86>; 64] = core::array::from_fn(|_| ProofPoly::zero());
        expand_column(&SEED, LABEL_B_Y, 0, &mut col);
        let n = 64.0 * 128.0;
        let mut high = 0u32;
        let mut mean = 0.0f64;
        for e in &col {
            for &c in e.coeffs.iter() {
                let v = Q86::to_u128(c);
                assert!(v < Q86::Q);
                high += u32::from(v >= 1 << 85);
                mean += v as f64 / Q86::Q as f64;
            }
        }
        let frac = f64::from(high) / n;
        // Standard deviations: 0.0055 for the fraction, 0.0032 for the mean.
        assert!((frac - 0.5).abs() < 0.03, "{frac}");
        assert!((mean / n - 0.5).abs() < 0.02, "{}", mean / n);
    }
}
