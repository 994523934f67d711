//! A compressed rotated file (`NAME.2.gz`), read once from a checkpointed offset in its
//! decompressed bytes, streaming: its digests are checked on the way, so memory stays bounded.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Mutex;

use flate2::read::MultiGzDecoder;

use super::fingerprint::{HEAD, WITNESS};
use crate::lines::LineSplitter;
use crate::parse::MAX_LINE;
use crate::replay::CHUNK;
use crate::state::{Digest, FilePosition};
use crate::tally::Tally;

/// What reading a compressed file came to.
#[derive(Debug)]
pub enum GzOutcome {
    /// Not the position's file (its digests differ, or it is shorter): nothing counted.
    Other,
    /// Counted from the offset to its end.
    Counted,
    /// Counted up to a decompression error; the rest is lost.
    Corrupt(io::Error),
}

/// Counts the decompressed bytes of `path` after `from`'s offset, if `from`'s digests match
/// (from its beginning when `from` is `None`).
pub fn count_from(
    path: &Path,
    from: Option<&FilePosition>,
    tally: &Mutex<Tally>,
) -> io::Result<GzOutcome> {
    let mut z = MultiGzDecoder::new(io::BufReader::with_capacity(CHUNK, File::open(path)?));
    let offset = from.map_or(0, |p| p.offset);
    let mut buf = vec![0u8; CHUNK];
    // Up to the offset: only the digests' bytes are kept.
    let mut head = Vec::new();
    let mut tail: Vec<u8> = Vec::new();
    let mut pos = 0u64;
    let mut pending = Vec::new();
    while pos < offset {
        let n = match z.read(&mut buf) {
            Ok(0) => return Ok(GzOutcome::Other),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Ok(GzOutcome::Other),
        };
        let take = n.min((offset - pos) as usize);
        let need_head = (HEAD.min(offset) as usize).saturating_sub(head.len());
        head.extend_from_slice(&buf[..take.min(need_head)]);
        // Another file is told by its first bytes: not decompressed on to the offset.
        let head_done = need_head > 0 && head.len() as u64 == HEAD.min(offset);
        if head_done && from.is_some_and(|p| p.head != Some(Digest::of(&head))) {
            return Ok(GzOutcome::Other);
        }
        tail.extend_from_slice(&buf[..take]);
        let keep = tail.len().saturating_sub(WITNESS as usize);
        tail.drain(..keep);
        pos += take as u64;
        pending = buf[take..n].to_vec();
    }
    if let Some(p) = from {
        let witness = &tail[tail.len().saturating_sub(offset.min(WITNESS) as usize)..];
        if p.head != Some(Digest::of(&head)) || p.witness != Some(Digest::of(witness)) {
            return Ok(GzOutcome::Other);
        }
    }
    let mut splitter = LineSplitter::new(MAX_LINE);
    let mut feed = |bytes: &[u8]| {
        let mut t = super::lock(tally);
        let done = splitter.feed(bytes, |e| t.record(e));
        t.add_bytes_read(done);
    };
    feed(&pending);
    let outcome = loop {
        match z.read(&mut buf) {
            Ok(0) => break GzOutcome::Counted,
            Ok(n) => feed(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => break GzOutcome::Corrupt(e),
        }
    };
    let mut t = super::lock(tally);
    let done = splitter.finish(|e| t.record(e));
    t.add_bytes_read(done);
    Ok(outcome)
}
