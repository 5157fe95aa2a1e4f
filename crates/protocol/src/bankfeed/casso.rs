//! Casso: webhook authentication (v2 signature, v1 secure token), both webhook bodies,
//! and the transaction list used to reconcile.
//!
//! **Webhook v2** (CassoHQ/casso-webhook-v2-verify-signature) posts
//! `{"error":0,"data":{…}}` with `data` one transaction (`id`, `reference`,
//! `description`, `amount`, `runningBalance`, `transactionDateTime`, `accountNumber`,
//! `bankName`, counterparty fields…) and the header `X-Casso-Signature: t=<ms>,v1=<hex>`:
//! hex HMAC-SHA512, keyed by the webhook's secret, of `t + "." + JSON`, where JSON is the
//! *parsed and re-serialised* body: keys sorted A→Z at every level, compact, integers as
//! integers. The signature is not over the raw bytes, so the receiver has to rebuild that
//! string, and Casso's own samples disagree on non-ASCII text: JavaScript
//! (`JSON.stringify`) writes UTF-8 as is, Python (`json.dumps`) writes `\uXXXX`, PHP
//! (`json_encode`) writes `\uXXXX` and `\/`. [`verify_v2`] accepts any of the three;
//! [`sign_v2`] writes the first. The published vector (reproduced in the tests) has ASCII
//! text only, so it cannot tell them apart.
//!
//! **Webhook v1** (legacy) posts `{"error":0,"data":[{…},…]}`, an array of transactions
//! (`id`, `tid`, `description`, `amount`, `cusum_balance`, `when`, `bank_sub_acc_id`,
//! `subAccId`), authenticated only by a `Secure-Token` header equal to a token the
//! merchant chose ([`verify_v1`]; nothing protects it against replay). Casso treats any
//! 2xx as delivered.
//!
//! In both, money out has a negative `amount`: there is no direction field.
//!
//! **Reconciliation**: `GET {API_BASE_URL}/v2/transactions?fromDate=YYYY-MM-DD&page=N&pageSize=N&sort=DESC`
//! with `Authorization: Apikey <key>` (developer.casso.vn, "API lấy giao dịch"):
//!
//! ```json
//! {"error":0,"message":"success","data":{"page":4,"pageSize":10,"nextPage":5,"prevPage":3,
//!  "totalPages":35,"totalRecords":341,"records":[{"id":5789,"tid":"TF2104152395814062",
//!  "description":"Khanhnm chuyen tien","amount":-193000,"cusum_balance":1070904,
//!  "when":"2021-04-15T00:00:00","bankSubAccId":"8007041027107","accountId":733,…}]}}
//! ```
//!
//! A record maps to a [`FeedTransaction`] as: `id` → `id`, `bankSubAccId` (else
//! `bank_sub_acc_id`, `subAccId`, `accountNumber`) → `account`, the sign of `amount` →
//! `incoming`, its absolute value → `amount`, `description` → `content`, `tid` (else
//! `reference`) → `reference`, `when` (else `transactionDateTime`) → `booked_at`. Casso's
//! `id` is its own transaction id in the webhooks and the list alike, so a reconciled
//! transaction has the same [`FeedTransaction::id`] as its webhook and dedupes against
//! it. What `nextPage` holds on the last page is not documented; a `nextPage` that is
//! absent, `null`, not after `page`, or after `totalPages` reads as "no next page".

use super::{
    AuthError, FeedTransaction, Object, ParseError, Provider, TIMESTAMP_TOLERANCE_S, TransactionsPage, WebhookBatch,
    as_object, field, id_field, integer_opt, integer_req, parse_json, parse_object, parse_timestamp, query_escape,
    secret_matches, split_rows, split_signed, text_opt, text_or_empty, within,
};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha512;

type HmacSha512 = Hmac<Sha512>;

mod canonical;
use canonical::{Escaping, STYLES, canonical};

/// The v2 webhook signature header.
pub const SIGNATURE_HEADER: &str = "X-Casso-Signature";
/// The v1 webhook token header.
pub const SECURE_TOKEN_HEADER: &str = "Secure-Token";
/// What to answer a webhook with (HTTP 200; Casso accepts any 2xx).
pub const OK_BODY: &str = r#"{"success":true}"#;
/// The Casso API base URL.
pub const API_BASE_URL: &str = "https://oauth.casso.vn";

fn mac_v2(key: &str, t_ms: i64, json: &str) -> HmacSha512 {
    // HMAC accepts keys of any length; new_from_slice cannot fail for it.
    let mut mac = match HmacSha512::new_from_slice(key.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable_hmac(),
    };
    mac.update(t_ms.to_string().as_bytes());
    mac.update(b".");
    mac.update(json.as_bytes());
    mac
}

#[cold]
fn unreachable_hmac() -> ! {
    panic!("HMAC-SHA512 accepts keys of every length")
}

/// The `X-Casso-Signature` value, `t=<t_ms>,v1=<hex>`, for a v2 webhook `body` sent at
/// `t_ms` (Unix milliseconds), signed over the body's canonical JSON with raw UTF-8.
///
/// ```
/// use appotapay_protocol::bankfeed::casso;
/// let body = br#"{"error":0,"data":{"id":1,"amount":1000}}"#;
/// let sig = casso::sign_v2("key", 1_727_948_258_788, body).unwrap();
/// assert!(sig.starts_with("t=1727948258788,v1="));
/// assert_eq!(casso::verify_v2(Some(&sig), body, "key", 1_727_948_258_788), Ok(()));
/// ```
pub fn sign_v2(key: &str, t_ms: i64, body: &[u8]) -> Result<String, ParseError> {
    let value = parse_json(body)?;
    let digest = mac_v2(key, t_ms, &canonical(&value, Escaping::Utf8)).finalize().into_bytes();
    Ok(format!("t={t_ms},v1={}", hex::encode(digest)))
}

/// The parts of a `t=…,v1=…` header: the timestamp and every `v1` digest.
fn parse_signature_header(header: &str) -> Result<(i64, Vec<Vec<u8>>), AuthError> {
    let mut t = None;
    let mut digests = Vec::new();
    for part in header.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=').ok_or(AuthError::Malformed)?;
        match k.trim() {
            "t" => {
                if t.is_some() {
                    return Err(AuthError::Malformed);
                }
                t = Some(parse_timestamp(v).ok_or(AuthError::Malformed)?);
            }
            "v1" => {
                let d = hex::decode(v.trim()).map_err(|_| AuthError::Malformed)?;
                if d.len() != 64 || digests.len() >= 4 {
                    return Err(AuthError::Malformed);
                }
                digests.push(d);
            }
            _ => {}
        }
    }
    match t {
        Some(t) if !digests.is_empty() => Ok((t, digests)),
        _ => Err(AuthError::Malformed),
    }
}

/// Checks a v2 webhook: `signature` is the `X-Casso-Signature` value (`t` and `v1` in any
/// order, spaces tolerated, hex in either case), `now_ms` the receiver's clock in Unix
/// milliseconds.
///
/// The body is re-serialised in each of the three escapings (see the module docs) and
/// accepted if any matches, each compared in constant time; then `t` must be within
/// [`TIMESTAMP_TOLERANCE_S`] of `now_ms`, else [`AuthError::Stale`]. A body that is not
/// JSON cannot carry a valid signature: [`AuthError::BadSignature`].
pub fn verify_v2(signature: Option<&str>, body: &[u8], key: &str, now_ms: i64) -> Result<(), AuthError> {
    let header = signature.map(str::trim).filter(|s| !s.is_empty()).ok_or(AuthError::Missing)?;
    let (t, digests) = parse_signature_header(header)?;
    if key.is_empty() {
        return Err(AuthError::BadSignature);
    }
    let value = parse_json(body).map_err(|_| AuthError::BadSignature)?;
    let mut ok = subtle::Choice::from(0);
    let mut previous = String::new();
    for style in STYLES {
        let json = canonical(&value, style);
        if json == previous {
            continue; // ASCII-only text: every style writes the same string.
        }
        let expected = mac_v2(key, t, &json).finalize().into_bytes();
        for d in &digests {
            use subtle::ConstantTimeEq;
            ok |= expected.as_slice().ct_eq(d.as_slice());
        }
        previous = json;
    }
    if !bool::from(ok) {
        return Err(AuthError::BadSignature);
    }
    if !within(now_ms, t, TIMESTAMP_TOLERANCE_S.saturating_mul(1000)) {
        return Err(AuthError::Stale);
    }
    Ok(())
}

/// Checks a v1 webhook's `Secure-Token` header against the configured `token` (constant
/// time; surrounding spaces ignored; an empty configured token matches nothing).
///
/// ```
/// use appotapay_protocol::bankfeed::{casso, AuthError};
/// assert_eq!(casso::verify_v1(Some("eogrBiWqaq"), "eogrBiWqaq"), Ok(()));
/// assert_eq!(casso::verify_v1(None, "eogrBiWqaq"), Err(AuthError::Missing));
/// ```
pub fn verify_v1(secure_token: Option<&str>, token: &str) -> Result<(), AuthError> {
    let presented = secure_token.map(str::trim).filter(|s| !s.is_empty()).ok_or(AuthError::Missing)?;
    if secret_matches(presented, token.trim()) { Ok(()) } else { Err(AuthError::BadSignature) }
}

/// The first of `keys` present as a non-empty string.
fn first_text(o: &Object, keys: &[&'static str]) -> Result<Option<String>, ParseError> {
    for key in keys {
        if let Some(s) = text_opt(o, key)? {
            if !s.trim().is_empty() {
                return Ok(Some(s.to_owned()));
            }
        }
    }
    Ok(None)
}

/// One transaction object, v1, v2 or list shape; fields are read by their names in
/// whichever shape has them.
fn parse_row(row: &Value, name: &'static str) -> Result<FeedTransaction, ParseError> {
    let o = as_object(row, name)?;
    let (incoming, amount) = split_signed(integer_req(o, "amount")?, "amount")?;
    let account = first_text(o, &["accountNumber", "bankSubAccId", "bank_sub_acc_id", "subAccId"])?
        .ok_or(field("accountNumber", "missing"))?;
    Ok(FeedTransaction {
        provider: Provider::Casso,
        id: id_field(o, "id", false)?,
        account,
        incoming,
        amount,
        content: text_or_empty(o, "description")?,
        description: String::new(),
        reference: first_text(o, &["reference", "tid"])?.unwrap_or_default(),
        booked_at: first_text(o, &["transactionDateTime", "when"])?.unwrap_or_default(),
        code_hint: None,
        raw: row.to_string(),
    })
}

/// Casso's `error`: absent or 0 is success.
fn check_error(o: &Object) -> Result<(), ParseError> {
    match integer_opt(o, "error")? {
        None | Some(0) => Ok(()),
        Some(code) => {
            Err(ParseError::Refused { code, message: text_opt(o, "message").ok().flatten().unwrap_or("").to_owned() })
        }
    }
}

/// Parses a webhook body: v1 (`data` an array, one transaction per element; a row
/// that does not read is returned apart, the others still count) or v2 (`data` one
/// object, which must read). `error` other than 0 is [`ParseError::Refused`].
///
/// ```
/// use appotapay_protocol::bankfeed::casso;
/// let txs = casso::parse_webhook(br#"{"error":0,"data":[{"id":1,"tid":"TF80307914","amount":-200500,
///     "description":"DH35","when":"2020-11-02","bank_sub_acc_id":"123456789"}]}"#).unwrap();
/// assert_eq!((txs.transactions[0].incoming, txs.transactions[0].amount), (false, 200_500));
/// ```
pub fn parse_webhook(body: &[u8]) -> Result<WebhookBatch, ParseError> {
    let o = parse_object(body)?;
    check_error(&o)?;
    match o.get("data") {
        Some(Value::Array(rows)) => {
            let (transactions, rejected) = split_rows(rows, |r| parse_row(r, "data"));
            Ok(WebhookBatch { transactions, rejected })
        }
        Some(row @ Value::Object(_)) => {
            Ok(WebhookBatch { transactions: vec![parse_row(row, "data")?], rejected: vec![] })
        }
        None | Some(Value::Null) => Err(field("data", "missing")),
        Some(_) => Err(field("data", "neither an object nor an array")),
    }
}

/// The path and query of one page of the v2 transaction list, newest first, from
/// `from_date` (`YYYY-MM-DD`) on; `page` counts from 1.
///
/// ```
/// assert_eq!(
///     appotapay_protocol::bankfeed::casso::transactions_path("2024-10-03", 2, 100),
///     "/v2/transactions?fromDate=2024-10-03&page=2&pageSize=100&sort=DESC"
/// );
/// ```
pub fn transactions_path(from_date: &str, page: u32, page_size: u32) -> String {
    format!(
        "/v2/transactions?fromDate={}&page={}&pageSize={}&sort=DESC",
        query_escape(from_date.trim()),
        page.max(1),
        page_size.max(1)
    )
}

/// Parses a `GET /v2/transactions` answer. See the module docs for the mapping.
pub fn parse_transactions(body: &[u8]) -> Result<TransactionsPage, ParseError> {
    let o = parse_object(body)?;
    check_error(&o)?;
    let data = as_object(o.get("data").ok_or(field("data", "missing"))?, "data")?;
    let records = data.get("records").ok_or(field("records", "missing"))?;
    let records = records.as_array().ok_or(field("records", "not an array"))?;
    let (transactions, rejected) = split_rows(records, |r| parse_row(r, "records"));
    let page = integer_opt(data, "page")?;
    let total = integer_opt(data, "totalPages")?;
    let next_page = integer_opt(data, "nextPage")?
        .filter(|&n| n >= 1 && page.is_none_or(|p| n > p) && total.is_none_or(|t| n <= t))
        .and_then(|n| u32::try_from(n).ok());
    Ok(TransactionsPage { transactions, rejected, next_page })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bankfeed::memo::trans_ids;
    use proptest::prelude::*;

    /// The transactions of a webhook body, as before rows could be rejected apart.
    fn pw(body: &[u8]) -> Result<Vec<FeedTransaction>, ParseError> {
        parse_webhook(body).map(|b| b.transactions)
    }

    #[test]
    fn a_bad_row_does_not_hide_the_others() {
        let body = br#"{"error":0,"data":[{"id":1,"tid":"TF1","amount":1000,"description":"AP123456789012","when":"2020-11-02","bank_sub_acc_id":"1"},{"id":2,"tid":"TF2","amount":"lots","description":"x","bank_sub_acc_id":"1"},{"id":3,"tid":"TF3","amount":2000,"description":"y","when":"2020-11-02","bank_sub_acc_id":"1"}]}"#;
        let batch = parse_webhook(body).expect("batch");
        assert_eq!(batch.transactions.iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["1", "3"]);
        assert_eq!(batch.rejected.len(), 1);
        assert!(batch.rejected[0].raw.contains("lots"));
        let text = String::from_utf8_lossy(body);
        let rows = &text[text.find('[').expect("rows")..text.len() - 1];
        let list = format!(r#"{{"error":0,"data":{{"page":1,"records":{rows}}}}}"#);
        let page = parse_transactions(list.as_bytes()).expect("page");
        assert_eq!((page.transactions.len(), page.rejected.len()), (2, 1));
    }

    const KEY: &str = "mgExMrjj4i7a1p8Cs6LmFbpCd8lbw4sSX4LZXPag7TKazeIogtR90tvWYTkwQbvs";
    const T: i64 = 1_727_948_258_788;
    const V1: &str = "ed0a4bd2e826d5cb69988cdb141e6c1a080e21f3b57eb72cd78192220042b9e7dde0868fc667faea8e224900fa7904e7c88dfa098032fb2d6b6996856e8b7ff3";
    const BODY: &str = r#"{"error":0,"data":{"id":0,"reference":"MA_GIAO_DICH_THU_NGHIEM","description":"giao dich thu nghiem","amount":599000,"runningBalance":25000000,"transactionDateTime":"2024-10-03 15:06:37","accountNumber":"88888888","bankName":"VPBank","bankAbbreviation":"VPB","virtualAccountNumber":"","virtualAccountName":"","counterAccountName":"NGUYEN VAN A","counterAccountNumber":"8888888888","counterAccountBankId":"970415","counterAccountBankName":"VietinBank"}}"#;
    const V1_BODY: &str = r#"{"error":0,"data":[{"id":1,"tid":"TF80307914","amount":200500,"description":"DH35","cusum_balance":15900500,"when":"2020-11-02","subAccId":"123456789","bank_sub_acc_id":"123456789"}]}"#;

    #[test]
    fn published_vector_signs() {
        assert_eq!(sign_v2(KEY, T, BODY.as_bytes()), Ok(format!("t={T},v1={V1}")));
    }

    #[test]
    fn published_vector_verifies() {
        let header = format!("t={T},v1={V1}");
        assert_eq!(verify_v2(Some(&header), BODY.as_bytes(), KEY, T), Ok(()));
        // Any order, spaces, upper-case hex.
        let turned = format!(" v1 = {} , t = {T} ", V1.to_uppercase());
        assert_eq!(verify_v2(Some(&turned), BODY.as_bytes(), KEY, T), Ok(()));
        // Re-serialised, so whitespace and key order in the body do not matter.
        let pretty =
            serde_json::to_string_pretty(&serde_json::from_str::<Value>(BODY).unwrap_or_default()).unwrap_or_default();
        assert_eq!(verify_v2(Some(&header), pretty.as_bytes(), KEY, T), Ok(()));
    }

    #[test]
    fn v2_failures() {
        let header = format!("t={T},v1={V1}");
        let body = BODY.as_bytes();
        assert_eq!(verify_v2(Some(&header), body, KEY, T + 300_000), Ok(()));
        assert_eq!(verify_v2(Some(&header), body, KEY, T - 300_000), Ok(()));
        assert_eq!(verify_v2(Some(&header), body, KEY, T + 301_000), Err(AuthError::Stale));
        assert_eq!(verify_v2(Some(&header), body, KEY, T - 301_000), Err(AuthError::Stale));
        let tampered = BODY.replace("599000", "599001");
        assert_eq!(verify_v2(Some(&header), tampered.as_bytes(), KEY, T), Err(AuthError::BadSignature));
        assert_eq!(verify_v2(Some(&header), body, "other", T), Err(AuthError::BadSignature));
        assert_eq!(verify_v2(Some(&header), body, "", T), Err(AuthError::BadSignature));
        assert_eq!(verify_v2(Some(&header), b"{not json", KEY, T), Err(AuthError::BadSignature));
        let other_t = format!("t={},v1={V1}", T + 1);
        assert_eq!(verify_v2(Some(&other_t), body, KEY, T), Err(AuthError::BadSignature));
        assert_eq!(verify_v2(None, body, KEY, T), Err(AuthError::Missing));
        assert_eq!(verify_v2(Some("  "), body, KEY, T), Err(AuthError::Missing));
        for garbage in [
            "garbage",
            "t=abc,v1=00",
            &format!("t={T}"),
            &format!("v1={V1}"),
            &format!("t={T},v1=zz"),
            &format!("t={T},v1=abcd"),
            &format!("t={T},t={T},v1={V1}"),
            &format!("t=-{T},v1={V1}"),
        ] {
            assert_eq!(verify_v2(Some(garbage), body, KEY, T), Err(AuthError::Malformed), "{garbage}");
        }
    }

    #[test]
    fn non_ascii_text_verifies_in_each_escaping() {
        let body = r#"{"error":0,"data":{"id":7,"description":"Thanh toán đơn AP123456789012 – 😀 a/b \"q\"","amount":150000,"accountNumber":"88888888","counterAccountName":"NGUYỄN VĂN A"}}"#;
        let value: Value = serde_json::from_str(body).unwrap_or_default();
        let utf8 = canonical(&value, Escaping::Utf8);
        let ascii = canonical(&value, Escaping::Ascii);
        let php = canonical(&value, Escaping::Php);
        assert!(utf8.contains("Thanh toán đơn") && utf8.contains("a/b"));
        assert!(ascii.contains(r"to\u00e1n \u0111\u01a1n") && ascii.contains(r"\ud83d\ude00") && ascii.contains("a/b"));
        assert!(php.contains(r"to\u00e1n") && php.contains(r"a\/b") && php.contains(r#"\"q\""#));
        assert!(utf8.starts_with(r#"{"data":{"accountNumber":"88888888","amount":150000,"counterAccountName":"#));
        assert!(utf8.ends_with(r#"},"error":0}"#));
        for json in [&utf8, &ascii, &php] {
            assert_eq!(serde_json::from_str::<Value>(json).ok().as_ref(), Some(&value), "{json}");
            let digest = hex::encode(mac_v2(KEY, T, json).finalize().into_bytes());
            let header = format!("t={T},v1={digest}");
            assert_eq!(verify_v2(Some(&header), body.as_bytes(), KEY, T), Ok(()), "{json}");
        }
        assert_eq!(
            sign_v2(KEY, T, body.as_bytes())
                .map(|s| s.contains(&hex::encode(mac_v2(KEY, T, &utf8).finalize().into_bytes()))),
            Ok(true)
        );
        let txs = pw(body.as_bytes()).unwrap_or_default();
        assert_eq!(trans_ids(&[&txs[0].content, &txs[0].description]), ["AP123456789012"]);
    }

    #[test]
    fn canonical_numbers_and_controls() {
        let v: Value =
            serde_json::from_str(r#"{"b":[{"z":1,"a":2.0}],"a":-3,"c":1.5,"d":"\u0001\n\u007f","e":null,"f":true}"#)
                .unwrap_or_default();
        assert_eq!(
            canonical(&v, Escaping::Utf8),
            "{\"a\":-3,\"b\":[{\"a\":2,\"z\":1}],\"c\":1.5,\"d\":\"\\u0001\\n\u{7f}\",\"e\":null,\"f\":true}"
        );
        assert!(canonical(&v, Escaping::Ascii).contains(r#""\u0001\n\u007f""#));
    }

    #[test]
    fn v2_webhook_parses() {
        let txs = pw(BODY.as_bytes()).expect("v2 body");
        let [t] = txs.as_slice() else { panic!("one transaction") };
        assert_eq!(t.provider, Provider::Casso);
        assert_eq!(t.id, "0");
        assert_eq!(t.account, "88888888");
        assert!(t.incoming);
        assert_eq!(t.amount, 599_000);
        assert_eq!(t.content, "giao dich thu nghiem");
        assert_eq!(t.description, "");
        assert_eq!(t.reference, "MA_GIAO_DICH_THU_NGHIEM");
        assert_eq!(t.booked_at, "2024-10-03 15:06:37");
        assert_eq!(t.code_hint, None);
        assert!(t.raw.starts_with('{') && t.raw.contains(r#""runningBalance":25000000"#));
    }

    #[test]
    fn v1_sample_parses_with_its_token() {
        assert_eq!(verify_v1(Some("eogrBiWqaq"), "eogrBiWqaq"), Ok(()));
        assert_eq!(verify_v1(Some(" eogrBiWqaq "), "eogrBiWqaq"), Ok(()));
        assert_eq!(verify_v1(Some("eogrBiWqaQ"), "eogrBiWqaq"), Err(AuthError::BadSignature));
        assert_eq!(verify_v1(Some("eogrBiWqaq"), ""), Err(AuthError::BadSignature));
        assert_eq!(verify_v1(Some(""), "eogrBiWqaq"), Err(AuthError::Missing));
        assert_eq!(verify_v1(None, "eogrBiWqaq"), Err(AuthError::Missing));

        let txs = pw(V1_BODY.as_bytes()).expect("v1 body");
        let [t] = txs.as_slice() else { panic!("one transaction") };
        assert_eq!((t.id.as_str(), t.account.as_str(), t.incoming, t.amount), ("1", "123456789", true, 200_500));
        assert_eq!(
            (t.content.as_str(), t.reference.as_str(), t.booked_at.as_str()),
            ("DH35", "TF80307914", "2020-11-02")
        );
        let sub_only = V1_BODY.replace(r#","bank_sub_acc_id":"123456789""#, "").replace("\"123456789\"", "\"987\"");
        assert_eq!(pw(sub_only.as_bytes()).map(|t| t[0].account.clone()), Ok("987".to_owned()));
    }

    #[test]
    fn outgoing_and_bad_bodies() {
        let out = V1_BODY.replace("200500", "-200500");
        let txs = pw(out.as_bytes()).expect("outgoing");
        assert_eq!((txs[0].incoming, txs[0].amount), (false, 200_500));
        let two =
            V1_BODY.replace("}]}", r#"},{"id":2,"tid":"T2","amount":-1,"description":"","when":"","subAccId":"1"}]}"#);
        assert_eq!(pw(two.as_bytes()).map(|t| t.len()), Ok(2));
        assert!(matches!(pw(br#"{"error":1,"message":"bad","data":[]}"#), Err(ParseError::Refused { code: 1, .. })));
        for (body, fld) in [
            (V1_BODY.replace("200500", "200500.5"), "amount"),
            (V1_BODY.replace("200500", "\"200500\""), "amount"),
            (V1_BODY.replace("200500", "-9223372036854775808"), "amount"),
            (V1_BODY.replace(r#""id":1,"#, ""), "id"),
            (V1_BODY.replace(r#","subAccId":"123456789","bank_sub_acc_id":"123456789""#, ""), "accountNumber"),
            (r#"{"error":0}"#.to_owned(), "data"),
            (r#"{"error":0,"data":5}"#.to_owned(), "data"),
            (r#"{"error":"0","data":[]}"#.to_owned(), "error"),
        ] {
            // A whole body that does not read is an error; a row that does not read is
            // rejected apart, with the same reason.
            match parse_webhook(body.as_bytes()) {
                Err(ParseError::Field { field, .. }) => assert_eq!(field, fld, "{body}"),
                Ok(WebhookBatch { transactions, rejected }) if transactions.is_empty() && rejected.len() == 1 => {
                    assert!(matches!(rejected[0].error, ParseError::Field { field, .. } if field == fld), "{body}")
                }
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn list_parses() {
        let body = r#"{"error":0,"message":"success","data":{"page":4,"pageSize":10,"nextPage":5,"prevPage":3,"totalPages":35,"totalRecords":341,"records":[{"id":5789,"tid":"TF2104152395814062","description":"Khanhnm chuyen tien","amount":-193000,"cusum_balance":1070904,"when":"2021-04-15T00:00:00","bankSubAccId":"8007041027107","paymentChannel":"","virtualAccount":"","accountId":733,"bankCodeName":"acb_digi"},{"id":5790,"tid":"TF2","description":"MBVCB.1.AP123456789012.CT","amount":350000,"cusum_balance":720904,"when":"2021-04-15T00:00:00","bankSubAccId":"8007041027107"}]}}"#;
        let page = parse_transactions(body.as_bytes()).expect("list");
        assert_eq!(page.next_page, Some(5));
        let [a, b] = page.transactions.as_slice() else { panic!("two records") };
        assert_eq!((a.id.as_str(), a.incoming, a.amount), ("5789", false, 193_000));
        assert_eq!(
            (a.account.as_str(), a.reference.as_str(), a.booked_at.as_str()),
            ("8007041027107", "TF2104152395814062", "2021-04-15T00:00:00")
        );
        assert_eq!(trans_ids(&[&b.content, &b.description]), ["AP123456789012"]);
        for (from, to) in [
            (r#""nextPage":5"#, r#""nextPage":0"#),
            (r#""nextPage":5"#, r#""nextPage":null"#),
            (r#""nextPage":5,"#, ""),
            (r#""nextPage":5"#, r#""nextPage":36"#),
            (r#""nextPage":5"#, r#""nextPage":4"#),
        ] {
            assert_eq!(parse_transactions(body.replace(from, to).as_bytes()).map(|p| p.next_page), Ok(None), "{to}");
        }
        assert!(matches!(
            parse_transactions(br#"{"error":401,"message":"Unauthorized"}"#),
            Err(ParseError::Refused { code: 401, .. })
        ));
        assert!(matches!(
            parse_transactions(br#"{"error":0,"data":{}}"#),
            Err(ParseError::Field { field: "records", .. })
        ));
    }

    #[test]
    fn path() {
        assert_eq!(
            transactions_path(" 2024-10-03 ", 0, 0),
            "/v2/transactions?fromDate=2024-10-03&page=1&pageSize=1&sort=DESC"
        );
        assert!(transactions_path("x&y=1", 1, 20).starts_with("/v2/transactions?fromDate=x%26y%3D1&"));
    }

    proptest! {
        #[test]
        fn never_panics(body in any::<Vec<u8>>(), sig in ".{0,200}", key in ".{0,20}", now in any::<i64>(), t in any::<i64>()) {
            let _ = pw(&body);
            let _ = parse_transactions(&body);
            let _ = verify_v1(Some(&sig), &key);
            let _ = verify_v2(Some(&sig), &body, &key, now);
            let _ = sign_v2(&key, t, &body);
        }

        #[test]
        fn json_bodies_round_trip(desc in ".{0,40}", amount in any::<i64>(), id in any::<u64>(), t in 0i64..4_000_000_000_000, drift in -300_000i64..=300_000) {
            let body = serde_json::json!({"error": 0, "data": {"id": id, "description": desc, "amount": amount, "accountNumber": "1"}}).to_string();
            let _ = pw(body.as_bytes());
            let list = serde_json::json!({"error": 0, "data": {"page": amount, "nextPage": id, "totalPages": amount, "records": [{"id": id, "description": desc, "amount": amount, "bankSubAccId": "1"}]}}).to_string();
            let _ = parse_transactions(list.as_bytes());
            let sig = sign_v2("k", t, body.as_bytes());
            prop_assert!(sig.is_ok());
            let sig = sig.unwrap_or_default();
            prop_assert_eq!(verify_v2(Some(&sig), body.as_bytes(), "k", t + drift), Ok(()));
        }
    }
}
