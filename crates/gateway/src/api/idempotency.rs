//! `Idempotency-Key` on the partner API's POSTs, as a middleware: a partner that
//! retries a request whose answer it never saw gets the first answer again, byte for
//! byte, instead of a second order, refund or settlement.
//!
//! For a POST with the header, in this order:
//! 1. the key must be 1..=255 visible ASCII characters (else HTTP 400, errorCode 1);
//! 2. the request authenticates (`auth.rs`; its failures pass through and are never
//!    kept, so a stranger cannot fill a partner's key);
//! 3. the body is read (over the cap: HTTP 413, errorCode 1, not kept);
//! 4. the key is claimed for the partner ([`Gateway::claim_idempotency_key`]):
//!    - claimed: the handler runs, and its answer, whatever it is (errors too), is
//!      recorded before it is sent;
//!    - the same request answered before: its answer, with `Idempotent-Replayed: true`;
//!    - another request (method, path, `X-Account-Ref-ID` or body bytes differ): HTTP
//!      422, errorCode 1, the key named in `X-Error-Detail`;
//!    - the same request still running: HTTP 409, errorCode 1.
//!
//! Without the header nothing changes.

use super::auth::{AuthPartner, lang_of};
use super::{ApiError, BODY_LIMIT};
use crate::core::Gateway;
use crate::core::idempotency::fingerprint;
use crate::domain::idempotency::{Claim, KeyOutcome, StoredAnswer};
use appotapay_protocol::headers::{self, MAX_IDEMPOTENCY_KEY_BYTES};
use appotapay_protocol::{ErrorCode, Lang};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The middleware (see the module documentation).
pub async fn layer(State(gw): State<Arc<Gateway>>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST || !req.headers().contains_key(headers::IDEMPOTENCY_KEY) {
        return next.run(req).await;
    }
    match run(&gw, req, next).await {
        Ok(resp) | Err(resp) => resp,
    }
}

async fn run(gw: &Arc<Gateway>, req: Request, next: Next) -> Result<Response, Response> {
    let (mut parts, body) = req.into_parts();
    let lang = lang_of(&parts);
    let key = key_of(&parts.headers, lang).map_err(IntoResponse::into_response)?;
    let partner = AuthPartner::from_request_parts(&mut parts, gw).await.map_err(IntoResponse::into_response)?;
    parts.extensions.insert(partner.clone());
    let body = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::INVALID_PARAMS)
            .lang(lang)
            .detail("body: length limit exceeded")
            .into_response()
    })?;
    let path = parts.uri.path_and_query().map_or("", |p| p.as_str());
    let sub = parts.headers.get(headers::ACCOUNT_REF_ID).map(HeaderValue::as_bytes);
    let print = fingerprint(parts.method.as_str(), path, sub, &body);
    let (outcome, claim) = gw.claim_idempotency_key(&partner.0.code, &key, &print).await.map_err(into_response)?;
    match (outcome, claim) {
        (KeyOutcome::Claimed, Some(claim)) => {
            Ok(answer_and_keep(gw, claim, next.run(Request::from_parts(parts, Body::from(body))).await).await)
        }
        (KeyOutcome::Replay(answer), _) => Ok(replay(answer)),
        (KeyOutcome::Mismatch, _) => Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::INVALID_PARAMS)
            .lang(lang)
            .detail(format!("Idempotency-Key {key} was used with another request"))
            .into_response()),
        _ => Err(ApiError::new(StatusCode::CONFLICT, ErrorCode::INVALID_PARAMS)
            .lang(lang)
            .detail(format!("a request with Idempotency-Key {key} is still running"))
            .into_response()),
    }
}

fn into_response(e: crate::core::CoreError) -> Response {
    ApiError::from(e).into_response()
}

/// The request's key: 1..=255 visible ASCII characters.
fn key_of(h: &axum::http::HeaderMap, lang: Lang) -> Result<String, ApiError> {
    let bad = |why: &str| ApiError::bad(ErrorCode::INVALID_PARAMS).lang(lang).detail(format!("Idempotency-Key {why}"));
    let mut values = h.get_all(headers::IDEMPOTENCY_KEY).iter();
    let (Some(v), None) = (values.next(), values.next()) else { return Err(bad("must be sent once")) };
    let key = v.to_str().ok().filter(|k| k.bytes().all(|b| b.is_ascii_graphic() || b == b' '));
    let key = key.ok_or_else(|| bad("must be visible ASCII"))?;
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_BYTES {
        return Err(bad("must be 1 to 255 characters"));
    }
    Ok(key.to_owned())
}

/// Reads the handler's answer, records it for the claim, and sends it. A failure to
/// record is logged and the answer still sent: the claim then holds the key until
/// it times out, after which a retry runs again (and meets the order's or refund's
/// own uniqueness).
async fn answer_and_keep(gw: &Gateway, claim: Claim, resp: Response) -> Response {
    let (parts, body) = resp.into_parts();
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "reading an answer to keep failed");
            return ApiError::internal().into_response();
        }
    };
    let text = |name| parts.headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::to_owned);
    let answer = StoredAnswer {
        status: parts.status.as_u16(),
        content_type: text(header::CONTENT_TYPE.as_str()),
        error_detail: text(headers::ERROR_DETAIL),
        body: body.to_vec(),
    };
    match gw.finish_idempotency_key(&claim, &answer).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!("an idempotency claim was taken over before its answer was kept"),
        Err(e) => tracing::error!(error = %e, "keeping an idempotent answer failed"),
    }
    Response::from_parts(parts, Body::from(body))
}

/// A kept answer, sent again.
fn replay(a: StoredAnswer) -> Response {
    let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, Bytes::from(a.body)).into_response();
    let h = resp.headers_mut();
    h.remove(header::CONTENT_TYPE);
    for (name, value) in [(header::CONTENT_TYPE.as_str(), a.content_type), (headers::ERROR_DETAIL, a.error_detail)] {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            h.insert(name, v);
        }
    }
    h.insert(headers::IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    resp
}
