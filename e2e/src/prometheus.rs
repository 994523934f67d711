//! A real Prometheus (Debian's package) on a free loopback port, scraping given targets; stopped
//! on drop. Queries go through its HTTP API.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use crate::{ChildGuard, free_port, http, wait_for_port};

/// Where Debian's package installs Prometheus.
pub const PROMETHEUS_BIN: &str = "/usr/bin/prometheus";

/// A running Prometheus with its own config and storage in a temporary directory.
#[derive(Debug)]
pub struct Prometheus {
    // Dropped first: stop Prometheus, then delete its directory.
    child: ChildGuard,
    port: u16,
    dir: tempfile::TempDir,
}

/// One sample of an instant vector: its labels and value.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The series' labels (`__name__` included when the query keeps it).
    pub labels: serde_json::Map<String, Value>,
    /// The value.
    pub value: f64,
}

impl Sample {
    /// The value of label `name`, or "" if absent.
    pub fn label(&self, name: &str) -> &str {
        self.labels.get(name).and_then(Value::as_str).unwrap_or("")
    }
}

impl Prometheus {
    /// Starts Prometheus scraping `targets` (`host:port`) as job `job` every `interval`.
    pub fn start(job: &str, targets: &[String], interval: Duration) -> Result<Prometheus> {
        if !Path::new(PROMETHEUS_BIN).is_file() {
            bail!(
                "{PROMETHEUS_BIN} is missing; install it with scripts/install-deps (apt-get install -y prometheus)"
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("touchline-prometheus-")
            .tempdir()
            .context("creating Prometheus's directory")?;
        let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let config = dir.path().join("prometheus.yml");
        let secs = interval.as_secs().max(1);
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: {secs}s\n  evaluation_interval: {secs}s\n\
                 scrape_configs:\n  - job_name: {job}\n    static_configs:\n      - targets: [{}]\n",
                targets.join(", ")
            ),
        )
        .with_context(|| format!("writing {}", config.display()))?;
        let port = free_port();
        let log_path = dir.path().join("prometheus.log");
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let mut child = ChildGuard::spawn(
            "prometheus",
            Command::new(PROMETHEUS_BIN)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log),
        )?;
        if let Err(e) = wait_for_port(port, Duration::from_secs(30)) {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            child
                .check_running()
                .with_context(|| format!("prometheus's log:\n{log}"))?;
            return Err(e.context(format!("prometheus's log:\n{log}")));
        }
        Ok(Prometheus { child, port, dir })
    }

    /// The loopback port of Prometheus's HTTP API.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Prometheus's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// Errors if Prometheus has exited.
    pub fn check_running(&mut self) -> Result<()> {
        self.child.check_running()
    }

    /// Runs an instant query; returns the samples of its vector result.
    pub fn query(&self, promql: &str) -> Result<Vec<Sample>> {
        let resp = http::get(
            self.port,
            &format!("/api/v1/query?query={}", encode(promql)),
        )?;
        let body: Value = serde_json::from_slice(&resp.body)
            .with_context(|| format!("Prometheus answered {}: {}", resp.status, resp.text()))?;
        ensure!(
            body["status"] == "success",
            "query {promql:?} failed: {body}"
        );
        ensure!(
            body["data"]["resultType"] == "vector",
            "query {promql:?}: expected a vector, got {}",
            body["data"]["resultType"]
        );
        let mut out = Vec::new();
        for s in body["data"]["result"].as_array().into_iter().flatten() {
            let value = s["value"][1]
                .as_str()
                .context("sample without a value")?
                .parse::<f64>()
                .context("sample value is not a number")?;
            let labels = s["metric"].as_object().cloned().unwrap_or_default();
            out.push(Sample { labels, value });
        }
        Ok(out)
    }
}

/// Percent-encodes a query-string value.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
