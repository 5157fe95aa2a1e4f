//! The `X-APPOTAPAY-AUTH` JWT (spec §3): HS256 under the partner's SECRET_KEY.
//!
//! Written by hand rather than with a general JWT library because the contract needs
//! exact control over both ends: the header's key order (`typ`, `alg`, `cty`) that
//! the golden vector fixes, and a verifier that reports *which* rule failed so that
//! the gateway can answer 11, 14 or 401 as documented. Verification is two-step
//! because the key depends on the token's own `iss`: [`decode`] checks the shape and
//! header, then [`UnverifiedJwt::verify`] checks the signature and expiry.

use crate::signing::{SecretKey, hmac_bytes};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

/// The `cty` value of AppotaPay v1 tokens.
pub const CONTENT_TYPE: &str = "appotapay-api;v=1";
/// Default leeway on `exp`, seconds.
pub const DEFAULT_LEEWAY_SECS: i64 = 60;
/// Default longest lifetime a token may claim (`exp` at most this far ahead of now,
/// plus the leeway): seven days, the longest lifetime seen in use (spec §3).
pub const DEFAULT_MAX_LIFETIME_SECS: i64 = 7 * 24 * 3600;
/// Longest accepted `jti`, in bytes.
pub const MAX_JTI_BYTES: usize = 128;

/// The claims of a partner token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The partner code.
    pub iss: String,
    /// Token id, conventionally `API_KEY-unixtime`; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// The partner's API key.
    pub api_key: String,
    /// Expiry, unix seconds.
    pub exp: i64,
}

#[derive(Serialize)]
struct Header<'a> {
    typ: &'a str,
    alg: &'a str,
    cty: &'a str,
}

/// Why a token was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// No token, or not three base64url parts of JSON.
    #[error("the token is malformed")]
    Malformed,
    /// `alg` is not HS256 (`none` included).
    #[error("the token's algorithm is not HS256")]
    Algorithm,
    /// `cty` is present and not `appotapay-api;v=1`.
    #[error("the token's content type is not appotapay-api;v=1")]
    ContentType,
    /// `iss` is missing or not a string.
    #[error("the token has no issuer")]
    MissingIssuer,
    /// `api_key` is missing or not a string.
    #[error("the token has no api_key")]
    MissingApiKey,
    /// `exp` is missing or not an integer.
    #[error("the token has no expiry")]
    MissingExpiry,
    /// `exp` lies further ahead than the longest lifetime allowed.
    #[error("the token's expiry is too far ahead")]
    Lifetime,
    /// The header has a `crit` parameter: no extension is understood (RFC 7515 §4.1.11).
    #[error("the token names critical extensions")]
    Critical,
    /// `jti` is longer than 128 bytes.
    #[error("the token's jti is too long")]
    JtiTooLong,
    /// The header or the claims repeat a key.
    #[error("the token repeats a key")]
    DuplicateKey,
    /// `exp` plus leeway lies in the past.
    #[error("the token has expired")]
    Expired,
    /// The HMAC does not match.
    #[error("the token's signature does not match")]
    Signature,
}

/// Builds a token for `partner_code` valid until `now + ttl_secs`, with
/// `jti = API_KEY-now` as in AppotaPay's documentation.
///
/// ```
/// use appotapay_protocol::{jwt, SecretKey};
/// let key = SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3");
/// let token = jwt::build("APPOTAPAY", "FJcmF8uj2ISveL5FvvNk4pnp8xrhINz8", &key, 1_700_000_000, 300);
/// let claims = jwt::decode(&token).unwrap().verify(&key, 1_700_000_100, 60).unwrap();
/// assert_eq!(claims.iss, "APPOTAPAY");
/// assert_eq!(claims.exp, 1_700_000_300);
/// ```
pub fn build(partner_code: &str, api_key: &str, secret: &SecretKey, now: i64, ttl_secs: i64) -> String {
    let claims = Claims {
        iss: partner_code.to_owned(),
        jti: Some(format!("{api_key}-{now}")),
        api_key: api_key.to_owned(),
        exp: now.saturating_add(ttl_secs),
    };
    build_with_claims(&claims, secret)
}

/// Builds a token with the given claims.
pub fn build_with_claims(claims: &Claims, secret: &SecretKey) -> String {
    let header = Header { typ: "JWT", alg: "HS256", cty: CONTENT_TYPE };
    // Serialising these plain structs cannot fail.
    let h = serde_json::to_vec(&header).unwrap_or_default();
    let p = serde_json::to_vec(claims).unwrap_or_default();
    let mut token = URL_SAFE_NO_PAD.encode(h);
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(p));
    let sig = hmac_bytes(secret.expose().as_bytes(), token.as_bytes());
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(sig));
    token
}

/// Strips an optional `Bearer ` prefix (any case) and surrounding blanks: real
/// clients send the token both ways.
pub fn strip_bearer(header: &str) -> &str {
    let h = header.trim();
    match h.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("bearer ") => h[7..].trim_start(),
        _ => h,
    }
}

/// A token whose shape and header are valid but whose signature is not checked yet.
#[derive(Clone)]
pub struct UnverifiedJwt {
    signing_input: String,
    signature: Vec<u8>,
    claims: Claims,
}

impl std::fmt::Debug for UnverifiedJwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnverifiedJwt").field("iss", &self.claims.iss).finish_non_exhaustive()
    }
}

/// Checks the token's shape, header (`alg` HS256, `cty`, no `crit`) and claim types
/// (`exp` an integer, `jti` at most 128 bytes; no key twice), without its signature.
/// Never panics, whatever the input.
pub fn decode(token: &str) -> Result<UnverifiedJwt, JwtError> {
    let token = strip_bearer(token);
    let mut parts = token.split('.');
    let (Some(h64), Some(p64), Some(s64), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::Malformed);
    };
    let header: Value = decode_json(h64)?;
    match header.get("alg").and_then(Value::as_str) {
        Some("HS256") => {}
        _ => return Err(JwtError::Algorithm),
    }
    match header.get("cty") {
        None | Some(Value::Null) => {}
        Some(Value::String(c)) if c == CONTENT_TYPE => {}
        Some(_) => return Err(JwtError::ContentType),
    }
    if header.get("crit").is_some() {
        return Err(JwtError::Critical);
    }
    let payload: Value = decode_json(p64)?;
    let obj = payload.as_object().ok_or(JwtError::Malformed)?;
    let iss = obj.get("iss").and_then(Value::as_str).ok_or(JwtError::MissingIssuer)?;
    let api_key = obj.get("api_key").and_then(Value::as_str).ok_or(JwtError::MissingApiKey)?;
    // An integer only: `1e300` or 2^64-1 would be a token that never expires.
    let exp = obj.get("exp").and_then(Value::as_i64).ok_or(JwtError::MissingExpiry)?;
    let jti = match obj.get("jti") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    if jti.as_ref().is_some_and(|j| j.len() > MAX_JTI_BYTES) {
        return Err(JwtError::JtiTooLong);
    }
    let signature = URL_SAFE_NO_PAD.decode(s64.trim_end_matches('=')).map_err(|_| JwtError::Malformed)?;
    Ok(UnverifiedJwt {
        signing_input: format!("{h64}.{p64}"),
        signature,
        claims: Claims { iss: iss.to_owned(), jti, api_key: api_key.to_owned(), exp },
    })
}

fn decode_json(part: &str) -> Result<Value, JwtError> {
    let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).map_err(|_| JwtError::Malformed)?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| JwtError::Malformed)?;
    if !v.is_object() {
        return Err(JwtError::Malformed);
    }
    // `serde_json` keeps the last of repeated keys; another reader may keep the first,
    // so a token that repeats one means different things to different readers.
    serde_json::from_slice::<Unique>(&bytes).map_err(|_| JwtError::DuplicateKey)?;
    Ok(v)
}

/// Any JSON value in which no object repeats a key (deserialising fails otherwise).
struct Unique;

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value without repeated keys")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_unit<E>(self) -> Result<Unique, E> {
        Ok(Unique)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        while seq.next_element::<Unique>()?.is_some() {}
        Ok(Unique)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key) {
                return Err(serde::de::Error::custom("repeated key"));
            }
            map.next_value::<Unique>()?;
        }
        Ok(Unique)
    }
}

impl UnverifiedJwt {
    /// The claims, not yet trusted: use `iss` only to find the key.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// Checks the signature in constant time, then `exp` against `now` with
    /// `leeway_secs` and the default longest lifetime
    /// ([`DEFAULT_MAX_LIFETIME_SECS`]), and returns the trusted claims.
    pub fn verify(self, secret: &SecretKey, now: i64, leeway_secs: i64) -> Result<Claims, JwtError> {
        self.verify_within(secret, now, leeway_secs, DEFAULT_MAX_LIFETIME_SECS)
    }

    /// [`verify`](Self::verify) with another longest lifetime: `exp` may lie at most
    /// `max_lifetime_secs` plus `leeway_secs` ahead of `now`.
    pub fn verify_within(
        self,
        secret: &SecretKey,
        now: i64,
        leeway_secs: i64,
        max_lifetime_secs: i64,
    ) -> Result<Claims, JwtError> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(secret.expose().as_bytes()).map_err(|_| JwtError::Signature)?;
        mac.update(self.signing_input.as_bytes());
        mac.verify_slice(&self.signature).map_err(|_| JwtError::Signature)?;
        if self.claims.exp.saturating_add(leeway_secs) < now {
            return Err(JwtError::Expired);
        }
        if self.claims.exp > now.saturating_add(max_lifetime_secs).saturating_add(leeway_secs) {
            return Err(JwtError::Lifetime);
        }
        Ok(self.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "XAonJgy14YhtePEITXhyBS2unjfJLAV3";
    const API_KEY: &str = "FJcmF8uj2ISveL5FvvNk4pnp8xrhINz8";
    const TV_JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiIsImN0eSI6ImFwcG90YXBheS1hcGk7dj0xIn0.eyJpc3MiOiJBUFBPVEFQQVkiLCJqdGkiOiJGSmNtRjh1ajJJU3ZlTDVGdnZOazRwbnA4eHJoSU56OC0xNzAwMDAwMDAwIiwiYXBpX2tleSI6IkZKY21GOHVqMklTdmVMNUZ2dk5rNHBucDh4cmhJTno4IiwiZXhwIjoxNzAwMDAwMzAwfQ.Yti7NUJL2sOH5jfzshacwwThQGyA9CxKOQRdIuUt-jk";

    fn key() -> SecretKey {
        SecretKey::new(KEY)
    }

    fn forge(header: &str, payload: &str, secret: &str) -> String {
        let mut t = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
        let sig = hmac_bytes(secret.as_bytes(), t.as_bytes());
        t.push('.');
        t.push_str(&URL_SAFE_NO_PAD.encode(sig));
        t
    }

    #[test]
    fn golden_vector() {
        assert_eq!(build("APPOTAPAY", API_KEY, &key(), 1_700_000_000, 300), TV_JWT);
        let c = decode(TV_JWT).and_then(|t| t.verify(&key(), 1_700_000_000, 60)).expect("valid");
        assert_eq!(c.jti.as_deref(), Some("FJcmF8uj2ISveL5FvvNk4pnp8xrhINz8-1700000000"));
        let bearer = format!("Bearer {TV_JWT}");
        assert!(decode(&bearer).and_then(|t| t.verify(&key(), 1_700_000_000, 60)).is_ok());
    }

    #[test]
    fn expiry_with_leeway() {
        let v = |now| decode(TV_JWT).and_then(|t| t.verify(&key(), now, 60));
        assert!(v(1_700_000_360).is_ok());
        assert_eq!(v(1_700_000_361), Err(JwtError::Expired));
    }

    #[test]
    fn each_rule_reports_itself() {
        let p = r#"{"iss":"APPOTAPAY","api_key":"k","exp":1700000300}"#;
        let now = 1_700_000_000;
        let check = |t: &str| decode(t).and_then(|u| u.verify(&key(), now, 60));
        assert!(check(&forge(r#"{"alg":"HS256"}"#, p, KEY)).is_ok(), "no typ, no cty, no jti");
        assert_eq!(check(&forge(r#"{"alg":"none"}"#, p, KEY)), Err(JwtError::Algorithm));
        assert_eq!(check(&forge(r#"{"alg":"HS512"}"#, p, KEY)), Err(JwtError::Algorithm));
        assert_eq!(check(&forge(r#"{"typ":"JWT"}"#, p, KEY)), Err(JwtError::Algorithm));
        assert_eq!(check(&forge(r#"{"alg":"HS256","cty":"x"}"#, p, KEY)), Err(JwtError::ContentType));
        assert_eq!(check(&forge(r#"{"alg":"HS256"}"#, p, "other")), Err(JwtError::Signature));
        assert_eq!(
            check(&forge(r#"{"alg":"HS256"}"#, r#"{"api_key":"k","exp":1700000300}"#, KEY)),
            Err(JwtError::MissingIssuer)
        );
        assert_eq!(
            check(&forge(r#"{"alg":"HS256"}"#, r#"{"iss":"A","exp":1700000300}"#, KEY)),
            Err(JwtError::MissingApiKey)
        );
        assert_eq!(
            check(&forge(r#"{"alg":"HS256"}"#, r#"{"iss":"A","api_key":"k"}"#, KEY)),
            Err(JwtError::MissingExpiry)
        );
        assert_eq!(
            check(&forge(r#"{"alg":"HS256"}"#, r#"{"iss":"A","api_key":"k","exp":"soon"}"#, KEY)),
            Err(JwtError::MissingExpiry)
        );
        assert_eq!(check(""), Err(JwtError::Malformed));
        assert_eq!(check("a.b"), Err(JwtError::Malformed));
        assert_eq!(check("a.b.c.d"), Err(JwtError::Malformed));
        assert_eq!(check("!!.!!.!!"), Err(JwtError::Malformed));
        // alg=none with an empty signature part
        let none = format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#), URL_SAFE_NO_PAD.encode(p));
        assert_eq!(check(&none), Err(JwtError::Algorithm));
        // jti without a dash (Postman) is accepted
        let postman = forge(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            r#"{"iss":"A","jti":"k1700000000","api_key":"k","exp":1700000300}"#,
            KEY,
        );
        assert_eq!(check(&postman).map(|c| c.jti), Ok(Some("k1700000000".to_owned())));
    }

    #[test]
    fn lifetimes_are_bounded() {
        let now = 1_700_000_000;
        let check = |p: &str| decode(&forge(r#"{"alg":"HS256"}"#, p, KEY)).and_then(|u| u.verify(&key(), now, 60));
        assert_eq!(
            check(r#"{"iss":"A","api_key":"k","exp":18446744073709551615}"#),
            Err(JwtError::MissingExpiry),
            "beyond i64"
        );
        assert_eq!(check(r#"{"iss":"A","api_key":"k","exp":1e300}"#), Err(JwtError::MissingExpiry));
        assert_eq!(check(r#"{"iss":"A","api_key":"k","exp":1700000300.5}"#), Err(JwtError::MissingExpiry));
        assert_eq!(check(r#"{"iss":"A","api_key":"k","exp":9223372036854775807}"#), Err(JwtError::Lifetime));
        let week = DEFAULT_MAX_LIFETIME_SECS;
        let at = |exp: i64| format!(r#"{{"iss":"A","api_key":"k","exp":{exp}}}"#);
        assert!(check(&at(now + week + 60)).is_ok(), "seven days plus leeway");
        assert_eq!(check(&at(now + week + 61)), Err(JwtError::Lifetime));
        let short = |exp: i64| {
            decode(&forge(r#"{"alg":"HS256"}"#, &at(exp), KEY)).and_then(|u| u.verify_within(&key(), now, 60, 300))
        };
        assert!(short(now + 360).is_ok());
        assert_eq!(short(now + 361), Err(JwtError::Lifetime));
    }

    #[test]
    fn crit_long_jti_and_repeated_keys_are_refused() {
        let now = 1_700_000_000;
        let p = r#"{"iss":"APPOTAPAY","api_key":"k","exp":1700000300}"#;
        let check = |h: &str, p: &str| decode(&forge(h, p, KEY)).and_then(|u| u.verify(&key(), now, 60));
        assert_eq!(check(r#"{"alg":"HS256","crit":["b64"],"b64":false}"#, p), Err(JwtError::Critical));
        assert_eq!(check(r#"{"alg":"HS256","crit":[]}"#, p), Err(JwtError::Critical));
        let jti = |n: usize| format!(r#"{{"iss":"A","jti":"{}","api_key":"k","exp":1700000300}}"#, "j".repeat(n));
        assert!(check(r#"{"alg":"HS256"}"#, &jti(128)).is_ok());
        assert_eq!(check(r#"{"alg":"HS256"}"#, &jti(129)), Err(JwtError::JtiTooLong));
        assert_eq!(
            check(r#"{"alg":"HS256"}"#, r#"{"iss":"X","iss":"Y","api_key":"k","exp":1700000300}"#),
            Err(JwtError::DuplicateKey)
        );
        assert_eq!(check(r#"{"alg":"HS256","alg":"HS256"}"#, p), Err(JwtError::DuplicateKey));
        assert_eq!(
            check(r#"{"alg":"HS256"}"#, r#"{"iss":"X","api_key":"k","exp":1700000300,"x":{"a":1,"a":2}}"#),
            Err(JwtError::DuplicateKey),
            "nested too"
        );
        assert!(
            check(r#"{"alg":"HS256"}"#, r#"{"iss":"X","api_key":"k","exp":1700000300,"x":[{"a":1},{"a":2}]}"#).is_ok()
        );
    }

    #[test]
    fn bearer_prefix() {
        assert_eq!(strip_bearer("Bearer abc"), "abc");
        assert_eq!(strip_bearer("bearer   abc "), "abc");
        assert_eq!(strip_bearer("abc"), "abc");
        assert_eq!(strip_bearer("Bear"), "Bear");
    }
}
