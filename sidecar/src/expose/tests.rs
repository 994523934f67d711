use super::*;
use crate::parse::parse_line;
use crate::route::RouteId;

#[test]
fn families_without_series_are_left_out() {
    let text = encode_text(&families(
        &Counts::default(),
        &Tables {
            routes: &Labels::default(),
            hosts: &Labels::default(),
            pages: &Labels::default(),
        },
    ))
    .expect("encode");
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .collect();
    assert_eq!(
        names,
        [
            "touchline_log_lines_total counter",
            "touchline_log_bytes_read_total counter",
            "touchline_log_rotations_total counter",
            "touchline_log_losses_total counter"
        ]
    );
}

#[test]
fn every_family_is_described_once_and_built_in_that_order_visitors_last() {
    let mut counts = Counts::default();
    let line = parse_line(
        br#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET / HTTP/1.1" 200 7 "-" "t" 0.004"#,
    )
    .expect("a log line");
    counts.add_line(
        RouteId(0),
        crate::client::Client::Human,
        crate::parse::Method::Get,
        &line,
    );
    counts.add_referral(RouteId(0));
    counts.add_not_found(RouteId(0), crate::missing::Source::None);
    let mut visits = crate::visitors::Visitors::default();
    visits.add(
        line.timestamp,
        RouteId(0),
        crate::visitors::Kind::Human,
        line.remote_addr,
        line.user_agent,
    );
    let built: Vec<String> = families(
        &counts,
        &Tables {
            routes: &Labels::default(),
            hosts: &Labels::default(),
            pages: &Labels::default(),
        },
    )
    .into_iter()
    .chain(visitors::families(&visits, &Labels::default()))
    .map(|f| f.name().to_owned())
    .collect();
    let described: Vec<&str> = ALL.iter().map(|f| f.name).collect();
    assert_eq!(built, described);
}
