use super::*;
use crate::route::Labels;

/// Noon of UTC day 20415 (2025-11-23).
const NOON: i64 = 20_415 * DAY_SECONDS + 12 * 3600;
const FIREFOX: &[u8] = b"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const CHROME: &[u8] = b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36";

fn add(v: &mut Visitors, ts: i64, route: u32, addr: &str, ua: &[u8]) {
    v.add(ts, RouteId(route), Kind::Human, addr.as_bytes(), ua);
}

fn human_today(v: &Visitors) -> u64 {
    v.today_site()[Kind::Human as usize]
}

fn uncounted(v: &Visitors, why: Uncounted) -> u64 {
    v.uncounted().find(|(u, _)| *u == why).map_or(0, |(_, n)| n)
}

fn route_today(v: &Visitors, route: u32) -> u64 {
    v.today_routes()
        .filter(|(r, _, _)| *r == RouteId(route))
        .map(|(_, _, n)| n)
        .sum()
}

fn bounded(site: usize, route: usize) -> Visitors {
    Visitors::new(&VisitorArgs {
        max_visitors: site,
        max_route_visitors: route,
    })
}

#[test]
fn the_same_visitor_twice_is_one_visitor() {
    let mut v = Visitors::default();
    add(&mut v, NOON, 1, "203.0.113.7", FIREFOX);
    add(&mut v, NOON + 60, 1, "203.0.113.7", FIREFOX);
    assert_eq!(human_today(&v), 1);
    assert_eq!(route_today(&v, 1), 1);
}

#[test]
fn the_same_address_with_another_user_agent_is_another_visitor() {
    let mut v = Visitors::default();
    add(&mut v, NOON, 1, "203.0.113.7", FIREFOX);
    add(&mut v, NOON, 1, "203.0.113.7", CHROME);
    add(&mut v, NOON, 1, "203.0.113.7", FIREFOX);
    assert_eq!(human_today(&v), 2);
}

#[test]
fn the_same_user_agent_from_another_address_is_another_visitor() {
    let mut v = Visitors::default();
    add(&mut v, NOON, 1, "203.0.113.7", FIREFOX);
    add(&mut v, NOON, 1, "2001:db8::7", FIREFOX);
    assert_eq!(human_today(&v), 2);
}

#[test]
fn an_address_and_agent_split_differently_are_different_visitors() {
    let mut v = Visitors::default();
    v.add(NOON, RouteId(1), Kind::Human, b"10.0.0.1", b"2x");
    v.add(NOON, RouteId(1), Kind::Human, b"10.0.0.12", b"x");
    assert_eq!(human_today(&v), 2);
}

#[test]
fn humans_and_bots_are_counted_apart() {
    let mut v = Visitors::default();
    add(&mut v, NOON, 1, "203.0.113.7", FIREFOX);
    v.add(
        NOON,
        RouteId(1),
        Kind::Bot,
        b"66.249.66.1",
        b"Googlebot/2.1",
    );
    v.add(
        NOON,
        RouteId(2),
        Kind::Bot,
        b"66.249.66.1",
        b"Googlebot/2.1",
    );
    assert_eq!(v.today_site(), [1, 1]);
    let bots: Vec<_> = v
        .today_routes()
        .filter(|(_, k, _)| *k == Kind::Bot)
        .map(|(r, _, n)| (r.0, n))
        .collect();
    assert_eq!(bots.len(), 2, "{bots:?}");
}

#[test]
fn a_visitor_of_two_routes_counts_once_per_route_and_once_site_wide() {
    let mut v = Visitors::default();
    add(&mut v, NOON, 1, "203.0.113.7", FIREFOX);
    add(&mut v, NOON, 2, "203.0.113.7", FIREFOX);
    add(&mut v, NOON, 2, "203.0.113.8", FIREFOX);
    assert_eq!(human_today(&v), 2);
    assert_eq!((route_today(&v, 1), route_today(&v, 2)), (1, 2));
}

#[test]
fn the_day_is_the_utc_day_of_the_line() {
    let mut v = Visitors::default();
    let midnight = 20_416 * DAY_SECONDS;
    add(&mut v, midnight - 1, 1, "203.0.113.7", FIREFOX);
    add(&mut v, midnight, 1, "203.0.113.7", FIREFOX);
    assert_eq!(v.today(), Some(20_416));
    assert_eq!(human_today(&v), 1, "the next day starts from zero");
    assert_eq!(v.per_day().get(&20_415), Some(&[1, 0]));
}

#[test]
fn a_late_line_of_yesterday_still_counts_for_yesterday() {
    let mut v = Visitors::default();
    add(&mut v, NOON + DAY_SECONDS, 1, "203.0.113.7", FIREFOX);
    add(&mut v, NOON, 1, "203.0.113.8", FIREFOX);
    assert_eq!(v.per_day().get(&20_415), Some(&[1, 0]));
    assert_eq!(human_today(&v), 1);
}

#[test]
fn a_line_older_than_the_days_held_is_counted_as_late() {
    let mut v = Visitors::default();
    add(&mut v, NOON + 2 * DAY_SECONDS, 1, "203.0.113.7", FIREFOX);
    add(&mut v, NOON, 1, "203.0.113.8", FIREFOX);
    assert_eq!(uncounted(&v, Uncounted::Late), 1);
    assert_eq!(v.per_day().get(&20_415), None);
}

#[test]
fn a_day_past_the_window_keeps_its_totals_but_not_its_sets_or_key() {
    let mut v = Visitors::default();
    add(&mut v, NOON, 1, "203.0.113.7", FIREFOX);
    add(&mut v, NOON + 2 * DAY_SECONDS, 1, "203.0.113.7", FIREFOX);
    assert_eq!(v.per_day().get(&20_415), Some(&[1, 0]));
    let snap = v.snapshot(&Labels::default());
    assert_eq!(
        snap.days.iter().map(|d| d.day).collect::<Vec<_>>(),
        vec![20_417]
    );
    assert!(!v.keys.lock().contains_key(&20_415), "the key is forgotten");
}

#[test]
fn each_day_has_its_own_random_key() {
    let mut v = Visitors::default();
    add(&mut v, NOON, 1, "203.0.113.7", FIREFOX);
    add(&mut v, NOON + DAY_SECONDS, 1, "203.0.113.7", FIREFOX);
    let snap = v.snapshot(&Labels::default());
    assert_eq!(snap.days.len(), 2);
    assert_ne!(snap.days[0].key, snap.days[1].key);
    assert_ne!(snap.days[0].site, snap.days[1].site, "hashes differ by day");
}

#[test]
fn visitors_past_the_site_bound_are_counted_as_uncounted_requests() {
    let mut v = bounded(2, 100);
    for addr in ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.3", "10.0.0.1"] {
        add(&mut v, NOON, 1, addr, FIREFOX);
    }
    assert_eq!(human_today(&v), 2);
    assert_eq!(uncounted(&v, Uncounted::SiteBound), 2, "both of 10.0.0.3's");
}

#[test]
fn pairs_past_the_route_bound_are_counted_as_uncounted_requests() {
    let mut v = bounded(100, 2);
    add(&mut v, NOON, 1, "10.0.0.1", FIREFOX);
    add(&mut v, NOON, 2, "10.0.0.1", FIREFOX);
    add(&mut v, NOON, 3, "10.0.0.1", FIREFOX);
    assert_eq!(human_today(&v), 1);
    assert_eq!(route_today(&v, 3), 0);
    assert_eq!(uncounted(&v, Uncounted::RouteBound), 1);
}

#[test]
fn a_restored_snapshot_does_not_count_its_visitors_again() {
    let mut labels = Labels::default();
    let (gandalf, _) = labels.insert("/gandalf");
    let mut v = Visitors::default();
    v.add(NOON, gandalf, Kind::Human, b"203.0.113.7", FIREFOX);
    v.add(NOON, gandalf, Kind::Bot, b"66.249.66.1", b"Googlebot");
    let json = serde_json::to_string(&v.snapshot(&labels)).expect("json");
    assert!(
        !json.contains("203.0.113.7"),
        "no address is stored: {json}"
    );

    let snap: VisitorsSnapshot = serde_json::from_str(&json).expect("parse");
    let mut back = Visitors::default();
    back.restore(&snap, |l| {
        assert_eq!(l, "/gandalf");
        gandalf
    })
    .expect("restore");
    back.add(NOON + 5, gandalf, Kind::Human, b"203.0.113.7", FIREFOX);
    back.add(NOON + 5, gandalf, Kind::Human, b"203.0.113.8", FIREFOX);
    assert_eq!(back.today_site(), [2, 1]);
    assert_eq!(route_today(&back, gandalf.0), 3);
}

#[test]
fn a_snapshot_with_a_bad_key_is_refused() {
    let mut v = Visitors::default();
    add(&mut v, NOON, 1, "203.0.113.7", FIREFOX);
    let mut snap = v.snapshot(&Labels::default());
    snap.days[0].key = "c2hvcnQ=".into();
    let mut back = Visitors::default();
    assert!(matches!(
        back.restore(&snap, |_| RouteId(1)),
        Err(VisitorsRestoreError::Encoding { unit: 16, .. })
    ));
    assert_eq!(back.today(), None, "nothing restored");
}

#[test]
fn workers_merge_into_exactly_the_sets_of_one_pass() {
    let lines: Vec<(u32, String)> = (0..200)
        .map(|i| (i % 3, format!("10.0.{}.{}", i % 7, i % 11)))
        .collect();
    let mut one = Visitors::default();
    for (r, a) in &lines {
        add(&mut one, NOON, *r, a, FIREFOX);
    }
    let mut main = Visitors::default();
    let mut workers = [main.for_worker(), main.for_worker()];
    for (i, (r, a)) in lines.iter().enumerate() {
        add(&mut workers[i % 2], NOON, *r, a, FIREFOX);
    }
    assert!(main.mergeable(workers.iter()));
    for w in workers {
        main.merge(w, |r| r);
    }
    assert_eq!(main.today_site(), one.today_site());
    let mut a: Vec<_> = main.today_routes().collect();
    let mut b: Vec<_> = one.today_routes().collect();
    a.sort_by_key(|x| x.0.0);
    b.sort_by_key(|x| x.0.0);
    assert_eq!(a, b);
}

#[test]
fn workers_that_together_pass_a_bound_are_not_mergeable() {
    let main = bounded(3, 100);
    let mut workers = [main.for_worker(), main.for_worker()];
    for (i, addr) in ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
        .iter()
        .enumerate()
    {
        add(&mut workers[i % 2], NOON, 1, addr, FIREFOX);
    }
    assert!(!main.mergeable(workers.iter()));
}

#[test]
fn a_worker_whose_lines_would_be_late_after_the_one_before_is_not_mergeable() {
    let main = Visitors::default();
    let mut workers = [main.for_worker(), main.for_worker()];
    add(
        &mut workers[0],
        NOON + 2 * DAY_SECONDS,
        1,
        "10.0.0.1",
        FIREFOX,
    );
    add(&mut workers[1], NOON, 1, "10.0.0.2", FIREFOX);
    assert!(!main.mergeable(workers.iter()));
}

#[test]
fn a_worker_that_dropped_a_day_is_not_mergeable() {
    let main = Visitors::default();
    let mut worker = main.for_worker();
    add(&mut worker, NOON, 1, "10.0.0.1", FIREFOX);
    add(&mut worker, NOON + 2 * DAY_SECONDS, 1, "10.0.0.1", FIREFOX);
    assert!(!main.mergeable([&worker]));
}
