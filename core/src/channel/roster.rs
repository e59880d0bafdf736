//! The consortium roster: registered clinic ids and their ML-DSA-65 verifying keys (docs/CHANNEL.md §5).

use heapless::Vec;

use super::error::ChannelError;
use super::identity::VerifyingKey;
use super::ids::ClinicId;

/// Looks up a registered clinic's verifying key. The aggregator implements it over its database; [`Roster`]
/// is the in-memory version.
pub trait ClinicRoster {
    /// The registered key of `clinic`, or `None` if the clinic is not registered.
    fn verifying_key(&self, clinic: ClinicId) -> Option<VerifyingKey>;
}

/// Up to `N` registered clinics, no heap.
#[derive(Clone, Debug, Default)]
pub struct Roster<const N: usize> {
    entries: Vec<(ClinicId, VerifyingKey), N>,
}

impl<const N: usize> Roster<N> {
    /// An empty roster.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Registers a clinic. A clinic id is registered once, and a key belongs to one clinic only (otherwise
    /// one key could submit as two clinics).
    ///
    /// # Errors
    /// `DuplicateClinic`, `DuplicateKey` (carrying the clinic that already holds the key), `RosterFull`.
    pub fn register(&mut self, clinic: ClinicId, key: VerifyingKey) -> Result<(), ChannelError> {
        for (id, k) in &self.entries {
            if *id == clinic {
                return Err(ChannelError::DuplicateClinic(clinic));
            }
            if *k == key {
                return Err(ChannelError::DuplicateKey(*id));
            }
        }
        self.entries
            .push((clinic, key))
            .map_err(|_| ChannelError::RosterFull)
    }

    /// Number of registered clinics.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no clinic is registered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Registered clinics in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &(ClinicId, VerifyingKey)> {
        self.entries.iter()
    }
}

impl<const N: usize> ClinicRoster for Roster<N> {
    fn verifying_key(&self, clinic: ClinicId) -> Option<VerifyingKey> {
        self.entries
            .iter()
            .find(|(id, _)| *id == clinic)
            .map(|(_, k)| k.clone())
    }
}

/// A plain list of registrations (e.g. loaded from the aggregator's database) is a roster too. Duplicate
/// detection is the caller's job for this form; the first entry for a clinic id wins.
impl ClinicRoster for [(ClinicId, VerifyingKey)] {
    fn verifying_key(&self, clinic: ClinicId) -> Option<VerifyingKey> {
        self.iter()
            .find(|(id, _)| *id == clinic)
            .map(|(_, k)| k.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::identity::SigningKey;

    #[test]
    fn registration_rules() {
        let k1 = SigningKey::from_seed(&[1; 32]).verifying_key();
        let k2 = SigningKey::from_seed(&[2; 32]).verifying_key();
        let mut r = Roster::<2>::new();
        r.register(ClinicId(1), k1.clone()).unwrap();
        assert_eq!(
            r.register(ClinicId(1), k2.clone()),
            Err(ChannelError::DuplicateClinic(ClinicId(1)))
        );
        assert_eq!(
            r.register(ClinicId(2), k1.clone()),
            Err(ChannelError::DuplicateKey(ClinicId(1)))
        );
        r.register(ClinicId(2), k2.clone()).unwrap();
        let k3 = SigningKey::from_seed(&[3; 32]).verifying_key();
        assert_eq!(r.register(ClinicId(3), k3), Err(ChannelError::RosterFull));
        assert_eq!(r.verifying_key(ClinicId(2)), Some(k2));
        assert_eq!(r.verifying_key(ClinicId(9)), None);
        assert_eq!(r.len(), 2);
        let list = [(ClinicId(7), k1.clone())];
        assert_eq!(list[..].verifying_key(ClinicId(7)), Some(k1));
        assert_eq!(list[..].verifying_key(ClinicId(1)), None);
    }
}
