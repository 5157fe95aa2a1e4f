//! The partner API (spec §2–§5; v1.1 in [`v11`], v2 in [`v2`] and [`v2_refunds`]), the sandbox helpers (spec §7), the bank feeds'
//! webhooks, the admin API and the operations endpoints, and the HTTP stack every route of the gateway runs behind.
//!
//! Handlers read bodies as raw JSON values rather than typed structs: the signature is
//! computed over the values exactly as received, and each wrong field has to map to
//! its documented errorCode rather than to a generic deserialisation error.

pub mod admin;
pub mod admin_console;
pub mod admin_json;
pub mod admin_partners;
pub mod auth;
pub mod bank_feeds;
pub mod debugger;
pub mod error;
pub mod fields;
pub mod idempotency;
pub mod limits;
pub mod lists;
pub mod openapi;
pub mod ops;
mod owner;
pub mod payments;
pub mod refunds;
pub mod sandbox;
pub mod v11;
pub mod v2;
pub mod v2_refunds;
pub mod v2_shape;

use crate::core::Gateway;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use std::sync::Arc;
use std::time::Instant;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 64 * 1024;

/// The `X-Request-ID` header.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static(appotapay_protocol::headers::REQUEST_ID);

/// The partner API's routes, with the sandbox helpers when the acquirer is a
/// simulator (they do not exist otherwise: 404 like any unknown path).
///
/// Every POST among them honours `Idempotency-Key` ([`idempotency`]). With a
/// simulator they also run behind the merchant test kit ([`debugger`]: the
/// signature debugger and the request log), which production does not have.
pub fn routes(gw: &Arc<Gateway>) -> Router<Arc<Gateway>> {
    let mut api = Router::new()
        .route("/api/v1/orders/payment/bank", post(payments::create_bank))
        .route("/api/v1/orders/payment/qr", post(payments::create_qr))
        .route("/api/v1/orders/transaction/bank/status", post(payments::status))
        .route("/api/v1/transaction/refund", post(refunds::create))
        // The static `refund` segment wins over `{order_id}`: an order whose id is
        // literally "refund" cannot list its refunds by this route (GET /api/v1/refunds
        // with orderId=refund can).
        .route("/api/v1/transaction/refund/{refund_id}", get(refunds::detail))
        .route("/api/v1/transaction/{order_id}/refund", get(refunds::by_order))
        .route("/api/v1/refunds", get(refunds::list))
        .route("/api/v1.1/orders/payment/bank", post(v11::create_bank))
        .route("/api/v1.1/orders/transaction/bank/status", post(v11::status))
        .route("/api/v1.1/orders/transactions", get(v11::list))
        .route("/api/v1.1/token/delete", delete(v11::token_delete))
        .route("/api/v1.1/token/{order_id}", get(v11::token_of_order))
        .route("/api/v2/orders/payment", post(v2::create))
        .route("/api/v2/orders/transaction", get(v2::status))
        .route("/api/v2/orders/transactions", get(v2::list))
        .route("/api/v2/transaction/refund", post(v2_refunds::create))
        .route("/api/v2/transaction/refund/{id}", get(v2_refunds::detail))
        .route("/api/v2/token/delete", delete(v2::token_delete));
    if gw.simulator().is_some() {
        api = api
            .route("/api/v1/sandbox/transactions/{trans_id}/complete", post(sandbox::complete))
            .route("/api/v1/sandbox/bank-credit", post(sandbox::bank_credit))
            .route("/api/v1/sandbox/conformance", post(sandbox::conformance))
            .route(
                "/api/v1/sandbox/delivery-faults",
                post(sandbox::add_delivery_fault).get(sandbox::delivery_faults).delete(sandbox::clear_delivery_faults),
            )
            .route("/api/v1/sandbox/clock", get(sandbox::clock))
            .route("/api/v1/sandbox/clock/advance", post(sandbox::advance_clock));
    }
    // As one layer (see `http_stack`), outside in: v2's error shape (so that it
    // covers the answers of the layers below too), the sandbox's signature
    // debugger, idempotency.
    let debugger = gw.simulator().is_some().then(|| middleware::from_fn_with_state(gw.clone(), debugger::layer));
    api = api.route_layer(
        ServiceBuilder::new()
            .layer(middleware::from_fn(v2_shape::layer))
            .option_layer(debugger)
            .layer(middleware::from_fn_with_state(gw.clone(), idempotency::layer)),
    );
    api.merge(feed_and_admin_routes())
}

/// The bank feeds' webhooks (in every mode: a merchant rehearses them in sandbox),
/// the admin API, and the OpenAPI document (of this mode: [`openapi::serve`]). Not behind the partner API's idempotency layer: a feed's
/// duplicates are recognised by its transaction ids.
fn feed_and_admin_routes() -> Router<Arc<Gateway>> {
    Router::new()
        .route("/bank-feeds/{provider}/{partner_code}", post(bank_feeds::webhook))
        .route("/admin/api/v1/credits", get(admin::list_credits))
        .route("/admin/api/v1/credits/{id}", get(admin::get_credit))
        .route("/admin/api/v1/credits/{id}/resolve", post(admin::resolve_credit))
        .route("/admin/api/v1/refunds/{refund_id}/by-hand", post(admin::refund_by_hand))
        .route("/admin/api/v1/whoami", get(admin_console::whoami))
        .route("/admin/api/v1/orders", get(admin_console::list_orders))
        .route("/admin/api/v1/orders/{trans_id}", get(admin_console::get_order))
        .route("/admin/api/v1/orders/{trans_id}/resend-ipn", post(admin_console::resend_ipn))
        .route("/admin/api/v1/orders/{trans_id}/refund", post(admin_console::refund))
        .route("/admin/api/v1/orders/{trans_id}/settle", post(admin_console::settle))
        .route("/admin/api/v1/deliveries", get(admin_console::deliveries))
        .route("/admin/api/v1/deliveries/redrive", post(admin_console::redrive))
        .route("/admin/api/v1/deliveries/{outbox_id}/redrive", post(admin_console::redrive_one))
        .route("/admin/api/v1/partners", get(admin_partners::partners).post(admin_partners::create_partner))
        .route("/admin/api/v1/partners/{code}", get(admin_partners::partner))
        .route("/admin/api/v1/partners/{code}/{action}", post(admin_partners::partner_action))
        .route("/admin/api/v1/audit", get(admin_console::audit))
        .route("/admin/api/v1/tokens", get(admin_console::tokens))
        .route("/admin/api/v1/tokens/{id}/revoke", post(admin_console::revoke_token))
        .route("/openapi.json", get(openapi::serve))
}

/// The layers every route runs behind, outside in: request id (assigned when missing,
/// echoed back), the auth header marked sensitive, a tracing span per request (path
/// only), panics turned into errorCode 500, the latency histogram, and the body cap.
///
/// Public so that the load generator's ceiling (a static answer behind this same
/// stack) measures exactly what every gateway request pays before its handler runs.
pub fn http_stack<S>(routes: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    // One layer made of all of them: `Router::layer` boxes each layer around every
    // route, and every request clones the boxes of its route (an allocation and a
    // dynamic call each, 6,000 instructions a request for this stack in a callgrind
    // profile of the ceiling); built as one `ServiceBuilder`, it is one box. The
    // first layer added is the outermost.
    routes.layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(X_REQUEST_ID.clone(), MakeRequestUuid))
            .layer(PropagateRequestIdLayer::new(X_REQUEST_ID.clone()))
            .layer(SetSensitiveRequestHeadersLayer::new([HeaderName::from_static(appotapay_protocol::headers::AUTH)]))
            .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req.headers().get(&X_REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                // The path only: query strings can carry payment-link signatures.
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }))
            .layer(CatchPanicLayer::custom(|_| ApiError::internal().into_response()))
            .layer(middleware::from_fn(record_latency))
            .layer(DefaultBodyLimit::max(BODY_LIMIT)),
    )
}

/// The answer to an unknown path.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, appotapay_protocol::ErrorCode::INVALID_PARAMS).detail("no such route")
}

/// The answer to a known path with another method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, appotapay_protocol::ErrorCode::INVALID_PARAMS)
        .detail("method not allowed")
}

async fn record_latency(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let start = Instant::now();
    let resp = next.run(req).await;
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    crate::metrics::request(route, resp.status().as_u16(), start.elapsed().as_secs_f64());
    resp
}
