//! Elements of the proof ring R = Z_q[Y]/(Y^128 + 1) (docs/PROTOCOL.md §1) and the few operations the
//! protocol needs: negacyclic product, the automorphism σ: Y ↦ Y⁻¹, constant coefficient, scalar product.
//! Everything is constant time (fixed loops, `Modulus` arithmetic only).

use crate::arith::Modulus;
use crate::arith::rns::primes_for_uniform;
use crate::ring::{NttPoly, Poly};
use zeroize::Zeroize;

/// Proof-ring degree d.
pub const D: usize = 128;

/// One element of R, coefficients in [0, q).
pub struct Rq<M: Modulus>(pub [M::Coeff; D]);

// By hand: `derive` would demand `M: Clone` of the marker type, not of the coefficients.
#[allow(clippy::expl_impl_clone_on_copy)]
impl<M: Modulus> Clone for Rq<M> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<M: Modulus> Copy for Rq<M> {}

impl<M: Modulus> core::fmt::Debug for Rq<M> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Rq(..)")
    }
}

impl<M: Modulus> PartialEq for Rq<M> {
    /// Variable-time comparison: used on public values only.
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl<M: Modulus> Default for Rq<M> {
    fn default() -> Self {
        Self::zero()
    }
}

impl<M: Modulus> Rq<M> {
    /// The zero element.
    #[must_use]
    pub fn zero() -> Self {
        Rq([M::zero(); D])
    }

    /// The constant polynomial x.
    pub fn constant(x: M::Coeff) -> Self {
        let mut r = Self::zero();
        r.0[0] = x;
        r
    }

    /// The residue of signed integer coefficients.
    #[must_use]
    pub fn from_i64(a: &[i64; D]) -> Self {
        let mut r = Self::zero();
        for (o, &x) in r.0.iter_mut().zip(a.iter()) {
            *o = M::from_i64(x);
        }
        r
    }

    /// The element from a slice of exactly d signed coefficients.
    #[must_use]
    pub fn from_i64_slice(a: &[i64]) -> Self {
        let mut r = Self::zero();
        for (o, &x) in r.0.iter_mut().zip(a.iter()) {
            *o = M::from_i64(x);
        }
        r
    }

    /// Centred coefficients as i64 (caller guarantees |x| < 2^63, i.e. short values).
    pub fn to_i64(&self, out: &mut [i64]) {
        for (o, &x) in out.iter_mut().zip(self.0.iter()) {
            *o = crate::arith::cast::low_i64(M::to_centered(x));
        }
    }

    /// self + b.
    #[must_use]
    pub fn add(&self, b: &Self) -> Self {
        let mut r = *self;
        r.add_assign(b);
        r
    }

    /// self − b.
    #[must_use]
    pub fn sub(&self, b: &Self) -> Self {
        let mut r = *self;
        for (x, &y) in r.0.iter_mut().zip(b.0.iter()) {
            *x = M::sub(*x, y);
        }
        r
    }

    /// self += b.
    pub fn add_assign(&mut self, b: &Self) {
        for (x, &y) in self.0.iter_mut().zip(b.0.iter()) {
            *x = M::add(*x, y);
        }
    }

    /// −self.
    #[must_use]
    pub fn neg(&self) -> Self {
        let mut r = *self;
        for x in &mut r.0 {
            *x = M::neg(*x);
        }
        r
    }

    /// s·self for a scalar s.
    #[must_use]
    pub fn scale(&self, s: M::Coeff) -> Self {
        let mut r = *self;
        for x in &mut r.0 {
            *x = M::mul(*x, s);
        }
        r
    }

    /// Constant coefficient ct(self).
    pub fn ct(&self) -> M::Coeff {
        self.0[0]
    }

    /// σ(self) with σ: Y ↦ Y⁻¹ = −Y^(d−1): coefficient i moves to d−i with a sign change (i ≥ 1).
    #[must_use]
    pub fn sigma(&self) -> Self {
        let mut r = Self::zero();
        r.0[0] = self.0[0];
        for i in 1..D {
            r.0[D - i] = M::neg(self.0[i]);
        }
        r
    }

    /// Negacyclic product self·b in R, by RNS-NTT at length 128 (docs/BFV.md; `ring::poly`): the exact integer product of the centred lifts over K primes
    /// (`rns::primes_for_uniform`: 4 for q44, 6 for q86), reduced mod q — bit-identical to the schoolbook
    /// product, data-independent (fixed transforms), ~3 KiB of stack.
    #[must_use]
    pub fn mul(&self, b: &Self) -> Self {
        match const { primes_for_uniform(D, M::BITS) } {
            k if k <= 4 => self.mul_ntt::<4>(b),
            5 => self.mul_ntt::<5>(b),
            6 => self.mul_ntt::<6>(b),
            7 => self.mul_ntt::<7>(b),
            _ => self.mul_reduced(b),
        }
    }

    /// self·b over K auxiliary primes; exact when K ≥ `primes_for_uniform(D, M::BITS)` (the caller's
    /// dispatch in [`Rq::mul`] guarantees it).
    fn mul_ntt<const K: usize>(&self, b: &Self) -> Self {
        let mut fa = NttPoly::<D, K>::from_poly(&Poly::<M, D> { coeffs: self.0 });
        let mut fb = NttPoly::<D, K>::from_poly(&Poly::<M, D> { coeffs: b.0 });
        fa.mul_assign(&fb);
        let mut out = Poly::<M, D>::zero();
        fa.inverse_into(&mut out);
        fa.zeroize();
        fb.zeroize();
        Self(out.coeffs)
    }

    /// Schoolbook reference (kept for the tests): u128 partial sums for q < 2^48, else reduced products.
    #[cfg(test)]
    fn mul_schoolbook(&self, b: &Self) -> Self {
        if M::BITS <= 48 {
            self.mul_lazy(b)
        } else {
            self.mul_reduced(b)
        }
    }

    #[cfg(test)]
    fn mul_lazy(&self, b: &Self) -> Self {
        let mut pos = [0u128; D];
        let mut neg = [0u128; D];
        for i in 0..D {
            let ai = M::to_u128(self.0[i]);
            for j in 0..D - i {
                pos[i + j] += ai * M::to_u128(b.0[j]);
            }
            for j in D - i..D {
                neg[i + j - D] += ai * M::to_u128(b.0[j]);
            }
        }
        let mut r = Self::zero();
        for k in 0..D {
            r.0[k] = M::sub(M::from_u128(pos[k]), M::from_u128(neg[k]));
        }
        r
    }

    fn mul_reduced(&self, b: &Self) -> Self {
        let mut r = Self::zero();
        for i in 0..D {
            let ai = self.0[i];
            for j in 0..D - i {
                r.0[i + j] = M::add(r.0[i + j], M::mul(ai, b.0[j]));
            }
            for j in D - i..D {
                r.0[i + j - D] = M::sub(r.0[i + j - D], M::mul(ai, b.0[j]));
            }
        }
        r
    }

    /// self += a·b.
    pub fn mul_acc(&mut self, a: &Self, b: &Self) {
        let p = a.mul(b);
        self.add_assign(&p);
    }

    /// Multiplication by a short signed polynomial (|coefficient| < 2^31), reduced once per output.
    #[must_use]
    pub fn mul_small(&self, b: &[i64; D]) -> Self {
        self.mul(&Self::from_i64(b))
    }
}

/// ⟨a, b⟩ over the integers of two short signed vectors (|values| < 2^31), exact in i128.
#[must_use]
pub fn dot_i64(a: &[i64], b: &[i64]) -> i128 {
    a.iter()
        .zip(b.iter())
        .map(|(&x, &y)| i128::from(x) * i128::from(y))
        .sum()
}

/// ‖a‖² over the integers.
#[must_use]
pub fn norm2_i64(a: &[i64]) -> u128 {
    a.iter()
        .map(|&x| (i128::from(x) * i128::from(x)).cast_unsigned()) // a square: non-negative
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::modulus::Q44;

    type R = Rq<Q44>;

    fn poly(seed: u64) -> R {
        let mut r = R::zero();
        let mut s = seed;
        for x in &mut r.0 {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *x = Q44::from_u128(u128::from(s >> 8));
        }
        r
    }

    #[test]
    fn ct_sigma_is_inner_product() {
        let a = poly(1);
        let b = poly(2);
        let mut ip = 0u64;
        for i in 0..D {
            ip = Q44::add(ip, Q44::mul(a.0[i], b.0[i]));
        }
        assert_eq!(a.sigma().mul(&b).ct(), ip);
    }

    #[test]
    fn mul_paths_agree_and_negacyclic() {
        let a = poly(3);
        let b = poly(4);
        assert_eq!(a.mul_lazy(&b), a.mul_reduced(&b));
        assert_eq!(a.mul(&b), a.mul_schoolbook(&b));
        let mut y = R::zero();
        y.0[1] = 1;
        let mut yd1 = R::zero();
        yd1.0[D - 1] = 1;
        assert_eq!(y.mul(&yd1), R::constant(Q44::neg(1)));
    }

    #[test]
    fn sigma_is_ring_automorphism() {
        let a = poly(5);
        let b = poly(6);
        assert_eq!(a.mul(&b).sigma(), a.sigma().mul(&b.sigma()));
        assert_eq!(a.sigma().sigma(), a);
    }

    fn uniform<M: Modulus>(seed: u64, extremes: bool) -> Rq<M> {
        let mut r = Rq::<M>::zero();
        let mut s = seed | 1;
        for (i, x) in r.0.iter_mut().enumerate() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let v = (u128::from(s) << 64 | u128::from(s.rotate_left(23))) % M::Q;
            let v = match (extremes, i % 4) {
                (true, 0) => (M::Q - 1) / 2,
                (true, 1) => M::Q.div_ceil(2),
                (true, 2) => M::Q - 1,
                _ => v,
            };
            *x = M::from_u128(v);
        }
        r
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn ntt_mul_matches_schoolbook(sa in proptest::prelude::any::<u64>(),
                                      sb in proptest::prelude::any::<u64>(),
                                      ea in proptest::prelude::any::<bool>(),
                                      eb in proptest::prelude::any::<bool>()) {
            use crate::arith::modulus::Q86;
            let (a, b) = (uniform::<Q44>(sa, ea), uniform::<Q44>(sb, eb));
            proptest::prop_assert_eq!(a.mul(&b), a.mul_schoolbook(&b));
            let (a, b) = (uniform::<Q86>(sa, ea), uniform::<Q86>(sb, eb));
            proptest::prop_assert_eq!(a.mul(&b), a.mul_schoolbook(&b));
        }
    }
}
