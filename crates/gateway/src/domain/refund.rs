//! Refunds, pure: the refund state machine, the refund ledger of a transaction and
//! the admission rule of a new refund (spec §5.4). No I/O, no clock of its own.
//!
//! ```text
//! pending ──submit──► processing ──bank succeeded──► success
//!                          └──────bank failed──────► error
//! ```
//!
//! A refund is `pending` from the moment it is admitted until it has been handed to
//! the bank, `processing` while the bank works on it, and ends in `success` or `error`.
//! Like payments, every change goes through [`decide`] and the store applies it as a
//! compare-and-set on the status it was decided from, so a final refund never changes.
//!
//! **The ledger.** A transaction's refunds are summed two ways:
//! - *committed*: every refund not in `error` (pending, processing, success). Money
//!   promised back counts before the bank confirms it, so two refunds in flight can
//!   never together exceed the paid amount; a refund the bank refused (`error`) frees
//!   its amount again.
//! - *refunded*: the refunds in `success` only: the money actually returned. The
//!   transaction is **fully refunded** when this equals the paid amount; then the
//!   status API answers 40 instead of 0 and the order's `refundType` is `total`.
//!
//! **Admission** ([`admit`]), checked against the committed sum inside the same
//! database transaction that inserts the refund (see `Store::create_refund`):
//! 1. the payment must be successful (102);
//! 2. the amount must fit in what remains (`paid − committed`); otherwise a fully
//!    refunded transaction answers 40 and any other one 103 (including one whose
//!    remaining balance is entirely held by refunds still in flight);
//! 3. the amount must be at least the partner's minimum amount (32), unless it is
//!    exactly the remaining balance, so the last few đồng can always be returned.
//!
//! A positive amount is checked by the API before anything else (≤ 0 → 32).

use crate::domain::order::State;
use appotapay_protocol::ErrorCode;
pub use appotapay_protocol::messages::{RefundStatus, RefundType};

/// Whether a refund status is final.
pub fn is_final(status: RefundStatus) -> bool {
    matches!(status, RefundStatus::Success | RefundStatus::Error)
}

/// Whether a refund in `status` counts towards the committed sum (everything but `error`).
pub fn counts(status: RefundStatus) -> bool {
    status != RefundStatus::Error
}

/// What happened to a refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundEvent {
    /// The refund was handed to the bank.
    Submit,
    /// The bank returned the money.
    BankSucceeded,
    /// The bank refused the refund.
    BankFailed,
}

/// The status `event` moves a refund in `status` to, or `None` when the event does
/// not apply (a final refund never changes; the bank answers only a submitted refund).
pub fn decide(status: RefundStatus, event: RefundEvent) -> Option<RefundStatus> {
    match (status, event) {
        (RefundStatus::Pending, RefundEvent::Submit) => Some(RefundStatus::Processing),
        (RefundStatus::Processing, RefundEvent::BankSucceeded) => Some(RefundStatus::Success),
        (RefundStatus::Processing, RefundEvent::BankFailed) => Some(RefundStatus::Error),
        _ => None,
    }
}

/// Applies `events` in order through [`decide`]; `None` if one of them does not apply.
pub fn fold(status: RefundStatus, events: &[RefundEvent]) -> Option<RefundStatus> {
    events.iter().try_fold(status, |st, ev| decide(st, *ev))
}

/// A transaction's refunds, summed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    /// The paid amount of the transaction.
    pub paid: i64,
    /// Sum of the refunds not in `error`.
    pub committed: i64,
    /// Sum of the refunds in `success`.
    pub refunded: i64,
}

impl Ledger {
    /// The ledger of a transaction that paid `paid`, from its refunds' `(status, amount)`.
    pub fn from_refunds(paid: i64, refunds: impl IntoIterator<Item = (RefundStatus, i64)>) -> Ledger {
        let mut l = Ledger { paid, committed: 0, refunded: 0 };
        for (status, amount) in refunds {
            if counts(status) {
                l.committed = l.committed.saturating_add(amount);
            }
            if status == RefundStatus::Success {
                l.refunded = l.refunded.saturating_add(amount);
            }
        }
        l
    }

    /// What can still be refunded: the paid amount less the committed sum.
    pub fn remaining(&self) -> i64 {
        self.paid.saturating_sub(self.committed).max(0)
    }

    /// Whether the whole paid amount has been returned by successful refunds.
    pub fn fully_refunded(&self) -> bool {
        self.paid > 0 && self.refunded >= self.paid
    }

    /// `total` once fully refunded, `partial` otherwise (also with no refund at all).
    pub fn refund_type(&self) -> RefundType {
        if self.fully_refunded() { RefundType::Total } else { RefundType::Partial }
    }

    /// The status API's code for a payment whose own code is `payment_code`: 40 for a
    /// successful payment that is fully refunded, the payment's code otherwise.
    pub fn status_code(&self, payment_code: ErrorCode) -> ErrorCode {
        if payment_code == ErrorCode::SUCCESS && self.fully_refunded() {
            ErrorCode::ALREADY_REFUNDED
        } else {
            payment_code
        }
    }
}

/// Why a refund request is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// No such transaction, or another partner's (36).
    UnknownTransaction,
    /// The partner already used this refundId (31).
    DuplicateRefundId,
    /// The payment is not successful (102).
    NotSuccessful,
    /// The transaction is already fully refunded (40).
    AlreadyRefunded,
    /// The refunds would exceed the paid amount (103).
    ExceedsPaid,
    /// The amount is not positive, or below the partner's minimum without being the
    /// exact remaining balance (32).
    InvalidAmount,
    /// No bank that could execute the refund is connected (15, docs §12).
    NotConnected,
}

impl Refusal {
    /// The refusal's errorCode.
    pub fn code(self) -> ErrorCode {
        match self {
            Refusal::UnknownTransaction => ErrorCode::TRANSACTION_NOT_FOUND,
            Refusal::DuplicateRefundId => ErrorCode::DUPLICATE_TRANSACTION_ID,
            Refusal::NotSuccessful => ErrorCode::MUST_BE_SUCCESSFUL,
            Refusal::AlreadyRefunded => ErrorCode::ALREADY_REFUNDED,
            Refusal::ExceedsPaid => ErrorCode::REFUND_EXCEEDS_AMOUNT,
            Refusal::InvalidAmount => ErrorCode::INVALID_AMOUNT,
            Refusal::NotConnected => ErrorCode::PRODUCT_NOT_ACTIVE,
        }
    }

    /// A short English explanation for the `X-Error-Detail` header.
    pub fn detail(self) -> &'static str {
        match self {
            Refusal::UnknownTransaction => "no such transaction",
            Refusal::DuplicateRefundId => "refundId already used",
            Refusal::NotSuccessful => "only a successful transaction can be refunded",
            Refusal::AlreadyRefunded => "the transaction is fully refunded",
            Refusal::ExceedsPaid => "the refunds would exceed the paid amount",
            Refusal::InvalidAmount => "the amount is below the minimum and not the remaining balance",
            Refusal::NotConnected => "no bank is connected to execute refunds",
        }
    }
}

/// Decides whether a refund of `amount` may be added to a transaction in `payment`
/// state with `ledger`, for a partner whose smallest amount is `min_amount`.
pub fn admit(payment: State, ledger: Ledger, amount: i64, min_amount: i64) -> Result<(), Refusal> {
    if payment != State::Success {
        return Err(Refusal::NotSuccessful);
    }
    if amount <= 0 {
        return Err(Refusal::InvalidAmount);
    }
    let remaining = ledger.remaining();
    if amount > remaining {
        return Err(if ledger.fully_refunded() { Refusal::AlreadyRefunded } else { Refusal::ExceedsPaid });
    }
    if amount < min_amount && amount != remaining {
        return Err(Refusal::InvalidAmount);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event() -> impl Strategy<Value = RefundEvent> {
        prop_oneof![Just(RefundEvent::Submit), Just(RefundEvent::BankSucceeded), Just(RefundEvent::BankFailed)]
    }

    /// One step of a random history: request a refund, or an event for one of them.
    #[derive(Clone, Debug)]
    enum Step {
        Request(i64),
        Event(usize, RefundEvent),
    }

    fn step() -> impl Strategy<Value = Step> {
        prop_oneof![
            (-10i64..160_000).prop_map(Step::Request),
            (1i64..3_000).prop_map(Step::Request),
            (0usize..20, event()).prop_map(|(i, e)| Step::Event(i, e)),
        ]
    }

    proptest! {
        #[test]
        fn final_refunds_never_change(events in proptest::collection::vec(event(), 0..12)) {
            let mut st = RefundStatus::Pending;
            let mut finished: Option<RefundStatus> = None;
            for ev in events {
                match decide(st, ev) {
                    Some(next) => {
                        prop_assert!(finished.is_none(), "a final refund changed");
                        prop_assert_ne!(next, st);
                        if is_final(next) { finished = Some(next); }
                        st = next;
                    }
                    None => if let Some(f) = finished { prop_assert_eq!(st, f) },
                }
            }
        }

        /// Over any history of requests and bank answers, the committed sum never
        /// exceeds the paid amount, every refusal is the one the ledger explains, and
        /// the reported state (40 / refundType) follows the successful sum alone.
        #[test]
        fn the_ledger_never_exceeds_the_paid_amount(
            paid in 1_000i64..150_000,
            steps in proptest::collection::vec(step(), 0..40),
        ) {
            let min = 1_000;
            let mut refunds: Vec<(RefundStatus, i64)> = Vec::new();
            for s in steps {
                let ledger = Ledger::from_refunds(paid, refunds.iter().copied());
                match s {
                    Step::Request(amount) => match admit(State::Success, ledger, amount, min) {
                        Ok(()) => {
                            prop_assert!(amount > 0 && amount <= ledger.remaining());
                            prop_assert!(amount >= min || amount == ledger.remaining());
                            refunds.push((RefundStatus::Pending, amount));
                        }
                        Err(Refusal::AlreadyRefunded) => prop_assert!(ledger.fully_refunded() && amount > 0),
                        Err(Refusal::ExceedsPaid) => {
                            prop_assert!(amount > ledger.remaining() && !ledger.fully_refunded());
                        }
                        Err(Refusal::InvalidAmount) => {
                            prop_assert!(amount <= 0 || (amount < min && amount != ledger.remaining()));
                        }
                        Err(r) => prop_assert!(false, "unexpected refusal {r:?}"),
                    },
                    Step::Event(i, ev) => {
                        if let Some(r) = refunds.get_mut(i) {
                            if let Some(next) = decide(r.0, ev) { r.0 = next; }
                        }
                    }
                }
                let after = Ledger::from_refunds(paid, refunds.iter().copied());
                prop_assert!(after.committed <= paid, "committed {} > paid {paid}", after.committed);
                prop_assert!(after.refunded <= after.committed);
                let success_sum: i64 = refunds.iter().filter(|r| r.0 == RefundStatus::Success).map(|r| r.1).sum();
                prop_assert_eq!(after.refund_type() == RefundType::Total, success_sum == paid);
                prop_assert_eq!(
                    after.status_code(ErrorCode::SUCCESS),
                    if success_sum == paid { ErrorCode::ALREADY_REFUNDED } else { ErrorCode::SUCCESS }
                );
            }
        }

        #[test]
        fn unpaid_transactions_are_never_refunded(
            state in proptest::sample::select(&State::ALL[..]),
            amount in -5i64..1_000_000,
        ) {
            let ledger = Ledger { paid: 500_000, committed: 0, refunded: 0 };
            let r = admit(state, ledger, amount, 1_000);
            if state != State::Success {
                prop_assert_eq!(r, Err(Refusal::NotSuccessful));
            }
        }
    }

    #[test]
    fn table() {
        use RefundEvent::*;
        use RefundStatus::*;
        assert_eq!(decide(Pending, Submit), Some(Processing));
        assert_eq!(decide(Processing, BankSucceeded), Some(Success));
        assert_eq!(decide(Processing, BankFailed), Some(Error));
        assert_eq!(decide(Pending, BankSucceeded), None, "the bank answers only what it was given");
        assert_eq!(decide(Success, BankFailed), None);
        assert_eq!(decide(Error, Submit), None);
        assert_eq!(fold(Pending, &[Submit, BankSucceeded]), Some(Success));
        assert_eq!(fold(Pending, &[BankSucceeded]), None);

        let l = |committed, refunded| Ledger { paid: 100_000, committed, refunded };
        let ok = State::Success;
        assert_eq!(admit(ok, l(0, 0), 100_000, 1_000), Ok(()));
        assert_eq!(admit(ok, l(0, 0), 100_001, 1_000), Err(Refusal::ExceedsPaid));
        assert_eq!(admit(ok, l(60_000, 0), 50_000, 1_000), Err(Refusal::ExceedsPaid));
        assert_eq!(admit(ok, l(100_000, 40_000), 1_000, 1_000), Err(Refusal::ExceedsPaid), "held by refunds in flight");
        assert_eq!(admit(ok, l(100_000, 100_000), 1_000, 1_000), Err(Refusal::AlreadyRefunded));
        assert_eq!(admit(ok, l(0, 0), 999, 1_000), Err(Refusal::InvalidAmount));
        assert_eq!(admit(ok, l(99_500, 0), 500, 1_000), Ok(()), "the exact remaining balance");
        assert_eq!(admit(ok, l(99_000, 0), 500, 1_000), Err(Refusal::InvalidAmount));
        assert_eq!(admit(ok, l(0, 0), 0, 1_000), Err(Refusal::InvalidAmount));
        assert_eq!(admit(State::Processing, l(0, 0), 1_000, 1_000), Err(Refusal::NotSuccessful));
        assert_eq!(l(100_000, 100_000).status_code(ErrorCode::SUCCESS), ErrorCode::ALREADY_REFUNDED);
        assert_eq!(l(100_000, 99_999).status_code(ErrorCode::SUCCESS), ErrorCode::SUCCESS);
        assert_eq!(l(0, 0).status_code(ErrorCode::PENDING), ErrorCode::PENDING);
        assert_eq!(
            Ledger::from_refunds(10, [(Error, 7), (Success, 2), (Processing, 1)]),
            Ledger { paid: 10, committed: 3, refunded: 2 }
        );
        assert_eq!(Refusal::ExceedsPaid.code(), ErrorCode(103));
        assert_eq!(Refusal::DuplicateRefundId.code(), ErrorCode(31));
    }
}
