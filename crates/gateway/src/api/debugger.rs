//! The sandbox merchant test kit on the partner API: the signature debugger and the
//! request log, as one middleware that exists only in the sandbox.
//!
//! A merchant whose signatures fail has nothing to go on but errorCode 2. In the
//! sandbox, where the keys are test keys, the gateway says more:
//! - an answer with errorCode 2 carries `X-Expected-Signature-Data`, the `data`
//!   string the gateway signed (percent-encoded, see
//!   [`appotapay_protocol::headers::encode_signature_data`]) — never the expected
//!   signature, which would make the sandbox a signing oracle;
//! - `X-Error-Detail` gains a hint when one of the common mistakes explains the
//!   signature sent exactly ([`crate::domain::signature_debug`]);
//! - every call of the partner API (`/api/v1/`, `/api/v1.1/`, `/api/v2/`) is kept in
//!   the request log ([`crate::domain::request_log`]), read back with
//!   `appotapay-gateway logs tail`, unless the setting `sandbox_request_log` is off.
//!
//! [`routes`](super::routes) adds [`layer`] only when the acquirer is a simulator,
//! so production neither computes nor sends any of it. The handlers report their
//! signature checks through one call in `payments::verify` (`signature_checked`),
//! which does nothing outside this layer's scope (a task-local set by the layer).
//!
//! Recording never slows or breaks a request: the entry is queued, and written in
//! batches by a task of the core (see [`crate::core`]'s request log); beyond the
//! queue's bound it is dropped with a warning.

use super::{ApiError, BODY_LIMIT, X_REQUEST_ID};
use crate::core::{Gateway, Partner, now_ms};
use crate::domain::request_log::{self, RequestEntry};
use crate::domain::signature_debug;
use appotapay_protocol::signing::{self, SignatureSpec};
use appotapay_protocol::{ErrorCode, SecretKey, headers};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde_json::Value;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

/// What the handler of one request reported.
struct Scope {
    /// The request body as received (the parsed object does not keep key order).
    body: Bytes,
    /// The last signature check: its `data` string, and whether it failed.
    check: Mutex<Option<(String, bool)>>,
    /// The partner the request authenticated as (its token verified), if it did.
    partner: Mutex<Option<Arc<Partner>>>,
}

/// Reports that the request authenticated as `partner` (called by the
/// authentication extractor; nothing outside this layer's scope). Hints and the
/// request log's attribution use only a partner whose token verified, so that no
/// one can ask about, or write into the log of, a partner whose secret they lack.
pub(super) fn authenticated(partner: &Arc<Partner>) {
    if let Ok(scope) = SCOPE.try_with(Arc::clone) {
        *scope.partner.lock().unwrap_or_else(PoisonError::into_inner) = Some(partner.clone());
    }
}

tokio::task_local! {
    static SCOPE: Arc<Scope>;
}

/// Reports a request signature check (`checked`, as `payments::verify` decided it)
/// to the debugger, and returns it: unchanged outside the sandbox layer; inside it,
/// an errorCode 2 gains the hint of the mistake that explains the signature sent,
/// when one does.
pub(super) fn signature_checked(
    spec: &SignatureSpec,
    partner: &Partner,
    body: &Value,
    checked: Result<(), ApiError>,
) -> Result<(), ApiError> {
    signature_checked_as(|| signing::canonical_data_json(spec, body), spec, partner, body, checked)
}

/// [`signature_checked`] for a signature whose signed string is not one field list's
/// (API v1.1's readings): `data` is the string to show and keep; the hints are looked
/// for under `spec`.
pub(super) fn signature_checked_as(
    data: impl FnOnce() -> String,
    spec: &SignatureSpec,
    partner: &Partner,
    body: &Value,
    checked: Result<(), ApiError>,
) -> Result<(), ApiError> {
    let Ok(scope) = SCOPE.try_with(Arc::clone) else { return checked };
    let data = data();
    *scope.check.lock().unwrap_or_else(PoisonError::into_inner) = Some((data, checked.is_err()));
    checked.map_err(|mut e| {
        if e.code == ErrorCode::INVALID_SIGNATURE {
            let sent = body.get("signature").and_then(Value::as_str).unwrap_or("");
            let secrets: Vec<&SecretKey> = partner.accepted().map(|k| &k.secret).collect();
            let keys = signature_debug::key_order(&scope.body);
            if let Some(m) = signature_debug::diagnose(spec, body, &keys, sent, &secrets) {
                let first = e.detail.take().unwrap_or_else(|| "bad signature".into());
                e.detail = Some(format!("{first}; hint: {}", m.hint()));
            }
        }
        e
    })
}

/// The signed request of each signing route: the same specs its handler verifies
/// with (`payments.rs`, `refunds.rs`). Used only for the type hint, which concerns
/// bodies refused before their signature is checked.
fn signed_request(method: &Method, path: &str) -> Option<&'static SignatureSpec> {
    if method != Method::POST {
        return None;
    }
    match path {
        "/api/v1/orders/payment/bank" => Some(&signing::BANK_PAYMENT_REQUEST),
        "/api/v1/orders/payment/qr" => Some(&signing::QR_PAYMENT_REQUEST),
        "/api/v1/orders/transaction/bank/status" => Some(&signing::STATUS_REQUEST),
        "/api/v1/transaction/refund" => Some(&signing::REFUND_REQUEST),
        _ => None,
    }
}

/// The middleware (see the module documentation).
pub async fn layer(State(gw): State<Arc<Gateway>>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let at_ms = now_ms();
    let (parts, body) = req.into_parts();
    // A body over the cap, or one that fails to arrive, goes on as it came: the
    // handler's own answer (401 first, 413, 408) stays what it is without the kit.
    let (body, passed_on) = match buffer(body).await {
        Ok(bytes) => (bytes, None),
        Err(unread) => (Bytes::new(), Some(unread)),
    };
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let request_id = parts.headers.get(&X_REQUEST_ID).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let scope = Arc::new(Scope { body: body.clone(), check: Mutex::new(None), partner: Mutex::new(None) });
    let unread = passed_on.is_some();
    let downstream = passed_on.unwrap_or_else(|| Body::from(body.clone()));
    let resp = SCOPE.scope(scope.clone(), next.run(Request::from_parts(parts, downstream))).await;
    let keep_log = gw.config().sandbox_request_log;
    if !keep_log && matches!(&*scope.check.lock().unwrap_or_else(PoisonError::into_inner), Some((_, false))) {
        // A signature that verified, and nothing to record: no header to add.
        return resp;
    }
    let (mut rparts, rbody) = resp.into_parts();
    let rbytes = match axum::body::to_bytes(rbody, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "reading an answer for the request log failed");
            return ApiError::internal().into_response();
        }
    };
    let check = scope.check.lock().unwrap_or_else(PoisonError::into_inner).take();
    let partner = scope.partner.lock().unwrap_or_else(PoisonError::into_inner).take();
    let error_code = serde_json::from_slice::<Value>(&rbytes).ok().and_then(|v| v.get("errorCode")?.as_i64());
    match (&check, error_code) {
        (Some((data, true)), Some(2)) => {
            let encoded = headers::encode_signature_data(data);
            if let Ok(v) = HeaderValue::from_str(&encoded) {
                rparts.headers.insert(headers::EXPECTED_SIGNATURE_DATA, v);
            }
        }
        (None, Some(1)) => {
            if let (Some(spec), Some(p)) = (signed_request(&method, &path), &partner) {
                type_hint(spec, p, &body, &mut rparts.headers);
            }
        }
        _ => {}
    }
    if !keep_log {
        return Response::from_parts(rparts, Body::from(rbytes));
    }
    let entry = RequestEntry {
        id: 0,
        partner_code: partner.as_ref().map(|p| p.code.clone()).unwrap_or_default(),
        at_ms,
        method: method.to_string(),
        path,
        query: query.map(|q| request_log::redact_credentials(&request_log::mask_card_numbers(&q))),
        status: rparts.status.as_u16(),
        error_code,
        latency_us: i64::try_from(start.elapsed().as_micros()).unwrap_or(i64::MAX),
        // A body that was not read whole is not kept.
        request_body: if unread { request_log::CUT_MARK.to_owned() } else { request_log::keepable(&body) },
        response_body: request_log::keepable(&rbytes),
        signature_data: check.map(|(data, _)| request_log::mask_card_numbers(&data)),
        request_id,
    };
    record(gw, entry);
    Response::from_parts(rparts, Body::from(rbytes))
}

/// The whole body, if it arrives within [`BODY_LIMIT`]; otherwise a body that
/// yields again what was read, then the rest (or the error that stopped it).
async fn buffer(body: Body) -> Result<Bytes, Body> {
    let mut rest = body.into_data_stream();
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0;
    while let Some(item) = rest.next().await {
        let failed = match item {
            Ok(chunk) => {
                total += chunk.len();
                chunks.push(chunk);
                if total <= BODY_LIMIT {
                    continue;
                }
                None
            }
            Err(e) => Some(e),
        };
        let read = futures_util::stream::iter(chunks.into_iter().map(Ok).chain(failed.map(Err)));
        return Err(Body::from_stream(read.chain(rest)));
    }
    Ok(chunks.concat().into())
}

/// Adds the type hint to an errorCode 1 answer's `X-Error-Detail`, when the body's
/// signature is right but a signed field has the wrong JSON type.
fn type_hint(spec: &SignatureSpec, partner: &Partner, body: &[u8], h: &mut HeaderMap) {
    let Ok(value) = serde_json::from_slice::<Value>(body) else { return };
    let secrets: Vec<&SecretKey> = partner.accepted().map(|k| &k.secret).collect();
    let Some(m) = signature_debug::wrong_types(spec, &value, &secrets) else { return };
    let first = h.get(headers::ERROR_DETAIL).and_then(|v| v.to_str().ok()).unwrap_or("invalid parameters");
    if let Ok(v) = HeaderValue::from_str(&format!("{first}; hint: {}", m.hint())) {
        h.insert(headers::ERROR_DETAIL, v);
    }
}

/// Queues an entry for the request log (see the module documentation).
fn record(gw: Arc<Gateway>, entry: RequestEntry) {
    if let Err(entry) = gw.log_request(entry) {
        tracing::warn!(path = %entry.path, "request log: too many entries pending, one was dropped");
    }
}
