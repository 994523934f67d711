//! Prometheus in the two roles of the central-server deployment: an agent running
//! `deploy/prometheus/agent.yml` (its `# env` lines rendered for this machine) and a central
//! server with the remote-write receiver and the project's rules. Plus [`Api`], a query client
//! for any Prometheus port that can evaluate at a given time and read raw samples, which exact
//! checks of `rate()`-based queries need.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use serde_json::Value;

use crate::prometheus::{PROMETHEUS_BIN, Sample, encode};
use crate::{ChildGuard, free_port, http, wait_for_port, workspace_root};

/// `deploy/prometheus/agent.yml`.
pub fn agent_config_path() -> PathBuf {
    workspace_root().join("deploy/prometheus/agent.yml")
}

/// Where the agent finds the sidecars and the central server, for this machine.
#[derive(Debug, Clone)]
pub struct AgentEnvironment {
    /// Sidecar `host:port`s to scrape (a static list in place of the DNS discovery).
    pub targets: Vec<String>,
    /// The central server's remote-write URL.
    pub remote_write_url: String,
    /// The file holding the agent's password for the central server.
    pub password_file: PathBuf,
    /// The certificate authority file of the central server (loaded even for `http://`).
    pub ca_file: PathBuf,
}

/// Renders `template` (the text of agent.yml): every line marked `# env` is replaced by this
/// environment's line for the same key (the first key on the line: `dns_sd_configs`, `names`,
/// `url`, `password_file`, `ca_file`), keeping its indentation; every other line is kept. Errors
/// name the line of an unknown or repeated marked key, or the key with no marked line.
pub fn render_agent_config(template: &str, env: &AgentEnvironment) -> Result<String> {
    let quote = |p: &Path| serde_json::to_string(&p.display().to_string());
    let targets = serde_json::to_string(&env.targets)?;
    let replacements: Vec<(&str, String)> = vec![
        ("dns_sd_configs", "static_configs:".to_string()),
        ("names", format!("- targets: {targets}")),
        (
            "url",
            format!("- url: {}", serde_json::to_string(&env.remote_write_url)?),
        ),
        (
            "password_file",
            format!("password_file: {}", quote(&env.password_file)?),
        ),
        ("ca_file", format!("ca_file: {}", quote(&env.ca_file)?)),
    ];
    let mut used = vec![false; replacements.len()];
    let mut out = String::new();
    for (number, line) in template.lines().enumerate() {
        let Some(content) = line.trim_end().strip_suffix("# env") else {
            writeln!(out, "{line}").context("formatting")?;
            continue;
        };
        let indent = &line[..line.len() - line.trim_start().len()];
        let key: String = content
            .trim_start()
            .trim_start_matches("- ")
            .trim_start_matches('{')
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let index = replacements
            .iter()
            .position(|(k, _)| *k == key)
            .with_context(|| {
                format!(
                    "agent.yml line {}: unknown \"# env\" key {key:?}",
                    number + 1
                )
            })?;
        if used[index] {
            bail!(
                "agent.yml line {}: \"# env\" key {key:?} appears twice",
                number + 1
            );
        }
        used[index] = true;
        writeln!(out, "{indent}{}", replacements[index].1).context("formatting")?;
    }
    if let Some(index) = used.iter().position(|u| !u) {
        bail!(
            "agent.yml has no \"# env\" line for {:?}",
            replacements[index].0
        );
    }
    Ok(out)
}

/// A Prometheus process with its own directory (config, data, log); stopped on drop.
#[derive(Debug)]
struct Server {
    // Dropped first: stop the process, then delete its directory.
    child: ChildGuard,
    port: u16,
    dir: tempfile::TempDir,
}

impl Server {
    fn start(name: &str, config: &str, extra_args: &[String]) -> Result<Server> {
        if !Path::new(PROMETHEUS_BIN).is_file() {
            bail!(
                "{PROMETHEUS_BIN} is missing; install it with scripts/install-deps (apt-get install -y prometheus)"
            );
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!("touchline-{name}-"))
            .tempdir()
            .with_context(|| format!("creating {name}'s directory"))?;
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config)
            .with_context(|| format!("writing {}", config_path.display()))?;
        let port = free_port();
        let log_path = dir.path().join("prometheus.log");
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("creating {}", log_path.display()))?;
        let mut child = ChildGuard::spawn(
            name,
            Command::new(PROMETHEUS_BIN)
                .arg(format!("--config.file={}", config_path.display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .args(
                    extra_args
                        .iter()
                        .map(|a| a.replace("{dir}", &dir.path().display().to_string())),
                )
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log),
        )?;
        if let Err(e) = wait_for_port(port, Duration::from_secs(30)) {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            child
                .check_running()
                .with_context(|| format!("{name}'s log:\n{log}"))?;
            return Err(e.context(format!("{name}'s log:\n{log}")));
        }
        child
            .check_running()
            .with_context(|| format!("{name}'s log:\n{}", read(&log_path)))?;
        Ok(Server { child, port, dir })
    }

    fn log(&self) -> String {
        read(&self.dir.path().join("prometheus.log"))
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The central Prometheus: receives remote write, stores, evaluates rule files; scrapes nothing.
#[derive(Debug)]
pub struct Central {
    server: Server,
}

impl Central {
    /// Starts it with `--web.enable-remote-write-receiver`, loading `rule_files` (paths or globs).
    pub fn start(rule_files: &[PathBuf]) -> Result<Central> {
        let mut config = String::from("global:\n  evaluation_interval: 5s\nrule_files:\n");
        for file in rule_files {
            // A JSON string is a valid YAML scalar.
            writeln!(
                config,
                "  - {}",
                serde_json::to_string(&file.display().to_string())?
            )
            .context("formatting")?;
        }
        config.push_str("scrape_configs: []\n");
        let server = Server::start(
            "central-prometheus",
            &config,
            &[
                "--web.enable-remote-write-receiver".into(),
                "--storage.tsdb.path={dir}/data".into(),
            ],
        )?;
        Ok(Central { server })
    }

    /// Its port (queries: [`Api`]).
    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// Its remote-write endpoint.
    pub fn remote_write_url(&self) -> String {
        format!("http://127.0.0.1:{}/api/v1/write", self.server.port)
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        self.server.log()
    }

    /// Errors if it has exited.
    pub fn check_running(&mut self) -> Result<()> {
        self.server.child.check_running()
    }
}

/// A Prometheus agent (`--enable-feature=agent`) running a rendered `deploy/prometheus/agent.yml`.
#[derive(Debug)]
pub struct Agent {
    server: Server,
    config: String,
}

impl Agent {
    /// Renders agent.yml for `env` and starts the agent with it.
    pub fn start(env: &AgentEnvironment) -> Result<Agent> {
        let path = agent_config_path();
        let template = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let config = render_agent_config(&template, env)?;
        let server = Server::start(
            "prometheus-agent",
            &config,
            &[
                "--enable-feature=agent".into(),
                "--storage.agent.path={dir}/wal".into(),
            ],
        )?;
        Ok(Agent { server, config })
    }

    /// The configuration it runs.
    pub fn config(&self) -> &str {
        &self.config
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        self.server.log()
    }

    /// Errors if it has exited.
    pub fn check_running(&mut self) -> Result<()> {
        self.server.child.check_running()
    }
}

/// One series of a range-vector result: its labels and raw `(timestamp, value)` samples.
#[derive(Debug, Clone)]
pub struct Series {
    pub labels: serde_json::Map<String, Value>,
    pub samples: Vec<(f64, f64)>,
}

/// Prometheus's query API on 127.0.0.1:`port`.
#[derive(Debug, Clone, Copy)]
pub struct Api {
    pub port: u16,
}

impl Api {
    fn get(&self, path: &str) -> Result<Value> {
        let resp = http::get(self.port, path)?;
        let mut body: Value = serde_json::from_slice(&resp.body)
            .with_context(|| format!("Prometheus answered {}: {}", resp.status, resp.text()))?;
        ensure!(
            body["status"] == "success",
            "GET {path} answered {}: {body}",
            resp.status
        );
        Ok(body["data"].take())
    }

    /// An instant query evaluated at `time` (Unix seconds; now if `None`): its `data` object.
    pub fn query_data(&self, promql: &str, time: Option<f64>) -> Result<Value> {
        let at = time.map(|t| format!("&time={t:.3}")).unwrap_or_default();
        self.get(&format!("/api/v1/query?query={}{at}", encode(promql)))
    }

    /// An instant query's vector result.
    pub fn query(&self, promql: &str, time: Option<f64>) -> Result<Vec<Sample>> {
        let data = self.query_data(promql, time)?;
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

    /// `label -> value` of an instant query's samples (one per value of `label`).
    pub fn by_label(
        &self,
        promql: &str,
        label: &str,
        time: Option<f64>,
    ) -> Result<std::collections::BTreeMap<String, f64>> {
        Ok(self
            .query(promql, time)?
            .into_iter()
            .map(|s| (s.label(label).to_string(), s.value))
            .collect())
    }

    /// The single value of a query that must return at most one sample (None: empty result).
    pub fn scalar(&self, promql: &str, time: Option<f64>) -> Result<Option<f64>> {
        let samples = self.query(promql, time)?;
        ensure!(
            samples.len() <= 1,
            "query {promql:?} returned {} samples",
            samples.len()
        );
        Ok(samples.first().map(|s| s.value))
    }

    /// The raw samples of a range-vector selector such as `metric{...}[10m]`, evaluated now.
    pub fn samples(&self, selector: &str) -> Result<Vec<Series>> {
        let data = self.query_data(selector, None)?;
        ensure!(
            data["resultType"] == "matrix",
            "query {selector:?}: expected a matrix, got {}",
            data["resultType"]
        );
        let mut out = Vec::new();
        for s in data["result"].as_array().into_iter().flatten() {
            let mut samples = Vec::new();
            for pair in s["values"].as_array().into_iter().flatten() {
                let t = pair[0].as_f64().context("sample without a timestamp")?;
                let v = pair[1]
                    .as_str()
                    .context("sample without a value")?
                    .parse::<f64>()
                    .context("sample value is not a number")?;
                samples.push((t, v));
            }
            let labels = s["metric"].as_object().cloned().unwrap_or_default();
            out.push(Series { labels, samples });
        }
        Ok(out)
    }

    /// The rule groups Prometheus loaded (`/api/v1/rules`'s `groups`).
    pub fn rule_groups(&self) -> Result<Vec<Value>> {
        let mut data = self.get("/api/v1/rules")?;
        Ok(data["groups"]
            .as_array_mut()
            .map(std::mem::take)
            .unwrap_or_default())
    }

    /// The expression of recording rule `record`, as Prometheus loaded it.
    pub fn recording_rule(&self, record: &str) -> Result<String> {
        for group in self.rule_groups()? {
            for rule in group["rules"].as_array().into_iter().flatten() {
                if rule["type"] == "recording" && rule["name"] == record {
                    return rule["query"]
                        .as_str()
                        .map(str::to_string)
                        .context("recording rule without a query");
                }
            }
        }
        bail!("no recording rule {record} loaded")
    }
}
