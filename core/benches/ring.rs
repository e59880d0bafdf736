//! Ring multiplication in Z_q[X]/(X^N+1) through the RNS NTT: general products (K for uniform × uniform)
//! and the BFV hot path (public operand kept in NTT form, ternary operand, K = 2 / 4).

#[path = "cpu_time.rs"]
mod cpu_time;

use cpu_time::CpuTime;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use zkfl_core::arith::{Modulus, Q44, Q86};
use zkfl_core::ring::sample::{Xof, ternary, uniform};
use zkfl_core::ring::{NttPoly, Poly, mul};

fn general<M: Modulus, const N: usize, const K: usize>(c: &mut Criterion<CpuTime>, name: &str) {
    let mut a = Box::new(Poly::<M, N>::zero());
    let mut b = Box::new(Poly::<M, N>::zero());
    uniform(&mut Xof::new(&[1; 32], b"a", 0), &mut a);
    uniform(&mut Xof::new(&[1; 32], b"b", 0), &mut b);
    let mut out = Box::new(Poly::<M, N>::zero());
    c.bench_function(&format!("ring/mul-uniform/{name}"), |bch| {
        bch.iter(|| mul::<M, N, K>(black_box(&a), black_box(&b), &mut out));
    });
}

fn public_times_small<M: Modulus, const N: usize, const K: usize>(
    c: &mut Criterion<CpuTime>,
    name: &str,
) {
    let mut a = Box::new(Poly::<M, N>::zero());
    let mut s = Box::new(Poly::<M, N>::zero());
    uniform(&mut Xof::new(&[1; 32], b"a", 0), &mut a);
    ternary(&mut Xof::new(&[1; 32], b"s", 0), &mut s);
    let a_ntt = Box::new(NttPoly::<N, K>::from_poly(&*a));
    let mut tmp = Box::new(NttPoly::<N, K>::zero());
    let mut out = Box::new(Poly::<M, N>::zero());
    c.bench_function(&format!("ring/mul-ntt-public-by-ternary/{name}"), |bch| {
        bch.iter(|| {
            tmp.set_from_poly(black_box(&*s));
            tmp.mul_assign(&a_ntt);
            tmp.inverse_into(&mut out);
        });
    });
}

fn benches(c: &mut Criterion<CpuTime>) {
    general::<Q44, 2048, 4>(c, "S-2048-K4");
    general::<Q86, 4096, 7>(c, "L-4096-K7");
    general::<Q44, 128, 4>(c, "proof-128-q44-K4");
    public_times_small::<Q44, 2048, 2>(c, "S-2048-K2");
    public_times_small::<Q86, 4096, 4>(c, "L-4096-K4");
}

criterion_group! {
    name = group;
    config = Criterion::default().with_measurement(CpuTime).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    targets = benches
}
criterion_main!(group);
