//! SQLite backend: one writer thread with group commit, a small pool of readers.
//!
//! SQLite allows one writer at a time, and a commit costs an fsync-ish barrier. Rather
//! than have every request fight for the write lock, all writes are sent to one
//! thread that owns the write connection; it takes every job waiting in its queue,
//! runs each inside its own savepoint, commits them together, and only then answers
//! each caller. Throughput grows with load while every acknowledged write is
//! committed. Reads run on separate connections (WAL lets them proceed during writes).
//!
//! Checkpoints (copying the WAL back into the database file, with its fsyncs) run on
//! a thread of their own, every 100 ms, rather than inside whichever commit crosses
//! SQLite's automatic threshold (1000 pages): done by the writer, they cost 15–30 %
//! of the throughput and doubled the p99 at saturation (BENCHMARKS.md). A passive
//! checkpoint never blocks the writer, but under sustained writes it never quite
//! catches up either, and SQLite only starts the WAL over once every frame is
//! copied: left alone, the WAL grew by gigabytes. So once the WAL is 256 MiB long
//! the writer, between two batches, copies the frames committed since the last
//! background pass and syncs them (a pause of 5–15 ms on a disk, measured), and the
//! next batch starts the WAL from its beginning; the file stays bounded
//! (`journal_size_limit`). Where the background passes keep up (on tmpfs they do) the
//! WAL starts over without the writer's help. Both kinds of checkpoint are timed in
//! `/metrics` (`appotapay_sqlite_checkpoint_seconds{by}`), beside the WAL's length.

use super::*;
use crate::payments::State;
use crate::payments::refund::{self, Ledger, Refusal};
use appotapay_protocol::ErrorCode;
use rusqlite::types::ToSql;
use rusqlite::{Connection, OptionalExtension, Row, params, params_from_iter};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use tokio::sync::{Semaphore, oneshot};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../../migrations/sqlite/0002_checkout.sql")),
    (3, include_str!("../../migrations/sqlite/0003_refunds.sql")),
    (4, include_str!("../../migrations/sqlite/0004_jwt_ids.sql")),
];
const READERS: usize = 4;
const MAX_BATCH: usize = 512;
/// WAL length (frames of one page) from which the writer is asked to let it start
/// over: 256 MiB with 4 KiB pages. Each restart pauses the writer for a time that
/// does not depend on the WAL's length (it copies what the last background pass
/// left), so rarer is better: at 64 MiB the pauses came every 0.6 s at half load and
/// set the p99.
const WAL_RESTART_FRAMES: i64 = 65_536;
/// What the WAL file is truncated to when it starts over (bytes): above what it
/// reaches, as truncating a large file is itself a long pause (about 100 ms).
const WAL_SIZE_LIMIT: i64 = 320 * 1024 * 1024;
/// How often the checkpointer runs. A checkpoint still slows the commits running
/// beside it (its page copies share the disk and the CPUs) in proportion to its
/// size: small and frequent is better. Measured at half of saturation (5 s phases):
/// every 1 s gave a p99 of 30–37 ms, every 250 ms 8–10 ms, every 100 ms 5–8 ms.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A unit of work for the writer thread.
trait WriteJob: Send {
    /// Runs inside the batch transaction; the returned completion answers the caller
    /// once the batch's commit is known.
    fn run(self: Box<Self>, conn: &Connection) -> Completion;
    /// Answers the caller without running (the batch could not start).
    fn abort(self: Box<Self>, error: String);
}

type Job = Box<dyn WriteJob>;

struct Closure<T, F> {
    f: F,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> WriteJob for Closure<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> Completion {
        let Closure { f, reply } = *self;
        let result = run_in_savepoint(conn, f);
        Box::new(move |commit: Result<(), String>| {
            let outcome = match commit {
                Ok(()) => result.map_err(db_err),
                Err(e) => Err(StoreError::Database(e)),
            };
            let _ = reply.send(outcome);
        })
    }

    fn abort(self: Box<Self>, error: String) {
        let _ = self.reply.send(Err(StoreError::Database(error)));
    }
}

/// The SQLite store.
pub struct SqliteStore {
    writer: mpsc::Sender<Job>,
    readers: Arc<Mutex<Vec<Connection>>>,
    read_slots: Arc<Semaphore>,
    /// Dropped with the store, which stops the checkpointer.
    _checkpointer: mpsc::Sender<()>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

fn db_err(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // WAL: readers never block the writer. synchronous=NORMAL in WAL mode is durable
    // across a process crash (kill -9); only an OS crash or power loss can lose the
    // last commits.
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
    Ok(conn)
}

fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL)",
    )?;
    for (version, sql) in MIGRATIONS {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        let done: Option<i64> = conn
            .query_row("SELECT version FROM schema_migrations WHERE version = ?1", [version], |r| r.get(0))
            .optional()?;
        if done.is_none() {
            conn.execute_batch(sql)?;
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at_ms) VALUES (?1, ?2)",
                params![version, crate::now_ms()],
            )?;
        }
        conn.execute_batch("COMMIT")?;
    }
    Ok(())
}

/// Copies committed WAL frames into the database file, without ever blocking the
/// writer (`PASSIVE`), until the store is dropped. Once the WAL holds
/// `restart_frames` frames, it asks the writer to finish the copy (`catch_up`) so
/// that the WAL can start over.
fn checkpoint_loop(conn: Connection, stop: mpsc::Receiver<()>, catch_up: Arc<AtomicBool>, restart_frames: i64) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        match checkpoint(&conn, "background") {
            // Frames in the WAL. The catch-up still costs the writer a pause (the
            // last frames and the fsyncs), so it is asked for only once the WAL is
            // this long.
            Ok(frames) if frames >= restart_frames => catch_up.store(true, Ordering::Release),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "WAL checkpoint failed; retrying"),
        }
    }
}

/// One passive checkpoint, timed for `/metrics`; returns the WAL's length in frames.
fn checkpoint(conn: &Connection, by: &'static str) -> rusqlite::Result<i64> {
    let started = std::time::Instant::now();
    let frames = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))?;
    crate::metrics::sqlite_checkpoint(by, started.elapsed().as_secs_f64(), frames);
    Ok(frames)
}

fn writer_loop(conn: Connection, rx: mpsc::Receiver<Job>, catch_up: Arc<AtomicBool>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let msg = e.to_string();
            for job in jobs {
                job.abort(msg.clone());
            }
            continue;
        }
        let completions: Vec<Completion> = jobs.into_iter().map(|job| job.run(&conn)).collect();
        let commit = conn.execute_batch("COMMIT").map_err(|e| e.to_string());
        if commit.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for c in completions {
            c(commit.clone());
        }
        // With no write running, this checkpoint copies what the background pass
        // left and completes, so the next transaction starts the WAL over.
        if catch_up.swap(false, Ordering::AcqRel) {
            if let Err(e) = checkpoint(&conn, "writer") {
                tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
            }
        }
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies migrations.
    pub async fn open(path: &Path) -> StoreResult<SqliteStore> {
        Self::open_with(path, WAL_RESTART_FRAMES).await
    }

    /// [`SqliteStore::open`] with the WAL started over from `restart_frames` frames.
    async fn open_with(path: &Path, restart_frames: i64) -> StoreResult<SqliteStore> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path, restart_frames))
            .await
            .map_err(|e| StoreError::Database(e.to_string()))?
    }

    fn open_blocking(path: &Path, restart_frames: i64) -> StoreResult<SqliteStore> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Database(format!("{}: {e}", dir.display())))?;
        }
        let conn = connect(path).map_err(db_err)?;
        migrate(&conn).map_err(db_err)?;
        // The checkpointer thread does it (see the module documentation).
        conn.execute_batch(&format!("PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit={WAL_SIZE_LIMIT};"))
            .map_err(db_err)?;
        let checkpoint_conn = connect(path).map_err(db_err)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let catch_up = Arc::new(AtomicBool::new(false));
        let writer_catch_up = catch_up.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpoint_conn, stopped, catch_up, restart_frames))
            .map_err(|e| StoreError::Database(e.to_string()))?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = connect(path).map_err(db_err)?;
            r.execute_batch("PRAGMA query_only=ON;").map_err(db_err)?;
            readers.push(r);
        }
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, writer_catch_up))
            .map_err(|e| StoreError::Database(e.to_string()))?;
        Ok(SqliteStore {
            writer: tx,
            readers: Arc::new(Mutex::new(readers)),
            read_slots: Arc::new(Semaphore::new(READERS)),
            _checkpointer: stop,
        })
    }

    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel::<StoreResult<T>>();
        let job: Job = Box::new(Closure { f, reply });
        self.writer.send(job).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let permit = self.read_slots.clone().acquire_owned().await.map_err(|_| StoreError::Closed)?;
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let Some(conn) = conn else {
                return Err(StoreError::Database("no reader connection available".into()));
            };
            let result = f(&conn).map_err(db_err);
            pool.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
            drop(permit);
            result
        })
        .await
        .map_err(|e| StoreError::Database(e.to_string()))?
    }
}

fn run_in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    conn.execute_batch("SAVEPOINT job")?;
    match f(conn) {
        Ok(v) => {
            conn.execute_batch("RELEASE job")?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
            Err(e)
        }
    }
}

const ORDER_COLUMNS: &str = "trans_id, partner_code, order_id, kind, payment_method, bank_code, amount, order_info, \
    client_ip, notify_url, redirect_url, extra_data, sub_account, state, error_code, card_number, card_date, \
    card_name, card_country, qr_payload, created_at_ms, expires_at_ms, updated_at_ms, settled_at_ms";

fn corrupt(what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, format!("bad {what}").into())
}

fn order_from_row(r: &Row<'_>) -> rusqlite::Result<Order> {
    let kind: String = r.get(3)?;
    let state: String = r.get(13)?;
    let card_number: Option<String> = r.get(15)?;
    let card = match card_number {
        Some(number_masked) => Some(CardRecord {
            number_masked,
            date: r.get::<_, Option<String>>(16)?.unwrap_or_default(),
            name: r.get::<_, Option<String>>(17)?.unwrap_or_default(),
            country: r.get::<_, Option<String>>(18)?.unwrap_or_default(),
        }),
        None => None,
    };
    Ok(Order {
        trans_id: r.get(0)?,
        partner_code: r.get(1)?,
        order_id: r.get(2)?,
        kind: OrderKind::parse(&kind).ok_or_else(|| corrupt("kind"))?,
        payment_method: r.get(4)?,
        bank_code: r.get(5)?,
        amount: r.get(6)?,
        order_info: r.get(7)?,
        client_ip: r.get(8)?,
        notify_url: r.get(9)?,
        redirect_url: r.get(10)?,
        extra_data: r.get(11)?,
        sub_account: r.get(12)?,
        state: State::parse(&state).ok_or_else(|| corrupt("state"))?,
        code: ErrorCode(r.get::<_, i64>(14)?.try_into().map_err(|_| corrupt("error_code"))?),
        card,
        qr_payload: r.get(19)?,
        created_at_ms: r.get(20)?,
        expires_at_ms: r.get(21)?,
        updated_at_ms: r.get(22)?,
        settled_at_ms: r.get(23)?,
    })
}

fn partner_from_row(r: &Row<'_>) -> rusqlite::Result<PartnerRecord> {
    Ok(PartnerRecord {
        code: r.get(0)?,
        name: r.get(1)?,
        api_key: r.get(2)?,
        secret_enc: r.get(3)?,
        locked: r.get(4)?,
        notify_failures: r.get(5)?,
        amount_min: r.get(6)?,
        amount_max: r.get(7)?,
        created_at_ms: r.get(8)?,
    })
}

const PARTNER_COLUMNS: &str =
    "code, name, api_key, secret_enc, locked, notify_failures, amount_min, amount_max, created_at_ms";

fn attempt_from_row(r: &Row<'_>) -> rusqlite::Result<AttemptRecord> {
    Ok(AttemptRecord {
        outbox_id: r.get(0)?,
        attempt: r.get(1)?,
        at_ms: r.get(2)?,
        http_status: r.get(3)?,
        error: r.get(4)?,
        latency_ms: r.get(5)?,
        response_head: r.get(6)?,
    })
}

const REFUND_COLUMNS: &str = "r.refund_id, r.partner_code, r.refund_original_id, r.trans_id, r.amount, r.reason, \
    r.status, r.created_at_ms, r.updated_at_ms, r.due_at_ms";

fn refund_from_row(r: &Row<'_>) -> rusqlite::Result<Refund> {
    let status: String = r.get(6)?;
    Ok(Refund {
        refund_id: r.get(0)?,
        partner_code: r.get(1)?,
        refund_original_id: r.get(2)?,
        trans_id: r.get(3)?,
        amount: r.get(4)?,
        reason: r.get(5)?,
        status: refund::RefundStatus::parse(&status).ok_or_else(|| corrupt("refund status"))?,
        created_at_ms: r.get(7)?,
        updated_at_ms: r.get(8)?,
        due_at_ms: r.get(9)?,
    })
}

/// Sums of a transaction's refunds: not in error (committed), in success (refunded).
const REFUND_TOTALS_SQL: &str = "SELECT COALESCE(SUM(CASE WHEN status <> 'error' THEN amount ELSE 0 END), 0), \
     COALESCE(SUM(CASE WHEN status = 'success' THEN amount ELSE 0 END), 0) FROM refunds WHERE trans_id = ?1";

fn refund_totals(c: &Connection, trans_id: &str) -> rusqlite::Result<RefundTotals> {
    c.prepare_cached(REFUND_TOTALS_SQL)?
        .query_row([trans_id], |r| Ok(RefundTotals { committed: r.get(0)?, refunded: r.get(1)? }))
}

/// The admission and insert of a refund, inside the writer's transaction. Portable
/// SQL; a server database adds `FOR UPDATE` to the first SELECT so that every refund
/// of one order waits for the previous one to commit before it reads the sums.
fn create_refund_tx(c: &Connection, r: &Refund, min_amount: i64) -> rusqlite::Result<RefundCreate> {
    let order: Option<(String, String, i64)> = c
        .prepare_cached("SELECT partner_code, state, amount FROM orders WHERE trans_id = ?1")?
        .query_row([&r.trans_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    let Some((owner, state, paid)) = order.filter(|o| o.0 == r.partner_code) else {
        return Ok(RefundCreate::Refused(Refusal::UnknownTransaction));
    };
    let state = State::parse(&state).ok_or_else(|| corrupt("state"))?;
    let duplicate = |c: &Connection| -> rusqlite::Result<bool> {
        Ok(c.prepare_cached("SELECT 1 FROM refunds WHERE partner_code = ?1 AND refund_original_id = ?2")?
            .query_row(params![owner, r.refund_original_id], |row| row.get::<_, i64>(0))
            .optional()?
            .is_some())
    };
    if duplicate(c)? {
        return Ok(RefundCreate::Refused(Refusal::DuplicateRefundId));
    }
    let totals = refund_totals(c, &r.trans_id)?;
    let ledger = Ledger { paid, committed: totals.committed, refunded: totals.refunded };
    if let Err(refusal) = refund::admit(state, ledger, r.amount, min_amount) {
        return Ok(RefundCreate::Refused(refusal));
    }
    let n = c
        .prepare_cached(
            "INSERT INTO refunds (refund_id, partner_code, refund_original_id, trans_id, amount, reason, status, \
             created_at_ms, updated_at_ms, due_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![
            r.refund_id,
            r.partner_code,
            r.refund_original_id,
            r.trans_id,
            r.amount,
            r.reason,
            r.status.as_str(),
            r.created_at_ms,
            r.updated_at_ms,
            r.due_at_ms,
        ])?;
    if n == 1 {
        Ok(RefundCreate::Created)
    } else if duplicate(c)? {
        Ok(RefundCreate::Refused(Refusal::DuplicateRefundId))
    } else {
        Ok(RefundCreate::RefundIdTaken)
    }
}

/// The WHERE clause and parameters of a refund list (`r` = refunds, `o` = orders).
fn refund_filter_sql(partner_code: &str, f: &RefundFilter) -> (String, Vec<Box<dyn ToSql + Send>>) {
    let mut sql = String::from("r.partner_code = ?1");
    let mut args: Vec<Box<dyn ToSql + Send>> = vec![Box::new(partner_code.to_owned())];
    let mut add = |clause: &str, v: Box<dyn ToSql + Send>| {
        args.push(v);
        sql.push_str(&format!(" AND {clause} ?{}", args.len()));
    };
    if let Some(v) = &f.trans_id {
        add("r.trans_id =", Box::new(v.clone()));
    }
    if let Some(v) = &f.order_id {
        add("o.order_id =", Box::new(v.clone()));
    }
    if let Some(v) = &f.refund_id {
        add("r.refund_id =", Box::new(v.clone()));
    }
    if let Some(v) = &f.refund_original_id {
        add("r.refund_original_id =", Box::new(v.clone()));
    }
    if let Some(v) = f.status {
        add("r.status =", Box::new(v.as_str()));
    }
    if let Some(v) = f.amount {
        add("r.amount =", Box::new(v));
    }
    if let Some(v) = f.created_from_ms {
        add("r.created_at_ms >=", Box::new(v));
    }
    if let Some(v) = f.created_to_ms {
        add("r.created_at_ms <=", Box::new(v));
    }
    if let Some(t) = f.refund_type {
        // An order is "total" once its successful refunds add up to the paid amount.
        let op = match t {
            crate::payments::refund::RefundType::Total => ">=",
            crate::payments::refund::RefundType::Partial => "<",
        };
        sql.push_str(&format!(
            " AND (SELECT COALESCE(SUM(x.amount), 0) FROM refunds x WHERE x.trans_id = r.trans_id \
              AND x.status = 'success') {op} o.amount"
        ));
    }
    (sql, args)
}

const CHECKOUT_COLUMNS: &str = "trans_id, method, bank_code, card_number, card_date, card_name, card_country, \
    card_bank, card_outcome, otp_failures, process_due_ms, updated_at_ms";

fn checkout_from_row(r: &Row<'_>) -> rusqlite::Result<Checkout> {
    let card_number: Option<String> = r.get(3)?;
    let card = match card_number {
        Some(number_masked) => Some(PendingCard {
            card: CardRecord {
                number_masked,
                date: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                name: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                country: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            },
            bank_code: r.get::<_, Option<String>>(7)?.unwrap_or_default(),
            outcome: ErrorCode(
                r.get::<_, Option<i64>>(8)?
                    .and_then(|c| u32::try_from(c).ok())
                    .ok_or_else(|| corrupt("card_outcome"))?,
            ),
        }),
        None => None,
    };
    Ok(Checkout {
        trans_id: r.get(0)?,
        method: r.get(1)?,
        bank_code: r.get(2)?,
        card,
        otp_failures: r.get(9)?,
        process_due_ms: r.get(10)?,
        updated_at_ms: r.get(11)?,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        self.read(|c| c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))).await.map(|_| ())
    }

    async fn insert_partner(&self, p: &PartnerRecord) -> StoreResult<bool> {
        let p = p.clone();
        self.write(move |c| {
            let n = c.execute(
                "INSERT INTO partners (code, name, api_key, secret_enc, locked, notify_failures, amount_min, amount_max, created_at_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (code) DO NOTHING",
                params![p.code, p.name, p.api_key, p.secret_enc, p.locked, p.notify_failures, p.amount_min, p.amount_max, p.created_at_ms],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn get_partner(&self, code: &str) -> StoreResult<Option<PartnerRecord>> {
        let code = code.to_owned();
        self.read(move |c| {
            c.prepare_cached(&format!("SELECT {PARTNER_COLUMNS} FROM partners WHERE code = ?1"))?
                .query_row([code], partner_from_row)
                .optional()
        })
        .await
    }

    async fn list_partners(&self) -> StoreResult<Vec<PartnerRecord>> {
        self.read(|c| {
            let mut st = c.prepare(&format!("SELECT {PARTNER_COLUMNS} FROM partners ORDER BY code"))?;
            let rows = st.query_map([], partner_from_row)?;
            rows.collect()
        })
        .await
    }

    async fn set_partner_locked(&self, code: &str, locked: bool) -> StoreResult<bool> {
        let code = code.to_owned();
        self.write(move |c| {
            Ok(c.execute("UPDATE partners SET locked = ?1 WHERE code = ?2", params![locked, code])? == 1)
        })
        .await
    }

    async fn insert_sub_account(&self, s: &SubAccount) -> StoreResult<bool> {
        let s = s.clone();
        self.write(move |c| {
            let exists: Option<i64> =
                c.query_row("SELECT 1 FROM partners WHERE code = ?1", [&s.partner_code], |r| r.get(0)).optional()?;
            if exists.is_none() {
                return Ok(false);
            }
            c.execute(
                "INSERT INTO sub_accounts (id, partner_code, owner, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![s.id, s.partner_code, s.owner, s.created_at_ms],
            )?;
            Ok(true)
        })
        .await
    }

    async fn get_sub_account(&self, id: &str) -> StoreResult<Option<SubAccount>> {
        let id = id.to_owned();
        self.read(move |c| {
            c.prepare_cached("SELECT id, partner_code, owner, created_at_ms FROM sub_accounts WHERE id = ?1")?
                .query_row([id], |r| {
                    Ok(SubAccount {
                        id: r.get(0)?,
                        partner_code: r.get(1)?,
                        owner: r.get(2)?,
                        created_at_ms: r.get(3)?,
                    })
                })
                .optional()
        })
        .await
    }

    async fn create_order(&self, o: &Order) -> StoreResult<CreateOutcome> {
        let o = o.clone();
        self.write(move |c| {
            let n = c
                .prepare_cached(&format!(
                    "INSERT INTO orders ({ORDER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
                     ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24) ON CONFLICT DO NOTHING"
                ))?
                .execute(params![
                    o.trans_id,
                    o.partner_code,
                    o.order_id,
                    o.kind.as_str(),
                    o.payment_method,
                    o.bank_code,
                    o.amount,
                    o.order_info,
                    o.client_ip,
                    o.notify_url,
                    o.redirect_url,
                    o.extra_data,
                    o.sub_account,
                    o.state.as_str(),
                    o.code.code(),
                    o.card.as_ref().map(|c| c.number_masked.clone()),
                    o.card.as_ref().map(|c| c.date.clone()),
                    o.card.as_ref().map(|c| c.name.clone()),
                    o.card.as_ref().map(|c| c.country.clone()),
                    o.qr_payload,
                    o.created_at_ms,
                    o.expires_at_ms,
                    o.updated_at_ms,
                    o.settled_at_ms,
                ])?;
            if n == 1 {
                return Ok(CreateOutcome::Created);
            }
            let dup: Option<i64> = c
                .prepare_cached("SELECT 1 FROM orders WHERE partner_code = ?1 AND order_id = ?2")?
                .query_row(params![o.partner_code, o.order_id], |r| r.get(0))
                .optional()?;
            Ok(if dup.is_some() { CreateOutcome::DuplicateOrderId } else { CreateOutcome::TransIdTaken })
        })
        .await
    }

    async fn get_order(&self, trans_id: &str) -> StoreResult<Option<Order>> {
        let id = trans_id.to_owned();
        self.read(move |c| {
            c.prepare_cached(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE trans_id = ?1"))?
                .query_row([id], order_from_row)
                .optional()
        })
        .await
    }

    async fn find_order(&self, partner_code: &str, order_id: &str) -> StoreResult<Option<Order>> {
        let (p, o) = (partner_code.to_owned(), order_id.to_owned());
        self.read(move |c| {
            c.prepare_cached(&format!("SELECT {ORDER_COLUMNS} FROM orders WHERE partner_code = ?1 AND order_id = ?2"))?
                .query_row([p, o], order_from_row)
                .optional()
        })
        .await
    }

    async fn apply_change(&self, ch: &StateChange) -> StoreResult<bool> {
        let ch = ch.clone();
        self.write(move |c| {
            let card = ch.card.as_ref();
            let n = c
                .prepare_cached(
                    "UPDATE orders SET state = ?1, error_code = ?2, updated_at_ms = ?3, \
                     settled_at_ms = CASE WHEN ?4 THEN ?3 ELSE settled_at_ms END, \
                     bank_code = COALESCE(?5, bank_code), payment_method = COALESCE(?6, payment_method), \
                     card_number = COALESCE(?7, card_number), card_date = COALESCE(?8, card_date), \
                     card_name = COALESCE(?9, card_name), card_country = COALESCE(?10, card_country) \
                     WHERE trans_id = ?11 AND state = ?12",
                )?
                .execute(params![
                    ch.to.as_str(),
                    ch.code.code(),
                    ch.now_ms,
                    ch.to.is_final(),
                    ch.bank_code,
                    ch.payment_method,
                    card.map(|c| c.number_masked.clone()),
                    card.map(|c| c.date.clone()),
                    card.map(|c| c.name.clone()),
                    card.map(|c| c.country.clone()),
                    ch.trans_id,
                    ch.from.as_str(),
                ])?;
            if n != 1 {
                return Ok(false);
            }
            if let Some(ob) = &ch.outbox {
                c.prepare_cached(
                    "INSERT INTO outbox (trans_id, partner_code, url, body, status, attempts, next_attempt_at_ms, \
                     locked_until_ms, created_at_ms) VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, 0, ?6)",
                )?
                .execute(params![
                    ch.trans_id,
                    ob.partner_code,
                    ob.url,
                    ob.body,
                    ob.first_attempt_at_ms,
                    ch.now_ms
                ])?;
            }
            Ok(true)
        })
        .await
    }

    async fn overdue_orders(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Order>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {ORDER_COLUMNS} FROM orders WHERE state = 'pending' AND expires_at_ms <= ?1 \
                 ORDER BY expires_at_ms LIMIT ?2"
            ))?;
            let rows = st.query_map(params![now_ms, limit], order_from_row)?;
            rows.collect()
        })
        .await
    }

    async fn claim_outbox(&self, now_ms: i64, lease_until_ms: i64, limit: u32) -> StoreResult<Vec<OutboxItem>> {
        self.write(move |c| {
            let mut st = c.prepare_cached(
                "UPDATE outbox SET locked_until_ms = ?1, attempts = attempts + 1 WHERE id IN \
                 (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at_ms <= ?2 AND locked_until_ms <= ?2 \
                  ORDER BY next_attempt_at_ms LIMIT ?3) \
                 RETURNING id, trans_id, partner_code, url, body, attempts",
            )?;
            let rows = st.query_map(params![lease_until_ms, now_ms, limit], |r| {
                Ok(OutboxItem {
                    id: r.get(0)?,
                    trans_id: r.get(1)?,
                    partner_code: r.get(2)?,
                    url: r.get(3)?,
                    body: r.get(4)?,
                    attempt: r.get(5)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    async fn finish_attempt(&self, a: &AttemptRecord, next: NextStep) -> StoreResult<()> {
        let a = a.clone();
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO ipn_attempts (outbox_id, attempt, at_ms, http_status, error, latency_ms, response_head) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                a.outbox_id,
                a.attempt,
                a.at_ms,
                a.http_status,
                a.error,
                a.latency_ms,
                a.response_head
            ])?;
            let now = crate::now_ms();
            let (status, next_at, finished): (&str, Option<i64>, Option<i64>) = match next {
                NextStep::Delivered => ("delivered", None, Some(now)),
                NextStep::RetryAt(t) => ("pending", Some(t), None),
                NextStep::GiveUp => ("failed", None, Some(now)),
            };
            // Only the row's latest attempt moves it on, and a delivery always does: a
            // late failure never undoes a delivery nor overrides a newer attempt.
            c.prepare_cached(
                "UPDATE outbox SET status = ?1, next_attempt_at_ms = COALESCE(?2, next_attempt_at_ms), \
                 locked_until_ms = 0, finished_at_ms = ?3 WHERE id = ?4 AND \
                 ((status = 'pending' AND attempts = ?5) OR (?1 = 'delivered' AND status <> 'delivered'))",
            )?
            .execute(params![status, next_at, finished, a.outbox_id, a.attempt])?;
            Ok(())
        })
        .await
    }

    async fn next_outbox_due(&self) -> StoreResult<Option<i64>> {
        self.read(|c| {
            c.prepare_cached(
                "SELECT MIN(MAX(next_attempt_at_ms, locked_until_ms)) FROM outbox WHERE status = 'pending'",
            )?
            .query_row([], |r| r.get(0))
        })
        .await
    }

    async fn outbox_depth(&self) -> StoreResult<i64> {
        self.read(|c| {
            c.prepare_cached("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")?.query_row([], |r| r.get(0))
        })
        .await
    }

    async fn release_leases(&self) -> StoreResult<()> {
        self.write(|c| c.execute("UPDATE outbox SET locked_until_ms = 0 WHERE status = 'pending'", []).map(|_| ()))
            .await
    }

    async fn deliveries(&self, trans_id: &str) -> StoreResult<Vec<Delivery>> {
        let id = trans_id.to_owned();
        self.read(move |c| {
            let mut st =
                c.prepare_cached("SELECT id, url, body, status FROM outbox WHERE trans_id = ?1 ORDER BY id")?;
            let rows: Vec<(i64, String, String, String)> =
                st.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?;
            let mut out = Vec::with_capacity(rows.len());
            for (oid, url, body, status) in rows {
                let mut st = c.prepare_cached(
                    "SELECT outbox_id, attempt, at_ms, http_status, error, latency_ms, response_head FROM ipn_attempts \
                     WHERE outbox_id = ?1 ORDER BY id",
                )?;
                let attempts = st.query_map([oid], attempt_from_row)?.collect::<Result<_, _>>()?;
                out.push(Delivery { id: oid, url, body, status, attempts });
            }
            Ok(out)
        })
        .await
    }

    async fn create_refund(&self, refund: &Refund, min_amount: i64) -> StoreResult<RefundCreate> {
        let r = refund.clone();
        // One write closure is one atomic step of the single writer: the sums read
        // here cannot change before the insert.
        self.write(move |c| create_refund_tx(c, &r, min_amount)).await
    }

    async fn update_refund(&self, ch: &RefundChange) -> StoreResult<bool> {
        let ch = ch.clone();
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE refunds SET status = ?1, updated_at_ms = ?2, due_at_ms = ?3 \
                     WHERE refund_id = ?4 AND status = ?5",
                )?
                .execute(params![ch.to.as_str(), ch.now_ms, ch.due_at_ms, ch.refund_id, ch.from.as_str()])?;
            Ok(n == 1)
        })
        .await
    }

    async fn get_refund(&self, refund_id: &str) -> StoreResult<Option<Refund>> {
        let id = refund_id.to_owned();
        self.read(move |c| {
            c.prepare_cached(&format!("SELECT {REFUND_COLUMNS} FROM refunds r WHERE r.refund_id = ?1"))?
                .query_row([id], refund_from_row)
                .optional()
        })
        .await
    }

    async fn find_refund(&self, partner_code: &str, refund_original_id: &str) -> StoreResult<Option<Refund>> {
        let (p, id) = (partner_code.to_owned(), refund_original_id.to_owned());
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {REFUND_COLUMNS} FROM refunds r WHERE r.partner_code = ?1 AND r.refund_original_id = ?2"
            ))?
            .query_row([p, id], refund_from_row)
            .optional()
        })
        .await
    }

    async fn order_refunds(&self, trans_id: &str) -> StoreResult<Vec<Refund>> {
        let id = trans_id.to_owned();
        self.read(move |c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {REFUND_COLUMNS} FROM refunds r WHERE r.trans_id = ?1 ORDER BY r.created_at_ms, r.seq"
            ))?;
            let rows = st.query_map([id], refund_from_row)?;
            rows.collect()
        })
        .await
    }

    async fn refund_totals(&self, trans_id: &str) -> StoreResult<RefundTotals> {
        let id = trans_id.to_owned();
        self.read(move |c| refund_totals(c, &id)).await
    }

    async fn list_refunds(
        &self,
        partner_code: &str,
        filter: &RefundFilter,
        offset: u64,
        limit: u32,
    ) -> StoreResult<RefundPage> {
        let (clause, mut args) = refund_filter_sql(partner_code, filter);
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        self.read(move |c| {
            // One read transaction: the page and its totals come from one snapshot.
            let tx = c.unchecked_transaction()?;
            let from = format!("FROM refunds r JOIN orders o ON o.trans_id = r.trans_id WHERE {clause}");
            let (total, total_amount): (i64, i64) = tx
                .prepare(&format!("SELECT COUNT(*), COALESCE(SUM(r.amount), 0) {from}"))?
                .query_row(params_from_iter(args.iter().map(|a| a as &dyn ToSql)), |r| Ok((r.get(0)?, r.get(1)?)))?;
            let n = args.len();
            args.push(Box::new(i64::from(limit)));
            args.push(Box::new(offset));
            let mut st = tx.prepare(&format!(
                "SELECT {REFUND_COLUMNS} {from} ORDER BY r.created_at_ms DESC, r.seq DESC LIMIT ?{} OFFSET ?{}",
                n + 1,
                n + 2
            ))?;
            let items = st
                .query_map(params_from_iter(args.iter().map(|a| a as &dyn ToSql)), refund_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            drop(st);
            tx.commit()?;
            Ok(RefundPage { items, total: u64::try_from(total).unwrap_or_default(), total_amount })
        })
        .await
    }

    async fn due_refunds(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Refund>> {
        self.read(move |c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {REFUND_COLUMNS} FROM refunds r WHERE r.status IN ('pending', 'processing') \
                 AND r.due_at_ms <= ?1 ORDER BY r.due_at_ms LIMIT ?2"
            ))?;
            let rows = st.query_map(params![now_ms, limit], refund_from_row)?;
            rows.collect()
        })
        .await
    }

    async fn get_checkout(&self, trans_id: &str) -> StoreResult<Option<Checkout>> {
        let id = trans_id.to_owned();
        self.read(move |c| {
            c.prepare_cached(&format!("SELECT {CHECKOUT_COLUMNS} FROM checkout_sessions WHERE trans_id = ?1"))?
                .query_row([id], checkout_from_row)
                .optional()
        })
        .await
    }

    async fn put_checkout(&self, co: &Checkout) -> StoreResult<()> {
        let co = co.clone();
        self.write(move |c| {
            let card = co.card.as_ref();
            c.prepare_cached(&format!(
                "INSERT INTO checkout_sessions ({CHECKOUT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, \
                 ?11, ?12) ON CONFLICT (trans_id) DO UPDATE SET method = excluded.method, \
                 bank_code = excluded.bank_code, card_number = excluded.card_number, card_date = excluded.card_date, \
                 card_name = excluded.card_name, card_country = excluded.card_country, \
                 card_bank = excluded.card_bank, card_outcome = excluded.card_outcome, \
                 process_due_ms = excluded.process_due_ms, \
                 updated_at_ms = excluded.updated_at_ms"
            ))?
            .execute(params![
                co.trans_id,
                co.method,
                co.bank_code,
                card.map(|p| p.card.number_masked.clone()),
                card.map(|p| p.card.date.clone()),
                card.map(|p| p.card.name.clone()),
                card.map(|p| p.card.country.clone()),
                card.map(|p| p.bank_code.clone()),
                card.map(|p| p.outcome.code()),
                co.otp_failures,
                co.process_due_ms,
                co.updated_at_ms,
            ])?;
            Ok(())
        })
        .await
    }

    async fn claim_jti(&self, partner_code: &str, jti: &str, expires_at_ms: i64, now_ms: i64) -> StoreResult<bool> {
        let (partner, jti) = (partner_code.to_owned(), jti.to_owned());
        self.write(move |c| {
            let n = c
                .prepare_cached(
                    "INSERT INTO jwt_ids (partner_code, jti, expires_at_ms) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (partner_code, jti) DO UPDATE SET expires_at_ms = excluded.expires_at_ms \
                     WHERE jwt_ids.expires_at_ms < ?4",
                )?
                .execute(params![partner, jti, expires_at_ms, now_ms])?;
            Ok(n == 1)
        })
        .await
    }

    async fn prune_jtis(&self, now_ms: i64) -> StoreResult<u64> {
        self.write(move |c| {
            let n = c.prepare_cached("DELETE FROM jwt_ids WHERE expires_at_ms < ?1")?.execute(params![now_ms])?;
            Ok(n as u64)
        })
        .await
    }

    async fn add_wrong_otp(&self, trans_id: &str, now_ms: i64) -> StoreResult<u32> {
        let id = trans_id.to_owned();
        self.write(move |c| {
            let n: Option<u32> = c
                .prepare_cached(
                    "UPDATE checkout_sessions SET otp_failures = otp_failures + 1, updated_at_ms = ?2 \
                     WHERE trans_id = ?1 RETURNING otp_failures",
                )?
                .query_row(params![id, now_ms], |r| r.get(0))
                .optional()?;
            Ok(n.unwrap_or(0))
        })
        .await
    }

    async fn due_processing(&self, now_ms: i64, limit: u32) -> StoreResult<Vec<Checkout>> {
        self.read(move |c| {
            let cols = CHECKOUT_COLUMNS.split(", ").map(|col| format!("c.{col}")).collect::<Vec<_>>().join(", ");
            let mut st = c.prepare_cached(&format!(
                "SELECT {cols} FROM checkout_sessions c JOIN orders o ON o.trans_id = c.trans_id \
                 WHERE c.process_due_ms IS NOT NULL AND c.process_due_ms <= ?1 AND o.state = 'processing' \
                 ORDER BY c.process_due_ms LIMIT ?2"
            ))?;
            let rows = st.query_map(params![now_ms, limit], checkout_from_row)?;
            rows.collect()
        })
        .await
    }
}

#[cfg(test)]
mod wal_tests {
    use super::*;

    /// Writes 32,000 rows of about 230 bytes from 16 tasks; returns the largest size
    /// the WAL file reached and the rows found afterwards.
    async fn sustained_writes(restart_frames: i64) -> (u64, i64) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("wal.db");
        let store = Arc::new(SqliteStore::open_with(&path, restart_frames).await.expect("open"));
        let mut tasks = Vec::new();
        for t in 0..16 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..2_000 {
                    let jti = format!("task-{t}-{i}-{}", "x".repeat(200));
                    assert!(store.claim_jti("P", &jti, i64::MAX, 0).await.expect("claim"));
                }
            }));
        }
        let wal = dir.path().join("wal.db-wal");
        let mut largest = 0;
        while tasks.iter().any(|t| !t.is_finished()) {
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        for t in tasks {
            t.await.expect("writer task");
        }
        let rows = store.read(|c| c.query_row("SELECT count(*) FROM jwt_ids", [], |r| r.get(0))).await.expect("count");
        (largest, rows)
    }

    /// Under sustained writes the WAL keeps starting over instead of growing with every
    /// commit, and nothing written is lost on the way.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn the_wal_starts_over_under_sustained_writes() {
        // Never started over (what SQLite does alone while writes never pause).
        let (unbounded, rows) = sustained_writes(i64::MAX).await;
        assert_eq!(rows, 32_000);
        // Started over from 256 frames (1 MiB) rather than 256 MiB, so a test sees it.
        let (bounded, rows) = sustained_writes(256).await;
        eprintln!("largest WAL: {bounded} bytes started over, {unbounded} bytes never started over");
        assert_eq!(rows, 32_000, "every acknowledged write is there");
        assert!(
            bounded * 3 < unbounded,
            "the WAL reached {bounded} bytes, against {unbounded} when it never starts over"
        );
    }
}
