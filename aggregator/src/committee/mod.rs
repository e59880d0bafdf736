//! Threshold mode's key-holder committee as a service (docs/THRESHOLD.md §16): the committee roster every member
//! and clinic gets out of band (`roster`), a member's durable state (`store`), and a member answering the
//! committee messages of docs/THRESHOLD.md §15 through zkfl-core's threshold core (`member`).

pub mod link;
pub mod member;
pub mod process;
pub mod relay;
pub mod relay_memory;
pub mod roster;
pub mod standing;
pub mod store;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod relay_faults;
#[cfg(test)]
mod relay_model;
#[cfg(test)]
mod rev16;
#[cfg(test)]
mod rev17;
#[cfg(test)]
mod rev18;
#[cfg(test)]
mod rev19;
#[cfg(test)]
mod rev20;
#[cfg(test)]
mod rev21;
#[cfg(test)]
mod rev22;
#[cfg(test)]
mod rev23;
#[cfg(test)]
mod rev24;
#[cfg(test)]
mod rev25;
#[cfg(test)]
mod rev26;
#[cfg(test)]
mod rev27;
#[cfg(test)]
mod rev28;
#[cfg(test)]
mod rev29;
#[cfg(test)]
mod rev30;
#[cfg(test)]
mod rev31;
#[cfg(test)]
mod rev32;
#[cfg(test)]
mod rev33;
#[cfg(test)]
mod rev34;
#[cfg(test)]
mod rev35;
#[cfg(test)]
mod rev36;
#[cfg(test)]
mod rev37;
#[cfg(test)]
mod rig;
#[cfg(test)]
mod tests;

/// What a committee member or its set-up refused, said in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommitteeError {
    /// The roster file is malformed (what is wrong).
    Roster(String),
    /// The member's database was set up under another roster, epoch or member index.
    RosterChanged,
    /// A committee message did not decode (`zkfl_core::wire::DecodeError`).
    Wire(zkfl_core::wire::DecodeError),
    /// The threshold core refused (`zkfl_core::threshold::ThresholdError`).
    Threshold(zkfl_core::threshold::ThresholdError),
    /// A message's sender is not who the channel says sent it, or a message arrived out of order.
    Protocol(String),
    /// The member's database failed.
    Storage(String),
    /// Members whose answers failed their share proofs (docs/THRESHOLD.md §16.4 item 5), and why; nothing was
    /// combined (ask `Combination::helpers` for supplementary answers).
    Excluded(Vec<member::Exclusion>),
    /// The relay (the aggregator, or the path) changed, made, misrouted or resealed a member's message: a
    /// signature or envelope that fails. Never evidence against the claimed sender (review 13).
    Relay(String),
    /// [`CommitteeError::Relay`] in a combination where members' own signed answers failed too: the path changed
    /// an answer, or a slot holder or a helper sent nothing, so nothing was combined, and these members are named
    /// as [`CommitteeError::Excluded`] names them, so the relay distrusts them in that round and reports them with
    /// it (reviews 25 R25-1, 26 R26-1, 27 R27-1).
    RelayAndExcluded {
        /// What stopped the combination: an answer the path changed (as [`CommitteeError::Relay`] says it), a
        /// slot holder's silence, or helpers that did not supplement — scheduling, not blame (review 28, R28-1).
        why: String,
        /// The members whose own signed answers failed, with why.
        excluded: Vec<member::Exclusion>,
    },
    /// This member already committed in this epoch (its signed 0x10 is in its database): it never signs a second
    /// commitment; after a restart its dealer secret is gone and it has left the ceremony (docs/THRESHOLD.md
    /// §16.2, review 15 R15-1). The committee starts a new epoch.
    AlreadyCommitted,
    /// A supplementary answer for member `excluded` was asked without evidence that it failed (review 16
    /// R16-3b): no answer of it signed for this request, or one that passes every check under this member's own
    /// view. Nothing was spent; ask again with the excluded member's signed answer as received.
    NoEvidence {
        /// The member the supplement was for.
        excluded: u8,
        /// What is wrong with the evidence.
        why: String,
    },
    /// A supplementary answer for member `excluded` was asked of a member that covers none of its slots under
    /// the present set (review 17, R17-3): it would be pure noise and cost a decryption. Nothing was spent.
    NothingToSupplement {
        /// The member the supplement was for.
        excluded: u8,
    },
    /// The combination would sum `sets` share sets, more than the `max` whose worst-case smudging the plan's
    /// noise budget covers (`Plan::max_share_sets`; review 17, R17-5; docs/THRESHOLD.md §4.2). Nothing was
    /// combined or published and no supplement was asked for; the round needs another present set.
    TooManyShareSets {
        /// Share sets the combination needs (regular answers kept plus supplements).
        sets: usize,
        /// The plan's bound.
        max: u32,
        /// The members whose own signed answers failed (each the evidence of [`CommitteeError::Excluded`]):
        /// reported here too, so the relay leaves them out of later present sets (review 19, R19-2).
        excluded: Vec<member::Exclusion>,
    },
    /// Members whose own signed answers failed hold a slot under the present set that no other present member
    /// can supplement (the slot's next holder is absent from P or excluded itself): the repair is known to fail,
    /// so no helper was asked and nothing was spent (review 20, R20-1, R20-4). The round needs another present
    /// set; the relay leaves the excluded members out of later ones.
    Unrepairable {
        /// The members excluded, with why.
        excluded: Vec<member::Exclusion>,
    },
}

impl core::fmt::Display for CommitteeError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Roster(why) => write!(f, "committee roster: {why}"),
            Self::RosterChanged => f.write_str(
                "this member's state was set up under another committee roster, epoch or member index; \
                 refusing (use the roster it was set up with, or a fresh state directory for a new epoch)",
            ),
            Self::Wire(e) => write!(f, "committee message: {e}"),
            Self::Threshold(e) => write!(f, "threshold: {e}"),
            Self::Protocol(why) => write!(f, "committee protocol: {why}"),
            Self::Storage(why) => write!(f, "member state: {why}"),
            Self::Excluded(ex) => {
                f.write_str("excluded after a failed share proof:")?;
                for e in ex {
                    write!(f, " member {} ({:?})", e.member, e.reason)?;
                }
                Ok(())
            }
            Self::Relay(why) => write!(f, "relayed message refused (the relay is to blame): {why}"),
            Self::RelayAndExcluded { why, excluded } => {
                write!(f, "nothing was combined: {why}")?;
                for e in excluded {
                    write!(f, "; member {} excluded ({:?})", e.member, e.reason)?;
                }
                Ok(())
            }
            Self::AlreadyCommitted => f.write_str(
                "this member already committed in this epoch and has left its ceremony if it restarted; \
                 start a new epoch",
            ),
            Self::NoEvidence { excluded, why } => write!(
                f,
                "no evidence that member {excluded} failed ({why}): a supplementary answer is given only \
                 against its signed failing answer; nothing was spent"
            ),
            Self::NothingToSupplement { excluded } => write!(
                f,
                "this member covers no slot of member {excluded} under the present set: no supplement to give; \
                 nothing was spent"
            ),
            Self::Unrepairable { excluded } => {
                f.write_str(
                    "an excluded member's slot has no helper in the present set; nothing was combined or asked: \
                     the round needs another present set",
                )?;
                for e in excluded {
                    write!(f, "; member {} excluded ({:?})", e.member, e.reason)?;
                }
                Ok(())
            }
            Self::TooManyShareSets {
                sets,
                max,
                excluded,
            } => {
                write!(
                    f,
                    "the combination would sum {sets} share sets, more than the {max} the noise budget covers; \
                     nothing was combined: the round needs another present set"
                )?;
                for e in excluded {
                    write!(f, "; member {} excluded ({:?})", e.member, e.reason)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for CommitteeError {}

impl From<zkfl_core::wire::DecodeError> for CommitteeError {
    fn from(e: zkfl_core::wire::DecodeError) -> Self {
        Self::Wire(e)
    }
}

impl From<zkfl_core::threshold::wire::signed::SignedError> for CommitteeError {
    fn from(e: zkfl_core::threshold::wire::signed::SignedError) -> Self {
        use zkfl_core::threshold::wire::signed::SignedError;
        match e {
            SignedError::Wire(w) => Self::Wire(w),
            other => Self::Relay(other.to_string()),
        }
    }
}

impl From<zkfl_core::threshold::ThresholdError> for CommitteeError {
    fn from(e: zkfl_core::threshold::ThresholdError) -> Self {
        Self::Threshold(e)
    }
}

impl From<zkfl_core::threshold::plan::PlanError> for CommitteeError {
    fn from(e: zkfl_core::threshold::plan::PlanError) -> Self {
        Self::Threshold(e.into())
    }
}

impl From<rusqlite::Error> for CommitteeError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Storage(e.to_string())
    }
}
