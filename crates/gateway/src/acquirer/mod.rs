//! The acquiring side: what a bank would do. Here a sandbox stands in for the
//! issuers and for the collecting bank of QR transfers.

pub mod sandbox;

use crate::app::{CoreError, Gateway, SettleDetails, Settlement};
use crate::config::CollectingAccount;
use crate::payments::Event;
use crate::store::OrderKind;
use appotapay_protocol::vietqr::VietQr;

/// The VietQR payload of a QR order: the collecting account, the exact amount and
/// the appotapayTransId as the transfer memo.
pub fn vietqr_payload(account: &CollectingAccount, amount: i64, trans_id: &str) -> Option<String> {
    let amount = u64::try_from(amount).ok()?;
    VietQr::dynamic(&account.bin, &account.account, amount, trans_id).encode().ok()
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
    fn payload_parses_back() {
        let acc = CollectingAccount { bin: "970415".into(), account: "113366668888".into(), name: "X".into() };
        let p = vietqr_payload(&acc, 79_000, "AP123456789012").expect("payload");
        let qr = VietQr::parse(&p).expect("parses");
        assert_eq!(qr.amount, Some(79_000));
        assert_eq!(qr.memo.as_deref(), Some("AP123456789012"));
        assert!(vietqr_payload(&acc, -1, "AP123456789012").is_none());
    }
}
