//! Streaming multi-message encryption (docs/BFV.md §4; docs/PROTOCOL.md): one ternary u and one error e2
//! for all L chunks, c1 = a·u + e2 once, then c0_j = b_j·u + e1_j + Δ·m_j chunk by chunk. u is kept in
//! NTT form, so a chunk costs one pointwise product and one inverse NTT per auxiliary prime, a CRT pass
//! and the CBD sampling of e1_j. A device holds O(1) polynomials besides the public key, which it may
//! read one b_j at a time.
//!
//! The prover needs the witness (u, e2, e1_j): the encryptor exposes it by reference and zeroizes it on
//! drop. e2 and every e1_j are resampled until ‖e‖² ≤ ⌊15.12·N⌋ (probability of a resample < 2^−90), so
//! ‖e2‖² ≤ B_2² and Σ_j ‖e1_j‖² ≤ L·⌊15.12·N⌋ ≤ B_1² hold by construction, chunk by chunk, as the proof
//! requires (docs/PROTOCOL.md; `params::bounds`).

use super::error::BfvError;
use super::keys::{check_params, label, sample_bounded_error};
use super::plaintext::PlainModulus;
use crate::params::ParamSet;
use crate::ring::sample::{SEED_BYTES, Xof, ternary};
use crate::ring::{NttPoly, Poly};
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Encryption state of one update: the secret randomness (u, e2, the e1 stream) and c1.
pub struct Encryptor<P: ParamSet, const N: usize, const K: usize> {
    plain: PlainModulus<P::M>,
    seed: [u8; SEED_BYTES],
    u: Poly<P::M, N>,
    u_ntt: NttPoly<N, K>,
    e2: Poly<P::M, N>,
    e1: Poly<P::M, N>,
    tmp: NttPoly<N, K>,
    c1: Poly<P::M, N>,
    chunks: usize,
    limit: usize,
}

impl<P: ParamSet, const N: usize, const K: usize> core::fmt::Debug for Encryptor<P, N, K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Encryptor")
            .field("chunks", &self.chunks)
            .finish_non_exhaustive()
    }
}

impl<P: ParamSet, const N: usize, const K: usize> Encryptor<P, N, K> {
    /// Samples u and e2 from the injected RNG, computes c1 = a·u + e2, and prepares the encryption of at
    /// most `chunks` chunks (L, the public key's chunk count).
    pub fn new(
        a_ntt: &NttPoly<N, K>,
        plain: PlainModulus<P::M>,
        chunks: usize,
        rng: &mut impl CryptoRng,
    ) -> Self {
        const { check_params::<P, N, K>() };
        let mut seed = [0u8; SEED_BYTES];
        rng.fill_bytes(&mut seed);
        let mut enc = Self {
            plain,
            seed,
            u: Poly::zero(),
            u_ntt: NttPoly::zero(),
            e2: Poly::zero(),
            e1: Poly::zero(),
            tmp: NttPoly::zero(),
            c1: Poly::zero(),
            chunks: 0,
            limit: chunks,
        };
        seed.zeroize();
        ternary(&mut Xof::new(&enc.seed, label::U, 0), &mut enc.u);
        enc.u_ntt.set_from_poly(&enc.u);
        sample_bounded_error::<P, N>(&enc.seed, label::E2, 0, &mut enc.e2);
        NttPoly::mul_into(a_ntt, &enc.u_ntt, &mut enc.tmp);
        enc.tmp.inverse_into(&mut enc.c1);
        enc.c1.add_assign(&enc.e2);
        enc
    }

    /// c1 = a·u + e2, shared by all chunks.
    pub fn c1(&self) -> &Poly<P::M, N> {
        &self.c1
    }

    /// Chunks encrypted so far.
    pub fn chunks_done(&self) -> usize {
        self.chunks
    }

    /// Encrypts the next chunk m_j (centred coefficients of Z_t) under b_j (NTT form):
    /// c0 = b_j·u + e1_j + Δ·m_j. Chunks are numbered in call order; e1_j is fresh per call.
    pub fn encrypt_chunk(
        &mut self,
        b_ntt: &NttPoly<N, K>,
        m: &[i64; N],
        c0: &mut Poly<P::M, N>,
    ) -> Result<(), BfvError> {
        if self.chunks >= self.limit {
            return Err(BfvError::TooManyChunks { limit: self.limit });
        }
        self.plain.check_message(m)?;
        sample_bounded_error::<P, N>(&self.seed, label::E1, self.chunks, &mut self.e1);
        NttPoly::mul_into(b_ntt, &self.u_ntt, &mut self.tmp);
        self.tmp.inverse_into(c0);
        self.plain.add_encoded_with_error(m, &self.e1, c0);
        self.chunks += 1;
        Ok(())
    }

    /// The shared randomness u (witness of the proof).
    pub fn u(&self) -> &Poly<P::M, N> {
        &self.u
    }

    /// The shared error e2 (witness of the proof).
    pub fn e2(&self) -> &Poly<P::M, N> {
        &self.e2
    }

    /// e1_j of the last encrypted chunk (witness of the proof; overwritten by the next chunk).
    pub fn last_e1(&self) -> &Poly<P::M, N> {
        &self.e1
    }

    /// The plaintext modulus in use.
    pub fn plain(&self) -> &PlainModulus<P::M> {
        &self.plain
    }
}

impl<P: ParamSet, const N: usize, const K: usize> Drop for Encryptor<P, N, K> {
    fn drop(&mut self) {
        self.seed.zeroize();
        self.u.zeroize();
        self.u_ntt.zeroize();
        self.e2.zeroize();
        self.e1.zeroize();
        self.tmp.zeroize();
    }
}

impl<P: ParamSet, const N: usize, const K: usize> ZeroizeOnDrop for Encryptor<P, N, K> {}

/// The encryption of one update with the least state, for devices (docs/FIRMWARE.md): it keeps only u in NTT
/// form and the noise seed (≈ K·N·4 bytes instead of [`Encryptor`]'s seven polynomials), writes c1 and u to
/// the caller's buffers, and forms each chunk's product in the caller's buffer of b_j and its e1_j in the
/// output buffer. For the same RNG its c1, u and c0_j are those of [`Encryptor`] (the same samples from the
/// same streams, the same exact sums mod q in another order).
pub struct StreamEncryptor<P: ParamSet, const N: usize, const K: usize> {
    plain: PlainModulus<P::M>,
    seed: [u8; SEED_BYTES],
    u_ntt: NttPoly<N, K>,
    chunks: usize,
    limit: usize,
}

impl<P: ParamSet, const N: usize, const K: usize> core::fmt::Debug for StreamEncryptor<P, N, K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamEncryptor")
            .field("chunks", &self.chunks)
            .finish_non_exhaustive()
    }
}

impl<P: ParamSet, const N: usize, const K: usize> StreamEncryptor<P, N, K> {
    /// Draws the noise seed from `rng` (as [`Encryptor::new`] does), samples u into `u` (the caller keeps it
    /// as the proof's witness and wipes it) and writes c1 = a·u + e2 into `c1`. `a_ntt` is pk.a in NTT form;
    /// it is overwritten (its buffer then serves as the caller's b_j buffer).
    pub fn new(
        a_ntt: &mut NttPoly<N, K>,
        plain: PlainModulus<P::M>,
        chunks: usize,
        rng: &mut impl CryptoRng,
        u: &mut Poly<P::M, N>,
        c1: &mut Poly<P::M, N>,
    ) -> Self {
        const { check_params::<P, N, K>() };
        let mut enc = Self {
            plain,
            seed: [0u8; SEED_BYTES],
            u_ntt: NttPoly::zero(),
            chunks: 0,
            limit: chunks,
        };
        rng.fill_bytes(&mut enc.seed);
        ternary(&mut Xof::new(&enc.seed, label::U, 0), u);
        enc.u_ntt.set_from_poly(u);
        // c1 = e2 + a·u: e2 sampled into c1, the product added.
        sample_bounded_error::<P, N>(&enc.seed, label::E2, 0, c1);
        a_ntt.mul_assign(&enc.u_ntt);
        a_ntt.inverse_add_into(c1);
        enc
    }

    /// Encrypts the next chunk m_j: c0 = e1_j + b_j·u + Δ·m_j into `c0`. `b_ntt` is b_j in NTT form; it is
    /// overwritten with b_j·u (the caller wipes it at the end). Chunks are numbered in call order.
    pub fn encrypt_chunk(
        &mut self,
        b_ntt: &mut NttPoly<N, K>,
        m: &[i64; N],
        c0: &mut Poly<P::M, N>,
    ) -> Result<(), BfvError> {
        if self.chunks >= self.limit {
            return Err(BfvError::TooManyChunks { limit: self.limit });
        }
        self.plain.check_message(m)?;
        sample_bounded_error::<P, N>(&self.seed, label::E1, self.chunks, c0);
        b_ntt.mul_assign(&self.u_ntt);
        b_ntt.inverse_add_into(c0);
        self.plain.add_encoded(m, c0);
        self.chunks += 1;
        Ok(())
    }

    /// Chunks encrypted so far.
    pub fn chunks_done(&self) -> usize {
        self.chunks
    }
}

impl<P: ParamSet, const N: usize, const K: usize> Drop for StreamEncryptor<P, N, K> {
    fn drop(&mut self) {
        self.seed.zeroize();
        self.u_ntt.zeroize();
    }
}

impl<P: ParamSet, const N: usize, const K: usize> ZeroizeOnDrop for StreamEncryptor<P, N, K> {}

/// Encrypts a whole update: `m.len()` chunks under (a, b_1..b_L) in NTT form, c1 and c0_j into the
/// caller's buffers. Err if the chunk counts of `b_ntt`, `m` and `c0` differ.
pub fn encrypt<P: ParamSet, const N: usize, const K: usize>(
    a_ntt: &NttPoly<N, K>,
    b_ntt: &[NttPoly<N, K>],
    plain: PlainModulus<P::M>,
    m: &[[i64; N]],
    rng: &mut impl CryptoRng,
    c1: &mut Poly<P::M, N>,
    c0: &mut [Poly<P::M, N>],
) -> Result<(), BfvError> {
    if m.len() != b_ntt.len() || c0.len() != b_ntt.len() {
        return Err(BfvError::ChunkCountMismatch {
            expected: b_ntt.len(),
            got: m.len().min(c0.len()),
        });
    }
    let mut enc = Encryptor::<P, N, K>::new(a_ntt, plain, b_ntt.len(), rng);
    for ((b, mj), c) in b_ntt.iter().zip(m.iter()).zip(c0.iter_mut()) {
        enc.encrypt_chunk(b, mj, c)?;
    }
    c1.clone_from(enc.c1());
    Ok(())
}
