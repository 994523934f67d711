//! Splits a byte stream into lines with bounded memory, and reports how many bytes are complete
//! (up to the last newline) so that a reader's committed offset always sits on a line boundary.

use memchr::memchr;

/// A line, or the fact that an over-long line was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEvent<'a> {
    /// A complete line, without its newline.
    Line(&'a [u8]),
    /// A line longer than the limit, skipped without buffering it.
    TooLong,
}

/// Incremental line splitter holding at most `max` bytes of a partial line.
#[derive(Debug)]
pub struct LineSplitter {
    pending: Vec<u8>,
    discarding: bool,
    max: usize,
    /// Bytes fed since the last newline (pending, discarded or skipped hole bytes).
    uncommitted: u64,
}

impl LineSplitter {
    /// A splitter that skips lines longer than `max` bytes.
    pub fn new(max: usize) -> LineSplitter {
        LineSplitter {
            pending: Vec::new(),
            discarding: false,
            max,
            uncommitted: 0,
        }
    }

    /// Bytes fed but not yet ended by a newline.
    pub fn uncommitted(&self) -> u64 {
        self.uncommitted
    }

    /// Feeds the next chunk, calling `on` for each line it completes. Returns how many bytes of
    /// the stream became complete (the previous partial line plus this chunk up to its last
    /// newline); 0 if the chunk holds no newline.
    pub fn feed(&mut self, chunk: &[u8], mut on: impl FnMut(LineEvent<'_>)) -> u64 {
        let mut pos = 0;
        let mut completed_to = None;
        while pos < chunk.len() {
            if self.pending.is_empty() && !self.discarding && chunk[pos] == 0 {
                // NUL bytes at a line start are a hole punched by `--reclaim` (or preallocated
                // space): never log data, so skip them rather than report one giant line.
                pos += chunk[pos..]
                    .iter()
                    .position(|b| *b != 0)
                    .unwrap_or(chunk.len() - pos);
                continue;
            }
            match memchr(b'\n', &chunk[pos..]) {
                Some(i) => {
                    let end = pos + i;
                    let part = &chunk[pos..end];
                    if self.discarding || self.pending.len() + part.len() > self.max {
                        on(LineEvent::TooLong);
                    } else if self.pending.is_empty() {
                        on(LineEvent::Line(part));
                    } else {
                        self.pending.extend_from_slice(part);
                        on(LineEvent::Line(&self.pending));
                    }
                    self.discarding = false;
                    self.pending.clear();
                    pos = end + 1;
                    completed_to = Some(pos);
                }
                None => {
                    let rest = &chunk[pos..];
                    if !self.discarding {
                        if self.pending.len() + rest.len() > self.max {
                            self.discarding = true;
                            self.pending = Vec::new();
                        } else {
                            self.pending.extend_from_slice(rest);
                        }
                    }
                    pos = chunk.len();
                }
            }
        }
        match completed_to {
            Some(to) => {
                let done = self.uncommitted + to as u64;
                self.uncommitted = (chunk.len() - to) as u64;
                done
            }
            None => {
                self.uncommitted += chunk.len() as u64;
                0
            }
        }
    }

    /// Ends the stream: a final line without newline (a truncated last line) is still a line.
    /// Returns the bytes it completes.
    pub fn finish(&mut self, mut on: impl FnMut(LineEvent<'_>)) -> u64 {
        if self.discarding {
            on(LineEvent::TooLong);
        } else if !self.pending.is_empty() {
            on(LineEvent::Line(&self.pending));
        }
        let done = self.uncommitted;
        self.reset();
        done
    }

    /// Forgets any partial line (the file was truncated or replaced).
    pub fn reset(&mut self) {
        self.pending = Vec::new();
        self.discarding = false;
        self.uncommitted = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(s: &mut LineSplitter, chunks: &[&[u8]]) -> (Vec<String>, u64) {
        let mut out = Vec::new();
        let mut done = 0;
        for c in chunks {
            done += s.feed(c, |e| {
                out.push(match e {
                    LineEvent::Line(l) => String::from_utf8_lossy(l).into_owned(),
                    LineEvent::TooLong => "<too long>".to_owned(),
                })
            });
        }
        (out, done)
    }

    #[test]
    fn lines_split_across_chunks_are_joined() {
        let mut s = LineSplitter::new(100);
        let (lines, done) = collect(&mut s, &[b"ab", b"c\nde", b"f\ng"]);
        assert_eq!(lines, ["abc", "def"]);
        assert_eq!(done, 8);
        assert_eq!(s.uncommitted(), 1);
    }

    #[test]
    fn an_over_long_line_is_reported_once_without_buffering() {
        let mut s = LineSplitter::new(4);
        let (lines, done) = collect(&mut s, &[b"abc", b"defgh", b"ijk\nok\n"]);
        assert_eq!(lines, ["<too long>", "ok"]);
        assert_eq!(done, 15);
        assert!(s.pending.capacity() <= 8);
    }

    #[test]
    fn nul_bytes_at_a_line_start_are_skipped_as_a_hole() {
        let mut s = LineSplitter::new(100);
        let (lines, done) = collect(&mut s, &[b"\0\0\0", b"\0a\n"]);
        assert_eq!(lines, ["a"]);
        assert_eq!(done, 6);
    }

    #[test]
    fn finish_reports_a_truncated_last_line() {
        let mut s = LineSplitter::new(100);
        let (_, done) = collect(&mut s, &[b"a\nlast"]);
        let mut last = Vec::new();
        let tail = s.finish(|e| last.push(format!("{e:?}")));
        assert_eq!(done + tail, 6);
        assert_eq!(last.len(), 1);
    }
}
