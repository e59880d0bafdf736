//! The scalar interface to Z_q. Every function is constant time: no branch, division or table lookup that
//! depends on the operand values.

use core::fmt::Debug;
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

/// A prime modulus q = 2^BITS − C with q ≡ 5 (mod 8), so X^d + 1 splits into exactly two irreducible
/// factors mod q for every power-of-two d ≥ 4 and short challenge differences are invertible
/// (Lyubashevsky–Seiler, EUROCRYPT 2018). Implemented by `Q44` (set S) and `Q86` (set L).
pub trait Modulus: Copy + Default + Debug + Send + Sync + 'static {
    /// Storage of one residue in [0, q): `u64` when q < 2^63, `u128` otherwise.
    type Coeff: Copy
        + Default
        + Debug
        + PartialEq
        + Eq
        + Send
        + Sync
        + Zeroize
        + ConditionallySelectable
        + ConstantTimeEq
        + 'static;
    /// q as a 128-bit integer.
    const Q: u128;
    /// k with q = 2^k − C.
    const BITS: u32;
    /// C with q = 2^k − C (small, so reduction folds the high part times C).
    const C: u128;
    /// Bytes of one canonical little-endian coefficient on the wire: ceil(BITS / 8).
    const BYTES: usize;

    /// 0 mod q.
    fn zero() -> Self::Coeff;
    /// a + b mod q.
    fn add(a: Self::Coeff, b: Self::Coeff) -> Self::Coeff;
    /// a − b mod q.
    fn sub(a: Self::Coeff, b: Self::Coeff) -> Self::Coeff;
    /// −a mod q.
    fn neg(a: Self::Coeff) -> Self::Coeff;
    /// a · b mod q.
    fn mul(a: Self::Coeff, b: Self::Coeff) -> Self::Coeff;
    /// The residue of a signed integer (any i64).
    fn from_i64(x: i64) -> Self::Coeff;
    /// The residue of an unsigned 128-bit integer (any u128), reduced in constant time.
    fn from_u128(x: u128) -> Self::Coeff;
    /// The canonical representative in [0, q).
    fn to_u128(a: Self::Coeff) -> u128;
    /// The centred representative in (−q/2, q/2].
    fn to_centered(a: Self::Coeff) -> i128;
}
