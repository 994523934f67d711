//! The server's limits as a peer meets them: real sockets on 127.0.0.1, time paused where a
//! deadline is under test (so it passes in no time and the test cannot be slowed into passing).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use httpd::{Limits, Server, Stats};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use warp::Filter;

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

/// A server answering "hello" to everything, and what stops it.
struct Running {
    addr: SocketAddr,
    stats: Arc<Stats>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Running {
    async fn start(limits: Limits) -> Running {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = Server::new(limits);
        let stats = server.stats();
        let (stop, stopped) = oneshot::channel::<()>();
        let service = warp::service(warp::any().map(|| "hello"));
        let task = tokio::spawn(server.serve(listener, service, async move {
            let _ = stopped.await;
        }));
        Running {
            addr,
            stats,
            stop: Some(stop),
            task,
        }
    }

    async fn connect(&self) -> TcpStream {
        TcpStream::connect(self.addr).await.expect("connect")
    }

    /// Stops the server and waits until `serve` has returned.
    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.expect("serve returned");
    }
}

/// Everything the peer gets until the server closes the connection, which it must within a
/// minute (of paused time, where a deadline is under test).
async fn read_all(conn: &mut TcpStream) -> String {
    let mut got = Vec::new();
    // A reset (the server closing with unread bytes) ends the connection as EOF does.
    let read = tokio::time::timeout(Duration::from_secs(60), conn.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the server never closed the connection");
    String::from_utf8_lossy(&got).into_owned()
}

async fn request(conn: &mut TcpStream, raw: &[u8]) -> String {
    conn.write_all(raw).await.expect("send");
    read_all(conn).await
}

/// Polls `cond` (real time) until it holds, failing after 10 s.
async fn eventually(what: &str, cond: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(10), "never: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn limits() -> Limits {
    Limits {
        max_connections: 4,
        header_timeout: Duration::from_secs(5),
        ..Limits::default()
    }
}

#[tokio::test]
async fn a_complete_request_is_answered() {
    let server = Running::start(limits()).await;
    let reply = request(&mut server.connect().await, GET).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.ends_with("hello"), "{reply}");
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_request_head_that_never_ends_is_closed_after_the_header_timeout() {
    let server = Running::start(limits()).await;
    let mut conn = server.connect().await;
    let start = Instant::now();
    let reply = request(&mut conn, b"GET / HTTP/1.1\r\nHost: x\r\n").await;
    assert!(!reply.contains("hello"), "{reply}");
    assert!(
        start.elapsed() >= limits().header_timeout,
        "{:?}",
        start.elapsed()
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_timeout() {
    let server = Running::start(limits()).await;
    let mut conn = server.connect().await;
    let start = Instant::now();
    assert_eq!(read_all(&mut conn).await, "");
    assert!(
        start.elapsed() >= limits().header_timeout,
        "{:?}",
        start.elapsed()
    );
    server.stop().await;
}

#[tokio::test]
async fn connections_over_the_cap_are_closed_at_accept_and_counted() {
    let server = Running::start(limits()).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(server.connect().await);
    }
    eventually("4 connections open", || server.stats.open() == 4).await;
    let mut extra = server.connect().await;
    assert_eq!(
        request(&mut extra, GET).await,
        "",
        "the 5th connection was served"
    );
    assert_eq!(server.stats.rejected(), 1);
    let reply = request(&mut held[3], GET).await;
    assert!(
        reply.starts_with("HTTP/1.1 200"),
        "a held connection: {reply}"
    );
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_slot_held_by_a_slow_peer_comes_free_at_the_header_timeout() {
    let server = Running::start(Limits {
        max_connections: 1,
        ..limits()
    })
    .await;
    let mut slow = server.connect().await;
    slow.write_all(b"GET / HT").await.expect("send");
    let mut refused = server.connect().await;
    assert_eq!(request(&mut refused, GET).await, "");
    assert_eq!(read_all(&mut slow).await, "");
    // The slot is given back when the connection's task ends, just after the close.
    let mut reply = String::new();
    for _ in 0..100 {
        reply = request(&mut server.connect().await, GET).await;
        if !reply.is_empty() {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply:?}");
    server.stop().await;
}

#[tokio::test]
async fn a_head_over_max_head_gets_431() {
    let server = Running::start(limits()).await;
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "x".repeat(64 * 1024)
    );
    let reply = request(&mut server.connect().await, huge.as_bytes()).await;
    assert!(reply.starts_with("HTTP/1.1 431"), "{reply}");
    server.stop().await;
}

#[tokio::test]
async fn a_max_head_below_hyper_s_floor_is_raised_to_it() {
    let server = Running::start(Limits {
        max_head: 100,
        ..limits()
    })
    .await;
    let head = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: {}\r\nConnection: close\r\n\r\n",
        "x".repeat(4 * 1024)
    );
    let reply = request(&mut server.connect().await, head.as_bytes()).await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    server.stop().await;
}

#[tokio::test(start_paused = true)]
async fn stopping_closes_idle_keep_alive_connections_and_returns() {
    let server = Running::start(Limits {
        header_timeout: Duration::from_secs(3600),
        ..limits()
    })
    .await;
    let mut conn = server.connect().await;
    conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("send");
    let mut first = vec![0; 1024];
    let n = conn.read(&mut first).await.expect("the first reply");
    assert!(first[..n].starts_with(b"HTTP/1.1 200"));
    let start = Instant::now();
    server.stop().await;
    assert!(
        start.elapsed() < limits().shutdown_grace,
        "{:?}",
        start.elapsed()
    );
    assert_eq!(read_all(&mut conn).await, "");
}

#[tokio::test(start_paused = true)]
async fn stopping_drops_a_connection_still_open_after_the_grace_period() {
    let server = Running::start(Limits {
        header_timeout: Duration::from_secs(3600),
        ..limits()
    })
    .await;
    let mut conn = server.connect().await;
    conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("send");
    eventually_paused(&server.stats).await;
    let start = Instant::now();
    server.stop().await;
    assert!(
        start.elapsed() >= limits().shutdown_grace,
        "{:?}",
        start.elapsed()
    );
}

/// Under paused time: yields until the server has accepted one connection.
async fn eventually_paused(stats: &Stats) {
    for _ in 0..1000 {
        if stats.open() == 1 {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the connection was never accepted");
}
