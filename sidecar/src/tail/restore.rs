//! Resuming from a checkpoint through whatever rotations happened while the sidecar was down:
//! each checkpointed file is looked for at the log path and among its rotated siblings by its
//! digests (not by inode alone: ext4 reuses them), read on from its offset, and every sibling
//! written since the checkpoint that no checkpoint knew (a file rotated in and out while down)
//! is read from its beginning. What cannot be found is counted as lost, with a WARN.

use std::fs::{self, File};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Instant, SystemTime};

use super::fingerprint::{self, Match};
use super::gz::{self, GzOutcome};
use super::reader::Reader;
use super::siblings::{self, Sibling};
use super::{Follower, lock, open};
use crate::count::LossReason;
use crate::state::{FileId, FilePosition};
use crate::tally::Tally;

/// Where a checkpointed file is now.
enum Found {
    /// Still at the log path.
    AtPath(File),
    /// Renamed to this sibling.
    Renamed(usize, File),
    /// Compressed into this sibling, and already counted from its offset.
    Compressed(usize),
    /// Nowhere; the file at the path has its inode but other bytes (rewritten in place).
    Rewritten,
    /// Nowhere.
    Gone,
}

/// Resumes `f` (new, at the beginning) from `positions`; `since` is when the checkpoint was
/// written (siblings modified later were written while the sidecar was down).
pub(super) fn restore(
    f: &mut Follower,
    positions: &[FilePosition],
    since: Option<SystemTime>,
    tally: &Mutex<Tally>,
    now: Instant,
) {
    let sibs = siblings::list(&f.log).unwrap_or_else(|e| {
        tracing::warn!(dir = %siblings::dir_of(&f.log).display(), error = %e, "cannot list the log's directory; rotated files are not looked for");
        Vec::new()
    });
    let mut used = vec![false; sibs.len()];
    let mut mine: Vec<&FilePosition> = positions.iter().filter(|p| p.log == f.log).collect();
    // Rotated-away files are older than the live one.
    mine.sort_by_key(|p| !p.draining);
    for p in mine {
        let found = locate(f, p, &sibs, &used, tally);
        resume(f, p, found, &mut used, tally, now);
    }
    if let Some(since) = since {
        for (i, s) in sibs.iter().enumerate() {
            if used[i] || !siblings::modified_after(s, since) || f.knows(s) {
                continue;
            }
            tracing::info!(file = %s.path.display(), "reading a file rotated while the sidecar was down, from its beginning");
            lock(tally).add_rotation();
            read_unknown(f, s, tally, now);
        }
    }
}

/// Reads a sibling nobody checkpointed from its beginning.
fn read_unknown(f: &mut Follower, s: &Sibling, tally: &Mutex<Tally>, now: Instant) {
    if s.gz {
        count_gz(&s.path, None, tally);
        return;
    }
    match open(&s.path, f.reclaim).and_then(|file| Reader::open(file, 0, now)) {
        Ok(r) => f.draining.push(r),
        Err(e) => {
            tracing::warn!(file = %s.path.display(), error = %e, "cannot read a rotated file; its lines are lost");
            lock(tally).add_loss(LossReason::Deleted);
        }
    }
}

/// Counts a compressed sibling; whether it was the position's file.
fn count_gz(path: &Path, from: Option<&FilePosition>, tally: &Mutex<Tally>) -> bool {
    match gz::count_from(path, from, tally) {
        Ok(GzOutcome::Counted) => true,
        Ok(GzOutcome::Other) => false,
        Ok(GzOutcome::Corrupt(e)) => {
            tracing::warn!(file = %path.display(), error = %e, "compressed rotated file is corrupt; lines after the error are lost");
            lock(tally).add_loss(LossReason::Corrupt);
            true
        }
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "cannot read a compressed rotated file");
            false
        }
    }
}

fn locate(
    f: &Follower,
    p: &FilePosition,
    sibs: &[Sibling],
    used: &[bool],
    tally: &Mutex<Tally>,
) -> Found {
    let at_path = fs::metadata(&f.log).ok().map(|m| FileId::of(&m));
    let mut rewritten = false;
    if at_path == Some(p.id) && f.current.is_none() {
        if let Ok(file) = open(&f.log, f.reclaim) {
            if same(&file, p, true) {
                return Found::AtPath(file);
            }
            rewritten = true;
        }
    }
    for (i, s) in sibs.iter().enumerate().filter(|(i, _)| !used[*i]) {
        if s.gz {
            // A compressed file has no inode to go by: only digests of something read.
            if p.offset > 0 && p.head.is_some() && count_gz(&s.path, Some(p), tally) {
                return Found::Compressed(i);
            }
            continue;
        }
        if let Ok(file) = open(&s.path, f.reclaim) {
            if same(&file, p, s.id == p.id) {
                return Found::Renamed(i, file);
            }
        }
    }
    if rewritten {
        Found::Rewritten
    } else {
        Found::Gone
    }
}

/// Whether `file` is the position's file, read up to its offset.
fn same(file: &File, p: &FilePosition, same_id: bool) -> bool {
    let Ok(meta) = file.metadata() else {
        return false;
    };
    // Nothing was read of an empty position: only its identity tells.
    if p.offset == 0 {
        return same_id;
    }
    fingerprint::compare(file, meta.len(), p, same_id) == Match::Same
}

fn resume(
    f: &mut Follower,
    p: &FilePosition,
    found: Found,
    used: &mut [bool],
    tally: &Mutex<Tally>,
    now: Instant,
) {
    let log = f.log.display().to_string();
    let (file, draining) = match found {
        Found::AtPath(file) => (file, false),
        Found::Renamed(i, file) => {
            used[i] = true;
            (file, true)
        }
        Found::Compressed(i) => {
            used[i] = true;
            lock(tally).add_rotation();
            return;
        }
        Found::Rewritten => {
            tracing::warn!(%log, offset = p.offset, "the file at the log path has the checkpointed file's inode but other bytes (a new file given the deleted one's inode, or copytruncate), and the checkpointed bytes were found in no rotated file; lines after the checkpoint, if any, are lost");
            let mut t = lock(tally);
            t.add_loss(LossReason::Truncated);
            t.add_rotation();
            return;
        }
        Found::Gone => {
            tracing::warn!(%log, ino = p.id.ino, offset = p.offset, "a checkpointed file was deleted before it was read to its end, and found in no rotated file; lines after the checkpoint, if any, are lost");
            let mut t = lock(tally);
            t.add_loss(LossReason::Deleted);
            t.add_rotation();
            return;
        }
    };
    match Reader::open(file, p.offset, now) {
        Ok(reader) => {
            if draining && !p.draining {
                // It was the live file at the checkpoint and has been rotated since.
                lock(tally).add_rotation();
            }
            if draining {
                f.draining.push(reader);
            } else {
                f.current = Some(reader);
            }
        }
        Err(e) => {
            tracing::warn!(%log, error = %e, "cannot resume a checkpointed file; its lines after the checkpoint are lost");
            lock(tally).add_loss(LossReason::Deleted);
        }
    }
}
