//! ZKFL-PQ aggregator: the `zkfl` command-line tool and the aggregator service (docs/SERVICE.md, docs/API.md).
//!
//! Module map:
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Blocking HTTP client for the API.
pub mod client;
/// The clinic side: own keys, the verified round as the core pipeline sees it.
pub mod clinic;
/// Command-line interface: one module per subcommand.
pub mod commands;
/// Threshold mode: the key-holder committee's roster, member state and message handling (docs/THRESHOLD.md §16).
pub mod committee;
/// Submissions meet the state machine, the running sum and storage.
pub mod coordinator;
/// The zkfl-core implementations of the verification, aggregation and decryption interfaces.
pub mod crypto;
/// `zkfl demo`: the paper's experiment in every configuration (docs/DEMO.md).
pub mod demo;
/// Typed API errors (docs/API.md "Errors").
pub mod error;
/// The key-holder process (single-decryptor mode).
pub mod keyholder;
/// Key directory layout and the aggregator's identity.
pub mod keys;
/// Models as f32 bytes, the proven bound, de-quantization.
pub mod model;
/// Round state machine and signed announcement (docs/SERVICE.md "Round state machine").
pub mod round;
/// The HTTP API.
pub mod server;
/// Assembly of a running service.
pub mod service;
/// SQLite storage with migrations (docs/SERVICE.md "Storage").
pub mod store;
/// Interfaces between the service and the cryptography.
pub mod verify;
/// Verification worker pool with a bounded queue.
pub mod verify_pool;
