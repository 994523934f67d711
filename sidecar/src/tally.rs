//! One stream's running tally: each line parsed, its target routed, and the result counted.
//! This is the seam between the stages; each stage's work is in its own module.

use crate::client::{Classifier, Client};
use crate::count::{Counts, CountsSnapshot, RestoreError};
use crate::lines::LineEvent;
use crate::missing::{Missing, Source};
use crate::parse::{LineParser, Malformed, Method, Status};
use crate::referrer::{Referral, Referrers};
use crate::route::{Labels, OTHER_ID, Router};
use crate::visitors::{Kind, VisitorArgs, Visitors};

/// Lines in, counts by route out: [`LineParser`] -> [`Router`] -> [`Counts`].
#[derive(Debug)]
pub struct Tally {
    parser: LineParser,
    router: Router,
    classifier: Classifier,
    referrers: Referrers,
    missing: Missing,
    visitors: Visitors,
    counts: Counts,
}

impl Tally {
    /// Empty counts; a manifest router's GET/200 series start at zero. Referring hosts have
    /// the default table (see [`Tally::with_referrers`]).
    pub fn new(router: Router) -> Tally {
        Tally::with_referrers(router, Referrers::default())
    }

    /// [`Tally::new`] with this table of referring hosts.
    pub fn with_referrers(router: Router, referrers: Referrers) -> Tally {
        Tally::with_tables(router, referrers, Missing::default())
    }

    /// [`Tally::new`] with these tables of referring hosts and missing paths.
    pub fn with_tables(router: Router, referrers: Referrers, missing: Missing) -> Tally {
        Tally {
            parser: LineParser::default(),
            classifier: Classifier::default(),
            referrers,
            missing,
            visitors: Visitors::default(),
            counts: Counts::with_routes(router.initial_routes()),
            router,
        }
    }

    /// These counts with these visitor bounds (before anything is counted).
    pub fn with_visitor_bounds(mut self, args: &VisitorArgs) -> Tally {
        self.visitors = Visitors::new(args);
        self
    }

    /// Counts one event from a [`crate::lines::LineSplitter`].
    #[inline]
    pub fn record(&mut self, event: LineEvent<'_>) {
        match event {
            LineEvent::Line(line) => self.record_line(line),
            LineEvent::TooLong => self.counts.add_malformed(Malformed::TooLong),
        }
    }

    /// Parses, routes and counts one line.
    #[inline]
    pub fn record_line(&mut self, line: &[u8]) {
        match self.parser.parse(line) {
            Ok(parsed) => {
                let (route, method) = match parsed.request_line() {
                    Some(r) => (self.router.route(r.target), Method::from_bytes(r.method)),
                    None => (OTHER_ID, Method::Other),
                };
                let client = self.classifier.classify(parsed.user_agent);
                self.visitors.add(
                    parsed.timestamp,
                    route,
                    Kind::of(client),
                    parsed.remote_addr,
                    parsed.user_agent,
                );
                let referral = self.referrers.classify(parsed.referer);
                if let Referral::External(host) = referral {
                    self.counts.add_referral(host);
                }
                if parsed.status == Status::Code(404) {
                    let page = parsed
                        .request_line()
                        .map_or(OTHER_ID, |r| self.missing.page(r.target));
                    self.counts.add_not_found(page, Source::of(referral));
                }
                self.counts.add_line(route, client, method, &parsed);
            }
            Err(why) => self.counts.add_malformed(why),
        }
    }

    /// Adds bytes the reader has consumed.
    pub fn add_bytes_read(&mut self, n: u64) {
        self.counts.add_bytes_read(n);
    }

    /// Counts a log rotation.
    pub fn add_rotation(&mut self) {
        self.counts.add_rotation();
    }

    /// Counts a file in which lines were lost.
    pub fn add_loss(&mut self, why: crate::count::LossReason) {
        self.counts.add_loss(why);
    }

    /// The counts so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// The visitors so far.
    pub fn visitors(&self) -> &Visitors {
        &self.visitors
    }

    /// Every label table of the counts' ids.
    pub fn tables(&self) -> crate::expose::Tables<'_> {
        crate::expose::Tables {
            routes: self.router.labels(),
            hosts: self.referrers.labels(),
            pages: self.missing.labels(),
        }
    }

    /// The labels of the counts' missing path ids.
    pub fn missing_labels(&self) -> &Labels {
        self.missing.labels()
    }

    /// The labels of the counts' referring host ids.
    pub fn host_labels(&self) -> &Labels {
        self.referrers.labels()
    }

    /// The labels of the counts' route ids.
    pub fn labels(&self) -> &Labels {
        self.router.labels()
    }

    /// Lines counted so far, parsed or not.
    pub fn total_lines(&self) -> u64 {
        self.counts.lines().total()
    }

    /// The request count of one series, by labels, summed over client classes (for tests and
    /// diagnostics).
    pub fn requests(&self, path: &str, method: Method, status: Status) -> u64 {
        Client::ALL
            .into_iter()
            .map(|c| self.client_requests(path, c, method, status))
            .sum()
    }

    /// The request count of one series, by labels (for tests and diagnostics).
    pub fn client_requests(
        &self,
        path: &str,
        client: Client,
        method: Method,
        status: Status,
    ) -> u64 {
        self.counts
            .requests()
            .filter(|(k, _)| {
                self.router.label(k.route()) == path
                    && k.client() == client
                    && k.method() == method
                    && k.status() == status
            })
            .map(|(_, n)| n)
            .sum()
    }

    /// Empty counts for a worker that counts one byte range of a file in parallel with others
    /// (`first`: the range at the file's start, which continues from these counts' routes).
    pub fn worker(&self, first: bool) -> Tally {
        let mut worker = Tally::with_tables(
            self.router.for_worker(first),
            self.referrers.for_worker(first),
            self.missing.for_worker(first),
        );
        worker.visitors = self.visitors.for_worker();
        worker
    }

    /// Whether [`Tally::merge`] of this worker gives exactly the counts a sequential pass
    /// would have; if not, the file must be counted again sequentially.
    pub fn mergeable(&self, first: bool) -> bool {
        self.router.absorbable(first)
            && self.referrers.absorbable(first)
            && self.missing.absorbable(first)
    }

    /// Whether merging `workers` (the ranges of a file, in order) gives exactly the counts a
    /// sequential pass would have; if not, the file must be counted again sequentially.
    pub fn mergeable_all(&self, workers: &[Tally]) -> bool {
        workers.iter().enumerate().all(|(i, w)| w.mergeable(i == 0))
            && self.visitors.mergeable(workers.iter().map(|w| &w.visitors))
    }

    /// Adds a worker's counts, as if its range had been counted here after everything so far.
    /// Workers must be merged in file order, so paths get labels in the order they first occur.
    pub fn merge(&mut self, worker: Tally) {
        let ids = self.router.absorb(&worker.router);
        let hosts = self.referrers.absorb(&worker.referrers);
        let pages = self.missing.absorb(&worker.missing);
        let map = |table: &[crate::route::RouteId], r: crate::route::RouteId| {
            table.get(r.0 as usize).copied().unwrap_or(OTHER_ID)
        };
        self.visitors.merge(worker.visitors, |r| map(&ids, r));
        self.counts.merge(
            worker.counts,
            |r| map(&ids, r),
            |h| map(&hosts, h),
            |p| map(&pages, p),
        );
    }

    /// Every counter value with labels as strings, for a checkpoint.
    pub fn snapshot(&self) -> CountsSnapshot {
        let mut snap = self.counts.snapshot(
            self.router.labels(),
            self.referrers.labels(),
            self.missing.labels(),
        );
        snap.visitors = self.visitors.snapshot(self.router.labels());
        snap
    }

    /// Adds a checkpoint's counts to these (normally empty) ones; nothing is added if the
    /// checkpoint is refused.
    pub fn restore(&mut self, snap: &CountsSnapshot) -> Result<(), RestoreError> {
        let router = &mut self.router;
        let referrers = &mut self.referrers;
        let missing = &mut self.missing;
        let restored = Counts::from_snapshot(
            snap,
            |label| router.id_for_label(label),
            |host| referrers.id_for_label(host),
            |page| missing.id_for_label(page),
        )?;
        let mut visitors = Visitors::default();
        visitors.restore(&snap.visitors, |label| router.id_for_label(label))?;
        self.counts.merge(restored, |r| r, |h| h, |p| p);
        self.visitors.merge(visitors, |r| r);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
