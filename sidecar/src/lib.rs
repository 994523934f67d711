//! Touchline's metrics sidecar: tails nginx access logs and exposes exact per-route request
//! metrics for Prometheus.
//!
//! A log line goes through five pure stages, each in its own module, and [`tally`] strings
//! them together for one stream:
//!
//! - [`lines`]: bytes to lines, with bounded memory and line-boundary offsets.
//! - [`parse`]: a line to a [`parse::LogLine`] (or why it is [`parse::Malformed`]).
//! - [`route`]: a request target to a [`route::RouteId`], bounded by the generator's manifest
//!   or by `--max-paths`; ids to `path` labels.
//! - [`client`]: a user agent to a [`client::Client`] class, by the vendored crawler list.
//! - [`referrer`]: a referer to its host, and the bounded table of referring hosts.
//! - [`missing`]: a 404's target to its normalised path, and the bounded table of them.
//! - [`visitors`]: distinct visitors (keyed hashes of address and user agent) per UTC day,
//!   site-wide and per route, bounded, merged by union.
//! - [`count`]: plain [`count::Counts`] per route, client class, method and status; merges,
//!   and converts to and from a checkpoint's [`count::CountsSnapshot`].
//! - [`expose`]: Prometheus metric families of counts and labels.
//!
//! Around them, the edges that do I/O:
//!
//! - [`tail`]: follows one log path across appends, rotations and truncations.
//! - [`state`]: checkpoints (file offsets and counts), written atomically.
//! - [`replay`]: whole files, plain or gzip, split across cores when large.
//! - [`run`]: the `run` command: the tailing thread, checkpoints and the server, together.
//! - [`server`]: the HTTP endpoints, their limits and the server's connection metrics.
//! - [`cli_error`]: how a failed command says what is wrong and what would fix it.
//! - [`hash`]: the fast hasher of the per-line maps.

pub mod cli_error;
pub mod client;
pub mod count;
pub mod expose;
pub mod hash;
pub mod lines;
pub mod missing;
pub mod parse;
pub mod referrer;
pub mod replay;
pub mod route;
pub mod run;
pub mod server;
pub mod state;
pub mod tail;
pub mod tally;
pub mod visitors;
