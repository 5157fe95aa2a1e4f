//! The IPN conformance runner against three real merchant servers on 127.0.0.1: a
//! correct handler, one that never verifies signatures, and one that answers
//! `{"message":"ok"}`; through the real binary's command line (exit code, JUnit) and
//! the sandbox API, on both backends.

use crate::harness::{Backend, TestGateway, on_both};
use appotapay_protocol::signing;
use appotapay_protocol::{SecretKey, sandbox_partner};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a test merchant's IPN handler behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Handler {
    /// Verifies everything, fulfils once, acknowledges retries.
    Correct,
    /// Acknowledges any JSON object with an orderId, never verifying the signature.
    Naive,
    /// Verifies, but answers `{"message":"ok"}`.
    MessageOk,
}

#[derive(Clone)]
struct Shop {
    handler: Handler,
    secret: SecretKey,
    orders: Arc<Mutex<HashMap<String, i64>>>,
    fulfilled: Arc<Mutex<Vec<String>>>,
    received: Arc<Mutex<usize>>,
}

async fn ipn(State(s): State<Shop>, body: Bytes) -> Response {
    *s.received.lock().expect("lock") += 1;
    let refuse =
        |why: &str| (StatusCode::BAD_REQUEST, json!({"status": "error", "message": why}).to_string()).into_response();
    let Ok(v) = serde_json::from_slice::<Value>(&body) else { return refuse("not JSON") };
    let Some(order_id) = v["orderId"].as_str().map(str::to_owned) else { return refuse("no orderId") };
    if s.handler != Handler::Naive {
        if signing::verify_json(&signing::NOTIFICATION, &s.secret, &v).is_err() {
            return refuse("bad signature");
        }
        if v["partnerCode"] != sandbox_partner::PARTNER_CODE || v["apiKey"] != sandbox_partner::API_KEY {
            return refuse("not my partner");
        }
        let Some(amount) = s.orders.lock().expect("lock").get(&order_id).copied() else {
            return refuse("unknown order");
        };
        if v["amount"].as_i64() != Some(amount) {
            return refuse("wrong amount");
        }
        if v["errorCode"] == 0 {
            let mut done = s.fulfilled.lock().expect("lock");
            if !done.contains(&order_id) {
                done.push(order_id);
            }
        }
    }
    match s.handler {
        Handler::MessageOk => (StatusCode::OK, r#"{"message":"ok"}"#).into_response(),
        _ => (StatusCode::OK, r#"{"status":"ok"}"#).into_response(),
    }
}

async fn shop(handler: Handler) -> (String, Shop) {
    let state = Shop {
        handler,
        secret: SecretKey::new(sandbox_partner::SECRET_KEY),
        orders: Arc::default(),
        fulfilled: Arc::default(),
        received: Arc::default(),
    };
    let app = axum::Router::new().route("/ipn", post(ipn)).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/ipn"), state)
}

/// The real binary's `conformance` command on `t`'s database; exit code, stdout and
/// stderr. Awaited, not blocking: the merchant servers answer on this runtime.
async fn run_cli(t: &TestGateway, args: &[&str]) -> (i32, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_appotapay-gateway"))
        .env_remove("APPOTAPAY_CONFIG")
        .env("APPOTAPAY_DATABASE_URL", &t.gw().config().database_url)
        .env("APPOTAPAY_DATA_DIR", t.dir.path())
        .env("APPOTAPAY_MODE", "sandbox")
        .env("APPOTAPAY_MASTER_KEY", crate::pg::MASTER_KEY)
        .env("APPOTAPAY_IPN_TIMEOUT", "3s")
        .env("RUST_LOG", "warn")
        .arg("conformance")
        .args(args)
        .output()
        .await
        .expect("run the binary");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn verdicts(report: &Value) -> HashMap<u64, String> {
    report["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| (c["number"].as_u64().expect("number"), c["verdict"].as_str().expect("verdict").to_owned()))
        .collect()
}

on_both!(a_correct_handler_passes_and_gets_its_real_ipn);
async fn a_correct_handler_passes_and_gets_its_real_ipn(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| c.master_key = Some(crate::pg::MASTER_KEY.to_owned())).await;
    let (url, s) = shop(Handler::Correct).await;
    let p = t.sandbox();
    let v = t.create_bank(&p, "conf-ok", 120_000, "ATM", "", &url).await;
    s.orders.lock().expect("lock").insert("conf-ok".into(), 120_000);
    let junit = t.dir.path().join("conformance.xml");
    let (code, _, stderr) =
        run_cli(&t, &["--order-id", "conf-ok", "--format", "junit", "--out", junit.to_str().expect("path")]).await;
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("RESULT: PASS"), "{stderr}");
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert!(xml.contains("failures=\"0\"") && xml.contains("tests=\"12\""), "{xml}");
    // Fulfilled once although notified twice, and the real IPN follows the settlement.
    let id = v["paymentUrl"].as_str().map(|u| t.trans_id_of(u)).expect("trans id");
    let (_, st) = t.status(&p, "conf-ok").await;
    assert_eq!(st["errorCode"], 0, "settled as a success: {st}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while *s.received.lock().expect("lock") < 13 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(*s.received.lock().expect("lock"), 13, "12 cases, then the real IPN");
    assert_eq!(s.fulfilled.lock().expect("lock").as_slice(), ["conf-ok"]);
    let deliveries = t.gw().deliveries(&id).await.expect("deliveries");
    assert_eq!(deliveries.len(), 1);
    t.shutdown().await;
}

on_both!(a_handler_that_never_verifies_fails);
async fn a_handler_that_never_verifies_fails(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| c.master_key = Some(crate::pg::MASTER_KEY.to_owned())).await;
    let (url, _s) = shop(Handler::Naive).await;
    let p = t.sandbox();
    t.create_bank(&p, "conf-naive", 50_000, "ATM", "", &url).await;
    let (code, out, stderr) = run_cli(&t, &["--order-id", "conf-naive", "--format", "json"]).await;
    assert_ne!(code, 0, "{out}{stderr}");
    let report: Value = serde_json::from_str(&out).expect("JSON report");
    assert_eq!(report["passed"], false);
    let v = verdicts(&report);
    for n in [3, 4, 5, 6, 7, 8, 9] {
        assert_eq!(v[&n], "fail", "case {n}: {report:#}");
    }
    for n in [1, 2, 10, 11] {
        assert_eq!(v[&n], "pass", "case {n}");
    }
    let three = report["cases"].as_array().expect("cases").iter().find(|c| c["number"] == 3).expect("case 3");
    assert!(three["hint"].as_str().is_some_and(|h| h.contains("verify the signature")), "{three}");
    assert!(three["sent"].as_str().is_some_and(|b| b.contains("conf-naive")), "what was sent is reported");
    assert_eq!(three["answer"]["httpStatus"], 200);
    t.shutdown().await;
}

on_both!(message_ok_is_no_acknowledgement_through_the_api);
async fn message_ok_is_no_acknowledgement_through_the_api(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| c.master_key = Some(crate::pg::MASTER_KEY.to_owned())).await;
    let (url, s) = shop(Handler::MessageOk).await;
    let p = t.sandbox();
    t.create_bank(&p, "conf-msg", 70_000, "ATM", "", &url).await;
    s.orders.lock().expect("lock").insert("conf-msg".into(), 70_000);
    let (status, v, _) = t.post(&p, "/api/v1/sandbox/conformance", &json!({"orderId": "conf-msg"})).await;
    assert_eq!(status, 200, "{v}");
    let report = &v["report"];
    assert_eq!(report["passed"], false);
    let verdict = verdicts(report);
    assert_eq!((verdict[&1].as_str(), verdict[&2].as_str()), ("fail", "fail"));
    let one = report["cases"].as_array().expect("cases").iter().find(|c| c["number"] == 1).expect("case 1");
    let warnings: HashSet<u64> =
        one["warnings"].as_array().expect("w").iter().filter_map(|w| w["number"].as_u64()).collect();
    assert!(warnings.contains(&13), "{one}");
    // Forgeries are refused by this handler (it verifies): those cases pass.
    for n in [3, 4, 5, 6, 7, 8, 9, 10, 11] {
        assert_eq!(verdict[&n], "pass", "case {n}");
    }

    // Errors: an unknown order, a final order, a missing orderId.
    let (s1, e1, _) = t.post(&p, "/api/v1/sandbox/conformance", &json!({"orderId": "nope"})).await;
    assert_eq!((s1, e1["errorCode"].clone()), (400, json!(36)));
    let (s2, e2, h2) = t.post(&p, "/api/v1/sandbox/conformance", &json!({"orderId": "conf-msg"})).await;
    assert_eq!((s2, e2["errorCode"].clone()), (400, json!(1)), "settled by the first run");
    assert!(h2.get("x-error-detail").and_then(|h| h.to_str().ok()).is_some_and(|d| d.contains("not pending")));
    let (s3, e3, _) = t.post(&p, "/api/v1/sandbox/conformance", &json!({})).await;
    assert_eq!((s3, e3["errorCode"].clone()), (400, json!(1)));
    // Another partner's order is not found.
    let other = t.partner("OTHERSHOP", false).await;
    t.create_bank(&other, "theirs", 10_000, "ATM", "", &url).await;
    let (s4, e4, _) = t.post(&p, "/api/v1/sandbox/conformance", &json!({"orderId": "theirs"})).await;
    assert_eq!((s4, e4["errorCode"].clone()), (400, json!(36)));
    t.shutdown().await;
}

#[tokio::test]
async fn production_has_no_conformance_runner() {
    let t = TestGateway::start_with(|c| {
        c.mode = appotapay_gateway::config::Mode::Production;
        c.master_key = Some("11".repeat(32));
    })
    .await;
    let p = t.partner("PROD", false).await;
    let (s, _, _) = t.post(&p, "/api/v1/sandbox/conformance", &json!({"orderId": "x"})).await;
    assert_eq!(s, 404);
    t.shutdown().await;
}
