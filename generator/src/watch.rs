//! Rebuilding on every change to content, data, templates, assets or config: the loop
//! `touchline watch` (which publishes each build to the output folder) and `touchline serve`
//! (which serves each build from memory) share.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context;
use indicatif::ProgressBar;
use notify_debouncer_full::notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, new_debouncer};

use crate::Builder;

/// How long the file system must be quiet before a rebuild: editors write in bursts, each over
/// within a few milliseconds. Every millisecond here is a millisecond before the edit shows;
/// an edit that lands during a rebuild just triggers the next one.
const DEBOUNCE: Duration = Duration::from_millis(10);
/// How often the debouncer looks for quiet paths (the default is a quarter of DEBOUNCE).
const DEBOUNCE_TICK: Duration = Duration::from_millis(2);

/// What a watch loop reports after each build.
#[derive(Debug)]
pub enum Outcome {
    /// Built and published.
    Built(crate::Summary),
    /// The edit broke the build; the last good output stays published.
    Failed(crate::BuildErrors),
}

/// `touchline watch`: builds into `out` once, then again whenever a source changes, calling
/// `report` after each build. Returns only when watching fails.
pub fn run(
    builder: &mut Builder,
    out: &Path,
    mut report: impl FnMut(Outcome),
) -> anyhow::Result<()> {
    on_change(builder, Signals::new(), |builder| {
        match builder.build(out, &ProgressBar::hidden()) {
            Ok(summary) => report(Outcome::Built(summary)),
            Err(errors) => report(Outcome::Failed(errors)),
        }
    })
}

/// What wakes the loop: a batch of file system events, or a request to stop.
#[derive(Debug)]
enum Signal {
    Changed(DebounceEventResult),
    Stop,
}

/// The loop's inbox: the file watcher and any [`Stopper`] send to it.
#[derive(Debug)]
pub struct Signals {
    tx: mpsc::Sender<Signal>,
    rx: mpsc::Receiver<Signal>,
}

impl Signals {
    /// An inbox nobody has asked to stop yet.
    pub fn new() -> Signals {
        let (tx, rx) = mpsc::channel();
        Signals { tx, rx }
    }

    /// A handle that ends the loop reading this inbox, from any thread.
    pub fn stopper(&self) -> Stopper {
        Stopper(self.tx.clone())
    }
}

impl Default for Signals {
    fn default() -> Self {
        Signals::new()
    }
}

/// Ends an [`on_change`] loop: after the build in progress, if any.
#[derive(Debug, Clone)]
pub struct Stopper(mpsc::Sender<Signal>);

impl Stopper {
    /// Asks the loop to return; a loop that already returned is not an error.
    pub fn stop(&self) {
        let _ = self.0.send(Signal::Stop);
    }
}

/// Calls `rebuild` once, then again after every change to a source of the site, until a
/// [`Stopper`] of `signals` is used (`Ok`) or watching fails (`Err`).
///
/// Watching starts before the first build, so an edit made while it runs is not missed.
pub fn on_change(
    builder: &mut Builder,
    signals: Signals,
    mut rebuild: impl FnMut(&mut Builder),
) -> anyhow::Result<()> {
    // The watcher reports absolute paths: compare them with an absolute root, whatever form
    // (`.`, `../site`, a symlink) the user gave.
    let root = builder
        .root()
        .canonicalize()
        .with_context(|| format!("resolving the site folder {}", builder.root().display()))?;
    let Signals { tx, rx } = signals;
    let mut debouncer = new_debouncer(DEBOUNCE, Some(DEBOUNCE_TICK), move |events| {
        let _ = tx.send(Signal::Changed(events));
    })?;
    for (path, mode) in &watched_paths(&root) {
        if path.exists() {
            debouncer.watch(path, *mode)?;
        }
    }
    rebuild(builder);
    while let Ok(signal) = rx.recv() {
        let mut relevant = false;
        // Batches that queued up during the last build make one rebuild, not one each.
        for signal in std::iter::once(signal).chain(rx.try_iter()) {
            match signal {
                Signal::Stop => return Ok(()),
                Signal::Changed(events) => relevant |= touches_sources(&root, events),
            }
        }
        if relevant {
            rebuild(builder);
        }
    }
    Ok(())
}

/// Whether a batch of events changed anything a build reads.
fn touches_sources(root: &Path, events: DebounceEventResult) -> bool {
    match events {
        Ok(events) => events.iter().any(|e| {
            !matches!(e.kind, EventKind::Access(_)) && e.paths.iter().any(|p| is_source(root, p))
        }),
        Err(errors) => {
            for e in errors {
                tracing::warn!(error = %e, "file watcher error");
            }
            false
        }
    }
}

fn watched_paths(root: &Path) -> Vec<(PathBuf, RecursiveMode)> {
    vec![
        (root.join("content"), RecursiveMode::Recursive),
        (root.join("themes"), RecursiveMode::Recursive),
        // The root itself only for site.toml: the output folder may live here too.
        (root.to_owned(), RecursiveMode::NonRecursive),
    ]
}

/// Whether a changed path is one a build reads (and not, say, the output folder).
fn is_source(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.starts_with("content") || rel.starts_with("themes") || rel == Path::new("site.toml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_folder_changes_are_not_sources() {
        let root = Path::new("/site");
        assert!(is_source(root, Path::new("/site/content/gandalf.md")));
        assert!(is_source(root, Path::new("/site/site.toml")));
        assert!(!is_source(root, Path::new("/site/dist/index.html")));
        assert!(!is_source(root, Path::new("/site/.dist.staging-1/x")));
    }

    #[test]
    fn a_stopper_ends_the_loop_after_the_first_build() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("content")).expect("mkdir");
        let signals = Signals::new();
        let stopper = signals.stopper();
        let mut builder = Builder::new(dir.path());
        let mut builds = 0;
        stopper.stop();
        on_change(&mut builder, signals, |_| builds += 1).expect("the loop returns Ok");
        assert_eq!(builds, 1);
    }
}
