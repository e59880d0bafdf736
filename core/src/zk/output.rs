//! Where the prover's output goes (PROTOCOL §10, docs/FIRMWARE.md): the staged fixed-width z of every
//! attempt and, once one is accepted, the proof (its fixed part, then the Rice code of z).
//!
//! Two outputs with the same proof bytes: a caller's buffer of `Layout::prove_buf_len()` bytes, where the
//! accepted z is re-encoded in place (`prove`, `prove_chunked`), and a [`ProofStore`] (`prove_to_store`),
//! for a device that cannot hold a buffer growing with L: the staged z goes to the store in pieces, masked
//! with a keystream from the prover's secret mask seed (the store never sees a response in the clear, and a
//! rejected response must stay secret), and the proof is appended to the store as it is encoded.

use super::codec::{CodecError, Sink};
use super::derive::xof256;
use super::layout::Layout;
use super::proof::{BitWriter, ZWriter, put_ring, z_classes};
use super::prove::ProveError;
use super::rq::{D, Rq};
use super::schedule::Seed;
use crate::arith::Modulus;
use crate::arith::cast::{low_u8, low_u64};
use crate::ct::declassify;
use shake::XofReader;
use zeroize::Zeroize;

/// Storage a streaming prover writes to (`zk::prove::prove_to_store`): a scratch area for the staged z of
/// the current attempt (rewritten from offset 0 by every attempt, read back once an attempt is accepted) and
/// the proof, appended in order. On a device, the scratch area is any storage the device can read back (its
/// own flash, a file on the gateway): what it holds is masked by the prover. Every read of the scratch area
/// must return what was written there; a store that fails makes the prover return `ProveError::Store`.
pub trait ProofStore {
    /// Writes `bytes` at byte `offset` of the scratch area.
    fn write_staged(&mut self, offset: usize, bytes: &[u8]) -> bool;
    /// Reads `out.len()` bytes at byte `offset` of the scratch area.
    fn read_staged(&mut self, offset: usize, out: &mut [u8]) -> bool;
    /// Appends the next bytes of the proof.
    fn append_proof(&mut self, bytes: &[u8]) -> bool;
}

/// Bytes the streaming output moves per store call (and buffers).
pub const STORE_PIECE: usize = 512;

/// A writer of the fixed-width staged z (`Responses`): the bits of v + 2^(w−1) − 1, LSB first, without a
/// branch on v.
pub(crate) trait StagedBits {
    /// Appends v in w bits; returns whether it fit.
    fn put_ct(&mut self, v: i64, w: u32) -> bool;
    /// Flushes the last partial byte.
    fn finish(self);
}

impl StagedBits for BitWriter<'_> {
    fn put_ct(&mut self, v: i64, w: u32) -> bool {
        BitWriter::put_ct(self, v, w)
    }
    fn finish(self) {
        BitWriter::finish(self);
    }
}

/// Where `prove_checked` puts the staged z of each attempt and the accepted proof.
pub(crate) trait Output {
    /// The writer of one attempt's staged z.
    type Staged<'b>: StagedBits
    where
        Self: 'b;
    /// Bytes of room (checked against `Layout::prove_buf_len` by the prover; a store has no limit).
    fn room(&self) -> usize;
    /// The writer for attempt `attempt` (`seed`: the prover's secret mask seed, for the store's mask).
    fn staged<'b>(&'b mut self, lay: &Layout, seed: &[u8; 32], attempt: u64) -> Self::Staged<'b>;
    /// Whether the last attempt's staged z reached its storage.
    fn check(&self) -> Result<(), ProveError>;
    /// Appends the next bytes of the proof's fixed part, in wire order (header, t_A, t_y, t_β, t_g, z3, h),
    /// as soon as the prover has them: it then keeps only what a later step reads (z3, h), not the
    /// commitments (docs/FIRMWARE.md). Every such field is public once the proof is sent.
    fn fixed(&mut self, bytes: &[u8]);
    /// Writes the rest of the accepted proof (t_t, the c-seed, then the Rice code of the staged z of
    /// attempt `attempt`) after the fixed part already appended; returns the proof's length.
    fn accept<M: Modulus>(
        &mut self,
        lay: &Layout,
        t_t: &Rq<M>,
        c_seed: &Seed,
        seed: &[u8; 32],
        attempt: u64,
    ) -> Result<usize, ProveError>;
}

/// The bytes of ring element `x` as the proof encodes it, handed to `emit`.
pub(crate) fn with_ring_bytes<M: Modulus, R>(
    lay: &Layout,
    x: &Rq<M>,
    emit: impl FnOnce(&[u8]) -> R,
) -> R {
    let mut buf = [0u8; D * 16];
    let rb = lay.ring_bytes();
    put_ring(x, &mut buf[..rb]);
    emit(&buf[..rb])
}

/// The caller's buffer (at least `Layout::prove_buf_len()` bytes): the fixed part from offset 0 as it is
/// produced, the staged z at `Layout::off_staged`, re-encoded in place.
pub(crate) struct SliceOut<'o> {
    buf: &'o mut [u8],
    /// End of the fixed part written so far.
    at: usize,
}

impl<'o> SliceOut<'o> {
    pub(crate) fn new(buf: &'o mut [u8]) -> Self {
        Self { buf, at: 0 }
    }
}

impl Output for SliceOut<'_> {
    type Staged<'b>
        = BitWriter<'b>
    where
        Self: 'b;

    fn room(&self) -> usize {
        self.buf.len()
    }

    fn staged<'b>(&'b mut self, lay: &Layout, _: &[u8; 32], _: u64) -> BitWriter<'b> {
        let off = lay.off_staged();
        BitWriter::new(&mut self.buf[off..off + lay.staged_bits().div_ceil(8)])
    }

    fn check(&self) -> Result<(), ProveError> {
        Ok(())
    }

    fn fixed(&mut self, bytes: &[u8]) {
        // In range: the prover checked the buffer against `prove_buf_len` before its first byte, and the
        // fixed part ends at `off_tt` < `off_staged`.
        self.buf[self.at..self.at + bytes.len()].copy_from_slice(bytes);
        self.at += bytes.len();
    }

    fn accept<M: Modulus>(
        &mut self,
        lay: &Layout,
        t_t: &Rq<M>,
        c_seed: &Seed,
        _: &[u8; 32],
        _: u64,
    ) -> Result<usize, ProveError> {
        if self.at != lay.off_tt() {
            return Err(ProveError::Encoding);
        }
        put_ring(t_t, &mut self.buf[lay.off_tt()..]);
        self.buf[lay.off_cseed()..lay.off_z1u()].copy_from_slice(c_seed);
        // Public from here: the accepted z is what the clinic sends.
        declassify(&self.buf[..lay.prove_buf_len()]);
        encode_z(lay, self.buf)
    }
}

/// A [`ProofStore`] as the prover's output.
pub(crate) struct StoreOut<'k, K: ProofStore> {
    pub(crate) store: &'k mut K,
    /// A store call failed.
    pub(crate) failed: bool,
    /// An append of the fixed part failed (reported by `accept`).
    pub(crate) fixed_failed: bool,
}

impl<K: ProofStore> Output for StoreOut<'_, K> {
    type Staged<'b>
        = MaskedStaged<'b, K>
    where
        Self: 'b;

    fn room(&self) -> usize {
        usize::MAX
    }

    fn staged<'b>(&'b mut self, _: &Layout, seed: &[u8; 32], attempt: u64) -> MaskedStaged<'b, K> {
        self.failed = false;
        MaskedStaged {
            store: &mut *self.store,
            failed: &mut self.failed,
            pad: StagedPad::new(seed, attempt),
            buf: [0; STORE_PIECE],
            bit: 0,
            offset: 0,
        }
    }

    fn check(&self) -> Result<(), ProveError> {
        if self.failed {
            Err(ProveError::Store)
        } else {
            Ok(())
        }
    }

    fn fixed(&mut self, bytes: &[u8]) {
        if !self.store.append_proof(bytes) {
            self.fixed_failed = true;
        }
    }

    fn accept<M: Modulus>(
        &mut self,
        lay: &Layout,
        t_t: &Rq<M>,
        c_seed: &Seed,
        seed: &[u8; 32],
        attempt: u64,
    ) -> Result<usize, ProveError> {
        let store = &mut *self.store;
        let mut len = lay.off_z1u();
        if self.fixed_failed
            || !with_ring_bytes(lay, t_t, |b| store.append_proof(b))
            || !store.append_proof(c_seed)
        {
            return Err(ProveError::Store);
        }
        // z is public now: read back, unmasked, and Rice coded into the proof.
        let mut rd = StagedReader {
            pad: StagedPad::new(seed, attempt),
            buf: [0; STORE_PIECE],
            offset: 0,
            total: lay.staged_bits().div_ceil(8),
            bit: STORE_PIECE * 8,
            failed: false,
        };
        let mut sink = PieceSink {
            store,
            buf: [0; STORE_PIECE],
            n: 0,
            written: 0,
            failed: false,
        };
        let mut wr = ZWriter::new(lay);
        for (dim, _, w) in z_classes(lay) {
            for _ in 0..dim {
                let x = rd.read(sink.store, w);
                wr.push(&mut sink, x).map_err(|_| ProveError::Encoding)?;
            }
        }
        wr.finish(&mut sink).map_err(|_| ProveError::Encoding)?;
        sink.flush();
        if rd.failed || sink.failed {
            return Err(ProveError::Store);
        }
        len += sink.written;
        Ok(len)
    }
}

/// The keystream that masks the staged z of one attempt in a store: SHAKE256 keyed by the prover's secret
/// mask seed, labelled by the attempt (a fresh stream per attempt and proof).
pub(crate) struct StagedPad {
    xof: shake::Shake256Reader,
}

impl StagedPad {
    fn new(seed: &[u8; 32], attempt: u64) -> Self {
        Self {
            xof: xof256(b"staged-z-pad", seed, &[attempt]),
        }
    }

    /// XORs the next `buf.len()` keystream bytes into `buf`.
    fn apply(&mut self, buf: &mut [u8]) {
        let mut ks = [0u8; STORE_PIECE];
        let ks = &mut ks[..buf.len()];
        self.xof.read(ks);
        for (b, k) in buf.iter_mut().zip(ks.iter()) {
            *b ^= k;
        }
        ks.zeroize();
    }
}

/// The staged z of one attempt, bit by bit into a piece that is masked and written to the store when full
/// (the flush depends on the bit position only, which is public).
pub(crate) struct MaskedStaged<'b, K: ProofStore> {
    store: &'b mut K,
    failed: &'b mut bool,
    pad: StagedPad,
    buf: [u8; STORE_PIECE],
    bit: usize,
    offset: usize,
}

impl<K: ProofStore> MaskedStaged<'_, K> {
    fn flush(&mut self, bytes: usize) {
        self.pad.apply(&mut self.buf[..bytes]);
        if !self.store.write_staged(self.offset, &self.buf[..bytes]) {
            *self.failed = true;
        }
        self.offset += bytes;
        self.buf.zeroize();
        self.bit = 0;
    }
}

impl<K: ProofStore> StagedBits for MaskedStaged<'_, K> {
    fn put_ct(&mut self, v: i64, w: u32) -> bool {
        let off = (1i64 << (w - 1)) - 1;
        let shifted = i128::from(v) + i128::from(off);
        let room = 2 * i128::from(off) - shifted;
        let fits = (((shifted | room) >> 127) & 1) ^ 1;
        // The low w bits of the offset value, written whether it fits or not (`fits` says which): no branch
        // on the secret.
        let u = low_u64(shifted.cast_unsigned());
        for t in 0..w {
            if self.bit == STORE_PIECE * 8 {
                self.flush(STORE_PIECE);
            }
            let sh = self.bit & 7;
            let b = &mut self.buf[self.bit >> 3];
            *b = (*b & !(1 << sh)) | (low_u8((u >> t) & 1) << sh);
            self.bit += 1;
        }
        fits == 1
    }

    fn finish(mut self) {
        let bytes = self.bit.div_ceil(8);
        // Padding bits of the last byte are zero (the buffer is zeroed after every flush).
        self.flush(bytes);
    }
}

impl<K: ProofStore> Drop for MaskedStaged<'_, K> {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

/// Reads the accepted staged z back from the store (z is public now), piece by piece.
struct StagedReader {
    pad: StagedPad,
    buf: [u8; STORE_PIECE],
    /// Bytes of the staged copy read so far, and in all.
    offset: usize,
    total: usize,
    bit: usize,
    failed: bool,
}

impl StagedReader {
    /// The next staged value of `w` bits (the inverse of `StagedBits::put_ct`).
    fn read<K: ProofStore>(&mut self, store: &mut K, w: u32) -> i64 {
        let mut u = 0u64;
        for t in 0..w {
            if self.bit == STORE_PIECE * 8 {
                let n = STORE_PIECE.min(self.total.saturating_sub(self.offset));
                self.buf.fill(0);
                if !store.read_staged(self.offset, &mut self.buf[..n]) {
                    self.failed = true;
                }
                self.pad.apply(&mut self.buf[..n]);
                self.offset += n;
                self.bit = 0;
            }
            u |= u64::from((self.buf[self.bit >> 3] >> (self.bit & 7)) & 1) << t;
            self.bit += 1;
        }
        // u < 2^w with w ≤ 63 (the wire widths), so it is its own value as i64.
        u.cast_signed() - ((1i64 << (w - 1)) - 1)
    }
}

/// Rice-code bytes collected into a piece and appended to the store's proof whenever it is full.
struct PieceSink<'s, K: ProofStore> {
    store: &'s mut K,
    buf: [u8; STORE_PIECE],
    n: usize,
    written: usize,
    failed: bool,
}

impl<K: ProofStore> PieceSink<'_, K> {
    fn flush(&mut self) {
        if self.n > 0 && !self.store.append_proof(&self.buf[..self.n]) {
            self.failed = true;
        }
        self.written += self.n;
        self.n = 0;
    }
}

impl<K: ProofStore> Sink for PieceSink<'_, K> {
    fn put_byte(&mut self, b: u8) -> Result<(), CodecError> {
        if self.n == STORE_PIECE {
            self.flush();
        }
        self.buf[self.n] = b;
        self.n += 1;
        Ok(())
    }
}

/// The output buffer as a sink that writes the Rice code of z at `off_z1u` while the staged fixed-width
/// copy is read further on: a byte may be written only once the reader has consumed every staged bit in
/// it (`Layout::off_staged` guarantees this for any z within V4's bounds; the check makes a violation an
/// error, not a corruption).
struct InPlace<'o> {
    buf: &'o mut [u8],
    w: usize,
    staged: usize,
    r_bit: usize,
}

impl InPlace<'_> {
    /// Reads the next staged value of `w` bits (the inverse of `BitWriter::put`).
    fn read(&mut self, w: u32) -> i64 {
        let mut u = 0u64;
        let start = self.staged * 8;
        let mut pos = start + self.r_bit;
        for t in 0..w {
            u |= u64::from((self.buf[pos >> 3] >> (pos & 7)) & 1) << t;
            pos += 1;
        }
        self.r_bit = pos - start;
        // u < 2^w with w ≤ 63 (the wire widths), so it is its own value as i64.
        u.cast_signed() - ((1i64 << (w - 1)) - 1)
    }
}

impl Sink for InPlace<'_> {
    fn put_byte(&mut self, b: u8) -> Result<(), CodecError> {
        if (self.w + 1) * 8 > self.staged * 8 + self.r_bit {
            return Err(CodecError::SinkFull);
        }
        self.buf[self.w] = b;
        self.w += 1;
        Ok(())
    }
}

/// Re-encodes the accepted, staged z in place as the Rice code of §12.1 (z is public now: its running time
/// depends on z only), zeroes the rest of the buffer and returns the proof length.
fn encode_z(lay: &Layout, out: &mut [u8]) -> Result<usize, ProveError> {
    let mut sink = InPlace {
        buf: &mut out[..lay.prove_buf_len()],
        w: lay.off_z1u(),
        staged: lay.off_staged(),
        r_bit: 0,
    };
    let mut wr = ZWriter::new(lay);
    for (dim, _, w) in z_classes(lay) {
        for _ in 0..dim {
            let x = sink.read(w);
            wr.push(&mut sink, x).map_err(|_| ProveError::Encoding)?;
        }
    }
    wr.finish(&mut sink).map_err(|_| ProveError::Encoding)?;
    let len = sink.w;
    sink.buf[len..].fill(0);
    Ok(len)
}
