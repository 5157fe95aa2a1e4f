//! Persistence behind one trait, so that the rest of the gateway never knows which
//! database it runs on.
//!
//! The contract every implementation keeps:
//! - a write is acknowledged only once it is durable (committed);
//! - [`Store::apply_change`] is a compare-and-set on the order's state, and writes the
//!   IPN outbox row in the same transaction as the final state;
//! - `(partner_code, order_id)` is unique; a duplicate is reported, not an error;
//! - outbox rows are claimed with a lease, so a crashed worker's rows come back;
//!   concurrent claimers never get the same row;
//! - an attempt's outcome moves its outbox row on only while it is the row's latest
//!   attempt, except a delivery, which always ends the row: a worker whose lease ran
//!   out never undoes a delivery nor overrides the attempt that took the row over;
//! - [`Store::create_refund`] admits a refund and inserts it in one transaction, with
//!   every refund of the same order serialised (SQLite: the single writer; a server
//!   database: the order row locked `FOR UPDATE` first), so concurrent refunds can
//!   never together exceed the paid amount;
//! - [`Store::update_refund`] is a compare-and-set on the refund's status.
//! - checkout progress lives here too, never in a node's memory, so that any node can
//!   serve a customer's next page.
//!
//! Two implementations: [`sqlite`] (one node, one file) and [`postgres`] (one
//! database shared by several nodes behind a load balancer). [`open`] picks one by the
//! URL; the same test suite runs against both.

pub mod model;
pub mod postgres;
pub mod sqlite;

pub use model::*;

use async_trait::async_trait;
use std::sync::Arc;
use tokio::sync::Notify;

/// A storage failure. Never shown to API clients beyond "system error".
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database answered with an error.
    #[error("database error: {0}")]
    Database(String),
    /// The store has shut down.
    #[error("the store is closed")]
    Closed,
    /// A stored row does not decode.
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Whether a database URL names PostgreSQL (`postgres://…`, `postgresql://…`).
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// A database URL fit for logs and messages: its password replaced by `***`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Opens the store named by a database URL: `postgres://…` / `postgresql://…`
/// (PostgreSQL), or `sqlite://path`, `sqlite:path`, a plain path (SQLite). Applies
/// the backend's migrations.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    if is_postgres_url(url) {
        return Ok(Arc::new(postgres::PgStore::open(url).await?));
    }
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let path = std::path::PathBuf::from(path);
    let store = sqlite::SqliteStore::open(&path).await?;
    Ok(Arc::new(store))
}

/// The gateway's persistence.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers when the database does.
    async fn ping(&self) -> StoreResult<()>;

    /// Inserts a partner; `false` if the code exists.
    async fn insert_partner(&self, partner: &PartnerRecord) -> StoreResult<bool>;
    /// A partner by code.
    async fn get_partner(&self, code: &str) -> StoreResult<Option<PartnerRecord>>;
    /// Every partner, by code.
    async fn list_partners(&self) -> StoreResult<Vec<PartnerRecord>>;
    /// Locks or unlocks a partner; `false` if unknown.
    async fn set_partner_locked(&self, code: &str, locked: bool) -> StoreResult<bool>;
    /// Inserts a sub-account; `false` if the partner is unknown.
    async fn insert_sub_account(&self, sub: &SubAccount) -> StoreResult<bool>;
    /// A sub-account by id.
    async fn get_sub_account(&self, id: &str) -> StoreResult<Option<SubAccount>>;

    /// Inserts an order.
    async fn create_order(&self, order: &Order) -> StoreResult<CreateOutcome>;
    /// An order by appotapayTransId.
    async fn get_order(&self, trans_id: &str) -> StoreResult<Option<Order>>;
    /// An order by the partner's order id.
    async fn find_order(&self, partner_code: &str, order_id: &str) -> StoreResult<Option<Order>>;
    /// Applies a state change if the order is still in `change.from`; writes the
    /// outbox row in the same transaction. `false` if the order had moved on.
    async fn apply_change(&self, change: &StateChange) -> StoreResult<bool>;
    /// Pending orders whose lifetime ended at or before `now_ms`.
    async fn overdue_orders(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Order>>;

    /// Claims due outbox rows, leasing them until `lease_until_ms`, and counts the
    /// attempt being made.
    async fn claim_outbox(&self, now_ms: i64, lease_until_ms: i64, limit: u32) -> StoreResult<Vec<OutboxItem>>;
    /// Records an attempt and what happens next to its row.
    async fn finish_attempt(&self, attempt: &AttemptRecord, next: NextStep) -> StoreResult<()>;
    /// When the earliest pending outbox row is due.
    async fn next_outbox_due(&self) -> StoreResult<Option<i64>>;
    /// Number of outbox rows not yet delivered or given up.
    async fn outbox_depth(&self) -> StoreResult<i64>;
    /// Called once at start: releases the leases a previous run of this node left.
    /// A single-node store releases every lease (nothing else can hold one); a store
    /// shared by several nodes releases none, since a lease may belong to a node
    /// that is delivering right now (a dead node's leases simply run out).
    async fn release_leases(&self) -> StoreResult<()>;
    /// The outbox rows of a transaction with their attempts, oldest first.
    async fn deliveries(&self, trans_id: &str) -> StoreResult<Vec<Delivery>>;

    /// Admits and inserts a refund atomically: the order must exist and belong to
    /// `refund.partner_code` (else 36), the partner's refundId must be new (31), then
    /// [`crate::payments::refund::admit`] decides against the order's state and the
    /// committed sum of its refunds, read in the same transaction as the insert, with
    /// the order row locked so that refunds of one order are serialised.
    async fn create_refund(&self, refund: &Refund, min_amount: i64) -> StoreResult<RefundCreate>;
    /// Applies a status change if the refund is still in `change.from`; `false` if it
    /// had moved on.
    async fn update_refund(&self, change: &RefundChange) -> StoreResult<bool>;
    /// A refund by the gateway's refund id.
    async fn get_refund(&self, refund_id: &str) -> StoreResult<Option<Refund>>;
    /// A refund by the partner's refundId.
    async fn find_refund(&self, partner_code: &str, refund_original_id: &str) -> StoreResult<Option<Refund>>;
    /// The refunds of a transaction, oldest first.
    async fn order_refunds(&self, trans_id: &str) -> StoreResult<Vec<Refund>>;
    /// The sums of a transaction's refunds.
    async fn refund_totals(&self, trans_id: &str) -> StoreResult<RefundTotals>;
    /// One page (`offset`, `limit`) of a partner's refunds matching `filter`, newest
    /// first, with the count and sum of every match.
    async fn list_refunds(
        &self,
        partner_code: &str,
        filter: &RefundFilter,
        offset: u64,
        limit: u32,
    ) -> StoreResult<RefundPage>;
    /// Pending and processing refunds whose next step is due at `now_ms`, earliest first.
    async fn due_refunds(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Refund>>;
    /// The checkout progress of an order, if the customer started.
    async fn get_checkout(&self, trans_id: &str) -> StoreResult<Option<Checkout>>;
    /// Writes the checkout row of an order (insert or replace), all but its count of
    /// wrong OTPs: that belongs to the transaction, whatever card is tried, and only
    /// [`Store::add_wrong_otp`] raises it.
    async fn put_checkout(&self, checkout: &Checkout) -> StoreResult<()>;
    /// Records that a partner's JWT id was used, until `expires_at_ms`: `true` the
    /// first time, `false` while an earlier use is on record (a replay). An id whose
    /// record has expired counts as new.
    async fn claim_jti(&self, partner_code: &str, jti: &str, expires_at_ms: i64, now_ms: i64) -> StoreResult<bool>;
    /// Forgets the JWT ids that expired before `now_ms`; returns how many.
    async fn prune_jtis(&self, now_ms: i64) -> StoreResult<u64>;
    /// Counts one more wrong OTP, atomically; returns the new count (0 when the order
    /// has no checkout row).
    async fn add_wrong_otp(&self, trans_id: &str, now_ms: i64) -> StoreResult<u32>;
    /// Checkout rows whose processing payment is due at or before `now_ms` and whose
    /// order is still processing.
    async fn due_processing(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Checkout>>;
    /// A signal fired whenever any node queues an IPN, for stores that other
    /// processes write to (PostgreSQL `LISTEN`). `None` when only this process
    /// writes: it wakes its own worker. The gateway's worker waits on it.
    fn outbox_signal(&self) -> Option<Arc<Notify>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted_for_display() {
        assert_eq!(
            redact_url("postgres://gw:s3cr%40t@db:5432/gw?sslmode=require"),
            "postgres://gw:***@db:5432/gw?sslmode=require"
        );
        assert_eq!(redact_url("postgres://gw@db/gw"), "postgres://gw@db/gw");
        assert_eq!(redact_url("sqlite://data/gateway.db"), "sqlite://data/gateway.db");
        assert!(is_postgres_url("postgresql://db/gw") && is_postgres_url("postgres://db/gw"));
        assert!(!is_postgres_url("sqlite://postgres.db"));
    }
}
