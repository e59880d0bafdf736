//! `zkfl bench` through the real binary: bad input fails before any timing, with a message that helps.

use std::process::Command;

/// `--only` with an unknown group exits non-zero at once and names the valid groups.
#[test]
fn bench_only_unknown_group_is_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_zkfl"))
        .args([
            "bench",
            "--only",
            "nosuchgroup",
            "--seconds",
            "0",
            "--runs",
            "1",
        ])
        .output()
        .expect("run zkfl");
    assert!(!out.status.success(), "exit status {:?}", out.status);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nosuchgroup") && err.contains("bfv, zk, zk.l"),
        "{err}"
    );
}

/// A negative time budget is refused by the argument parser.
#[test]
fn bench_negative_seconds_is_an_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_zkfl"))
        .args(["bench", "--seconds=-1"])
        .output()
        .expect("run zkfl");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("seconds"));
}
