//! `zkfl`: the ZKFL-PQ aggregator service and command-line tool.
fn main() {}
