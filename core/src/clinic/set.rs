//! The clinic pipeline for one parameter set P (ring degree N, K auxiliary NTT primes): the served key in the
//! two forms the pipeline needs, BFV encryption chunk by chunk, and the norm proof over the update read in
//! place. `clinic::Round` picks the instance from the announced set; the steps and the RNG order are the
//! same for every set, so set S's bytes are those of the proof KAT.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use rand_core::CryptoRng;
use zeroize::{Zeroize, Zeroizing};

use super::{ClinicError, NormProof, Progress, ProofKind, ReadProgress, RoundTerms, report};
use crate::arith::Modulus;
use crate::bfv::{Encryptor, PlainModulus};
use crate::params::ParamSet;
use crate::ring::{NttPoly, Poly};
use crate::wire;
use crate::zk::params::ZkParams;
use crate::zk::prove::{ProveError, UpdateSource, Witness, prove_lending_tables};
use crate::zk::statement::{Context, Statement};

/// Coefficient storage of set P (`u64` for set S, `u128` for sets L and XL).
pub(super) type Coeff<P> = <<P as ParamSet>::M as Modulus>::Coeff;

/// The served BFV key of set P, first L chunks: NTT forms for encryption, coefficient forms for the proof
/// statement.
#[derive(Clone)]
pub(super) struct SetKey<P: ParamSet, const N: usize, const K: usize> {
    a_ntt: Box<NttPoly<N, K>>,
    b_ntt: Vec<NttPoly<N, K>>,
    pk_a: Box<[Coeff<P>; N]>,
    pk_b: Vec<[Coeff<P>; N]>,
}

impl<P: ParamSet, const N: usize, const K: usize> SetKey<P, N, K> {
    /// Decodes a served key of set P (`wire::bfv`) and keeps its first `chunks` chunks.
    pub(super) fn decode(bytes: &[u8], chunks: usize) -> Result<Self, ClinicError> {
        const { assert!(N == P::N) };
        let header = wire::bfv::read_header::<P>(bytes, wire::bfv::KIND_PUBLIC_KEY)
            .map_err(ClinicError::PublicKey)?;
        if chunks == 0 || chunks > header.chunks {
            return Err(ClinicError::Chunks {
                needed: chunks,
                available: header.chunks,
            });
        }
        let mut a = Box::new(Poly::<P::M, N>::zero());
        let mut b = vec![Poly::<P::M, N>::zero(); header.chunks];
        wire::bfv::decode_public_key::<P, N>(bytes, &mut a, &mut b)
            .map_err(ClinicError::PublicKey)?;
        b.truncate(chunks);
        b.shrink_to_fit();
        let b_ntt = b.iter().map(NttPoly::from_poly).collect();
        Ok(Self {
            a_ntt: Box::new(NttPoly::from_poly(&*a)),
            b_ntt,
            pk_a: Box::new(a.coeffs),
            pk_b: b.into_iter().map(|p| p.coeffs).collect(),
        })
    }

    /// Chunks L kept.
    pub(super) fn chunks(&self) -> usize {
        self.b_ntt.len()
    }

    /// Keeps the first `chunks` chunks.
    pub(super) fn truncate(&mut self, chunks: usize) {
        self.b_ntt.truncate(chunks);
        self.pk_b.truncate(chunks);
    }
}

/// A BFV ciphertext (c1, c0_1..c0_L) of set P in coefficient form, as the proof statement takes it.
pub(super) struct SetCiphertext<P: ParamSet, const N: usize> {
    c1: Box<[Coeff<P>; N]>,
    c0: Vec<[Coeff<P>; N]>,
}

impl<P: ParamSet, const N: usize> SetCiphertext<P, N> {
    /// Frees c0_1..c0_L (once only the encoding is needed).
    pub(super) fn clear(&mut self) {
        self.c0 = Vec::new();
    }
}

/// What [`encrypt`] returns: the encoded ciphertext, its polynomials and u (centred, wiped on drop).
pub(super) type Encryption<P, const N: usize> = (Vec<u8>, SetCiphertext<P, N>, Zeroizing<Vec<i64>>);

/// BFV-encrypts `m` (L·N centred integers mod t) chunk by chunk, one `"encrypt"` progress step per chunk,
/// and encodes the ciphertext. The RNG is drawn once, by `Encryptor::new`.
pub(super) fn encrypt<P: ParamSet, const N: usize, const K: usize, R: CryptoRng>(
    key: &SetKey<P, N, K>,
    t: u64,
    m: &[i64],
    rng: &mut R,
    progress: &mut dyn Progress,
) -> Result<Encryption<P, N>, ClinicError> {
    let plain = PlainModulus::<P::M>::new(t).map_err(ClinicError::PlainModulus)?;
    let chunks = key.chunks();
    let mut enc = Box::new(Encryptor::<P, N, K>::new(&key.a_ntt, plain, chunks, rng));
    let mut c0 = vec![Poly::<P::M, N>::zero(); chunks];
    let mut mj = Box::new([0i64; N]);
    let res = encrypt_chunks(&mut enc, key, m, &mut mj, &mut c0, progress);
    mj.zeroize();
    res?;
    report(progress, "encrypt", chunks, chunks)?;
    let mut bytes = vec![0u8; wire::bfv::encoded_len::<P>(chunks)];
    wire::bfv::encode_ciphertext::<P, N>(enc.c1(), &c0, &mut bytes).map_err(ClinicError::Encode)?;
    // u is ternary: its centred coefficients fit i64.
    #[allow(clippy::cast_possible_truncation)]
    let u = Zeroizing::new((0..N).map(|i| enc.u().centered(i) as i64).collect());
    let ct = SetCiphertext {
        c1: Box::new(enc.c1().coeffs),
        c0: c0.into_iter().map(|p| p.coeffs).collect(),
    };
    Ok((bytes, ct, u))
}

fn encrypt_chunks<P: ParamSet, const N: usize, const K: usize>(
    enc: &mut Encryptor<P, N, K>,
    key: &SetKey<P, N, K>,
    m: &[i64],
    mj: &mut [i64; N],
    c0: &mut [Poly<P::M, N>],
    progress: &mut dyn Progress,
) -> Result<(), ClinicError> {
    let chunks = key.chunks();
    for (j, ((b, chunk), c)) in key.b_ntt.iter().zip(m.chunks_exact(N)).zip(c0).enumerate() {
        report(progress, "encrypt", j, chunks)?;
        mj.copy_from_slice(chunk);
        enc.encrypt_chunk(b, mj, c).map_err(ClinicError::Encrypt)?;
    }
    Ok(())
}

/// Which prover makes the proof.
#[derive(Clone, Copy)]
pub(super) enum Prover {
    /// The honest prover.
    Honest,
    /// The prover with its norm checks removed, or a forgery if it finds no transcript (attack simulation).
    #[cfg(feature = "attack-prover")]
    Cheating,
}

/// The update as the prover reads it, chunk j = `m[j·N..(j+1)·N]`, straight from the quantized message (no
/// second copy of the update). Chunks past the end read as zeros.
struct FlatUpdate<'a, const N: usize>(&'a [i64]);

impl<const N: usize> UpdateSource<N> for FlatUpdate<'_, N> {
    fn chunk(&mut self, j: usize, out: &mut [i64; N]) {
        let span = j
            .checked_mul(N)
            .and_then(|s| self.0.get(s..s.checked_add(N)?));
        match span {
            Some(c) => out.copy_from_slice(c),
            None => *out = [0; N],
        }
    }
}

/// The ciphertext's witness and message: u and m (L·N centred integers).
pub(super) struct Secret<'a> {
    /// u, centred.
    pub u: &'a [i64],
    /// m, zero-padded to L·N.
    pub m: &'a [i64],
}

/// Proves that `ct` is a well-formed encryption of `secret.m` under `key` and ‖m‖₂ ≤ B_int, bound to
/// (round, `clinic`), into a buffer of the prover's size cut to the proof's length. The prover's reads of
/// the update are reported as `"prove"` progress ([`ReadProgress`]).
#[allow(clippy::too_many_arguments)] // key, ciphertext, witness, terms, clinic, RNG, progress, prover
pub(super) fn prove<P: ZkParams, const N: usize, const K: usize, R: CryptoRng>(
    key: &SetKey<P, N, K>,
    ct: &SetCiphertext<P, N>,
    secret: &Secret<'_>,
    terms: &RoundTerms,
    clinic: u32,
    rng: &mut R,
    progress: &mut dyn Progress,
    prover: Prover,
) -> Result<NormProof, ClinicError> {
    let stmt = statement(key, ct, terms);
    let ctx = Context {
        round: terms.round,
        clinic: u64::from(clinic),
    };
    let layout = stmt
        .layout::<P>()
        .map_err(|_| ClinicError::Prove(ProveError::Statement))?;
    let mut bytes = vec![0u8; layout.prove_buf_len()];
    let chunks = ct.c0.len();
    let mut wit = Witness {
        u: secret.u,
        m: ReadProgress::new(FlatUpdate::<N>(secret.m), chunks, progress),
    };
    let made = match prover {
        Prover::Honest => {
            prove_lending_tables::<P, N, _, _>(&stmt, &ctx, &mut wit, rng, &mut bytes)
                .map(|st| (ProofKind::Honest, st.len))
                .map_err(ClinicError::Prove)
        }
        #[cfg(feature = "attack-prover")]
        Prover::Cheating => {
            use crate::zk::prove::{Cheat, prove_with};
            let cheat = Cheat {
                skip_norm_checks: true,
                ..Cheat::default()
            };
            if let Ok(st) = prove_with::<P, N, _, _>(&stmt, &ctx, &mut wit, rng, &mut bytes, cheat)
            {
                Ok((ProofKind::Cheating, st.len))
            } else {
                forge_proof::<P>(&mut bytes, chunks);
                Ok((ProofKind::Forged, layout.min_proof_len()))
            }
        }
    };
    let reads = wit.m.finish();
    let (kind, len) = made?;
    reads?;
    bytes.truncate(len);
    Ok(NormProof { bytes, kind })
}

/// Attack simulation: a forged proof — the header the verifier expects ("ZKP" ‖ version ‖ set id ‖ L, u16
/// LE; `zk::layout`) so that it passes the format check, then all zeros.
#[cfg(feature = "attack-prover")]
fn forge_proof<P: ParamSet>(proof: &mut [u8], chunks: usize) {
    use crate::zk::layout::{HEADER_BYTES, VERSION};
    proof.fill(0);
    let l = u16::try_from(chunks).unwrap_or(u16::MAX).to_le_bytes();
    let header = [b'Z', b'K', b'P', VERSION, P::ID, l[0], l[1]];
    if let Some(h) = proof.get_mut(..HEADER_BYTES.min(header.len())) {
        h.copy_from_slice(&header[..h.len()]);
    }
}

/// The statement of `ct` under `key` (what the prover proves and the verifier checks).
pub(super) fn statement<'a, P: ParamSet, const N: usize, const K: usize>(
    key: &'a SetKey<P, N, K>,
    ct: &'a SetCiphertext<P, N>,
    terms: &RoundTerms,
) -> Statement<'a, P::M, N> {
    Statement {
        pk_a: &key.pk_a,
        pk_b: &key.pk_b,
        c1: &ct.c1,
        c0: &ct.c0,
        t: terms.t,
        bound: terms.b_int,
    }
}
