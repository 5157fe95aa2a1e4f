//! The checkpointer thread, and the WAL's bounds.
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
//!
//! A checkpoint that fails (a full disk, an I/O error) is retried at the next pass,
//! ten times a second: its warning is logged the first time, then once a minute with
//! the count of failures since ([`FailureLog`]), so a full disk is not filled further
//! by the log; `/metrics` shows the count of consecutive failures
//! (`appotapay_sqlite_checkpoint_failures`).

use rusqlite::Connection;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// WAL length (frames of one page) from which the writer is asked to let it start
/// over: 256 MiB with 4 KiB pages. Each restart pauses the writer for a time that
/// does not depend on the WAL's length (it copies what the last background pass
/// left), so rarer is better: at 64 MiB the pauses came every 0.6 s at half load and
/// set the p99.
pub(super) const WAL_RESTART_FRAMES: i64 = 65_536;
/// What the WAL file is truncated to when it starts over (bytes): above what it
/// reaches, as truncating a large file is itself a long pause (about 100 ms).
pub(super) const WAL_SIZE_LIMIT: i64 = 320 * 1024 * 1024;
/// How often the checkpointer runs. A checkpoint still slows the commits running
/// beside it (its page copies share the disk and the CPUs) in proportion to its
/// size: small and frequent is better. Measured at half of saturation (5 s phases):
/// every 1 s gave a p99 of 30–37 ms, every 250 ms 8–10 ms, every 100 ms 5–8 ms.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(100);
/// How often a run of failing checkpoints is logged after its first failure.
const FAILURE_REPORT_EVERY: Duration = Duration::from_secs(60);

/// What to log of a checkpoint that failed.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Report {
    /// The first failure of a run: log it.
    First,
    /// A minute has passed since the last report: log the failures since then.
    Since(u64),
    /// Nothing.
    Quiet,
}

/// The rate limit of the checkpointer's warnings: the time is given, never read, so
/// that it is a pure function of the failures and their times.
#[derive(Debug, Default)]
pub(super) struct FailureLog {
    consecutive: u64,
    unreported: u64,
    last_report: Option<Instant>,
}

impl FailureLog {
    /// A checkpoint failed at `now`.
    pub(super) fn failed(&mut self, now: Instant) -> Report {
        self.consecutive += 1;
        match self.last_report {
            None => {
                self.last_report = Some(now);
                Report::First
            }
            Some(last) if now.saturating_duration_since(last) >= FAILURE_REPORT_EVERY => {
                self.last_report = Some(now);
                Report::Since(std::mem::take(&mut self.unreported) + 1)
            }
            Some(_) => {
                self.unreported += 1;
                Report::Quiet
            }
        }
    }

    /// A checkpoint succeeded: returns the length of the run of failures it ends (0
    /// when there was none).
    pub(super) fn succeeded(&mut self) -> u64 {
        let ended = self.consecutive;
        *self = FailureLog::default();
        ended
    }

    /// Failures since the last success.
    pub(super) fn consecutive(&self) -> u64 {
        self.consecutive
    }
}

/// Copies committed WAL frames into the database file, without ever blocking the
/// writer (`PASSIVE`), until the store is dropped. Once the WAL holds
/// `restart_frames` frames, it asks the writer to finish the copy (`catch_up`) so
/// that the WAL can start over.
pub(super) fn checkpoint_loop(
    conn: Connection,
    stop: mpsc::Receiver<()>,
    catch_up: Arc<AtomicBool>,
    restart_frames: i64,
) {
    let mut failures = FailureLog::default();
    crate::metrics::sqlite_checkpoint_failures(0);
    while let Err(mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        match checkpoint(&conn, "background") {
            Ok(frames) => {
                let ended = failures.succeeded();
                if ended > 0 {
                    tracing::info!(failures = ended, "WAL checkpoints succeed again");
                    crate::metrics::sqlite_checkpoint_failures(0);
                }
                // Frames in the WAL. The catch-up still costs the writer a pause (the
                // last frames and the fsyncs), so it is asked for only once the WAL is
                // this long.
                if frames >= restart_frames {
                    catch_up.store(true, Ordering::Release);
                }
            }
            Err(e) => {
                match failures.failed(Instant::now()) {
                    Report::First => tracing::warn!(error = %e, "WAL checkpoint failed; retrying every 100 ms"),
                    Report::Since(n) => {
                        tracing::warn!(error = %e, failures = n, "WAL checkpoints still failing (failures in the last minute)")
                    }
                    Report::Quiet => {}
                }
                crate::metrics::sqlite_checkpoint_failures(failures.consecutive());
            }
        }
    }
}

/// One passive checkpoint, timed for `/metrics`; returns the WAL's length in frames.
pub(super) fn checkpoint(conn: &Connection, by: &'static str) -> rusqlite::Result<i64> {
    let started = std::time::Instant::now();
    let frames = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get::<_, i64>(1))?;
    crate::metrics::sqlite_checkpoint(by, started.elapsed().as_secs_f64(), frames);
    Ok(frames)
}

#[cfg(test)]
mod failure_log_tests {
    use super::*;

    #[test]
    fn a_run_of_failures_is_reported_first_then_once_a_minute() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut log = FailureLog::default();
        assert_eq!(log.failed(at(0)), Report::First);
        // Ten a second for a minute: quiet.
        for i in 1..600 {
            assert_eq!(log.failed(at(i * 100)), Report::Quiet, "failure {i}");
        }
        assert_eq!(log.consecutive(), 600);
        // A minute after the first report: the failures since it, this one included.
        assert_eq!(log.failed(at(60_000)), Report::Since(600));
        assert_eq!(log.failed(at(60_100)), Report::Quiet);
        assert_eq!(log.failed(at(119_999)), Report::Quiet);
        assert_eq!(log.failed(at(120_000)), Report::Since(3));
        assert_eq!(log.consecutive(), 604);
        // A success ends the run; the next failure is a first one again.
        assert_eq!(log.succeeded(), 604);
        assert_eq!(log.consecutive(), 0);
        assert_eq!(log.succeeded(), 0);
        assert_eq!(log.failed(at(120_100)), Report::First);
    }
}

#[cfg(test)]
mod wal_tests {
    use super::super::SqliteStore;
    use crate::store::prelude::*;
    use std::sync::Arc;

    /// Writes 32,000 rows of about 230 bytes from 16 tasks; returns the largest size
    /// the WAL file reached and the rows found afterwards.
    async fn sustained_writes(restart_frames: i64) -> (u64, i64) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("wal.db");
        let store = Arc::new(
            SqliteStore::open_with(&path, super::super::Access::Exclusive, restart_frames).await.expect("open"),
        );
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
        let rows =
            store.read(|c| Ok(c.query_row("SELECT count(*) FROM jwt_ids", [], |r| r.get(0))?)).await.expect("count");
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
