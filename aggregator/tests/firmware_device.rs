//! A firmware-made submission accepted by a real `zkfl serve` (docs/FIRMWARE.md): `zkfl keygen`,
//! `zkfl serve --open-round`, `zkfl clinic device` writes the device's inputs, the Cortex-M4 image
//! (firmware/cortex-m4) runs under `qemu-system-arm -M mps2-an386` and seals the submission, `zkfl clinic
//! submit --envelope` posts it; the server verifies and accepts it, refuses the replay, and the round
//! publishes the decrypted update. Needs QEMU and the built image, so it is ignored by default;
//! `bash scripts/firmware.sh` builds the image and runs it:
//!
//! ```text
//! ZKFL_FIRMWARE_ELF=<image> cargo test --release -p zkfl-aggregator --test firmware_device -- --ignored
//! ```

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Server, TempDir, keygen_with_model, open_round_args, published, stdout_ok};
use zkfl_aggregator::round::RoundId;

/// logistic:3,2 has 3·2 + 2 = 8 parameters (one chunk).
const MODEL: &str = "logistic:3,2";
const UPDATE: [f32; 8] = [0.1, -0.2, 0.05, 0.0, 0.3, -0.1, 0.25, -0.05];

fn clinic(dir: &Path, url: &str, args: &[&str]) -> std::process::Output {
    common::clinic(&dir.join("keys/clinics/1"), url, args)
        .output()
        .expect("run zkfl clinic")
}

/// Runs the device image in `dir` (its semihosting files are relative to QEMU's working directory).
fn run_device(elf: &Path, dir: &Path) {
    let out = Command::new("qemu-system-arm")
        .current_dir(dir)
        .args([
            "-machine",
            "mps2-an386",
            "-cpu",
            "cortex-m4",
            "-nographic",
            "-monitor",
            "none",
            "-serial",
            "none",
            "-semihosting-config",
            "enable=on,target=native",
            "-kernel",
        ])
        .arg(elf)
        .output()
        .expect("run qemu-system-arm");
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "device failed: {log}");
    assert!(log.contains("FWSTATS chunks=1 "), "{log}");
}

#[test]
#[ignore = "needs qemu-system-arm and the firmware image: bash scripts/firmware.sh runs it"]
fn a_submission_sealed_by_the_device_is_accepted_by_the_server() {
    let elf = PathBuf::from(std::env::var("ZKFL_FIRMWARE_ELF").expect("ZKFL_FIRMWARE_ELF"));
    let dir = TempDir::new("firmware-device");
    keygen_with_model(&dir.0, 1, &[0f32; UPDATE.len()]);
    let server = Server::start(&dir.0, &open_round_args(MODEL));
    let update = dir.0.join("update.f32");
    std::fs::write(
        &update,
        UPDATE
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<u8>>(),
    )
    .expect("update");
    let dev = dir.0.join("device");
    let out = clinic(
        &dir.0,
        &server.url,
        &[
            "device",
            "--update",
            update.to_str().unwrap(),
            "--out",
            dev.to_str().unwrap(),
        ],
    );
    assert!(stdout_ok(&out).contains("device inputs for clinic 1, round 1"));

    run_device(&elf, &dev);
    let sealed = dev.join("submission.bin");
    let args = ["submit", "--envelope", sealed.to_str().unwrap()];
    let out = clinic(&dir.0, &server.url, &args);
    assert!(
        stdout_ok(&out).contains("accepted: clinic 1 in round 1"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let again = clinic(&dir.0, &server.url, &args);
    assert!(!again.status.success(), "a replayed envelope is refused");

    let (done, mean) = published(&server.client(), RoundId(1), Duration::from_secs(120));
    assert_eq!(done.accepted, 1);
    // ‖UPDATE‖ < τ = 1: no clipping; quantization at S = 512 leaves an error ≤ 1/1024 per coordinate.
    for (m, u) in mean.iter().zip(UPDATE) {
        assert!((m - u).abs() <= 1.0 / 1024.0 + 1e-6, "{m} vs {u}");
    }
    assert!(server.terminate());
}
