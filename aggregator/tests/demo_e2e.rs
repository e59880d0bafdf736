//! End-to-end tests of `zkfl demo` (docs/DEMO.md): a short run of every configuration with one attacker, the
//! encrypted ones through real `zkfl serve` processes over loopback HTTP; and an independent check, against a
//! `zkfl serve` started by the test, that the published aggregate equals the plaintext sum of the accepted
//! quantized updates bit for bit.

mod common;

use std::time::Duration;

use common::{Server, TempDir, keygen_with_model, published};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_aggregator::client::Client;
use zkfl_aggregator::demo::clinic::{self, ClinicKeys};
use zkfl_aggregator::demo::pipeline::{Pipeline, Submission};
use zkfl_aggregator::demo::scenario::Scenario;
use zkfl_aggregator::demo::zkfl::{ZkflPipeline, derive};
use zkfl_aggregator::demo::{self, DemoReport, Options};
use zkfl_aggregator::round::ClinicId;
use zkfl_core::clinic::PublicKey;
use zkfl_core::quant::{Quantizer, dequantize};
use zkfl_learn::param_count;
use zkfl_learn::sample::fill_standard_normal;

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

fn options(only: &[&str]) -> Options {
    Options {
        only: only.iter().map(|s| (*s).to_string()).collect(),
        quiet: true,
        zkfl_exe: env!("CARGO_BIN_EXE_zkfl").into(),
        parallel_clinics: 0,
        committee: None,
    }
}

fn config<'a>(r: &'a DemoReport, name: &str) -> &'a demo::report::ConfigReport {
    r.configs
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("configuration {name} missing"))
}

#[test]
fn short_demo_runs_every_configuration_through_a_real_server() {
    let r = demo::run(short(), &options(&[])).expect("demo runs");
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
    // ZKFL-PQ: the server's verifier rejects the attacker's proof; the verdicts come from its round status.
    let z = config(&r, "zkfl");
    assert_eq!(z.attacker_rejected, 1);
    assert_eq!(z.accepted_per_round, vec![3, 2]);
    assert_eq!(z.rejected_per_round, vec![0, 1]);
    assert_eq!(z.rejection_reasons, vec![("proof_invalid".to_string(), 1)]);
    for name in ["zkfl", "zkfl_clean"] {
        let c = config(&r, name);
        assert_eq!(c.proof, "verified", "{name}");
        assert!(
            c.notes.iter().any(|n| n.contains("zkfl serve")),
            "{name}: {:?}",
            c.notes
        );
        assert_eq!(c.aggregate_checks, 2, "{name}");
        assert_eq!(
            c.aggregate_exact, 2,
            "{name}: published aggregate differs from the plaintext sum"
        );
        let t = &c.mean_time_split_s;
        assert!(
            t.prove > 0.0 && t.verify > 0.0 && t.aggregate > 0.0 && t.decrypt > 0.0,
            "{name}: the server reports its work times: {t:?}"
        );
    }
    assert_eq!(r.crypto.param_set, "S");
    assert_eq!(r.crypto.chunks, 11);
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
fn served_aggregate_equals_plaintext_sum_of_quantized_updates() {
    const P: usize = 5000;
    let norm_bound = 5.0f32;
    let (q, config) = derive(3, P, norm_bound).expect("set S admits 3 clinics");
    let dir = TempDir::new("demo-sum");
    keygen_with_model(&dir.0, 3, &[0f32; P]);
    let scale = q.scale().to_string();
    let server = Server::start(
        &dir.0,
        &["--open-round", "--norm-bound", "5", "--scale", &scale],
    );
    let c: Client = server.client();
    let keys: Vec<ClinicKeys> = (1..=3)
        .map(|id| ClinicKeys::load(&dir.0.join("keys"), ClinicId(id)).expect("clinic keys"))
        .collect();
    let a = c
        .current_round()
        .expect("round")
        .verify(&keys[0].aggregator_vk)
        .expect("signed");
    assert_eq!((a.b_int, a.t), (config.b_int(), config.t));
    let pk = PublicKey::decode(&c.bfv_key().expect("bfv key"), config.chunks as usize).expect("pk");
    // Clinic 1 small, clinic 2 far above τ (clipped by its quantizer), clinic 3 moderate.
    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let updates: Vec<Vec<f32>> = [0.001f32, 1.0, 0.03]
        .iter()
        .map(|&s| {
            let mut u = vec![0f32; P];
            fill_standard_normal(&mut rng, &mut u);
            u.iter_mut().for_each(|x| *x *= s);
            u
        })
        .collect();
    for (k, u) in keys.iter().zip(&updates) {
        let sealed = clinic::submission(k, &pk, &a, u, false, &mut rng).expect("submission");
        c.submit(a.round, &sealed.envelope).expect("accepted");
    }
    let (done, got) = published(&c, a.round, Duration::from_secs(120));
    assert!(done.submissions.iter().all(|s| s.decision == "accepted"));
    // Independent computation in the clear: quantize each update, sum mod t, de-quantize.
    let q = Quantizer::new(5.0, q.scale(), P).expect("quantizer");
    let mut sum = vec![0i128; P];
    for u in &updates {
        let mut m = vec![0i64; P];
        q.quantize(u, &mut m).expect("quantize");
        sum.iter_mut()
            .zip(&m)
            .for_each(|(a, &b)| *a += i128::from(b));
    }
    let residues: Vec<u64> = sum
        .iter()
        .map(|&v| v.rem_euclid(i128::from(config.t)) as u64)
        .collect();
    let mut expect = vec![0f32; P];
    dequantize(&q, &residues, config.t, 3, &mut expect).expect("dequantize");
    assert!(
        got.iter()
            .zip(&expect)
            .all(|(a, b)| a.to_bits() == b.to_bits()),
        "decrypted aggregate is not bit-exact"
    );
    // The integers themselves: |Σ m| ≤ 3·B_int < 2^24, so the f32 mean determines them.
    let sk = q.scale() * 3.0;
    assert!(
        got.iter()
            .zip(&sum)
            .all(|(&g, &s)| (f64::from(g) * sk).round() as i128 == s)
    );
    // And it is not trivially zero: the clipped clinic 2 dominates.
    assert!(got.iter().any(|&x| x != 0.0));
}

#[test]
fn a_clinic_that_cannot_submit_does_not_block_the_served_round() {
    const P: usize = 3000;
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_zkfl"));
    let mut p = ZkflPipeline::new(exe, "nan", 3, P, 5.0, 1, 0).expect("server starts");
    // Clinic 3's model diverged: its quantizer refuses NaN, so it sends nothing; the demo closes the round.
    let subs: Vec<Submission> = (1..=3)
        .map(|clinic| Submission {
            clinic,
            update: vec![if clinic == 3 { f32::NAN } else { 0.01 }; P],
            malicious: false,
        })
        .collect();
    let out = p
        .round(1, &vec![0f32; P], &subs, &|_| {})
        .expect("round runs");
    assert_eq!(
        out.not_submitted.iter().map(|n| n.0).collect::<Vec<_>>(),
        [3]
    );
    assert_eq!(
        out.decisions
            .iter()
            .map(|d| (d.clinic, d.accepted))
            .collect::<Vec<_>>(),
        [(1, true), (2, true)]
    );
    assert_eq!(out.aggregate_exact, Some(true));
    let mean = out.mean_update.expect("published from two updates");
    assert!(
        mean.iter().all(|&x| (x - 0.01).abs() < 1e-3),
        "{:?}",
        &mean[..4]
    );
}

#[test]
fn report_json_and_plots_are_written() {
    let mut s = short();
    s.rounds = 1;
    let r = demo::run(s, &options(&["plain", "plain_clean"])).expect("demo runs");
    let dir = std::env::temp_dir().join(format!("zkfl-demo-test-{}", std::process::id()));
    demo::write(&r, &dir).expect("write");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).expect("report.json"))
            .expect("json");
    assert_eq!(json["crypto"]["param_set"], "S");
    assert!(json["crypto"]["quant_scale"].as_f64().is_some());
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
        "mean_time_split_s",
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
