//! The connection layer (docs/SERVICE.md "Limits and timeouts"): an accept loop over hyper's HTTP/1 server
//! with a cap on open connections (at the cap, the oldest connection that is not inside a request is closed
//! to make room, so idle or slow connections cannot lock out `/v1/health` or a clinic), a header-read timeout that also ends idle keep-alive connections (hyper
//! starts it whenever it waits for a request head), and a graceful shutdown that closes idle connections at
//! once and gives busy ones a bounded grace period instead of waiting for them forever.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::net::TcpListener;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt as _;

/// Connection-level limits.
#[derive(Clone, Debug)]
pub struct ListenConfig {
    /// Open connections at most (further ones are closed at once); lowered to fit the process's fd limit.
    pub max_connections: usize,
    /// A request head (or, on an idle keep-alive connection, the next one) must arrive within this time.
    pub header_timeout: Duration,
    /// Longest wait for busy connections at shutdown.
    pub shutdown_grace: Duration,
}

impl Default for ListenConfig {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// File descriptors kept free for the database, the key-holder pipes and the listener.
const SPARE_FDS: usize = 64;

/// The soft limit on open files, from `/proc/self/limits` (Linux); `None` elsewhere or when unlimited.
fn fd_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The connection cap actually used: the configured one, lowered to fit the fd limit.
#[must_use]
pub fn effective_max_connections(configured: usize) -> usize {
    let fit = fd_limit().map_or(usize::MAX, |l| l.saturating_sub(SPARE_FDS).max(16));
    configured.min(fit).max(1)
}

/// One open connection: whether it is inside a request, and how to close it.
struct Tracked {
    id: u64,
    busy: Arc<AtomicBool>,
    close: Arc<Notify>,
}

/// The open connections, oldest first.
#[derive(Default)]
struct OpenConnections(Mutex<VecDeque<Tracked>>);

impl OpenConnections {
    fn list(&self) -> std::sync::MutexGuard<'_, VecDeque<Tracked>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn remove(&self, id: u64) {
        self.list().retain(|t| t.id != id);
    }

    /// Closes the oldest connection that is not inside a request; false if every one is busy.
    fn evict_idle(&self) -> bool {
        let mut list = self.list();
        let Some(pos) = list.iter().position(|t| !t.busy.load(Ordering::SeqCst)) else {
            return false;
        };
        if let Some(t) = list.remove(pos) {
            t.close.notify_one();
        }
        true
    }
}

/// A connection slot: a free one, or one freed by closing the oldest connection not inside a request.
async fn connection_slot(
    slots: &Arc<Semaphore>,
    open: &OpenConnections,
) -> Option<OwnedSemaphorePermit> {
    if let Ok(slot) = Arc::clone(slots).try_acquire_owned() {
        return Some(slot);
    }
    if !open.evict_idle() {
        return None;
    }
    tokio::time::timeout(Duration::from_secs(1), Arc::clone(slots).acquire_owned())
        .await
        .ok()?
        .ok()
}

/// Resolves on SIGINT or SIGTERM (Ctrl-C off Unix): the `shutdown` of [`serve`] for `zkfl serve` and a
/// committee member. The handlers are registered when this is called, not when the future is first polled,
/// so a signal sent right after the process announces its address already shuts down gracefully.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    let (int, term) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(int) => {}
                () = wait(term) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Waits for the line `prefix ADDRESS` that a child process prints on `stdout` once it listens (`zkfl serve`'s
/// [`crate::commands::serve::LISTENING`], a committee member's [`crate::commands::keyholder::LISTENING`]). A
/// thread reads it and then keeps draining the pipe, so the child never blocks on a full pipe. The address,
/// or `None` if the stream ends or `timeout` passes first.
pub fn listening_address(
    stdout: impl std::io::Read + Send + 'static,
    prefix: &'static str,
    timeout: Duration,
) -> Option<String> {
    use std::io::BufRead as _;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix(prefix) {
                let _ = tx.send(addr.trim().to_owned());
                break;
            }
        }
        for _ in lines {}
    });
    rx.recv_timeout(timeout).ok()
}

/// Serves `app` on `listener` until `shutdown` resolves; then stops accepting, closes idle connections and
/// returns as soon as `busy()` reports no request in flight (or the grace period ends), without waiting
/// for idle, half-sent or trickling connections.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: &ListenConfig,
    shutdown: impl Future<Output = ()>,
    busy: impl Fn() -> usize,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(effective_max_connections(
        config.max_connections,
    )));
    let graceful = GracefulShutdown::new();
    let open = Arc::new(OpenConnections::default());
    let mut next_id = 0u64;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .max_buf_size(64 << 10);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors or a reset before accept: back off briefly, keep serving.
                    eprintln!("zkfl serve: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = connection_slot(&slots, &open).await else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        next_id += 1;
        let (id, busy, close) = (
            next_id,
            Arc::new(AtomicBool::new(false)),
            Arc::new(Notify::new()),
        );
        open.list().push_back(Tracked {
            id,
            busy: Arc::clone(&busy),
            close: Arc::clone(&close),
        });
        let (enter, leave) = (Arc::clone(&busy), busy);
        let svc = app
            .clone()
            .map_request(move |mut req: axum::http::Request<Incoming>| {
                enter.store(true, Ordering::SeqCst);
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                req
            })
            .map_response(move |resp| {
                leave.store(false, Ordering::SeqCst);
                resp
            });
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
        let conn = graceful.watch(conn);
        let open = Arc::clone(&open);
        tokio::spawn(async move {
            tokio::select! {
                _ = conn => {}
                () = close.notified() => {}
            }
            open.remove(id);
            drop(slot);
        });
    }
    drop(listener);
    let requests_done = async {
        while busy() > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::select! {
        () = graceful.shutdown() => {}
        () = requests_done => {}
        () = tokio::time::sleep(config.shutdown_grace) => {
            eprintln!("zkfl serve: closing connections still busy after {:?}", config.shutdown_grace);
        }
    }
    Ok(())
}
