//! The label table: each route id's `path` label value, and the id of each label.

use crate::hash::FastMap;

use super::{OTHER, RouteId};

/// Label values by route id, and route ids by label value, both in constant time, so that
/// loading a manifest or a checkpoint is linear in its routes.
#[derive(Debug, Clone)]
pub struct Labels {
    names: Vec<String>,
    ids: FastMap<String, RouteId>,
}

impl Default for Labels {
    fn default() -> Labels {
        let mut labels = Labels {
            names: Vec::new(),
            ids: FastMap::default(),
        };
        // First, so that it is `OTHER_ID` in every table.
        labels.insert(OTHER);
        labels
    }
}

impl Labels {
    /// The label of a route id; `other` for an id this table never gave out.
    pub fn get(&self, id: RouteId) -> &str {
        self.names.get(id.0 as usize).map_or(OTHER, String::as_str)
    }

    /// The id of a label, if it has one.
    pub fn id(&self, label: &str) -> Option<RouteId> {
        self.ids.get(label).copied()
    }

    /// The id of a label, giving it the next id if it has none; `true` when it is new.
    pub fn insert(&mut self, label: &str) -> (RouteId, bool) {
        if let Some(id) = self.id(label) {
            return (id, false);
        }
        let id = RouteId(self.names.len() as u32);
        self.names.push(label.to_owned());
        self.ids.insert(label.to_owned(), id);
        (id, true)
    }

    /// Labels in the table, `other` included.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Always false, since `other` is always there (clippy wants it beside `len`).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}
