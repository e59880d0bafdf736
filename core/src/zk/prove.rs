//! The prover of docs/PROTOCOL.md §6, streaming: the update is read chunk by chunk through an
//! [`UpdateSource`] in every pass, masks are regenerated block by block from a secret seed, JL rows and public
//! matrix columns from XOFs. Its state (the types in this file) does not depend on the number of chunks.

use super::derive::{
    JL_BLOCK_BYTES, SliceXof, challenge_from_seed, jl_reader, jl_row, uniform_ring, xof256,
};
use super::eval::{Batch, Openings, Publics, f_k_without_jl, f_tilde};
use super::layout::{Group, Layout};
use super::nttacc::NttR;
use super::output::{Output, SliceOut, StagedBits, StoreOut, with_ring_bytes};
pub use super::output::{ProofStore, STORE_PIECE};
use super::params::{
    D, GROUPS, JL_HALF, JL_REPS, JL_ROWS, KMSIS_MAX, LAMBDA_MAX, M2_MAX, Y3_BLOCKS, ZkParams,
};
use super::proof::{BitWriter, header};
use super::public::{
    A1Acc, A1Table, ELL_MAX, ROW_BETA, ROW_G, ROW_Y3, a1_column_acc, a2_b_acc_streamed,
    mul_small_exact, row_t,
};
use super::ringmul::{
    blocks, mul_public_short_in_place, psi_block, psi_block_i64, psi_inv_block_i32,
};
use super::rq::Rq;
use super::sampling::{Masks, Width};
use super::schedule::{self, Seed};
use super::statement::{ChunkSource, ChunkedStatement, Context, Relation, Statement};
use super::transcript::Transcript;
use crate::arith::Modulus;
use crate::arith::cast::{low_i8, low_i64, low_u64};
use crate::arith::ct::{ct_rem, ct_sat_add};
use crate::ct::{declassify, declassify_bool};
use crate::ring::sample::{TRIT_BYTE_LIMIT, push_trits};
use rand_core::CryptoRng;
use shake::XofReader;
use subtle::{ConstantTimeEq, ConstantTimeGreater};
use zeroize::Zeroize;

/// Why the honest prover refused. No proof bytes are meaningful after an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProveError {
    /// The statement is malformed (chunk count, bound, slice sizes).
    Statement,
    /// The witness violates the bound of this group (e.g. ‖m‖² > B²): the relation is false.
    NormBound(Group),
    /// The output buffer is shorter than `Layout::prove_buf_len`.
    Buffer,
    /// The accepted z did not fit its code (never for a z within V4's bounds; a bug, not a retry).
    Encoding,
    /// The witness does not satisfy F(s) = 0 (inconsistent with the ciphertext); never for an honest witness.
    Inconsistent,
    /// No attempt was accepted within the attempt limit (probability < 2^−100 for honest inputs).
    TooManyAttempts,
    /// A [`ProofStore`] failed to write or read back (`prove_to_store`).
    Store,
}

/// Read access to the update, one chunk at a time (the chunk must be re-readable: passes read it again).
pub trait UpdateSource<const N: usize> {
    /// Writes chunk j (0-based) of the quantized update into `out`.
    fn chunk(&mut self, j: usize, out: &mut [i64; N]);
}

/// The in-memory update: the same prover over a slice.
pub struct SliceUpdate<'a, const N: usize>(pub &'a [[i64; N]]);

impl<const N: usize> UpdateSource<N> for SliceUpdate<'_, N> {
    fn chunk(&mut self, j: usize, out: &mut [i64; N]) {
        match self.0.get(j) {
            Some(c) => out.copy_from_slice(c),
            None => *out = [0; N],
        }
    }
}

/// Public facts about one proving run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProveStats {
    /// Proof length in bytes.
    pub len: usize,
    /// Attempts of the JL step (bimodal rejection), ≥ 1.
    pub jl_attempts: u32,
    /// Attempts of the final opening (standard rejection), ≥ 1.
    pub attempts: u32,
}

/// Upper bound on attempts before giving up (each attempt is accepted with probability ≥ 1/2.1).
pub const MAX_ATTEMPTS: u32 = 128;

mod switches {
    /// Switches that remove the honest prover's own checks, to build the cheating provers of the
    /// mutation tests and of the demos' attackers (all off in [`super::prove`]). Public only with the
    /// `attack-prover` feature. A cheating prover built from these still opens every commitment honestly:
    /// it cannot stand in for a forger (`tests/tests/zk_forgers.rs` builds those from the public
    /// equations).
    #[derive(Clone, Copy, Debug, Default)]
    pub struct Cheat {
        /// Skip the norm-bound refusal (slack is then computed modulo q, i.e. the bits of a wrapped value).
        pub skip_norm_checks: bool,
        /// Replace the slack bits of a group by this polynomial (arbitrary integers).
        pub forged_slack: Option<(usize, [i64; super::D])>,
        /// Skip the F(s) = 0 self-check.
        pub skip_consistency: bool,
    }
}
#[cfg(any(test, feature = "attack-prover"))]
pub use switches::Cheat;
#[cfg(not(any(test, feature = "attack-prover")))]
use switches::Cheat;

/// The witness: encryption randomness u (ternary) and the update through `m`.
pub struct Witness<'a, U, T = i64> {
    /// u, as i64 or in a narrower integer type (a device keeps the ternary u as i8: one byte per
    /// coefficient, docs/FIRMWARE.md).
    pub u: &'a [T],
    /// The update, chunk by chunk.
    pub m: U,
}

/// Secret per-proof state that is carried between passes (independent of L).
struct Secrets<M: Modulus> {
    masks: Masks,
    mask_seed: [u8; 32],
    ups: [[i64; D]; GROUPS],
    y3: [i64; JL_ROWS],
    beta: i64,
    g: [Rq<M>; LAMBDA_MAX],
}

impl<M: Modulus> Drop for Secrets<M> {
    fn drop(&mut self) {
        self.mask_seed.zeroize();
        for b in &mut self.ups {
            b.zeroize();
        }
        self.y3.zeroize();
        self.beta.zeroize();
    }
}

/// Per-chunk scratch of the prover (N-sized buffers, reused for every chunk): the update's chunk and e1
/// (or e2) as residues mod q.
struct Scratch<M: Modulus, const N: usize> {
    m: [i64; N],
    e1: [M::Coeff; N],
}

impl<M: Modulus, const N: usize> Drop for Scratch<M, N> {
    fn drop(&mut self) {
        self.m.zeroize();
        self.e1.zeroize();
    }
}

/// Produces a proof for `stmt` into `out` (at least `layout.prove_buf_len()` bytes) and returns its statistics;
/// the proof is `out[..stats.len]` (variable length, at most `layout.max_proof_len()`; the rest is zeroed).
/// Expands the public matrices from SHAKE wherever they are used (no memory beyond the fixed state).
pub fn prove<P: ZkParams, const N: usize, U: UpdateSource<N>, R: CryptoRng>(
    stmt: &Statement<'_, P::M, N>,
    ctx: &Context,
    wit: &mut Witness<'_, U>,
    rng: &mut R,
    out: &mut [u8],
) -> Result<ProveStats, ProveError> {
    prove_checked::<P, N, U, _, R, i64>(
        &stmt.chunked(),
        Start::Norm(ctx),
        wit,
        rng,
        SliceOut::new(out),
        ProverTables::none(),
        &Cheat::default(),
    )
}

/// The prover for a relation of the norm proof's shape that states its own layout, Δ, CRS id and
/// transcript start (`rel`, `start`): the threshold share proof (docs/THRESHOLD.md §6.2), which maps its
/// public values onto the statement's a, b_j, c1, c0_j (the statement's t and bound are not read). The
/// caller checks that the statement has `rel.layout.l` chunks of reduced coefficients; the proof bytes
/// follow the norm proof's wire format under `rel.layout`.
pub fn prove_relation<P: ZkParams, const N: usize, U: UpdateSource<N>, R: CryptoRng>(
    stmt: &Statement<'_, P::M, N>,
    rel: &Relation<P::M>,
    start: &Transcript,
    wit: &mut Witness<'_, U>,
    rng: &mut R,
    out: &mut [u8],
) -> Result<ProveStats, ProveError> {
    if stmt.pk_b.len() != rel.layout.l
        || stmt.c0.len() != rel.layout.l
        || !super::params::fits_arrays(&rel.layout.zk)
    {
        return Err(ProveError::Statement);
    }
    prove_checked::<P, N, U, _, R, i64>(
        &stmt.chunked(),
        Start::Relation(rel, start),
        wit,
        rng,
        SliceOut::new(out),
        ProverTables::none(),
        &Cheat::default(),
    )
}

/// [`prove`] over a statement whose key and ciphertext chunks are read through a [`ChunkSource`] (from
/// flash or host storage, one polynomial at a time): the same proof bytes as [`prove`] over the same
/// polynomials, without all 2L of them in memory (docs/FIRMWARE.md).
pub fn prove_chunked<P: ZkParams, const N: usize, S, U, R>(
    stmt: &ChunkedStatement<P::M, N, S>,
    ctx: &Context,
    wit: &mut Witness<'_, U>,
    rng: &mut R,
    out: &mut [u8],
) -> Result<ProveStats, ProveError>
where
    S: ChunkSource<P::M, N>,
    U: UpdateSource<N>,
    R: CryptoRng,
{
    prove_checked::<P, N, U, S, R, i64>(
        stmt,
        Start::Norm(ctx),
        wit,
        rng,
        SliceOut::new(out),
        ProverTables::none(),
        &Cheat::default(),
    )
}

/// [`prove_chunked`] with its output in a [`ProofStore`] instead of a buffer of `Layout::prove_buf_len()`
/// bytes: the staged z of each attempt goes to the store's scratch area (masked), and the proof is appended
/// to the store as it is encoded, so nothing the prover holds grows with L (docs/FIRMWARE.md). The proof
/// appended is byte for byte the one [`prove_chunked`] writes for the same inputs and randomness; its length
/// is `stats.len`.
pub fn prove_to_store<P: ZkParams, const N: usize, S, U, R, K, T>(
    stmt: &ChunkedStatement<P::M, N, S>,
    ctx: &Context,
    wit: &mut Witness<'_, U, T>,
    rng: &mut R,
    store: &mut K,
) -> Result<ProveStats, ProveError>
where
    S: ChunkSource<P::M, N>,
    U: UpdateSource<N>,
    R: CryptoRng,
    K: ProofStore,
    T: Copy + Into<i64>,
{
    prove_checked::<P, N, U, S, R, T>(
        stmt,
        Start::Norm(ctx),
        wit,
        rng,
        StoreOut {
            store,
            failed: false,
            fixed_failed: false,
        },
        ProverTables::none(),
        &Cheat::default(),
    )
}

/// [`prove`] with caller-provided memory for what does not depend on the attempt (PROTOCOL §10): the same
/// proof bytes for the same randomness, less SHAKE and fewer transforms per attempt.
pub fn prove_with_tables<P: ZkParams, const N: usize, U: UpdateSource<N>, R: CryptoRng>(
    stmt: &Statement<'_, P::M, N>,
    ctx: &Context,
    wit: &mut Witness<'_, U>,
    rng: &mut R,
    out: &mut [u8],
    tables: ProverTables<'_, P::M>,
) -> Result<ProveStats, ProveError> {
    prove_checked::<P, N, U, _, R, i64>(
        &stmt.chunked(),
        Start::Norm(ctx),
        wit,
        rng,
        SliceOut::new(out),
        tables,
        &Cheat::default(),
    )
}

/// [`prove_with_tables`] with tables on the heap built for this one proof (docs/PROTOCOL.md §10): A1 in NTT
/// form, the accepted JL matrix and the ρ sums are expanded once per proof instead of once per opening
/// attempt — the same proof bytes for the same randomness (`tables_leave_the_proof_bytes_unchanged`),
/// ≈ 35 % less prover time, for ≈ 75 MB (set S, the paper's model) of public data. What the clinic pipeline
/// and `zkfl bench` run; the no-heap [`prove`] is unchanged.
#[cfg(feature = "alloc")]
pub fn prove_lending_tables<P: ZkParams, const N: usize, U: UpdateSource<N>, R: CryptoRng>(
    stmt: &Statement<'_, P::M, N>,
    ctx: &Context,
    wit: &mut Witness<'_, U>,
    rng: &mut R,
    out: &mut [u8],
) -> Result<ProveStats, ProveError> {
    let lay = stmt.layout::<P>().map_err(|_| ProveError::Statement)?;
    let (n, cols) = (lay.zk.kmsis, lay.m1());
    let mut a1_buf = alloc::vec![0u32; A1Table::<P::M>::words(n, cols)];
    let a1 = A1Table::<P::M>::fill(P::ID, n, cols, &mut a1_buf);
    let mut jl = alloc::vec![0u8; ProverTables::<P::M>::jl_bytes(&lay)];
    let mut rho = alloc::vec![0u32; ProverTables::<P::M>::rho_words(&lay)];
    let tables = ProverTables {
        a1: a1.as_ref(),
        jl: Some(&mut jl),
        rho: Some(&mut rho),
    };
    prove_with_tables::<P, N, _, _>(stmt, ctx, wit, rng, out, tables)
}

/// Memory the caller may lend the prover so it expands public data once instead of once per attempt.
/// Every buffer is optional; one that is too short for the statement is ignored. Nothing stored here is
/// secret: A1 is the CRS, the JL bytes and ρ_k = R_bᵀμ_k come from public seeds.
pub struct ProverTables<'t, M: Modulus> {
    /// A1 in NTT form (per parameter set; shareable across proofs and with the verifier).
    pub a1: Option<&'t A1Table<'t, M>>,
    /// The accepted JL matrix as XOF bytes, [`ProverTables::jl_bytes`] long: the first opening pass reads
    /// it instead of squeezing the JL XOF again.
    pub jl: Option<&'t mut [u8]>,
    /// σ(ρ_{k,b}) in NTT form for every s3 block b and k < λ, [`ProverTables::rho_words`] long: computed by
    /// the first opening pass, read by the later ones.
    pub rho: Option<&'t mut [u32]>,
}

impl<M: Modulus> ProverTables<'_, M> {
    /// No tables: everything is expanded where it is used.
    #[must_use]
    pub const fn none() -> Self {
        Self {
            a1: None,
            jl: None,
            rho: None,
        }
    }

    /// Bytes of the JL buffer for a statement with this layout.
    #[must_use]
    pub const fn jl_bytes(lay: &Layout) -> usize {
        lay.s3_blocks() * JL_BLOCK_BYTES
    }

    /// Words of the ρ buffer for a statement with this layout.
    #[must_use]
    pub const fn rho_words(lay: &Layout) -> usize {
        lay.s3_blocks() * lay.zk.lambda * NttR::<M>::stored_words()
    }

    /// Drops buffers too short for `lay`.
    fn fit(self, lay: &Layout) -> Self {
        Self {
            a1: self.a1,
            jl: self.jl.filter(|b| b.len() >= Self::jl_bytes(lay)),
            rho: self.rho.filter(|b| b.len() >= Self::rho_words(lay)),
        }
    }
}

/// [`prove`] with its own checks switched off (`attack-prover` only: mutation tests, demo attackers).
#[cfg(any(test, feature = "attack-prover"))]
pub fn prove_with<P: ZkParams, const N: usize, U: UpdateSource<N>, R: CryptoRng>(
    stmt: &Statement<'_, P::M, N>,
    ctx: &Context,
    wit: &mut Witness<'_, U>,
    rng: &mut R,
    out: &mut [u8],
    cheat: Cheat,
) -> Result<ProveStats, ProveError> {
    prove_checked::<P, N, U, _, R, i64>(
        &stmt.chunked(),
        Start::Norm(ctx),
        wit,
        rng,
        SliceOut::new(out),
        ProverTables::none(),
        &cheat,
    )
}

/// Where the transcript starts and what the relation is: the norm proof's statement in a context, or a
/// relation of its shape with its own layout, Δ, CRS id and transcript start (`prove_relation`).
#[derive(Clone, Copy)]
enum Start<'r, M: Modulus> {
    Norm(&'r Context),
    Relation(&'r Relation<M>, &'r Transcript),
}

/// The prover, with the checks `cheat` leaves on: the protocol steps of PROTOCOL §6 in order, each one
/// method of [`Prover`], the transcript driven through [`schedule`]. Out of line: the prover's state then
/// never shares a frame with the caller's own buffers (a firmware's encryptor, say: docs/FIRMWARE.md).
#[inline(never)]
fn prove_checked<
    P: ZkParams,
    const N: usize,
    U: UpdateSource<N>,
    S: ChunkSource<P::M, N>,
    R: CryptoRng,
    T: Copy + Into<i64>,
>(
    stmt: &ChunkedStatement<P::M, N, S>,
    start: Start<'_, P::M>,
    wit: &mut Witness<'_, U, T>,
    rng: &mut R,
    mut out: impl Output,
    tables: ProverTables<'_, P::M>,
    cheat: &Cheat,
) -> Result<ProveStats, ProveError> {
    const { assert!(N == P::N) };
    let rel = match start {
        Start::Relation(r, _) => Some(r),
        Start::Norm(_) => None,
    };
    let (
        Relation {
            layout: lay,
            delta,
            crs,
        },
        masks,
    ) = Prover::<P, N, U, S, T>::checked(stmt, rel, wit.u.len(), out.room())?;
    let u = short_u::<N, T>(wit.u)?;
    // A struct expression, so that the state is built in place (see `Prover::checked`).
    let mut p = Prover::<P, N, U, S, T> {
        src: Source {
            stmt,
            lay,
            delta,
            crs,
            u,
            m: &mut wit.m,
            sc: Scratch {
                m: [0; N],
                e1: [P::M::zero(); N],
            },
        },
        sec: Secrets {
            masks,
            mask_seed: [0; 32],
            ups: [[0; D]; GROUPS],
            y3: [0; JL_ROWS],
            beta: 1,
            g: [Rq::zero(); LAMBDA_MAX],
        },
        s2: [[0; D]; M2_MAX],
        bs2_t: Rq::zero(),
        tab: ProverTables::none(),
        rho_ready: false,
        jl_seed: [0; 32],
        cheat: *cheat,
    };
    p.slack()?;
    p.tab = tables.fit(&p.src.lay);
    p.draw_secrets(rng);
    let mut msgs = Kept::<P::M> {
        z3: [0; JL_ROWS],
        h: [Rq::zero(); LAMBDA_MAX],
        t_t: Rq::zero(),
        c_seed: [0; 32],
    };
    out.fixed(&header::<P>(&p.src.lay));
    let start = match start {
        Start::Relation(_, t) => t.clone(),
        Start::Norm(ctx) => stmt.transcript::<P>(ctx),
    };
    let fs = p.commit(schedule::Commit::new(start), &mut out);
    let (jl_attempts, fs) = p.jl(&fs, &mut msgs, &mut out)?;
    let mut batch = Batch::<P::M>::empty();
    let fs = p.batch_mu(fs, rng, &msgs, &mut out, &mut batch);
    // h from the witness sums of a pass of their own (`witness_sums`); every attempt's pass then
    // accumulates only what depends on its masks.
    let mut att = Attempt::<P::M>::new();
    let fs = p.batch_h(fs, &mut batch, &mut att, &mut msgs, &mut out);
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        if attempts > MAX_ATTEMPTS {
            return Err(ProveError::TooManyAttempts);
        }
        let a = u64::from(attempts);
        p.masked_attempt(&mut att, &batch, a);
        let c = p.open(&fs, &att, a, &batch, &mut msgs)?;
        let lay = p.src.lay;
        let accepted = p.respond(&c, a, out.staged(&lay, &p.sec.mask_seed, a));
        out.check()?;
        if accepted {
            let len = out.accept(&lay, &msgs.t_t, &msgs.c_seed, &p.sec.mask_seed, a)?;
            let stats = ProveStats {
                len,
                jl_attempts,
                attempts,
            };
            declassify(&stats);
            return Ok(stats);
        }
    }
}

/// What every pass reads: the statement, its layout, u, the update (re-read chunk by chunk) and the
/// per-chunk scratch.
struct Source<'a, M: Modulus, const N: usize, U, S, T> {
    stmt: &'a ChunkedStatement<M, N, S>,
    lay: Layout,
    /// Δ of the relation (⌊q/t⌋ for the norm proof) and the CRS id of its matrices.
    delta: M::Coeff,
    crs: u8,
    /// u, the caller's (|u_i| < 2^23, checked by `short_u`): borrowed, not copied (the caller wipes it).
    u: &'a [T; N],
    m: &'a mut U,
    sc: Scratch<M, N>,
}

/// The prover's state across the protocol steps (PROTOCOL §10: nothing in it depends on L).
struct Prover<'a, P: ZkParams, const N: usize, U, S, T> {
    src: Source<'a, P::M, N, U, S, T>,
    /// Lent memory (public data only).
    tab: ProverTables<'a, P::M>,
    /// The ρ table holds this proof's σ(ρ_{k,b}) (after the first opening pass).
    rho_ready: bool,
    sec: Secrets<P::M>,
    /// s2 (ternary), one byte per coefficient: the A2 and B products are streamed from it where they are
    /// used (`commit`, `b_s2`), so no m2 ring elements are held (docs/FIRMWARE.md).
    s2: [[i8; D]; M2_MAX],
    /// (B·s2)[t], the row every attempt's t_t adds g1 to (the other rows are formed where used: `b_s2`).
    bs2_t: Rq<P::M>,
    /// The jl-seed of the accepted JL attempt (public).
    jl_seed: Seed,
    cheat: Cheat,
}

impl<P: ZkParams, const N: usize, U, S, T> Drop for Prover<'_, P, N, U, S, T> {
    fn drop(&mut self) {
        self.s2.zeroize();
        self.bs2_t = Rq::zero();
    }
}

impl<P: ZkParams, const N: usize, U: UpdateSource<N>, S: ChunkSource<P::M, N>, T: Copy + Into<i64>>
    Prover<'_, P, N, U, S, T>
{
    /// Checks the statement and buffer sizes and returns the relation and the mask samplers the state is
    /// built from (pass 1 follows in [`Prover::slack`]). The state itself is a struct expression in
    /// `prove_checked`, written straight into its slot: a constructor returning
    /// `Result<Self, _>` made LLVM build it in a temporary and copy it (≈ 80 KB of stack, docs/FIRMWARE.md).
    fn checked(
        stmt: &ChunkedStatement<P::M, N, S>,
        rel: Option<&Relation<P::M>>,
        u_len: usize,
        out_len: usize,
    ) -> Result<(Relation<P::M>, Masks), ProveError> {
        let rel = match rel {
            Some(r) => *r,
            None => stmt.relation::<P>().map_err(|_| ProveError::Statement)?,
        };
        if u_len != N {
            return Err(ProveError::Statement);
        }
        if out_len < rel.layout.prove_buf_len() {
            return Err(ProveError::Buffer);
        }
        let masks = Masks::new(&rel.layout.zk).map_err(|_| ProveError::Statement)?;
        Ok((rel, masks))
    }

    /// Pass 1 (norms, refusal, slack bits), out of line so that its temporaries do not add to `new`'s
    /// frame, which holds the prover state while it is built (docs/FIRMWARE.md).
    #[inline(never)]
    fn slack(&mut self) -> Result<(), ProveError> {
        self.src.slack(&mut self.sec.ups, &self.cheat)
    }

    /// The mask seed and the commitment randomness s2 (ternary, kept a byte per coefficient), and B·s2.
    #[inline(never)]
    fn draw_secrets<R: CryptoRng>(&mut self, rng: &mut R) {
        rng.fill_bytes(&mut self.sec.mask_seed);
        let mut blk = [0i64; D];
        for r in self.s2.iter_mut().take(self.src.lay.zk.m2()) {
            ternary(rng, &mut blk);
            for (o, &x) in r.iter_mut().zip(blk.iter()) {
                // Ternary: −1, 0 or 1, so the low byte is the value.
                *o = low_i8(x);
            }
        }
        blk.zeroize();
        let mut bs2 = [Rq::zero(); ELL_MAX];
        self.b_s2(&mut bs2);
        self.bs2_t = bs2[row_t(self.src.lay.zk.lambda)];
        wipe(&mut bs2);
    }

    /// (B·s2)[j] for every BDLOP row j, into `out`: formed where it is used (the JL step, t_g) instead of
    /// carried, one B·s2 product more per use; only row t (every attempt's t_t) is kept.
    fn b_s2(&self, out: &mut [Rq<P::M>; ELL_MAX]) {
        let s2 = &self.s2;
        *out = [Rq::zero(); ELL_MAX];
        a2_b_acc_streamed::<P::M>(
            self.src.crs,
            &self.src.lay,
            |t| s2_ring(&s2[t]),
            None,
            Some(out),
        );
    }

    /// Step 1 (pass 2): t_A = A1·s1 + A2·s2, absorbed.
    #[inline(never)]
    fn commit<O: Output>(&mut self, fs: schedule::Commit, out: &mut O) -> schedule::Jl {
        let (lay, crs) = (self.src.lay, self.src.crs);
        let mut a1 = A1Acc::<P::M>::default().with_table(self.tab.a1);
        self.src.for_each_s1_block(&self.sec.ups, |col, blk| {
            a1_column_acc::<P::M>(crs, &lay, col, &Rq::from_i64_slice(blk), &mut a1);
        });
        let mut t_a = [Rq::zero(); KMSIS_MAX];
        a1.finish_add(lay.zk.kmsis, &mut t_a);
        drop(a1);
        let s2 = &self.s2;
        a2_b_acc_streamed::<P::M>(crs, &lay, |t| s2_ring(&s2[t]), Some(&mut t_a), None);
        for x in t_a.iter().take(lay.zk.kmsis) {
            with_ring_bytes(&lay, x, |b| out.fixed(b));
        }
        fs.t_a(&t_a[..lay.zk.kmsis])
    }

    /// Step 2: JL projection with bimodal rejection, repeated until accepted; returns the number of
    /// attempts. Rejected attempts run on a discarded copy of the transcript.
    #[inline(never)]
    fn jl<O: Output>(
        &mut self,
        fs: &schedule::Jl,
        msgs: &mut Kept<P::M>,
        out: &mut O,
    ) -> Result<(u32, schedule::Mu), ProveError> {
        let mut attempts = 0u32;
        let mut bs2 = [Rq::zero(); ELL_MAX];
        self.b_s2(&mut bs2);
        let res = loop {
            attempts += 1;
            if attempts > MAX_ATTEMPTS {
                break Err(ProveError::TooManyAttempts);
            }
            self.sample_y3_beta(u64::from(attempts));
            let t_y: [Rq<P::M>; Y3_BLOCKS] =
                core::array::from_fn(|t| bs2[ROW_Y3 + t].add(&y3_block(&self.sec.y3, t)));
            let t_b = bs2[ROW_BETA].add(&Rq::constant(P::M::from_i64(self.sec.beta)));
            let (seed, next) = fs.clone().jl_seed(&t_y, &t_b);
            let v = self.project(&seed);
            if let Some(z3) = self.jl_accept(&v, u64::from(attempts)) {
                for x in t_y.iter().chain(core::iter::once(&t_b)) {
                    with_ring_bytes(&self.src.lay, x, |b| out.fixed(b));
                }
                msgs.z3 = z3;
                self.jl_seed = seed;
                break Ok((attempts, next.z3(&msgs.z3)));
            }
        };
        wipe(&mut bs2);
        res
    }

    /// The JL masks of attempt a: y3 ← D_{σ₃}^512, β3 ← {±1}.
    fn sample_y3_beta(&mut self, a: u64) {
        let sec = &mut self.sec;
        sec.masks.fill(
            Width::Three,
            xof256(b"y3", &sec.mask_seed, &[a]),
            &mut sec.y3,
        );
        let mut bb = [0u8; 1];
        shake::XofReader::read(&mut xof256(b"beta", &sec.mask_seed, &[a]), &mut bb);
        sec.beta = 1 - 2 * i64::from(bb[0] & 1);
    }

    /// v = R·s3 (integers), reading each block's rows straight from the JL XOF (pass over the chunks); the
    /// XOF bytes are kept in the JL table when there is one.
    fn project(&mut self, jl_seed: &Seed) -> [i64; JL_ROWS] {
        let mut v = [0i64; JL_ROWS];
        let mut jl = self.tab.jl.as_deref_mut();
        self.rho_ready = false;
        self.src
            .for_each_s3_block(&self.sec.ups, |b, _, blk| match jl.as_deref_mut() {
                Some(buf) => {
                    let kept = &mut buf[b * JL_BLOCK_BYTES..(b + 1) * JL_BLOCK_BYTES];
                    jl_reader(jl_seed, b).read(kept);
                    project_block(&mut SliceXof(kept), blk, &mut v);
                }
                None => project_block(&mut jl_reader(jl_seed, b), blk, &mut v),
            });
        v
    }

    /// z3 = y3 + β3·v and the bimodal rejection of attempt a; `Some(z3)` when accepted and within the
    /// verifier's bounds (V3) and the wire width.
    fn jl_accept(&self, v: &[i64; JL_ROWS], a: u64) -> Option<[i64; JL_ROWS]> {
        let (sec, zk) = (&self.sec, &self.src.lay.zk);
        let mut z3 = [0i64; JL_ROWS];
        let (mut v_sq, mut zv) = (0u128, 0i128);
        // ‖z3‖² per projection of JL_HALF rows.
        let mut z_sq = [0u128; JL_REPS];
        let projections = z3
            .chunks_exact_mut(JL_HALF)
            .zip(sec.y3.chunks_exact(JL_HALF))
            .zip(v.chunks_exact(JL_HALF));
        for (sq, ((z_half, y_half), v_half)) in z_sq.iter_mut().zip(projections) {
            for ((z, &y), &vi) in z_half.iter_mut().zip(y_half).zip(v_half) {
                *z = y + sec.beta * vi;
                v_sq += (i128::from(vi) * i128::from(vi)).cast_unsigned();
                zv += i128::from(*z) * i128::from(vi);
                *sq += (i128::from(*z) * i128::from(*z)).cast_unsigned();
            }
        }
        let coin = xof256(b"jl-coin", &sec.mask_seed, &[a]);
        let ok = sec.masks.accept_bimodal(coin, v_sq, zv);
        let lim = (1i64 << (zk.w3 - 1)) - 1;
        // V3 is checked per 256-row projection (each is one application of the JL lemma). Only after the
        // (public) accept bit: z3 of an accepted attempt is published, that of a rejected one stays secret,
        // so the early-exit scans must not run on it.
        let fits = ok && {
            // Public: the accepted z3 is published in the proof, z_sq are its block norms.
            declassify(&z3);
            declassify(&z_sq);
            z_sq.iter().all(|&s| s <= zk.z3_bound_sq) && z3.iter().all(|x| x.abs() <= lim)
        };
        fits.then_some(z3)
    }

    /// Step 3, first half: garbage masks g_k (ct(g_k) = 0), t_g absorbed, μ squeezed.
    #[inline(never)]
    fn batch_mu<R: CryptoRng>(
        &mut self,
        fs: schedule::Mu,
        rng: &mut R,
        msgs: &Kept<P::M>,
        out: &mut impl Output,
        batch: &mut Batch<P::M>,
    ) -> schedule::Gamma {
        let lay = self.src.lay;
        let lambda = lay.zk.lambda;
        let mut gseed = [0u8; 32];
        let mut t_g = [Rq::<P::M>::zero(); LAMBDA_MAX];
        let mut bs2 = [Rq::zero(); ELL_MAX];
        self.b_s2(&mut bs2);
        rng.fill_bytes(&mut gseed);
        for k in 0..lambda {
            let mut g = uniform_ring::<P::M>(b"g", &gseed, k as u64);
            g.0[0] = P::M::zero();
            self.sec.g[k] = g;
            t_g[k] = bs2[ROW_G + k].add(&g);
            with_ring_bytes(&lay, &t_g[k], |b| out.fixed(b));
        }
        gseed.zeroize();
        wipe(&mut bs2);
        // z3 follows t_g on the wire.
        let mut z3 = [0u8; JL_ROWS * 8];
        let z3_len = lay.off_h() - lay.off_z3();
        let mut wr = BitWriter::new(&mut z3[..z3_len]);
        for &x in &msgs.z3 {
            wr.put(x, lay.zk.w3);
        }
        wr.finish();
        out.fixed(&z3[..z3_len]);
        let (mu_seed, fs) = fs.mu_seed(&t_g[..lambda]);
        batch.set_mu(lambda, &mu_seed);
        fs
    }

    /// Step 3, second half: h_k = g_k + F_k(s) from the witness sums (`witness_sums`), absorbed; γ
    /// squeezed (step 4); J^x = Σγ_k P_k^x kept for every attempt's openings (the λ sums P_k^x are not).
    #[inline(never)]
    fn batch_h(
        &mut self,
        fs: schedule::Gamma,
        batch: &mut Batch<P::M>,
        att: &mut Attempt<P::M>,
        msgs: &mut Kept<P::M>,
        out: &mut impl Output,
    ) -> schedule::Challenge {
        let mut px = [Rq::<P::M>::zero(); LAMBDA_MAX];
        self.witness_sums(batch, &mut att.acc.sums.x, &mut px);
        let lay = &self.src.lay;
        let z3q = z3_residues::<P::M>(&msgs.z3);
        msgs.h = h_from_sums::<P>(lay, &self.sec, batch, &z3q, &att.acc.sums.x, &px);
        for x in msgs.h.iter().take(lay.zk.lambda) {
            with_ring_bytes(lay, x, |b| out.fixed(b));
        }
        let (gamma_seed, fs) = fs.gamma_seed(&msgs.h[..lay.zk.lambda]);
        batch.set_gamma(&gamma_seed);
        att.acc.sums.jx = batch.combine_jl(&px);
        wipe(&mut px);
        fs
    }

    /// The witness sums X_g = Σσ(x)x (per norm group) and P_k^x = Σσ(ρ_k)x over the s3 blocks x: the same in
    /// every attempt, so one pass over the chunks computes them for h and for every attempt's openings, and
    /// the attempts' passes accumulate only the mask-dependent sums (9 NTT accumulators fewer each). Exact
    /// sums mod q, so the same residues as when the first masked pass accumulated them.
    #[inline(never)]
    fn witness_sums(
        &mut self,
        batch: &Batch<P::M>,
        x_out: &mut [Rq<P::M>; GROUPS],
        px_out: &mut [Rq<P::M>; LAMBDA_MAX],
    ) {
        let Self {
            src,
            sec,
            jl_seed,
            tab,
            rho_ready,
            ..
        } = self;
        let mut rho = RhoSource {
            jl_seed,
            jl: tab.jl.as_deref(),
            table: tab.rho.as_deref_mut(),
            ready: *rho_ready,
        };
        let mut w = WitnessNtt::<P::M>::new();
        src.for_each_s3_block(&sec.ups, |b, g, blk| {
            rho.get(batch, b, &mut w.srho);
            w.nx.set(&Rq::from_i64(blk));
            if let Some(g) = g {
                let sx = w.nx.sigma();
                w.x[g].mul_acc(&sx, &w.nx);
            }
            for k in 0..batch.lambda {
                w.px[k].mul_acc(&w.srho[k], &w.nx);
            }
        });
        *rho_ready = tab.rho.is_some();
        for (o, x) in x_out.iter_mut().zip(&w.x) {
            *o = x.to_rq();
        }
        for (o, px) in px_out.iter_mut().zip(&w.px).take(batch.lambda) {
            *o = px.to_rq();
        }
    }

    /// Step 5, commitment half of one attempt: g0, g1 from F̃ at c ∈ {0, ±1}, the F(s) = 0 self-check,
    /// t_t = b_t·s2 + g1 and v = g0 + b_t·y2, and the challenge c they (with w) determine.
    #[inline(never)]
    fn open(
        &self,
        fs: &schedule::Challenge,
        att: &Attempt<P::M>,
        a: u64,
        batch: &Batch<P::M>,
        msgs: &mut Kept<P::M>,
    ) -> Result<[i64; D], ProveError> {
        let lay = &self.src.lay;
        let mut w = [Rq::<P::M>::zero(); KMSIS_MAX];
        let mut by2 = [Rq::<P::M>::zero(); ELL_MAX];
        self.mask_commitments(a, &mut w, &mut by2);
        // The y1 masks of the υ blocks (regenerated: the pass does not keep them).
        let mut ups_mask = [Rq::<P::M>::zero(); GROUPS];
        let mut yb = [0i64; D];
        for (g, o) in ups_mask.iter_mut().enumerate() {
            y1_block(lay, &self.sec, a, lay.s1_ups(g), &mut yb);
            *o = Rq::from_i64(&yb);
        }
        yb.zeroize();
        let cs = [
            Rq::<P::M>::zero(),
            Rq::constant(P::M::from_i64(1)),
            Rq::constant(P::M::from_i64(-1)),
        ];
        let z3q = z3_residues::<P::M>(&msgs.z3);
        let pubs = Publics {
            lay,
            z3: &z3q,
            h: &msgs.h,
        };
        let acc = &att.acc;
        let ft: [Rq<P::M>; 3] = core::array::from_fn(|ci| {
            f_tilde_at::<P>(
                lay, &self.sec, batch, &pubs, &by2, &ups_mask, acc, &cs[ci], ci,
            )
        });
        let two_inv = P::M::from_u128(P::M::Q.div_ceil(2));
        let g0 = ft[0];
        let g1 = ft[1].sub(&ft[2]).scale(two_inv);
        let fs_val = ft[1].add(&ft[2]).scale(two_inv).sub(&g0);
        // Public: the result of the F(s) = 0 self-check (a refusal, no proof). Tested without early exit.
        let fs_nonzero = fs_val.0.iter().fold(0u128, |a, &x| a | P::M::to_u128(x)) != 0;
        if declassify_bool(fs_nonzero) && !self.cheat.skip_consistency {
            return Err(ProveError::Inconsistent);
        }
        let rt = row_t(lay.zk.lambda);
        msgs.t_t = self.bs2_t.add(&g1);
        let v = g0.add(&by2[rt]);
        msgs.c_seed = fs.c_seed(&w[..lay.zk.kmsis], &msgs.t_t, &v);
        for r in &mut by2 {
            *r = Rq::zero();
        }
        for r in &mut ups_mask {
            *r = Rq::zero();
        }
        Ok(challenge_from_seed(&msgs.c_seed))
    }

    /// Runs attempt `a`'s masked pass in place (one `Attempt` lives on the stack): the pass over the chunks
    /// only; the commitments of the masks (w = A1·y1 + A2·y2, B·y2) are formed from the mask seed when
    /// `open` needs them (`mask_commitments`), so their accumulators never share the stack with the pass.
    #[inline(never)]
    fn masked_attempt(&mut self, att: &mut Attempt<P::M>, batch: &Batch<P::M>, a: u64) {
        self.masked_pass(batch, a, &mut att.acc);
    }

    /// w = A1·y1 + A2·y2 and B·y2 of attempt `a`, every mask block regenerated from the mask seed (y1 and
    /// y2 are sampled once more than when the pass held A1·y1: m1 + m2 blocks per attempt). Sums mod q
    /// are exact, so the order of the columns does not change them.
    #[inline(never)]
    fn mask_commitments(
        &self,
        a: u64,
        w: &mut [Rq<P::M>; KMSIS_MAX],
        by2: &mut [Rq<P::M>; ELL_MAX],
    ) {
        let (lay, sec, set) = (&self.src.lay, &self.sec, self.src.crs);
        let mut blk = [0i64; D];
        *w = [Rq::zero(); KMSIS_MAX];
        *by2 = [Rq::zero(); ELL_MAX];
        a2_b_acc_streamed::<P::M>(
            set,
            lay,
            |t| {
                y2_block(sec, a, t, &mut blk);
                Rq::from_i64(&blk)
            },
            Some(w),
            Some(by2),
        );
        // Every column takes a y1 mask block (below the samplers' tail cut): fewer primes stay exact.
        let mut a1 =
            A1Acc::<P::M>::for_short(lay.m1(), sec.masks.y1_bits()).with_table(self.tab.a1);
        for b in 0..lay.m1() {
            y1_block(lay, sec, a, b, &mut blk);
            a1_column_acc::<P::M>(set, lay, b, &Rq::from_i64(&blk), &mut a1);
        }
        blk.zeroize();
        a1.finish_add(lay.zk.kmsis, w);
    }

    /// Step 5 pass: the openings of s3 at c ∈ {0, ±1} accumulated into N_g(c) and J̃(c).
    fn masked_pass(&mut self, batch: &Batch<P::M>, attempt: u64, acc: &mut MaskedAcc<P::M>) {
        let Self {
            src,
            sec,
            jl_seed,
            tab,
            rho_ready,
            ..
        } = self;
        let mut rho = RhoSource {
            jl_seed,
            jl: tab.jl.as_deref(),
            table: tab.rho.as_deref_mut(),
            ready: *rho_ready,
        };
        let Source {
            stmt,
            lay,
            delta,
            u,
            m,
            sc,
            ..
        } = src;
        let (lay, delta) = (&*lay, *delta);
        let mut nacc = MaskedNtt::<P::M>::new();
        let mut yb = [0i64; D];
        // One s3 block with value x and mask y (openings y, x + y, y − x; combined in `MaskedNtt::finish`).
        let mut add_block = |b: usize, g: Option<Group>, x: &Rq<P::M>, y: &Rq<P::M>| {
            rho.get(batch, b, &mut nacc.srho);
            nacc.add(batch, g.map(Group::index), x, y);
        };
        // u blocks: mask y_u (σ_s).
        let mut yu = [0i32; N];
        let mut blk = [0i64; D];
        for i in 0..lay.k {
            y1_block(lay, sec, attempt, i, &mut yb);
            psi_inv_block_i32(&yb, i, &mut yu);
            let y = Rq::<P::M>::from_i64(&yb);
            psi_block_i64(u, i, &mut blk);
            add_block(lay.s3_u(i), Some(Group::U), &Rq::from_i64(&blk), &y);
        }
        // e2 = c1 − a·u (`ay` lent as scratch first): mask −ψ(a·y_u).
        let mut ay = [P::M::zero(); N];
        derive_e2(stmt, u, &mut sc.e1, &mut ay);
        stmt.chunks.pk_a(&mut ay);
        mul_public_short_in_place::<P::M, N, i32>(&mut ay, &yu);
        for i in 0..lay.k {
            psi_block_centred::<P::M, N>(&sc.e1, i, &mut blk);
            let y = psi_block::<P::M, N>(&ay, i).neg();
            add_block(lay.s3_e2(i), Some(Group::E2), &Rq::from_i64(&blk), &y);
        }
        // Chunks: e1_j mask −ψ(b_j·y_u) − Δ·y_{m_j}; m_j mask y_{m_j}. Block i's m mask is sampled once
        // and used for both s3 blocks it masks; the sums are exact (mod the auxiliary primes, mod q), so
        // the order in which blocks are added does not change them.
        for j in 0..lay.l {
            m.chunk(j, &mut sc.m);
            // `ay` is free until b_j·y_u is formed: lent to derive_e1 as scratch.
            derive_e1(stmt, delta, j, u, &sc.m, &mut sc.e1, &mut ay);
            stmt.chunks.pk_b(j, &mut ay);
            mul_public_short_in_place::<P::M, N, i32>(&mut ay, &yu);
            for i in 0..lay.k {
                y1_block(lay, sec, attempt, lay.s1_m(j, i), &mut yb);
                let ymr = Rq::<P::M>::from_i64(&yb);
                let y = psi_block::<P::M, N>(&ay, i).neg().sub(&ymr.scale(delta));
                psi_block_centred::<P::M, N>(&sc.e1, i, &mut blk);
                add_block(lay.s3_e1(j, i), Some(Group::E1), &Rq::from_i64(&blk), &y);
                psi_block_i64(&sc.m, i, &mut blk);
                add_block(lay.s3_m(j, i), Some(Group::M), &Rq::from_i64(&blk), &ymr);
            }
        }
        for g in 0..GROUPS {
            y1_block(lay, sec, attempt, lay.s1_ups(g), &mut yb);
            let y = Rq::<P::M>::from_i64(&yb);
            add_block(lay.s3_ups(g), None, &Rq::from_i64(&sec.ups[g]), &y);
        }
        yu.zeroize();
        yb.zeroize();
        blk.zeroize();
        *rho_ready = tab.rho.is_some();
        nacc.finish_into(batch, &mut acc.sums);
    }

    /// Step 5 response: z = y + c·s block by block, written into `out`; joint standard rejection.
    /// Returns true when accepted (then z1, z2 are in place).
    #[inline(never)]
    fn respond<W: StagedBits>(&mut self, c: &[i64; D], attempt: u64, staged: W) -> bool {
        let lay = self.src.lay;
        let sec = &self.sec;
        let mut z = Responses::new(&lay, staged);
        let mut yb = [0i64; D];
        self.src.for_each_s1_block(&sec.ups, |b, s| {
            y1_block(&lay, sec, attempt, b, &mut yb);
            z.block(Region::of_s1(&lay, b), c, &yb, s);
        });
        // y2 sampled again from its seed (the masked pass kept only A2·y2 and B·y2), s2 widened.
        let mut sb = [0i64; D];
        for t in 0..lay.zk.m2() {
            y2_block(sec, attempt, t, &mut yb);
            for (o, &x) in sb.iter_mut().zip(self.s2[t].iter()) {
                *o = i64::from(x);
            }
            z.block(Region::S, c, &yb, &sb);
        }
        yb.zeroize();
        sb.zeroize();
        let (v_sq, zv, z_sq, fits) = z.finish();
        let coin = xof256(b"z-coin", &sec.mask_seed, &[attempt]);
        let ok = sec.masks.accept_standard(coin, v_sq, zv);
        ok && {
            // Public: the accepted z is published in the proof; its fit bit and norms are functions of it.
            declassify(&z_sq);
            declassify_bool(fits)
                && z_sq[0] <= super::verify::z_bound_sq(lay.zk.sigma_m, lay.dim_m())
                && z_sq[1] <= super::verify::z_bound_sq(lay.zk.sigma_s, lay.dim_s())
        }
    }
}

/// Which packed region (and width class) a response block goes to: the u blocks of z1, the m blocks of
/// z1 (width w_m, class m), or the υ blocks of z1 followed by z2 (width w_s).
#[derive(Clone, Copy)]
enum Region {
    U,
    M,
    S,
}

impl Region {
    fn of_s1(lay: &Layout, b: usize) -> Self {
        if b < lay.k {
            Self::U
        } else if b < lay.k * (1 + lay.l) {
            Self::M
        } else {
            Self::S
        }
    }
}

/// The response writer of one attempt: z = y + c·s staged at fixed width (w_s for the u blocks, w_m for
/// the m blocks, w_s for υ and z2, in wire order) at `Layout::off_staged`, without branching on z, with
/// the statistics of the joint rejection per width class [m, s].
struct Responses<W> {
    wr: W,
    widths: [u32; 3],
    v_sq: [i128; 2],
    zv: [i128; 2],
    z_sq: [u128; 2],
    fits: bool,
    cs: [i64; D],
}

impl<W: StagedBits> Responses<W> {
    fn new(lay: &Layout, wr: W) -> Self {
        let (wm, ws) = (lay.zk.wm, lay.zk.ws);
        Self {
            wr,
            widths: [ws, wm, ws],
            v_sq: [0; 2],
            zv: [0; 2],
            z_sq: [0; 2],
            fits: true,
            cs: [0; D],
        }
    }

    /// z = y + c·s for one block, appended to the staged copy (branch-free on the values).
    fn block(&mut self, r: Region, c: &[i64; D], y: &[i64; D], s: &[i64; D]) {
        let cls = usize::from(!matches!(r, Region::M));
        let w = self.widths[r as usize];
        mul_small_exact(c, s, &mut self.cs);
        for (&cs, &y) in self.cs.iter().zip(y) {
            let z = y + cs;
            self.v_sq[cls] += i128::from(cs) * i128::from(cs);
            self.zv[cls] += i128::from(z) * i128::from(cs);
            self.z_sq[cls] += (i128::from(z) * i128::from(z)).cast_unsigned();
            self.fits &= self.wr.put_ct(z, w);
        }
    }

    /// Flushes the writer; returns (‖c s‖² per class, ⟨z, c s⟩ per class, ‖z‖² per class, fit bit).
    fn finish(mut self) -> ([u128; 2], [i128; 2], [u128; 2], bool) {
        self.wr.finish();
        self.cs.zeroize();
        (
            // Sums of squares: non-negative.
            self.v_sq.map(i128::cast_unsigned),
            self.zv,
            self.z_sq,
            self.fits,
        )
    }
}

/// v += R_b·x for one s3 block x, the rows of R_b read from `rd`.
fn project_block(rd: &mut impl XofReader, x: &[i64; D], v: &mut [i64; JL_ROWS]) {
    let mut row = [0i8; D];
    for vi in v.iter_mut() {
        jl_row(rd, &mut row);
        let mut acc = 0i64;
        for (&r, &x) in row.iter().zip(x.iter()) {
            acc += i64::from(r) * x;
        }
        *vi += acc;
    }
}

/// Where the opening passes get σ(ρ_{k,b}): the ρ table once filled, else computed from the kept JL bytes
/// or the JL XOF (and stored into the ρ table when there is one).
struct RhoSource<'r> {
    jl_seed: &'r Seed,
    jl: Option<&'r [u8]>,
    table: Option<&'r mut [u32]>,
    ready: bool,
}

impl RhoSource<'_> {
    fn get<M: Modulus>(&mut self, batch: &Batch<M>, b: usize, out: &mut [NttR<M>; LAMBDA_MAX]) {
        let w = NttR::<M>::stored_words();
        let at = |k: usize| (b * batch.lambda + k) * w;
        if self.ready
            && let Some(t) = self.table.as_deref()
        {
            for (k, o) in out.iter_mut().enumerate().take(batch.lambda) {
                o.load(&t[at(k)..at(k) + w]);
            }
            return;
        }
        match self.jl {
            Some(bytes) => batch.sigma_rho_ntt_from(
                &mut SliceXof(&bytes[b * JL_BLOCK_BYTES..(b + 1) * JL_BLOCK_BYTES]),
                out,
            ),
            None => batch.sigma_rho_ntt(self.jl_seed, b, out),
        }
        if let Some(t) = self.table.as_deref_mut() {
            for (k, o) in out.iter().enumerate().take(batch.lambda) {
                o.store(&mut t[at(k)..at(k) + w]);
            }
        }
    }
}

/// z3 as residues mod q.
fn z3_residues<M: Modulus>(z3: &[i64; JL_ROWS]) -> [M::Coeff; JL_ROWS] {
    core::array::from_fn(|i| M::from_i64(z3[i]))
}

/// Uniform ternary coefficients from the RNG, one byte per draw, by the BFV sampler's digit extraction
/// (`ring::sample::push_trits`; rejection on public randomness only: 243 = 3^5).
fn ternary<R: CryptoRng>(rng: &mut R, out: &mut [i64; D]) {
    let mut i = 0;
    while i < D {
        let mut b = [0u8; 1];
        rng.fill_bytes(&mut b);
        // Public: only the discard decision of this byte is revealed (bytes ≥ 243 are dropped; the kept
        // trits are independent of it).
        if declassify_bool(b[0] < TRIT_BYTE_LIMIT) {
            i = push_trits(b[0], out, i, |t| t);
        }
    }
}

/// ‖x‖², saturating, branch-free (the norms are secret; see `slack`).
fn norm2<T: Copy + Into<i64>>(x: &[T]) -> u128 {
    x.iter().fold(0u128, |a, &v| {
        let v: i64 = v.into();
        ct_sat_add(a, (i128::from(v) * i128::from(v)).cast_unsigned())
    })
}

/// e1_j = c0_j − b_j·u − Δ·m_j as residues mod q, into `out` (read centred: `psi_block_centred`,
/// `norm2_centred`); `bu` is scratch (its value on return is b_j·u). c0_j is read straight into `out`, so
/// no third N-sized buffer is needed.
fn derive_e1<M: Modulus, const N: usize, S: ChunkSource<M, N>, T: Copy + Into<i64>>(
    stmt: &ChunkedStatement<M, N, S>,
    delta: M::Coeff,
    j: usize,
    u: &[T; N],
    m: &[i64; N],
    out: &mut [M::Coeff; N],
    bu: &mut [M::Coeff; N],
) {
    // b_j·u is formed in place of b_j; `out` then holds c0_j (public) until e1 replaces it.
    stmt.chunks.pk_b(j, bu);
    mul_public_short_in_place::<M, N, T>(bu, u);
    stmt.chunks.c0(j, out);
    for i in 0..N {
        out[i] = M::sub(M::sub(out[i], bu[i]), M::mul(delta, M::from_i64(m[i])));
    }
}

/// [`derive_e1`] with its own scratch (the passes whose frames are not on the deepest call chain).
fn derive_e1_own<M: Modulus, const N: usize, S: ChunkSource<M, N>, T: Copy + Into<i64>>(
    stmt: &ChunkedStatement<M, N, S>,
    delta: M::Coeff,
    j: usize,
    u: &[T; N],
    m: &[i64; N],
    out: &mut [M::Coeff; N],
) {
    let mut bu = [M::zero(); N];
    derive_e1(stmt, delta, j, u, m, out, &mut bu);
}

/// e2 = c1 − a·u as residues mod q, into `out`; `au` is scratch (its value on return is a·u). As in
/// [`derive_e1`], c1 is read straight into `out`.
fn derive_e2<M: Modulus, const N: usize, S: ChunkSource<M, N>, T: Copy + Into<i64>>(
    stmt: &ChunkedStatement<M, N, S>,
    u: &[T; N],
    out: &mut [M::Coeff; N],
    au: &mut [M::Coeff; N],
) {
    stmt.chunks.pk_a(au);
    mul_public_short_in_place::<M, N, T>(au, u);
    stmt.chunks.c1(out);
    for i in 0..N {
        out[i] = M::sub(out[i], au[i]);
    }
}

/// [`derive_e2`] with its own scratch (the passes whose frames are not on the deepest call chain).
fn derive_e2_own<M: Modulus, const N: usize, S: ChunkSource<M, N>, T: Copy + Into<i64>>(
    stmt: &ChunkedStatement<M, N, S>,
    u: &[T; N],
    out: &mut [M::Coeff; N],
) {
    let mut au = [M::zero(); N];
    derive_e2(stmt, u, out, &mut au);
}

/// A residue as the centred integer the prover's blocks hold: the value `to_centered` gives, which lies in
/// the i64 range for the witness residues the prover reads (e1, e2: far below 2^63 even for a cheating
/// prover, whose norms the slack then exposes). Branch-free: e1 and e2 are secret.
fn centred<M: Modulus>(x: M::Coeff) -> i64 {
    low_i64(M::to_centered(x))
}

/// Block `i` of ψ(x) for residues x mod q, centred.
fn psi_block_centred<M: Modulus, const N: usize>(x: &[M::Coeff; N], i: usize, out: &mut [i64; D]) {
    let k = blocks::<N>();
    for (t, o) in out.iter_mut().enumerate() {
        *o = centred::<M>(x[i + t * k]);
    }
}

/// ‖x‖² of residues mod q, centred: [`norm2`] of the centred values.
fn norm2_centred<M: Modulus>(x: &[M::Coeff]) -> u128 {
    x.iter().fold(0u128, |a, &v| {
        let v = centred::<M>(v);
        ct_sat_add(a, (i128::from(v) * i128::from(v)).cast_unsigned())
    })
}

/// u as an N-array (its length was checked by `Prover::checked`), after refusing |u_i| ≥ 2^23: products
/// with u need |u_i| < 2^24 even for a cheating prover.
fn short_u<const N: usize, T: Copy + Into<i64>>(u: &[T]) -> Result<&[T; N], ProveError> {
    let u: &[T; N] = u.try_into().map_err(|_| ProveError::Statement)?;
    let big = u
        .iter()
        .fold(0u64, |acc, &x| acc | (x.into().unsigned_abs() >> 23));
    // Public: the refusal bit (the prover refuses, no proof).
    if declassify_bool(bool::from(!big.ct_eq(&0))) {
        return Err(ProveError::NormBound(Group::U));
    }
    Ok(u)
}

/// Slack bits υ_g: coefficient t < `bits` of `out` is bit t of (B² − ‖w‖²) mod q, the rest are 0 (the
/// value wraps mod q only when a cheating prover skipped the norm check). Constant time in the secret
/// ‖w‖² = `nrm`: masked long division for both reductions (`ct_rem`, no `%`), fixed shifts; q < 2^127,
/// B² and `bits` are public. Public so the valgrind harness (ct-check/) can run it on its own.
#[doc(hidden)]
pub fn slack_expand(q: u128, b: u128, nrm: u128, bits: usize, out: &mut [i64; D]) {
    let s = ct_rem(b + q - ct_rem(nrm, q), q);
    for (t, o) in out.iter_mut().enumerate() {
        *o = if t < bits {
            (low_u64(s >> t) & 1).cast_signed()
        } else {
            0
        };
    }
}

impl<M: Modulus, const N: usize, U: UpdateSource<N>, S: ChunkSource<M, N>, T: Copy + Into<i64>>
    Source<'_, M, N, U, S, T>
{
    /// Pass 1: the four squared norms, the refusal of a false statement, and the slack bits υ_g.
    fn slack(&mut self, ups: &mut [[i64; D]; GROUPS], cheat: &Cheat) -> Result<(), ProveError> {
        // Constant time (docs/CONSTANT_TIME.md): norms, comparisons and slack bits are computed without
        // branches or divisions on the witness; the only branches taken on secret-derived bits are the
        // refusals (a public event: no proof is produced).
        let (stmt, lay, u) = (self.stmt, &self.lay, self.u);
        let sc = &mut self.sc;
        let mut nrm = [0u128; GROUPS];
        // |u_i| < 2^23 was checked when the state was built (`Prover::new`).
        nrm[Group::U.index()] = norm2(u);
        derive_e2_own(stmt, u, &mut sc.e1);
        nrm[Group::E2.index()] = norm2_centred::<M>(&sc.e1);
        for j in 0..lay.l {
            self.m.chunk(j, &mut sc.m);
            nrm[Group::M.index()] = ct_sat_add(nrm[Group::M.index()], norm2(&sc.m));
            derive_e1_own(stmt, self.delta, j, u, &sc.m, &mut sc.e1);
            nrm[Group::E1.index()] = ct_sat_add(nrm[Group::E1.index()], norm2_centred::<M>(&sc.e1));
        }
        let groups = [Group::M, Group::U, Group::E2, Group::E1];
        for g in 0..GROUPS {
            let b = lay.bound_sq[g];
            // Public: the refusal bit (the prover refuses, no proof); the norm and slack stay secret.
            if declassify_bool(bool::from(nrm[g].ct_gt(&b))) && !cheat.skip_norm_checks {
                return Err(ProveError::NormBound(groups[g]));
            }
            slack_expand(M::Q, b, nrm[g], lay.bits(g), &mut ups[g]);
        }
        if let Some((g, f)) = cheat.forged_slack
            && g < GROUPS
        {
            ups[g] = f;
        }
        Ok(())
    }

    /// Calls `f(s1 block index, block)` for every block of s1 = ψ(u) ‖ ψ(m) ‖ υ (reads every chunk once).
    fn for_each_s1_block(&mut self, ups: &[[i64; D]; GROUPS], mut f: impl FnMut(usize, &[i64; D])) {
        let lay = &self.lay;
        let mut blk = [0i64; D];
        for i in 0..lay.k {
            psi_block_i64(self.u, i, &mut blk);
            f(i, &blk);
        }
        for j in 0..lay.l {
            self.m.chunk(j, &mut self.sc.m);
            for i in 0..lay.k {
                psi_block_i64(&self.sc.m, i, &mut blk);
                f(lay.s1_m(j, i), &blk);
            }
        }
        for (g, up) in ups.iter().enumerate() {
            f(lay.s1_ups(g), up);
        }
        blk.zeroize();
    }

    /// Calls `f(s3 block index, norm group, block)` for every block of s3 = (u, e2, [e1_j, m_j], υ).
    fn for_each_s3_block(
        &mut self,
        ups: &[[i64; D]; GROUPS],
        mut f: impl FnMut(usize, Option<usize>, &[i64; D]),
    ) {
        let (stmt, lay, u) = (self.stmt, &self.lay, self.u);
        let sc = &mut self.sc;
        let mut blk = [0i64; D];
        for i in 0..lay.k {
            psi_block_i64(u, i, &mut blk);
            f(lay.s3_u(i), Some(Group::U.index()), &blk);
        }
        derive_e2_own(stmt, u, &mut sc.e1);
        for i in 0..lay.k {
            psi_block_centred::<M, N>(&sc.e1, i, &mut blk);
            f(lay.s3_e2(i), Some(Group::E2.index()), &blk);
        }
        for j in 0..lay.l {
            self.m.chunk(j, &mut sc.m);
            derive_e1_own(stmt, self.delta, j, u, &sc.m, &mut sc.e1);
            for i in 0..lay.k {
                psi_block_centred::<M, N>(&sc.e1, i, &mut blk);
                f(lay.s3_e1(j, i), Some(Group::E1.index()), &blk);
            }
            for i in 0..lay.k {
                psi_block_i64(&sc.m, i, &mut blk);
                f(lay.s3_m(j, i), Some(Group::M.index()), &blk);
            }
        }
        for (g, up) in ups.iter().enumerate() {
            f(lay.s3_ups(g), None, up);
        }
        blk.zeroize();
    }
}

/// Step 3: h_k = g_k + F_k(s) for every k, from the witness sums N_g = Σσ(x)x (`x`) and J_k = Σσ(ρ_k)x
/// (`px`) of `Prover::witness_sums`. Out of line: its temporaries (the openings at c = 1) are then not on
/// the stack while the witness pass runs under `batch_h`.
#[inline(never)]
fn h_from_sums<P: ZkParams>(
    lay: &Layout,
    sec: &Secrets<P::M>,
    batch: &Batch<P::M>,
    z3q: &[<P::M as Modulus>::Coeff; JL_ROWS],
    x: &[Rq<P::M>; GROUPS],
    px: &[Rq<P::M>; LAMBDA_MAX],
) -> [Rq<P::M>; LAMBDA_MAX] {
    let one = Rq::constant(P::M::from_i64(1));
    let op = Openings::<P::M> {
        y3: core::array::from_fn(|t| y3_block(&sec.y3, t)),
        beta: Rq::constant(P::M::from_i64(sec.beta)),
        g: sec.g,
        ups: core::array::from_fn(|g| Rq::from_i64(&sec.ups[g])),
    };
    let zero_h = [Rq::<P::M>::zero(); LAMBDA_MAX];
    let pubs = Publics {
        lay,
        z3: z3q,
        h: &zero_h,
    };
    let mut h = [Rq::<P::M>::zero(); LAMBDA_MAX];
    for k in 0..batch.lambda {
        let fk = f_k_without_jl(batch, k, &pubs, &one, &op, x).sub(&op.beta.mul(&px[k]));
        h[k] = sec.g[k].add(&fk);
    }
    h
}

/// What the prover keeps of its messages: what later steps read (z3 for F̃, h) and the attempt's t_t and
/// c-seed. The rest of the proof's fixed part (t_A, t_y, t_β, t_g, and z3's and h's bytes) goes to the
/// output as soon as it is absorbed (`Output::fixed`), so ≈ 26 KB of commitments are not carried.
struct Kept<M: Modulus> {
    z3: [i64; JL_ROWS],
    h: [Rq<M>; LAMBDA_MAX],
    t_t: Rq<M>,
    c_seed: Seed,
}

/// One attempt's pass: the raw sums over the chunks (the masks' commitments w = A1·y1 + A2·y2 and B·y2 are
/// formed from the mask seed in `open`, not carried).
struct Attempt<M: Modulus> {
    acc: MaskedAcc<M>,
}

impl<M: Modulus> Attempt<M> {
    fn new() -> Self {
        Self {
            acc: MaskedAcc::new(),
        }
    }
}

/// Accumulators of one masked pass (the openings at c ∈ {0, 1, −1} follow from them: `combined`).
struct MaskedAcc<M: Modulus> {
    sums: MaskedSums<M>,
}

/// The raw sums mod q (see [`MaskedNtt`]): the witness's X_g and J^x = Σγ_k P_k^x (`witness_sums`, once per
/// proof), and one attempt's A_g, C_g per group and J^y = Σγ_k P_k^y.
#[derive(Clone, Copy)]
struct MaskedSums<M: Modulus> {
    x: [Rq<M>; GROUPS],
    a: [Rq<M>; GROUPS],
    c: [Rq<M>; GROUPS],
    jx: Rq<M>,
    jy: Rq<M>,
}

impl<M: Modulus> MaskedAcc<M> {
    fn new() -> Self {
        Self {
            sums: MaskedSums {
                x: [Rq::zero(); GROUPS],
                a: [Rq::zero(); GROUPS],
                c: [Rq::zero(); GROUPS],
                jx: Rq::zero(),
                jy: Rq::zero(),
            },
        }
    }

    /// N_g(c) and J̃(c) at c = [0, 1, −1][ci] from the raw sums (J^x, J^y already combined with γ);
    /// computed when asked rather than kept for all three c (docs/FIRMWARE.md).
    fn combined(&self, ci: usize) -> ([Rq<M>; GROUPS], Rq<M>) {
        let sm = &self.sums;
        let norms = core::array::from_fn(|g| {
            let cross = sm.c[g].add(&sm.c[g].sigma());
            let xa = sm.x[g].add(&sm.a[g]);
            match ci {
                0 => sm.a[g],
                1 => xa.add(&cross),
                _ => xa.sub(&cross),
            }
        });
        let (jx, jy) = (sm.jx, sm.jy);
        let jl = match ci {
            0 => jy,
            1 => jy.add(&jx),
            _ => jy.sub(&jx),
        };
        (norms, jl)
    }
}

/// Block t of the commitment mask y2 of attempt `attempt` (σ_s), regenerated from the seed.
fn y2_block<M: Modulus>(sec: &Secrets<M>, attempt: u64, t: usize, out: &mut [i64; D]) {
    sec.masks.fill(
        Width::S,
        xof256(b"y2", &sec.mask_seed, &[attempt, t as u64]),
        out,
    );
}

/// Sets ring elements to zero (secret-derived values the prover is done with).
fn wipe<M: Modulus>(rs: &mut [Rq<M>]) {
    for r in rs.iter_mut() {
        *r = Rq::zero();
    }
}

/// A ternary block of s2 as a ring element.
fn s2_ring<M: Modulus>(s: &[i8; D]) -> Rq<M> {
    let mut r = Rq::zero();
    for (o, &x) in r.0.iter_mut().zip(s.iter()) {
        *o = M::from_i64(i64::from(x));
    }
    r
}

/// Mask block of s1 block `b` (σ_m on m blocks, σ_s elsewhere), regenerated from the seed and attempt.
fn y1_block<M: Modulus>(lay: &Layout, sec: &Secrets<M>, attempt: u64, b: usize, out: &mut [i64]) {
    let is_m = b >= lay.k && b < lay.k * (1 + lay.l);
    let w = if is_m { Width::M } else { Width::S };
    sec.masks
        .fill(w, xof256(b"y1", &sec.mask_seed, &[attempt, b as u64]), out);
}

/// The sums of the masked pass in RNS-NTT form. For x (witness block) and y (its mask) the openings at
/// c ∈ {0, 1, −1} are y, x + y, y − x, so with X = Σσ(x)x, A = Σσ(y)y, C = Σσ(x)y:
/// N(0) = A, N(±1) = X + A ± (C + σ(C)); and with P_k^x = Σσ(ρ_k)x, P_k^y = Σσ(ρ_k)y:
/// J̃(0) = Σγ_k P_k^y, J̃(±1) = Σγ_k (P_k^y ± P_k^x). Exact in R_q, so equal to the per-opening sums. X and
/// P^x do not depend on the attempt: [`WitnessNtt`] sums them once per proof; this holds the rest.
struct MaskedNtt<M: Modulus> {
    srho: [NttR<M>; LAMBDA_MAX],
    nx: NttR<M>,
    ny: NttR<M>,
    /// [A, C] per group.
    norms: [[NttR<M>; 2]; GROUPS],
    /// P^y per k.
    jl: [NttR<M>; LAMBDA_MAX],
}

/// The witness sums X_g and P_k^x in RNS-NTT form (`Prover::witness_sums`).
struct WitnessNtt<M: Modulus> {
    srho: [NttR<M>; LAMBDA_MAX],
    nx: NttR<M>,
    x: [NttR<M>; GROUPS],
    px: [NttR<M>; LAMBDA_MAX],
}

impl<M: Modulus> WitnessNtt<M> {
    fn new() -> Self {
        Self {
            srho: core::array::from_fn(|_| NttR::zero()),
            nx: NttR::zero(),
            x: core::array::from_fn(|_| NttR::zero()),
            px: core::array::from_fn(|_| NttR::zero()),
        }
    }
}

impl<M: Modulus> Drop for WitnessNtt<M> {
    fn drop(&mut self) {
        self.nx.zeroize();
        self.x.zeroize();
        self.px.zeroize();
    }
}

impl<M: Modulus> MaskedNtt<M> {
    fn new() -> Self {
        Self {
            srho: core::array::from_fn(|_| NttR::zero()),
            nx: NttR::zero(),
            ny: NttR::zero(),
            norms: core::array::from_fn(|_| core::array::from_fn(|_| NttR::zero())),
            jl: core::array::from_fn(|_| NttR::zero()),
        }
    }

    /// Adds one s3 block (value x, mask y, norm group g) with `self.srho` already holding its σ(ρ_k).
    fn add(&mut self, batch: &Batch<M>, g: Option<usize>, x: &Rq<M>, y: &Rq<M>) {
        self.nx.set(x);
        self.ny.set(y);
        if let Some(g) = g {
            let sx = self.nx.sigma();
            let [aa, cc] = &mut self.norms[g];
            aa.mul_acc(&self.ny.sigma(), &self.ny);
            cc.mul_acc(&sx, &self.ny);
        }
        for k in 0..batch.lambda {
            self.jl[k].mul_acc(&self.srho[k], &self.ny);
        }
    }

    /// Writes the sums mod q into `out` (in place: no temporary of the whole set).
    /// (γ is set: the attempts run after h.) X and J^x (from `witness_sums`) are left as they are.
    fn finish_into(&self, batch: &Batch<M>, out: &mut MaskedSums<M>) {
        for g in 0..GROUPS {
            out.a[g] = self.norms[g][0].to_rq();
            out.c[g] = self.norms[g][1].to_rq();
        }
        // J^y = Σγ_k P_k^y, the products `Batch::combine_jl` takes, in the same order.
        out.jy = Rq::zero();
        for k in 0..batch.lambda {
            out.jy.mul_acc(&batch.gamma[k], &self.jl[k].to_rq());
        }
    }
}

impl<M: Modulus> Drop for MaskedNtt<M> {
    fn drop(&mut self) {
        self.nx.zeroize();
        self.ny.zeroize();
        for n in &mut self.norms {
            n.zeroize();
        }
        for j in &mut self.jl {
            j.zeroize();
        }
    }
}

/// F̃ at c = [0, 1, −1][ci] (`cs`): the openings and the combined sums at c. Out of line, so that one set of
/// openings lives at a time and not in `open`'s frame while the masks' commitments are formed.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn f_tilde_at<P: ZkParams>(
    lay: &Layout,
    sec: &Secrets<P::M>,
    batch: &Batch<P::M>,
    pubs: &Publics<'_, P::M>,
    by2: &[Rq<P::M>; ELL_MAX],
    ups_mask: &[Rq<P::M>; GROUPS],
    acc: &MaskedAcc<P::M>,
    cs: &Rq<P::M>,
    ci: usize,
) -> Rq<P::M> {
    let op = openings::<P>(lay, sec, by2, ups_mask, cs);
    let (norms, jl) = acc.combined(ci);
    f_tilde(batch, pubs, cs, &op, &norms, &jl)
}

/// Openings at a scalar challenge c of the BDLOP messages (c·msg − b_j·y2, with `by2` = B·y2) and of υ
/// (c·υ + y_υ).
fn openings<P: ZkParams>(
    lay: &Layout,
    sec: &Secrets<P::M>,
    by2: &[Rq<P::M>; ELL_MAX],
    ups_mask: &[Rq<P::M>; GROUPS],
    c: &Rq<P::M>,
) -> Openings<P::M> {
    let msg = |row: usize, x: &Rq<P::M>| c.mul(x).sub(&by2[row]);
    let mut op = Openings::<P::M>::default();
    for t in 0..Y3_BLOCKS {
        op.y3[t] = msg(ROW_Y3 + t, &y3_block(&sec.y3, t));
    }
    op.beta = msg(ROW_BETA, &Rq::constant(P::M::from_i64(sec.beta)));
    for k in 0..lay.zk.lambda {
        op.g[k] = msg(ROW_G + k, &sec.g[k]);
    }
    for ((o, up), mask) in op.ups.iter_mut().zip(&sec.ups).zip(ups_mask) {
        *o = c.mul(&Rq::from_i64(up)).add(mask);
    }
    op
}

/// Block t of the JL mask y3 (rows 128t..128t+127) as a ring element.
fn y3_block<M: Modulus>(y3: &[i64; JL_ROWS], t: usize) -> Rq<M> {
    Rq::from_i64_slice(&y3[t * D..(t + 1) * D])
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::arith::{Q44, Q86};

    /// PROTOCOL §10: the carried prover state is a fixed set of types whose sizes do not depend on L (L
    /// is a runtime value, no type is generic over it); this pins the bound stated in the docs. `Scratch`
    /// holds e1 as residues mod q (u128 for q86: L's state is 32 KB larger than with i64, and derive_e1's
    /// 64 KB c0 temporary is gone).
    #[test]
    fn state_size_is_independent_of_chunks() {
        let s = core::mem::size_of::<Secrets<Q44>>() + core::mem::size_of::<Scratch<Q44, 2048>>();
        let l = core::mem::size_of::<Secrets<Q86>>() + core::mem::size_of::<Scratch<Q86, 4096>>();
        std::eprintln!("prover state: S {s} B, L {l} B");
        assert!(s <= 56 * 1024, "S state {s}");
        assert!(l <= 121 * 1024, "L state {l}");
    }
}
