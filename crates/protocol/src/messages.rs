//! Typed wire messages of the partner API (spec §5) and the result notifications
//! (spec §6). Field names are camelCase on the wire.
//!
//! Text fields that the real service may fill with values outside our own tables
//! (`paymentMethod` in answers, `appotapayTransId`, `bankCode`) stay `String`, so the
//! SDK keeps working against the real AppotaPay. Optional request strings are empty
//! when absent, which is also how they are signed.

use crate::Amount;
use crate::error::ErrorCode;
use crate::method::PaymentMethod;
use crate::signing::{self, SignatureSpec, Signed};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! signed {
    ($ty:ty, $spec:expr) => {
        impl Signed for $ty {
            const SPEC: &'static SignatureSpec = &$spec;
            fn signature(&self) -> &str {
                &self.signature
            }
            fn set_signature(&mut self, signature: String) {
                self.signature = signature;
            }
        }
    };
}

/// `POST /api/v1/orders/payment/bank` body (spec §5.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankPaymentRequest {
    /// The partner's order id, unique per partner.
    pub order_id: String,
    /// What is paid for, 1..=150 characters.
    pub order_info: String,
    /// Amount in VND.
    pub amount: Amount,
    /// The paying customer's IP address.
    pub client_ip: String,
    /// Where the IPN is POSTed.
    pub notify_url: String,
    /// Where the customer's browser is sent after payment.
    pub redirect_url: String,
    /// `ATM`, `CC` or `ALL`.
    pub payment_method: PaymentMethod,
    /// A bank code valid for the method, or empty to let the customer choose.
    #[serde(default)]
    pub bank_code: String,
    /// Opaque data echoed back in the notifications.
    #[serde(default)]
    pub extra_data: String,
    /// Request signature.
    #[serde(default)]
    pub signature: String,
}
signed!(BankPaymentRequest, signing::BANK_PAYMENT_REQUEST);

/// Answer to a bank payment request (spec §5.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankPaymentResponse {
    /// 0 on success.
    pub error_code: ErrorCode,
    /// Message of `error_code`.
    pub message: String,
    /// The partner's order id.
    pub order_id: String,
    /// Amount in VND.
    pub amount: Amount,
    /// The hosted checkout URL to send the customer to.
    pub payment_url: String,
    /// Response signature.
    pub signature: String,
}
signed!(BankPaymentResponse, signing::BANK_PAYMENT_RESPONSE);

/// `POST /api/v1/orders/payment/qr` body (spec §5.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QrPaymentRequest {
    /// The partner's order id, unique per partner.
    pub order_id: String,
    /// What is paid for, 1..=150 characters.
    pub order_info: String,
    /// Amount in VND.
    pub amount: Amount,
    /// The paying customer's IP address.
    pub client_ip: String,
    /// Where the IPN is POSTed.
    pub notify_url: String,
    /// Where the customer's browser is sent after payment; empty for none.
    #[serde(default)]
    pub redirect_url: String,
    /// Opaque data echoed back in the notifications.
    #[serde(default)]
    pub extra_data: String,
    /// Request signature.
    #[serde(default)]
    pub signature: String,
}
signed!(QrPaymentRequest, signing::QR_PAYMENT_REQUEST);

/// The QR part of a QR payment answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QrData {
    /// URL of a PNG image of the QR code.
    pub qr_code_url: String,
    /// Unix time (seconds) at which the QR stops being payable.
    pub qr_code_expiry_in: i64,
}

/// Answer to a QR payment request (spec §5.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QrPaymentResponse {
    /// 0 on success.
    pub error_code: ErrorCode,
    /// Message of `error_code`.
    pub message: String,
    /// The partner's order id.
    pub order_id: String,
    /// Amount in VND.
    pub amount: Amount,
    /// The hosted QR page.
    pub payment_url: String,
    /// The gateway's transaction id, also the transfer memo.
    pub appotapay_trans_id: String,
    /// QR image and expiry.
    pub qr_data: QrData,
    /// Response signature.
    pub signature: String,
}
signed!(QrPaymentResponse, signing::QR_PAYMENT_RESPONSE);

/// `POST /api/v1/orders/transaction/bank/status` body (spec §5.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusRequest {
    /// The partner's order id.
    pub order_id: String,
    /// Request signature (over `orderId` alone).
    #[serde(default)]
    pub signature: String,
}
signed!(StatusRequest, signing::STATUS_REQUEST);

/// Masked card data of a card payment (not signed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CardInfo {
    /// First 6 and last 4 digits, the rest masked.
    pub card_number: String,
    /// Expiry (CC) or issue date (ATM), `MM/YY`.
    pub card_date: String,
    /// Holder name as entered.
    pub card_name: String,
    /// Issuing country, ISO 3166-1 alpha-2.
    pub country_code: String,
}

/// Answer of the status API. `error_code` is the transaction's state: 0 success,
/// 35 pending, 34 processing, 77 expired, 38 cancelled, or a decline code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    /// Transaction state as an error code.
    pub error_code: ErrorCode,
    /// Message of `error_code`.
    pub message: String,
    /// The partner code.
    pub partner_code: String,
    /// The partner's API key.
    pub api_key: String,
    /// Amount in VND.
    pub amount: Amount,
    /// Always `VND`.
    pub currency: String,
    /// The partner's order id.
    pub order_id: String,
    /// Bank code used (empty when none was chosen yet).
    pub bank_code: String,
    /// Payment method used.
    pub payment_method: String,
    /// Always `WEB`.
    pub payment_type: String,
    /// The gateway's transaction id.
    pub appotapay_trans_id: String,
    /// Unix time of the transaction's last change.
    pub transaction_ts: i64,
    /// The partner's extra data.
    pub extra_data: String,
    /// Masked card data, present only for card (CC) payments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_info: Option<CardInfo>,
    /// Response signature.
    pub signature: String,
}
signed!(StatusResponse, signing::STATUS_RESPONSE);

/// The payment result sent to the partner, as IPN body (JSON) and as redirect query
/// (spec §6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentNotification {
    /// The outcome: 0 success, otherwise the failure code.
    pub error_code: ErrorCode,
    /// Message of `error_code`.
    pub message: String,
    /// The partner code.
    pub partner_code: String,
    /// The partner's API key.
    pub api_key: String,
    /// Amount in VND.
    pub amount: Amount,
    /// Always `VND`.
    pub currency: String,
    /// The partner's order id.
    pub order_id: String,
    /// Bank code used (may be absent on the wire: empty).
    #[serde(default)]
    pub bank_code: String,
    /// Payment method used.
    pub payment_method: String,
    /// Always `WEB`.
    pub payment_type: String,
    /// The gateway's transaction id.
    pub appotapay_trans_id: String,
    /// Unix time of settlement.
    pub transaction_ts: i64,
    /// The partner's extra data (may be absent on the wire: empty).
    #[serde(default)]
    pub extra_data: String,
    /// Notification signature.
    pub signature: String,
}
signed!(PaymentNotification, signing::NOTIFICATION);

impl PaymentNotification {
    /// The notification as ordered `(key, value)` pairs with raw values, for a
    /// redirect query string.
    pub fn to_pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("partnerCode", self.partner_code.clone()),
            ("apiKey", self.api_key.clone()),
            ("amount", self.amount.to_string()),
            ("currency", self.currency.clone()),
            ("orderId", self.order_id.clone()),
            ("bankCode", self.bank_code.clone()),
            ("paymentMethod", self.payment_method.clone()),
            ("paymentType", self.payment_type.clone()),
            ("appotapayTransId", self.appotapay_trans_id.clone()),
            ("errorCode", self.error_code.code().to_string()),
            ("message", self.message.clone()),
            ("transactionTs", self.transaction_ts.to_string()),
            ("extraData", self.extra_data.clone()),
            ("signature", self.signature.clone()),
        ]
    }
}

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

/// An error answer: `{"errorCode": N, "message": "…"}`, unsigned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The error code.
    pub error_code: ErrorCode,
    /// Its message.
    pub message: String,
}

/// Messages of the sandbox test-helper API (spec §7), never present in production.
pub mod sandbox {
    use crate::Amount;
    use crate::error::ErrorCode;
    use serde::{Deserialize, Serialize};

    /// `POST /api/v1/sandbox/transactions/{appotapayTransId}/complete` body.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct CompleteRequest {
        /// 0 to settle as success; a decline code, 38 or 77 to fail it.
        pub error_code: ErrorCode,
    }

    /// Answer of the complete helper.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct CompleteResponse {
        /// 0 when the transaction was settled.
        pub error_code: ErrorCode,
        /// Message of `error_code`.
        pub message: String,
        /// The signed redirect URL the customer's browser is sent to (empty when the
        /// order has no redirect URL).
        pub redirect_url: String,
    }

    /// `POST /api/v1/sandbox/bank-credit` body: a simulated credit on the collecting
    /// account.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct BankCreditRequest {
        /// Credited amount in VND.
        pub amount: Amount,
        /// Transfer memo: the appotapayTransId.
        pub memo: String,
    }

    /// Answer of the bank-credit helper: the same fields as [`CompleteResponse`], the
    /// credit having settled the QR order its memo names.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct BankCreditResponse {
        /// 0 when the credit paid the order.
        pub error_code: ErrorCode,
        /// Message of `error_code`.
        pub message: String,
        /// The signed redirect URL the customer's browser is sent to (empty when the
        /// order has no redirect URL; may be absent on the wire: empty).
        #[serde(default)]
        pub redirect_url: String,
    }

    impl From<CompleteResponse> for BankCreditResponse {
        fn from(r: CompleteResponse) -> BankCreditResponse {
            BankCreditResponse { error_code: r.error_code, message: r.message, redirect_url: r.redirect_url }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sandbox::{BankCreditRequest, BankCreditResponse, CompleteResponse};
    use super::*;

    #[test]
    fn refund_status_round_trip() {
        for st in RefundStatus::ALL {
            assert_eq!(RefundStatus::parse(st.as_str()), Some(st));
            assert_eq!(st.as_str().parse::<RefundStatus>(), Ok(st));
            assert_eq!(st.to_string(), st.as_str());
            let json = serde_json::to_string(&st).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", st.as_str()));
            assert_eq!(serde_json::from_str::<RefundStatus>(&json).ok(), Some(st));
        }
        let names: Vec<&str> = RefundStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["pending", "processing", "success", "error"]);
        for bad in ["", "done", "Success", "SUCCESS", " success", "success "] {
            assert_eq!(RefundStatus::parse(bad), None, "{bad:?}");
            assert_eq!(bad.parse::<RefundStatus>(), Err(UnknownRefundStatus));
        }
    }

    #[test]
    fn refund_type_round_trip() {
        for t in RefundType::ALL {
            assert_eq!(RefundType::parse(t.as_str()), Some(t));
            assert_eq!(t.as_str().parse::<RefundType>(), Ok(t));
            assert_eq!(t.to_string(), t.as_str());
            let json = serde_json::to_string(&t).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", t.as_str()));
            assert_eq!(serde_json::from_str::<RefundType>(&json).ok(), Some(t));
        }
        assert_eq!(RefundType::Total.as_str(), "total");
        assert_eq!(RefundType::Partial.as_str(), "partial");
        for bad in ["", "all", "Total", "full"] {
            assert_eq!(RefundType::parse(bad), None, "{bad:?}");
            assert_eq!(bad.parse::<RefundType>(), Err(UnknownRefundType));
        }
    }

    #[test]
    fn bank_credit_json() {
        let req = BankCreditRequest { amount: crate::Amount::vnd(79_000), memo: "AP000000000002".into() };
        assert_eq!(serde_json::to_string(&req).ok().as_deref(), Some(r#"{"amount":79000,"memo":"AP000000000002"}"#));
        let complete = CompleteResponse {
            error_code: ErrorCode::SUCCESS,
            message: "Success".into(),
            redirect_url: "https://shop.example/return?x=1".into(),
        };
        let credit = BankCreditResponse::from(complete.clone());
        assert_eq!(serde_json::to_string(&credit).ok(), serde_json::to_string(&complete).ok(), "the same JSON");
        assert_eq!(
            serde_json::to_string(&credit).ok().as_deref(),
            Some(r#"{"errorCode":0,"message":"Success","redirectUrl":"https://shop.example/return?x=1"}"#)
        );
        let bare: BankCreditResponse =
            serde_json::from_str(r#"{"errorCode":32,"message":"Invalid amount"}"#).unwrap_or(credit);
        assert_eq!((bare.error_code, bare.redirect_url.as_str()), (ErrorCode(32), ""));
    }
}
