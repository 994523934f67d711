//! What readiness and `touchline_checkpoint_age_seconds` say: every log read to its end, and
//! (with `--state`) a durable checkpoint recent enough.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prometheus::core::{Collector, Desc};
use prometheus::proto::{Gauge, Metric, MetricFamily, MetricType};

/// Readiness is withdrawn when the last durable checkpoint is older than this (it is written
/// every second while anything changes).
pub const STALE_CHECKPOINT: Duration = Duration::from_secs(10);

/// Shared by the tailing thread (writer) and the server (reader).
#[derive(Debug)]
pub struct Health {
    caught_up: AtomicBool,
    /// Unix milliseconds of the last durable checkpoint; 0 for none yet.
    durable_ms: AtomicU64,
    /// Whether there is a state file at all.
    checkpointing: bool,
    desc: Desc,
}

fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Health {
    /// Not ready; with `checkpointing`, the start counts as the last durable checkpoint (the
    /// one just restored, or nothing to save yet).
    pub fn new(checkpointing: bool) -> prometheus::Result<Health> {
        Ok(Health {
            caught_up: AtomicBool::new(false),
            durable_ms: AtomicU64::new(unix_ms(SystemTime::now())),
            checkpointing,
            desc: Desc::new(
                "touchline_checkpoint_age_seconds".into(),
                "Seconds since the counts were last durable in the --state checkpoint.".into(),
                Vec::new(),
                HashMap::new(),
            )?,
        })
    }

    /// Whether every log is open and read to its end.
    pub fn set_caught_up(&self, yes: bool) {
        self.caught_up.store(yes, Ordering::Release);
    }

    /// The counts are durable as of `at`.
    pub fn set_durable(&self, at: SystemTime) {
        self.durable_ms.store(unix_ms(at), Ordering::Release);
    }

    /// Age of the last durable checkpoint at `now`.
    pub fn checkpoint_age(&self, now: SystemTime) -> Duration {
        let ms = unix_ms(now).saturating_sub(self.durable_ms.load(Ordering::Acquire));
        Duration::from_millis(ms)
    }

    /// `Ok` if ready at `now`, else why not.
    pub fn ready(&self, now: SystemTime) -> Result<(), &'static str> {
        if !self.caught_up.load(Ordering::Acquire) {
            return Err("not ready: logs not open, unreadable, or not read to their end\n");
        }
        if self.checkpointing && self.checkpoint_age(now) > STALE_CHECKPOINT {
            return Err("not ready: the checkpoint cannot be written (see the sidecar's log)\n");
        }
        Ok(())
    }
}

/// `touchline_checkpoint_age_seconds` for a registry (only with `--state`).
#[derive(Debug)]
pub struct AgeCollector(pub Arc<Health>);

impl Collector for AgeCollector {
    fn desc(&self) -> Vec<&Desc> {
        if self.0.checkpointing {
            vec![&self.0.desc]
        } else {
            Vec::new()
        }
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let h = &self.0;
        if !h.checkpointing {
            return Vec::new();
        }
        let mut g = Gauge::default();
        g.set_value(h.checkpoint_age(SystemTime::now()).as_secs_f64());
        let mut m = Metric::default();
        m.set_gauge(g);
        let mut f = MetricFamily::default();
        f.set_name(h.desc.fq_name.clone());
        f.set_help(h.desc.help.clone());
        f.set_field_type(MetricType::GAUGE);
        f.mut_metric().push(m);
        vec![f]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stale_checkpoint_withdraws_readiness() {
        let h = Health::new(true).expect("health");
        h.set_caught_up(true);
        let t0 = SystemTime::now();
        h.set_durable(t0);
        assert!(h.ready(t0 + Duration::from_secs(5)).is_ok());
        assert!(
            h.ready(t0 + STALE_CHECKPOINT + Duration::from_secs(1))
                .is_err()
        );
        h.set_durable(t0 + Duration::from_secs(20));
        assert!(h.ready(t0 + Duration::from_secs(21)).is_ok());
    }

    #[test]
    fn without_a_state_file_the_checkpoint_age_does_not_matter() {
        let h = Health::new(false).expect("health");
        h.set_caught_up(true);
        assert!(
            h.ready(SystemTime::now() + Duration::from_secs(3600))
                .is_ok()
        );
    }
}
