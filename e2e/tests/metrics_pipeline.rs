//! The metrics pipeline end to end: a real nginx (nginx/nginx.conf on a loopback port, serving a
//! freshly generated `dist/`) answers a bounded burst of requests, with a logrotate-style rename
//! and reopen in the middle, while the real sidecar tails its access log with the site's route
//! manifest. The sidecar's `/metrics` must then equal the requests sent, series by series
//! (path, method, status, client class); and a real Prometheus scraping the sidecar must return
//! the same counts through its query API, with `sum without(client)` giving the per-route
//! counts of before client classes. Requests come from browsers, crawlers, AI crawlers, feed
//! readers, monitors and scripts, each class decided by [`USER_AGENTS`], a table of this test
//! independent of the sidecar's list.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use contract::Route;
use e2e::nginx::Nginx;
use e2e::prometheus::Prometheus;
use e2e::{ChildGuard, binary, free_port, http, wait_for_port, wait_until};

/// (path label, method, status, client) -> requests.
type Series = BTreeMap<(String, String, String, String), u64>;

/// User agents the test sends in turn, each with the `client` class it must be counted as
/// (real user agents of each kind, classified by hand).
const USER_AGENTS: [(&str, &str); 7] = [
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "human",
    ),
    (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "crawler",
    ),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
        "ai_crawler",
    ),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)",
        "ai_crawler",
    ),
    (
        "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 3 subscribers)",
        "feed_reader",
    ),
    (
        "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
        "monitor",
    ),
    ("curl/8.5.0", "other"),
];

/// The series summed over client classes, as `sum without(client)` gives them.
fn without_client(series: &Series) -> BTreeMap<(String, String, String), u64> {
    let mut out = BTreeMap::new();
    for ((path, method, status, _), n) in series {
        *out.entry((path.clone(), method.clone(), status.clone()))
            .or_default() += n;
    }
    out
}

const WAIT: Duration = Duration::from_secs(30);

/// One request the test sends, and the `path` label the sidecar must give it.
struct Planned {
    method: &'static str,
    target: String,
    label: String,
}

/// Every page in three spellings, every file, one asset, junk, and other methods.
fn plan(routes: &contract::Manifest, dist: &Path) -> Result<Vec<Planned>> {
    let get = |target: String, label: &str| Planned {
        method: "GET",
        target,
        label: label.to_string(),
    };
    let mut plan = Vec::new();
    for page in routes.pages.iter().map(Route::as_str) {
        plan.push(get(page.to_owned(), page));
        if page != "/" {
            plan.push(get(format!("{page}/"), page));
        }
        let dir = if page == "/" { "" } else { page };
        plan.push(get(format!("{dir}/index.html?x=1"), page));
    }
    for file in routes.files.iter().map(Route::as_str) {
        plan.push(get(file.to_owned(), file));
    }
    let assets_dir = dist.join(routes.assets_prefix.trim_matches('/'));
    let asset = std::fs::read_dir(&assets_dir)
        .with_context(|| format!("listing {}", assets_dir.display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".css") || n.ends_with(".js") || n.ends_with(".svg"))
        .context("no fingerprinted asset in dist")?;
    let assets_label = format!("{}*", routes.assets_prefix);
    plan.push(get(
        format!("{}{asset}", routes.assets_prefix),
        &assets_label,
    ));
    plan.push(get(
        format!("{}{asset}?v=2", routes.assets_prefix),
        &assets_label,
    ));
    plan.push(get("/wp-login.php".into(), "other"));
    plan.push(get("/no/such/page?q=1".into(), "other"));
    if let Some(page) = routes.pages.iter().map(Route::as_str).find(|p| p.len() > 2) {
        // Percent-encoded first letter: nginx decodes it, and so must the sidecar.
        let encoded = format!("/%{:02X}{}", page.as_bytes()[1], &page[2..]);
        plan.push(get(encoded, page));
    }
    plan.push(Planned {
        method: "HEAD",
        target: "/".into(),
        label: "/".into(),
    });
    plan.push(Planned {
        method: "POST",
        target: "/".into(),
        label: "/".into(),
    });
    Ok(plan)
}

/// Sends the planned requests; returns the series they must produce.
fn send(port: u16, plan: &[Planned], expected: &mut Series) -> Result<()> {
    for (i, p) in plan.iter().enumerate() {
        let (agent, client) = USER_AGENTS[i % USER_AGENTS.len()];
        let resp = http::request(port, p.method, &p.target, &[("User-Agent", agent)])
            .with_context(|| format!("{} {}", p.method, p.target))?;
        *expected
            .entry((
                p.label.clone(),
                p.method.into(),
                format!("{:03}", resp.status),
                client.into(),
            ))
            .or_default() += 1;
    }
    // A request line nginx cannot parse: logged as 400 with the raw line as `$request`.
    let raw = http::send_raw(port, b"GARBAGE\r\n\r\n")?;
    ensure!(
        raw.starts_with(b"HTTP/1.1 400"),
        "nginx answered {:?}",
        String::from_utf8_lossy(&raw)
    );
    *expected
        .entry(("other".into(), "OTHER".into(), "400".into(), "other".into()))
        .or_default() += 1;
    Ok(())
}

/// The non-zero `touchline_http_requests_total` series of an exposition.
fn exposed_series(text: &str) -> Result<Series> {
    let mut out = Series::new();
    for line in text
        .lines()
        .filter(|l| l.starts_with("touchline_http_requests_total{"))
    {
        let (labels, value) = line.rsplit_once(' ').context("sample without value")?;
        let value: f64 = value.parse().context("sample value")?;
        if value == 0.0 {
            continue;
        }
        let label = |name: &str| -> Result<String> {
            let start = labels
                .find(&format!("{name}=\""))
                .with_context(|| format!("no {name} in {labels}"))?
                + name.len()
                + 2;
            let end = labels[start..].find('"').context("unterminated label")? + start;
            Ok(labels[start..end].to_string())
        };
        out.insert(
            (
                label("path")?,
                label("method")?,
                label("status")?,
                label("client")?,
            ),
            value as u64,
        );
    }
    Ok(out)
}

struct Sidecar {
    guard: ChildGuard,
    port: u16,
    stderr: PathBuf,
}

impl Sidecar {
    fn start(dir: &Path, log: &Path, routes: &Path) -> Result<Sidecar> {
        let port = free_port();
        let stderr = dir.join("sidecar.log");
        let mut guard = ChildGuard::spawn(
            "touchline-sidecar",
            Command::new(binary("touchline-sidecar"))
                .arg("run")
                .arg("--log")
                .arg(log)
                .arg("--routes")
                .arg(routes)
                .arg("--state")
                .arg(dir.join("sidecar-state.json"))
                .arg("--listen")
                .arg(format!("127.0.0.1:{port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&stderr)?),
        )?;
        wait_for_port(port, WAIT)?;
        guard.check_running()?;
        Ok(Sidecar {
            guard,
            port,
            stderr,
        })
    }

    fn metrics(&self) -> Result<String> {
        let r = http::get(self.port, "/metrics")?;
        ensure!(r.status == 200, "/metrics answered {}", r.status);
        Ok(r.text())
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

#[test]
fn metrics_equal_the_requests_sent_in_the_sidecar_and_in_prometheus() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let dist = tmp.path().join("dist");
    e2e::try_generate_site(&dist)?;
    let routes = e2e::read_routes(&dist)?;
    let access_log = tmp.path().join("access.log");
    let nginx = Nginx::start(&dist, &access_log)?;
    let mut sidecar = Sidecar::start(tmp.path(), &access_log, &dist.join("_routes.json"))?;
    ensure!(
        wait_until(WAIT, || http::get(sidecar.port, "/readyz")
            .is_ok_and(|r| r.status == 200)),
        "sidecar never ready:\n{}",
        sidecar.log()
    );
    // Before any traffic, every route is there at zero.
    let idle = sidecar.metrics()?;
    for page in routes.pages.iter().map(Route::as_str) {
        let series = format!(
            "touchline_http_requests_total{{path=\"{page}\",method=\"GET\",status=\"200\",client=\"human\"}} 0"
        );
        ensure!(idle.contains(&series), "missing {series}");
    }

    let plan = plan(&routes, &dist)?;
    let mut expected = Series::new();
    send(nginx.port(), &plan, &mut expected)?;
    // logrotate's `create` rotation: rename, then nginx reopens on USR1.
    std::fs::rename(&access_log, tmp.path().join("access.log.1"))?;
    send(nginx.port(), &plan, &mut expected)?;
    nginx.reopen_logs()?;
    send(nginx.port(), &plan, &mut expected)?;
    let total: u64 = expected.values().sum();

    let mut exposed = Series::new();
    let caught_up = wait_until(WAIT, || {
        exposed = sidecar
            .metrics()
            .and_then(|m| exposed_series(&m))
            .unwrap_or_default();
        exposed.values().sum::<u64>() >= total
    });
    sidecar.guard.check_running()?;
    ensure!(
        caught_up,
        "sidecar counted {} of {total} requests:\n{}",
        exposed.values().sum::<u64>(),
        sidecar.log()
    );
    assert_eq!(exposed, expected, "sidecar /metrics vs requests sent");
    let text = sidecar.metrics()?;
    ensure!(
        text.contains("touchline_log_rotations_total 1"),
        "one rotation expected:\n{}",
        text.lines()
            .filter(|l| l.contains("rotations"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    ensure!(
        text.contains(r#"touchline_log_lines_total{outcome="syntax"} 0"#),
        "malformed lines in nginx's own log"
    );

    let mut prom = Prometheus::start(
        "touchline-sidecar",
        &[format!("127.0.0.1:{}", sidecar.port)],
        Duration::from_secs(1),
    )?;
    let mut seen = 0.0;
    let scraped = wait_until(WAIT, || {
        seen = prom
            .query("sum(touchline_http_requests_total)")
            .ok()
            .and_then(|s| s.first().map(|s| s.value))
            .unwrap_or(0.0);
        seen >= total as f64
    });
    prom.check_running()?;
    ensure!(
        scraped,
        "Prometheus saw {seen} of {total} requests:\n{}",
        prom.log()
    );
    let mut from_prom = Series::new();
    for s in prom.query("touchline_http_requests_total > 0")? {
        from_prom.insert(
            (
                s.label("path").into(),
                s.label("method").into(),
                s.label("status").into(),
                s.label("client").into(),
            ),
            s.value as u64,
        );
    }
    assert_eq!(
        from_prom, expected,
        "Prometheus's per-path counts vs requests sent"
    );
    // The series of before client classes are one sum away.
    let mut summed = BTreeMap::new();
    for s in prom.query("sum without(client) (touchline_http_requests_total) > 0")? {
        ensure!(s.label("client").is_empty(), "client left after the sum");
        summed.insert(
            (
                s.label("path").into(),
                s.label("method").into(),
                s.label("status").into(),
            ),
            s.value as u64,
        );
    }
    assert_eq!(
        summed,
        without_client(&expected),
        "sum without(client) vs requests sent per path, method and status"
    );
    Ok(())
}
