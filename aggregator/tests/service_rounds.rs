//! The whole round through a real `zkfl serve`: three clinics encrypt (BFV), prove (zk), sign and seal
//! (channel) real updates; the server verifies and sums them, survives `kill -9` between submissions with
//! the accepted submissions and the running sum intact, closes when the roster is complete, has the key
//! holder decrypt the aggregate and publishes w_2 = w_1 + mean update.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Server, TempDir, announced, keygen};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_aggregator::client::ClientError;
use zkfl_aggregator::clinic::{ClinicKeys, round};
use zkfl_aggregator::error::Code;
use zkfl_aggregator::round::Announcement;
use zkfl_aggregator::round::{ClinicId, RoundId};
use zkfl_core::clinic::{PublicKey, Silent};
use zkfl_core::params::{ParamSet, SetS};

const N: usize = SetS::N;

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
    let keys = ClinicKeys::load(&dir.join("keys"), ClinicId(clinic)).expect("clinic keys");
    let served =
        std::fs::read(dir.join(format!("keys/clinics/{clinic}/bfv-public.bin"))).expect("pk");
    let chunks = zkfl_core::quant::chunk_count(a.model_dim as usize, N);
    let pk = PublicKey::decode(&served, chunks).expect("pk decodes");
    let r = round(a, &pk, &keys).expect("round");
    let msg = r.message(m).expect("message");
    let enc = r.encrypt(&msg, &mut rng, &mut Silent).expect("encrypt");
    let proof = r
        .prove(&enc, &msg, clinic, &mut rng, &mut Silent)
        .expect("prove");
    r.seal(
        enc.ciphertext(),
        &proof,
        clinic,
        &keys.sign,
        sequence,
        &mut rng,
    )
    .expect("seal")
}

fn update(values: [i64; 4]) -> Box<[i64; N]> {
    let mut m = Box::new([0i64; N]);
    m[..4].copy_from_slice(&values);
    m
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
            .submit(RoundId(1), &submission(&dir.0, id, &a, m, u64::from(id), 1))
            .expect("accepted");
        assert_eq!(
            (accepted.clinic_id, accepted.accepted_so_far),
            (ClinicId(id), id)
        );
    }
    server.kill9();

    let server = Server::start(&dir.0, &["--open-round"]);
    let c = server.client();
    let s = c.status(RoundId(1)).expect("status");
    assert_eq!(
        (s.state.as_str(), s.accepted),
        ("open", 2),
        "accepted submissions survive kill -9"
    );
    // Clinic 2 again (a new envelope and a new, valid proof): refused, the running sum is unchanged.
    let again = c.submit(RoundId(1), &submission(&dir.0, 2, &a, &updates[1], 99, 2));
    assert!(
        matches!(again, Err(ClientError::Api { ref error, .. }) if error.code == Code::DuplicateSubmission),
        "{again:?}"
    );

    // The third clinic completes the roster; the round closes, is decrypted and published.
    c.submit(RoundId(1), &submission(&dir.0, 3, &a, &updates[2], 3, 1))
        .expect("third accepted");
    let done = c
        .wait_for(
            RoundId(1),
            &["published", "failed"],
            Duration::from_secs(30),
        )
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
    let mean = c.update(RoundId(1)).expect("update");
    let expected: Vec<f32> = (0..4)
        .map(|i| (updates.iter().map(|m| m[i]).sum::<i64>() as f64 / (512.0 * 3.0)) as f32)
        .collect();
    assert_eq!(
        &mean[..4],
        &expected[..],
        "the published update is the de-quantized mean of the running sum"
    );
    let (w1, w2) = (
        c.model(RoundId(1)).expect("w1"),
        c.model(RoundId(2)).expect("w2"),
    );
    assert!(
        w1.iter()
            .zip(&mean)
            .zip(&w2)
            .all(|((a, d), b)| (a + d - b).abs() == 0.0)
    );
}
