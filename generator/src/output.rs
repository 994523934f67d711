//! Publishing: precompresses text files and swaps the finished site in atomically, so nginx
//! never serves a half-written or mixed site and a failed build leaves the old one untouched.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::error::BuildError;
use crate::site::Site;

/// Extensions worth serving compressed.
const TEXT: &[&str] = &[
    "html",
    "css",
    "js",
    "mjs",
    "svg",
    "xml",
    "txt",
    "json",
    "map",
    "webmanifest",
];

/// gzip at its best level; browsers and nginx's gzip_static read it.
const GZIP_LEVEL: u32 = 9;
/// Brotli 9 is within a few percent of 11's size at a fraction of its time on large sites.
const BROTLI_QUALITY: u32 = 9;

/// The `.gz` and `.br` forms of one file.
#[derive(Debug)]
pub struct Compressed {
    /// gzip (no timestamp or name in the header, so builds are byte-identical).
    pub gzip: Vec<u8>,
    /// Brotli.
    pub brotli: Vec<u8>,
}

/// Compressed forms by content hash, kept across `watch` rebuilds.
#[derive(Debug, Default)]
pub struct CompressCache(Mutex<HashMap<blake3::Hash, Arc<Compressed>>>);

impl CompressCache {
    fn get(&self, bytes: &[u8]) -> std::io::Result<Arc<Compressed>> {
        let hash = blake3::hash(bytes);
        if let Some(hit) = self.0.lock().ok().and_then(|m| m.get(&hash).cloned()) {
            return Ok(hit);
        }
        let made = Arc::new(Compressed {
            gzip: gzip(bytes)?,
            brotli: brotli(bytes)?,
        });
        if let Ok(mut map) = self.0.lock() {
            map.insert(hash, Arc::clone(&made));
        }
        Ok(made)
    }
}

/// What a publish wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct Written {
    /// Files written, precompressed copies included.
    pub files: usize,
    /// Bytes of the uncompressed files.
    pub bytes: u64,
    /// Bytes of everything written.
    pub total_bytes: u64,
}

/// Whether a file is text that nginx should serve compressed.
pub fn is_text(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| TEXT.contains(&e))
}

/// Deterministic gzip: no mtime, no file name, "unknown" OS.
pub fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(
            Vec::with_capacity(bytes.len() / 3),
            flate2::Compression::new(GZIP_LEVEL),
        );
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// Brotli with fixed parameters.
pub fn brotli(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY as i32,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

/// Writes the site into a fresh sibling of `out`, then swaps it in with one rename.
pub fn publish(site: &Site, out: &Path, cache: &CompressCache) -> Result<Written, BuildError> {
    let out = absolute(out)?;
    let parent = out.parent().unwrap_or(Path::new("/")).to_owned();
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dist".to_owned());
    fs::create_dir_all(&parent).map_err(|e| BuildError::io(&parent, e))?;
    let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|e| BuildError::io(&staging, e))?;
    }
    let written = write_all(site, &staging, cache).and_then(|w| swap(&staging, &out).map(|()| w));
    if written.is_err() && staging.exists() {
        // The staging folder is ours alone; the published site is untouched either way.
        let _ = fs::remove_dir_all(&staging);
    }
    written
}

fn write_all(site: &Site, dir: &Path, cache: &CompressCache) -> Result<Written, BuildError> {
    let mut dirs: Vec<PathBuf> = site
        .files
        .keys()
        .filter_map(|p| p.parent().map(|d| dir.join(d)))
        .collect();
    dirs.sort();
    dirs.dedup();
    fs::create_dir_all(dir).map_err(|e| BuildError::io(dir, e))?;
    for d in &dirs {
        fs::create_dir_all(d).map_err(|e| BuildError::io(d, e))?;
    }
    let per_file: Vec<Result<Written, BuildError>> = site
        .files
        .par_iter()
        .map(|(rel, bytes)| {
            let path = dir.join(rel);
            let write = |p: &Path, b: &[u8]| fs::write(p, b).map_err(|e| BuildError::io(p, e));
            write(&path, bytes)?;
            let mut w = Written {
                files: 1,
                bytes: bytes.len() as u64,
                total_bytes: bytes.len() as u64,
            };
            if is_text(rel) {
                let c = cache.get(bytes).map_err(|e| BuildError::io(&path, e))?;
                for (ext, b) in [("gz", &c.gzip), ("br", &c.brotli)] {
                    let mut p = path.clone().into_os_string();
                    p.push(".");
                    p.push(ext);
                    write(Path::new(&p), b)?;
                    w.files += 1;
                    w.total_bytes += b.len() as u64;
                }
            }
            Ok(w)
        })
        .collect();
    per_file.into_iter().try_fold(Written::default(), |acc, w| {
        let w = w?;
        Ok(Written {
            files: acc.files + w.files,
            bytes: acc.bytes + w.bytes,
            total_bytes: acc.total_bytes + w.total_bytes,
        })
    })
}

/// Puts `staging` at `out`. With an existing `out`, the two are exchanged in one atomic
/// `renameat2(RENAME_EXCHANGE)`, so every request sees either the old or the new site.
fn swap(staging: &Path, out: &Path) -> Result<(), BuildError> {
    match fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return fs::rename(staging, out).map_err(|e| BuildError::io(out, e));
        }
        Err(e) => return Err(BuildError::io(out, e)),
        Ok(m) if !m.is_dir() => {
            return Err(BuildError::io(
                out,
                std::io::Error::other("exists and is not a folder; refusing to replace it"),
            ));
        }
        Ok(_) => {}
    }
    exchange(staging, out).map_err(|e| BuildError::io(out, e))?;
    // `staging` now holds the previous site.
    fs::remove_dir_all(staging).map_err(|e| BuildError::io(staging, e))
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};
    match renameat2(AT_FDCWD, a, AT_FDCWD, b, RenameFlags::RENAME_EXCHANGE) {
        Ok(()) => Ok(()),
        Err(nix::errno::Errno::EINVAL | nix::errno::Errno::ENOSYS) => exchange_by_renames(a, b),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    exchange_by_renames(a, b)
}

/// Fallback where the file system cannot exchange: two renames, with a brief moment without `b`.
fn exchange_by_renames(a: &Path, b: &Path) -> std::io::Result<()> {
    let aside = a.with_extension("previous");
    fs::rename(b, &aside)?;
    fs::rename(a, b)?;
    fs::rename(&aside, a)
}

fn absolute(p: &Path) -> Result<PathBuf, BuildError> {
    std::path::absolute(p).map_err(|e| BuildError::io(p, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn gzip_is_deterministic_and_round_trips() -> std::io::Result<()> {
        let input = b"<html>hello hello hello</html>".repeat(20);
        let (a, b) = (gzip(&input)?, gzip(&input)?);
        assert_eq!(a, b);
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&a[..]).read_to_end(&mut decoded)?;
        assert_eq!(decoded, input);
        Ok(())
    }

    #[test]
    fn brotli_round_trips() -> std::io::Result<()> {
        let input = b"body { color: red }".repeat(50);
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &brotli(&input)?[..], &mut decoded)?;
        assert_eq!(decoded, input);
        Ok(())
    }

    #[test]
    fn only_text_is_precompressed() {
        assert!(is_text(Path::new("a/index.html")));
        assert!(is_text(Path::new("badges/x.svg")));
        assert!(!is_text(Path::new("photo.png")));
    }
}
