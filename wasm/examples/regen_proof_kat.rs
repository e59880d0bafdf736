//! Regenerates `wasm/tests/vectors/proof.txt`, the proof known-answer vector, from the native build:
//! `cargo run -p zkfl-wasm --release --features kat --example regen_proof_kat`. The test
//! `wasm_and_native_produce_the_same_proof_bytes` (tests/kat.rs) then checks it natively and in Node (wasm32).
//! Rerun only when the prover's output changes on purpose, and say why in the commit.

use std::path::Path;

fn main() -> std::io::Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/proof.txt");
    let body = zkfl_wasm::kat::proof_kat();
    let text = format!(
        "# Proof KAT (wasm/src/kat.rs, proof_kat): SHA3-256 of the ciphertext and proof bytes that\n\
         # ClinicRound::encrypt produces for the first {} values of the KAT update under the seeded set-S key.\n\
         # Generated natively by: cargo run -p zkfl-wasm --release --features kat --example regen_proof_kat\n{body}",
        zkfl_wasm::kat::PROOF_PARAMS
    );
    std::fs::write(&path, text)?;
    print!("{body}");
    println!("wrote {}", path.display());
    Ok(())
}
