//! Production without a bank.
//!
//! Until a real bank adapter is configured, a production gateway takes orders, shows
//! their payment pages and answers every API, but nothing can move money: a card
//! payment is answered "this payment method is not connected" on the card page, and
//! a refund request is refused (errorCode 15, docs §12) before anything is recorded.
//! Nothing here ever reports a payment or a refund as successful.

use super::{Acquirer, Issuer, RefundAnswer, RefundBank, RefundOrder, Verdict};
use crate::domain::card::CardData;
use appotapay_protocol::{ErrorCode, PaymentMethod};
use async_trait::async_trait;
use std::time::Duration;

/// The acquirer of a gateway with no bank connected.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unconnected;

/// How long a refund would be left before asking again; never used, as no refund is
/// ever admitted here.
const NEVER: Duration = Duration::from_secs(24 * 3600);

#[async_trait]
impl Issuer for Unconnected {
    async fn authorize(&self, _card: &CardData) -> Verdict {
        Verdict::NotConnected
    }

    async fn confirm_otp(&self, _otp: &str) -> bool {
        false
    }

    fn processing_delay(&self) -> Duration {
        NEVER
    }

    async fn processing_outcome(&self, _interim: ErrorCode) -> ErrorCode {
        // Nothing is ever left undecided here; were it so, nothing was charged.
        ErrorCode::ISSUER_NO_RESPONSE
    }
}

#[async_trait]
impl RefundBank for Unconnected {
    fn executes_refunds(&self, _payment_method: PaymentMethod) -> bool {
        false
    }

    async fn submit_refund(&self, _refund: RefundOrder<'_>) -> RefundAnswer {
        RefundAnswer::Working(NEVER)
    }

    async fn refund_status(&self, _refund: RefundOrder<'_>) -> RefundAnswer {
        RefundAnswer::Working(NEVER)
    }
}

impl Acquirer for Unconnected {
    fn name(&self) -> &'static str {
        "unconnected"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::card::{CardKind, MonthYear};

    #[tokio::test]
    async fn nothing_is_ever_charged_or_refunded() {
        let a = Unconnected;
        let card = CardData {
            kind: CardKind::Atm,
            number: "9704000000000018".into(),
            holder: "NGUYEN VAN A".into(),
            date: MonthYear { year: 2020, month: 1 },
            cvv: None,
        };
        assert_eq!(a.authorize(&card).await, Verdict::NotConnected);
        assert!(!a.confirm_otp("123456").await);
        assert!(PaymentMethod::ALL_METHODS.into_iter().all(|m| !a.executes_refunds(m)));
        let r =
            RefundOrder { refund_id: "RF1", trans_id: "AP1", payment_method: PaymentMethod::Cc, amount: 1, reason: "" };
        assert!(matches!(a.submit_refund(r).await, RefundAnswer::Working(_)));
        assert!(matches!(a.refund_status(r).await, RefundAnswer::Working(_)));
        assert!(a.simulator().is_none());
    }
}
