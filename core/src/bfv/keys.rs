//! Key generation for the multi-message BFV variant (docs/BFV.md §3; docs/PROTOCOL.md): a public uniform a
//! (expanded from a public seed, a common reference string for collective key generation), secrets
//! s_1..s_L ternary and errors e'_j from CBD_η, and b_j = −(a·s_j + e'_j). The secret key is a 32-byte
//! seed from which every s_j and e'_j is re-expanded on demand, so a key holder stores 32 bytes and the
//! key is zeroized on drop.

use crate::arith::rns::primes_needed;
use crate::params::ParamSet;
use crate::ring::sample::{SEED_BYTES, Xof, cbd, ternary, uniform};
use crate::ring::{NttPoly, Poly};
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Domain-separation labels of every BFV stream.
pub(crate) mod label {
    pub const A: &[u8] = b"zkfl/bfv/a";
    pub const S: &[u8] = b"zkfl/bfv/s";
    pub const E_PK: &[u8] = b"zkfl/bfv/e-pk";
    pub const U: &[u8] = b"zkfl/bfv/u";
    pub const E2: &[u8] = b"zkfl/bfv/e2";
    pub const E1: &[u8] = b"zkfl/bfv/e1";
}

/// Auxiliary primes needed for a product of a uniform polynomial with a ternary one in R_N at modulus
/// bit size `bits` (a·s_j, b_j·u, c1·s_j): 2 for set S, 4 for set L (`arith::rns`).
#[must_use]
pub const fn ternary_product_primes(n: usize, bits: u32) -> usize {
    primes_needed(n, bits - 1, 0, 1)
}

/// Compile-time check of the (P, N, K) triple used by every BFV function.
pub(crate) const fn check_params<P: ParamSet, const N: usize, const K: usize>() {
    assert!(N == P::N, "N must equal P::N");
    assert!(
        K >= ternary_product_primes(N, <P::M as crate::arith::Modulus>::BITS),
        "K too small"
    );
    assert!(K <= crate::arith::primes::PRIME_COUNT);
}

/// Samples e ← CBD_η from stream (seed, label, index) and resamples (attempt counter in the high half of
/// the stream index) until ‖e‖² ≤ B_2² = ⌊15.12·N⌋ (`params::bounds::bound_e2_sq`), the bound the verifier and
/// the noise analysis (`policy`) use. An honest sample exceeds it with probability < 2^−90; the loop reveals only
/// whether that happened.
pub(crate) fn sample_bounded_error<P: ParamSet, const N: usize>(
    seed: &[u8; SEED_BYTES],
    label: &[u8],
    index: usize,
    out: &mut Poly<P::M, N>,
) {
    let bound = crate::params::bounds::bound_e2_sq(N);
    let mut attempt = 0u64;
    loop {
        let mut xof = Xof::new(seed, label, index as u64 | (attempt << 32));
        if cbd(&mut xof, P::ERROR_ETA, out) <= bound {
            return;
        }
        attempt += 1;
    }
}

/// The public polynomial a, expanded from a public seed with SHAKE128 (uniform mod q).
pub fn public_a<P: ParamSet, const N: usize>(a_seed: &[u8; SEED_BYTES], out: &mut Poly<P::M, N>) {
    const { assert!(N == P::N) };
    uniform(&mut Xof::new(a_seed, label::A, 0), out);
}

/// A BFV secret key: the seed of s_1..s_L and e'_1..e'_L. Zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretKey<P: ParamSet, const N: usize> {
    seed: [u8; SEED_BYTES],
    #[zeroize(skip)]
    _set: core::marker::PhantomData<P>,
}

impl<P: ParamSet, const N: usize> core::fmt::Debug for SecretKey<P, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("SecretKey { .. }")
    }
}

impl<P: ParamSet, const N: usize> SecretKey<P, N> {
    /// A fresh key from the injected cryptographic RNG.
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut seed = [0u8; SEED_BYTES];
        rng.fill_bytes(&mut seed);
        Self::from_seed(seed)
    }

    /// The key with the given seed (known-answer tests, key storage).
    #[must_use]
    pub fn from_seed(seed: [u8; SEED_BYTES]) -> Self {
        const { assert!(N == P::N) };
        Self {
            seed,
            _set: core::marker::PhantomData,
        }
    }

    /// The seed, for storage by the key holder (handle as a secret).
    #[must_use]
    pub fn seed(&self) -> &[u8; SEED_BYTES] {
        &self.seed
    }

    /// s_j (ternary). The caller zeroizes `out` after use.
    pub fn secret_chunk(&self, j: usize, out: &mut Poly<P::M, N>) {
        ternary(&mut Xof::new(&self.seed, label::S, j as u64), out);
    }

    /// b_j = −(a·s_j + e'_j), with a in NTT form over K primes (K ≥ [`ternary_product_primes`]).
    pub fn public_key_chunk<const K: usize>(
        &self,
        a_ntt: &NttPoly<N, K>,
        j: usize,
        out: &mut Poly<P::M, N>,
    ) {
        const { check_params::<P, N, K>() };
        let mut s = Poly::<P::M, N>::zero();
        self.secret_chunk(j, &mut s);
        let mut s_ntt = NttPoly::<N, K>::from_poly(&s);
        s_ntt.mul_assign(a_ntt);
        s_ntt.inverse_into(out);
        sample_bounded_error::<P, N>(&self.seed, label::E_PK, j, &mut s);
        out.add_assign(&s);
        out.neg_assign();
        s.zeroize();
        s_ntt.zeroize();
    }
}
