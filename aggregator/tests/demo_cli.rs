//! `zkfl demo` and `zkfl params` as a user meets them, through the real binary: bad options exit non-zero
//! with a message that names the problem before anything runs; `--dataset fed-tcga-brca` end to end (with
//! ZKFL-PQ through real `zkfl serve` processes) writes report.json and rejects the attacking centre; and a
//! SIGTERM or Ctrl-C (SIGINT) during an encrypted run stops the demo's server and key holder and removes
//! their key directory.

mod common;

use common::{TempDir, zkfl};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn run(args: &[&str]) -> Output {
    zkfl().args(args).output().expect("zkfl runs")
}

/// Runs `args`, expects a failure whose stderr contains every one of `needles`.
fn fails_with(args: &[&str], needles: &[&str]) {
    let out = run(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{args:?} exited 0; stderr: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: stderr lacks `{n}`: {err}");
    }
}

#[test]
fn meaningless_options_exit_nonzero_with_a_clear_message() {
    fails_with(
        &["demo", "--only", "foo"],
        &["--only", "`foo`", "plain_clean"],
    );
    fails_with(&["demo", "--test-samples", "0"], &["--test-samples"]);
    fails_with(&["demo", "--alpha", "0"], &["--alpha"]);
    fails_with(&["demo", "--alpha=-1"], &["--alpha"]);
    fails_with(&["demo", "--alpha", "NaN"], &["--alpha"]);
    fails_with(&["demo", "--lr", "nan"], &["--lr"]);
    fails_with(&["demo", "--attackers", "3,x"], &["--attackers", "`x`"]);
    fails_with(
        &["demo", "--dataset", "fed-tcga-brca", "--only", "kem"],
        &["`kem`"],
    );
    fails_with(
        &["demo", "--dataset", "fed-tcga-brca", "--clinics", "3"],
        &["6 centres"],
    );
}

#[test]
fn synthetic_only_options_with_fed_tcga_brca_are_a_usage_error() {
    for (args, flags) in [
        (&["--train-samples", "100"][..], &["--train-samples"][..]),
        (&["--alpha", "2"], &["--alpha"]),
        (&["--side", "14"], &["--side"]),
        (&["--test-samples", "10"], &["--test-samples"]),
        (&["--alpha=2", "--side=14"], &["--alpha, --side", "apply"]),
    ] {
        let mut all = vec!["demo", "--dataset", "fed-tcga-brca"];
        all.extend_from_slice(args);
        let out = run(&all);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{all:?}: {err}");
        for f in flags {
            assert!(err.contains(f), "{all:?}: stderr lacks `{f}`: {err}");
        }
        assert!(err.contains("synthetic experiment only"), "{err}");
    }
    // The synthetic experiment takes them (checked without running: a bad --only fails after parsing).
    let out = run(&["demo", "--alpha", "2", "--side", "14", "--only", "foo"]);
    assert_ne!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn too_many_clinics_reports_the_clinic_limit_and_a_real_option() {
    let out = run(&["demo", "--clinics", "1000"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("1000 clinics") && err.contains("use --clinics"),
        "{err}"
    );
    assert!(
        !err.contains("split") && !err.contains("set L") && !err.contains("scale,"),
        "{err}"
    );
    // The advice names an option `demo` has: following it passes the check.
    let max: String = err
        .split("use --clinics ")
        .nth(1)
        .expect("advice")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let help = String::from_utf8_lossy(&run(&["demo", "--help"]).stdout).to_string();
    assert!(help.contains("--clinics"));
    assert!(max.parse::<u32>().expect("a number") >= 5, "{err}");
}

#[test]
fn bad_out_path_fails_before_the_run_and_names_it() {
    let t = TempDir::new("cli-out");
    let file = t.0.join("a-file");
    std::fs::write(&file, b"x").expect("write");
    let target = file.join("sub");
    let started = Instant::now();
    let out = run(&["demo", "--out", target.to_str().expect("utf-8")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains(target.to_str().expect("utf-8")), "{err}");
    // Nothing ran: no table on stdout, and far quicker than a demo.
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn bad_bench_json_path_fails_before_measuring_and_names_it() {
    let t = TempDir::new("cli-json");
    let file = t.0.join("a-file");
    std::fs::write(&file, b"x").expect("write");
    let target = file.join("bench.json");
    let started = Instant::now();
    let out = run(&[
        "bench",
        "--seconds",
        "60",
        "--json",
        target.to_str().expect("utf-8"),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("--json") && err.contains(file.to_str().expect("utf-8")),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "it measured first"
    );
}

#[test]
fn empty_attackers_means_none_and_redirected_output_prints_each_round() {
    let out = run(&[
        "demo",
        "--attackers",
        "",
        "--only",
        "plain",
        "--side",
        "6",
        "--clinics",
        "2",
        "--rounds",
        "2",
        "--train-samples",
        "200",
        "--test-samples",
        "50",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{err}");
    assert!(stdout.contains("attackers []"), "{stdout}");
    assert!(
        err.contains("plain round 1/2") && err.contains("plain round 2/2"),
        "{err}"
    );
}

#[test]
fn params_exits_nonzero_for_a_refused_configuration() {
    let ok = run(&["params", "--no-roundtrip"]);
    assert!(ok.status.success());
    for (args, sets) in [
        (["--params", "2000000"], "S and L"), // too large for both sets
        (["--clinics", "1000"], "S"),         // beyond set S's clinic limit, within set L's
    ] {
        let out = run(&[&["params", "--no-roundtrip"][..], &args[..]].concat());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{args:?}: refused configuration exited 0"
        );
        assert!(
            err.contains(&format!("refused by parameter set {sets} ")),
            "{err}"
        );
    }
}

#[test]
fn fed_tcga_brca_demo_end_to_end_rejects_the_attacker() {
    let t = TempDir::new("cli-tcga");
    let dir = t.0.join("out");
    let out = run(&[
        "demo",
        "--dataset",
        "fed-tcga-brca",
        "--rounds",
        "3",
        "--attack-from",
        "2",
        "--out",
        dir.to_str().expect("utf-8"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("report.json"))
            .expect("json");
    assert_eq!(report["dataset"], "fed-tcga-brca");
    assert_eq!(report["params"], 39);
    assert_eq!(report["crypto"]["chunks"], 1);
    assert!(report["honest_norms"]["max"].as_f64().expect("norms") > 0.0);
    let config = |name: &str| {
        report["configs"]
            .as_array()
            .expect("configs")
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .clone()
    };
    for name in ["plain_clean", "plain", "zkfl", "zkfl_clean"] {
        let c = config(name);
        for key in [
            "c_index",
            "attacker_updates",
            "attacker_rejected",
            "honest_rejected",
        ] {
            assert!(!c[key].is_null(), "{name}.{key} missing");
        }
        assert_eq!(
            c["c_index_per_centre"]
                .as_array()
                .expect("per centre")
                .len(),
            6
        );
        assert_eq!(c["honest_rejected"], 0, "{name}: false rejections");
    }
    // Centre 6 attacks in rounds 2 and 3: averaged in by plain FedAvg, rejected by the server's verifier.
    assert_eq!(config("plain")["attacker_updates"], 2);
    assert_eq!(config("plain")["attacker_rejected"], 0);
    assert_eq!(config("zkfl")["attacker_updates"], 2);
    assert_eq!(config("zkfl")["attacker_rejected"], 2);
    assert_eq!(config("zkfl")["aggregate_exact"], 3);
    assert_eq!(config("zkfl")["proof"], "verified");
    let attacked = config("plain")["c_index"].as_f64().expect("c");
    let defended = config("zkfl")["c_index"].as_f64().expect("c");
    assert!(defended > attacked, "zkfl {defended} ≤ plain {attacked}");
    assert_eq!(
        report["local_only"]["c_index_per_centre"]
            .as_array()
            .expect("local")
            .len(),
        6
    );
}

/// Processes whose command line mentions `needle` (the test's own temp dir), from /proc.
fn processes_mentioning(needle: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(needle))
        })
        .filter(|pid| {
            // Zombies have exited; only running processes count.
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.rsplit(") ").next().is_some_and(|r| !r.starts_with('Z')))
        })
        .collect()
}

#[test]
fn sigterm_stops_serve_and_key_holder_and_removes_the_key_directory() {
    interrupt_mid_run("TERM", 143);
}

#[test]
fn ctrl_c_stops_serve_and_key_holder_and_removes_the_key_directory() {
    interrupt_mid_run("INT", 130);
}

/// Starts an encrypted Fed-TCGA-BRCA run under a private TMPDIR, sends `signal` after its first round, and
/// checks the exit status, that no process of the run survives and that its key directory is gone.
fn interrupt_mid_run(signal: &str, code: i32) {
    let t = TempDir::new(&format!("cli-signal-{signal}"));
    let tmp = t.0.join("tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    let mut demo = Command::new(env!("CARGO_BIN_EXE_zkfl"))
        .args([
            "demo",
            "--dataset",
            "fed-tcga-brca",
            "--only",
            "zkfl",
            "--rounds",
            "20",
        ])
        .env("TMPDIR", &tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("demo starts");
    // Wait until the first round is done: the server and its key holder are up, the key is on disk.
    let stderr = demo.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if line.contains("round 1/20") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(600))
        .expect("first round");
    let needle = tmp.to_str().expect("utf-8").to_string();
    let key_dirs = || std::fs::read_dir(&tmp).expect("tmp").count();
    assert!(key_dirs() > 0, "the demo's server directory exists");
    assert!(
        !processes_mentioning(&needle).is_empty(),
        "serve runs under the test's TMPDIR"
    );
    let killed = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(demo.id().to_string())
        .status();
    assert!(killed.expect("kill").success());
    let status = demo.wait().expect("demo exits");
    assert_eq!(status.code(), Some(code), "{status}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !processes_mentioning(&needle).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        processes_mentioning(&needle),
        Vec::<u32>::new(),
        "orphaned processes"
    );
    assert_eq!(
        key_dirs(),
        0,
        "temp dir (with the BFV secret key) left behind"
    );
}

#[test]
fn smoke_run_in_the_docs_reaches_the_attack() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/DEMO.md"))
        .expect("docs/DEMO.md");
    let line = doc
        .lines()
        .find(|l| l.contains("one-minute smoke run"))
        .expect("smoke run line");
    let args: Vec<&str> = line
        .split("-- demo ")
        .nth(1)
        .and_then(|a| a.split('#').next())
        .expect("command")
        .split_whitespace()
        .collect();
    let t = TempDir::new("cli-smoke");
    let dir = t.0.join("out");
    // The plain configuration alone: the same rounds, clinics and attack schedule, without the proofs.
    let mut all = args.clone();
    all.extend([
        "--only",
        "plain",
        "--quiet",
        "--out",
        dir.to_str().expect("utf-8"),
    ]);
    let out = run(&[&["demo"][..], &all].concat());
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("report.json"))
            .expect("json");
    let attacks = report["configs"][0]["attacker_updates"]
        .as_u64()
        .expect("count");
    assert!(
        attacks > 0,
        "the documented smoke run {args:?} ends before the attack"
    );
}
