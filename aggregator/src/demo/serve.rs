//! A real `zkfl serve` for the demo (docs/DEMO.md "Through the service"): `zkfl keygen` and `zkfl serve` run
//! as child processes of the demo, on a free loopback port over a fresh temporary data directory, and `serve`
//! starts its own key-holder process. The demo's encrypted configurations talk to it over HTTP only.
//! Dropping a [`ServeProcess`] stops the server (SIGTERM, then SIGKILL) and removes the directory, so an
//! error or a panic in the demo does not leave a server behind.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::client::Client;

/// How long `serve` may take to print its address and answer `/v1/health`.
const STARTUP: Duration = Duration::from_secs(120);

/// A `zkfl serve` child process and its data directory.
pub struct ServeProcess {
    child: Option<Child>,
    url: String,
    dir: PathBuf,
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
        let dir = fresh_dir(tag)?;
        let mut this = Self {
            child: None,
            url: String::new(),
            dir,
        };
        this.keygen(exe, clinics)?;
        this.spawn(exe)?;
        Ok(this)
    }

    fn keygen(&self, exe: &Path, clinics: usize) -> Result<(), String> {
        let out = Command::new(exe)
            .args(["keygen", "--clinics", &clinics.to_string(), "--out"])
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

    fn spawn(&mut self, exe: &Path) -> Result<(), String> {
        let log = std::fs::File::create(self.log_path()).map_err(|e| e.to_string())?;
        let mut child = Command::new(exe)
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--queue",
                "64",
                "--data-dir",
            ])
            .arg(&self.dir)
            .arg("--keys")
            .arg(self.keys())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {} serve: {e}", exe.display()))?;
        let stdout = child.stdout.take();
        self.child = Some(child);
        let stdout = stdout.ok_or("serve has no stdout pipe")?;
        let (tx, rx) = mpsc::channel();
        // Reads the address line, then keeps draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("zkfl serve: listening on ") {
                    let _ = tx.send(addr.trim().to_owned());
                    break;
                }
            }
            for _ in lines {}
        });
        self.url = rx
            .recv_timeout(STARTUP)
            .map_err(|_| format!("zkfl serve did not start: {}", self.log_tail()))?;
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
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
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
        self.dir.join("keys")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("serve.log")
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
        let Some(mut child) = self.child.take() else {
            return true;
        };
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
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
