//! Three gateway processes on one PostgreSQL database behind a client-side round
//! robin (what a load balancer does), 1,000 orders created and settled across them
//! while a merchant endpoint counts IPNs, and one node killed with SIGKILL mid-run.
//!
//! At the end: every order whose creation was acknowledged exists; every paid order's
//! IPN was delivered; no order was settled twice (one winning settlement, one outbox
//! row); and an IPN reached the merchant more than once only as a genuine retry (a
//! new claim of its outbox row, e.g. after the killed node's lease ran out). The
//! number of duplicate deliveries is printed.

use crate::harness::Partner;
use crate::pg::{MASTER_KEY, TestDb};
use appotapay_protocol::sandbox_partner;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};
use sqlx::Row;
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::watch;

const ORDERS: usize = 1_000;
const CONCURRENCY: usize = 12;
const NODES: usize = 3;
/// The node that dies, and after how many acknowledged settlements.
const VICTIM: usize = 2;
const KILL_AFTER: usize = 400;

/// The merchant's IPN endpoint: counts every IPN by appotapayTransId, and can hold
/// answers back (so deliveries are in flight when the node dies).
#[derive(Clone)]
struct Counter {
    received: Arc<Mutex<HashMap<String, Vec<Value>>>>,
    hold: watch::Receiver<bool>,
}

async fn ipn(State(c): State<Counter>, body: Bytes) -> &'static str {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = v["appotapayTransId"].as_str().unwrap_or_default().to_owned();
    c.received.lock().expect("lock").entry(id).or_default().push(v);
    let mut hold = c.hold.clone();
    let _ = hold.wait_for(|held| !*held).await;
    r#"{"status":"ok"}"#
}

struct Node {
    base: String,
    child: Mutex<Child>,
    alive: AtomicBool,
    log: std::path::PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

async fn spawn_node(db: &TestDb, dir: &std::path::Path, n: usize) -> Node {
    let port = free_port();
    let data = dir.join(format!("node{n}"));
    std::fs::create_dir_all(&data).expect("data dir");
    let log = dir.join(format!("node{n}.log"));
    let child = Command::new(env!("CARGO_BIN_EXE_appotapay-gateway"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("APPOTAPAY_DATABASE_URL", &db.url)
        .env("APPOTAPAY_LISTEN", format!("127.0.0.1:{port}"))
        .env("APPOTAPAY_DATA_DIR", &data)
        .env("APPOTAPAY_MASTER_KEY", MASTER_KEY)
        .env("APPOTAPAY_IPN_RETRY_SCHEDULE", "0s,1s,1s,1s,1s,1s")
        .env("APPOTAPAY_IPN_TIMEOUT", "4s")
        .env("APPOTAPAY_PARTNER_CACHE_TTL", "500ms")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .kill_on_drop(true)
        .spawn()
        .expect("start a gateway process");
    Node { base: format!("http://127.0.0.1:{port}"), child: Mutex::new(child), alive: AtomicBool::new(true), log }
}

async fn wait_ready(http: &reqwest::Client, node: &Node) {
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = http.get(format!("{}/healthz", node.base)).send().await {
            if r.status().is_success() {
                return;
            }
        }
        assert!(Instant::now() < end, "node {} did not start: {}", node.base, log_of(node));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn log_of(node: &Node) -> String {
    std::fs::read_to_string(&node.log).unwrap_or_default()
}

/// A partner API call; `None` when the node gave no answer (it died).
async fn call(http: &reqwest::Client, base: &str, p: &Partner, path: &str, body: &Value) -> Option<(u16, Value)> {
    let resp = http
        .post(format!("{base}{path}"))
        .header("X-APPOTAPAY-AUTH", format!("Bearer {}", p.token()))
        .json(body)
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    let v: Value = resp.json().await.ok()?;
    Some((status, v))
}

/// What the load generator saw for one order.
#[derive(Debug, Default, Clone)]
struct Seen {
    trans_id: Option<String>,
    /// Settlements acknowledged with errorCode 0 (more than one would be a double settlement).
    wins: usize,
    /// The order is known to be paid (a win, or 41 "already paid" to a retry).
    paid: bool,
}

struct Run {
    http: reqwest::Client,
    nodes: Vec<Node>,
    next: AtomicUsize,
    acked: AtomicUsize,
    partner: Partner,
    notify_url: String,
}

impl Run {
    /// The next live node, round robin (a load balancer takes a dead node out).
    fn pick(&self) -> &Node {
        loop {
            let n = &self.nodes[self.next.fetch_add(1, Ordering::Relaxed) % NODES];
            if n.alive.load(Ordering::Relaxed) {
                return n;
            }
        }
    }

    async fn one_order(&self, i: usize) -> Seen {
        let mut seen = Seen::default();
        let order_id = format!("mn-{i}");
        let body = self.partner.bank_request(&order_id, 10_000 + i as i64, "ATM", "VCB", &self.notify_url);
        let created = call(&self.http, &self.pick().base, &self.partner, "/api/v1/orders/payment/bank", &body).await;
        let Some((200, v)) = created else {
            return seen; // not acknowledged: the node died with the request
        };
        assert_eq!(v["errorCode"], 0, "{v}");
        let url = url::Url::parse(v["paymentUrl"].as_str().expect("paymentUrl")).expect("url");
        let tran = url.query_pairs().find(|(k, _)| k == "tran").map(|(_, v)| v.into_owned()).expect("tran");
        let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, tran).expect("b64");
        let raw = String::from_utf8(raw).expect("utf8");
        let tid = form_urlencoded::parse(raw.as_bytes()).find(|(k, _)| k == "tid").map(|(_, v)| v.into_owned());
        let tid = tid.expect("tid");
        seen.trans_id = Some(tid.clone());
        // Settle on another node; a settlement the dying node never answered is
        // retried on a live one (which answers 41 if the first had committed).
        for _ in 0..3 {
            let path = format!("/api/v1/sandbox/transactions/{tid}/complete");
            match call(&self.http, &self.pick().base, &self.partner, &path, &json!({"errorCode": 0})).await {
                Some((200, v)) => {
                    assert_eq!(v["errorCode"], 0, "{v}");
                    seen.wins += 1;
                    seen.paid = true;
                    self.acked.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Some((400, v)) if v["errorCode"] == 41 => {
                    seen.paid = true;
                    break;
                }
                Some(other) => panic!("settling {tid}: {other:?}"),
                None => continue,
            }
        }
        seen
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_one_killed_mid_run_postgres() {
    let started = Instant::now();
    let db = TestDb::create().await;
    let dir = tempfile::tempdir().expect("tempdir");

    let (hold_tx, hold_rx) = watch::channel(false);
    let counter = Counter { received: Arc::new(Mutex::new(HashMap::new())), hold: hold_rx };
    let app = axum::Router::new().route("/ipn", post(ipn)).with_state(counter.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let notify_url = format!("http://{}/ipn", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    // Start the nodes at once: their migrations race (the migrator's lock decides).
    let mut nodes = Vec::new();
    for n in 0..NODES {
        nodes.push(spawn_node(&db, dir.path(), n).await);
    }
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().expect("client");
    for n in &nodes {
        wait_ready(&http, n).await;
    }
    let partner = Partner::new(sandbox_partner::PARTNER_CODE, sandbox_partner::API_KEY, sandbox_partner::SECRET_KEY);
    let run = Arc::new(Run { http, nodes, next: AtomicUsize::new(0), acked: AtomicUsize::new(0), partner, notify_url });

    let next_order = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (run, next_order) = (run.clone(), next_order.clone());
        workers.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            loop {
                let i = next_order.fetch_add(1, Ordering::Relaxed);
                if i >= ORDERS {
                    return seen;
                }
                seen.push((i, run.one_order(i).await));
            }
        }));
    }

    // Mid-run: hold the merchant's answers so deliveries are in flight everywhere,
    // then kill a node outright.
    let deadline = Instant::now() + Duration::from_secs(60);
    while run.acked.load(Ordering::Relaxed) < KILL_AFTER {
        assert!(
            Instant::now() < deadline && !workers.iter().all(|w| w.is_finished()),
            "the load stalled: {} settlements; logs: {}",
            run.acked.load(Ordering::Relaxed),
            run.nodes.iter().map(log_of).collect::<Vec<_>>().join("\n")
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    hold_tx.send_replace(true);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let victim = &run.nodes[VICTIM];
    victim.alive.store(false, Ordering::Relaxed);
    // tokio's start_kill is SIGKILL on Unix: no shutdown, no cleanup.
    victim.child.lock().expect("lock").start_kill().expect("SIGKILL the victim");
    let killed_at = run.acked.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(200)).await;
    hold_tx.send_replace(false);

    let mut seen: HashMap<usize, Seen> = HashMap::new();
    for w in workers {
        seen.extend(w.await.expect("load worker"));
    }
    let load_done = started.elapsed();

    // Every paid order's IPN gets delivered: wait for the outbox to drain (the dead
    // node's leased rows come back when their lease runs out).
    let pool = sqlx::PgPool::connect(&db.url).await.expect("connect");
    let end = Instant::now() + Duration::from_secs(45);
    loop {
        let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status <> 'delivered'")
            .fetch_one(&pool)
            .await
            .expect("count");
        if pending == 0 {
            break;
        }
        assert!(Instant::now() < end, "{pending} IPNs still undelivered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The database's view.
    let rows = sqlx::query(
        "SELECT o.trans_id, o.state, COUNT(x.id) AS rows, COALESCE(MAX(x.attempts), 0) AS claims, \
         COALESCE(SUM((SELECT COUNT(*) FROM ipn_attempts a WHERE a.outbox_id = x.id)), 0)::BIGINT AS recorded, \
         COALESCE(SUM((SELECT COUNT(*) FROM ipn_attempts a WHERE a.outbox_id = x.id AND a.http_status = 200 \
                       AND a.error IS NULL)), 0)::BIGINT AS delivered \
         FROM orders o LEFT JOIN outbox x ON x.trans_id = o.trans_id GROUP BY o.trans_id, o.state",
    )
    .fetch_all(&pool)
    .await
    .expect("orders");
    let mut db_orders: HashMap<String, (String, i64, i64, i64, i64)> = HashMap::new();
    for r in &rows {
        db_orders.insert(
            r.get::<String, _>(0),
            (
                r.get::<String, _>(1),
                r.get::<i64, _>(2),
                i64::from(r.get::<i32, _>(3)),
                r.get::<i64, _>(4),
                r.get::<i64, _>(5),
            ),
        );
    }
    let received = counter.received.lock().expect("lock").clone();

    let created: Vec<&Seen> = seen.values().filter(|s| s.trans_id.is_some()).collect();
    let mut duplicates = 0usize;
    let mut reclaimed = 0usize;
    for s in &created {
        let tid = s.trans_id.as_deref().expect("id");
        let (state, ..) = db_orders.get(tid).unwrap_or_else(|| panic!("order {tid} lost"));
        assert!(s.wins <= 1, "{tid} settled {} times", s.wins);
        if s.paid {
            assert_eq!(state, "success", "{tid}");
        }
    }
    for (tid, (state, outbox_rows, claims, recorded, delivered)) in &db_orders {
        let got = received.get(tid).map_or(0, Vec::len);
        if state == "success" {
            assert_eq!(*outbox_rows, 1, "{tid}: exactly one settlement queued one IPN");
            assert!(got >= 1, "{tid}: paid but its IPN never arrived");
            // One successful attempt: a delivered row is never attempted again, and
            // no two nodes make the same attempt.
            assert_eq!(*delivered, 1, "{tid}: delivered by {delivered} recorded attempts");
            // Each arrival is an attempt some node claimed: a node never sends twice
            // within one claim, so only genuine retries duplicate.
            assert!(got as i64 <= *claims, "{tid}: {got} arrivals but {claims} claims");
            let bodies = &received[tid];
            assert!(bodies.iter().all(|b| *b == bodies[0]), "{tid}: a retry resends the same IPN");
            duplicates += got - 1;
            if claims > recorded {
                reclaimed += 1; // a claim died with its node and the row was claimed again
            }
        } else {
            assert_eq!(*outbox_rows, 0, "{tid}: {state} but an IPN was queued");
            assert!(got == 0, "{tid}: IPN for an unpaid order");
        }
    }
    let stray: Vec<&String> = received.keys().filter(|k| !db_orders.contains_key(*k)).collect();
    assert!(stray.is_empty(), "IPNs for unknown orders: {stray:?}");

    let acked_creations = created.len();
    let paid = created.iter().filter(|s| s.paid).count();
    let in_db_paid = db_orders.values().filter(|v| v.0 == "success").count();
    let ipns: usize = received.values().map(Vec::len).sum();
    println!(
        "multi-node: {ORDERS} orders over {NODES} nodes, node {VICTIM} SIGKILLed after {killed_at} settlements; \
         creations acknowledged {acked_creations}, paid {paid} (in the database {in_db_paid}), IPNs received {ipns}, \
         duplicate deliveries {duplicates}, rows re-claimed after the kill {reclaimed}; load {:.1}s, total {:.1}s",
        load_done.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    // Only the requests in flight at the node that died may have gone unanswered,
    // and a settlement it took with it was finished on a live node.
    assert!(acked_creations >= ORDERS - CONCURRENCY, "only in-flight requests may fail: {acked_creations}");
    assert_eq!(paid, acked_creations, "every acknowledged order got paid");
    assert_eq!(in_db_paid, paid, "the database agrees");
    // The killed node had deliveries in flight (the merchant was holding them): their
    // rows came back to the others once the leases ran out.
    assert!(reclaimed > 0, "no row of the killed node was claimed again");

    pool.close().await;
    drop(run); // kills the surviving nodes
    drop(db);
}
