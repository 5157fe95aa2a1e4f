//! PostgreSQL backend: one database shared by every gateway node.
//!
//! Several nodes behind a load balancer act as one gateway because every rule that
//! must hold across them is kept by the database, not by a node:
//! - `(partner_code, order_id)` is a unique constraint, so concurrent creations of
//!   one order id on different nodes race on the index and exactly one wins;
//! - [`Store::apply_change`] is a compare-and-set (`UPDATE … WHERE state = $from`):
//!   under READ COMMITTED a second concurrent update of the row waits for the first,
//!   re-reads it, no longer matches and changes nothing, so one settlement wins;
//! - outbox rows are claimed with `FOR UPDATE SKIP LOCKED` and a lease
//!   (`locked_until_ms`): concurrent claimers never get the same row, and the rows of
//!   a node that died are claimed again by another once the lease has run out;
//! - queuing an IPN sends `NOTIFY appotapay_outbox` in the same transaction; every
//!   node `LISTEN`s and wakes its worker (polling stays as the fallback, so a lost
//!   notification only delays a delivery).
//!
//! Leases are not released at start (see [`Store::release_leases`]): another node may
//! be delivering them right now.
//!
//! Migrations are embedded and applied by sqlx's migrator, which holds a PostgreSQL
//! advisory lock while it runs, so nodes starting at once apply them exactly once.
//!
//! The URL is a libpq-style `postgres://user:password@host:port/database?sslmode=…`;
//! the gateway's own `max_connections=N` parameter sizes the pool of this node
//! (default [`DEFAULT_MAX_CONNECTIONS`]).

use super::*;
use crate::payments::State;
use crate::payments::refund::{self, Ledger, Refusal};
use appotapay_protocol::ErrorCode;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection, Row};
use std::borrow::Cow;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The migrations, embedded: `(version, description, SQL)`.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "init", include_str!("../../migrations/postgres/0001_init.sql")),
    (2, "checkout", include_str!("../../migrations/postgres/0002_checkout.sql")),
    (3, "refunds", include_str!("../../migrations/postgres/0003_refunds.sql")),
    (4, "jwt_ids", include_str!("../../migrations/postgres/0004_jwt_ids.sql")),
];

/// The channel an IPN being queued is announced on.
pub const OUTBOX_CHANNEL: &str = "appotapay_outbox";

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
    signal: Arc<Notify>,
    listener: tokio::task::JoinHandle<()>,
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

fn db_err(e: sqlx::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("bad {what}"))
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
        let mut options = PgConnectOptions::from_str(&url).map_err(db_err)?;
        if options.get_application_name().is_none() {
            options = options.application_name("appotapay-gateway");
        }
        // Migrate on a connection of its own, closed afterwards: the advisory lock
        // is per session, so it can never stay behind in the pool.
        let mut conn = sqlx::PgConnection::connect_with(&options).await.map_err(db_err)?;
        let migrator = Migrator::new(Embedded).await.map_err(|e| StoreError::Database(e.to_string()))?;
        // `run_direct` rather than `run`: the same, with a future that is `Send` for
        // every lifetime (so `open` can run in a spawned task).
        migrator.run_direct(&mut conn).await.map_err(|e| StoreError::Database(format!("migrations: {e}")))?;
        conn.close().await.map_err(db_err)?;

        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(10))
            .idle_timeout(Duration::from_secs(300))
            .connect_with(options)
            .await
            .map_err(db_err)?;
        let signal = Arc::new(Notify::new());
        let mut listener = PgListener::connect_with(&pool).await.map_err(db_err)?;
        listener.listen(OUTBOX_CHANNEL).await.map_err(db_err)?;
        let listener = tokio::spawn(listen(listener, signal.clone()));
        Ok(PgStore { pool, signal, listener })
    }
}

/// Wakes the local worker whenever any node queues an IPN. A lost connection is
/// re-established by the listener; notifications sent meanwhile are lost, so the
/// worker is woken once after a reconnection to look for itself.
async fn listen(mut listener: PgListener, signal: Arc<Notify>) {
    loop {
        match listener.try_recv().await {
            Ok(Some(_)) => signal.notify_one(),
            Ok(None) => {
                tracing::warn!("the LISTEN connection to PostgreSQL was lost; reconnecting");
                signal.notify_one();
            }
            Err(sqlx::Error::PoolClosed) => return,
            Err(e) => {
                tracing::warn!(error = %e, "LISTEN on PostgreSQL failed; IPN workers poll until it is back");
                tokio::time::sleep(Duration::from_secs(1)).await;
                signal.notify_one();
            }
        }
    }
}

const ORDER_COLUMNS: &str = "trans_id, partner_code, order_id, kind, payment_method, bank_code, amount, order_info, \
    client_ip, notify_url, redirect_url, extra_data, sub_account, state, error_code, card_number, card_date, \
    card_name, card_country, qr_payload, created_at_ms, expires_at_ms, updated_at_ms, settled_at_ms";

const PARTNER_COLUMNS: &str =
    "code, name, api_key, secret_enc, locked, notify_failures, amount_min, amount_max, created_at_ms";

const REFUND_COLUMNS: &str = "r.refund_id, r.partner_code, r.refund_original_id, r.trans_id, r.amount, r.reason, \
    r.status, r.created_at_ms, r.updated_at_ms, r.due_at_ms";

fn refund_from_row(r: &PgRow) -> StoreResult<Refund> {
    let get_err = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
    let status: String = r.try_get(6).map_err(get_err)?;
    Ok(Refund {
        refund_id: r.try_get(0).map_err(get_err)?,
        partner_code: r.try_get(1).map_err(get_err)?,
        refund_original_id: r.try_get(2).map_err(get_err)?,
        trans_id: r.try_get(3).map_err(get_err)?,
        amount: r.try_get(4).map_err(get_err)?,
        reason: r.try_get(5).map_err(get_err)?,
        status: refund::RefundStatus::parse(&status).ok_or_else(|| corrupt("refund status"))?,
        created_at_ms: r.try_get(7).map_err(get_err)?,
        updated_at_ms: r.try_get(8).map_err(get_err)?,
        due_at_ms: r.try_get(9).map_err(get_err)?,
    })
}

/// Sums of a transaction's refunds: not in error (committed), in success (refunded).
/// `SUM(bigint)` is `numeric` in PostgreSQL: cast back.
const REFUND_TOTALS_SQL: &str = "SELECT COALESCE(SUM(CASE WHEN status <> 'error' THEN amount ELSE 0 END), 0)::BIGINT, \
     COALESCE(SUM(CASE WHEN status = 'success' THEN amount ELSE 0 END), 0)::BIGINT FROM refunds WHERE trans_id = $1";

async fn refund_totals_on<'e, E: sqlx::PgExecutor<'e>>(e: E, trans_id: &str) -> StoreResult<RefundTotals> {
    let row = sqlx::query(REFUND_TOTALS_SQL).bind(trans_id).fetch_one(e).await.map_err(db_err)?;
    let get_err = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
    Ok(RefundTotals { committed: row.try_get(0).map_err(get_err)?, refunded: row.try_get(1).map_err(get_err)? })
}

/// Appends the WHERE clause of a refund list (`r` = refunds, `o` = orders).
fn push_refund_filter(q: &mut sqlx::QueryBuilder<'_, sqlx::Postgres>, partner_code: &str, f: &RefundFilter) {
    q.push(" WHERE r.partner_code = ").push_bind(partner_code.to_owned());
    if let Some(v) = &f.trans_id {
        q.push(" AND r.trans_id = ").push_bind(v.clone());
    }
    if let Some(v) = &f.order_id {
        q.push(" AND o.order_id = ").push_bind(v.clone());
    }
    if let Some(v) = &f.refund_id {
        q.push(" AND r.refund_id = ").push_bind(v.clone());
    }
    if let Some(v) = &f.refund_original_id {
        q.push(" AND r.refund_original_id = ").push_bind(v.clone());
    }
    if let Some(v) = f.status {
        q.push(" AND r.status = ").push_bind(v.as_str());
    }
    if let Some(v) = f.amount {
        q.push(" AND r.amount = ").push_bind(v);
    }
    if let Some(v) = f.created_from_ms {
        q.push(" AND r.created_at_ms >= ").push_bind(v);
    }
    if let Some(v) = f.created_to_ms {
        q.push(" AND r.created_at_ms <= ").push_bind(v);
    }
    if let Some(t) = f.refund_type {
        // An order is "total" once its successful refunds add up to the paid amount.
        let op = match t {
            crate::payments::refund::RefundType::Total => ">=",
            crate::payments::refund::RefundType::Partial => "<",
        };
        q.push(format!(
            " AND (SELECT COALESCE(SUM(x.amount), 0) FROM refunds x WHERE x.trans_id = r.trans_id \
              AND x.status = 'success') {op} o.amount"
        ));
    }
}

const CHECKOUT_COLUMNS: &str = "c.trans_id, c.method, c.bank_code, c.card_number, c.card_date, c.card_name, \
    c.card_country, c.card_bank, c.card_outcome, c.otp_failures, c.process_due_ms, c.updated_at_ms";

fn checkout_from_row(r: &PgRow) -> StoreResult<Checkout> {
    let get_err = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
    let card_number: Option<String> = r.try_get(3).map_err(get_err)?;
    let card = match card_number {
        Some(number_masked) => {
            let outcome: Option<i32> = r.try_get(8).map_err(get_err)?;
            Some(PendingCard {
                card: CardRecord {
                    number_masked,
                    date: r.try_get::<Option<String>, _>(4).map_err(get_err)?.unwrap_or_default(),
                    name: r.try_get::<Option<String>, _>(5).map_err(get_err)?.unwrap_or_default(),
                    country: r.try_get::<Option<String>, _>(6).map_err(get_err)?.unwrap_or_default(),
                },
                bank_code: r.try_get::<Option<String>, _>(7).map_err(get_err)?.unwrap_or_default(),
                outcome: ErrorCode(outcome.and_then(|c| u32::try_from(c).ok()).ok_or_else(|| corrupt("card_outcome"))?),
            })
        }
        None => None,
    };
    let failures: i32 = r.try_get(9).map_err(get_err)?;
    Ok(Checkout {
        trans_id: r.try_get(0).map_err(get_err)?,
        method: r.try_get(1).map_err(get_err)?,
        bank_code: r.try_get(2).map_err(get_err)?,
        card,
        otp_failures: u32::try_from(failures).map_err(|_| corrupt("otp_failures"))?,
        process_due_ms: r.try_get(10).map_err(get_err)?,
        updated_at_ms: r.try_get(11).map_err(get_err)?,
    })
}

fn order_from_row(r: &PgRow) -> StoreResult<Order> {
    let get_err = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
    let kind: String = r.try_get(3).map_err(get_err)?;
    let state: String = r.try_get(13).map_err(get_err)?;
    let code: i32 = r.try_get(14).map_err(get_err)?;
    let card_number: Option<String> = r.try_get(15).map_err(get_err)?;
    let card = match card_number {
        Some(number_masked) => Some(CardRecord {
            number_masked,
            date: r.try_get::<Option<String>, _>(16).map_err(get_err)?.unwrap_or_default(),
            name: r.try_get::<Option<String>, _>(17).map_err(get_err)?.unwrap_or_default(),
            country: r.try_get::<Option<String>, _>(18).map_err(get_err)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Order {
        trans_id: r.try_get(0).map_err(get_err)?,
        partner_code: r.try_get(1).map_err(get_err)?,
        order_id: r.try_get(2).map_err(get_err)?,
        kind: OrderKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
        payment_method: r.try_get(4).map_err(get_err)?,
        bank_code: r.try_get(5).map_err(get_err)?,
        amount: r.try_get(6).map_err(get_err)?,
        order_info: r.try_get(7).map_err(get_err)?,
        client_ip: r.try_get(8).map_err(get_err)?,
        notify_url: r.try_get(9).map_err(get_err)?,
        redirect_url: r.try_get(10).map_err(get_err)?,
        extra_data: r.try_get(11).map_err(get_err)?,
        sub_account: r.try_get(12).map_err(get_err)?,
        state: State::parse(&state).ok_or_else(|| corrupt("state"))?,
        code: ErrorCode(u32::try_from(code).map_err(|_| corrupt("error_code"))?),
        card,
        qr_payload: r.try_get(19).map_err(get_err)?,
        created_at_ms: r.try_get(20).map_err(get_err)?,
        expires_at_ms: r.try_get(21).map_err(get_err)?,
        updated_at_ms: r.try_get(22).map_err(get_err)?,
        settled_at_ms: r.try_get(23).map_err(get_err)?,
    })
}

fn partner_from_row(r: &PgRow) -> StoreResult<PartnerRecord> {
    let get_err = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
    Ok(PartnerRecord {
        code: r.try_get(0).map_err(get_err)?,
        name: r.try_get(1).map_err(get_err)?,
        api_key: r.try_get(2).map_err(get_err)?,
        secret_enc: r.try_get(3).map_err(get_err)?,
        locked: r.try_get(4).map_err(get_err)?,
        notify_failures: r.try_get(5).map_err(get_err)?,
        amount_min: r.try_get(6).map_err(get_err)?,
        amount_max: r.try_get(7).map_err(get_err)?,
        created_at_ms: r.try_get(8).map_err(get_err)?,
    })
}

fn attempt_from_row(r: &PgRow) -> StoreResult<AttemptRecord> {
    let get_err = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
    let attempt: i32 = r.try_get(1).map_err(get_err)?;
    let http_status: Option<i32> = r.try_get(3).map_err(get_err)?;
    Ok(AttemptRecord {
        outbox_id: r.try_get(0).map_err(get_err)?,
        attempt: u32::try_from(attempt).map_err(|_| corrupt("attempt"))?,
        at_ms: r.try_get(2).map_err(get_err)?,
        http_status: http_status.map(|s| u16::try_from(s).map_err(|_| corrupt("http_status"))).transpose()?,
        error: r.try_get(4).map_err(get_err)?,
        latency_ms: r.try_get(5).map_err(get_err)?,
        response_head: r.try_get(6).map_err(get_err)?,
    })
}

fn error_code(code: ErrorCode) -> StoreResult<i32> {
    i32::try_from(code.code()).map_err(|_| StoreError::Database(format!("error code {} out of range", code.code())))
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ()).map_err(db_err)
    }

    async fn insert_partner(&self, p: &PartnerRecord) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO partners (code, name, api_key, secret_enc, locked, notify_failures, amount_min, amount_max, \
             created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (code) DO NOTHING",
        )
        .bind(&p.code)
        .bind(&p.name)
        .bind(&p.api_key)
        .bind(&p.secret_enc)
        .bind(p.locked)
        .bind(p.notify_failures)
        .bind(p.amount_min)
        .bind(p.amount_max)
        .bind(p.created_at_ms)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_partner(&self, code: &str) -> StoreResult<Option<PartnerRecord>> {
        if impossible_key(&[code]) {
            return Ok(None);
        }
        let row = sqlx::query(&format!("SELECT {PARTNER_COLUMNS} FROM partners WHERE code = $1"))
            .bind(code)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(partner_from_row).transpose()
    }

    async fn list_partners(&self) -> StoreResult<Vec<PartnerRecord>> {
        let rows = sqlx::query(&format!("SELECT {PARTNER_COLUMNS} FROM partners ORDER BY code"))
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter().map(partner_from_row).collect()
    }

    async fn set_partner_locked(&self, code: &str, locked: bool) -> StoreResult<bool> {
        if impossible_key(&[code]) {
            return Ok(false);
        }
        let done = sqlx::query("UPDATE partners SET locked = $1 WHERE code = $2")
            .bind(locked)
            .bind(code)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_sub_account(&self, s: &SubAccount) -> StoreResult<bool> {
        if impossible_key(&[&s.partner_code]) {
            return Ok(false);
        }
        let done = sqlx::query(
            "INSERT INTO sub_accounts (id, partner_code, owner, created_at_ms) \
             SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM partners WHERE code = $2)",
        )
        .bind(&s.id)
        .bind(&s.partner_code)
        .bind(s.owner)
        .bind(s.created_at_ms)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_sub_account(&self, id: &str) -> StoreResult<Option<SubAccount>> {
        if impossible_key(&[id]) {
            return Ok(None);
        }
        let row = sqlx::query("SELECT id, partner_code, owner, created_at_ms FROM sub_accounts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        let get_err = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
        row.map(|r| {
            Ok(SubAccount {
                id: r.try_get(0).map_err(get_err)?,
                partner_code: r.try_get(1).map_err(get_err)?,
                owner: r.try_get(2).map_err(get_err)?,
                created_at_ms: r.try_get(3).map_err(get_err)?,
            })
        })
        .transpose()
    }

    async fn create_order(&self, o: &Order) -> StoreResult<CreateOutcome> {
        let card = o.card.as_ref();
        // ON CONFLICT without a target covers both unique keys. A concurrent insert
        // of the same key waits for the other transaction and then does nothing.
        let done = sqlx::query(&format!(
            "INSERT INTO orders ({ORDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
             $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) ON CONFLICT DO NOTHING"
        ))
        .bind(&o.trans_id)
        .bind(&o.partner_code)
        .bind(&o.order_id)
        .bind(o.kind.as_str())
        .bind(&o.payment_method)
        .bind(&o.bank_code)
        .bind(o.amount)
        .bind(&o.order_info)
        .bind(&o.client_ip)
        .bind(&o.notify_url)
        .bind(&o.redirect_url)
        .bind(&o.extra_data)
        .bind(&o.sub_account)
        .bind(o.state.as_str())
        .bind(error_code(o.code)?)
        .bind(card.map(|c| c.number_masked.as_str()))
        .bind(card.map(|c| c.date.as_str()))
        .bind(card.map(|c| c.name.as_str()))
        .bind(card.map(|c| c.country.as_str()))
        .bind(&o.qr_payload)
        .bind(o.created_at_ms)
        .bind(o.expires_at_ms)
        .bind(o.updated_at_ms)
        .bind(o.settled_at_ms)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 1 {
            return Ok(CreateOutcome::Created);
        }
        // A new statement sees the row that won (READ COMMITTED).
        let dup = sqlx::query("SELECT 1 FROM orders WHERE partner_code = $1 AND order_id = $2")
            .bind(&o.partner_code)
            .bind(&o.order_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(if dup.is_some() { CreateOutcome::DuplicateOrderId } else { CreateOutcome::TransIdTaken })
    }

    async fn get_order(&self, trans_id: &str) -> StoreResult<Option<Order>> {
        if impossible_key(&[trans_id]) {
            return Ok(None);
        }
        let row = sqlx::query(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE trans_id = $1"))
            .bind(trans_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(order_from_row).transpose()
    }

    async fn find_order(&self, partner_code: &str, order_id: &str) -> StoreResult<Option<Order>> {
        if impossible_key(&[partner_code, order_id]) {
            return Ok(None);
        }
        let row = sqlx::query(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE partner_code = $1 AND order_id = $2"))
            .bind(partner_code)
            .bind(order_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(order_from_row).transpose()
    }

    async fn apply_change(&self, ch: &StateChange) -> StoreResult<bool> {
        if impossible_key(&[&ch.trans_id]) {
            return Ok(false);
        }
        let card = ch.card.as_ref();
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        // The compare-and-set: a concurrent change of the row (from any node) makes
        // this one wait, re-check `state` on the new version, and match nothing.
        let changed = sqlx::query(
            "UPDATE orders SET state = $1, error_code = $2, updated_at_ms = $3, \
             settled_at_ms = CASE WHEN $4 THEN $3 ELSE settled_at_ms END, \
             bank_code = COALESCE($5, bank_code), payment_method = COALESCE($6, payment_method), \
             card_number = COALESCE($7, card_number), card_date = COALESCE($8, card_date), \
             card_name = COALESCE($9, card_name), card_country = COALESCE($10, card_country) \
             WHERE trans_id = $11 AND state = $12",
        )
        .bind(ch.to.as_str())
        .bind(error_code(ch.code)?)
        .bind(ch.now_ms)
        .bind(ch.to.is_final())
        .bind(&ch.bank_code)
        .bind(&ch.payment_method)
        .bind(card.map(|c| c.number_masked.as_str()))
        .bind(card.map(|c| c.date.as_str()))
        .bind(card.map(|c| c.name.as_str()))
        .bind(card.map(|c| c.country.as_str()))
        .bind(&ch.trans_id)
        .bind(ch.from.as_str())
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if changed.rows_affected() != 1 {
            tx.rollback().await.map_err(db_err)?;
            return Ok(false);
        }
        if let Some(ob) = &ch.outbox {
            // The notification is delivered to the listening nodes at commit, and not
            // at all if the transaction rolls back.
            sqlx::query(
                "WITH queued AS (INSERT INTO outbox (trans_id, partner_code, url, body, status, attempts, \
                 next_attempt_at_ms, locked_until_ms, created_at_ms) VALUES ($1, $2, $3, $4, 'pending', 0, $5, 0, $6) \
                 RETURNING id) SELECT pg_notify($7, '') FROM queued",
            )
            .bind(&ch.trans_id)
            .bind(&ob.partner_code)
            .bind(&ob.url)
            .bind(&ob.body)
            .bind(ob.first_attempt_at_ms)
            .bind(ch.now_ms)
            .bind(OUTBOX_CHANNEL)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn overdue_orders(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Order>> {
        let rows = sqlx::query(&format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE state = 'pending' AND expires_at_ms <= $1 \
             ORDER BY expires_at_ms LIMIT $2"
        ))
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(order_from_row).collect()
    }

    async fn claim_outbox(&self, now_ms: i64, lease_until_ms: i64, limit: u32) -> StoreResult<Vec<OutboxItem>> {
        // SKIP LOCKED: rows another node is claiming right now are passed over rather
        // than waited for; a row claimed and committed since this statement's snapshot
        // is re-checked after locking and no longer matches (its lease is in the future).
        let rows = sqlx::query(
            "UPDATE outbox SET locked_until_ms = $1, attempts = outbox.attempts + 1 \
             FROM (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at_ms <= $2 \
                   AND locked_until_ms <= $2 ORDER BY next_attempt_at_ms LIMIT $3 FOR UPDATE SKIP LOCKED) due \
             WHERE outbox.id = due.id \
             RETURNING outbox.id, outbox.trans_id, outbox.partner_code, outbox.url, outbox.body, outbox.attempts",
        )
        .bind(lease_until_ms)
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        let get_err = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
        let mut items: Vec<OutboxItem> = rows
            .iter()
            .map(|r| {
                let attempt: i32 = r.try_get(5).map_err(get_err)?;
                Ok(OutboxItem {
                    id: r.try_get(0).map_err(get_err)?,
                    trans_id: r.try_get(1).map_err(get_err)?,
                    partner_code: r.try_get(2).map_err(get_err)?,
                    url: r.try_get(3).map_err(get_err)?,
                    body: r.try_get(4).map_err(get_err)?,
                    attempt: u32::try_from(attempt).map_err(|_| corrupt("attempts"))?,
                })
            })
            .collect::<StoreResult<_>>()?;
        items.sort_by_key(|i| i.id);
        Ok(items)
    }

    async fn finish_attempt(&self, a: &AttemptRecord, next: NextStep) -> StoreResult<()> {
        let now = crate::now_ms();
        let (status, next_at, finished): (&str, Option<i64>, Option<i64>) = match next {
            NextStep::Delivered => ("delivered", None, Some(now)),
            NextStep::RetryAt(t) => ("pending", Some(t), None),
            NextStep::GiveUp => ("failed", None, Some(now)),
        };
        let attempt = i32::try_from(a.attempt).map_err(|_| StoreError::Database("attempt out of range".into()))?;
        // One statement, so the attempt and the row's next step commit together.
        // The row moves on only if this attempt is still its latest (no other node
        // took the row over after the lease ran out) or it was delivered: a late
        // failure never undoes a delivery, nor overrides a newer attempt.
        sqlx::query(
            "WITH recorded AS (INSERT INTO ipn_attempts (outbox_id, attempt, at_ms, http_status, error, latency_ms, \
             response_head) VALUES ($1, $2, $3, $4, $5, $6, $7)) \
             UPDATE outbox SET status = $8, next_attempt_at_ms = COALESCE($9, next_attempt_at_ms), \
             locked_until_ms = 0, finished_at_ms = $10 \
             WHERE id = $1 AND ((status = 'pending' AND attempts = $2) OR ($8 = 'delivered' AND status <> 'delivered'))",
        )
        .bind(a.outbox_id)
        .bind(attempt)
        .bind(a.at_ms)
        .bind(a.http_status.map(i32::from))
        .bind(a.error.as_deref().map(storable))
        .bind(a.latency_ms)
        .bind(storable(&a.response_head))
        .bind(status)
        .bind(next_at)
        .bind(finished)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn next_outbox_due(&self) -> StoreResult<Option<i64>> {
        sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MIN(GREATEST(next_attempt_at_ms, locked_until_ms)) FROM outbox WHERE status = 'pending'",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(db_err)
    }

    async fn outbox_depth(&self) -> StoreResult<i64> {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)
    }

    /// Releases nothing: the database is shared, and a lease may belong to another
    /// node delivering the row right now. The rows of a node that died come back
    /// when their lease runs out.
    async fn release_leases(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn deliveries(&self, trans_id: &str) -> StoreResult<Vec<Delivery>> {
        if impossible_key(&[trans_id]) {
            return Ok(Vec::new());
        }
        let rows = sqlx::query("SELECT id, url, body, status FROM outbox WHERE trans_id = $1 ORDER BY id")
            .bind(trans_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        let get_err = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
        let mut out: Vec<Delivery> = rows
            .iter()
            .map(|r| {
                Ok(Delivery {
                    id: r.try_get(0).map_err(get_err)?,
                    url: r.try_get(1).map_err(get_err)?,
                    body: r.try_get(2).map_err(get_err)?,
                    status: r.try_get(3).map_err(get_err)?,
                    attempts: Vec::new(),
                })
            })
            .collect::<StoreResult<_>>()?;
        if out.is_empty() {
            return Ok(out);
        }
        let ids: Vec<i64> = out.iter().map(|d| d.id).collect();
        let attempts = sqlx::query(
            "SELECT outbox_id, attempt, at_ms, http_status, error, latency_ms, response_head FROM ipn_attempts \
             WHERE outbox_id = ANY($1) ORDER BY id",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        for r in &attempts {
            let a = attempt_from_row(r)?;
            if let Some(d) = out.iter_mut().find(|d| d.id == a.outbox_id) {
                d.attempts.push(a);
            }
        }
        Ok(out)
    }

    async fn create_refund(&self, r: &Refund, min_amount: i64) -> StoreResult<RefundCreate> {
        if impossible_key(&[&r.trans_id, &r.partner_code, &r.refund_original_id, &r.reason]) {
            return Ok(RefundCreate::Refused(Refusal::UnknownTransaction));
        }
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        // Lock the order row: every refund of one order, on any node, waits here for
        // the previous one to commit, then reads sums that include it.
        let order = sqlx::query("SELECT partner_code, state, amount FROM orders WHERE trans_id = $1 FOR UPDATE")
            .bind(&r.trans_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let get_err = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
        let Some(order) = order else {
            return Ok(RefundCreate::Refused(Refusal::UnknownTransaction));
        };
        let owner: String = order.try_get(0).map_err(get_err)?;
        if owner != r.partner_code {
            return Ok(RefundCreate::Refused(Refusal::UnknownTransaction));
        }
        let state: String = order.try_get(1).map_err(get_err)?;
        let state = State::parse(&state).ok_or_else(|| corrupt("state"))?;
        let paid: i64 = order.try_get(2).map_err(get_err)?;
        let duplicate_sql = "SELECT 1 FROM refunds WHERE partner_code = $1 AND refund_original_id = $2";
        let dup = sqlx::query(duplicate_sql)
            .bind(&owner)
            .bind(&r.refund_original_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        if dup.is_some() {
            return Ok(RefundCreate::Refused(Refusal::DuplicateRefundId));
        }
        let totals = refund_totals_on(&mut *tx, &r.trans_id).await?;
        let ledger = Ledger { paid, committed: totals.committed, refunded: totals.refunded };
        if let Err(refusal) = refund::admit(state, ledger, r.amount, min_amount) {
            return Ok(RefundCreate::Refused(refusal));
        }
        let inserted = sqlx::query(
            "INSERT INTO refunds (refund_id, partner_code, refund_original_id, trans_id, amount, reason, status, \
             created_at_ms, updated_at_ms, due_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&r.refund_id)
        .bind(&r.partner_code)
        .bind(&r.refund_original_id)
        .bind(&r.trans_id)
        .bind(r.amount)
        .bind(&r.reason)
        .bind(r.status.as_str())
        .bind(r.created_at_ms)
        .bind(r.updated_at_ms)
        .bind(r.due_at_ms)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if inserted.rows_affected() == 1 {
            tx.commit().await.map_err(db_err)?;
            return Ok(RefundCreate::Created);
        }
        // A concurrent insert of the same partner refundId (another order) committed
        // first, or the gateway's refund id is taken.
        let dup = sqlx::query(duplicate_sql)
            .bind(&owner)
            .bind(&r.refund_original_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.rollback().await.map_err(db_err)?;
        Ok(if dup.is_some() { RefundCreate::Refused(Refusal::DuplicateRefundId) } else { RefundCreate::RefundIdTaken })
    }

    async fn update_refund(&self, ch: &RefundChange) -> StoreResult<bool> {
        if impossible_key(&[&ch.refund_id]) {
            return Ok(false);
        }
        let done = sqlx::query(
            "UPDATE refunds SET status = $1, updated_at_ms = $2, due_at_ms = $3 WHERE refund_id = $4 AND status = $5",
        )
        .bind(ch.to.as_str())
        .bind(ch.now_ms)
        .bind(ch.due_at_ms)
        .bind(&ch.refund_id)
        .bind(ch.from.as_str())
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_refund(&self, refund_id: &str) -> StoreResult<Option<Refund>> {
        if impossible_key(&[refund_id]) {
            return Ok(None);
        }
        let row = sqlx::query(&format!("SELECT {REFUND_COLUMNS} FROM refunds r WHERE r.refund_id = $1"))
            .bind(refund_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(refund_from_row).transpose()
    }

    async fn find_refund(&self, partner_code: &str, refund_original_id: &str) -> StoreResult<Option<Refund>> {
        if impossible_key(&[partner_code, refund_original_id]) {
            return Ok(None);
        }
        let row = sqlx::query(&format!(
            "SELECT {REFUND_COLUMNS} FROM refunds r WHERE r.partner_code = $1 AND r.refund_original_id = $2"
        ))
        .bind(partner_code)
        .bind(refund_original_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        row.as_ref().map(refund_from_row).transpose()
    }

    async fn order_refunds(&self, trans_id: &str) -> StoreResult<Vec<Refund>> {
        if impossible_key(&[trans_id]) {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&format!(
            "SELECT {REFUND_COLUMNS} FROM refunds r WHERE r.trans_id = $1 ORDER BY r.created_at_ms, r.seq"
        ))
        .bind(trans_id)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(refund_from_row).collect()
    }

    async fn refund_totals(&self, trans_id: &str) -> StoreResult<RefundTotals> {
        if impossible_key(&[trans_id]) {
            return Ok(RefundTotals::default());
        }
        refund_totals_on(&self.pool, trans_id).await
    }

    async fn list_refunds(
        &self,
        partner_code: &str,
        filter: &RefundFilter,
        offset: u64,
        limit: u32,
    ) -> StoreResult<RefundPage> {
        let keys: Vec<&str> = [&filter.trans_id, &filter.order_id, &filter.refund_id, &filter.refund_original_id]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .chain([partner_code])
            .collect();
        if impossible_key(&keys) {
            return Ok(RefundPage { items: Vec::new(), total: 0, total_amount: 0 });
        }
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        // One REPEATABLE READ transaction: the page and its totals come from one snapshot.
        let mut tx = self.pool.begin().await.map_err(db_err)?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let from = "FROM refunds r JOIN orders o ON o.trans_id = r.trans_id";
        let mut count =
            sqlx::QueryBuilder::new(format!("SELECT COUNT(*)::BIGINT, COALESCE(SUM(r.amount), 0)::BIGINT {from}"));
        push_refund_filter(&mut count, partner_code, filter);
        let row = count.build().fetch_one(&mut *tx).await.map_err(db_err)?;
        let get_err = |e: sqlx::Error| StoreError::Corrupt(e.to_string());
        let total: i64 = row.try_get(0).map_err(get_err)?;
        let total_amount: i64 = row.try_get(1).map_err(get_err)?;
        let mut page = sqlx::QueryBuilder::new(format!("SELECT {REFUND_COLUMNS} {from}"));
        push_refund_filter(&mut page, partner_code, filter);
        page.push(" ORDER BY r.created_at_ms DESC, r.seq DESC LIMIT ")
            .push_bind(i64::from(limit))
            .push(" OFFSET ")
            .push_bind(offset);
        let rows = page.build().fetch_all(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        let items = rows.iter().map(refund_from_row).collect::<StoreResult<Vec<_>>>()?;
        Ok(RefundPage { items, total: u64::try_from(total).unwrap_or_default(), total_amount })
    }

    async fn due_refunds(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Refund>> {
        let rows = sqlx::query(&format!(
            "SELECT {REFUND_COLUMNS} FROM refunds r WHERE r.status IN ('pending', 'processing') \
             AND r.due_at_ms <= $1 ORDER BY r.due_at_ms LIMIT $2"
        ))
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(refund_from_row).collect()
    }

    async fn get_checkout(&self, trans_id: &str) -> StoreResult<Option<Checkout>> {
        if impossible_key(&[trans_id]) {
            return Ok(None);
        }
        let row = sqlx::query(&format!("SELECT {CHECKOUT_COLUMNS} FROM checkout_sessions c WHERE c.trans_id = $1"))
            .bind(trans_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db_err)?;
        row.as_ref().map(checkout_from_row).transpose()
    }

    async fn put_checkout(&self, co: &Checkout) -> StoreResult<()> {
        let card = co.card.as_ref();
        let outcome = card.map(|p| i32::try_from(p.outcome.code()).unwrap_or(i32::MAX));
        let failures = i32::try_from(co.otp_failures).unwrap_or(i32::MAX);
        sqlx::query(
            "INSERT INTO checkout_sessions (trans_id, method, bank_code, card_number, card_date, card_name, \
             card_country, card_bank, card_outcome, otp_failures, process_due_ms, updated_at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (trans_id) DO UPDATE SET \
             method = excluded.method, bank_code = excluded.bank_code, card_number = excluded.card_number, \
             card_date = excluded.card_date, card_name = excluded.card_name, card_country = excluded.card_country, \
             card_bank = excluded.card_bank, card_outcome = excluded.card_outcome, \
             process_due_ms = excluded.process_due_ms, \
             updated_at_ms = excluded.updated_at_ms",
        )
        .bind(&co.trans_id)
        .bind(&co.method)
        .bind(&co.bank_code)
        .bind(card.map(|p| p.card.number_masked.as_str()))
        .bind(card.map(|p| p.card.date.as_str()))
        .bind(card.map(|p| p.card.name.as_str()))
        .bind(card.map(|p| p.card.country.as_str()))
        .bind(card.map(|p| p.bank_code.as_str()))
        .bind(outcome)
        .bind(failures)
        .bind(co.process_due_ms)
        .bind(co.updated_at_ms)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn claim_jti(&self, partner_code: &str, jti: &str, expires_at_ms: i64, now_ms: i64) -> StoreResult<bool> {
        // PostgreSQL text cannot hold NUL: such an id is stored with NUL replaced,
        // which keeps it unique enough for a replay check.
        let done = sqlx::query(
            "INSERT INTO jwt_ids (partner_code, jti, expires_at_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (partner_code, jti) DO UPDATE SET expires_at_ms = excluded.expires_at_ms \
             WHERE jwt_ids.expires_at_ms < $4",
        )
        .bind(storable(partner_code).as_ref())
        .bind(storable(jti).as_ref())
        .bind(expires_at_ms)
        .bind(now_ms)
        .execute(&self.pool)
        .await
        .map_err(db_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn prune_jtis(&self, now_ms: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM jwt_ids WHERE expires_at_ms < $1")
            .bind(now_ms)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(done.rows_affected())
    }

    async fn add_wrong_otp(&self, trans_id: &str, now_ms: i64) -> StoreResult<u32> {
        if impossible_key(&[trans_id]) {
            return Ok(0);
        }
        let row = sqlx::query(
            "UPDATE checkout_sessions SET otp_failures = otp_failures + 1, updated_at_ms = $2 \
             WHERE trans_id = $1 RETURNING otp_failures",
        )
        .bind(trans_id)
        .bind(now_ms)
        .fetch_optional(&self.pool)
        .await
        .map_err(db_err)?;
        match row {
            Some(r) => {
                let n: i32 = r.try_get(0).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok(u32::try_from(n).unwrap_or(0))
            }
            None => Ok(0),
        }
    }

    async fn due_processing(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Checkout>> {
        let rows = sqlx::query(&format!(
            "SELECT {CHECKOUT_COLUMNS} FROM checkout_sessions c JOIN orders o ON o.trans_id = c.trans_id \
             WHERE c.process_due_ms IS NOT NULL AND c.process_due_ms <= $1 AND o.state = 'processing' \
             ORDER BY c.process_due_ms LIMIT $2"
        ))
        .bind(now_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter().map(checkout_from_row).collect()
    }

    fn outbox_signal(&self) -> Option<Arc<Notify>> {
        Some(self.signal.clone())
    }
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
    }
}
