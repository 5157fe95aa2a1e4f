//! API v1.1 (`/api/v1.1/...`): v1.0's authentication and signing family, with
//! saved-card tokens.
//!
//! - `POST /api/v1.1/orders/payment/bank`: v1.0's checks in v1.0's order, plus
//!   `action` (1 when unknown) and, for `PAY_WITH_TOKEN`, `token` (1 when missing,
//!   87 when unknown, deleted or another partner's) before the sub-account (90) and
//!   the order id's uniqueness (30). The signature is accepted under the configured
//!   readings (every one by default) and the one that matched is stored with the
//!   order. The answer is v1.0's, signed over `v11_response_signature`'s fields.
//! - `POST /api/v1.1/orders/transaction/bank/status`: about any order of the partner,
//!   whichever version created it; the nested `transaction`, signed over 14 fields.
//! - `GET /api/v1.1/orders/transactions`: the list, its query signed over the six
//!   documented parameters (absent ones empty) or over those present, sorted: both
//!   readings are accepted.
//! - `GET /api/v1.1/token/{orderId}` and `DELETE /api/v1.1/token/delete`: no body
//!   signature (the JWT authenticates), answers unsigned; an unknown token is 87.

use super::auth::{AuthPartner, ReqLang};
use super::fields::{self, Fields};
use super::payments::{create_bank_order, verify};
use super::{ApiError, lists, owner};
use crate::core::{Gateway, Partner, now_ms};
use crate::domain::order::{self, Current};
use crate::domain::records::{ApiVersion, Order};
use appotapay_protocol::signing::{self, SignatureSpec};
use appotapay_protocol::v11::{self, ListResponse, StatusResponse, StatusTransaction, TokenLookupResponse};
use appotapay_protocol::{Amount, ErrorCode, Lang, messages::ErrorBody};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;

/// Signs a JSON answer over `spec`.
fn signed_json<T: serde::Serialize>(answer: &T, spec: &SignatureSpec, partner: &Partner) -> Value {
    let mut v = serde_json::to_value(answer).unwrap_or(Value::Null);
    let sig = signing::sign_data(&partner.signing().secret, &signing::canonical_data_json(spec, &v));
    if let Some(o) = v.as_object_mut() {
        o.insert("signature".into(), Value::String(sig));
    }
    v
}

/// `POST /api/v1.1/orders/payment/bank`.
#[utoipa::path(
    post,
    path = "/api/v1.1/orders/payment/bank",
    operation_id = "v11CreateBankPayment",
    tag = "v1.1",
    summary = "Create a card/bank payment, optionally saving or using a card token",
    request_body = crate::api::openapi::schemas::V11BankPaymentRequest,
    responses((status = 200, description = "Created", body = crate::api::openapi::schemas::BankPaymentResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn create_bank(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fields::json_object(body, lang)?;
    let order = create_bank_order(&gw, &partner, lang, &headers, &value, ApiVersion::V1_1).await?;
    let resp = super::payments::bank_answer(&gw, &order, lang);
    Ok(Json(signed_json(&resp, gw.config().v11.response, &partner)).into_response())
}

/// The v1.1 status answer of an order, signed.
pub fn status_response(partner: &Partner, order: &Order, code: ErrorCode, lang: Lang) -> Value {
    let resp = StatusResponse {
        error_code: code,
        message: code.message(lang).to_owned(),
        partner_code: partner.code.clone(),
        api_key: partner.signing().api_key.clone(),
        transaction: StatusTransaction {
            status: order::status_word(code).to_owned(),
            amount: Amount::vnd(order.amount),
            currency: appotapay_protocol::CURRENCY.to_owned(),
            order_id: order.order_id.clone(),
            bank_code: order.bank_code_text().to_owned(),
            payment_method: order.payment_method.as_str().to_owned(),
            payment_type: appotapay_protocol::PAYMENT_TYPE.to_owned(),
            appotapay_trans_id: order.trans_id.to_string(),
            transaction_ts: order.settled_at_ms.unwrap_or(order.updated_at_ms) / 1000,
            extra_data: order.extra_data.clone(),
        },
        signature: String::new(),
    };
    signed_json(&resp, &v11::STATUS_RESPONSE, partner)
}

/// The state code of an order for a status answer: a fully refunded payment is 40.
pub(super) async fn state_code(gw: &Gateway, order: &Order) -> Result<ErrorCode, ApiError> {
    let ledger = gw.refund_ledger(order).await?;
    let current = Current { state: order.state, code: order.code, expires_at_ms: order.expires_at_ms };
    Ok(ledger.status_code(order::status_code(current, now_ms())))
}

/// `POST /api/v1.1/orders/transaction/bank/status`.
#[utoipa::path(
    post,
    path = "/api/v1.1/orders/transaction/bank/status",
    operation_id = "v11TransactionStatus",
    tag = "v1.1",
    summary = "A transaction's state (nested transaction)",
    request_body = crate::api::openapi::schemas::StatusRequest,
    responses((status = 200, description = "The state", body = crate::api::openapi::schemas::V11StatusResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn status(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fields::json_object(body, lang)?;
    let f = Fields::new(&value, lang);
    let order_id = f.required("orderId")?;
    verify(&f, &signing::STATUS_REQUEST, &partner, &value)?;
    fields::order_id(&f, order_id)?;
    let order = gw
        .find_order(&partner.code, order_id)
        .await?
        .ok_or_else(|| f.err(ErrorCode::TRANSACTION_NOT_FOUND, "no such order"))?;
    owner::check(&gw, &headers, &partner, &order, lang).await?;
    let code = state_code(&gw, &order).await?;
    Ok(Json(status_response(&partner, &order, code, lang)).into_response())
}

/// Whether a list query's `signature` verifies under either reading: the six
/// documented parameters (absent ones empty), or the parameters present, sorted.
fn list_signature_ok(partner: &Partner, map: &std::collections::BTreeMap<String, String>) -> Result<(), ApiError> {
    let sig = map.get("signature").map(String::as_str).unwrap_or("");
    let documented = signing::canonical_data_with(&v11::LIST_REQUEST, |k| map.get(k).map(|v| v.as_str().into()));
    let present: Vec<String> =
        map.iter().filter(|(k, _)| k.as_str() != "signature").map(|(k, v)| format!("{k}={v}")).collect();
    let present = present.join("&");
    let ok = partner.accepted().any(|keys| {
        signing::verify_data(&keys.secret, &documented, sig).is_ok()
            || signing::verify_data(&keys.secret, &present, sig).is_ok()
    });
    if ok {
        Ok(())
    } else {
        let why = if sig.is_empty() { "signature is missing" } else { "the signature does not match" };
        Err(ApiError::bad(ErrorCode::INVALID_SIGNATURE).detail(why))
    }
}

/// `GET /api/v1.1/orders/transactions`.
#[utoipa::path(
    get,
    path = "/api/v1.1/orders/transactions",
    operation_id = "v11TransactionList",
    tag = "v1.1",
    summary = "The partner's transactions (query signed)",
    params(crate::api::openapi::schemas::TransactionListQuery, crate::api::openapi::schemas::V11ListSignature),
    responses((status = 200, description = "A page of transactions", body = crate::api::openapi::schemas::V11ListResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn list(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let map = lists::query_map(query.as_deref(), lang)?;
    list_signature_ok(&partner, &map).map_err(|e| e.lang(lang))?;
    let page = lists::page(&gw, &headers, &partner, &map, lang).await?;
    let resp = ListResponse {
        error_code: ErrorCode::SUCCESS,
        message: ErrorCode::SUCCESS.message(lang).to_owned(),
        total: page.total,
        page: page.params.page,
        transactions: page.items,
    };
    Ok(Json(resp).into_response())
}

/// `GET /api/v1.1/token/{orderId}`: the card the order saved.
#[utoipa::path(
    get,
    path = "/api/v1.1/token/{order_id}",
    operation_id = "v11TokenOfOrder",
    tag = "v1.1",
    summary = "The card an order saved",
    params(("order_id" = String, Path, description = "The partner's orderId")),
    responses((status = 200, description = "The saved card", body = crate::api::openapi::schemas::TokenLookupResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn token_of_order(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    order_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let none = || ApiError::bad(ErrorCode::TOKEN_NOT_FOUND).lang(lang);
    // A path segment that does not decode names no order: 87 as for any unknown one.
    let Ok(Path(order_id)) = order_id else { return Err(none().detail("bad orderId")) };
    let order = gw.find_order(&partner.code, &order_id).await?.ok_or_else(|| none().detail("no such order"))?;
    owner::check(&gw, &headers, &partner, &order, lang).await?;
    let saved = gw.saved_token(&order).await?.ok_or_else(|| none().detail("the order saved no card"))?;
    let resp = TokenLookupResponse {
        error_code: ErrorCode::SUCCESS,
        message: ErrorCode::SUCCESS.message(lang).to_owned(),
        token_result: crate::core::tokens::token_card(&saved),
    };
    Ok(Json(resp).into_response())
}

/// Deletes the token of a delete request (v1.1 and v2): the token as a string or a
/// number (1 otherwise), the partner's live token (87 otherwise), and, when the order
/// that saved it belongs to an owner-type sub-account, that sub-account's header.
pub(super) async fn delete_token(
    gw: &Gateway,
    partner: &Partner,
    lang: Lang,
    headers: &HeaderMap,
    value: &Value,
) -> Result<(), ApiError> {
    let bad = ApiError::bad(ErrorCode::INVALID_PARAMS).lang(lang);
    let token = value.get("token").and_then(v11::token_value).ok_or_else(|| bad.detail("token is missing"))?;
    let none = || ApiError::bad(ErrorCode::TOKEN_NOT_FOUND).lang(lang).detail("no such token");
    let saved = gw.live_token(&partner.code, &token).await?.ok_or_else(none)?;
    if let Some(order) = gw.partner_order(&partner.code, &saved.trans_id).await? {
        owner::check(gw, headers, partner, &order, lang).await?;
    }
    if !gw.delete_token(&partner.code, &token).await? {
        return Err(none());
    }
    Ok(())
}

/// `DELETE /api/v1.1/token/delete`.
#[utoipa::path(
    delete,
    path = "/api/v1.1/token/delete",
    operation_id = "v11TokenDelete",
    tag = "v1.1",
    summary = "Delete a saved-card token",
    request_body = crate::api::openapi::schemas::TokenDeleteRequest,
    responses((status = 200, description = "Deleted", body = crate::api::openapi::schemas::Success)),
    security(("partnerJwt" = [])),
)]
pub async fn token_delete(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fields::json_object(body, lang)?;
    delete_token(&gw, &partner, lang, &headers, &value).await?;
    let ok = ErrorBody { error_code: ErrorCode::SUCCESS, message: ErrorCode::SUCCESS.message(lang).to_owned() };
    Ok(Json(ok).into_response())
}
