//! The attacker demo (`src/attacker.rs`) against the real verifier, natively and with a small model (2 chunks):
//! the honest submission's proof verifies, the poisoned one (unclipped N(0, 50²) noise, cheating prover) is
//! rejected by `zkfl_core::zk::verify` — the check the aggregator runs (`proof_invalid`). The full-size run
//! against a real `zkfl serve` is the browser test (web-demo/e2e/clinic.test.mjs).
#![cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_core::bfv::{PlainModulus, PublicKeyPolys};
use zkfl_core::channel::{KemSecretKey, MlKem768};
use zkfl_core::params::bounds::KeyBounds;
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::policy::{ConfigRequest, check_config};
use zkfl_core::quant::Quantizer;
use zkfl_core::wire::bfv::decode_ciphertext;
use zkfl_core::zk::proof::ProofError;
use zkfl_core::zk::statement::{Context, Statement};
use zkfl_core::zk::verify::verify;
use zkfl_wasm::attacker::PAPER_SIGMA;
use zkfl_wasm::clinic::{ClinicRound, PreparedUpdate, ProofKind};
use zkfl_wasm::progress::Silent;

const N: usize = SetS::N;
const DIM: u32 = 4000;
const CLINICS: u32 = 5;
const ROUND: u64 = 7;
type PolyS = zkfl_core::set_s::Poly;

struct Fixture {
    round: ClinicRound,
    a: Box<PolyS>,
    b: Vec<PolyS>,
    t: u64,
    b_int: u64,
}

fn fixture() -> Fixture {
    let scale = Quantizer::with_max_scale(5.0, DIM as usize, SetS::B_INT_MAX)
        .expect("scale")
        .scale();
    let config = check_config::<SetS>(&ConfigRequest {
        clinics: CLINICS,
        params: DIM,
        norm_bound: 5.0,
        scale,
        key: KeyBounds::single::<SetS>(),
        smudging: 0,
    })
    .expect("config");
    let chunks = config.chunks as usize;
    let key = zkfl_core::set_s::PublicKey::generate(
        &zkfl_core::set_s::SecretKey::from_seed([4; 32]),
        &[5; 32],
        chunks,
    );
    let pk = key.encode().expect("pk");
    let PublicKeyPolys { a, b, .. } = key;
    let kem = KemSecretKey::<MlKem768>::from_seed(&[3; 64]);
    let ek = kem.public_key().to_bytes();
    let round = ClinicRound::new(SetS::ID, ROUND, CLINICS, DIM, 5.0, scale, &pk, ek.as_ref())
        .expect("round");
    let t = PlainModulus::<<SetS as ParamSet>::M>::new(config.t)
        .expect("t")
        .t();
    Fixture {
        round,
        a,
        b,
        t,
        b_int: config.quantizer.b_int(),
    }
}

/// Runs the aggregator's proof check on a prepared update of `clinic`.
fn verify_as(f: &Fixture, p: &PreparedUpdate, clinic: u32) -> Result<(), ProofError> {
    let mut c1 = PolyS::zero();
    let mut c0 = vec![PolyS::zero(); f.b.len()];
    decode_ciphertext::<SetS, N>(p.ciphertext_bytes(), &mut c1, &mut c0).expect("ciphertext");
    let pk_b: Vec<_> = f.b.iter().map(|p| p.coeffs).collect();
    let c0c: Vec<_> = c0.iter().map(|p| p.coeffs).collect();
    let stmt = Statement {
        pk_a: &f.a.coeffs,
        pk_b: &pk_b,
        c1: &c1.coeffs,
        c0: &c0c,
        t: f.t,
        bound: f.b_int,
    };
    let ctx = Context {
        round: ROUND,
        clinic: u64::from(clinic),
    };
    verify::<SetS, N>(&stmt, &ctx, p.proof_bytes())
}

#[test]
fn honest_update_verifies_and_the_poisoned_one_is_rejected() {
    let f = fixture();
    let mut rng = ChaCha20Rng::from_seed([11; 32]);
    let honest: Vec<f32> = (0..DIM).map(|i| ((i % 7) as f32 - 3.0) * 1e-3).collect();
    let h = f
        .round
        .encrypt(&honest, 1, f.round.pk_sha3(), &mut rng, &mut Silent)
        .expect("honest");
    assert_eq!(h.proof_kind(), ProofKind::Honest);
    assert_eq!(verify_as(&f, &h, 1), Ok(()), "the honest proof must verify");
    assert!(
        verify_as(&f, &h, 2).is_err(),
        "a proof is bound to its clinic"
    );

    let p = f
        .round
        .poisoned_update_attacker_demo(PAPER_SIGMA, 3, f.round.pk_sha3(), &mut rng, &mut Silent)
        .expect("poisoned");
    let b_sq = (f.b_int as f64).powi(2);
    assert!(
        p.norm_sq() > 100.0 * b_sq,
        "‖m‖² = {} vs B² = {b_sq}",
        p.norm_sq()
    );
    assert_ne!(p.proof_kind(), ProofKind::Honest);
    // Rejected by a cryptographic check, not for its format: the forgery carries a well-formed header and a
    // length within the layout's range (proof lengths vary with the Rice-coded z, PROTOCOL §12).
    let err = verify_as(&f, &p, 3).expect_err("the poisoned update's proof must be rejected");
    assert!(
        !matches!(err, ProofError::Length | ProofError::Header),
        "{err:?}"
    );
}

#[test]
fn the_attacker_demo_refuses_a_meaningless_sigma() {
    let f = fixture();
    let mut rng = ChaCha20Rng::from_seed([12; 32]);
    for sigma in [0.0, -1.0, f64::NAN] {
        let r = f.round.poisoned_update_attacker_demo(
            sigma,
            3,
            f.round.pk_sha3(),
            &mut rng,
            &mut Silent,
        );
        assert!(r.is_err(), "sigma {sigma}");
    }
}

/// Records every progress report.
#[derive(Default)]
struct Recorder {
    reports: Vec<(String, u32, u32)>,
    /// Fail (like a throwing JS callback) at this report of stage "prove".
    fail_at_prove: Option<usize>,
}

impl zkfl_wasm::progress::Progress for Recorder {
    fn report(
        &mut self,
        stage: &str,
        done: u32,
        total: u32,
    ) -> Result<(), zkfl_wasm::error::ClinicError> {
        self.reports.push((stage.into(), done, total));
        let proves = self.reports.iter().filter(|r| r.0 == "prove").count();
        if stage == "prove" && self.fail_at_prove == Some(proves) {
            return Err(zkfl_wasm::error::ClinicError::new(
                zkfl_wasm::error::ErrorCode::Callback,
                "the progress callback threw",
            ));
        }
        Ok(())
    }
}

#[test]
fn the_proof_reports_progress_per_chunk_read() {
    use zkfl_wasm::progress::PROVE_MIN_PASSES;
    let f = fixture();
    let chunks = f.b.len() as u32;
    let update: Vec<f32> = (0..DIM).map(|i| ((i % 5) as f32 - 2.0) * 1e-3).collect();
    let mut rec = Recorder::default();
    let mut rng = ChaCha20Rng::from_seed([12; 32]);
    f.round
        .encrypt(&update, 1, f.round.pk_sha3(), &mut rng, &mut rec)
        .expect("honest");
    let enc: Vec<_> = rec.reports.iter().filter(|r| r.0 == "encrypt").collect();
    assert_eq!(
        enc.len(),
        chunks as usize + 1,
        "one report per chunk, then done"
    );
    let prove: Vec<_> = rec.reports.iter().filter(|r| r.0 == "prove").collect();
    // One report per chunk read of every pass (at least 5 passes), then the final done = total.
    let reads = prove.len() - 1;
    assert!(
        reads >= (PROVE_MIN_PASSES * chunks) as usize,
        "{reads} reads"
    );
    assert_eq!(reads % chunks as usize, 0, "whole passes");
    for (i, r) in prove[..reads].iter().enumerate() {
        assert_eq!(r.1, i as u32 + 1, "done counts chunk reads");
        assert!(r.1 <= r.2 && r.2 % chunks == 0, "{r:?}");
        assert!(r.2 >= PROVE_MIN_PASSES * chunks, "{r:?}");
    }
    let last = prove[reads];
    assert_eq!((last.1, last.2), (reads as u32, reads as u32), "ends full");
    // A throwing callback during the proof abandons it with a Callback error.
    let mut rec = Recorder {
        fail_at_prove: Some(3),
        ..Recorder::default()
    };
    let err = f
        .round
        .encrypt(&update, 1, f.round.pk_sha3(), &mut rng, &mut rec)
        .err()
        .map(|e| e.code());
    assert_eq!(err, Some(zkfl_wasm::error::ErrorCode::Callback));
}
