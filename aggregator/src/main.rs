//! `zkfl`: the ZKFL-PQ aggregator service and command-line tool (a thin user of `zkfl_aggregator`).

use zkfl_aggregator::commands;

fn main() -> std::process::ExitCode {
    let cli = commands::Cli::parse_args();
    match commands::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
