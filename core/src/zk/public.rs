//! Products with the public matrices of the commitment (docs/PROTOCOL.md §4): A1 column by column,
//! A2 = [I_n | 0 | A2'] and B = [0 | I_ℓ | B'], shared by prover and verifier.
// Index loops walk several parallel arrays (coefficients, blocks, rows) in lockstep.
#![allow(clippy::needless_range_loop)]

use super::derive::{Matrix, matrix_block, matrix_column};
use super::layout::Layout;
use super::params::{KMSIS_MAX, M2_MAX, Y3_BLOCKS};
use super::rq::Rq;
use crate::arith::Modulus;

/// BDLOP row of the first JL mask block y3^(0) (then y3^(t) = t for t < Y3_BLOCKS, β3, g_k, garbage t).
pub const ROW_Y3: usize = 0;
/// BDLOP row of β3.
pub const ROW_BETA: usize = Y3_BLOCKS;
/// BDLOP row of g_1.
pub const ROW_G: usize = Y3_BLOCKS + 1;
/// BDLOP row of the garbage commitment t.
pub const fn row_t(lambda: usize) -> usize {
    ROW_G + lambda
}

/// acc[r] += A1[r][col]·x for r < n.
pub fn a1_column_acc<M: Modulus>(
    set_id: u8,
    lay: &Layout,
    col: usize,
    x: &Rq<M>,
    acc: &mut [Rq<M>; KMSIS_MAX],
) {
    let mut colv = [Rq::<M>::zero(); KMSIS_MAX];
    matrix_column::<M>(set_id, Matrix::A1, col, lay.zk.kmsis, &mut colv);
    for (a, cv) in acc.iter_mut().zip(colv.iter()).take(lay.zk.kmsis) {
        a.mul_acc(cv, x);
    }
}

/// acc[r] += (A2·v)[r] = v[r] + Σ_t A2'[r][t]·v[n+ℓ+t].
pub fn a2_acc<M: Modulus>(
    set_id: u8,
    lay: &Layout,
    v: &[Rq<M>; M2_MAX],
    acc: &mut [Rq<M>; KMSIS_MAX],
) {
    let (n, ell, kk) = (lay.zk.kmsis, lay.zk.ell(), lay.zk.kmlwe);
    for r in 0..n {
        acc[r].add_assign(&v[r]);
        for t in 0..kk {
            let a = matrix_block::<M>(set_id, Matrix::A2, r, t);
            acc[r].mul_acc(&a, &v[n + ell + t]);
        }
    }
}

/// (B·v)[j] = v[n+j] + Σ_t B'[j][t]·v[n+ℓ+t].
pub fn b_row<M: Modulus>(set_id: u8, lay: &Layout, j: usize, v: &[Rq<M>; M2_MAX]) -> Rq<M> {
    let (n, ell, kk) = (lay.zk.kmsis, lay.zk.ell(), lay.zk.kmlwe);
    let mut acc = v[n + j];
    for t in 0..kk {
        let b = matrix_block::<M>(set_id, Matrix::B, j, t);
        acc.mul_acc(&b, &v[n + ell + t]);
    }
    acc
}

/// Signed block → residues.
pub fn rq_of<M: Modulus>(x: &[i64]) -> Rq<M> {
    Rq::from_i64_slice(x)
}

/// Negacyclic product of two short signed blocks over the integers (exact: |c| ≤ 2 and the caller's
/// values are < 2^40, so every sum fits i64). Constant time (fixed loops).
pub fn mul_small_exact(c: &[i64; super::rq::D], s: &[i64], out: &mut [i64; super::rq::D]) {
    use super::rq::D;
    *out = [0; D];
    for i in 0..D {
        for j in 0..D {
            let v = c[i] * s[j];
            if i + j < D {
                out[i + j] += v;
            } else {
                out[i + j - D] -= v;
            }
        }
    }
}
