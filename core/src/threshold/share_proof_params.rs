//! Parameters of the share-correctness proof (docs/THRESHOLD.md §6.3–§6.6), derived here from a checked
//! committee design, never copied: the bounds of the relation, the slack bits, the JL mask, the rejection
//! widths, the MSIS and MLWE ranks, the soundness error and the proof size. The tests fail below 128-bit MSIS
//! binding, 128-bit MLWE hiding and a soundness error above 2^−128, and when any derived width is one less.
//!
//! Why the norm proof's framework fits (§6.2): per chunk the share relation
//! a·S + e_S = −B_S, c1·S + X1 + 2^23·X2 = d is the norm proof's relation of one chunk
//! (c1 = a·u + e2, c0 = b·u + e1 + Δ·m, docs/PROTOCOL.md §2) under the substitution
//! (a, b, c1, c0, Δ, u, m, e2, e1) → (a, c1_agg, −B_S, d, 2^23, S, X2, e_S, X1): the same BDLOP commitment of
//! s1 = (ψ(S), ψ(X2), υ), the same derived witnesses (e_S and X1 are affine in s1), the same JL projection,
//! exact ℓ2 groups and rejection sampling. Only the four squared bounds differ — and with them every width.
//! The conditions below are the conditions of `zk::params::conditions_hold` (PROTOCOL §9) with those bounds
//! and L = 1; `zk::params::conditions_hold` itself cannot be reused because its bounds are u64 and the set's,
//! and B_X1², B_X2² ≈ 2^66 do not fit u64.

use super::plan::{CheckedPlan, message_key};
use crate::arith::Modulus;
use crate::arith::cast::{f64_of_u64, f64_of_usize, fit_u64, fit_usize};
use crate::params::ParamSet;
use crate::params::estimate::{TARGET_BITS, core_svp_bits, lwe_primal_beta, msis_l2_beta};
use crate::policy::ceil_sqrt;
use crate::zk::codec::RiceCode;
use crate::zk::params::{
    CHALLENGE_COEFF_MAX, D, ETA, JL_HALF, JL_REPS, JL_ROWS, LOG2_QUERIES, SoundnessTerms, T_Z,
    Y3_BLOCKS, ZkConsts, estimator_dim,
};
use crate::zk::sampling::{BASE_SIGMA_LIMIT, Convolution};

/// Exact-ℓ2 groups of the share proof, in the norm proof's order: X2 (the m position), S (u), e_S (e2),
/// X1 (e1).
pub const SHARE_GROUPS: usize = 4;

/// Standard rejection constant γ of the joint rejection (PROTOCOL §3: M ≈ 1.95), as in the norm proof.
pub const REJECTION_GAMMA: u128 = 20;

/// Batching: λ is the least with (log2 q − 1)·λ ≥ log2 Q + 129 (PROTOCOL §7.2, `batching_error_ok`).
const BATCH_TARGET_BITS: u32 = 64 + 129;

/// The four squared bounds of one chunk's share relation (docs/THRESHOLD.md §6.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShareBounds {
    /// ‖X2‖² ≤ B_X2² (the high digit, in the norm proof's m position; its mask is σ_m).
    pub x2_sq: u128,
    /// ‖S‖² ≤ p²·N, p = n·C(n − 1, t − 1) the most parts behind one member's share.
    pub s_sq: u128,
    /// ‖e_S‖² ≤ p²·B_2².
    pub e_sq: u128,
    /// ‖X1‖² ≤ B_X1².
    pub x1_sq: u128,
}

impl ShareBounds {
    /// The bounds of `plan` (per chunk; the digits' bounds are the smudger's, §3.2).
    #[must_use]
    pub fn of<P: ParamSet>(plan: &CheckedPlan<P>) -> Self {
        let p = plan.plan();
        let key = message_key::<P>(p.members, p.threshold);
        Self {
            x2_sq: p.outer_bound_sq,
            s_sq: key.s_sq,
            e_sq: key.e_sq,
            x1_sq: p.inner_bound_sq,
        }
    }

    /// The bounds in group order (X2, S, e_S, X1).
    #[must_use]
    pub const fn groups(&self) -> [u128; SHARE_GROUPS] {
        [self.x2_sq, self.s_sq, self.e_sq, self.x1_sq]
    }

    /// Slack bits ℓ_g: the bit length of each squared bound (PROTOCOL §5).
    #[must_use]
    pub const fn slack_bits(&self) -> [u32; SHARE_GROUPS] {
        let g = self.groups();
        [
            128 - g[0].leading_zeros(),
            128 - g[1].leading_zeros(),
            128 - g[2].leading_zeros(),
            128 - g[3].leading_zeros(),
        ]
    }

    /// Σ ℓ_g.
    #[must_use]
    pub const fn slack_sum(&self) -> u128 {
        let b = self.slack_bits();
        (b[0] + b[1] + b[2] + b[3]) as u128
    }

    /// α₃² = Σ B_g² + Σ ℓ_g: the honest bound on ‖s3‖², s3 = (S, e_S, X1, X2, υ) (PROTOCOL §9, condition (5)).
    #[must_use]
    pub const fn alpha3_sq(&self) -> u128 {
        self.x2_sq + self.s_sq + self.e_sq + self.x1_sq + self.slack_sum()
    }
}

/// The share proof's constants (the analogue of `zk::params::ZkConsts` with L = 1 and u128 bounds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShareProofParams {
    /// The relation's bounds.
    pub bounds: ShareBounds,
    /// Ring degree N.
    pub n: usize,
    /// MSIS rank (rows of t_A).
    pub kmsis: usize,
    /// Number of Z_q batches λ.
    pub lambda: usize,
    /// MLWE rank (secret part of s2).
    pub kmlwe: usize,
    /// σ₃ of the JL mask, declared: the mask is the convolution of `zk::sampling::Convolution::of(σ₃, σ_s)`,
    /// whose exact width is at most this and at least what condition (5) needs (§6.2 item 3).
    pub sigma3: u128,
    /// σ_m of the X2 blocks' masks, declared (a convolution as σ₃; its exact width is at least ratio·σ_s).
    pub sigma_m: u128,
    /// σ_s of the S and υ blocks' masks and of s2's.
    pub sigma_s: u128,
    /// σ_m / σ_s.
    pub ratio: u128,
    /// Verifier bound on ‖z3‖² of each 256-row half: ⌊1.44·256·σ₃²⌋.
    pub z3_bound_sq: u128,
    /// Wire width of a z3 coefficient (2^(w−1) > 14·σ₃).
    pub w3: u32,
    /// Wire width of the X2 blocks of z1 (2^(w−1) > 10·σ_m).
    pub wm: u32,
    /// Wire width of the other z1 blocks and of z2 (2^(w−1) > 10·σ_s).
    pub ws: u32,
}

/// Why no share-proof parameters exist for a design.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShareProofError {
    /// No MSIS rank up to [`MAX_RANK`] reaches the target (or a q-condition fails at every rank).
    NoParameters,
}

/// Largest MSIS or MLWE rank searched.
pub const MAX_RANK: usize = 64;

impl ShareProofParams {
    /// k = N/d blocks per polynomial.
    #[must_use]
    #[allow(
        clippy::integer_division_remainder_used,
        reason = "the public ring dimension by the block degree d, which divides it"
    )]
    pub const fn k(&self) -> usize {
        self.n / D
    }
    /// ℓ = Y3_BLOCKS + 2 + λ BDLOP rows (y3, β3, g_1..g_λ, t).
    #[must_use]
    pub const fn ell(&self) -> usize {
        Y3_BLOCKS + 2 + self.lambda
    }
    /// m2 = n + ℓ + k_w.
    #[must_use]
    pub const fn m2(&self) -> usize {
        self.kmsis + self.ell() + self.kmlwe
    }
    /// m1 = 2k + 4 blocks of s1 = (ψ(S), ψ(X2), υ).
    #[must_use]
    pub const fn m1(&self) -> usize {
        2 * self.k() + SHARE_GROUPS
    }
    /// n_JL = d·(4k + 4): coefficients of s3 = (S, e_S, X1, X2, υ).
    #[must_use]
    pub const fn n_jl(&self) -> u128 {
        (D * (4 * self.k() + SHARE_GROUPS)) as u128
    }
    /// β_arp² = ⌈4·‖z3‖²_max / 26⌉: the extracted bound on ‖s3‖² (PROTOCOL §7.1 step 4).
    #[must_use]
    pub const fn barp_sq(&self) -> u128 {
        (4 * self.z3_bound_sq).div_ceil(26)
    }
    /// α_s² = B_S² + Σℓ + m2·d (PROTOCOL §9: the σ_s-masked part of the witness).
    #[must_use]
    pub const fn alpha_s_sq(&self) -> u128 {
        self.bounds.s_sq + self.bounds.slack_sum() + (self.m2() * D) as u128
    }

    /// The constants in the norm proof's type, for the estimators and soundness terms that depend only on the
    /// ranks and widths (`zk::params::msis_security` with L = 1, `mlwe_security`, `SoundnessTerms`). Its
    /// `b_max` is ⌈B_X2⌉ (information only: `zk::params::conditions_hold` must not be called on it, §6.5).
    #[must_use]
    pub fn as_zk(&self) -> ZkConsts {
        #[allow(clippy::cast_possible_truncation)]
        let c = ZkConsts {
            l_max: 1,
            b_max: ceil_sqrt(self.bounds.x2_sq) as u64,
            kmsis: self.kmsis,
            lambda: self.lambda,
            kmlwe: self.kmlwe,
            sigma3: self.sigma3 as u64,
            sigma_m: self.sigma_m as u64,
            sigma_s: self.sigma_s as u64,
            ratio: self.ratio as u64,
            z3_bound_sq: self.z3_bound_sq,
            w3: self.w3,
            wm: self.wm,
            ws: self.ws,
        };
        c
    }

    /// Conditions (1)–(7) of PROTOCOL §9 for the share relation over modulus q (docs/THRESHOLD.md §6.5).
    #[must_use]
    pub fn conditions(&self, q: u128) -> ShareConditions {
        let b = &self.bounds;
        let barp_sq = self.barp_sq();
        let barp = ceil_sqrt(barp_sq);
        let lmax = b.slack_bits().iter().copied().max().unwrap_or(0);
        let diff = 2 * CHALLENGE_COEFF_MAX as u128;
        let k = REJECTION_GAMMA * REJECTION_GAMMA * u128::from(ETA) * u128::from(ETA);
        let width = |w: u32, x: u128| (1..127).contains(&w) && (1u128 << (w - 1)) > x;
        ShareConditions {
            jl: 41 * self.n_jl() * barp <= q,
            no_wrap: barp_sq.checked_add(1u128 << lmax).is_some_and(|x| x < q),
            binary: barp_sq + barp * 23 < q,
            units: q & 7 == 5 && 2 * diff * diff < q,
            jl_mask: self.mask_sigma_sq(self.sigma3) >= 4 * 337 * b.alpha3_sq(),
            rejection: self.mask_sigma_sq(self.sigma_m) >= (self.ratio * self.sigma_s).pow(2)
                && 15 * (self.ratio * self.sigma_s).pow(2) >= 16 * k * b.x2_sq
                && self.sigma_s * self.sigma_s >= 16 * k * self.alpha_s_sq(),
            sampler: self.sigma_s < u128::from(BASE_SIGMA_LIMIT)
                && [self.sigma_m, self.sigma3].iter().all(|&w| {
                    w < u128::from(BASE_SIGMA_LIMIT)
                        || u64::try_from(w).is_ok_and(|w| {
                            Convolution::of(w, fit_u64(self.sigma_s)).is_some_and(|c| c.lemma_ok())
                        })
                }),
            arrays: crate::zk::params::fits_arrays(&self.as_zk())
                && self.ws >= 1
                && self.ws - 1 <= crate::zk::ringmul::SHORT_BITS,
            widths: width(self.w3, 10 * self.sigma3)
                && width(self.wm, 10 * self.sigma_m)
                && width(self.ws, 10 * self.sigma_s),
            #[allow(clippy::cast_precision_loss)]
            msis_below_q: self.log2_beta_msis() < libm::log2(q as f64),
            verifier_fits: self.z3_bound_sq.checked_mul(4).is_some()
                && z_bound_sq(self.sigma_m, self.dim_m())
                    .checked_mul(self.dim_m() as u128)
                    .is_some(),
        }
    }

    /// The exact σ² of the mask sampled for a declared width (`zk::sampling::Masks`): σ² itself below 2^28,
    /// else the convolution's σ1² + 4^k·σ2² (0 when the width cannot be sampled).
    #[must_use]
    pub fn mask_sigma_sq(&self, declared: u128) -> u128 {
        if declared < u128::from(BASE_SIGMA_LIMIT) {
            return declared * declared;
        }
        u64::try_from(declared)
            .ok()
            .and_then(|w| Convolution::of(w, u64::try_from(self.sigma_s).ok()?))
            .map_or(0, |c| c.sigma_sq())
    }

    /// Coefficients of the X2 blocks of z1 (σ_m).
    #[must_use]
    pub const fn dim_m(&self) -> usize {
        self.k() * D
    }
    /// Coefficients masked with σ_s: the S and υ blocks of z1 and all of z2.
    #[must_use]
    pub const fn dim_s(&self) -> usize {
        (self.k() + SHARE_GROUPS + self.m2()) * D
    }

    /// MSIS binding of [A1 | A2] (BKZ block size, classical core-SVP bits), with β_MSIS of PROTOCOL §7.1 E2.
    #[must_use]
    pub fn msis(&self, log2_q: f64) -> (u32, f64) {
        let beta = msis_l2_beta(
            estimator_dim(self.kmsis * D),
            estimator_dim((self.m1() + self.m2()) * D),
            log2_q,
            self.log2_beta_msis(),
        );
        (beta, core_svp_bits(beta).0)
    }

    /// log2 β_MSIS = log2(4η·√(Σ_b (2·T_z·σ_b)²·dim_b)) (PROTOCOL §7.1 E1–E2).
    #[must_use]
    pub fn log2_beta_msis(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let term = |sigma: u128, dim: usize| {
            let s = 2.0 * T_Z * sigma as f64;
            s * s * dim as f64
        };
        let sum = term(self.sigma_m, self.dim_m())
            + term(self.sigma_s, (self.k() + SHARE_GROUPS) * D)
            + term(self.sigma_s, self.m2() * D);
        #[allow(clippy::cast_precision_loss)]
        let eta = ETA as f64;
        libm::log2(4.0 * eta * libm::sqrt(sum))
    }

    /// MLWE hiding of (t_A, t_B): k_w·d ternary secret, (n + ℓ)·d samples (PROTOCOL §8): (β, classical bits).
    #[must_use]
    pub fn mlwe(&self, log2_q: f64) -> (u32, f64) {
        let ternary = libm::sqrt(2.0 / 3.0);
        let beta = lwe_primal_beta(
            estimator_dim(self.kmlwe * D),
            estimator_dim((self.kmsis + self.ell()) * D),
            log2_q,
            ternary,
            ternary,
        );
        (beta, core_svp_bits(beta).0)
    }

    /// The soundness error of PROTOCOL §7.2 term by term for this instance, against Q = 2^64 hash queries.
    #[must_use]
    pub fn soundness(&self, log2_q: f64) -> SoundnessTerms {
        SoundnessTerms::compute(
            &self.as_zk(),
            log2_q,
            JL_REPS,
            LOG2_QUERIES,
            self.msis(log2_q).1,
        )
    }

    /// Bytes of one chunk's proof with z at fixed width (the prover's staging size): header, t_A, t_y, t_β,
    /// t_g, z3, h, t_t, the c-seed and z (the layout of PROTOCOL §12 with L = 1).
    #[must_use]
    pub const fn fixed_width_bytes(&self, coeff_bytes: usize) -> usize {
        let ring = D * coeff_bytes;
        let rings = self.kmsis + Y3_BLOCKS + 1 + 2 * self.lambda + 1;
        let z = self.dim_m() * self.wm as usize + self.dim_s() * self.ws as usize;
        PROOF_HEADER_BYTES
            + rings * ring
            + (JL_ROWS * self.w3 as usize).div_ceil(8)
            + SEED_BYTES
            + z.div_ceil(8)
    }

    /// The largest proof of one chunk with z Rice coded (PROTOCOL §12.1, Cauchy–Schwarz bound at the V4
    /// bounds): the verifier's length limit.
    #[must_use]
    pub fn max_bytes(&self, coeff_bytes: usize) -> usize {
        let fixed = self.fixed_width_bytes(coeff_bytes)
            - (self.dim_m() * self.wm as usize + self.dim_s() * self.ws as usize).div_ceil(8);
        #[allow(clippy::cast_possible_truncation)]
        let code = |sigma: u128, w: u32| RiceCode::for_gaussian(sigma as u64, w);
        let bits = code(self.sigma_m, self.wm)
            .max_bits(self.dim_m(), z_bound_sq(self.sigma_m, self.dim_m()))
            + code(self.sigma_s, self.ws)
                .max_bits(self.dim_s(), z_bound_sq(self.sigma_s, self.dim_s()));
        fixed + fit_usize(bits.div_ceil(8))
    }
}

/// Header bytes of a proof (as the norm proof's, `zk::layout::HEADER_BYTES`).
pub const PROOF_HEADER_BYTES: usize = crate::zk::layout::HEADER_BYTES;
/// Bytes of the challenge seed.
pub const SEED_BYTES: usize = crate::zk::layout::SEED_BYTES;

/// V4's bound (T_z·σ)²·dim with T_z² = 121/100 (PROTOCOL §6.1).
#[must_use]
#[allow(
    clippy::integer_division_remainder_used,
    reason = "the floor of a public bound with a decimal factor"
)]
pub const fn z_bound_sq(sigma: u128, dim: usize) -> u128 {
    121 * sigma * sigma * dim as u128 / 100
}

/// Each condition of PROTOCOL §9 for the share relation (docs/THRESHOLD.md §6.5), separately, so a test
/// can show which one fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)]
pub struct ShareConditions {
    /// (1) modular JL: 41·n_JL·β_arp ≤ q.
    pub jl: bool,
    /// (2) exact ℓ2 without wrap-around: β_arp² + 2^ℓ < q for the largest ℓ.
    pub no_wrap: bool,
    /// (3) binary slack without wrap-around: β_arp² + 23·β_arp < q.
    pub binary: bool,
    /// (4) challenge differences are units (q ≡ 5 mod 8).
    pub units: bool,
    /// (5) honest JL mask: σ₃² ≥ 4·337·α₃².
    pub jl_mask: bool,
    /// (6) joint rejection: exact σ_m² ≥ (ratio·σ_s)², 15·(ratio·σ_s)² ≥ 16γ²η²B_X2², σ_s² ≥ 16γ²η²α_s².
    pub rejection: bool,
    /// The masks can be sampled: σ_s below the base sampler's 2^28, σ_m and σ₃ convolutions x + 2^k·y of it
    /// with an outer base sample whose widths both meet the convolution lemma (§6.2 item 3).
    pub sampler: bool,
    /// The proof fits the prover's and verifier's fixed arrays (MSIS rank, m2, λ: `zk::params::fits_arrays`)
    /// and its σ_s-masked responses the exact short products (w_s − 1 ≤ `zk::ringmul::SHORT_BITS`).
    pub arrays: bool,
    /// (7) wire widths hold 10σ.
    pub widths: bool,
    /// β_MSIS < q (PROTOCOL §9, E2).
    pub msis_below_q: bool,
    /// The verifier's u128 accumulators cannot overflow (‖z3‖², V4 sums).
    pub verifier_fits: bool,
}

impl ShareConditions {
    /// All of them.
    #[must_use]
    pub const fn all(&self) -> bool {
        self.jl
            && self.no_wrap
            && self.binary
            && self.units
            && self.jl_mask
            && self.rejection
            && self.sampler
            && self.arrays
            && self.widths
            && self.msis_below_q
            && self.verifier_fits
    }
}

/// The smallest σ's and widths the conditions allow for the ranks (kmsis, λ, kmlwe): σ₃ = ⌈√(4·337·α₃²)⌉,
/// σ_s = ⌈√(16γ²η²·α_s²)⌉, the least ratio with 15·(ratio·σ_s)² ≥ 16γ²η²·B_X2², z3 = ⌊1.44·256·σ₃²⌋, widths
/// with 2^(w−1) > 10σ (14σ₃ for w3, as the norm proof).
#[must_use]
pub fn minimal(
    bounds: ShareBounds,
    n: usize,
    kmsis: usize,
    lambda: usize,
    kmlwe: usize,
) -> ShareProofParams {
    let mut p = ShareProofParams {
        bounds,
        n,
        kmsis,
        lambda,
        kmlwe,
        sigma3: 0,
        sigma_m: 0,
        sigma_s: 0,
        ratio: 0,
        z3_bound_sq: 0,
        w3: 0,
        wm: 0,
        ws: 0,
    };
    let k = REJECTION_GAMMA * REJECTION_GAMMA * u128::from(ETA) * u128::from(ETA);
    p.sigma_s = ceil_sqrt(16 * k * p.alpha_s_sq());
    p.sigma3 = sampled_width(4 * 337 * bounds.alpha3_sq(), p.sigma_s);
    let need = 16 * k * bounds.x2_sq;
    // 15·(r·σ_s)² ≥ need: r = ⌈√(need / (15σ_s²))⌉, then fixed up by one step either way.
    let mut r = ceil_sqrt(need.div_ceil(15 * p.sigma_s * p.sigma_s)).max(1);
    while r > 1 && 15 * ((r - 1) * p.sigma_s).pow(2) >= need {
        r -= 1;
    }
    while 15 * (r * p.sigma_s).pow(2) < need {
        r += 1;
    }
    p.ratio = r;
    p.sigma_m = sampled_width((r * p.sigma_s).pow(2), p.sigma_s);
    p.z3_bound_sq = z3_bound_sq(p.sigma3);
    let width = |x: u128| 129 - x.leading_zeros();
    p.w3 = width(14 * p.sigma3);
    p.wm = width(10 * p.sigma_m);
    p.ws = width(10 * p.sigma_s);
    p
}

/// The smallest declared width whose sampled mask has σ² ≥ `min_sq`: ⌈√min⌉ below the base sampler's 2^28,
/// else the convolution with inner width σ_s (`zk::sampling::Convolution::reaching`; 0 if none exists, which
/// fails the conditions).
fn sampled_width(min_sq: u128, sigma_s: u128) -> u128 {
    let min = ceil_sqrt(min_sq);
    if min < u128::from(BASE_SIGMA_LIMIT) {
        return min;
    }
    u64::try_from(sigma_s)
        .ok()
        .and_then(|inner| Convolution::reaching(min_sq, inner))
        .map_or(0, u128::from)
}

/// The JL projection's bound ⌊1.44·256·σ₃²⌋ (as the norm proof's).
#[allow(
    clippy::integer_division_remainder_used,
    reason = "the floor of a public bound with a decimal factor"
)]
const fn z3_bound_sq(sigma3: u128) -> u128 {
    144 * (JL_HALF as u128) * sigma3 * sigma3 / 100
}

/// log2 of the number of share proofs made under one key epoch's public matrices: n members × Q decryptions ×
/// L chunks (3-of-5, Q = 2^10, L = 32: 2^17.32). The zero-knowledge step S7 replaces every honest proof by a
/// simulated one, an additive hybrid over all of them (review 11, B2).
#[must_use]
pub fn log2_proofs_per_key(plan: &super::plan::Plan) -> f64 {
    libm::log2(
        f64::from(plan.members)
            * f64_of_u64(super::plan::DECRYPTIONS_PER_KEY)
            * f64_of_usize(plan.chunks),
    )
}

/// The MLWE hiding target of one proof: [`TARGET_BITS`] plus [`log2_proofs_per_key`], so the hybrid over a
/// key's lifetime of proofs keeps 128 bits without a multi-instance MLWE assumption (review 11, B2).
#[must_use]
pub fn hiding_target_bits(plan: &super::plan::Plan) -> f64 {
    TARGET_BITS + log2_proofs_per_key(plan)
}

/// The share proof's parameters for `plan` over set `P`: λ from the batching bound, then the least MSIS rank
/// whose instance reaches [`TARGET_BITS`] with, for each rank, the least MLWE rank that reaches
/// [`hiding_target_bits`], and the minimal widths (docs/THRESHOLD.md §6.5).
///
/// # Errors
/// [`ShareProofError::NoParameters`] when no rank up to [`MAX_RANK`] fits.
pub fn derive<P: ParamSet>(plan: &CheckedPlan<P>) -> Result<ShareProofParams, ShareProofError> {
    let bounds = ShareBounds::of(plan);
    let hiding = hiding_target_bits(plan.plan());
    let lq = crate::params::log2_q::<P>();
    let q = <P::M as Modulus>::Q;
    let lambda = (1..=MAX_RANK)
        .find(|&l| (<P::M as Modulus>::BITS - 1) as usize * l >= BATCH_TARGET_BITS as usize)
        .ok_or(ShareProofError::NoParameters)?;
    for kmsis in 1..=MAX_RANK {
        let Some(kmlwe) =
            (1..=MAX_RANK).find(|&w| minimal(bounds, P::N, kmsis, lambda, w).mlwe(lq).1 >= hiding)
        else {
            continue;
        };
        let p = minimal(bounds, P::N, kmsis, lambda, kmlwe);
        if p.msis(lq).1 >= TARGET_BITS && p.conditions(q).all() {
            return Ok(p);
        }
    }
    Err(ShareProofError::NoParameters)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::params::SetL;
    use crate::threshold::plan::key_share_binding;

    type P = SetL;

    fn plan(chunks: usize) -> CheckedPlan<P> {
        CheckedPlan::design(5, 3, 1024, 1 << 16, chunks).unwrap()
    }

    fn lq() -> f64 {
        crate::params::log2_q::<P>()
    }

    const Q: u128 = <<P as ParamSet>::M as Modulus>::Q;

    /// The design point of docs/THRESHOLD.md §6.5 (set L, 3-of-5, K = 1024, B_int = 2^16, L = 32): every
    /// condition, MSIS and MLWE at ≥ 128 bits, soundness ≤ 2^−128, the key-share binding, and the numbers
    /// the document quotes.
    #[test]
    fn set_l_share_proof_parameters_reach_the_target() {
        let p = derive(&plan(32)).unwrap();
        let (bm, msis) = p.msis(lq());
        let (bw, mlwe) = p.mlwe(lq());
        let s = p.soundness(lq());
        let (bb, binding) = key_share_binding::<P>(30);
        std::println!(
            "share proof: {p:?}\n  alpha3^2 2^{:.2}, barp^2 2^{:.2}, log2 q {:.2}, n_JL {}\n  MSIS beta {bm} \
             {msis:.1} bits (log2 beta_MSIS {:.2}), MLWE beta {bw} {mlwe:.1} bits, binding beta {bb} {binding:.1}\n  \
             soundness: JL 2^{:.2} mu 2^{:.2} gamma 2^{:.2} challenge 2^{:.2} MSIS 2^{:.2} total 2^{:.2}\n  \
             bytes per chunk: fixed width {}, max {}\n  JL 41·n_JL·β_arp 2^{:.2}, m1 {} m2 {} dim_m {} dim_s {}",
            libm::log2(p.bounds.alpha3_sq() as f64),
            libm::log2(p.barp_sq() as f64),
            lq(),
            p.n_jl(),
            p.log2_beta_msis(),
            s.jl,
            s.mu,
            s.gamma,
            s.challenge,
            s.msis,
            s.total(),
            p.fixed_width_bytes(11),
            p.max_bytes(11),
            libm::log2(41.0 * p.n_jl() as f64 * libm::sqrt(p.barp_sq() as f64)),
            p.m1(),
            p.m2(),
            p.dim_m(),
            p.dim_s(),
        );
        assert!(p.conditions(Q).all(), "{:?}", p.conditions(Q));
        assert!(msis >= TARGET_BITS && binding >= TARGET_BITS);
        // B2: per-proof hiding covers the hybrid over n·Q·L proofs of the key (2^17.32 at this design point).
        let hiding = hiding_target_bits(plan(32).plan());
        std::println!(
            "MLWE target {hiding:.2} bits (proofs per key 2^{:.2})",
            log2_proofs_per_key(plan(32).plan())
        );
        assert!(mlwe >= hiding && mlwe - log2_proofs_per_key(plan(32).plan()) >= TARGET_BITS);
        assert!(s.total() <= -128.0, "soundness 2^{}", s.total());
        assert_eq!(p, minimal(p.bounds, P::N, p.kmsis, p.lambda, p.kmlwe));
    }

    /// The derivation is minimal and the checks can fail: one MSIS or MLWE rank less falls below 128 bits
    /// (or breaks a condition), every σ one less breaks its condition, a width one less breaks (7), one JL
    /// projection instead of two puts the soundness above 2^−128, and wider digits (both digit bounds times 8)
    /// break the exact-ℓ2 condition below q (×8).
    #[test]
    fn share_proof_checks_fail_below_target() {
        let p = derive(&plan(32)).unwrap();
        let lower_msis = minimal(p.bounds, P::N, p.kmsis - 1, p.lambda, p.kmlwe);
        std::println!(
            "k_msis − 1: MSIS {:?}; k_mlwe − 1: MLWE {:?}",
            lower_msis.msis(lq()),
            minimal(p.bounds, P::N, p.kmsis, p.lambda, p.kmlwe - 1).mlwe(lq())
        );
        assert!(lower_msis.msis(lq()).1 < TARGET_BITS || !lower_msis.conditions(Q).all());
        let lower_mlwe = minimal(p.bounds, P::N, p.kmsis, p.lambda, p.kmlwe - 1);
        assert!(lower_mlwe.mlwe(lq()).1 < hiding_target_bits(plan(32).plan()));
        let c = |f: &dyn Fn(&mut ShareProofParams)| {
            let mut x = p;
            f(&mut x);
            x.conditions(Q)
        };
        assert!(!c(&|x| x.sigma3 -= 1).jl_mask);
        assert!(!c(&|x| x.sigma_m -= 1).rejection);
        assert!(!c(&|x| x.sigma_s -= 1).rejection);
        assert!(!c(&|x| x.ratio -= 1).rejection);
        // An inner width too narrow for the convolution lemma at σ_m's shift, and an MSIS rank past the arrays.
        assert!(!c(&|x| x.sigma_s = 1 << 10).sampler);
        assert!(!c(&|x| x.kmsis = crate::zk::params::KMSIS_MAX + 1).arrays);
        assert!(!c(&|x| x.wm -= 1).widths);
        assert!(!c(&|x| x.ws -= 1).widths);
        // λ = 2 fails the μ-batching term, one JL projection the JL term.
        let mut weak = p;
        weak.lambda = 2;
        assert!(weak.soundness(lq()).total() > -128.0);
        let one_jl = SoundnessTerms::compute(&p.as_zk(), lq(), 1, LOG2_QUERIES, p.msis(lq()).1);
        assert!(one_jl.total() > -128.0);
        // A single digit E (‖E‖² ≈ 2^111.4) cannot be proven below q: the reason for two digits (§6.2).
        let one_digit = ShareBounds {
            x1_sq: p.bounds.x1_sq << 45,
            ..p.bounds
        };
        assert!(one_digit.alpha3_sq() > Q);
        // Digits eight times wider in ‖·‖² (the headroom is 2.72 bits) leave no room for the exact norm.
        let wide = ShareBounds {
            x1_sq: p.bounds.x1_sq * 8,
            x2_sq: p.bounds.x2_sq * 8,
            ..p.bounds
        };
        assert!(
            !minimal(wide, P::N, p.kmsis, p.lambda, p.kmlwe)
                .conditions(Q)
                .no_wrap
        );
    }

    /// The bounds are the plan's: S and e_S for the most parts behind one share (n·C(n − 1, t − 1) = 30), the
    /// digits the smudger's per-chunk bounds; a share's per-coefficient noise bound follows (§6.4 step S5).
    #[test]
    fn share_bounds_are_the_plans() {
        let pl = plan(32);
        let b = ShareBounds::of(&pl);
        let n = P::N as u128;
        assert_eq!(b.s_sq, 900 * n);
        assert_eq!(
            b.e_sq,
            900 * u128::from(crate::params::bounds::bound_e2_sq(P::N))
        );
        assert_eq!(b.x1_sq, pl.plan().inner_bound_sq);
        assert_eq!(b.x2_sq, pl.plan().outer_bound_sq);
        assert_eq!(
            ceil_sqrt(b.x1_sq) + (ceil_sqrt(b.x2_sq) << super::super::plan::OUTER_SHIFT),
            pl.plan().share_coeff_bound
        );
    }

    /// Other committee shapes: every design that exists has share-proof parameters meeting the same targets
    /// (2-of-3 has fewer parts behind a share, 4-of-7 at K = 64 has 7·20 = 140).
    #[test]
    fn other_shapes_reach_the_target() {
        for (n, t, k) in [(3, 2, 1024), (5, 3, 64), (7, 4, 64)] {
            let pl = CheckedPlan::<P>::design(n, t, k, 1 << 16, 32).unwrap();
            let p = derive(&pl).unwrap();
            let s = p.soundness(lq());
            std::println!(
                "{t}-of-{n}, K = {k}: k_msis {} k_mlwe {} MSIS {:.1} MLWE {:.1} soundness 2^{:.2}, {} B/chunk",
                p.kmsis,
                p.kmlwe,
                p.msis(lq()).1,
                p.mlwe(lq()).1,
                s.total(),
                p.max_bytes(11)
            );
            assert!(p.conditions(Q).all());
            assert!(p.msis(lq()).1 >= TARGET_BITS && p.mlwe(lq()).1 >= TARGET_BITS);
            assert!(s.total() <= -128.0);
        }
    }
}
