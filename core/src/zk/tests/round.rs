//! The round verifier and the shared A1 table (PROTOCOL §6.2).

use super::*;

/// PROTOCOL §6.2: the round verifier returns, per submission, what `verify` returns; a bit-flipped proof
/// among honest ones is refused and named by its index, the others are accepted.
#[test]
fn round_verifier_names_the_bad_submission() {
    use crate::zk::public::A1Table;
    use crate::zk::verify::{Submission, verify_round};
    let f = fixture();
    let st = stmt(&f.inst, 4096);
    let lay = st.layout::<SetS>().unwrap();
    let mut a1_buf = vec![0u32; A1Table::<M>::words(lay.zk.kmsis, lay.m1())];
    let a1 = A1Table::<M>::fill(SetS::ID, lay.zk.kmsis, lay.m1(), &mut a1_buf).unwrap();
    let mut proofs: Vec<Vec<u8>> = (0..4).map(|_| f.proof.clone()).collect();
    // Submission 2: one bit of z1 flipped; submission 3: a proof for another clinic's context.
    proofs[2][lay.off_z1u() + 5_000] ^= 4;
    let ctxs = [
        ctx(),
        ctx(),
        ctx(),
        Context {
            round: 1,
            clinic: 99,
        },
    ];
    let subs: Vec<Submission<'_, '_, M, N>> = proofs
        .iter()
        .zip(ctxs)
        .map(|(p, c)| Submission {
            stmt: &st,
            ctx: c,
            proof: p,
        })
        .collect();
    for threads in [1, 2] {
        let mut verdicts = vec![Ok(()); subs.len()];
        let ok = verify_round::<SetS, N>(&subs, &a1, &mut verdicts, threads).unwrap();
        assert_eq!(ok, 2);
        for (s, v) in subs.iter().zip(&verdicts) {
            assert_eq!(*v, verify::<SetS, N>(s.stmt, &s.ctx, s.proof));
        }
        assert!(verdicts[0].is_ok() && verdicts[1].is_ok());
        assert!(verdicts[2].is_err() && verdicts[3] == Err(ProofError::Challenge));
    }
    let mut short = vec![Ok(()); 3];
    assert_eq!(
        verify_round::<SetS, N>(&subs, &a1, &mut short, 1),
        Err(ProofError::Statement)
    );
}

/// Review 5, G1: a chunk size outside 1..=KMSIS_MAX gives no table (it used to panic).
#[test]
fn a1_table_refuses_chunk_sizes_the_proof_does_not_support() {
    use crate::zk::params::KMSIS_MAX;
    use crate::zk::public::A1Table;
    let mut buf = vec![0u32; A1Table::<M>::words(KMSIS_MAX + 1, 2)];
    assert!(A1Table::<M>::fill(SetS::ID, 0, 2, &mut buf).is_none());
    assert!(A1Table::<M>::fill(SetS::ID, KMSIS_MAX + 1, 2, &mut buf).is_none());
    assert!(A1Table::<M>::fill(SetS::ID, KMSIS_MAX, 2, &mut buf).is_some());
}
