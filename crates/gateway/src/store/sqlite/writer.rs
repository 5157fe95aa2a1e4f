//! The writer thread: it owns the one write connection, takes every job waiting in
//! its queue (up to [`MAX_BATCH`]), runs each inside its own savepoint (or, for a
//! job of one change, inside SQLite's own statement rollback), commits them
//! together, and only then answers each caller. A job that fails rolls back to its
//! savepoint and fails alone; a commit that fails fails every job of the batch, and
//! so does a transaction SQLite rolls back on its own (see [`run_batch`]).

use super::checkpoint;
use crate::store::{StoreError, StoreResult};
use rusqlite::Connection;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// The most jobs committed together.
const MAX_BATCH: usize = 512;

type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A unit of work for the writer thread.
pub(super) trait WriteJob: Send {
    /// Runs inside the batch transaction; the returned completion answers the caller
    /// once the batch's commit is known.
    fn run(self: Box<Self>, conn: &Connection) -> Completion;
    /// Answers the caller without running (the batch could not start).
    fn abort(self: Box<Self>, error: String);
}

pub(super) type Job = Box<dyn WriteJob>;

/// A closure run by the writer, and where its result goes.
pub(super) struct Closure<T, F> {
    pub(super) f: F,
    pub(super) reply: oneshot::Sender<StoreResult<T>>,
    /// Whether `f` runs inside a savepoint of its own. Only a job that makes at most
    /// one change may go without ([`SqliteStore::write_one`]): a statement that
    /// fails is undone by SQLite itself, and the batch around it stays.
    ///
    /// [`SqliteStore::write_one`]: super::SqliteStore::write_one
    pub(super) savepoint: bool,
}

impl<T, F> WriteJob for Closure<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> Completion {
        let Closure { f, reply, savepoint } = *self;
        let result = if savepoint { run_in_savepoint(conn, f) } else { f(conn) };
        Box::new(move |commit: Result<(), String>| {
            let outcome = match commit {
                Ok(()) => result,
                Err(e) => Err(StoreError::Database(e)),
            };
            let _ = reply.send(outcome);
        })
    }

    fn abort(self: Box<Self>, error: String) {
        let _ = self.reply.send(Err(StoreError::Database(error)));
    }
}

/// Runs the jobs sent on `rx` in batches, one transaction per batch, until every
/// sender is gone. Between two batches, finishes the checkpoint the checkpointer
/// asked for (`catch_up`; see [`checkpoint`]).
pub(super) fn writer_loop(conn: Connection, rx: mpsc::Receiver<Job>, catch_up: Arc<AtomicBool>) {
    let mut pending: VecDeque<Job> = VecDeque::new();
    loop {
        if pending.is_empty() {
            match rx.recv() {
                Ok(job) => pending.push_back(job),
                Err(_) => break,
            }
        }
        while pending.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => pending.push_back(j),
                Err(_) => break,
            }
        }
        run_batch(&conn, &mut pending);
        // With no write running, this checkpoint copies what the background pass
        // left and completes, so the next transaction starts the WAL over.
        if catch_up.swap(false, Ordering::AcqRel) {
            if let Err(e) = checkpoint::checkpoint(&conn, "writer") {
                tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
            }
        }
    }
}

/// Runs the jobs of `pending` in one transaction, and answers them once its commit
/// is known.
///
/// SQLite may roll the whole transaction back on its own while a job runs (a full
/// disk, an I/O error, some constraint failures): the connection is then back in
/// autocommit, and a next job would run, and its savepoint commit, outside any
/// transaction, then be answered with the batch's failed commit. So after each job
/// the transaction is checked: once it has ended, the jobs run so far fail together
/// (nothing of theirs was kept), and those not yet run stay in `pending`, for the
/// next batch.
fn run_batch(conn: &Connection, pending: &mut VecDeque<Job>) {
    // `BEGIN` and `COMMIT` prepared once per connection, as the savepoints are.
    if let Err(e) = conn.prepare_cached("BEGIN IMMEDIATE").and_then(|mut s| s.execute([])) {
        let msg = e.to_string();
        for job in pending.drain(..) {
            job.abort(msg.clone());
        }
        return;
    }
    let mut completions: Vec<Completion> = Vec::with_capacity(pending.len());
    let mut ended = false;
    while let Some(job) = pending.pop_front() {
        completions.push(job.run(conn));
        if conn.is_autocommit() {
            ended = true;
            break;
        }
    }
    let commit = if ended {
        Err(ROLLED_BACK.to_owned())
    } else {
        conn.prepare_cached("COMMIT").and_then(|mut s| s.execute([])).map(|_| ()).map_err(|e| e.to_string())
    };
    if commit.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    for c in completions {
        c(commit.clone());
    }
}

/// The failure of the jobs whose transaction SQLite rolled back on its own.
const ROLLED_BACK: &str = "the database rolled the transaction back (disk full or I/O error?); nothing was written";

/// Runs `f` inside a savepoint. `SAVEPOINT` and `RELEASE` are prepared once per
/// connection (parsing them again for every job was a few percent of an order).
fn run_in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
    conn.prepare_cached("SAVEPOINT job")?.execute([])?;
    match f(conn) {
        Ok(v) => {
            conn.prepare_cached("RELEASE job")?.execute([])?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO job; RELEASE job");
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Access, SqliteStore};
    use super::*;

    /// Sends `f` to the writer at once (inside a savepoint of its own or not), and
    /// returns where its answer will come.
    fn send<T, F>(store: &SqliteStore, f: F, savepoint: bool) -> oneshot::Receiver<StoreResult<T>>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        store.writer.send(Box::new(Closure { f, reply, savepoint })).expect("writer runs");
        rx
    }

    fn stored_keys(c: &Connection) -> StoreResult<Vec<String>> {
        let mut st = c.prepare("SELECT key FROM gateway_meta WHERE value = 'v' ORDER BY key")?;
        let keys = st.query_map([], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(keys)
    }

    /// Holds the writer until the returned sender is used, so that the jobs sent
    /// meanwhile are taken as one batch.
    async fn hold(store: &SqliteStore) -> (std::sync::mpsc::Sender<()>, oneshot::Receiver<StoreResult<()>>) {
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let (running, started) = std::sync::mpsc::channel::<()>();
        let held = send(
            store,
            move |_| {
                let _ = running.send(());
                wait.recv().map_err(|e| StoreError::Database(e.to_string()))?;
                Ok(())
            },
            true,
        );
        started.recv().expect("the writer runs the holding job");
        (go, held)
    }

    /// A job without a savepoint whose one statement fails midway (its second row
    /// breaks `NOT NULL`) leaves nothing of that statement, and the jobs of its batch
    /// before and after it are committed: SQLite undoes the statement alone.
    #[tokio::test]
    async fn a_failed_statement_without_a_savepoint_fails_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("w.db"), Access::Exclusive).await.expect("open");
        let (go, held) = hold(&store).await;
        let before = send(&store, |c| insert(c, "before"), true);
        let fails = send(
            &store,
            |c| {
                c.execute("INSERT INTO gateway_meta (key, value) VALUES ('half-1', 'v'), ('half-2', NULL)", [])?;
                Ok(())
            },
            false,
        );
        let after = send(&store, |c| insert(c, "after"), false);
        go.send(()).expect("release the writer");
        held.await.expect("answer").expect("the first batch commits");
        fails.await.expect("answer").expect_err("NOT NULL");
        before.await.expect("answer").expect("committed");
        after.await.expect("answer").expect("committed");
        let keys = store.read(stored_keys).await.expect("read");
        assert_eq!(keys, vec!["after".to_owned(), "before".to_owned()], "nothing of the failed statement");
    }

    fn insert(c: &Connection, key: &str) -> StoreResult<()> {
        c.execute("INSERT INTO gateway_meta (key, value) VALUES (?1, 'v')", [key])?;
        Ok(())
    }

    /// A job whose transaction ends under it (here it rolls back itself; SQLite does
    /// the same on a full disk) fails with everything run before it in the batch,
    /// and the jobs after it run in a transaction of their own: none is committed
    /// while being answered with a failure, or answered with success while lost.
    #[tokio::test]
    async fn jobs_after_a_rolled_back_transaction_run_in_a_new_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = SqliteStore::open(&dir.path().join("w.db"), Access::Exclusive).await.expect("open");
        // Hold the writer so that the next jobs are queued and taken as one batch.
        let (go, held) = hold(&store).await;
        let before = send(&store, |c| insert(c, "before"), true);
        let rolls_back = send(
            &store,
            |c| {
                insert(c, "rolled-back")?;
                c.execute_batch("ROLLBACK")?;
                Ok(())
            },
            true,
        );
        let after = send(&store, |c| insert(c, "after"), true);
        go.send(()).expect("release the writer");
        held.await.expect("answer").expect("the first batch commits");
        assert!(before.await.expect("answer").is_err(), "rolled back with the batch");
        let e = rolls_back.await.expect("answer").expect_err("its transaction ended");
        assert!(e.to_string().contains("rolled the transaction back"), "{e}");
        after.await.expect("answer").expect("the next job runs and commits in a new batch");
        let keys = store.read(stored_keys).await.expect("read");
        assert_eq!(keys, vec!["after".to_owned()], "only what was acknowledged is stored");
    }
}
