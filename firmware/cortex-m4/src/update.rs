//! The float update, streamed from the host file `update.f32` (little-endian f32) a piece at a time: one
//! pass for ‖d‖² (the clip factor), then every chunk read, clipped and quantized again whenever the encryptor
//! or one of the prover's passes asks for it (`UpdateSource`). Nothing of the update stays in RAM besides
//! one N-coefficient chunk, which the caller owns; the cost is one file read of the chunk per pass.

use crate::host::File;
use crate::{Error, N};
use zkfl_core::quant::{ClipFactor, Quantizer, SquareSum};
use zkfl_core::zk::prove::UpdateSource;

/// Floats read per host call.
const PIECE: usize = 256;

/// The update file with its clip factor.
pub struct UpdateFile {
    file: File,
    dim: usize,
    factor: ClipFactor,
    failed: bool,
}

impl UpdateFile {
    /// Opens `name` (exactly P floats) and computes the clip factor in one pass.
    pub fn open(name: &[u8], quant: &Quantizer) -> Result<Self, Error> {
        let io = |e| Error::Io("update.f32", e);
        let mut file = File::open(name).map_err(io)?;
        let dim = quant.params();
        if file.len().map_err(io)? != 4 * dim {
            return Err(Error::Terms("update length"));
        }
        let mut sum = SquareSum::default();
        let mut piece = [0f32; PIECE];
        let mut at = 0;
        while at < dim {
            let n = PIECE.min(dim - at);
            read_floats(&mut file, &mut piece[..n]).map_err(io)?;
            sum.add(&piece[..n]);
            at += n;
        }
        let factor = quant
            .clip_factor_of(&sum)
            .map_err(|_| Error::Terms("update values"))?;
        Ok(Self {
            file,
            dim,
            factor,
            failed: false,
        })
    }

    /// True if a chunk could not be read (its coefficients were then zeros and no proof may be sent).
    pub fn failed(&self) -> bool {
        self.failed
    }

    fn read_chunk(&mut self, j: usize, out: &mut [i64; N]) -> Result<(), crate::host::IoError> {
        out.fill(0);
        let start = j * N;
        if start >= self.dim {
            return Ok(());
        }
        self.file.seek(4 * start)?;
        let mut piece = [0f32; PIECE];
        let end = self.dim.min(start + N);
        let mut at = start;
        while at < end {
            let n = PIECE.min(end - at);
            read_floats(&mut self.file, &mut piece[..n])?;
            for (o, &d) in out[at - start..at - start + n].iter_mut().zip(&piece[..n]) {
                *o = self.factor.quantize(d);
            }
            at += n;
        }
        Ok(())
    }
}

impl UpdateSource<N> for UpdateFile {
    fn chunk(&mut self, j: usize, out: &mut [i64; N]) {
        if self.read_chunk(j, out).is_err() {
            self.failed = true;
            out.fill(0);
        }
    }
}

/// Reads `out.len()` little-endian f32 values.
fn read_floats(file: &mut File, out: &mut [f32]) -> Result<(), crate::host::IoError> {
    let mut bytes = [0u8; 4 * PIECE];
    let b = &mut bytes[..4 * out.len()];
    file.read_exact(b)?;
    for (o, c) in out.iter_mut().zip(b.chunks_exact(4)) {
        *o = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    Ok(())
}
