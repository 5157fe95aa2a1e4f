//! `GET /console/events`: this node's live events as server-sent events, for the
//! console's open pages. Each event is `event: <kind>` with a JSON `data` line
//! (`kind`, `transId`, `partnerCode`, `what`, `atMs`). A page that falls behind by
//! more than [`crate::core::console::LIVE_BUFFER`] events skips the oldest and gets
//! a `lagged` event, upon which it reloads what it shows.
//!
//! A stream is not a session of its own: the visitor is checked again every
//! [`RECHECK`], so a revoked token or an expired login stops receiving at once; the
//! stream ends after [`MAX_STREAM`] anyway (the browser reconnects, and signs in
//! again), and when the node stops serving, so that a graceful shutdown never waits
//! for an open console tab.

use super::pages::internal;
use super::session;
use crate::core::Gateway;
use crate::core::console::LiveEvent;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

/// How often an open stream checks that its visitor may still look.
pub const RECHECK: Duration = Duration::from_secs(30);
/// The longest a stream stays open.
pub const MAX_STREAM: Duration = Duration::from_secs(600);

fn event(e: &LiveEvent) -> Event {
    let data = serde_json::json!({
        "kind": e.kind,
        "transId": e.trans_id,
        "partnerCode": e.partner_code,
        "what": e.what,
        "atMs": e.at_ms,
    });
    Event::default().event(e.kind).data(data.to_string())
}

struct Stream {
    rx: Receiver<LiveEvent>,
    gw: Arc<Gateway>,
    headers: HeaderMap,
    ends_at: Instant,
    next_check: Instant,
}

async fn next(mut s: Stream) -> Option<(Result<Event, Infallible>, Stream)> {
    let stop = s.gw.stopping();
    loop {
        let wake = s.next_check.min(s.ends_at);
        tokio::select! {
            r = s.rx.recv() => {
                let e = match r {
                    Ok(e) => event(&e),
                    Err(RecvError::Lagged(n)) => Event::default().event("lagged").data(n.to_string()),
                    Err(RecvError::Closed) => return None,
                };
                return Some((Ok(e), s));
            }
            () = tokio::time::sleep_until(wake) => {
                if Instant::now() >= s.ends_at {
                    return None;
                }
                let still = matches!(session::visitor(&s.gw, &s.headers).await, Ok(v) if v.admin.is_some());
                if !still {
                    return None;
                }
                s.next_check = Instant::now() + RECHECK;
            }
            () = stop.cancelled() => return None,
        }
    }
}

/// `GET /console/events`: 401 unless signed in.
pub async fn events(State(gw): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    match session::visitor(&gw, &headers).await {
        Ok(v) if v.admin.is_some() => {}
        Ok(_) => return (StatusCode::UNAUTHORIZED, "sign in at /console/login").into_response(),
        Err(e) => return internal(e),
    }
    let now = Instant::now();
    let state = Stream { rx: gw.live(), gw: gw.clone(), headers, ends_at: now + MAX_STREAM, next_check: now + RECHECK };
    let mut resp = Sse::new(stream::unfold(state, next)).keep_alive(KeepAlive::default()).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
