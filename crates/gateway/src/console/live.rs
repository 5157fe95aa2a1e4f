//! `GET /console/events`: this node's live events as server-sent events, for the
//! console's open pages. Each event is `event: <kind>` with a JSON `data` line
//! (`kind`, `transId`, `partnerCode`, `what`, `atMs`). A page that falls behind by
//! more than [`crate::core::console::LIVE_BUFFER`] events skips the oldest and gets
//! a `lagged` event, upon which it reloads what it shows.

use super::pages::signed_in;
use crate::core::Gateway;
use crate::core::console::LiveEvent;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

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

/// `GET /console/events`.
pub async fn events(State(gw): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    if let Err(r) = signed_in(&gw, &headers).await {
        return r;
    }
    let rx = gw.live();
    let s = stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Ok(e) => Some((Ok::<_, Infallible>(event(&e)), rx)),
            Err(RecvError::Lagged(n)) => Some((Ok(Event::default().event("lagged").data(n.to_string())), rx)),
            Err(RecvError::Closed) => None,
        }
    });
    let mut resp = Sse::new(s).keep_alive(KeepAlive::default()).into_response();
    resp.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    resp
}
