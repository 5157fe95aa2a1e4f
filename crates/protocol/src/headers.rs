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

/// Longest `Idempotency-Key`, in bytes (it must have at least one).
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 255;

/// Every header above.
pub const ALL: [&str; 7] =
    [AUTH, LANGUAGE, ACCOUNT_REF_ID, REQUEST_ID, ERROR_DETAIL, IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED];

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
    }
}
