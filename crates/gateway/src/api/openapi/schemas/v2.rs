//! The OpenAPI schemas (documentation only) of API v2 (docs §14, §15): nested
//! bodies, the list with `pagination`, flat refunds.

#![allow(dead_code)]

use super::{Action, Currency, ListedTransaction, V2Method};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

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
