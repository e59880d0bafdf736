//! Spawns real `zkfl keygen` / `zkfl serve` processes for the end-to-end tests.
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use zkfl_aggregator::client::{Client, RoundStatus};
use zkfl_aggregator::commands::serve::LISTENING;
use zkfl_aggregator::round::{Announcement, ClinicId, RoundId};
use zkfl_aggregator::server::listen::listening_address;

pub mod committee;

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let p = std::env::temp_dir().join(format!("zkfl-{tag}-{}-{nanos}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn zkfl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zkfl"))
}

/// Adds `clinic SUBCOMMAND --keys KEYS --server URL REST…` to `cmd` (`args` is [SUBCOMMAND, REST…]; `cmd` is
/// [`zkfl`], or a wrapper that runs it).
pub fn clinic_args<'c>(
    cmd: &'c mut Command,
    keys: &Path,
    url: &str,
    args: &[&str],
) -> &'c mut Command {
    cmd.args(["clinic", args[0], "--keys"])
        .arg(keys)
        .args(["--server", url])
        .args(&args[1..])
}

/// `zkfl clinic …` as a clinic with the key directory `keys` (see [`clinic_args`]).
pub fn clinic(keys: &Path, url: &str, args: &[&str]) -> Command {
    let mut cmd = zkfl();
    clinic_args(&mut cmd, keys, url, args);
    cmd
}

/// Runs `zkfl keygen` for `clinics` clinics into `<dir>/keys` and writes a 4-parameter initial model.
pub fn keygen(dir: &Path, clinics: u32) {
    let out = zkfl()
        .args(["keygen", "--clinics", &clinics.to_string(), "--out"])
        .arg(dir.join("keys"))
        .output()
        .expect("run keygen");
    assert!(
        out.status.success(),
        "keygen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(
        dir.join("model.f32"),
        zkfl_aggregator::model::encode(&[0.5, -1.0, 2.0, 0.0]),
    )
    .expect("model");
}

/// A running `zkfl serve`.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub keys: PathBuf,
}

impl Server {
    /// Starts `zkfl serve` on a free loopback port over `<dir>` (keys in `<dir>/keys`).
    pub fn start(dir: &Path, extra: &[&str]) -> Self {
        let mut child = zkfl()
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(dir)
            .arg("--keys")
            .arg(dir.join("keys"))
            .arg("--initial-model")
            .arg(dir.join("model.f32"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn serve");
        let stdout = child.stdout.take().expect("stdout");
        let url = listening_address(stdout, LISTENING, Duration::from_secs(600))
            .expect("serve printed its address");
        Self {
            child,
            url,
            keys: dir.join("keys"),
        }
    }

    /// A client that sends the admin token of the server's key directory.
    pub fn client(&self) -> Client {
        Client::new(&self.url)
            .with_admin_token_from(&self.keys)
            .expect("admin token")
    }

    /// SIGKILL: no chance to clean up (the restart test's crash).
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM and wait: the graceful path. Returns whether the process exited successfully.
    pub fn terminate(mut self) -> bool {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..100 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `model` (little-endian f32) as the server's initial model `<dir>/model.f32`.
pub fn write_model(dir: &Path, model: &[f32]) {
    std::fs::write(dir.join("model.f32"), zkfl_aggregator::model::encode(model)).expect("model");
}

/// `zkfl keygen` for `clinics` clinics into `<dir>/keys`, with `model` as the initial model.
pub fn keygen_with_model(dir: &Path, clinics: u32, model: &[f32]) {
    keygen(dir, clinics);
    write_model(dir, model);
}

/// `zkfl serve` arguments that open a round at start-up: τ = 1, S = 512, the model `spec` announced.
pub fn open_round_args(spec: &str) -> [&str; 7] {
    [
        "--open-round",
        "--norm-bound",
        "1",
        "--scale",
        "512",
        "--model",
        spec,
    ]
}

/// The open round's announcement, its signature checked with clinic 1's pinned aggregator key.
pub fn announced(c: &Client, dir: &Path) -> zkfl_aggregator::round::Announcement {
    let pinned = std::fs::read(dir.join("keys/clinics/1/aggregator-vk.bin")).expect("pinned vk");
    c.current_round()
        .expect("round")
        .verify(&pinned)
        .expect("signed announcement")
}

/// The standard output of a finished command, which must have succeeded (its standard error otherwise).
pub fn stdout_ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "command failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits up to `within` for `round` to end, which must be published (its failure otherwise): its final status
/// and the published mean update.
pub fn published(c: &Client, round: RoundId, within: Duration) -> (RoundStatus, Vec<f32>) {
    let done = c.wait_for_end(round, within).expect("round finishes");
    assert_eq!(done.state, "published", "{:?}", done.failure);
    let mean = c.update(round).expect("published update");
    (done, mean)
}

/// The integer updates of the three clinics of the real-proof round tests (scale S = 512): the first four
/// coordinates, the rest zero.
pub const THREE_CLINICS: [[i64; 4]; 3] =
    [[512, -256, 0, 100], [1024, 0, -512, 4], [-512, 256, 512, 0]];

/// An integer update of `n` coordinates: `values`, then zeros.
pub fn update(values: [i64; 4], n: usize) -> Vec<i64> {
    let mut m = vec![0i64; n];
    m[..4].copy_from_slice(&values);
    m
}

/// The first four coordinates of the mean update a round of `updates` publishes at S = 512, computed in the
/// clear: each integer sum divided by 512 · clinics.
pub fn plaintext_mean(updates: &[[i64; 4]]) -> Vec<f32> {
    let clinics = updates.len() as f64;
    (0..4)
        .map(|i| (updates.iter().map(|m| m[i]).sum::<i64>() as f64 / (512.0 * clinics)) as f32)
        .collect()
}

/// Clinic `clinic`'s sealed submission (keys from `<dir>/keys`, its `sequence`-th) of the integer update `m` to
/// round `a` under the BFV public key `pk`: really encrypted, proven and signed, with randomness from `seed`.
pub fn sealed_update(
    dir: &Path,
    clinic: u32,
    a: &Announcement,
    pk: &[u8],
    m: &[i64],
    seed: u64,
    sequence: u64,
) -> Vec<u8> {
    use rand_core::SeedableRng as _;
    use zkfl_core::clinic::{PublicKey, Silent};
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let keys = zkfl_aggregator::clinic::ClinicKeys::load(&dir.join("keys"), ClinicId(clinic))
        .expect("clinic keys");
    let pk = PublicKey::decode_for_model(pk, a.model_dim).expect("pk decodes");
    let r = zkfl_aggregator::clinic::round(a, &pk, &keys).expect("round");
    let msg = r.message(m).expect("message");
    let enc = r.encrypt(&msg, &mut rng, &mut Silent).expect("encrypt");
    let proof = r
        .prove(&enc, &msg, clinic, &mut rng, &mut Silent)
        .expect("prove");
    r.seal(
        enc.ciphertext(),
        &proof,
        clinic,
        &keys.sign,
        sequence,
        &mut rng,
    )
    .expect("seal")
}
