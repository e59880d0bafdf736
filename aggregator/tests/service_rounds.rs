//! The whole round through a real `zkfl serve`: three clinics encrypt (BFV), prove (zk), sign and seal
//! (channel) real updates; the server verifies and sums them, survives `kill -9` between submissions with
//! the accepted submissions and the running sum intact, closes when the roster is complete, has the key
//! holder decrypt the aggregate and publishes w_2 = w_1 + mean update.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Server, TempDir, keygen};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_aggregator::client::{Client, ClientError};
use zkfl_aggregator::error::Code;
use zkfl_aggregator::round::Announcement;
use zkfl_core::arith::Modulus;
use zkfl_core::bfv::{Encryptor, PlainModulus, ternary_product_primes};
use zkfl_core::channel::{
    ClinicId, KemPublicKey, MlKem768, RoundId, SigningKey, SubmissionFields, seal_submission_to_vec,
};
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::wire::bfv::{decode_public_key, encode_ciphertext, encoded_len};
use zkfl_core::zk::prove::{SliceUpdate, Witness, prove};
use zkfl_core::zk::statement::{Context, Statement};

const N: usize = SetS::N;
const K: usize = ternary_product_primes(SetS::N, <<SetS as ParamSet>::M as Modulus>::BITS);
type M = <SetS as ParamSet>::M;
type Coeff = <M as Modulus>::Coeff;

/// A clinic's sealed submission of the integer update `m` (one chunk) for the announced round.
fn submission(
    dir: &Path,
    clinic: u32,
    a: &Announcement,
    m: &[i64; N],
    seed: u64,
    sequence: u64,
) -> Vec<u8> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let cdir = dir.join(format!("keys/clinics/{clinic}"));
    let pk = std::fs::read(cdir.join("bfv-public.bin")).expect("pk");
    let mut pa = Box::new(Poly::<M, N>::zero());
    let mut pb = vec![Poly::<M, N>::zero(); SetS::MAX_CHUNKS];
    decode_public_key::<SetS, N>(&pk, &mut pa, &mut pb).expect("pk decodes");
    let a_ntt = Box::new(NttPoly::<N, K>::from_poly(&*pa));
    let b_ntt = Box::new(NttPoly::<N, K>::from_poly(&pb[0]));
    let plain = PlainModulus::<M>::new(a.t).expect("t");
    let t = plain.t();
    let mut enc = Box::new(Encryptor::<SetS, N, K>::new(&a_ntt, plain, 1, &mut rng));
    let mut c0 = vec![Poly::<M, N>::zero()];
    enc.encrypt_chunk(&b_ntt, m, &mut c0[0]).expect("encrypt");
    let u: Vec<i64> = (0..N)
        .map(|i| i64::try_from(enc.u().centered(i)).expect("ternary"))
        .collect();
    let c1 = enc.c1().clone();
    let mut ct = vec![0u8; encoded_len::<SetS>(1)];
    encode_ciphertext::<SetS, N>(&c1, &c0, &mut ct).expect("encode ct");

    let pk_b: Vec<[Coeff; N]> = vec![pb[0].coeffs];
    let c0c: Vec<[Coeff; N]> = vec![c0[0].coeffs];
    let stmt = Statement {
        pk_a: &pa.coeffs,
        pk_b: &pk_b,
        c1: &c1.coeffs,
        c0: &c0c,
        t,
        bound: a.b_int,
    };
    let ctx = Context {
        round: a.round,
        clinic: u64::from(clinic),
    };
    let mut proof = vec![0u8; stmt.layout::<SetS>().expect("layout").proof_len()];
    let chunks = [*m];
    let mut wit = Witness {
        u: &u,
        m: SliceUpdate(&chunks),
    };
    prove::<SetS, N, _, _>(&stmt, &ctx, &mut wit, &mut rng, &mut proof).expect("prove");

    let key = SigningKey::from_bytes(&std::fs::read(cdir.join("sign-seed.bin")).expect("seed"))
        .expect("key");
    let kem =
        KemPublicKey::<MlKem768>::from_bytes(&std::fs::read(cdir.join("kem-ek.bin")).expect("ek"))
            .expect("ek");
    let fields = SubmissionFields {
        param_id: SetS::ID,
        round: RoundId(a.round),
        clinic: ClinicId(clinic),
    };
    seal_submission_to_vec(&kem, &fields, sequence, &ct, &proof, &key, &mut rng).expect("seal")
}

fn update(values: [i64; 4]) -> Box<[i64; N]> {
    let mut m = Box::new([0i64; N]);
    m[..4].copy_from_slice(&values);
    m
}

fn announced(c: &Client, dir: &Path) -> Announcement {
    let pinned = std::fs::read(dir.join("keys/clinics/1/aggregator-vk.bin")).expect("pinned vk");
    c.current_round()
        .expect("round")
        .verify(&pinned)
        .expect("signed announcement")
}

#[test]
fn a_round_of_real_proofs_survives_kill_9_and_publishes_the_mean() {
    let dir = TempDir::new("rounds");
    keygen(&dir.0, 3);
    let server = Server::start(
        &dir.0,
        &["--open-round", "--norm-bound", "5.0", "--scale", "512"],
    );
    let c = server.client();
    let a = announced(&c, &dir.0);
    let updates = [
        update([512, -256, 0, 100]),
        update([1024, 0, -512, 4]),
        update([-512, 256, 512, 0]),
    ];

    // Two clinics are accepted, then the server is killed.
    for (i, m) in updates.iter().take(2).enumerate() {
        let id = i as u32 + 1;
        let accepted = c
            .submit(1, &submission(&dir.0, id, &a, m, u64::from(id), 1))
            .expect("accepted");
        assert_eq!((accepted.clinic_id, accepted.accepted_so_far), (id, id));
    }
    server.kill9();

    let server = Server::start(&dir.0, &["--open-round"]);
    let c = server.client();
    let s = c.status(1).expect("status");
    assert_eq!(
        (s.state.as_str(), s.accepted),
        ("open", 2),
        "accepted submissions survive kill -9"
    );
    // Clinic 2 again (a new envelope and a new, valid proof): refused, the running sum is unchanged.
    let again = c.submit(1, &submission(&dir.0, 2, &a, &updates[1], 99, 2));
    assert!(
        matches!(again, Err(ClientError::Api { ref error, .. }) if error.code == Code::DuplicateSubmission),
        "{again:?}"
    );

    // The third clinic completes the roster; the round closes, is decrypted and published.
    c.submit(1, &submission(&dir.0, 3, &a, &updates[2], 3, 1))
        .expect("third accepted");
    let done = c
        .wait_for(1, &["published", "failed"], Duration::from_secs(30))
        .expect("round finishes");
    assert_eq!(done.state, "published", "{:?}", done.failure);
    // Work times of the restarted process: the refused duplicate and clinic 3 reached a worker, one
    // ciphertext was added, and the key holder decrypted the aggregate.
    let t = done.timing_s.expect("timings of this process");
    assert_eq!(t.verified, 2);
    assert!(
        t.verify > 0.0 && t.aggregate > 0.0 && t.decrypt > 0.0,
        "{t:?}"
    );
    let mean = c.update(1).expect("update");
    let expected: Vec<f32> = (0..4)
        .map(|i| (updates.iter().map(|m| m[i]).sum::<i64>() as f64 / (512.0 * 3.0)) as f32)
        .collect();
    assert_eq!(
        &mean[..4],
        &expected[..],
        "the published update is the de-quantized mean of the running sum"
    );
    let (w1, w2) = (c.model(1).expect("w1"), c.model(2).expect("w2"));
    assert!(
        w1.iter()
            .zip(&mean)
            .zip(&w2)
            .all(|((a, d), b)| (a + d - b).abs() == 0.0)
    );
}
