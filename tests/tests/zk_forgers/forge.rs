//! The forger: proof bytes for an arbitrary (false) statement, built from the verifier's public
//! equations only (module doc of `zk_forgers.rs`). It never calls the prover: the commitments, the
//! transcript replay, the batched relation (`zk::eval`), the matrices (`zk::public`) and the wire
//! layout (`zk::layout`, `zk::proof`) are the same public building blocks `zk::verify` uses.
// Index loops walk several parallel arrays (coefficients, blocks, rows) in lockstep.
#![allow(clippy::needless_range_loop)]

use super::lll::short_solution;
use num_bigint::BigInt;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zkfl_core::arith::Modulus;
use zkfl_core::zk::codec::{CodecError, Sink};
use zkfl_core::zk::derive::{challenge_from_seed, jl_block, uniform_ring};
use zkfl_core::zk::eval::{Batch, Openings, Publics, f_k_without_jl, f_tilde};
use zkfl_core::zk::layout::{HEADER_BYTES, Layout, VERSION};
use zkfl_core::zk::params::{
    D, GROUPS, JL_ROWS, KMSIS_MAX, LAMBDA_MAX, M2_MAX, Y3_BLOCKS, ZkParams,
};
use zkfl_core::zk::proof::{BitWriter, ZWriter, put_ring};
use zkfl_core::zk::public::{
    A1Acc, ROW_BETA, ROW_G, ROW_Y3, a1_column_acc, a2_acc, a2_acc_unbound, b_row, mul_small_exact,
    row_t,
};
use zkfl_core::zk::ringmul::{mul_public_short, psi_block, psi_block_i64};
use zkfl_core::zk::rq::Rq;
use zkfl_core::zk::statement::{Context, Statement};
use zkfl_core::zk::walk::absorb_ring_vec;

/// Which commitment matrix A2 the forger believes the verifier uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The version-1 A2 = [I_n | 0 | A2'] (`a2_acc_unbound`): the BDLOP messages are not bound.
    Unbound,
    /// The fixed A2 = [I_n | A2'] (`a2_acc`).
    Bound,
}

/// Which messages are re-opened after μ, and how the masks are chosen.
#[derive(Clone, Copy, Debug)]
pub struct Variant {
    /// JL rows of y3 that receive a correction δ_i (lattice columns, rows 0..cols).
    pub cols: usize,
    /// Also correct the constant coefficients of g_1..g_λ (λ more lattice columns, coefficient −1).
    pub g_columns: bool,
    /// Re-open β3 = 1 as −1 after μ (a δ = −2 on its row), then solve for y3 as usual.
    pub flip_beta: bool,
    /// Gaussian masks y1 (σ_m / σ_s) and y2 (σ_s) instead of zero masks; g0, g1 from F̃ at 0, ±1.
    pub masks: bool,
}

/// The claimed witness (anything: the statement is false).
pub struct Claim<'a, const N: usize> {
    /// u, as a centred polynomial of R_N.
    pub u: &'a [i64; N],
    /// m_1..m_L.
    pub m: &'a [[i64; N]],
}

/// A forged proof and the size of what it had to re-open.
pub struct Forged {
    /// Proof bytes (the fixed part, then the Rice-coded z).
    pub proof: Vec<u8>,
    /// ‖δ‖∞ over every re-opened coordinate (y3 rows, g constants), before multiplication by c.
    pub delta_inf: i64,
    /// ‖δ‖₂.
    pub delta_l2: f64,
    /// Largest |coefficient| of the σ_s-class responses (z1 u/υ blocks, z2), against 2^(w_s−1).
    pub zs_inf: i64,
    /// The corrections ε_k of the constant coefficients of g_k (variant b; empty otherwise).
    pub eps: Vec<i64>,
    /// The residuals E_k = ct(Σ_i μ_{k,i}·F_i(s)) the correction had to cancel, centred.
    pub residuals: Vec<i128>,
}

/// A growing byte vector as a z sink.
pub struct VecSink<'a>(pub &'a mut Vec<u8>);

impl Sink for VecSink<'_> {
    fn put_byte(&mut self, b: u8) -> Result<(), CodecError> {
        self.0.push(b);
        Ok(())
    }
}

fn big<M: Modulus>(x: M::Coeff) -> BigInt {
    BigInt::from(M::to_u128(x))
}

/// A rounded Gaussian of width σ (test-only Box–Muller; the forger has no secrecy to keep).
fn gaussian(rng: &mut ChaCha20Rng, sigma: u64, out: &mut [i64]) {
    for x in out.iter_mut() {
        let u1 = (f64::from(rng.next_u32()) + 1.0) / 4_294_967_297.0;
        let u2 = f64::from(rng.next_u32()) / 4_294_967_296.0;
        let g = (-2.0 * u1.ln()).sqrt() * (2.0 * core::f64::consts::PI * u2).cos();
        *x = (g * sigma as f64).round() as i64;
    }
}

/// An s3 block as witness part x and mask part x_y: its opening at c is c·x + x_y.
struct Block<M: Modulus> {
    x: Rq<M>,
    y: Rq<M>,
    group: Option<usize>,
}

/// The norm sums N_g(c) = Σ σ(x_b(c))·x_b(c) and the JL sums P_k(c) = Σ_b σ(ρ_{k,b})·x_b(c), the
/// same quantities the verifier accumulates in its z pass (`zk::verify`), here at any opening.
fn sums<M: Modulus>(
    blocks: &[Block<M>],
    srho: &[[Rq<M>; LAMBDA_MAX]],
    lambda: usize,
    c: &Rq<M>,
    masks: bool,
) -> ([Rq<M>; GROUPS], [Rq<M>; LAMBDA_MAX]) {
    let mut norms = [Rq::<M>::zero(); GROUPS];
    let mut p = [Rq::<M>::zero(); LAMBDA_MAX];
    for (b, blk) in blocks.iter().enumerate() {
        let mut o = c.mul(&blk.x);
        if masks {
            o.add_assign(&blk.y);
        }
        if let Some(g) = blk.group {
            norms[g].mul_acc(&o.sigma(), &o);
        }
        for k in 0..lambda {
            p[k].mul_acc(&srho[b][k], &o);
        }
    }
    (norms, p)
}

/// Forges a proof for `stmt` (any ciphertext, any bound) claiming the witness `claim`.
pub fn forge<P: ZkParams, const N: usize>(
    stmt: &Statement<'_, P::M, N>,
    ctx: &Context,
    claim: &Claim<'_, N>,
    target: Target,
    var: Variant,
    seed: u64,
) -> Forged {
    let lay: Layout = stmt.layout::<P>().expect("statement shape");
    let set = P::ID;
    let (n, lambda, m2, k) = (lay.zk.kmsis, lay.zk.lambda, lay.zk.m2(), lay.k);
    let one = Rq::<P::M>::constant(P::M::from_i64(1));
    let mut rng = ChaCha20Rng::seed_from_u64(seed);

    // s1 = ψ(u) ‖ ψ(m) ‖ υ (υ = 0) as signed blocks in column order of A1, with masks y1.
    let mut s1: Vec<[i64; D]> = Vec::with_capacity(lay.m1());
    let mut blk = [0i64; D];
    for i in 0..k {
        psi_block_i64::<N>(claim.u, i, &mut blk);
        s1.push(blk);
    }
    for mj in claim.m {
        for i in 0..k {
            psi_block_i64::<N>(mj, i, &mut blk);
            s1.push(blk);
        }
    }
    s1.extend([[0i64; D]; GROUPS]);
    let mut y1 = vec![[0i64; D]; lay.m1()];
    let mut y2 = [[0i64; D]; M2_MAX];
    if var.masks {
        for (col, y) in y1.iter_mut().enumerate() {
            let is_m = col >= k && col < k * (1 + lay.l);
            gaussian(
                &mut rng,
                if is_m { lay.zk.sigma_m } else { lay.zk.sigma_s },
                y,
            );
        }
        for y in y2.iter_mut().take(m2) {
            gaussian(&mut rng, lay.zk.sigma_s, y);
        }
    }
    // s2 uniform ternary.
    let mut s2 = [[0i64; D]; M2_MAX];
    for s in s2.iter_mut().take(m2) {
        for x in s.iter_mut() {
            *x = i64::from(rng.next_u32() % 3) - 1;
        }
    }
    let ring = |v: &[[i64; D]; M2_MAX]| -> [Rq<P::M>; M2_MAX] {
        core::array::from_fn(|t| Rq::from_i64(&v[t]))
    };
    let a2 = |v: &[Rq<P::M>; M2_MAX], acc: &mut [Rq<P::M>; KMSIS_MAX]| match target {
        Target::Unbound => a2_acc_unbound::<P::M>(set, &lay, v, acc),
        Target::Bound => a2_acc::<P::M>(set, &lay, v, acc),
    };
    let a1 = |v: &[[i64; D]]| -> [Rq<P::M>; KMSIS_MAX] {
        let mut acc = A1Acc::<P::M>::default();
        for (col, x) in v.iter().enumerate() {
            a1_column_acc::<P::M>(set, &lay, col, &Rq::from_i64(x), &mut acc);
        }
        acc.finish(n)
    };
    let s2r = ring(&s2);
    let y2r = ring(&y2);

    // Step 1: t_A = A1·s1 + A2·s2.
    let mut t_a = a1(&s1);
    a2(&s2r, &mut t_a);
    let mut tr = stmt.transcript::<P>(ctx);
    absorb_ring_vec(&mut tr, b"t_A", &t_a[..n]);

    // Step 2: y3 = 0, β3 = 1 committed; z3 = 0 (V3 passes whatever R is).
    let mut y3 = [Rq::<P::M>::zero(); Y3_BLOCKS];
    let beta = one;
    let t_y: [Rq<P::M>; Y3_BLOCKS] =
        core::array::from_fn(|t| b_row(set, &lay, ROW_Y3 + t, &s2r).add(&y3[t]));
    let t_b = b_row(set, &lay, ROW_BETA, &s2r).add(&beta);
    absorb_ring_vec(&mut tr, b"t_y", &t_y);
    tr.absorb_coeffs::<P::M>(b"t_beta", &t_b.0);
    let jl_seed = tr.challenge_seed(b"jl");
    let z3 = [0i64; JL_ROWS];
    tr.absorb_i64s(b"z3", &z3);

    // Step 3: garbage g_k uniform with ct(g_k) = 0.
    let gseed: [u8; 32] = core::array::from_fn(|i| (seed >> (8 * (i % 8))) as u8 ^ i as u8);
    let mut g = [Rq::<P::M>::zero(); LAMBDA_MAX];
    for kk in 0..lambda {
        g[kk] = uniform_ring::<P::M>(b"forger-g", &gseed, kk as u64);
        g[kk].0[0] = P::M::zero();
    }
    let t_g: Vec<Rq<P::M>> = (0..lambda)
        .map(|kk| b_row(set, &lay, ROW_G + kk, &s2r).add(&g[kk]))
        .collect();
    absorb_ring_vec(&mut tr, b"t_g", &t_g);
    let mu_seed = tr.challenge_seed(b"mu");
    let mut batch = Batch::<P::M>::from_mu_seed(lambda, &mu_seed);

    // s3 blocks (witness part, mask part) and σ(ρ_{k,b}) for every block.
    let mut blocks: Vec<Block<P::M>> = (0..lay.s3_blocks())
        .map(|_| Block {
            x: Rq::zero(),
            y: Rq::zero(),
            group: None,
        })
        .collect();
    let mut yu = [0i64; N];
    for i in 0..k {
        let col = &y1[i];
        for (t, &v) in col.iter().enumerate() {
            yu[i + t * k] = v;
        }
    }
    let mut au = vec![P::M::zero(); N];
    let mut ayu = vec![P::M::zero(); N];
    let au_arr: &mut [<P::M as Modulus>::Coeff; N] = (&mut au[..]).try_into().expect("N");
    mul_public_short::<P::M, N>(stmt.pk_a, claim.u, au_arr);
    let ayu_arr: &mut [<P::M as Modulus>::Coeff; N] = (&mut ayu[..]).try_into().expect("N");
    mul_public_short::<P::M, N>(stmt.pk_a, &yu, ayu_arr);
    let au_a: &[<P::M as Modulus>::Coeff; N] = au[..].try_into().expect("N");
    let ayu_a: &[<P::M as Modulus>::Coeff; N] = ayu[..].try_into().expect("N");
    for i in 0..k {
        blocks[lay.s3_u(i)] = Block {
            x: Rq::from_i64(&s1[i]),
            y: Rq::from_i64(&y1[i]),
            group: Some(1),
        };
        blocks[lay.s3_e2(i)] = Block {
            x: psi_block::<P::M, N>(stmt.c1, i).sub(&psi_block::<P::M, N>(au_a, i)),
            y: psi_block::<P::M, N>(ayu_a, i).neg(),
            group: Some(2),
        };
    }
    for j in 0..lay.l {
        let mut bu = vec![P::M::zero(); N];
        let mut byu = vec![P::M::zero(); N];
        mul_public_short::<P::M, N>(&stmt.pk_b[j], claim.u, (&mut bu[..]).try_into().expect("N"));
        mul_public_short::<P::M, N>(&stmt.pk_b[j], &yu, (&mut byu[..]).try_into().expect("N"));
        let bu_a: &[<P::M as Modulus>::Coeff; N] = bu[..].try_into().expect("N");
        let byu_a: &[<P::M as Modulus>::Coeff; N] = byu[..].try_into().expect("N");
        for i in 0..k {
            let col = lay.s1_m(j, i);
            let xm = Rq::<P::M>::from_i64(&s1[col]);
            let ym = Rq::<P::M>::from_i64(&y1[col]);
            blocks[lay.s3_e1(j, i)] = Block {
                x: psi_block::<P::M, N>(&stmt.c0[j], i)
                    .sub(&psi_block::<P::M, N>(bu_a, i))
                    .sub(&xm.scale(stmt.delta())),
                y: psi_block::<P::M, N>(byu_a, i)
                    .neg()
                    .sub(&ym.scale(stmt.delta())),
                group: Some(3),
            };
            blocks[lay.s3_m(j, i)] = Block {
                x: xm,
                y: ym,
                group: Some(0),
            };
        }
    }
    for gi in 0..GROUPS {
        let col = lay.s1_ups(gi);
        blocks[lay.s3_ups(gi)] = Block {
            x: Rq::from_i64(&s1[col]),
            y: Rq::from_i64(&y1[col]),
            group: None,
        };
    }
    let mut rows = Box::new([[0i8; D]; JL_ROWS]);
    let srho: Vec<[Rq<P::M>; LAMBDA_MAX]> = (0..blocks.len())
        .map(|b| {
            jl_block(&jl_seed, b, &mut rows);
            let mut rho = [Rq::<P::M>::zero(); LAMBDA_MAX];
            batch.rho(&rows, &mut rho);
            core::array::from_fn(|kk| rho[kk].sigma())
        })
        .collect();

    // F_k(s) = Σ_i μ_{k,i}·F_i(s) at the (possibly re-opened) messages: F̃_k^{noJL}(1) − β3·P_k.
    let z3q: [<P::M as Modulus>::Coeff; JL_ROWS] = core::array::from_fn(|i| P::M::from_i64(z3[i]));
    let h0 = [Rq::<P::M>::zero(); LAMBDA_MAX];
    let (norms1, p1) = sums(&blocks, &srho, lambda, &one, false);
    let ups: [Rq<P::M>; GROUPS] = core::array::from_fn(|gi| blocks[lay.s3_ups(gi)].x);
    let f_k = |batch: &Batch<P::M>, y3: &[Rq<P::M>; Y3_BLOCKS], beta: &Rq<P::M>, kk: usize| {
        let pubs = Publics {
            lay: &lay,
            z3: &z3q,
            h: &h0,
        };
        let op = Openings {
            y3: *y3,
            beta: *beta,
            g: [Rq::zero(); LAMBDA_MAX],
            ups,
        };
        f_k_without_jl(batch, kk, &pubs, &one, &op, &norms1).sub(&beta.mul(&p1[kk]))
    };

    // Re-open after μ: β3 → −β3 (variant c), then a short (δ, ε) with
    // Σ_i μ_{k,i}·δ_i − ε_k ≡ E_k (mod q) for every k, found by LLL + Babai.
    let beta_new = if var.flip_beta { beta.neg() } else { beta };
    let resid: Vec<<P::M as Modulus>::Coeff> = (0..lambda)
        .map(|kk| f_k(&batch, &y3, &beta_new, kk).ct())
        .collect();
    let q = BigInt::from(P::M::Q);
    let ncols = var.cols + if var.g_columns { lambda } else { 0 };
    let mat: Vec<Vec<BigInt>> = (0..lambda)
        .map(|kk| {
            let mut row: Vec<BigInt> = (0..var.cols)
                .map(|i| big::<P::M>(batch.mu[kk][i]))
                .collect();
            if var.g_columns {
                for k2 in 0..lambda {
                    row.push(BigInt::from(if k2 == kk { -1 } else { 0 }));
                }
            }
            row
        })
        .collect();
    let rhs: Vec<BigInt> = resid.iter().map(|&e| big::<P::M>(e)).collect();
    let x = short_solution(&mat, &rhs, &q);
    assert_eq!(x.len(), ncols);
    let xi: Vec<i64> = x
        .iter()
        .map(|v| i64::try_from(v.clone()).expect("short δ"))
        .collect();
    // y3' = y3 + δ; s2' = s2 − (msg' − msg) on every re-opened row, so t_y, t_β, t_g stay the same.
    let mut s2n = s2;
    for i in 0..var.cols {
        let (t, j) = (i / D, i % D);
        y3[t].0[j] = P::M::add(y3[t].0[j], P::M::from_i64(xi[i]));
        s2n[n + ROW_Y3 + t][j] -= xi[i];
    }
    if var.g_columns {
        for kk in 0..lambda {
            let e = xi[var.cols + kk];
            g[kk].0[0] = P::M::add(g[kk].0[0], P::M::from_i64(e));
            s2n[n + ROW_G + kk][0] -= e;
        }
    }
    if var.flip_beta {
        // β3' − β3 = −2.
        s2n[n + ROW_BETA][0] += 2;
    }
    let s2nr = ring(&s2n);
    // h_k := g'_k + F_k(s'): then F(s') = 0 and ct(h_k) = 0 (V2) by the choice of δ.
    let mut h = [Rq::<P::M>::zero(); LAMBDA_MAX];
    for kk in 0..lambda {
        h[kk] = g[kk].add(&f_k(&batch, &y3, &beta_new, kk));
        assert_eq!(h[kk].ct(), P::M::zero(), "ct(h_{kk}) after the correction");
    }
    absorb_ring_vec(&mut tr, b"h", &h[..lambda]);
    let gamma_seed = tr.challenge_seed(b"gamma");
    batch.set_gamma(&gamma_seed);

    // Step 5: F̃ at c ∈ {0, ±1} (openings c·x + mask), g0 = F̃(0), g1 = (F̃(1) − F̃(−1))/2.
    let msg_mask = |row: usize| b_row(set, &lay, row, &y2r).neg();
    let ft_at = |cv: i64| -> Rq<P::M> {
        let c = Rq::<P::M>::constant(P::M::from_i64(cv));
        let (norms, p) = sums(&blocks, &srho, lambda, &c, var.masks);
        let open = |msg: &Rq<P::M>, row: usize| {
            let o = c.mul(msg);
            if var.masks { o.add(&msg_mask(row)) } else { o }
        };
        let op = Openings {
            y3: core::array::from_fn(|t| open(&y3[t], ROW_Y3 + t)),
            beta: open(&beta_new, ROW_BETA),
            g: core::array::from_fn(|kk| {
                if kk < lambda {
                    open(&g[kk], ROW_G + kk)
                } else {
                    Rq::zero()
                }
            }),
            ups: core::array::from_fn(|gi| {
                let b = &blocks[lay.s3_ups(gi)];
                let o = c.mul(&b.x);
                if var.masks { o.add(&b.y) } else { o }
            }),
        };
        let pubs = Publics {
            lay: &lay,
            z3: &z3q,
            h: &h,
        };
        f_tilde(&batch, &pubs, &c, &op, &norms, &batch.combine_jl(&p))
    };
    let (f0, fp, fm) = (ft_at(0), ft_at(1), ft_at(-1));
    let half = P::M::from_u128(P::M::Q.div_ceil(2));
    let g1 = fp.sub(&fm).scale(half);
    let f_s = fp.add(&fm).scale(half).sub(&f0);
    assert_eq!(f_s, Rq::zero(), "F(s') = 0 after the correction");
    let t_t = b_row(set, &lay, row_t(lambda), &s2nr).add(&g1);
    let v = f0.add(&b_row(set, &lay, row_t(lambda), &y2r));
    let mut w = a1(&y1);
    a2(&y2r, &mut w);
    absorb_ring_vec(&mut tr, b"w", &w[..n]);
    tr.absorb_coeffs::<P::M>(b"t_t", &t_t.0);
    tr.absorb_coeffs::<P::M>(b"v", &v.0);
    let c_seed = tr.challenge_seed(b"c");
    let c = challenge_from_seed(&c_seed);

    // z1 = y1 + c·s1, z2 = y2 + c·s2' (exact integers).
    let resp = |s: &[i64; D], y: &[i64; D]| -> [i64; D] {
        let mut o = [0i64; D];
        mul_small_exact(&c, s, &mut o);
        core::array::from_fn(|i| o[i] + y[i])
    };
    let z1: Vec<[i64; D]> = s1.iter().zip(y1.iter()).map(|(s, y)| resp(s, y)).collect();
    let z2: Vec<[i64; D]> = (0..m2).map(|t| resp(&s2n[t], &y2[t])).collect();

    // Wire format (PROTOCOL §12, `zk::layout`).
    let mut out = vec![0u8; lay.off_z1u()];
    out[..3].copy_from_slice(b"ZKP");
    out[3] = VERSION;
    out[4] = P::ID;
    out[5..HEADER_BYTES].copy_from_slice(&(lay.l as u16).to_le_bytes());
    let rb = lay.ring_bytes();
    for r in 0..n {
        put_ring(&t_a[r], &mut out[lay.off_ta() + r * rb..]);
    }
    for t in 0..Y3_BLOCKS {
        put_ring(&t_y[t], &mut out[lay.off_ty() + t * rb..]);
    }
    put_ring(&t_b, &mut out[lay.off_tb()..]);
    for kk in 0..lambda {
        put_ring(&t_g[kk], &mut out[lay.off_tg() + kk * rb..]);
        put_ring(&h[kk], &mut out[lay.off_h() + kk * rb..]);
    }
    put_ring(&t_t, &mut out[lay.off_tt()..]);
    out[lay.off_cseed()..lay.off_z1u()].copy_from_slice(&c_seed);
    let pack = |buf: &mut [u8], vals: &mut dyn Iterator<Item = i64>, w: u32| {
        let mut wr = BitWriter::new(buf);
        for x in vals {
            assert!(wr.put(x, w), "value {x} does not fit {w} bits");
        }
        wr.finish();
    };
    let (off_z3, off_h) = (lay.off_z3(), lay.off_h());
    pack(&mut out[off_z3..off_h], &mut z3.iter().copied(), lay.zk.w3);
    // z1 (u blocks, m blocks, υ blocks) then z2, Rice coded in wire order (§12.1).
    out.truncate(lay.off_z1u());
    let mut zw = ZWriter::new(&lay);
    let mut sink = VecSink(&mut out);
    for x in z1.iter().chain(z2.iter()).flatten() {
        zw.push(&mut sink, *x)
            .unwrap_or_else(|e| panic!("value {x} has no code: {e}"));
    }
    zw.finish(&mut sink).expect("every coefficient written");

    let zs_inf = z1[..k]
        .iter()
        .chain(z1[k * (1 + lay.l)..].iter())
        .chain(z2.iter())
        .flatten()
        .map(|x| x.abs())
        .max()
        .unwrap_or(0);
    Forged {
        proof: out,
        delta_inf: xi.iter().map(|x| x.abs()).max().unwrap_or(0),
        delta_l2: xi
            .iter()
            .map(|&x| (x as f64) * (x as f64))
            .sum::<f64>()
            .sqrt(),
        zs_inf,
        eps: xi[var.cols..].to_vec(),
        residuals: resid.iter().map(|&e| P::M::to_centered(e)).collect(),
    }
}
