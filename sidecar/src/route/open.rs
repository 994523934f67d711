//! Open mode, without a manifest: each canonical path becomes its own label as it first
//! occurs, up to a cap.

use crate::hash::FastMap;

use super::labels::Labels;
use super::{MAX_LABEL_LEN, OTHER_ID, RouteId, WORKER_MAX_PATHS};

/// Labels given to paths in the order they occur.
#[derive(Debug, Clone)]
pub struct OpenRoutes {
    labels: Labels,
    /// The id of each canonical path seen (the label is its lossy UTF-8 form).
    by_page: FastMap<Box<[u8]>, RouteId>,
    /// The path that created each label after `other`, in order, so a parallel worker's labels
    /// can be replayed into the main router in file order.
    pages: Vec<Box<[u8]>>,
    /// Labels besides `other`.
    max_paths: usize,
    /// A path was refused a label for lack of room.
    overflowed: bool,
    /// Two paths share a label (their lossy UTF-8 forms are equal), so a label's counts cannot
    /// be traced back to one path.
    ambiguous: bool,
}

impl OpenRoutes {
    /// Room for `max_paths` labels besides `other`.
    pub fn new(max_paths: usize) -> OpenRoutes {
        OpenRoutes {
            labels: Labels::default(),
            by_page: FastMap::default(),
            pages: Vec::new(),
            max_paths,
            overflowed: false,
            ambiguous: false,
        }
    }

    /// The label table.
    pub fn labels(&self) -> &Labels {
        &self.labels
    }

    /// The id of a canonical page, labelling it if there is room.
    pub fn route(&mut self, page: &[u8]) -> RouteId {
        if let Some(id) = self.by_page.get(page) {
            return *id;
        }
        if page.len() > MAX_LABEL_LEN {
            return OTHER_ID;
        }
        if self.labels.len() > self.max_paths {
            self.overflowed = true;
            return OTHER_ID;
        }
        let label = String::from_utf8_lossy(page).into_owned();
        self.add(&label, page)
    }

    /// The id for a label read back from a checkpoint: a known label, a new one if there is
    /// room, otherwise `other`.
    pub fn id_for_label(&mut self, label: &str) -> RouteId {
        if let Some(id) = self.labels.id(label) {
            return id;
        }
        if self.labels.len() - 1 < self.max_paths {
            self.add(label, label.as_bytes())
        } else {
            OTHER_ID
        }
    }

    /// Labels a new path, remembering the path in label order.
    fn add(&mut self, label: &str, page: &[u8]) -> RouteId {
        let (id, new) = self.labels.insert(label);
        if new {
            self.pages.push(page.into());
        } else {
            self.ambiguous = true;
        }
        self.by_page.insert(page.into(), id);
        id
    }

    /// The routes of a worker counting one byte range of a file: the first range continues
    /// from these, later ones cannot know what earlier ranges labelled and start empty, with
    /// room for at least [`WORKER_MAX_PATHS`].
    pub fn for_worker(&self, first: bool) -> OpenRoutes {
        if !first {
            return OpenRoutes::new(self.max_paths.max(WORKER_MAX_PATHS));
        }
        OpenRoutes {
            overflowed: false,
            ambiguous: false,
            ..self.clone()
        }
    }

    /// Whether [`OpenRoutes::absorb`] of this worker reproduces sequential routing. A later
    /// range's worker that refused a path for lack of room may have refused one an earlier
    /// range labelled, and a label shared by two of its paths may need to split between them.
    pub fn absorbable(&self, first: bool) -> bool {
        first || !(self.ambiguous || self.overflowed)
    }

    /// Labels a worker's paths in the order it labelled them, as sequential routing would have
    /// met them, and returns the id here of each of the worker's ids.
    pub fn absorb(&mut self, worker: &OpenRoutes) -> Vec<RouteId> {
        std::iter::once(OTHER_ID)
            .chain(worker.pages.iter().map(|p| self.route(p)))
            .collect()
    }
}
