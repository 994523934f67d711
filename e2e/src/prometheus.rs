//! A real Prometheus (Debian's package) on a free loopback port, scraping given targets and
//! optionally evaluating rule files; stopped on drop. Queries go through its HTTP API.

use std::path::{Path, PathBuf};
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
        Prometheus::start_with_rules(job, targets, interval, &[])
    }

    /// [`Prometheus::start`], also loading `rule_files` (paths or globs such as
    /// `deploy/prometheus/rules/*.yml`) and evaluating them every `interval`.
    pub fn start_with_rules(
        job: &str,
        targets: &[String],
        interval: Duration,
        rule_files: &[PathBuf],
    ) -> Result<Prometheus> {
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
        let mut rules = String::new();
        if !rule_files.is_empty() {
            rules.push_str("rule_files:\n");
            for file in rule_files {
                // A JSON string is a valid YAML scalar: no quoting surprises in odd paths.
                let quoted = serde_json::to_string(&file.display().to_string())?;
                rules.push_str(&format!("  - {quoted}\n"));
            }
        }
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: {secs}s\n  evaluation_interval: {secs}s\n\
                 {rules}\
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

    /// Runs an instant query; returns the `data` object of a successful answer
    /// (`resultType` and `result`), whatever its result type.
    pub fn query_data(&self, promql: &str) -> Result<Value> {
        let resp = http::get(
            self.port,
            &format!("/api/v1/query?query={}", encode(promql)),
        )?;
        let mut body: Value = serde_json::from_slice(&resp.body)
            .with_context(|| format!("Prometheus answered {}: {}", resp.status, resp.text()))?;
        ensure!(
            body["status"] == "success",
            "query {promql:?} failed: {body}"
        );
        Ok(body["data"].take())
    }

    /// Runs an instant query; returns the samples of its vector result.
    pub fn query(&self, promql: &str) -> Result<Vec<Sample>> {
        let data = self.query_data(promql)?;
        ensure!(
            data["resultType"] == "vector",
            "query {promql:?}: expected a vector, got {}",
            data["resultType"]
        );
        let mut out = Vec::new();
        for s in data["result"].as_array().into_iter().flatten() {
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
