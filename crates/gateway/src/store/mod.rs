//! Persistence behind per-resource ports, so that the rest of the gateway never knows
//! which database it runs on.
//!
//! The contract every implementation keeps, rule by rule on the port it belongs to
//! ([`ports`]):
//! - a write is acknowledged only once it is durable (committed);
//! - [`OrderStore::apply_change`] is a compare-and-set on the order's state, and
//!   writes the IPN outbox row in the same transaction as the final state;
//! - `(partner_code, order_id)` is unique; a duplicate is reported, not an error;
//! - outbox rows are claimed with a lease, so a crashed worker's rows come back;
//!   concurrent claimers never get the same row;
//! - an attempt's outcome moves its outbox row on only while it is the row's latest
//!   attempt, except a delivery, which always ends the row: a worker whose lease ran
//!   out never undoes a delivery nor overrides the attempt that took the row over;
//! - [`RefundStore::create_refund`] admits a refund and inserts it in one transaction,
//!   with every refund of the same order serialised (SQLite: the single writer; a
//!   server database: the order row locked `FOR UPDATE` first), so concurrent refunds
//!   can never together exceed the paid amount;
//! - [`RefundStore::update_refund`] is a compare-and-set on the refund's status;
//! - checkout progress lives here too, never in a node's memory, so that any node can
//!   serve a customer's next page;
//! - [`IdempotencyStore::claim_key`] gives a key to one request at a time, on any
//!   node; its answer, once recorded, is what every later claim of the key reads;
//! - [`MetaStore::claim_meta`] sets a key once: every handle on the database, on any
//!   node, reads back the value that was stored first.
//!
//! Two implementations: [`sqlite`] (one node, one file) and [`postgres`] (one
//! database shared by several nodes behind a load balancer). Each statement's SQL
//! text, its parameters and the decoding of its rows are written once, in [`sql`];
//! the backends hold only what the databases really differ in (threads, pools,
//! locking clauses, notifications). [`open`] picks one by the URL; the same test
//! suite runs against both.
//!
//! Callers import the ports with `use crate::store::prelude::*;`.

pub mod ports;
pub mod postgres;
pub mod sql;
pub mod sqlite;

pub use crate::domain::records::*;
pub use ports::*;

use std::sync::Arc;

/// The ports, for `use crate::store::prelude::*;`: a method of [`Store`] can only be
/// called with its port's trait in scope.
pub mod prelude {
    pub use super::ports::{
        CheckoutStore, ConsoleStore, IdempotencyStore, JwtIdStore, MetaStore, OrderStore, OutboxStore, PartnerStore,
        RefundStore, RequestLogStore, StatsStore, Store,
    };
}

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

/// Query parameters of a database URL that hold a password (libpq's `password` and
/// `sslpassword`).
const SECRET_PARAMETERS: &[&str] = &["password", "sslpassword"];

/// A database URL fit for logs, messages and `Debug`: the password of its userinfo and
/// the values of its `password=` and `sslpassword=` parameters replaced by `***`.
/// Text that does not parse as a URL is shown up to its query string only, as it may
/// still hold a password.
pub fn redact_url(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        return match url.split_once('?') {
            Some((base, _)) => format!("{base}?***"),
            None => url.to_owned(),
        };
    };
    if u.password().is_some() {
        let _ = u.set_password(Some("***"));
    }
    let secret = |k: &str| SECRET_PARAMETERS.iter().any(|s| k.eq_ignore_ascii_case(s));
    if u.query_pairs().any(|(k, _)| secret(&k)) {
        let pairs: Vec<(String, String)> = u
            .query_pairs()
            .map(|(k, v)| {
                let v = if secret(&k) { "***".to_owned() } else { v.into_owned() };
                (k.into_owned(), v)
            })
            .collect();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    u.to_string()
}

/// Opens the store named by a database URL: `postgres://…` / `postgresql://…`
/// (PostgreSQL), or `sqlite://path`, `sqlite:path`, a plain path (SQLite). Applies
/// the backend's migrations. A handle for administration and tools: it may run beside
/// the serving process (see [`open_serving`]).
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    open_with(url, sqlite::Access::Shared).await
}

/// [`open`] for the process that serves the database. On SQLite it holds the file for
/// this process alone, and fails if another serving store (of this process or
/// another) holds it; on PostgreSQL, which several nodes share, it is [`open`].
pub async fn open_serving(url: &str) -> StoreResult<Arc<dyn Store>> {
    open_with(url, sqlite::Access::Exclusive).await
}

async fn open_with(url: &str, access: sqlite::Access) -> StoreResult<Arc<dyn Store>> {
    if is_postgres_url(url) {
        return Ok(Arc::new(postgres::PgStore::open(url).await?));
    }
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let path = std::path::PathBuf::from(path);
    let store = sqlite::SqliteStore::open(&path, access).await?;
    Ok(Arc::new(store))
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
        assert_eq!(
            redact_url("postgres://gw@db/gw?sslmode=verify-full&password=hunter2&application_name=a"),
            "postgres://gw@db/gw?sslmode=verify-full&password=***&application_name=a"
        );
        assert_eq!(
            redact_url("postgresql://gw:pw@db/gw?sslpassword=k3y&PASSWORD=x"),
            "postgresql://gw:***@db/gw?sslpassword=***&PASSWORD=***"
        );
        assert_eq!(redact_url("postgres://db/gw?sslmode=require"), "postgres://db/gw?sslmode=require");
        // Not a URL: nothing after `?` is shown.
        assert_eq!(redact_url("db?password=hunter2"), "db?***");
        for url in ["postgres://u:s3cret@db/gw?password=s3cret", "postgres://db/gw?sslpassword=s3cret%21"] {
            assert!(!redact_url(url).contains("s3cret"), "{url}");
        }
        assert!(is_postgres_url("postgresql://db/gw") && is_postgres_url("postgres://db/gw"));
        assert!(!is_postgres_url("sqlite://postgres.db"));
    }
}
