//! The post-quantum channel between the demo's clinics and its aggregator (zkfl_core::channel,
//! docs/CHANNEL.md): every clinic has an ML-DSA-65 identity registered in the roster, every submission is
//! signed and sealed in an ML-KEM-768 + ChaCha20-Poly1305 envelope to the aggregator, and the aggregator
//! opens it with the replay guard and the roster. Real primitives, in process (no HTTP hop).

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_core::channel::{
    ClinicId, KemSecretKey, MemoryReplayGuard, MlKem768, Roster, RoundId, SigningKey,
    SubmissionFields, SubmissionPolicy, open_submission, seal_submission_to_vec,
};

/// Most clinics the in-memory roster holds.
pub const MAX_CLINICS: usize = 64;

/// Keys and state of both ends of the channel.
pub struct Channel {
    kem: KemSecretKey<MlKem768>,
    identities: Vec<SigningKey>,
    roster: Box<Roster<MAX_CLINICS>>,
    guard: Box<MemoryReplayGuard<MAX_CLINICS>>,
    param_id: u8,
    rng: ChaCha20Rng,
}

/// What the aggregator gets out of an opened envelope.
pub struct Opened {
    /// Clinic whose signature verified.
    pub clinic: usize,
    /// The ciphertext field.
    pub ciphertext: Vec<u8>,
    /// The proof field.
    pub proof: Vec<u8>,
}

impl Channel {
    /// Generates the aggregator's KEM key and one identity per clinic, and registers them.
    pub fn new(clinics: usize, param_id: u8, seed: u64) -> Result<Self, String> {
        if clinics > MAX_CLINICS {
            return Err(format!(
                "the demo's roster holds at most {MAX_CLINICS} clinics"
            ));
        }
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let kem = KemSecretKey::<MlKem768>::generate(&mut rng);
        let identities: Vec<SigningKey> = (0..clinics)
            .map(|_| SigningKey::generate(&mut rng))
            .collect();
        let mut roster = Box::new(Roster::<MAX_CLINICS>::new());
        for (i, id) in identities.iter().enumerate() {
            roster
                .register(ClinicId(i as u32 + 1), id.verifying_key())
                .map_err(|e| format!("roster: {e}"))?;
        }
        Ok(Self {
            kem,
            identities,
            roster,
            guard: Box::new(MemoryReplayGuard::new()),
            param_id,
            rng,
        })
    }

    /// Clinic side: signs (clinic, round, parameter set, ciphertext, proof) and seals it to the aggregator.
    pub fn seal(
        &mut self,
        clinic: usize,
        round: usize,
        ciphertext: &[u8],
        proof: &[u8],
    ) -> Result<Vec<u8>, String> {
        let key = self
            .identities
            .get(clinic.wrapping_sub(1))
            .ok_or_else(|| format!("clinic {clinic} has no identity"))?;
        let fields = SubmissionFields {
            param_id: self.param_id,
            round: RoundId(round as u64),
            clinic: ClinicId(clinic as u32),
        };
        seal_submission_to_vec(
            self.kem.public_key(),
            &fields,
            1,
            ciphertext,
            proof,
            key,
            &mut self.rng,
        )
        .map_err(|e| format!("seal: {e}"))
    }

    /// Aggregator side: opens, authenticates and signature-checks an envelope for `round`.
    pub fn open(&mut self, round: usize, mut envelope: Vec<u8>) -> Result<Opened, String> {
        let policy = SubmissionPolicy {
            param_id: self.param_id,
            round: RoundId(round as u64),
            max_submission_len: 16 << 20,
        };
        let v = open_submission(
            &self.kem,
            &policy,
            &*self.roster,
            &mut *self.guard,
            &mut envelope,
        )
        .map_err(|e| format!("envelope rejected: {e}"))?;
        Ok(Opened {
            clinic: v.fields.clinic.0 as usize,
            ciphertext: v.ciphertext.to_vec(),
            proof: v.proof.to_vec(),
        })
    }
}
