//! The Fiat–Shamir schedule of docs/PROTOCOL.md §6 (steps 1–5) and §6.1 V5/V8: every message and every
//! challenge after the statement (§6 step 0, `Statement::transcript`), with its label, in transcript order.
//! Prover and verifier both drive the transcript only through these types, so the two cannot absorb a
//! different label or order: each round is a type whose one method absorbs that round's messages,
//! squeezes its challenge and returns the next round.
//!
//! | # | step | label | kind |
//! |---|---|---|---|
//! | 1 | commit | `t_A` | n messages |
//! | 2 | JL | `t_y` | 4 messages |
//! | 3 | JL | `t_beta` | message |
//! | 4 | JL | `jl` | challenge |
//! | 5 | JL | `z3` | message |
//! | 6 | batch | `t_g` | λ messages |
//! | 7 | batch | `mu` | challenge |
//! | 8 | batch | `h` | λ messages |
//! | 9 | batch | `gamma` | challenge |
//! | 10 | open | `w` | n messages |
//! | 11 | open | `t_t` | message |
//! | 12 | open | `v` | message |
//! | 13 | open | `c` | challenge |
//!
//! The prover retries the JL step and the opening on rejection: a round value is `Clone`, and a rejected
//! attempt runs on a clone that is then dropped (PROTOCOL §6 step 2: rejected attempts are never absorbed).

use super::params::{JL_ROWS, Y3_BLOCKS};
use super::rq::Rq;
use super::transcript::{SEED_BYTES, Transcript};
use super::walk::absorb_ring_vec;
use crate::arith::Modulus;

/// A 32-byte challenge seed squeezed from the transcript.
pub type Seed = [u8; SEED_BYTES];

/// Round 1 (commit): the transcript after the statement, waiting for t_A.
#[derive(Clone)]
pub struct Commit(Transcript);

/// Round 2 (JL): waiting for t_y, t_β; squeezes the jl-seed.
#[derive(Clone)]
pub struct Jl(Transcript);

/// After the jl-seed: waiting for z3.
#[derive(Clone)]
pub struct JlResponse(Transcript);

/// Round 3 (μ): waiting for t_g; squeezes the μ-seed.
#[derive(Clone)]
pub struct Mu(Transcript);

/// Round 4 (γ): waiting for h; squeezes the γ-seed.
#[derive(Clone)]
pub struct Gamma(Transcript);

/// Round 5 (c): waiting for w, t_t, v; squeezes the c-seed.
#[derive(Clone)]
pub struct Challenge(Transcript);

impl Commit {
    /// Starts the schedule from the statement's transcript (§6 step 0).
    #[must_use]
    pub fn new(statement_transcript: Transcript) -> Self {
        Self(statement_transcript)
    }

    /// Step 1: absorbs t_A (the first n rows).
    #[must_use]
    pub fn t_a<M: Modulus>(mut self, t_a: &[Rq<M>]) -> Jl {
        absorb_ring_vec(&mut self.0, b"t_A", t_a);
        Jl(self.0)
    }
}

impl Jl {
    /// Steps 2–4: absorbs t_y and t_β, squeezes the jl-seed.
    #[must_use]
    pub fn jl_seed<M: Modulus>(
        mut self,
        t_y: &[Rq<M>; Y3_BLOCKS],
        t_beta: &Rq<M>,
    ) -> (Seed, JlResponse) {
        absorb_ring_vec(&mut self.0, b"t_y", t_y);
        self.0.absorb_coeffs::<M>(b"t_beta", &t_beta.0);
        let seed = self.0.challenge_seed(b"jl");
        (seed, JlResponse(self.0))
    }
}

impl JlResponse {
    /// Step 5: absorbs z3.
    #[must_use]
    pub fn z3(mut self, z3: &[i64; JL_ROWS]) -> Mu {
        self.0.absorb_i64s(b"z3", z3);
        Mu(self.0)
    }
}

impl Mu {
    /// Steps 6–7: absorbs t_g (the first λ), squeezes the μ-seed.
    #[must_use]
    pub fn mu_seed<M: Modulus>(mut self, t_g: &[Rq<M>]) -> (Seed, Gamma) {
        absorb_ring_vec(&mut self.0, b"t_g", t_g);
        let seed = self.0.challenge_seed(b"mu");
        (seed, Gamma(self.0))
    }
}

impl Gamma {
    /// Steps 8–9: absorbs h (the first λ), squeezes the γ-seed.
    #[must_use]
    pub fn gamma_seed<M: Modulus>(mut self, h: &[Rq<M>]) -> (Seed, Challenge) {
        absorb_ring_vec(&mut self.0, b"h", h);
        let seed = self.0.challenge_seed(b"gamma");
        (seed, Challenge(self.0))
    }
}

impl Challenge {
    /// Steps 10–13: absorbs w (the first n rows), t_t and v into a copy of the transcript and squeezes the
    /// c-seed (the prover calls this once per opening attempt; the last squeeze ends the transcript).
    #[must_use]
    pub fn c_seed<M: Modulus>(&self, w: &[Rq<M>], t_t: &Rq<M>, v: &Rq<M>) -> Seed {
        let mut tr = self.0.clone();
        absorb_ring_vec(&mut tr, b"w", w);
        tr.absorb_coeffs::<M>(b"t_t", &t_t.0);
        tr.absorb_coeffs::<M>(b"v", &v.0);
        tr.challenge_seed(b"c")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arith::Q44;

    /// The schedule is exactly the documented sequence of framed operations (pins labels and order).
    #[test]
    fn schedule_matches_the_documented_order() {
        let r = |x: u64| Rq::<Q44>::constant(x);
        let (t_a, t_y, t_b, z3, t_g, h, w, t_t, v) = (
            [r(1), r(2)],
            [r(3), r(4), r(5), r(6)],
            r(7),
            [9i64; JL_ROWS],
            [r(10)],
            [r(11)],
            [r(12), r(13)],
            r(14),
            r(15),
        );
        let base = Transcript::new(b"sched");
        let (jl, rest) = Commit::new(base.clone()).t_a(&t_a).jl_seed(&t_y, &t_b);
        let (mu, rest) = rest.z3(&z3).mu_seed(&t_g);
        let (gamma, rest) = rest.gamma_seed(&h);
        let c = rest.c_seed(&w, &t_t, &v);
        let mut t = base;
        absorb_ring_vec(&mut t, b"t_A", &t_a);
        absorb_ring_vec(&mut t, b"t_y", &t_y);
        t.absorb_coeffs::<Q44>(b"t_beta", &t_b.0);
        assert_eq!(t.challenge_seed(b"jl"), jl);
        t.absorb_i64s(b"z3", &z3);
        absorb_ring_vec(&mut t, b"t_g", &t_g);
        assert_eq!(t.challenge_seed(b"mu"), mu);
        absorb_ring_vec(&mut t, b"h", &h);
        assert_eq!(t.challenge_seed(b"gamma"), gamma);
        absorb_ring_vec(&mut t, b"w", &w);
        t.absorb_coeffs::<Q44>(b"t_t", &t_t.0);
        t.absorb_coeffs::<Q44>(b"v", &v.0);
        assert_eq!(t.challenge_seed(b"c"), c);
    }
}
