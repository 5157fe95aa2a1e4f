//! QR payments: the VietQR payload an order shows, and the matching of a bank
//! credit to the order it pays.
//!
//! A credit settles a QR order only when its memo is the order's appotapayTransId
//! (the memo the payload asks the customer's bank to send) and its amount is exactly
//! the order's: a wrong amount or an unknown memo never completes anything. Where a
//! credit comes from (the sandbox's simulated transfer today, a bank feed later) is
//! the entry point's business; the rule is here once.

use super::{CoreError, Gateway, SettleDetails, Settlement};
use crate::config::CollectingAccount;
use crate::domain::order::Event;
use crate::domain::records::OrderKind;
use appotapay_protocol::vietqr::VietQr;

/// The VietQR payload of a QR order: the collecting account, the exact amount and
/// the appotapayTransId as the transfer memo.
pub fn vietqr_payload(account: &CollectingAccount, amount: i64, trans_id: &str) -> Option<String> {
    let amount = u64::try_from(amount).ok()?;
    VietQr::dynamic(&account.bin, &account.account, amount, trans_id).encode().ok()
}

/// What a report of an incoming transfer did.
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

impl Gateway {
    /// The account QR orders are paid into.
    pub fn collecting_account(&self) -> &CollectingAccount {
        &self.config.collecting
    }

    /// Applies a credit of `amount` VND with transfer memo `memo` to the collecting
    /// account: the QR order whose appotapayTransId is the memo succeeds when the
    /// amount is exactly its own. `partner` restricts the match to one partner's
    /// orders (the sandbox helper API); the checkout's own "simulate transfer"
    /// button passes `None`.
    pub async fn bank_credit(
        &self,
        partner: Option<&str>,
        amount: i64,
        memo: &str,
    ) -> Result<CreditOutcome, CoreError> {
        let order = match self.store.get_order(memo.trim()).await? {
            Some(o) if o.kind == OrderKind::Qr && partner.is_none_or(|p| p == o.partner_code) => o,
            _ => return Ok(CreditOutcome::UnknownMemo),
        };
        if amount != order.amount {
            return Ok(CreditOutcome::AmountMismatch);
        }
        match self.settle(&order.trans_id, Event::Succeed, SettleDetails::default()).await? {
            Some(s) => Ok(CreditOutcome::Applied(Box::new(s))),
            None => Ok(CreditOutcome::UnknownMemo),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
