//! `zkfl bench --json FILE`: the project's JSON benchmark report (ARCHITECTURE.md "Quality bars"). Each figure is
//! the median of repeated runs within a time budget; the report is one flat JSON object of dotted keys.
//!
//! To add figures from another component, write a `fn(&Budget) -> Result<Figures, String>` and add it to
//! [`GROUPS`] with its key prefix (e.g. `("zk", zk_figures)` producing `zk.prove_s`, `zk.verify_s`).

use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Map, Value};
use zkfl_core::bfv::PlainModulus;
use zkfl_core::params::limits::{ConfigRequest, KeyBounds, check_config};
use zkfl_core::params::{ParamSet, SetS};
use zkfl_core::quant::Quantizer;

use super::pipeline::{self, K_S};

/// The paper's model size (MLP 784-128-64-4).
pub const PARAMS: u32 = 108_996;

/// Arguments of `zkfl bench`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the JSON report.
    #[arg(long)]
    pub json: std::path::PathBuf,
    /// Time budget per figure in seconds (each figure is the median of as many runs as fit, at least 3).
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Only run the groups whose prefix is listed (comma-separated, e.g. `bfv`).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

/// Key/value pairs of one group, keys without the group prefix.
pub type Figures = Vec<(&'static str, Value)>;

/// Time budget per figure.
#[derive(Clone, Copy, Debug)]
pub struct Budget(pub Duration);

impl Budget {
    /// Median wall-clock seconds of `f` over at least 3 runs and as many as fit in the budget (max 101).
    pub fn median_s(&self, mut f: impl FnMut()) -> f64 {
        let start = Instant::now();
        let mut times = Vec::new();
        while times.len() < 3 || (start.elapsed() < self.0 && times.len() < 101) {
            let t = Instant::now();
            f();
            times.push(t.elapsed().as_secs_f64());
        }
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    }
}

/// A function measuring one group of figures.
pub type Group = fn(&Budget) -> Result<Figures, String>;

/// Every group of figures: key prefix and measuring function. Add new groups here.
pub const GROUPS: &[(&str, Group)] = &[("bfv", bfv_figures)];

/// Runs the selected groups and writes the report.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: debug build; timings are meaningless. Use `cargo run --release --bin zkfl -- bench ...`"
        );
    }
    let budget = Budget(Duration::from_secs_f64(args.seconds.max(0.0)));
    let mut report = Map::new();
    report.insert("params".into(), Value::from(PARAMS));
    for (prefix, group) in GROUPS {
        if !args.only.is_empty() && !args.only.iter().any(|o| o == prefix) {
            continue;
        }
        for (key, value) in group(&budget).map_err(|e| format!("bench group {prefix}: {e}"))? {
            println!("{prefix}.{key} = {value}");
            report.insert(format!("{prefix}.{key}"), value);
        }
    }
    std::fs::write(
        &args.json,
        serde_json::to_string_pretty(&Value::Object(report))? + "\n",
    )?;
    println!("wrote {}", args.json.display());
    Ok(())
}

/// BFV (set S, demo configuration: 5 clinics, τ = 5, largest scale): encryption and decryption of the whole
/// update, and its ciphertext size.
fn bfv_figures(budget: &Budget) -> Result<Figures, String> {
    let quantizer = Quantizer::with_max_scale(5.0, PARAMS as usize, SetS::B_INT_MAX)
        .map_err(|e| e.to_string())?;
    let config = check_config::<SetS>(&ConfigRequest {
        clinics: 5,
        params: PARAMS,
        clip: 5.0,
        scale: quantizer.scale(),
        key: KeyBounds::single::<SetS>(),
        smudging: 0,
    })
    .map_err(|e| e.to_string())?;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let chunks = config.chunks as usize;
    let keys = pipeline::keygen::<SetS, 2048, K_S>(chunks, &mut rng);
    let plain = PlainModulus::new(config.t).map_err(|e| e.to_string())?;
    let update = pipeline::random_update(PARAMS as usize, 0.02, &mut rng);
    let mut m = vec![0_i64; chunks * SetS::N];
    let quantize_s = budget.median_s(|| {
        config.quantizer.quantize(&update, &mut m).ok();
    });
    config
        .quantizer
        .quantize(&update, &mut m)
        .map_err(|e| e.to_string())?;
    let mut result = Ok(());
    let encrypt_s = budget.median_s(|| {
        if let Err(e) = pipeline::encrypt::<SetS, 2048, K_S>(&keys, plain, &m, &mut rng) {
            result = Err(e.to_string());
        }
    });
    result?;
    let ct = pipeline::encrypt::<SetS, 2048, K_S>(&keys, plain, &m, &mut rng)
        .map_err(|e| e.to_string())?;
    let mut out = vec![0_u64; chunks * SetS::N];
    let decrypt_s =
        budget.median_s(|| pipeline::decrypt::<SetS, 2048, K_S>(&keys, plain, &ct, &mut out));
    Ok(vec![
        ("param_set", Value::from(SetS::NAME)),
        ("quantize_update_s", Value::from(quantize_s)),
        ("encrypt_update_s", Value::from(encrypt_s)),
        ("decrypt_update_s", Value::from(decrypt_s)),
        (
            "ciphertext_bytes",
            Value::from(pipeline::ciphertext_bytes::<SetS>(chunks)),
        ),
        (
            "ciphertext_vs_f32",
            Value::from(
                pipeline::ciphertext_bytes::<SetS>(chunks) as f64 / (4.0 * f64::from(PARAMS)),
            ),
        ),
    ])
}
