//! Parsed pages kept between builds, so a rebuild in `watch`/`serve` parses again only the
//! Markdown files whose bytes (or the settings parsing reads) changed: parsing every page
//! again was most of a one-page rebuild of a 10,000-page site.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::content::Page;
use crate::source::SourceFile;

/// Pages parsed by the last build, by source path, with the key of what they were parsed from.
#[derive(Debug, Default)]
pub struct PageCache {
    pages: HashMap<PathBuf, (blake3::Hash, Page)>,
}

/// Everything [`crate::content::parse_page`] reads: the file's bytes and two settings.
pub fn key(file: &SourceFile, default_description: &str, highlight: bool) -> blake3::Hash {
    let mut h = blake3::Hasher::new();
    // Lengths first, so no two different inputs hash the same concatenation.
    h.update(&(file.bytes.len() as u64).to_le_bytes());
    h.update(&file.bytes);
    h.update(&(default_description.len() as u64).to_le_bytes());
    h.update(default_description.as_bytes());
    h.update(&[u8::from(highlight)]);
    h.finalize()
}

impl PageCache {
    /// The page parsed from exactly these inputs last time, if any.
    pub fn get(&self, file: &SourceFile, key: blake3::Hash) -> Option<Page> {
        self.pages
            .get(&file.path)
            .filter(|(k, _)| *k == key)
            .map(|(_, page)| page.clone())
    }

    /// Keeps exactly this build's successfully parsed pages for the next one.
    pub fn replace(&mut self, pages: HashMap<PathBuf, (blake3::Hash, Page)>) {
        self.pages = pages;
    }
}
