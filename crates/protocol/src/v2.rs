//! AppotaPay API v2 (`/api/v2/...`): nested bodies, the JWT as the only
//! authentication of requests, and notifications as a signed base64 envelope.
//!
//! A v2 redirect or IPN is `{"data", "signature", "time"}`: `data` is the base64 of
//! the PHP-style JSON payload ([`Payload`]), `signature` the hex HMAC-SHA256 of the
//! `data` text exactly as sent, and `time` (unix seconds) is not signed. Everything
//! in the payload, `tokenResult` included (a JSON string inside the JSON), is
//! therefore covered. [`Envelope::seal`] builds one, [`Envelope::open`] checks one.
//!
//! AppotaPay's Postman collection asserts a top-level `errorCode` of 0 on the
//! create, status and refund answers, so these carry `errorCode` and `message` beside
//! the documented objects; the refund answer is flat and signed over every top-level
//! key ([`crate::v11::all_keys_data`]).

use crate::error::ErrorCode;
use crate::signing::{self, SecretKey, SignatureError};
use crate::{Amount, php_json};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::v11::{Action, ListedTransaction, TokenDeleteRequest};

/// Largest `partnerReference.order.id`.
pub const MAX_ORDER_ID_CHARS: usize = 50;
/// Largest `partnerReference.order.info`.
pub const MAX_ORDER_INFO_CHARS: usize = 150;
/// Largest `partnerReference.order.extraData`.
pub const MAX_EXTRA_DATA_CHARS: usize = 200;
/// Largest notify and redirect URL (AppotaPay's skills material; its docs say 100).
pub const MAX_URL_CHARS: usize = 500;
/// Smallest v2 amount, VND.
pub const MIN_AMOUNT: i64 = 1_000;
/// Largest v2 amount, VND.
pub const MAX_AMOUNT: i64 = 500_000_000;
/// Largest `partnerRefId` of a refund.
pub const MAX_PARTNER_REF_ID_CHARS: usize = 50;
/// Largest refund `reason`.
pub const MAX_REASON_CHARS: usize = 100;
/// The `version` of v2 payloads.
pub const VERSION: &str = "2.0";

/// `transaction` of a create request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTransaction {
    /// VND, 1,000 to 500,000,000.
    pub amount: Amount,
    /// `VND`.
    pub currency: String,
    /// Bank code, or empty to let the customer choose.
    #[serde(default)]
    pub bank_code: String,
    /// `ATM`, `CC`, `ALL`, …
    pub payment_method: String,
    /// The action.
    pub action: Action,
    /// The saved token (`PAY_WITH_TOKEN`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// `partnerReference.order`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderReference {
    /// The partner's order id.
    pub id: String,
    /// What is paid for.
    pub info: String,
    /// Extra data.
    #[serde(default)]
    pub extra_data: String,
}

/// `partnerReference.notificationConfig`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationConfig {
    /// IPN URL.
    pub notify_url: String,
    /// Redirect URL.
    pub redirect_url: String,
    /// Installment IPN URL (not used by this gateway).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installment_notify_url: Option<String>,
}

/// `partnerReference`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartnerReference {
    /// The order.
    pub order: OrderReference,
    /// Where the results go (absent in answers and payloads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_config: Option<NotificationConfig>,
}

/// `POST /api/v2/orders/payment` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateRequest {
    /// The payment.
    pub transaction: CreateTransaction,
    /// The partner's order and URLs.
    pub partner_reference: PartnerReference,
}

/// `fee` of a transaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    /// The customer's fee, VND.
    pub customer_fee: i64,
}

/// A v2 transaction as the status answer and the notifications show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transaction {
    /// The gateway's transaction id.
    pub transaction_id: String,
    /// The settlement id (successful transactions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconciliation_id: Option<String>,
    /// Partner code.
    pub partner_code: String,
    /// `pending`, `processing`, `success`, `error`, `cancelled`, `expired`, `refunded`.
    pub status: String,
    /// The state as a code.
    pub error_code: ErrorCode,
    /// Its message.
    pub error_message: String,
    /// The order's amount.
    pub order_amount: Amount,
    /// The amount paid (no fees here: the same).
    pub amount: Amount,
    /// Discount, VND.
    pub discount_amount: i64,
    /// `VND`.
    pub currency: String,
    /// Bank code (empty until chosen).
    #[serde(default)]
    pub bank_code: String,
    /// Method.
    pub payment_method: String,
    /// The action.
    pub action: String,
    /// The customer's IP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<String>,
    /// `2.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Fees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<Fee>,
    /// RFC 3339, +07:00.
    pub created_at: String,
    /// RFC 3339, +07:00.
    pub updated_at: String,
}

/// The decoded `data` of a v2 redirect or IPN.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payload {
    /// The transaction.
    pub transaction: Transaction,
    /// The partner's order.
    pub partner_reference: PartnerReference,
    /// The saved card as PHP-style JSON text ([`crate::v11::TokenResult`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_result: Option<String>,
}

impl Payload {
    /// The parsed `tokenResult`.
    pub fn token(&self) -> Option<crate::v11::TokenResult> {
        self.token_result.as_deref().and_then(crate::v11::TokenResult::parse)
    }
}

/// A v2 redirect or IPN.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// base64 of the PHP-style JSON payload.
    pub data: String,
    /// hex HMAC-SHA256 of `data`.
    pub signature: String,
    /// Unix seconds; not signed.
    pub time: i64,
}

/// Why an envelope was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// The signature does not verify.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// `data` is not base64 of a payload.
    #[error("data is not the base64 of a v2 payload")]
    Data,
}

impl Envelope {
    /// Encodes and signs a payload.
    pub fn seal(payload: &Payload, key: &SecretKey, time: i64) -> Envelope {
        Envelope::seal_text(&php_json::encode(payload), key, time)
    }

    /// Encodes and signs a payload already written as JSON text.
    pub fn seal_text(json: &str, key: &SecretKey, time: i64) -> Envelope {
        let data = STANDARD.encode(json.as_bytes());
        let signature = signing::sign_data(key, &data);
        Envelope { data, signature, time }
    }

    /// Verifies the signature over `data` as received (constant time), then decodes.
    pub fn open(&self, key: &SecretKey) -> Result<Payload, EnvelopeError> {
        signing::verify_data(key, &self.data, &self.signature)?;
        let bytes = STANDARD.decode(self.data.as_bytes()).map_err(|_| EnvelopeError::Data)?;
        serde_json::from_slice(&bytes).map_err(|_| EnvelopeError::Data)
    }

    /// Reads an envelope from a redirect's query string: `data` is percent-decoded
    /// (a `+` that arrived raw is taken as a space by form decoding, so the gateway
    /// always percent-encodes it).
    pub fn from_query(query: &str) -> Option<Envelope> {
        let mut data = None;
        let mut signature = None;
        let mut time = 0;
        for (k, v) in url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
            match &*k {
                "data" => data = Some(v.into_owned()),
                "signature" => signature = Some(v.into_owned()),
                "time" => time = v.parse().unwrap_or(0),
                _ => {}
            }
        }
        Some(Envelope { data: data?, signature: signature?, time })
    }

    /// The envelope as `(key, value)` pairs of a redirect query.
    pub fn to_pairs(&self) -> [(&'static str, String); 3] {
        [("data", self.data.clone()), ("signature", self.signature.clone()), ("time", self.time.to_string())]
    }
}

/// `payment.qrCode` of a create answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QrCode {
    /// Image URL.
    pub url: String,
    /// The EMVCo payload.
    pub content: String,
    /// Unix seconds at which it stops being payable.
    pub expiry: i64,
}

/// `payment` of a create answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Payment {
    /// The hosted checkout (`/v2/bank/payment/process?…&lang=`).
    pub url: String,
    /// The QR code (QR methods), else `null`.
    pub qr_code: Option<QrCode>,
    /// A mobile deep link (none here: empty).
    pub deep_link_url: String,
}

/// The create answer's `transaction`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedTransaction {
    /// The gateway's transaction id.
    pub transaction_id: String,
    /// `pending`.
    pub status: String,
    /// 35.
    pub error_code: ErrorCode,
    /// Its message.
    pub error_message: String,
    /// Partner code.
    pub partner_code: String,
    /// VND.
    pub order_amount: Amount,
    /// VND.
    pub amount: Amount,
    /// `VND`.
    pub currency: String,
    /// Bank code or empty.
    pub bank_code: String,
    /// Method.
    pub payment_method: String,
    /// The action.
    pub action: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

/// `POST /api/v2/orders/payment` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateResponse {
    /// 0.
    pub error_code: ErrorCode,
    /// Its message.
    pub message: String,
    /// The transaction.
    pub transaction: CreatedTransaction,
    /// Where the customer pays.
    pub payment: Payment,
}

/// `GET /api/v2/orders/transaction` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    /// 0 (the transaction's own state is `transaction.errorCode`).
    pub error_code: ErrorCode,
    /// Its message.
    pub message: String,
    /// The transaction.
    pub transaction: Transaction,
    /// The partner's order.
    pub partner_reference: PartnerReference,
}

/// `pagination` of the list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pagination {
    /// Matching transactions.
    pub total: i64,
    /// This page, from 1.
    pub page: i64,
    /// Page size.
    pub limit: i64,
}

/// `GET /api/v2/orders/transactions` answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse {
    /// 0.
    pub error_code: ErrorCode,
    /// Its message.
    pub message: String,
    /// Paging.
    pub pagination: Pagination,
    /// The page's transactions (v1 names), newest first.
    pub transactions: Vec<ListedTransaction>,
}

/// `POST /api/v2/transaction/refund` body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRequest {
    /// The partner's unique refund id.
    pub partner_ref_id: String,
    /// The transaction to refund.
    pub transaction_id: String,
    /// VND, at least 1,000.
    pub amount: Amount,
    /// `VND`.
    pub currency: String,
    /// Why.
    pub reason: String,
}

/// A v2 refund answer (create and detail): flat, signed over every top-level key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundResponse {
    /// 0.
    pub error_code: ErrorCode,
    /// Its message.
    pub message: String,
    /// The gateway's refund id.
    pub refund_id: String,
    /// The refunded transaction.
    pub transaction_id: String,
    /// The partner's refund id.
    pub partner_ref_id: String,
    /// VND.
    pub amount: Amount,
    /// `VND`.
    pub currency: String,
    /// Why.
    pub reason: String,
    /// `pending`, `processing`, `success`, `error`.
    pub status: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, or empty until refunded.
    pub refunded_at: String,
    /// HMAC over every other top-level key, sorted.
    #[serde(default)]
    pub signature: String,
}

impl RefundResponse {
    /// Signs the answer over every top-level key but `signature`.
    pub fn signed(mut self, key: &SecretKey) -> RefundResponse {
        self.signature = String::new();
        let v = serde_json::to_value(&self).unwrap_or(Value::Null);
        self.signature = signing::sign_data(key, &crate::v11::all_keys_data(&v));
        self
    }

    /// Verifies the signature of an answer as received.
    pub fn verify_json(key: &SecretKey, answer: &Value) -> Result<(), SignatureError> {
        let sig = answer.get("signature").and_then(Value::as_str).unwrap_or("");
        signing::verify_data(key, &crate::v11::all_keys_data(answer), sig)
    }
}

/// One wrong field of a v2 error answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// Its path, e.g. `transaction.amount`.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

/// A v2 error answer: `{"errorCode", "message", "errors": [...]}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The code.
    pub error_code: ErrorCode,
    /// Its message.
    pub message: String,
    /// The wrong fields (may be empty).
    #[serde(default)]
    pub errors: Vec<FieldProblem>,
}

/// Unix milliseconds as RFC 3339 in Vietnam's time (`+07:00`, no daylight saving),
/// as AppotaPay writes `createdAt` and `updatedAt`.
///
/// ```
/// assert_eq!(appotapay_protocol::v2::rfc3339_vn(1_726_029_136_000), "2024-09-11T11:32:16+07:00");
/// ```
pub fn rfc3339_vn(ms: i64) -> String {
    let secs = ms.div_euclid(1000) + 7 * 3600;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+07:00", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Days since 1970-01-01 as (year, month, day) in the proleptic Gregorian calendar
/// (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339_vn(0), "1970-01-01T07:00:00+07:00");
        assert_eq!(rfc3339_vn(951_782_400_000), "2000-02-29T07:00:00+07:00");
        assert_eq!(rfc3339_vn(1_726_029_160_000), "2024-09-11T11:32:40+07:00");
    }

    #[test]
    fn envelope_round_trip_and_tamper() {
        let key = SecretKey::new("k");
        let json = r#"{"transaction":{"transactionId":"AP1","partnerCode":"P","status":"success","errorCode":0,"errorMessage":"ok","orderAmount":1000,"amount":1000,"discountAmount":0,"currency":"VND","bankCode":"","paymentMethod":"ATM","action":"PAY","createdAt":"","updatedAt":""},"partnerReference":{"order":{"id":"o","info":"i","extraData":""}}}"#;
        let env = Envelope::seal_text(json, &key, 1);
        let p = env.open(&key).expect("opens");
        assert_eq!(p.transaction.transaction_id, "AP1");
        let mut bad = env.clone();
        bad.data.insert(0, 'e');
        assert!(matches!(bad.open(&key), Err(EnvelopeError::Signature(SignatureError::Mismatch))));
        assert!(env.open(&SecretKey::new("other")).is_err());
        let q = format!(
            "data={}&signature={}&time=1",
            url::form_urlencoded::byte_serialize(env.data.as_bytes()).collect::<String>(),
            env.signature
        );
        assert_eq!(Envelope::from_query(&q), Some(env));
    }
}
