//! Refunds: admitted by the store (atomically, see `RefundStore::create_refund`),
//! then executed by the acquirer's refund bank and moved on through the pure refund
//! state machine ([`crate::domain::refund`]) with a compare-and-set.
//!
//! A refund reaches `success` only when the bank said so: without a connected bank
//! ([`crate::acquirer::RefundBank::executes_refunds`] false) the request is refused
//! (15) before anything is recorded. A QR payment received through a bank feed has
//! no bank that could send money back: its refunds stay `pending`, "to be paid by
//! the merchant by hand", until an operator records the outcome
//! ([`Gateway::finish_refund_by_hand`]).

use super::{CoreError, Gateway, Partner, now_ms};
use crate::acquirer::{RefundAnswer, RefundOrder};
use crate::domain::order::State;
use crate::domain::records::{Order, Refund, RefundChange, RefundCreate, RefundFilter, RefundPage};
use crate::domain::refund::{self, Ledger, RefundEvent, RefundStatus, Refusal};
use crate::metrics;
use crate::store::StoreError;
use appotapay_protocol::PaymentMethod;
use rand::Rng;

/// What recording a refund paid by hand did.
#[derive(Clone, Debug)]
pub enum ByHand {
    /// Recorded; the refund as it now is.
    Done(Refund),
    /// No such refund.
    Unknown,
    /// The refund is not one waiting to be paid by hand (as it is).
    NotByHand(Refund),
}

/// A refund request as validated by the API.
#[derive(Clone, Debug)]
pub struct NewRefund {
    /// The partner's refundId.
    pub refund_original_id: String,
    /// The transaction to refund.
    pub trans_id: String,
    /// VND, positive.
    pub amount: i64,
    /// The partner's reason.
    pub reason: String,
}

/// How long a newly admitted refund may stay `pending` before the sweeper hands it to
/// the bank itself. The request that created it does so at once; this only rescues
/// refunds whose request died in between (a crash).
const PENDING_REFUND_GRACE_MS: i64 = 30_000;

impl Gateway {
    /// Refunds (part of) a partner's successful transaction (spec §5.4). The store
    /// admits and inserts the refund in one transaction; then it is handed to the bank
    /// at once. `Ok(Err(_))` is a refusal with its documented code.
    pub async fn refund(&self, partner: &Partner, new: NewRefund) -> Result<Result<Refund, Refusal>, CoreError> {
        // Read first for the payment method the bank needs; ownership, state and sums
        // are decided again by the store under its lock.
        let Some(order) = self.partner_order(&partner.code, &new.trans_id).await? else {
            return Ok(Err(Refusal::UnknownTransaction));
        };
        if !self.acquirer.executes_refunds(order.payment_method) {
            return Ok(Err(Refusal::NotConnected));
        }
        let now = now_ms();
        for _ in 0..16 {
            let refund = Refund {
                refund_id: random_refund_id(),
                partner_code: partner.code.clone(),
                refund_original_id: new.refund_original_id.clone(),
                trans_id: order.trans_id.clone(),
                amount: new.amount,
                reason: new.reason.clone(),
                status: RefundStatus::Pending,
                created_at_ms: now,
                updated_at_ms: now,
                due_at_ms: Some(now + PENDING_REFUND_GRACE_MS),
            };
            match self.store.create_refund(&refund, partner.limits.min).await? {
                RefundCreate::Created => {
                    metrics::refund_created(order.payment_method.as_str());
                    return Ok(Ok(self.advance_refund(refund, order.payment_method, now).await?));
                }
                RefundCreate::Refused(r) => return Ok(Err(r)),
                RefundCreate::RefundIdTaken => continue,
            }
        }
        Err(CoreError::Store(StoreError::Database("could not draw a free refund id".into())))
    }

    /// Moves a pending or processing refund on as the bank answers, through
    /// [`refund::fold`] and a compare-and-set; returns the refund as it then is. A
    /// final refund is returned unchanged.
    async fn advance_refund(&self, r: Refund, payment_method: PaymentMethod, now: i64) -> Result<Refund, CoreError> {
        let asked = RefundOrder {
            refund_id: &r.refund_id,
            trans_id: &r.trans_id,
            payment_method,
            amount: r.amount,
            reason: &r.reason,
        };
        let (events, answer) = match r.status {
            RefundStatus::Pending => {
                let answer = self.acquirer.submit_refund(asked).await;
                let events = match answer {
                    RefundAnswer::Done(ev) => vec![RefundEvent::Submit, ev],
                    RefundAnswer::Working(_) => vec![RefundEvent::Submit],
                    // Pending until an operator records the outcome: never due again.
                    RefundAnswer::ByHand => return self.recheck_at(r, now, None).await,
                };
                (events, answer)
            }
            RefundStatus::Processing => match self.acquirer.refund_status(asked).await {
                RefundAnswer::Done(ev) => (vec![ev], RefundAnswer::Done(ev)),
                // Still working: ask again later, the status stays.
                RefundAnswer::Working(d) => return self.recheck_at(r, now, Some(now.saturating_add(millis(d)))).await,
                RefundAnswer::ByHand => return self.recheck_at(r, now, None).await,
            },
            RefundStatus::Success | RefundStatus::Error => return Ok(r),
        };
        let Some(to) = refund::fold(r.status, &events) else { return Ok(r) };
        let due_at_ms = match answer {
            RefundAnswer::Working(d) if to == RefundStatus::Processing => Some(now.saturating_add(millis(d))),
            _ => None,
        };
        let change = RefundChange { refund_id: r.refund_id.clone(), from: r.status, to, now_ms: now, due_at_ms };
        if self.store.update_refund(&change).await? {
            if refund::is_final(to) {
                metrics::refund_finished(payment_method.as_str(), to);
            }
            return Ok(Refund { status: to, updated_at_ms: now, due_at_ms, ..r });
        }
        // Another task moved it first: report it as it is now.
        Ok(self.store.get_refund(&r.refund_id).await?.unwrap_or(r))
    }

    /// A refund whose status stays: its next question is due at `due_at_ms` (never,
    /// for a refund paid by hand).
    async fn recheck_at(&self, r: Refund, now: i64, due_at_ms: Option<i64>) -> Result<Refund, CoreError> {
        let change =
            RefundChange { refund_id: r.refund_id.clone(), from: r.status, to: r.status, now_ms: now, due_at_ms };
        if self.store.update_refund(&change).await? {
            return Ok(Refund { updated_at_ms: now, due_at_ms, ..r });
        }
        Ok(self.store.get_refund(&r.refund_id).await?.unwrap_or(r))
    }

    /// Records the outcome of a refund paid by hand (see
    /// [`RefundAnswer::ByHand`]): `paid` moves it to `success`, otherwise to `error`.
    pub async fn finish_refund_by_hand(&self, refund_id: &str, paid: bool) -> Result<ByHand, CoreError> {
        let Some(r) = self.store.get_refund(refund_id).await? else { return Ok(ByHand::Unknown) };
        let Some(order) = self.store.get_order(&r.trans_id).await? else { return Ok(ByHand::Unknown) };
        if r.status != RefundStatus::Pending
            || r.due_at_ms.is_some()
            || !self.acquirer.refunds_by_hand(order.payment_method)
        {
            return Ok(ByHand::NotByHand(r));
        }
        let outcome = if paid { RefundEvent::BankSucceeded } else { RefundEvent::BankFailed };
        let Some(to) = refund::fold(r.status, &[RefundEvent::Submit, outcome]) else { return Ok(ByHand::NotByHand(r)) };
        let now = now_ms();
        let change = RefundChange { refund_id: r.refund_id.clone(), from: r.status, to, now_ms: now, due_at_ms: None };
        if !self.store.update_refund(&change).await? {
            let now_r = self.store.get_refund(refund_id).await?.unwrap_or(r);
            return Ok(ByHand::NotByHand(now_r));
        }
        metrics::refund_finished(order.payment_method.as_str(), to);
        Ok(ByHand::Done(Refund { status: to, updated_at_ms: now, due_at_ms: None, ..r }))
    }

    /// Moves on every refund whose next step is due; returns how many changed.
    pub async fn sweep_refunds(&self) -> Result<usize, CoreError> {
        self.sweep_refunds_at(now_ms()).await
    }

    /// [`sweep_refunds`](Self::sweep_refunds) as if the clock read `now` (unix
    /// milliseconds): tests use it to let the sandbox bank's delay pass at once.
    pub async fn sweep_refunds_at(&self, now: i64) -> Result<usize, CoreError> {
        let due = self.store.due_refunds(now, 500).await?;
        let mut n = 0;
        for r in due {
            let Some(order) = self.store.get_order(&r.trans_id).await? else { continue };
            let before = r.status;
            if self.advance_refund(r, order.payment_method, now).await?.status != before {
                n += 1;
            }
        }
        Ok(n)
    }

    /// The refund ledger of an order: sums read only for a successful payment (no
    /// other can have refunds).
    pub async fn refund_ledger(&self, order: &Order) -> Result<Ledger, CoreError> {
        if order.state != State::Success {
            return Ok(Ledger { paid: order.amount, committed: 0, refunded: 0 });
        }
        let t = self.store.refund_totals(&order.trans_id).await?;
        Ok(Ledger { paid: order.amount, committed: t.committed, refunded: t.refunded })
    }

    /// A partner's refund by the partner's refundId.
    pub async fn find_refund(&self, partner_code: &str, refund_original_id: &str) -> Result<Option<Refund>, CoreError> {
        Ok(self.store.find_refund(partner_code, refund_original_id).await?)
    }

    /// A refund of `partner_code` by the gateway's refund id.
    pub async fn partner_refund(&self, partner_code: &str, refund_id: &str) -> Result<Option<Refund>, CoreError> {
        Ok(self.store.get_refund(refund_id).await?.filter(|r| r.partner_code == partner_code))
    }

    /// The refunds of a transaction, oldest first.
    pub async fn order_refunds(&self, trans_id: &str) -> Result<Vec<Refund>, CoreError> {
        Ok(self.store.order_refunds(trans_id).await?)
    }

    /// One page of a partner's refunds matching `filter`, newest first.
    pub async fn list_refunds(
        &self,
        partner_code: &str,
        filter: &RefundFilter,
        offset: u64,
        limit: u32,
    ) -> Result<RefundPage, CoreError> {
        Ok(self.store.list_refunds(partner_code, filter, offset, limit).await?)
    }
}

fn millis(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// A random gateway refund id, `RF` + 12 digits (the shape of an appotapayTransId
/// with its own prefix); uniqueness is the store's (a taken id is redrawn).
fn random_refund_id() -> String {
    let n = rand::thread_rng().gen_range(100_000_000_000..=appotapay_protocol::ids::MAX_TRANS_NUMBER);
    format!("RF{n:012}")
}
