//! Backup sharing of a member's key seed (docs/THRESHOLD.md §2): Shamir's t-of-n scheme over GF(2^8),
//! byte-wise on the 32-byte seed. Member i's seed is its whole additive key share (s_{i,j}, e'_{i,j} are
//! re-expanded from it), so if i is absent at decryption, any t members can rebuild the seed, and everybody
//! can check the result: it must regenerate i's published key share b_{i,j} exactly.
//!
//! A recovery reveals member i's key share to whoever combines, so every member limits what it releases
//! ([`ReleaseBudget`]: at most n − t distinct members per key epoch); an adversary holding t − 1 members and the
//! combiner then knows at most n − 1 of the n additive shares.
//!
//! Field arithmetic is constant time (no table, no secret branch); evaluation points 1..=n are public.

use super::error::ThresholdError;
use crate::ring::sample::SEED_BYTES;
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// a·b in GF(2^8) = GF(2)[x]/(x^8 + x^4 + x^3 + x + 1), constant time.
#[must_use]
pub fn gf_mul(a: u8, b: u8) -> u8 {
    let (mut a, mut b, mut r) = (a, b, 0u8);
    for _ in 0..8 {
        r ^= a & 0u8.wrapping_sub(b & 1);
        let hi = 0u8.wrapping_sub(a >> 7);
        a = (a << 1) ^ (0x1b & hi);
        b >>= 1;
    }
    r
}

/// a^(−1) = a^254 in GF(2^8) (0 maps to 0), constant time.
#[must_use]
pub fn gf_inv(a: u8) -> u8 {
    // 254 = 0b1111_1110: square-and-multiply with a fixed schedule.
    let mut r = 1u8;
    let mut p = a;
    for bit in 0..8 {
        if (254u32 >> bit) & 1 == 1 {
            r = gf_mul(r, p);
        }
        p = gf_mul(p, p);
    }
    r
}

/// One backup share: the evaluation at point `holder` of the sharing polynomial of `owner`'s seed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct BackupShare {
    /// The member whose seed is shared (1-based).
    pub owner: u8,
    /// The member holding this share, also its evaluation point (1-based, nonzero).
    pub holder: u8,
    y: [u8; SEED_BYTES],
}

impl core::fmt::Debug for BackupShare {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BackupShare")
            .field("owner", &self.owner)
            .field("holder", &self.holder)
            .finish_non_exhaustive()
    }
}

impl BackupShare {
    /// A share from its parts (after transport; `bytes` is secret).
    #[must_use]
    pub fn from_parts(owner: u8, holder: u8, bytes: [u8; SEED_BYTES]) -> Self {
        Self {
            owner,
            holder,
            y: bytes,
        }
    }

    /// The share's bytes (secret: send only inside the channel, to the holder).
    #[must_use]
    pub fn bytes(&self) -> &[u8; SEED_BYTES] {
        &self.y
    }
}

fn check_shape(members: u32, threshold: u32) -> Result<(), ThresholdError> {
    Ok(super::plan::check_committee(members, threshold)?)
}

/// Splits `seed` of member `owner` into n shares, one per member 1..=n (written to `out[0..n]`), any
/// `threshold` of which reconstruct it. The t − 1 random coefficients come from `rng` and are wiped.
///
/// # Errors
/// Bad committee shape, `owner` outside 1..=n, or `out.len() != n`.
pub fn split(
    seed: &[u8; SEED_BYTES],
    owner: u8,
    members: u32,
    threshold: u32,
    rng: &mut impl CryptoRng,
    out: &mut [BackupShare],
) -> Result<(), ThresholdError> {
    check_shape(members, threshold)?;
    if owner == 0 || u32::from(owner) > members || out.len() != members as usize {
        return Err(ThresholdError::MemberIndex {
            index: usize::from(owner).max(out.len()),
            members,
        });
    }
    // Coefficients c_1..c_{t−1}, at most MAX_MEMBERS − 1 of them.
    let mut coeffs = [[0u8; SEED_BYTES]; super::plan::MAX_MEMBERS as usize];
    for c in coeffs.iter_mut().take(threshold as usize - 1) {
        rng.fill_bytes(c);
    }
    for (i, share) in out.iter_mut().enumerate() {
        let x = (i + 1) as u8;
        share.owner = owner;
        share.holder = x;
        for (b, y) in share.y.iter_mut().enumerate() {
            // Horner: ((c_{t−1}·x + c_{t−2})·x + … + c_1)·x + seed.
            let mut acc = 0u8;
            for c in coeffs[..threshold as usize - 1].iter().rev() {
                acc = gf_mul(acc, x) ^ c[b];
            }
            *y = gf_mul(acc, x) ^ seed[b];
        }
    }
    coeffs.zeroize();
    Ok(())
}

/// The seed from shares with distinct nonzero holders (Lagrange interpolation at 0). With fewer than t shares
/// the result is uniformly random and unrelated to the seed; the caller checks it against the published key.
///
/// # Errors
/// A holder index of 0 or a repeated holder.
pub fn interpolate(shares: &[&BackupShare]) -> Result<[u8; SEED_BYTES], ThresholdError> {
    let mut seen = 0u64;
    for s in shares {
        let bit = 1u64 << (s.holder & 63);
        if s.holder == 0 || s.holder > 63 || seen & bit != 0 {
            return Err(ThresholdError::MemberIndex {
                index: usize::from(s.holder),
                members: 0,
            });
        }
        seen |= bit;
    }
    let mut seed = [0u8; SEED_BYTES];
    for (i, si) in shares.iter().enumerate() {
        // λ_i = Π_{k≠i} x_k / (x_k − x_i); subtraction is XOR in characteristic 2.
        let mut lambda = 1u8;
        for (k, sk) in shares.iter().enumerate() {
            if k != i {
                lambda = gf_mul(lambda, gf_mul(sk.holder, gf_inv(sk.holder ^ si.holder)));
            }
        }
        for (o, &y) in seed.iter_mut().zip(si.y.iter()) {
            *o ^= gf_mul(lambda, y);
        }
    }
    Ok(seed)
}

/// A member's refusal policy for backup releases within one key epoch: at most n − t distinct owners.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReleaseBudget {
    limit: u32,
    released: u32,
}

impl ReleaseBudget {
    /// A fresh budget for a committee of `members` with threshold `threshold`.
    #[must_use]
    pub fn new(members: u32, threshold: u32) -> Self {
        Self {
            limit: members.saturating_sub(threshold),
            released: 0,
        }
    }

    /// Records the release of `owner`'s backup share; releasing the same owner again is free.
    ///
    /// # Errors
    /// [`ThresholdError::ReleaseBudget`] when a new owner would exceed n − t.
    pub fn release(&mut self, owner: u8) -> Result<(), ThresholdError> {
        let bit = 1u32 << (u32::from(owner) & 31);
        if self.released & bit != 0 {
            return Ok(());
        }
        let count = self.released.count_ones();
        if count >= self.limit {
            return Err(ThresholdError::ReleaseBudget {
                released: count,
                limit: self.limit,
            });
        }
        self.released |= bit;
        Ok(())
    }

    /// Owners released so far.
    #[must_use]
    pub fn released(&self) -> u32 {
        self.released.count_ones()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn slow_mul(a: u8, b: u8) -> u8 {
        let mut r: u16 = 0;
        for i in 0..8 {
            if (b >> i) & 1 == 1 {
                r ^= u16::from(a) << i;
            }
        }
        for i in (8..16).rev() {
            if (r >> i) & 1 == 1 {
                r ^= 0x11b << (i - 8);
            }
        }
        r as u8
    }

    #[test]
    fn field_matches_a_reference_and_inverts() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(gf_mul(a, b), slow_mul(a, b));
            }
            if a != 0 {
                assert_eq!(gf_mul(a, gf_inv(a)), 1);
            }
        }
        assert_eq!(gf_mul(0x57, 0x83), 0xc1); // FIPS-197 §4.2
    }

    fn shares(seed: [u8; 32], n: u32, t: u32, rng_seed: u64) -> [BackupShare; 8] {
        let mut out: [BackupShare; 8] =
            core::array::from_fn(|_| BackupShare::from_parts(0, 0, [0; 32]));
        let mut rng = ChaCha20Rng::seed_from_u64(rng_seed);
        split(&seed, 1, n, t, &mut rng, &mut out[..n as usize]).unwrap();
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_t_shares_reconstruct_and_fewer_do_not(
            seed in any::<[u8; 32]>(), t in 1u32..=8, extra in 0u32..=7, pick in any::<u64>(), r in any::<u64>(),
        ) {
            let n = (t + extra).clamp(2, 8);
            let all = shares(seed, n, t, r);
            // A pseudo-random subset of t holders.
            let mut idx: [usize; 8] = core::array::from_fn(|i| i);
            let mut p = pick;
            for i in (1..n as usize).rev() {
                idx.swap(i, (p % (i as u64 + 1)) as usize);
                p /= i as u64 + 1;
            }
            let chosen: heapless::Vec<&BackupShare, 8> = idx[..t as usize].iter().map(|&i| &all[i]).collect();
            prop_assert_eq!(interpolate(&chosen).unwrap(), seed);
            if t >= 2 {
                // t − 1 shares give an unrelated value (the constant term is hidden); with overwhelming
                // probability it differs from the seed.
                prop_assert_ne!(interpolate(&chosen[..t as usize - 1]).unwrap(), seed);
            }
        }
    }

    #[test]
    fn repeated_or_zero_holders_are_refused() {
        let all = shares([7; 32], 5, 3, 1);
        assert!(interpolate(&[&all[0], &all[0], &all[1]]).is_err());
        let zero = BackupShare::from_parts(1, 0, [0; 32]);
        assert!(interpolate(&[&zero, &all[1]]).is_err());
        let mut out: [BackupShare; 3] =
            core::array::from_fn(|_| BackupShare::from_parts(0, 0, [0; 32]));
        let mut rng = ChaCha20Rng::seed_from_u64(0);
        assert!(split(&[0; 32], 1, 3, 4, &mut rng, &mut out).is_err());
        assert!(split(&[0; 32], 4, 3, 2, &mut rng, &mut out).is_err());
        assert!(split(&[0; 32], 1, 4, 2, &mut rng, &mut out).is_err());
    }

    #[test]
    fn release_budget_caps_distinct_owners_at_n_minus_t() {
        let mut b = ReleaseBudget::new(5, 3);
        b.release(2).unwrap();
        b.release(2).unwrap();
        b.release(4).unwrap();
        assert_eq!(
            b.release(5),
            Err(ThresholdError::ReleaseBudget {
                released: 2,
                limit: 2
            })
        );
        b.release(4).unwrap();
        assert_eq!(b.released(), 2);
    }
}
