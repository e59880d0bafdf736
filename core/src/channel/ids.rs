//! Identifiers carried in every envelope header and signed digest (docs/CHANNEL.md §1).

/// Training round number, as opened by the aggregator's signed round announcement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RoundId(pub u64);

/// Registered clinic number, the key of the consortium roster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClinicId(pub u32);

/// Who sends an envelope to whom. Part of the header, the KDF label and the replay key, so an envelope
/// cannot be reflected back to its sender or replayed in the other direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// A clinic's submission to the aggregator; the header's clinic id names the sender.
    ClinicToAggregator,
    /// An aggregator message to one clinic; the header's clinic id names the recipient.
    AggregatorToClinic,
}

impl Direction {
    /// Wire byte of this direction.
    #[must_use]
    pub const fn to_byte(self) -> u8 {
        match self {
            Self::ClinicToAggregator => 1,
            Self::AggregatorToClinic => 2,
        }
    }

    /// Parses a wire byte; `None` for any value other than 1 or 2.
    #[must_use]
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::ClinicToAggregator),
            2 => Some(Self::AggregatorToClinic),
            _ => None,
        }
    }

    /// KDF label of this direction (docs/CHANNEL.md §3).
    #[must_use]
    pub(crate) const fn kdf_label(self) -> &'static [u8] {
        match self {
            Self::ClinicToAggregator => b"clinic->aggregator",
            Self::AggregatorToClinic => b"aggregator->clinic",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_bytes_round_trip_and_reject_others() {
        for d in [Direction::ClinicToAggregator, Direction::AggregatorToClinic] {
            assert_eq!(Direction::from_byte(d.to_byte()), Some(d));
        }
        for b in [0u8, 3, 0x81, 0xff] {
            assert_eq!(Direction::from_byte(b), None);
        }
        assert_ne!(
            Direction::ClinicToAggregator.kdf_label(),
            Direction::AggregatorToClinic.kdf_label()
        );
    }
}
