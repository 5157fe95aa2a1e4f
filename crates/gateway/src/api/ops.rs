//! Operations endpoints: health and metrics.

use crate::core::Gateway;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// `GET /healthz`: 200 when the database answers, 503 otherwise.
pub async fn healthz(State(gw): State<Arc<Gateway>>) -> Response {
    match gw.ping().await {
        Ok(()) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"status":"unavailable"}"#,
            )
                .into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics() -> Response {
    match crate::metrics::handle() {
        Some(h) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], h.render()).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "metrics recorder unavailable").into_response(),
    }
}
