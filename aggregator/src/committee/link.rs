//! How the aggregator reaches one committee member: a [`MemberLink`] carries the request frames of
//! `committee::process` (`op u8 ‖ body`) and returns the member's reply body or its refusal in words. Every
//! ceremony message is protected end to end (signed; dealt parts sealed to the holder's roster KEM key), so a link
//! needs no secrecy of its own to keep the committee's guarantees (docs/THRESHOLD.md §16).
//!
//! A member is named on the command line by a spec ([`connect`]): `off` (offline: never asked), `dir:<path>` (a
//! local `zkfl keyholder --committee --dir <path>` child over its stdin/stdout, for trials on one host), or an
//! `http://host:port` URL (a member on its own host).

use std::path::Path;

use super::CommitteeError;
use super::member::Design;
use super::process::MemberProcess;

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

/// Opens the link a member spec names (`off`, `dir:<path>`, `http://…`); `Ok(None)` for `off`.
///
/// # Errors
/// [`CommitteeError::Roster`] for a spec that names no transport, or a child process that does not start.
pub fn connect(
    spec: &str,
    exe: &Path,
    design: Design,
) -> Result<Option<Box<dyn MemberLink>>, CommitteeError> {
    if spec == "off" {
        return Ok(None);
    }
    if let Some(dir) = spec.strip_prefix("dir:") {
        let child = MemberProcess::start(exe, Path::new(dir), design)
            .map_err(|e| CommitteeError::Roster(format!("member {dir}: {e}")))?;
        return Ok(Some(Box::new(child)));
    }
    Err(CommitteeError::Roster(format!(
        "member spec {spec:?}: expected off, dir:<path> or http://host:port"
    )))
}
