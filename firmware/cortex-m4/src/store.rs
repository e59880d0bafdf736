//! The prover's output on host storage (`zkfl_core::zk::prove::ProofStore`): the staged z of each attempt in
//! `staged.bin` (masked by the prover: the host never sees a response in the clear) and the proof appended
//! to `proof.bin`, hashed as it is written (the submission's proof hash). The device then holds no buffer
//! that grows with the chunk count; the sealer re-reads `proof.bin` and checks the hash again
//! (docs/FIRMWARE.md).

use zkfl_core::channel::{ContentHasher, ContentKind};
use zkfl_core::zk::prove::ProofStore;

use crate::host::File;

/// The host file holding the accepted proof between proving and sealing.
pub const PROOF_FILE: &[u8] = b"proof.bin\0";
/// The host file holding the masked staged z of the current attempt.
const STAGED_FILE: &[u8] = b"staged.bin\0";

/// `staged.bin` and `proof.bin`, opened for the prover.
pub struct HostStore {
    staged: File,
    proof: File,
    /// Hash of the proof bytes appended so far.
    pub hash: ContentHasher,
}

impl HostStore {
    /// Creates (truncates) both files.
    pub fn create() -> Result<Self, crate::host::IoError> {
        Ok(Self {
            staged: File::create_rw(STAGED_FILE)?,
            proof: File::create_rw(PROOF_FILE)?,
            hash: ContentHasher::new(ContentKind::Proof),
        })
    }
}

impl ProofStore for HostStore {
    fn write_staged(&mut self, offset: usize, bytes: &[u8]) -> bool {
        self.staged.seek(offset).is_ok() && self.staged.write_all(bytes).is_ok()
    }

    fn read_staged(&mut self, offset: usize, out: &mut [u8]) -> bool {
        self.staged.seek(offset).is_ok() && self.staged.read_exact(out).is_ok()
    }

    fn append_proof(&mut self, bytes: &[u8]) -> bool {
        self.hash.update(bytes);
        self.proof.write_all(bytes).is_ok()
    }
}
