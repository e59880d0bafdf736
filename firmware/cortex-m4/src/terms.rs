//! The round's terms from the host file `terms.bin` (`zkfl_core::wire::terms`, 88 bytes).

use crate::Error;
use crate::host;
use zkfl_core::wire::terms::{DeviceTerms, TERMS_BYTES};

/// Reads `terms.bin`.
pub fn read() -> Result<DeviceTerms, Error> {
    let mut b = [0u8; TERMS_BYTES];
    host::read_file(b"terms.bin\0", &mut b).map_err(|e| Error::Io("terms.bin", e))?;
    Ok(DeviceTerms::decode(&b))
}
