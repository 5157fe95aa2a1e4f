//! Verification of the payment result: the IPN body and the redirect query (spec §6).
//!
//! Both channels carry the same 13 signed fields. The signature is checked (in constant
//! time) before any field is interpreted; only then is the typed
//! [`PaymentNotification`] built.

use appotapay_protocol::messages::PaymentNotification;
use appotapay_protocol::signing::{self, NOTIFICATION};
use appotapay_protocol::{Amount, ErrorCode, SecretKey};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;

/// Signed fields that may be absent (they are then signed as the empty string).
const OPTIONAL_FIELDS: &[&str] = &["bankCode", "extraData"];

/// Why a notification was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// The signature does not match the fields (or is not 64 hex digits): the
    /// notification is forged or altered. Do not act on it.
    #[error("the notification's signature does not match")]
    BadSignature,
    /// A signed field, or the signature itself, is missing.
    #[error("the notification has no `{0}` field")]
    MissingField(&'static str),
    /// The notification is not a JSON object / query string of the expected shape, or
    /// a signed numeric field is not an integer.
    #[error("malformed notification: {0}")]
    Malformed(String),
}

/// Verifies an IPN body (the raw bytes of the JSON POSTed to your `notifyUrl`) and
/// returns the typed notification.
///
/// Answer HTTP 200 with the body `{"status":"ok"}` only after the notification has been
/// processed (the `axum` feature's `ipn_route` does this for you). The same IPN may be
/// delivered more than once: process it idempotently, e.g. keyed by
/// `appotapay_trans_id`.
///
/// ```
/// use appotapay::{verify_ipn, NotificationError, SecretKey};
/// let key = SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3");
/// assert!(matches!(verify_ipn(&key, b"not json"), Err(NotificationError::Malformed(_))));
/// ```
pub fn verify_ipn(key: &SecretKey, body: &[u8]) -> Result<PaymentNotification, NotificationError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| NotificationError::Malformed(format!("the body is not JSON: {e}")))?;
    let object =
        value.as_object().ok_or_else(|| NotificationError::Malformed("the body is not a JSON object".into()))?;
    let mut fields: HashMap<&'static str, Cow<'_, str>> = HashMap::with_capacity(NOTIFICATION.fields.len());
    for &name in NOTIFICATION.fields {
        match object.get(name) {
            None | Some(Value::Null) => {}
            Some(v @ (Value::String(_) | Value::Number(_))) => {
                fields.insert(name, signing::raw_value(v));
            }
            Some(_) => return Err(NotificationError::Malformed(format!("`{name}` is not a string or a number"))),
        }
    }
    let signature = match object.get("signature") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(NotificationError::Malformed("`signature` is not a string".into())),
    };
    verify_fields(key, &fields, signature)
}

/// Verifies the query string the customer's browser brings to your `redirectUrl`
/// and returns the typed notification.
///
/// Pass the raw query string (with or without its leading `?`), exactly as received:
/// it is form-decoded here (`+` is a space, `%XX` escapes) before the signature is
/// checked. Parameters other than the signed ones (e.g. your own query parameters of
/// `redirectUrl`) are ignored; a signed parameter given twice is refused.
///
/// The redirect only informs the customer-facing page; fulfil orders from the IPN or
/// the status API.
///
/// ```
/// use appotapay::{verify_redirect, NotificationError, SecretKey};
/// let key = SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3");
/// let err = verify_redirect(&key, "?orderId=1").unwrap_err();
/// assert!(matches!(err, NotificationError::MissingField(_)));
/// ```
pub fn verify_redirect(key: &SecretKey, query: &str) -> Result<PaymentNotification, NotificationError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut fields: HashMap<&'static str, Cow<'_, str>> = HashMap::with_capacity(NOTIFICATION.fields.len());
    let mut signature: Option<Cow<'_, str>> = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k == "signature" {
            if signature.replace(v).is_some() {
                return Err(NotificationError::Malformed("`signature` is given more than once".into()));
            }
        } else if let Some(&name) = NOTIFICATION.fields.iter().find(|f| **f == k) {
            if fields.insert(name, v).is_some() {
                return Err(NotificationError::Malformed(format!("`{name}` is given more than once")));
            }
        }
    }
    verify_fields(key, &fields, signature.as_deref())
}

/// Checks presence, then the signature, then builds the typed notification.
fn verify_fields(
    key: &SecretKey,
    fields: &HashMap<&'static str, Cow<'_, str>>,
    signature: Option<&str>,
) -> Result<PaymentNotification, NotificationError> {
    for &name in NOTIFICATION.fields {
        if !fields.contains_key(name) && !OPTIONAL_FIELDS.contains(&name) {
            return Err(NotificationError::MissingField(name));
        }
    }
    let signature = signature.ok_or(NotificationError::MissingField("signature"))?;
    let data = signing::canonical_data_with(&NOTIFICATION, |f| fields.get(f).map(|v| Cow::Borrowed(v.as_ref())));
    signing::verify_data(key, &data, signature).map_err(|_| NotificationError::BadSignature)?;

    // Verified: the fields can now be trusted.
    let text = |name: &str| fields.get(name).map(|v| v.to_string()).unwrap_or_default();
    let integer = |name: &'static str| -> Result<i64, NotificationError> {
        text(name).parse::<i64>().map_err(|_| NotificationError::Malformed(format!("`{name}` is not an integer")))
    };
    let error_code = u32::try_from(integer("errorCode")?)
        .map_err(|_| NotificationError::Malformed("`errorCode` is out of range".into()))?;
    Ok(PaymentNotification {
        error_code: ErrorCode(error_code),
        message: text("message"),
        partner_code: text("partnerCode"),
        api_key: text("apiKey"),
        amount: Amount::vnd(integer("amount")?),
        currency: text("currency"),
        order_id: text("orderId"),
        bank_code: text("bankCode"),
        payment_method: text("paymentMethod"),
        payment_type: text("paymentType"),
        appotapay_trans_id: text("appotapayTransId"),
        transaction_ts: integer("transactionTs")?,
        extra_data: text("extraData"),
        signature: signature.to_owned(),
    })
}
