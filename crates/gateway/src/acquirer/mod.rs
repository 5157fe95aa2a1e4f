//! The acquiring side: what a bank would do. Here a sandbox stands in for the
//! issuers and for the collecting bank of QR transfers.

pub mod sandbox;

use crate::app::{CoreError, Gateway, SettleDetails, Settlement};
use crate::config::CollectingAccount;
use crate::payments::Event;
use crate::payments::refund::RefundEvent;
use crate::store::OrderKind;
use appotapay_protocol::vietqr::VietQr;
use std::time::Duration;

/// The VietQR payload of a QR order: the collecting account, the exact amount and
/// the appotapayTransId as the transfer memo.
pub fn vietqr_payload(account: &CollectingAccount, amount: i64, trans_id: &str) -> Option<String> {
    let amount = u64::try_from(amount).ok()?;
    VietQr::dynamic(&account.bin, &account.account, amount, trans_id).encode().ok()
}

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

impl RefundPlan {
    /// The events of handing the refund to the bank: submit, and the answer too when
    /// it comes at once.
    pub fn at_submission(&self) -> Vec<RefundEvent> {
        match self.delay {
            None => vec![RefundEvent::Submit, self.answer],
            Some(_) => vec![RefundEvent::Submit],
        }
    }
}

/// The sandbox bank's handling of a refund of a payment made with `payment_method`:
/// card (`CC`) and QR-transfer refunds are answered at once, domestic-card (`ATM`)
/// refunds after `atm_delay`, like the interbank refunds they stand for. A reason
/// containing `FAIL` (upper case) makes the bank refuse the refund, so that merchants
/// can test that path; anything else succeeds.
pub fn sandbox_refund(payment_method: &str, reason: &str, atm_delay: Duration) -> RefundPlan {
    let answer = if reason.contains(REFUND_FAIL_MARKER) { RefundEvent::BankFailed } else { RefundEvent::BankSucceeded };
    let delay = (payment_method == "ATM").then_some(atm_delay);
    RefundPlan { answer, delay }
}

/// What the collecting bank's report of an incoming transfer did.
#[derive(Clone, Debug)]
pub enum CreditOutcome {
    /// The memo names a QR order (of the expected partner) and the amount matched:
    /// the settlement attempt's result.
    Applied(Box<Settlement>),
    /// No QR order of the expected partner has this memo as appotapayTransId.
    UnknownMemo,
    /// The memo names an order, but the credited amount differs from its amount.
    AmountMismatch,
}

/// Applies a credit of `amount` VND with transfer memo `memo` to the collecting
/// account: the QR order whose appotapayTransId is the memo succeeds when the amount
/// is exactly its own. `partner` restricts the match to one partner's orders (the
/// sandbox helper API); the checkout's own "simulate transfer" button passes `None`.
/// A wrong amount or an unknown memo never completes an order.
pub async fn bank_credit(
    gw: &Gateway,
    partner: Option<&str>,
    amount: i64,
    memo: &str,
) -> Result<CreditOutcome, CoreError> {
    let order = match gw.store.get_order(memo.trim()).await? {
        Some(o) if o.kind == OrderKind::Qr && partner.is_none_or(|p| p == o.partner_code) => o,
        _ => return Ok(CreditOutcome::UnknownMemo),
    };
    if amount != order.amount {
        return Ok(CreditOutcome::AmountMismatch);
    }
    match gw.settle(&order.trans_id, Event::Succeed, SettleDetails::default()).await? {
        Some(s) => Ok(CreditOutcome::Applied(Box::new(s))),
        None => Ok(CreditOutcome::UnknownMemo),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_refunds() {
        let d = Duration::from_secs(10);
        let cc = sandbox_refund("CC", "Customer returned the goods", d);
        assert_eq!(cc, RefundPlan { answer: RefundEvent::BankSucceeded, delay: None });
        assert_eq!(cc.at_submission(), [RefundEvent::Submit, RefundEvent::BankSucceeded]);
        assert_eq!(sandbox_refund("QR", "x", d).delay, None);
        let atm = sandbox_refund("ATM", "please FAIL", d);
        assert_eq!(atm, RefundPlan { answer: RefundEvent::BankFailed, delay: Some(d) });
        assert_eq!(atm.at_submission(), [RefundEvent::Submit]);
        assert_eq!(sandbox_refund("CC", "failed delivery", d).answer, RefundEvent::BankSucceeded, "upper case only");
    }

    #[test]
    fn payload_parses_back() {
        let acc = CollectingAccount { bin: "970415".into(), account: "113366668888".into(), name: "X".into() };
        let p = vietqr_payload(&acc, 79_000, "AP123456789012").expect("payload");
        let qr = VietQr::parse(&p).expect("parses");
        assert_eq!(qr.amount, Some(79_000));
        assert_eq!(qr.memo.as_deref(), Some("AP123456789012"));
        assert!(vietqr_payload(&acc, -1, "AP123456789012").is_none());
    }
}
