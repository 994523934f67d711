//! Waiting on conditions that report why they are not met yet, and wall-clock time as
//! Prometheus's APIs use it.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};

/// Calls `f` every 100 ms until it returns `Some`, for at most `timeout`. On a timeout the
/// error names `what` and the last error `f` returned.
pub fn poll<T>(
    what: &str,
    timeout: Duration,
    mut f: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let deadline = Instant::now() + timeout;
    let mut last = String::from("none");
    loop {
        match f() {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => {}
            Err(e) => last = format!("{e:#}"),
        }
        if Instant::now() >= deadline {
            bail!("{what}: not within {timeout:?} (last error: {last})");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Seconds since the Unix epoch (Prometheus's timestamps).
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
