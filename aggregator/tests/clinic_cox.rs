//! The README's Fed-TCGA-BRCA walkthrough through real processes: `zkfl data fed-tcga-brca` writes the
//! centres' CSVs and the zero initial model, `zkfl keygen`, `zkfl serve --model cox:39 --norm-bound 0.3`,
//! three `zkfl clinic train` processes on three centres' CSVs, and the round publishes with every update
//! accepted. Also `zkfl clinic calibrate` on a centre and the refusals of a Cox round (a label option, a
//! CSV without time and event columns).

mod common;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::{Server, TempDir, keygen, published, stdout_ok, zkfl};
use zkfl_aggregator::round::RoundId;

/// Centres (and clinics) taking part: the test stays short on 2 cores.
const CENTRES: u32 = 3;

fn data(dir: &Path) {
    let out = zkfl()
        .args(["data", "fed-tcga-brca", "--out"])
        .arg(dir.join("tcga"))
        .output()
        .expect("run zkfl data");
    let stdout = stdout_ok(&out);
    assert!(
        stdout.contains("centre-5.csv: Canada (40 training patients"),
        "{stdout}"
    );
}

fn train(dir: &Path, url: &str, centre: u32, extra: &[&str]) -> Child {
    let data = dir.join(format!("tcga/centre-{centre}.csv"));
    let keys = dir.join(format!("keys/clinics/{}", centre + 1));
    common::clinic(&keys, url, &["train", "--data", data.to_str().unwrap()])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn zkfl clinic train")
}

#[test]
fn centres_train_the_cox_model_through_serve_and_the_round_publishes() {
    let dir = TempDir::new("clinic-cox");
    keygen(&dir.0, CENTRES);
    data(&dir.0);
    std::fs::copy(
        dir.0.join("tcga/initial-model.f32"),
        dir.0.join("model.f32"),
    )
    .expect("model");
    let server = Server::start(
        &dir.0,
        &["--open-round", "--norm-bound", "0.3", "--model", "cox:39"],
    );

    // Refusals first (nothing is submitted).
    let out = train(&dir.0, &server.url, 0, &["--label", "E"])
        .wait_with_output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("takes a time and an event column"), "{err}");
    let out = train(&dir.0, &server.url, 0, &["--time", "days"])
        .wait_with_output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("no column named `days`"), "{err}");

    let clinics: Vec<Child> = (0..CENTRES)
        .map(|c| train(&dir.0, &server.url, c, &[]))
        .collect();
    for child in clinics {
        let out = child.wait_with_output().expect("clinic");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "clinic failed: {err}");
        assert!(
            err.contains("training cox:39 on") && err.contains("batch 16, learning rate 0.1"),
            "{err}"
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("accepted: clinic"));
    }
    let (done, mean) = published(&server.client(), RoundId(1), Duration::from_secs(60));
    assert_eq!((done.accepted, done.rejected), (CENTRES, 0));
    assert_eq!(mean.len(), 39);
    assert!(mean.iter().any(|&v| v != 0.0));
    assert!(mean.iter().all(|v| v.is_finite()));
    assert!(server.terminate());
}

#[test]
fn calibration_on_the_largest_centre_suggests_the_demos_tau() {
    let dir = TempDir::new("clinic-cox-calibrate");
    data(&dir.0);
    let out = zkfl()
        .args(["clinic", "calibrate", "--model", "cox:39", "--data"])
        .arg(dir.0.join("tcga/centre-0.csv"))
        .output()
        .expect("run");
    let stdout = stdout_ok(&out);
    assert!(
        stdout.contains("honest update norms over 10 rounds"),
        "{stdout}"
    );
    // The same τ the Fed-TCGA-BRCA demo uses (docs/DEMO.md), from one centre's data alone.
    assert!(stdout.contains("suggested τ = 0.3\n"), "{stdout}");
}
