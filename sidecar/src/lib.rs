//! Touchline's metrics sidecar: tails nginx access logs and exposes exact per-route request
//! metrics for Prometheus.

pub mod hash;
pub mod lines;
pub mod metrics;
pub mod parse;
pub mod replay;
pub mod route;
pub mod run;
pub mod server;
pub mod state;
pub mod tail;
