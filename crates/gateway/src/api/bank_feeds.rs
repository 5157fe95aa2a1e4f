//! Bank-feed webhooks: `POST /bank-feeds/{provider}/{partnerCode}`, where SePay and
//! Casso report the transactions of a partner's collecting account.
//!
//! Each answers the way its provider expects, because the provider decides from the
//! answer whether to retry: 2xx with `{"success":true}` once the transaction is on
//! record (a duplicate too, so that a retry stops), 401 for a missing or bad
//! credential (nothing is recorded), 400 for a body that does not read (it is kept
//! for the operator, and a retry of the same body would not read either), and 503
//! when the database fails, so that the provider tries again later.
//!
//! The body is read raw: SePay signs the bytes as sent, and Casso's signature is
//! checked over the body re-serialised by the protocol crate.

use crate::core::{FeedReceipt, FeedRequest, Gateway, credits};
use appotapay_protocol::bankfeed::{Provider, casso, sepay};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

fn json(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn failure(status: StatusCode, message: &str) -> Response {
    json(status, serde_json::json!({ "success": false, "message": message }).to_string())
}

/// `POST /bank-feeds/{provider}/{partnerCode}`.
#[utoipa::path(
    post,
    path = "/bank-feeds/{provider}/{partner_code}",
    operation_id = "bankFeedWebhook",
    tag = "bank-feeds",
    summary = "A bank feed reports a transaction of a partner's collecting account",
    params(("provider" = crate::api::openapi::schemas::FeedProvider, Path, description = "`sepay` or `casso` (another name: 404)"), ("partner_code" = String, Path, description = "The partner")),
    request_body(content = serde_json::Value, description = "The provider's JSON body, authenticated by its own header (SePay: Authorization Apikey or X-SePay-Signature; Casso: X-Casso-Signature or Secure-Token)", content_type = "application/json"),
    responses((status = 200, description = "On record (a duplicate too)", body = crate::api::openapi::schemas::FeedAnswer), (status = 400, description = "The body does not read (kept for the operator)", body = crate::api::openapi::schemas::FeedAnswer), (status = 401, description = "Missing or bad credential", body = crate::api::openapi::schemas::FeedAnswer), (status = 404, description = "No such provider", body = crate::api::openapi::schemas::FeedAnswer), (status = 413, description = "Body over 64 KiB", body = crate::api::openapi::schemas::FeedAnswer), (status = 503, description = "The database failed: retry later", body = crate::api::openapi::schemas::FeedAnswer)),
)]
pub async fn webhook(
    State(gw): State<Arc<Gateway>>,
    Path((provider, partner)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Some(provider) = credits::provider_named(&provider) else {
        return failure(StatusCode::NOT_FOUND, "no such bank feed provider");
    };
    let body = match body {
        Ok(b) => b,
        Err(e) => return failure(e.status(), &e.body_text()),
    };
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let req = FeedRequest {
        authorization: h(header::AUTHORIZATION.as_str()),
        signature: match provider {
            Provider::Sepay => h(sepay::SIGNATURE_HEADER),
            Provider::Casso => h(casso::SIGNATURE_HEADER),
        },
        timestamp: h(sepay::TIMESTAMP_HEADER),
        secure_token: h(casso::SECURE_TOKEN_HEADER),
        body: &body,
    };
    match gw.receive_feed(provider, &partner, req).await {
        Ok(FeedReceipt::Accepted(results)) => {
            tracing::info!(provider = provider.as_str(), partner = %partner, results = ?results, "bank feed webhook");
            json(StatusCode::OK, credits::provider_ok_body(provider).to_owned())
        }
        Ok(FeedReceipt::Unauthorized) => {
            tracing::warn!(provider = provider.as_str(), partner = %partner, "bank feed webhook refused: credential");
            failure(StatusCode::UNAUTHORIZED, "unauthorized")
        }
        Ok(FeedReceipt::Unreadable(why)) => {
            tracing::warn!(provider = provider.as_str(), partner = %partner, why = %why, "bank feed body unreadable, kept");
            failure(StatusCode::BAD_REQUEST, &why)
        }
        Err(e) => {
            tracing::error!(provider = provider.as_str(), partner = %partner, error = %e, "bank feed webhook failed");
            failure(StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable, retry later")
        }
    }
}
