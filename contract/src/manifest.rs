//! The route manifest, `dist/_routes.json`: every route the generator published, which the
//! sidecar uses as its bounded set of `path` labels. nginx refuses to serve it.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::asset;
use crate::route::Route;

/// The manifest's file name in the output folder.
pub const FILE_NAME: &str = "_routes.json";

/// The format version this crate writes and the newest it reads. A manifest without a version
/// field was written before versions existed and is version 1.
pub const VERSION: u32 = 1;

/// Largest manifest read, in bytes: about a million routes. A bound, so that `--routes` naming
/// the wrong file (`/dev/zero`, a log) fails at once instead of filling memory.
pub const MAX_BYTES: u64 = 64 << 20;

/// The generator's `dist/_routes.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`VERSION`] when written by this crate.
    #[serde(default = "first_version")]
    pub version: u32,
    /// Page routes (`/gandalf` is also served at `/gandalf/` and `/gandalf/index.html`).
    pub pages: Vec<Route>,
    /// Other files, served under their exact path (`/404.html`, `/robots.txt`...).
    pub files: Vec<Route>,
    /// The prefix of fingerprinted assets ([`asset::PREFIX`]).
    pub assets_prefix: String,
}

fn first_version() -> u32 {
    1
}

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// The file could not be opened or read.
    #[error("reading route manifest {path}: {source}")]
    Read {
        /// The manifest path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A folder, device or pipe rather than a file.
    #[error(
        "route manifest {path} is not a regular file (expected the generator's dist/{FILE_NAME})"
    )]
    NotAFile {
        /// The manifest path.
        path: PathBuf,
    },
    /// Larger than [`MAX_BYTES`].
    #[error("route manifest {path} is larger than {} MiB: is it the generator's dist/{FILE_NAME}?", MAX_BYTES >> 20)]
    TooLarge {
        /// The manifest path.
        path: PathBuf,
    },
    /// Written by a newer generator, in a format this program does not know.
    #[error(
        "route manifest {path} is version {found}, newer than the version {VERSION} this program reads: upgrade touchline-sidecar to the generator's release"
    )]
    Newer {
        /// The manifest path.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
    /// Not valid JSON of the manifest's shape (the message carries line and column).
    #[error("route manifest {path}: {source}")]
    Parse {
        /// The manifest path.
        path: PathBuf,
        /// The JSON error.
        source: serde_json::Error,
    },
    /// Valid JSON, but not a manifest the generator could have written.
    #[error("route manifest {path}: {reason}")]
    Invalid {
        /// The manifest path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl Manifest {
    /// A manifest of these routes, sorted, in the current version.
    pub fn new(mut pages: Vec<Route>, mut files: Vec<Route>) -> Manifest {
        pages.sort();
        pages.dedup();
        files.sort();
        files.dedup();
        Manifest {
            version: VERSION,
            pages,
            files,
            assets_prefix: asset::PREFIX.to_owned(),
        }
    }

    /// Every URL path the manifest names: pages, then files.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.pages.iter().chain(&self.files).map(Route::as_str)
    }

    /// The manifest as the generator writes it: pretty JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        // Serialising plain strings and integers into memory cannot fail.
        let mut json = serde_json::to_vec_pretty(self).unwrap_or_default();
        json.push(b'\n');
        json
    }

    /// Reads and checks a manifest file.
    pub fn read(path: &Path) -> Result<Manifest, ManifestError> {
        let read_err = |source| ManifestError::Read {
            path: path.to_owned(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_err)?;
        if !file.metadata().map_err(read_err)?.is_file() {
            return Err(ManifestError::NotAFile {
                path: path.to_owned(),
            });
        }
        let mut bytes = Vec::new();
        file.take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(read_err)?;
        if bytes.len() as u64 > MAX_BYTES {
            return Err(ManifestError::TooLarge {
                path: path.to_owned(),
            });
        }
        Manifest::from_slice(&bytes, path)
    }

    /// Parses and checks a manifest's bytes; `path` names it in errors.
    pub fn from_slice(bytes: &[u8], path: &Path) -> Result<Manifest, ManifestError> {
        let parse_err = |source| ManifestError::Parse {
            path: path.to_owned(),
            source,
        };
        // The version first: a newer format may have fields this one would call unknown, and
        // "upgrade" is the useful message then, not "unknown field".
        #[derive(Deserialize)]
        struct Probe {
            #[serde(default = "first_version")]
            version: u32,
        }
        let probe: Probe = serde_json::from_slice(bytes).map_err(parse_err)?;
        if probe.version > VERSION {
            return Err(ManifestError::Newer {
                path: path.to_owned(),
                found: probe.version,
            });
        }
        let manifest: Manifest = serde_json::from_slice(bytes).map_err(parse_err)?;
        let prefix = &manifest.assets_prefix;
        if !(prefix.len() > 1 && prefix.starts_with('/') && prefix.ends_with('/')) {
            return Err(ManifestError::Invalid {
                path: path.to_owned(),
                reason: format!("assets_prefix {prefix:?} must be a folder like \"/assets/\""),
            });
        }
        Ok(manifest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(s: &str) -> Route {
        Route::parse(s).expect("valid route")
    }

    fn sample() -> Manifest {
        Manifest::new(
            vec![route("/gandalf"), route("/")],
            vec![route("/robots.txt"), route("/404.html")],
        )
    }

    fn parse(json: &str) -> Result<Manifest, ManifestError> {
        Manifest::from_slice(json.as_bytes(), Path::new("dist/_routes.json"))
    }

    #[test]
    fn a_written_manifest_reads_back_equal() -> Result<(), ManifestError> {
        let m = sample();
        assert_eq!(Manifest::from_slice(&m.to_json(), Path::new("x"))?, m);
        Ok(())
    }

    #[test]
    fn routes_are_sorted_and_the_version_is_written() {
        let json = String::from_utf8(sample().to_json()).expect("utf-8");
        assert_eq!(
            json,
            "{\n  \"version\": 1,\n  \"pages\": [\n    \"/\",\n    \"/gandalf\"\n  ],\n  \"files\": [\n    \"/404.html\",\n    \"/robots.txt\"\n  ],\n  \"assets_prefix\": \"/assets/\"\n}\n"
        );
    }

    #[test]
    fn a_manifest_without_version_is_version_one() -> Result<(), ManifestError> {
        let m = parse(r#"{"pages":["/"],"files":[],"assets_prefix":"/assets/"}"#)?;
        assert_eq!(m.version, 1);
        Ok(())
    }

    #[test]
    fn a_newer_manifest_is_refused_with_upgrade_advice_even_with_new_fields() {
        let err =
            parse(r#"{"version":2,"pages":[],"files":[],"assets_prefix":"/assets/","new":1}"#)
                .expect_err("newer");
        assert_eq!(
            err.to_string(),
            "route manifest dist/_routes.json is version 2, newer than the version 1 this program reads: upgrade touchline-sidecar to the generator's release"
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = parse(r#"{"pages":[],"files":[],"assets_prefix":"/assets/","extra":1}"#)
            .expect_err("unknown field");
        assert!(matches!(err, ManifestError::Parse { .. }), "{err}");
        assert!(err.to_string().contains("unknown field `extra`"), "{err}");
    }

    #[test]
    fn a_route_that_is_not_canonical_is_refused_with_its_place() {
        let err = parse("{\"pages\":[\n\"gandalf\"],\"files\":[],\"assets_prefix\":\"/assets/\"}")
            .expect_err("relative route");
        assert_eq!(
            err.to_string(),
            "route manifest dist/_routes.json: route `gandalf`: a route must start with `/` at line 2 column 10"
        );
    }

    #[test]
    fn a_bad_assets_prefix_is_refused() {
        let err = parse(r#"{"pages":[],"files":[],"assets_prefix":"assets"}"#).expect_err("prefix");
        assert!(matches!(err, ManifestError::Invalid { .. }), "{err}");
    }

    #[test]
    fn a_device_is_refused_before_reading() {
        let err = Manifest::read(Path::new("/dev/zero")).expect_err("device");
        assert!(matches!(err, ManifestError::NotAFile { .. }), "{err}");
    }

    #[test]
    fn a_file_over_the_size_bound_is_refused() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("big.json");
        let f = std::fs::File::create(&path)?;
        f.set_len(MAX_BYTES + 1)?;
        let err = Manifest::read(&path).expect_err("too large");
        assert!(matches!(err, ManifestError::TooLarge { .. }), "{err}");
        Ok(())
    }

    #[test]
    fn a_missing_file_names_its_path() {
        let err = Manifest::read(Path::new("/nonexistent/_routes.json")).expect_err("missing");
        assert!(
            err.to_string()
                .starts_with("reading route manifest /nonexistent/_routes.json: "),
            "{err}"
        );
    }
}
