//! The key-holder process (single-decryptor mode) as `zkfl serve` runs it: a real `zkfl keyholder` child with
//! the BFV key from `zkfl keygen`, fed a homomorphic sum of real encryptions over its pipe. It returns the exact
//! sum, and refuses a second, different aggregate for the same round.

mod common;

use common::{TempDir, keygen};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_aggregator::coordinator::{DecryptionRequest, Decryptor};
use zkfl_aggregator::crypto::CoreAggregate;
use zkfl_aggregator::error::PortError;
use zkfl_aggregator::keyholder::KeyHolderProcess;
use zkfl_aggregator::model::SetLimits;
use zkfl_aggregator::round::RoundId;
use zkfl_aggregator::verify::{Aggregate, RoundContext};
use zkfl_core::bfv::{PlainModulus, encrypt};
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::wire::bfv::{decode_public_key, encode_ciphertext, encoded_len};

const N: usize = SetS::N;
const K: usize = zkfl_core::set_s::K;
type M = <SetS as ParamSet>::M;

/// What a clinic does: encrypt one chunk of integers under the public key from the key directory.
fn encrypt_update(pk: &[u8], m: &[i64; N], t: u64, rng: &mut ChaCha20Rng) -> Vec<u8> {
    let mut a = Box::new(Poly::<M, N>::zero());
    let mut b = vec![Poly::<M, N>::zero(); SetS::MAX_CHUNKS];
    decode_public_key::<SetS, N>(pk, &mut a, &mut b).expect("public key decodes");
    let a_ntt = Box::new(NttPoly::<N, K>::from_poly(&*a));
    let b_ntt = [NttPoly::<N, K>::from_poly(&b[0])];
    let (mut c1, mut c0) = (Box::new(Poly::zero()), vec![Poly::zero()]);
    let plain = PlainModulus::new(t).expect("t");
    encrypt::<SetS, N, K>(
        &a_ntt,
        &b_ntt,
        plain,
        core::slice::from_ref(m),
        rng,
        &mut c1,
        &mut c0,
    )
    .expect("encrypt");
    let mut out = vec![0u8; encoded_len::<SetS>(1)];
    encode_ciphertext::<SetS, N>(&c1, &c0, &mut out).expect("encode");
    out
}

#[test]
fn the_key_holder_process_decrypts_one_aggregate_per_round() {
    let dir = TempDir::new("keyholder");
    keygen(&dir.0, 3);
    let pk = std::fs::read(dir.0.join("keys/public/bfv-public.bin")).expect("public key");
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let (dim, t) = (1000u32, 2 * 3 * 50 + 1);
    let m1: Box<[i64; N]> = Box::new(core::array::from_fn(|i| (i % 11) as i64 - 5));
    let m2: Box<[i64; N]> = Box::new(core::array::from_fn(|i| if i % 2 == 0 { 3 } else { -7 }));
    let agg = CoreAggregate {
        limits: SetLimits::of("S").expect("S"),
    };
    let ctx = RoundContext {
        round: RoundId(1),
        param_set_id: SetS::ID,
        model_dim: dim,
        b_int: 50,
        t: 301,
        bfv_public_key_sha3: [0; 32],
    };
    let mut sum = agg.empty(&ctx).expect("empty");
    for m in [&m1, &m2] {
        sum = agg
            .add(&sum, &encrypt_update(&pk, m, t, &mut rng))
            .expect("add");
    }

    let holder = KeyHolderProcess::spawn(
        std::path::Path::new(env!("CARGO_BIN_EXE_zkfl")),
        &dir.0.join("keys/keyholder"),
    )
    .expect("spawn");
    let request = |accepted, aggregate| DecryptionRequest {
        round: RoundId(1),
        model_dim: dim,
        accepted,
        t,
        aggregate,
    };
    let out = holder
        .decrypt_aggregate(&request(2, &sum))
        .expect("decrypt");
    assert_eq!(out.len(), dim as usize);
    assert!(
        out.iter().enumerate().all(|(i, v)| *v == m1[i] + m2[i]),
        "the decrypted aggregate is the exact sum"
    );
    // Asking again for the same aggregate (a restarted service) is answered; another ciphertext is not.
    assert_eq!(holder.decrypt_aggregate(&request(2, &sum)).ok(), Some(out));
    let single = encrypt_update(&pk, &m1, t, &mut rng);
    let refused = holder.decrypt_aggregate(&request(1, &single));
    assert!(
        matches!(&refused, Err(PortError::Refused(why)) if why.contains("already decrypted")),
        "{refused:?}"
    );
    holder.stop();
}
