//! The checkout's HTTP handlers. Each one receives its order already checked (by
//! the extractors of [`super::link`]), changes at most one thing, and answers the
//! order's page, a redirect, or the merchant: the decisions live here, the checks
//! and the rendering elsewhere.

use super::forms::{self, FieldErrors};
use super::lang::UiLang;
use super::link::{
    self, Back, Cancel, ChooseBank, ChooseMethod, Ctx, LinkQuery, Posted, Simulate, SubmitCard, SubmitOtp, Viewed,
};
use super::render::{Inline, after_settle, error_text, render};
use super::respond::{Problem, problem_page, secure_headers, see_other};
use super::steps::{Step, step};
use super::views::CardErrors;
use crate::core::pay::{CardOutcome, OtpOutcome};
use crate::core::{CreditOutcome, Gateway, Settlement};
use crate::domain::card::CardKind;
use crate::domain::order::State as OrderState;
use crate::domain::records::OrderKind;
use appotapay_protocol::{BankCode, ErrorCode, PaymentMethod};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;

/// `GET /bank/payment/process?tran=…&sign=…`: the order's current step.
/// A `PAY_WITH_TOKEN` order opens on the OTP step of its saved card.
pub async fn process(State(gw): State<Arc<Gateway>>, ui: UiLang, Viewed(mut ctx): Viewed) -> Response {
    match gw.start_token_payment(&ctx.order, ctx.checkout.as_ref()).await {
        Ok(true) => match gw.checkout(&ctx.order.trans_id).await {
            Ok(co) => ctx.checkout = co,
            Err(_) => return problem_page(&gw, ui, Problem::Internal),
        },
        Ok(false) => {}
        Err(_) => return problem_page(&gw, ui, Problem::Internal),
    }
    render(&gw, &ctx, ui, Inline::None)
}

/// `GET /bank/payment/result`: where a live page goes once the order is final: the
/// merchant's signed redirect, or the result page without one.
pub async fn result(State(gw): State<Arc<Gateway>>, ui: UiLang, Viewed(ctx): Viewed) -> Response {
    if !ctx.order.state.is_final() {
        return see_other(&ctx.link.process(), None, ui);
    }
    match gw.redirect_url(&ctx.partner, &ctx.order) {
        Some(url) => see_other(&url, None, ui),
        None => render(&gw, &ctx, ui, Inline::None),
    }
}

/// `GET /bank/payment/status`: `{"state": "...", "final": bool}` for the polling
/// script.
pub async fn status(
    State(gw): State<Arc<Gateway>>,
    ui: UiLang,
    q: Result<Query<LinkQuery>, QueryRejection>,
) -> Response {
    let ctx = link::load_link(&gw, q).await;
    let (code, body) = match ctx {
        Ok(ctx) => (
            StatusCode::OK,
            serde_json::json!({"state": ctx.order.state.as_str(), "final": ctx.order.state.is_final()}),
        ),
        Err(Problem::Internal) => (StatusCode::INTERNAL_SERVER_ERROR, serde_json::json!({"error": "internal"})),
        Err(Problem::Locked) => (StatusCode::FORBIDDEN, serde_json::json!({"error": "locked"})),
        Err(_) => (StatusCode::NOT_FOUND, serde_json::json!({"error": "not found"})),
    };
    let mut resp = (code, axum::Json(body)).into_response();
    secure_headers(&mut resp, None, UiLang { remember: false, ..ui });
    resp
}

macro_rules! try_page {
    ($gw:expr, $ui:expr, $e:expr) => {
        match $e {
            Ok(v) => v,
            Err(p) => return problem_page(&$gw, $ui, p),
        }
    };
}

/// Answers a post on an order that is no longer at a form's step: its page.
pub(super) fn to_page(ctx: &Ctx, ui: UiLang) -> Response {
    see_other(&ctx.link.process(), ctx.form_origin().as_deref(), ui)
}

/// `POST /bank/payment/method`: `ATM` or `CC` for an `ALL` order.
pub async fn choose_method(
    State(gw): State<Arc<Gateway>>,
    ui: UiLang,
    Posted(ctx, f): Posted<ChooseMethod>,
) -> Response {
    let Ok(method) = f.choice.parse::<PaymentMethod>() else { return to_page(&ctx, ui) };
    try_page!(gw, ui, gw.choose_method(&ctx.order, ctx.checkout.as_ref(), method).await.map_err(Problem::from));
    to_page(&ctx, ui)
}

/// `POST /bank/payment/bank`: the bank (ATM) or brand (CC).
pub async fn choose_bank(State(gw): State<Arc<Gateway>>, ui: UiLang, Posted(ctx, f): Posted<ChooseBank>) -> Response {
    if ctx.order.state != OrderState::Pending {
        return to_page(&ctx, ui);
    }
    let Step::Bank(method) = step(&ctx.order, ctx.checkout.as_ref()) else { return to_page(&ctx, ui) };
    let Some(bank) = BankCode::parse(&f.choice) else { return to_page(&ctx, ui) };
    try_page!(gw, ui, gw.choose_bank(&ctx.order, ctx.checkout.as_ref(), method, bank).await.map_err(Problem::from));
    to_page(&ctx, ui)
}

/// `POST /bank/payment/card`: validates the card, asks the issuer, and on its go
/// stores the masked card with the decided outcome and moves to the OTP step.
pub async fn submit_card(State(gw): State<Arc<Gateway>>, ui: UiLang, Posted(ctx, f): Posted<SubmitCard>) -> Response {
    if ctx.order.state != OrderState::Pending {
        return to_page(&ctx, ui);
    }
    let Step::Card(method, bank) = step(&ctx.order, ctx.checkout.as_ref()) else { return to_page(&ctx, ui) };
    let t = ui.texts();
    let kind = if method == PaymentMethod::Atm { CardKind::Atm } else { CardKind::Cc };
    let today = forms::vn_month(crate::now_ms());
    let today = gw.card_month(&f.card_number, today);
    let errors = |e: FieldErrors| CardErrors {
        number: e.number.map(|c| error_text(t, ui.lang, c)),
        holder: e.holder.map(|c| error_text(t, ui.lang, c)),
        date: e.date.map(|c| error_text(t, ui.lang, c)),
        cvv: e.cvv.map(|c| error_text(t, ui.lang, c)),
        form: None,
    };
    let card = match forms::validate_card(kind, bank.as_str(), &f, today) {
        Ok(card) => card,
        Err(e) => return render(&gw, &ctx, ui, Inline::Card(&f, errors(e))),
    };
    let outcome = gw.submit_card(&ctx.order, ctx.checkout.as_ref(), &card, bank).await;
    match try_page!(gw, ui, outcome.map_err(Problem::from)) {
        CardOutcome::OtpSent => to_page(&ctx, ui),
        CardOutcome::Invalid(field, code) => {
            render(&gw, &ctx, ui, Inline::Card(&f, errors(FieldErrors::one(field, code))))
        }
        CardOutcome::NotConnected => {
            let text = format!("{} ({} {})", t.not_connected, t.code_word, ErrorCode::PRODUCT_NOT_ACTIVE.code());
            let err = CardErrors { form: Some(text), ..CardErrors::default() };
            render(&gw, &ctx, ui, Inline::Card(&f, err))
        }
    }
}

/// `POST /bank/payment/otp`: a right OTP applies the issuer's outcome; a wrong one
/// answers 21 and lets the customer retry, the third fails the payment with 39.
pub async fn submit_otp(State(gw): State<Arc<Gateway>>, ui: UiLang, Posted(mut ctx, f): Posted<SubmitOtp>) -> Response {
    if ctx.order.state != OrderState::Pending {
        return to_page(&ctx, ui);
    }
    let Step::Otp(_) = step(&ctx.order, ctx.checkout.as_ref()) else { return to_page(&ctx, ui) };
    let Some(mut co) = ctx.checkout.clone() else { return to_page(&ctx, ui) };
    match try_page!(gw, ui, gw.submit_otp(&ctx.order, &co, f.otp.trim()).await.map_err(Problem::from)) {
        OtpOutcome::Settled(settled) => after_settle(&gw, &ctx, settled.map(|s| *s), ui),
        OtpOutcome::Wrong { used } => {
            co.otp_failures = used;
            ctx.checkout = Some(co);
            let t = ui.texts();
            render(&gw, &ctx, ui, Inline::Otp(error_text(t, ui.lang, ErrorCode::INVALID_OTP)))
        }
    }
}

/// `POST /bank/payment/back`: undoes the last step (card awaiting OTP, then the
/// bank, then the method).
pub async fn back(State(gw): State<Arc<Gateway>>, ui: UiLang, Posted(ctx, _): Posted<Back>) -> Response {
    try_page!(gw, ui, gw.step_back(&ctx.order, ctx.checkout.as_ref()).await.map_err(Problem::from));
    to_page(&ctx, ui)
}

/// `POST /bank/payment/cancel`: the customer cancels (38) and goes back to the
/// merchant.
pub async fn cancel(State(gw): State<Arc<Gateway>>, ui: UiLang, Posted(ctx, _): Posted<Cancel>) -> Response {
    let settled = try_page!(gw, ui, gw.cancel(&ctx.order, ctx.checkout.as_ref()).await.map_err(Problem::from));
    after_settle(&gw, &ctx, settled, ui)
}

/// `POST /bank/payment/qr/simulate` (with a simulated bank only): the collecting bank reports the
/// exact transfer of this QR order. Posted by the page's script, it answers JSON and
/// leaves the page to notice the result by polling; posted as a plain form, it goes on
/// like any settlement.
pub async fn simulate_transfer(
    State(gw): State<Arc<Gateway>>,
    ui: UiLang,
    headers: HeaderMap,
    Posted(ctx, _): Posted<Simulate>,
) -> Response {
    if ctx.order.kind != OrderKind::Qr {
        return problem_page(&gw, ui, Problem::BadRequest);
    }
    let outcome = gw.bank_credit(None, ctx.order.amount, &ctx.order.trans_id).await;
    let outcome = try_page!(gw, ui, outcome.map_err(Problem::from));
    let wants_json =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    let settled = match outcome {
        CreditOutcome::Applied(s) => Some(*s),
        CreditOutcome::UnknownMemo | CreditOutcome::AmountMismatch => None,
    };
    if wants_json {
        let ok = matches!(settled, Some(Settlement::Changed(_)));
        let mut resp = axum::Json(serde_json::json!({"credited": ok})).into_response();
        secure_headers(&mut resp, None, UiLang { remember: false, ..ui });
        return resp;
    }
    after_settle(&gw, &ctx, settled, ui)
}

/// The query of a QR image URL.
#[derive(Debug, Deserialize)]
pub struct QrQuery {
    sign: Option<String>,
}

/// `GET /qr/{appotapayTransId}.png?sign=…`: the QR image of a QR order, as its
/// `qrCodeUrl` names it (404 for anything else, a missing or wrong signature
/// included, so that a guess learns nothing); 403 while the order's partner is
/// locked. The payload of an order never changes, so the image may be cached.
pub async fn qr_image(
    State(gw): State<Arc<Gateway>>,
    Path(file): Path<String>,
    query: Result<Query<QrQuery>, QueryRejection>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "not found");
    let Some(trans_id) = file.strip_suffix(".png").filter(|id| id.len() <= 32) else {
        return not_found().into_response();
    };
    let signed = query.ok().and_then(|Query(q)| q.sign).is_some_and(|sign| gw.verify_qr_sign(trans_id, &sign));
    if !signed {
        return not_found().into_response();
    }
    let order = match gw.order(trans_id).await {
        Ok(Some(o)) if o.kind == OrderKind::Qr => o,
        Ok(_) => return not_found().into_response(),
        Err(e) => {
            tracing::error!(error = %e, "qr image: store failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    match gw.partner(&order.partner_code).await {
        Ok(Some(p)) if !p.locked => {}
        Ok(Some(_)) => {
            // No code to pay into for a merchant that cannot take payments now.
            let text = "this merchant cannot take payments now";
            return (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text)
                .into_response();
        }
        Ok(None) => return not_found().into_response(),
        Err(e) => {
            tracing::error!(error = %e, "qr image: store failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    match order.qr_payload.as_deref().and_then(qr_png) {
        Some(png) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "public, max-age=86400, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            png,
        )
            .into_response(),
        None => not_found().into_response(),
    }
}

/// The PNG of a VietQR payload (see [`super::qr::png`]).
pub fn qr_png(payload: &str) -> Option<Vec<u8>> {
    super::qr::png(payload)
}
