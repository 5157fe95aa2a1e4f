//! SQLite backend: one writer thread with group commit, a small pool of readers.
//!
//! SQLite allows one writer at a time, and a commit costs an fsync-ish barrier. Rather
//! than have every request fight for the write lock, all writes are sent to one
//! thread that owns the write connection; it takes every job waiting in its queue,
//! runs each inside its own savepoint, commits them together, and only then answers
//! each caller (`writer`). Throughput grows with load while every acknowledged
//! write is committed. Reads run on separate connections (WAL lets them proceed
//! during writes). Checkpoints run on a thread of their own, and the writer bounds
//! the WAL (`checkpoint`).
//!
//! The statements are those of [`crate::store::sql`], with SQLite's placeholders;
//! `ports` runs them (the bank feeds' credits in `credits`, the sandbox's test kit
//! and request log in `sandbox`, the console's in `console` and `stats`), each
//! statement prepared once per connection (`prepared`). Every write is one writer
//! job, so a port method's statements are one atomic step of the single writer.
//!
//! Opening: the switch to WAL takes an exclusive lock without waiting for it (SQLite
//! does not call the busy handler there), so several handles opening a new file at
//! once could fail with "database is locked". Opens in one process are serialised
//! (`OPENING`), and the switch is retried while the file is busy, for as long as
//! any other statement would wait (`BUSY_TIMEOUT`), for opens from other processes.
//! The files' modes and the serving process's lock are in `files`.

mod checkpoint;
mod console;
mod credits;
mod files;
mod ports;
mod sandbox;
mod stats;
mod writer;

use crate::store::sql::{Sql, SqlRow, Value};
use crate::store::{StoreError, StoreResult};
use rusqlite::{Connection, OptionalExtension, Statement, params, params_from_iter};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, mpsc};
use tokio::sync::{Semaphore, oneshot};
use writer::{Closure, Job};

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../../migrations/sqlite/0001_init.sql")),
    (2, include_str!("../../../migrations/sqlite/0002_checkout.sql")),
    (3, include_str!("../../../migrations/sqlite/0003_refunds.sql")),
    (4, include_str!("../../../migrations/sqlite/0004_jwt_ids.sql")),
    (5, include_str!("../../../migrations/sqlite/0005_meta.sql")),
    (6, include_str!("../../../migrations/sqlite/0006_key_rotation.sql")),
    (7, include_str!("../../../migrations/sqlite/0007_idempotency.sql")),
    (8, include_str!("../../../migrations/sqlite/0008_bank_feeds.sql")),
    (9, include_str!("../../../migrations/sqlite/0009_request_log.sql")),
    (10, include_str!("../../../migrations/sqlite/0010_test_kit.sql")),
    (11, include_str!("../../../migrations/sqlite/0011_api_versions.sql")),
    (12, include_str!("../../../migrations/sqlite/0012_console.sql")),
    (13, include_str!("../../../migrations/sqlite/0013_console_stats.sql")),
    (14, include_str!("../../../migrations/sqlite/0014_request_log_counts.sql")),
];
const READERS: usize = 4;
/// How long a statement waits for a lock another connection holds.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);
/// Opens of a database file in this process, one at a time (see the module
/// documentation).
static OPENING: Mutex<()> = Mutex::new(());

/// Whether a store holds its file for this process alone (see `files`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// The serving process: it holds `<database>.lock`, and a second serving store on
    /// the file, in this process or another, is refused.
    Exclusive,
    /// An administration command or a tool: beside a serving process.
    Shared,
}

/// The SQLite store.
pub struct SqliteStore {
    writer: mpsc::Sender<Job>,
    readers: Arc<Mutex<Vec<Connection>>>,
    read_slots: Arc<Semaphore>,
    /// Dropped with the store, which stops the checkpointer.
    _checkpointer: mpsc::Sender<()>,
    /// The serving process's lock on the file ([`Access::Exclusive`]).
    _lock: Option<files::ProcessLock>,
    /// The directory of the database file, whose free space the health check reads.
    dir: std::path::PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteStore")
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Database(e.to_string())
    }
}

/// Prepared statements kept per connection. Every port prepares its statements
/// through the cache; rusqlite's default of 16 is fewer than the statements one
/// connection runs, so a busy writer parsed the same ones again and again.
const STATEMENT_CACHE: usize = 128;

fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL: readers never block the writer. synchronous=NORMAL in WAL mode is durable
    // across a process crash (kill -9); only an OS crash or power loss can lose the
    // last commits.
    switch_to_wal(&conn)?;
    conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
    Ok(conn)
}

/// `PRAGMA journal_mode=WAL`, retried while another connection holds the lock it
/// needs: SQLite answers SQLITE_BUSY there at once rather than wait.
fn switch_to_wal(conn: &Connection) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => return Ok(()),
            Err(e) if is_busy(&e) && std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Whether SQLite answered that another connection holds a lock.
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked))
}

/// Applies the migrations not yet applied, each in a transaction of its own that
/// records it (`BEGIN IMMEDIATE`: two processes opening one file apply each once).
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS schema_migrations \
         (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL); COMMIT",
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

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies migrations.
    pub async fn open(path: &Path, access: Access) -> StoreResult<SqliteStore> {
        Self::open_with(path, access, checkpoint::WAL_RESTART_FRAMES).await
    }

    /// [`SqliteStore::open`] with the WAL started over from `restart_frames` frames.
    async fn open_with(path: &Path, access: Access, restart_frames: i64) -> StoreResult<SqliteStore> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || Self::open_blocking(&path, access, restart_frames))
            .await
            .map_err(|e| StoreError::Database(e.to_string()))?
    }

    fn open_blocking(path: &Path, access: Access, restart_frames: i64) -> StoreResult<SqliteStore> {
        let opening = OPENING.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            files::create_private_dir(dir)?;
        }
        let lock = match access {
            Access::Exclusive => Some(files::lock_exclusive(path)?),
            Access::Shared => None,
        };
        files::prepare_database_file(path)?;
        let conn = connect(path)?;
        migrate(&conn)?;
        // The checkpointer thread does it (see the module documentation).
        conn.execute_batch(&format!(
            "PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit={};",
            checkpoint::WAL_SIZE_LIMIT
        ))?;
        let checkpoint_conn = connect(path)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let catch_up = Arc::new(AtomicBool::new(false));
        let writer_catch_up = catch_up.clone();
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint::checkpoint_loop(checkpoint_conn, stopped, catch_up, restart_frames))
            .map_err(|e| StoreError::Database(e.to_string()))?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let r = connect(path)?;
            r.execute_batch("PRAGMA query_only=ON;")?;
            readers.push(r);
        }
        let (tx, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || writer::writer_loop(conn, rx, writer_catch_up))
            .map_err(|e| StoreError::Database(e.to_string()))?;
        drop(opening);
        Ok(SqliteStore {
            writer: tx,
            readers: Arc::new(Mutex::new(readers)),
            read_slots: Arc::new(Semaphore::new(READERS)),
            _checkpointer: stop,
            _lock: lock,
            dir: path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf(),
        })
    }

    /// Runs `f` as one job of the writer; answers once its batch is committed.
    async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.send(f, true).await
    }

    /// [`Self::write`] for a job that changes the database by one statement at most
    /// (and may read): it runs without a savepoint of its own. A statement that fails
    /// is rolled back by SQLite alone (its statement journal), and one whose failure
    /// ends the whole transaction is caught by the batch as for any job; the
    /// savepoint, two more statements each time, would add nothing.
    async fn write_one<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.send(f, false).await
    }

    /// Queues `f` for the writer, inside a savepoint of its own or not.
    async fn send<T, F>(&self, f: F, savepoint: bool) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel::<StoreResult<T>>();
        let job: Job = Box::new(Closure { f, reply, savepoint });
        self.writer.send(job).map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs `f` on a reader connection, off the async threads.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let permit = self.read_slots.clone().acquire_owned().await.map_err(|_| StoreError::Closed)?;
        let pool = self.readers.clone();
        tokio::task::spawn_blocking(move || {
            let conn = pool.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let Some(conn) = conn else {
                return Err(StoreError::Database("no reader connection available".into()));
            };
            let result = f(&conn);
            pool.lock().unwrap_or_else(|e| e.into_inner()).push(conn);
            drop(permit);
            result
        })
        .await
        .map_err(|e| StoreError::Database(e.to_string()))?
    }
}

/// The statement's SQLite text, prepared (cached on the connection).
fn prepared<'c>(c: &'c Connection, sql: &Sql) -> rusqlite::Result<rusqlite::CachedStatement<'c>> {
    c.prepare_cached(sql.sqlite())
}

/// Runs a statement; returns the number of rows changed.
fn execute(st: &mut Statement<'_>, args: &[Value<'_>]) -> StoreResult<usize> {
    Ok(st.execute(params_from_iter(args))?)
}

/// The first row of a statement, decoded.
fn first<'s, T>(
    st: &'s mut Statement<'_>,
    args: &[Value<'_>],
    decode: impl FnOnce(&rusqlite::Row<'s>) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    let mut rows = st.query(params_from_iter(args))?;
    rows.next()?.map(decode).transpose()
}

/// Every row of a statement, decoded.
fn all<'s, T>(
    st: &'s mut Statement<'_>,
    args: &[Value<'_>],
    decode: impl Fn(&rusqlite::Row<'s>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut rows = st.query(params_from_iter(args))?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(decode(r)?);
    }
    Ok(out)
}

/// Whether a statement returns a row.
fn exists(st: &mut Statement<'_>, args: &[Value<'_>]) -> StoreResult<bool> {
    first(st, args, |r| r.int_opt(0)).map(|r| r.is_some())
}
