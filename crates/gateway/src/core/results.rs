//! The signed results of a final order, as AppotaPay sends them: the IPN body
//! ([`Gateway::notification`]) and the redirect URL the customer's browser follows
//! ([`Gateway::redirect_url`]), both signed with the partner's signing secret
//! ([`Partner::signing`]: the replaced one during a key rotation's grace period)
//! over the documented field list.

use super::{Gateway, Partner};
use crate::domain::records::Order;
use appotapay_protocol::messages::PaymentNotification;
use appotapay_protocol::signing::Signed;
use appotapay_protocol::{Amount, Lang};

impl Gateway {
    /// The signed result notification of a (final) order. Messages are Vietnamese,
    /// as the real service sends them.
    pub fn notification(&self, partner: &Partner, order: &Order) -> PaymentNotification {
        PaymentNotification {
            error_code: order.code,
            message: order.code.message(Lang::Vi).to_owned(),
            partner_code: partner.code.clone(),
            api_key: partner.signing().api_key.clone(),
            amount: Amount::vnd(order.amount),
            currency: appotapay_protocol::CURRENCY.to_owned(),
            order_id: order.order_id.clone(),
            bank_code: order.bank_code_text().to_owned(),
            payment_method: order.payment_method.as_str().to_owned(),
            payment_type: appotapay_protocol::PAYMENT_TYPE.to_owned(),
            appotapay_trans_id: order.trans_id.to_string(),
            transaction_ts: order.settled_at_ms.unwrap_or(order.updated_at_ms) / 1000,
            extra_data: order.extra_data.clone(),
            signature: String::new(),
        }
        .signed(&partner.signing().secret)
    }

    /// The signed redirect URL of a final order, `None` when it has no redirect URL.
    /// An existing query string is kept (`&` appended) and a fragment stays last.
    pub fn redirect_url(&self, partner: &Partner, order: &Order) -> Option<String> {
        if order.redirect_url.is_empty() {
            return None;
        }
        let n = self.notification(partner, order);
        let mut url = url::Url::parse(&order.redirect_url).ok()?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in n.to_pairs() {
                q.append_pair(k, &v);
            }
        }
        Some(url.to_string())
    }
}
