//! The signed results of a final order, as AppotaPay sends them: the IPN body
//! ([`Gateway::notification_body`]) and the redirect URL the customer's browser
//! follows ([`Gateway::redirect_url`]), both signed with the partner's signing secret
//! ([`Partner::signing`]: the replaced one during a key rotation's grace period).
//!
//! The API version that created the order fixes the format, whichever version asks
//! about the order later:
//! - v1.0: the 13 documented fields, flat;
//! - v1.1: the same and `tokenResult` (PHP-style JSON text) when the payment saved a
//!   card; the signature covers the 13 fields, or `tokenResult` too when
//!   `v11_sign_token_result` is set;
//! - v2: `{"data", "signature", "time"}`, `data` the base64 of the PHP-style payload,
//!   signed over its text; in a redirect query `data` is percent-encoded, so that its
//!   `+` and `/` survive form decoding.

use super::{Gateway, Partner, now_ms};
use crate::domain::order::{self, Current};
use crate::domain::records::{ApiVersion, Order};
use appotapay_protocol::messages::PaymentNotification;
use appotapay_protocol::signing::{self, Signed};
use appotapay_protocol::v2::{self, Envelope, Fee, OrderReference, PartnerReference, Payload, Transaction};
use appotapay_protocol::v11::{self, Action, TokenCard, TokenResult};
use appotapay_protocol::{Amount, ErrorCode, Lang};

/// The card an order saved, from the order itself (its token and masked card):
/// what its notifications report, even after the partner deleted the token.
pub fn saved_card(order: &Order) -> Option<TokenCard> {
    if order.action != Action::PayWithReturnToken {
        return None;
    }
    let (token, card) = (order.token.as_ref()?, order.card.as_ref()?);
    Some(TokenCard {
        status: "active".to_owned(),
        token: token.clone(),
        card_name: card.name.clone(),
        card_number: card.number_masked.replace('*', "x"),
        card_date: card.date.clone(),
        card_type: super::tokens::card_type(order.payment_method).to_owned(),
    })
}

/// The `tokenResult` text of an order's notifications, when it saved a card.
pub fn token_result_text(order: &Order) -> Option<String> {
    saved_card(order).map(|card| {
        TokenResult { status: 0, message: ErrorCode::SUCCESS.message(Lang::Vi).to_owned(), card }.to_php_json()
    })
}

/// A v2 transaction object: the status answer's and the notifications'. `code` is
/// the transaction's state as a code (the refund ledger already applied).
pub fn v2_transaction(partner: &Partner, order: &Order, code: ErrorCode, lang: Lang) -> Transaction {
    let success = order.state == crate::domain::order::State::Success;
    Transaction {
        transaction_id: order.trans_id.to_string(),
        reconciliation_id: success.then(|| order.trans_id.to_string()),
        partner_code: partner.code.clone(),
        status: order::status_word(code).to_owned(),
        error_code: code,
        error_message: code.message(lang).to_owned(),
        order_amount: Amount::vnd(order.amount),
        amount: Amount::vnd(order.amount),
        discount_amount: 0,
        currency: appotapay_protocol::CURRENCY.to_owned(),
        bank_code: order.bank_code_text().to_owned(),
        payment_method: order.payment_method.as_str().to_owned(),
        action: order.action.as_str().to_owned(),
        client_ip: (!order.client_ip.is_empty()).then(|| order.client_ip.clone()),
        version: Some(v2::VERSION.to_owned()),
        fee: Some(Fee::default()),
        created_at: v2::rfc3339_vn(order.created_at_ms),
        updated_at: v2::rfc3339_vn(order.updated_at_ms),
    }
}

/// `partnerReference` of an order, as answers and payloads show it.
pub fn v2_reference(order: &Order) -> PartnerReference {
    PartnerReference {
        order: OrderReference {
            id: order.order_id.clone(),
            info: order.order_info.clone(),
            extra_data: order.extra_data.clone(),
        },
        notification_config: None,
    }
}

impl Gateway {
    /// The signed v1.0 result notification of a (final) order. Messages are
    /// Vietnamese, as the real service sends them.
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

    /// The signed v1.1 result notification: v1.0's and `tokenResult`.
    pub fn v11_notification(&self, partner: &Partner, order: &Order) -> v11::PaymentNotification {
        let mut n = v11::PaymentNotification {
            base: self.notification(partner, order),
            token_result: token_result_text(order),
        };
        if self.config.v11.sign_token_result && n.token_result.is_some() {
            n.base.signature = signing::sign_data(&partner.signing().secret, &n.data(true));
        }
        n
    }

    /// The v2 payload of a final order.
    pub fn v2_payload(&self, partner: &Partner, order: &Order) -> Payload {
        let current = Current { state: order.state, code: order.code, expires_at_ms: order.expires_at_ms };
        let code = order::status_code(current, now_ms());
        Payload {
            transaction: v2_transaction(partner, order, code, Lang::Vi),
            partner_reference: v2_reference(order),
            token_result: token_result_text(order),
        }
    }

    /// The signed v2 envelope of a final order, `time` now.
    pub fn v2_envelope(&self, partner: &Partner, order: &Order) -> Envelope {
        Envelope::seal(&self.v2_payload(partner, order), &partner.signing().secret, now_ms() / 1000)
    }

    /// The IPN body of a final order, in the format of the version that created it.
    pub fn notification_body(&self, partner: &Partner, order: &Order) -> String {
        let value = match order.api {
            ApiVersion::V1_0 => serde_json::to_string(&self.notification(partner, order)),
            ApiVersion::V1_1 => serde_json::to_string(&self.v11_notification(partner, order)),
            ApiVersion::V2 => serde_json::to_string(&self.v2_envelope(partner, order)),
        };
        value.unwrap_or_default()
    }

    /// The signed redirect URL of a final order, `None` when it has no redirect URL.
    /// An existing query string is kept (`&` appended) and a fragment stays last.
    pub fn redirect_url(&self, partner: &Partner, order: &Order) -> Option<String> {
        if order.redirect_url.is_empty() {
            return None;
        }
        let pairs: Vec<(&'static str, String)> = match order.api {
            ApiVersion::V1_0 => self.notification(partner, order).to_pairs(),
            ApiVersion::V1_1 => {
                let n = self.v11_notification(partner, order);
                let mut pairs = n.base.to_pairs();
                if let Some(t) = n.token_result {
                    // Before the signature, which stays last as in v1.0.
                    pairs.insert(pairs.len() - 1, ("tokenResult", t));
                }
                pairs
            }
            ApiVersion::V2 => self.v2_envelope(partner, order).to_pairs().to_vec(),
        };
        let mut url = url::Url::parse(&order.redirect_url).ok()?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in pairs {
                q.append_pair(k, &v);
            }
        }
        Some(url.to_string())
    }
}
