//! Manifest mode: the labels are the routes of the generator's manifest, fixed at start.

use contract::Manifest;
use contract::asset::is_fingerprinted;
use contract::route::canonical_page;

use crate::hash::FastMap;

use super::labels::Labels;
use super::{OTHER_ID, RouteId};

/// The manifest's routes as lookup tables, built in one pass over the manifest.
#[derive(Debug, Clone)]
pub struct ManifestRoutes {
    labels: Labels,
    /// Pages, matched after canonicalisation (`/a/index.html` is `/a`).
    pages: FastMap<Box<[u8]>, RouteId>,
    /// Other files, matched exactly.
    files: FastMap<Box<[u8]>, RouteId>,
    assets_prefix: Box<[u8]>,
    /// The one label of every fingerprinted asset (`/assets/*`).
    assets: RouteId,
    /// Every page and file route in id order: their GET/200 series exist from the start.
    initial: Vec<RouteId>,
}

impl ManifestRoutes {
    /// The routes of a manifest.
    pub fn new(manifest: &Manifest) -> ManifestRoutes {
        let mut labels = Labels::default();
        let mut initial = Vec::new();
        let mut add = |route: &str, table: &mut FastMap<Box<[u8]>, RouteId>| {
            let (id, new) = labels.insert(route);
            table.insert(route.as_bytes().into(), id);
            // Ids are given out in increasing order, so `initial` stays sorted without a sort;
            // a page and a file of one name share their label, and their series.
            if new {
                initial.push(id);
            }
        };
        let mut pages = FastMap::default();
        for page in &manifest.pages {
            add(page.as_str(), &mut pages);
        }
        let mut files = FastMap::default();
        for file in &manifest.files {
            add(file.as_str(), &mut files);
        }
        let (assets, _) = labels.insert(&format!("{}*", manifest.assets_prefix));
        ManifestRoutes {
            labels,
            pages,
            files,
            assets_prefix: manifest.assets_prefix.as_bytes().into(),
            assets,
            initial,
        }
    }

    /// The route of a normalised path: a file exactly, a page canonically, a fingerprinted
    /// asset, or `other`.
    pub fn route(&self, path: &[u8]) -> RouteId {
        if let Some(id) = self.files.get(path) {
            return *id;
        }
        if let Some(id) = self.pages.get(canonical_page(path)) {
            return *id;
        }
        match path.strip_prefix(&*self.assets_prefix) {
            Some(name) if is_fingerprinted(name) => self.assets,
            _ => OTHER_ID,
        }
    }

    /// The label table.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// Routes whose GET/200 series exist before any request.
    pub fn initial(&self) -> &[RouteId] {
        &self.initial
    }
}
