//! The operator's API under `/admin/api/v1/…`: bank credits that paid nothing, and
//! refunds paid back by hand.
//!
//! Behind `Authorization: Bearer <admin token>` (see [`super::admin_console`]):
//! any admin token reads, acting needs an operator's; 401 without a valid one. The
//! same operations exist on the command line (`partner credits list`,
//! `credits resolve`, `refund mark`), on the same core calls.

use crate::core::{ByHand, CreditQuery, Gateway};
use crate::domain::credit::{Credit, CreditStatus};
use crate::domain::records::Refund;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// `None` when the request may go on (any admin token; an operator's when `act`);
/// the refusal otherwise. (Actions use [`super::admin_console::operator`] to know
/// who acts, for the audit log.)
async fn refused(gw: &Gateway, headers: &HeaderMap, act: bool) -> Option<Response> {
    let who = if act {
        super::admin_console::operator(gw, headers).await
    } else {
        super::admin_console::admin(gw, headers).await
    };
    who.err()
}

/// A credit as the admin API and the command line show it.
pub fn credit_json(c: &Credit) -> Value {
    json!({
        "id": c.id,
        "partnerCode": c.new.partner_code,
        "provider": c.new.provider.as_str(),
        "providerTransactionId": c.new.provider_tx_id,
        "via": c.new.via.as_str(),
        "account": c.new.account,
        "direction": if c.new.incoming { "in" } else { "out" },
        "amount": c.new.amount,
        "content": c.new.content,
        "description": c.new.description,
        "reference": c.new.reference,
        "bookedAt": c.new.booked_at,
        "status": c.status.as_str(),
        "reason": c.reason,
        "appotapayTransId": c.trans_id,
        "note": c.note,
        "receivedAtMs": c.new.received_at_ms,
        "decidedAtMs": c.decided_at_ms,
        "resolvedAtMs": c.resolved_at_ms,
        "raw": c.new.raw,
    })
}

/// A refund as the admin API shows it.
pub fn refund_json(r: &Refund) -> Value {
    json!({
        "refundId": r.refund_id,
        "partnerCode": r.partner_code,
        "partnerRefundId": r.refund_original_id,
        "appotapayTransId": r.trans_id,
        "amount": r.amount,
        "status": r.status.as_str(),
        "updatedAtMs": r.updated_at_ms,
    })
}

/// Query of `GET /admin/api/v1/credits`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    partner: Option<String>,
    status: Option<String>,
    #[serde(default)]
    offset: u64,
    limit: Option<u32>,
}

/// `GET /admin/api/v1/credits?partner=C&status=open&offset=0&limit=50`.
#[utoipa::path(
    get,
    path = "/admin/api/v1/credits",
    operation_id = "adminListCredits",
    tag = "admin",
    summary = "Bank credits, filtered",
    params(crate::api::openapi::schemas::CreditListQuery),
    responses((status = 200, description = "The credits", body = crate::api::openapi::schemas::CreditList), (status = 400, description = "Bad query, status or limit", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "Wrong or missing bearer token", body = crate::api::openapi::schemas::AdminError), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn list_credits(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> Response {
    if let Some(r) = refused(&gw, &headers, false).await {
        return r;
    }
    let Ok(Query(q)) = q else { return error(StatusCode::BAD_REQUEST, "bad query") };
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => match CreditStatus::parse(s) {
            Some(st) => Some(st),
            None => return error(StatusCode::BAD_REQUEST, "status: unknown credit status"),
        },
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return error(StatusCode::BAD_REQUEST, "limit: 1 to 500");
    }
    let partner = q.partner.as_deref().filter(|p| !p.is_empty());
    let query = CreditQuery { partner_code: partner, status, offset: q.offset, limit };
    match gw.credits(&query).await {
        Ok(list) => Json(json!({ "credits": list.iter().map(credit_json).collect::<Vec<_>>() })).into_response(),
        Err(e) => internal(e),
    }
}

/// `GET /admin/api/v1/credits/{id}`.
#[utoipa::path(
    get,
    path = "/admin/api/v1/credits/{id}",
    operation_id = "adminGetCredit",
    tag = "admin",
    summary = "A bank credit",
    params(("id" = i64, Path, description = "The credit's id")),
    responses((status = 200, description = "The credit", body = crate::api::openapi::schemas::Credit), (status = 401, description = "Wrong or missing bearer token", body = crate::api::openapi::schemas::AdminError), (status = 404, description = "No such credit", body = crate::api::openapi::schemas::AdminError), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn get_credit(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    if let Some(r) = refused(&gw, &headers, false).await {
        return r;
    }
    let Ok(Path(id)) = id else { return error(StatusCode::NOT_FOUND, "no such credit") };
    match gw.credit(id).await {
        Ok(Some(c)) => Json(credit_json(&c)).into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "no such credit"),
        Err(e) => internal(e),
    }
}

/// The body of `POST /admin/api/v1/credits/{id}/resolve`.
#[derive(Debug, Deserialize)]
struct ResolveBody {
    note: String,
}

/// `POST /admin/api/v1/credits/{id}/resolve` with `{"note": "…"}`: marks an open
/// credit as handled (no money moves).
#[utoipa::path(
    post,
    path = "/admin/api/v1/credits/{id}/resolve",
    operation_id = "adminResolveCredit",
    tag = "admin",
    summary = "Mark an open credit as handled (no money moves)",
    params(("id" = i64, Path, description = "The credit's id")),
    request_body = crate::api::openapi::schemas::ResolveRequest,
    responses((status = 200, description = "The credit, resolved", body = crate::api::openapi::schemas::Credit), (status = 400, description = "Bad note", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "Wrong or missing bearer token", body = crate::api::openapi::schemas::AdminError), (status = 403, description = "A viewer's token: acting needs an operator's", body = crate::api::openapi::schemas::AdminError), (status = 404, description = "No such credit", body = crate::api::openapi::schemas::AdminError), (status = 409, description = "The credit is not open", body = crate::api::openapi::schemas::AdminError), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn resolve_credit(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let who = match super::admin_console::operator(&gw, &headers).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let Ok(Path(id)) = id else { return error(StatusCode::NOT_FOUND, "no such credit") };
    let note = match body.ok().and_then(|b| serde_json::from_slice::<ResolveBody>(&b).ok()) {
        Some(b) if valid_note(&b.note) => b.note,
        _ => return error(StatusCode::BAD_REQUEST, "expected {\"note\": \"1 to 1000 characters\"}"),
    };
    match gw.resolve_credit(id, note.trim()).await {
        Ok(Some(true)) => match gw.audit(&who, "credit.resolve", &id.to_string(), json!({ "note": note.trim() })).await
        {
            Err(e) => internal(e),
            Ok(()) => match gw.credit(id).await {
                Ok(Some(c)) => Json(credit_json(&c)).into_response(),
                Ok(None) => error(StatusCode::NOT_FOUND, "no such credit"),
                Err(e) => internal(e),
            },
        },
        Ok(Some(false)) => error(StatusCode::CONFLICT, "the credit is not open"),
        Ok(None) => error(StatusCode::NOT_FOUND, "no such credit"),
        Err(e) => internal(e),
    }
}

/// Whether an operator's note is acceptable: 1 to 1000 characters, no control
/// characters but newlines.
pub fn valid_note(note: &str) -> bool {
    let n = note.trim();
    !n.is_empty() && n.chars().count() <= 1000 && !n.chars().any(|c| c.is_control() && c != '\n')
}

/// The body of `POST /admin/api/v1/refunds/{refundId}/by-hand`.
#[derive(Debug, Deserialize)]
struct ByHandBody {
    status: String,
}

/// `POST /admin/api/v1/refunds/{refundId}/by-hand` with `{"status":"success"|"error"}`:
/// records the outcome of a refund the merchant paid back by hand.
#[utoipa::path(
    post,
    path = "/admin/api/v1/refunds/{refund_id}/by-hand",
    operation_id = "adminRefundByHand",
    tag = "admin",
    summary = "Record the outcome of a refund paid back by hand",
    params(("refund_id" = String, Path, description = "The gateway's refundId")),
    request_body = crate::api::openapi::schemas::ByHandRequest,
    responses((status = 200, description = "The refund", body = crate::api::openapi::schemas::AdminRefund), (status = 400, description = "Bad status", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "Wrong or missing bearer token", body = crate::api::openapi::schemas::AdminError), (status = 403, description = "A viewer's token: acting needs an operator's", body = crate::api::openapi::schemas::AdminError), (status = 404, description = "No such refund", body = crate::api::openapi::schemas::AdminError), (status = 409, description = "The refund is not waiting to be paid by hand", body = crate::api::openapi::schemas::ByHandConflict), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn refund_by_hand(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let who = match super::admin_console::operator(&gw, &headers).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let Ok(Path(id)) = id else { return error(StatusCode::NOT_FOUND, "no such refund") };
    let paid = match body.ok().and_then(|b| serde_json::from_slice::<ByHandBody>(&b).ok()).map(|b| b.status) {
        Some(s) if s == "success" => true,
        Some(s) if s == "error" => false,
        _ => return error(StatusCode::BAD_REQUEST, "expected {\"status\": \"success\" | \"error\"}"),
    };
    match gw.finish_refund_by_hand(&id, paid).await {
        Ok(ByHand::Done(r)) => match gw.audit(&who, "refund.by_hand", &id, json!({ "paid": paid })).await {
            Ok(()) => Json(refund_json(&r)).into_response(),
            Err(e) => internal(e),
        },
        Ok(ByHand::Unknown) => error(StatusCode::NOT_FOUND, "no such refund"),
        Ok(ByHand::NotByHand(r)) => (
            StatusCode::CONFLICT,
            Json(json!({ "error": "the refund is not waiting to be paid by hand", "refund": refund_json(&r) })),
        )
            .into_response(),
        Err(e) => internal(e),
    }
}

fn internal(e: crate::core::CoreError) -> Response {
    tracing::error!(error = %e, "admin API failed");
    error(StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable")
}
