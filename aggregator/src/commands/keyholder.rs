//! `zkfl keyholder`: the key-holder process of single-decryptor mode, started by `zkfl serve` (not by hand).
//! It reads frames on stdin and answers on stdout (protocol in `crate::keyholder`).

use std::path::PathBuf;

use crate::crypto::CoreDecryption;

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
    let secret_key =
        zeroize::Zeroizing::new(std::fs::read(args.dir.join("bfv-secret.bin")).unwrap_or_default());
    if secret_key.is_empty() {
        eprintln!(
            "zkfl keyholder: no BFV secret key in {}; every decryption will be refused",
            args.dir.display()
        );
    }
    crate::keyholder::serve_stdio(&args.dir, &CoreDecryption { secret_key })?;
    Ok(())
}
