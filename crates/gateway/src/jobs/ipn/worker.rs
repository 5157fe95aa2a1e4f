//! The IPN outbox worker.

use super::resolver::GuardedResolver;
use crate::core::{Gateway, now_ms};
use crate::domain::outbound::OutboundGuard;
use crate::domain::records::{AttemptRecord, IpnOutcome, OutboxItem};
use crate::metrics;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Bytes of an answer kept with the attempt.
const HEAD_BYTES: usize = 1024;
/// Bytes of an answer read at most.
const READ_CAP: usize = 4096;

/// The outcome of one POST.
#[derive(Debug)]
struct Outcome {
    delivered: bool,
    http_status: Option<u16>,
    error: Option<String>,
    head: String,
    outcome: IpnOutcome,
}

/// Builds the guarded HTTP client of IPN deliveries: no proxy, no redirects, a
/// timeout per attempt, and a resolver that refuses non-allowed addresses.
pub fn client(gw: &Gateway) -> Result<(reqwest::Client, Arc<OutboundGuard>), reqwest::Error> {
    let guard = Arc::new(gw.outbound().delivery_guard());
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(gw.config().ipn_timeout)
        .connect_timeout(gw.config().ipn_timeout)
        .user_agent(concat!("appotapay-gateway/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver(guard.clone())))
        .build()?;
    Ok((client, guard))
}

async fn post(client: &reqwest::Client, guard: &OutboundGuard, url: &str, body: &str) -> Outcome {
    let fail = |outcome, error: String| Outcome {
        delivered: false,
        http_status: None,
        error: Some(error),
        head: String::new(),
        outcome,
    };
    let parsed = match url::Url::parse(url) {
        Ok(u) => u,
        Err(e) => return fail(IpnOutcome::Blocked, format!("invalid URL: {e}")),
    };
    if let Err(e) = guard.check_url(&parsed) {
        return fail(IpnOutcome::Blocked, e);
    }
    let resp = client
        .post(parsed)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await;
    let mut resp = match resp {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return fail(IpnOutcome::Timeout, "timed out".into()),
        Err(e) => return fail(IpnOutcome::ConnectError, error_chain(&e)),
    };
    let status = resp.status().as_u16();
    let mut buf: Vec<u8> = Vec::new();
    let mut read_error = None;
    while buf.len() < READ_CAP {
        match resp.chunk().await {
            Ok(Some(chunk)) => buf.extend_from_slice(&chunk[..chunk.len().min(READ_CAP - buf.len())]),
            Ok(None) => break,
            Err(e) => {
                read_error =
                    Some(if e.is_timeout() { "timed out reading the answer".to_owned() } else { error_chain(&e) });
                break;
            }
        }
    }
    let head = String::from_utf8_lossy(&buf[..buf.len().min(HEAD_BYTES)]).into_owned();
    if let Some(e) = read_error {
        return Outcome {
            delivered: false,
            http_status: Some(status),
            error: Some(e),
            head,
            outcome: IpnOutcome::Timeout,
        };
    }
    let ok_body = serde_json::from_slice::<serde_json::Value>(&buf)
        .ok()
        .is_some_and(|v| v.get("status").and_then(|s| s.as_str()) == Some("ok"));
    match (status, ok_body) {
        (200, true) => {
            Outcome { delivered: true, http_status: Some(200), error: None, head, outcome: IpnOutcome::Delivered }
        }
        (200, false) => Outcome {
            delivered: false,
            http_status: Some(200),
            error: Some("the answer is not {\"status\":\"ok\"}".into()),
            head,
            outcome: IpnOutcome::BadBody,
        },
        (s, _) => Outcome {
            delivered: false,
            http_status: Some(s),
            error: Some(format!("HTTP {s}")),
            head,
            outcome: IpnOutcome::HttpError,
        },
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

async fn deliver(gw: Arc<Gateway>, client: reqwest::Client, guard: Arc<OutboundGuard>, item: OutboxItem) {
    let at_ms = now_ms();
    let started = Instant::now();
    let out = post(&client, &guard, &item.url, &item.body).await;
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
    if let Err(e) = gw.record_ipn_attempt(&record, next).await {
        // The lease runs out and the row is claimed again: at-least-once.
        tracing::error!(trans_id = %item.trans_id, error = %e, "could not record an IPN attempt");
    }
}

/// Runs the worker until `shutdown` fires, then waits for deliveries in flight.
pub async fn run(gw: Arc<Gateway>, shutdown: CancellationToken) {
    let (client, guard) = match client(&gw) {
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
