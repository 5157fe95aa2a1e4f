//! How every checkout answer leaves the gateway: rendered pages and redirects carry
//! the same security headers, and a request that cannot show an order gets one
//! problem page per cause, so no handler builds a response by hand.

use super::assets;
use super::lang::UiLang;
use super::views::{Chrome, ErrorPage, FormKeys};
use crate::core::{CoreError, Gateway};
use crate::domain::records::Order;
use appotapay_protocol::ErrorCode;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why a request cannot show an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Problem {
    /// Missing, malformed or tampered `tran`/`sign`.
    BadLink,
    /// A valid link whose order does not exist (any more).
    NotFound,
    /// A post that failed the CSRF checks.
    Forbidden,
    /// A post whose body does not parse.
    BadRequest,
    /// The order's partner is locked: nothing of its links may be paid.
    Locked,
    /// Storage failed.
    Internal,
}

impl From<CoreError> for Problem {
    fn from(e: CoreError) -> Problem {
        tracing::error!(error = %e, "checkout: core operation failed");
        Problem::Internal
    }
}

/// The Content-Security-Policy of checkout pages. `form_origin` is the merchant's
/// redirect origin: a form post answered with a redirect there must be allowed by
/// `form-action`, which browsers enforce on the redirect too.
pub fn content_security_policy(form_origin: Option<&str>) -> String {
    let extra = form_origin.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         form-action 'self'{extra}; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// The origin of a merchant redirect URL, for `form-action`.
pub(super) fn redirect_origin(order: &Order) -> Option<String> {
    let url = url::Url::parse(&order.redirect_url).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.origin().ascii_serialization())
}

pub(super) fn secure_headers(resp: &mut Response, form_origin: Option<&str>, ui: UiLang) {
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_security_policy(form_origin)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    } else {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'"));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Same-origin posts keep their Origin header; the merchant never sees the link.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if let Some(cookie) = ui.cookie() {
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            h.append(header::SET_COOKIE, v);
        }
    }
}

pub(super) fn html<T: Template>(status: StatusCode, page: &T, form_origin: Option<&str>, ui: UiLang) -> Response {
    let mut resp = match page.render() {
        Ok(body) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "checkout: template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "error")
                .into_response()
        }
    };
    secure_headers(&mut resp, form_origin, ui);
    resp
}

pub(super) fn see_other(location: &str, form_origin: Option<&str>, ui: UiLang) -> Response {
    let mut resp = match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    secure_headers(&mut resp, form_origin, ui);
    resp
}

pub(super) fn chrome(gw: &Gateway, ui: UiLang, lang_url: Option<String>) -> Chrome {
    Chrome {
        t: ui.texts(),
        lang: ui.lang.code(),
        lang_url,
        sandbox: gw.simulator().is_some(),
        faults: None,
        css_url: assets::css_url(),
        js_url: assets::js_url(),
        summary: None,
        form: FormKeys::default(),
    }
}

pub(super) fn problem_page(gw: &Gateway, ui: UiLang, problem: Problem) -> Response {
    let t = ui.texts();
    let (status, heading, text, code) = match problem {
        Problem::BadLink => (StatusCode::FORBIDDEN, t.bad_link_title, t.bad_link_text, None),
        Problem::NotFound => {
            (StatusCode::NOT_FOUND, t.bad_link_title, t.not_found_text, Some(ErrorCode::TRANSACTION_NOT_FOUND.code()))
        }
        Problem::Forbidden => (StatusCode::FORBIDDEN, t.forbidden_title, t.forbidden_text, None),
        Problem::BadRequest => (StatusCode::BAD_REQUEST, t.forbidden_title, t.forbidden_text, None),
        Problem::Locked => {
            (StatusCode::FORBIDDEN, t.locked_title, t.locked_text, Some(ErrorCode::PARTNER_LOCKED.code()))
        }
        Problem::Internal => {
            (StatusCode::INTERNAL_SERVER_ERROR, t.error_title, t.error_text, Some(ErrorCode::SYSTEM_ERROR.code()))
        }
    };
    let page = ErrorPage { c: chrome(gw, ui, None), heading, text, code };
    html(status, &page, None, ui)
}
