//! PostgreSQL backend: one database shared by every gateway node.
//!
//! Several nodes behind a load balancer act as one gateway because every rule that
//! must hold across them is kept by the database, not by a node:
//! - `(partner_code, order_id)` is a unique constraint, so concurrent creations of
//!   one order id on different nodes race on the index and exactly one wins;
//! - [`OrderStore::apply_change`](crate::store::OrderStore::apply_change) is a
//!   compare-and-set (`UPDATE … WHERE state = $from`): under READ COMMITTED a
//!   second concurrent update of the row waits for the first, re-reads it, no
//!   longer matches and changes nothing, so one settlement wins;
//! - outbox rows are claimed with `FOR UPDATE SKIP LOCKED` and a lease
//!   (`locked_until_ms`): concurrent claimers never get the same row, and the rows of
//!   a node that died are claimed again by another once the lease has run out;
//! - queuing an IPN sends `NOTIFY appotapay_outbox` in the same transaction; every
//!   node `LISTEN`s and wakes its worker (polling stays as the fallback, so a lost
//!   notification only delays a delivery; see `listen`).
//!
//! Leases are not released at start (see
//! [`OutboxStore::release_leases`](crate::store::OutboxStore::release_leases)): another
//! node may be delivering them right now.
//!
//! Migrations are embedded and applied by sqlx's migrator, which holds a PostgreSQL
//! advisory lock while it runs, so nodes starting at once apply them exactly once.
//!
//! New orders are inserted in batches, one statement and one commit for all the
//! orders waiting at once (group commit), by writers on a thread of their own
//! (see `batch`).
//!
//! The URL is a libpq-style `postgres://user:password@host:port/database?sslmode=…`;
//! the gateway's own `max_connections=N` parameter sizes the pool of this node
//! (default [`DEFAULT_MAX_CONNECTIONS`]); outside the pool, the IPN leases take one
//! more connection (`Lease`) and the order writers one each (`batch`).
//!
//! PostgreSQL text cannot hold NUL: a lookup by a key holding one finds nothing
//! (`impossible_key`), and text from outside is stored with NUL replaced
//! (`storable`). The statements are those of [`crate::store::sql`]; `ports` runs
//! them, adding the clauses only PostgreSQL has (the bank feeds' credits in
//! `credits`, the sandbox's test kit and request log in `sandbox`, the console's in
//! `console` and `stats`).

mod batch;
mod console;
mod credits;
mod listen;
mod ports;
mod sandbox;
mod stats;

pub use listen::OUTBOX_CHANNEL;

use crate::store::sql::params::bind_all;
use crate::store::sql::{Sql, Value};
use crate::store::{StoreError, StoreResult};
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection, PgExecutor};
use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The migrations, embedded: `(version, description, SQL)`.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../../../migrations/postgres/0001_init.sql")),
    (2, "checkout", include_str!("../../../migrations/postgres/0002_checkout.sql")),
    (3, "refunds", include_str!("../../../migrations/postgres/0003_refunds.sql")),
    (4, "jwt_ids", include_str!("../../../migrations/postgres/0004_jwt_ids.sql")),
    (5, "meta", include_str!("../../../migrations/postgres/0005_meta.sql")),
    (6, "key_rotation", include_str!("../../../migrations/postgres/0006_key_rotation.sql")),
    (7, "idempotency", include_str!("../../../migrations/postgres/0007_idempotency.sql")),
    (8, "bank_feeds", include_str!("../../../migrations/postgres/0008_bank_feeds.sql")),
    (9, "request_log", include_str!("../../../migrations/postgres/0009_request_log.sql")),
    (10, "test_kit", include_str!("../../../migrations/postgres/0010_test_kit.sql")),
    (11, "api_versions", include_str!("../../../migrations/postgres/0011_api_versions.sql")),
    (12, "console", include_str!("../../../migrations/postgres/0012_console.sql")),
    (13, "console_stats", include_str!("../../../migrations/postgres/0013_console_stats.sql")),
    (14, "request_log_counts", include_str!("../../../migrations/postgres/0014_request_log_counts.sql")),
];

/// Pool size of a node unless the URL says `max_connections=N`.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

/// The embedded migrations as sqlx's migrator takes them.
#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Vec<Migration>, sqlx::error::BoxDynError>> + Send + 'static>,
    > {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The PostgreSQL store.
pub struct PgStore {
    pool: PgPool,
    /// New orders, inserted in batches (group commit; see `batch`).
    orders: batch::OrderWriter,
    signal: Arc<Notify>,
    listener: tokio::task::JoinHandle<()>,
    /// The connection IPN leases are taken on (see [`Lease`]).
    lease: Lease,
}

/// A connection of its own for the IPN worker's leases, outside the pool, whose
/// session commits without waiting for the WAL flush.
///
/// Why: a lease need not survive a database crash (lost, its rows are claimed again
/// once it would have run out, and delivered again: IPNs are at least once), so its
/// commit need not wait for the flush. Taken from the pool, that took a health
/// check, `BEGIN`, `SET LOCAL synchronous_commit = off`, the claim and `COMMIT`:
/// five round trips, each waiting its turn among the requests of a busy node, on
/// every IPN's path. Here it is the claim alone, one statement in autocommit.
pub(super) struct Lease {
    conn: tokio::sync::Mutex<Dedicated>,
}

impl Lease {
    fn new(options: PgConnectOptions) -> Lease {
        Lease { conn: tokio::sync::Mutex::new(Dedicated::new(options, Some("SET synchronous_commit = off"))) }
    }

    /// Runs `sql` on the lease connection; its rows, decoded.
    pub(super) async fn all<T>(
        &self,
        sql: &str,
        args: &[Value<'_>],
        decode: impl Fn(&PgRow) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let mut conn = self.conn.lock().await;
        // A connection ended while idle (a server restart, a proxy's idle timeout)
        // fails the first statement: it is opened again and the claim retried once.
        match conn.all(sql, args, &decode).await {
            Ok(rows) => Ok(rows),
            Err(_) => conn.all(sql, args, &decode).await,
        }
    }
}

/// A connection outside the pool, for one task's hot path: opened on first use,
/// and again after an error that may have ended it.
///
/// Why not the pool: sqlx checks every connection as it is given back (a round trip
/// that cannot be turned off), and on a busy node every acquire and release waits
/// its turn among the requests.
pub(super) struct Dedicated {
    options: PgConnectOptions,
    /// Run once on each new connection (a session setting).
    setup: Option<&'static str>,
    conn: Option<sqlx::PgConnection>,
}

impl Dedicated {
    pub(super) fn new(options: PgConnectOptions, setup: Option<&'static str>) -> Dedicated {
        Dedicated { options, setup, conn: None }
    }

    /// The connection, opened when there is none.
    pub(super) async fn get(&mut self) -> StoreResult<&mut sqlx::PgConnection> {
        if self.conn.is_none() {
            let mut conn = sqlx::PgConnection::connect_with(&self.options).await?;
            if let Some(setup) = self.setup {
                execute(&mut conn, setup, &[]).await?;
            }
            self.conn = Some(conn);
        }
        self.conn.as_mut().ok_or_else(|| StoreError::Database("no dedicated connection".into()))
    }

    /// After `e`: drops the connection unless the server refused the statement alone
    /// (severity `ERROR`: the session is still sound). A terminated backend answers
    /// `FATAL` before it closes; anything else (I/O, TLS, protocol) may have ended it.
    pub(super) fn after(&mut self, e: &sqlx::Error) {
        let statement_only = e
            .as_database_error()
            .and_then(|d| d.try_downcast_ref::<sqlx::postgres::PgDatabaseError>())
            .is_some_and(|d| d.severity() == sqlx::postgres::PgSeverity::Error);
        if !statement_only {
            self.conn = None;
        }
    }

    /// Runs `sql`; its rows, decoded.
    async fn all<T>(
        &mut self,
        sql: &str,
        args: &[Value<'_>],
        decode: impl Fn(&PgRow) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let conn = self.get().await?;
        match bind_all(sqlx::query(sql), args).fetch_all(&mut *conn).await {
            Ok(rows) => rows.iter().map(decode).collect(),
            Err(e) => {
                self.after(&e);
                Err(e.into())
            }
        }
    }

    /// The first row of `sql`, decoded.
    pub(super) async fn first<T>(
        &mut self,
        sql: &str,
        args: &[Value<'_>],
        decode: impl FnOnce(&PgRow) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        let conn = self.get().await?;
        match bind_all(sqlx::query(sql), args).fetch_optional(&mut *conn).await {
            Ok(row) => row.as_ref().map(decode).transpose(),
            Err(e) => {
                self.after(&e);
                Err(e.into())
            }
        }
    }

    /// Runs `sql`; the number of rows changed.
    pub(super) async fn execute(&mut self, sql: &str, args: &[Value<'_>]) -> StoreResult<u64> {
        let conn = self.get().await?;
        match bind_all(sqlx::query(sql), args).execute(&mut *conn).await {
            Ok(done) => Ok(done.rows_affected()),
            Err(e) => {
                self.after(&e);
                Err(e.into())
            }
        }
    }
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgStore")
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        StoreError::Database(e.to_string())
    }
}

/// PostgreSQL text cannot hold NUL: no stored key contains one, so a lookup by such
/// a key finds nothing (rather than failing).
fn impossible_key(keys: &[&str]) -> bool {
    keys.iter().any(|k| k.contains('\0'))
}

/// Text that comes from outside (a merchant's answer) with NUL replaced, as
/// PostgreSQL text cannot hold it.
fn storable(s: &str) -> Cow<'_, str> {
    if s.contains('\0') { Cow::Owned(s.replace('\0', "\u{FFFD}")) } else { Cow::Borrowed(s) }
}

/// A text parameter made [`storable`].
fn storable_value<'a>(v: &Value<'a>) -> Value<'a> {
    match v {
        Value::Text(Some(s)) if s.contains('\0') => Value::Text(Some(Cow::Owned(storable(s).into_owned()))),
        other => other.clone(),
    }
}

/// A pooled connection idle for this long is checked (one round trip) before it is
/// handed out; one used more recently is handed out as it is.
///
/// Why not check every time, as the driver does by default: sqlx also checks each
/// connection as it is given back, so a checked acquire made every statement three
/// round trips. On a busy node each wait is a wake-up on both sides, and on two shared
/// cores that cost create + settle pairs about 15 % of their throughput (BENCHMARKS.md).
/// What the check is for is a connection the server ended while it sat in the pool (a
/// restart, a failover, a proxy's idle timeout): it has then been idle for longer
/// than this. The one left is a connection ended within the last second. The
/// statement on it fails once (HTTP 500, errorCode 500, as during the outage itself),
/// and the check as it is given back drops it.
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(1);

/// Splits the gateway's own parameters off a database URL.
fn split_url(url: &str) -> StoreResult<(String, u32)> {
    let mut parsed = url::Url::parse(url).map_err(|e| StoreError::Database(format!("invalid database URL: {e}")))?;
    let mut max = DEFAULT_MAX_CONNECTIONS;
    let mut kept: Vec<(String, String)> = Vec::new();
    for (k, v) in parsed.query_pairs() {
        if k == "max_connections" {
            max = v
                .parse::<u32>()
                .ok()
                .filter(|n| *n >= 2)
                .ok_or_else(|| StoreError::Database(format!("max_connections must be a number >= 2, not {v:?}")))?;
        } else {
            kept.push((k.into_owned(), v.into_owned()));
        }
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok((parsed.to_string(), max))
}

impl PgStore {
    /// Connects, applies the embedded migrations (under sqlx's advisory lock, so
    /// several nodes may start at once) and starts listening for queued IPNs.
    pub async fn open(url: &str) -> StoreResult<PgStore> {
        let (url, max_connections) = split_url(url)?;
        let mut options = PgConnectOptions::from_str(&url)?;
        if options.get_application_name().is_none() {
            options = options.application_name("appotapay-gateway");
        }
        // Migrate on a connection of its own, closed afterwards: the advisory lock
        // is per session, so it can never stay behind in the pool.
        let mut conn = sqlx::PgConnection::connect_with(&options).await?;
        let migrator = Migrator::new(Embedded).await.map_err(|e| StoreError::Database(e.to_string()))?;
        // `run_direct` rather than `run`: the same, with a future that is `Send` for
        // every lifetime (so `open` can run in a spawned task).
        migrator.run_direct(&mut conn).await.map_err(|e| StoreError::Database(format!("migrations: {e}")))?;
        conn.close().await?;

        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(10))
            .idle_timeout(Duration::from_secs(300))
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for < CHECK_IDLE_AFTER {
                        return Ok(true);
                    }
                    Ok(sqlx::Connection::ping(conn).await.is_ok())
                })
            })
            .connect_with(options.clone())
            .await?;
        let signal = Arc::new(Notify::new());
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.listen(OUTBOX_CHANNEL).await?;
        let listener = tokio::spawn(listen::listen(listener, signal.clone()));
        let orders = batch::OrderWriter::start(options.clone())?;
        let lease = Lease::new(options);
        Ok(PgStore { pool, orders, signal, listener, lease })
    }
}

/// Runs a statement; returns the number of rows changed.
async fn execute<'c, 'q>(e: impl PgExecutor<'c>, sql: &'q str, args: &'q [Value<'_>]) -> StoreResult<u64> {
    Ok(bind_all(sqlx::query(sql), args).execute(e).await?.rows_affected())
}

/// The first row of a statement, decoded.
async fn first<'c, 'q, T>(
    e: impl PgExecutor<'c>,
    sql: &'q str,
    args: &'q [Value<'_>],
    decode: impl FnOnce(&PgRow) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    bind_all(sqlx::query(sql), args).fetch_optional(e).await?.as_ref().map(decode).transpose()
}

/// Every row of a statement, decoded.
async fn all<'c, 'q, T>(
    e: impl PgExecutor<'c>,
    sql: &'q str,
    args: &'q [Value<'_>],
    decode: impl Fn(&PgRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    bind_all(sqlx::query(sql), args).fetch_all(e).await?.iter().map(decode).collect()
}

/// Whether a statement returns a row.
async fn exists<'c, 'q>(e: impl PgExecutor<'c>, sql: &'q Sql, args: &'q [Value<'_>]) -> StoreResult<bool> {
    Ok(bind_all(sqlx::query(sql.postgres()), args).fetch_optional(e).await?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_parameters_are_split_off() {
        let (url, max) = split_url("postgres://u:p%40ss@db:5432/gw?sslmode=require&max_connections=24").expect("ok");
        assert_eq!(max, 24);
        assert_eq!(url, "postgres://u:p%40ss@db:5432/gw?sslmode=require");
        let (url, max) = split_url("postgres://u@db/gw?max_connections=4").expect("ok");
        assert_eq!((url.as_str(), max), ("postgres://u@db/gw", 4));
        let (_, max) = split_url("postgresql://db/gw").expect("ok");
        assert_eq!(max, DEFAULT_MAX_CONNECTIONS);
        assert!(split_url("postgres://db/gw?max_connections=1").is_err());
        assert!(split_url("postgres://db/gw?max_connections=many").is_err());
    }

    #[test]
    fn nul_is_never_stored_nor_looked_up() {
        assert!(impossible_key(&["ok", "a\0b"]));
        assert!(!impossible_key(&["ok", "fine"]));
        assert_eq!(storable("a\0b"), "a\u{FFFD}b");
        assert!(matches!(storable("plain"), Cow::Borrowed("plain")));
        assert_eq!(storable_value(&Value::from("a\0b")), Value::from("a\u{FFFD}b"));
    }
}
