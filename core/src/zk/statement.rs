//! The public statement and its binding into the transcript (docs/PROTOCOL.md §2 and §6 step 0): context
//! (set id, round id, clinic id, public-key hash), the bound B, the chunk count, Δ and every ciphertext byte.

use core::marker::PhantomData;

use super::layout::Layout;
use super::params::ZkParams;
use super::proof::ProofError;
use super::transcript::Transcript;
use crate::arith::Modulus;
use crate::bfv::PlainModulus;

/// Protocol label of the transcript (v2: A2 binds the BDLOP messages, H(pk) computed from the statement).
pub const PROTOCOL_LABEL: &[u8] = b"ZKFL-PQ/zk/bfv-norm/v2";
/// Label of the public-key hash H(pk) (its own SHAKE256 transcript, PROTOCOL §2).
pub const PK_HASH_LABEL: &[u8] = b"ZKFL-PQ/zk/pk-hash/v2";

/// What the prover and verifier take from a statement besides its polynomials: the layout (dimensions and
/// the four squared group bounds), Δ and the CRS id. The norm proof derives all of it from the statement
/// ([`ChunkedStatement::relation`]: bounds from (L, B), Δ = ⌊q/t⌋, the set id); a relation of the same shape
/// states its own — the threshold share proof (docs/THRESHOLD.md §6.2): L = 1, bounds beyond u64, Δ = 2^23,
/// its own CRS id — and starts its own transcript.
#[derive(Clone, Copy, Debug)]
pub struct Relation<M: Modulus> {
    /// Layout with the relation's squared bounds.
    pub layout: Layout,
    /// Δ of the derived e1 = c0 − b·u − Δ·m.
    pub delta: M::Coeff,
    /// CRS id of the public matrices (`zk::derive`: the set id, or a share-proof id).
    pub crs: u8,
}

/// Where a proof belongs: a proof made for one context never verifies in another. The public key is not
/// part of the context: prover and verifier hash the statement's own key ([`Statement::pk_hash`]), so no
/// caller-supplied hash can disagree with the key the ciphertext is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    /// Round of the federated-learning protocol.
    pub round: u64,
    /// Clinic (client) id.
    pub clinic: u64,
}

/// The public part of R_ZKFL for one update: key, ciphertext, Δ and the bound (slices of N-coefficient
/// polynomials; on a microcontroller they can live in flash).
#[derive(Clone, Copy, Debug)]
pub struct Statement<'a, M: Modulus, const N: usize> {
    /// pk.a.
    pub pk_a: &'a [M::Coeff; N],
    /// pk.b_1..b_L (exactly L).
    pub pk_b: &'a [[M::Coeff; N]],
    /// ct.c1.
    pub c1: &'a [M::Coeff; N],
    /// ct.c0_1..c0_L (exactly L).
    pub c0: &'a [[M::Coeff; N]],
    /// Plaintext modulus t: `bfv::PlainModulus` must accept it and one proof-accepted ciphertext must decrypt
    /// exactly under it (single key; see `Statement::layout`). Δ = ⌊q/t⌋ is derived from it
    /// ([`Statement::delta`]), never supplied: a caller-supplied k·Δ would turn the proven bound B into k·B.
    /// Both t and Δ are hashed into the transcript.
    pub t: u64,
    /// Integer bound B on ‖m‖₂ (1 ≤ B ≤ B_max of the set).
    pub bound: u64,
}

/// The statement's polynomials pk.a, c1 and the per-chunk b_j and c0_j, read on demand (PROTOCOL §10): a
/// caller without memory for all of them (the clinic device) reads them from flash or host storage as the
/// prover's passes ask; [`SliceChunks`] serves them from slices. Every read must return the same polynomial:
/// the prover reads each one once for H(pk) / the transcript and again in every pass, so a source that
/// changes them in between only makes a proof that does not verify.
pub trait ChunkSource<M: Modulus, const N: usize> {
    /// Number of chunks L.
    fn chunks(&self) -> usize;
    /// Writes pk.a into `out`.
    fn pk_a(&self, out: &mut [M::Coeff; N]);
    /// Writes ct.c1 into `out`.
    fn c1(&self, out: &mut [M::Coeff; N]);
    /// Writes pk.b_{j+1} (0-based j < L) into `out`.
    fn pk_b(&self, j: usize, out: &mut [M::Coeff; N]);
    /// Writes ct.c0_{j+1} (0-based j < L) into `out`.
    fn c0(&self, j: usize, out: &mut [M::Coeff; N]);
}

/// Polynomials held in memory: the slices of a [`Statement`].
#[derive(Clone, Copy, Debug)]
pub struct SliceChunks<'a, M: Modulus, const N: usize> {
    /// pk.a.
    pub pk_a: &'a [M::Coeff; N],
    /// ct.c1.
    pub c1: &'a [M::Coeff; N],
    /// pk.b_1..b_L.
    pub pk_b: &'a [[M::Coeff; N]],
    /// ct.c0_1..c0_L.
    pub c0: &'a [[M::Coeff; N]],
}

impl<M: Modulus, const N: usize> ChunkSource<M, N> for SliceChunks<'_, M, N> {
    /// L, or 0 (a malformed statement) when the key and the ciphertext disagree on it.
    fn chunks(&self) -> usize {
        if self.pk_b.len() == self.c0.len() {
            self.c0.len()
        } else {
            0
        }
    }

    fn pk_a(&self, out: &mut [M::Coeff; N]) {
        *out = *self.pk_a;
    }

    fn c1(&self, out: &mut [M::Coeff; N]) {
        *out = *self.c1;
    }

    fn pk_b(&self, j: usize, out: &mut [M::Coeff; N]) {
        *out = self.pk_b[j];
    }

    fn c0(&self, j: usize, out: &mut [M::Coeff; N]) {
        *out = self.c0[j];
    }
}

/// The statement with its polynomials behind a [`ChunkSource`]: what the prover reads. A [`Statement`] is
/// one ([`Statement::chunked`]); a device builds one over its own storage.
#[derive(Clone, Copy, Debug)]
pub struct ChunkedStatement<M: Modulus, const N: usize, S> {
    /// pk.a, c1, b_j and c0_j.
    pub chunks: S,
    /// Plaintext modulus t (as [`Statement::t`]).
    pub t: u64,
    /// Integer bound B on ‖m‖₂ (as [`Statement::bound`]).
    pub bound: u64,
    /// The modulus the source's coefficients are residues of.
    modulus: PhantomData<fn() -> M>,
}

impl<M: Modulus, const N: usize, S> ChunkedStatement<M, N, S> {
    /// The statement over `chunks` with plaintext modulus t and bound B.
    #[must_use]
    pub const fn new(chunks: S, t: u64, bound: u64) -> Self {
        Self {
            chunks,
            t,
            bound,
            modulus: PhantomData,
        }
    }
}

impl<'a, M: Modulus, const N: usize> Statement<'a, M, N> {
    /// The same statement read through [`SliceChunks`].
    #[must_use]
    pub fn chunked(&self) -> ChunkedStatement<M, N, SliceChunks<'a, M, N>> {
        ChunkedStatement::new(
            SliceChunks {
                pk_a: self.pk_a,
                c1: self.c1,
                pk_b: self.pk_b,
                c0: self.c0,
            },
            self.t,
            self.bound,
        )
    }

    /// Number of chunks L.
    #[must_use]
    pub fn chunks(&self) -> usize {
        self.c0.len()
    }

    /// Δ = ⌊q/t⌋.
    #[must_use]
    pub fn delta(&self) -> M::Coeff {
        self.chunked().delta()
    }

    /// Checks the shape against the parameter set (chunk count, bound, t) and that every key and
    /// ciphertext coefficient is reduced (< q), and returns the layout.
    pub fn layout<P: ZkParams<M = M>>(&self) -> Result<Layout, ProofError> {
        self.chunked().layout::<P>()
    }

    /// The norm proof's relation ([`ChunkedStatement::relation`]).
    pub fn relation<P: ZkParams<M = M>>(&self) -> Result<Relation<M>, ProofError> {
        self.chunked().relation::<P>()
    }

    /// H(pk) ([`ChunkedStatement::pk_hash`]).
    #[must_use]
    pub fn pk_hash<P: ZkParams<M = M>>(&self) -> [u8; 32] {
        self.chunked().pk_hash::<P>()
    }

    /// The transcript's start ([`ChunkedStatement::transcript`]).
    #[must_use]
    pub fn transcript<P: ZkParams<M = M>>(&self, ctx: &Context) -> Transcript {
        self.chunked().transcript::<P>(ctx)
    }
}

impl<M: Modulus, const N: usize, S: ChunkSource<M, N>> ChunkedStatement<M, N, S> {
    /// Δ = ⌊q/t⌋.
    #[allow(
        clippy::integer_division_remainder_used,
        reason = "Δ = ⌊q/t⌋ and q mod t of the public plaintext modulus"
    )]
    pub fn delta(&self) -> M::Coeff {
        M::from_u128(M::Q / u128::from(self.t.max(1)))
    }

    /// Checks the shape against the parameter set (chunk count, bound, t) and that every key and
    /// ciphertext coefficient is reduced (< q), and returns the layout.
    pub fn layout<P: ZkParams<M = M>>(&self) -> Result<Layout, ProofError> {
        const { assert!(N == P::N) };
        let l = self.chunks.chunks();
        if l == 0
            || l > P::ZK.l_max
            || self.bound == 0
            || self.bound > P::ZK.b_max
            || PlainModulus::<M>::new(self.t).is_err()
            || !self.one_proven_ciphertext_decrypts::<P>()
            || !self.coefficients_reduced()
        {
            return Err(ProofError::Statement);
        }
        Ok(Layout::new(P::ZK, N, M::BYTES, l, self.bound))
    }

    /// The norm proof's relation for this statement: [`ChunkedStatement::layout`], Δ = ⌊q/t⌋, CRS id = set id.
    pub fn relation<P: ZkParams<M = M>>(&self) -> Result<Relation<M>, ProofError> {
        Ok(Relation {
            layout: self.layout::<P>()?,
            delta: self.delta(),
            crs: P::ID,
        })
    }

    /// True iff one ciphertext the verifier accepts (randomness within the proof's bounds, ‖m‖∞ ≤ B) decrypts
    /// under an honestly generated *single* key to m mod t (centred; m itself when t > 2B), a vector of norm
    /// ≤ ‖m‖ ≤ B: 2·(t·E₁ + (q mod t)·B) < q with E₁ =
    /// `policy::noise_per_client`. Without it a verified proof of ‖m‖ ≤ B would say nothing about the
    /// decrypted plaintext (t close to q/2 leaves Δ tiny, and e1 ≤ B_1 then decrypts as ≈ B_1/Δ). Every
    /// configuration `policy::check_config` admits satisfies it (K ≥ 1 clinics). For a collective
    /// (threshold) key or with smudging noise the noise is larger: there only `check_config` /
    /// `policy::decrypts_exactly` with the real key bounds say whether decryption is exact.
    #[allow(
        clippy::integer_division_remainder_used,
        reason = "Δ = ⌊q/t⌋ and q mod t of the public plaintext modulus"
    )]
    fn one_proven_ciphertext_decrypts<P: ZkParams<M = M>>(&self) -> bool {
        use crate::params::bounds::{KeyBounds, ProofBounds, noise_per_client};
        let e1 = noise_per_client(
            ProofBounds::of::<P>(self.chunks.chunks()),
            KeyBounds::single::<P>(),
        );
        let t = u128::from(self.t);
        let lhs = t
            .checked_mul(e1)
            .and_then(|te| {
                (M::Q % t.max(1))
                    .checked_mul(u128::from(self.bound))?
                    .checked_add(te)
            })
            .and_then(|x| x.checked_mul(2));
        matches!(lhs, Some(x) if x < M::Q)
    }

    /// True iff every coefficient of pk and ct is in [0, q) (public data: a plain scan, one chunk at a time).
    fn coefficients_reduced(&self) -> bool {
        let reduced = |p: &[M::Coeff; N]| p.iter().all(|&x| M::to_u128(x) < M::Q);
        let mut buf = [M::zero(); N];
        self.chunks.pk_a(&mut buf);
        let a = reduced(&buf);
        self.chunks.c1(&mut buf);
        a && reduced(&buf)
            && (0..self.chunks.chunks()).all(|j| {
                self.chunks.pk_b(j, &mut buf);
                let b = reduced(&buf);
                self.chunks.c0(j, &mut buf);
                b && reduced(&buf)
            })
    }

    /// H(pk): 32 bytes of SHAKE256 over a framed transcript of the set id, L, pk.a and every pk.b_j
    /// (canonical coefficient bytes), computed from the key in the statement itself.
    pub fn pk_hash<P: ZkParams<M = M>>(&self) -> [u8; 32] {
        let mut h = Transcript::new(PK_HASH_LABEL);
        h.absorb_u64(b"set", u64::from(P::ID));
        h.absorb_u64(b"chunks", self.chunks.chunks() as u64);
        let mut b = [M::zero(); N];
        self.chunks.pk_a(&mut b);
        h.absorb_coeffs::<M>(b"pk_a", &b);
        for j in 0..self.chunks.chunks() {
            self.chunks.pk_b(j, &mut b);
            h.absorb_coeffs::<M>(b"pk_b", &b);
        }
        h.challenge_seed(b"pk-hash")
    }

    /// Starts the transcript: label, context, set, H(pk), bound, L, t, Δ, then c1 and every c0_j in order.
    pub fn transcript<P: ZkParams<M = M>>(&self, ctx: &Context) -> Transcript {
        let mut t = Transcript::new(PROTOCOL_LABEL);
        t.absorb_u64(b"set", u64::from(P::ID));
        t.absorb_u64(b"round", ctx.round);
        t.absorb_u64(b"clinic", ctx.clinic);
        t.absorb_bytes(b"pk-hash", &self.pk_hash::<P>());
        t.absorb_u64(b"bound", self.bound);
        t.absorb_u64(b"chunks", self.chunks.chunks() as u64);
        t.absorb_u64(b"t", self.t);
        t.absorb_coeffs::<M>(b"delta", &[self.delta()]);
        let mut c0 = [M::zero(); N];
        self.chunks.c1(&mut c0);
        t.absorb_coeffs::<M>(b"c1", &c0);
        for j in 0..self.chunks.chunks() {
            self.chunks.c0(j, &mut c0);
            t.absorb_coeffs::<M>(b"c0", &c0);
        }
        t
    }
}
