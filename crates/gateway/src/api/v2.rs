//! API v2 (`/api/v2/...`): nested bodies, the JWT as the only authentication (no
//! body signature; unknown fields, a stray `signature` among them, are ignored), and
//! answers with a top-level `errorCode` and `message` beside the documented objects.
//!
//! `POST /api/v2/orders/payment` checks, in this order: the body is a JSON object
//! (1); `transaction` (amount an integer, 32 when not; currency `VND`; paymentMethod;
//! action; bankCode and token optional) and `partnerReference` (order id ≤ 50 of
//! the v1 form, info ≤ 150, extraData ≤ 200, notifyUrl and redirectUrl ≤ 500 and
//! http(s)) each 1 with the field's path; the amount 1,000–500,000,000 and within
//! the partner's limits (32); the method offered (52; `ATM`, `CC`, `ALL`, and `VA`
//! as a VietQR transfer) and allowed to the partner (140); the bank known (51), valid
//! for the method and allowed to the partner (141); a `PAY_WITH_TOKEN`'s token
//! (87); `X-Account-Ref-ID` (90); the order id's uniqueness (30).
//!
//! `GET /api/v2/orders/transaction` answers about any order of the partner,
//! whichever version created it: `referenceId` with `type` `TRANSACTION_ID` (the
//! default) or `PARTNER_ORDER_ID`, from the query or, as public clients send them,
//! from a JSON body on the GET.

use super::auth::{AuthPartner, ReqLang};
use super::payments::{insert, sub_account, with_token};
use super::v2_shape::{Nested, field_err};
use super::{ApiError, fields, lists, owner};
use crate::core::results::{v2_reference, v2_transaction};
use crate::core::{Gateway, NewOrder, Partner};
use crate::domain::records::{ApiVersion, Order, OrderKind};
use appotapay_protocol::v2::{self, CreateResponse, CreatedTransaction, ListResponse, Pagination, Payment, QrCode};
use appotapay_protocol::v11::Action;
use appotapay_protocol::{Amount, BankCode, ErrorCode, Lang, PaymentMethod};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;

/// The checked `transaction` of a create request.
struct Tx<'a> {
    amount: i64,
    method: &'a str,
    bank: &'a str,
    action: Action,
    token: &'a str,
}

fn transaction<'a>(n: &Nested<'a>) -> Result<Tx<'a>, ApiError> {
    n.object("transaction")?;
    let amount = n.integer("transaction.amount")?;
    let currency = n.required("transaction.currency", 3)?;
    if currency != appotapay_protocol::CURRENCY {
        return Err(field_err(ErrorCode::INVALID_PARAMS, "transaction.currency", "Accepted: VND", n.lang));
    }
    let bank = n.optional("transaction.bankCode", 32)?;
    let method = n.required("transaction.paymentMethod", 16)?;
    let action_s = n.required("transaction.action", 32)?;
    let action = Action::parse(action_s).ok_or_else(|| {
        field_err(
            ErrorCode::INVALID_PARAMS,
            "transaction.action",
            "PAY, PAY_WITH_RETURN_TOKEN or PAY_WITH_TOKEN",
            n.lang,
        )
    })?;
    let token = n.optional("transaction.token", 32)?;
    Ok(Tx { amount, method, bank, action, token })
}

/// `POST /api/v2/orders/payment`.
#[utoipa::path(
    post,
    path = "/api/v2/orders/payment",
    operation_id = "v2CreatePayment",
    tag = "v2",
    summary = "Create a payment (ATM, CC, ALL, VA)",
    request_body = crate::api::openapi::schemas::V2CreateRequest,
    responses((status = 200, description = "Created", body = crate::api::openapi::schemas::V2CreateResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn create(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fields::json_object(body, lang)?;
    let n = Nested { v: &value, lang };
    let tx = transaction(&n)?;
    n.object("partnerReference")?;
    let order_id = n.required("partnerReference.order.id", v2::MAX_ORDER_ID_CHARS)?;
    let info = n.required("partnerReference.order.info", v2::MAX_ORDER_INFO_CHARS)?;
    let extra = n.optional("partnerReference.order.extraData", v2::MAX_EXTRA_DATA_CHARS)?;
    let notify = n.required("partnerReference.notificationConfig.notifyUrl", v2::MAX_URL_CHARS)?;
    let redirect = n.required("partnerReference.notificationConfig.redirectUrl", v2::MAX_URL_CHARS)?;
    let rule =
        |path: &str, r: Result<(), appotapay_protocol::FieldError>| r.map_err(|e| field_err(e.code(), path, e, lang));
    rule("partnerReference.order.id", appotapay_protocol::fields::order_id(order_id))?;
    let client_ip = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
        .unwrap_or("")
        .to_owned();
    let notify_url = appotapay_protocol::fields::http_url("notifyUrl", notify)
        .map_err(|e| field_err(e.code(), "partnerReference.notificationConfig.notifyUrl", e, lang))?;
    gw.check_notify_url(&notify_url)
        .map_err(|e| field_err(ErrorCode::INVALID_PARAMS, "partnerReference.notificationConfig.notifyUrl", e, lang))?;
    appotapay_protocol::fields::http_url("redirectUrl", redirect)
        .map_err(|e| field_err(e.code(), "partnerReference.notificationConfig.redirectUrl", e, lang))?;
    if !(v2::MIN_AMOUNT..=v2::MAX_AMOUNT).contains(&tx.amount) {
        return Err(field_err(ErrorCode::INVALID_AMOUNT, "transaction.amount", "min 1000, max 500000000", lang));
    }
    partner
        .limits
        .check(Amount::vnd(tx.amount))
        .map_err(|e| field_err(ErrorCode::INVALID_AMOUNT, "transaction.amount", e, lang))?;
    let (kind, mut method) = match tx.method {
        "ATM" | "CC" | "ALL" => (OrderKind::Bank, tx.method.parse::<PaymentMethod>().unwrap_or(PaymentMethod::All)),
        "VA" => (OrderKind::Qr, PaymentMethod::Qr),
        _ => {
            return Err(field_err(
                ErrorCode::INVALID_PAYMENT_METHOD,
                "transaction.paymentMethod",
                "this gateway offers ATM, CC, ALL and VA",
                lang,
            ));
        }
    };
    if !partner.allowed.method(tx.method) {
        return Err(field_err(ErrorCode::PAYMENT_METHOD_NOT_ALLOWED, "transaction.paymentMethod", tx.method, lang));
    }
    let bank = match (tx.bank, kind) {
        ("", _) | (_, OrderKind::Qr) => None,
        (code, OrderKind::Bank) => {
            let bad = |why: String| field_err(ErrorCode::BANK_NOT_FOUND, "transaction.bankCode", why, lang);
            let bank = BankCode::parse(code).ok_or_else(|| bad("unknown bankCode".into()))?;
            if !method.accepts(bank) {
                return Err(bad(format!("{code} is not valid for {method}")));
            }
            Some(bank)
        }
    };
    if !tx.bank.is_empty() && !partner.allowed.bank(tx.bank) {
        return Err(field_err(ErrorCode::BANK_CODE_NOT_ALLOWED, "transaction.bankCode", tx.bank, lang));
    }
    let f = fields::Fields::new(&value, lang);
    let token = match kind {
        OrderKind::Bank => with_token(&gw, &f, &partner, tx.action, tx.token, &mut method)
            .await
            .map_err(|e| path_of(e, "transaction.token"))?,
        OrderKind::Qr if tx.action != Action::Pay => {
            return Err(field_err(ErrorCode::INVALID_PARAMS, "transaction.action", "VA payments take PAY only", lang));
        }
        OrderKind::Qr => None,
    };
    let sub = sub_account(&gw, &headers, &partner, lang).await?;
    let order = insert(
        &gw,
        &f,
        NewOrder {
            bank_code: bank,
            amount: tx.amount,
            order_info: info.to_owned(),
            client_ip,
            notify_url: notify.to_owned(),
            redirect_url: redirect.to_owned(),
            extra_data: extra.to_owned(),
            sub_account: sub,
            api: ApiVersion::V2,
            action: tx.action,
            token,
            ..NewOrder::v1(&partner.code, order_id, kind, method)
        },
    )
    .await
    .map_err(|e| path_of(e, "partnerReference.order.id"))?;
    Ok(Json(created(&gw, &partner, &order, lang)).into_response())
}

/// Names the field of an error made without one.
fn path_of(mut e: ApiError, path: &str) -> ApiError {
    e.detail = Some(format!("{path}: {}", e.detail.take().unwrap_or_default()));
    e
}

fn created(gw: &Gateway, partner: &Partner, order: &Order, lang: Lang) -> CreateResponse {
    let pending = ErrorCode::PENDING;
    let qr_code = order.qr_payload.as_ref().map(|content| QrCode {
        url: gw.qr_code_url(order.trans_id.as_str()),
        content: content.clone(),
        expiry: order.expires_at_ms / 1000,
    });
    CreateResponse {
        error_code: ErrorCode::SUCCESS,
        message: ErrorCode::SUCCESS.message(lang).to_owned(),
        transaction: CreatedTransaction {
            transaction_id: order.trans_id.to_string(),
            status: "pending".to_owned(),
            error_code: pending,
            error_message: pending.message(lang).to_owned(),
            partner_code: partner.code.clone(),
            order_amount: Amount::vnd(order.amount),
            amount: Amount::vnd(order.amount),
            currency: appotapay_protocol::CURRENCY.to_owned(),
            bank_code: order.bank_code_text().to_owned(),
            payment_method: order.payment_method.as_str().to_owned(),
            action: order.action.as_str().to_owned(),
            created_at: v2::rfc3339_vn(order.created_at_ms),
            updated_at: v2::rfc3339_vn(order.updated_at_ms),
        },
        payment: Payment { url: gw.v2_payment_url(order, lang), qr_code, deep_link_url: String::new() },
    }
}

/// The order a v2 reference names: `TRANSACTION_ID` (default) or
/// `PARTNER_ORDER_ID`; 1 for a bad reference or type, 36 for no such order of the
/// partner.
pub(super) async fn referenced(
    gw: &Gateway,
    partner: &Partner,
    reference: &str,
    kind: &str,
    lang: Lang,
) -> Result<Order, ApiError> {
    if reference.is_empty()
        || reference.len() > 64
        || !reference.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(field_err(ErrorCode::INVALID_PARAMS, "referenceId", "must be alphanumeric", lang));
    }
    let found = match kind {
        "" | "TRANSACTION_ID" => gw.partner_order(&partner.code, reference).await?,
        "PARTNER_ORDER_ID" => gw.find_order(&partner.code, reference).await?,
        _ => return Err(field_err(ErrorCode::INVALID_PARAMS, "type", "TRANSACTION_ID or PARTNER_ORDER_ID", lang)),
    };
    found.ok_or_else(|| field_err(ErrorCode::TRANSACTION_NOT_FOUND, "referenceId", "no such transaction", lang))
}

/// `referenceId` and `type` of a GET, from its query or its JSON body.
pub(super) fn reference_params(query: Option<&str>, body: &Bytes, lang: Lang) -> Result<(String, String), ApiError> {
    let map = lists::query_map(query, lang)?;
    let mut reference = map.get("referenceId").cloned().unwrap_or_default();
    let mut kind = map.get("type").cloned().unwrap_or_default();
    if reference.is_empty() && !body.iter().all(u8::is_ascii_whitespace) {
        let v: Value = serde_json::from_slice(body)
            .map_err(|_| ApiError::bad(ErrorCode::INVALID_PARAMS).lang(lang).detail("body is not JSON"))?;
        let text = |k: &str| match v.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        reference = text("referenceId");
        if kind.is_empty() {
            kind = text("type");
        }
    }
    if reference.is_empty() {
        return Err(field_err(ErrorCode::INVALID_PARAMS, "referenceId", "Field referenceId is required", lang));
    }
    Ok((reference, kind))
}

/// `GET /api/v2/orders/transaction`.
#[utoipa::path(
    get,
    path = "/api/v2/orders/transaction",
    operation_id = "v2TransactionStatus",
    tag = "v2",
    summary = "A transaction, by its id or the partner's order id",
    params(crate::api::openapi::schemas::V2ReferenceQuery),
    request_body(content = Option<crate::api::openapi::schemas::V2ReferenceBody>, description = "Optional: the same keys as the query"),
    responses((status = 200, description = "The transaction", body = crate::api::openapi::schemas::V2StatusResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn status(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = fields::bytes(body, lang)?;
    let (reference, kind) = reference_params(query.as_deref(), &body, lang)?;
    let order = referenced(&gw, &partner, &reference, &kind, lang).await?;
    owner::check(&gw, &headers, &partner, &order, lang).await?;
    let code = super::v11::state_code(&gw, &order).await?;
    let resp = v2::StatusResponse {
        error_code: ErrorCode::SUCCESS,
        message: ErrorCode::SUCCESS.message(lang).to_owned(),
        transaction: v2_transaction(&partner, &order, code, lang),
        partner_reference: v2_reference(&order),
    };
    Ok(Json(resp).into_response())
}

/// `GET /api/v2/orders/transactions`: the list (no signature: the JWT alone).
#[utoipa::path(
    get,
    path = "/api/v2/orders/transactions",
    operation_id = "v2TransactionList",
    tag = "v2",
    summary = "The partner's transactions",
    params(crate::api::openapi::schemas::TransactionListQuery),
    responses((status = 200, description = "A page of transactions", body = crate::api::openapi::schemas::V2ListResponse)),
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
    let page = lists::page(&gw, &headers, &partner, &map, lang).await?;
    let resp = ListResponse {
        error_code: ErrorCode::SUCCESS,
        message: ErrorCode::SUCCESS.message(lang).to_owned(),
        pagination: Pagination { total: page.total, page: page.params.page, limit: i64::from(page.params.limit) },
        transactions: page.items,
    };
    Ok(Json(resp).into_response())
}

/// `DELETE /api/v2/token/delete`.
#[utoipa::path(
    delete,
    path = "/api/v2/token/delete",
    operation_id = "v2TokenDelete",
    tag = "v2",
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
    super::v11::delete_token(&gw, &partner, lang, &headers, &value).await.map_err(|e| path_of(e, "token"))?;
    let ok = serde_json::json!({"errorCode": 0, "message": ErrorCode::SUCCESS.message(lang)});
    Ok(Json(ok).into_response())
}
