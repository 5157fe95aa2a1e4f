//! Prometheus metrics: orders created and settled, refunds created and finished, IPN
//! attempts, outbox depth, request latency and SQLite's checkpoints. Recorded through
//! the `metrics` facade; rendered by `/metrics`.

use crate::domain::order::State;
use crate::domain::refund::RefundStatus;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::collections::HashMap;
use std::sync::OnceLock;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// How often the recorder folds recorded histogram samples into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Installs the process-wide recorder once and returns its handle.
///
/// The recorder keeps every histogram sample until it is folded into the buckets,
/// which happens on a scrape or an upkeep; with nobody scraping `/metrics`, the
/// request-latency samples alone grew the process by about 0.5 MB a second at
/// 15,000 requests a second (BENCHMARKS.md). So a thread of its own runs the upkeep
/// every few seconds, whether or not anyone scrapes.
pub fn handle() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Suffix("seconds".into()),
                    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
                )
                .ok()
                .and_then(|b| b.install_recorder().ok())?;
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "no metrics upkeep thread; histograms are folded only when scraped");
            }
            Some(handle)
        })
        .clone()
}

/// Who may read `/metrics` (setting `metrics_token`).
#[derive(Clone, PartialEq, Eq)]
pub enum MetricsAccess {
    /// Anyone who reaches the listener (sandbox without a token).
    Public,
    /// Requests with `Authorization: Bearer <token>`.
    Token(String),
    /// Nobody: not served (production without a token).
    Off,
}

impl std::fmt::Debug for MetricsAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shown = match self {
            MetricsAccess::Token(_) => "Token(***)",
            MetricsAccess::Public => "Public",
            MetricsAccess::Off => "Off",
        };
        f.write_str(shown)
    }
}

/// The shortest `metrics_token` accepted.
pub const MIN_METRICS_TOKEN: usize = 16;

impl MetricsAccess {
    /// The access a `metrics_token` setting gives: the token when one is set (at
    /// least [`MIN_METRICS_TOKEN`] printable characters), else public, or off in
    /// production. Errs with why a token is refused.
    pub fn from_setting(token: Option<String>, production: bool) -> Result<MetricsAccess, String> {
        match token.filter(|t| !t.is_empty()) {
            Some(t) if t.len() < MIN_METRICS_TOKEN || !t.bytes().all(|b| b.is_ascii_graphic()) => {
                Err(format!("expected at least {MIN_METRICS_TOKEN} printable characters without spaces"))
            }
            Some(t) => Ok(MetricsAccess::Token(t)),
            None if production => Ok(MetricsAccess::Off),
            None => Ok(MetricsAccess::Public),
        }
    }
}

/// An order was created.
pub fn order_created(method: &str) {
    metrics::counter!("appotapay_orders_created_total", "method" => method.to_owned()).increment(1);
}

/// An order reached a final state.
pub fn order_settled(method: &str, state: State) {
    metrics::counter!("appotapay_orders_settled_total", "method" => method.to_owned(), "result" => state.as_str())
        .increment(1);
}

/// A refund was admitted.
pub fn refund_created(method: &str) {
    metrics::counter!("appotapay_refunds_created_total", "method" => method.to_owned()).increment(1);
}

/// A refund reached a final status.
pub fn refund_finished(method: &str, status: RefundStatus) {
    metrics::counter!("appotapay_refunds_finished_total", "method" => method.to_owned(), "result" => status.as_str())
        .increment(1);
}

/// A bank feed reported a transaction (`fresh`: `new` or `duplicate`), by webhook or
/// reconciliation (`via`).
pub fn credit_received(provider: &'static str, via: &'static str, fresh: &'static str) {
    metrics::counter!("appotapay_bank_credits_received_total", "provider" => provider, "via" => via, "kind" => fresh)
        .increment(1);
}

/// A bank credit paid its order.
pub fn credit_matched(provider: &'static str) {
    metrics::counter!("appotapay_bank_credits_matched_total", "provider" => provider).increment(1);
}

/// A bank credit paid nothing, for `reason`.
pub fn credit_unmatched(reason: &'static str) {
    metrics::counter!("appotapay_bank_credits_unmatched_total", "reason" => reason).increment(1);
}

/// A bank feed's body could not be read (kept for the operator).
pub fn credit_unreadable(provider: &'static str) {
    metrics::counter!("appotapay_bank_feed_unreadable_total", "provider" => provider).increment(1);
}

/// A bank feed webhook was refused: missing or bad credential, or stale timestamp.
pub fn feed_auth_failure(provider: &'static str) {
    metrics::counter!("appotapay_bank_feed_auth_failures_total", "provider" => provider).increment(1);
}

/// A reconciliation of a bank feed ended with `outcome` (`ok`, `rate_limited`, `error`).
pub fn reconciliation(provider: &'static str, outcome: &'static str) {
    metrics::counter!("appotapay_bank_feed_reconciliations_total", "provider" => provider, "outcome" => outcome)
        .increment(1);
}

/// An IPN attempt ended with `outcome`.
pub fn ipn_attempt(outcome: &'static str) {
    metrics::counter!("appotapay_ipn_attempts_total", "outcome" => outcome).increment(1);
}

/// Rows waiting in the IPN outbox.
pub fn outbox_depth(depth: i64) {
    metrics::gauge!("appotapay_outbox_depth").set(depth as f64);
}

/// A SQLite checkpoint (`by` the background checkpointer or the writer's catch-up)
/// took `seconds` and found the WAL `frames` long. The writer's are pauses of every
/// write (see `store::sqlite`).
pub fn sqlite_checkpoint(by: &'static str, seconds: f64, frames: i64) {
    metrics::histogram!("appotapay_sqlite_checkpoint_seconds", "by" => by).record(seconds);
    metrics::gauge!("appotapay_sqlite_wal_frames").set(frames as f64);
}

/// SQLite's background checkpoints have failed `n` times in a row (0: the last one
/// succeeded).
pub fn sqlite_checkpoint_failures(n: u64) {
    metrics::gauge!("appotapay_sqlite_checkpoint_failures").set(n as f64);
}

/// A request was answered.
pub fn request(route: &str, status: u16, seconds: f64) {
    // Once the recorder is installed, each thread keeps the histogram of every
    // (route, status) it has seen: building the labelled key and looking it up in the
    // registry was 3 % of the instructions of a request through the bare HTTP stack
    // (the load generator's ceiling; BENCHMARKS.md). Before the recorder is
    // installed, a handle would be the no-op one, so it is not kept.
    if !matches!(HANDLE.get(), Some(Some(_))) {
        request_histogram(route, status).record(seconds);
        return;
    }
    let kept = REQUEST_HISTOGRAMS.try_with(|seen| {
        let Ok(mut seen) = seen.try_borrow_mut() else { return false };
        let by_status = match seen.get_mut(route) {
            Some(v) => v,
            None => seen.entry(route.to_owned()).or_default(),
        };
        match by_status.iter().find(|(s, _)| *s == status) {
            Some((_, h)) => h.record(seconds),
            None => {
                let h = request_histogram(route, status);
                h.record(seconds);
                by_status.push((status, h));
            }
        }
        true
    });
    // A thread being torn down has no cache any more.
    if !matches!(kept, Ok(true)) {
        request_histogram(route, status).record(seconds);
    }
}

thread_local! {
    /// The request histograms this thread has recorded into, by route then status.
    /// Bounded: routes are the router's own patterns (or "unmatched"), statuses
    /// the few a route answers.
    static REQUEST_HISTOGRAMS: std::cell::RefCell<HashMap<String, Vec<(u16, metrics::Histogram)>>> =
        std::cell::RefCell::new(HashMap::new());
}

fn request_histogram(route: &str, status: u16) -> metrics::Histogram {
    metrics::histogram!(
        "appotapay_http_request_duration_seconds",
        "route" => route.to_owned(),
        "status" => status.to_string()
    )
}

#[cfg(test)]
mod tests {
    /// The recorder folds histogram samples on its own: with nobody scraping, they
    /// would otherwise pile up for the life of the process.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_recorder_has_an_upkeep_thread() {
        assert!(super::handle().is_some(), "the recorder installs");
        let names = || -> Vec<String> {
            std::fs::read_dir("/proc/self/task")
                .expect("tasks")
                .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                .map(|n| n.trim().to_owned())
                .collect()
        };
        // A new thread names itself once it runs: wait for it to have started.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !names().iter().any(|n| n == "metrics-upkeep") {
            assert!(std::time::Instant::now() < deadline, "threads: {:?}", names());
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// Requests recorded through the kept histograms land in the rendered output,
    /// each (route, status) apart, from every thread.
    #[test]
    fn kept_request_histograms_count_every_request() {
        let handle = super::handle().expect("the recorder installs");
        let route = "/kept-histogram-test/{id}";
        for _ in 0..3 {
            super::request(route, 200, 0.002);
        }
        super::request(route, 404, 0.002);
        std::thread::spawn(move || super::request(route, 200, 0.002)).join().expect("thread");
        let text = handle.render();
        let count = |status: &str| {
            let prefix =
                format!("appotapay_http_request_duration_seconds_count{{route=\"{route}\",status=\"{status}\"}} ");
            text.lines().find_map(|l| l.strip_prefix(prefix.as_str())).map(str::to_owned)
        };
        assert_eq!(count("200").as_deref(), Some("4"), "{text}");
        assert_eq!(count("404").as_deref(), Some("1"), "{text}");
    }
}
