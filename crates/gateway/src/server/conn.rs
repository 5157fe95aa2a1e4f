//! The HTTP/1.1 connection loop, with the limits `axum::serve` lacks: a client that
//! stalls in its request headers, or leaves a kept-alive connection idle, is
//! disconnected (`header_read_timeout`, `keep_alive_timeout`), and at most
//! `max_connections` connections are served at once; one more is answered 503
//! (errorCode 91, system busy) and closed at once, rather than left waiting unseen
//! in the kernel's queue. The request and body time limits are middleware
//! (`api::limits`), as they answer with an error body.
//!
//! Each connection has a watchdog that knows its phase from the bytes it moves and
//! from its requests: idle (no request, nothing read since the last answer),
//! reading a head (bytes came, no request yet) or busy (a request is being
//! handled). Only idle and head phases have deadlines. On shutdown, accepting stops,
//! each connection finishes its request in flight and closes, and [`serve`] returns
//! once every connection has.

use crate::config::HttpLimits;
use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// Serves `app` on `listener` until `shutdown`, then waits for every connection.
pub async fn serve(listener: TcpListener, app: Router, limits: HttpLimits, shutdown: CancellationToken) {
    let max = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let permits = Arc::new(Semaphore::new(max as usize));
    loop {
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors, or a connection reset before it was taken:
                    // wait a little rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        match permits.clone().try_acquire_owned() {
            Ok(permit) => {
                tokio::spawn(connection(stream, app.clone(), limits, shutdown.clone(), permit));
            }
            Err(_) => {
                tracing::debug!("connection refused: max_connections reached");
                tokio::spawn(refuse(stream));
            }
        }
    }
    drop(listener);
    let _ = permits.acquire_many(max).await;
}

/// The answer of a connection beyond the cap.
async fn refuse(mut stream: TcpStream) {
    let body = r#"{"errorCode":91,"message":"Hệ thống đang bận"}"#;
    let head = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\nretry-after: 1\r\n\r\n",
        body.len()
    );
    let answer = async {
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        stream.shutdown().await?;
        // Read what the client sent so that closing does not reset the connection
        // before it has read the answer.
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), std::io::Error>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), answer).await;
}

async fn connection(
    stream: TcpStream,
    app: Router,
    limits: HttpLimits,
    shutdown: CancellationToken,
    _permit: OwnedSemaphorePermit,
) {
    let _ = stream.set_nodelay(true);
    let watch = Arc::new(Watch::new());
    let io = TokioIo::new(Watched { inner: stream, watch: watch.clone() });
    let on_request = watch.clone();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let app = app.clone();
        let busy = Busy::start(on_request.clone());
        async move {
            let resp = app.oneshot(req.map(Body::new)).await;
            drop(busy);
            resp
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.keep_alive(true).header_read_timeout(None);
    let conn = builder.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            return;
        }
        () = watch.expired(limits) => {
            tracing::debug!("closing a connection stalled in its headers or idle");
            return;
        }
        () = shutdown.cancelled() => {}
    }
    conn.as_mut().graceful_shutdown();
    tokio::select! {
        _ = conn.as_mut() => {}
        () = watch.expired(limits) => {}
    }
}

#[derive(Clone, Copy)]
enum Phase {
    Idle(Instant),
    Head(Instant),
    Busy(usize),
}

/// A connection's phase, and a wake-up for its watchdog when it changes.
struct Watch {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Watch {
    fn new() -> Watch {
        Watch { phase: Mutex::new(Phase::Idle(Instant::now())), changed: Notify::new() }
    }

    fn update(&self, f: impl FnOnce(Phase) -> Phase) {
        let mut p = self.phase.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *p = f(*p);
        drop(p);
        self.changed.notify_one();
    }

    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Resolves once the connection has been idle, or in its headers, too long.
    async fn expired(&self, limits: HttpLimits) {
        loop {
            let changed = self.changed.notified();
            let deadline = match self.phase() {
                Phase::Idle(since) => Some(since + limits.keep_alive),
                Phase::Head(since) => Some(since + limits.header_read),
                Phase::Busy(_) => None,
            };
            match deadline {
                Some(d) if d <= Instant::now() => return,
                Some(d) => {
                    tokio::select! {
                        () = changed => {}
                        () = tokio::time::sleep_until(d) => {}
                    }
                }
                None => changed.await,
            }
        }
    }
}

/// A request being handled: the connection is busy until it is dropped.
struct Busy(Arc<Watch>);

impl Busy {
    fn start(watch: Arc<Watch>) -> Busy {
        watch.update(|p| match p {
            Phase::Busy(n) => Phase::Busy(n + 1),
            _ => Phase::Busy(1),
        });
        Busy(watch)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.update(|p| match p {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Idle(Instant::now()),
        });
    }
}

/// The socket, telling the watchdog when bytes move.
struct Watched {
    inner: TcpStream,
    watch: Arc<Watch>,
}

impl AsyncRead for Watched {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            // The first bytes of a request start its head's clock.
            if let Phase::Idle(_) = self.watch.phase() {
                self.watch.update(|p| if let Phase::Idle(_) = p { Phase::Head(Instant::now()) } else { p });
            }
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            // An answer still being written is not idleness.
            if let Phase::Idle(_) = self.watch.phase() {
                self.watch.update(|p| if let Phase::Idle(_) = p { Phase::Idle(Instant::now()) } else { p });
            }
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            if let Phase::Idle(_) = self.watch.phase() {
                self.watch.update(|p| if let Phase::Idle(_) = p { Phase::Idle(Instant::now()) } else { p });
            }
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
