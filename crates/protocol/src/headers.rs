//! The HTTP headers of the partner API (spec §2–§3).
//!
//! Header names are case-insensitive (RFC 9110 §5.1); they are given here in lower
//! case, the form HTTP/2 sends and HTTP libraries keep them in (so each constant can
//! name a header statically, e.g. `http::HeaderName::from_static`). The spelling of
//! the documentation is noted with each.

/// `X-APPOTAPAY-AUTH`: `Bearer <JWT>`, the partner's token on every request (see
/// [`crate::jwt`]). Sensitive: never logged.
pub const AUTH: &str = "x-appotapay-auth";

/// `X-Language`: the language of an answer's `message`, `vi` (default) or `en` (see
/// [`crate::Lang::from_header`]).
pub const LANGUAGE: &str = "x-language";

/// `X-Account-Ref-ID`: the partner's sub-account a payment is for (see
/// [`crate::fields::account_ref_id`]); a bad one answers errorCode 90.
pub const ACCOUNT_REF_ID: &str = "x-account-ref-id";

/// `X-Request-ID`: the request's id, echoed back in the answer (the gateway assigns
/// one when the request has none).
pub const REQUEST_ID: &str = "x-request-id";

/// `X-Error-Detail`: on an error answer, a short English explanation (which field,
/// why) in visible ASCII. The body itself only ever holds `errorCode` and `message`.
pub const ERROR_DETAIL: &str = "x-error-detail";

/// `Idempotency-Key`: on a partner POST, up to 255 characters that name the request
/// so that a retry of it is answered with the first answer instead of being run
/// again (kept 24 hours per partner; see the gateway's docs §12).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// `Idempotent-Replayed`: `true` on an answer that repeats the stored answer of an
/// earlier request with the same `Idempotency-Key`.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// `X-Expected-Signature-Data`: sandbox only, on an answer with errorCode 2 (bad
/// signature), the `data` string the gateway computed from the request and signed
/// (spec §4), percent-encoded by [`encode_signature_data`] so that any text fits a
/// header. Never the expected signature itself.
pub const EXPECTED_SIGNATURE_DATA: &str = "x-expected-signature-data";

/// Longest `Idempotency-Key`, in bytes (it must have at least one).
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 255;

/// Every header above.
pub const ALL: [&str; 8] = [
    AUTH,
    LANGUAGE,
    ACCOUNT_REF_ID,
    REQUEST_ID,
    ERROR_DETAIL,
    IDEMPOTENCY_KEY,
    IDEMPOTENT_REPLAYED,
    EXPECTED_SIGNATURE_DATA,
];

/// Encodes a `data` string for [`EXPECTED_SIGNATURE_DATA`]: its UTF-8 bytes, each
/// one outside RFC 3986's unreserved set (`A-Z a-z 0-9 - . _ ~`) written `%XX` with
/// upper-case hex. `&`, `=`, spaces and `+` are encoded too, so the value decodes to
/// exactly one string whatever it holds.
///
/// ```
/// use appotapay_protocol::headers::{decode_signature_data, encode_signature_data};
/// let data = "orderId=A1&orderInfo=Thanh toán+1";
/// let header = encode_signature_data(data);
/// assert_eq!(header, "orderId%3DA1%26orderInfo%3DThanh%20to%C3%A1n%2B1");
/// assert_eq!(decode_signature_data(&header).as_deref(), Some(data));
/// ```
pub fn encode_signature_data(data: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(data.len() * 3 / 2);
    for b in data.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Decodes a value of [`EXPECTED_SIGNATURE_DATA`] (any `%XX` percent-encoding whose
/// bytes are UTF-8; `+` is a plus sign). `None` for a broken escape or bytes that
/// are not UTF-8.
pub fn decode_signature_data(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let text = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(text, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lower_case_tokens() {
        for name in ALL {
            assert!(!name.is_empty());
            assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{name}");
        }
        assert!(AUTH.eq_ignore_ascii_case("X-APPOTAPAY-AUTH"));
        assert!(LANGUAGE.eq_ignore_ascii_case("X-Language"));
        assert!(ACCOUNT_REF_ID.eq_ignore_ascii_case("X-Account-Ref-ID"));
        assert!(REQUEST_ID.eq_ignore_ascii_case("X-Request-ID"));
        assert!(ERROR_DETAIL.eq_ignore_ascii_case("X-Error-Detail"));
        assert!(IDEMPOTENCY_KEY.eq_ignore_ascii_case("Idempotency-Key"));
        assert!(IDEMPOTENT_REPLAYED.eq_ignore_ascii_case("Idempotent-Replayed"));
        assert!(EXPECTED_SIGNATURE_DATA.eq_ignore_ascii_case("X-Expected-Signature-Data"));
    }

    #[test]
    fn signature_data_round_trips_and_fits_a_header() {
        for data in ["", "a=1&b=", "orderInfo=Đơn hàng số 1 – ưu đãi", "x=%41+~ /?#\u{1F600}", "k=\"v\"\t\n"]
        {
            let v = encode_signature_data(data);
            assert!(v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)), "{v}");
            assert_eq!(decode_signature_data(&v).as_deref(), Some(data));
        }
        assert_eq!(decode_signature_data("%4"), None);
        assert_eq!(decode_signature_data("%zz"), None);
        assert_eq!(decode_signature_data("%FF"), None);
    }
}
