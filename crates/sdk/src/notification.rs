//! Verification of the payment result: the IPN body and the redirect query (spec §6),
//! of v1.0 and of v1.1 (the same and `tokenResult`, which the signature may or may not
//! cover: both readings are accepted). v2's envelope is verified in [`crate::v2`].
//!
//! Both channels carry the same 13 signed fields. The signature is checked (in constant
//! time) before any field is interpreted; only then is the typed
//! [`PaymentNotification`] built.

use appotapay_protocol::messages::PaymentNotification;
use appotapay_protocol::signing::{self, NOTIFICATION};
use appotapay_protocol::v11::{NOTIFICATION_WITH_TOKEN, PaymentNotification as V11Notification};
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
    let value = ipn_object(body)?;
    let (fields, signature) = ipn_fields(&value)?;
    verify_fields(key, &fields, signature, None).map(|(n, _)| n)
}

/// Verifies a v1.1 IPN body: the 13 v1.0 fields, or (AppotaPay's docs leave it
/// open) the same and `tokenResult`. `tokenResult` stays the JSON text received
/// (see [`crate::protocol::v11::PaymentNotification::token`]).
///
/// ```
/// use appotapay::{verify_ipn_v11, NotificationError, SecretKey};
/// let key = SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3");
/// assert!(matches!(verify_ipn_v11(&key, b"{}"), Err(NotificationError::MissingField(_))));
/// ```
pub fn verify_ipn_v11(key: &SecretKey, body: &[u8]) -> Result<V11Notification, NotificationError> {
    let value = ipn_object(body)?;
    let (fields, signature) = ipn_fields(&value)?;
    let token = match value.get("tokenResult") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(NotificationError::Malformed("`tokenResult` is not a string".into())),
    };
    let (base, _) = verify_fields(key, &fields, signature, token)?;
    Ok(V11Notification { base, token_result: token.map(str::to_owned) })
}

fn ipn_object(body: &[u8]) -> Result<Value, NotificationError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| NotificationError::Malformed(format!("the body is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(NotificationError::Malformed("the body is not a JSON object".into()));
    }
    Ok(value)
}

type Fields<'a> = HashMap<&'static str, Cow<'a, str>>;

fn ipn_fields(value: &Value) -> Result<(Fields<'_>, Option<&str>), NotificationError> {
    let object =
        value.as_object().ok_or_else(|| NotificationError::Malformed("the body is not a JSON object".into()))?;
    let mut fields: Fields<'_> = HashMap::with_capacity(NOTIFICATION.fields.len());
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
    Ok((fields, signature))
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
    let (fields, signature, _) = redirect_fields(query)?;
    verify_fields(key, &fields, signature.as_deref(), None).map(|(n, _)| n)
}

/// Verifies a v1.1 redirect query: the 13 v1.0 fields, or the same and
/// `tokenResult` (see [`verify_ipn_v11`]).
pub fn verify_redirect_v11(key: &SecretKey, query: &str) -> Result<V11Notification, NotificationError> {
    let (fields, signature, token) = redirect_fields(query)?;
    let (base, _) = verify_fields(key, &fields, signature.as_deref(), token.as_deref())?;
    Ok(V11Notification { base, token_result: token.map(Cow::into_owned) })
}

type Redirect<'a> = (Fields<'a>, Option<Cow<'a, str>>, Option<Cow<'a, str>>);

fn redirect_fields(query: &str) -> Result<Redirect<'_>, NotificationError> {
    let query = query.strip_prefix('?').unwrap_or(query);
    let mut fields: Fields<'_> = HashMap::with_capacity(NOTIFICATION.fields.len());
    let mut signature: Option<Cow<'_, str>> = None;
    let mut token: Option<Cow<'_, str>> = None;
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        if k == "signature" {
            if signature.replace(v).is_some() {
                return Err(NotificationError::Malformed("`signature` is given more than once".into()));
            }
        } else if k == "tokenResult" {
            if token.replace(v).is_some() {
                return Err(NotificationError::Malformed("`tokenResult` is given more than once".into()));
            }
        } else if let Some(&name) = NOTIFICATION.fields.iter().find(|f| **f == k) {
            if fields.insert(name, v).is_some() {
                return Err(NotificationError::Malformed(format!("`{name}` is given more than once")));
            }
        }
    }
    Ok((fields, signature, token))
}

/// Checks presence, then the signature (over the 13 fields, or, given a
/// `tokenResult`, over the 14), then builds the typed notification; says whether
/// `tokenResult` was covered.
fn verify_fields(
    key: &SecretKey,
    fields: &Fields<'_>,
    signature: Option<&str>,
    token_result: Option<&str>,
) -> Result<(PaymentNotification, bool), NotificationError> {
    for &name in NOTIFICATION.fields {
        if !fields.contains_key(name) && !OPTIONAL_FIELDS.contains(&name) {
            return Err(NotificationError::MissingField(name));
        }
    }
    let signature = signature.ok_or(NotificationError::MissingField("signature"))?;
    let data = signing::canonical_data_with(&NOTIFICATION, |f| fields.get(f).map(|v| Cow::Borrowed(v.as_ref())));
    let covered = match (signing::verify_data(key, &data, signature), token_result) {
        (Ok(()), _) => false,
        (Err(_), Some(token)) => {
            let data = signing::canonical_data_with(&NOTIFICATION_WITH_TOKEN, |f| match f {
                "tokenResult" => Some(Cow::Borrowed(token)),
                f => fields.get(f).map(|v| Cow::Borrowed(v.as_ref())),
            });
            signing::verify_data(key, &data, signature).map_err(|_| NotificationError::BadSignature)?;
            true
        }
        (Err(_), None) => return Err(NotificationError::BadSignature),
    };

    // Verified: the fields can now be trusted.
    let text = |name: &str| fields.get(name).map(|v| v.to_string()).unwrap_or_default();
    let integer = |name: &'static str| -> Result<i64, NotificationError> {
        text(name).parse::<i64>().map_err(|_| NotificationError::Malformed(format!("`{name}` is not an integer")))
    };
    let error_code = u32::try_from(integer("errorCode")?)
        .map_err(|_| NotificationError::Malformed("`errorCode` is out of range".into()))?;
    let n = PaymentNotification {
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
    };
    Ok((n, covered))
}
