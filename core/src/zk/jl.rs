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
//! **Costs.** 8 KiB of SHAKE128 output per block (2 bits per entry). Applying a block is branch-free
//! (masks select ±s_j), so the prover's secret s never influences control flow or memory addresses.
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

    /// acc[i] += Σ_j R[i][j]·s[j] over this block (branch-free in s).
    pub fn project_accumulate(&self, s: &[i64; JL_BLOCK], acc: &mut [i64; JL_ROWS]) {
        for (&(p, n), a) in self.rows.iter().zip(acc.iter_mut()) {
            let mut sum = 0i64;
            for (j, &sj) in s.iter().enumerate() {
                let pm = 0i64.wrapping_sub(((p >> j) & 1) as i64);
                let nm = 0i64.wrapping_sub(((n >> j) & 1) as i64);
                sum = sum.wrapping_add(sj & pm).wrapping_sub(sj & nm);
            }
            *a = a.wrapping_add(sum);
        }
    }

    /// out[j] += Σ_i R[i][j]·mu[i] over the integers (wrapping i64).
    pub fn transpose_accumulate_i64(&self, mu: &[i64; JL_ROWS], out: &mut [i64; JL_BLOCK]) {
        for (&(p, n), &m) in self.rows.iter().zip(mu.iter()) {
            for (j, o) in out.iter_mut().enumerate() {
                let pm = 0i64.wrapping_sub(((p >> j) & 1) as i64);
                let nm = 0i64.wrapping_sub(((n >> j) & 1) as i64);
                *o = o.wrapping_add(m & pm).wrapping_sub(m & nm);
            }
        }
    }

    /// out[j] += Σ_i R[i][j]·mu[i] mod q. Sums are formed exactly in i128 (|Σ| < 256·q < 2^95) and
    /// reduced once per column.
    pub fn transpose_accumulate<M: Modulus>(
        &self,
        mu: &[M::Coeff; JL_ROWS],
        out: &mut [M::Coeff; JL_BLOCK],
    ) {
        let mut acc = [0i128; JL_BLOCK];
        for (&(p, n), &m) in self.rows.iter().zip(mu.iter()) {
            let m = M::to_u128(m) as i128;
            for (j, a) in acc.iter_mut().enumerate() {
                let pm = 0i128.wrapping_sub(((p >> j) & 1) as i128);
                let nm = 0i128.wrapping_sub(((n >> j) & 1) as i128);
                *a += (m & pm) - (m & nm);
            }
        }
        // Shift into [0, 512·q) so the value is non-negative, then reduce.
        let offset = (JL_ROWS as i128) * (M::Q as i128);
        for (o, &a) in out.iter_mut().zip(acc.iter()) {
            *o = M::add(*o, M::from_u128((a + offset) as u128));
        }
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
    use crate::arith::modulus::Q44;
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
    }
}
