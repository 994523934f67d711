//! The `run` command: a tailing thread (blocking file I/O, inotify wake-ups, checkpoints) and
//! the warp server, stopped together on SIGTERM/SIGINT with a final checkpoint.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use notify::Watcher;

use crate::metrics::{Aggregator, AggregatorCollector};
use crate::replay::CHUNK;
use contract::Manifest;

use crate::route::{DEFAULT_MAX_PATHS, Router};
use crate::state::{self, Checkpoint, FilePosition};
use crate::tail::{Follower, Start};

/// Polling fallback: files are checked at least this often even without inotify events, which
/// keeps new lines visible within a second on filesystems without inotify (NFS, some volumes).
pub const POLL: Duration = Duration::from_millis(250);

/// Checkpoints are written at least this often while anything changes.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Settings of the `run` command, parsed by clap straight from its command line (and
/// environment); the field comments are the command's help.
#[derive(Debug, Clone, clap::Args)]
pub struct RunConfig {
    /// Access log to follow (repeat, or comma-separate in the environment variable).
    #[arg(
        long = "log",
        env = "TOUCHLINE_SIDECAR_LOG",
        value_delimiter = ',',
        required = true
    )]
    pub logs: Vec<PathBuf>,
    /// Route manifest (dist/_routes.json) bounding the path label to known routes.
    #[arg(long, env = "TOUCHLINE_SIDECAR_ROUTES")]
    pub routes: Option<PathBuf>,
    /// Address to serve on.
    #[arg(
        long,
        env = "TOUCHLINE_SIDECAR_LISTEN",
        default_value = "127.0.0.1:9145"
    )]
    pub listen: SocketAddr,
    /// Checkpoint file (offsets and counts), written atomically at least every second.
    #[arg(long, env = "TOUCHLINE_SIDECAR_STATE")]
    pub state: Option<PathBuf>,
    /// Free disk blocks of counted lines by punching holes in the log (keeps its size).
    #[arg(long, env = "TOUCHLINE_SIDECAR_RECLAIM")]
    pub reclaim: bool,
    /// Distinct paths kept as labels without a manifest; the rest are "other".
    #[arg(long, env = "TOUCHLINE_SIDECAR_MAX_PATHS", default_value_t = DEFAULT_MAX_PATHS)]
    pub max_paths: usize,
}

/// Builds the router from an optional manifest.
pub fn router(routes: Option<&std::path::Path>, max_paths: usize) -> Result<Router> {
    Ok(match routes {
        Some(p) => Router::with_manifest(&Manifest::read(p)?),
        None => Router::open(max_paths),
    })
}

/// Runs until SIGTERM or SIGINT.
pub async fn run(cfg: RunConfig) -> Result<()> {
    let mut agg = Aggregator::new(router(cfg.routes.as_deref(), cfg.max_paths)?);
    let checkpoint = match &cfg.state {
        Some(p) => state::load(p)?,
        None => None,
    };
    if let Some(cp) = &checkpoint {
        agg.restore(&cp.counts)?;
        tracing::info!(lines = agg.total_lines(), "resumed from checkpoint");
    }
    let agg = Arc::new(Mutex::new(agg));
    let now = Instant::now();
    let followers: Vec<Follower> = cfg
        .logs
        .iter()
        .map(|log| match &checkpoint {
            Some(cp) => Follower::restore(log.clone(), &cp.files, &agg, now, cfg.reclaim),
            // With a state file but no checkpoint yet, nothing has been counted: start at the
            // beginning so no line is missed. Without one, only new lines count.
            None if cfg.state.is_some() => {
                Follower::new(log.clone(), Start::Beginning).reclaiming(cfg.reclaim)
            }
            None => Follower::new(log.clone(), Start::End).reclaiming(cfg.reclaim),
        })
        .collect();

    let registry = prometheus::Registry::new();
    registry.register(Box::new(AggregatorCollector::new(agg.clone())?))?;
    registry.register(Box::new(
        prometheus::process_collector::ProcessCollector::for_self(),
    ))?;

    let ready = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let (wake_tx, wake_rx) = std::sync::mpsc::channel();
    let watcher = watch(&cfg.logs, wake_tx.clone());
    let tailer = {
        let (agg, ready, stop) = (agg.clone(), ready.clone(), stop.clone());
        let (state, reclaim) = (cfg.state.clone(), cfg.reclaim);
        std::thread::Builder::new()
            .name("tail".into())
            .spawn(move || tail_loop(followers, &agg, &ready, &stop, &wake_rx, state, reclaim))
            .context("starting the tailing thread")?
    };

    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .with_context(|| format!("binding {}", cfg.listen))?;
    tracing::info!(addr = %listener.local_addr()?, "listening");
    warp::serve(crate::server::routes(registry, ready))
        .incoming(listener)
        .graceful(shutdown_signal())
        .run()
        .await;

    tracing::info!("shutting down");
    stop.store(true, Ordering::Release);
    // The tailing thread may be waiting for an event; wake it. It may also have exited already,
    // in which case there is nobody to wake.
    let _ = wake_tx.send(());
    drop(watcher);
    match tailer.join() {
        Ok(r) => r,
        Err(_) => anyhow::bail!("the tailing thread panicked"),
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for SIGTERM; stopping on SIGINT only");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// Watches each log's directory (not the file: renames and re-creations happen there).
/// Without inotify, the polling fallback alone keeps the sidecar working.
fn watch(logs: &[PathBuf], wake: Sender<()>) -> Option<notify::RecommendedWatcher> {
    let mut watcher =
        match notify::recommended_watcher(move |_event: notify::Result<notify::Event>| {
            let _ = wake.send(());
        }) {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "no file notifications; polling only");
                return None;
            }
        };
    for log in logs {
        let dir = match log.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        };
        if let Err(e) = watcher.watch(dir, notify::RecursiveMode::NonRecursive) {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot watch; polling it");
        }
    }
    Some(watcher)
}

fn tail_loop(
    mut followers: Vec<Follower>,
    agg: &Mutex<Aggregator>,
    ready: &AtomicBool,
    stop: &AtomicBool,
    wake: &Receiver<()>,
    state_path: Option<PathBuf>,
    reclaim: bool,
) -> Result<()> {
    let mut buf = vec![0u8; CHUNK];
    let mut last_saved: Option<Vec<FilePosition>> = None;
    let mut last_checkpoint = Instant::now() - CHECKPOINT_EVERY;
    loop {
        let stopping = stop.load(Ordering::Acquire);
        let now = Instant::now();
        let mut more = false;
        for f in &mut followers {
            match f.poll(now, agg, &mut buf) {
                Ok(m) => more |= m,
                Err(e) => tracing::warn!(log = %f.log().display(), error = %e, "reading log"),
            }
        }
        ready.store(
            followers.iter().all(Follower::is_caught_up),
            Ordering::Release,
        );

        if stopping || now.duration_since(last_checkpoint) >= CHECKPOINT_EVERY {
            last_checkpoint = now;
            let positions: Vec<FilePosition> =
                followers.iter().flat_map(|f| f.positions()).collect();
            let durable = match &state_path {
                Some(path) if last_saved.as_ref() != Some(&positions) => {
                    // The tailing thread is the only writer of counts and offsets, so this
                    // snapshot and these positions describe the same instant.
                    let counts = agg.lock().unwrap_or_else(|e| e.into_inner()).snapshot();
                    let cp = Checkpoint {
                        version: state::VERSION,
                        files: positions.clone(),
                        counts,
                    };
                    match state::save(path, &cp) {
                        Ok(()) => {
                            last_saved = Some(positions.clone());
                            true
                        }
                        Err(e) => {
                            tracing::error!(error = %e, "writing checkpoint");
                            false
                        }
                    }
                }
                Some(_) => true,
                // Without a state file a restart starts at the end anyway: counted is enough.
                None => true,
            };
            if reclaim && durable {
                for f in &mut followers {
                    if let Err(e) = f.reclaim(&positions) {
                        tracing::warn!(log = %f.log().display(), error = %e, "punching holes");
                    }
                }
            }
        }
        if stopping {
            if state_path.is_some() {
                tracing::info!("final checkpoint written");
            }
            return Ok(());
        }
        if !more {
            match wake.recv_timeout(POLL) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(POLL),
            }
            // Coalesce a burst of events into one pass.
            while wake.try_recv().is_ok() {}
        }
    }
}
