//! End-to-end tests of prover and verifier with small chunk counts: the shared set-S instances, fixture and
//! proof helpers here, the tests by concern in the submodules.
// Index loops walk several parallel arrays (coefficients, blocks, rows) in lockstep.
#![allow(clippy::needless_range_loop)]

mod honest;
mod mauling;
mod refusals;
mod round;
mod variants;

use super::codec::{RiceReader, SliceSink};
use super::layout::Layout;
use super::params::D;
use super::proof::{ZWriter, z_classes};
use super::prove::{Cheat, ProveError, SliceUpdate, Witness, prove_with};
use super::ringmul::mul_public_short;
use super::statement::{Context, Statement};
use super::verify::verify;
use crate::arith::Modulus;
use crate::params::{ParamSet, SetS};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
extern crate std;
use std::boxed::Box;
use std::vec;
use std::vec::Vec;

type M = <SetS as ParamSet>::M;
const N: usize = 2048;
type C = <M as Modulus>::Coeff;

pub(crate) struct Instance {
    pub a: Box<[C; N]>,
    pub b: Vec<[C; N]>,
    pub c1: Box<[C; N]>,
    pub c0: Vec<[C; N]>,
    pub u: Vec<i64>,
    pub m: Vec<[i64; N]>,
    pub delta: C,
}

fn cbd(rng: &mut ChaCha20Rng) -> i64 {
    let x = rng.next_u64();
    i64::from((x & 0x1f_ffff).count_ones() as i32 - ((x >> 21) & 0x1f_ffff).count_ones() as i32)
}

/// Plaintext modulus of the set-S test instances (Δ = ⌊q/t⌋).
pub(crate) const T_S: u64 = 1 << 20;

pub(crate) fn instance(rng: &mut ChaCha20Rng, m: Vec<[i64; N]>) -> Instance {
    instance_with_u_scale(rng, m, 1)
}

/// A consistent ciphertext of `m` whose randomness is u = k·(ternary): k = 1 is honest, k > 1 is an oversized u.
pub(crate) fn instance_with_u_scale(rng: &mut ChaCha20Rng, m: Vec<[i64; N]>, k: i64) -> Instance {
    let l = m.len();
    let mut a = Box::new([0u64; N]);
    for x in a.iter_mut() {
        *x = M::from_u128(u128::from(rng.next_u64()) % M::Q);
    }
    let delta = M::from_u128(M::Q / u128::from(T_S));
    let u: Vec<i64> = (0..N)
        .map(|_| k * (i64::from(rng.next_u32() % 3) - 1))
        .collect();
    let mut uu = [0i64; N];
    uu.copy_from_slice(&u);
    let mut b = Vec::new();
    let mut c0 = Vec::new();
    for j in 0..l {
        let s: [i64; N] = core::array::from_fn(|_| i64::from(rng.next_u32() % 3) - 1);
        let mut as_ = [0u64; N];
        mul_public_short::<M, N>(&a, &s, &mut as_);
        let bj: [C; N] = core::array::from_fn(|i| M::neg(M::add(as_[i], M::from_i64(cbd(rng)))));
        let mut bu = [0u64; N];
        mul_public_short::<M, N>(&bj, &uu, &mut bu);
        let cj: [C; N] = core::array::from_fn(|i| {
            M::add(
                M::add(bu[i], M::from_i64(cbd(rng))),
                M::mul(delta, M::from_i64(m[j][i])),
            )
        });
        b.push(bj);
        c0.push(cj);
    }
    let mut au = [0u64; N];
    mul_public_short::<M, N>(&a, &uu, &mut au);
    let c1 = Box::new(core::array::from_fn(|i| {
        M::add(au[i], M::from_i64(cbd(rng)))
    }));
    Instance {
        a,
        b,
        c1,
        c0,
        u,
        m,
        delta,
    }
}

pub(crate) fn stmt(inst: &Instance, bound: u64) -> Statement<'_, M, N> {
    Statement {
        pk_a: &inst.a,
        pk_b: &inst.b,
        c1: &inst.c1,
        c0: &inst.c0,
        t: T_S,
        bound,
    }
}

pub(crate) fn ctx() -> Context {
    Context {
        round: 7,
        clinic: 3,
    }
}

pub(crate) fn update_with_norm(rng: &mut ChaCha20Rng, l: usize, norm_sq: u64) -> Vec<[i64; N]> {
    // Random coordinates get ±min(uniform[1, 150], ⌊√r⌋) until the remainder r is 0: ‖m‖² = norm_sq exactly.
    let mut m = vec![[0i64; N]; l];
    let mut r = norm_sq;
    let total = l * N;
    let start = (rng.next_u32() as usize) % total;
    for t in 0..total {
        if r == 0 {
            break;
        }
        let idx = (start + t * 7919) % total;
        let cap = (r as f64).sqrt() as u64;
        let cap = if (cap + 1) * (cap + 1) <= r {
            cap + 1
        } else if cap * cap > r {
            cap - 1
        } else {
            cap
        };
        let x = core::cmp::min(1 + u64::from(rng.next_u32() % 150), cap) as i64;
        m[idx / N][idx % N] = if rng.next_u32() & 1 == 0 { x } else { -x };
        r -= (x * x) as u64;
    }
    assert_eq!(r, 0);
    m
}

use super::proof::ProofError;
use super::verify::{Disable, verify_with};
use std::sync::OnceLock;

/// A copy of an instance (the tests maul their own copies).
fn clone_inst(i: &Instance) -> Instance {
    Instance {
        a: i.a.clone(),
        b: i.b.clone(),
        c1: i.c1.clone(),
        c0: i.c0.clone(),
        u: i.u.clone(),
        m: i.m.clone(),
        delta: i.delta,
    }
}

struct Fixture {
    inst: Instance,
    proof: Vec<u8>,
}

/// One honest instance with ‖m‖² = B² exactly (B = 4096, L = 2) and its proof, shared by the tests.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let m = update_with_norm(&mut rng, 2, 4096 * 4096);
        let inst = instance(&mut rng, m);
        let proof = make_proof(&inst, 4096, Cheat::default(), 11).expect("honest prover");
        Fixture { inst, proof }
    })
}

// `Cheat` is moved into the prover, as the cheating prover's callers do.
#[allow(clippy::large_types_passed_by_value)]
fn make_proof(
    inst: &Instance,
    bound: u64,
    cheat: Cheat,
    seed: u64,
) -> Result<Vec<u8>, super::prove::ProveError> {
    let st = stmt(inst, bound);
    let lay = st
        .layout::<SetS>()
        .map_err(|_| super::prove::ProveError::Statement)?;
    let mut out = vec![0u8; lay.prove_buf_len()];
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut w = Witness {
        u: &inst.u,
        m: SliceUpdate(&inst.m),
    };
    let stats = prove_with::<SetS, N, _, _>(&st, &ctx(), &mut w, &mut rng, &mut out, cheat)?;
    assert!(
        out[stats.len..].iter().all(|&b| b == 0),
        "buffer tail zeroed"
    );
    out.truncate(stats.len);
    Ok(out)
}

/// The z of a proof, decoded in wire order (z1 u, m, υ blocks, then z2).
fn z_of(lay: &Layout, p: &[u8]) -> Vec<i64> {
    let mut rd = RiceReader::new(&p[lay.off_z1u()..]);
    let mut z = Vec::new();
    for (dim, code, _) in z_classes(lay) {
        for _ in 0..dim {
            z.push(rd.next_value(&code).expect("decodes"));
        }
    }
    rd.finish().expect("no trailing bytes");
    z
}

/// The proof `p` with its z replaced by `z` (Rice coded).
fn with_z(lay: &Layout, p: &[u8], z: &[i64]) -> Vec<u8> {
    let mut q = p[..lay.off_z1u()].to_vec();
    q.resize(lay.prove_buf_len(), 0);
    let mut sink = SliceSink::new(&mut q[lay.off_z1u()..]);
    let mut wr = ZWriter::new(lay);
    for &x in z {
        wr.push(&mut sink, x).expect("in range");
    }
    wr.finish(&mut sink).expect("complete");
    let len = lay.off_z1u() + sink.len();
    q.truncate(len);
    q
}

/// A cheating prover: the honest code with its own checks removed.
fn cheat_all() -> Cheat {
    Cheat {
        skip_norm_checks: true,
        forged_slack: None,
        skip_consistency: true,
    }
}

/// True iff the cheating prover either cannot produce bytes or the verifier rejects them.
#[allow(clippy::large_types_passed_by_value)]
fn cheat_rejected(inst: &Instance, bound: u64, cheat: Cheat) -> bool {
    match make_proof(inst, bound, cheat, 5) {
        Err(_) => true,
        Ok(p) => verify::<SetS, N>(&stmt(inst, bound), &ctx(), &p).is_err(),
    }
}
