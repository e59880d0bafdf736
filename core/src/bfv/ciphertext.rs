//! Homomorphic addition of multi-message ciphertexts (c1, c0_1..c0_L) held in caller buffers
//! (docs/BFV.md §6): componentwise addition mod q adds the plaintexts mod t.

use super::error::BfvError;
use crate::arith::Modulus;
use crate::ring::Poly;

/// acc += ct, componentwise. Err if the chunk counts differ (nothing is modified then).
pub fn add_assign<M: Modulus, const N: usize>(
    acc_c1: &mut Poly<M, N>,
    acc_c0: &mut [Poly<M, N>],
    c1: &Poly<M, N>,
    c0: &[Poly<M, N>],
) -> Result<(), BfvError> {
    if acc_c0.len() != c0.len() {
        return Err(BfvError::ChunkCountMismatch {
            expected: acc_c0.len(),
            got: c0.len(),
        });
    }
    acc_c1.add_assign(c1);
    for (a, b) in acc_c0.iter_mut().zip(c0.iter()) {
        a.add_assign(b);
    }
    Ok(())
}
