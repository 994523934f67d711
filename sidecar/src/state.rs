//! Checkpoints: each followed file's identity and committed offset together with the counter
//! values, written atomically so that a restart after SIGKILL resumes exactly where the counts
//! stand.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::count::{CountsSnapshot, RestoreError};

/// Format version, bumped on incompatible changes.
pub const VERSION: u32 = 1;

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
        "state file {path} is checkpoint version {found}, and this program reads version {VERSION}"
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
    if probe.version != VERSION {
        return Err(StateError::Version {
            path: path.to_owned(),
            found: probe.version,
        });
    }
    serde_json::from_slice(&bytes).map(Some).map_err(format_err)
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
    let mut f = File::create(&tmp).map_err(io_err)?;
    f.write_all(&bytes).map_err(io_err)?;
    f.sync_all().map_err(io_err)?;
    drop(f);
    fs::rename(&tmp, path).map_err(io_err)?;
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
