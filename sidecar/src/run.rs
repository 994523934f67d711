//! The `run` command: a tailing thread (blocking file I/O, inotify wake-ups, checkpoints) and
//! the HTTP server, stopped together on SIGTERM/SIGINT with a final checkpoint.

pub mod health;
mod tailing;
mod watch;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use contract::Manifest;

use crate::expose::TallyCollector;
use crate::missing::Missing;
use crate::referrer::{ReferrerArgs, Referrers};
use crate::route::{DEFAULT_MAX_PATHS, Router};
use crate::server::{ConnectionsCollector, HttpArgs};
use crate::state::{self, Checkpoint, StateError};
use crate::tail::{Follower, Start};
use crate::tally::Tally;
use crate::visitors::VisitorArgs;

pub use tailing::{CHECKPOINT_EVERY, POLL};

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
        default_value = "127.0.0.1:9145",
        value_parser = parse_listen
    )]
    pub listen: SocketAddr,
    /// Connection cap and deadlines of the HTTP server.
    #[command(flatten)]
    pub http: HttpArgs,
    /// Checkpoint file (offsets and counts), written atomically at least every second.
    #[arg(long, env = "TOUCHLINE_SIDECAR_STATE")]
    pub state: Option<PathBuf>,
    /// Free disk blocks of counted lines by punching holes in the log (keeps its size).
    #[arg(long, env = "TOUCHLINE_SIDECAR_RECLAIM")]
    pub reclaim: bool,
    /// Distinct paths kept as labels without a manifest; the rest are "other".
    #[arg(long, env = "TOUCHLINE_SIDECAR_MAX_PATHS", default_value_t = DEFAULT_MAX_PATHS)]
    pub max_paths: usize,
    /// Referring hosts, the site's own hosts and missing paths.
    #[command(flatten)]
    pub referrers: ReferrerArgs,
    /// Bounds of the unique visitor counts.
    #[command(flatten)]
    pub visitors: VisitorArgs,
}

/// `--listen`: an IP address and port. Host names are refused rather than resolved, so the
/// address served is the one written.
fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    s.parse().map_err(|_| {
        "expected an IP address and port, such as 127.0.0.1:9145, 0.0.0.0:9145 or [::]:9145 \
         (host names are not resolved)"
            .to_owned()
    })
}

/// The address to serve on could not be bound.
#[derive(Debug, thiserror::Error)]
#[error("cannot listen on {addr}: {source}")]
pub struct ListenError {
    /// `--listen`.
    pub addr: SocketAddr,
    /// Why.
    pub source: std::io::Error,
}

/// Builds the router from an optional manifest.
pub fn router(routes: Option<&Path>, max_paths: usize) -> Result<Router> {
    Ok(match routes {
        Some(p) => Router::with_manifest(&Manifest::read(p)?),
        None => Router::open(max_paths),
    })
}

/// Runs until SIGTERM or SIGINT.
pub async fn run(cfg: RunConfig) -> Result<()> {
    // First: from here on SIGTERM asks for a final checkpoint instead of killing the process.
    let shutdown = shutdown_signal();
    for log in &cfg.logs {
        check_log(log)?;
    }
    let mut tally = Tally::with_tables(
        router(cfg.routes.as_deref(), cfg.max_paths)?,
        Referrers::new(&cfg.referrers),
        Missing::new(cfg.referrers.max_missing),
    )
    .with_visitor_bounds(&cfg.visitors);
    let checkpoint = match &cfg.state {
        Some(path) => restore(path, &mut tally)?,
        None => None,
    };
    if checkpoint.is_some() {
        tracing::info!(lines = tally.total_lines(), "resumed from checkpoint");
    }
    let tally = Arc::new(Mutex::new(tally));
    // Before anything answers: "the end of logs that already exist" is their end now, so a
    // line written once /healthz has answered is never skipped as old.
    let followers = followers(&cfg, checkpoint.as_ref(), &tally);
    // Before the tailing thread starts: a port in use fails the command, not a running sidecar.
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|source| ListenError {
            addr: cfg.listen,
            source,
        })?;

    let health = Arc::new(health::Health::new(cfg.state.is_some())?);
    let server = httpd::Server::new(cfg.http.limits());
    let registry = registry(&tally, &health, server.stats())?;
    let stop = Arc::new(AtomicBool::new(false));
    let (wake_tx, wake_rx) = std::sync::mpsc::channel();
    let watcher = watch::watch(&cfg.logs, wake_tx.clone());
    let shared = tailing::Shared {
        tally: tally.clone(),
        health: health.clone(),
        stop: stop.clone(),
        wake: wake_rx,
    };
    let checkpoints = tailing::Checkpoints::new(cfg.state.clone(), cfg.reclaim);
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let tailer = tailing::spawn(followers, shared, checkpoints, done_tx)
        .context("starting the tailing thread")?;

    tracing::info!(addr = %listener.local_addr()?, "listening");
    // The server stops on a signal, or when the tailing thread ends by itself (a panic or a
    // fatal error): stale counts must not go on being served.
    let stopped = async move {
        tokio::select! {
            () = shutdown => {}
            _ = done_rx => tracing::error!("the tailing thread stopped; shutting down"),
        }
    };
    let service = warp::service(crate::server::routes(registry, health));
    server.serve(listener, service, stopped).await;

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

/// A `--log` that exists must be a regular file: a directory would be read in a loop, and a
/// FIFO would block. (One that becomes so later is refused when opened, with a WARN.)
fn check_log(log: &Path) -> Result<()> {
    use std::os::unix::fs::FileTypeExt;
    let Ok(meta) = std::fs::metadata(log) else {
        return Ok(()); // not there yet: followed when it comes
    };
    let t = meta.file_type();
    let what = if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if !t.is_file() {
        "not a regular file"
    } else {
        return Ok(());
    };
    anyhow::bail!(
        "--log {} is {what}; give the access log file itself, such as /var/log/nginx/access.log",
        log.display()
    )
}

/// The registry a scrape reads: the tally's families, the server's and the process' own.
fn registry(
    tally: &Arc<Mutex<Tally>>,
    health: &Arc<health::Health>,
    connections: Arc<httpd::Stats>,
) -> Result<prometheus::Registry> {
    let registry = prometheus::Registry::new();
    registry.register(Box::new(TallyCollector::new(tally.clone())?))?;
    registry.register(Box::new(health::AgeCollector(health.clone())))?;
    registry.register(Box::new(ConnectionsCollector::new(connections)?))?;
    registry.register(Box::new(
        prometheus::process_collector::ProcessCollector::for_self(),
    ))?;
    Ok(registry)
}

/// Reads the checkpoint at `path`, if there is one, into `tally`.
fn restore(path: &Path, tally: &mut Tally) -> Result<Option<Checkpoint>, StateError> {
    let Some(cp) = state::load(path)? else {
        return Ok(None);
    };
    tally
        .restore(&cp.counts)
        .map_err(|source| StateError::Counts {
            path: path.to_owned(),
            source,
        })?;
    Ok(Some(cp))
}

/// A follower per `--log`, resuming from the checkpoint if there is one.
fn followers(
    cfg: &RunConfig,
    checkpoint: Option<&Checkpoint>,
    tally: &Mutex<Tally>,
) -> Vec<Follower> {
    let now = Instant::now();
    // When the checkpoint was written: rotated files modified later were written while down.
    let since = cfg
        .state
        .as_ref()
        .and_then(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    cfg.logs
        .iter()
        .map(|log| match checkpoint {
            Some(cp) => Follower::restore(log.clone(), &cp.files, since, tally, now, cfg.reclaim),
            // With a state file but no checkpoint yet, nothing has been counted: start at the
            // beginning so no line is missed. Without one, only new lines count.
            None if cfg.state.is_some() => {
                Follower::new(log.clone(), Start::Beginning).reclaiming(cfg.reclaim)
            }
            None => Follower::new(log.clone(), Start::End).reclaiming(cfg.reclaim),
        })
        .collect()
}

/// Resolves on SIGTERM or SIGINT. The handlers are installed when this is called, not when
/// the server first polls the future: a request can be served before that, and a SIGTERM sent
/// after it would otherwise still kill the process without its final checkpoint.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        match (term, int) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            (Err(e), Ok(mut int)) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM; stopping on SIGINT only");
                int.recv().await;
            }
            (Ok(mut term), Err(e)) => {
                tracing::error!(error = %e, "cannot listen for SIGINT; stopping on SIGTERM only");
                term.recv().await;
            }
            (Err(e), Err(_)) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM or SIGINT; stop with SIGKILL");
                std::future::pending::<()>().await;
            }
        }
    }
}
