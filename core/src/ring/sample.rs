//! Samplers of small and uniform polynomials from a SHAKE128 stream (ARCHITECTURE.md, "ring"): uniform
//! mod q for public matrices (rejection on public randomness), uniform ternary {−1, 0, 1} and the centred
//! binomial distribution CBD_η (η = 21 for BFV errors: σ = √(η/2) ≈ 3.24) for secrets. Secret samplers
//! never branch or index on the sampled values; the only data-dependent control flow is the rejection of
//! whole bytes in the ternary sampler, whose timing depends on discarded bytes only.
//!
//! Domain separation: SHAKE128("ZKFL-PQ/xof/v1" ‖ len(label) as u64 LE ‖ label ‖ seed ‖ index as u64 LE).
//! The discrete Gaussian lives in `ring::gaussian`.

use super::poly::Poly;
use crate::arith::Modulus;
use shake::{ExtendableOutput, Shake128, Shake128Reader, Update, XofReader};

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
    for c in out.coeffs.iter_mut() {
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

/// Fills `out` with coefficients uniform in {−1, 0, 1} (mod q). Each accepted byte b < 243 = 3^5 gives
/// five base-3 digits, computed with multiply-shift division (no secret-dependent branch or table).
pub fn ternary<M: Modulus, const N: usize>(xof: &mut Xof, out: &mut Poly<M, N>) {
    let mut filled = 0;
    let mut buf = [0u8; 64];
    while filled < N {
        xof.read(&mut buf);
        for &b in buf.iter() {
            // Public-timing rejection: whether a byte is dropped does not depend on accepted digits.
            if b >= 243 {
                continue;
            }
            let mut x = b as u32;
            for _ in 0..5 {
                if filled == N {
                    break;
                }
                let q3 = (x * 171) >> 9; // x / 3 for x < 256
                let d = x - 3 * q3;
                out.coeffs[filled] = M::from_i64(d as i64 - 1);
                x = q3;
                filled += 1;
            }
        }
    }
}

/// Fills `out` with the centred binomial distribution CBD_ETA: Σ_{i<η} a_i − Σ_{i<η} b_i over 2η
/// stream bits, computed with population counts (constant time). ETA ≤ 32.
pub fn cbd<M: Modulus, const N: usize, const ETA: u32>(xof: &mut Xof, out: &mut Poly<M, N>) {
    let nbytes = const {
        assert!(ETA >= 1 && ETA <= 32);
        (2 * ETA as usize).div_ceil(8)
    };
    let mask = (1u64 << ETA) - 1;
    let mut buf = [0u8; 8 * 64];
    for block in out.coeffs.chunks_mut(64) {
        let bytes = &mut buf[..block.len() * nbytes];
        xof.read(bytes);
        for (c, w) in block.iter_mut().zip(bytes.chunks_exact(nbytes)) {
            let mut word = [0u8; 8];
            word[..nbytes].copy_from_slice(w);
            let x = u64::from_le_bytes(word);
            let a = (x & mask).count_ones() as i64;
            let b = ((x >> ETA) & mask).count_ones() as i64;
            *c = M::from_i64(a - b);
        }
        zeroize::Zeroize::zeroize(&mut buf[..]);
    }
}
