//! Maps request targets to a bounded set of `path` label values: the routes of the generator's
//! manifest, or, without one, the first N distinct normalised paths.

use contract::Manifest;
use contract::asset::is_fingerprinted;
use contract::route::canonical_page;

use crate::hash::FastMap;

/// The label for every path outside the known set.
pub const OTHER: &str = "other";

/// Longest path kept as its own label without a manifest; longer ones are `other`, so a flood of
/// huge junk paths cannot grow memory.
pub const MAX_LABEL_LEN: usize = 256;

/// Default cap on distinct paths without a manifest.
pub const DEFAULT_MAX_PATHS: usize = 500;

/// Index of a path label in a [`Router`]'s label table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteId(pub u32);

/// Turns request targets into route ids, keeping the number of distinct labels bounded.
#[derive(Debug, Clone)]
pub struct Router {
    labels: Vec<String>,
    by_path: FastMap<Box<[u8]>, RouteId>,
    mode: Mode,
    /// Open mode: the normalised path that created each label after `other`, in order, so a
    /// parallel worker's labels can be replayed into the main router in file order.
    pages: Vec<Box<[u8]>>,
    /// Open mode: a path was refused a label for lack of room.
    overflowed: bool,
    /// Open mode: two paths share a label (their lossy UTF-8 forms are equal), so a label's
    /// counts cannot be traced back to one path.
    ambiguous: bool,
    /// Routes of recently seen raw targets (query stripped): real traffic repeats a few targets,
    /// so most lines skip normalisation. Cleared when full, which bounds it.
    cache: FastMap<Box<[u8]>, RouteId>,
    scratch: Vec<u8>,
    decoded: Vec<u8>,
}

#[derive(Debug, Clone)]
enum Mode {
    Manifest {
        /// Paths matched exactly before page canonicalisation (files).
        files: FastMap<Box<[u8]>, RouteId>,
        assets_prefix: Box<[u8]>,
        assets: RouteId,
        /// Routes whose GET/200 series exists from the start.
        initial: Vec<RouteId>,
    },
    Open {
        max_paths: usize,
    },
}

/// Paths a worker of a later byte range may label without a manifest before the parallel
/// replay of its file gives up and replays it sequentially. It bounds a worker's memory, and
/// its time too: `add_label` looks labels up by a linear scan.
pub const WORKER_MAX_PATHS: usize = 8192;

/// Most targets remembered in the route cache.
const CACHE_MAX: usize = 4096;

/// The id of `other` in every router.
pub const OTHER_ID: RouteId = RouteId(0);

impl Router {
    /// A router over a manifest's routes.
    pub fn with_manifest(manifest: &Manifest) -> Router {
        let mut router = Router::empty(Mode::Open { max_paths: 0 });
        let mut files = FastMap::default();
        let mut initial = Vec::new();
        for page in &manifest.pages {
            let id = router.add_label(page.as_str());
            router.by_path.insert(page.as_str().as_bytes().into(), id);
            initial.push(id);
        }
        for file in &manifest.files {
            let id = router.add_label(file.as_str());
            files.insert(file.as_str().as_bytes().into(), id);
            initial.push(id);
        }
        let assets = router.add_label(&format!("{}*", manifest.assets_prefix));
        initial.sort();
        initial.dedup();
        router.mode = Mode::Manifest {
            files,
            assets_prefix: manifest.assets_prefix.as_bytes().into(),
            assets,
            initial,
        };
        router
    }

    /// A router without a manifest: each normalised path is its own label, up to `max_paths`.
    pub fn open(max_paths: usize) -> Router {
        Router::empty(Mode::Open { max_paths })
    }

    fn empty(mode: Mode) -> Router {
        Router {
            labels: vec![OTHER.to_owned()],
            by_path: FastMap::default(),
            cache: FastMap::default(),
            mode,
            pages: Vec::new(),
            overflowed: false,
            ambiguous: false,
            scratch: Vec::new(),
            decoded: Vec::new(),
        }
    }

    /// A router for a worker that counts one byte range of a file in parallel with others.
    /// The first range continues from this router's state, so it can be an exact copy; later
    /// ranges cannot know which paths earlier ranges labelled, so without a manifest they start
    /// empty with room for `WORKER_MAX_PATHS` paths and [`Router::absorb`] assigns the real
    /// labels in file order.
    pub fn for_worker(&self, first: bool) -> Router {
        let mut router = match self.mode {
            Mode::Open { max_paths } if !first => Router::open(max_paths.max(WORKER_MAX_PATHS)),
            _ => self.clone(),
        };
        router.cache.clear();
        router.overflowed = false;
        router.ambiguous = false;
        router
    }

    /// Whether [`Router::absorb`] reproduces sequential routing for a worker made by
    /// [`Router::for_worker`]. The first range's worker is an exact continuation. A later
    /// range's worker that refused a path for lack of room may have refused one an earlier range
    /// labelled, and a label shared by two of its paths may need to split between them.
    pub fn absorbable(&self, first: bool) -> bool {
        first || !(self.ambiguous || self.overflowed)
    }

    /// Adds a worker's labels in the order it created them, as sequential routing would have
    /// met their paths, and returns the id here of each of the worker's ids.
    pub fn absorb(&mut self, worker: &Router) -> Vec<RouteId> {
        match self.mode {
            // Same manifest, same label table.
            Mode::Manifest { .. } => (0..worker.labels.len() as u32).map(RouteId).collect(),
            Mode::Open { max_paths } => std::iter::once(OTHER_ID)
                .chain(worker.pages.iter().map(|p| self.open_id(p, max_paths)))
                .collect(),
        }
    }

    fn add_label(&mut self, label: &str) -> RouteId {
        if let Some(i) = self.labels.iter().position(|l| l == label) {
            return RouteId(i as u32);
        }
        self.labels.push(label.to_owned());
        RouteId((self.labels.len() - 1) as u32)
    }

    /// The label of a route id.
    pub fn label(&self, id: RouteId) -> &str {
        self.labels.get(id.0 as usize).map_or(OTHER, String::as_str)
    }

    /// Routes whose GET/200 series should exist before any request (the manifest's).
    pub fn initial_routes(&self) -> &[RouteId] {
        match &self.mode {
            Mode::Manifest { initial, .. } => initial,
            Mode::Open { .. } => &[],
        }
    }

    /// The id for a label read back from a checkpoint: a known label, a new one if the open
    /// router has room, otherwise `other`.
    pub fn id_for_label(&mut self, label: &str) -> RouteId {
        self.cache.clear();
        if let Some(i) = self.labels.iter().position(|l| l == label) {
            return RouteId(i as u32);
        }
        match self.mode {
            Mode::Open { max_paths } if self.labels.len() - 1 < max_paths => {
                self.add_page(label, label.as_bytes())
            }
            _ => OTHER_ID,
        }
    }

    /// The route of a logged request target (escapes as nginx logs them).
    pub fn route(&mut self, target: &[u8]) -> RouteId {
        let key = &target[..path_end(target)];
        if let Some(id) = self.cache.get(key) {
            return *id;
        }
        let id = self.route_uncached(target);
        if key.len() <= MAX_LABEL_LEN {
            if self.cache.len() >= CACHE_MAX {
                self.cache.clear();
            }
            self.cache.insert(key.into(), id);
        }
        id
    }

    fn route_uncached(&mut self, target: &[u8]) -> RouteId {
        let mut path = std::mem::take(&mut self.scratch);
        let mut decoded = std::mem::take(&mut self.decoded);
        let id = if normalise(target, &mut decoded, &mut path) {
            self.route_normalised(&path)
        } else {
            OTHER_ID
        };
        self.scratch = path;
        self.decoded = decoded;
        id
    }

    fn route_normalised(&mut self, path: &[u8]) -> RouteId {
        match &self.mode {
            Mode::Manifest {
                files,
                assets_prefix,
                assets,
                ..
            } => {
                if let Some(id) = files.get(path) {
                    return *id;
                }
                if let Some(id) = self.by_path.get(canonical_page(path)) {
                    return *id;
                }
                match path.strip_prefix(&**assets_prefix) {
                    Some(name) if is_fingerprinted(name) => *assets,
                    _ => OTHER_ID,
                }
            }
            Mode::Open { max_paths } => {
                let max_paths = *max_paths;
                self.open_id(canonical_page(path), max_paths)
            }
        }
    }

    /// The id of a canonical page without a manifest, labelling it if there is room.
    fn open_id(&mut self, page: &[u8], max_paths: usize) -> RouteId {
        if let Some(id) = self.by_path.get(page) {
            return *id;
        }
        if page.len() > MAX_LABEL_LEN {
            return OTHER_ID;
        }
        if self.labels.len() > max_paths {
            self.overflowed = true;
            return OTHER_ID;
        }
        let label = String::from_utf8_lossy(page).into_owned();
        self.add_page(&label, page)
    }

    /// Labels a new open-mode path, remembering the path in label order.
    fn add_page(&mut self, label: &str, page: &[u8]) -> RouteId {
        let before = self.labels.len();
        let id = self.add_label(label);
        if self.labels.len() == before {
            self.ambiguous = true;
        } else {
            self.pages.push(page.into());
        }
        self.by_path.insert(page.into(), id);
        id
    }
}

/// Where the path of a target ends (its query or fragment starts). Paths are short, so a plain
/// loop over the first bytes beats memchr's setup.
fn path_end(target: &[u8]) -> usize {
    const NEAR: usize = 64;
    let head = &target[..target.len().min(NEAR)];
    match head.iter().position(|b| *b == b'?' || *b == b'#') {
        Some(i) => i,
        None if target.len() > NEAR => {
            memchr::memchr2(b'?', b'#', &target[NEAR..]).map_or(target.len(), |i| i + NEAR)
        }
        None => target.len(),
    }
}

/// Normalises a request target the way nginx resolves it to a location: absolute form reduced to
/// its path, query and fragment dropped, `\xHH` log escapes and `%HH` decoded, slashes merged,
/// `.` and `..` resolved. Returns false for targets that are not paths (`*`, CONNECT authority).
pub fn normalise(target: &[u8], decoded: &mut Vec<u8>, out: &mut Vec<u8>) -> bool {
    let mut t = target;
    for scheme in [&b"http://"[..], b"https://"] {
        if t.len() >= scheme.len() && t[..scheme.len()].eq_ignore_ascii_case(scheme) {
            let rest = &t[scheme.len()..];
            t = match memchr::memchr(b'/', rest) {
                Some(i) => &rest[i..],
                None => b"/",
            };
            break;
        }
    }
    let end = memchr::memchr2(b'?', b'#', t).unwrap_or(t.len());
    let t = &t[..end];
    if !t.starts_with(b"/") {
        return false;
    }
    // Pass 1: nginx's `\xHH` log escapes, into `out`.
    decode_hex_escapes(t, b"\\x", out);
    // Pass 2: percent-decoding, into `decoded`. It comes after un-escaping because nginx escapes
    // the raw bytes of the request line, which may themselves be percent-encoded.
    decode_hex_escapes(out, b"%", decoded);
    // Pass 3: segments, back into `out`.
    out.clear();
    for segment in decoded.split(|b| *b == b'/') {
        match segment {
            b"" | b"." => {}
            b".." => {
                let cut = memchr::memrchr(b'/', out).unwrap_or(0);
                out.truncate(cut);
            }
            s => {
                out.push(b'/');
                out.extend_from_slice(s);
            }
        }
    }
    // A trailing slash, `.` or `..` names a directory: keep the slash so `/a/` stays distinct
    // from the file `/a` until canonicalisation.
    let last = decoded.rsplit(|b| *b == b'/').next().unwrap_or(b"");
    if out.is_empty() || matches!(last, b"" | b"." | b"..") {
        out.push(b'/');
    }
    true
}

/// Replaces `dst` with `src`, each `<escape>HH` (two hex digits) decoded to its byte; an escape
/// not followed by two hex digits is kept as it is.
#[inline]
fn decode_hex_escapes(src: &[u8], escape: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    let mut i = 0;
    while i < src.len() {
        if src[i..].starts_with(escape) {
            let hex = i + escape.len();
            if let Some(v) = hex_pair(src.get(hex..hex + 2)) {
                dst.push(v);
                i = hex + 2;
                continue;
            }
        }
        dst.push(src[i]);
        i += 1;
    }
}

fn hex_pair(h: Option<&[u8]>) -> Option<u8> {
    let h = h?;
    let v = |c: u8| (c as char).to_digit(16);
    Some((v(h[0])? * 16 + v(h[1])?) as u8)
}

#[cfg(test)]
mod tests;
