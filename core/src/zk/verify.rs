//! The verifier of docs/PROTOCOL.md §6.1 (checks V1–V8). One pass over the proof bytes: z1 is decoded
//! block by block and used at once for w' = A1·z1 + A2·z2 − c·t_A and for the homogenised relation F̃(c).
//! Its memory does not depend on the number of chunks.

use super::codec::{RiceCode, RiceReader};
use super::derive::{challenge_from_seed, jl_reader};
use super::eval::{Batch, Openings, Publics, RHO_BLOCKS, f_tilde};
use super::layout::{Group, Layout};
use super::nttacc::NttR;
use super::params::{
    D, GROUPS, JL_HALF, JL_ROWS, KMSIS_MAX, LAMBDA_MAX, M2_MAX, Y3_BLOCKS, ZkParams,
};
use super::proof::{Messages, ProofError};
use super::public::{A1Acc, A1Table, ROW_BETA, ROW_G, ROW_Y3, a1_column_acc, a2_acc, b_row, row_t};
use super::ringmul::{mul_public_short, psi_block, psi_block_i64, psi_inv_block_i64};
use super::rq::Rq;
use super::schedule;
use super::statement::{Context, Relation, Statement};
use super::transcript::Transcript;
use crate::arith::Modulus;

/// Verifier bound on ‖z‖² for one width class: ⌊(1.1·σ)²·dim⌋ (V4).
#[must_use]
#[allow(
    clippy::integer_division_remainder_used,
    reason = "a public bound of public σ and dimension"
)]
pub const fn z_bound_sq(sigma: u64, dim: usize) -> u128 {
    121 * (sigma as u128) * (sigma as u128) * (dim as u128) / 100
}

mod switches {
    /// Switches that disable one verifier check each, for the mutation check and for showing that a
    /// forger succeeds against a broken verifier (all false in [`super::verify`]). Public only with the
    /// `attack-sim` feature, which only the forgers' crate enables (`scripts/attack-sim-check.sh`).
    // One switch per check, each independent: a bool per check is the point (not a state machine).
    #[allow(clippy::struct_excessive_bools)]
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Disable {
        /// V2 (ct(h_k) = 0).
        pub v2_h: bool,
        /// V3 (‖z3‖ bound).
        pub v3_z3: bool,
        /// V4 (‖z‖ bounds).
        pub v4_z: bool,
        /// V6: use w' = 0 instead of A1·z1 + A2·z2 − c·t_A.
        pub v6_commit: bool,
        /// V6 with the version-1 matrix A2 = [I_n | 0 | A2'], which leaves the BDLOP messages unbound.
        pub v6_unbound_messages: bool,
        /// V7: use v' = 0 instead of the quadratic evaluation.
        pub v7_quad: bool,
        /// V8 (challenge seed comparison).
        pub v8_challenge: bool,
        /// V1 for z: a deliberately broken z decoder (`RiceReader::lax`: no length range, zeros past
        /// the end, no class bound, padding and trailing bytes ignored), for the codec forgers.
        pub lax_z_codec: bool,
    }
}
#[cfg(any(test, feature = "attack-sim"))]
pub use switches::Disable;
#[cfg(not(any(test, feature = "attack-sim")))]
use switches::Disable;

/// Verifies `proof` for `stmt` in context `ctx`.
pub fn verify<P: ZkParams, const N: usize>(
    stmt: &Statement<'_, P::M, N>,
    ctx: &Context,
    proof: &[u8],
) -> Result<(), ProofError> {
    verify_checks::<P, N>(stmt, ctx, proof, None, Disable::default(), None)
}

/// The verifier for a relation of the norm proof's shape that states its own layout, Δ, CRS id and
/// transcript start (the threshold share proof, docs/THRESHOLD.md §6.2; see `prove::prove_relation`). The
/// caller computes every public input itself; the proof's length is checked against `rel.layout`.
pub fn verify_relation<P: ZkParams, const N: usize>(
    stmt: &Statement<'_, P::M, N>,
    rel: &Relation<P::M>,
    start: &Transcript,
    proof: &[u8],
) -> Result<(), ProofError> {
    verify_checks::<P, N>(
        stmt,
        &NO_CONTEXT,
        proof,
        None,
        Disable::default(),
        Some((rel, start)),
    )
}

/// [`verify_relation`] with checks switched off (broken-verifier demonstrations only).
#[cfg(any(test, feature = "attack-sim"))]
pub fn verify_relation_with<P: ZkParams, const N: usize>(
    stmt: &Statement<'_, P::M, N>,
    rel: &Relation<P::M>,
    start: &Transcript,
    proof: &[u8],
    dis: Disable,
) -> Result<(), ProofError> {
    super::attack_sim_linked();
    verify_checks::<P, N>(stmt, &NO_CONTEXT, proof, None, dis, Some((rel, start)))
}

/// The context a relation with its own transcript start ignores.
const NO_CONTEXT: Context = Context {
    round: 0,
    clinic: 0,
};

/// [`verify`] with A1 taken from a pre-expanded table (`public::A1Table`, per parameter set: one table
/// serves every submission of a round). The same checks on the same values, so the same verdict.
pub fn verify_with_table<P: ZkParams, const N: usize>(
    stmt: &Statement<'_, P::M, N>,
    ctx: &Context,
    proof: &[u8],
    a1: &A1Table<'_, P::M>,
) -> Result<(), ProofError> {
    verify_checks::<P, N>(stmt, ctx, proof, Some(a1), Disable::default(), None)
}

/// [`verify`] with checks switched off (mutation checks and broken-verifier demonstrations only).
#[cfg(any(test, feature = "attack-sim"))]
pub fn verify_with<P: ZkParams, const N: usize>(
    stmt: &Statement<'_, P::M, N>,
    ctx: &Context,
    proof: &[u8],
    dis: Disable,
) -> Result<(), ProofError> {
    super::attack_sim_linked();
    verify_checks::<P, N>(stmt, ctx, proof, None, dis, None)
}

/// The checks V1–V8, each unless `dis` switches it off.
#[allow(
    clippy::needless_range_loop,
    reason = "walks parallel arrays in lockstep"
)]
fn verify_checks<P: ZkParams, const N: usize>(
    stmt: &Statement<'_, P::M, N>,
    ctx: &Context,
    proof: &[u8],
    a1: Option<&A1Table<'_, P::M>>,
    dis: Disable,
    other: Option<(&Relation<P::M>, &Transcript)>,
) -> Result<(), ProofError> {
    const { assert!(N == P::N) };
    let rel = relation_for::<P, N>(stmt, other.map(|(r, _)| r))?;
    let lay = rel.layout;
    // V1: strict decoding of the fixed part.
    let hd = if dis.lax_z_codec {
        Messages::<P::M>::decode_fixed::<P>(&lay, proof)?
    } else {
        Messages::<P::M>::decode::<P>(&lay, proof)?
    };
    check_h_and_z3(&hd, &lay, dis)?;
    // V5: replay the transcript (the one schedule the prover follows too).
    let start = match other {
        Some((_, t)) => t.clone(),
        None => stmt.transcript::<P>(ctx),
    };
    let fs = schedule::Commit::new(start).t_a(&hd.t_a[..lay.zk.kmsis]);
    let (jl_seed, fs) = fs.jl_seed(&hd.t_y, &hd.t_b);
    let (mu_seed, fs) = fs.z3(&hd.z3).mu_seed(&hd.t_g[..lay.zk.lambda]);
    let mut batch = Batch::<P::M>::from_mu_seed(lay.zk.lambda, &mu_seed);
    let (gamma_seed, fs) = fs.gamma_seed(&hd.h[..lay.zk.lambda]);
    batch.set_gamma(&gamma_seed);
    let c_int = challenge_from_seed(&hd.c_seed);
    let c = Rq::<P::M>::from_i64(&c_int);
    // One pass over z1, z2: V1 (canonical), V4 (norms), V6 (w'), F̃ accumulators.
    let pass = z_pass::<P, N>(stmt, &rel, proof, &c, (&batch, &jl_seed), a1, dis)?;
    if !dis.v4_z
        && (pass.z_sq[0] > z_bound_sq(lay.zk.sigma_m, lay.dim_m())
            || pass.z_sq[1] > z_bound_sq(lay.zk.sigma_s, lay.dim_s()))
    {
        return Err(ProofError::ZNorm);
    }
    let set = rel.crs;
    let mut w = pass.w;
    a2_v6::<P::M>(set, &lay, &pass.z2, &mut w, dis);
    for r in 0..lay.zk.kmsis {
        w[r] = w[r].sub(&c.mul(&hd.t_a[r]));
    }
    if dis.v6_commit {
        w = [Rq::zero(); KMSIS_MAX];
    }
    let mut v = v7_residual(set, &lay, &hd, &c, &batch, &pass);
    if dis.v7_quad {
        v = Rq::zero();
    }
    // V8: the challenge seed must be the hash of everything, including w' and v'.
    let seed = fs.c_seed(&w[..lay.zk.kmsis], &hd.t_t, &v);
    if !dis.v8_challenge && seed != hd.c_seed {
        return Err(ProofError::Challenge);
    }
    Ok(())
}

/// The relation of `stmt`: the one given (a round verifier's, shared by its statements) if it fits the
/// statement's chunk count and the proof's arrays, else derived from the statement.
fn relation_for<P: ZkParams, const N: usize>(
    stmt: &Statement<'_, P::M, N>,
    given: Option<&Relation<P::M>>,
) -> Result<Relation<P::M>, ProofError> {
    match given {
        Some(r)
            if stmt.pk_b.len() == r.layout.l
                && stmt.c0.len() == r.layout.l
                && super::params::fits_arrays(&r.layout.zk) =>
        {
            Ok(*r)
        }
        Some(_) => Err(ProofError::Statement),
        None => stmt.relation::<P>(),
    }
}

/// V2 (ct(h_k) = 0) and V3 (‖z3‖² bound on each 256-row projection: one JL-lemma application each,
/// PROTOCOL §7.1 step 4), on the decoded fixed part.
fn check_h_and_z3<M: Modulus>(
    hd: &Messages<M>,
    lay: &Layout,
    dis: Disable,
) -> Result<(), ProofError> {
    if !dis.v2_h && hd.h.iter().take(lay.zk.lambda).any(|h| h.ct() != M::zero()) {
        return Err(ProofError::HConstant);
    }
    let z3_too_long = hd.z3.chunks_exact(JL_HALF).any(|half| {
        half.iter()
            .map(|&x| (i128::from(x) * i128::from(x)).cast_unsigned()) // a square: non-negative
            .sum::<u128>()
            > lay.zk.z3_bound_sq
    });
    if !dis.v3_z3 && z3_too_long {
        return Err(ProofError::Z3Norm);
    }
    Ok(())
}

/// V7's v' = F̃(c) − (c·t_t − b_t·z2), with the openings f_j = c·t_j − b_j·z2.
fn v7_residual<M: Modulus>(
    set: u8,
    lay: &Layout,
    hd: &Messages<M>,
    c: &Rq<M>,
    batch: &Batch<M>,
    pass: &ZPass<M>,
) -> Rq<M> {
    let open = |row: usize, t: &Rq<M>| c.mul(t).sub(&b_row(set, lay, row, &pass.z2));
    let mut op = Openings::<M>::default();
    for t in 0..Y3_BLOCKS {
        op.y3[t] = open(ROW_Y3 + t, &hd.t_y[t]);
    }
    op.beta = open(ROW_BETA, &hd.t_b);
    for k in 0..lay.zk.lambda {
        op.g[k] = open(ROW_G + k, &hd.t_g[k]);
    }
    op.ups = pass.ups;
    let z3q: [M::Coeff; JL_ROWS] = core::array::from_fn(|i| M::from_i64(hd.z3[i]));
    let pubs = Publics {
        lay,
        z3: &z3q,
        h: &hd.h,
    };
    let ft = f_tilde(batch, &pubs, c, &op, &pass.norms, &pass.jl);
    ft.sub(&open(row_t(lay.zk.lambda), &hd.t_t))
}

/// w += A2·z2 (V6); the version-1 A2 only when a broken verifier is being demonstrated.
fn a2_v6<M: Modulus>(
    set: u8,
    lay: &Layout,
    z2: &[Rq<M>; M2_MAX],
    w: &mut [Rq<M>; KMSIS_MAX],
    dis: Disable,
) {
    #[cfg(any(test, feature = "attack-sim"))]
    if dis.v6_unbound_messages {
        super::public::a2_acc_unbound::<M>(set, lay, z2, w);
        return;
    }
    // Without `attack-sim` nothing can set the switch (the struct is private then).
    #[cfg(not(any(test, feature = "attack-sim")))]
    debug_assert!(!dis.v6_unbound_messages);
    a2_acc::<M>(set, lay, z2, w);
}

/// Results of the z pass.
struct ZPass<M: Modulus> {
    z_sq: [u128; 2],
    w: [Rq<M>; KMSIS_MAX],
    z2: [Rq<M>; M2_MAX],
    ups: [Rq<M>; GROUPS],
    norms: [Rq<M>; GROUPS],
    jl: Rq<M>,
}

/// The z decoder: strict, unless the forgers' switch asks for the broken one.
fn lax_or_strict(bytes: &[u8], dis: Disable) -> RiceReader<'_> {
    #[cfg(any(test, feature = "attack-sim"))]
    if dis.lax_z_codec {
        return RiceReader::lax(bytes);
    }
    let _ = dis;
    RiceReader::new(bytes)
}

fn read_block(
    rd: &mut RiceReader<'_>,
    code: &RiceCode,
    out: &mut [i64; D],
    sq: &mut u128,
) -> Result<(), ProofError> {
    for x in out.iter_mut() {
        *x = rd.next_value(code)?;
        *sq += (i128::from(*x) * i128::from(*x)).cast_unsigned(); // a square: non-negative
    }
    Ok(())
}

/// JL and norm accumulation over the s3 block openings `x` (shared shape with the prover's pass), in
/// RNS-NTT form: per block one transform of x and λ of σ(ρ_k), one inverse per sum at the end. Blocks
/// wait in `pending` until [`RHO_BLOCKS`] of them can share one ρ table (`Batch::rho_blocks`); the sums
/// are the same (modular additions, in the same order).
struct Acc<'a, M: Modulus> {
    batch: &'a Batch<M>,
    jl_seed: &'a [u8; 32],
    pending: [(usize, NttR<M>); RHO_BLOCKS],
    waiting: usize,
    norms: [NttR<M>; GROUPS],
    jl: [NttR<M>; LAMBDA_MAX],
}

impl<'a, M: Modulus> Acc<'a, M> {
    fn new(batch: &'a Batch<M>, jl_seed: &'a [u8; 32]) -> Self {
        Self {
            batch,
            jl_seed,
            pending: core::array::from_fn(|_| (0, NttR::zero())),
            waiting: 0,
            norms: core::array::from_fn(|_| NttR::zero()),
            jl: core::array::from_fn(|_| NttR::zero()),
        }
    }

    fn add(&mut self, b: usize, g: Option<Group>, x: &Rq<M>) {
        let nx = NttR::from_rq(x);
        if let Some(g) = g {
            self.norms[g.index()].mul_acc(&nx.sigma(), &nx);
        }
        self.pending[self.waiting] = (b, nx);
        self.waiting += 1;
        if self.waiting == RHO_BLOCKS {
            self.flush();
        }
    }

    /// P_k += σ(ρ_{k,b})·x_b for the waiting blocks, in the order they came.
    #[allow(
        clippy::needless_range_loop,
        reason = "walks parallel arrays in lockstep"
    )]
    fn flush(&mut self) {
        let n = self.waiting;
        if n == 0 {
            return;
        }
        let mut rds: [_; RHO_BLOCKS] =
            core::array::from_fn(|p| jl_reader(self.jl_seed, self.pending[p.min(n - 1)].0));
        let mut rho = [[Rq::<M>::zero(); LAMBDA_MAX]; RHO_BLOCKS];
        self.batch.rho_blocks(&mut rds[..n], &mut rho[..n]);
        for (rho, (_, nx)) in rho.iter().zip(self.pending.iter()).take(n) {
            for k in 0..self.batch.lambda {
                self.jl[k].mul_acc(&NttR::from_rq(&rho[k]).sigma(), nx);
            }
        }
        self.waiting = 0;
    }

    /// (N_g)_g and J̃ mod q.
    fn finish(&mut self) -> ([Rq<M>; GROUPS], Rq<M>) {
        self.flush();
        let norms = core::array::from_fn(|g| self.norms[g].to_rq());
        let p: [Rq<M>; LAMBDA_MAX] = core::array::from_fn(|k| {
            if k < self.batch.lambda {
                self.jl[k].to_rq()
            } else {
                Rq::zero()
            }
        });
        (norms, self.batch.combine_jl(&p))
    }
}

/// The z pass (V1 canonical decoding, V4 norms, V6's A1·z1, the F̃ accumulators), in proof order: the u
/// blocks, e2(z), each chunk's m and e1 blocks, the υ blocks, then z2. One block of z lives at a time.
fn z_pass<P: ZkParams, const N: usize>(
    stmt: &Statement<'_, P::M, N>,
    rel: &Relation<P::M>,
    proof: &[u8],
    c: &Rq<P::M>,
    (batch, jl_seed): (&Batch<P::M>, &[u8; 32]),
    a1_table: Option<&A1Table<'_, P::M>>,
    dis: Disable,
) -> Result<ZPass<P::M>, ProofError> {
    let z_bytes = proof
        .get(rel.layout.off_z1u()..)
        .ok_or(ProofError::Length)?;
    let mut zr = ZReader::new(rel, lax_or_strict(z_bytes, dis), a1_table, batch, jl_seed);
    let mut zu = [0i64; N];
    zr.u_blocks(&mut zu)?;
    // Scratch for the products a·z_u and b_j·z_u.
    let mut prod = [<P::M as Modulus>::zero(); N];
    zr.e2_blocks(stmt, c, &zu, &mut prod);
    for j in 0..rel.layout.l {
        zr.chunk(stmt, c, &zu, j, &mut prod)?;
    }
    zr.finish()
}

/// The z pass's running state: the decoder of z1 and z2, ‖z‖² per width class, A1·z1 (V6) and the F̃
/// accumulators.
struct ZReader<'a, 't, M: Modulus> {
    rel: &'a Relation<M>,
    rd: RiceReader<'a>,
    /// The Rice codes of the m-width blocks (index 0) and of the s-width ones (index 1).
    codes: [RiceCode; 2],
    /// ‖z‖² of the m-width blocks (index 0) and of the s-width ones (index 1), V4.
    z_sq: [u128; 2],
    a1: A1Acc<'t, M>,
    acc: Acc<'a, M>,
    /// The block just read.
    blk: [i64; D],
}

impl<'a, 't, M: Modulus> ZReader<'a, 't, M> {
    fn new(
        rel: &'a Relation<M>,
        rd: RiceReader<'a>,
        a1_table: Option<&'t A1Table<'t, M>>,
        batch: &'a Batch<M>,
        jl_seed: &'a [u8; 32],
    ) -> Self {
        let zk = &rel.layout.zk;
        Self {
            rel,
            rd,
            codes: [rel.layout.code_m(), rel.layout.code_s()],
            z_sq: [0; 2],
            // Every column takes a z1 block decoded from a wm- or ws-bit field (|z| < 2^(w−1)): fewer
            // primes stay exact.
            a1: A1Acc::for_short(rel.layout.m1(), zk.wm.max(zk.ws)).with_table(a1_table),
            acc: Acc::new(batch, jl_seed),
            blk: [0; D],
        }
    }

    /// Decodes the next z1/z2 block into `blk` (m width when `m`, else s width) and adds it to ‖z‖².
    fn read(&mut self, m: bool) -> Result<(), ProofError> {
        let class = usize::from(!m);
        read_block(
            &mut self.rd,
            &self.codes[class],
            &mut self.blk,
            &mut self.z_sq[class],
        )
    }

    /// Adds the block just read, as column `col` of A1, to A1·z1.
    fn a1_column(&mut self, col: usize, x: &Rq<M>) {
        a1_column_acc::<M>(self.rel.crs, &self.rel.layout, col, x, &mut self.a1);
    }

    /// The u blocks: z_u (gathered into `zu` for the products below), A1 columns, F̃ (group U).
    fn u_blocks<const N: usize>(&mut self, zu: &mut [i64; N]) -> Result<(), ProofError> {
        for i in 0..self.rel.layout.k {
            self.read(false)?;
            psi_inv_block_i64(&self.blk, i, zu);
            let x = Rq::<M>::from_i64(&self.blk);
            self.a1_column(i, &x);
            self.acc.add(self.rel.layout.s3_u(i), Some(Group::U), &x);
        }
        Ok(())
    }

    /// e2(z) = c·ψ(c1) − ψ(a·z_u), into F̃ (group E2).
    fn e2_blocks<const N: usize>(
        &mut self,
        stmt: &Statement<'_, M, N>,
        c: &Rq<M>,
        zu: &[i64; N],
        prod: &mut [M::Coeff; N],
    ) {
        mul_public_short::<M, N>(stmt.pk_a, zu, prod);
        for i in 0..self.rel.layout.k {
            let x = c
                .mul(&psi_block::<M, N>(stmt.c1, i))
                .sub(&psi_block::<M, N>(prod, i));
            self.acc.add(self.rel.layout.s3_e2(i), Some(Group::E2), &x);
        }
    }

    /// Chunk j: its z_m blocks (A1 columns), then e1_j(z) = c·ψ(c0_j) − ψ(b_j·z_u) − Δ·z_{m_j} (group E1)
    /// and m_j(z) = z_{m_j} (group M) into F̃.
    fn chunk<const N: usize>(
        &mut self,
        stmt: &Statement<'_, M, N>,
        c: &Rq<M>,
        zu: &[i64; N],
        j: usize,
        prod: &mut [M::Coeff; N],
    ) -> Result<(), ProofError> {
        let mut zm = [0i64; N];
        for i in 0..self.rel.layout.k {
            self.read(true)?;
            psi_inv_block_i64(&self.blk, i, &mut zm);
            let x = Rq::from_i64(&self.blk);
            self.a1_column(self.rel.layout.s1_m(j, i), &x);
        }
        let (Some(b), Some(c0)) = (stmt.pk_b.get(j), stmt.c0.get(j)) else {
            return Err(ProofError::Statement);
        };
        mul_public_short::<M, N>(b, zu, prod);
        let lay = &self.rel.layout;
        for i in 0..lay.k {
            psi_block_i64(&zm, i, &mut self.blk);
            let zmr = Rq::<M>::from_i64(&self.blk);
            let x = c
                .mul(&psi_block::<M, N>(c0, i))
                .sub(&psi_block::<M, N>(prod, i))
                .sub(&zmr.scale(self.rel.delta));
            self.acc.add(lay.s3_e1(j, i), Some(Group::E1), &x);
        }
        for i in 0..lay.k {
            psi_block_i64(&zm, i, &mut self.blk);
            self.acc
                .add(lay.s3_m(j, i), Some(Group::M), &Rq::from_i64(&self.blk));
        }
        Ok(())
    }

    /// The υ blocks (A1 columns, F̃ without a norm group) and z2, then the end of the code and the sums.
    fn finish(mut self) -> Result<ZPass<M>, ProofError> {
        let lay = &self.rel.layout;
        let mut ups = [Rq::<M>::zero(); GROUPS];
        for (g, up) in ups.iter_mut().enumerate() {
            self.read(false)?;
            *up = Rq::from_i64(&self.blk);
            self.a1_column(lay.s1_ups(g), up);
            self.acc.add(lay.s3_ups(g), None, up);
        }
        let mut z2 = [Rq::<M>::zero(); M2_MAX];
        for z in z2.iter_mut().take(lay.zk.m2()) {
            self.read(false)?;
            *z = Rq::from_i64(&self.blk);
        }
        self.rd.finish()?;
        let (norms, jl) = self.acc.finish();
        Ok(ZPass {
            z_sq: self.z_sq,
            w: self.a1.finish(lay.zk.kmsis),
            z2,
            ups,
            norms,
            jl,
        })
    }
}

/// One submission of a round, as [`verify_round`] takes it.
pub struct Submission<'a, 's, M: Modulus, const N: usize> {
    /// The statement (the clinic's key, ciphertext and bound).
    pub stmt: &'a Statement<'s, M, N>,
    /// Round and clinic.
    pub ctx: Context,
    /// The proof bytes.
    pub proof: &'a [u8],
}

/// Verifies every submission of a round against one pre-expanded A1 (PROTOCOL §6.2): `verdicts[i]`
/// receives submission i's result, exactly what [`verify`] returns for it (the same checks on the same
/// values; nothing is combined across submissions, so one bad proof cannot hide in or spoil the others).
/// Returns the number accepted. With the `std` feature the submissions are split over `threads` scoped
/// threads (1 = this thread); verdicts do not depend on the split.
///
/// # Errors
/// [`ProofError::Statement`] if `verdicts` is shorter than `subs` (nothing is verified then).
pub fn verify_round<P: ZkParams, const N: usize>(
    subs: &[Submission<'_, '_, P::M, N>],
    a1: &A1Table<'_, P::M>,
    verdicts: &mut [Result<(), ProofError>],
    threads: usize,
) -> Result<usize, ProofError> {
    let verdicts = verdicts
        .get_mut(..subs.len())
        .ok_or(ProofError::Statement)?;
    let one =
        |s: &Submission<'_, '_, P::M, N>| verify_with_table::<P, N>(s.stmt, &s.ctx, s.proof, a1);
    #[cfg(feature = "std")]
    if threads > 1 && subs.len() > 1 {
        let per = subs.len().div_ceil(threads);
        let all_spawned = std::thread::scope(|sc| {
            subs.chunks(per)
                .zip(verdicts.chunks_mut(per))
                .all(|(ss, vs)| {
                    std::thread::Builder::new()
                        .stack_size(VERIFY_STACK)
                        .spawn_scoped(sc, move || {
                            for (s, v) in ss.iter().zip(vs.iter_mut()) {
                                *v = one(s);
                            }
                        })
                        .is_ok()
                })
        });
        // A thread that could not be spawned verified nothing: fall back to this thread for all.
        if all_spawned {
            return Ok(verdicts.iter().filter(|v| v.is_ok()).count());
        }
    }
    let _ = threads;
    for (s, v) in subs.iter().zip(verdicts.iter_mut()) {
        *v = one(s);
    }
    Ok(verdicts.iter().filter(|v| v.is_ok()).count())
}

/// Stack of a verifier thread of [`verify_round`] (set L needs more than the 2 MiB default).
#[cfg(feature = "std")]
const VERIFY_STACK: usize = 16 << 20;
