//! NTT forward + inverse over one auxiliary prime at N = 128 (the proof ring), 2048 and 4096 (fresh inputs each iteration,
//! so branch prediction cannot flatter the scalar code).

#[path = "cpu_time.rs"]
mod cpu_time;

use cpu_time::CpuTime;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use zkfl_core::arith::ntt;
use zkfl_core::arith::primes::NTT_PRIMES;

fn fresh<const N: usize>(seed: &mut u64, p: u32) -> Box<[u32; N]> {
    let mut a = Box::new([0u32; N]);
    for x in a.iter_mut() {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *x = ((*seed >> 33) as u32) % p;
    }
    a
}

fn bench_n<const N: usize>(c: &mut Criterion<CpuTime>) {
    let pr = &NTT_PRIMES[0];
    let mut seed = 1u64;
    c.bench_function(&format!("ntt/forward+inverse/{N}"), |b| {
        b.iter_batched_ref(
            || fresh::<N>(&mut seed, pr.p),
            |a| {
                ntt::forward(a, pr);
                ntt::inverse(a, pr);
                black_box(a[0]);
            },
            BatchSize::SmallInput,
        );
    });
    c.bench_function(&format!("ntt/forward/{N}"), |b| {
        b.iter_batched_ref(
            || fresh::<N>(&mut seed, pr.p),
            |a| ntt::forward(a, pr),
            BatchSize::SmallInput,
        );
    });
}

fn benches(c: &mut Criterion<CpuTime>) {
    bench_n::<128>(c);
    bench_n::<2048>(c);
    bench_n::<4096>(c);
}

criterion_group! {
    name = group;
    config = Criterion::default().with_measurement(CpuTime).measurement_time(Duration::from_secs(2)).warm_up_time(Duration::from_millis(500));
    targets = benches
}
criterion_main!(group);
