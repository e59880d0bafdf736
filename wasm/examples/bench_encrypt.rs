//! Native half of the browser/native ratio (scripts/wasm-bench.sh): clip + quantize was done once; this times
//! BFV-encrypting the 108,996-parameter KAT update (set S, 54 chunks) and prints the median of `REPS` runs
//! and the ciphertext digest (the same one `benchEncrypt` returns in Chromium).

use std::time::Instant;

const REPS: usize = 7;

fn main() {
    let (_, m, t, chunks) = zkfl_wasm::kat::prepare();
    let mut times = Vec::with_capacity(REPS);
    let mut digest = String::new();
    for _ in 0..REPS {
        let start = Instant::now();
        digest = zkfl_wasm::kat::encrypt_digest(&m, t, chunks);
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!("native encrypt ms (median of {REPS}): {:.1}", times[REPS / 2]);
    println!("digest {digest}");
}
