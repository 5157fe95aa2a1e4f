//! The acquirer port: how the core reaches banks.
//!
//! A payment gateway is only the middle of a payment. A card issuer decides whether a
//! card may pay and confirms the customer with an OTP; a bank executes refunds. The
//! core asks these questions through the traits here and never knows who answers:
//!
//! - [`Issuer`]: card data in, a [`Verdict`] out; then the OTP.
//! - [`RefundBank`]: a refund handed over, an answer (or "still working") back.
//! - [`Acquirer`]: both, plus the [`Simulator`] capability that only a simulated
//!   bank has (the sandbox helpers and the checkout's test-card table exist only
//!   with it).
//!
//! Three adapters exist, and the gateway picks one at start-up from its configuration:
//! [`sandbox::SandboxAcquirer`] (AppotaPay's published test instruments, the refund
//! plan, simulated bank transfers), [`bank_feeds::BankFeeds`] (production taking
//! real QR payments into merchants' own accounts, reported by bank feeds; refunds of
//! them are paid by hand) and [`unconnected::Unconnected`] (production without any
//! bank: cards see "not connected", refunds are refused, and nothing ever claims
//! money moved). A card-acquiring bank is a fourth adapter behind the same traits.
//!
//! Adapters import only the domain (and this port). Incoming bank credits for QR
//! orders are not a question the core asks: they arrive (from the simulator, or from
//! bank feeds' webhooks and the reconciliation job) and the core matches them
//! (`core::credits`).

pub mod bank_feeds;
pub mod sandbox;
pub mod unconnected;

use crate::domain::card::{CardData, CardKind, Field, MonthYear};
use crate::domain::records::Order;
pub use crate::domain::records::PaymentDetails;
use crate::domain::refund::RefundEvent;
use appotapay_protocol::{ErrorCode, PaymentMethod};
use async_trait::async_trait;
use std::time::Duration;

/// The issuer's answer to submitted card data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The data is wrong: show `code` on `field`, let the customer correct it.
    Invalid(Field, ErrorCode),
    /// An OTP is sent; after it is confirmed, the payment ends with `outcome`
    /// (0 or a decline code), or stays undecided with it (34, 35 or 99:
    /// `domain::order::PROCESSING_CODES`) until [`Issuer::processing_outcome`].
    SendOtp {
        /// What confirming the OTP leads to.
        outcome: ErrorCode,
    },
    /// No issuer is connected for this card: nothing can be charged.
    NotConnected,
}

/// A card issuer.
#[async_trait]
pub trait Issuer: Send + Sync {
    /// The month a card's date is checked against for the number the customer
    /// typed: `today`, unless the issuer knows better (the sandbox keeps its
    /// published Mastercard valid after its printed expiry).
    fn checked_month(&self, _typed_number: &str, today: MonthYear) -> MonthYear {
        today
    }

    /// What the issuer answers to card data that passed the checkout's checks.
    async fn authorize(&self, card: &CardData) -> Verdict;

    /// What the issuer answers to a payment with a card saved earlier (a token): no
    /// issuer by default, so nothing is charged; the sandbox sends an OTP and the
    /// payment succeeds.
    async fn authorize_saved(&self) -> Verdict {
        Verdict::NotConnected
    }

    /// Whether `otp` confirms the payment of the card awaiting it.
    async fn confirm_otp(&self, otp: &str) -> bool;

    /// How long a payment the issuer left undecided (34, 35 or 99) stays so before
    /// the issuer decides.
    fn processing_delay(&self) -> Duration;

    /// How a payment the issuer left undecided with `interim` ends, once the delay
    /// has passed: 0 or a decline code. No default: an issuer that leaves payments
    /// undecided must say how they end.
    async fn processing_outcome(&self, interim: ErrorCode) -> ErrorCode;
}

/// A refund as the bank sees it.
#[derive(Clone, Copy, Debug)]
pub struct RefundOrder<'a> {
    /// The gateway's refund id.
    pub refund_id: &'a str,
    /// The refunded transaction.
    pub trans_id: &'a str,
    /// How the payment was made (`ATM`, `CC`, `QR`).
    pub payment_method: PaymentMethod,
    /// VND.
    pub amount: i64,
    /// The partner's reason.
    pub reason: &'a str,
}

/// A bank's answer about a refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundAnswer {
    /// Final: [`RefundEvent::BankSucceeded`] or [`RefundEvent::BankFailed`].
    Done(RefundEvent),
    /// The bank is working on it; ask again after this long.
    Working(Duration),
    /// No bank can send this refund: the merchant pays it back by hand, and an
    /// operator records the outcome ([`crate::domain::refund::RefundEvent`]s applied
    /// by the core then). The refund stays `pending` until then, and nothing asks the
    /// bank again.
    ByHand,
}

/// The bank that executes refunds.
#[async_trait]
pub trait RefundBank: Send + Sync {
    /// Whether refunds of payments made with `payment_method` can be executed at
    /// all. `false` refuses the request before anything is recorded.
    fn executes_refunds(&self, payment_method: PaymentMethod) -> bool;

    /// Whether refunds of payments made with `payment_method` are paid back by the
    /// merchant by hand ([`RefundAnswer::ByHand`]), their outcome recorded by an
    /// operator.
    fn refunds_by_hand(&self, _payment_method: PaymentMethod) -> bool {
        false
    }

    /// Hands a newly admitted refund to the bank.
    async fn submit_refund(&self, refund: RefundOrder<'_>) -> RefundAnswer;

    /// Asks about a refund the bank is working on.
    async fn refund_status(&self, refund: RefundOrder<'_>) -> RefundAnswer;
}

/// One row of a simulator's test-card table, as the card page prints it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCard {
    /// Card number.
    pub number: &'static str,
    /// Holder to type (`*` = any).
    pub holder: &'static str,
    /// Date to type (`*` = any).
    pub date: String,
    /// CVV to type (CC; `*` = any).
    pub cvv: &'static str,
    /// One of the instruments the bank publishes (needs exactly its data).
    pub published: bool,
    /// The outcome after the OTP.
    pub outcome: ErrorCode,
    /// For an undecided outcome (34, 35, 99): how it ends after the delay.
    pub then: Option<ErrorCode>,
}

/// What only a simulated bank can do: settle on demand and show its test cards.
pub trait Simulator: Send + Sync {
    /// The test cards of a card kind, for the card page.
    fn test_cards(&self, kind: CardKind) -> Vec<TestCard>;

    /// How long a test card's undecided payment stays so.
    fn undecided_for(&self) -> Duration;

    /// How long the simulated bank takes to refund a domestic-card payment.
    fn refund_delay(&self) -> Duration;

    /// What a simulated success of `order` records: the method actually used and a
    /// bank (and card) when the merchant left the choice to the customer.
    fn success_details(&self, order: &Order) -> PaymentDetails;
}

/// The banks behind the gateway: one adapter, chosen at start-up.
pub trait Acquirer: Issuer + RefundBank {
    /// A short name for logs and the start-up banner (`sandbox`, `unconnected`).
    fn name(&self) -> &'static str;

    /// The simulator, when this acquirer is one.
    fn simulator(&self) -> Option<&dyn Simulator> {
        None
    }
}
