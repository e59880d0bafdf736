//! Negacyclic number-theoretic transform over one auxiliary prime p < 2^30 (Z_p[X]/(X^N+1), N | 4096):
//! Cooley–Tukey forward and Gentleman–Sande inverse with bit-reversed twiddles ψ^brv(i), Shoup
//! multiplication by the fixed twiddles and Harvey's lazy reduction ("Faster arithmetic for
//! number-theoretic transforms", J. Symb. Comp. 2014): forward values stay in [0, 4p), inverse values in
//! [0, 2p), both < 2^32 because p < 2^30. Every step is branch-free (conditional subtractions by mask), so
//! the running time does not depend on the (possibly secret) data.
//!
//! The forward output is in bit-reversed order; pointwise products do not care, and the inverse takes
//! that order back.

use super::primes::{MAX_N, NttPrime, STORED_N, csub};

/// The lengths this NTT supports: powers of two from 2 to 4096.
const fn check_len(n: usize) -> u32 {
    assert!(n.is_power_of_two() && n >= 2 && n <= MAX_N);
    n.trailing_zeros()
}

/// Forward negacyclic NTT in place: a_i ∈ [0, 4p) in, evaluations at ψ^(2·brv(k)+1) in [0, p) out
/// (bit-reversed order).
pub fn forward<const N: usize>(a: &mut [u32; N], pr: &NttPrime) {
    const { check_len(N) };
    let p2 = 2 * pr.p;
    let mut t = N;
    let mut m = 1;
    while m < N >> 1 {
        t >>= 1;
        ct_layer(a, pr, m, t, |u, v| (u + v, u + p2 - v));
        m <<= 1;
    }
    // The last layer (t = 1) also reduces its outputs from [0, 4p) to [0, p): no separate pass.
    let reduce = |x: u32| pr.csub(csub(x, p2));
    ct_layer(a, pr, N >> 1, 1, |u, v| (reduce(u + v), reduce(u + p2 - v)));
}

/// One Cooley–Tukey layer: blocks m..2m of half-width t, x ∈ [0, 4p), y < 2^32 in; `out` maps
/// u = x mod⁺ 2p ∈ [0, 2p) and v = w·y mod⁺ 2p ∈ [0, 2p) to the new (x, y). Twiddles below [`STORED_N`]
/// come with Shoup companions; above, they are computed (one Montgomery product per block, which the
/// block's t butterflies share) and used in Montgomery form. `m` is public, so is the branch.
#[inline(always)]
fn ct_layer<const N: usize>(
    a: &mut [u32; N],
    pr: &NttPrime,
    m: usize,
    t: usize,
    out: impl Fn(u32, u32) -> (u32, u32),
) {
    let p2 = 2 * pr.p;
    let blocks = a.chunks_exact_mut(2 * t).enumerate();
    if m < STORED_N {
        for (i, blk) in blocks {
            let (w, ws) = (pr.fwd[m + i], pr.fwd_shoup[m + i]);
            let (lo, hi) = blk.split_at_mut(t);
            for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                (*x, *y) = out(csub(*x, p2), pr.shoup_mul_lazy(*y, w, ws));
            }
        }
    } else {
        for (i, blk) in blocks {
            let w = pr.fwd_mont(m + i);
            let (lo, hi) = blk.split_at_mut(t);
            for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                (*x, *y) = out(csub(*x, p2), pr.mont_mul_lazy(*y, w));
            }
        }
    }
}

/// Inverse of [`forward`]: values in [0, 2p) (bit-reversed order) in, coefficients in [0, p) out,
/// including the 1/N scaling.
pub fn inverse<const N: usize>(a: &mut [u32; N], pr: &NttPrime) {
    let l = const { check_len(N) } as usize;
    inverse_scaled(a, pr, pr.scale_plain[l], pr.scale_plain_shoup[l]);
}

/// Inverse NTT that also divides by the Montgomery factor R = 2^32: the inverse of a forward transform
/// whose values were kept in Montgomery form (x·R mod p), as `ring::NttPoly` does so that a pointwise
/// product is one Montgomery multiplication.
pub fn inverse_from_montgomery<const N: usize>(a: &mut [u32; N], pr: &NttPrime) {
    let l = const { check_len(N) } as usize;
    inverse_scaled(a, pr, pr.scale_mont[l], pr.scale_mont_shoup[l]);
}

/// Gentleman–Sande butterflies with twiddles ψ^(−brv); the last layer also multiplies by `scale`
/// (its twiddle premultiplied by the scale), which saves a separate pass over the coefficients.
fn inverse_scaled<const N: usize>(a: &mut [u32; N], pr: &NttPrime, scale: u32, scale_shoup: u32) {
    let p2 = 2 * pr.p;
    let mut t = 1;
    let mut m = N;
    while m > 2 {
        let h = m >> 1;
        let blocks = a.chunks_exact_mut(2 * t).enumerate();
        // Twiddles as in `ct_layer`: stored with Shoup companions below STORED_N, computed above.
        if h < STORED_N {
            for (i, blk) in blocks {
                let (w, ws) = (pr.inv[h + i], pr.inv_shoup[h + i]);
                gs_butterflies(blk, t, p2, |d| pr.shoup_mul_lazy(d, w, ws));
            }
        } else {
            for (i, blk) in blocks {
                let w = pr.inv_mont(h + i);
                gs_butterflies(blk, t, p2, |d| pr.mont_mul_lazy(d, w));
            }
        }
        t <<= 1;
        m = h;
    }
    // Last layer (one block of N/2 butterflies, twiddle ψ^(−brv(1))), fused with the scaling.
    let ws_val = pr.mont_mul(pr.mont_mul(pr.inv[1], scale), pr.r_pows[0]); // inv[1]·scale mod p
    let ws_shoup = super::primes::shoup(ws_val, pr.p);
    let (lo, hi) = a.split_at_mut(N >> 1);
    for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
        let (u, v) = (*x, *y);
        *x = pr.csub(pr.shoup_mul_lazy(u + v, scale, scale_shoup));
        *y = pr.csub(pr.shoup_mul_lazy(u + p2 - v, ws_val, ws_shoup));
    }
}

/// Gentleman–Sande butterflies of one block (half-width t, values in [0, 2p)): x ← (x + y) mod⁺ 2p,
/// y ← w·(x − y + 2p) by `mul` (lazy, [0, 2p)).
#[inline(always)]
fn gs_butterflies(blk: &mut [u32], t: usize, p2: u32, mul: impl Fn(u32) -> u32) {
    let (lo, hi) = blk.split_at_mut(t);
    for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
        let (u, v) = (*x, *y);
        *x = csub(u + v, p2);
        *y = mul(u + p2 - v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::primes::NTT_PRIMES;
    use proptest::prelude::*;

    /// Schoolbook negacyclic product mod p (reference).
    #[allow(clippy::needless_range_loop)]
    fn schoolbook<const N: usize>(a: &[u32; N], b: &[u32; N], p: u32) -> [u32; N] {
        let p = u64::from(p);
        let mut c = [0u64; N];
        for i in 0..N {
            for j in 0..N {
                let prod = u64::from(a[i]) * u64::from(b[j]) % p;
                let k = (i + j) % N;
                if i + j < N {
                    c[k] = (c[k] + prod) % p;
                } else {
                    c[k] = (c[k] + p - prod) % p;
                }
            }
        }
        c.map(|x| x as u32)
    }

    fn ntt_mul<const N: usize>(a: &[u32; N], b: &[u32; N], pr: &NttPrime) -> [u32; N] {
        let (mut fa, mut fb) = (*a, *b);
        forward(&mut fa, pr);
        forward(&mut fb, pr);
        let mut c = [0u32; N];
        for k in 0..N {
            c[k] = (u64::from(fa[k]) * u64::from(fb[k]) % u64::from(pr.p)) as u32;
        }
        inverse(&mut c, pr);
        c
    }

    fn arr<const N: usize>(v: &[u32], p: u32) -> [u32; N] {
        core::array::from_fn(|i| v[i] % p)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn ntt_mul_matches_schoolbook_128(a in prop::collection::vec(any::<u32>(), 128),
                                          b in prop::collection::vec(any::<u32>(), 128),
                                          k in 0usize..10) {
            let pr = &NTT_PRIMES[k];
            let (a, b) = (arr::<128>(&a, pr.p), arr::<128>(&b, pr.p));
            prop_assert_eq!(ntt_mul(&a, &b, pr), schoolbook(&a, &b, pr.p));
        }

        /// Lengths whose upper layers use computed twiddles (N > STORED_N), every prime.
        #[test]
        fn ntt_mul_matches_schoolbook_256_and_1024(a in prop::collection::vec(any::<u32>(), 1024),
                                                   b in prop::collection::vec(any::<u32>(), 1024),
                                                   k in 0usize..10) {
            let pr = &NTT_PRIMES[k];
            let (a2, b2) = (arr::<256>(&a, pr.p), arr::<256>(&b, pr.p));
            prop_assert_eq!(ntt_mul(&a2, &b2, pr), schoolbook(&a2, &b2, pr.p));
            let (a, b) = (arr::<1024>(&a, pr.p), arr::<1024>(&b, pr.p));
            prop_assert_eq!(ntt_mul(&a, &b, pr), schoolbook(&a, &b, pr.p));
        }

        #[test]
        fn ntt_round_trip_4096(a in prop::collection::vec(any::<u32>(), 4096), k in 0usize..10) {
            let pr = &NTT_PRIMES[k];
            let a = arr::<4096>(&a, pr.p);
            let mut f = a;
            forward(&mut f, pr);
            prop_assert!(f.iter().all(|&x| x < pr.p));
            inverse(&mut f, pr);
            prop_assert_eq!(f, a);
        }
    }

    #[test]
    fn ntt_mul_matches_schoolbook_2048_edges() {
        let pr = &NTT_PRIMES[3];
        // All p−1 times all p−1: the largest values every butterfly can see.
        let a = [pr.p - 1; 2048];
        let b: [u32; 2048] = core::array::from_fn(|i| if i % 3 == 0 { pr.p - 1 } else { i as u32 });
        assert_eq!(ntt_mul(&a, &b, pr), schoolbook(&a, &b, pr.p));
    }

    #[test]
    fn forward_accepts_lazy_inputs_below_4p() {
        let pr = &NTT_PRIMES[0];
        let a: [u32; 256] = core::array::from_fn(|i| 4 * pr.p - 1 - i as u32);
        let reduced = a.map(|x| x % pr.p);
        let (mut fa, mut fr) = (a, reduced);
        forward(&mut fa, pr);
        forward(&mut fr, pr);
        assert_eq!(fa, fr);
    }

    #[test]
    fn montgomery_inverse_divides_by_r() {
        let pr = &NTT_PRIMES[1];
        let a: [u32; 128] = core::array::from_fn(|i| (i as u32 * 7919) % pr.p);
        let r = (1u64 << 32) % u64::from(pr.p);
        let mut f: [u32; 128] = a.map(|x| (u64::from(x) * r % u64::from(pr.p)) as u32);
        forward(&mut f, pr);
        inverse_from_montgomery(&mut f, pr);
        assert_eq!(f, a);
    }
}
