//! Decryption (docs/BFV.md §5): m_j = round(t·(c0_j + c1·s_j)/q) mod t, exact and constant time. c1 is
//! transformed once; each chunk re-expands s_j from the key seed, multiplies in NTT form and decodes.
//! Works unchanged on a homomorphic sum of ciphertexts.

use super::keys::{SecretKey, check_params};
use super::plaintext::PlainModulus;
use crate::params::ParamSet;
use crate::ring::{NttPoly, Poly};
use zeroize::Zeroize;

/// Decryption state for one (possibly aggregated) ciphertext: c1 in NTT form.
pub struct Decryptor<'k, P: ParamSet, const N: usize, const K: usize> {
    sk: &'k SecretKey<P, N>,
    plain: PlainModulus<P::M>,
    c1_ntt: NttPoly<N, K>,
    s_ntt: NttPoly<N, K>,
    s: Poly<P::M, N>,
    phase: Poly<P::M, N>,
}

impl<P: ParamSet, const N: usize, const K: usize> core::fmt::Debug for Decryptor<'_, P, N, K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Decryptor { .. }")
    }
}

impl<'k, P: ParamSet, const N: usize, const K: usize> Decryptor<'k, P, N, K> {
    /// Prepares the decryption of a ciphertext with first component `c1`.
    pub fn new(sk: &'k SecretKey<P, N>, plain: PlainModulus<P::M>, c1: &Poly<P::M, N>) -> Self {
        const { check_params::<P, N, K>() };
        Self {
            sk,
            plain,
            c1_ntt: NttPoly::from_poly(c1),
            s_ntt: NttPoly::zero(),
            s: Poly::zero(),
            phase: Poly::zero(),
        }
    }

    /// Decrypts chunk j (c0_j) into centred coefficients of Z_t.
    pub fn decrypt_chunk(&mut self, j: usize, c0: &Poly<P::M, N>, out: &mut [i64; N]) {
        self.sk.secret_chunk(j, &mut self.s);
        self.s_ntt.set_from_poly(&self.s);
        self.s_ntt.mul_assign(&self.c1_ntt);
        self.s_ntt.inverse_into(&mut self.phase);
        self.phase.add_assign(c0);
        self.plain.decode(&self.phase, out);
    }
}

impl<P: ParamSet, const N: usize, const K: usize> Drop for Decryptor<'_, P, N, K> {
    fn drop(&mut self) {
        self.s.zeroize();
        self.s_ntt.zeroize();
        self.phase.zeroize();
    }
}
