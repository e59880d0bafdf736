//! The share-correctness proof (docs/THRESHOLD.md §6): an honest member's proof of its real share verifies
//! against the verifier's own c1, B_S and key identity; the key-identity precondition is checked first; a
//! proof does not verify for another member, present set, chunk or aggregate (the transcript binds them).
//! Run: cargo test -p zkfl-core --lib threshold::tests::share_proof (≈ 10 s on the optimised test build).
use super::*;
use crate::threshold::share_proof::{
    EpochPublic, ShareContext, ShareProofFailure, SharePublic, max_proof_len, prove, prove_buf_len,
    verify, verify_member_share,
};
use crate::threshold::share_proof_params::derive;
use crate::zk::proof::ProofError;

/// One honest share set of member 2 under P = {1, 2, 3} for a 3-clinic aggregate, and its last chunk's
/// witness (S, X2) as centred integers.
pub(super) struct Honest {
    pub k: Keyed,
    pub cts: Vec<Ct>,
    pub present: Members,
    pub shares: Vec<Pl>,
    pub s: Box<[i64; N]>,
    pub x2: Box<[i64; N]>,
}

pub(super) fn centred(p: &Pl) -> Box<[i64; N]> {
    Box::new(core::array::from_fn(|i| M::to_centered(p.coeffs[i]) as i64))
}

pub(super) fn honest(rng: &mut ChaCha20Rng) -> Honest {
    let k = keygen(rng);
    let cts = clinics(&k, CLINICS, rng);
    let present = mask(&[1, 2, 3]);
    let (shares, s, x2) = {
        let mut adm = admit(&cts);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        let mut l = ledgers();
        let receipts = quorum_receipts(&k, &mut l, &[1, 2, 3], &agg, rng).unwrap();
        let (_, roster) = identities();
        let spend = Spend {
            roster: &roster,
            receipts: &receipts,
        };
        let mut maker = Box::new(ShareMaker::<P, N, K>::new());
        let mut d = vec![Pl::zero(); CHUNKS];
        maker
            .make(
                &k.holdings[1],
                &agg,
                present,
                &spend,
                &Smudger::new(&plan()).unwrap(),
                &mut l.spent[1],
                rng,
                &mut d,
            )
            .unwrap();
        let s = assigned_parts(&k, present, 2, CHUNKS - 1);
        (d, centred(&s), centred(&maker.last_digits()[1]))
    };
    Honest {
        k,
        cts,
        present,
        shares,
        s,
        x2,
    }
}

#[test]
fn honest_share_proof_verifies_and_binds_its_context() {
    big_stack(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(1717);
        let h = honest(&mut rng);
        let params = derive(&plan()).unwrap();
        let j = CHUNKS - 1;
        let mut adm = admit(&h.cts);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        let c = committee();
        let epoch_pub = EpochPublic {
            key_id: &h.k.key,
            committee: &c,
            a: &h.k.a,
            slot_keys: &h.k.slot_keys,
            chunks: CHUNKS,
        };
        let mut b_s = Box::new(Pl::zero());
        share_relation::assigned_slot_key(&c, h.present, 2, &h.k.slot_keys, CHUNKS, j, &mut b_s);
        let binding = agg.binding();
        let ctx = ShareContext {
            key_id: &h.k.key,
            binding: &binding,
            round: ROUND,
            present: h.present,
            member: 2,
            supplement_for: 0,
            chunk: j,
        };
        let public = SharePublic {
            a: &h.k.a,
            c1: agg.c1(),
            b_s: &b_s,
            d: &h.shares[j],
        };
        let mut out = vec![0u8; prove_buf_len::<P>(&params)];
        let t0 = std::time::Instant::now();
        let stats =
            prove::<P, N, _>(&params, &ctx, &public, &h.s, &h.x2, &mut rng, &mut out).unwrap();
        std::eprintln!(
            "share proof: {} B (limit {}), {} JL and {} opening attempts, {:?}",
            stats.len,
            max_proof_len::<P>(&params),
            stats.jl_attempts,
            stats.attempts,
            t0.elapsed()
        );
        assert_eq!(max_proof_len::<P>(&params), params.max_bytes(M::BYTES));
        let proof = &out[..stats.len];
        assert_eq!(verify::<P, N>(&params, &ctx, &public, proof), Ok(()));
        let mut scratch = Box::new(Pl::zero());
        assert_eq!(
            verify_member_share::<P, N>(
                &params,
                &epoch_pub,
                &agg,
                h.present,
                2,
                j,
                &h.shares[j],
                proof,
                &mut scratch
            ),
            Ok(())
        );
        // The key-identity precondition comes first: a verifier whose own identity differs refuses.
        let other_key = [0x55u8; 32];
        let foreign = EpochPublic {
            key_id: &other_key,
            ..epoch_pub
        };
        assert_eq!(
            verify_member_share::<P, N>(
                &params,
                &foreign,
                &agg,
                h.present,
                2,
                j,
                &h.shares[j],
                proof,
                &mut scratch
            ),
            Err(ShareProofFailure::WrongKey)
        );
        // (g) The same proof for another chunk, present set or member does not verify (transcript, S6).
        for (present, member, chunk) in [
            (h.present, 2, 0),
            (mask(&[1, 2, 3, 4]), 2, j),
            (h.present, 3, j),
        ] {
            let ctx2 = ShareContext {
                present,
                member,
                chunk,
                ..ctx
            };
            assert_eq!(
                verify::<P, N>(&params, &ctx2, &public, proof),
                Err(ShareProofFailure::Proof(ProofError::Challenge)),
                "{present} {member} {chunk}"
            );
        }
        // A proof of the share against the wrong B_S (member 3's) fails.
        let mut b3 = Box::new(Pl::zero());
        share_relation::assigned_slot_key(&c, h.present, 3, &h.k.slot_keys, CHUNKS, j, &mut b3);
        let wrong = SharePublic { b_s: &b3, ..public };
        assert!(verify::<P, N>(&params, &ctx, &wrong, proof).is_err());
        // The prover refuses a witness it cannot prove: member 3's parts for member 2's B_S (e_S out of bound).
        let s3 = centred(&assigned_parts(&h.k, h.present, 3, j));
        assert!(matches!(
            prove::<P, N, _>(&params, &ctx, &public, &s3, &h.x2, &mut rng, &mut out),
            Err(ShareProofFailure::Prove(_))
        ));
    });
}

/// An honest proof of member 2's last chunk and everything a verifier needs to check it.
struct Proven {
    h: Honest,
    params: share_proof_params::ShareProofParams,
    proof: Vec<u8>,
    b_s: Box<Pl>,
}

fn proven(seed: u64) -> Proven {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let h = honest(&mut rng);
    let params = derive(&plan()).unwrap();
    let j = CHUNKS - 1;
    let mut adm = admit(&h.cts);
    let mut c0 = vec![Pl::zero(); CHUNKS];
    let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
    let mut b_s = Box::new(Pl::zero());
    share_relation::assigned_slot_key(
        &committee(),
        h.present,
        2,
        &h.k.slot_keys,
        CHUNKS,
        j,
        &mut b_s,
    );
    let binding = agg.binding();
    let ctx = ShareContext {
        key_id: &h.k.key,
        binding: &binding,
        round: ROUND,
        present: h.present,
        member: 2,
        supplement_for: 0,
        chunk: j,
    };
    let public = SharePublic {
        a: &h.k.a,
        c1: agg.c1(),
        b_s: &b_s,
        d: &h.shares[j],
    };
    let mut out = vec![0u8; prove_buf_len::<P>(&params)];
    let len = prove::<P, N, _>(&params, &ctx, &public, &h.s, &h.x2, &mut rng, &mut out)
        .unwrap()
        .len;
    out.truncate(len);
    std::eprintln!("share proof (seed {seed}): {len} B");
    Proven {
        h,
        params,
        proof: out,
        b_s,
    }
}

/// Known-answer test of one share proof's bytes (set L, 3-of-5, L = 2, member 2 of P = {1, 2, 3}, last
/// chunk; every input from ChaCha20 seed 4242): SHA3-256 of the proof. A change of the transcript, the CRS,
/// the layout, the samplers or the relation changes it — and of the key identity the transcript absorbs
/// (re-pinned when review 12's R12-6 put the set id into it, round-key label v2; the prover's bytes were
/// unchanged: the v1 identity still gives the earlier hash).
#[test]
fn share_proof_kat() {
    use sha3::{Digest, Sha3_256};
    big_stack(|| {
        let p = proven(4242);
        let digest = hex::encode(Sha3_256::digest(&p.proof));
        std::eprintln!("share proof KAT: {} B, SHA3-256 {digest}", p.proof.len());
        assert_eq!((p.proof.len(), digest.as_str()), KAT);
    });
}

const KAT: (usize, &str) = (
    105_527,
    "cb3c87d5edc4c93e12eb2c56c6738f922c7d0ffdc63a95c90380c8fed1d4d8ea",
);

/// Forgers of §6.8 that present an honest proof for a statement it was not made for, each built from the
/// public values alone: (a) d + Δ·X^5, (c) another member's or another assignment's B_S, (d) another
/// aggregate's c1 and binding, (g) another chunk, present set or member, (h) a member assigned no slots
/// (B_S = 0). A verifier without the challenge binding (V8 off: V6 and V7 enter the verdict only through it)
/// accepts each; the real one refuses each with `Challenge`. (e) an aggregate under a foreign key identity:
/// the plain proof check accepts a proof made under it, `verify_member_share` refuses it with `WrongKey`
/// before any equation.
#[test]
fn share_statement_substitution_forgers_fail_against_the_real_verifier() {
    use crate::zk::verify::Disable;
    big_stack(|| {
        let p = proven(99);
        let j = CHUNKS - 1;
        let c = committee();
        let mut adm = admit(&p.h.cts);
        let mut c0 = vec![Pl::zero(); CHUNKS];
        let agg = Aggregate::build(&plan(), ROUND, &mut adm, &mut c0).unwrap();
        let binding = agg.binding();
        let ctx = ShareContext {
            key_id: &p.h.k.key,
            binding: &binding,
            round: ROUND,
            present: p.h.present,
            member: 2,
            supplement_for: 0,
            chunk: j,
        };
        let public = SharePublic {
            a: &p.h.k.a,
            c1: agg.c1(),
            b_s: &p.b_s,
            d: &p.h.shares[j],
        };
        let broken = Disable {
            v8_challenge: true,
            ..Disable::default()
        };
        let check = |name: &str, ctx: &ShareContext<'_>, public: &SharePublic<'_, M, N>| {
            assert_eq!(
                crate::threshold::share_proof::verify_with::<P, N>(
                    &p.params, ctx, public, &p.proof, broken
                ),
                Ok(()),
                "{name}: the broken verifier must accept"
            );
            assert_eq!(
                verify::<P, N>(&p.params, ctx, public, &p.proof),
                Err(ShareProofFailure::Proof(ProofError::Challenge)),
                "{name}: the real verifier must refuse"
            );
        };
        assert_eq!(verify::<P, N>(&p.params, &ctx, &public, &p.proof), Ok(()));
        // (a) d + Δ·X^5.
        let delta = M::Q / u128::from(plaintext_modulus(1024, B_INT).unwrap());
        let mut bumped = Box::new(p.h.shares[j].clone());
        bumped.coeffs[5] = M::add(bumped.coeffs[5], M::from_u128(delta));
        check(
            "(a)",
            &ctx,
            &SharePublic {
                d: &bumped,
                ..public
            },
        );
        // (c) member 3's B_S, and member 2's B_S under P' = {2, 3, 4}.
        let mut other = Box::new(Pl::zero());
        share_relation::assigned_slot_key(
            &c,
            p.h.present,
            3,
            &p.h.k.slot_keys,
            CHUNKS,
            j,
            &mut other,
        );
        check(
            "(c) member",
            &ctx,
            &SharePublic {
                b_s: &other,
                ..public
            },
        );
        share_relation::assigned_slot_key(
            &c,
            mask(&[2, 3, 4]),
            2,
            &p.h.k.slot_keys,
            CHUNKS,
            j,
            &mut other,
        );
        let ctx_p = ShareContext {
            present: mask(&[2, 3, 4]),
            ..ctx
        };
        check(
            "(c) assignment",
            &ctx_p,
            &SharePublic {
                b_s: &other,
                ..public
            },
        );
        // (d) another aggregate (the last two ciphertexts of another round).
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let more = clinics(&p.h.k, CLINICS, &mut rng);
        let mut adm2 = admit_in(&more, ROUND + 1, 300);
        let mut c0b = vec![Pl::zero(); CHUNKS];
        let agg2 = Aggregate::build(&plan(), ROUND + 1, &mut adm2, &mut c0b).unwrap();
        let binding2 = agg2.binding();
        let ctx_d = ShareContext {
            binding: &binding2,
            round: ROUND + 1,
            ..ctx
        };
        check(
            "(d)",
            &ctx_d,
            &SharePublic {
                c1: agg2.c1(),
                ..public
            },
        );
        // (g) another chunk, present set, member (same B_S).
        check("(g) chunk", &ShareContext { chunk: 0, ..ctx }, &public);
        check(
            "(g) present",
            &ShareContext {
                present: mask(&[1, 2, 3, 5]),
                ..ctx
            },
            &public,
        );
        check("(g) member", &ShareContext { member: 3, ..ctx }, &public);
        // (h) member 4 outside P = {1, 2, 3} is assigned no slot: B_S = 0.
        share_relation::assigned_slot_key(
            &c,
            p.h.present,
            4,
            &p.h.k.slot_keys,
            CHUNKS,
            j,
            &mut other,
        );
        assert_eq!(*other, Pl::zero());
        check(
            "(h)",
            &ShareContext { member: 4, ..ctx },
            &SharePublic {
                b_s: &other,
                ..public
            },
        );
        // (e) a proof made under a foreign key identity passes the plain check, not the member check.
        let foreign = [0xeeu8; 32];
        let ctx_e = ShareContext {
            key_id: &foreign,
            ..ctx
        };
        let mut out = vec![0u8; prove_buf_len::<P>(&p.params)];
        let len = prove::<P, N, _>(
            &p.params, &ctx_e, &public, &p.h.s, &p.h.x2, &mut rng, &mut out,
        )
        .unwrap()
        .len;
        assert_eq!(
            verify::<P, N>(&p.params, &ctx_e, &public, &out[..len]),
            Ok(())
        );
        let epoch_pub = EpochPublic {
            key_id: &p.h.k.key,
            committee: &c,
            a: &p.h.k.a,
            slot_keys: &p.h.k.slot_keys,
            chunks: CHUNKS,
        };
        let mut scratch = Box::new(Pl::zero());
        // The aggregate's key identity is the committee's; a verifier holding the foreign one refuses first.
        let foreign_epoch = EpochPublic {
            key_id: &foreign,
            ..epoch_pub
        };
        assert_eq!(
            verify_member_share::<P, N>(
                &p.params,
                &foreign_epoch,
                &agg,
                p.h.present,
                2,
                j,
                &p.h.shares[j],
                &out[..len],
                &mut scratch
            ),
            Err(ShareProofFailure::WrongKey)
        );
    });
}
