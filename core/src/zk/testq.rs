//! Test-only modulus q = 2^44 − 539 (set S's prime) with plain, non-constant-time arithmetic, so the
//! `zk` building blocks can be tested before the constant-time `arith` moduli are merged.

use crate::arith::Modulus;

/// q = 2^44 − 539 for unit tests.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TestQ;

impl Modulus for TestQ {
    type Coeff = u64;
    const Q: u128 = (1 << 44) - 539;
    const BITS: u32 = 44;
    const C: u128 = 539;
    const BYTES: usize = 6;

    fn zero() -> u64 {
        0
    }
    fn add(a: u64, b: u64) -> u64 {
        ((u128::from(a) + u128::from(b)) % Self::Q) as u64
    }
    fn sub(a: u64, b: u64) -> u64 {
        ((u128::from(a) + Self::Q - u128::from(b)) % Self::Q) as u64
    }
    fn neg(a: u64) -> u64 {
        ((Self::Q - u128::from(a)) % Self::Q) as u64
    }
    fn mul(a: u64, b: u64) -> u64 {
        ((u128::from(a) * u128::from(b)) % Self::Q) as u64
    }
    fn from_i64(x: i64) -> u64 {
        (i128::from(x).rem_euclid(Self::Q as i128)) as u64
    }
    fn from_u128(x: u128) -> u64 {
        (x % Self::Q) as u64
    }
    fn to_u128(a: u64) -> u128 {
        u128::from(a)
    }
    fn to_centered(a: u64) -> i128 {
        let a = i128::from(a);
        if a > (Self::Q as i128) / 2 {
            a - Self::Q as i128
        } else {
            a
        }
    }
}
