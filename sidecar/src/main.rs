//! `touchline-sidecar`: command line entry point. Parses the command line, runs the command,
//! and on failure prints what went wrong and how to fix it (exit status 1; 2 for a bad
//! command line).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use sidecar::expose::{TallyCollector, encode_text};
use sidecar::missing::Missing;
use sidecar::referrer::{ReferrerArgs, Referrers};
use sidecar::route::DEFAULT_MAX_PATHS;
use sidecar::run::{RunConfig, router};
use sidecar::tally::Tally;
use sidecar::visitors::VisitorArgs;

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
        /// Referring hosts, the site's own hosts and missing paths.
        #[command(flatten)]
        referrers: ReferrerArgs,
        /// Bounds of the unique visitor counts.
        #[command(flatten)]
        visitors: VisitorArgs,
    },
}

fn main() -> ExitCode {
    let command = Cli::parse().command;
    tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let result = match command {
        Command::Run(config) => run(config),
        Command::Replay {
            files,
            routes,
            max_paths,
            referrers,
            visitors,
        } => replay(&files, routes.as_deref(), max_paths, &referrers, &visitors),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{}", sidecar::cli_error::render(&e));
            ExitCode::FAILURE
        }
    }
}

fn run(config: RunConfig) -> Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?
        .block_on(sidecar::run::run(config))
}

fn replay(
    files: &[PathBuf],
    routes: Option<&Path>,
    max_paths: usize,
    referrers: &ReferrerArgs,
    visitors: &VisitorArgs,
) -> Result<()> {
    let mut tally = Tally::with_tables(
        router(routes, max_paths)?,
        Referrers::new(referrers),
        Missing::new(referrers.max_missing),
    )
    .with_visitor_bounds(visitors);
    for f in files {
        sidecar::replay::replay_file(&mut tally, f)?;
    }
    // Through a registry, so the output is sorted exactly like a scrape's.
    let registry = prometheus::Registry::new();
    registry.register(Box::new(TallyCollector::new(Arc::new(Mutex::new(tally)))?))?;
    let text = encode_text(&registry.gather())?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing to stdout")
}
