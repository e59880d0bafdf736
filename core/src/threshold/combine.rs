//! Combination of decryption shares with dropouts (docs/THRESHOLD.md §2–§3): chunk j decrypts to
//! m_j = round(t·(c0_j + Σ_i d_{i,j})/q) mod t, where d_{i,j} is member i's smudged share if it sent one, and
//! s_{i,j}·c1 (no noise: the key is public to the combiner once recovered) for an absent member whose seed was
//! recovered from t backup shares (`keys::recover_member`). At least t shares must be present: with fewer,
//! no absent member could have been recovered, and the round fails before anything is combined.

use super::error::ThresholdError;
use crate::bfv::keys::check_params;
use crate::bfv::{PlainModulus, SecretKey};
use crate::params::ParamSet;
use crate::ring::{NttPoly, Poly};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// What the combiner holds for one member and one chunk.
#[derive(Debug)]
pub enum Contribution<'a, P: ParamSet, const N: usize> {
    /// The member's decryption share d_{i,j} (its share proof verified).
    Share(&'a Poly<P::M, N>),
    /// The member is absent; its key was recovered from backup shares.
    Recovered(&'a SecretKey<P, N>),
    /// Neither (the round cannot be decrypted).
    Missing,
}

/// Combination state for one (summed) ciphertext: c1 in NTT form and scratch space.
pub struct Combiner<P: ParamSet, const N: usize, const K: usize> {
    plain: PlainModulus<P::M>,
    threshold: u32,
    c1: Poly<P::M, N>,
    c1_ntt: NttPoly<N, K>,
    s: Poly<P::M, N>,
    s_ntt: NttPoly<N, K>,
    phase: Poly<P::M, N>,
    part: Poly<P::M, N>,
}

impl<P: ParamSet, const N: usize, const K: usize> core::fmt::Debug for Combiner<P, N, K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Combiner")
            .field("threshold", &self.threshold)
            .finish_non_exhaustive()
    }
}

impl<P: ParamSet, const N: usize, const K: usize> Combiner<P, N, K> {
    /// Prepares the combination for a ciphertext with first component `c1`, threshold t.
    pub fn new(plain: PlainModulus<P::M>, threshold: u32, c1: &Poly<P::M, N>) -> Self {
        const { check_params::<P, N, K>() };
        Self {
            plain,
            threshold,
            c1: c1.clone(),
            c1_ntt: NttPoly::from_poly(c1),
            s: Poly::zero(),
            s_ntt: NttPoly::zero(),
            phase: Poly::zero(),
            part: Poly::zero(),
        }
    }

    /// The first component c1 (for share makers and proofs).
    pub fn c1(&self) -> &Poly<P::M, N> {
        &self.c1
    }

    /// Err unless a decryption share's c1 (it travels with the share, `wire::bfv` kind 0x04) is this
    /// ciphertext's: a share of another ciphertext would decrypt to garbage.
    ///
    /// # Errors
    /// [`ThresholdError::WrongCiphertext`].
    pub fn check_share_c1(&self, c1: &Poly<P::M, N>) -> Result<(), ThresholdError> {
        if bool::from(self.c1.ct_eq(c1)) {
            Ok(())
        } else {
            Err(ThresholdError::WrongCiphertext)
        }
    }

    /// Decrypts chunk j from c0_j and one contribution per member (index i − 1 for member i).
    ///
    /// # Errors
    /// [`ThresholdError::TooFewShares`] with fewer than t shares, [`ThresholdError::MissingMember`] if a member
    /// has no contribution; `out` is untouched then.
    pub fn decrypt_chunk(
        &mut self,
        j: usize,
        c0: &Poly<P::M, N>,
        members: &[Contribution<'_, P, N>],
        out: &mut [i64; N],
    ) -> Result<(), ThresholdError> {
        let have = members
            .iter()
            .filter(|c| matches!(c, Contribution::Share(_)))
            .count() as u32;
        if have < self.threshold {
            return Err(ThresholdError::TooFewShares {
                have,
                need: self.threshold,
            });
        }
        if let Some(i) = members
            .iter()
            .position(|c| matches!(c, Contribution::Missing))
        {
            return Err(ThresholdError::MissingMember {
                member: (i + 1) as u8,
            });
        }
        self.phase.clone_from(c0);
        for c in members {
            match c {
                Contribution::Share(d) => self.phase.add_assign(d),
                Contribution::Recovered(key) => {
                    key.secret_chunk(j, &mut self.s);
                    self.s_ntt.set_from_poly(&self.s);
                    self.s_ntt.mul_assign(&self.c1_ntt);
                    self.s_ntt.inverse_into(&mut self.part);
                    self.phase.add_assign(&self.part);
                }
                Contribution::Missing => {}
            }
        }
        self.plain.decode(&self.phase, out);
        Ok(())
    }
}

impl<P: ParamSet, const N: usize, const K: usize> Drop for Combiner<P, N, K> {
    fn drop(&mut self) {
        self.s.zeroize();
        self.s_ntt.zeroize();
        self.phase.zeroize();
        self.part.zeroize();
    }
}
