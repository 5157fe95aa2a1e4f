//! The sandbox test-helper API (spec §7): settle a transaction with any outcome, or
//! simulate the collecting bank's credit for a QR order. Only routed in sandbox mode.

use super::ApiError;
use super::auth::{AuthPartner, ReqLang};
use super::fields::{self, Fields};
use crate::acquirer::CreditOutcome;
use crate::app::{Gateway, Partner, SettleDetails, Settlement};
use crate::payments::Event;
use crate::store::{CardRecord, Order};
use appotapay_protocol::messages::sandbox::{BankCreditRequest, BankCreditResponse, CompleteResponse};
use appotapay_protocol::{Amount, BankCode, ErrorCode, Lang};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;

/// The sandbox Mastercard of spec §7, recorded with CC payments settled by the helper.
pub fn sandbox_card() -> CardRecord {
    CardRecord {
        number_masked: "512345******2346".into(),
        date: "03/27".into(),
        name: "NGUYEN VAN A".into(),
        country: "VN".into(),
    }
}

/// The answer to a settlement that asked for `asked` (the outcome's code), with its
/// HTTP status.
///
/// The order can change to something else than what was asked: one past its
/// lifetime that the sweeper has not reached yet expires instead (77). It is final
/// then, and the answer says so (HTTP 400, its code) while still giving the signed
/// redirect the customer is sent to.
fn answer(
    gw: &Gateway,
    partner: &Partner,
    settled: Settlement,
    asked: ErrorCode,
    lang: Lang,
) -> Result<(StatusCode, CompleteResponse), ApiError> {
    match settled {
        Settlement::Changed(order) => {
            let resp = CompleteResponse {
                error_code: ErrorCode::SUCCESS,
                message: ErrorCode::SUCCESS.message(lang).to_owned(),
                redirect_url: gw.redirect_url(partner, &order).unwrap_or_default(),
            };
            if order.code == asked {
                Ok((StatusCode::OK, resp))
            } else {
                let resp =
                    CompleteResponse { error_code: order.code, message: order.code.message(lang).to_owned(), ..resp };
                Ok((StatusCode::BAD_REQUEST, resp))
            }
        }
        Settlement::Rejected(code, _) => Err(ApiError::bad(code).lang(lang).detail("the transaction was not changed")),
    }
}

async fn owned_order(gw: &Gateway, partner: &Partner, trans_id: &str, lang: Lang) -> Result<Order, ApiError> {
    match gw.store.get_order(trans_id).await? {
        Some(o) if o.partner_code == partner.code => Ok(o),
        _ => Err(ApiError::bad(ErrorCode::TRANSACTION_NOT_FOUND).lang(lang)),
    }
}

/// What a successful sandbox settlement records: the method actually used and a bank
/// when the merchant left the choice to the customer.
fn success_details(order: &Order) -> SettleDetails {
    let method = match order.payment_method.as_str() {
        "ALL" => BankCode::parse(&order.bank_code).and_then(BankCode::card_method).map_or("ATM", |m| m.as_str()),
        m => m,
    };
    let bank = match (method, order.bank_code.is_empty()) {
        ("ATM", true) => Some("MB".to_owned()),
        ("CC", true) => Some("MASTERCARD".to_owned()),
        _ => None,
    };
    SettleDetails {
        bank_code: bank,
        payment_method: (method != order.payment_method).then(|| method.to_owned()),
        card: (method == "CC").then(sandbox_card),
    }
}

/// `POST /api/v1/sandbox/transactions/{appotapayTransId}/complete` with
/// `{"errorCode": N}`.
pub async fn complete(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    trans_id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fields::json_object(body, lang)?;
    let f = Fields::new(&value, lang);
    // A path segment that does not even decode (invalid UTF-8) gets the JSON error
    // body like every other bad parameter, not axum's plain-text rejection.
    let Path(trans_id) =
        trans_id.map_err(|_| f.err(ErrorCode::INVALID_PARAMS, "the appotapayTransId in the path does not decode"))?;
    let code = match value.get("errorCode").and_then(Value::as_u64) {
        Some(c) if c <= u64::from(u32::MAX) => ErrorCode(c as u32),
        _ => return Err(f.err(ErrorCode::INVALID_PARAMS, "errorCode must be a non-negative integer")),
    };
    let order = owned_order(&gw, &partner, &trans_id, lang).await?;
    let (event, details) = match code {
        ErrorCode::SUCCESS => (Event::Succeed, success_details(&order)),
        ErrorCode::CANCELLED => (Event::Cancel, SettleDetails::default()),
        ErrorCode::PAYMENT_EXPIRED => (Event::Expire, SettleDetails::default()),
        c if appotapay_protocol::DECLINE_CODES.contains(&c) => (Event::Fail(c), SettleDetails::default()),
        _ => return Err(f.err(ErrorCode::INVALID_PARAMS, "errorCode must be 0, 38, 77 or a decline code")),
    };
    let settled =
        gw.settle(&order.trans_id, event, details).await?.ok_or_else(|| f.err(ErrorCode::TRANSACTION_NOT_FOUND, ""))?;
    let (status, resp) = answer(&gw, &partner, settled, code, lang)?;
    Ok((status, Json(resp)).into_response())
}

/// `POST /api/v1/sandbox/bank-credit` with `{"amount": N, "memo": "<appotapayTransId>"}`
/// (a [`BankCreditRequest`]), answered with a [`BankCreditResponse`].
pub async fn bank_credit(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fields::json_object(body, lang)?;
    let f = Fields::new(&value, lang);
    let req = BankCreditRequest { amount: Amount::vnd(f.amount()?), memo: f.required("memo")?.to_owned() };
    match crate::acquirer::bank_credit(&gw, Some(&partner.code), req.amount.value(), &req.memo).await? {
        CreditOutcome::Applied(settled) => {
            let (status, resp) = answer(&gw, &partner, *settled, ErrorCode::SUCCESS, lang)?;
            Ok((status, Json(BankCreditResponse::from(resp))).into_response())
        }
        CreditOutcome::UnknownMemo => {
            Err(f.err(ErrorCode::TRANSACTION_NOT_FOUND, "the memo does not name a QR order of this partner"))
        }
        CreditOutcome::AmountMismatch => {
            Err(f.err(ErrorCode::INVALID_AMOUNT, "the credited amount differs from the order's"))
        }
    }
}
