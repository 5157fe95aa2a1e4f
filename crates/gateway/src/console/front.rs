//! The front door (`/` for browsers), the sandbox's demo payment, the API
//! documentation served from the binary, and the console's own stylesheet and
//! script.
//!
//! `/` answers a browser (whose `Accept` names `text/html`) with a short page: what
//! this is, the mode, the sandbox's public credentials, links to the console, the
//! OpenAPI document and the docs, and in sandbox a button that creates a demo payment
//! and opens its checkout. Every other client gets the JSON answer of an unknown
//! path, as before.

use super::i18n;
use super::session;
use super::views::{DemoReturnPage, FrontPage};
use super::{html, see_other};
use crate::core::Gateway;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

const CSS: &str = include_str!("../../assets/console.css");
const JS: &str = include_str!("../../assets/console.js");
const API_DOC: &str = include_str!("../../../../docs/appotapay-api.md");

fn version(content: &str) -> String {
    hex::encode(&Sha256::digest(content.as_bytes())[..6])
}

/// `/console/assets/console.css?v=<hash>`.
pub fn css_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| format!("/console/assets/console.css?v={}", version(CSS)))
}

/// `/console/assets/console.js?v=<hash>`.
pub fn js_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| format!("/console/assets/console.js?v={}", version(JS)))
}

/// `GET /console/assets/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "console.css" => (CSS, "text/css; charset=utf-8"),
        "console.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}

/// `GET /docs/appotapay-api.md`: the API documentation of this build.
pub async fn docs() -> Response {
    let mut resp = API_DOC.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/markdown; charset=utf-8"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}

/// Whether a request is a browser asking for a page.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// The front door's page (the server answers API clients at `/` itself).
pub async fn front_door(gw: &Gateway, headers: &HeaderMap) -> Response {
    let lang = session::lang(headers);
    let t = i18n::texts(lang);
    let sandbox = gw.simulator().is_some();
    let creds = sandbox.then(|| {
        use appotapay_protocol::sandbox_partner as s;
        (s::PARTNER_CODE.to_owned(), s::API_KEY.to_owned(), s::SECRET_KEY.to_owned())
    });
    let page = FrontPage {
        t,
        mode: if sandbox { "sandbox" } else { "production" },
        creds,
        csrf: gw.form_token("front", "demo"),
        css_url: css_url(),
        lang_url: format!("/console/lang/{}?back=/", t.other_lang_code),
        base: gw.config().public_url.clone(),
        version: env!("CARGO_PKG_VERSION"),
    };
    html(StatusCode::OK, &page)
}

/// `POST /demo` (sandbox): creates a demo payment and sends the browser to its
/// checkout.
pub async fn demo(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let token = form.as_ref().ok().and_then(|Form(f)| f.get("csrf")).map_or("", |s| s.as_str());
    if !session::same_origin(&gw, &headers) || !gw.verify_form_token("front", "demo", token) {
        return (StatusCode::FORBIDDEN, "refused: the form is stale or comes from another site").into_response();
    }
    match gw.create_demo_payment().await {
        Ok(Some(order)) => see_other(&gw.payment_url(&order)),
        Ok(None) => (StatusCode::NOT_FOUND, "demo payments exist only in sandbox mode").into_response(),
        Err(e) => super::pages::internal(e),
    }
}

/// `POST /demo/ipn`: the demo payment's notify URL, which accepts every IPN.
pub async fn demo_ipn() -> Response {
    Json(serde_json::json!({ "status": "ok" })).into_response()
}

/// `GET /demo/return?…`: where the demo payment's customer lands; shows what the
/// signed redirect carried and whether it verifies.
pub async fn demo_return(State(gw): State<Arc<Gateway>>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let t = i18n::texts(session::lang(&headers));
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(q.unwrap_or_default().as_bytes()).into_owned().collect();
    let (signature_ok, trans_id) = match gw.check_demo_redirect(&params).await {
        Ok(x) => x,
        Err(e) => return super::pages::internal(e),
    };
    let console_url = trans_id.map(|id| format!("/console/orders/{}", super::pages::enc(&id)));
    html(StatusCode::OK, &DemoReturnPage { t, css_url: css_url(), params, signature_ok, console_url })
}
