//! The server's own connection counts as metric families: how many are open, and how many
//! were closed at accept because the cap was reached (a flood, or a leak in a client).

use std::sync::Arc;

use prometheus::core::{Collector, Desc};
use prometheus::proto::{Counter, Gauge, Metric, MetricFamily, MetricType};

/// Exposes an [`httpd::Stats`] at each scrape.
#[derive(Debug)]
pub struct ConnectionsCollector {
    stats: Arc<httpd::Stats>,
    open: Desc,
    rejected: Desc,
}

impl ConnectionsCollector {
    /// A collector of `stats`.
    pub fn new(stats: Arc<httpd::Stats>) -> prometheus::Result<ConnectionsCollector> {
        Ok(ConnectionsCollector {
            stats,
            open: Desc::new(
                "touchline_sidecar_http_connections_open".into(),
                "Connections to the sidecar's HTTP server open now.".into(),
                Vec::new(),
                Default::default(),
            )?,
            rejected: Desc::new(
                "touchline_sidecar_http_connections_rejected_total".into(),
                "Connections to the sidecar's HTTP server closed at accept: --max-connections were open.".into(),
                Vec::new(),
                Default::default(),
            )?,
        })
    }
}

impl Collector for ConnectionsCollector {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.open, &self.rejected]
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let mut open = Gauge::default();
        open.set_value(self.stats.open() as f64);
        let mut open_metric = Metric::default();
        open_metric.set_gauge(open);
        let mut rejected = Counter::default();
        rejected.set_value(self.stats.rejected() as f64);
        let mut rejected_metric = Metric::default();
        rejected_metric.set_counter(rejected);
        vec![
            family(&self.open, MetricType::GAUGE, open_metric),
            family(&self.rejected, MetricType::COUNTER, rejected_metric),
        ]
    }
}

fn family(desc: &Desc, kind: MetricType, metric: Metric) -> MetricFamily {
    let mut f = MetricFamily::default();
    f.set_name(desc.fq_name.clone());
    f.set_help(desc.help.clone());
    f.set_field_type(kind);
    f.mut_metric().push(metric);
    f
}
