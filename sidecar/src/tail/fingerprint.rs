//! What tells one log file from another when device and inode do not (ext4 gives a new file
//! the inode of one just deleted), as Vector's file source does: a digest of the file's first
//! bytes, and of the bytes just before the committed offset.

use std::io::{self, Read};
use std::os::unix::fs::FileExt;

use crate::state::{Digest, FilePosition};

/// Bytes at the start of a file that identify it (fewer when the offset is smaller).
pub const HEAD: u64 = 256;

/// Bytes just before the offset that must be unchanged for the offset to mean the same place.
pub const WITNESS: u64 = 64;

/// Something that can be read at an offset: a plain file, or a decompressed `.gz` in memory.
pub trait ReadAt {
    /// Reads exactly `buf.len()` bytes at `at`.
    fn read_exact_at(&self, buf: &mut [u8], at: u64) -> io::Result<()>;
}

impl ReadAt for std::fs::File {
    fn read_exact_at(&self, buf: &mut [u8], at: u64) -> io::Result<()> {
        FileExt::read_exact_at(self, buf, at)
    }
}

impl ReadAt for [u8] {
    fn read_exact_at(&self, buf: &mut [u8], at: u64) -> io::Result<()> {
        let start = usize::try_from(at).map_err(|_| io::ErrorKind::UnexpectedEof)?;
        let mut src = self.get(start..).ok_or(io::ErrorKind::UnexpectedEof)?;
        src.read_exact(buf)
    }
}

/// The digest of the `HEAD` (or `offset`, if smaller) first bytes.
pub fn head(file: &(impl ReadAt + ?Sized), offset: u64) -> io::Result<Digest> {
    digest_at(file, 0, offset.min(HEAD))
}

/// The digest of the `WITNESS` (or fewer, at the start) bytes before `offset`.
pub fn witness(file: &(impl ReadAt + ?Sized), offset: u64) -> io::Result<Digest> {
    let len = offset.min(WITNESS);
    digest_at(file, offset - len, len)
}

fn digest_at(file: &(impl ReadAt + ?Sized), at: u64, len: u64) -> io::Result<Digest> {
    let mut buf = vec![0u8; len as usize];
    file.read_exact_at(&mut buf, at)?;
    Ok(Digest::of(&buf))
}

/// How a file compares with a checkpointed position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The same bytes up to the offset, as far as the digests tell: resume at the offset.
    Same,
    /// Another file, or this one rewritten (truncated and regrown): not the position's.
    Other,
}

/// Compares `file` (of length `len`) with `pos`. A version 1 position has no digests: then
/// `same_id` (device and inode) decides, as it did. A head that reads as zeros is accepted
/// when the witness matches: `--reclaim` punched it.
pub fn compare(
    file: &(impl ReadAt + ?Sized),
    len: u64,
    pos: &FilePosition,
    same_id: bool,
) -> Match {
    if len < pos.offset {
        return Match::Other;
    }
    let (Some(want_head), Some(want_witness)) = (pos.head, pos.witness) else {
        return if same_id { Match::Same } else { Match::Other };
    };
    let ok = |got: io::Result<Digest>, want: Digest| got.is_ok_and(|d| d == want);
    if !ok(witness(file, pos.offset), want_witness) {
        return Match::Other;
    }
    let punched = same_id && want_head.len == HEAD && head_is_zeros(file, want_head.len);
    if ok(head(file, pos.offset), want_head) || punched {
        Match::Same
    } else {
        Match::Other
    }
}

fn head_is_zeros(file: &(impl ReadAt + ?Sized), len: u64) -> bool {
    let mut buf = vec![0u8; len as usize];
    file.read_exact_at(&mut buf, 0).is_ok() && buf.iter().all(|b| *b == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::FileId;

    fn pos(bytes: &[u8], offset: u64) -> FilePosition {
        FilePosition {
            log: "/l".into(),
            id: FileId { dev: 1, ino: 1 },
            offset,
            draining: false,
            head: Some(head(bytes, offset).expect("head")),
            witness: Some(witness(bytes, offset).expect("witness")),
        }
    }

    #[test]
    fn a_file_grown_past_the_offset_is_the_same() {
        let was = b"line one\nline two\n".repeat(40);
        let mut now = was.clone();
        now.extend_from_slice(b"line three\n");
        let p = pos(&was, was.len() as u64);
        assert_eq!(compare(&now[..], now.len() as u64, &p, true), Match::Same);
    }

    #[test]
    fn a_new_file_with_the_old_inode_is_another() {
        let was = b"a 1\na 2\na 3\n".to_vec();
        let now = b"b 1\nb 2\nb 3\nb 4\n".to_vec();
        let p = pos(&was, was.len() as u64);
        assert_eq!(compare(&now[..], now.len() as u64, &p, true), Match::Other);
    }

    #[test]
    fn a_file_rewritten_past_the_offset_is_another_even_with_the_same_head() {
        let mut was = b"same start\n".repeat(30);
        was.extend_from_slice(b"old tail 1\nold tail 2\n");
        let mut now = b"same start\n".repeat(30);
        now.extend_from_slice(b"new tail 1\nnew tail 2\nnew tail 3\n");
        let p = pos(&was, was.len() as u64);
        assert_eq!(compare(&now[..], now.len() as u64, &p, true), Match::Other);
    }

    #[test]
    fn a_shorter_file_is_another() {
        let was = b"x\n".repeat(10);
        let p = pos(&was, was.len() as u64);
        assert_eq!(compare(&was[..4], 4, &p, true), Match::Other);
    }

    #[test]
    fn a_punched_head_with_the_same_witness_is_the_same() {
        let was: Vec<u8> = (0..8192u32)
            .flat_map(|i| format!("{i}\n").into_bytes())
            .collect();
        let p = pos(&was, was.len() as u64);
        let mut now = was.clone();
        now[..4096].fill(0);
        assert_eq!(compare(&now[..], now.len() as u64, &p, true), Match::Same);
        assert_eq!(compare(&now[..], now.len() as u64, &p, false), Match::Other);
    }

    #[test]
    fn a_version_1_position_trusts_the_inode() {
        let mut p = pos(b"abc\n", 4);
        (p.head, p.witness) = (None, None);
        assert_eq!(compare(&b"zzzz\n"[..], 5, &p, true), Match::Same);
        assert_eq!(compare(&b"zzzz\n"[..], 5, &p, false), Match::Other);
    }
}
