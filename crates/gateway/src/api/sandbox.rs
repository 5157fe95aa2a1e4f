//! The sandbox test-helper API (spec §7): settle a transaction with any outcome,
//! simulate the collecting bank's credit for a QR order, or run the IPN conformance
//! cases against the merchant's IPN URL. Only routed when the
//! acquirer is a simulator; what a simulated success records is the simulator's
//! (`core::simulate`).

use super::ApiError;
use super::auth::{AuthPartner, ReqLang};
use super::fields::{self, Fields};
use crate::core::conformance::{ConformanceError, ConformanceRun};
use crate::core::simulate::Completion;
use crate::core::test_kit::{FaultRequest, KitError};
use crate::core::{CreditOutcome, Gateway, Partner, Settlement};
use crate::domain::test_kit::{DeliveryFault, FaultScript};
use appotapay_protocol::messages::sandbox::{
    self, BankCreditRequest, BankCreditResponse, ClockResponse, CompleteResponse, ConformanceResponse,
    DeliveryFaultRequest, DeliveryFaultResponse, DeliveryFaultsResponse,
};
use appotapay_protocol::{Amount, ErrorCode, Lang};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;

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

/// `POST /api/v1/sandbox/transactions/{appotapayTransId}/complete` with
/// `{"errorCode": N}`.
#[utoipa::path(
    post,
    path = "/api/v1/sandbox/transactions/{trans_id}/complete",
    operation_id = "sandboxComplete",
    tag = "sandbox",
    summary = "Settle a transaction with any outcome",
    params(("trans_id" = String, Path, description = "The appotapayTransId")),
    request_body = crate::api::openapi::schemas::CompleteRequest,
    responses((status = 200, description = "Settled as asked", body = crate::api::openapi::schemas::CompleteResponse)),
    security(("partnerJwt" = [])),
)]
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
    let settled = match gw.simulate_completion(&partner, &trans_id, code).await? {
        Completion::Attempted(settled) => *settled,
        // The route exists only with a simulator: the same answer as without one.
        Completion::UnknownTransaction | Completion::NoSimulator => {
            return Err(ApiError::bad(ErrorCode::TRANSACTION_NOT_FOUND).lang(lang));
        }
        Completion::UnsupportedCode => {
            return Err(f.err(ErrorCode::INVALID_PARAMS, "errorCode must be 0, 38, 77 or a decline code"));
        }
    };
    let (status, resp) = answer(&gw, &partner, settled, code, lang)?;
    Ok((status, Json(resp)).into_response())
}

/// `POST /api/v1/sandbox/bank-credit` with `{"amount": N, "memo": "<appotapayTransId>"}`
/// (a [`BankCreditRequest`]), answered with a [`BankCreditResponse`].
#[utoipa::path(
    post,
    path = "/api/v1/sandbox/bank-credit",
    operation_id = "sandboxBankCredit",
    tag = "sandbox",
    summary = "Simulate the collecting bank's credit for a QR order",
    request_body = crate::api::openapi::schemas::BankCreditRequest,
    responses((status = 200, description = "Credited and settled", body = crate::api::openapi::schemas::CompleteResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn bank_credit(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fields::json_object(body, lang)?;
    let f = Fields::new(&value, lang);
    let req = BankCreditRequest { amount: Amount::vnd(f.amount()?), memo: f.required("memo")?.to_owned() };
    match gw.bank_credit(Some(&partner.code), req.amount.value(), &req.memo).await? {
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

/// The longest one case may take through the API: the twelve cases and the
/// settlement stay within the request time limit. The command line waits the full
/// IPN timeout per case.
const API_CASE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// `POST /api/v1/sandbox/conformance` with `{"orderId": …}` (and optionally
/// `"notifyUrl"`): runs the IPN conformance cases against the caller's pending order
/// and answers `{"errorCode":0,"message":…,"report":{…}}`; `report.passed` says
/// whether every case that must pass passed.
#[utoipa::path(
    post,
    path = "/api/v1/sandbox/conformance",
    operation_id = "sandboxConformance",
    tag = "sandbox",
    summary = "Run the IPN conformance cases against the merchant's IPN URL",
    request_body = crate::api::openapi::schemas::ConformanceRequest,
    responses((status = 200, description = "The report", body = crate::api::openapi::schemas::ConformanceResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn conformance(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fields::json_object(body, lang)?;
    let f = Fields::new(&value, lang);
    let order = f.required("orderId")?.to_owned();
    let notify_url = value.get("notifyUrl").and_then(Value::as_str).filter(|u| !u.is_empty()).map(str::to_owned);
    let timeout = gw.config().ipn_timeout.min(API_CASE_TIMEOUT);
    let poster = crate::notify::IpnPoster::new(gw.outbound().delivery_guard(), timeout).map_err(|e| {
        tracing::error!(error = %e, "conformance client");
        ApiError::internal()
    })?;
    let run = ConformanceRun { partner_code: Some(&partner.code), order: &order, notify_url: notify_url.as_deref() };
    match gw.run_conformance(run, &poster).await? {
        Ok(report) => {
            let body = ConformanceResponse {
                error_code: ErrorCode::SUCCESS,
                message: ErrorCode::SUCCESS.message(lang).to_owned(),
                report: report.to_wire(),
            };
            Ok((StatusCode::OK, Json(body)).into_response())
        }
        Err(ConformanceError::UnknownOrder(_) | ConformanceError::NoSimulator) => {
            Err(f.err(ErrorCode::TRANSACTION_NOT_FOUND, "no order of this partner has this orderId"))
        }
        Err(e @ (ConformanceError::NotPending { .. } | ConformanceError::BadUrl { .. })) => {
            Err(f.err(ErrorCode::INVALID_PARAMS, e.to_string()))
        }
    }
}

/// A delivery fault script as the API shows it.
fn fault_wire(f: &DeliveryFault) -> sandbox::DeliveryFault {
    sandbox::DeliveryFault {
        id: f.id,
        script: DeliveryFaultRequest {
            appotapay_trans_id: f.fault.trans_id.clone(),
            next_orders: f.fault.remaining,
            twice: f.fault.script.twice,
            delay_seconds: f.fault.script.delay_ms / 1000,
            lose_first: f.fault.script.lose_first,
        },
    }
}

fn kit_error(f: &Fields<'_>, e: KitError) -> ApiError {
    match e {
        KitError::UnknownOrder(_) | KitError::NoSimulator => {
            f.err(ErrorCode::TRANSACTION_NOT_FOUND, "no order of this partner has this appotapayTransId")
        }
        KitError::Invalid(why) => f.err(ErrorCode::INVALID_PARAMS, why),
    }
}

/// An optional boolean field; `Err` names a wrong type.
fn flag(f: &Fields<'_>, value: &Value, key: &str) -> Result<bool, ApiError> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(f.err(ErrorCode::INVALID_PARAMS, format!("{key} must be true or false"))),
    }
}

/// An optional non-negative integer field.
fn count(f: &Fields<'_>, value: &Value, key: &str) -> Result<Option<i64>, ApiError> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| f.err(ErrorCode::INVALID_PARAMS, format!("{key} must be a non-negative integer"))),
    }
}

/// `POST /api/v1/sandbox/delivery-faults`: scripts how the IPNs of one order
/// (`appotapayTransId`) or of the partner's next orders (`nextOrders`: how many;
/// absent: until cleared) are delivered: `twice`, `delaySeconds`, `loseFirst`, any
/// together. Answers the script with its `id`.
#[utoipa::path(
    post,
    path = "/api/v1/sandbox/delivery-faults",
    operation_id = "sandboxAddDeliveryFault",
    tag = "sandbox",
    summary = "Script how IPNs are delivered",
    request_body = crate::api::openapi::schemas::DeliveryFaultRequest,
    responses((status = 200, description = "The script", body = crate::api::openapi::schemas::DeliveryFaultResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn add_delivery_fault(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fields::json_object(body, lang)?;
    let f = Fields::new(&value, lang);
    let trans_id = match value.get("appotapayTransId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => return Err(f.err(ErrorCode::INVALID_PARAMS, "appotapayTransId must be a non-empty string")),
    };
    let delay = count(&f, &value, "delaySeconds")?.unwrap_or(0);
    let script = FaultScript {
        twice: flag(&f, &value, "twice")?,
        delay_ms: delay.saturating_mul(1000),
        lose_first: flag(&f, &value, "loseFirst")?,
    };
    let req = FaultRequest { trans_id, next_orders: count(&f, &value, "nextOrders")?, script };
    match gw.add_delivery_fault(&partner.code, req).await? {
        Ok(fault) => Ok(Json(DeliveryFaultResponse {
            error_code: ErrorCode::SUCCESS,
            message: ErrorCode::SUCCESS.message(lang).to_owned(),
            fault: fault_wire(&fault),
        })
        .into_response()),
        Err(e) => Err(kit_error(&f, e)),
    }
}

/// `GET /api/v1/sandbox/delivery-faults`: the partner's scripts still to be used.
#[utoipa::path(
    get,
    path = "/api/v1/sandbox/delivery-faults",
    operation_id = "sandboxDeliveryFaults",
    tag = "sandbox",
    summary = "The partner's delivery scripts",
    responses((status = 200, description = "The scripts", body = crate::api::openapi::schemas::DeliveryFaultsResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn delivery_faults(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
) -> Result<Response, ApiError> {
    let faults = gw.delivery_faults(&partner.code).await?;
    Ok(Json(DeliveryFaultsResponse {
        error_code: ErrorCode::SUCCESS,
        message: ErrorCode::SUCCESS.message(lang).to_owned(),
        faults: faults.iter().map(fault_wire).collect(),
    })
    .into_response())
}

/// `DELETE /api/v1/sandbox/delivery-faults`: forgets the partner's scripts.
#[utoipa::path(
    delete,
    path = "/api/v1/sandbox/delivery-faults",
    operation_id = "sandboxClearDeliveryFaults",
    tag = "sandbox",
    summary = "Forget the partner's delivery scripts",
    responses((status = 200, description = "Forgotten", body = crate::api::openapi::schemas::ClearedFaultsResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn clear_delivery_faults(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
) -> Result<Response, ApiError> {
    let cleared = gw.clear_delivery_faults(&partner.code).await?;
    Ok(Json(serde_json::json!({"errorCode": 0, "message": ErrorCode::SUCCESS.message(lang), "cleared": cleared}))
        .into_response())
}

fn clock_wire(now_ms: i64, lang: Lang) -> ClockResponse {
    ClockResponse {
        error_code: ErrorCode::SUCCESS,
        message: ErrorCode::SUCCESS.message(lang).to_owned(),
        now: now_ms / 1000,
    }
}

/// `GET /api/v1/sandbox/clock`: `{"errorCode":0,"now":<unix seconds>}`, the calling
/// partner's test clock.
#[utoipa::path(
    get,
    path = "/api/v1/sandbox/clock",
    operation_id = "sandboxClock",
    tag = "sandbox",
    summary = "The partner's test clock",
    responses((status = 200, description = "The clock", body = crate::api::openapi::schemas::ClockResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn clock(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
) -> Result<Response, ApiError> {
    match gw.partner_now(&partner.code).await? {
        Ok(now) => Ok(Json(clock_wire(now, lang)).into_response()),
        Err(_) => Err(ApiError::bad(ErrorCode::INVALID_PARAMS).lang(lang)),
    }
}

/// `POST /api/v1/sandbox/clock/advance` with `{"seconds": N}`: moves the calling
/// partner's test clock ahead; answers the clock as [`clock`] does.
#[utoipa::path(
    post,
    path = "/api/v1/sandbox/clock/advance",
    operation_id = "sandboxAdvanceClock",
    tag = "sandbox",
    summary = "Move the partner's test clock ahead",
    request_body = crate::api::openapi::schemas::AdvanceClockRequest,
    responses((status = 200, description = "The clock", body = crate::api::openapi::schemas::ClockResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn advance_clock(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fields::json_object(body, lang)?;
    let f = Fields::new(&value, lang);
    let Some(seconds) = value.get("seconds").and_then(Value::as_i64) else {
        return Err(f.err(ErrorCode::INVALID_PARAMS, "seconds must be an integer"));
    };
    match gw.advance_clock(&partner.code, seconds).await? {
        Ok(now) => Ok(Json(clock_wire(now, lang)).into_response()),
        Err(e) => Err(kit_error(&f, e)),
    }
}
