//! Whole-file reading for `replay`: plain or gzip logs through the same splitter and counters
//! as tailing.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::lines::LineSplitter;
use crate::metrics::Aggregator;
use crate::parse::MAX_LINE;

/// Read buffer size: large enough that syscalls and per-chunk work vanish next to parsing.
pub const CHUNK: usize = 1 << 20;

/// A log file could not be replayed.
#[derive(Debug, thiserror::Error)]
#[error("reading {path}: {source}")]
pub struct ReplayError {
    /// The file.
    pub path: PathBuf,
    /// The I/O or decompression error.
    pub source: io::Error,
}

/// Counts every line of a stream, including a final line without newline.
pub fn replay_reader(agg: &mut Aggregator, mut reader: impl Read) -> io::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    let mut splitter = LineSplitter::new(MAX_LINE);
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let done = splitter.feed(&buf[..n], |e| agg.record(e));
        agg.add_bytes_read(done);
    }
    let done = splitter.finish(|e| agg.record(e));
    agg.add_bytes_read(done);
    Ok(())
}

/// Counts every line of a file; `.gz` files are decompressed (concatenated members too, as
/// logrotate's `compress` may produce).
pub fn replay_file(agg: &mut Aggregator, path: &Path) -> Result<(), ReplayError> {
    let err = |source| ReplayError {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(err)?;
    if path.extension().is_some_and(|e| e == "gz") {
        replay_reader(
            agg,
            MultiGzDecoder::new(io::BufReader::with_capacity(CHUNK, file)),
        )
    } else {
        replay_reader(agg, file)
    }
    .map_err(err)
}
