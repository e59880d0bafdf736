//! Replicated secret sharing, the {0,1}-linear t-of-n scheme of docs/THRESHOLD.md §2: the committee secret is
//! a sum of one short part per *slot*, a slot being a set U of t − 1 members (a maximal set that must learn
//! nothing); the part of slot U is held by every member outside U. Any t members hold every slot (no t − 1
//! members cover all t of them), any t − 1 members miss the slot that equals their own set.
//!
//! Why not Shamir over Z_q (§2.3): Lagrange coefficients are rationals; an honest holder's message then carries
//! its key material with a rational weight p/r and leaks it modulo r (`plan::shamir_weight`). Here every
//! reconstruction coefficient is 0 or 1.
//!
//! Members are 1..=n; a set of members is a bit mask (bit i − 1 for member i). Slots are the masks of weight
//! t − 1 in increasing order; a slot's index is its rank in that order.

use super::error::ThresholdError;
use super::plan::MAX_MEMBERS;
use crate::arith::cast::{fit_u8, fit_u32, fit_usize};

/// A set of members as a bit mask (bit i − 1 for member i).
pub type Members = u32;

/// The committee shape: n members, threshold t, and its slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committee {
    members: u32,
    threshold: u32,
    slots: usize,
}

/// C(n, k) in u64 (n ≤ 64).
#[must_use]
#[allow(
    clippy::integer_division_remainder_used,
    reason = "exact division by the public i + 1: r·(n − i) is (i + 1)·C(n, i + 1)"
)]
pub const fn binomial(n: u32, k: u32) -> u64 {
    if k > n {
        return 0;
    }
    let mut r = 1u64;
    let mut i = 0;
    while i < k {
        r = r * (n - i) as u64 / (i + 1) as u64;
        i += 1;
    }
    r
}

impl Committee {
    /// A committee of `members` with threshold `threshold`.
    ///
    /// # Errors
    /// [`ThresholdError::Plan`] (`PlanError::Committee`) unless 2 ≤ n ≤ [`MAX_MEMBERS`], 1 ≤ t ≤ n and
    /// C(n, t − 1) ≤ [`MAX_SLOTS`].
    pub fn new(members: u32, threshold: u32) -> Result<Self, ThresholdError> {
        super::plan::check_committee(members, threshold)?;
        Ok(Self {
            members,
            threshold,
            // C(n, t − 1) ≤ MAX_SLOTS, checked above.
            slots: fit_usize(binomial(members, threshold - 1)),
        })
    }

    /// n.
    #[must_use]
    pub fn members(&self) -> u32 {
        self.members
    }

    /// The member numbers 1..=n (n ≤ [`MAX_MEMBERS`] = 16, so each is a byte).
    pub fn member_numbers(&self) -> impl Iterator<Item = u8> + use<> {
        1..=fit_u8(u64::from(self.members))
    }

    /// t.
    #[must_use]
    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// C(n, t − 1), the number of slots.
    #[must_use]
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// Every member.
    #[must_use]
    pub fn all(&self) -> Members {
        if self.members == 32 {
            u32::MAX
        } else {
            (1u32 << self.members) - 1
        }
    }

    /// The members of slot `index` (a set of t − 1 members). Panics never: out-of-range indices give 0.
    #[must_use]
    pub fn slot(&self, index: usize) -> Members {
        let mut mask: u64 = (1u64 << (self.threshold - 1)) - 1;
        let end = 1u64 << self.members;
        let mut i = 0;
        while mask < end {
            if i == index {
                // mask < 2^n ≤ 2^MAX_MEMBERS.
                return fit_u32(mask);
            }
            i += 1;
            if mask == 0 {
                break;
            }
            // Next mask of the same weight (Gosper).
            let low = mask & mask.wrapping_neg();
            let ripple = mask + low;
            // low is a power of two: dividing by it is a shift.
            mask = (((ripple ^ mask) >> 2) >> low.trailing_zeros()) | ripple;
        }
        0
    }

    /// Whether `member` (1-based) holds slot `index`: it is not in the slot's set.
    #[must_use]
    pub fn holds(&self, member: u8, index: usize) -> bool {
        (1..=self.members).contains(&u32::from(member)) && self.slot(index) & bit(member) == 0
    }

    /// Err unless `present` is a set of at least t members of this committee.
    ///
    /// # Errors
    /// [`ThresholdError::MemberIndex`] for a member outside 1..=n, [`ThresholdError::TooFewShares`] with
    /// fewer than t.
    pub fn check_present(&self, present: Members) -> Result<(), ThresholdError> {
        if present & !self.all() != 0 {
            return Err(ThresholdError::MemberIndex {
                index: present.trailing_zeros() as usize,
                members: self.members,
            });
        }
        if present.count_ones() < self.threshold {
            return Err(ThresholdError::TooFewShares {
                have: present.count_ones(),
                need: self.threshold,
            });
        }
        Ok(())
    }

    /// Who decrypts slot `index` when `present` members take part: the lowest present member outside the
    /// slot (one exists: |present| ≥ t > t − 1 = |slot|). Every member computes the same assignment from the
    /// same present set, so each slot is used exactly once per decryption.
    #[must_use]
    pub fn assignee(&self, present: Members, index: usize) -> Option<u8> {
        let free = present & !self.slot(index) & self.all();
        // free ≠ 0 is a u32 mask: its lowest member is at most 32.
        (free != 0).then(|| fit_u8(u64::from(free.trailing_zeros() + 1)))
    }
}

/// The bit of member `member` (1-based) in a [`Members`] mask (0 for 0 or > 32).
#[must_use]
pub fn bit(member: u8) -> Members {
    if (1..=MAX_MEMBERS).contains(&u32::from(member)) {
        1 << (member - 1)
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_of_3_of_5() {
        let c = Committee::new(5, 3).unwrap();
        assert_eq!(c.slots(), 10);
        let mut seen = 0u64;
        for u in 0..c.slots() {
            let s = c.slot(u);
            assert_eq!(s.count_ones(), 2);
            assert_eq!(seen & (1 << s), 0, "slot {u} repeated");
            seen |= 1 << s;
            // Holders: exactly n − t + 1 = 3.
            assert_eq!((1..=5u8).filter(|&m| c.holds(m, u)).count(), 3);
        }
        assert_eq!(c.slot(10), 0);
        assert!(!c.holds(0, 0) && !c.holds(6, 0));
    }

    #[test]
    fn any_t_cover_every_slot_and_t_minus_1_miss_one() {
        let c = Committee::new(5, 3).unwrap();
        for present in 0u32..32 {
            let covered = (0..c.slots()).all(|u| c.assignee(present, u).is_some());
            assert_eq!(covered, present.count_ones() >= 3, "present {present:#b}");
            if present.count_ones() >= 3 {
                for u in 0..c.slots() {
                    let h = c.assignee(present, u).unwrap();
                    assert!(present & bit(h) != 0 && c.holds(h, u));
                }
            } else {
                // The slot equal to (a superset of) the coalition is held by nobody in it.
                assert!((0..c.slots()).any(|u| present & !c.slot(u) == 0));
            }
        }
    }

    #[test]
    fn shapes_are_checked() {
        assert!(Committee::new(5, 3).is_ok());
        assert!(Committee::new(1, 1).is_err());
        assert!(Committee::new(5, 6).is_err());
        assert!(Committee::new(17, 9).is_err());
        let c = Committee::new(5, 3).unwrap();
        assert!(c.check_present(0b00111).is_ok());
        assert_eq!(
            c.check_present(0b00011),
            Err(ThresholdError::TooFewShares { have: 2, need: 3 })
        );
        assert!(matches!(
            c.check_present(0b100111),
            Err(ThresholdError::MemberIndex { .. })
        ));
        assert_eq!(binomial(5, 2), 10);
        assert_eq!(binomial(4, 2), 6);
        assert_eq!(binomial(3, 5), 0);
    }
}
