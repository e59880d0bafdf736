//! Sums of products in R = Z_q[Y]/(Y^128+1) accumulated in RNS-NTT form (docs/PROTOCOL.md §10, "lazy
//! reduction"): the prover's and verifier's passes add one product per s3 block, Σ_b a_b·x_b. Each operand
//! is transformed once (centred lift into K auxiliary primes, forward NTT), products are pointwise
//! multiply-adds, and the inverse transform plus CRT happen once per sum. The K primes cover the exact
//! integer sum of up to [`TERMS`] products of centred residues, so the result is bit-identical to summing
//! `Rq::mul` products mod q. σ: Y ↦ Y⁻¹ acts on the evaluations as a fixed permutation (no transform).
//! Constant time: fixed loops, no branch or index on the operands.

use super::rq::{D, Rq};
use crate::arith::Modulus;
use crate::arith::ntt;
use crate::arith::primes::NTT_PRIMES;
use crate::arith::rns::{lift_centered, primes_needed, q_montgomery, reconstruct};
use core::marker::PhantomData;
use zeroize::Zeroize;

/// Most products one accumulator may sum exactly. It must cover the largest s3 block count (JL and norm sums)
/// and the largest m1 (A1 columns) of every set at its L_max — asserted below, so a new set or a larger L_max
/// cannot wrap a sum silently (review 9, finding 1). 2^16 still needs only 4 primes for q44 and 7 for q86.
pub const TERMS: usize = 1 << 16;

/// Whether set P's largest s3 and s1 fit in one exact accumulator.
const fn sums_fit<P: crate::zk::params::ZkParams>() -> bool {
    let lay = super::layout::Layout::new(P::ZK, P::N, 0, P::MAX_CHUNKS, P::B_INT_MAX);
    lay.s3_blocks() <= TERMS && lay.m1() <= TERMS
}
const _: () = assert!(
    sums_fit::<crate::params::SetS>()
        && sums_fit::<crate::params::SetL>()
        && sums_fit::<crate::params::SetXL>()
);
/// Most auxiliary primes any modulus needs (7 for q < 2^86): the CRT below reconstructs from at most this.
const KMAX: usize = 7;

/// Residue rows `NttR` stores for modulus M.
#[allow(
    clippy::integer_division_remainder_used,
    reason = "a type size by the public degree D"
)]
const fn rows<M: Modulus>() -> usize {
    core::mem::size_of::<M::AccRows>() / (4 * D)
}

/// Primes for an exact sum of [`TERMS`] products of centred residues mod q (4 for q44, 7 for q86).
#[must_use]
pub const fn acc_primes<M: Modulus>() -> usize {
    primes_needed(D, M::BITS - 1, M::BITS - 1, TERMS)
}

/// An element of R (or an exact sum of products) in RNS-NTT form over the first `acc_primes` primes,
/// values in Montgomery form as in `ring::poly::NttPoly`. Stores exactly the rows its modulus uses
/// (`Modulus::AccRows`).
#[derive(Clone)]
pub struct NttR<M: Modulus> {
    res: M::AccRows,
    _m: PhantomData<M>,
}

impl<M: Modulus> Zeroize for NttR<M> {
    fn zeroize(&mut self) {
        self.res.zeroize();
    }
}

impl<M: Modulus> Default for NttR<M> {
    fn default() -> Self {
        Self::zero()
    }
}

impl<M: Modulus> NttR<M> {
    const K: usize = {
        assert!(acc_primes::<M>() <= KMAX);
        assert!(acc_primes::<M>() == rows::<M>());
        acc_primes::<M>()
    };

    /// Zero.
    #[must_use]
    pub fn zero() -> Self {
        Self {
            res: M::ACC_ZERO,
            _m: PhantomData,
        }
    }

    /// The transform of x (centred lift of every coefficient).
    pub fn from_rq(x: &Rq<M>) -> Self {
        let mut r = Self::zero();
        r.set(x);
        r
    }

    /// Overwrites self with the transform of x.
    pub fn set(&mut self, x: &Rq<M>) {
        self.set_k(x, Self::K);
    }

    /// Primes this modulus uses for sums of [`TERMS`] products of centred residues (the most any
    /// `*_k` method may be given).
    #[must_use]
    pub const fn primes() -> usize {
        Self::K
    }

    /// [`Self::set`] over the first `kk` ≤ [`Self::primes`] primes only (the caller guarantees that
    /// P_kk covers its sums exactly; the other residue rows are left unchanged).
    pub fn set_k(&mut self, x: &Rq<M>, kk: usize) {
        for (k, row) in self
            .res
            .as_mut()
            .iter_mut()
            .enumerate()
            .take(kk.min(Self::K))
        {
            let pr = &NTT_PRIMES[k];
            let qm = q_montgomery::<M>(pr);
            for (r, &c) in row.iter_mut().zip(x.0.iter()) {
                *r = lift_centered::<M>(c, qm, pr);
            }
            ntt::forward(row, pr);
        }
    }

    /// The transform of σ(x), by permuting the evaluations: the negacyclic NTT stores a(ζ^(2j+1)) in
    /// bit-reversed order, and σ(a)(ζ) = a(ζ⁻¹) maps position p to position d−1−p (checked by a test).
    #[must_use]
    pub fn sigma(&self) -> Self {
        let mut r = Self::zero();
        for k in 0..Self::K {
            for p in 0..D {
                r.res.as_mut()[k][p] = self.res.as_ref()[k][D - 1 - p];
            }
        }
        r
    }

    /// self += a∘b (one product of the sum).
    pub fn mul_acc(&mut self, a: &Self, b: &Self) {
        self.mul_acc_k(a, b, Self::K);
    }

    /// [`Self::mul_acc`] over the first `kk` primes only.
    #[allow(
        clippy::needless_range_loop,
        reason = "walks parallel arrays in lockstep"
    )]
    pub fn mul_acc_k(&mut self, a: &Self, b: &Self, kk: usize) {
        for k in 0..kk.min(Self::K) {
            let pr = &NTT_PRIMES[k];
            let (x, y, z) = (
                &mut self.res.as_mut()[k],
                &a.res.as_ref()[k],
                &b.res.as_ref()[k],
            );
            for i in 0..D {
                x[i] = pr.add(x[i], pr.mont_mul(y[i], z[i]));
            }
        }
    }

    /// Words of one element in stored form ([`Self::store`]): the residue rows of the primes in use.
    #[must_use]
    pub const fn stored_words() -> usize {
        Self::K * D
    }

    /// Writes the residue rows in use into `out` (`stored_words` values; a table entry of
    /// `zk::tables`). Returns false, writing nothing, if `out` is shorter.
    pub fn store(&self, out: &mut [u32]) -> bool {
        let Some(out) = out.get_mut(..Self::stored_words()) else {
            return false;
        };
        for (dst, row) in out.chunks_exact_mut(D).zip(self.res.as_ref().iter()) {
            dst.copy_from_slice(row);
        }
        true
    }

    /// Overwrites self with an element in stored form (`stored_words` values, as [`Self::store`] wrote them).
    pub fn load(&mut self, stored: &[u32]) {
        for (row, src) in self
            .res
            .as_mut()
            .iter_mut()
            .zip(stored.chunks_exact(D))
            .take(Self::K)
        {
            row.copy_from_slice(src);
        }
    }

    /// self += a∘b over the first `kk` primes, a in stored form (no copy of a).
    pub fn mul_acc_stored_k(&mut self, a: &[u32], b: &Self, kk: usize) {
        for ((k, x), y) in self
            .res
            .as_mut()
            .iter_mut()
            .enumerate()
            .take(kk.min(Self::K))
            .zip(a.chunks_exact(D))
        {
            let pr = &NTT_PRIMES[k];
            let z = &b.res.as_ref()[k];
            for i in 0..D {
                x[i] = pr.add(x[i], pr.mont_mul(y[i], z[i]));
            }
        }
    }

    /// The sum mod q (inverse transform and CRT; self is unchanged).
    pub fn to_rq(&self) -> Rq<M> {
        self.to_rq_k(Self::K)
    }

    /// [`Self::to_rq`] from the first `kk` primes only (the exact sum must lie below P_kk / 2).
    pub fn to_rq_k(&self, kk: usize) -> Rq<M> {
        let kk = kk.clamp(1, Self::K);
        let mut t = self.res;
        for (k, row) in t.as_mut().iter_mut().enumerate().take(kk) {
            ntt::inverse_from_montgomery(row, &NTT_PRIMES[k]);
        }
        let rows = t.as_ref();
        let mut out = Rq::<M>::zero();
        for (i, o) in out.0.iter_mut().enumerate() {
            let r: [u32; KMAX] = core::array::from_fn(|k| rows.get(k).map_or(0, |row| row[i]));
            *o = match kk {
                1 => reconstruct::<M, 1>(&[r[0]]),
                2 => reconstruct::<M, 2>(&[r[0], r[1]]),
                3 => reconstruct::<M, 3>(&[r[0], r[1], r[2]]),
                4 => reconstruct::<M, 4>(&[r[0], r[1], r[2], r[3]]),
                5 => reconstruct::<M, 5>(&[r[0], r[1], r[2], r[3], r[4]]),
                6 => reconstruct::<M, 6>(&[r[0], r[1], r[2], r[3], r[4], r[5]]),
                _ => reconstruct::<M, 7>(&r),
            };
        }
        t.zeroize();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::{Q44, Q86};

    fn pseudo<M: Modulus>(seed: u64) -> Rq<M> {
        let mut s = seed;
        let mut r = Rq::<M>::zero();
        for x in &mut r.0 {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let hi = u128::from(s) << 64 | u128::from(s.rotate_left(17));
            *x = M::from_u128(hi % M::Q);
        }
        r
    }

    fn sums_agree<M: Modulus>() {
        let mut acc = NttR::<M>::zero();
        let mut acc_s = NttR::<M>::zero();
        let mut want = Rq::<M>::zero();
        let mut want_s = Rq::<M>::zero();
        for b in 0..40u64 {
            let (a, x) = (pseudo::<M>(2 * b + 1), pseudo::<M>(2 * b + 2));
            let (na, nx) = (NttR::from_rq(&a), NttR::from_rq(&x));
            acc.mul_acc(&na, &nx);
            want.mul_acc(&a, &x);
            // σ by permutation equals the transform of σ(x).
            acc_s.mul_acc(&nx.sigma(), &nx);
            want_s.mul_acc(&x.sigma(), &x);
        }
        assert!(acc.to_rq() == want);
        assert!(acc_s.to_rq() == want_s);
    }

    #[test]
    fn accumulated_products_match_rq_mul() {
        sums_agree::<Q44>();
        sums_agree::<Q86>();
    }

    #[test]
    fn stored_form_round_trips_and_multiplies_alike() {
        fn run<M: Modulus>() {
            let (a, x) = (pseudo::<M>(7), pseudo::<M>(8));
            let (na, nx) = (NttR::<M>::from_rq(&a), NttR::<M>::from_rq(&x));
            let mut buf = [0u32; 7 * D];
            assert!(!na.store(&mut buf[..NttR::<M>::stored_words() - 1]));
            assert!(na.store(&mut buf));
            let mut back = NttR::<M>::zero();
            back.load(&buf);
            assert!(back.to_rq() == a);
            let (mut p, mut q) = (NttR::<M>::zero(), NttR::<M>::zero());
            p.mul_acc(&na, &nx);
            q.mul_acc_stored_k(&buf, &nx, NttR::<M>::primes());
            assert!(p.to_rq() == q.to_rq());
        }
        run::<Q44>();
        run::<Q86>();
    }

    #[test]
    fn extreme_operands_stay_exact() {
        // (q−1)/2 everywhere: the largest centred magnitudes, summed TERMS/64 times.
        fn run<M: Modulus>() {
            let h = Rq::<M>([M::from_u128((M::Q - 1) / 2); D]);
            let n = NttR::from_rq(&h);
            let mut acc = NttR::<M>::zero();
            let mut want = Rq::<M>::zero();
            for _ in 0..TERMS / 64 {
                acc.mul_acc(&n, &n);
                want.mul_acc(&h, &h);
            }
            assert!(acc.to_rq() == want);
        }
        run::<Q44>();
        run::<Q86>();
    }

    #[test]
    fn fewer_primes_stay_exact_at_the_short_bound() {
        // A1Acc::for_short: (q−1)/2 times the largest short value 2^b − 1 in every coefficient, over
        // `cols` products, reconstructed from primes_needed(D, BITS−1, b, cols) primes only.
        fn run<M: Modulus>(cols: usize, b: u32, want_k: usize) {
            let k = primes_needed(D, M::BITS - 1, b, cols);
            assert_eq!(k, want_k);
            let h = Rq::<M>([M::from_u128((M::Q - 1) / 2); D]);
            let x = Rq::<M>::from_i64(&[(1i64 << b) - 1; D]);
            let (mut nh, mut nx) = (NttR::<M>::zero(), NttR::<M>::zero());
            nh.set_k(&h, k);
            nx.set_k(&x, k);
            let mut acc = NttR::<M>::zero();
            let mut want = Rq::<M>::zero();
            for _ in 0..cols {
                acc.mul_acc_k(&nh, &nx, k);
                want.mul_acc(&h, &x);
            }
            assert!(acc.to_rq_k(k) == want);
            // One prime fewer is not enough (the bound is not loose by a whole prime).
            let mut short = NttR::<M>::zero();
            for _ in 0..cols {
                short.mul_acc_k(&nh, &nx, k - 1);
            }
            assert!(short.to_rq_k(k - 1) != want);
        }
        // Set S at 54 chunks: 884 columns, 28-bit responses → 3 primes instead of 4.
        run::<Q44>(884, 28, 3);
        run::<Q86>(900, 31, 5);
    }
}
