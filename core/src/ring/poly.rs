//! Polynomials of Z_q[X]/(X^N+1) in coefficient form (`Poly`) and in RNS-NTT form over K auxiliary
//! primes (`NttPoly`). The two forms are different types, so multiplying a coefficient-form operand by an
//! NTT-form one is a type error, not a silent bug (STYLE.md, fhe.rs habit).
//!
//! Exact multiplication (docs/BFV.md): lift both operands as centred
//! integers to residues mod p_1..p_K, multiply pointwise in the NTT domain, go back with the inverse NTT
//! and reconstruct the exact integer product coefficient mod q by CRT (`arith::rns`). K must satisfy
//! P_K > 2·max|exact coefficient| (`arith::rns::primes_needed`); the caller picks K from the operands'
//! bounds, e.g. K = 2 for uniform × ternary at N = 2048.

use crate::arith::Modulus;
use crate::arith::ntt;
use crate::arith::primes::NTT_PRIMES;
use crate::arith::rns::{self, lift_centered, lift_i64, primes_for_uniform, q_montgomery};
use subtle::{Choice, ConstantTimeEq};
use zeroize::Zeroize;

/// An element of Z_q[X]/(X^N+1): coefficient i is the coefficient of X^i, canonical in [0, q).
#[derive(Clone, Debug)]
pub struct Poly<M: Modulus, const N: usize> {
    /// Coefficients in [0, q); every function here keeps them canonical.
    pub coeffs: [M::Coeff; N],
}

impl<M: Modulus, const N: usize> Default for Poly<M, N> {
    fn default() -> Self {
        Self::zero()
    }
}

impl<M: Modulus, const N: usize> Poly<M, N> {
    /// The zero polynomial.
    #[must_use]
    pub fn zero() -> Self {
        Self {
            coeffs: [M::zero(); N],
        }
    }

    /// The polynomial with the given signed integer coefficients, reduced mod q (constant time).
    #[must_use]
    pub fn from_i64(c: &[i64; N]) -> Self {
        Self {
            coeffs: core::array::from_fn(|i| M::from_i64(c[i])),
        }
    }

    /// Coefficient i as a centred integer in (−q/2, q/2].
    pub fn centered(&self, i: usize) -> i128 {
        M::to_centered(self.coeffs[i])
    }

    /// self += other.
    pub fn add_assign(&mut self, other: &Self) {
        for (a, b) in self.coeffs.iter_mut().zip(other.coeffs.iter()) {
            *a = M::add(*a, *b);
        }
    }

    /// self −= other.
    pub fn sub_assign(&mut self, other: &Self) {
        for (a, b) in self.coeffs.iter_mut().zip(other.coeffs.iter()) {
            *a = M::sub(*a, *b);
        }
    }

    /// self = −self.
    pub fn neg_assign(&mut self) {
        for a in &mut self.coeffs {
            *a = M::neg(*a);
        }
    }

    /// self = c·self for a scalar c ∈ Z_q.
    pub fn scalar_mul_assign(&mut self, c: M::Coeff) {
        for a in &mut self.coeffs {
            *a = M::mul(*a, c);
        }
    }

    /// ‖self‖² of the centred representatives, constant time; saturates at u128::MAX (each |c| is capped at
    /// 2^63 first), so it is exact for the small polynomials it is meant for (errors, secrets, messages).
    pub fn norm_sq_centered(&self) -> u128 {
        let cap = 1u128 << 63;
        self.coeffs.iter().fold(0u128, |acc, &c| {
            let a = M::to_centered(c).unsigned_abs().min(cap);
            acc.saturating_add(a * a)
        })
    }

    /// self += c·other for a scalar c ∈ Z_q (e.g. Δ·m in BFV encryption).
    pub fn add_scaled_assign(&mut self, c: M::Coeff, other: &Self) {
        for (a, b) in self.coeffs.iter_mut().zip(other.coeffs.iter()) {
            *a = M::add(*a, M::mul(c, *b));
        }
    }
}

impl<M: Modulus, const N: usize> Zeroize for Poly<M, N> {
    fn zeroize(&mut self) {
        self.coeffs.zeroize();
    }
}

impl<M: Modulus, const N: usize> ConstantTimeEq for Poly<M, N> {
    fn ct_eq(&self, other: &Self) -> Choice {
        let mut acc = Choice::from(1);
        for (a, b) in self.coeffs.iter().zip(other.coeffs.iter()) {
            acc &= a.ct_eq(b);
        }
        acc
    }
}

/// Equality in constant time (all coefficients are compared whatever the data).
impl<M: Modulus, const N: usize> PartialEq for Poly<M, N> {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}
impl<M: Modulus, const N: usize> Eq for Poly<M, N> {}

/// A polynomial in RNS-NTT form: for each of the first K auxiliary primes p_k, the negacyclic NTT of the
/// centred lift of the polynomial mod p_k (bit-reversed evaluation order), each value kept in Montgomery
/// form x·2^32 mod p_k in [0, p_k). Montgomery form makes a pointwise product one Montgomery
/// multiplication and closes the set under products; the inverse transform removes the factor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NttPoly<const N: usize, const K: usize> {
    /// `res[k][i]`: evaluation i modulo prime k, Montgomery form.
    pub res: [[u32; N]; K],
}

impl<const N: usize, const K: usize> Default for NttPoly<N, K> {
    fn default() -> Self {
        Self::zero()
    }
}

impl<const N: usize, const K: usize> Zeroize for NttPoly<N, K> {
    fn zeroize(&mut self) {
        self.res.zeroize();
    }
}

impl<const N: usize, const K: usize> NttPoly<N, K> {
    /// The zero polynomial.
    #[must_use]
    pub fn zero() -> Self {
        const { assert!(K >= 1 && K <= crate::arith::primes::PRIME_COUNT) };
        Self {
            res: [[0u32; N]; K],
        }
    }

    /// The NTT form of `a` (centred lift, so the products of small and large operands stay small).
    pub fn from_poly<M: Modulus>(a: &Poly<M, N>) -> Self {
        let mut out = Self::zero();
        out.set_from_poly(a);
        out
    }

    /// Overwrites self with the NTT form of `a` (no large temporary on the stack).
    pub fn set_from_poly<M: Modulus>(&mut self, a: &Poly<M, N>) {
        for (k, row) in self.res.iter_mut().enumerate() {
            let pr = &NTT_PRIMES[k];
            let qm = q_montgomery::<M>(pr);
            for (r, &c) in row.iter_mut().zip(a.coeffs.iter()) {
                *r = lift_centered::<M>(c, qm, pr);
            }
            ntt::forward(row, pr);
        }
    }

    /// Overwrites self with the NTT form of the integer polynomial with coefficients `c` (signed small
    /// values such as ternary, binomial or Gaussian samples, lifted exactly; constant time).
    pub fn set_from_i64(&mut self, c: &[i64; N]) {
        for (k, row) in self.res.iter_mut().enumerate() {
            let pr = &NTT_PRIMES[k];
            for (r, &x) in row.iter_mut().zip(c.iter()) {
                *r = lift_i64(x, pr);
            }
            ntt::forward(row, pr);
        }
    }

    /// self += other (the NTT is linear).
    pub fn add_assign(&mut self, other: &Self) {
        for (k, (a, b)) in self.res.iter_mut().zip(other.res.iter()).enumerate() {
            let pr = &NTT_PRIMES[k];
            for (x, y) in a.iter_mut().zip(b.iter()) {
                *x = pr.add(*x, *y);
            }
        }
    }

    /// self −= other.
    pub fn sub_assign(&mut self, other: &Self) {
        for (k, (a, b)) in self.res.iter_mut().zip(other.res.iter()).enumerate() {
            let pr = &NTT_PRIMES[k];
            for (x, y) in a.iter_mut().zip(b.iter()) {
                *x = pr.sub(*x, *y);
            }
        }
    }

    /// self = self ∘ other (the product in Z[X]/(X^N+1), exact if K primes suffice for the operands).
    pub fn mul_assign(&mut self, other: &Self) {
        for (k, (a, b)) in self.res.iter_mut().zip(other.res.iter()).enumerate() {
            let pr = &NTT_PRIMES[k];
            for (x, y) in a.iter_mut().zip(b.iter()) {
                *x = pr.mont_mul(*x, *y);
            }
        }
    }

    /// self += a ∘ b (multiply-accumulate; K must cover the accumulated bound, see `rns::primes_needed`).
    pub fn mul_acc(&mut self, a: &Self, b: &Self) {
        let rows = self.res.iter_mut().zip(a.res.iter()).zip(b.res.iter());
        for (pr, ((xr, yr), zr)) in NTT_PRIMES.iter().zip(rows) {
            for ((x, y), z) in xr.iter_mut().zip(yr.iter()).zip(zr.iter()) {
                *x = pr.add(*x, pr.mont_mul(*y, *z));
            }
        }
    }

    /// out = a ∘ b.
    pub fn mul_into(a: &Self, b: &Self, out: &mut Self) {
        let rows = out.res.iter_mut().zip(a.res.iter()).zip(b.res.iter());
        for (pr, ((xr, yr), zr)) in NTT_PRIMES.iter().zip(rows) {
            for ((x, y), z) in xr.iter_mut().zip(yr.iter()).zip(zr.iter()) {
                *x = pr.mont_mul(*y, *z);
            }
        }
    }

    /// Back to coefficient form mod q, transforming self in place (self is left in coefficient-residue
    /// form, i.e. garbage as an `NttPoly`; use [`NttPoly::to_poly`] to keep it).
    pub fn inverse_into<M: Modulus>(&mut self, out: &mut Poly<M, N>) {
        for (k, row) in self.res.iter_mut().enumerate() {
            ntt::inverse_from_montgomery(row, &NTT_PRIMES[k]);
        }
        for (i, c) in out.coeffs.iter_mut().enumerate() {
            let r: [u32; K] = core::array::from_fn(|k| self.res[k][i]);
            *c = rns::reconstruct::<M, K>(&r);
        }
    }

    /// out += self in coefficient form mod q, transforming self in place like [`NttPoly::inverse_into`]
    /// (for a device that accumulates into its only output buffer).
    pub fn inverse_add_into<M: Modulus>(&mut self, out: &mut Poly<M, N>) {
        for (k, row) in self.res.iter_mut().enumerate() {
            ntt::inverse_from_montgomery(row, &NTT_PRIMES[k]);
        }
        for (i, c) in out.coeffs.iter_mut().enumerate() {
            let r: [u32; K] = core::array::from_fn(|k| self.res[k][i]);
            *c = M::add(*c, rns::reconstruct::<M, K>(&r));
        }
    }

    /// The coefficient form mod q (copies self first).
    pub fn to_poly<M: Modulus>(&self, out: &mut Poly<M, N>) {
        let mut tmp = self.clone();
        tmp.inverse_into(out);
        tmp.zeroize();
    }
}

/// out = a·b in Z_q[X]/(X^N+1) for arbitrary operands: K must cover uniform × uniform
/// (`rns::primes_for_uniform`: 4 at (2048, q44), 7 at (4096, q86), 4/6 at N = 128); checked at compile
/// time. Hot paths with a small operand should keep public operands in NTT form and use a smaller K.
pub fn mul<M: Modulus, const N: usize, const K: usize>(
    a: &Poly<M, N>,
    b: &Poly<M, N>,
    out: &mut Poly<M, N>,
) {
    const {
        assert!(
            K >= primes_for_uniform(N, M::BITS),
            "K too small for a general product"
        );
    };
    let mut fa = NttPoly::<N, K>::from_poly(a);
    let mut fb = NttPoly::<N, K>::from_poly(b);
    fa.mul_assign(&fb);
    fa.inverse_into(out);
    fa.zeroize();
    fb.zeroize();
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::arith::{Q44, Q86};
    use num_bigint::BigInt;
    use proptest::prelude::*;
    use std::boxed::Box;
    use std::vec::Vec;

    /// Exact negacyclic schoolbook product of the centred lifts, then reduced mod q (BigInt reference).
    fn schoolbook<M: Modulus, const N: usize>(a: &Poly<M, N>, b: &Poly<M, N>) -> Vec<u128> {
        let ca: Vec<BigInt> = (0..N).map(|i| BigInt::from(a.centered(i))).collect();
        let cb: Vec<BigInt> = (0..N).map(|i| BigInt::from(b.centered(i))).collect();
        let mut acc = vec_zero(N);
        for i in 0..N {
            if ca[i] == BigInt::from(0) {
                continue;
            }
            for j in 0..N {
                let p = &ca[i] * &cb[j];
                if i + j < N {
                    acc[i + j] += p;
                } else {
                    acc[i + j - N] -= p;
                }
            }
        }
        let q = BigInt::from(M::Q);
        acc.iter()
            .map(|z| u128::try_from(((z % &q) + &q) % &q).unwrap())
            .collect()
    }

    fn vec_zero(n: usize) -> Vec<BigInt> {
        (0..n).map(|_| BigInt::from(0)).collect()
    }

    fn poly_from<M: Modulus, const N: usize>(v: &[u128]) -> Box<Poly<M, N>> {
        let mut p = Box::new(Poly::<M, N>::zero());
        for (c, x) in p.coeffs.iter_mut().zip(v.iter().cycle()) {
            *c = M::from_u128(*x);
        }
        p
    }

    fn ternary_from<M: Modulus, const N: usize>(v: &[u8]) -> Box<Poly<M, N>> {
        let mut p = Box::new(Poly::<M, N>::zero());
        for (c, x) in p.coeffs.iter_mut().zip(v.iter().cycle()) {
            *c = M::from_i64(i64::from(*x % 3) - 1);
        }
        p
    }

    fn coeffs<M: Modulus, const N: usize>(p: &Poly<M, N>) -> Vec<u128> {
        p.coeffs.iter().map(|&c| M::to_u128(c)).collect()
    }

    fn check_general<M: Modulus, const N: usize, const K: usize>(a: &[u128], b: &[u128]) {
        let (pa, pb) = (poly_from::<M, N>(a), poly_from::<M, N>(b));
        let mut out = Box::new(Poly::<M, N>::zero());
        mul::<M, N, K>(&pa, &pb, &mut out);
        assert_eq!(coeffs(&out), schoolbook(&pa, &pb));
    }

    fn check_ternary<M: Modulus, const N: usize, const K: usize>(a: &[u128], t: &[u8]) {
        let (pa, pt) = (poly_from::<M, N>(a), ternary_from::<M, N>(t));
        let fa = Box::new(NttPoly::<N, K>::from_poly(&pa));
        let mut ft = Box::new(NttPoly::<N, K>::from_poly(&pt));
        ft.mul_assign(&fa);
        let mut out = Box::new(Poly::<M, N>::zero());
        ft.inverse_into(&mut out);
        assert_eq!(coeffs(&out), schoolbook(&pa, &pt));
    }

    fn max_poly<M: Modulus>() -> [u128; 3] {
        [M::Q - 1, M::Q / 2, M::Q / 2 + 1]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn mul_128_matches_schoolbook(a in prop::collection::vec(any::<u128>(), 128),
                                      b in prop::collection::vec(any::<u128>(), 128)) {
            check_general::<Q44, 128, 4>(&a, &b);
            check_general::<Q86, 128, 6>(&a, &b);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3))]
        #[test]
        fn mul_2048_matches_schoolbook(a in prop::collection::vec(any::<u128>(), 2048),
                                       b in prop::collection::vec(any::<u128>(), 64),
                                       t in prop::collection::vec(any::<u8>(), 2048)) {
            check_general::<Q44, 2048, 4>(&a, &b);
            check_ternary::<Q44, 2048, 2>(&a, &t);
            check_ternary::<Q86, 2048, 4>(&a, &t);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1))]
        #[test]
        fn mul_4096_matches_schoolbook(a in prop::collection::vec(any::<u128>(), 4096),
                                       b in prop::collection::vec(any::<u128>(), 32),
                                       t in prop::collection::vec(any::<u8>(), 4096)) {
            check_general::<Q86, 4096, 7>(&a, &b);
            check_ternary::<Q86, 4096, 4>(&a, &t);
        }
    }

    #[test]
    fn mul_worst_case_magnitudes() {
        // All coefficients at ±q/2: the exact products reach the bound the prime count is sized for.
        check_general::<Q44, 2048, 4>(&max_poly::<Q44>(), &max_poly::<Q44>());
        check_general::<Q86, 128, 6>(&max_poly::<Q86>(), &[Q86::Q / 2 + 1]);
        check_general::<Q86, 4096, 7>(&[Q86::Q / 2 + 1], &[Q86::Q / 2 + 1]);
        check_ternary::<Q44, 2048, 2>(&[Q44::Q / 2 + 1], &[0]);
        check_ternary::<Q86, 4096, 4>(&[Q86::Q / 2], &[2]);
    }

    #[test]
    fn ntt_linear_ops_and_mul_acc() {
        let a = poly_from::<Q44, 128>(&[5, Q44::Q - 3, 77, 1 << 40]);
        let b = poly_from::<Q44, 128>(&[Q44::Q - 1, 9, 1 << 43]);
        let c = poly_from::<Q44, 128>(&[123456789, 2]);
        let (fa, fb, fc) = (
            NttPoly::<128, 4>::from_poly(&a),
            NttPoly::<128, 4>::from_poly(&b),
            NttPoly::<128, 4>::from_poly(&c),
        );
        // a·b + a·c = a·(b + c)
        let mut acc = NttPoly::<128, 4>::zero();
        acc.mul_acc(&fa, &fb);
        acc.mul_acc(&fa, &fc);
        let mut bc = (*b).clone();
        bc.add_assign(&c);
        let mut want = Poly::zero();
        mul::<Q44, 128, 4>(&a, &bc, &mut want);
        let mut got = Poly::zero();
        acc.to_poly(&mut got);
        assert_eq!(got, want);
        // (a − b) + b = a in NTT form, and to_poly(from_poly(a)) = a.
        let mut d = fa.clone();
        d.sub_assign(&fb);
        d.add_assign(&fb);
        assert_eq!(d, fa);
        let mut back = Poly::zero();
        fa.to_poly(&mut back);
        assert_eq!(back, *a);
        // Small signed lift agrees with the Poly lift.
        let small: [i64; 128] = core::array::from_fn(|i| (i as i64 % 7) - 3);
        let mut fs = NttPoly::<128, 4>::zero();
        fs.set_from_i64(&small);
        assert_eq!(fs, NttPoly::from_poly(&Poly::<Q44, 128>::from_i64(&small)));
    }

    #[test]
    fn poly_ops_and_ct_eq() {
        let a = poly_from::<Q86, 128>(&[1, Q86::Q - 1, 1 << 85]);
        let mut b = (*a).clone();
        b.neg_assign();
        b.add_assign(&a);
        assert_eq!(b, Poly::zero());
        let mut c = (*a).clone();
        c.scalar_mul_assign(3);
        let mut d = (*a).clone();
        d.add_scaled_assign(2, &a);
        assert_eq!(c, d);
        d.coeffs[127] = Q86::add(d.coeffs[127], 1);
        assert_ne!(c, d);
        d.sub_assign(&c);
        assert_eq!(d.centered(127), 1);
        assert_eq!(d.norm_sq_centered(), 1);
        let small = Poly::<Q86, 128>::from_i64(&core::array::from_fn(|i| i as i64 - 64));
        assert_eq!(
            small.norm_sq_centered(),
            (0..128i128).map(|i| (i - 64) * (i - 64)).sum::<i128>() as u128
        );
        assert_eq!(a.norm_sq_centered(), u128::MAX);
        d.zeroize();
        assert_eq!(d, Poly::zero());
    }
}
