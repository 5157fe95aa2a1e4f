//! The IPN outbox as the delivery worker needs it: claims with a lease, the record
//! of each attempt, and the retry schedule that decides what happens next.

use super::{CoreError, Gateway, now_ms};
use crate::domain::records::{AttemptRecord, Delivery, NextStep, OutboxItem};
use rand::Rng;
use std::sync::Arc;
use tokio::sync::Notify;

impl Gateway {
    /// Claims up to `limit` due IPNs, leased until `lease_until_ms`, counting the
    /// attempt being made.
    pub async fn claim_ipns(&self, lease_until_ms: i64, limit: u32) -> Result<Vec<OutboxItem>, CoreError> {
        Ok(self.store.claim_outbox(now_ms(), lease_until_ms, limit).await?)
    }

    /// Records an attempt of `item` and moves its row on as
    /// [`next_ipn_step`](Self::next_ipn_step) decided.
    pub async fn record_ipn_attempt(
        &self,
        item: &OutboxItem,
        attempt: &AttemptRecord,
        next: NextStep,
    ) -> Result<(), CoreError> {
        self.store.finish_attempt(attempt, next).await?;
        if self.live.receiver_count() > 0 {
            let result = crate::domain::console::attempt_result(attempt);
            let _ = self.live.send(super::console::LiveEvent {
                kind: "ipn",
                trans_id: item.trans_id.as_str().to_owned(),
                partner_code: item.partner_code.clone(),
                what: format!("IPN attempt {}: {result}, {} ms", attempt.attempt, attempt.latency_ms),
                at_ms: attempt.at_ms,
            });
        }
        Ok(())
    }

    /// What follows attempt number `attempt` (from 1): done when delivered, else the
    /// next delay of the retry schedule (with ±20 % jitter when configured), or
    /// giving up once the schedule is exhausted.
    pub fn next_ipn_step(&self, attempt: u32, delivered: bool) -> NextStep {
        if delivered {
            return NextStep::Delivered;
        }
        let Some(delay) = self.config.ipn_schedule.get(attempt as usize) else {
            return NextStep::GiveUp;
        };
        let mut ms = delay.as_millis() as i64;
        if self.config.ipn_jitter && ms > 0 {
            let j = rand::thread_rng().gen_range(-0.2..=0.2);
            ms += (ms as f64 * j) as i64;
        }
        NextStep::RetryAt(now_ms() + ms)
    }

    /// When the earliest pending IPN is due.
    pub async fn next_ipn_due(&self) -> Result<Option<i64>, CoreError> {
        Ok(self.store.next_outbox_due().await?)
    }

    /// IPNs not yet delivered or given up.
    pub async fn outbox_depth(&self) -> Result<i64, CoreError> {
        Ok(self.store.outbox_depth().await?)
    }

    /// Releases the leases a previous run of this node left (a store shared by
    /// several nodes releases none: they run out).
    pub async fn release_leases(&self) -> Result<(), CoreError> {
        Ok(self.store.release_leases().await?)
    }

    /// The IPNs of a transaction with their attempts, oldest first.
    pub async fn deliveries(&self, trans_id: &str) -> Result<Vec<Delivery>, CoreError> {
        Ok(self.store.deliveries(trans_id).await?)
    }

    /// Fires when an IPN is queued, by this node or (shared store) another one.
    pub fn outbox_wake(&self) -> Arc<Notify> {
        self.outbox_wake.clone()
    }
}
