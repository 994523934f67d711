//! Agent -> remote write -> central Prometheus, end to end, with real processes: the real nginx
//! (the project's configuration) serving a freshly generated `dist/`, the real sidecar tailing
//! its log, a Prometheus in agent mode running `deploy/prometheus/agent.yml` itself (only its
//! `# env` lines rendered for this machine) and scraping the sidecar, and a second, central
//! Prometheus with the remote-write receiver and the project's rules, which scrapes nothing.
//!
//! Requests sent to nginx per endpoint must equal what the central Prometheus returns for the
//! dashboard's "Requests/s per route" query (read from deploy/grafana/dashboards/touchline.json)
//! and for the recording rule `path:touchline_http_requests:rate5m` (as the central server
//! loaded it). Both are rates: evaluated over a window whose edges are two of the agent's
//! scrapes (the last before the traffic, every counter at zero, and the first after it), a rate
//! times the window is exactly the count, with no extrapolation. The recorded series itself,
//! evaluated on the server's own schedule, must lie within the extrapolation Prometheus applies.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use e2e::poll::{poll, unix_now};
use e2e::remote_write::{Agent, AgentEnvironment, Api, Central};
use e2e::replica::{Replica, count_by_target, read_access_log};
use e2e::{dashboard, http, wait_until, workspace_root};

/// The agent scrapes every 15 s (agent.yml) and sends within 5 s (remote write's default batch
/// deadline): anything should arrive within a few of those.
const ARRIVAL: Duration = Duration::from_secs(75);
/// The recording rules' group runs every 30 s.
const RULE_EVALUATION: Duration = Duration::from_secs(75);
/// The series' labels the agent sets: its job name and its external label.
const SELECTOR: &str = r#"job="touchline-sidecar", cluster="touchline-prod""#;
/// Debian's bundle (package ca-certificates): agent.yml's ca_file is loaded even for the plain
/// HTTP used here; TLS and basic auth are exercised against the Ansible role's server
/// (deploy/tests/run_ansible.py).
const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Checks `rates` (path -> requests/s over `window_secs`) against `sent`: rate x window must be
/// the count, for every route (routes without traffic at 0).
fn exact_counts(
    what: &str,
    rates: &BTreeMap<String, f64>,
    window_secs: f64,
    sent: &BTreeMap<String, u64>,
) -> Vec<String> {
    let mut failures = Vec::new();
    for (path, n) in sent {
        let got = rates.get(path).map(|r| r * window_secs);
        if !got.is_some_and(|g| (g - *n as f64).abs() < 1e-6 * (*n as f64).max(1.0)) {
            failures.push(format!(
                "{what}: {path}: {got:?} requests over the window, sent {n}"
            ));
        }
    }
    for (path, r) in rates {
        if !sent.contains_key(path) && *r != 0.0 {
            failures.push(format!("{what}: {path}: {r}/s, but nothing was sent there"));
        }
    }
    failures
}

#[test]
fn requests_per_endpoint_reach_the_central_prometheus_through_the_agent() -> Result<()> {
    let started = Instant::now();
    let tmp = tempfile::tempdir()?;
    let dist = tmp.path().join("dist");
    e2e::try_generate_site(&dist)?;
    let routes = e2e::read_routes(&dist)?;
    ensure!(
        std::path::Path::new(CA_BUNDLE).is_file(),
        "{CA_BUNDLE} is missing; install it with: apt-get install -y ca-certificates"
    );

    let mut replica = Replica::start("site", &dist)?;
    let mut central = Central::start(&[workspace_root().join("deploy/prometheus/rules/*.yml")])?;
    let api = Api {
        port: central.port(),
    };
    let password_file: PathBuf = tmp.path().join("remote-write-password");
    std::fs::write(&password_file, "not-checked-by-this-central-server")?;
    let mut agent = Agent::start(&AgentEnvironment {
        targets: vec![replica.sidecar()?.target()],
        remote_write_url: central.remote_write_url(),
        password_file,
        ca_file: CA_BUNDLE.into(),
    })?;
    // The first samples come after this: the rule's 5m window must still reach back to them.
    let agent_started = Instant::now();
    let logs = |agent: &Agent, central: &Central| {
        format!(
            "agent's log:\n{}\ncentral's log:\n{}",
            agent.log(),
            central.log()
        )
    };

    // The idle sidecar's series, every route at zero, reached the central server.
    let pages = routes.pages.len() as f64;
    poll("the idle sidecar's series on the central server", ARRIVAL, || {
        let count = api.scalar(
            &format!(
                r#"count(touchline_http_requests_total{{{SELECTOR}, method="GET", status="200"}} == 0)"#
            ),
            None,
        )?;
        Ok(count.filter(|c| *c >= pages))
    })
    .with_context(|| logs(&agent, &central))?;

    // Traffic: route i gets 1 + i % 4 requests, so routes differ and a mixed-up label shows.
    let nginx = replica.nginx_port()?;
    let mut sent: BTreeMap<String, u64> = BTreeMap::new();
    for (i, page) in routes.pages.iter().map(contract::Route::as_str).enumerate() {
        for _ in 0..1 + i % 4 {
            let r = http::get(nginx, page)?;
            ensure!(r.status == 200, "GET {page} answered {}", r.status);
            *sent.entry(page.to_owned()).or_default() += 1;
        }
    }
    let total: u64 = sent.values().sum();
    // nginx writes a line once the response is sent: wait for the last ones, then compare.
    let mut logged = BTreeMap::new();
    wait_until(Duration::from_secs(10), || {
        logged = read_access_log(replica.access_log())
            .map(|l| count_by_target(&l))
            .unwrap_or_default();
        logged.values().sum::<u64>() >= total
    });
    assert_eq!(logged, sent, "nginx's access log vs the requests sent");

    // Everything reached the central server.
    let arrival = Instant::now();
    poll("all requests on the central server", ARRIVAL, || {
        let seen = api.scalar(
            &format!("sum(touchline_http_requests_total{{{SELECTOR}}})"),
            None,
        )?;
        Ok(seen.filter(|s| *s == total as f64))
    })
    .with_context(|| logs(&agent, &central))?;
    let arrived_at = unix_now();
    let arrival_secs = arrival.elapsed().as_secs_f64();
    let counted = api.by_label(
        &format!("sum by (path) (touchline_http_requests_total{{{SELECTOR}}} > 0)"),
        "path",
        None,
    )?;
    let counted: BTreeMap<String, u64> = counted.into_iter().map(|(p, v)| (p, v as u64)).collect();
    assert_eq!(
        counted, sent,
        "central Prometheus's counters vs requests sent"
    );

    // The agent's scrapes: every series of one target carries the same timestamps. The window
    // runs from the last scrape with every counter at zero to the first with all requests.
    let series = api.samples(&format!(
        r#"touchline_http_requests_total{{{SELECTOR}, path="/", method="GET", status="200"}}[10m]"#
    ))?;
    let scrapes: Vec<f64> = series
        .first()
        .context("no samples of the / series")?
        .samples
        .iter()
        .map(|(t, _)| *t)
        .collect();
    let mut totals = Vec::new();
    for t in &scrapes {
        let at = api
            .scalar(
                &format!("sum(touchline_http_requests_total{{{SELECTOR}}})"),
                Some(*t),
            )?
            .unwrap_or(f64::NAN);
        totals.push((*t, at));
    }
    let start = totals
        .iter()
        .rev()
        .find(|(_, v)| *v == 0.0)
        .map(|(t, _)| *t)
        .with_context(|| format!("no scrape before the traffic: {totals:?}"))?;
    let end = totals
        .iter()
        .find(|(t, v)| *t > start && *v == total as f64)
        .map(|(t, _)| *t)
        .with_context(|| format!("no scrape after the traffic: {totals:?}"))?;
    let window_ms = ((end - start) * 1000.0).round();
    let window = format!("{window_ms}ms");
    let window_secs = window_ms / 1000.0;

    let mut failures = Vec::new();
    // The dashboard's "requests per endpoint" query, as Grafana runs it for "All" routes.
    let per_route = dashboard::query("Requests/s per route", "A")?;
    let rates = api.by_label(&per_route.with(&window), "path", Some(end))?;
    failures.extend(exact_counts(
        "dashboard \"Requests/s per route\"",
        &rates,
        window_secs,
        &sent,
    ));
    // The status-class panel: all of it is 2xx; the error ratio panel: exactly 0.
    let classes = api.query(
        &dashboard::query("Responses by status class", "A")?.with(&window),
        Some(end),
    )?;
    let classes: Vec<(String, f64)> = classes
        .iter()
        .map(|s| (s.label("status_class").to_string(), s.value * window_secs))
        .filter(|(_, v)| *v != 0.0)
        .collect();
    if classes.len() != 1 || classes[0].0 != "2xx" || (classes[0].1 - total as f64).abs() > 1e-6 {
        failures.push(format!(
            "dashboard \"Responses by status class\": {classes:?}, sent {total} 2xx"
        ));
    }
    let errors = api.scalar(
        &dashboard::query("Error ratio", "A")?.with(&window),
        Some(end),
    )?;
    if errors != Some(0.0) {
        failures.push(format!(
            "dashboard \"Error ratio\" 5xx: {errors:?}, expected 0"
        ));
    }

    // The recording rule's expression as the central server loaded it, over the same window.
    let record = "path:touchline_http_requests:rate5m";
    let rule = api.recording_rule(record)?;
    ensure!(
        rule.contains("[5m]"),
        "{record}'s expression has no [5m] window: {rule}"
    );
    let rule_rates = api.by_label(
        &rule.replace("[5m]", &format!("[{window}]")),
        "path",
        Some(end),
    )?;
    failures.extend(exact_counts(
        &format!("rule {record}'s expression"),
        &rule_rates,
        window_secs,
        &sent,
    ));

    // The series the server recorded, at its first evaluation after everything arrived. Its 5m
    // window holds every sample since the agent started (the first at zero), so Prometheus
    // extrapolates only towards the window's end, by at most 1.1 scrape intervals: rate x 300 s
    // lies between the count and count x (1 + 1.1 / (samples - 1)).
    ensure!(
        agent_started.elapsed() < Duration::from_secs(280),
        "the agent started {:?} ago: the rule's 5m window no longer covers its first samples",
        agent_started.elapsed()
    );
    let evaluated_at = poll(
        &format!("an evaluation of {record} after the data arrived"),
        RULE_EVALUATION,
        || {
            Ok(api
                .scalar(&format!(r#"timestamp({record}{{path="/"}})"#), None)?
                .filter(|t| *t > arrived_at))
        },
    )?;
    let recorded = api.by_label(record, "path", Some(evaluated_at))?;
    let samples_in_window = api
        .scalar(
            &format!(
                r#"min(count_over_time(touchline_http_requests_total{{{SELECTOR}, method="GET", status="200"}}[5m]))"#
            ),
            Some(evaluated_at),
        )?
        .context("no samples in the rule's window")?;
    ensure!(
        samples_in_window >= 2.0,
        "{samples_in_window} samples in the window"
    );
    let most = 1.0 + 1.1 / (samples_in_window - 1.0);
    for (path, n) in &sent {
        let got = recorded.get(path).map_or(0.0, |r| r * 300.0);
        let n = *n as f64;
        if !(got >= n - 1e-9 && got <= n * most + 1e-9) {
            failures.push(format!(
                "recorded {record}{{path={path:?}}} x 300 s = {got}, sent {n} (allowed up to x{most:.3})"
            ));
        }
    }

    // The agent forwarded only what agent.yml's write_relabel_configs keep.
    let dropped = api.scalar(
        &format!(r#"count({{{SELECTOR}, __name__!~"up|touchline_.*|process_.*"}})"#),
        None,
    )?;
    if dropped.is_some() {
        failures.push(format!(
            "{dropped:?} series the agent should have dropped reached the server"
        ));
    }

    agent.check_running()?;
    central.check_running()?;
    replica.sidecar()?;
    assert!(
        failures.is_empty(),
        "{} checks failed:\n{}\nagent configuration:\n{}",
        failures.len(),
        failures.join("\n"),
        agent.config()
    );
    eprintln!(
        "remote_write: {total} requests to {} routes; all on the central server {arrival_secs:.1} s \
         after the last one; exact over a {window_secs:.3} s window of {} scrapes; {record} within \
         x{most:.3} ({samples_in_window} samples); {:.1} s in all",
        sent.len(),
        totals
            .iter()
            .filter(|(t, _)| *t >= start && *t <= end)
            .count(),
        started.elapsed().as_secs_f64()
    );
    drop(replica.stop_sidecar());
    Ok(())
}
