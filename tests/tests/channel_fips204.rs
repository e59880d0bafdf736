//! The clinic device's ML-DSA-65 signer (`ExpandedSigningKey`, the `fips204` crate, feature
//! `fips204-signer`) against the project's signer (`SigningKey`, the `ml-dsa` crate): for the same seed ξ,
//! message, context and `rnd` the signature bytes must be identical, since the device's submissions are
//! compared byte for byte with native ones and the aggregator cannot tell which library signed. Also: both
//! pass the committed FIPS 204 known answers, the device's key wipes the seed it was made from, and a
//! submission header signed by either is the same.

mod channel_common;

use channel_common::{FixedRng, hex_field, load_vectors, replay_signing_vectors};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zkfl_core::channel::identity::SUBMISSION_CONTEXT;
use zkfl_core::channel::submission::SUBMISSION_OVERHEAD;
use zkfl_core::channel::{
    ClinicId, ContentHash, ContentKind, ExpandedSigningKey, RoundId, SigningKey, SubmissionFields,
    signed_header,
};

/// Cases of the cross-implementation comparison (each a fresh seed, rnd and message).
const CASES: usize = 8;

/// Seed, rnd and message of case `i`: drawn from a fixed ChaCha20 stream; messages of 0..=200 bytes, the
/// 64-byte submission digest among them.
fn case(i: usize) -> ([u8; 32], [u8; 32], Vec<u8>) {
    let mut rng = ChaCha20Rng::seed_from_u64(0x5eed_f204 + i as u64);
    let mut seed = [0u8; 32];
    let mut rnd = [0u8; 32];
    rng.fill_bytes(&mut seed);
    rng.fill_bytes(&mut rnd);
    let len = match i {
        0 => 64,
        1 => 0,
        _ => (rng.next_u32() % 201) as usize,
    };
    let mut msg = vec![0u8; len];
    rng.fill_bytes(&mut msg);
    (seed, rnd, msg)
}

#[test]
fn fips204_signatures_equal_ml_dsa_signatures_under_the_submission_context() {
    for i in 0..CASES {
        let (seed, rnd, msg) = case(i);
        let reference = SigningKey::from_seed(&seed);
        let device = ExpandedSigningKey::expand(&reference);
        let mut r1 = FixedRng::new(&rnd);
        let mut r2 = FixedRng::new(&rnd);
        let a = reference
            .sign_with_context(&msg, SUBMISSION_CONTEXT, &mut r1)
            .expect("ml-dsa signs");
        let b = device
            .sign_with_context(&msg, SUBMISSION_CONTEXT, &mut r2)
            .expect("fips204 signs");
        assert_eq!(a.as_bytes(), b.as_bytes(), "case {i}: signatures differ");
        assert_eq!((r1.consumed(), r2.consumed()), (32, 32), "case {i}: rnd");
        // A different rnd gives a different (hedged) signature, so equality above is not vacuous.
        let mut other = FixedRng::new(&[rnd[0] ^ 1]);
        let c = device
            .sign_with_context(&msg, SUBMISSION_CONTEXT, &mut other)
            .expect("fips204 signs");
        assert_ne!(a.as_bytes(), c.as_bytes(), "case {i}");
        reference
            .verifying_key()
            .verify_with_context(&msg, SUBMISSION_CONTEXT, &b)
            .expect("the fips204 signature verifies with the project's verifier");
    }
}

#[test]
fn fips204_verifying_key_is_the_ml_dsa_one() {
    for i in 0..3 {
        let (seed, _, _) = case(i);
        let reference = SigningKey::from_seed(&seed);
        let device = ExpandedSigningKey::expand(&reference);
        assert_eq!(
            device.verifying_key().expect("decodes"),
            reference.verifying_key()
        );
    }
}

#[test]
fn fips204_signer_passes_the_fips204_known_answers() {
    let v = load_vectors("ml-dsa.json");
    let valid = replay_signing_vectors(&v, |sk| ExpandedSigningKey::expand(&sk)).len();
    assert!(valid >= 2, "{valid} valid signing vectors");
    for c in v["keygen"].as_array().expect("keygen section") {
        let mut seed: [u8; 32] = hex_field(c, "seed").try_into().expect("32-byte seed");
        let device = ExpandedSigningKey::from_seed_wiping(&mut seed);
        assert_eq!(
            device
                .verifying_key()
                .expect("decodes")
                .as_bytes()
                .as_slice(),
            hex_field(c, "pk").as_slice(),
            "tcId {}",
            c["tcId"]
        );
    }
}

#[test]
fn fips204_key_from_a_seed_wipes_the_seed() {
    let (seed, rnd, msg) = case(0);
    let mut held = seed;
    let device = ExpandedSigningKey::from_seed_wiping(&mut held);
    assert_eq!(held, [0u8; 32], "the device's seed buffer is wiped");
    // …and the key is still the seed's key.
    let a = SigningKey::from_seed(&seed)
        .sign_with_context(&msg, SUBMISSION_CONTEXT, &mut FixedRng::new(&rnd))
        .expect("signs");
    let b = device
        .sign_with_context(&msg, SUBMISSION_CONTEXT, &mut FixedRng::new(&rnd))
        .expect("signs");
    assert_eq!(a.as_bytes(), b.as_bytes());
}

#[test]
fn submission_header_is_the_same_from_either_signer() {
    let fields = SubmissionFields {
        param_id: 1,
        round: RoundId(42),
        clinic: ClinicId(7),
    };
    let ct = ContentHash::of(ContentKind::Ciphertext, b"ciphertext");
    let proof = ContentHash::of(ContentKind::Proof, b"proof");
    for i in 0..3 {
        let (seed, rnd, _) = case(i);
        let reference = SigningKey::from_seed(&seed);
        let device = ExpandedSigningKey::expand(&reference);
        let mut a = [0u8; SUBMISSION_OVERHEAD];
        let mut b = [0u8; SUBMISSION_OVERHEAD];
        let da = signed_header(
            &mut a,
            &fields,
            1000,
            500,
            &ct,
            &proof,
            &reference,
            &mut FixedRng::new(&rnd),
        )
        .expect("signs");
        let db = signed_header(
            &mut b,
            &fields,
            1000,
            500,
            &ct,
            &proof,
            &device,
            &mut FixedRng::new(&rnd),
        )
        .expect("signs");
        assert_eq!(da.0, db.0);
        assert_eq!(a, b, "case {i}");
    }
}
