//! The soak and fault driver behind `scripts/soak.sh` (docs/SERVICE.md "Soak"): real `zkfl keygen`,
//! `zkfl serve` and key-holder processes on loopback, honest clinics with real proofs, and three rounds:
//! 1. a flood of junk submissions of mixed sizes up to the body limit plus idle and slow (slowloris)
//!    connections while every honest clinic submits with retries and `/v1/health` is probed;
//! 2. `kill -9` of the key holder mid-round;
//! 3. `kill -9` of the server while a submission is being verified, then a restart.
//!
//! Every round must publish the de-quantized mean of the clinics' quantized updates bit-exactly. Writes the
//! figures as JSON and exits non-zero if a goal is missed. Stops by itself; loopback only.
//!
//! Usage: `soak --zkfl target/release/zkfl --out target/soak.json [--quick]`

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use serde_json::json;
use zkfl_aggregator::client::{Client, RetryPolicy};
use zkfl_aggregator::commands::serve::LISTENING;
use zkfl_aggregator::coordinator::OpenRound;
use zkfl_aggregator::demo::clinic::{ClinicKeys, submission};
use zkfl_aggregator::model::{self, SetLimits};
use zkfl_aggregator::round::Announcement;
use zkfl_aggregator::round::{ClinicId, RoundId};
use zkfl_aggregator::server::listen::listening_address;
use zkfl_core::clinic::PublicKey;

/// Model size of the soak rounds (one BFV chunk).
const DIM: usize = 32;
/// Largest request body: `zkfl serve`'s default `--max-body-bytes`; junk sizes go up to it.
const MAX_BODY: usize = 16 << 20;

struct Plan {
    clinics: u32,
    junk: u64,
    junk_threads: usize,
    idle: usize,
    slow: usize,
}

impl Plan {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                clinics: 6,
                junk: 1200,
                junk_threads: 6,
                idle: 100,
                slow: 120,
            }
        } else {
            Self {
                clinics: 12,
                junk: 4000,
                junk_threads: 8,
                idle: 200,
                slow: 300,
            }
        }
    }
}

/// A running `zkfl serve`.
struct Serve {
    child: Child,
    url: String,
}

impl Serve {
    fn start(zkfl: &Path, dir: &Path, extra: &[&str]) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("serve.log"))
            .expect("serve.log");
        let mut child = Command::new(zkfl)
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(dir)
            .arg("--keys")
            .arg(dir.join("keys"))
            .arg("--initial-model")
            .arg(dir.join("model.f32"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("spawn zkfl serve");
        let stdout = child.stdout.take().expect("stdout");
        let url =
            listening_address(stdout, LISTENING, Duration::from_secs(600)).expect("serve output");
        Self { child, url }
    }

    fn addr(&self) -> String {
        self.url.trim_start_matches("http://").to_owned()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn peak_rss_kib(&self) -> u64 {
        status_field(self.pid(), "VmHWM:").unwrap_or(0)
    }

    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn status_field(pid: u32, field: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The server's child processes (the key holder).
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|tasks| {
            tasks
                .flatten()
                .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
                .flat_map(|c| {
                    c.split_whitespace()
                        .filter_map(|p| p.parse().ok())
                        .collect::<Vec<u32>>()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn run(zkfl: &Path, args: &[&str]) {
    let ok = Command::new(zkfl)
        .args(args)
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "zkfl {args:?} failed");
}

fn client(s: &Serve, keys: &Path) -> Client {
    Client::new(&s.url)
        .with_admin_token_from(keys)
        .expect("admin token")
        .with_retry(RetryPolicy {
            attempts: 40,
            ..RetryPolicy::default()
        })
}

/// One clinic's sealed submission for the current round and its quantized update.
struct Prepared {
    id: u32,
    envelope: Vec<u8>,
    m: Vec<i64>,
}

fn announcement(c: &Client, keys: &Path) -> Announcement {
    let vk = std::fs::read(keys.join("clinics/1/aggregator-vk.bin")).expect("pinned key");
    c.current_round()
        .expect("current round")
        .verify(&vk)
        .expect("signed announcement")
}

fn prepare(c: &Client, keys: &Path, clinics: u32, seed: u64) -> (Announcement, Vec<Prepared>) {
    let a = announcement(c, keys);
    let chunks = SetLimits::of("S").expect("S").chunks(a.model_dim) as usize;
    let pk = PublicKey::decode(&c.bfv_key().expect("bfv key"), chunks).expect("pk");
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let prepared = (1..=clinics)
        .map(|id| {
            let keys = ClinicKeys::load(keys, ClinicId(id)).expect("clinic keys");
            let update: Vec<f32> = (0..DIM)
                .map(|_| (f64::from(rng.next_u32()) / 4.294_967_296e9 - 0.5) as f32 * 0.1)
                .collect();
            let sealed = submission(&keys, &pk, &a, &update, false, &mut rng).expect("submission");
            Prepared {
                id,
                envelope: sealed.envelope,
                m: sealed.m,
            }
        })
        .collect();
    (a, prepared)
}

/// Submits and returns whether the clinic's decision is `accepted` (a retried submission whose first try
/// was recorded answers 409 replayed; the round status is the truth).
fn submit_and_check(c: &Client, round: u64, p: &Prepared) -> bool {
    let answer = c.submit(RoundId(round), &p.envelope);
    if let Err(e) = &answer {
        eprintln!("soak: clinic {} answer: {e}", p.id);
    }
    c.status(RoundId(round)).is_ok_and(|s| {
        s.submissions
            .iter()
            .any(|d| d.clinic_id == ClinicId(p.id) && d.decision == "accepted")
    })
}

/// Waits for publication and compares the published update with the de-quantized mean of the clinics'
/// quantized updates, bit for bit.
fn published_bit_exact(c: &Client, a: &Announcement, prepared: &[Prepared]) -> bool {
    let done = c
        .wait_for_end(a.round, Duration::from_secs(120))
        .expect("round finishes");
    if done.state != "published" {
        eprintln!("soak: round {} {}: {:?}", a.round, done.state, done.failure);
        return false;
    }
    let sums: Vec<i64> = (0..a.model_dim as usize)
        .map(|i| prepared.iter().map(|p| p.m[i]).sum())
        .collect();
    let count = u32::try_from(prepared.len()).unwrap_or(u32::MAX);
    let expected = model::mean_update(&sums, a.t, a.norm_bound, a.scale, count).expect("mean");
    let got = c.update(a.round).expect("published update");
    let exact = got.len() == expected.len()
        && got
            .iter()
            .zip(&expected)
            .all(|(x, y)| x.to_bits() == y.to_bits());
    eprintln!("soak: round {} published, bit-exact: {exact}", a.round);
    exact
}

fn open_round(c: &Client) {
    c.admin_open_round(&OpenRound {
        norm_bound: 1.0,
        scale: 1024.0,
        deadline_secs: 3600,
        model_sha3: None,
        model: None,
    })
    .expect("open round");
}

/// Sends junk submissions of mixed sizes (up to the body limit) until `total` were sent in all threads. A
/// body the server refuses early (429 from the body budget) may end in a reset while it is still being
/// written; that still counts as a sent request.
fn junk(addr: &str, round: u64, sent: &AtomicU64, total: u64, seed: u64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut body = vec![0u8; MAX_BODY];
    rng.fill_bytes(&mut body);
    let sizes = [100usize, 1_000, 10_000, 100_000, 1 << 20, 4 << 20, MAX_BODY];
    while sent.fetch_add(1, Ordering::SeqCst) < total {
        let len = sizes[rng.next_u32() as usize % sizes.len()];
        let Ok(mut s) = TcpStream::connect(addr) else {
            continue;
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
        let head = format!(
            "POST /v1/rounds/{round}/submissions HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/octet-stream\r\nContent-Length: {len}\r\n\r\n"
        );
        let _ = s
            .write_all(head.as_bytes())
            .and_then(|()| s.write_all(&body[..len]));
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    }
}

/// Opens idle and slowloris connections and returns the longest time until the server closed one.
fn slow_connections(addr: &str, idle: usize, slow: usize, stop_after: Duration) -> (f64, usize) {
    let start = Instant::now();
    let mut conns: Vec<(TcpStream, bool, Option<f64>)> = Vec::new();
    for i in 0..idle + slow {
        let Ok(s) = TcpStream::connect(addr) else {
            continue;
        };
        let trickle = i >= idle;
        let mut s = s;
        if trickle {
            let _ = s.write_all(b"POST /v1/rounds/1/submissions HTTP/1.1\r\nHost: x\r\n");
        }
        let _ = s.set_nonblocking(true);
        conns.push((s, trickle, None));
    }
    let opened = conns.len();
    while start.elapsed() < stop_after && conns.iter().any(|c| c.2.is_none()) {
        for (s, trickle, closed) in conns.iter_mut().filter(|c| c.2.is_none()) {
            if *trickle {
                let _ = s.write_all(b"X");
            }
            let mut buf = [0u8; 512];
            match s.read(&mut buf) {
                Ok(0) => *closed = Some(start.elapsed().as_secs_f64()),
                Err(e) if e.kind() != std::io::ErrorKind::WouldBlock => {
                    *closed = Some(start.elapsed().as_secs_f64());
                }
                _ => {}
            }
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    let worst = conns
        .iter()
        .map(|c| c.2.unwrap_or(f64::INFINITY))
        .fold(0.0, f64::max);
    (worst, opened)
}

/// Probes `/v1/health` and the round status `/v1/rounds/1` (which reads the store) alternately on fresh
/// connections until `stop`; returns their latencies in milliseconds (a failed probe counts as 5,000 ms).
fn probe_health(addr: &str, stop: &AtomicBool) -> (Vec<f64>, Vec<f64>) {
    let (mut health, mut status) = (Vec::new(), Vec::new());
    for i in 0u64.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let path = if i % 2 == 0 {
            "/v1/health"
        } else {
            "/v1/rounds/1"
        };
        let t = Instant::now();
        let ok = TcpStream::connect(addr).and_then(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(5)))?;
            let req =
                format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            s.write_all(req.as_bytes())?;
            let mut r = String::new();
            s.read_to_string(&mut r)?;
            Ok(r.starts_with("HTTP/1.1 200"))
        });
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let ms = if ok.unwrap_or(false) { ms } else { 5000.0 };
        if i % 2 == 0 {
            health.push(ms)
        } else {
            status.push(ms)
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    (health, status)
}

fn p99(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::INFINITY;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64) * 0.99).ceil() as usize;
    v[i.clamp(1, v.len()) - 1]
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        argv.iter()
            .position(|a| a == name)
            .and_then(|i| argv.get(i + 1))
            .cloned()
    };
    let quick = argv.iter().any(|a| a == "--quick");
    let zkfl = PathBuf::from(arg("--zkfl").expect("--zkfl PATH"));
    let out = PathBuf::from(arg("--out").unwrap_or_else(|| "target/soak.json".into()));
    let plan = Plan::new(quick);
    let started = Instant::now();
    let dir = std::env::temp_dir().join(format!("zkfl-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("work dir");
    let keys = dir.join("keys");
    let keys_s = keys.to_string_lossy().into_owned();
    run(
        &zkfl,
        &[
            "keygen",
            "--clinics",
            &plan.clinics.to_string(),
            "--out",
            &keys_s,
        ],
    );
    std::fs::write(dir.join("model.f32"), model::encode(&[0.0; DIM])).expect("model");

    let mut server = Serve::start(&zkfl, &dir, &[]);
    let mut peak_kib = 0u64;
    let mut exact = Vec::new();
    let mut honest_total = 0u64;
    let mut honest_accepted = 0u64;

    // Round 1: flood.
    let c = client(&server, &keys);
    open_round(&c);
    let (a1, p1) = prepare(&c, &keys, plan.clinics, 1);
    let addr = server.addr();
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let health = {
        let (addr, stop) = (addr.clone(), Arc::clone(&stop));
        std::thread::spawn(move || probe_health(&addr, &stop))
    };
    let slow = {
        let addr = addr.clone();
        let (idle, slow) = (plan.idle, plan.slow);
        std::thread::spawn(move || slow_connections(&addr, idle, slow, Duration::from_secs(60)))
    };
    let flood: Vec<_> = (0..plan.junk_threads)
        .map(|i| {
            let (addr, sent) = (addr.clone(), Arc::clone(&sent));
            let total = plan.junk;
            std::thread::spawn(move || junk(&addr, 1, &sent, total, 100 + i as u64))
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let honest: Vec<_> = p1
        .into_iter()
        .map(|p| {
            let c = client(&server, &keys);
            std::thread::spawn(move || (submit_and_check(&c, 1, &p), p))
        })
        .collect();
    let mut p1 = Vec::new();
    for h in honest {
        let (ok, p) = h.join().expect("honest clinic");
        honest_total += 1;
        honest_accepted += u64::from(ok);
        p1.push(p);
    }
    for f in flood {
        let _ = f.join();
    }
    let (slowloris_closed_s, slow_opened) = slow.join().expect("slow connections");
    stop.store(true, Ordering::SeqCst);
    let (health_ms, status_ms) = health.join().expect("health probe");
    let junk_requests = sent.load(Ordering::SeqCst).min(plan.junk);
    exact.push(published_bit_exact(&c, &a1, &p1));
    peak_kib = peak_kib.max(server.peak_rss_kib());

    // Round 2: kill -9 of the key holder mid-round.
    open_round(&c);
    let (a2, p2) = prepare(&c, &keys, plan.clinics, 2);
    let half = p2.len() / 2;
    for p in &p2[..half] {
        honest_total += 1;
        honest_accepted += u64::from(submit_and_check(&c, 2, p));
    }
    let mut keyholder_kills = 0u64;
    for pid in children(server.pid()) {
        let killed = Command::new("kill")
            .args(["-9", &pid.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        keyholder_kills += u64::from(killed);
    }
    for p in &p2[half..] {
        honest_total += 1;
        honest_accepted += u64::from(submit_and_check(&c, 2, p));
    }
    exact.push(published_bit_exact(&c, &a2, &p2));
    let restarts = c.health().expect("health")["keyholder"]["restarts"]
        .as_u64()
        .unwrap_or(0);
    peak_kib = peak_kib.max(server.peak_rss_kib());

    // Round 3: kill -9 of the server while a submission is being verified, then a restart.
    open_round(&c);
    let (a3, p3) = prepare(&c, &keys, plan.clinics, 3);
    for p in &p3[..half] {
        honest_total += 1;
        honest_accepted += u64::from(submit_and_check(&c, 3, p));
    }
    let victim = &p3[half];
    let in_flight = {
        let url = server.url.clone();
        let envelope = victim.envelope.clone();
        std::thread::spawn(move || {
            Client::new(&url)
                .with_retry(RetryPolicy::none())
                .submit(RoundId(3), &envelope)
                .is_ok()
        })
    };
    std::thread::sleep(Duration::from_millis(20));
    peak_kib = peak_kib.max(server.peak_rss_kib());
    server.kill9();
    let answered_before_kill = in_flight.join().unwrap_or(false);
    server = Serve::start(&zkfl, &dir, &[]);
    let c = client(&server, &keys);
    for p in &p3[half..] {
        honest_total += 1;
        honest_accepted += u64::from(submit_and_check(&c, 3, p));
    }
    exact.push(published_bit_exact(&c, &a3, &p3));
    peak_kib = peak_kib.max(server.peak_rss_kib());
    let rounds_published = c
        .status(RoundId(3))
        .map(|_| {
            (1..=3)
                .filter(|r| c.status(RoundId(*r)).is_ok_and(|s| s.state == "published"))
                .count()
        })
        .unwrap_or(0);
    drop(server);

    let report = json!({
        "mode": if quick { "quick" } else { "full" },
        "cpus": std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        "wall_s": started.elapsed().as_secs_f64(),
        "peak_rss_mib": peak_kib as f64 / 1024.0,
        "honest_total": honest_total,
        "honest_accepted": honest_accepted,
        "junk_requests": junk_requests,
        "junk_max_body_bytes": MAX_BODY,
        "slow_connections": slow_opened,
        "health_probes": health_ms.len(),
        "health_p99_ms": p99(health_ms),
        "status_probes": status_ms.len(),
        "status_p99_ms": p99(status_ms),
        "slowloris_closed_s": slowloris_closed_s,
        "keyholder_kills": keyholder_kills,
        "keyholder_restarts": restarts,
        "server_kills": 1,
        "server_kill_answered_first": answered_before_kill,
        "rounds_published": rounds_published,
        "aggregate_bit_exact": exact.iter().all(|e| *e),
    });
    if let Some(parent) = out.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::write(&out, serde_json::to_vec_pretty(&report).expect("json")).expect("write");
    println!("{}", serde_json::to_string_pretty(&report).expect("json"));
    let goals = [
        ("peak_rss_mib <= 512", peak_kib as f64 / 1024.0 <= 512.0),
        (
            "every honest clinic accepted",
            honest_accepted == honest_total,
        ),
        ("junk_requests >= 1000", junk_requests >= 1000),
        ("slow connections >= 200", slow_opened >= 200),
        (
            "health_p99_ms <= 1000",
            report["health_p99_ms"]
                .as_f64()
                .is_some_and(|p| p <= 1000.0),
        ),
        ("slowloris_closed_s <= 30", slowloris_closed_s <= 30.0),
        (
            "key holder killed and restarted",
            keyholder_kills >= 1 && restarts >= 1,
        ),
        ("3 rounds published", rounds_published == 3),
        ("aggregates bit-exact", exact.iter().all(|e| *e)),
    ];
    let missed: Vec<&str> = goals.iter().filter(|g| !g.1).map(|g| g.0).collect();
    let _ = std::fs::remove_dir_all(&dir);
    if !missed.is_empty() {
        eprintln!("soak: goals missed: {missed:?}");
        std::process::exit(1);
    }
    eprintln!("soak: every goal met");
}
