//! Replay guard (docs/CHANNEL.md §6): every accepted envelope advances a per-sender high-water mark
//! `(round, sequence)`; an envelope at or below the mark is a duplicate or stale.
//!
//! Checking is split from recording so a forged or mauled envelope never changes the guard: openers call
//! [`ReplayGuard::check`] before any expensive work and [`ReplayGuard::record`] only after the envelope has
//! been authenticated and its content accepted. The aggregator implements the trait over SQLite.

use heapless::Vec;

use super::error::ReplayError;
use super::ids::{ClinicId, Direction, RoundId};

/// What the guard remembers about one envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayKey {
    /// Direction of travel.
    pub direction: Direction,
    /// Clinic named in the header.
    pub clinic: ClinicId,
    /// Round named in the header.
    pub round: RoundId,
    /// Sender's sequence number.
    pub sequence: u64,
}

impl ReplayKey {
    fn position(&self) -> (RoundId, u64) {
        (self.round, self.sequence)
    }
}

/// Detects duplicate and stale envelopes.
pub trait ReplayGuard {
    /// Whether `key` would be accepted now. Must not change any state.
    ///
    /// # Errors
    /// `Duplicate`, `Stale`, `Full` or `Unavailable`.
    fn check(&self, key: &ReplayKey) -> Result<(), ReplayError>;

    /// Atomically re-checks `key` and records it. Called only for authenticated, accepted envelopes.
    ///
    /// # Errors
    /// As [`ReplayGuard::check`]; on error nothing is recorded.
    fn record(&mut self, key: &ReplayKey) -> Result<(), ReplayError>;
}

/// Compares a new position with the sender's high-water mark.
fn compare(mark: (RoundId, u64), new: (RoundId, u64)) -> Result<(), ReplayError> {
    match new.cmp(&mark) {
        core::cmp::Ordering::Greater => Ok(()),
        core::cmp::Ordering::Equal => Err(ReplayError::Duplicate),
        core::cmp::Ordering::Less => Err(ReplayError::Stale),
    }
}

/// In-memory guard for up to `N` senders (per direction), no heap. Lookup is a linear scan: `N` is the
/// clinic count (≤ 1,024) and the keys are public, so a scan is both fast enough and side-channel free of
/// concern.
#[derive(Clone, Debug, Default)]
pub struct MemoryReplayGuard<const N: usize> {
    marks: Vec<ReplayKey, N>,
}

impl<const N: usize> MemoryReplayGuard<N> {
    /// An empty guard.
    #[must_use]
    pub const fn new() -> Self {
        Self { marks: Vec::new() }
    }

    /// Number of senders tracked.
    #[must_use]
    pub fn len(&self) -> usize {
        self.marks.len()
    }

    /// Whether no sender is tracked yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.marks.is_empty()
    }

    fn find(&self, key: &ReplayKey) -> Option<usize> {
        self.marks
            .iter()
            .position(|m| m.direction == key.direction && m.clinic == key.clinic)
    }
}

impl<const N: usize> ReplayGuard for MemoryReplayGuard<N> {
    fn check(&self, key: &ReplayKey) -> Result<(), ReplayError> {
        match self.find(key) {
            Some(i) => compare(self.marks[i].position(), key.position()),
            None if self.marks.is_full() => Err(ReplayError::Full),
            None => Ok(()),
        }
    }

    fn record(&mut self, key: &ReplayKey) -> Result<(), ReplayError> {
        self.check(key)?;
        match self.find(key) {
            Some(i) => self.marks[i] = *key,
            None => self.marks.push(*key).map_err(|_| ReplayError::Full)?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(clinic: u32, round: u64, sequence: u64) -> ReplayKey {
        ReplayKey {
            direction: Direction::ClinicToAggregator,
            clinic: ClinicId(clinic),
            round: RoundId(round),
            sequence,
        }
    }

    #[test]
    fn duplicates_and_stale_are_refused_and_nothing_changes() {
        let mut g = MemoryReplayGuard::<4>::new();
        g.record(&key(1, 5, 0)).unwrap();
        assert_eq!(g.check(&key(1, 5, 0)), Err(ReplayError::Duplicate));
        assert_eq!(g.record(&key(1, 5, 0)), Err(ReplayError::Duplicate));
        assert_eq!(g.check(&key(1, 4, 9)), Err(ReplayError::Stale));
        g.record(&key(1, 5, 1)).unwrap();
        assert_eq!(g.record(&key(1, 5, 0)), Err(ReplayError::Stale));
        g.record(&key(1, 6, 0)).unwrap();
        // Other clinics and the other direction are independent.
        g.record(&key(2, 5, 0)).unwrap();
        let mut other = key(1, 6, 0);
        other.direction = Direction::AggregatorToClinic;
        g.record(&other).unwrap();
        assert_eq!(g.len(), 3);
    }

    #[test]
    fn full_guard_refuses_new_senders_but_serves_known_ones() {
        let mut g = MemoryReplayGuard::<1>::new();
        g.record(&key(1, 1, 0)).unwrap();
        assert_eq!(g.check(&key(2, 1, 0)), Err(ReplayError::Full));
        assert_eq!(g.record(&key(2, 1, 0)), Err(ReplayError::Full));
        g.record(&key(1, 1, 1)).unwrap();
        assert_eq!(g.len(), 1);
    }
}
