//! Known-answer tests for ML-KEM (FIPS 203) and ML-DSA-65 (FIPS 204) run through the channel's own key
//! types, on NIST ACVP and C2SP Wycheproof vectors committed in `tests/vectors/channel/` (sources in the
//! README there). They pin the wrapper to the standards bit for bit on every platform that runs them.

mod channel_common;

use channel_common::{FixedRng, hex_field, load_vectors, replay_signing_vectors};
use serde_json::Value;
use zkfl_core::channel::ChannelError;
use zkfl_core::channel::identity::{Signature, SigningKey, VerifyingKey};
use zkfl_core::channel::kem::{
    ChannelKem, KemCiphertext, KemPublicKey, KemSecretKey, MlKem768, MlKem1024, encapsulate,
};

fn cases<'a>(v: &'a Value, section: &str) -> &'a Vec<Value> {
    v[section]
        .as_array()
        .unwrap_or_else(|| panic!("section {section}"))
}

fn is_set<K: ChannelKem>(case: &Value) -> bool {
    case["parameterSet"].as_str() == Some(K::NAME)
}

fn kem_keygen<K: ChannelKem>(v: &Value) -> usize {
    let mut n = 0;
    for c in cases(v, "keygen").iter().filter(|c| is_set::<K>(c)) {
        let mut seed = [0u8; 64];
        seed[..32].copy_from_slice(&hex_field(c, "d"));
        seed[32..].copy_from_slice(&hex_field(c, "z"));
        let sk = KemSecretKey::<K>::from_seed(&seed);
        assert_eq!(
            sk.public_key().to_bytes().as_ref(),
            hex_field(c, "ek").as_slice(),
            "tcId {}",
            c["tcId"]
        );
        n += 1;
    }
    n
}

fn kem_encaps<K: ChannelKem>(v: &Value) -> usize {
    let mut n = 0;
    for c in cases(v, "encaps").iter().filter(|c| is_set::<K>(c)) {
        let pk = KemPublicKey::<K>::from_bytes(&hex_field(c, "ek")).expect("valid ek");
        let mut rng = FixedRng::new(&hex_field(c, "m"));
        let (ct, ss) = encapsulate(&pk, &mut rng);
        assert_eq!(rng.consumed(), 32, "Encaps draws exactly m");
        assert_eq!(
            ct.as_bytes(),
            hex_field(c, "c").as_slice(),
            "tcId {}",
            c["tcId"]
        );
        assert_eq!(
            ss.as_bytes().as_slice(),
            hex_field(c, "k").as_slice(),
            "tcId {}",
            c["tcId"]
        );
        n += 1;
    }
    n
}

fn kem_decaps<K: ChannelKem>(v: &Value) -> usize {
    let mut n = 0;
    for c in cases(v, "decaps").iter().filter(|c| is_set::<K>(c)) {
        let sk = KemSecretKey::<K>::from_bytes(&hex_field(c, "seed"));
        let ct = KemCiphertext::<K>::from_bytes(&hex_field(c, "c"));
        match c["result"].as_str() {
            Some("valid") => {
                let ss = sk.expect("seed").decapsulate(&ct.expect("ct"));
                assert_eq!(
                    ss.as_bytes().as_slice(),
                    hex_field(c, "K").as_slice(),
                    "tcId {}",
                    c["tcId"]
                );
            }
            _ => {
                let rejected = matches!(
                    sk,
                    Err(ChannelError::Truncated { .. } | ChannelError::Oversized { .. })
                ) || matches!(
                    ct,
                    Err(ChannelError::Truncated { .. } | ChannelError::Oversized { .. })
                );
                assert!(
                    rejected,
                    "tcId {} ({}) must be a typed length error",
                    c["tcId"], c["comment"]
                );
            }
        }
        n += 1;
    }
    n
}

#[test]
fn ml_kem_known_answers_through_the_wrapper() {
    let v = load_vectors("ml-kem.json");
    assert_eq!(kem_keygen::<MlKem768>(&v) + kem_keygen::<MlKem1024>(&v), 5);
    assert_eq!(kem_encaps::<MlKem768>(&v) + kem_encaps::<MlKem1024>(&v), 5);
    assert_eq!(kem_decaps::<MlKem768>(&v) + kem_decaps::<MlKem1024>(&v), 14);
    for c in cases(&v, "invalidEncapsulationKeys") {
        assert!(
            matches!(
                KemPublicKey::<MlKem768>::from_bytes(&hex_field(c, "ek")),
                Err(ChannelError::InvalidKey)
            ),
            "tcId {}",
            c["tcId"]
        );
    }
}

#[test]
fn ml_dsa_65_key_generation_known_answers() {
    let v = load_vectors("ml-dsa.json");
    for c in cases(&v, "keygen") {
        let sk = SigningKey::from_bytes(&hex_field(c, "seed")).expect("seed");
        assert_eq!(
            sk.verifying_key().as_bytes().as_slice(),
            hex_field(c, "pk").as_slice(),
            "tcId {}",
            c["tcId"]
        );
    }
    assert_eq!(cases(&v, "keygen").len(), 3);
}

#[test]
fn ml_dsa_65_signing_known_answers() {
    let v = load_vectors("ml-dsa.json");
    for (c, sig) in replay_signing_vectors(&v, std::convert::identity) {
        SigningKey::from_bytes(&hex_field(c, "seed"))
            .expect("seed")
            .verifying_key()
            .verify_with_context(&hex_field(c, "msg"), &hex_field(c, "ctx"), &sig)
            .expect("own signature verifies");
    }
}

#[test]
fn ml_dsa_65_verification_known_answers() {
    let v = load_vectors("ml-dsa.json");
    let mut valid = 0;
    for c in cases(&v, "verify") {
        let outcome = VerifyingKey::from_bytes(&hex_field(c, "pk")).and_then(|pk| {
            let sig = Signature::from_bytes(&hex_field(c, "sig"))?;
            pk.verify_with_context(&hex_field(c, "msg"), &hex_field(c, "ctx"), &sig)
        });
        match c["result"].as_str() {
            Some("valid") => {
                assert_eq!(outcome, Ok(()), "tcId {} ({})", c["tcId"], c["comment"]);
                valid += 1;
            }
            _ => assert!(
                outcome.is_err(),
                "tcId {} ({}) must be rejected",
                c["tcId"],
                c["comment"]
            ),
        }
    }
    assert!(valid >= 5);
}
