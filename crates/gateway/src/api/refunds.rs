//! Refunds (spec §5.4): create, detail by the partner's refundId, the refunds of an
//! order, and a filtered, paginated list.
//!
//! Checks of `POST /api/v1/transaction/refund` run in this order: JSON shape and
//! field types (1) → signature (2) → field rules (refundId 1, reason 1, amount ≤ 0 →
//! 32) → then, atomically in the store: the transaction exists and is the partner's
//! (36) → refundId is new for the partner (31) → the payment is successful (102) →
//! the amount fits in what remains (40 when fully refunded, else 103) → the amount is
//! at least the partner's minimum or exactly the remaining balance (32). The rules
//! themselves live in [`crate::domain::refund`].
//!
//! The answer of a created refund is `errorCode` 0 with the refund's `status`: the
//! call succeeded even when the bank then refused the refund (`status: error`).
//!
//! The GET endpoints authenticate with the JWT like every call; having no body, they
//! carry no request signature. The detail answer is signed (`data` flattened); the
//! order's refunds and the list are not (the docs show no signature for them).

use super::ApiError;
use super::auth::{AuthPartner, ReqLang};
use super::fields::{self, Fields};
use super::payments::verify;
use crate::core::{Gateway, NewRefund, Partner};
use crate::domain::records::{Refund, RefundFilter};
use crate::domain::refund::{Ledger, RefundStatus, RefundType};
use appotapay_protocol::messages::{
    OrderRefunds, OrderRefundsResponse, RefundData, RefundListMeta, RefundListResponse, RefundResponse,
};
use appotapay_protocol::signing::{self, Signed};
use appotapay_protocol::{Amount, ErrorCode, Lang};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Page size of the list when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 20;
/// Largest page size of the list.
pub const MAX_LIMIT: u32 = 100;

/// A stored refund as the wire shows it. `transactionTs` is the time of its last change.
pub fn refund_data(r: &Refund) -> RefundData {
    RefundData {
        appotapay_trans_id: r.trans_id.to_string(),
        refund_id: r.refund_id.clone(),
        refund_original_id: r.refund_original_id.clone(),
        amount: Amount::vnd(r.amount),
        reason: r.reason.clone(),
        status: r.status,
        transaction_ts: r.updated_at_ms / 1000,
    }
}

fn signed_answer(partner: &Partner, r: &Refund, lang: Lang) -> Response {
    let resp = RefundResponse {
        error_code: ErrorCode::SUCCESS,
        message: ErrorCode::SUCCESS.message(lang).to_owned(),
        data: refund_data(r),
        signature: String::new(),
    }
    .signed(&partner.signing().secret);
    Json(resp).into_response()
}

/// `POST /api/v1/transaction/refund`.
#[utoipa::path(
    post,
    path = "/api/v1/transaction/refund",
    operation_id = "v1CreateRefund",
    tag = "v1",
    summary = "Refund a paid transaction",
    request_body = crate::api::openapi::schemas::RefundRequest,
    responses((status = 200, description = "Created (the refund's outcome is data.status)", body = crate::api::openapi::schemas::RefundResponse)),
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
    let f = Fields::new(&value, lang);
    let refund_id = f.required("refundId")?;
    let trans_id = f.required("appotapayTransId")?;
    let amount = f.amount()?;
    let reason = f.optional("reason")?;
    verify(&f, &signing::REFUND_REQUEST, &partner, &value)?;
    appotapay_protocol::fields::refund_id(refund_id).map_err(|e| f.rule(e))?;
    appotapay_protocol::fields::reason(reason).map_err(|e| f.rule(e))?;
    if amount <= 0 {
        return Err(f.err(ErrorCode::INVALID_AMOUNT, "amount must be positive"));
    }
    if let Some(order) = gw.partner_order(&partner.code, trans_id).await? {
        super::owner::check(&gw, &headers, &partner, &order, lang).await?;
    }
    let new = NewRefund {
        refund_original_id: refund_id.to_owned(),
        trans_id: trans_id.to_owned(),
        amount,
        reason: reason.to_owned(),
    };
    match gw.refund(&partner, new).await? {
        Ok(r) => Ok(signed_answer(&partner, &r, lang)),
        Err(refusal) => Err(f.err(refusal.code(), refusal.detail())),
    }
}

fn not_found(lang: Lang) -> ApiError {
    ApiError::bad(ErrorCode::TRANSACTION_NOT_FOUND).lang(lang)
}

/// `GET /api/v1/transaction/refund/{refundId}` (the partner's refundId).
#[utoipa::path(
    get,
    path = "/api/v1/transaction/refund/{refund_id}",
    operation_id = "v1RefundDetail",
    tag = "v1",
    summary = "A refund, by the partner's refundId",
    params(("refund_id" = String, Path, description = "The partner's refundId")),
    responses((status = 200, description = "The refund", body = crate::api::openapi::schemas::RefundResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn detail(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Ok(Path(id)) = id else { return Err(not_found(lang).detail("bad refundId")) };
    let r = gw.find_refund(&partner.code, &id).await?.ok_or_else(|| not_found(lang).detail("no such refund"))?;
    if let Some(order) = gw.partner_order(&partner.code, r.trans_id.as_str()).await? {
        super::owner::check(&gw, &headers, &partner, &order, lang).await?;
    }
    Ok(signed_answer(&partner, &r, lang))
}

/// `GET /api/v1/transaction/{orderId}/refund` (the partner's orderId).
#[utoipa::path(
    get,
    path = "/api/v1/transaction/{order_id}/refund",
    operation_id = "v1OrderRefunds",
    tag = "v1",
    summary = "The refunds of an order",
    params(("order_id" = String, Path, description = "The partner's orderId")),
    responses((status = 200, description = "The order and its refunds", body = crate::api::openapi::schemas::OrderRefundsResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn by_order(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let Ok(Path(order_id)) = id else { return Err(not_found(lang).detail("bad orderId")) };
    let order =
        gw.find_order(&partner.code, &order_id).await?.ok_or_else(|| not_found(lang).detail("no such order"))?;
    super::owner::check(&gw, &headers, &partner, &order, lang).await?;
    let refunds = gw.order_refunds(&order.trans_id).await?;
    let ledger = Ledger::from_refunds(order.amount, refunds.iter().map(|r| (r.status, r.amount)));
    let resp = OrderRefundsResponse {
        error_code: ErrorCode::SUCCESS,
        message: ErrorCode::SUCCESS.message(lang).to_owned(),
        data: OrderRefunds {
            appotapay_trans_id: order.trans_id.to_string(),
            order_id: order.order_id.clone(),
            order_info: order.order_info.clone(),
            partner_code: partner.code.clone(),
            amount: Amount::vnd(order.amount),
            bank_code: order.bank_code_text().to_owned(),
            payment_method: order.payment_method.as_str().to_owned(),
            refund_type: ledger.refund_type(),
            transaction_ts: order.settled_at_ms.unwrap_or(order.updated_at_ms) / 1000,
            refund_transactions: refunds.iter().map(refund_data).collect(),
        },
    };
    Ok(Json(resp).into_response())
}

/// The filters and page of a list query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    /// Filters.
    pub filter: RefundFilter,
    /// Page, from 1.
    pub page: u32,
    /// Page size, 1..=100.
    pub limit: u32,
}

/// Parses the query string of `GET /api/v1/refunds`. A key with an empty value is no
/// filter (clients send every key); unknown keys are ignored; a malformed value, a
/// `page` below 1 or a `limit` outside 1..=100 is refused (1, with the key named).
pub fn parse_list_query(query: &str) -> Result<ListQuery, String> {
    let mut q = ListQuery { filter: RefundFilter::default(), page: 1, limit: DEFAULT_LIMIT };
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let v = v.trim();
        if v.is_empty() {
            continue;
        }
        let int = |v: &str| v.parse::<i64>().map_err(|_| format!("{k} must be an integer"));
        let f = &mut q.filter;
        match k.as_ref() {
            "appotapayTransId" => f.trans_id = Some(v.to_owned()),
            "orderId" => f.order_id = Some(v.to_owned()),
            "refundId" => f.refund_id = Some(v.to_owned()),
            "refundOriginalId" => f.refund_original_id = Some(v.to_owned()),
            "status" => {
                f.status = Some(RefundStatus::parse(v).ok_or("status must be pending, processing, success or error")?);
            }
            "amount" => f.amount = Some(int(v)?),
            "startTime" => f.created_from_ms = Some(int(v)?.saturating_mul(1000)),
            // The end second is included whole.
            "endTime" => f.created_to_ms = Some(int(v)?.saturating_mul(1000).saturating_add(999)),
            "refundType" => f.refund_type = Some(RefundType::parse(v).ok_or("refundType must be total or partial")?),
            "page" => {
                q.page = v.parse::<u32>().ok().filter(|p| *p >= 1).ok_or("page must be an integer from 1")?;
            }
            "limit" => {
                q.limit = v
                    .parse::<u32>()
                    .ok()
                    .filter(|l| (1..=MAX_LIMIT).contains(l))
                    .ok_or("limit must be an integer from 1 to 100")?;
            }
            _ => {}
        }
    }
    Ok(q)
}

/// `GET /api/v1/refunds?…`: the partner's refunds, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/refunds",
    operation_id = "v1RefundList",
    tag = "v1",
    summary = "The partner's refunds, filtered and paginated",
    params(crate::api::openapi::schemas::RefundListQuery),
    responses((status = 200, description = "A page of refunds", body = crate::api::openapi::schemas::RefundListResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn list(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let q = parse_list_query(query.as_deref().unwrap_or(""))
        .map_err(|why| ApiError::bad(ErrorCode::INVALID_PARAMS).lang(lang).detail(why))?;
    let offset = u64::from(q.page - 1) * u64::from(q.limit);
    let page = gw.list_refunds(&partner.code, &q.filter, offset, q.limit).await?;
    let resp = RefundListResponse {
        error_code: ErrorCode::SUCCESS,
        message: ErrorCode::SUCCESS.message(lang).to_owned(),
        data: page.items.iter().map(refund_data).collect(),
        meta: RefundListMeta {
            page: q.page,
            limit: q.limit,
            total: page.total,
            total_amount: page.total_amount,
            pages: page.total.div_ceil(u64::from(q.limit)),
        },
    };
    Ok(Json(resp).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_queries() {
        let q = parse_list_query("").expect("empty");
        assert_eq!((q.page, q.limit, q.filter), (1, DEFAULT_LIMIT, RefundFilter::default()));
        let q = parse_list_query(
            "appotapayTransId=&orderId=o%201&status=success&amount=5000&startTime=10&endTime=20&refundType=total&page=3&limit=100&x=y",
        )
        .expect("full");
        assert_eq!(q.filter.trans_id, None, "empty values do not filter");
        assert_eq!(q.filter.order_id.as_deref(), Some("o 1"));
        assert_eq!(q.filter.status, Some(RefundStatus::Success));
        assert_eq!(q.filter.amount, Some(5000));
        assert_eq!((q.filter.created_from_ms, q.filter.created_to_ms), (Some(10_000), Some(20_999)));
        assert_eq!(q.filter.refund_type, Some(RefundType::Total));
        assert_eq!((q.page, q.limit), (3, 100));
        for bad in ["limit=0", "limit=101", "page=0", "page=-1", "status=done", "amount=1.5", "refundType=all"] {
            assert!(parse_list_query(bad).is_err(), "{bad}");
        }
    }
}
