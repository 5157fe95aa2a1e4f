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
