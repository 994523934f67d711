//! A load-balancing nginx in front of replicas, as the deployments Touchline replaces ran one
//! (and as the ingress controller does): an upstream of the replicas' nginx, round robin,
//! keep-alive connections, and a retry on the next replica when one refuses or drops a
//! connection. Its access log records, per request, every replica tried and its status.

use std::fmt::Write as _;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::nginx::nginx_binary;
use crate::{ChildGuard, free_port, wait_for_port};

/// A running load balancer on 127.0.0.1; stopped on drop.
#[derive(Debug)]
pub struct Balancer {
    // Dropped first: stop nginx, then delete its directory.
    child: ChildGuard,
    port: u16,
    dir: tempfile::TempDir,
}

/// One request as the balancer logged it.
#[derive(Debug, Clone)]
pub struct Balanced {
    pub method: String,
    pub uri: String,
    /// The status sent to the client.
    pub status: u16,
    /// Each replica tried, in order (`127.0.0.1:port`).
    pub upstreams: Vec<String>,
    /// The status each of them gave (`502` for a refused connection).
    pub upstream_statuses: Vec<String>,
}

/// The balancer's configuration for `upstreams` (replica nginx ports), listening on `port`,
/// with its pid, logs and temp files in `dir`.
pub fn config(upstreams: &[u16], port: u16, dir: &Path) -> Result<String> {
    let dir = dir
        .to_str()
        .with_context(|| format!("{} is not UTF-8", dir.display()))?;
    // As root, workers would switch to "nobody", who cannot write the test's private
    // directory; the replicas' nginx does the same (e2e/src/nginx.rs).
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    let mut servers = String::new();
    for p in upstreams {
        // One failure takes a replica out for 10 s: after the first refused connection the
        // balancer stops trying a stopped replica.
        writeln!(
            servers,
            "        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;"
        )
        .context("formatting")?;
    }
    Ok(format!(
        r#"{user}
worker_processes 1;
pid "{dir}/nginx.pid";
error_log "{dir}/error.log" warn;
events {{
    worker_connections 512;
}}
http {{
    client_body_temp_path "{dir}/tmp/client_body";
    proxy_temp_path "{dir}/tmp/proxy";
    fastcgi_temp_path "{dir}/tmp/fastcgi";
    uwsgi_temp_path "{dir}/tmp/uwsgi";
    scgi_temp_path "{dir}/tmp/scgi";
    log_format balanced '$request_method $request_uri $status "$upstream_addr" "$upstream_status"';
    access_log "{dir}/access.log" balanced;
    upstream replicas {{
{servers}        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            # Retry on the other replica when one refuses, drops or times out (only before
            # anything was sent to the client, and GET is idempotent).
            proxy_next_upstream error timeout http_502 http_503;
            proxy_next_upstream_tries {tries};
            proxy_connect_timeout 2s;
        }}
    }}
}}
"#,
        user = if root { "user root root;" } else { "" },
        tries = upstreams.len(),
    ))
}

impl Balancer {
    /// Starts nginx balancing over `upstreams` (the replicas' nginx ports).
    pub fn start(upstreams: &[u16]) -> Result<Balancer> {
        let dir = tempfile::Builder::new()
            .prefix("touchline-balancer-")
            .tempdir()
            .context("creating the balancer's directory")?;
        std::fs::create_dir_all(dir.path().join("tmp"))?;
        let port = free_port();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, config(upstreams, port, dir.path())?)
            .with_context(|| format!("writing {}", conf.display()))?;
        let stderr = std::fs::File::create(dir.path().join("stderr.log"))?;
        let mut child = ChildGuard::spawn(
            "balancer nginx",
            Command::new(nginx_binary()?)
                .arg("-p")
                .arg(dir.path())
                .arg("-c")
                .arg(&conf)
                .args(["-g", "daemon off;"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr),
        )?;
        if let Err(e) = wait_for_port(port, Duration::from_secs(10)) {
            let log = std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default();
            child.check_running().with_context(|| log.clone())?;
            bail!("{e:#}\nthe balancer's log:\n{log}");
        }
        Ok(Balancer { child, port, dir })
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its error log so far.
    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// Every request it logged.
    pub fn logged(&self) -> Result<Vec<Balanced>> {
        let path = self.dir.path().join("access.log");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let mut out = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let at = || format!("{} line {}: {line:?}", path.display(), number + 1);
            let mut fields = line.splitn(4, ' ');
            let method = fields.next().with_context(at)?.to_string();
            let uri = fields.next().with_context(at)?.to_string();
            let status = fields.next().with_context(at)?.parse().with_context(at)?;
            let rest = fields.next().with_context(at)?;
            let quoted: Vec<&str> = rest.split('"').filter(|s| !s.trim().is_empty()).collect();
            let [addrs, statuses] = quoted[..] else {
                bail!("{}", at());
            };
            let list = |s: &str| s.split(", ").map(str::to_string).collect::<Vec<_>>();
            out.push(Balanced {
                method,
                uri,
                status,
                upstreams: list(addrs),
                upstream_statuses: list(statuses),
            });
        }
        Ok(out)
    }

    /// Stops it.
    pub fn stop(mut self) -> Result<()> {
        self.child.stop().map(|_| ())
    }
}
