//! Whole-file reading for `replay`: plain or gzip logs through the same splitter and counters
//! as tailing.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use flate2::read::MultiGzDecoder;

use crate::lines::LineSplitter;
use crate::parse::MAX_LINE;
use crate::tally::Tally;

pub mod parallel;

/// Read buffer size: large enough that syscalls and hand-offs between the reading and the
/// counting thread vanish next to parsing.
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

/// Plain files at least this large are counted on every core; below it, starting threads and
/// merging their counts would cost more than they save.
pub const MIN_SPLIT_LEN: u64 = 64 << 20;

/// Buffers in flight between the reading thread and the counting one.
const BUFFERS: usize = 4;

/// Counts every line of a stream, including a final line without newline. A second thread
/// reads (and decompresses) while this one parses, so I/O stays off the critical path.
pub fn replay_reader(tally: &mut Tally, reader: impl Read + Send) -> io::Result<()> {
    let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(BUFFERS);
    let (empty_tx, empty_rx) = mpsc::sync_channel::<Vec<u8>>(BUFFERS);
    for _ in 0..BUFFERS {
        // Cannot fail: the receiver is alive and the channel has room for every buffer.
        let _ = empty_tx.send(vec![0u8; CHUNK]);
    }
    std::thread::scope(move |s| {
        s.spawn(move || read_loop(reader, &empty_rx, &full_tx));
        let mut splitter = LineSplitter::new(MAX_LINE);
        // Dropping the channels on return (also on error) ends the reading thread.
        for msg in full_rx {
            let (buf, n) = msg?;
            let done = splitter.feed(&buf[..n], |e| tally.record(e));
            tally.add_bytes_read(done);
            let _ = empty_tx.send(buf);
        }
        let done = splitter.finish(|e| tally.record(e));
        tally.add_bytes_read(done);
        Ok(())
    })
}

fn read_loop(
    mut reader: impl Read,
    empty: &mpsc::Receiver<Vec<u8>>,
    full: &mpsc::SyncSender<io::Result<(Vec<u8>, usize)>>,
) {
    while let Ok(mut buf) = empty.recv() {
        let msg = loop {
            match reader.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => break Ok((buf, n)),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => break Err(e),
            }
        };
        let failed = msg.is_err();
        if full.send(msg).is_err() || failed {
            return;
        }
    }
}

/// Counts every line of a file; `.gz` files are decompressed (concatenated members too, as
/// logrotate's `compress` may produce). Plain files of [`MIN_SPLIT_LEN`] or more are split
/// between the available cores.
pub fn replay_file(tally: &mut Tally, path: &Path) -> Result<(), ReplayError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    replay_file_with(tally, path, threads, MIN_SPLIT_LEN)
}

/// [`replay_file`] with an explicit thread count and the smallest plain file to split.
pub fn replay_file_with(
    tally: &mut Tally,
    path: &Path,
    threads: usize,
    min_split_len: u64,
) -> Result<(), ReplayError> {
    let err = |source| ReplayError {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(err)?;
    if path.extension().is_some_and(|e| e == "gz") {
        // A gzip stream can only be decompressed from its start.
        return replay_reader(
            tally,
            MultiGzDecoder::new(io::BufReader::with_capacity(CHUNK, file)),
        )
        .map_err(err);
    }
    let meta = file.metadata().map_err(err)?;
    if threads > 1 && meta.is_file() && meta.len() >= min_split_len {
        parallel::replay_split(tally, &file, meta.len(), threads)
    } else {
        replay_reader(tally, file)
    }
    .map_err(err)
}
