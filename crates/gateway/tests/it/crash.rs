//! Crash and shutdown of the real binary: a SIGKILL while IPNs are pending and in
//! flight (and while partner calls are being answered) loses no acknowledged order,
//! no acknowledged settlement and no IPN; a SIGTERM lets the delivery in flight
//! finish and be recorded before the process exits cleanly.

use crate::harness::Partner;
use appotapay_protocol::{sandbox_partner, signing};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// A gateway child process, killed when dropped (a failing test leaves none behind).
struct GatewayProcess {
    child: Child,
    base: String,
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl GatewayProcess {
    /// Starts the binary on `port` over `dir` and waits until `/healthz` answers. A
    /// start that fails (the port of a killed run not yet free) is retried.
    async fn start(dir: &Path, port: u16, schedule: &str, http: &reqwest::Client) -> GatewayProcess {
        let base = format!("http://127.0.0.1:{port}");
        let mut last_error = String::new();
        for attempt in 0..10 {
            let log =
                std::fs::OpenOptions::new().create(true).append(true).open(dir.join("gateway.log")).expect("log file");
            let child = Command::new(env!("CARGO_BIN_EXE_appotapay-gateway"))
                .env_remove("APPOTAPAY_CONFIG")
                .env("APPOTAPAY_LISTEN", format!("127.0.0.1:{port}"))
                .env("APPOTAPAY_DATA_DIR", dir)
                .env("APPOTAPAY_MODE", "sandbox")
                .env("APPOTAPAY_IPN_RETRY_SCHEDULE", schedule)
                .env("APPOTAPAY_IPN_TIMEOUT", "5s")
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("spawn the gateway");
            let mut p = GatewayProcess { child, base: base.clone() };
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Some(status) = p.child.try_wait().expect("try_wait") {
                    last_error = format!("exited with {status} (attempt {attempt})");
                    break;
                }
                if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
                    if r.status() == 200 {
                        return p;
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if last_error.is_empty() {
                last_error = "not ready within 20 s".into();
            }
            drop(p);
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let log = std::fs::read_to_string(dir.join("gateway.log")).unwrap_or_default();
        panic!("the gateway did not start: {last_error}\n{log}");
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown code runs.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("wait");
    }

    /// SIGTERM, then waits (bounded) for the exit status.
    async fn terminate(mut self) -> std::process::ExitStatus {
        let ok = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().expect("kill -TERM");
        assert!(ok.success(), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "the gateway did not exit within 30 s of SIGTERM");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// How the merchant answers.
const FAIL_SLOWLY: u8 = 0;
const OK: u8 = 1;
const OK_SLOWLY: u8 = 2;

/// One IPN the merchant received.
#[derive(Clone, Debug)]
struct Seen {
    trans_id: String,
    error_code: Value,
    valid_signature: bool,
    /// Whether it was answered `{"status":"ok"}`.
    acknowledged: bool,
}

#[derive(Clone)]
struct MerchantState {
    mode: Arc<AtomicU8>,
    seen: Arc<Mutex<Vec<Seen>>>,
    arrived: Arc<AtomicUsize>,
    secret: appotapay_protocol::SecretKey,
    slow: Duration,
}

/// A merchant IPN endpoint whose behaviour can be switched while it runs.
struct Merchant {
    url: String,
    state: MerchantState,
}

impl Merchant {
    async fn start(mode: u8, slow: Duration) -> Merchant {
        let state = MerchantState {
            mode: Arc::new(AtomicU8::new(mode)),
            seen: Arc::new(Mutex::new(Vec::new())),
            arrived: Arc::new(AtomicUsize::new(0)),
            secret: appotapay_protocol::SecretKey::new(sandbox_partner::SECRET_KEY),
            slow,
        };
        let app = axum::Router::new().route("/ipn", post(ipn)).with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Merchant { url: format!("http://{addr}/ipn"), state }
    }

    fn set_mode(&self, mode: u8) {
        self.state.mode.store(mode, Ordering::SeqCst);
    }

    fn arrived(&self) -> usize {
        self.state.arrived.load(Ordering::SeqCst)
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("lock").clone()
    }
}

async fn ipn(State(s): State<MerchantState>, body: Bytes) -> Response {
    s.arrived.fetch_add(1, Ordering::SeqCst);
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let valid_signature = signing::verify_json(&signing::NOTIFICATION, &s.secret, &v).is_ok();
    let mode = s.mode.load(Ordering::SeqCst);
    if mode != OK {
        tokio::time::sleep(s.slow).await;
    }
    let acknowledged = mode != FAIL_SLOWLY;
    s.seen.lock().expect("lock").push(Seen {
        trans_id: v["appotapayTransId"].as_str().unwrap_or_default().to_owned(),
        error_code: v["errorCode"].clone(),
        valid_signature,
        acknowledged,
    });
    if acknowledged {
        (StatusCode::OK, r#"{"status":"ok"}"#).into_response()
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, "down for maintenance").into_response()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .expect("client")
}

/// POSTs a JSON body as the sandbox partner; `None` when no HTTP answer came back.
async fn call(http: &reqwest::Client, base: &str, path: &str, body: &Value) -> Option<(u16, Value)> {
    let p = sandbox();
    let resp = http
        .post(format!("{base}{path}"))
        .header("X-APPOTAPAY-AUTH", format!("Bearer {}", p.token()))
        .json(body)
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    let v = resp.json::<Value>().await.ok()?;
    Some((status, v))
}

fn sandbox() -> Partner {
    Partner::new(sandbox_partner::PARTNER_CODE, sandbox_partner::API_KEY, sandbox_partner::SECRET_KEY)
}

/// Creates an order; `Some(appotapayTransId)` when the gateway acknowledged it.
async fn create(http: &reqwest::Client, base: &str, order_id: &str, notify: &str) -> Option<String> {
    let body = sandbox().qr_request(order_id, 10_000, notify, "");
    let (status, v) = call(http, base, "/api/v1/orders/payment/qr", &body).await?;
    let ok = status == 200
        && v["errorCode"] == 0
        && signing::verify_json(&signing::QR_PAYMENT_RESPONSE, &sandbox().secret, &v).is_ok();
    if ok { v["appotapayTransId"].as_str().map(str::to_owned) } else { None }
}

/// Settles a transaction as paid; `true` when the gateway acknowledged it.
async fn settle(http: &reqwest::Client, base: &str, trans_id: &str) -> bool {
    let path = format!("/api/v1/sandbox/transactions/{trans_id}/complete");
    matches!(call(http, base, &path, &json!({"errorCode": 0})).await, Some((200, v)) if v["errorCode"] == 0)
}

async fn status(http: &reqwest::Client, base: &str, order_id: &str) -> (u16, Value) {
    let body = sandbox().sign(&signing::STATUS_REQUEST, json!({"orderId": order_id}));
    call(http, base, "/api/v1/orders/transaction/bank/status", &body).await.expect("status answer")
}

/// What a call racing with the SIGKILL got.
enum Raced {
    /// A creation, with the appotapayTransId when it was acknowledged.
    Created { oid: String, trans_id: Option<String> },
    /// A settlement of an acknowledged order.
    Settled { oid: String, acknowledged: bool },
}

fn db_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("gateway.db").display())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_loses_no_acknowledged_order_settlement_or_ipn() {
    const FIRST: usize = 200;
    const SETTLED_FIRST: usize = 100;
    let dir = tempfile::tempdir().expect("tempdir");
    let data: PathBuf = dir.path().to_path_buf();
    let port = free_port();
    let http = client();
    // Failing slowly: by the kill, attempts are both scheduled for a retry and in flight.
    let merchant = Merchant::start(FAIL_SLOWLY, Duration::from_millis(300)).await;
    let schedule = "0s,1s,1s,1s,1s,1s,1s,1s,1s,1s";
    let gw = GatewayProcess::start(&data, port, schedule, &http).await;
    let base = gw.base.clone();

    // 1. Orders, created concurrently.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..FIRST {
        let (http, base, url) = (http.clone(), base.clone(), merchant.url.clone());
        tasks.spawn(async move {
            let oid = format!("crash-{i}");
            let id = create(&http, &base, &oid, &url).await;
            (oid, id)
        });
    }
    let mut created: HashMap<String, String> = HashMap::new();
    while let Some(r) = tasks.join_next().await {
        let (oid, id) = r.expect("task");
        created.insert(oid.clone(), id.unwrap_or_else(|| panic!("{oid} was not acknowledged before any crash")));
    }

    // 2. Half of them settled, concurrently; all acknowledged.
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..SETTLED_FIRST {
        let oid = format!("crash-{i}");
        let id = created[&oid].clone();
        let (http, base) = (http.clone(), base.clone());
        tasks.spawn(async move { (oid, settle(&http, &base, &id).await) });
    }
    let mut settled_acked: HashSet<String> = HashSet::new();
    while let Some(r) = tasks.join_next().await {
        let (oid, ok) = r.expect("task");
        assert!(ok, "{oid}: settlement not acknowledged before any crash");
        settled_acked.insert(oid);
    }
    // Wait until the merchant has failed a good number of attempts (now scheduled for
    // a retry) while others are still in flight.
    let deadline = Instant::now() + Duration::from_secs(20);
    while merchant.seen().len() < 50 {
        assert!(Instant::now() < deadline, "the IPN worker did not attempt deliveries");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // 3. More creations and settlements race with the SIGKILL.
    let rounds = Arc::new(AtomicUsize::new(0));
    let mut racing = tokio::task::JoinSet::new();
    for w in 0..8 {
        let (http, base, url, rounds) = (http.clone(), base.clone(), merchant.url.clone(), rounds.clone());
        let to_settle: Vec<(String, String)> = (SETTLED_FIRST + w..FIRST)
            .step_by(8)
            .map(|i| format!("crash-{i}"))
            .map(|o| (o.clone(), created[&o].clone()))
            .collect();
        racing.spawn(async move {
            let mut results = Vec::new();
            for (k, (oid, id)) in to_settle.into_iter().enumerate() {
                let acknowledged = settle(&http, &base, &id).await;
                results.push(Raced::Settled { oid, acknowledged });
                let oid = format!("race-{w}-{k}");
                let trans_id = create(&http, &base, &oid, &url).await;
                results.push(Raced::Created { oid, trans_id });
                rounds.fetch_add(1, Ordering::SeqCst);
            }
            results
        });
    }
    while rounds.load(Ordering::SeqCst) < 24 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let failed_before_kill = merchant.seen().len();
    let in_flight_at_kill = merchant.arrived() - failed_before_kill;
    gw.kill();
    let mut race_created: Vec<String> = Vec::new();
    let mut race_lost = 0;
    while let Some(r) = racing.join_next().await {
        for outcome in r.expect("task") {
            match outcome {
                Raced::Created { oid, trans_id: Some(id) } => {
                    created.insert(oid.clone(), id);
                    race_created.push(oid);
                }
                Raced::Settled { oid, acknowledged: true } => {
                    settled_acked.insert(oid);
                }
                Raced::Created { trans_id: None, .. } | Raced::Settled { acknowledged: false, .. } => race_lost += 1,
            }
        }
    }
    assert!(merchant.seen().iter().all(|s| !s.acknowledged), "nothing was delivered before the crash");

    // 4. Restart on the same data directory and port; the merchant recovers.
    merchant.set_mode(OK);
    // A new client: the old one's pooled connections died with the process.
    let http = client();
    let gw = GatewayProcess::start(&data, port, schedule, &http).await;

    // Every acknowledged order exists; every acknowledged settlement is still paid.
    let mut paid: HashMap<String, String> = HashMap::new();
    for (oid, id) in &created {
        let (s, st) = status(&http, &gw.base, oid).await;
        assert_eq!(s, 200, "acknowledged order {oid} is lost: {st}");
        assert_eq!(st["appotapayTransId"], id.as_str(), "{oid}");
        assert!(signing::verify_json(&signing::STATUS_RESPONSE, &sandbox().secret, &st).is_ok(), "{oid}: {st}");
        let code = st["errorCode"].as_u64().expect("code");
        if settled_acked.contains(oid) {
            assert_eq!(code, 0, "acknowledged settlement of {oid} is lost: {st}");
        } else {
            assert!(code == 0 || code == 35, "{oid}: {st}");
        }
        if code == 0 {
            paid.insert(id.clone(), oid.clone());
        }
    }
    assert!(paid.len() >= settled_acked.len());

    // Every paid order's IPN arrives: acknowledged by the merchant, signature valid.
    let deadline = Instant::now() + Duration::from_secs(30);
    let missing = loop {
        let delivered: HashSet<String> = merchant
            .seen()
            .into_iter()
            .filter(|s| s.acknowledged && s.valid_signature && s.error_code == 0)
            .map(|s| s.trans_id)
            .collect();
        let missing: Vec<&String> = paid.keys().filter(|id| !delivered.contains(*id)).collect();
        if missing.is_empty() || Instant::now() > deadline {
            break missing.into_iter().cloned().collect::<Vec<_>>();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let seen = merchant.seen();
    let mut per_id: HashMap<&str, usize> = HashMap::new();
    for s in seen.iter().filter(|s| s.acknowledged) {
        *per_id.entry(s.trans_id.as_str()).or_default() += 1;
    }
    let duplicates: usize = per_id.values().map(|n| n - 1).sum();
    let summary = format!(
        "{} orders acknowledged ({} during the crash race, {} race calls unanswered), {} settlements \
         acknowledged, {} paid after restart; at the kill {} IPN attempts had failed and {} were in flight; \
         {} delivered after restart with {duplicates} duplicate deliveries",
        created.len(),
        race_created.len(),
        race_lost,
        settled_acked.len(),
        paid.len(),
        failed_before_kill,
        in_flight_at_kill,
        per_id.len(),
    );
    assert!(missing.is_empty(), "IPNs never delivered for {missing:?}; {summary}");
    assert!(seen.iter().all(|s| s.valid_signature), "every IPN is signed; {summary}");
    assert!(per_id.keys().all(|id| paid.contains_key(*id)), "IPNs only for paid orders; {summary}");
    eprintln!("crash test: {summary}");

    // 5. A clean stop; the outbox is empty and every paid order has a delivered row.
    let exit = gw.terminate().await;
    assert!(exit.success(), "exit after SIGTERM: {exit}");
    let store = appotapay_gateway::store::open(&db_url(&data)).await.expect("open the store");
    assert_eq!(store.outbox_depth().await.expect("depth"), 0, "{summary}");
    for id in paid.keys() {
        let d = store.deliveries(id).await.expect("deliveries");
        assert!(
            d.iter().any(|d| d.status == appotapay_gateway::domain::records::DeliveryStatus::Delivered),
            "{id}: {d:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_and_records_the_delivery_in_flight() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().to_path_buf();
    let http = client();
    let merchant = Merchant::start(OK_SLOWLY, Duration::from_millis(1_500)).await;
    let gw = GatewayProcess::start(&data, free_port(), "0s,1s", &http).await;
    let id = create(&http, &gw.base, "term-1", &merchant.url).await.expect("created");
    assert!(settle(&http, &gw.base, &id).await, "settled");
    // The IPN is in flight: the merchant holds it for 1.5 s before answering ok.
    let deadline = Instant::now() + Duration::from_secs(10);
    while merchant.arrived() == 0 {
        assert!(Instant::now() < deadline, "no IPN arrived");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(merchant.seen().is_empty(), "still being answered");
    let exit = gw.terminate().await;
    assert!(exit.success(), "exit after SIGTERM: {exit}");
    let seen = merchant.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].acknowledged && seen[0].valid_signature);

    let store = appotapay_gateway::store::open(&db_url(&data)).await.expect("open the store");
    let d = store.deliveries(&id).await.expect("deliveries");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        d[0].status,
        appotapay_gateway::domain::records::DeliveryStatus::Delivered,
        "the attempt was recorded before exiting: {d:?}"
    );
    assert_eq!(d[0].attempts.len(), 1);
    assert_eq!(d[0].attempts[0].http_status, Some(200));
    assert!(d[0].attempts[0].latency_ms >= 1_000, "{:?}", d[0].attempts[0]);
    assert_eq!(store.outbox_depth().await.expect("depth"), 0);
}

/// Runs an admin command of the real binary on the data directory `dir`; its
/// standard output.
fn admin(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_appotapay-gateway"))
        .env_remove("APPOTAPAY_CONFIG")
        .env("APPOTAPAY_DATA_DIR", dir)
        .env("APPOTAPAY_MODE", "sandbox")
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .expect("run the admin command");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const FEED_SECRET: &str = "whsec_crash_test_0123456789abcdef";

/// Posts a SePay webhook (HMAC-signed now) for a credit of `amount` with memo
/// `memo`; `true` when the gateway answered 200.
async fn sepay_webhook(http: &reqwest::Client, base: &str, tx_id: i64, amount: i64, memo: &str) -> bool {
    use appotapay_protocol::bankfeed::sepay;
    let account = "113366668888";
    let body = json!({"id": tx_id, "gateway": "VietinBank", "transactionDate": "2026-12-02 10:00:00",
        "accountNumber": account, "code": null, "content": memo, "transferType": "in", "transferAmount": amount,
        "accumulated": 0, "subAccount": null, "referenceCode": format!("FT{tx_id}"), "description": memo})
    .to_string();
    let ts = (appotapay_gateway::now_ms() / 1000).to_string();
    let sig = sepay::sign(FEED_SECRET, &ts, body.as_bytes());
    let path = format!("{base}/bank-feeds/sepay/{}", sandbox_partner::PARTNER_CODE);
    let sent = http
        .post(path)
        .header(sepay::SIGNATURE_HEADER, sig)
        .header(sepay::TIMESTAMP_HEADER, ts)
        .body(body)
        .send()
        .await;
    matches!(sent, Ok(r) if r.status() == 200)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_bank_feed_deliveries_loses_no_credit() {
    const ORDERS: usize = 60;
    let dir = tempfile::tempdir().expect("tempdir");
    let data: PathBuf = dir.path().to_path_buf();
    let port = free_port();
    let http = client();
    let merchant = Merchant::start(OK, Duration::ZERO).await;
    let gw = GatewayProcess::start(&data, port, "0s,1s,1s,1s,1s", &http).await;
    let code = sandbox_partner::PARTNER_CODE;
    let feed = admin(
        &data,
        &["partner", "bank-feed", "add", "--code", code, "--provider", "sepay", "--hmac-secret", FEED_SECRET],
    );
    assert!(feed.contains("\"provider\":\"sepay\""), "{feed}");

    let mut ids = Vec::new();
    for i in 0..ORDERS {
        let id = create(&http, &gw.base, &format!("feed-{i}"), &merchant.url).await.expect("created");
        ids.push(id);
    }
    // Deliveries race with the SIGKILL.
    let acked = Arc::new(AtomicUsize::new(0));
    let mut racing = tokio::task::JoinSet::new();
    for w in 0..6 {
        let (http, base, acked) = (http.clone(), gw.base.clone(), acked.clone());
        let mine: Vec<(usize, String)> = ids.iter().cloned().enumerate().skip(w).step_by(6).collect();
        racing.spawn(async move {
            for (i, id) in mine {
                if sepay_webhook(&http, &base, 10_000 + i as i64, 10_000, &format!("CK {id}")).await {
                    acked.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
    }
    while acked.load(Ordering::SeqCst) < 15 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    gw.kill();
    while racing.join_next().await.is_some() {}
    let acked_at_kill = acked.load(Ordering::SeqCst);

    // A credit recorded whose judging died with the process (as a kill between the two
    // steps leaves it), for an order of its own: the stale pass judges it.
    let extra = {
        let store = appotapay_gateway::store::open(&db_url(&data)).await.expect("open the store");
        let http = client();
        let gw = GatewayProcess::start(&data, port, "0s,1s,1s,1s,1s", &http).await;
        let extra = create(&http, &gw.base, "feed-extra", &merchant.url).await.expect("created");
        gw.kill();
        let credit = appotapay_gateway::domain::credit::NewCredit {
            partner_code: code.to_owned(),
            provider: appotapay_protocol::bankfeed::Provider::Sepay,
            provider_tx_id: Some("99999".into()),
            via: appotapay_gateway::domain::credit::Via::Webhook,
            account: "113366668888".into(),
            incoming: true,
            amount: 10_000,
            content: format!("CK {extra}"),
            description: String::new(),
            reference: "FT99999".into(),
            booked_at: String::new(),
            raw: "{}".into(),
            status: appotapay_gateway::domain::credit::CreditStatus::Received,
            reason: None,
            received_at_ms: appotapay_gateway::now_ms() - 60_000,
        };
        store.insert_credit(&credit).await.expect("insert").expect("new");
        extra
    };

    // Restart; the provider retries every delivery (those answered too: duplicates).
    let http = client();
    let gw = GatewayProcess::start(&data, port, "0s,1s,1s,1s,1s", &http).await;
    for (i, id) in ids.iter().enumerate() {
        assert!(sepay_webhook(&http, &gw.base, 10_000 + i as i64, 10_000, &format!("CK {id}")).await, "retry {i}");
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, st) = status(&http, &gw.base, "feed-extra").await;
        if st["errorCode"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the stale credit was never judged: {st}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for i in 0..ORDERS {
        let (_, st) = status(&http, &gw.base, &format!("feed-{i}")).await;
        assert_eq!(st["errorCode"], 0, "feed-{i}: {st}");
    }
    // Every paid order's IPN is delivered.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let delivered: HashSet<String> =
            merchant.seen().into_iter().filter(|s| s.acknowledged).map(|s| s.trans_id).collect();
        if ids.iter().chain([&extra]).all(|id| delivered.contains(id)) {
            break;
        }
        assert!(Instant::now() < deadline, "IPNs missing");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let exit = gw.terminate().await;
    assert!(exit.success(), "exit after SIGTERM: {exit}");
    // Each transaction on record once, and each paid its order.
    let listed = admin(&data, &["partner", "credits", "list", "--code", code, "--limit", "500"]);
    let credits: Vec<Value> = listed.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(credits.len(), ORDERS + 1, "{listed}");
    assert!(credits.iter().all(|c| c["status"] == "settled"), "{listed}");
    eprintln!("bank feed crash test: {acked_at_kill} of {ORDERS} deliveries answered before the SIGKILL");
}
