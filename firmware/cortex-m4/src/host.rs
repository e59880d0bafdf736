//! The host's files through ARM semihosting (open, length, seek, read, write, close): the round's inputs
//! come in and the sealed submission goes out this way under QEMU. On a real board these calls are
//! replaced by the transport the board has (UART, USB, a flash partition): see docs/FIRMWARE.md.

use cortex_m_semihosting::{nr, syscall};

/// An open host file (semihosting handle).
pub struct File(usize);

/// Why a host file operation failed.
#[derive(Debug, Clone, Copy)]
pub enum IoError {
    /// The host refused to open the file.
    Open,
    /// A read or write transferred fewer bytes than asked.
    Short,
    /// Seeking or asking for the length failed.
    Seek,
}

impl File {
    /// Opens `name` (NUL-terminated) for reading (binary).
    pub fn open(name: &[u8]) -> Result<Self, IoError> {
        Self::open_mode(name, nr::open::R_BINARY)
    }

    /// Creates or truncates `name` (NUL-terminated) for writing (binary).
    pub fn create(name: &[u8]) -> Result<Self, IoError> {
        Self::open_mode(name, nr::open::W_TRUNC_BINARY)
    }

    /// Creates or truncates `name` (NUL-terminated) for writing and reading back (binary).
    pub fn create_rw(name: &[u8]) -> Result<Self, IoError> {
        Self::open_mode(name, nr::open::RW_TRUNC_BINARY)
    }

    fn open_mode(name: &[u8], mode: usize) -> Result<Self, IoError> {
        debug_assert_eq!(name.last(), Some(&0));
        // SAFETY: SYS_OPEN reads `len` bytes of the NUL-terminated name; the slice outlives the call.
        let h = unsafe { syscall!(OPEN, name.as_ptr(), mode, name.len() - 1) };
        if h as isize == -1 {
            Err(IoError::Open)
        } else {
            Ok(Self(h))
        }
    }

    /// The file's length in bytes.
    pub fn len(&self) -> Result<usize, IoError> {
        // SAFETY: SYS_FLEN takes the handle only.
        let n = unsafe { syscall!(FLEN, self.0) };
        if n as isize == -1 {
            Err(IoError::Seek)
        } else {
            Ok(n)
        }
    }

    /// Moves to absolute byte offset `pos`.
    pub fn seek(&mut self, pos: usize) -> Result<(), IoError> {
        // SAFETY: SYS_SEEK takes the handle and an offset.
        match unsafe { syscall!(SEEK, self.0, pos) } {
            0 => Ok(()),
            _ => Err(IoError::Seek),
        }
    }

    /// Fills `buf` from the current position.
    pub fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), IoError> {
        // SAFETY: SYS_READ writes at most `buf.len()` bytes into `buf`; it returns the bytes NOT read.
        let left = unsafe { syscall!(READ, self.0, buf.as_mut_ptr(), buf.len()) };
        if left == 0 {
            Ok(())
        } else {
            Err(IoError::Short)
        }
    }

    /// Writes all of `buf`.
    pub fn write_all(&mut self, buf: &[u8]) -> Result<(), IoError> {
        // SAFETY: SYS_WRITE reads `buf.len()` bytes from `buf`; it returns the bytes NOT written.
        let left = unsafe { syscall!(WRITE, self.0, buf.as_ptr(), buf.len()) };
        if left == 0 {
            Ok(())
        } else {
            Err(IoError::Short)
        }
    }
}

impl Drop for File {
    fn drop(&mut self) {
        // SAFETY: SYS_CLOSE takes the handle only; the handle is not used again.
        unsafe {
            syscall!(CLOSE, self.0);
        }
    }
}

/// Reads the whole of `name` into `buf`, which must be exactly its length.
pub fn read_file(name: &[u8], buf: &mut [u8]) -> Result<(), IoError> {
    let mut f = File::open(name)?;
    if f.len()? != buf.len() {
        return Err(IoError::Short);
    }
    f.read_exact(buf)
}
