//! The service's BFV path against zkfl-core's encryption: key generation, ciphertext checks, the running sum
//! and the key holder's decryption of the aggregate.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_core::ring::NttPoly;
use zkfl_core::wire::bfv::decode_public_key;

use super::*;
use crate::keyholder::Request;
use crate::round::{ClinicId, RoundId};

const N: usize = set_s::N;

fn limits() -> SetLimits {
    SetLimits::of("S").expect("S")
}

/// The set-S aggregator and a round of 3,000 parameters (two chunks) at t = 401, B_int = 100.
fn two_chunk_round() -> (CoreAggregate, RoundContext) {
    let ctx = RoundContext {
        round: RoundId(1),
        param_set_id: 1,
        model_dim: 3000,
        b_int: 100,
        t: 401,
        bfv_public_key_sha3: [0; 32],
    };
    (CoreAggregate { limits: limits() }, ctx)
}

/// Encrypts `m` (one chunk per entry) under the wire-encoded public key, clinic-style.
fn encrypt_chunks(pk: &[u8], m: &[[i64; N]], t: u64, rng: &mut ChaCha20Rng) -> Vec<u8> {
    let mut a = Box::new(Poly::<<SetS as ParamSet>::M, N>::zero());
    let mut b = vec![Poly::zero(); SetS::MAX_CHUNKS];
    decode_public_key::<SetS, N>(pk, &mut a, &mut b).expect("pk decodes");
    let a_ntt = Box::new(NttPoly::<N, { set_s::K }>::from_poly(&*a));
    let b_ntt: Vec<_> = b
        .iter()
        .take(m.len())
        .map(NttPoly::<N, { set_s::K }>::from_poly)
        .collect();
    let mut c1 = Box::new(Poly::zero());
    let mut c0 = vec![Poly::zero(); m.len()];
    let plain = PlainModulus::new(t).expect("t");
    zkfl_core::bfv::encrypt::<SetS, N, { set_s::K }>(
        &a_ntt, &b_ntt, plain, m, rng, &mut c1, &mut c0,
    )
    .expect("encrypt");
    Ops::<SetS, N, { set_s::K }>::encode(&c1, &c0).expect("encode")
}

fn chunk(f: impl Fn(usize) -> i64) -> Box<[i64; N]> {
    Box::new(core::array::from_fn(f))
}

#[test]
fn aggregate_of_two_encryptions_decrypts_to_the_sum() {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let (pk, seed) = bfv_keygen(&limits(), &mut rng).expect("keygen");
    let t = 2 * 2 * 100 + 1;
    let m1 = [
        *chunk(|i| (i % 7) as i64 - 3),
        *chunk(|i| if i == 5 { 100 } else { 0 }),
    ];
    let m2 = [
        *chunk(|i| -((i % 5) as i64)),
        *chunk(|i| if i == 5 { -40 } else { 1 }),
    ];
    let ct1 = encrypt_chunks(&pk, &m1, t, &mut rng);
    let ct2 = encrypt_chunks(&pk, &m2, t, &mut rng);
    let (agg, ctx) = two_chunk_round();
    let mut sum = agg.empty(&ctx).expect("empty");
    for ct in [&ct1, &ct2] {
        sum = agg.add(&sum, ct).expect("add");
    }
    let dec = CoreDecryption {
        secret_seed: Some(seed),
        limits: limits(),
    };
    let out = dec
        .decrypt(&Request {
            round: RoundId(1),
            model_dim: 3000,
            accepted: 2,
            t,
            aggregate: &sum,
        })
        .expect("decrypt");
    assert_eq!(out.len(), 3000);
    for (i, v) in out.iter().enumerate() {
        let (j, k) = (i / N, i % N);
        assert_eq!(*v, m1[j][k] + m2[j][k], "coordinate {i}");
    }
}

#[test]
fn bad_ciphertexts_are_typed_rejections() {
    let (agg, ctx) = two_chunk_round();
    let zero = agg.empty(&ctx).expect("empty");
    let code = |r: Result<Vec<u8>, ApiError>| r.err().map(|e| e.code);
    assert_eq!(
        code(agg.add(&zero, b"garbage")),
        Some(Code::CiphertextMalformed)
    );
    assert_eq!(
        code(agg.add(&zero, &zero[..zero.len() - 1])),
        Some(Code::CiphertextMalformed)
    );
    let mut high = zero.clone();
    let last = high.len() - 1;
    high[last] = 0xff; // top coefficient byte ≥ q
    assert_eq!(code(agg.add(&zero, &high)), Some(Code::CiphertextMalformed));
    let one_chunk =
        Ops::<SetS, N, { set_s::K }>::encode(&Poly::zero(), &[Poly::zero()]).expect("enc");
    assert_eq!(
        code(agg.add(&zero, &one_chunk)),
        Some(Code::ParameterMismatch)
    );
}

#[test]
fn a_service_key_other_than_the_announced_one_is_check_unavailable() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let (pk, _) = bfv_keygen(&limits(), &mut rng).expect("keygen");
    let (other_pk, _) = bfv_keygen(&limits(), &mut rng).expect("keygen");
    let announced: [u8; 32] =
        sha3::Digest::finalize(sha3::Digest::chain_update(sha3::Sha3_256::default(), &pk)).into();
    let t = 2 * 2 * 100 + 1;
    let ct = encrypt_chunks(&pk, &[*chunk(|i| (i % 3) as i64 - 1)], t, &mut rng);
    let round = RoundContext {
        round: RoundId(1),
        param_set_id: 1,
        model_dim: 2000,
        b_int: 100,
        t,
        bfv_public_key_sha3: announced,
    };
    let submission = Authenticated {
        clinic_id: ClinicId(1),
        round: RoundId(1),
        param_set_id: 1,
        digest: vec![0; 64],
        ciphertext: ct,
        proof: vec![0; 16],
    };
    let verifier = |key: Vec<u8>| CoreVerifier {
        kem: KemSecretKey::from_seed(&[3; 64]),
        roster: RosterKeys(Vec::new()),
        limits: limits(),
        max_submission_len: 1 << 24,
        bfv_public_key: Some(key),
    };
    // The key file was swapped after the round was announced: refused before any proof check.
    let err = verifier(other_pk).verify(&submission, &round).unwrap_err();
    assert_eq!(err.code, Code::CheckUnavailable, "{err:?}");
    // The announced key: the check passes and the (junk) proof is what gets rejected.
    let err = verifier(pk).verify(&submission, &round).unwrap_err();
    assert_ne!(err.code, Code::CheckUnavailable, "{err:?}");
}
