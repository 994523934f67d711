//! Counter values keyed by label strings: the `counts` of a checkpoint. Labels rather than ids,
//! so that a checkpoint survives a changed manifest. The field order is the file format.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Every counter value, as a checkpoint stores it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountsSnapshot {
    /// `touchline_http_requests_total` series.
    pub requests: Vec<RequestCount>,
    /// Bytes and durations per path.
    pub paths: Vec<PathCounts>,
    /// `touchline_log_lines_total` by outcome.
    pub lines: BTreeMap<String, u64>,
    /// `touchline_log_bytes_read_total`.
    pub bytes_read: u64,
    /// `touchline_log_rotations_total`.
    pub rotations: u64,
    /// `touchline_log_losses_total` by reason (absent before checkpoint version 2).
    #[serde(default)]
    pub losses: BTreeMap<String, u64>,
    /// `touchline_log_last_line_timestamp_seconds`.
    pub last_line_timestamp: Option<i64>,
    /// `touchline_http_referrals_total` by host (absent from checkpoints of before it).
    #[serde(default)]
    pub referrals: BTreeMap<String, u64>,
    /// `touchline_http_not_found_total` (absent from checkpoints of before it).
    #[serde(default)]
    pub not_found: Vec<NotFoundCount>,
    /// Unique visitors: the held days' keyed hashes and past days' totals (absent from
    /// checkpoints of before them).
    #[serde(default)]
    pub visitors: crate::visitors::VisitorsSnapshot,
}

/// 404s of one missing path from one kind of referer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotFoundCount {
    /// Missing path label.
    pub path: String,
    /// `none`, `internal` or `external`.
    pub referer: String,
    /// 404s.
    pub count: u64,
}

/// One request series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestCount {
    /// Route label.
    pub path: String,
    /// Method label.
    pub method: String,
    /// Status label.
    pub status: String,
    /// Client class label. A checkpoint written before client classes has none: its requests
    /// are restored as `other`, since nothing says who sent them.
    #[serde(default = "unclassified")]
    pub client: String,
    /// Requests.
    pub count: u64,
}

fn unclassified() -> String {
    crate::client::Client::Other.as_str().to_owned()
}

/// Per-path bytes and latency histogram.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathCounts {
    /// Route label.
    pub path: String,
    /// Response body bytes.
    pub bytes: u64,
    /// Non-cumulative counts per [`super::BUCKETS_US`] bucket.
    pub duration_buckets: Vec<u64>,
    /// Observations.
    pub duration_count: u64,
    /// Sum of observations in microseconds.
    pub duration_sum_us: u64,
}

/// A checkpoint's counters could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RestoreError {
    /// A request series with a method label this program does not give.
    #[error("restoring counters: unknown method {0:?}")]
    Method(String),
    /// A request series with a status label this program does not give.
    #[error("restoring counters: unknown status {0:?}")]
    Status(String),
    /// A request series with a client label this program does not give.
    #[error("restoring counters: unknown client class {0:?}")]
    Client(String),
    /// A 404 count with a referer label this program does not give.
    #[error("restoring counters: unknown referer kind {0:?}")]
    Referer(String),
    /// A line count with an outcome label this program does not give.
    #[error("restoring counters: unknown outcome {0:?}")]
    Outcome(String),
    /// A loss count with a reason label this program does not give.
    #[error("restoring counters: unknown loss reason {0:?}")]
    Loss(String),
    /// Visitor sets that cannot be read back.
    #[error(transparent)]
    Visitors(#[from] crate::visitors::VisitorsRestoreError),
    /// A path whose histogram has the wrong number of buckets.
    #[error("restoring counters: path {path:?} has {found} duration buckets, expected {expected}")]
    Buckets {
        /// The path label.
        path: String,
        /// Buckets found.
        found: usize,
        /// [`super::BUCKETS_US`]'s length.
        expected: usize,
    },
}
