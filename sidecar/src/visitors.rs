//! Unique visitors per UTC day, site-wide and per route, humans and bots apart. A visitor is
//! (client address, user agent), as GoAccess counts them; the day is the log line's, not the
//! clock's. Private by construction: only an 8-byte keyed SipHash-1-3 hash of the pair is held
//! (a pseudo-random function of its 128-bit key, as hash tables use against chosen keys),
//! under a random key per day that is forgotten with the day, so a held hash cannot be tied to
//! an address (not even by trying every IPv4 address) once its day is gone, and nothing per
//! visitor is exported. Exact up to bounds on the distinct visitors of a day; past them, the
//! requests of visitors that could not be counted are themselves counted ([`Uncounted`]).

mod set;
mod snapshot;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::hash::Hasher as _;
use std::sync::{Arc, Mutex};

use crate::client::Client;
use crate::hash::FastMap;
use crate::route::RouteId;

pub use set::HashSet64;
pub use snapshot::{DaySnapshot, DayTotals, RouteVisitors, VisitorsRestoreError, VisitorsSnapshot};

/// Default bound on a day's distinct visitors site-wide.
pub const DEFAULT_MAX_VISITORS: usize = 1_000_000;
/// Default bound on a day's distinct (visitor, route) pairs, over all routes together.
pub const DEFAULT_MAX_ROUTE_VISITORS: usize = 1_000_000;
/// Days whose sets are held: the latest day of the log and the one before, so that lines
/// written around midnight and read late still count; older lines are [`Uncounted::Late`].
pub const WINDOW_DAYS: i64 = 2;
/// Past days whose site-wide totals are kept (their sets and keys are dropped).
pub const HISTORY_DAYS: usize = 90;
/// Seconds in a UTC day.
pub const DAY_SECONDS: i64 = 86_400;

/// `--max-visitors` and `--max-route-visitors`, shared by `run` and `replay`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct VisitorArgs {
    /// Distinct visitors (address, user agent) counted exactly per UTC day site-wide; requests
    /// of further visitors are counted in touchline_visitors_uncounted_total.
    #[arg(long, env = "TOUCHLINE_SIDECAR_MAX_VISITORS", default_value_t = DEFAULT_MAX_VISITORS)]
    pub max_visitors: usize,
    /// Distinct (visitor, route) pairs counted exactly per UTC day, all routes together.
    #[arg(
        long,
        env = "TOUCHLINE_SIDECAR_MAX_ROUTE_VISITORS",
        default_value_t = DEFAULT_MAX_ROUTE_VISITORS
    )]
    pub max_route_visitors: usize,
}

impl Default for VisitorArgs {
    fn default() -> Self {
        VisitorArgs {
            max_visitors: DEFAULT_MAX_VISITORS,
            max_route_visitors: DEFAULT_MAX_ROUTE_VISITORS,
        }
    }
}

/// Human or bot: what the client class says of a visitor's user agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A user agent no crawler list entry matches.
    Human = 0,
    /// Every other client class.
    Bot = 1,
}

impl Kind {
    /// Both kinds, in label order.
    pub const ALL: [Kind; 2] = [Kind::Human, Kind::Bot];

    /// The kind of a client class.
    pub fn of(client: Client) -> Kind {
        if client.is_bot() {
            Kind::Bot
        } else {
            Kind::Human
        }
    }

    /// The `client_kind` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Human => "human",
            Kind::Bot => "bot",
        }
    }
}

/// Why a request's visitor was not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uncounted {
    /// The day already held `--max-visitors` other visitors site-wide.
    SiteBound,
    /// The day already held `--max-route-visitors` other (visitor, route) pairs.
    RouteBound,
    /// The line is older than the days held ([`WINDOW_DAYS`]).
    Late,
    /// No random key could be had from the operating system for the line's day.
    NoKey,
}

impl Uncounted {
    /// Every reason, in label order.
    pub const ALL: [Uncounted; 4] = [
        Uncounted::SiteBound,
        Uncounted::RouteBound,
        Uncounted::Late,
        Uncounted::NoKey,
    ];

    /// The `reason` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Uncounted::SiteBound => "site_bound",
            Uncounted::RouteBound => "route_bound",
            Uncounted::Late => "late",
            Uncounted::NoKey => "no_key",
        }
    }

    /// The reason whose label is `s`.
    pub fn from_label(s: &str) -> Option<Uncounted> {
        Uncounted::ALL.into_iter().find(|u| u.as_str() == s)
    }
}

/// A day's hash key.
pub type Key = [u8; 16];

/// The keys of the days held, shared by a tally and its parallel workers so that they all hash
/// a visitor of the same day alike (their sets then merge by union).
#[derive(Debug, Clone, Default)]
pub struct DayKeys(Arc<Mutex<BTreeMap<i64, Key>>>);

impl DayKeys {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<i64, Key>> {
        // Keys are inserted whole: a panic elsewhere cannot leave one half-written.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The key of `day`, drawn from the operating system the first time the day is seen.
    fn get_or_create(&self, day: i64) -> Option<Key> {
        let mut keys = self.lock();
        if let Some(k) = keys.get(&day) {
            return Some(*k);
        }
        let mut k = Key::default();
        getrandom::fill(&mut k).ok()?;
        keys.insert(day, k);
        Some(k)
    }

    fn set(&self, day: i64, key: Key) {
        self.lock().insert(day, key);
    }

    fn drop_before(&self, day: i64) {
        self.lock().retain(|d, _| *d >= day);
    }
}

/// The visitors of one route on one day.
#[derive(Debug, Clone)]
struct RouteSet {
    set: HashSet64,
    counts: [u64; 2],
}

/// The visitors of one day.
#[derive(Debug, Clone)]
struct Day {
    key: Key,
    site: HashSet64,
    site_counts: [u64; 2],
    routes: FastMap<RouteId, RouteSet>,
    route_entries: usize,
    /// The bound the route sets are sharded for.
    route_bound: usize,
}

/// The kind a held hash carries in its lowest bit.
fn kind_bit(v: u64) -> usize {
    (v & 1) as usize
}

/// Whether an insertion found room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Added {
    New,
    Known,
    Full,
}

impl Day {
    /// An empty day, its sets sharded for these bounds.
    fn new(key: Key, site_bound: usize, route_bound: usize) -> Day {
        Day {
            key,
            site: HashSet64::for_bound(site_bound),
            site_counts: [0; 2],
            routes: FastMap::default(),
            route_entries: 0,
            route_bound,
        }
    }

    fn add_site(&mut self, v: u64, max: usize) -> Added {
        if self.site.contains(v) {
            return Added::Known;
        }
        if self.site.len() >= max {
            return Added::Full;
        }
        self.site.insert(v);
        self.site_counts[kind_bit(v)] += 1;
        Added::New
    }

    fn add_route(&mut self, route: RouteId, v: u64, max: usize) -> Added {
        let full = self.route_entries >= max;
        let bound = self.route_bound;
        let rs = self.routes.entry(route).or_insert_with(|| RouteSet {
            set: HashSet64::for_bound(bound),
            counts: [0; 2],
        });
        if rs.set.contains(v) {
            return Added::Known;
        }
        if full {
            return Added::Full;
        }
        rs.set.insert(v);
        rs.counts[kind_bit(v)] += 1;
        self.route_entries += 1;
        Added::New
    }

    /// Adds another day's visitors (of the same key), its route ids translated by `id`.
    fn absorb(&mut self, other: Day, id: &impl Fn(RouteId) -> RouteId) {
        for v in other.site.iter() {
            self.add_site(v, usize::MAX);
        }
        self.absorb_routes(other.routes, id);
    }

    /// Adds another day's route sets, their ids translated by `id`.
    fn absorb_routes(
        &mut self,
        routes: FastMap<RouteId, RouteSet>,
        id: &impl Fn(RouteId) -> RouteId,
    ) {
        for (r, rs) in routes {
            let r = id(r);
            if !self.routes.contains_key(&r) {
                // Moved whole: no copy of a large set.
                self.route_entries += rs.set.len();
                self.routes.insert(r, rs);
                continue;
            }
            for v in rs.set.iter() {
                self.add_route(r, v, usize::MAX);
            }
        }
    }

    fn totals(&self) -> [u64; 2] {
        self.site_counts
    }
}

/// The last visitor hashed: consecutive lines are often the same visitor (a page and its
/// assets), and comparing bytes is cheaper than hashing them.
#[derive(Debug, Clone, Default)]
struct Last {
    day: i64,
    addr: Vec<u8>,
    ua: Vec<u8>,
    hash: Option<u64>,
}

/// Distinct visitors of the days held, and site-wide totals of past days.
#[derive(Debug, Clone)]
pub struct Visitors {
    keys: DayKeys,
    max_site: usize,
    max_route: usize,
    days: BTreeMap<i64, Day>,
    latest: Option<i64>,
    history: BTreeMap<i64, [u64; 2]>,
    uncounted: [u64; 4],
    /// The earliest day counted, and whether a day was dropped: what tells whether a parallel
    /// worker's sets merge into the whole exactly.
    earliest: Option<i64>,
    dropped: bool,
    last: Last,
}

impl Default for Visitors {
    fn default() -> Self {
        Visitors::new(&VisitorArgs::default())
    }
}

impl Visitors {
    /// No visitors yet, with these bounds.
    pub fn new(args: &VisitorArgs) -> Visitors {
        Visitors {
            keys: DayKeys::default(),
            max_site: args.max_visitors,
            max_route: args.max_route_visitors,
            days: BTreeMap::new(),
            latest: None,
            history: BTreeMap::new(),
            uncounted: [0; 4],
            earliest: None,
            dropped: false,
            last: Last::default(),
        }
    }

    /// Counts the visitor (`addr`, `ua`) of a line at `timestamp` (Unix seconds) to `route`.
    #[inline]
    pub fn add(&mut self, timestamp: i64, route: RouteId, kind: Kind, addr: &[u8], ua: &[u8]) {
        let day = timestamp.div_euclid(DAY_SECONDS);
        if self.latest.is_some_and(|l| day <= l - WINDOW_DAYS) {
            self.uncounted[Uncounted::Late as usize] += 1;
            return;
        }
        if self.latest.is_none_or(|l| day > l) {
            self.latest = Some(day);
            self.drop_old(day);
        }
        self.earliest = Some(self.earliest.map_or(day, |e| e.min(day)));
        let Some(v) = self.hash(day, kind, addr, ua) else {
            self.uncounted[Uncounted::NoKey as usize] += 1;
            return;
        };
        let (max_site, max_route) = (self.max_site, self.max_route);
        let Some(d) = self.days.get_mut(&day) else {
            return; // hash() has created it
        };
        if d.add_site(v, max_site) == Added::Full {
            self.uncounted[Uncounted::SiteBound as usize] += 1;
        }
        if d.add_route(route, v, max_route) == Added::Full {
            self.uncounted[Uncounted::RouteBound as usize] += 1;
        }
    }

    /// The held hash of a visitor on `day` (its kind in the lowest bit), creating the day.
    fn hash(&mut self, day: i64, kind: Kind, addr: &[u8], ua: &[u8]) -> Option<u64> {
        let last = &self.last;
        if last.day == day && last.addr == addr && last.ua == ua {
            if let Some(h) = last.hash {
                return Some(h);
            }
        }
        let key = match self.days.get(&day) {
            Some(d) => d.key,
            None => {
                let key = self.keys.get_or_create(day)?;
                self.days
                    .insert(day, Day::new(key, self.max_site, self.max_route));
                key
            }
        };
        // SipHash, not BLAKE3: a keyed PRF is all this needs, and on ~150-byte inputs it is
        // several times cheaper, which is most of what visitors cost replay per line.
        let mut h = siphasher::sip::SipHasher13::new_with_key(&key);
        // The address's length first: no (address, agent) pair hashes like another's.
        h.write(&(addr.len() as u64).to_le_bytes());
        h.write(addr);
        h.write(ua);
        let v = (h.finish() & !1) | kind as u64;
        self.last.day = day;
        self.last.addr.clear();
        self.last.addr.extend_from_slice(addr);
        self.last.ua.clear();
        self.last.ua.extend_from_slice(ua);
        self.last.hash = Some(v);
        Some(v)
    }

    /// Drops the sets and keys of days that fell out of the window ending at `latest`,
    /// keeping their site-wide totals.
    fn drop_old(&mut self, latest: i64) {
        let first_kept = latest - WINDOW_DAYS + 1;
        let kept = self.days.split_off(&first_kept);
        let old = std::mem::replace(&mut self.days, kept);
        for (day, d) in old {
            self.dropped = true;
            self.history.insert(day, d.totals());
        }
        while self.history.len() > HISTORY_DAYS {
            self.history.pop_first();
        }
        self.keys.drop_before(first_kept);
        if self.last.day < first_kept {
            self.last.hash = None;
        }
    }

    /// The latest day of the log (a UTC day number: Unix seconds / 86400), if any line was
    /// counted.
    pub fn today(&self) -> Option<i64> {
        self.latest
    }

    /// Site-wide visitors of the latest day, by [`Kind`] (index).
    pub fn today_site(&self) -> [u64; 2] {
        self.latest
            .and_then(|l| self.days.get(&l))
            .map_or([0; 2], Day::totals)
    }

    /// Visitors of the latest day by route and kind, zeros left out.
    pub fn today_routes(&self) -> impl Iterator<Item = (RouteId, Kind, u64)> + '_ {
        self.latest
            .and_then(|l| self.days.get(&l))
            .into_iter()
            .flat_map(|d| d.routes.iter())
            .flat_map(|(r, rs)| {
                Kind::ALL
                    .into_iter()
                    .map(move |k| (*r, k, rs.counts[k as usize]))
            })
            .filter(|(_, _, n)| *n > 0)
    }

    /// Site-wide visitors of every day known, past and held, by kind, in day order.
    pub fn per_day(&self) -> BTreeMap<i64, [u64; 2]> {
        let mut out = self.history.clone();
        out.extend(self.days.iter().map(|(d, day)| (*d, day.totals())));
        out
    }

    /// Requests whose visitor was not counted, by reason.
    pub fn uncounted(&self) -> impl Iterator<Item = (Uncounted, u64)> + '_ {
        Uncounted::ALL.into_iter().zip(self.uncounted)
    }

    /// Empty sets for a parallel worker, hashing with the same day keys.
    pub fn for_worker(&self) -> Visitors {
        Visitors {
            keys: self.keys.clone(),
            ..Visitors::new(&VisitorArgs {
                max_visitors: self.max_site,
                max_route_visitors: self.max_route,
            })
        }
    }

    /// Whether merging `workers` in order gives exactly what one pass would: none dropped a
    /// day or left a visitor uncounted, none has a line that the days before it would make
    /// late, and the sets together stay within the bounds (an upper bound on their union).
    pub fn mergeable<'a>(&self, workers: impl IntoIterator<Item = &'a Visitors>) -> bool {
        let mut latest = self.latest;
        let mut sizes: BTreeMap<i64, (usize, usize)> = self
            .days
            .iter()
            .map(|(d, day)| (*d, (day.site.len(), day.route_entries)))
            .collect();
        for w in workers {
            if w.dropped || w.uncounted.iter().any(|n| *n > 0) {
                return false;
            }
            if let (Some(l), Some(e)) = (latest, w.earliest) {
                if e <= l - WINDOW_DAYS {
                    return false;
                }
            }
            for (d, day) in &w.days {
                let s = sizes.entry(*d).or_default();
                s.0 += day.site.len();
                s.1 += day.route_entries;
                if s.0 > self.max_site || s.1 > self.max_route {
                    return false;
                }
            }
            latest = latest.max(w.latest);
        }
        true
    }

    /// Adds a worker's (or a checkpoint's) visitors: the union of the sets of each day, its
    /// route ids translated by `id`. [`Visitors::mergeable`] says whether this is exact.
    pub fn merge(&mut self, other: Visitors, id: impl Fn(RouteId) -> RouteId) {
        for (d, theirs) in other.days {
            match self.days.entry(d) {
                Entry::Occupied(mut ours) => ours.get_mut().absorb(theirs, &id),
                Entry::Vacant(e) => {
                    // A checkpoint's day keeps its key, for the workers that hash after it too.
                    self.keys.set(d, theirs.key);
                    let Day {
                        key,
                        site,
                        site_counts,
                        routes,
                        ..
                    } = theirs;
                    // The site set moves whole; route sets move too unless two ids merge.
                    let mut day = Day {
                        key,
                        site,
                        site_counts,
                        routes: FastMap::default(),
                        route_entries: 0,
                        route_bound: self.max_route,
                    };
                    day.absorb_routes(routes, &id);
                    e.insert(day);
                }
            }
        }
        for (d, totals) in other.history {
            self.history.entry(d).or_insert(totals);
        }
        for (a, b) in self.uncounted.iter_mut().zip(other.uncounted) {
            *a += b;
        }
        self.earliest = match (self.earliest, other.earliest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.latest = self.latest.max(other.latest);
        self.dropped |= other.dropped;
        if let Some(l) = self.latest {
            self.drop_old(l);
        }
    }
}
