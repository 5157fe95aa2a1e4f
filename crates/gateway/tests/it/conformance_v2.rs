//! The IPN conformance runner for an order created through API v2: its cases come as
//! v2 envelopes. A v2 merchant that verifies the envelope passes; one that decodes
//! `data` without checking the signature fails the signature cases. Both backends.

use crate::harness::{Backend, TestGateway, on_both};
use appotapay_protocol::{SecretKey, sandbox_partner};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
struct V2Shop {
    verify: bool,
    secret: SecretKey,
    order: (String, i64),
    fulfilled: Arc<Mutex<usize>>,
}

async fn ipn(State(s): State<V2Shop>, body: Bytes) -> Response {
    let refuse =
        |why: &str| (StatusCode::BAD_REQUEST, json!({"status": "error", "message": why}).to_string()).into_response();
    let payload = if s.verify {
        match appotapay::verify_ipn_v2(&s.secret, &body) {
            Ok(p) => serde_json::to_value(p).unwrap_or(Value::Null),
            Err(e) => return refuse(&e.to_string()),
        }
    } else {
        // Decodes data without looking at the signature.
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let data = v["data"].as_str().unwrap_or("");
        let raw = base64::engine::general_purpose::STANDARD.decode(data).unwrap_or_default();
        serde_json::from_slice(&raw).unwrap_or(Value::Null)
    };
    let t = &payload["transaction"];
    if s.verify {
        if t["partnerCode"] != sandbox_partner::PARTNER_CODE {
            return refuse("not my partner");
        }
        if payload["partnerReference"]["order"]["id"] != s.order.0.as_str() {
            return refuse("unknown order");
        }
        if t["amount"].as_i64() != Some(s.order.1) {
            return refuse("wrong amount");
        }
    } else if t.is_null() {
        return refuse("no transaction");
    }
    if t["errorCode"] == 0 {
        *s.fulfilled.lock().expect("lock") += 1;
    }
    (StatusCode::OK, r#"{"status":"ok"}"#).into_response()
}

async fn shop(verify: bool, order: (&str, i64)) -> String {
    let state = V2Shop {
        verify,
        secret: SecretKey::new(sandbox_partner::SECRET_KEY),
        order: (order.0.to_owned(), order.1),
        fulfilled: Arc::default(),
    };
    let app = axum::Router::new().route("/ipn", post(ipn)).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/ipn")
}

async fn v2_order(t: &TestGateway, id: &str, notify: &str) {
    let p = t.sandbox();
    let body = json!({
        "transaction": {"amount": 30_000, "currency": "VND", "paymentMethod": "ATM", "action": "PAY"},
        "partnerReference": {"order": {"id": id, "info": "conformance v2"},
            "notificationConfig": {"notifyUrl": notify, "redirectUrl": "http://127.0.0.1:9/return"}}
    });
    let (s, v) = t.call(&p, reqwest::Method::POST, "/api/v2/orders/payment", Some(&body), &[]).await;
    assert_eq!(s, 200, "{v}");
}

on_both!(v2_orders_are_judged_on_v2_envelopes);
async fn v2_orders_are_judged_on_v2_envelopes(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let good = shop(true, ("conf2-ok", 30_000)).await;
    v2_order(&t, "conf2-ok", &good).await;
    let (s, v, _) = t.post(&p, "/api/v1/sandbox/conformance", &json!({"orderId": "conf2-ok"})).await;
    assert_eq!(s, 200, "{v}");
    let report = &v["report"];
    assert_eq!(report["passed"], true, "{report}");
    let sent = report["cases"][0]["sent"].as_str().expect("sent");
    let first: Value = serde_json::from_str(sent).expect("an envelope");
    assert!(first["data"].is_string() && first["time"].is_i64(), "{first}");

    let naive = shop(false, ("conf2-naive", 30_000)).await;
    v2_order(&t, "conf2-naive", &naive).await;
    let (_, v, _) = t.post(&p, "/api/v1/sandbox/conformance", &json!({"orderId": "conf2-naive"})).await;
    let report = &v["report"];
    assert_eq!(report["passed"], false, "{report}");
    for case in report["cases"].as_array().expect("cases") {
        if [3, 4, 5, 6].contains(&case["number"].as_u64().unwrap_or(0)) {
            assert_eq!(case["verdict"], "fail", "{case}");
        }
    }
    t.shutdown().await;
}
