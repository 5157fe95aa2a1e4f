//! Canonical signing (spec §4): one table of signed field lists, one `data` builder,
//! HMAC-SHA256 signing and constant-time verification.
//!
//! `data` is `k1=v1&k2=v2&…` over the endpoint's documented field list, sorted in byte
//! order; values are raw (no URL encoding), numbers in decimal, absent optionals empty,
//! and nested objects flattened where the docs say so. Every message type names its
//! [`SignatureSpec`]; nothing anywhere writes a data string by hand.

use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;
use std::borrow::Cow;
use std::fmt;

type HmacSha256 = Hmac<Sha256>;

/// The fields an endpoint's signature covers, and which nested objects are flattened.
#[derive(Debug, PartialEq, Eq)]
pub struct SignatureSpec {
    /// A short name for errors and docs.
    pub name: &'static str,
    /// Signed keys, sorted in byte order.
    pub fields: &'static [&'static str],
    /// Top-level objects whose keys are looked up as if they were top-level.
    pub flatten: &'static [&'static str],
}

const NOTIFICATION_FIELDS: &[&str] = &[
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
    "transactionTs",
];

/// `POST /api/v1/orders/payment/bank` request (spec §5.1).
pub const BANK_PAYMENT_REQUEST: SignatureSpec = SignatureSpec {
    name: "bank payment request",
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
    ],
    flatten: &[],
};

/// `POST /api/v1/orders/payment/bank` response (spec §4 decision).
pub const BANK_PAYMENT_RESPONSE: SignatureSpec = SignatureSpec {
    name: "bank payment response",
    fields: &["amount", "errorCode", "message", "orderId", "paymentUrl"],
    flatten: &[],
};

/// `POST /api/v1/orders/payment/qr` request (spec §5.2; TV1).
pub const QR_PAYMENT_REQUEST: SignatureSpec = SignatureSpec {
    name: "QR payment request",
    fields: &["amount", "clientIp", "extraData", "notifyUrl", "orderId", "orderInfo", "redirectUrl"],
    flatten: &[],
};

/// `POST /api/v1/orders/payment/qr` response, `qrData` flattened (spec §5.2).
pub const QR_PAYMENT_RESPONSE: SignatureSpec = SignatureSpec {
    name: "QR payment response",
    fields: &[
        "amount",
        "appotapayTransId",
        "errorCode",
        "message",
        "orderId",
        "paymentUrl",
        "qrCodeExpiryIn",
        "qrCodeUrl",
    ],
    flatten: &["qrData"],
};

/// `POST /api/v1/orders/transaction/bank/status` request (spec §5.3).
pub const STATUS_REQUEST: SignatureSpec = SignatureSpec { name: "status request", fields: &["orderId"], flatten: &[] };

/// Status response: the 13 notification fields; `cardInfo` is not signed (spec §5.3).
pub const STATUS_RESPONSE: SignatureSpec =
    SignatureSpec { name: "status response", fields: NOTIFICATION_FIELDS, flatten: &[] };

/// IPN body and redirect query (spec §6).
pub const NOTIFICATION: SignatureSpec =
    SignatureSpec { name: "payment notification", fields: NOTIFICATION_FIELDS, flatten: &[] };

/// `POST /api/v1/transaction/refund` request (spec §5.4).
pub const REFUND_REQUEST: SignatureSpec = SignatureSpec {
    name: "refund request",
    fields: &["amount", "appotapayTransId", "reason", "refundId"],
    flatten: &[],
};

/// Refund and refund-detail responses, `data` flattened (spec §5.4).
pub const REFUND_RESPONSE: SignatureSpec = SignatureSpec {
    name: "refund response",
    fields: &[
        "amount",
        "appotapayTransId",
        "errorCode",
        "reason",
        "refundId",
        "refundOriginalId",
        "status",
        "transactionTs",
    ],
    flatten: &["data"],
};

/// Every signature spec, for tests and documentation.
pub const ALL_SPECS: &[&SignatureSpec] = &[
    &BANK_PAYMENT_REQUEST,
    &BANK_PAYMENT_RESPONSE,
    &QR_PAYMENT_REQUEST,
    &QR_PAYMENT_RESPONSE,
    &STATUS_REQUEST,
    &STATUS_RESPONSE,
    &NOTIFICATION,
    &REFUND_REQUEST,
    &REFUND_RESPONSE,
];

/// A partner's SECRET_KEY. Its `Debug` output never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    /// Wraps a secret key.
    pub fn new(key: impl Into<String>) -> SecretKey {
        SecretKey(key.into())
    }

    /// The key's text. Keep it out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(***)")
    }
}

impl From<&str> for SecretKey {
    fn from(s: &str) -> Self {
        SecretKey::new(s)
    }
}

impl From<String> for SecretKey {
    fn from(s: String) -> Self {
        SecretKey(s)
    }
}

/// A signature that did not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `signature` was present.
    #[error("the signature is missing")]
    Missing,
    /// The signature is not 64 hex digits.
    #[error("the signature is not 64 hexadecimal digits")]
    Malformed,
    /// The signature does not match the data.
    #[error("the signature does not match")]
    Mismatch,
    /// A signed field appears twice (at top level and inside a flattened object, or
    /// in two flattened objects), so what was signed and what a reader takes could
    /// differ.
    #[error("the signed field {0} appears more than once")]
    Ambiguous(&'static str),
}

/// Builds `data` from a lookup of raw field values. `lookup` answers `None` for an
/// absent field, which is signed as the empty string.
///
/// ```
/// use appotapay_protocol::signing::{canonical_data_with, STATUS_REQUEST};
/// let data = canonical_data_with(&STATUS_REQUEST, |k| (k == "orderId").then(|| "5f5b46cb73fd0".into()));
/// assert_eq!(data, "orderId=5f5b46cb73fd0");
/// ```
pub fn canonical_data_with<'a, F>(spec: &SignatureSpec, mut lookup: F) -> String
where
    F: FnMut(&str) -> Option<Cow<'a, str>>,
{
    let mut out = String::with_capacity(256);
    for (i, field) in spec.fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(field);
        out.push('=');
        if let Some(v) = lookup(field) {
            out.push_str(&v);
        }
    }
    out
}

/// Renders a JSON value the way signatures see it: strings raw, numbers in decimal,
/// booleans as `true`/`false`, `null` as empty. Objects and arrays are never signed
/// values and render empty.
pub fn raw_value(v: &Value) -> Cow<'_, str> {
    match v {
        Value::String(s) => Cow::Borrowed(s.as_str()),
        Value::Number(n) => Cow::Owned(n.to_string()),
        Value::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
        Value::Null | Value::Object(_) | Value::Array(_) => Cow::Borrowed(""),
    }
}

/// Looks a signed field up in a JSON object: at top level, then inside the spec's
/// flattened objects.
pub fn lookup_json<'v>(
    object: &'v serde_json::Map<String, Value>,
    spec: &SignatureSpec,
    field: &str,
) -> Option<&'v Value> {
    object.get(field).filter(|v| !v.is_object()).or_else(|| {
        spec.flatten
            .iter()
            .filter_map(|outer| object.get(*outer).and_then(Value::as_object))
            .find_map(|inner| inner.get(field))
    })
}

/// Builds `data` from a JSON object, as received or as about to be sent.
pub fn canonical_data_json(spec: &SignatureSpec, value: &Value) -> String {
    match value.as_object() {
        Some(obj) => canonical_data_with(spec, |f| lookup_json(obj, spec, f).map(raw_value)),
        None => canonical_data_with(spec, |_| None),
    }
}

/// Builds `data` from any serialisable message.
pub fn canonical_data<T: Serialize + ?Sized>(spec: &SignatureSpec, message: &T) -> String {
    let value = serde_json::to_value(message).unwrap_or(Value::Null);
    canonical_data_json(spec, &value)
}

/// `hex_lowercase(HMAC_SHA256(key, data))`.
///
/// ```
/// use appotapay_protocol::signing::sign_data;
/// use appotapay_protocol::SecretKey;
/// let key = SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3");
/// assert_eq!(
///     sign_data(&key, "orderId=5f5b46cb73fd0"),
///     "0d5395e8bcffd9f2527f4a966440dbbde1a14923b5f8812bd947818f2313e7fc"
/// );
/// ```
pub fn sign_data(key: &SecretKey, data: &str) -> String {
    hex::encode(hmac_bytes(key.expose().as_bytes(), data.as_bytes()))
}

/// Raw HMAC-SHA256 of `msg` under `key`.
pub fn hmac_bytes(key: &[u8], msg: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length; new_from_slice cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    };
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

#[cold]
fn unreachable_hmac() -> ! {
    panic!("HMAC-SHA256 accepts keys of every length")
}

/// Verifies a hex signature over `data` in constant time. Upper- or lower-case hex
/// is accepted.
pub fn verify_data(key: &SecretKey, data: &str, signature: &str) -> Result<(), SignatureError> {
    verify_bytes(key.expose().as_bytes(), data.as_bytes(), signature)
}

/// Verifies a hex HMAC-SHA256 of `msg` under a raw `key`, in constant time.
pub fn verify_bytes(key: &[u8], msg: &[u8], signature: &str) -> Result<(), SignatureError> {
    if signature.is_empty() {
        return Err(SignatureError::Missing);
    }
    let mut expected = [0u8; 32];
    if signature.len() != 64 || hex::decode_to_slice(signature, &mut expected).is_err() {
        return Err(SignatureError::Malformed);
    }
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    };
    mac.update(msg);
    mac.verify_slice(&expected).map_err(|_| SignatureError::Mismatch)
}

/// Verifies the `signature` key of a received JSON object against `spec`.
///
/// A signed field that appears in more than one place (at top level and inside a
/// flattened object) is refused: the signature would cover one copy while the
/// reader of the message might take the other.
///
/// ```
/// use appotapay_protocol::signing::{verify_json, SignatureError, QR_PAYMENT_RESPONSE};
/// use appotapay_protocol::SecretKey;
/// let key = SecretKey::new("k");
/// let twice = serde_json::json!({"qrCodeUrl": "a", "qrData": {"qrCodeUrl": "b"}, "signature": "00"});
/// assert_eq!(verify_json(&QR_PAYMENT_RESPONSE, &key, &twice), Err(SignatureError::Ambiguous("qrCodeUrl")));
/// ```
pub fn verify_json(spec: &SignatureSpec, key: &SecretKey, value: &Value) -> Result<(), SignatureError> {
    if let Some(obj) = value.as_object() {
        for field in spec.fields {
            let top = usize::from(obj.get(*field).is_some_and(|v| !v.is_object()));
            let nested = spec
                .flatten
                .iter()
                .filter_map(|outer| obj.get(*outer).and_then(Value::as_object))
                .filter(|inner| inner.contains_key(*field))
                .count();
            if top + nested > 1 {
                return Err(SignatureError::Ambiguous(field));
            }
        }
    }
    let sig = value.get("signature").and_then(Value::as_str).unwrap_or("");
    verify_data(key, &canonical_data_json(spec, value), sig)
}

/// A signed value that holds `&`, a signed field's name and `=`: in the signed string
/// `k1=v1&k2=v2…` it reads as the start of another field, so a body could move the
/// boundary between two fields (one value shorter, the next longer) and keep its
/// signature. A request holding one is refused before its signature is checked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} holds \"&{other}=\", which reads as the start of the signed field {other}")]
pub struct BoundaryError {
    /// The field whose value holds the text.
    pub field: &'static str,
    /// The signed field whose start it imitates.
    pub other: &'static str,
}

/// Checks that no signed value of a JSON object crosses into another signed field
/// (see [`BoundaryError`]).
///
/// ```
/// use appotapay_protocol::signing::{check_boundaries, BANK_PAYMENT_REQUEST};
/// let body = serde_json::json!({"extraData": "x", "notifyUrl": "http://h/a?&notifyUrl=http://h/evil"});
/// let e = check_boundaries(&BANK_PAYMENT_REQUEST, &body).unwrap_err();
/// assert_eq!((e.field, e.other), ("notifyUrl", "notifyUrl"));
/// let fine = serde_json::json!({"extraData": "a=1&b=2", "notifyUrl": "http://h/a?x=1&y=2"});
/// assert!(check_boundaries(&BANK_PAYMENT_REQUEST, &fine).is_ok());
/// ```
pub fn check_boundaries(spec: &SignatureSpec, value: &Value) -> Result<(), BoundaryError> {
    let Some(obj) = value.as_object() else { return Ok(()) };
    for field in spec.fields {
        if let Some(v) = lookup_json(obj, spec, field) {
            if let Some(other) = crossed_field(spec, &raw_value(v)) {
                return Err(BoundaryError { field, other });
            }
        }
    }
    Ok(())
}

/// The signed field of `spec` whose `&name=` occurs in `raw`, if any.
pub fn crossed_field(spec: &SignatureSpec, raw: &str) -> Option<&'static str> {
    raw.match_indices('&').find_map(|(i, _)| {
        let rest = &raw[i + 1..];
        spec.fields.iter().copied().find(|f| rest.strip_prefix(*f).is_some_and(|r| r.starts_with('=')))
    })
}

/// A message with a documented signature.
pub trait Signed: Serialize {
    /// The message's field list.
    const SPEC: &'static SignatureSpec;

    /// The `signature` carried by the message.
    fn signature(&self) -> &str;

    /// Replaces the carried `signature`.
    fn set_signature(&mut self, signature: String);

    /// The canonical `data` string of the message.
    fn data(&self) -> String {
        canonical_data(Self::SPEC, self)
    }

    /// Computes and stores the signature.
    fn sign(&mut self, key: &SecretKey) {
        let sig = sign_data(key, &self.data());
        self.set_signature(sig);
    }

    /// Returns the message signed.
    fn signed(mut self, key: &SecretKey) -> Self
    where
        Self: Sized,
    {
        self.sign(key);
        self
    }

    /// Verifies the carried signature in constant time.
    fn verify(&self, key: &SecretKey) -> Result<(), SignatureError> {
        verify_data(key, &self.data(), self.signature())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_list_is_sorted_and_unique() {
        for spec in ALL_SPECS {
            for pair in spec.fields.windows(2) {
                assert!(pair[0] < pair[1], "{}: {} before {}", spec.name, pair[0], pair[1]);
            }
            assert!(!spec.fields.contains(&"signature"), "{}", spec.name);
        }
    }

    #[test]
    fn raw_values() {
        let v = serde_json::json!({"amount": 10000, "s": "a b&c", "n": null, "b": true, "o": {"x": 1}});
        let obj = v.as_object().expect("object");
        assert_eq!(raw_value(&obj["amount"]), "10000");
        assert_eq!(raw_value(&obj["s"]), "a b&c");
        assert_eq!(raw_value(&obj["n"]), "");
        assert_eq!(raw_value(&obj["b"]), "true");
        assert_eq!(raw_value(&obj["o"]), "");
    }

    #[test]
    fn flattening_only_where_documented() {
        let v = serde_json::json!({"errorCode": 0, "qrData": {"qrCodeUrl": "u", "qrCodeExpiryIn": 5}});
        assert_eq!(
            canonical_data_json(&QR_PAYMENT_RESPONSE, &v),
            "amount=&appotapayTransId=&errorCode=0&message=&orderId=&paymentUrl=&qrCodeExpiryIn=5&qrCodeUrl=u"
        );
        // The status response does not flatten cardInfo even if a key collided.
        let v = serde_json::json!({"cardInfo": {"orderId": "x"}});
        assert!(canonical_data_json(&STATUS_RESPONSE, &v).contains("orderId=&"));
    }

    #[test]
    fn values_that_cross_into_another_field_are_found() {
        let spec = &BANK_PAYMENT_REQUEST;
        assert_eq!(crossed_field(spec, "x&orderId=2"), Some("orderId"));
        assert_eq!(crossed_field(spec, "&amount="), Some("amount"));
        assert_eq!(crossed_field(spec, "a&b&redirectUrl=http://e"), Some("redirectUrl"));
        for fine in ["", "&", "x&y", "&amount", "amount=1", "&orderIds=1", "&orderid=1", "&signature=1"] {
            assert_eq!(crossed_field(spec, fine), None, "{fine}");
        }
        let flat = serde_json::json!({"qrData": {"qrCodeUrl": "u&message=hi"}});
        let e = check_boundaries(&QR_PAYMENT_RESPONSE, &flat).expect_err("flattened values count");
        assert_eq!((e.field, e.other), ("qrCodeUrl", "message"));
    }

    #[test]
    fn verify_rejects_malformed_and_accepts_uppercase() {
        let key = SecretKey::new("k");
        let sig = sign_data(&key, "a=1");
        assert_eq!(verify_data(&key, "a=1", &sig), Ok(()));
        assert_eq!(verify_data(&key, "a=1", &sig.to_uppercase()), Ok(()));
        assert_eq!(verify_data(&key, "a=2", &sig), Err(SignatureError::Mismatch));
        assert_eq!(verify_data(&key, "a=1", ""), Err(SignatureError::Missing));
        assert_eq!(verify_data(&key, "a=1", "zz"), Err(SignatureError::Malformed));
        assert_eq!(verify_data(&key, "a=1", &"g".repeat(64)), Err(SignatureError::Malformed));
        assert_eq!(format!("{key:?}"), "SecretKey(***)");
    }
}
