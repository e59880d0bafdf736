//! Identifiers carried in every envelope header and signed digest (docs/CHANNEL.md §1).

//!
//! These two types are the only definition of a round number and a clinic number in the workspace: the
//! aggregator's store, HTTP API and command line use them too. With the `serde` feature they serialize as the
//! bare number (`#[serde(transparent)]`), so JSON carrying them is the same as with a plain integer; `Display`
//! prints the bare number, as file names and log lines have always shown it.

use core::fmt;

/// Training round number, as opened by the aggregator's signed round announcement (rounds start at 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct RoundId(pub u64);

/// Registered clinic number, the key of the consortium roster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub struct ClinicId(pub u32);

impl RoundId {
    /// The round after this one; `None` past `u64::MAX`.
    #[must_use]
    pub const fn next(self) -> Option<Self> {
        match self.0.checked_add(1) {
            Some(n) => Some(Self(n)),
            None => None,
        }
    }

    /// The round before this one; `None` for round 0.
    #[must_use]
    pub const fn prev(self) -> Option<Self> {
        match self.0.checked_sub(1) {
            Some(n) => Some(Self(n)),
            None => None,
        }
    }
}

impl fmt::Display for RoundId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Display for ClinicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl core::str::FromStr for RoundId {
    type Err = core::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

impl core::str::FromStr for ClinicId {
    type Err = core::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

/// Who sends an envelope to whom. Part of the header, the KDF label and the replay key, so an envelope
/// cannot be reflected back to its sender or replayed in the other direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// A clinic's submission to the aggregator; the header's clinic id names the sender.
    ClinicToAggregator,
    /// An aggregator message to one clinic; the header's clinic id names the recipient.
    AggregatorToClinic,
    /// A committee dealer's part seeds to one holder, relayed by the aggregator, which cannot open it
    /// (docs/THRESHOLD.md §15.2): the header's clinic id names the holder (member index), the round field the
    /// key epoch and the sequence the dealer.
    DealerToHolder,
}

impl Direction {
    /// Wire byte of this direction.
    #[must_use]
    pub const fn to_byte(self) -> u8 {
        match self {
            Self::ClinicToAggregator => 1,
            Self::AggregatorToClinic => 2,
            Self::DealerToHolder => 3,
        }
    }

    /// Parses a wire byte; `None` for any value other than 1, 2 or 3.
    #[must_use]
    pub const fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            1 => Some(Self::ClinicToAggregator),
            2 => Some(Self::AggregatorToClinic),
            3 => Some(Self::DealerToHolder),
            _ => None,
        }
    }

    /// KDF label of this direction (docs/CHANNEL.md §3).
    #[must_use]
    pub(crate) const fn kdf_label(self) -> &'static [u8] {
        match self {
            Self::ClinicToAggregator => b"clinic->aggregator",
            Self::AggregatorToClinic => b"aggregator->clinic",
            Self::DealerToHolder => b"dealer->holder",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_bytes_round_trip_and_reject_others() {
        for d in [
            Direction::ClinicToAggregator,
            Direction::AggregatorToClinic,
            Direction::DealerToHolder,
        ] {
            assert_eq!(Direction::from_byte(d.to_byte()), Some(d));
        }
        for b in [0u8, 4, 0x81, 0xff] {
            assert_eq!(Direction::from_byte(b), None);
        }
        assert_ne!(
            Direction::ClinicToAggregator.kdf_label(),
            Direction::AggregatorToClinic.kdf_label()
        );
        assert_ne!(
            Direction::DealerToHolder.kdf_label(),
            Direction::AggregatorToClinic.kdf_label()
        );
    }
}
