//! Products with the public matrices of the commitment (docs/PROTOCOL.md §4): A1 column by column,
//! A2 = [I_n | A2'] with A2' uniform over *every* coordinate of s2 after the first n (the ℓ that hide the
//! BDLOP messages included, so the messages are bound: §7.1), and B = [0 | I_ℓ | B'], shared by prover and
//! verifier.

use super::derive::{
    Matrix, matrix_block, matrix_column, matrix_column_reader, uniform_from_reader,
};
use super::layout::Layout;
use super::nttacc::NttR;
use super::params::{KMSIS_MAX, LAMBDA_MAX, M2_MAX, Y3_BLOCKS};
use super::rq::{D, Rq};
use crate::arith::Modulus;
use crate::arith::rns::primes_needed;
use zeroize::Zeroize;

/// BDLOP row of the first JL mask block y3^(0) (then y3^(t) = t for t < Y3_BLOCKS, β3, g_k, garbage t).
pub const ROW_Y3: usize = 0;
/// BDLOP row of β3.
pub const ROW_BETA: usize = Y3_BLOCKS;
/// BDLOP row of g_1.
pub const ROW_G: usize = Y3_BLOCKS + 1;
/// BDLOP row of the garbage commitment t.
#[must_use]
pub const fn row_t(lambda: usize) -> usize {
    ROW_G + lambda
}

/// A1 in RNS-NTT form for columns 0..cols (what [`a1_column_acc`] otherwise expands from SHAKE128 and
/// transforms on every use), in a caller-provided buffer: entry (col, row) at `(col·n + row)·W` with
/// W = `NttR::stored_words`. It depends on the parameter set only (the CRS), so one table serves every
/// proof and every verification of a process or round; products taken from it are bit-identical to the
/// expanded ones (same transform values).
pub struct A1Table<'t, M: Modulus> {
    set_id: u8,
    n: usize,
    cols: usize,
    data: &'t [u32],
    _m: core::marker::PhantomData<M>,
}

impl<'t, M: Modulus> A1Table<'t, M> {
    /// Words of the buffer for `cols` columns of n rows.
    #[must_use]
    pub const fn words(n: usize, cols: usize) -> usize {
        n * cols * NttR::<M>::stored_words()
    }

    /// Expands columns 0..cols of A1 (n rows) for `set_id` into `buf`; `None` if `buf` is shorter than
    /// [`Self::words`] or n is not a chunk size the proof supports (1..=`KMSIS_MAX`; review 5, G1).
    pub fn fill(set_id: u8, n: usize, cols: usize, buf: &'t mut [u32]) -> Option<Self> {
        if n == 0 || n > KMSIS_MAX {
            return None;
        }
        let w = NttR::<M>::stored_words();
        let buf = buf.get_mut(..Self::words(n, cols))?;
        let mut colv = [Rq::<M>::zero(); KMSIS_MAX];
        let mut na = NttR::<M>::zero();
        for (col, dst) in buf.chunks_exact_mut(n * w).enumerate() {
            matrix_column::<M>(set_id, Matrix::A1, col, n, &mut colv);
            for (r, entry) in dst.chunks_exact_mut(w).enumerate() {
                na.set(&colv[r]);
                na.store(entry);
            }
        }
        Some(Self {
            set_id,
            n,
            cols,
            data: buf,
            _m: core::marker::PhantomData,
        })
    }

    /// Entry (col, row) in stored form, if the table covers it for this set.
    fn entry(&self, set_id: u8, col: usize, row: usize) -> Option<&[u32]> {
        let w = NttR::<M>::stored_words();
        if set_id != self.set_id || col >= self.cols || row >= self.n {
            return None;
        }
        self.data
            .get((col * self.n + row) * w..(col * self.n + row + 1) * w)
    }
}

/// Accumulator of A1·x over the columns of A1, in RNS-NTT form (`zk::nttacc`): per column one transform
/// of x and of each of the n entries, pointwise products, one inverse per row at the end. Bit-identical to
/// summing `Rq::mul` products mod q.
pub struct A1Acc<'t, M: Modulus> {
    /// Pre-expanded columns, when the caller has them (public).
    table: Option<&'t A1Table<'t, M>>,
    rows: [NttR<M>; KMSIS_MAX],
    nx: NttR<M>,
    na: NttR<M>,
    /// Auxiliary primes in use (public: derived from the layout and the parameter set only).
    k: usize,
}

/// Any x for the full-width accumulator (centred residues mod q).
impl<M: Modulus> Default for A1Acc<'_, M> {
    fn default() -> Self {
        Self {
            table: None,
            rows: core::array::from_fn(|_| NttR::zero()),
            nx: NttR::zero(),
            na: NttR::zero(),
            k: NttR::<M>::primes(),
        }
    }
}

impl<'t, M: Modulus> A1Acc<'t, M> {
    /// Takes A1's columns from `table` where it covers them (bit-identical results).
    #[must_use]
    pub fn with_table(mut self, table: Option<&'t A1Table<'t, M>>) -> Self {
        self.table = table;
        self
    }

    /// An accumulator for at most `cols` columns whose x coefficients all satisfy |x_i| < 2^x_bits
    /// (the masks y1 below the sampler's tail cut, the responses z1 decoded from w-bit fields), with as
    /// few primes as stay exact (PROTOCOL §15). Each row sum is Σ over ≤ cols columns of a product in
    /// Z[Y]/(Y^128+1) of a centred A1 entry (|a| < 2^(BITS−1)) by x, so every coefficient has magnitude
    /// < cols·128·2^(BITS−1)·2^x_bits, and `primes_needed` picks K with P_K (≥ 2^29.999·K) above twice
    /// that: the CRT recovers the exact integer, so the result equals the full-width one bit for bit
    /// (set S at 54 chunks, 884 columns, 28-bit z: 1 + 7 + 10 + 43 + 28 = 89 bits → 3 primes instead of
    /// 4). Never more than the full-width count, which covers any x for up to `nttacc::TERMS` columns.
    #[must_use]
    pub fn for_short(cols: usize, x_bits: u32) -> Self {
        let need = primes_needed(D, M::BITS - 1, x_bits, cols);
        let mut acc = Self::default();
        acc.k = need.min(NttR::<M>::primes());
        acc
    }

    /// acc[r] += (A1·x)[r] for r < n, mod q (no KMSIS_MAX-element temporary: docs/FIRMWARE.md).
    pub fn finish_add(&self, n: usize, acc: &mut [Rq<M>; KMSIS_MAX]) {
        for (r, a) in acc.iter_mut().enumerate().take(n) {
            a.add_assign(&self.rows[r].to_rq_k(self.k));
        }
    }

    /// (A1·x)[r] for r < n, mod q.
    pub fn finish(&self, n: usize) -> [Rq<M>; KMSIS_MAX] {
        core::array::from_fn(|r| {
            if r < n {
                self.rows[r].to_rq_k(self.k)
            } else {
                Rq::zero()
            }
        })
    }
}

impl<M: Modulus> Drop for A1Acc<'_, M> {
    fn drop(&mut self) {
        self.nx.zeroize();
        for r in &mut self.rows {
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
    acc: &mut A1Acc<'_, M>,
) {
    let n = lay.zk.kmsis;
    if let Some(t) = acc.table
        && t.entry(set_id, col, n.saturating_sub(1)).is_some()
    {
        acc.nx.set_k(x, acc.k);
        for r in 0..n {
            if let Some(e) = t.entry(set_id, col, r) {
                acc.rows[r].mul_acc_stored_k(e, &acc.nx, acc.k);
            }
        }
        return;
    }
    // The column's entries one at a time from its XOF (row order, as `matrix_column` gives them).
    let mut rd = matrix_column_reader(set_id, Matrix::A1, col);
    acc.nx.set_k(x, acc.k);
    for r in 0..n {
        acc.na.set_k(&uniform_from_reader::<M>(&mut rd), acc.k);
        acc.rows[r].mul_acc_k(&acc.na, &acc.nx, acc.k);
    }
}

/// acc[r] += (A2·v)[r] = v[r] + Σ_{t<ℓ+k} A2'[r][t]·v[n+t].
///
/// A2' covers the ℓ coordinates v[n..n+ℓ] that hide the BDLOP messages as well as the k MLWE
/// coordinates: without that block, (s2[n+j] − δ, msg_j + δ) would open t_j exactly like (s2[n+j], msg_j)
/// and nothing would bind the messages (PROTOCOL §7.1, the version-1 flaw).
pub fn a2_acc<M: Modulus>(
    set_id: u8,
    lay: &Layout,
    v: &[Rq<M>; M2_MAX],
    acc: &mut [Rq<M>; KMSIS_MAX],
) {
    a2_acc_cols(set_id, lay, v, acc, 0);
}

/// The version-1 commitment matrix A2 = [I_n | 0 | A2'], whose zero block leaves the BDLOP messages
/// unbound. Kept only so that forgers can be shown to succeed against the broken verifier
/// (`tests/tests/zk_forgers.rs`); never used by [`super::verify::verify`] or the prover.
#[cfg(any(test, feature = "attack-sim"))]
pub fn a2_acc_unbound<M: Modulus>(
    set_id: u8,
    lay: &Layout,
    v: &[Rq<M>; M2_MAX],
    acc: &mut [Rq<M>; KMSIS_MAX],
) {
    super::attack_sim_linked();
    a2_acc_cols(set_id, lay, v, acc, lay.zk.ell());
}

/// acc[r] += v[r] + Σ_{first ≤ t < ℓ+k} A2'[r][t]·v[n+t].
fn a2_acc_cols<M: Modulus>(
    set_id: u8,
    lay: &Layout,
    v: &[Rq<M>; M2_MAX],
    acc: &mut [Rq<M>; KMSIS_MAX],
    first: usize,
) {
    let (n, ell, kk) = (lay.zk.kmsis, lay.zk.ell(), lay.zk.kmlwe);
    for r in 0..n {
        acc[r].add_assign(&v[r]);
        for t in first..ell + kk {
            let a = matrix_block::<M>(set_id, Matrix::A2, r, t);
            acc[r].mul_acc(&a, &v[n + t]);
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

/// Most BDLOP rows ℓ of any set (y3 blocks, β3, g_1..g_λ, t).
pub const ELL_MAX: usize = Y3_BLOCKS + 2 + LAMBDA_MAX;

/// A2·v and B·v (every BDLOP row) with the coordinates of v supplied one at a time, so that the prover
/// never holds all m2 ring elements of s2 or y2 (docs/FIRMWARE.md): `coord(s)` returns v[s] for
/// s < m2, called once each in order. Each product is the one [`a2_acc`] / [`b_row`] take (same matrix
/// blocks), summed in another order; sums mod q do not depend on the order, so the results are the same
/// residues. `a` (if given) gets A2·v added, `b` (if given) gets (B·v)[j] added for j < ℓ.
#[allow(
    clippy::needless_range_loop,
    reason = "walks parallel arrays in lockstep"
)]
pub fn a2_b_acc_streamed<M: Modulus>(
    set_id: u8,
    lay: &Layout,
    mut coord: impl FnMut(usize) -> Rq<M>,
    mut a: Option<&mut [Rq<M>; KMSIS_MAX]>,
    mut b: Option<&mut [Rq<M>; ELL_MAX]>,
) {
    let (n, ell, kk) = (lay.zk.kmsis, lay.zk.ell(), lay.zk.kmlwe);
    for s in 0..n + ell + kk {
        let v = coord(s);
        if let Some(a) = a.as_deref_mut() {
            if s < n {
                a[s].add_assign(&v);
            } else {
                for r in 0..n {
                    a[r].mul_acc(&matrix_block::<M>(set_id, Matrix::A2, r, s - n), &v);
                }
            }
        }
        if let Some(b) = b.as_deref_mut() {
            if s >= n && s < n + ell {
                b[s - n].add_assign(&v);
            } else if s >= n + ell {
                for j in 0..ell {
                    b[j].mul_acc(&matrix_block::<M>(set_id, Matrix::B, j, s - n - ell), &v);
                }
            }
        }
    }
}

/// Signed block → residues.
#[must_use]
pub fn rq_of<M: Modulus>(x: &[i64]) -> Rq<M> {
    Rq::from_i64_slice(x)
}

/// Negacyclic product of two short signed blocks over the integers (exact: |c| ≤ 4 and the caller's
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
