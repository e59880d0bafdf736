//! BFV on the paper's update (108,996 parameters): encryption of all chunks (54 at N = 2048, 27 at
//! N = 4096) with one shared u, decryption of all chunks, and the homomorphic addition of two updates.
//! Baseline (crates-and-baselines.md): fhe.rs encodes + encrypts the update in 11.8 ms at N = 2048.

#[path = "cpu_time.rs"]
mod cpu_time;

use cpu_time::CpuTime;
use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use std::time::Duration;
use zkfl_core::arith::Modulus;
use zkfl_core::bfv::{self, Decryptor, PlainModulus, PublicKeyPolys, SecretKey};
use zkfl_core::params::{ParamSet, SetL, SetS};
use zkfl_core::ring::Poly;

const PARAMS: usize = 108_996;

fn run<P: ParamSet, const N: usize, const K: usize>(c: &mut Criterion<CpuTime>, t: u64) {
    let l = PARAMS.div_ceil(N);
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let sk = SecretKey::<P, N>::generate(&mut rng);
    let PublicKeyPolys { a_ntt, b_ntt, .. } = PublicKeyPolys::<P, N, K>::generate(&sk, &[3; 32], l);
    let plain = PlainModulus::<P::M>::new(t).unwrap();
    let (lo, hi) = plain.message_range();
    let m: Vec<[i64; N]> = (0..l)
        .map(|j| {
            core::array::from_fn(|i| {
                let x = i64::try_from(i * 7919 + j * 104729).expect("small");
                lo + x.rem_euclid(hi - lo + 1)
            })
        })
        .collect();
    let mut c1 = Box::new(Poly::<P::M, N>::zero());
    let mut c0: Vec<Poly<P::M, N>> = (0..l).map(|_| Poly::zero()).collect();
    let name = P::NAME;
    c.bench_function(&format!("bfv/encrypt-update/{name}-{l}-chunks"), |bch| {
        bch.iter(|| {
            bfv::encrypt::<P, N, K>(&a_ntt, &b_ntt, plain, &m, &mut rng, &mut c1, &mut c0).unwrap();
        });
    });
    let mut out = Box::new([0i64; N]);
    c.bench_function(&format!("bfv/decrypt-update/{name}-{l}-chunks"), |bch| {
        bch.iter(|| {
            let mut dec = Box::new(Decryptor::<P, N, K>::new(&sk, plain, &c1));
            for (j, cj) in c0.iter().enumerate() {
                dec.decrypt_chunk(j, cj, &mut out);
            }
        });
    });
    let mut acc1 = c1.clone();
    let mut acc0 = c0.clone();
    c.bench_function(&format!("bfv/add-update/{name}-{l}-chunks"), |bch| {
        bch.iter(|| bfv::add_assign(&mut acc1, &mut acc0, &c1, &c0).unwrap());
    });
    let _ = <P::M as Modulus>::Q;
}

fn benches(c: &mut Criterion<CpuTime>) {
    run::<SetS, { zkfl_core::set_s::N }, { zkfl_core::set_s::K }>(c, 1 << 20);
    run::<SetL, { zkfl_core::set_l::N }, { zkfl_core::set_l::K }>(c, 1 << 32);
}

criterion_group! {
    name = group;
    config = Criterion::default().with_measurement(CpuTime).sample_size(20).measurement_time(Duration::from_secs(3)).warm_up_time(Duration::from_millis(500));
    targets = benches
}
criterion_main!(group);
