//! Products with the public matrices of the commitment (docs/PROTOCOL.md §4): A1 column by column,
//! A2 = [I_n | 0 | A2'] and B = [0 | I_ℓ | B'], shared by prover and verifier.
// Index loops walk several parallel arrays (coefficients, blocks, rows) in lockstep.
#![allow(clippy::needless_range_loop)]

use super::derive::{Matrix, matrix_block, matrix_column};
use super::layout::Layout;
use super::nttacc::NttR;
use super::params::{KMSIS_MAX, M2_MAX, Y3_BLOCKS};
use super::rq::Rq;
use crate::arith::Modulus;
use zeroize::Zeroize;

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

/// Accumulator of A1·x over the columns of A1, in RNS-NTT form (`zk::nttacc`): per column one transform
/// of x and of each of the n entries, pointwise products, one inverse per row at the end. Bit-identical to
/// summing `Rq::mul` products mod q.
pub struct A1Acc<M: Modulus> {
    rows: [NttR<M>; KMSIS_MAX],
    colv: [Rq<M>; KMSIS_MAX],
    nx: NttR<M>,
    na: NttR<M>,
}

impl<M: Modulus> Default for A1Acc<M> {
    fn default() -> Self {
        Self {
            rows: core::array::from_fn(|_| NttR::zero()),
            colv: [Rq::zero(); KMSIS_MAX],
            nx: NttR::zero(),
            na: NttR::zero(),
        }
    }
}

impl<M: Modulus> A1Acc<M> {
    /// (A1·x)[r] for r < n, mod q.
    pub fn finish(&self, n: usize) -> [Rq<M>; KMSIS_MAX] {
        core::array::from_fn(|r| {
            if r < n {
                self.rows[r].to_rq()
            } else {
                Rq::zero()
            }
        })
    }
}

impl<M: Modulus> Drop for A1Acc<M> {
    fn drop(&mut self) {
        self.nx.zeroize();
        for r in self.rows.iter_mut() {
            r.zeroize();
        }
    }
}

/// acc[r] += A1[r][col]·x for r < n.
pub fn a1_column_acc<M: Modulus>(
    set_id: u8,
    lay: &Layout,
    col: usize,
    x: &Rq<M>,
    acc: &mut A1Acc<M>,
) {
    let n = lay.zk.kmsis;
    matrix_column::<M>(set_id, Matrix::A1, col, n, &mut acc.colv);
    acc.nx.set(x);
    for r in 0..n {
        acc.na.set(&acc.colv[r]);
        acc.rows[r].mul_acc(&acc.na, &acc.nx);
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
