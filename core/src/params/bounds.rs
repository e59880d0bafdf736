//! The single source of every ℓ2 bound a proof enforces (docs/PROTOCOL.md §2, docs/NOISE.md §1).
//!
//! The verifier (`zk::layout::Layout::new`, through [`Accepted::new`]; `zk::params::bound_*_sq` delegate here),
//! the honest encryptor and key generation (`bfv::keys::sample_bounded_error`), the proof statement's decryption
//! check (`zk::statement`) and the noise analysis (`policy`: `check_config`, `max_clinics`) all compute their
//! bounds with the functions of this module ([`ProofBounds`], [`KeyBounds`], [`noise_per_client`]), so the
//! clinic limits are derived from exactly what the verifier accepts:
//!
//! - σ_e² = η/2 = 10.5 for the CBD(η = 21) errors ([`ERROR_VARIANCE`]), the slack 1.2² = 1.44 ([`SLACK_SQ`]),
//!   and their product 15.12 ([`HONEST_FACTOR_SQ`]);
//! - B_u² = N, B_2² = ⌊15.12·N⌋, B_1² = ⌊15.12·L·N⌋ (Σ over the L chunks), B_m² = B² (the statement's bound).
//!
//! Changing anything here changes the proof bytes (the squared bounds fix the slack widths of the exact-norm
//! proofs); the `const` assertion below pins the factor to the 15.12 of docs/PROTOCOL.md.
//!
//! L_max and B_max are stated once per set, as `ParamSet::MAX_CHUNKS` and `ParamSet::B_INT_MAX`; the proof
//! constants `zk::params::ZK_S` / `ZK_L` / `ZK_XL` take their `l_max` and `b_max` from there (and
//! `zk::params::conditions_hold` checks them against q), so this layer does not name the proof.

use super::{ERROR_ETA, ParamSet};
use crate::arith::isqrt::ceil_sqrt;

/// σ_e² of CBD(η) as the fraction η/2 (10.5 for η = [`ERROR_ETA`] = 21).
pub const ERROR_VARIANCE: (u64, u64) = (ERROR_ETA as u64, 2);

/// Variance of a uniform ternary coefficient, 2/3 (secrets s_j and the randomness u).
pub const TERNARY_VARIANCE: (u64, u64) = (2, 3);

/// The slack 1.2² = 1.44 between an honest bound and the expected squared norm.
pub const SLACK_SQ: (u64, u64) = (144, 100);

/// 1.44·σ_e² = 15.12 = 3024/200: B_2² = ⌊15.12·N⌋ and B_1² = ⌊15.12·L·N⌋.
pub const HONEST_FACTOR_SQ: (u64, u64) =
    (SLACK_SQ.0 * ERROR_VARIANCE.0, SLACK_SQ.1 * ERROR_VARIANCE.1);

// The factor is 15.12 exactly (docs/PROTOCOL.md §2); the proof bytes depend on it.
const _: () = assert!(HONEST_FACTOR_SQ.0 * 100 == 1512 * HONEST_FACTOR_SQ.1);

/// ⌊1.44·σ_e²·`coeffs`⌋: the honest bound on the squared norm of `coeffs` CBD(η) coefficients.
#[must_use]
#[allow(
    clippy::integer_division_remainder_used,
    reason = "a public count times a public ratio"
)]
pub const fn honest_error_sq(coeffs: u64) -> u64 {
    coeffs * HONEST_FACTOR_SQ.0 / HONEST_FACTOR_SQ.1
}

/// B_u² = N: a ternary u always meets it.
#[must_use]
pub const fn bound_u_sq(n: usize) -> u64 {
    n as u64
}

/// B_2² = ⌊15.12·N⌋, the bound on ‖e2‖² (and the bound key generation enforces on every ‖e'_j‖²).
#[must_use]
pub const fn bound_e2_sq(n: usize) -> u64 {
    honest_error_sq(n as u64)
}

/// B_1² = ⌊15.12·L·N⌋, the bound on Σ_j ‖e1_j‖² over the L = `chunks` polynomials of an update.
#[must_use]
pub const fn bound_e1_sq(n: usize, chunks: usize) -> u64 {
    honest_error_sq(n as u64 * chunks as u64)
}

/// Bound on ‖s‖² of the sum of `parties` ternary secrets: ⌈1.44·(2/3)·parties·N⌉ (a statistical bound for
/// honestly generated shares, docs/NOISE.md §2).
#[must_use]
pub const fn honest_ternary_sum_sq(n: usize, parties: u32) -> u64 {
    let pn = parties as u64 * n as u64;
    (pn * SLACK_SQ.0 * TERNARY_VARIANCE.0).div_ceil(SLACK_SQ.1 * TERNARY_VARIANCE.1)
}

/// Every squared bound the verifier accepts for one statement (ring degree N, L chunks, update bound B), in
/// protocol group order m, u, e2, e1. `zk::layout::Layout::new` takes its bounds from here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// B² on ‖m‖² (Σ over the chunks).
    pub m_sq: u64,
    /// B_u² on ‖u‖².
    pub u_sq: u64,
    /// B_2² on ‖e2‖².
    pub e2_sq: u64,
    /// B_1² on Σ_j ‖e1_j‖².
    pub e1_sq: u64,
}

impl Accepted {
    /// The bounds for ring degree `n`, `chunks` = L and statement bound `b` (callers check b ≤ B_max, so
    /// b² cannot overflow).
    #[must_use]
    pub const fn new(n: usize, chunks: usize, b: u64) -> Self {
        Self {
            m_sq: b * b,
            u_sq: bound_u_sq(n),
            e2_sq: bound_e2_sq(n),
            e1_sq: bound_e1_sq(n, chunks),
        }
    }

    /// The bounds in protocol group order (m, u, e2, e1).
    #[must_use]
    pub const fn groups(&self) -> [u64; 4] {
        [self.m_sq, self.u_sq, self.e2_sq, self.e1_sq]
    }
}

/// The three randomness bounds the verifier enforces, squared (the proof works with squared norms): the
/// same values as the last three entries of `zk::layout::Layout::bound_sq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofBounds {
    /// B_u² (on ‖u‖²).
    pub u_sq: u128,
    /// B_2² (on ‖e2‖²).
    pub e2_sq: u128,
    /// B_1² (on Σ_j ‖e1_j‖²).
    pub e1_sq: u128,
}

impl ProofBounds {
    /// The bounds of set `P` for an update of `chunks` polynomials: exactly what the verifier accepts.
    #[must_use]
    pub const fn of<P: ParamSet>(chunks: usize) -> Self {
        let a = Accepted::new(P::N, chunks, 0);
        Self {
            u_sq: a.u_sq as u128,
            e2_sq: a.e2_sq as u128,
            e1_sq: a.e1_sq as u128,
        }
    }
}

/// Bounds on the decryption key: ‖s_j‖² ≤ `s_sq` and ‖e'_j‖² ≤ `e_sq` for every key polynomial
/// b_j = −(a·s_j + e'_j).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyBounds {
    /// Bound on ‖s_j‖².
    pub s_sq: u128,
    /// Bound on ‖e'_j‖².
    pub e_sq: u128,
}

impl KeyBounds {
    /// One key holder (single-decryptor mode): s_j ternary, so ‖s_j‖² ≤ N always; key generation resamples
    /// e'_j until ‖e'_j‖² ≤ B_2² = ⌊15.12·N⌋ (`bfv::keys::sample_bounded_error`, with the same
    /// `bound_e2_sq`; an honest sample fails with probability < 2^-90, so this costs nothing).
    #[must_use]
    pub const fn single<P: ParamSet>() -> Self {
        Self {
            s_sq: bound_u_sq(P::N) as u128,
            e_sq: bound_e2_sq(P::N) as u128,
        }
    }

    /// Collective key of `parties` honest key-share holders: s_j = Σ_p s_{j,p} and e'_j = Σ_p e'_{j,p}. These
    /// are statistical bounds (1.2² × the expected squared norm, as for B_2): ‖s_j‖² ≤ ⌈1.44·(2/3)·parties·N⌉
    /// and ‖e'_j‖² ≤ ⌊15.12·parties·N⌋. They hold for honestly generated shares, not for a share chosen by an
    /// adversary; threshold key generation must enforce them (docs/NOISE.md §2).
    #[must_use]
    pub const fn collective_honest<P: ParamSet>(parties: u32) -> Self {
        Self {
            s_sq: honest_ternary_sum_sq(P::N, parties) as u128,
            e_sq: honest_error_sq(parties as u64 * P::N as u64) as u128,
        }
    }
}

/// Worst-case |noise coefficient| contributed by one client whose ciphertext passed the proof (docs/NOISE.md §2):
/// c0_j + c1·s_j = Δ·m_j + e1_j + e2·s_j − e'_j·u, and by Cauchy–Schwarz (each coefficient of a negacyclic
/// product is an inner product with a signed permutation)
/// |noise| ≤ ‖e1_j‖ + ‖e2‖·‖s_j‖ + ‖e'_j‖·‖u‖ ≤ B_1 + B_2·‖s_j‖ + ‖e'_j‖·B_u.
/// A malicious client may put all of its e1 budget into one coefficient of one chunk, so B_1 enters in full.
#[must_use]
pub const fn noise_per_client(bounds: ProofBounds, key: KeyBounds) -> u128 {
    ceil_sqrt(bounds.e1_sq) + ceil_sqrt(bounds.e2_sq * key.s_sq) + ceil_sqrt(key.e_sq * bounds.u_sq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::Modulus;
    use crate::params::{SetL, SetS, SetXL};
    use crate::zk::layout::Layout;
    use crate::zk::params::ZkParams;

    #[test]
    fn verifier_layout_uses_these_bounds() {
        // Every (L, B) the statement admits: the verifier's squared bounds are exactly `Accepted`'s.
        fn check<P: ZkParams>() {
            for l in 1..=P::MAX_CHUNKS {
                for b in [1, 2, 255, 256, 257, P::B_INT_MAX] {
                    let layout = Layout::new(P::ZK, P::N, <P::M as Modulus>::BYTES, l, b);
                    assert_eq!(
                        layout.bound_sq,
                        Accepted::new(P::N, l, b).groups().map(u128::from)
                    );
                }
            }
        }
        check::<SetS>();
        check::<SetL>();
        check::<SetXL>();
    }

    #[test]
    fn bounds_are_15_12_times_n() {
        assert_eq!(bound_e2_sq(2048), 30_965); // 15.12 · 2048 = 30965.76
        assert_eq!(bound_e1_sq(2048, 54), 1_672_151); // 15.12 · 110592 = 1672151.04
        assert_eq!(bound_e2_sq(4096), 61_931); // 15.12 · 4096 = 61931.52
        assert_eq!(bound_e1_sq(4096, 27), 1_672_151);
        assert_eq!(honest_ternary_sum_sq(2048, 1024), 2_013_266); // 0.96 · 2^21 = 2013265.92
        assert_eq!(SetS::MAX_CHUNKS, 64);
        assert_eq!(SetS::B_INT_MAX, 1 << 12);
        assert_eq!(SetL::MAX_CHUNKS, 32);
        assert_eq!(SetL::B_INT_MAX, 1 << 16);
    }
}
