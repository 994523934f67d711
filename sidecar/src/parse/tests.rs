use super::*;
use proptest::prelude::*;

const TOUCHLINE: &[u8] = br#"203.0.113.7 - - [23/Nov/2026:15:32:11 +0000] "GET /gandalf HTTP/1.1" 200 5120 "https://touchline.example/" "Mozilla/5.0 (X11; Linux x86_64)" 0.003"#;
const COMBINED: &[u8] = br#"203.0.113.7 - alice [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#;

fn ok(line: &[u8]) -> LogLine<'_> {
    match parse_line(line) {
        Ok(l) => l,
        Err(e) => panic!("{:?} did not parse: {e:?}", String::from_utf8_lossy(line)),
    }
}

fn with_request(request: &str) -> Vec<u8> {
    format!(r#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "{request}" 400 150 "-" "-" 0.000"#)
        .into_bytes()
}

#[test]
fn touchline_format_yields_every_field() {
    let l = ok(TOUCHLINE);
    assert_eq!(l.remote_addr, b"203.0.113.7");
    assert_eq!(l.remote_user, b"-");
    assert_eq!(l.timestamp, 1_795_447_931);
    assert_eq!(l.request, b"GET /gandalf HTTP/1.1");
    assert_eq!(l.status, Status::Code(200));
    assert_eq!(l.body_bytes, 5120);
    assert_eq!(l.referer, b"https://touchline.example/");
    assert_eq!(l.user_agent, b"Mozilla/5.0 (X11; Linux x86_64)");
    assert_eq!(l.request_time, Some(Duration::from_millis(3)));
}

#[test]
fn combined_format_has_no_request_time() {
    let l = ok(COMBINED);
    assert_eq!(l.remote_user, b"alice");
    assert_eq!(l.timestamp, 971_211_336);
    assert_eq!(l.request_time, None);
    assert_eq!(l.user_agent, b"Mozilla/4.08 [en] (Win98; I ;Nav)");
}

#[test]
fn request_line_splits_into_method_target_protocol() {
    let r = ok(TOUCHLINE).request_line().expect("request line");
    assert_eq!(
        (r.method, r.target, r.protocol),
        (&b"GET"[..], &b"/gandalf"[..], &b"HTTP/1.1"[..])
    );
}

#[test]
fn hex_escapes_in_any_case_stay_inside_their_field() {
    let line = br#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET /a\x22b\xE2\x82\xac HTTP/1.1" 404 0 "x\x22y" "ua \xf0\x9f\x98\x80" 0.001"#;
    let l = ok(line);
    assert_eq!(l.request, br"GET /a\x22b\xE2\x82\xac HTTP/1.1");
    assert_eq!(l.referer, br"x\x22y");
    assert_eq!(l.status, Status::Code(404));
}

#[test]
fn apache_backslash_quote_escapes_do_not_end_a_field() {
    let line =
        br#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET /q HTTP/1.1" 200 1 "-" "say \"hi\"""#;
    assert_eq!(ok(line).user_agent, br#"say \"hi\""#);
}

#[test]
fn ipv6_and_unix_socket_clients_parse() {
    for addr in ["2001:db8::1", "::1", "unix:"] {
        let line =
            format!(r#"{addr} - - [23/Nov/2026:15:32:11 +0000] "GET / HTTP/2.0" 200 1 "-" "-""#);
        assert_eq!(ok(line.as_bytes()).remote_addr, addr.as_bytes());
    }
}

#[test]
fn dash_empty_and_binary_request_lines_parse_but_have_no_request_line() {
    for req in ["-", "", r"\x16\x03\x01\x02\x00\x01\x00\x01\xFC\x03\x03"] {
        let line = with_request(req);
        let l = ok(&line);
        assert_eq!(l.status, Status::Code(400));
        assert_eq!(l.request_line(), None, "{req}");
    }
}

#[test]
fn absolute_form_connect_and_options_star_are_request_lines() {
    for (req, target) in [
        (
            "GET http://touchline.example/gandalf?x=1 HTTP/1.1",
            "http://touchline.example/gandalf?x=1",
        ),
        (
            "CONNECT touchline.example:443 HTTP/1.1",
            "touchline.example:443",
        ),
        ("OPTIONS * HTTP/1.1", "*"),
        ("GET /old", "/old"),
    ] {
        let line = with_request(req);
        let r = ok(&line).request_line().expect("request line");
        assert_eq!(r.target, target.as_bytes());
    }
}

#[test]
fn unusual_statuses_are_codes_and_out_of_range_ones_invalid() {
    for (s, want) in [
        ("000", Status::Code(0)),
        ("444", Status::Code(444)),
        ("499", Status::Code(499)),
        ("600", Status::Invalid),
        ("20", Status::Invalid),
        ("abc", Status::Invalid),
    ] {
        let line =
            format!(r#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET / HTTP/1.1" {s} 0 "-" "-""#);
        assert_eq!(ok(line.as_bytes()).status, want, "{s}");
    }
}

#[test]
fn a_dash_body_size_reads_as_zero() {
    let line = br#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET / HTTP/1.1" 304 - "-" "-""#;
    assert_eq!(ok(line).body_bytes, 0);
}

#[test]
fn a_huge_query_string_parses() {
    let req = format!("GET /search?q={} HTTP/1.1", "x".repeat(30_000));
    let line = with_request(&req);
    assert_eq!(ok(&line).request.len(), req.len());
}

#[test]
fn a_trailing_carriage_return_is_ignored() {
    let mut line = TOUCHLINE.to_vec();
    line.push(b'\r');
    assert_eq!(ok(&line).request_time, Some(Duration::from_millis(3)));
}

#[test]
fn malformed_lines_report_their_reason() {
    let cases: [(&[u8], Malformed); 8] = [
        (b"", Malformed::Empty),
        (b"   ", Malformed::Empty),
        (b"hello world", Malformed::Syntax),
        (
            br#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET / HTTP/1.1" 200 12"#,
            Malformed::Syntax,
        ),
        (
            br#"10.0.0.1 - - [32/Nov/2026:15:32:11 +0000] "GET / HTTP/1.1" 200 1 "-" "-""#,
            Malformed::Timestamp,
        ),
        (
            br#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET / HTTP/1.1" 200 1k "-" "-""#,
            Malformed::Bytes,
        ),
        (
            br#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET / HTTP/1.1" 200 1 "-" "-" fast"#,
            Malformed::RequestTime,
        ),
        (
            br#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET / HTTP/1.1 200 1 "-" "-""#,
            Malformed::Syntax,
        ),
    ];
    for (line, want) in cases {
        assert_eq!(
            parse_line(line),
            Err(want),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn a_truncated_line_is_malformed() {
    assert_eq!(parse_line(&TOUCHLINE[..60]), Err(Malformed::Syntax));
}

#[test]
fn a_line_over_the_limit_is_too_long() {
    let line = with_request(&format!("GET /{} HTTP/1.1", "a".repeat(MAX_LINE)));
    assert_eq!(parse_line(&line), Err(Malformed::TooLong));
}

#[test]
fn time_zones_shift_the_timestamp() {
    assert_eq!(parse_time_local(b"01/Jan/1970:00:00:00 +0000"), Some(0));
    assert_eq!(parse_time_local(b"01/Jan/1970:01:00:00 +0100"), Some(0));
    assert_eq!(
        parse_time_local(b"29/Feb/2024:12:00:00 -0530"),
        Some(1_709_227_800)
    );
}

#[test]
fn methods_fold_to_standard_ones_or_other() {
    assert_eq!(Method::from_bytes(b"PATCH"), Method::Patch);
    assert_eq!(Method::from_bytes(b"get"), Method::Other);
    assert_eq!(Method::from_bytes(b"PROPFIND"), Method::Other);
}

#[test]
fn labels_read_back_to_the_same_values() {
    for m in Method::ALL {
        assert_eq!(Method::from_label(m.as_str()), Some(m));
    }
    for m in Malformed::ALL {
        assert_eq!(Malformed::from_label(m.as_str()), Some(m));
    }
    for s in [Status::Code(0), Status::Code(404), Status::Invalid] {
        assert_eq!(Status::from_label(&s.label()), Some(s));
    }
}

/// A field as nginx would log it inside quotes: printable ASCII without `"` or `\`, or escapes.
fn quoted_field() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[ !#-\\[\\]-~]".prop_map(|s| s),
            any::<u8>().prop_map(|b| format!("\\x{b:02X}")),
        ],
        0..40,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn any_bytes_parse_or_are_malformed_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_line(&bytes);
        if let Ok(l) = parse_line(&bytes) {
            let _ = l.request_line();
        }
    }

    #[test]
    fn mutated_valid_lines_never_panic(cut in 0..TOUCHLINE.len(), byte in any::<u8>()) {
        let mut line = TOUCHLINE.to_vec();
        line[cut] = byte;
        let _ = parse_line(&line);
        let _ = parse_line(&TOUCHLINE[..cut]);
    }

    #[test]
    fn combined_lines_round_trip_to_their_fields(
        addr in prop_oneof!["[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}", "[0-9a-f:]{2,20}", Just("unix:".to_owned())],
        user in prop_oneof![Just("-".to_owned()), "[a-z]{1,10}"],
        secs in 0i64..4_102_444_800,
        request in quoted_field(),
        status in 0u16..600,
        bytes in any::<u32>(),
        referer in quoted_field(),
        agent in quoted_field(),
        millis in prop::option::of(0u64..100_000),
    ) {
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        let month = ["Jan","Feb","Mar","Apr","May","Jun","Jul","Aug","Sep","Oct","Nov","Dec"][(m - 1) as usize];
        let time = format!("{d:02}/{month}/{y:04}:{:02}:{:02}:{:02} +0000", rem / 3600, rem % 3600 / 60, rem % 60);
        let mut line = format!(r#"{addr} - {user} [{time}] "{request}" {status:03} {bytes} "{referer}" "{agent}""#);
        if let Some(ms) = millis {
            line.push_str(&format!(" {}.{:03}", ms / 1000, ms % 1000));
        }
        let l = parse_line(line.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e:?}: {line}")))?;
        prop_assert_eq!(l.remote_addr, addr.as_bytes());
        prop_assert_eq!(l.remote_user, user.as_bytes());
        prop_assert_eq!(l.timestamp, secs);
        prop_assert_eq!(l.request, request.as_bytes());
        prop_assert_eq!(l.status, Status::Code(status));
        prop_assert_eq!(l.body_bytes, u64::from(bytes));
        prop_assert_eq!(l.referer, referer.as_bytes());
        prop_assert_eq!(l.user_agent, agent.as_bytes());
        prop_assert_eq!(l.request_time, millis.map(Duration::from_millis));
    }
}

/// Inverse of `days_from_civil`, for building test timestamps.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}
