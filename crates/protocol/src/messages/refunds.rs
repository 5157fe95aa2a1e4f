//! The refund messages (spec §5.4): the request, a refund's data and status, the
//! refunds of an order and the paginated list.

use crate::Amount;
use crate::error::ErrorCode;
use crate::signing::{self, SignatureSpec, Signed};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// `POST /api/v1/transaction/refund` body (spec §5.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRequest {
    /// The partner's unique refund id.
    pub refund_id: String,
    /// The transaction to refund.
    pub appotapay_trans_id: String,
    /// Amount to refund in VND.
    pub amount: Amount,
    /// Why.
    pub reason: String,
    /// Request signature.
    #[serde(default)]
    pub signature: String,
}
signed!(RefundRequest, signing::REFUND_REQUEST);

/// State of a refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RefundStatus {
    /// Accepted, not yet sent to the bank.
    Pending,
    /// Sent to the bank, waiting for its answer.
    Processing,
    /// Refunded.
    Success,
    /// The bank refused it.
    Error,
}

impl RefundStatus {
    /// Every refund status, in the order a refund goes through them.
    pub const ALL: [RefundStatus; 4] =
        [RefundStatus::Pending, RefundStatus::Processing, RefundStatus::Success, RefundStatus::Error];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Pending => "pending",
            RefundStatus::Processing => "processing",
            RefundStatus::Success => "success",
            RefundStatus::Error => "error",
        }
    }

    /// Parses a wire value (`pending`, `processing`, `success`, `error`; exact,
    /// case-sensitive).
    ///
    /// ```
    /// use appotapay_protocol::messages::RefundStatus;
    /// assert_eq!(RefundStatus::parse("success"), Some(RefundStatus::Success));
    /// assert_eq!(RefundStatus::parse("Success"), None);
    /// ```
    pub fn parse(s: &str) -> Option<RefundStatus> {
        RefundStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for RefundStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Text that is not a refund status.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a refund status is pending, processing, success or error")]
pub struct UnknownRefundStatus;

impl FromStr for RefundStatus {
    type Err = UnknownRefundStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RefundStatus::parse(s).ok_or(UnknownRefundStatus)
    }
}

/// One refund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundData {
    /// The refunded transaction.
    pub appotapay_trans_id: String,
    /// The gateway's refund id.
    pub refund_id: String,
    /// The partner's refund id.
    pub refund_original_id: String,
    /// Refunded amount in VND.
    pub amount: Amount,
    /// Why.
    pub reason: String,
    /// Refund state.
    pub status: RefundStatus,
    /// Unix time of the refund's last change.
    pub transaction_ts: i64,
}

/// Answer of the refund and refund-detail APIs (spec §5.4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundResponse {
    /// 0 on success.
    pub error_code: ErrorCode,
    /// Message of `error_code`.
    pub message: String,
    /// The refund.
    pub data: RefundData,
    /// Response signature (`data` flattened).
    pub signature: String,
}
signed!(RefundResponse, signing::REFUND_RESPONSE);

/// `total` when the whole paid amount has been refunded, else `partial`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RefundType {
    /// Fully refunded.
    Total,
    /// Partly refunded.
    Partial,
}

impl RefundType {
    /// Both refund types.
    pub const ALL: [RefundType; 2] = [RefundType::Total, RefundType::Partial];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundType::Total => "total",
            RefundType::Partial => "partial",
        }
    }

    /// Parses a wire value (`total`, `partial`; exact, case-sensitive).
    ///
    /// ```
    /// use appotapay_protocol::messages::RefundType;
    /// assert_eq!(RefundType::parse("partial"), Some(RefundType::Partial));
    /// assert_eq!(RefundType::parse("all"), None);
    /// ```
    pub fn parse(s: &str) -> Option<RefundType> {
        RefundType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for RefundType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Text that is not a refund type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a refund type is total or partial")]
pub struct UnknownRefundType;

impl FromStr for RefundType {
    type Err = UnknownRefundType;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RefundType::parse(s).ok_or(UnknownRefundType)
    }
}

/// The refunds of one order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRefunds {
    /// The gateway's transaction id.
    pub appotapay_trans_id: String,
    /// The partner's order id.
    pub order_id: String,
    /// The order's description.
    pub order_info: String,
    /// The partner code.
    pub partner_code: String,
    /// The paid amount in VND.
    pub amount: Amount,
    /// Bank code used.
    pub bank_code: String,
    /// Payment method used.
    pub payment_method: String,
    /// Total or partial.
    pub refund_type: RefundType,
    /// Unix time of the payment.
    pub transaction_ts: i64,
    /// The refunds, oldest first.
    pub refund_transactions: Vec<RefundData>,
}

/// Answer of `GET /api/v1/transaction/{orderId}/refund` (unsigned: the docs show
/// no signature for it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderRefundsResponse {
    /// 0 on success.
    pub error_code: ErrorCode,
    /// Message of `error_code`.
    pub message: String,
    /// The order and its refunds.
    pub data: OrderRefunds,
}

/// Filters and page of `GET /api/v1/refunds`; `None` fields are not sent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundListQuery {
    /// Filter by transaction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appotapay_trans_id: Option<String>,
    /// Filter by the partner's order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Filter by the gateway's refund id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_id: Option<String>,
    /// Filter by the partner's refund id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_original_id: Option<String>,
    /// Filter by state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<RefundStatus>,
    /// Filter by exact amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    /// Created at or after (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
    /// Created at or before (unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// Filter by the order's refund type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_type: Option<RefundType>,
    /// Page number, from 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    /// Page size, 1..=100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// Paging data of a refund list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundListMeta {
    /// This page, from 1.
    pub page: u32,
    /// Page size.
    pub limit: u32,
    /// Number of matching refunds.
    pub total: u64,
    /// Sum of the matching refunds' amounts.
    pub total_amount: i64,
    /// Number of pages.
    pub pages: u64,
}

/// Answer of `GET /api/v1/refunds` (unsigned).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundListResponse {
    /// 0 on success.
    pub error_code: ErrorCode,
    /// Message of `error_code`.
    pub message: String,
    /// This page of refunds.
    pub data: Vec<RefundData>,
    /// Paging.
    pub meta: RefundListMeta,
}
