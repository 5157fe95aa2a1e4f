//! The IPN conformance cases for an order created through API v2: the same cases as
//! v1's ([`crate::domain::conformance::Case`]), written as v2 sends them (the base64
//! envelope, signed over its `data` text), so that a v2 merchant's handler is judged
//! on the notifications it will really receive.

use super::{Gateway, Partner};
use crate::crypto::random_token;
use crate::domain::conformance::Case;
use crate::domain::records::Order;
use appotapay_protocol::v2::{Envelope, Payload};
use appotapay_protocol::{Amount, SecretKey, php_json};
use serde_json::Value;

impl Gateway {
    /// The body of `case` for a v2 order: `paid` is the order as its success would
    /// leave it, `failed` as a decline would, `unknown` another order of the partner
    /// the merchant never created.
    pub(super) fn v2_case_body(
        &self,
        case: Case,
        partner: &Partner,
        paid: &Order,
        failed: &Order,
        unknown: &Order,
    ) -> Vec<u8> {
        let secret = &partner.signing().secret;
        let now = crate::now_ms() / 1000;
        let seal = |p: &Payload| Envelope::seal(p, secret, now);
        let text = |e: &Envelope| serde_json::to_vec(e).unwrap_or_default();
        let valid = self.v2_payload(partner, paid);
        let valid_env = seal(&valid);
        let with_amount = |p: &Payload, amount: i64| {
            let mut p = p.clone();
            p.transaction.amount = Amount::vnd(amount);
            p.transaction.order_amount = Amount::vnd(amount);
            p
        };
        match case {
            Case::Valid | Case::Retry => text(&valid_env),
            Case::WrongSignature => {
                let mut e = valid_env.clone();
                e.signature = e.signature.chars().rev().collect();
                text(&e)
            }
            Case::MissingSignature => {
                let mut v = serde_json::to_value(&valid_env).unwrap_or(Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.remove("signature");
                }
                v.to_string().into_bytes()
            }
            Case::OtherSecret => text(&Envelope::seal(&valid, &SecretKey::new(random_token(32)), now)),
            Case::TamperedAmount => {
                // New data, the old signature.
                let tampered = seal(&with_amount(&valid, paid.amount.saturating_add(1_000)));
                text(&Envelope { signature: valid_env.signature.clone(), ..tampered })
            }
            Case::UnknownOrder => text(&seal(&self.v2_payload(partner, unknown))),
            Case::WrongAmount => text(&seal(&with_amount(&valid, paid.amount.saturating_add(1_000)))),
            Case::OtherPartner => {
                let mut p = valid.clone();
                p.transaction.partner_code = format!("{}OTHER", partner.code);
                text(&seal(&p))
            }
            Case::NotJson => format!("data=&orderId={} (this body is not JSON)", paid.order_id).into_bytes(),
            Case::MissingFields => {
                let mut v = serde_json::to_value(&valid).unwrap_or(Value::Null);
                if let Some(t) = v.get_mut("transaction").and_then(Value::as_object_mut) {
                    t.remove("amount");
                    t.remove("transactionId");
                }
                if let Some(o) = v.get_mut("partnerReference").and_then(Value::as_object_mut) {
                    o.remove("order");
                }
                text(&Envelope::seal_text(&php_json::encode(&v), secret, now))
            }
            Case::Failure => text(&seal(&self.v2_payload(partner, failed))),
        }
    }
}
