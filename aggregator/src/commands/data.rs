//! `zkfl data`: writes a bundled data set as per-site CSV files, so the two-terminal walkthrough (README,
//! "Real data") runs `zkfl clinic train` on real centres from a fresh clone. The files are generated from
//! the one committed copy (data/fed-tcga-brca), not kept twice.

use std::path::PathBuf;

use crate::demo::tcga::data::{FEATURES, FedTcgaBrca};

/// The data sets `zkfl data` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Name {
    /// Fed-TCGA-BRCA: each of the 6 centres' training patients (39 features, `T`, `E`).
    FedTcgaBrca,
}

/// Arguments of `zkfl data`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The data set.
    #[arg(value_enum)]
    name: Name,
    /// Directory to write into (created if missing): `centre-0.csv` … `centre-5.csv` and
    /// `initial-model.f32`, the Cox model's starting point (39 little-endian f32 zeros, for
    /// `zkfl serve --initial-model`).
    #[arg(long)]
    out: PathBuf,
    /// Read brca.csv, centers.csv and train_test_split.csv from this directory instead of the copy built
    /// into the binary.
    #[arg(long)]
    source: Option<PathBuf>,
}

/// File name of the initial model in `--out`.
pub const INITIAL_MODEL: &str = "initial-model.f32";

/// Runs `zkfl data`.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    match args.name {
        Name::FedTcgaBrca => {
            let data = match &args.source {
                Some(dir) => FedTcgaBrca::load_unstandardized(dir)?,
                None => FedTcgaBrca::embedded_raw()?,
            };
            std::fs::create_dir_all(&args.out)
                .map_err(|e| format!("{}: {e}", args.out.display()))?;
            for (path, c) in data.write_train_csvs(&args.out)?.iter().zip(&data.centres) {
                println!(
                    "{}: {} ({} training patients, {} deaths)",
                    path.display(),
                    c.name,
                    c.train.len(),
                    c.train.events()
                );
            }
            let model = args.out.join(INITIAL_MODEL);
            std::fs::write(&model, crate::model::encode(&[0f32; FEATURES]))
                .map_err(|e| format!("{}: {e}", model.display()))?;
            println!(
                "{}: the Cox model's initial weights ({FEATURES} zeros; serve with --model cox:{FEATURES})",
                model.display()
            );
            Ok(())
        }
    }
}
