//! Counting: a plain [`Counts`] value that parsed, routed lines are added to, that merges with
//! another one, and that converts to and from the label-keyed [`CountsSnapshot`] of a
//! checkpoint. Plain integers, no atomics or label hashing per line, which is what makes replay
//! fast. Nothing here reads a file, a clock or a label string on the per-line path.

mod hist;
mod loss;
mod snapshot;

use crate::client::Client;
use crate::hash::FastMap;
use crate::missing::Source;
use crate::parse::{LogLine, Malformed, Method, Status};
use crate::route::{Labels, RouteId};

pub use hist::{BUCKETS_US, BucketCountMismatch, Hist};
pub use loss::{LossReason, Losses};
pub use snapshot::{CountsSnapshot, NotFoundCount, PathCounts, RequestCount, RestoreError};

/// The `outcome` label of a parsed line.
pub const PARSED: &str = "parsed";

/// One `touchline_http_requests_total` series: route, client class, method and status packed
/// in a word (32, 8, 8 and 16 bits), so counting a line hashes one integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeriesKey(u64);

/// Status bits of an invalid status.
const INVALID_STATUS: u64 = 0xFFFF;

impl SeriesKey {
    /// The series of these labels.
    #[inline]
    pub fn new(route: RouteId, client: Client, method: Method, status: Status) -> SeriesKey {
        let status = match status {
            Status::Code(c) => u64::from(c),
            Status::Invalid => INVALID_STATUS,
        };
        SeriesKey(
            (u64::from(route.0) << 32) | ((client as u64) << 24) | ((method as u64) << 16) | status,
        )
    }

    /// The client class.
    pub fn client(self) -> Client {
        Client::ALL
            .get(((self.0 >> 24) & 0xFF) as usize)
            .copied()
            .unwrap_or(Client::Other)
    }

    /// The route.
    pub fn route(self) -> RouteId {
        RouteId((self.0 >> 32) as u32)
    }

    /// The method.
    pub fn method(self) -> Method {
        Method::ALL
            .get(((self.0 >> 16) & 0xFF) as usize)
            .copied()
            .unwrap_or(Method::Other)
    }

    /// The status.
    pub fn status(self) -> Status {
        match self.0 & 0xFFFF {
            INVALID_STATUS => Status::Invalid,
            c => Status::Code(c as u16),
        }
    }

    /// The same method and status on another route.
    pub fn on(self, route: RouteId) -> SeriesKey {
        SeriesKey((self.0 & 0xFFFF_FFFF) | (u64::from(route.0) << 32))
    }
}

/// Bytes and request times of one route.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathStats {
    /// Whether the route's byte counter is exposed (it has had a request, or is a manifest
    /// route).
    pub seen: bool,
    /// Response body bytes.
    pub bytes: u64,
    /// Request times.
    pub hist: Hist,
}

impl PathStats {
    /// Adds another route's stats to these.
    fn add(&mut self, other: &PathStats) {
        self.seen |= other.seen;
        self.bytes += other.bytes;
        self.hist.add(&other.hist);
    }
}

/// Lines by outcome: `parsed`, then each [`Malformed`] reason in [`Malformed::ALL`] order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcomes([u64; 1 + Malformed::ALL.len()]);

impl Outcomes {
    /// Where a line with this outcome (`None`: parsed) is counted.
    fn index(outcome: Option<Malformed>) -> usize {
        // Malformed::ALL lists the reasons in declaration order (checked in the tests).
        outcome.map_or(0, |m| 1 + m as usize)
    }

    /// The outcome of a label.
    fn from_label(label: &str) -> Option<Option<Malformed>> {
        match label {
            PARSED => Some(None),
            _ => Malformed::from_label(label).map(Some),
        }
    }

    /// Counts `n` lines with this outcome.
    #[inline]
    fn add(&mut self, outcome: Option<Malformed>, n: u64) {
        self.0[Outcomes::index(outcome)] += n;
    }

    /// Adds the counts of another.
    fn add_all(&mut self, other: &Outcomes) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }

    /// Every outcome label with its count, `parsed` first.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        std::iter::once(PARSED)
            .chain(Malformed::ALL.iter().map(|m| m.as_str()))
            .zip(self.0)
    }

    /// Lines of every outcome.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

/// The later of two optional timestamps, for every place that combines them (a line, a merge,
/// a restore). `None` orders before every `Some`, so `Option`'s own `max` is exactly that.
fn max_ts(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    a.max(b)
}

/// Every counter value, by route id.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    requests: FastMap<SeriesKey, u64>,
    paths: Vec<PathStats>,
    lines: Outcomes,
    bytes_read: u64,
    rotations: u64,
    losses: Losses,
    last_ts: Option<i64>,
    /// Referrals by referring host id.
    referrals: Vec<u64>,
    /// 404s by missing path id, then [`Source`].
    not_found: Vec<[u64; 3]>,
}

impl Counts {
    /// Empty counts in which each of `routes` has a GET/200 series (at zero) and a byte
    /// counter from the start.
    pub fn with_routes(routes: &[RouteId]) -> Counts {
        let mut counts = Counts::default();
        for route in routes {
            counts.add_requests(
                SeriesKey::new(*route, Client::Human, Method::Get, Status::Code(200)),
                0,
            );
            counts.path_mut(*route).seen = true;
        }
        counts
    }

    fn path_mut(&mut self, route: RouteId) -> &mut PathStats {
        let i = route.0 as usize;
        if self.paths.len() <= i {
            self.paths.resize_with(i + 1, PathStats::default);
        }
        &mut self.paths[i]
    }

    #[inline]
    fn add_requests(&mut self, key: SeriesKey, n: u64) {
        *self.requests.entry(key).or_insert(0) += n;
    }

    /// Counts one parsed line, whose request went to `route` with `method` from `client`.
    #[inline]
    pub fn add_line(&mut self, route: RouteId, client: Client, method: Method, line: &LogLine<'_>) {
        self.lines.add(None, 1);
        self.add_requests(SeriesKey::new(route, client, method, line.status), 1);
        let stats = self.path_mut(route);
        stats.seen = true;
        stats.bytes += line.body_bytes;
        if let Some(t) = line.request_time {
            stats
                .hist
                .observe(u64::try_from(t.as_micros()).unwrap_or(u64::MAX));
        }
        self.last_ts = max_ts(self.last_ts, Some(line.timestamp));
    }

    /// Counts a request referred by the host with this id.
    #[inline]
    pub fn add_referral(&mut self, host: RouteId) {
        *self.referral_mut(host) += 1;
    }

    fn referral_mut(&mut self, host: RouteId) -> &mut u64 {
        let i = host.0 as usize;
        if self.referrals.len() <= i {
            self.referrals.resize(i + 1, 0);
        }
        &mut self.referrals[i]
    }

    /// Counts a 404 for the missing path with this id, from `source`.
    #[inline]
    pub fn add_not_found(&mut self, page: RouteId, source: Source) {
        self.not_found_mut(page)[source as usize] += 1;
    }

    fn not_found_mut(&mut self, page: RouteId) -> &mut [u64; 3] {
        let i = page.0 as usize;
        if self.not_found.len() <= i {
            self.not_found.resize(i + 1, [0; 3]);
        }
        &mut self.not_found[i]
    }

    /// 404s by missing path id and source, zeros left out.
    pub fn not_found(&self) -> impl Iterator<Item = (RouteId, Source, u64)> + '_ {
        self.not_found.iter().enumerate().flat_map(|(i, by)| {
            Source::ALL
                .into_iter()
                .zip(*by)
                .filter(|(_, n)| *n > 0)
                .map(move |(s, n)| (RouteId(i as u32), s, n))
        })
    }

    /// Referrals by host id (index), zeros left out.
    pub fn referrals(&self) -> impl Iterator<Item = (RouteId, u64)> + '_ {
        self.referrals
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (RouteId(i as u32), *n))
    }

    /// Counts a line that is not a log line.
    pub fn add_malformed(&mut self, why: Malformed) {
        self.lines.add(Some(why), 1);
    }

    /// Adds bytes the reader has consumed.
    pub fn add_bytes_read(&mut self, n: u64) {
        self.bytes_read += n;
    }

    /// Counts a log rotation.
    pub fn add_rotation(&mut self) {
        self.rotations += 1;
    }

    /// Counts a file in which lines were lost.
    pub fn add_loss(&mut self, why: LossReason) {
        self.losses.add(why);
    }

    /// Files in which lines were lost, by reason.
    pub fn losses(&self) -> &Losses {
        &self.losses
    }

    /// Adds `other`'s counts to these, its route ids translated by `id`, its referring host
    /// ids by `host` and its missing path ids by `page`.
    pub fn merge(
        &mut self,
        other: Counts,
        id: impl Fn(RouteId) -> RouteId,
        host: impl Fn(RouteId) -> RouteId,
        page: impl Fn(RouteId) -> RouteId,
    ) {
        for (p, source, n) in other.not_found() {
            self.not_found_mut(page(p))[source as usize] += n;
        }
        for (h, n) in other.referrals() {
            *self.referral_mut(host(h)) += n;
        }
        for (key, n) in other.requests {
            self.add_requests(key.on(id(key.route())), n);
        }
        for (i, stats) in other.paths.iter().enumerate() {
            if stats.seen {
                self.path_mut(id(RouteId(i as u32))).add(stats);
            }
        }
        self.lines.add_all(&other.lines);
        self.bytes_read += other.bytes_read;
        self.rotations += other.rotations;
        self.losses.add_all(&other.losses);
        self.last_ts = max_ts(self.last_ts, other.last_ts);
    }

    /// Every request series with its count, in no particular order.
    pub fn requests(&self) -> impl Iterator<Item = (SeriesKey, u64)> + '_ {
        self.requests.iter().map(|(k, n)| (*k, *n))
    }

    /// The stats of every route that has them exposed, in route id order.
    pub fn paths(&self) -> impl Iterator<Item = (RouteId, &PathStats)> {
        self.paths
            .iter()
            .enumerate()
            .filter(|(_, p)| p.seen)
            .map(|(i, p)| (RouteId(i as u32), p))
    }

    /// Lines by outcome.
    pub fn lines(&self) -> &Outcomes {
        &self.lines
    }

    /// Bytes of log read.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Log rotations seen.
    pub fn rotations(&self) -> u64 {
        self.rotations
    }

    /// Timestamp of the latest line, in Unix seconds.
    pub fn last_timestamp(&self) -> Option<i64> {
        self.last_ts
    }

    /// Every counter value with its labels as strings, for a checkpoint.
    pub fn snapshot(&self, labels: &Labels, hosts: &Labels, pages: &Labels) -> CountsSnapshot {
        let mut requests: Vec<RequestCount> = self
            .requests()
            .map(|(key, count)| RequestCount {
                path: labels.get(key.route()).to_owned(),
                method: key.method().as_str().to_owned(),
                status: key.status().label(),
                client: key.client().as_str().to_owned(),
                count,
            })
            .collect();
        requests.sort_by(|a, b| {
            (&a.path, &a.method, &a.status, &a.client)
                .cmp(&(&b.path, &b.method, &b.status, &b.client))
        });
        let paths = self
            .paths()
            .map(|(route, p)| PathCounts {
                path: labels.get(route).to_owned(),
                bytes: p.bytes,
                duration_buckets: p.hist.buckets().to_vec(),
                duration_count: p.hist.count(),
                duration_sum_us: p.hist.sum_us(),
            })
            .collect();
        CountsSnapshot {
            requests,
            paths,
            lines: self.lines.iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            bytes_read: self.bytes_read,
            rotations: self.rotations,
            losses: self.losses.snapshot(),
            last_line_timestamp: self.last_ts,
            referrals: self
                .referrals()
                .map(|(h, n)| (hosts.get(h).to_owned(), n))
                .collect(),
            not_found: self
                .not_found()
                .map(|(p, source, count)| NotFoundCount {
                    path: pages.get(p).to_owned(),
                    referer: source.as_str().to_owned(),
                    count,
                })
                .collect(),
            visitors: Default::default(),
        }
    }

    /// The counts of a checkpoint, each label given its id by `id_for` (requests first, then
    /// paths, in the checkpoint's order), each referring host its id by `host_for` and each
    /// missing path by `page_for`. [`Counts::merge`] then adds them to live counts.
    pub fn from_snapshot(
        snap: &CountsSnapshot,
        mut id_for: impl FnMut(&str) -> RouteId,
        mut host_for: impl FnMut(&str) -> RouteId,
        mut page_for: impl FnMut(&str) -> RouteId,
    ) -> Result<Counts, RestoreError> {
        let mut counts = Counts::default();
        for rc in &snap.requests {
            let method = Method::from_label(&rc.method)
                .ok_or_else(|| RestoreError::Method(rc.method.clone()))?;
            let status = Status::from_label(&rc.status)
                .ok_or_else(|| RestoreError::Status(rc.status.clone()))?;
            let client = Client::from_label(&rc.client)
                .ok_or_else(|| RestoreError::Client(rc.client.clone()))?;
            counts.add_requests(
                SeriesKey::new(id_for(&rc.path), client, method, status),
                rc.count,
            );
        }
        for pc in &snap.paths {
            let hist =
                Hist::from_parts(&pc.duration_buckets, pc.duration_count, pc.duration_sum_us)
                    .map_err(|e| RestoreError::Buckets {
                        path: pc.path.clone(),
                        found: e.found,
                        expected: BUCKETS_US.len(),
                    })?;
            let stats = PathStats {
                seen: true,
                bytes: pc.bytes,
                hist,
            };
            counts.path_mut(id_for(&pc.path)).add(&stats);
        }
        for (label, n) in &snap.lines {
            let outcome =
                Outcomes::from_label(label).ok_or_else(|| RestoreError::Outcome(label.clone()))?;
            counts.lines.add(outcome, *n);
        }
        counts.bytes_read = snap.bytes_read;
        counts.rotations = snap.rotations;
        counts.losses = Losses::from_snapshot(&snap.losses).map_err(RestoreError::Loss)?;
        counts.last_ts = snap.last_line_timestamp;
        for (host, n) in &snap.referrals {
            *counts.referral_mut(host_for(host)) += n;
        }
        for nf in &snap.not_found {
            let source = Source::from_label(&nf.referer)
                .ok_or_else(|| RestoreError::Referer(nf.referer.clone()))?;
            counts.not_found_mut(page_for(&nf.path))[source as usize] += nf.count;
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests;
