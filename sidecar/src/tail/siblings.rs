//! A log's rotated siblings: the files logrotate leaves next to it (`NAME.1`, `NAME.2.gz`,
//! `NAME-20261202`, `NAME-20261202.gz`), oldest first.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::state::FileId;

/// One rotated file next to the log.
#[derive(Debug, Clone)]
pub struct Sibling {
    /// Where it is.
    pub path: PathBuf,
    /// Its identity.
    pub id: FileId,
    /// Its last modification.
    pub modified: SystemTime,
    /// Whether it is gzip-compressed (by its name).
    pub gz: bool,
}

/// File times are coarse (ext4 stamps them from a clock that lags by up to a scheduler tick),
/// so "modified after" allows this much before. Less than [`super::QUIET`]: a drained file
/// is closed only after that much quiet, so a closed one is never taken for a new one.
pub const MTIME_SLACK: Duration = Duration::from_millis(500);
const _: () = assert!(MTIME_SLACK.as_millis() < super::QUIET.as_millis());

/// Whether a sibling may have been written after `t` (see [`MTIME_SLACK`]).
pub fn modified_after(s: &Sibling, t: SystemTime) -> bool {
    s.modified + MTIME_SLACK > t
}

/// The directory a log is in.
pub fn dir_of(log: &Path) -> &Path {
    match log.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Whether `name` is a rotated name of the log named `log_name`: `.N` or `-SOMETHING`, each
/// optionally `.gz`.
pub fn is_rotated_name(log_name: &str, name: &str) -> bool {
    let Some(rest) = name.strip_prefix(log_name) else {
        return false;
    };
    let rest = rest.strip_suffix(".gz").unwrap_or(rest);
    match rest.as_bytes() {
        [b'.', digits @ ..] => !digits.is_empty() && digits.iter().all(u8::is_ascii_digit),
        [b'-', tail @ ..] => !tail.is_empty() && !tail.contains(&b'/'),
        _ => false,
    }
}

/// Every regular rotated sibling of `log`, oldest (least recently modified) first. An entry
/// that vanishes while listed is skipped; an unreadable directory is an error.
pub fn list(log: &Path) -> io::Result<Vec<Sibling>> {
    let Some(log_name) = log.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in fs::read_dir(dir_of(log))? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_rotated_name(log_name, name) {
            continue;
        }
        let Ok(meta) = fs::metadata(entry.path()) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        out.push(Sibling {
            path: entry.path(),
            id: FileId::of(&meta),
            modified: meta.modified()?,
            gz: name.ends_with(".gz"),
        });
    }
    out.sort_by(|a, b| (a.modified, &a.path).cmp(&(b.modified, &b.path)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logrotate_names_are_siblings_and_others_are_not() {
        for yes in [
            "a.log.1",
            "a.log.12.gz",
            "a.log-20261202",
            "a.log-20261202.gz",
        ] {
            assert!(is_rotated_name("a.log", yes), "{yes}");
        }
        for no in [
            "a.log",
            "a.log.",
            "a.log.x",
            "a.log.1.bak",
            "b.log.1",
            "a.log-",
            "a.logx",
        ] {
            assert!(!is_rotated_name("a.log", no), "{no}");
        }
    }
}
