//! `zkfl params`: prints the parameter sets and their computed limits.

/// Arguments of `zkfl params`.
#[derive(clap::Args, Debug)]
pub struct Args {}

/// Prints every parameter set.
pub fn run(_args: Args) -> Result<(), Box<dyn std::error::Error>> {
    println!("parameter sets: filled in by the foundation work");
    Ok(())
}
