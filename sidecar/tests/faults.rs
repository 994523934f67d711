//! Faults the sidecar must survive or stop on (issue 11): its own warnings written into the
//! directory it watches must not wake it into a flood, and a tailing thread that dies must
//! take the process down non-zero (so that Kubernetes restarts it) instead of leaving the
//! server to answer with counts that no longer move.

mod common;

use common::*;
use std::fs;
use std::time::Duration;

#[test]
fn warnings_written_into_the_watched_directory_do_not_flood() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    append_lines(&log, "/a", 1);
    // Sidecar::start puts the sidecar's stderr in `dir`, next to the log it watches.
    let s = Run::log(&log).start(dir.path());
    assert!(s.stderr.starts_with(dir.path()));
    s.wait_for("ready", || s.get("/readyz").map(|r| r.status) == Some(200));
    // A directory where the log was: every poll fails to read it, and each warning is a write
    // into the watched directory.
    fs::rename(&log, dir.path().join("access.log.1")).expect("rotate");
    fs::create_dir(&log).expect("a directory at the log path");
    s.wait_for("the first warning", || {
        s.log_text().contains("cannot read the log")
    });
    std::thread::sleep(Duration::from_secs(3));
    let text = s.log_text();
    let warnings = text.matches("cannot read the log").count();
    assert_eq!(warnings, 1, "{text}");
    assert!(
        text.lines().count() < 30,
        "{} lines:\n{text}",
        text.lines().count()
    );
}

#[test]
fn a_panic_in_the_tailing_thread_stops_the_process_non_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    fs::write(&log, "").expect("log");
    // Test-only fault injection (sidecar/README.md): no real input makes the thread panic.
    let mut s = Run::log(&log)
        .env("TOUCHLINE_SIDECAR_TEST_FAULT", "tail-panic")
        .start(dir.path());
    assert!(s.get("/metrics").is_some(), "serving before the fault");
    append_lines(&log, "/a", 1);
    let status = s.wait_exit();
    assert!(!status.success(), "exit status {status}");
    let text = s.log_text();
    assert!(text.contains("the tailing thread stopped"), "{text}");
    assert!(
        s.get("/metrics").is_none(),
        "still serving after the tailer died"
    );
}
