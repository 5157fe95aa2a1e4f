//! Operations endpoints: health and metrics.
//!
//! `/healthz` is what a load balancer asks; it must fail when the node cannot do its
//! work, so it writes as well as reads. `/metrics` tells how busy each partner's
//! traffic is; production serves it only behind a bearer token (`metrics_token`).

use crate::config::MetricsAccess;
use crate::core::Gateway;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// `GET /healthz`: 200 `{"status":"ok"}` when the database answers a read and
/// commits a write, else 503 `{"status":"unavailable","failed":"read"|"write"}`
/// ([`Gateway::health`]).
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "ops",
    summary = "Health: the database answers a read and commits a write",
    responses((status = 200, description = "Healthy", body = crate::api::openapi::schemas::Health), (status = 503, description = "Unavailable", body = crate::api::openapi::schemas::Health)),
)]
pub async fn healthz(State(gw): State<Arc<Gateway>>) -> Response {
    match gw.health().await {
        Ok(()) => (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#).into_response(),
        Err(e) => {
            tracing::warn!(failed = e.failed, error = %e.error, "health check failed");
            let body = serde_json::json!({ "status": "unavailable", "failed": e.failed }).to_string();
            (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
    }
}

/// `GET /metrics`: Prometheus text format, to the requests [`MetricsAccess`] lets
/// through: with a token set, a request without `Authorization: Bearer <token>` is
/// answered 401 (compared in constant time).
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "ops",
    summary = "Prometheus metrics",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"), (status = 401, description = "metrics_token set and not given", body = String, content_type = "text/plain"), (status = 404, description = "Metrics are off", body = crate::api::openapi::schemas::ErrorBody), (status = 503, description = "No metrics recorder", body = String, content_type = "text/plain")),
    security((), ("metricsBearer" = [])),
)]
pub async fn metrics(State(gw): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    match &gw.config().metrics {
        MetricsAccess::Public => {}
        MetricsAccess::Token(token) => {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default();
            if !bool::from(given.as_bytes().ct_eq(token.as_bytes())) {
                return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "unauthorized")
                    .into_response();
            }
        }
        MetricsAccess::Off => return crate::api::not_found().await.into_response(),
    }
    match crate::metrics::handle() {
        Some(h) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], h.render()).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "metrics recorder unavailable").into_response(),
    }
}
