//! The statement's polynomials without all of them in RAM (`zkfl_core::zk::statement::ChunkSource`): pk.a
//! and b_j are read again from the host's key file (`bfv-pk.bin`) and c1 and c0_j from the ciphertext file
//! the device wrote while encrypting (`ciphertext.bin`) whenever a prover pass asks for them. One
//! polynomial at a time is in RAM.
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

/// pk.a and b_j from the key file, c1 and c0_j from the ciphertext file.
pub struct DeviceChunks {
    key: RefCell<File>,
    ciphertext: RefCell<File>,
    chunks: usize,
    failed: Cell<bool>,
}

impl DeviceChunks {
    /// Over the open key file and the open file of the `wire::bfv` encoding of (c1, c0_1..c0_L).
    pub fn new(key: File, ciphertext: File, chunks: usize) -> Self {
        Self {
            key: RefCell::new(key),
            ciphertext: RefCell::new(ciphertext),
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

    /// Reads and decodes polynomial `i` (pk.a or c1 at 0, b_j or c0_j at j + 1: both files are
    /// `wire::bfv` encodings).
    fn read(&self, file: &RefCell<File>, i: usize, out: &mut [u64; N]) {
        let mut buf = [0u8; POLY_BYTES];
        let read = {
            let mut f = file.borrow_mut();
            f.seek(poly_offset::<SetS>(i))
                .and_then(|()| f.read_exact(&mut buf))
        };
        match read {
            Ok(()) => self.decode(&buf, i, out),
            Err(_) => self.fail(out),
        }
    }

    fn fail(&self, out: &mut [u64; N]) {
        self.failed.set(true);
        *out = [0; N];
    }
}

impl ChunkSource<Q44, N> for DeviceChunks {
    fn chunks(&self) -> usize {
        self.chunks
    }

    // Out of line (all): the read buffers then live only during the read, not in the prover's frames.
    #[inline(never)]
    fn pk_a(&self, out: &mut [<Q44 as Modulus>::Coeff; N]) {
        self.read(&self.key, 0, out);
    }

    #[inline(never)]
    fn c1(&self, out: &mut [<Q44 as Modulus>::Coeff; N]) {
        self.read(&self.ciphertext, 0, out);
    }

    #[inline(never)]
    fn pk_b(&self, j: usize, out: &mut [<Q44 as Modulus>::Coeff; N]) {
        self.read(&self.key, j + 1, out);
    }

    #[inline(never)]
    fn c0(&self, j: usize, out: &mut [<Q44 as Modulus>::Coeff; N]) {
        self.read(&self.ciphertext, j + 1, out);
    }
}
