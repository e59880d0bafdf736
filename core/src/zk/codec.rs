//! The Golomb–Rice code of the masked openings z1, z2 (docs/PROTOCOL.md §12.1), and the size analysis
//! behind it (§15.1).
//!
//! **Code.** A width class (the m blocks of z1 with σ_m; the u and υ blocks of z1 and all of z2 with σ_s)
//! has a fixed [`RiceCode`] derived from the parameter set only: the Rice parameter k and the bound
//! |x| ≤ max_abs = 2^(w−1) − 1. A value x is written, bits least significant first into bytes in order, as
//! the k low bits of |x|, then ⌊|x|/2^k⌋ in unary (that many 1-bits and a 0-bit), then — only if x ≠ 0 —
//! a sign bit (1 = negative). The whole z is one bit string over the classes in wire order, zero-padded to
//! a byte boundary.
//!
//! **Canonical and strict.** Every field has one spelling (fixed-width low bits, a unary run, a sign bit
//! present exactly when |x| ≠ 0, so "−0" cannot be written), hence every value has exactly one encoding.
//! [`RiceReader`] rejects with a typed [`CodecError`]: a unary run longer than max_abs >> k (the run is cut
//! as soon as it is too long, so a forged run cannot make the decoder spin), a magnitude above max_abs,
//! input ending early, nonzero padding bits and bytes after the last value. Its state is a 64-bit
//! accumulator and a position: constant memory.
//!
//! **Streaming.** [`RiceWriter`] holds at most 7 pending bits and writes whole bytes into any [`Sink`] in
//! value order, so a prover can emit z coefficient by coefficient; nothing in the fixed part of the proof
//! depends on the coded length.
//!
//! The encoded values are public (the prover encodes z only after the rejection test accepted it), so the
//! code is not constant time; its running time depends on z only.

use crate::arith::cast::{f64_of_u64, fit_u64, low_u8};
use crate::arith::isqrt::floor_sqrt;
use libm::{log2, sqrt};

/// A malformed, non-canonical or oversized encoding (or a full sink).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodecError {
    /// The sink cannot take another byte.
    SinkFull,
    /// The input ended before all values were read.
    Truncated,
    /// A unary run is longer than `max_abs >> k` allows.
    OverlongRun,
    /// A magnitude exceeds the class bound `max_abs`.
    OutOfRange,
    /// A padding bit of the last byte is set.
    NonZeroPadding,
    /// Bytes remain after the last value.
    TrailingBytes,
}

impl core::fmt::Display for CodecError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::SinkFull => "output full",
            Self::Truncated => "encoding truncated",
            Self::OverlongRun => "unary run longer than the bound allows",
            Self::OutOfRange => "value outside the allowed range",
            Self::NonZeroPadding => "nonzero padding bits",
            Self::TrailingBytes => "trailing bytes after the encoding",
        })
    }
}

/// The Rice code of one width class: parameter k and magnitude bound max_abs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RiceCode {
    /// Number of low bits written verbatim.
    pub k: u32,
    /// Largest magnitude a value may have.
    pub max_abs: u64,
}

impl RiceCode {
    /// The code for D_σ in a class of wire width w (|x| ≤ 2^(w−1) − 1): k with σ/2^k ∈ [√2, 2√2), i.e.
    /// 2^(2k+1) ≤ σ² < 2^(2k+3), where the mean length is within 0.12 bit of the entropy (§15.1).
    #[must_use]
    pub const fn for_gaussian(sigma: u64, width: u32) -> Self {
        let s2 = (sigma as u128) * (sigma as u128);
        let log2_s2 = if s2 == 0 { 0 } else { s2.ilog2() };
        let k = if log2_s2 == 0 { 0 } else { (log2_s2 - 1) >> 1 };
        Self {
            k,
            max_abs: (1u64 << (width - 1)) - 1,
        }
    }

    /// Bits of the code of x: k + ⌊|x|/2^k⌋ + 1, plus the sign bit if x ≠ 0.
    #[must_use]
    pub const fn bits(&self, x: i64) -> u64 {
        let a = x.unsigned_abs();
        self.k as u64 + (a >> self.k) + 1 + (a != 0) as u64
    }

    /// Fewest bits of `dim` values (all zero): dim·(k + 1).
    #[must_use]
    pub const fn min_bits(&self, dim: usize) -> u64 {
        dim as u64 * (self.k as u64 + 1)
    }

    /// Most bits of `dim` values with Σx² ≤ bound_sq: dim·(k + 2) + ⌊⌊√(dim·bound_sq)⌋ / 2^k⌋, since
    /// Σ⌊|x|/2^k⌋ ≤ Σ|x| / 2^k ≤ √(dim·Σx²) / 2^k (Cauchy–Schwarz). Sizes the maximal proof length.
    #[must_use]
    pub const fn max_bits(&self, dim: usize, bound_sq: u128) -> u64 {
        let l1 = floor_sqrt((dim as u128) * bound_sq);
        // l1 = ⌊√(u128)⌋ < 2^64.
        dim as u64 * (self.k as u64 + 2) + fit_u64(l1 >> self.k)
    }

    /// Largest excess, over any prefix of values with Σx² ≤ bound_sq, of their Rice bits over their
    /// fixed-width bits (w each): ⌈bound_sq / (4^(k+1)·c)⌉ with c = w − k − 2 > 0, from
    /// ⌊a/2^k⌋ − c ≤ (a/2^k)² / (4c) for every a. The prover stages z at fixed width and re-encodes it in
    /// place; this is the head start the staged copy needs (`Layout::prove_buf_len`).
    #[must_use]
    pub const fn max_prefix_excess_bits(&self, width: u32, bound_sq: u128) -> u64 {
        let c = width as u128 - self.k as u128 - 2;
        let den = (1u128 << (2 * self.k + 2)) * c;
        fit_u64(bound_sq.div_ceil(den))
    }
}

/// Where encoded bytes go, one at a time, in order.
pub trait Sink {
    /// Appends one byte.
    ///
    /// # Errors
    /// [`CodecError::SinkFull`] when no room is left.
    fn put_byte(&mut self, b: u8) -> Result<(), CodecError>;
}

/// A sink writing into a slice from its start.
#[derive(Debug)]
pub struct SliceSink<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> SliceSink<'a> {
    /// A sink at the start of `buf`.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    /// Bytes written so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pos
    }
    /// Whether nothing was written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pos == 0
    }
}

impl Sink for SliceSink<'_> {
    fn put_byte(&mut self, b: u8) -> Result<(), CodecError> {
        let slot = self.buf.get_mut(self.pos).ok_or(CodecError::SinkFull)?;
        *slot = b;
        self.pos += 1;
        Ok(())
    }
}

/// Streaming Rice encoder: at most 7 pending bits between values.
#[derive(Debug, Default)]
pub struct RiceWriter {
    acc: u64,
    n: u32,
}

impl RiceWriter {
    /// An encoder with nothing pending.
    #[must_use]
    pub const fn new() -> Self {
        Self { acc: 0, n: 0 }
    }

    /// Appends the `nbits` ≤ 32 low bits of v and flushes whole bytes.
    fn put<S: Sink>(&mut self, sink: &mut S, v: u64, nbits: u32) -> Result<(), CodecError> {
        let mask = (1u64 << nbits) - 1;
        self.acc |= (v & mask) << self.n;
        self.n += nbits;
        while self.n >= 8 {
            sink.put_byte(low_u8(self.acc))?;
            self.acc >>= 8;
            self.n -= 8;
        }
        Ok(())
    }

    /// Appends x in `code`.
    ///
    /// # Errors
    /// [`CodecError::OutOfRange`] if |x| > max_abs (nothing is written); a sink error.
    pub fn push<S: Sink>(
        &mut self,
        sink: &mut S,
        x: i64,
        code: &RiceCode,
    ) -> Result<(), CodecError> {
        let a = x.unsigned_abs();
        if a > code.max_abs {
            return Err(CodecError::OutOfRange);
        }
        let mut low = a;
        let mut k = code.k;
        while k > 0 {
            let take = k.min(32);
            self.put(sink, low, take)?;
            low >>= take;
            k -= take;
        }
        let mut high = a >> code.k;
        while high > 0 {
            let take = high.min(32) as u32;
            self.put(sink, u64::MAX, take)?;
            high -= u64::from(take);
        }
        self.put(sink, 0, 1)?;
        if a != 0 {
            self.put(sink, u64::from(x < 0), 1)?;
        }
        Ok(())
    }

    /// Writes the pending bits, zero-padded to a byte.
    ///
    /// # Errors
    /// A sink error.
    pub fn finish<S: Sink>(self, sink: &mut S) -> Result<(), CodecError> {
        if self.n > 0 {
            sink.put_byte(low_u8(self.acc))?;
        }
        Ok(())
    }
}

/// Streaming strict Rice decoder over exactly the encoded bytes.
#[derive(Debug)]
pub struct RiceReader<'a> {
    buf: &'a [u8],
    pos: usize,
    acc: u64,
    n: u32,
    lax: bool,
}

impl<'a> RiceReader<'a> {
    /// A decoder at the start of `buf` (the encoding and nothing after it).
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            acc: 0,
            n: 0,
            lax: false,
        }
    }

    /// **Deliberately broken** decoder, for the codec forgers only: reads zeros past the end, accepts
    /// any magnitude below 2^40, nonzero padding and trailing bytes.
    #[cfg(any(test, feature = "attack-sim"))]
    #[must_use]
    pub fn lax(buf: &'a [u8]) -> Self {
        super::attack_sim_linked();
        Self {
            lax: true,
            ..Self::new(buf)
        }
    }

    fn refill(&mut self) -> Result<(), CodecError> {
        let b = match self.buf.get(self.pos) {
            Some(&b) => b,
            None if self.lax => 0,
            None => return Err(CodecError::Truncated),
        };
        self.acc |= u64::from(b) << self.n;
        self.n += 8;
        self.pos += 1;
        Ok(())
    }

    /// Reads `nbits` ≤ 32 bits.
    fn get(&mut self, nbits: u32) -> Result<u64, CodecError> {
        while self.n < nbits {
            self.refill()?;
        }
        let v = self.acc & ((1u64 << nbits) - 1);
        self.acc >>= nbits;
        self.n -= nbits;
        Ok(v)
    }

    /// Reads a unary run (1-bits ended by a 0-bit) of at most `max` ones.
    fn unary(&mut self, max: u64) -> Result<u64, CodecError> {
        let mut count = 0u64;
        loop {
            if self.n == 0 {
                self.refill()?;
            }
            // Bits at and above n are zero, so the run of ones stops within the buffered bits.
            let ones = (!self.acc).trailing_zeros();
            count += u64::from(ones);
            if count > max {
                return Err(CodecError::OverlongRun);
            }
            if ones < self.n {
                self.acc >>= ones + 1;
                self.n -= ones + 1;
                return Ok(count);
            }
            self.acc = 0;
            self.n = 0;
        }
    }

    /// Reads the next value in `code`.
    ///
    /// # Errors
    /// [`CodecError::Truncated`], [`CodecError::OverlongRun`] or [`CodecError::OutOfRange`].
    pub fn next_value(&mut self, code: &RiceCode) -> Result<i64, CodecError> {
        let lax_code;
        let code = if self.lax {
            lax_code = RiceCode {
                k: code.k,
                max_abs: (1 << 40) - 1,
            };
            &lax_code
        } else {
            code
        };
        let mut low = 0u64;
        let mut got = 0u32;
        while got < code.k {
            let take = (code.k - got).min(32);
            low |= self.get(take)? << got;
            got += take;
        }
        let high = self.unary(code.max_abs >> code.k)?;
        let a = (high << code.k) | low;
        if a > code.max_abs {
            return Err(CodecError::OutOfRange);
        }
        if a == 0 {
            return Ok(0);
        }
        // a ≤ max_abs < 2^63: the cast is exact.
        Ok(if self.get(1)? == 1 {
            -a.cast_signed()
        } else {
            a.cast_signed()
        })
    }

    /// Bytes consumed so far.
    #[must_use]
    pub fn consumed(&self) -> usize {
        self.pos
    }

    /// Ends decoding: the padding bits must be zero and no byte may remain.
    ///
    /// # Errors
    /// [`CodecError::NonZeroPadding`] or [`CodecError::TrailingBytes`].
    pub fn finish(self) -> Result<(), CodecError> {
        if self.lax {
            return Ok(());
        }
        if self.acc != 0 {
            return Err(CodecError::NonZeroPadding);
        }
        if self.pos != self.buf.len() {
            return Err(CodecError::TrailingBytes);
        }
        Ok(())
    }
}

/// P(|x| ≥ a) for x ~ D_σ and an integer a ≥ 1, by the continuous normal with continuity correction:
/// erfc((a − ½)/(σ√2)). For σ ≥ 100 the mean code length from it agrees with the exact sum over the
/// integers to 10⁻⁴ bit (`closed_forms_match_exact_sums`); the proof's σ are ≥ 7·10⁵.
fn tail(sigma: f64, a: u64) -> f64 {
    libm::erfc((f64_of_u64(a) - 0.5) / (sigma * core::f64::consts::SQRT_2))
}

/// Entropy in bits of one coefficient of D_σ: log₂(σ·√(2πe)) = log₂σ + 2.047 (exact up to
/// e^(−2π²σ²) terms). No code for z has a smaller mean size (§15.1).
#[must_use]
pub fn gaussian_entropy_bits(sigma: u64) -> f64 {
    log2(f64_of_u64(sigma)) + 0.5 * log2(2.0 * core::f64::consts::PI * core::f64::consts::E)
}

/// First and second moments of the unary part ⌊|x|/2^k⌋ of x ~ D_σ: Σ_j P(high ≥ j) and
/// Σ_j (2j − 1)·P(high ≥ j), summed while the tail is above 10⁻³⁰.
fn high_moments(sigma: u64, code: &RiceCode) -> (f64, f64) {
    let s = f64_of_u64(sigma);
    let (mut m1, mut m2) = (0.0, 0.0);
    let mut j = 1u64;
    loop {
        let p = tail(s, j << code.k);
        if p < 1e-30 || j > code.max_abs >> code.k {
            return (m1, m2);
        }
        m1 += p;
        m2 += f64_of_u64(2 * j - 1) * p;
        j += 1;
    }
}

/// Mean bits of `code` on one coefficient of D_σ: k + 1 + E⌊|x|/2^k⌋ + P(x ≠ 0).
#[must_use]
pub fn expected_bits(sigma: u64, code: &RiceCode) -> f64 {
    let (m1, _) = high_moments(sigma, code);
    f64::from(code.k) + 1.0 + m1 + tail(f64_of_u64(sigma), 1)
}

/// Standard deviation of the bit count of `code` on one coefficient of D_σ (the spread of the proof
/// length is √dim times this). The sign bit's variance (P(x = 0)·P(x ≠ 0) < 10⁻⁵) is left out.
#[must_use]
pub fn bits_std_dev(sigma: u64, code: &RiceCode) -> f64 {
    let (m1, m2) = high_moments(sigma, code);
    sqrt(m2 - m1 * m1)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec;
    use std::vec::Vec;

    const CODE: RiceCode = RiceCode::for_gaussian(1000, 16);

    fn encode(values: &[i64], code: &RiceCode) -> Vec<u8> {
        let mut buf = vec![0u8; values.len() * 64 + 8];
        let mut sink = SliceSink::new(&mut buf);
        let mut w = RiceWriter::new();
        for &x in values {
            w.push(&mut sink, x, code).expect("fits");
        }
        w.finish(&mut sink).expect("fits");
        let n = sink.len();
        buf.truncate(n);
        buf
    }

    fn decode(bytes: &[u8], count: usize, code: &RiceCode) -> Result<Vec<i64>, CodecError> {
        let mut r = RiceReader::new(bytes);
        let v = (0..count)
            .map(|_| r.next_value(code))
            .collect::<Result<Vec<_>, _>>()?;
        r.finish()?;
        Ok(v)
    }

    #[test]
    fn rice_parameter_follows_sigma() {
        // σ/2^k ∈ [√2, 2√2).
        for sigma in [2u64, 3, 100, 768_511, 885_971, 9_222_132, 147_957_157] {
            let k = RiceCode::for_gaussian(sigma, 40).k;
            let r = sigma as f64 / (1u64 << k) as f64;
            assert!((1.414..2.829).contains(&r), "σ {sigma}: k {k}, ratio {r}");
        }
    }

    #[test]
    fn known_encodings() {
        // k = 1: 5 = 0b101 → low bit 1, high 2 → "1", "110", sign "0": bits 1,1,1,0,0 → 0b00111.
        let code = RiceCode { k: 1, max_abs: 100 };
        assert_eq!(encode(&[5], &code), vec![0b0_0111]);
        assert_eq!(encode(&[-5], &code), vec![0b1_0111]);
        assert_eq!(encode(&[0], &code), vec![0]);
        assert_eq!(code.bits(5), 5);
        assert_eq!(code.bits(0), 2);
    }

    #[test]
    fn strict_decoding_rejects_every_malformation() {
        let code = RiceCode { k: 2, max_abs: 20 };
        let good = encode(&[3, -7, 0, 20], &code);
        assert_eq!(decode(&good, 4, &code), Ok(vec![3, -7, 0, 20]));
        // Truncation, an extra byte, nonzero padding.
        assert_eq!(
            decode(&good[..good.len() - 1], 4, &code),
            Err(CodecError::Truncated)
        );
        let mut long = good.clone();
        long.push(0);
        assert_eq!(decode(&long, 4, &code), Err(CodecError::TrailingBytes));
        let total: u64 = [3i64, -7, 0, 20].iter().map(|&x| code.bits(x)).sum();
        let mut pad = good.clone();
        *pad.last_mut().unwrap() |= 1 << (total % 8);
        assert_eq!(decode(&pad, 4, &code), Err(CodecError::NonZeroPadding));
        // A run past max_abs >> k = 5 ones, and 21 = 0b101_01 (run 5, in range of the run, above max_abs).
        assert_eq!(
            decode(&[0b1111_1100, 0], 1, &code),
            Err(CodecError::OverlongRun)
        );
        assert_eq!(
            decode(&[0b0111_1101, 0], 1, &code),
            Err(CodecError::OutOfRange)
        );
        // An endless run of ones stops at the bound, not at the end of the input.
        assert_eq!(
            decode(&[0xff; 4096], 1, &code),
            Err(CodecError::OverlongRun)
        );
        // The encoder refuses values above the bound.
        let mut buf = [0u8; 8];
        let mut sink = SliceSink::new(&mut buf);
        assert_eq!(
            RiceWriter::new().push(&mut sink, 21, &code),
            Err(CodecError::OutOfRange)
        );
        assert!(sink.is_empty());
    }

    #[test]
    fn a_full_sink_is_an_error() {
        let mut buf = [0u8; 1];
        let mut sink = SliceSink::new(&mut buf);
        let mut w = RiceWriter::new();
        // 12 bits: one byte out, four pending; the next value needs two more bytes.
        assert_eq!(w.push(&mut sink, 999, &CODE), Ok(()));
        assert_eq!(w.push(&mut sink, 999, &CODE), Err(CodecError::SinkFull));
    }

    /// Exact sums over the integers for D_σ (|x| ≤ 40σ), against the closed forms used for the sizes.
    #[test]
    fn closed_forms_match_exact_sums() {
        for sigma in [100u64, 1000, 12_345] {
            let s = sigma as f64;
            let rho = |x: i64| libm::exp(-((x * x) as f64) / (2.0 * s * s));
            let tail_max = (40.0 * s) as i64;
            let norm = 1.0 + 2.0 * (1..=tail_max).map(rho).sum::<f64>();
            let p = |x: i64| rho(x) / norm;
            let code = RiceCode::for_gaussian(sigma, 40);
            let sum = |f: &dyn Fn(i64) -> f64| f(0) + 2.0 * (1..=tail_max).map(f).sum::<f64>();
            let h = sum(&|x| if p(x) > 0.0 { -p(x) * log2(p(x)) } else { 0.0 });
            let e = sum(&|x| p(x) * code.bits(x) as f64);
            let v = sum(&|x| p(x) * (code.bits(x) as f64 - e) * (code.bits(x) as f64 - e));
            assert!(
                (h - gaussian_entropy_bits(sigma)).abs() < 1e-6,
                "σ {sigma}: entropy {h}"
            );
            assert!(
                (e - expected_bits(sigma, &code)).abs() < 1e-4,
                "σ {sigma}: mean {e} vs {}",
                expected_bits(sigma, &code)
            );
            assert!(
                (sqrt(v) - bits_std_dev(sigma, &code)).abs() < 1e-2,
                "σ {sigma}: sd {v}"
            );
        }
    }

    #[test]
    fn rice_is_within_0_12_bit_of_the_entropy() {
        for sigma in [768_511u64, 885_971, 9_222_132, 147_957_157] {
            let code = RiceCode::for_gaussian(sigma, 40);
            let (h, e) = (gaussian_entropy_bits(sigma), expected_bits(sigma, &code));
            assert!(
                e >= h && e < h + 0.12,
                "σ {sigma}: Rice {e} bits, entropy {h}"
            );
        }
    }

    #[test]
    fn length_bounds_hold_for_extreme_vectors() {
        // All the norm on few coefficients (the worst case of max_bits is all equal magnitudes).
        let code = RiceCode::for_gaussian(1000, 16);
        let dim = 64usize;
        let bound_sq = 1000u128 * 1000 * dim as u128;
        for spike in [0usize, 1, 4, 16, 64] {
            let mag = if spike == 0 {
                0
            } else {
                floor_sqrt(bound_sq / spike as u128) as i64
            };
            let v: Vec<i64> = (0..dim)
                .map(|i| {
                    if i < spike {
                        mag.min(code.max_abs as i64)
                    } else {
                        0
                    }
                })
                .collect();
            let bits: u64 = v.iter().map(|&x| code.bits(x)).sum();
            assert!(bits <= code.max_bits(dim, bound_sq));
            assert!(bits >= code.min_bits(dim));
            let excess: i64 = v.iter().map(|&x| code.bits(x) as i64 - 16).sum();
            assert!(excess <= code.max_prefix_excess_bits(16, bound_sq) as i64);
        }
    }

    proptest! {
        #[test]
        fn round_trip(values in proptest::collection::vec(-32767i64..=32767, 0..200)) {
            let code = RiceCode::for_gaussian(1000, 16);
            let bytes = encode(&values, &code);
            let bits: u64 = values.iter().map(|&x| code.bits(x)).sum();
            prop_assert_eq!(bytes.len() as u64, bits.div_ceil(8));
            prop_assert_eq!(decode(&bytes, values.len(), &code), Ok(values));
        }

        #[test]
        fn random_bytes_never_panic_and_reencode_identically(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
            count in 0usize..40,
            k in 0u32..8,
            w in 2u32..20,
        ) {
            let code = RiceCode { k, max_abs: (1u64 << (w - 1)) - 1 };
            if let Ok(values) = decode(&bytes, count, &code) {
                prop_assert_eq!(encode(&values, &code), bytes);
            }
        }
    }
}
