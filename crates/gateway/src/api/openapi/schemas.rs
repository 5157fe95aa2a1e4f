//! The request and answer bodies of the partner API, the sandbox helpers and the
//! admin API, as schemas for the OpenAPI document only.
//!
//! The handlers read raw JSON (see [`crate::api`]) and answer the protocol crate's
//! messages: these types are never built. Each mirrors one wire shape field for
//! field, with the names exactly as sent (camelCase, except the token card's
//! snake_case, as AppotaPay spells it). A field the gateway may leave out or send as
//! `null` is an `Option`.

#![allow(dead_code)]

use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

// ---------------------------------------------------------------- errors

/// `{"errorCode", "message"}`: every error of API v1.0 and v1.1 and of the sandbox
/// helpers. The detail (which field, why) is in the `X-Error-Detail` header.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The errorCode of spec §8 (each operation lists those it can answer).
    error_code: u32,
    /// Its message, Vietnamese by default, English with `X-Language: en`.
    message: String,
}

/// One wrong field of a v2 error.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    /// The field's path, e.g. `transaction.amount`.
    field: String,
    /// What is wrong with it.
    reason: String,
}

/// `{"errorCode", "message", "errors"}`: every error of API v2.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2ErrorBody {
    /// The errorCode of spec §8.
    error_code: u32,
    /// Its message.
    message: String,
    /// The wrong field, when the error is about one (else empty).
    errors: Vec<FieldProblem>,
}

/// `{"errorCode": 0, "message"}`: a call that answers nothing else.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Success {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
}

// ---------------------------------------------------------------- enums

/// The card methods of API v1.0 and v1.1.
#[derive(Debug, Serialize, ToSchema)]
pub enum CardMethod {
    /// Domestic ATM card.
    #[serde(rename = "ATM")]
    Atm,
    /// Credit card.
    #[serde(rename = "CC")]
    Cc,
    /// The customer chooses.
    #[serde(rename = "ALL")]
    All,
}

/// The methods of API v2 (`VA`: a VietQR transfer).
#[derive(Debug, Serialize, ToSchema)]
pub enum V2Method {
    /// Domestic ATM card.
    #[serde(rename = "ATM")]
    Atm,
    /// Credit card.
    #[serde(rename = "CC")]
    Cc,
    /// The customer chooses.
    #[serde(rename = "ALL")]
    All,
    /// Bank transfer to a virtual account (VietQR).
    #[serde(rename = "VA")]
    Va,
}

/// What a v1.1 or v2 payment does with the card.
#[derive(Debug, Serialize, ToSchema)]
pub enum Action {
    /// Pay.
    #[serde(rename = "PAY")]
    Pay,
    /// Pay and save the card (its token comes in the IPN's tokenResult).
    #[serde(rename = "PAY_WITH_RETURN_TOKEN")]
    PayWithReturnToken,
    /// Pay with a saved card (`token`).
    #[serde(rename = "PAY_WITH_TOKEN")]
    PayWithToken,
}

/// The only currency.
#[derive(Debug, Serialize, ToSchema)]
pub enum Currency {
    /// Vietnamese đồng.
    #[serde(rename = "VND")]
    Vnd,
}

/// A bank feed provider, as its webhook's path names it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FeedProvider {
    /// SePay.
    Sepay,
    /// Casso.
    Casso,
}

/// The outcome of a refund paid back by hand.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ByHandStatus {
    /// Paid back.
    Success,
    /// Not paid back.
    Error,
}

// ---------------------------------------------------------------- v1.0

/// `POST /api/v1/orders/payment/bank`. Signed (HMAC-SHA256) over amount, bankCode,
/// clientIp, extraData, notifyUrl, orderId, orderInfo, paymentMethod, redirectUrl.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BankPaymentRequest {
    /// The partner's order id: 1 to 50 of `A-Z a-z 0-9 _ . : -`, unique per partner.
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,50}$")]
    order_id: String,
    /// 1 to 150 characters, no control characters.
    #[schema(pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]{1,150}$")]
    order_info: String,
    /// VND, an integer within the partner's limits.
    #[schema(minimum = 1000, maximum = 500000000)]
    amount: i64,
    /// The customer's IPv4 or IPv6 address.
    #[schema(pattern = "^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]{2,45})$")]
    client_ip: String,
    /// Absolute http(s) URL (≤ 2,048 bytes) the IPN is posted to.
    #[schema(pattern = "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s]*)?$", max_length = 2048)]
    notify_url: String,
    /// Absolute http(s) URL the customer is sent back to.
    #[schema(pattern = "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s]*)?$", max_length = 2048)]
    redirect_url: String,
    /// `ATM`, `CC` or `ALL`.
    #[schema(value_type = CardMethod)]
    payment_method: String,
    /// A bank code of spec §9 valid for the method, or empty.
    bank_code: Option<String>,
    /// At most 200 characters, echoed in the IPN.
    #[schema(pattern = "^[^\\u0000]*$", max_length = 200)]
    extra_data: Option<String>,
    /// The request signature (hex).
    signature: String,
}

/// The answer to a bank payment's creation (v1.0 and v1.1).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BankPaymentResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// The partner's order id.
    order_id: String,
    /// VND.
    amount: i64,
    /// The hosted payment page to send the customer to.
    payment_url: String,
    /// Response signature.
    signature: String,
}

/// `POST /api/v1/orders/payment/qr`. Signed over amount, clientIp, extraData,
/// notifyUrl, orderId, orderInfo, redirectUrl.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QrPaymentRequest {
    /// The partner's order id.
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,50}$")]
    order_id: String,
    /// 1 to 150 characters.
    #[schema(pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]{1,150}$")]
    order_info: String,
    /// VND.
    #[schema(minimum = 1000, maximum = 500000000)]
    amount: i64,
    /// The customer's IP address.
    #[schema(pattern = "^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]{2,45})$")]
    client_ip: String,
    /// Absolute http(s) URL of the IPN.
    #[schema(pattern = "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s]*)?$", max_length = 2048)]
    notify_url: String,
    /// Absolute http(s) URL, or empty.
    #[schema(pattern = "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s]*)?$", max_length = 2048)]
    redirect_url: Option<String>,
    /// At most 200 characters.
    #[schema(pattern = "^[^\\u0000]*$", max_length = 200)]
    extra_data: Option<String>,
    /// The request signature.
    signature: String,
}

/// `qrData` of a QR payment.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QrData {
    /// The VietQR code as a PNG.
    qr_code_url: String,
    /// When the code expires (unix seconds).
    qr_code_expiry_in: i64,
}

/// The answer to a QR payment's creation.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QrPaymentResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// The partner's order id.
    order_id: String,
    /// VND.
    amount: i64,
    /// The hosted payment page.
    payment_url: String,
    /// The gateway's transaction id.
    appotapay_trans_id: String,
    /// The VietQR code.
    qr_data: QrData,
    /// Response signature.
    signature: String,
}

/// `POST …/orders/transaction/bank/status` (v1.0 and v1.1). Signed over orderId.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusRequest {
    /// The partner's order id.
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,50}$")]
    order_id: String,
    /// The request signature.
    signature: String,
}

/// `cardInfo` of a credit-card payment's status.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CardInfo {
    /// Masked card number.
    card_number: String,
    /// Expiry, `MM/YY`.
    card_date: String,
    /// Holder name.
    card_name: String,
    /// Issuing country.
    country_code: String,
}

/// The v1.0 status answer. `errorCode` is the transaction's state: 0 paid, 35
/// pending, 34 processing, 99 undetermined, 77 expired, 38 cancelled, 40 fully
/// refunded, or a decline code.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    /// The transaction's state.
    error_code: u32,
    /// Its message.
    message: String,
    /// The partner.
    partner_code: String,
    /// The partner's API key.
    api_key: String,
    /// VND.
    amount: i64,
    /// `VND`.
    currency: String,
    /// The partner's order id.
    order_id: String,
    /// Bank code, or empty.
    bank_code: String,
    /// `ATM`, `CC`, `QR`…
    payment_method: String,
    /// `WEB`.
    payment_type: String,
    /// The gateway's transaction id.
    appotapay_trans_id: String,
    /// Settlement (else last change) time, unix seconds.
    transaction_ts: i64,
    /// The order's extraData.
    extra_data: String,
    /// Credit-card payments only.
    card_info: Option<CardInfo>,
    /// Response signature.
    signature: String,
}

/// `POST /api/v1/transaction/refund`. Signed over amount, appotapayTransId, reason,
/// refundId.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundRequest {
    /// The partner's refund id (the form of an order id), unique per partner.
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,50}$")]
    refund_id: String,
    /// The paid transaction.
    appotapay_trans_id: String,
    /// VND, positive.
    #[schema(minimum = 1)]
    amount: i64,
    /// At most 255 characters, no control characters.
    #[schema(pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]{0,255}$")]
    reason: Option<String>,
    /// The request signature.
    signature: String,
}

/// A refund.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundData {
    /// The refunded transaction.
    appotapay_trans_id: String,
    /// The gateway's refund id.
    refund_id: String,
    /// The partner's refund id.
    refund_original_id: String,
    /// VND.
    amount: i64,
    /// The reason given.
    reason: String,
    /// `pending`, `processing`, `success` or `error`.
    status: String,
    /// Last change, unix seconds.
    transaction_ts: i64,
}

/// A refund, signed (`data` flattened).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundResponse {
    /// 0 (the refund's own outcome is `data.status`).
    error_code: u32,
    /// Its message.
    message: String,
    /// The refund.
    data: RefundData,
    /// Response signature.
    signature: String,
}

/// An order with its refunds.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderRefunds {
    /// The gateway's transaction id.
    appotapay_trans_id: String,
    /// The partner's order id.
    order_id: String,
    /// The order's description.
    order_info: String,
    /// The partner.
    partner_code: String,
    /// VND.
    amount: i64,
    /// Bank code, or empty.
    bank_code: String,
    /// The payment method.
    payment_method: String,
    /// `total` or `partial` (empty when nothing is refunded).
    refund_type: String,
    /// Settlement (else last change) time, unix seconds.
    transaction_ts: i64,
    /// Its refunds.
    refund_transactions: Vec<RefundData>,
}

/// The refunds of an order (unsigned).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrderRefundsResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// The order and its refunds.
    data: OrderRefunds,
}

/// Query of `GET /api/v1/refunds`. A key with an empty value is no filter.
#[derive(Debug, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct RefundListQuery {
    /// The refunded transaction.
    appotapay_trans_id: Option<String>,
    /// The partner's order id.
    order_id: Option<String>,
    /// The gateway's refund id.
    refund_id: Option<String>,
    /// The partner's refund id.
    refund_original_id: Option<String>,
    /// `pending`, `processing`, `success` or `error`.
    status: Option<String>,
    /// VND.
    amount: Option<i64>,
    /// Created at or after (unix seconds).
    start_time: Option<i64>,
    /// Created at or before (unix seconds, the second included).
    end_time: Option<i64>,
    /// `total` or `partial`.
    refund_type: Option<String>,
    /// From 1 (default 1).
    page: Option<u32>,
    /// 1 to 100 (default 20).
    limit: Option<u32>,
}

/// `meta` of the refund list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundListMeta {
    /// This page.
    page: u32,
    /// Page size.
    limit: u32,
    /// Matching refunds.
    total: u64,
    /// Their amounts added up (VND).
    total_amount: i64,
    /// Pages in all.
    pages: u64,
}

/// The refund list, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundListResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// This page's refunds.
    data: Vec<RefundData>,
    /// The page.
    meta: RefundListMeta,
}

// ---------------------------------------------------------------- v1.1

/// `POST /api/v1.1/orders/payment/bank`: v1.0's body with `action` and `token`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V11BankPaymentRequest {
    /// The partner's order id.
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,50}$")]
    order_id: String,
    /// 1 to 150 characters.
    #[schema(pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]{1,150}$")]
    order_info: String,
    /// VND.
    #[schema(minimum = 1000, maximum = 500000000)]
    amount: i64,
    /// The customer's IP address.
    #[schema(pattern = "^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]{2,45})$")]
    client_ip: String,
    /// Absolute http(s) URL of the IPN.
    #[schema(pattern = "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s]*)?$", max_length = 2048)]
    notify_url: String,
    /// Absolute http(s) URL.
    #[schema(pattern = "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s]*)?$", max_length = 2048)]
    redirect_url: String,
    /// `ATM`, `CC` or `ALL`.
    #[schema(value_type = CardMethod)]
    payment_method: String,
    /// A bank code, or empty.
    bank_code: Option<String>,
    /// At most 200 characters.
    #[schema(pattern = "^[^\\u0000]*$", max_length = 200)]
    extra_data: Option<String>,
    /// `PAY` (default), `PAY_WITH_RETURN_TOKEN` or `PAY_WITH_TOKEN`.
    #[schema(value_type = Option<Action>)]
    action: Option<String>,
    /// The saved card of a `PAY_WITH_TOKEN` payment.
    token: Option<String>,
    /// The request signature (any of the three readings, docs §13).
    signature: String,
}

/// `transaction` of the v1.1 status answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V11StatusTransaction {
    /// The status word (`success`, `pending`, `error`…).
    status: String,
    /// VND.
    amount: i64,
    /// `VND`.
    currency: String,
    /// The partner's order id.
    order_id: String,
    /// Bank code, or empty.
    bank_code: String,
    /// The payment method.
    payment_method: String,
    /// `WEB`.
    payment_type: String,
    /// The gateway's transaction id.
    appotapay_trans_id: String,
    /// Unix seconds.
    transaction_ts: i64,
    /// The order's extraData.
    extra_data: String,
}

/// The v1.1 status answer, signed over 14 fields.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V11StatusResponse {
    /// The transaction's state (as in v1.0).
    error_code: u32,
    /// Its message.
    message: String,
    /// The partner.
    partner_code: String,
    /// The partner's API key.
    api_key: String,
    /// The transaction.
    transaction: V11StatusTransaction,
    /// Response signature.
    signature: String,
}

/// A transaction of a list (v1.1 and v2).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ListedTransaction {
    /// The transaction's state.
    error_code: u32,
    /// The status word.
    status: String,
    /// VND.
    amount: i64,
    /// `VND`.
    currency: String,
    /// The partner's order id.
    order_id: String,
    /// Bank code, or empty.
    bank_code: String,
    /// The payment method.
    payment_method: String,
    /// `WEB`.
    payment_type: String,
    /// The gateway's transaction id.
    appotapay_trans_id: String,
    /// Unix seconds.
    transaction_ts: i64,
    /// The order's extraData.
    extra_data: String,
}

/// Query of the transaction lists (v1.1 and v2). A parameter given twice answers 1.
#[derive(Debug, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct TransactionListQuery {
    /// Unix seconds (non-negative).
    start_time: Option<u64>,
    /// Unix seconds, not before startTime; needs startTime.
    end_time: Option<u64>,
    /// A status word.
    status: Option<String>,
    /// A payment method.
    payment_method: Option<String>,
    /// 1 to 50 (default 15).
    limit: Option<u32>,
    /// 1 to 1,000,000 (default 1).
    page: Option<u32>,
}

/// Query of `GET /api/v1.1/orders/transactions`: the list's parameters and their
/// signature.
#[derive(Debug, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct V11ListSignature {
    /// Over the six parameters (absent ones empty), or over those present, sorted.
    signature: String,
}

/// The v1.1 transaction list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V11ListResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// Matching transactions.
    total: i64,
    /// This page.
    page: i64,
    /// This page's transactions.
    transactions: Vec<ListedTransaction>,
}

/// A saved card (snake_case, as AppotaPay spells it).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCard {
    /// `active`.
    status: String,
    /// The token: 16 digits.
    token: String,
    /// Holder name.
    card_name: String,
    /// First 6 and last 4 digits.
    card_number: String,
    /// `MM/YY`, or empty.
    card_date: String,
    /// `ATM_CARD` or `CREDIT_CARD`.
    card_type: String,
}

/// The card an order saved.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenLookupResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// The card.
    token_result: TokenCard,
}

/// `DELETE …/token/delete` (v1.1 and v2).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenDeleteRequest {
    /// The token, as a string or a number.
    #[schema(value_type = String)]
    token: String,
}

// ---------------------------------------------------------------- v2

/// `transaction` of a v2 payment.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2CreateTransaction {
    /// VND, 1,000 to 500,000,000.
    #[schema(minimum = 1000, maximum = 500000000)]
    amount: i64,
    /// `VND`.
    #[schema(value_type = Currency)]
    currency: String,
    /// A bank code, or empty.
    #[schema(max_length = 32)]
    bank_code: Option<String>,
    /// `ATM`, `CC`, `ALL` or `VA`.
    #[schema(value_type = V2Method)]
    payment_method: String,
    /// `PAY`, `PAY_WITH_RETURN_TOKEN` or `PAY_WITH_TOKEN`.
    #[schema(value_type = Action)]
    action: String,
    /// The saved card of a `PAY_WITH_TOKEN` payment.
    #[schema(max_length = 32)]
    token: Option<String>,
}

/// `partnerReference.order`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2Order {
    /// The partner's order id (≤ 50, the v1 form).
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,50}$")]
    id: String,
    /// ≤ 150 characters.
    #[schema(min_length = 1, max_length = 150)]
    info: String,
    /// ≤ 200 characters.
    #[schema(max_length = 200)]
    extra_data: Option<String>,
}

/// `partnerReference.notificationConfig`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2NotificationConfig {
    /// Absolute http(s) URL, ≤ 500.
    #[schema(pattern = "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s]*)?$", max_length = 500)]
    notify_url: String,
    /// Absolute http(s) URL, ≤ 500.
    #[schema(pattern = "^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s]*)?$", max_length = 500)]
    redirect_url: String,
}

/// `partnerReference` of a v2 request.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2PartnerReferenceRequest {
    /// The order.
    order: V2Order,
    /// Where to notify and redirect.
    notification_config: V2NotificationConfig,
}

/// `POST /api/v2/orders/payment` (no body signature: the JWT authenticates).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2CreateRequest {
    /// The payment.
    transaction: V2CreateTransaction,
    /// The partner's order.
    partner_reference: V2PartnerReferenceRequest,
}

/// `transaction` of a v2 creation's answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2CreatedTransaction {
    /// The gateway's transaction id.
    transaction_id: String,
    /// `pending`.
    status: String,
    /// 35.
    error_code: u32,
    /// Its message.
    error_message: String,
    /// The partner.
    partner_code: String,
    /// VND.
    order_amount: i64,
    /// VND.
    amount: i64,
    /// `VND`.
    currency: String,
    /// Bank code, or empty.
    bank_code: String,
    /// The payment method.
    payment_method: String,
    /// The action.
    action: String,
    /// RFC 3339, +07:00.
    created_at: String,
    /// RFC 3339, +07:00.
    updated_at: String,
}

/// `payment.qrCode`.
#[derive(Debug, Serialize, ToSchema)]
pub struct V2QrCode {
    /// The code as a PNG.
    url: String,
    /// The VietQR payload.
    content: String,
    /// Unix seconds.
    expiry: i64,
}

/// `payment` of a v2 creation's answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2Payment {
    /// The hosted payment page.
    url: String,
    /// `VA` payments only (else null).
    qr_code: Option<V2QrCode>,
    /// Empty.
    deep_link_url: String,
}

/// The answer to a v2 payment's creation.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2CreateResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// The transaction.
    transaction: V2CreatedTransaction,
    /// Where the customer pays.
    payment: V2Payment,
}

/// `transaction.fee` (snake_case, as AppotaPay spells it).
#[derive(Debug, Serialize, ToSchema)]
pub struct V2Fee {
    /// 0.
    customer_fee: i64,
}

/// `transaction` of a v2 status answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2Transaction {
    /// The gateway's transaction id.
    transaction_id: String,
    /// Paid transactions only.
    reconciliation_id: Option<String>,
    /// The partner.
    partner_code: String,
    /// The status word.
    status: String,
    /// The transaction's state.
    error_code: u32,
    /// Its message.
    error_message: String,
    /// VND.
    order_amount: i64,
    /// VND.
    amount: i64,
    /// 0.
    discount_amount: i64,
    /// `VND`.
    currency: String,
    /// Bank code, or empty.
    bank_code: String,
    /// The payment method.
    payment_method: String,
    /// The action.
    action: String,
    /// The customer's IP, when known.
    client_ip: Option<String>,
    /// The API version.
    version: Option<String>,
    /// Fees.
    fee: Option<V2Fee>,
    /// RFC 3339, +07:00.
    created_at: String,
    /// RFC 3339, +07:00.
    updated_at: String,
}

/// `partnerReference` of a v2 status answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2PartnerReference {
    /// The order.
    order: V2Order,
}

/// The v2 status answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2StatusResponse {
    /// 0 (the transaction's state is `transaction.errorCode`).
    error_code: u32,
    /// Its message.
    message: String,
    /// The transaction.
    transaction: V2Transaction,
    /// The partner's order.
    partner_reference: V2PartnerReference,
}

/// Query of `GET /api/v2/orders/transaction` (the same keys may come in a JSON
/// body instead).
#[derive(Debug, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(rename_all = "camelCase")]
pub struct V2ReferenceQuery {
    /// A transaction id or the partner's order id (≤ 64 of `A-Z a-z 0-9 - _`).
    reference_id: Option<String>,
    /// `TRANSACTION_ID` (default) or `PARTNER_ORDER_ID`.
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// The JSON body public clients send on `GET /api/v2/orders/transaction` instead
/// of the query (read when the query has no `referenceId`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2ReferenceBody {
    /// A transaction id or the partner's order id.
    reference_id: Option<String>,
    /// `TRANSACTION_ID` (default) or `PARTNER_ORDER_ID`.
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// `pagination` of the v2 list.
#[derive(Debug, Serialize, ToSchema)]
pub struct V2Pagination {
    /// Matching transactions.
    total: i64,
    /// This page.
    page: i64,
    /// Page size.
    limit: i64,
}

/// The v2 transaction list.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2ListResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// The page.
    pagination: V2Pagination,
    /// This page's transactions.
    transactions: Vec<ListedTransaction>,
}

/// `POST /api/v2/transaction/refund`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2RefundRequest {
    /// The partner's refund id (≤ 50, the v1 refundId form).
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,50}$")]
    partner_ref_id: String,
    /// The paid transaction.
    #[schema(min_length = 1, max_length = 64)]
    transaction_id: String,
    /// VND, an integer.
    amount: i64,
    /// `VND`.
    #[schema(value_type = Currency)]
    currency: String,
    /// ≤ 100 characters.
    #[schema(max_length = 100)]
    reason: Option<String>,
}

/// A v2 refund, flat, signed over every other top-level key, sorted.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct V2RefundResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// The gateway's refund id.
    refund_id: String,
    /// The refunded transaction.
    transaction_id: String,
    /// The partner's refund id.
    partner_ref_id: String,
    /// VND.
    amount: i64,
    /// `VND`.
    currency: String,
    /// The reason given.
    reason: String,
    /// `pending`, `processing`, `success` or `error`.
    status: String,
    /// RFC 3339, +07:00.
    created_at: String,
    /// RFC 3339 when paid back, else empty.
    refunded_at: String,
    /// Response signature.
    signature: String,
}

/// Query of `GET /api/v2/transaction/refund/{id}`.
#[derive(Debug, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct V2RefundQuery {
    /// `TRANSACTION_ID` (the gateway's refundId, default) or `PARTNER_ORDER_ID` (the
    /// partner's partnerRefId).
    #[serde(rename = "type")]
    kind: Option<String>,
}

// ---------------------------------------------------------------- sandbox

/// `POST /api/v1/sandbox/transactions/{trans_id}/complete`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompleteRequest {
    /// The outcome: 0, 38, 77 or a decline code.
    error_code: u32,
}

/// A settlement's answer: 0 (HTTP 200), or the order's code when it became
/// something else than asked (HTTP 400, e.g. 77 past its lifetime).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompleteResponse {
    /// 0, or the order's code.
    error_code: u32,
    /// Its message.
    message: String,
    /// The signed redirect the customer is sent to.
    redirect_url: String,
}

/// `POST /api/v1/sandbox/bank-credit`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BankCreditRequest {
    /// VND credited.
    amount: i64,
    /// The transfer's memo: the QR order's appotapayTransId.
    memo: String,
}

/// `POST /api/v1/sandbox/conformance`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConformanceRequest {
    /// A pending order of the partner.
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,50}$")]
    order_id: String,
    /// Send here instead of the order's notifyUrl.
    notify_url: Option<String>,
}

/// `report.counts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConformanceCounts {
    /// Cases passed.
    passed: u64,
    /// Cases failed.
    failed: u64,
    /// Warnings.
    warnings: u64,
}

/// The conformance run's report.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConformanceReport {
    /// The order.
    order_id: String,
    /// Its transaction.
    appotapay_trans_id: String,
    /// Where the cases were sent.
    notify_url: String,
    /// Whether every case that must pass passed.
    passed: bool,
    /// Counts.
    counts: ConformanceCounts,
    /// Whether the order was settled after.
    settled: bool,
    /// Each case: what was sent, the answer, the verdict.
    cases: Vec<serde_json::Value>,
}

/// The answer of a conformance run.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConformanceResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// The report.
    report: ConformanceReport,
}

/// `POST /api/v1/sandbox/delivery-faults`: how the IPNs of one order, or of the
/// partner's next orders, are delivered.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryFaultRequest {
    /// One order's transaction (else the next orders).
    appotapay_trans_id: Option<String>,
    /// How many of the next orders (absent: until cleared).
    next_orders: Option<i64>,
    /// Deliver each IPN twice.
    twice: Option<bool>,
    /// Delay each delivery.
    delay_seconds: Option<i64>,
    /// Lose the first delivery.
    lose_first: Option<bool>,
}

/// A delivery fault script.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryFault {
    /// Its id.
    id: i64,
    /// One order's transaction.
    appotapay_trans_id: Option<String>,
    /// How many of the next orders remain.
    next_orders: Option<i64>,
    /// Deliver twice.
    twice: bool,
    /// Delay, seconds.
    delay_seconds: i64,
    /// Lose the first delivery.
    lose_first: bool,
}

/// A script, added.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryFaultResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// The script.
    fault: DeliveryFault,
}

/// The partner's scripts still to be used.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryFaultsResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// The scripts.
    faults: Vec<DeliveryFault>,
}

/// The scripts, forgotten.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClearedFaultsResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// How many were forgotten.
    cleared: u64,
}

/// `POST /api/v1/sandbox/clock/advance`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdvanceClockRequest {
    /// Seconds to move the partner's test clock ahead.
    seconds: i64,
}

/// The partner's test clock.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClockResponse {
    /// 0.
    error_code: u32,
    /// Its message.
    message: String,
    /// Unix seconds.
    now: i64,
}

// ---------------------------------------------------------------- feeds, ops, admin

/// What a bank feed's webhook answers: `{"success": true}` once recorded, else
/// `{"success": false, "message"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedAnswer {
    /// Whether the transaction is on record.
    success: bool,
    /// Why not.
    message: Option<String>,
}

/// `/healthz`: `{"status": "ok"}`, or `{"status": "unavailable", "failed": "read" |
/// "write"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    status: String,
    /// What failed.
    failed: Option<String>,
}

/// An admin API error: `{"error": "…"}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminError {
    /// What went wrong.
    error: String,
}

/// A bank credit as the admin API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Credit {
    /// Its id.
    id: i64,
    /// The partner whose account was credited.
    partner_code: String,
    /// `sepay` or `casso`.
    provider: String,
    /// The provider's id of the transaction.
    provider_transaction_id: Option<String>,
    /// How it arrived.
    via: String,
    /// The collecting account.
    account: String,
    /// `in` or `out`.
    direction: String,
    /// VND.
    amount: i64,
    /// The transfer's content.
    content: String,
    /// The provider's description.
    description: String,
    /// The provider's reference.
    reference: String,
    /// When the bank booked it, as the provider wrote it.
    booked_at: String,
    /// `received`, `settled`, `open`, `resolved`, `ignored` or `unreadable`.
    status: String,
    /// Why it paid nothing.
    reason: Option<String>,
    /// The transaction it paid, if any.
    appotapay_trans_id: Option<String>,
    /// The operator's note.
    note: Option<String>,
    /// Unix milliseconds.
    received_at_ms: i64,
    /// Unix milliseconds.
    decided_at_ms: Option<i64>,
    /// Unix milliseconds.
    resolved_at_ms: Option<i64>,
    /// The provider's body as received.
    raw: String,
}

/// A page of credits.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditList {
    /// The credits.
    credits: Vec<Credit>,
}

/// Query of `GET /admin/api/v1/credits`.
#[derive(Debug, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreditListQuery {
    /// Only this partner's.
    partner: Option<String>,
    /// Only credits of this status.
    status: Option<String>,
    /// Skip this many (default 0).
    offset: Option<u64>,
    /// 1 to 500 (default 50).
    limit: Option<u32>,
}

/// `POST /admin/api/v1/credits/{id}/resolve`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResolveRequest {
    /// 1 to 1000 characters, no control characters but newlines.
    #[schema(min_length = 1, max_length = 1000)]
    note: String,
}

/// `POST /admin/api/v1/refunds/{refund_id}/by-hand`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ByHandRequest {
    /// `success` or `error`.
    #[schema(value_type = ByHandStatus)]
    status: String,
}

/// A refund as the admin API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminRefund {
    /// The gateway's refund id.
    refund_id: String,
    /// The partner.
    partner_code: String,
    /// The partner's refund id.
    partner_refund_id: String,
    /// The refunded transaction.
    appotapay_trans_id: String,
    /// VND.
    amount: i64,
    /// Its status.
    status: String,
    /// Unix milliseconds.
    updated_at_ms: i64,
}

/// The refund is not waiting to be paid by hand.
#[derive(Debug, Serialize, ToSchema)]
pub struct ByHandConflict {
    /// What went wrong.
    error: String,
    /// The refund as it is.
    refund: AdminRefund,
}
