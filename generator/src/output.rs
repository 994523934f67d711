//! Publishing: precompresses text files and swaps the finished site in atomically, so nginx
//! never serves a half-written or mixed site and a failed build leaves the old one untouched.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use walkdir::WalkDir;

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

/// gzip level (libdeflate's 1-12) for pages and other per-build files. Measured on 1,062
/// pages of the bench's sections corpus: level 1 takes 20 ms of CPU for output at 31.1% of the
/// input, 6 takes 44 ms for 30.3%, 9 49 ms for 30.25%, 12 760 ms for 29.0%; miniz (flate2),
/// used before, took 64 ms at its level 9 for 29.8%. Browsers take the Brotli copy; the gzip one
/// is for the rest, so the middle level.
pub const GZIP_PAGE_LEVEL: i32 = 6;
/// gzip level for fingerprinted assets: few, cached for a year, worth the best.
pub const GZIP_ASSET_LEVEL: i32 = 12;
/// Brotli quality for pages and other per-build files. Measured on 2,000 synthetic pages:
/// quality 4 takes 0.56 s of CPU, quality 5 2.9 s (from 5 up the encoder zeroes a 1 MiB hash
/// table per file), for output 7% smaller. Pages change every build, so 4.
pub const BROTLI_PAGE_QUALITY: u32 = 4;
/// Brotli quality for fingerprinted assets: few, cached for a year, worth the best.
pub const BROTLI_ASSET_QUALITY: u32 = 11;

/// How hard to compress one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Levels {
    /// libdeflate level for the `.gz` copy.
    pub gzip: i32,
    /// Brotli quality for the `.br` copy.
    pub brotli: u32,
}

impl Levels {
    /// For pages and everything else rebuilt on every build.
    pub const PAGE: Levels = Levels {
        gzip: GZIP_PAGE_LEVEL,
        brotli: BROTLI_PAGE_QUALITY,
    };
    /// For fingerprinted assets.
    pub const ASSET: Levels = Levels {
        gzip: GZIP_ASSET_LEVEL,
        brotli: BROTLI_ASSET_QUALITY,
    };

    /// The levels of the output file `rel` (relative to the output folder).
    pub fn of(rel: &Path) -> Levels {
        if rel.starts_with(crate::assets::PREFIX.trim_matches('/')) {
            Levels::ASSET
        } else {
            Levels::PAGE
        }
    }
}

/// The `.gz` and `.br` forms of one file; `None` where that form would not be smaller than the
/// file itself (nginx then serves the plain file, as it does for any file without one).
#[derive(Debug)]
pub struct Compressed {
    /// gzip (no timestamp or name in the header, so builds are byte-identical).
    pub gzip: Option<Arc<Vec<u8>>>,
    /// Brotli.
    pub brotli: Option<Arc<Vec<u8>>>,
}

impl Compressed {
    /// Both forms of `bytes`, each kept only if smaller.
    pub fn of(bytes: &[u8], levels: Levels) -> std::io::Result<Compressed> {
        let smaller = |mut c: Vec<u8>| {
            c.shrink_to_fit();
            (c.len() < bytes.len()).then(|| Arc::new(c))
        };
        Ok(Compressed {
            gzip: smaller(gzip(bytes, levels.gzip)?),
            brotli: smaller(brotli(bytes, levels.brotli)?),
        })
    }
}

/// What a builder remembers of its publishes, for `watch`: the last build's compressed forms
/// by output path (an output whose bytes did not change is not compressed again), and what the
/// output folder and the recycled folder hold, so a rebuild knows which files differ without
/// reading any. Each publish replaces it all, so it holds at most two builds, sharing buffers.
#[derive(Debug, Default)]
pub struct OutputState {
    compressed: HashMap<PathBuf, Cached>,
    /// Every file the output folder holds, as this process published it.
    published: Option<Snapshot>,
    /// Every file the recycled folder holds, and that folder's identity then.
    previous: Option<(Snapshot, FolderId)>,
}

/// Every file of a published folder: its bytes by path relative to the folder.
type Snapshot = HashMap<PathBuf, Arc<Vec<u8>>>;

#[derive(Debug)]
struct Cached {
    plain: Arc<Vec<u8>>,
    forms: Arc<Compressed>,
}

impl OutputState {
    fn compressed(&self, rel: &Path, bytes: &Arc<Vec<u8>>) -> Option<Arc<Compressed>> {
        // Most unchanged outputs are the very buffer the render cache kept: no comparison.
        let hit = self.compressed.get(rel)?;
        (Arc::ptr_eq(&hit.plain, bytes) || hit.plain == *bytes).then(|| Arc::clone(&hit.forms))
    }
}

/// A folder as `rename` leaves it: a folder renamed or replaced by anyone else since (another
/// build claiming the recycled folder) has another inode or change time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FolderId {
    dev: u64,
    ino: u64,
    ctime: (i64, i64),
}

impl FolderId {
    fn of(path: &Path) -> std::io::Result<FolderId> {
        use std::os::unix::fs::MetadataExt;
        let m = fs::symlink_metadata(path)?;
        Ok(FolderId {
            dev: m.dev(),
            ino: m.ino(),
            ctime: (m.ctime(), m.ctime_nsec()),
        })
    }
}

/// What a publish wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct Written {
    /// Files in the output, precompressed copies included.
    pub files: usize,
    /// How many of those already held the right bytes and were not rewritten.
    pub unchanged: usize,
    /// Bytes of the uncompressed files.
    pub bytes: u64,
    /// Bytes of everything written.
    pub total_bytes: u64,
}

impl Written {
    fn add(&mut self, other: Written) {
        self.files += other.files;
        self.unchanged += other.unchanged;
        self.bytes += other.bytes;
        self.total_bytes += other.total_bytes;
    }
}

/// Whether a file is text that nginx should serve compressed.
pub fn is_text(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| TEXT.contains(&e))
}

/// The names of a text file's precompressed copies (`a.html` -> `a.html.gz`, `a.html.br`),
/// the names nginx's gzip_static and brotli_static look for.
pub fn precompressed(path: &Path) -> impl Iterator<Item = PathBuf> + '_ {
    [Ext::Gz, Ext::Br]
        .into_iter()
        .map(move |ext| sibling(path, ext))
}

fn sibling(path: &Path, ext: Ext) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(ext.suffix());
    PathBuf::from(p)
}

thread_local! {
    /// One libdeflate compressor per level and thread: each call compresses its input on its
    /// own (the output depends on nothing else), and reusing the compressor saves allocating
    /// and freeing its match finder's tables for every file.
    static DEFLATERS: RefCell<Vec<(i32, libdeflater::Compressor)>> = const { RefCell::new(Vec::new()) };
}

/// Deterministic gzip at libdeflate `level` (clamped to 1-12): no mtime, no file name,
/// "unknown" OS, as libdeflate always writes it.
pub fn gzip(bytes: &[u8], level: i32) -> std::io::Result<Vec<u8>> {
    let level = level.clamp(1, 12);
    DEFLATERS.with_borrow_mut(|deflaters| {
        let at = match deflaters.iter().position(|(l, _)| *l == level) {
            Some(at) => at,
            None => {
                let lvl = libdeflater::CompressionLvl::new(level)
                    .map_err(|e| std::io::Error::other(format!("gzip level {level}: {e:?}")))?;
                deflaters.push((level, libdeflater::Compressor::new(lvl)));
                deflaters.len() - 1
            }
        };
        let compressor = &mut deflaters[at].1;
        let mut out = vec![0; compressor.gzip_compress_bound(bytes.len())];
        let len = compressor
            .gzip_compress(bytes, &mut out)
            .map_err(|e| std::io::Error::other(format!("gzip: {e:?}")))?;
        out.truncate(len);
        Ok(out)
    })
}

/// Brotli with fixed parameters.
pub fn brotli(bytes: &[u8], quality: u32) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 3);
    // A window no larger than the input: the encoder's buffers scale with it, and a 4 MiB
    // window for a 5 KiB page costs more in allocation than the compression itself.
    let needed = usize::BITS - bytes.len().max(1).leading_zeros();
    let params = brotli::enc::BrotliEncoderParams {
        quality: quality as i32,
        lgwin: needed.clamp(10, 22) as i32 + 1,
        size_hint: bytes.len(),
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

/// Writes the site into a staging sibling of `out`, then swaps it in with one rename. With
/// `precompress`, every text file that compresses gets its `.gz` and `.br` copies beside it.
///
/// The site replaced by the swap is kept as `.<out>.previous` and recycled as the next build's
/// staging folder: only files whose bytes changed are written and only stale ones deleted, so
/// a rebuild of a large site costs reads, not tens of thousands of creates and unlinks; when
/// `state` knows what that folder holds (this process published it), not even reads. With
/// nothing to recycle the folder is new and empty, and files are written without looking first.
pub fn publish(
    site: &Site,
    out: &Path,
    state: &mut OutputState,
    precompress: bool,
) -> Result<Written, BuildError> {
    let out = absolute(out)?;
    let parent = out.parent().unwrap_or(Path::new("/")).to_owned();
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "dist".to_owned());
    fs::create_dir_all(&parent).map_err(|e| BuildError::io(&parent, e))?;
    let staging = parent.join(format!(".{name}.staging-{}", std::process::id()));
    let previous = parent.join(format!(".{name}.previous"));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|e| BuildError::io(&staging, e))?;
    }
    // Whatever happens next, the recycled folder is claimed or gone: forget what it held.
    let known = state.previous.take();
    let before = FolderId::of(&previous).ok();
    // Renaming claims the recycled folder: a concurrent build finds it gone and starts afresh.
    let recycled = fs::rename(&previous, &staging).is_ok();
    if !recycled {
        fs::create_dir(&staging).map_err(|e| BuildError::io(&staging, e))?;
    }
    // Trust the memory only for the very folder this process left there, untouched since.
    let known = known
        .filter(|(_, id)| recycled && before == Some(*id))
        .filter(|(_, id)| {
            FolderId::of(&staging).is_ok_and(|now| (now.dev, now.ino) == (id.dev, id.ino))
        })
        .map(|(snapshot, _)| snapshot);
    let start = std::time::Instant::now();
    let from_memory = known.is_some();
    let done = sync_into(site, &staging, recycled, known, state, precompress).and_then(
        |(written, snapshot)| {
            tracing::info!(
                elapsed_ms = start.elapsed().as_millis(),
                written = written.files - written.unchanged,
                unchanged = written.unchanged,
                recycled,
                from_memory,
                "staged the site"
            );
            let kept = swap(&staging, &out, &previous)?;
            Ok((written, snapshot, kept))
        },
    );
    match done {
        Ok((written, snapshot, kept)) => {
            // The folder swapped out holds what the output folder held: known if this process
            // published that too.
            let replaced = state.published.replace(snapshot);
            state.previous = kept.and_then(|id| replaced.map(|s| (s, id)));
            Ok(written)
        }
        Err(e) => {
            if staging.exists() {
                // The staging folder is ours alone; the published site is untouched either way.
                let _ = fs::remove_dir_all(&staging);
            }
            Err(e)
        }
    }
}

/// What a recycled staging folder already holds, once stale entries are gone: each file's
/// bytes when this process knows them, else `None` (read to compare).
#[derive(Default)]
struct Existing {
    files: HashMap<PathBuf, Option<Arc<Vec<u8>>>>,
    dirs: HashSet<PathBuf>,
}

/// Makes `dir` hold exactly the site's files (and their compressed forms), writing only what
/// differs from what is already there. Returns what it wrote and the folder's new contents.
fn sync_into(
    site: &Site,
    dir: &Path,
    recycled: bool,
    known: Option<Snapshot>,
    state: &mut OutputState,
    precompress: bool,
) -> Result<(Written, Snapshot), BuildError> {
    let needed_dirs = folders(site.files.keys());
    let wanted = |rel: &Path| wanted(site, rel, precompress);
    let existing = match known {
        Some(known) => forget_stale(dir, known, &needed_dirs, wanted)?,
        None if recycled => prune(dir, &needed_dirs, wanted)?,
        None => Existing::default(),
    };
    make_folders(dir, &needed_dirs, &existing.dirs)?;
    let state_ref = &*state;
    let results: Vec<Result<Synced, BuildError>> = site
        .files
        .par_iter()
        .map(|(rel, bytes)| {
            let mut files = Vec::with_capacity(3);
            let mut written = write_file(dir, rel, bytes, &existing)?;
            written.bytes = bytes.len() as u64;
            files.push((rel.clone(), Arc::clone(bytes)));
            if !(precompress && is_text(rel)) {
                return Ok((written, files, None));
            }
            let forms = match state_ref.compressed(rel, bytes) {
                Some(forms) => forms,
                None => Arc::new(
                    Compressed::of(bytes, Levels::of(rel))
                        .map_err(|e| BuildError::io(dir.join(rel), e))?,
                ),
            };
            for (ext, form) in [(Ext::Gz, &forms.gzip), (Ext::Br, &forms.brotli)] {
                let copy = sibling(rel, ext);
                match form {
                    Some(form) => {
                        written.add(write_file(dir, &copy, form, &existing)?);
                        files.push((copy, Arc::clone(form)));
                    }
                    // Not smaller: no copy, and none left over from an earlier build either.
                    None if existing.files.contains_key(&copy) => {
                        let path = dir.join(&copy);
                        fs::remove_file(&path).map_err(|e| BuildError::io(&path, e))?;
                    }
                    None => {}
                }
            }
            let cached = Cached {
                plain: Arc::clone(bytes),
                forms,
            };
            Ok((written, files, Some((rel.clone(), cached))))
        })
        .collect();
    let mut total = Written::default();
    let mut compressed = HashMap::with_capacity(if precompress { site.files.len() } else { 0 });
    let mut snapshot = Snapshot::with_capacity(site.files.len() * if precompress { 3 } else { 1 });
    for result in results {
        let (written, files, cached) = result?;
        total.add(written);
        snapshot.extend(files);
        compressed.extend(cached);
    }
    state.compressed = compressed;
    Ok((total, snapshot))
}

/// Whether a file in a recycled folder is one this build writes: a site file, or the `.gz` or
/// `.br` copy of a text one (which this build may still find not worth writing).
fn wanted(site: &Site, rel: &Path, precompress: bool) -> bool {
    site.files.contains_key(rel)
        || (precompress && rel.extension().is_some_and(|e| e == "gz" || e == "br") && {
            let text = rel.with_extension("");
            is_text(&text) && site.files.contains_key(&text)
        })
}

/// What writing one site file did: the files it holds (itself, its copies) and its compressed
/// forms for the next build's cache.
type Synced = (
    Written,
    Vec<(PathBuf, Arc<Vec<u8>>)>,
    Option<(PathBuf, Cached)>,
);

/// Writes one file, unless a recycled folder already holds exactly these bytes there.
fn write_file(
    dir: &Path,
    rel: &Path,
    bytes: &Arc<Vec<u8>>,
    existing: &Existing,
) -> Result<Written, BuildError> {
    let path = dir.join(rel);
    let unchanged = match existing.files.get(rel) {
        None => false,
        Some(Some(old)) => Arc::ptr_eq(old, bytes) || old == bytes,
        Some(None) => fs::read(&path).is_ok_and(|old| old == **bytes),
    };
    if !unchanged {
        fs::write(&path, &bytes[..]).map_err(|e| BuildError::io(&path, e))?;
    }
    Ok(Written {
        files: 1,
        unchanged: usize::from(unchanged),
        bytes: 0,
        total_bytes: bytes.len() as u64,
    })
}

/// Every folder the site's files need, relative to the output folder, ancestors included.
fn folders<'a>(files: impl Iterator<Item = &'a PathBuf>) -> HashSet<PathBuf> {
    let mut dirs = HashSet::new();
    for rel in files {
        let mut at = rel.parent();
        while let Some(d) = at.filter(|d| !d.as_os_str().is_empty()) {
            if !dirs.insert(d.to_owned()) {
                break;
            }
            at = d.parent();
        }
    }
    dirs
}

/// Deletes what a recycled folder holds that this build does not write, and says what is left.
/// Stale files go first, so a file can replace a folder of the same name and vice versa.
fn prune(
    dir: &Path,
    needed_dirs: &HashSet<PathBuf>,
    wanted: impl Fn(&Path) -> bool,
) -> Result<Existing, BuildError> {
    let mut existing = Existing::default();
    for entry in WalkDir::new(dir).min_depth(1).contents_first(true) {
        let entry = entry.map_err(|e| BuildError::io(dir, e.into()))?;
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        if entry.file_type().is_dir() {
            if needed_dirs.contains(rel) {
                existing.dirs.insert(rel.to_owned());
            } else {
                // Everything inside was stale and is gone already (contents come first).
                fs::remove_dir(entry.path()).map_err(|e| BuildError::io(entry.path(), e))?;
            }
        } else if wanted(rel) {
            existing.files.insert(rel.to_owned(), None);
        } else {
            fs::remove_file(entry.path()).map_err(|e| BuildError::io(entry.path(), e))?;
        }
    }
    Ok(existing)
}

/// `prune` for a folder whose every file this process knows: no walk, no reads.
fn forget_stale(
    dir: &Path,
    known: Snapshot,
    needed_dirs: &HashSet<PathBuf>,
    wanted: impl Fn(&Path) -> bool,
) -> Result<Existing, BuildError> {
    let mut existing = Existing::default();
    let known_dirs = folders(known.keys());
    for (rel, bytes) in known {
        if wanted(&rel) {
            existing.files.insert(rel, Some(bytes));
        } else {
            remove_if_there(&dir.join(&rel), |p| fs::remove_file(p))?;
        }
    }
    let mut stale: Vec<&PathBuf> = known_dirs.difference(needed_dirs).collect();
    // Children before parents: each is empty once its stale files and folders are gone.
    stale.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in stale {
        remove_if_there(&dir.join(d), |p| fs::remove_dir(p))?;
    }
    existing.dirs = known_dirs.intersection(needed_dirs).cloned().collect();
    Ok(existing)
}

/// Removes a file or folder; one already gone is what was asked for.
fn remove_if_there(
    path: &Path,
    remove: impl Fn(&Path) -> std::io::Result<()>,
) -> Result<(), BuildError> {
    match remove(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(BuildError::io(path, e)),
        _ => Ok(()),
    }
}

/// Creates the folders that do not exist yet, each with one `mkdir`, parents before children
/// and every level on all cores.
fn make_folders(
    dir: &Path,
    needed: &HashSet<PathBuf>,
    existing: &HashSet<PathBuf>,
) -> Result<(), BuildError> {
    let mut by_depth: Vec<Vec<&Path>> = Vec::new();
    for d in needed.iter().filter(|d| !existing.contains(*d)) {
        let depth = d.components().count();
        if by_depth.len() < depth {
            by_depth.resize_with(depth, Vec::new);
        }
        by_depth[depth - 1].push(d);
    }
    for level in by_depth {
        level.par_iter().try_for_each(|d| {
            let path = dir.join(d);
            fs::create_dir(&path).map_err(|e| BuildError::io(&path, e))
        })?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Ext {
    Gz,
    Br,
}

impl Ext {
    fn suffix(self) -> &'static str {
        match self {
            Ext::Gz => ".gz",
            Ext::Br => ".br",
        }
    }
}

/// Puts `staging` at `out`. With an existing `out`, the two are exchanged in one atomic
/// `renameat2(RENAME_EXCHANGE)`, so every request sees either the old or the new site; the old
/// one is then kept at `previous` for the next build to recycle.
/// Returns the identity of the folder kept at `previous`, if one was.
fn swap(staging: &Path, out: &Path, previous: &Path) -> Result<Option<FolderId>, BuildError> {
    match fs::symlink_metadata(out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            fs::rename(staging, out).map_err(|e| BuildError::io(out, e))?;
            return Ok(None);
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
    // `staging` now holds the previous site. If another build already left one, ours goes.
    if fs::rename(staging, previous).is_err() {
        fs::remove_dir_all(staging).map_err(|e| BuildError::io(staging, e))?;
        return Ok(None);
    }
    Ok(FolderId::of(previous).ok())
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
    let mut aside = a.as_os_str().to_owned();
    aside.push(".aside");
    let aside = PathBuf::from(aside);
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
        let (a, b) = (
            gzip(&input, GZIP_PAGE_LEVEL)?,
            gzip(&input, GZIP_PAGE_LEVEL)?,
        );
        assert_eq!(a, b);
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&a[..]).read_to_end(&mut decoded)?;
        assert_eq!(decoded, input);
        Ok(())
    }

    #[test]
    fn a_files_compressed_forms_do_not_depend_on_what_was_compressed_before() -> std::io::Result<()>
    {
        // The compressors are reused per thread: nothing of one file may leak into the next.
        let (a, b) = (
            b"<p>alpha beta gamma</p>".repeat(40),
            b"<p>other</p>".repeat(90),
        );
        let first = Compressed::of(&a, Levels::PAGE)?;
        Compressed::of(&b, Levels::PAGE)?;
        let again = Compressed::of(&a, Levels::PAGE)?;
        let elsewhere = std::thread::spawn(move || Compressed::of(&a, Levels::PAGE))
            .join()
            .map_err(|_| std::io::Error::other("thread panicked"))??;
        for other in [&again, &elsewhere] {
            assert_eq!(first.gzip, other.gzip);
            assert_eq!(first.brotli, other.brotli);
        }
        Ok(())
    }

    #[test]
    fn a_copy_that_is_not_smaller_is_not_kept() -> std::io::Result<()> {
        let forms = Compressed::of(b"User-agent: *\n", Levels::PAGE)?;
        assert!(forms.gzip.is_none(), "gzip adds 18 bytes of framing");
        let forms = Compressed::of(&b"<p>same</p>".repeat(100), Levels::PAGE)?;
        assert!(forms.gzip.is_some() && forms.brotli.is_some());
        Ok(())
    }

    #[test]
    fn brotli_round_trips() -> std::io::Result<()> {
        let input = b"body { color: red }".repeat(50);
        let mut decoded = Vec::new();
        brotli::BrotliDecompress(&mut &brotli(&input, BROTLI_PAGE_QUALITY)?[..], &mut decoded)?;
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
