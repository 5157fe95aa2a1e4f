//! The operator's console at `/console`, and the front door at `/`: one place where
//! merchants' developers and operators see every order, IPN attempt and partner of
//! the gateway, and act on them. An entry point: it renders and reads forms; every
//! action is a core call ([`crate::core::console`]) that the admin API and the
//! command line make too, and that writes the audit log.
//!
//! How it is put together, and why:
//! - **Server-rendered pages** (askama, `templates/console/`), one stylesheet and one
//!   small script served by the gateway itself, a strict Content-Security-Policy
//!   (nothing from another origin, no inline script or style). Every value is
//!   escaped by the templates; the charts are SVG drawn on the server, so a page
//!   shows everything with JavaScript off.
//! - **Live updates** (`/console/events`, server-sent events from this node's
//!   [`crate::core::console::LiveEvent`]s): the script refreshes the parts of the
//!   open page an event concerns, by fetching the page again; nothing is rendered in
//!   the browser from event data except the live page's list (as text).
//! - **Access** ([`session`]): a loopback sandbox opens without a login; anywhere else
//!   an admin token signs in, into a stateless HMAC session cookie. Viewers look,
//!   operators act (the core refuses a viewer too). Every form post carries a CSRF
//!   token and must come from the console's own origin.
//! - **Post, then redirect**: an action answers `303 See Other` back to its page with
//!   a confirmation, so a reload never repeats it; a refusal shows why.
//! - **Vietnamese and English** ([`i18n`]), from a cookie or `Accept-Language`.

mod actions;
pub mod charts;
pub mod format;
mod front;
pub mod i18n;
mod live;
mod order_page;
mod pages;
pub mod session;
pub mod views;

use crate::core::Gateway;
use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use views::{Chrome, MessagePage};

pub use front::{front_door, wants_html};

/// The Content-Security-Policy of every console page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The console's routes (the front door `/` is mounted by the server, which also
/// answers API clients there), to merge into the gateway's router.
pub fn routes() -> Router<Arc<Gateway>> {
    Router::new()
        .route("/console", get(pages::overview))
        .route("/console/login", get(pages::login).post(actions::login))
        .route("/console/logout", post(actions::logout))
        .route("/console/lang/{lang}", get(actions::set_lang))
        .route("/console/orders", get(pages::orders))
        .route("/console/orders/{trans_id}", get(order_page::order))
        .route("/console/orders/{trans_id}/{action}", post(actions::order_action))
        .route("/console/deliveries", get(pages::deliveries))
        .route("/console/deliveries/redrive", post(actions::redrive))
        .route("/console/deliveries/{outbox_id}/redrive", post(actions::redrive_one))
        .route("/console/partners", get(pages::partners).post(actions::create_partner))
        .route("/console/partners/{code}", get(pages::partner))
        .route("/console/partners/{code}/{action}", post(actions::partner_action))
        .route("/console/audit", get(pages::audit))
        .route("/console/tokens/{id}/revoke", post(actions::revoke_token))
        .route("/console/live", get(pages::live))
        .route("/console/events", get(live::events))
        .route("/console/assets/{file}", get(front::asset))
        .route("/demo", post(front::demo))
        .route("/demo/return", get(front::demo_return))
        .route("/demo/ipn", post(front::demo_ipn))
        .route("/docs/appotapay-api.md", get(front::docs))
}

/// The security headers of every console answer.
fn secure(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
}

/// A rendered page.
fn html<T: Template>(status: StatusCode, page: &T) -> Response {
    let mut resp = match page.render() {
        Ok(body) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console: template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "error")
                .into_response()
        }
    };
    secure(&mut resp);
    resp
}

/// `303 See Other` to `to`.
fn see_other(to: &str) -> Response {
    let mut resp = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    secure(&mut resp);
    resp
}

/// A page saying why something could not be done.
fn message(c: Chrome, status: StatusCode, title: &'static str, message: String, back_url: String) -> Response {
    html(status, &MessagePage { c, title, message, back_url })
}

/// The overview's charts for a window (`hour` or `day`), titled in the page's
/// language.
async fn overview_charts(
    gw: &Gateway,
    t: &'static i18n::Texts,
    window: &str,
) -> Result<Vec<views::ChartBox>, crate::core::CoreError> {
    use crate::domain::stats::Window;
    let window = Window::parse(window).unwrap_or(Window::LastHour);
    let o = gw.overview(window, crate::now_ms()).await?;
    Ok(vec![
        views::ChartBox { title: t.orders_by_method, svg: charts::orders_by_method(&o) },
        views::ChartBox { title: t.orders_by_result, svg: charts::orders_by_result(&o) },
        views::ChartBox { title: t.success_rate, svg: charts::success_rate(&o) },
        views::ChartBox { title: t.ipn_latency, svg: charts::ipn_latency(&o) },
        views::ChartBox { title: t.ipn_outcomes, svg: charts::ipn_outcomes(&o) },
        views::ChartBox { title: t.outbox_depth, svg: charts::outbox_depth(&o) },
        views::ChartBox { title: t.refunds_chart, svg: charts::refund_counts(&o) },
        views::ChartBox { title: t.refund_amounts, svg: charts::refund_amounts(&o) },
    ])
}
