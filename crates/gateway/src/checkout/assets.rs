//! The checkout's stylesheet and its one script, compiled into the binary and served
//! from the gateway itself: no CDN, no web font, nothing from another origin, so the
//! Content-Security-Policy can forbid every third party.
//!
//! URLs carry a hash of the content (`?v=…`), so the files can be cached for a year
//! and a new release is still picked up at once.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

const CSS: &str = include_str!("../../assets/checkout.css");
const JS: &str = include_str!("../../assets/checkout.js");

fn version(content: &str) -> String {
    hex::encode(&Sha256::digest(content.as_bytes())[..6])
}

/// `/assets/checkout.css?v=<hash>`.
pub fn css_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| format!("/assets/checkout.css?v={}", version(CSS)))
}

/// `/assets/checkout.js?v=<hash>`.
pub fn js_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| format!("/assets/checkout.js?v={}", version(JS)))
}

/// `GET /assets/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        "checkout.css" => (CSS, "text/css; charset=utf-8"),
        "checkout.js" => (JS, "text/javascript; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "not found").into_response(),
    };
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    resp
}
