//! The hosted checkout: the pages behind `paymentUrl` (spec §5.1, §5.2, §7) and the QR
//! image behind `qrCodeUrl`. An entry point: it renders and reads forms; what each
//! step does to an order is the core's ([`crate::core::pay`]), and what a bank says
//! is the acquirer's.
//!
//! How it is put together, and why:
//! - **Server-rendered, one URL per order.** `GET /bank/payment/process?tran&sign`
//!   always shows the step the order is at (method → bank → card → OTP, or the QR, or
//!   the result), computed from the order and its checkout row. Every form posts to
//!   its own endpoint, which changes state and answers `303 See Other` back to that
//!   URL (or to the merchant). Reloading, going back, or landing on another node all
//!   show the right step.
//! - **No state in memory.** The customer's choices, the card awaiting its OTP
//!   (masked, with the outcome the issuer decided), the wrong-OTP count and the
//!   settle time of a "processing" payment live in the store's `checkout_sessions`
//!   table, so the gateway can run on several nodes.
//! - **Settlement goes through the core.** Every outcome is applied with
//!   `Gateway::settle`, which runs the state machine and queues the IPN in the same
//!   transaction; the customer is then sent to the merchant's signed `redirectUrl`
//!   (spec §6), for failures as well as for success.
//! - **Hardened pages.** Templates escape everything; a strict Content-Security-Policy
//!   allows only the gateway's own stylesheet and script; every post carries a CSRF
//!   token and cross-site posts are refused ([`csrf`]); card numbers never leave the
//!   request beyond first 6 + last 4.

pub mod assets;
pub mod csrf;
pub mod faults;
pub mod forms;
mod handlers;
pub mod i18n;
mod lang;
mod link;
pub mod qr;
mod render;
mod respond;
mod steps;
pub mod views;

use crate::core::Gateway;
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

pub use handlers::qr_png;
pub use render::bin_bank_name;

/// The checkout's routes, to merge into the gateway's router. The "simulate bank
/// transfer" button's and the delivery-fault controls' endpoints exist only with a
/// simulated bank.
pub fn routes(gw: &Gateway) -> Router<Arc<Gateway>> {
    let mut r = Router::new()
        .route("/bank/payment/process", get(handlers::process))
        // v2 payment links: the same pages (`lang` sets their language).
        .route("/v2/bank/payment/process", get(handlers::process))
        .route("/bank/payment/result", get(handlers::result))
        .route("/bank/payment/status", get(handlers::status))
        .route("/bank/payment/method", post(handlers::choose_method))
        .route("/bank/payment/bank", post(handlers::choose_bank))
        .route("/bank/payment/card", post(handlers::submit_card))
        .route("/bank/payment/otp", post(handlers::submit_otp))
        .route("/bank/payment/back", post(handlers::back))
        .route("/bank/payment/cancel", post(handlers::cancel))
        .route("/qr/{file}", get(handlers::qr_image))
        .route("/assets/{file}", get(assets::asset));
    if gw.simulator().is_some() {
        r = r
            .route("/bank/payment/qr/simulate", post(handlers::simulate_transfer))
            .route("/bank/payment/faults", post(faults::script));
    }
    r
}
