//! Cross-site request forgery protection of the checkout's form posts.
//!
//! Two independent checks, both required:
//! - **a token** in every form ([`Gateway::form_token`]: an HMAC under the link key of
//!   the order and the purpose). It is stateless (any node can check it, nothing is
//!   stored) and bound to the order and to the one action, so a token read from one
//!   form cannot drive another order or another step;
//! - **the request's provenance**: a browser that says the post is cross-site
//!   (`Sec-Fetch-Site`) or comes from a foreign `Origin` is refused, whatever token it
//!   carries.

use crate::core::Gateway;
use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

/// What a form does; each has its own token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Choose ATM or CC.
    Method,
    /// Choose a bank or brand.
    Bank,
    /// Submit card data.
    Card,
    /// Submit the OTP.
    Otp,
    /// Undo the last choice.
    Back,
    /// Cancel the payment.
    Cancel,
    /// Sandbox: simulate the QR transfer.
    Simulate,
    /// Sandbox: script the IPN's delivery faults.
    Faults,
}

impl Purpose {
    /// The name the token covers.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Method => "method",
            Purpose::Bank => "bank",
            Purpose::Card => "card",
            Purpose::Otp => "otp",
            Purpose::Back => "back",
            Purpose::Cancel => "cancel",
            Purpose::Simulate => "simulate",
            Purpose::Faults => "faults",
        }
    }
}

/// The token of `purpose` for the order `trans_id`.
pub fn token(gw: &Gateway, trans_id: &str, purpose: Purpose) -> String {
    gw.form_token(trans_id, purpose.as_str())
}

/// Whether `given` is the token of `purpose` for `trans_id` (constant time).
pub fn token_ok(gw: &Gateway, trans_id: &str, purpose: Purpose, given: &str) -> bool {
    gw.verify_form_token(trans_id, purpose.as_str(), given)
}

/// Whether the request may come from our own page: not declared cross-site by the
/// browser, and with an `Origin` (when sent) that is the gateway's public origin or
/// names the very host the request was sent to.
pub fn same_origin(gw: &Gateway, headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.to_str().unwrap_or_default(), "same-origin" | "none") {
            return false;
        }
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let Ok(url) = url::Url::parse(origin) else {
        // Includes `Origin: null` (sandboxed frames, privacy redirects).
        return false;
    };
    let public = url::Url::parse(&gw.config().public_url).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
    if url.origin().ascii_serialization() == public {
        return true;
    }
    let authority = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_owned(),
        _ => return false,
    };
    headers.get(HOST).and_then(|h| h.to_str().ok()).is_some_and(|h| h.eq_ignore_ascii_case(&authority))
}
