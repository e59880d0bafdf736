//! A copy of the fixture's committee whose member links a test switches between attempts (and keeps across a
//! relay restart): the harness reviews 31–34 drive `relay::Committee::decrypt` through. Each link computes the
//! member's real reply and records it, then replaces the reply to the steps the test chose — the faults a
//! malicious member or the path can make, made outside `Member`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::fixture::{DESIGN, ceremony, copy_of, db, open, roster, spent_rows};
use super::link::MemberLink;
use super::member::{Member, Submission};
use super::process::{ANSWER, RECEIPT, parse_reply, reply};
use super::relay::{Committee, Decryption, RelayError, on_big_stack};
use super::relay_memory::{RelayMemory, RoundMemo};

/// What the path (or the member) does to one step's reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A refusal, or a lost reply, in these words: `Err`.
    Refuse(&'static str),
    /// A success with no bytes (`0` alone; over HTTP a 200 with that body).
    Empty,
    /// The member's bytes with their last byte flipped (a change made on the path).
    Flip,
    /// A success carrying these bytes instead of the member's (a replay the test chose).
    Bytes(Vec<u8>),
}

/// The words of a reply the path dropped.
pub const DROPPED: &str = "timed out (the path dropped the reply)";

/// Per member, the faults of its link: (step, fault), changed by the test between attempts.
type Switch = Arc<Mutex<Vec<(u8, Fault)>>>;

/// Per member, every successful reply the member itself made: (step, round, bytes).
type Seen = Arc<Mutex<Vec<(u8, u64, Vec<u8>)>>>;

/// An in-process member whose replies are recorded, then pass through `switch`.
struct Link {
    member: Member,
    switch: Switch,
    seen: Seen,
}

impl MemberLink for Link {
    fn call(&mut self, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        let mut req = vec![op];
        req.extend_from_slice(body);
        let member = &mut self.member;
        let out = parse_reply(&on_big_stack(|| reply(member, &req)));
        if let Ok(bytes) = &out {
            let round = body
                .get(..8)
                .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap()));
            self.seen.lock().unwrap().push((op, round, bytes.clone()));
        }
        let fault = self
            .switch
            .lock()
            .unwrap()
            .iter()
            .find(|(o, _)| *o == op)
            .map(|(_, f)| f.clone());
        match fault {
            None => out,
            Some(Fault::Refuse(words)) => Err(words.into()),
            Some(Fault::Empty) => parse_reply(&[0]),
            Some(Fault::Flip) => out.map(|mut b| {
                if let Some(last) = b.last_mut() {
                    *last ^= 1;
                }
                b
            }),
            Some(Fault::Bytes(b)) => Ok(b),
        }
    }
}

/// A copy of the committee (the fixture's one-chunk design of set L: P = {1, 2, 3, 4}, member 4 slotless, w = 4)
/// with its five switches and records; `cheaters` sign wrong shares (their own corrupt answers).
pub struct Rig {
    pub dir: PathBuf,
    switches: Vec<Switch>,
    pub seen: Vec<Seen>,
    cheaters: Vec<u8>,
}

impl Rig {
    pub fn new(label: &str) -> Self {
        Self::with_cheaters(label, &[])
    }

    pub fn with_cheaters(label: &str, cheaters: &[u8]) -> Self {
        Self {
            dir: copy_of(ceremony(), label),
            switches: (0..5).map(|_| Switch::default()).collect(),
            seen: (0..5).map(|_| Seen::default()).collect(),
            cheaters: cheaters.to_vec(),
        }
    }

    /// A relay over the members' databases and the relay memory in the rig's directory (a restart when called
    /// again).
    pub fn start(&self) -> Committee {
        let r = roster();
        let links = (1..=5u8)
            .map(|i| {
                let k = usize::from(i) - 1;
                let mut member = open(&self.dir, &r, i);
                if self.cheaters.contains(&i) {
                    member.corrupt_shares_for_demo();
                }
                Some(Box::new(Link {
                    member,
                    switch: Arc::clone(&self.switches[k]),
                    seen: Arc::clone(&self.seen[k]),
                }) as Box<dyn MemberLink>)
            })
            .collect();
        let mut c = Committee::start(r, DESIGN, links, &self.dir).unwrap();
        c.admit_unverified();
        c
    }

    /// Member `m`'s link: `faults` from now on.
    pub fn set(&self, m: u8, faults: &[(u8, Fault)]) {
        *self.switches[usize::from(m) - 1].lock().unwrap() = faults.to_vec();
    }

    /// Member `m`'s link: `fault` on `op` too, from now on.
    pub fn add(&self, m: u8, op: u8, fault: Fault) {
        self.switches[usize::from(m) - 1]
            .lock()
            .unwrap()
            .push((op, fault));
    }

    /// Member `m`'s replies to `ops` are dropped from now on ([`DROPPED`]).
    pub fn drop_replies(&self, m: u8, ops: &[u8]) {
        let faults: Vec<(u8, Fault)> = ops.iter().map(|&op| (op, Fault::Refuse(DROPPED))).collect();
        self.set(m, &faults);
    }

    /// Every link passes from now on.
    pub fn clear(&self) {
        for m in 1..=5 {
            self.set(m, &[]);
        }
    }

    /// The last receipt member `m` itself signed for `round`.
    pub fn own_receipt(&self, m: u8, round: u64) -> Vec<u8> {
        self.seen[usize::from(m) - 1]
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(op, r, _)| *op == RECEIPT && *r == round)
            .map(|(_, _, b)| b.clone())
            .expect("the member signed a receipt for the round")
    }

    /// The replies member `m` itself made to `op`, oldest first.
    pub fn replies(&self, m: u8, op: u8) -> Vec<Vec<u8>> {
        self.seen[usize::from(m) - 1]
            .lock()
            .unwrap()
            .iter()
            .filter(|(o, _, _)| *o == op)
            .map(|(_, _, b)| b.clone())
            .collect()
    }

    /// How many answer requests the members have answered so far (whatever the path then did to the reply).
    pub fn answer_calls(&self) -> usize {
        (1..=5).map(|m| self.replies(m, ANSWER).len()).sum()
    }

    pub fn memory(&self, c: &Committee) -> RelayMemory {
        RelayMemory::load(&self.dir, &c.record().key_id).unwrap()
    }

    /// The memory's entries for `round` (one per aggregate the relay tells apart).
    pub fn entries(&self, c: &Committee, round: u64) -> Vec<RoundMemo> {
        self.memory(c)
            .rounds
            .iter()
            .filter(|((r, _), _)| *r == round)
            .map(|(_, m)| m.clone())
            .collect()
    }

    /// Rows of every member's spent ledger (receipt markers, answer and decryption markers).
    pub fn spent(&self) -> Vec<i64> {
        (1..=5).map(|i| spent_rows(&db(&self.dir, i))).collect()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Decrypts `round` of `subs`; a decryption must be bit-exact against the clinics' `sum`.
pub fn decrypt(
    c: &mut Committee,
    round: u64,
    subs: &[Submission],
    sum: &[i64],
) -> Result<Decryption, RelayError> {
    let res = c.decrypt(round, subs);
    if let Ok(d) = &res {
        assert_eq!(d.chunks[0].to_vec(), sum, "bit-exact");
    }
    res
}
