//! The axum IPN route on a real listener.
#![cfg(feature = "axum")]

use appotapay::protocol::sandbox_partner::{API_KEY, PARTNER_CODE, SECRET_KEY};
use appotapay::protocol::signing::Signed;
use appotapay::{Amount, ErrorCode, PaymentNotification, SecretKey};
use axum::Router;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

fn key() -> SecretKey {
    SecretKey::new(SECRET_KEY)
}

fn notification(order_id: &str) -> PaymentNotification {
    PaymentNotification {
        error_code: ErrorCode::SUCCESS,
        message: "Thành công".into(),
        partner_code: PARTNER_CODE.into(),
        api_key: API_KEY.into(),
        amount: Amount::vnd(150_000),
        currency: "VND".into(),
        order_id: order_id.into(),
        bank_code: "VCB".into(),
        payment_method: "ATM".into(),
        payment_type: "WEB".into(),
        appotapay_trans_id: "AP221434473737".into(),
        transaction_ts: 1_700_000_000,
        extra_data: "a b&c".into(),
        signature: String::new(),
    }
    .signed(&key())
}

type Seen = Arc<Mutex<Vec<PaymentNotification>>>;

/// Serves the IPN route on 127.0.0.1; the handler records every notification and
/// fails for order id `FAIL`.
async fn serve() -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let recorder = seen.clone();
    let handler = move |n: PaymentNotification| {
        let recorder = recorder.clone();
        async move {
            let fail = n.order_id == "FAIL";
            recorder.lock().map_err(|_| "poisoned".to_owned())?.push(n);
            if fail { Err("the order store is down".to_owned()) } else { Ok(()) }
        }
    };
    let app = Router::new().route("/ipn", appotapay::axum::ipn_route(key(), handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

async fn post(addr: SocketAddr, body: Vec<u8>) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/ipn"))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the route answers");
    let status = response.status().as_u16();
    (status, response.text().await.expect("body"))
}

fn seen(s: &Seen) -> Vec<PaymentNotification> {
    s.lock().expect("lock").clone()
}

#[tokio::test]
async fn valid_ipn_is_acknowledged() {
    let (addr, recorded) = serve().await;
    let n = notification("ORDER-1");
    let (status, body) = post(addr, serde_json::to_vec(&n).expect("JSON")).await;
    assert_eq!(status, 200);
    assert_eq!(body, r#"{"status":"ok"}"#);
    assert_eq!(seen(&recorded), vec![n.clone()]);

    // A duplicate delivery reaches the handler again (it must be idempotent).
    let (status, _) = post(addr, serde_json::to_vec(&n).expect("JSON")).await;
    assert_eq!(status, 200);
    assert_eq!(seen(&recorded).len(), 2);
}

#[tokio::test]
async fn handler_error_answers_500() {
    let (addr, recorded) = serve().await;
    let (status, body) = post(addr, serde_json::to_vec(&notification("FAIL")).expect("JSON")).await;
    assert_eq!(status, 500);
    assert_ne!(body, r#"{"status":"ok"}"#);
    assert!(!body.contains("order store"), "the handler's error is not sent back: {body}");
    assert_eq!(seen(&recorded).len(), 1);
}

#[tokio::test]
async fn bad_signature_answers_400_without_calling_the_handler() {
    let (addr, recorded) = serve().await;
    let mut body = serde_json::to_value(notification("ORDER-1")).expect("JSON");
    body["amount"] = serde_json::json!(1);
    let (status, text) = post(addr, body.to_string().into_bytes()).await;
    assert_eq!(status, 400);
    assert_ne!(text, r#"{"status":"ok"}"#);

    let (status, _) = post(addr, b"not json".to_vec()).await;
    assert_eq!(status, 400);
    assert!(seen(&recorded).is_empty());
}

#[tokio::test]
async fn oversized_body_is_refused() {
    let (addr, recorded) = serve().await;
    let mut body = serde_json::to_value(notification("ORDER-1")).expect("JSON");
    body["padding"] = serde_json::json!("x".repeat(appotapay::axum::IPN_BODY_LIMIT));
    let (status, _) = post(addr, body.to_string().into_bytes()).await;
    assert_eq!(status, 413);
    assert!(seen(&recorded).is_empty());
}

#[tokio::test]
async fn only_post_is_routed() {
    let (addr, recorded) = serve().await;
    let response = reqwest::get(format!("http://{addr}/ipn")).await.expect("answer");
    assert_eq!(response.status().as_u16(), 405);
    assert!(seen(&recorded).is_empty());
}
