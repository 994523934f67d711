//! The tailing thread: reads every log, keeps readiness current, writes checkpoints and
//! reclaims counted bytes, until told to stop.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::health::Health;
use crate::replay::CHUNK;
use crate::state::{self, Checkpoint, FilePosition};
use crate::tail::Follower;
use crate::tally::Tally;

/// Polling fallback: files are checked at least this often even without inotify events, which
/// keeps new lines visible within a second on filesystems without inotify (NFS, some volumes).
pub const POLL: Duration = Duration::from_millis(250);

/// Checkpoints are written at least this often while anything changes.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// What the tailing thread shares with the server and the signal handler.
#[derive(Debug)]
pub struct Shared {
    /// The counts the server exposes.
    pub tally: Arc<Mutex<Tally>>,
    /// Readiness and the checkpoint's age.
    pub health: Arc<Health>,
    /// Set on SIGTERM/SIGINT: write a last checkpoint and return.
    pub stop: Arc<AtomicBool>,
    /// File notifications (and the stop request).
    pub wake: Receiver<()>,
}

/// Starts the tailing thread; it returns once `shared.stop` is set and the last checkpoint
/// is written. `done` is sent when it ends, however (a panic included), so that the server
/// stops too.
pub fn spawn(
    followers: Vec<Follower>,
    shared: Shared,
    checkpoints: Checkpoints,
    done: tokio::sync::oneshot::Sender<()>,
) -> std::io::Result<JoinHandle<Result<()>>> {
    std::thread::Builder::new()
        .name("tail".into())
        .spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                tail_loop(followers, &shared, checkpoints)
            }));
            let _ = done.send(());
            match r {
                Ok(r) => r,
                Err(_) => anyhow::bail!("the tailing thread panicked"),
            }
        })
}

/// When and where checkpoints are written.
#[derive(Debug)]
pub struct Checkpoints {
    path: Option<PathBuf>,
    reclaim: bool,
    last_saved: Option<Vec<FilePosition>>,
    last_at: Instant,
}

impl Checkpoints {
    /// Checkpoints to `path` (none without), reclaiming counted bytes after each if `reclaim`.
    pub fn new(path: Option<PathBuf>, reclaim: bool) -> Checkpoints {
        Checkpoints {
            path,
            reclaim,
            last_saved: None,
            last_at: Instant::now() - CHECKPOINT_EVERY,
        }
    }

    /// Writes a checkpoint of these positions if they moved, and reclaims what it made durable.
    /// Returns whether the counts are durable.
    fn step(
        &mut self,
        followers: &mut [Follower],
        tally: &Mutex<Tally>,
        health: &Health,
        now: Instant,
    ) -> bool {
        self.last_at = now;
        let positions: Vec<FilePosition> =
            followers.iter_mut().flat_map(|f| f.positions()).collect();
        let durable = self.save(&positions, tally);
        if durable {
            health.set_durable(std::time::SystemTime::now());
        }
        if durable && self.reclaim {
            for f in followers {
                if let Err(e) = f.reclaim(&positions) {
                    tracing::warn!(log = %f.log().display(), error = %e, "punching holes");
                }
            }
        }
        durable
    }

    /// Whether the counts up to `positions` are durable: saved now, saved before, or not meant
    /// to be (without a state file a restart starts at the end anyway, so counted is enough).
    fn save(&mut self, positions: &[FilePosition], tally: &Mutex<Tally>) -> bool {
        let Some(path) = &self.path else {
            return true;
        };
        if self.last_saved.as_deref() == Some(positions) {
            return true;
        }
        // The tailing thread is the only writer of counts and offsets, so this snapshot and
        // these positions describe the same instant.
        let counts = tally.lock().unwrap_or_else(|e| e.into_inner()).snapshot();
        let cp = Checkpoint {
            version: state::VERSION,
            files: positions.to_vec(),
            counts,
        };
        match state::save(path, &cp) {
            Ok(()) => {
                self.last_saved = Some(cp.files);
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "writing checkpoint");
                false
            }
        }
    }
}

/// Test-only fault injection (documented as such in sidecar/README.md): set to `tail-panic`,
/// the tailing thread panics once it has counted a line, so that a process test can check
/// that the whole sidecar then exits non-zero. No real input makes this thread panic, so the
/// test needs a way in; nothing else reads the variable.
pub const TEST_FAULT_ENV: &str = "TOUCHLINE_SIDECAR_TEST_FAULT";

/// Whether the test-only fault was asked for.
fn fault_requested() -> bool {
    std::env::var_os(TEST_FAULT_ENV).is_some_and(|v| v == "tail-panic")
}

/// Follows every log until `shared.stop` is set, then writes a final checkpoint.
fn tail_loop(
    mut followers: Vec<Follower>,
    shared: &Shared,
    mut checkpoints: Checkpoints,
) -> Result<()> {
    let mut buf = vec![0u8; CHUNK];
    let mut warned: Vec<Option<(String, Instant)>> = vec![None; followers.len()];
    let fault = fault_requested();
    loop {
        let stopping = shared.stop.load(Ordering::Acquire);
        let now = Instant::now();
        let mut more = false;
        for (f, warned) in followers.iter_mut().zip(&mut warned) {
            match f.poll(now, &shared.tally, &mut buf) {
                Ok(m) => {
                    more |= m;
                    if warned.take().is_some() {
                        tracing::info!(log = %f.log().display(), "reading the log again");
                    }
                }
                Err(e) => warn_throttled(warned, f, &e, now),
            }
        }
        if fault && shared.tally.lock().is_ok_and(|t| t.total_lines() > 0) {
            panic!("{TEST_FAULT_ENV}=tail-panic: injected panic in the tailing thread");
        }
        shared
            .health
            .set_caught_up(followers.iter().all(Follower::is_caught_up));
        let durable = if stopping || now.duration_since(checkpoints.last_at) >= CHECKPOINT_EVERY {
            checkpoints.step(&mut followers, &shared.tally, &shared.health, now)
        } else {
            true
        };
        if stopping {
            if checkpoints.path.is_some() {
                anyhow::ensure!(
                    durable,
                    "the final checkpoint could not be written; counts since the last one will be read again from the logs, or lost if the logs rotated"
                );
                tracing::info!("final checkpoint written");
            }
            return Ok(());
        }
        if !more {
            wait(&shared.wake);
        }
    }
}

/// How often the same read error of a log is repeated in the log.
const REWARN: Duration = Duration::from_secs(30);

/// Warns of a read error once, then again only if it changes or every [`REWARN`]: a warning
/// written into the watched directory must not turn into a flood.
fn warn_throttled(
    warned: &mut Option<(String, Instant)>,
    f: &Follower,
    e: &std::io::Error,
    now: Instant,
) {
    let msg = e.to_string();
    let repeat = warned
        .as_ref()
        .is_some_and(|(m, at)| *m == msg && now.duration_since(*at) < REWARN);
    if !repeat {
        tracing::warn!(log = %f.log().display(), error = %e, "cannot read the log; not ready until it can be read (repeated every 30 s while it lasts)");
        *warned = Some((msg, now));
    }
}

/// Waits for a file notification or the polling interval, whichever comes first.
fn wait(wake: &Receiver<()>) {
    match wake.recv_timeout(POLL) {
        Ok(()) | Err(RecvTimeoutError::Timeout) => {}
        Err(RecvTimeoutError::Disconnected) => std::thread::sleep(POLL),
    }
    // Coalesce a burst of events into one pass.
    while wake.try_recv().is_ok() {}
}
