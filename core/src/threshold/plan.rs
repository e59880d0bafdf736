//! The numbers of threshold decryption (docs/THRESHOLD.md §3–§5), all computed here: the committee's key
//! bounds, the smudging width that still decrypts exactly, the Rényi-divergence cost of a bounded number of
//! decryptions per key, the naive 2^40 flooding that does not fit, and the core-SVP estimate of every lattice
//! instance a committee exposes. The tests fail below target.
//!
//! Why a Rényi argument (docs/THRESHOLD.md §4.3): an honest member's share d_h = S_h·c1 + E_h equals
//! −B_{S,h}·U + z_h + E_h, where B_{S,h} is public, U = Σ u_k the aggregate's encryption randomness and
//! z_h = S_h·E2 − e_{S,h}·U a short shift that depends on the member's key parts. The smudging noise E_h must hide
//! z_h. Statistical flooding needs |E| ≥ 2^40·|shift| per coefficient and does not fit set L's budget; the Rényi
//! divergence of order a between D_σ + z and D_σ is exp(a·‖z‖²/(2σ²)) and multiplies over all n·Q honest shares
//! of a key, so σ about 2^19.5 times the per-coefficient shift costs less than one bit of a search game over
//! [`DECRYPTIONS_PER_KEY`] decryptions per member (probability preservation: ε_real ≤ (ε_ideal·R_a)^((a−1)/a);
//! Bai–Lepoint–Roux-Langlois–Sakzad–Stehlé–Steinfeld, J. Cryptology 2018; Passelègue–Stehlé, ASIACRYPT 2022 for
//! threshold decryption).

use crate::arith::Modulus;
use crate::arith::cast::{fit_u32, fit_usize};
use crate::params::bounds::{KeyBounds, ProofBounds, noise_per_client};
use crate::params::bounds::{bound_e2_sq, bound_u_sq};
use crate::params::estimate::{core_svp_bits, lwe_primal};
use crate::params::{ERROR_SIGMA, ParamSet, TERNARY_SIGMA, log2_q};
use crate::policy::{ceil_sqrt, decrypts_exactly, max_clinics};
use crate::zk::params::estimator_dim;

/// Largest committee (member sets are 32-bit masks; the slot count below is the binding limit).
pub const MAX_MEMBERS: u32 = 16;

/// Largest number of slots C(n, t − 1) of the replicated sharing (docs/THRESHOLD.md §2): every member holds
/// C(n − 1, t − 1) of them and deals one part per slot, so the scheme is for small committees (3-of-5: 10
/// slots, 6 held; 4-of-7: 35, 20).
pub const MAX_SLOTS: u64 = 64;
/// [`MAX_SLOTS`] as an array length.
pub const SLOT_CAP: usize = fit_usize(MAX_SLOTS);

/// Decryptions one member may take part in under one committee key before the key is rotated (the Q of the
/// Rényi argument, docs/THRESHOLD.md §4.3). A decryption is one round's aggregate, all of its chunks, answered
/// by one consuming call. The largest power of two for which the design point loses at most
/// [`MAX_LOSS_BITS`] (test `decryption_limit_is_the_largest_that_fits`).
pub const DECRYPTIONS_PER_KEY: u64 = 1 << 10;

/// Order a of the Rényi divergence used in the argument.
pub const RENYI_ORDER: f64 = 512.0;

/// Security target of the ideal (smudging-free) game, bits: the lattice instances' core-SVP target.
pub const IDEAL_BITS: f64 = crate::params::estimate::TARGET_BITS;

/// Largest admissible security loss of the smudging argument, bits.
pub const MAX_LOSS_BITS: f64 = 1.0;

/// The statistical-flooding factor the issue calls naive: E ≥ 2^40·|e_ct| per coefficient.
pub const NAIVE_FLOODING_LOG2: u32 = 40;

/// Smallest number of distinct, proof-verified ciphertexts a member decrypts the sum of
/// (docs/THRESHOLD.md §3.1). It means something only if the aggregator does not control clinic admission.
pub const MIN_CLINICS: u32 = 3;

/// The smudging sampler is the convolution X1 + k·X2 of two constant-time discrete Gaussians (both widths
/// must be below the base sampler's 2^28): X1 ← D_{σ1} with σ1 = 2^27 and X2 ← D_{σ2}, k = 2^23. Its law is
/// close to D_σ, σ² = σ1² + k²·σ2², when both σ1 and σ2 are at least √2·k·η_ε(Z) (Micciancio–Walter,
/// CRYPTO 2017, convolution lemma with coefficient vector (1, k)); `Plan::convolution_ok` checks both.
pub const INNER_SIGMA: u64 = 1 << 27;

/// log2 k of the convolution X1 + k·X2.
pub const OUTER_SHIFT: u32 = 23;

/// η_ε(Z) for ε = 2^−128 (√(ln(2 + 2/ε)/π) = 5.35, rounded up), the smoothing parameter of the convolution
/// lemma.
pub const SMOOTHING_Z: f64 = 5.4;

/// log2 of the statistical distance of one base-sampler output from D_σ (`ring::gaussian`, < 2^−101 per
/// sample); the convolution adds 2^−128. Harmless for the Rényi argument, which needs the relative error in
/// the bulk (≤ 2^−100).
pub const SAMPLER_DISTANCE_LOG2: i32 = -101;

/// The bound on the squared norm of one digit of the noise, X1 or X2 (N coefficients of width `sigma`):
/// ⌈1.44·σ²·N⌉ (slack 1.2, as for every bound of the project). An honest digit exceeds it with probability
/// below 2^−300 (χ² tail at N ≥ 2048); the member resamples if it does, and the share proof enforces it.
///
/// The bounds are per digit, not on E = X1 + 2^23·X2 as a whole, because the share proof's exact ℓ2 norms are
/// computed mod q: ‖E‖² ≈ 2^111 would wrap around q ≈ 2^86, each digit's ≈ 2^66 does not (docs/THRESHOLD.md §6).
#[must_use]
pub const fn share_noise_bound_sq(sigma_sq: u128, n: usize) -> u128 {
    (sigma_sq * 144 * n as u128).div_ceil(100)
}

/// Per-coefficient bound on one member's noise E = X1 + 2^23·X2 from the digit bounds:
/// |E_k| ≤ ‖X1‖ + 2^23·‖X2‖ ≤ ⌈√B_X1²⌉ + 2^23·⌈√B_X2²⌉ (a malicious member may concentrate each digit's
/// ℓ2 budget in one coefficient).
#[must_use]
pub const fn share_noise_coeff_bound(outer_sigma: u64, n: usize) -> u128 {
    let inner = INNER_SIGMA as u128;
    let outer = outer_sigma as u128;
    ceil_sqrt(share_noise_bound_sq(inner * inner, n))
        + (ceil_sqrt(share_noise_bound_sq(outer * outer, n)) << OUTER_SHIFT)
}

/// σ² = σ1² + k²·σ2² of the convolution sampler with outer width σ2 (an integer).
#[must_use]
pub const fn smudging_sigma_sq(outer_sigma: u64) -> u128 {
    let inner = INNER_SIGMA as u128;
    let outer = (outer_sigma as u128) << OUTER_SHIFT;
    inner * inner + outer * outer
}

/// (C(n, t − 1), C(n − 1, t − 1)): the slots of the replicated sharing and the slots each member holds.
#[must_use]
pub const fn slot_counts(members: u32, threshold: u32) -> (u64, u64) {
    let t1 = threshold.saturating_sub(1);
    (
        super::slots::binomial(members, t1),
        super::slots::binomial(members.saturating_sub(1), t1),
    )
}

/// Bounds of a sum of `parts` slot parts, each proven ‖r‖² ≤ N, ‖e‖² ≤ B_2² (docs/THRESHOLD.md §6.4), worst
/// case by the triangle inequality: ‖Σ r‖² ≤ parts²·N, ‖Σ e‖² ≤ parts²·B_2². Holds with malicious dealers.
#[must_use]
pub const fn parts_bounds<P: ParamSet>(parts: u128) -> KeyBounds {
    KeyBounds {
        s_sq: parts * parts * bound_u_sq(P::N) as u128,
        e_sq: parts * parts * bound_e2_sq(P::N) as u128,
    }
}

/// Key bounds of the committee key s_j = Σ_U Σ_i r_{i,U,j}: n dealers times C(n, t − 1) slots parts
/// (docs/THRESHOLD.md §4.1). Unlike `KeyBounds::collective_honest` this holds with malicious members.
#[must_use]
pub const fn committee_key<P: ParamSet>(members: u32, threshold: u32) -> KeyBounds {
    parts_bounds::<P>(members as u128 * slot_counts(members, threshold).0 as u128)
}

/// Bounds of the key material S_h = Σ_{U assigned to h} R_U behind one member's decryption share: at most
/// C(n − 1, t − 1) held slots, each the sum of n dealers' parts.
#[must_use]
pub const fn message_key<P: ParamSet>(members: u32, threshold: u32) -> KeyBounds {
    parts_bounds::<P>(members as u128 * slot_counts(members, threshold).1 as u128)
}

/// Per-coefficient bound on the shift z_h = S_h·E2 − e_{S,h}·U of one honest member's share
/// (docs/THRESHOLD.md §4.3), U = Σ u_k and E2 = Σ e2_k over the K clinics of the round (each proven
/// ‖u_k‖² ≤ N, ‖e2_k‖² ≤ B_2²): |z_k| ≤ ‖S_h‖·K·B_2 + ‖e_{S,h}‖·K·√N.
#[must_use]
pub const fn message_shift_coeff<P: ParamSet>(
    members: u32,
    threshold: u32,
    clinics: u32,
    chunks: usize,
) -> u128 {
    let pb = ProofBounds::of::<P>(chunks);
    let k2 = clinics as u128 * clinics as u128;
    let key = message_key::<P>(members, threshold);
    ceil_sqrt(pb.e2_sq * k2 * key.s_sq) + ceil_sqrt(key.e_sq * pb.u_sq * k2)
}

/// Why a committee design is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanError {
    /// Committee size or threshold out of range (1 ≤ t ≤ n, 2 ≤ n ≤ [`MAX_MEMBERS`], C(n, t − 1) ≤
    /// [`MAX_SLOTS`]).
    Committee {
        /// n.
        members: u32,
        /// t.
        threshold: u32,
    },
    /// The clinics' worst-case noise alone exceeds the budget, the smallest smudging width does not fit, or
    /// the widest that fits is too narrow for the convolution lemma: the set has no room for threshold
    /// decryption at this size.
    NoRoom,
    /// The widest smudging that decrypts exactly loses more than [`MAX_LOSS_BITS`] over
    /// [`DECRYPTIONS_PER_KEY`] decryptions per member.
    TooLossy {
        /// The loss in millibits.
        loss_millibits: u64,
    },
    /// n ≤ 2t − 2 (e.g. 3-of-4, 2-of-2): some slot's t − 1 … n − t + 1 holders can all be corrupt, so no honest
    /// holder checks its parts and the committee secret's norm is the adversary's choice. docs/THRESHOLD.md
    /// §2.2 needs the key-share proof of §6.9 for these shapes, which does not exist: refused (review 13,
    /// R13-5).
    NeedsKeyShareProof {
        /// n.
        members: u32,
        /// t.
        threshold: u32,
    },
}

/// A committee design for set `P`: every number docs/THRESHOLD.md quotes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    /// Committee size n.
    pub members: u32,
    /// Threshold t.
    pub threshold: u32,
    /// Slots C(n, t − 1).
    pub slots: u64,
    /// Slots held per member C(n − 1, t − 1).
    pub held: u64,
    /// Largest clinic count K of a round.
    pub clinics: u32,
    /// B_int of the round.
    pub b_int: u64,
    /// Chunks L of an update.
    pub chunks: usize,
    /// The outer width σ2 of the smudging sampler (integer).
    pub outer_sigma: u64,
    /// σ² of the smudging noise.
    pub sigma_sq: u128,
    /// Bound on ‖X1‖² per chunk (proved by every member).
    pub inner_bound_sq: u128,
    /// Bound on ‖X2‖² per chunk (proved by every member).
    pub outer_bound_sq: u128,
    /// Worst-case |E_k| of one member's noise (`share_noise_coeff_bound`).
    pub share_coeff_bound: u128,
    /// Worst-case smudging per coefficient of the combined phase the design was fitted to: n·`share_coeff_bound`
    /// (n share sets).
    pub smudging: u128,
    /// The most share sets one combination may sum and still decrypt every round of `clinics` clinics exactly
    /// at worst case (≥ n): a combination with supplements (docs/THRESHOLD.md §3.2.1) sums |P| − |E| regular
    /// answers and one set per (helper, excluded) pair, up to 7 in 3-of-5, more than this; the combiner refuses
    /// those (review 17, R17-5; §4.2).
    pub max_share_sets: u32,
    /// Worst-case noise of one proven ciphertext under the committee key.
    pub noise_per_client: u128,
    /// Largest clinic count that decrypts exactly with this smudging (≥ `clinics`).
    pub max_clinics: u32,
    /// Per-coefficient bound on one honest share's shift (`message_shift_coeff`).
    pub shift_coeff: u128,
    /// ‖z_h‖² bound of one share (all chunks): L·N·`shift_coeff`².
    pub shift_sq: u128,
    /// log2 of R_a over all honest shares of the key's life (n·[`DECRYPTIONS_PER_KEY`]).
    pub renyi_log2: f64,
    /// Security lost by the argument, bits: IDEAL/a + log2 R_a·(a−1)/a.
    pub loss_bits: f64,
}

impl Plan {
    /// log2 σ of the smudging noise.
    #[must_use]
    pub fn sigma_log2(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let s = self.sigma_sq as f64;
        0.5 * libm::log2(s)
    }

    /// log2 of the ratio σ / ‖e_ct‖∞ (smudging bits over the worst-case per-coefficient ciphertext noise).
    #[must_use]
    pub fn smudging_bits(&self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let e = (u128::from(self.clinics) * self.noise_per_client) as f64;
        self.sigma_log2() - libm::log2(e)
    }

    /// Whether both convolution widths meet the lemma's condition σ_i ≥ √2·k·η_ε(Z).
    #[must_use]
    pub fn convolution_ok(&self) -> bool {
        convolution_ok(self.outer_sigma)
    }
}

/// σ1 = 2^27 and σ2 = `outer` both at least √2·2^23·η_ε(Z) (docs/THRESHOLD.md §3.2).
#[must_use]
pub fn convolution_ok(outer: u64) -> bool {
    #[allow(clippy::cast_precision_loss)]
    let need = core::f64::consts::SQRT_2 * libm::ldexp(SMOOTHING_Z, OUTER_SHIFT.cast_signed());
    #[allow(clippy::cast_precision_loss)]
    let ok = INNER_SIGMA as f64 >= need && outer as f64 >= need;
    ok
}

/// log2 R_a(D_σ + e ‖ D_σ) over `decryptions` decryptions whose shifts have ‖e‖² ≤ `shift_sq` each:
/// a·Q·‖e‖²/(2σ²·ln 2).
#[must_use]
pub fn renyi_log2(order: f64, decryptions: u64, shift_sq: u128, sigma_sq: u128) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let (q, e, s) = (decryptions as f64, shift_sq as f64, sigma_sq as f64);
    order * q * e / (2.0 * s * core::f64::consts::LN_2)
}

/// Bits lost when an ideal game of `ideal` bits is moved to the real one: from ε_real ≤ (ε_ideal·R_a)^((a−1)/a),
/// −log2 ε_real ≥ (a−1)/a·(ideal − log2 R_a), so the loss is ideal/a + log2 R_a·(a−1)/a.
#[must_use]
pub fn loss_bits(ideal: f64, order: f64, renyi_log2: f64) -> f64 {
    ideal / order + renyi_log2 * (order - 1.0) / order
}

/// Err unless 1 ≤ t ≤ n, 2 ≤ n ≤ [`MAX_MEMBERS`] and C(n, t − 1) ≤ [`MAX_SLOTS`].
///
/// # Errors
/// [`PlanError::Committee`].
pub fn check_committee(members: u32, threshold: u32) -> Result<(), PlanError> {
    if !(2..=MAX_MEMBERS).contains(&members)
        || !(1..=members).contains(&threshold)
        || slot_counts(members, threshold).0 > MAX_SLOTS
    {
        return Err(PlanError::Committee { members, threshold });
    }
    Ok(())
}

/// Whether every slot has an honest holder that checks its parts when t − 1 members are corrupt: a slot
/// U (|U| = t − 1) is held by the n − t + 1 members outside it, of which at most t − 1 are corrupt, so an honest
/// holder exists iff n − t + 1 > t − 1, i.e. n ≥ 2t − 1 (docs/THRESHOLD.md §2.2). Shapes below need the
/// key-share proof of §6.9.
#[must_use]
pub const fn honest_holder_checks_every_slot(members: u32, threshold: u32) -> bool {
    members + 2 > 2 * threshold
}

/// The widest smudging that still decrypts every round of ≤ `clinics` clinics exactly, and its Rényi cost over
/// n·[`DECRYPTIONS_PER_KEY`] honest shares.
///
/// # Errors
/// [`PlanError`] when the committee is malformed, the set has no room, or the loss exceeds [`MAX_LOSS_BITS`].
pub fn design<P: ParamSet>(
    members: u32,
    threshold: u32,
    clinics: u32,
    b_int: u64,
    chunks: usize,
) -> Result<Plan, PlanError> {
    design_for::<P>(
        members,
        threshold,
        clinics,
        b_int,
        chunks,
        DECRYPTIONS_PER_KEY,
    )
}

/// [`design`] for another decryption limit (tests of the limit's choice).
///
/// # Errors
/// As [`design`].
pub fn design_for<P: ParamSet>(
    members: u32,
    threshold: u32,
    clinics: u32,
    b_int: u64,
    chunks: usize,
    decryptions: u64,
) -> Result<Plan, PlanError> {
    check_committee(members, threshold)?;
    if !honest_holder_checks_every_slot(members, threshold) {
        return Err(PlanError::NeedsKeyShareProof { members, threshold });
    }
    let key = committee_key::<P>(members, threshold);
    let smudging_of = |outer: u64| {
        let coeff = share_noise_coeff_bound(outer, P::N);
        (smudging_sigma_sq(outer), coeff, u128::from(members) * coeff)
    };
    let fits = |outer: u64| {
        let e_sm = smudging_of(outer).2;
        max_clinics::<P>(b_int, chunks, key, e_sm) >= clinics
            && decrypts_exactly::<P>(clinics, b_int, chunks, key, e_sm)
    };
    if !fits(0) {
        return Err(PlanError::NoRoom);
    }
    // Largest σ2 < 2^28 (the base sampler's range) that fits: binary search (fits is monotone in σ2).
    let (mut lo, mut hi) = (0u64, 1u64 << 28);
    while hi - lo > 1 {
        let mid = lo + ((hi - lo) >> 1);
        if fits(mid) { lo = mid } else { hi = mid }
    }
    if !convolution_ok(lo) {
        return Err(PlanError::NoRoom);
    }
    let (sigma_sq, share_coeff_bound, smudging) = smudging_of(lo);
    let per_client = noise_per_client(ProofBounds::of::<P>(chunks), key);
    let shift_coeff = message_shift_coeff::<P>(members, threshold, clinics, chunks);
    let shift_sq = (chunks * P::N) as u128 * shift_coeff * shift_coeff;
    let shares = u64::from(members) * decryptions;
    let renyi = renyi_log2(RENYI_ORDER, shares, shift_sq, sigma_sq);
    let loss = loss_bits(IDEAL_BITS, RENYI_ORDER, renyi);
    if loss.is_nan() || loss > MAX_LOSS_BITS {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let loss_millibits = (loss * 1000.0).min(1e18) as u64;
        return Err(PlanError::TooLossy { loss_millibits });
    }
    let (slots, held) = slot_counts(members, threshold);
    let max_share_sets =
        max_share_sets::<P>(clinics, b_int, chunks, key, share_coeff_bound, members);
    Ok(Plan {
        members,
        threshold,
        slots,
        held,
        clinics,
        b_int,
        chunks,
        outer_sigma: lo,
        sigma_sq,
        inner_bound_sq: share_noise_bound_sq(
            u128::from(INNER_SIGMA) * u128::from(INNER_SIGMA),
            P::N,
        ),
        outer_bound_sq: share_noise_bound_sq(u128::from(lo) * u128::from(lo), P::N),
        share_coeff_bound,
        smudging,
        max_share_sets,
        noise_per_client: per_client,
        max_clinics: max_clinics::<P>(b_int, chunks, key, smudging),
        shift_coeff,
        shift_sq,
        renyi_log2: renyi,
        loss_bits: loss,
    })
}

/// The largest s ≥ `fitted` such that s share sets of worst-case noise `share_coeff_bound` per coefficient
/// still decrypt every round of `clinics` clinics exactly (the condition `design_for` fits n sets into), or
/// `fitted` if none more fit. Bounded by the pair count of a combination (n regular sets and n·(n − 1) (helper,
/// excluded) pairs) so the search ends.
fn max_share_sets<P: ParamSet>(
    clinics: u32,
    b_int: u64,
    chunks: usize,
    key: KeyBounds,
    share_coeff_bound: u128,
    fitted: u32,
) -> u32 {
    let fits = |sets: u32| {
        let e_sm = u128::from(sets) * share_coeff_bound;
        max_clinics::<P>(b_int, chunks, key, e_sm) >= clinics
            && decrypts_exactly::<P>(clinics, b_int, chunks, key, e_sm)
    };
    let mut sets = fitted;
    while sets < fitted * fitted && fits(sets + 1) {
        sets += 1;
    }
    sets
}

/// A design that only [`CheckedPlan::design`] makes (review 10, gap R10-3): `Plan`'s fields are public numbers,
/// so the aggregate's K cap and the smudger's widths must not come from a caller-built `Plan`. The set is part
/// of the type, so a smudger of another set does not compile into a member of this one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckedPlan<P: ParamSet> {
    plan: Plan,
    set: core::marker::PhantomData<P>,
}

impl<P: ParamSet> CheckedPlan<P> {
    /// [`design`] for set `P`, kept behind a type no caller can build by hand.
    ///
    /// # Errors
    /// As [`design`].
    pub fn design(
        members: u32,
        threshold: u32,
        clinics: u32,
        b_int: u64,
        chunks: usize,
    ) -> Result<Self, PlanError> {
        Ok(Self {
            plan: design::<P>(members, threshold, clinics, b_int, chunks)?,
            set: core::marker::PhantomData,
        })
    }

    /// The design's numbers (read-only).
    #[must_use]
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}

/// Whether naive statistical flooding fits set `P`: one member's noise of 2^40·K·E_1 per coefficient (the
/// most favourable form, a bounded uniform flood with no √N factor) within the noise budget.
#[must_use]
pub fn naive_flooding_fits<P: ParamSet>(
    members: u32,
    threshold: u32,
    clinics: u32,
    b_int: u64,
    chunks: usize,
) -> bool {
    let key = committee_key::<P>(members, threshold);
    let ect = u128::from(clinics) * noise_per_client(ProofBounds::of::<P>(chunks), key);
    ect.checked_shl(NAIVE_FLOODING_LOG2)
        .and_then(|f| f.checked_mul(u128::from(members)))
        .is_some_and(|e_sm| decrypts_exactly::<P>(clinics, b_int, chunks, key, e_sm))
}

/// One lattice instance of a committee and its estimate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Instance {
    /// What it is.
    pub name: &'static str,
    /// Primal block size β.
    pub beta: u32,
    /// Classical core-SVP bits.
    pub classical: f64,
}

/// Every RLWE instance a committee of set `P` exposes (docs/THRESHOLD.md §5), estimated with
/// `params::estimate::lwe_primal`:
/// 1. one dealer's public slot share b_{i,U,j} = −(a·r_{i,U,j} + e_{i,U,j}) (ternary, CBD(21), N samples) —
///    the adversary's best case: a coalition misses exactly one slot and, with n − 1 dealers corrupt, one
///    honest dealer's part of it;
/// 2. the committee key b_j seen by an outsider (n·C(n, t − 1) parts: deviations multiplied by their root);
/// 3. a clinic's ciphertext under the committee key (u ternary, (L_max + 1)·N samples, CBD(21));
/// 4. every decryption share as an RLWE sample of a slot part with error σ (n·Q·L_max·N samples, capped at
///    2^32 − 1).
#[must_use]
pub fn instances<P: ParamSet>(plan: &Plan) -> [Instance; 4] {
    let n = estimator_dim(P::N);
    let lq = log2_q::<P>();
    #[allow(clippy::cast_precision_loss)]
    let parts = (u64::from(plan.members) * plan.slots) as f64;
    #[allow(clippy::cast_precision_loss)]
    let sigma = libm::sqrt(plan.sigma_sq as f64);
    // Capped at 2^32 − 1 (the estimator's sample count is a u32).
    let share_samples = u32::try_from(
        u128::from(plan.members) * u128::from(DECRYPTIONS_PER_KEY) * (P::MAX_CHUNKS * P::N) as u128,
    )
    .unwrap_or(u32::MAX);
    let ct_samples = (fit_u32(P::MAX_CHUNKS as u64) + 1) * n;
    let est = |name, m, s_s, s_e| {
        let beta = lwe_primal(n, m, lq, s_s, s_e).beta;
        Instance {
            name,
            beta,
            classical: core_svp_bits(beta).0,
        }
    };
    [
        est("one dealer's slot share", n, TERNARY_SIGMA, ERROR_SIGMA),
        est(
            "committee key",
            n,
            TERNARY_SIGMA * libm::sqrt(parts),
            ERROR_SIGMA * libm::sqrt(parts),
        ),
        est(
            "ciphertext under the committee key",
            ct_samples,
            TERNARY_SIGMA,
            ERROR_SIGMA,
        ),
        est("decryption shares", share_samples, TERNARY_SIGMA, sigma),
    ]
}

/// The weight μ = λ_{h,T}·α_h (a reduced fraction num/den) with which an honest holder h's Shamir share of an
/// absent member's key share s_a enters h's proxy share λ_{h,T}·y_h·c1 + E, as seen by a coalition holding the
/// shares of `corrupt`: given those t − 1 points, y_h = α_h·s_a + (known), α_h = Π_{k∈C} (k − h)/k, and
/// λ_{h,T} = Π_{j∈T, j≠h} j/(j − h). When den > 1 the coalition multiplies the share by den and reads
/// num·z mod den off the integer lattice den·Z that the noise lives on (z = s_a·E2 − e'_a·U, known U, E2):
/// the reason this design does not use Shamir sharing over Z_q (docs/THRESHOLD.md §2.3).
#[must_use]
#[allow(
    clippy::integer_division_remainder_used,
    reason = "exact division of the public weight's numerator and denominator by their gcd"
)]
pub fn shamir_weight(corrupt: &[i64], quorum: &[i64], holder: i64) -> (i64, i64) {
    let (mut num, mut den) = (1i64, 1i64);
    for &k in corrupt {
        num *= k - holder;
        den *= k;
    }
    for &j in quorum.iter().filter(|&&j| j != holder) {
        num *= j;
        den *= j - holder;
    }
    // The gcd divides |num| < 2^63 (the products of small member numbers): the reinterpretation is exact.
    let g = gcd(num.unsigned_abs(), den.unsigned_abs()).cast_signed();
    let (num, den) = (num / g, den / g);
    if den < 0 { (-num, -den) } else { (num, den) }
}

#[allow(
    clippy::integer_division_remainder_used,
    reason = "Euclid's algorithm on public member numbers"
)]
const fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Binding of a sum of `parts` slot parts to its public share, the heart of the share proof's soundness
/// (docs/THRESHOLD.md §6): two openings (S, e) ≠ (S', e') of B = −(a·S + e) within the proven bounds
/// (‖S‖² ≤ parts²·N, ‖e‖² ≤ parts²·B_2²) give a·(S − S') + (e − e') = 0, a nonzero solution of ring-SIS
/// [a | 1] (N rows, 2N columns) of ℓ2 norm at most 2·parts·√(N + B_2²). Returns (the MSIS block size, its
/// classical bits).
#[must_use]
pub fn key_share_binding<P: ParamSet>(parts: u32) -> (u32, f64) {
    let n = estimator_dim(P::N);
    #[allow(clippy::cast_precision_loss)]
    let bound = 2.0 * f64::from(parts) * libm::sqrt((bound_u_sq(P::N) + bound_e2_sq(P::N)) as f64);
    let beta = crate::params::estimate::msis_l2_beta(n, 2 * n, log2_q::<P>(), libm::log2(bound));
    (beta, core_svp_bits(beta).0)
}

/// Design estimate of the share proof's room below q (docs/THRESHOLD.md §6.1; `share_proof_params` derives the
/// parameters and finds the same 2.72 bits), in bits: the exact-ℓ2 technique of
/// the norm proof needs q > β_arp² + 2^ℓ (condition (2) of `zk::params::conditions_hold`; β_arp² the extracted
/// bound on the JL-projected witness, 2^ℓ the largest squared bound). β_arp² scales with the witness's squared
/// norm α²; this takes the ratio β_arp²/α² of set `P`'s norm proof (α² = B_max² + N + B_2² + B_1²(L_max) + Σℓ)
/// and applies it to one chunk's share witness (s, e', X1, X2), α² = N + B_2² + B_X1² + B_X2². Returns
/// log2 q − log2(β_arp² + 2^ℓ); negative means the digits must be split further.
#[must_use]
pub fn share_proof_headroom_bits<P: crate::zk::params::ZkParams>(plan: &Plan) -> f64 {
    use crate::params::bounds::bound_e1_sq;
    use crate::zk::params::{barp_sq, slack_bits};
    let c = P::ZK;
    let (n, b2, b1) = (P::N, bound_e2_sq(P::N), bound_e1_sq(P::N, c.l_max));
    let ells =
        slack_bits(c.b_max * c.b_max) + slack_bits(n as u64) + slack_bits(b2) + slack_bits(b1);
    let alpha_enc =
        u128::from(c.b_max * c.b_max) + n as u128 + u128::from(b2) + u128::from(b1) + ells as u128;
    #[allow(clippy::cast_precision_loss)]
    let ratio = barp_sq(&c) as f64 / alpha_enc as f64;
    let key = message_key::<P>(plan.members, plan.threshold);
    let alpha_share = key.s_sq + key.e_sq + plan.inner_bound_sq + plan.outer_bound_sq;
    let largest = plan.inner_bound_sq.max(plan.outer_bound_sq);
    let ell = 128 - largest.leading_zeros();
    #[allow(clippy::cast_precision_loss)]
    let need = ratio * alpha_share as f64 + libm::ldexp(1.0, ell.cast_signed());
    log2_q::<P>() - libm::log2(need)
}

/// Bytes one member sends per round: its decryption shares of `chunks` chunks, each N residues mod q at the
/// wire width of the set (`Modulus::BYTES`), before the share proof.
#[must_use]
pub const fn share_bytes<P: ParamSet>(chunks: usize) -> usize {
    chunks * P::N * <P::M as Modulus>::BYTES
}

/// The modulus as f64 bits, for reports (set L: 86).
#[must_use]
pub fn modulus_bits<P: ParamSet>() -> u32 {
    <P::M as Modulus>::BITS
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::params::estimate::TARGET_BITS;
    use crate::params::{SetL, SetS};
    use std::println;

    /// The design point of docs/THRESHOLD.md: set L, 3-of-5 committee, 1024 clinics, B_int = 2^16, L_max chunks.
    fn design_point() -> Plan {
        design::<SetL>(5, 3, 1024, 1 << 16, SetL::MAX_CHUNKS).expect("set L design point")
    }

    #[test]
    fn set_l_design_point_decrypts_exactly_and_loses_under_a_bit() {
        let p = design_point();
        println!(
            "{p:?} σ = 2^{:.2}, smudging bits {:.2}, shift 2^{:.2}/coeff, ‖z‖² 2^{:.2}",
            p.sigma_log2(),
            p.smudging_bits(),
            libm::log2(p.shift_coeff as f64),
            libm::log2(p.shift_sq as f64)
        );
        assert_eq!((p.slots, p.held), (10, 6));
        assert!(p.loss_bits <= MAX_LOSS_BITS, "loss {}", p.loss_bits);
        assert!(p.max_clinics >= 1024);
        let key = committee_key::<SetL>(5, 3);
        assert!(decrypts_exactly::<SetL>(
            1024,
            1 << 16,
            SetL::MAX_CHUNKS,
            key,
            p.smudging
        ));
        // σ2 is maximal: one more and 1024 clinics no longer decrypt (or max_clinics drops).
        let e_sm = u128::from(p.members) * share_noise_coeff_bound(p.outer_sigma + 1, SetL::N);
        assert!(max_clinics::<SetL>(1 << 16, SetL::MAX_CHUNKS, key, e_sm) < 1024);
        // σ is at least 2^18 times the worst-case ciphertext noise per coefficient.
        assert!(p.smudging_bits() >= 18.0);
        // Both Gaussian widths are within the base sampler's range and meet the convolution lemma.
        assert!(p.outer_sigma < 1 << 28 && INNER_SIGMA < 1 << 28);
        assert!(p.convolution_ok());
    }

    /// R17-5: the share-set bound is computed, maximal, and below the 7 sets a 3-of-5 combination with
    /// supplements can sum (P = all five, x = 1: four regular answers and three helpers) and below the 2t = 6
    /// of P = t + 1 with its lowest member excluded.
    #[test]
    fn share_set_bound_is_the_largest_that_decrypts_exactly() {
        let p = design_point();
        let key = committee_key::<SetL>(5, 3);
        let fits = |sets: u32| {
            decrypts_exactly::<SetL>(
                1024,
                1 << 16,
                SetL::MAX_CHUNKS,
                key,
                u128::from(sets) * p.share_coeff_bound,
            )
        };
        assert!(p.max_share_sets >= p.members);
        assert!(fits(p.max_share_sets));
        assert!(!fits(p.max_share_sets + 1));
        assert_eq!(p.max_share_sets, 5);
        assert!(p.max_share_sets < 2 * p.threshold);
    }

    #[test]
    fn decryption_limit_is_the_largest_that_fits() {
        // Q = DECRYPTIONS_PER_KEY fits at the design point, 2·Q does not: the limit is computed, not chosen.
        let p = design_point();
        assert!(p.loss_bits <= MAX_LOSS_BITS);
        assert!(matches!(
            design_for::<SetL>(
                5,
                3,
                1024,
                1 << 16,
                SetL::MAX_CHUNKS,
                2 * DECRYPTIONS_PER_KEY
            ),
            Err(PlanError::TooLossy { .. })
        ));
        // The Rényi term counts every member's shares: n·Q of them.
        let r = renyi_log2(RENYI_ORDER, 5 * DECRYPTIONS_PER_KEY, p.shift_sq, p.sigma_sq);
        assert!((r - p.renyi_log2).abs() <= 1e-12 * r);
    }

    #[test]
    fn convolution_lemma_checks_both_widths() {
        let need = core::f64::consts::SQRT_2 * SMOOTHING_Z * f64::from(1u32 << OUTER_SHIFT);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let edge = need.ceil() as u64;
        assert!(convolution_ok(edge));
        assert!(!convolution_ok(edge - 1));
        // The design's σ2 clears it with margin (review 7 gap 9: 2^26.4 ≥ 2^25.9).
        assert!(design_point().outer_sigma > edge);
    }

    #[test]
    fn naive_flooding_does_not_fit_set_l() {
        assert!(!naive_flooding_fits::<SetL>(
            5,
            3,
            1024,
            1 << 16,
            SetL::MAX_CHUNKS
        ));
        // The check itself can succeed: a 2-member committee of one small clinic at B_int = 1 has the room.
        assert!(naive_flooding_fits::<SetL>(2, 2, 1, 1, 1));
    }

    #[test]
    fn set_s_has_no_room_for_threshold_decryption() {
        assert_eq!(
            design::<SetS>(5, 3, 5, 1 << 12, 54).unwrap_err(),
            PlanError::NoRoom
        );
        assert_eq!(
            design::<SetS>(3, 2, 2, 256, 54).unwrap_err(),
            PlanError::NoRoom
        );
    }

    #[test]
    fn committee_shapes_are_checked() {
        // 9-of-16 has C(16, 8) = 12,870 slots: refused.
        for (n, t) in [(1, 1), (5, 0), (5, 6), (17, 3), (16, 9)] {
            assert_eq!(
                design::<SetL>(n, t, 8, 1 << 16, 1).unwrap_err(),
                PlanError::Committee {
                    members: n,
                    threshold: t
                }
            );
        }
        assert_eq!(slot_counts(7, 4), (35, 20));
        assert!(check_committee(7, 4).is_ok());
    }

    #[test]
    fn every_instance_reaches_the_target() {
        let p = design_point();
        for inst in instances::<SetL>(&p) {
            println!(
                "{}: β = {} ({:.1} bits)",
                inst.name, inst.beta, inst.classical
            );
            assert!(inst.classical >= TARGET_BITS, "{inst:?}");
            assert!(inst.classical - p.loss_bits >= TARGET_BITS - MAX_LOSS_BITS);
        }
    }

    #[test]
    fn share_witness_fits_below_q_as_two_digits() {
        let p = design_point();
        let head = share_proof_headroom_bits::<SetL>(&p);
        println!(
            "digits: ‖X1‖² ≤ 2^{:.2}, ‖X2‖² ≤ 2^{:.2}; exact-norm headroom {head:.2} bits",
            libm::log2(p.inner_bound_sq as f64),
            libm::log2(p.outer_bound_sq as f64)
        );
        assert!(head >= 1.0, "headroom {head}");
        // The undivided E would not fit: its squared bound alone exceeds q.
        let whole = share_noise_bound_sq(p.sigma_sq, SetL::N);
        assert!(whole > <<SetL as ParamSet>::M as Modulus>::Q);
    }

    #[test]
    fn share_bytes_per_round() {
        // The paper's model, 108,996 parameters = 27 chunks of set L, 11 bytes per residue.
        assert_eq!(share_bytes::<SetL>(27), 1_216_512);
    }

    #[test]
    fn key_shares_bind_their_secret() {
        // The largest sum a share proof binds: n·C(n − 1, t − 1) = 30 parts for 3-of-5.
        let (beta, bits) = key_share_binding::<SetL>(30);
        println!("key-share binding (ring-SIS [a | 1], 30 parts): β = {beta} ({bits:.1} bits)");
        assert!(bits >= TARGET_BITS);
    }

    #[test]
    fn shamir_proxy_weights_are_not_integral() {
        // Review of the Shamir alternative (THRESHOLD §2.3): coalition {2, 3}, absent member 1, quorum
        // T = {2, 4, 5}: honest holder 4's share enters with weight −5/3, so its proxy share leaks z mod 3.
        assert_eq!(shamir_weight(&[2, 3], &[2, 4, 5], 4), (-5, 3));
        // Some configurations are integral (coalition {1, 2}, quorum {1, 4, 5}), which is why the leak is easy
        // to miss; the aggregator chooses the quorum.
        assert_eq!(shamir_weight(&[1, 2], &[1, 4, 5], 4), (-5, 1));
        // In the replicated sharing every weight is 0 or 1 (slots::tests).
    }

    #[test]
    fn larger_committees_cost_more() {
        let p5 = design_point();
        let p3 = design::<SetL>(3, 2, 1024, 1 << 16, SetL::MAX_CHUNKS).expect("3 members");
        assert!(p3.sigma_sq > p5.sigma_sq && p3.loss_bits < p5.loss_bits);
        // 4-of-7 at 1024 clinics has no design (seven shares leave σ2 below the convolution lemma's width,
        // and the 20 held slots multiply the shift); at 64 clinics it fits.
        let p7_big = design::<SetL>(7, 4, 1024, 1 << 16, SetL::MAX_CHUNKS);
        println!("4-of-7, 1024 clinics: {p7_big:?}");
        assert!(p7_big.is_err());
        let p7 =
            design::<SetL>(7, 4, 64, 1 << 16, SetL::MAX_CHUNKS).expect("7 members, 64 clinics");
        assert!(p7.loss_bits <= MAX_LOSS_BITS);
        // The loss formula: a = 1 loses everything.
        assert!((loss_bits(128.0, 1.0, 0.0) - 128.0).abs() < 1e-12);
    }

    #[test]
    fn convolution_widths() {
        assert_eq!(smudging_sigma_sq(0), 1 << 54);
        assert_eq!(smudging_sigma_sq(1), (1 << 54) + (1 << 46));
        assert_eq!(share_noise_bound_sq(100, 100), 14_400);
        assert_eq!(share_noise_bound_sq(1, 1), 2);
        // ⌈√(1.44·2^54·4096)⌉ = ⌈1.2·2^33⌉, plus 2^23·⌈√(1.44·4096)⌉ = 2^23·77.
        assert_eq!(
            share_noise_coeff_bound(1, 4096),
            10_307_921_511 + 77 * (1 << 23)
        );
    }
}
