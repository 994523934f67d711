//! Fingerprinted assets: `static/app.css` is published as `/assets/app.<hash>.css`, so nginx
//! can let browsers cache it forever and a new build still reaches them at once.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

pub use contract::asset::PREFIX;
use contract::asset::fingerprinted_name;

use crate::source::SourceFile;

/// One fingerprinted asset.
#[derive(Debug, Clone)]
pub struct Asset {
    /// Its URL, e.g. `/assets/app.1a2b3c4d5e6f.css`.
    pub url: String,
    /// The bytes, shared with the output.
    pub bytes: Arc<Vec<u8>>,
    /// The static file it comes from (`themes/default/static/app.css`).
    pub source: PathBuf,
}

/// Logical asset names (`app.css`) to their fingerprinted form.
#[derive(Debug, Clone, Default)]
pub struct AssetMap(BTreeMap<String, Asset>);

impl AssetMap {
    /// Fingerprints every static file with its BLAKE3 hash, in the contract's name pattern.
    pub fn new(statics: &[SourceFile]) -> AssetMap {
        let map = statics
            .iter()
            .map(|f| {
                let name = f.rel.to_string_lossy().replace('\\', "/");
                let digest = blake3::hash(&f.bytes);
                let url = format!("{PREFIX}{}", fingerprinted_name(&name, digest.as_bytes()));
                (
                    name,
                    Asset {
                        url,
                        bytes: Arc::new(f.bytes.clone()),
                        source: f.path.clone(),
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let url = a.url("app.css").unwrap_or_default();
        let name = url.strip_prefix(PREFIX).unwrap_or_default();
        assert!(contract::asset::is_fingerprinted(name.as_bytes()), "{url}");
    }
}
