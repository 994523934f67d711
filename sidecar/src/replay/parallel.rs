//! Parallel replay of a plain file: one byte range per thread, each starting at a line, each
//! counted into its own aggregator, merged in file order so the counts equal a sequential pass.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::os::unix::fs::FileExt;

use memchr::memchr;

use super::CHUNK;
use crate::lines::LineSplitter;
use crate::parse::MAX_LINE;
use crate::tally::Tally;

/// Splits `0..len` into at most `parts` non-empty ranges that each start at 0 or right after a
/// newline, so that no line is cut between two ranges. A range boundary at the nominal split
/// point moves forward to the next line start; a line longer than a range swallows the split.
pub fn line_ranges(file: &File, len: u64, parts: usize) -> io::Result<Vec<Range<u64>>> {
    let parts = parts.max(1) as u64;
    let mut starts = vec![0];
    for k in 1..parts {
        let nominal = (u128::from(len) * u128::from(k) / u128::from(parts)) as u64;
        let last = *starts.last().unwrap_or(&0);
        let start = next_line_start(file, nominal.max(last), len)?;
        if start >= len {
            break;
        }
        if start > last {
            starts.push(start);
        }
    }
    let ends = starts.iter().skip(1).copied().chain(std::iter::once(len));
    Ok(starts.iter().zip(ends).map(|(s, e)| *s..e).collect())
}

/// The first offset at or after `from` where a line starts (0, or just after a newline); `len`
/// if there is none.
fn next_line_start(file: &File, from: u64, len: u64) -> io::Result<u64> {
    if from == 0 {
        return Ok(0);
    }
    let mut buf = vec![0u8; 64 << 10];
    // The byte before `from` decides whether `from` itself starts a line.
    let mut pos = from - 1;
    while pos < len {
        let want = (len - pos).min(buf.len() as u64) as usize;
        let n = read_at(file, &mut buf[..want], pos)?;
        if n == 0 {
            break;
        }
        if let Some(i) = memchr(b'\n', &buf[..n]) {
            return Ok(pos + i as u64 + 1);
        }
        pos += n as u64;
    }
    Ok(len)
}

fn read_at(file: &File, buf: &mut [u8], pos: u64) -> io::Result<usize> {
    loop {
        match file.read_at(buf, pos) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

/// Counts the lines of one range of a file. A range's last line ends at its end (the next range
/// starts after a newline), except in the last range, which reads to the end of the file as a
/// sequential pass would even if the file grew.
pub fn replay_range(tally: &mut Tally, file: &File, range: Range<u64>) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    let mut splitter = LineSplitter::new(MAX_LINE);
    let mut pos = range.start;
    while pos < range.end {
        let want = (range.end - pos).min(CHUNK as u64) as usize;
        let n = read_at(file, &mut buf[..want], pos)?;
        if n == 0 {
            break;
        }
        pos += n as u64;
        let done = splitter.feed(&buf[..n], |e| tally.record(e));
        tally.add_bytes_read(done);
    }
    let done = splitter.finish(|e| tally.record(e));
    tally.add_bytes_read(done);
    Ok(())
}

/// Counts a plain file of `len` bytes on up to `threads` threads into `tally`, with exactly the
/// result of a sequential pass. Without a manifest, if a later range met more new paths than a
/// worker may label, the split cannot be merged exactly and the file is counted again on this
/// thread.
pub fn replay_split(tally: &mut Tally, file: &File, len: u64, threads: usize) -> io::Result<()> {
    let mut ranges = line_ranges(file, len, threads)?;
    if let Some(last) = ranges.last_mut() {
        last.end = u64::MAX;
    }
    let workers: Vec<Tally> = (0..ranges.len()).map(|i| tally.worker(i == 0)).collect();
    let counted = std::thread::scope(|s| {
        let handles: Vec<_> = ranges
            .into_iter()
            .zip(workers)
            .map(|(range, mut worker)| {
                s.spawn(move || replay_range(&mut worker, file, range).map(|()| worker))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect::<io::Result<Vec<Tally>>>()
    })?;
    if tally.mergeable_all(&counted) {
        // In file order: open-mode labels go to paths in the order they first occur.
        for worker in counted {
            tally.merge(worker);
        }
        Ok(())
    } else {
        // The workers' tables and visitor sets are not needed for the recount.
        drop(counted);
        replay_range(tally, file, 0..u64::MAX)
    }
}

#[cfg(test)]
mod tests;
