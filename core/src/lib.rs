//! ZKFL-PQ core: everything a clinic needs to encrypt and prove a model update, and everything the
//! aggregator needs to check it. `no_std`, no allocator in the default features, fixed-size buffers.
//!
//! Module map (each module names the section of `docs/PROTOCOL.md` or of the design it implements):
#![no_std]
#![deny(missing_docs)]
// Unsafe code is denied; the one exception is the valgrind client request of `ct` (feature `valgrind-ct`
// only, allowed on that item, documented there).
#![deny(unsafe_code)]
// Division and remainder are timing leaks on secrets (ml-kem's lint). Every `/` and `%` left in the library
// works on a public value (a modulus, a size, an index, a public bound) and is allowed where it stands,
// saying so; the unit tests divide freely. The pedantic lints are decided in Cargo.toml `[lints]`.
#![cfg_attr(not(test), warn(clippy::integer_division_remainder_used))]
// The unit tests convert freely too (fixtures, statistics, expected values); the library's conversions go
// through `From`/`TryFrom`, `cast_signed`/`cast_unsigned` or `arith::cast`, each saying why.
#![cfg_attr(
    test,
    allow(
        clippy::cast_possible_truncation,
        clippy::cast_precision_loss,
        clippy::cast_sign_loss,
        clippy::cast_possible_wrap
    )
)]

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
pub mod policy;
pub mod quant;
pub mod ring;
pub mod sets;
pub use sets::{set_l, set_s, set_xl};
// `threshold`'s modules are under the crate's lints like the others (threshold/mod.rs).
pub mod threshold;
pub mod wire;
pub mod zk;
