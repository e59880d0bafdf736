//! Browser bindings over `zkfl-core` for the clinic page (`web-demo/`, docs/BROWSER.md). Thin by design: every
//! cryptographic step is a call into `zkfl-core`; this crate only converts between JavaScript values and core
//! types, supplies the browser's randomness, reports progress and turns core errors into typed JS errors.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod announcement;
pub mod attacker;
pub mod clinic;
pub mod error;
pub mod info;
#[cfg(feature = "kat")]
pub mod kat;
pub mod learn;
pub mod progress;
pub mod rng;

pub use error::{ClinicError, ErrorCode};
