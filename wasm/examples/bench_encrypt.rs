//! Native half of the browser/native ratio (scripts/wasm-bench.sh): BFV-encrypting the 108,996-parameter KAT
//! update (set S, 54 chunks) under a key derived beforehand — the same `KatBench::run` the browser times —
//! median of `REPS` runs, and the ciphertext digest (must equal the browser's).

const REPS: usize = 9;

fn main() {
    let mut bench = zkfl_wasm::kat::KatBench::new();
    let ms = zkfl_wasm::kat::median_ms(REPS, || bench.run());
    println!("native encrypt ms (median of {REPS}): {ms:.1}");
    println!("digest {}", bench.digest());
}
