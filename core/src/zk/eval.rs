//! The batched relation F of docs/PROTOCOL.md §6 steps 3–5, evaluated "homogeneously" at openings: every
//! product of two committed objects is taken over their openings, every linear term is multiplied by c and
//! every constant by c². The verifier evaluates it once at its challenge; the prover runs the *same* code at
//! c ∈ {0, 1, −1} to obtain the garbage terms g0, g1 (F̃(c) = c²·F(s) + c·g1 + g0 because σ(c) = c).

use super::derive::{jl_reader, uniform_ring, uniform_scalars};
use super::layout::Layout;
use super::nttacc::NttR;
use super::params::{CONSTRAINTS, D, GROUPS, JL_ROWS, LAMBDA_MAX, Y3_BLOCKS};
use super::rq::Rq;
use crate::arith::Modulus;
use crate::arith::cast::low_u64;
use shake::XofReader;

/// JL column blocks whose ρ sums [`Batch::rho_blocks`] computes together (the verifier's z pass): the
/// four-row table costs 255·λ additions and each block's columns 128·λ, so sharing the table over four
/// blocks halves the work of the ρ sums, for ≈ (P − 1)·(2.5 + λ) KB more stack.
pub const RHO_BLOCKS: usize = 4;

/// Index of the first norm constraint in μ.
pub const MU_NORM: usize = JL_ROWS;
/// Index of the binary-slack constraint.
pub const MU_BIN: usize = JL_ROWS + GROUPS;
/// Index of the constraint "coefficient 1 of β3 is zero" (then 2..127 follow).
pub const MU_BETA_COEFF: usize = MU_BIN + 1;
/// Index of the constraint ‖β3‖² = 1.
pub const MU_BETA_SQ: usize = MU_BETA_COEFF + D - 1;
const _: () = assert!(MU_BETA_SQ + 1 == CONSTRAINTS);

/// The batching challenges μ_k ∈ Z_q^CONSTRAINTS and γ_k ∈ R.
pub struct Batch<M: Modulus> {
    /// λ.
    pub lambda: usize,
    /// μ_k.
    pub mu: [[M::Coeff; CONSTRAINTS]; LAMBDA_MAX],
    /// γ_k.
    pub gamma: [Rq<M>; LAMBDA_MAX],
}

impl<M: Modulus> Batch<M> {
    /// μ from its transcript seed (γ is set later, after h).
    #[must_use]
    pub fn from_mu_seed(lambda: usize, seed: &[u8; 32]) -> Self {
        let mut b = Self::empty();
        b.set_mu(lambda, seed);
        b
    }

    /// No challenge yet (λ = 0): the prover's slot, filled in place by [`Batch::set_mu`] so that no
    /// temporary of the whole batch is moved (docs/FIRMWARE.md).
    #[must_use]
    pub fn empty() -> Self {
        Self {
            lambda: 0,
            mu: [[M::zero(); CONSTRAINTS]; LAMBDA_MAX],
            gamma: [Rq::zero(); LAMBDA_MAX],
        }
    }

    /// Sets λ and μ from its transcript seed (γ is set later, after h).
    pub fn set_mu(&mut self, lambda: usize, seed: &[u8; 32]) {
        self.lambda = lambda;
        for k in 0..lambda {
            uniform_scalars::<M>(seed, k as u64, &mut self.mu[k]);
        }
    }

    /// Sets γ from its transcript seed.
    pub fn set_gamma(&mut self, seed: &[u8; 32]) {
        for k in 0..self.lambda {
            self.gamma[k] = uniform_ring::<M>(b"gamma", seed, k as u64);
        }
    }

    /// μ_k restricted to JL rows [128t, 128t+128) as a ring element.
    fn mu_jl_poly(&self, k: usize, t: usize) -> Rq<M> {
        let mut r = Rq::zero();
        r.0.copy_from_slice(&self.mu[k][t * D..(t + 1) * D]);
        r
    }

    /// p_k = Σ_{j=1}^{127} μ_{k,β,j}·Y^j, so ct(σ(p_k)·β3) = Σ_j μ_{k,β,j}·β3_j.
    fn beta_poly(&self, k: usize) -> Rq<M> {
        let mut r = Rq::zero();
        r.0[1..].copy_from_slice(&self.mu[k][MU_BETA_COEFF..MU_BETA_SQ]);
        r
    }

    /// ρ_{k,b}[j] = Σ_i μ_{k,i}·R_b[i][j] for all k (JL rows of one s3 block; public data).
    /// Branch-free: each row's entries become all-ones/zero masks once and select μ_{k,i} for every k
    /// (random ternary entries made the former branches mispredict); the exact sums are unchanged.
    pub fn rho(&self, rows: &[[i8; D]; JL_ROWS], out: &mut [Rq<M>; LAMBDA_MAX]) {
        // JL_ROWS = 512 summands below 2^BITS stay below 2^64 when BITS ≤ 55: u64 lanes vectorize twice
        // as wide.
        if M::BITS <= 55 {
            self.rho_u64(rows, out);
        } else {
            self.rho_u128(rows, out);
        }
    }

    /// [`Batch::rho`] with u64 accumulators (exact for q < 2^55: JL_ROWS·q < 2^64).
    fn rho_u64(&self, rows: &[[i8; D]; JL_ROWS], out: &mut [Rq<M>; LAMBDA_MAX]) {
        const { assert!(JL_ROWS <= 512) };
        let mut pos = [[0u64; D]; LAMBDA_MAX];
        let mut neg = [[0u64; D]; LAMBDA_MAX];
        let mut pm = [0u64; D];
        let mut nm = [0u64; D];
        for (i, row) in rows.iter().enumerate() {
            for ((p, n), &e) in pm.iter_mut().zip(nm.iter_mut()).zip(row.iter()) {
                *p = 0u64.wrapping_sub(u64::from(e == 1));
                *n = 0u64.wrapping_sub(u64::from(e == -1));
            }
            for k in 0..self.lambda {
                // rho_u64 runs for q < 2^55 only, so the residue is its low limb.
                let m = low_u64(M::to_u128(self.mu[k][i]));
                for (acc, &mask) in pos[k].iter_mut().zip(pm.iter()) {
                    *acc += m & mask;
                }
                for (acc, &mask) in neg[k].iter_mut().zip(nm.iter()) {
                    *acc += m & mask;
                }
            }
        }
        for (k, o) in out.iter_mut().enumerate().take(self.lambda) {
            for j in 0..D {
                o.0[j] = M::sub(
                    M::from_u128(u128::from(pos[k][j])),
                    M::from_u128(u128::from(neg[k][j])),
                );
            }
        }
    }

    /// ρ_{k,b} straight from the XOF bytes, four rows at a time ("four Russians"), for the `P` blocks
    /// whose streams are `rds` (up to `P` of them; `out[p]` receives block p): for rows i..i+3 the 256 sums
    /// Σ_r e_r·μ_{k,i+r} over every byte code of four 2-bit entries (01 → +1, 10 → −1, 00 and 11 → 0, row
    /// r in bits 2r, 2r+1) are tabulated once per k — the table depends on μ only, so it serves every
    /// block — then each column of each block adds the table entry of its code: 255·K table additions per
    /// four rows shared by the P blocks, plus 128·K per block, instead of 4·128·λ masked additions per
    /// block. `K ≥ λ` lanes per entry (lanes k ≥ λ carry μ_k = 0 and are not read). Sums are wrapping
    /// lanes (u64 for q < 2^54, u128 above) of signed values; |Σ| < JL_ROWS·q stays below half the lane,
    /// so they equal the exact integers and give the same residues as [`Batch::rho`]. Public data only
    /// (the table index is a JL entry code).
    #[allow(
        clippy::needless_range_loop,
        reason = "walks parallel arrays in lockstep"
    )]
    #[allow(
        clippy::integer_division_remainder_used,
        reason = "row sizes by the public degree D"
    )]
    fn rho_xof<L: Lane, const K: usize, const P: usize, R: XofReader>(
        &self,
        rds: &mut [R],
        out: &mut [[Rq<M>; LAMBDA_MAX]],
    ) {
        const { assert!(K <= LAMBDA_MAX && JL_ROWS <= 512 && JL_ROWS.is_multiple_of(4)) };
        debug_assert!(self.lambda <= K);
        let blocks = rds.len().min(out.len()).min(P);
        let mut acc = [[[L::ZERO; K]; D]; P];
        let mut tab = [[L::ZERO; K]; 256];
        let mut rows = [[[0u8; D / 4]; 4]; P];
        for i in (0..JL_ROWS).step_by(4) {
            for (rd, r) in rds.iter_mut().zip(rows.iter_mut()).take(blocks) {
                for row in r.iter_mut() {
                    XofReader::read(rd, row);
                }
            }
            // tab[low + e·4^r] = tab[low] + val(e)·μ_{i+r} for codes low < 4^r.
            for r in 0..4 {
                let m: [L; K] = core::array::from_fn(|k| L::of(M::to_u128(self.mu[k][i + r])));
                let step = 1usize << (2 * r);
                for low in 0..step {
                    let base = tab[low];
                    tab[low + step] = core::array::from_fn(|k| base[k].add(m[k]));
                    tab[low + 2 * step] = core::array::from_fn(|k| base[k].sub(m[k]));
                    tab[low + 3 * step] = base;
                }
            }
            for (r4, a) in rows.iter().zip(acc.iter_mut()).take(blocks) {
                for t in 0..D / 4 {
                    let [b0, b1, b2, b3] =
                        [r4[0][t], r4[1][t], r4[2][t], r4[3][t]].map(usize::from);
                    for q in 0..4 {
                        let sh = 2 * q;
                        let code = ((b0 >> sh) & 3)
                            | (((b1 >> sh) & 3) << 2)
                            | (((b2 >> sh) & 3) << 4)
                            | (((b3 >> sh) & 3) << 6);
                        let e = &tab[code];
                        let a = &mut a[4 * t + q];
                        for k in 0..K {
                            a[k] = a[k].add(e[k]);
                        }
                    }
                }
            }
        }
        for (a, o) in acc.iter().zip(out.iter_mut()).take(blocks) {
            for (k, o) in o.iter_mut().enumerate().take(self.lambda) {
                for j in 0..D {
                    o.0[j] = a[j][k].residue::<M>();
                }
            }
        }
    }

    /// [`Batch::rho_xof`] with the lane type of the modulus and the fewest lanes that hold λ.
    fn rho_lanes<const P: usize, R: XofReader>(
        &self,
        rds: &mut [R],
        out: &mut [[Rq<M>; LAMBDA_MAX]],
    ) {
        // The lane holds a signed sum with |Σ| < JL_ROWS·q, read back as i64/i128: exact while
        // JL_ROWS·q ≤ 2^63, i.e. q < 2^54 for u64 lanes (which vectorize twice as wide), and q < 2^118 for
        // u128 (review 5, G2: the bound was 2^55, one bit too loose for a future 55-bit modulus).
        const { assert!(M::BITS <= 118 && JL_ROWS <= 512) };
        match (M::BITS <= 54, self.lambda <= 3) {
            (true, true) => self.rho_xof::<u64, 3, P, R>(rds, out),
            (true, false) => self.rho_xof::<u64, LAMBDA_MAX, P, R>(rds, out),
            (false, true) => self.rho_xof::<u128, 3, P, R>(rds, out),
            (false, false) => self.rho_xof::<u128, LAMBDA_MAX, P, R>(rds, out),
        }
    }

    /// ρ_{k,b} for up to [`RHO_BLOCKS`] JL column blocks at once, block p's stream read from `rds[p]`
    /// into `out[p]` (the same values as [`Batch::rho`] per block; one four-row table serves them all).
    pub fn rho_blocks<R: XofReader>(&self, rds: &mut [R], out: &mut [[Rq<M>; LAMBDA_MAX]]) {
        self.rho_lanes::<RHO_BLOCKS, R>(rds, out);
    }

    /// [`Batch::rho`] with u128 accumulators (any q < 2^119).
    fn rho_u128(&self, rows: &[[i8; D]; JL_ROWS], out: &mut [Rq<M>; LAMBDA_MAX]) {
        let mut pos = [[0u128; D]; LAMBDA_MAX];
        let mut neg = [[0u128; D]; LAMBDA_MAX];
        let mut pm = [0u128; D];
        let mut nm = [0u128; D];
        for (i, row) in rows.iter().enumerate() {
            for ((p, n), &e) in pm.iter_mut().zip(nm.iter_mut()).zip(row.iter()) {
                *p = 0u128.wrapping_sub(u128::from(e == 1));
                *n = 0u128.wrapping_sub(u128::from(e == -1));
            }
            for k in 0..self.lambda {
                let m = M::to_u128(self.mu[k][i]);
                for (acc, &mask) in pos[k].iter_mut().zip(pm.iter()) {
                    *acc += m & mask;
                }
                for (acc, &mask) in neg[k].iter_mut().zip(nm.iter()) {
                    *acc += m & mask;
                }
            }
        }
        for (k, o) in out.iter_mut().enumerate().take(self.lambda) {
            for j in 0..D {
                o.0[j] = M::sub(M::from_u128(pos[k][j]), M::from_u128(neg[k][j]));
            }
        }
    }

    /// The transforms of σ(ρ_{k,b}) for every k (operands of the NTT-domain sums, `zk::nttacc`), for JL
    /// column block b read from its XOF.
    pub fn sigma_rho_ntt(&self, jl_seed: &[u8; 32], b: usize, out: &mut [NttR<M>; LAMBDA_MAX]) {
        self.sigma_rho_ntt_from(&mut jl_reader(jl_seed, b), out);
    }

    /// [`Batch::sigma_rho_ntt`] from the block's JL bytes read through `rd` (the XOF itself, or a copy of
    /// its output the prover kept from the projection, `derive::SliceXof`).
    pub fn sigma_rho_ntt_from<R: XofReader>(&self, rd: &mut R, out: &mut [NttR<M>; LAMBDA_MAX]) {
        let mut rho = [[Rq::<M>::zero(); LAMBDA_MAX]; 1];
        self.rho_lanes::<1, R>(core::slice::from_mut(rd), &mut rho);
        for k in 0..self.lambda {
            out[k] = NttR::from_rq(&rho[0][k]).sigma();
        }
    }

    /// J̃ = Σ_k γ_k·P_k from the per-k sums P_k = Σ_b σ(ρ_{k,b})·x_b (= Σ_b ρ̃_b·x_b).
    #[allow(
        clippy::needless_range_loop,
        reason = "walks parallel arrays in lockstep"
    )]
    pub fn combine_jl(&self, p: &[Rq<M>; LAMBDA_MAX]) -> Rq<M> {
        let mut acc = Rq::zero();
        for k in 0..self.lambda {
            acc.mul_acc(&self.gamma[k], &p[k]);
        }
        acc
    }

    /// ρ̃_b = Σ_k γ_k·σ(ρ_{k,b}).
    #[allow(
        clippy::needless_range_loop,
        reason = "walks parallel arrays in lockstep"
    )]
    pub fn rho_combined(&self, rho: &[Rq<M>; LAMBDA_MAX]) -> Rq<M> {
        let mut acc = Rq::zero();
        for k in 0..self.lambda {
            acc.mul_acc(&self.gamma[k], &rho[k].sigma());
        }
        acc
    }
}

/// A wrapping accumulator lane of [`Batch::rho_xof`] holding a signed sum in two's complement.
trait Lane: Copy {
    const ZERO: Self;
    /// A residue's canonical value (< 2^118, fits the lane for the moduli that use it).
    fn of(x: u128) -> Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    /// The signed value's residue mod q.
    fn residue<M: Modulus>(self) -> M::Coeff;
}

impl Lane for u64 {
    const ZERO: Self = 0;
    fn of(x: u128) -> Self {
        low_u64(x)
    }
    fn add(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
    fn sub(self, o: Self) -> Self {
        self.wrapping_sub(o)
    }
    fn residue<M: Modulus>(self) -> M::Coeff {
        M::from_i64(self.cast_signed())
    }
}

impl Lane for u128 {
    const ZERO: Self = 0;
    fn of(x: u128) -> Self {
        x
    }
    fn add(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
    fn sub(self, o: Self) -> Self {
        self.wrapping_sub(o)
    }
    fn residue<M: Modulus>(self) -> M::Coeff {
        // Negative sums (top bit set): −(|Σ| mod q) mod q. Public data, so the branch is fine.
        if self.cast_signed() < 0 {
            M::neg(M::from_u128(self.wrapping_neg()))
        } else {
            M::from_u128(self)
        }
    }
}

/// Openings of the BDLOP messages and of the slack vectors at one challenge value.
#[derive(Clone, Copy)]
pub struct Openings<M: Modulus> {
    /// y3 as Y3_BLOCKS ring elements (JL rows 128t..128t+127 in block t).
    pub y3: [Rq<M>; Y3_BLOCKS],
    /// β3.
    pub beta: Rq<M>,
    /// g_1..g_λ.
    pub g: [Rq<M>; LAMBDA_MAX],
    /// υ_m, υ_u, υ_2, υ_1.
    pub ups: [Rq<M>; GROUPS],
}

impl<M: Modulus> Default for Openings<M> {
    fn default() -> Self {
        Self {
            y3: [Rq::zero(); Y3_BLOCKS],
            beta: Rq::zero(),
            g: [Rq::zero(); LAMBDA_MAX],
            ups: [Rq::zero(); GROUPS],
        }
    }
}

/// Public values every evaluation needs.
pub struct Publics<'a, M: Modulus> {
    /// The layout (bounds, slack bits).
    pub lay: &'a Layout,
    /// z3 as residues.
    pub z3: &'a [M::Coeff; JL_ROWS],
    /// h_1..h_λ.
    pub h: &'a [Rq<M>; LAMBDA_MAX],
}

/// pw_g = Σ_{j<ℓ} 2^j·Y^j.
fn weight_poly<M: Modulus>(bits: usize) -> Rq<M> {
    let mut r = Rq::zero();
    for j in 0..bits {
        r.0[j] = M::from_u128(1u128 << j);
    }
    r
}

/// 1⃗ = Σ_{j<d} Y^j.
fn ones<M: Modulus>() -> Rq<M> {
    Rq([M::from_i64(1); D])
}

/// F̃_k without its JL term (PROTOCOL §6 step 3 table, homogenised at challenge c):
/// c²⟨μ^JL, z3⟩ − c·Σ_t σ(μ^(t))·f_y3,t + Σ_g μ_g·(N_g + c·σ(pw_g)·υ_g − c²·B_g²)
/// + μ_bin·Σ_g (c·σ(υ_g)·1⃗ − σ(υ_g)·υ_g) + c·σ(p)·f_β + μ_β·(σ(f_β)·f_β − c²).
#[allow(
    clippy::needless_range_loop,
    reason = "walks parallel arrays in lockstep"
)]
pub fn f_k_without_jl<M: Modulus>(
    batch: &Batch<M>,
    k: usize,
    pubs: &Publics<'_, M>,
    c: &Rq<M>,
    op: &Openings<M>,
    norms: &[Rq<M>; GROUPS],
) -> Rq<M> {
    let mu = &batch.mu[k];
    let c2 = c.mul(c);
    let mut ip = M::zero();
    for i in 0..JL_ROWS {
        ip = M::add(ip, M::mul(mu[i], pubs.z3[i]));
    }
    let mut acc = c2.scale(ip);
    let mut lin = Rq::zero();
    for t in 0..Y3_BLOCKS {
        lin.mul_acc(&batch.mu_jl_poly(k, t).sigma(), &op.y3[t]);
    }
    acc = acc.sub(&c.mul(&lin));
    let one = ones::<M>();
    let mut bin = Rq::zero();
    for g in 0..GROUPS {
        let pw = weight_poly::<M>(pubs.lay.bits(g));
        let ups_s = op.ups[g].sigma();
        let mut term = norms[g].add(&c.mul(&pw.sigma().mul(&op.ups[g])));
        term = term.sub(&c2.scale(M::from_u128(pubs.lay.bound_sq[g])));
        acc.add_assign(&term.scale(mu[MU_NORM + g]));
        bin.add_assign(&c.mul(&ups_s.mul(&one)).sub(&ups_s.mul(&op.ups[g])));
    }
    acc.add_assign(&bin.scale(mu[MU_BIN]));
    acc.add_assign(&c.mul(&batch.beta_poly(k).sigma().mul(&op.beta)));
    let sq = op.beta.sigma().mul(&op.beta).sub(&c2);
    acc.add_assign(&sq.scale(mu[MU_BETA_SQ]));
    acc
}

/// F̃(c) = Σ_k γ_k·(c²·h_k − c·f_{g_k} − F̃_k^{noJL}(c)) + f_β·J̃(c), with J̃(c) = Σ_b ρ̃_b·s3_b(c).
pub fn f_tilde<M: Modulus>(
    batch: &Batch<M>,
    pubs: &Publics<'_, M>,
    c: &Rq<M>,
    op: &Openings<M>,
    norms: &[Rq<M>; GROUPS],
    jl: &Rq<M>,
) -> Rq<M> {
    let c2 = c.mul(c);
    let mut acc = op.beta.mul(jl);
    for k in 0..batch.lambda {
        let fk = f_k_without_jl(batch, k, pubs, c, op, norms);
        let inner = c2.mul(&pubs.h[k]).sub(&c.mul(&op.g[k])).sub(&fk);
        acc.mul_acc(&batch.gamma[k], &inner);
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::{Q44, Q86};
    use crate::zk::derive::jl_block;

    /// The XOF paths of ρ (the four-row table for q < 2^54, the masked u128 sums above) equal the
    /// reference [`Batch::rho`] over the expanded rows, for every k and several blocks.
    fn xof_rho_matches_rows<M: Modulus>(lambda: usize) {
        let batch = Batch::<M>::from_mu_seed(lambda, &[9; 32]);
        let seed = [4u8; 32];
        let mut rows = [[0i8; D]; JL_ROWS];
        for b in [0usize, 7, 1000] {
            jl_block(&seed, b, &mut rows);
            let mut want = [Rq::<M>::zero(); LAMBDA_MAX];
            batch.rho(&rows, &mut want);
            let mut got: [NttR<M>; LAMBDA_MAX] = core::array::from_fn(|_| NttR::zero());
            batch.sigma_rho_ntt(&seed, b, &mut got);
            for k in 0..lambda {
                assert!(got[k].sigma().to_rq() == want[k], "block {b}, k {k}");
            }
        }
    }

    /// [`Batch::rho_blocks`] over 1..=RHO_BLOCKS streams at once gives each block's reference ρ.
    fn blocks_rho_matches_rows<M: Modulus>(lambda: usize) {
        let batch = Batch::<M>::from_mu_seed(lambda, &[3; 32]);
        let seed = [6u8; 32];
        let mut rows = [[0i8; D]; JL_ROWS];
        for n in 1..=RHO_BLOCKS {
            let first = 5 * n;
            let mut rds: [_; RHO_BLOCKS] = core::array::from_fn(|p| jl_reader(&seed, first + p));
            let mut got = [[Rq::<M>::zero(); LAMBDA_MAX]; RHO_BLOCKS];
            batch.rho_blocks(&mut rds[..n], &mut got[..n]);
            for (p, got_p) in got.iter().enumerate().take(n) {
                jl_block(&seed, first + p, &mut rows);
                let mut want = [Rq::<M>::zero(); LAMBDA_MAX];
                batch.rho(&rows, &mut want);
                for k in 0..lambda {
                    assert!(got_p[k] == want[k], "{n} blocks, block {p}, k {k}");
                }
            }
        }
    }

    #[test]
    fn rho_from_the_xof_matches_the_reference() {
        xof_rho_matches_rows::<Q44>(5);
        xof_rho_matches_rows::<Q86>(3);
        xof_rho_matches_rows::<Q44>(3);
        xof_rho_matches_rows::<Q86>(5);
    }

    #[test]
    fn rho_of_several_blocks_matches_the_reference() {
        blocks_rho_matches_rows::<Q44>(5);
        blocks_rho_matches_rows::<Q86>(3);
        blocks_rho_matches_rows::<Q44>(2);
    }
}
