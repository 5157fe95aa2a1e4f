//! The client: HTTP/1.1 keep-alive connections on loopback, one request in flight per
//! connection, each request a fresh signed order.

use crate::RunArgs;
use crate::report::{Phase, Scenario, ScenarioResult};
use crate::servers::{BANK_PATH, Nodes};
use appotapay_protocol::messages::BankPaymentRequest;
use appotapay_protocol::signing::Signed;
use appotapay_protocol::{Amount, PaymentMethod, SecretKey, jwt, sandbox_partner};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::Request;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Makes the requests: unique order ids, signed with the sandbox partner's secret key,
/// one JWT for the whole run (as the SDK reuses its token).
#[derive(Debug)]
struct Orders {
    prefix: String,
    secret: SecretKey,
    auth: HeaderValue,
    next: AtomicU64,
}

impl Orders {
    fn new(scenario: Scenario) -> Result<Orders, String> {
        let secret = SecretKey::new(sandbox_partner::SECRET_KEY);
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs()
                as i64;
        let token = jwt::build(sandbox_partner::PARTNER_CODE, sandbox_partner::API_KEY, &secret, now, 3600);
        let auth = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| e.to_string())?;
        let prefix = format!("b{:08x}-{}", rand::random::<u32>(), scenario.short());
        Ok(Orders { prefix, secret, auth, next: AtomicU64::new(0) })
    }

    /// The body of a new order, unique in the run.
    fn body(&self) -> Bytes {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let request = BankPaymentRequest {
            order_id: format!("{}-{n}", self.prefix),
            order_info: format!("Thanh toan don hang {n}"),
            amount: Amount::vnd(10_000 + (n % 100) as i64 * 1_000),
            client_ip: "103.53.171.140".into(),
            notify_url: "http://127.0.0.1:9/ipn".into(),
            redirect_url: "http://127.0.0.1:9/return".into(),
            payment_method: PaymentMethod::Atm,
            bank_code: "VCB".into(),
            extra_data: String::new(),
            signature: String::new(),
        }
        .signed(&self.secret);
        // A plain struct of strings and integers always serialises.
        Bytes::from(serde_json::to_vec(&request).unwrap_or_default())
    }
}

/// One keep-alive connection to a server.
struct Conn {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
}

/// What one request came to.
enum Outcome {
    Ok,
    Failed(String),
}

impl Conn {
    fn new(addr: SocketAddr) -> Conn {
        Conn { addr, sender: None }
    }

    async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>, String> {
        let stream = TcpStream::connect(addr).await.map_err(|e| format!("connect {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await.map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(sender)
    }

    /// Sends one order; an answer counts as success only when it is HTTP 200 with
    /// `errorCode` 0 (the ceiling's static body says the same).
    async fn create(&mut self, orders: &Orders) -> Outcome {
        match self.try_create(orders).await {
            Ok(outcome) => outcome,
            Err(e) => {
                // Reconnect on the next request.
                self.sender = None;
                Outcome::Failed(e)
            }
        }
    }

    async fn try_create(&mut self, orders: &Orders) -> Result<Outcome, String> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            self.sender = Some(Conn::connect(self.addr).await?);
        }
        let sender = self.sender.as_mut().ok_or("no connection")?;
        sender.ready().await.map_err(|e| e.to_string())?;
        let req = Request::post(BANK_PATH)
            .header(HOST, "127.0.0.1")
            .header(CONTENT_TYPE, "application/json")
            .header("x-appotapay-auth", orders.auth.clone())
            .body(Full::new(orders.body()))
            .map_err(|e| e.to_string())?;
        let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let status = resp.status();
        let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        let code = serde_json::from_slice::<serde_json::Value>(&body).ok().and_then(|v| v["errorCode"].as_u64());
        if status == 200 && code == Some(0) {
            Ok(Outcome::Ok)
        } else {
            Ok(Outcome::Failed(format!("HTTP {status}: {}", String::from_utf8_lossy(&body))))
        }
    }
}

/// `GET path` on a fresh connection.
async fn get(addr: SocketAddr, path: &str) -> Option<hyper::Response<hyper::body::Incoming>> {
    let stream = TcpStream::connect(addr).await.ok()?;
    let (mut sender, conn) = http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream)).await.ok()?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    let req = Request::get(path).header(HOST, "127.0.0.1").body(Empty::new()).ok()?;
    sender.send_request(req).await.ok()
}

/// Whether `GET path` answers 200 (used to wait for a server to come up).
pub async fn get_ok(addr: SocketAddr, path: &str) -> bool {
    get(addr, path).await.is_some_and(|r| r.status() == 200)
}

/// `GET path`'s body when it answers 200.
async fn get_text(addr: SocketAddr, path: &str) -> Option<String> {
    let resp = get(addr, path).await.filter(|r| r.status() == 200)?;
    let body = resp.into_body().collect().await.ok()?.to_bytes();
    String::from_utf8(body.to_vec()).ok()
}

/// The SQLite writer's checkpoint pauses so far over `addrs` (from `/metrics`): how
/// many, and their seconds in all. `None` when no node reports SQLite checkpoints
/// (the ceiling, the PostgreSQL store).
async fn writer_pauses(addrs: &[SocketAddr]) -> Option<(f64, f64)> {
    let mut total: Option<(f64, f64)> = None;
    for addr in addrs {
        if let Some((c, s)) = get_text(*addr, "/metrics").await.as_deref().and_then(pauses_in) {
            let (c0, s0) = total.unwrap_or((0.0, 0.0));
            total = Some((c0 + c, s0 + s));
        }
    }
    total
}

/// The writer's checkpoint pauses (count, seconds) in a Prometheus text page; `None`
/// when the page has no SQLite checkpoints at all.
fn pauses_in(metrics: &str) -> Option<(f64, f64)> {
    metrics.contains("appotapay_sqlite_checkpoint_seconds_count").then_some(())?;
    let value = |name: &str| {
        metrics.lines().find_map(|l| l.strip_prefix(name)).and_then(|rest| rest.trim().parse::<f64>().ok())
    };
    // The writer's series exists once it has paused at least once; a node whose
    // background checkpoints keep up has none.
    Some((
        value(r#"appotapay_sqlite_checkpoint_seconds_count{by="writer"}"#).unwrap_or(0.0),
        value(r#"appotapay_sqlite_checkpoint_seconds_sum{by="writer"}"#).unwrap_or(0.0),
    ))
}

/// What the connections of one phase did.
#[derive(Debug, Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn record(&mut self, outcome: Outcome, latency: Duration) {
        match outcome {
            Outcome::Ok => self.latencies_us.push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX)),
            Outcome::Failed(e) => {
                self.errors += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// How the connections pace their requests.
#[derive(Clone, Copy, Debug)]
enum Pace {
    /// Next request as soon as the previous answer arrived.
    ClosedLoop,
    /// `rate` requests per second over all connections, on a fixed schedule.
    OpenLoop { rate: f64 },
}

/// Runs one phase on `conns` connections spread round robin over `addrs`.
async fn phase(addrs: &[SocketAddr], orders: &Arc<Orders>, conns: usize, pace: Pace, length: Duration) -> Tally {
    let start = Instant::now();
    let end = start + length;
    let mut tasks = Vec::with_capacity(conns);
    for c in 0..conns {
        let (addr, orders) = (addrs[c % addrs.len()], orders.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(addr);
            let mut tally = Tally::default();
            match pace {
                Pace::ClosedLoop => loop {
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    let outcome = conn.create(&orders).await;
                    let done = Instant::now();
                    if done <= end {
                        tally.record(outcome, done - sent);
                    }
                },
                Pace::OpenLoop { rate } => {
                    let interval = Duration::from_secs_f64(conns as f64 / rate);
                    // Connections start staggered over one interval.
                    let mut due = start + interval.mul_f64(c as f64 / conns as f64);
                    while due < end {
                        let from = if Instant::now() < due {
                            tokio::time::sleep_until(due.into()).await;
                            // The connection was free when the request was due: time it
                            // from its actual start (the timer may wake a little late).
                            Instant::now()
                        } else {
                            // The connection was still busy: the request waited since it
                            // was due, and that wait is part of its latency.
                            due
                        };
                        let outcome = conn.create(&orders).await;
                        tally.record(outcome, from.elapsed());
                        due += interval;
                    }
                }
            }
            tally
        }));
    }
    let mut all = Tally::default();
    for t in tasks {
        if let Ok(tally) = t.await {
            all.merge(tally);
        }
    }
    all
}

/// Warms up, then measures saturation (closed loop) and half of it (open loop).
pub async fn measure(scenario: Scenario, nodes: &Nodes, args: &RunArgs) -> Result<ScenarioResult, String> {
    let orders = Arc::new(Orders::new(scenario)?);
    let addrs = nodes.addrs();
    let conns = args.connections.max(1);

    let warm = phase(&addrs, &orders, conns, Pace::ClosedLoop, args.warmup).await;
    if let Some(e) = warm.first_error.filter(|_| warm.latencies_us.is_empty()) {
        return Err(format!("{scenario}: every warm-up request failed, e.g. {e}"));
    }

    let cpu0 = nodes.cpu_seconds();
    let sat = phase(&addrs, &orders, conns, Pace::ClosedLoop, args.duration).await;
    let cpu1 = nodes.cpu_seconds();
    let saturation = Phase::from_latencies(sat.latencies_us, sat.errors, sat.first_error, args.duration, cpu1 - cpu0);
    println!("  saturation: {}", saturation.summary());

    let rate = saturation.throughput * args.load_fraction.clamp(0.01, 1.0);
    if rate < 1.0 {
        return Err(format!("{scenario}: no throughput at saturation"));
    }
    let pauses_before = writer_pauses(&addrs).await;
    let half = phase(&addrs, &orders, conns, Pace::OpenLoop { rate }, args.duration).await;
    let cpu2 = nodes.cpu_seconds();
    let writer_pauses = match (pauses_before, writer_pauses(&addrs).await) {
        (Some((c0, s0)), Some((c1, s1))) => Some(((c1 - c0).round() as u64, (s1 - s0) * 1e3)),
        _ => None,
    };
    let half = Phase::from_latencies(half.latencies_us, half.errors, half.first_error, args.duration, cpu2 - cpu1);
    println!("  half (open loop at {rate:.0}/s): {}", half.summary());
    if let Some((n, ms)) = writer_pauses {
        println!("  SQLite writer's checkpoint pauses in the half phase: {n}, {ms:.1} ms in all");
    }

    Ok(ScenarioResult {
        scenario,
        nodes: addrs.len(),
        saturation,
        half,
        target_rate: rate,
        peak_rss_kib: nodes.peak_rss_kib(),
        writer_pauses,
    })
}

#[cfg(test)]
mod tests {
    use super::pauses_in;

    #[test]
    fn writer_pauses_are_read_from_the_metrics_page() {
        let page = "# TYPE appotapay_sqlite_checkpoint_seconds histogram\n\
            appotapay_sqlite_checkpoint_seconds_bucket{by=\"background\",le=\"0.01\"} 90\n\
            appotapay_sqlite_checkpoint_seconds_sum{by=\"background\"} 0.75\n\
            appotapay_sqlite_checkpoint_seconds_count{by=\"background\"} 93\n\
            appotapay_sqlite_checkpoint_seconds_sum{by=\"writer\"} 0.0258\n\
            appotapay_sqlite_checkpoint_seconds_count{by=\"writer\"} 3\n";
        assert_eq!(pauses_in(page), Some((3.0, 0.0258)));
        let only_background = page.lines().filter(|l| !l.contains("writer")).collect::<Vec<_>>().join("\n");
        assert_eq!(pauses_in(&only_background), Some((0.0, 0.0)), "no pause yet");
        assert_eq!(pauses_in("appotapay_orders_created_total{method=\"ATM\"} 5\n"), None, "not SQLite");
    }
}
