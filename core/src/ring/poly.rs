//! Polynomials of Z_q[X]/(X^N+1) in coefficient form (`Poly`) and in RNS-NTT form over K auxiliary
//! primes (`NttPoly`). The two forms are different types, so multiplying a coefficient-form operand by an
//! NTT-form one is a type error, not a silent bug (STYLE.md, fhe.rs habit).
//!
//! Exact multiplication (ARCHITECTURE.md, "Cryptographic building blocks"): lift both operands as centred
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
    pub fn zero() -> Self {
        Self {
            coeffs: [M::zero(); N],
        }
    }

    /// The polynomial with the given signed integer coefficients, reduced mod q (constant time).
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
        for a in self.coeffs.iter_mut() {
            *a = M::neg(*a);
        }
    }

    /// self = c·self for a scalar c ∈ Z_q.
    pub fn scalar_mul_assign(&mut self, c: M::Coeff) {
        for a in self.coeffs.iter_mut() {
            *a = M::mul(*a, c);
        }
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
        )
    };
    let mut fa = NttPoly::<N, K>::from_poly(a);
    let mut fb = NttPoly::<N, K>::from_poly(b);
    fa.mul_assign(&fb);
    fa.inverse_into(out);
    fa.zeroize();
    fb.zeroize();
}
