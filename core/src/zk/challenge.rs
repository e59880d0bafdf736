//! Challenges: short σ-invariant ring elements for the opening proof, and uniform Z_q batching scalars
//! (ZK-BRIEF §4 "Challenges for d = 128"; LNP22 §2 and §4, eprint 2022/284).
//!
//! **Ring challenges** `c ∈ R_d = Z[Y]/(Y^128 + 1)`: σ-invariant under σ: Y → Y⁻¹ (`c_i = −c_{d−i}` for
//! 0 < i < d, hence `c_{d/2} = 0`; `c_0` free), coefficients in [−2, 2], and kept only if
//! ‖σ(c)·c‖₁ = ‖c²‖₁ ≤ η² with η = 59. The free coefficients `c_0..c_63` are uniform in [−2, 2]; the
//! η filter and the byte rejection act on public data only. Consequences used by the protocol:
//! - ‖c·s‖₂ ≤ η·‖s‖₂ for every s ∈ R_d, because ‖c·s‖₂² is the constant coefficient of
//!   σ(s)·s·σ(c)·c and |⟨·⟩| is bounded by ‖σ(c)c‖₁·‖s‖₂² (LNP22, Lemma 2.3 style operator bound);
//! - a difference of two challenges has ‖c − c'‖∞ ≤ 4 on the 127 possibly nonzero coefficients, so
//!   ‖c − c'‖₂ ≤ 4·√127 < 46 < √q: invertible in R_q for q ≡ 5 (mod 8) (Lyubashevsky–Seiler, EUROCRYPT
//!   2018, Cor. 1.2);
//! - |C| = 5^64 · P[accept]. The test `challenge_space_size` measures P[accept] ≈ 0.60 by Monte Carlo
//!   (4000 samples), so log₂|C| ≈ 148.60 − 0.74 ≈ 147.9 (5^64 = 2^148.60); the soundness term 1/(2|C|)
//!   is about 2^−148.9. The accepted coefficients are symmetric but not uniform (small values favoured).
//!
//! **Batching scalars**: [`uniform_mod_q`] fills a slice with uniform residues mod q expanded with SHAKE128
//! from (seed, label, index), by rejection of `BITS`-bit candidates ≥ q (public data, so the loop may
//! branch). The JL matrix lives in [`crate::zk::jl`].
//!
//! API summary:
//! - [`Challenge::from_seed`]`(&[u8; 32])` — deterministic expansion (SHAKE256, domain `CHALLENGE_DOMAIN`).
//! - [`Challenge::from_coeffs`]`(&[i64; 128])` — strict validation (σ-invariance, range, η filter).
//! - [`Challenge::coeffs`], [`Challenge::to_i64`], [`Challenge::to_poly`], [`Challenge::l1_of_square`],
//!   [`Challenge::mul_integer`] (c·s over Z[Y]/(Y^128+1), constant time in s).
//! - [`uniform_mod_q`]`::<M>(seed, label, index, out)`.

use crate::arith::Modulus;
use crate::params::PROOF_RING_DEGREE;
use crate::ring::subring::ProofPoly;
use shake::{ExtendableOutput, Shake128, Shake256, Update, XofReader};

/// Proof-ring degree d.
pub const D: usize = PROOF_RING_DEGREE;
/// Operator-norm bound η: ‖c·s‖₂ ≤ η‖s‖₂ for every challenge c.
pub const ETA: u64 = 59;
/// Largest absolute value of a challenge coefficient.
pub const COEFF_BOUND: i64 = 2;
/// Number of free coefficients (`c_0..c_{d/2−1}`); the rest follow from σ-invariance.
pub const FREE_COEFFS: usize = D / 2;
/// Domain separation of challenge expansion.
pub const CHALLENGE_DOMAIN: &[u8] = b"ZKFL-PQ/challenge/v1";
/// Domain separation of uniform mod-q expansion.
pub const UNIFORM_DOMAIN: &[u8] = b"ZKFL-PQ/uniform-mod-q/v1";

/// Why a coefficient vector is not a valid challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengeError {
    /// Some coefficient is outside [−2, 2].
    OutOfRange {
        /// Index of the offending coefficient.
        index: usize,
    },
    /// `c_i ≠ −c_{d−i}` for this i (or `c_{d/2} ≠ 0`).
    NotSigmaInvariant {
        /// Index of the offending coefficient.
        index: usize,
    },
    /// ‖σ(c)·c‖₁ exceeds η².
    NormTooLarge {
        /// The measured ‖σ(c)·c‖₁.
        l1: u64,
    },
}

impl core::fmt::Display for ChallengeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::OutOfRange { index } => {
                write!(f, "challenge coefficient {index} outside [-2, 2]")
            }
            Self::NotSigmaInvariant { index } => {
                write!(f, "challenge not sigma-invariant at coefficient {index}")
            }
            Self::NormTooLarge { l1 } => write!(f, "challenge has ||sigma(c)c||_1 = {l1} > eta^2"),
        }
    }
}

/// A valid challenge polynomial (σ-invariant, coefficients in [−2, 2], ‖σ(c)c‖₁ ≤ η²).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Challenge {
    c: [i8; D],
}

impl Challenge {
    /// Expands a challenge from a 32-byte seed: SHAKE256(domain ‖ seed) bytes b < 250 give free
    /// coefficients `b mod 5 − 2` (bytes ≥ 250 skipped); a candidate failing the η filter is discarded and
    /// the next one is read from the same stream. Terminates with probability 1 (acceptance ≈ 0.60).
    #[must_use]
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        let mut h = Shake256::default();
        h.update(CHALLENGE_DOMAIN);
        h.update(seed);
        let mut xof = h.finalize_xof();
        loop {
            let mut c = [0i8; D];
            let mut i = 0;
            while i < FREE_COEFFS {
                let mut b = [0u8; 1];
                xof.read(&mut b);
                if b[0] < 250 {
                    // b[0] % 5 on a public byte: division is fine here.
                    c[i] = (b[0] % 5) as i8 - 2;
                    i += 1;
                }
            }
            for j in 1..FREE_COEFFS {
                c[D - j] = -c[j];
            }
            let cand = Self { c };
            if cand.l1_of_square() <= ETA * ETA {
                return cand;
            }
        }
    }

    /// Validates an explicit coefficient vector (e.g. a decoded challenge).
    ///
    /// # Errors
    /// [`ChallengeError`] naming the first violated condition.
    pub fn from_coeffs(coeffs: &[i64; D]) -> Result<Self, ChallengeError> {
        let mut c = [0i8; D];
        for (index, (&x, out)) in coeffs.iter().zip(c.iter_mut()).enumerate() {
            if !(-COEFF_BOUND..=COEFF_BOUND).contains(&x) {
                return Err(ChallengeError::OutOfRange { index });
            }
            *out = x as i8;
        }
        for index in 1..D {
            if c[index] != -c[D - index] {
                return Err(ChallengeError::NotSigmaInvariant { index });
            }
        }
        let cand = Self { c };
        let l1 = cand.l1_of_square();
        if l1 > ETA * ETA {
            return Err(ChallengeError::NormTooLarge { l1 });
        }
        Ok(cand)
    }

    /// The coefficients `c_0..c_127`.
    #[must_use]
    pub fn coeffs(&self) -> &[i8; D] {
        &self.c
    }

    /// The coefficients widened to i64.
    #[must_use]
    pub fn to_i64(&self) -> [i64; D] {
        self.c.map(i64::from)
    }

    /// c as an element of R_q = Z_q[Y]/(Y^128 + 1).
    #[must_use]
    pub fn to_poly<M: Modulus>(&self) -> ProofPoly<M> {
        ProofPoly::<M>::from_i64(&self.to_i64())
    }

    /// ‖σ(c)·c‖₁, which equals ‖c²‖₁ for a σ-invariant c (computed for any c as σ(c)·c).
    #[must_use]
    pub fn l1_of_square(&self) -> u64 {
        let c = self.to_i64();
        let mut sc = [0i64; D];
        // σ(c)_0 = c_0, σ(c)_i = −c_{d−i}.
        sc[0] = c[0];
        for i in 1..D {
            sc[i] = -c[D - i];
        }
        let mut prod = [0i64; D];
        negacyclic_mul(&sc, &c, &mut prod);
        prod.iter().map(|x| x.unsigned_abs()).sum()
    }

    /// `out = c·s` in `Z[Y]/(Y^128 + 1)`. Schoolbook with fixed loop bounds: constant time in `s`.
    /// Overflow-free for ‖s‖∞ < 2^53 (|coefficient| ≤ 2·128·‖s‖∞).
    pub fn mul_integer(&self, s: &[i64; D], out: &mut [i64; D]) {
        negacyclic_mul(&self.to_i64(), s, out);
    }
}

/// `out = a·b` in Z[Y]/(Y^d + 1) by schoolbook multiplication (wrapping, branch-free in the data).
fn negacyclic_mul(a: &[i64; D], b: &[i64; D], out: &mut [i64; D]) {
    let mut acc = [0i64; 2 * D];
    for (i, &ai) in a.iter().enumerate() {
        for (j, &bj) in b.iter().enumerate() {
            acc[i + j] = acc[i + j].wrapping_add(ai.wrapping_mul(bj));
        }
    }
    for k in 0..D {
        out[k] = acc[k].wrapping_sub(acc[k + D]);
    }
}

/// Fills `out` with residues uniform mod q, expanded with SHAKE128 from
/// `UNIFORM_DOMAIN ‖ u64(|label|) ‖ label ‖ u64(index) ‖ seed`. Candidates are `BITS`-bit little-endian
/// integers read from `BYTES` bytes (top bits masked) and rejected if ≥ q; the data are public.
pub fn uniform_mod_q<M: Modulus>(seed: &[u8; 32], label: &[u8], index: u64, out: &mut [M::Coeff]) {
    let mut h = Shake128::default();
    h.update(UNIFORM_DOMAIN);
    h.update(&(label.len() as u64).to_le_bytes());
    h.update(label);
    h.update(&index.to_le_bytes());
    h.update(seed);
    let mut xof = h.finalize_xof();
    fill_uniform::<M, _>(&mut xof, out);
}

/// Rejection-samples uniform residues mod q from an XOF (public data only).
pub(crate) fn fill_uniform<M: Modulus, R: XofReader>(xof: &mut R, out: &mut [M::Coeff]) {
    let mask: u128 = if M::BITS >= 128 {
        u128::MAX
    } else {
        (1u128 << M::BITS) - 1
    };
    let width = M::BYTES.min(16);
    for slot in out.iter_mut() {
        loop {
            let mut buf = [0u8; 16];
            if let Some(b) = buf.get_mut(..width) {
                xof.read(b);
            }
            let cand = u128::from_le_bytes(buf) & mask;
            if cand < M::Q {
                *slot = M::from_u128(cand);
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::arith::modulus::Q44;

    fn seed(i: u64) -> [u8; 32] {
        let mut s = [0u8; 32];
        s[..8].copy_from_slice(&i.to_le_bytes());
        s
    }

    #[test]
    fn expanded_challenges_are_valid_and_deterministic() {
        for i in 0..500 {
            let c = Challenge::from_seed(&seed(i));
            assert_eq!(c, Challenge::from_seed(&seed(i)));
            assert_eq!(Challenge::from_coeffs(&c.to_i64()), Ok(c));
            assert_eq!(c.coeffs()[D / 2], 0);
        }
        assert_ne!(
            Challenge::from_seed(&seed(1)),
            Challenge::from_seed(&seed(2))
        );
    }

    #[test]
    fn coefficient_distribution_is_symmetric_on_free_part() {
        // The η filter favours small coefficients, so the accepted law is not uniform on [−2, 2], but it
        // is symmetric (c and −c have the same ‖c²‖₁) and puts mass on every value.
        let mut counts = [0i64; 5];
        for i in 0..2000 {
            for &x in &Challenge::from_seed(&seed(i)).coeffs()[..FREE_COEFFS] {
                counts[(x + 2) as usize] += 1;
            }
        }
        for k in 0..2 {
            let (a, b) = (counts[k], counts[4 - k]);
            // |a − b| ≤ 5 standard deviations of a difference of two near-binomial counts.
            let sd = ((a + b) as f64).sqrt();
            assert!(((a - b).abs() as f64) < 5.0 * sd, "counts = {counts:?}");
        }
        assert!(counts.iter().all(|&c| c > 10_000), "counts = {counts:?}");
    }

    #[test]
    fn validation_rejects_each_violation() {
        let good = Challenge::from_seed(&seed(9)).to_i64();
        let mut bad = good;
        bad[5] = 3;
        bad[D - 5] = -3;
        assert_eq!(
            Challenge::from_coeffs(&bad),
            Err(ChallengeError::OutOfRange { index: 5 })
        );
        let mut bad = good;
        bad[D / 2] = 1;
        assert_eq!(
            Challenge::from_coeffs(&bad),
            Err(ChallengeError::NotSigmaInvariant { index: D / 2 })
        );
        let mut bad = good;
        bad[7] = if good[7] == 2 { 1 } else { good[7] + 1 };
        assert_eq!(
            Challenge::from_coeffs(&bad),
            Err(ChallengeError::NotSigmaInvariant { index: 7 })
        );
        // All-2 free part: ‖c²‖₁ is far above η².
        let mut big = [0i64; D];
        for j in 0..FREE_COEFFS {
            big[j] = 2;
            if j > 0 {
                big[D - j] = -2;
            }
        }
        assert!(matches!(
            Challenge::from_coeffs(&big),
            Err(ChallengeError::NormTooLarge { .. })
        ));
    }

    #[test]
    fn eta_bounds_operator_norm() {
        let mut state = 0x1234_5678_9abc_def0u64;
        for i in 0..50 {
            let c = Challenge::from_seed(&seed(i));
            let mut s = [0i64; D];
            for x in &mut s {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                *x = ((state >> 33) % 2001) as i64 - 1000;
            }
            let mut cs = [0i64; D];
            c.mul_integer(&s, &mut cs);
            let n2 = |v: &[i64; D]| v.iter().map(|x| (x * x) as f64).sum::<f64>();
            assert!(n2(&cs) <= (ETA * ETA) as f64 * n2(&s));
        }
    }

    #[test]
    fn mul_integer_matches_definition() {
        let c = Challenge::from_seed(&seed(3));
        let p = c.to_poly::<Q44>();
        for (i, &ci) in c.to_i64().iter().enumerate() {
            assert_eq!(p.coeffs[i], Q44::from_i64(ci));
        }
        // c · Y = (c_{127}·(−1), c_0, c_1, ...).
        let mut y = [0i64; D];
        y[1] = 1;
        let mut out = [0i64; D];
        c.mul_integer(&y, &mut out);
        let ci = c.to_i64();
        assert_eq!(out[0], -ci[D - 1]);
        for k in 1..D {
            assert_eq!(out[k], ci[k - 1]);
        }
    }

    #[test]
    fn challenge_space_size() {
        // Monte Carlo acceptance of the η filter over uniform free coefficients, n = 4000.
        let n = 4000u64;
        let mut accepted = 0u64;
        let mut h = Shake256::default();
        h.update(b"challenge-space-test");
        let mut xof = h.finalize_xof();
        for _ in 0..n {
            let mut c = [0i64; D];
            let mut i = 0;
            while i < FREE_COEFFS {
                let mut b = [0u8; 1];
                xof.read(&mut b);
                if b[0] < 250 {
                    c[i] = i64::from(b[0] % 5) - 2;
                    i += 1;
                }
            }
            for j in 1..FREE_COEFFS {
                c[D - j] = -c[j];
            }
            let cand = Challenge {
                c: c.map(|x| x as i8),
            };
            accepted += u64::from(cand.l1_of_square() <= ETA * ETA);
        }
        let p = accepted as f64 / n as f64;
        let log2_c = 64.0 * 5f64.log2() + p.log2();
        std::eprintln!("challenge acceptance p = {p}, log2|C| = {log2_c}");
        // Documented in the module docs: log₂|C| ≈ 148.6 and in any case ≥ 147.
        assert!(log2_c > 147.0, "log2|C| = {log2_c}, p = {p}");
        assert!((0.5..0.7).contains(&p), "acceptance {p}");
    }

    #[test]
    fn uniform_mod_q_is_in_range_and_deterministic() {
        let mut a = [0u64; 512];
        let mut b = [0u64; 512];
        uniform_mod_q::<Q44>(&seed(1), b"mu", 3, &mut a);
        uniform_mod_q::<Q44>(&seed(1), b"mu", 3, &mut b);
        assert_eq!(a, b);
        assert!(a.iter().all(|&x| u128::from(x) < Q44::Q));
        uniform_mod_q::<Q44>(&seed(1), b"mu", 4, &mut b);
        assert_ne!(a, b);
        uniform_mod_q::<Q44>(&seed(1), b"mv", 3, &mut b);
        assert_ne!(a, b);
        // Top bit set about half the time: the values cover the whole range.
        let high = a.iter().filter(|&&x| x >= 1 << 43).count();
        assert!((200..312).contains(&high), "high = {high}");
    }
}
