//! `zkfl clinic`: one site's part in a round against a running `zkfl serve` (docs/DEMO.md, "Your own
//! clinic"). `submit` sends an update computed elsewhere; `train` downloads the round's global model, trains
//! it on a local CSV and submits the update; `calibrate` measures this site's honest update norms locally to
//! suggest the clip bound τ (nothing leaves the site).
//!
//! Every submission checks the round announcement's ML-DSA-65 signature with the pinned aggregator key, the
//! served BFV key against the announced hash and the global model against the announced hash, then runs the
//! one clinic pipeline (`zkfl_core::clinic`: clip, quantize, encrypt, prove, sign, seal).

use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args as ClapArgs, Subcommand};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use zkfl_core::clinic::{Progress, PublicKey};
use zkfl_core::params::{ParamSet, SetS};
use zkfl_learn::csv::{Standardizer, Table, standardize_non_binary};
use zkfl_learn::{
    LocalData, Mlp, ModelSpec, TrainConfig, default_config, honest_update_norms, local_update,
    quantile,
};

use crate::client::Client;
use crate::clinic::ClinicKeys;
use crate::round::{Announcement, ClinicId};

/// Busy answers (429/503) retried before giving up.
const RETRIES: u32 = 5;

type Error = Box<dyn std::error::Error>;

/// `zkfl clinic` arguments.
#[derive(ClapArgs, Debug)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Submit an update computed elsewhere (little-endian f32, or a 1-D float32 `.npy`), or post an
    /// envelope a clinic device sealed (`--envelope`).
    Submit(SubmitArgs),
    /// Write the input files of a clinic device (docs/FIRMWARE.md) for the open round: the checked terms,
    /// the served BFV key, the pinned KEM key, this clinic's signing seed, an RNG seed and the update.
    Device(DeviceArgs),
    /// Download the global model, train it on a local CSV, submit the update.
    Train(TrainArgs),
    /// Measure this site's honest update norms over a few local rounds and suggest the clip bound τ.
    Calibrate(CalibrateArgs),
}

/// Where the clinic's keys and the server are.
#[derive(ClapArgs, Debug)]
struct Site {
    /// This clinic's key directory from `zkfl keygen` (`<keys>/clinics/<id>`: clinic-id, sign-seed.bin and
    /// the pinned aggregator keys).
    #[arg(long)]
    keys: PathBuf,
    /// The aggregator's URL.
    #[arg(long, default_value = "http://127.0.0.1:8787")]
    server: String,
}

#[derive(ClapArgs, Debug)]
struct SubmitArgs {
    #[command(flatten)]
    site: Site,
    /// The update: raw little-endian f32 (`.f32`, any other name) or `.npy` (float32, 1-D).
    #[arg(
        long,
        required_unless_present = "envelope",
        conflicts_with = "envelope"
    )]
    update: Option<PathBuf>,
    /// A sealed submission made elsewhere (e.g. by the firmware device from `zkfl clinic device` inputs),
    /// posted to the open round as it is; the server checks it like any other.
    #[arg(long)]
    envelope: Option<PathBuf>,
}

#[derive(ClapArgs, Debug)]
struct DeviceArgs {
    #[command(flatten)]
    site: Site,
    /// The update (as for `submit --update`).
    #[arg(long)]
    update: PathBuf,
    /// Directory for the device's files (created).
    #[arg(long)]
    out: PathBuf,
}

/// The local data and the model.
#[derive(ClapArgs, Debug)]
struct Local {
    /// CSV with a header row; every column but the label (classifiers) or the time and event (Cox) is a
    /// feature, in file order.
    #[arg(long)]
    data: PathBuf,
    /// Label column of a classifier (integer classes 0..C−1); default: the last column.
    #[arg(long)]
    label: Option<String>,
    /// Follow-up time column of a Cox model (≥ 0).
    #[arg(long, default_value = "T")]
    time: String,
    /// Event column of a Cox model (1 = event observed, 0 = censored).
    #[arg(long, default_value = "E")]
    event: String,
    /// The model: `mlp:IN,H1,..,C` (ReLU), `logistic:FEATURES,CLASSES` or `cox:FEATURES`. `train` uses the
    /// model the round announces (signed) and refuses a different `--model`; `calibrate` needs it.
    #[arg(long)]
    model: Option<String>,
    /// Local epochs per round [default: 1].
    #[arg(long)]
    epochs: Option<usize>,
    /// Mini-batch size [default: 32; Cox: 16, as the Fed-TCGA-BRCA demo].
    #[arg(long)]
    batch: Option<usize>,
    /// SGD learning rate [default: 0.05; Cox: 0.1, as the Fed-TCGA-BRCA demo].
    #[arg(long)]
    lr: Option<f32>,
}

#[derive(ClapArgs, Debug)]
struct TrainArgs {
    #[command(flatten)]
    site: Site,
    #[command(flatten)]
    local: Local,
}

#[derive(ClapArgs, Debug)]
struct CalibrateArgs {
    #[command(flatten)]
    local: Local,
    /// Simulated local rounds (each: train for `--epochs`, apply the own update).
    #[arg(long, default_value_t = 10)]
    rounds: usize,
    /// Seed of the initial model (classifiers: He-normal, as the demo's; Cox: zero weights) and of the
    /// batch order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

/// Runs `zkfl clinic`.
pub fn run(args: Args) -> Result<(), Error> {
    match args.command {
        Command::Submit(SubmitArgs {
            site,
            envelope: Some(env),
            ..
        }) => submit_envelope(&site, &env),
        Command::Submit(SubmitArgs {
            site,
            update: Some(path),
            ..
        }) => {
            let update = read_update(&path)?;
            submit(&site, |ann, _| {
                check_len(&path, &update, ann)?;
                Ok(update.clone())
            })
        }
        Command::Submit(_) => Err("give --update or --envelope".into()),
        Command::Device(a) => device_inputs(&a),
        Command::Train(a) => {
            let given = a.local.model.as_deref().map(ModelSpec::parse).transpose()?;
            submit(&a.site, |ann, global| {
                let spec = round_model(given.as_ref(), ann)?;
                let data = load_data(&a.local, &spec)?;
                let cfg = train_config(&a.local, &spec);
                eprintln!(
                    "training {spec} on {} samples: {} epoch(s), batch {}, learning rate {}",
                    data.len(),
                    cfg.epochs,
                    cfg.batch,
                    cfg.lr
                );
                Ok(local_update(&spec, global, &data, &cfg, &mut os_rng()?)?)
            })
        }
        Command::Calibrate(a) => calibrate(&a),
    }
}

/// Refuses an update whose length is not the announced model dimension.
fn check_len(path: &Path, update: &[f32], ann: &Announcement) -> Result<(), Error> {
    if update.len() == ann.model_dim as usize {
        return Ok(());
    }
    Err(format!(
        "{}: {} values, but round {} has a model of {} parameters",
        path.display(),
        update.len(),
        ann.round,
        ann.model_dim
    )
    .into())
}

/// The options given, the model kind's defaults ([`default_config`]) for the others.
fn train_config(l: &Local, spec: &ModelSpec) -> TrainConfig {
    let d = default_config(spec);
    TrainConfig {
        epochs: l.epochs.unwrap_or(d.epochs),
        batch: l.batch.unwrap_or(d.batch),
        lr: l.lr.unwrap_or(d.lr),
    }
}

/// The model to train: the one the round announces (signed); a `--model` must agree with it. A round
/// without a model spec takes `--model`, whose parameter count must be the announced dimension.
fn round_model(given: Option<&ModelSpec>, a: &Announcement) -> Result<ModelSpec, Error> {
    match (&a.model_spec, given) {
        (Some(announced), Some(g)) if g != announced => Err(format!(
            "--model {g} differs from the model round {} announces ({announced})",
            a.round
        )
        .into()),
        (Some(announced), _) => Ok(announced.clone()),
        (None, Some(g)) if g.param_count() == a.model_dim as usize => Ok(g.clone()),
        (None, Some(g)) => Err(format!(
            "--model {g} has {} parameters, but round {} announces a model of {}",
            g.param_count(),
            a.round,
            a.model_dim
        )
        .into()),
        (None, None) => Err(format!(
            "round {} announces no model spec; pass --model (e.g. logistic:FEATURES,CLASSES)",
            a.round
        )
        .into()),
    }
}

/// The CSV as the model's data set, standardized with this clinic's own statistics: class labels for a
/// classifier (every feature standardized), time and event for the Cox model (non-binary features
/// standardized, one-hot columns kept, as the Fed-TCGA-BRCA benchmark does).
fn load_data(l: &Local, spec: &ModelSpec) -> Result<LocalData, Error> {
    let at = |e: zkfl_learn::csv::CsvError| format!("{}: {e}", l.data.display());
    let bytes = std::fs::read(&l.data).map_err(|e| format!("{}: {e}", l.data.display()))?;
    let table = Table::parse(&bytes).map_err(at)?;
    if let Some(classes) = spec.classes() {
        let mut data = table
            .classification(l.label.as_deref(), spec.features(), classes)
            .map_err(at)?;
        Standardizer::fit(&data).apply(&mut data);
        return Ok(LocalData::Classes(data));
    }
    if let Some(label) = &l.label {
        return Err(format!(
            "--label {label}: the round's model {spec} takes a time and an event column (--time, --event), not a label"
        )
        .into());
    }
    let mut data = table
        .survival(&l.time, &l.event, spec.features())
        .map_err(at)?;
    standardize_non_binary(&mut data);
    Ok(LocalData::Survival(data))
}

/// The model calibration starts from: the Cox model from zero weights (as the Fed-TCGA-BRCA demo), a
/// classifier from He-normal weights drawn with `rng` (as the paper's demo).
fn initial_model(spec: &ModelSpec, rng: &mut ChaCha20Rng) -> Result<Vec<f32>, Error> {
    match spec.mlp_sizes() {
        Some(sizes) => Ok(Mlp::new(&sizes, rng)?.params().to_vec()),
        None => Ok(vec![0.0; spec.param_count()]),
    }
}

fn os_rng() -> Result<ChaCha20Rng, Error> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("OS randomness: {e}"))?;
    Ok(ChaCha20Rng::from_seed(seed))
}

/// Prints a line per 10 % of a long step.
struct Lines {
    last: Option<(&'static str, u32)>,
    start: Instant,
}

impl Progress for Lines {
    fn report(&mut self, stage: &'static str, done: u32, total: u32) -> bool {
        let now = (stage, done * 10 / total.max(1));
        if self.last != Some(now) {
            eprintln!(
                "{stage}: {done}/{total} ({:.1} s)",
                self.start.elapsed().as_secs_f64()
            );
            self.last = Some(now);
        }
        true
    }
}

/// An open round whose announcement carries the pinned aggregator key's signature.
struct OpenRound {
    id: ClinicId,
    keys: ClinicKeys,
    client: Client,
    a: Announcement,
}

/// Loads this clinic's keys, fetches the current round and checks its signature and that it is open.
fn open_round(site: &Site) -> Result<OpenRound, Error> {
    let id = clinic_id(&site.keys)?;
    let keys = ClinicKeys::load_dir(&site.keys, id)?;
    let client = Client::new(&site.server).with_retry(crate::client::RetryPolicy {
        attempts: RETRIES + 1,
        ..crate::client::RetryPolicy::default()
    });
    let current = client
        .current_round()
        .map_err(|e| format!("{}: GET /v1/rounds/current: {e}", site.server))?;
    let a = current.verify(&keys.aggregator_vk)?;
    if current.state != "open" {
        return Err(format!(
            "round {} is {}, not open; wait for the next round",
            a.round, current.state
        )
        .into());
    }
    eprintln!(
        "round {} (signed announcement checked): {} parameters, τ = {}, B_int = {}",
        a.round, a.model_dim, a.norm_bound, a.b_int
    );
    Ok(OpenRound {
        id,
        keys,
        client,
        a,
    })
}

/// The served BFV key; in threshold mode (the clinic's directory holds a committee roster) only once its
/// certificate carries every member's signature under that roster (`clinic::check_committee_key`).
fn served_key(site: &Site, client: &Client, a: &Announcement) -> Result<Vec<u8>, Error> {
    let served = client
        .bfv_key()
        .map_err(|e| format!("GET /v1/keys/bfv: {e}"))?;
    if let Some(roster) = crate::clinic::committee_roster(&site.keys) {
        let committee = client
            .committee_key()
            .map_err(|e| format!("GET /v1/keys/committee: {e}"))?;
        crate::clinic::check_committee_key(&roster, &served, a, &committee)?;
        eprintln!(
            "committee key certified by all members under this clinic's roster ({})",
            committee["mode"].as_str().unwrap_or("threshold")
        );
    }
    Ok(served)
}

/// Prints `upload: sent/total bytes` on stderr at every 10 % of an upload.
fn upload_progress() -> impl Fn(u64, u64) {
    let last = std::cell::Cell::new(u64::MAX);
    move |sent, total| {
        let tenth = sent * 10 / total.max(1);
        if last.replace(tenth) != tenth {
            eprintln!("upload: {sent}/{total} bytes");
        }
    }
}

/// Posts the sealed envelope (streamed from memory, no copy) and prints the server's verdict.
fn post(client: &Client, a: &Announcement, envelope: &[u8]) -> Result<(), Error> {
    let open = || Ok(Box::new(envelope) as Box<dyn std::io::Read + '_>);
    let len = envelope.len() as u64;
    post_streamed(client, a, len, &open)
}

/// Posts `len` bytes read from `open()` with upload progress on stderr, and prints the server's verdict.
fn post_streamed<'b>(
    client: &Client,
    a: &Announcement,
    len: u64,
    open: &dyn Fn() -> std::io::Result<Box<dyn std::io::Read + 'b>>,
) -> Result<(), Error> {
    let ok = client
        .submit_streamed(a.round, len, open, &upload_progress())
        .map_err(|e| format!("POST /v1/rounds/{}/submissions: {e}", a.round))?;
    println!(
        "accepted: clinic {} in round {} ({} of the roster so far)",
        ok.clinic_id, ok.round, ok.accepted_so_far
    );
    Ok(())
}

/// `submit --envelope`: a submission sealed elsewhere, posted to the open round as it is, streamed from
/// the file (never read into memory whole).
fn submit_envelope(site: &Site, path: &Path) -> Result<(), Error> {
    let len = std::fs::metadata(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .len();
    let r = open_round(site)?;
    eprintln!(
        "posting the sealed envelope {} ({len} bytes)",
        path.display()
    );
    let open = || {
        std::fs::File::open(path)
            .map(|f| Box::new(std::io::BufReader::new(f)) as Box<dyn std::io::Read>)
    };
    post_streamed(&r.client, &r.a, len, &open)
}

/// `device`: the device's input files (docs/FIRMWARE.md) for the open round, after the same checks as
/// `submit` (signed announcement, served key against the announced hash, B_int and t from τ and S).
fn device_inputs(d: &DeviceArgs) -> Result<(), Error> {
    let OpenRound {
        id,
        keys,
        client,
        a,
    } = open_round(&d.site)?;
    if a.param_set_id != SetS::ID {
        return Err(format!(
            "round {} uses parameter set {}; clinic devices (docs/FIRMWARE.md) run set S ({}) only: \
             submit from this machine with `zkfl clinic submit` instead",
            a.round,
            a.param_set_id,
            SetS::ID
        )
        .into());
    }
    let update = read_update(&d.update)?;
    check_len(&d.update, &update, &a)?;
    let served = served_key(&d.site, &client, &a)?;
    let pk = PublicKey::decode_for_model(&served, a.model_dim)?;
    crate::clinic::round(&a, &pk, &keys)?;
    let terms = zkfl_core::wire::terms::DeviceTerms {
        round: a.round.0,
        clinic: id.0,
        model_dim: a.model_dim,
        norm_bound: a.norm_bound,
        scale: a.scale,
        b_int: a.b_int,
        t: a.t,
        sequence: 1,
        bfv_public_key_sha3: a.bfv_public_key_sha3,
    };
    let mut rng_seed = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut *rng_seed).map_err(|e| format!("OS randomness: {e}"))?;
    let update_bytes: Vec<u8> = update.iter().flat_map(|v| v.to_le_bytes()).collect();
    let files: [(&str, &[u8]); 6] = [
        ("terms.bin", &terms.encode()),
        ("bfv-pk.bin", &served),
        ("kem-pk.bin", &keys.kem.to_bytes()),
        ("device-seed.bin", &*keys.sign.to_bytes()),
        ("rng-seed.bin", &*rng_seed),
        ("update.f32", &update_bytes),
    ];
    std::fs::create_dir_all(&d.out).map_err(|e| format!("{}: {e}", d.out.display()))?;
    for (name, bytes) in files {
        let p = d.out.join(name);
        std::fs::write(&p, bytes).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    println!(
        "device inputs for clinic {id}, round {} ({} parameters): {}",
        a.round,
        a.model_dim,
        d.out.display()
    );
    Ok(())
}

/// The common flow: verified announcement, checked key and model, `make_update(announcement, global)`,
/// the pipeline, POST with retries, the server's verdict.
fn submit(
    site: &Site,
    make_update: impl FnOnce(&Announcement, &[f32]) -> Result<Vec<f32>, Error>,
) -> Result<(), Error> {
    let OpenRound {
        id,
        keys,
        client,
        a,
    } = open_round(site)?;
    let global = client
        .model(a.round)
        .map_err(|e| format!("GET /v1/models/{}: {e}", a.round))?;
    if crate::coordinator::sha3(&crate::model::encode(&global)) != a.model_sha3 {
        return Err("the served global model is not the announced one (SHA3-256 differs)".into());
    }
    let served = served_key(site, &client, &a)?;
    let pk = PublicKey::decode_for_model(&served, a.model_dim)?;
    let round = crate::clinic::round(&a, &pk, &keys)?;
    drop((pk, served));
    let update = make_update(&a, &global)?;
    let norm = zkfl_learn::l2_norm(&update);
    if norm > a.norm_bound {
        eprintln!(
            "update norm {norm:.4} > τ = {}: it is clipped to τ before encryption",
            a.norm_bound
        );
    }
    eprintln!(
        "parameter set {}: {} chunks of {} coefficients",
        set_name(a.param_set_id),
        round.chunks(),
        round.ring_degree()
    );
    let start = Instant::now();
    let mut progress = Lines { last: None, start };
    let sub = round.submit(&update, id.0, &keys.sign, 1, &mut os_rng()?, &mut progress)?;
    drop(update);
    eprintln!(
        "sealed {} bytes ({:.1} s); submitting",
        sub.envelope.len(),
        start.elapsed().as_secs_f64()
    );
    post(&client, &a, &sub.envelope)
}

/// The name of parameter set `id` ("S", "L", "XL"), or its number.
fn set_name(id: u8) -> String {
    match id {
        zkfl_core::params::SetS::ID => zkfl_core::params::SetS::NAME.into(),
        zkfl_core::params::SetL::ID => zkfl_core::params::SetL::NAME.into(),
        zkfl_core::params::SetXL::ID => zkfl_core::params::SetXL::NAME.into(),
        other => other.to_string(),
    }
}

fn clinic_id(dir: &Path) -> Result<ClinicId, Error> {
    let p = dir.join("clinic-id");
    let s = std::fs::read_to_string(&p).map_err(|e| {
        format!(
            "{}: {e} (--keys is this clinic's directory from `zkfl keygen`, e.g. keys/clinics/1)",
            p.display()
        )
    })?;
    Ok(s.trim()
        .parse()
        .map_err(|_| format!("{}: not a clinic id", p.display()))?)
}

/// Reads an update: `.npy` (float32, C order, 1-D) or raw little-endian f32.
pub fn read_update(path: &Path) -> Result<Vec<f32>, Error> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let is_npy = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    let values = if is_npy {
        npy_f32(&bytes).map_err(|e| format!("{}: {e}", path.display()))?
    } else {
        if bytes.len() % 4 != 0 {
            return Err(format!(
                "{}: {} bytes is not a whole number of little-endian f32 values",
                path.display(),
                bytes.len()
            )
            .into());
        }
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(format!("{}: value {i} is not finite", path.display()).into());
    }
    Ok(values)
}

/// Parses a `.npy` file (NumPy format versions 1–3) holding a 1-D little-endian float32 array in C order.
pub fn npy_f32(bytes: &[u8]) -> Result<Vec<f32>, String> {
    let rest = bytes
        .strip_prefix(b"\x93NUMPY")
        .ok_or("not a .npy file (no \\x93NUMPY magic)")?;
    let (&[major, _minor], rest) = rest.split_first_chunk::<2>().ok_or("truncated header")?;
    let (len, rest) = match major {
        1 => {
            let (l, r) = rest.split_first_chunk::<2>().ok_or("truncated header")?;
            (usize::from(u16::from_le_bytes(*l)), r)
        }
        2 | 3 => {
            let (l, r) = rest.split_first_chunk::<4>().ok_or("truncated header")?;
            (u32::from_le_bytes(*l) as usize, r)
        }
        v => return Err(format!("unsupported .npy version {v}")),
    };
    let header = rest.get(..len).ok_or("truncated header")?;
    let header = std::str::from_utf8(header).map_err(|_| "header is not text")?;
    let data = &rest[len..];
    let field = |key: &str| -> Result<&str, String> {
        let at = header
            .find(&format!("'{key}'"))
            .ok_or_else(|| format!("header has no '{key}'"))?;
        let after = header[at + key.len() + 2..].trim_start();
        Ok(after
            .strip_prefix(':')
            .ok_or("malformed header")?
            .trim_start())
    };
    let descr = field("descr")?;
    if !(descr.starts_with("'<f4'") || descr.starts_with("'float32'")) {
        let end = descr.find(',').unwrap_or(descr.len());
        return Err(format!(
            "dtype {} is not little-endian float32 ('<f4'); save with numpy.asarray(u, dtype='<f4')",
            &descr[..end]
        ));
    }
    if !field("fortran_order")?.starts_with("False") {
        return Err("Fortran-ordered arrays are not supported".into());
    }
    let shape = field("shape")?;
    let inner = shape
        .strip_prefix('(')
        .and_then(|s| s.split_once(')'))
        .ok_or("malformed shape")?
        .0;
    let dims: Vec<&str> = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let n: usize = match dims.as_slice() {
        [d] => d
            .parse()
            .map_err(|_| format!("malformed shape ({inner})"))?,
        _ => {
            return Err(format!(
                "shape ({inner}) is not 1-D; flatten the update (numpy.ravel) before saving"
            ));
        }
    };
    if data.len() != n * 4 {
        return Err(format!(
            "shape ({n},) needs {} data bytes, the file has {}",
            n * 4,
            data.len()
        ));
    }
    Ok(data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}

/// Honest-norm calibration: trains the model on the local data for `--rounds` simulated rounds and prints
/// the quantiles of the update norms and a suggested τ (docs/DEMO.md, "Choosing τ").
fn calibrate(a: &CalibrateArgs) -> Result<(), Error> {
    let spec = ModelSpec::parse(a.local.model.as_deref().ok_or("calibrate needs --model")?)?;
    let data = load_data(&a.local, &spec)?;
    let mut rng = ChaCha20Rng::seed_from_u64(a.seed);
    let global = initial_model(&spec, &mut rng)?;
    let cfg = train_config(&a.local, &spec);
    eprintln!(
        "calibrating {spec} on {} local samples: {} rounds of {} epoch(s), batch {}, learning rate {}; nothing leaves this machine",
        data.len(),
        a.rounds,
        cfg.epochs,
        cfg.batch,
        cfg.lr
    );
    let norms = honest_update_norms(&spec, &global, &data, &cfg, a.rounds.max(1), &mut rng)?;
    let q = |p| quantile(&norms, p).unwrap_or(0.0);
    println!(
        "honest update norms over {} rounds: min {:.4}, median {:.4}, p90 {:.4}, max {:.4}",
        norms.len(),
        q(0.0),
        q(0.5),
        q(0.9),
        q(1.0)
    );
    println!("suggested τ = {}", suggest_tau(q(1.0)));
    Ok(())
}

/// τ = 1.5 × the largest honest norm, rounded up to two significant digits: honest updates pass unclipped
/// with margin for other sites' data, while τ stays within a small factor of what honest training produces.
#[must_use]
pub fn suggest_tau(max_norm: f64) -> f64 {
    let x = 1.5 * max_norm;
    if !(x.is_finite() && x > 0.0) {
        return 0.0;
    }
    // Two significant digits: x scaled by 10^-e lies in [10, 100). Dividing by an exact power of ten (rather
    // than multiplying by an inexact 10^-k) prints as the short decimal, e.g. 0.072 not 0.07200000000000001.
    let e = x.log10().floor() - 1.0;
    if e < 0.0 {
        let up = 10f64.powf(-e);
        (x * up).ceil() / up
    } else {
        let down = 10f64.powf(e);
        (x / down).ceil() * down
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
        let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut out = b"\x93NUMPY\x01\x00".to_vec();
        out.extend_from_slice(&u16::try_from(h.len()).expect("len").to_le_bytes());
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out
    }

    #[test]
    fn npy_float32_vectors_are_read_and_other_dtypes_or_shapes_refused() {
        let data: Vec<u8> = [1.5f32, -2.0, 0.25]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(
            npy_f32(&npy("<f4", "(3,)", &data)),
            Ok(vec![1.5, -2.0, 0.25])
        );
        let e = npy_f32(&npy("<f8", "(3,)", &data)).expect_err("f64");
        assert!(e.contains("'<f8'") && e.contains("float32"), "{e}");
        let e = npy_f32(&npy("<f4", "(1, 3)", &data)).expect_err("2-D");
        assert!(e.contains("not 1-D"), "{e}");
        let e = npy_f32(&npy("<f4", "(4,)", &data)).expect_err("short");
        assert!(e.contains("needs 16 data bytes"), "{e}");
        assert!(npy_f32(b"PK\x03\x04").is_err());
        assert!(npy_f32(&npy("<f4", "(3,)", &data)[..12]).is_err());
    }

    #[test]
    fn the_trained_model_is_the_announced_one_or_a_matching_model_option() {
        let mut a = crate::round::sample_announcement(crate::round::RoundId(4), 8);
        let logistic = ModelSpec::parse("logistic:3,2").expect("spec");
        let other = ModelSpec::parse("cox:8").expect("spec");
        assert_eq!(
            round_model(Some(&logistic), &a).ok(),
            Some(logistic.clone())
        );
        let e = round_model(None, &a)
            .expect_err("no model anywhere")
            .to_string();
        assert!(e.contains("announces no model spec"), "{e}");
        let e = round_model(Some(&ModelSpec::parse("logistic:3,3").expect("s")), &a)
            .expect_err("wrong size")
            .to_string();
        assert!(e.contains("announces a model of 8"), "{e}");
        a.model_spec = Some(logistic.clone());
        assert_eq!(round_model(None, &a).ok(), Some(logistic.clone()));
        let e = round_model(Some(&other), &a)
            .expect_err("differs")
            .to_string();
        assert!(
            e.contains("differs from the model round 4 announces"),
            "{e}"
        );
    }

    #[test]
    fn tau_is_one_and_a_half_times_the_largest_norm_rounded_up() {
        assert!((suggest_tau(0.5) - 0.75).abs() < 1e-12);
        assert!((suggest_tau(0.123) - 0.19).abs() < 1e-12);
        assert!((suggest_tau(7.0) - 11.0).abs() < 1e-9);
        assert_eq!(suggest_tau(0.0), 0.0);
        // Printed as a user would type it (a Fed-TCGA-BRCA centre's norms give this one).
        assert_eq!(suggest_tau(0.0475).to_string(), "0.072");
        assert_eq!(suggest_tau(0.0135).to_string(), "0.021");
    }
}
