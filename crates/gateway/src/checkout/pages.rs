//! The checkout's handlers: which step an order is at, what each form does, and how
//! every answer is rendered and secured.

use super::csrf::{self, Purpose};
use super::forms::{self, CardForm, ChoiceForm, FieldErrors, LinkForm, OtpForm};
use super::i18n::{self, Texts};
use super::views::*;
use super::{assets, card_details, method_of};
use crate::acquirer::sandbox::{self, CardKind, Verdict};
use crate::acquirer::{self, CreditOutcome};
use crate::app::{Gateway, Partner, Settlement};
use crate::payments::{Event, State as OrderState};
use crate::store::{CardRecord, Checkout, Order, OrderKind, PendingCard};
use appotapay_protocol::{Amount, BankCode, ErrorCode, Lang, PaymentMethod};
use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Deserialize;
use std::sync::Arc;

const LANG_COOKIE: &str = "checkout_lang";

// ---------------------------------------------------------------------------------
// Language

/// The page language: `?lang=` (remembered in a cookie), else the cookie, else
/// Vietnamese. `Accept-Language` is deliberately ignored: the checkout speaks
/// Vietnamese unless the customer asks otherwise.
#[derive(Clone, Copy, Debug)]
pub struct UiLang {
    lang: Lang,
    remember: bool,
}

fn parse_lang(v: &str) -> Option<Lang> {
    match v {
        "vi" => Some(Lang::Vi),
        "en" => Some(Lang::En),
        _ => None,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for UiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let from_query = parts
            .uri
            .query()
            .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "lang"))
            .and_then(|(_, v)| parse_lang(&v));
        if let Some(lang) = from_query {
            return Ok(UiLang { lang, remember: true });
        }
        let from_cookie = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == LANG_COOKIE)
            .and_then(|(_, v)| parse_lang(v));
        Ok(UiLang { lang: from_cookie.unwrap_or(Lang::Vi), remember: false })
    }
}

impl UiLang {
    fn texts(self) -> &'static Texts {
        i18n::texts(self.lang)
    }

    fn other(self) -> &'static str {
        match self.lang {
            Lang::Vi => "en",
            Lang::En => "vi",
        }
    }
}

// ---------------------------------------------------------------------------------
// Responses

/// Why a request cannot show an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Problem {
    /// Missing, malformed or tampered `tran`/`sign`.
    BadLink,
    /// A valid link whose order does not exist (any more).
    NotFound,
    /// A post that failed the CSRF checks.
    Forbidden,
    /// A post whose body does not parse.
    BadRequest,
    /// Storage failed.
    Internal,
}

impl From<CoreError> for Problem {
    fn from(e: CoreError) -> Problem {
        tracing::error!(error = %e, "checkout: core operation failed");
        Problem::Internal
    }
}

impl From<crate::store::StoreError> for Problem {
    fn from(e: crate::store::StoreError) -> Problem {
        tracing::error!(error = %e, "checkout: store failed");
        Problem::Internal
    }
}

use crate::app::CoreError;

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
fn redirect_origin(order: &Order) -> Option<String> {
    let url = url::Url::parse(&order.redirect_url).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.origin().ascii_serialization())
}

fn secure_headers(resp: &mut Response, form_origin: Option<&str>, ui: UiLang) {
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
    if ui.remember {
        let cookie = format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly", ui.lang.code());
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            h.append(header::SET_COOKIE, v);
        }
    }
}

fn html<T: Template>(status: StatusCode, page: &T, form_origin: Option<&str>, ui: UiLang) -> Response {
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

fn see_other(location: &str, form_origin: Option<&str>, ui: UiLang) -> Response {
    let mut resp = match HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::SEE_OTHER, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    secure_headers(&mut resp, form_origin, ui);
    resp
}

fn chrome(gw: &Gateway, ui: UiLang, lang_url: Option<String>) -> Chrome {
    Chrome {
        t: ui.texts(),
        lang: ui.lang.code(),
        lang_url,
        sandbox: gw.sandbox(),
        css_url: assets::css_url(),
        js_url: assets::js_url(),
        summary: None,
        form: FormKeys::default(),
    }
}

fn problem_page(gw: &Gateway, ui: UiLang, problem: Problem) -> Response {
    let t = ui.texts();
    let (status, heading, text, code) = match problem {
        Problem::BadLink => (StatusCode::FORBIDDEN, t.bad_link_title, t.bad_link_text, None),
        Problem::NotFound => {
            (StatusCode::NOT_FOUND, t.bad_link_title, t.not_found_text, Some(ErrorCode::TRANSACTION_NOT_FOUND.code()))
        }
        Problem::Forbidden => (StatusCode::FORBIDDEN, t.forbidden_title, t.forbidden_text, None),
        Problem::BadRequest => (StatusCode::BAD_REQUEST, t.forbidden_title, t.forbidden_text, None),
        Problem::Internal => {
            (StatusCode::INTERNAL_SERVER_ERROR, t.error_title, t.error_text, Some(ErrorCode::SYSTEM_ERROR.code()))
        }
    };
    let page = ErrorPage { c: chrome(gw, ui, None), heading, text, code };
    html(status, &page, None, ui)
}

// ---------------------------------------------------------------------------------
// The order behind a link

/// A verified payment link.
#[derive(Clone, Debug)]
struct Link {
    tran: String,
    sign: String,
}

impl Link {
    fn url(&self, path: &str) -> String {
        let q = form_urlencoded::Serializer::new(String::new())
            .append_pair("tran", &self.tran)
            .append_pair("sign", &self.sign)
            .finish();
        format!("{path}?{q}")
    }

    fn process(&self) -> String {
        self.url("/bank/payment/process")
    }
}

/// An order as a request sees it.
struct Ctx {
    link: Link,
    order: Order,
    partner: Arc<Partner>,
    checkout: Option<Checkout>,
}

impl Ctx {
    fn form_origin(&self) -> Option<String> {
        redirect_origin(&self.order)
    }

    fn checkout_or_new(&self) -> Checkout {
        self.checkout.clone().unwrap_or_else(|| Checkout::new(&self.order.trans_id, crate::now_ms()))
    }
}

/// Verifies the link, loads the order, and finalises it first if its time ran out
/// (the sweeper would a moment later; the customer must not see a payable form).
async fn load(gw: &Gateway, tran: &str, sign: &str) -> Result<Ctx, Problem> {
    if tran.is_empty() || sign.is_empty() || tran.len() > 512 || sign.len() > 128 {
        return Err(Problem::BadLink);
    }
    let trans_id = gw.verify_payment_link(tran, sign).ok_or(Problem::BadLink)?;
    let mut order = gw.store.get_order(&trans_id).await?.ok_or(Problem::NotFound)?;
    let partner = gw.partner(&order.partner_code).await?.ok_or(Problem::NotFound)?;
    if order.state == OrderState::Pending && crate::now_ms() >= order.expires_at_ms {
        if let Some(s) = gw.settle(&trans_id, Event::Expire, crate::app::SettleDetails::default()).await? {
            order = match s {
                Settlement::Changed(o) | Settlement::Rejected(_, o) => o,
            };
        }
        // A concurrent change may have won: read what is stored now.
        if order.state == OrderState::Pending {
            order = gw.store.get_order(&trans_id).await?.ok_or(Problem::NotFound)?;
        }
    }
    let checkout = gw.store.get_checkout(&trans_id).await?;
    Ok(Ctx { link: Link { tran: tran.to_owned(), sign: sign.to_owned() }, order, partner, checkout })
}

/// `load` for a form post, after the CSRF checks.
async fn load_post(gw: &Gateway, headers: &HeaderMap, f: &LinkForm, purpose: Purpose) -> Result<Ctx, Problem> {
    if !csrf::same_origin(gw, headers) {
        return Err(Problem::Forbidden);
    }
    let trans_id = gw.verify_payment_link(&f.tran, &f.sign).ok_or(Problem::Forbidden)?;
    if !csrf::token_ok(gw, &trans_id, purpose, &f.csrf) {
        return Err(Problem::Forbidden);
    }
    load(gw, &f.tran, &f.sign).await
}

// ---------------------------------------------------------------------------------
// Steps

/// Where a pending card order stands.
enum Step {
    Method,
    Bank(PaymentMethod),
    Card(PaymentMethod, BankCode),
    Otp(PendingCard),
}

fn bank_of(order: &Order, co: Option<&Checkout>, method: PaymentMethod) -> Option<BankCode> {
    let chosen = co.and_then(|c| c.bank_code.as_deref()).and_then(BankCode::parse);
    let given = BankCode::parse(&order.bank_code);
    chosen.or(given).filter(|b| method.accepts(*b))
}

fn step(order: &Order, co: Option<&Checkout>) -> Step {
    let Some(method) = method_of(order, co) else { return Step::Method };
    if let Some(card) = co.and_then(|c| c.card.clone()) {
        return Step::Otp(card);
    }
    match bank_of(order, co, method) {
        Some(bank) => Step::Card(method, bank),
        None => Step::Bank(method),
    }
}

/// Whether the customer made a choice that "back" can undo.
fn can_back(co: Option<&Checkout>) -> bool {
    co.is_some_and(|c| c.method.is_some() || c.bank_code.is_some())
}

fn summary(ctx: &Ctx, countdown: bool) -> Summary {
    let now = crate::now_ms();
    Summary {
        merchant: ctx.partner.name.clone(),
        amount: Amount::vnd(ctx.order.amount).format_vi(),
        order_info: ctx.order.order_info.clone(),
        order_id: ctx.order.order_id.clone(),
        countdown: countdown.then(|| Countdown {
            expires_at_ms: ctx.order.expires_at_ms,
            now_ms: now,
            remaining: forms::countdown(ctx.order.expires_at_ms - now),
            clock: forms::vn_clock(ctx.order.expires_at_ms),
        }),
    }
}

fn order_chrome(gw: &Gateway, ctx: &Ctx, ui: UiLang, countdown: bool) -> Chrome {
    let id = &ctx.order.trans_id;
    let lang_url = format!("{}&lang={}", ctx.link.process(), ui.other());
    let mut c = chrome(gw, ui, Some(lang_url));
    c.summary = Some(summary(ctx, countdown));
    c.form = FormKeys {
        tran: ctx.link.tran.clone(),
        sign: ctx.link.sign.clone(),
        method: csrf::token(gw, id, Purpose::Method),
        bank: csrf::token(gw, id, Purpose::Bank),
        card: csrf::token(gw, id, Purpose::Card),
        otp: csrf::token(gw, id, Purpose::Otp),
        back: csrf::token(gw, id, Purpose::Back),
        cancel: csrf::token(gw, id, Purpose::Cancel),
        simulate: csrf::token(gw, id, Purpose::Simulate),
    };
    c
}

/// What a re-rendered step shows besides the stored state.
enum Inline<'a> {
    None,
    Card(&'a CardForm, CardErrors),
    Otp(String),
}

fn error_text(t: &Texts, lang: Lang, code: ErrorCode) -> String {
    format!("{} ({} {})", code.message(lang), t.code_word, code.code())
}

/// Renders the page of the order's current state.
fn render(gw: &Gateway, ctx: &Ctx, ui: UiLang, inline: Inline<'_>) -> Response {
    let origin = ctx.form_origin();
    let origin = origin.as_deref();
    let order = &ctx.order;
    if order.state.is_final() {
        return html(StatusCode::OK, &result_page(gw, ctx, ui), origin, ui);
    }
    if order.state == OrderState::Processing {
        let page = ProcessingPage {
            c: order_chrome(gw, ctx, ui, false),
            poll_url: ctx.link.url("/bank/payment/status"),
            next_url: ctx.link.url("/bank/payment/result"),
        };
        return html(StatusCode::OK, &page, origin, ui);
    }
    if order.kind == OrderKind::Qr {
        return match qr_page(gw, ctx, ui) {
            Some(page) => html(StatusCode::OK, &page, origin, ui),
            None => problem_page(gw, ui, Problem::Internal),
        };
    }
    let t = ui.texts();
    let co = ctx.checkout.as_ref();
    let status = if matches!(inline, Inline::None) { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    match step(order, co) {
        Step::Method => {
            let preselect = BankCode::parse(&order.bank_code)
                .and_then(BankCode::card_method)
                .map_or("", PaymentMethod::as_str)
                .to_owned();
            html(status, &MethodPage { c: order_chrome(gw, ctx, ui, true), preselect }, origin, ui)
        }
        Step::Bank(method) => {
            let banks = method
                .banks()
                .map(|b| BankTile { code: b.as_str(), name: b.name(), mark: bank_mark(b.as_str()) })
                .collect();
            let heading = if method == PaymentMethod::Cc { t.choose_brand } else { t.choose_bank };
            let page = BankPage { c: order_chrome(gw, ctx, ui, true), heading, banks, can_back: can_back(co) };
            html(status, &page, origin, ui)
        }
        Step::Card(method, bank) => {
            let atm = method == PaymentMethod::Atm;
            let (number, holder, date, err) = match inline {
                Inline::Card(f, err) => (f.card_number.clone(), f.card_holder.clone(), f.card_date.clone(), err),
                _ => Default::default(),
            };
            let rows = if atm { sandbox::ATM_TABLE } else { sandbox::CC_TABLE };
            let table = if gw.sandbox() {
                rows.iter()
                    .map(|r| TableRowView {
                        number: group4(r.number),
                        holder: r.holder,
                        date: r.date,
                        cvv: r.cvv,
                        code: r.outcome.code(),
                        outcome: r.outcome.message(ui.lang),
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let page = CardPage {
                c: order_chrome(gw, ctx, ui, true),
                atm,
                bank_name: bank.name().to_owned(),
                can_back: can_back(co),
                number,
                holder,
                date,
                err,
                pay_label: format!("{} {}", t.pay, Amount::vnd(order.amount).format_vi()),
                refund_note: if gw.sandbox() {
                    t.sandbox_refunds
                        .replace("{delay}", &humantime::format_duration(gw.config.sandbox_refund_delay).to_string())
                } else {
                    String::new()
                },
                table,
            };
            html(status, &page, origin, ui)
        }
        Step::Otp(card) => {
            let error = match inline {
                Inline::Otp(e) => Some(e),
                _ => None,
            };
            let used = co.map_or(0, |c| c.otp_failures);
            let page = OtpPage {
                c: order_chrome(gw, ctx, ui, true),
                masked: card.card.number_masked.clone(),
                bank_name: BankCode::parse(&card.bank_code).map_or(card.bank_code.clone(), |b| b.name().to_owned()),
                attempts_left: sandbox::MAX_OTP_ATTEMPTS.saturating_sub(used),
                error,
            };
            html(status, &page, origin, ui)
        }
    }
}

fn result_page(gw: &Gateway, ctx: &Ctx, ui: UiLang) -> ResultPage {
    let t = ui.texts();
    let (status_class, heading) = match ctx.order.state {
        OrderState::Success => ("success", t.result_success),
        OrderState::Cancelled => ("cancelled", t.result_cancelled),
        OrderState::Expired => ("expired", t.result_expired),
        _ => ("failed", t.result_failed),
    };
    ResultPage {
        c: order_chrome(gw, ctx, ui, false),
        status_class,
        heading,
        message: ctx.order.code.message(ui.lang),
        code: ctx.order.code.code(),
        trans_id: ctx.order.trans_id.clone(),
        back_url: gw.redirect_url(&ctx.partner, &ctx.order),
        merchant: ctx.partner.name.clone(),
    }
}

fn qr_page(gw: &Gateway, ctx: &Ctx, ui: UiLang) -> Option<QrPage> {
    let payload = ctx.order.qr_payload.as_deref()?;
    let png = super::qr::png(payload)?;
    let acc = &gw.config.collecting;
    Some(QrPage {
        c: order_chrome(gw, ctx, ui, true),
        qr_src: format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(&png)),
        qr_size: 280,
        amount: Amount::vnd(ctx.order.amount).format_vi(),
        memo: ctx.order.trans_id.clone(),
        bank_name: bin_bank_name(&acc.bin).map_or_else(|| format!("BIN {}", acc.bin), str::to_owned),
        account: acc.account.clone(),
        account_name: acc.name.clone(),
        poll_url: ctx.link.url("/bank/payment/status"),
        next_url: ctx.link.url("/bank/payment/result"),
    })
}

/// `4000000000001075` → `4000 0000 0000 1075`.
fn group4(n: &str) -> String {
    n.as_bytes().chunks(4).filter_map(|c| std::str::from_utf8(c).ok()).collect::<Vec<_>>().join(" ")
}

/// The short mark printed in a bank's tile.
fn bank_mark(code: &str) -> String {
    let short = match code {
        "TECHCOMBANK" => "TCB",
        "TPBANK" => "TPB",
        "VIETINBANK" => "CTG",
        "VIETBANK" => "VBB",
        "HDBANK" => "HDB",
        "VIETABANK" => "VAB",
        "MARITIMEBANK" => "MSB",
        "EXIMBANK" => "EIB",
        "VPBANK" => "VPB",
        "ABBANK" => "ABB",
        "SACOMBANK" => "STB",
        "OCEANBANK" => "OJB",
        "SEABANK" => "SSB",
        "AGRIBANK" => "AGR",
        "SAIGONBANK" => "SGB",
        "PVBANK" => "PVB",
        "BVBANK" => "BVB",
        "KIENLONGBANK" => "KLB",
        "PGBANK" => "PGB",
        "GPBANK" => "GPB",
        "WOORIBANK" => "WOO",
        "VIETCAPITALBANK" => "VCCB",
        "SHINHANBANK" => "SHBVN",
        "MASTERCARD" => "MC",
        c => c,
    };
    short.to_owned()
}

/// A readable name of a VietQR acquirer BIN (the collecting bank of QR orders).
pub fn bin_bank_name(bin: &str) -> Option<&'static str> {
    Some(match bin {
        "970436" => "Vietcombank",
        "970415" => "VietinBank",
        "970418" => "BIDV",
        "970405" => "Agribank",
        "970422" => "MB Bank",
        "970407" => "Techcombank",
        "970416" => "ACB",
        "970432" => "VPBank",
        "970423" => "TPBank",
        "970403" => "Sacombank",
        "970437" => "HDBank",
        "970441" => "VIB",
        "970443" => "SHB",
        "970431" => "Eximbank",
        "970426" => "MSB",
        "970448" => "OCB",
        "970440" => "SeABank",
        "970425" => "ABBANK",
        "970454" => "Viet Capital Bank",
        "970429" => "SCB",
        "970452" => "KienlongBank",
        "970428" => "Nam A Bank",
        "970449" => "LPBank",
        _ => return None,
    })
}

/// The signed merchant redirect of a final order, or the gateway's result page when
/// the order has no redirect URL.
fn after_final(gw: &Gateway, ctx: &Ctx, order: &Order, ui: UiLang) -> Response {
    let origin = ctx.form_origin();
    match gw.redirect_url(&ctx.partner, order) {
        Some(url) => see_other(&url, origin.as_deref(), ui),
        None => see_other(&ctx.link.url("/bank/payment/result"), origin.as_deref(), ui),
    }
}

/// What to answer after a settlement attempt: the merchant (the order just became
/// final), or the order's page (still live, or another request decided first).
fn after_settle(gw: &Gateway, ctx: &Ctx, settled: Option<Settlement>, ui: UiLang) -> Response {
    match settled {
        Some(Settlement::Changed(order)) if order.state.is_final() => after_final(gw, ctx, &order, ui),
        _ => see_other(&ctx.link.process(), ctx.form_origin().as_deref(), ui),
    }
}

// ---------------------------------------------------------------------------------
// Handlers

/// `tran`/`sign` query of the GET pages.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LinkQuery {
    tran: String,
    sign: String,
}

/// The order behind a page link's query (`tran`, `sign`), checked.
async fn load_link(gw: &Gateway, q: Result<Query<LinkQuery>, QueryRejection>) -> Result<Ctx, Problem> {
    let Query(q) = q.map_err(|_| Problem::BadLink)?;
    load(gw, &q.tran, &q.sign).await
}

/// `GET /bank/payment/process?tran=…&sign=…`: the order's current step.
pub async fn process(
    State(gw): State<Arc<Gateway>>,
    ui: UiLang,
    q: Result<Query<LinkQuery>, QueryRejection>,
) -> Response {
    let ctx = load_link(&gw, q).await;
    match ctx {
        Ok(ctx) => render(&gw, &ctx, ui, Inline::None),
        Err(p) => problem_page(&gw, ui, p),
    }
}

/// `GET /bank/payment/result`: where a live page goes once the order is final: the
/// merchant's signed redirect, or the result page without one.
pub async fn result(
    State(gw): State<Arc<Gateway>>,
    ui: UiLang,
    q: Result<Query<LinkQuery>, QueryRejection>,
) -> Response {
    let ctx = load_link(&gw, q).await;
    match ctx {
        Ok(ctx) if ctx.order.state.is_final() => match gw.redirect_url(&ctx.partner, &ctx.order) {
            Some(url) => see_other(&url, None, ui),
            None => render(&gw, &ctx, ui, Inline::None),
        },
        Ok(ctx) => see_other(&ctx.link.process(), None, ui),
        Err(p) => problem_page(&gw, ui, p),
    }
}

/// `GET /bank/payment/status`: `{"state": "...", "final": bool}` for the polling
/// script.
pub async fn status(
    State(gw): State<Arc<Gateway>>,
    ui: UiLang,
    q: Result<Query<LinkQuery>, QueryRejection>,
) -> Response {
    let ctx = load_link(&gw, q).await;
    let (code, body) = match ctx {
        Ok(ctx) => (
            StatusCode::OK,
            serde_json::json!({"state": ctx.order.state.as_str(), "final": ctx.order.state.is_final()}),
        ),
        Err(Problem::Internal) => (StatusCode::INTERNAL_SERVER_ERROR, serde_json::json!({"error": "internal"})),
        Err(_) => (StatusCode::NOT_FOUND, serde_json::json!({"error": "not found"})),
    };
    let mut resp = (code, axum::Json(body)).into_response();
    secure_headers(&mut resp, None, UiLang { remember: false, ..ui });
    resp
}

fn parsed<T>(form: Result<Form<T>, FormRejection>) -> Result<T, Problem> {
    form.map(|Form(f)| f).map_err(|_| Problem::BadRequest)
}

fn link_form(tran: &str, sign: &str, csrf: &str) -> LinkForm {
    LinkForm { tran: tran.to_owned(), sign: sign.to_owned(), csrf: csrf.to_owned() }
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
fn to_page(ctx: &Ctx, ui: UiLang) -> Response {
    see_other(&ctx.link.process(), ctx.form_origin().as_deref(), ui)
}

/// `POST /bank/payment/method`: `ATM` or `CC` for an `ALL` order.
pub async fn choose_method(
    State(gw): State<Arc<Gateway>>,
    ui: UiLang,
    headers: HeaderMap,
    form: Result<Form<ChoiceForm>, FormRejection>,
) -> Response {
    let f = try_page!(gw, ui, parsed(form));
    let ctx = try_page!(gw, ui, load_post(&gw, &headers, &link_form(&f.tran, &f.sign, &f.csrf), Purpose::Method).await);
    let method = f.choice.parse::<PaymentMethod>().ok().filter(|m| matches!(m, PaymentMethod::Atm | PaymentMethod::Cc));
    if ctx.order.state != OrderState::Pending || ctx.order.payment_method != "ALL" {
        return to_page(&ctx, ui);
    }
    let Some(method) = method else { return to_page(&ctx, ui) };
    let mut co = ctx.checkout_or_new();
    co.method = Some(method.as_str().to_owned());
    co.bank_code = None;
    co.card = None;
    co.updated_at_ms = crate::now_ms();
    try_page!(gw, ui, gw.store.put_checkout(&co).await.map_err(Problem::from));
    to_page(&ctx, ui)
}

/// `POST /bank/payment/bank`: the bank (ATM) or brand (CC).
pub async fn choose_bank(
    State(gw): State<Arc<Gateway>>,
    ui: UiLang,
    headers: HeaderMap,
    form: Result<Form<ChoiceForm>, FormRejection>,
) -> Response {
    let f = try_page!(gw, ui, parsed(form));
    let ctx = try_page!(gw, ui, load_post(&gw, &headers, &link_form(&f.tran, &f.sign, &f.csrf), Purpose::Bank).await);
    if ctx.order.state != OrderState::Pending {
        return to_page(&ctx, ui);
    }
    let Step::Bank(method) = step(&ctx.order, ctx.checkout.as_ref()) else { return to_page(&ctx, ui) };
    let Some(bank) = BankCode::parse(&f.choice).filter(|b| method.accepts(*b)) else {
        return to_page(&ctx, ui);
    };
    let mut co = ctx.checkout_or_new();
    co.bank_code = Some(bank.as_str().to_owned());
    co.updated_at_ms = crate::now_ms();
    try_page!(gw, ui, gw.store.put_checkout(&co).await.map_err(Problem::from));
    to_page(&ctx, ui)
}

/// `POST /bank/payment/card`: validates the card, asks the issuer, and on its go
/// stores the masked card with the decided outcome and moves to the OTP step.
pub async fn submit_card(
    State(gw): State<Arc<Gateway>>,
    ui: UiLang,
    headers: HeaderMap,
    form: Result<Form<CardForm>, FormRejection>,
) -> Response {
    let f = try_page!(gw, ui, parsed(form));
    let ctx = try_page!(gw, ui, load_post(&gw, &headers, &link_form(&f.tran, &f.sign, &f.csrf), Purpose::Card).await);
    if ctx.order.state != OrderState::Pending {
        return to_page(&ctx, ui);
    }
    let Step::Card(method, bank) = step(&ctx.order, ctx.checkout.as_ref()) else { return to_page(&ctx, ui) };
    let t = ui.texts();
    let kind = if method == PaymentMethod::Atm { CardKind::Atm } else { CardKind::Cc };
    let today = forms::vn_month(crate::now_ms());
    let today = if gw.sandbox() { sandbox::checked_month(&f.card_number, today) } else { today };
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
    if !gw.sandbox() {
        // No issuer is connected in production mode: nothing can be charged.
        let err =
            CardErrors { form: Some(error_text(t, ui.lang, ErrorCode::BANK_MAINTENANCE)), ..CardErrors::default() };
        return render(&gw, &ctx, ui, Inline::Card(&f, err));
    }
    let outcome = match sandbox::authorize(&card) {
        Verdict::Invalid(field, code) => {
            return render(&gw, &ctx, ui, Inline::Card(&f, errors(FieldErrors::one(field, code))));
        }
        Verdict::SendOtp { outcome } => outcome,
    };
    let mut co = ctx.checkout_or_new();
    co.card = Some(PendingCard {
        card: CardRecord {
            number_masked: sandbox::mask(&card.number),
            date: card.date.to_string(),
            name: card.holder.clone(),
            country: "VN".to_owned(),
        },
        bank_code: bank.as_str().to_owned(),
        outcome,
    });
    co.updated_at_ms = crate::now_ms();
    try_page!(gw, ui, gw.store.put_checkout(&co).await.map_err(Problem::from));
    to_page(&ctx, ui)
}

/// `POST /bank/payment/otp`: a right OTP applies the issuer's outcome; a wrong one
/// answers 21 and lets the customer retry, the third fails the payment with 39.
pub async fn submit_otp(
    State(gw): State<Arc<Gateway>>,
    ui: UiLang,
    headers: HeaderMap,
    form: Result<Form<OtpForm>, FormRejection>,
) -> Response {
    let f = try_page!(gw, ui, parsed(form));
    let mut ctx =
        try_page!(gw, ui, load_post(&gw, &headers, &link_form(&f.tran, &f.sign, &f.csrf), Purpose::Otp).await);
    if ctx.order.state != OrderState::Pending {
        return to_page(&ctx, ui);
    }
    let Step::Otp(card) = step(&ctx.order, ctx.checkout.as_ref()) else { return to_page(&ctx, ui) };
    let Some(mut co) = ctx.checkout.clone() else { return to_page(&ctx, ui) };
    let details = card_details(&ctx.order, &co);
    if !sandbox::otp_ok(f.otp.trim()) {
        let wrong =
            try_page!(gw, ui, gw.store.add_wrong_otp(&co.trans_id, crate::now_ms()).await.map_err(Problem::from));
        if wrong >= sandbox::MAX_OTP_ATTEMPTS {
            let settled = gw.settle(&co.trans_id, Event::Fail(ErrorCode::TOO_MANY_WRONG_OTP), details).await;
            let settled = try_page!(gw, ui, settled.map_err(Problem::from));
            return after_settle(&gw, &ctx, settled, ui);
        }
        co.otp_failures = wrong;
        ctx.checkout = Some(co);
        let t = ui.texts();
        return render(&gw, &ctx, ui, Inline::Otp(error_text(t, ui.lang, ErrorCode::INVALID_OTP)));
    }
    let event = match card.outcome {
        ErrorCode::SUCCESS => Event::Succeed,
        ErrorCode::PROCESSING => {
            // Due time first: a crash between the two writes must not leave a
            // processing payment that nothing will ever settle.
            let now = crate::now_ms();
            co.process_due_ms = Some(now + gw.config.sandbox_processing_delay.as_millis() as i64);
            co.updated_at_ms = now;
            try_page!(gw, ui, gw.store.put_checkout(&co).await.map_err(Problem::from));
            Event::StartProcessing
        }
        code => Event::Fail(code),
    };
    let settled = try_page!(gw, ui, gw.settle(&co.trans_id, event, details).await.map_err(Problem::from));
    after_settle(&gw, &ctx, settled, ui)
}

/// `POST /bank/payment/back`: undoes the last step (card awaiting OTP, then the
/// bank, then the method).
pub async fn back(
    State(gw): State<Arc<Gateway>>,
    ui: UiLang,
    headers: HeaderMap,
    form: Result<Form<LinkForm>, FormRejection>,
) -> Response {
    let f = try_page!(gw, ui, parsed(form));
    let ctx = try_page!(gw, ui, load_post(&gw, &headers, &f, Purpose::Back).await);
    if ctx.order.state != OrderState::Pending {
        return to_page(&ctx, ui);
    }
    let Some(mut co) = ctx.checkout.clone() else { return to_page(&ctx, ui) };
    if co.card.is_some() {
        co.card = None;
    } else if co.bank_code.is_some() {
        co.bank_code = None;
    } else {
        co.method = None;
    }
    co.updated_at_ms = crate::now_ms();
    try_page!(gw, ui, gw.store.put_checkout(&co).await.map_err(Problem::from));
    to_page(&ctx, ui)
}

/// `POST /bank/payment/cancel`: the customer cancels (38) and goes back to the
/// merchant.
pub async fn cancel(
    State(gw): State<Arc<Gateway>>,
    ui: UiLang,
    headers: HeaderMap,
    form: Result<Form<LinkForm>, FormRejection>,
) -> Response {
    let f = try_page!(gw, ui, parsed(form));
    let ctx = try_page!(gw, ui, load_post(&gw, &headers, &f, Purpose::Cancel).await);
    let details = match &ctx.checkout {
        Some(co) if co.card.is_some() => card_details(&ctx.order, co),
        _ => crate::app::SettleDetails::default(),
    };
    let settled =
        try_page!(gw, ui, gw.settle(&ctx.order.trans_id, Event::Cancel, details).await.map_err(Problem::from));
    after_settle(&gw, &ctx, settled, ui)
}

/// `POST /bank/payment/qr/simulate` (sandbox only): the collecting bank reports the
/// exact transfer of this QR order. Posted by the page's script, it answers JSON and
/// leaves the page to notice the result by polling; posted as a plain form, it goes on
/// like any settlement.
pub async fn simulate_transfer(
    State(gw): State<Arc<Gateway>>,
    ui: UiLang,
    headers: HeaderMap,
    form: Result<Form<LinkForm>, FormRejection>,
) -> Response {
    let f = try_page!(gw, ui, parsed(form));
    let ctx = try_page!(gw, ui, load_post(&gw, &headers, &f, Purpose::Simulate).await);
    if ctx.order.kind != OrderKind::Qr {
        return problem_page(&gw, ui, Problem::BadRequest);
    }
    let outcome = acquirer::bank_credit(&gw, None, ctx.order.amount, &ctx.order.trans_id).await;
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
/// included, so that a guess learns nothing). The payload of an order never changes,
/// so the image may be cached.
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
    let order = match gw.store.get_order(trans_id).await {
        Ok(Some(o)) if o.kind == OrderKind::Qr => o,
        Ok(_) => return not_found().into_response(),
        Err(e) => {
            tracing::error!(error = %e, "qr image: store failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
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
