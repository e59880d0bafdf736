//! End-to-end tests of prover and verifier with small chunk counts.
// Index loops walk several parallel arrays (coefficients, blocks, rows) in lockstep.
#![allow(clippy::needless_range_loop)]

use super::layout::Layout;
use super::params::ZkParams;
use super::prove::{Cheat, SliceUpdate, Witness, prove_with};
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

pub(crate) fn instance(rng: &mut ChaCha20Rng, m: Vec<[i64; N]>) -> Instance {
    let l = m.len();
    let mut a = Box::new([0u64; N]);
    for x in a.iter_mut() {
        *x = M::from_u128(u128::from(rng.next_u64()) % M::Q);
    }
    let delta = M::from_u128(M::Q / (1 << 20));
    let u: Vec<i64> = (0..N).map(|_| (rng.next_u32() % 3) as i64 - 1).collect();
    let mut uu = [0i64; N];
    uu.copy_from_slice(&u);
    let mut b = Vec::new();
    let mut c0 = Vec::new();
    for j in 0..l {
        let s: [i64; N] = core::array::from_fn(|_| (rng.next_u32() % 3) as i64 - 1);
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
        delta: inst.delta,
        bound,
    }
}

pub(crate) fn ctx() -> Context {
    Context {
        round: 7,
        clinic: 3,
        pk_hash: [9; 32],
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

#[test]
fn honest_proof_verifies_s() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let t0 = std::time::Instant::now();
    let m = update_with_norm(&mut rng, 2, 4096 * 4096);
    std::eprintln!("update {:?}", t0.elapsed());
    let inst = instance(&mut rng, m);
    std::eprintln!("instance {:?}", t0.elapsed());
    let st = stmt(&inst, 4096);
    let lay = st.layout::<SetS>().unwrap();
    let mut out = vec![0u8; lay.proof_len()];
    let mut w = Witness {
        u: &inst.u,
        m: SliceUpdate(&inst.m),
    };
    let t = std::time::Instant::now();
    let stats =
        prove_with::<SetS, N, _, _>(&st, &ctx(), &mut w, &mut rng, &mut out, Cheat::default())
            .unwrap();
    std::println!(
        "prove {:?} {:?} len {}",
        t.elapsed(),
        stats,
        lay.proof_len()
    );
    let t = std::time::Instant::now();
    let r = verify::<SetS, N>(&st, &ctx(), &out);
    std::println!("verify {:?}", t.elapsed());
    assert_eq!(r, Ok(()));
    let _ = Layout::new(SetS::ZK, N, 6, 2, 4096);
}
