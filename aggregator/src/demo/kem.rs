//! Configuration `kem`: plain FedAvg, but every update travels signed (ML-DSA-65) inside an ML-KEM-768 +
//! ChaCha20-Poly1305 envelope. Confidential and authenticated in transit, post-quantum — and still no defence
//! against a poisoned update, since the aggregator sees and averages plaintext.

use super::pipeline::{Decision, Pipeline, RoundOutcome, Submission, TimeSplit};
use super::transport::Channel;
use std::time::Instant;
use zkfl_learn::mean_update;

/// Parameter-set id written into plaintext-update submissions (no BFV set is involved).
const PLAINTEXT_PARAM_ID: u8 = 0;

/// FedAvg over the channel.
pub struct KemFedAvg {
    channel: Channel,
}

impl KemFedAvg {
    /// Keys for `clinics` clinics.
    pub fn new(clinics: usize, seed: u64) -> Result<Self, String> {
        Ok(Self {
            channel: Channel::new(clinics, PLAINTEXT_PARAM_ID, seed)?,
        })
    }
}

impl Pipeline for KemFedAvg {
    fn round(
        &mut self,
        round: usize,
        global: &[f32],
        submissions: &[Submission],
        status: &dyn Fn(&str),
    ) -> Result<RoundOutcome, String> {
        status(&format!("round {round}: sign and seal"));
        let t = Instant::now();
        let mut envelopes = Vec::with_capacity(submissions.len());
        for s in submissions {
            let bytes: Vec<u8> = s.update.iter().flat_map(|x| x.to_le_bytes()).collect();
            envelopes.push((s.clinic, self.channel.seal(s.clinic, round, &bytes, &[])?));
        }
        let encrypt = t.elapsed().as_secs_f64() / submissions.len().max(1) as f64;
        status(&format!("round {round}: open envelopes"));
        let t = Instant::now();
        let upload_bytes = envelopes.iter().map(|(_, e)| e.len() as u64).collect();
        let mut decisions = Vec::new();
        let mut updates = Vec::new();
        for (clinic, env) in envelopes {
            match self
                .channel
                .open(round, env)
                .and_then(|o| decode_f32(&o.ciphertext, global.len()))
            {
                Ok(u) => {
                    updates.push(u);
                    decisions.push(Decision {
                        clinic,
                        accepted: true,
                        reason: None,
                    });
                }
                Err(e) => decisions.push(Decision {
                    clinic,
                    accepted: false,
                    reason: Some(e),
                }),
            }
        }
        let verify = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let mean = mean_update(updates.iter().map(|u| &u[..]), global.len());
        Ok(RoundOutcome {
            mean_update: mean,
            decisions,
            time: TimeSplit {
                encrypt,
                verify,
                aggregate: t.elapsed().as_secs_f64(),
                ..TimeSplit::default()
            },
            upload_bytes,
            aggregate_exact: None,
            not_submitted: Vec::new(),
            committee: None,
        })
    }

    fn notes(&self) -> Vec<String> {
        vec![
            "ML-KEM-768 + ChaCha20-Poly1305 envelope, ML-DSA-65 signed submission, replay guard (zkfl_core::channel), in process".into(),
            "encrypt = sign + seal per clinic; verify = open + signature check for all clinics".into(),
        ]
    }
}

fn decode_f32(bytes: &[u8], len: usize) -> Result<Vec<f32>, String> {
    let (chunks, rest) = bytes.as_chunks::<4>();
    if !rest.is_empty() || chunks.len() != len {
        return Err(format!(
            "malformed update: {} bytes for {len} parameters",
            bytes.len()
        ));
    }
    Ok(chunks.iter().map(|c| f32::from_le_bytes(*c)).collect())
}
