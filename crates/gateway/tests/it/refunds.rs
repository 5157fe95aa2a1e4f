//! Refunds over real HTTP (spec §5.4): the rules and their codes, the sandbox bank's
//! answers, concurrency, the list, signatures, the SDK, and a property test over
//! random sequences of refunds.

use crate::harness::*;
use appotapay::{Environment, RefundListQuery, RefundRequest, RefundStatus};
use appotapay_protocol::signing::{self, Signed};
use appotapay_protocol::{Amount, ErrorCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const HOUR_MS: i64 = 3_600_000;

/// Creates an order with `method` (`ATM`, `CC` or `QR`) and settles it as paid.
async fn paid(t: &TestGateway, p: &Partner, m: &Merchant, order_id: &str, amount: i64, method: &str) -> String {
    let trans_id = if method == "QR" {
        let v = t.create_qr(p, order_id, amount, &m.url).await;
        v["appotapayTransId"].as_str().expect("id").to_owned()
    } else {
        let v = t.create_bank(p, order_id, amount, method, "", &m.url).await;
        t.trans_id_of(v["paymentUrl"].as_str().expect("url"))
    };
    let (s, v) = t.complete(p, &trans_id, 0).await;
    assert_eq!(s, 200, "{v}");
    trans_id
}

fn refund_body(p: &Partner, refund_id: &str, trans_id: &str, amount: i64, reason: &str) -> Value {
    p.sign(
        &signing::REFUND_REQUEST,
        json!({"refundId": refund_id, "appotapayTransId": trans_id, "amount": amount, "reason": reason}),
    )
}

async fn refund(
    t: &TestGateway,
    p: &Partner,
    refund_id: &str,
    trans_id: &str,
    amount: i64,
    reason: &str,
) -> (u16, Value) {
    let (s, v, _) = t.post(p, "/api/v1/transaction/refund", &refund_body(p, refund_id, trans_id, amount, reason)).await;
    (s, v)
}

async fn get(t: &TestGateway, p: &Partner, path: &str) -> (u16, Value) {
    let resp = t
        .http
        .get(format!("{}{path}", t.base))
        .header("X-APPOTAPAY-AUTH", format!("Bearer {}", p.token()))
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("JSON"))
}

/// The signed answer of the refund and refund-detail APIs: exactly the documented
/// keys, and a signature over them with `data` flattened.
fn assert_signed_refund(p: &Partner, v: &Value) {
    let mut keys: Vec<&str> = v.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["data", "errorCode", "message", "signature"], "{v}");
    let mut data: Vec<&str> = v["data"].as_object().expect("data").keys().map(String::as_str).collect();
    data.sort_unstable();
    assert_eq!(
        data,
        ["amount", "appotapayTransId", "reason", "refundId", "refundOriginalId", "status", "transactionTs"],
        "{v}"
    );
    assert!(signing::verify_json(&signing::REFUND_RESPONSE, &p.secret, v).is_ok(), "refund signature: {v}");
    assert!(v["data"]["refundId"].as_str().is_some_and(|id| id.len() == 14 && id.starts_with("RF")), "{v}");
}

fn code(v: &Value) -> u64 {
    v["errorCode"].as_u64().expect("errorCode")
}

async fn status_code(t: &TestGateway, p: &Partner, order_id: &str) -> u64 {
    let (s, v) = t.status(p, order_id).await;
    assert_eq!(s, 200, "{v}");
    assert!(signing::verify_json(&signing::STATUS_RESPONSE, &p.secret, &v).is_ok(), "status signature: {v}");
    code(&v)
}

/// Polls a refund's detail until it leaves `processing` (generous bound).
async fn wait_final(t: &TestGateway, p: &Partner, refund_id: &str) -> Value {
    let end = Instant::now() + Duration::from_secs(15);
    loop {
        let (s, v) = get(t, p, &format!("/api/v1/transaction/refund/{refund_id}")).await;
        assert_eq!(s, 200, "{v}");
        let st = v["data"]["status"].as_str().unwrap_or_default().to_owned();
        if st == "success" || st == "error" || Instant::now() > end {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

on_both!(full_partial_repeated_and_over_refunds);
async fn full_partial_repeated_and_over_refunds(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();

    // Several partial refunds up to the paid amount.
    let id = paid(&t, &p, &m, "rf-cc-1", 100_000, "CC").await;
    let (s, v) = refund(&t, &p, "rf-a", &id, 30_000, "Customer returned one item").await;
    assert_eq!(s, 200, "{v}");
    assert_signed_refund(&p, &v);
    assert_eq!((code(&v), v["message"].as_str()), (0, Some("Thành công")));
    assert_eq!(v["data"]["status"], "success", "card refunds succeed at once");
    assert_eq!(v["data"]["amount"], 30_000);
    assert_eq!(v["data"]["appotapayTransId"], id.as_str());
    assert_eq!(v["data"]["refundOriginalId"], "rf-a");
    assert_eq!(v["data"]["reason"], "Customer returned one item");
    assert_eq!(status_code(&t, &p, "rf-cc-1").await, 0, "a partly refunded payment still answers 0");
    let (_, by_order) = get(&t, &p, "/api/v1/transaction/rf-cc-1/refund").await;
    assert_eq!(by_order["data"]["refundType"], "partial");

    let (s, v) = refund(&t, &p, "rf-b", &id, 30_000, "second").await;
    assert_eq!((s, code(&v)), (200, 0), "{v}");
    let (s, v) = refund(&t, &p, "rf-c", &id, 40_001, "one đồng too many").await;
    assert_eq!((s, code(&v)), (400, 103), "{v}");
    assert!(v.get("signature").is_none(), "errors are unsigned");
    let (s, v) = refund(&t, &p, "rf-c", &id, 40_000, "the rest").await;
    assert_eq!((s, code(&v)), (200, 0), "a refused refundId can be used again: {v}");
    assert_eq!(status_code(&t, &p, "rf-cc-1").await, 40, "fully refunded");
    let (s, v) = refund(&t, &p, "rf-d", &id, 1_000, "again").await;
    assert_eq!((s, code(&v)), (400, 40), "{v}");
    assert_eq!(v["message"], "Giao dịch đã được hoàn trả");

    let (s, by_order) = get(&t, &p, "/api/v1/transaction/rf-cc-1/refund").await;
    assert_eq!(s, 200, "{by_order}");
    assert!(by_order.get("signature").is_none());
    let d = &by_order["data"];
    assert_eq!(d["refundType"], "total");
    assert_eq!((d["appotapayTransId"].as_str(), d["orderId"].as_str()), (Some(id.as_str()), Some("rf-cc-1")));
    assert_eq!((d["amount"].as_i64(), d["paymentMethod"].as_str()), (Some(100_000), Some("CC")));
    assert_eq!(d["partnerCode"], "APPOTAPAY");
    let list: Vec<(&str, i64)> = d["refundTransactions"]
        .as_array()
        .expect("array")
        .iter()
        .map(|r| (r["refundOriginalId"].as_str().expect("id"), r["amount"].as_i64().expect("amount")))
        .collect();
    assert_eq!(list, [("rf-a", 30_000), ("rf-b", 30_000), ("rf-c", 40_000)], "oldest first");

    // A full refund at once, of a QR payment; an over-refund after a partial one.
    let qr = paid(&t, &p, &m, "rf-qr-1", 50_000, "QR").await;
    let (s, v) = refund(&t, &p, "rf-qr-full", &qr, 50_000, "whole order").await;
    assert_eq!((s, v["data"]["status"].as_str()), (200, Some("success")), "{v}");
    assert_eq!(status_code(&t, &p, "rf-qr-1").await, 40);
    let over = paid(&t, &p, &m, "rf-cc-2", 100_000, "CC").await;
    assert_eq!(code(&refund(&t, &p, "rf-o1", &over, 60_000, "x").await.1), 0);
    assert_eq!(
        refund(&t, &p, "rf-o2", &over, 50_000, "x").await,
        (400, json!({"errorCode": 103, "message": "Số tiền hoàn vượt quá số tiền giao dịch"}))
    );
    // Below the minimum only as the exact remaining balance.
    assert_eq!(code(&refund(&t, &p, "rf-o3", &over, 39_500, "x").await.1), 0);
    assert_eq!(code(&refund(&t, &p, "rf-o4", &over, 400, "x").await.1), 32, "neither the minimum nor the balance");
    assert_eq!(code(&refund(&t, &p, "rf-o5", &over, 500, "x").await.1), 0, "the exact remaining balance");
    assert_eq!(status_code(&t, &p, "rf-cc-2").await, 40);
    t.shutdown().await;
}

on_both!(refusals_have_their_documented_codes);
async fn refusals_have_their_documented_codes(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let other = t.partner("RFOTHER", false).await;
    let ok = paid(&t, &p, &m, "rr-paid", 100_000, "CC").await;

    // Not successful: pending, declined, cancelled, expired → 102.
    let pending = t.create_bank(&p, "rr-pending", 10_000, "ATM", "", &m.url).await;
    let pending = t.trans_id_of(pending["paymentUrl"].as_str().expect("url"));
    assert_eq!(refund(&t, &p, "rr-1", &pending, 10_000, "x").await.0, 400);
    assert_eq!(code(&refund(&t, &p, "rr-1", &pending, 10_000, "x").await.1), 102);
    for (oid, outcome) in [("rr-declined", 61), ("rr-cancelled", 38), ("rr-expired", 77)] {
        let v = t.create_bank(&p, oid, 10_000, "ATM", "", &m.url).await;
        let tid = t.trans_id_of(v["paymentUrl"].as_str().expect("url"));
        assert_eq!(t.complete(&p, &tid, outcome).await.0, 200);
        let (s, v) = refund(&t, &p, &format!("rr-{oid}"), &tid, 10_000, "x").await;
        assert_eq!((s, code(&v)), (400, 102), "{oid}: {v}");
        assert_eq!(status_code(&t, &p, oid).await, u64::from(outcome), "a refusal changes nothing");
    }

    // The partner's refundId is unique per partner, across transactions.
    assert_eq!(code(&refund(&t, &p, "rr-dup", &ok, 10_000, "x").await.1), 0);
    let (s, v) = refund(&t, &p, "rr-dup", &ok, 10_000, "x").await;
    assert_eq!((s, code(&v)), (400, 31), "{v}");
    let ok2 = paid(&t, &p, &m, "rr-paid-2", 100_000, "CC").await;
    assert_eq!(code(&refund(&t, &p, "rr-dup", &ok2, 10_000, "x").await.1), 31);
    let other_paid = paid(&t, &other, &m, "rr-other", 100_000, "CC").await;
    assert_eq!(code(&refund(&t, &other, "rr-dup", &other_paid, 10_000, "x").await.1), 0, "another partner's id space");

    // Another partner's transaction, or none: 36.
    assert_eq!(refund(&t, &p, "rr-2", &other_paid, 10_000, "x").await.1["errorCode"], 36);
    assert_eq!(refund(&t, &p, "rr-2", "AP000000000001", 10_000, "x").await.1["errorCode"], 36);
    assert_eq!(refund(&t, &p, "rr-2", "garbage", 10_000, "x").await.1["errorCode"], 36);

    // Amount limits: 32.
    for amount in [0, -1, 999] {
        let (s, v) = refund(&t, &p, "rr-3", &ok, amount, "x").await;
        assert_eq!((s, code(&v)), (400, 32), "{amount}: {v}");
    }
    let body = p.sign(
        &signing::REFUND_REQUEST,
        json!({"refundId": "rr-3", "appotapayTransId": ok, "amount": 1.5, "reason": "x"}),
    );
    let (s, v, _) = t.post(&p, "/api/v1/transaction/refund", &body).await;
    assert_eq!((s, code(&v)), (400, 32), "a fractional amount: {v}");

    // Fields and signature.
    let mut body = refund_body(&p, "rr-4", &ok, 10_000, "x");
    body["signature"] = json!("0".repeat(64));
    assert_eq!(code(&t.post(&p, "/api/v1/transaction/refund", &body).await.1), 2);
    let mut body = refund_body(&p, "rr-4", &ok, 10_000, "x");
    body.as_object_mut().expect("object").remove("signature");
    assert_eq!(code(&t.post(&p, "/api/v1/transaction/refund", &body).await.1), 2);
    let body = p.sign(&signing::REFUND_REQUEST, json!({"appotapayTransId": ok, "amount": 10_000, "reason": "x"}));
    assert_eq!(code(&t.post(&p, "/api/v1/transaction/refund", &body).await.1), 1, "refundId missing");
    assert_eq!(code(&refund(&t, &p, "bad id", &ok, 10_000, "x").await.1), 1);
    assert_eq!(code(&refund(&t, &p, &"x".repeat(51), &ok, 10_000, "x").await.1), 1);
    assert_eq!(code(&refund(&t, &p, "rr-5", &ok, 10_000, &"y".repeat(256)).await.1), 1);
    let body = p.sign(&signing::REFUND_REQUEST, json!({"refundId": "rr-6", "appotapayTransId": ok, "amount": "10000"}));
    assert_eq!(code(&t.post(&p, "/api/v1/transaction/refund", &body).await.1), 1, "amount as a string");
    // An absent reason is signed and stored as empty.
    let body = p.sign(&signing::REFUND_REQUEST, json!({"refundId": "rr-7", "appotapayTransId": ok, "amount": 10_000}));
    let (s, v, _) = t.post(&p, "/api/v1/transaction/refund", &body).await;
    assert_eq!((s, v["data"]["reason"].as_str()), (200, Some("")), "{v}");
    // Language.
    let body = refund_body(&p, "rr-8", &pending, 10_000, "x").to_string().into_bytes();
    let (_, v, h) = t.post_raw("/api/v1/transaction/refund", Some(&p.token()), body, &[("X-Language", "en")]).await;
    assert_eq!(v["message"], "Transaction must be successful");
    assert!(h.get("x-error-detail").is_some());
    // No JWT, no refund.
    let body = refund_body(&p, "rr-9", &ok, 10_000, "x").to_string().into_bytes();
    let (s, v, _) = t.post_raw("/api/v1/transaction/refund", None, body, &[]).await;
    assert_eq!((s, code(&v)), (401, 401));

    // The published refund test vector verifies (the transaction is unknown here: 36, not 2).
    let tv = json!({"refundId": "237052c887614019bedfd1851a287d9c", "appotapayTransId": "AP211364332963",
        "amount": 10000, "reason": "Test refund",
        "signature": "c20e277141f316a93260d1ef56d1fca81cf809eef12ac7122a7caa60420078c9"});
    assert_eq!(code(&t.post(&p, "/api/v1/transaction/refund", &tv).await.1), 36);
    t.shutdown().await;
}

on_both!(sandbox_bank_answers_atm_later_and_fail_reasons_with_error);
async fn sandbox_bank_answers_atm_later_and_fail_reasons_with_error(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| c.sandbox_refund_delay = Duration::from_millis(300)).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();

    // ATM: processing, then success after the delay; the amount is held meanwhile.
    let atm = paid(&t, &p, &m, "sb-atm", 100_000, "ATM").await;
    let (s, v) = refund(&t, &p, "sb-atm-1", &atm, 100_000, "Out of stock").await;
    assert_eq!((s, v["data"]["status"].as_str()), (200, Some("processing")), "{v}");
    assert_signed_refund(&p, &v);
    assert_eq!(status_code(&t, &p, "sb-atm").await, 0, "not refunded before the bank answers");
    assert_eq!(code(&refund(&t, &p, "sb-atm-2", &atm, 1_000, "x").await.1), 103, "the whole amount is in flight");
    let done = wait_final(&t, &p, "sb-atm-1").await;
    assert_eq!(done["data"]["status"], "success", "{done}");
    assert_signed_refund(&p, &done);
    assert!(done["data"]["transactionTs"].as_i64() >= v["data"]["transactionTs"].as_i64());
    assert_eq!(done["data"]["refundId"], v["data"]["refundId"]);
    assert_eq!(status_code(&t, &p, "sb-atm").await, 40);
    assert_eq!(code(&refund(&t, &p, "sb-atm-2", &atm, 1_000, "x").await.1), 40);

    // ATM with FAIL: processing, then error; the amount is free again.
    let atm2 = paid(&t, &p, &m, "sb-atm-f", 100_000, "ATM").await;
    let (_, v) = refund(&t, &p, "sb-atmf-1", &atm2, 100_000, "FAIL please").await;
    assert_eq!(v["data"]["status"], "processing");
    let done = wait_final(&t, &p, "sb-atmf-1").await;
    assert_eq!(done["data"]["status"], "error", "{done}");
    assert_eq!(status_code(&t, &p, "sb-atm-f").await, 0, "a refused refund refunds nothing");
    let (_, v) = refund(&t, &p, "sb-atmf-2", &atm2, 100_000, "retry").await;
    assert_eq!((code(&v), v["data"]["status"].as_str()), (0, Some("processing")), "errors do not count: {v}");

    // CC and QR with FAIL: error at once, with errorCode 0 (the call itself succeeded).
    for (oid, method) in [("sb-cc-f", "CC"), ("sb-qr-f", "QR")] {
        let id = paid(&t, &p, &m, oid, 20_000, method).await;
        let (s, v) = refund(&t, &p, &format!("{oid}-1"), &id, 20_000, "TEST FAIL PATH").await;
        assert_eq!((s, code(&v), v["data"]["status"].as_str()), (200, 0, Some("error")), "{method}: {v}");
        assert_signed_refund(&p, &v);
        let (_, by_order) = get(&t, &p, &format!("/api/v1/transaction/{oid}/refund")).await;
        assert_eq!(by_order["data"]["refundType"], "partial");
        let (_, v) = refund(&t, &p, &format!("{oid}-2"), &id, 20_000, "fine").await;
        assert_eq!(v["data"]["status"], "success", "{method}: {v}");
    }
    let metrics = t.http.get(format!("{}/metrics", t.base)).send().await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("appotapay_refunds_finished_total"), "{metrics}");
    t.shutdown().await;
}

on_both!(concurrent_over_refunds_have_exactly_one_winner);
async fn concurrent_over_refunds_have_exactly_one_winner(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.partner("RFRACE", false).await;
    for round in 0..10 {
        let oid = format!("race-{round}");
        let method = ["CC", "ATM", "QR"][round % 3];
        let id = paid(&t, &p, &m, &oid, 100_000, method).await;
        // Eight refunds of 60,000: any two together exceed the paid amount.
        let tries = (0..8).map(|i| {
            let (t, p, id) = (&t, &p, &id);
            async move { refund(t, p, &format!("race-{round}-{i}"), id, 60_000, "race").await }
        });
        let results = futures_util::future::join_all(tries).await;
        let winners = results.iter().filter(|(s, _)| *s == 200).count();
        assert_eq!(winners, 1, "round {round} ({method}): {results:?}");
        for (s, v) in &results {
            if *s != 200 {
                assert_eq!(code(v), 103, "round {round}: {v}");
            }
        }
        // Three halves: exactly two fit.
        let oid = format!("race-half-{round}");
        let id = paid(&t, &p, &m, &oid, 100_000, method).await;
        let tries = (0..3).map(|i| {
            let (t, p, id) = (&t, &p, &id);
            async move { refund(t, p, &format!("race-half-{round}-{i}"), id, 50_000, "race").await }
        });
        let results = futures_util::future::join_all(tries).await;
        assert_eq!(results.iter().filter(|(s, _)| *s == 200).count(), 2, "round {round}: {results:?}");
        let refunds = t.gw().order_refunds(&id).await.expect("refunds");
        assert_eq!(refunds.iter().map(|r| r.amount).sum::<i64>(), 100_000);
    }
    // The same refundId sent twice at once: one refund.
    let id = paid(&t, &p, &m, "race-dup", 100_000, "CC").await;
    let tries = (0..4).map(|_| refund(&t, &p, "race-dup-1", &id, 10_000, "dup"));
    let results = futures_util::future::join_all(tries).await;
    assert_eq!(results.iter().filter(|(s, _)| *s == 200).count(), 1, "{results:?}");
    assert!(results.iter().filter(|(s, _)| *s != 200).all(|(_, v)| code(v) == 31), "{results:?}");
    t.shutdown().await;
}

on_both!(list_filters_pagination_detail_and_by_order);
async fn list_filters_pagination_detail_and_by_order(backend: Backend) {
    // The sandbox bank never answers ATM refunds by itself here: they stay processing.
    let t = TestGateway::start_on(backend, |c| c.sandbox_refund_delay = Duration::from_secs(3600)).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.partner("RFLIST", false).await;
    let sandbox = t.sandbox();
    let a = paid(&t, &p, &m, "list-a", 500_000, "CC").await;
    let b = paid(&t, &p, &m, "list-b", 200_000, "ATM").await;
    let c = paid(&t, &p, &m, "list-c", 50_000, "QR").await;
    let started = appotapay_gateway::now_ms() / 1000;
    let mut created: Vec<String> = Vec::new();
    for i in 0..12 {
        let (s, v) = refund(&t, &p, &format!("A-{i}"), &a, 10_000, "item").await;
        assert_eq!(s, 200, "{v}");
        created.push(v["data"]["refundId"].as_str().expect("id").to_owned());
    }
    assert_eq!(refund(&t, &p, "A-fail", &a, 10_000, "FAIL").await.1["data"]["status"], "error");
    for i in 0..3 {
        assert_eq!(refund(&t, &p, &format!("B-{i}"), &b, 20_000, "item").await.1["data"]["status"], "processing");
    }
    assert_eq!(refund(&t, &p, "B-fail", &b, 20_000, "FAIL").await.1["data"]["status"], "processing");
    let (_, last) = refund(&t, &p, "C-full", &c, 50_000, "all").await;
    let last_id = last["data"]["refundId"].as_str().expect("id").to_owned();

    let list = |q: &str| {
        let q = q.to_owned();
        let (t, p) = (&t, &p);
        async move {
            let (s, v) = get(t, p, &format!("/api/v1/refunds?{q}")).await;
            assert_eq!(s, 200, "{q}: {v}");
            assert_eq!(code(&v), 0);
            let mut keys: Vec<&str> = v.as_object().expect("object").keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["data", "errorCode", "message", "meta"]);
            let meta = &v["meta"];
            let n = v["data"].as_array().expect("data").len() as u64;
            (n, meta["total"].as_u64().expect("total"), meta["totalAmount"].as_i64().expect("sum"), v)
        }
    };
    let (n, total, sum, v) = list("").await;
    assert_eq!((n, total, sum), (18, 18, 12 * 10_000 + 10_000 + 4 * 20_000 + 50_000));
    assert_eq!(v["meta"], json!({"page": 1, "limit": 20, "total": 18, "totalAmount": 260_000, "pages": 1}));
    assert_eq!(v["data"][0]["refundId"], last_id.as_str(), "newest first");
    // Every empty key is no filter (clients send them all).
    let (n, ..) = list("appotapayTransId=&orderId=&refundId=&refundOriginalId=&status=&amount=&startTime=&endTime=&refundType=&page=&limit=").await;
    assert_eq!(n, 18);

    // Pages.
    let mut seen = Vec::new();
    for page in 1..=4 {
        let (n, total, _, v) = list(&format!("limit=5&page={page}")).await;
        assert_eq!((n, total), (if page == 4 { 3 } else { 5 }, 18));
        assert_eq!((v["meta"]["pages"].as_u64(), v["meta"]["page"].as_u64()), (Some(4), Some(page)));
        seen.extend(v["data"].as_array().expect("data").iter().map(|r| r["refundId"].as_str().expect("id").to_owned()));
    }
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 18, "pages neither overlap nor skip");
    assert_eq!(list("limit=5&page=5").await.0, 0);
    assert_eq!(list("limit=100").await.0, 18);

    // Filters.
    assert_eq!(list(&format!("appotapayTransId={a}")).await.1, 13);
    assert_eq!(list("orderId=list-b").await.1, 4);
    let (n, _, _, v) = list("refundOriginalId=A-3").await;
    assert_eq!((n, v["data"][0]["refundId"].as_str()), (1, Some(created[3].as_str())));
    let (n, _, _, v) = list(&format!("refundId={}", created[7])).await;
    assert_eq!((n, v["data"][0]["refundOriginalId"].as_str()), (1, Some("A-7")));
    assert_eq!(list("status=processing").await.1, 4);
    assert_eq!(list("status=error").await.1, 1);
    assert_eq!(list("status=success").await.1, 13);
    assert_eq!(list("status=pending").await.1, 0);
    assert_eq!(list("amount=20000").await.1, 4);
    assert_eq!(list("refundType=total").await.1, 1, "only list-c is fully refunded");
    assert_eq!(list("refundType=partial").await.1, 17);
    assert_eq!(list("refundType=partial&status=success&orderId=list-a").await.2, 120_000);
    assert_eq!(list(&format!("startTime={}", started + 3600)).await.1, 0);
    assert_eq!(list(&format!("endTime={}", started - 3600)).await.1, 0);
    assert_eq!(list(&format!("startTime={}&endTime={}", started - 60, started + 3600)).await.1, 18);
    assert_eq!(list("orderId=nope").await.1, 0);
    for bad in ["limit=0", "limit=101", "page=0", "status=done", "refundType=all", "amount=x", "startTime=yesterday"] {
        let (s, v) = get(&t, &p, &format!("/api/v1/refunds?{bad}")).await;
        assert_eq!((s, code(&v)), (400, 1), "{bad}: {v}");
    }
    // Partners see only their own refunds; every GET needs the JWT.
    assert_eq!(get(&t, &sandbox, "/api/v1/refunds?orderId=list-a").await.1["meta"]["total"], 0);
    let resp = t.http.get(format!("{}/api/v1/refunds", t.base)).send().await.expect("request");
    assert_eq!(resp.status(), 401);
    let resp = t.http.get(format!("{}/api/v1/transaction/refund/A-1", t.base)).send().await.expect("request");
    assert_eq!(resp.status(), 401);

    // Detail by the partner's refundId.
    let (s, v) = get(&t, &p, "/api/v1/transaction/refund/B-1").await;
    assert_eq!(s, 200, "{v}");
    assert_signed_refund(&p, &v);
    assert_eq!((v["data"]["status"].as_str(), v["data"]["amount"].as_i64()), (Some("processing"), Some(20_000)));
    assert_eq!(code(&get(&t, &p, "/api/v1/transaction/refund/nope").await.1), 36);
    assert_eq!(
        get(&t, &sandbox, "/api/v1/transaction/refund/B-1").await,
        (400, json!({"errorCode": 36, "message": "Giao dịch không tồn tại"}))
    );

    // By order.
    let (s, v) = get(&t, &p, "/api/v1/transaction/list-b/refund").await;
    assert_eq!(s, 200, "{v}");
    let d = &v["data"];
    assert_eq!((d["refundType"].as_str(), d["paymentMethod"].as_str()), (Some("partial"), Some("ATM")));
    let ids: Vec<&str> = d["refundTransactions"]
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["refundOriginalId"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["B-0", "B-1", "B-2", "B-fail"]);
    assert_eq!(code(&get(&t, &p, "/api/v1/transaction/nope/refund").await.1), 36);
    assert_eq!(code(&get(&t, &sandbox, "/api/v1/transaction/list-b/refund").await.1), 36);
    let unpaid = t.create_bank(&p, "list-unpaid", 10_000, "ATM", "", &m.url).await;
    assert_eq!(unpaid["errorCode"], 0);
    let (s, v) = get(&t, &p, "/api/v1/transaction/list-unpaid/refund").await;
    assert_eq!((s, v["data"]["refundTransactions"].as_array().map(Vec::len)), (200, Some(0)));

    // The bank's delay passes: B's refunds succeed, B-fail ends in error.
    let moved = t.gw().sweep_refunds_at(appotapay_gateway::now_ms() + 2 * HOUR_MS).await.expect("sweep");
    assert_eq!(moved, 4);
    assert_eq!(list("status=processing").await.1, 0);
    assert_eq!(list("status=error").await.1, 2);
    assert_eq!(list("orderId=list-b&status=success").await.2, 60_000);
    t.shutdown().await;
}

on_both!(the_sdk_refund_methods_against_the_gateway);
async fn the_sdk_refund_methods_against_the_gateway(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| c.sandbox_refund_delay = Duration::from_millis(200)).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let client = appotapay::Client::builder()
        .partner_code(&p.code)
        .api_key(&p.api_key)
        .secret_key(p.secret.clone())
        .environment(Environment::Custom(t.base.clone()))
        .build()
        .expect("client");
    let id = paid(&t, &p, &m, "sdk-rf-1", 80_000, "ATM").await;
    let request = |refund_id: &str, amount: i64| RefundRequest {
        refund_id: refund_id.into(),
        appotapay_trans_id: id.clone(),
        amount: Amount::vnd(amount),
        reason: "Trả hàng".into(),
        signature: String::new(),
    };
    let r = client.refund(request("sdk-1", 30_000)).await.expect("refund");
    assert_eq!((r.error_code, r.data.status), (ErrorCode::SUCCESS, RefundStatus::Processing));
    assert_eq!(r.data.refund_original_id, "sdk-1");
    assert!(r.verify(&p.secret).is_ok());
    let e = client.refund(request("sdk-1", 30_000)).await.expect_err("duplicate");
    assert!(matches!(e, appotapay::Error::Api { code: ErrorCode(31), http_status: 400, .. }), "{e:?}");
    let e = client.refund(request("sdk-2", 50_001)).await.expect_err("too much");
    assert!(matches!(e, appotapay::Error::Api { code: ErrorCode(103), .. }), "{e:?}");

    let end = Instant::now() + Duration::from_secs(15);
    let detail = loop {
        let d = client.refund_detail("sdk-1").await.expect("detail");
        if d.data.status != RefundStatus::Processing || Instant::now() > end {
            break d;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(detail.data.status, RefundStatus::Success);
    assert_eq!(detail.data.refund_id, r.data.refund_id);
    let e = client.refund_detail("sdk-none").await.expect_err("unknown");
    assert!(matches!(e, appotapay::Error::Api { code: ErrorCode(36), .. }), "{e:?}");

    client.refund(request("sdk-2", 50_000)).await.expect("the rest");
    let by_order = client.refunds_by_order("sdk-rf-1").await.expect("by order");
    assert_eq!(by_order.data.refund_transactions.len(), 2);
    assert_eq!(by_order.data.refund_type, appotapay::RefundType::Partial, "the second refund is still processing");

    let page = client
        .refund_list(&RefundListQuery { order_id: Some("sdk-rf-1".into()), limit: Some(1), ..Default::default() })
        .await
        .expect("list");
    assert_eq!((page.data.len(), page.meta.total, page.meta.total_amount, page.meta.pages), (1, 2, 80_000, 2));
    assert_eq!(page.data[0].refund_original_id, "sdk-2", "newest first");
    let page = client
        .refund_list(&RefundListQuery { status: Some(RefundStatus::Success), ..Default::default() })
        .await
        .expect("list");
    assert!(page.data.iter().all(|r| r.status == RefundStatus::Success));
    let e = client.refund_list(&RefundListQuery { limit: Some(0), ..Default::default() }).await.expect_err("limit 0");
    assert!(matches!(e, appotapay::Error::Api { code: ErrorCode(1), .. }), "{e:?}");

    t.gw().sweep_refunds_at(appotapay_gateway::now_ms() + HOUR_MS).await.expect("sweep");
    let status = client.transaction_status("sdk-rf-1").await.expect("status");
    assert_eq!(status.error_code, ErrorCode::ALREADY_REFUNDED);
    let by_order = client.refunds_by_order("sdk-rf-1").await.expect("by order");
    assert_eq!(by_order.data.refund_type, appotapay::RefundType::Total);
    t.shutdown().await;
}

/// How a random refund's amount is chosen: some absolute, some relative to what
/// remains when the step runs, so that the boundaries are hit often.
#[derive(Clone, Copy, Debug)]
enum Amt {
    /// This many đồng.
    Abs(i64),
    /// The remaining balance plus this (may be ≤ 0 or beyond the balance).
    RemainingPlus(i64),
    /// The paid amount divided by this.
    PaidDiv(i64),
}

/// One step of a random refund history.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// Ask for a refund; `fail` puts FAIL in the reason.
    Refund { amount: Amt, fail: bool },
    /// Let the sandbox bank's delay pass.
    BankAnswers,
}

/// The test's own statement of the rules: what a refund should answer and become.
#[derive(Debug, Default)]
struct Model {
    paid: i64,
    refunds: Vec<(i64, RefundStatus, bool)>,
}

impl Model {
    fn sum(&self, f: impl Fn(RefundStatus) -> bool) -> i64 {
        self.refunds.iter().filter(|r| f(r.1)).map(|r| r.0).sum()
    }
    fn refunded(&self) -> i64 {
        self.sum(|s| s == RefundStatus::Success)
    }
    fn remaining(&self) -> i64 {
        self.paid - self.sum(|s| s != RefundStatus::Error)
    }
    fn amount(&self, a: Amt) -> i64 {
        match a {
            Amt::Abs(v) => v,
            Amt::RemainingPlus(d) => self.remaining() + d,
            Amt::PaidDiv(d) => self.paid / d,
        }
    }
    /// The expected errorCode, and the status of an accepted refund.
    fn request(&self, amount: i64, fail: bool, method: &str) -> (u64, Option<RefundStatus>) {
        let remaining = self.remaining();
        if amount <= 0 {
            (32, None)
        } else if amount > remaining {
            (if self.refunded() == self.paid { 40 } else { 103 }, None)
        } else if amount < 1_000 && amount != remaining {
            (32, None)
        } else if method == "ATM" {
            (0, Some(RefundStatus::Processing))
        } else {
            (0, Some(if fail { RefundStatus::Error } else { RefundStatus::Success }))
        }
    }
}

fn history() -> impl proptest::strategy::Strategy<Value = (i64, &'static str, Vec<Op>)> {
    use proptest::prelude::*;
    (1_000i64..300_000, proptest::sample::select(vec!["ATM", "CC", "QR"])).prop_flat_map(|(paid, method)| {
        let amount = prop_oneof![
            (1i64..=paid + paid / 2).prop_map(Amt::Abs),
            (1i64..2_000).prop_map(Amt::Abs),
            prop_oneof![Just(0i64), Just(1), Just(-1), Just(-999), -1_001i64..=1].prop_map(Amt::RemainingPlus),
            (1i64..=4).prop_map(Amt::PaidDiv),
        ];
        let op = prop_oneof![
            4 => (amount, proptest::bool::weighted(0.2)).prop_map(|(amount, fail)| Op::Refund { amount, fail }),
            1 => Just(Op::BankAnswers),
        ];
        (Just(paid), Just(method), proptest::collection::vec(op, 1..12))
    })
}

async fn run_history(
    t: &TestGateway,
    p: &Partner,
    m: &Merchant,
    n: usize,
    (paid_amount, method, ops): (i64, &'static str, Vec<Op>),
) -> Result<(), proptest::test_runner::TestCaseError> {
    use proptest::{prop_assert, prop_assert_eq};
    let oid = format!("prop-{n}");
    let id = paid(t, p, m, &oid, paid_amount, method).await;
    let mut model = Model { paid: paid_amount, refunds: Vec::new() };
    for (i, op) in ops.iter().enumerate() {
        match *op {
            Op::Refund { amount, fail } => {
                let amount = model.amount(amount);
                let reason = if fail { "FAIL on purpose" } else { "random refund" };
                let (expected, status) = model.request(amount, fail, method);
                let (s, v) = refund(t, p, &format!("{oid}-{i}"), &id, amount, reason).await;
                prop_assert_eq!(code(&v), expected, "step {} {:?}: {} (model {:?})", i, op, v, model);
                if let Some(status) = status {
                    prop_assert_eq!(s, 200);
                    prop_assert!(signing::verify_json(&signing::REFUND_RESPONSE, &p.secret, &v).is_ok());
                    prop_assert_eq!(v["data"]["status"].as_str(), Some(status.as_str()));
                    model.refunds.push((amount, status, fail));
                }
            }
            Op::BankAnswers => {
                t.gw().sweep_refunds_at(appotapay_gateway::now_ms() + 2 * HOUR_MS).await.expect("sweep");
                for r in &mut model.refunds {
                    if r.1 == RefundStatus::Processing {
                        r.1 = if r.2 { RefundStatus::Error } else { RefundStatus::Success };
                    }
                }
            }
        }
        // What the gateway reports agrees with the ledger.
        let (_, by_order) = get(t, p, &format!("/api/v1/transaction/{oid}/refund")).await;
        let reported: Vec<(i64, String)> = by_order["data"]["refundTransactions"]
            .as_array()
            .expect("array")
            .iter()
            .map(|r| (r["amount"].as_i64().expect("amount"), r["status"].as_str().expect("status").to_owned()))
            .collect();
        let expected: Vec<(i64, String)> = model.refunds.iter().map(|r| (r.0, r.1.as_str().to_owned())).collect();
        prop_assert_eq!(&reported, &expected);
        let committed: i64 = reported.iter().filter(|r| r.1 != "error").map(|r| r.0).sum();
        prop_assert!(committed <= paid_amount, "committed {} > paid {}", committed, paid_amount);
        let full = model.refunded() == paid_amount;
        prop_assert_eq!(by_order["data"]["refundType"].as_str(), Some(if full { "total" } else { "partial" }));
        prop_assert_eq!(status_code(t, p, &oid).await, if full { 40 } else { 0 });
        let (_, list) = get(t, p, &format!("/api/v1/refunds?appotapayTransId={id}&limit=100")).await;
        prop_assert_eq!(list["meta"]["total"].as_u64(), Some(model.refunds.len() as u64));
        prop_assert_eq!(list["meta"]["totalAmount"].as_i64(), Some(model.refunds.iter().map(|r| r.0).sum::<i64>()));
    }
    Ok(())
}

/// Random sequences of refunds (amounts within, at and beyond the balance, some meant
/// to fail, bank answers in between), each against a fresh paid order: the answers are
/// the rules' answers, the refunded sum never exceeds the paid amount, and the status
/// API, the order's refunds and the list agree with the ledger.
#[test]
fn random_refund_sequences_keep_the_ledger() {
    use proptest::test_runner::{Config, TestRunner};
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    // The bank's delay passes only when the test says so.
    let t = rt.block_on(TestGateway::start_with(|c| c.sandbox_refund_delay = Duration::from_secs(3600)));
    let m = rt.block_on(Merchant::start(vec![], Answer::Ok));
    let p = rt.block_on(t.partner("RFPROP", false));
    let counter = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config { cases: 32, failure_persistence: None, ..Config::default() });
    let result = runner.run(&history(), |h| {
        let n = counter.fetch_add(1, Ordering::Relaxed);
        rt.block_on(run_history(&t, &p, &m, n, h))
    });
    rt.block_on(t.shutdown());
    if let Err(e) = result {
        panic!("{e}");
    }
}
