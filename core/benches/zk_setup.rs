//! Shared by the zk benches: the paper-size update of one clinic (key, update, ciphertext, witness) and
//! the calls that prove it. Included with `#[path]` by `zk.rs` and `zk_mean.rs`.
#![allow(dead_code)]

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zkfl_core::arith::Modulus;
use zkfl_core::bfv::{Encryptor, PlainModulus, SecretKey, public_a, ternary_product_primes};
use zkfl_core::params::{ParamSet, SetL, SetS};
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::zk::params::ZkParams;
use zkfl_core::zk::prove::{
    ProveStats, ProverTables, SliceUpdate, Witness, prove, prove_with_tables,
};
use zkfl_core::zk::statement::{Context, Statement};

/// The paper's model size (MLP 784-128-64-4).
pub const PARAMS: usize = 108_996;
/// Statement bound B and plaintext modulus t = 2·5·B + 1 (five clinics).
pub const BOUND: u64 = 4096;
pub const T: u64 = 2 * 5 * BOUND + 1;
pub const K_S: usize = ternary_product_primes(2048, <<SetS as ParamSet>::M as Modulus>::BITS);
pub const K_L: usize = ternary_product_primes(4096, <<SetL as ParamSet>::M as Modulus>::BITS);

pub type CoeffOf<P> = <<P as ParamSet>::M as Modulus>::Coeff;

/// Key, update, ciphertext and witness of one clinic's update.
pub struct Setup<P: ParamSet, const N: usize, const K: usize> {
    pub a: Box<[CoeffOf<P>; N]>,
    pub b: Vec<[CoeffOf<P>; N]>,
    pub a_ntt: Box<NttPoly<N, K>>,
    pub b_ntt: Vec<NttPoly<N, K>>,
    pub plain: PlainModulus<P::M>,
    pub m: Vec<[i64; N]>,
    pub c1: Box<[CoeffOf<P>; N]>,
    pub c0: Vec<[CoeffOf<P>; N]>,
    pub u: Vec<i64>,
}

pub fn ctx() -> Context {
    Context {
        round: 1,
        clinic: 1,
    }
}

/// Encrypts `m` (one u, e2 for all chunks) and returns (c1, c0, u).
#[allow(clippy::type_complexity)]
pub fn encrypt<P: ParamSet, const N: usize, const K: usize>(
    a_ntt: &NttPoly<N, K>,
    b_ntt: &[NttPoly<N, K>],
    plain: PlainModulus<P::M>,
    m: &[[i64; N]],
    rng: &mut ChaCha20Rng,
) -> (Box<[CoeffOf<P>; N]>, Vec<[CoeffOf<P>; N]>, Vec<i64>) {
    let mut enc = Box::new(Encryptor::<P, N, K>::new(a_ntt, plain, m.len(), rng));
    let mut c = Box::new(Poly::<P::M, N>::zero());
    let c0 = b_ntt
        .iter()
        .zip(m)
        .map(|(b, mj)| {
            enc.encrypt_chunk(b, mj, &mut c).expect("encrypt");
            c.coeffs
        })
        .collect();
    let u = (0..N).map(|i| enc.u().centered(i) as i64).collect();
    (Box::new(enc.c1().coeffs), c0, u)
}

/// The paper-size update: coordinates uniform in [−20, 20] (‖m‖² ≈ 140·108,996 < B²), zero padding.
pub fn setup<P: ParamSet, const N: usize, const K: usize>() -> Setup<P, N, K> {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let chunks = PARAMS.div_ceil(N);
    let sk = SecretKey::<P, N>::generate(&mut rng);
    let mut a = Box::new(Poly::<P::M, N>::zero());
    public_a::<P, N>(&[3; 32], &mut a);
    let a_ntt = Box::new(NttPoly::<N, K>::from_poly(&*a));
    let b: Vec<Poly<P::M, N>> = (0..chunks)
        .map(|j| {
            let mut p = Poly::zero();
            sk.public_key_chunk(&a_ntt, j, &mut p);
            p
        })
        .collect();
    let b_ntt: Vec<NttPoly<N, K>> = b.iter().map(NttPoly::from_poly).collect();
    let m: Vec<[i64; N]> = (0..chunks)
        .map(|j| {
            core::array::from_fn(|i| {
                if j * N + i < PARAMS {
                    i64::from(rng.next_u32() % 41) - 20
                } else {
                    0
                }
            })
        })
        .collect();
    let plain = PlainModulus::<P::M>::new(T).expect("t");
    let (c1, c0, u) = encrypt::<P, N, K>(&a_ntt, &b_ntt, plain, &m, &mut rng);
    Setup {
        a: Box::new(a.coeffs),
        b: b.iter().map(|p| p.coeffs).collect(),
        a_ntt,
        b_ntt,
        plain,
        m,
        c1,
        c0,
        u,
    }
}

pub fn statement<'a, P: ParamSet, const N: usize, const K: usize>(
    s: &'a Setup<P, N, K>,
    c1: &'a [CoeffOf<P>; N],
    c0: &'a [[CoeffOf<P>; N]],
) -> Statement<'a, P::M, N> {
    Statement {
        pk_a: &s.a,
        pk_b: &s.b,
        c1,
        c0,
        t: s.plain.t(),
        bound: BOUND,
    }
}

pub fn prove_into<P: ZkParams, const N: usize>(
    st: &Statement<'_, P::M, N>,
    u: &[i64],
    m: &[[i64; N]],
    rng: &mut ChaCha20Rng,
    out: &mut [u8],
) -> ProveStats {
    let mut w = Witness {
        u,
        m: SliceUpdate(m),
    };
    prove::<P, N, _, _>(st, &ctx(), &mut w, rng, out).expect("honest prover")
}

/// [`prove_into`] with lent tables (`zk::prove::ProverTables`).
pub fn prove_into_tables<P: ZkParams, const N: usize>(
    st: &Statement<'_, P::M, N>,
    u: &[i64],
    m: &[[i64; N]],
    rng: &mut ChaCha20Rng,
    out: &mut [u8],
    tables: ProverTables<'_, P::M>,
) -> ProveStats {
    let mut w = Witness {
        u,
        m: SliceUpdate(m),
    };
    prove_with_tables::<P, N, _, _>(st, &ctx(), &mut w, rng, out, tables).expect("honest prover")
}
