//! The sweeper: the periodic work no request triggers. Every node runs one; each
//! step is a compare-and-set in the core, so nodes never double-apply anything.

use crate::core::Gateway;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Runs until `shutdown` is cancelled: expires overdue orders, prunes used JWT ids
/// (with the replay check on), forgets idempotency keys past their retention, moves
/// on refunds whose next step is due (a bank's delayed answer), judges again the bank
/// credits whose judging died with a node, and settles the card payments an issuer
/// kept processing.
pub async fn run(gw: Arc<Gateway>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(gw.config().sweep_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.cancelled() => return,
        }
        match gw.sweep_expired().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "expired overdue orders"),
            Err(e) => tracing::warn!(error = %e, "expiry sweep failed"),
        }
        if gw.config().jwt_replay_check {
            if let Err(e) = gw.prune_jtis().await {
                tracing::warn!(error = %e, "pruning used JWT ids failed");
            }
        }
        match gw.purge_idempotency_keys().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(keys = n, "forgot expired idempotency keys"),
            Err(e) => tracing::warn!(error = %e, "purging idempotency keys failed"),
        }
        match gw.sweep_refunds().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(refunds = n, "moved refunds on"),
            Err(e) => tracing::warn!(error = %e, "refund sweep failed"),
        }
        match gw.judge_stale_credits().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(credits = n, "judged bank credits whose judging had died"),
            Err(e) => tracing::warn!(error = %e, "judging stale bank credits failed"),
        }
        match gw.settle_due_processing().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(settled = n, "settled processing payments"),
            Err(e) => tracing::warn!(error = %e, "processing settlement failed"),
        }
    }
}
