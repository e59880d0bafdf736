//! What the relay remembers about members between rounds, to choose present sets (docs/THRESHOLD.md §16.4,
//! §22–§24): members whose own signed answers failed, and members that left a round undecryptable without such
//! evidence. It is scheduling, not blame: nothing here is published as an exclusion, and a member is only moved
//! behind the others, never refused — when fewer than t others can answer it still makes up the present set.
//!
//! Why it is needed: every member answers an aggregate for one present set only, so a member of P that holds a
//! slot and cheats, withholds or garbles its answer costs that round (reviews 18 R18-2, 19 R19-1, R19-2). If the
//! next present set were chosen the same way, one malicious member would stop every round; with this memory it
//! costs at most one round (the relay keeps it in its data directory across restarts, `relay_memory`).

use zkfl_core::threshold::slots::{Members, bit};

use super::member::Exclusion;

/// The relay's memory of members (one committee epoch; kept across restarts by `relay_memory`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Standing {
    /// Members whose own signed answer (regular or supplementary) failed its checks, in any combination: one that
    /// decrypted, one that needed supplements, or one refused for too many share sets (reviews 18 R18-2, 19
    /// R19-2, R19-3). Evidence they cheated: never cleared in this epoch.
    distrusted: Members,
    /// Members that held a slot under a present set and gave no answer signed by themselves — silence, a
    /// refusal, or an answer changed on the path — and helpers that did not supplement (review 19 R19-1). The
    /// path may be to blame, so a later valid answer restores the member.
    unreliable: Members,
    /// When each member (index − 1) was last demoted, on the `demotions` clock: unreliable members are tried
    /// least recently demoted first, so the member that just cost a round is not chosen again while another
    /// unreliable member is untried (review 21, R21-1).
    #[serde(default)]
    last_demoted: [u64; 32],
    /// Demotions so far.
    #[serde(default)]
    demotions: u64,
}

impl Standing {
    /// The present set among the live receipt signers `alive` (ascending) for threshold `t`: the t + 1 lowest
    /// members never demoted (one spare, so one cheater can be excluded and supplemented, review 17 R17-5);
    /// where fewer than t were never demoted, topped up to t with members restored after a demotion, then
    /// unreliable ones — each least recently demoted first — then distrusted ones, lowest first. A member ever
    /// demoted is never the spare: as the filler of a spare position it would be chosen again after every round
    /// it costs (review 21, R21-1), and once restored it would be in P again whenever its one valid answer had
    /// put it back (review 22, R22-1). Without a spare, a cheater among t members costs its round
    /// (`Unrepairable`) and is distrusted.
    #[must_use]
    pub fn choose(&self, alive: &[u8], t: usize) -> Vec<u8> {
        let rank = |m: u8| {
            if self.distrusted & bit(m) != 0 {
                3
            } else if self.unreliable & bit(m) != 0 {
                2
            } else if self.demoted_at(m) != 0 {
                1
            } else {
                0
            }
        };
        let mut present = Vec::new();
        for (level, size) in [(0, t + 1), (1, t), (2, t), (3, t)] {
            let mut members: Vec<u8> = alive
                .iter()
                .copied()
                .filter(|&m| rank(m) == level)
                .collect();
            if level == 1 || level == 2 {
                members.sort_by_key(|&m| (self.demoted_at(m), m));
            }
            for m in members {
                if present.len() < size {
                    present.push(m);
                }
            }
        }
        present.sort_unstable();
        present
    }

    fn demoted_at(&self, member: u8) -> u64 {
        usize::from(member)
            .checked_sub(1)
            .and_then(|i| self.last_demoted.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// Remembers the members of `excluded` (their own signed answers failed, regular or supplementary).
    pub fn distrust(&mut self, excluded: &[Exclusion]) {
        self.distrusted |= excluded.iter().fold(0, |m, e| m | bit(e.member));
    }

    /// Moves `members` behind the members in good standing (no valid signed answer where one was needed).
    pub fn demote(&mut self, members: Members) {
        if members == 0 {
            return;
        }
        self.demotions += 1;
        for (i, at) in self.last_demoted.iter_mut().enumerate() {
            if members & (1 << i) != 0 {
                *at = self.demotions;
            }
        }
        self.unreliable |= members;
    }

    /// `members` gave valid signed answers that were combined: no longer unreliable (a distrusted member stays
    /// distrusted). A restored member keeps its demotion time: it makes up t before unreliable members, but is
    /// never the spare again (review 22, R22-1).
    pub fn restore(&mut self, members: Members) {
        self.unreliable &= !members;
    }

    /// Members whose signed answers failed.
    #[must_use]
    pub fn distrusted(&self) -> Members {
        self.distrusted
    }

    /// Members demoted without evidence.
    #[must_use]
    pub fn unreliable(&self) -> Members {
        self.unreliable
    }
}

#[cfg(test)]
mod tests {
    use super::{Exclusion, Standing, bit};
    use crate::committee::member::ExclusionReason;

    fn excluded(member: u8) -> Exclusion {
        Exclusion {
            member,
            supplement_for: 0,
            reason: ExclusionReason::Header,
        }
    }

    #[test]
    fn present_sets_prefer_members_in_good_standing() {
        let mut s = Standing::default();
        // 3-of-5: P = the four lowest live signers.
        assert_eq!(s.choose(&[1, 2, 3, 4, 5], 3), [1, 2, 3, 4]);
        // Member 1 cheated before: it is not the spare, and not the lowest of P.
        s.distrust(&[excluded(1)]);
        assert_eq!(s.choose(&[1, 2, 3, 4, 5], 3), [2, 3, 4, 5]);
        // Member 5 offline: the three others, no spare.
        assert_eq!(s.choose(&[1, 2, 3, 4], 3), [2, 3, 4]);
        // Only two others: the known cheater makes up t rather than failing the round.
        assert_eq!(s.choose(&[1, 2, 3], 3), [1, 2, 3]);
        assert_eq!(s.choose(&[1, 2], 3), [1, 2]);
    }

    #[test]
    fn unreliable_members_come_before_distrusted_ones_and_are_restored() {
        let mut s = Standing::default();
        s.distrust(&[excluded(2)]);
        s.demote(bit(1));
        // Three in good standing: P is those t, without a spare (an unreliable member is never the spare).
        assert_eq!(s.choose(&[1, 2, 3, 4, 5], 3), [3, 4, 5]);
        // Two in good standing: the unreliable member makes up t before the distrusted one.
        assert_eq!(s.choose(&[1, 2, 3, 4], 3), [1, 3, 4]);
        assert_eq!(s.choose(&[1, 2, 3], 3), [1, 2, 3]);
        // A valid answer restores an unreliable member, never a distrusted one; restored, it makes up t before
        // unreliable members but is not the spare (R22-1).
        s.restore(bit(1) | bit(2));
        assert_eq!(s.unreliable(), 0);
        assert_eq!(s.distrusted(), bit(2));
        assert_eq!(s.choose(&[1, 2, 3, 4, 5], 3), [3, 4, 5]);
        s.demote(bit(4));
        assert_eq!(s.choose(&[1, 2, 3, 4, 5], 3), [1, 3, 5]);
    }

    #[test]
    fn the_member_demoted_last_is_tried_last() {
        // Review 21, R21-1: honest member 3 demoted once, then withholding member 2 costs its round: with
        // {1, 4, 5} in good standing P is those three, not {1, 2, 4, 5} again.
        let mut s = Standing::default();
        s.demote(bit(3));
        s.demote(bit(2));
        assert_eq!(s.choose(&[1, 2, 3, 4, 5], 3), [1, 4, 5]);
        // One more needed to reach t: the one demoted longer ago (3), not the one that just cost a round.
        assert_eq!(s.choose(&[1, 2, 3, 4], 3), [1, 3, 4]);
        // Demoted again later, 3 goes behind 2.
        s.demote(bit(3));
        assert_eq!(s.choose(&[1, 2, 3, 4], 3), [1, 2, 4]);
        // Both needed to reach t: both taken.
        assert_eq!(s.choose(&[1, 2, 3], 3), [1, 2, 3]);
    }
}
