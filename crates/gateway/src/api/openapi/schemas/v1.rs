//! The OpenAPI schemas (documentation only, see the parent module) of API v1.0
//! (spec §5): payments, status, refunds.

#![allow(dead_code)]

use super::CardMethod;
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

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
