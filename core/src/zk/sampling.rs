//! Masks and rejection decisions of the prover (docs/PROTOCOL.md §6 steps 2 and 5, §11).
//!
//! INTERIM (reported as not done): this file holds variable-time f64 versions of the discrete Gaussian
//! sampler and of the two acceptance tests so the protocol can be tested end to end. The constant-time
//! sampler (`ring::gaussian`) and fixed-point acceptance tests (`zk::reject`) of helper "zkprim" replace the
//! three function bodies below without changing their signatures.

use shake::{Shake256Reader, XofReader};

fn uniform_u64(rd: &mut Shake256Reader) -> u64 {
    let mut b = [0u8; 8];
    rd.read(&mut b);
    u64::from_le_bytes(b)
}

/// A uniform real in [0, 1) with 53 bits.
fn uniform_f64(rd: &mut Shake256Reader) -> f64 {
    (uniform_u64(rd) >> 11) as f64 / (1u64 << 53) as f64
}

/// Fills `out` with samples of D_{Z,σ} (centre 0) drawn from the XOF `rd`.
pub fn gaussian_block(rd: &mut Shake256Reader, sigma: u64, out: &mut [i64]) {
    let s = sigma as f64;
    let tail = 13 * sigma; // Pr[|x| > 13σ] < 2^−120 per sample.
    let span = 2 * tail + 1;
    let lim = u64::MAX - u64::MAX % span;
    for o in out.iter_mut() {
        loop {
            let r = uniform_u64(rd);
            if r >= lim {
                continue;
            }
            let x = (r % span) as i64 - tail as i64;
            let xf = x as f64;
            if uniform_f64(rd) < libm::exp(-(xf * xf) / (2.0 * s * s)) {
                *o = x;
                break;
            }
        }
    }
}

/// Standard rejection (Lyubashevsky 2012): accept with probability exp(num/(2σ²))/M, where
/// num = ‖v‖² − 2⟨z, v⟩ summed over blocks already scaled to the common σ.
pub fn accept_standard(rd: &mut Shake256Reader, num: i128, sigma: u64, m: f64) -> bool {
    let s = sigma as f64;
    let p = libm::exp(num as f64 / (2.0 * s * s)) / m;
    uniform_f64(rd) < p
}

/// Bimodal rejection (Ducas–Durmus–Lepoint–Lyubashevsky 2013): accept with probability
/// 1 / (M·exp(−‖v‖²/2σ²)·cosh(⟨z, v⟩/σ²)).
pub fn accept_bimodal(rd: &mut Shake256Reader, v_sq: u128, zv: i128, sigma: u64, m: f64) -> bool {
    let s2 = (sigma as f64) * (sigma as f64);
    let p = 1.0 / (m * libm::exp(-(v_sq as f64) / (2.0 * s2)) * libm::cosh(zv as f64 / s2));
    uniform_f64(rd) < p
}

/// M of the joint standard rejection at γ = 20: exp(√(2·129·ln 2)/γ + 1/(2γ²)) (PROTOCOL §3).
pub const M_STANDARD: f64 = 1.954;
/// M₃ of the bimodal rejection at γ₃ = 2: exp(1/8).
pub const M_BIMODAL: f64 = 1.1331484530668263;
