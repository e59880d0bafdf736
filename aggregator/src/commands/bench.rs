//! `zkfl bench [--json FILE]`: the project's benchmark report (speed and memory goals live here, not in timed
//! tests). Every timed figure is run at least `--runs` times and then until its `--seconds` budget is spent; the
//! report gives the count, mean, median and 90th percentile of the wall-clock time **and** of the thread's CPU time
//! (on a shared machine the two differ by the time spent waiting for a core). Randomized running times (the prover
//! restarts on rejection) are headlined by their mean, the expected cost; deterministic ones by their median.
//!
//! Randomness: one 64-bit seed (fresh from the OS unless `--seed` is given, and printed) seeds one ChaCha20 stream
//! per figure, from which every run draws fresh keys, encryption randomness and proof masks, so no two timed proofs
//! share randomness and a run can be repeated exactly with `--seed`.
//!
//! The JSON report is one flat object of dotted keys: for a timed figure F of group G, `G.F_s` and `G.F_cpu_s` (the
//! headline wall and CPU seconds) and `G.F.runs`, `G.F.{wall,cpu}_{mean,median,p90}_s`; other figures as
//! `G.key`. Groups: `bfv`, `zk` (proof, set S, 108,996 parameters), `zk.l` (the same for set L), `zk.xl` (set XL,
//! the large-model set); `--params N` sets the update size of the zk groups (issue 13's cost table:
//! `--only zk.xl --params 2097152`). To add a group, write a [`Group`] function and list it in [`GROUPS`].

use std::path::PathBuf;
use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Map, Value};
use zkfl_core::arith::Modulus;
use zkfl_core::bfv::{Encryption, PlainModulus, PublicKeyPolys};
use zkfl_core::params::bounds::KeyBounds;
use zkfl_core::params::{ParamSet, SetL, SetS, SetXL};
use zkfl_core::policy::{Config, ConfigRequest, check_config};
use zkfl_core::quant::Quantizer;
use zkfl_core::zk::layout::Layout;
use zkfl_core::zk::params::ZkParams;
use zkfl_core::zk::prove::{ProveStats, SliceUpdate, Witness, prove_lending_tables};
use zkfl_core::zk::public::A1Table;
use zkfl_core::zk::statement::{Context, Statement};
use zkfl_core::zk::verify::{verify, verify_with_table};

use super::pipeline::{self, K_L, K_S, K_XL};

/// The paper's model size (MLP 784-128-64-4).
pub const PARAMS: u32 = 108_996;

/// Most runs of one figure, whatever the budget.
const MAX_RUNS: usize = 1000;

/// Arguments of `zkfl bench`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Also write the report as JSON to this file (the table goes to standard output either way).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Time budget per figure in seconds: after its minimum number of runs, a figure runs again until the budget
    /// is spent (at most 1,000 runs).
    #[arg(long, default_value_t = 3.0, value_parser = parse_seconds)]
    pub seconds: f64,
    /// Minimum number of runs per timed figure (proofs, verifications, encryptions).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub runs: u32,
    /// Seed of all randomness (keys, updates, encryption, proofs). Default: fresh from the OS; the seed used is
    /// printed and written to the report, so `--seed` repeats a run.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Only run these groups (comma-separated: bfv, zk, zk.l, zk.xl).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Update size (parameters) of the zk groups; default the paper's 108,996. A set that cannot hold it
    /// fails its group with the reason (set S holds 131,072, L 131,072, XL 2,097,152).
    #[arg(long, default_value_t = PARAMS, value_parser = clap::value_parser!(u32).range(1..))]
    pub params: u32,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!("`{s}` is not a number of seconds ≥ 0")),
    }
}

/// Thread CPU time in seconds (`CLOCK_THREAD_CPUTIME_ID` through rustix's safe wrapper): the time this thread
/// ran, whatever else the machine was doing. NaN where there is no such clock; the report then shows `null`.
pub fn thread_cpu_s() -> f64 {
    #[cfg(unix)]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
    }
    #[cfg(not(unix))]
    {
        f64::NAN
    }
}

/// Wall-clock and thread CPU seconds of one run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    /// Elapsed wall-clock seconds.
    pub wall_s: f64,
    /// CPU seconds of the measuring thread.
    pub cpu_s: f64,
}

/// Mean, median and 90th percentile (nearest rank) of a set of times.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stats {
    /// Arithmetic mean.
    pub mean: f64,
    /// Median (the mean of the two middle values for an even count).
    pub median: f64,
    /// 90th percentile, nearest rank: the ⌈0.9·n⌉-th smallest value.
    pub p90: f64,
}

impl Stats {
    /// Statistics of a non-empty set of values.
    pub fn of(mut xs: Vec<f64>) -> Self {
        assert!(!xs.is_empty(), "no samples");
        xs.sort_by(f64::total_cmp);
        let n = xs.len();
        let median = if n % 2 == 1 {
            xs[n / 2]
        } else {
            (xs[n / 2 - 1] + xs[n / 2]) / 2.0
        };
        Self {
            mean: xs.iter().sum::<f64>() / n as f64,
            median,
            p90: xs[(9 * n).div_ceil(10) - 1],
        }
    }
}

/// Which statistic headlines a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Headline {
    /// The mean: for randomized running times (rejection sampling), the expected cost.
    Mean,
    /// The median: for deterministic running times, robust to the noise of a shared machine.
    Median,
}

/// One timed figure: its runs and its headline statistic.
#[derive(Clone, Debug)]
pub struct Timing {
    /// Key of the figure within its group (e.g. `prove`).
    pub name: &'static str,
    /// The headline statistic.
    pub headline: Headline,
    /// Every run.
    pub samples: Vec<Sample>,
}

impl Timing {
    /// Statistics of the wall-clock and of the CPU times.
    pub fn stats(&self) -> (Stats, Stats) {
        (
            Stats::of(self.samples.iter().map(|s| s.wall_s).collect()),
            Stats::of(self.samples.iter().map(|s| s.cpu_s).collect()),
        )
    }

    fn pick(&self, s: &Stats) -> f64 {
        match self.headline {
            Headline::Mean => s.mean,
            Headline::Median => s.median,
        }
    }

    /// The JSON keys of this figure (without the group prefix).
    pub fn keys(&self) -> Vec<(String, Value)> {
        let (w, c) = self.stats();
        let n = self.name;
        let mut out = vec![
            (format!("{n}_s"), num(self.pick(&w))),
            (format!("{n}_cpu_s"), num(self.pick(&c))),
            (format!("{n}.runs"), Value::from(self.samples.len())),
        ];
        for (clock, s) in [("wall", w), ("cpu", c)] {
            out.push((format!("{n}.{clock}_mean_s"), num(s.mean)));
            out.push((format!("{n}.{clock}_median_s"), num(s.median)));
            out.push((format!("{n}.{clock}_p90_s"), num(s.p90)));
        }
        out
    }
}

/// A finite number, or `null` (serde_json would refuse NaN anyway).
fn num(x: f64) -> Value {
    serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
}

/// The figures of one group: timed ones and plain values (sizes, counts).
#[derive(Debug, Default)]
pub struct Figures {
    /// Timed figures.
    pub timings: Vec<Timing>,
    /// Other figures, key without the group prefix.
    pub values: Vec<(&'static str, Value)>,
}

/// How much to run, and the randomness of a run.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Time budget per figure.
    pub time: Duration,
    /// Minimum runs per figure.
    pub min_runs: usize,
    /// The run's seed.
    pub seed: u64,
    /// Update size of the zk groups.
    pub params: u32,
}

impl Budget {
    /// Runs `f` at least `min_runs` times and then until the time budget is spent (at most [`MAX_RUNS`]),
    /// measuring wall-clock and thread CPU time of each run.
    pub fn time(&self, name: &'static str, headline: Headline, mut f: impl FnMut()) -> Timing {
        let start = Instant::now();
        let mut samples = Vec::new();
        while samples.len() < self.min_runs
            || (start.elapsed() < self.time && samples.len() < MAX_RUNS)
        {
            let (t, c) = (Instant::now(), thread_cpu_s());
            f();
            samples.push(Sample {
                wall_s: t.elapsed().as_secs_f64(),
                cpu_s: thread_cpu_s() - c,
            });
        }
        Timing {
            name,
            headline,
            samples,
        }
    }

    /// The random stream `stream` of this run's seed: each figure draws from its own stream, so its runs get
    /// fresh randomness and do not depend on how many runs another figure made.
    pub fn rng(&self, stream: u64) -> ChaCha20Rng {
        let mut rng = ChaCha20Rng::seed_from_u64(self.seed);
        rng.set_stream(stream);
        rng
    }
}

/// A function measuring one group of figures.
pub type Group = fn(&Budget) -> Result<Figures, String>;

/// Every group of figures: key prefix and measuring function. Add new groups here.
pub const GROUPS: &[(&str, Group)] = &[
    ("bfv", bfv_figures),
    ("zk", zk_figures),
    ("zk.l", zk_l_figures),
    ("zk.xl", zk_xl_figures),
];

/// The groups `--only` selects (all when empty); an unknown name is an error that lists the valid ones.
pub fn select_groups(only: &[String]) -> Result<Vec<(&'static str, Group)>, String> {
    let valid = || GROUPS.iter().map(|g| g.0).collect::<Vec<_>>().join(", ");
    if let Some(bad) = only.iter().find(|o| !GROUPS.iter().any(|g| g.0 == *o)) {
        return Err(format!(
            "unknown bench group `{bad}`; valid groups: {}",
            valid()
        ));
    }
    Ok(GROUPS
        .iter()
        .filter(|g| only.is_empty() || only.iter().any(|o| o == g.0))
        .copied()
        .collect())
}

/// A fresh seed from the OS.
fn os_seed() -> Result<u64, String> {
    use getrandom::rand_core::TryRng as _;
    getrandom::SysRng
        .try_next_u64()
        .map_err(|e| format!("OS randomness failed: {e}"))
}

/// One-minute load average (Linux), to record how busy the machine was.
fn load_1m() -> Value {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(Value::Null, num)
}

/// Runs the selected groups, prints the table and writes the JSON report.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let groups = select_groups(&args.only)?;
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: debug build; timings are meaningless. Use `cargo run --release --bin zkfl -- bench ...`"
        );
    }
    // A bad --json path fails now, naming the path, not after minutes of measuring.
    if let Some(json) = &args.json {
        let parent = json.parent().filter(|p| !p.as_os_str().is_empty());
        super::demo::check_out_dir("--json", parent.unwrap_or(std::path::Path::new(".")))?;
    }
    let seed = match args.seed {
        Some(s) => s,
        None => os_seed()?,
    };
    let budget = Budget {
        time: Duration::from_secs_f64(args.seconds),
        min_runs: args.runs as usize,
        seed,
        params: args.params,
    };
    println!(
        "seed {seed} (repeat with --seed {seed}); at least {} runs and {} s per figure; load {}",
        budget.min_runs,
        args.seconds,
        load_1m()
    );
    let mut report = Map::new();
    report.insert("params".into(), Value::from(args.params));
    report.insert("seed".into(), Value::from(seed));
    report.insert("runs_min".into(), Value::from(args.runs));
    report.insert("seconds_per_figure".into(), num(args.seconds));
    report.insert(
        "cpu_clock".into(),
        Value::from("thread CPU time (CLOCK_THREAD_CPUTIME_ID)"),
    );
    report.insert("load_1m_start".into(), load_1m());
    for (prefix, group) in groups {
        let figs = group(&budget).map_err(|e| format!("bench group {prefix}: {e}"))?;
        print!("{}", table(prefix, &figs));
        for t in &figs.timings {
            for (k, v) in t.keys() {
                report.insert(format!("{prefix}.{k}"), v);
            }
        }
        for (k, v) in figs.values {
            report.insert(format!("{prefix}.{k}"), v);
        }
    }
    report.insert("load_1m_end".into(), load_1m());
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&Value::Object(report))? + "\n";
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// The human-readable table of one group: one line per timed figure (runs; wall mean, median, p90; CPU mean,
/// median, p90; seconds), then the other figures.
pub fn table(prefix: &str, figs: &Figures) -> String {
    let mut out = format!(
        "{:<30} {:>5} | {:>9} {:>9} {:>9} | {:>9} {:>9} {:>9}\n",
        "figure (s)", "runs", "wall mean", "median", "p90", "cpu mean", "median", "p90"
    );
    for t in &figs.timings {
        let (w, c) = t.stats();
        let tag = match t.headline {
            Headline::Mean => "mean",
            Headline::Median => "median",
        };
        out += &format!(
            "{:<30} {:>5} | {:>9.4} {:>9.4} {:>9.4} | {:>9.4} {:>9.4} {:>9.4}\n",
            format!("{prefix}.{} [{tag}]", t.name),
            t.samples.len(),
            w.mean,
            w.median,
            w.p90,
            c.mean,
            c.median,
            c.p90
        );
    }
    for (k, v) in &figs.values {
        out += &format!("{prefix}.{k} = {v}\n");
    }
    out
}

/// The demo configuration the bench measures (5 clinics, τ = 5, the largest scale the set allows).
pub fn bench_config<P: ParamSet>(params: u32) -> Result<Config, String> {
    let quantizer =
        Quantizer::with_max_scale(5.0, params as usize, P::B_INT_MAX).map_err(|e| e.to_string())?;
    check_config::<P>(&ConfigRequest {
        clinics: 5,
        params,
        norm_bound: 5.0,
        scale: quantizer.scale(),
        key: KeyBounds::single::<P>(),
        smudging: 0,
    })
    .map_err(|e| e.to_string())
}

/// Maximal proof length of the bench's configuration (the layout's bound; docs/PROTOCOL.md §3 quotes it).
/// A proof's length varies with its Rice-coded z (§12.1); the bench reports the measured mean next to it.
pub fn bench_proof_len<P: ZkParams>(params: u32) -> Result<usize, String> {
    let config = bench_config::<P>(params)?;
    Ok(Layout::new(
        P::ZK,
        P::N,
        <P::M as Modulus>::BYTES,
        config.chunks as usize,
        config.b_int(),
    )
    .max_proof_len())
}

/// BFV (set S, demo configuration): quantization, encryption and decryption of the whole update, and its
/// ciphertext size.
fn bfv_figures(budget: &Budget) -> Result<Figures, String> {
    let config = bench_config::<SetS>(PARAMS)?;
    let mut rng = budget.rng(0);
    let chunks = config.chunks as usize;
    let keys = pipeline::keygen::<SetS, 2048, K_S>(chunks, &mut rng);
    let plain = PlainModulus::new(config.t).map_err(|e| e.to_string())?;
    let update = pipeline::random_update(PARAMS as usize, 0.02, &mut rng);
    let mut m = vec![0_i64; chunks * SetS::N];
    let quantize = budget.time("quantize_update", Headline::Median, || {
        config.quantizer.quantize(&update, &mut m).ok();
    });
    config
        .quantizer
        .quantize(&update, &mut m)
        .map_err(|e| e.to_string())?;
    let mut result = Ok(());
    let mut enc_rng = budget.rng(1);
    let encrypt = budget.time("encrypt_update", Headline::Median, || {
        if let Err(e) = pipeline::encrypt::<SetS, 2048, K_S>(&keys, plain, &m, &mut enc_rng) {
            result = Err(e.to_string());
        }
    });
    result?;
    let ct = pipeline::encrypt::<SetS, 2048, K_S>(&keys, plain, &m, &mut rng)
        .map_err(|e| e.to_string())?;
    let mut out = vec![0_u64; chunks * SetS::N];
    let decrypt = budget.time("decrypt_update", Headline::Median, || {
        pipeline::decrypt::<SetS, 2048, K_S>(&keys, plain, &ct, &mut out)
    });
    let ct_bytes = pipeline::ciphertext_bytes::<SetS>(chunks);
    Ok(Figures {
        timings: vec![quantize, encrypt, decrypt],
        values: vec![
            ("param_set", Value::from(SetS::NAME)),
            ("ciphertext_bytes", Value::from(ct_bytes)),
            (
                "ciphertext_vs_f32",
                num(ct_bytes as f64 / (4.0 * f64::from(PARAMS))),
            ),
        ],
    })
}

/// Stack of the thread that proves: the streaming prover keeps its fixed-size state on the stack (as the demo's
/// clinic threads do).
const PROVER_STACK: usize = 64 << 20;

/// Zero-knowledge proof, set S, the paper's update (PROTOCOL.md; issue 3's goals: encrypt + prove ≤ 1 s,
/// verify ≤ 0.4 s, proof ≤ 4 B/param).
fn zk_figures(budget: &Budget) -> Result<Figures, String> {
    let b = *budget;
    on_big_stack(move || zk_group::<SetS, 2048, K_S>(&b, b.params))
}

/// The same for set L (27 chunks of N = 4096).
fn zk_l_figures(budget: &Budget) -> Result<Figures, String> {
    let b = *budget;
    on_big_stack(move || zk_group::<SetL, 4096, K_L>(&b, b.params))
}

/// The same for set XL (the large-model set; docs/PROTOCOL.md §9.1, §15.2), verified as the service verifies XL:
/// without a lent A1 table (each proof re-expands the columns it reads).
fn zk_xl_figures(budget: &Budget) -> Result<Figures, String> {
    let b = *budget;
    on_big_stack(move || zk_group::<SetXL, 4096, K_XL>(&b, b.params))
}

/// Peak resident set of this process so far (VmHWM of /proc/self/status), in bytes; 0 where there is no
/// such file. Process-wide: it bounds the prover's and the verifier's memory together with the bench's own
/// buffers (key, update, ciphertext, proof).
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib * 1024)
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

/// The clinic's encryption (one u, e2 for all chunks), keeping u for the proof.
fn zk_encrypt<P: ParamSet, const N: usize, const K: usize>(
    key: &PublicKeyPolys<P, N, K>,
    plain: PlainModulus<P::M>,
    m: &[i64],
    rng: &mut ChaCha20Rng,
) -> Result<Encryption<P, N>, String> {
    key.encrypt(plain, m, rng)
        .map_err(|e| format!("encrypt: {e:?}"))
}

/// Proves `m` for `st` as the clinic pipeline (`zkfl_core::clinic`) does: with lent tables built for this
/// proof (`zk::prove::prove_lending_tables`), so their cost is in the figure.
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
    prove_lending_tables::<P, N, _, _>(st, ctx, &mut wit, rng, out)
        .map_err(|e| format!("prover: {e:?}"))
}

/// Figures of one set for an update of `params` parameters (clipped to τ = 5 and quantized at the largest
/// scale the set allows; statement bound B = B_int): prove (the same statement, fresh masks per proof), verify,
/// encrypt + prove (fresh encryption and masks per run), proof size, mean attempts.
fn zk_group<P: ZkParams, const N: usize, const K: usize>(
    budget: &Budget,
    params: u32,
) -> Result<Figures, String> {
    let config = bench_config::<P>(params)?;
    let mut rng = budget.rng(0);
    let chunks = config.chunks as usize;
    let key = pipeline::keygen::<P, N, K>(chunks, &mut rng).pk;
    let (pk_a, pk_b) = (&key.a.coeffs, key.b_coeffs());
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
    let ct = zk_encrypt::<P, N, K>(&key, plain, &flat, &mut rng)?;
    let ctx = Context {
        round: 1,
        clinic: 1,
    };
    let st = Statement {
        pk_a,
        pk_b: &pk_b,
        c1: &ct.c1.coeffs,
        c0: &ct.c0_coeffs(),
        t: plain.t(),
        bound: config.b_int(),
    };
    let lay = st.layout::<P>().map_err(|e| e.to_string())?;
    let mut proof = vec![0u8; lay.prove_buf_len()];
    let mut err = Ok(());
    let mut prove_rng = budget.rng(1);
    let mut prove_tally = Attempts::default();
    let prove_t = budget.time("prove", Headline::Mean, || {
        match zk_prove::<P, N>(&st, &ctx, &ct.u, &m, &mut prove_rng, &mut proof) {
            Ok(s) => prove_tally.add(&s),
            Err(e) => err = Err(e),
        }
    });
    std::mem::replace(&mut err, Ok(()))?;
    // The last proof is an honest one for this statement: time its verification as the service does it,
    // with the set's A1 table built once per process (`aggregator::crypto`).
    let last = &proof[..prove_tally.last_len];
    // Set XL is verified without a table, as the service does (`aggregator::crypto`).
    let table_words = if P::ID == SetXL::ID {
        0
    } else {
        A1Table::<P::M>::words(lay.zk.kmsis, lay.m1())
    };
    let mut a1_buf = vec![0u32; table_words];
    let a1 = if table_words == 0 {
        None
    } else {
        Some(
            A1Table::<P::M>::fill(P::ID, lay.zk.kmsis, lay.m1(), &mut a1_buf)
                .ok_or("the A1 table of the bench's layout")?,
        )
    };
    let check = |proof: &[u8]| match &a1 {
        Some(t) => verify_with_table::<P, N>(&st, &ctx, proof, t),
        None => verify::<P, N>(&st, &ctx, proof),
    };
    check(last).map_err(|e| format!("verifier: {e}"))?;
    let verify_t = budget.time("verify", Headline::Median, || {
        if let Err(e) = check(last) {
            err = Err(format!("verifier: {e}"));
        }
    });
    std::mem::replace(&mut err, Ok(()))?;
    // Encrypt + prove: the clinic's whole cryptographic work on a quantized update.
    let mut ep_rng = budget.rng(2);
    let mut ep_tally = Attempts::default();
    let ep_t = budget.time("encrypt_and_prove", Headline::Mean, || {
        let run = zk_encrypt::<P, N, K>(&key, plain, &flat, &mut ep_rng).and_then(|ct2| {
            let st2 = Statement {
                c1: &ct2.c1.coeffs,
                c0: &ct2.c0_coeffs(),
                ..st
            };
            zk_prove::<P, N>(&st2, &ctx, &ct2.u, &m, &mut ep_rng, &mut proof)
        });
        match run {
            Ok(s) => ep_tally.add(&s),
            Err(e) => err = Err(e),
        }
    });
    std::mem::replace(&mut err, Ok(()))?;
    // Wire encodings: the ciphertext of this update, and the public key the service serves (a and
    // b_1..b_Lmax, `zkfl keygen`), which a clinic downloads whatever its update size.
    let ct_bytes = zkfl_core::wire::bfv::encoded_len::<P>(chunks);
    let pk_bytes = zkfl_core::wire::bfv::encoded_len::<P>(P::MAX_CHUNKS);
    Ok(Figures {
        timings: vec![prove_t, verify_t, ep_t],
        values: vec![
            ("param_set", Value::from(P::NAME)),
            ("chunks", Value::from(chunks)),
            ("bound", Value::from(config.b_int())),
            ("proof_bytes", num(prove_tally.len_mean())),
            (
                "proof_bytes_per_param",
                num(prove_tally.len_mean() / f64::from(params)),
            ),
            ("proof_bytes_min", Value::from(prove_tally.len_min)),
            ("proof_bytes_max", Value::from(prove_tally.len_max)),
            ("proof_bytes_bound", Value::from(lay.max_proof_len())),
            ("params", Value::from(params)),
            ("ciphertext_bytes", Value::from(ct_bytes)),
            ("public_key_bytes", Value::from(pk_bytes)),
            (
                "upload_per_f32",
                num((ct_bytes as f64 + prove_tally.len_mean()) / (4.0 * f64::from(params))),
            ),
            ("peak_rss_bytes", Value::from(peak_rss_bytes())),
            ("prove.jl_attempts_mean", num(prove_tally.jl_mean())),
            (
                "prove.opening_attempts_mean",
                num(prove_tally.opening_mean()),
            ),
            (
                "encrypt_and_prove.opening_attempts_mean",
                num(ep_tally.opening_mean()),
            ),
        ],
    })
}

/// Attempt counts (rejection sampling restarts; PROTOCOL §6) and proof lengths (Rice-coded z, §12.1)
/// over the proofs of one figure.
#[derive(Default)]
struct Attempts {
    proofs: u32,
    jl: u64,
    opening: u64,
    len_sum: u64,
    len_min: usize,
    len_max: usize,
    last_len: usize,
}

impl Attempts {
    fn add(&mut self, s: &ProveStats) {
        self.len_min = if self.proofs == 0 {
            s.len
        } else {
            self.len_min.min(s.len)
        };
        self.proofs += 1;
        self.jl += u64::from(s.jl_attempts);
        self.opening += u64::from(s.attempts);
        self.len_sum += s.len as u64;
        self.len_max = self.len_max.max(s.len);
        self.last_len = s.len;
    }

    fn len_mean(&self) -> f64 {
        self.len_sum as f64 / f64::from(self.proofs.max(1))
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

    /// `--only` with an unknown group is an error naming every valid group; known names select in GROUPS
    /// order; no names select all.
    #[test]
    fn only_rejects_unknown_groups() {
        let err = select_groups(&["zk".into(), "nosuchgroup".into()]).unwrap_err();
        assert!(err.contains("`nosuchgroup`"), "{err}");
        for (name, _) in GROUPS {
            assert!(err.contains(name), "{err} does not name {name}");
        }
        let names = |o: &[&str]| {
            let o: Vec<String> = o.iter().map(|s| s.to_string()).collect();
            select_groups(&o)
                .unwrap()
                .iter()
                .map(|g| g.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&["zk.l", "bfv"]), ["bfv", "zk.l"]);
        assert_eq!(names(&[]).len(), GROUPS.len());
    }

    /// The CPU clock counts this thread's work and not its sleep.
    #[test]
    fn thread_cpu_clock_counts_work_not_sleep() {
        let c0 = thread_cpu_s();
        std::thread::sleep(Duration::from_millis(50));
        let slept = thread_cpu_s() - c0;
        assert!(
            (0.0..0.02).contains(&slept),
            "{slept} s of CPU while sleeping"
        );
        let (c1, t1) = (thread_cpu_s(), Instant::now());
        let mut x = 1u64;
        while thread_cpu_s() - c1 < 0.005 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            assert!(
                t1.elapsed() < Duration::from_secs(30),
                "CPU clock does not advance"
            );
        }
    }

    #[test]
    fn stats_mean_median_p90() {
        let s = Stats::of((1..=10).rev().map(f64::from).collect());
        assert_eq!(
            s,
            Stats {
                mean: 5.5,
                median: 5.5,
                p90: 9.0
            }
        );
        let s = Stats::of(vec![3.0, 1.0, 2.0]);
        assert_eq!(
            s,
            Stats {
                mean: 2.0,
                median: 2.0,
                p90: 3.0
            }
        );
        assert_eq!(Stats::of(vec![4.0]).p90, 4.0);
    }

    /// Every timed figure has its headline, count and both clocks' statistics in the JSON keys.
    #[test]
    fn timing_keys_cover_both_clocks() {
        let t = Timing {
            name: "prove",
            headline: Headline::Mean,
            samples: vec![
                Sample {
                    wall_s: 1.0,
                    cpu_s: 0.5,
                },
                Sample {
                    wall_s: 3.0,
                    cpu_s: 1.5,
                },
            ],
        };
        let keys: Map<String, Value> = t.keys().into_iter().collect();
        let want = [
            ("prove_s", 2.0),
            ("prove_cpu_s", 1.0),
            ("prove.runs", 2.0),
            ("prove.wall_mean_s", 2.0),
            ("prove.wall_median_s", 2.0),
            ("prove.wall_p90_s", 3.0),
            ("prove.cpu_mean_s", 1.0),
            ("prove.cpu_median_s", 1.0),
            ("prove.cpu_p90_s", 1.5),
        ];
        assert_eq!(keys.len(), want.len(), "{keys:?}");
        for (k, v) in want {
            assert_eq!(keys[k].as_f64(), Some(v), "{k}");
        }
        let table = table(
            "zk",
            &Figures {
                timings: vec![t],
                values: vec![("x", Value::from(1))],
            },
        );
        assert!(
            table.contains("zk.prove [mean]") && table.contains("zk.x = 1"),
            "{table}"
        );
    }

    /// One seed gives the same streams (so `--seed` repeats a run); figures get different streams.
    #[test]
    fn seeded_streams_repeat_and_differ() {
        use rand_core::Rng;
        let b = |seed| Budget {
            time: Duration::ZERO,
            min_runs: 1,
            seed,
            params: PARAMS,
        };
        let word = |b: Budget, s| b.rng(s).next_u64();
        assert_eq!(word(b(7), 1), word(b(7), 1));
        assert_ne!(word(b(7), 1), word(b(7), 2));
        assert_ne!(word(b(7), 1), word(b(8), 1));
    }

    /// A reduced update (2 chunks of set S, zero time budget, 2 runs per figure): every timed figure has its
    /// wall and CPU keys with positive values, the attempt means are ≥ 1 and the size is the layout's.
    #[test]
    fn zk_keys_present_and_positive_for_a_small_update() {
        let budget = Budget {
            time: Duration::ZERO,
            min_runs: 2,
            seed: 11,
            params: PARAMS,
        };
        let figs =
            on_big_stack(move || zk_group::<SetS, 2048, K_S>(&budget, 3000)).expect("zk figures");
        let mut keys = Map::new();
        for t in &figs.timings {
            keys.extend(t.keys());
        }
        keys.extend(figs.values.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let get = |k: &str| {
            keys.get(k)
                .and_then(Value::as_f64)
                .unwrap_or_else(|| panic!("missing key {k}"))
        };
        for f in ["prove", "verify", "encrypt_and_prove"] {
            assert_eq!(get(&format!("{f}.runs")), 2.0);
            for stat in ["mean", "median", "p90"] {
                for clock in ["wall", "cpu"] {
                    assert!(
                        get(&format!("{f}.{clock}_{stat}_s")) > 0.0,
                        "{f} {clock} {stat}"
                    );
                }
            }
            assert!(get(&format!("{f}_s")) > 0.0 && get(&format!("{f}_cpu_s")) > 0.0);
        }
        assert_eq!(get("chunks"), 2.0);
        assert!(get("prove.jl_attempts_mean") >= 1.0 && get("prove.opening_attempts_mean") >= 1.0);
        assert!(get("encrypt_and_prove.opening_attempts_mean") >= 1.0);
        let bound = bench_proof_len::<SetS>(3000).unwrap() as f64;
        assert_eq!(get("proof_bytes_bound"), bound);
        assert!(get("proof_bytes_min") <= get("proof_bytes"));
        assert!(get("proof_bytes") <= get("proof_bytes_max"));
        assert!(get("proof_bytes_max") <= bound);
        // No assertion between timings: attempts vary (rejection sampling) and the machine is shared.
    }

    /// docs/PROTOCOL.md §3 quotes the maximal proof sizes of the bench's configuration (108,996 parameters, 5 clinics,
    /// τ = 5, B = B_int): the layout is the one source of truth and this test keeps the document in step.
    #[test]
    fn protocol_doc_quotes_the_bench_proof_sizes() {
        let doc = include_str!("../../../docs/PROTOCOL.md");
        let row = doc
            .lines()
            .find(|l| l.starts_with("| proof size, maximal"))
            .expect("§3 maximal proof-size row");
        for (set, len) in [
            ("S", bench_proof_len::<SetS>(PARAMS).unwrap()),
            ("L", bench_proof_len::<SetL>(PARAMS).unwrap()),
        ] {
            let text = thousands(len);
            assert!(
                row.contains(&format!("{text} B")),
                "set {set}: {text} B not in {row}"
            );
        }
    }

    fn thousands(n: usize) -> String {
        let s = n.to_string();
        let mut out = String::new();
        for (i, ch) in s.chars().enumerate() {
            if i > 0 && (s.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(ch);
        }
        out
    }
}
