//! The registry glue: a shared [`Tally`] read at each scrape, and the text format.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;

use crate::tally::Tally;

/// Exposes a shared [`Tally`] to a Prometheus registry.
#[derive(Debug)]
pub struct TallyCollector {
    tally: Arc<Mutex<Tally>>,
    descs: Vec<Desc>,
}

impl TallyCollector {
    /// A collector reading `tally` at each scrape.
    pub fn new(tally: Arc<Mutex<Tally>>) -> prometheus::Result<TallyCollector> {
        let descs = super::ALL
            .iter()
            .map(|f| {
                Desc::new(
                    f.name.to_owned(),
                    f.help.to_owned(),
                    f.labels.iter().map(|l| (*l).to_owned()).collect(),
                    HashMap::new(),
                )
            })
            .collect::<prometheus::Result<_>>()?;
        Ok(TallyCollector { tally, descs })
    }
}

impl Collector for TallyCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        // A panic elsewhere while holding the lock leaves counts that are still the best we
        // have; keep serving them.
        let tally = self.tally.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = super::families(tally.counts(), &tally.tables());
        out.extend(super::visitors::families(tally.visitors(), tally.labels()));
        out
    }
}

/// Renders families in the text exposition format 0.0.4.
pub fn encode_text(families: &[MetricFamily]) -> prometheus::Result<String> {
    let mut out = String::new();
    prometheus::TextEncoder::new().encode_utf8(families, &mut out)?;
    Ok(out)
}
