//! `zkfl keyholder`: the key-holder process of single-decryptor mode, started by `zkfl serve` (not by hand).
//! It reads frames on stdin and answers on stdout (protocol in `crate::keyholder`).

use std::path::PathBuf;

use crate::crypto::CoreDecryption;
use crate::keys::{KeyError, read_secret};
use crate::model::SetLimits;

/// Arguments of `zkfl keyholder`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The key holder's directory (`<keys>/keyholder`): BFV secret key and decryption ledger.
    #[arg(long)]
    pub dir: PathBuf,
}

/// Serves decryption requests until stdin closes.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(&args.dir)?;
    let set = std::fs::read_to_string(args.dir.join("param-set")).unwrap_or_default();
    let limits = SetLimits::of(set.trim()).ok_or_else(|| {
        KeyError(format!(
            "{}/param-set must name S or L (written by zkfl keygen)",
            args.dir.display()
        ))
    })?;
    let secret_seed = read_secret::<32>(&args.dir.join("bfv-secret.bin")).ok();
    if secret_seed.is_none() {
        eprintln!(
            "zkfl keyholder: no BFV secret key in {}; every decryption will be refused",
            args.dir.display()
        );
    }
    crate::keyholder::serve_stdio(
        &args.dir,
        &CoreDecryption {
            secret_seed,
            limits,
        },
    )?;
    Ok(())
}
