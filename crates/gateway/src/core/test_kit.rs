//! The sandbox's merchant test kit, in the core: scripted IPN delivery faults and
//! per-partner test clocks (see [`crate::domain::test_kit`] for why).
//!
//! Both exist only with a simulated bank: without one every call answers
//! [`KitError::NoSimulator`], and a settlement never looks for a fault. A fault is
//! applied where an IPN is queued (`Gateway::apply_delivery_fault`, called by the
//! settlement), so the faulty delivery goes through the same outbox, worker,
//! attempts and strict judgement (HTTP 200 with `{"status":"ok"}`) as every other.

use super::{CoreError, Gateway, now_ms};
use crate::domain::records::{NewOutbox, Order};
use crate::domain::test_kit::{
    DeliveryFault, FaultScript, MAX_ADVANCE_MS, MAX_FAULT_DELAY_MS, NewFault, TWICE_AFTER_MS,
};

/// Why a test-kit request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KitError {
    /// Not a sandbox.
    #[error("the test kit exists in sandbox mode only")]
    NoSimulator,
    /// No such order of the partner.
    #[error("no order {0} of this partner")]
    UnknownOrder(String),
    /// A value out of range.
    #[error("{0}")]
    Invalid(String),
}

/// A fault script asked for.
#[derive(Clone, Debug, Default)]
pub struct FaultRequest {
    /// One order (appotapayTransId); `None`: the partner's next orders.
    pub trans_id: Option<String>,
    /// Next orders: how many (`None`: until cleared).
    pub next_orders: Option<i64>,
    /// What happens.
    pub script: FaultScript,
}

impl Gateway {
    /// Records a delivery fault script for one of the partner's orders or for its next
    /// orders.
    pub async fn add_delivery_fault(
        &self,
        partner_code: &str,
        req: FaultRequest,
    ) -> Result<Result<DeliveryFault, KitError>, CoreError> {
        if self.simulator().is_none() {
            return Ok(Err(KitError::NoSimulator));
        }
        let s = req.script;
        if !(0..=MAX_FAULT_DELAY_MS).contains(&s.delay_ms) {
            return Ok(Err(KitError::Invalid("the delay is 0 to 86400 seconds".into())));
        }
        if !s.twice && !s.lose_first && s.delay_ms == 0 {
            return Ok(Err(KitError::Invalid("script at least one fault: twice, a delay, or loseFirst".into())));
        }
        if let Some(id) = &req.trans_id {
            if req.next_orders.is_some() {
                return Ok(Err(KitError::Invalid("one order, or the next orders, not both".into())));
            }
            match self.partner_order(partner_code, id).await? {
                None => return Ok(Err(KitError::UnknownOrder(id.clone()))),
                Some(o) if o.state.is_final() => {
                    return Ok(Err(KitError::Invalid(format!("order {id} is {}: its IPN is queued already", o.state))));
                }
                // A new script for the order replaces the one it had.
                Some(_) => {
                    self.store.clear_order_faults(partner_code, id).await?;
                }
            }
        }
        if req.next_orders.is_some_and(|n| !(1..=1000).contains(&n)) {
            return Ok(Err(KitError::Invalid("nextOrders is 1 to 1000".into())));
        }
        let fault = NewFault {
            partner_code: partner_code.to_owned(),
            trans_id: req.trans_id,
            remaining: req.next_orders,
            script: s,
            created_at_ms: now_ms(),
        };
        let id = self.store.insert_fault(&fault).await?;
        Ok(Ok(DeliveryFault { id, fault }))
    }

    /// The script that will shape `order`'s IPN, if one will (the checkout's test
    /// controls show it).
    pub async fn order_delivery_fault(&self, order: &Order) -> Result<Option<DeliveryFault>, CoreError> {
        if self.simulator().is_none() {
            return Ok(None);
        }
        Ok(self.store.fault_for(&order.partner_code, &order.trans_id, order.created_at_ms).await?)
    }

    /// The partner's delivery fault scripts still to be used.
    pub async fn delivery_faults(&self, partner_code: &str) -> Result<Vec<DeliveryFault>, CoreError> {
        Ok(self.store.partner_faults(partner_code).await?)
    }

    /// Forgets the partner's delivery fault scripts; how many.
    pub async fn clear_delivery_faults(&self, partner_code: &str) -> Result<u64, CoreError> {
        Ok(self.store.clear_faults(partner_code).await?)
    }

    /// Applies the fault script for `order`'s IPN, if one applies, to the row about
    /// to be queued (sandbox only).
    pub(super) async fn apply_delivery_fault(&self, row: &mut NewOutbox, order: &Order) -> Result<(), CoreError> {
        if self.simulator().is_none() {
            return Ok(());
        }
        let Some(f) = self.store.fault_for(&order.partner_code, &order.trans_id, order.created_at_ms).await? else {
            return Ok(());
        };
        row.fault_id = Some(f.id);
        let s = f.fault.script;
        row.first_attempt_at_ms = row.first_attempt_at_ms.saturating_add(s.delay_ms);
        if s.lose_first {
            row.lose_attempts = 1;
        }
        if s.twice {
            row.again_after_ms = Some(TWICE_AFTER_MS);
        }
        tracing::info!(trans_id = %order.trans_id, fault = f.id, ?s, "sandbox delivery fault applied");
        Ok(())
    }

    /// The partner's test clock: real time plus how far the partner moved it, unix ms.
    pub async fn partner_now(&self, partner_code: &str) -> Result<Result<i64, KitError>, CoreError> {
        if self.simulator().is_none() {
            return Ok(Err(KitError::NoSimulator));
        }
        Ok(Ok(now_ms().saturating_add(self.store.clock_offset(partner_code).await?)))
    }

    /// Moves the partner's test clock `seconds` ahead: what falls due for the partner
    /// in that time (its orders' expiry, IPN retries, refunds, processing payments)
    /// happens now, through the sweeper and the IPN worker, as it would have then.
    /// The partner's clock afterwards, unix ms.
    pub async fn advance_clock(&self, partner_code: &str, seconds: i64) -> Result<Result<i64, KitError>, CoreError> {
        if self.simulator().is_none() {
            return Ok(Err(KitError::NoSimulator));
        }
        let by = seconds.saturating_mul(1000);
        if !(1..=MAX_ADVANCE_MS).contains(&by) {
            return Ok(Err(KitError::Invalid("seconds is 1 to 2592000 (30 days)".into())));
        }
        let offset = self.store.advance_clock(partner_code, by).await?;
        // IPNs may be due now: the worker looks at once instead of at its next wake.
        self.outbox_wake.notify_one();
        Ok(Ok(now_ms().saturating_add(offset)))
    }
}
