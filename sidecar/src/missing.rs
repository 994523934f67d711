//! Missing pages: the normalised path of each 404 (normalised as routes are: query dropped,
//! escapes decoded, slashes merged, dot segments resolved, `/index.html` and a trailing slash
//! dropped), in a bounded table of labels (the first `--max-missing` distinct paths, then
//! `other`), and where the request came from: a 404 linked from the site itself is a broken
//! internal link.

#[cfg(test)]
mod tests;

use contract::route::canonical_page;

use crate::referrer::Referral;
use crate::route::{Labels, OTHER_ID, OpenRoutes, RouteId, normalise};

/// Default number of missing paths kept as labels.
pub const DEFAULT_MAX_MISSING: usize = 50;

/// Where a 404 came from, as the `referer` label of `touchline_http_not_found_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// No referer: typed, bookmarked, or a bot guessing.
    None,
    /// A link on the site itself: a broken internal link.
    Internal,
    /// A link on another site.
    External,
}

impl Source {
    /// Every source, in index order.
    pub const ALL: [Source; 3] = [Source::None, Source::Internal, Source::External];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::None => "none",
            Source::Internal => "internal",
            Source::External => "external",
        }
    }

    /// The source whose label is `s`.
    pub fn from_label(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// The source of a classified referer.
    pub fn of(referral: Referral) -> Source {
        match referral {
            Referral::None => Source::None,
            Referral::Internal => Source::Internal,
            Referral::External(_) => Source::External,
        }
    }
}

/// Labels of missing paths, bounded.
#[derive(Debug, Clone)]
pub struct Missing {
    pages: OpenRoutes,
    decoded: Vec<u8>,
    path: Vec<u8>,
}

impl Default for Missing {
    fn default() -> Self {
        Missing::new(DEFAULT_MAX_MISSING)
    }
}

impl Missing {
    /// Room for `max` paths besides `other`.
    pub fn new(max: usize) -> Missing {
        Missing {
            pages: OpenRoutes::new(max),
            decoded: Vec::new(),
            path: Vec::new(),
        }
    }

    /// The id of a missing request target's normalised path (`other` if it is not a path or
    /// there is no room).
    pub fn page(&mut self, target: &[u8]) -> RouteId {
        if !normalise(target, &mut self.decoded, &mut self.path) {
            return OTHER_ID;
        }
        self.pages.route(canonical_page(&self.path))
    }

    /// The label table.
    pub fn labels(&self) -> &Labels {
        self.pages.labels()
    }

    /// The id of a label read back from a checkpoint.
    pub fn id_for_label(&mut self, label: &str) -> RouteId {
        self.pages.id_for_label(label)
    }

    /// A table for a parallel worker (see [`OpenRoutes::for_worker`]).
    pub fn for_worker(&self, first: bool) -> Missing {
        Missing {
            pages: self.pages.for_worker(first),
            decoded: Vec::new(),
            path: Vec::new(),
        }
    }

    /// See [`OpenRoutes::absorbable`].
    pub fn absorbable(&self, first: bool) -> bool {
        self.pages.absorbable(first)
    }

    /// See [`OpenRoutes::absorb`].
    pub fn absorb(&mut self, worker: &Missing) -> Vec<RouteId> {
        self.pages.absorb(&worker.pages)
    }
}
