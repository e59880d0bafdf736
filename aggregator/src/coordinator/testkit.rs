//! Test doubles for the crypto (only under `cfg(test)`): a verifier that reads a tiny plain-text test
//! format and an aggregate that adds little-endian u64 vectors. The product wires the zkfl-core
//! implementations (`crate::crypto`); nothing here is reachable from the binary.

use super::*;
use crate::model;
use crate::round::{ClinicId, RoundId};

/// Test envelope: `clinic round verdict payload-byte` as ASCII, e.g. `"3 1 ok 5"`.
pub(crate) struct TestVerifier;

impl SubmissionVerifier for TestVerifier {
    fn authenticate(
        &self,
        envelope: &[u8],
        _: &RoundContext,
        _: &mut dyn crate::verify::ReplayGuard,
    ) -> Result<Authenticated, ApiError> {
        let text = core::str::from_utf8(envelope)
            .map_err(|_| ApiError::new(Code::MalformedEnvelope, "utf8"))?;
        let f: Vec<&str> = text.split(' ').collect();
        let [clinic, round, _verdict, val] = f.as_slice() else {
            return Err(ApiError::new(Code::MalformedEnvelope, "fields"));
        };
        let clinic_id: u32 = clinic
            .parse()
            .map_err(|_| ApiError::new(Code::MalformedEnvelope, "clinic"))?;
        let round: u64 = round
            .parse()
            .map_err(|_| ApiError::new(Code::MalformedEnvelope, "round"))?;
        let v: u64 = val
            .parse()
            .map_err(|_| ApiError::new(Code::MalformedEnvelope, "val"))?;
        Ok(Authenticated {
            clinic_id: ClinicId(clinic_id),
            round: RoundId(round),
            param_set_id: 1,
            digest: sha3(envelope).to_vec(),
            ciphertext: [v.to_le_bytes(), v.to_le_bytes()].concat(),
            proof: envelope.to_vec(),
        })
    }
    fn verify(&self, s: &Authenticated, _: &RoundContext) -> Result<(), ApiError> {
        if s.proof.windows(4).any(|w| w == b"slow") {
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        if s.proof.windows(2).any(|w| w == b"ok") || s.proof.windows(4).any(|w| w == b"slow") {
            Ok(())
        } else {
            Err(ApiError::new(Code::ProofInvalid, "test proof says no"))
        }
    }
}

struct TestSum;

impl Aggregate for TestSum {
    fn empty(&self, r: &RoundContext) -> Result<Vec<u8>, ApiError> {
        Ok(vec![0; 8 * r.model_dim as usize])
    }
    fn add(&self, sum: &[u8], ct: &[u8]) -> Result<Vec<u8>, ApiError> {
        Ok(sum
            .chunks(8)
            .zip(ct.chunks(8))
            .flat_map(|(a, b)| {
                let a = u64::from_le_bytes(a.try_into().unwrap_or_default());
                let b = u64::from_le_bytes(b.try_into().unwrap_or_default());
                a.wrapping_add(b).to_le_bytes()
            })
            .collect())
    }
}

struct TestSigner;
impl AnnouncementSigner for TestSigner {
    fn sign(&self, a: &[u8]) -> Result<Vec<u8>, crate::error::PortError> {
        Ok(sha3(a).to_vec())
    }
}

struct TestDecryptor;
impl Decryptor for TestDecryptor {
    fn decrypt_aggregate(
        &self,
        r: &super::DecryptionRequest<'_>,
    ) -> Result<Vec<i64>, crate::error::PortError> {
        let (dim, sum) = (r.model_dim, r.aggregate);
        Ok(sum
            .chunks(8)
            .take(dim as usize)
            .map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect())
    }
}

pub(crate) fn coordinator(store: Store) -> Coordinator {
    coordinator_with(store, Box::new(TestDecryptor))
}

pub(crate) fn coordinator_with(store: Store, decryptor: Box<dyn Decryptor>) -> Coordinator {
    let facts = ServiceFacts {
        limits: crate::model::SetLimits::of("S").expect("S"),
        roster_size: 3,
        kem_key_sha3: [1; 32],
        bfv_public_key_sha3: [2; 32],
        committee: None,
    };
    Coordinator::new(
        store,
        Box::new(TestVerifier),
        Box::new(TestSum),
        Box::new(TestSigner),
        decryptor,
        facts,
    )
}

pub(crate) fn opened() -> Coordinator {
    opened_with(Box::new(TestDecryptor))
}

pub(crate) fn opened_with(decryptor: Box<dyn Decryptor>) -> Coordinator {
    let c = coordinator_with(Store::in_memory().expect("store"), decryptor);
    open_first_round(&c);
    c
}

/// Stores the two-parameter model (1, 2) and opens round 1 on it: τ = 5, S = 2, ten minutes.
pub(crate) fn open_first_round(c: &Coordinator) {
    c.put_model(&model::encode(&[1.0, 2.0])).expect("model");
    c.open_round(&OpenRound {
        norm_bound: 5.0,
        scale: 2.0,
        deadline_secs: 600,
        model_sha3: None,
        model: None,
    })
    .expect("open");
}
