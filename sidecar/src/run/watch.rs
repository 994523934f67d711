//! File notifications: wake the tailing thread when a log's directory changes.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use notify::Watcher;

/// Watches each log's directory (not the file: renames and re-creations happen there).
/// Without inotify, the polling fallback alone keeps the sidecar working.
/// Only events on a log or its rotated siblings wake the tailer: a file of the sidecar's own
/// (its stderr, say) in the same directory would otherwise wake it at every warning.
pub fn watch(logs: &[PathBuf], wake: Sender<()>) -> Option<notify::RecommendedWatcher> {
    let names: Vec<String> = logs
        .iter()
        .filter_map(|l| l.file_name()?.to_str().map(str::to_owned))
        .collect();
    let relevant = move |event: &notify::Event| {
        event.paths.is_empty()
            || event.paths.iter().any(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    names
                        .iter()
                        .any(|log| n == log || crate::tail::siblings::is_rotated_name(log, n))
                })
            })
    };
    let mut watcher =
        match notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            if event.as_ref().map_or(true, &relevant) {
                let _ = wake.send(());
            }
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
            _ => Path::new("."),
        };
        if let Err(e) = watcher.watch(dir, notify::RecursiveMode::NonRecursive) {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot watch; polling it");
        }
    }
    Some(watcher)
}
