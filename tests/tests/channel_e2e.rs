//! End to end: clinics seal signed submissions to the aggregator's ML-KEM key; the aggregator opens and
//! verifies them against the roster, and rejects every misuse with a typed error while nothing already
//! accepted changes.

mod channel_common;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_core::channel::envelope::seal_to_vec;
use zkfl_core::channel::submission::{SubmissionLayout, encode_signed, seal_submission_to_vec};
use zkfl_core::channel::{
    AnnouncementDigest, ChannelError, ClinicId, ClinicRoster, Direction, KemSecretKey,
    MemoryReplayGuard, MlKem768, ReplayError, ReplayGuard, Roster, RoundId, SealContext,
    SigningKey, SubmissionEnvelopeLayout, SubmissionFields, SubmissionPolicy, open_submission,
    seal_submission_in_place,
};

const PARAM: u8 = 1;
const ROUND: RoundId = RoundId(4);

struct Consortium {
    kem: KemSecretKey<MlKem768>,
    aggregator_sig: SigningKey,
    clinics: Vec<SigningKey>,
    roster: Roster<8>,
    guard: MemoryReplayGuard<8>,
    rng: ChaCha20Rng,
}

fn consortium() -> Consortium {
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let kem = KemSecretKey::<MlKem768>::generate(&mut rng);
    let aggregator_sig = SigningKey::generate(&mut rng);
    let clinics: Vec<SigningKey> = (0..5).map(|_| SigningKey::generate(&mut rng)).collect();
    let mut roster = Roster::new();
    for (i, c) in clinics.iter().enumerate() {
        roster
            .register(ClinicId(i as u32 + 1), c.verifying_key())
            .unwrap();
    }
    Consortium {
        kem,
        aggregator_sig,
        clinics,
        roster,
        guard: MemoryReplayGuard::new(),
        rng,
    }
}

fn policy() -> SubmissionPolicy {
    SubmissionPolicy {
        param_id: PARAM,
        round: ROUND,
        max_submission_len: 1 << 21,
    }
}

fn fields(clinic: u32) -> SubmissionFields {
    SubmissionFields {
        param_id: PARAM,
        round: ROUND,
        clinic: ClinicId(clinic),
    }
}

fn content(clinic: u32) -> (Vec<u8>, Vec<u8>) {
    let ct = (0..2000).map(|i| (i as u32 * 13 + clinic) as u8).collect();
    let proof = (0..700)
        .map(|i| (i as u32 * 7 + clinic * 3) as u8)
        .collect();
    (ct, proof)
}

impl Consortium {
    fn submit(&mut self, clinic: u32, sequence: u64) -> Vec<u8> {
        self.seal(&fields(clinic), sequence, clinic, clinic as usize - 1)
    }

    /// Clinic `content_of`'s ciphertext and proof under `f`, signed with `self.clinics[signer]` (not
    /// necessarily that clinic's key) and sealed at `sequence`.
    fn seal(
        &mut self,
        f: &SubmissionFields,
        sequence: u64,
        content_of: u32,
        signer: usize,
    ) -> Vec<u8> {
        let (ct, proof) = content(content_of);
        seal_submission_to_vec(
            self.kem.public_key(),
            f,
            sequence,
            &ct,
            &proof,
            &self.clinics[signer],
            &mut self.rng,
        )
        .unwrap()
    }

    fn open(&mut self, env: &mut [u8]) -> Result<(ClinicId, Vec<u8>, Vec<u8>), ChannelError> {
        open_submission(&self.kem, &policy(), &self.roster, &mut self.guard, env)
            .map(|v| (v.fields.clinic, v.ciphertext.to_vec(), v.proof.to_vec()))
    }
}

#[test]
fn five_clinics_submit_and_the_aggregator_verifies() {
    let mut c = consortium();
    // Round announcement, signed by the aggregator, checked by a clinic.
    let body = b"round 4: model hash .., B = 5.0, S = 2^12, deadline ..";
    let ann = AnnouncementDigest::new(PARAM, ROUND, body);
    let sig = c
        .aggregator_sig
        .sign_announcement(&ann, &mut c.rng)
        .unwrap();
    c.aggregator_sig
        .verifying_key()
        .verify_announcement(&ann, &sig)
        .unwrap();
    assert_eq!(
        c.aggregator_sig
            .verifying_key()
            .verify_announcement(&AnnouncementDigest::new(PARAM, RoundId(5), body), &sig),
        Err(ChannelError::BadSignature)
    );

    for clinic in 1..=5u32 {
        // Zero-copy path: content written straight into the envelope buffer.
        let (ct, proof) = content(clinic);
        let layout = SubmissionEnvelopeLayout::new::<MlKem768>(ct.len(), proof.len()).unwrap();
        let mut env = vec![0u8; layout.envelope_len];
        env[layout.ciphertext.clone()].copy_from_slice(&ct);
        env[layout.proof.clone()].copy_from_slice(&proof);
        let key = c.clinics[clinic as usize - 1].clone();
        let digest = seal_submission_in_place(
            c.kem.public_key(),
            &fields(clinic),
            0,
            ct.len(),
            proof.len(),
            &key,
            &mut env,
            &mut c.rng,
        )
        .unwrap();
        let v = open_submission(&c.kem, &policy(), &c.roster, &mut c.guard, &mut env).unwrap();
        assert_eq!(v.fields, fields(clinic));
        assert_eq!(v.header.direction, Direction::ClinicToAggregator);
        assert_eq!(v.digest, digest);
        assert_eq!((v.ciphertext, v.proof), (ct.as_slice(), proof.as_slice()));
    }
    assert_eq!(c.guard.len(), 5);
}

#[test]
fn every_misuse_is_rejected_and_accepted_state_is_unchanged() {
    let mut c = consortium();
    let mut accepted = c.submit(1, 0);
    let original = accepted.clone();
    assert_eq!(c.open(&mut accepted).unwrap().0, ClinicId(1));
    let guard_after_accept = c.guard.clone();

    // Duplicate of an accepted envelope.
    let mut dup = original.clone();
    assert_eq!(
        c.open(&mut dup).unwrap_err(),
        ChannelError::Replay(ReplayError::Duplicate)
    );

    // Another round: the envelope is for round 5.
    let (ct, proof) = content(2);
    let mut f = fields(2);
    f.round = RoundId(5);
    let mut other_round = c.seal(&f, 0, 2, 1);
    assert_eq!(
        c.open(&mut other_round).unwrap_err(),
        ChannelError::WrongRound {
            expected: ROUND,
            got: RoundId(5)
        }
    );

    // Unknown clinic 9 with its own (unregistered) key.
    let stranger = SigningKey::generate(&mut c.rng);
    c.clinics.push(stranger); // index 5: a key the roster does not know
    let mut unknown = c.seal(&fields(9), 0, 2, 5);
    assert_eq!(
        c.open(&mut unknown).unwrap_err(),
        ChannelError::UnknownClinic(ClinicId(9))
    );

    // Clinic 3 signs while claiming to be clinic 2: envelope and submission agree, the key does not.
    let mut impostor = c.seal(&fields(2), 0, 2, 2);
    assert_eq!(
        c.open(&mut impostor).unwrap_err(),
        ChannelError::BadSignature
    );

    // Clinic 2's genuine signed submission re-wrapped in an envelope claiming clinic 4.
    let layout = SubmissionLayout::new(ct.len(), proof.len()).unwrap();
    let mut inner = vec![0u8; layout.len];
    encode_signed(
        &mut inner,
        &fields(2),
        &ct,
        &proof,
        &c.clinics[1],
        &mut c.rng,
    )
    .unwrap();
    let ctx4 = SealContext {
        direction: Direction::ClinicToAggregator,
        round: ROUND,
        clinic: ClinicId(4),
        sequence: 0,
    };
    let mut rewrapped = seal_to_vec(c.kem.public_key(), &ctx4, &inner, &mut c.rng).unwrap();
    assert_eq!(
        c.open(&mut rewrapped).unwrap_err(),
        ChannelError::ClinicMismatch {
            envelope: ClinicId(4),
            submission: ClinicId(2)
        }
    );

    // Wrong parameter set.
    let mut fp = fields(2);
    fp.param_id = 2;
    let mut wrong_param = c.seal(&fp, 0, 2, 1);
    assert_eq!(
        c.open(&mut wrong_param).unwrap_err(),
        ChannelError::ParamSetMismatch {
            expected: PARAM,
            got: 2
        }
    );

    // A garbage submission inside a valid envelope.
    let ctx2 = SealContext {
        clinic: ClinicId(2),
        ..ctx4
    };
    let mut garbage = seal_to_vec(c.kem.public_key(), &ctx2, &[0u8; 10], &mut c.rng).unwrap();
    assert!(matches!(
        c.open(&mut garbage).unwrap_err(),
        ChannelError::Truncated { .. }
    ));
    let mut trailing = inner.clone();
    trailing.push(0);
    let mut long = seal_to_vec(c.kem.public_key(), &ctx2, &trailing, &mut c.rng).unwrap();
    assert!(matches!(
        c.open(&mut long).unwrap_err(),
        ChannelError::LengthMismatch { .. }
    ));

    // A mauled byte anywhere in a fresh, otherwise valid envelope from clinic 5 (every byte position).
    let fresh = c.submit(5, 0);
    for i in 0..fresh.len() {
        let mut e = fresh.clone();
        e[i] ^= 0x01;
        assert!(c.open(&mut e).is_err(), "mauled byte {i} accepted");
    }
    // Truncated and oversized envelopes.
    for len in [0, 31, 32, 1135, 1136, fresh.len() - 1] {
        let mut e = fresh[..len].to_vec();
        assert!(c.open(&mut e).is_err(), "truncated to {len}");
    }
    let mut tight = c.submit(5, 1);
    let small = SubmissionPolicy {
        max_submission_len: 100,
        ..policy()
    };
    assert!(matches!(
        open_submission(&c.kem, &small, &c.roster, &mut c.guard, &mut tight),
        Err(ChannelError::Oversized { .. })
    ));

    // Nothing above changed the guard or the roster: the accepted envelope is still a duplicate, the
    // guard equals its state right after acceptance, and every clinic is still registered.
    assert_eq!(format!("{:?}", c.guard), format!("{guard_after_accept:?}"));
    for id in 1..=5 {
        assert!(c.roster.verifying_key(ClinicId(id)).is_some());
    }
    let mut dup = original.clone();
    assert_eq!(
        c.open(&mut dup).unwrap_err(),
        ChannelError::Replay(ReplayError::Duplicate)
    );
    // And the untouched fresh envelope from clinic 5 is still accepted afterwards; then a stale one is not.
    let mut ok = fresh.clone();
    assert_eq!(c.open(&mut ok).unwrap().0, ClinicId(5));
    let mut newer = c.submit(2, 3);
    c.open(&mut newer).unwrap();
    let mut stale = c.submit(2, 2);
    assert_eq!(
        c.open(&mut stale).unwrap_err(),
        ChannelError::Replay(ReplayError::Stale)
    );
    assert!(
        c.guard
            .check(&zkfl_core::channel::ReplayKey {
                direction: Direction::ClinicToAggregator,
                clinic: ClinicId(2),
                round: ROUND,
                sequence: 4
            })
            .is_ok()
    );
}
