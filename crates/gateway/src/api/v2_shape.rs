//! What every API v2 answer shares: nested request fields read by their path
//! (`transaction.amount`), and the error body
//! `{"errorCode", "message", "errors": [{"field", "reason"}]}`.
//!
//! Errors are made as everywhere else ([`ApiError`], the detail `field: reason`), and
//! [`layer`] gives every error answer of a v2 route its `errors` list, so that the
//! answers of the shared checks before a handler runs (authentication, the body cap,
//! idempotency) take the v2 shape too. A detail that does not start with a field
//! path leaves `errors` empty.

use super::ApiError;
use appotapay_protocol::v2::{ErrorBody, FieldProblem};
use appotapay_protocol::{ErrorCode, Lang};
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::Value;

/// Largest error body the layer rewrites (error bodies are a few hundred bytes).
const MAX_ERROR_BODY: usize = 16 * 1024;

/// An error about one field: its detail is `field: reason`.
pub fn field_err(code: ErrorCode, field: &str, reason: impl std::fmt::Display, lang: Lang) -> ApiError {
    ApiError::bad(code).lang(lang).detail(format!("{field}: {reason}"))
}

/// The field path and reason of an error detail, when it names a field.
pub fn problem(detail: &str) -> Option<FieldProblem> {
    let (field, reason) = detail.split_once(": ")?;
    let is_path = !field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_');
    is_path.then(|| FieldProblem { field: field.to_owned(), reason: reason.to_owned() })
}

/// Gives every error answer of a `/api/v2/` route its `errors` list (see the module
/// documentation); other routes pass untouched.
pub async fn layer(req: Request, next: Next) -> Response {
    let v2 = req.uri().path().starts_with("/api/v2/");
    let resp = next.run(req).await;
    if !v2 {
        return resp;
    }
    if resp.status().is_success() {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(Value::Object(obj)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if obj.contains_key("errors") {
        return Response::from_parts(parts, Body::from(bytes));
    }
    let code = obj.get("errorCode").and_then(Value::as_u64).and_then(|c| u32::try_from(c).ok());
    let message = obj.get("message").and_then(Value::as_str).unwrap_or("").to_owned();
    let detail =
        parts.headers.get(appotapay_protocol::headers::ERROR_DETAIL).and_then(|v| v.to_str().ok()).and_then(problem);
    let body = ErrorBody {
        error_code: ErrorCode(code.unwrap_or(ErrorCode::SYSTEM_ERROR.code())),
        message,
        errors: detail.into_iter().collect(),
    };
    let text = serde_json::to_vec(&body).unwrap_or_default();
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(text))
}

/// Looks a nested field up by its dotted path.
pub fn at<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k)).filter(|v| !v.is_null())
}

/// Reads the nested fields of a v2 body, each failure `field: reason` with code 1.
#[derive(Debug)]
pub struct Nested<'a> {
    /// The body.
    pub v: &'a Value,
    /// The answer's language.
    pub lang: Lang,
}

impl<'a> Nested<'a> {
    fn missing(&self, path: &str) -> ApiError {
        let name = path.rsplit('.').next().unwrap_or(path);
        field_err(ErrorCode::INVALID_PARAMS, path, format!("Field {name} is required"), self.lang)
    }

    /// A required object.
    pub fn object(&self, path: &str) -> Result<&'a Value, ApiError> {
        match at(self.v, path) {
            Some(o @ Value::Object(_)) => Ok(o),
            None => Err(self.missing(path)),
            Some(_) => Err(field_err(ErrorCode::INVALID_PARAMS, path, "must be an object", self.lang)),
        }
    }

    /// A required, non-empty string of at most `max` characters.
    pub fn required(&self, path: &str, max: usize) -> Result<&'a str, ApiError> {
        match self.optional(path, max)? {
            "" => Err(self.missing(path)),
            s => Ok(s),
        }
    }

    /// An optional string of at most `max` characters (absent or null: empty).
    pub fn optional(&self, path: &str, max: usize) -> Result<&'a str, ApiError> {
        match at(self.v, path) {
            None => Ok(""),
            Some(Value::String(s)) if s.chars().count() <= max => Ok(s),
            Some(Value::String(_)) => {
                Err(field_err(ErrorCode::INVALID_PARAMS, path, format!("at most {max} characters"), self.lang))
            }
            Some(_) => Err(field_err(ErrorCode::INVALID_PARAMS, path, "must be a string", self.lang)),
        }
    }

    /// A required integer: a number that is not an integer is 32, anything else 1.
    pub fn integer(&self, path: &str) -> Result<i64, ApiError> {
        match at(self.v, path) {
            None => Err(self.missing(path)),
            Some(Value::Number(n)) => {
                n.as_i64().ok_or_else(|| field_err(ErrorCode::INVALID_AMOUNT, path, "must be an integer", self.lang))
            }
            Some(_) => Err(field_err(ErrorCode::INVALID_PARAMS, path, "must be an integer", self.lang)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_name_fields() {
        let p = problem("transaction.amount: Field amount is required").expect("a field");
        assert_eq!((p.field.as_str(), p.reason.as_str()), ("transaction.amount", "Field amount is required"));
        assert!(problem("X-APPOTAPAY-AUTH is missing").is_none());
        assert!(problem("the token is malformed: x").is_none());
    }

    #[test]
    fn nested_lookups() {
        let v = serde_json::json!({"a": {"b": "x", "n": null, "i": 5, "f": 1.5}});
        let n = Nested { v: &v, lang: Lang::En };
        assert_eq!(n.required("a.b", 5).ok(), Some("x"));
        assert_eq!(n.optional("a.n", 5).ok(), Some(""));
        assert_eq!(n.integer("a.i").ok(), Some(5));
        assert_eq!(n.integer("a.f").err().map(|e| e.code), Some(ErrorCode::INVALID_AMOUNT));
        assert_eq!(n.required("a.c", 5).err().and_then(|e| e.detail), Some("a.c: Field c is required".into()));
        assert!(n.required("a.b", 0).is_err());
    }
}
