//! `touchline-sidecar`: command line entry point.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use sidecar::metrics::{Aggregator, AggregatorCollector, encode_text};
use sidecar::route::DEFAULT_MAX_PATHS;
use sidecar::run::{RunConfig, router};

/// Exact per-route request metrics from nginx access logs, for Prometheus.
#[derive(Debug, Parser)]
#[command(name = "touchline-sidecar", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Tail access logs and serve /metrics, /healthz and /readyz.
    ///
    /// Without --state it starts at the end of logs that already exist; with --state it resumes
    /// exactly from the last checkpoint (or from the beginning when there is none yet).
    Run(RunConfig),
    /// Read whole log files (plain or .gz) and print the metrics a scrape would return.
    Replay {
        /// Log files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Route manifest (dist/_routes.json).
        #[arg(long, env = "TOUCHLINE_SIDECAR_ROUTES")]
        routes: Option<PathBuf>,
        /// Distinct paths kept as labels without a manifest.
        #[arg(long, env = "TOUCHLINE_SIDECAR_MAX_PATHS", default_value_t = DEFAULT_MAX_PATHS)]
        max_paths: usize,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match Cli::parse().command {
        Command::Run(config) => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            rt.block_on(sidecar::run::run(config))
        }
        Command::Replay {
            files,
            routes,
            max_paths,
        } => replay(&files, routes.as_deref(), max_paths),
    }
}

fn replay(files: &[PathBuf], routes: Option<&std::path::Path>, max_paths: usize) -> Result<()> {
    let mut agg = Aggregator::new(router(routes, max_paths)?);
    for f in files {
        sidecar::replay::replay_file(&mut agg, f)?;
    }
    // Through a registry, so the output is sorted exactly like a scrape's.
    let registry = prometheus::Registry::new();
    let agg = std::sync::Arc::new(std::sync::Mutex::new(agg));
    registry.register(Box::new(AggregatorCollector::new(agg)?))?;
    let text = encode_text(&registry.gather())?;
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .context("writing to stdout")?;
    out.flush().context("writing to stdout")?;
    Ok(())
}
