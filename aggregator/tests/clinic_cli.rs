//! `zkfl clinic` through real processes: `zkfl keygen`, `zkfl serve`, then two clinics as separate
//! processes — one `zkfl clinic train` on its own CSV, one `zkfl clinic submit` of a `.npy` update — and the
//! round closes, decrypts and publishes. Also the command's refusals (wrong model, wrong dtype, wrong
//! length, bad CSV) with their messages, and `zkfl clinic calibrate`.

mod common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use common::{Server, TempDir, keygen_with_model, open_round_args, published, stdout_ok, zkfl};
use zkfl_aggregator::round::RoundId;

/// logistic:3,2 has 3·2 + 2 = 8 parameters.
const MODEL: &str = "logistic:3,2";
const DIM: usize = 8;

fn npy_f32(values: &[f32], descr: &str) -> Vec<u8> {
    let mut h = format!(
        "{{'descr': '{descr}', 'fortran_order': False, 'shape': ({},), }}",
        values.len()
    );
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(h.len() as u16).to_le_bytes());
    out.extend_from_slice(h.as_bytes());
    values
        .iter()
        .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
    out
}

fn csv(dir: &Path) -> std::path::PathBuf {
    let mut s = String::from("age,dose,marker,outcome\n");
    for i in 0..30 {
        let c = i % 2;
        s.push_str(&format!(
            "{},{},{},{c}\n",
            40 + i,
            1.0 + 0.1 * f64::from(i),
            if c == 1 { 2.5 } else { -1.5 }
        ));
    }
    let p = dir.join("site.csv");
    std::fs::write(&p, s).expect("csv");
    p
}

fn clinic(dir: &Path, id: u32, url: &str, args: &[&str]) -> std::process::Child {
    common::clinic(&dir.join(format!("keys/clinics/{id}")), url, args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn zkfl clinic")
}

fn fails_with(out: &Output, needle: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected a failure: {err}");
    assert!(
        err.contains(needle),
        "stderr does not mention `{needle}`: {err}"
    );
}

#[test]
fn two_clinic_processes_train_and_submit_and_the_round_publishes() {
    let dir = TempDir::new("clinic-cli");
    keygen_with_model(&dir.0, 2, &[0f32; DIM]);
    let server = Server::start(&dir.0, &open_round_args(MODEL));
    let ann = server.client().current_round().expect("round");
    let pinned = std::fs::read(dir.0.join("keys/clinics/1/aggregator-vk.bin")).expect("vk");
    let signed = ann.verify(&pinned).expect("signed");
    assert_eq!(
        signed.model_spec.map(|m| m.to_string()).as_deref(),
        Some(MODEL)
    );
    let data = csv(&dir.0);
    let update = dir.0.join("update.npy");
    std::fs::write(&update, npy_f32(&[0.1; DIM], "<f4")).expect("npy");

    // Refusals first (nothing is submitted).
    let bad = dir.0.join("bad.npy");
    std::fs::write(&bad, npy_f32(&[0.1; DIM], "<f8")).expect("npy");
    let out = clinic(
        &dir.0,
        2,
        &server.url,
        &["submit", "--update", bad.to_str().unwrap()],
    )
    .wait_with_output()
    .expect("run");
    fails_with(&out, "'<f8'");
    let short = dir.0.join("short.f32");
    std::fs::write(&short, [0u8; 12]).expect("f32");
    let out = clinic(
        &dir.0,
        2,
        &server.url,
        &["submit", "--update", short.to_str().unwrap()],
    )
    .wait_with_output()
    .expect("run");
    fails_with(&out, "3 values, but round 1 has a model of 8 parameters");
    let d = data.to_str().unwrap();
    let out = clinic(
        &dir.0,
        1,
        &server.url,
        &["train", "--data", d, "--model", "logistic:3,3"],
    )
    .wait_with_output()
    .expect("run");
    fails_with(
        &out,
        "differs from the model round 1 announces (logistic:3,2)",
    );
    let broken = dir.0.join("broken.csv");
    std::fs::write(&broken, "a,b,c,y\n1,2,3,0\n1,,3,1\n").expect("csv");
    let out = clinic(
        &dir.0,
        1,
        &server.url,
        &[
            "train",
            "--data",
            broken.to_str().unwrap(),
            "--model",
            MODEL,
        ],
    )
    .wait_with_output()
    .expect("run");
    fails_with(&out, "line 3, column `b`: missing value");

    // Two clinics at once, as separate processes.
    let a = clinic(
        &dir.0,
        1,
        &server.url,
        &["train", "--data", d, "--model", MODEL, "--label", "outcome"],
    );
    let b = clinic(
        &dir.0,
        2,
        &server.url,
        &["submit", "--update", update.to_str().unwrap()],
    );
    for child in [a, b] {
        let out = child.wait_with_output().expect("clinic");
        assert!(
            out.status.success(),
            "clinic failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("accepted: clinic"));
    }
    let (done, mean) = published(&server.client(), RoundId(1), Duration::from_secs(120));
    assert_eq!(done.accepted, 2);
    assert_eq!(mean.len(), DIM);
    assert!(mean.iter().any(|&v| v != 0.0));
    assert!(server.terminate());
}

#[test]
fn calibrate_prints_norm_quantiles_and_a_suggested_tau() {
    let dir = TempDir::new("clinic-calibrate");
    let data = csv(&dir.0);
    let out = zkfl()
        .args(["clinic", "calibrate", "--data"])
        .arg(&data)
        .args(["--model", MODEL, "--rounds", "5"])
        .output()
        .expect("run");
    let stdout = stdout_ok(&out);
    assert!(
        stdout.contains("honest update norms over 5 rounds"),
        "{stdout}"
    );
    let tau: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("suggested τ = "))
        .expect("suggestion")
        .trim()
        .parse()
        .expect("number");
    assert!(tau > 0.0 && tau.is_finite());
}
