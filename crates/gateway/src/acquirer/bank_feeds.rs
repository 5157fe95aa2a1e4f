//! Production with bank feeds: real QR payments without a bank contract.
//!
//! The customer transfers to the merchant's own account and a bank-feed service
//! (SePay, Casso) reports the credit, which the core matches to its order
//! (`core::credits`). No card issuer is connected, so card payments see "not
//! connected" exactly as with [`super::unconnected::Unconnected`]. A feed can only
//! read the account, never send money, so the refund of a QR payment is paid back
//! by the merchant by hand ([`RefundAnswer::ByHand`]): admitted and kept `pending`
//! until an operator records it done or failed. Refunds of anything else are refused.

use super::unconnected::Unconnected;
use super::{Acquirer, Issuer, RefundAnswer, RefundBank, RefundOrder, Verdict};
use crate::domain::card::CardData;
use appotapay_protocol::{ErrorCode, PaymentMethod};
use async_trait::async_trait;
use std::time::Duration;

/// The acquirer of a production gateway taking QR payments through bank feeds.
#[derive(Clone, Copy, Debug, Default)]
pub struct BankFeeds;

#[async_trait]
impl Issuer for BankFeeds {
    async fn authorize(&self, card: &CardData) -> Verdict {
        Unconnected.authorize(card).await
    }

    async fn confirm_otp(&self, otp: &str) -> bool {
        Unconnected.confirm_otp(otp).await
    }

    fn processing_delay(&self) -> Duration {
        Unconnected.processing_delay()
    }

    async fn processing_outcome(&self, interim: ErrorCode) -> ErrorCode {
        Unconnected.processing_outcome(interim).await
    }
}

#[async_trait]
impl RefundBank for BankFeeds {
    fn executes_refunds(&self, payment_method: PaymentMethod) -> bool {
        payment_method == PaymentMethod::Qr
    }

    fn refunds_by_hand(&self, payment_method: PaymentMethod) -> bool {
        payment_method == PaymentMethod::Qr
    }

    async fn submit_refund(&self, _refund: RefundOrder<'_>) -> RefundAnswer {
        RefundAnswer::ByHand
    }

    async fn refund_status(&self, _refund: RefundOrder<'_>) -> RefundAnswer {
        RefundAnswer::ByHand
    }
}

impl Acquirer for BankFeeds {
    fn name(&self) -> &'static str {
        "bank-feeds"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::card::{CardKind, MonthYear};

    #[tokio::test]
    async fn cards_are_not_connected_and_qr_refunds_are_paid_by_hand() {
        let a = BankFeeds;
        let card = CardData {
            kind: CardKind::Atm,
            number: "9704000000000018".into(),
            holder: "NGUYEN VAN A".into(),
            date: MonthYear { year: 2020, month: 1 },
            cvv: None,
        };
        assert_eq!(a.authorize(&card).await, Verdict::NotConnected);
        assert!(a.executes_refunds(PaymentMethod::Qr) && a.refunds_by_hand(PaymentMethod::Qr));
        for m in [PaymentMethod::Atm, PaymentMethod::Cc, PaymentMethod::All] {
            assert!(!a.executes_refunds(m) && !a.refunds_by_hand(m), "{m:?}");
        }
        let r =
            RefundOrder { refund_id: "RF1", trans_id: "AP1", payment_method: PaymentMethod::Qr, amount: 1, reason: "" };
        assert_eq!(a.submit_refund(r).await, RefundAnswer::ByHand);
        assert_eq!(a.refund_status(r).await, RefundAnswer::ByHand);
        assert!(a.simulator().is_none());
    }
}
