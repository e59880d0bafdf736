//! `zkfl demo --committee 3-of-5 --offline 5 --cheating 2` through the real binary (docs/DEMO.md "Threshold
//! decryption"): `zkfl keygen --committee`, five `zkfl keyholder --committee --listen` processes for the key
//! ceremony, then `zkfl serve --member http://… ×4 --member off` with member 2 sending a wrong decryption share.
//! A small model (`--side 4 --hidden 8,8`: 244 parameters, one chunk) keeps it to seconds; every round must be
//! published in threshold mode with member 5 offline, the aggregate bit-exact and per-member costs recorded;
//! member 2 is excluded at chunk 0 in the first round and left out of the later rounds' present sets. Afterwards (and after a SIGTERM mid-run) no member or server process of the run is
//! left and its key directory is gone. The full-size run (the paper's 108,996-parameter model, 27 chunks) is
//! `#[ignore]`d; its command is in docs/DEMO.md.

mod common;

use common::{TempDir, zkfl};
use serde_json::Value;
use std::process::Stdio;
use std::time::{Duration, Instant};

const SMALL: [&str; 14] = [
    "--side",
    "4",
    "--hidden",
    "8,8",
    "--clinics",
    "4",
    "--rounds",
    "2",
    "--attack-from",
    "2",
    "--train-samples",
    "800",
    "--test-samples",
    "200",
];

const COMMITTEE: [&str; 6] = ["--committee", "3-of-5", "--offline", "5", "--cheating", "2"];

/// Command lines of live processes that mention `needle` (the demo's temporary directories carry its pid).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.contains(needle) {
                found.push(cmd);
            }
        }
    }
    found
}

fn demo_dirs(pid: u32) -> Vec<std::path::PathBuf> {
    let tag = format!("zkfl-demo-zkfl_committee-{pid}-");
    std::fs::read_dir(std::env::temp_dir())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(&tag))
        .map(|e| e.path())
        .collect()
}

/// Checks one run's report: the committee configuration alone, every round published in threshold mode (the
/// cheating member excluded in the first, left out of later present sets), the offline one reported, the aggregate
/// bit-exact, per-member costs present.
fn check_report(report: &Value, rounds: usize) {
    let configs = report["configs"].as_array().unwrap();
    assert_eq!(configs.len(), 1, "--committee alone runs zkfl_committee");
    let c = &configs[0];
    assert_eq!(c["name"], "zkfl_committee");
    assert_eq!(c["aggregate_checks"], rounds);
    assert_eq!(c["aggregate_exact"], rounds, "bit-exact in every round");
    let rs = c["committee_rounds"].as_array().unwrap();
    assert_eq!(rs.len(), rounds);
    for (i, r) in rs.iter().enumerate() {
        assert_eq!(r["state"], "published", "{r}");
        assert_eq!(r["decryption_mode"], "threshold 3-of-5");
        assert_eq!(r["aggregate_exact"], true);
        assert_eq!(r["receipt_signers"], serde_json::json!([1, 2, 3, 4]));
        let present: Vec<u64> = r["present"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap())
            .collect();
        assert!(present.len() >= 3 && !present.contains(&5), "{present:?}");
        let ex = r["exclusions"].as_array().unwrap();
        if i == 0 {
            assert_eq!(ex.len(), 1, "{r}");
            assert_eq!(
                (ex[0]["member"].as_u64(), ex[0]["chunk"].as_u64()),
                (Some(2), Some(0))
            );
            assert!(!r["supplements"].as_array().unwrap().is_empty());
        } else {
            // Excluded once, the cheater is left out of later present sets (review 18 R18-2).
            assert!(!present.contains(&2) && ex.is_empty(), "{r}");
        }
        assert!(
            r["refusals"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["member"] == 5 && x["reason"] == "offline"),
            "{r}"
        );
        let members: Vec<u64> = r["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                assert!(
                    m["bytes_in"].as_u64().unwrap() > 0 && m["bytes_out"].as_u64().unwrap() > 0
                );
                m["member"].as_u64().unwrap()
            })
            .collect();
        assert_eq!(members, [1, 2, 3, 4], "costs of the running members");
    }
    assert_eq!(c["committee_ceremony"].as_array().unwrap().len(), 5);
    assert_eq!(c["committee_costs_per_round"].as_array().unwrap().len(), 4);
    assert_eq!(report["committee"]["cheating"], serde_json::json!([2]));
}

#[test]
fn a_3_of_5_committee_with_one_member_offline_and_one_cheating_publishes_bit_exact() {
    let tmp = TempDir::new("demo-committee");
    let out_dir = tmp.0.join("out");
    let child = zkfl()
        .arg("demo")
        .args(COMMITTEE)
        .args(SMALL)
        .arg("--quiet")
        .arg("--out")
        .arg(&out_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("member 2 excluded (chunk 0"), "{stdout}");
    assert!(
        stdout.contains("member 5 refused or offline: offline"),
        "{stdout}"
    );
    assert!(stdout.contains("member 1 per round"), "{stdout}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("report.json")).unwrap()).unwrap();
    check_report(&report, 2);
    assert!(processes_mentioning(&format!("zkfl-demo-zkfl_committee-{pid}-")).is_empty());
    assert!(demo_dirs(pid).is_empty(), "the key directory is removed");
}

#[test]
fn sigterm_mid_run_stops_every_member_and_removes_the_keys() {
    let mut child = zkfl()
        .arg("demo")
        .args(COMMITTEE)
        .args(SMALL)
        .arg("--quiet")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let needle = format!("zkfl-demo-zkfl_committee-{pid}-");
    // Wait until the server runs with its four members (the ceremony is done and member 5 is stopped).
    let start = Instant::now();
    loop {
        let procs = processes_mentioning(&needle);
        let members = procs.iter().filter(|c| c.contains("keyholder")).count();
        if members == 4 && procs.iter().any(|c| c.contains(" serve ")) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the committee never ran: {procs:?}"
        );
        assert!(child.try_wait().unwrap().is_none(), "the demo ended early");
        std::thread::sleep(Duration::from_millis(100));
    }
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(143), "exit status of a SIGTERM'd demo");
    assert!(
        processes_mentioning(&needle).is_empty(),
        "{:?}",
        processes_mentioning(&needle)
    );
    assert!(demo_dirs(pid).is_empty(), "the key directory is removed");
}

/// The paper's model (108,996 parameters, 27 chunks of set L), five clinics, two rounds: `cargo test --release
/// -p zkfl-aggregator --test demo_committee -- --ignored --nocapture` (tens of minutes on 2 cores).
#[test]
#[ignore = "full-size threshold run: tens of minutes"]
fn full_size_committee_run() {
    let tmp = TempDir::new("demo-committee-full");
    let out_dir = tmp.0.join("out");
    let out = zkfl()
        .arg("demo")
        .args(COMMITTEE)
        .args(["--rounds", "2", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("report.json")).unwrap()).unwrap();
    check_report(&report, 2);
}
