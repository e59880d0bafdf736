//! The auxiliary NTT-friendly primes of the residue-number-system multiplication (docs/BFV.md): ten primes p < 2^30 with p ≡ 1 (mod 8192), so
//! each has a primitive 8192-th root of unity ψ and serves negacyclic NTTs of every length N | 4096
//! (128 for the proof ring, 2048 for set S, 4096 for set L). p < 2^30 keeps every lazy butterfly value
//! below 4p < 2^32, so all arithmetic runs on u32 with u32×u32→u64 products (cheap on wasm and Cortex-M).
//!
//! The small twiddle tables (≈ 2.3 KB per prime, see [`STORED_N`]) are computed at compile time
//! (`const fn`); nothing here depends on secrets except the operands passed to the `#[inline]` helpers,
//! which are branch-free.
// Division lint (lib.rs): every `/` and `%` here works on the public primes, at compile time or on
// public twiddle indices.
#![allow(clippy::integer_division_remainder_used)]

use super::cast::{fit_u32, low_u32};

/// Number of auxiliary primes available (so at most 10 residues per coefficient).
pub const PRIME_COUNT: usize = 10;
/// Largest supported NTT length.
pub const MAX_N: usize = 4096;
/// log2 of [`MAX_N`].
pub const LOG_MAX_N: u32 = 12;

/// The primes, all < 2^30 and ≡ 1 (mod 8192); checked by the unit tests (primality and congruence).
pub const PRIMES: [u32; PRIME_COUNT] = [
    1073692673, 1073668097, 1073651713, 1073643521, 1073569793, 1073479681, 1073430529, 1073299457,
    1073233921, 1073184769,
];

/// Length of the stored twiddle tables: every twiddle of an NTT of length ≤ 128 (the proof ring, the
/// prover's hot loop) is read from a table with its Shoup companion. The 4032 further twiddles of the
/// BFV-ring lengths 2048 and 4096 are one Montgomery product of two small-table entries each
/// ([`NttPrime::fwd_mont`]), so ten primes need ≈ 23 KB of tables instead of 655 KB (which dominated the
/// .wasm download and would not fit a Cortex-M4's flash next to the code).
pub const STORED_N: usize = 128;
/// log2 of [`STORED_N`].
const LOG_STORED_N: u32 = 7;
/// Number of high-part factors: MAX_N / STORED_N.
const HI_LEN: usize = MAX_N / STORED_N;

/// One auxiliary prime with its Montgomery constants and bit-reversed twiddle tables.
///
/// Twiddle k (0 < k < 4096) of every length is ψ^brv_12(k): the table of a shorter length N is the first
/// N entries of the length-4096 one, since brv_12(i) = 2^(12−log N)·brv_logN(i) for i < N. Writing
/// k = 128·h + l (l < 128, h < 32), brv_12(k) = 32·brv_7(l) + brv_5(h), so
/// ψ^brv_12(k) = ψ^brv_12(l) · ψ^brv_5(h): the stored entry l times a high-part factor.
#[derive(Debug)]
pub struct NttPrime {
    /// The prime p.
    pub p: u32,
    /// −p^(−1) mod 2^32 (Montgomery reduction).
    pub p_neg_inv: u32,
    /// R^(i+2) mod p for i = 0..4 with R = 2^32: lifting a 32-bit limb l_i of a wide integer straight into
    /// Montgomery form is `mont_mul(l_i, r_pows[i])` = l_i·2^(32i)·R mod p.
    pub r_pows: [u32; 4],
    /// A primitive 8192-th root of unity ψ mod p (the smallest generator's power, so deterministic).
    pub psi: u32,
    /// ψ^brv_12(i) for i < 128 (Cooley–Tukey forward twiddles).
    pub fwd: [u32; STORED_N],
    /// Shoup companions ⌊w·2^32/p⌋ of `fwd`.
    pub fwd_shoup: [u32; STORED_N],
    /// ψ^(−brv_12(i)) for i < 128 (Gentleman–Sande inverse twiddles).
    pub inv: [u32; STORED_N],
    /// Shoup companions of `inv`.
    pub inv_shoup: [u32; STORED_N],
    /// ψ^brv_5(h)·R² mod p for h < 32: `mont_mul(fwd[l], fwd_hi[h])` = ψ^brv_12(128h + l)·R mod p.
    pub fwd_hi: [u32; HI_LEN],
    /// ψ^(−brv_5(h))·R² mod p for h < 32 (the inverse twiddles' high-part factors).
    pub inv_hi: [u32; HI_LEN],
    /// N^(−1)·R^(−1) mod p for N = 2^l, l = 0..=12: the last scaling of the inverse NTT, which also leaves
    /// the Montgomery domain.
    pub scale_mont: [u32; LOG_MAX_N as usize + 1],
    /// Shoup companions of `scale_mont`.
    pub scale_mont_shoup: [u32; LOG_MAX_N as usize + 1],
    /// N^(−1) mod p for N = 2^l (inverse NTT of plain, non-Montgomery values).
    pub scale_plain: [u32; LOG_MAX_N as usize + 1],
    /// Shoup companions of `scale_plain`.
    pub scale_plain_shoup: [u32; LOG_MAX_N as usize + 1],
}

/// The prime tables, computed at compile time.
#[allow(long_running_const_eval)]
pub static NTT_PRIMES: [NttPrime; PRIME_COUNT] = {
    let mut i = 0;
    // A const array initialiser cannot call a non-Copy constructor in a repeat expression, so build
    // each entry explicitly.
    let out = [
        NttPrime::new(PRIMES[0]),
        NttPrime::new(PRIMES[1]),
        NttPrime::new(PRIMES[2]),
        NttPrime::new(PRIMES[3]),
        NttPrime::new(PRIMES[4]),
        NttPrime::new(PRIMES[5]),
        NttPrime::new(PRIMES[6]),
        NttPrime::new(PRIMES[7]),
        NttPrime::new(PRIMES[8]),
        NttPrime::new(PRIMES[9]),
    ];
    while i < PRIME_COUNT {
        assert!(out[i].p == PRIMES[i]);
        i += 1;
    }
    out
};

/// b^e mod m (compile-time helper; public data only).
#[must_use]
pub const fn pow_mod(b: u64, mut e: u64, m: u64) -> u64 {
    let mut base = b % m;
    let mut acc = 1 % m;
    while e > 0 {
        if e & 1 == 1 {
            acc = acc * base % m;
        }
        base = base * base % m;
        e >>= 1;
    }
    acc
}

/// Reverses the low `bits` bits of `x`.
#[must_use]
pub const fn bit_reverse(x: usize, bits: u32) -> usize {
    if bits == 0 {
        return 0;
    }
    x.reverse_bits() >> (usize::BITS - bits)
}

/// ⌊w·2^32/p⌋ for w < p: the Shoup companion of a fixed multiplier w.
#[must_use]
pub const fn shoup(w: u32, p: u32) -> u32 {
    // w < p, so the quotient is below 2^32.
    fit_u32(((w as u64) << 32) / p as u64)
}

/// −p^(−1) mod 2^32 by Newton iteration (p odd): Montgomery reduction's constant.
const fn neg_inv_mod_2_32(p: u32) -> u32 {
    let mut inv: u32 = 1;
    let mut k = 0;
    while k < 5 {
        inv = inv.wrapping_mul(2u32.wrapping_sub(p.wrapping_mul(inv)));
        k += 1;
    }
    0u32.wrapping_sub(inv)
}

/// R^(i+2) mod p for i = 0..4, with r = R mod p (`NttPrime::r_pows`).
const fn montgomery_powers(r: u64, pm: u64) -> [u32; 4] {
    let mut r_pows = [0u32; 4];
    let mut rp = r * r % pm;
    let mut k = 0;
    while k < 4 {
        r_pows[k] = fit_u32(rp);
        rp = rp * r % pm;
        k += 1;
    }
    r_pows
}

/// root^brv_12(i) mod p for i < [`STORED_N`] and their Shoup companions (`fwd` from ψ, `inv` from ψ^(−1)).
const fn stored_twiddles(root: u64, p: u32) -> ([u32; STORED_N], [u32; STORED_N]) {
    let pm = p as u64;
    let mut w = [0u32; STORED_N];
    let mut w_shoup = [0u32; STORED_N];
    let mut k = 0;
    while k < STORED_N {
        let e = bit_reverse(k, LOG_MAX_N) as u64;
        w[k] = fit_u32(pow_mod(root, e, pm));
        w_shoup[k] = shoup(w[k], p);
        k += 1;
    }
    (w, w_shoup)
}

/// root^brv_5(h)·R² mod p for h < [`HI_LEN`] (`fwd_hi` from ψ, `inv_hi` from ψ^(−1)), with r2 = R² mod p.
const fn high_twiddles(root: u64, r2: u64, pm: u64) -> [u32; HI_LEN] {
    let mut hi = [0u32; HI_LEN];
    let mut k = 0;
    while k < HI_LEN {
        let e = bit_reverse(k, LOG_MAX_N - LOG_STORED_N) as u64;
        hi[k] = fit_u32(pow_mod(root, e, pm) * r2 % pm);
        k += 1;
    }
    hi
}

/// The inverse NTT's last scalings for N = 2^l, l = 0..=12: N^(−1)·R^(−1) and N^(−1) mod p, each with its
/// Shoup companions, as (`scale_mont`, `scale_mont_shoup`, `scale_plain`, `scale_plain_shoup`).
const fn inverse_scales(
    p: u32,
    r_inv: u64,
) -> ([u32; SCALES], [u32; SCALES], [u32; SCALES], [u32; SCALES]) {
    let pm = p as u64;
    let mut scale_mont = [0u32; SCALES];
    let mut scale_mont_shoup = [0u32; SCALES];
    let mut scale_plain = [0u32; SCALES];
    let mut scale_plain_shoup = [0u32; SCALES];
    let mut k = 0;
    while k < SCALES {
        let n_inv = pow_mod(1u64 << k, pm - 2, pm);
        scale_plain[k] = fit_u32(n_inv);
        scale_plain_shoup[k] = shoup(fit_u32(n_inv), p);
        let s = n_inv * r_inv % pm;
        scale_mont[k] = fit_u32(s);
        scale_mont_shoup[k] = shoup(fit_u32(s), p);
        k += 1;
    }
    (scale_mont, scale_mont_shoup, scale_plain, scale_plain_shoup)
}

/// Entries of the scaling tables: one per N = 2^l, l = 0..=[`LOG_MAX_N`].
const SCALES: usize = LOG_MAX_N as usize + 1;

impl NttPrime {
    /// Computes all constants and tables of prime `p` (compile time). Panics (at compile time) unless
    /// p ≡ 1 (mod 8192) and p < 2^30.
    #[must_use]
    pub const fn new(p: u32) -> Self {
        assert!(p < (1 << 30) && p % 8192 == 1);
        let pm = p as u64;
        let r = (1u64 << 32) % pm;
        let psi = Self::find_psi(pm);
        let psi_inv = pow_mod(psi, 8191, pm);
        let (fwd, fwd_shoup) = stored_twiddles(psi, p);
        let (inv, inv_shoup) = stored_twiddles(psi_inv, p);
        let r2 = r * r % pm;
        let (scale_mont, scale_mont_shoup, scale_plain, scale_plain_shoup) =
            inverse_scales(p, pow_mod(r, pm - 2, pm));
        Self {
            p,
            p_neg_inv: neg_inv_mod_2_32(p),
            r_pows: montgomery_powers(r, pm),
            psi: fit_u32(psi),
            fwd,
            fwd_shoup,
            inv,
            inv_shoup,
            fwd_hi: high_twiddles(psi, r2, pm),
            inv_hi: high_twiddles(psi_inv, r2, pm),
            scale_mont,
            scale_mont_shoup,
            scale_plain,
            scale_plain_shoup,
        }
    }

    /// The primitive 8192-th root g^((p−1)/8192) for the smallest g that gives one (ψ^4096 = −1).
    const fn find_psi(p: u64) -> u64 {
        let mut g = 2;
        loop {
            let c = pow_mod(g, (p - 1) / 8192, p);
            if pow_mod(c, 4096, p) == p - 1 {
                return c;
            }
            g += 1;
        }
    }

    /// Forward twiddle k (k < 4096) in Montgomery form, ψ^brv_12(k)·R mod p in [0, p): one Montgomery
    /// product of stored entries (public index, no secret involved).
    #[inline(always)]
    #[must_use]
    pub fn fwd_mont(&self, k: usize) -> u32 {
        self.mont_mul(self.fwd[k % STORED_N], self.fwd_hi[k / STORED_N])
    }

    /// Inverse twiddle k (k < 4096) in Montgomery form, ψ^(−brv_12(k))·R mod p in [0, p).
    #[inline(always)]
    #[must_use]
    pub fn inv_mont(&self, k: usize) -> u32 {
        self.mont_mul(self.inv[k % STORED_N], self.inv_hi[k / STORED_N])
    }

    /// x − p if x ≥ p else x, for x < 2p (branch-free).
    #[inline(always)]
    #[must_use]
    pub fn csub(&self, x: u32) -> u32 {
        csub(x, self.p)
    }

    /// w·a mod p in [0, 2p) with Shoup's method: `ws` = ⌊w·2^32/p⌋, any a < 2^32, w < p.
    #[inline(always)]
    #[must_use]
    pub fn shoup_mul_lazy(&self, a: u32, w: u32, ws: u32) -> u32 {
        let qh = ((u64::from(ws) * u64::from(a)) >> 32) as u32;
        w.wrapping_mul(a).wrapping_sub(qh.wrapping_mul(self.p))
    }

    /// Montgomery product a·b·2^(−32) mod p in [0, 2p), for a·b < p·2^32.
    #[inline(always)]
    #[must_use]
    pub fn mont_mul_lazy(&self, a: u32, b: u32) -> u32 {
        self.mont_reduce_lazy(u64::from(a) * u64::from(b))
    }

    /// Montgomery reduction x·2^(−32) mod p in [0, 2p), for x < p·2^32.
    #[inline(always)]
    #[must_use]
    pub fn mont_reduce_lazy(&self, x: u64) -> u32 {
        let m = low_u32(x).wrapping_mul(self.p_neg_inv);
        ((x + u64::from(m) * u64::from(self.p)) >> 32) as u32
    }

    /// Montgomery product reduced to [0, p).
    #[inline(always)]
    #[must_use]
    pub fn mont_mul(&self, a: u32, b: u32) -> u32 {
        self.csub(self.mont_mul_lazy(a, b))
    }

    /// (a + b) mod p for a, b < p.
    #[inline(always)]
    #[must_use]
    pub fn add(&self, a: u32, b: u32) -> u32 {
        self.csub(a + b)
    }

    /// (a − b) mod p for a, b < p.
    #[inline(always)]
    #[must_use]
    pub fn sub(&self, a: u32, b: u32) -> u32 {
        self.csub(a + self.p - b)
    }
}

pub use super::ct::csub;

#[cfg(test)]
mod tests {
    use super::*;

    fn is_prime(n: u64) -> bool {
        if n < 2 {
            return false;
        }
        let mut d = 2;
        while d * d <= n {
            if n.is_multiple_of(d) {
                return false;
            }
            d += 1;
        }
        true
    }

    #[test]
    fn primes_are_prime_distinct_and_ntt_friendly() {
        for (i, &p) in PRIMES.iter().enumerate() {
            assert!(is_prime(u64::from(p)), "{p} is not prime");
            assert_eq!(p % 8192, 1, "{p} is not 1 mod 8192");
            assert!(p < 1 << 30);
            assert!(PRIMES[..i].iter().all(|&o| o != p));
        }
    }

    #[test]
    fn psi_is_primitive_8192th_root() {
        for pr in &NTT_PRIMES {
            let p = u64::from(pr.p);
            assert_eq!(pow_mod(u64::from(pr.psi), 4096, p), p - 1);
            assert_eq!(pow_mod(u64::from(pr.psi), 8192, p), 1);
            assert_eq!(pr.fwd[0], 1);
            assert_eq!(u64::from(pr.fwd[1]), pow_mod(u64::from(pr.psi), 2048, p));
        }
    }

    /// Every twiddle of every length, stored or computed, against ψ^(±brv_12(k)) by exponentiation, and
    /// every stored Shoup companion against its definition.
    #[test]
    fn twiddles_match_powers_of_psi() {
        for pr in &NTT_PRIMES {
            let p = u64::from(pr.p);
            let r = (1u64 << 32) % p;
            let psi_inv = pow_mod(u64::from(pr.psi), 8191, p);
            for k in 0..MAX_N {
                let e = bit_reverse(k, LOG_MAX_N) as u64;
                let (w, wi) = (pow_mod(u64::from(pr.psi), e, p), pow_mod(psi_inv, e, p));
                assert_eq!(u64::from(pr.fwd_mont(k)), w * r % p, "p = {p}, k = {k}");
                assert_eq!(u64::from(pr.inv_mont(k)), wi * r % p, "p = {p}, k = {k}");
                if k < STORED_N {
                    assert_eq!((u64::from(pr.fwd[k]), u64::from(pr.inv[k])), (w, wi));
                    assert_eq!(pr.fwd_shoup[k], shoup(pr.fwd[k], pr.p));
                    assert_eq!(pr.inv_shoup[k], shoup(pr.inv[k], pr.p));
                }
            }
        }
    }

    #[test]
    fn montgomery_and_shoup_helpers() {
        for pr in &NTT_PRIMES {
            let p = u64::from(pr.p);
            let r = (1u64 << 32) % p;
            assert_eq!(pr.p.wrapping_mul(pr.p_neg_inv), u32::MAX);
            for &(a, b) in &[
                (0u32, 0u32),
                (1, 1),
                (pr.p - 1, pr.p - 1),
                (12345, pr.p - 7),
            ] {
                let m = u64::from(pr.mont_mul(a, b));
                assert_eq!(m * r % p, u64::from(a) * u64::from(b) % p);
                let w = b % pr.p;
                let s = pr.shoup_mul_lazy(u32::MAX - a, w, shoup(w, pr.p));
                assert!(s < 2 * pr.p);
                assert_eq!(u64::from(s) % p, u64::from(u32::MAX - a) * u64::from(w) % p);
            }
        }
    }
}
