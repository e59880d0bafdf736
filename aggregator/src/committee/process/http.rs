//! A committee member on its own host (`zkfl keyholder --committee --dir <dir> --listen <addr>`,
//! docs/THRESHOLD.md §16.6): one endpoint, `POST /v1/committee` with the body `op ‖ body` of a pipe frame,
//! answered `200` with `0x00 ‖ body` or `0x01 ‖ reason` by the pipe transport's own handler
//! ([`super::reply`]). Requests reach the member one at a time, on one thread with room for set-L state; a body
//! above [`request_limit`] is refused with `413` and never reaches the member.
//!
//! Only the aggregator may ask: a request without the aggregator's signature for this member, epoch, op and
//! body ([`super::auth`]) is refused (`401`/`403` with the reason) and never reaches the member. HTTP carries no
//! secret and needs no secrecy of its own: every ceremony message is signed, dealt parts are sealed to their
//! holder's KEM key, receipts and answers are signed, and requests carry only public data (docs/THRESHOLD.md
//! §16.6).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::oneshot;

use super::super::CommitteeError;
use super::super::member::{Design, Member, N, P};
use super::super::roster::CommitteeRoster;
use super::auth::{RequestVerifier, SIGNATURE_HEADER};
use super::poly_len;

/// The member's one endpoint.
pub const PATH: &str = "/v1/committee";

/// Stack of the member's thread: set-L holdings and answers are large fixed-size arrays.
const MEMBER_STACK: usize = 256 << 20;

/// Connection limits of the member's listener: the aggregator holds one or two connections; an answer with
/// its share proofs takes up to a minute at 27 chunks, so a shutdown lets the request in flight finish.
fn listen_config() -> crate::server::listen::ListenConfig {
    crate::server::listen::ListenConfig {
        max_connections: 16,
        header_timeout: Duration::from_secs(10),
        shutdown_grace: Duration::from_secs(180),
    }
}

/// The largest request the member reads: a signed reveal (`ACCEPT`: C(n, t − 1)·L polynomials, 12.2 MB at
/// 3-of-5 and L = 27), or a `SUPPLEMENT` — the excluded member's signed answer as evidence (its 0x15 share set,
/// 0x16 proofs of the longest length the design's share-proof parameters allow, and the signature, §15.3),
/// then an `ANSWER` body: the present set, up to n receipts and the submissions of K clinics of L chunks each
/// with the longest norm proof the design's B_int allows. Anything longer is no request of the protocol.
///
/// # Errors
/// [`CommitteeError::Roster`] for a roster whose epoch does not parse, or a design the set cannot prove or the
/// threshold plan refuses.
pub fn request_limit(roster: &CommitteeRoster, design: Design) -> Result<usize, CommitteeError> {
    use zkfl_core::arith::Modulus;
    use zkfl_core::params::ParamSet;
    use zkfl_core::threshold::wire::{
        Frame, PRESENT_BYTES, RECEIPT_BYTES, reveal_len, signed::SIGNED_OVERHEAD,
    };
    use zkfl_core::zk::params::ZkParams;
    let epoch = roster.epoch()?;
    let n = epoch.committee.members();
    let l = design.chunks;
    if l == 0 || l > P::MAX_CHUNKS || design.b_int == 0 || design.b_int > P::B_INT_MAX {
        return Err(CommitteeError::Roster(format!(
            "design: {l} chunks and B_int {} are outside set {}",
            design.b_int,
            P::NAME
        )));
    }
    let frame = Frame {
        epoch: &epoch,
        chunks: l,
    };
    let reveal = reveal_len::<P>(&frame) + SIGNED_OVERHEAD;
    let evidence = crate::committee::member::max_answer_bytes(roster, design)?;
    let norm_proof = zkfl_core::zk::layout::Layout::new(
        P::ZK,
        N,
        <<P as ParamSet>::M as Modulus>::BYTES,
        l,
        design.b_int,
    )
    .max_proof_len();
    let submission = 8 + 4 + (l + 1) * poly_len() + 4 + norm_proof;
    let answer = 8 + 4 + PRESENT_BYTES + SIGNED_OVERHEAD + 1 + n as usize * (4 + RECEIPT_BYTES) + 4;
    let supplement = (design.clinics as usize)
        .checked_mul(submission)
        .and_then(|s| s.checked_add(answer + 1 + 4 + evidence))
        .ok_or_else(|| CommitteeError::Roster("design: request size overflows".into()))?;
    Ok(1 + reveal.max(supplement))
}

/// The line a listening member writes on stderr after each request (its operator's per-request costs; the
/// demo sums them per member and round): `zkfl keyholder: request op=9 in=BYTES out=BYTES seconds=S ok`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RequestLog {
    /// The op.
    pub op: u8,
    /// Request body bytes (op included).
    pub bytes_in: u64,
    /// Reply bytes (status byte included).
    pub bytes_out: u64,
    /// Wall seconds the member spent on it.
    pub seconds: f64,
    /// The member refused it.
    pub refused: bool,
}

const LOG_PREFIX: &str = "zkfl keyholder: request ";

impl core::fmt::Display for RequestLog {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{LOG_PREFIX}op={} in={} out={} seconds={:.6} {}",
            self.op,
            self.bytes_in,
            self.bytes_out,
            self.seconds,
            if self.refused { "refused" } else { "ok" }
        )
    }
}

impl RequestLog {
    /// Parses one line written by [`RequestLog`]'s `Display`; `None` for any other line.
    #[must_use]
    pub fn parse(line: &str) -> Option<Self> {
        let rest = line.strip_prefix(LOG_PREFIX)?;
        let mut it = rest.split_whitespace();
        let mut field = |name: &str| {
            it.next()?
                .strip_prefix(name)?
                .strip_prefix('=')
                .map(str::to_owned)
        };
        let op = field("op")?.parse().ok()?;
        let bytes_in = field("in")?.parse().ok()?;
        let bytes_out = field("out")?.parse().ok()?;
        let seconds = field("seconds")?.parse().ok()?;
        let refused = match it.next()? {
            "ok" => false,
            "refused" => true,
            _ => return None,
        };
        Some(Self {
            op,
            bytes_in,
            bytes_out,
            seconds,
            refused,
        })
    }
}

/// One request for the member's thread, and where its reply goes.
type Job = (Bytes, oneshot::Sender<Vec<u8>>);

#[derive(Clone)]
struct Shared {
    jobs: mpsc::Sender<Job>,
    busy: Arc<AtomicUsize>,
    verifier: Arc<RequestVerifier>,
}

/// Counts a request as in flight until dropped (also when the client goes away mid-request).
struct InFlight(Arc<AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn call(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers.get(SIGNATURE_HEADER).map(|v| v.as_bytes());
    if let Err(e) = s.verifier.check(signature, &body) {
        eprintln!("zkfl keyholder: refused a request: {e}");
        let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN);
        return (status, e.to_string()).into_response();
    }
    s.busy.fetch_add(1, Ordering::SeqCst);
    let _in_flight = InFlight(Arc::clone(&s.busy));
    let (tx, rx) = oneshot::channel();
    if s.jobs.send((body, tx)).is_err() {
        return (StatusCode::INTERNAL_SERVER_ERROR, "the member stopped").into_response();
    }
    match rx.await {
        Ok(reply) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/octet-stream")],
            reply,
        )
            .into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "the member stopped").into_response(),
    }
}

/// Opens the member of `dir`, lets `prepare` adjust it (the demo's cheating member), listens on `addr` and
/// serves until SIGINT/SIGTERM; `announce` gets the bound address (port 0 → the chosen port) once the
/// listener is up.
///
/// # Errors
/// What opening the member refuses, a listener that cannot bind, or a member thread that died.
pub fn serve(
    dir: &Path,
    design: Design,
    addr: SocketAddr,
    prepare: impl FnOnce(&mut Member) + Send + 'static,
    announce: impl FnOnce(SocketAddr),
) -> Result<(), Box<dyn std::error::Error>> {
    let roster = super::roster_of_dir(dir)?;
    let limit = request_limit(&roster, design)?;
    let verifier = Arc::new(RequestVerifier::load(dir, &roster)?);
    eprintln!(
        "zkfl keyholder: answering only requests signed by the aggregator key with fingerprint {}",
        hex::encode(verifier.fingerprint())
    );
    let (jobs, queue) = mpsc::channel::<Job>();
    let (opened_tx, opened) = mpsc::sync_channel::<Result<(), CommitteeError>>(1);
    let dir = dir.to_path_buf();
    let worker = std::thread::Builder::new()
        .name("committee-member".into())
        .stack_size(MEMBER_STACK)
        .spawn(move || {
            let mut member = match super::open_dir(&dir, design) {
                Ok(m) => m,
                Err(e) => {
                    let _ = opened_tx.send(Err(e));
                    return;
                }
            };
            prepare(&mut member);
            let _ = opened_tx.send(Ok(()));
            for (request, reply) in queue {
                let started = std::time::Instant::now();
                let answer = super::reply(&mut member, &request);
                eprintln!(
                    "{}",
                    RequestLog {
                        op: request.first().copied().unwrap_or(0),
                        bytes_in: request.len() as u64,
                        bytes_out: answer.len() as u64,
                        seconds: started.elapsed().as_secs_f64(),
                        refused: answer.first() != Some(&0),
                    }
                );
                let _ = reply.send(answer);
            }
        })?;
    opened
        .recv()
        .map_err(|_| CommitteeError::Storage("the member thread died while opening".into()))??;
    let shared = Shared {
        jobs,
        busy: Arc::new(AtomicUsize::new(0)),
        verifier,
    };
    let busy = Arc::clone(&shared.busy);
    let app = axum::Router::new()
        .route(PATH, axum::routing::post(call))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(shared);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let shutdown = crate::server::listen::shutdown_signal();
        let listener = tokio::net::TcpListener::bind(addr).await?;
        announce(listener.local_addr()?);
        crate::server::listen::serve(listener, app, &listen_config(), shutdown, move || {
            busy.load(Ordering::SeqCst)
        })
        .await
    })?;
    drop(rt);
    worker
        .join()
        .map_err(|_| CommitteeError::Storage("the member thread panicked".into()))?;
    Ok(())
}

/// How long [`spawn`] waits for a member to open its state and announce its address.
const STARTUP: Duration = Duration::from_secs(120);

/// Starts `exe keyholder --committee --dir <dir> --listen 127.0.0.1:0` (with the design and `extra`
/// arguments, e.g. `--demo-cheat-share`), its stderr to `stderr`, and waits for its `listening on` line; the
/// child and its base URL (`http://127.0.0.1:PORT`). Stdout keeps being drained so the member never blocks on
/// it.
///
/// # Errors
/// A process that cannot start, or exits or stays silent for two minutes before it listens (it is killed).
pub fn spawn(
    exe: &Path,
    dir: &Path,
    design: Design,
    extra: &[&str],
    stderr: std::process::Stdio,
) -> std::io::Result<(std::process::Child, String)> {
    let mut child = std::process::Command::new(exe)
        .args(["keyholder", "--committee", "--dir"])
        .arg(dir)
        .args(["--clinics", &design.clinics.to_string()])
        .args(["--b-int", &design.b_int.to_string()])
        .args(["--chunks", &design.chunks.to_string()])
        .args(["--listen", "127.0.0.1:0"])
        .args(extra)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(stderr)
        .spawn()?;
    let url = child.stdout.take().and_then(|stdout| {
        crate::server::listen::listening_address(
            stdout,
            crate::commands::keyholder::LISTENING,
            STARTUP,
        )
    });
    match url {
        Some(url) => Ok((child, url)),
        None => {
            let _ = child.kill();
            let status = child.wait()?;
            Err(std::io::Error::other(format!(
                "member {} did not listen ({status})",
                dir.display()
            )))
        }
    }
}

/// A member process listening over HTTP on loopback, killed when dropped (tests and trials on one host).
pub struct ListeningMember {
    child: std::process::Child,
    url: String,
}

impl ListeningMember {
    /// [`spawn`] with stderr inherited.
    ///
    /// # Errors
    /// As [`spawn`].
    pub fn start(exe: &Path, dir: &Path, design: Design, extra: &[&str]) -> std::io::Result<Self> {
        let (child, url) = spawn(exe, dir, design, extra, std::process::Stdio::inherit())?;
        Ok(Self { child, url })
    }

    /// The member's base URL (`http://127.0.0.1:PORT`), a member spec for `committee::link::connect`.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ListeningMember {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::RequestLog;

    #[test]
    fn request_log_lines_round_trip_and_other_lines_are_not_logs() {
        let l = RequestLog {
            op: 9,
            bytes_in: 1_216_596,
            bytes_out: 4_099_572,
            seconds: 48.25,
            refused: false,
        };
        assert_eq!(RequestLog::parse(&l.to_string()), Some(l));
        let r = RequestLog { refused: true, ..l };
        assert_eq!(RequestLog::parse(&r.to_string()), Some(r));
        assert_eq!(
            RequestLog::parse("zkfl keyholder: listening on http://x"),
            None
        );
        assert_eq!(
            RequestLog::parse("zkfl keyholder: request op=9 in=1 out=2 seconds=x ok"),
            None
        );
    }
}
