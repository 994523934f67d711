//! Follows one log path across appends and rotations. A file is known by its identity
//! (device + inode), not its name: after a rename the old file is drained until nginx has moved
//! to the new one and the old one is quiet, so lines written between the rename and nginx's
//! reopen are counted. Time is passed in, so the state machine is testable without sleeping.

mod copies;
pub mod fingerprint;
mod gz;
mod reader;
mod restore;
pub mod siblings;

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use crate::state::{FileId, FilePosition};
use crate::tally::Tally;
use reader::Reader;

/// A drained file is closed once it has been quiet this long and nginx writes to the new one.
pub const QUIET: Duration = Duration::from_secs(1);

/// A drained file is closed after this much quiet even if the new file gets nothing (an idle
/// site): nginx reopens its logs right after logrotate's USR1, well within this.
pub const IDLE_CLOSE: Duration = Duration::from_secs(60);

/// Bytes behind the committed offset that `--reclaim` leaves in place, so the witness bytes
/// are never punched.
const RECLAIM_KEEP: u64 = 4096;
const _: () = assert!(RECLAIM_KEEP >= reader::WITNESS as u64);

/// Where to start in a log that is already there when first opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// At its end as it is when the follower is made: only lines written after that count
    /// (no `--state`). A log that is not there yet is read from its beginning when it comes.
    End,
    /// At its beginning.
    Beginning,
}

/// Where the first file opened starts, as decided when the follower was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FirstOpen {
    /// At offset 0.
    Beginning,
    /// At this length if it is still this file and no shorter (it was the log at start), else
    /// at 0 (it came, or was rewritten, since).
    EndOf(FileId, u64),
    /// At the end of whatever is there when it is first opened (the log could not be looked
    /// at when the follower was made).
    End,
}

impl FirstOpen {
    /// Looks at the log now, so that the lines written between start and the first poll are
    /// not skipped as old.
    fn of(log: &Path, start: Start) -> FirstOpen {
        if start == Start::Beginning {
            return FirstOpen::Beginning;
        }
        match fs::metadata(log) {
            Ok(meta) => FirstOpen::EndOf(FileId::of(&meta), meta.len()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => FirstOpen::Beginning,
            Err(_) => FirstOpen::End,
        }
    }

    /// The offset to start reading a file of this identity and length at.
    fn offset(self, id: FileId, len: u64) -> u64 {
        match self {
            FirstOpen::Beginning => 0,
            FirstOpen::EndOf(was, at) if was == id && at <= len => at,
            FirstOpen::EndOf(..) => 0,
            FirstOpen::End => len,
        }
    }
}

/// Follows one `--log` path.
#[derive(Debug)]
pub struct Follower {
    log: PathBuf,
    current: Option<Reader>,
    draining: Vec<Reader>,
    /// Only the first file ever opened may start past its beginning; later ones are new.
    first_open: FirstOpen,
    caught_up: bool,
    /// Open files writable, as hole punching requires.
    reclaim: bool,
    /// The last poll failed.
    failing: bool,
    /// When the log path was last seen to be the current file: siblings modified after that
    /// are files rotated in and out between two polls (a stalled sidecar).
    checked_at: SystemTime,
}

impl Follower {
    /// A follower that has not opened anything yet (with [`Start::End`], it looks at the log's
    /// current length).
    pub fn new(log: PathBuf, start: Start) -> Follower {
        Follower {
            first_open: FirstOpen::of(&log, start),
            log,
            current: None,
            draining: Vec::new(),
            caught_up: false,
            reclaim: false,
            failing: false,
            checked_at: SystemTime::now(),
        }
    }

    /// Opens files read-write so that [`Follower::reclaim`] can punch holes (never writes).
    pub fn reclaiming(mut self, reclaim: bool) -> Follower {
        self.reclaim = reclaim;
        self
    }

    /// A follower resuming from checkpointed positions, through the rotations that happened
    /// while the sidecar was down (see [`restore`]); `since` is when the checkpoint was written.
    pub fn restore(
        log: PathBuf,
        positions: &[FilePosition],
        since: Option<SystemTime>,
        tally: &Mutex<Tally>,
        now: Instant,
        reclaim: bool,
    ) -> Follower {
        let mut f = Follower::new(log, Start::Beginning).reclaiming(reclaim);
        restore::restore(&mut f, positions, since, tally, now);
        f
    }

    /// Whether a sibling is a file already open, or a copy of one (its head's digest).
    fn knows(&self, s: &siblings::Sibling) -> bool {
        let mut open = self.current.iter().chain(&self.draining);
        if open.clone().any(|r| r.id == s.id) {
            return true;
        }
        let Ok(file) = fs::File::open(&s.path) else {
            return false;
        };
        open.any(|r| {
            r.head
                .is_some_and(|h| fingerprint::head(&file, h.len).is_ok_and(|d| d == h))
        })
    }

    /// Whether the last poll could not read the log (readiness is withdrawn meanwhile).
    pub fn is_failing(&self) -> bool {
        self.failing
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
    pub fn positions(&mut self) -> Vec<FilePosition> {
        let log = &self.log;
        self.current
            .iter_mut()
            .map(|r| r.position(log, false))
            .chain(self.draining.iter_mut().map(|r| r.position(log, true)))
            .collect()
    }

    /// Reads what is new in every file of this log, handles rotation, and closes drained files.
    /// Returns whether more data is waiting (the read budget ran out).
    /// Every step runs even when an earlier one fails (rotated files are drained while the
    /// new log cannot be opened); the first error is returned and the follower is failing
    /// until a poll succeeds.
    pub fn poll(&mut self, now: Instant, tally: &Mutex<Tally>, buf: &mut [u8]) -> io::Result<bool> {
        // In this order: the current file's last lines before a rotation's new file's first.
        let current = self.read_current(now, tally, buf);
        let path = self.follow_path(now, tally, buf);
        let drain = self.drain(now, tally, buf);
        let more = [&current, &path, &drain]
            .iter()
            .any(|r| matches!(r, Ok(true)));
        self.caught_up = self.current.is_some() && !more;
        self.failing = false;
        for r in [current, path, drain] {
            if let Err(e) = r {
                self.failing = true;
                self.caught_up = false;
                return Err(e);
            }
        }
        Ok(more)
    }

    /// Reads what is new in the current file, from its start again if it was truncated.
    fn read_current(
        &mut self,
        now: Instant,
        tally: &Mutex<Tally>,
        buf: &mut [u8],
    ) -> io::Result<bool> {
        let Some(cur) = &mut self.current else {
            return Ok(false);
        };
        if cur.truncated()? {
            let open: Vec<FileId> = self.draining.iter().map(|r| r.id).collect();
            let copy = copies::find(&self.log, cur, &open, self.reclaim, tally, now);
            match copy {
                Ok(copies::Copy::Plain(reader)) => self.draining.push(reader),
                Ok(copies::Copy::Compressed) => {}
                Ok(copies::Copy::None) => {
                    tracing::warn!(log = %self.log.display(), offset = cur.read_pos, "log truncated in place and no rotated file holds a copy of what was read; lines written after the last read, if any, are lost");
                    lock(tally).add_loss(crate::count::LossReason::Truncated);
                }
                Err(e) => {
                    tracing::warn!(log = %self.log.display(), error = %e, "log truncated in place and its copy cannot be looked for (the directory cannot be listed); lines written after the last read, if any, are lost");
                    lock(tally).add_loss(crate::count::LossReason::Truncated);
                }
            }
            tracing::info!(log = %self.log.display(), "log truncated (copytruncate); reading from its start");
            cur.restart();
            lock(tally).add_rotation();
        }
        let (n, end) = cur.read_new(tally, buf)?;
        if n > 0 {
            cur.last_growth = now;
        }
        Ok(!end)
    }

    /// Opens the file at the log path if it is not the current one (first open, or a
    /// rotation: the current file is then drained).
    fn follow_path(
        &mut self,
        now: Instant,
        tally: &Mutex<Tally>,
        buf: &mut [u8],
    ) -> io::Result<bool> {
        let id = match fs::metadata(&self.log) {
            Ok(meta) => FileId::of(&meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                // Whatever appears at the path from now on is new: read it from its beginning.
                self.first_open = FirstOpen::Beginning;
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        if self.current.as_ref().map(|c| c.id) == Some(id) {
            self.checked_at = SystemTime::now();
            return Ok(false);
        }
        let file = open(&self.log, self.reclaim)?;
        let meta = file.metadata()?;
        let start_at = match self.current {
            None => self.first_open.offset(FileId::of(&meta), meta.len()),
            Some(_) => 0,
        };
        self.first_open = FirstOpen::Beginning;
        let mut reader = Reader::open(file, start_at, now)?;
        if let Some(old) = self.current.take() {
            tracing::info!(log = %self.log.display(), "log rotated; draining the old file");
            lock(tally).add_rotation();
            self.draining.push(old);
            self.current = Some(reader);
            self.find_missed(now, tally);
            reader = self.current.take().expect("just set");
        } else {
            tracing::info!(log = %self.log.display(), offset = start_at, "log opened");
        }
        let (_, end) = reader.read_new(tally, buf)?;
        self.current = Some(reader);
        Ok(!end)
    }

    /// After a rotation: plain siblings written since the last poll that are not open (nor
    /// copies of open ones) were rotated in and out between two polls; drain them too.
    fn find_missed(&mut self, now: Instant, tally: &Mutex<Tally>) {
        let sibs = match siblings::list(&self.log) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(log = %self.log.display(), error = %e, "cannot list the log's directory; a file rotated in and out since the last poll would be missed");
                return;
            }
        };
        for s in sibs {
            if s.gz || !siblings::modified_after(&s, self.checked_at) || self.knows(&s) {
                continue;
            }
            match open(&s.path, self.reclaim).and_then(|f| Reader::open(f, 0, now)) {
                Ok(r) => {
                    tracing::info!(file = %s.path.display(), "a file was rotated in and out since the last poll; draining it");
                    lock(tally).add_rotation();
                    self.draining.push(r);
                }
                Err(e) => {
                    tracing::warn!(file = %s.path.display(), error = %e, "cannot read a file rotated since the last poll; its lines are lost");
                    lock(tally).add_loss(crate::count::LossReason::Deleted);
                }
            }
        }
    }

    /// Reads what is new in rotated-away files, and closes those nginx has left.
    fn drain(&mut self, now: Instant, tally: &Mutex<Tally>, buf: &mut [u8]) -> io::Result<bool> {
        let new_has_data = self.current.as_ref().is_some_and(|c| c.read_pos > 0);
        let mut more = false;
        let mut i = 0;
        while i < self.draining.len() {
            let old = &mut self.draining[i];
            let (n, end) = old.read_new(tally, buf)?;
            if n > 0 {
                old.last_growth = now;
            }
            more |= !end;
            let quiet = now.saturating_duration_since(old.last_growth);
            if end && ((new_has_data && quiet >= QUIET) || quiet >= IDLE_CLOSE) {
                let mut old = self.draining.swap_remove(i);
                // A partial last line in a file nginx no longer writes is a truncated line.
                let mut tally = lock(tally);
                let done = old.splitter.finish(|e| tally.record(e));
                tally.add_bytes_read(done);
                tracing::info!(log = %self.log.display(), "closed drained file");
            } else {
                i += 1;
            }
        }
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

/// The tally, even if a panic elsewhere poisoned its lock: its counts are still the best there
/// are.
fn lock(tally: &Mutex<Tally>) -> std::sync::MutexGuard<'_, Tally> {
    tally.lock().unwrap_or_else(|e| e.into_inner())
}

/// Opens a log without blocking: a FIFO at the path would otherwise block `open()` (and with
/// it SIGTERM) until a writer comes; [`Reader::open`] then refuses anything but a regular file.
fn open(path: &Path, writable: bool) -> io::Result<File> {
    fs::OpenOptions::new()
        .read(true)
        .write(writable)
        .custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32)
        .open(path)
}

#[cfg(test)]
mod tests;
