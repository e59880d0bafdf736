//! `zkfl keyholder`: the key-holder process of single-decryptor mode, started by `zkfl serve` (not by hand).
//! It reads frames on stdin and answers on stdout (protocol in `crate::keyholder`). With `--committee` it runs
//! one committee member instead: on stdin/stdout for a relay on the same host, or with `--listen` over HTTP on
//! its own host (`committee::process`, docs/THRESHOLD.md §16).

use std::path::PathBuf;

use crate::crypto::CoreDecryption;
use crate::keys::{KeyError, read_secret};
use crate::model::SetLimits;

/// What a committee member listening over HTTP (`--listen`) prints on stdout, followed by its base URL
/// ([`crate::server::listen::listening_address`] reads it).
pub const LISTENING: &str = "zkfl keyholder: listening on ";

/// Arguments of `zkfl keyholder`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The key holder's directory (`<keys>/keyholder`): BFV secret key and decryption ledger; with
    /// `--committee`, one member's directory (`<keys>/members/<i>`).
    #[arg(long)]
    pub dir: PathBuf,
    /// Threshold mode: run one committee member (docs/THRESHOLD.md §16), frames of
    /// `committee::process` on stdin/stdout (or over HTTP with --listen).
    #[arg(long)]
    pub committee: bool,
    /// Threshold mode: serve the member over HTTP on this address (`POST /v1/committee`; port 0 picks a free
    /// port) instead of stdin/stdout; prints `listening on http://ADDR` on stdout. Answers only requests signed
    /// by the aggregator key in the member directory's `aggregator-vk.bin` (docs/THRESHOLD.md §16.6).
    #[arg(long, requires = "committee")]
    pub listen: Option<std::net::SocketAddr>,
    /// Demo only: sends a wrong decryption share (adds Δ to one coefficient of this member's share after its
    /// honest share proof is made), so the combiner excludes this member; for `zkfl demo --cheating`.
    #[arg(long, requires = "committee")]
    pub demo_cheat_share: bool,
    /// Threshold mode: clinics per round K of the committee design.
    #[arg(long, default_value_t = 1024)]
    pub clinics: u32,
    /// Threshold mode: B_int of the committee design.
    #[arg(long, default_value_t = 1 << 16)]
    pub b_int: u64,
    /// Threshold mode: chunks L of the committee key.
    #[arg(long, default_value_t = 1)]
    pub chunks: usize,
}

/// Serves decryption requests until stdin closes.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if args.committee {
        let design = crate::committee::member::Design {
            clinics: args.clinics,
            b_int: args.b_int,
            chunks: args.chunks,
        };
        let cheat = args.demo_cheat_share;
        let prepare = move |m: &mut crate::committee::member::Member| {
            if cheat {
                eprintln!(
                    "zkfl keyholder: DEMO ONLY: member {} sends a wrong decryption share",
                    m.index()
                );
                m.corrupt_shares_for_demo();
            }
        };
        if let Some(addr) = args.listen {
            return crate::committee::process::http::serve(
                &args.dir,
                design,
                addr,
                prepare,
                |bound| {
                    use std::io::Write as _;
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{LISTENING}http://{bound}");
                    let _ = out.flush();
                },
            );
        }
        // The member's secrets are large (set-L holdings): a thread with room for them.
        let dir = args.dir.clone();
        let served = std::thread::Builder::new()
            .name("committee-member".into())
            .stack_size(256 << 20)
            .spawn(move || -> Result<(), String> {
                use crate::committee::process;
                let mut member = process::open_dir(&dir, design).map_err(|e| e.to_string())?;
                let limit = process::roster_of_dir(&dir)
                    .and_then(|r| process::http::request_limit(&r, design))
                    .map_err(|e| e.to_string())?;
                prepare(&mut member);
                process::serve(
                    &mut member,
                    &mut std::io::stdin().lock(),
                    &mut std::io::stdout().lock(),
                    limit,
                )
                .map_err(|e| e.to_string())
            })?
            .join()
            .map_err(|_| KeyError("the committee member panicked".into()))?;
        return served.map_err(|e| KeyError(format!("zkfl keyholder --committee: {e}")).into());
    }
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
