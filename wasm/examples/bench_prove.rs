//! Native half of the encrypt + prove browser/native ratio (scripts/wasm-bench.sh): `KatProveBench::run` —
//! clip, quantize, BFV-encrypt and prove the 108,996-parameter KAT update (set S, 54 chunks) with the page's
//! code path and seeded randomness — median of `REPS` runs (env, default 3), then the result's digests
//! (the browser must print the same).

fn main() {
    let reps: usize = std::env::var("REPS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let mut bench = zkfl_wasm::kat::KatProveBench::new();
    let ms = zkfl_wasm::kat::median_ms(reps, || bench.run());
    println!("native encrypt+prove ms (median of {reps}): {ms:.1}");
    print!("{}", bench.digest());
}
