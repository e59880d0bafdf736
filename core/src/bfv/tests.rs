//! End-to-end BFV tests: round trips for both moduli, homomorphic sums, tampering, witness consistency.

extern crate std;
use super::*;
use crate::arith::{Modulus, Q44};
use crate::params::{ParamSet, SetL, SetS};
use crate::ring::{NttPoly, Poly};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use std::boxed::Box;
use std::vec::Vec;

/// Ring degree and auxiliary primes of sets S and L (`crate::sets`, where K is computed).
const NS: usize = crate::set_s::N;
const KS: usize = crate::set_s::K;
const NL: usize = crate::set_l::N;
const KL: usize = crate::set_l::K;

/// A key pair with `l` chunks: (sk, a_ntt, b_ntt, b).
struct Keys<P: ParamSet, const N: usize, const K: usize> {
    sk: SecretKey<P, N>,
    a: Box<Poly<P::M, N>>,
    a_ntt: Box<NttPoly<N, K>>,
    b_ntt: Vec<NttPoly<N, K>>,
}

fn keys<P: ParamSet, const N: usize, const K: usize>(
    l: usize,
    rng: &mut ChaCha20Rng,
) -> Keys<P, N, K> {
    let sk = SecretKey::<P, N>::generate(rng);
    let mut a_seed = [0u8; 32];
    rng.fill_bytes(&mut a_seed);
    let mut a = Box::new(Poly::zero());
    public_a::<P, N>(&a_seed, &mut a);
    let a_ntt = Box::new(NttPoly::from_poly(&*a));
    let mut b = Box::new(Poly::zero());
    let b_ntt = (0..l)
        .map(|j| {
            sk.public_key_chunk(&a_ntt, j, &mut b);
            NttPoly::from_poly(&*b)
        })
        .collect();
    Keys {
        sk,
        a,
        a_ntt,
        b_ntt,
    }
}

fn random_message<M: Modulus, const N: usize>(
    p: &PlainModulus<M>,
    rng: &mut ChaCha20Rng,
) -> Box<[i64; N]> {
    let (lo, hi) = p.message_range();
    let span = (hi - lo) as u64 + 1;
    let mut m = Box::new([0i64; N]);
    for x in m.iter_mut() {
        *x = lo + (rng.next_u64() % span) as i64;
    }
    m
}

type Ct<M, const N: usize> = (Box<Poly<M, N>>, Vec<Poly<M, N>>);

fn encrypt_update<P: ParamSet, const N: usize, const K: usize>(
    k: &Keys<P, N, K>,
    p: PlainModulus<P::M>,
    m: &[Box<[i64; N]>],
    rng: &mut ChaCha20Rng,
) -> Ct<P::M, N> {
    let mut enc = Box::new(Encryptor::<P, N, K>::new(&k.a_ntt, p, m.len(), rng));
    let mut c0 = Vec::new();
    for (b, mj) in k.b_ntt.iter().zip(m.iter()) {
        let mut c = Poly::zero();
        enc.encrypt_chunk(b, mj, &mut c).unwrap();
        c0.push(c);
    }
    (Box::new(enc.c1().clone()), c0)
}

fn decrypt_update<P: ParamSet, const N: usize, const K: usize>(
    k: &Keys<P, N, K>,
    p: PlainModulus<P::M>,
    ct: &Ct<P::M, N>,
) -> Vec<Box<[i64; N]>> {
    let mut dec = Box::new(Decryptor::<P, N, K>::new(&k.sk, p, &ct.0));
    ct.1.iter()
        .enumerate()
        .map(|(j, c0)| {
            let mut out = Box::new([0i64; N]);
            dec.decrypt_chunk(j, c0, &mut out);
            out
        })
        .collect()
}

fn round_trip<P: ParamSet, const N: usize, const K: usize>(t: u64, l: usize) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let k = keys::<P, N, K>(l, &mut rng);
    let p = PlainModulus::<P::M>::new(t).unwrap();
    let m: Vec<_> = (0..l)
        .map(|_| random_message::<P::M, N>(&p, &mut rng))
        .collect();
    let ct = encrypt_update(&k, p, &m, &mut rng);
    assert_eq!(decrypt_update(&k, p, &ct), m);
}

#[test]
fn round_trip_set_s() {
    round_trip::<SetS, NS, KS>(1 << 20, 3);
    round_trip::<SetS, NS, KS>(2, 1);
}

#[test]
fn round_trip_set_l() {
    round_trip::<SetL, NL, KL>(1 << 40, 2);
    round_trip::<SetL, NL, KL>(65537, 1);
}

fn homomorphic_sum<P: ParamSet, const N: usize, const K: usize>(
    t: u64,
    clients: usize,
    bound: i64,
) {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let l = 2;
    let k = keys::<P, N, K>(l, &mut rng);
    let p = PlainModulus::<P::M>::new(t).unwrap();
    let mut sum: Vec<Box<[i64; N]>> = (0..l).map(|_| Box::new([0i64; N])).collect();
    let mut acc: Option<Ct<P::M, N>> = None;
    for _ in 0..clients {
        let m: Vec<Box<[i64; N]>> = (0..l)
            .map(|_| {
                let mut m = Box::new([0i64; N]);
                for x in m.iter_mut() {
                    *x = (rng.next_u64() % (2 * bound as u64 + 1)) as i64 - bound;
                }
                m
            })
            .collect();
        for (s, mj) in sum.iter_mut().zip(m.iter()) {
            for (a, b) in s.iter_mut().zip(mj.iter()) {
                *a += b;
            }
        }
        let ct = encrypt_update(&k, p, &m, &mut rng);
        match acc.as_mut() {
            None => acc = Some(ct),
            Some((c1, c0)) => add_assign(c1, c0, &ct.0, &ct.1).unwrap(),
        }
    }
    let acc = acc.unwrap();
    assert_eq!(decrypt_update(&k, p, &acc), sum);
}

#[test]
fn homomorphic_sum_decrypts_to_sum() {
    // t ≥ 2·K·B + 1 so the sum never wraps (docs/PROTOCOL.md).
    homomorphic_sum::<SetS, NS, KS>(2 * 8 * 1000 + 1, 8, 1000);
    homomorphic_sum::<SetL, NL, KL>(2 * 5 * (1 << 20) + 1, 5, 1 << 20);
}

#[test]
fn sum_wraps_mod_t() {
    // Without headroom, the decrypted sum is the sum reduced into the centred range of Z_t.
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let k = keys::<SetS, NS, KS>(1, &mut rng);
    let p = PlainModulus::<Q44>::new(11).unwrap();
    let m = [Box::new([5i64; 2048])];
    let mut ct = encrypt_update(&k, p, &m, &mut rng);
    let ct2 = encrypt_update(&k, p, &m, &mut rng);
    add_assign(&mut ct.0, &mut ct.1, &ct2.0, &ct2.1).unwrap();
    assert!(decrypt_update(&k, p, &ct)[0].iter().all(|&x| x == -1)); // 10 ≡ −1 (mod 11)
}

#[test]
fn tampered_ciphertext_does_not_decrypt_to_the_message() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let k = keys::<SetS, NS, KS>(1, &mut rng);
    let p = PlainModulus::<Q44>::new(1 << 16).unwrap();
    let m = [random_message::<Q44, 2048>(&p, &mut rng)];
    let ct = encrypt_update(&k, p, &m, &mut rng);
    // A random c1 (another encryption's) changes the phase by a uniform polynomial.
    let mut bad = (Box::new(ct.0.as_ref().clone()), ct.1.clone());
    bad.0.coeffs[17] = Q44::add(bad.0.coeffs[17], 1 << 30);
    assert_ne!(decrypt_update(&k, p, &bad), m);
    // Shifting one c0 coefficient by Δ changes exactly that message coefficient.
    let mut bad = (Box::new(ct.0.as_ref().clone()), ct.1.clone());
    bad.1[0].coeffs[5] = Q44::add(bad.1[0].coeffs[5], p.delta());
    let out = decrypt_update(&k, p, &bad);
    assert_ne!(out, m);
    assert_eq!(
        out[0]
            .iter()
            .zip(m[0].iter())
            .filter(|(a, b)| a != b)
            .count(),
        1
    );
    // Another key does not decrypt.
    let k2 = keys::<SetS, NS, KS>(1, &mut rng);
    let wrong = Keys {
        sk: k2.sk,
        a: k.a.clone(),
        a_ntt: k.a_ntt.clone(),
        b_ntt: k.b_ntt.clone(),
    };
    assert_ne!(decrypt_update(&wrong, p, &ct), m);
}

#[test]
fn witness_satisfies_the_encryption_relation() {
    // c1 − a·u = e2 and c0_j − b_j·u − Δ·m_j = e1_j, with u ternary and e1, e2 in [−η, η].
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let k = keys::<SetS, NS, KS>(2, &mut rng);
    let p = PlainModulus::<Q44>::new(1 << 12).unwrap();
    let mut enc = Box::new(Encryptor::<SetS, NS, KS>::new(&k.a_ntt, p, 2, &mut rng));
    let mut u_ntt = Box::new(NttPoly::<2048, 2>::from_poly(enc.u()));
    assert!((0..2048).all(|i| enc.u().centered(i).abs() <= 1));
    let mut au = Box::new(Poly::zero());
    let mut tmp = Box::new(NttPoly::<2048, 2>::zero());
    NttPoly::mul_into(&k.a_ntt, &u_ntt, &mut tmp);
    tmp.inverse_into(&mut au);
    let mut e2 = Box::new(enc.c1().clone());
    e2.sub_assign(&au);
    assert_eq!(*e2, *enc.e2());
    assert!((0..2048).all(|i| e2.centered(i).abs() <= 21));
    for j in 0..2 {
        let m = random_message::<Q44, 2048>(&p, &mut rng);
        let mut c0 = Box::new(Poly::zero());
        enc.encrypt_chunk(&k.b_ntt[j], &m, &mut c0).unwrap();
        NttPoly::mul_into(&k.b_ntt[j], &u_ntt, &mut tmp);
        let mut e1 = Box::new(Poly::zero());
        tmp.inverse_into(&mut e1);
        e1.neg_assign();
        e1.add_assign(&c0);
        let mut dm = Box::new(Poly::zero());
        p.add_encoded(&m, &mut dm);
        e1.sub_assign(&dm);
        assert_eq!(*e1, *enc.last_e1());
        assert!((0..2048).all(|i| e1.centered(i).abs() <= 21));
    }
    // The public key relation: b_j + a·s_j = −e'_j is small.
    let mut s = Box::new(Poly::zero());
    k.sk.secret_chunk(0, &mut s);
    u_ntt.set_from_poly(&s);
    u_ntt.mul_assign(&k.a_ntt);
    let mut b0 = Box::new(Poly::<Q44, 2048>::zero());
    k.b_ntt[0].to_poly(&mut b0);
    let mut as0 = Box::new(Poly::zero());
    u_ntt.inverse_into(&mut as0);
    b0.add_assign(&as0);
    assert!((0..2048).all(|i| b0.centered(i).abs() <= 21));
    assert!(k.a.coeffs.iter().any(|&c| u128::from(c) > Q44::Q / 2));
}

#[test]
fn misuse_is_a_typed_error() {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let k = keys::<SetS, NS, KS>(1, &mut rng);
    let p = PlainModulus::<Q44>::new(100).unwrap();
    let mut enc = Box::new(Encryptor::<SetS, NS, KS>::new(&k.a_ntt, p, 1, &mut rng));
    let mut c0 = Box::new(Poly::zero());
    let mut m = Box::new([0i64; 2048]);
    m[3] = 51;
    assert_eq!(
        enc.encrypt_chunk(&k.b_ntt[0], &m, &mut c0),
        Err(BfvError::MessageOutOfRange)
    );
    m[3] = 50;
    assert_eq!(enc.encrypt_chunk(&k.b_ntt[0], &m, &mut c0), Ok(()));
    assert_eq!(
        enc.encrypt_chunk(&k.b_ntt[0], &m, &mut c0),
        Err(BfvError::TooManyChunks { limit: 1 })
    );
    let mut c1 = Box::new(Poly::zero());
    let mut acc0: Vec<Poly<Q44, 2048>> = Vec::new();
    assert!(add_assign(&mut c1, &mut acc0, &c0, core::slice::from_ref(&*c0)).is_err());
    let mut out0 = [Poly::zero(), Poly::zero()];
    let res = encrypt::<SetS, NS, KS>(&k.a_ntt, &k.b_ntt, p, &[*m], &mut rng, &mut c1, &mut out0);
    assert_eq!(
        res,
        Err(BfvError::ChunkCountMismatch {
            expected: 1,
            got: 1
        })
    );
}

/// Sum of K_max worst-case ciphertexts — every one at the edge of what the proof accepts, with all noise
/// terms aligned on one coefficient — decrypts exactly (docs/NOISE.md; `policy`).
fn worst_case_sum<P: ParamSet, const N: usize, const K: usize>(chunks: usize) {
    use crate::params::bounds::{KeyBounds, ProofBounds};
    use crate::policy::{floor_sqrt, max_clinics, plaintext_modulus};
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let b_int = P::B_INT_MAX;
    let clinics = max_clinics::<P>(b_int, chunks, KeyBounds::single::<P>(), 0);
    assert!(clinics >= 1);
    let t = plaintext_modulus(clinics, b_int).unwrap();
    let plain = PlainModulus::<P::M>::new(t).unwrap();
    let k = keys::<P, N, K>(1, &mut rng);
    let bounds = ProofBounds::of::<P>(chunks);
    // The key's s_0 and e'_0 = −(b_0 + a·s_0).
    let mut s = Box::new(Poly::<P::M, N>::zero());
    k.sk.secret_chunk(0, &mut s);
    let mut tmp = Box::new(NttPoly::<N, K>::from_poly(&*s));
    tmp.mul_assign(&k.a_ntt);
    let mut e_pk = Box::new(Poly::<P::M, N>::zero());
    tmp.inverse_into(&mut e_pk);
    let mut b0 = Box::new(Poly::<P::M, N>::zero());
    k.b_ntt[0].to_poly(&mut b0);
    e_pk.add_assign(&b0);
    e_pk.neg_assign();
    // Coefficient 0 of x·y is x_0·y_0 − Σ_{i≥1} x_i·y_{N−i}: align u against e' and e2 with s.
    let sign = |c: i128| i64::from(c > 0) - i64::from(c < 0);
    let mut u = Box::new([0i64; N]);
    let mut e2 = Box::new([0i64; N]);
    let s_sq = s.norm_sq_centered();
    let lambda = floor_sqrt(bounds.e2_sq / s_sq) as i64;
    u[0] = -sign(e_pk.centered(0));
    e2[0] = lambda * s.centered(0) as i64;
    for i in 1..N {
        u[N - i] = sign(e_pk.centered(i));
        e2[i] = -lambda * s.centered(N - i) as i64;
    }
    let mut e1 = Box::new([0i64; N]);
    e1[0] = floor_sqrt(bounds.e1_sq) as i64;
    let mut m = Box::new([0i64; N]);
    m[0] = b_int as i64;
    // The witness meets the proven bounds.
    let (pu, pe2, pe1) = (
        Poly::<P::M, N>::from_i64(&u),
        Poly::<P::M, N>::from_i64(&e2),
        Poly::<P::M, N>::from_i64(&e1),
    );
    assert!(pu.norm_sq_centered() <= bounds.u_sq);
    assert!(pe2.norm_sq_centered() <= bounds.e2_sq);
    assert!(pe1.norm_sq_centered() <= bounds.e1_sq);
    // c1 = a·u + e2, c0 = b_0·u + e1 + Δ·m.
    let u_ntt = Box::new(NttPoly::<N, K>::from_poly(&pu));
    let mut c1 = Box::new(Poly::<P::M, N>::zero());
    NttPoly::mul_into(&k.a_ntt, &u_ntt, &mut tmp);
    tmp.inverse_into(&mut c1);
    c1.add_assign(&pe2);
    let mut c0 = Box::new(Poly::<P::M, N>::zero());
    NttPoly::mul_into(&k.b_ntt[0], &u_ntt, &mut tmp);
    tmp.inverse_into(&mut c0);
    c0.add_assign(&pe1);
    plain.add_encoded(&m, &mut c0);
    // The aligned noise of one ciphertext is close to the analysed worst case.
    let mut phase = Box::new(Poly::<P::M, N>::zero());
    let mut dec = Box::new(Decryptor::<P, N, K>::new(&k.sk, plain, &c1));
    let mut out = Box::new([0i64; N]);
    dec.decrypt_chunk(0, &c0, &mut out);
    assert_eq!(*out, *m);
    let mut s_ntt = Box::new(NttPoly::<N, K>::from_poly(&*s));
    s_ntt.mul_assign(&NttPoly::from_poly(&*c1));
    s_ntt.inverse_into(&mut phase);
    phase.add_assign(&c0);
    let mut dm = Box::new(Poly::<P::M, N>::zero());
    plain.add_encoded(&m, &mut dm);
    phase.sub_assign(&dm);
    let noise = phase.centered(0);
    let per_client = crate::params::bounds::noise_per_client(bounds, KeyBounds::single::<P>());
    assert!(noise > 0 && noise as u128 <= per_client);
    assert!(
        noise as u128 * 10 >= per_client * 6,
        "noise {noise} is not near the worst case {per_client}"
    );
    // K_max copies summed: plaintext K·B_int at coefficient 0, noise K times the worst case. The first
    // K − 1 copies are summed as (K − 1)·ct (the same ring element as K − 1 additions), the last one by
    // `add_assign`.
    let k_minus_1 = <P::M as Modulus>::from_i64(i64::from(clinics) - 1);
    let mut acc1 = c1.clone();
    acc1.scalar_mul_assign(k_minus_1);
    let mut acc0 = [c0.as_ref().clone()];
    acc0[0].scalar_mul_assign(k_minus_1);
    add_assign(&mut acc1, &mut acc0, &c1, core::slice::from_ref(&*c0)).unwrap();
    let mut dec = Box::new(Decryptor::<P, N, K>::new(&k.sk, plain, &acc1));
    dec.decrypt_chunk(0, &acc0[0], &mut out);
    assert_eq!(
        out[0],
        i64::from(clinics) * b_int as i64,
        "K_max = {clinics}"
    );
    assert!(out[1..].iter().all(|&x| x == 0));
}

#[test]
fn worst_case_sum_of_max_clinics_decrypts_exactly() {
    worst_case_sum::<SetS, NS, KS>(54);
    worst_case_sum::<SetL, NL, KL>(27);
}

#[test]
fn stream_encryptor_gives_the_encryptor_ciphertext() {
    // Same RNG, same key, same messages: identical c1, u and c0_j; the RNG is left in the same state.
    for seed in 0..3u64 {
        let mut rng = ChaCha20Rng::seed_from_u64(100 + seed);
        let k = keys::<SetS, NS, KS>(3, &mut rng);
        let p = PlainModulus::<Q44>::new(1 << 12).unwrap();
        let m: Vec<_> = (0..3)
            .map(|_| random_message::<Q44, 2048>(&p, &mut rng))
            .collect();
        let mut r1 = rng.clone();
        let mut r2 = rng.clone();
        let enc = Box::new(Encryptor::<SetS, NS, KS>::new(&k.a_ntt, p, 3, &mut r1));
        let mut enc = enc;
        let mut a = k.a_ntt.clone();
        let mut u = Box::new(Poly::zero());
        let mut c1 = Box::new(Poly::zero());
        let mut lean = StreamEncryptor::<SetS, NS, KS>::new(&mut a, p, 3, &mut r2, &mut u, &mut c1);
        assert_eq!(*c1, *enc.c1());
        assert_eq!(*u, *enc.u());
        for (j, mj) in m.iter().enumerate() {
            let mut want = Box::new(Poly::zero());
            enc.encrypt_chunk(&k.b_ntt[j], mj, &mut want).unwrap();
            let mut b = k.b_ntt[j].clone();
            let mut got = Box::new(Poly::zero());
            lean.encrypt_chunk(&mut b, mj, &mut got).unwrap();
            assert_eq!(*got, *want, "chunk {j}");
        }
        let mut b = k.b_ntt[0].clone();
        let mut c = Box::new(Poly::zero());
        assert!(lean.encrypt_chunk(&mut b, &m[0], &mut c).is_err());
        assert_eq!(lean.chunks_done(), 3);
        assert_eq!(r1.next_u64(), r2.next_u64());
    }
}
