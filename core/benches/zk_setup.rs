//! Shared by the zk benches: the paper-size update of one clinic (key, update, ciphertext, witness) and
//! the calls that prove it. Included with `#[path]` by `zk.rs` and `zk_mean.rs`.
#![allow(dead_code)]

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use zkfl_core::arith::Modulus;
use zkfl_core::bfv::{PlainModulus, PublicKeyPolys, SecretKey};
use zkfl_core::params::ParamSet;
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
/// K of sets S and L (`zkfl_core::sets`, the one place it is computed).
pub const K_S: usize = zkfl_core::set_s::K;
pub const K_L: usize = zkfl_core::set_l::K;

pub type CoeffOf<P> = <<P as ParamSet>::M as Modulus>::Coeff;

/// Key, update, ciphertext and witness of one clinic's update.
pub struct Setup<P: ParamSet, const N: usize, const K: usize> {
    /// The key (zkfl-core's key set-up, `bfv::PublicKeyPolys`).
    pub pk: PublicKeyPolys<P, N, K>,
    /// a and b_j as the statement takes them.
    pub a: Box<[CoeffOf<P>; N]>,
    pub b: Vec<[CoeffOf<P>; N]>,
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
    s: &Setup<P, N, K>,
    rng: &mut ChaCha20Rng,
) -> (Box<[CoeffOf<P>; N]>, Vec<[CoeffOf<P>; N]>, Vec<i64>) {
    let enc =
        s.pk.encrypt(s.plain, s.m.as_flattened(), rng)
            .expect("encrypt");
    (Box::new(enc.c1.coeffs), enc.c0_coeffs(), enc.u.to_vec())
}

/// The paper-size update: coordinates uniform in [−20, 20] (‖m‖² ≈ 140·108,996 < B²), zero padding.
pub fn setup<P: ParamSet, const N: usize, const K: usize>() -> Setup<P, N, K> {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let chunks = PARAMS.div_ceil(N);
    let sk = SecretKey::<P, N>::generate(&mut rng);
    let pk = PublicKeyPolys::<P, N, K>::generate(&sk, &[3; 32], chunks);
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
    let mut s = Setup {
        a: Box::new(pk.a.coeffs),
        b: pk.b_coeffs(),
        pk,
        plain: PlainModulus::<P::M>::new(T).expect("t"),
        m,
        c1: Box::new([<P::M as Modulus>::zero(); N]),
        c0: Vec::new(),
        u: Vec::new(),
    };
    (s.c1, s.c0, s.u) = encrypt(&s, &mut rng);
    s
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
