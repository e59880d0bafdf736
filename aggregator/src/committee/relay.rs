//! The aggregator's side of the committee (docs/THRESHOLD.md §16.3–§16.4): a relay over n member links that
//! runs the key ceremony once per epoch and then decrypts rounds. The relay holds no key material: it carries
//! signed and sealed ceremony messages, follows the public ones with a [`Combination`] (slot keys for the
//! share proofs), collects spend receipts, announces the present set and combines verified answers.
//!
//! The ceremony's public outputs (the signed 0x10/0x11 messages, the committee key, its identity and the n
//! certificate signatures) are written to one file in the aggregator's data directory ([`CEREMONY_FILE`]), so
//! a restarted aggregator reloads them instead of running a second ceremony (members refuse a second commit
//! in one epoch: `AlreadyCommitted`).

use std::path::{Path, PathBuf};

use zkfl_core::channel::identity::Signature;
use zkfl_core::params::ParamSet;
use zkfl_core::threshold::aggregate::ciphertext_digest;
use zkfl_core::threshold::certificate::{self, KeySignature};
use zkfl_core::threshold::slots::{Members, bit};
use zkfl_core::threshold::spend::spend_quorum;

use super::CommitteeError;
use super::link::MemberLink;
use super::member::{
    C, Combination, Combined, CommitteeKey, Design, ExclusionReason, N, P, Submission,
    max_answer_bytes,
};
use super::process::{
    ACCEPT, ACCEPT_SEALED, ANSWER, CERTIFY, COMMIT, DEAL, KEY, READY, RECEIPT, REVEAL, SUPPLEMENT,
    decode_key, encode_answer, encode_submissions, encode_supplement,
};
use super::relay_memory::{RelayMemory, write_atomically};
use super::roster::CommitteeRoster;
#[cfg(test)]
use super::standing::Standing;
use crate::coordinator::{
    Decrypted, DecryptionRequest, Decryptor, DecryptorHealth, KeptSubmission,
};
use crate::error::PortError;
use crate::keyholder::{read_frame, write_frame};

/// The file in the aggregator's data directory that keeps the ceremony's public outputs.
pub const CEREMONY_FILE: &str = "committee-ceremony.bin";

/// First frame of [`CEREMONY_FILE`].
const MAGIC: &[u8] = b"ZKFL-PQ/committee-ceremony/v1";

/// Stack for set-L work (aggregates, slot keys, share proofs live on the stack in the core).
const BIG_STACK: usize = 256 << 20;

/// Why the relay could not run the ceremony or decrypt a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayError {
    /// A member refused a ceremony step, in its own words.
    MemberRefused {
        /// The member (1-based).
        member: u8,
        /// The step (`commit`, `accept`, `reveal`, `deal`, `accept-sealed`, `ready`, `certify`, `key`).
        step: &'static str,
        /// The member's refusal or the transport failure.
        reason: String,
    },
    /// A member is offline (`off`) during the ceremony, which needs all n.
    MemberOffline {
        /// The member (1-based).
        member: u8,
    },
    /// Too few members signed receipts or could answer: the round fails before any member answers.
    TooFewKeyHolders {
        /// Why, in words (counts and needs).
        why: String,
        /// Members that refused or were offline, with their words.
        refusals: Vec<Refusal>,
    },
    /// The ceremony's outputs disagree (key identities, committee keys) or a round's answers could not be
    /// combined.
    Committee(CommitteeError),
    /// The ceremony file could not be read or written, or belongs to another roster or design.
    Storage(String),
    /// The relay's memory (`committee-relay.json`) could not be read or written: its words name the file, never
    /// the aggregator's data directory, since a round's failure is published (review 35, R35-1).
    Memory(String),
}

impl core::fmt::Display for RelayError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::MemberRefused {
                member,
                step,
                reason,
            } => write!(f, "committee member {member} refused {step}: {reason}"),
            Self::MemberOffline { member } => write!(
                f,
                "committee member {member} is offline; the key ceremony needs all members"
            ),
            Self::TooFewKeyHolders { why, refusals } => {
                write!(f, "too few key holders: {why}")?;
                for r in refusals {
                    write!(f, "; member {}: {}", r.member, r.reason)?;
                }
                Ok(())
            }
            Self::Committee(e) => write!(f, "{e}"),
            Self::Storage(why) => write!(f, "committee ceremony record: {why}"),
            Self::Memory(why) => write!(f, "the relay's memory: {why}"),
        }
    }
}

impl std::error::Error for RelayError {}

impl From<CommitteeError> for RelayError {
    fn from(e: CommitteeError) -> Self {
        Self::Committee(e)
    }
}

/// A member that did not sign a spend receipt or did not answer, and why (published with the round, R10-4).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Refusal {
    /// The member (1-based).
    pub member: u8,
    /// Its refusal in its own words, or the transport failure (`offline`).
    pub reason: String,
}

/// A member excluded from a round's combination (docs/THRESHOLD.md §3.2.1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Excluded {
    /// The member (1-based).
    pub member: u8,
    /// For a failed supplementary answer, the member it supplemented (0 for a regular answer).
    pub supplement_for: u8,
    /// The chunk whose share proof failed, if a proof failed.
    pub chunk: Option<usize>,
    /// The failing check, in words.
    pub check: String,
}

/// A decrypted round and how it was decrypted.
#[derive(Debug, Clone)]
pub struct Decryption {
    /// L chunks of N centred integers.
    pub chunks: Vec<[i64; N]>,
    /// Members that signed spend receipts.
    pub receipt_signers: Vec<u8>,
    /// Their spend receipts (0x14, signed), in the same order: the spend is auditable.
    pub receipts: Vec<Vec<u8>>,
    /// The present set P announced.
    pub present: Vec<u8>,
    /// Members that refused a receipt or were offline (with their words).
    pub refusals: Vec<Refusal>,
    /// Members excluded after a failed share proof, replaced by supplementary answers.
    pub exclusions: Vec<Excluded>,
    /// Members of P that did not answer and held no slot under P, left out (review 17, R17-4): silence is no
    /// evidence, so they are not exclusions.
    pub unanswered: Vec<u8>,
    /// (helper, excluded) pairs that sent supplementary answers.
    pub supplements: Vec<(u8, u8)>,
}

/// The ceremony's public outputs as kept in [`CEREMONY_FILE`].
#[derive(Clone)]
pub struct CeremonyRecord {
    /// The committee key as the members' [`KEY`] reply: (a, b_1..b_L) canonical polynomials.
    pub key: Vec<u8>,
    /// The key identity every member certified.
    pub key_id: [u8; 32],
    /// Every member's signed 0x10 commitment, then every signed 0x11 reveal, in member order.
    pub messages: Vec<Vec<u8>>,
    /// The n certificate signatures (member order).
    pub signatures: Vec<KeySignature>,
}

/// The committee as the aggregator drives it.
pub struct Committee {
    roster: CommitteeRoster,
    links: Vec<Option<Box<dyn MemberLink>>>,
    /// Per aggregate, the receipts gathered and the present set announced (a retried decryption announces the
    /// same present set), and the members' standing (later present sets put members that cost a round last):
    /// kept in `data_dir` across restarts (`relay_memory`).
    memory: RelayMemory,
    data_dir: PathBuf,
    combination: Combination,
    /// The largest answer (share set, proofs, signature) the design allows (`member::max_answer_bytes`).
    max_answer: usize,
    record: CeremonyRecord,
    key: CommitteeKey,
}

/// One decryption attempt's request, as every member of P answers it.
struct RoundIn<'a> {
    round: u64,
    subs: &'a [Submission],
    /// P as a member mask.
    mask: Members,
    /// The present-set message (0x13).
    present_message: &'a [u8],
    /// The spend receipts sent with the request.
    receipts: &'a [Vec<u8>],
}

/// What names an aggregate in the relay's memory: SHA3-256 over its ciphertexts' digests (the core's
/// `ciphertext_digest`, the identity the members' ledgers keep) in sorted order — what β(A) hashes, in the same
/// canonical order, with no clinic id and no proof. A retry that gives the same ciphertexts in another order
/// (review 32, R32-2), with other proof bytes, or under other clinic ids (review 33, R33-1) is the same aggregate
/// to the members and finds its receipts and present set; the round is the key's other half.
fn aggregate_id(subs: &[Submission]) -> [u8; 32] {
    use sha3::Digest as _;
    let mut digests: Vec<[u8; 32]> = subs
        .iter()
        .map(|s| ciphertext_digest::<<P as ParamSet>::M, N>(&s.c1, &s.c0))
        .collect();
    digests.sort_unstable();
    let mut h = sha3::Sha3_256::new();
    h.update(b"ZKFL-PQ/relay/aggregate/v2");
    h.update((digests.len() as u64).to_le_bytes());
    for d in &digests {
        h.update(d);
    }
    h.finalize().into()
}

/// Runs `f` on a thread with room for set-L objects, borrowing from the caller.
pub fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(BIG_STACK)
            .spawn_scoped(s, f)
            .map_or_else(
                |e| panic!("cannot start a set-L worker thread: {e}"),
                |h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            )
    })
}

impl Committee {
    /// The committee of `roster` over `links` (member i at i − 1; `None` for an offline member): reloads the
    /// ceremony's outputs from `data_dir`'s [`CEREMONY_FILE`] if present (checked against the roster and
    /// design, the certificate re-checked), else runs the ceremony with every member and keeps its outputs.
    ///
    /// # Errors
    /// [`RelayError::MemberOffline`]/[`RelayError::MemberRefused`] naming the member that stopped the
    /// ceremony, [`RelayError::Storage`] for a record of another roster or design, and
    /// [`RelayError::Committee`] for outputs that disagree.
    pub fn start(
        roster: CommitteeRoster,
        design: Design,
        links: Vec<Option<Box<dyn MemberLink>>>,
        data_dir: &Path,
    ) -> Result<Self, RelayError> {
        let n = roster.epoch()?.committee.members() as usize;
        if links.len() != n {
            return Err(RelayError::Committee(CommitteeError::Roster(format!(
                "the committee has {n} members but {} member links were given",
                links.len()
            ))));
        }
        let path = data_dir.join(CEREMONY_FILE);
        let header = header(&roster, design)?;
        let mut relay = Relay { links };
        let record = if path.exists() {
            load(&path, &header, n)?
        } else {
            let r = relay.ceremony(&roster)?;
            save(&path, &header, &r)?;
            eprintln!(
                "committee: key ceremony complete; key identity {} certified by all {n} members",
                hex::encode(r.key_id)
            );
            r
        };
        let epoch = roster.epoch()?;
        certificate::check(
            &epoch,
            &roster.verifying_keys()?,
            &record.key_id,
            &record.signatures,
        )
        .map_err(CommitteeError::from)?;
        let key = decode_key(&record.key)?;
        let (a, b) = (key.0.clone(), key.1.clone());
        let messages = record.messages.clone();
        let max_answer = max_answer_bytes(&roster, design)?;
        let combination = on_big_stack(|| -> Result<Combination, CommitteeError> {
            let mut c = Combination::new(&roster, design, a, b)?;
            for m in &messages {
                c.observe(m)?;
            }
            Ok(c)
        })?;
        Ok(Self {
            roster,
            links: relay.links,
            memory: RelayMemory::load(data_dir, &record.key_id).map_err(RelayError::Memory)?,
            data_dir: data_dir.to_path_buf(),
            combination,
            max_answer,
            record,
            key,
        })
    }

    /// Admits submissions without proofs (tests of this crate only).
    #[cfg(test)]
    pub fn admit_unverified(&mut self) {
        self.combination.admit_unverified();
    }

    /// Positive control of the relay's memory (tests of this crate only): forget every member's standing, as
    /// the relay did before reviews 18 and 19, so a test shows what the memory prevents.
    #[cfg(test)]
    pub fn forget_standing(&mut self) {
        self.memory.standing = Standing::default();
    }

    /// The committee key (a, b_1..b_L).
    #[must_use]
    pub fn key(&self) -> &CommitteeKey {
        &self.key
    }

    /// The ceremony's public outputs (key identity, certificate signatures).
    #[must_use]
    pub fn record(&self) -> &CeremonyRecord {
        &self.record
    }

    /// The roster.
    #[must_use]
    pub fn roster(&self) -> &CommitteeRoster {
        &self.roster
    }

    /// Decrypts `round`'s aggregate of `subs` (docs/THRESHOLD.md §16.4): receipts from every online member
    /// (each verifies every norm proof), at least the spend quorum w = ⌈(n + t)/2⌉ of them and at least t, else
    /// [`RelayError::TooFewKeyHolders`] before any member answers; present set P = the t + 1 lowest receipt
    /// signers that respond (all of them if fewer; a member found offline before answering is dropped while
    /// |P| ≥ t); answers from P; combination with every share proof verified, an excluded member replaced by its
    /// helpers' supplementary answers. P = t + 1 rather than every signer (review 17, R17-5): it asks one member
    /// fewer, its highest member holds no slot (so its silence does not stop the round, R17-4), and a repair sums
    /// at most 2t share sets instead of up to 7 in 3-of-5 (the combiner refuses more than
    /// `Plan::max_share_sets`).
    ///
    /// # Errors
    /// [`RelayError::TooFewKeyHolders`], and [`RelayError::Committee`] when the answers cannot be combined.
    pub fn decrypt(&mut self, round: u64, subs: &[Submission]) -> Result<Decryption, RelayError> {
        let result = self.attempt(round, subs);
        // What this attempt taught about the members outlives the aggregator (the present set was saved before
        // anyone answered). A failure to save it does not undo the attempt's result; it is reported. The standing
        // is never acted on before it is written: a new present set is chosen from it and written with it before
        // any member answers, and a retry under a stored present set does not read it (reviews 34–35).
        if let Err(why) = self.memory.save(&self.data_dir) {
            eprintln!("committee round {round}: the relay's memory was not saved: {why}");
        }
        result
    }

    /// The receipts of this aggregate every member will accept (review 20, R20-3: one bad receipt in the
    /// answer request would make every honest member refuse it), and the members without one, with why.
    /// Receipts are durable facts of the members (the same request returns the same bytes): one stored in an
    /// earlier attempt of this aggregate still counts for a member that is offline now, and a fresh reply
    /// replaces it only when valid itself — an empty or changed reply is no evidence against a receipt the relay
    /// already holds (review 31, R31-1).
    fn gather_receipts(
        &self,
        round: u64,
        subs: &[Submission],
        memo_key: &(u64, [u8; 32]),
        replies: Vec<Result<Vec<u8>, String>>,
    ) -> Result<(MemberReceipts, Vec<Refusal>), RelayError> {
        let stored = self
            .memory
            .rounds
            .get(memo_key)
            .map(|m| m.receipts.clone())
            .unwrap_or_default();
        let mut lost = Vec::new();
        let mut candidates = stored;
        for (i, r) in replies.into_iter().enumerate() {
            let member = i as u8 + 1;
            match r {
                Ok(bytes) => candidates.push((member, bytes)),
                Err(reason) => lost.push((member, reason)),
            }
        }
        let combination = &self.combination;
        let checks = on_big_stack(|| combination.check_receipts(round, subs, &candidates))?;
        // Stored receipts come first: a later valid one (the fresh reply) replaces them, an invalid one does not.
        let mut signed: MemberReceipts = Vec::new();
        let mut invalid = Vec::new();
        for ((member, bytes), check) in candidates.into_iter().zip(checks) {
            match check {
                Ok(()) => {
                    signed.retain(|(m, _)| *m != member);
                    signed.push((member, bytes));
                }
                Err(why) => invalid.push((member, why)),
            }
        }
        signed.sort_by_key(|(m, _)| *m);
        let holds = |m: u8| signed.iter().any(|(s, _)| *s == m);
        let mut refusals: Vec<Refusal> = lost
            .into_iter()
            .filter(|(m, _)| !holds(*m))
            .map(|(member, reason)| Refusal {
                member,
                reason: bounded(&reason),
            })
            .collect();
        for (member, why) in invalid {
            if holds(member) {
                eprintln!(
                    "committee round {round}: member {member}'s receipt reply is refused ({why}); its stored \
                     receipt for this aggregate stands"
                );
            } else if !refusals.iter().any(|r| r.member == member) {
                refusals.push(Refusal {
                    member,
                    reason: format!("its spend receipt is refused: {why}"),
                });
            }
        }
        Ok((signed, refusals))
    }

    /// One attempt of [`Committee::decrypt`].
    fn attempt(&mut self, round: u64, subs: &[Submission]) -> Result<Decryption, RelayError> {
        let c = self.roster.epoch()?.committee;
        let (n, t) = (c.members(), c.threshold());
        let w = spend_quorum(n, t).max(t);
        let mut body = round.to_le_bytes().to_vec();
        body.extend_from_slice(&encode_submissions(subs));
        let memo_key = (round, aggregate_id(subs));
        let replies = self.call_all(RECEIPT, &body);
        let (signed, mut refusals) = self.gather_receipts(round, subs, &memo_key, replies)?;
        for r in &refusals {
            eprintln!(
                "committee round {round}: member {} signed no receipt: {}",
                r.member, r.reason
            );
        }
        let signers: Vec<u8> = signed.iter().map(|(m, _)| *m).collect();
        let receipts: Vec<Vec<u8>> = signed.iter().map(|(_, r)| r.clone()).collect();
        let earlier = self
            .memory
            .rounds
            .get(&memo_key)
            .and_then(|m| m.present.clone());
        // Every valid receipt gathered is kept, also in an attempt below the quorum (review 33, R33-2): a later
        // attempt counts it for a member whose reply is lost then. With none, no entry is made.
        if !signed.is_empty() {
            self.memory.touch(memo_key).receipts = signed;
        }
        if (signers.len() as u32) < w {
            return Err(RelayError::TooFewKeyHolders {
                why: format!(
                    "{} of {n} members signed spend receipts; the spend quorum is {w} (t = {t}); no member was \
                     asked to answer, nothing was decrypted",
                    signers.len()
                ),
                refusals,
            });
        }
        let present = match earlier {
            // Members already asked to answer for this present set answer no other: keep it (a member that is
            // offline now and holds no slot is left out; one that holds a slot makes the retry fail again).
            Some(p) => p,
            None => {
                let mut present: Vec<u8> = signers.clone();
                // A member of P that no longer responds is dropped before anyone answers (every member
                // answers an aggregate for one present set only).
                present.retain(|&m| {
                    let alive = self.call(m, READY, &[]);
                    if let Err(reason) = &alive {
                        refusals.push(Refusal {
                            member: m,
                            reason: format!("offline before answering: {}", bounded(reason)),
                        });
                    }
                    alive.is_ok()
                });
                // t + 1 members in good standing: one spare, so one cheater can be excluded and
                // supplemented (R17-5); members that cost an earlier round last (R18-2, R19-1, R19-2).
                present = self.memory.standing.choose(&present, t as usize);
                if (present.len() as u32) < t {
                    return Err(RelayError::TooFewKeyHolders {
                        why: format!(
                            "{} members can answer; t = {t}; no member was asked to answer, nothing was \
                             decrypted",
                            present.len()
                        ),
                        refusals,
                    });
                }
                self.memory.touch(memo_key).present = Some(present.clone());
                // Durable before any member answers for it (members answer one present set per aggregate); one
                // that could not be written is not announced, now or by a later attempt (review 33, R33-3).
                if let Err(why) = self.memory.save(&self.data_dir) {
                    if let Some(m) = self.memory.rounds.get_mut(&memo_key) {
                        m.present = None;
                    }
                    return Err(RelayError::Memory(why));
                }
                present
            }
        };
        let mask = present.iter().fold(0 as Members, |m, &x| m | bit(x));
        let combination = &self.combination;
        let p = on_big_stack(|| combination.present(round, subs, mask))?;
        let answer_body = encode_answer(round, &p, &receipts, subs);
        let mut answers = Vec::new();
        let mut silent = Vec::new();
        // Members of P answer concurrently (each makes one share proof per chunk: the slow step of a round).
        for (m, reply) in
            present
                .iter()
                .copied()
                .zip(self.call_members(&present, ANSWER, &answer_body))
        {
            match reply {
                // A reply over the largest answer the design allows is not an answer (review 20, R20-2): as
                // evidence it would make a helper's request too large for the helper to take.
                // An empty reply is no answer either: silence, not a message the path changed (review 30, R30-1).
                Ok(bytes) if bytes.is_empty() => {
                    eprintln!("committee round {round}: member {m} did not answer: an empty reply");
                    silent.push((m, "an empty reply".to_owned()));
                }
                Ok(bytes) if bytes.len() > self.max_answer => {
                    let reason = format!(
                        "an answer of {} bytes, over the {} the design allows",
                        bytes.len(),
                        self.max_answer
                    );
                    eprintln!("committee round {round}: member {m} did not answer: {reason}");
                    silent.push((m, reason));
                }
                Ok(bytes) => answers.push((m, bytes)),
                Err(reason) => {
                    // The words come from the member or the path: quoted and cut (review 29, R29-2).
                    let reason = quoted(&reason);
                    eprintln!("committee round {round}: member {m} did not answer: {reason}");
                    silent.push((m, reason));
                }
            }
        }
        // An unanswered request is not evidence against the member (its answer is unsigned and unseen), so it is
        // not excluded and nobody supplements it. A silent member holding no slot under P is left out (its
        // answer would be pure noise; R17-4) and reported as unanswered; one holding a slot leaves the round
        // undecryptable with this P: the others of P have answered P and answer no other present set, so the
        // decryption is retried with this present set and these receipts (`memo`), and the members that
        // answered resend their stored answers.
        let holding: Vec<&(u8, String)> = silent
            .iter()
            .filter(|(m, _)| self.combination.holds_slot(mask, *m))
            .collect();
        let holding_mask = holding.iter().fold(0, |m, (x, _)| m | bit(*x));
        // Members only: their (or the path's) words are in the log, never in the round's report (R29-2).
        let holding_why = holding
            .iter()
            .map(|(m, _)| format!("member {m}"))
            .collect::<Vec<_>>()
            .join(", ");
        answers.extend(silent.iter().map(|(m, _)| (*m, Vec::new())));
        let round_in = RoundIn {
            round,
            subs,
            mask,
            present_message: &p,
            receipts: &receipts,
        };
        if holding_mask != 0 {
            // The answers given are still checked (review 25, R25-1): a member whose signed answer fails is
            // distrusted in this attempt too, and the silent slot holders — with any member whose answer the path
            // changed — are demoted (scheduling, not blame: review 19 R19-1).
            let combination = &self.combination;
            let checked =
                on_big_stack(|| combination.combine_excluding(round, subs, mask, &answers, &[]));
            let mut excluded = Vec::new();
            let mut changed = String::new();
            match checked {
                // A slot holder's silence stops the combination as the path's failure: `learn_failure` demotes it.
                Err(e @ (CommitteeError::Relay(_) | CommitteeError::RelayAndExcluded { .. })) => {
                    match &e {
                        CommitteeError::RelayAndExcluded { excluded: ex, why } => {
                            excluded.clone_from(ex);
                            changed.clone_from(why);
                        }
                        CommitteeError::Relay(why) => changed.clone_from(why),
                        _ => {}
                    }
                    let _ = self.learn_failure(&round_in, e, &answers, &[], 0);
                }
                Err(e) => {
                    let _ = self.learn_failure(&round_in, e, &answers, &[], holding_mask);
                }
                Ok(_) => self.demote(round, holding_mask),
            }
            // What the combiner found (answers the path changed too) is said with it (review 29, R29-1).
            let why = format!(
                "members of the present set {present:?} holding slots did not answer ({holding_why}); retry with \
                 the same present set; the combination: {changed}"
            );
            // The members whose signed answers failed are returned with the round (review 26, R26-1).
            return Err(RelayError::Committee(if excluded.is_empty() {
                CommitteeError::Protocol(why)
            } else {
                CommitteeError::RelayAndExcluded { why, excluded }
            }));
        }
        let (combined, supplements) = self.combine(&round_in, &answers)?;
        let exclusions = combined
            .excluded
            .iter()
            .map(|e| Excluded {
                member: e.member,
                supplement_for: e.supplement_for,
                chunk: match &e.reason {
                    ExclusionReason::Proof { chunk, .. } => Some(*chunk),
                    _ => None,
                },
                check: match &e.reason {
                    ExclusionReason::Proof { failure, .. } => format!("{failure:?}"),
                    other => format!("{other:?}"),
                },
            })
            .collect();
        Ok(Decryption {
            chunks: combined.chunks,
            receipt_signers: signers,
            receipts,
            present,
            refusals,
            exclusions,
            unanswered: combined.silent,
            supplements,
        })
    }

    /// Combines the answers of P, asking the helpers for supplements after an exclusion (docs/THRESHOLD.md
    /// §3.2.1), and remembers what each attempt showed about the members (`learn`), whether or not it combines.
    fn combine(
        &mut self,
        r: &RoundIn<'_>,
        answers: &[(u8, Vec<u8>)],
    ) -> Result<(Combined, Vec<(u8, u8)>), RelayError> {
        let combination = &self.combination;
        let first =
            on_big_stack(|| combination.combine_excluding(r.round, r.subs, r.mask, answers, &[]));
        let excluded = match first {
            Ok(c) => return Ok((self.learn_combined(r, c, 0), Vec::new())),
            Err(CommitteeError::Excluded(ex)) => ex,
            Err(e) => return Err(self.learn_failure(r, e, answers, &[], 0)),
        };
        self.memory.standing.distrust(&excluded);
        let excluded = excluded.iter().fold(0 as Members, |m, e| m | bit(e.member));
        let helpers = self.combination.helpers(r.mask, excluded);
        let mut supplements = Vec::new();
        let mut asked = Vec::new();
        let mut missing: Vec<(u8, u8)> = Vec::new();
        // Every helper is asked, also after one did not supplement, so the supplements received are still checked
        // and a helper whose signed supplement fails is distrusted (review 26, R26-2).
        for &(y, x) in &helpers {
            // x's signed answer: the evidence the helper checks (review 16 R16-3b).
            let evidence = answers
                .iter()
                .find(|(m, _)| *m == x)
                .map_or(&[][..], |(_, b)| b.as_slice());
            let body =
                encode_supplement(x, evidence, r.round, r.present_message, r.receipts, r.subs);
            match self.call(y, SUPPLEMENT, &body) {
                // An empty reply is no supplement (review 30, R30-1): the helper did not supplement.
                Ok(bytes) if !bytes.is_empty() && bytes.len() <= self.max_answer => {
                    supplements.push((y, bytes));
                    asked.push((y, x));
                }
                reply => {
                    let reason = reply.map_or_else(
                        |why| quoted(&why),
                        |b| {
                            format!(
                                "a supplement of {} bytes, empty or over the design's",
                                b.len()
                            )
                        },
                    );
                    eprintln!(
                        "committee round {}: member {y} did not supplement member {x}: {reason}",
                        r.round
                    );
                    missing.push((y, x));
                }
            }
        }
        let combination = &self.combination;
        let second = on_big_stack(|| {
            combination.combine_excluding(r.round, r.subs, r.mask, answers, &supplements)
        });
        let e = match second {
            Ok(c) => {
                // Every supplement sent was checked and combined: its helper gave a valid answer.
                let supplemented = asked.iter().fold(0 as Members, |m, (y, _)| m | bit(*y));
                return Ok((self.learn_combined(r, c, supplemented), helpers));
            }
            Err(e) => e,
        };
        // What the relay asked each helper for (never what the bytes claim, R26-2).
        let sent: Vec<(u8, u8, &[u8])> = asked
            .iter()
            .zip(&supplements)
            .map(|(&(y, x), (_, b))| (y, x, b.as_slice()))
            .collect();
        // The exclusions learnt are returned with the round whatever stopped it (review 27 R27-1).
        let excluded = match &e {
            CommitteeError::Excluded(ex)
            | CommitteeError::TooManyShareSets { excluded: ex, .. }
            | CommitteeError::Unrepairable { excluded: ex }
            | CommitteeError::RelayAndExcluded { excluded: ex, .. } => ex.clone(),
            _ => Vec::new(),
        };
        // What the path changed in the same attempt is said too (review 28 R28-1).
        let changed = match &e {
            CommitteeError::Relay(why) | CommitteeError::RelayAndExcluded { why, .. } => {
                Some(why.clone())
            }
            _ => None,
        };
        let missed = missing.iter().fold(0, |m, (y, _)| m | bit(*y));
        let failure = self.learn_failure(r, e, answers, &sent, missed);
        if missing.is_empty() {
            return Err(failure);
        }
        // Members of P have answered: not "too few before answering"; the coordinator retries, with this present
        // set and these receipts.
        let why = missing
            .iter()
            .map(|(y, x)| format!("member {y} could not supplement excluded member {x}"))
            .chain(changed)
            .collect::<Vec<_>>()
            .join("; ");
        Err(RelayError::Committee(if excluded.is_empty() {
            CommitteeError::Protocol(why)
        } else {
            CommitteeError::RelayAndExcluded { why, excluded }
        }))
    }

    /// A combination that decrypted: its excluded members are distrusted (a slotless cheater needs no
    /// supplement, review 19 R19-3), every member whose answer was combined — a regular answer, or a supplement
    /// of the helpers in `supplemented` (review 31, R31-2) — is in good standing again.
    fn learn_combined(&mut self, r: &RoundIn<'_>, c: Combined, supplemented: Members) -> Combined {
        self.memory.standing.distrust(&c.excluded);
        let left_out = c
            .excluded
            .iter()
            .fold(0 as Members, |m, e| m | bit(e.member))
            | c.silent.iter().fold(0 as Members, |m, &s| m | bit(s));
        let distrusted = self.memory.standing.distrusted();
        self.memory
            .standing
            .restore((r.mask & !left_out | supplemented) & !distrusted);
        c
    }

    /// A combination that failed with `e`: members whose signed answers failed are distrusted, also when the
    /// combiner refused for too many share sets (review 19 R19-2) or when an answer the path changed stopped it
    /// (`RelayAndExcluded`, review 25 R25-1); on a signature that fails (`Relay`, which names nobody), the
    /// members of P or helpers without a valid signed answer are demoted (R19-1), in one demotion with
    /// `silent` (members the relay saw give nothing: helpers that did not supplement).
    fn learn_failure(
        &mut self,
        r: &RoundIn<'_>,
        e: CommitteeError,
        answers: &[(u8, Vec<u8>)],
        supplements: &[(u8, u8, &[u8])],
        silent: Members,
    ) -> RelayError {
        let mut demoted = silent;
        match &e {
            CommitteeError::Excluded(ex)
            | CommitteeError::TooManyShareSets { excluded: ex, .. }
            | CommitteeError::Unrepairable { excluded: ex } => {
                self.memory.standing.distrust(ex);
            }
            CommitteeError::Relay(_) | CommitteeError::RelayAndExcluded { .. } => {
                if let CommitteeError::RelayAndExcluded { excluded, .. } = &e {
                    // Review 25, R25-1: a cheater combined with a path-changed answer is distrusted too.
                    self.memory.standing.distrust(excluded);
                }
                // Only slot holders' regular answers count: a slotless member's silence or unsigned answer is
                // left out of the combination (R17-4, review 26 R26-3), not a cost.
                let sent: Vec<(u8, u8, &[u8])> = answers
                    .iter()
                    .filter(|(m, _)| self.combination.holds_slot(r.mask, *m))
                    .map(|(m, b)| (*m, 0, b.as_slice()))
                    .chain(supplements.iter().copied())
                    .collect();
                match self.combination.unsigned_answers(r.present_message, &sent) {
                    Ok(unsigned) => demoted |= unsigned,
                    Err(why) => eprintln!("committee round {}: {why}", r.round),
                }
            }
            _ => {}
        }
        // One demotion for the attempt: members demoted in the same attempt share one time (review 27 R27-2).
        self.demote(r.round, demoted);
        e.into()
    }

    fn demote(&mut self, round: u64, members: Members) {
        if members != 0 {
            let list: Vec<u8> = (1..=32u8).filter(|&m| members & bit(m) != 0).collect();
            eprintln!(
                "committee round {round}: members {list:?} gave no valid signed answer; later present sets \
                 put them last"
            );
        }
        self.memory.standing.demote(members);
    }

    /// Calls every online member (concurrently); `Err("offline")` for a member without a link.
    fn call_all(&mut self, op: u8, body: &[u8]) -> Vec<Result<Vec<u8>, String>> {
        call_all(&mut self.links, op, body)
    }

    /// Calls `members` (ascending, distinct) concurrently with one request; their replies in that order.
    fn call_members(
        &mut self,
        members: &[u8],
        op: u8,
        body: &[u8],
    ) -> Vec<Result<Vec<u8>, String>> {
        call_some(&mut self.links, |m| members.contains(&m), op, body)
    }

    fn call(&mut self, member: u8, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        match self.links.get_mut(usize::from(member) - 1) {
            Some(Some(link)) => link.call(op, body),
            _ => Err("offline".into()),
        }
    }
}

/// Spend receipts by member, ascending (the bytes each member signed).
type MemberReceipts = Vec<(u8, Vec<u8>)>;

/// The most bytes of a member's (or the path's) own words kept in a report (review 29, R29-2).
const MAX_REASON_BYTES: usize = 200;

/// `reason` cut to [`MAX_REASON_BYTES`] (at a character boundary, "…" marking the cut): words the member or the
/// path chose, published in their own field.
fn bounded(reason: &str) -> String {
    if reason.len() <= MAX_REASON_BYTES {
        return reason.to_owned();
    }
    let mut end = MAX_REASON_BYTES;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &reason[..end])
}

/// [`bounded`] and quoted (control characters and quotes escaped): words the member or the path chose, inside a
/// report the relay writes, so they cannot pass for the relay's own sentences (review 29, R29-2).
fn quoted(reason: &str) -> String {
    format!("{:?}", bounded(reason))
}

/// Calls every member (concurrently); `Err("offline")` for a member without a link.
fn call_all(
    links: &mut [Option<Box<dyn MemberLink>>],
    op: u8,
    body: &[u8],
) -> Vec<Result<Vec<u8>, String>> {
    call_some(links, |_| true, op, body)
}

/// Calls the members `chosen` picks (1-based ids) concurrently; their replies in member order.
fn call_some(
    links: &mut [Option<Box<dyn MemberLink>>],
    chosen: impl Fn(u8) -> bool,
    op: u8,
    body: &[u8],
) -> Vec<Result<Vec<u8>, String>> {
    std::thread::scope(|s| {
        let handles: Vec<_> = links
            .iter_mut()
            .zip(1u8..)
            .filter(|(_, m)| chosen(*m))
            .map(|(l, _)| {
                s.spawn(move || match l {
                    Some(link) => link.call(op, body),
                    None => Err("offline".to_owned()),
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("member call panicked".into()))
            })
            .collect()
    })
}

/// The links during the ceremony.
struct Relay {
    links: Vec<Option<Box<dyn MemberLink>>>,
}

impl Relay {
    fn link(&mut self, i: usize) -> Result<&mut Box<dyn MemberLink>, RelayError> {
        self.links
            .get_mut(i)
            .and_then(Option::as_mut)
            .ok_or(RelayError::MemberOffline {
                member: i as u8 + 1,
            })
    }

    fn call(
        &mut self,
        i: usize,
        step: &'static str,
        op: u8,
        body: &[u8],
    ) -> Result<Vec<u8>, RelayError> {
        self.link(i)?
            .call(op, body)
            .map_err(|reason| RelayError::MemberRefused {
                member: i as u8 + 1,
                step,
                reason,
            })
    }

    /// Each member's reply to `op` (all n, concurrently).
    fn ask_each(&mut self, step: &'static str, op: u8) -> Result<Vec<Vec<u8>>, RelayError> {
        for i in 0..self.links.len() {
            self.link(i)?;
        }
        call_all(&mut self.links, op, &[])
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                r.map_err(|reason| RelayError::MemberRefused {
                    member: i as u8 + 1,
                    step,
                    reason,
                })
            })
            .collect()
    }

    /// Every member accepts every message (each member's messages in order, members concurrently).
    fn accept_all(&mut self, messages: &[Vec<u8>]) -> Result<(), RelayError> {
        let results = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .links
                .iter_mut()
                .map(|l| {
                    s.spawn(move || -> Result<(), String> {
                        let link = l.as_mut().ok_or("offline")?;
                        for m in messages {
                            link.call(ACCEPT, m)?;
                        }
                        Ok(())
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err("panicked".into())))
                .collect::<Vec<_>>()
        });
        for (i, r) in results.into_iter().enumerate() {
            r.map_err(|reason| RelayError::MemberRefused {
                member: i as u8 + 1,
                step: "accept",
                reason,
            })?;
        }
        Ok(())
    }

    /// The ceremony of docs/THRESHOLD.md §16.3 with every member: commit, accept all, reveal, accept all,
    /// deal sealed parts to every holder, ready, certify, key.
    fn ceremony(&mut self, roster: &CommitteeRoster) -> Result<CeremonyRecord, RelayError> {
        let n = self.links.len();
        let commits = self.ask_each("commit", COMMIT)?;
        self.accept_all(&commits)?;
        let reveals = self.ask_each("reveal", REVEAL)?;
        self.accept_all(&reveals)?;
        for d in 0..n {
            for h in 0..n {
                let sealed = self.call(d, "deal", DEAL, &[h as u8 + 1])?;
                self.call(h, "accept-sealed", ACCEPT_SEALED, &sealed)?;
            }
        }
        for (i, r) in self.ask_each("ready", READY)?.into_iter().enumerate() {
            if r != [1] {
                return Err(RelayError::MemberRefused {
                    member: i as u8 + 1,
                    step: "ready",
                    reason: "its holdings are not complete".into(),
                });
            }
        }
        let mut key_id = None;
        let mut signatures = Vec::new();
        for (i, c) in self.ask_each("certify", CERTIFY)?.into_iter().enumerate() {
            let member = i as u8 + 1;
            let bad = |why: &str| RelayError::MemberRefused {
                member,
                step: "certify",
                reason: why.to_owned(),
            };
            let id: [u8; 32] = c
                .get(..32)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| bad("short certificate reply"))?;
            if *key_id.get_or_insert(id) != id {
                return Err(bad("certified another key identity than member 1"));
            }
            let signature =
                Signature::from_bytes(&c[32..]).map_err(|_| bad("malformed signature"))?;
            signatures.push(KeySignature { member, signature });
        }
        let key_id = key_id.ok_or(RelayError::MemberOffline { member: 1 })?;
        certificate::check(
            &roster.epoch()?,
            &roster.verifying_keys()?,
            &key_id,
            &signatures,
        )
        .map_err(CommitteeError::from)?;
        let keys = self.ask_each("key", KEY)?;
        if keys.iter().any(|k| *k != keys[0]) {
            return Err(RelayError::Committee(CommitteeError::Protocol(
                "members computed different committee keys".into(),
            )));
        }
        Ok(CeremonyRecord {
            key: keys[0].clone(),
            key_id,
            messages: commits.into_iter().chain(reveals).collect(),
            signatures,
        })
    }
}

/// The record's header: magic, roster digest, design.
fn header(roster: &CommitteeRoster, design: Design) -> Result<Vec<u8>, RelayError> {
    let mut h = MAGIC.to_vec();
    h.extend_from_slice(roster.digest_hex()?.as_bytes());
    h.extend_from_slice(&design.clinics.to_le_bytes());
    h.extend_from_slice(&design.b_int.to_le_bytes());
    h.extend_from_slice(&(design.chunks as u64).to_le_bytes());
    Ok(h)
}

/// Writes the record atomically (temporary file, fsync, rename, fsync of the directory).
fn save(path: &Path, header: &[u8], r: &CeremonyRecord) -> Result<(), RelayError> {
    let io = |e: std::io::Error| RelayError::Storage(format!("{}: {e}", path.display()));
    let mut f = Vec::new();
    write_frame(&mut f, header).map_err(io)?;
    write_frame(&mut f, &r.key).map_err(io)?;
    write_frame(&mut f, &r.key_id).map_err(io)?;
    for m in &r.messages {
        write_frame(&mut f, m).map_err(io)?;
    }
    for s in &r.signatures {
        let mut b = vec![s.member];
        b.extend_from_slice(s.signature.as_bytes());
        write_frame(&mut f, &b).map_err(io)?;
    }
    write_atomically(path, &f).map_err(io)
}

/// Reads the record, refusing one of another roster or design.
fn load(path: &Path, header: &[u8], n: usize) -> Result<CeremonyRecord, RelayError> {
    let bad = |why: &str| RelayError::Storage(format!("{}: {why}", path.display()));
    let bytes = std::fs::read(path).map_err(|e| bad(&e.to_string()))?;
    let mut r = bytes.as_slice();
    let mut next = || {
        read_frame(&mut r)
            .map_err(|e| bad(&e.to_string()))?
            .ok_or_else(|| bad("truncated"))
    };
    if next()? != header {
        return Err(bad(
            "written for another committee roster or design (clinics, B_int, chunks); the committee's key \
             is fixed for its epoch: run with the same roster and --norm-bound/--scale/model, or start a new \
             epoch",
        ));
    }
    let key = next()?;
    let key_id = next()?
        .try_into()
        .map_err(|_| bad("key identity is not 32 bytes"))?;
    let messages = (0..2 * n).map(|_| next()).collect::<Result<Vec<_>, _>>()?;
    let mut signatures = Vec::with_capacity(n);
    for _ in 0..n {
        let s = next()?;
        let (&member, sig) = s.split_first().ok_or_else(|| bad("empty signature"))?;
        signatures.push(KeySignature {
            member,
            signature: Signature::from_bytes(sig).map_err(|_| bad("malformed signature"))?,
        });
    }
    Ok(CeremonyRecord {
        key,
        key_id,
        messages,
        signatures,
    })
}

/// The committee key in the BFV public-key wire format (`wire::bfv`: a, b_1..b_L), as `GET /v1/keys/bfv`
/// serves it and clinics encrypt under it.
///
/// # Errors
/// [`CommitteeError::Protocol`] if the key does not encode.
pub fn key_wire(key: &CommitteeKey) -> Result<Vec<u8>, CommitteeError> {
    type Pl = zkfl_core::ring::Poly<<P as zkfl_core::params::ParamSet>::M, N>;
    let a = Box::new(Pl { coeffs: *key.0 });
    let b: Vec<Pl> = key.1.iter().map(|c: &[C; N]| Pl { coeffs: *c }).collect();
    let mut out = vec![0u8; zkfl_core::wire::bfv::encoded_len::<P>(b.len())];
    zkfl_core::wire::bfv::encode_public_key::<P, N>(&a, &b, &mut out)
        .map_err(|e| CommitteeError::Protocol(format!("committee key encoding: {e}")))?;
    Ok(out)
}

/// The committee as the coordinator's [`Decryptor`] (threshold mode): decodes the round's kept submissions
/// into [`Submission`]s and runs [`Committee::decrypt`]; publishes how the round was decrypted.
pub struct CommitteeDecryptor {
    committee: std::sync::Mutex<Committee>,
    mode: String,
}

impl CommitteeDecryptor {
    /// Wraps a started committee.
    ///
    /// # Errors
    /// [`CommitteeError::Roster`] for a roster without an epoch.
    pub fn new(committee: Committee) -> Result<Self, CommitteeError> {
        let c = committee.roster().epoch()?.committee;
        Ok(Self {
            mode: mode(c.threshold(), c.members()),
            committee: std::sync::Mutex::new(committee),
        })
    }
}

/// The decryption mode rounds report in threshold mode.
#[must_use]
pub fn mode(threshold: u32, members: u32) -> String {
    format!("threshold {threshold}-of-{members}")
}

/// A kept submission as a member receives it.
///
/// # Errors
/// [`CommitteeError::Wire`] for a ciphertext that does not decode under set L.
pub fn submission(kept: &KeptSubmission) -> Result<Submission, CommitteeError> {
    type Pl = zkfl_core::ring::Poly<<P as zkfl_core::params::ParamSet>::M, N>;
    let h = zkfl_core::wire::bfv::read_header::<P>(
        &kept.ciphertext,
        zkfl_core::wire::bfv::KIND_CIPHERTEXT,
    )?;
    let mut c1 = Box::new(Pl::zero());
    let mut c0 = vec![Pl::zero(); h.chunks];
    zkfl_core::wire::bfv::decode_ciphertext::<P, N>(&kept.ciphertext, &mut c1, &mut c0)?;
    Ok(Submission {
        clinic: u64::from(kept.clinic_id.0),
        c1: Box::new(c1.coeffs),
        c0: c0.iter().map(|p| p.coeffs).collect(),
        proof: kept.proof.clone(),
    })
}

fn refusals_json(refusals: &[Refusal]) -> serde_json::Value {
    serde_json::to_value(refusals).unwrap_or_default()
}

impl Decryptor for CommitteeDecryptor {
    fn decrypt_aggregate(&self, _: &DecryptionRequest<'_>) -> Result<Vec<i64>, PortError> {
        Err(PortError::Decryption(
            "threshold mode decrypts a round from its accepted submissions (decrypt_round)".into(),
        ))
    }

    fn decrypt_round(
        &self,
        request: &DecryptionRequest<'_>,
        submissions: &[KeptSubmission],
    ) -> Result<Decrypted, PortError> {
        let subs = on_big_stack(|| {
            submissions
                .iter()
                .map(submission)
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| PortError::Decryption(format!("a kept submission: {e}")))?;
        let mut committee = self
            .committee
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match committee.decrypt(request.round.0, &subs) {
            Ok(d) => Ok(Decrypted {
                sums: d
                    .chunks
                    .iter()
                    .flatten()
                    .copied()
                    .take(request.model_dim as usize)
                    .collect(),
                report: Some(serde_json::json!({
                    "mode": self.mode,
                    "receipt_signers": d.receipt_signers,
                    "receipts": d.receipt_signers.iter().zip(&d.receipts)
                        .map(|(m, r)| serde_json::json!({"member": m, "receipt": hex::encode(r)}))
                        .collect::<Vec<_>>(),
                    "present": d.present,
                    "refusals": refusals_json(&d.refusals),
                    "exclusions": serde_json::to_value(&d.exclusions).unwrap_or_default(),
                    "unanswered": d.unanswered,
                    "supplements": d.supplements.iter()
                        .map(|(y, x)| serde_json::json!({"helper": y, "excluded": x}))
                        .collect::<Vec<_>>(),
                })),
            }),
            Err(RelayError::TooFewKeyHolders { why, refusals }) => {
                Err(PortError::TooFewKeyHolders {
                    message: why,
                    report: serde_json::json!({
                        "mode": self.mode,
                        "refusals": refusals_json(&refusals),
                    }),
                })
            }
            Err(e) => Err(PortError::Decryption(e.to_string())),
        }
    }

    fn needs_submissions(&self) -> bool {
        true
    }

    fn mode(&self) -> String {
        self.mode.clone()
    }

    fn health(&self) -> DecryptorHealth {
        DecryptorHealth {
            ok: true,
            state: "committee",
            restarts: 0,
        }
    }
}

#[cfg(test)]
mod reason_tests {
    use super::{MAX_REASON_BYTES, bounded, quoted};

    /// Review 29, R29-2: a member's (or the path's) words are cut and quoted, so they cannot pass for the relay's
    /// own sentences or grow a report without bound.
    #[test]
    fn member_words_are_cut_and_quoted() {
        assert_eq!(bounded("offline"), "offline");
        assert_eq!(quoted("withheld"), "\"withheld\"");
        let forged = "withheld); retry; member 3 excluded (Proof";
        assert_eq!(quoted(forged), format!("{forged:?}"));
        assert!(quoted("a\"b\nc").contains("\\\"") && quoted("a\"b\nc").contains("\\n"));
        let long = "é".repeat(MAX_REASON_BYTES);
        let cut = bounded(&long);
        assert!(cut.len() <= MAX_REASON_BYTES + '…'.len_utf8());
        assert!(cut.ends_with('…'));
        assert!(quoted(&"x".repeat(1 << 20)).len() < 2 * MAX_REASON_BYTES);
    }
}
