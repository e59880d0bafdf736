//! `zkfl params`: prints both parameter sets with their security estimates (docs/SECURITY.md), noise limits
//! (docs/NOISE.md) and the derived configuration of the demo, then runs a BFV round trip of random updates
//! through quantization, encryption, homomorphic sum, decryption and de-quantization.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_core::arith::Modulus;
use zkfl_core::params::bounds::{KeyBounds, ProofBounds, noise_per_client};
use zkfl_core::params::estimate::{core_svp_bits, lwe_primal};
use zkfl_core::params::{ERROR_SIGMA, ParamSet, SetL, SetS, SetXL, TERNARY_SIGMA, log2_q};
use zkfl_core::policy::{self, ConfigRequest, check_config, max_clinics};
use zkfl_core::quant::{Quantizer, chunk_count};
use zkfl_core::threshold::plan;

use super::pipeline::{self, K_L, K_S};

/// Arguments of `zkfl params`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Number of clinics of the configuration to check (K).
    #[arg(long, default_value_t = 5)]
    pub clinics: u32,
    /// Model parameters P (the paper's MLP 784-128-64-4 has 108,996).
    #[arg(long, default_value_t = 108_996)]
    pub params: u32,
    /// Norm bound τ on the update's l2 norm (the clip bound; `--norm-bound` as in `serve` and `demo`).
    #[arg(long, default_value_t = 5.0)]
    pub norm_bound: f64,
    /// Quantization scale S; default: the largest scale whose B_int fits the set.
    #[arg(long)]
    pub scale: Option<f64>,
    /// Skip the BFV round trip.
    #[arg(long)]
    pub no_roundtrip: bool,
    /// Seed of the round trip's random updates and keys (deterministic output).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Prints every parameter set, then the round trips (of the sets that accept the configuration). Fails
/// (exit status 1) if a set refuses the requested configuration, so scripts can rely on the status.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    println!("ZKFL-PQ parameter sets (docs/SECURITY.md, docs/NOISE.md)\n");
    print_security_table();
    let s = describe::<SetS>(&args)?;
    let l = describe::<SetL>(&args)?;
    let refused: Vec<&str> = [("S", s.is_none()), ("L", l.is_none())]
        .iter()
        .filter_map(|&(name, no)| no.then_some(name))
        .collect();
    if !args.no_roundtrip {
        println!(
            "BFV round trip: {} clinics x {} random parameters -> clip, quantize -> encrypt",
            args.clinics, args.params
        );
        println!(
            "  -> homomorphic sum -> decrypt -> de-quantize, compared with the exact mean of the clipped updates"
        );
        let mut rng = ChaCha20Rng::seed_from_u64(args.seed);
        for (name, config) in [("S", s), ("L", l)] {
            let Some(config) = config else { continue };
            let started = std::time::Instant::now();
            let rt = match name {
                "S" => pipeline::round_trip::<SetS, 2048, K_S>(&config, &mut rng)?,
                _ => pipeline::round_trip::<SetL, 4096, K_L>(&config, &mut rng)?,
            };
            let ok = if rt.max_error <= rt.bound {
                "ok"
            } else {
                "EXCEEDS BOUND"
            };
            println!(
                "  set {name}: max |error| = {:.3e} (bound 1/(2S) = {:.3e}) {ok}; ciphertext {} bytes per update; {:.2} s",
                rt.max_error,
                rt.bound,
                rt.ciphertext_bytes,
                started.elapsed().as_secs_f64()
            );
            if rt.max_error > rt.bound {
                return Err(
                    format!("set {name}: round-trip error above the quantization bound").into(),
                );
            }
        }
    }
    if !refused.is_empty() {
        return Err(format!(
            "configuration K = {}, P = {}, norm bound {} refused by parameter set {} (reason above)",
            args.clinics,
            args.params,
            args.norm_bound,
            refused.join(" and ")
        )
        .into());
    }
    Ok(())
}

/// The RLWE instances of every set under the primal attack (docs/SECURITY.md §3).
fn print_security_table() {
    println!(
        "Security (primal uSVP, 2016 estimate; core-SVP 0.292*beta classical, 0.265*beta quantum):"
    );
    println!(
        "| set | instance | n | samples available | samples used | log2 q | beta | classical | quantum |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    security_rows::<SetS>();
    security_rows::<SetL>();
    security_rows::<SetXL>();
    println!();
}

fn security_rows<P: ParamSet>() {
    let n = P::N as u32;
    for (what, samples) in [
        ("public key b_j", n),
        (
            "ciphertext (L_max+1 samples of u)",
            (P::MAX_CHUNKS as u32 + 1) * n,
        ),
    ] {
        let a = lwe_primal(n, samples, log2_q::<P>(), TERNARY_SIGMA, ERROR_SIGMA);
        let (c, q) = core_svp_bits(a.beta);
        println!(
            "| {} | {what} | {n} | {samples} | {} | {:.2} | {} | {c:.1} | {q:.1} |",
            P::NAME,
            a.samples,
            log2_q::<P>(),
            a.beta
        );
    }
}

/// Prints one set's limits and checks the requested configuration on it; returns it if accepted.
fn describe<P: ParamSet>(
    args: &Args,
) -> Result<Option<policy::Config>, Box<dyn std::error::Error>> {
    let q = <P::M as Modulus>::Q;
    println!(
        "Set {} (id {}): N = {}, q = 2^{} - {} = {q} (log2 q = {:.3}), proof ring degree {}",
        P::NAME,
        P::ID,
        P::N,
        <P::M as Modulus>::BITS,
        <P::M as Modulus>::C,
        log2_q::<P>(),
        P::PROOF_D
    );
    println!(
        "  up to {} chunks ({} parameters), B_int <= {}; errors CBD({}) (sigma {:.3}), secrets and u ternary",
        P::MAX_CHUNKS,
        P::MAX_CHUNKS * P::N,
        P::B_INT_MAX,
        P::ERROR_ETA,
        P::ERROR_SIGMA
    );
    let chunks = chunk_count(args.params as usize, P::N).max(1);
    let bounds = ProofBounds::of::<P>(chunks);
    let single = KeyBounds::single::<P>();
    println!(
        "  proof bounds at L = {chunks}: B_u^2 = {}, B_2^2 = {}, B_1^2 = {}; worst-case noise per client {} (single key)",
        bounds.u_sq,
        bounds.e2_sq,
        bounds.e1_sq,
        noise_per_client(bounds, single)
    );
    let b_max = P::B_INT_MAX;
    let caps: Vec<String> = [b_max >> 4, b_max >> 2, b_max]
        .iter()
        .map(|&b| {
            format!(
                "B_int {b}: {}",
                show_k(max_clinics::<P>(b, chunks, single, 0))
            )
        })
        .collect();
    println!("  K_max, single key: {}", caps.join(", "));
    let collective = KeyBounds::collective_honest::<P>(1024);
    println!(
        "  K_max, collective key of 1024 honest parties, B_int {b_max}: {}",
        show_k(max_clinics::<P>(b_max, chunks, collective, 0))
    );
    smudging_room::<P>(chunks, collective);
    threshold_design::<P>(chunks);
    let quantizer = match args.scale {
        Some(s) => Quantizer::new(args.norm_bound, s, args.params as usize)?,
        None => Quantizer::with_max_scale(args.norm_bound, args.params as usize, b_max)?,
    };
    let request = ConfigRequest {
        clinics: args.clinics,
        params: args.params,
        norm_bound: args.norm_bound,
        scale: quantizer.scale(),
        key: single,
        smudging: 0,
    };
    let config = match check_config::<P>(&request) {
        Ok(c) => c,
        Err(e) => {
            println!(
                "  configuration K = {}, P = {}, norm bound {}, scale {}: REFUSED: {e}\n",
                args.clinics,
                args.params,
                args.norm_bound,
                quantizer.scale()
            );
            return Ok(None);
        }
    };
    #[allow(clippy::cast_precision_loss)]
    let margin = (config.noise_budget as f64 / config.noise_total.max(1) as f64).log2();
    println!(
        "  config K = {}, P = {}, norm bound {}, scale {}: B_int = {}, t = {}, Delta = {}, L = {}",
        config.clinics,
        config.params,
        args.norm_bound,
        config.quantizer.scale(),
        config.b_int(),
        config.t,
        config.delta,
        config.chunks
    );
    println!(
        "    noise {} (K x {}) <= budget {} ({margin:.1} bits spare); up to {} clinics at this B_int; \
         de-quantization error <= {:.2e}\n",
        config.noise_total,
        config.noise_per_client,
        config.noise_budget,
        config.max_clinics,
        config.quantizer.mean_error_bound()
    );
    Ok(Some(config))
}

/// A clinic count, marked when it is the search cap.
fn show_k(k: u32) -> String {
    if k == policy::MAX_CLINICS_SEARCH {
        format!(">= {k}")
    } else {
        k.to_string()
    }
}

/// The 3-of-5 committee design at 1024 clinics and the set's largest B_int (docs/THRESHOLD.md §4), or why the set
/// has none. Labelled as a design only: the protocol was redesigned after review 7 broke it (THRESHOLD.md §10) and
/// awaits review 8 (§11); no service path offers threshold mode yet.
fn threshold_design<P: ParamSet>(chunks: usize) {
    let (n, t, k, b) = (5, 3, 1024, P::B_INT_MAX);
    match plan::design::<P>(n, t, k, b, chunks) {
        Ok(p) => println!(
            "  threshold design (not offered; awaiting review 8, THRESHOLD.md §11) {t}-of-{n}, K = {k}, B_int {b}: smudging sigma 2^{:.2} (2^{:.2} x the clinics' noise), \
             Renyi loss {:.2} bits over {} decryptions per key, {} B of shares per member per round",
            p.sigma_log2(),
            p.smudging_bits(),
            p.loss_bits,
            plan::DECRYPTIONS_PER_KEY,
            plan::share_bytes::<P>(chunks)
        ),
        Err(e) => println!("  threshold {t}-of-{n}, K = {k}, B_int {b}: not available ({e:?})"),
    }
}

/// Room left for threshold-decryption smudging noise with 1024 clinics and a 1024-party collective key at the
/// set's largest B_int (docs/NOISE.md §4).
fn smudging_room<P: ParamSet>(chunks: usize, key: KeyBounds) {
    let (k, b) = (1024, P::B_INT_MAX);
    let noise = u128::from(k) * noise_per_client(ProofBounds::of::<P>(chunks), key);
    match policy::noise_budget::<P>(k, b) {
        Some(budget) if budget > noise => {
            #[allow(clippy::cast_precision_loss)]
            let (room, ratio) = (
                (budget - noise) as f64,
                (budget - noise) as f64 / noise as f64,
            );
            println!(
                "  K = 1024, collective key, B_int {b}: noise 2^{:.1}, room for smudging 2^{:.1} (2^{:.1} x the noise)",
                (noise as f64).log2(),
                room.log2(),
                ratio.log2()
            );
        }
        _ => println!(
            "  K = 1024, collective key, B_int {b}: does not decrypt; no room for smudging"
        ),
    }
}
