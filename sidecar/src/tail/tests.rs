use super::*;
use crate::count::CountsSnapshot;
use crate::parse::MAX_LINE;
use crate::route::Router;
use std::io::Write;
use std::os::unix::fs::MetadataExt;

struct Fixture {
    dir: tempfile::TempDir,
    agg: Mutex<Tally>,
    buf: Vec<u8>,
    t0: Instant,
    written: u64,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().expect("tempdir"),
            agg: Mutex::new(Tally::new(Router::open(100))),
            buf: vec![0; 4096],
            t0: Instant::now(),
            written: 0,
        }
    }

    /// A fixture whose follower, reading its log from the beginning, has counted `n` lines.
    fn counting(n: u64) -> (Fixture, PathBuf, Follower) {
        let mut fx = Fixture::new();
        let log = fx.log();
        let mut f = Follower::new(log.clone(), Start::Beginning);
        fx.append(&log, n);
        fx.poll(&mut f, Duration::ZERO);
        (fx, log, f)
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("access.log")
    }

    /// Appends `n` complete lines to `path` (created if missing), as nginx would.
    fn append(&mut self, path: &Path, n: u64) {
        let mut lines = Vec::new();
        for _ in 0..n {
            self.written += 1;
            writeln!(
                lines,
                r#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET /line/{} HTTP/1.1" 200 5 "-" "test" 0.001"#,
                self.written % 7
            )
            .expect("write");
        }
        self.append_raw(path, &lines);
    }

    /// Appends `bytes` to `path` (created if missing).
    fn append_raw(&self, path: &Path, bytes: &[u8]) {
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("open");
        f.write_all(bytes).expect("write");
    }

    fn poll(&mut self, f: &mut Follower, after: Duration) {
        while f
            .poll(self.t0 + after, &self.agg, &mut self.buf)
            .expect("poll")
        {}
    }

    fn counted(&self) -> u64 {
        self.agg.lock().expect("lock").total_lines()
    }

    fn snapshot(&self) -> CountsSnapshot {
        self.agg.lock().expect("lock").snapshot()
    }

    fn rotations(&self) -> u64 {
        self.snapshot().rotations
    }
}

/// Truncates `path` to nothing in place, as logrotate's copytruncate does.
fn truncate(path: &Path) {
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open")
        .set_len(0)
        .expect("truncate");
}

#[test]
fn appended_lines_are_counted() {
    let mut fx = Fixture::new();
    let mut f = Follower::new(fx.log(), Start::Beginning);
    fx.append(&fx.log(), 3);
    fx.poll(&mut f, Duration::ZERO);
    fx.append(&fx.log(), 2);
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!(fx.counted(), 5);
    assert!(f.is_caught_up());
}

#[test]
fn a_partial_line_waits_for_its_newline() {
    let mut fx = Fixture::new();
    let mut f = Follower::new(fx.log(), Start::Beginning);
    fx.append_raw(
        &fx.log(),
        br#"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] "GET / HT"#,
    );
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!(fx.counted(), 0);
    assert_eq!(f.positions()[0].offset, 0);
    fx.append_raw(&fx.log(), b"TP/1.1\" 200 1 \"-\" \"-\"\n");
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!(fx.snapshot().lines["parsed"], 1);
}

#[test]
fn without_state_existing_lines_are_skipped() {
    let mut fx = Fixture::new();
    fx.append(&fx.log(), 4);
    let mut f = Follower::new(fx.log(), Start::End);
    fx.poll(&mut f, Duration::ZERO);
    fx.append(&fx.log(), 1);
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!(fx.counted(), 1);
}

#[test]
fn a_missing_log_is_waited_for() {
    let mut fx = Fixture::new();
    let mut f = Follower::new(fx.log(), Start::End);
    fx.poll(&mut f, Duration::ZERO);
    assert!(!f.is_caught_up());
    fx.append(&fx.log(), 2);
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!(
        fx.counted(),
        2,
        "a log created after start is read from its beginning"
    );
    assert!(f.is_caught_up());
}

#[test]
fn rename_rotation_counts_lines_written_before_and_after_nginx_reopens() {
    let (mut fx, log, mut f) = Fixture::counting(3);
    let old = fx.dir.path().join("access.log.1");
    fs::rename(&log, &old).expect("rename");
    fx.append(&old, 2); // nginx still writes to the renamed file until USR1
    fx.poll(&mut f, Duration::ZERO);
    fs::File::create(&log).expect("create"); // logrotate `create`
    fx.append(&old, 1);
    fx.poll(&mut f, Duration::ZERO);
    fx.append(&old, 1); // the last line before the reopen
    fx.append(&log, 4); // nginx has reopened
    fx.poll(&mut f, Duration::from_millis(100));
    assert_eq!(fx.counted(), 11);
    assert_eq!(
        f.positions().len(),
        2,
        "the old file is drained until quiet"
    );
    fx.poll(&mut f, Duration::from_secs(2));
    assert_eq!(f.positions().len(), 1);
    fx.append(&log, 1);
    fx.poll(&mut f, Duration::from_secs(2));
    assert_eq!(fx.counted(), 12);
    assert_eq!(fx.rotations(), 1);
}

#[test]
fn delete_and_recreate_counts_every_line() {
    let (mut fx, log, mut f) = Fixture::counting(3);
    fx.append(&log, 1);
    fs::remove_file(&log).expect("remove");
    fx.append(&log, 2);
    fx.poll(&mut f, Duration::ZERO);
    fx.poll(&mut f, Duration::from_secs(2));
    assert_eq!(fx.counted(), 6);
    assert_eq!(fx.rotations(), 1);
}

#[test]
fn copytruncate_does_not_count_twice() {
    let (mut fx, log, mut f) = Fixture::counting(5);
    fs::copy(&log, fx.dir.path().join("access.log.1")).expect("copy");
    truncate(&log);
    fx.append(&log, 2);
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!(fx.counted(), 7);
    assert_eq!(fx.rotations(), 1);
}

impl Fixture {
    /// Files counted as lost for `reason`.
    fn losses(&self, reason: &str) -> u64 {
        self.snapshot().losses.get(reason).copied().unwrap_or(0)
    }
}

/// Writes a gzip copy of `from` at `to`, as logrotate's `compress` does.
fn gzip(from: &Path, to: &Path) {
    let raw = fs::read(from).expect("read");
    let mut z = flate2::write::GzEncoder::new(
        fs::File::create(to).expect("create"),
        flate2::Compression::fast(),
    );
    z.write_all(&raw).expect("gzip");
    z.finish().expect("gzip");
}

#[test]
fn copytruncate_lines_written_after_the_last_read_are_read_from_the_copy() {
    let (mut fx, log, mut f) = Fixture::counting(5);
    fx.append(&log, 3); // not read before the truncation
    fs::copy(&log, fx.dir.path().join("access.log.1")).expect("copy");
    truncate(&log);
    fx.append(&log, 2);
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!((fx.counted(), fx.losses("truncated")), (10, 0));
}

#[test]
fn copytruncate_regrown_past_the_read_position_reads_the_rest_from_the_copy() {
    let (mut fx, log, mut f) = Fixture::counting(3);
    fx.append(&log, 2);
    fs::copy(&log, fx.dir.path().join("access.log.1")).expect("copy");
    truncate(&log);
    fx.append(&log, 9);
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!((fx.counted(), fx.losses("truncated")), (14, 0));
}

#[test]
fn copytruncate_with_a_compressed_copy_reads_the_rest_from_it() {
    let (mut fx, log, mut f) = Fixture::counting(5);
    fx.append(&log, 3);
    gzip(&log, &fx.dir.path().join("access.log.1.gz"));
    truncate(&log);
    fx.append(&log, 2);
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!((fx.counted(), fx.losses("truncated")), (10, 0));
}

#[test]
fn a_partial_line_at_the_truncation_is_finished_from_the_copy() {
    let (mut fx, log, mut f) = Fixture::counting(2);
    fx.append_raw(&log, b"10.0.0.1 - - [23/Nov/2026:15:32:11 +0000] \"GET /p");
    fx.poll(&mut f, Duration::ZERO);
    fx.append_raw(&log, b" HTTP/1.1\" 200 5 \"-\" \"test\" 0.001\n");
    fs::copy(&log, fx.dir.path().join("access.log.1")).expect("copy");
    truncate(&log);
    fx.append(&log, 1);
    fx.poll(&mut f, Duration::ZERO);
    let lines = fx.snapshot().lines;
    assert_eq!((lines["parsed"], fx.losses("truncated")), (4, 0));
}

#[test]
fn a_truncation_without_a_copy_is_counted_as_a_loss() {
    let (mut fx, log, mut f) = Fixture::counting(5);
    fx.append(&log, 3); // gone with the truncation
    truncate(&log);
    fx.append(&log, 2);
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!((fx.counted(), fx.losses("truncated")), (7, 1));
}

#[test]
fn an_older_rotated_file_is_not_taken_for_the_copy() {
    let (mut fx, log, mut f) = Fixture::counting(5);
    let older = fx.dir.path().join("access.log.2");
    fx.append_raw(&older, b"10.0.0.9 - - [22/Nov/2026:00:00:00 +0000] \"GET /old HTTP/1.1\" 200 5 \"-\" \"x\" 0.001\n");
    fx.append(&log, 3);
    truncate(&log);
    fx.append(&log, 2);
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!((fx.counted(), fx.losses("truncated")), (7, 1));
}

/// Checkpoints, then resumes in a fresh aggregator and follower as a restarted process would.
fn restart(fx: &mut Fixture, f: &mut Follower) -> Follower {
    let positions = f.positions();
    let snap = fx.snapshot();
    let mut agg = Tally::new(Router::open(100));
    agg.restore(&snap).expect("restore");
    fx.agg = Mutex::new(agg);
    Follower::restore(fx.log(), &positions, None, &fx.agg, fx.t0, false)
}

#[test]
fn a_restored_follower_resumes_at_its_offset() {
    let (mut fx, log, mut f) = Fixture::counting(3);
    fx.append(&log, 2); // written while the sidecar is down
    let mut f = restart(&mut fx, &mut f);
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!(fx.counted(), 5);
}

#[test]
fn a_restored_follower_finds_a_file_rotated_while_it_was_down() {
    let (mut fx, log, mut f) = Fixture::counting(3);
    let old = fx.dir.path().join("access.log.1");
    fx.append(&log, 2);
    fs::rename(&log, &old).expect("rename");
    fx.append(&log, 4);
    let mut f = restart(&mut fx, &mut f);
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!(fx.counted(), 9);
    assert_eq!(fx.rotations(), 1);
}

#[test]
fn reclaim_frees_counted_blocks_and_keeps_counts_exact() {
    let mut fx = Fixture::new();
    let log = fx.log();
    let mut f = Follower::new(log.clone(), Start::Beginning).reclaiming(true);
    fx.append(&log, 20_000);
    fx.poll(&mut f, Duration::ZERO);
    let before = fs::metadata(&log).expect("stat");
    let upto = f.positions();
    f.reclaim(&upto).expect("punch");
    let after = fs::metadata(&log).expect("stat");
    assert_eq!(
        after.len(),
        before.len(),
        "the size is kept for nginx's O_APPEND"
    );
    assert!(
        after.blocks() * 4 < before.blocks(),
        "{} -> {} blocks",
        before.blocks(),
        after.blocks()
    );
    fx.append(&log, 3);
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!(fx.counted(), 20_003);
}

#[test]
fn an_over_long_line_is_counted_without_stopping() {
    let mut fx = Fixture::new();
    let log = fx.log();
    let mut f = Follower::new(log.clone(), Start::Beginning);
    let long = vec![b'x'; MAX_LINE * 3];
    fx.append_raw(&log, &long);
    fx.append_raw(&log, b"\n");
    fx.append(&log, 1);
    fx.poll(&mut f, Duration::ZERO);
    let lines = fx.snapshot().lines;
    assert_eq!((lines["too_long"], lines["parsed"]), (1, 1));
}

#[test]
fn copytruncate_is_noticed_even_after_the_file_regrew_past_the_old_offset() {
    let (mut fx, log, mut f) = Fixture::counting(3);
    truncate(&log);
    fx.append(&log, 6); // longer than before the truncation by the next poll
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!(fx.counted(), 9);
    assert_eq!(fx.snapshot().lines["parsed"], 9);
}

#[test]
fn without_state_lines_written_before_the_first_poll_count() {
    let mut fx = Fixture::new();
    fx.append(&fx.log(), 4);
    // The end is where the log was when the follower was made, not at its first poll.
    let mut f = Follower::new(fx.log(), Start::End);
    fx.append(&fx.log(), 2);
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!(fx.counted(), 2);
}

#[test]
fn without_state_a_log_replaced_before_the_first_poll_is_read_whole() {
    let mut fx = Fixture::new();
    fx.append(&fx.log(), 4);
    let mut f = Follower::new(fx.log(), Start::End);
    fs::remove_file(fx.log()).expect("remove");
    fx.append(&fx.log(), 3);
    fx.poll(&mut f, Duration::ZERO);
    assert_eq!(fx.counted(), 3, "the new file is all new lines");
}
