//! Notifications as they go over the wire: the HTTP client of IPN deliveries and the
//! one POST both the IPN worker and the sandbox's conformance runner make, so that
//! a merchant's handler is tested with exactly what it will receive.
//!
//! The client follows no redirects, uses no proxy, has one timeout per attempt, and
//! resolves names through [`GuardedResolver`], which applies the outbound policy to
//! the addresses a name resolves to (a merchant's name that resolves to a private
//! address is refused like an IP literal would be). A POST reads at most
//! [`READ_CAP`] bytes of the answer and counts only HTTP 200 with `{"status":"ok"}`
//! as delivered.

use crate::domain::outbound::OutboundGuard;
use crate::domain::records::IpnOutcome;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bytes of an answer kept with the attempt.
pub const HEAD_BYTES: usize = 1024;
/// Bytes of an answer read at most.
pub const READ_CAP: usize = 4096;

/// The outcome of one POST.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// HTTP 200 with `{"status":"ok"}`.
    pub delivered: bool,
    /// The answer's HTTP status, if one came.
    pub http_status: Option<u16>,
    /// Why it was not delivered.
    pub error: Option<String>,
    /// The start of the answer (up to [`HEAD_BYTES`]).
    pub head: String,
    /// How the attempt ended.
    pub outcome: IpnOutcome,
    /// From sending to the end of the answer.
    pub elapsed: Duration,
}

/// Builds the guarded HTTP client of IPN deliveries: no proxy, no redirects,
/// `timeout` per attempt, and a resolver that refuses the addresses `guard` refuses.
pub fn client(
    guard: OutboundGuard,
    timeout: Duration,
) -> Result<(reqwest::Client, Arc<OutboundGuard>), reqwest::Error> {
    let guard = Arc::new(guard);
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("appotapay-gateway/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver(guard.clone())))
        .build()?;
    Ok((client, guard))
}

/// POSTs `body` to `url` as an IPN (`Content-Type: application/json`), checking the
/// URL against `guard` first, and judges the answer.
pub async fn post(client: &reqwest::Client, guard: &OutboundGuard, url: &str, body: &str) -> Outcome {
    post_bytes(client, guard, url, body.as_bytes().to_vec()).await
}

/// [`post`] of raw bytes (the conformance runner also sends bodies that are no JSON).
pub async fn post_bytes(client: &reqwest::Client, guard: &OutboundGuard, url: &str, body: Vec<u8>) -> Outcome {
    let started = Instant::now();
    let mut out = post_inner(client, guard, url, body).await;
    out.elapsed = started.elapsed();
    out
}

async fn post_inner(client: &reqwest::Client, guard: &OutboundGuard, url: &str, body: Vec<u8>) -> Outcome {
    let fail = |outcome, error: String| Outcome {
        delivered: false,
        http_status: None,
        error: Some(error),
        head: String::new(),
        outcome,
        elapsed: Duration::ZERO,
    };
    let parsed = match url::Url::parse(url) {
        Ok(u) => u,
        Err(e) => return fail(IpnOutcome::Blocked, format!("invalid URL: {e}")),
    };
    if let Err(e) = guard.check_url(&parsed) {
        return fail(IpnOutcome::Blocked, e);
    }
    let resp = client.post(parsed).header(reqwest::header::CONTENT_TYPE, "application/json").body(body).send().await;
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
            elapsed: Duration::ZERO,
        };
    }
    let ok_body = serde_json::from_slice::<serde_json::Value>(&buf)
        .ok()
        .is_some_and(|v| v.get("status").and_then(|s| s.as_str()) == Some("ok"));
    match (status, ok_body) {
        (200, true) => Outcome {
            delivered: true,
            http_status: Some(200),
            error: None,
            head,
            outcome: IpnOutcome::Delivered,
            elapsed: Duration::ZERO,
        },
        (200, false) => Outcome {
            delivered: false,
            http_status: Some(200),
            error: Some("the answer is not {\"status\":\"ok\"}".into()),
            head,
            outcome: IpnOutcome::BadBody,
            elapsed: Duration::ZERO,
        },
        (s, _) => Outcome {
            delivered: false,
            http_status: Some(s),
            error: Some(format!("HTTP {s}")),
            head,
            outcome: IpnOutcome::HttpError,
            elapsed: Duration::ZERO,
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

/// A DNS resolver that drops every address the guard refuses.
#[derive(Clone, Debug)]
pub struct GuardedResolver(pub Arc<OutboundGuard>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addrs.into_iter().filter(|a| guard.permits(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!("{host} resolves to no allowed address").into());
            }
            let it: reqwest::dns::Addrs = Box::new(allowed.into_iter());
            Ok(it)
        })
    }
}

/// The conformance runner's sender: the same client and POST as IPN deliveries.
#[derive(Clone, Debug)]
pub struct IpnPoster {
    client: reqwest::Client,
    guard: Arc<OutboundGuard>,
}

impl IpnPoster {
    /// A sender applying `guard`, with `timeout` per notification.
    pub fn new(guard: OutboundGuard, timeout: Duration) -> Result<IpnPoster, reqwest::Error> {
        let (client, guard) = client(guard, timeout)?;
        Ok(IpnPoster { client, guard })
    }
}

#[async_trait::async_trait]
impl crate::domain::conformance::Poster for IpnPoster {
    async fn post(&self, url: &str, body: Vec<u8>) -> crate::domain::conformance::Answer {
        let out = post_bytes(&self.client, &self.guard, url, body).await;
        crate::domain::conformance::Answer {
            http_status: out.http_status,
            body: out.head,
            error: out.error.filter(|_| out.http_status.is_none() || out.outcome == IpnOutcome::Timeout),
            acknowledged: out.delivered,
            elapsed: out.elapsed,
        }
    }
}
