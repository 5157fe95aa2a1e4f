//! How the sandbox bank answers refunds: card (`CC`) and QR-transfer refunds at once,
//! domestic-card (`ATM`) refunds after a delay, like the interbank refunds they stand
//! for. A reason containing `FAIL` (upper case) makes the bank refuse the refund, so
//! that merchants can test that path; anything else succeeds.

use crate::domain::refund::RefundEvent;
use appotapay_protocol::PaymentMethod;
use std::time::Duration;

/// The text in a refund's reason that makes the sandbox bank refuse it.
pub const REFUND_FAIL_MARKER: &str = "FAIL";

/// How the sandbox bank handles a refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefundPlan {
    /// The bank's answer: [`RefundEvent::BankSucceeded`] or [`RefundEvent::BankFailed`].
    pub answer: RefundEvent,
    /// `None`: the bank answers at once (the refund goes straight to its final
    /// status); `Some(d)`: it stays `processing` for `d` first.
    pub delay: Option<Duration>,
}

/// The sandbox bank's handling of a refund of a payment made with `payment_method`.
pub fn plan(payment_method: PaymentMethod, reason: &str, atm_delay: Duration) -> RefundPlan {
    let answer = if reason.contains(REFUND_FAIL_MARKER) { RefundEvent::BankFailed } else { RefundEvent::BankSucceeded };
    let delay = (payment_method == PaymentMethod::Atm).then_some(atm_delay);
    RefundPlan { answer, delay }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_refunds() {
        let d = Duration::from_secs(10);
        let cc = plan(PaymentMethod::Cc, "Customer returned the goods", d);
        assert_eq!(cc, RefundPlan { answer: RefundEvent::BankSucceeded, delay: None });
        assert_eq!(plan(PaymentMethod::Qr, "x", d).delay, None);
        let atm = plan(PaymentMethod::Atm, "please FAIL", d);
        assert_eq!(atm, RefundPlan { answer: RefundEvent::BankFailed, delay: Some(d) });
        assert_eq!(plan(PaymentMethod::Cc, "failed delivery", d).answer, RefundEvent::BankSucceeded, "upper case only");
    }
}
