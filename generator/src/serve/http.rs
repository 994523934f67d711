//! The HTTP server: answers as the project's nginx would (same files for the same paths, the
//! same 404 page and status, the same headers, GET and HEAD only), from the last good build in
//! memory, with the reload script added to HTML.
//!
//! warp handles requests; connections are driven here rather than by `warp::serve`, which
//! offers no limits, so that hostile or broken peers are bounded: a fixed number of
//! connections, a deadline for request headers (which also ends idle keep-alive connections),
//! a cap on their size, and a deadline for a peer that stops reading.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Sleep;
use warp::Filter;
use warp::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use warp::reply::Response;

use super::State;
use super::nginx::{self, Nginx};
use super::reload;
use super::route::{self, Target};

/// Connections served at once; more are closed as they arrive. A browser opens six.
const MAX_CONNECTIONS: usize = 128;
/// nginx's client_header_timeout: a request's headers must arrive within this, and an idle
/// keep-alive connection is closed after it.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// nginx's send_timeout: a peer that takes no bytes for this long is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest request head (request line and headers; hyper's smallest allowed buffer is
/// 8 KiB); larger ones get 431.
const MAX_HEAD: usize = 16 * 1024;
/// How long open connections get to finish when the server stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

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
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait for some to close rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tracing::warn!(%peer, "{MAX_CONNECTIONS} connections open: closing a new one");
            continue;
        };
        let _ = stream.set_nodelay(true);
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .max_buf_size(MAX_HEAD);
        let conn = http.serve_connection(
            TokioIo::new(SendDeadline::new(stream)),
            TowerToHyperService::new(service.clone()),
        );
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    ctx.stopping.send_replace(true);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::debug!("connections still open after the grace period: dropped");
    }
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

/// A TCP stream whose writes fail once the peer has taken nothing for [`SEND_TIMEOUT`]:
/// otherwise a peer that stops reading holds its connection (and what it was sent) forever.
struct SendDeadline {
    stream: TcpStream,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl SendDeadline {
    fn new(stream: TcpStream) -> SendDeadline {
        SendDeadline {
            stream,
            stalled: None,
        }
    }

    /// After a write that could not proceed: pending until the deadline, then an error.
    fn check<T>(&mut self, cx: &mut TaskContext<'_>) -> Poll<io::Result<T>> {
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(SEND_TIMEOUT)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progress<T>(
        &mut self,
        poll: Poll<io::Result<T>>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<io::Result<T>> {
        match poll {
            Poll::Ready(result) => {
                self.stalled = None;
                Poll::Ready(result)
            }
            Poll::Pending => self.check(cx),
        }
    }
}

impl AsyncRead for SendDeadline {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for SendDeadline {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.progress(poll, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.progress(poll, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.stream).poll_flush(cx);
        self.progress(poll, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
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

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_stops_reading_is_dropped_after_the_send_timeout() {
        use tokio::io::AsyncWriteExt;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        // Connected, and never reading.
        let _peer = TcpStream::connect(addr).await.expect("connect");
        let (stream, _) = listener.accept().await.expect("accept");
        let mut io = SendDeadline::new(stream);
        let start = tokio::time::Instant::now();
        let chunk = vec![0; 1 << 20];
        let error = loop {
            if let Err(e) = io.write(&chunk).await {
                break e;
            }
        };
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(start.elapsed() >= SEND_TIMEOUT, "{:?}", start.elapsed());
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
