//! Drills: the real binary against the failures of its surroundings (the database
//! server restarting under load, the disk filling up). They start servers of their
//! own and need root for some of it (running PostgreSQL as `postgres`, mounting a
//! tmpfs), so they are `#[ignore]`d in a plain `cargo test` and run by `scripts/test`
//! as a step of their own (`--ignored drills::`), one at a time.
//!
//! Every wait is bounded and fails with what it was waiting for; no assertion is on
//! a duration (the durations are printed).

mod full_disk;
mod pg_restart;

use crate::harness::Partner;
use appotapay_protocol::{sandbox_partner, signing};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// A gateway process of the built binary, killed when dropped.
pub struct Node {
    pub base: String,
    child: Child,
    log: PathBuf,
}

impl Node {
    /// Starts `appotapay-gateway serve` with `env` (on top of a cleared environment)
    /// and waits (at most 60 s) for `/healthz` to answer 200.
    pub async fn start(http: &reqwest::Client, log: &Path, env: &[(&str, String)]) -> Node {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_appotapay-gateway"));
        cmd.arg("serve")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("APPOTAPAY_LISTEN", format!("127.0.0.1:{port}"))
            .env("APPOTAPAY_MODE", "sandbox")
            .env("RUST_LOG", "warn");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).expect("log file"))
            .kill_on_drop(true)
            .spawn()
            .expect("start the gateway");
        let mut node = Node { base: format!("http://127.0.0.1:{port}"), child, log: log.to_path_buf() };
        let end = Instant::now() + Duration::from_secs(60);
        loop {
            node.assert_alive();
            if let Ok(r) = http.get(format!("{}/healthz", node.base)).send().await {
                if r.status() == 200 {
                    return node;
                }
            }
            assert!(Instant::now() < end, "the gateway at {} did not become healthy: {}", node.base, node.log());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Fails the drill if the process has exited (recovering means without a restart).
    pub fn assert_alive(&mut self) {
        if let Some(status) = self.child.try_wait().expect("try_wait") {
            panic!("the gateway at {} exited ({status}): {}", self.base, self.log());
        }
    }

    /// SIGKILL, and waits for the process to be gone (its files closed).
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client")
}

pub fn sandbox() -> Partner {
    Partner::new(sandbox_partner::PARTNER_CODE, sandbox_partner::API_KEY, sandbox_partner::SECRET_KEY)
}

/// A partner API call as the sandbox partner; `None` when no HTTP answer came back.
pub async fn call(http: &reqwest::Client, base: &str, path: &str, body: &Value) -> Option<(u16, Value)> {
    let resp = http
        .post(format!("{base}{path}"))
        .header("X-APPOTAPAY-AUTH", format!("Bearer {}", sandbox().token()))
        .json(body)
        .send()
        .await
        .ok()?;
    let status = resp.status().as_u16();
    let v = resp.json::<Value>().await.unwrap_or(Value::Null);
    Some((status, v))
}

/// Creates a QR order: the HTTP status and body.
pub async fn create(http: &reqwest::Client, base: &str, order_id: &str, notify: &str) -> Option<(u16, Value)> {
    let body = sandbox().qr_request(order_id, 10_000, notify, "");
    call(http, base, "/api/v1/orders/payment/qr", &body).await
}

/// The appotapayTransId of an acknowledged creation (signed, errorCode 0).
pub fn acknowledged(answer: &Option<(u16, Value)>) -> Option<String> {
    let (200, v) = answer.as_ref()? else { return None };
    let ok = v["errorCode"] == 0 && signing::verify_json(&signing::QR_PAYMENT_RESPONSE, &sandbox().secret, v).is_ok();
    if ok { v["appotapayTransId"].as_str().map(str::to_owned) } else { None }
}

/// Settles a transaction as paid: the HTTP status and body.
pub async fn settle(http: &reqwest::Client, base: &str, trans_id: &str) -> Option<(u16, Value)> {
    let path = format!("/api/v1/sandbox/transactions/{trans_id}/complete");
    call(http, base, &path, &json!({"errorCode": 0})).await
}

/// Runs a command and fails the drill, with its output, when it fails.
pub fn run(cmd: &mut std::process::Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{cmd:?} failed ({}): {text}", out.status);
    text
}

/// Whether this process runs as root (`id -u`).
pub fn is_root() -> bool {
    run(std::process::Command::new("id").arg("-u")).trim() == "0"
}
