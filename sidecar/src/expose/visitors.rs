//! The visitor families: distinct visitors of the log's latest UTC day, per route and
//! site-wide, and the requests whose visitor could not be counted.

use prometheus::proto::{MetricFamily, MetricType};

use super::{Family, counter, family, gauge, labelled_gauge};
use crate::route::Labels;
use crate::visitors::{DAY_SECONDS, Kind, Visitors};

/// `touchline_visitors_today`.
pub const ROUTE_VISITORS: Family = Family {
    name: "touchline_visitors_today",
    help: "Distinct visitors (client address and user agent) of each route on the latest UTC day of the log, humans and bots apart.",
    kind: MetricType::GAUGE,
    labels: &["path", "client_kind"],
};

/// `touchline_site_visitors_today`.
pub const SITE_VISITORS: Family = Family {
    name: "touchline_site_visitors_today",
    help: "Distinct visitors (client address and user agent) of the whole site on the latest UTC day of the log, humans and bots apart.",
    kind: MetricType::GAUGE,
    labels: &["client_kind"],
};

/// `touchline_visitors_day_start_seconds`.
pub const DAY_START: Family = Family {
    name: "touchline_visitors_day_start_seconds",
    help: "Start (Unix seconds) of the UTC day the visitor gauges count: the day of the latest log line.",
    kind: MetricType::GAUGE,
    labels: &[],
};

/// `touchline_visitors_uncounted_total`.
pub const UNCOUNTED: Family = Family {
    name: "touchline_visitors_uncounted_total",
    help: "Requests whose visitor was not counted, by reason: the day's site-wide or per-route bound was reached, the line was older than the days held, or no random key could be had.",
    kind: MetricType::COUNTER,
    labels: &["reason"],
};

/// The visitor families, route ids labelled by `routes`; empty before any line.
pub fn families(visitors: &Visitors, routes: &Labels) -> Vec<MetricFamily> {
    let Some(day) = visitors.today() else {
        return Vec::new();
    };
    let routes = visitors
        .today_routes()
        .map(|(r, kind, n)| {
            labelled_gauge(
                &[("path", routes.get(r)), ("client_kind", kind.as_str())],
                n as f64,
            )
        })
        .collect();
    let site = visitors.today_site();
    let site = Kind::ALL
        .into_iter()
        .map(|k| labelled_gauge(&[("client_kind", k.as_str())], site[k as usize] as f64))
        .collect();
    let uncounted = visitors
        .uncounted()
        .map(|(u, n)| counter(&[("reason", u.as_str())], n as f64))
        .collect();
    let mut out = vec![
        family(ROUTE_VISITORS, routes),
        family(SITE_VISITORS, site),
        family(DAY_START, vec![gauge((day * DAY_SECONDS) as f64)]),
        family(UNCOUNTED, uncounted),
    ];
    out.retain(|f| !f.get_metric().is_empty());
    out
}
