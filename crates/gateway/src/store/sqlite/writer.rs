//! The writer thread: it owns the one write connection, takes every job waiting in
//! its queue (up to [`MAX_BATCH`]), runs each inside its own savepoint, commits them
//! together, and only then answers each caller. A job that fails rolls back to its
//! savepoint and fails alone; a commit that fails fails every job of the batch.

use super::checkpoint;
use crate::store::{StoreError, StoreResult};
use rusqlite::Connection;
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
}

impl<T, F> WriteJob for Closure<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> Completion {
        let Closure { f, reply } = *self;
        let result = run_in_savepoint(conn, f);
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
            if let Err(e) = checkpoint::checkpoint(&conn, "writer") {
                tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
            }
        }
    }
}

fn run_in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
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
