//! Samplers of small and uniform polynomials from a SHAKE128 stream (docs/BFV.md): uniform
//! mod q for public matrices (rejection on public randomness), uniform ternary {−1, 0, 1} and the centred
//! binomial distribution CBD_η (η = 21 for BFV errors: σ = √(η/2) ≈ 3.24) for secrets. Secret samplers
//! never branch or index on the sampled values; the only data-dependent control flow is the rejection of
//! whole bytes in the ternary sampler, whose timing depends on discarded bytes only.
//!
//! Domain separation: SHAKE128("ZKFL-PQ/xof/v1" ‖ len(label) as u64 LE ‖ label ‖ seed ‖ index as u64 LE).
//! The discrete Gaussian lives in `ring::gaussian`.

use super::poly::Poly;
use crate::arith::Modulus;
use crate::arith::cast::low_u64;
use crate::arith::ct::divrem3_u8;
use shake::{ExtendableOutput, Shake128, Shake128Reader, Update, XofReader};
use zeroize::Zeroize;

/// Seed length in bytes.
pub const SEED_BYTES: usize = 32;

/// A SHAKE128 output stream bound to a seed, a domain-separation label and an index (e.g. chunk number).
/// The Keccak state is zeroized on drop (`shake`'s `zeroize` feature).
pub struct Xof {
    reader: Shake128Reader,
}

impl core::fmt::Debug for Xof {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Xof { .. }")
    }
}

impl Xof {
    /// The stream SHAKE128(prefix ‖ len(label) ‖ label ‖ seed ‖ index).
    #[must_use]
    pub fn new(seed: &[u8; SEED_BYTES], label: &[u8], index: u64) -> Self {
        let mut h = Shake128::default();
        h.update(b"ZKFL-PQ/xof/v1");
        h.update(&(label.len() as u64).to_le_bytes());
        h.update(label);
        h.update(seed);
        h.update(&index.to_le_bytes());
        Self {
            reader: h.finalize_xof(),
        }
    }

    /// Fills `buf` with the next stream bytes.
    pub fn read(&mut self, buf: &mut [u8]) {
        self.reader.read(buf);
    }
}

/// Fills `out` with coefficients uniform in [0, q): reads ⌈BITS/8⌉ bytes, masks to BITS bits, rejects
/// values ≥ q (probability 539/2^44 resp. 35/2^86 per draw). Branches on the stream: public data only
/// (public key `a`, the proof's public matrices).
pub fn uniform<M: Modulus, const N: usize>(xof: &mut Xof, out: &mut Poly<M, N>) {
    let mask = (1u128 << M::BITS) - 1;
    let mut buf = [0u8; 16];
    for c in &mut out.coeffs {
        loop {
            xof.read(&mut buf[..M::BYTES]);
            let v = u128::from_le_bytes(buf) & mask;
            if v < M::Q {
                *c = M::from_u128(v);
                break;
            }
        }
    }
}

/// Bytes below 3^5 = 243 carry five independent uniform base-3 digits; the ternary samplers discard the
/// others (a public decision: the kept digits do not depend on which bytes were dropped).
pub const TRIT_BYTE_LIMIT: u8 = 243;

/// Writes the five base-3 digits of an accepted byte b < [`TRIT_BYTE_LIMIT`], least significant first and
/// shifted to {−1, 0, 1}, into `out[filled..]` as far as it has room, each through `lift`; returns the new
/// fill. The one ternary digit extraction: [`ternary`] below and the prover's ternary masks share it. Digits
/// come from the multiply-shift [`divrem3_u8`] (no division on the secret byte, no branch on a digit).
#[inline]
pub fn push_trits<T>(b: u8, out: &mut [T], filled: usize, lift: impl Fn(i64) -> T) -> usize {
    let mut x = b;
    let mut i = filled;
    for _ in 0..5 {
        if i == out.len() {
            break;
        }
        let (q, d) = divrem3_u8(x);
        out[i] = lift(i64::from(d) - 1);
        x = q;
        i += 1;
    }
    i
}

/// Fills `out` with coefficients uniform in {−1, 0, 1} (mod q): each byte b < 243 = 3^5 of the stream
/// gives five base-3 digits ([`push_trits`]).
pub fn ternary<M: Modulus, const N: usize>(xof: &mut Xof, out: &mut Poly<M, N>) {
    let mut filled = 0;
    let mut buf = [0u8; 64];
    while filled < N {
        xof.read(&mut buf);
        for &b in &buf {
            // Public-timing rejection: whether a byte is dropped does not depend on accepted digits.
            if b < TRIT_BYTE_LIMIT {
                filled = push_trits(b, &mut out.coeffs, filled, M::from_i64);
            }
        }
    }
}

/// Fills `out` with the centred binomial distribution CBD_η: Σ_{i<η} a_i − Σ_{i<η} b_i over exactly
/// 2η stream bits per coefficient (η = 21: 21 bytes per 4 coefficients, 8 such groups per SHAKE128
/// block), computed with a branch-free SWAR population count of both halves at once. `eta` is a public
/// parameter in 1..=32 (`ParamSet::ERROR_ETA` = 21); out-of-range values are clamped to it. Returns ‖out‖²
/// (computed on the way, for the callers that bound the error norm).
pub fn cbd<M: Modulus, const N: usize>(xof: &mut Xof, eta: u32, out: &mut Poly<M, N>) -> u64 {
    const BLOCK: usize = 64; // coefficients per read: 2η·64 bits = 2η words
    let eta = eta.clamp(1, 32);
    let width = 2 * eta as usize;
    let mask = (1u64 << eta) - 1;
    let mut words = [0u64; 2 * 32 + 1];
    let mut bytes = [0u8; 8 * 2 * 32];
    let mut norm_sq = 0u64;
    for block in out.coeffs.chunks_mut(BLOCK) {
        let nbytes = (block.len() * width).div_ceil(8);
        xof.read(&mut bytes[..nbytes]);
        for (w, b) in words.iter_mut().zip(bytes.chunks_exact(8)) {
            *w = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        }
        for (i, c) in block.iter_mut().enumerate() {
            let (k, s) = ((i * width) >> 6, (i * width) & 63); // word and bit of a public offset
            let x = low_u64(((u128::from(words[k + 1]) << 64) | u128::from(words[k])) >> s);
            let both = (x & mask) | (((x >> eta) & mask) << 32);
            let counts = swar_popcount_halves(both);
            let v = (counts & 0xff).cast_signed() - (counts >> 32).cast_signed();
            norm_sq += (v * v).cast_unsigned();
            *c = M::from_i64(v);
        }
    }
    words.zeroize();
    bytes.zeroize();
    norm_sq
}

/// Population counts of the two 32-bit halves of x, returned in the low byte of each half (branch-free,
/// no reliance on a popcount instruction, whose availability varies across targets).
#[inline(always)]
fn swar_popcount_halves(x: u64) -> u64 {
    let x = x - ((x >> 1) & 0x5555_5555_5555_5555);
    let x = (x & 0x3333_3333_3333_3333) + ((x >> 2) & 0x3333_3333_3333_3333);
    let x = (x + (x >> 4)) & 0x0f0f_0f0f_0f0f_0f0f;
    // Sum the four bytes of each half into the half's lowest byte.
    let x = x + (x >> 8);
    let x = x + (x >> 16);
    x & 0x0000_00ff_0000_00ff
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::{Q44, Q86};

    const SEED: [u8; 32] = [7u8; 32];

    #[test]
    fn swar_popcount_matches_count_ones() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..10_000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let c = swar_popcount_halves(x);
            assert_eq!(c & 0xff, u64::from((x as u32).count_ones()));
            assert_eq!(c >> 32, u64::from(((x >> 32) as u32).count_ones()));
        }
        assert_eq!(swar_popcount_halves(u64::MAX), 32 | (32 << 32));
    }

    #[test]
    fn cbd_small_eta_uses_exact_bit_budget() {
        // η = 1: two bits per coefficient, values in {−1, 0, 1} with P(0) = 1/2.
        let mut p = Poly::<Q44, 2048>::zero();
        cbd(&mut Xof::new(&SEED, b"e", 9), 1, &mut p);
        let zeros = (0..2048).filter(|&k| p.centered(k) == 0).count();
        assert!((1024 - 140..1024 + 140).contains(&zeros), "{zeros}");
        assert!((0..2048).all(|k| p.centered(k).abs() <= 1));
        // η = 32 reads whole words.
        cbd(&mut Xof::new(&SEED, b"e", 9), 32, &mut p);
        assert!((0..2048).all(|k| p.centered(k).abs() <= 32));
    }

    #[test]
    fn base3_digits_by_multiply_shift() {
        for x in 0u32..256 {
            assert_eq!((x * 171) >> 9, x / 3);
        }
    }

    #[test]
    fn streams_are_domain_separated_and_deterministic() {
        let mut out = [[0u8; 32]; 4];
        Xof::new(&SEED, b"a", 0).read(&mut out[0]);
        Xof::new(&SEED, b"a", 1).read(&mut out[1]);
        Xof::new(&SEED, b"b", 0).read(&mut out[2]);
        Xof::new(&SEED, b"a", 0).read(&mut out[3]);
        assert_ne!(out[0], out[1]);
        assert_ne!(out[0], out[2]);
        assert_eq!(out[0], out[3]);
    }

    #[test]
    fn uniform_is_canonical_and_spread() {
        let mut p = Poly::<Q86, 2048>::zero();
        uniform(&mut Xof::new(&SEED, b"u", 0), &mut p);
        assert!(p.coeffs.iter().all(|&c| c < Q86::Q));
        // Top-bit balance: about half the coefficients lie above q/2 (binomial, 6 sigma window).
        let high = p.coeffs.iter().filter(|&&c| c > Q86::Q / 2).count();
        assert!((1024 - 140..1024 + 140).contains(&high), "{high}");
        let mut r = Poly::<Q44, 2048>::zero();
        uniform(&mut Xof::new(&SEED, b"u", 0), &mut r);
        assert!(r.coeffs.iter().all(|&c| u128::from(c) < Q44::Q));
        let high = r
            .coeffs
            .iter()
            .filter(|&&c| u128::from(c) > Q44::Q / 2)
            .count();
        assert!((1024 - 140..1024 + 140).contains(&high), "{high}");
    }

    /// The shared digit extraction gives exactly what the prover's earlier `x % 3`, `x /= 3` loop gave, for
    /// every byte and every fill position (so the proof bytes did not move when the two samplers became one).
    #[test]
    fn push_trits_equals_the_division_formulation_on_every_byte() {
        for b in 0..=u8::MAX {
            for filled in 0..=6 {
                let mut want = [9i64; 6];
                let (mut x, mut i) = (b, filled);
                for _ in 0..5 {
                    if i < want.len() {
                        want[i] = i64::from(x % 3) - 1;
                        i += 1;
                    }
                    x /= 3;
                }
                let mut got = [9i64; 6];
                assert_eq!(
                    push_trits(b, &mut got, filled, |t| t),
                    i,
                    "b {b} filled {filled}"
                );
                assert_eq!(got, want, "b {b} filled {filled}");
            }
        }
    }

    #[test]
    fn ternary_is_uniform_on_three_values() {
        let mut counts = [0usize; 3];
        for i in 0..8 {
            let mut p = Poly::<Q44, 4096>::zero();
            ternary(&mut Xof::new(&SEED, b"t", i), &mut p);
            for k in 0..4096 {
                let c = p.centered(k);
                assert!((-1..=1).contains(&c));
                counts[(c + 1) as usize] += 1;
            }
        }
        // 32768 draws: each count ≈ 10923 ± 6·85.
        for c in counts {
            assert!((10923 - 520..10923 + 520).contains(&c), "{counts:?}");
        }
    }

    #[test]
    fn cbd_has_the_right_range_mean_and_variance() {
        let mut sum = 0i128;
        let mut sq = 0i128;
        let mut max = 0i128;
        for i in 0..8 {
            let mut p = Poly::<Q86, 4096>::zero();
            let n2 = cbd(&mut Xof::new(&SEED, b"e", i), 21, &mut p);
            assert_eq!(u128::from(n2), p.norm_sq_centered());
            for k in 0..4096 {
                let c = p.centered(k);
                sum += c;
                sq += c * c;
                max = max.max(c.abs());
            }
        }
        assert!(max <= 21);
        assert!(max >= 10, "tails never reached");
        let n = 8.0 * 4096.0;
        let mean = sum as f64 / n;
        let var = sq as f64 / n;
        assert!(mean.abs() < 0.15, "{mean}");
        assert!((var - 10.5).abs() < 0.5, "{var}");
    }
}
