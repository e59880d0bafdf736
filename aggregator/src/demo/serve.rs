//! A real `zkfl serve` for the demo (docs/DEMO.md "Through the service"): `zkfl keygen` and `zkfl serve` run
//! as child processes of the demo, on a free loopback port over a fresh temporary data directory, and `serve`
//! starts its own key-holder process. The demo's encrypted configurations talk to it over HTTP only.
//! Dropping a [`ServeProcess`] stops the server (SIGTERM, then SIGKILL) and removes the directory, so an
//! error or a panic in the demo does not leave a server behind. A signal does not run destructors, so every
//! live server is also listed in a process-wide registry that [`cleanup_on_signal`]'s handler empties on
//! Ctrl-C or SIGTERM: the servers (and with them their key holders) stop and the directories — which hold
//! the BFV secret key — are removed before the demo exits.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::client::Client;

/// How long `serve` may take to print its address and answer `/v1/health`: in threshold mode the committee's
/// key ceremony runs first (about a minute at set L and 27 chunks on a loaded 2-core machine).
const STARTUP: Duration = Duration::from_secs(600);

/// A `zkfl serve` child process and its data directory, and in threshold mode its committee members' processes.
pub struct ServeProcess {
    live: Arc<Live>,
    url: String,
    members: Vec<Arc<Live>>,
    member_logs: super::committee::MemberLogs,
    ceremony: Vec<super::committee::MemberCost>,
}

/// What must be cleaned up for one child: its process and its directory (none for a committee member, whose
/// directory is inside its server's). Shared with the registry.
struct Live {
    child: Mutex<Option<Child>>,
    dir: Option<PathBuf>,
}

impl Live {
    /// Stops the process (see [`ServeProcess::stop`]); true if it exited by itself.
    ///
    /// The lock is held until the process is gone, so a second caller (the signal handler while the demo's
    /// own cleanup is stopping the same child) waits for it instead of exiting the demo with the child only
    /// asked to stop (a committee member finishing a minute-long answer would outlive the demo).
    fn stop(&self) -> bool {
        let mut child = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        child.take().is_none_or(stop_child)
    }

    /// Stops the process and removes the directory.
    fn clean(&self) {
        self.stop();
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Every server of this process that is still running (the signal handler's work list).
static REGISTRY: Mutex<Vec<Arc<Live>>> = Mutex::new(Vec::new());

fn registry() -> std::sync::MutexGuard<'static, Vec<Arc<Live>>> {
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

/// SIGTERM, then SIGKILL after five seconds; true if it exited by itself.
fn stop_child(mut child: Child) -> bool {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .stderr(Stdio::null())
        .status();
    for _ in 0..100 {
        if let Ok(Some(_)) = child.try_wait() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}

/// Set by the signal handler before it starts cleaning up.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Called on the demo's error path: if a signal is being handled, the error is only a consequence of the
/// servers being stopped under the demo, so the thread waits for the handler to finish and exit with the
/// signal's status instead of racing it to exit 1.
pub fn park_if_interrupted() {
    while INTERRUPTED.load(Ordering::SeqCst) {
        std::thread::park();
    }
}

/// Stops every registered server and removes its directory (the signal path).
fn clean_all() {
    let live: Vec<Arc<Live>> = registry().drain(..).collect();
    for l in live {
        l.clean();
    }
}

/// Guard returned by [`cleanup_on_signal`]; the handler thread lives for the rest of the process.
#[derive(Debug)]
pub struct SignalCleanup;

/// Installs a Ctrl-C (SIGINT) and SIGTERM handler: it stops every live `zkfl serve` of the demo (whose own
/// shutdown stops its key holder) and every committee member process, removes their directories, and exits with 130 (SIGINT) or 143 (SIGTERM).
/// Without it a signal would kill the demo alone, orphaning the servers and leaving the secret key on disk.
#[must_use]
pub fn cleanup_on_signal() -> SignalCleanup {
    let started = std::thread::Builder::new()
        .name("zkfl-demo-signals".into())
        .spawn(|| {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            let code = rt.block_on(async {
                let Ok(mut term) =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                else {
                    return None;
                };
                tokio::select! {
                    r = tokio::signal::ctrl_c() => r.ok().map(|()| 130),
                    r = term.recv() => r.map(|()| 143),
                }
            });
            if let Some(code) = code {
                INTERRUPTED.store(true, Ordering::SeqCst);
                eprintln!("zkfl demo: interrupted; stopping the servers and removing their key directories");
                clean_all();
                std::process::exit(code);
            }
        });
    if let Err(e) = started {
        eprintln!("zkfl demo: no signal handler ({e}); an interrupt may leave servers behind");
    }
    SignalCleanup
}

/// A fresh, empty directory under the system temp dir for one server.
fn fresh_dir(tag: &str) -> Result<PathBuf, String> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let dir = std::env::temp_dir().join(format!("zkfl-demo-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(dir)
}

impl ServeProcess {
    /// Generates keys for `clinics` clinics with `exe keygen` and starts `exe serve` on 127.0.0.1:0.
    /// `exe` is the `zkfl` binary (the demo passes `std::env::current_exe()`).
    pub fn start(exe: &Path, clinics: usize, tag: &str) -> Result<Self, String> {
        let mut this = Self::new(tag)?;
        this.keygen(exe, clinics, &[])?;
        this.spawn(exe, &[])?;
        Ok(this)
    }

    /// Threshold mode: `exe keygen --committee n --threshold t --param-set L` for `clinics` clinics, every
    /// member of `spec` that is not offline started as `exe keyholder --committee --listen 127.0.0.1:0` on its
    /// directory with the committee's `design` (the cheating ones with `--demo-cheat-share`), then `exe serve`
    /// with one `--member` per member (`http://…` or `off`), the initial model, τ and the scale the committee's
    /// design is fixed to. Returns once the key ceremony is done and the server is healthy.
    pub fn start_committee(
        exe: &Path,
        clinics: usize,
        tag: &str,
        spec: &super::committee::CommitteeSpec,
        design: crate::committee::member::Design,
        initial: &[f32],
        quantizer: &zkfl_core::quant::Quantizer,
    ) -> Result<Self, String> {
        let mut this = Self::new(tag)?;
        this.keygen(
            exe,
            clinics,
            &[
                "--param-set",
                "L",
                "--committee",
                &spec.members.to_string(),
                "--threshold",
                &spec.threshold.to_string(),
            ],
        )?;
        let model = this.live_dir().join("initial-model.f32");
        std::fs::write(&model, crate::model::encode(initial)).map_err(|e| e.to_string())?;
        let args: Vec<String> = vec![
            "--initial-model".into(),
            model.display().to_string(),
            "--norm-bound".into(),
            quantizer.norm_bound().to_string(),
            "--scale".into(),
            quantizer.scale().to_string(),
        ];
        // The key ceremony needs every member: all n run for it; the offline ones are stopped afterwards and
        // the server restarted with `--member off` for them (it reloads the ceremony from its data directory).
        let mut urls = Vec::new();
        for i in 1..=spec.members {
            urls.push(this.start_member(exe, i, design, spec.cheating.contains(&i))?);
        }
        let with = |off: &[u8]| -> Vec<String> {
            let mut a = args.clone();
            for (i, url) in (1..=spec.members).zip(&urls) {
                let m = if off.contains(&i) {
                    "off"
                } else {
                    url.as_str()
                };
                a.extend(["--member".to_owned(), m.to_owned()]);
            }
            a
        };
        let all = with(&[]);
        this.spawn(exe, &all.iter().map(String::as_str).collect::<Vec<_>>())?;
        this.ceremony = this.member_logs.take();
        if !spec.offline.is_empty() {
            this.live.stop();
            for &i in &spec.offline {
                if let Some(m) = this.members.get(usize::from(i) - 1) {
                    m.stop();
                }
                this.member_logs.remove(i);
            }
            let some_off = with(&spec.offline);
            this.spawn(
                exe,
                &some_off.iter().map(String::as_str).collect::<Vec<_>>(),
            )?;
        }
        Ok(this)
    }

    /// Threshold mode: each member's costs of the key ceremony.
    #[must_use]
    pub fn ceremony_costs(&self) -> Vec<super::committee::MemberCost> {
        self.ceremony.clone()
    }

    fn new(tag: &str) -> Result<Self, String> {
        let live = Arc::new(Live {
            child: Mutex::new(None),
            dir: Some(fresh_dir(tag)?),
        });
        registry().push(Arc::clone(&live));
        Ok(Self {
            live,
            url: String::new(),
            members: Vec::new(),
            member_logs: super::committee::MemberLogs::default(),
            ceremony: Vec::new(),
        })
    }

    fn live_dir(&self) -> &Path {
        self.live.dir.as_deref().unwrap_or(Path::new("."))
    }

    /// Starts member `i` listening on loopback; its URL. Registered for the signal handler; its stderr (its
    /// request log) goes to `member-<i>.log` in the server's directory.
    fn start_member(
        &mut self,
        exe: &Path,
        i: u8,
        design: crate::committee::member::Design,
        cheat: bool,
    ) -> Result<String, String> {
        let log_path = self.live_dir().join(format!("member-{i}.log"));
        let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
        let extra: &[&str] = if cheat { &["--demo-cheat-share"] } else { &[] };
        let dir = self.keys().join("members").join(i.to_string());
        let (child, url) =
            crate::committee::process::http::spawn(exe, &dir, design, extra, Stdio::from(log))
                .map_err(|e| format!("committee member {i}: {e}"))?;
        let live = Arc::new(Live {
            child: Mutex::new(Some(child)),
            dir: None,
        });
        registry().push(Arc::clone(&live));
        self.members.push(live);
        self.member_logs.add(i, log_path);
        Ok(url)
    }

    /// Each running member's costs (time, bytes) since the last call, from its request log.
    pub fn member_costs(&mut self) -> Vec<super::committee::MemberCost> {
        self.member_logs.take()
    }

    fn keygen(&self, exe: &Path, clinics: usize, extra: &[&str]) -> Result<(), String> {
        let out = Command::new(exe)
            .args(["keygen", "--clinics", &clinics.to_string()])
            .args(extra)
            .arg("--out")
            .arg(self.keys())
            .output()
            .map_err(|e| format!("cannot run {} keygen: {e}", exe.display()))?;
        if !out.status.success() {
            return Err(format!(
                "zkfl keygen failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(())
    }

    fn spawn(&mut self, exe: &Path, extra: &[&str]) -> Result<(), String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--queue",
                "64",
                "--data-dir",
            ])
            .arg(self.live_dir())
            .arg("--keys")
            .arg(self.keys())
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {} serve: {e}", exe.display()))?;
        let stdout = child.stdout.take();
        *self
            .live
            .child
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(child);
        let stdout = stdout.ok_or("serve has no stdout pipe")?;
        self.url = crate::server::listen::listening_address(
            stdout,
            crate::commands::serve::LISTENING,
            STARTUP,
        )
        .ok_or_else(|| format!("zkfl serve did not start: {}", self.log_tail()))?;
        self.wait_healthy()
    }

    /// Polls `/v1/health` until the server answers with the key holder attached.
    fn wait_healthy(&mut self) -> Result<(), String> {
        let client = self.client();
        let start = std::time::Instant::now();
        loop {
            if let Ok(h) = client.health()
                && h["status"] == "ok"
            {
                return Ok(());
            }
            let exited = self
                .live
                .child
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_mut()
                .map(Child::try_wait);
            if let Some(Ok(Some(status))) = exited {
                return Err(format!("zkfl serve exited ({status}): {}", self.log_tail()));
            }
            if start.elapsed() > STARTUP {
                return Err(format!("zkfl serve is not healthy: {}", self.log_tail()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's base URL, e.g. `http://127.0.0.1:41234`.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A client for this server.
    #[must_use]
    pub fn client(&self) -> Client {
        let c = Client::new(&self.url);
        match c.with_admin_token_from(&self.keys()) {
            Ok(with_token) => with_token,
            Err(_) => Client::new(&self.url),
        }
    }

    /// The key directory (`keys/clinics/<id>` holds each clinic's own keys and pinned public keys).
    #[must_use]
    pub fn keys(&self) -> PathBuf {
        self.live_dir().join("keys")
    }

    fn log_path(&self) -> PathBuf {
        self.live_dir().join("serve.log")
    }

    /// The last lines of the server's log (its stderr), for error messages.
    #[must_use]
    pub fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut f) = std::fs::File::open(self.log_path()) {
            let _ = f.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(8)..].join(" | ")
    }

    /// Stops the server: SIGTERM (graceful: queued verifications drain, the key holder exits), then SIGKILL
    /// after five seconds. Returns whether it exited by itself.
    pub fn stop(&mut self) -> bool {
        self.live.stop()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        // The server first (it stops using its members), then the members, then the directory.
        self.live.stop();
        for m in &self.members {
            m.stop();
        }
        registry().retain(|l| {
            !Arc::ptr_eq(l, &self.live) && !self.members.iter().any(|m| Arc::ptr_eq(l, m))
        });
        self.live.clean();
    }
}
