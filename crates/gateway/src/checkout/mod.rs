//! The hosted checkout: the pages behind `paymentUrl` (spec §5.1, §5.2, §7), the QR
//! image behind `qrCodeUrl`, and the sandbox card issuer's behaviour as a customer
//! meets it.
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
//!   [`Gateway::settle`], which runs the state machine and queues the IPN in the same
//!   transaction; the customer is then sent to the merchant's signed `redirectUrl`
//!   (spec §6), for failures as well as for success.
//! - **Hardened pages.** Templates escape everything; a strict Content-Security-Policy
//!   allows only the gateway's own stylesheet and script; every post carries a CSRF
//!   token and cross-site posts are refused ([`csrf`]); card numbers never leave the
//!   request beyond first 6 + last 4.

pub mod assets;
pub mod csrf;
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

use crate::app::{CoreError, Gateway, SettleDetails};
use crate::payments::Event;
use crate::store::{Checkout, Order, OrderKind};
use appotapay_protocol::PaymentMethod;
use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

pub use handlers::qr_png;
pub use render::bin_bank_name;

/// The checkout's routes, to merge into the gateway's router. The sandbox transfer
/// button's endpoint exists only in sandbox mode.
pub fn routes(gw: &Gateway) -> Router<Arc<Gateway>> {
    let mut r = Router::new()
        .route("/bank/payment/process", get(handlers::process))
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
    if gw.sandbox() {
        r = r.route("/bank/payment/qr/simulate", post(handlers::simulate_transfer));
    }
    r
}

/// The method an order is being paid with: the merchant's `ATM`/`CC`, or for `ALL`
/// the customer's choice (`None` until made). QR orders have none.
pub fn method_of(order: &Order, checkout: Option<&Checkout>) -> Option<PaymentMethod> {
    if order.kind == OrderKind::Qr {
        return None;
    }
    let m = match order.payment_method.as_str() {
        "ALL" => checkout.and_then(|c| c.method.as_deref())?,
        m => m,
    };
    m.parse::<PaymentMethod>().ok().filter(|m| matches!(m, PaymentMethod::Atm | PaymentMethod::Cc))
}

/// What a settlement by the checkout records: the method used (for `ALL` orders),
/// the bank or brand, and the masked card.
pub fn card_details(order: &Order, checkout: &Checkout) -> SettleDetails {
    let method = method_of(order, Some(checkout));
    let card = checkout.card.as_ref();
    SettleDetails {
        bank_code: card.map(|c| c.bank_code.clone()),
        payment_method: method.filter(|m| m.as_str() != order.payment_method).map(|m| m.as_str().to_owned()),
        card: card.map(|c| c.card.clone()),
    }
}

/// Settles the payments the sandbox issuer kept "processing" whose time has come
/// (the `…0034` cards succeed after `sandbox_processing_delay`). Run by the sweeper on
/// every node; the state machine's compare-and-set lets only one node win each.
pub async fn settle_due(gw: &Gateway) -> Result<usize, CoreError> {
    let due = gw.store.due_processing(crate::now_ms(), 200).await?;
    let mut n = 0;
    for co in due {
        let Some(order) = gw.store.get_order(&co.trans_id).await? else { continue };
        let details = card_details(&order, &co);
        if let Some(crate::app::Settlement::Changed(_)) = gw.settle(&co.trans_id, Event::Succeed, details).await? {
            n += 1;
        }
    }
    Ok(n)
}
