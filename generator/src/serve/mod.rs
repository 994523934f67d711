//! `touchline serve`: builds the site, serves it on 127.0.0.1 as the project's nginx would,
//! rebuilds on change (the loop `watch` uses) and reloads open pages after each rebuild.
//!
//! The site is served from memory, as Zola does: every build already holds all its outputs in
//! memory, so serving skips the output folder entirely. That keeps `dist/` (what nginx serves
//! in production) untouched by a development session, skips precompression (most of a
//! publish's time, useless on loopback), and leaves no file system under a URL to escape.
//!
//! One job per module: [`route`] maps URL paths to files as nginx's config does, [`nginx`]
//! reads that config's headers and media types, [`reload`] is the script and its event
//! stream, [`http`] the server and its limits.

pub mod http;
pub mod nginx;
pub mod reload;
pub mod route;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use indicatif::ProgressBar;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

use crate::watch::{Signals, on_change};
use crate::{Builder, output};

/// The longest error text sent to pages; the terminal always gets all of it.
const MAX_ERROR_BYTES: usize = 64 * 1024;

/// What `touchline serve` was asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// The site's folder.
    pub root: PathBuf,
    /// The port on 127.0.0.1; 0 for any free one.
    pub port: u16,
    /// Open the site in the system's browser once it is up.
    pub open: bool,
    /// Print only errors (and the address).
    pub quiet: bool,
}

/// What the server serves: the last good build and how the latest went.
#[derive(Debug, Default)]
pub struct State {
    /// The last good build's outputs; `None` until a build succeeds.
    pub site: Option<Arc<BTreeMap<PathBuf, Arc<Vec<u8>>>>>,
    /// Names `site`; changes whenever the served bytes change, so a page can tell it is stale.
    pub build: String,
    /// The latest build's problems, if it failed.
    pub error: Option<String>,
    /// Builds finished, good or not.
    pub builds: u64,
}

impl State {
    /// Whether the served site has an output at `rel`, precompressed copies included.
    pub fn has(&self, rel: &str) -> bool {
        let Some(site) = &self.site else {
            return false;
        };
        // A copy exists only where `generate` would write one (a text file it makes smaller).
        site.contains_key(Path::new(rel))
            || (compressed_of(rel).is_some() && self.file(rel).is_some())
    }

    /// The served site's output at `rel`. The `.gz` and `.br` copies nginx would find beside
    /// each text file are made on request, with the compressors a publish uses: serving from
    /// memory has no precompressed files, and on loopback nobody needs them but for parity.
    pub fn file(&self, rel: &str) -> Option<Arc<Vec<u8>>> {
        let site = self.site.as_ref()?;
        if let Some(bytes) = site.get(Path::new(rel)) {
            return Some(Arc::clone(bytes));
        }
        let (plain, gzip) = compressed_of(rel)?;
        let bytes = site.get(Path::new(plain))?;
        // Exactly the copies `generate` would write: none where it would not be smaller.
        let forms = output::Compressed::of(bytes, output::Levels::of(Path::new(plain))).ok()?;
        if gzip { forms.gzip } else { forms.brotli }
    }
}

/// The text file a precompressed name stands for, and whether it is the gzip copy.
fn compressed_of(rel: &str) -> Option<(&str, bool)> {
    let (plain, gzip) = match rel.strip_suffix(".gz") {
        Some(plain) => (plain, true),
        None => (rel.strip_suffix(".br")?, false),
    };
    output::is_text(Path::new(plain)).then_some((plain, gzip))
}

/// Runs the server until Ctrl-C or SIGTERM (`Ok`), or until it cannot go on: the port is
/// taken, or watching the sources fails (`Err`).
pub fn run(options: Options) -> anyhow::Result<()> {
    let nginx = nginx::Nginx::load().context("the nginx config compiled into touchline")?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the server's runtime")?
        .block_on(serve(options, nginx))
}

async fn serve(options: Options, nginx: nginx::Nginx) -> anyhow::Result<()> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, options.port));
    let listener = TcpListener::bind(addr).await.with_context(|| {
        format!("binding {addr} (is another server on that port? --port 0 picks a free one)")
    })?;
    let url = format!("http://{}/", listener.local_addr()?);
    let (state_tx, mut state) = watch::channel(Arc::new(State::default()));

    // Builds run on a thread of their own (they block, and use every core); the server reads
    // each result from `state`.
    let signals = Signals::new();
    let stopper = signals.stopper();
    let (failed_tx, mut failed) = oneshot::channel();
    let (root, quiet) = (options.root.clone(), options.quiet);
    std::thread::Builder::new()
        .name("rebuild".to_owned())
        .spawn(move || {
            let mut builder = Builder::new(root);
            let mut publisher = Publisher::new(state_tx, quiet);
            let result = on_change(&mut builder, signals, |b| publisher.rebuild(b));
            let _ = failed_tx.send(result);
        })
        .context("starting the rebuild thread")?;

    let mut stop = Box::pin(shutdown_signal());
    // The address is announced after the first build, so a browser opened on it finds a site.
    tokio::select! {
        _ = state.wait_for(|s| s.builds > 0) => {}
        result = &mut failed => return watch_ended(result),
        () = &mut stop => {
            eprintln!("touchline: stopped before the first build finished");
            return Ok(());
        }
    }
    eprintln!(
        "touchline: serving {} at {url} (Ctrl-C to stop)",
        options.root.display()
    );
    if options.open {
        open_browser(&url);
    }
    let ctx = Arc::new(http::Context::new(nginx, state));
    tokio::select! {
        () = http::serve(listener, ctx, stop) => {}
        result = &mut failed => return watch_ended(result),
    }
    // The thread may be in the middle of a build: it is not waited for, since serving wrote
    // nothing that a half-finished build could leave behind.
    stopper.stop();
    eprintln!("touchline: stopped");
    Ok(())
}

/// The rebuild loop only returns early when watching failed.
fn watch_ended(
    result: Result<anyhow::Result<()>, oneshot::error::RecvError>,
) -> anyhow::Result<()> {
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(e.context("watching the sources")),
        Err(_) => anyhow::bail!("the rebuild thread panicked"),
    }
}

/// Runs each build and publishes its result to the server.
struct Publisher {
    state: watch::Sender<Arc<State>>,
    /// Makes build names unique to this process: a page from an earlier `serve` reloads.
    nonce: String,
    generation: u64,
    quiet: bool,
}

impl Publisher {
    fn new(state: watch::Sender<Arc<State>>, quiet: bool) -> Publisher {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        Publisher {
            state,
            nonce: format!("{:x}{:x}", nanos, std::process::id()),
            generation: 0,
            quiet,
        }
    }

    /// Builds, publishes the result to the server, then says how it went: in that order, so
    /// a page requested once the terminal says "built" is the new one.
    fn rebuild(&mut self, builder: &mut Builder) {
        let start = Instant::now();
        let result = builder.check(&ProgressBar::hidden());
        let elapsed = start.elapsed().as_millis();
        let current = Arc::clone(&self.state.borrow());
        let (next, report) = match result {
            Ok(site) => {
                let changed = current.site.as_deref() != Some(&site.files);
                if changed {
                    self.generation += 1;
                }
                let report = format!(
                    "touchline: built {} pages, {} other files ({} assets), {} of {} templated \
                     outputs rendered in {elapsed} ms{}",
                    site.pages.len(),
                    site.files.len().saturating_sub(site.pages.len() + 1),
                    site.assets,
                    site.rendered,
                    site.templated,
                    match (changed, current.site.is_some()) {
                        (true, true) => "; reloading open pages",
                        (false, _) => "; output unchanged",
                        (true, false) => "",
                    }
                );
                let next = State {
                    site: Some(Arc::new(site.files)),
                    build: format!("{}-{}", self.nonce, self.generation),
                    error: None,
                    builds: current.builds + 1,
                };
                (next, (!self.quiet).then_some(report))
            }
            Err(errors) => {
                let report = format!(
                    "{errors}\ntouchline: build failed; {}",
                    if current.site.is_some() {
                        "still serving the last good site"
                    } else {
                        "nothing to serve until a build succeeds"
                    }
                );
                let next = State {
                    site: current.site.clone(),
                    build: current.build.clone(),
                    error: Some(truncated(errors.to_string(), MAX_ERROR_BYTES)),
                    builds: current.builds + 1,
                };
                (next, Some(report))
            }
        };
        self.state.send_replace(Arc::new(next));
        if let Some(report) = report {
            eprintln!("{report}");
        }
    }
}

fn truncated(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("\n... (the rest is in the terminal)");
    }
    text
}

/// Opens `url` with the system's opener, or says how to open it by hand.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let child = Command::new(opener)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn();
    match child {
        // Waited for on a thread of its own, so it is not left a zombie.
        Ok(mut child) => {
            let url = url.to_owned();
            std::thread::spawn(move || match child.wait() {
                Ok(status) if !status.success() => eprintln!(
                    "touchline: {opener} could not open a browser ({status}); open {url} yourself"
                ),
                _ => {}
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => eprintln!(
            "touchline: --open: this system has no {opener}; open {url} in a browser yourself"
        ),
        Err(e) => {
            eprintln!("touchline: --open: starting {opener} failed ({e}); open {url} yourself")
        }
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; stopping on Ctrl-C only");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_errors_are_cut_at_a_character_boundary() {
        assert_eq!(truncated("short".to_owned(), 10), "short");
        let cut = truncated("ééé".to_owned(), 3);
        assert!(cut.starts_with("é\n"), "{cut}");
    }
}
