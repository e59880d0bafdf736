//! Native half of the browser/native ratio (scripts/wasm-bench.sh): BFV-encrypting the 108,996-parameter KAT
//! update (set S, 54 chunks) under a key derived beforehand — the same `KatBench::run` the browser times —
//! median of `REPS` runs, and the ciphertext digest (must equal the browser's).

use std::time::Instant;

const REPS: usize = 9;

fn main() {
    let mut bench = zkfl_wasm::kat::KatBench::new();
    let mut times = Vec::with_capacity(REPS);
    for _ in 0..REPS {
        let start = Instant::now();
        bench.run();
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "native encrypt ms (median of {REPS}): {:.1}",
        times[REPS / 2]
    );
    println!("digest {}", bench.digest());
}
