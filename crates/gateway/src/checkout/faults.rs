//! The sandbox card and QR pages' test controls for IPN delivery faults: script how
//! this order's IPN will be delivered (twice, late, its first attempt lost) before
//! paying, and see what is scripted. The same scripts as the helper API's
//! (`POST /api/v1/sandbox/delivery-faults`), through the same core call.

use super::handlers::to_page;
use super::lang::UiLang;
use super::link::{Posted, ScriptFaults};
use super::respond::{Problem, problem_page};
use crate::core::Gateway;
use crate::core::test_kit::FaultRequest;
use crate::domain::test_kit::{FaultScript, MAX_FAULT_DELAY_MS};
use appotapay_protocol::Lang;
use axum::extract::State;
use axum::response::Response;
use std::sync::Arc;

/// The phrases of the controls.
#[derive(Debug)]
pub struct FaultTexts {
    /// Box title.
    pub title: &'static str,
    /// What the controls do.
    pub hint: &'static str,
    /// Deliver twice.
    pub twice: &'static str,
    /// Lose the first attempt.
    pub lose_first: &'static str,
    /// Delay label.
    pub delay: &'static str,
    /// Submit.
    pub submit: &'static str,
    /// "Scripted:" before the description.
    pub scripted: &'static str,
    /// The words of a description.
    pub words: [&'static str; 3],
}

const VI: FaultTexts = FaultTexts {
    title: "Thử lỗi gửi IPN (sandbox)",
    hint: "Chọn cách IPN của giao dịch này được gửi tới máy chủ của bạn, trước khi thanh toán.",
    twice: "Gửi hai lần",
    lose_first: "Làm mất lần gửi đầu tiên",
    delay: "Gửi trễ (giây)",
    submit: "Áp dụng",
    scripted: "Đã đặt cho IPN của giao dịch này:",
    words: ["gửi hai lần", "mất lần gửi đầu", "trễ {} giây"],
};

const EN: FaultTexts = FaultTexts {
    title: "IPN delivery faults (sandbox)",
    hint: "Choose how this payment's IPN reaches your server, before paying.",
    twice: "Deliver twice",
    lose_first: "Lose the first attempt",
    delay: "Deliver late (seconds)",
    submit: "Apply",
    scripted: "Scripted for this payment's IPN:",
    words: ["delivered twice", "first attempt lost", "{} s late"],
};

/// The controls as a page shows them.
#[derive(Debug)]
pub struct FaultsBox {
    /// Phrases.
    pub t: &'static FaultTexts,
    /// The form's CSRF token.
    pub token: String,
    /// What is scripted for the order, in words.
    pub scripted: Option<String>,
}

/// The phrases of a language.
pub fn texts(lang: Lang) -> &'static FaultTexts {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// A script in words.
pub fn describe(t: &FaultTexts, s: &FaultScript) -> String {
    let mut parts = Vec::new();
    if s.twice {
        parts.push(t.words[0].to_owned());
    }
    if s.lose_first {
        parts.push(t.words[1].to_owned());
    }
    if s.delay_ms > 0 {
        parts.push(t.words[2].replace("{}", &(s.delay_ms / 1000).to_string()));
    }
    parts.join(", ")
}

/// `POST /bank/payment/faults` (with a simulated bank only): scripts this order's IPN
/// delivery, then shows the page again.
pub(super) async fn script(
    State(gw): State<Arc<Gateway>>,
    ui: UiLang,
    Posted(ctx, f): Posted<ScriptFaults>,
) -> Response {
    let delay_s: i64 = match f.delay.trim() {
        "" => 0,
        d => match d.parse::<i64>() {
            Ok(n) if (0..=MAX_FAULT_DELAY_MS / 1000).contains(&n) => n,
            _ => return problem_page(&gw, ui, Problem::BadRequest),
        },
    };
    let script = FaultScript { twice: f.twice.is_some(), delay_ms: delay_s * 1000, lose_first: f.lose_first.is_some() };
    let req = FaultRequest { trans_id: Some(ctx.order.trans_id.to_string()), next_orders: None, script };
    match gw.add_delivery_fault(&ctx.order.partner_code, req).await {
        // Nothing chosen, or not a sandbox: the page as it was.
        Ok(_) => to_page(&ctx, ui),
        Err(e) => problem_page(&gw, ui, Problem::from(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions() {
        let s = FaultScript { twice: true, delay_ms: 30_000, lose_first: true };
        assert_eq!(describe(texts(Lang::En), &s), "delivered twice, first attempt lost, 30 s late");
        assert_eq!(describe(texts(Lang::Vi), &FaultScript { delay_ms: 5_000, ..Default::default() }), "trễ 5 giây");
    }
}
