//! Scale-out, proven with real processes: two replicas, each the real nginx (the project's
//! configuration) and the real sidecar with its own access log, as two pods run them; a
//! load-balancing nginx in front (an upstream of the two, round robin, retrying the other
//! replica when one refuses); a real Prometheus scraping both sidecars with the project's rules.
//!
//! Clients send requests through the balancer while one replica is stopped as Kubernetes stops
//! a pod (nginx gets its image's STOPSIGNAL, SIGQUIT, and drains; then its sidecar goes). Then:
//! - every request was answered, and the balancer retried the stopped replica's share on the
//!   other (its log shows both tried);
//! - each replica's access log holds exactly what the balancer says it served, and the two
//!   logs together are what the clients sent, route by route;
//! - Prometheus's counters, summed over replicas per route (the dashboard's "Requests/s per
//!   route" query with its rate() taken off), equal those logs: the stopped replica's sidecar
//!   counted everything its nginx logged and was scraped before it went;
//! - after the replica is gone, the dashboard's queries and the recording rule (the real ones,
//!   from deploy/) still return its requests: rate x window lies between the count and the
//!   count times Prometheus's largest extrapolation (1 + 1.1 / (samples - 1)).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use e2e::balancer::Balancer;
use e2e::poll::{poll, unix_now};
use e2e::prometheus::Prometheus;
use e2e::remote_write::Api;
use e2e::replica::{Replica, count_by_target, read_access_log};
use e2e::{dashboard, http, wait_until, workspace_root};

const JOB: &str = r#"job="touchline-sidecar""#;
const WAIT: Duration = Duration::from_secs(30);
/// Requests per route: enough for the stop to fall in the middle of the traffic.
const ROUNDS: usize = 6;
const CLIENTS: usize = 3;

/// Whether `got` (a rate over a window times the window, summed over replicas) is what Prometheus
/// can make of `counts` (each replica's count) when each replica's series starts at zero inside
/// the window: each count times 1 + (end extrapolation) / (sampled interval), where the end
/// extrapolation is at most 1.1 average scrape intervals, so at most 1 + 1.1 / (samples - 1).
fn within(counts: &[u64], samples: &[f64], got: f64) -> bool {
    let least: f64 = counts.iter().map(|c| *c as f64).sum();
    let most: f64 = counts
        .iter()
        .zip(samples)
        .map(|(c, n)| *c as f64 * (1.0 + 1.1 / (n - 1.0)))
        .sum();
    got >= least - 1e-9 && got <= most + 1e-9
}

/// The fewest samples any route series of each replica has in `window` at `time`.
fn samples_per_replica(
    api: &Api,
    targets: &[String; 2],
    window: &str,
    time: f64,
) -> Result<[f64; 2]> {
    let per_instance = api.by_label(
        &format!(
            r#"min by (instance) (count_over_time(touchline_http_requests_total{{{JOB}, method="GET", status="200"}}[{window}]))"#
        ),
        "instance",
        Some(time),
    )?;
    let n = |i: usize| {
        per_instance
            .get(&targets[i])
            .copied()
            .filter(|n| *n >= 2.0)
            .with_context(|| {
                format!(
                    "fewer than 2 samples of {} in {window}: {per_instance:?}",
                    targets[i]
                )
            })
    };
    Ok([n(0)?, n(1)?])
}

/// A gate the clients stop at until the replica is down, so traffic also runs after the stop.
struct Gate {
    open: Mutex<bool>,
    cond: Condvar,
}

impl Gate {
    fn wait(&self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        while !*open {
            open = self.cond.wait(open).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn open(&self) {
        *self.open.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.cond.notify_all();
    }
}

#[test]
fn two_replicas_behind_a_balancer_count_each_request_once_when_one_stops() -> Result<()> {
    let started = Instant::now();
    let tmp = tempfile::tempdir()?;
    let dist = tmp.path().join("dist");
    e2e::try_generate_site(&dist)?;
    let routes = e2e::read_routes(&dist)?;

    // The same image (one dist/) in two pods, each with its own log.
    let mut replicas = [
        Replica::start("replica-a", &dist)?,
        Replica::start("replica-b", &dist)?,
    ];
    let upstreams = [replicas[0].nginx_port()?, replicas[1].nginx_port()?];
    let balancer = Balancer::start(&upstreams)?;
    let targets = [
        replicas[0].sidecar()?.target(),
        replicas[1].sidecar()?.target(),
    ];
    let mut prom = Prometheus::start_with_rules(
        "touchline-sidecar",
        &targets,
        Duration::from_secs(1),
        &[workspace_root().join("deploy/prometheus/rules/*.yml")],
    )?;
    let prom_started = unix_now();
    // The first samples come after this: the rule's 5m window must still reach back to them.
    let scraping_since = Instant::now();
    let api = Api { port: prom.port() };
    // Both replicas scraped at zero first: every route's series then starts at 0, so rates
    // over the whole run see all of its requests.
    poll("two scrapes of each idle replica", WAIT, || {
        let scrapes = api.by_label(
            &format!("count_over_time(up{{{JOB}}}[1m])"),
            "instance",
            None,
        )?;
        Ok((scrapes.len() == 2 && scrapes.values().all(|n| *n >= 2.0)).then_some(()))
    })?;

    // The clients: each sends its share of ROUNDS requests to every route through the
    // balancer. Replica b is stopped once a third are answered; the clients stop at two
    // thirds until it is down, so requests run during the stop and after it.
    let plan: Vec<&str> = (0..ROUNDS)
        .flat_map(|_| routes.pages.iter().map(contract::Route::as_str))
        .collect();
    let done = AtomicUsize::new(0);
    let gate = Gate {
        open: Mutex::new(false),
        cond: Condvar::new(),
    };
    let answers: Mutex<Vec<(String, Result<u16, String>)>> = Mutex::new(Vec::new());
    let lb = balancer.port();
    let stop_result = std::thread::scope(|scope| {
        for client in 0..CLIENTS {
            let (plan, done, gate, answers) = (&plan, &done, &gate, &answers);
            scope.spawn(move || {
                let mut waited = false;
                for (i, path) in plan.iter().enumerate().skip(client).step_by(CLIENTS) {
                    if !waited && i >= plan.len() * 2 / 3 {
                        gate.wait();
                        waited = true;
                    }
                    let answer = http::get(lb, path)
                        .map(|r| r.status)
                        .map_err(|e| format!("{e:#}"));
                    answers
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(((*path).to_owned(), answer));
                    done.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
        let third = plan.len() / 3;
        let stopped = if wait_until(WAIT, || done.load(Ordering::SeqCst) >= third) {
            replicas[1].stop_nginx_gracefully(WAIT)
        } else {
            Err(anyhow::anyhow!("the clients never got a third of the way"))
        };
        let at = done.load(Ordering::SeqCst);
        gate.open();
        stopped.map(|()| at)
    });
    let stopped_after = stop_result.context("stopping replica b's nginx")?;
    let answers = answers.into_inner().unwrap_or_else(|p| p.into_inner());
    let failed: Vec<_> = answers.iter().filter(|(_, a)| *a != Ok(200)).collect();
    ensure!(
        failed.is_empty(),
        "{} of {} requests through the balancer failed: {:?}\nbalancer's errors:\n{}",
        failed.len(),
        answers.len(),
        &failed[..failed.len().min(5)],
        balancer.error_log()
    );
    let mut sent: BTreeMap<String, u64> = BTreeMap::new();
    for (path, _) in &answers {
        *sent.entry(path.clone()).or_default() += 1;
    }
    let total = answers.len() as u64;
    ensure!(
        total == plan.len() as u64,
        "{total} answers for {} requests",
        plan.len()
    );

    // The balancer's log: one line per request; the last replica tried served it.
    let mut balanced = Vec::new();
    wait_until(Duration::from_secs(10), || {
        balanced = balancer.logged().unwrap_or_default();
        balanced.len() as u64 >= total
    });
    ensure!(
        balanced.len() as u64 == total,
        "the balancer logged {} of {total} requests",
        balanced.len()
    );
    let addr = |i: usize| format!("127.0.0.1:{}", upstreams[i]);
    let mut served = [0u64; 2];
    let mut retried = 0;
    for line in &balanced {
        ensure!(line.status == 200, "the balancer answered {line:?}");
        let last = line.upstreams.last().context("no upstream")?;
        let index = (0..2)
            .find(|i| *last == addr(*i))
            .with_context(|| format!("unknown upstream in {line:?}"))?;
        served[index] += 1;
        if line.upstreams.len() > 1 {
            retried += 1;
        }
    }
    ensure!(
        retried >= 1,
        "no request was retried on replica a after replica b stopped: {:?}",
        balanced.iter().map(|l| &l.upstreams).collect::<Vec<_>>()
    );
    ensure!(served[1] > 0, "replica b served nothing before it stopped");

    // Each replica's log holds exactly what the balancer says it served, and the two together
    // are what the clients sent, route by route.
    let mut logged: Vec<BTreeMap<String, u64>> = Vec::new();
    for (i, replica) in replicas.iter().enumerate() {
        let mut per_route = BTreeMap::new();
        wait_until(Duration::from_secs(10), || {
            per_route = read_access_log(replica.access_log())
                .map(|l| count_by_target(&l))
                .unwrap_or_default();
            per_route.values().sum::<u64>() >= served[i]
        });
        ensure!(
            per_route.values().sum::<u64>() == served[i],
            "{} logged {} requests, the balancer says it served {}",
            replica.name,
            per_route.values().sum::<u64>(),
            served[i]
        );
        logged.push(per_route);
    }
    let mut both = logged[0].clone();
    for (path, n) in &logged[1] {
        *both.entry(path.clone()).or_default() += n;
    }
    assert_eq!(
        both, sent,
        "the replicas' access logs together vs the requests sent"
    );

    // Each sidecar counted its log, and Prometheus scraped that, per replica and route.
    for (i, replica) in replicas.iter().enumerate() {
        let sidecar = replica.sidecar()?;
        let want = served[i];
        ensure!(
            wait_until(WAIT, || sidecar.requests_counted().is_ok_and(|n| n == want)),
            "{}'s sidecar counted {:?} of the {want} requests its nginx logged:\n{}",
            replica.name,
            sidecar.requests_counted(),
            sidecar.log()
        );
        let instance = &targets[i];
        let per_route = poll(
            &format!("Prometheus scraping {}'s {want} requests", replica.name),
            WAIT,
            || {
                let got = api.by_label(
                    &format!(
                        r#"sum by (path) (touchline_http_requests_total{{{JOB}, instance="{instance}"}} > 0)"#
                    ),
                    "path",
                    None,
                )?;
                Ok((got.values().sum::<f64>() == want as f64).then_some(got))
            },
        )?;
        let per_route: BTreeMap<String, u64> =
            per_route.into_iter().map(|(p, v)| (p, v as u64)).collect();
        assert_eq!(
            per_route, logged[i],
            "Prometheus vs {}'s access log, per route",
            replica.name
        );
    }

    // The dashboard's per-route query, summed over both replicas, as a count: its rate() over
    // $__rate_interval taken off.
    let per_route_query = dashboard::query("Requests/s per route", "A")?;
    let (before, rest) = per_route_query
        .expr
        .split_once("rate(")
        .context("the per-route query has no rate(")?;
    let (selector, after) = rest
        .split_once("[$__rate_interval])")
        .context("the per-route query's rate() has no [$__rate_interval]")?;
    let as_count = format!("{before}{selector}{after}").replace("$path", ".*");
    let counted = api.by_label(&as_count, "path", None)?;
    let counted: BTreeMap<String, u64> = counted
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(p, v)| (p, v as u64))
        .collect();
    assert_eq!(
        counted, sent,
        "{as_count} vs the requests sent through the balancer"
    );

    // The pod is gone: its sidecar stops too (after ten seconds of scrapes, so its series have
    // enough samples for a tight extrapolation bound below), and Prometheus sees it down.
    poll("ten seconds of scrapes of replica b", WAIT, || {
        let n = api.scalar(
            &format!(
                r#"count_over_time(up{{{JOB}, instance="{}"}}[1m])"#,
                targets[1]
            ),
            None,
        )?;
        Ok(n.filter(|n| *n >= 11.0))
    })?;
    let gone_at = unix_now();
    replicas[1].stop_sidecar()?;
    poll("Prometheus seeing replica b's sidecar down", WAIT, || {
        Ok(api
            .scalar(&format!(r#"up{{{JOB}, instance="{}"}}"#, targets[1]), None)?
            .filter(|up| *up == 0.0))
    })?;

    // The recording rule's first evaluation after that (its group runs every 30 s); the rule
    // and the real dashboard queries are checked at that moment, over windows that cover the
    // whole run, so each series' first sample is its zero.
    let record = "path:touchline_http_requests:rate5m";
    ensure!(
        scraping_since.elapsed() < Duration::from_secs(280),
        "Prometheus started {:?} ago: the rule's 5m window no longer covers its first samples",
        scraping_since.elapsed()
    );
    let at = poll(
        &format!("an evaluation of {record} after replica b was gone"),
        Duration::from_secs(75),
        || {
            Ok(api
                .scalar(&format!(r#"timestamp({record}{{path="/"}})"#), None)?
                .filter(|t| *t > gone_at))
        },
    )?;
    let per_replica = |path: &str| [0, 1].map(|i| logged[i].get(path).copied().unwrap_or(0));
    let mut failures = Vec::new();

    let recorded = api.by_label(record, "path", Some(at))?;
    let rule_samples = samples_per_replica(&api, &targets, "5m", at)?;
    for (path, n) in &sent {
        let got = recorded.get(path).map_or(0.0, |r| r * 300.0);
        if !within(&per_replica(path), &rule_samples, got) {
            failures.push(format!(
                "recorded {record}{{path={path:?}}} x 300 s = {got}, sent {n} ({:?} by replica, {rule_samples:?} samples)",
                per_replica(path)
            ));
        }
    }

    let window_secs = (at - prom_started + 5.0).ceil();
    let window = format!("{window_secs}s");
    let samples = samples_per_replica(&api, &targets, &window, at)?;
    let rates = api.by_label(&per_route_query.with(&window), "path", Some(at))?;
    for (path, n) in &sent {
        let got = rates.get(path).map_or(0.0, |r| r * window_secs);
        if !within(&per_replica(path), &samples, got) {
            failures.push(format!(
                "dashboard \"Requests/s per route\" {path}: {got} over {window}, sent {n} ({:?} by replica, {samples:?} samples)",
                per_replica(path)
            ));
        }
    }
    let classes = api.by_label(
        &dashboard::query("Responses by status class", "A")?.with(&window),
        "status_class",
        Some(at),
    )?;
    let ok = classes.get("2xx").map_or(0.0, |r| r * window_secs);
    if !within(&served, &samples, ok) || classes.iter().any(|(c, r)| c != "2xx" && *r != 0.0) {
        failures.push(format!(
            "dashboard \"Responses by status class\": {classes:?} over {window}, sent {total} 2xx"
        ));
    }
    let errors = api.scalar(
        &dashboard::query("Error ratio", "A")?.with(&window),
        Some(at),
    )?;
    if errors != Some(0.0) {
        failures.push(format!(
            "dashboard \"Error ratio\" 5xx: {errors:?}, expected 0"
        ));
    }

    prom.check_running()?;
    assert!(
        failures.is_empty(),
        "{} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "scale_out: {total} requests through the balancer to {} routes; replica b stopped after {stopped_after}, \
         {retried} retried on replica a; served a {} / b {}; sums exact per route; dashboard and {record} \
         within their extrapolation ({samples:?} / {rule_samples:?} samples a / b); {:.1} s in all",
        sent.len(),
        served[0],
        served[1],
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
