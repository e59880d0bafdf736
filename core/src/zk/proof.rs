//! Wire format of a proof (docs/PROTOCOL.md §12): a fixed-length part, then the Rice-coded z (`zk::codec`,
//! §12.1); canonical encodings, strict decoding. Ring coefficients are `M::BYTES` little-endian bytes < q;
//! z3 is packed signed values of a fixed width with the all-ones pattern forbidden and zero padding bits,
//! so every value has exactly one encoding. Every malformed input is a [`ProofError`], never a panic.
// Division lint (lib.rs): every `/` and `%` here works on public values (byte and bit positions of the wire
// format, public offsets).
#![allow(clippy::integer_division_remainder_used)]

use super::codec::{CodecError, RiceCode, RiceWriter, Sink};
use super::layout::{HEADER_BYTES, Layout, VERSION};
use super::params::{GROUPS, JL_ROWS, KMSIS_MAX, LAMBDA_MAX, Y3_BLOCKS, ZkParams};
use super::rq::{D, Rq};
use super::schedule::Seed;
use crate::arith::Modulus;
use crate::arith::cast::low_u64;

/// Why a proof was rejected. Decoding errors and failed checks are distinguished so logs say what was wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofError {
    /// The byte string is shorter or longer than (set, L) allows, or the coded z ends early or has bytes
    /// after it.
    Length,
    /// Magic bytes, version, set id or chunk count do not match.
    Header,
    /// A mod-q coefficient is ≥ q.
    CoefficientRange,
    /// A packed Gaussian value uses the forbidden pattern or padding bits are not zero.
    NonCanonical,
    /// A coded z coefficient exceeds its class bound 2^(w−1) − 1 (or its unary run is too long).
    ZRange,
    /// The statement is malformed (chunk count 0 or above L_max, bound above B_max, slice sizes).
    Statement,
    /// V2: a batch h_k has a nonzero constant coefficient.
    HConstant,
    /// V3: ‖z3‖ exceeds its bound.
    Z3Norm,
    /// V4: ‖z_m‖ or ‖z_s‖ exceeds its bound.
    ZNorm,
    /// V8: the challenge seed does not match the recomputed transcript (commitment or quadratic check failed).
    Challenge,
}

impl core::fmt::Display for ProofError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = match self {
            Self::Length => "proof has the wrong length",
            Self::Header => "proof header does not match the parameter set or chunk count",
            Self::CoefficientRange => "proof contains a coefficient not below q",
            Self::NonCanonical => "proof contains a non-canonical packed value",
            Self::ZRange => "masked opening z has a coefficient above its bound",
            Self::Statement => "statement is malformed",
            Self::HConstant => "batched constraint h has a nonzero constant coefficient",
            Self::Z3Norm => "JL projection z3 is too long",
            Self::ZNorm => "masked opening z is too long",
            Self::Challenge => {
                "challenge does not match: the proof does not verify for this statement"
            }
        };
        f.write_str(s)
    }
}

/// L as the header's two little-endian bytes (L ≤ 512, the largest set's `MAX_CHUNKS`).
fn chunk_count_bytes(lay: &Layout) -> [u8; 2] {
    u16::try_from(lay.l)
        .expect("L fits the header's u16")
        .to_le_bytes()
}

/// The proof's header: magic, version, parameter set, L.
pub(crate) fn header<P: ZkParams>(lay: &Layout) -> [u8; HEADER_BYTES] {
    let mut head = [0u8; HEADER_BYTES];
    head[..3].copy_from_slice(b"ZKP");
    head[3] = VERSION;
    head[4] = P::ID;
    head[5..HEADER_BYTES].copy_from_slice(&chunk_count_bytes(lay));
    head
}

/// Writes one ring element at `out[..D·BYTES]`.
pub fn put_ring<M: Modulus>(r: &Rq<M>, out: &mut [u8]) {
    for (x, chunk) in r.0.iter().zip(out.chunks_exact_mut(M::BYTES)) {
        let b = M::to_u128(*x).to_le_bytes();
        chunk.copy_from_slice(&b[..M::BYTES]);
    }
}

/// Reads one ring element, rejecting coefficients ≥ q.
pub fn get_ring<M: Modulus>(inp: &[u8]) -> Result<Rq<M>, ProofError> {
    let mut r = Rq::<M>::zero();
    if inp.len() < D * M::BYTES {
        return Err(ProofError::Length);
    }
    for (x, chunk) in r.0.iter_mut().zip(inp.chunks_exact(M::BYTES)) {
        let mut b = [0u8; 16];
        b[..M::BYTES].copy_from_slice(chunk);
        let v = u128::from_le_bytes(b);
        if v >= M::Q {
            return Err(ProofError::CoefficientRange);
        }
        *x = M::from_u128(v);
    }
    Ok(r)
}

/// Every field of a proof before z1, z2 (PROTOCOL §6 step 6): what the prover sends besides the responses,
/// in wire order. The prover fills it step by step and encodes it once the opening is accepted; the
/// verifier decodes it first (V1).
pub struct Messages<M: Modulus> {
    /// t_A (first n rows used).
    pub t_a: [Rq<M>; KMSIS_MAX],
    /// t_y.
    pub t_y: [Rq<M>; Y3_BLOCKS],
    /// t_β.
    pub t_b: Rq<M>,
    /// t_g (first λ used).
    pub t_g: [Rq<M>; LAMBDA_MAX],
    /// z3.
    pub z3: [i64; JL_ROWS],
    /// h (first λ used).
    pub h: [Rq<M>; LAMBDA_MAX],
    /// t_t.
    pub t_t: Rq<M>,
    /// The c-seed.
    pub c_seed: Seed,
}

impl<M: Modulus> Default for Messages<M> {
    fn default() -> Self {
        Self {
            t_a: [Rq::zero(); KMSIS_MAX],
            t_y: [Rq::zero(); Y3_BLOCKS],
            t_b: Rq::zero(),
            t_g: [Rq::zero(); LAMBDA_MAX],
            z3: [0; JL_ROWS],
            h: [Rq::zero(); LAMBDA_MAX],
            t_t: Rq::zero(),
            c_seed: [0; 32],
        }
    }
}

impl<M: Modulus> Messages<M> {
    /// Writes the header and every field before z1 into `out` (at least `lay.off_z1u()` bytes).
    pub fn encode<P: ZkParams<M = M>>(&self, lay: &Layout, out: &mut [u8]) {
        let rb = lay.ring_bytes();
        out[..3].copy_from_slice(b"ZKP");
        out[3] = VERSION;
        out[4] = P::ID;
        out[5..HEADER_BYTES].copy_from_slice(&chunk_count_bytes(lay));
        for (r, x) in self.t_a.iter().take(lay.zk.kmsis).enumerate() {
            put_ring(x, &mut out[lay.off_ta() + r * rb..]);
        }
        for (r, x) in self.t_y.iter().enumerate() {
            put_ring(x, &mut out[lay.off_ty() + r * rb..]);
        }
        put_ring(&self.t_b, &mut out[lay.off_tb()..]);
        for (r, x) in self.t_g.iter().take(lay.zk.lambda).enumerate() {
            put_ring(x, &mut out[lay.off_tg() + r * rb..]);
        }
        let mut wr = BitWriter::new(&mut out[lay.off_z3()..lay.off_h()]);
        for &x in &self.z3 {
            wr.put(x, lay.zk.w3);
        }
        wr.finish();
        for (r, x) in self.h.iter().take(lay.zk.lambda).enumerate() {
            put_ring(x, &mut out[lay.off_h() + r * rb..]);
        }
        put_ring(&self.t_t, &mut out[lay.off_tt()..]);
        out[lay.off_cseed()..lay.off_z1u()].copy_from_slice(&self.c_seed);
    }

    /// The bytes of [`Messages::encode`], handed to `emit` in wire order, one field (or ring element) at a
    /// time, for a prover that writes its proof to storage as it goes (`zk::prove::prove_to_store`):
    /// ≈ 2 KB of buffer instead of `lay.off_z1u()` bytes. Stops at the first `false` from `emit`.
    pub fn encode_streamed<P: ZkParams<M = M>>(
        &self,
        lay: &Layout,
        emit: &mut impl FnMut(&[u8]) -> bool,
    ) -> bool {
        let rb = lay.ring_bytes();
        let head = header::<P>(lay);
        let mut buf = [0u8; D * 16];
        let mut ring = |x: &Rq<M>, emit: &mut dyn FnMut(&[u8]) -> bool| {
            put_ring(x, &mut buf[..rb]);
            emit(&buf[..rb])
        };
        let mut ok = emit(&head);
        let rings_before_z3 = self
            .t_a
            .iter()
            .take(lay.zk.kmsis)
            .chain(self.t_y.iter())
            .chain(core::iter::once(&self.t_b))
            .chain(self.t_g.iter().take(lay.zk.lambda));
        for x in rings_before_z3 {
            ok = ok && ring(x, emit);
        }
        let mut z3 = [0u8; JL_ROWS * 8];
        let z3_len = lay.off_h() - lay.off_z3();
        let mut wr = BitWriter::new(&mut z3[..z3_len]);
        for &x in &self.z3 {
            wr.put(x, lay.zk.w3);
        }
        wr.finish();
        ok = ok && emit(&z3[..z3_len]);
        for x in self
            .h
            .iter()
            .take(lay.zk.lambda)
            .chain(core::iter::once(&self.t_t))
        {
            ok = ok && ring(x, emit);
        }
        ok && emit(&self.c_seed)
    }

    /// V1 for the fixed part: length within [min, max] proof length, header, every coefficient < q,
    /// canonical z3.
    ///
    /// # Errors
    /// [`ProofError::Length`], [`ProofError::Header`], [`ProofError::CoefficientRange`],
    /// [`ProofError::NonCanonical`].
    pub fn decode<P: ZkParams<M = M>>(lay: &Layout, proof: &[u8]) -> Result<Self, ProofError> {
        if proof.len() < lay.min_proof_len() || proof.len() > lay.max_proof_len() {
            return Err(ProofError::Length);
        }
        Self::decode_fixed::<P>(lay, proof)
    }

    /// [`Messages::decode`] without the length range (only the fixed part must be present): the broken
    /// decoder of the codec forgers (`Disable::lax_z_codec`).
    ///
    /// # Errors
    /// As [`Messages::decode`].
    pub fn decode_fixed<P: ZkParams<M = M>>(
        lay: &Layout,
        proof: &[u8],
    ) -> Result<Self, ProofError> {
        if proof.get(..3) != Some(b"ZKP".as_slice())
            || proof.get(3) != Some(&VERSION)
            || proof.get(4) != Some(&P::ID)
            || proof.get(5..HEADER_BYTES) != Some(chunk_count_bytes(lay).as_slice())
        {
            return Err(ProofError::Header);
        }
        let rb = lay.ring_bytes();
        let ring_at = |off: usize| -> Result<Rq<M>, ProofError> {
            get_ring::<M>(proof.get(off..off + rb).ok_or(ProofError::Length)?)
        };
        let mut hd = Self::default();
        for r in 0..lay.zk.kmsis {
            hd.t_a[r] = ring_at(lay.off_ta() + r * rb)?;
        }
        for r in 0..Y3_BLOCKS {
            hd.t_y[r] = ring_at(lay.off_ty() + r * rb)?;
        }
        hd.t_b = ring_at(lay.off_tb())?;
        for r in 0..lay.zk.lambda {
            hd.t_g[r] = ring_at(lay.off_tg() + r * rb)?;
            hd.h[r] = ring_at(lay.off_h() + r * rb)?;
        }
        let mut rd = BitReader::new(
            proof
                .get(lay.off_z3()..lay.off_h())
                .ok_or(ProofError::Length)?,
        );
        for x in &mut hd.z3 {
            *x = rd.get(lay.zk.w3)?;
        }
        rd.finish()?;
        hd.t_t = ring_at(lay.off_tt())?;
        hd.c_seed.copy_from_slice(
            proof
                .get(lay.off_cseed()..lay.off_z1u())
                .ok_or(ProofError::Length)?,
        );
        Ok(hd)
    }
}

/// LSB-first bit writer over a caller buffer (public values only: z is output after rejection).
pub struct BitWriter<'a> {
    buf: &'a mut [u8],
    bit: usize,
}

impl<'a> BitWriter<'a> {
    /// A writer at the start of `buf` (which must be zeroed by the caller or fully overwritten).
    pub fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, bit: 0 }
    }
    /// Appends v ∈ [−(2^(w−1) − 1), 2^(w−1) − 1] as v + 2^(w−1) − 1 in w bits. Returns false if out of range.
    pub fn put(&mut self, v: i64, w: u32) -> bool {
        let off = (1i64 << (w - 1)) - 1;
        if v < -off || v > off {
            return false;
        }
        let u = (v + off).cast_unsigned(); // v + off ≥ 0 after the range check
        for t in 0..w as usize {
            let pos = self.bit + t;
            let byte = pos / 8;
            let sh = pos % 8;
            if let Some(b) = self.buf.get_mut(byte) {
                *b = (*b & !(1 << sh)) | ((((u >> t) & 1) as u8) << sh);
            } else {
                return false;
            }
        }
        self.bit += w as usize;
        true
    }
    /// [`BitWriter::put`] without a branch on `v` (the prover's responses, before the accept bit makes them
    /// public): always writes w bits (those of v + 2^(w−1) − 1, truncated) and returns whether v fit. The only
    /// branch is on the public bit position.
    pub fn put_ct(&mut self, v: i64, w: u32) -> bool {
        let off = (1i64 << (w - 1)) - 1;
        let shifted = i128::from(v) + i128::from(off);
        let room = 2 * i128::from(off) - shifted;
        let fits = (((shifted | room) >> 127) & 1) ^ 1;
        let u = low_u64(shifted.cast_unsigned()); // truncated when v does not fit (then `fits` is 0)
        for t in 0..w as usize {
            let pos = self.bit + t;
            if let Some(b) = self.buf.get_mut(pos / 8) {
                let sh = pos % 8;
                *b = (*b & !(1 << sh)) | ((((u >> t) & 1) as u8) << sh);
            }
        }
        self.bit += w as usize;
        fits == 1
    }
    /// Zeroes the padding bits up to the next byte boundary.
    pub fn finish(self) {
        let mut pos = self.bit;
        while !pos.is_multiple_of(8) {
            if let Some(b) = self.buf.get_mut(pos / 8) {
                *b &= !(1 << (pos % 8));
            }
            pos += 1;
        }
    }
}

/// LSB-first bit reader, the exact inverse of [`BitWriter`].
pub struct BitReader<'a> {
    buf: &'a [u8],
    bit: usize,
}

impl<'a> BitReader<'a> {
    /// A reader at the start of `buf`.
    #[must_use]
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, bit: 0 }
    }
    /// Reads one w-bit value; the all-ones pattern is non-canonical.
    pub fn get(&mut self, w: u32) -> Result<i64, ProofError> {
        let mut u = 0u64;
        for t in 0..w as usize {
            let pos = self.bit + t;
            let b = self.buf.get(pos / 8).ok_or(ProofError::Length)?;
            u |= u64::from((b >> (pos % 8)) & 1) << t;
        }
        self.bit += w as usize;
        let off = (1i64 << (w - 1)) - 1;
        if u == (1u64 << w) - 1 {
            return Err(ProofError::NonCanonical);
        }
        Ok(u.cast_signed() - off) // u < 2^w ≤ 2^63
    }
    /// Checks that the padding bits up to the next byte boundary are zero.
    pub fn finish(self) -> Result<(), ProofError> {
        let mut pos = self.bit;
        while !pos.is_multiple_of(8) {
            let b = self.buf.get(pos / 8).ok_or(ProofError::Length)?;
            if (b >> (pos % 8)) & 1 != 0 {
                return Err(ProofError::NonCanonical);
            }
            pos += 1;
        }
        Ok(())
    }
}

/// The coefficient classes of z in wire order (§12.1): the u blocks of z1 (σ_s code), its m blocks
/// (σ_m code), then its υ blocks and z2 (σ_s code), as (coefficient count, code, staged width).
#[must_use]
pub fn z_classes(lay: &Layout) -> [(usize, RiceCode, u32); 3] {
    [
        (lay.k * D, lay.code_s(), lay.zk.ws),
        (lay.dim_m(), lay.code_m(), lay.zk.wm),
        ((GROUPS + lay.zk.m2()) * D, lay.code_s(), lay.zk.ws),
    ]
}

/// Streaming encoder of z in wire order, coefficient by coefficient, O(1) state: it picks each
/// coefficient's code from its position. For a prover that emits the proof as it goes (the fixed part
/// first, then z) and for tests that build proofs from the public equations.
#[derive(Debug)]
pub struct ZWriter {
    classes: [(usize, RiceCode, u32); 3],
    class: usize,
    done: usize,
    wr: RiceWriter,
}

impl ZWriter {
    /// An encoder at the first coefficient of z for `lay`.
    #[must_use]
    pub fn new(lay: &Layout) -> Self {
        Self {
            classes: z_classes(lay),
            class: 0,
            done: 0,
            wr: RiceWriter::new(),
        }
    }

    /// Appends the next coefficient.
    ///
    /// # Errors
    /// [`CodecError::OutOfRange`] for a value above its class bound or past the last coefficient; a sink
    /// error.
    pub fn push<S: Sink>(&mut self, sink: &mut S, x: i64) -> Result<(), CodecError> {
        while self.class < 3 && self.done == self.classes[self.class].0 {
            self.class += 1;
            self.done = 0;
        }
        let (_, code, _) = self.classes.get(self.class).ok_or(CodecError::OutOfRange)?;
        self.wr.push(sink, x, code)?;
        self.done += 1;
        Ok(())
    }

    /// Pads the last byte.
    ///
    /// # Errors
    /// [`CodecError::Truncated`] if coefficients are missing; a sink error.
    pub fn finish<S: Sink>(self, sink: &mut S) -> Result<(), CodecError> {
        let pushed: usize = self.classes[..self.class]
            .iter()
            .map(|c| c.0)
            .sum::<usize>()
            + self.done;
        if pushed != self.classes.iter().map(|c| c.0).sum::<usize>() {
            return Err(CodecError::Truncated);
        }
        self.wr.finish(sink)
    }
}

impl From<CodecError> for ProofError {
    fn from(e: CodecError) -> Self {
        match e {
            CodecError::Truncated | CodecError::TrailingBytes | CodecError::SinkFull => {
                Self::Length
            }
            CodecError::OverlongRun | CodecError::OutOfRange => Self::ZRange,
            CodecError::NonZeroPadding => Self::NonCanonical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn packing_roundtrips(vals in proptest::collection::vec(-(1i64 << 22) + 1..(1i64 << 22), 1..50)) {
            let mut buf = [0u8; 200];
            let mut w = BitWriter::new(&mut buf);
            for &v in &vals { prop_assert!(w.put(v, 23)); }
            w.finish();
            let mut r = BitReader::new(&buf);
            for &v in &vals { prop_assert_eq!(r.get(23).unwrap(), v); }
            prop_assert!(r.finish().is_ok());
        }

        #[test]
        fn branch_free_packing_matches_put(vals in proptest::collection::vec(any::<i64>(), 1..50), w in 2u32..40) {
            let mut a = [0u8; 260];
            let mut b = [0u8; 260];
            let mut wa = BitWriter::new(&mut a);
            let mut wb = BitWriter::new(&mut b);
            let off = (1i64 << (w - 1)) - 1;
            for &v in &vals {
                let fits = wb.put_ct(v, w);
                prop_assert_eq!(fits, v >= -off && v <= off);
                if fits {
                    prop_assert!(wa.put(v, w));
                } else {
                    // Keep both writers at the same position for the next value.
                    prop_assert!(wa.put(0, w));
                    return Ok(());
                }
            }
            wa.finish();
            wb.finish();
            prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn forbidden_pattern_and_padding_rejected() {
        let buf = [0xffu8; 3];
        assert_eq!(BitReader::new(&buf).get(23), Err(ProofError::NonCanonical));
        let mut buf = [0u8; 3];
        let mut w = BitWriter::new(&mut buf);
        assert!(w.put(5, 23));
        w.finish();
        buf[2] |= 0x80;
        let mut r = BitReader::new(&buf);
        assert_eq!(r.get(23), Ok(5));
        assert_eq!(r.finish(), Err(ProofError::NonCanonical));
        let mut buf = [0u8; 3];
        assert!(!BitWriter::new(&mut buf).put(1 << 22, 23));
    }
}
