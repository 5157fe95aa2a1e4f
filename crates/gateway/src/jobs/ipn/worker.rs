//! The IPN outbox worker.

use crate::core::{Gateway, now_ms};
use crate::domain::outbound::OutboundGuard;
use crate::domain::records::{AttemptRecord, OutboxItem};
use crate::metrics;
use crate::notify::{self, post};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

async fn deliver(gw: Arc<Gateway>, client: reqwest::Client, guard: Arc<OutboundGuard>, item: OutboxItem) {
    let at_ms = now_ms();
    let started = Instant::now();
    let out = if item.lost {
        // A sandbox delivery fault: this attempt is lost on the way, as networks do.
        notify::Outcome {
            delivered: false,
            http_status: None,
            error: Some("lost on purpose (a scripted sandbox delivery fault): not sent".into()),
            head: String::new(),
            outcome: crate::domain::records::IpnOutcome::ConnectError,
            elapsed: Duration::ZERO,
        }
    } else {
        post(&client, &guard, &item.url, &item.body).await
    };
    let latency_ms = started.elapsed().as_millis() as i64;
    metrics::ipn_attempt(out.outcome.as_str());
    let next = gw.next_ipn_step(item.attempt, out.delivered);
    tracing::info!(
        trans_id = %item.trans_id,
        attempt = item.attempt,
        outcome = out.outcome.as_str(),
        http_status = out.http_status,
        latency_ms,
        next = ?next,
        "IPN attempt"
    );
    let record = AttemptRecord {
        outbox_id: item.id,
        attempt: item.attempt,
        at_ms,
        http_status: out.http_status,
        error: out.error,
        latency_ms,
        response_head: out.head,
    };
    if let Err(e) = gw.record_ipn_attempt(&item, &record, next).await {
        // The lease runs out and the row is claimed again: at-least-once.
        tracing::error!(trans_id = %item.trans_id, error = %e, "could not record an IPN attempt");
    }
}

/// Runs the worker until `shutdown` fires, then waits for deliveries in flight.
pub async fn run(gw: Arc<Gateway>, shutdown: CancellationToken) {
    let (client, guard) = match notify::client(gw.outbound().delivery_guard(), gw.config().ipn_timeout) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the IPN client; IPN delivery is off");
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(gw.config().ipn_concurrency));
    let lease_ms = gw.config().ipn_timeout.as_millis() as i64 + 5_000;
    let wake = gw.outbox_wake();
    let mut tasks = JoinSet::new();
    let mut last_gauge = Instant::now() - Duration::from_secs(60);
    loop {
        if shutdown.is_cancelled() {
            break;
        }
        while tasks.try_join_next().is_some() {}
        let free = slots.available_permits().min(256);
        let mut full_batch = false;
        if free > 0 {
            match gw.claim_ipns(now_ms() + lease_ms, free as u32).await {
                Ok(items) => {
                    full_batch = items.len() == free;
                    for item in items {
                        let Ok(permit) = slots.clone().acquire_owned().await else { break };
                        let (gw, client, guard) = (gw.clone(), client.clone(), guard.clone());
                        tasks.spawn(async move {
                            deliver(gw, client, guard, item).await;
                            drop(permit);
                        });
                    }
                }
                Err(e) => tracing::warn!(error = %e, "claiming IPN rows failed"),
            }
        }
        if last_gauge.elapsed() >= Duration::from_secs(5) {
            if let Ok(depth) = gw.outbox_depth().await {
                metrics::outbox_depth(depth);
            }
            last_gauge = Instant::now();
        }
        if full_batch && slots.available_permits() > 0 {
            continue;
        }
        let wait_ms = if slots.available_permits() == 0 {
            20
        } else {
            match gw.next_ipn_due().await {
                Ok(Some(due)) => (due - now_ms()).clamp(0, 1_000),
                _ => 1_000,
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(wait_ms as u64)) => {}
            _ = wake.notified() => {}
            _ = shutdown.cancelled() => {}
        }
    }
    // Graceful shutdown: finish (and record) the deliveries in flight.
    while tasks.join_next().await.is_some() {}
}
