//! The error of every API call.

use appotapay_protocol::{ErrorCode, SignatureError};

/// Why an API call failed.
///
/// ```
/// use appotapay::{Error, ErrorCode};
/// let e = Error::Api { code: ErrorCode::DUPLICATE_ORDER_ID, message: "Duplicate order id".into(), http_status: 400 };
/// assert_eq!(e.api_code(), Some(ErrorCode::DUPLICATE_ORDER_ID));
/// assert!(e.is_final());
/// assert!(!Error::Timeout.is_final());
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The gateway answered with an `{"errorCode": N, "message": "…"}` error body.
    #[error("API error {code}: {message} (HTTP {http_status})")]
    Api {
        /// The `errorCode` of the answer.
        code: ErrorCode,
        /// The `message` of the answer, in the client's language.
        message: String,
        /// The HTTP status of the answer.
        http_status: u16,
    },
    /// The answer's signature is missing or does not match: the answer cannot be
    /// trusted. Treat the outcome as unknown and ask the status API later.
    #[error("the {spec} signature did not verify: {source}")]
    Signature {
        /// The signed message whose signature failed (the name of its field list).
        spec: &'static str,
        /// What was wrong with the signature.
        #[source]
        source: SignatureError,
    },
    /// The request could not be sent, or the connection failed before an answer arrived.
    #[error("transport error: {0}")]
    Transport(#[source] reqwest::Error),
    /// No complete answer arrived within the configured timeout. The request may or may
    /// not have been processed.
    #[error("the request timed out")]
    Timeout,
    /// The answer is not the expected JSON (garbage, an HTML error page, a missing field).
    #[error("undecodable answer (HTTP {http_status}): {reason}")]
    Decode {
        /// The HTTP status of the answer.
        http_status: u16,
        /// What was wrong with it.
        reason: String,
    },
    /// The client was built with an invalid configuration.
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// An argument cannot be put into a request (e.g. an id that is not a valid path segment).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl Error {
    /// The `errorCode` of an [`Error::Api`].
    pub fn api_code(&self) -> Option<ErrorCode> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether the failure is final.
    ///
    /// `false` when the outcome is unknown or temporary: an API error with a code that
    /// is not final (34, 35, 99, 500, see [`ErrorCode::is_final`]), a timeout, a
    /// transport failure, or an answer that could not be decoded or verified. Then
    /// ask the status API (or retry) later. `true` for other API errors and for
    /// configuration and argument errors, which a retry cannot fix.
    pub fn is_final(&self) -> bool {
        match self {
            Error::Api { code, .. } => code.is_final(),
            Error::Signature { .. } | Error::Transport(_) | Error::Timeout | Error::Decode { .. } => false,
            Error::Config(_) | Error::InvalidRequest(_) => true,
        }
    }

    /// Classifies a reqwest failure.
    pub(crate) fn from_reqwest(e: reqwest::Error) -> Error {
        if e.is_timeout() { Error::Timeout } else { Error::Transport(e) }
    }
}
