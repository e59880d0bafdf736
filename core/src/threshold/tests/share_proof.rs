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
