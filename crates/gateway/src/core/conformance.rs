//! The IPN conformance runner (sandbox only): a merchant's IPN handler, tested with
//! the notifications AppotaPay would send and the forgeries it must refuse.
//!
//! It takes a real pending order that the merchant's integration created, builds one
//! notification per [`Case`] from it (signed with the partner's signing secret,
//! exactly as a real IPN), has a [`Poster`] send each to the order's `notifyUrl`
//! (or another URL) as the IPN worker would, and judges the answers
//! ([`crate::domain::conformance`]). Then it settles the order as a success through
//! the normal path, so that the real IPN is delivered too. The sending is the
//! caller's (the command line and the sandbox API pass the IPN worker's own POST):
//! the core decides what to send and what the answers mean.

use super::{CoreError, Gateway};
use crate::crypto::random_token;
use crate::domain::conformance::{self, Case, Poster, Report};
use crate::domain::order::{Event, State};
use crate::domain::records::{ApiVersion, Order};
use appotapay_protocol::ids::MAX_TRANS_NUMBER;
use appotapay_protocol::signing::{self, Signed};
use appotapay_protocol::{AppotapayTransId, ErrorCode, SecretKey};
use rand::Rng;
use serde_json::Value;

/// Why a run cannot start.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConformanceError {
    /// Not a sandbox: nothing may be settled on demand.
    #[error("the conformance runner exists in sandbox mode only")]
    NoSimulator,
    /// No such order (of that partner).
    #[error("no order {0}")]
    UnknownOrder(String),
    /// The order is no longer pending.
    #[error("order {order} is {state}, not pending: create a new order and run again")]
    NotPending {
        /// The order.
        order: String,
        /// Its state.
        state: State,
    },
    /// The URL cannot be sent to.
    #[error("notify URL {url}: {why}")]
    BadUrl {
        /// The URL.
        url: String,
        /// Why.
        why: String,
    },
}

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct ConformanceRun<'a> {
    /// The partner, when known (the API's caller; `--partner`).
    pub partner_code: Option<&'a str>,
    /// The partner's orderId, or the order's appotapayTransId.
    pub order: &'a str,
    /// Send to this URL instead of the order's `notifyUrl`.
    pub notify_url: Option<&'a str>,
}

impl Gateway {
    /// Runs every case against the merchant's IPN URL, then settles the order as a
    /// success. `Ok(Err(_))`: the run could not start.
    pub async fn run_conformance(
        &self,
        run: ConformanceRun<'_>,
        poster: &dyn Poster,
    ) -> Result<Result<Report, ConformanceError>, CoreError> {
        let Some(sim) = self.simulator() else { return Ok(Err(ConformanceError::NoSimulator)) };
        let Some(order) = self.conformance_order(&run).await? else {
            return Ok(Err(ConformanceError::UnknownOrder(run.order.to_owned())));
        };
        let Some(order) = self.current_order(&order.trans_id).await? else {
            return Ok(Err(ConformanceError::UnknownOrder(run.order.to_owned())));
        };
        if order.state != State::Pending {
            return Ok(Err(ConformanceError::NotPending { order: run.order.to_owned(), state: order.state }));
        }
        let url = run.notify_url.map_or_else(|| order.notify_url.clone(), str::to_owned);
        match url::Url::parse(&url) {
            Ok(u) => {
                if let Err(why) = self.check_notify_url(&u) {
                    return Ok(Err(ConformanceError::BadUrl { url, why }));
                }
            }
            Err(e) => return Ok(Err(ConformanceError::BadUrl { url, why: e.to_string() })),
        }
        let Some(partner) = self.partner(&order.partner_code).await? else {
            return Ok(Err(ConformanceError::UnknownOrder(run.order.to_owned())));
        };

        // The order as a success would leave it, with what the simulated bank records.
        let now = super::now_ms();
        let details = sim.success_details(&order);
        let mut paid = order.clone();
        paid.state = State::Success;
        paid.code = ErrorCode::SUCCESS;
        paid.settled_at_ms = Some(now);
        paid.updated_at_ms = now;
        if let Some(m) = details.payment_method {
            paid.payment_method = m;
        }
        if let Some(b) = details.bank_code {
            paid.bank_code = Some(b);
        }
        let secret = &partner.signing().secret;
        let sign = |n: appotapay_protocol::messages::PaymentNotification| n.signed(secret);
        let valid = self.notification(&partner, &paid);
        let valid_json = to_value(&valid);

        let mut unknown = paid.clone();
        unknown.order_id = format!("conformance-unknown-{}", random_token(10));
        if let Some(id) = random_trans_id() {
            unknown.trans_id = id;
        }
        let mut failed = order.clone();
        failed.state = State::Failed;
        failed.code = ErrorCode::DECLINED;
        failed.settled_at_ms = Some(now);

        let mut cases = Vec::with_capacity(Case::ALL.len());
        for case in Case::ALL {
            let body: Vec<u8> = match case {
                // A v2 order's merchant is sent v2's envelopes.
                _ if order.api == ApiVersion::V2 => self.v2_case_body(case, &partner, &paid, &failed, &unknown),
                Case::Valid | Case::Retry => valid_json.to_string().into_bytes(),
                Case::WrongSignature => {
                    let mut v = valid_json.clone();
                    v["signature"] = Value::String(altered(&valid.signature));
                    v.to_string().into_bytes()
                }
                Case::MissingSignature => {
                    let mut v = valid_json.clone();
                    if let Some(o) = v.as_object_mut() {
                        o.remove("signature");
                    }
                    v.to_string().into_bytes()
                }
                Case::OtherSecret => {
                    let n = valid.clone().signed(&SecretKey::new(random_token(32)));
                    to_value(&n).to_string().into_bytes()
                }
                Case::TamperedAmount => {
                    let mut v = valid_json.clone();
                    v["amount"] = Value::from(order.amount.saturating_add(1_000));
                    v.to_string().into_bytes()
                }
                Case::UnknownOrder => to_value(&self.notification(&partner, &unknown)).to_string().into_bytes(),
                Case::WrongAmount => {
                    let mut other = paid.clone();
                    other.amount = order.amount.saturating_add(1_000);
                    to_value(&self.notification(&partner, &other)).to_string().into_bytes()
                }
                Case::OtherPartner => {
                    let mut n = valid.clone();
                    n.partner_code = format!("{}OTHER", partner.code);
                    n.api_key = random_token(32);
                    to_value(&sign(n)).to_string().into_bytes()
                }
                Case::NotJson => format!("orderId={}&errorCode=0 (this body is not JSON)", order.order_id).into_bytes(),
                Case::MissingFields => {
                    let mut v = valid_json.clone();
                    if let Some(o) = v.as_object_mut() {
                        o.remove("orderId");
                        o.remove("amount");
                        o.remove("signature");
                    }
                    let data = signing::canonical_data_json(&signing::NOTIFICATION, &v);
                    v["signature"] = Value::String(signing::sign_data(secret, &data));
                    v.to_string().into_bytes()
                }
                Case::Failure => to_value(&self.notification(&partner, &failed)).to_string().into_bytes(),
            };
            let answer = poster.post(&url, body.clone()).await;
            cases.push(conformance::judge(case, String::from_utf8_lossy(&body).into_owned(), answer));
        }

        // The real settlement: its IPN goes out through the outbox like any other.
        let settled = matches!(
            self.settle(&order.trans_id, Event::Succeed, details).await?,
            Some(super::Settlement::Changed(ref o)) if o.state == State::Success
        );
        Ok(Ok(Report {
            order_id: order.order_id.clone(),
            trans_id: order.trans_id.to_string(),
            notify_url: url,
            cases,
            settled,
        }))
    }

    /// The order a run names: by appotapayTransId, or by orderId of the partner given
    /// (the public sandbox partner's when none is).
    async fn conformance_order(&self, run: &ConformanceRun<'_>) -> Result<Option<Order>, CoreError> {
        if run.order.parse::<AppotapayTransId>().is_ok() {
            let order = self.order(run.order).await?;
            return Ok(order.filter(|o| run.partner_code.is_none_or(|p| p == o.partner_code)));
        }
        let partner = run.partner_code.unwrap_or(appotapay_protocol::sandbox_partner::PARTNER_CODE);
        self.find_order(partner, run.order).await
    }
}

fn to_value(n: &appotapay_protocol::messages::PaymentNotification) -> Value {
    serde_json::to_value(n).unwrap_or(Value::Null)
}

/// A signature of the same shape that is not the right one.
fn altered(signature: &str) -> String {
    let flipped: String =
        signature.chars().enumerate().map(|(i, c)| if i == 0 { if c == '0' { '1' } else { '0' } } else { c }).collect();
    if flipped.is_empty() { "0".repeat(64) } else { flipped }
}

fn random_trans_id() -> Option<AppotapayTransId> {
    AppotapayTransId::from_number(rand::thread_rng().gen_range(0..=MAX_TRANS_NUMBER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_altered_signature_differs() {
        let s = "a".repeat(64);
        assert_ne!(altered(&s), s);
        assert_eq!(altered(&s).len(), 64);
        assert_ne!(altered(&"0".repeat(64)), "0".repeat(64));
    }
}
