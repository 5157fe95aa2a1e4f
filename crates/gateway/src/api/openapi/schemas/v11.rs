//! The OpenAPI schemas (documentation only) of API v1.1 (docs §13): the bank
//! payment with `action` and `token`, the nested status, the list, the token calls.

#![allow(dead_code)]

use super::{Action, CardMethod};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

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
