//! HTTP endpoints: `/metrics`, `/healthz`, `/readyz`; anything else is 404. They are served by
//! `httpd` within [`HttpArgs`]' limits, counted by [`ConnectionsCollector`].

mod connections;
mod limits;

pub use connections::ConnectionsCollector;
pub use limits::{DEFAULT_MAX_CONNECTIONS, HttpArgs};

use std::sync::Arc;
use std::time::SystemTime;

use crate::run::health::Health;

use prometheus::{Registry, TEXT_FORMAT};
use warp::Filter;
use warp::http::StatusCode;

/// Every route, ready for `warp::service`.
pub fn routes(
    registry: Registry,
    health: Arc<Health>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible> + Clone {
    // HEAD answers like GET (hyper leaves the body out).
    let get_or_head = || warp::get().or(warp::head()).unify();
    let metrics = warp::path!("metrics").and(get_or_head()).map(move || {
        match crate::expose::encode_text(&registry.gather()) {
            Ok(body) => warp::reply::with_status(
                warp::reply::with_header(body, "content-type", TEXT_FORMAT),
                StatusCode::OK,
            ),
            Err(e) => {
                tracing::error!(error = %e, "encoding metrics");
                warp::reply::with_status(
                    warp::reply::with_header(String::new(), "content-type", TEXT_FORMAT),
                    StatusCode::INTERNAL_SERVER_ERROR,
                )
            }
        }
    });
    let healthz = warp::path!("healthz")
        .and(get_or_head())
        .map(|| warp::reply::with_status("ok\n", StatusCode::OK));
    let readyz = warp::path!("readyz").and(get_or_head()).map(move || {
        match health.ready(SystemTime::now()) {
            Ok(()) => warp::reply::with_status("ready\n", StatusCode::OK),
            Err(why) => warp::reply::with_status(why, StatusCode::SERVICE_UNAVAILABLE),
        }
    });
    let not_found =
        warp::any().map(|| warp::reply::with_status("not found\n", StatusCode::NOT_FOUND));
    metrics.or(healthz).or(readyz).or(not_found)
}
