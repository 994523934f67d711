//! `touchline-sidecar run`'s HTTP server against slow and hostile peers, as a process: a
//! request head that never ends is cut off at `--header-timeout`, and a flood of them is held
//! to `--max-connections` (the rest closed at accept), so descriptors stay bounded and
//! `/metrics` answers again once the slow ones have timed out; and none of them holds up a
//! SIGTERM beyond the shutdown grace.

mod common;

use common::*;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A connection that sends the start of a request head and never the rest.
fn slow_client(s: &Sidecar) -> TcpStream {
    let mut c = TcpStream::connect(s.addr).expect("connect");
    // A connection closed at accept may already be reset: what was sent does not matter.
    let _ = c.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n");
    c
}

/// Whether the server has closed `c` (EOF or a reset) within [`DEADLINE`].
fn closed_by_server(c: &mut TcpStream) -> bool {
    c.set_read_timeout(Some(DEADLINE)).expect("read timeout");
    let mut rest = Vec::new();
    match c.read_to_end(&mut rest) {
        Ok(_) => true,
        Err(e) => matches!(
            e.kind(),
            ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
        ),
    }
}

#[test]
fn a_request_head_that_never_ends_is_cut_off_at_the_header_timeout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Run::log(&dir.path().join("access.log"))
        .flag("--header-timeout", "1s")
        .start(dir.path());
    let start = Instant::now();
    let mut c = slow_client(&s);
    assert!(closed_by_server(&mut c), "still open after {DEADLINE:?}");
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "closed before the timeout: {:?}",
        start.elapsed()
    );
    assert_eq!(s.get("/healthz").map(|r| r.status), Some(200));
}

#[test]
fn slow_clients_over_the_cap_are_closed_at_accept_and_metrics_answers_after_the_timeout() {
    const CAP: usize = 64;
    const SLOW: usize = 300;
    let dir = tempfile::tempdir().expect("tempdir");
    let s = Run::log(&dir.path().join("access.log"))
        .flag("--max-connections", &CAP.to_string())
        .flag("--header-timeout", "2s")
        .start(dir.path());
    let pid = s.child.id();
    let baseline = open_fds(pid);

    let mut slow: Vec<TcpStream> = (0..SLOW).map(|_| slow_client(&s)).collect();
    // Until the slow connections time out every slot is taken: each attempt is closed
    // unanswered. Descriptors are sampled meanwhile.
    let mut most = open_fds(pid);
    s.wait_for("/metrics to answer again", || {
        most = most.max(open_fds(pid));
        s.get("/metrics").is_some_and(|r| r.status == 200)
    });
    most = most.max(open_fds(pid));
    assert!(
        most <= baseline + CAP + 4,
        "{most} descriptors open with {SLOW} slow clients (baseline {baseline}, cap {CAP})"
    );
    let closed = slow.iter_mut().map(closed_by_server).filter(|&c| c).count();
    assert_eq!(closed, SLOW, "slow connections the server closed");
    let m = s.metrics();
    let rejected = sample(&m, "touchline_sidecar_http_connections_rejected_total").unwrap_or(0.0);
    assert!(
        rejected >= (SLOW - CAP) as f64,
        "{rejected} connections counted as closed at accept"
    );
    // Connections end just after the peer sees them closed: wait for the last ones.
    s.wait_for("only the scrape itself open", || {
        sample(&s.metrics(), "touchline_sidecar_http_connections_open") == Some(1.0)
    });
    s.wait_for("descriptors back to the baseline", || {
        open_fds(pid) <= baseline
    });
}

#[test]
fn a_sigterm_with_a_slow_client_connected_still_exits_with_the_final_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let state = dir.path().join("state.json");
    append_lines(&log, "/before-sigterm", 2);
    // A header timeout longer than the test's deadline: only the shutdown grace can end it.
    let s = Run::log(&log)
        .state(&state)
        .flag("--header-timeout", "1h")
        .start(dir.path());
    s.wait_sample(&get_200("/before-sigterm"), 2.0);
    let _slow = slow_client(&s);
    s.wait_for("the slow connection to be served", || {
        sample(&s.metrics(), "touchline_sidecar_http_connections_open") == Some(2.0)
    });
    // terminate() asserts a clean exit within DEADLINE.
    s.terminate();
    let checkpoint = std::fs::read_to_string(&state).expect("the final checkpoint");
    assert!(
        checkpoint.contains(r#""path":"/before-sigterm""#),
        "{checkpoint}"
    );
}
