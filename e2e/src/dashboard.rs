//! The Grafana dashboard's queries (`deploy/grafana/dashboards/touchline.json`), read from the
//! file so tests run exactly what Grafana runs, with Grafana's variables replaced by the values
//! Grafana would send.

use anyhow::{Context, Result};
use serde_json::Value;

use crate::workspace_root;

/// One query of one panel.
#[derive(Debug, Clone)]
pub struct Query {
    pub panel: String,
    pub ref_id: String,
    /// The PromQL as the dashboard has it, variables included.
    pub expr: String,
}

impl Query {
    /// The expression with `$__rate_interval` set to `rate_interval` (a PromQL duration) and
    /// `$path` to `.*` (the "All" value of the route variable).
    pub fn with(&self, rate_interval: &str) -> String {
        self.expr
            .replace("$__rate_interval", rate_interval)
            .replace("$path", ".*")
    }
}

/// Every panel query of the dashboard.
pub fn queries() -> Result<Vec<Query>> {
    let path = workspace_root().join("deploy/grafana/dashboards/touchline.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let dash: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let mut out = Vec::new();
    for panel in dash["panels"].as_array().into_iter().flatten() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            out.push(Query {
                panel: panel["title"].as_str().unwrap_or_default().to_string(),
                ref_id: target["refId"].as_str().unwrap_or_default().to_string(),
                expr: target["expr"]
                    .as_str()
                    .with_context(|| format!("{}: a target without expr", path.display()))?
                    .to_string(),
            });
        }
    }
    Ok(out)
}

/// The query `ref_id` of the panel titled `panel`.
pub fn query(panel: &str, ref_id: &str) -> Result<Query> {
    queries()?
        .into_iter()
        .find(|q| q.panel == panel && q.ref_id == ref_id)
        .with_context(|| format!("the dashboard has no panel {panel:?} with query {ref_id}"))
}
