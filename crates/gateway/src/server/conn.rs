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
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
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

/// A connection's phase. Only the idle and head phases have deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No request, nothing read since the last answer, from this time on.
    Idle(Instant),
    /// The first bytes of a request's head came at this time; no request yet.
    Head(Instant),
    /// This many requests are being handled.
    Busy(usize),
}

/// What the watchdog does next: close the connection, or look again at this time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    Expired,
    Again(Instant),
}

/// The watchdog's decision at `now` for a connection in `phase`.
///
/// The phase changes with every request (bytes read, a request begun, an answer
/// written): waking the watchdog on each change would cost every request a wake-up
/// and a poll of its connection. It is never told instead. It looks at the phase
/// when its timer fires, and never sleeps past `now` plus the shorter of the two
/// limits: any phase entered meanwhile has a deadline at least that far from when it
/// was entered, so the watchdog is still on time for it. A busy or fresh connection
/// costs one timer every few seconds, not one per request.
fn check(phase: Phase, now: Instant, limits: HttpLimits) -> Check {
    let horizon = now + limits.header_read.min(limits.keep_alive);
    match deadline(phase, limits) {
        Some(d) if d <= now => Check::Expired,
        Some(d) => Check::Again(d.min(horizon)),
        None => Check::Again(horizon),
    }
}

/// When a connection in `phase` is to be closed: idle too long, or too long in a
/// request's head; never while busy.
fn deadline(phase: Phase, limits: HttpLimits) -> Option<Instant> {
    match phase {
        Phase::Idle(since) => Some(since + limits.keep_alive),
        Phase::Head(since) => Some(since + limits.header_read),
        Phase::Busy(_) => None,
    }
}

/// A connection's phase, packed in one word so that a request changes it without a
/// lock: the top two bits say which phase, the rest holds the busy count or the
/// phase's start in microseconds since the watch was made.
struct Watch {
    base: Instant,
    word: AtomicU64,
}

const TAG_SHIFT: u32 = 62;
const VALUE: u64 = (1 << TAG_SHIFT) - 1;
const IDLE: u64 = 0;
const HEAD: u64 = 1;
const BUSY: u64 = 2;

impl Watch {
    fn new() -> Watch {
        Watch { base: Instant::now(), word: AtomicU64::new(IDLE << TAG_SHIFT) }
    }

    fn pack(&self, phase: Phase) -> u64 {
        let micros = |t: Instant| (t.saturating_duration_since(self.base).as_micros() as u64).min(VALUE);
        match phase {
            Phase::Idle(t) => (IDLE << TAG_SHIFT) | micros(t),
            Phase::Head(t) => (HEAD << TAG_SHIFT) | micros(t),
            Phase::Busy(n) => (BUSY << TAG_SHIFT) | (n as u64).min(VALUE),
        }
    }

    fn unpack(&self, word: u64) -> Phase {
        let value = word & VALUE;
        match word >> TAG_SHIFT {
            IDLE => Phase::Idle(self.base + Duration::from_micros(value)),
            HEAD => Phase::Head(self.base + Duration::from_micros(value)),
            _ => Phase::Busy(usize::try_from(value).unwrap_or(usize::MAX)),
        }
    }

    /// Changes the phase by `f`, atomically against every other change.
    fn update(&self, f: impl Fn(Phase) -> Phase) {
        let _ = self.word.fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| Some(self.pack(f(self.unpack(w)))));
    }

    fn phase(&self) -> Phase {
        self.unpack(self.word.load(Ordering::Acquire))
    }

    /// Resolves once the connection has been idle, or in its headers, too long.
    async fn expired(&self, limits: HttpLimits) {
        loop {
            match check(self.phase(), Instant::now(), limits) {
                Check::Expired => return,
                Check::Again(at) => tokio::time::sleep_until(at).await,
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
        let now = Instant::now();
        self.0.update(|p| match p {
            Phase::Busy(n) if n > 1 => Phase::Busy(n - 1),
            _ => Phase::Idle(now),
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
                let now = Instant::now();
                self.watch.update(|p| if let Phase::Idle(_) = p { Phase::Head(now) } else { p });
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
                let now = Instant::now();
                self.watch.update(|p| if let Phase::Idle(_) = p { Phase::Idle(now) } else { p });
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
                let now = Instant::now();
                self.watch.update(|p| if let Phase::Idle(_) = p { Phase::Idle(now) } else { p });
            }
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn limits(header_read_ms: u64, keep_alive_ms: u64) -> HttpLimits {
        HttpLimits {
            header_read: Duration::from_millis(header_read_ms),
            keep_alive: Duration::from_millis(keep_alive_ms),
            request: Duration::from_secs(30),
            body_read: Duration::from_secs(30),
            max_connections: 1,
        }
    }

    #[test]
    fn phases_survive_their_packing() {
        let w = Watch::new();
        for phase in [
            Phase::Idle(w.base),
            Phase::Head(w.base + Duration::from_micros(1_234_567)),
            Phase::Idle(w.base + Duration::from_secs(86_400 * 365)),
            Phase::Busy(1),
            Phase::Busy(3),
        ] {
            assert_eq!(w.unpack(w.pack(phase)), phase);
        }
    }

    #[test]
    fn a_request_makes_the_connection_busy_until_it_ends() {
        let w = Arc::new(Watch::new());
        let a = Busy::start(w.clone());
        let b = Busy::start(w.clone());
        assert_eq!(w.phase(), Phase::Busy(2));
        drop(a);
        assert_eq!(w.phase(), Phase::Busy(1));
        let before = Instant::now();
        drop(b);
        match w.phase() {
            Phase::Idle(since) => assert!(since >= before - Duration::from_micros(1), "idle from the answer on"),
            other => panic!("idle after the last request, not {other:?}"),
        }
    }

    #[test]
    fn a_phase_past_its_deadline_is_expired_and_a_busy_one_never() {
        let l = limits(1_000, 5_000);
        let t = Instant::now();
        assert_eq!(check(Phase::Head(t), t + Duration::from_millis(1_000), l), Check::Expired);
        assert_eq!(
            check(Phase::Head(t), t + Duration::from_millis(999), l),
            Check::Again(t + Duration::from_millis(1_000))
        );
        assert_eq!(check(Phase::Idle(t), t + Duration::from_millis(5_000), l), Check::Expired);
        // Idle with four seconds left: looked at again within the head limit.
        assert_eq!(
            check(Phase::Idle(t), t + Duration::from_millis(1_000), l),
            Check::Again(t + Duration::from_millis(2_000))
        );
        assert_eq!(
            check(Phase::Busy(1), t + Duration::from_secs(3_600), l),
            Check::Again(t + Duration::from_millis(3_601_000))
        );
    }

    /// The watchdog's loop on tokio's clock, paused: a busy connection outlives both
    /// limits, then expires one keep-alive after its last answer; a head
    /// expires one header limit after its first byte.
    #[tokio::test(start_paused = true)]
    async fn the_watchdog_closes_idle_and_stalled_connections_on_time_and_busy_ones_never() {
        let l = limits(1_000, 5_000);
        let w = Arc::new(Watch::new());
        let busy = Busy::start(w.clone());
        let mut expired = std::pin::pin!(w.expired(l));
        assert!(tokio::time::timeout(Duration::from_secs(3_600), expired.as_mut()).await.is_err(), "busy");
        drop(busy);
        assert!(tokio::time::timeout(Duration::from_millis(4_990), expired.as_mut()).await.is_err(), "idle, not yet");
        assert!(tokio::time::timeout(Duration::from_millis(20), expired.as_mut()).await.is_ok(), "idle too long");

        let w = Watch::new();
        let started = Instant::now();
        let now = Instant::now();
        w.update(|p| if let Phase::Idle(_) = p { Phase::Head(now) } else { p });
        w.expired(l).await;
        // The timer wheel counts whole milliseconds: on time means within one.
        let took = Instant::now() - started;
        assert!(
            took >= Duration::from_millis(1_000) && took < Duration::from_millis(1_002),
            "a head's limit: {took:?}"
        );
    }

    fn phase_at(kind: u8, at: Instant) -> Phase {
        match kind % 3 {
            0 => Phase::Idle(at),
            1 => Phase::Head(at),
            _ => Phase::Busy(1),
        }
    }

    proptest! {
        /// Whatever phase the connection enters while the watchdog sleeps, the
        /// watchdog wakes no later than that phase's deadline: it is never late, and
        /// it expires a connection exactly when its phase's deadline has passed.
        #[test]
        fn the_watchdog_is_never_late(
            header_read in 1u64..60_000,
            keep_alive in 1u64..600_000,
            kind in 0u8..3,
            started_ago in 0u64..1_000_000,
            next_kind in 0u8..3,
            entered in 0.0f64..=1.0,
        ) {
            let l = limits(header_read, keep_alive);
            let base = Instant::now();
            let now = base + Duration::from_secs(1_000);
            let phase = phase_at(kind, now - Duration::from_millis(started_ago));
            match check(phase, now, l) {
                Check::Expired => {
                    let d = deadline(phase, l);
                    prop_assert!(d.is_some_and(|d| d <= now));
                }
                Check::Again(at) => {
                    prop_assert!(at > now);
                    if let Some(d) = deadline(phase, l) {
                        prop_assert!(at <= d, "woken by the deadline of the phase it saw");
                    }
                    // A phase entered at any time between now and the wake-up.
                    let t = now + (at - now).mul_f64(entered);
                    if let Some(d) = deadline(phase_at(next_kind, t), l) {
                        prop_assert!(at <= d, "on time for a phase entered while asleep");
                    }
                }
            }
        }
    }
}
