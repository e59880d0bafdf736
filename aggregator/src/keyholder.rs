//! The key holder (docs/SERVICE.md "Key holder", single-decryptor mode): a separate process, started by
//! `zkfl serve` as `zkfl keyholder`, that alone reads the BFV secret key. It talks to the service over its
//! stdin/stdout with length-prefixed frames and decrypts only whole-round aggregates, at most one aggregate
//! per round (a ledger on disk remembers which), so the service process never holds the secret key and
//! cannot ask for a second decryption of a different ciphertext in the same round.
//!
//! Frames: `u32` little-endian length, then the body.
//! Request body: `round u64 ‖ model_dim u32 ‖ accepted u32 ‖ t u64 ‖ aggregate ciphertext (zkfl_core::wire)`.
//! Reply body: `0x00 ‖ model_dim × i64` (centred sums) or `0x01 ‖ UTF-8 reason`.
//!
//! This is the labelled single-decryptor milestone (docs/SERVICE.md "Key holder"); threshold decryption replaces it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;

use crate::coordinator::{Decryptor, sha3};
use crate::error::PortError;
use crate::round::RoundId;

/// Largest frame accepted either way (an aggregate of set L with 1,024 clinics is far smaller).
pub const MAX_FRAME: usize = 64 << 20;

/// Label used in logs and docs.
pub const MODE: &str = "single-decryptor";

/// Writes one frame.
pub fn write_frame(w: &mut impl Write, body: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(body.len()).map_err(|_| std::io::Error::other("frame too large"))?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(body)?;
    w.flush()
}

/// Reads one frame of at most [`MAX_FRAME`] bytes; `Ok(None)` at a clean end of stream.
pub fn read_frame(r: &mut impl Read) -> std::io::Result<Option<Vec<u8>>> {
    read_frame_within(r, MAX_FRAME)
}

/// Reads one frame of at most `max` bytes; `Ok(None)` at a clean end of stream.
pub fn read_frame_within(r: &mut impl Read, max: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > max {
        return Err(std::io::Error::other(
            "frame exceeds the key holder's limit",
        ));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(Some(body))
}

/// A decryption request as the key holder sees it (the coordinator's [`DecryptionRequest`], framed below).
pub use crate::coordinator::DecryptionRequest as Request;

impl<'a> Request<'a> {
    /// Encodes a request body.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.aggregate.len());
        out.extend_from_slice(&self.round.0.to_le_bytes());
        out.extend_from_slice(&self.model_dim.to_le_bytes());
        out.extend_from_slice(&self.accepted.to_le_bytes());
        out.extend_from_slice(&self.t.to_le_bytes());
        out.extend_from_slice(self.aggregate);
        out
    }

    /// Decodes a request body.
    #[must_use]
    pub fn decode(body: &'a [u8]) -> Option<Self> {
        let (round, rest) = body.split_first_chunk::<8>()?;
        let (dim, rest) = rest.split_first_chunk::<4>()?;
        let (acc, rest) = rest.split_first_chunk::<4>()?;
        let (t, aggregate) = rest.split_first_chunk::<8>()?;
        Some(Self {
            round: RoundId(u64::from_le_bytes(*round)),
            model_dim: u32::from_le_bytes(*dim),
            accepted: u32::from_le_bytes(*acc),
            t: u64::from_le_bytes(*t),
            aggregate,
        })
    }
}

/// Remembers which aggregate was decrypted for which round (`ledger.txt`: `round hex-sha3` lines).
pub struct Ledger(PathBuf);

impl Ledger {
    /// The ledger in a key-holder directory.
    #[must_use]
    pub fn in_dir(dir: &Path) -> Self {
        Self(dir.join("ledger.txt"))
    }

    /// Allows the first aggregate of a round and the same aggregate again (a restarted service asking
    /// twice learns nothing new); refuses a different aggregate for a round already decrypted.
    pub fn admit(&self, round: RoundId, aggregate: &[u8]) -> Result<(), PortError> {
        let digest = hex::encode(sha3(aggregate));
        let text = std::fs::read_to_string(&self.0).unwrap_or_default();
        for line in text.lines() {
            let mut f = line.split(' ');
            if f.next() == Some(round.to_string().as_str()) {
                return if f.next() == Some(digest.as_str()) {
                    Ok(())
                } else {
                    Err(PortError::Refused(format!(
                        "round {round} was already decrypted with a different aggregate; refusing"
                    )))
                };
            }
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.0)
            .map_err(|e| PortError::Decryption(format!("ledger: {e}")))?;
        writeln!(file, "{round} {digest}")
            .and_then(|()| file.sync_all())
            .map_err(|e| PortError::Decryption(format!("ledger: {e}")))
    }
}

/// The key holder's decryption function, implemented by `crate::crypto` over zkfl-core.
pub trait AggregateDecryption {
    /// Decrypts an aggregate to `model_dim` centred integer sums.
    fn decrypt(&self, request: &Request<'_>) -> Result<Vec<i64>, PortError>;
}

/// The key holder's main loop: answers frames on stdin until the service closes the pipe.
pub fn serve_stdio(dir: &Path, decryption: &dyn AggregateDecryption) -> std::io::Result<()> {
    let ledger = Ledger::in_dir(dir);
    let (mut input, mut output) = (std::io::stdin().lock(), std::io::stdout().lock());
    while let Some(body) = read_frame(&mut input)? {
        let reply = match Request::decode(&body) {
            None => Err(PortError::Refused("malformed request frame".to_owned())),
            Some(req) => ledger
                .admit(req.round, req.aggregate)
                .and_then(|()| decryption.decrypt(&req)),
        };
        let frame = match reply {
            Ok(sums) => core::iter::once(0u8)
                .chain(sums.iter().flat_map(|s| s.to_le_bytes()))
                .collect::<Vec<u8>>(),
            Err(why) => {
                eprintln!("key holder [{MODE}]: refused: {why}");
                core::iter::once(1u8)
                    .chain(why.to_string().into_bytes())
                    .collect()
            }
        };
        write_frame(&mut output, &frame)?;
    }
    Ok(())
}

/// Attempts per decryption request: a dead or broken key holder is restarted between attempts.
pub const PIPE_ATTEMPTS: u32 = 3;

/// A child process spoken to in frames over its stdin/stdout: the key holder here, a committee member in
/// `committee::process`.
pub struct PipedChild {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
}

impl PipedChild {
    /// Starts `command` with its stdin and stdout piped (stderr as the command sets it).
    ///
    /// # Errors
    /// If the process cannot be started.
    pub fn spawn(command: &mut Command) -> std::io::Result<Self> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("no stdin"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("no stdout"))?;
        Ok(Self {
            child,
            stdin,
            stdout,
        })
    }

    /// Sends one request frame and reads one reply frame; `Ok(None)` when the child closed its stdout.
    ///
    /// # Errors
    /// I/O errors of the pipes.
    pub fn exchange(&mut self, request: &[u8]) -> std::io::Result<Option<Vec<u8>>> {
        write_frame(&mut self.stdin, request)?;
        read_frame(&mut self.stdout)
    }

    /// Whether the child is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The child's process id.
    #[must_use]
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Kills the child (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Closes its stdin (the child's signal to exit) and waits for it.
    pub fn close(self) {
        let Self {
            mut child, stdin, ..
        } = self;
        drop(stdin);
        let _ = child.wait();
    }
}

/// The service side: a supervised key-holder child process. A child that died (crash, `kill -9`) is
/// detected by [`KeyHolderProcess::supervise`] and by [`KeyHolderProcess::health`], restarted, and a
/// decryption whose pipe broke is retried on a fresh child (the ledger lets the same aggregate through
/// again, so a retry learns nothing new).
pub struct KeyHolderProcess {
    exe: PathBuf,
    dir: PathBuf,
    io: Mutex<Option<PipedChild>>,
    restarts: std::sync::atomic::AtomicU64,
    stopped: std::sync::atomic::AtomicBool,
}

/// What `/v1/health` says about the key holder.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KeyHolderHealth {
    /// Whether decryption can proceed (running, or busy decrypting).
    pub ok: bool,
    /// `running`, `busy`, `down` or `stopped`.
    pub state: &'static str,
    /// Restarts since the service started.
    pub restarts: u64,
}

fn spawn_child(exe: &Path, dir: &Path) -> std::io::Result<PipedChild> {
    PipedChild::spawn(
        Command::new(exe)
            .arg("keyholder")
            .arg("--dir")
            .arg(dir)
            .stderr(Stdio::inherit()),
    )
}

impl KeyHolderProcess {
    /// Spawns `<exe> keyholder --dir <dir>`.
    pub fn spawn(exe: &Path, dir: &Path) -> std::io::Result<Self> {
        let child = spawn_child(exe, dir)?;
        Ok(Self {
            exe: exe.to_path_buf(),
            dir: dir.to_path_buf(),
            io: Mutex::new(Some(child)),
            restarts: std::sync::atomic::AtomicU64::new(0),
            stopped: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The child's process id (for tests and the soak script's kill -9).
    pub fn pid(&self) -> Option<u32> {
        self.io
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            .map(PipedChild::id)
    }

    /// Restarts the child if it has exited; returns whether a restart happened. Never blocks on a
    /// running decryption.
    pub fn supervise(&self) -> bool {
        if self.stopped.load(std::sync::atomic::Ordering::SeqCst) {
            return false;
        }
        let Ok(mut guard) = self.io.try_lock() else {
            return false;
        };
        let alive = guard.as_mut().is_some_and(PipedChild::is_running);
        if alive {
            return false;
        }
        self.restart(&mut guard).is_ok()
    }

    fn restart(&self, slot: &mut Option<PipedChild>) -> std::io::Result<()> {
        if let Some(mut old) = slot.take() {
            old.kill();
        }
        let fresh = spawn_child(&self.exe, &self.dir);
        match fresh {
            Ok(c) => {
                let n = self
                    .restarts
                    .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
                    + 1;
                eprintln!("key holder [{MODE}]: restarted (restart {n})");
                *slot = Some(c);
                Ok(())
            }
            Err(e) => {
                eprintln!("key holder [{MODE}]: restart failed: {e}");
                Err(e)
            }
        }
    }

    /// The child's state without waiting for a running decryption.
    pub fn health(&self) -> KeyHolderHealth {
        let restarts = self.restarts.load(std::sync::atomic::Ordering::SeqCst);
        let state = if self.stopped.load(std::sync::atomic::Ordering::SeqCst) {
            "stopped"
        } else {
            match self.io.try_lock() {
                Err(_) => "busy",
                Ok(mut g) => {
                    if g.as_mut().is_some_and(PipedChild::is_running) {
                        "running"
                    } else {
                        "down"
                    }
                }
            }
        };
        KeyHolderHealth {
            ok: matches!(state, "running" | "busy"),
            state,
            restarts,
        }
    }

    /// Closes the pipe and waits for the child to exit.
    pub fn stop(&self) {
        self.stopped
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(child) = self
            .io
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        {
            child.close();
        }
    }

    /// One request/reply exchange; `Err` means the pipe (not the key holder's judgement) failed.
    fn exchange(child: &mut PipedChild, request: &[u8]) -> std::io::Result<Vec<u8>> {
        child
            .exchange(request)?
            .ok_or_else(|| std::io::Error::other("the key holder exited"))
    }
}

impl Drop for KeyHolderProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Decryptor for KeyHolderProcess {
    fn decrypt_aggregate(&self, request: &Request<'_>) -> Result<Vec<i64>, PortError> {
        let (req, model_dim) = (request.encode(), request.model_dim);
        let mut guard = self
            .io
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut last = String::from("the key holder is not running");
        for attempt in 1..=PIPE_ATTEMPTS {
            if self.stopped.load(std::sync::atomic::Ordering::SeqCst) {
                return Err(PortError::KeyHolderStopped);
            }
            let alive = guard.as_mut().is_some_and(PipedChild::is_running);
            if !alive && let Err(e) = self.restart(&mut guard) {
                last = format!("could not restart the key holder: {e}");
                std::thread::sleep(std::time::Duration::from_millis(200 * u64::from(attempt)));
                continue;
            }
            let Some(child) = guard.as_mut() else {
                continue;
            };
            match Self::exchange(child, &req) {
                Ok(reply) => return decode_reply(&reply, model_dim),
                Err(e) => {
                    last = format!("key holder pipe: {e}");
                    eprintln!("key holder [{MODE}]: attempt {attempt}/{PIPE_ATTEMPTS} failed: {e}");
                    if let Some(mut dead) = guard.take() {
                        dead.kill();
                    }
                }
            }
        }
        Err(PortError::KeyHolderUnavailable(format!(
            "{last} (after {PIPE_ATTEMPTS} attempts with restarts)"
        )))
    }

    fn health(&self) -> crate::coordinator::DecryptorHealth {
        let h = self.health();
        crate::coordinator::DecryptorHealth {
            ok: h.ok,
            state: h.state,
            restarts: h.restarts,
        }
    }

    fn supervise(&self) {
        KeyHolderProcess::supervise(self);
    }
}

fn decode_reply(reply: &[u8], model_dim: u32) -> Result<Vec<i64>, PortError> {
    match reply.split_first() {
        Some((0, sums)) => {
            let (chunks, rest) = sums.as_chunks::<8>();
            if !rest.is_empty() || chunks.len() != model_dim as usize {
                return Err(PortError::MalformedReply);
            }
            Ok(chunks.iter().map(|c| i64::from_le_bytes(*c)).collect())
        }
        Some((1, why)) => Err(PortError::Refused(
            String::from_utf8_lossy(why).into_owned(),
        )),
        _ => Err(PortError::MalformedReply),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_frames_round_trip() {
        let req = Request {
            round: RoundId(3),
            model_dim: 2,
            accepted: 4,
            t: 17,
            aggregate: b"agg",
        };
        let enc = req.encode();
        assert_eq!(Request::decode(&enc), Some(req));
        assert_eq!(Request::decode(&enc[..23]), None);
        let mut buf = Vec::new();
        write_frame(&mut buf, b"hello").expect("write");
        assert_eq!(
            read_frame(&mut buf.as_slice()).expect("read"),
            Some(b"hello".to_vec())
        );
        assert_eq!(read_frame(&mut &[][..]).expect("eof"), None);
        assert!(read_frame(&mut &[0xff, 0xff, 0xff, 0xff][..]).is_err());
    }

    #[test]
    fn replies_are_length_checked() {
        let ok: Vec<u8> = core::iter::once(0).chain((-5i64).to_le_bytes()).collect();
        assert_eq!(decode_reply(&ok, 1), Ok(vec![-5]));
        assert_eq!(decode_reply(&ok, 2), Err(PortError::MalformedReply));
        assert_eq!(
            decode_reply(b"\x01no", 1),
            Err(PortError::Refused("no".into()))
        );
        assert_eq!(decode_reply(b"", 1), Err(PortError::MalformedReply));
    }

    #[test]
    fn the_ledger_allows_one_aggregate_per_round() {
        let dir = std::env::temp_dir().join(format!("zkfl-ledger-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let ledger = Ledger::in_dir(&dir);
        assert!(ledger.admit(RoundId(1), b"a").is_ok());
        assert!(ledger.admit(RoundId(1), b"a").is_ok());
        assert!(matches!(
            ledger.admit(RoundId(1), b"b"),
            Err(PortError::Refused(why)) if why.contains("different aggregate")
        ));
        assert!(ledger.admit(RoundId(2), b"b").is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_frame_over_the_reader_s_limit_is_refused_and_one_at_it_read() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &[7u8; 100]).unwrap();
        assert!(read_frame_within(&mut buf.as_slice(), 99).is_err());
        assert_eq!(
            read_frame_within(&mut buf.as_slice(), 100).unwrap(),
            Some(vec![7u8; 100])
        );
    }
}
