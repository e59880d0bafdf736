//! Known-answer vectors of the zero-knowledge proof (docs/PROTOCOL.md): fixed seeds → BFV key, update,
//! ciphertext and witness → proof bytes, for set S (2 chunks) and set L (1 chunk). The expected values live in
//! `tests/vectors/zk/kat.json` (inputs, intermediate SHA3-256 digests, proof length and SHA3-256) and
//! `tests/vectors/zk/<name>.proof.hex` (the whole proof); `tests/vectors/zk/README.md` specifies the input
//! derivation so that other builds (wasm32 in Node/Chromium, an embedded target) can recompute the same bytes.
//!
//! Any change to the proof bytes (a new transcript, more JL rows, another encoding) fails this test on
//! purpose. After such an intended change, regenerate with
//!
//! ```text
//! ZKFL_REGEN_KAT=1 cargo test -p zkfl-tests --release --test zk_kat
//! ```
//!
//! and commit the rewritten files together with the change. Without the variable the test never writes.
//!
//! Also checked here: the streaming prover (update regenerated chunk by chunk from its seed, never stored)
//! and the in-memory API (`SliceUpdate`) produce identical bytes, and the vector verifies.

mod zk_common;

use serde_json::{Value, json};
use std::path::PathBuf;
use zk_common::{
    SeededUpdate, Spec, big_stack, instance, norm_sq, prove_from, prove_slice, sha3_hex,
    update_bytes,
};
use zkfl_core::params::{SetL, SetS};
use zkfl_core::zk::params::ZkParams;
use zkfl_core::zk::verify::verify;

const K_S: usize = zkfl_core::set_s::K;
const K_L: usize = zkfl_core::set_l::K;

/// The two vectors. t = 2·5·B + 1 (five clinics' sum stays in range), B = 4096, 3000 nonzero coefficients.
fn spec(chunks: usize) -> Spec {
    Spec {
        sk_seed: [0x11; 32],
        a_seed: [0x22; 32],
        enc_seed: [0x33; 32],
        update_seed: [0x44; 32],
        proof_seed: [0x55; 32],
        params: 3000,
        chunks,
        t: 40_961,
        bound: 4096,
        round: 3,
        clinic: 2,
    }
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("vectors/zk")
}

fn regen() -> bool {
    std::env::var("ZKFL_REGEN_KAT").is_ok_and(|v| v == "1")
}

/// Computes one vector natively: its JSON record and the proof bytes.
fn compute<P: ZkParams, const N: usize, const K: usize>(name: &str, s: &Spec) -> (Value, Vec<u8>) {
    big_stack(|| {
        let inst = instance::<P, N, K>(s);
        let nsq = norm_sq(&inst.m);
        assert!(
            nsq <= u128::from(s.bound).pow(2),
            "the KAT update must satisfy the bound"
        );
        let (proof, stats) = prove_slice::<P, N>(&inst, s.proof_seed).expect("honest prover");
        // Streaming source: chunk j is regenerated from the seed at every read.
        let src = SeededUpdate {
            seed: s.update_seed,
            params: s.params,
            reads: 0,
        };
        let (streamed, _) =
            prove_from::<P, N, _>(&inst, src, s.proof_seed).expect("streaming prover");
        assert!(
            streamed == proof,
            "{name}: streaming and in-memory provers differ"
        );
        assert_eq!(
            verify::<P, N>(&inst.statement(), &inst.ctx, &proof),
            Ok(()),
            "{name}"
        );
        let rec = json!({
            "name": name,
            "set": P::NAME,
            "set_id": P::ID,
            "n": N,
            "chunks": s.chunks,
            "params": s.params,
            "t": s.t,
            "bound": s.bound,
            "round": s.round,
            "clinic": s.clinic,
            "sk_seed": hex::encode(s.sk_seed),
            "a_seed": hex::encode(s.a_seed),
            "enc_seed": hex::encode(s.enc_seed),
            "update_seed": hex::encode(s.update_seed),
            "proof_seed": hex::encode(s.proof_seed),
            "update_norm_sq": nsq as u64,
            "update_sha3_256": sha3_hex(&update_bytes(&inst.m)),
            "pk_hash": hex::encode(inst.statement().pk_hash::<P>()),
            "ciphertext_sha3_256": sha3_hex(&inst.ct_bytes),
            "u_sha3_256": sha3_hex(&inst.u.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>()),
            "jl_attempts": stats.jl_attempts,
            "attempts": stats.attempts,
            "proof_len": proof.len(),
            "proof_sha3_256": sha3_hex(&proof),
            "proof_hex_file": format!("{name}.proof.hex"),
        });
        (rec, proof)
    })
}

fn all() -> Vec<(Value, Vec<u8>)> {
    vec![
        compute::<SetS, 2048, K_S>("set-s-2-chunks", &spec(2)),
        compute::<SetL, 4096, K_L>("set-l-1-chunk", &spec(1)),
    ]
}

fn write_all(vectors: &[(Value, Vec<u8>)]) {
    let d = dir();
    std::fs::create_dir_all(&d).expect("mkdir");
    let doc = json!({
        "about": "Known-answer vectors of the ZKFL-PQ proof (docs/PROTOCOL.md). Derivation of every input: README.md in this directory. Regenerate: ZKFL_REGEN_KAT=1 cargo test -p zkfl-tests --release --test zk_kat",
        "vectors": vectors.iter().map(|v| v.0.clone()).collect::<Vec<_>>(),
    });
    std::fs::write(
        d.join("kat.json"),
        serde_json::to_string_pretty(&doc).expect("json") + "\n",
    )
    .expect("write kat.json");
    for (rec, proof) in vectors {
        let f = rec["proof_hex_file"].as_str().expect("file name");
        std::fs::write(d.join(f), hex::encode(proof) + "\n").expect("write proof hex");
    }
    eprintln!("rewrote {}", d.display());
}

#[test]
fn proof_bytes_match_the_committed_vectors() {
    let got = all();
    if regen() {
        write_all(&got);
        return;
    }
    let text = std::fs::read_to_string(dir().join("kat.json"))
        .expect("tests/vectors/zk/kat.json (generate with ZKFL_REGEN_KAT=1)");
    let doc: Value = serde_json::from_str(&text).expect("kat.json parses");
    let want = doc["vectors"].as_array().expect("vectors");
    assert_eq!(want.len(), got.len(), "number of vectors");
    for ((rec, proof), exp) in got.iter().zip(want) {
        let name = rec["name"].as_str().unwrap_or("?");
        // Inputs and intermediate digests first, so a mismatch says where the computation diverged.
        for key in [
            "name",
            "set",
            "set_id",
            "n",
            "chunks",
            "params",
            "t",
            "bound",
            "round",
            "clinic",
            "sk_seed",
            "a_seed",
            "enc_seed",
            "update_seed",
            "proof_seed",
            "update_norm_sq",
            "update_sha3_256",
            "pk_sha3_256",
            "ciphertext_sha3_256",
            "u_sha3_256",
            "jl_attempts",
            "attempts",
            "proof_len",
            "proof_sha3_256",
        ] {
            assert_eq!(
                rec[key], exp[key],
                "{name}: {key} (regenerate only after an intended change)"
            );
        }
        let file = exp["proof_hex_file"].as_str().expect("proof_hex_file");
        let hex_text = std::fs::read_to_string(dir().join(file)).expect("proof hex file");
        let want_proof = hex::decode(hex_text.trim()).expect("proof hex decodes");
        assert!(
            want_proof == *proof,
            "{name}: proof bytes differ from {file}"
        );
    }
}
