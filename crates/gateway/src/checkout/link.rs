//! The order behind a payment link, as a request sees it.
//!
//! Every page and every form names its order by the signed link (`tran`, `sign`),
//! never by anything a customer could guess. The extractors here do the checks once
//! for all handlers, in a fixed order: a GET page's link is verified and its order
//! loaded ([`Viewed`]); a form post is parsed, checked for provenance and for the
//! CSRF token of its action, and only then is its order loaded ([`Posted`]). Any
//! failure answers the problem page, so a handler starts with an order it may act on.
//! An order of a locked partner is one no page may act on: every page and post
//! answers the "cannot take payments now" page instead ([`Problem::Locked`]).

use super::csrf::{self, Purpose};
use super::forms::{CardForm, ChoiceForm, FaultsForm, LinkForm, OtpForm};
use super::lang::UiLang;
use super::respond::{Problem, problem_page, redirect_origin};
use crate::core::{Gateway, Partner};
use crate::domain::records::{Checkout, Order};
use axum::Form;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::Response;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// A verified payment link.
#[derive(Clone, Debug)]
pub(super) struct Link {
    pub(super) tran: String,
    pub(super) sign: String,
}

impl Link {
    pub(super) fn url(&self, path: &str) -> String {
        let q = form_urlencoded::Serializer::new(String::new())
            .append_pair("tran", &self.tran)
            .append_pair("sign", &self.sign)
            .finish();
        format!("{path}?{q}")
    }

    pub(super) fn process(&self) -> String {
        self.url("/bank/payment/process")
    }
}

/// An order as a request sees it.
pub(super) struct Ctx {
    pub(super) link: Link,
    pub(super) order: Order,
    pub(super) partner: Arc<Partner>,
    pub(super) checkout: Option<Checkout>,
    /// The account a QR order's VietQR names.
    pub(super) account: Option<crate::domain::credit::BankAccount>,
    /// Sandbox: the delivery faults scripted for the order's IPN.
    pub(super) faults: Option<crate::domain::test_kit::FaultScript>,
}

impl Ctx {
    pub(super) fn form_origin(&self) -> Option<String> {
        redirect_origin(&self.order)
    }
}

/// Verifies the link, loads the order, and finalises it first if its time ran out
/// (the sweeper would a moment later; the customer must not see a payable form).
pub(super) async fn load(gw: &Gateway, tran: &str, sign: &str) -> Result<Ctx, Problem> {
    if tran.is_empty() || sign.is_empty() || tran.len() > 512 || sign.len() > 128 {
        return Err(Problem::BadLink);
    }
    let trans_id = gw.verify_payment_link(tran, sign).ok_or(Problem::BadLink)?;
    let order = gw.current_order(&trans_id).await?.ok_or(Problem::NotFound)?;
    let partner = gw.partner(&order.partner_code).await?.ok_or(Problem::NotFound)?;
    if partner.locked {
        return Err(Problem::Locked);
    }
    let checkout = gw.checkout(&trans_id).await?;
    let account = match order.kind {
        crate::domain::records::OrderKind::Qr => Some(gw.order_account(&order).await?),
        crate::domain::records::OrderKind::Bank => None,
    };
    let faults = gw.order_delivery_fault(&order).await?.map(|f| f.fault.script);
    Ok(Ctx { link: Link { tran: tran.to_owned(), sign: sign.to_owned() }, order, partner, checkout, account, faults })
}

/// `load` for a form post, after the CSRF checks.
async fn load_post<F: LinkFields>(gw: &Gateway, headers: &HeaderMap, f: &F, purpose: Purpose) -> Result<Ctx, Problem> {
    if !csrf::same_origin(gw, headers) {
        return Err(Problem::Forbidden);
    }
    let trans_id = gw.verify_payment_link(f.tran(), f.sign()).ok_or(Problem::Forbidden)?;
    if !csrf::token_ok(gw, &trans_id, purpose, f.csrf()) {
        return Err(Problem::Forbidden);
    }
    load(gw, f.tran(), f.sign()).await
}

/// `tran`/`sign` query of the GET pages.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkQuery {
    tran: String,
    sign: String,
}

/// The order behind a page link's query (`tran`, `sign`), checked.
pub(super) async fn load_link(gw: &Gateway, q: Result<Query<LinkQuery>, QueryRejection>) -> Result<Ctx, Problem> {
    let Query(q) = q.map_err(|_| Problem::BadLink)?;
    load(gw, &q.tran, &q.sign).await
}

/// The order of a GET page, from its `tran`/`sign` query; a bad link or a missing
/// order is answered with the problem page.
pub(super) struct Viewed(pub(super) Ctx);

impl FromRequestParts<Arc<Gateway>> for Viewed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, gw: &Arc<Gateway>) -> Result<Self, Response> {
        let q = Query::<LinkQuery>::from_request_parts(parts, gw).await;
        match load_link(gw, q).await {
            Ok(ctx) => Ok(Viewed(ctx)),
            Err(p) => Err(problem_page(gw, UiLang::of(parts), p)),
        }
    }
}

/// The fields every checkout form carries besides its own: the payment link and
/// the CSRF token.
pub(super) trait LinkFields: DeserializeOwned + Send + Sync {
    fn tran(&self) -> &str;
    fn sign(&self) -> &str;
    fn csrf(&self) -> &str;
}

macro_rules! link_fields {
    ($($form:ty),*) => {$(
        impl LinkFields for $form {
            fn tran(&self) -> &str {
                &self.tran
            }
            fn sign(&self) -> &str {
                &self.sign
            }
            fn csrf(&self) -> &str {
                &self.csrf
            }
        }
    )*};
}

link_fields!(LinkForm, ChoiceForm, CardForm, OtpForm, FaultsForm);

/// What a form post does: the form it carries and the CSRF purpose its token must
/// be for. A marker type per action, since several actions share a form type.
pub(super) trait Action {
    /// The posted form.
    type Form: LinkFields;
    /// The purpose of the form's CSRF token.
    const PURPOSE: Purpose;
}

macro_rules! actions {
    ($($(#[$doc:meta])* $name:ident($form:ty) => $purpose:ident;)*) => {$(
        $(#[$doc])*
        pub(super) struct $name;

        impl Action for $name {
            type Form = $form;
            const PURPOSE: Purpose = Purpose::$purpose;
        }
    )*};
}

actions! {
    /// Choose ATM or CC.
    ChooseMethod(ChoiceForm) => Method;
    /// Choose a bank or brand.
    ChooseBank(ChoiceForm) => Bank;
    /// Submit card data.
    SubmitCard(CardForm) => Card;
    /// Submit the OTP.
    SubmitOtp(OtpForm) => Otp;
    /// Undo the last choice.
    Back(LinkForm) => Back;
    /// Cancel the payment.
    Cancel(LinkForm) => Cancel;
    /// Sandbox: simulate the QR transfer.
    Simulate(LinkForm) => Simulate;
    /// Sandbox: script the IPN's delivery faults.
    ScriptFaults(FaultsForm) => Faults;
}

/// A form post of action `A`, checked, with its order: the form is parsed first (a
/// body that does not parse answers 400 before any other check), then
/// [`load_post`] checks provenance, the link and the token, and loads the order.
/// Any failure is answered with the problem page.
pub(super) struct Posted<A: Action>(pub(super) Ctx, pub(super) A::Form);

impl<A: Action> FromRequest<Arc<Gateway>> for Posted<A> {
    type Rejection = Response;

    async fn from_request(req: Request, gw: &Arc<Gateway>) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let ui = UiLang::of(&parts);
        let headers = parts.headers.clone();
        let form = Form::<A::Form>::from_request(Request::from_parts(parts, body), gw).await;
        let Ok(Form(f)) = form else { return Err(problem_page(gw, ui, Problem::BadRequest)) };
        match load_post(gw, &headers, &f, A::PURPOSE).await {
            Ok(ctx) => Ok(Posted(ctx, f)),
            Err(p) => Err(problem_page(gw, ui, p)),
        }
    }
}
