//! The copy logrotate's `copytruncate` makes of a log before truncating it: found among the
//! log's rotated siblings by the bytes read so far (the file's first bytes and the bytes just
//! before the read position), so that lines written between the last read and the truncation
//! are read from the copy instead of being lost.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use super::fingerprint::{HEAD, WITNESS};
use super::gz::{self, GzOutcome};
use super::reader::Reader;
use super::siblings;
use crate::state::{Digest, FileId, FilePosition};
use crate::tally::Tally;

/// Where the rest of a truncated file's lines were found.
#[derive(Debug)]
pub(super) enum Copy {
    /// A plain copy, positioned where the truncated file was read to: drain it.
    Plain(Reader),
    /// A compressed copy, already counted from the read position.
    Compressed,
    /// No copy: lines after the read position, if any, are lost.
    None,
}

/// Looks among `log`'s siblings that are not open (`open`) for a copy of `r`, the current
/// file just found truncated; `reclaim` opens a plain copy writable (hole punching). A sibling
/// that cannot be read is skipped: another may be the copy.
pub(super) fn find(
    log: &Path,
    r: &mut Reader,
    open: &[FileId],
    reclaim: bool,
    tally: &Mutex<Tally>,
    now: Instant,
) -> io::Result<Copy> {
    for s in siblings::list(log)?.into_iter().rev() {
        if open.contains(&s.id) {
            continue;
        }
        if s.gz {
            // Only from a line boundary: the partial line read so far is not in a fresh splitter.
            let Some(pos) = position(log, r).filter(|_| r.offset == r.read_pos) else {
                continue;
            };
            if matches!(
                gz::count_from(&s.path, Some(&pos), tally),
                Ok(GzOutcome::Counted)
            ) {
                tracing::info!(file = %s.path.display(), "read the rest of the truncated log from its compressed copy");
                return Ok(Copy::Compressed);
            }
            continue;
        }
        let Ok(file) = super::open(&s.path, reclaim) else {
            continue;
        };
        if holds(&file, r) {
            tracing::info!(file = %s.path.display(), "draining the rest of the truncated log from its copy");
            let mut copy = Reader::open(file, r.offset, now)?;
            copy.take_place_of(r);
            return Ok(Copy::Plain(copy));
        }
    }
    Ok(Copy::None)
}

/// Whether `file` starts with the bytes `r` read first and has, just before `r`'s read
/// position, the bytes `r` read last.
fn holds(file: &File, r: &Reader) -> bool {
    let Ok(meta) = file.metadata() else {
        return false;
    };
    if meta.len() < r.read_pos || r.first.len() as u64 != r.read_pos.min(HEAD) {
        return false;
    }
    let same_at = |want: &[u8], at: u64| {
        let mut got = vec![0u8; want.len()];
        file.read_exact_at(&mut got, at).is_ok() && got == want
    };
    same_at(&r.first, 0) && same_at(&r.witness, r.read_pos - r.witness.len() as u64)
}

/// `r`'s read position as a checkpoint would hold it, if the bytes read are all known.
fn position(log: &Path, r: &Reader) -> Option<FilePosition> {
    let whole = |have: usize, want: u64| have as u64 == r.read_pos.min(want);
    if !whole(r.first.len(), HEAD) || !whole(r.witness.len(), WITNESS) {
        return None;
    }
    Some(FilePosition {
        log: log.to_owned(),
        id: r.id,
        offset: r.read_pos,
        draining: true,
        head: Some(Digest::of(&r.first)),
        witness: Some(Digest::of(&r.witness)),
    })
}
