//! End to end across crates: a float update is clipped and quantized (core::quant), BFV-encrypted under a
//! real key (core::bfv, witness u from the encryptor), proven (core::zk) and verified, as a clinic and the
//! aggregator do. Then the adversarial side: the proof moved to another ciphertext, round, clinic, key, bound
//! or parameter set, truncated or extended, must give a typed `ProofError`; and a decoder fuzz (proptest):
//! random bytes and random mutations of a valid proof never panic the verifier and are always rejected.

mod zk_common;

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use std::sync::OnceLock;
use zk_common::{Instance, big_stack, encrypt, key, prove_slice};
use zkfl_core::params::{ParamSet, SetL, SetS};
use zkfl_core::quant::{Quantizer, chunk_count, norm_sq};
use zkfl_core::zk::layout::HEADER_BYTES;
use zkfl_core::zk::proof::ProofError;
use zkfl_core::zk::statement::Context;
use zkfl_core::zk::verify::verify;

const N: usize = 2048;
const K: usize = zkfl_core::set_s::K;
const K_L: usize = zkfl_core::set_l::K;
/// Parameters of the test model (2 chunks of set S).
const PARAMS: usize = 3000;
/// Clip norm τ.
const NORM_BOUND: f64 = 5.0;
const CLINICS: u64 = 5;

struct Fixture {
    inst: Instance<SetS, N>,
    proof: Vec<u8>,
    /// The same update encrypted again (fresh randomness) under the same key.
    other_ct: Instance<SetS, N>,
    /// The same update encrypted under another key (other a, other secret).
    other_key: Instance<SetS, N>,
    t: u64,
}

fn quantized_update(rng: &mut ChaCha20Rng) -> (Vec<[i64; N]>, u64, u64) {
    // Uniform in [−0.5, 0.5]: ‖d‖ ≈ 15.8 > τ, so the update is clipped and ‖m‖ is close to B_int.
    let d: Vec<f32> = (0..PARAMS)
        .map(|_| (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32 - 0.5)
        .collect();
    let q = Quantizer::with_max_scale(NORM_BOUND, PARAMS, SetS::B_INT_MAX).expect("quantizer");
    let chunks = chunk_count(PARAMS, N);
    let mut flat = vec![0i64; chunks * N];
    q.quantize(&d, &mut flat).expect("quantize");
    assert!(norm_sq(&flat) <= u128::from(q.b_int()).pow(2));
    // The clipped update is close to the bound: the proof is exercised near ‖m‖ = B.
    assert!(norm_sq(&flat) * 10 > 9 * u128::from(q.b_int()).pow(2));
    let m = flat
        .chunks_exact(N)
        .map(|c| c.try_into().expect("chunk"))
        .collect();
    (m, q.b_int(), 2 * CLINICS * q.b_int() + 1)
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        big_stack(|| {
            let mut rng = ChaCha20Rng::seed_from_u64(2026);
            let (m, b, t) = quantized_update(&mut rng);
            let chunks = m.len();
            let seeds: Vec<[u8; 32]> = (0..6)
                .map(|_| {
                    let mut s = [0u8; 32];
                    rng.fill_bytes(&mut s);
                    s
                })
                .collect();
            let k1 = key::<SetS, N, K>(seeds[0], seeds[1], chunks);
            let k2 = key::<SetS, N, K>(seeds[2], seeds[3], chunks);
            let inst = encrypt::<SetS, N, K>(&k1, m.clone(), t, b, seeds[4], 4, 3);
            let other_ct = encrypt::<SetS, N, K>(&k1, m.clone(), t, b, seeds[5], 4, 3);
            let other_key = encrypt::<SetS, N, K>(&k2, m, t, b, seeds[4], 4, 3);
            let (proof, stats) = prove_slice::<SetS, N>(&inst, [7; 32]).expect("honest prover");
            eprintln!("e2e proof: {} bytes, {stats:?}", proof.len());
            Fixture {
                inst,
                proof,
                other_ct,
                other_key,
                t,
            }
        })
    })
}

fn check(inst: &Instance<SetS, N>, ctx: &Context, proof: &[u8]) -> Result<(), ProofError> {
    verify::<SetS, N>(&inst.statement(), ctx, proof)
}

#[test]
fn quantized_encrypted_update_proof_verifies() {
    let f = fixture();
    assert_eq!(check(&f.inst, &f.inst.ctx, &f.proof), Ok(()));
    // The other encryptions are valid statements too: their own proofs verify.
    let (p2, _) = big_stack(|| prove_slice::<SetS, N>(&f.other_key, [8; 32])).expect("prover");
    assert_eq!(check(&f.other_key, &f.other_key.ctx, &p2), Ok(()));
}

#[test]
fn moved_proofs_give_typed_errors() {
    let f = fixture();
    let (p, ctx) = (&f.proof, f.inst.ctx);
    let ch = Err(ProofError::Challenge);
    // Attached to another ciphertext of the same update and key.
    assert_eq!(check(&f.other_ct, &ctx, p), ch, "other ciphertext");
    // Another round / clinic.
    let c = Context {
        round: ctx.round + 1,
        ..ctx
    };
    assert_eq!(check(&f.inst, &c, p), ch, "round");
    let c = Context {
        clinic: ctx.clinic + 1,
        ..ctx
    };
    assert_eq!(check(&f.inst, &c, p), ch, "clinic");
    // Another key: the full statement under key 2, and only pk.a swapped (the verifier hashes the
    // statement's own key; no caller-supplied hash is involved).
    assert_eq!(check(&f.other_key, &f.other_key.ctx, p), ch, "other key");
    let mut st = f.inst.statement();
    st.pk_a = &f.other_key.pk_a;
    assert_eq!(verify::<SetS, N>(&st, &ctx, p), ch, "pk.a swapped");
    // Another bound in the statement.
    let mut st = f.inst.statement();
    st.bound -= 1;
    assert_eq!(verify::<SetS, N>(&st, &ctx, p), ch, "bound");
    // A chunk dropped from the ciphertext (and key): the layout changes, the length no longer matches.
    let mut st = f.inst.statement();
    st.c0 = &f.inst.c0[..1];
    st.pk_b = &f.inst.pk_b[..1];
    assert_eq!(
        verify::<SetS, N>(&st, &ctx, p),
        Err(ProofError::Length),
        "chunk dropped"
    );
    // Another parameter-set id in the header.
    let mut q = p.clone();
    q[4] = SetL::ID;
    assert_eq!(check(&f.inst, &ctx, &q), Err(ProofError::Header), "set id");
    // The set-S proof presented for a set-L statement.
    let l = big_stack(|| {
        let kl = key::<SetL, 4096, K_L>([1; 32], [2; 32], 1);
        let m = vec![[0i64; 4096]];
        let inst = encrypt::<SetL, 4096, K_L>(&kl, m, f.t, 4096, [3; 32], ctx.round, ctx.clinic);
        verify::<SetL, 4096>(&inst.statement(), &inst.ctx, p)
    });
    assert_eq!(l, Err(ProofError::Length), "set L statement");
    // Truncated and extended.
    for len in [0, 1, HEADER_BYTES, p.len() / 2, p.len() - 1] {
        assert_eq!(
            check(&f.inst, &ctx, &p[..len]),
            Err(ProofError::Length),
            "truncated to {len}"
        );
    }
    for extra in [1usize, 32, 4096] {
        let mut q = p.clone();
        q.extend(std::iter::repeat_n(0u8, extra));
        assert_eq!(
            check(&f.inst, &ctx, &q),
            Err(ProofError::Length),
            "extended by {extra}"
        );
    }
    // The honest proof still verifies (the cases above did not pass by accident of a broken fixture).
    assert_eq!(check(&f.inst, &ctx, p), Ok(()));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Arbitrary byte strings of any length: never a panic, always an error.
    #[test]
    fn random_bytes_rejected(bytes in proptest::collection::vec(any::<u8>(), 0..70_000)) {
        let f = fixture();
        prop_assert!(check(&f.inst, &f.inst.ctx, &bytes).is_err());
    }

    /// Random bytes of the exact length behind a valid header: reaches the field decoders.
    #[test]
    fn random_body_with_valid_header_rejected(seed in any::<u64>()) {
        let f = fixture();
        let mut q = f.proof.clone();
        ChaCha20Rng::seed_from_u64(seed).fill_bytes(&mut q[HEADER_BYTES..]);
        prop_assert!(check(&f.inst, &f.inst.ctx, &q).is_err());
    }

    /// 1–8 random byte changes anywhere in a valid proof: never a panic, always an error.
    #[test]
    fn mutated_proof_rejected(
        muts in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..8)
    ) {
        let f = fixture();
        let mut q = f.proof.clone();
        for (i, x) in &muts {
            let i = i.index(q.len());
            q[i] ^= x;
        }
        prop_assert!(check(&f.inst, &f.inst.ctx, &q).is_err());
    }

    /// A valid proof with one field overwritten by large values in the Gaussian region (exercises the norm and
    /// canonical-encoding checks rather than the header).
    #[test]
    fn z_region_overwritten_rejected(start in 0usize..50_000, len in 1usize..512, byte in any::<u8>()) {
        let f = fixture();
        let mut q = f.proof.clone();
        let lay = f.inst.statement().layout::<SetS>().expect("layout");
        let s = lay.off_z1u() + start % (q.len() - lay.off_z1u());
        let e = (s + len).min(q.len());
        let changed = q[s..e].iter().any(|&b| b != byte);
        q[s..e].fill(byte);
        if changed {
            prop_assert!(check(&f.inst, &f.inst.ctx, &q).is_err());
        }
    }
}
