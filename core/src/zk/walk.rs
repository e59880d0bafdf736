//! Small helpers shared by prover and verifier: transcript absorption of ring vectors and conversions.

use super::params::{D, M2_MAX};
use super::rq::Rq;
use super::transcript::Transcript;
use crate::arith::Modulus;

/// Absorbs ring elements one framed message each under the same label (prover and verifier alike).
pub fn absorb_ring_vec<M: Modulus>(tr: &mut Transcript, label: &[u8], v: &[Rq<M>]) {
    for r in v {
        tr.absorb_coeffs::<M>(label, &r.0);
    }
}

/// Signed blocks → residues (s2, y2).
#[must_use]
pub fn s2_ring<M: Modulus>(s: &[[i64; D]; M2_MAX]) -> [Rq<M>; M2_MAX] {
    core::array::from_fn(|t| Rq::from_i64(&s[t]))
}
