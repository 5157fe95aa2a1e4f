//! The sandbox's request log in the core: recording partner API calls within the
//! configured bounds, and reading the log back for `logs tail`. What an entry keeps
//! and masks is the domain's ([`crate::domain::request_log`]); which calls are
//! recorded, and only in the sandbox, the API layer decides (`api::debugger`).
//!
//! Why entries go through a queue: recording must never slow a request, and one
//! write per call (an insert, the trims and their commit) cost more than the order
//! it recorded. So a call only queues its entry; one task per gateway takes
//! whatever is queued (up to [`BATCH`]) and writes it as one store call, trimming
//! once per partner. A developer's single calls are written at
//! once, each alone; under load the batches grow and the trims are shared. The queue
//! is bounded ([`QUEUE`]): beyond it an entry is dropped with a warning, and a
//! failed or slow write is logged and forgotten.

use super::{CoreError, Gateway, now_ms};
use crate::domain::request_log::{RequestEntry, Retention};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// Entries queued and not yet written, at most; one beyond is dropped.
pub const QUEUE: usize = 4096;

/// Entries written by one store call, at most.
pub const BATCH: usize = 256;

/// Time limit of one write.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// A gateway's request-log queue; its writer task starts with the first entry, on
/// the runtime that serves the gateway, and ends when the gateway is dropped.
#[derive(Debug, Default)]
pub(crate) struct RequestLogQueue {
    tx: OnceLock<mpsc::Sender<RequestEntry>>,
}

impl Gateway {
    /// Queues a call's entry for the request log; gives it back when the queue is
    /// full (it is not recorded). Must run inside the gateway's runtime.
    pub fn log_request(self: &Arc<Self>, entry: RequestEntry) -> Result<(), Box<RequestEntry>> {
        let tx = self.request_log.tx.get_or_init(|| {
            let (tx, rx) = mpsc::channel(QUEUE);
            tokio::spawn(write_queued(Arc::downgrade(self), rx));
            tx
        });
        tx.try_send(entry).map_err(|e| Box::new(e.into_inner()))
    }

    /// Records calls, forgetting entries older than `sandbox_request_log_ttl` and
    /// each partner's beyond its newest `sandbox_request_log_max`.
    pub async fn record_requests(&self, entries: &[RequestEntry]) -> Result<(), CoreError> {
        let ttl_ms = i64::try_from(self.config.sandbox_request_log_ttl.as_millis()).unwrap_or(i64::MAX);
        let keep = Retention { since_ms: now_ms().saturating_sub(ttl_ms), max: self.config.sandbox_request_log_max };
        Ok(self.store.insert_requests(entries, keep).await?)
    }

    /// Logged calls after `after_id`, of one partner when given, oldest first.
    pub async fn requests_after(
        &self,
        partner_code: Option<&str>,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<RequestEntry>, CoreError> {
        Ok(self.store.requests_after(partner_code, after_id, limit).await?)
    }

    /// Logged calls before `before_id`, of one partner when given, newest first.
    pub async fn requests_before(
        &self,
        partner_code: Option<&str>,
        before_id: i64,
        limit: u32,
    ) -> Result<Vec<RequestEntry>, CoreError> {
        Ok(self.store.requests_before(partner_code, before_id, limit).await?)
    }
}

/// The writer task: batches of what is queued, until the gateway is gone.
async fn write_queued(gw: Weak<Gateway>, mut rx: mpsc::Receiver<RequestEntry>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let Some(gw) = gw.upgrade() else { return };
        match tokio::time::timeout(WRITE_TIMEOUT, gw.record_requests(&batch)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, entries = batch.len(), "request log: entries were not recorded"),
            Err(_) => tracing::warn!(entries = batch.len(), "request log: a write timed out, its entries were dropped"),
        }
        batch.clear();
    }
}
