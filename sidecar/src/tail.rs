//! Follows one log path across appends and rotations. A file is known by its identity
//! (device + inode), not its name: after a rename the old file is drained until nginx has moved
//! to the new one and the old one is quiet, so lines written between the rename and nginx's
//! reopen are counted. Time is passed in, so the state machine is testable without sleeping.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::lines::LineSplitter;
use crate::metrics::Aggregator;
use crate::parse::MAX_LINE;
use crate::state::{FileId, FilePosition};

/// A drained file is closed once it has been quiet this long and nginx writes to the new one.
pub const QUIET: Duration = Duration::from_secs(1);

/// A drained file is closed after this much quiet even if the new file gets nothing (an idle
/// site): nginx reopens its logs right after logrotate's USR1, well within this.
pub const IDLE_CLOSE: Duration = Duration::from_secs(60);

/// Bytes just before the read position that are re-read at each poll to notice a truncation
/// that the file has already grown past (copytruncate on a busy server).
const WITNESS: usize = 64;

/// Bytes behind the committed offset that `--reclaim` leaves in place, so the witness bytes
/// are never punched.
const RECLAIM_KEEP: u64 = 4096;

/// Most bytes read from one file in one poll, so that several logs are served fairly.
const BUDGET: u64 = 64 << 20;

/// Where to start in a log that is already there when first opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// At its end: only new lines count (no `--state`).
    End,
    /// At its beginning.
    Beginning,
}

/// One open file and how far it has been read.
#[derive(Debug)]
struct Reader {
    file: File,
    id: FileId,
    /// Committed bytes: everything before is counted, and it is a line boundary.
    offset: u64,
    /// Bytes handed to the splitter (offset plus a partial line).
    read_pos: u64,
    splitter: LineSplitter,
    last_growth: Instant,
    /// Bytes before this offset have been hole-punched already.
    punched_to: u64,
    /// The [`WITNESS`] bytes before `read_pos` as last read.
    witness: Vec<u8>,
}

impl Reader {
    fn open(file: File, offset: u64, now: Instant) -> io::Result<Reader> {
        let id = FileId::of(&file.metadata()?);
        Ok(Reader {
            file,
            id,
            offset,
            read_pos: offset,
            splitter: LineSplitter::new(MAX_LINE),
            last_growth: now,
            punched_to: 0,
            witness: Vec::new(),
        })
    }

    /// Reads what has been appended, up to the budget. Returns (bytes read, reached end).
    fn read_new(&mut self, agg: &Mutex<Aggregator>, buf: &mut [u8]) -> io::Result<(u64, bool)> {
        let mut total = 0;
        while total < BUDGET {
            let n = match self.file.read_at(buf, self.read_pos) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                return Ok((total, true));
            }
            let mut agg = agg.lock().unwrap_or_else(|e| e.into_inner());
            let done = self.splitter.feed(&buf[..n], |e| agg.record(e));
            agg.add_bytes_read(done);
            drop(agg);
            self.offset += done;
            self.read_pos += n as u64;
            total += n as u64;
            self.witness.clear();
            self.witness
                .extend_from_slice(&buf[n.saturating_sub(WITNESS)..n]);
        }
        Ok((total, false))
    }

    /// Whether the file was replaced in place: shorter than what was read, or different bytes
    /// just before the read position (truncated, then written past our position again).
    fn truncated(&self) -> io::Result<bool> {
        if self.file.metadata()?.len() < self.read_pos {
            return Ok(true);
        }
        if self.witness.is_empty() {
            return Ok(false);
        }
        let mut now = vec![0u8; self.witness.len()];
        let at = self.read_pos - self.witness.len() as u64;
        match self.file.read_exact_at(&mut now, at) {
            Ok(()) => Ok(now != self.witness),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// Starts the file over from its beginning.
    fn restart(&mut self) {
        self.offset = 0;
        self.read_pos = 0;
        self.punched_to = 0;
        self.witness.clear();
        self.splitter.reset();
    }

    fn position(&self, log: &Path, draining: bool) -> FilePosition {
        FilePosition {
            log: log.to_owned(),
            id: self.id,
            offset: self.offset,
            draining,
        }
    }
}

/// Follows one `--log` path.
#[derive(Debug)]
pub struct Follower {
    log: PathBuf,
    current: Option<Reader>,
    draining: Vec<Reader>,
    start: Start,
    caught_up: bool,
    /// Open files writable, as hole punching requires.
    reclaim: bool,
}

impl Follower {
    /// A follower that has not opened anything yet.
    pub fn new(log: PathBuf, start: Start) -> Follower {
        Follower {
            log,
            current: None,
            draining: Vec::new(),
            start,
            caught_up: false,
            reclaim: false,
        }
    }

    /// Opens files read-write so that [`Follower::reclaim`] can punch holes (never writes).
    pub fn reclaiming(mut self, reclaim: bool) -> Follower {
        self.reclaim = reclaim;
        self
    }

    /// A follower resuming from checkpointed positions. A file that has been rotated away while
    /// the sidecar was down is found again by inode in the log's directory and drained; a new
    /// file at the path is then read from its beginning.
    pub fn restore(
        log: PathBuf,
        positions: &[FilePosition],
        agg: &Mutex<Aggregator>,
        now: Instant,
        reclaim: bool,
    ) -> Follower {
        let mut f = Follower::new(log, Start::Beginning).reclaiming(reclaim);
        let at_path = fs::metadata(&f.log).ok().map(|m| FileId::of(&m));
        for p in positions.iter().filter(|p| p.log == f.log) {
            let found = if Some(p.id) == at_path && f.current.is_none() {
                open(&f.log, reclaim).ok().map(|file| (file, false))
            } else {
                find_by_id(&f.log, p.id, reclaim).map(|file| (file, true))
            };
            let Some((file, draining)) = found else {
                tracing::warn!(log = %f.log.display(), ino = p.id.ino, "checkpointed file is gone; lines after its offset are lost");
                continue;
            };
            let mut reader = match Reader::open(file, p.offset, now) {
                Ok(r) if r.id == p.id => r,
                _ => continue,
            };
            let size = reader.file.metadata().map(|m| m.len()).unwrap_or(0);
            let mut guard = agg.lock().unwrap_or_else(|e| e.into_inner());
            if size < p.offset {
                // Truncated while we were down (copytruncate): start over.
                reader.offset = 0;
                reader.read_pos = 0;
                guard.add_rotation();
            }
            if draining && !p.draining {
                // It was the live file at the checkpoint and has been rotated since.
                guard.add_rotation();
            }
            drop(guard);
            if draining {
                f.draining.push(reader);
            } else {
                f.current = Some(reader);
            }
        }
        f
    }

    /// The `--log` path.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Whether the log is open and was read to its end at the last poll.
    pub fn is_caught_up(&self) -> bool {
        self.caught_up
    }

    /// Positions of every open file, for a checkpoint.
    pub fn positions(&self) -> Vec<FilePosition> {
        self.current
            .iter()
            .map(|r| r.position(&self.log, false))
            .chain(self.draining.iter().map(|r| r.position(&self.log, true)))
            .collect()
    }

    /// Reads what is new in every file of this log, handles rotation, and closes drained files.
    /// Returns whether more data is waiting (the read budget ran out).
    pub fn poll(
        &mut self,
        now: Instant,
        agg: &Mutex<Aggregator>,
        buf: &mut [u8],
    ) -> io::Result<bool> {
        let mut more = false;
        if let Some(cur) = &mut self.current {
            if cur.truncated()? {
                tracing::info!(log = %self.log.display(), "log truncated (copytruncate); reading from its start");
                cur.restart();
                agg.lock().unwrap_or_else(|e| e.into_inner()).add_rotation();
            }
            let (n, end) = cur.read_new(agg, buf)?;
            if n > 0 {
                cur.last_growth = now;
            }
            more |= !end;
        }

        match fs::metadata(&self.log) {
            Ok(meta) => {
                let id = FileId::of(&meta);
                if self.current.as_ref().map(|c| c.id) != Some(id) {
                    let file = open(&self.log, self.reclaim)?;
                    let start_at = match (&self.current, self.start) {
                        (None, Start::End) => file.metadata()?.len(),
                        _ => 0,
                    };
                    // Only the first file ever opened may start at its end; later ones are new.
                    self.start = Start::Beginning;
                    let mut reader = Reader::open(file, start_at, now)?;
                    if let Some(old) = self.current.take() {
                        tracing::info!(log = %self.log.display(), "log rotated; draining the old file");
                        agg.lock().unwrap_or_else(|e| e.into_inner()).add_rotation();
                        self.draining.push(old);
                    } else {
                        tracing::info!(log = %self.log.display(), offset = start_at, "log opened");
                    }
                    let (_, end) = reader.read_new(agg, buf)?;
                    more |= !end;
                    self.current = Some(reader);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Whatever appears at the path from now on is new: read it from its beginning.
                self.start = Start::Beginning;
            }
            Err(e) => return Err(e),
        }

        let new_has_data = self.current.as_ref().is_some_and(|c| c.read_pos > 0);
        let mut i = 0;
        while i < self.draining.len() {
            let old = &mut self.draining[i];
            let (n, end) = old.read_new(agg, buf)?;
            if n > 0 {
                old.last_growth = now;
            }
            more |= !end;
            let quiet = now.saturating_duration_since(old.last_growth);
            if end && ((new_has_data && quiet >= QUIET) || quiet >= IDLE_CLOSE) {
                let mut old = self.draining.swap_remove(i);
                // A partial last line in a file nginx no longer writes is a truncated line.
                let mut agg = agg.lock().unwrap_or_else(|e| e.into_inner());
                let done = old.splitter.finish(|e| agg.record(e));
                agg.add_bytes_read(done);
                tracing::info!(log = %self.log.display(), "closed drained file");
            } else {
                i += 1;
            }
        }
        self.caught_up = self.current.is_some() && !more;
        Ok(more)
    }

    /// Frees the disk blocks of already-counted bytes (up to the given checkpointed offsets) by
    /// punching holes; the file keeps its size, so nginx's appends and our offsets are unchanged.
    pub fn reclaim(&mut self, upto: &[FilePosition]) -> io::Result<()> {
        for r in self.current.iter_mut().chain(self.draining.iter_mut()) {
            let Some(p) = upto.iter().find(|p| p.id == r.id) else {
                continue;
            };
            let to = p.offset.min(r.offset).saturating_sub(RECLAIM_KEEP);
            if to > r.punched_to {
                rustix::fs::fallocate(
                    &r.file,
                    rustix::fs::FallocateFlags::PUNCH_HOLE | rustix::fs::FallocateFlags::KEEP_SIZE,
                    r.punched_to,
                    to - r.punched_to,
                )?;
                r.punched_to = to;
            }
        }
        Ok(())
    }
}

/// Finds a file with the given identity in the directory of `log` (where logrotate renames).
fn find_by_id(log: &Path, id: FileId, writable: bool) -> Option<File> {
    let dir = match log.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    fs::read_dir(dir).ok()?.flatten().find_map(|entry| {
        let meta = entry.metadata().ok()?;
        if FileId::of(&meta) != id {
            return None;
        }
        open(&entry.path(), writable).ok()
    })
}

fn open(path: &Path, writable: bool) -> io::Result<File> {
    fs::OpenOptions::new().read(true).write(writable).open(path)
}

#[cfg(test)]
mod tests;
