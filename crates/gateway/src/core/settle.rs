//! Settlement: every change of an order's state, from any entry point (checkout,
//! sandbox helpers, bank credits, the sweeper), goes through [`Gateway::settle`].
//!
//! It decides with the pure state machine ([`crate::domain::order::decide`]) and has
//! the store apply the decision as a compare-and-set on the state it was decided
//! from, writing the IPN into the outbox in the same transaction as a final state:
//! of two concurrent settlements exactly one wins, and a paid order can never lose
//! its notification. A lost race is decided again from the row as it then is.

use super::{CoreError, Gateway, now_ms};
use crate::domain::order::{self, Current, Decision, Event, State};
use crate::domain::records::{NewOutbox, Order, StateChange};
use crate::metrics;
use appotapay_protocol::ErrorCode;

/// Details recorded with a settlement besides the state: the bank and method the
/// customer used, and the masked card.
pub type SettleDetails = crate::acquirer::PaymentDetails;

/// What a settlement attempt did.
#[derive(Clone, Debug)]
pub enum Settlement {
    /// The order changed; this is its new row.
    Changed(Order),
    /// Nothing changed; answer this code (41 for a paid order, the final code for
    /// another final order, 34 while processing…).
    Rejected(ErrorCode, Order),
}

impl Settlement {
    /// The order as the attempt left it.
    pub fn order(&self) -> &Order {
        match self {
            Settlement::Changed(o) | Settlement::Rejected(_, o) => o,
        }
    }
}

impl Gateway {
    /// Applies `event` to an order through [`order::decide`], retrying the decision
    /// when another request changed the order first. A final state queues the IPN in
    /// the same transaction (successes always, failures for partners that opted in).
    /// `Ok(None)`: no such order.
    pub async fn settle(
        &self,
        trans_id: &str,
        event: Event,
        details: SettleDetails,
    ) -> Result<Option<Settlement>, CoreError> {
        let Some(order) = self.store.get_order(trans_id).await? else {
            return Ok(None);
        };
        self.settle_order(order, event, details).await
    }

    /// [`settle`](Self::settle) from the order as the caller has just read it, which
    /// saves reading it again. The row may have moved on since: the compare-and-set
    /// then matches nothing and the decision is taken again from the row as it is.
    pub async fn settle_order(
        &self,
        order: Order,
        event: Event,
        details: SettleDetails,
    ) -> Result<Option<Settlement>, CoreError> {
        let trans_id = order.trans_id.clone();
        let mut read = Some(order);
        loop {
            let order = match read.take() {
                Some(o) => o,
                None => match self.store.get_order(&trans_id).await? {
                    Some(o) => o,
                    None => return Ok(None),
                },
            };
            let now = now_ms();
            let current = Current { state: order.state, code: order.code, expires_at_ms: order.expires_at_ms };
            let (state, code) = match order::decide(current, event, now) {
                Decision::Reject(code) => return Ok(Some(Settlement::Rejected(code, order))),
                Decision::Change { state, code } => (state, code),
            };
            // Details describe a payment attempt; an expiry decided instead keeps none.
            let details = if state == State::Expired { SettleDetails::default() } else { details.clone() };
            let mut updated = changed(&order, state, code, now, &details);
            // A payment that saves the card saves it with its success.
            let token = if state == State::Success { super::tokens::token_to_save(&updated, now) } else { None };
            if let Some(t) = &token {
                updated.token = Some(t.token.clone());
            }
            let outbox = self.outbox_row(&updated, now).await?;
            let queued = outbox.is_some();
            let change = StateChange {
                trans_id: order.trans_id.clone(),
                from: order.state,
                to: state,
                code,
                now_ms: now,
                bank_code: details.bank_code,
                payment_method: details.payment_method,
                card: details.card,
                outbox,
                credit_id: details.credit_id.filter(|_| state == State::Success),
                token,
            };
            if self.store.apply_change(&change).await? {
                if state.is_final() {
                    metrics::order_settled(updated.payment_method.as_str(), state);
                }
                if queued {
                    self.outbox_wake.notify_one();
                }
                self.publish("settled", &updated, format!("{} (errorCode {})", state.as_str(), code.0));
                return Ok(Some(Settlement::Changed(updated)));
            }
            if change.credit_id.is_some() {
                // The credit may be what moved on (judged by another node meanwhile):
                // then the order is as it was, and this credit must not pay it.
                match self.store.get_order(&trans_id).await? {
                    Some(now) if now.state == order.state => {
                        return Ok(Some(Settlement::Rejected(ErrorCode::INVALID_PARAMS, now)));
                    }
                    now => read = now,
                }
                if read.is_none() {
                    return Ok(None);
                }
            }
            // Lost a race: decide again from the row as it is now.
        }
    }

    /// The IPN a change to `updated` queues: for a final state, successes always and
    /// failures for partners that opted in.
    async fn outbox_row(&self, updated: &Order, now: i64) -> Result<Option<NewOutbox>, CoreError> {
        let state = updated.state;
        if !state.is_final() {
            return Ok(None);
        }
        let Some(p) = self.partner(&updated.partner_code).await? else { return Ok(None) };
        if state != State::Success && !p.notify_failures {
            return Ok(None);
        }
        let body = self.notification_body(&p, updated);
        let mut row = NewOutbox {
            partner_code: p.code.clone(),
            url: updated.notify_url.clone(),
            body,
            first_attempt_at_ms: now + self.config.ipn_schedule.first().map_or(0, |d| d.as_millis() as i64),
            lose_attempts: 0,
            again_after_ms: None,
            fault_id: None,
        };
        self.apply_delivery_fault(&mut row, updated).await?;
        Ok(Some(row))
    }

    /// Finalises overdue pending orders; returns how many it expired.
    pub async fn sweep_expired(&self) -> Result<usize, CoreError> {
        let overdue = self.store.overdue_orders(now_ms(), 500).await?;
        let mut n = 0;
        for o in overdue {
            if let Some(Settlement::Changed(_)) = self.settle_order(o, Event::Expire, SettleDetails::default()).await? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// An order as a reader should see it now: one past its lifetime is expired
    /// first (the sweeper would a moment later; a customer must not see a payable
    /// page), and a concurrent change that won is read back.
    pub async fn current_order(&self, trans_id: &str) -> Result<Option<Order>, CoreError> {
        let Some(mut order) = self.store.get_order(trans_id).await? else { return Ok(None) };
        if order.state == State::Pending && now_ms() >= order.expires_at_ms {
            if let Some(s) = self.settle_order(order.clone(), Event::Expire, SettleDetails::default()).await? {
                order = s.order().clone();
            }
            if order.state == State::Pending {
                return Ok(self.store.get_order(trans_id).await?);
            }
        }
        Ok(Some(order))
    }
}

/// `order` as a change to `state` leaves it.
fn changed(order: &Order, state: State, code: ErrorCode, now: i64, details: &SettleDetails) -> Order {
    let mut updated = order.clone();
    updated.state = state;
    updated.code = code;
    updated.updated_at_ms = now;
    if state.is_final() {
        updated.settled_at_ms = Some(now);
    }
    if let Some(b) = details.bank_code {
        updated.bank_code = Some(b);
    }
    if let Some(m) = details.payment_method {
        updated.payment_method = m;
    }
    if details.card.is_some() {
        updated.card.clone_from(&details.card);
    }
    updated
}
