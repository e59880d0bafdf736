//! Coefficient encoding (docs/BFV.md §2): a message chunk is N signed integers in the centred range of
//! Z_t, encoded as Δ·m with Δ = ⌊q/t⌋, decoded as round(t·x/q) mod t, exactly and in constant time.
// Division lint (lib.rs): the divisions are by the public t and q (Δ = ⌊q/t⌋, ⌊t/2⌋), never by a
// message coefficient.
#![allow(clippy::integer_division_remainder_used)]

use super::error::BfvError;
use crate::arith::Modulus;
use crate::arith::cast::{low_i64, low_u64};
use crate::ring::Poly;

/// The plaintext modulus t (chosen by the caller from the noise analysis), Δ = ⌊q/t⌋ and the noise
/// budget.
///
/// With r = q mod t, a phase x = Δ·m + e gives t·x = q·m + (t·e − r·m), so decoding is exact iff
/// |t·e − r·m| < q/2. For every message in the centred range this holds iff
/// |e| ≤ E = ⌊((q−1)/2 − r·⌊t/2⌋)/t⌋ ([`PlainModulus::noise_budget`]). `new` accepts t iff 2 ≤ t < q
/// and E ≥ 1, i.e. r·⌊t/2⌋ ≤ (q−1)/2 − t. That depends on r, not only on the size of t: t up to about √q
/// always qualifies, and larger t whose remainder r is small do too (for set S, t ≈ 7.4·10^8 or ≈ 2^42; for
/// set L every u64). A budget of 1 says nothing about the noise a proof allows: the proof side limits t
/// further (`zk::statement::Statement::layout`, PROTOCOL §2), and the aggregator's t comes from
/// `policy::check_config`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlainModulus<M: Modulus> {
    t: u64,
    delta: M::Coeff,
    budget: u128,
}

impl<M: Modulus> PlainModulus<M> {
    /// Validates t and computes Δ and the noise budget (public values: ordinary division is fine).
    pub fn new(t: u64) -> Result<Self, BfvError> {
        if t < 2 || u128::from(t) >= M::Q {
            return Err(BfvError::InvalidPlainModulus { t });
        }
        let (tt, half_q) = (u128::from(t), (M::Q - 1) / 2);
        // r·⌊t/2⌋ < q·t/2 < 2^150 may exceed u128 only when t > 2^42; saturate, then reject.
        let r = M::Q % tt;
        let rm = r.saturating_mul(tt / 2);
        let budget = half_q.checked_sub(rm).map_or(0, |x| x / tt);
        if budget < 1 {
            return Err(BfvError::InvalidPlainModulus { t });
        }
        Ok(Self {
            t,
            delta: M::from_u128(M::Q / tt),
            budget,
        })
    }

    /// E: decryption of every message is exact iff every coefficient of the noise
    /// (phase − Δ·m, centred) has |e| ≤ E.
    pub fn noise_budget(&self) -> u128 {
        self.budget
    }

    /// t.
    pub fn t(&self) -> u64 {
        self.t
    }

    /// Δ = ⌊q/t⌋ as an element of Z_q.
    pub fn delta(&self) -> M::Coeff {
        self.delta
    }

    /// Smallest and largest message coefficient: −⌊(t−1)/2⌋ and ⌊t/2⌋.
    pub fn message_range(&self) -> (i64, i64) {
        // Both halves of a u64 are below 2^63.
        (
            -((self.t - 1) / 2).cast_signed(),
            (self.t / 2).cast_signed(),
        )
    }

    /// Err unless every coefficient is in the centred range; the scan is constant time and only the
    /// verdict is revealed.
    pub fn check_message<const N: usize>(&self, m: &[i64; N]) -> Result<(), BfvError> {
        let (lo, hi) = self.message_range();
        let mut bad = 0u128;
        for &x in m {
            bad |= (i128::from(x) - i128::from(lo)).cast_unsigned()
                | (i128::from(hi) - i128::from(x)).cast_unsigned();
        }
        if bad >> 127 == 1 {
            Err(BfvError::MessageOutOfRange)
        } else {
            Ok(())
        }
    }

    /// out += Δ·m (m already checked).
    pub fn add_encoded<const N: usize>(&self, m: &[i64; N], out: &mut Poly<M, N>) {
        for (c, &x) in out.coeffs.iter_mut().zip(m.iter()) {
            *c = M::add(*c, M::mul(self.delta, M::from_i64(x)));
        }
    }

    /// out += e + Δ·m in one pass (the tail of c0_j = b_j·u + e1_j + Δ·m_j).
    pub fn add_encoded_with_error<const N: usize>(
        &self,
        m: &[i64; N],
        e: &Poly<M, N>,
        out: &mut Poly<M, N>,
    ) {
        for ((c, &x), &ei) in out.coeffs.iter_mut().zip(m.iter()).zip(e.coeffs.iter()) {
            *c = M::add(*c, M::add(ei, M::mul(self.delta, M::from_i64(x))));
        }
    }

    /// round(t·x/q) mod t as a centred integer, for the phase x = c0 + c1·s ∈ Z_q (constant time).
    pub fn decode_coeff(&self, x: M::Coeff) -> i64 {
        let v = round_scaled::<M>(self.t, M::to_u128(x));
        // v ∈ [0, t]: map t to 0, then centre values above ⌊t/2⌋.
        let t = u128::from(self.t);
        let is_t = ((v ^ t).wrapping_sub(1) >> 127) & 1; // 1 iff v == t
        let v = v - (t & 0u128.wrapping_sub(is_t));
        let high = u128::from(self.t / 2).wrapping_sub(v) >> 127; // 1 iff v > ⌊t/2⌋
        // The result lies in [−⌊(t−1)/2⌋, ⌊t/2⌋], so its low 64 bits are its two's complement (no branch).
        let centred = v.cast_signed() - (t & 0u128.wrapping_sub(high)).cast_signed();
        low_i64(centred)
    }

    /// Decodes a whole chunk.
    pub fn decode<const N: usize>(&self, x: &Poly<M, N>, out: &mut [i64; N]) {
        for (o, &c) in out.iter_mut().zip(x.coeffs.iter()) {
            *o = self.decode_coeff(c);
        }
    }
}

/// ⌊(t·x + (q−1)/2) / q⌋ = round(t·x/q) (q odd prime and t, x < q exclude ties unless x = 0), for
/// t, x < q < 2^k, without a division instruction: Z = h·2^k + l = h·q + (h·C + l), folded twice.
fn round_scaled<M: Modulus>(t: u64, x: u128) -> u128 {
    let k = M::BITS;
    let low_mask = (1u128 << k) - 1;
    // Z = t·x + (q−1)/2 < q^2 as (high, low) 128-bit halves; x = x0 + x1·2^64 with x1 < 2^22.
    let (x0, x1) = (u128::from(low_u64(x)), x >> 64);
    let m = u128::from(t) * x1;
    let (low, c1) = (u128::from(t) * x0).overflowing_add(m << 64);
    let (low, c2) = low.overflowing_add((M::Q - 1) / 2);
    let high = (m >> 64) + u128::from(c1) + u128::from(c2);
    let h = (high << (128 - k)) | (low >> k);
    let l = low & low_mask;
    let r1 = h * M::C + l;
    let h2 = r1 >> k;
    let r2 = h2 * M::C + (r1 & low_mask);
    let ge = (r2.wrapping_sub(M::Q) >> 127) ^ 1; // 1 iff r2 ≥ q
    h + h2 + ge
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::{Q44, Q86};
    use num_bigint::BigUint;
    use proptest::prelude::*;

    fn reference(t: u64, x: u128, q: u128) -> u128 {
        let z = BigUint::from(t) * BigUint::from(x) * 2u32 + BigUint::from(q);
        u128::try_from(z / (BigUint::from(q) * 2u32)).unwrap()
    }

    #[test]
    fn validation() {
        assert!(PlainModulus::<Q44>::new(0).is_err());
        assert!(PlainModulus::<Q44>::new(1).is_err());
        assert!(PlainModulus::<Q44>::new(Q44::Q as u64).is_err());
        assert!(PlainModulus::<Q44>::new(Q44::Q as u64 - 1).is_err());
        assert!(PlainModulus::<Q44>::new(1 << 23).is_err());
        assert!(PlainModulus::<Q44>::new(1 << 21).is_ok());
        assert!(PlainModulus::<Q86>::new(1 << 42).is_ok());
        assert!(PlainModulus::<Q86>::new(1 << 63).is_err());
        // The budget is tight: E passes, E + 1 fails for the worst message.
        for t in [3u64, 1000, (1 << 21) + 1] {
            let p = PlainModulus::<Q44>::new(t).unwrap();
            let e = p.noise_budget() as i64;
            let (lo, hi) = p.message_range();
            for m in [lo, hi] {
                for sign in [-1, 1] {
                    let mut x = Poly::<Q44, 1>::from_i64(&[sign * e]);
                    p.add_encoded(&[m], &mut x);
                    assert_eq!(p.decode_coeff(x.coeffs[0]), m);
                }
            }
            let worst = |sign: i64| {
                let mut x = Poly::<Q44, 1>::from_i64(&[sign * (e + 1)]);
                p.add_encoded(&[hi], &mut x);
                let mut y = Poly::<Q44, 1>::from_i64(&[sign * (e + 1)]);
                p.add_encoded(&[lo], &mut y);
                p.decode_coeff(x.coeffs[0]) != hi || p.decode_coeff(y.coeffs[0]) != lo
            };
            assert!(worst(1) || worst(-1), "budget not tight for t = {t}");
        }
        let p = PlainModulus::<Q44>::new(10).unwrap();
        assert_eq!(p.message_range(), (-4, 5));
        assert!(p.check_message(&[-4, 5, 0]).is_ok());
        assert_eq!(
            p.check_message(&[-5, 0, 0]),
            Err(BfvError::MessageOutOfRange)
        );
        assert_eq!(
            p.check_message(&[0, 6, 0]),
            Err(BfvError::MessageOutOfRange)
        );
        assert_eq!(
            p.check_message(&[i64::MIN, 0, 0]),
            Err(BfvError::MessageOutOfRange)
        );
    }

    #[test]
    fn encode_decode_edges() {
        for t in [2u64, 3, 1 << 20, (1 << 22) - 1] {
            let p = PlainModulus::<Q44>::new(t).unwrap();
            let (lo, hi) = p.message_range();
            for m in [lo, lo + 1, -1, 0, 1, hi - 1, hi]
                .into_iter()
                .filter(|m| (lo..=hi).contains(m))
            {
                let mut x = Poly::<Q44, 1>::zero();
                p.add_encoded(&[m], &mut x);
                assert_eq!(p.decode_coeff(x.coeffs[0]), m, "t={t} m={m}");
            }
        }
        for x in [0u128, 1, Q44::Q / 2, Q44::Q - 1] {
            for t in [2u64, 7, 1 << 30, Q44::Q as u64 - 1] {
                assert_eq!(round_scaled::<Q44>(t, x), reference(t, x, Q44::Q));
            }
        }
        for x in [0u128, 1, Q86::Q / 2, Q86::Q - 1] {
            for t in [2u64, 7, 1 << 40, u64::MAX] {
                assert_eq!(round_scaled::<Q86>(t, x), reference(t, x, Q86::Q));
            }
        }
    }

    proptest! {
        #[test]
        fn rounding_matches_bigint(t in 2u64.., x in any::<u128>()) {
            let t44 = t % (Q44::Q as u64 - 2) + 2;
            prop_assert_eq!(round_scaled::<Q44>(t44, x % Q44::Q), reference(t44, x % Q44::Q, Q44::Q));
            prop_assert_eq!(round_scaled::<Q86>(t, x % Q86::Q), reference(t, x % Q86::Q, Q86::Q));
        }

        #[test]
        fn noisy_decode(t in 2u64..(1 << 40), m in any::<i64>(), e in any::<i64>()) {
            let p = PlainModulus::<Q86>::new(t).unwrap();
            let e = e % (p.noise_budget() as i64 + 1);
            let (lo, hi) = p.message_range();
            let m = lo + (m.rem_euclid(hi - lo + 1));
            let mut x = Poly::<Q86, 1>::from_i64(&[e]);
            p.add_encoded(&[m], &mut x);
            prop_assert_eq!(p.decode_coeff(x.coeffs[0]), m);
        }
    }
}
