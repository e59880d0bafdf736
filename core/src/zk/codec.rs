//! Canonical encodings of proof vectors (docs/PROTOCOL.md §12, wire format):
//! a Golomb–Rice code for the Gaussian responses z1, z2, z3 and a bit-packed fixed-width code for
//! residues mod q (t_A, t_y, t_g, h, t, v, ...).
//!
//! **Rice code** with parameter k, per coefficient x (bits written least-significant first into bytes,
//! bytes in order): the k low bits of |x|, then ⌊|x|/2^k⌋ in unary (that many 1-bits and a 0-bit), then —
//! only if x ≠ 0 — a sign bit (1 = negative). Zero has no sign bit, so "−0" cannot be written. With
//! k = [`rice_k_for_sigma`] (σ/2^k ∈ [√2, 2√2)) a sample of D_σ costs log₂σ + 2.13…2.15 bits (measured in
//! `gaussian_rate_near_entropy` for σ = 2^4…2^25.7; entropy:
//! log₂σ + 2.05).
//!
//! **Strict decoding** rejects, with a typed [`CodecError`]: a magnitude above the caller's bound
//! `max_abs` (the unary run is cut as soon as it exceeds `max_abs >> k`, so an adversary cannot make the
//! decoder spin), input shorter than needed, nonzero padding bits in the last byte, and bytes left over.
//! Hence every accepted byte string is the encoding of exactly one vector and re-encodes to itself (the
//! proptests check `encode(decode(b)) = b` on mutated inputs).
//!
//! **Mod-q codes**: bit-packed — each residue as exactly `M::BITS` bits (least-significant first), last
//! byte zero-padded; or byte-aligned — each residue as `M::BYTES` little-endian bytes (docs/PROTOCOL.md
//! wire format). Either way a value ≥ q (hence any set high bit) or a nonzero padding bit is rejected.
//!
//! The encoded values are public (responses are encoded only after the rejection test accepted), so the
//! codec is not constant time.
//!
//! API summary:
//! - [`rice_k_for_sigma`]`(sigma_q32) -> u32`; [`rice_max_len`]`(n, k, max_abs)` (worst-case bytes, for
//!   buffers); [`rice_len_bits`]`(values, k)` (exact size).
//! - [`RiceWriter`] (`new(buf, k)`, `push(x)`, `finish() -> bytes`) and [`RiceReader`]
//!   (`new(bytes, k, max_abs)`, `next()`, `finish()`) for streaming; [`rice_encode`] / [`rice_decode`]
//!   for whole slices.
//! - [`packed_len`]`::<M>(n)`, [`encode_mod_q`]`::<M>(coeffs, out)`, [`decode_mod_q`]`::<M>(bytes, out)`
//!   (bit-packed); [`encode_mod_q_bytes`] / [`decode_mod_q_bytes`] (`M::BYTES` per residue).

use crate::arith::Modulus;

/// A malformed, non-canonical or oversized encoding (or an output buffer too small).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodecError {
    /// The output buffer cannot hold the encoding.
    BufferTooSmall,
    /// The input ended before all values were read.
    Truncated,
    /// A unary run is longer than `max_abs >> k` allows.
    OverlongRun,
    /// A value exceeds the caller's bound (or cannot be represented).
    OutOfRange,
    /// A padding bit in the last byte is set.
    NonZeroPadding,
    /// Bytes remain after the last value.
    TrailingBytes,
    /// A mod-q coefficient is ≥ q.
    NotReduced,
    /// The input length does not match the expected number of coefficients.
    BadLength,
}

impl core::fmt::Display for CodecError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::BufferTooSmall => "output buffer too small for the encoding",
            Self::Truncated => "encoding truncated",
            Self::OverlongRun => "unary run longer than the bound allows",
            Self::OutOfRange => "value outside the allowed range",
            Self::NonZeroPadding => "nonzero padding bits",
            Self::TrailingBytes => "trailing bytes after the encoding",
            Self::NotReduced => "coefficient not reduced modulo q",
            Self::BadLength => "encoding length does not match the coefficient count",
        })
    }
}

/// Largest supported Rice parameter.
pub const MAX_RICE_K: u32 = 62;

/// Rice parameter for D_σ with σ in Q32.32: the k with 2^(2k+1) ≤ σ² < 2^(2k+3), i.e. σ/2^k ∈ [√2, 2√2),
/// where the expected code length is within ≈ 0.1 bit of its minimum; 0 for σ < √2.
#[must_use]
pub fn rice_k_for_sigma(sigma_q32: u64) -> u32 {
    let s2 = u128::from(sigma_q32) * u128::from(sigma_q32);
    if s2 == 0 {
        return 0;
    }
    // ⌊log₂ σ²⌋ = bitlen(s²) − 1 − 64.
    let log2_s2 = i64::from(127 - s2.leading_zeros()) - 64;
    ((log2_s2 - 1).div_euclid(2)).clamp(0, i64::from(MAX_RICE_K)) as u32
}

/// Worst-case encoded size in bytes of n values with |x| ≤ max_abs: k + ⌊max_abs/2^k⌋ + 2 bits each.
#[must_use]
pub fn rice_max_len(n: usize, k: u32, max_abs: u64) -> usize {
    let per = u64::from(k) + (max_abs >> k.min(63)) + 2;
    (n as u64).saturating_mul(per).div_ceil(8) as usize
}

/// Exact encoded size in bits of `values` with parameter k.
#[must_use]
pub fn rice_len_bits(values: &[i64], k: u32) -> u64 {
    values
        .iter()
        .map(|&x| {
            let a = x.unsigned_abs();
            u64::from(k) + (a >> k.min(63)) + 1 + u64::from(a != 0)
        })
        .sum()
}

/// Bit writer: least-significant bit first within each byte.
#[derive(Debug)]
struct BitWriter<'a> {
    buf: &'a mut [u8],
    pos: usize,
    acc: u128,
    nacc: u32,
}

impl<'a> BitWriter<'a> {
    fn new(buf: &'a mut [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            acc: 0,
            nacc: 0,
        }
    }

    /// Appends the n ≤ 64 low bits of v.
    fn put(&mut self, v: u64, n: u32) -> Result<(), CodecError> {
        let masked = if n >= 64 { v } else { v & ((1u64 << n) - 1) };
        self.acc |= u128::from(masked) << self.nacc;
        self.nacc += n;
        while self.nacc >= 8 {
            let slot = self
                .buf
                .get_mut(self.pos)
                .ok_or(CodecError::BufferTooSmall)?;
            *slot = self.acc as u8;
            self.acc >>= 8;
            self.nacc -= 8;
            self.pos += 1;
        }
        Ok(())
    }

    /// Flushes the last partial byte (zero-padded); returns the number of bytes written.
    fn finish(mut self) -> Result<usize, CodecError> {
        if self.nacc > 0 {
            let slot = self
                .buf
                .get_mut(self.pos)
                .ok_or(CodecError::BufferTooSmall)?;
            *slot = self.acc as u8;
            self.pos += 1;
        }
        Ok(self.pos)
    }
}

/// Bit reader matching [`BitWriter`].
#[derive(Debug)]
struct BitReader<'a> {
    buf: &'a [u8],
    pos: usize,
    acc: u128,
    nacc: u32,
}

impl<'a> BitReader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            acc: 0,
            nacc: 0,
        }
    }

    /// Reads n ≤ 64 bits.
    fn get(&mut self, n: u32) -> Result<u64, CodecError> {
        while self.nacc < n {
            let byte = *self.buf.get(self.pos).ok_or(CodecError::Truncated)?;
            self.acc |= u128::from(byte) << self.nacc;
            self.nacc += 8;
            self.pos += 1;
        }
        let v = if n >= 64 {
            self.acc as u64
        } else {
            (self.acc as u64) & ((1u64 << n) - 1)
        };
        self.acc >>= n;
        self.nacc -= n;
        Ok(v)
    }

    /// Reads a unary number (1-bits ended by a 0-bit), at most `max`, a word at a time.
    fn unary(&mut self, max: u64) -> Result<u64, CodecError> {
        let mut count = 0u64;
        loop {
            if self.nacc == 0 {
                while self.nacc <= 120 && self.pos < self.buf.len() {
                    self.acc |= u128::from(self.buf[self.pos]) << self.nacc;
                    self.nacc += 8;
                    self.pos += 1;
                }
                if self.nacc == 0 {
                    return Err(CodecError::Truncated);
                }
            }
            // Bits above nacc are zero, so the run of ones never extends past the buffered bits.
            let ones = (!self.acc).trailing_zeros().min(self.nacc);
            count += u64::from(ones);
            if count > max {
                return Err(CodecError::OverlongRun);
            }
            if ones < self.nacc {
                self.acc = self.acc.checked_shr(ones + 1).unwrap_or(0);
                self.nacc -= ones + 1;
                return Ok(count);
            }
            self.acc = 0;
            self.nacc = 0;
        }
    }

    /// Checks that only zero padding (< 8 bits) and no further bytes remain.
    fn finish(self) -> Result<(), CodecError> {
        if self.nacc >= 8 {
            return Err(CodecError::TrailingBytes);
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

/// Streaming Rice encoder into a caller-provided buffer.
#[derive(Debug)]
pub struct RiceWriter<'a> {
    bits: BitWriter<'a>,
    k: u32,
}

impl<'a> RiceWriter<'a> {
    /// Starts encoding into `buf` with parameter k ≤ [`MAX_RICE_K`] (larger k is clamped).
    pub fn new(buf: &'a mut [u8], k: u32) -> Self {
        Self {
            bits: BitWriter::new(buf),
            k: k.min(MAX_RICE_K),
        }
    }

    /// Appends one value.
    ///
    /// # Errors
    /// [`CodecError::BufferTooSmall`] when the buffer is full; [`CodecError::OutOfRange`] if
    /// |x| > 2^62 (the decoder's limit).
    pub fn push(&mut self, x: i64) -> Result<(), CodecError> {
        let a = x.unsigned_abs();
        if a > 1 << 62 {
            return Err(CodecError::OutOfRange);
        }
        self.bits.put(a, self.k)?;
        let mut high = a >> self.k;
        while high >= 32 {
            self.bits.put(u64::from(u32::MAX), 32)?;
            high -= 32;
        }
        self.bits.put((1u64 << high) - 1, high as u32)?;
        self.bits.put(0, 1)?;
        if a != 0 {
            self.bits.put(u64::from(x < 0), 1)?;
        }
        Ok(())
    }

    /// Appends every value of a slice.
    ///
    /// # Errors
    /// [`CodecError::BufferTooSmall`] when the buffer is full.
    pub fn push_all(&mut self, xs: &[i64]) -> Result<(), CodecError> {
        xs.iter().try_for_each(|&x| self.push(x))
    }

    /// Pads the last byte with zeros and returns the encoded length in bytes.
    ///
    /// # Errors
    /// [`CodecError::BufferTooSmall`] if the padding byte does not fit.
    pub fn finish(self) -> Result<usize, CodecError> {
        self.bits.finish()
    }
}

/// Streaming strict Rice decoder.
#[derive(Debug)]
pub struct RiceReader<'a> {
    bits: BitReader<'a>,
    k: u32,
    max_abs: u64,
}

impl<'a> RiceReader<'a> {
    /// Starts decoding `bytes` (exactly the encoding, nothing after it) with parameter k and bound
    /// |x| ≤ max_abs (at most 2^62).
    #[must_use]
    pub fn new(bytes: &'a [u8], k: u32, max_abs: u64) -> Self {
        Self {
            bits: BitReader::new(bytes),
            k: k.min(MAX_RICE_K),
            max_abs: max_abs.min(1 << 62),
        }
    }

    /// Reads the next value.
    ///
    /// # Errors
    /// [`CodecError::Truncated`], [`CodecError::OverlongRun`] or [`CodecError::OutOfRange`].
    pub fn next_value(&mut self) -> Result<i64, CodecError> {
        let low = self.bits.get(self.k)?;
        let max_high = self.max_abs >> self.k;
        let high = self.bits.unary(max_high)?;
        let a = (high << self.k) | low;
        if a > self.max_abs {
            return Err(CodecError::OutOfRange);
        }
        // a ≤ 2^62, so the casts are exact.
        if a == 0 {
            return Ok(0);
        }
        let negative = self.bits.get(1)? == 1;
        Ok(if negative { -(a as i64) } else { a as i64 })
    }

    /// Fills `out` with the next values.
    ///
    /// # Errors
    /// As [`RiceReader::next_value`].
    pub fn read_into(&mut self, out: &mut [i64]) -> Result<(), CodecError> {
        for o in out {
            *o = self.next_value()?;
        }
        Ok(())
    }

    /// Ends decoding: the padding must be zero and no byte may remain.
    ///
    /// # Errors
    /// [`CodecError::NonZeroPadding`] or [`CodecError::TrailingBytes`].
    pub fn finish(self) -> Result<(), CodecError> {
        self.bits.finish()
    }
}

/// Encodes `values` with parameter k into `out`; returns the number of bytes used.
///
/// # Errors
/// [`CodecError::BufferTooSmall`] (size buffers with [`rice_max_len`]).
pub fn rice_encode(values: &[i64], k: u32, out: &mut [u8]) -> Result<usize, CodecError> {
    let mut w = RiceWriter::new(out, k);
    w.push_all(values)?;
    w.finish()
}

/// Decodes exactly `out.len()` values from exactly `bytes`.
///
/// # Errors
/// Any [`CodecError`] of a malformed or non-canonical encoding.
pub fn rice_decode(bytes: &[u8], k: u32, max_abs: u64, out: &mut [i64]) -> Result<(), CodecError> {
    let mut r = RiceReader::new(bytes, k, max_abs);
    r.read_into(out)?;
    r.finish()
}

/// Bytes of n bit-packed residues mod q: ⌈n·BITS/8⌉.
#[must_use]
pub fn packed_len<M: Modulus>(n: usize) -> usize {
    (n as u64 * u64::from(M::BITS)).div_ceil(8) as usize
}

/// Writes `coeffs` as `M::BITS`-bit little-endian fields; returns the bytes used (= `packed_len`).
///
/// # Errors
/// [`CodecError::BufferTooSmall`].
pub fn encode_mod_q<M: Modulus>(coeffs: &[M::Coeff], out: &mut [u8]) -> Result<usize, CodecError> {
    let mut w = BitWriter::new(out);
    for &c in coeffs {
        let v = M::to_u128(c);
        let lo_bits = M::BITS.min(64);
        w.put(v as u64, lo_bits)?;
        if M::BITS > 64 {
            w.put((v >> 64) as u64, M::BITS - 64)?;
        }
    }
    w.finish()
}

/// Reads exactly `out.len()` residues from exactly `bytes`, rejecting any value ≥ q.
///
/// # Errors
/// [`CodecError::BadLength`], [`CodecError::NotReduced`] or [`CodecError::NonZeroPadding`].
pub fn decode_mod_q<M: Modulus>(bytes: &[u8], out: &mut [M::Coeff]) -> Result<(), CodecError> {
    if bytes.len() != packed_len::<M>(out.len()) {
        return Err(CodecError::BadLength);
    }
    let mut r = BitReader::new(bytes);
    for o in out.iter_mut() {
        let lo_bits = M::BITS.min(64);
        let mut v = u128::from(r.get(lo_bits)?);
        if M::BITS > 64 {
            v |= u128::from(r.get(M::BITS - 64)?) << 64;
        }
        if v >= M::Q {
            return Err(CodecError::NotReduced);
        }
        *o = M::from_u128(v);
    }
    r.finish()
}

/// Writes each residue as `M::BYTES` little-endian bytes; returns `coeffs.len() · M::BYTES`.
///
/// # Errors
/// [`CodecError::BufferTooSmall`].
pub fn encode_mod_q_bytes<M: Modulus>(
    coeffs: &[M::Coeff],
    out: &mut [u8],
) -> Result<usize, CodecError> {
    let total = coeffs.len().saturating_mul(M::BYTES);
    let dst = out.get_mut(..total).ok_or(CodecError::BufferTooSmall)?;
    for (&c, chunk) in coeffs.iter().zip(dst.chunks_exact_mut(M::BYTES)) {
        let le = M::to_u128(c).to_le_bytes();
        chunk.copy_from_slice(le.get(..M::BYTES).ok_or(CodecError::OutOfRange)?);
    }
    Ok(total)
}

/// Reads exactly `out.len()` residues of `M::BYTES` little-endian bytes from exactly `bytes`, rejecting
/// any value ≥ q.
///
/// # Errors
/// [`CodecError::BadLength`] or [`CodecError::NotReduced`].
pub fn decode_mod_q_bytes<M: Modulus>(
    bytes: &[u8],
    out: &mut [M::Coeff],
) -> Result<(), CodecError> {
    if M::BYTES > 16 || bytes.len() != out.len().saturating_mul(M::BYTES) {
        return Err(CodecError::BadLength);
    }
    for (o, chunk) in out.iter_mut().zip(bytes.chunks_exact(M::BYTES)) {
        let mut le = [0u8; 16];
        le.get_mut(..M::BYTES)
            .ok_or(CodecError::BadLength)?
            .copy_from_slice(chunk);
        let v = u128::from_le_bytes(le);
        if v >= M::Q {
            return Err(CodecError::NotReduced);
        }
        *o = M::from_u128(v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::arith::modulus::{Q44, Q86};
    use crate::ring::gaussian::GaussianSampler;
    use proptest::prelude::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use std::vec;
    use std::vec::Vec;

    fn enc(values: &[i64], k: u32) -> Vec<u8> {
        let mut buf = vec![0u8; rice_len_bits(values, k).div_ceil(8) as usize];
        let n = rice_encode(values, k, &mut buf).unwrap();
        buf.truncate(n);
        buf
    }

    #[test]
    fn known_bits() {
        // k = 2: 5 = low 01, high 1 → "01" "10" "0"(sign) → bits 1,0,1,0,0 → 0b00101 = 5.
        assert_eq!(enc(&[5], 2), [0b0_0101]);
        // 0 → low 00, high "0", no sign → 3 zero bits → one zero byte.
        assert_eq!(enc(&[0], 2), [0]);
        // −1 (k = 0): high 1 → "1" "0", sign 1 → bits 1,0,1 = 0b101.
        assert_eq!(enc(&[-1], 0), [0b101]);
        assert_eq!(rice_len_bits(&[5, 0, -1], 2), 5 + 3 + 4);
    }

    #[test]
    fn gaussian_rate_near_entropy() {
        for &log_sigma in &[4.0f64, 12.0, 22.0, 25.7] {
            let sigma = 2f64.powf(log_sigma);
            let g = GaussianSampler::from_sigma(sigma).unwrap();
            let mut rng = ChaCha20Rng::from_seed([3; 32]);
            let mut z = vec![0i64; 20_000];
            g.fill(&mut rng, &mut z);
            let k = rice_k_for_sigma(g.sigma_q32());
            let bits = rice_len_bits(&z, k) as f64 / z.len() as f64;
            // Entropy log₂σ + 2.05; the Rice code stays within 0.25 bit of it.
            assert!(
                bits < log_sigma + 2.3,
                "σ = 2^{log_sigma}: {bits} bits (k = {k})"
            );
            assert!(
                bits > log_sigma + 2.0,
                "σ = 2^{log_sigma}: {bits} bits below entropy?"
            );
            let bytes = enc(&z, k);
            let mut back = vec![0i64; z.len()];
            rice_decode(&bytes, k, g.tail_bound(), &mut back).unwrap();
            assert_eq!(back, z);
            assert!(bytes.len() <= rice_max_len(z.len(), k, g.tail_bound()));
        }
    }

    #[test]
    fn strict_decoding_errors() {
        let k = 3;
        let bytes = enc(&[9, -20, 0, 7], k);
        let mut out = [0i64; 4];
        assert_eq!(rice_decode(&bytes, k, 100, &mut out), Ok(()));
        assert_eq!(out, [9, -20, 0, 7]);
        // Truncated.
        assert_eq!(
            rice_decode(&bytes[..bytes.len() - 1], k, 100, &mut out),
            Err(CodecError::Truncated)
        );
        // Extended.
        let mut ext = bytes.clone();
        ext.push(0);
        assert_eq!(
            rice_decode(&ext, k, 100, &mut out),
            Err(CodecError::TrailingBytes)
        );
        // Padding bit set: 4 values use 6+6+4+6 = 22 bits... set bit 23.
        let used = rice_len_bits(&[9, -20, 0, 7], k);
        let mut pad = bytes.clone();
        let last = pad.len() - 1;
        pad[last] |= 0x80;
        assert!(used < 8 * pad.len() as u64);
        assert_eq!(
            rice_decode(&pad, k, 100, &mut out),
            Err(CodecError::NonZeroPadding)
        );
        // Out of range and overlong runs against a tighter bound.
        assert_eq!(
            rice_decode(&bytes, k, 19, &mut out),
            Err(CodecError::OutOfRange)
        );
        assert_eq!(
            rice_decode(&enc(&[100], k), k, 40, &mut [0]),
            Err(CodecError::OverlongRun)
        );
        // A stream of 1-bits is cut at the bound instead of scanning to the end.
        let ones = [0xffu8; 64];
        assert_eq!(
            rice_decode(&ones, 0, 10, &mut [0]),
            Err(CodecError::OverlongRun)
        );
        // Buffer too small.
        assert_eq!(
            rice_encode(&[1000], 0, &mut [0u8; 8]),
            Err(CodecError::BufferTooSmall)
        );
    }

    #[test]
    fn mod_q_round_trip_and_errors() {
        let a = [0u64, 1, (Q44::Q - 1) as u64, 12345];
        let mut buf = [0u8; 22];
        assert_eq!(encode_mod_q::<Q44>(&a, &mut buf), Ok(22));
        let mut back = [0u64; 4];
        assert_eq!(decode_mod_q::<Q44>(&buf, &mut back), Ok(()));
        assert_eq!(back, a);
        // q itself in the second slot (bits 44..88).
        let mut bad = buf;
        let q = Q44::Q;
        let mut w = BitWriter::new(&mut bad);
        w.put(0, 44).unwrap();
        w.put(q as u64, 44).unwrap();
        let _ = w.finish();
        assert_eq!(
            decode_mod_q::<Q44>(&bad, &mut back),
            Err(CodecError::NotReduced)
        );
        // 4·44 = 176 bits = 22 bytes exactly: no padding; with 3 values there are 4 padding bits.
        let mut buf3 = [0u8; 17];
        assert_eq!(encode_mod_q::<Q44>(&a[..3], &mut buf3), Ok(17));
        buf3[16] |= 0x10;
        assert_eq!(
            decode_mod_q::<Q44>(&buf3, &mut back[..3]),
            Err(CodecError::NonZeroPadding)
        );
        assert_eq!(
            decode_mod_q::<Q44>(&buf[..21], &mut back),
            Err(CodecError::BadLength)
        );
        // 86-bit residues.
        let b = [
            Q86::from_u128(Q86::Q - 1),
            Q86::from_u128(1 << 70),
            Q86::zero(),
        ];
        let mut buf86 = [0u8; 33];
        assert_eq!(encode_mod_q::<Q86>(&b, &mut buf86), Ok(33));
        let mut back86 = [Q86::zero(); 3];
        assert_eq!(decode_mod_q::<Q86>(&buf86, &mut back86), Ok(()));
        assert_eq!(back86, b);
    }

    #[test]
    fn mod_q_bytes_round_trip_and_errors() {
        let a = [0u64, 1, (Q44::Q - 1) as u64, 12345];
        let mut buf = [0u8; 24];
        assert_eq!(encode_mod_q_bytes::<Q44>(&a, &mut buf), Ok(24));
        let mut back = [0u64; 4];
        assert_eq!(decode_mod_q_bytes::<Q44>(&buf, &mut back), Ok(()));
        assert_eq!(back, a);
        assert_eq!(
            encode_mod_q_bytes::<Q44>(&a, &mut buf[..23]),
            Err(CodecError::BufferTooSmall)
        );
        assert_eq!(
            decode_mod_q_bytes::<Q44>(&buf[..23], &mut back),
            Err(CodecError::BadLength)
        );
        // q, and a stray high bit above bit 44, are both ≥ q.
        let mut bad = buf;
        bad[6..12].copy_from_slice(&(Q44::Q as u64).to_le_bytes()[..6]);
        assert_eq!(
            decode_mod_q_bytes::<Q44>(&bad, &mut back),
            Err(CodecError::NotReduced)
        );
        let mut bad = buf;
        bad[5] |= 0x10;
        assert_eq!(
            decode_mod_q_bytes::<Q44>(&bad, &mut back),
            Err(CodecError::NotReduced)
        );
        let b = [Q86::from_u128(Q86::Q - 1), Q86::zero()];
        let mut buf86 = [0u8; 22];
        assert_eq!(encode_mod_q_bytes::<Q86>(&b, &mut buf86), Ok(22));
        let mut back86 = [Q86::zero(); 2];
        assert_eq!(decode_mod_q_bytes::<Q86>(&buf86, &mut back86), Ok(()));
        assert_eq!(back86, b);
    }

    proptest! {
        #[test]
        fn rice_round_trip(values in prop::collection::vec(-100_000i64..100_000, 0..200), k in 0u32..20) {
            let bytes = enc(&values, k);
            prop_assert_eq!(bytes.len() as u64, rice_len_bits(&values, k).div_ceil(8));
            let mut back = vec![0i64; values.len()];
            prop_assert_eq!(rice_decode(&bytes, k, 100_000, &mut back), Ok(()));
            prop_assert_eq!(back, values);
        }

        #[test]
        fn rice_accepts_only_canonical(values in prop::collection::vec(-3000i64..3000, 1..40),
                                       k in 0u32..12, flip in any::<prop::sample::Index>(),
                                       cut in 0usize..3) {
            // Mutate one bit (and maybe drop trailing bytes); whatever decodes must re-encode to
            // exactly the mutated bytes, and never to the original vector.
            let mut bytes = enc(&values, k);
            let bit = flip.index(bytes.len() * 8);
            bytes[bit / 8] ^= 1 << (bit % 8);
            let keep = bytes.len().saturating_sub(cut);
            bytes.truncate(keep);
            let mut back = vec![0i64; values.len()];
            if rice_decode(&bytes, k, 3000, &mut back).is_ok() {
                prop_assert_ne!(&back, &values);
                prop_assert_eq!(enc(&back, k), bytes);
            }
        }

        #[test]
        fn rice_random_bytes_canonical(bytes in prop::collection::vec(any::<u8>(), 0..40),
                                       n in 0usize..30, k in 0u32..8) {
            let mut out = vec![0i64; n];
            if rice_decode(&bytes, k, 1000, &mut out).is_ok() {
                prop_assert_eq!(enc(&out, k), bytes);
            }
        }

        #[test]
        fn mod_q_canonical(bytes in prop::collection::vec(any::<u8>(), 0..40)) {
            let n = bytes.len() * 8 / 44;
            let mut out = vec![0u64; n];
            if decode_mod_q::<Q44>(&bytes, &mut out).is_ok() {
                let mut again = vec![0u8; bytes.len()];
                prop_assert_eq!(encode_mod_q::<Q44>(&out, &mut again), Ok(bytes.len()));
                prop_assert_eq!(again, bytes);
            }
        }
    }
}
