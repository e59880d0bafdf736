//! The round's terms as a host hands them to a clinic device (the firmware example, docs/FIRMWARE.md): the
//! facts of the verified round announcement the pipeline needs, the clinic id and the submission sequence
//! number, in one fixed-size record. The host checks the announcement's ML-DSA-65 signature before writing
//! it; the device re-checks everything that follows from the terms (B_int from τ and the scale, t, the hash
//! of the served key).
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 8 | round (u64 LE) |
//! | 8 | 4 | clinic id (u32 LE) |
//! | 12 | 4 | model dimension P (u32 LE) |
//! | 16 | 8 | clip bound τ (f64 LE) |
//! | 24 | 8 | scale S (f64 LE) |
//! | 32 | 8 | B_int (u64 LE) |
//! | 40 | 8 | plaintext modulus t (u64 LE) |
//! | 48 | 8 | submission sequence number (u64 LE) |
//! | 56 | 32 | SHA3-256 of the served BFV public key |

/// Encoded length.
pub const TERMS_BYTES: usize = 88;

/// The device's round terms.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceTerms {
    /// Round number.
    pub round: u64,
    /// This clinic's id.
    pub clinic: u32,
    /// Number of model parameters P.
    pub model_dim: u32,
    /// Clip bound τ.
    pub norm_bound: f64,
    /// Quantization scale S.
    pub scale: f64,
    /// Proven integer bound B_int.
    pub b_int: u64,
    /// BFV plaintext modulus t.
    pub t: u64,
    /// Submission sequence number (the envelope's replay counter).
    pub sequence: u64,
    /// SHA3-256 of the served BFV public key.
    pub bfv_public_key_sha3: [u8; 32],
}

fn field<const W: usize>(b: &[u8; TERMS_BYTES], at: usize) -> [u8; W] {
    let mut o = [0u8; W];
    o.copy_from_slice(&b[at..at + W]);
    o
}

impl DeviceTerms {
    /// The fixed-size encoding.
    #[must_use]
    pub fn encode(&self) -> [u8; TERMS_BYTES] {
        let mut b = [0u8; TERMS_BYTES];
        b[0..8].copy_from_slice(&self.round.to_le_bytes());
        b[8..12].copy_from_slice(&self.clinic.to_le_bytes());
        b[12..16].copy_from_slice(&self.model_dim.to_le_bytes());
        b[16..24].copy_from_slice(&self.norm_bound.to_le_bytes());
        b[24..32].copy_from_slice(&self.scale.to_le_bytes());
        b[32..40].copy_from_slice(&self.b_int.to_le_bytes());
        b[40..48].copy_from_slice(&self.t.to_le_bytes());
        b[48..56].copy_from_slice(&self.sequence.to_le_bytes());
        b[56..88].copy_from_slice(&self.bfv_public_key_sha3);
        b
    }

    /// Decodes the record (every bit pattern is a record; the pipeline checks the values).
    #[must_use]
    pub fn decode(b: &[u8; TERMS_BYTES]) -> Self {
        Self {
            round: u64::from_le_bytes(field(b, 0)),
            clinic: u32::from_le_bytes(field(b, 8)),
            model_dim: u32::from_le_bytes(field(b, 12)),
            norm_bound: f64::from_le_bytes(field(b, 16)),
            scale: f64::from_le_bytes(field(b, 24)),
            b_int: u64::from_le_bytes(field(b, 32)),
            t: u64::from_le_bytes(field(b, 40)),
            sequence: u64::from_le_bytes(field(b, 48)),
            bfv_public_key_sha3: field(b, 56),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_round_trip_and_sit_at_their_offsets() {
        let t = DeviceTerms {
            round: 7,
            clinic: 3,
            model_dim: 108_996,
            norm_bound: 2.5,
            scale: 1024.0,
            b_int: 2561,
            t: 65_537,
            sequence: 9,
            bfv_public_key_sha3: [0xAB; 32],
        };
        let b = t.encode();
        assert_eq!(DeviceTerms::decode(&b), t);
        assert_eq!(b[8], 3);
        assert_eq!(&b[12..16], &108_996u32.to_le_bytes());
        assert_eq!(&b[16..24], &2.5f64.to_le_bytes());
        assert_eq!(b[48], 9);
        assert_eq!(b[87], 0xAB);
    }
}
