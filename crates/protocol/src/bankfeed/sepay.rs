//! SePay: webhook authentication, the webhook body, and the transaction list used to
//! reconcile.
//!
//! SePay posts one JSON object per bank transaction (developer.sepay.vn, "SePay
//! Webhooks"):
//!
//! ```json
//! {"id":92704,"gateway":"Vietcombank","transactionDate":"2023-03-25 14:02:37",
//!  "accountNumber":"0123499999","code":null,"content":"payment content","transferType":"in",
//!  "transferAmount":2277000,"accumulated":19077000,"subAccount":null,"referenceCode":"MBVCB.3278907687"}
//! ```
//!
//! plus, in SePay's own Laravel package, `description`: the bank's full notification
//! text. The webhook is authenticated, per webhook, by `Authorization: Apikey <key>`
//! ([`verify_api_key`]) or by HMAC-SHA256 ([`verify_hmac`]): `X-SePay-Signature:
//! sha256=<hex>` over `"{X-SePay-Timestamp}.{raw body}"`, the timestamp in Unix seconds
//! within 5 minutes. The HMAC string is not spelled out in SePay's pages; it is the form
//! several independent receivers and end-to-end tests agree on. SePay retries any answer
//! outside 2xx; [`OK_BODY`] with 200 is what its quick start shows.
//!
//! Reconciliation uses the user API v2, `GET {API_BASE_URL}/v2/transactions` with
//! `Authorization: Bearer <API token>`, 3 requests a second per IP
//! (developer.sepay.vn/en/sepay-api/v2/giao-dich/danh-sach for the query parameters;
//! the row and envelope shape from the example in …/agents/cli/goi-api):
//!
//! ```json
//! {"status":"success","data":[{"id":"07ad3dc9-…","transaction_date":"2026-10-31 11:24:40",
//!   "account_number":"0000000002","va":"","transfer_type":"in","amount_in":50000,"amount_out":0,
//!   "accumulated":0,"transaction_content":"…","reference_number":"SBCF7A82A9EBC8","code":"DH1709",
//!   "bank_brand_name":"ACB","bank_account_id":"…","va_id":null,"webhook_success":8}],
//!  "meta":{"pagination":{"total":48,"per_page":1,"current_page":1,"last_page":48,"has_more":true}}}
//! ```
//!
//! A v2 row maps to a [`FeedTransaction`] as: `id` → `id`, `account_number` → `account`,
//! `transfer_type` → `incoming` (when absent: `amount_in` > 0), `amount_in` or
//! `amount_out` → `amount`, `transaction_content` → `content`, `reference_number` →
//! `reference`, `transaction_date` → `booked_at`, `code` → `code_hint`; `description`
//! stays empty (the list has no full bank text).
//!
//! **The v2 list's ids are UUIDs** ("UUID identifiers instead of numeric IDs",
//! …/sepay-api/v2/nang-cap-tu-v1) while the webhook's `id` is numeric, so a v2 row and
//! the webhook of the same transaction do *not* share [`FeedTransaction::id`]: dedupe
//! across the two on `(account, reference, amount, incoming)`. The legacy list,
//! `GET {LEGACY_API_BASE_URL}/userapi/transactions/list` ([`legacy_transactions_path`];
//! deprecated but documented as still working), has the webhook's numeric ids;
//! [`parse_transactions`] reads its body too (`{"status":200,"transactions":[{"id":"49682",
//! "account_number":…,"amount_in":"18067000.00","amount_out":"0.00","transaction_content":…,
//! "reference_number":…,"code":null,"transaction_date":…}]}`, amounts as decimal strings).

use super::{
    AuthError, FeedTransaction, Object, ParseError, Provider, TIMESTAMP_TOLERANCE_S, TransactionsPage, as_object,
    field, id_field, integer_opt, integer_req, parse_object, parse_timestamp, query_escape, secret_matches, split_rows,
    text_opt, text_or_empty, text_req, within,
};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The `Authorization` scheme of API-key webhooks.
pub const API_KEY_SCHEME: &str = "Apikey";
/// The HMAC signature header.
pub const SIGNATURE_HEADER: &str = "X-SePay-Signature";
/// The header carrying the signed Unix timestamp, in seconds.
pub const TIMESTAMP_HEADER: &str = "X-SePay-Timestamp";
/// What to answer a webhook with (HTTP 200).
pub const OK_BODY: &str = r#"{"success":true}"#;
/// The user API v2 base URL.
pub const API_BASE_URL: &str = "https://userapi.sepay.vn";
/// The legacy user API base URL (numeric ids, as in webhooks).
pub const LEGACY_API_BASE_URL: &str = "https://my.sepay.vn";
/// The largest `per_page` the v2 list accepts.
pub const MAX_PER_PAGE: u32 = 100;

/// Checks `Authorization: Apikey <key>` against the configured `key` (constant time).
///
/// The scheme is matched case-insensitively and must be followed by one space; the key
/// is trimmed. An empty configured key matches nothing.
///
/// ```
/// use appotapay_protocol::bankfeed::{sepay, AuthError};
/// assert_eq!(sepay::verify_api_key(Some("Apikey s3cret"), "s3cret"), Ok(()));
/// assert_eq!(sepay::verify_api_key(Some("Bearer s3cret"), "s3cret"), Err(AuthError::Malformed));
/// ```
pub fn verify_api_key(authorization: Option<&str>, key: &str) -> Result<(), AuthError> {
    let header = authorization.map(str::trim).filter(|h| !h.is_empty()).ok_or(AuthError::Missing)?;
    let (scheme, rest) = header.split_once(' ').ok_or(AuthError::Malformed)?;
    if !scheme.eq_ignore_ascii_case(API_KEY_SCHEME) || rest.starts_with(' ') {
        return Err(AuthError::Malformed);
    }
    let presented = rest.trim();
    if presented.is_empty() {
        return Err(AuthError::Malformed);
    }
    if secret_matches(presented, key) { Ok(()) } else { Err(AuthError::BadSignature) }
}

fn mac(secret: &str, timestamp: &str, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; new_from_slice cannot fail for it.
    let mut mac = match HmacSha256::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cold]
fn unreachable_hmac() -> ! {
    panic!("HMAC-SHA256 accepts keys of every length")
}

/// The `X-SePay-Signature` value for `body` sent at `timestamp`:
/// `sha256=` + hex HMAC-SHA256(`secret`, `"{timestamp}.{body}"`).
///
/// ```
/// use appotapay_protocol::bankfeed::sepay;
/// let sig = sepay::sign("whsec_x", "1700000000", br#"{"id":1}"#);
/// assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
/// assert_eq!(sepay::verify_hmac(Some(&sig), Some("1700000000"), br#"{"id":1}"#, "whsec_x", 1_700_000_100), Ok(()));
/// ```
pub fn sign(secret: &str, timestamp: &str, body: &[u8]) -> String {
    format!("sha256={}", hex::encode(mac(secret, timestamp, body).finalize().into_bytes()))
}

/// Checks an HMAC-signed webhook: `signature` is the `X-SePay-Signature` value
/// (`sha256=<hex>`, hex in either case; a bare hex digest is accepted too), `timestamp`
/// the `X-SePay-Timestamp` value, `now_s` the receiver's clock in Unix seconds.
///
/// The signature is checked first (constant time), then the timestamp, so
/// [`AuthError::Stale`] means an authentic but old (or replayed) delivery.
pub fn verify_hmac(
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    secret: &str,
    now_s: i64,
) -> Result<(), AuthError> {
    let signature = signature.map(str::trim).filter(|s| !s.is_empty()).ok_or(AuthError::Missing)?;
    let timestamp = timestamp.map(str::trim).filter(|s| !s.is_empty()).ok_or(AuthError::Missing)?;
    let ts = parse_timestamp(timestamp).ok_or(AuthError::Malformed)?;
    let digest = match signature.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("sha256=") => &signature[7..],
        _ => signature,
    };
    let expected = hex::decode(digest.trim()).map_err(|_| AuthError::Malformed)?;
    if expected.len() != 32 {
        return Err(AuthError::Malformed);
    }
    if secret.is_empty() || mac(secret, timestamp, body).verify_slice(&expected).is_err() {
        return Err(AuthError::BadSignature);
    }
    if !within(now_s, ts, TIMESTAMP_TOLERANCE_S) {
        return Err(AuthError::Stale);
    }
    Ok(())
}

fn direction(o: &Object, key: &'static str) -> Result<Option<bool>, ParseError> {
    match text_opt(o, key)? {
        None => Ok(None),
        Some(t) if t.trim().eq_ignore_ascii_case("in") => Ok(Some(true)),
        Some(t) if t.trim().eq_ignore_ascii_case("out") => Ok(Some(false)),
        Some(_) => Err(field(key, "neither in nor out")),
    }
}

fn non_negative(amount: i64, key: &'static str) -> Result<i64, ParseError> {
    if amount < 0 { Err(field(key, "negative")) } else { Ok(amount) }
}

fn code_hint(o: &Object) -> Result<Option<String>, ParseError> {
    Ok(text_opt(o, "code")?.map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned))
}

/// Parses a webhook body (one transaction). `id` may be a number or a numeric string.
///
/// ```
/// use appotapay_protocol::bankfeed::sepay;
/// let tx = sepay::parse_webhook(br#"{"id":92704,"accountNumber":"0123499999","transferType":"in",
///     "transferAmount":2277000,"content":"AP123456789012","referenceCode":"MBVCB.3278907687"}"#).unwrap();
/// assert_eq!((tx.id.as_str(), tx.incoming, tx.amount), ("92704", true, 2_277_000));
/// ```
pub fn parse_webhook(body: &[u8]) -> Result<FeedTransaction, ParseError> {
    let o = parse_object(body)?;
    let incoming = direction(&o, "transferType")?.ok_or(field("transferType", "missing"))?;
    Ok(FeedTransaction {
        provider: Provider::Sepay,
        id: id_field(&o, "id", true)?,
        account: text_req(&o, "accountNumber")?,
        incoming,
        amount: non_negative(integer_req(&o, "transferAmount")?, "transferAmount")?,
        content: text_or_empty(&o, "content")?,
        description: text_or_empty(&o, "description")?,
        reference: text_or_empty(&o, "referenceCode")?,
        booked_at: text_or_empty(&o, "transactionDate")?,
        code_hint: code_hint(&o)?,
        raw: Value::Object(o).to_string(),
    })
}

/// The path and query of one page of the v2 transaction list, newest first, from
/// `since_date` (`YYYY-MM-DD`, read as its midnight, or `YYYY-MM-DD hh:mm:ss`) on;
/// `per_page` is capped at [`MAX_PER_PAGE`], `page` counts from 1.
///
/// ```
/// assert_eq!(
///     appotapay_protocol::bankfeed::sepay::transactions_path("2024-10-03", 2, 100),
///     "/v2/transactions?transaction_date_from=2024-10-03%2000%3A00%3A00&transaction_date_sort=desc&page=2&per_page=100"
/// );
/// ```
pub fn transactions_path(since_date: &str, page: u32, per_page: u32) -> String {
    let since = since_date.trim();
    let since = if since.len() == 10 { format!("{since} 00:00:00") } else { since.to_owned() };
    format!(
        "/v2/transactions?transaction_date_from={}&transaction_date_sort=desc&page={}&per_page={}",
        query_escape(&since),
        page.max(1),
        per_page.clamp(1, MAX_PER_PAGE)
    )
}

/// The path and query of the legacy transaction list from `since_date` (`YYYY-MM-DD`),
/// at most `limit` rows (SePay's maximum and default is 5000; no paging).
///
/// ```
/// assert_eq!(
///     appotapay_protocol::bankfeed::sepay::legacy_transactions_path("2024-10-03", 500),
///     "/userapi/transactions/list?transaction_date_min=2024-10-03&limit=500"
/// );
/// ```
pub fn legacy_transactions_path(since_date: &str, limit: u32) -> String {
    format!(
        "/userapi/transactions/list?transaction_date_min={}&limit={}",
        query_escape(since_date.trim()),
        limit.clamp(1, 5000)
    )
}

/// Parses a transaction-list answer: the v2 envelope (`status`/`data`/`meta`) or the
/// legacy one (`status`/`transactions`). See the module docs for the mapping.
pub fn parse_transactions(body: &[u8]) -> Result<TransactionsPage, ParseError> {
    let o = parse_object(body)?;
    if let Some(rows) = o.get("transactions") {
        return parse_legacy(&o, rows);
    }
    match o.get("status") {
        Some(Value::String(s)) if s.eq_ignore_ascii_case("success") => {}
        None => {}
        Some(other) => return Err(refused(&o, other)),
    }
    let rows = o.get("data").ok_or(field("data", "missing"))?.as_array().ok_or(field("data", "not an array"))?;
    let (transactions, rejected) = split_rows(rows, parse_v2_row);
    Ok(TransactionsPage { transactions, rejected, next_page: next_page(&o)? })
}

fn refused(o: &Object, status: &Value) -> ParseError {
    let message = ["message", "error", "messages"]
        .iter()
        .find_map(|k| match o.get(*k) {
            Some(Value::String(s)) => Some(s.clone()),
            Some(v @ Value::Object(_)) => Some(v.to_string()),
            _ => None,
        })
        .unwrap_or_default();
    ParseError::Refused { code: status.as_i64().unwrap_or(-1), message }
}

fn next_page(o: &Object) -> Result<Option<u32>, ParseError> {
    let Some(meta) = o.get("meta").filter(|m| !m.is_null()) else { return Ok(None) };
    let meta = as_object(meta, "meta")?;
    let Some(p) = meta.get("pagination").filter(|p| !p.is_null()) else { return Ok(None) };
    let p = as_object(p, "pagination")?;
    let current = integer_opt(p, "current_page")?.ok_or(field("current_page", "missing"))?;
    let more = match p.get("has_more") {
        Some(Value::Bool(b)) => *b,
        None | Some(Value::Null) => integer_opt(p, "last_page")?.is_some_and(|last| current < last),
        Some(_) => return Err(field("has_more", "not a boolean")),
    };
    if !more {
        return Ok(None);
    }
    current
        .checked_add(1)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|&n| n >= 2)
        .map(Some)
        .ok_or(field("current_page", "out of range"))
}

fn parse_v2_row(row: &Value) -> Result<FeedTransaction, ParseError> {
    let o = as_object(row, "data")?;
    let amount_in = integer_opt(o, "amount_in")?;
    let amount_out = integer_opt(o, "amount_out")?;
    let incoming = match direction(o, "transfer_type")? {
        Some(d) => d,
        None => amount_in.is_some_and(|a| a > 0),
    };
    let amount = if incoming {
        non_negative(amount_in.ok_or(field("amount_in", "missing"))?, "amount_in")?
    } else {
        non_negative(amount_out.ok_or(field("amount_out", "missing"))?, "amount_out")?
    };
    Ok(FeedTransaction {
        provider: Provider::Sepay,
        id: id_field(o, "id", false)?,
        account: text_req(o, "account_number")?,
        incoming,
        amount,
        content: text_or_empty(o, "transaction_content")?,
        description: String::new(),
        reference: text_or_empty(o, "reference_number")?,
        booked_at: text_or_empty(o, "transaction_date")?,
        code_hint: code_hint(o)?,
        raw: row.to_string(),
    })
}

/// A legacy amount: a decimal string whose fraction is zero (`"18067000.00"`), or a
/// number.
fn legacy_amount(o: &Object, key: &'static str) -> Result<i64, ParseError> {
    match o.get(key) {
        Some(Value::String(s)) => {
            let s = s.trim();
            let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
            if whole.is_empty() || whole.len() > 15 || !whole.bytes().all(|b| b.is_ascii_digit()) {
                return Err(field(key, "not a decimal amount"));
            }
            if !frac.bytes().all(|b| b == b'0') {
                return Err(field(key, "not a whole amount"));
            }
            whole.parse().map_err(|_| field(key, "not a decimal amount"))
        }
        _ => non_negative(integer_opt(o, key)?.unwrap_or(0), key),
    }
}

fn parse_legacy(o: &Object, rows: &Value) -> Result<TransactionsPage, ParseError> {
    if let Some(status) = o.get("status") {
        if status.as_i64() != Some(200) {
            return Err(refused(o, status));
        }
    }
    let rows = rows.as_array().ok_or(field("transactions", "not an array"))?;
    let (transactions, rejected) = split_rows(rows, parse_legacy_row);
    Ok(TransactionsPage { transactions, rejected, next_page: None })
}

fn parse_legacy_row(row: &Value) -> Result<FeedTransaction, ParseError> {
    let r = as_object(row, "transactions")?;
    let amount_in = legacy_amount(r, "amount_in")?;
    let amount_out = legacy_amount(r, "amount_out")?;
    let incoming = amount_in > 0;
    Ok(FeedTransaction {
        provider: Provider::Sepay,
        id: id_field(r, "id", true)?,
        account: text_req(r, "account_number")?,
        incoming,
        amount: if incoming { amount_in } else { amount_out },
        content: text_or_empty(r, "transaction_content")?,
        description: String::new(),
        reference: text_or_empty(r, "reference_number")?,
        booked_at: text_or_empty(r, "transaction_date")?,
        code_hint: code_hint(r)?,
        raw: row.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bankfeed::memo::trans_ids;
    use proptest::prelude::*;

    const DOCS_BODY: &str = r#"{"id":92704,"gateway":"Vietcombank","transactionDate":"2023-03-25 14:02:37","accountNumber":"0123499999","code":null,"content":"payment content","transferType":"in","transferAmount":2277000,"accumulated":19077000,"subAccount":null,"referenceCode":"MBVCB.3278907687"}"#;
    const SECRET: &str = "whsec_a7c3f0e1d2";
    const NOW: i64 = 1_727_948_258;

    #[test]
    fn docs_webhook_body_parses() {
        let tx = parse_webhook(DOCS_BODY.as_bytes()).expect("docs body");
        assert_eq!(tx.provider, Provider::Sepay);
        assert_eq!(tx.id, "92704");
        assert_eq!(tx.account, "0123499999");
        assert!(tx.incoming);
        assert_eq!(tx.amount, 2_277_000);
        assert_eq!(tx.content, "payment content");
        assert_eq!(tx.description, "");
        assert_eq!(tx.reference, "MBVCB.3278907687");
        assert_eq!(tx.booked_at, "2023-03-25 14:02:37");
        assert_eq!(tx.code_hint, None);
        let raw: Value = serde_json::from_str(&tx.raw).expect("raw is JSON");
        let sent: Value = serde_json::from_str(DOCS_BODY).expect("docs body is JSON");
        assert_eq!(raw, sent);
    }

    #[test]
    fn webhook_variants() {
        let tx = parse_webhook(
            br#"{"id":"92705","accountNumber":"0123499999","transferType":"out","transferAmount":5000,
                 "content":"Thanh toan","description":"BankAPINotify MBVCB.1.AP123456789012.CT","code":"AP123456789012"}"#,
        )
        .expect("variant");
        assert_eq!(tx.id, "92705");
        assert!(!tx.incoming);
        assert_eq!(tx.code_hint.as_deref(), Some("AP123456789012"));
        assert_eq!(trans_ids(&[&tx.content, &tx.description]), ["AP123456789012"]);

        let base: Value = serde_json::from_str(DOCS_BODY).expect("json");
        let with = |k: &str, v: Value| {
            let mut b = base.clone();
            b[k] = v;
            b.to_string()
        };
        let without = |k: &str| {
            let mut b = base.clone();
            b.as_object_mut().map(|o| o.remove(k));
            b.to_string()
        };
        for (body, fld) in [
            (with("id", Value::from("9x")), "id"),
            (with("id", Value::from(-1)), "id"),
            (with("id", Value::from(1.5)), "id"),
            (without("id"), "id"),
            (with("transferAmount", Value::from(1.5)), "transferAmount"),
            (with("transferAmount", Value::from("2277000")), "transferAmount"),
            (with("transferAmount", Value::from(-5)), "transferAmount"),
            (without("transferAmount"), "transferAmount"),
            (with("transferType", Value::from("sideways")), "transferType"),
            (without("transferType"), "transferType"),
            (without("accountNumber"), "accountNumber"),
            (with("accountNumber", Value::from(123)), "accountNumber"),
            (with("content", Value::from(1)), "content"),
        ] {
            match parse_webhook(body.as_bytes()) {
                Err(ParseError::Field { field, .. }) => assert_eq!(field, fld, "{body}"),
                other => panic!("{body}: {other:?}"),
            }
        }
        assert_eq!(
            parse_webhook(with("transferAmount", Value::from(2_277_000.0)).as_bytes()).map(|t| t.amount),
            Ok(2_277_000)
        );
        assert!(matches!(parse_webhook(b"not json"), Err(ParseError::NotJson(_))));
        assert!(matches!(parse_webhook(b"[1]"), Err(ParseError::Field { field: "body", .. })));
    }

    #[test]
    fn api_key() {
        assert_eq!(verify_api_key(Some("Apikey k-123"), "k-123"), Ok(()));
        assert_eq!(verify_api_key(Some("  apikey k-123  "), "k-123"), Ok(()));
        assert_eq!(verify_api_key(Some("APIKEY k-123"), "k-123"), Ok(()));
        assert_eq!(verify_api_key(Some("Apikey k-124"), "k-123"), Err(AuthError::BadSignature));
        assert_eq!(verify_api_key(Some("Apikey k-12"), "k-123"), Err(AuthError::BadSignature));
        assert_eq!(verify_api_key(Some("Apikey k-123"), ""), Err(AuthError::BadSignature));
        assert_eq!(verify_api_key(None, "k-123"), Err(AuthError::Missing));
        assert_eq!(verify_api_key(Some("   "), "k-123"), Err(AuthError::Missing));
        assert_eq!(verify_api_key(Some("k-123"), "k-123"), Err(AuthError::Malformed));
        assert_eq!(verify_api_key(Some("Bearer k-123"), "k-123"), Err(AuthError::Malformed));
        assert_eq!(verify_api_key(Some("Apikey  k-123"), "k-123"), Err(AuthError::Malformed));
        assert_eq!(verify_api_key(Some("Apikey"), "k-123"), Err(AuthError::Malformed));
    }

    #[test]
    fn hmac_round_trip_and_failures() {
        let body = DOCS_BODY.as_bytes();
        let ts = NOW.to_string();
        let sig = sign(SECRET, &ts, body);
        assert_eq!(verify_hmac(Some(&sig), Some(&ts), body, SECRET, NOW), Ok(()));
        assert_eq!(
            verify_hmac(Some(&sig.to_uppercase().replace("SHA256=", "sha256=")), Some(&ts), body, SECRET, NOW),
            Ok(())
        );
        assert_eq!(verify_hmac(Some(&sig.to_uppercase()), Some(&ts), body, SECRET, NOW), Ok(()));
        assert_eq!(verify_hmac(Some(&sig[7..]), Some(&ts), body, SECRET, NOW), Ok(()));
        // At the edge of the tolerance, and just past it either way.
        assert_eq!(verify_hmac(Some(&sig), Some(&ts), body, SECRET, NOW + 300), Ok(()));
        assert_eq!(verify_hmac(Some(&sig), Some(&ts), body, SECRET, NOW - 300), Ok(()));
        assert_eq!(verify_hmac(Some(&sig), Some(&ts), body, SECRET, NOW + 301), Err(AuthError::Stale));
        assert_eq!(verify_hmac(Some(&sig), Some(&ts), body, SECRET, NOW - 301), Err(AuthError::Stale));
        // Tampered body, other secret, timestamp not the signed one.
        let tampered = DOCS_BODY.replace("2277000", "9277000");
        assert_eq!(verify_hmac(Some(&sig), Some(&ts), tampered.as_bytes(), SECRET, NOW), Err(AuthError::BadSignature));
        assert_eq!(verify_hmac(Some(&sig), Some(&ts), body, "other", NOW), Err(AuthError::BadSignature));
        assert_eq!(verify_hmac(Some(&sig), Some(&ts), body, "", NOW), Err(AuthError::BadSignature));
        let later = (NOW + 1).to_string();
        assert_eq!(verify_hmac(Some(&sig), Some(&later), body, SECRET, NOW), Err(AuthError::BadSignature));
        // Missing and garbage headers.
        assert_eq!(verify_hmac(None, Some(&ts), body, SECRET, NOW), Err(AuthError::Missing));
        assert_eq!(verify_hmac(Some(&sig), None, body, SECRET, NOW), Err(AuthError::Missing));
        assert_eq!(verify_hmac(Some(""), Some(&ts), body, SECRET, NOW), Err(AuthError::Missing));
        assert_eq!(verify_hmac(Some("sha256=zz"), Some(&ts), body, SECRET, NOW), Err(AuthError::Malformed));
        assert_eq!(verify_hmac(Some("sha256=abcd"), Some(&ts), body, SECRET, NOW), Err(AuthError::Malformed));
        assert_eq!(verify_hmac(Some("garbage"), Some(&ts), body, SECRET, NOW), Err(AuthError::Malformed));
        assert_eq!(verify_hmac(Some(&sig), Some("yesterday"), body, SECRET, NOW), Err(AuthError::Malformed));
        assert_eq!(verify_hmac(Some(&sig), Some("-5"), body, SECRET, NOW), Err(AuthError::Malformed));
    }

    #[test]
    fn v2_list_parses() {
        let body = r#"{"status":"success","data":[{"id":"07ad3dc9-0000-4000-8000-0afffe87053b","transaction_date":"2026-10-31 11:24:40","account_number":"0000000002","va":"","transfer_type":"in","amount_in":50000,"amount_out":0,"accumulated":0,"transaction_content":"MBVCB.1.AP123456789012.CT tu","reference_number":"SBCF7A82A9EBC8","code":"DH1709","bank_brand_name":"ACB","bank_account_id":"d6719d04-0000-4000-8000-a6006ab65aca","va_id":null,"webhook_success":8},
            {"id":"17ad3dc9-0000-4000-8000-0afffe87053b","transaction_date":"2026-10-31 11:25:00","account_number":"0000000002","transfer_type":"out","amount_in":0,"amount_out":7000,"transaction_content":"phi","reference_number":"R2","code":null}],
            "meta":{"pagination":{"total":48,"per_page":2,"current_page":1,"last_page":24,"has_more":true}}}"#;
        let page = parse_transactions(body.as_bytes()).expect("v2 list");
        assert_eq!(page.next_page, Some(2));
        let [a, b] = page.transactions.as_slice() else { panic!("two rows") };
        assert_eq!(a.id, "07ad3dc9-0000-4000-8000-0afffe87053b");
        assert_eq!((a.incoming, a.amount), (true, 50_000));
        assert_eq!(a.account, "0000000002");
        assert_eq!(a.reference, "SBCF7A82A9EBC8");
        assert_eq!(a.booked_at, "2026-10-31 11:24:40");
        assert_eq!(a.code_hint.as_deref(), Some("DH1709"));
        assert_eq!(trans_ids(&[&a.content, &a.description]), ["AP123456789012"]);
        assert_eq!((b.incoming, b.amount, b.code_hint.as_deref()), (false, 7000, None));

        let last = body.replace(
            r#""current_page":1,"last_page":24,"has_more":true"#,
            r#""current_page":24,"last_page":24,"has_more":false"#,
        );
        assert_eq!(parse_transactions(last.as_bytes()).map(|p| p.next_page), Ok(None));
        let no_flag = body.replace(r#","has_more":true"#, "");
        assert_eq!(parse_transactions(no_flag.as_bytes()).map(|p| p.next_page), Ok(Some(2)));
        assert_eq!(
            parse_transactions(br#"{"status":"success","data":[]}"#),
            Ok(TransactionsPage { transactions: vec![], rejected: vec![], next_page: None })
        );
        assert!(matches!(
            parse_transactions(br#"{"status":"error","message":"Unauthenticated","error_code":"x"}"#),
            Err(ParseError::Refused { message, .. }) if message == "Unauthenticated"
        ));
        assert!(matches!(parse_transactions(br#"{"status":"success"}"#), Err(ParseError::Field { field: "data", .. })));
        let bad_amount = body.replace(r#""amount_in":50000"#, r#""amount_in":"50000""#);
        let page = parse_transactions(bad_amount.as_bytes()).expect("the page reads");
        assert!(matches!(&page.rejected[..], [r] if matches!(r.error, ParseError::Field { field: "amount_in", .. })));
    }

    #[test]
    fn legacy_list_parses() {
        let body = br#"{"status":200,"error":null,"messages":{"success":true},"transactions":[{"id":"49682","bank_brand_name":"Vietcombank","account_number":"0071000888888","transaction_date":"2023-05-05 19:59:48","amount_out":"0.00","amount_in":"18067000.00","accumulated":"1200541768.00","transaction_content":"DUONG THUY ANH chuyen tien","reference_number":"677760.050523.080001","code":null,"sub_account":"VCB0011ABC004","bank_account_id":"19"}]}"#;
        let page = parse_transactions(body).expect("legacy list");
        assert_eq!(page.next_page, None);
        let [t] = page.transactions.as_slice() else { panic!("one row") };
        assert_eq!((t.id.as_str(), t.incoming, t.amount), ("49682", true, 18_067_000));
        assert_eq!(t.reference, "677760.050523.080001");
        let fractional = String::from_utf8_lossy(body).replace("18067000.00", "18067000.50");
        let page = parse_transactions(fractional.as_bytes()).expect("the page reads");
        assert_eq!((page.transactions.len(), page.rejected.len()), (0, 1), "the fractional row is rejected apart");
    }

    #[test]
    fn paths() {
        assert_eq!(
            transactions_path("2024-10-03 08:00:00", 0, 1000),
            "/v2/transactions?transaction_date_from=2024-10-03%2008%3A00%3A00&transaction_date_sort=desc&page=1&per_page=100"
        );
        assert!(
            format!("{API_BASE_URL}{}", transactions_path("2024-10-03", 1, 20))
                .starts_with("https://userapi.sepay.vn/v2/")
        );
        assert!(legacy_transactions_path("a&b", 0).contains("transaction_date_min=a%26b&limit=1"));
    }

    proptest! {
        #[test]
        fn never_panics(body in any::<Vec<u8>>(), sig in ".{0,80}", ts in "[0-9]{0,20}", key in ".{0,20}", now in any::<i64>()) {
            let _ = parse_webhook(&body);
            let _ = parse_transactions(&body);
            let _ = verify_api_key(Some(&sig), &key);
            let _ = verify_hmac(Some(&sig), Some(&ts), &body, &key, now);
            let _ = verify_hmac(Some(&sign(&key, &ts, &body)), Some(&ts), &body, &key, now);
        }

        #[test]
        fn json_shaped_bodies_never_panic(id in any::<i64>(), amount in any::<i64>(), f in any::<f64>(), ty in "(in|out|IN|x)", s in ".{0,20}") {
            let body = format!(r#"{{"id":{id},"accountNumber":{s:?},"transferType":"{ty}","transferAmount":{amount},"accumulated":{f},"content":{s:?}}}"#);
            let _ = parse_webhook(body.as_bytes());
            let list = format!(r#"{{"status":"success","data":[{{"id":{s:?},"account_number":"1","amount_in":{amount},"amount_out":{id},"transfer_type":"{ty}"}}],"meta":{{"pagination":{{"current_page":{id},"has_more":true}}}}}}"#);
            let _ = parse_transactions(list.as_bytes());
        }

        #[test]
        fn signature_round_trips(body in any::<Vec<u8>>(), key in ".{1,40}", ts in 0i64..4_000_000_000, drift in -300i64..=300) {
            let t = ts.to_string();
            prop_assert_eq!(verify_hmac(Some(&sign(&key, &t, &body)), Some(&t), &body, &key, ts + drift), Ok(()));
        }
    }
}
