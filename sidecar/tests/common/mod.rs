//! Shared helpers for tests that run the real `touchline-sidecar` binary.
#![allow(dead_code)]

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Upper bound for anything a test waits for.
pub const DEADLINE: Duration = Duration::from_secs(20);

/// The binary under test (`TOUCHLINE_SIDECAR_BIN` overrides it, to measure another build
/// with the same tests).
pub fn bin() -> PathBuf {
    std::env::var_os("TOUCHLINE_SIDECAR_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_touchline-sidecar")))
}

/// A loopback address with a port that was free a moment ago.
pub fn free_addr() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr")
}

/// The arguments of a `touchline-sidecar run` (besides `--listen`, always a free port): built
/// from `--log <log>`, then each test adds only what it needs.
#[derive(Debug, Clone)]
pub struct Run {
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
}

impl Run {
    /// `--log <log>`.
    pub fn log(log: &Path) -> Run {
        Run {
            args: Vec::new(),
            envs: Vec::new(),
        }
        .arg("--log", log)
    }

    /// Another `--log <log>`.
    pub fn and_log(self, log: &Path) -> Run {
        self.arg("--log", log)
    }

    /// `--routes <manifest>`.
    pub fn routes(self, manifest: &Path) -> Run {
        self.arg("--routes", manifest)
    }

    /// `--state <file>`.
    pub fn state(self, file: &Path) -> Run {
        self.arg("--state", file)
    }

    /// `--reclaim`.
    pub fn reclaim(mut self) -> Run {
        self.args.push("--reclaim".into());
        self
    }

    /// Any other `FLAG VALUE`.
    pub fn flag(mut self, flag: &str, value: &str) -> Run {
        self.args.push(flag.into());
        self.args.push(value.into());
        self
    }

    /// An environment variable for the process.
    pub fn env(mut self, name: &str, value: &str) -> Run {
        self.envs.push((name.into(), value.into()));
        self
    }

    fn arg(mut self, flag: &str, path: &Path) -> Run {
        self.args.push(flag.into());
        self.args.push(path.into());
        self
    }

    /// Starts the sidecar with these arguments, its stderr in a file under `dir`.
    pub fn start(&self, dir: &Path) -> Sidecar {
        Sidecar::start_with(dir, &self.args, &self.envs)
    }
}

/// A running sidecar, killed on drop.
pub struct Sidecar {
    pub child: Child,
    pub addr: SocketAddr,
    pub stderr: PathBuf,
}

impl Sidecar {
    /// Starts `touchline-sidecar run` with the given extra arguments on a free port, and waits
    /// until `/healthz` answers.
    pub fn start(dir: &Path, args: &[OsString]) -> Sidecar {
        Sidecar::start_with(dir, args, &[])
    }

    /// [`Sidecar::start`] with environment variables.
    pub fn start_with(dir: &Path, args: &[OsString], envs: &[(OsString, OsString)]) -> Sidecar {
        let addr = free_addr();
        let stderr = dir.join(format!("sidecar-{}.log", addr.port()));
        let child = Command::new(bin())
            .arg("run")
            .arg("--listen")
            .arg(addr.to_string())
            .args(args)
            .envs(envs.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("spawn sidecar");
        let s = Sidecar {
            child,
            addr,
            stderr,
        };
        s.wait_for("/healthz answers", || {
            s.get("/healthz").map(|r| r.status) == Some(200)
        });
        s
    }

    /// GET a path; `None` while the server is not accepting.
    pub fn get(&self, path: &str) -> Option<Response> {
        http_get(self.addr, path)
    }

    /// The current `/metrics` text.
    pub fn metrics(&self) -> String {
        match self.get("/metrics") {
            Some(r) if r.status == 200 => r.body,
            other => panic!("GET /metrics: {other:?}"),
        }
    }

    /// Polls `cond` until it holds, failing the test after [`DEADLINE`].
    pub fn wait_for(&self, what: &str, mut cond: impl FnMut() -> bool) {
        let start = Instant::now();
        while !cond() {
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}; sidecar log:\n{}",
                fs::read_to_string(&self.stderr).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until a sample reaches `at_least`, then returns its value.
    pub fn wait_sample(&self, series: &str, at_least: f64) -> f64 {
        let mut last = 0.0;
        self.wait_for(&format!("{series} >= {at_least}"), || {
            last = sample(&self.metrics(), series).unwrap_or(0.0);
            last >= at_least
        });
        last
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(mut self) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).expect("pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "exit status {status}");
                return;
            }
            assert!(start.elapsed() < DEADLINE, "sidecar ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM and returns the exit status.
    pub fn terminate_status(mut self) -> std::process::ExitStatus {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).expect("pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(start.elapsed() < DEADLINE, "sidecar ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal (SIGSTOP, SIGCONT).
    pub fn signal(&self, sig: rustix::process::Signal) {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).expect("pid");
        rustix::process::kill_process(pid, sig).expect("signal");
    }

    /// The sidecar's stderr so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Waits for the process to exit by itself; its status (the test fails after [`DEADLINE`]).
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "the sidecar is still running; its log:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGKILL and reaps the process.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("wait");
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How many file descriptors a process has open, from /proc.
pub fn open_fds(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc/PID/fd")
        .count()
}

/// A minimal HTTP/1.1 response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One GET over a fresh connection (`Connection: close`, so the body ends at EOF).
pub fn http_get(addr: SocketAddr, path: &str) -> Option<Response> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some(Response {
        status,
        headers,
        body: body.to_owned(),
    })
}

/// The value of one series (`name{labels}` exactly as exposed) in exposition text.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// The sum of every series of a family in exposition text.
pub fn family_total(text: &str, name: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Appends `n` touchline-format lines for `path`, as nginx would.
pub fn append_lines(log: &Path, path: &str, n: usize) {
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("open log");
    let mut buf = String::new();
    for i in 0..n {
        buf.push_str(&format!(
            "127.0.0.1 - - [23/Nov/2026:15:32:11 +0000] \"GET {path}?n={i} HTTP/1.1\" 200 100 \"-\" \"test\" 0.002\n"
        ));
    }
    f.write_all(buf.as_bytes()).expect("append");
}

/// `touchline_http_requests_total` for one path, GET, 200.
pub fn get_200(path: &str) -> String {
    format!(
        r#"touchline_http_requests_total{{path="{path}",method="GET",status="200",client="human"}}"#
    )
}

/// Runs `promtool check metrics` on exposition text; returns its complaints.
pub fn promtool_check(text: &str) -> String {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is installed by scripts/install-deps");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let out = child.wait_with_output().expect("promtool");
    let mut complaints = String::from_utf8_lossy(&out.stdout).into_owned();
    complaints.push_str(&String::from_utf8_lossy(&out.stderr));
    if !out.status.success() && complaints.is_empty() {
        complaints = format!("promtool exited with {}", out.status);
    }
    complaints
}
