//! `touchline watch`: rebuild on every change to content, data, templates, assets or config.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

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

/// Builds once, then rebuilds whenever a source changes, calling `report` after each build.
/// Returns only when watching fails.
pub fn run(
    builder: &mut Builder,
    out: &Path,
    mut report: impl FnMut(Outcome),
) -> anyhow::Result<()> {
    let root = builder.root().to_owned();
    let watched = watched_paths(&root);
    let (tx, rx) = mpsc::channel::<DebounceEventResult>();
    let mut debouncer = new_debouncer(DEBOUNCE, Some(DEBOUNCE_TICK), tx)?;
    for (path, mode) in &watched {
        if path.exists() {
            debouncer.watch(path, *mode)?;
        }
    }
    let mut build = |builder: &mut Builder, seen: Option<Instant>| {
        let outcome = match builder.build(out, &ProgressBar::hidden()) {
            Ok(summary) => Outcome::Built(summary),
            Err(errors) => Outcome::Failed(errors),
        };
        if let Some(seen) = seen {
            // From the first change the watcher saw to the new site in place (or the failure).
            tracing::info!(
                since_change_ms = seen.elapsed().as_secs_f64() * 1000.0,
                "rebuild after a change"
            );
        }
        report(outcome);
    };
    build(builder, None);
    for events in rx {
        let events = match events {
            Ok(events) => events,
            Err(errors) => {
                for e in errors {
                    tracing::warn!(error = %e, "file watcher error");
                }
                continue;
            }
        };
        let relevant = events.iter().any(|e| {
            !matches!(e.kind, EventKind::Access(_)) && e.paths.iter().any(|p| is_source(&root, p))
        });
        if relevant {
            build(builder, events.iter().map(|e| e.time).min());
        }
    }
    Ok(())
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
}
