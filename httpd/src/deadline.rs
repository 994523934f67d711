//! A TCP stream whose writes fail once the peer has taken nothing for a while: otherwise a
//! peer that stops reading holds its connection (and what it was sent) forever.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

/// A stream whose writes fail with `TimedOut` after `timeout` without progress.
#[derive(Debug)]
pub struct SendDeadline {
    stream: TcpStream,
    timeout: Duration,
    stalled: Option<Pin<Box<Sleep>>>,
}

impl SendDeadline {
    /// Wraps `stream`; a write that cannot proceed for `timeout` fails.
    pub fn new(stream: TcpStream, timeout: Duration) -> SendDeadline {
        SendDeadline {
            stream,
            timeout,
            stalled: None,
        }
    }

    /// After a write that could not proceed: pending until the deadline, then an error.
    fn check<T>(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<T>> {
        let timeout = self.timeout;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer stopped reading",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Any completed write restarts the deadline.
    fn progress<T>(
        &mut self,
        poll: Poll<io::Result<T>>,
        cx: &mut Context<'_>,
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
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for SendDeadline {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.progress(poll, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.progress(poll, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.stream).poll_flush(cx);
        self.progress(poll, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_stops_reading_is_dropped_after_the_send_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        // Connected, and never reading.
        let _peer = TcpStream::connect(addr).await.expect("connect");
        let (stream, _) = listener.accept().await.expect("accept");
        let timeout = Duration::from_secs(30);
        let mut io = SendDeadline::new(stream, timeout);
        let start = tokio::time::Instant::now();
        let chunk = vec![0; 1 << 20];
        let error = loop {
            if let Err(e) = io.write(&chunk).await {
                break e;
            }
        };
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(start.elapsed() >= timeout, "{:?}", start.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_peer_that_keeps_reading_is_never_dropped() {
        use tokio::io::AsyncReadExt;
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut peer = TcpStream::connect(addr).await.expect("connect");
        let (stream, _) = listener.accept().await.expect("accept");
        let mut io = SendDeadline::new(stream, Duration::from_secs(1));
        let sent = 16 << 20;
        let writer = async move {
            let chunk = vec![0; 1 << 20];
            for _ in 0..(sent >> 20) {
                io.write_all(&chunk).await?;
            }
            io.shutdown().await
        };
        let reader = async move {
            let mut got = 0;
            let mut buf = vec![0; 1 << 18];
            loop {
                // Slower than the writer, yet never stopped for a whole second.
                tokio::time::sleep(Duration::from_millis(100)).await;
                match peer.read(&mut buf).await? {
                    0 => return io::Result::Ok(got),
                    n => got += n,
                }
            }
        };
        let (written, read) = tokio::join!(writer, reader);
        written.expect("every write succeeds");
        assert_eq!(read.expect("read"), sent);
    }
}
