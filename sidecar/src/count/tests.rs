use super::*;
use crate::parse::parse_line;

fn line(target: &str, status: &str, time: &str) -> Vec<u8> {
    format!(r#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET {target} HTTP/1.1" {status} 7 "-" "t"{time}"#)
        .into_bytes()
}

fn counted(lines: &[Vec<u8>], route: RouteId) -> Counts {
    let mut c = Counts::default();
    for l in lines {
        match parse_line(l) {
            Ok(parsed) => c.add_line(route, Client::Human, Method::Get, &parsed),
            Err(why) => c.add_malformed(why),
        }
    }
    c
}

#[test]
fn a_series_key_gives_back_its_labels() {
    for (route, client) in [
        (RouteId(0), Client::Human),
        (RouteId(7), Client::AiCrawler),
        (RouteId(u32::MAX), Client::Other),
    ] {
        for method in Method::ALL {
            for status in [
                Status::Code(0),
                Status::Code(200),
                Status::Code(599),
                Status::Invalid,
            ] {
                let key = SeriesKey::new(route, client, method, status);
                assert_eq!(
                    (key.route(), key.client(), key.method(), key.status()),
                    (route, client, method, status)
                );
                let moved = key.on(RouteId(3));
                assert_eq!(
                    (
                        moved.route(),
                        moved.client(),
                        moved.method(),
                        moved.status()
                    ),
                    (RouteId(3), client, method, status)
                );
            }
        }
    }
}

#[test]
fn outcomes_are_indexed_in_the_order_of_malformed_all() {
    for (i, m) in Malformed::ALL.iter().enumerate() {
        assert_eq!(*m as usize, i, "{m:?}");
    }
    let mut o = Outcomes::default();
    o.add(Some(Malformed::TooLong), 2);
    o.add(None, 1);
    let labels: Vec<(&str, u64)> = o.iter().filter(|(_, n)| *n > 0).collect();
    assert_eq!(labels, [("parsed", 1), ("too_long", 2)]);
}

#[test]
fn the_latest_timestamp_wins_and_none_is_no_timestamp() {
    assert_eq!(max_ts(None, None), None);
    assert_eq!(max_ts(Some(-5), None), Some(-5));
    assert_eq!(max_ts(None, Some(3)), Some(3));
    assert_eq!(max_ts(Some(4), Some(3)), Some(4));
}

#[test]
fn histogram_sums_saturate_alike_in_merges_and_restores() {
    let half = u64::MAX / 2 + 1;
    let snap = CountsSnapshot {
        paths: vec![PathCounts {
            path: "/a".into(),
            bytes: 0,
            duration_buckets: vec![0; BUCKETS_US.len()],
            duration_count: 1,
            duration_sum_us: half,
        }],
        ..CountsSnapshot::default()
    };
    let mut live = Counts::default();
    for _ in 0..2 {
        let restored = Counts::from_snapshot(&snap, |_| RouteId(1), |_| RouteId(0), |_| RouteId(0))
            .expect("restore");
        live.merge(restored, |r| r, |h| h, |p| p);
    }
    let (_, stats) = live.paths().next().expect("the path");
    assert_eq!(stats.hist.count(), 2);
    assert_eq!(stats.hist.sum_us(), u64::MAX);

    let mut h = Hist::from_parts(&[0; BUCKETS_US.len()], 1, half).expect("parts");
    h.observe(half);
    assert_eq!(h.sum_us(), u64::MAX);
}

#[test]
fn a_merge_adds_everything_under_translated_routes() {
    let mut a = counted(&[line("/", "200", " 0.002"), b"junk".to_vec()], RouteId(1));
    a.add_bytes_read(10);
    let mut b = counted(
        &[line("/", "200", " 0.003"), line("/", "404", "")],
        RouteId(1),
    );
    b.add_rotation();
    a.merge(b, |_| RouteId(2), |h| h, |p| p);
    let series: Vec<(RouteId, Status, u64)> = {
        let mut s: Vec<_> = a
            .requests()
            .map(|(k, n)| (k.route(), k.status(), n))
            .collect();
        s.sort();
        s
    };
    assert_eq!(
        series,
        [
            (RouteId(1), Status::Code(200), 1),
            (RouteId(2), Status::Code(200), 1),
            (RouteId(2), Status::Code(404), 1)
        ]
    );
    let paths: Vec<(RouteId, u64, u64)> = a
        .paths()
        .map(|(r, p)| (r, p.bytes, p.hist.sum_us()))
        .collect();
    assert_eq!(paths, [(RouteId(1), 7, 2_000), (RouteId(2), 14, 3_000)]);
    assert_eq!(a.lines().total(), 4);
    assert_eq!((a.bytes_read(), a.rotations()), (10, 1));
}

#[test]
fn a_snapshot_converts_back_to_the_same_counts() {
    let c = counted(
        &[
            line("/a", "200", " 0.010"),
            line("/a", "999", ""),
            b"junk".to_vec(),
        ],
        RouteId(1),
    );
    let mut labels = Labels::default();
    labels.insert("/a");
    let snap = c.snapshot(&labels, &Labels::default(), &Labels::default());
    let back = Counts::from_snapshot(
        &snap,
        |l| labels.id(l).expect("known label"),
        |_| RouteId(0),
        |_| RouteId(0),
    )
    .expect("restore");
    assert_eq!(
        back.snapshot(&labels, &Labels::default(), &Labels::default()),
        snap
    );
}

#[test]
fn a_checkpoint_with_labels_this_program_does_not_give_is_refused() {
    let request = |method: &str, status: &str| RequestCount {
        path: "/".into(),
        method: method.into(),
        status: status.into(),
        client: "human".into(),
        count: 1,
    };
    let cases = [
        (
            CountsSnapshot {
                requests: vec![request("BREW", "200")],
                ..CountsSnapshot::default()
            },
            RestoreError::Method("BREW".into()),
        ),
        (
            CountsSnapshot {
                requests: vec![request("GET", "2000")],
                ..CountsSnapshot::default()
            },
            RestoreError::Status("2000".into()),
        ),
        (
            CountsSnapshot {
                requests: vec![RequestCount {
                    client: "robot".into(),
                    ..request("GET", "200")
                }],
                ..CountsSnapshot::default()
            },
            RestoreError::Client("robot".into()),
        ),
        (
            CountsSnapshot {
                lines: [("weird".to_owned(), 1)].into(),
                ..CountsSnapshot::default()
            },
            RestoreError::Outcome("weird".into()),
        ),
        (
            CountsSnapshot {
                paths: vec![PathCounts {
                    path: "/".into(),
                    bytes: 0,
                    duration_buckets: vec![0; 3],
                    duration_count: 0,
                    duration_sum_us: 0,
                }],
                ..CountsSnapshot::default()
            },
            RestoreError::Buckets {
                path: "/".into(),
                found: 3,
                expected: BUCKETS_US.len(),
            },
        ),
    ];
    for (snap, expected) in cases {
        let err = Counts::from_snapshot(&snap, |_| RouteId(1), |_| RouteId(0), |_| RouteId(0))
            .expect_err("refused");
        assert_eq!(err, expected);
    }
}

#[test]
fn a_checkpoint_from_before_client_classes_restores_its_requests_as_other() {
    let json = r#"{"requests": [{"path": "/", "method": "GET", "status": "200", "count": 4}],
        "paths": [], "lines": {}, "bytes_read": 0, "rotations": 0, "last_line_timestamp": null}"#;
    let snap: CountsSnapshot = serde_json::from_str(json).expect("an old checkpoint parses");
    let counts = Counts::from_snapshot(&snap, |_| RouteId(0), |_| RouteId(0), |_| RouteId(0))
        .expect("restores");
    let got: Vec<(Client, u64)> = counts.requests().map(|(k, n)| (k.client(), n)).collect();
    assert_eq!(got, [(Client::Other, 4)]);
}
