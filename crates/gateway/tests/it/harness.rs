//! A gateway in the test process, a scriptable merchant endpoint, and a partner
//! client that signs requests with the protocol crate.

#![allow(dead_code)]

use crate::pg::{MASTER_KEY, TestDb};
use appotapay_gateway::config::Config;
use appotapay_gateway::core::Gateway;
use appotapay_gateway::server::{self, Running};
use appotapay_protocol::signing::{self, SignatureSpec};
use appotapay_protocol::{SecretKey, jwt, sandbox_partner};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;

/// The database a test gateway runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in the gateway's temporary directory.
    Sqlite,
    /// A fresh database on the test PostgreSQL server.
    Postgres,
}

/// Runs an `async fn(Backend)` test once per backend: `name::sqlite` and
/// `name::postgres`.
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(crate::harness::Backend::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                super::$name(crate::harness::Backend::Postgres).await
            }
        }
    };
}
pub(crate) use on_both;

pub struct TestGateway {
    pub running: Option<Running>,
    pub base: String,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
    /// The PostgreSQL database, when on PostgreSQL (dropped with the last node).
    pub db: Option<Arc<TestDb>>,
}

impl TestGateway {
    pub async fn start() -> TestGateway {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestGateway {
        Self::start_on(Backend::Sqlite, tweak).await
    }

    /// A gateway on a fresh database of `backend`.
    pub async fn start_on(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestGateway {
        match backend {
            Backend::Sqlite => Self::start_at(None, tweak).await,
            Backend::Postgres => Self::start_at(Some(Arc::new(TestDb::create().await)), tweak).await,
        }
    }

    /// Another node on the same database as `self` (PostgreSQL only).
    pub async fn another_node(&self, tweak: impl FnOnce(&mut Config)) -> TestGateway {
        let db = self.db.clone().expect("several nodes need PostgreSQL");
        Self::start_at(Some(db), tweak).await
    }

    /// A gateway on an existing database (`url`), keeping its files in `data_dir`.
    pub async fn start_on_url(url: &str, data_dir: &std::path::Path, tweak: impl FnOnce(&mut Config)) -> TestGateway {
        let (url, data_dir) = (url.to_owned(), data_dir.to_path_buf());
        Self::start_with_config(None, move |c| {
            c.database_url = url;
            c.data_dir = data_dir;
            tweak(c)
        })
        .await
    }

    async fn start_at(db: Option<Arc<TestDb>>, tweak: impl FnOnce(&mut Config)) -> TestGateway {
        Self::start_with_config(db, tweak).await
    }

    async fn start_with_config(db: Option<Arc<TestDb>>, tweak: impl FnOnce(&mut Config)) -> TestGateway {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::defaults().expect("defaults");
        config.data_dir = dir.path().to_path_buf();
        match &db {
            None => config.database_url = format!("sqlite://{}", dir.path().join("gateway.db").display()),
            Some(db) => {
                config.database_url = db.url.clone();
                config.master_key = Some(MASTER_KEY.to_owned());
            }
        }
        config.ipn_schedule = vec![Duration::ZERO, Duration::from_millis(300), Duration::from_millis(300)];
        config.ipn_timeout = Duration::from_secs(2);
        config.sweep_interval = Duration::from_millis(200);
        config.partner_cache_ttl = Duration::from_millis(100);
        tweak(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        config.public_url = format!("http://{addr}");
        config.listen = addr;
        let gw = server::open(config).await.expect("open");
        let running = server::start(gw, listener).await.expect("start");
        TestGateway {
            running: Some(running),
            base: format!("http://{addr}"),
            dir,
            http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
            db,
        }
    }

    pub fn gw(&self) -> &Arc<Gateway> {
        &self.running.as_ref().expect("running").gateway
    }

    pub fn sandbox(&self) -> Partner {
        Partner::new(sandbox_partner::PARTNER_CODE, sandbox_partner::API_KEY, sandbox_partner::SECRET_KEY)
    }

    /// Creates a partner directly through the core and returns its credentials.
    pub async fn partner(&self, code: &str, notify_failures: bool) -> Partner {
        let api_key = format!("{code}-api-key-0123456789");
        let secret = format!("{code}-secret-0123456789abcdef");
        assert!(
            self.gw()
                .create_partner(code, &format!("Shop {code}"), &api_key, &secret, notify_failures)
                .await
                .expect("create")
        );
        Partner::new(code, &api_key, &secret)
    }

    pub async fn shutdown(mut self) -> tempfile::TempDir {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
        self.dir
    }

    /// Sends a POST with a JSON body (already signed or deliberately not).
    pub async fn post(&self, p: &Partner, path: &str, body: &Value) -> (u16, Value, reqwest::header::HeaderMap) {
        self.post_raw(path, Some(&p.token()), body.to_string().into_bytes(), &[]).await
    }

    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut req =
            self.http.post(format!("{}{path}", self.base)).header("content-type", "application/json").body(body);
        if let Some(t) = token {
            req = req.header("X-APPOTAPAY-AUTH", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value, headers)
    }

    /// Any request with the partner's token (`Bearer`), an optional JSON body and
    /// extra headers.
    pub async fn call(
        &self,
        p: &Partner,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("X-APPOTAPAY-AUTH", format!("Bearer {}", p.token()));
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b.to_string());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Creates a bank order; panics unless it succeeds.
    pub async fn create_bank(
        &self,
        p: &Partner,
        order_id: &str,
        amount: i64,
        method: &str,
        bank: &str,
        notify: &str,
    ) -> Value {
        let body = p.bank_request(order_id, amount, method, bank, notify);
        let (status, v, _) = self.post(p, "/api/v1/orders/payment/bank", &body).await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["errorCode"], 0, "{v}");
        assert!(
            signing::verify_json(&signing::BANK_PAYMENT_RESPONSE, &p.secret, &v).is_ok(),
            "response signature: {v}"
        );
        v
    }

    pub async fn create_qr(&self, p: &Partner, order_id: &str, amount: i64, notify: &str) -> Value {
        let body = p.qr_request(order_id, amount, notify, "http://127.0.0.1:9/return");
        let (status, v, _) = self.post(p, "/api/v1/orders/payment/qr", &body).await;
        assert_eq!(status, 200, "{v}");
        assert!(signing::verify_json(&signing::QR_PAYMENT_RESPONSE, &p.secret, &v).is_ok(), "response signature: {v}");
        v
    }

    pub async fn status(&self, p: &Partner, order_id: &str) -> (u16, Value) {
        let body = p.sign(&signing::STATUS_REQUEST, json!({"orderId": order_id}));
        let (s, v, _) = self.post(p, "/api/v1/orders/transaction/bank/status", &body).await;
        (s, v)
    }

    pub async fn complete(&self, p: &Partner, trans_id: &str, code: u32) -> (u16, Value) {
        let (s, v, _) = self
            .post(p, &format!("/api/v1/sandbox/transactions/{trans_id}/complete"), &json!({"errorCode": code}))
            .await;
        (s, v)
    }

    /// The appotapayTransId behind a paymentUrl.
    pub fn trans_id_of(&self, payment_url: &str) -> String {
        let u = url::Url::parse(payment_url).expect("url");
        let q: std::collections::HashMap<String, String> = u.query_pairs().into_owned().collect();
        self.gw().verify_payment_link(&q["tran"], &q["sign"]).expect("valid payment link")
    }
}

#[derive(Clone)]
pub struct Partner {
    pub code: String,
    pub api_key: String,
    pub secret: SecretKey,
}

impl Partner {
    pub fn new(code: &str, api_key: &str, secret: &str) -> Partner {
        Partner { code: code.into(), api_key: api_key.into(), secret: SecretKey::new(secret) }
    }

    pub fn token(&self) -> String {
        jwt::build(&self.code, &self.api_key, &self.secret, appotapay_gateway::now_ms() / 1000, 300)
    }

    /// Adds `signature` computed over `spec`'s fields of `body`.
    pub fn sign(&self, spec: &SignatureSpec, mut body: Value) -> Value {
        let sig = signing::sign_data(&self.secret, &signing::canonical_data_json(spec, &body));
        body["signature"] = Value::String(sig);
        body
    }

    pub fn bank_request(&self, order_id: &str, amount: i64, method: &str, bank: &str, notify: &str) -> Value {
        self.sign(
            &signing::BANK_PAYMENT_REQUEST,
            json!({
                "orderId": order_id, "orderInfo": "Thanh toán đơn hàng & <test>", "amount": amount,
                "clientIp": "103.53.171.140", "notifyUrl": notify, "redirectUrl": "http://127.0.0.1:9/return?shop=1",
                "paymentMethod": method, "bankCode": bank, "extraData": "cart=42 x&y"
            }),
        )
    }

    pub fn qr_request(&self, order_id: &str, amount: i64, notify: &str, redirect: &str) -> Value {
        self.sign(
            &signing::QR_PAYMENT_REQUEST,
            json!({
                "orderId": order_id, "orderInfo": "QR order", "amount": amount, "clientIp": "103.53.171.140",
                "notifyUrl": notify, "redirectUrl": redirect, "extraData": ""
            }),
        )
    }
}

/// How the merchant answers an IPN.
#[derive(Clone, Copy, Debug)]
pub enum Answer {
    Ok,
    Status(u16),
    WrongBody,
    Hang,
}

#[derive(Clone, Debug)]
pub struct Received {
    pub at: Instant,
    pub body: Value,
}

#[derive(Clone)]
struct MerchantState {
    script: Arc<Mutex<Vec<Answer>>>,
    default: Answer,
    received: Arc<Mutex<Vec<Received>>>,
}

/// A merchant's IPN endpoint on 127.0.0.1: answers with a script, then a default.
pub struct Merchant {
    pub url: String,
    state: MerchantState,
}

impl Merchant {
    pub async fn start(script: Vec<Answer>, default: Answer) -> Merchant {
        let state = MerchantState {
            script: Arc::new(Mutex::new(script.into_iter().rev().collect())),
            default,
            received: Arc::new(Mutex::new(Vec::new())),
        };
        let app = axum::Router::new()
            .route("/ipn", post(ipn))
            .route("/{*rest}", any(|| async { "merchant" }))
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Merchant { url: format!("http://{addr}/ipn"), state }
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().expect("lock").clone()
    }

    /// Waits until `n` IPNs arrived (or `timeout`), returns them.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let end = Instant::now() + timeout;
        loop {
            let r = self.received();
            if r.len() >= n || Instant::now() > end {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn ipn(State(s): State<MerchantState>, body: Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    s.received.lock().expect("lock").push(Received { at: Instant::now(), body: v });
    let answer = s.script.lock().expect("lock").pop().unwrap_or(s.default);
    match answer {
        Answer::Ok => (StatusCode::OK, r#"{"status":"ok"}"#).into_response(),
        Answer::Status(c) => {
            (StatusCode::from_u16(c).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), "nope").into_response()
        }
        Answer::WrongBody => (StatusCode::OK, r#"{"status":"received"}"#).into_response(),
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            (StatusCode::OK, r#"{"status":"ok"}"#).into_response()
        }
    }
}

/// Parses a redirect URL's query into a map (form-decoded).
pub fn query_map(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url).expect("url").query_pairs().into_owned().collect()
}
