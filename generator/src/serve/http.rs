//! The HTTP server: answers as the project's nginx would (same files for the same paths, the
//! same 404 page and status, the same headers, GET and HEAD only), from the last good build in
//! memory, with the reload script added to HTML.
//!
//! warp handles requests; the `httpd` crate drives connections (rather than `warp::serve`,
//! which offers no limits), so that hostile or broken peers are bounded as nginx bounds them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use httpd::{Limits, Server};
use tokio::net::TcpListener;
use tokio::sync::watch;
use warp::Filter;
use warp::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use warp::reply::Response;

use super::State;
use super::nginx::{self, Nginx};
use super::reload;
use super::route::{self, Target};

/// nginx's bounds, for a server that only its author's browser should reach.
const LIMITS: Limits = Limits {
    // A browser opens six.
    max_connections: 128,
    // nginx's client_header_timeout.
    header_timeout: Duration::from_secs(10),
    // nginx's send_timeout.
    send_timeout: Duration::from_secs(30),
    // Larger heads get 431.
    max_head: 16 * 1024,
    shutdown_grace: Duration::from_secs(2),
};

/// What every request handler shares.
#[derive(Debug)]
pub struct Context {
    nginx: Nginx,
    state: watch::Receiver<Arc<State>>,
    /// Turns true when the server stops, ending the event streams.
    stopping: watch::Sender<bool>,
}

impl Context {
    /// Handlers that answer from whatever `state` holds at each request.
    pub fn new(nginx: Nginx, state: watch::Receiver<Arc<State>>) -> Context {
        Context {
            nginx,
            state,
            stopping: watch::Sender::new(false),
        }
    }
}

/// Serves `listener` until `stop` completes, then gives open connections a moment to finish.
pub async fn serve(listener: TcpListener, ctx: Arc<Context>, stop: impl Future<Output = ()>) {
    let handler = warp::method()
        .and(warp::path::full())
        .and(warp::header::headers_cloned())
        .map({
            let ctx = Arc::clone(&ctx);
            move |method: Method, path: warp::path::FullPath, headers: HeaderMap| {
                respond(&ctx, &method, path.as_str(), &headers)
            }
        });
    let service = warp::service(handler);
    // The event streams end when the server stops, or open pages would hold the graceful
    // shutdown for its whole grace period.
    let stop = async move {
        stop.await;
        ctx.stopping.send_replace(true);
    };
    Server::new(LIMITS).serve(listener, service, stop).await;
}

/// One response, with nginx's headers.
fn respond(ctx: &Context, method: &Method, raw_path: &str, headers: &HeaderMap) -> Response {
    let (mut response, uri) = answer(ctx, method, raw_path, headers);
    let refused = response.status() == StatusCode::METHOD_NOT_ALLOWED;
    let h = response.headers_mut();
    for (name, value) in &ctx.nginx.headers {
        h.insert(name, value.clone());
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(nginx::cache_control(&uri)),
    );
    if refused {
        h.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    }
    if method == Method::HEAD {
        // The length stays that of the body a GET would get.
        *response.body_mut() = Bytes::new().into();
    }
    response
}

/// The response and the URI its Cache-Control is decided by (the file served, as nginx's
/// `$uri` after try_files or error_page).
fn answer(
    ctx: &Context,
    method: &Method,
    raw_path: &str,
    headers: &HeaderMap,
) -> (Response, String) {
    let Ok(path) = route::normalize(raw_path) else {
        return (
            text(StatusCode::BAD_REQUEST, "bad request path\n"),
            String::new(),
        );
    };
    if method != Method::GET && method != Method::HEAD {
        let body = "the site is read-only: GET and HEAD only\n";
        return (text(StatusCode::METHOD_NOT_ALLOWED, body), String::new());
    }
    if !is_loopback_host(headers) {
        // Any page on the web could otherwise read this server through a DNS name that
        // resolves to 127.0.0.1 (DNS rebinding), drafts included.
        let body = "touchline serve answers only to 127.0.0.1 and localhost\n";
        return (text(StatusCode::MISDIRECTED_REQUEST, body), String::new());
    }
    let state = Arc::clone(&ctx.state.borrow());
    let target = match &path {
        Some(path) => route::resolve(path, |rel| state.has(rel)),
        None => Target::NotFound,
    };
    match target {
        Target::Health => (text(StatusCode::OK, "ok\n"), "/healthz".to_owned()),
        Target::Internal(name) => (internal(ctx, &name, method), String::new()),
        Target::File(rel) => match state.file(&rel) {
            Some(bytes) => {
                let uri = format!("/{rel}");
                (file(ctx, &uri, &bytes, StatusCode::OK, &state), uri)
            }
            // Only a precompressed copy that could not be made: compressing into memory
            // does not fail but for want of it.
            None => {
                let body = "could not compress the file\n";
                (text(StatusCode::INTERNAL_SERVER_ERROR, body), String::new())
            }
        },
        Target::NotFound => match state.file("404.html") {
            Some(bytes) => {
                let uri = "/404.html".to_owned();
                (file(ctx, &uri, &bytes, StatusCode::NOT_FOUND, &state), uri)
            }
            None if state.site.is_none() => (building(&state), String::new()),
            None => (
                text(StatusCode::NOT_FOUND, "404 not found\n"),
                String::new(),
            ),
        },
    }
}

/// A site file; HTML with the reload script.
fn file(
    ctx: &Context,
    uri: &str,
    bytes: &Arc<Vec<u8>>,
    status: StatusCode,
    state: &State,
) -> Response {
    let content_type = ctx.nginx.content_type(uri);
    let body = if content_type.starts_with("text/html") {
        Bytes::from(reload::inject(bytes, &state.build))
    } else {
        Bytes::from_owner(Shared(Arc::clone(bytes)))
    };
    with_body(status, &content_type, body)
}

/// The server's own files and event stream.
fn internal(ctx: &Context, name: &str, method: &Method) -> Response {
    let (body, content_type) = match name {
        "reload.js" => (reload::SCRIPT, "application/javascript; charset=utf-8"),
        "reload.css" => (reload::STYLE, "text/css; charset=utf-8"),
        "events" if method == Method::GET => {
            use warp::Reply;
            return reload::events(ctx.state.clone(), ctx.stopping.subscribe()).into_response();
        }
        "events" => ("", "text/event-stream"),
        _ => return text(StatusCode::NOT_FOUND, "404 not found\n"),
    };
    with_body(
        StatusCode::OK,
        content_type,
        Bytes::from_static(body.as_bytes()),
    )
}

/// What every page answers until the first build succeeds: the reload script in it brings
/// the site up as soon as it is there.
fn building(state: &State) -> Response {
    let page = concat!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        "<title>Not built yet · touchline serve</title>\n</head>\n<body>\n<main>\n",
        "<h1>The site has not built yet</h1>\n<p>touchline serve is building it, or the build ",
        "failed and the terminal says why. This page reloads when a build succeeds.</p>\n",
        "</main>\n</body>\n</html>\n"
    );
    let body = reload::inject(page.as_bytes(), &state.build);
    with_body(
        StatusCode::SERVICE_UNAVAILABLE,
        "text/html; charset=utf-8",
        body.into(),
    )
}

fn text(status: StatusCode, body: &'static str) -> Response {
    with_body(
        status,
        "text/plain; charset=utf-8",
        Bytes::from_static(body.as_bytes()),
    )
}

fn with_body(status: StatusCode, content_type: &str, body: Bytes) -> Response {
    let len = body.len();
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    let h = response.headers_mut();
    if let Ok(value) = HeaderValue::try_from(content_type) {
        h.insert(header::CONTENT_TYPE, value);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    response
}

/// Whether the request names this machine: 127.0.0.1, [::1], localhost or a *.localhost name
/// (any port). A request without Host (HTTP/1.0) cannot come from a browser on another site.
fn is_loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST) else {
        return true;
    };
    let Ok(host) = host.to_str() else {
        return false;
    };
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.to_ascii_lowercase();
    let name = name.strip_suffix('.').unwrap_or(&name);
    matches!(name, "127.0.0.1" | "localhost" | "[::1]") || name.ends_with(".localhost")
}

/// A build's bytes lent to a response without copying them.
struct Shared(Arc<Vec<u8>>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn only_loopback_names_are_answered() {
        for ok in [
            "127.0.0.1:8000",
            "127.0.0.1",
            "localhost:1",
            "LOCALHOST",
            "site.localhost:8000",
            "localhost.:80",
            "[::1]:80",
        ] {
            assert!(is_loopback_host(&host(ok)), "{ok}");
        }
        for bad in [
            "evil.example:8000",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
            "10.0.0.1",
            "[::2]:80",
        ] {
            assert!(!is_loopback_host(&host(bad)), "{bad}");
        }
        assert!(is_loopback_host(&HeaderMap::new()));
    }
}
