//! One replica of the site as a pod runs it: the real nginx (the project's configuration)
//! serving a `dist/`, writing its own access log, and the real sidecar tailing that log. Also
//! reading nginx's access log back, so tests compare what nginx logged with what was counted.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::nginx::Nginx;
use crate::{ChildGuard, binary, free_port, http, wait_for_port, wait_until};

/// The real `touchline-sidecar run` on a free loopback port; stopped on drop.
#[derive(Debug)]
pub struct Sidecar {
    child: ChildGuard,
    port: u16,
    stderr: PathBuf,
}

/// How to start a sidecar: a log, a checkpoint file and a stderr file, then only what a test
/// needs changed.
#[derive(Debug, Clone)]
pub struct Launch {
    log: PathBuf,
    routes: Option<PathBuf>,
    state: PathBuf,
    stderr: PathBuf,
    unprivileged: bool,
}

impl Launch {
    /// `--log <log>`, its checkpoint and stderr in `dir` (`sidecar-state.json`, `sidecar.log`).
    pub fn new(log: &Path, dir: &Path) -> Launch {
        Launch {
            log: log.to_path_buf(),
            routes: None,
            state: dir.join("sidecar-state.json"),
            stderr: dir.join("sidecar.log"),
            unprivileged: false,
        }
    }

    /// `--routes <manifest>`.
    pub fn routes(mut self, manifest: &Path) -> Launch {
        self.routes = Some(manifest.to_path_buf());
        self
    }

    /// Its stderr appended to `file` (kept across restarts, so one file holds every run's log).
    pub fn stderr(mut self, file: &Path) -> Launch {
        self.stderr = file.to_path_buf();
        self
    }

    /// When the tests run as root: run the sidecar as `nobody` (`setpriv`), so that file
    /// permissions apply to it (root reads a `0600` file of anyone's). Otherwise it runs as
    /// the current user, to whom they apply already.
    pub fn unprivileged(mut self) -> Launch {
        self.unprivileged = true;
        self
    }

    /// Starts it; waits until `/healthz` answers (not for readiness: a test may start it on a
    /// log it cannot read).
    pub fn start(&self) -> Result<Sidecar> {
        let port = free_port();
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.stderr)
            .with_context(|| format!("opening {}", self.stderr.display()))?;
        // As in the sidecar's own tests: another build can be measured with the same tests.
        let bin = std::env::var_os("TOUCHLINE_SIDECAR_BIN")
            .map_or_else(|| binary("touchline-sidecar"), PathBuf::from);
        let mut cmd = if self.unprivileged && crate::nginx::running_as_root() {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
                .arg(bin);
            c
        } else {
            Command::new(bin)
        };
        cmd.arg("run")
            .arg("--log")
            .arg(&self.log)
            .arg("--state")
            .arg(&self.state)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr);
        if let Some(routes) = &self.routes {
            cmd.arg("--routes").arg(routes);
        }
        let mut child = ChildGuard::spawn("touchline-sidecar", &mut cmd)?;
        let up = wait_for_port(port, Duration::from_secs(30));
        child.check_running()?;
        let sidecar = Sidecar {
            child,
            port,
            stderr: self.stderr.clone(),
        };
        up.with_context(|| format!("the sidecar's log:\n{}", sidecar.log()))?;
        Ok(sidecar)
    }
}

impl Sidecar {
    /// Starts it on `log` with the route manifest `routes`, its checkpoint and stderr in `dir`;
    /// waits until it is ready (`/readyz`: the log open and read to its end).
    pub fn start(log: &Path, routes: &Path, dir: &Path) -> Result<Sidecar> {
        let sidecar = Launch::new(log, dir).routes(routes).start()?;
        ensure!(
            sidecar.wait_ready(Duration::from_secs(30)),
            "the sidecar on {} never became ready:\n{}",
            log.display(),
            sidecar.log()
        );
        Ok(sidecar)
    }

    /// Waits up to `timeout` for `/readyz` to answer 200.
    pub fn wait_ready(&self, timeout: Duration) -> bool {
        wait_until(timeout, || self.readyz() == Some(200))
    }

    /// `/readyz`'s status, `None` while nothing answers.
    pub fn readyz(&self) -> Option<u16> {
        http::get(self.port, "/readyz").ok().map(|r| r.status)
    }

    /// Sends `signal` (SIGSTOP, SIGCONT, SIGKILL).
    pub fn signal(&self, signal: Signal) -> Result<()> {
        self.child.signal(signal)
    }

    /// SIGKILL, as the kernel's OOM killer or a node failure stops it; reaps it.
    pub fn kill(mut self) -> Result<()> {
        self.child.signal(Signal::SIGKILL)?;
        self.child.stop().map(|_| ())
    }

    /// Waits up to `timeout` for it to exit by itself; its status, `None` if it still runs.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<Option<std::process::ExitStatus>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(Some(status));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Its loopback port (`/metrics`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `host:port` for a scrape config.
    pub fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Its `/metrics` text.
    pub fn metrics(&self) -> Result<String> {
        let r = http::get(self.port, "/metrics")?;
        ensure!(r.status == 200, "/metrics answered {}", r.status);
        Ok(r.text())
    }

    /// The sum of its `touchline_http_requests_total` series.
    pub fn requests_counted(&self) -> Result<u64> {
        Ok(self.family_total("touchline_http_requests_total")? as u64)
    }

    /// The sum of every series of the metric family `name`.
    pub fn family_total(&self, name: &str) -> Result<f64> {
        let mut total = 0.0;
        for line in self.metrics()?.lines() {
            let series = line.split([' ', '{']).next().unwrap_or_default();
            if series == name {
                let value = line
                    .rsplit_once(' ')
                    .with_context(|| format!("no value in {line:?}"))?
                    .1;
                total += value
                    .parse::<f64>()
                    .with_context(|| format!("bad value in {line:?}"))?;
            }
        }
        Ok(total)
    }

    /// The value of one series, exactly as exposed (`name{labels}`), if it is there.
    pub fn series(&self, series: &str) -> Result<Option<f64>> {
        for line in self.metrics()?.lines() {
            if let Some(value) = line.strip_prefix(series).and_then(|r| r.strip_prefix(' ')) {
                let v = value
                    .trim()
                    .parse()
                    .with_context(|| format!("bad value in {line:?}"))?;
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    /// Its stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Errors if it has exited.
    pub fn check_running(&mut self) -> Result<()> {
        self.child.check_running()
    }

    /// Stops it (SIGTERM: it writes its checkpoint and exits).
    pub fn stop(mut self) -> Result<()> {
        let status = self.child.stop()?;
        ensure!(status.success(), "the sidecar exited with {status}");
        Ok(())
    }
}

/// One pod: nginx and the sidecar sharing an access log in the replica's own directory.
#[derive(Debug)]
pub struct Replica {
    pub name: String,
    nginx: Option<Nginx>,
    sidecar: Option<Sidecar>,
    log: PathBuf,
    // Dropped last: the processes above stop first.
    dir: tempfile::TempDir,
}

impl Replica {
    /// Starts nginx serving `dist` and the sidecar on its log, with `dist`'s route manifest.
    pub fn start(name: &str, dist: &Path) -> Result<Replica> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("touchline-{name}-"))
            .tempdir()
            .with_context(|| format!("creating {name}'s directory"))?;
        let log = dir.path().join("access.log");
        let nginx = Nginx::start(dist, &log).with_context(|| format!("starting {name}'s nginx"))?;
        let sidecar = Sidecar::start(&log, &dist.join("_routes.json"), dir.path())
            .with_context(|| format!("starting {name}'s sidecar"))?;
        Ok(Replica {
            name: name.to_string(),
            nginx: Some(nginx),
            sidecar: Some(sidecar),
            log,
            dir,
        })
    }

    /// nginx's port (what a load balancer sends to).
    pub fn nginx_port(&self) -> Result<u16> {
        self.nginx
            .as_ref()
            .map(Nginx::port)
            .with_context(|| format!("{}'s nginx was stopped", self.name))
    }

    /// The sidecar, while it runs.
    pub fn sidecar(&self) -> Result<&Sidecar> {
        self.sidecar
            .as_ref()
            .with_context(|| format!("{}'s sidecar was stopped", self.name))
    }

    /// The access log nginx writes and the sidecar reads.
    pub fn access_log(&self) -> &Path {
        &self.log
    }

    /// The replica's directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops nginx as Kubernetes stops the site's container: its image's STOPSIGNAL, SIGQUIT,
    /// a graceful shutdown (no new connections; requests in flight are answered and logged).
    /// Waits up to `timeout` for the master process to exit.
    pub fn stop_nginx_gracefully(&mut self, timeout: Duration) -> Result<()> {
        let nginx = self
            .nginx
            .take()
            .with_context(|| format!("{}'s nginx was already stopped", self.name))?;
        let pid_file = nginx.environment().runtime_dir.join("nginx.pid");
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .with_context(|| format!("reading {}", pid_file.display()))?
            .trim()
            .parse()
            .with_context(|| format!("{}: not a pid", pid_file.display()))?;
        kill(Pid::from_raw(pid), Signal::SIGQUIT)
            .with_context(|| format!("sending SIGQUIT to {}'s nginx", self.name))?;
        // nginx is this process's child: it stays a zombie until reaped by stop() below.
        let deadline = Instant::now() + timeout;
        while !exited(pid) {
            if Instant::now() >= deadline {
                bail!(
                    "{}'s nginx did not finish a graceful shutdown within {timeout:?}:\n{}",
                    self.name,
                    nginx.error_log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        nginx.stop()
    }

    /// Stops the sidecar (the pod is gone).
    pub fn stop_sidecar(&mut self) -> Result<()> {
        self.sidecar
            .take()
            .with_context(|| format!("{}'s sidecar was already stopped", self.name))?
            .stop()
    }
}

/// True once process `pid` has exited (a zombie or gone).
fn exited(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => true,
    }
}

/// One line of nginx's `touchline` access log format: the request line's method and target,
/// and the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub method: String,
    pub target: String,
    pub status: u16,
}

/// Every request in an access log (`combined` + `$request_time`). Errors name the line.
pub fn read_access_log(path: &Path) -> Result<Vec<Logged>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let at = || format!("{} line {}: {line:?}", path.display(), number + 1);
        let (_, rest) = line.split_once('"').with_context(at)?;
        let (request, rest) = rest.split_once('"').with_context(at)?;
        let mut parts = request.split(' ');
        let method = parts.next().unwrap_or_default().to_string();
        let target = parts.next().with_context(at)?.to_string();
        let status = rest
            .split_whitespace()
            .next()
            .with_context(at)?
            .parse()
            .with_context(at)?;
        out.push(Logged {
            method,
            target,
            status,
        });
    }
    Ok(out)
}

/// Requests per target in an access log.
pub fn count_by_target(logged: &[Logged]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for l in logged {
        *out.entry(l.target.clone()).or_default() += 1;
    }
    out
}
