//! Canonical encoding of one polynomial: N coefficients, each the canonical residue in [0, q) as
//! `M::BYTES` little-endian bytes (6 for q44, 11 for q86). Decoding rejects non-canonical values (≥ q),
//! so every polynomial has exactly one encoding.

use super::error::DecodeError;
use crate::arith::Modulus;
use crate::ring::Poly;

/// Encoded size of a polynomial of degree N: N·M::BYTES.
#[must_use]
pub const fn poly_bytes<M: Modulus>(n: usize) -> usize {
    n * M::BYTES
}

/// Writes `p` into `out` (exactly `poly_bytes::<M>(N)` bytes; the caller slices).
pub fn encode_poly<M: Modulus, const N: usize>(p: &Poly<M, N>, out: &mut [u8]) {
    for (c, o) in p.coeffs.iter().zip(out.chunks_exact_mut(M::BYTES)) {
        o.copy_from_slice(&M::to_u128(*c).to_le_bytes()[..M::BYTES]);
    }
}

/// Reads a polynomial from exactly `poly_bytes::<M>(N)` bytes. `first_index` numbers the coefficients
/// in error reports (position of this polynomial's first coefficient in the enclosing object).
pub fn decode_poly<M: Modulus, const N: usize>(
    bytes: &[u8],
    first_index: usize,
    out: &mut Poly<M, N>,
) -> Result<(), DecodeError> {
    let expected = poly_bytes::<M>(N);
    if bytes.len() != expected {
        return Err(DecodeError::WrongLength {
            expected,
            got: bytes.len(),
        });
    }
    for (i, (c, b)) in out
        .coeffs
        .iter_mut()
        .zip(bytes.chunks_exact(M::BYTES))
        .enumerate()
    {
        let mut w = [0u8; 16];
        w[..M::BYTES].copy_from_slice(b);
        let v = u128::from_le_bytes(w);
        if v >= M::Q {
            return Err(DecodeError::CoefficientOutOfRange {
                index: first_index + i,
            });
        }
        *c = M::from_u128(v);
    }
    Ok(())
}
