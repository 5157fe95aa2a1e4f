//! Payment creation and status (spec §5.1–§5.3). The status of a fully refunded
//! payment is 40 (see [`crate::domain::refund`]).
//!
//! Checks run in this order, after authentication (`auth.rs`: 401, 11, 14, 13; HTTP
//! 401) and the body size (HTTP 413, errorCode 1):
//!
//! 1. JSON shape and field types (1): the body is a JSON object without a key twice
//!    in any object; each required string
//!    is present, a string and not empty; each optional string is absent, null or a
//!    string; `amount` is a JSON number. An `amount` that is a number but not an
//!    integer (`10000.5`, `1e20`) answers 32 already here: it can never be valid, and
//!    its signed text (`1e20`, `10000.0`) is not one the gateway can reproduce from
//!    the parsed number, so checking the signature first would misreport it as 2.
//! 2. signature (2): every fault of the `signature` field, its type included. Just
//!    before it, a signed value holding `&`, a signed field's name and `=` answers 1
//!    (it would let a body move the boundary between two signed fields).
//! 3. field rules, in field order: orderId and orderInfo (1), amount limits (32),
//!    clientIp and URLs (1), extraData (1), then paymentMethod (52) and bankCode (51).
//! 4. sub-account `X-Account-Ref-ID` (90).
//! 5. uniqueness of orderId (30).
//!
//! The status API checks the shape (1), the signature (2), then the orderId's form
//! (1: an id that could never have been created is a bad parameter, not an unknown
//! transaction), and only then looks the order up (36).
//!
//! Every error is HTTP 400 with `{"errorCode", "message"}` and nothing else.

use super::ApiError;
use super::auth::{AuthPartner, ReqLang};
use super::fields::{self, Fields};
use crate::core::{Gateway, NewOrder, Partner, now_ms};
use crate::domain::order::{self, Current};
use crate::domain::records::{ApiVersion, Order, OrderKind};
use crate::domain::refund::Ledger;
use appotapay_protocol::messages::{BankPaymentResponse, CardInfo, QrData, QrPaymentResponse, StatusResponse};
use appotapay_protocol::signing::{self, SignatureSpec, Signed};
use appotapay_protocol::v11::{Action, Reading};
use appotapay_protocol::{Amount, BankCode, ErrorCode, Lang, PaymentMethod};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;

/// Checks a request's `signature` (missing → 2 as well as wrong → 2), after refusing
/// (1) a signed value that reads as the start of another signed field: the signed
/// string of such a body does not fix where its fields end, so a signature over it
/// proves nothing about them (see [`signing::check_boundaries`]).
pub(super) fn verify(f: &Fields<'_>, spec: &SignatureSpec, partner: &Partner, body: &Value) -> Result<(), ApiError> {
    signing::check_boundaries(spec, body).map_err(|e| f.err(ErrorCode::INVALID_PARAMS, e.to_string()))?;
    let checked = f.signature().and_then(|_| {
        // Any accepted secret (the replaced one too during a rotation's grace period).
        let mut result = Ok(());
        for keys in partner.accepted() {
            result = signing::verify_json(spec, &keys.secret, body);
            if result.is_ok() {
                break;
            }
        }
        result.map_err(|e| f.err(ErrorCode::INVALID_SIGNATURE, e.to_string()))
    });
    // The sandbox's signature debugger sees every check (nothing happens elsewhere).
    super::debugger::signature_checked(spec, partner, body, checked)
}

/// The fields both creation APIs share, checked.
pub(super) struct Common<'a> {
    order_id: &'a str,
    order_info: &'a str,
    amount: i64,
    client_ip: &'a str,
    notify_url: &'a str,
    extra_data: &'a str,
}

pub(super) fn common<'a>(f: &Fields<'a>) -> Result<Common<'a>, ApiError> {
    Ok(Common {
        order_id: f.required("orderId")?,
        order_info: f.required("orderInfo")?,
        amount: f.amount()?,
        client_ip: f.required("clientIp")?,
        notify_url: f.required("notifyUrl")?,
        extra_data: f.optional("extraData")?,
    })
}

pub(super) fn check_common(gw: &Gateway, f: &Fields<'_>, partner: &Partner, c: &Common<'_>) -> Result<(), ApiError> {
    fields::order_id(f, c.order_id)?;
    fields::order_info(f, c.order_info)?;
    partner.limits.check(Amount::vnd(c.amount)).map_err(|e| f.err(ErrorCode::INVALID_AMOUNT, e.to_string()))?;
    fields::client_ip(f, c.client_ip)?;
    let notify = fields::http_url(f, "notifyUrl", c.notify_url)?;
    gw.check_notify_url(&notify).map_err(|e| f.err(ErrorCode::INVALID_PARAMS, format!("notifyUrl: {e}")))?;
    fields::extra_data(f, c.extra_data)
}

pub(super) async fn sub_account(
    gw: &Gateway,
    headers: &HeaderMap,
    partner: &Partner,
    lang: Lang,
) -> Result<Option<String>, ApiError> {
    let Some(v) = headers.get(appotapay_protocol::headers::ACCOUNT_REF_ID) else { return Ok(None) };
    let bad = || ApiError::bad(ErrorCode::INVALID_ACCOUNT_REF_ID).lang(lang);
    let id = v.to_str().map_err(|_| bad())?;
    let id = appotapay_protocol::fields::account_ref_id(id).map_err(|_| bad())?;
    match gw.sub_account(&partner.code, id).await? {
        Some(s) => Ok(Some(s.id)),
        None => Err(bad().detail("unknown sub-account")),
    }
}

pub(super) async fn insert(gw: &Gateway, f: &Fields<'_>, new: NewOrder) -> Result<Order, ApiError> {
    gw.create_order(new).await?.ok_or_else(|| f.err(ErrorCode::DUPLICATE_ORDER_ID, "orderId already used"))
}

/// The answer to a bank order's creation, unsigned (v1.0 and v1.1 sign it over
/// their own field lists).
pub(super) fn bank_answer(gw: &Gateway, order: &Order, lang: Lang) -> BankPaymentResponse {
    BankPaymentResponse {
        error_code: ErrorCode::SUCCESS,
        message: ErrorCode::SUCCESS.message(lang).to_owned(),
        order_id: order.order_id.clone(),
        amount: Amount::vnd(order.amount),
        payment_url: gw.payment_url(order),
        signature: String::new(),
    }
}

/// `POST /api/v1/orders/payment/bank`.
#[utoipa::path(
    post,
    path = "/api/v1/orders/payment/bank",
    operation_id = "v1CreateBankPayment",
    tag = "v1",
    summary = "Create a card/bank payment (ATM, CC, ALL)",
    request_body = crate::api::openapi::schemas::BankPaymentRequest,
    responses((status = 200, description = "Created: send the customer to paymentUrl", body = crate::api::openapi::schemas::BankPaymentResponse)),
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
    let order = create_bank_order(&gw, &partner, lang, &headers, &value, ApiVersion::V1_0).await?;
    Ok(Json(bank_answer(&gw, &order, lang).signed(&partner.signing().secret)).into_response())
}

/// Verifies a v1.1 create request under the configured readings, with each
/// accepted secret; answers the reading that matched (2 when none did).
fn verify_v11(gw: &Gateway, f: &Fields<'_>, partner: &Partner, body: &Value) -> Result<Reading, ApiError> {
    let spec = &appotapay_protocol::v11::CREATE_REQUEST_B;
    signing::check_boundaries(spec, body).map_err(|e| f.err(ErrorCode::INVALID_PARAMS, e.to_string()))?;
    let mut matched = None;
    let checked = f.signature().and_then(|_| {
        let mut result = Err(signing::SignatureError::Mismatch);
        for keys in partner.accepted() {
            result = appotapay_protocol::v11::verify_create(&keys.secret, body, &gw.config().v11.request);
            if result.is_ok() {
                break;
            }
        }
        result.map(|r| matched = Some(r)).map_err(|e| f.err(ErrorCode::INVALID_SIGNATURE, e.to_string()))
    });
    // The debugger shows the reading that matched (else the first one tried) and
    // looks for hints against the nine v1.0 fields (reading C).
    let shown = matched.or(gw.config().v11.request.first().copied()).unwrap_or(Reading::A);
    super::debugger::signature_checked_as(|| shown.data(body), &signing::BANK_PAYMENT_REQUEST, partner, body, checked)?;
    matched.ok_or_else(|| f.err(ErrorCode::INVALID_SIGNATURE, "no reading matched"))
}

/// Checks and creates a bank order of API v1.0 or v1.1 (v1.1 adds `action` and
/// `token`, and three readings of the signature: see
/// [`appotapay_protocol::v11::Reading`]).
pub(super) async fn create_bank_order(
    gw: &Gateway,
    partner: &Partner,
    lang: Lang,
    headers: &HeaderMap,
    value: &Value,
    api: ApiVersion,
) -> Result<Order, ApiError> {
    let f = Fields::new(value, lang);
    let c = common(&f)?;
    let redirect_url = f.required("redirectUrl")?;
    let method_s = f.required("paymentMethod")?;
    let bank_code = f.optional("bankCode")?;
    let (action_s, token_s) = match api {
        ApiVersion::V1_0 => ("", ""),
        _ => (f.optional("action")?, f.optional("token")?),
    };
    let reading = match api {
        ApiVersion::V1_0 => {
            verify(&f, &signing::BANK_PAYMENT_REQUEST, partner, value)?;
            None
        }
        _ => Some(verify_v11(gw, &f, partner, value)?),
    };
    check_common(gw, &f, partner, &c)?;
    fields::http_url(&f, "redirectUrl", redirect_url)?;
    let mut method = PaymentMethod::parse_bank_request(method_s)
        .map_err(|_| f.err(ErrorCode::INVALID_PAYMENT_METHOD, "paymentMethod must be ATM, CC or ALL"))?;
    if !method.is_card_method() {
        return Err(f.err(ErrorCode::INVALID_PAYMENT_METHOD, "this gateway offers ATM, CC and ALL"));
    }
    let bank = match bank_code {
        "" => None,
        code => {
            let bank = BankCode::parse(code).ok_or_else(|| f.err(ErrorCode::BANK_NOT_FOUND, "unknown bankCode"))?;
            if !method.accepts(bank) {
                return Err(f.err(ErrorCode::BANK_NOT_FOUND, format!("bankCode {code} is not valid for {method}")));
            }
            Some(bank)
        }
    };
    let action = match action_s {
        "" => Action::Pay,
        a => Action::parse(a).ok_or_else(|| {
            f.err(ErrorCode::INVALID_PARAMS, "action must be PAY, PAY_WITH_RETURN_TOKEN or PAY_WITH_TOKEN")
        })?,
    };
    let token = with_token(gw, &f, partner, action, token_s, &mut method).await?;
    let sub = sub_account(gw, headers, partner, lang).await?;
    insert(
        gw,
        &f,
        NewOrder {
            bank_code: bank,
            amount: c.amount,
            order_info: c.order_info.to_owned(),
            client_ip: c.client_ip.to_owned(),
            notify_url: c.notify_url.to_owned(),
            redirect_url: redirect_url.to_owned(),
            extra_data: c.extra_data.to_owned(),
            sub_account: sub,
            api,
            action,
            token,
            signature_reading: reading,
            ..NewOrder::v1(&partner.code, c.order_id, OrderKind::Bank, method)
        },
    )
    .await
}

/// The saved card a `PAY_WITH_TOKEN` payment uses: required (1), the partner's own
/// and live (87); an `ALL` order takes the card's method, and another method than
/// the card's is refused (52). Other actions take no token.
pub(super) async fn with_token(
    gw: &Gateway,
    f: &Fields<'_>,
    partner: &Partner,
    action: Action,
    token: &str,
    method: &mut PaymentMethod,
) -> Result<Option<String>, ApiError> {
    if action != Action::PayWithToken {
        return Ok(None);
    }
    if token.is_empty() {
        return Err(f.err(ErrorCode::INVALID_PARAMS, "PAY_WITH_TOKEN needs a token"));
    }
    let saved =
        gw.live_token(&partner.code, token).await?.ok_or_else(|| f.err(ErrorCode::TOKEN_NOT_FOUND, "no such token"))?;
    let card_method = if saved.card_type == "CREDIT_CARD" { PaymentMethod::Cc } else { PaymentMethod::Atm };
    match *method {
        PaymentMethod::All => *method = card_method,
        m if m != card_method => {
            return Err(f.err(ErrorCode::INVALID_PAYMENT_METHOD, format!("the token is a {card_method} card")));
        }
        _ => {}
    }
    Ok(Some(saved.token))
}

/// `POST /api/v1/orders/payment/qr`.
#[utoipa::path(
    post,
    path = "/api/v1/orders/payment/qr",
    operation_id = "v1CreateQrPayment",
    tag = "v1",
    summary = "Create a dynamic VietQR payment",
    request_body = crate::api::openapi::schemas::QrPaymentRequest,
    responses((status = 200, description = "Created", body = crate::api::openapi::schemas::QrPaymentResponse)),
    security(("partnerJwt" = [])),
)]
pub async fn create_qr(
    State(gw): State<Arc<Gateway>>,
    AuthPartner(partner): AuthPartner,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let value = fields::json_object(body, lang)?;
    let f = Fields::new(&value, lang);
    let c = common(&f)?;
    let redirect_url = f.optional("redirectUrl")?;
    verify(&f, &signing::QR_PAYMENT_REQUEST, &partner, &value)?;
    check_common(&gw, &f, &partner, &c)?;
    if !redirect_url.is_empty() {
        fields::http_url(&f, "redirectUrl", redirect_url)?;
    }
    let sub = sub_account(&gw, &headers, &partner, lang).await?;
    let order = insert(
        &gw,
        &f,
        NewOrder {
            amount: c.amount,
            order_info: c.order_info.to_owned(),
            client_ip: c.client_ip.to_owned(),
            notify_url: c.notify_url.to_owned(),
            redirect_url: redirect_url.to_owned(),
            extra_data: c.extra_data.to_owned(),
            sub_account: sub,
            ..NewOrder::v1(&partner.code, c.order_id, OrderKind::Qr, PaymentMethod::Qr)
        },
    )
    .await?;
    let resp = QrPaymentResponse {
        error_code: ErrorCode::SUCCESS,
        message: ErrorCode::SUCCESS.message(lang).to_owned(),
        order_id: order.order_id.clone(),
        amount: Amount::vnd(order.amount),
        payment_url: gw.payment_url(&order),
        appotapay_trans_id: order.trans_id.to_string(),
        qr_data: QrData { qr_code_url: gw.qr_code_url(&order.trans_id), qr_code_expiry_in: order.expires_at_ms / 1000 },
        signature: String::new(),
    }
    .signed(&partner.signing().secret);
    Ok(Json(resp).into_response())
}

/// The status answer of an order, signed. `ledger` is the order's refund ledger: a
/// fully refunded payment answers 40 instead of 0; a partly refunded one still 0.
pub fn status_response(partner: &Partner, order: &Order, ledger: &Ledger, lang: Lang) -> StatusResponse {
    let current = Current { state: order.state, code: order.code, expires_at_ms: order.expires_at_ms };
    let code = ledger.status_code(order::status_code(current, now_ms()));
    let card_info = match (&order.card, order.payment_method) {
        (Some(card), PaymentMethod::Cc) => Some(CardInfo {
            card_number: card.number_masked.clone(),
            card_date: card.date.clone(),
            card_name: card.name.clone(),
            country_code: card.country.clone(),
        }),
        _ => None,
    };
    StatusResponse {
        error_code: code,
        message: code.message(lang).to_owned(),
        partner_code: partner.code.clone(),
        api_key: partner.signing().api_key.clone(),
        amount: Amount::vnd(order.amount),
        currency: appotapay_protocol::CURRENCY.to_owned(),
        order_id: order.order_id.clone(),
        bank_code: order.bank_code_text().to_owned(),
        payment_method: order.payment_method.as_str().to_owned(),
        payment_type: appotapay_protocol::PAYMENT_TYPE.to_owned(),
        appotapay_trans_id: order.trans_id.to_string(),
        transaction_ts: order.settled_at_ms.unwrap_or(order.updated_at_ms) / 1000,
        extra_data: order.extra_data.clone(),
        card_info,
        signature: String::new(),
    }
    .signed(&partner.signing().secret)
}

/// `POST /api/v1/orders/transaction/bank/status`.
#[utoipa::path(
    post,
    path = "/api/v1/orders/transaction/bank/status",
    operation_id = "v1TransactionStatus",
    tag = "v1",
    summary = "A transaction's state",
    request_body = crate::api::openapi::schemas::StatusRequest,
    responses((status = 200, description = "The state, as errorCode", body = crate::api::openapi::schemas::StatusResponse)),
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
    super::owner::check(&gw, &headers, &partner, &order, lang).await?;
    let ledger = gw.refund_ledger(&order).await?;
    Ok(Json(status_response(&partner, &order, &ledger, lang)).into_response())
}
