//! The admin API of partners, under `/admin/api/v1/partners…`: list, one with its
//! sub-accounts, create (the secret shown once), and the operator's actions on one
//! (lock, unlock, notify-failures, sub-accounts, key rotation). Authorisation and
//! errors as in [`super::admin_console`].

use super::admin_console::{admin, error, internal, object, operator, refused};
use super::admin_json::{partner_json, sub_json};
use crate::core::Gateway;
use crate::core::console::Refused;
use crate::domain::console;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

/// `GET /admin/api/v1/partners`.
#[utoipa::path(
    get,
    path = "/admin/api/v1/partners",
    operation_id = "adminPartners",
    tag = "admin",
    summary = "Every partner",
    responses((status = 200, description = "By code", body = crate::api::openapi::schemas::AdminPartners), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn partners(State(gw): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    or_answer!(admin(&gw, &headers).await);
    match gw.partners().await {
        Ok(list) => Json(json!({ "partners": list.iter().map(partner_json).collect::<Vec<_>>() })).into_response(),
        Err(e) => internal(e),
    }
}

/// `GET /admin/api/v1/partners/{code}`: with its sub-accounts.
#[utoipa::path(
    get,
    path = "/admin/api/v1/partners/{code}",
    operation_id = "adminPartner",
    tag = "admin",
    summary = "A partner with its sub-accounts",
    params(("code" = String, Path, description = "The partner code")),
    responses((status = 200, description = "The partner", body = crate::api::openapi::schemas::AdminPartner), (status = 400, description = "A bad path", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 404, description = "No such partner", body = crate::api::openapi::schemas::AdminError), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn partner(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    code: Result<Path<String>, PathRejection>,
) -> Response {
    or_answer!(admin(&gw, &headers).await);
    let Ok(Path(code)) = code else { return error(StatusCode::BAD_REQUEST, "bad path") };
    let list = match gw.partners().await {
        Ok(l) => l,
        Err(e) => return internal(e),
    };
    let Some(p) = list.iter().find(|p| p.code == code) else { return error(StatusCode::NOT_FOUND, "no such partner") };
    match gw.sub_accounts(&code).await {
        Ok(subs) => {
            let mut v = partner_json(p);
            v["subAccounts"] = json!(subs.iter().map(sub_json).collect::<Vec<_>>());
            Json(v).into_response()
        }
        Err(e) => internal(e),
    }
}

/// `POST /admin/api/v1/partners` `{"partnerCode", "name", "notifyFailures"?}`: the
/// new partner's API key and secret, shown once.
#[utoipa::path(
    post,
    path = "/admin/api/v1/partners",
    operation_id = "adminCreatePartner",
    tag = "admin",
    summary = "Create a partner (its secret shown once)",
    request_body = crate::api::openapi::schemas::NewPartnerRequest,
    responses((status = 201, description = "Its credentials", body = crate::api::openapi::schemas::PartnerCredentials), (status = 400, description = "A bad body", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 403, description = "A viewer's token: acting needs an operator's", body = crate::api::openapi::schemas::AdminError), (status = 409, description = "The code exists", body = crate::api::openapi::schemas::AdminError), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn create_partner(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let who = or_answer!(operator(&gw, &headers).await);
    let body = or_answer!(object(body).map_err(|why| error(StatusCode::BAD_REQUEST, why)));
    let code = body.get("partnerCode").and_then(Value::as_str).unwrap_or_default();
    if !console::valid_partner_code(code) {
        return error(StatusCode::BAD_REQUEST, &format!("partnerCode: {}", console::PARTNER_CODE_RULE));
    }
    let name = body.get("name").and_then(Value::as_str).map(str::trim).unwrap_or_default();
    if name.is_empty() || name.chars().count() > 200 {
        return error(StatusCode::BAD_REQUEST, "name: 1 to 200 characters");
    }
    let notify_failures = match body.get("notifyFailures") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        _ => return error(StatusCode::BAD_REQUEST, "notifyFailures: true or false"),
    };
    match gw.operator_create_partner(&who, code, name, notify_failures).await {
        Ok(Ok((api_key, secret))) => (
            StatusCode::CREATED,
            Json(json!({ "partnerCode": code, "name": name, "apiKey": api_key, "secretKey": secret })),
        )
            .into_response(),
        Ok(Err(Refused::Code(_, why))) => error(StatusCode::CONFLICT, &why),
        Ok(Err(r)) => refused(&r),
        Err(e) => internal(e),
    }
}

/// `POST /admin/api/v1/partners/{code}/{action}`: `lock`, `unlock`,
/// `notify-failures` (`{"on": bool}`), `sub-accounts` (`{"owner": bool}`), `rotate`
/// (`{"graceSeconds": N}`; the new keys shown once).
#[utoipa::path(
    post,
    path = "/admin/api/v1/partners/{code}/{action}",
    operation_id = "adminPartnerAction",
    tag = "admin",
    summary = "Lock, unlock, notify-failures, add a sub-account, rotate keys",
    params(("code" = String, Path, description = "The partner code"), ("action" = String, Path, description = "lock, unlock, notify-failures, sub-accounts or rotate")),
    request_body = crate::api::openapi::schemas::PartnerActionRequest,
    responses((status = 200, description = "What it did", body = crate::api::openapi::schemas::PartnerActionAnswer), (status = 400, description = "A bad body", body = crate::api::openapi::schemas::AdminError), (status = 401, description = "No valid admin token", body = crate::api::openapi::schemas::AdminError), (status = 403, description = "A viewer's token: acting needs an operator's", body = crate::api::openapi::schemas::AdminError), (status = 404, description = "No such partner or action", body = crate::api::openapi::schemas::AdminError), (status = 409, description = "Refused", body = crate::api::openapi::schemas::AdminConflict), (status = 503, description = "The database failed", body = crate::api::openapi::schemas::AdminError)),
    security(("adminBearer" = [])),
)]
pub async fn partner_action(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let who = or_answer!(operator(&gw, &headers).await);
    let Ok(Path((code, action))) = path else { return error(StatusCode::BAD_REQUEST, "bad path") };
    let body = or_answer!(object(body).map_err(|why| error(StatusCode::BAD_REQUEST, why)));
    let flag = |name: &str| match body.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        _ => Err(format!("{name}: true or false")),
    };
    let done = match action.as_str() {
        "lock" | "unlock" => gw.operator_lock(&who, &code, action == "lock").await.map(|r| r.map(|()| json!({}))),
        "notify-failures" => match flag("on") {
            Ok(on) => gw.operator_notify_failures(&who, &code, on).await.map(|r| r.map(|()| json!({ "on": on }))),
            Err(why) => return error(StatusCode::BAD_REQUEST, &why),
        },
        "sub-accounts" => match flag("owner") {
            Ok(owner) => gw.operator_sub_account(&who, &code, owner).await.map(|r| r.map(|s| sub_json(&s))),
            Err(why) => return error(StatusCode::BAD_REQUEST, &why),
        },
        "rotate" => {
            let grace = match body.get("graceSeconds") {
                None | Some(Value::Null) => 0,
                Some(v) => match v.as_u64().filter(|s| *s <= 30 * 86_400) {
                    Some(s) => s,
                    None => return error(StatusCode::BAD_REQUEST, "graceSeconds: 0 to 2592000"),
                },
            };
            gw.operator_rotate(&who, &code, std::time::Duration::from_secs(grace)).await.map(|r| {
                r.map(
                    |(api_key, secret, until)| json!({ "apiKey": api_key, "secretKey": secret, "graceUntilMs": until }),
                )
            })
        }
        _ => return error(StatusCode::NOT_FOUND, "no such action"),
    };
    match done {
        Ok(Ok(v)) => Json(v).into_response(),
        Ok(Err(r)) => refused(&r),
        Err(e) => internal(e),
    }
}
