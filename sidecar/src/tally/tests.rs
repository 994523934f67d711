use crate::missing::Missing;
use std::sync::{Arc, Mutex};

use super::*;
use crate::expose::{TallyCollector, encode_text, families};
use crate::route::Router;
use contract::Manifest;

fn manifest_router() -> Router {
    Router::with_manifest(&Manifest::new(
        vec![
            "/".try_into().expect("route"),
            "/gandalf".try_into().expect("route"),
        ],
        vec!["/robots.txt".try_into().expect("route")],
    ))
}

fn line(target: &str, status: &str, bytes: u64, time: &str) -> Vec<u8> {
    format!(r#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET {target} HTTP/1.1" {status} {bytes} "-" "curl/8"{time}"#)
        .into_bytes()
}

fn text(agg: &Tally) -> String {
    let registry = prometheus::Registry::new();
    let shared = Arc::new(Mutex::new(Tally::new(Router::open(0))));
    // Swap the tally in so the registry sees it (it owns only Arc<Mutex<_>>).
    let mut guard = shared.lock().expect("lock");
    let mut copy = Tally::new(Router::open(0));
    copy.restore(&agg.snapshot()).expect("restore");
    *guard = copy;
    drop(guard);
    registry
        .register(Box::new(TallyCollector::new(shared).expect("collector")))
        .expect("register");
    encode_text(&registry.gather()).expect("encode")
}

/// The families of a tally's counts, as text.
fn exposed(agg: &Tally) -> String {
    encode_text(&families(agg.counts(), &agg.tables())).expect("encode")
}

#[test]
fn manifest_routes_start_with_a_zero_get_200_series() {
    let agg = Tally::new(manifest_router());
    let families = exposed(&agg);
    assert!(
        families.contains(
            r#"touchline_http_requests_total{path="/gandalf",method="GET",status="200",client="human"} 0"#
        )
    );
    assert!(families.contains(
        r#"touchline_http_requests_total{path="/robots.txt",method="GET",status="200",client="human"} 0"#
    ));
}

#[test]
fn requests_are_counted_per_route_method_and_status() {
    let mut agg = Tally::new(manifest_router());
    agg.record_line(&line("/gandalf/", "200", 10, ""));
    agg.record_line(&line("/gandalf?x", "200", 5, ""));
    agg.record_line(&line("/nope", "404", 1, ""));
    assert_eq!(agg.requests("/gandalf", Method::Get, Status::Code(200)), 2);
    assert_eq!(agg.requests("other", Method::Get, Status::Code(404)), 1);
    let t = exposed(&agg);
    assert!(t.contains(r#"touchline_http_response_bytes_total{path="/gandalf"} 15"#));
}

#[test]
fn unparseable_request_lines_count_as_other_method_and_path() {
    let mut agg = Tally::new(manifest_router());
    agg.record_line(br#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "-" 400 0 "-" "-""#);
    assert_eq!(agg.requests("other", Method::Other, Status::Code(400)), 1);
}

#[test]
fn malformed_lines_are_counted_by_reason() {
    let mut agg = Tally::new(Router::open(10));
    agg.record_line(b"garbage");
    agg.record(LineEvent::TooLong);
    agg.record_line(&line("/", "200", 1, ""));
    let t = exposed(&agg);
    assert!(t.contains(r#"touchline_log_lines_total{outcome="syntax"} 1"#));
    assert!(t.contains(r#"touchline_log_lines_total{outcome="too_long"} 1"#));
    assert!(t.contains(r#"touchline_log_lines_total{outcome="parsed"} 1"#));
}

#[test]
fn request_times_fill_cumulative_buckets_and_an_exact_sum() {
    let mut agg = Tally::new(manifest_router());
    for t in [" 0.000", " 0.001", " 0.002", " 0.300", " 12.000"] {
        agg.record_line(&line("/", "200", 0, t));
    }
    let t = exposed(&agg);
    assert!(
        t.contains(r#"touchline_http_request_duration_seconds_bucket{path="/",le="0.001"} 2"#),
        "{t}"
    );
    assert!(
        t.contains(r#"touchline_http_request_duration_seconds_bucket{path="/",le="0.0025"} 3"#)
    );
    assert!(t.contains(r#"touchline_http_request_duration_seconds_bucket{path="/",le="10"} 4"#));
    assert!(t.contains(r#"touchline_http_request_duration_seconds_bucket{path="/",le="+Inf"} 5"#));
    assert!(t.contains(r#"touchline_http_request_duration_seconds_sum{path="/"} 12.303"#));
}

#[test]
fn combined_lines_produce_no_histogram() {
    let mut agg = Tally::new(manifest_router());
    agg.record_line(&line("/", "200", 0, ""));
    assert!(!exposed(&agg).contains("duration"));
}

#[test]
fn a_snapshot_restores_to_identical_exposition() {
    let mut agg = Tally::new(Router::open(10));
    agg.record_line(&line("/a", "200", 3, " 0.010"));
    agg.record_line(&line("/b", "999", 3, ""));
    agg.record_line(b"junk");
    agg.add_bytes_read(1234);
    agg.add_rotation();
    let mut restored = Tally::new(Router::open(10));
    restored.restore(&agg.snapshot()).expect("restore");
    assert_eq!(restored.snapshot(), agg.snapshot());
    assert_eq!(text(&restored), text(&agg));
}

#[test]
fn the_last_line_timestamp_is_the_latest_seen() {
    let mut agg = Tally::new(Router::open(10));
    agg.record_line(&line("/", "200", 0, ""));
    agg.record_line(br#"10.0.0.1 - - [01/Jan/2020:00:00:00 +0000] "GET / HTTP/1.1" 200 0 "-" "-""#);
    assert_eq!(agg.snapshot().last_line_timestamp, Some(1_795_447_931));
}

#[test]
fn a_refused_checkpoint_adds_nothing() {
    let mut counted = Tally::new(Router::open(10));
    counted.record_line(&line("/a", "200", 3, " 0.010"));
    let mut snap = counted.snapshot();
    snap.requests.push(crate::count::RequestCount {
        path: "/b".into(),
        method: "BREW".into(),
        status: "200".into(),
        client: "human".into(),
        count: 1,
    });
    let mut fresh = Tally::new(Router::open(10));
    let before = fresh.snapshot();
    assert!(fresh.restore(&snap).is_err());
    assert_eq!(fresh.snapshot(), before);
}

fn referred(target: &str, referer: &str) -> Vec<u8> {
    format!(r#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET {target} HTTP/1.1" 200 1 "{referer}" "curl/8""#)
        .into_bytes()
}

#[test]
fn referrals_are_counted_by_host_without_own_hosts_and_empty_referers() {
    let args = crate::referrer::ReferrerArgs {
        referrers: 1,
        site_hosts: vec!["touchline.example".into()],
        max_missing: 1,
    };
    let mut agg = Tally::with_referrers(Router::open(10), crate::referrer::Referrers::new(&args));
    for (target, referer) in [
        ("/a", "https://news.ycombinator.com/item?id=1"),
        ("/b", "https://News.YCombinator.com/"),
        ("/a", "https://google.com/"),
        ("/a", "https://touchline.example/b"),
        ("/a", "-"),
    ] {
        agg.record_line(&referred(target, referer));
    }
    let text = exposed(&agg);
    assert!(
        text.contains(r#"touchline_http_referrals_total{host="news.ycombinator.com"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(r#"touchline_http_referrals_total{host="other"} 1"#),
        "{text}"
    );
    assert_eq!(
        text.matches("touchline_http_referrals_total{").count(),
        2,
        "{text}"
    );

    let mut back = Tally::with_referrers(Router::open(10), crate::referrer::Referrers::new(&args));
    back.restore(&agg.snapshot()).expect("restore");
    assert_eq!(super::tests::text(&back), super::tests::text(&agg));
}

fn status_referred(target: &str, status: &str, referer: &str) -> Vec<u8> {
    format!(r#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET {target} HTTP/1.1" {status} 1 "{referer}" "curl/8""#)
        .into_bytes()
}

#[test]
fn not_found_paths_are_counted_by_referer_kind_and_bounded() {
    let args = crate::referrer::ReferrerArgs {
        referrers: 5,
        site_hosts: vec!["touchline.example".into()],
        max_missing: 1,
    };
    let mut agg = Tally::with_tables(
        Router::open(10),
        crate::referrer::Referrers::new(&args),
        Missing::new(args.max_missing),
    );
    for (target, status, referer) in [
        ("/old/", "404", "https://touchline.example/news"),
        ("/old/index.html?x", "404", "https://touchline.example/"),
        ("/old", "404", "-"),
        ("/old", "404", "https://elsewhere.example/"),
        ("/wp-login.php", "404", "-"),
        ("/old", "200", "https://touchline.example/"),
    ] {
        agg.record_line(&status_referred(target, status, referer));
    }
    let text = exposed(&agg);
    for want in [
        r#"touchline_http_not_found_total{path="/old",referer="internal"} 2"#,
        r#"touchline_http_not_found_total{path="/old",referer="none"} 1"#,
        r#"touchline_http_not_found_total{path="/old",referer="external"} 1"#,
        r#"touchline_http_not_found_total{path="other",referer="none"} 1"#,
    ] {
        assert!(text.contains(want), "{want} in\n{text}");
    }
    assert_eq!(
        text.matches("touchline_http_not_found_total{").count(),
        4,
        "{text}"
    );

    let mut back = Tally::with_tables(
        Router::open(10),
        crate::referrer::Referrers::new(&args),
        Missing::new(args.max_missing),
    );
    back.restore(&agg.snapshot()).expect("restore");
    assert_eq!(super::tests::text(&back), super::tests::text(&agg));
}
