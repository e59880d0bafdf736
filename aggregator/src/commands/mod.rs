//! Command-line interface: one module per subcommand, each owning its own argument struct.

pub mod bench;
pub mod clinic;
pub mod data;
pub mod demo;
pub mod keygen;
pub mod keyholder;
pub mod params;
pub mod pipeline;
pub mod serve;

use clap::error::ErrorKind;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// ZKFL-PQ: verifiable, private, post-quantum federated learning.
#[derive(Parser, Debug)]
#[command(name = "zkfl", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the paper's experiment (plain FedAvg vs ZKFL-PQ, with an attacker) and print the comparison.
    Demo(demo::Args),
    /// Print the parameter sets, their limits and security estimates, and run a BFV round trip.
    Params(params::Args),
    /// Run the aggregator service (HTTP API, round state machine, verification workers).
    Serve(serve::Args),
    /// Measure the main operations (median of repeated runs) and write a flat JSON report.
    Bench(bench::Args),
    /// Take part in a round as one clinic: submit an update, or train on a local CSV and submit, or
    /// calibrate the clip bound τ on local data.
    #[command(subcommand_required = true)]
    Clinic(clinic::Args),
    /// Write a bundled data set as per-site CSV files (Fed-TCGA-BRCA: one file per centre).
    Data(data::Args),
    /// Generate aggregator, key-holder and clinic keys into a directory.
    Keygen(keygen::Args),
    /// Key-holder process of single-decryptor mode (started by `zkfl serve`).
    #[command(hide = true)]
    Keyholder(keyholder::Args),
}

impl Cli {
    /// Parses the command line. A usage error exits 2 with clap's message, including options that do not
    /// apply together (`demo --dataset fed-tcga-brca --alpha …`), before anything runs.
    #[must_use]
    pub fn parse_args() -> Self {
        let mut cmd = Self::command();
        let matches = cmd.get_matches_mut();
        if let Some(("demo", m)) = matches.subcommand()
            && let Err(msg) = demo::check_options(m)
        {
            cmd.error(ErrorKind::ArgumentConflict, msg).exit();
        }
        Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}

/// Runs the chosen subcommand.
pub fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Params(args) => params::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Keygen(args) => keygen::run(args),
        Command::Clinic(args) => clinic::run(args),
        Command::Data(args) => data::run(args),
        Command::Keyholder(args) => keyholder::run(args),
    }
}
