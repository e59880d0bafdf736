//! Collective key generation without a dealer (docs/THRESHOLD.md §2): member i draws its own key seed, exactly
//! a single-decryptor `bfv::SecretKey`, and publishes its key share b_{i,j} = −(a·s_{i,j} + e'_{i,j}) for every
//! chunk j; the aggregator adds them: b_j = Σ_i b_{i,j} = −(a·s_j + e'_j) with s_j = Σ_i s_{i,j}. Clinics
//! encrypt under (a, b_j) unchanged. An absent member's seed is recovered from t backup shares and accepted only
//! if it regenerates the published b_{i,j}.

use super::backup::{BackupShare, interpolate};
use super::error::ThresholdError;
use crate::bfv::SecretKey;
use crate::bfv::keys::check_params;
use crate::params::ParamSet;
use crate::ring::{NttPoly, Poly};
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// b_j = Σ_i b_{i,j}: adds member key share `share` (chunk j of one member) into the committee key `acc`.
pub fn add_key_share<P: ParamSet, const N: usize>(acc: &mut Poly<P::M, N>, share: &Poly<P::M, N>) {
    acc.add_assign(share);
}

/// Whether `key` regenerates every published chunk `published[j]` = b_{i,j} (a public check: the published
/// share is public, and a recovered seed is public to the combiner).
pub fn regenerates<P: ParamSet, const N: usize, const K: usize>(
    key: &SecretKey<P, N>,
    a_ntt: &NttPoly<N, K>,
    published: &[Poly<P::M, N>],
) -> bool {
    const { check_params::<P, N, K>() };
    let mut b = Poly::<P::M, N>::zero();
    published.iter().enumerate().all(|(j, pj)| {
        key.public_key_chunk(a_ntt, j, &mut b);
        bool::from(b.ct_eq(pj))
    })
}

/// Recovers absent member `owner`'s key from the backup shares the present members released: tries every
/// subset of `threshold` distinct holders (n ≤ 32 and t small: at most C(n−1, t) subsets, 6 for 3-of-5) until
/// one regenerates `published` (b_{owner,j} for all chunks), so up to |shares| − t wrong shares are survived.
///
/// # Errors
/// [`ThresholdError::NotEnoughBackups`] with fewer than t distinct holders, [`ThresholdError::BackupMismatch`]
/// if no subset matches.
pub fn recover_member<P: ParamSet, const N: usize, const K: usize>(
    owner: u8,
    threshold: u32,
    shares: &[BackupShare],
    a_ntt: &NttPoly<N, K>,
    published: &[Poly<P::M, N>],
) -> Result<SecretKey<P, N>, ThresholdError> {
    let mut mine: heapless::Vec<&BackupShare, 32> = heapless::Vec::new();
    let mut holders = 0u64;
    for s in shares
        .iter()
        .filter(|s| s.owner == owner && s.holder != 0 && s.holder < 64)
    {
        let bit = 1u64 << s.holder;
        if holders & bit == 0 && mine.push(s).is_ok() {
            holders |= bit;
        }
    }
    let have = mine.len() as u32;
    if threshold == 0 || have < threshold {
        return Err(ThresholdError::NotEnoughBackups {
            member: owner,
            have,
            need: threshold,
        });
    }
    // Enumerate the t-subsets of `mine` as bit masks in increasing order (Gosper's hack).
    let end = 1u64 << mine.len();
    let mut mask = (1u64 << threshold) - 1;
    while mask < end {
        let mut subset: heapless::Vec<&BackupShare, 32> = heapless::Vec::new();
        for (i, s) in mine.iter().enumerate() {
            if (mask >> i) & 1 == 1 {
                let _ = subset.push(*s);
            }
        }
        let mut seed = interpolate(&subset)?;
        let key = SecretKey::<P, N>::from_seed(seed);
        seed.zeroize();
        if regenerates::<P, N, K>(&key, a_ntt, published) {
            return Ok(key);
        }
        let low = mask & mask.wrapping_neg();
        let ripple = mask + low;
        mask = (((ripple ^ mask) >> 2) / low) | ripple;
    }
    Err(ThresholdError::BackupMismatch { member: owner })
}
