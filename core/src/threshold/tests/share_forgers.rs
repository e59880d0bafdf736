//! Forgers (b) and (f) of docs/THRESHOLD.md §6.8 against the share proof, built outside the prover.
//!
//! [`forge`] writes proof bytes for any claimed witness (S, X1, X2) of the share relation from the public
//! equations alone: the public matrices (`zk::public`), the JL rows (`zk::derive`), the batched relation
//! (`zk::eval`), the transcript schedule the verifier replays (`zk::schedule`, started by
//! `share_proof::transcript`) and the wire layout (`zk::layout`, `zk::proof`). It never calls `zk::prove`. It
//! follows the protocol honestly (zero masks, which nothing checks but the ‖z‖ upper bound V4, and β3 = 1):
//! commitments, z3 = R·s3, the slack bits υ_g of (B_g² − ‖w_g‖²) mod q, h_k = g_k + F_k(s), the garbage
//! terms from F̃ at 0 and ±1, z = c·s. So every check passes that the claimed witness satisfies, and the
//! checks it violates are the only ones that can refuse it:
//!
//! - (b) exact norm: ‖X1‖² = B_X1² + 1 and ‖X2‖² = B_X2² + 1. No binary slack reaches −1, so the norm
//!   constraints leave ct(F_k(s)) = μ_{k,X1} + μ_{k,X2} ≠ 0 and h_k = g_k + F_k(s) has a nonzero constant
//!   term: accepted by the verifier without V2 (ct(h_k) = 0), refused by the real one (`HConstant`).
//! - (f) wrap-around: ‖X1‖² = q + B_X1² − s with binary slack s < 2^ℓ_X1, so every Z_q constraint holds
//!   (‖X1‖² ≡ B_X1² − s mod q) and only the JL projection shows that ‖s3‖ ≥ √q. Accepted by the verifier
//!   without the JL check (V3 off and z3 read at 63 bits, since z3 = R·s3 does not fit the 44-bit field: the
//!   field width is the first line of the JL bound); refused by the real one: the nearest encodable z3 (each
//!   row clamped to the field, ct(h_k) kept 0 for V2) fails V3 (`Z3Norm`), and with V3 off it no longer
//!   satisfies the JL rows (V7/V8, `Challenge`). The no-wrap condition (2) of §6.5 is what turns "z3 short" into "‖X1‖² < q".
//!
//! Both statements are false, not only the witnesses (module [`witness`] doc): X1 = λ·X2 + r with λ > 0 and
//! ‖r‖ < 2^22, and both digits at or over their bounds, admit no other digit split (X1 + 2^23·δ, X2 − δ)
//! within the bounds; S is fixed by B_S (ring-SIS binding, §6.4 S3).
//!
//! Positive control: the same forger with the honest witness of member 2 (its real share) is accepted by the
//! real verifier, so each refusal is due to the violated bound, not to the forger.
//!
//! Run: cargo test --release -p zkfl-core --lib threshold::tests::share_forgers (≈ 10 s).
#![allow(clippy::needless_range_loop)]

use super::share_proof::honest;
use super::*;
use crate::threshold::share_proof::{
    self as sp, ShareContext, ShareProofFailure, SharePublic, relation, transcript,
};
use crate::threshold::share_proof_params::{ShareProofParams, derive};
use crate::zk::codec::{CodecError, Sink};
use crate::zk::derive::{challenge_from_seed, jl_block, uniform_ring};
use crate::zk::eval::{Batch, Openings, Publics, f_k_without_jl, f_tilde};
use crate::zk::layout::{HEADER_BYTES, Layout, VERSION};
use crate::zk::params::{D, GROUPS, JL_HALF, JL_ROWS, KMSIS_MAX, LAMBDA_MAX, M2_MAX, Y3_BLOCKS};
use crate::zk::proof::{BitWriter, ProofError, ZWriter, put_ring};
use crate::zk::public::{
    A1Acc, ROW_BETA, ROW_G, ROW_Y3, a1_column_acc, a2_acc, b_row, mul_small_exact, row_t,
};
use crate::zk::ringmul::{mul_public_short, psi_block_i64};
use crate::zk::rq::Rq;
use crate::zk::schedule::Commit;
use crate::zk::statement::{Relation, Statement};
use crate::zk::verify::{Disable, verify_relation_with};

/// The share relation's witness as the forger claims it (centred integers).
struct Claim<'a> {
    s: &'a [i64; N],
    x1: &'a [i64; N],
    x2: &'a [i64; N],
}

/// The public inputs of one chunk's statement except d (which the forger derives from its claim).
struct Pub<'a> {
    a: &'a Pl,
    c1: &'a Pl,
    b_s: &'a Pl,
}

/// A forged proof with what it had to encode.
struct Forged {
    /// The share d = c1·S + X1 + 2^23·X2 the proof is for.
    d: Box<Pl>,
    proof: Vec<u8>,
    /// The JL projection z3 = R·s3 before encoding (clamped or not).
    z3: Box<[i64; JL_ROWS]>,
    /// ct(F_k(s)) for k < λ: the constraints the claim violates, batched (zero for a true claim).
    residual_nonzero: bool,
}

struct VecSink<'a>(&'a mut Vec<u8>);

impl Sink for VecSink<'_> {
    fn put_byte(&mut self, b: u8) -> Result<(), CodecError> {
        self.0.push(b);
        Ok(())
    }
}

fn norm_sq(x: &[i64]) -> i128 {
    x.iter().map(|&v| i128::from(v) * i128::from(v)).sum()
}

fn centred_of(p: &Pl) -> Box<[i64; N]> {
    Box::new(core::array::from_fn(|i| {
        i64::try_from(M::to_centered(p.coeffs[i])).expect("short")
    }))
}

/// The norm sums N_g(c) and JL sums P_k(c) at openings c·x (no masks), as the verifier accumulates them.
fn sums(
    blocks: &[(Rq<M>, Option<usize>)],
    srho: &[[Rq<M>; LAMBDA_MAX]],
    lambda: usize,
    c: &Rq<M>,
) -> ([Rq<M>; GROUPS], [Rq<M>; LAMBDA_MAX]) {
    let mut norms = [Rq::<M>::zero(); GROUPS];
    let mut p = [Rq::<M>::zero(); LAMBDA_MAX];
    for (b, (x, g)) in blocks.iter().enumerate() {
        let o = c.mul(x);
        if let Some(g) = g {
            norms[*g].mul_acc(&o.sigma(), &o);
        }
        for k in 0..lambda {
            p[k].mul_acc(&srho[b][k], &o);
        }
    }
    (norms, p)
}

/// Proof bytes for the claim under layout `lay` (the share proof's, or one with another z3 width). With
/// `clamp`, z3 is clamped to its field (the best a forger can encode when R·s3 does not fit) and ct(h_k) is
/// set to 0 so that V2 passes and the broken JL rows are left to V3 and V7/V8.
#[allow(clippy::too_many_lines)]
fn forge(
    params: &ShareProofParams,
    lay: &Layout,
    ctx: &ShareContext<'_>,
    public: &Pub<'_>,
    claim: &Claim<'_>,
    clamp: bool,
    seed: u64,
) -> Forged {
    let rel = relation::<P>(params);
    let set = rel.crs;
    let (n, lambda, m2, k) = (lay.zk.kmsis, lay.zk.lambda, lay.zk.m2(), lay.k);
    let one = Rq::<M>::constant(M::from_i64(1));
    let mut rng = ChaCha20Rng::seed_from_u64(seed);

    // The statement: d = c1·S + X1 + 2^23·X2 and e_S = −B_S − a·S (mod q).
    let mut c1s = Box::new([M::zero(); N]);
    mul_public_short::<M, N>(&public.c1.coeffs, claim.s, &mut c1s);
    let delta = M::from_u128(u128::from(sp::SHARE_DELTA));
    let mut d = Box::new(Pl::zero());
    for i in 0..N {
        let hi = M::mul(delta, M::from_i64(claim.x2[i]));
        d.coeffs[i] = M::add(M::add(c1s[i], M::from_i64(claim.x1[i])), hi);
    }
    let mut a_s = Box::new([M::zero(); N]);
    mul_public_short::<M, N>(&public.a.coeffs, claim.s, &mut a_s);
    let mut e_s_q = Box::new(Pl::zero());
    for i in 0..N {
        e_s_q.coeffs[i] = M::neg(M::add(public.b_s.coeffs[i], a_s[i]));
    }
    let e_s = centred_of(&e_s_q);

    // Slack bits of (B_g² − ‖w_g‖²) mod q where they fit ℓ_g bits (groups X2, S, e_S, X1), else none.
    let q = M::Q;
    let group_norms = [
        norm_sq(claim.x2),
        norm_sq(claim.s),
        norm_sq(&e_s[..]),
        norm_sq(claim.x1),
    ];
    let mut ups = [[0i64; D]; GROUPS];
    for g in 0..GROUPS {
        let w = group_norms[g] as u128 % q;
        let slack = (lay.bound_sq[g] % q + q - w) % q;
        if slack >> lay.bits(g) == 0 {
            for t in 0..lay.bits(g) {
                ups[g][t] = ((slack >> t) & 1) as i64;
            }
        }
    }

    // s1 = ψ(S) ‖ ψ(X2) ‖ υ in A1's column order; s2 ternary; every mask zero, β3 = 1, y3 = 0.
    let mut s1 = vec![[0i64; D]; lay.m1()];
    for i in 0..k {
        psi_block_i64::<N>(claim.s, i, &mut s1[i]);
        psi_block_i64::<N>(claim.x2, i, &mut s1[lay.s1_m(0, i)]);
    }
    for g in 0..GROUPS {
        s1[lay.s1_ups(g)] = ups[g];
    }
    let mut s2 = [[0i64; D]; M2_MAX];
    for s in s2.iter_mut().take(m2) {
        for x in s.iter_mut() {
            *x = i64::from(rng.next_u32() % 3) - 1;
        }
    }
    let s2r: [Rq<M>; M2_MAX] = core::array::from_fn(|t| Rq::from_i64(&s2[t]));

    // Step 1: t_A = A1·s1 + A2·s2.
    let mut acc = A1Acc::<M>::default();
    for (col, x) in s1.iter().enumerate() {
        a1_column_acc::<M>(set, lay, col, &Rq::from_i64(x), &mut acc);
    }
    let mut t_a = acc.finish(n);
    a2_acc::<M>(set, lay, &s2r, &mut t_a);
    let start = transcript::<P, N>(params, ctx, public.b_s, &d);
    let fs = Commit::new(start).t_a(&t_a[..n]);

    // Steps 2–4: t_y = b_y·s2 (y3 = 0), t_β = b_β·s2 + 1; the JL seed.
    let t_y: [Rq<M>; Y3_BLOCKS] = core::array::from_fn(|t| b_row(set, lay, ROW_Y3 + t, &s2r));
    let t_b = b_row(set, lay, ROW_BETA, &s2r).add(&one);
    let (jl_seed, fs) = fs.jl_seed(&t_y, &t_b);

    // s3 blocks: ψ(S), ψ(e_S), ψ(X1), ψ(X2), υ (integer values and group).
    let mut s3 = vec![([0i64; D], None::<usize>); lay.s3_blocks()];
    for i in 0..k {
        psi_block_i64::<N>(claim.s, i, &mut s3[lay.s3_u(i)].0);
        s3[lay.s3_u(i)].1 = Some(1);
        psi_block_i64::<N>(&e_s, i, &mut s3[lay.s3_e2(i)].0);
        s3[lay.s3_e2(i)].1 = Some(2);
        psi_block_i64::<N>(claim.x1, i, &mut s3[lay.s3_e1(0, i)].0);
        s3[lay.s3_e1(0, i)].1 = Some(3);
        psi_block_i64::<N>(claim.x2, i, &mut s3[lay.s3_m(0, i)].0);
        s3[lay.s3_m(0, i)].1 = Some(0);
    }
    for g in 0..GROUPS {
        s3[lay.s3_ups(g)].0 = ups[g];
    }

    // Step 5: z3 = y3 + β3·R·s3 = R·s3 over the integers.
    let mut rows = Box::new([[0i8; D]; JL_ROWS]);
    let mut z3w = [0i128; JL_ROWS];
    for (b, (x, _)) in s3.iter().enumerate() {
        jl_block(&jl_seed, b, &mut rows);
        for i in 0..JL_ROWS {
            for t in 0..D {
                z3w[i] += i128::from(rows[i][t]) * i128::from(x[t]);
            }
        }
    }
    let lim = (1i64 << (lay.zk.w3 - 1)) - 1;
    let z3: Box<[i64; JL_ROWS]> = Box::new(core::array::from_fn(|i| {
        let v = i64::try_from(z3w[i]).expect("z3 within 63 bits");
        if clamp { v.clamp(-lim, lim) } else { v }
    }));
    let fs = fs.z3(&z3);

    // Steps 6–7: garbage g_k uniform with ct(g_k) = 0, t_g = b_g·s2 + g_k; μ.
    let gseed = [seed as u8; 32];
    let mut g = [Rq::<M>::zero(); LAMBDA_MAX];
    for kk in 0..lambda {
        g[kk] = uniform_ring::<M>(b"share-forger-g", &gseed, kk as u64);
        g[kk].0[0] = M::zero();
    }
    let t_g: Vec<Rq<M>> = (0..lambda)
        .map(|kk| b_row(set, lay, ROW_G + kk, &s2r).add(&g[kk]))
        .collect();
    let (mu_seed, fs) = fs.mu_seed(&t_g[..]);
    let mut batch = Batch::<M>::from_mu_seed(lambda, &mu_seed);

    let blocks: Vec<(Rq<M>, Option<usize>)> =
        s3.iter().map(|(x, gr)| (Rq::from_i64(x), *gr)).collect();
    let srho: Vec<[Rq<M>; LAMBDA_MAX]> = (0..blocks.len())
        .map(|b| {
            jl_block(&jl_seed, b, &mut rows);
            let mut rho = [Rq::<M>::zero(); LAMBDA_MAX];
            batch.rho(&rows, &mut rho);
            core::array::from_fn(|kk| rho[kk].sigma())
        })
        .collect();
    let ups_r: [Rq<M>; GROUPS] = core::array::from_fn(|gi| Rq::from_i64(&ups[gi]));
    let z3q: [<M as Modulus>::Coeff; JL_ROWS] = core::array::from_fn(|i| M::from_i64(z3[i]));

    // Steps 8–9: h_k = g_k + F_k(s), F_k(s) = F̃_k^{noJL}(1) − β3·P_k(1); γ.
    let (norms1, p1) = sums(&blocks, &srho, lambda, &one);
    let h0 = [Rq::<M>::zero(); LAMBDA_MAX];
    let mut h = [Rq::<M>::zero(); LAMBDA_MAX];
    let mut residual_nonzero = false;
    for kk in 0..lambda {
        let pubs = Publics {
            lay,
            z3: &z3q,
            h: &h0,
        };
        let op = Openings {
            y3: [Rq::zero(); Y3_BLOCKS],
            beta: one,
            g: [Rq::zero(); LAMBDA_MAX],
            ups: ups_r,
        };
        let fk = f_k_without_jl(&batch, kk, &pubs, &one, &op, &norms1).sub(&p1[kk]);
        residual_nonzero |= fk.ct() != M::zero();
        h[kk] = g[kk].add(&fk);
        if clamp {
            // V2 is checked first: keep ct(h_k) = 0 and leave F(s) ≠ 0 to V3 and V7/V8.
            h[kk].0[0] = M::zero();
        }
    }
    let (gamma_seed, fs) = fs.gamma_seed(&h[..lambda]);
    batch.set_gamma(&gamma_seed);

    // Steps 10–13: F̃ at c ∈ {0, ±1}; g1 = (F̃(1) − F̃(−1))/2, t_t = b_t·s2 + g1, v = F̃(0) (no masks), w = 0.
    let ft_at = |cv: i64| -> Rq<M> {
        let c = Rq::<M>::constant(M::from_i64(cv));
        let (norms, p) = sums(&blocks, &srho, lambda, &c);
        let op = Openings {
            y3: [Rq::zero(); Y3_BLOCKS],
            beta: c,
            g: core::array::from_fn(|kk| {
                if kk < lambda {
                    c.mul(&g[kk])
                } else {
                    Rq::zero()
                }
            }),
            ups: core::array::from_fn(|gi| c.mul(&ups_r[gi])),
        };
        let pubs = Publics {
            lay,
            z3: &z3q,
            h: &h,
        };
        f_tilde(&batch, &pubs, &c, &op, &norms, &batch.combine_jl(&p))
    };
    let (f0, fp, fm) = (ft_at(0), ft_at(1), ft_at(-1));
    let half = M::from_u128(q.div_ceil(2));
    let g1 = fp.sub(&fm).scale(half);
    if !clamp {
        assert_eq!(
            fp.add(&fm).scale(half).sub(&f0),
            Rq::zero(),
            "F(s) = 0 with h_k = g_k + F_k(s)"
        );
    }
    let t_t = b_row(set, lay, row_t(lambda), &s2r).add(&g1);
    let w = [Rq::<M>::zero(); KMSIS_MAX];
    let c_seed = fs.c_seed(&w[..n], &t_t, &f0);
    let c = challenge_from_seed(&c_seed);

    // z1 = c·s1, z2 = c·s2 (exact integers).
    let resp = |s: &[i64; D]| -> [i64; D] {
        let mut o = [0i64; D];
        mul_small_exact(&c, s, &mut o);
        o
    };

    // Wire format (PROTOCOL §12).
    let mut out = vec![0u8; lay.off_z1u()];
    out[..3].copy_from_slice(b"ZKP");
    out[3] = VERSION;
    out[4] = <P as ParamSet>::ID;
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
    {
        let (off_z3, off_h) = (lay.off_z3(), lay.off_h());
        let mut wr = BitWriter::new(&mut out[off_z3..off_h]);
        for &x in z3.iter() {
            assert!(
                wr.put(x, lay.zk.w3),
                "z3 value {x} does not fit {} bits",
                lay.zk.w3
            );
        }
        wr.finish();
    }
    let mut zw = ZWriter::new(lay);
    let mut sink = VecSink(&mut out);
    for x in s1.iter().chain(s2.iter().take(m2)).flat_map(resp) {
        zw.push(&mut sink, x).expect("z has a code");
    }
    zw.finish(&mut sink).expect("every coefficient written");
    Forged {
        d,
        proof: out,
        z3,
        residual_nonzero,
    }
}

/// Witnesses with exact squared norms, and the digit-split argument.
///
/// Claim: if ‖X1‖² > B_X1², ‖X2‖² ≥ B_X2² (or > for the other digit), X1 = λ·X2 + r with λ > 0 and
/// ‖r‖ ≤ 2^22, then no δ ≠ 0 gives ‖X1 + 2^23·δ‖² ≤ B_X1² and ‖X2 − δ‖² ≤ B_X2². Proof: the second
/// needs ⟨X2, δ⟩ ≥ ‖δ‖²/2 > 0; the first needs 2^24·⟨X1, δ⟩ + 2^46·‖δ‖² < 0, i.e. ⟨X1, δ⟩ < −2^22·‖δ‖²;
/// but ⟨X1, δ⟩ = λ⟨X2, δ⟩ + ⟨r, δ⟩ > −‖r‖·‖δ‖ ≥ −2^22·‖δ‖ ≥ −2^22·‖δ‖². Every split of the same share
/// d − c1·S = X1 + 2^23·X2 (an identity over Z: each side is below q/2 in every coefficient) is of that
/// form, so the statement has no witness with S fixed.
mod witness {
    use super::*;

    pub fn isqrt(n: u128) -> u128 {
        let mut v = (n as f64).sqrt() as u128;
        while v * v > n {
            v -= 1;
        }
        while (v + 1) * (v + 1) <= n {
            v += 1;
        }
        v
    }

    /// Sets ‖x‖² to `target` exactly: coordinate `j` takes the largest value (of its sign) that leaves a
    /// non-negative remainder, which the zero coordinates `free` then take as a greedy sum of squares.
    pub fn hit_norm(x: &mut [i64; N], target: i128, j: usize, free: &[usize]) {
        assert!(free.iter().all(|&f| x[f] == 0 && f != j));
        let rest = norm_sq(&x[..]) - i128::from(x[j]) * i128::from(x[j]);
        let room = u128::try_from(target - rest).expect("target above the rest");
        let v = isqrt(room);
        x[j] = if x[j] < 0 { -(v as i64) } else { v as i64 };
        let mut r = room - v * v;
        for &f in free {
            let s = isqrt(r);
            x[f] = s as i64;
            r -= s * s;
        }
        assert_eq!(r, 0, "free coordinates exhausted");
        assert_eq!(norm_sq(&x[..]), target);
    }

    /// A digit with ‖x‖² = target exactly and zeros on `zero` (random coefficients scaled to 0.999 of the
    /// target, then [`hit_norm`] on `free`).
    pub fn digit(
        rng: &mut ChaCha20Rng,
        target: i128,
        zero: &[usize],
        free: &[usize],
    ) -> Box<[i64; N]> {
        let mut x = Box::new([0i64; N]);
        for v in x.iter_mut() {
            *v = (rng.next_u64() % (1 << 28)) as i64 - (1 << 27);
        }
        for &z in zero.iter().chain(free) {
            x[z] = 0;
        }
        let f = (0.999 * target as f64 / norm_sq(&x[..]) as f64).sqrt();
        for v in x.iter_mut() {
            *v = (*v as f64 * f).round() as i64;
        }
        let j = (0..N)
            .find(|i| !zero.contains(i) && !free.contains(i))
            .unwrap();
        hit_norm(&mut x, target, j, free);
        x
    }

    /// round(λ·x) and ‖round(λ·x) − λ·x‖ (f64).
    pub fn scaled(x: &[i64; N], lambda: f64) -> (Box<[i64; N]>, f64) {
        let y: Box<[i64; N]> = Box::new(core::array::from_fn(|i| {
            (x[i] as f64 * lambda).round() as i64
        }));
        let r = (0..N)
            .map(|i| (y[i] as f64 - lambda * x[i] as f64).powi(2))
            .sum::<f64>()
            .sqrt();
        (y, r)
    }

    /// ‖y − λ·x‖ for the least-squares λ = ⟨x, y⟩/‖x‖² (the r of the claim; λ > 0 checked).
    pub fn residual(x: &[i64; N], y: &[i64; N]) -> f64 {
        let xy: f64 = (0..N).map(|i| x[i] as f64 * y[i] as f64).sum();
        let lambda = xy / norm_sq(&x[..]) as f64;
        assert!(lambda > 0.0);
        (0..N)
            .map(|i| (y[i] as f64 - lambda * x[i] as f64).powi(2))
            .sum::<f64>()
            .sqrt()
    }
}

/// What both forgers share: member 2's real parts S for the last chunk, the verifier's own c1 and B_S.
struct Setup {
    h: super::share_proof::Honest,
    params: ShareProofParams,
    c1: Box<Pl>,
    b_s: Box<Pl>,
    binding: [u8; 32],
}

fn setup(seed: u64) -> Setup {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let h = honest(&mut rng);
    let params = derive(&plan()).unwrap();
    let mut adm = admit(&h.cts);
    let mut c0 = vec![Pl::zero(); CHUNKS];
    let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
    let mut b_s = Box::new(Pl::zero());
    share_relation::assigned_slot_key(
        &committee(),
        h.present,
        2,
        &h.k.slot_keys,
        CHUNKS,
        CHUNKS - 1,
        &mut b_s,
    );
    Setup {
        c1: Box::new(agg.c1().clone()),
        binding: agg.binding(),
        h,
        params,
        b_s,
    }
}

impl Setup {
    fn ctx(&self) -> ShareContext<'_> {
        ShareContext {
            key_id: &self.h.k.key,
            binding: &self.binding,
            round: ROUND,
            present: self.h.present,
            member: 2,
            supplement_for: 0,
            chunk: CHUNKS - 1,
        }
    }

    fn public(&self) -> Pub<'_> {
        Pub {
            a: &self.h.k.a,
            c1: &self.c1,
            b_s: &self.b_s,
        }
    }

    fn share_public<'a>(&'a self, d: &'a Pl) -> SharePublic<'a, M, N> {
        SharePublic {
            a: &self.h.k.a,
            c1: &self.c1,
            b_s: &self.b_s,
            d,
        }
    }

    fn layout(&self) -> Layout {
        sp::layout::<P>(&self.params)
    }

    /// The forger's claim with the honest S and X2 and the X1 of member 2's real share.
    fn honest_x1(&self) -> Box<[i64; N]> {
        let j = CHUNKS - 1;
        let mut c1s = Box::new([M::zero(); N]);
        mul_public_short::<M, N>(&self.c1.coeffs, &self.h.s, &mut c1s);
        let delta = M::from_u128(u128::from(sp::SHARE_DELTA));
        let mut x1 = Box::new(Pl::zero());
        for i in 0..N {
            let hi = M::mul(delta, M::from_i64(self.h.x2[i]));
            x1.coeffs[i] = M::sub(M::sub(self.h.shares[j].coeffs[i], c1s[i]), hi);
        }
        centred_of(&x1)
    }
}

/// Positive control: the forger with member 2's honest witness makes the proof of its real share, which the
/// real verifier accepts (so the refusals below come from the violated bounds).
#[test]
fn share_forger_with_the_honest_witness_is_accepted() {
    big_stack(|| {
        let st = setup(31);
        let x1 = st.honest_x1();
        let claim = Claim {
            s: &st.h.s,
            x1: &x1,
            x2: &st.h.x2,
        };
        let f = forge(
            &st.params,
            &st.layout(),
            &st.ctx(),
            &st.public(),
            &claim,
            false,
            1,
        );
        assert!(!f.residual_nonzero);
        assert_eq!(
            *f.d,
            st.h.shares[CHUNKS - 1],
            "the claim reproduces the real share"
        );
        assert_eq!(
            sp::verify::<P, N>(&st.params, &st.ctx(), &st.share_public(&f.d), &f.proof),
            Ok(())
        );
    });
}

/// Forger (b): ‖X1‖² = B_X1² + 1 and ‖X2‖² = B_X2² + 1 exactly (a false statement: module [`witness`]).
/// The verifier without V2 accepts it; the real verifier refuses it (`HConstant`).
#[test]
fn share_forger_b_exact_norm_plus_one() {
    big_stack(|| {
        let st = setup(32);
        let [b_x2, _, _, b_x1] = st.params.bounds.groups();
        let (b_x1, b_x2) = (b_x1 as i128, b_x2 as i128);
        let mut rng = ChaCha20Rng::seed_from_u64(0xb);
        // X2 is zero on F1 (X1's free coordinates) and fills F2; X1 = round(λ·X2) filled on F1.
        let f1: Vec<usize> = (N - 24..N).collect();
        let f2: Vec<usize> = (N - 48..N - 24).collect();
        let x2 = witness::digit(&mut rng, b_x2 + 1, &f1, &f2);
        let lambda = ((b_x1 + 1) as f64 / (b_x2 + 1) as f64).sqrt();
        let (mut x1, _) = witness::scaled(&x2, lambda);
        let j = (0..N).max_by_key(|&i| x1[i].abs()).unwrap();
        witness::hit_norm(&mut x1, b_x1 + 1, j, &f1);
        assert_eq!((norm_sq(&x1[..]), norm_sq(&x2[..])), (b_x1 + 1, b_x2 + 1));
        let r = witness::residual(&x2, &x1);
        assert!(
            r < f64::from(1u32 << 22),
            "‖r‖ = {r}: the statement is false"
        );
        let claim = Claim {
            s: &st.h.s,
            x1: &x1,
            x2: &x2,
        };
        let f = forge(
            &st.params,
            &st.layout(),
            &st.ctx(),
            &st.public(),
            &claim,
            false,
            2,
        );
        assert!(
            f.residual_nonzero,
            "the exact-norm constraints are violated"
        );
        let public = st.share_public(&f.d);
        let broken = Disable {
            v2_h: true,
            ..Disable::default()
        };
        assert_eq!(
            sp::verify_with::<P, N>(&st.params, &st.ctx(), &public, &f.proof, broken),
            Ok(()),
            "(b): the verifier without V2 accepts"
        );
        assert_eq!(
            sp::verify::<P, N>(&st.params, &st.ctx(), &public, &f.proof),
            Err(ShareProofFailure::Proof(ProofError::HConstant)),
            "(b): the real verifier refuses"
        );
        std::eprintln!("(b): ‖r‖ = {r:.1}, proof {} B", f.proof.len());
    });
}

/// Forger (f): ‖X1‖² = q + B_X1² − s ≥ q with binary slack s < 2^ℓ_X1 (every Z_q constraint holds) and
/// ‖X2‖² = B_X2² (a false statement: module [`witness`]). Accepted by the verifier without the JL check
/// (V3 off, z3 at 63 bits); refused by the real one: z3 = R·s3 does not fit its field, the clamped z3 fails
/// V3 (`Z3Norm`) and, with V3 off, the JL rows (`Challenge`).
#[test]
fn share_forger_f_wrap_around() {
    big_stack(|| {
        let st = setup(33);
        let q = <M as Modulus>::Q;
        let [b_x2, _, _, b_x1] = st.params.bounds.groups();
        let lay = st.layout();
        let ell = lay.bits(3);
        assert!(
            st.params.conditions(q).no_wrap,
            "(2) of §6.5 holds at the design point"
        );
        let mut rng = ChaCha20Rng::seed_from_u64(0xf);
        let f2: Vec<usize> = (N - 24..N).collect();
        let x2 = witness::digit(&mut rng, b_x2 as i128, &[], &f2);
        // ‖X1‖² ≈ q + B_X1² − 2^(ℓ−1): the slack s lands inside [0, 2^ℓ).
        let target = (q + b_x1 - (1u128 << (ell - 1))) as f64;
        let (x1, r) = witness::scaled(&x2, (target / b_x2 as f64).sqrt());
        let x1_sq = norm_sq(&x1[..]) as u128;
        let s = q + b_x1 - x1_sq;
        assert!(x1_sq >= q && s < 1 << ell, "‖X1‖² = q + B_X1² − s, s < 2^ℓ");
        assert_eq!((x1_sq % q + s) % q, b_x1 % q, "‖X1‖² ≡ B_X1² − s (mod q)");
        assert!(
            r < f64::from(1u32 << 22),
            "‖r‖ = {r}: the statement is false"
        );
        let claim = Claim {
            s: &st.h.s,
            x1: &x1,
            x2: &x2,
        };
        // The broken verifier: V3 off and z3 read at 63 bits.
        let mut wide = relation::<P>(&st.params);
        wide.layout.zk.w3 = 63;
        let f = forge(
            &st.params,
            &wide.layout,
            &st.ctx(),
            &st.public(),
            &claim,
            false,
            3,
        );
        assert!(!f.residual_nonzero, "every Z_q constraint holds");
        let z3_max = f.z3.iter().map(|x| x.abs()).max().unwrap();
        let half_sq = |z: &[i64; JL_ROWS]| {
            z.chunks_exact(JL_HALF)
                .map(|h| {
                    h.iter()
                        .map(|&x| (i128::from(x) * i128::from(x)) as u128)
                        .sum::<u128>()
                })
                .max()
                .unwrap()
        };
        assert!(
            z3_max >= 1 << (lay.zk.w3 - 1),
            "R·s3 does not fit the z3 field"
        );
        assert!(half_sq(&f.z3) > lay.zk.z3_bound_sq);
        let mut neg_b_s = Box::new(Pl::zero());
        for (o, &x) in neg_b_s.coeffs.iter_mut().zip(st.b_s.coeffs.iter()) {
            *o = M::neg(x);
        }
        let stmt = Statement {
            pk_a: &st.h.k.a.coeffs,
            pk_b: core::slice::from_ref(&st.c1.coeffs),
            c1: &neg_b_s.coeffs,
            c0: core::slice::from_ref(&f.d.coeffs),
            t: 0,
            bound: 0,
        };
        let start = transcript::<P, N>(&st.params, &st.ctx(), &st.b_s, &f.d);
        let no_jl = Disable {
            v3_z3: true,
            ..Disable::default()
        };
        let broken = |rel: &Relation<M>, proof: &[u8], dis| {
            verify_relation_with::<P, N>(&stmt, rel, &start, proof, dis)
        };
        assert_eq!(
            broken(&wide, &f.proof, no_jl),
            Ok(()),
            "(f): accepted without the JL check"
        );
        // The same bytes under the real layout, and the best encodable proof (z3 clamped).
        let public = st.share_public(&f.d);
        assert!(sp::verify::<P, N>(&st.params, &st.ctx(), &public, &f.proof).is_err());
        let g = forge(&st.params, &lay, &st.ctx(), &st.public(), &claim, true, 3);
        assert_eq!(
            sp::verify::<P, N>(&st.params, &st.ctx(), &public, &g.proof),
            Err(ShareProofFailure::Proof(ProofError::Z3Norm)),
            "(f): the real verifier refuses (JL bound)"
        );
        assert_eq!(
            sp::verify_with::<P, N>(&st.params, &st.ctx(), &public, &g.proof, no_jl),
            Err(ShareProofFailure::Proof(ProofError::Challenge)),
            "(f): a clamped z3 no longer satisfies the JL rows"
        );
        std::eprintln!(
            "(f): ‖X1‖² = q + B_X1² − {s} (2^{:.2}), max |z3| = 2^{:.2}, max ‖z3 half‖² = 2^{:.2} > bound 2^{:.2}, ‖r‖ = {r:.1}",
            (x1_sq as f64).log2(),
            (z3_max as f64).log2(),
            (half_sq(&f.z3) as f64).log2(),
            (lay.zk.z3_bound_sq as f64).log2()
        );
    });
}
