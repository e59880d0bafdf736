//! The in-process committee the tests of this module share: a 3-of-5 roster on set L with fixed seeds, members
//! admitting submissions without norm proofs, and clinics' real ciphertexts under the committee key.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::CommitteeError;
use super::link::MemberLink;
use super::member::{C, Combination, Design, Exclusion, K, Member, N, P, Submission};
use super::process::{ANSWER, RECEIPT, SUPPLEMENT, parse_reply, reply};
use super::relay::{self, Decryption, RelayError, on_big_stack};
use super::relay_memory::RelayMemory;
use super::roster::CommitteeRoster;
use super::standing::Standing;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng, SeedableRng};
use zkfl_core::channel::KemSecretKey;
use zkfl_core::channel::identity::SigningKey;
use zkfl_core::params::ParamSet;
use zkfl_core::policy::plaintext_modulus;
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::threshold::share_relation::covers;
use zkfl_core::threshold::slots::{Members, bit};
use zkfl_core::threshold::wire::signed::{self, AnswerFor, MemberKem};
use zkfl_core::threshold::wire::{Frame, HEADER_BYTES, decode_present};

pub type Pl = Poly<<P as ParamSet>::M, N>;

/// One chunk, 1024 clinics of B_int = 2^16: the smallest design whose plan has every term of set L's.
pub const DESIGN: Design = Design {
    clinics: 1024,
    b_int: 1 << 16,
    chunks: 1,
};

/// Member `i`'s identity seed.
pub fn seed(i: u8) -> [u8; 32] {
    [i; 32]
}

/// Member `i`'s KEM seed.
pub fn kem_seed(i: u8) -> [u8; 64] {
    [i + 100; 64]
}

/// The 3-of-5 roster of epoch 1 with every member's signed KEM key.
pub fn roster() -> CommitteeRoster {
    let mut r = CommitteeRoster {
        param_set: "L".into(),
        members: 5,
        threshold: 3,
        crs: hex::encode([17u8; 32]),
        epoch: 1,
        keys: (1..=5u8)
            .map(|i| hex::encode(SigningKey::from_seed(&seed(i)).verifying_key().as_bytes()))
            .collect(),
        kem_keys: Vec::new(),
        kem_signatures: Vec::new(),
    };
    let epoch = r.epoch().unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(17);
    for i in 1..=5u8 {
        let ek = KemSecretKey::<MemberKem>::from_seed(&kem_seed(i))
            .public_key()
            .clone();
        let sig = signed::sign_kem_key(&SigningKey::from_seed(&seed(i)), &epoch, i, &ek, &mut rng)
            .unwrap();
        r.kem_keys
            .push(hex::encode::<&[u8]>(ek.to_bytes().as_ref()));
        r.kem_signatures.push(hex::encode(sig.as_bytes()));
    }
    r
}

/// A fresh, empty directory for test `label` (unique per call: tests of several modules run at once).
pub fn dir(label: &str) -> std::path::PathBuf {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("zkfl-committee-{}-{n}-{label}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Member `i`'s database in `d`.
pub fn db(d: &std::path::Path, i: u8) -> std::path::PathBuf {
    d.join(format!("member-{i}.sqlite"))
}

/// Member `i` of `r` with its state in `d`, admitting submissions without proofs.
pub fn open(d: &std::path::Path, r: &CommitteeRoster, i: u8) -> Member {
    let mut m = Member::open(&db(d, i), r, i, &seed(i), &kem_seed(i), DESIGN).unwrap();
    m.admit_unverified();
    m
}

/// Runs `f` on a thread with room for set-L objects.
pub fn big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .name("committee-test".into())
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

/// Three clinics' real ciphertexts under the committee key (a, b), and the sum of their plaintexts.
pub fn clinics(key: &(Box<[C; N]>, Vec<[C; N]>), seed: u64) -> (Vec<Submission>, Vec<i64>) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let plain =
        zkfl_core::bfv::PlainModulus::new(plaintext_modulus(DESIGN.clinics, DESIGN.b_int).unwrap())
            .unwrap();
    let a_ntt = Box::new(NttPoly::<N, K>::from_poly(&Pl { coeffs: *key.0 }));
    let b_ntt: Vec<NttPoly<N, K>> = key
        .1
        .iter()
        .map(|c| NttPoly::from_poly(&Pl { coeffs: *c }))
        .collect();
    let mut sum = vec![0i64; N];
    let subs = (0..3)
        .map(|i| {
            let m: [i64; N] = core::array::from_fn(|_| (rng.next_u64() % 201) as i64 - 100);
            for (s, v) in sum.iter_mut().zip(&m) {
                *s += v;
            }
            let mut c1 = Box::new(Pl::zero());
            let mut c0 = vec![Pl::zero()];
            zkfl_core::bfv::encrypt::<P, N, K>(
                &a_ntt,
                &b_ntt,
                plain,
                &[m],
                &mut rng,
                &mut c1,
                &mut c0,
            )
            .unwrap();
            Submission {
                clinic: 100 + i,
                c1: Box::new(c1.coeffs),
                c0: c0.iter().map(|p| p.coeffs).collect(),
                proof: Vec::new(),
            }
        })
        .collect();
    (subs, sum)
}

pub fn mask(ms: &[u8]) -> Members {
    ms.iter().fold(0, |m, &i| m | bit(i))
}

pub fn spent_rows(path: &std::path::Path) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM spent", [], |r| r.get(0))
        .unwrap()
}

/// Five members after a complete ceremony (every message as bytes), the aggregator's combination that observed
/// the public messages, and the committee key.
pub struct Committee {
    pub dir: std::path::PathBuf,
    pub roster: CommitteeRoster,
    pub members: Vec<Member>,
    pub combination: Combination,
    pub key: (Box<[C; N]>, Vec<[C; N]>),
}

pub fn committee(label: &str) -> Committee {
    let d = dir(label);
    let r = roster();
    let mut members: Vec<Member> = (1..=5).map(|i| open(&d, &r, i)).collect();
    let commits: Vec<Vec<u8>> = members.iter_mut().map(|m| m.commit().unwrap()).collect();
    for m in &mut members {
        for c in &commits {
            m.accept(c).unwrap();
        }
    }
    let reveals: Vec<Vec<u8>> = members.iter().map(|m| m.reveal().unwrap()).collect();
    for m in &mut members {
        for rv in &reveals {
            m.accept(rv).unwrap();
        }
    }
    for dd in 0..5 {
        for hh in 0..5 {
            let bytes = members[dd].deal_to(hh as u8 + 1).unwrap();
            members[hh].accept_sealed(&bytes).unwrap();
        }
    }
    for m in &mut members {
        m.admit_unverified();
        assert!(m.ready());
    }
    let key = members[0].committee_key().unwrap();
    let mut combination = Combination::new(&r, DESIGN, key.0.clone(), key.1.clone()).unwrap();
    combination.admit_unverified();
    for msg in commits.iter().chain(&reveals) {
        combination.observe(msg).unwrap();
    }
    Committee {
        dir: d,
        roster: r,
        members,
        combination,
        key,
    }
}

/// Receipts of `signers` for the aggregate of `round`.
pub fn receipts(
    c: &mut Committee,
    round: u64,
    subs: &[Submission],
    signers: &[u8],
) -> Vec<Vec<u8>> {
    signers
        .iter()
        .map(|&i| c.members[usize::from(i) - 1].receipt(round, subs).unwrap())
        .collect()
}

/// The request a present-set message (0x13) names, for member `member` and excluded member `x`.
pub fn request(r: &CommitteeRoster, p: &[u8], member: u8, x: u8) -> AnswerFor {
    let epoch = r.epoch().unwrap();
    let frame = Frame {
        epoch: &epoch,
        chunks: DESIGN.chunks,
    };
    let present = decode_present::<P>(&frame, p).unwrap();
    AnswerFor {
        member,
        round: present.round,
        binding: present.binding,
        present: present.members,
        supplement_for: x,
    }
}

/// `body ‖ σ`, σ member `signer`'s own signature for `what` (§15.3): what a corrupt member can sign (it holds its
/// key), built outside `Member`.
pub fn signed_by(r: &CommitteeRoster, signer: u8, what: &AnswerFor, body: &[u8]) -> Vec<u8> {
    let sig = signed::sign_answer(
        &SigningKey::from_seed(&seed(signer)),
        &r.epoch().unwrap(),
        what,
        body,
        &mut ChaCha20Rng::seed_from_u64(u64::from(signer) + 1700),
    )
    .unwrap();
    let mut out = body.to_vec();
    out.extend_from_slice(sig.as_bytes());
    out
}

/// A corrupt member's wrong answer: its honest answer with +Δ on coefficient 0 of chunk 0, re-signed by it.
pub fn cheat(r: &CommitteeRoster, p: &[u8], member: u8, honest: &[u8]) -> Vec<u8> {
    cheat_for(r, p, member, 0, honest)
}

/// [`cheat`] for the supplementary answer for excluded member `x` (0: a regular answer).
pub fn cheat_for(r: &CommitteeRoster, p: &[u8], member: u8, x: u8, honest: &[u8]) -> Vec<u8> {
    let mut body = honest[..honest.len() - signed::SIGNED_OVERHEAD].to_vec();
    let delta = zkfl_core::bfv::PlainModulus::<<P as ParamSet>::M>::new(
        plaintext_modulus(DESIGN.clinics, DESIGN.b_int).unwrap(),
    )
    .unwrap()
    .delta();
    let at = HEADER_BYTES + 44;
    let mut c = [0u8; 16];
    c[..11].copy_from_slice(&body[at..at + 11]);
    let q = <<P as ParamSet>::M as zkfl_core::arith::Modulus>::Q;
    let bumped = (u128::from_le_bytes(c) + delta) % q;
    body[at..at + 11].copy_from_slice(&bumped.to_le_bytes()[..11]);
    signed_by(r, member, &request(r, p, member, x), &body)
}

pub fn committee_shape(r: &CommitteeRoster) -> zkfl_core::threshold::Committee {
    r.epoch().unwrap().committee
}

pub fn slots_covered(r: &CommitteeRoster, present: Members, x: u8, member: u8) -> Vec<usize> {
    let c = committee_shape(r);
    (0..c.slots())
        .filter(|&u| covers(&c, present, x, member, u))
        .collect()
}

/// Honest answers of `present` for `round`, member `cheater` (0: none) replaced by its re-signed wrong answer.
pub fn answers(
    c: &mut Committee,
    round: u64,
    subs: &[Submission],
    p: &[u8],
    rs: &[Vec<u8>],
    present: &[u8],
    cheater: u8,
) -> Vec<(u8, Vec<u8>)> {
    present
        .iter()
        .map(|&m| {
            let honest = c.members[usize::from(m) - 1]
                .answer(round, subs, p, rs)
                .unwrap();
            let bytes = if m == cheater {
                cheat(&c.roster, p, m, &honest)
            } else {
                honest
            };
            (m, bytes)
        })
        .collect()
}

/// An honest member in this process, behind the link the relay uses for a member on another host.
pub struct InProcess(pub Member);

impl MemberLink for InProcess {
    fn call(&mut self, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        let mut request = vec![op];
        request.extend_from_slice(body);
        let member = &mut self.0;
        parse_reply(&on_big_stack(|| reply(member, &request)))
    }
}

/// The state after one key ceremony of the five members over honest in-process links (their databases and the
/// relay's ceremony record), made once per test process: the ceremony is the slow part, and every relay
/// scenario starts from the same committee by copying it (`copy_of`).
pub fn ceremony() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = dir("ceremony-template");
        let r = roster();
        let links = (1..=5)
            .map(|i| Some(Box::new(InProcess(open(&d, &r, i))) as Box<dyn MemberLink>))
            .collect();
        on_big_stack(|| relay::Committee::start(r, DESIGN, links, &d).map(drop)).unwrap();
        d
    })
}

/// A fresh directory for test `label` holding a copy of the files of `from`.
pub fn copy_of(from: &Path, label: &str) -> PathBuf {
    let d = dir(label);
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), d.join(e.file_name())).unwrap();
    }
    d
}

/// What one member, or the path to it, does in given rounds (rounds as listed; 0 ends a list).
#[derive(Clone, Copy, Debug, Default)]
pub struct Faults {
    /// A corrupt member that signs its receipt, then drops the answer request, in these rounds.
    pub withhold: [u64; 2],
    /// The path flips one byte of the member's signed answer in this round.
    pub garble: u64,
    /// The path drops the member's spend receipt in this round (a timeout; the member is not a live signer).
    pub drop_receipt: u64,
}

/// A member in this process with `faults` applied to its replies.
pub struct FaultyLink {
    member: Member,
    faults: Faults,
}

impl MemberLink for FaultyLink {
    fn call(&mut self, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        let round = body
            .get(..8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
            .unwrap_or(0);
        if op == RECEIPT && round == self.faults.drop_receipt {
            return Err("timed out (the path dropped the receipt)".into());
        }
        if op == ANSWER && self.faults.withhold.contains(&round) && round != 0 {
            return Err("connection closed (the member withholds its answer)".into());
        }
        let mut req = vec![op];
        req.extend_from_slice(body);
        let member = &mut self.member;
        let mut out = parse_reply(&on_big_stack(|| reply(member, &req)))?;
        if op == ANSWER && round == self.faults.garble {
            out[HEADER_BYTES + 50] ^= 1;
        }
        Ok(out)
    }
}

/// The relay over the five members in `d`, member i with `faults[i − 1]` applied to its replies.
pub fn start_faulty(d: &Path, faults: [Faults; 5]) -> relay::Committee {
    let r = roster();
    let links = (1..=5u8)
        .map(|i| {
            Some(Box::new(FaultyLink {
                member: open(d, &r, i),
                faults: faults[usize::from(i) - 1],
            }) as Box<dyn MemberLink>)
        })
        .collect();
    let mut c = relay::Committee::start(r, DESIGN, links, d).unwrap();
    c.admit_unverified();
    c
}

/// `rounds` rounds over a copy of the ceremony (round r's clinics seeded `seed + r`, each round checked bit-exact
/// when it decrypts); the aggregator restarts after `restart_after`.
pub fn run_faulty(
    label: &str,
    faults: [Faults; 5],
    rounds: u64,
    restart_after: u64,
    seed: u64,
) -> Vec<Result<Decryption, RelayError>> {
    let d = copy_of(ceremony(), label);
    let mut c = start_faulty(&d, faults);
    let mut out = Vec::new();
    for r in 1..=rounds {
        let (subs, sum) = clinics(c.key(), seed + r);
        let res = c.decrypt(r, &subs);
        if let Ok(done) = &res {
            assert_eq!(done.chunks[0].to_vec(), sum, "round {r} bit-exact");
        }
        out.push(res);
        if r == restart_after {
            drop(c);
            c = start_faulty(&d, faults);
        }
    }
    drop(c);
    let _ = std::fs::remove_dir_all(&d);
    out
}

/// P of a decrypted round.
pub fn present_of(r: &Result<Decryption, RelayError>) -> Option<Vec<u8>> {
    r.as_ref().ok().map(|d| d.present.clone())
}

/// Whether the round was lost because `member` closed the connection instead of answering.
pub fn lost_to_silence(r: &Result<Decryption, RelayError>, member: u8) -> bool {
    let Err(RelayError::Committee(CommitteeError::Protocol(why))) = r else {
        return false;
    };
    let Some((_, rest)) = why.split_once("holding slots did not answer (") else {
        return false;
    };
    let listed = rest.split(')').next().unwrap_or_default();
    listed.split(", ").any(|m| m == format!("member {member}"))
}

/// Decrypts `round` through the relay (three clinics seeded by `seed`); a round that decrypts must be bit-exact.
pub fn decrypt_exact(
    c: &mut relay::Committee,
    round: u64,
    seed: u64,
) -> Result<Decryption, RelayError> {
    let (subs, sum) = clinics(c.key(), seed);
    let res = c.decrypt(round, &subs);
    if let Ok(done) = &res {
        assert_eq!(done.chunks[0].to_vec(), sum, "round {round} is bit-exact");
    }
    res
}

/// What the link to one member (the member itself, or the path after it) does to its reply to one step. The
/// review modules make every fault here, outside `Member`, so a fault is what a malicious member or the path
/// can really send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Pass,
    /// The reply is lost (the path dropped it, or the member withholds it).
    Withhold,
    /// The low bit of the byte at this offset of the signed reply is flipped after signing (the path changed it).
    Flip(usize),
    /// The last byte (inside the signature) is flipped after signing.
    FlipLast,
    /// The reply is replaced by this many bytes of garbage (the path made it; 0: an empty reply).
    Replace(usize),
    /// The reply is replaced by an empty success: a reply `0` and nothing else (over HTTP a 200 with that body),
    /// which `process::parse_reply` reads as `Ok` with no bytes.
    Empty,
    /// The reply is replaced by a refusal in these words (the member's own, or the path's: over HTTP a reply
    /// `1 ‖ text`, or a non-200 status with a body, is a refusal in words).
    Refuse(&'static str),
    /// The reply is replaced by a refusal of this many bytes.
    RefuseLong(usize),
    /// Supplements only: the member signs, for exactly the request, its honest supplement with Δ added to one
    /// share (a helper cheating in its supplement alone).
    SignWrong,
}

/// A byte of a signed answer's share proof: covered by the signature, not read before the signature check.
pub const INSIDE: usize = HEADER_BYTES + 50;

/// One member's part in a scenario: whether it cheats in its regular answer (wrong shares it signs itself) and
/// what its link does to its receipt, its answer and its supplements.
#[derive(Clone, Copy, Debug)]
pub struct Script {
    pub member: u8,
    pub cheat: bool,
    pub receipt: Act,
    pub answer: Act,
    pub supplement: Act,
}

impl Script {
    /// An honest member whose replies pass.
    pub fn honest(member: u8) -> Self {
        Script {
            member,
            cheat: false,
            receipt: Act::Pass,
            answer: Act::Pass,
            supplement: Act::Pass,
        }
    }
}

/// (member, cheats, answer act, supplement act).
impl From<(u8, bool, Act, Act)> for Script {
    fn from((member, cheat, answer, supplement): (u8, bool, Act, Act)) -> Self {
        Script {
            cheat,
            answer,
            supplement,
            ..Script::honest(member)
        }
    }
}

/// (member, cheats, answer act).
impl From<(u8, bool, Act)> for Script {
    fn from((member, cheat, answer): (u8, bool, Act)) -> Self {
        Script {
            cheat,
            answer,
            ..Script::honest(member)
        }
    }
}

/// (excluded x, the present-set message) of a SUPPLEMENT body (`process::encode_supplement`).
pub fn supplement_request(body: &[u8]) -> (u8, Vec<u8>) {
    let x = body[0];
    let ev = u32::from_le_bytes(body[1..5].try_into().unwrap()) as usize;
    let rest = &body[5 + ev + 8..];
    let plen = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
    (x, rest[4..4 + plen].to_vec())
}

/// An in-process member behind the link the relay uses for a member on another host, its replies as scripted.
pub struct ScriptedLink {
    member: Member,
    script: Script,
}

impl ScriptedLink {
    fn act(&self, op: u8, body: &[u8], out: Result<Vec<u8>, String>) -> Result<Vec<u8>, String> {
        let act = match op {
            RECEIPT => self.script.receipt,
            ANSWER => self.script.answer,
            SUPPLEMENT => self.script.supplement,
            _ => Act::Pass,
        };
        match act {
            Act::Pass => out,
            Act::Withhold => Err("withheld".into()),
            Act::Flip(at) => out.map(|mut b| {
                b[at] ^= 1;
                b
            }),
            Act::FlipLast => out.map(|mut b| {
                if let Some(last) = b.last_mut() {
                    *last ^= 1;
                }
                b
            }),
            Act::Replace(len) => out.map(|_| vec![0x5a; len]),
            Act::Empty => parse_reply(&[0]),
            Act::Refuse(words) => Err(words.into()),
            Act::RefuseLong(len) => Err("x".repeat(len)),
            Act::SignWrong => {
                let (x, present) = supplement_request(body);
                Ok(cheat_for(
                    &roster(),
                    &present,
                    self.member.index(),
                    x,
                    &out?,
                ))
            }
        }
    }
}

impl MemberLink for ScriptedLink {
    fn call(&mut self, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        let mut req = vec![op];
        req.extend_from_slice(body);
        let member = &mut self.member;
        let out = parse_reply(&on_big_stack(|| reply(member, &req)));
        self.act(op, body, out)
    }
}

/// The relay over the five members in `d`, each as its script says (members without one honest).
pub fn start_scripted<S: Into<Script> + Copy>(d: &Path, scripts: &[S]) -> relay::Committee {
    let r = roster();
    let scripts: Vec<Script> = scripts.iter().map(|&s| s.into()).collect();
    let links = (1..=5u8)
        .map(|i| {
            let script = scripts
                .iter()
                .find(|s| s.member == i)
                .copied()
                .unwrap_or_else(|| Script::honest(i));
            let mut member = open(d, &r, i);
            if script.cheat {
                member.corrupt_shares_for_demo();
            }
            Some(Box::new(ScriptedLink { member, script }) as Box<dyn MemberLink>)
        })
        .collect();
    let mut c = relay::Committee::start(r, DESIGN, links, d).unwrap();
    c.admit_unverified();
    c
}

/// The standing the relay saved in `d` and its demotion times of members 1..=5 (read from the file itself).
pub fn saved(d: &Path, key_id: &[u8; 32]) -> (Standing, [u64; 5]) {
    let standing = RelayMemory::load(d, key_id).unwrap().standing;
    let stored: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("committee-relay.json")).unwrap()).unwrap();
    let at = core::array::from_fn(|i| stored["standing"]["last_demoted"][i].as_u64().unwrap());
    (standing, at)
}

/// Round 1 of a fresh copy of the committee with `scripts` (clinics seeded by `seed`, bit-exact if it decrypts):
/// its result, and the standing and demotion times the relay saved after it.
pub fn round_one<S: Into<Script> + Copy>(
    label: &str,
    scripts: &[S],
    seed: u64,
) -> (Result<Decryption, RelayError>, Standing, [u64; 5]) {
    let d = copy_of(ceremony(), label);
    let mut c = start_scripted(&d, scripts);
    let res = decrypt_exact(&mut c, 1, seed);
    let key_id = c.record().key_id;
    drop(c);
    let (s, at) = saved(&d, &key_id);
    let _ = std::fs::remove_dir_all(&d);
    (res, s, at)
}

/// The members of exclusions.
pub fn members(e: &[Exclusion]) -> Vec<u8> {
    e.iter().map(|e| e.member).collect()
}

/// The members a round returns as excluded, decrypted or not (`None`: an error that returns none).
pub fn returned(res: &Result<Decryption, RelayError>) -> Option<Vec<u8>> {
    match res {
        Err(RelayError::Committee(
            CommitteeError::Excluded(ex)
            | CommitteeError::RelayAndExcluded { excluded: ex, .. }
            | CommitteeError::TooManyShareSets { excluded: ex, .. }
            | CommitteeError::Unrepairable { excluded: ex },
        )) => Some(members(ex)),
        Err(_) => None,
        Ok(d) => Some(d.exclusions.iter().map(|e| e.member).collect()),
    }
}

/// The text the aggregator publishes for a failed round (`CommitteeDecryptor`: the error's Display).
pub fn published(res: &Result<Decryption, RelayError>) -> String {
    res.as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default()
}
