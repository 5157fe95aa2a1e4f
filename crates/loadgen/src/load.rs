//! The phases: keep-alive connections on loopback, one request in flight per
//! connection, each request a fresh signed order (and, in the IPN phase, its
//! settlement). The HTTP itself is [`crate::client`]'s, as cheap as wrk's.

use crate::RunArgs;
use crate::client::{self, RawConn};
use crate::ipn::{IpnLatency, Merchant, Settlements};
use crate::report::{Phase, Scenario, ScenarioResult};
use crate::servers::{BANK_PATH, Nodes};
use appotapay_protocol::signing::{self, BANK_PAYMENT_REQUEST};
use appotapay_protocol::{SecretKey, jwt, sandbox_partner};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper::client::conn::http1;
use hyper::header::HOST;
use hyper_util::rt::TokioIo;
use std::borrow::Cow;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// Makes the requests: unique order ids, signed with the sandbox partner's secret key
/// over the protocol crate's field list, one JWT for the whole run (as the SDK reuses
/// its token). The body is written straight into the connection's buffer: the
/// client's cost per order is one HMAC and a few copies.
#[derive(Debug)]
pub struct Orders {
    prefix: String,
    secret: SecretKey,
    head: Vec<u8>,
    next: AtomicU64,
    notify_url: String,
}

impl Orders {
    /// Orders of a scenario whose IPNs go to `notify_url`.
    pub fn new(scenario: Scenario, notify_url: &str) -> Result<Orders, String> {
        let secret = SecretKey::new(sandbox_partner::SECRET_KEY);
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_err(|e| e.to_string())?.as_secs()
                as i64;
        let token = jwt::build(sandbox_partner::PARTNER_CODE, sandbox_partner::API_KEY, &secret, now, 3600);
        let head = format!("Content-Type: application/json\r\nX-APPOTAPAY-AUTH: Bearer {token}\r\n").into_bytes();
        let prefix = format!("b{:08x}-{}", rand::random::<u32>(), scenario.short());
        Ok(Orders { prefix, secret, head, next: AtomicU64::new(0), notify_url: notify_url.to_owned() })
    }

    /// The header lines every request carries (content type, the JWT).
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// Writes the body of a new order, unique in the run, into `out`; returns its
    /// orderId.
    pub fn body(&self, out: &mut Vec<u8>) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let order_id = format!("{}-{n}", self.prefix);
        let order_info = format!("Thanh toan don hang {n}");
        let amount = (10_000 + (n % 100) * 1_000).to_string();
        let (client_ip, redirect_url, method, bank) = ("103.53.171.140", "http://127.0.0.1:9/return", "ATM", "VCB");
        let data = signing::canonical_data_with(&BANK_PAYMENT_REQUEST, |field| {
            Some(Cow::Borrowed(match field {
                "amount" => amount.as_str(),
                "bankCode" => bank,
                "clientIp" => client_ip,
                "extraData" => "",
                "notifyUrl" => self.notify_url.as_str(),
                "orderId" => order_id.as_str(),
                "orderInfo" => order_info.as_str(),
                "paymentMethod" => method,
                "redirectUrl" => redirect_url,
                _ => return None,
            }))
        });
        let signature = signing::sign_data(&self.secret, &data);
        out.clear();
        // Every value is plain ASCII without quotes or backslashes: nothing to escape.
        let _ = write!(
            out,
            r#"{{"orderId":"{order_id}","orderInfo":"{order_info}","amount":{amount},"clientIp":"{client_ip}","notifyUrl":"{}","redirectUrl":"{redirect_url}","paymentMethod":"{method}","bankCode":"{bank}","extraData":"","signature":"{signature}"}}"#,
            self.notify_url
        );
        order_id
    }
}

/// What one request came to.
pub enum Outcome {
    /// HTTP 200 with errorCode 0.
    Ok,
    /// Anything else.
    Failed(String),
}

/// One connection and the body buffer it reuses.
pub struct Conn {
    raw: RawConn,
    body: Vec<u8>,
}

impl Conn {
    /// A connection to `addr`.
    pub fn new(addr: SocketAddr) -> Conn {
        Conn { raw: RawConn::new(addr), body: Vec::with_capacity(1024) }
    }

    /// Sends one order; an answer counts as success only when it is HTTP 200 with
    /// `errorCode` 0 (the static bodies say the same). With `keep`, a success also
    /// gives the answer's body back (the IPN phase reads its payment link); without,
    /// nothing is copied.
    pub async fn create(&mut self, orders: &Orders, keep: bool) -> (Outcome, Option<Vec<u8>>) {
        orders.body(&mut self.body);
        let Conn { raw, body } = self;
        match raw.send("POST", BANK_PATH, orders.head(), body).await {
            Ok(a) if a.status == 200 && client::error_code_is_zero(a.body) => {
                (Outcome::Ok, keep.then(|| a.body.to_vec()))
            }
            Ok(a) => (Outcome::Failed(format!("HTTP {}: {}", a.status, String::from_utf8_lossy(a.body))), None),
            Err(e) => (Outcome::Failed(e), None),
        }
    }

    /// Settles an order as paid through the sandbox helper API.
    pub async fn settle(&mut self, orders: &Orders, trans_id: &str) -> Outcome {
        let path = format!("/api/v1/sandbox/transactions/{trans_id}/complete");
        match self.raw.send("POST", &path, orders.head(), br#"{"errorCode":0}"#).await {
            Ok(a) if a.status == 200 && client::error_code_is_zero(a.body) => Outcome::Ok,
            Ok(a) => Outcome::Failed(format!("settle: HTTP {}: {}", a.status, String::from_utf8_lossy(a.body))),
            Err(e) => Outcome::Failed(format!("settle: {e}")),
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

/// What each step of a connection does.
#[derive(Clone)]
enum Work {
    /// Create an order.
    Create,
    /// Create an order and settle it as paid; the settlement's times go to the
    /// tracker, for the IPN's latency.
    CreateAndSettle(Arc<Settlements>),
}

impl Work {
    async fn step(&self, conn: &mut Conn, orders: &Orders) -> Outcome {
        match self {
            Work::Create => conn.create(orders, false).await.0,
            Work::CreateAndSettle(tracker) => {
                let (outcome, body) = conn.create(orders, true).await;
                let Some(body) = body else { return outcome };
                let Some(trans_id) = crate::ipn::trans_id_of(&body) else {
                    return Outcome::Failed(format!("no appotapayTransId in {}", String::from_utf8_lossy(&body)));
                };
                let sent = Instant::now();
                let outcome = conn.settle(orders, &trans_id).await;
                if matches!(outcome, Outcome::Ok) {
                    tracker.settled(trans_id, sent, Instant::now());
                }
                outcome
            }
        }
    }
}

/// Runs one phase on `conns` connections spread round robin over `addrs`.
async fn phase(
    addrs: &[SocketAddr],
    orders: &Arc<Orders>,
    conns: usize,
    pace: Pace,
    length: Duration,
    work: &Work,
) -> Tally {
    let start = Instant::now();
    let end = start + length;
    let mut tasks = Vec::with_capacity(conns);
    for c in 0..conns {
        let (addr, orders, work) = (addrs[c % addrs.len()], orders.clone(), work.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::new(addr);
            let mut tally = Tally::default();
            match pace {
                Pace::ClosedLoop => loop {
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    let outcome = work.step(&mut conn, &orders).await;
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
                        let outcome = work.step(&mut conn, &orders).await;
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

/// Warms up, then measures saturation (closed loop) and half of it (open loop); with
/// `ipn`, then the same two phases of creating and settling orders, and the IPNs'
/// latency at half of that saturation.
pub async fn measure(
    scenario: Scenario,
    nodes: &Nodes,
    args: &RunArgs,
    merchant: Option<&Merchant>,
) -> Result<ScenarioResult, String> {
    let orders = Arc::new(Orders::new(scenario, "http://127.0.0.1:9/ipn")?);
    let addrs = nodes.addrs();
    let conns = args.connections.max(1);
    let create = Work::Create;

    let warm = phase(&addrs, &orders, conns, Pace::ClosedLoop, args.warmup, &create).await;
    if let Some(e) = warm.first_error.filter(|_| warm.latencies_us.is_empty()) {
        return Err(format!("{scenario}: every warm-up request failed, e.g. {e}"));
    }

    let db_cpu = || nodes.on_postgres().then(crate::servers::postgres_cpu_seconds);
    let (cpu0, db0) = (nodes.cpu_seconds(), db_cpu());
    let sat = phase(&addrs, &orders, conns, Pace::ClosedLoop, args.duration, &create).await;
    let (cpu1, db1) = (nodes.cpu_seconds(), db_cpu());
    let mut saturation =
        Phase::from_latencies(sat.latencies_us, sat.errors, sat.first_error, args.duration, cpu1 - cpu0);
    if let (Some(a), Some(b)) = (db0, db1) {
        saturation.db_cpu_us_per_request =
            Some(if saturation.ok == 0 { 0.0 } else { (b - a) * 1e6 / saturation.ok as f64 });
    }
    println!("  saturation: {}", saturation.summary());

    let rate = saturation.throughput * args.load_fraction.clamp(0.01, 1.0);
    if rate < 1.0 {
        return Err(format!("{scenario}: no throughput at saturation"));
    }
    let pauses_before = writer_pauses(&addrs).await;
    let half = phase(&addrs, &orders, conns, Pace::OpenLoop { rate }, args.duration, &create).await;
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

    // The creation phases' peak, before the IPN phases add the delivery worker's.
    let peak_rss_kib = nodes.peak_rss_kib();
    let ipn = match merchant {
        Some(m) => {
            let mut i = ipn_phases(scenario, &addrs, args, m).await?;
            i.peak_rss_kib = nodes.peak_rss_kib();
            Some(i)
        }
        None => None,
    };

    Ok(ScenarioResult {
        scenario,
        nodes: addrs.len(),
        saturation,
        half,
        target_rate: rate,
        peak_rss_kib,
        writer_pauses,
        ipn,
    })
}

/// Creating and settling orders: the pairs' saturation (closed loop), then half of it
/// (open loop), during which every IPN's latency is taken.
async fn ipn_phases(
    scenario: Scenario,
    addrs: &[SocketAddr],
    args: &RunArgs,
    merchant: &Merchant,
) -> Result<IpnLatency, String> {
    let orders = Arc::new(Orders::new(scenario, &merchant.notify_url())?);
    let conns = args.connections.max(1);
    let tracker = Arc::new(Settlements::default());
    let work = Work::CreateAndSettle(tracker.clone());
    let sat = phase(addrs, &orders, conns, Pace::ClosedLoop, args.duration, &work).await;
    let sat = Phase::from_latencies(sat.latencies_us, sat.errors, sat.first_error, args.duration, 0.0);
    println!("  create + settle, saturation: {} pairs/s, {} failed", sat.throughput.round(), sat.errors);
    let rate = sat.throughput * args.load_fraction.clamp(0.01, 1.0);
    if rate < 1.0 {
        return Err(format!("{scenario}: no create + settle throughput at saturation"));
    }
    // The saturated phase's IPNs drain before the measured one starts.
    merchant.wait_quiet(Duration::from_millis(500), Duration::from_secs(60)).await;
    tracker.clear();
    merchant.clear();
    let half = phase(addrs, &orders, conns, Pace::OpenLoop { rate }, args.duration, &work).await;
    merchant.wait_for(tracker.len(), Duration::from_secs(30)).await;
    let latency = IpnLatency::compute(&tracker, merchant, sat.throughput, rate, half.errors);
    println!("  IPNs at {rate:.0} pairs/s: {}", latency.summary());
    Ok(latency)
}

#[cfg(test)]
mod tests {
    use super::{Orders, pauses_in};
    use crate::report::Scenario;
    use appotapay_protocol::signing::{self, BANK_PAYMENT_REQUEST};
    use appotapay_protocol::{SecretKey, sandbox_partner};

    /// The body written by hand is the request the protocol crate signs and checks:
    /// valid JSON, every field of the signed list, a signature the gateway accepts.
    #[test]
    fn order_bodies_are_signed_requests() {
        let orders = Orders::new(Scenario::Sqlite, "http://127.0.0.1:1234/ipn").expect("orders");
        let mut body = Vec::new();
        let first = orders.body(&mut body);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(v["orderId"], first.as_str());
        assert_eq!(v["notifyUrl"], "http://127.0.0.1:1234/ipn");
        for field in BANK_PAYMENT_REQUEST.fields {
            assert!(v.get(*field).is_some(), "{field} missing from {v}");
        }
        signing::verify_json(&BANK_PAYMENT_REQUEST, &SecretKey::new(sandbox_partner::SECRET_KEY), &v)
            .expect("the signature verifies");
        let second = orders.body(&mut body);
        assert_ne!(first, second, "each order is new");
        let head = String::from_utf8(orders.head().to_vec()).expect("text");
        assert!(
            head.starts_with("Content-Type: application/json\r\nX-APPOTAPAY-AUTH: Bearer ") && head.ends_with("\r\n")
        );
    }

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
