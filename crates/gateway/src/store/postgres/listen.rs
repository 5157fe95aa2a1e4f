//! `LISTEN appotapay_outbox`: how a node learns that any node queued an IPN.
//!
//! Queuing an IPN sends `NOTIFY appotapay_outbox` in the same transaction (so the
//! notification is delivered at commit, and not at all on a rollback); every node
//! listens and wakes its worker. Polling stays as the fallback, so a lost
//! notification only delays a delivery.

use sqlx::postgres::PgListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The channel an IPN being queued is announced on.
pub const OUTBOX_CHANNEL: &str = "appotapay_outbox";

/// Wakes the local worker whenever any node queues an IPN. A lost connection is
/// re-established by the listener; notifications sent meanwhile are lost, so the
/// worker is woken once after a reconnection to look for itself.
pub(super) async fn listen(mut listener: PgListener, signal: Arc<Notify>) {
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
