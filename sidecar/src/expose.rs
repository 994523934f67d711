//! Exposition: the Prometheus metric families of a [`Counts`] value, labelled by a [`Labels`]
//! table. Pure: the HTTP side is [`crate::server`], the registry glue [`collector`].

pub mod collector;
pub mod visitors;

use prometheus::proto::{self, MetricFamily, MetricType};

use crate::count::{BUCKETS_US, Counts, Hist};
use crate::route::Labels;

pub use collector::{TallyCollector, encode_text};

/// The label tables of a [`Counts`] value's ids.
#[derive(Debug, Clone, Copy)]
pub struct Tables<'a> {
    /// `path` of requests, bytes and durations.
    pub routes: &'a Labels,
    /// `host` of referrals.
    pub hosts: &'a Labels,
    /// `path` of 404s.
    pub pages: &'a Labels,
}

/// One metric family the sidecar exposes.
#[derive(Debug, Clone, Copy)]
pub struct Family {
    /// Metric name.
    pub name: &'static str,
    /// HELP text.
    pub help: &'static str,
    /// Its type.
    pub kind: MetricType,
    /// Label names of its series.
    pub labels: &'static [&'static str],
}

/// `touchline_http_requests_total`.
pub const REQUESTS: Family = Family {
    name: "touchline_http_requests_total",
    help: "HTTP requests logged by nginx, by route, method, status and client class.",
    kind: MetricType::COUNTER,
    labels: &["path", "method", "status", "client"],
};

/// `touchline_http_response_bytes_total`.
pub const RESPONSE_BYTES: Family = Family {
    name: "touchline_http_response_bytes_total",
    help: "Response body bytes sent by nginx, by route.",
    kind: MetricType::COUNTER,
    labels: &["path"],
};

/// `touchline_http_request_duration_seconds`.
pub const DURATION: Family = Family {
    name: "touchline_http_request_duration_seconds",
    help: "nginx request processing time ($request_time), by route.",
    kind: MetricType::HISTOGRAM,
    labels: &["path"],
};

/// `touchline_http_referrals_total`.
pub const REFERRALS: Family = Family {
    name: "touchline_http_referrals_total",
    help: "Requests referred by another site, by referring host (bounded; the rest are other).",
    kind: MetricType::COUNTER,
    labels: &["host"],
};

/// `touchline_http_not_found_total`.
pub const NOT_FOUND: Family = Family {
    name: "touchline_http_not_found_total",
    help: "404 responses by missing path (bounded; the rest are other) and referer (none, internal: a broken link on the site, external).",
    kind: MetricType::COUNTER,
    labels: &["path", "referer"],
};

/// `touchline_log_lines_total`.
pub const LINES: Family = Family {
    name: "touchline_log_lines_total",
    help: "Access log lines read, by outcome (parsed or why malformed).",
    kind: MetricType::COUNTER,
    labels: &["outcome"],
};

/// `touchline_log_bytes_read_total`.
pub const BYTES_READ: Family = Family {
    name: "touchline_log_bytes_read_total",
    help: "Bytes of access log read.",
    kind: MetricType::COUNTER,
    labels: &[],
};

/// `touchline_log_rotations_total`.
pub const ROTATIONS: Family = Family {
    name: "touchline_log_rotations_total",
    help: "Access log rotations seen (rename, delete or truncation).",
    kind: MetricType::COUNTER,
    labels: &[],
};

/// `touchline_log_losses_total`.
pub const LOSSES: Family = Family {
    name: "touchline_log_losses_total",
    help: "Access log files in which lines were lost, by reason (deleted before read to its end, truncated past what was read, or corrupt); each also logged as a WARN naming the file.",
    kind: MetricType::COUNTER,
    labels: &["reason"],
};

/// `touchline_log_last_line_timestamp_seconds`.
pub const LAST_TS: Family = Family {
    name: "touchline_log_last_line_timestamp_seconds",
    help: "Timestamp of the latest access log line read, in Unix seconds.",
    kind: MetricType::GAUGE,
    labels: &[],
};

/// Every family, in the order [`families`] and then [`visitors::families`] build them.
pub const ALL: [Family; 14] = [
    REQUESTS,
    RESPONSE_BYTES,
    DURATION,
    REFERRALS,
    NOT_FOUND,
    LINES,
    BYTES_READ,
    ROTATIONS,
    LOSSES,
    LAST_TS,
    visitors::ROUTE_VISITORS,
    visitors::SITE_VISITORS,
    visitors::DAY_START,
    visitors::UNCOUNTED,
];

/// The metric families of all counters, as a scrape exposes them. A family without series is
/// left out: it would be printed as a bare HELP/TYPE pair, which promtool accepts but tells
/// nothing.
pub fn families(counts: &Counts, tables: &Tables<'_>) -> Vec<MetricFamily> {
    let (labels, hosts, pages) = (tables.routes, tables.hosts, tables.pages);
    let requests = counts
        .requests()
        .map(|(key, n)| {
            let status = key.status().label();
            let pairs = [
                ("path", labels.get(key.route())),
                ("method", key.method().as_str()),
                ("status", status.as_str()),
                ("client", key.client().as_str()),
            ];
            counter(&pairs, n as f64)
        })
        .collect();
    let mut bytes = Vec::new();
    let mut durations = Vec::new();
    for (route, stats) in counts.paths() {
        let path = labels.get(route);
        bytes.push(counter(&[("path", path)], stats.bytes as f64));
        if stats.hist.count() > 0 {
            durations.push(histogram(path, &stats.hist));
        }
    }
    let referrals = counts
        .referrals()
        .map(|(h, n)| counter(&[("host", hosts.get(h))], n as f64))
        .collect();
    let not_found = counts
        .not_found()
        .map(|(p, source, n)| {
            counter(
                &[("path", pages.get(p)), ("referer", source.as_str())],
                n as f64,
            )
        })
        .collect();
    let lines = counts
        .lines()
        .iter()
        .map(|(outcome, n)| counter(&[("outcome", outcome)], n as f64))
        .collect();
    let losses = counts
        .losses()
        .iter()
        .map(|(why, n)| counter(&[("reason", why.as_str())], n as f64))
        .collect();
    let last_ts = counts.last_timestamp().map(|t| gauge(t as f64));
    let mut out = vec![
        family(REQUESTS, requests),
        family(RESPONSE_BYTES, bytes),
        family(DURATION, durations),
        family(REFERRALS, referrals),
        family(NOT_FOUND, not_found),
        family(LINES, lines),
        family(BYTES_READ, vec![counter(&[], counts.bytes_read() as f64)]),
        family(ROTATIONS, vec![counter(&[], counts.rotations() as f64)]),
        family(LOSSES, losses),
        family(LAST_TS, last_ts.into_iter().collect()),
    ];
    out.retain(|f| !f.get_metric().is_empty());
    out
}

fn label_pairs(pairs: &[(&str, &str)]) -> Vec<proto::LabelPair> {
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
    m.set_label(label_pairs(pairs));
    m.set_counter(c);
    m
}

fn gauge(v: f64) -> proto::Metric {
    labelled_gauge(&[], v)
}

fn labelled_gauge(pairs: &[(&str, &str)], v: f64) -> proto::Metric {
    let mut g = proto::Gauge::default();
    g.set_value(v);
    let mut m = proto::Metric::default();
    m.set_label(label_pairs(pairs));
    m.set_gauge(g);
    m
}

fn histogram(path: &str, h: &Hist) -> proto::Metric {
    let mut cumulative = 0;
    let buckets = BUCKETS_US
        .iter()
        .zip(h.buckets())
        .map(|(le, n)| {
            cumulative += n;
            let mut b = proto::Bucket::default();
            b.set_upper_bound(*le as f64 / 1e6);
            b.set_cumulative_count(cumulative);
            b
        })
        .collect();
    let mut ph = proto::Histogram::default();
    ph.set_sample_count(h.count());
    ph.set_sample_sum(h.sum_us() as f64 / 1e6);
    ph.set_bucket(buckets);
    let mut m = proto::Metric::default();
    m.set_label(label_pairs(&[("path", path)]));
    m.set_histogram(ph);
    m
}

fn family(f: Family, metrics: Vec<proto::Metric>) -> MetricFamily {
    let mut out = MetricFamily::default();
    out.set_name(f.name.to_owned());
    out.set_help(f.help.to_owned());
    out.set_field_type(f.kind);
    out.set_metric(metrics);
    out
}

#[cfg(test)]
mod tests;
