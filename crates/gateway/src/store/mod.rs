//! Persistence behind one trait, so that the rest of the gateway never knows which
//! database it runs on.
//!
//! The contract every implementation keeps:
//! - a write is acknowledged only once it is durable (committed);
//! - [`Store::apply_change`] is a compare-and-set on the order's state, and writes the
//!   IPN outbox row in the same transaction as the final state;
//! - `(partner_code, order_id)` is unique; a duplicate is reported, not an error;
//! - outbox rows are claimed with a lease, so a crashed worker's rows come back;
//! - checkout progress lives here too, never in a node's memory, so that any node can
//!   serve a customer's next page.

pub mod model;
pub mod sqlite;

pub use model::*;

use async_trait::async_trait;

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

/// Opens the store named by a database URL (`sqlite://path`, `sqlite:path`, a plain
/// path).
pub async fn open(url: &str) -> StoreResult<std::sync::Arc<dyn Store>> {
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Err(StoreError::Database("this build has no PostgreSQL backend".into()));
    }
    let store = sqlite::SqliteStore::open(std::path::Path::new(path)).await?;
    Ok(std::sync::Arc::new(store))
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
    /// Releases every lease (a single-node store on start: nothing else holds one).
    async fn release_leases(&self) -> StoreResult<()>;
    /// The outbox rows of a transaction with their attempts, oldest first.
    async fn deliveries(&self, trans_id: &str) -> StoreResult<Vec<Delivery>>;

    /// The checkout progress of an order, if the customer started.
    async fn get_checkout(&self, trans_id: &str) -> StoreResult<Option<Checkout>>;
    /// Writes the whole checkout row of an order (insert or replace).
    async fn put_checkout(&self, checkout: &Checkout) -> StoreResult<()>;
    /// Counts one more wrong OTP, atomically; returns the new count (0 when the order
    /// has no checkout row).
    async fn add_wrong_otp(&self, trans_id: &str, now_ms: i64) -> StoreResult<u32>;
    /// Checkout rows whose processing payment is due at or before `now_ms` and whose
    /// order is still processing.
    async fn due_processing(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Checkout>>;
}
