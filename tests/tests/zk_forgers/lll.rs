//! A small exact lattice toolbox for the forgers: integral LLL (Cohen, "A Course in Computational
//! Algebraic Number Theory", Algorithm 2.6.7, δ = 99/100) over big integers, Babai's nearest plane on
//! the integral Gram–Schmidt data, and the short solution of a few linear equations mod q that the
//! forgers need (the kernel lattice {x : M·x ≡ 0 mod q} in Hermite form plus a particular solution).
//! Everything is exact: no floating point, so q = 2^86 − 35 is handled like q = 2^44 − 539.

// Index loops walk the basis and its Gram–Schmidt tables in lockstep (Cohen's 1-based notation).
#![allow(clippy::needless_range_loop)]

use num_bigint::BigInt;

fn dot(a: &[BigInt], b: &[BigInt]) -> BigInt {
    a.iter().zip(b.iter()).map(|(x, y)| x * y).sum()
}

/// ⌊a/b⌋ for b > 0.
fn floor_div(a: &BigInt, b: &BigInt) -> BigInt {
    let q = a / b;
    if (a % b) < BigInt::from(0) { q - 1 } else { q }
}

/// Nearest integer to a/b for b > 0 (ties up).
fn round_div(a: &BigInt, b: &BigInt) -> BigInt {
    floor_div(&(a * 2 + b), &(b * 2))
}

/// x mod q in [0, q).
pub fn modq(x: &BigInt, q: &BigInt) -> BigInt {
    let r = x % q;
    if r < BigInt::from(0) { r + q } else { r }
}

/// An LLL-reduced basis with its integral Gram–Schmidt data (1-based as in Cohen: d[0] = 1,
/// d[i] = Π_{j≤i} ‖b*_j‖², lam[i][j] = d[j]·μ_{i,j}).
pub struct Reduced {
    /// Basis vectors b[1..=n] (b[0] unused).
    pub b: Vec<Vec<BigInt>>,
    d: Vec<BigInt>,
    lam: Vec<Vec<BigInt>>,
    n: usize,
}

impl Reduced {
    /// Size-reduces b_k against b_l (Cohen's RED(k, l)).
    fn red(&mut self, k: usize, l: usize) {
        if &self.lam[k][l] * 2u32 > self.d[l] || &self.lam[k][l] * -2i32 > self.d[l] {
            let r = round_div(&self.lam[k][l], &self.d[l]);
            let bl = self.b[l].clone();
            for (x, y) in self.b[k].iter_mut().zip(bl.iter()) {
                *x -= &r * y;
            }
            let dl = self.d[l].clone();
            self.lam[k][l] -= &r * &dl;
            for i in 1..l {
                let li = self.lam[l][i].clone();
                self.lam[k][i] -= &r * li;
            }
        }
    }

    /// Cohen's SWAP(k).
    fn swap(&mut self, k: usize, kmax: usize) {
        self.b.swap(k, k - 1);
        for j in 1..k - 1 {
            let t = self.lam[k][j].clone();
            self.lam[k][j] = self.lam[k - 1][j].clone();
            self.lam[k - 1][j] = t;
        }
        let lm = self.lam[k][k - 1].clone();
        let bb = (&self.d[k - 2] * &self.d[k] + &lm * &lm) / &self.d[k - 1];
        for i in k + 1..=kmax {
            let t = self.lam[i][k].clone();
            self.lam[i][k] = (&self.d[k] * &self.lam[i][k - 1] - &lm * &t) / &self.d[k - 1];
            self.lam[i][k - 1] = (&bb * &t + &lm * &self.lam[i][k]) / &self.d[k];
        }
        self.d[k - 1] = bb;
    }

    /// Babai's nearest plane: returns t − v for the lattice vector v the reduced basis finds close
    /// to t (exact: λ_{t,j} = d_j·μ_{t,j} are integers for any integer t).
    pub fn nearest_plane_residue(&self, t: &[BigInt]) -> Vec<BigInt> {
        let n = self.n;
        let mut t = t.to_vec();
        let mut lt = vec![BigInt::from(0); n + 1];
        for j in 1..=n {
            let mut u = dot(&t, &self.b[j]);
            for i in 1..j {
                u = (&self.d[i] * u - &lt[i] * &self.lam[j][i]) / &self.d[i - 1];
            }
            lt[j] = u;
        }
        for j in (1..=n).rev() {
            let r = round_div(&lt[j], &self.d[j]);
            if r != BigInt::from(0) {
                for (x, y) in t.iter_mut().zip(self.b[j].iter()) {
                    *x -= &r * y;
                }
                lt[j] -= &r * &self.d[j];
                for i in 1..j {
                    lt[i] -= &r * &self.lam[j][i];
                }
            }
        }
        t
    }
}

/// LLL-reduces linearly independent integer vectors (integral LLL, δ = 99/100).
pub fn lll(basis: Vec<Vec<BigInt>>) -> Reduced {
    let n = basis.len();
    let zero = BigInt::from(0);
    let mut b = vec![Vec::new()];
    b.extend(basis);
    let mut s = Reduced {
        d: vec![zero.clone(); n + 1],
        lam: vec![vec![zero.clone(); n + 1]; n + 1],
        b,
        n,
    };
    s.d[0] = BigInt::from(1);
    s.d[1] = dot(&s.b[1], &s.b[1]);
    let (mut k, mut kmax) = (2usize, 1usize);
    while k <= n {
        if k > kmax {
            kmax = k;
            for j in 1..=k {
                let mut u = dot(&s.b[k], &s.b[j]);
                for i in 1..j {
                    u = (&s.d[i] * u - &s.lam[k][i] * &s.lam[j][i]) / &s.d[i - 1];
                }
                if j < k {
                    s.lam[k][j] = u;
                } else {
                    assert!(u != zero, "dependent vectors");
                    s.d[k] = u;
                }
            }
        }
        loop {
            s.red(k, k - 1);
            let lhs = &s.d[k] * &s.d[k - 2] * 100u32;
            let rhs =
                &s.d[k - 1] * &s.d[k - 1] * 99u32 - &s.lam[k][k - 1] * &s.lam[k][k - 1] * 100u32;
            if lhs < rhs {
                s.swap(k, kmax);
                k = (k - 1).max(2);
            } else {
                for l in (1..k - 1).rev() {
                    s.red(k, l);
                }
                k += 1;
                break;
            }
        }
    }
    s
}

/// A short x ∈ Z^cols with Σ_c m[r][c]·x_c ≡ e[r] (mod q) for every row r (q prime, the rows of m
/// independent mod q). The kernel lattice {x : m·x ≡ 0} has the basis q·e_p (p a pivot column) and
/// e_f − Σ_p a_{p,f}·e_p (f free) after row reduction to [I | A]; x = Babai residue of the
/// particular solution (e', 0). Panics if the result does not solve the system (checked exactly).
pub fn short_solution(m: &[Vec<BigInt>], e: &[BigInt], q: &BigInt) -> Vec<BigInt> {
    let rows = m.len();
    let cols = m[0].len();
    let mut a: Vec<Vec<BigInt>> = m
        .iter()
        .map(|r| r.iter().map(|x| modq(x, q)).collect())
        .collect();
    let mut rhs: Vec<BigInt> = e.iter().map(|x| modq(x, q)).collect();
    // Gauss–Jordan mod q, pivots chosen left to right.
    let mut pivots = Vec::with_capacity(rows);
    let mut r = 0;
    for c in 0..cols {
        if r == rows {
            break;
        }
        let Some(p) = (r..rows).find(|&i| a[i][c] != BigInt::from(0)) else {
            continue;
        };
        a.swap(r, p);
        rhs.swap(r, p);
        let inv = a[r][c].modpow(&(q - 2u32), q);
        for x in a[r].iter_mut() {
            *x = modq(&(&*x * &inv), q);
        }
        rhs[r] = modq(&(&rhs[r] * &inv), q);
        for i in 0..rows {
            if i != r && a[i][c] != BigInt::from(0) {
                let f = a[i][c].clone();
                let pr = a[r].clone();
                for (x, y) in a[i].iter_mut().zip(pr.iter()) {
                    *x = modq(&(&*x - &f * y), q);
                }
                rhs[i] = modq(&(&rhs[i] - &f * &rhs[r]), q);
            }
        }
        pivots.push(c);
        r += 1;
    }
    assert_eq!(pivots.len(), rows, "equations dependent mod q");
    let centre = |x: &BigInt| {
        let x = modq(x, q);
        if &x * 2u32 > *q { x - q } else { x }
    };
    let mut basis = Vec::with_capacity(cols);
    for &p in &pivots {
        let mut v = vec![BigInt::from(0); cols];
        v[p] = q.clone();
        basis.push(v);
    }
    for f in (0..cols).filter(|c| !pivots.contains(c)) {
        let mut v = vec![BigInt::from(0); cols];
        v[f] = BigInt::from(1);
        for (i, &p) in pivots.iter().enumerate() {
            v[p] = centre(&-&a[i][f]);
        }
        basis.push(v);
    }
    let mut t = vec![BigInt::from(0); cols];
    for (i, &p) in pivots.iter().enumerate() {
        t[p] = centre(&rhs[i]);
    }
    let x = lll(basis).nearest_plane_residue(&t);
    for (row, ei) in m.iter().zip(e.iter()) {
        assert_eq!(
            modq(&(dot(row, &x) - ei), q),
            BigInt::from(0),
            "not a solution"
        );
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lll_finds_short_solutions_mod_a_large_prime() {
        // q = 2^86 − 35, three pseudo-random equations in 20 unknowns: ‖x‖∞ ≈ q^(3/20) ≈ 2^13.
        let q = (BigInt::from(1) << 86u32) - 35;
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (BigInt::from(s) << 64u32 | BigInt::from(s.rotate_left(31))) % &q
        };
        let m: Vec<Vec<BigInt>> = (0..3).map(|_| (0..20).map(|_| next()).collect()).collect();
        let e: Vec<BigInt> = (0..3).map(|_| next()).collect();
        let x = short_solution(&m, &e, &q);
        let max = x.iter().map(|v| v.magnitude().bits()).max().unwrap_or(0);
        assert!(max <= 17, "‖x‖∞ has {max} bits");
    }
}
