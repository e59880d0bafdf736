//! Exact integer square roots of public values (bounds, widths, Gaussian parameters): ⌊√x⌋ and ⌈√x⌉ for
//! any u128 by integer Newton iteration, no floating point. The one implementation: the noise limits
//! (`policy`), the proof's constants and codes (`zk`) and the threshold plan use it.

/// ⌈√x⌉ for any u128, by integer Newton iteration (no floating point, exact).
#[must_use]
pub const fn ceil_sqrt(x: u128) -> u128 {
    let f = floor_sqrt(x);
    if f * f == x { f } else { f + 1 }
}

/// ⌊√x⌋ for any u128.
#[must_use]
#[allow(
    clippy::integer_division_remainder_used,
    reason = "the Newton step divides public values only"
)]
pub const fn floor_sqrt(x: u128) -> u128 {
    if x < 2 {
        return x;
    }
    // Start above the root (2^⌈bits/2⌉) and descend; Newton's iteration decreases monotonically to ⌊√x⌋.
    let bits = 128 - x.leading_zeros();
    let mut r = 1u128 << bits.div_ceil(2);
    loop {
        let next = r.midpoint(x / r);
        if next >= r {
            return r;
        }
        r = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_square_roots_are_exact() {
        for x in [
            0u128,
            1,
            2,
            3,
            4,
            15,
            16,
            17,
            1 << 64,
            (1 << 64) + 1,
            u128::MAX,
        ] {
            let f = floor_sqrt(x);
            assert!(
                f * f <= x && (f + 1).checked_mul(f + 1).is_none_or(|s| s > x),
                "floor_sqrt({x})"
            );
            let c = ceil_sqrt(x);
            assert!(c.checked_mul(c).is_none_or(|s| s >= x) && (c == 0 || (c - 1) * (c - 1) < x));
        }
        for x in 0u128..100_000 {
            let f = floor_sqrt(x);
            assert!(f * f <= x && (f + 1) * (f + 1) > x, "floor_sqrt({x})");
            let c = ceil_sqrt(x);
            assert!(
                c * c >= x && (c == 0 || (c - 1) * (c - 1) < x),
                "ceil_sqrt({x})"
            );
        }
    }
}
