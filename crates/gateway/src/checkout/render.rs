//! The page of an order's current state, and where the customer goes once a
//! settlement was tried: every GET page and every rejected form re-renders from the
//! stored state, never from what the request remembers.

use super::csrf::{self, Purpose};
use super::forms::{self, CardForm};
use super::i18n::Texts;
use super::lang::UiLang;
use super::link::Ctx;
use super::respond::{Problem, chrome, html, problem_page, see_other};
use super::steps::{Step, can_back, step};
use super::views::*;
use crate::acquirer::TestCard;
use crate::core::{Gateway, Settlement};
use crate::domain::card::{CardKind, MAX_OTP_ATTEMPTS};
use crate::domain::order::State as OrderState;
use crate::domain::records::{Order, OrderKind, PendingCard};
use appotapay_protocol::{Amount, BankCode, ErrorCode, Lang, PaymentMethod};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;

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
    if c.sandbox {
        let t = super::faults::texts(ui.lang);
        c.faults = Some(super::faults::FaultsBox {
            t,
            token: csrf::token(gw, id, Purpose::Faults),
            scripted: ctx.faults.as_ref().map(|s| super::faults::describe(t, s)).filter(|d| !d.is_empty()),
        });
    }
    c
}

/// What a re-rendered step shows besides the stored state.
pub(super) enum Inline<'a> {
    None,
    Card(&'a CardForm, CardErrors),
    Otp(String),
}

pub(super) fn error_text(t: &Texts, lang: Lang, code: ErrorCode) -> String {
    format!("{} ({} {})", code.message(lang), t.code_word, code.code())
}

/// Renders the page of the order's current state.
pub(super) fn render(gw: &Gateway, ctx: &Ctx, ui: UiLang, inline: Inline<'_>) -> Response {
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
    let status = if matches!(inline, Inline::None) { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    match step(order, ctx.checkout.as_ref()) {
        Step::Method => html(status, &method_page(gw, ctx, ui), origin, ui),
        Step::Bank(method) => html(status, &bank_page(gw, ctx, ui, method), origin, ui),
        Step::Card(method, bank) => html(status, &card_page(gw, ctx, ui, method, bank, inline), origin, ui),
        Step::Otp(card) => html(status, &otp_page(gw, ctx, ui, card, inline), origin, ui),
    }
}

fn method_page(gw: &Gateway, ctx: &Ctx, ui: UiLang) -> MethodPage {
    let preselect = ctx.order.bank_code.and_then(BankCode::card_method).map_or("", PaymentMethod::as_str).to_owned();
    MethodPage { c: order_chrome(gw, ctx, ui, true), preselect }
}

fn bank_page(gw: &Gateway, ctx: &Ctx, ui: UiLang, method: PaymentMethod) -> BankPage {
    let t = ui.texts();
    let banks =
        method.banks().map(|b| BankTile { code: b.as_str(), name: b.name(), mark: bank_mark(b.as_str()) }).collect();
    let heading = if method == PaymentMethod::Cc { t.choose_brand } else { t.choose_bank };
    BankPage { c: order_chrome(gw, ctx, ui, true), heading, banks, can_back: can_back(ctx.checkout.as_ref()) }
}

fn card_page(
    gw: &Gateway,
    ctx: &Ctx,
    ui: UiLang,
    method: PaymentMethod,
    bank: BankCode,
    inline: Inline<'_>,
) -> CardPage {
    let t = ui.texts();
    let atm = method == PaymentMethod::Atm;
    let (number, holder, date, err) = match inline {
        Inline::Card(f, err) => (f.card_number.clone(), f.card_holder.clone(), f.card_date.clone(), err),
        _ => Default::default(),
    };
    let kind = if atm { CardKind::Atm } else { CardKind::Cc };
    let sim = gw.simulator();
    let table = sim.map_or_else(Vec::new, |sim| test_card_groups(ui, &sim.test_cards(kind), sim.undecided_for()));
    CardPage {
        c: order_chrome(gw, ctx, ui, true),
        atm,
        bank_name: bank.name().to_owned(),
        can_back: can_back(ctx.checkout.as_ref()),
        number,
        holder,
        date,
        err,
        pay_label: format!("{} {}", t.pay, Amount::vnd(ctx.order.amount).format_vi()),
        refund_note: sim.map_or_else(String::new, |sim| {
            t.sandbox_refunds.replace("{delay}", &humantime::format_duration(sim.refund_delay()).to_string())
        }),
        table,
    }
}

/// The sandbox's test cards in three groups, in the simulator's order within each:
/// the published ones, the undecided ones, the declines.
fn test_card_groups(ui: UiLang, cards: &[TestCard], undecided_for: std::time::Duration) -> Vec<TableGroupView> {
    let t = ui.texts();
    let delay = humantime::format_duration(undecided_for).to_string();
    let group_of = |r: &TestCard| match (r.published, r.then.is_some()) {
        (true, _) => 0,
        (false, true) => 1,
        (false, false) => 2,
    };
    let titles =
        [t.sandbox_published.to_owned(), t.sandbox_undecided.replace("{delay}", &delay), t.sandbox_declined.to_owned()];
    titles
        .into_iter()
        .enumerate()
        .map(|(n, title)| TableGroupView {
            title,
            rows: cards
                .iter()
                .filter(|r| group_of(r) == n)
                .map(|r| TableRowView {
                    number: group4(r.number),
                    holder: r.holder,
                    date: r.date.clone(),
                    cvv: r.cvv,
                    code: r.outcome.code(),
                    outcome: r.outcome.message(ui.lang),
                    then: r.then.map(|c| ThenView { code: c.code(), outcome: c.message(ui.lang) }),
                })
                .collect(),
        })
        .filter(|g| !g.rows.is_empty())
        .collect()
}

fn otp_page(gw: &Gateway, ctx: &Ctx, ui: UiLang, card: PendingCard, inline: Inline<'_>) -> OtpPage {
    let error = match inline {
        Inline::Otp(e) => Some(e),
        _ => None,
    };
    let used = ctx.checkout.as_ref().map_or(0, |c| c.otp_failures);
    OtpPage {
        c: order_chrome(gw, ctx, ui, true),
        masked: card.card.number_masked.clone(),
        bank_name: card.bank_code.name().to_owned(),
        attempts_left: MAX_OTP_ATTEMPTS.saturating_sub(used),
        error,
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
        trans_id: ctx.order.trans_id.to_string(),
        back_url: gw.redirect_url(&ctx.partner, &ctx.order),
        merchant: ctx.partner.name.clone(),
    }
}

fn qr_page(gw: &Gateway, ctx: &Ctx, ui: UiLang) -> Option<QrPage> {
    let payload = ctx.order.qr_payload.as_deref()?;
    let png = super::qr::png(payload)?;
    let acc = ctx.account.as_ref().unwrap_or(gw.collecting_account());
    Some(QrPage {
        c: order_chrome(gw, ctx, ui, true),
        qr_src: format!("data:image/png;base64,{}", base64::engine::general_purpose::STANDARD.encode(&png)),
        qr_size: 280,
        amount: Amount::vnd(ctx.order.amount).format_vi(),
        memo: ctx.order.trans_id.to_string(),
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
pub(super) fn after_settle(gw: &Gateway, ctx: &Ctx, settled: Option<Settlement>, ui: UiLang) -> Response {
    match settled {
        Some(Settlement::Changed(order)) if order.state.is_final() => after_final(gw, ctx, &order, ui),
        _ => see_other(&ctx.link.process(), ctx.form_origin().as_deref(), ui),
    }
}
