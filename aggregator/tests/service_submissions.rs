//! Real sealed submissions (zkfl-core channel: ML-KEM-768 envelope, ML-DSA-65 signature by a roster clinic)
//! through a real `zkfl serve` process: the per-clinic decision, duplicates, replays, mauled envelopes,
//! unknown clinics and other rounds all get their typed JSON error, and all of it survives `kill -9`.

mod common;

use std::path::Path;

use common::{Server, TempDir, keygen};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_aggregator::client::{Client, ClientError};
use zkfl_aggregator::error::Code;
use zkfl_core::channel::{
    ClinicId, KemPublicKey, MlKem768, RoundId, SigningKey, SubmissionFields, seal_submission_to_vec,
};
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::wire::bfv::{KIND_CIPHERTEXT, VERSION, encoded_len};

fn api_code<T: core::fmt::Debug>(r: Result<T, ClientError>) -> (u16, Code) {
    match r {
        Err(ClientError::Api { status, error }) => {
            eprintln!("{status} {error}");
            (status, error.code)
        }
        other => panic!("expected a typed API error, got {other:?}"),
    }
}

/// A well-formed BFV ciphertext encoding (all-zero polynomials) for a model of at most N parameters.
fn zero_ciphertext() -> Vec<u8> {
    let mut ct = vec![0u8; encoded_len::<SetS>(1)];
    ct[..5].copy_from_slice(&[VERSION, KIND_CIPHERTEXT, SetS::ID, 1, 0]);
    ct
}

/// A clinic: its identity from `keys/clinics/<id>` and the aggregator's pinned KEM key.
struct Clinic {
    id: u32,
    key: SigningKey,
    kem: KemPublicKey<MlKem768>,
    rng: ChaCha20Rng,
}

impl Clinic {
    fn load(dir: &Path, id: u32) -> Self {
        let cdir = dir.join(format!("keys/clinics/{id}"));
        let seed = std::fs::read(cdir.join("sign-seed.bin")).expect("seed");
        let kem = std::fs::read(cdir.join("kem-ek.bin")).expect("kem key");
        Self {
            id,
            key: SigningKey::from_bytes(&seed).expect("seed decodes"),
            kem: KemPublicKey::from_bytes(&kem).expect("kem key decodes"),
            rng: ChaCha20Rng::seed_from_u64(u64::from(id)),
        }
    }

    /// Seals a signed submission; the proof bytes carry the sequence number, so every sequence number gives
    /// a different signed submission (digest); `seal_with_proof` re-wraps the content of an earlier one.
    fn seal(&mut self, claimed_id: u32, round: u64, sequence: u64, ciphertext: &[u8]) -> Vec<u8> {
        self.seal_with_proof(claimed_id, round, sequence, ciphertext, sequence)
    }

    fn seal_with_proof(
        &mut self,
        claimed_id: u32,
        round: u64,
        sequence: u64,
        ciphertext: &[u8],
        rewrap_of: u64,
    ) -> Vec<u8> {
        let proof = format!("proof bytes #{rewrap_of}");
        let fields = SubmissionFields {
            param_id: SetS::ID,
            round: RoundId(round),
            clinic: ClinicId(claimed_id),
        };
        seal_submission_to_vec(
            &self.kem,
            &fields,
            sequence,
            ciphertext,
            proof.as_bytes(),
            &self.key,
            &mut self.rng,
        )
        .expect("seal")
    }

    fn envelope(&mut self, round: u64, sequence: u64) -> Vec<u8> {
        self.seal(self.id, round, sequence, &zero_ciphertext())
    }
}

fn decision(c: &Client, clinic: u32) -> Option<(String, Option<Code>)> {
    let s = c.status(RoundId(1)).expect("status");
    s.submissions
        .iter()
        .find(|d| d.clinic_id == ClinicId(clinic))
        .map(|d| (d.decision.clone(), d.code))
}

#[test]
fn sealed_submissions_get_per_clinic_decisions_and_duplicates_replays_are_refused_across_restart() {
    let dir = TempDir::new("submit");
    keygen(&dir.0, 3);
    let server = Server::start(&dir.0, &["--open-round"]);
    let c = server.client();
    let mut one = Clinic::load(&dir.0, 1);
    let mut two = Clinic::load(&dir.0, 2);

    // Authenticated, well-formed ciphertext, bogus proof: zkfl-core's verifier rejects it, and that is
    // stored as clinic 1's decision.
    let first = one.envelope(1, 1);
    let (status, code) = api_code(c.submit(RoundId(1), &first));
    assert_eq!(status, 422);
    assert_eq!(
        code,
        Code::ProofInvalid,
        "these proof bytes are not a proof"
    );
    assert_eq!(decision(&c, 1), Some(("rejected".to_owned(), Some(code))));

    // Exact replay of the bytes; the same signed submission re-wrapped in a fresh envelope (new sequence
    // number); and a different submission from the same clinic in the same round.
    let rewrapped = one.seal_with_proof(1, 1, 5, &zero_ciphertext(), 1);
    assert_eq!(
        api_code(c.submit(RoundId(1), &first)),
        (409, Code::ReplayedSubmission)
    );
    assert_eq!(
        api_code(c.submit(RoundId(1), &rewrapped)),
        (409, Code::ReplayedSubmission)
    );
    assert_eq!(
        api_code(c.submit(RoundId(1), &one.envelope(1, 6))),
        (409, Code::DuplicateSubmission)
    );

    // Clinic 2: garbage ciphertext inside a valid envelope is its (typed) decision.
    let bad_ct = two.seal(2, 1, 1, b"not a ciphertext");
    assert_eq!(
        api_code(c.submit(RoundId(1), &bad_ct)),
        (422, Code::CiphertextMalformed)
    );
    // Clinic 2 claiming to be clinic 3 (signs with its own key): signature check fails, unattributed.
    assert_eq!(
        api_code(c.submit(RoundId(1), &two.seal(3, 1, 1, &zero_ciphertext()))),
        (403, Code::SignatureInvalid)
    );
    // Unknown clinic.
    assert_eq!(
        api_code(c.submit(RoundId(1), &two.seal(99, 1, 1, &zero_ciphertext()))),
        (403, Code::UnknownClinic)
    );
    // An envelope for round 2 posted to round 1.
    let mut three = Clinic::load(&dir.0, 3);
    assert_eq!(
        api_code(c.submit(RoundId(1), &three.envelope(2, 1))),
        (409, Code::WrongRound)
    );
    // Mauled ciphertext byte: AEAD fails.
    let mut mauled = three.envelope(1, 1);
    let last = mauled.len() - 1;
    mauled[last] ^= 1;
    assert_eq!(
        api_code(c.submit(RoundId(1), &mauled)),
        (400, Code::EnvelopeOpenFailed)
    );

    let before = c.status(RoundId(1)).expect("status");
    assert_eq!((before.accepted, before.rejected), (0, 2));
    assert_eq!(before.unauthenticated_rejections, 5);
    // Unauthenticated rejections are counted in memory and written by the round driver every tick.
    std::thread::sleep(std::time::Duration::from_millis(800));

    // Crash and restart: decisions, counters and replay memory are all still there.
    server.kill9();
    let server = Server::start(&dir.0, &["--open-round"]);
    let c = server.client();
    let after = c.status(RoundId(1)).expect("status");
    assert_eq!(
        (
            after.accepted,
            after.rejected,
            after.unauthenticated_rejections
        ),
        (0, 2, 5)
    );
    assert_eq!(decision(&c, 1), Some(("rejected".to_owned(), Some(code))));
    assert_eq!(
        api_code(c.submit(RoundId(1), &first)),
        (409, Code::ReplayedSubmission)
    );
    assert_eq!(
        api_code(c.submit(RoundId(1), &one.envelope(1, 7))),
        (409, Code::DuplicateSubmission)
    );
    // A stale sequence number from clinic 2 (its mark is (round 1, 1)) is a replay.
    assert_eq!(
        api_code(c.submit(RoundId(1), &two.seal(2, 1, 1, &zero_ciphertext()))),
        (409, Code::ReplayedSubmission)
    );

    // The third clinic's decision completes the roster: the round closes and, with nothing accepted, fails.
    assert_eq!(api_code(c.submit(RoundId(1), &three.envelope(1, 2))).0, 422);
    let done = c
        .wait_for(RoundId(1), &["failed"], std::time::Duration::from_secs(10))
        .expect("round closes");
    assert_eq!(
        done.failure.as_ref().and_then(|f| f["code"].as_str()),
        Some("no_accepted_submissions")
    );
}
