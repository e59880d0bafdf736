//! `zkfl bench --json FILE`: the project's JSON benchmark report (speed and memory goals live here, not in timed tests). Each figure is
//! the median of repeated runs within a time budget; the report is one flat JSON object of dotted keys.
//!
//! To add figures from another component, write a `fn(&Budget) -> Result<Figures, String>` and add it to
//! [`GROUPS`] with its key prefix (e.g. `("zk", zk_figures)` producing `zk.prove_s`, `zk.verify_s`).
//! Groups: `bfv`, `zk` (proof, set S, 108,996 parameters), `zk.l` (the same for set L; select with `--only`).

use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Map, Value};
use zkfl_core::arith::Modulus;
use zkfl_core::bfv::{Encryptor, PlainModulus, SecretKey, public_a};
use zkfl_core::params::limits::{ConfigRequest, KeyBounds, check_config};
use zkfl_core::params::{ParamSet, SetL, SetS};
use zkfl_core::quant::Quantizer;
use zkfl_core::ring::{NttPoly, Poly};
use zkfl_core::zk::params::ZkParams;
use zkfl_core::zk::prove::{ProveStats, SliceUpdate, Witness, prove};
use zkfl_core::zk::statement::{Context, Statement};
use zkfl_core::zk::verify::verify;

use super::pipeline::{self, K_L, K_S};

/// The paper's model size (MLP 784-128-64-4).
pub const PARAMS: u32 = 108_996;

/// Arguments of `zkfl bench`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to write the JSON report.
    #[arg(long)]
    pub json: std::path::PathBuf,
    /// Time budget per figure in seconds (each figure is the median of as many runs as fit, at least 3; the
    /// prover figures are means, since rejection sampling makes their running time random).
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
    pub fn median_s(&self, f: impl FnMut()) -> f64 {
        let mut times = self.runs(f);
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    }

    /// Mean wall-clock seconds of `f` over the same runs. For a randomized running time (a prover that
    /// restarts on rejection) the mean is the expected cost; a median of a few runs hides the restarts.
    pub fn mean_s(&self, f: impl FnMut()) -> f64 {
        let times = self.runs(f);
        times.iter().sum::<f64>() / times.len() as f64
    }

    fn runs(&self, mut f: impl FnMut()) -> Vec<f64> {
        let start = Instant::now();
        let mut times = Vec::new();
        while times.len() < 3 || (start.elapsed() < self.0 && times.len() < 101) {
            let t = Instant::now();
            f();
            times.push(t.elapsed().as_secs_f64());
        }
        times
    }
}

/// A function measuring one group of figures.
pub type Group = fn(&Budget) -> Result<Figures, String>;

/// Every group of figures: key prefix and measuring function. Add new groups here.
pub const GROUPS: &[(&str, Group)] = &[
    ("bfv", bfv_figures),
    ("zk", zk_figures),
    ("zk.l", zk_l_figures),
];

/// Runs the selected groups and writes the report.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: debug build; timings are meaningless. Use `cargo run --release --bin zkfl -- bench ...`"
        );
    }
    // A bad --json path fails now, naming the path, not after minutes of measuring.
    let parent = args.json.parent().filter(|p| !p.as_os_str().is_empty());
    super::demo::check_out_dir("--json", parent.unwrap_or(std::path::Path::new(".")))?;
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
    )
    .map_err(|e| format!("--json {}: {e}", args.json.display()))?;
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

/// Stack of the thread that proves: the streaming prover keeps its fixed-size state on the stack (as the demo's
/// clinic threads do).
const PROVER_STACK: usize = 64 << 20;

/// Zero-knowledge proof, set S, the paper's update (PROTOCOL.md; issue 3's goals: encrypt + prove ≤ 1 s,
/// verify ≤ 0.4 s, proof ≤ 4 B/param).
fn zk_figures(budget: &Budget) -> Result<Figures, String> {
    let b = *budget;
    on_big_stack(move || zk_group::<SetS, 2048, K_S>(&b, PARAMS))
}

/// The same for set L (27 chunks of N = 4096).
fn zk_l_figures(budget: &Budget) -> Result<Figures, String> {
    let b = *budget;
    on_big_stack(move || zk_group::<SetL, 4096, K_L>(&b, PARAMS))
}

fn on_big_stack<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    std::thread::Builder::new()
        .stack_size(PROVER_STACK)
        .spawn(f)
        .map_err(|e| format!("cannot start the prover thread: {e}"))?
        .join()
        .map_err(|_| "the prover thread panicked".to_string())?
}

type CoeffOf<P> = <<P as ParamSet>::M as Modulus>::Coeff;

/// Public key in coefficient form (the proof statement) and in NTT form (encryption).
struct ZkKey<P: ParamSet, const N: usize, const K: usize> {
    a: Box<[CoeffOf<P>; N]>,
    b: Vec<[CoeffOf<P>; N]>,
    a_ntt: Box<NttPoly<N, K>>,
    b_ntt: Vec<NttPoly<N, K>>,
}

fn zk_key<P: ParamSet, const N: usize, const K: usize>(
    chunks: usize,
    rng: &mut ChaCha20Rng,
) -> Result<ZkKey<P, N, K>, String> {
    use rand_core::Rng;
    let sk = SecretKey::<P, N>::generate(rng);
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    let mut a = Box::new(Poly::<P::M, N>::zero());
    public_a::<P, N>(&seed, &mut a);
    let a_ntt = Box::new(NttPoly::<N, K>::from_poly(&*a));
    let b: Vec<Poly<P::M, N>> = (0..chunks)
        .map(|j| {
            let mut p = Poly::zero();
            sk.public_key_chunk(&a_ntt, j, &mut p);
            p
        })
        .collect();
    Ok(ZkKey {
        a: Box::new(a.coeffs),
        b_ntt: b.iter().map(NttPoly::from_poly).collect(),
        b: b.iter().map(|p| p.coeffs).collect(),
        a_ntt,
    })
}

/// A ciphertext in coefficient form and the witness u.
struct ZkCiphertext<P: ParamSet, const N: usize> {
    c1: Box<[CoeffOf<P>; N]>,
    c0: Vec<[CoeffOf<P>; N]>,
    u: Vec<i64>,
}

/// The clinic's encryption (one u, e2 for all chunks), keeping u for the proof.
fn zk_encrypt<P: ParamSet, const N: usize, const K: usize>(
    key: &ZkKey<P, N, K>,
    plain: PlainModulus<P::M>,
    m: &[[i64; N]],
    rng: &mut ChaCha20Rng,
) -> Result<ZkCiphertext<P, N>, String> {
    let mut enc = Box::new(Encryptor::<P, N, K>::new(&key.a_ntt, plain, m.len(), rng));
    let mut c0 = Vec::with_capacity(m.len());
    let mut c = Box::new(Poly::<P::M, N>::zero());
    for (b, mj) in key.b_ntt.iter().zip(m) {
        enc.encrypt_chunk(b, mj, &mut c)
            .map_err(|e| format!("encrypt: {e:?}"))?;
        c0.push(c.coeffs);
    }
    Ok(ZkCiphertext {
        c1: Box::new(enc.c1().coeffs),
        c0,
        u: (0..N).map(|i| enc.u().centered(i) as i64).collect(),
    })
}

/// Proves `m` for `ct` into `out`.
fn zk_prove<P: ZkParams, const N: usize>(
    st: &Statement<'_, P::M, N>,
    ctx: &Context,
    u: &[i64],
    m: &[[i64; N]],
    rng: &mut ChaCha20Rng,
    out: &mut [u8],
) -> Result<ProveStats, String> {
    let mut wit = Witness {
        u,
        m: SliceUpdate(m),
    };
    prove::<P, N, _, _>(st, ctx, &mut wit, rng, out).map_err(|e| format!("prover: {e:?}"))
}

/// Figures of one set for an update of `params` parameters (clipped to τ = 5 and quantized at the largest
/// scale the set allows; statement bound B = B_int): prove, verify, encrypt + prove, proof size, attempts.
fn zk_group<P: ZkParams, const N: usize, const K: usize>(
    budget: &Budget,
    params: u32,
) -> Result<Figures, String> {
    let quantizer =
        Quantizer::with_max_scale(5.0, params as usize, P::B_INT_MAX).map_err(|e| e.to_string())?;
    let config = check_config::<P>(&ConfigRequest {
        clinics: 5,
        params,
        clip: 5.0,
        scale: quantizer.scale(),
        key: KeyBounds::single::<P>(),
        smudging: 0,
    })
    .map_err(|e| e.to_string())?;
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let chunks = config.chunks as usize;
    let key = zk_key::<P, N, K>(chunks, &mut rng)?;
    let plain = PlainModulus::<P::M>::new(config.t).map_err(|e| e.to_string())?;
    let update = pipeline::random_update(params as usize, 0.02, &mut rng);
    let mut flat = vec![0_i64; chunks * N];
    config
        .quantizer
        .quantize(&update, &mut flat)
        .map_err(|e| e.to_string())?;
    let m: Vec<[i64; N]> = flat
        .chunks_exact(N)
        .map(|c| c.try_into().map_err(|_| "chunk size".to_string()))
        .collect::<Result<_, _>>()?;
    let ct = zk_encrypt::<P, N, K>(&key, plain, &m, &mut rng)?;
    let ctx = Context {
        round: 1,
        clinic: 1,
    };
    let st = Statement {
        pk_a: &key.a,
        pk_b: &key.b,
        c1: &ct.c1,
        c0: &ct.c0,
        t: plain.t(),
        bound: config.b_int(),
    };
    let len = st.layout::<P>().map_err(|e| e.to_string())?.proof_len();
    let mut proof = vec![0u8; len];
    let stats = zk_prove::<P, N>(&st, &ctx, &ct.u, &m, &mut rng, &mut proof)?;
    verify::<P, N>(&st, &ctx, &proof).map_err(|e| format!("verifier: {e}"))?;
    let mut err = Ok(());
    let mut tally = Attempts::default();
    tally.add(&stats);
    let prove_s =
        budget.mean_s(
            || match zk_prove::<P, N>(&st, &ctx, &ct.u, &m, &mut rng, &mut proof) {
                Ok(s) => tally.add(&s),
                Err(e) => err = Err(e),
            },
        );
    std::mem::replace(&mut err, Ok(()))?;
    let verify_s = budget.median_s(|| {
        if let Err(e) = verify::<P, N>(&st, &ctx, &proof) {
            err = Err(format!("verifier: {e}"));
        }
    });
    std::mem::replace(&mut err, Ok(()))?;
    // Encrypt + prove: the clinic's whole cryptographic work on a quantized update (the proof bytes differ
    // per run: fresh encryption randomness and masks).
    let encrypt_and_prove_s = budget.mean_s(|| {
        let run = zk_encrypt::<P, N, K>(&key, plain, &m, &mut rng).and_then(|ct2| {
            let st2 = Statement {
                c1: &ct2.c1,
                c0: &ct2.c0,
                ..st
            };
            zk_prove::<P, N>(&st2, &ctx, &ct2.u, &m, &mut rng, &mut proof)
        });
        match run {
            Ok(s) => tally.add(&s),
            Err(e) => err = Err(e),
        }
    });
    std::mem::replace(&mut err, Ok(()))?;
    Ok(vec![
        ("param_set", Value::from(P::NAME)),
        ("chunks", Value::from(chunks)),
        ("bound", Value::from(config.b_int())),
        ("prove_s", Value::from(prove_s)),
        ("verify_s", Value::from(verify_s)),
        ("encrypt_and_prove_s", Value::from(encrypt_and_prove_s)),
        ("proof_bytes", Value::from(len)),
        (
            "proof_bytes_per_param",
            Value::from(len as f64 / f64::from(params)),
        ),
        ("proofs_timed", Value::from(tally.proofs)),
        ("jl_attempts_mean", Value::from(tally.jl_mean())),
        ("opening_attempts_mean", Value::from(tally.opening_mean())),
    ])
}

/// Attempt counts over every proof the group made (rejection sampling restarts; PROTOCOL §11).
#[derive(Default)]
struct Attempts {
    proofs: u32,
    jl: u64,
    opening: u64,
}

impl Attempts {
    fn add(&mut self, s: &ProveStats) {
        self.proofs += 1;
        self.jl += u64::from(s.jl_attempts);
        self.opening += u64::from(s.attempts);
    }

    fn jl_mean(&self) -> f64 {
        self.jl as f64 / f64::from(self.proofs.max(1))
    }

    fn opening_mean(&self) -> f64 {
        self.opening as f64 / f64::from(self.proofs.max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The zk group is registered under `zk` (set S) and `zk.l` (set L).
    #[test]
    fn zk_groups_registered() {
        let names: Vec<&str> = GROUPS.iter().map(|g| g.0).collect();
        assert!(
            names.contains(&"zk") && names.contains(&"zk.l"),
            "{names:?}"
        );
    }

    /// A reduced update (2 chunks of set S, zero time budget: 3 runs per figure): every issue key is present
    /// and positive, and the size is the layout's.
    #[test]
    fn zk_keys_present_and_positive_for_a_small_update() {
        let figs = on_big_stack(|| zk_group::<SetS, 2048, K_S>(&Budget(Duration::ZERO), 3000))
            .expect("zk figures");
        let get = |k: &str| {
            figs.iter()
                .find(|f| f.0 == k)
                .and_then(|f| f.1.as_f64())
                .unwrap_or_else(|| panic!("missing key {k}"))
        };
        for k in ["prove_s", "verify_s", "encrypt_and_prove_s", "proof_bytes"] {
            assert!(get(k) > 0.0, "{k} = {}", get(k));
        }
        assert_eq!(get("chunks"), 2.0);
        assert!(get("jl_attempts_mean") >= 1.0 && get("opening_attempts_mean") >= 1.0);
        assert_eq!(
            get("proofs_timed"),
            7.0,
            "1 checked + 3 prove + 3 encrypt-and-prove runs"
        );
        // No assertion between timings: attempts vary (rejection sampling) and the machine is shared.
    }
}
