//! The admin API of the console's actions, under `/admin/api/v1/…`: every order,
//! an order's whole story, resending and redriving IPNs, operators' refunds and
//! (sandbox) settlements, partners, the audit log and the admin tokens.
//!
//! `Authorization: Bearer <admin token>`: a token made by `admin token create`, or
//! the configured `admin_token` (an operator). A viewer's token reads; acting needs
//! an operator's (403 otherwise). Without a valid token: 401. Each action is the same
//! core call the console's forms make, which writes the audit log.
//!
//! Errors are `{"error": "..."}` with 400 (bad input), 401, 403, 404 (unknown
//! order, delivery or partner), 409 (refused in the order's state: the refund's or
//! settlement's errorCode is given as `errorCode`).

use super::admin_json::*;
use crate::core::Gateway;
use crate::core::console::{DELIVERY_GROUPS, GROUP_ITEMS, Refused};
use crate::domain::console::{self, Admin, OrderFilters, Role};
use appotapay_protocol::ErrorCode;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The largest page of a list.
pub use console::MAX_PAGE;

pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

pub(crate) fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "admin API: core operation failed");
    error(StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable")
}

/// Who the bearer of the request's admin token is; the refusal (401) otherwise.
pub async fn admin(gw: &Gateway, headers: &HeaderMap) -> Result<Admin, Response> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .trim();
    match gw.admin_by_token(given).await {
        Ok(Some(a)) => Ok(a),
        Ok(None) => Err((
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            Json(json!({"error": "unauthorized: an admin token is needed (appotapay-gateway admin token create)"})),
        )
            .into_response()),
        Err(e) => Err(internal(e)),
    }
}

/// An operator's token, or the refusal (401, or 403 for a viewer).
pub async fn operator(gw: &Gateway, headers: &HeaderMap) -> Result<Admin, Response> {
    let a = admin(gw, headers).await?;
    if a.role.may_act() { Ok(a) } else { Err(error(StatusCode::FORBIDDEN, &Refused::NotOperator.message())) }
}

/// The answer to a refused action.
pub fn refused(r: &Refused) -> Response {
    let status = match r {
        Refused::NotOperator => StatusCode::FORBIDDEN,
        Refused::NotFound => StatusCode::NOT_FOUND,
        Refused::NotSandbox => StatusCode::NOT_FOUND,
        Refused::NoIpn | Refused::InFlight | Refused::Code(..) => StatusCode::CONFLICT,
    };
    let mut body = json!({ "error": r.message() });
    if let Refused::Code(code, _) = r {
        body["errorCode"] = json!(code.0);
    }
    (status, Json(body)).into_response()
}

/// `GET /admin/api/v1/orders?partner&state&method&orderId&appotapayTransId&fromMs&toMs&offset&limit`.
#[utoipa::path(
    get,
    path = "/admin/api/v1/orders",
    operation_id = "adminListOrders",
    tag = "admin",
    summary = "Every partner's orders, newest first",
    params(crate::api::openapi::schemas::AdminOrderQuery),
    responses((status = 200, description = "A page", body = crate::api::openapi::schemas::AdminOrderList), (status = 400, description = "A bad filter", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn list_orders(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    q: Result<Query<OrderFilters>, QueryRejection>,
) -> Response {
    or_answer!(admin(&gw, &headers).await);
    let Ok(Query(q)) = q else { return error(StatusCode::BAD_REQUEST, "bad query") };
    let query = match q.query() {
        Ok(query) => query,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    match gw.search_orders(&query).await {
        Ok((total, orders)) => Json(json!({
            "total": total,
            "offset": query.offset,
            "limit": query.limit,
            "orders": orders.iter().map(order_json).collect::<Vec<_>>(),
        }))
        .into_response(),
        Err(e) => internal(e),
    }
}

/// `GET /admin/api/v1/orders/{appotapayTransId}`: every field, the timeline, the
/// signed redirect URL, every IPN with every attempt, the refunds.
#[utoipa::path(
    get,
    path = "/admin/api/v1/orders/{trans_id}",
    operation_id = "adminGetOrder",
    tag = "admin",
    summary = "An order's whole story",
    params(("trans_id" = String, Path, description = "The order's appotapayTransId")),
    responses((status = 200, description = "The order, timeline, links, IPNs and refunds", body = crate::api::openapi::schemas::AdminOrderStory), (status = 400, description = "A bad path", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 404, description = "No such order", body = crate::api::openapi::schemas::AdminError), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn get_order(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    or_answer!(admin(&gw, &headers).await);
    let Ok(Path(id)) = id else { return error(StatusCode::BAD_REQUEST, "bad path") };
    match gw.order_story(&id).await {
        Ok(Some(s)) => Json(json!({
            "order": order_json(&s.order),
            "paymentUrl": s.payment_url,
            "redirectUrl": s.redirect_url,
            "timeline": s.timeline.iter().map(|t| json!({"atMs": t.at_ms, "kind": t.kind, "what": t.what})).collect::<Vec<_>>(),
            "deliveries": s.deliveries.iter().map(delivery_json).collect::<Vec<_>>(),
            "refunds": s.refunds.iter().map(super::admin::refund_json).collect::<Vec<_>>(),
        }))
        .into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "no such order"),
        Err(e) => internal(e),
    }
}

/// `POST /admin/api/v1/orders/{appotapayTransId}/resend-ipn`: a new attempt of the
/// order's latest IPN, now.
#[utoipa::path(
    post,
    path = "/admin/api/v1/orders/{trans_id}/resend-ipn",
    operation_id = "adminResendIpn",
    tag = "admin",
    summary = "Send the order's latest IPN again now",
    params(("trans_id" = String, Path, description = "The order's appotapayTransId")),
    responses((status = 202, description = "Queued", body = crate::api::openapi::schemas::Resent), (status = 400, description = "A bad path", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 403, description = "A viewer's token: acting needs an operator's", body = crate::api::openapi::schemas::AdminError), (status = 404, description = "No such order", body = crate::api::openapi::schemas::AdminError), (status = 409, description = "No IPN was queued for it, or an attempt is in flight", body = crate::api::openapi::schemas::AdminConflict), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn resend_ipn(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let who = or_answer!(operator(&gw, &headers).await);
    let Ok(Path(id)) = id else { return error(StatusCode::BAD_REQUEST, "bad path") };
    match gw.resend_ipn(&who, &id).await {
        Ok(Ok(outbox_id)) => {
            (StatusCode::ACCEPTED, Json(json!({ "queued": true, "outboxId": outbox_id }))).into_response()
        }
        Ok(Err(r)) => refused(&r),
        Err(e) => internal(e),
    }
}

/// A JSON object body, or the 400 to answer.
pub(crate) fn object(body: Result<Bytes, BytesRejection>) -> Result<serde_json::Map<String, Value>, &'static str> {
    let Ok(body) = body else { return Err("unreadable body") };
    if body.is_empty() {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err("the body must be a JSON object"),
    }
}

/// `POST /admin/api/v1/orders/{appotapayTransId}/refund` `{"amount": N, "reason": "…",
/// "key": "…"}`: a full (the amount left) or partial refund. The same `key` again
/// answers the same refund (a retry refunds nothing more).
#[utoipa::path(
    post,
    path = "/admin/api/v1/orders/{trans_id}/refund",
    operation_id = "adminRefund",
    tag = "admin",
    summary = "Refund all or part of an order",
    params(("trans_id" = String, Path, description = "The order's appotapayTransId")),
    request_body = crate::api::openapi::schemas::AdminRefundRequest,
    responses((status = 201, description = "The refund", body = crate::api::openapi::schemas::AdminRefund), (status = 400, description = "A bad body", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 403, description = "A viewer's token: acting needs an operator's", body = crate::api::openapi::schemas::AdminError), (status = 404, description = "No such order", body = crate::api::openapi::schemas::AdminError), (status = 409, description = "Refused (errorCode)", body = crate::api::openapi::schemas::AdminConflict), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn refund(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let who = or_answer!(operator(&gw, &headers).await);
    let Ok(Path(id)) = id else { return error(StatusCode::BAD_REQUEST, "bad path") };
    let body = or_answer!(object(body).map_err(|why| error(StatusCode::BAD_REQUEST, why)));
    let Some(amount) = body.get("amount").and_then(Value::as_i64).filter(|a| *a > 0) else {
        return error(StatusCode::BAD_REQUEST, "amount: a positive integer of VND");
    };
    let reason = match body.get("reason") {
        None | Some(Value::Null) => "",
        Some(Value::String(s)) if s.chars().count() <= 255 => s.as_str(),
        _ => return error(StatusCode::BAD_REQUEST, "reason: text of at most 255 characters"),
    };
    let key = match body.get("key") {
        None | Some(Value::Null) => None,
        Some(Value::String(k)) if crate::core::console::valid_refund_key(k) => Some(k.as_str()),
        _ => return error(StatusCode::BAD_REQUEST, "key: 1 to 32 of A-Z a-z 0-9 _ -"),
    };
    match gw.operator_refund(&who, &id, amount, reason, key).await {
        Ok(Ok(r)) => (StatusCode::CREATED, Json(super::admin::refund_json(&r))).into_response(),
        Ok(Err(r)) => refused(&r),
        Err(e) => internal(e),
    }
}

/// `POST /admin/api/v1/orders/{appotapayTransId}/settle` `{"errorCode": N}` (sandbox
/// only): settles as the simulated bank with 0, 38, 77 or a decline code.
#[utoipa::path(
    post,
    path = "/admin/api/v1/orders/{trans_id}/settle",
    operation_id = "adminSettle",
    tag = "admin",
    summary = "Settle as the simulated bank (sandbox)",
    params(("trans_id" = String, Path, description = "The order's appotapayTransId")),
    request_body = crate::api::openapi::schemas::SettleRequest,
    responses((status = 200, description = "The order as settled", body = crate::api::openapi::schemas::AdminOrder), (status = 400, description = "A bad body", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 403, description = "A viewer's token: acting needs an operator's", body = crate::api::openapi::schemas::AdminError), (status = 404, description = "No such order, or not a sandbox", body = crate::api::openapi::schemas::AdminError), (status = 409, description = "Refused (errorCode)", body = crate::api::openapi::schemas::AdminConflict), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn settle(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let who = or_answer!(operator(&gw, &headers).await);
    let Ok(Path(id)) = id else { return error(StatusCode::BAD_REQUEST, "bad path") };
    let body = or_answer!(object(body).map_err(|why| error(StatusCode::BAD_REQUEST, why)));
    let Some(code) = body.get("errorCode").and_then(Value::as_u64).and_then(|c| u32::try_from(c).ok()) else {
        return error(StatusCode::BAD_REQUEST, "errorCode: 0, 38, 77 or a decline code");
    };
    match gw.operator_settle(&who, &id, ErrorCode(code)).await {
        Ok(Ok(o)) => Json(order_json(&o)).into_response(),
        Ok(Err(r)) => refused(&r),
        Err(e) => internal(e),
    }
}

/// Query of `GET /admin/api/v1/deliveries`.
#[derive(Debug, Default, Deserialize)]
pub struct DeliveriesQuery {
    /// One partner's.
    pub partner: Option<String>,
}

/// `GET /admin/api/v1/deliveries?partner=C`: the failing and given-up IPNs, by
/// partner and notify URL (the newest 100 groups, each counted whole, with its newest
/// 50 IPNs), with `down` for a URL that has answered only failures for an hour or
/// more.
#[utoipa::path(
    get,
    path = "/admin/api/v1/deliveries",
    operation_id = "adminDeliveries",
    tag = "admin",
    summary = "Failing and given-up IPNs by partner and URL",
    params(crate::api::openapi::schemas::DeliveriesQuery),
    responses((status = 200, description = "The groups", body = crate::api::openapi::schemas::DeliveryGroups), (status = 400, description = "A bad query", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn deliveries(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    q: Result<Query<DeliveriesQuery>, QueryRejection>,
) -> Response {
    or_answer!(admin(&gw, &headers).await);
    let Ok(Query(q)) = q else { return error(StatusCode::BAD_REQUEST, "bad query") };
    let partner = console::filled(&q.partner);
    match gw.delivery_groups(partner.as_deref(), DELIVERY_GROUPS, GROUP_ITEMS).await {
        Ok(groups) => Json(json!({ "groups": groups.iter().map(group_json).collect::<Vec<_>>() })).into_response(),
        Err(e) => internal(e),
    }
}

/// `POST /admin/api/v1/deliveries/{outboxId}/redrive`: sends one IPN again now.
#[utoipa::path(
    post,
    path = "/admin/api/v1/deliveries/{outbox_id}/redrive",
    operation_id = "adminRedriveOne",
    tag = "admin",
    summary = "Send one IPN again now",
    params(("outbox_id" = i64, Path, description = "The IPN's outbox id")),
    responses((status = 202, description = "Queued", body = crate::api::openapi::schemas::RedrivenOne), (status = 400, description = "A bad id", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 403, description = "A viewer's token: acting needs an operator's", body = crate::api::openapi::schemas::AdminError), (status = 404, description = "No such IPN", body = crate::api::openapi::schemas::AdminError), (status = 409, description = "An attempt is in flight", body = crate::api::openapi::schemas::AdminConflict), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn redrive_one(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
) -> Response {
    let who = or_answer!(operator(&gw, &headers).await);
    let Ok(Path(id)) = id else { return error(StatusCode::BAD_REQUEST, "outboxId: an integer") };
    match gw.redrive_one(&who, id).await {
        Ok(Ok(row)) => {
            (StatusCode::ACCEPTED, Json(json!({ "queued": 1, "delivery": failing_json(&row) }))).into_response()
        }
        Ok(Err(r)) => refused(&r),
        Err(e) => internal(e),
    }
}

/// `POST /admin/api/v1/deliveries/redrive` `{"partnerCode": C, "url": U?}`: sends
/// again now every failing IPN of a partner, or of one of its URLs.
#[utoipa::path(
    post,
    path = "/admin/api/v1/deliveries/redrive",
    operation_id = "adminRedrive",
    tag = "admin",
    summary = "Send again every failing IPN of a partner (of one URL)",
    request_body = crate::api::openapi::schemas::RedriveRequest,
    responses((status = 202, description = "How many were queued", body = crate::api::openapi::schemas::Redriven), (status = 400, description = "A bad body", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 403, description = "A viewer's token: acting needs an operator's", body = crate::api::openapi::schemas::AdminError), (status = 404, description = "No such partner", body = crate::api::openapi::schemas::AdminError), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn redrive(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let who = or_answer!(operator(&gw, &headers).await);
    let body = or_answer!(object(body).map_err(|why| error(StatusCode::BAD_REQUEST, why)));
    let Some(partner) = body.get("partnerCode").and_then(Value::as_str).filter(|p| !p.is_empty()) else {
        return error(StatusCode::BAD_REQUEST, "partnerCode: required");
    };
    let url = match body.get("url") {
        None | Some(Value::Null) => None,
        Some(Value::String(u)) if !u.is_empty() => Some(u.as_str()),
        _ => return error(StatusCode::BAD_REQUEST, "url: a notify URL"),
    };
    match gw.redrive(&who, partner, url).await {
        Ok(Ok(n)) => (StatusCode::ACCEPTED, Json(json!({ "queued": n }))).into_response(),
        Ok(Err(r)) => refused(&r),
        Err(e) => internal(e),
    }
}

/// Query of `GET /admin/api/v1/audit`.
#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    /// Entries below this id (the next page).
    #[serde(rename = "beforeId")]
    pub before_id: Option<i64>,
    /// Only about this target (an appotapayTransId, a partner code…).
    pub target: Option<String>,
    /// Page size (1 to [`MAX_PAGE`], default 50).
    pub limit: Option<u32>,
}

/// `GET /admin/api/v1/audit?beforeId&target&limit`: who did what, newest first.
#[utoipa::path(
    get,
    path = "/admin/api/v1/audit",
    operation_id = "adminAudit",
    tag = "admin",
    summary = "The audit log, newest first",
    params(crate::api::openapi::schemas::AuditQuery),
    responses((status = 200, description = "Entries", body = crate::api::openapi::schemas::AuditLog), (status = 400, description = "A bad query", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn audit(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> Response {
    or_answer!(admin(&gw, &headers).await);
    let Ok(Query(q)) = q else { return error(StatusCode::BAD_REQUEST, "bad query") };
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return error(StatusCode::BAD_REQUEST, "limit: 1 to 200");
    }
    match gw.audit_log(q.before_id, console::filled(&q.target).as_deref(), limit).await {
        Ok(list) => Json(json!({ "entries": list.iter().map(audit_json).collect::<Vec<_>>() })).into_response(),
        Err(e) => internal(e),
    }
}

/// `GET /admin/api/v1/tokens`: the admin tokens (ids, names, roles; never a token).
#[utoipa::path(
    get,
    path = "/admin/api/v1/tokens",
    operation_id = "adminTokens",
    tag = "admin",
    summary = "The admin tokens (operators)",
    responses((status = 200, description = "Ids, names, roles", body = crate::api::openapi::schemas::AdminTokens), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 403, description = "A viewer's token: acting needs an operator's", body = crate::api::openapi::schemas::AdminError), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn tokens(State(gw): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    or_answer!(operator(&gw, &headers).await);
    match gw.admin_tokens().await {
        Ok(list) => Json(json!({ "tokens": list.iter().map(token_json).collect::<Vec<_>>() })).into_response(),
        Err(e) => internal(e),
    }
}

/// `POST /admin/api/v1/tokens/{id}/revoke`.
#[utoipa::path(
    post,
    path = "/admin/api/v1/tokens/{id}/revoke",
    operation_id = "adminRevokeToken",
    tag = "admin",
    summary = "Revoke an admin token",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 200, description = "Revoked", body = crate::api::openapi::schemas::Revoked), (status = 400, description = "A bad path", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 403, description = "A viewer's token: acting needs an operator's", body = crate::api::openapi::schemas::AdminError), (status = 404, description = "No such live token", body = crate::api::openapi::schemas::AdminError), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn revoke_token(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let who = or_answer!(operator(&gw, &headers).await);
    let Ok(Path(id)) = id else { return error(StatusCode::BAD_REQUEST, "bad path") };
    match gw.revoke_admin_token(&who, &id).await {
        Ok(Ok(())) => Json(json!({ "revoked": id })).into_response(),
        Ok(Err(Refused::NotFound)) => error(StatusCode::NOT_FOUND, "no such live token"),
        Ok(Err(r)) => refused(&r),
        Err(e) => internal(e),
    }
}

/// `GET /admin/api/v1/whoami`: the bearer's id, name and role.
#[utoipa::path(
    get,
    path = "/admin/api/v1/whoami",
    operation_id = "adminWhoAmI",
    tag = "admin",
    summary = "Who the bearer is",
    responses((status = 200, description = "The token's id, name and role", body = crate::api::openapi::schemas::WhoAmI), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn whoami(State(gw): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    match admin(&gw, &headers).await {
        Ok(a) => Json(json!({ "id": a.id, "name": a.name, "role": a.role.as_str() })).into_response(),
        Err(r) => r,
    }
}

/// The role names, for messages.
pub fn role_names() -> String {
    Role::ALL.map(Role::as_str).join(", ")
}
