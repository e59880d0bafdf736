//! `zkfl serve`: runs the aggregator service (docs/SERVICE.md).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::coordinator::{Coordinator, OpenRound, Progress, now};
use crate::server::GuardConfig;
use crate::server::listen::ListenConfig;
use crate::service::{self, ServiceConfig};

/// Arguments of `zkfl serve`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Address to listen on (port 0 picks a free port; the chosen address is printed).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub addr: SocketAddr,
    /// Data directory: holds the SQLite database `zkfl.sqlite`.
    #[arg(long, default_value = "zkfl-data")]
    pub data_dir: PathBuf,
    /// Key directory written by `zkfl keygen` (default: <data-dir>/keys).
    #[arg(long)]
    pub keys: Option<PathBuf>,
    /// Verification worker threads.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Submissions that may wait for a worker before new ones get 429.
    #[arg(long, default_value_t = 16)]
    pub queue: usize,
    /// Largest accepted request body in bytes.
    #[arg(long, default_value_t = 16 << 20)]
    pub max_body_bytes: usize,
    /// Initial model (little-endian f32) stored before the first round.
    #[arg(long)]
    pub initial_model: Option<PathBuf>,
    /// Open a round at start-up if none is open (with --norm-bound, --scale, --deadline-secs).
    #[arg(long)]
    pub open_round: bool,
    /// After a round is published or fails, open the next one until this many rounds exist.
    #[arg(long, default_value_t = 0)]
    pub rounds: u64,
    /// Clip bound B for rounds opened from the command line.
    #[arg(long, default_value_t = 5.0)]
    pub norm_bound: f64,
    /// Quantization scale S for rounds opened from the command line.
    #[arg(long, default_value_t = 512.0)]
    pub scale: f64,
    /// Round length in seconds for rounds opened from the command line.
    #[arg(long, default_value_t = 600)]
    pub deadline_secs: u64,
    /// Open connections at most (lowered to fit the process's file-descriptor limit).
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds a request head may take to arrive; also closes idle keep-alive connections.
    #[arg(long, default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Seconds a request body may take to arrive.
    #[arg(long, default_value_t = 20)]
    pub body_timeout_secs: u64,
    /// Request body bytes read or authenticated at once; beyond it new bodies get 429.
    #[arg(long, default_value_t = 64 << 20)]
    pub max_inflight_body_bytes: usize,
    /// Submissions authenticated (envelope opened, signature checked) at once.
    #[arg(long, default_value_t = 4)]
    pub auth_slots: usize,
    /// The model rounds opened from the command line announce (signed), e.g. `logistic:3,2`,
    /// `mlp:784,128,64,4`, `cox:39`; its parameter count must equal the initial model's. Clinics train it.
    #[arg(long)]
    pub model: Option<String>,
    /// Also serve the static files of this directory (the browser clinic: `--web-dir web-demo`) at `/`.
    #[arg(long)]
    pub web_dir: Option<PathBuf>,
    /// Threshold mode (a key directory from `zkfl keygen --committee`): one committee member, given once per
    /// member in member order: `off` (offline), `dir:<path>` (a local `zkfl keyholder --committee` child on
    /// that member directory) or `http://host:port` (docs/THRESHOLD.md §16).
    #[arg(long = "member", value_name = "SPEC")]
    pub members: Vec<String>,
}

/// Runs the service until SIGINT/SIGTERM.
pub fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let keys = args
        .keys
        .clone()
        .unwrap_or_else(|| args.data_dir.join("keys"));
    let config = ServiceConfig {
        data_dir: args.data_dir.clone(),
        keys,
        workers: args.workers,
        queue: args.queue,
        max_body: args.max_body_bytes,
        guards: GuardConfig {
            body_budget: args.max_inflight_body_bytes.max(args.max_body_bytes),
            auth_slots: args.auth_slots,
            body_timeout: Duration::from_secs(args.body_timeout_secs),
            ..GuardConfig::default()
        },
        committee: service::CommitteeConfig {
            members: args.members.clone(),
            norm_bound: args.norm_bound,
            scale: args.scale,
            model_dim: match &args.initial_model {
                Some(p) => Some(u32::try_from(std::fs::metadata(p)?.len() / 4)?),
                None => None,
            },
        },
    };
    let listen = ListenConfig {
        max_connections: args.max_connections,
        header_timeout: Duration::from_secs(args.header_timeout_secs.max(1)),
        ..ListenConfig::default()
    };
    let auto = (args.open_round || args.rounds > 0).then_some(OpenRound {
        norm_bound: args.norm_bound,
        scale: args.scale,
        deadline_secs: args.deadline_secs,
        model_sha3: None,
        model: args.model.clone(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let svc = service::start(&config)?;
        if let Some(path) = &args.initial_model {
            svc.state.coordinator.put_model(&std::fs::read(path)?)?;
        }
        if args.open_round {
            open_if_idle(&svc.state.coordinator, auto.as_ref());
        }
        let stop_signal = crate::server::listen::shutdown_signal();
        let listener = tokio::net::TcpListener::bind(args.addr).await?;
        println!("{LISTENING}http://{}", listener.local_addr()?);
        let mode = svc.state.coordinator.decryption_mode();
        if mode == crate::keyholder::MODE {
            println!("zkfl serve: decryption in {mode} mode (separate key-holder process)");
        } else {
            println!("zkfl serve: decryption in {mode} mode (key-holder committee)");
        }
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let driver = tokio::spawn(drive_rounds(
            Arc::clone(&svc.state.coordinator),
            auto,
            args.rounds,
            stop_rx,
        ));
        let mut app = crate::server::router(Arc::clone(&svc.state));
        if let Some(dir) = &args.web_dir {
            app = crate::server::web::with_web_dir(app, dir.clone());
            println!(
                "zkfl serve: clinic page at http://{}/index.html",
                listener.local_addr()?
            );
        }
        let app = crate::server::web::with_compression_and_etags(app);
        let state = Arc::clone(&svc.state);
        crate::server::listen::serve(listener, app, &listen, stop_signal, move || {
            state.guards.requests_in_flight()
        })
        .await?;
        println!("zkfl serve: shutting down: finishing queued verifications");
        let _ = stop_tx.send(true);
        let _ = driver.await;
        tokio::task::spawn_blocking(move || svc.stop()).await?;
        println!("zkfl serve: stopped");
        Ok(())
    })
}

/// What `zkfl serve` prints on stdout, followed by its base URL, once it listens
/// ([`crate::server::listen::listening_address`] reads it).
pub const LISTENING: &str = "zkfl serve: listening on ";

fn open_if_idle(c: &Coordinator, req: Option<&OpenRound>) {
    let Some(req) = req else { return };
    match c.open_round(req) {
        Ok(_) => {}
        Err(e) if e.code == crate::error::Code::RoundAlreadyOpen => {}
        Err(e) => eprintln!("zkfl serve: could not open a round: {e}"),
    }
}

/// Moves rounds along their life cycle every quarter second; opens the next round when asked to.
async fn drive_rounds(
    c: Arc<Coordinator>,
    auto: Option<OpenRound>,
    rounds: u64,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let (c, auto) = (Arc::clone(&c), auto.clone());
        let _ = tokio::task::spawn_blocking(move || {
            c.supervise();
            if let Err(e) = c.flush_counters() {
                eprintln!("zkfl serve: round driver: {e}");
            }
            for _ in 0..8 {
                match c.drive(now()) {
                    Ok(Progress::Moved(_)) => {}
                    Ok(Progress::Idle) => break,
                    Err(e) => {
                        eprintln!("zkfl serve: round driver: {e}");
                        break;
                    }
                }
            }
            let latest = c.latest_round().ok().flatten();
            if let Some(l) =
                latest.filter(|l| l.state().is_terminal() && l.announcement.round.0 < rounds)
            {
                let _ = l;
                open_if_idle(&c, auto.as_ref());
            }
        })
        .await;
    }
}
