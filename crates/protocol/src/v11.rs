//! AppotaPay API v1.1 (`/api/v1.1/...`): the v1.0 family with saved-card tokens.
//!
//! What v1.1 adds is small (an `action`, a `token`, a `tokenResult`), but three of
//! its signatures are not settled by AppotaPay's public material, so each is modelled
//! here with every reading seen in use:
//!
//! - the create request: [`Reading::A`] (every body key but `signature`, sorted),
//!   [`Reading::B`] (the nine v1.0 fields and `token`), [`Reading::C`] (the nine
//!   v1.0 fields). [`verify_create`] tells which one matched;
//! - the create response: [`CREATE_RESPONSE`] (`errorCode`, `message`, which
//!   AppotaPay's own Postman collection checks) or the v1.0 list of five;
//! - the redirect and IPN: the 13 v1.0 fields ([`crate::signing::NOTIFICATION`]) or
//!   the same and `tokenResult` ([`NOTIFICATION_WITH_TOKEN`]).
//!
//! `tokenResult` is a JSON string in PHP `json_encode` style in notifications
//! ([`TokenResult::to_php_json`]), and a plain object (the card alone) in the token
//! lookup's answer.

use crate::error::ErrorCode;
use crate::signing::{self, SecretKey, SignatureError, SignatureSpec, raw_value};
use crate::{Amount, php_json};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The `action` of a v1.1 or v2 payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    /// A plain payment.
    #[serde(rename = "PAY")]
    Pay,
    /// Pay and save the card as a token.
    #[serde(rename = "PAY_WITH_RETURN_TOKEN")]
    PayWithReturnToken,
    /// Pay with a saved token (`token`).
    #[serde(rename = "PAY_WITH_TOKEN")]
    PayWithToken,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 3] = [Action::Pay, Action::PayWithReturnToken, Action::PayWithToken];

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Pay => "PAY",
            Action::PayWithReturnToken => "PAY_WITH_RETURN_TOKEN",
            Action::PayWithToken => "PAY_WITH_TOKEN",
        }
    }

    /// Parses a wire value (exact, case-sensitive).
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The nine v1.0 fields and `token`: reading B of the create request.
pub const CREATE_REQUEST_B: SignatureSpec = SignatureSpec {
    name: "v1.1 bank payment request (nine fields and token)",
    fields: &[
        "amount",
        "bankCode",
        "clientIp",
        "extraData",
        "notifyUrl",
        "orderId",
        "orderInfo",
        "paymentMethod",
        "redirectUrl",
        "token",
    ],
    flatten: &[],
};

/// The v1.1 create answer as AppotaPay's Postman collection checks it.
pub const CREATE_RESPONSE: SignatureSpec =
    SignatureSpec { name: "v1.1 bank payment response", fields: &["errorCode", "message"], flatten: &[] };

/// The v1.1 status answer: 14 fields, `transaction` flattened.
pub const STATUS_RESPONSE: SignatureSpec = SignatureSpec {
    name: "v1.1 status response",
    fields: &[
        "amount",
        "apiKey",
        "appotapayTransId",
        "bankCode",
        "currency",
        "errorCode",
        "extraData",
        "message",
        "orderId",
        "partnerCode",
        "paymentMethod",
        "paymentType",
        "status",
        "transactionTs",
    ],
    flatten: &["transaction"],
};

/// The v1.1 redirect and IPN read as covering `tokenResult` too.
pub const NOTIFICATION_WITH_TOKEN: SignatureSpec = SignatureSpec {
    name: "v1.1 payment notification with tokenResult",
    fields: &[
        "amount",
        "apiKey",
        "appotapayTransId",
        "bankCode",
        "currency",
        "errorCode",
        "extraData",
        "message",
        "orderId",
        "partnerCode",
        "paymentMethod",
        "paymentType",
        "tokenResult",
        "transactionTs",
    ],
    flatten: &[],
};

/// The transaction list's query signature, as the docs print it (every parameter,
/// absent ones empty).
pub const LIST_REQUEST: SignatureSpec = SignatureSpec {
    name: "v1.1 transaction list",
    fields: &["endTime", "limit", "page", "paymentMethod", "startTime", "status"],
    flatten: &[],
};

/// Every v1.1 field list, for tests and documentation.
pub const ALL_SPECS: &[&SignatureSpec] =
    &[&CREATE_REQUEST_B, &CREATE_RESPONSE, &STATUS_RESPONSE, &NOTIFICATION_WITH_TOKEN, &LIST_REQUEST];

/// Which fields a v1.1 create request's signature covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reading {
    /// Every body key but `signature`, sorted (objects as their JSON text).
    A,
    /// The nine v1.0 fields and `token`.
    B,
    /// The nine v1.0 fields.
    C,
}

impl Reading {
    /// Every reading, in the order they are tried.
    pub const ALL: [Reading; 3] = [Reading::A, Reading::B, Reading::C];

    /// The reading's name (`A`, `B`, `C`), as stored with an order.
    pub fn as_str(self) -> &'static str {
        match self {
            Reading::A => "A",
            Reading::B => "B",
            Reading::C => "C",
        }
    }

    /// Parses a name (`A`, `B`, `C`, upper or lower case).
    pub fn parse(s: &str) -> Option<Reading> {
        Reading::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(s))
    }

    /// The signed string of `body` under this reading.
    pub fn data(self, body: &Value) -> String {
        match self {
            Reading::A => all_keys_data(body),
            Reading::B => signing::canonical_data_json(&CREATE_REQUEST_B, body),
            Reading::C => signing::canonical_data_json(&signing::BANK_PAYMENT_REQUEST, body),
        }
    }
}

/// `k=v` over every key of a JSON object except `signature`, sorted in byte order and
/// joined by `&`; nested objects and arrays as their compact JSON text, as
/// AppotaPay's Postman scripts build it (reading A, and the v2 refund answer).
pub fn all_keys_data(body: &Value) -> String {
    let Some(obj) = body.as_object() else { return String::new() };
    let mut keys: Vec<&String> = obj.keys().filter(|k| k.as_str() != "signature").collect();
    keys.sort_unstable();
    let mut out = String::with_capacity(256);
    for (i, k) in keys.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        match &obj[k] {
            v @ (Value::Object(_) | Value::Array(_)) => out.push_str(&v.to_string()),
            v => out.push_str(&raw_value(v)),
        }
    }
    out
}

/// Verifies a create request's `signature` under each of `allowed`, in order, in
/// constant time each; answers the first reading that matched.
pub fn verify_create(key: &SecretKey, body: &Value, allowed: &[Reading]) -> Result<Reading, SignatureError> {
    let sig = body.get("signature").and_then(Value::as_str).unwrap_or("");
    let mut last = SignatureError::Mismatch;
    for reading in allowed {
        match signing::verify_data(key, &reading.data(body), sig) {
            Ok(()) => return Ok(*reading),
            Err(e @ (SignatureError::Missing | SignatureError::Malformed)) => return Err(e),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// A saved card as the token APIs show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenCard {
    /// `active` (a deleted token is never shown).
    pub status: String,
    /// The token: 16 digits.
    pub token: String,
    /// Holder name.
    pub card_name: String,
    /// First 6 and last 4 digits, `x` between.
    pub card_number: String,
    /// Expiry (CC) or issue date (ATM), `MM/YY`, or empty.
    pub card_date: String,
    /// `ATM_CARD` or `CREDIT_CARD`.
    pub card_type: String,
}

/// `tokenResult` of a notification: the outcome of saving the card.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResult {
    /// 0 when the card was saved.
    pub status: i64,
    /// Its message.
    pub message: String,
    /// The saved card.
    pub card: TokenCard,
}

impl TokenResult {
    /// The text notifications carry: PHP `json_encode` style, in the documented key
    /// order.
    ///
    /// ```
    /// use appotapay_protocol::v11::{TokenCard, TokenResult};
    /// let r = TokenResult { status: 0, message: "Thành công".into(), card: TokenCard {
    ///     status: "active".into(), token: "2331123162638222".into(), card_name: "NGUYEN VAN A".into(),
    ///     card_number: "970400xxxxxx0001".into(), card_date: String::new(), card_type: "ATM_CARD".into() } };
    /// assert_eq!(r.to_php_json(), r#"{"status":0,"message":"Th\u00e0nh c\u00f4ng","card":{"status":"active","token":"2331123162638222","card_name":"NGUYEN VAN A","card_number":"970400xxxxxx0001","card_date":"","card_type":"ATM_CARD"}}"#);
    /// ```
    pub fn to_php_json(&self) -> String {
        php_json::encode(self)
    }

    /// Parses the text of a notification's `tokenResult`.
    pub fn parse(text: &str) -> Option<TokenResult> {
        serde_json::from_str(text).ok()
    }
}

/// A v1.1 create request (`POST /api/v1.1/orders/payment/bank`): the v1.0 fields,
/// `action` and `token`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankPaymentRequest {
    /// The partner's order id.
    pub order_id: String,
    /// What is paid for.
    pub order_info: String,
    /// VND.
    pub amount: Amount,
    /// The customer's IP.
    pub client_ip: String,
    /// IPN URL.
    pub notify_url: String,
    /// Redirect URL.
    pub redirect_url: String,
    /// `ATM`, `CC` or `ALL`.
    pub payment_method: String,
    /// Bank code or empty.
    #[serde(default)]
    pub bank_code: String,
    /// Extra data.
    #[serde(default)]
    pub extra_data: String,
    /// The action.
    pub action: Action,
    /// The saved token (`PAY_WITH_TOKEN`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Request signature.
    #[serde(default)]
    pub signature: String,
}

impl BankPaymentRequest {
    /// Signs the request under `reading`.
    pub fn sign(&mut self, key: &SecretKey, reading: Reading) {
        self.signature = String::new();
        let mut v = serde_json::to_value(&*self).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.remove("signature");
        }
        self.signature = signing::sign_data(key, &reading.data(&v));
    }
}

/// The v1.1 create answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BankPaymentResponse {
    /// 0.
    pub error_code: ErrorCode,
    /// Its message.
    pub message: String,
    /// The partner's order id.
    pub order_id: String,
    /// VND.
    pub amount: Amount,
    /// The hosted checkout.
    pub payment_url: String,
    /// Signature (see [`CREATE_RESPONSE`]).
    pub signature: String,
}

/// The `transaction` of a v1.1 status answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusTransaction {
    /// `success`, `pending`, `processing`, `error`, `cancelled`, `expired` or `refunded`.
    pub status: String,
    /// VND.
    pub amount: Amount,
    /// `VND`.
    pub currency: String,
    /// The partner's order id.
    pub order_id: String,
    /// Bank code used.
    pub bank_code: String,
    /// Method used.
    pub payment_method: String,
    /// `WEB`.
    pub payment_type: String,
    /// The gateway's transaction id.
    pub appotapay_trans_id: String,
    /// Unix seconds of the last change.
    pub transaction_ts: i64,
    /// Extra data.
    pub extra_data: String,
}

/// The v1.1 status answer (`POST /api/v1.1/orders/transaction/bank/status`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    /// The transaction's state as a code.
    pub error_code: ErrorCode,
    /// Its message.
    pub message: String,
    /// Partner code.
    pub partner_code: String,
    /// API key.
    pub api_key: String,
    /// The transaction.
    pub transaction: StatusTransaction,
    /// Signature over [`STATUS_RESPONSE`].
    pub signature: String,
}

/// A v1.1 redirect or IPN: the v1.0 fields and `tokenResult`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentNotification {
    /// The v1.0 fields (`signature` among them).
    #[serde(flatten)]
    pub base: crate::messages::PaymentNotification,
    /// The saved card, PHP-style JSON text; absent when no card was saved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_result: Option<String>,
}

impl PaymentNotification {
    /// The signed string under the 13 v1.0 fields, or with `tokenResult`.
    pub fn data(&self, with_token: bool) -> String {
        let spec = if with_token { &NOTIFICATION_WITH_TOKEN } else { &signing::NOTIFICATION };
        signing::canonical_data(spec, self)
    }

    /// Verifies the signature under either reading (13 fields, or 14 with
    /// `tokenResult`); answers whether `tokenResult` was covered.
    pub fn verify(&self, key: &SecretKey) -> Result<bool, SignatureError> {
        let sig = &self.base.signature;
        match signing::verify_data(key, &self.data(false), sig) {
            Ok(()) => Ok(false),
            Err(SignatureError::Mismatch) if self.token_result.is_some() => {
                signing::verify_data(key, &self.data(true), sig).map(|()| true)
            }
            Err(e) => Err(e),
        }
    }

    /// The parsed `tokenResult`.
    pub fn token(&self) -> Option<TokenResult> {
        self.token_result.as_deref().and_then(TokenResult::parse)
    }
}

/// An item of the transaction lists (v1.1 and v2 keep the v1 names).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedTransaction {
    /// The transaction's state as a code.
    pub error_code: ErrorCode,
    /// Its status word.
    pub status: String,
    /// VND.
    pub amount: Amount,
    /// `VND`.
    pub currency: String,
    /// The partner's order id.
    pub order_id: String,
    /// Bank code.
    pub bank_code: String,
    /// Method.
    pub payment_method: String,
    /// `WEB`.
    pub payment_type: String,
    /// The gateway's transaction id.
    pub appotapay_trans_id: String,
    /// Unix seconds of the last change.
    pub transaction_ts: i64,
    /// Extra data.
    pub extra_data: String,
}

/// The v1.1 list answer (`GET /api/v1.1/orders/transactions`), unsigned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse {
    /// 0.
    pub error_code: ErrorCode,
    /// Its message.
    pub message: String,
    /// How many transactions match.
    pub total: i64,
    /// This page (from 1).
    pub page: i64,
    /// The page's transactions, newest first.
    pub transactions: Vec<ListedTransaction>,
}

/// The token lookup's answer (`GET /api/v1.1/token/{orderId}`), unsigned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenLookupResponse {
    /// 0.
    pub error_code: ErrorCode,
    /// Its message.
    pub message: String,
    /// The saved card, as an object.
    pub token_result: TokenCard,
}

/// The token delete request (`DELETE /api/v1.1/token/delete`, and v2's): the
/// token is a string or, as AppotaPay's Postman collection sends it, a number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenDeleteRequest {
    /// The token.
    pub token: String,
}

/// Reads a token given as a JSON string or a non-negative integer.
pub fn token_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        _ => None,
    }
}

/// Whether `token` has the form of a token: 16 ASCII digits.
pub fn is_token(token: &str) -> bool {
    token.len() == 16 && token.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_lists_are_sorted() {
        for spec in ALL_SPECS {
            for pair in spec.fields.windows(2) {
                assert!(pair[0] < pair[1], "{}: {} before {}", spec.name, pair[0], pair[1]);
            }
        }
    }

    #[test]
    fn actions_and_readings_round_trip() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_value(a).ok(), Some(Value::String(a.as_str().into())));
        }
        assert_eq!(Action::parse("pay"), None);
        for r in Reading::ALL {
            assert_eq!(Reading::parse(r.as_str()), Some(r));
        }
        assert_eq!(Reading::parse("b"), Some(Reading::B));
        assert_eq!(Reading::parse("D"), None);
    }

    #[test]
    fn all_keys_stringify_objects_and_skip_the_signature() {
        let v = serde_json::json!({"b": 1, "a": "x", "signature": "s", "o": {"k": 1}, "n": null});
        assert_eq!(all_keys_data(&v), r#"a=x&b=1&n=&o={"k":1}"#);
    }

    #[test]
    fn tokens_as_strings_or_numbers() {
        assert_eq!(token_value(&serde_json::json!(9395866486482725u64)).as_deref(), Some("9395866486482725"));
        assert_eq!(token_value(&serde_json::json!("9395866486482725")).as_deref(), Some("9395866486482725"));
        assert_eq!(token_value(&serde_json::json!(-1)), None);
        assert_eq!(token_value(&serde_json::json!(1.5)), None);
        assert!(is_token("9395866486482725"));
        assert!(!is_token("939586648648272"));
        assert!(!is_token("939586648648272x"));
    }
}
