//! `touchline-sidecar run` as a process: HTTP endpoints, tailing, and exact counts across
//! restarts.

mod common;

use common::*;
use std::fs;
use std::os::unix::fs::MetadataExt;

fn manifest(dir: &std::path::Path) -> std::path::PathBuf {
    let p = dir.join("_routes.json");
    fs::write(
        &p,
        r#"{"pages": ["/", "/gandalf", "/tasks"], "files": ["/robots.txt"], "assets_prefix": "/assets/"}"#,
    )
    .expect("manifest");
    p
}

#[test]
fn metrics_are_text_format_0_0_4() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let s = Run::log(&log).start(dir.path());
    let r = s.get("/metrics").expect("response");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/plain; version=0.0.4"));
    assert!(r.body.contains("process_resident_memory_bytes"));
}

#[test]
fn unknown_paths_are_404() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let s = Run::log(&log).start(dir.path());
    assert_eq!(s.get("/nope").map(|r| r.status), Some(404));
    assert_eq!(s.get("/metrics/x").map(|r| r.status), Some(404));
}

#[test]
fn readyz_waits_for_the_log_to_exist() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let s = Run::log(&log).start(dir.path());
    assert_eq!(s.get("/readyz").map(|r| r.status), Some(503));
    append_lines(&log, "/", 1);
    s.wait_for("/readyz 200", || {
        s.get("/readyz").map(|r| r.status) == Some(200)
    });
}

#[test]
fn appended_lines_show_up_per_route() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let routes = manifest(dir.path());
    let s = Run::log(&log).routes(&routes).start(dir.path());
    assert_eq!(
        sample(&s.metrics(), &get_200("/tasks")),
        Some(0.0),
        "routes exist from the start"
    );
    append_lines(&log, "/gandalf/", 3);
    append_lines(&log, "/tasks", 2);
    assert_eq!(s.wait_sample(&get_200("/tasks"), 2.0), 2.0);
    assert_eq!(sample(&s.metrics(), &get_200("/gandalf")), Some(3.0));
}

#[test]
fn the_exposition_passes_promtool() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let routes = manifest(dir.path());
    let s = Run::log(&log).routes(&routes).start(dir.path());
    append_lines(&log, "/gandalf", 2);
    fs::write(dir.path().join("junk"), "").expect("write");
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("open");
    std::io::Write::write_all(&mut f, b"not a log line\n").expect("write");
    s.wait_sample(r#"touchline_log_lines_total{outcome="syntax"}"#, 1.0);
    assert_eq!(promtool_check(&s.metrics()), "");
}

#[test]
fn several_logs_are_followed_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    let s = Run::log(&a).and_log(&b).start(dir.path());
    append_lines(&a, "/x", 2);
    append_lines(&b, "/x", 3);
    assert_eq!(s.wait_sample(&get_200("/x"), 5.0), 5.0);
}

#[test]
fn counts_are_exact_across_a_sigterm_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let state = dir.path().join("state.json");
    let run = Run::log(&log).state(&state);
    append_lines(&log, "/a", 100);
    let s = run.start(dir.path());
    s.wait_sample(&get_200("/a"), 100.0);
    append_lines(&log, "/a", 10);
    s.terminate();
    append_lines(&log, "/a", 25); // while the sidecar is down
    let s = run.start(dir.path());
    assert_eq!(s.wait_sample(&get_200("/a"), 135.0), 135.0);
    s.wait_for("readiness", || {
        s.get("/readyz").map(|r| r.status) == Some(200)
    });
    assert_eq!(sample(&s.metrics(), &get_200("/a")), Some(135.0));
}

#[test]
fn counts_are_exact_across_sigkill_restarts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let state = dir.path().join("state.json");
    let run = Run::log(&log).state(&state);
    let mut written = 0.0;
    for round in 0..4 {
        let s = run.start(dir.path());
        append_lines(&log, "/k", 500);
        written += 500.0;
        // Kill at various points: mid-read, right after reading, after a checkpoint.
        if round % 2 == 0 {
            s.wait_sample(&get_200("/k"), written);
        }
        s.kill();
    }
    let s = run.start(dir.path());
    assert_eq!(s.wait_sample(&get_200("/k"), written), written);
    let m = s.metrics();
    assert_eq!(
        sample(&m, r#"touchline_log_lines_total{outcome="parsed"}"#),
        Some(written)
    );
    assert_eq!(
        sample(&m, "touchline_log_bytes_read_total"),
        Some(fs::metadata(&log).expect("stat").len() as f64)
    );
}

/// Appends one line per (address, user agent) visitor, all on the same UTC day.
fn append_visits(log: &std::path::Path, visitors: &[(&str, &str)]) {
    use std::io::Write;
    let mut f = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("open log");
    for (addr, ua) in visitors {
        writeln!(
            f,
            r#"{addr} - - [23/Nov/2026:15:32:11 +0000] "GET /gandalf HTTP/1.1" 200 100 "-" "{ua}" 0.002"#
        )
        .expect("append");
    }
}

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
const SAFARI: &str =
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) Version/17.5 Safari/604.1";

#[test]
fn visitors_seen_before_a_sigkill_are_not_counted_again_the_same_day() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let state = dir.path().join("state.json");
    let run = Run::log(&log).state(&state);
    let first = [
        ("198.51.100.7", FIREFOX),
        ("198.51.100.7", SAFARI),
        ("198.51.100.8", FIREFOX),
    ];
    let s = run.start(dir.path());
    append_visits(&log, &first);
    append_visits(&log, &first);
    s.wait_sample(r#"touchline_site_visitors_today{client_kind="human"}"#, 3.0);
    // Killed once a checkpoint holds the visitors, so the restart cannot simply recount the log.
    s.wait_for("a checkpoint of all 6 lines", || {
        fs::read_to_string(&state).is_ok_and(|t| t.contains(r#""parsed":6"#))
    });
    s.kill();
    let checkpoint = fs::read_to_string(&state).expect("checkpoint");
    assert!(
        !checkpoint.contains("198.51.100"),
        "no address in the state file"
    );

    // One visitor again and one new: 4 with the sets and key restored; 2 if the sets were lost,
    // 5 if the key were (the returning visitor would hash anew).
    let s = run.start(dir.path());
    append_visits(&log, &[first[0], ("198.51.100.9", SAFARI)]);
    s.wait_sample(r#"touchline_log_lines_total{outcome="parsed"}"#, 8.0);
    let m = s.metrics();
    assert_eq!(
        sample(&m, r#"touchline_site_visitors_today{client_kind="human"}"#),
        Some(4.0),
        "{m}"
    );
    assert_eq!(
        sample(
            &m,
            r#"touchline_visitors_today{path="/gandalf",client_kind="human"}"#
        ),
        Some(4.0)
    );
}

#[test]
fn a_rename_rotation_while_running_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let s = Run::log(&log).start(dir.path());
    append_lines(&log, "/r", 10);
    s.wait_sample(&get_200("/r"), 10.0);
    fs::rename(&log, dir.path().join("access.log.1")).expect("rename");
    append_lines(&dir.path().join("access.log.1"), "/r", 5);
    append_lines(&log, "/r", 7);
    assert_eq!(s.wait_sample(&get_200("/r"), 22.0), 22.0);
    s.wait_sample("touchline_log_rotations_total", 1.0);
}

#[test]
fn reclaim_frees_disk_blocks_and_counts_stay_exact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let state = dir.path().join("state.json");
    let run = Run::log(&log).state(&state).reclaim();
    append_lines(&log, "/big", 40_000);
    let blocks_before = fs::metadata(&log).expect("stat").blocks();
    let s = run.start(dir.path());
    s.wait_sample(&get_200("/big"), 40_000.0);
    s.wait_for("blocks to be punched", || {
        fs::metadata(&log).expect("stat").blocks() * 10 < blocks_before
    });
    append_lines(&log, "/big", 5);
    assert_eq!(s.wait_sample(&get_200("/big"), 40_005.0), 40_005.0);
    s.kill();
    let s = run.start(dir.path());
    append_lines(&log, "/big", 1);
    assert_eq!(s.wait_sample(&get_200("/big"), 40_006.0), 40_006.0);
}

/// Peak resident memory of a process, from /proc.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

#[test]
fn memory_stays_bounded_on_a_huge_line_and_a_flood_of_distinct_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let s = Run::log(&log).start(dir.path());
    {
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .expect("open");
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..100 {
            std::io::Write::write_all(&mut f, &chunk).expect("write");
        }
        std::io::Write::write_all(&mut f, b"\n").expect("write");
        let mut junk = String::new();
        for i in 0..200_000 {
            junk.push_str(&format!(
                "127.0.0.1 - - [23/Nov/2026:15:32:11 +0000] \"GET /junk/{i} HTTP/1.1\" 404 0 \"-\" \"-\" 0.000\n"
            ));
        }
        std::io::Write::write_all(&mut f, junk.as_bytes()).expect("write");
    }
    s.wait_sample(r#"touchline_log_lines_total{outcome="parsed"}"#, 200_000.0);
    let m = s.metrics();
    assert_eq!(
        sample(&m, r#"touchline_log_lines_total{outcome="too_long"}"#),
        Some(1.0)
    );
    let series = m
        .lines()
        .filter(|l| l.starts_with("touchline_http_requests_total{"))
        .count();
    assert_eq!(series, 501, "500 distinct paths, then other");
    let peak = peak_rss_kib(s.child.id());
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB");
}

#[test]
fn a_sigterm_right_after_the_first_answer_still_writes_the_final_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let state = dir.path().join("state.json");
    append_lines(&log, "/early", 3);
    // start() returns as soon as /healthz has answered once.
    Run::log(&log).state(&state).start(dir.path()).terminate();
    let checkpoint = fs::read_to_string(&state).expect("the final checkpoint");
    assert!(checkpoint.contains(r#""path":"/early""#), "{checkpoint}");
}

#[test]
fn head_metrics_answers_like_get_without_a_body() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Run::log(&dir.path().join("access.log")).start(dir.path());
    let mut c = std::net::TcpStream::connect(s.addr).expect("connect");
    write!(
        c,
        "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut raw = String::new();
    c.read_to_string(&mut raw).expect("read");
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(raw.contains("text/plain; version=0.0.4"), "{raw}");
    assert!(raw.ends_with("\r\n\r\n"), "no body: {raw}");
}
