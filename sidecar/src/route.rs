//! Maps request targets to a bounded set of `path` label values: the routes of the generator's
//! manifest, or, without one, the first N distinct normalised paths.
//!
//! [`normalise()`] turns a logged target into a path, [`Targets`] remembers the answer for
//! repeated targets, and the mode's routes ([`ManifestRoutes`] or [`OpenRoutes`]) give its id;
//! [`Labels`] turns ids back into label values.

mod labels;
mod manifest;
mod normalise;
mod open;
mod targets;

use contract::Manifest;
use contract::route::canonical_page;

pub use labels::Labels;
pub use manifest::ManifestRoutes;
pub use normalise::normalise;
pub use open::OpenRoutes;
pub use targets::Targets;

/// The label for every path outside the known set.
pub const OTHER: &str = "other";

/// The id of `other` in every router.
pub const OTHER_ID: RouteId = RouteId(0);

/// Longest path kept as its own label without a manifest; longer ones are `other`, so a flood of
/// huge junk paths cannot grow memory.
pub const MAX_LABEL_LEN: usize = 256;

/// Default cap on distinct paths without a manifest.
pub const DEFAULT_MAX_PATHS: usize = 500;

/// Paths a worker of a later byte range may label without a manifest before the parallel
/// replay of its file gives up and replays it sequentially. It bounds a worker's memory.
pub const WORKER_MAX_PATHS: usize = 8192;

/// Index of a path label in a router's [`Labels`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteId(pub u32);

/// Turns request targets into route ids, keeping the number of distinct labels bounded.
#[derive(Debug, Clone)]
pub enum Router {
    /// Labels are the manifest's routes (`--routes`).
    Manifest {
        /// The manifest's lookup tables.
        routes: ManifestRoutes,
        /// Memo of recent targets.
        targets: Targets,
    },
    /// Labels are paths as they come, up to `--max-paths`.
    Open {
        /// The paths labelled so far.
        routes: OpenRoutes,
        /// Memo of recent targets.
        targets: Targets,
    },
}

impl Router {
    /// A router over a manifest's routes.
    pub fn with_manifest(manifest: &Manifest) -> Router {
        Router::Manifest {
            routes: ManifestRoutes::new(manifest),
            targets: Targets::default(),
        }
    }

    /// A router without a manifest: each normalised path is its own label, up to `max_paths`.
    pub fn open(max_paths: usize) -> Router {
        Router::Open {
            routes: OpenRoutes::new(max_paths),
            targets: Targets::default(),
        }
    }

    /// The route of a logged request target (escapes as nginx logs them).
    #[inline]
    pub fn route(&mut self, target: &[u8]) -> RouteId {
        match self {
            Router::Manifest { routes, targets } => targets.route(target, |p| routes.route(p)),
            Router::Open { routes, targets } => {
                targets.route(target, |p| routes.route(canonical_page(p)))
            }
        }
    }

    /// The label table.
    pub fn labels(&self) -> &Labels {
        match self {
            Router::Manifest { routes, .. } => routes.labels(),
            Router::Open { routes, .. } => routes.labels(),
        }
    }

    /// The label of a route id.
    pub fn label(&self, id: RouteId) -> &str {
        self.labels().get(id)
    }

    /// Routes whose GET/200 series should exist before any request (the manifest's).
    pub fn initial_routes(&self) -> &[RouteId] {
        match self {
            Router::Manifest { routes, .. } => routes.initial(),
            Router::Open { .. } => &[],
        }
    }

    /// The id for a label read back from a checkpoint: a known label, a new one if the open
    /// router has room, otherwise `other`.
    pub fn id_for_label(&mut self, label: &str) -> RouteId {
        match self {
            Router::Manifest { routes, targets } => {
                targets.clear();
                routes.labels().id(label).unwrap_or(OTHER_ID)
            }
            Router::Open { routes, targets } => {
                // Checkpoints are restored before any routing, and a memo that cannot be stale
                // needs no proof that it is not.
                targets.clear();
                routes.id_for_label(label)
            }
        }
    }

    /// A router for a worker that counts one byte range of a file in parallel with others.
    /// The first range continues from this router's state, so it can be an exact copy; later
    /// ranges cannot know which paths earlier ranges labelled, so without a manifest they start
    /// empty with room for `WORKER_MAX_PATHS` paths and [`Router::absorb`] assigns the real
    /// labels in file order.
    pub fn for_worker(&self, first: bool) -> Router {
        match self {
            Router::Manifest { routes, .. } => Router::Manifest {
                routes: routes.clone(),
                targets: Targets::default(),
            },
            Router::Open { routes, .. } => Router::Open {
                routes: routes.for_worker(first),
                targets: Targets::default(),
            },
        }
    }

    /// Whether [`Router::absorb`] reproduces sequential routing for a worker made by
    /// [`Router::for_worker`]: always with a manifest, see [`OpenRoutes::absorbable`] without.
    pub fn absorbable(&self, first: bool) -> bool {
        match self {
            Router::Manifest { .. } => true,
            Router::Open { routes, .. } => routes.absorbable(first),
        }
    }

    /// Adds the labels of a worker made by [`Router::for_worker`] in the order it created them,
    /// and returns the id here of each of the worker's ids.
    pub fn absorb(&mut self, worker: &Router) -> Vec<RouteId> {
        match (self, worker) {
            (Router::Open { routes, .. }, Router::Open { routes: theirs, .. }) => {
                routes.absorb(theirs)
            }
            // Same manifest, same label table.
            (_, worker) => (0..worker.labels().len() as u32).map(RouteId).collect(),
        }
    }
}

#[cfg(test)]
mod tests;
