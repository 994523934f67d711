//! Fingerprinted assets: `static/app.css` is published as `/assets/app.<hash>.css`, so nginx
//! can let browsers cache it forever and a new build still reaches them at once.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::source::SourceFile;

/// The URL prefix every fingerprinted asset lives under.
pub const PREFIX: &str = "/assets/";

/// One fingerprinted asset.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Its URL, e.g. `/assets/app.1a2b3c4d5e6f.css`.
    pub url: String,
    /// The bytes, shared with the output.
    pub bytes: Arc<Vec<u8>>,
}

/// Logical asset names (`app.css`) to their fingerprinted form.
#[derive(Debug, Clone, Default)]
pub struct AssetMap(BTreeMap<String, Asset>);

impl AssetMap {
    /// Fingerprints every static file with the first 12 hex digits of its BLAKE3 hash.
    pub fn new(statics: &[SourceFile]) -> AssetMap {
        let map = statics
            .iter()
            .map(|f| {
                let name = f.rel.to_string_lossy().replace('\\', "/");
                let hash = blake3::hash(&f.bytes).to_hex();
                let url = format!("{PREFIX}{}", fingerprinted(&name, &hash[..12]));
                (
                    name,
                    Asset {
                        url,
                        bytes: Arc::new(f.bytes.clone()),
                    },
                )
            })
            .collect();
        AssetMap(map)
    }

    /// The URL of an asset, by its name under `static/`.
    pub fn url(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|a| a.url.as_str())
    }

    /// Every asset with the file it is written to, relative to the output folder.
    pub fn outputs(&self) -> impl Iterator<Item = (PathBuf, &Asset)> {
        self.0
            .values()
            .map(|a| (PathBuf::from(a.url.trim_start_matches('/')), a))
    }

    /// How many assets there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// `css/app.css` + `abc` -> `css/app.abc.css`.
fn fingerprinted(name: &str, hash: &str) -> String {
    let (dir, file) = name.rsplit_once('/').map_or(("", name), |(d, f)| (d, f));
    let stamped = match file.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}.{hash}.{ext}"),
        _ => format!("{file}.{hash}"),
    };
    if dir.is_empty() {
        stamped
    } else {
        format!("{dir}/{stamped}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_goes_before_the_extension() {
        assert_eq!(fingerprinted("css/app.css", "abc"), "css/app.abc.css");
        assert_eq!(fingerprinted("LICENSE", "abc"), "LICENSE.abc");
    }

    #[test]
    fn changed_content_changes_the_url() {
        let file = |bytes: &[u8]| SourceFile {
            path: "themes/default/static/app.css".into(),
            rel: "app.css".into(),
            bytes: bytes.to_vec(),
        };
        let a = AssetMap::new(&[file(b"a{}")]);
        let b = AssetMap::new(&[file(b"b{}")]);
        assert_ne!(a.url("app.css"), b.url("app.css"));
        assert!(
            a.url("app.css")
                .is_some_and(|u| u.starts_with("/assets/app."))
        );
    }
}
