//! Rotations while the sidecar is down or stalled (issue 11): every line counted once, and a
//! loss that cannot be avoided counted in `touchline_log_losses_total` and named in a WARN.
//! The writer behaves as nginx does: it keeps its file open (O_APPEND) and reopens the path
//! only on "USR1" ([`Writer::reopen`]); rotations are renames, deletes and copies as logrotate
//! makes them. Each test prints `CASE name sent= counted= lost= counted_as_lost=`.

mod common;

use common::*;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An nginx stand-in: one open log file, lines numbered so that no two are alike.
struct Writer {
    path: PathBuf,
    file: File,
    sent: u64,
}

impl Writer {
    fn new(path: &Path) -> Writer {
        Writer {
            path: path.to_owned(),
            file: open_append(path),
            sent: 0,
        }
    }

    fn write(&mut self, n: u64) {
        let mut buf = String::new();
        for _ in 0..n {
            self.sent += 1;
            buf.push_str(&format!(
                "10.0.0.{} - - [02/Dec/2026:06:00:00 +0000] \"GET /r?id={} HTTP/1.1\" 200 {} \"-\" \"t\" 0.001\n",
                self.sent % 250,
                self.sent,
                self.sent % 997
            ));
        }
        self.file.write_all(buf.as_bytes()).expect("write");
    }

    /// What nginx does on USR1.
    fn reopen(&mut self) {
        self.file = open_append(&self.path);
    }
}

fn open_append(path: &Path) -> File {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open log")
}

const REQ: &str =
    r#"touchline_http_requests_total{path="/r",method="GET",status="200",client="human"}"#;

fn counted(s: &Sidecar) -> f64 {
    sample(&s.metrics(), REQ).unwrap_or(0.0)
}

fn losses(s: &Sidecar) -> f64 {
    family_total(&s.metrics(), "touchline_log_losses_total")
}

/// Waits for the count to settle at `want` (or stay short of it), then reports.
fn settle(s: &Sidecar, case: &str, sent: u64, want: f64) -> (f64, f64) {
    let start = std::time::Instant::now();
    while counted(s) < want && start.elapsed() < Duration::from_secs(8) {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(600));
    let (c, l) = (counted(s), losses(s));
    eprintln!(
        "CASE {case} sent={sent} counted={c} lost={} counted_as_lost={l}",
        sent as f64 - c
    );
    (c, l)
}

fn rotate(log: &Path, to: &Path) {
    fs::rename(log, to).expect("rotate");
}

#[test]
fn two_rotations_while_down_are_read_in_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, state) = (dir.path().join("access.log"), dir.path().join("state.json"));
    let run = Run::log(&log).state(&state);
    let mut w = Writer::new(&log);
    w.write(300);
    let s = run.start(dir.path());
    s.wait_sample(REQ, 300.0);
    w.write(50);
    s.terminate();
    // While down: logrotate rounds with `rotate 2`.
    w.write(40);
    rotate(&log, &dir.path().join("access.log.1"));
    w.reopen();
    w.write(200);
    rotate(
        &dir.path().join("access.log.1"),
        &dir.path().join("access.log.2"),
    );
    rotate(&log, &dir.path().join("access.log.1"));
    w.reopen();
    w.write(70);
    let s = run.start(dir.path());
    let (c, l) = settle(&s, "two-rotations-while-down", w.sent, w.sent as f64);
    assert_eq!((c, l), (w.sent as f64, 0.0));
}

#[test]
fn a_reused_inode_is_not_resumed_at_the_old_offset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, state) = (dir.path().join("access.log"), dir.path().join("state.json"));
    let old = dir.path().join("access.log.1");
    let run = Run::log(&log).state(&state);
    let mut w = Writer::new(&log);
    w.write(2000);
    let s = run.start(dir.path());
    s.wait_sample(REQ, 2000.0);
    s.terminate();
    // While down, two `rotate 1` rounds: the checkpointed file is renamed, then deleted (by
    // the second rename over it), and ext4 may give its inode to the new log.
    rotate(&log, &old);
    w.reopen();
    w.write(500);
    rotate(&log, &old);
    w.reopen();
    w.write(2500);
    let s = run.start(dir.path());
    let (c, l) = settle(&s, "inode-reuse", w.sent, w.sent as f64);
    // The checkpointed file was read to its end, then deleted: its lines after the offset (if
    // any: the sidecar cannot know) are counted as lost once; every other line counts.
    assert_eq!(c, w.sent as f64);
    assert_eq!(l, 1.0);
    let text = s.log_text();
    assert!(
        text.contains("lines after the checkpoint, if any, are lost"),
        "{text}"
    );
}

#[test]
fn two_rotations_while_stalled_lose_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let mut w = Writer::new(&log);
    let s = Run::log(&log).start(dir.path());
    w.write(100);
    s.wait_sample(REQ, 100.0);
    s.signal(rustix::process::Signal::STOP);
    w.write(30);
    rotate(&log, &dir.path().join("access.log.1"));
    w.reopen();
    w.write(120);
    std::thread::sleep(Duration::from_millis(300));
    rotate(
        &dir.path().join("access.log.1"),
        &dir.path().join("access.log.2"),
    );
    rotate(&log, &dir.path().join("access.log.1"));
    w.reopen();
    w.write(60);
    std::thread::sleep(Duration::from_millis(200));
    s.signal(rustix::process::Signal::CONT);
    let (c, l) = settle(&s, "two-rotations-while-stalled", w.sent, w.sent as f64);
    assert_eq!((c, l), (w.sent as f64, 0.0), "{}", s.log_text());
    assert_eq!(
        sample(&s.metrics(), "touchline_log_rotations_total"),
        Some(2.0)
    );
}

#[test]
fn copytruncate_while_down_regrown_past_the_offset_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, state) = (dir.path().join("access.log"), dir.path().join("state.json"));
    let run = Run::log(&log).state(&state);
    let mut w = Writer::new(&log);
    w.write(1000);
    let s = run.start(dir.path());
    s.wait_sample(REQ, 1000.0);
    s.terminate();
    w.write(200);
    fs::copy(&log, dir.path().join("access.log.1")).expect("copy");
    w.file.set_len(0).expect("truncate");
    w.write(2500); // past the checkpointed offset
    let s = run.start(dir.path());
    let (c, l) = settle(&s, "copytruncate-while-down", w.sent, w.sent as f64);
    assert_eq!((c, l), (w.sent as f64, 0.0));
}

#[test]
fn a_log_deleted_while_down_is_counted_as_lost_and_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, state) = (dir.path().join("access.log"), dir.path().join("state.json"));
    let run = Run::log(&log).state(&state);
    let mut w = Writer::new(&log);
    w.write(100);
    let s = run.start(dir.path());
    s.wait_sample(REQ, 100.0);
    s.terminate();
    w.write(40); // never read: deleted before the restart
    fs::remove_file(&log).expect("rm");
    w.reopen();
    w.write(25);
    let s = run.start(dir.path());
    let (c, l) = settle(&s, "delete-while-down", w.sent, 125.0);
    assert_eq!((c, l), (125.0, 1.0));
    assert_eq!(
        sample(
            &s.metrics(),
            r#"touchline_log_losses_total{reason="deleted"}"#
        ),
        Some(1.0)
    );
    assert!(s.log_text().contains("access.log"));
}

#[test]
fn a_rotated_file_compressed_while_down_is_read_from_the_checkpoint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (log, state) = (dir.path().join("access.log"), dir.path().join("state.json"));
    let run = Run::log(&log).state(&state);
    let mut w = Writer::new(&log);
    w.write(500);
    let s = run.start(dir.path());
    s.wait_sample(REQ, 500.0);
    s.terminate();
    w.write(80);
    let rotated = dir.path().join("access.log-20261202");
    rotate(&log, &rotated);
    w.reopen();
    w.write(30);
    let raw = fs::read(&rotated).expect("read");
    let gz = File::create(dir.path().join("access.log-20261202.gz")).expect("create");
    let mut z = flate2::write::GzEncoder::new(gz, flate2::Compression::fast());
    z.write_all(&raw).expect("gzip");
    z.finish().expect("gzip");
    fs::remove_file(&rotated).expect("rm");
    let s = run.start(dir.path());
    let (c, l) = settle(&s, "gz-while-down", w.sent, w.sent as f64);
    assert_eq!((c, l), (w.sent as f64, 0.0));
}

#[test]
fn readyz_is_503_while_the_log_cannot_be_read_and_200_again_after() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let mut w = Writer::new(&log);
    w.write(10);
    let s = Run::log(&log).start(dir.path());
    let status = |s: &Sidecar| s.get("/readyz").map(|r| r.status);
    s.wait_for("ready", || status(&s) == Some(200));
    rotate(&log, &dir.path().join("access.log.1"));
    fs::create_dir(&log).expect("a directory where the log was");
    s.wait_for("503 while unreadable", || status(&s) == Some(503));
    fs::remove_dir(&log).expect("rmdir");
    w.reopen();
    w.write(5);
    s.wait_for("200 again", || status(&s) == Some(200));
    // Without --state only lines written after the start count.
    assert_eq!(s.wait_sample(REQ, 5.0), 5.0);
    let warnings = s.log_text().matches("cannot read the log").count();
    assert!(warnings <= 2, "{warnings} warnings");
}

#[test]
fn a_final_checkpoint_that_cannot_be_written_exits_non_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let state_dir = dir.path().join("state");
    fs::create_dir(&state_dir).expect("mkdir");
    let state = state_dir.join("state.json");
    let mut w = Writer::new(&log);
    w.write(10);
    let s = Run::log(&log).state(&state).start(dir.path());
    s.wait_sample(REQ, 10.0);
    s.wait_for("a first checkpoint", || state.exists());
    fs::remove_dir_all(&state_dir).expect("the state folder goes away");
    w.write(3);
    s.wait_sample(REQ, 13.0);
    s.wait_sample("touchline_checkpoint_age_seconds", 2.0);
    let status = s.terminate_status();
    assert!(!status.success(), "exit status {status}");
}

#[test]
fn a_stale_checkpoint_withdraws_readiness() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let state_dir = dir.path().join("state");
    fs::create_dir(&state_dir).expect("mkdir");
    let state = state_dir.join("state.json");
    let mut w = Writer::new(&log);
    w.write(10);
    let s = Run::log(&log).state(&state).start(dir.path());
    s.wait_for("ready", || s.get("/readyz").map(|r| r.status) == Some(200));
    fs::remove_dir_all(&state_dir).expect("the state folder goes away");
    w.write(3);
    // STALE_CHECKPOINT is 10 s.
    std::thread::sleep(Duration::from_secs(11));
    assert_eq!(s.get("/readyz").map(|r| r.status), Some(503));
}

#[test]
fn copytruncate_while_running_reads_the_unread_lines_from_the_copy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let mut w = Writer::new(&log);
    let s = Run::log(&log).start(dir.path());
    w.write(300);
    s.wait_sample(REQ, 300.0);
    // Stalled, so that lines are written between its last read and the truncation.
    s.signal(rustix::process::Signal::STOP);
    w.write(120);
    fs::copy(&log, dir.path().join("access.log.1")).expect("copy");
    w.file.set_len(0).expect("truncate");
    w.write(40);
    s.signal(rustix::process::Signal::CONT);
    let (c, l) = settle(&s, "copytruncate-while-running", w.sent, w.sent as f64);
    assert_eq!((c, l), (w.sent as f64, 0.0), "{}", s.log_text());
}

#[test]
fn a_truncation_while_running_without_a_copy_is_counted_as_lost_and_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("access.log");
    let mut w = Writer::new(&log);
    let s = Run::log(&log).start(dir.path());
    w.write(300);
    s.wait_sample(REQ, 300.0);
    s.signal(rustix::process::Signal::STOP);
    w.write(120); // gone with the truncation: no copy
    w.file.set_len(0).expect("truncate");
    w.write(40);
    s.signal(rustix::process::Signal::CONT);
    let (c, _) = settle(&s, "truncate-while-running-no-copy", w.sent, 340.0);
    assert_eq!(c, 340.0);
    assert_eq!(
        sample(
            &s.metrics(),
            r#"touchline_log_losses_total{reason="truncated"}"#
        ),
        Some(1.0)
    );
    let text = s.log_text();
    assert!(
        text.lines()
            .any(|l| l.contains("WARN") && l.contains("access.log") && l.contains("lost")),
        "{text}"
    );
}
