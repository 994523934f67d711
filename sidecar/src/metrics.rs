//! Counts parsed lines per route, method and status, and exposes them as Prometheus metric
//! families. Counting happens in plain integers (no atomics or label hashing per line), which
//! is what makes replay fast, and the counts serialise with the file offsets for exact restarts.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use prometheus::core::{Collector, Desc};
use prometheus::proto::{self, MetricFamily, MetricType};
use serde::{Deserialize, Serialize};

use crate::lines::LineEvent;
use crate::parse::{LineParser, Malformed, Method, Status};
use crate::route::{OTHER_ID, RouteId, Router};

/// Histogram upper bounds in microseconds: 1 ms to 10 s, suited to a static site.
pub const BUCKETS_US: [u64; 13] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

const REQUESTS: &str = "touchline_http_requests_total";
const RESPONSE_BYTES: &str = "touchline_http_response_bytes_total";
const DURATION: &str = "touchline_http_request_duration_seconds";
const LINES: &str = "touchline_log_lines_total";
const BYTES_READ: &str = "touchline_log_bytes_read_total";
const ROTATIONS: &str = "touchline_log_rotations_total";
const LAST_TS: &str = "touchline_log_last_line_timestamp_seconds";

/// `outcome` label of a parsed line.
const PARSED: &str = "parsed";

type KeyMap = crate::hash::FastMap<u64, u64>;

/// Latency histogram of one path, with non-cumulative buckets.
#[derive(Debug, Clone, Default)]
struct Hist {
    buckets: [u64; BUCKETS_US.len()],
    count: u64,
    sum_us: u64,
}

#[derive(Debug, Clone, Default)]
struct PathStats {
    /// Whether the path's byte counter is exposed (it has had a request, or is a manifest route).
    seen: bool,
    bytes: u64,
    hist: Hist,
}

/// All counter values, plus the router that gives them their labels.
#[derive(Debug)]
pub struct Aggregator {
    router: Router,
    parser: LineParser,
    requests: KeyMap,
    paths: Vec<PathStats>,
    /// Index 0 is `parsed`, then [`Malformed::ALL`] in order.
    lines: [u64; 1 + Malformed::ALL.len()],
    bytes_read: u64,
    rotations: u64,
    last_ts: Option<i64>,
}

fn pack(route: RouteId, method: Method, status: Status) -> u64 {
    let status = match status {
        Status::Code(c) => u64::from(c),
        Status::Invalid => 0xFFFF,
    };
    (u64::from(route.0) << 32) | ((method as u64) << 16) | status
}

fn unpack(key: u64) -> (RouteId, Method, Status) {
    let route = RouteId((key >> 32) as u32);
    let method = Method::ALL
        .get(((key >> 16) & 0xFFFF) as usize)
        .copied()
        .unwrap_or(Method::Other);
    let status = match key & 0xFFFF {
        0xFFFF => Status::Invalid,
        c => Status::Code(c as u16),
    };
    (route, method, status)
}

fn malformed_index(m: Malformed) -> usize {
    1 + Malformed::ALL.iter().position(|x| *x == m).unwrap_or(0)
}

impl Aggregator {
    /// Empty counts; a manifest router's GET/200 series start at zero.
    pub fn new(router: Router) -> Aggregator {
        let mut agg = Aggregator {
            router,
            parser: LineParser::default(),
            requests: KeyMap::default(),
            paths: Vec::new(),
            lines: [0; 1 + Malformed::ALL.len()],
            bytes_read: 0,
            rotations: 0,
            last_ts: None,
        };
        for route in agg.router.initial_routes().to_vec() {
            agg.requests
                .entry(pack(route, Method::Get, Status::Code(200)))
                .or_insert(0);
            agg.path_mut(route).seen = true;
        }
        agg
    }

    fn path_mut(&mut self, route: RouteId) -> &mut PathStats {
        let i = route.0 as usize;
        if self.paths.len() <= i {
            self.paths.resize_with(i + 1, PathStats::default);
        }
        &mut self.paths[i]
    }

    /// Counts one event from a [`crate::lines::LineSplitter`].
    pub fn record(&mut self, event: LineEvent<'_>) {
        match event {
            LineEvent::Line(line) => self.record_line(line),
            LineEvent::TooLong => self.lines[malformed_index(Malformed::TooLong)] += 1,
        }
    }

    /// Parses and counts one line.
    pub fn record_line(&mut self, line: &[u8]) {
        let parsed = match self.parser.parse(line) {
            Ok(l) => l,
            Err(m) => {
                self.lines[malformed_index(m)] += 1;
                return;
            }
        };
        self.lines[0] += 1;
        let (route, method) = match parsed.request_line() {
            Some(r) => (self.router.route(r.target), Method::from_bytes(r.method)),
            None => (OTHER_ID, Method::Other),
        };
        *self
            .requests
            .entry(pack(route, method, parsed.status))
            .or_insert(0) += 1;
        let stats = self.path_mut(route);
        stats.seen = true;
        stats.bytes += parsed.body_bytes;
        if let Some(t) = parsed.request_time {
            let us = u64::try_from(t.as_micros()).unwrap_or(u64::MAX);
            let h = &mut stats.hist;
            if let Some(b) = BUCKETS_US.iter().position(|le| us <= *le) {
                h.buckets[b] += 1;
            }
            h.count += 1;
            h.sum_us = h.sum_us.saturating_add(us);
        }
        self.last_ts = Some(
            self.last_ts
                .map_or(parsed.timestamp, |t| t.max(parsed.timestamp)),
        );
    }

    /// Empty counts for a worker that counts one byte range of a file in parallel with others
    /// (`first`: the range at the file's start, which continues from these counts' routes).
    pub fn worker(&self, first: bool) -> Aggregator {
        Aggregator::new(self.router.for_worker(first))
    }

    /// Whether [`Aggregator::merge`] of this worker gives exactly the counts a sequential pass
    /// would have; if not, the file must be counted again sequentially.
    pub fn mergeable(&self, first: bool) -> bool {
        self.router.absorbable(first)
    }

    /// Adds a worker's counts, as if its range had been counted here after everything so far.
    /// Workers must be merged in file order, so paths get labels in the order they first occur.
    pub fn merge(&mut self, worker: Aggregator) {
        let ids = self.router.absorb(&worker.router);
        let id = |r: RouteId| ids.get(r.0 as usize).copied().unwrap_or(OTHER_ID);
        for (k, v) in worker.requests {
            let (r, m, s) = unpack(k);
            *self.requests.entry(pack(id(r), m, s)).or_insert(0) += v;
        }
        for (i, p) in worker.paths.into_iter().enumerate() {
            if !p.seen {
                continue;
            }
            let stats = self.path_mut(id(RouteId(i as u32)));
            stats.seen = true;
            stats.bytes += p.bytes;
            let h = &mut stats.hist;
            for (b, v) in h.buckets.iter_mut().zip(p.hist.buckets) {
                *b += v;
            }
            h.count += p.hist.count;
            // Saturating like record_line, so split sums saturate exactly where one sum would.
            h.sum_us = h.sum_us.saturating_add(p.hist.sum_us);
        }
        for (a, b) in self.lines.iter_mut().zip(worker.lines) {
            *a += b;
        }
        self.bytes_read += worker.bytes_read;
        self.rotations += worker.rotations;
        self.last_ts = match (self.last_ts, worker.last_ts) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// Adds bytes the reader has consumed.
    pub fn add_bytes_read(&mut self, n: u64) {
        self.bytes_read += n;
    }

    /// Counts a log rotation.
    pub fn add_rotation(&mut self) {
        self.rotations += 1;
    }

    /// Lines counted so far, parsed or not.
    pub fn total_lines(&self) -> u64 {
        self.lines.iter().sum()
    }

    /// The request count of one series, by labels (for tests and diagnostics).
    pub fn requests(&self, path: &str, method: Method, status: Status) -> u64 {
        self.requests
            .iter()
            .filter(|(k, _)| {
                let (r, m, s) = unpack(**k);
                self.router.label(r) == path && m == method && s == status
            })
            .map(|(_, v)| *v)
            .sum()
    }

    /// Every counter value with labels as strings, for a checkpoint.
    pub fn snapshot(&self) -> CountsSnapshot {
        let mut requests: Vec<RequestCount> = self
            .requests
            .iter()
            .map(|(k, count)| {
                let (r, m, s) = unpack(*k);
                RequestCount {
                    path: self.router.label(r).to_owned(),
                    method: m.as_str().to_owned(),
                    status: s.label(),
                    count: *count,
                }
            })
            .collect();
        requests
            .sort_by(|a, b| (&a.path, &a.method, &a.status).cmp(&(&b.path, &b.method, &b.status)));
        let mut paths = Vec::new();
        for (i, p) in self.paths.iter().enumerate() {
            if p.seen {
                paths.push(PathCounts {
                    path: self.router.label(RouteId(i as u32)).to_owned(),
                    bytes: p.bytes,
                    duration_buckets: p.hist.buckets.to_vec(),
                    duration_count: p.hist.count,
                    duration_sum_us: p.hist.sum_us,
                });
            }
        }
        let lines = std::iter::once(PARSED)
            .chain(Malformed::ALL.iter().map(|m| m.as_str()))
            .zip(self.lines)
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        CountsSnapshot {
            requests,
            paths,
            lines,
            bytes_read: self.bytes_read,
            rotations: self.rotations,
            last_line_timestamp: self.last_ts,
        }
    }

    /// Adds a checkpoint's counts to these (normally empty) ones.
    pub fn restore(&mut self, snap: &CountsSnapshot) -> Result<(), RestoreError> {
        for rc in &snap.requests {
            let method = Method::from_label(&rc.method)
                .ok_or_else(|| RestoreError(format!("unknown method {:?}", rc.method)))?;
            let status = Status::from_label(&rc.status)
                .ok_or_else(|| RestoreError(format!("unknown status {:?}", rc.status)))?;
            let route = self.router.id_for_label(&rc.path);
            *self
                .requests
                .entry(pack(route, method, status))
                .or_insert(0) += rc.count;
        }
        for pc in &snap.paths {
            if pc.duration_buckets.len() != BUCKETS_US.len() {
                return Err(RestoreError(format!(
                    "path {:?} has {} duration buckets, expected {}",
                    pc.path,
                    pc.duration_buckets.len(),
                    BUCKETS_US.len()
                )));
            }
            let route = self.router.id_for_label(&pc.path);
            let stats = self.path_mut(route);
            stats.seen = true;
            stats.bytes += pc.bytes;
            for (b, v) in stats.hist.buckets.iter_mut().zip(&pc.duration_buckets) {
                *b += v;
            }
            stats.hist.count += pc.duration_count;
            stats.hist.sum_us += pc.duration_sum_us;
        }
        for (outcome, v) in &snap.lines {
            let i = if outcome == PARSED {
                0
            } else {
                malformed_index(
                    Malformed::from_label(outcome)
                        .ok_or_else(|| RestoreError(format!("unknown outcome {outcome:?}")))?,
                )
            };
            self.lines[i] += v;
        }
        self.bytes_read += snap.bytes_read;
        self.rotations += snap.rotations;
        self.last_ts = match (self.last_ts, snap.last_line_timestamp) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        Ok(())
    }

    /// The metric families of all counters, as a scrape exposes them.
    pub fn families(&self) -> Vec<MetricFamily> {
        let mut out = Vec::new();

        let mut requests = Vec::new();
        for (k, v) in &self.requests {
            let (r, m, s) = unpack(*k);
            requests.push(counter(
                &[
                    ("path", self.router.label(r)),
                    ("method", m.as_str()),
                    ("status", &s.label()),
                ],
                *v as f64,
            ));
        }
        out.push(family(
            REQUESTS,
            HELP_REQUESTS,
            MetricType::COUNTER,
            requests,
        ));

        let mut bytes = Vec::new();
        let mut durations = Vec::new();
        for (i, p) in self.paths.iter().enumerate() {
            if !p.seen {
                continue;
            }
            let label = self.router.label(RouteId(i as u32));
            bytes.push(counter(&[("path", label)], p.bytes as f64));
            if p.hist.count > 0 {
                durations.push(histogram(label, &p.hist));
            }
        }
        out.push(family(
            RESPONSE_BYTES,
            HELP_RESPONSE_BYTES,
            MetricType::COUNTER,
            bytes,
        ));
        out.push(family(
            DURATION,
            HELP_DURATION,
            MetricType::HISTOGRAM,
            durations,
        ));

        let lines = std::iter::once(PARSED)
            .chain(Malformed::ALL.iter().map(|m| m.as_str()))
            .zip(self.lines)
            .map(|(outcome, v)| counter(&[("outcome", outcome)], v as f64))
            .collect();
        out.push(family(LINES, HELP_LINES, MetricType::COUNTER, lines));
        out.push(family(
            BYTES_READ,
            HELP_BYTES_READ,
            MetricType::COUNTER,
            vec![counter(&[], self.bytes_read as f64)],
        ));
        out.push(family(
            ROTATIONS,
            HELP_ROTATIONS,
            MetricType::COUNTER,
            vec![counter(&[], self.rotations as f64)],
        ));
        let ts = match self.last_ts {
            Some(t) => vec![gauge(t as f64)],
            None => Vec::new(),
        };
        out.push(family(LAST_TS, HELP_LAST_TS, MetricType::GAUGE, ts));
        // An empty family would be printed as a bare HELP/TYPE pair, which promtool accepts but
        // tells nothing; drop it until it has a series.
        out.retain(|f| !f.get_metric().is_empty());
        out
    }
}

const HELP_REQUESTS: &str = "HTTP requests logged by nginx, by route, method and status.";
const HELP_RESPONSE_BYTES: &str = "Response body bytes sent by nginx, by route.";
const HELP_DURATION: &str = "nginx request processing time ($request_time), by route.";
const HELP_LINES: &str = "Access log lines read, by outcome (parsed or why malformed).";
const HELP_BYTES_READ: &str = "Bytes of access log read.";
const HELP_ROTATIONS: &str = "Access log rotations seen (rename, delete or truncation).";
const HELP_LAST_TS: &str = "Timestamp of the latest access log line read, in Unix seconds.";

fn labels(pairs: &[(&str, &str)]) -> Vec<proto::LabelPair> {
    pairs
        .iter()
        .map(|(k, v)| {
            let mut lp = proto::LabelPair::default();
            lp.set_name((*k).to_owned());
            lp.set_value((*v).to_owned());
            lp
        })
        .collect()
}

fn counter(pairs: &[(&str, &str)], v: f64) -> proto::Metric {
    let mut c = proto::Counter::default();
    c.set_value(v);
    let mut m = proto::Metric::default();
    m.set_label(labels(pairs));
    m.set_counter(c);
    m
}

fn gauge(v: f64) -> proto::Metric {
    let mut g = proto::Gauge::default();
    g.set_value(v);
    let mut m = proto::Metric::default();
    m.set_gauge(g);
    m
}

fn histogram(path: &str, h: &Hist) -> proto::Metric {
    let mut cumulative = 0;
    let buckets = BUCKETS_US
        .iter()
        .zip(h.buckets)
        .map(|(le, n)| {
            cumulative += n;
            let mut b = proto::Bucket::default();
            b.set_upper_bound(*le as f64 / 1e6);
            b.set_cumulative_count(cumulative);
            b
        })
        .collect();
    let mut ph = proto::Histogram::default();
    ph.set_sample_count(h.count);
    ph.set_sample_sum(h.sum_us as f64 / 1e6);
    ph.set_bucket(buckets);
    let mut m = proto::Metric::default();
    m.set_label(labels(&[("path", path)]));
    m.set_histogram(ph);
    m
}

fn family(name: &str, help: &str, t: MetricType, metrics: Vec<proto::Metric>) -> MetricFamily {
    let mut f = MetricFamily::default();
    f.set_name(name.to_owned());
    f.set_help(help.to_owned());
    f.set_field_type(t);
    f.set_metric(metrics);
    f
}

/// A checkpoint's counters could not be read back.
#[derive(Debug, thiserror::Error)]
#[error("restoring counters: {0}")]
pub struct RestoreError(String);

/// Counter values keyed by label strings, so that a checkpoint survives a changed manifest.
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
    /// `touchline_log_last_line_timestamp_seconds`.
    pub last_line_timestamp: Option<i64>,
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
    /// Requests.
    pub count: u64,
}

/// Per-path bytes and latency histogram.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathCounts {
    /// Route label.
    pub path: String,
    /// Response body bytes.
    pub bytes: u64,
    /// Non-cumulative counts per [`BUCKETS_US`] bucket.
    pub duration_buckets: Vec<u64>,
    /// Observations.
    pub duration_count: u64,
    /// Sum of observations in microseconds.
    pub duration_sum_us: u64,
}

/// Exposes a shared [`Aggregator`] to a Prometheus registry.
#[derive(Debug)]
pub struct AggregatorCollector {
    agg: Arc<Mutex<Aggregator>>,
    descs: Vec<Desc>,
}

impl AggregatorCollector {
    /// A collector reading `agg` at each scrape.
    pub fn new(agg: Arc<Mutex<Aggregator>>) -> prometheus::Result<AggregatorCollector> {
        let spec: [(&str, &str, &[&str]); 7] = [
            (REQUESTS, HELP_REQUESTS, &["path", "method", "status"]),
            (RESPONSE_BYTES, HELP_RESPONSE_BYTES, &["path"]),
            (DURATION, HELP_DURATION, &["path"]),
            (LINES, HELP_LINES, &["outcome"]),
            (BYTES_READ, HELP_BYTES_READ, &[]),
            (ROTATIONS, HELP_ROTATIONS, &[]),
            (LAST_TS, HELP_LAST_TS, &[]),
        ];
        let descs = spec
            .iter()
            .map(|(name, help, labels)| {
                Desc::new(
                    (*name).to_owned(),
                    (*help).to_owned(),
                    labels.iter().map(|l| (*l).to_owned()).collect(),
                    HashMap::new(),
                )
            })
            .collect::<prometheus::Result<_>>()?;
        Ok(AggregatorCollector { agg, descs })
    }
}

impl Collector for AggregatorCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        // A panic elsewhere while holding the lock leaves counts that are still the best we
        // have; keep serving them.
        let agg = self.agg.lock().unwrap_or_else(|e| e.into_inner());
        agg.families()
    }
}

/// Renders families in the text exposition format 0.0.4.
pub fn encode_text(families: &[MetricFamily]) -> prometheus::Result<String> {
    let mut out = String::new();
    prometheus::TextEncoder::new().encode_utf8(families, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests;
