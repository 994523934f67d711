//! The Grafana dashboard (deploy/grafana/dashboards/touchline.json) against real data: a real
//! nginx serves a freshly generated `dist/` to a bounded burst of requests, the real sidecar
//! tails its access log, and a real Prometheus (Debian's package) scrapes the sidecar with the
//! project's rules loaded. Then every panel query of the dashboard runs through Prometheus's
//! HTTP API and must return data: at least one finite sample, and a non-zero one unless the
//! panel is listed in `MAY_BE_ZERO` (5xx ratio, rotations: nothing in this run produces them).
//! Requests include a crawler, a referral from another site and a broken internal link, so the
//! client, referrer and missing-page panels and rules have data.
//! Every metric a query names must also exist, so an `... or vector(0)` branch cannot hide a
//! misspelt metric.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use contract::Route;
use e2e::nginx::Nginx;
use e2e::prometheus::{Prometheus, encode};
use e2e::{ChildGuard, binary, free_port, http, wait_for_port, wait_until, workspace_root};
use serde_json::Value;

/// Panels whose queries may legitimately be all zeros after this run's traffic.
const MAY_BE_ZERO: &[(&str, &str)] = &[("Error ratio", "A"), ("Log rotations", "A")];

/// Grafana's variables, as the dashboard uses them, replaced by what Grafana would send.
const VARIABLES: &[(&str, &str)] = &[("$__rate_interval", "1m"), ("$path", ".*")];

struct Panel {
    title: String,
    ref_id: String,
    expr: String,
}

fn dashboard_queries() -> Result<Vec<Panel>> {
    let path = workspace_root().join("deploy/grafana/dashboards/touchline.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let dash: Value = serde_json::from_str(&text).context("parsing the dashboard")?;
    let mut out = Vec::new();
    for panel in dash["panels"]
        .as_array()
        .context("dashboard has no panels")?
    {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let mut expr = target["expr"]
                .as_str()
                .context("target without expr")?
                .to_string();
            for (var, value) in VARIABLES {
                expr = expr.replace(var, value);
            }
            out.push(Panel {
                title: panel["title"].as_str().unwrap_or_default().to_string(),
                ref_id: target["refId"].as_str().unwrap_or_default().to_string(),
                expr,
            });
        }
    }
    ensure!(
        out.len() >= 10,
        "only {} panel queries found in {}",
        out.len(),
        path.display()
    );
    Ok(out)
}

/// Runs an instant query; returns the result's samples as (labels, value): a vector's samples,
/// or a scalar as one sample without labels. Unparsable values come back as NaN.
fn query(prom: &Prometheus, promql: &str) -> Result<Vec<(Value, f64)>> {
    let data = prom.query_data(promql)?;
    let mut out = Vec::new();
    match data["resultType"].as_str() {
        Some("vector") => {
            for s in data["result"].as_array().into_iter().flatten() {
                let v = s["value"][1]
                    .as_str()
                    .unwrap_or("NaN")
                    .parse::<f64>()
                    .unwrap_or(f64::NAN);
                out.push((s["metric"].clone(), v));
            }
        }
        Some("scalar") => {
            let v = data["result"][1]
                .as_str()
                .unwrap_or("NaN")
                .parse::<f64>()
                .unwrap_or(f64::NAN);
            out.push((Value::Null, v));
        }
        other => bail!("query {promql:?}: unexpected result type {other:?}"),
    }
    Ok(out)
}

/// Metric names a PromQL expression mentions (touchline_*, process_*, up).
fn metric_names(expr: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len()
            && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b':')
        {
            i += 1;
        }
        if i > start {
            let word = &expr[start..i];
            let quoted = start > 0 && bytes[start - 1] == b'"';
            if !quoted
                && (word.starts_with("touchline_") || word.starts_with("process_") || word == "up")
            {
                names.insert(word.to_string());
            }
        } else {
            i += 1;
        }
    }
    names
}

#[test]
fn every_dashboard_query_returns_data_from_real_traffic() -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let dist: PathBuf = tmp.path().join("dist");
    e2e::generate_site(&dist);
    let routes = e2e::read_routes(&dist)?;
    let log = tmp.path().join("access.log");
    let nginx = Nginx::start(&dist, &log)?;

    let sidecar_port = free_port();
    let mut sidecar = ChildGuard::spawn(
        "touchline-sidecar",
        Command::new(binary("touchline-sidecar"))
            .arg("run")
            .arg("--log")
            .arg(&log)
            .arg("--routes")
            .arg(dist.join("_routes.json"))
            .arg("--site-host")
            .arg("touchline.example")
            .arg("--listen")
            .arg(format!("127.0.0.1:{sidecar_port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null()),
    )?;
    wait_for_port(sidecar_port, Duration::from_secs(20))?;
    sidecar.check_running()?;
    // A real Prometheus scraping the sidecar every second, with the project's rule files loaded.
    let prom = Prometheus::start_with_rules(
        "touchline-sidecar",
        &[format!("127.0.0.1:{sidecar_port}")],
        Duration::from_secs(1),
        &[workspace_root().join("deploy/prometheus/rules/*.yml")],
    )?;
    let prom_port = prom.port();
    // Traffic starts once Prometheus has scraped the idle sidecar twice: rate() needs samples
    // from before the requests, or every counter looks constant.
    let scraping = wait_until(Duration::from_secs(30), || {
        query(&prom, r#"count_over_time(up{job="touchline-sidecar"}[1m])"#)
            .ok()
            .and_then(|r| r.first().map(|(_, v)| *v))
            .is_some_and(|v| v >= 2.0)
    });
    ensure!(
        scraping,
        "Prometheus did not scrape the sidecar within 30 s"
    );

    // Real traffic, bounded: 6 rounds a second apart (so rate() has several scrapes to work
    // with) of every page with and without its trailing slash, a missing page, and HEAD /.
    let mut sent = 0;
    for _ in 0..6 {
        for page in routes.pages.iter().map(Route::as_str) {
            let slash = if page == "/" {
                page.to_owned()
            } else {
                format!("{page}/")
            };
            for path in [page, slash.as_str()] {
                let r = http::get(nginx.port(), path)?;
                ensure!(r.status == 200, "GET {path} answered {}", r.status);
                sent += 1;
            }
        }
        ensure!(http::get(nginx.port(), "/no-such-page")?.status == 404);
        ensure!(http::request(nginx.port(), "HEAD", "/", &[])?.status == 200);
        // A crawler, a visitor from another site, and a broken link on the site itself (the
        // client, referrer and missing-page panels).
        let crawler = [(
            "User-Agent",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        )];
        ensure!(http::get_with(nginx.port(), "/", &crawler)?.status == 200);
        let referred = [("Referer", "https://news.ycombinator.com/item?id=1")];
        ensure!(http::get_with(nginx.port(), "/", &referred)?.status == 200);
        let internal = [("Referer", "https://touchline.example/")];
        ensure!(http::get_with(nginx.port(), "/old-page", &internal)?.status == 404);
        sent += 5;
        std::thread::sleep(Duration::from_secs(1));
    }
    // One line that is not an access log line, appended the way any writer would: the
    // malformed-lines panel must show it.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)?
        .write_all(b"this is not an access log line\n")?;

    // Wait until Prometheus has scraped everything that was sent.
    let all_counted = wait_until(Duration::from_secs(30), || {
        query(
            &prom,
            r#"sum(touchline_http_requests_total{job="touchline-sidecar"})"#,
        )
        .ok()
        .and_then(|r| r.first().map(|(_, v)| *v))
        .is_some_and(|v| v >= f64::from(sent))
    });
    ensure!(all_counted, "Prometheus never saw the {sent} requests sent");
    // ...and the junk line, with a few more scrapes after it for rate().
    let junk_counted = wait_until(Duration::from_secs(15), || {
        query(
            &prom,
            r#"sum(touchline_log_lines_total{job="touchline-sidecar", outcome!="parsed"})"#,
        )
        .ok()
        .and_then(|r| r.first().map(|(_, v)| *v))
        .is_some_and(|v| v >= 1.0)
    });
    ensure!(junk_counted, "Prometheus never saw the malformed line");
    std::thread::sleep(Duration::from_secs(3));

    let panels = dashboard_queries()?;
    let mut failures = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    for p in &panels {
        // Each query gets a few tries: the last scrapes may still be landing.
        let mut last = String::new();
        let ok = loop {
            match query(&prom, &p.expr) {
                Ok(samples) => {
                    let finite: Vec<f64> = samples
                        .iter()
                        .map(|(_, v)| *v)
                        .filter(|v| v.is_finite())
                        .collect();
                    let may_be_zero = MAY_BE_ZERO.contains(&(p.title.as_str(), p.ref_id.as_str()));
                    if !finite.is_empty() && (may_be_zero || finite.iter().any(|v| *v > 0.0)) {
                        break true;
                    }
                    last = format!("{} samples, finite: {finite:?}", samples.len());
                }
                Err(e) => last = format!("{e:#}"),
            }
            if Instant::now() >= deadline {
                break false;
            }
            std::thread::sleep(Duration::from_millis(500));
        };
        if !ok {
            failures.push(format!(
                "panel {:?} ({}): {}\n    {last}",
                p.title, p.ref_id, p.expr
            ));
        }
        for name in metric_names(&p.expr) {
            let found = query(&prom, &format!("count({name})"))?;
            if found.is_empty() {
                failures.push(format!(
                    "panel {:?} ({}): metric {name} does not exist",
                    p.title, p.ref_id
                ));
            }
        }
    }
    // The route variable's values (label_values(touchline_http_requests_total, path)).
    let paths = http::get(
        prom_port,
        &format!(
            "/api/v1/label/path/values?match[]={}",
            encode(r#"touchline_http_requests_total{job="touchline-sidecar"}"#)
        ),
    )?;
    let paths: Value = serde_json::from_slice(&paths.body)?;
    for page in routes.pages.iter().map(Route::as_str) {
        if !paths["data"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|v| v == page)
        {
            failures.push(format!(
                "route variable: {page} missing from {}",
                paths["data"]
            ));
        }
    }
    // The real Prometheus loaded the project's rule groups, evaluates every rule without error,
    // and every recording rule yields series from the real sidecar's metrics (so label values
    // the rules rely on, such as le="0.25", match what the sidecar exposes). The recording
    // group runs every 30 s: wait for its first evaluation.
    let mut rules = Value::Null;
    let evaluated = wait_until(Duration::from_secs(45), || {
        let Ok(r) = http::get(prom_port, "/api/v1/rules") else {
            return false;
        };
        let Ok(v) = serde_json::from_slice::<Value>(&r.body) else {
            return false;
        };
        rules = v;
        let all: Vec<&Value> = rules["data"]["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_array().into_iter().flatten())
            .collect();
        !all.is_empty()
            && all.iter().all(|r| {
                r["health"] == "ok"
                    && !r["lastEvaluation"]
                        .as_str()
                        .unwrap_or("0001")
                        .starts_with("0001")
            })
    });
    let groups = rules["data"]["groups"].as_array().map_or(0, Vec::len);
    if !evaluated || groups != 2 {
        failures.push(format!(
            "rules not all evaluated healthy in 45 s ({groups} groups): {rules}"
        ));
    }
    let records: BTreeSet<String> = rules["data"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["rules"].as_array().into_iter().flatten())
        .filter(|r| r["type"] == "recording")
        .filter_map(|r| r["name"].as_str().map(str::to_string))
        .collect();
    if records.len() < 10 {
        failures.push(format!("only {} recording rules loaded", records.len()));
    }
    // The recording group's first evaluation may have come before the first scrape, and the
    // next one is up to 30 s later: poll until every record has series.
    let mut empty: Vec<&String> = records.iter().collect();
    wait_until(Duration::from_secs(45), || {
        empty.retain(|record| query(&prom, record).map_or(true, |r| r.is_empty()));
        if !empty.is_empty() {
            std::thread::sleep(Duration::from_millis(500));
        }
        empty.is_empty()
    });
    for record in empty {
        failures.push(format!("recording rule {record} has no series after 45 s"));
    }

    sidecar.check_running()?;
    assert!(
        failures.is_empty(),
        "{} checks failed ({} dashboard queries, {sent} requests):\n{}",
        failures.len(),
        panels.len(),
        failures.join("\n")
    );
    eprintln!(
        "dashboards: {} panel queries returned data after {sent} requests",
        panels.len()
    );
    Ok(())
}
