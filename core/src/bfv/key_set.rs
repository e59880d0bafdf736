//! The BFV public key (a, b_1..b_L) generated from a secret key, held in both forms the protocol needs —
//! coefficients for the proof statement and the wire encoding, RNS-NTT for encryption — and the encryption of
//! a whole update that keeps the witness u for the proof. The one key set-up of `zkfl keygen`, the tests, the
//! benches and the known-answer vectors (a clinic never generates a key: it decodes the served one,
//! `clinic::PublicKey`). Needs `alloc`: the chunk count L is a run-time value.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::{BfvError, Encryptor, PlainModulus, SecretKey, public_a};
use crate::params::ParamSet;
use crate::ring::{NttPoly, Poly};
use crate::wire::{self, EncodeError};

/// A public key b_j = −(a·s_j + e'_j), j < L, with a = `public_a(a_seed)`.
pub struct PublicKeyPolys<P: ParamSet, const N: usize, const K: usize> {
    /// a (coefficients).
    pub a: Box<Poly<P::M, N>>,
    /// b_1..b_L (coefficients).
    pub b: Vec<Poly<P::M, N>>,
    /// a in NTT form over K primes.
    pub a_ntt: Box<NttPoly<N, K>>,
    /// b_1..b_L in NTT form.
    pub b_ntt: Vec<NttPoly<N, K>>,
}

/// Coefficient type of a set.
type Coeff<P> = <<P as ParamSet>::M as crate::arith::Modulus>::Coeff;

/// A multi-message ciphertext (c1, c0_1..c0_L) with the encryption's shared randomness u (centred; the
/// proof's witness, wiped on drop).
pub struct Encryption<P: ParamSet, const N: usize> {
    /// c1 = a·u + e2.
    pub c1: Box<Poly<P::M, N>>,
    /// c0_j = b_j·u + e1_j + Δ·m_j.
    pub c0: Vec<Poly<P::M, N>>,
    /// u, centred (ternary).
    pub u: Zeroizing<Vec<i64>>,
}

impl<P: ParamSet, const N: usize> Encryption<P, N> {
    /// c0_1..c0_L as the proof statement takes them.
    #[must_use]
    pub fn c0_coeffs(&self) -> Vec<[Coeff<P>; N]> {
        self.c0.iter().map(|p| p.coeffs).collect()
    }
}

impl<P: ParamSet, const N: usize, const K: usize> PublicKeyPolys<P, N, K> {
    /// The first `chunks` chunks of `sk`'s public key over a = `public_a(a_seed)`.
    pub fn generate(sk: &SecretKey<P, N>, a_seed: &[u8; 32], chunks: usize) -> Self {
        let mut a = Box::new(Poly::<P::M, N>::zero());
        public_a::<P, N>(a_seed, &mut a);
        let a_ntt = Box::new(NttPoly::<N, K>::from_poly(&*a));
        let b: Vec<Poly<P::M, N>> = (0..chunks)
            .map(|j| {
                let mut bj = Poly::zero();
                sk.public_key_chunk(&a_ntt, j, &mut bj);
                bj
            })
            .collect();
        let b_ntt = b.iter().map(NttPoly::from_poly).collect();
        Self { a, b, a_ntt, b_ntt }
    }

    /// Chunks L.
    #[must_use]
    pub fn chunks(&self) -> usize {
        self.b.len()
    }

    /// The `wire::bfv` encoding (what `zkfl serve` serves at `/v1/keys/bfv`).
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = vec![0u8; wire::bfv::encoded_len::<P>(self.chunks())];
        wire::bfv::encode_public_key::<P, N>(&self.a, &self.b, &mut out)?;
        Ok(out)
    }

    /// b_1..b_L as the proof statement takes them.
    #[must_use]
    pub fn b_coeffs(&self) -> Vec<[Coeff<P>; N]> {
        self.b.iter().map(|p| p.coeffs).collect()
    }

    /// Encrypts `m` (centred coefficients of Z_t, chunk j = `m[j·N..(j+1)·N]`, at most L chunks) under this
    /// key with one [`Encryptor`] (the RNG is drawn once, by `Encryptor::new`), keeping u for the proof.
    pub fn encrypt(
        &self,
        plain: PlainModulus<P::M>,
        m: &[i64],
        rng: &mut impl CryptoRng,
    ) -> Result<Encryption<P, N>, BfvError> {
        let chunks = m.len().div_ceil(N);
        if !m.len().is_multiple_of(N) {
            // The message length is public (the model size).
            #[allow(clippy::integer_division_remainder_used)]
            let got = m.len() / N;
            return Err(BfvError::ChunkCountMismatch {
                expected: chunks,
                got,
            });
        }
        if chunks > self.b_ntt.len() {
            return Err(BfvError::TooManyChunks {
                limit: self.b_ntt.len(),
            });
        }
        let mut enc = Box::new(Encryptor::<P, N, K>::new(&self.a_ntt, plain, chunks, rng));
        let mut c0 = vec![Poly::<P::M, N>::zero(); chunks];
        let mut mj = Zeroizing::new([0i64; N]);
        for ((b, chunk), c) in self.b_ntt.iter().zip(m.chunks_exact(N)).zip(c0.iter_mut()) {
            mj.copy_from_slice(chunk);
            enc.encrypt_chunk(b, &mj, c)?;
        }
        // u is ternary: its centred coefficients fit i64.
        #[allow(clippy::cast_possible_truncation)]
        let u = Zeroizing::new((0..N).map(|i| enc.u().centered(i) as i64).collect());
        Ok(Encryption {
            c1: Box::new(enc.c1().clone()),
            c0,
            u,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bfv::{Decryptor, ternary_product_primes};
    use crate::params::SetS;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    const N: usize = SetS::N;
    const K: usize = ternary_product_primes(N, 44);

    #[test]
    fn a_partial_chunk_is_refused() {
        let sk = SecretKey::<SetS, N>::from_seed([4; 32]);
        let pk = PublicKeyPolys::<SetS, N, K>::generate(&sk, &[5; 32], 2);
        let plain = PlainModulus::new(1001).expect("t");
        assert!(matches!(
            pk.encrypt(plain, &[0; N + 1], &mut ChaCha20Rng::from_seed([1; 32])),
            Err(BfvError::ChunkCountMismatch {
                expected: 2,
                got: 1
            })
        ));
    }

    #[test]
    fn a_generated_key_encodes_and_its_encryption_decrypts() {
        let sk = SecretKey::<SetS, N>::from_seed([4; 32]);
        let pk = PublicKeyPolys::<SetS, N, K>::generate(&sk, &[5; 32], 2);
        let bytes = pk.encode().expect("encode");
        assert_eq!(bytes.len(), wire::bfv::encoded_len::<SetS>(2));
        let plain = PlainModulus::new(1001).expect("t");
        let m = [[3i64; N], [-7i64; N]].concat();
        let enc = pk
            .encrypt(plain, &m, &mut ChaCha20Rng::from_seed([1; 32]))
            .expect("encrypt");
        assert!(enc.u.iter().all(|&x| (-1..=1).contains(&x)));
        let mut dec = Decryptor::<SetS, N, K>::new(&sk, plain, &enc.c1);
        let mut out = [0i64; N];
        dec.decrypt_chunk(1, &enc.c0[1], &mut out);
        assert!(out.iter().all(|&x| x == -7), "{:?}", &out[..4]);
        assert!(matches!(
            pk.encrypt(plain, &[0; 3 * N], &mut ChaCha20Rng::from_seed([1; 32])),
            Err(BfvError::TooManyChunks { limit: 2 })
        ));
    }
}
