//! Bank-transaction feeds: the wire formats of SePay and Casso, and the memo rule that
//! ties a credit to an `appotapayTransId`.
//!
//! A VietQR order is paid by an ordinary bank transfer into the merchant's own account;
//! no bank tells the gateway about it. Feed providers read that account and call us
//! (a webhook) for every transaction, and also answer a list API used to catch the
//! webhooks that were lost. This module turns both into one [`FeedTransaction`] shape,
//! so that everything after it (journal, dedupe, matching, settling) is written once:
//!
//! - [`sepay`]: `Apikey` and HMAC-SHA256 authentication, the webhook body, the user API
//!   v2 transaction list;
//! - [`casso`]: the v2 `X-Casso-Signature` (HMAC-SHA512 over canonical JSON) and the v1
//!   `Secure-Token`, both webhook bodies, the v2 transaction list;
//! - [`memo`]: the matching rule, [`memo::trans_ids`], that survives what banks do to a
//!   transfer memo (prefixes, suffixes, spaces inside words, stripped punctuation and
//!   diacritics).
//!
//! Nothing here does I/O or reads a clock: callers pass the raw body, the header values
//! and the current time. Every parser and verifier answers an error, never a panic, on
//! any input; amounts are whole VND in an `i64`, never floating point.
//!
//! `FeedTransaction::id` is the provider's own transaction id and the dedupe key of a
//! journal keyed on `(provider, id)`. A webhook and a list row of the same transaction
//! carry the same id for Casso; for SePay they do so only with the legacy list (SePay's
//! v2 list uses UUIDs, see [`sepay`]), so a journal fed by both should also dedupe on
//! `(account, reference, amount)`.

pub mod casso;
pub mod memo;
pub mod sepay;

use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// How far a signed timestamp may be from the receiver's clock, in seconds, either way.
pub const TIMESTAMP_TOLERANCE_S: i64 = 300;

/// A bank-transaction feed provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Provider {
    /// SePay (developer.sepay.vn).
    Sepay,
    /// Casso (developer.casso.vn).
    Casso,
}

impl Provider {
    /// Every provider.
    pub const ALL: [Provider; 2] = [Provider::Sepay, Provider::Casso];

    /// The provider's name as configured and journaled: `sepay` or `casso`.
    ///
    /// ```
    /// use appotapay_protocol::bankfeed::Provider;
    /// assert_eq!(Provider::Casso.as_str(), "casso");
    /// assert_eq!("SePay".parse::<Provider>(), Ok(Provider::Sepay));
    /// assert!("payos".parse::<Provider>().is_err());
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Sepay => "sepay",
            Provider::Casso => "casso",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a known provider.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown bank-feed provider (expected sepay or casso)")]
pub struct UnknownProvider;

impl FromStr for Provider {
    type Err = UnknownProvider;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Provider::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(s.trim())).ok_or(UnknownProvider)
    }
}

/// A transaction as a feed reports it, normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedTransaction {
    /// Which feed reported it.
    pub provider: Provider,
    /// The provider's transaction id as text (SePay `id`, Casso `id`): the dedupe key.
    pub id: String,
    /// The account credited or debited (SePay `accountNumber`; Casso v2 `accountNumber`;
    /// Casso v1 `bank_sub_acc_id`, else `subAccId`).
    pub account: String,
    /// Money in (SePay `transferType` `in`; Casso a positive `amount`).
    pub incoming: bool,
    /// The absolute amount in whole VND.
    pub amount: i64,
    /// The transfer content (SePay `content`; Casso `description`).
    pub content: String,
    /// The bank's full notification text where the feed gives it (SePay `description`),
    /// else empty.
    pub description: String,
    /// The bank's reference (SePay `referenceCode`; Casso v2 `reference`, v1 `tid`).
    pub reference: String,
    /// When the bank booked it, as the feed writes it (the feeds give no zone), or empty.
    pub booked_at: String,
    /// The payment code the feed extracted itself (SePay `code`): a hint to re-check,
    /// never a match on its own.
    pub code_hint: Option<String>,
    /// This transaction's JSON object, compact, as received (for the journal).
    pub raw: String,
}

/// A page of a provider's transaction list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionsPage {
    /// The page's transactions, in the provider's order.
    pub transactions: Vec<FeedTransaction>,
    /// The rows that do not read: one odd row never hides the others.
    pub rejected: Vec<RejectedRow>,
    /// The page to ask for next, if there is one.
    pub next_page: Option<u32>,
}

/// The transactions of a webhook body that carries several (Casso v1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookBatch {
    /// The rows that read, in the body's order.
    pub transactions: Vec<FeedTransaction>,
    /// The rows that do not read.
    pub rejected: Vec<RejectedRow>,
}

/// A row of a batch that does not read, with the reason, and the row as received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedRow {
    /// The row's JSON, compact.
    pub raw: String,
    /// Why it does not read.
    pub error: ParseError,
}

/// Splits rows into those that read and those that do not.
pub(crate) fn split_rows<'v>(
    rows: impl IntoIterator<Item = &'v serde_json::Value>,
    parse: impl Fn(&'v serde_json::Value) -> Result<FeedTransaction, ParseError>,
) -> (Vec<FeedTransaction>, Vec<RejectedRow>) {
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for row in rows {
        match parse(row) {
            Ok(t) => ok.push(t),
            Err(error) => bad.push(RejectedRow { raw: row.to_string(), error }),
        }
    }
    (ok, bad)
}

/// A body that is not what the provider documents.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The body is not JSON.
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    /// A field is missing or has the wrong type or value.
    #[error("field `{field}`: {reason}")]
    Field {
        /// The field's name (`body` for the body as a whole).
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The provider answered an error instead of data (Casso `error` ≠ 0, SePay `status`
    /// other than success).
    #[error("the provider reports an error ({code}): {message}")]
    Refused {
        /// The provider's error code (SePay: the HTTP-like status if numeric, else -1).
        code: i64,
        /// The provider's message, if any.
        message: String,
    },
}

/// Why a webhook's credentials were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The header is absent or empty.
    #[error("the authentication header is missing")]
    Missing,
    /// The header is not in the documented form.
    #[error("the authentication header is malformed")]
    Malformed,
    /// The key or signature does not match.
    #[error("the key or signature does not match")]
    BadSignature,
    /// The signature matches but its timestamp is outside the tolerance.
    #[error("the signed timestamp is outside the tolerance")]
    Stale,
}

// ---- shared field readers -------------------------------------------------------------

pub(crate) type Object = Map<String, Value>;

pub(crate) fn field(field: &'static str, reason: &'static str) -> ParseError {
    ParseError::Field { field, reason }
}

pub(crate) fn parse_json(body: &[u8]) -> Result<Value, ParseError> {
    serde_json::from_slice(body).map_err(|e| ParseError::NotJson(e.to_string()))
}

pub(crate) fn parse_object(body: &[u8]) -> Result<Object, ParseError> {
    match parse_json(body)? {
        Value::Object(o) => Ok(o),
        _ => Err(field("body", "not a JSON object")),
    }
}

pub(crate) fn as_object<'a>(v: &'a Value, name: &'static str) -> Result<&'a Object, ParseError> {
    v.as_object().ok_or(field(name, "not an object"))
}

/// A string field; absent and `null` read as `None`.
pub(crate) fn text_opt<'a>(o: &'a Object, key: &'static str) -> Result<Option<&'a str>, ParseError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(field(key, "not a string")),
    }
}

/// A string field; absent and `null` read as empty.
pub(crate) fn text_or_empty(o: &Object, key: &'static str) -> Result<String, ParseError> {
    Ok(text_opt(o, key)?.unwrap_or_default().to_owned())
}

/// A required, non-empty string field.
pub(crate) fn text_req(o: &Object, key: &'static str) -> Result<String, ParseError> {
    match text_opt(o, key)? {
        Some(s) if !s.trim().is_empty() => Ok(s.to_owned()),
        Some(_) => Err(field(key, "empty")),
        None => Err(field(key, "missing")),
    }
}

/// A transaction id: a non-negative integer, or a string (`digits_only`: of digits).
pub(crate) fn id_field(o: &Object, key: &'static str, digits_only: bool) -> Result<String, ParseError> {
    match o.get(key) {
        None | Some(Value::Null) => Err(field(key, "missing")),
        Some(Value::Number(n)) => n.as_u64().map(|n| n.to_string()).ok_or(field(key, "not a non-negative integer")),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.is_empty() {
                Err(field(key, "empty"))
            } else if digits_only && !s.bytes().all(|b| b.is_ascii_digit()) {
                Err(field(key, "not a number"))
            } else if s.len() > 128 {
                Err(field(key, "too long"))
            } else {
                Ok(s.to_owned())
            }
        }
        Some(_) => Err(field(key, "not a number or string")),
    }
}

/// Integer-valued floats beyond this lose precision; nothing near it is a VND amount.
const MAX_EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

/// An integer JSON number (an integer-valued float such as `599000.0` is accepted too).
pub(crate) fn integer_opt(o: &Object, key: &'static str) -> Result<Option<i64>, ParseError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                return Ok(Some(i));
            }
            if n.is_u64() {
                return Err(field(key, "out of range"));
            }
            match n.as_f64() {
                Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() <= MAX_EXACT_FLOAT => Ok(Some(f as i64)),
                Some(f) if f.is_finite() && f.fract() == 0.0 => Err(field(key, "out of range")),
                _ => Err(field(key, "not an integer")),
            }
        }
        Some(_) => Err(field(key, "not a number")),
    }
}

pub(crate) fn integer_req(o: &Object, key: &'static str) -> Result<i64, ParseError> {
    integer_opt(o, key)?.ok_or(field(key, "missing"))
}

/// A signed amount as (incoming, absolute value); the absolute value must fit an `i64`.
pub(crate) fn split_signed(amount: i64, key: &'static str) -> Result<(bool, i64), ParseError> {
    amount.checked_abs().map(|a| (amount > 0, a)).ok_or(field(key, "out of range"))
}

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
pub(crate) fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b >> 4)]));
            out.push(char::from(b"0123456789ABCDEF"[usize::from(b & 0xf)]));
        }
    }
    out
}

/// Parses a decimal timestamp header (optional surrounding spaces, digits only).
pub(crate) fn parse_timestamp(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() || t.len() > 18 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// Whether `a` and `b` are within `tolerance` of each other.
pub(crate) fn within(a: i64, b: i64, tolerance: i64) -> bool {
    a.abs_diff(b) <= tolerance.unsigned_abs()
}

/// Constant-time comparison of a presented secret with the configured one; an empty
/// configured secret matches nothing.
pub(crate) fn secret_matches(presented: &str, configured: &str) -> bool {
    use subtle::ConstantTimeEq;
    !configured.is_empty() && bool::from(presented.as_bytes().ct_eq(configured.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers() {
        for p in Provider::ALL {
            assert_eq!(p.as_str().parse::<Provider>(), Ok(p));
            assert_eq!(p.as_str().to_uppercase().parse::<Provider>(), Ok(p));
            assert_eq!(p.to_string(), p.as_str());
        }
        assert_eq!("".parse::<Provider>(), Err(UnknownProvider));
    }

    #[test]
    fn integers() {
        let o: Object = serde_json::from_str(r#"{"a":5,"b":5.0,"c":5.5,"d":"5","e":18446744073709551615,"f":1e300}"#)
            .unwrap_or_default();
        assert_eq!(integer_opt(&o, "a"), Ok(Some(5)));
        assert_eq!(integer_opt(&o, "b"), Ok(Some(5)));
        assert!(integer_opt(&o, "c").is_err());
        assert!(integer_opt(&o, "d").is_err());
        assert!(integer_opt(&o, "e").is_err());
        assert!(integer_opt(&o, "f").is_err());
        assert_eq!(integer_opt(&o, "z"), Ok(None));
        assert!(split_signed(i64::MIN, "a").is_err());
        assert_eq!(split_signed(-7, "a"), Ok((false, 7)));
    }

    #[test]
    fn escaping_and_time() {
        assert_eq!(query_escape("2024-10-03 00:00:00"), "2024-10-03%2000%3A00%3A00");
        assert_eq!(parse_timestamp(" 1727948258 "), Some(1_727_948_258));
        assert_eq!(parse_timestamp("-1"), None);
        assert_eq!(parse_timestamp("99999999999999999999"), None);
        assert!(within(i64::MIN, i64::MIN, 0));
        assert!(!within(i64::MIN, i64::MAX, 300));
        assert!(!secret_matches("", ""));
        assert!(secret_matches("k", "k"));
    }
}
