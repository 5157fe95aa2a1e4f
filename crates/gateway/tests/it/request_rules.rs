//! Request bodies that would mean one thing to the gateway and another to whatever
//! reads them before it: repeated JSON keys, signed values that move the boundary
//! between two signed fields, hosts that are not DNS names.

use crate::harness::TestGateway;
use appotapay_protocol::signing;
use serde_json::json;

const BANK: &str = "/api/v1/orders/payment/bank";

#[tokio::test]
async fn a_key_twice_in_a_body_answers_1() {
    let t = TestGateway::start().await;
    let p = t.sandbox();
    let signed = p.bank_request("dup-1", 2_000_000, "ATM", "", "http://127.0.0.1:9/ipn").to_string();
    // The last `amount` is what serde_json would keep; a proxy keeping the first sees 2,000,000.
    let twice = signed.replacen('{', "{\"amount\":10000,", 1);
    let (s, v, h) = t.post_raw(BANK, Some(&p.token()), twice.into_bytes(), &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(1)), "{v}");
    assert!(h["x-error-detail"].to_str().expect("ascii").contains("amount"));
    let nested = signed.replacen('{', "{\"x\":{\"y\":1,\"y\":2},", 1);
    let (s, v, _) = t.post_raw(BANK, Some(&p.token()), nested.into_bytes(), &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(1)), "nested objects too: {v}");
    let (s, _, _) = t.post_raw(BANK, Some(&p.token()), signed.into_bytes(), &[]).await;
    assert_eq!(s, 200, "the body without the repeat is fine");
}

#[tokio::test]
async fn a_value_that_moves_a_field_boundary_answers_1() {
    let t = TestGateway::start().await;
    let p = t.sandbox();
    let mut body =
        p.bank_request("edge-1", 50_000, "ATM", "", "http://127.0.0.1:9/a?&notifyUrl=http://127.0.0.1:9/evil");
    body["extraData"] = json!("x");
    let body = p.sign(&signing::BANK_PAYMENT_REQUEST, body);
    let (s, v, h) = t.post(&p, BANK, &body).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(1)), "{v}");
    assert!(h["x-error-detail"].to_str().expect("ascii").contains("notifyUrl"));
    // Checked before the signature: a wrong signature does not turn it into a 2.
    let mut unsigned = body.clone();
    unsigned["signature"] = json!("00".repeat(32));
    assert_eq!(t.post(&p, BANK, &unsigned).await.1["errorCode"], 1);
    // `&` alone, or before a name that is not a signed field, is fine.
    let fine = p.bank_request("edge-2", 50_000, "ATM", "", "http://127.0.0.1:9/a?x=1&y=2&notify=3");
    assert_eq!(t.post(&p, BANK, &fine).await.0, 200);
}

#[tokio::test]
async fn url_hosts_must_be_dns_names_or_ip_literals() {
    let t = TestGateway::start().await;
    let p = t.sandbox();
    for (i, host) in ["x.example;sandbox", "x.example'", "a_b.example"].iter().enumerate() {
        let mut body = p.bank_request(&format!("host-{i}"), 50_000, "ATM", "", "http://127.0.0.1:9/ipn");
        body["redirectUrl"] = json!(format!("https://{host}/return"));
        let body = p.sign(&signing::BANK_PAYMENT_REQUEST, body);
        let (s, v, _) = t.post(&p, BANK, &body).await;
        assert_eq!((s, v["errorCode"].clone()), (400, json!(1)), "{host}: {v}");
    }
    let mut body = p.bank_request("host-ok", 50_000, "ATM", "", "http://127.0.0.1:9/ipn");
    body["redirectUrl"] = json!("https://shop-1.example.com/return");
    let body = p.sign(&signing::BANK_PAYMENT_REQUEST, body);
    assert_eq!(t.post(&p, BANK, &body).await.0, 200);
}
