//! The Johnson–Lindenstrauss challenge matrix R ∈ {−1, 0, 1}^(256 × n), P(0) = 1/2, P(±1) = 1/4
//! (ZK-BRIEF §3 step 2; LNP22 §4.3 and the modular JL lemma of Gentry–Halevi–Lyubashevsky, EUROCRYPT
//! 2022), generated one column block at a time so neither prover nor verifier ever holds R.
//!
//! **Expansion.** Column block b (columns 128b .. 128b + 127, all 256 rows) is the stream
//! `Xof::new(seed, JL_LABEL, b)` (SHAKE128, see [`crate::ring::sample::Xof`]) read as 256 rows of 32
//! bytes: a 128-bit "plus" mask P then a 128-bit "minus" mask N, little-endian, bit j for column
//! 128b + j. The entry is P_j − N_j: two independent uniform bits give −1, 0, 0, 1, i.e. exactly the law
//! above. Blocks use disjoint XOF streams, so any block can be produced alone, in any order.
//!
//! **Costs.** 8 KiB of SHAKE128 output per block (2 bits per entry). Applying a block walks the set
//! bits of the public masks (≈ 16k additions per block instead of 32k multiply-adds); control flow and
//! addresses depend on R only, so the prover's secret s never influences them.
//!
//! API summary:
//! - [`JlBlock::expand`]`(seed, block)` / [`JlBlock::expand_into`] — one 256 × 128 block (8 KiB).
//! - [`JlBlock::entry`]`(row, col) -> i8`.
//! - [`JlBlock::project_accumulate`]`(&[i64; 128], &mut [i64; 256])` — acc += R_b · s_b (prover, R·s
//!   chunk by chunk; wrapping i64 arithmetic, exact while |acc| < 2^63).
//! - [`JlBlock::transpose_accumulate`]`::<M>(&[M::Coeff; 256], &mut [M::Coeff; 128])` — out += R_bᵀ μ mod q
//!   (verifier and prover, batching ρ = Rᵀμ block by block); [`JlBlock::transpose_accumulate_i64`] over Z.
//! - Free functions [`jl_project_accumulate`] and [`jl_transpose_accumulate`] expand and apply in one call.

use crate::arith::Modulus;
use crate::ring::sample::{SEED_BYTES, Xof};

/// Rows of R (the projection dimension).
pub const JL_ROWS: usize = 256;
/// Columns per block.
pub const JL_BLOCK: usize = 128;
/// Domain-separation label of the JL stream (the XOF prefix itself is `ring::sample`'s).
pub const JL_LABEL: &[u8] = b"ZKFL-PQ/jl/v1";

/// One 256 × 128 column block of R as (plus, minus) bit masks per row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JlBlock {
    rows: [(u128, u128); JL_ROWS],
}

impl Default for JlBlock {
    fn default() -> Self {
        Self {
            rows: [(0, 0); JL_ROWS],
        }
    }
}

impl JlBlock {
    /// Expands block `block` of the matrix defined by `seed`.
    #[must_use]
    pub fn expand(seed: &[u8; SEED_BYTES], block: u64) -> Self {
        let mut b = Self::default();
        b.expand_into(seed, block);
        b
    }

    /// Expands block `block` in place (no 8 KiB temporary on small stacks).
    pub fn expand_into(&mut self, seed: &[u8; SEED_BYTES], block: u64) {
        let mut xof = Xof::new(seed, JL_LABEL, block);
        let mut buf = [0u8; 32];
        for row in self.rows.iter_mut() {
            xof.read(&mut buf);
            let mut p = [0u8; 16];
            let mut n = [0u8; 16];
            p.copy_from_slice(&buf[..16]);
            n.copy_from_slice(&buf[16..]);
            *row = (u128::from_le_bytes(p), u128::from_le_bytes(n));
        }
    }

    /// The entry R[row][128·block + col] ∈ {−1, 0, 1}; `None` if out of range.
    #[must_use]
    pub fn entry(&self, row: usize, col: usize) -> Option<i8> {
        let &(p, n) = self.rows.get(row)?;
        if col >= JL_BLOCK {
            return None;
        }
        Some(((p >> col) & 1) as i8 - ((n >> col) & 1) as i8)
    }

    /// `acc[i] += Σ_j R[i][j]·s[j]` over this block. Walks the set bits of the public masks, so control
    /// flow and addresses depend on R only, never on the secret s.
    pub fn project_accumulate(&self, s: &[i64; JL_BLOCK], acc: &mut [i64; JL_ROWS]) {
        for (&(p, n), a) in self.rows.iter().zip(acc.iter_mut()) {
            let plus = sum_selected(s, p);
            let minus = sum_selected(s, n);
            *a = a.wrapping_add(plus.wrapping_sub(minus));
        }
    }

    /// `out[j] += Σ_i R[i][j]·mu[i]` over the integers (wrapping i64).
    pub fn transpose_accumulate_i64(&self, mu: &[i64; JL_ROWS], out: &mut [i64; JL_BLOCK]) {
        for (&(p, n), &m) in self.rows.iter().zip(mu.iter()) {
            for_each_bit(p, |j| out[j] = out[j].wrapping_add(m));
            for_each_bit(n, |j| out[j] = out[j].wrapping_sub(m));
        }
    }

    /// `out[j] += Σ_i R[i][j]·mu[i]` mod q. Column sums are exact (|Σ| ≤ 256·q): in i64 when
    /// 256·q < 2^62, in i128 otherwise; each column is reduced once.
    pub fn transpose_accumulate<M: Modulus>(
        &self,
        mu: &[M::Coeff; JL_ROWS],
        out: &mut [M::Coeff; JL_BLOCK],
    ) {
        let offset = (JL_ROWS as i128) * (M::Q as i128);
        if M::BITS <= 53 {
            let mut acc = [0i64; JL_BLOCK];
            let mu64: [i64; JL_ROWS] = core::array::from_fn(|i| M::to_u128(mu[i]) as i64);
            self.transpose_accumulate_i64(&mu64, &mut acc);
            for (o, &a) in out.iter_mut().zip(acc.iter()) {
                *o = M::add(*o, M::from_u128((i128::from(a) + offset) as u128));
            }
        } else {
            let mut acc = [0i128; JL_BLOCK];
            for (&(p, n), &m) in self.rows.iter().zip(mu.iter()) {
                let m = M::to_u128(m) as i128;
                for_each_bit(p, |j| acc[j] += m);
                for_each_bit(n, |j| acc[j] -= m);
            }
            for (o, &a) in out.iter_mut().zip(acc.iter()) {
                *o = M::add(*o, M::from_u128((a + offset) as u128));
            }
        }
    }
}

/// Σ_{j ∈ mask} s[j], walking the set bits of the public mask in two 64-bit halves.
fn sum_selected(s: &[i64; JL_BLOCK], mask: u128) -> i64 {
    let mut sum = 0i64;
    for_each_bit(mask, |j| sum = sum.wrapping_add(s[j]));
    sum
}

/// Calls f(j) for every set bit j of a public 128-bit mask, in increasing order.
#[inline(always)]
fn for_each_bit(mask: u128, mut f: impl FnMut(usize)) {
    let mut lo = mask as u64;
    while lo != 0 {
        f((lo.trailing_zeros() & 63) as usize);
        lo &= lo - 1;
    }
    let mut hi = (mask >> 64) as u64;
    while hi != 0 {
        f(64 + (hi.trailing_zeros() & 63) as usize);
        hi &= hi - 1;
    }
}

/// acc += R_block · s for the block `block` of the matrix defined by `seed`.
pub fn jl_project_accumulate(
    seed: &[u8; SEED_BYTES],
    block: u64,
    s: &[i64; JL_BLOCK],
    acc: &mut [i64; JL_ROWS],
) {
    JlBlock::expand(seed, block).project_accumulate(s, acc);
}

/// out += R_blockᵀ · mu mod q for the block `block` of the matrix defined by `seed`.
pub fn jl_transpose_accumulate<M: Modulus>(
    seed: &[u8; SEED_BYTES],
    block: u64,
    mu: &[M::Coeff; JL_ROWS],
    out: &mut [M::Coeff; JL_BLOCK],
) {
    JlBlock::expand(seed, block).transpose_accumulate::<M>(mu, out);
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::arith::modulus::{Q44, Q86};
    use rand_chacha::ChaCha20Rng;
    use rand_core::{Rng, SeedableRng};

    const SEED: [u8; 32] = [7; 32];

    #[test]
    fn entries_have_the_jl_distribution() {
        let mut counts = [0u64; 3];
        for b in 0..4 {
            let blk = JlBlock::expand(&SEED, b);
            for i in 0..JL_ROWS {
                for j in 0..JL_BLOCK {
                    counts[(blk.entry(i, j).unwrap() + 1) as usize] += 1;
                }
            }
        }
        let n = (4 * JL_ROWS * JL_BLOCK) as f64;
        let expect = [n / 4.0, n / 2.0, n / 4.0];
        let chi2: f64 = counts
            .iter()
            .zip(expect)
            .map(|(&c, e)| (c as f64 - e).powi(2) / e)
            .sum();
        assert!(
            chi2 < 18.4,
            "χ² = {chi2} (2 dof, p ≈ 1e-4), counts {counts:?}"
        );
        assert_eq!(JlBlock::expand(&SEED, 0).entry(256, 0), None);
        assert_eq!(JlBlock::expand(&SEED, 0).entry(0, 128), None);
    }

    #[test]
    fn blocks_are_deterministic_and_distinct() {
        assert_eq!(JlBlock::expand(&SEED, 3), JlBlock::expand(&SEED, 3));
        assert_ne!(JlBlock::expand(&SEED, 3), JlBlock::expand(&SEED, 4));
        assert_ne!(JlBlock::expand(&SEED, 3), JlBlock::expand(&[8; 32], 3));
        // Expanding in place over a used block gives the same result as a fresh expansion.
        let mut b = JlBlock::expand(&SEED, 9);
        b.expand_into(&SEED, 3);
        assert_eq!(b, JlBlock::expand(&SEED, 3));
    }

    #[test]
    fn projection_matches_entries() {
        let blk = JlBlock::expand(&SEED, 5);
        let mut rng = ChaCha20Rng::from_seed([1; 32]);
        let mut s = [0i64; JL_BLOCK];
        for x in &mut s {
            *x = (rng.next_u32() % 2_000_001) as i64 - 1_000_000;
        }
        let mut acc = [0i64; JL_ROWS];
        blk.project_accumulate(&s, &mut acc);
        for (i, &a) in acc.iter().enumerate() {
            let want: i64 = (0..JL_BLOCK)
                .map(|j| i64::from(blk.entry(i, j).unwrap()) * s[j])
                .sum();
            assert_eq!(a, want);
        }
    }

    #[test]
    fn adjoint_identity_over_several_blocks() {
        // ⟨R s, μ⟩ = ⟨s, Rᵀ μ⟩ with R made of 3 blocks, over Z and mod q.
        let mut rng = ChaCha20Rng::from_seed([2; 32]);
        let mut s = [[0i64; JL_BLOCK]; 3];
        for x in s.iter_mut().flatten() {
            *x = (rng.next_u32() % 4001) as i64 - 2000;
        }
        let mut mu = [0i64; JL_ROWS];
        for x in &mut mu {
            *x = (rng.next_u32() % 2001) as i64 - 1000;
        }
        let mut rs = [0i64; JL_ROWS];
        let mut rt = [[0i64; JL_BLOCK]; 3];
        for (b, (sb, tb)) in s.iter().zip(rt.iter_mut()).enumerate() {
            jl_project_accumulate(&SEED, b as u64, sb, &mut rs);
            JlBlock::expand(&SEED, b as u64).transpose_accumulate_i64(&mu, tb);
        }
        let lhs: i64 = rs.iter().zip(&mu).map(|(a, b)| a * b).sum();
        let rhs: i64 = s
            .iter()
            .flatten()
            .zip(rt.iter().flatten())
            .map(|(a, b)| a * b)
            .sum();
        assert_eq!(lhs, rhs);
        // mod q: the Z_q transpose equals the integer transpose reduced.
        let mu_q = mu.map(Q44::from_i64);
        for (b, tb) in rt.iter().enumerate() {
            let mut out = [Q44::from_i64(5); JL_BLOCK];
            jl_transpose_accumulate::<Q44>(&SEED, b as u64, &mu_q, &mut out);
            for (o, &t) in out.iter().zip(tb) {
                assert_eq!(*o, Q44::from_i64(t + 5));
            }
        }
    }

    #[test]
    fn transpose_mod_q_handles_full_range() {
        // μ_i = q − 1 everywhere (−1 mod q): the result is −(column sum) mod q.
        let blk = JlBlock::expand(&SEED, 11);
        let mu = [Q44::from_i64(-1); JL_ROWS];
        let mut out = [Q44::zero(); JL_BLOCK];
        blk.transpose_accumulate::<Q44>(&mu, &mut out);
        for (j, &o) in out.iter().enumerate() {
            let col: i64 = (0..JL_ROWS)
                .map(|i| i64::from(blk.entry(i, j).unwrap()))
                .sum();
            assert_eq!(o, Q44::from_i64(-col));
        }
        // The i128 path (86-bit q): μ_i = q − 1 − i, compared with an exact integer column sum.
        let mu86: [u128; JL_ROWS] = core::array::from_fn(|i| Q86::Q - 1 - i as u128);
        let mut out86 = [Q86::zero(); JL_BLOCK];
        blk.transpose_accumulate::<Q86>(&mu86, &mut out86);
        for (j, &o) in out86.iter().enumerate() {
            let col: i128 = (0..JL_ROWS)
                .map(|i| i128::from(blk.entry(i, j).unwrap()) * (-1 - i as i128))
                .sum();
            assert_eq!(o, Q86::from_u128((col + Q86::Q as i128 * 256) as u128));
        }
    }
}
