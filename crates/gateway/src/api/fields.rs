//! Reading and checking request fields, each failure mapped to its errorCode.

use super::ApiError;
use appotapay_protocol::{ErrorCode, Lang};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use serde_json::{Map, Value};
use std::net::IpAddr;

/// Parses a request body as a JSON object: an oversized body answers 413, anything
/// that is not a JSON object answers 400; both with errorCode 1.
pub fn json_object(body: Result<Bytes, BytesRejection>, lang: Lang) -> Result<Value, ApiError> {
    let body = body.map_err(|r| {
        let status = if r.status() == StatusCode::PAYLOAD_TOO_LARGE { r.status() } else { StatusCode::BAD_REQUEST };
        ApiError::new(status, ErrorCode::INVALID_PARAMS).lang(lang).detail(format!("body: {}", r.body_text()))
    })?;
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad(ErrorCode::INVALID_PARAMS).lang(lang).detail(format!("body is not JSON: {e}")))?;
    if !v.is_object() {
        return Err(ApiError::bad(ErrorCode::INVALID_PARAMS).lang(lang).detail("body is not a JSON object"));
    }
    Ok(v)
}

/// Field access on a JSON object.
#[derive(Debug)]
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
    lang: Lang,
}

impl<'a> Fields<'a> {
    /// Wraps an object (see [`json_object`]).
    pub fn new(v: &'a Value, lang: Lang) -> Fields<'a> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        Fields { obj: v.as_object().unwrap_or_else(|| EMPTY.get_or_init(Map::new)), lang }
    }

    /// An error with code and detail in this request's language.
    pub fn err(&self, code: ErrorCode, detail: impl Into<String>) -> ApiError {
        ApiError::bad(code).lang(self.lang).detail(detail)
    }

    /// A required string field: absent, null and empty are all "missing" (1).
    pub fn required(&self, key: &str) -> Result<&'a str, ApiError> {
        match self.obj.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s),
            None | Some(Value::Null) | Some(Value::String(_)) => {
                Err(self.err(ErrorCode::INVALID_PARAMS, format!("{key} is missing")))
            }
            Some(_) => Err(self.err(ErrorCode::INVALID_PARAMS, format!("{key} must be a string"))),
        }
    }

    /// An optional string field: absent or null is empty.
    pub fn optional(&self, key: &str) -> Result<&'a str, ApiError> {
        match self.obj.get(key) {
            Some(Value::String(s)) => Ok(s),
            None | Some(Value::Null) => Ok(""),
            Some(_) => Err(self.err(ErrorCode::INVALID_PARAMS, format!("{key} must be a string"))),
        }
    }

    /// The `signature` field. Every fault of it answers 2, its type included: the
    /// spec ties the field to that one code, and a merchant debugging a signature
    /// should not be sent looking for another parameter.
    pub fn signature(&self) -> Result<&'a str, ApiError> {
        match self.obj.get("signature") {
            Some(Value::String(s)) if !s.is_empty() => Ok(s),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                Err(self.err(ErrorCode::INVALID_SIGNATURE, "signature is missing"))
            }
            Some(_) => Err(self.err(ErrorCode::INVALID_SIGNATURE, "signature must be a string")),
        }
    }

    /// The `amount` field: missing or not a number → 1; not a positive integer → 32.
    pub fn amount(&self) -> Result<i64, ApiError> {
        match self.obj.get("amount") {
            Some(Value::Number(n)) => match n.as_i64() {
                Some(a) => Ok(a),
                None => Err(self.err(ErrorCode::INVALID_AMOUNT, "amount must be an integer number of VND")),
            },
            None | Some(Value::Null) => Err(self.err(ErrorCode::INVALID_PARAMS, "amount is missing")),
            Some(_) => Err(self.err(ErrorCode::INVALID_PARAMS, "amount must be a number")),
        }
    }
}

/// Checks a partner order id (1..=50 of `[A-Za-z0-9_.:-]`).
pub fn order_id(f: &Fields<'_>, id: &str) -> Result<(), ApiError> {
    if appotapay_protocol::is_valid_order_id(id) {
        Ok(())
    } else {
        Err(f.err(ErrorCode::INVALID_PARAMS, "orderId must be 1 to 50 characters of A-Z a-z 0-9 _ . : -"))
    }
}

/// Checks `orderInfo`: 1..=150 characters.
pub fn order_info(f: &Fields<'_>, info: &str) -> Result<(), ApiError> {
    let n = info.chars().count();
    if (1..=150).contains(&n) && !info.chars().any(char::is_control) {
        Ok(())
    } else {
        Err(f.err(ErrorCode::INVALID_PARAMS, "orderInfo must be 1 to 150 characters without control characters"))
    }
}

/// Checks `clientIp`: an IPv4 or IPv6 literal.
pub fn client_ip(f: &Fields<'_>, ip: &str) -> Result<(), ApiError> {
    ip.parse::<IpAddr>().map(|_| ()).map_err(|_| f.err(ErrorCode::INVALID_PARAMS, "clientIp must be an IP address"))
}

/// Checks an absolute http(s) URL of at most 2,048 bytes.
pub fn http_url(f: &Fields<'_>, key: &str, value: &str) -> Result<url::Url, ApiError> {
    let bad = || f.err(ErrorCode::INVALID_PARAMS, format!("{key} must be an absolute http(s) URL"));
    if value.len() > 2048 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let u = url::Url::parse(value).map_err(|_| bad())?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err(bad());
    }
    Ok(u)
}

/// Checks `extraData`: at most 200 characters, none of them NUL (which no database
/// text column of every backend can hold).
pub fn extra_data(f: &Fields<'_>, extra: &str) -> Result<(), ApiError> {
    if extra.chars().count() <= 200 && !extra.contains('\0') {
        Ok(())
    } else {
        Err(f.err(ErrorCode::INVALID_PARAMS, "extraData must be at most 200 characters, without NUL"))
    }
}
