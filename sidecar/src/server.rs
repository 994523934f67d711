//! HTTP endpoints: `/metrics`, `/healthz`, `/readyz`; anything else is 404.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use prometheus::{Registry, TEXT_FORMAT};
use warp::Filter;
use warp::http::StatusCode;

/// Every route, ready for `warp::serve`.
pub fn routes(
    registry: Registry,
    ready: Arc<AtomicBool>,
) -> impl Filter<Extract = (impl warp::Reply,), Error = std::convert::Infallible> + Clone {
    let metrics = warp::path!("metrics").and(warp::get()).map(move || {
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
        .and(warp::get())
        .map(|| warp::reply::with_status("ok\n", StatusCode::OK));
    let readyz = warp::path!("readyz").and(warp::get()).map(move || {
        if ready.load(Ordering::Acquire) {
            warp::reply::with_status("ready\n", StatusCode::OK)
        } else {
            warp::reply::with_status(
                "not ready: logs not open or not read to their end\n",
                StatusCode::SERVICE_UNAVAILABLE,
            )
        }
    });
    let not_found =
        warp::any().map(|| warp::reply::with_status("not found\n", StatusCode::NOT_FOUND));
    metrics.or(healthz).or(readyz).or(not_found)
}
