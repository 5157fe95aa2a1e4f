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

mod refunds;
pub use refunds::*;

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

    /// `POST /api/v1/sandbox/conformance` body: run the IPN conformance cases against
    /// the merchant's IPN URL for one of its pending orders.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ConformanceRequest {
        /// The partner's orderId (or the appotapayTransId) of a pending order.
        pub order_id: String,
        /// Send to this URL instead of the order's notifyUrl.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub notify_url: Option<String>,
    }

    /// What one conformance case got back.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct CaseAnswer {
        /// The HTTP status, if an answer came.
        pub http_status: Option<u16>,
        /// The start of the answer's body.
        pub body: String,
        /// Why no (complete) answer came.
        pub error: Option<String>,
        /// HTTP 200 with `{"status":"ok"}`.
        pub acknowledged: bool,
        /// How long it took.
        pub elapsed_ms: u64,
    }

    /// A warning about an answer's form.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct CaseWarning {
        /// 12 (slow), 13 (200 with another body), 14 (redirect).
        pub number: u8,
        /// What it means.
        pub text: String,
    }

    /// One conformance case as it ran.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct CaseReport {
        /// The case's number (1–11, 15).
        pub number: u8,
        /// Its identifier.
        pub id: String,
        /// What it sent, in words.
        pub title: String,
        /// `must acknowledge`, `must not acknowledge` or `observed`.
        pub expect: String,
        /// `pass`, `fail` or `warning`.
        pub verdict: String,
        /// The body sent.
        pub sent: String,
        /// What came back.
        pub answer: CaseAnswer,
        /// Warnings about the answer's form.
        pub warnings: Vec<CaseWarning>,
        /// The fix, when the verdict is not a pass.
        pub hint: Option<String>,
    }

    /// Counts of a conformance run.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    pub struct ConformanceCounts {
        /// Cases that passed.
        pub passed: usize,
        /// Cases that failed.
        pub failed: usize,
        /// Cases with a warning.
        pub warnings: usize,
    }

    /// A conformance run's report.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ConformanceReport {
        /// The partner's orderId.
        pub order_id: String,
        /// The order.
        pub appotapay_trans_id: String,
        /// Where the notifications went.
        pub notify_url: String,
        /// Whether every case that must pass passed.
        pub passed: bool,
        /// Counts.
        pub counts: ConformanceCounts,
        /// Whether the order was then settled as a success (its real IPN follows).
        pub settled: bool,
        /// Every case, in the order sent.
        pub cases: Vec<CaseReport>,
    }

    /// Answer of `POST /api/v1/sandbox/conformance`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ConformanceResponse {
        /// 0 when the run happened (whatever its verdict).
        pub error_code: ErrorCode,
        /// Message of `error_code`.
        pub message: String,
        /// The report.
        pub report: ConformanceReport,
    }

    /// `POST /api/v1/sandbox/delivery-faults` body: how the IPNs of one order, or of
    /// the partner's next orders, are delivered.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct DeliveryFaultRequest {
        /// One order's IPNs; absent: the partner's next orders.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub appotapay_trans_id: Option<String>,
        /// Next orders: how many (absent: until cleared).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub next_orders: Option<i64>,
        /// Deliver twice.
        #[serde(default)]
        pub twice: bool,
        /// Deliver this many seconds late (0 to 86 400).
        #[serde(default)]
        pub delay_seconds: i64,
        /// Lose the first attempt (recorded, never sent).
        #[serde(default)]
        pub lose_first: bool,
    }

    /// A delivery fault script on record.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct DeliveryFault {
        /// Its id.
        pub id: i64,
        /// The script.
        #[serde(flatten)]
        pub script: DeliveryFaultRequest,
    }

    /// Answer of `POST /api/v1/sandbox/delivery-faults`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct DeliveryFaultResponse {
        /// 0 when recorded.
        pub error_code: ErrorCode,
        /// Message of `error_code`.
        pub message: String,
        /// The script recorded.
        pub fault: DeliveryFault,
    }

    /// Answer of `GET /api/v1/sandbox/delivery-faults`.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct DeliveryFaultsResponse {
        /// 0.
        pub error_code: ErrorCode,
        /// Message of `error_code`.
        pub message: String,
        /// The scripts still to be used.
        pub faults: Vec<DeliveryFault>,
    }

    /// `POST /api/v1/sandbox/clock/advance` body.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
    pub struct AdvanceClockRequest {
        /// How far ahead, seconds (1 to 30 days).
        pub seconds: i64,
    }

    /// Answer of `GET /api/v1/sandbox/clock` and of an advance.
    #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct ClockResponse {
        /// 0.
        pub error_code: ErrorCode,
        /// Message of `error_code`.
        pub message: String,
        /// The partner's test clock, unix seconds.
        pub now: i64,
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
