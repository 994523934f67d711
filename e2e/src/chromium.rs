//! Headless Chromium (Debian's package) loading a page, to see what a browser reports about it
//! (e.g. Content-Security-Policy violations in the console).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::ChildGuard;

/// Where Debian's package installs Chromium.
pub const CHROMIUM_BIN: &str = "/usr/bin/chromium";

/// What one page load printed: the serialized DOM and the browser's log (console messages
/// appear as `INFO:CONSOLE` lines).
#[derive(Debug)]
pub struct PageLoad {
    pub dom: String,
    pub log: String,
}

impl PageLoad {
    /// The console messages of the page.
    pub fn console(&self) -> Vec<&str> {
        self.log
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .collect()
    }
}

/// Loads `url` in a fresh headless Chromium profile, lets its scripts run for up to two seconds
/// of virtual time, and returns the DOM and the log. Bounded by `timeout`.
pub fn load(url: &str, timeout: Duration) -> Result<PageLoad> {
    if !Path::new(CHROMIUM_BIN).is_file() {
        bail!(
            "{CHROMIUM_BIN} is missing; install it with: scripts/install-deps \
             (or: apt-get install -y chromium)"
        );
    }
    let dir = tempfile::tempdir().context("creating a Chromium profile directory")?;
    let out_path = dir.path().join("dom.html");
    let log_path = dir.path().join("chromium.log");
    let out = std::fs::File::create(&out_path).context("creating the DOM file")?;
    let log = std::fs::File::create(&log_path).context("creating the log file")?;
    let mut child = ChildGuard::spawn(
        "chromium",
        Command::new(CHROMIUM_BIN)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=2000",
                "--dump-dom",
            ])
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .arg(url)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(log),
    )?;
    let deadline = Instant::now() + timeout;
    loop {
        if child.check_running().is_err() {
            break;
        }
        if Instant::now() >= deadline {
            bail!("chromium did not finish loading {url} within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = child.stop()?;
    let read =
        |p: &Path| std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()));
    let load = PageLoad {
        dom: read(&out_path)?,
        log: read(&log_path)?,
    };
    if !status.success() {
        bail!("chromium failed on {url} with {status}:\n{}", load.log);
    }
    Ok(load)
}
