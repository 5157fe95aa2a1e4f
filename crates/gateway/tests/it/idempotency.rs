//! `Idempotency-Key` on the partner API: replays byte for byte, a key reused with
//! another request, a request still running, failures kept, unauthenticated answers
//! not kept, keys per partner, expiry and the sweep, and one key raced across two
//! PostgreSQL nodes.

use crate::harness::{Backend, Partner, TestGateway, on_both};
use appotapay_gateway::core::idempotency::fingerprint;
use appotapay_gateway::domain::idempotency::{Claim, StoredAnswer};
use appotapay_gateway::store::{self, Store};
use appotapay_protocol::signing;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::sync::Arc;

const BANK: &str = "/api/v1/orders/payment/bank";
const NOTIFY: &str = "http://127.0.0.1:9/ipn";

/// Sends a POST with the raw body and, when given, an `Idempotency-Key`; answers the
/// status, headers and body bytes.
async fn send(t: &TestGateway, token: &str, path: &str, body: &[u8], key: Option<&str>) -> (u16, HeaderMap, Vec<u8>) {
    let mut req = t
        .http
        .post(format!("{}{path}", t.base))
        .header("content-type", "application/json")
        .header("X-APPOTAPAY-AUTH", format!("Bearer {token}"))
        .body(body.to_vec());
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.expect("body").to_vec())
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).expect("JSON answer")
}

fn replayed(h: &HeaderMap) -> bool {
    h.get("idempotent-replayed").is_some_and(|v| v == "true")
}

fn bank_body(p: &Partner, order_id: &str, amount: i64) -> Vec<u8> {
    p.bank_request(order_id, amount, "ATM", "", NOTIFY).to_string().into_bytes()
}

on_both!(a_retry_gets_the_first_answer_byte_for_byte);
async fn a_retry_gets_the_first_answer_byte_for_byte(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let body = bank_body(&p, "idem-1", 50_000);
    let (s1, h1, b1) = send(&t, &p.token(), BANK, &body, Some("key-1")).await;
    assert_eq!(s1, 200, "{}", String::from_utf8_lossy(&b1));
    assert!(!replayed(&h1));
    let (s2, h2, b2) = send(&t, &p.token(), BANK, &body, Some("key-1")).await;
    assert_eq!(s2, 200);
    assert!(replayed(&h2), "a replay says so");
    assert_eq!(b1, b2, "the same bytes, signature included");
    assert_eq!(h1.get("content-type"), h2.get("content-type"));
    let v = json_of(&b2);
    assert!(signing::verify_json(&signing::BANK_PAYMENT_RESPONSE, &p.secret, &v).is_ok());
    // Without the key the orderId's uniqueness still answers.
    let (s3, h3, b3) = send(&t, &p.token(), BANK, &body, None).await;
    assert_eq!((s3, json_of(&b3)["errorCode"].clone()), (400, json!(30)));
    assert!(!replayed(&h3));
    // Keys are per partner: another partner's "key-1" is its own.
    let other = t.partner("OTHERP", false).await;
    let (s4, h4, b4) = send(&t, &other.token(), BANK, &bank_body(&other, "idem-1", 50_000), Some("key-1")).await;
    assert_eq!((s4, replayed(&h4)), (200, false), "{}", String::from_utf8_lossy(&b4));
    // A status request and a sandbox settlement are kept too: one settlement.
    let trans = t.trans_id_of(v["paymentUrl"].as_str().expect("paymentUrl"));
    let path = format!("/api/v1/sandbox/transactions/{trans}/complete");
    let (c1, _, cb1) = send(&t, &p.token(), &path, br#"{"errorCode":0}"#, Some("settle")).await;
    let (c2, ch2, cb2) = send(&t, &p.token(), &path, br#"{"errorCode":0}"#, Some("settle")).await;
    assert_eq!((c1, c2), (200, 200), "{}", String::from_utf8_lossy(&cb2));
    assert!(replayed(&ch2) && cb1 == cb2, "the second settlement is a replay, not 41");
    t.shutdown().await;
}

on_both!(a_key_reused_with_another_request_answers_422);
async fn a_key_reused_with_another_request_answers_422(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let (s1, _, _) = send(&t, &p.token(), BANK, &bank_body(&p, "idem-a", 2_000_000), Some("k")).await;
    assert_eq!(s1, 200);
    let (s2, h2, b2) = send(&t, &p.token(), BANK, &bank_body(&p, "idem-b", 10_000), Some("k")).await;
    assert_eq!(s2, 422);
    assert_eq!(json_of(&b2)["errorCode"], 1);
    let detail = h2.get("x-error-detail").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(detail.contains("Idempotency-Key k "), "{detail}");
    assert_eq!(t.status(&p, "idem-b").await.1["errorCode"], 36, "no second order");
    // Another route with the same key is another request too.
    let status = p.sign(&signing::STATUS_REQUEST, json!({"orderId": "idem-a"})).to_string();
    let path = "/api/v1/orders/transaction/bank/status";
    assert_eq!(send(&t, &p.token(), path, status.as_bytes(), Some("k")).await.0, 422);
    t.shutdown().await;
}

on_both!(failures_are_kept_unauthenticated_answers_are_not);
async fn failures_are_kept_unauthenticated_answers_are_not(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let body = bank_body(&p, "idem-f", 50_000);
    let stranger = Partner::new(&p.code, &p.api_key, "not-the-secret-0123456789abcdef");
    let (s0, h0, _) = send(&t, &stranger.token(), BANK, &body, Some("auth")).await;
    assert_eq!((s0, replayed(&h0)), (401, false));
    let (s1, h1, _) = send(&t, &p.token(), BANK, &body, Some("auth")).await;
    assert_eq!((s1, replayed(&h1)), (200, false), "the 401 was not kept");
    // A refusal is kept: its retry is the same refusal, even once the cause is gone.
    let small = bank_body(&p, "idem-g", 1);
    let (s2, h2, b2) = send(&t, &p.token(), BANK, &small, Some("small")).await;
    assert_eq!((s2, json_of(&b2)["errorCode"].clone()), (400, json!(32)));
    let (s3, h3, b3) = send(&t, &p.token(), BANK, &small, Some("small")).await;
    assert!(replayed(&h3) && s3 == 400 && b3 == b2);
    assert_eq!(h2.get("x-error-detail"), h3.get("x-error-detail"));
    // Keys of the wrong size answer 1 and are not kept.
    for bad in [String::new(), "k".repeat(256)] {
        let (s, _, b) = send(&t, &p.token(), BANK, &body, Some(&bad)).await;
        assert_eq!((s, json_of(&b)["errorCode"].clone()), (400, json!(1)), "key of {} bytes", bad.len());
    }
    let (s4, _, _) = send(&t, &p.token(), BANK, &bank_body(&p, "idem-h", 50_000), Some(&"k".repeat(255))).await;
    assert_eq!(s4, 200, "255 characters are fine");
    t.shutdown().await;
}

on_both!(a_request_still_running_answers_409);
async fn a_request_still_running_answers_409(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let body = bank_body(&p, "idem-r", 50_000);
    // Another node's request with this key and body has claimed it and not answered.
    let print = fingerprint("POST", BANK, None, &body);
    let (_, claim) = t.gw().claim_idempotency_key(&p.code, "busy", &print).await.expect("claim");
    let claim = claim.expect("the key was free");
    let (s, h, b) = send(&t, &p.token(), BANK, &body, Some("busy")).await;
    assert_eq!((s, json_of(&b)["errorCode"].clone()), (409, json!(1)));
    assert!(h.get("x-error-detail").is_some());
    assert_eq!(t.status(&p, "idem-r").await.1["errorCode"], 36, "the handler did not run");
    // Once it answers, the retry gets that answer.
    let answer = StoredAnswer {
        status: 200,
        content_type: Some("application/json".into()),
        error_detail: None,
        body: br#"{"errorCode":0}"#.to_vec(),
    };
    assert!(t.gw().finish_idempotency_key(&claim, &answer).await.expect("finish"));
    let (s, h, b) = send(&t, &p.token(), BANK, &body, Some("busy")).await;
    assert_eq!((s, b.as_slice(), replayed(&h)), (200, &br#"{"errorCode":0}"#[..], true));
    t.shutdown().await;
}

async fn open_store(backend: Backend) -> (Arc<dyn Store>, Arc<dyn Store>, Box<dyn std::any::Any>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!("sqlite://{}", dir.path().join("s.db").display());
            (store::open(&url).await.expect("open"), store::open(&url).await.expect("again"), Box::new(dir))
        }
        Backend::Postgres => {
            let db = crate::pg::TestDb::create().await;
            let (a, b) = (store::open(&db.url).await.expect("open"), store::open(&db.url).await.expect("again"));
            (a, b, Box::new(db))
        }
    }
}

fn claim(id: &str, fp: &str, locked_until_ms: i64, expires_at_ms: i64) -> Claim {
    Claim {
        partner_code: "P1".into(),
        key: "k".into(),
        fingerprint: fp.into(),
        claim_id: id.into(),
        locked_until_ms,
        expires_at_ms,
    }
}

const T0: i64 = 1_700_000_000_000;

on_both!(claims_time_out_and_expired_keys_are_swept);
async fn claims_time_out_and_expired_keys_are_swept(backend: Backend) {
    let (s, other, _keep) = open_store(backend).await;
    let first = claim("c1", "f", T0 + 60_000, T0 + 86_400_000);
    assert!(s.claim_key(&first, T0).await.expect("claim"));
    assert!(!other.claim_key(&claim("c2", "f", T0 + 60_001, T0 + 86_400_001), T0 + 1).await.expect("held"));
    let rec = other.key_record("P1", "k").await.expect("record").expect("on record on every handle");
    assert_eq!((rec.fingerprint.as_str(), rec.answer), ("f", None));
    // A claim whose request died is taken over once it times out, by the same request only.
    assert!(!s.claim_key(&claim("c3", "g", T0 + 120_000, T0 + 86_460_000), T0 + 60_000).await.expect("other"));
    let taken = claim("c4", "f", T0 + 120_000, T0 + 86_460_000);
    assert!(s.claim_key(&taken, T0 + 60_000).await.expect("take over"));
    let answer =
        StoredAnswer { status: 400, content_type: None, error_detail: Some("d".into()), body: vec![0, 1, 255] };
    assert!(!s.finish_key(&first, &answer).await.expect("late"), "the dead request's answer is not kept");
    assert!(s.finish_key(&taken, &answer).await.expect("finish"));
    assert!(!s.finish_key(&taken, &answer).await.expect("twice"));
    assert_eq!(other.key_record("P1", "k").await.expect("record").expect("kept").answer, Some(answer));
    assert!(!s.claim_key(&claim("c5", "f", T0 + 999_999, T0 + 99_999_999), T0 + 500_000).await.expect("answered"));
    // The sweep forgets only keys past their retention.
    assert_eq!(s.purge_keys(T0 + 86_459_999).await.expect("purge"), 0);
    assert_eq!(other.purge_keys(T0 + 86_460_000).await.expect("purge"), 1);
    assert_eq!(s.key_record("P1", "k").await.expect("record"), None);
    assert!(s.claim_key(&claim("c6", "g", T0 + 86_520_000, T0 + 172_860_000), T0 + 86_460_000).await.expect("new"));
    // Concurrent claims of one key from two handles: exactly one wins.
    let mut tasks = Vec::new();
    for i in 0..8i64 {
        let st = if i % 2 == 0 { s.clone() } else { other.clone() };
        let mut c = claim(&format!("r{i}"), "f", T0 + 60_000, T0 + 86_400_000);
        c.key = "race".into();
        tasks.push(tokio::spawn(async move { st.claim_key(&c, T0 + i).await }));
    }
    let mut won = 0;
    for t in tasks {
        won += usize::from(t.await.expect("join").expect("claim"));
    }
    assert_eq!(won, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_key_raced_across_two_nodes_makes_one_order_postgres() {
    let a = TestGateway::start_on(Backend::Postgres, |_| {}).await;
    let b = a.another_node(|_| {}).await;
    let p = a.sandbox();
    let body = Arc::new(bank_body(&p, "idem-race", 50_000));
    let (a, b) = (Arc::new(a), Arc::new(b));
    let mut tasks = Vec::new();
    for i in 0..16 {
        let node = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (body, token) = (body.clone(), p.token());
        tasks.push(tokio::spawn(async move { send(&node, &token, BANK, &body, Some("race")).await }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.expect("join"));
    }
    let ok: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 200).collect();
    assert!(!ok.is_empty());
    assert!(ok.iter().all(|(_, _, body)| *body == ok[0].2), "every success is the one answer");
    assert!(
        answers.iter().all(|(s, _, _)| *s == 200 || *s == 409),
        "{:?}",
        answers.iter().map(|x| x.0).collect::<Vec<_>>()
    );
    let url = a.db.as_ref().expect("postgres").url.clone();
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&url).await.expect("connect");
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM orders WHERE order_id = 'idem-race'")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    assert_eq!(n, 1, "exactly one order");
    let (s, _, _) = send(&b, &p.token(), BANK, &body, Some("race")).await;
    assert_eq!(s, 200, "afterwards, every node replays");
}

on_both!(a_retried_refund_is_made_once);
async fn a_retried_refund_is_made_once(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let (s, _, b) = send(&t, &p.token(), BANK, &bank_body(&p, "idem-refund", 80_000), None).await;
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&b));
    let trans = t.trans_id_of(json_of(&b)["paymentUrl"].as_str().expect("paymentUrl"));
    assert_eq!(t.complete(&p, &trans, 0).await.0, 200);
    let refund = p
        .sign(
            &signing::REFUND_REQUEST,
            json!({"refundId": "rf-idem", "appotapayTransId": trans, "amount": 30_000, "reason": "returned"}),
        )
        .to_string()
        .into_bytes();
    let path = "/api/v1/transaction/refund";
    let (s1, h1, b1) = send(&t, &p.token(), path, &refund, Some("refund-key")).await;
    assert_eq!((s1, json_of(&b1)["errorCode"].clone()), (200, json!(0)), "{}", String::from_utf8_lossy(&b1));
    assert!(!replayed(&h1));
    let (s2, h2, b2) = send(&t, &p.token(), path, &refund, Some("refund-key")).await;
    assert_eq!(s2, 200);
    assert!(replayed(&h2) && b1 == b2, "the retry is the first answer, not 31");
    assert_eq!(t.gw().order_refunds(&trans).await.expect("refunds").len(), 1, "one refund was made");
    // Without the key, the same refundId is a duplicate as always.
    let (s3, _, b3) = send(&t, &p.token(), path, &refund, None).await;
    assert_eq!((s3, json_of(&b3)["errorCode"].clone()), (400, json!(31)));
    t.shutdown().await;
}
