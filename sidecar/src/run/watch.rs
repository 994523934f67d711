//! File notifications: wake the tailing thread when a log's directory changes.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

use notify::Watcher;

/// Watches each log's directory (not the file: renames and re-creations happen there).
/// Without inotify, the polling fallback alone keeps the sidecar working.
pub fn watch(logs: &[PathBuf], wake: Sender<()>) -> Option<notify::RecommendedWatcher> {
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
            _ => Path::new("."),
        };
        if let Err(e) = watcher.watch(dir, notify::RecursiveMode::NonRecursive) {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot watch; polling it");
        }
    }
    Some(watcher)
}
