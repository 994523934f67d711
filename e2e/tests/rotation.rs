//! Rotations with the real nginx (issue 11): nginx serves a small `dist/` on a free loopback
//! port and logs every request the test sends; the test rotates the log as logrotate does
//! (rename, delete, copy + truncate, gzip, then `kill -USR1` to nginx's master) while the real
//! sidecar is running, stopped (SIGTERM) or stalled (SIGSTOP). Each case asserts that every
//! request sent is counted once, or, where a loss cannot be avoided, that it is counted in
//! `touchline_log_losses_total{reason}` and named in a WARN. Each prints
//! `CASE name sent= counted= lost= counted_as_lost=` (the closing note's table).

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use e2e::http;
use e2e::nginx::Nginx;
use e2e::replica::{Launch, Sidecar};
use e2e::wait_until;
use nix::sys::signal::Signal;

/// How long a test waits for the sidecar to count what was sent.
const SETTLE: Duration = Duration::from_secs(15);

/// nginx with its access log in a directory of its own, and the number of requests sent.
struct Pod {
    nginx: Nginx,
    log: PathBuf,
    sent: u64,
    // Dropped after nginx.
    dir: tempfile::TempDir,
    _dist: tempfile::TempDir,
}

impl Pod {
    /// nginx serving a one-page `dist/` (the site itself is not what these tests are about).
    fn start() -> Result<Pod> {
        let dist = tempfile::tempdir().context("creating dist/")?;
        fs::write(
            dist.path().join("index.html"),
            "<!doctype html><title>t</title>\n",
        )
        .context("writing index.html")?;
        let dir = tempfile::tempdir().context("creating the log directory")?;
        let log = dir.path().join("access.log");
        let nginx = Nginx::start(dist.path(), &log)?;
        Ok(Pod {
            nginx,
            log,
            sent: 0,
            dir,
            _dist: dist,
        })
    }

    /// A file next to the log.
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The sidecar on this log (checkpoint and stderr in the log's directory).
    fn launch(&self) -> Launch {
        Launch::new(&self.log, self.dir.path())
    }

    /// Sends `n` requests over HTTP, each answered 200 (so each is one line in the log).
    fn load(&mut self, n: u64) -> Result<()> {
        for _ in 0..n {
            let r = http::get(self.nginx.port(), "/")?;
            ensure!(r.status == 200, "GET / answered {}", r.status);
            self.sent += 1;
        }
        Ok(())
    }

    /// `kill -USR1 <nginx master>`: nginx reopens (and, if need be, creates) its log.
    fn usr1(&self) -> Result<()> {
        self.nginx.reopen_logs()
    }

    /// `mv access.log <to>` then USR1: one logrotate round.
    fn rotate(&self, to: &str) -> Result<()> {
        rename(&self.log, &self.path(to))?;
        self.usr1()
    }
}

fn rename(from: &Path, to: &Path) -> Result<()> {
    fs::rename(from, to).with_context(|| format!("mv {} {}", from.display(), to.display()))
}

fn inode(path: &Path) -> Result<u64> {
    Ok(fs::metadata(path)
        .with_context(|| format!("stat {}", path.display()))?
        .ino())
}

/// Starts a sidecar and waits until it is ready.
fn ready(launch: &Launch) -> Result<Sidecar> {
    let s = launch.start()?;
    ensure!(
        s.wait_ready(SETTLE),
        "the sidecar never became ready:\n{}",
        s.log()
    );
    Ok(s)
}

/// What the sidecar counted once it settled: waits until it counts `want` (or the deadline),
/// then a little longer, so that a line counted twice shows as more than sent.
fn settle(s: &Sidecar, want: u64) -> Result<u64> {
    wait_until(SETTLE, || s.requests_counted().is_ok_and(|c| c >= want));
    std::thread::sleep(Duration::from_millis(700));
    s.requests_counted()
}

/// Files in which the sidecar knows it lost lines (every reason).
fn losses(s: &Sidecar) -> Result<f64> {
    s.family_total("touchline_log_losses_total")
}

/// Prints the case's line of the closing note's table.
fn report(case: &str, sent: u64, counted: u64, counted_as_lost: f64) {
    eprintln!(
        "CASE {case} sent={sent} counted={counted} lost={} counted_as_lost={counted_as_lost}",
        sent as i64 - counted as i64
    );
}

/// Waits until the sidecar's stderr contains `text`.
fn wait_log(s: &Sidecar, text: &str) -> Result<()> {
    ensure!(
        wait_until(SETTLE, || s.log().contains(text)),
        "the sidecar never logged {text:?}:\n{}",
        s.log()
    );
    Ok(())
}

/// The sidecar's stderr has a WARN that says lines are lost and names `file`.
fn assert_warns_of_loss(s: &Sidecar, file: &str) {
    let text = s.log();
    assert!(
        text.lines()
            .any(|l| l.contains("WARN") && l.contains("are lost") && l.contains(file)),
        "no WARN of lost lines naming {file}:\n{text}"
    );
}

#[test]
fn an_inode_reused_while_down_is_not_resumed_at_the_old_offset() -> Result<()> {
    let mut pod = Pod::start()?;
    let s = ready(&pod.launch())?;
    pod.load(1500)?;
    settle(&s, pod.sent)?;
    pod.rotate("access.log.1")?;
    pod.load(500)?;
    settle(&s, pod.sent)?;
    // The rotated file is closed once quiet; the checkpoint then holds the live log only.
    wait_log(&s, "closed drained file")?;
    s.stop()?;
    let checkpointed = inode(&pod.log)?;
    // Down: two `rotate 1` rounds; the second deletes the checkpointed file (read to its end)
    // and ext4 may give its inode to the new log.
    pod.rotate("access.log.1")?;
    pod.load(300)?;
    rename(&pod.log, &pod.path("access.log.1"))?;
    let reused = create_on_inode(&pod, checkpointed)?;
    pod.usr1()?;
    pod.load(1200)?;
    let s = ready(&pod.launch())?;
    let counted = settle(&s, pod.sent)?;
    let lost = losses(&s)?;
    report("inode-reuse", pod.sent, counted, lost);
    assert!(
        reused,
        "the new log did not get the deleted file's inode (a filesystem that reuses inodes, as ext4 does, is needed under TMPDIR)"
    );
    assert_eq!(counted, pod.sent, "{}", s.log());
    // The deleted checkpointed file may have had lines after the offset: one possible loss.
    assert_eq!(lost, 1.0, "{}", s.log());
    assert_warns_of_loss(&s, "access.log");
    Ok(())
}

/// logrotate's `create`: makes the new log before nginx reopens it, on inode `want` (the
/// deleted checkpointed file's) if the filesystem gives it back within a few hundred files
/// (ext4 hands out the lowest free inode; each miss is kept until the end so the next file
/// gets the next one). Returns whether it did; tmpfs, say, never reuses inodes.
fn create_on_inode(pod: &Pod, want: u64) -> Result<bool> {
    // In the log's own directory: ext4 takes a file's inode from its directory's block group.
    let mut spares = Vec::new();
    let mut reused = false;
    for i in 0..300 {
        let candidate = pod.path(&format!("spare-{i}"));
        fs::File::create(&candidate)?;
        if inode(&candidate)? == want {
            rename(&candidate, &pod.log)?;
            reused = true;
            break;
        }
        spares.push(candidate);
    }
    if !reused {
        fs::File::create(&pod.log)?;
    }
    for spare in spares {
        fs::remove_file(&spare)?;
    }
    Ok(reused)
}

#[test]
fn two_rotations_while_down_are_all_drained() -> Result<()> {
    let mut pod = Pod::start()?;
    let s = ready(&pod.launch())?;
    pod.load(300)?;
    settle(&s, pod.sent)?;
    s.stop()?;
    pod.load(100)?;
    pod.rotate("access.log.1")?;
    pod.load(300)?;
    rename(&pod.path("access.log.1"), &pod.path("access.log.2"))?;
    pod.rotate("access.log.1")?;
    pod.load(200)?;
    let s = ready(&pod.launch())?;
    let counted = settle(&s, pod.sent)?;
    let lost = losses(&s)?;
    report("two-rotations-while-down", pod.sent, counted, lost);
    assert_eq!((counted, lost), (pod.sent, 0.0), "{}", s.log());
    Ok(())
}

#[test]
fn two_rotations_while_stalled_are_both_drained() -> Result<()> {
    let mut pod = Pod::start()?;
    let s = ready(&pod.launch())?;
    pod.load(200)?;
    settle(&s, pod.sent)?;
    s.signal(Signal::SIGSTOP)?;
    let stopped = Instant::now();
    pod.load(100)?;
    pod.rotate("access.log.1")?;
    let first = Instant::now();
    pod.load(100)?;
    sleep_until(first + Duration::from_millis(300));
    rename(&pod.path("access.log.1"), &pod.path("access.log.2"))?;
    pod.rotate("access.log.1")?;
    pod.load(100)?;
    sleep_until(stopped + Duration::from_millis(500));
    s.signal(Signal::SIGCONT)?;
    let counted = settle(&s, pod.sent)?;
    let lost = losses(&s)?;
    report("two-rotations-while-stalled", pod.sent, counted, lost);
    assert_eq!((counted, lost), (pod.sent, 0.0), "{}", s.log());
    assert_eq!(
        s.series("touchline_log_rotations_total")?,
        Some(2.0),
        "{}",
        s.log()
    );
    Ok(())
}

fn sleep_until(t: Instant) {
    std::thread::sleep(t.saturating_duration_since(Instant::now()));
}

/// logrotate's `copytruncate`: copy the log, then truncate it in place (nginx's O_APPEND
/// descriptor then writes from its start).
fn copytruncate(pod: &Pod, to: &str) -> Result<()> {
    fs::copy(&pod.log, pod.path(to)).context("copying the log")?;
    fs::OpenOptions::new()
        .write(true)
        .open(&pod.log)
        .and_then(|f| f.set_len(0))
        .context("truncating the log")
}

#[test]
fn copytruncate_while_down_regrown_past_the_checkpoint_loses_nothing() -> Result<()> {
    let mut pod = Pod::start()?;
    let s = ready(&pod.launch())?;
    pod.load(800)?;
    settle(&s, pod.sent)?;
    s.stop()?;
    pod.load(200)?;
    copytruncate(&pod, "access.log.1")?;
    // Past the checkpointed offset (800 lines of the same length).
    pod.load(1200)?;
    let s = ready(&pod.launch())?;
    let counted = settle(&s, pod.sent)?;
    let lost = losses(&s)?;
    report("copytruncate-while-down", pod.sent, counted, lost);
    assert_eq!((counted, lost), (pod.sent, 0.0), "{}", s.log());
    Ok(())
}

#[test]
fn a_log_rotated_and_gzipped_while_down_is_read_from_the_checkpoint() -> Result<()> {
    let mut pod = Pod::start()?;
    let s = ready(&pod.launch())?;
    pod.load(500)?;
    settle(&s, pod.sent)?;
    s.stop()?;
    pod.load(100)?;
    pod.rotate("access.log-20261202")?;
    pod.load(100)?;
    let rotated = pod.path("access.log-20261202");
    let raw = fs::read(&rotated).context("reading the rotated log")?;
    let gz = fs::File::create(pod.path("access.log-20261202.gz")).context("creating .gz")?;
    let mut z = flate2::write::GzEncoder::new(gz, flate2::Compression::default());
    z.write_all(&raw).context("compressing")?;
    z.finish().context("compressing")?;
    fs::remove_file(&rotated).context("removing the uncompressed file")?;
    let s = ready(&pod.launch())?;
    let counted = settle(&s, pod.sent)?;
    let lost = losses(&s)?;
    report("gz-while-down", pod.sent, counted, lost);
    assert_eq!((counted, lost), (pod.sent, 0.0), "{}", s.log());
    Ok(())
}

#[test]
fn a_log_deleted_while_down_is_counted_as_lost_and_named() -> Result<()> {
    let mut pod = Pod::start()?;
    let s = ready(&pod.launch())?;
    pod.load(300)?;
    settle(&s, pod.sent)?;
    s.stop()?;
    let unread = 100;
    pod.load(unread)?;
    fs::remove_file(&pod.log).context("rm access.log")?;
    pod.usr1()?;
    pod.load(150)?;
    let s = ready(&pod.launch())?;
    let counted = settle(&s, pod.sent - unread)?;
    let lost = losses(&s)?;
    report("delete-while-down", pod.sent, counted, lost);
    assert_eq!(counted, pod.sent - unread, "{}", s.log());
    assert_eq!(
        s.series(r#"touchline_log_losses_total{reason="deleted"}"#)?,
        Some(1.0)
    );
    assert_warns_of_loss(&s, "access.log");
    Ok(())
}

#[test]
fn copytruncate_while_running_drains_the_copy() -> Result<()> {
    let mut pod = Pod::start()?;
    let s = ready(&pod.launch())?;
    pod.load(500)?;
    settle(&s, pod.sent)?;
    // Stalled so that lines are written between its last read and the truncation.
    s.signal(Signal::SIGSTOP)?;
    pod.load(200)?;
    copytruncate(&pod, "access.log.1")?;
    pod.load(100)?;
    s.signal(Signal::SIGCONT)?;
    let counted = settle(&s, pod.sent)?;
    let lost = losses(&s)?;
    report("copytruncate-while-running", pod.sent, counted, lost);
    assert_eq!((counted, lost), (pod.sent, 0.0), "{}", s.log());
    Ok(())
}

#[test]
fn readyz_is_503_while_a_rotated_log_is_unreadable_and_200_after() -> Result<()> {
    let mut pod = Pod::start()?;
    // The sidecar runs as nobody when the tests run as root (root reads any file): it needs
    // to list the directory and a state folder it may write.
    fs::set_permissions(pod.dir.path(), fs::Permissions::from_mode(0o755))?;
    let state = pod.path("state");
    fs::create_dir(&state)?;
    fs::set_permissions(&state, fs::Permissions::from_mode(0o777))?;
    let launch = Launch::new(&pod.log, &state)
        .stderr(&pod.path("sidecar.log"))
        .unprivileged();
    let s = ready(&launch)?;
    pod.load(200)?;
    settle(&s, pod.sent)?;
    // logrotate's `create 0600 root root`: the new log exists before nginx reopens it. Without
    // root, the tests' own user runs the sidecar: write-only keeps it out.
    let mode = if e2e::nginx::running_as_root() {
        0o600
    } else {
        0o200
    };
    rename(&pod.log, &pod.path("access.log.1"))?;
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&pod.log)
        .context("creating the new log")?;
    pod.usr1()?;
    pod.load(200)?;
    ensure!(
        wait_until(SETTLE, || s.readyz() == Some(503)),
        "/readyz stayed {:?} while the log was unreadable:\n{}",
        s.readyz(),
        s.log()
    );
    // Unreadable for a few polls: one WARN, not one per poll.
    std::thread::sleep(Duration::from_secs(2));
    let warnings = s.log().matches("cannot read the log").count();
    fs::set_permissions(&pod.log, fs::Permissions::from_mode(0o644))?;
    ensure!(
        wait_until(SETTLE, || s.readyz() == Some(200)),
        "/readyz stayed {:?} after the log became readable:\n{}",
        s.readyz(),
        s.log()
    );
    let counted = settle(&s, pod.sent)?;
    let lost = losses(&s)?;
    report("unreadable-0600", pod.sent, counted, lost);
    assert_eq!((counted, lost), (pod.sent, 0.0), "{}", s.log());
    assert_eq!(warnings, 1, "{}", s.log());
    Ok(())
}

#[test]
fn a_rotation_then_sigkill_resumes_from_the_last_checkpoint_exactly() -> Result<()> {
    let mut pod = Pod::start()?;
    let s = ready(&pod.launch())?;
    pod.load(500)?;
    settle(&s, pod.sent)?;
    pod.rotate("access.log.1")?;
    pod.load(300)?;
    // Killed while the rotated file may still be draining and the checkpoint may be behind:
    // counts and offsets come from the same checkpoint, so what follows it is read again once.
    s.kill()?;
    pod.load(200)?;
    let s = ready(&pod.launch())?;
    let counted = settle(&s, pod.sent)?;
    let lost = losses(&s)?;
    report("rotate-then-sigkill", pod.sent, counted, lost);
    assert_eq!((counted, lost), (pod.sent, 0.0), "{}", s.log());
    Ok(())
}
