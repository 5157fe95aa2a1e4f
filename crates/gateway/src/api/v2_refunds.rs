//! API v2 refunds, on the same ledger as v1's (one order's refunds are one sum,
//! whichever version asked for them):
//!
//! - `POST /api/v2/transaction/refund`: `partnerRefId` (≤ 50, the v1 refundId form),
//!   `transactionId`, `amount` (an integer, at least 1,000 unless it is the whole
//!   remaining balance: the v1 rules decide), `currency` `VND`, `reason` (≤ 100);
//!   then the v1 refund rules (36, 31, 102, 40, 103, 32);
//! - `GET /api/v2/transaction/refund/{id}?type=…`: the refund by the gateway's
//!   `refundId` (`TRANSACTION_ID`, the default) or by the partner's `partnerRefId`
//!   (`PARTNER_ORDER_ID`); 36 when the partner has none.
//!
//! The answer is flat, with `errorCode` and `message` at the top, and signed over
//! every other top-level key, sorted (what AppotaPay's Postman collection checks).

use super::auth::{AuthPartner, ReqLang};
use super::v2_shape::{Nested, field_err};
use super::{ApiError, fields, lists, owner};
use crate::core::{Gateway, NewRefund, Partner};
use crate::domain::records::Refund;
use crate::domain::refund::RefundStatus;
use appotapay_protocol::v2::{self, RefundResponse};
use appotapay_protocol::{Amount, ErrorCode, Lang};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

fn answer(partner: &Partner, r: &Refund, lang: Lang) -> Response {
    let refunded = r.status == RefundStatus::Success;
    let resp = RefundResponse {
        error_code: ErrorCode::SUCCESS,
        message: ErrorCode::SUCCESS.message(lang).to_owned(),
        refund_id: r.refund_id.clone(),
        transaction_id: r.trans_id.to_string(),
        partner_ref_id: r.refund_original_id.clone(),
        amount: Amount::vnd(r.amount),
        currency: appotapay_protocol::CURRENCY.to_owned(),
        reason: r.reason.clone(),
        status: r.status.as_str().to_owned(),
        created_at: v2::rfc3339_vn(r.created_at_ms),
        refunded_at: if refunded { v2::rfc3339_vn(r.updated_at_ms) } else { String::new() },
        signature: String::new(),
    }
    .signed(&partner.signing().secret);
    Json(resp).into_response()
}

/// `POST /api/v2/transaction/refund`.
#[utoipa::path(
    post,
    path = "/api/v2/transaction/refund",
    operation_id = "v2CreateRefund",
    tag = "v2",
    summary = "Refund a paid transaction",
    request_body = crate::api::openapi::schemas::V2RefundRequest,
    responses((status = 200, description = "Created", body = crate::api::openapi::schemas::V2RefundResponse)),
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
    let ref_id = n.required("partnerRefId", v2::MAX_PARTNER_REF_ID_CHARS)?;
    let trans_id = n.required("transactionId", 64)?;
    let amount = n.integer("amount")?;
    let currency = n.required("currency", 3)?;
    let reason = n.optional("reason", v2::MAX_REASON_CHARS)?;
    if currency != appotapay_protocol::CURRENCY {
        return Err(field_err(ErrorCode::INVALID_PARAMS, "currency", "Accepted: VND", lang));
    }
    appotapay_protocol::fields::refund_id(ref_id).map_err(|e| field_err(e.code(), "partnerRefId", e, lang))?;
    if amount <= 0 {
        return Err(field_err(ErrorCode::INVALID_AMOUNT, "amount", "must be positive", lang));
    }
    if let Some(order) = gw.partner_order(&partner.code, trans_id).await? {
        owner::check(&gw, &headers, &partner, &order, lang).await?;
    }
    let new = NewRefund {
        refund_original_id: ref_id.to_owned(),
        trans_id: trans_id.to_owned(),
        amount,
        reason: reason.to_owned(),
    };
    match gw.refund(&partner, new).await? {
        Ok(r) => Ok(answer(&partner, &r, lang)),
        Err(refusal) => Err(ApiError::bad(refusal.code()).lang(lang).detail(refusal.detail())),
    }
}

/// `GET /api/v2/transaction/refund/{id}?type=…`.
#[utoipa::path(
    get,
    path = "/api/v2/transaction/refund/{id}",
    operation_id = "v2RefundDetail",
    tag = "v2",
    summary = "A refund",
    params(
        ("id" = String, Path, description = "The gateway's refundId, or with type=PARTNER_ORDER_ID the partner's partnerRefId"),
        crate::api::openapi::schemas::V2RefundQuery
    ),
    responses((status = 200, description = "The refund", body = crate::api::openapi::schemas::V2RefundResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn detail(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let map = lists::query_map(query.as_deref(), lang)?;
    let none = || field_err(ErrorCode::TRANSACTION_NOT_FOUND, "refundRefId", "no such refund", lang);
    // A path segment that does not decode names no refund.
    let Ok(Path(id)) = id else { return Err(none()) };
    let found = match map.get("type").map(String::as_str) {
        None | Some("") | Some("TRANSACTION_ID") => gw.partner_refund(&partner.code, &id).await?,
        Some("PARTNER_ORDER_ID") => gw.find_refund(&partner.code, &id).await?,
        Some(_) => {
            return Err(field_err(ErrorCode::INVALID_PARAMS, "type", "TRANSACTION_ID or PARTNER_ORDER_ID", lang));
        }
    };
    let r = found.ok_or_else(none)?;
    if let Some(order) = gw.partner_order(&partner.code, r.trans_id.as_str()).await? {
        owner::check(&gw, &headers, &partner, &order, lang).await?;
    }
    Ok(answer(&partner, &r, lang))
}
