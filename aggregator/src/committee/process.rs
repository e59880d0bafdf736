//! A committee member as its own process (`zkfl keyholder --committee --dir members/<i>`): the member's
//! [`Member`] behind the key holder's length-prefixed frames on stdin/stdout (`crate::keyholder::read_frame`,
//! the same transport `zkfl serve` uses for its single-decryptor key holder), and [`MemberProcess`], the
//! relay's handle on one such child.
//!
//! Request: `op u8 ‖ body`. Reply: `0x00 ‖ body` or `0x01 ‖ UTF-8 reason` (the member's typed refusal, in words).
//! Every ceremony message is already end-to-end protected (signed, 0x12 sealed to the holder's roster KEM key:
//! `threshold::wire::signed`), so the relay that carries these frames learns and changes nothing.
//!
//! Ops: [`COMMIT`] → signed 0x10; [`ACCEPT`] (signed 0x10/0x11) → empty; [`REVEAL`] → signed 0x11; [`DEAL`]
//! (holder u8) → sealed 0x12; [`ACCEPT_SEALED`] (sealed 0x12) → empty; [`CERTIFY`] → key identity (32) ‖ ML-DSA
//! signature (3,309); [`READY`] → one byte, 1 if the holdings are complete.
//! [`RECEIPT`] → 0x14 and [`ANSWER`] → 0x15 and its 0x16 proofs for a round's submissions (each member verifies
//! every norm proof); [`SUPPLEMENT`] → a supplementary answer for an excluded member's slots.

pub mod auth;
pub mod http;

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use zeroize::Zeroizing;

use super::CommitteeError;
use super::member::{C, Design, Member, N, P, Submission};
use super::roster::CommitteeRoster;
use crate::keyholder::{PipedChild, read_frame_within, write_frame};

/// Op: make and sign this member's commitment.
pub const COMMIT: u8 = 1;
/// Op: accept a relayed signed commitment or reveal.
pub const ACCEPT: u8 = 2;
/// Op: this member's signed reveal.
pub const REVEAL: u8 = 3;
/// Op: this member's sealed dealt parts for one holder.
pub const DEAL: u8 = 4;
/// Op: accept a relayed sealed 0x12.
pub const ACCEPT_SEALED: u8 = 5;
/// Op: this member's committee key certificate signature.
pub const CERTIFY: u8 = 6;
/// Op: whether the holdings are complete.
pub const READY: u8 = 7;
/// Op: verify a round's submissions, spend their aggregate and return the spend receipt (0x14). Body:
/// round (u64) ‖ submissions ([`encode_submissions`]).
pub const RECEIPT: u8 = 8;
/// Op: the share set (0x15) for a present set (0x13) and the quorum's receipts. Body: round (u64) ‖ present
/// set (u32 length ‖ bytes) ‖ receipt count (u8) ‖ receipts (u32 length ‖ bytes each) ‖ submissions.
pub const ANSWER: u8 = 9;

/// Op: the committee key (a, b_1..b_L) this member computed, as L + 1 canonical polynomials.
pub const KEY: u8 = 10;
/// Op: a supplementary answer for the slots of an excluded member (docs/THRESHOLD.md §3.2.1). Body: excluded
/// member (u8) ‖ evidence (u32 length ‖ the excluded member's signed answer as received, review 16 R16-3b) ‖ an
/// [`ANSWER`] body ([`encode_supplement`]).
pub const SUPPLEMENT: u8 = 11;

type Pl = zkfl_core::ring::Poly<<P as zkfl_core::params::ParamSet>::M, N>;

fn poly_len() -> usize {
    zkfl_core::wire::poly::poly_bytes::<<P as zkfl_core::params::ParamSet>::M>(N)
}

/// Encodes submissions: count (u32), then per submission clinic (u64), L (u32), c1, c0_1..c0_L (canonical
/// polynomials), proof length (u32) and proof.
#[must_use]
pub fn encode_submissions(subs: &[Submission]) -> Vec<u8> {
    let mut out = (subs.len() as u32).to_le_bytes().to_vec();
    let mut buf = vec![0u8; poly_len()];
    for s in subs {
        out.extend_from_slice(&s.clinic.to_le_bytes());
        out.extend_from_slice(&(s.c0.len() as u32).to_le_bytes());
        for c in std::iter::once(&*s.c1).chain(&s.c0) {
            zkfl_core::wire::poly::encode_poly(&Pl { coeffs: *c }, &mut buf);
            out.extend_from_slice(&buf);
        }
        out.extend_from_slice(&(s.proof.len() as u32).to_le_bytes());
        out.extend_from_slice(&s.proof);
    }
    out
}

/// Reads bytes off the front of a request.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], CommitteeError> {
        if self.0.len() < n {
            return Err(CommitteeError::Protocol("request truncated".into()));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn u32(&mut self) -> Result<usize, CommitteeError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().unwrap_or_default()) as usize)
    }
    fn u64(&mut self) -> Result<u64, CommitteeError> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().unwrap_or_default(),
        ))
    }
    fn poly(&mut self) -> Result<Box<[C; N]>, CommitteeError> {
        let mut p = Box::new(Pl::zero());
        zkfl_core::wire::poly::decode_poly(self.take(poly_len())?, 0, &mut p)?;
        Ok(Box::new(p.coeffs))
    }
    fn submissions(&mut self) -> Result<Vec<Submission>, CommitteeError> {
        let count = self.u32()?;
        let mut subs = Vec::new();
        for _ in 0..count {
            let clinic = self.u64()?;
            let chunks = self.u32()?;
            if chunks == 0 || chunks > <P as zkfl_core::params::ParamSet>::MAX_CHUNKS {
                return Err(CommitteeError::Protocol("submission chunk count".into()));
            }
            let c1 = self.poly()?;
            let c0 = (0..chunks)
                .map(|_| self.poly().map(|p| *p))
                .collect::<Result<_, _>>()?;
            let len = self.u32()?;
            let proof = self.take(len)?.to_vec();
            subs.push(Submission {
                clinic,
                c1,
                c0,
                proof,
            });
        }
        if !self.0.is_empty() {
            return Err(CommitteeError::Protocol("trailing bytes".into()));
        }
        Ok(subs)
    }
}

/// Decodes a [`KEY`] reply: (a, b_1..b_L).
///
/// # Errors
/// [`CommitteeError::Wire`]/[`CommitteeError::Protocol`] for bytes that are not whole canonical polynomials.
pub fn decode_key(bytes: &[u8]) -> Result<super::member::CommitteeKey, CommitteeError> {
    if !bytes.len().is_multiple_of(poly_len()) || bytes.len() < 2 * poly_len() {
        return Err(CommitteeError::Protocol("committee key length".into()));
    }
    let mut r = Reader(bytes);
    let a = r.poly()?;
    let mut b = Vec::new();
    while !r.0.is_empty() {
        b.push(*r.poly()?);
    }
    Ok((a, b))
}

/// Encodes an [`ANSWER`] body.
#[must_use]
pub fn encode_answer(
    round: u64,
    present: &[u8],
    receipts: &[Vec<u8>],
    subs: &[Submission],
) -> Vec<u8> {
    let mut out = round.to_le_bytes().to_vec();
    out.extend_from_slice(&(present.len() as u32).to_le_bytes());
    out.extend_from_slice(present);
    out.push(receipts.len() as u8);
    for r in receipts {
        out.extend_from_slice(&(r.len() as u32).to_le_bytes());
        out.extend_from_slice(r);
    }
    out.extend_from_slice(&encode_submissions(subs));
    out
}

/// Encodes a [`SUPPLEMENT`] body: the excluded member, its signed failing answer (the evidence the helper
/// checks, `Combination::supplement_requests`), then the [`ANSWER`] body of the same round.
#[must_use]
pub fn encode_supplement(
    excluded: u8,
    evidence: &[u8],
    round: u64,
    present: &[u8],
    receipts: &[Vec<u8>],
    subs: &[Submission],
) -> Vec<u8> {
    let mut out = vec![excluded];
    out.extend_from_slice(&(evidence.len() as u32).to_le_bytes());
    out.extend_from_slice(evidence);
    out.extend_from_slice(&encode_answer(round, present, receipts, subs));
    out
}

/// The roster copy in member directory `dir` (`committee-roster.json`).
///
/// # Errors
/// [`CommitteeError::Roster`] for a missing or malformed roster file.
pub fn roster_of_dir(dir: &Path) -> Result<CommitteeRoster, CommitteeError> {
    CommitteeRoster::parse(
        &std::fs::read(dir.join(crate::commands::keygen::ROSTER_FILE))
            .map_err(|e| CommitteeError::Roster(format!("{}: {e}", dir.display())))?,
    )
}

/// Opens the member of directory `dir` (as `zkfl keygen --committee` writes it: `member-index`,
/// `identity-seed.bin`, `kem-seed.bin`, `committee-roster.json`; state in `member.sqlite`).
///
/// # Errors
/// [`CommitteeError::Roster`] for missing or malformed files, and what [`Member::open`] refuses.
pub fn open_dir(dir: &Path, design: Design) -> Result<Member, CommitteeError> {
    let read = |name: &str| {
        std::fs::read(dir.join(name))
            .map(Zeroizing::new)
            .map_err(|e| CommitteeError::Roster(format!("{}/{name}: {e}", dir.display())))
    };
    let index: u8 = String::from_utf8_lossy(&read("member-index")?)
        .trim()
        .parse()
        .map_err(|_| CommitteeError::Roster("member-index is not a member number".into()))?;
    let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
        read(crate::commands::keygen::IDENTITY_SEED_FILE)?
            .as_slice()
            .try_into()
            .map_err(|_| CommitteeError::Roster("identity-seed.bin is not 32 bytes".into()))?,
    );
    let kem: Zeroizing<[u8; 64]> = Zeroizing::new(
        read(crate::commands::keygen::KEM_SEED_FILE)?
            .as_slice()
            .try_into()
            .map_err(|_| CommitteeError::Roster("kem-seed.bin is not 64 bytes".into()))?,
    );
    let roster = CommitteeRoster::parse(&read(crate::commands::keygen::ROSTER_FILE)?)?;
    Member::open(
        &dir.join("member.sqlite"),
        &roster,
        index,
        &seed,
        &kem,
        design,
    )
}

/// Answers one request.
fn handle(member: &mut Member, body: &[u8]) -> Result<Vec<u8>, CommitteeError> {
    let (&op, rest) = body
        .split_first()
        .ok_or_else(|| CommitteeError::Protocol("empty request".into()))?;
    match op {
        COMMIT => member.commit(),
        ACCEPT => member.accept(rest).map(|()| Vec::new()),
        REVEAL => member.reveal(),
        DEAL => match rest {
            [holder] => member.deal_to(*holder),
            _ => Err(CommitteeError::Protocol(
                "deal takes one holder byte".into(),
            )),
        },
        ACCEPT_SEALED => member.accept_sealed(rest).map(|()| Vec::new()),
        CERTIFY => member.certify().map(|(sig, id)| {
            let mut out = id.to_vec();
            out.extend_from_slice(sig.signature.as_bytes());
            out
        }),
        READY => Ok(vec![u8::from(member.ready())]),
        KEY => member.committee_key().map(|(a, b)| {
            let mut buf = vec![0u8; poly_len()];
            let mut out = Vec::new();
            for c in std::iter::once(&*a).chain(&b) {
                zkfl_core::wire::poly::encode_poly(&Pl { coeffs: *c }, &mut buf);
                out.extend_from_slice(&buf);
            }
            out
        }),
        RECEIPT => {
            let mut r = Reader(rest);
            let round = r.u64()?;
            let subs = r.submissions()?;
            member.receipt(round, &subs)
        }
        ANSWER => respond(member, rest, 0, &[]),
        SUPPLEMENT => match rest.split_first() {
            Some((&excluded, body)) if excluded != 0 => {
                let mut r = Reader(body);
                let len = r.u32()?;
                let evidence = r.take(len)?;
                respond(member, r.0, excluded, evidence)
            }
            _ => Err(CommitteeError::Protocol(
                "a supplement names the excluded member (1..n)".into(),
            )),
        },
        other => Err(CommitteeError::Protocol(format!("unknown op {other}"))),
    }
}

/// Decodes an [`ANSWER`] body and answers it; with `excluded` ≠ 0 as a supplement for that member, on
/// `evidence`.
fn respond(
    member: &mut Member,
    body: &[u8],
    excluded: u8,
    evidence: &[u8],
) -> Result<Vec<u8>, CommitteeError> {
    let mut r = Reader(body);
    let round = r.u64()?;
    let plen = r.u32()?;
    let present = r.take(plen)?;
    let count = r.take(1)?[0];
    let mut receipts = Vec::new();
    for _ in 0..count {
        let len = r.u32()?;
        receipts.push(r.take(len)?.to_vec());
    }
    let subs = r.submissions()?;
    if excluded == 0 {
        member.answer(round, &subs, present, &receipts)
    } else {
        member.supplement(round, &subs, present, &receipts, excluded, evidence)
    }
}

/// The member's reply to one request `op ‖ body`: `0x00 ‖ body` or `0x01 ‖ reason` (its typed refusal in words).
/// The one handler of both transports, the frames on stdin/stdout ([`serve`]) and HTTP ([`serve_http`]).
pub fn reply(member: &mut Member, request: &[u8]) -> Vec<u8> {
    match handle(member, request) {
        Ok(mut b) => {
            b.insert(0, 0);
            b
        }
        Err(e) => {
            let mut b = vec![1u8];
            b.extend_from_slice(e.to_string().as_bytes());
            b
        }
    }
}

/// Splits a reply into the member's body or its refusal in words.
///
/// # Errors
/// `Err(reason)` for a refusal or an empty reply.
pub fn parse_reply(reply: &[u8]) -> Result<Vec<u8>, String> {
    match reply.split_first() {
        Some((0, b)) => Ok(b.to_vec()),
        Some((_, why)) => Err(String::from_utf8_lossy(why).into_owned()),
        None => Err("empty reply".into()),
    }
}

/// Serves requests on `input` until it closes, answering on `output`; a request frame may be as long as
/// `limit` (`http::request_limit` of the member's design, the same bound as over HTTP: the largest request
/// carries K submissions and a supplement's evidence, review 20) and at least the key holder's frame limit.
///
/// # Errors
/// I/O errors of the pipes (a refused request is an answer, not an error).
pub fn serve(
    member: &mut Member,
    input: &mut impl Read,
    output: &mut impl Write,
    limit: usize,
) -> std::io::Result<()> {
    while let Some(body) = read_frame_within(input, limit.max(crate::keyholder::MAX_FRAME))? {
        write_frame(output, &reply(member, &body))?;
    }
    Ok(())
}

/// The relay's handle on one member process.
pub struct MemberProcess(PipedChild);

impl MemberProcess {
    /// Starts `zkfl keyholder --committee --dir <dir>` with the `zkfl` binary at `exe`.
    ///
    /// # Errors
    /// If the process cannot be started.
    pub fn start(exe: &Path, dir: &Path, design: Design) -> std::io::Result<Self> {
        PipedChild::spawn(
            Command::new(exe)
                .args(["keyholder", "--committee", "--dir"])
                .arg(dir)
                .args(["--clinics", &design.clinics.to_string()])
                .args(["--b-int", &design.b_int.to_string()])
                .args(["--chunks", &design.chunks.to_string()]),
        )
        .map(Self)
    }

    /// Sends `op ‖ body`; the member's reply body, or its refusal in words.
    ///
    /// # Errors
    /// `Err(reason)` for a refusal or a dead process.
    pub fn call(&mut self, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        let mut req = Vec::with_capacity(1 + body.len());
        req.push(op);
        req.extend_from_slice(body);
        let reply = self
            .0
            .exchange(&req)
            .map_err(|e| format!("member process: {e}"))?
            .ok_or_else(|| "member process closed its pipe".to_owned())?;
        parse_reply(&reply)
    }

    /// Kills the process (SIGKILL) and reaps it.
    pub fn kill(mut self) {
        self.0.kill();
    }
}

impl Drop for MemberProcess {
    fn drop(&mut self) {
        self.0.kill();
    }
}
