//! The channel's own regression vector (`tests/vectors/channel/envelope-kat.json`): a signed submission
//! sealed with fixed keys and fixed randomness. It pins the whole format (header, KDF, AEAD, submission
//! layout, digest, signature) so any build — native, wasm, embedded — can be checked to produce the same
//! bytes. Produced by this implementation (not an independent source); regenerate deliberately with
//! `ZKFL_WRITE_CHANNEL_VECTORS=1 cargo test --release -p zkfl-tests --test channel_vectors` after a format
//! change, and bump the version bytes when you do.

mod channel_common;

use channel_common::{FixedRng, hex_field, load_vectors};
use zkfl_core::channel::submission::seal_submission_to_vec;
use zkfl_core::channel::{
    ClinicId, KemSecretKey, MemoryReplayGuard, MlKem768, Roster, RoundId, SigningKey,
    SubmissionFields, SubmissionPolicy, open_submission,
};

const FILE: &str = "envelope-kat.json";

struct Inputs {
    kem_seed: [u8; 64],
    dsa_seed: [u8; 32],
    rng: Vec<u8>,
    fields: SubmissionFields,
    sequence: u64,
    ciphertext: Vec<u8>,
    proof: Vec<u8>,
}

fn inputs() -> Inputs {
    Inputs {
        kem_seed: core::array::from_fn(|i| i as u8),
        dsa_seed: core::array::from_fn(|i| 0xA0 ^ i as u8),
        // 32 bytes of ML-DSA rnd (signing happens first), then the 32-byte ML-KEM message m.
        rng: (0..64u32).map(|i| (i * 37 + 11) as u8).collect(),
        fields: SubmissionFields {
            param_id: 1,
            round: RoundId(3),
            clinic: ClinicId(2),
        },
        sequence: 1,
        ciphertext: (0..96u32).map(|i| (i * 5) as u8).collect(),
        proof: (0..48u32).map(|i| (255 - i) as u8).collect(),
    }
}

fn seal(inp: &Inputs) -> Vec<u8> {
    let kem = KemSecretKey::<MlKem768>::from_seed(&inp.kem_seed);
    let key = SigningKey::from_seed(&inp.dsa_seed);
    let mut rng = FixedRng::new(&inp.rng);
    let env = seal_submission_to_vec(
        kem.public_key(),
        &inp.fields,
        inp.sequence,
        &inp.ciphertext,
        &inp.proof,
        &key,
        &mut rng,
    )
    .expect("seal");
    assert_eq!(rng.consumed(), 64, "exactly rnd and m are drawn");
    env
}

#[test]
fn sealed_submission_matches_the_committed_vector() {
    let inp = inputs();
    let env = seal(&inp);
    if std::env::var_os("ZKFL_WRITE_CHANNEL_VECTORS").is_some() {
        let v = serde_json::json!({
            "comment": "Produced by zkfl_core::channel (regression vector, see tests/tests/channel_vectors.rs)",
            "kemSeed": hex::encode(inp.kem_seed),
            "dsaSeed": hex::encode(inp.dsa_seed),
            "rng": hex::encode(&inp.rng),
            "paramId": inp.fields.param_id,
            "round": inp.fields.round.0,
            "clinic": inp.fields.clinic.0,
            "sequence": inp.sequence,
            "ciphertext": hex::encode(&inp.ciphertext),
            "proof": hex::encode(&inp.proof),
            "envelope": hex::encode(&env),
        });
        let path = format!("{}/vectors/channel/{FILE}", env!("CARGO_MANIFEST_DIR"));
        std::fs::write(&path, serde_json::to_string_pretty(&v).expect("json"))
            .expect("write vector");
    }
    let v = load_vectors(FILE);
    assert_eq!(hex_field(&v, "kemSeed"), inp.kem_seed);
    assert_eq!(hex_field(&v, "rng"), inp.rng);
    assert_eq!(hex::encode(&env), v["envelope"].as_str().expect("envelope"));

    // And the aggregator opens the committed bytes.
    let kem = KemSecretKey::<MlKem768>::from_seed(&inp.kem_seed);
    let mut roster = Roster::<1>::new();
    roster
        .register(
            inp.fields.clinic,
            SigningKey::from_seed(&inp.dsa_seed).verifying_key(),
        )
        .expect("roster");
    let mut guard = MemoryReplayGuard::<1>::new();
    let policy = SubmissionPolicy {
        param_id: 1,
        round: RoundId(3),
        max_submission_len: 1 << 16,
    };
    let mut committed = hex_field(&v, "envelope");
    let s = open_submission(&kem, &policy, &roster, &mut guard, &mut committed).expect("opens");
    assert_eq!(
        (s.ciphertext, s.proof),
        (inp.ciphertext.as_slice(), inp.proof.as_slice())
    );
}
