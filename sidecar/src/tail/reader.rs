//! One open log file: how far it has been counted, and whether it was truncated under us.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use super::fingerprint;
use crate::lines::LineSplitter;
use crate::parse::MAX_LINE;
use crate::state::{Digest, FileId, FilePosition};
use crate::tally::Tally;

/// Bytes just before the read position that are re-read at each poll to notice a truncation
/// that the file has already grown past (copytruncate on a busy server).
pub(super) const WITNESS: usize = super::fingerprint::WITNESS as usize;

/// Most bytes read from one file in one poll, so that several logs are served fairly.
const BUDGET: u64 = 64 << 20;

/// One open file and how far it has been read.
#[derive(Debug)]
pub(super) struct Reader {
    pub(super) file: File,
    pub(super) id: FileId,
    /// Committed bytes: everything before is counted, and it is a line boundary.
    pub(super) offset: u64,
    /// Bytes handed to the splitter (offset plus a partial line).
    pub(super) read_pos: u64,
    pub(super) splitter: LineSplitter,
    pub(super) last_growth: Instant,
    /// Bytes before this offset have been hole-punched already.
    pub(super) punched_to: u64,
    /// The [`WITNESS`] bytes before `read_pos` as last read.
    pub(super) witness: Vec<u8>,
    /// The digest of the first [`super::fingerprint::HEAD`] bytes, once there are that many
    /// (kept: `--reclaim` punches them later).
    pub(super) head: Option<Digest>,
    /// The file's first bytes as read (up to [`super::fingerprint::HEAD`]): what tells its
    /// copytruncate copy from other rotated files once the file itself is truncated.
    pub(super) first: Vec<u8>,
}

impl Reader {
    /// Reads `file` from `offset`; anything but a regular file (a directory, a FIFO) is
    /// refused: reading it would spin or block.
    pub(super) fn open(file: File, offset: u64, now: Instant) -> io::Result<Reader> {
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file (a directory, FIFO or device cannot be followed)",
            ));
        }
        let id = FileId::of(&meta);
        // Resumed past the start: those bytes were read by an earlier run. Unreadable, they
        // are not known, and no copy will be taken for this file.
        let mut first = vec![0u8; offset.min(fingerprint::HEAD) as usize];
        if file.read_exact_at(&mut first, 0).is_err() {
            first.clear();
        }
        let witness_len = offset.min(fingerprint::WITNESS);
        let mut witness = vec![0u8; witness_len as usize];
        if file
            .read_exact_at(&mut witness, offset - witness_len)
            .is_err()
        {
            witness.clear();
        }
        Ok(Reader {
            file,
            id,
            offset,
            read_pos: offset,
            splitter: LineSplitter::new(MAX_LINE),
            last_growth: now,
            punched_to: 0,
            witness,
            head: None,
            first,
        })
    }

    /// Reads what has been appended, up to the budget. Returns (bytes read, reached end).
    pub(super) fn read_new(
        &mut self,
        tally: &Mutex<Tally>,
        buf: &mut [u8],
    ) -> io::Result<(u64, bool)> {
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
            let mut tally = super::lock(tally);
            let done = self.splitter.feed(&buf[..n], |e| tally.record(e));
            tally.add_bytes_read(done);
            drop(tally);
            self.offset += done;
            if self.first.len() as u64 == self.read_pos.min(fingerprint::HEAD) {
                let want = (fingerprint::HEAD as usize).saturating_sub(self.first.len());
                self.first.extend_from_slice(&buf[..n.min(want)]);
            }
            self.read_pos += n as u64;
            total += n as u64;
            // The last WITNESS bytes read, even when this read was shorter.
            self.witness
                .extend_from_slice(&buf[n.saturating_sub(WITNESS)..n]);
            let excess = self.witness.len().saturating_sub(WITNESS);
            self.witness.drain(..excess);
        }
        Ok((total, false))
    }

    /// Whether the file was replaced in place: shorter than what was read, or different bytes
    /// just before the read position (truncated, then written past our position again).
    pub(super) fn truncated(&self) -> io::Result<bool> {
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
    pub(super) fn restart(&mut self) {
        self.offset = 0;
        self.read_pos = 0;
        self.punched_to = 0;
        self.witness.clear();
        self.head = None;
        self.first.clear();
        self.splitter.reset();
    }

    /// Takes over where `other` (a truncated file whose copy this is) was read to: its read
    /// position, its partial line and what identifies the bytes read. `other` is left to be
    /// restarted.
    pub(super) fn take_place_of(&mut self, other: &mut Reader) {
        self.offset = other.offset;
        self.read_pos = other.read_pos;
        self.splitter = std::mem::replace(&mut other.splitter, LineSplitter::new(MAX_LINE));
        self.witness = std::mem::take(&mut other.witness);
        self.first = std::mem::take(&mut other.first);
        self.head = other.head;
    }

    /// Where reading stands, with the digests that tell this file from another on restore
    /// (`None` if they cannot be read: then the identity alone decides, as in version 1).
    pub(super) fn position(&mut self, log: &Path, draining: bool) -> FilePosition {
        let head = match self.head {
            Some(h) => Some(h),
            None => {
                let h = fingerprint::head(&self.file, self.offset).ok();
                if self.offset >= fingerprint::HEAD {
                    self.head = h;
                }
                h
            }
        };
        let witness = fingerprint::witness(&self.file, self.offset).ok();
        FilePosition {
            log: log.to_owned(),
            id: self.id,
            offset: self.offset,
            draining,
            head: witness.and(head),
            witness: head.and(witness),
        }
    }
}
