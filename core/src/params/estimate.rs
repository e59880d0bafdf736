//! Core-SVP security estimates for the project's lattice instances, scripted without Sage (docs/PROTOCOL.md,
//! "Scripting core-SVP without Sage"; method and calibration in docs/SECURITY.md).
//!
//! - BKZ-β root Hermite factor: δ(β) = ((πβ)^(1/β) · β/(2πe))^(1/(2(β−1))) (Chen's thesis, 2013).
//! - LWE, primal uSVP, "2016 estimate" (Alkim–Ducas–Pöppelmann–Schwabe, NewHope, USENIX Security 2016;
//!   Albrecht et al., ASIACRYPT 2017): with n secret coordinates of deviation σ_s, m samples with error
//!   deviation σ_e, ν = σ_e/σ_s and embedding dimension D = n + m + 1, BKZ-β finds the secret iff
//!   σ_e·√β ≤ δ^(2β−D−1) · (q^m · ν^n)^(1/D). The attacker picks the best m ≤ the samples available.
//! - MSIS in ℓ2 with r rows: BKZ-β on the best sub-lattice of width w = √(r·ln q / ln δ) finds vectors of length
//!   ℓ = min(q, δ^w · q^(r/w)) (Micciancio–Regev 2009); the instance is broken once ℓ ≤ the MSIS bound.
//! - Cost of one BKZ-β call, core-SVP model (NewHope): 2^(0.292β) classical (Becker–Ducas–Gama–Laarhoven
//!   sieve, SODA 2016), 2^(0.265β) quantum (Laarhoven's thesis, 2015).
//!
//! Calibration (tests below): Kyber-512 gives β = 406 (118 bits) and Kyber-768 β = 624, as in the Kyber
//! round-3 specification (§5.1.1, Table 4).
//!
//! Everything is `f64` arithmetic through `libm`, so the estimates are the same on every target.

use libm::{ceil, floor, log, sqrt};

/// Smallest block size considered: the δ(β) formula is only meaningful from about β = 40 on, and any instance
/// that falls to BKZ-40 is broken in practice anyway.
pub const BETA_MIN: u32 = 40;

/// Classical core-SVP cost exponent per unit of block size (sieving, BDGL16).
pub const CLASSICAL_PER_BETA: f64 = 0.292;

/// Quantum core-SVP cost exponent per unit of block size (Laarhoven 2015).
pub const QUANTUM_PER_BETA: f64 = 0.265;

/// Security target of every lattice instance of the project, in bits of classical core-SVP.
pub const TARGET_BITS: f64 = 128.0;

/// Natural logarithm of the root Hermite factor δ(β) of BKZ-β (Chen 2013, as in the 2016 estimate).
///
/// Defined for β ≥ 2; the estimators only call it with β ≥ [`BETA_MIN`].
#[must_use]
pub fn ln_root_hermite(beta: u32) -> f64 {
    let b = f64::from(beta);
    let pi = core::f64::consts::PI;
    let e = core::f64::consts::E;
    (log(pi * b) / b + log(b / (2.0 * pi * e))) / (2.0 * (b - 1.0))
}

/// The root Hermite factor δ(β) itself.
#[must_use]
pub fn root_hermite_factor(beta: u32) -> f64 {
    libm::exp(ln_root_hermite(beta))
}

/// Core-SVP cost of BKZ-β in bits: `(classical, quantum)` = (0.292·β, 0.265·β).
#[must_use]
pub fn core_svp_bits(beta: u32) -> (f64, f64) {
    let b = f64::from(beta);
    (CLASSICAL_PER_BETA * b, QUANTUM_PER_BETA * b)
}

/// The best primal uSVP attack found on an LWE instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrimalAttack {
    /// Smallest BKZ block size that succeeds (or the cap n + m_max + 1 if none does).
    pub beta: u32,
    /// Number of samples the attack uses at that block size.
    pub samples: u32,
}

/// Primal uSVP (2016 estimate) on LWE with secret dimension `n`, at most `m_max` samples, modulus q = 2^`log2_q`,
/// secret deviation `sigma_s` and error deviation `sigma_e`. Returns the smallest β for which some m ≤ `m_max`
/// satisfies σ_e·√β ≤ δ^(2β−D−1)·(q^m·ν^n)^(1/D), D = n + m + 1, ν = σ_e/σ_s.
///
/// For a fixed β the right-hand side, written in D, is (2β−D−1)·ln δ + ln q − A/D with
/// A = (n+1)·ln q − n·ln ν; it is concave with its maximum at D* = √(A / ln δ), so the best m is one of the two
/// integers next to D* − n − 1 (clamped to [1, m_max]) and no scan over m is needed.
///
/// If no β up to the full dimension n + m_max + 1 succeeds, that dimension is returned (the attack then
/// needs exact SVP in the whole lattice).
#[must_use]
pub fn lwe_primal(n: u32, m_max: u32, log2_q: f64, sigma_s: f64, sigma_e: f64) -> PrimalAttack {
    let ln_q = log2_q * core::f64::consts::LN_2;
    let ln_nu = log(sigma_e / sigma_s);
    let nf = f64::from(n);
    let a = (nf + 1.0) * ln_q - nf * ln_nu;
    let m_max = m_max.max(1);
    let cap = n.saturating_add(m_max).saturating_add(1);
    let rhs = |ln_delta: f64, beta: f64, m: u32| {
        let d = nf + f64::from(m) + 1.0;
        (2.0 * beta - d - 1.0) * ln_delta + (f64::from(m) * ln_q + nf * ln_nu) / d
    };
    for beta in BETA_MIN..cap {
        let ln_delta = ln_root_hermite(beta);
        let b = f64::from(beta);
        let lhs = log(sigma_e) + 0.5 * log(b);
        let m_star = sqrt(a / ln_delta) - nf - 1.0;
        for m_f in [floor(m_star), ceil(m_star)] {
            let m = clamp_samples(m_f, m_max);
            if lhs <= rhs(ln_delta, b, m) {
                return PrimalAttack { beta, samples: m };
            }
        }
    }
    PrimalAttack {
        beta: cap,
        samples: m_max,
    }
}

/// Block size of [`lwe_primal`] alone: the number zkdoc and the tables quote.
#[must_use]
pub fn lwe_primal_beta(n: u32, m_max: u32, log2_q: f64, sigma_s: f64, sigma_e: f64) -> u32 {
    lwe_primal(n, m_max, log2_q, sigma_s, sigma_e).beta
}

/// Clamps a real sample count to an integer in [1, m_max].
fn clamp_samples(m: f64, m_max: u32) -> u32 {
    if m <= 1.0 {
        1
    } else if m >= f64::from(m_max) {
        m_max
    } else {
        // In range (1, m_max) and integral, so the conversion is exact.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let v = m as u32;
        v
    }
}

/// MSIS in the ℓ2 norm: `rows` = r (the number of Z_q equations, kmsis·d for a module instance), `cols` = the
/// number of Z_q unknowns, modulus q = 2^`log2_q`, solution bound β_MSIS = 2^`log2_bound`. Returns the smallest
/// BKZ block size β whose width-optimised output length ℓ = min(q, δ^w·q^(r/w)), w = min(cols, √(r·ln q/ln δ)),
/// is at most β_MSIS.
///
/// Returns 0 if β_MSIS ≥ q (then q·e_1 is a trivial solution: no security at all), and `cols` if no block size up
/// to `cols` reaches the bound.
#[must_use]
pub fn msis_l2_beta(rows: u32, cols: u32, log2_q: f64, log2_bound: f64) -> u32 {
    if log2_bound >= log2_q {
        return 0;
    }
    let ln_q = log2_q * core::f64::consts::LN_2;
    let ln_bound = log2_bound * core::f64::consts::LN_2;
    let r = f64::from(rows);
    for beta in BETA_MIN..cols.max(BETA_MIN + 1) {
        let ln_delta = ln_root_hermite(beta);
        let w = sqrt(r * ln_q / ln_delta).min(f64::from(cols));
        let ln_len = (w * ln_delta + r * ln_q / w).min(ln_q);
        if ln_len <= ln_bound {
            return beta;
        }
    }
    cols
}

/// Classical core-SVP bits of an LWE instance under the primal attack (convenience for tables and tests).
#[must_use]
pub fn lwe_classical_bits(n: u32, m_max: u32, log2_q: f64, sigma_s: f64, sigma_e: f64) -> f64 {
    core_svp_bits(lwe_primal_beta(n, m_max, log2_q, sigma_s, sigma_e)).0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kyber's q, and the deviations of CBD(3) and CBD(2).
    const KYBER_Q: f64 = 3329.0;
    const CBD3: f64 = 1.224_744_871_391_589; // √(3/2)
    const CBD2: f64 = 1.0; // √(2/2)

    fn log2(x: f64) -> f64 {
        libm::log2(x)
    }

    #[test]
    fn root_hermite_matches_known_values() {
        // δ(β) from Chen's formula: BKZ-100 ≈ 1.00926, BKZ-406 ≈ 1.00394.
        assert!((root_hermite_factor(100) - 1.009_26).abs() < 2e-5);
        assert!((root_hermite_factor(406) - 1.003_94).abs() < 2e-5);
        assert!(root_hermite_factor(500) < root_hermite_factor(400));
    }

    #[test]
    fn kyber512_calibration() {
        // Key recovery on the public key: n = 512, m ≤ 512, s and e from CBD(η1 = 3).
        let beta = lwe_primal_beta(512, 512, log2(KYBER_Q), CBD3, CBD3);
        assert!(
            (403..=409).contains(&beta),
            "Kyber-512 primal β = {beta}, expected 406 ± 3"
        );
        let (c, q) = core_svp_bits(beta);
        assert!((c - 118.0).abs() < 1.5 && (q - 107.0).abs() < 1.5);
    }

    #[test]
    fn kyber768_calibration() {
        let beta = lwe_primal_beta(768, 768, log2(KYBER_Q), CBD2, CBD2);
        assert!(
            (619..=629).contains(&beta),
            "Kyber-768 primal β = {beta}, expected 624 ± 5"
        );
    }

    #[test]
    fn kyber1024_calibration() {
        // Spec: β = 877 (256 bits).
        let beta = lwe_primal_beta(1024, 1024, log2(KYBER_Q), CBD2, CBD2);
        assert!((870..=884).contains(&beta), "Kyber-1024 primal β = {beta}");
    }

    #[test]
    fn closed_form_sample_choice_matches_a_full_scan() {
        // The concavity argument must give the same β as trying every m.
        for &(n, m_max, lq) in &[
            (256_u32, 300_u32, 12.0),
            (512, 512, 11.7),
            (1024, 4000, 30.0),
        ] {
            let got = lwe_primal_beta(n, m_max, lq, CBD3, 3.2);
            let scan = (BETA_MIN..=n + m_max)
                .find(|&beta| {
                    let ld = ln_root_hermite(beta);
                    let lhs = log(3.2) + 0.5 * log(f64::from(beta));
                    (1..=m_max).any(|m| {
                        let d = f64::from(n + m + 1);
                        let rhs = (2.0 * f64::from(beta) - d - 1.0) * ld
                            + (f64::from(m) * lq * core::f64::consts::LN_2
                                + f64::from(n) * log(3.2 / CBD3))
                                / d;
                        lhs <= rhs
                    })
                })
                .unwrap_or(n + m_max + 1);
            assert_eq!(got, scan, "n = {n}, m_max = {m_max}, log2 q = {lq}");
        }
    }

    #[test]
    fn primal_is_monotone_in_modulus_and_error() {
        let ternary = 0.816_496_580_927_726;
        let b44 = lwe_primal_beta(2048, 4096, 44.0, ternary, 3.24);
        let b50 = lwe_primal_beta(2048, 4096, 50.0, ternary, 3.24);
        let b44_small_e = lwe_primal_beta(2048, 4096, 44.0, ternary, 1.0);
        assert!(b50 < b44);
        assert!(b44_small_e < b44);
    }

    #[test]
    fn brief_reference_points_at_n2048() {
        // docs/PROTOCOL.md: log q = 50, 55, 60 give β ≈ 376, 328, 289 (ternary secret, σ_e = 3.2).
        let ternary = 0.816_496_580_927_726;
        for &(lq, want) in &[(50.0, 376_u32), (55.0, 328), (60.0, 289)] {
            let beta = lwe_primal_beta(2048, 1 << 17, lq, ternary, 3.2);
            assert!(
                beta.abs_diff(want) <= 2,
                "log2 q = {lq}: β = {beta}, brief {want}"
            );
        }
    }

    #[test]
    fn msis_trivial_and_monotone() {
        assert_eq!(msis_l2_beta(1792, 100_000, 44.0, 44.0), 0);
        let loose = msis_l2_beta(1792, 100_000, 44.0, 30.0);
        let tight = msis_l2_beta(1792, 100_000, 44.0, 25.0);
        assert!(
            tight > loose,
            "a smaller bound needs a stronger attack: {tight} vs {loose}"
        );
        let more_rows = msis_l2_beta(2048, 100_000, 44.0, 30.0);
        assert!(more_rows > loose);
    }

    #[test]
    fn msis_matches_closed_form_delta() {
        // At the optimal width ln ℓ = 2·√(r·ln q·ln δ), so the attack needs
        // ln δ ≤ (ln β_MSIS)² / (4·r·ln q) (the rule LaZer's generator uses); the returned β is the first block
        // size whose δ meets it.
        let (rows, lq, lb) = (14 * 128_u32, 44.0_f64, 28.0_f64);
        let ln2 = core::f64::consts::LN_2;
        let need = (lb * ln2) * (lb * ln2) / (4.0 * f64::from(rows) * lq * ln2);
        let beta = msis_l2_beta(rows, 1_000_000, lq, lb);
        assert!(ln_root_hermite(beta) <= need + 1e-12);
        assert!(ln_root_hermite(beta - 1) > need);
    }
}
