//! ZKFL-PQ core: everything a clinic needs to encrypt and prove a model update, and everything the
//! aggregator needs to check it. `no_std`, no allocator in the default features, fixed-size buffers.
//!
//! Module map (each module names the section of `docs/PROTOCOL.md` or of the design it implements):
#![no_std]
#![deny(missing_docs)]
// Unsafe code is denied; the one exception is the valgrind client request of `ct` (feature `valgrind-ct`
// only, allowed on that item, documented there).
#![deny(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod arith;
pub mod bfv;
pub mod channel;
#[cfg(feature = "alloc")]
pub mod clinic;
pub mod ct;
pub mod params;
pub mod quant;
pub mod ring;
pub mod threshold;
pub mod wire;
pub mod zk;
