//! The sandbox acquirer: a simulated bank that answers like AppotaPay's sandbox.
//!
//! - Cards ([`cards`]): the merchant test kit of [`instruments`], one card for every
//!   outcome: AppotaPay's published test instruments succeed, "magic" last four
//!   digits select each decline code, or a payment left undecided (34, 35, 99) for
//!   a while; OTP `123456` confirms.
//! - Refunds ([`refunds`]): card and QR refunds answer at once, domestic-card refunds
//!   after a delay, and `FAIL` in the reason makes the bank refuse.
//! - As a [`Simulator`] it also lets merchants settle transactions on demand and
//!   shows its test cards on the card page.
//!
//! It is chosen at start-up in sandbox mode, and only then: no other code asks
//! which mode the gateway runs in.

pub mod cards;
pub mod instruments;
pub mod refunds;

use super::{Acquirer, Issuer, PaymentDetails, RefundAnswer, RefundBank, RefundOrder, Simulator, TestCard, Verdict};
use crate::domain::card::{CardData, CardKind, MonthYear};
use crate::domain::records::{CardRecord, Order};
use appotapay_protocol::v11::Action;
use appotapay_protocol::{BankCode, ErrorCode, PaymentMethod};
use async_trait::async_trait;
use std::time::Duration;

/// The simulated bank.
#[derive(Clone, Copy, Debug)]
pub struct SandboxAcquirer {
    /// How long an undecided card payment (`…0034`, `…0035`, `…0099`) stays so.
    pub processing_delay: Duration,
    /// How long a domestic-card (`ATM`) refund stays processing.
    pub refund_delay: Duration,
}

/// The sandbox's ATM card (`9704000000000018`) as a payment that saves a card by the
/// sandbox helper records it.
pub fn sandbox_atm_card() -> CardRecord {
    CardRecord {
        number_masked: "970400******0018".into(),
        date: "07/20".into(),
        name: "NGUYEN VAN A".into(),
        country: "VN".into(),
    }
}

/// The sandbox Mastercard of spec §7, recorded with CC payments settled by the helper.
pub fn sandbox_card() -> CardRecord {
    CardRecord {
        number_masked: "512345******2346".into(),
        date: "03/27".into(),
        name: "NGUYEN VAN A".into(),
        country: "VN".into(),
    }
}

#[async_trait]
impl Issuer for SandboxAcquirer {
    fn checked_month(&self, typed_number: &str, today: MonthYear) -> MonthYear {
        cards::checked_month(typed_number, today)
    }

    async fn authorize_saved(&self) -> Verdict {
        // A card the sandbox accepted once pays again; the OTP is still asked.
        Verdict::SendOtp { outcome: ErrorCode::SUCCESS }
    }

    async fn authorize(&self, card: &CardData) -> Verdict {
        cards::authorize(card)
    }

    async fn confirm_otp(&self, otp: &str) -> bool {
        cards::otp_ok(otp)
    }

    fn processing_delay(&self) -> Duration {
        self.processing_delay
    }

    async fn processing_outcome(&self, interim: ErrorCode) -> ErrorCode {
        instruments::resolution(interim)
    }
}

#[async_trait]
impl RefundBank for SandboxAcquirer {
    fn executes_refunds(&self, _payment_method: PaymentMethod) -> bool {
        true
    }

    async fn submit_refund(&self, refund: RefundOrder<'_>) -> RefundAnswer {
        let plan = refunds::plan(refund.payment_method, refund.reason, self.refund_delay);
        match plan.delay {
            None => RefundAnswer::Done(plan.answer),
            Some(d) => RefundAnswer::Working(d),
        }
    }

    async fn refund_status(&self, refund: RefundOrder<'_>) -> RefundAnswer {
        // The delay has passed (the core asks when it was due): the planned answer.
        RefundAnswer::Done(refunds::plan(refund.payment_method, refund.reason, self.refund_delay).answer)
    }
}

impl Simulator for SandboxAcquirer {
    fn test_cards(&self, kind: CardKind) -> Vec<TestCard> {
        instruments::test_cards(kind)
    }

    fn undecided_for(&self) -> Duration {
        self.processing_delay
    }

    fn refund_delay(&self) -> Duration {
        self.refund_delay
    }

    fn success_details(&self, order: &Order) -> PaymentDetails {
        let method = match order.payment_method {
            PaymentMethod::All => order.bank_code.and_then(BankCode::card_method).unwrap_or(PaymentMethod::Atm),
            m => m,
        };
        let bank = match (method, order.bank_code) {
            (PaymentMethod::Atm, None) => BankCode::parse("MB"),
            (PaymentMethod::Cc, None) => BankCode::parse("MASTERCARD"),
            _ => None,
        };
        PaymentDetails {
            bank_code: bank,
            payment_method: (method != order.payment_method).then_some(method),
            card: match method {
                PaymentMethod::Cc => Some(sandbox_card()),
                // A payment that saves the card needs one to save.
                _ if order.action == Action::PayWithReturnToken => Some(sandbox_atm_card()),
                _ => None,
            },
            credit_id: None,
        }
    }
}

impl Acquirer for SandboxAcquirer {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn simulator(&self) -> Option<&dyn Simulator> {
        Some(self)
    }
}
