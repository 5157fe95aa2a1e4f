//! Which step a pending card order is at, computed from the order and its checkout
//! row alone, so that any node, any reload and any "back" shows the same step.

use crate::domain::checkout::method_of;
use crate::domain::records::{Checkout, Order, PendingCard};
use appotapay_protocol::{BankCode, PaymentMethod};

/// Where a pending card order stands.
pub(super) enum Step {
    Method,
    Bank(PaymentMethod),
    Card(PaymentMethod, BankCode),
    Otp(PendingCard),
}

fn bank_of(order: &Order, co: Option<&Checkout>, method: PaymentMethod) -> Option<BankCode> {
    let chosen = co.and_then(|c| c.bank_code);
    chosen.or(order.bank_code).filter(|b| method.accepts(*b))
}

pub(super) fn step(order: &Order, co: Option<&Checkout>) -> Step {
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
pub(super) fn can_back(co: Option<&Checkout>) -> bool {
    co.is_some_and(|c| c.method.is_some() || c.bank_code.is_some())
}
