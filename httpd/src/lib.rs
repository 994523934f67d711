//! A bounded HTTP/1 server over hyper-util for a warp (or any tower) service.
//!
//! `warp::serve` offers no limits: a peer that never finishes its request head keeps its
//! connection (and a file descriptor) forever, and a few hundred of them stop the server from
//! answering anyone. [`Server`] drives hyper's connections itself so that hostile or broken
//! peers are bounded: a fixed number of connections (more are closed as they are accepted),
//! a deadline for request heads (which also ends idle keep-alive connections), a cap on
//! their size, a deadline for a peer that stops reading, and a bounded graceful stop.

mod deadline;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

pub use deadline::SendDeadline;

/// hyper's smallest allowed read buffer (it panics below it): the floor of [`Limits::max_head`].
pub const MIN_HEAD: usize = 8 * 1024;

/// How often, at most, a repeated warning (connections over the cap, accept errors) is logged.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// The bounds every connection is held to. The defaults are nginx's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; more are closed as soon as they are accepted.
    pub max_connections: usize,
    /// A request's head must arrive within this, and an idle keep-alive connection is closed
    /// after it (nginx's `client_header_timeout`).
    pub header_timeout: Duration,
    /// A peer that takes no bytes of a response for this long is dropped (nginx's `send_timeout`).
    pub send_timeout: Duration,
    /// The largest request head (request line and headers), at least [`MIN_HEAD`]; larger
    /// ones get 431.
    pub max_head: usize,
    /// How long open connections get to finish when the server stops.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 128,
            header_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(30),
            max_head: 16 * 1024,
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

/// What a running server has done with its connections, readable while it serves.
#[derive(Debug, Default)]
pub struct Stats {
    open: AtomicUsize,
    rejected: AtomicU64,
}

impl Stats {
    /// Connections being served now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// Connections closed at accept because [`Limits::max_connections`] were open.
    pub fn rejected(&self) -> u64 {
        self.rejected.load(Ordering::Relaxed)
    }
}

/// A server held to [`Limits`], with [`Stats`] about it.
#[derive(Debug, Clone)]
pub struct Server {
    limits: Limits,
    stats: Arc<Stats>,
}

impl Server {
    /// A server with these limits.
    pub fn new(limits: Limits) -> Server {
        Server {
            limits,
            stats: Arc::default(),
        }
    }

    /// Its counters, shared with whoever reports them (a metrics collector, say).
    pub fn stats(&self) -> Arc<Stats> {
        Arc::clone(&self.stats)
    }

    /// Serves `service` (`warp::service(filter)`, say) on `listener` until `stop` completes,
    /// then stops accepting and gives open connections [`Limits::shutdown_grace`] to finish.
    pub async fn serve<S, B>(
        self,
        listener: TcpListener,
        service: S,
        stop: impl Future<Output = ()>,
    ) where
        S: tower_service::Service<http::Request<Incoming>, Response = http::Response<B>>
            + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
        S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let limits = self.limits;
        let slots = Arc::new(Semaphore::new(
            limits.max_connections.min(Semaphore::MAX_PERMITS),
        ));
        let graceful = GracefulShutdown::new();
        let mut rejections = Throttle::default();
        let mut accept_errors = Throttle::default();
        let mut stop = std::pin::pin!(stop);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, say: wait for some to close rather than spin.
                        if let Some(errors) = accept_errors.tick() {
                            tracing::warn!(error = %e, errors, "accepting a connection failed");
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = &mut stop => break,
            };
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                // Dropping the stream closes it: the descriptor is back at once.
                drop(stream);
                self.stats.rejected.fetch_add(1, Ordering::Relaxed);
                if let Some(closed) = rejections.tick() {
                    let cap = limits.max_connections;
                    tracing::warn!(%peer, closed, "{cap} connections open: closing new ones");
                }
                continue;
            };
            let _ = stream.set_nodelay(true);
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_buf_size(limits.max_head.max(MIN_HEAD));
            let conn = http.serve_connection(
                TokioIo::new(SendDeadline::new(stream, limits.send_timeout)),
                TowerToHyperService::new(service.clone()),
            );
            let conn = graceful.watch(conn);
            let stats = Arc::clone(&self.stats);
            stats.open.fetch_add(1, Ordering::Relaxed);
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                stats.open.fetch_sub(1, Ordering::Relaxed);
                drop(slot);
            });
        }
        drop(listener);
        if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::debug!("connections still open after the grace period: dropped");
        }
    }
}

/// Counts a repeated event and says when to log it: the first of a burst at once, then at
/// most every [`LOG_EVERY`] with the count since, so that a flood of connections (or of
/// accept errors) does not become a flood of log lines.
#[derive(Debug, Default)]
struct Throttle {
    last_logged: Option<Instant>,
    since: u64,
}

impl Throttle {
    /// Counts one event; `Some(events since the last log line)` when one is due now.
    fn tick(&mut self) -> Option<u64> {
        self.since += 1;
        let now = Instant::now();
        if self
            .last_logged
            .is_some_and(|at| now.duration_since(at) < LOG_EVERY)
        {
            return None;
        }
        self.last_logged = Some(now);
        Some(std::mem::take(&mut self.since))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_logged_once_then_summarised() {
        let mut t = Throttle::default();
        assert_eq!(t.tick(), Some(1));
        assert_eq!(t.tick(), None);
        assert_eq!(t.tick(), None);
        t.last_logged = t.last_logged.and_then(|at| at.checked_sub(LOG_EVERY));
        assert_eq!(t.tick(), Some(3), "the two held back and this one");
    }
}
