//! The whole round through a real `zkfl serve`: three clinics encrypt (BFV), prove (zk), sign and seal
//! (channel) real updates; the server verifies and sums them, survives `kill -9` between submissions with
//! the accepted submissions and the running sum intact, closes when the roster is complete, has the key
//! holder decrypt the aggregate and publishes w_2 = w_1 + mean update.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{
    Server, THREE_CLINICS, TempDir, announced, keygen, plaintext_mean, published, sealed_update,
    update,
};
use zkfl_aggregator::client::ClientError;
use zkfl_aggregator::error::Code;
use zkfl_aggregator::round::Announcement;
use zkfl_aggregator::round::{ClinicId, RoundId};
use zkfl_core::params::{ParamSet, SetS};

/// Clinic `clinic`'s sealed submission of the integer update `m` under the BFV key of its key directory.
fn submission(
    dir: &Path,
    clinic: u32,
    a: &Announcement,
    m: &[i64],
    seed: u64,
    sequence: u64,
) -> Vec<u8> {
    let pk = std::fs::read(dir.join(format!("keys/clinics/{clinic}/bfv-public.bin"))).expect("pk");
    sealed_update(dir, clinic, a, &pk, m, seed, sequence)
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
    let updates = THREE_CLINICS.map(|v| update(v, SetS::N));

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
    let (done, mean) = published(&c, RoundId(1), Duration::from_secs(30));
    // Work times of the restarted process: the refused duplicate and clinic 3 reached a worker, one
    // ciphertext was added, and the key holder decrypted the aggregate.
    let t = done.timing_s.expect("timings of this process");
    assert_eq!(t.verified, 2);
    assert!(
        t.verify > 0.0 && t.aggregate > 0.0 && t.decrypt > 0.0,
        "{t:?}"
    );
    assert_eq!(
        &mean[..4],
        &plaintext_mean(&THREE_CLINICS)[..],
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
