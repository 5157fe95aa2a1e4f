//! Error answers: `{"errorCode": N, "message": "…"}` in the request's language, with
//! the HTTP status of spec §2. A human-readable detail (which field, why) travels in
//! the `X-Error-Detail` header, never in the body, whose keys are fixed by the docs.

use appotapay_protocol::messages::ErrorBody;
use appotapay_protocol::{ErrorCode, Lang};
use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// errorCode.
    pub code: ErrorCode,
    /// Language of the message.
    pub lang: Lang,
    /// Detail for the `X-Error-Detail` header.
    pub detail: Option<String>,
}

impl ApiError {
    /// An error with `status` and `code`, Vietnamese message.
    pub fn new(status: StatusCode, code: ErrorCode) -> ApiError {
        ApiError { status, code, lang: Lang::Vi, detail: None }
    }

    /// A validation or business error (HTTP 400).
    pub fn bad(code: ErrorCode) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code)
    }

    /// An authentication error (HTTP 401).
    pub fn auth(code: ErrorCode) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, code)
    }

    /// An internal error (HTTP 500, errorCode 500, no detail).
    pub fn internal() -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::SYSTEM_ERROR)
    }

    /// Sets the message language.
    pub fn lang(mut self, lang: Lang) -> ApiError {
        self.lang = lang;
        self
    }

    /// Adds a detail.
    pub fn detail(mut self, detail: impl Into<String>) -> ApiError {
        self.detail = Some(detail.into());
        self
    }
}

impl From<crate::core::CoreError> for ApiError {
    fn from(e: crate::core::CoreError) -> ApiError {
        tracing::error!(error = %e, "internal error");
        ApiError::internal()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error_code: self.code, message: self.code.message(self.lang).to_owned() };
        let mut resp = (self.status, Json(body)).into_response();
        if let Some(d) = self.detail {
            // Header values must be visible ASCII; anything else is dropped.
            let clean: String = d.chars().filter(|c| c.is_ascii() && !c.is_ascii_control()).take(200).collect();
            if let Ok(v) = HeaderValue::from_str(&clean) {
                resp.headers_mut().insert(appotapay_protocol::headers::ERROR_DETAIL, v);
            }
        }
        resp
    }
}
