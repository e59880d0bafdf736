//! Combination of decryption shares (docs/THRESHOLD.md §3): with present set P (|P| ≥ t), chunk j decrypts to
//! m_j = round(t·(c0_j + Σ_{h∈P} d_{h,j})/q) mod t. Each slot was used by exactly one present member, so the
//! shares sum to s_j·c1 + Σ E_h with at most n noise terms, the count `plan::design` budgets for.
//!
//! The combiner knows n and t and takes exactly one share from every member of P — holder ids in 1..=n,
//! authenticated by the channel, no repeats, none missing, none extra — before it touches the output
//! (review 7, gaps 7 and 8).

use super::aggregate::Aggregate;
use super::error::ThresholdError;
use super::slots::{Committee, Members, bit};
use crate::bfv::PlainModulus;
use crate::params::ParamSet;
use crate::ring::Poly;
use zeroize::Zeroize;

/// One member's shares of every chunk, as received over the channel (the sender authenticated as `member`).
#[derive(Clone, Copy, Debug)]
pub struct MemberShares<'a, P: ParamSet, const N: usize> {
    /// The sender, 1..=n.
    pub member: u8,
    /// The binding of the aggregate the shares are for (`Aggregate::binding`): catches a member answering a
    /// stale or different aggregate by mistake. A malicious member can copy the right value; only the share
    /// proof (docs/THRESHOLD.md §6) ties the shares themselves to the aggregate.
    pub aggregate: [u8; 32],
    /// d_{member,j} for j = 1..L.
    pub shares: &'a [Poly<P::M, N>],
}

/// Combination state of one committee.
pub struct Combiner<P: ParamSet, const N: usize> {
    plain: PlainModulus<P::M>,
    committee: Committee,
    phase: Poly<P::M, N>,
}

impl<P: ParamSet, const N: usize> core::fmt::Debug for Combiner<P, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Combiner")
            .field("committee", &self.committee)
            .finish_non_exhaustive()
    }
}

impl<P: ParamSet, const N: usize> Combiner<P, N> {
    /// A combiner for `committee` and plaintext modulus `plain`.
    #[must_use]
    pub fn new(plain: PlainModulus<P::M>, committee: Committee) -> Self {
        Self {
            plain,
            committee,
            phase: Poly::zero(),
        }
    }

    /// Err unless `received` holds exactly one share set from every member of `present`, L shares each.
    ///
    /// # Errors
    /// [`ThresholdError::MemberIndex`] for an id outside 1..=n, [`ThresholdError::Duplicate`] for a second set
    /// from one member, [`ThresholdError::ShareSetMismatch`] when the senders are not exactly `present`,
    /// [`ThresholdError::TooFewShares`] below t, [`ThresholdError::ChunkCount`].
    pub fn check(
        &self,
        present: Members,
        chunks: usize,
        received: &[MemberShares<'_, P, N>],
    ) -> Result<(), ThresholdError> {
        self.committee.check_present(present)?;
        self.check_senders(present, chunks, received)
    }

    /// Decrypts every chunk of `agg` from the present members' shares into `out` (exactly L).
    ///
    /// # Errors
    /// As [`Combiner::check`], and [`ThresholdError::WrongAggregate`] for a share set labelled with another
    /// aggregate; `out` is untouched then.
    pub fn decrypt(
        &mut self,
        agg: &Aggregate<'_, '_, P::M, N>,
        present: Members,
        received: &[MemberShares<'_, P, N>],
        out: &mut [[i64; N]],
    ) -> Result<(), ThresholdError> {
        self.check(present, agg.chunks(), received)?;
        let binding = agg.binding();
        if let Some(r) = received.iter().find(|r| r.aggregate != binding) {
            return Err(ThresholdError::WrongAggregate { member: r.member });
        }
        if out.len() != agg.chunks() {
            return Err(ThresholdError::ChunkCount {
                expected: agg.chunks(),
                got: out.len(),
            });
        }
        for (j, (c0, m)) in agg.c0().iter().zip(out.iter_mut()).enumerate() {
            self.phase.clone_from(c0);
            for r in received {
                self.phase.add_assign(&r.shares[j]);
            }
            self.plain.decode(&self.phase, m);
        }
        self.phase.zeroize();
        Ok(())
    }

    /// [`Combiner::decrypt`] after excluding the members `excluded` ⊆ P whose share proofs failed
    /// (docs/THRESHOLD.md §3.2.1) and leaving out the members `absent` ⊆ P that sent nothing and hold no slot
    /// under P (review 17 R17-4): `received` holds exactly one share set from every member of
    /// P \ (excluded ∪ absent), and `supplements` one supplementary set (x, shares) from every member that covers
    /// a slot of an excluded x (`share_relation::covers`: the lowest holder of the slot in P \ {x}; it may be an
    /// absent member, whose own share set would have been pure noise — review 18 R18-1), so every slot is counted
    /// exactly once. The caller verified every set's proofs (`share_proof::verify_answer_chunk`).
    ///
    /// # Errors
    /// As [`Combiner::decrypt`] for `received` against P \ (excluded ∪ absent);
    /// [`ThresholdError::ShareSetMismatch`] when an absent member holds a slot under P or is also excluded, or
    /// when the supplements' senders for some x are not exactly the members that cover its slots (a slot of x
    /// without another holder in P, or a helper that is itself excluded, makes the round need another present
    /// set); [`ThresholdError::Duplicate`] for a second supplement from one member for one x.
    #[allow(clippy::too_many_arguments)]
    pub fn decrypt_excluding(
        &mut self,
        agg: &Aggregate<'_, '_, P::M, N>,
        present: Members,
        excluded: Members,
        absent: Members,
        received: &[MemberShares<'_, P, N>],
        supplements: &[(u8, MemberShares<'_, P, N>)],
        out: &mut [[i64; N]],
    ) -> Result<(), ThresholdError> {
        self.committee.check_present(present)?;
        let c = self.committee;
        let holds_slot = |m: u8| (0..c.slots()).any(|u| c.assignee(present, u) == Some(m));
        let absent_ok = absent & !present == 0
            && absent & excluded == 0
            && c.member_numbers()
                .all(|m| absent & bit(m) == 0 || !holds_slot(m));
        if !absent_ok {
            return Err(ThresholdError::ShareSetMismatch {
                expected: present & !excluded,
                got: present & !excluded & !absent,
            });
        }
        let kept = present & !excluded & !absent;
        self.check_senders(kept, agg.chunks(), received)?;
        let binding = agg.binding();
        let all = received.iter().chain(supplements.iter().map(|(_, s)| s));
        if let Some(r) = all.clone().find(|r| r.aggregate != binding) {
            return Err(ThresholdError::WrongAggregate { member: r.member });
        }
        for x in c.member_numbers().filter(|&x| excluded & bit(x) != 0) {
            let mut need: Members = 0;
            for u in 0..c.slots() {
                if c.assignee(present, u) == Some(x) {
                    need |= c.assignee(present & !bit(x), u).map_or(0, bit);
                    if c.assignee(present & !bit(x), u)
                        .is_none_or(|y| excluded & bit(y) != 0)
                    {
                        return Err(ThresholdError::ShareSetMismatch {
                            expected: present,
                            got: kept,
                        });
                    }
                }
            }
            let mut got: Members = 0;
            for (_, s) in supplements.iter().filter(|(sx, _)| *sx == x) {
                if got & bit(s.member) != 0 {
                    return Err(ThresholdError::Duplicate { member: s.member });
                }
                if s.shares.len() != agg.chunks() {
                    return Err(ThresholdError::ChunkCount {
                        expected: agg.chunks(),
                        got: s.shares.len(),
                    });
                }
                got |= bit(s.member);
            }
            if got != need {
                return Err(ThresholdError::ShareSetMismatch {
                    expected: need,
                    got,
                });
            }
        }
        if supplements.iter().any(|(x, _)| excluded & bit(*x) == 0) {
            return Err(ThresholdError::ShareSetMismatch {
                expected: excluded,
                got: supplements.iter().fold(0, |m, (x, _)| m | bit(*x)),
            });
        }
        if out.len() != agg.chunks() {
            return Err(ThresholdError::ChunkCount {
                expected: agg.chunks(),
                got: out.len(),
            });
        }
        for (j, (c0, m)) in agg.c0().iter().zip(out.iter_mut()).enumerate() {
            self.phase.clone_from(c0);
            for r in all.clone() {
                self.phase.add_assign(&r.shares[j]);
            }
            self.plain.decode(&self.phase, m);
        }
        self.phase.zeroize();
        Ok(())
    }

    /// [`Combiner::check`] against the sender set `expected` (which may be below t after exclusions).
    fn check_senders(
        &self,
        expected: Members,
        chunks: usize,
        received: &[MemberShares<'_, P, N>],
    ) -> Result<(), ThresholdError> {
        let mut seen: Members = 0;
        for r in received {
            let b = bit(r.member) & self.committee.all();
            if b == 0 {
                return Err(ThresholdError::MemberIndex {
                    index: r.member as usize,
                    members: self.committee.members(),
                });
            }
            if seen & b != 0 {
                return Err(ThresholdError::Duplicate { member: r.member });
            }
            if r.shares.len() != chunks {
                return Err(ThresholdError::ChunkCount {
                    expected: chunks,
                    got: r.shares.len(),
                });
            }
            seen |= b;
        }
        if seen != expected {
            return Err(ThresholdError::ShareSetMismatch {
                expected,
                got: seen,
            });
        }
        Ok(())
    }
}
