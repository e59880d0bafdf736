//! Public randomness of the protocol (docs/PROTOCOL.md §4): blocks of the public matrices A1, A2', B',
//! blocks of the JL matrix, the challenge c, and uniform ring elements from a transcript seed.
//! Everything here acts on public data, so rejection loops may take variable time.
// Division lint (lib.rs): every `/` and `%` here works on public values (sizes by the public degree D, and
// challenge digits of public transcript bytes).
#![allow(clippy::integer_division_remainder_used)]

use super::params::{CHALLENGE_COEFF_MAX, ETA};
use super::rq::{D, Rq};
use crate::arith::Modulus;
use crate::arith::cast::low_u8;
use shake::{ExtendableOutput, Shake128, Shake256, Shake256Reader, Update, XofReader};

/// Domain label of the common reference string (public matrices), per parameter set.
pub const CRS_LABEL: &[u8] = b"ZKFL-PQ/crs/v1";

/// Domain label of the threshold share proof's matrices (docs/THRESHOLD.md §6.2 item 1): other ranks than
/// the norm proof's, and no matrix is shared between the two proofs.
pub const SHARE_CRS_LABEL: &[u8] = b"ZKFL-PQ/threshold/share-crs/v1";

/// A CRS id (the first byte hashed with every matrix block) with this bit set belongs to the share proof
/// and is expanded under [`SHARE_CRS_LABEL`]; parameter-set ids are below it, so the norm proof's matrices
/// are unchanged.
pub const SHARE_CRS_BIT: u8 = 0x80;

/// The CRS label of a CRS id.
const fn crs_label(crs_id: u8) -> &'static [u8] {
    if crs_id & SHARE_CRS_BIT != 0 {
        SHARE_CRS_LABEL
    } else {
        CRS_LABEL
    }
}

/// Which public matrix a block belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Matrix {
    /// A1 (n × m1), multiplies s1.
    A1 = 1,
    /// A2' (n × (ℓ + k)), multiplies every coordinate of s2 after the first n.
    A2 = 2,
    /// B' (ℓ × k), the BDLOP rows.
    B = 3,
}

/// One uniform element of R from an XOF reader, coefficient by coefficient with rejection (public).
pub fn uniform_from_reader<M: Modulus>(rd: &mut impl XofReader) -> Rq<M> {
    let mut r = Rq::<M>::zero();
    let mask: u128 = if M::BITS >= 128 {
        u128::MAX
    } else {
        (1u128 << M::BITS) - 1
    };
    let mut buf = [0u8; 16];
    for x in &mut r.0 {
        loop {
            rd.read(&mut buf[..M::BYTES]);
            let v = u128::from_le_bytes(buf) & mask;
            // Public: only the discard decision of this candidate is revealed (its bytes are dropped, the
            // kept value is independent of it); matters for the secret garbage masks g_k (`uniform_ring`).
            if crate::ct::declassify_bool(v < M::Q) {
                *x = M::from_u128(v);
                break;
            }
        }
    }
    r
}

/// A matrix row or column, or a JL block, as the 4 little-endian bytes the derivations hash. The indices
/// are public and far below 2^32 (a few thousand at most).
fn index_bytes(i: usize) -> [u8; 4] {
    u32::try_from(i)
        .expect("a matrix or block index is below 2^32")
        .to_le_bytes()
}

/// Block (row, col) of a public matrix for parameter set (CRS id) `set_id`: SHAKE128(label ‖ set ‖ matrix ‖ row ‖ col).
#[must_use]
pub fn matrix_block<M: Modulus>(set_id: u8, m: Matrix, row: usize, col: usize) -> Rq<M> {
    let mut h = Shake128::default();
    h.update(crs_label(set_id));
    h.update(&[set_id, m as u8]);
    h.update(&index_bytes(row));
    h.update(&index_bytes(col));
    uniform_from_reader::<M>(&mut h.finalize_xof())
}

/// All rows of column `col` of a public matrix (one XOF per column: the streaming unit).
pub fn matrix_column<M: Modulus>(
    set_id: u8,
    m: Matrix,
    col: usize,
    rows: usize,
    out: &mut [Rq<M>],
) {
    let mut rd = matrix_column_reader(set_id, m, col);
    for o in out.iter_mut().take(rows) {
        *o = uniform_from_reader::<M>(&mut rd);
    }
}

/// The XOF of column `col` of a public matrix: [`uniform_from_reader`] on it gives rows 0, 1, … in order
/// (what [`matrix_column`] writes), for a caller that takes one entry at a time.
#[must_use]
pub fn matrix_column_reader(set_id: u8, m: Matrix, col: usize) -> impl XofReader {
    let mut h = Shake128::default();
    h.update(crs_label(set_id));
    h.update(&[set_id, m as u8]);
    h.update(&index_bytes(col));
    h.finalize_xof()
}

/// Row i of block b of the JL matrix, as JL_ROWS × 128 entries in {−1, 0, 1} with P(0) = ½, P(±1) = ¼
/// (two bits per entry: 01 → 1, 10 → −1, 00 and 11 → 0). `out[i][j]` multiplies coefficient j of s3 block b.
pub fn jl_block(seed: &[u8; 32], block: usize, out: &mut [[i8; D]; super::params::JL_ROWS]) {
    let mut rd = jl_reader(seed, block);
    for row in out.iter_mut() {
        jl_row(&mut rd, row);
    }
}

/// The next JL row (d entries) from a block's reader ([`jl_reader`]), as [`jl_block`] lays it out.
pub fn jl_row(rd: &mut impl XofReader, row: &mut [i8; D]) {
    let mut buf = [0u8; D / 4];
    rd.read(&mut buf);
    // One table lookup per byte gives its four entries (public data).
    for (quad, &byte) in row.chunks_exact_mut(4).zip(buf.iter()) {
        quad.copy_from_slice(&JL_QUADS[byte as usize]);
    }
}

/// The XOF reader of JL column block b (the stream [`jl_block`] reads: JL_ROWS rows of d/4 bytes).
#[must_use]
pub fn jl_reader(seed: &[u8; 32], block: usize) -> impl XofReader {
    let mut h = Shake128::default();
    h.update(b"ZKFL-PQ/jl/v1");
    h.update(seed);
    h.update(&index_bytes(block));
    h.finalize_xof()
}

/// Bytes of one JL column block's stream (JL_ROWS rows of d/4 bytes).
pub const JL_BLOCK_BYTES: usize = super::params::JL_ROWS * D / 4;

/// An XOF reader over bytes already squeezed (a JL block the prover kept from its projection pass), so
/// code that reads a block's stream runs unchanged on the copy. Reads past the end yield zeros (callers
/// size the slice to the stream they replay: [`JL_BLOCK_BYTES`]).
pub struct SliceXof<'a>(pub &'a [u8]);

impl XofReader for SliceXof<'_> {
    fn read(&mut self, buf: &mut [u8]) {
        let n = buf.len().min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        buf[..n].copy_from_slice(head);
        buf[n..].fill(0);
        self.0 = rest;
    }
}

/// The four JL entries encoded by one byte (entry j from bits 2j, 2j+1: 01 → 1, 10 → −1, else 0).
const JL_QUADS: [[i8; 4]; 256] = {
    let mut t = [[0i8; 4]; 256];
    let mut b = 0;
    while b < 256 {
        let mut j = 0;
        while j < 4 {
            let bits = (b >> (2 * j)) & 3;
            t[b][j] = [0, 1, -1, 0][bits];
            j += 1;
        }
        b += 1;
    }
    t
};

/// A SHAKE256 reader keyed by a seed and a domain label.
#[must_use]
pub fn xof256(label: &[u8], seed: &[u8; 32], idx: &[u64]) -> Shake256Reader {
    let mut h = Shake256::default();
    h.update(&(label.len() as u64).to_le_bytes());
    h.update(label);
    h.update(seed);
    for i in idx {
        h.update(&i.to_le_bytes());
    }
    h.finalize_xof()
}

/// Uniform residues mod q from a seed (μ vectors).
pub fn uniform_scalars<M: Modulus>(seed: &[u8; 32], idx: u64, out: &mut [M::Coeff]) {
    let mut rd = xof256(b"scalars", seed, &[idx]);
    let mask: u128 = if M::BITS >= 128 {
        u128::MAX
    } else {
        (1u128 << M::BITS) - 1
    };
    let mut buf = [0u8; 16];
    for x in out.iter_mut() {
        loop {
            rd.read(&mut buf[..M::BYTES]);
            let v = u128::from_le_bytes(buf) & mask;
            if v < M::Q {
                *x = M::from_u128(v);
                break;
            }
        }
    }
}

/// A uniform ring element from a seed (γ_k and the garbage masks g_k use this with different labels).
#[must_use]
pub fn uniform_ring<M: Modulus>(label: &[u8], seed: &[u8; 32], idx: u64) -> Rq<M> {
    uniform_from_reader::<M>(&mut xof256(label, seed, &[idx]))
}

/// η² of the challenge filter: accept c only if ‖σ(c)·c‖₁ ≤ η² (docs/PROTOCOL.md; η from `zk::params`).
pub const CHALLENGE_ETA_SQ: i64 = (ETA * ETA).cast_signed();
/// Values a free challenge coefficient takes: [−CHALLENGE_COEFF_MAX, CHALLENGE_COEFF_MAX].
const CHALLENGE_VALUES: u8 = low_u8((2 * CHALLENGE_COEFF_MAX + 1).cast_unsigned());
/// Bytes at or above this are skipped, so `byte % CHALLENGE_VALUES` is exactly uniform.
const CHALLENGE_BYTE_LIMIT: u8 = low_u8(256 / CHALLENGE_VALUES as u64 * CHALLENGE_VALUES as u64);
// Both are taken as their low byte: the value range fits one byte, and 256 is not a multiple of it (else the
// limit would be 256).
const _: () = assert!(
    CHALLENGE_COEFF_MAX > 0
        && 2 * CHALLENGE_COEFF_MAX + 1 < 256
        && 256 % (2 * CHALLENGE_COEFF_MAX + 1) != 0
);

/// The free coefficients c_0..c_{d/2−1}, each uniform in [−CHALLENGE_COEFF_MAX, CHALLENGE_COEFF_MAX], read from
/// `rd` by rejection on bytes, completed σ-invariantly (c_{d−i} = −c_i, c_{d/2} = 0).
pub fn challenge_candidate(rd: &mut impl XofReader) -> [i64; D] {
    let mut c = [0i64; D];
    let mut i = 0;
    while i < D / 2 {
        let mut b = [0u8; 1];
        rd.read(&mut b);
        if b[0] < CHALLENGE_BYTE_LIMIT {
            c[i] = i64::from(b[0] % CHALLENGE_VALUES) - CHALLENGE_COEFF_MAX;
            i += 1;
        }
    }
    for i in 1..D / 2 {
        c[D - i] = -c[i];
    }
    c
}

/// The challenge c ∈ C from a 32-byte seed: [`challenge_candidate`]s until ‖σ(c)c‖₁ ≤ η² (public,
/// variable time). Returns signed coefficients.
#[must_use]
pub fn challenge_from_seed(seed: &[u8; 32]) -> [i64; D] {
    let mut rd = xof256(b"challenge", seed, &[]);
    loop {
        let c = challenge_candidate(&mut rd);
        if sigma_c_c_l1(&c) <= CHALLENGE_ETA_SQ {
            return c;
        }
    }
}

/// ‖σ(c)·c‖₁ over the integers (negacyclic).
#[must_use]
pub fn sigma_c_c_l1(c: &[i64; D]) -> i64 {
    let mut sc = [0i64; D];
    sc[0] = c[0];
    for i in 1..D {
        sc[D - i] = -c[i];
    }
    let mut prod = [0i64; D];
    for i in 0..D {
        for j in 0..D {
            let v = sc[i] * c[j];
            if i + j < D {
                prod[i + j] += v;
            } else {
                prod[i + j - D] -= v;
            }
        }
    }
    prod.iter().map(|x| x.abs()).sum()
}

/// True iff c is σ-invariant with coefficients in [−CHALLENGE_COEFF_MAX, CHALLENGE_COEFF_MAX] and passes the
/// η filter.
#[must_use]
pub fn challenge_is_valid(c: &[i64; D]) -> bool {
    c.iter()
        .all(|&x| (-CHALLENGE_COEFF_MAX..=CHALLENGE_COEFF_MAX).contains(&x))
        && c[D / 2] == 0
        && (1..D).all(|i| c[D - i] == -c[i])
        && sigma_c_c_l1(c) <= CHALLENGE_ETA_SQ
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_are_valid_and_distinct() {
        let c1 = challenge_from_seed(&[1; 32]);
        let c2 = challenge_from_seed(&[2; 32]);
        assert!(challenge_is_valid(&c1));
        assert!(challenge_is_valid(&c2));
        assert_ne!(c1, c2);
        let mut bad = c1;
        bad[1] = CHALLENGE_COEFF_MAX + 1;
        bad[D - 1] = -CHALLENGE_COEFF_MAX - 1;
        assert!(!challenge_is_valid(&bad));
    }

    #[test]
    fn jl_block_has_expected_density() {
        let mut r = [[0i8; D]; super::super::params::JL_ROWS];
        jl_block(&[7; 32], 3, &mut r);
        let zeros = r.iter().flatten().filter(|&&x| x == 0).count();
        let ones = r.iter().flatten().filter(|&&x| x == 1).count();
        let total = super::super::params::JL_ROWS * D;
        assert!((zeros as f64 / total as f64 - 0.5).abs() < 0.02);
        assert!((ones as f64 / total as f64 - 0.25).abs() < 0.02);
    }
}
