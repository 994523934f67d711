//! Visitors as a checkpoint stores them: per held day its key and hash sets (base64 of the
//! little-endian hashes, about 11 bytes a visitor instead of 20 as JSON numbers), route sets by
//! route label, and the totals of past days. Only keyed hashes, never an address.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::{Day, Key, Uncounted, Visitors};
use crate::route::RouteId;

/// Every visitor set and total, as a checkpoint stores them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitorsSnapshot {
    /// The held days (at most [`super::WINDOW_DAYS`]).
    #[serde(default)]
    pub days: Vec<DaySnapshot>,
    /// Site-wide totals of past days.
    #[serde(default)]
    pub history: Vec<DayTotals>,
    /// `touchline_visitors_uncounted_total` by reason.
    #[serde(default)]
    pub uncounted: BTreeMap<String, u64>,
}

/// One held day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaySnapshot {
    /// UTC day number (Unix seconds / 86400).
    pub day: i64,
    /// The day's hash key, base64.
    pub key: String,
    /// Site-wide visitor hashes, base64 of 8 little-endian bytes each.
    pub site: String,
    /// Visitor hashes by route.
    pub routes: Vec<RouteVisitors>,
}

/// The visitor hashes of one route on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteVisitors {
    /// Route label.
    pub path: String,
    /// Hashes, as [`DaySnapshot::site`].
    pub visitors: String,
}

/// Site-wide visitors of one past day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayTotals {
    /// UTC day number.
    pub day: i64,
    /// Human visitors.
    pub human: u64,
    /// Bot visitors.
    pub bot: u64,
}

/// A checkpoint's visitors could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VisitorsRestoreError {
    /// A key or hash set that is not base64 of the right length.
    #[error("restoring visitors of day {day}: {what} is not base64 of {unit}-byte values")]
    Encoding {
        /// The day number.
        day: i64,
        /// Which field.
        what: &'static str,
        /// Bytes per value.
        unit: usize,
    },
    /// An uncounted reason this program does not give.
    #[error("restoring visitors: unknown uncounted reason {0:?}")]
    Reason(String),
}

fn encode(set: &super::HashSet64) -> String {
    let mut bytes = Vec::with_capacity(set.len() * 8);
    for v in set.iter() {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    STANDARD.encode(bytes)
}

fn decode(s: &str, day: i64, what: &'static str) -> Result<Vec<u64>, VisitorsRestoreError> {
    let err = VisitorsRestoreError::Encoding { day, what, unit: 8 };
    let bytes = STANDARD.decode(s).map_err(|_| err.clone())?;
    if bytes.len() % 8 != 0 {
        return Err(err);
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            u64::from_le_bytes(w)
        })
        .collect())
}

fn decode_key(s: &str, day: i64) -> Result<Key, VisitorsRestoreError> {
    STANDARD
        .decode(s)
        .ok()
        .and_then(|b| Key::try_from(b.as_slice()).ok())
        .ok_or(VisitorsRestoreError::Encoding {
            day,
            what: "the key",
            unit: std::mem::size_of::<Key>(),
        })
}

impl Visitors {
    /// Every set and total with route labels as strings, for a checkpoint.
    pub fn snapshot(&self, labels: &crate::route::Labels) -> VisitorsSnapshot {
        VisitorsSnapshot {
            days: self
                .days
                .iter()
                .map(|(d, day)| DaySnapshot {
                    day: *d,
                    key: STANDARD.encode(day.key),
                    site: encode(&day.site),
                    routes: day
                        .routes
                        .iter()
                        .filter(|(_, rs)| !rs.set.is_empty())
                        .map(|(r, rs)| RouteVisitors {
                            path: labels.get(*r).to_owned(),
                            visitors: encode(&rs.set),
                        })
                        .collect(),
                })
                .collect(),
            history: self
                .history
                .iter()
                .map(|(d, [human, bot])| DayTotals {
                    day: *d,
                    human: *human,
                    bot: *bot,
                })
                .collect(),
            uncounted: self
                .uncounted()
                .map(|(u, n)| (u.as_str().to_owned(), n))
                .collect(),
        }
    }

    /// Adds a checkpoint's visitors to these (normally empty) ones, each route label given its
    /// id by `id_for`; nothing is added if the checkpoint is refused. A restored set is taken
    /// whole, even past the bounds of this run.
    pub fn restore(
        &mut self,
        snap: &VisitorsSnapshot,
        mut id_for: impl FnMut(&str) -> RouteId,
    ) -> Result<(), VisitorsRestoreError> {
        let mut restored = Visitors {
            keys: self.keys.clone(),
            ..Visitors::default()
        };
        for ds in &snap.days {
            let mut day = Day::new(decode_key(&ds.key, ds.day)?, self.max_site, self.max_route);
            for v in decode(&ds.site, ds.day, "the site's set")? {
                day.add_site(v, usize::MAX);
            }
            for rv in &ds.routes {
                let route = id_for(&rv.path);
                for v in decode(&rv.visitors, ds.day, "a route's set")? {
                    day.add_route(route, v, usize::MAX);
                }
            }
            restored.latest = restored.latest.max(Some(ds.day));
            restored.days.insert(ds.day, day);
        }
        for t in &snap.history {
            restored.history.insert(t.day, [t.human, t.bot]);
            restored.latest = restored.latest.max(Some(t.day));
        }
        for (label, n) in &snap.uncounted {
            let u = Uncounted::from_label(label)
                .ok_or_else(|| VisitorsRestoreError::Reason(label.clone()))?;
            restored.uncounted[u as usize] += n;
        }
        restored.earliest = restored.days.keys().next().copied();
        self.merge(restored, |r| r);
        Ok(())
    }
}
