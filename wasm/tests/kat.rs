//! Known-answer test: the wasm32 build computes the same bytes as the native build for the same seeds (data,
//! trained update, quantized integers, BFV ciphertext; see `src/kat.rs`). The digests in `vectors/kat.txt`
//! were computed natively; this file runs natively (`cargo test --features kat`) and in Node
//! (`wasm-bindgen-test-runner`), so both must reproduce them.
#![cfg(feature = "kat")]

#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
use wasm_bindgen_test::wasm_bindgen_test as test;

fn expected(name: &str) -> &'static str {
    include_str!("vectors/kat.txt")
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or("missing from vectors/kat.txt")
}

#[test]
fn wasm_and_native_compute_the_same_bytes() {
    let r = zkfl_wasm::kat::run();
    let got = format!(
        "data {}\nupdate {}\nquantized {}\nciphertext {}\n",
        r.data, r.update, r.quantized, r.ciphertext
    );
    assert_eq!(r.data, expected("data"), "{got}");
    assert_eq!(r.update, expected("update"), "{got}");
    assert_eq!(r.quantized, expected("quantized"), "{got}");
    assert_eq!(r.ciphertext, expected("ciphertext"), "{got}");
}

/// The proof KAT: same seeds → same proof bytes on both targets (`src/kat.rs`, `proof_kat`). The vector is
/// generated natively by `cargo run -p zkfl-wasm --release --features kat --example regen_proof_kat`
/// (rerun it whenever the prover's output changes on purpose: proof format, JL rows, parameters).
#[test]
fn wasm_and_native_produce_the_same_proof_bytes() {
    let want: String = include_str!("vectors/proof.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        zkfl_wasm::kat::proof_kat(),
        want,
        "regenerate natively with: cargo run -p zkfl-wasm --release --features kat --example regen_proof_kat"
    );
}
