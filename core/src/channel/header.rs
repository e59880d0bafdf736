//! Envelope header: fixed 32-byte layout (docs/CHANNEL.md §4). Authenticated as AEAD associated data and
//! absorbed by the KDF, so changing any field makes the envelope fail to open.

use super::error::{ChannelError, expect_len};
use super::ids::{ClinicId, Direction, RoundId};

/// Envelope format version written by this code.
pub const ENVELOPE_VERSION: u8 = 1;
/// Length of the encoded header.
pub const HEADER_LEN: usize = 32;

/// Decoded envelope header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvelopeHeader {
    /// KEM id (`ChannelKem::ID`) of the recipient's key.
    pub kem_id: u8,
    /// Direction of travel.
    pub direction: Direction,
    /// Round the envelope belongs to.
    pub round: RoundId,
    /// Sender clinic (clinic → aggregator) or recipient clinic (aggregator → clinic).
    pub clinic: ClinicId,
    /// Sender's sequence number: strictly increasing per (direction, clinic, round) (replay guard key).
    pub sequence: u64,
    /// Length of the encrypted payload in bytes.
    pub payload_len: u64,
}

impl EnvelopeHeader {
    /// Encodes the header (offsets in docs/CHANNEL.md §4).
    #[must_use]
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0] = ENVELOPE_VERSION;
        out[1] = self.kem_id;
        out[2] = self.direction.to_byte();
        // out[3] reserved, zero.
        out[4..8].copy_from_slice(&self.clinic.0.to_le_bytes());
        out[8..16].copy_from_slice(&self.round.0.to_le_bytes());
        out[16..24].copy_from_slice(&self.sequence.to_le_bytes());
        out[24..32].copy_from_slice(&self.payload_len.to_le_bytes());
        out
    }

    /// Decodes exactly [`HEADER_LEN`] bytes. Checks the version, direction and reserved byte; the caller
    /// checks the KEM id, round and direction against what it expects.
    ///
    /// # Errors
    /// `Truncated`/`Oversized`, `UnsupportedVersion`, `UnknownDirection`, `ReservedNonZero`.
    pub fn decode(bytes: &[u8]) -> Result<Self, ChannelError> {
        expect_len(HEADER_LEN, bytes.len())?;
        let mut b = [0u8; HEADER_LEN];
        b.copy_from_slice(bytes);
        if b[0] != ENVELOPE_VERSION {
            return Err(ChannelError::UnsupportedVersion(b[0]));
        }
        let direction = Direction::from_byte(b[2]).ok_or(ChannelError::UnknownDirection(b[2]))?;
        if b[3] != 0 {
            return Err(ChannelError::ReservedNonZero);
        }
        Ok(Self {
            kem_id: b[1],
            direction,
            clinic: ClinicId(u32::from_le_bytes([b[4], b[5], b[6], b[7]])),
            round: RoundId(u64_at(&b, 8)),
            sequence: u64_at(&b, 16),
            payload_len: u64_at(&b, 24),
        })
    }
}

/// Little-endian u64 at a constant offset inside the fixed header array.
fn u64_at(b: &[u8; HEADER_LEN], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> EnvelopeHeader {
        EnvelopeHeader {
            kem_id: 1,
            direction: Direction::ClinicToAggregator,
            round: RoundId(0x0102_0304_0506_0708),
            clinic: ClinicId(0xA1B2_C3D4),
            sequence: 42,
            payload_len: 1_500_000,
        }
    }

    #[test]
    fn offsets_match_the_documented_layout() {
        let b = sample().encode();
        assert_eq!(b[0], 1);
        assert_eq!(b[1], 1);
        assert_eq!(b[2], 1);
        assert_eq!(b[3], 0);
        assert_eq!(&b[4..8], &[0xD4, 0xC3, 0xB2, 0xA1]);
        assert_eq!(&b[8..16], &[8, 7, 6, 5, 4, 3, 2, 1]);
        assert_eq!(&b[16..24], &42u64.to_le_bytes());
        assert_eq!(&b[24..32], &1_500_000u64.to_le_bytes());
    }

    #[test]
    fn malformed_headers_are_typed_errors() {
        let good = sample().encode();
        let mut b = good;
        b[0] = 2;
        assert_eq!(
            EnvelopeHeader::decode(&b),
            Err(ChannelError::UnsupportedVersion(2))
        );
        let mut b = good;
        b[2] = 9;
        assert_eq!(
            EnvelopeHeader::decode(&b),
            Err(ChannelError::UnknownDirection(9))
        );
        let mut b = good;
        b[3] = 1;
        assert_eq!(
            EnvelopeHeader::decode(&b),
            Err(ChannelError::ReservedNonZero)
        );
        assert_eq!(
            EnvelopeHeader::decode(&good[..31]),
            Err(ChannelError::Truncated {
                needed: 32,
                got: 31
            })
        );
    }

    proptest! {
        #[test]
        fn encode_decode_round_trip(kem in any::<u8>(), dir in 1u8..=2, round in any::<u64>(),
                                    clinic in any::<u32>(), seq in any::<u64>(), len in any::<u64>()) {
            let h = EnvelopeHeader {
                kem_id: kem,
                direction: Direction::from_byte(dir).unwrap(),
                round: RoundId(round),
                clinic: ClinicId(clinic),
                sequence: seq,
                payload_len: len,
            };
            prop_assert_eq!(EnvelopeHeader::decode(&h.encode()), Ok(h));
        }
    }
}
