//! The memo in front of routing: real traffic repeats a few targets, so most lines skip
//! normalisation and the route lookup.

use crate::hash::FastMap;

use super::normalise::{normalise, path_end};
use super::{MAX_LABEL_LEN, OTHER_ID, RouteId};

/// Most targets remembered.
const MEMO_MAX: usize = 4096;

/// Routes of recently seen raw targets (query stripped), and the buffers normalisation reuses.
/// Only valid for the routes it was filled from: whoever changes them out of routing clears it.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// Cleared when full, which bounds it.
    memo: FastMap<Box<[u8]>, RouteId>,
    path: Vec<u8>,
    decoded: Vec<u8>,
}

impl Targets {
    /// The route of a logged target: remembered, or `resolve` of its normalised path (`other`
    /// for a target that is not a path).
    #[inline]
    pub fn route(&mut self, target: &[u8], resolve: impl FnOnce(&[u8]) -> RouteId) -> RouteId {
        let key = &target[..path_end(target)];
        if let Some(id) = self.memo.get(key) {
            return *id;
        }
        let id = if normalise(target, &mut self.decoded, &mut self.path) {
            resolve(&self.path)
        } else {
            OTHER_ID
        };
        if key.len() <= MAX_LABEL_LEN {
            if self.memo.len() >= MEMO_MAX {
                self.memo.clear();
            }
            self.memo.insert(key.into(), id);
        }
        id
    }

    /// Forgets every remembered route.
    pub fn clear(&mut self) {
        self.memo.clear();
    }
}
