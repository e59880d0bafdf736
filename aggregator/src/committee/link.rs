//! How the aggregator reaches one committee member: a [`MemberLink`] carries the request frames of
//! `committee::process` (`op u8 ‖ body`) and returns the member's reply body or its refusal in words. Every
//! ceremony message is protected end to end (signed; dealt parts sealed to the holder's roster KEM key), so a link
//! needs no secrecy of its own to keep the committee's guarantees (docs/THRESHOLD.md §16).
//!
//! A member is named on the command line by a spec ([`connect`]): `off` (offline: never asked), `dir:<path>` (a
//! local `zkfl keyholder --committee --dir <path>` child over its stdin/stdout, for trials on one host), or an
//! `http://host:port` URL (a member on its own host, [`HttpMember`], whose every request carries the aggregator's
//! signature for that member: `committee::process::auth`).

use std::path::Path;
use std::time::Duration;

use super::CommitteeError;
use super::member::Design;
use super::process::auth::{RequestSigner, SIGNATURE_HEADER};
use super::process::{MemberProcess, http::PATH, parse_reply};

/// One committee member as the relay sees it.
pub trait MemberLink: Send {
    /// Sends `op ‖ body`; the member's reply body.
    ///
    /// # Errors
    /// `Err(reason)`: the member's typed refusal in words, or a transport failure (the member is then offline for
    /// this request).
    fn call(&mut self, op: u8, body: &[u8]) -> Result<Vec<u8>, String>;
}

impl MemberLink for MemberProcess {
    fn call(&mut self, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        MemberProcess::call(self, op, body)
    }
}

/// How long the relay waits for one member's answer over HTTP: a receipt verifies every clinic's set-L norm
/// proof (seconds each) and an answer makes one share proof per chunk (about a minute at 27 chunks on a loaded
/// 2-core machine, docs/THRESHOLD.md §8), so ten minutes leave room for tens of clinics; a member that does not
/// answer in time is offline for that request.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(600);

/// How long the relay waits for a member's host to accept a connection.
pub const HTTP_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest reply the relay reads from a member: its signed reveal is the largest (C(n, t − 1)·L
/// polynomials: 12.2 MB at 3-of-5 and L = 27; 1 GiB covers n = 16 at set L's largest L); the bound keeps a
/// misbehaving member from exhausting the aggregator's memory.
pub const MAX_REPLY: u64 = 1 << 30;

/// A member on its own host, reached over HTTP (`zkfl keyholder --committee --listen`,
/// `committee::process::http`): each call is one blocking `POST /v1/committee`, signed by the aggregator for
/// member `member`.
pub struct HttpMember {
    url: String,
    agent: ureq::Agent,
    signer: RequestSigner,
    member: u8,
}

impl HttpMember {
    /// A link to member `member` listening at `base` (`http://host:port`), signing with `signer`.
    #[must_use]
    pub fn new(base: &str, signer: RequestSigner, member: u8) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(HTTP_CONNECT_TIMEOUT))
            .timeout_global(Some(HTTP_TIMEOUT))
            .build()
            .new_agent();
        Self {
            url: format!("{}{PATH}", base.trim_end_matches('/')),
            agent,
            signer,
            member,
        }
    }
}

impl MemberLink for HttpMember {
    fn call(&mut self, op: u8, body: &[u8]) -> Result<Vec<u8>, String> {
        let mut req = Vec::with_capacity(1 + body.len());
        req.push(op);
        req.extend_from_slice(body);
        let signature = self
            .signer
            .sign(self.member, op, body)
            .map_err(|e| format!("member {}: {e}", self.url))?;
        let resp = self
            .agent
            .post(&self.url)
            .header("content-type", "application/octet-stream")
            .header(SIGNATURE_HEADER, &signature)
            .send(&req[..])
            .map_err(|e| format!("member {}: {e}", self.url))?;
        let status = resp.status().as_u16();
        let reply = resp
            .into_body()
            .with_config()
            .limit(MAX_REPLY)
            .read_to_vec()
            .map_err(|e| format!("member {}: {e}", self.url))?;
        if status != 200 {
            return Err(format!(
                "member {}: HTTP {status}: {}",
                self.url,
                String::from_utf8_lossy(&reply).trim()
            ));
        }
        parse_reply(&reply)
    }
}

/// Opens the link a member spec names (`off`, `dir:<path>`, `http://…`) for member `member` (its roster index);
/// `Ok(None)` for `off`. An HTTP link signs its requests with `signer` (the aggregator's identity); a child's
/// pipe needs no signature (only its parent writes to it).
///
/// # Errors
/// [`CommitteeError::Roster`] for a spec that names no transport, or a child process that does not start.
pub fn connect(
    spec: &str,
    exe: &Path,
    design: Design,
    signer: &RequestSigner,
    member: u8,
) -> Result<Option<Box<dyn MemberLink>>, CommitteeError> {
    if spec == "off" {
        return Ok(None);
    }
    if let Some(dir) = spec.strip_prefix("dir:") {
        let child = MemberProcess::start(exe, Path::new(dir), design)
            .map_err(|e| CommitteeError::Roster(format!("member {dir}: {e}")))?;
        return Ok(Some(Box::new(child)));
    }
    if spec.starts_with("http://") && spec.len() > "http://".len() {
        return Ok(Some(Box::new(HttpMember::new(
            spec,
            signer.clone(),
            member,
        ))));
    }
    Err(CommitteeError::Roster(format!(
        "member spec {spec:?}: expected off, dir:<path> or http://host:port"
    )))
}
