//! A ready-made IPN endpoint for [axum](https://docs.rs/axum) (feature `axum`).
//!
//! ```
//! use appotapay::{PaymentNotification, SecretKey};
//! use axum::Router;
//!
//! #[derive(Debug)]
//! struct OrderStoreError;
//! impl std::fmt::Display for OrderStoreError {
//!     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
//!         f.write_str("the order store is unavailable")
//!     }
//! }
//!
//! async fn on_payment(n: PaymentNotification) -> Result<(), OrderStoreError> {
//!     // Delivery is at-least-once: record n.appotapay_trans_id and ignore repeats.
//!     if n.error_code.is_success() {
//!         println!("order {} paid {} VND", n.order_id, n.amount);
//!     }
//!     Ok(())
//! }
//!
//! let secret = SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3");
//! let app: Router = Router::new().route("/appotapay/ipn", appotapay::axum::ipn_route(secret, on_payment));
//! ```

use crate::notification::verify_ipn;
use appotapay_protocol::SecretKey;
use appotapay_protocol::messages::PaymentNotification;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

/// Largest IPN body accepted, in bytes; larger bodies get HTTP 413.
pub const IPN_BODY_LIMIT: usize = 64 * 1024;

/// The body the gateway expects after a processed IPN.
const OK_BODY: &str = r#"{"status":"ok"}"#;

/// A `POST` route that receives IPNs, verifies them with `secret` and hands each
/// verified [`PaymentNotification`] to `handler`.
///
/// Answers:
/// - HTTP 200 with the body `{"status":"ok"}` only when `handler` returned `Ok`: the
///   gateway then stops re-sending;
/// - HTTP 400 when the body is not a validly signed notification (forged, altered or
///   malformed); `handler` is not called;
/// - HTTP 413 when the body exceeds [`IPN_BODY_LIMIT`];
/// - HTTP 500 when `handler` returned `Err`, so that the gateway sends the IPN again
///   later. The error is logged (with `tracing`), never sent back.
///
/// **Delivery is at-least-once**: the same notification can arrive several times (a
/// lost `200`, a retry racing a slow handler). Make `handler` idempotent, e.g. record
/// `appotapay_trans_id` in the same database transaction that fulfils the order and
/// return `Ok` without doing anything for an id already recorded. Both successful and
/// (when the partner opted in) failed payments are notified: check `error_code`.
///
/// ```
/// use appotapay::{PaymentNotification, SecretKey};
/// use axum::Router;
/// use std::collections::HashSet;
/// use std::sync::{Arc, Mutex};
///
/// let seen = Arc::new(Mutex::new(HashSet::new()));
/// let handler = move |n: PaymentNotification| {
///     let seen = seen.clone();
///     async move {
///         let mut seen = seen.lock().map_err(|_| "state poisoned")?;
///         if !seen.insert(n.appotapay_trans_id.clone()) {
///             return Ok(()); // a duplicate: already handled
///         }
///         if n.error_code.is_success() {
///             println!("fulfil order {}", n.order_id);
///         }
///         Ok::<(), &'static str>(())
///     }
/// };
/// let secret = SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3");
/// let app: Router = Router::new().route("/ipn", appotapay::axum::ipn_route(secret, handler));
/// ```
pub fn ipn_route<S, H, Fut, E>(secret: SecretKey, handler: H) -> MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
    H: Fn(PaymentNotification) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Display + Send + 'static,
{
    let secret = Arc::new(secret);
    post(move |body: Bytes| {
        let secret = Arc::clone(&secret);
        let handler = handler.clone();
        async move { receive(&secret, &body, handler).await }
    })
    .layer(DefaultBodyLimit::max(IPN_BODY_LIMIT))
}

async fn receive<H, Fut, E>(secret: &SecretKey, body: &[u8], handler: H) -> Response
where
    H: Fn(PaymentNotification) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    let notification = match verify_ipn(secret, body) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "IPN refused");
            return json(StatusCode::BAD_REQUEST, serde_json::json!({"status": "error", "message": e.to_string()}));
        }
    };
    let trans_id = notification.appotapay_trans_id.clone();
    match handler(notification).await {
        Ok(()) => (StatusCode::OK, [(CONTENT_TYPE, "application/json")], OK_BODY).into_response(),
        Err(e) => {
            tracing::error!(error = %e, appotapay_trans_id = %trans_id, "IPN handler failed");
            json(StatusCode::INTERNAL_SERVER_ERROR, serde_json::json!({"status": "error", "message": "not processed"}))
        }
    }
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (status, [(CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}
