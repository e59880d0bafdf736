//! End-to-end tests of `zkfl demo` (docs/DEMO.md): a short run of every configuration with one attacker, and an
//! independent check that the decrypted aggregate equals the plaintext sum of the accepted quantized updates.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_aggregator::demo::pipeline::{Pipeline, Submission};
use zkfl_aggregator::demo::scenario::Scenario;
use zkfl_aggregator::demo::zkfl::{PROOF_AVAILABLE, ZkflPipeline};
use zkfl_aggregator::demo::{self, DemoReport};
use zkfl_core::learn::param_count;
use zkfl_core::learn::sample::fill_standard_normal;
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::quant::{Quantizer, dequantize};

/// 3 clinics, 2 rounds, clinic 2 attacks in round 2, small data and one local epoch; 10×10 images, so the
/// MLP 100-128-64-4 has 21,444 parameters (11 BFV chunks) and the proofs stay quick.
fn short() -> Scenario {
    let mut s = Scenario::paper(7);
    s.data.side = 10;
    s.clinics = 3;
    s.rounds = 2;
    s.attackers = vec![2];
    s.attack_from = 2;
    s.data.train = 900;
    s.data.test = 300;
    s
}

fn config<'a>(r: &'a DemoReport, name: &str) -> &'a demo::report::ConfigReport {
    r.configs
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("configuration {name} missing"))
}

#[test]
fn short_demo_runs_every_configuration_and_counts_decisions() {
    let r = demo::run(short(), &[], true).expect("demo runs");
    let names: Vec<&str> = r.configs.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["plain", "plain_clean", "kem", "zkfl", "zkfl_clean"]);
    for c in &r.configs {
        assert_eq!(c.params, param_count(&[100, 128, 64, 4]));
        assert_eq!(c.accuracy_per_round.len(), 2);
        let expected_attacks = usize::from(c.with_attacker);
        assert_eq!(c.attacker_updates, expected_attacks, "{}", c.name);
        assert_eq!(c.honest_updates + c.attacker_updates, 6, "{}", c.name);
        assert_eq!(c.honest_rejected, 0, "{}: false rejections", c.name);
    }
    // No defence in plain FedAvg, with or without the channel: the attacker is averaged in.
    assert_eq!(config(&r, "plain").attacker_rejected, 0);
    assert_eq!(config(&r, "kem").attacker_rejected, 0);
    assert_eq!(config(&r, "kem").accepted_per_round, vec![3, 3]);
    let z = config(&r, "zkfl");
    if PROOF_AVAILABLE {
        assert_eq!(z.proof, "verified");
        assert_eq!(z.attacker_rejected, 1);
        assert_eq!(z.accepted_per_round, vec![3, 2]);
        assert_eq!(z.rejection_reasons, vec![("proof_invalid".to_string(), 1)]);
        // The clean reference measures clip + quantize + encrypt only (default `--proof attacked`).
        assert_eq!(config(&r, "zkfl_clean").proof, "not run");
    } else {
        // Never pretend: without the proof nothing is rejected and the report says so.
        assert_eq!(z.proof, "missing");
        assert_eq!(z.attacker_rejected, 0);
    }
    for name in ["zkfl", "zkfl_clean"] {
        let c = config(&r, name);
        assert_eq!(c.aggregate_checks, 2, "{name}");
        assert_eq!(
            c.aggregate_exact, 2,
            "{name}: decrypted aggregate differs from the plaintext sum"
        );
    }
    // Clipping and quantization cost (almost) nothing: the clean runs agree within one point.
    let gap =
        (config(&r, "zkfl_clean").final_accuracy - config(&r, "plain_clean").final_accuracy).abs();
    assert!(gap <= 0.01, "zkfl_clean vs plain_clean accuracy gap {gap}");
    // The noise attack ruins plain FedAvg: about chance (4 classes), below the clean run.
    let (attacked, clean) = (
        config(&r, "plain").final_accuracy,
        config(&r, "plain_clean").final_accuracy,
    );
    assert!(
        attacked < 0.4 && attacked < clean,
        "plain {attacked} vs plain_clean {clean}"
    );
}

#[test]
fn decrypted_aggregate_equals_plaintext_sum_of_quantized_updates() {
    const P: usize = 5000;
    let tau = 5.0f32;
    let mut pipeline = ZkflPipeline::new(3, P, tau, 11, true).expect("set S admits 3 clinics");
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    // Clinic 1 small, clinic 2 far above τ (clipped by the quantizer), clinic 3 moderate.
    let subs: Vec<Submission> = [0.001f32, 1.0, 0.03]
        .iter()
        .enumerate()
        .map(|(i, &scale)| {
            let mut u = vec![0f32; P];
            fill_standard_normal(&mut rng, &mut u);
            u.iter_mut().for_each(|x| *x *= scale);
            Submission {
                clinic: i + 1,
                update: u,
                malicious: false,
            }
        })
        .collect();
    let out = pipeline
        .round(1, &vec![0f32; P], &subs, &|_| {})
        .expect("round runs");
    eprintln!("time split for {P} parameters: {:?}", out.time);
    assert!(
        out.decisions.iter().all(|d| d.accepted),
        "{:?}",
        out.decisions
    );
    assert_eq!(out.aggregate_exact, Some(true));
    // Independent computation in the clear: quantize each update, sum mod t, de-quantize.
    let q = Quantizer::with_max_scale(f64::from(tau), P, SetS::B_INT_MAX).expect("quantizer");
    let t = pipeline.config().t;
    let mut sum = vec![0i128; P];
    for s in &subs {
        let mut m = vec![0i64; P];
        q.quantize(&s.update, &mut m).expect("quantize");
        sum.iter_mut()
            .zip(&m)
            .for_each(|(a, &b)| *a += i128::from(b));
    }
    let sum: Vec<u64> = sum
        .iter()
        .map(|&v| v.rem_euclid(i128::from(t)) as u64)
        .collect();
    let mut expect = vec![0f32; P];
    dequantize(&q, &sum, t, 3, &mut expect).expect("dequantize");
    let got = out.mean_update.expect("an aggregate");
    assert!(
        got.iter()
            .zip(&expect)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "decrypted aggregate is not bit-exact"
    );
    // And it is not trivially zero: the clipped clinic 2 dominates.
    assert!(got.iter().any(|&x| x != 0.0));
}

#[test]
fn report_json_and_plots_are_written() {
    let mut s = short();
    s.rounds = 1;
    let r =
        demo::run(s, &["plain".to_string(), "plain_clean".to_string()], true).expect("demo runs");
    let dir = std::env::temp_dir().join(format!("zkfl-demo-test-{}", std::process::id()));
    demo::write(&r, &dir).expect("write");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("report.json"))
            .expect("json");
    let configs = json["configs"].as_array().expect("configs");
    assert_eq!(configs.len(), 2);
    for key in [
        "name",
        "final_accuracy",
        "accuracy_per_round",
        "attacker_updates",
        "attacker_rejected",
        "honest_rejected",
        "mean_round_s",
        "upload_bytes_per_clinic",
        "params",
    ] {
        assert!(configs[0].get(key).is_some(), "report.json lacks {key}");
    }
    for svg in ["accuracy.svg", "time_split.svg", "upload_bytes.svg"] {
        let text = std::fs::read_to_string(dir.join(svg)).expect("svg");
        assert!(text.starts_with("<svg"), "{svg}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
