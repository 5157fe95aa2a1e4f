//! The time limits of a request once its headers are read (the connection's own
//! limits are the server's): a body not received within `body_read_timeout` answers
//! 408 with errorCode 1 and closes the connection; a request not answered within
//! `request_timeout` answers 503 with errorCode 500 (its handler is dropped, and so
//! is any transaction it held open). Both are the JSON error body of every API
//! error, on every route.

use super::ApiError;
use crate::config::HttpLimits;
use appotapay_protocol::ErrorCode;
use axum::Router;
use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Wraps `routes` in the request and body time limits.
pub fn apply<S: Clone + Send + Sync + 'static>(routes: Router<S>, limits: HttpLimits) -> Router<S> {
    routes.layer(middleware::from_fn_with_state(limits, limit))
}

async fn limit(State(limits): State<HttpLimits>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let lang = super::auth::lang_of(&parts);
    let stalled = Arc::new(AtomicBool::new(false));
    let body = if body.size_hint().exact() == Some(0) { body } else { timed(body, limits, stalled.clone()) };
    let run = next.run(Request::from_parts(parts, body));
    let resp = match tokio::time::timeout(limits.request, run).await {
        Ok(resp) => resp,
        Err(_) => {
            tracing::warn!("request timed out");
            return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::SYSTEM_ERROR)
                .lang(lang)
                .detail("the request timed out")
                .into_response();
        }
    };
    if !stalled.load(Ordering::Relaxed) {
        return resp;
    }
    let mut resp = ApiError::new(StatusCode::REQUEST_TIMEOUT, ErrorCode::INVALID_PARAMS)
        .lang(lang)
        .detail("the request body was not received in time")
        .into_response();
    // The rest of the body is still on its way: the connection cannot be reused.
    resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// `body`, failing once `body_read_timeout` has passed (and noting it in `stalled`).
fn timed(body: Body, limits: HttpLimits, stalled: Arc<AtomicBool>) -> Body {
    let deadline = Box::pin(tokio::time::sleep(limits.body_read));
    let state = (body.into_data_stream(), deadline, stalled, false);
    Body::from_stream(futures_util::stream::unfold(state, |(mut data, mut deadline, stalled, over)| async move {
        if over {
            return None;
        }
        tokio::select! {
            item = data.next() => item.map(|i| (i, (data, deadline, stalled, false))),
            () = &mut deadline => {
                stalled.store(true, Ordering::Relaxed);
                let e = axum::Error::new(std::io::Error::new(std::io::ErrorKind::TimedOut, "body read timed out"));
                Some((Err(e), (data, deadline, stalled, true)))
            }
        }
    }))
}
