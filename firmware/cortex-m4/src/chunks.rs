//! The statement's per-chunk polynomials without all of them in RAM (`zkfl_core::zk::statement::ChunkSource`):
//! b_j is read again from the host's key file (`bfv-pk.bin`) whenever a prover pass asks for it, and c0_j is
//! decoded from the ciphertext already encoded in the envelope buffer. One polynomial at a time is in RAM.
//!
//! The key file was hashed against the announced SHA3-256 while the chunks were encrypted (`main.rs`); a
//! host that serves other b_j to the prover later only makes a proof that the aggregator refuses (the
//! verifier recomputes everything from the announced key), it cannot change what was encrypted.

use core::cell::{Cell, RefCell};

use zkfl_core::arith::{Modulus, Q44};
use zkfl_core::params::SetS;
use zkfl_core::wire::bfv::poly_offset;
use zkfl_core::wire::poly::decode_poly;
use zkfl_core::zk::statement::ChunkSource;

use crate::host::File;
use crate::{N, POLY_BYTES, Poly44};

/// b_j from the key file, c0_j from the encoded ciphertext.
pub struct DeviceChunks<'e> {
    key: RefCell<File>,
    ciphertext: &'e [u8],
    chunks: usize,
    failed: Cell<bool>,
}

impl<'e> DeviceChunks<'e> {
    /// Over the open key file and the `wire::bfv` encoding of (c1, c0_1..c0_L).
    pub fn new(key: File, ciphertext: &'e [u8], chunks: usize) -> Self {
        Self {
            key: RefCell::new(key),
            ciphertext,
            chunks,
            failed: Cell::new(false),
        }
    }

    /// True if a read failed (that polynomial was served as zeros: the proof is void, send nothing).
    pub fn failed(&self) -> bool {
        self.failed.get()
    }

    /// Decodes polynomial `i` of a `wire::bfv` encoding from `bytes` into `out`.
    fn decode(&self, bytes: &[u8], i: usize, out: &mut [u64; N]) {
        let mut p = Poly44::zero();
        if decode_poly(bytes, i * N, &mut p).is_ok() {
            *out = p.coeffs;
        } else {
            self.fail(out);
        }
    }

    fn fail(&self, out: &mut [u64; N]) {
        self.failed.set(true);
        *out = [0; N];
    }
}

impl ChunkSource<Q44, N> for DeviceChunks<'_> {
    fn chunks(&self) -> usize {
        self.chunks
    }

    // Out of line (both): the read buffers then live only during the read, not in the prover's frames.
    #[inline(never)]
    fn pk_b(&self, j: usize, out: &mut [<Q44 as Modulus>::Coeff; N]) {
        let mut buf = [0u8; POLY_BYTES];
        let read = {
            let mut f = self.key.borrow_mut();
            f.seek(poly_offset::<SetS>(j + 1))
                .and_then(|()| f.read_exact(&mut buf))
        };
        match read {
            Ok(()) => self.decode(&buf, j + 1, out),
            Err(_) => self.fail(out),
        }
    }

    #[inline(never)]
    fn c0(&self, j: usize, out: &mut [<Q44 as Modulus>::Coeff; N]) {
        let at = poly_offset::<SetS>(j + 1);
        match self.ciphertext.get(at..at + POLY_BYTES) {
            Some(bytes) => self.decode(bytes, j + 1, out),
            None => self.fail(out),
        }
    }
}
