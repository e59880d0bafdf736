//! Seeded mutation fuzzing of every decoder a submission passes through (docs/SERVICE.md "Tests"): the
//! envelope (`channel::open_submission` via the service's verifier), the signed submission inside it
//! (`channel::SubmissionView::parse`), the BFV wire encoding (ciphertexts and public keys) and the norm
//! proof. Each loop starts from a real, accepted submission and applies random bit flips, byte overwrites,
//! truncations, extensions, extreme length fields and slice copies. A decoder may only answer `Ok` for the
//! unchanged input (the AEAD, the signature and the proof leave no other room) or a typed error; a panic
//! fails the test. Reproducible from the seed; `ZKFL_FUZZ_SCALE=20 cargo test -p zkfl-aggregator --release
//! --test fuzz_decoders` runs 20× the iterations (a nightly toolchain with cargo-fuzz is not needed).

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zkfl_aggregator::commands::keygen;
use zkfl_aggregator::coordinator::sha3;
use zkfl_aggregator::crypto::{CoreVerifier, RosterKeys};
use zkfl_aggregator::demo::clinic::{ClinicKeys, submission};
use zkfl_aggregator::error::Code;
use zkfl_aggregator::keys::{KeyDir, Roster, read_secret};
use zkfl_aggregator::model::{SetLimits, round_config};
use zkfl_aggregator::round::Announcement;
use zkfl_aggregator::round::ClinicId;
use zkfl_aggregator::verify::{Authenticated, RoundContext, SubmissionVerifier};
use zkfl_core::channel::{
    Direction, KemSecretKey, MemoryReplayGuard, MlKem768, OpenPolicy, RoundId, SubmissionView,
    VerifyingKey, open_to_vec,
};
use zkfl_core::clinic::PublicKey;

const DIM: u32 = 32;

fn scale() -> usize {
    std::env::var("ZKFL_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// A random structural mutation of `base` that differs from it.
fn mutate(rng: &mut ChaCha20Rng, base: &[u8]) -> Vec<u8> {
    let mut v = base.to_vec();
    let pick = |rng: &mut ChaCha20Rng, n: usize| rng.next_u32() as usize % n.max(1);
    match rng.next_u32() % 7 {
        0 => {
            for _ in 0..=pick(rng, 8) {
                let i = pick(rng, v.len());
                v[i] ^= 1 << (rng.next_u32() % 8);
            }
        }
        1 => {
            let i = pick(rng, v.len());
            v[i] = [0x00, 0xff, 0x80, rng.next_u32() as u8][pick(rng, 4)];
        }
        2 => v.truncate(pick(rng, v.len())),
        3 => {
            let extra = 1 + pick(rng, 64);
            v.extend((0..extra).map(|_| rng.next_u32() as u8));
        }
        4 => {
            let i = pick(rng, v.len().saturating_sub(4));
            let len = u32::try_from(base.len()).unwrap_or(u32::MAX);
            let value = [0, u32::MAX, len, len.wrapping_add(1), len.wrapping_sub(1)][pick(rng, 5)];
            if i + 4 <= v.len() {
                v[i..i + 4].copy_from_slice(&value.to_le_bytes());
            }
        }
        5 => {
            let (a, b) = (pick(rng, v.len()), pick(rng, v.len()));
            let n = pick(rng, 64).min(v.len() - a.max(b));
            let chunk = v[a..a + n].to_vec();
            v[b..b + n].copy_from_slice(&chunk);
        }
        _ => {
            let a = pick(rng, v.len());
            let n = pick(rng, 256).min(v.len() - a);
            v[a..a + n].fill(0);
        }
    }
    if v == base {
        let i = pick(rng, v.len());
        v[i] ^= 1;
    }
    v
}

struct Fixture {
    verifier: CoreVerifier,
    ctx: RoundContext,
    envelope: Vec<u8>,
    kem: KemSecretKey<MlKem768>,
    bfv_pk: Vec<u8>,
    _dir: std::path::PathBuf,
}

fn fixture() -> Fixture {
    let dir = std::env::temp_dir().join(format!("zkfl-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.join("keys");
    keygen::run(keygen::Args {
        out: out.clone(),
        clinics: 1,
        param_set: "S".into(),
        force: true,
        committee: None,
        threshold: None,
    })
    .expect("keygen");
    let keys = KeyDir(out.clone());
    let limits = SetLimits::of("S").expect("S");
    let bfv_pk = std::fs::read(keys.public("bfv-public.bin")).expect("bfv pk");
    let roster: Roster =
        serde_json::from_slice(&std::fs::read(keys.public("roster.json")).expect("roster"))
            .expect("roster json");
    let vk = VerifyingKey::from_bytes(&hex::decode(&roster.clinics[0].verifying_key).expect("hex"))
        .expect("vk");
    let config = round_config(&limits, 1, DIM, 1.0, 1024.0).expect("config");
    let a = Announcement {
        param_set_id: limits.id,
        round: RoundId(1),
        model_dim: DIM,
        model_sha3: [0; 32],
        norm_bound: 1.0,
        scale: 1024.0,
        b_int: config.b_int(),
        t: config.t,
        opened_at: 0,
        deadline: 1,
        kem_key_sha3: [0; 32],
        bfv_public_key_sha3: sha3(&bfv_pk),
        model_spec: None,
    };
    let chunks = limits.chunks(DIM) as usize;
    let pk = PublicKey::decode(&bfv_pk, chunks).expect("pk");
    let update: Vec<f32> = (0..DIM).map(|i| (i as f32 - 16.0) / 200.0).collect();
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let sealed = submission(
        &ClinicKeys::load(&out, ClinicId(1)).expect("clinic keys"),
        &pk,
        &a,
        &update,
        false,
        &mut rng,
    )
    .expect("submission");
    let seed = read_secret::<64>(&keys.kem_seed()).expect("kem seed");
    let ctx = RoundContext {
        round: RoundId(1),
        param_set_id: limits.id,
        model_dim: DIM,
        b_int: a.b_int,
        t: a.t,
        bfv_public_key_sha3: a.bfv_public_key_sha3,
    };
    Fixture {
        verifier: CoreVerifier {
            kem: KemSecretKey::from_seed(&seed),
            roster: RosterKeys(vec![(ClinicId(1), vk)]),
            limits,
            max_submission_len: 1 << 20,
            bfv_public_key: Some(bfv_pk.clone()),
        },
        ctx,
        envelope: sealed.envelope,
        kem: KemSecretKey::from_seed(&seed),
        bfv_pk,
        _dir: dir,
    }
}

fn authenticate(f: &Fixture, envelope: &[u8]) -> Result<Authenticated, Code> {
    let mut guard = MemoryReplayGuard::<4>::new();
    f.verifier
        .authenticate(envelope, &f.ctx, &mut guard)
        .map_err(|e| e.code)
}

#[test]
fn mutated_envelopes_submissions_ciphertexts_keys_and_proofs_are_typed_rejections() {
    let f = fixture();
    let mut rng = ChaCha20Rng::seed_from_u64(0x5eed_f022);
    let valid = authenticate(&f, &f.envelope).expect("the base submission authenticates");
    f.verifier
        .verify(&valid, &f.ctx)
        .expect("the base submission verifies");

    // Envelopes: header, KEM ciphertext, AEAD body and tag.
    for _ in 0..600 * scale() {
        let m = mutate(&mut rng, &f.envelope);
        if let Ok(a) = authenticate(&f, &m) {
            panic!("a mutated envelope authenticated as clinic {}", a.clinic_id);
        }
    }

    // The signed submission inside the envelope.
    let policy = OpenPolicy {
        direction: Direction::ClinicToAggregator,
        round: RoundId(1),
        max_payload_len: 1 << 20,
    };
    let guard = MemoryReplayGuard::<4>::new();
    let (_, inner) = open_to_vec(&f.kem, &policy, &guard, &f.envelope).expect("opens");
    SubmissionView::parse(&inner).expect("the base submission parses");
    let roster = RosterKeys(f.verifier.roster.0.clone());
    for _ in 0..2000 * scale() {
        let m = mutate(&mut rng, &inner);
        if let Ok(view) = SubmissionView::parse(&m) {
            let _ = view.digest();
            assert!(
                view.verify(&roster).is_err(),
                "a mutated submission passed its signature check"
            );
        }
    }

    // BFV wire: ciphertexts (then the proof check must fail) and public keys.
    let chunks = f.verifier.limits.chunks(DIM) as usize;
    for _ in 0..50 * scale() {
        let ct = mutate(&mut rng, &valid.ciphertext);
        let sub = Authenticated {
            ciphertext: ct,
            ..valid.clone()
        };
        let code = f
            .verifier
            .verify(&sub, &f.ctx)
            .expect_err("mutated ciphertext");
        assert!(
            matches!(
                code.code,
                Code::CiphertextMalformed | Code::ParameterMismatch | Code::ProofInvalid
            ),
            "{code}"
        );
    }
    for _ in 0..500 * scale() {
        let pk = mutate(&mut rng, &f.bfv_pk);
        let _ = PublicKey::decode(&pk, chunks);
    }

    // Proofs: every change is rejected.
    for _ in 0..50 * scale() {
        let proof = mutate(&mut rng, &valid.proof);
        let sub = Authenticated {
            proof,
            ..valid.clone()
        };
        let e = f.verifier.verify(&sub, &f.ctx).expect_err("mutated proof");
        assert_eq!(e.code, Code::ProofInvalid, "{e}");
    }
    let _ = std::fs::remove_dir_all(&f._dir);
}
