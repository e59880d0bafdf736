//! ZKFL-PQ core: everything a clinic needs to encrypt and prove a model update, and everything the
//! aggregator needs to check it. `no_std`, no allocator in the default features, fixed-size buffers.
#![no_std]
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;
