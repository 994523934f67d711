//! Checkpoints: each followed file's identity and committed offset together with the counter
//! values, written atomically so that a restart after SIGKILL resumes exactly where the counts
//! stand.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::count::{CountsSnapshot, RestoreError};

/// Format version, bumped on incompatible changes. Version 1 (no fingerprints) is read and
/// migrated: its positions are trusted by device and inode alone, as version 1 did.
pub const VERSION: u32 = 2;

/// The oldest version [`load`] migrates.
pub const OLDEST: u32 = 1;

/// A hash of some bytes of a log (never the bytes: they hold client addresses), and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Digest {
    /// Bytes hashed.
    pub len: u64,
    /// FNV-1a 64 of those bytes (stable across builds and machines).
    pub fnv: u64,
}

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        Digest {
            len: bytes.len() as u64,
            fnv: h,
        }
    }
}

/// Identity of a file: device and inode, stable across renames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileId {
    /// `st_dev`.
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
}

impl FileId {
    /// The identity in a file's metadata.
    pub fn of(meta: &fs::Metadata) -> FileId {
        use std::os::unix::fs::MetadataExt;
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        }
    }
}

/// Where reading of one file stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePosition {
    /// The `--log` path this file was (or is) known by.
    pub log: PathBuf,
    /// The file's identity.
    pub id: FileId,
    /// Bytes counted, always at a line boundary.
    pub offset: u64,
    /// Whether this is a rotated-away file still being drained.
    pub draining: bool,
    /// The file's first bytes (up to 256, fewer when the offset is smaller): with `witness`,
    /// what tells this file from another that got its inode. `None` in a version 1 checkpoint.
    #[serde(default)]
    pub head: Option<Digest>,
    /// The (up to 64) bytes just before `offset`: tells a file truncated and regrown past the
    /// offset (copytruncate) from the one read. `None` in a version 1 checkpoint.
    #[serde(default)]
    pub witness: Option<Digest>,
}

/// Everything needed to resume exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// [`VERSION`].
    pub version: u32,
    /// Open files and offsets.
    pub files: Vec<FilePosition>,
    /// Counter values matching exactly those offsets.
    pub counts: CountsSnapshot,
}

/// A checkpoint could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// I/O on the state file.
    #[error("state file {path}: {source}")]
    Io {
        /// The state file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The state file is not a valid checkpoint.
    #[error("state file {path} is not a checkpoint: {source}")]
    Format {
        /// The state file.
        path: PathBuf,
        /// The error.
        source: serde_json::Error,
    },
    /// Written by an incompatible version.
    #[error(
        "state file {path} is checkpoint version {found}, and this program reads versions {OLDEST} to {VERSION}"
    )]
    Version {
        /// The state file.
        path: PathBuf,
        /// The version found.
        found: u32,
    },
    /// A valid checkpoint whose counts this program does not give (edited, or another build).
    #[error("state file {path}: {source}")]
    Counts {
        /// The state file.
        path: PathBuf,
        /// What is wrong with the counts.
        source: RestoreError,
    },
}

/// Reads a checkpoint; `None` if there is none yet.
pub fn load(path: &Path) -> Result<Option<Checkpoint>, StateError> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StateError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    let format_err = |source| StateError::Format {
        path: path.to_owned(),
        source,
    };
    // The version first: another version may have fields this one would call unknown, and the
    // version is the useful message then.
    #[derive(Deserialize)]
    struct Probe {
        version: u32,
    }
    let probe: Probe = serde_json::from_slice(&bytes).map_err(format_err)?;
    if !(OLDEST..=VERSION).contains(&probe.version) {
        return Err(StateError::Version {
            path: path.to_owned(),
            found: probe.version,
        });
    }
    // Version 1 is version 2 without fingerprints (their fields default to `None`).
    let mut cp: Checkpoint = serde_json::from_slice(&bytes).map_err(format_err)?;
    cp.version = VERSION;
    Ok(Some(cp))
}

/// Writes a checkpoint atomically: a temporary file in the same directory, fsync, rename over
/// the old one, fsync the directory. A crash at any point leaves the old or the new checkpoint.
pub fn save(path: &Path, cp: &Checkpoint) -> Result<(), StateError> {
    let io_err = |source| StateError::Io {
        path: path.to_owned(),
        source,
    };
    // Strings, integers and string-keyed maps always serialise; this is only for the types.
    let bytes = serde_json::to_vec(cp).map_err(|e| io_err(io::Error::other(e)))?;
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let written = File::create(&tmp)
        .and_then(|mut f| {
            f.write_all(&bytes)?;
            f.sync_all()
        })
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        // A full disk leaves a partial temporary file: do not leave it behind.
        let _ = fs::remove_file(&tmp);
        return Err(io_err(e));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir).and_then(|d| d.sync_all()).map_err(io_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            version: VERSION,
            files: vec![FilePosition {
                log: "/var/log/nginx/access.log".into(),
                id: FileId { dev: 1, ino: 2 },
                offset: 42,
                draining: false,
                head: Some(Digest::of(b"first")),
                witness: Some(Digest::of(b"last")),
            }],
            counts: CountsSnapshot::default(),
        }
    }

    #[test]
    fn a_saved_checkpoint_loads_back_equal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        save(&path, &sample()).expect("save");
        assert_eq!(load(&path).expect("load"), Some(sample()));
        assert!(!dir.path().join("state.json.tmp").exists());
    }

    #[test]
    fn a_version_1_checkpoint_loads_as_version_2_without_fingerprints() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let mut v = serde_json::to_value(sample()).expect("json");
        v["version"] = serde_json::json!(1);
        let file = v["files"][0].as_object_mut().expect("position");
        file.remove("head");
        file.remove("witness");
        fs::write(&path, v.to_string()).expect("write");
        let cp = load(&path).expect("load").expect("a checkpoint");
        assert_eq!(cp.version, VERSION);
        assert_eq!((cp.files[0].head, cp.files[0].witness), (None, None));
        assert_eq!(cp.files[0].offset, 42);
    }

    #[test]
    fn a_failed_save_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A directory where the state file would be: the rename fails.
        let path = dir.path().join("state.json");
        fs::create_dir(&path).expect("mkdir");
        fs::write(path.join("x"), "").expect("write");
        assert!(matches!(save(&path, &sample()), Err(StateError::Io { .. })));
        assert!(!dir.path().join("state.json.tmp").exists());
    }

    #[test]
    fn a_version_from_the_future_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        fs::write(&path, r#"{"version": 3}"#).expect("write");
        assert!(matches!(
            load(&path),
            Err(StateError::Version { found: 3, .. })
        ));
    }

    #[test]
    fn a_missing_state_file_is_no_checkpoint() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(load(&dir.path().join("none.json")).expect("load"), None);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let mut v = serde_json::to_value(sample()).expect("json");
        v["surprise"] = serde_json::json!(1);
        fs::write(&path, v.to_string()).expect("write");
        assert!(matches!(load(&path), Err(StateError::Format { .. })));
    }
}
