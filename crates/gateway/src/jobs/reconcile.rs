//! Reconciliation of bank feeds: webhooks get lost (SePay gives up after about 33
//! minutes of failures, and a node can be down), and a lost webhook would leave a
//! paid order pending for ever. So a feed set up with an API token is also polled:
//! every `reconcile_every`, this job reads the provider's transaction list of the
//! last two days and hands every transaction to the same path as a webhook
//! ([`Gateway::take_credit`]). What the webhook already delivered is recognised by
//! its provider transaction id and records nothing. (Credits whose judging died are
//! the sweeper's: it runs whatever this job waits for.)
//!
//! The job is polite to the provider: one request at a time, at least
//! [`PAGE_SPACING`] apart (SePay allows 3 a second), and a 429 answer's
//! `Retry-After` (or a minute without one) postpones the feed's next run. Of several
//! nodes, the one that takes a due feed (a compare-and-set in the core) polls it.
//!
//! SePay's current list (v2) names transactions by UUIDs, while its webhooks carry
//! the numeric ids of its older list: the job reads the older list
//! (`/userapi/transactions/list`), which SePay keeps serving, so that both name a
//! transaction alike. Casso's webhooks and list share their ids.

use crate::core::{Gateway, Poll, now_ms};
use crate::domain::credit::Via;
use crate::metrics;
use appotapay_protocol::bankfeed::{Provider, TransactionsPage, casso, sepay};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the job looks for due feeds.
const TICK: Duration = Duration::from_millis(500);
/// The least time between two requests to a provider.
pub const PAGE_SPACING: Duration = Duration::from_millis(400);
/// Pages read per feed and run at most.
const MAX_PAGES: u32 = 20;
/// Rows asked per page.
const PAGE_SIZE: u32 = 100;
/// How far back a run reads.
const LOOKBACK_MS: i64 = 2 * 24 * 3600 * 1000;
/// The wait after a 429 without `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);
/// The longest `Retry-After` honoured.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);
/// Bytes of a provider's answer read at most.
const MAX_ANSWER: usize = 8 * 1024 * 1024;

/// How a poll ended.
#[derive(Debug)]
enum Fetch {
    Page(TransactionsPage),
    RateLimited(Duration),
    Failed(String),
}

/// Runs until `shutdown` is cancelled.
pub async fn run(gw: Arc<Gateway>, shutdown: CancellationToken) {
    let client = match reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("appotapay-gateway/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "reconciliation client could not be built; bank feeds are not reconciled");
            return;
        }
    };
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.cancelled() => return,
        }
        let polls = match gw.due_polls().await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "reading due reconciliations failed");
                continue;
            }
        };
        for poll in polls {
            tokio::select! {
                _ = reconcile(&gw, &client, &poll) => {}
                _ = shutdown.cancelled() => return,
            }
        }
    }
}

/// One run of one feed: its pages, newest first, each transaction through the core.
async fn reconcile(gw: &Gateway, client: &reqwest::Client, poll: &Poll) {
    let since = date_utc7(now_ms() - LOOKBACK_MS);
    let provider = poll.provider.as_str();
    let (mut new, mut seen) = (0usize, 0usize);
    let mut page = 1;
    loop {
        let path = match poll.provider {
            Provider::Sepay => sepay::legacy_transactions_path(&since, 5000),
            Provider::Casso => casso::transactions_path(&since, page, PAGE_SIZE),
        };
        match fetch(client, poll, &path).await {
            Fetch::Page(p) => {
                for row in &p.rejected {
                    // The webhook of the same transaction is kept as unreadable; a list
                    // row is only logged, or every run would keep it again.
                    tracing::warn!(feed = %poll.feed_id, error = %row.error, "unreadable row in a transaction list");
                }
                for tx in &p.transactions {
                    seen += 1;
                    match gw.take_credit(&poll.partner_code, tx, Via::Reconciliation).await {
                        Ok(crate::core::CreditResult::Duplicate) => {}
                        Ok(_) => new += 1,
                        Err(e) => {
                            tracing::warn!(feed = %poll.feed_id, error = %e, "recording a reconciled credit failed");
                            metrics::reconciliation(provider, "error");
                            return;
                        }
                    }
                }
                match p.next_page {
                    Some(n) if n > page && n <= MAX_PAGES => page = n,
                    _ => break,
                }
            }
            Fetch::RateLimited(wait) => {
                tracing::info!(feed = %poll.feed_id, wait_s = wait.as_secs(), "provider rate limit: reconciliation postponed");
                metrics::reconciliation(provider, "rate_limited");
                let until = now_ms().saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
                if let Err(e) = gw.postpone_poll(poll, until).await {
                    tracing::warn!(feed = %poll.feed_id, error = %e, "postponing a reconciliation failed");
                }
                return;
            }
            Fetch::Failed(why) => {
                tracing::warn!(feed = %poll.feed_id, error = %why, "reconciliation failed; next run as scheduled");
                metrics::reconciliation(provider, "error");
                return;
            }
        }
        tokio::time::sleep(PAGE_SPACING).await;
    }
    metrics::reconciliation(provider, "ok");
    if new > 0 {
        tracing::info!(feed = %poll.feed_id, seen, new, "reconciliation found transactions the webhooks missed");
    }
}

async fn fetch(client: &reqwest::Client, poll: &Poll, path: &str) -> Fetch {
    let url = format!("{}{path}", poll.api_url.trim_end_matches('/'));
    let auth = match poll.provider {
        Provider::Sepay => format!("Bearer {}", poll.token),
        Provider::Casso => format!("Apikey {}", poll.token),
    };
    let resp = match client.get(&url).header(reqwest::header::AUTHORIZATION, auth).send().await {
        Ok(r) => r,
        Err(e) => return Fetch::Failed(without_url(e).to_string()),
    };
    let status = resp.status();
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        let wait = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(DEFAULT_RETRY_AFTER, Duration::from_secs)
            .min(MAX_RETRY_AFTER);
        return Fetch::RateLimited(wait);
    }
    if !status.is_success() {
        return Fetch::Failed(format!("the provider answered HTTP {status}"));
    }
    let body = match read_capped(resp).await {
        Ok(b) => b,
        Err(e) => return Fetch::Failed(e),
    };
    let parsed = match poll.provider {
        Provider::Sepay => sepay::parse_transactions(&body),
        Provider::Casso => casso::parse_transactions(&body),
    };
    match parsed {
        Ok(p) => Fetch::Page(p),
        Err(e) => Fetch::Failed(format!("unreadable transaction list: {e}")),
    }
}

async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| without_url(e).to_string())? {
        if body.len() + chunk.len() > MAX_ANSWER {
            return Err(format!("the answer is larger than {MAX_ANSWER} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// An error without the request URL (its query is harmless, but its host may be
/// an internal name the logs need not carry twice).
fn without_url(e: reqwest::Error) -> reqwest::Error {
    e.without_url()
}

/// `YYYY-MM-DD` of a Unix time in milliseconds, in Vietnam's time zone (UTC+7, no
/// daylight saving), where the providers' dates are.
pub fn date_utc7(ms: i64) -> String {
    crate::domain::calendar::vn_date_text(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_vietnamese() {
        assert_eq!(date_utc7(0), "1970-01-01");
        // 2024-10-03 16:59:59 UTC is 23:59:59 in Vietnam; a second later it is the 4th.
        assert_eq!(date_utc7(1_727_974_799_000), "2024-10-03");
        assert_eq!(date_utc7(1_727_974_800_000), "2024-10-04");
        assert_eq!(date_utc7(951_782_400_000), "2000-02-29");
    }
}
