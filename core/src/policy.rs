//! Limits of a parameter set from the worst-case noise analysis (docs/NOISE.md): the proof's ℓ2 bounds on the
//! encryption randomness, the plaintext modulus t, the largest clinic count that still decrypts exactly, and
//! [`check_config`], which refuses any configuration (clinic count, clip bound, scale) a set cannot decrypt.
//!
//! Every quantity is an exact integer (`u128`), and every square root is rounded up, so a configuration
//! accepted here decrypts exactly for every ciphertext the proof accepts. The proof bounds are not restated
//! here: `params::bounds` (`ProofBounds::of`, `KeyBounds`, `noise_per_client`) computes them from what the
//! verifier's layout (`zk::layout::Layout::new`) accepts; this module decides what a deployment may run with
//! them.

use core::fmt;

use crate::arith::Modulus;
use crate::arith::cast::low_u64;
use crate::params::ParamSet;
use crate::params::bounds::{KeyBounds, ProofBounds, noise_per_client};
use crate::quant::{QuantError, Quantizer};

// The exact integer square roots live in `arith::isqrt`; the noise limits, the proof constants and the
// threshold plan take them from here.
pub use crate::arith::isqrt::{ceil_sqrt, floor_sqrt};

/// The plaintext modulus for `clinics` summed updates of ℓ2 norm ≤ `b_int`: t = 2·K·B_int + 1, the smallest t
/// for which the centred sum (|coefficient| ≤ K·B_int) never wraps mod t. `None` if it does not fit in u64.
#[must_use]
pub const fn plaintext_modulus(clinics: u32, b_int: u64) -> Option<u64> {
    match (2 * clinics as u128).checked_mul(b_int as u128) {
        // x < 2^64 − 1 here, so its low limb is x and x + 1 does not overflow.
        Some(x) if x < u64::MAX as u128 => Some(low_u64(x) + 1),
        _ => None,
    }
}

/// The BFV decryption condition for a sum of `clinics` ciphertexts (docs/NOISE.md §3): with Δ = ⌊q/t⌋,
/// r = q mod t, plaintext sum M (|M| ≤ K·B_int) and total noise E, decryption returns M iff
/// |t·E − r·M| < q/2; this checks the sufficient 2·(t·E_max + r·M_max) < q. The largest admissible E is returned
/// as the noise budget, `None` if even E = 0 fails or t does not fit.
#[must_use]
#[allow(
    clippy::integer_division_remainder_used,
    reason = "public quantities: q, t, clinic counts, bounds"
)]
pub fn noise_budget<P: ParamSet>(clinics: u32, b_int: u64) -> Option<u128> {
    let q = <P::M as Modulus>::Q;
    let t = u128::from(plaintext_modulus(clinics, b_int)?);
    let m_max = u128::from(clinics) * u128::from(b_int);
    let rounding = 2 * (q % t).checked_mul(m_max)?;
    // Largest E with 2·t·E ≤ q − 2·r·M − 1.
    q.checked_sub(rounding + 1).map(|room| room / (2 * t))
}

/// Whether `clinics` ciphertexts of the proven shape, plus threshold-decryption noise of at most `smudging` per
/// coefficient, decrypt exactly under set `P`.
#[must_use]
pub fn decrypts_exactly<P: ParamSet>(
    clinics: u32,
    b_int: u64,
    chunks: usize,
    key: KeyBounds,
    smudging: u128,
) -> bool {
    let per_client = noise_per_client(ProofBounds::of::<P>(chunks), key);
    fits::<P>(clinics, b_int, per_client, smudging)
}

/// K·`per_client` + `smudging` ≤ [`noise_budget`]: the exact condition of [`decrypts_exactly`].
fn fits<P: ParamSet>(clinics: u32, b_int: u64, per_client: u128, smudging: u128) -> bool {
    let total = u128::from(clinics)
        .checked_mul(per_client)
        .and_then(|e| e.checked_add(smudging));
    matches!((total, noise_budget::<P>(clinics, b_int)), (Some(e), Some(budget)) if e <= budget)
}

/// [`fits`] with the remainder r = q mod t replaced by its largest value t − 1: 2·(t·E + (t − 1)·K·B_int) < q.
/// Sufficient for the exact condition and, unlike it, monotone in K (t, E and K·B_int all grow with K).
fn fits_any_remainder<P: ParamSet>(
    clinics: u32,
    b_int: u64,
    per_client: u128,
    smudging: u128,
) -> bool {
    let Some(t) = plaintext_modulus(clinics, b_int) else {
        return false;
    };
    let (t, k) = (u128::from(t), u128::from(clinics));
    let lhs = k
        .checked_mul(per_client)
        .and_then(|e| e.checked_add(smudging))
        .and_then(|e| t.checked_mul(e))
        .and_then(|te| (t - 1).checked_mul(k * u128::from(b_int))?.checked_add(te))
        .and_then(|x| x.checked_mul(2));
    matches!(lhs, Some(x) if x < <P::M as Modulus>::Q)
}

/// Upper end of the clinic-count search of [`max_clinics`]: a result equal to it means "at least this many".
pub const MAX_CLINICS_SEARCH: u32 = 1 << 24;

/// Largest clinic count K ≤ [`MAX_CLINICS_SEARCH`] such that [`decrypts_exactly`] holds for **every** count
/// from 1 to K (0 if not even one update fits), so [`check_config`] may admit any K ≤ K_max.
///
/// The exact condition 2·(t·E + r·M) < q is *not* monotone in K: r = q mod t jumps as t = 2·K·B_int + 1 grows
/// (set S, L = 1, B_int = 257 decrypts 1024 and 1026 clinics but not 1025). Below the largest K of the monotone
/// sufficient condition (r ≤ t − 1, binary search) every count decrypts; from there the counts are scanned
/// one by one up to the first failure, which comes no later than the first K with 2·t·E ≥ q (also monotone).
#[must_use]
#[allow(
    clippy::integer_division_remainder_used,
    reason = "public quantities: q, t, clinic counts, bounds"
)]
pub fn max_clinics<P: ParamSet>(b_int: u64, chunks: usize, key: KeyBounds, smudging: u128) -> u32 {
    let per_client = noise_per_client(ProofBounds::of::<P>(chunks), key);
    let safe = |k: u32| fits_any_remainder::<P>(k, b_int, per_client, smudging);
    let mut k = if !safe(1) {
        0
    } else if safe(MAX_CLINICS_SEARCH) {
        return MAX_CLINICS_SEARCH;
    } else {
        let (mut lo, mut hi) = (1u32, MAX_CLINICS_SEARCH);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if safe(mid) { lo = mid } else { hi = mid }
        }
        lo
    };
    while k < MAX_CLINICS_SEARCH && fits::<P>(k + 1, b_int, per_client, smudging) {
        k += 1;
    }
    k
}

/// What the coordinator asks for in a round.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConfigRequest {
    /// Number of clinics whose updates may be summed (K).
    pub clinics: u32,
    /// Number of model parameters P.
    pub params: u32,
    /// Norm bound τ on ‖update‖₂ (the clip bound; `norm_bound` in the API, the CLI and the announcement).
    pub norm_bound: f64,
    /// Quantization scale S (integers = round(S · clipped update)).
    pub scale: f64,
    /// Bounds on the decryption key.
    pub key: KeyBounds,
    /// Bound on the threshold-decryption smudging noise per coefficient (0 for a single decryptor).
    pub smudging: u128,
}

/// A configuration that set `P` decrypts exactly; every derived number a round needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Config {
    /// Parameter-set id.
    pub set_id: u8,
    /// Clinic count K.
    pub clinics: u32,
    /// Model parameters P.
    pub params: u32,
    /// Plaintext chunks L = ⌈P/N⌉.
    pub chunks: u32,
    /// The clinics' quantizer (clip τ, scale S, bound B_int).
    pub quantizer: Quantizer,
    /// Plaintext modulus t = 2·K·B_int + 1.
    pub t: u64,
    /// Δ = ⌊q/t⌋.
    pub delta: u128,
    /// The proof's bounds for this chunk count.
    pub proof_bounds: ProofBounds,
    /// Worst-case noise of one proven ciphertext.
    pub noise_per_client: u128,
    /// Worst-case noise of the decrypted sum: K·noise_per_client + smudging.
    pub noise_total: u128,
    /// Largest noise that still decrypts exactly.
    pub noise_budget: u128,
    /// Largest K this set allows at this B_int (and key, smudging).
    pub max_clinics: u32,
}

impl Config {
    /// B_int, the ℓ2 bound every clinic proves.
    #[must_use]
    pub const fn b_int(&self) -> u64 {
        self.quantizer.b_int()
    }
}

/// Why a configuration was refused.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConfigError {
    /// The clinic count is zero.
    NoClinics,
    /// The clip bound, scale or parameter count is unusable.
    Quant(QuantError),
    /// The model needs more chunks than the set's public key and proof allow.
    TooManyParams {
        /// Parameters requested.
        params: u32,
        /// Largest parameter count of the set (MAX_CHUNKS · N).
        max: u64,
    },
    /// B_int = ⌈S·τ + √P/2⌉ exceeds what the proof supports.
    BoundTooLarge {
        /// B_int of the requested clip and scale.
        b_int: u64,
        /// The set's B_INT_MAX.
        max: u64,
    },
    /// The sum of this many worst-case ciphertexts would not decrypt exactly.
    TooManyClinics {
        /// Clinics requested.
        clinics: u32,
        /// Largest admissible count at this B_int (0: not even one).
        max: u32,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoClinics => write!(f, "the clinic count must be at least 1"),
            Self::Quant(e) => write!(f, "{e}"),
            Self::TooManyParams { params, max } => write!(
                f,
                "a model of {params} parameters does not fit this parameter set (at most {max}); use set L"
            ),
            Self::BoundTooLarge { b_int, max } => write!(
                f,
                "integer norm bound B_int = {b_int} exceeds this set's maximum {max}; lower the scale or the clip bound"
            ),
            Self::TooManyClinics { clinics, max } => write!(
                f,
                "{clinics} clinics cannot be aggregated exactly at this bound (at most {max}); \
                 lower the scale, or use set L"
            ),
        }
    }
}

impl core::error::Error for ConfigError {}

/// The longest sealed submission (the request body of `POST /v1/rounds/{r}/submissions`, docs/API.md) of an
/// update of `chunks` chunks under parameter set `set_id` (S, L or XL) and integer bound `b_int`: the
/// ciphertext's fixed size (`wire::bfv`), the longest proof the verifier accepts before decoding
/// (`zk::layout::Layout::max_proof_len`) and the envelope's fixed overhead (ML-KEM-768, signature, AEAD
/// tag). The one source of the service's per-round body limit and of the clinic's upload total. `None` for an
/// unknown set, zero or too many chunks, a bound outside 1..=B_max, or an overflow.
#[must_use]
pub fn max_submission_len(set_id: u8, chunks: usize, b_int: u64) -> Option<usize> {
    use crate::params::{SetL, SetS, SetXL};
    match set_id {
        SetS::ID => max_submission_len_of::<SetS>(chunks, b_int),
        SetL::ID => max_submission_len_of::<SetL>(chunks, b_int),
        SetXL::ID => max_submission_len_of::<SetXL>(chunks, b_int),
        _ => None,
    }
}

fn max_submission_len_of<P: crate::zk::params::ZkParams>(
    chunks: usize,
    b_int: u64,
) -> Option<usize> {
    if chunks == 0 || chunks > P::MAX_CHUNKS || b_int == 0 || b_int > P::B_INT_MAX {
        return None;
    }
    let ciphertext = crate::wire::bfv::encoded_len::<P>(chunks);
    let proof =
        crate::zk::layout::Layout::new(P::ZK, P::N, <P::M as Modulus>::BYTES, chunks, b_int)
            .max_proof_len();
    crate::channel::SubmissionEnvelopeLayout::new::<crate::channel::MlKem768>(ciphertext, proof)
        .ok()
        .map(|l| l.envelope_len)
}

/// Checks a requested configuration against set `P` and derives t, Δ and the noise figures, refusing anything
/// the set cannot decrypt exactly (docs/NOISE.md §5).
///
/// # Errors
/// [`ConfigError`] names the first violated limit.
#[allow(
    clippy::integer_division_remainder_used,
    reason = "public quantities: q, t, clinic counts, bounds"
)]
pub fn check_config<P: ParamSet>(req: &ConfigRequest) -> Result<Config, ConfigError> {
    if req.clinics == 0 {
        return Err(ConfigError::NoClinics);
    }
    let quantizer = Quantizer::new(req.norm_bound, req.scale, req.params as usize)
        .map_err(ConfigError::Quant)?;
    let max_params = (P::MAX_CHUNKS * P::N) as u64;
    if u64::from(req.params) > max_params {
        return Err(ConfigError::TooManyParams {
            params: req.params,
            max: max_params,
        });
    }
    let b_int = quantizer.b_int();
    if b_int > P::B_INT_MAX {
        return Err(ConfigError::BoundTooLarge {
            b_int,
            max: P::B_INT_MAX,
        });
    }
    let chunks = (req.params as usize).div_ceil(P::N);
    let max = max_clinics::<P>(b_int, chunks, req.key, req.smudging);
    let too_many = ConfigError::TooManyClinics {
        clinics: req.clinics,
        max,
    };
    if req.clinics > max {
        return Err(too_many);
    }
    let proof_bounds = ProofBounds::of::<P>(chunks);
    let per_client = noise_per_client(proof_bounds, req.key);
    let t = plaintext_modulus(req.clinics, b_int).ok_or(too_many)?;
    let budget = noise_budget::<P>(req.clinics, b_int).ok_or(too_many)?;
    Ok(Config {
        set_id: P::ID,
        clinics: req.clinics,
        params: req.params,
        chunks: u32::try_from(chunks).expect("chunks ≤ params, a u32"),
        quantizer,
        t,
        delta: <P::M as Modulus>::Q / u128::from(t),
        proof_bounds,
        noise_per_client: per_client,
        noise_total: u128::from(req.clinics) * per_client + req.smudging,
        noise_budget: budget,
        max_clinics: max,
    })
}

/// log2 of a Chernoff bound on P[Σ_{i<n} x_i² ≥ `bound_sq`] for x_i iid CBD(η):
/// min over λ > 0 of n·ln E[e^{λx²}] − λ·bound_sq, computed from the exact CBD probabilities.
/// Used to show that the honest bounds B_1, B_2 (and the key bound) fail with negligible probability.
#[must_use]
pub fn cbd_tail_log2(eta: u32, n: u64, bound_sq: u128) -> f64 {
    // P[x = k] = C(2η, η+k) / 2^(2η), k ∈ [−η, η]; binomials by the multiplicative recurrence in f64 (η ≤ 64).
    let two_eta = 2 * eta;
    let mgf_ln = |lambda: f64| {
        let (mut c, mut acc) = (1.0_f64, 0.0_f64);
        for j in 0..=two_eta {
            let k = f64::from(j) - f64::from(eta);
            acc += c * libm::exp(lambda * k * k);
            c = c * f64::from(two_eta - j) / f64::from(j + 1);
        }
        libm::log(acc) - f64::from(two_eta) * core::f64::consts::LN_2
    };
    #[allow(clippy::cast_precision_loss)]
    let (nf, tf) = (n as f64, bound_sq as f64);
    let exponent = |lambda: f64| nf * mgf_ln(lambda) - lambda * tf;
    // The exponent is convex in λ; golden-section search on [0, 1] (λ = 1 already weighs η² = 441 by e^441).
    let (mut a, mut b) = (0.0_f64, 1.0_f64);
    let g = 0.618_033_988_749_895;
    for _ in 0..200 {
        let (x1, x2) = (b - g * (b - a), a + g * (b - a));
        if exponent(x1) < exponent(x2) {
            b = x2;
        } else {
            a = x1;
        }
    }
    exponent(0.5 * (a + b)).min(0.0) / core::f64::consts::LN_2
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn the_submission_limit_grows_with_the_chunks_and_refuses_what_no_set_carries() {
        use crate::params::{SetL, SetS, SetXL};
        for (id, l_max, b_max) in [
            (SetS::ID, SetS::MAX_CHUNKS, SetS::B_INT_MAX),
            (SetL::ID, SetL::MAX_CHUNKS, SetL::B_INT_MAX),
            (SetXL::ID, SetXL::MAX_CHUNKS, SetXL::B_INT_MAX),
        ] {
            let one = max_submission_len(id, 1, b_max).expect("one chunk");
            let all = max_submission_len(id, l_max, b_max).expect("L_max chunks");
            std::println!("set {id}: 1 chunk {one} B, {l_max} chunks {all} B");
            assert!(one < all);
            assert!(max_submission_len(id, l_max, 1).expect("B = 1") <= all);
            assert_eq!(max_submission_len(id, l_max + 1, b_max), None);
            assert_eq!(max_submission_len(id, 1, b_max + 1), None);
            assert_eq!(max_submission_len(id, 1, 0), None);
        }
        assert_eq!(max_submission_len(0, 1, 1), None);
    }
    use crate::params::bounds::{bound_e1_sq, bound_e2_sq};
    use crate::params::{ERROR_ETA, SetL, SetS};
    use std::format;

    const PARAMS: u32 = 108_996;

    #[test]
    fn proof_bounds_match_protocol() {
        // docs/PROTOCOL.md §2: B_2² = ⌊15.12·N⌋, B_1² = ⌊15.12·L·N⌋ (1.44·σ_e², σ_e² = 10.5).
        let b = ProofBounds::of::<SetS>(54);
        assert_eq!(b.u_sq, 2048);
        assert_eq!(b.e2_sq, 30_965); // 15.12 · 2048 = 30965.76
        assert_eq!(b.e1_sq, 1_672_151); // 15.12 · 110592 = 1672151.04
        // Rounded up: 175² = 30625 < B_2² ≤ 176², 1293² = 1671849 < B_1² ≤ 1294².
        assert_eq!(ceil_sqrt(b.e2_sq), 176);
        assert_eq!(ceil_sqrt(b.e1_sq), 1294);
    }

    #[test]
    fn honest_bounds_fail_rarely() {
        // CBD(21) errors against the proof bounds (1.44 × the exact variance 10.5): P[fail] < 2^-90.
        for (n, chunks) in [
            (2048_u64, 1_usize),
            (2048, 54),
            (2048, 64),
            (4096, 1),
            (4096, 27),
            (4096, 32),
        ] {
            let n_us = n as usize;
            let (e2, e1) = (bound_e2_sq(n_us), bound_e1_sq(n_us, chunks));
            let (t2, t1) = (
                cbd_tail_log2(ERROR_ETA, n, e2.into()),
                cbd_tail_log2(ERROR_ETA, n * chunks as u64, e1.into()),
            );
            // docs/NOISE.md §1 quotes these (run with --nocapture).
            std::println!(
                "N {n}, L {chunks}: P[‖e2‖² > B_2²] ≤ 2^{t2:.1}, P[Σ‖e1_j‖² > B_1²] ≤ 2^{t1:.1}"
            );
            assert!(t2 < -90.0 && t1 < -90.0);
        }
        // And the Chernoff bound is not vacuous: at the mean (10.5 per coefficient) it gives no bound.
        assert!(cbd_tail_log2(ERROR_ETA, 2048, 2048 * 21 / 2) > -1.0);
    }

    #[test]
    fn noise_per_client_set_s_single_key() {
        // B_1 + B_2·√N + B_2·√N with ceilings: 1294 + ⌈√(30965·2048)⌉ + ⌈√(30965·2048)⌉ = 1294 + 2·7964.
        let e = noise_per_client(ProofBounds::of::<SetS>(54), KeyBounds::single::<SetS>());
        assert_eq!(e, 1294 + 2 * 7964);
        assert_eq!(e, 17_222);
    }

    #[test]
    fn plaintext_modulus_no_wrap() {
        assert_eq!(plaintext_modulus(5, 4096), Some(40_961));
        assert_eq!(plaintext_modulus(u32::MAX, u64::MAX), None);
    }

    #[test]
    fn decryption_condition_is_tight_at_the_limit() {
        let key = KeyBounds::single::<SetS>();
        let k = max_clinics::<SetS>(4096, 54, key, 0);
        assert!(
            k >= 64,
            "set S must allow 64 clinics at B_int = 2^12 (got {k})"
        );
        assert!(decrypts_exactly::<SetS>(k, 4096, 54, key, 0));
        assert!(!decrypts_exactly::<SetS>(k + 1, 4096, 54, key, 0));
        // Larger bounds or smudging leave room for fewer clinics.
        assert!(max_clinics::<SetS>(8192, 54, key, 0) < k);
        assert!(max_clinics::<SetS>(4096, 54, key, 1 << 20) < k);
    }

    #[test]
    fn set_l_allows_a_thousand_clinics_with_a_collective_key() {
        let key = KeyBounds::collective_honest::<SetL>(1024);
        let k = max_clinics::<SetL>(1 << 16, 27, key, 0);
        assert!(k >= 1024, "set L: {k}");
        // docs/PROTOCOL.md: about 2^29.7 total noise at K = 1024, against Δ/2 ≈ 2^57 at B = 2^16.
        let per = noise_per_client(ProofBounds::of::<SetL>(27), key);
        let total_log2 = libm::log2((1024 * per) as f64);
        assert!((29.0..30.5).contains(&total_log2), "{total_log2}");
    }

    #[test]
    fn budget_agrees_with_bfv_decoder() {
        // Two derivations of the same exact condition: ours (2·(t·E + r·M) < q) and the decoder's.
        use crate::bfv::PlainModulus;
        for (k, b) in [(1_u32, 1_u64), (5, 2727), (64, 4096), (250, 4096)] {
            let t = plaintext_modulus(k, b).unwrap();
            let ours = noise_budget::<SetS>(k, b).unwrap();
            assert_eq!(
                ours,
                PlainModulus::<<SetS as ParamSet>::M>::new(t)
                    .unwrap()
                    .noise_budget()
            );
        }
        for (k, b) in [(1_u32, 1_u64), (1024, 1 << 16), (1 << 20, 1 << 16)] {
            let t = plaintext_modulus(k, b).unwrap();
            let ours = noise_budget::<SetL>(k, b).unwrap();
            assert_eq!(
                ours,
                PlainModulus::<<SetL as ParamSet>::M>::new(t)
                    .unwrap()
                    .noise_budget()
            );
        }
    }

    fn demo_request(clinics: u32, scale: f64) -> ConfigRequest {
        ConfigRequest {
            clinics,
            params: PARAMS,
            norm_bound: 5.0,
            scale,
            key: KeyBounds::single::<SetS>(),
            smudging: 0,
        }
    }

    #[test]
    fn check_config_accepts_the_demo_and_derives_consistent_numbers() {
        let c = check_config::<SetS>(&demo_request(5, 512.0)).expect("demo configuration");
        assert_eq!(c.chunks, 54);
        assert_eq!(c.t, 2 * 5 * c.b_int() + 1);
        assert_eq!(
            c.delta,
            <<SetS as ParamSet>::M as Modulus>::Q / u128::from(c.t)
        );
        assert!(c.noise_total <= c.noise_budget);
        assert!(c.max_clinics >= 5);
    }

    #[test]
    fn check_config_refuses_what_cannot_decrypt() {
        assert_eq!(
            check_config::<SetS>(&demo_request(0, 512.0)),
            Err(ConfigError::NoClinics)
        );
        // S·τ ≈ 5000 > 2^12.
        assert!(matches!(
            check_config::<SetS>(&demo_request(5, 1000.0)),
            Err(ConfigError::BoundTooLarge { max: 4096, .. })
        ));
        let max = max_clinics::<SetS>(
            check_config::<SetS>(&demo_request(1, 512.0))
                .unwrap()
                .b_int(),
            54,
            KeyBounds::single::<SetS>(),
            0,
        );
        assert_eq!(
            check_config::<SetS>(&demo_request(max + 1, 512.0)),
            Err(ConfigError::TooManyClinics {
                clinics: max + 1,
                max
            })
        );
        assert!(check_config::<SetS>(&demo_request(max, 512.0)).is_ok());
        let too_big = ConfigRequest {
            params: 64 * 2048 + 1,
            ..demo_request(5, 512.0)
        };
        assert!(matches!(
            check_config::<SetS>(&too_big),
            Err(ConfigError::TooManyParams { .. })
        ));
        assert!(matches!(
            check_config::<SetS>(&demo_request(5, f64::NAN)),
            Err(ConfigError::Quant(_))
        ));
    }

    /// Computed apart from this module, in big integers, from the bounds the VERIFIER enforces (the squared
    /// bounds of `zk::layout::Layout`, read back from the layout, not from `ProofBounds`): whether the sum of
    /// `clinics` ciphertexts, each anywhere within what a proof accepts, decrypts exactly under a key with
    /// ‖s_j‖² ≤ `key.s_sq`, ‖e'_j‖² ≤ `key.e_sq`.
    ///
    /// Per clinic and coefficient: |m_i| ≤ ‖m‖ ≤ B, |(e1_j)_i| ≤ ‖e1_j‖ ≤ B_1 (Σ_j ‖e1_j‖² ≤ B_1²),
    /// |(e2·s_j)_i| ≤ B_2·‖s_j‖ and |(e'_j·u)_i| ≤ ‖e'_j‖·B_u (Cauchy–Schwarz), all attainable with aligned
    /// signs. With q = Δ·t + r the phase Δ·M + E decodes to M iff |t·E − r·M| < q/2, and the worst case is
    /// |E| = K·E_1, |M| = K·B with opposite signs: 2·(t·K·E_1 + r·K·B) < q. That implies K·E_1 < Δ/2.
    fn every_accepted_sum_decrypts<P: crate::zk::params::ZkParams>(
        clinics: u32,
        chunks: usize,
        b_int: u64,
        key: KeyBounds,
    ) -> bool {
        use num_bigint::BigUint;
        let layout =
            crate::zk::layout::Layout::new(P::ZK, P::N, <P::M as Modulus>::BYTES, chunks, b_int);
        let [m_sq, u_sq, e2_sq, e1_sq] = layout.bound_sq.map(BigUint::from);
        let root_up = |x: BigUint| {
            let r = x.sqrt();
            if &r * &r == x { r } else { r + 1u32 }
        };
        let b = root_up(m_sq);
        assert_eq!(b, BigUint::from(b_int));
        let e_1 = root_up(e1_sq)
            + root_up(e2_sq * BigUint::from(key.s_sq))
            + root_up(BigUint::from(key.e_sq) * u_sq);
        let k = BigUint::from(clinics);
        let q = BigUint::from(<P::M as Modulus>::Q);
        let t = BigUint::from(2u32) * &k * &b + 1u32;
        let (delta, r) = (&q / &t, &q % &t);
        let noise = &k * e_1;
        let exact = BigUint::from(2u32) * (&t * &noise + r * &k * &b) < q;
        if exact {
            assert!(BigUint::from(2u32) * noise < delta, "K·E_1 < Δ/2");
        }
        exact
    }

    /// The single-decryptor key bound, from the verifier's B_u², B_2² (what key generation enforces).
    fn single_key_from_layout<P: crate::zk::params::ZkParams>() -> KeyBounds {
        let layout = crate::zk::layout::Layout::new(P::ZK, P::N, <P::M as Modulus>::BYTES, 1, 1);
        KeyBounds {
            s_sq: layout.bound_sq[1],
            e_sq: layout.bound_sq[2],
        }
    }

    fn request<P: ParamSet>(
        clinics: u32,
        chunks: usize,
        b_target: u64,
        key: KeyBounds,
    ) -> ConfigRequest {
        let params = (chunks * P::N) as u32;
        let q = Quantizer::with_max_scale(5.0, params as usize, b_target).expect("quantizer");
        ConfigRequest {
            clinics,
            params,
            norm_bound: 5.0,
            scale: q.scale(),
            key,
            smudging: 0,
        }
    }

    /// check_config admits a configuration only if every proof-accepted ciphertext set decrypts exactly, and
    /// its K_max is tight: K_max + 1 is refused (by check_config and by the independent condition).
    fn admits_only_exact<P: crate::zk::params::ZkParams>(chunk_grid: &[usize], b_grid: &[u64]) {
        let keys = [
            single_key_from_layout::<P>(),
            KeyBounds::collective_honest::<P>(16),
            KeyBounds::collective_honest::<P>(1024),
        ];
        assert_eq!(keys[0], KeyBounds::single::<P>());
        let mut checked = 0;
        for &chunks in chunk_grid {
            for &target in b_grid {
                for key in keys {
                    let first = check_config::<P>(&request::<P>(1, chunks, target, key));
                    let (b_int, k_max) = match first {
                        Ok(c) => (c.b_int(), c.max_clinics),
                        Err(ConfigError::TooManyClinics { max: 0, .. }) => continue,
                        Err(e) => panic!("set {} L {chunks} B {target}: {e}", P::NAME),
                    };
                    assert_eq!(k_max, max_clinics::<P>(b_int, chunks, key, 0));
                    // check_config admits exactly K ≤ K_max (sampled below), so every such K must decrypt:
                    // all of them where that is cheap (set S), the boundary otherwise.
                    if k_max <= 5000 {
                        for k in 1..=k_max {
                            assert!(
                                every_accepted_sum_decrypts::<P>(k, chunks, b_int, key),
                                "set {} L {chunks} B_int {b_int}: K = {k} ≤ K_max = {k_max} does not decrypt",
                                P::NAME
                            );
                        }
                    }
                    for k in [1, 2, k_max / 2, k_max.saturating_sub(1), k_max, k_max + 1] {
                        let k = k.max(1);
                        let got = check_config::<P>(&request::<P>(k, chunks, target, key));
                        let exact = every_accepted_sum_decrypts::<P>(k, chunks, b_int, key);
                        let what =
                            || format!("set {} L {chunks} B_int {b_int} K {k} {key:?}", P::NAME);
                        if let Ok(c) = &got {
                            assert!(exact, "admitted but not exact: {}", what());
                            assert_eq!((c.chunks as usize, c.b_int()), (chunks, b_int));
                            assert!(c.noise_total <= c.noise_budget);
                        }
                        assert_eq!(got.is_ok(), k <= k_max, "{}", what());
                        if k == k_max + 1 {
                            assert_eq!(
                                got,
                                Err(ConfigError::TooManyClinics {
                                    clinics: k,
                                    max: k_max
                                }),
                                "{}",
                                what()
                            );
                            if k_max < MAX_CLINICS_SEARCH {
                                assert!(!exact, "K_max not tight: {}", what());
                            }
                        }
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    #[test]
    fn check_config_admits_only_what_every_accepted_ciphertext_decrypts_set_s() {
        admits_only_exact::<SetS>(
            &[1, 2, 27, 53, 54, 63, 64],
            &[200, 255, 256, 257, 1000, 1024, 2048, 4095, 4096],
        );
    }

    #[test]
    fn check_config_admits_only_what_every_accepted_ciphertext_decrypts_set_l() {
        admits_only_exact::<SetL>(
            &[1, 2, 26, 27, 31, 32],
            &[300, 1024, 4096, 16_384, 65_535, 65_536],
        );
    }

    #[test]
    fn regression_set_s_l54_b256_refuses_1002_clinics() {
        // The limits once used B² = 14.7456·N while the verifier accepts 15.12·N, and a binary search over a
        // condition that is not monotone in K: they admitted K = 1002 at set S, L = 54, B_int = 256 (the
        // paper's P = 108,996), where 1002 proof-accepted ciphertexts need not decrypt.
        let key = KeyBounds::single::<SetS>();
        let scale = Quantizer::with_max_scale(5.0, 108_996, 256)
            .unwrap()
            .scale();
        let req = |clinics| ConfigRequest {
            clinics,
            params: 108_996,
            norm_bound: 5.0,
            scale,
            key,
            smudging: 0,
        };
        let c = check_config::<SetS>(&req(1)).expect("one clinic");
        assert_eq!((c.chunks, c.b_int(), c.noise_per_client), (54, 256, 17_222));
        assert_eq!(c.max_clinics, 992);
        assert!(!every_accepted_sum_decrypts::<SetS>(1002, 54, 256, key));
        assert_eq!(
            check_config::<SetS>(&req(1002)),
            Err(ConfigError::TooManyClinics {
                clinics: 1002,
                max: 992
            })
        );
        assert!(check_config::<SetS>(&req(992)).is_ok());
        assert!(every_accepted_sum_decrypts::<SetS>(992, 54, 256, key));
        assert!(!every_accepted_sum_decrypts::<SetS>(993, 54, 256, key));
        assert_eq!(
            check_config::<SetS>(&req(993)),
            Err(ConfigError::TooManyClinics {
                clinics: 993,
                max: 992
            })
        );
        // Above the first failure some counts decrypt again (r = q mod t jumps); they stay refused.
        assert!(every_accepted_sum_decrypts::<SetS>(997, 54, 256, key));
        assert!(check_config::<SetS>(&req(997)).is_err());
    }

    #[test]
    fn exact_condition_is_not_monotone_in_k() {
        // docs/NOISE.md §3: r = q mod t jumps with t = 2·K·B_int + 1, so a binary search is not enough.
        let key = KeyBounds::single::<SetS>();
        let ok = |k| decrypts_exactly::<SetS>(k, 257, 1, key, 0);
        let got: [bool; 6] = [1024, 1025, 1026, 1027, 1028, 1029].map(ok);
        assert_eq!(got, [true, false, true, true, true, false]);
        assert_eq!(max_clinics::<SetS>(257, 1, key, 0), 1024);
        for k in 1..=1024 {
            assert!(ok(k));
        }
    }

    #[test]
    fn k_max_table_of_docs_noise() {
        // docs/NOISE.md §4 and the README (also printed by `zkfl params`), P = 108,996.
        let single_s = KeyBounds::single::<SetS>();
        let k: [u32; 3] = [256, 1024, 4096].map(|b| max_clinics::<SetS>(b, 54, single_s, 0));
        assert_eq!(k, [992, 488, 227]);
        assert_eq!(
            max_clinics::<SetS>(4096, 54, KeyBounds::collective_honest::<SetS>(1024), 0),
            46
        );
        let single_l = KeyBounds::single::<SetL>();
        for b in [4096, 16_384, 65_536] {
            assert_eq!(max_clinics::<SetL>(b, 27, single_l, 0), MAX_CLINICS_SEARCH);
        }
        assert_eq!(
            max_clinics::<SetL>(65_536, 27, KeyBounds::collective_honest::<SetL>(1024), 0),
            16_564_662
        );
        let per_l = noise_per_client(ProofBounds::of::<SetL>(27), single_l);
        assert_eq!(per_l, 33_150);
    }

    #[test]
    fn set_xl_noise_at_2_pow_21() {
        use crate::params::SetXL;
        // docs/NOISE.md §6: L = 512 chunks, single key.
        let per_client =
            noise_per_client(ProofBounds::of::<SetXL>(512), KeyBounds::single::<SetXL>());
        assert_eq!(per_client, 5_632 + 15_928 + 15_928);
        for b_int in [21_204, 1 << 16] {
            let k = max_clinics::<SetXL>(b_int, 512, KeyBounds::single::<SetXL>(), 0);
            assert_eq!(k, MAX_CLINICS_SEARCH, "B_int {b_int}");
        }
    }
}
