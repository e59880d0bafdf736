//! Committee fixtures shared by the integration tests that drive committee members (`committee_processes`,
//! `committee_http`): a big-stack runner and clinics' real set-L submissions under a committee key.

use zkfl_aggregator::committee::member::{C, Design, N, P, Submission};

/// Runs `f` on a thread with room for set-L objects.
pub fn big<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// `count` clinics' submissions for `round` under (a, b): real encryptions of small updates with their norm
/// proofs (set L, the committee design's plaintext modulus), and the sum of the updates.
pub fn clinics(
    design: Design,
    a: &[C; N],
    b: &[[C; N]],
    round: u64,
    count: u64,
) -> (Vec<Submission>, Vec<i64>) {
    use rand_chacha::ChaCha20Rng;
    use rand_core::{Rng, SeedableRng};
    use zkfl_core::params::ParamSet;
    use zkfl_core::policy::plaintext_modulus;
    use zkfl_core::ring::Poly;
    use zkfl_core::zk::prove::{SliceUpdate, Witness, prove};
    use zkfl_core::zk::statement::{Context, Statement};
    type M = <P as ParamSet>::M;
    let mut rng = ChaCha20Rng::seed_from_u64(round);
    let t = plaintext_modulus(design.clinics, design.b_int).unwrap();
    let delta = zkfl_core::bfv::PlainModulus::<M>::new(t).unwrap().delta();
    let small = |rng: &mut ChaCha20Rng, r: u64| -> [i64; N] {
        core::array::from_fn(|_| (rng.next_u64() % (2 * r + 1)) as i64 - r as i64)
    };
    let pa = Box::new(Poly::<M, N> { coeffs: *a });
    let mut sum = vec![0i64; N];
    let mut subs = Vec::new();
    for clinic in 1..=count {
        let u = small(&mut rng, 1);
        let m = small(&mut rng, 100);
        for (s, x) in sum.iter_mut().zip(&m) {
            *s += x;
        }
        let up = Box::new(Poly::<M, N>::from_i64(&u));
        let mut c1 = Box::new(Poly::<M, N>::zero());
        zkfl_core::ring::poly::mul::<M, N, 7>(&pa, &up, &mut c1);
        c1.add_assign(&Poly::from_i64(&small(&mut rng, 2)));
        let pb = Box::new(Poly::<M, N> { coeffs: b[0] });
        let mut c0 = Box::new(Poly::<M, N>::zero());
        zkfl_core::ring::poly::mul::<M, N, 7>(&pb, &up, &mut c0);
        c0.add_assign(&Poly::from_i64(&small(&mut rng, 2)));
        let mut dm = Poly::<M, N>::from_i64(&m);
        dm.scalar_mul_assign(delta);
        c0.add_assign(&dm);
        let c0v = vec![c0.coeffs];
        let stmt = Statement::<M, N> {
            pk_a: a,
            pk_b: b,
            c1: &c1.coeffs,
            c0: &c0v,
            t,
            bound: design.b_int,
        };
        let ctx = Context { round, clinic };
        let mut out = vec![0u8; stmt.layout::<P>().unwrap().prove_buf_len()];
        let uv = u.to_vec();
        let ms = [m];
        let mut w = Witness {
            u: &uv,
            m: SliceUpdate(&ms),
        };
        let stats = prove::<P, N, _, _>(&stmt, &ctx, &mut w, &mut rng, &mut out).unwrap();
        out.truncate(stats.len);
        subs.push(Submission {
            clinic,
            c1: Box::new(c1.coeffs),
            c0: c0v,
            proof: out,
        });
    }
    (subs, sum)
}
