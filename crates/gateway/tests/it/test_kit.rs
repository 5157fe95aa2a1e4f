//! The sandbox's scripted delivery faults and per-partner test clocks, over HTTP
//! into the real server with a real merchant endpoint, on both backends.

use crate::harness::{Answer, Backend, Merchant, TestGateway, on_both};
use appotapay_gateway::domain::records::DeliveryStatus;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn get(t: &TestGateway, p: &crate::harness::Partner, path: &str) -> (u16, Value) {
    let resp = t
        .http
        .get(format!("{}{path}", t.base))
        .header("X-APPOTAPAY-AUTH", format!("Bearer {}", p.token()))
        .send()
        .await
        .expect("request");
    let s = resp.status().as_u16();
    (s, resp.json().await.unwrap_or(Value::Null))
}

fn trans_id(t: &TestGateway, created: &Value) -> String {
    t.trans_id_of(created["paymentUrl"].as_str().expect("paymentUrl"))
}

async fn wait_until(what: &str, limit: Duration, mut ok: impl AsyncFnMut() -> bool) {
    let end = Instant::now() + limit;
    while !ok().await {
        assert!(Instant::now() < end, "{what} did not happen within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

on_both!(delivery_faults_deliver_what_was_scripted);
async fn delivery_faults_deliver_what_was_scripted(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();

    // One order: delivered twice, the first attempt lost, two seconds late.
    let a = t.create_bank(&p, "fault-a", 10_000, "ATM", "", &m.url).await;
    let a_id = trans_id(&t, &a);
    let (s, v, _) = t
        .post(
            &p,
            "/api/v1/sandbox/delivery-faults",
            &json!({"appotapayTransId": a_id, "twice": true, "loseFirst": true, "delaySeconds": 2}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, listed) = get(&t, &p, "/api/v1/sandbox/delivery-faults").await;
    assert_eq!(listed["faults"].as_array().map(Vec::len), Some(1));
    let settled_at = Instant::now();
    assert_eq!(t.complete(&p, &a_id, 0).await.0, 200);
    let got = m.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2, "delivered twice");
    assert_eq!(got[0].body, got[1].body, "the same notification");
    assert!(got[0].at.duration_since(settled_at) >= Duration::from_secs(2), "late by the delay");
    // The merchant has both; the gateway records each attempt after its answer.
    let mut deliveries = Vec::new();
    for _ in 0..200 {
        deliveries = t.gw().deliveries(&a_id).await.expect("deliveries");
        if deliveries.len() == 2 && deliveries.iter().all(|d| d.status == DeliveryStatus::Delivered) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(deliveries.len(), 2);
    let first = &deliveries[0].attempts;
    assert!(first[0].error.as_deref().is_some_and(|e| e.contains("lost")), "{first:?}");
    assert_eq!(first[0].http_status, None);
    assert_eq!(first.last().and_then(|a| a.http_status), Some(200), "then the retry delivered it");
    let (_, listed) = get(&t, &p, "/api/v1/sandbox/delivery-faults").await;
    assert_eq!(listed["faults"].as_array().map(Vec::len), Some(0), "an order's script is used once");

    // An order created before a next-orders script is not one of the next orders.
    let before = t.create_bank(&p, "fault-before", 10_000, "ATM", "", &m.url).await;
    let before_id = trans_id(&t, &before);
    // The next two orders: each delivered twice; the third normally.
    let (s, _, _) = t.post(&p, "/api/v1/sandbox/delivery-faults", &json!({"nextOrders": 2, "twice": true})).await;
    assert_eq!(s, 200);
    assert_eq!(t.complete(&p, &before_id, 0).await.0, 200);
    let mut ids = Vec::new();
    for i in 0..3 {
        let o = t.create_bank(&p, &format!("fault-next-{i}"), 10_000, "ATM", "", &m.url).await;
        let id = trans_id(&t, &o);
        assert_eq!(t.complete(&p, &id, 0).await.0, 200);
        ids.push(id);
    }
    m.wait_for(2 + 5, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let count = |id: &str| m.received().iter().filter(|r| r.body["appotapayTransId"] == id).count();
    assert_eq!((count(&ids[0]), count(&ids[1]), count(&ids[2])), (2, 2, 1));
    assert_eq!(count(&before_id), 1, "created before the script");

    // A final order takes no script; a second script for an order replaces the first.
    let (s, v, _) =
        t.post(&p, "/api/v1/sandbox/delivery-faults", &json!({"appotapayTransId": ids[0], "twice": true})).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(1)), "{v}");
    let c = t.create_bank(&p, "fault-replaced", 10_000, "ATM", "", &m.url).await;
    let c_id = trans_id(&t, &c);
    t.post(&p, "/api/v1/sandbox/delivery-faults", &json!({"appotapayTransId": c_id, "twice": true})).await;
    t.post(&p, "/api/v1/sandbox/delivery-faults", &json!({"appotapayTransId": c_id, "delaySeconds": 1})).await;
    let (_, listed) = get(&t, &p, "/api/v1/sandbox/delivery-faults").await;
    let mine: Vec<_> = listed["faults"]
        .as_array()
        .expect("faults")
        .iter()
        .filter(|f| f["appotapayTransId"] == c_id.as_str())
        .cloned()
        .collect();
    assert_eq!(mine.len(), 1, "replaced: {mine:?}");
    assert_eq!((mine[0]["twice"].clone(), mine[0]["delaySeconds"].clone()), (json!(false), json!(1)));

    // Bad scripts, and clearing.
    for bad in [
        json!({}),
        json!({"twice": "yes"}),
        json!({"delaySeconds": -1, "twice": true}),
        json!({"delaySeconds": 86_401}),
        json!({"appotapayTransId": "AP000000000001", "twice": true}),
        json!({"appotapayTransId": a_id, "nextOrders": 1, "twice": true}),
        json!({"nextOrders": 0, "twice": true}),
    ] {
        let (s, v, _) = t.post(&p, "/api/v1/sandbox/delivery-faults", &bad).await;
        assert_eq!(s, 400, "{bad}: {v}");
    }
    t.post(&p, "/api/v1/sandbox/delivery-faults", &json!({"loseFirst": true})).await;
    let resp = t
        .http
        .delete(format!("{}/api/v1/sandbox/delivery-faults", t.base))
        .header("X-APPOTAPAY-AUTH", format!("Bearer {}", p.token()))
        .send()
        .await
        .expect("delete");
    let v: Value = resp.json().await.expect("JSON");
    assert_eq!(v["cleared"], 2, "the order's script and the next-orders one");
    t.shutdown().await;
}

on_both!(a_partners_clock_moves_its_own_due_times);
async fn a_partners_clock_moves_its_own_due_times(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| {
        c.ipn_schedule = vec![Duration::ZERO, Duration::from_secs(300), Duration::from_secs(300)];
        c.sandbox_refund_delay = Duration::from_secs(600);
    })
    .await;
    let m = Merchant::start(vec![Answer::Status(500)], Answer::Ok).await;
    let p = t.partner("CLOCKED", true).await;
    let other = t.partner("NEIGHBOUR", false).await;

    let (_, before) = get(&t, &p, "/api/v1/sandbox/clock").await;
    let real = appotapay_gateway::now_ms() / 1000;
    assert!((before["now"].as_i64().expect("now") - real).abs() <= 2, "{before}");

    // An order expires (77) once the clock passes its lifetime, with its IPN; a
    // neighbour's order does not.
    let mine = t.create_bank(&p, "clock-expires", 10_000, "ATM", "", &m.url).await;
    let theirs = t.create_bank(&other, "clock-stays", 10_000, "ATM", "", &m.url).await;
    // An IPN whose first attempt fails, retried 300 s later.
    let paid = t.create_bank(&p, "clock-retry", 20_000, "ATM", "", &m.url).await;
    let paid_id = trans_id(&t, &paid);
    assert_eq!(t.complete(&p, &paid_id, 0).await.0, 200);
    m.wait_for(1, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(m.received().len(), 1, "the retry waits for its time");
    // A domestic-card refund, which the sandbox bank finishes after 600 s.
    let body = p.sign(
        &appotapay_protocol::signing::REFUND_REQUEST,
        json!({"refundId": "clock-rf", "appotapayTransId": paid_id, "amount": 20_000, "reason": "test"}),
    );
    let (s, v, _) = t.post(&p, "/api/v1/transaction/refund", &body).await;
    assert_eq!((s, v["data"]["status"].clone()), (200, json!("processing")), "{v}");

    let (s, after, _) = t.post(&p, "/api/v1/sandbox/clock/advance", &json!({"seconds": 901})).await;
    assert_eq!(s, 200, "{after}");
    let now = after["now"].as_i64().expect("now");
    assert!((now - (before["now"].as_i64().expect("now") + 901)).abs() <= 2, "{after}");
    let (_, clock) = get(&t, &p, "/api/v1/sandbox/clock").await;
    assert!((clock["now"].as_i64().expect("now") - now).abs() <= 2);
    let (_, neighbour) = get(&t, &other, "/api/v1/sandbox/clock").await;
    assert!((neighbour["now"].as_i64().expect("now") - real).abs() <= 2, "the neighbour's clock did not move");

    wait_until("the expiry", Duration::from_secs(5), async || t.status(&p, "clock-expires").await.1["errorCode"] == 77)
        .await;
    let (_, st) = t.status(&other, "clock-stays").await;
    assert_eq!(st["errorCode"], 35, "the neighbour's order is still pending: {st}");
    wait_until("the retried IPN and the expiry IPN", Duration::from_secs(5), async || {
        let r = m.received();
        r.iter().filter(|x| x.body["appotapayTransId"] == paid_id.as_str()).count() == 2
            && r.iter().any(|x| x.body["orderId"] == "clock-expires" && x.body["errorCode"] == 77)
    })
    .await;
    wait_until("the refund", Duration::from_secs(5), async || {
        t.gw().order_refunds(&paid_id).await.expect("refunds")[0].status.as_str() == "success"
    })
    .await;
    let _ = (mine, theirs);

    for bad in [
        json!({}),
        json!({"seconds": 0}),
        json!({"seconds": -5}),
        json!({"seconds": "60"}),
        json!({"seconds": 2_592_001}),
    ] {
        let (s, v, _) = t.post(&p, "/api/v1/sandbox/clock/advance", &bad).await;
        assert_eq!((s, v["errorCode"].clone()), (400, json!(1)), "{bad}");
    }
    t.shutdown().await;
}

#[tokio::test]
async fn production_has_no_test_kit() {
    let t = TestGateway::start_with(|c| {
        c.mode = appotapay_gateway::config::Mode::Production;
        c.master_key = Some("11".repeat(32));
    })
    .await;
    let p = t.partner("PROD", false).await;
    for path in ["/api/v1/sandbox/clock/advance", "/api/v1/sandbox/delivery-faults"] {
        let (s, _, _) = t.post(&p, path, &json!({"seconds": 60, "twice": true})).await;
        assert_eq!(s, 404, "{path}");
    }
    assert_eq!(get(&t, &p, "/api/v1/sandbox/clock").await.0, 404);
    t.shutdown().await;
}

on_both!(the_sandbox_pages_script_delivery_faults);
async fn the_sandbox_pages_script_delivery_faults(backend: Backend) {
    use crate::checkout::{get as page, submit};
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let created = t.create_bank(&p, "page-faults", 10_000, "ATM", "VCB", &m.url).await;
    let url = created["paymentUrl"].as_str().expect("url").to_owned();
    let card = page(&t, &format!("{url}&lang=en")).await;
    assert!(card.body.contains("IPN delivery faults (sandbox)"), "the card page has the controls");
    let after = submit(&t, &card, "/bank/payment/faults", &[("twice", "on"), ("delay", "1")]).await;
    assert_eq!(after.status, 303, "{}", after.body);
    let again = page(&t, &format!("{url}&lang=en")).await;
    assert!(again.body.contains("delivered twice, 1 s late"), "the page shows what is scripted");
    let settled = Instant::now();
    let id = trans_id(&t, &created);
    assert_eq!(t.complete(&p, &id, 0).await.0, 200);
    let got = m.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2);
    assert!(got[0].at.duration_since(settled) >= Duration::from_secs(1));

    // A bad delay is refused; the QR page has the controls too.
    let qr = t.create_qr(&p, "page-faults-qr", 10_000, &m.url).await;
    let qr_page = page(&t, qr["paymentUrl"].as_str().expect("url")).await;
    assert!(qr_page.body.contains("action=\"/bank/payment/faults\""));
    let bad = submit(&t, &qr_page, "/bank/payment/faults", &[("delay", "soon")]).await;
    assert_eq!(bad.status, 400);
    t.shutdown().await;

    // Production pages have no such controls, and no such endpoint.
    let t = TestGateway::start_on(backend, |c| {
        c.mode = appotapay_gateway::config::Mode::Production;
        c.master_key = Some("11".repeat(32));
        c.outbound_allow = vec!["127.0.0.0/8".parse().expect("net")];
    })
    .await;
    let prod = t.partner("PRODPAGE", false).await;
    let created = t.create_bank(&prod, "prod-page", 10_000, "ATM", "VCB", &m.url).await;
    let card = page(&t, created["paymentUrl"].as_str().expect("url")).await;
    assert!(!card.body.contains("/bank/payment/faults"));
    let resp = t.http.post(format!("{}/bank/payment/faults", t.base)).send().await.expect("post");
    assert_eq!(resp.status().as_u16(), 404);
    t.shutdown().await;
}

on_both!(the_clock_settles_a_processing_card_payment);
async fn the_clock_settles_a_processing_card_payment(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| c.sandbox_processing_delay = Duration::from_secs(60)).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let created = t.create_bank(&p, "clock-processing", 10_000, "ATM", "VCB", &m.url).await;
    let url = created["paymentUrl"].as_str().expect("url").to_owned();
    let card = [("card_number", "9704000000000034"), ("card_holder", "NGUYEN VAN A"), ("card_date", "01/20")];
    let after = crate::checkout::pay(&t, &url, &card, "123456").await;
    assert_eq!(after.status, 303, "{}", after.body);
    assert_eq!(t.status(&p, "clock-processing").await.1["errorCode"], 34);
    let (s, _, _) = t.post(&p, "/api/v1/sandbox/clock/advance", &json!({"seconds": 61})).await;
    assert_eq!(s, 200);
    wait_until("the processing payment's confirmation", Duration::from_secs(5), async || {
        t.status(&p, "clock-processing").await.1["errorCode"] == 0
    })
    .await;
    assert_eq!(m.wait_for(1, Duration::from_secs(5)).await.len(), 1);
    t.shutdown().await;
}

/// The SDK drives the whole test kit against the gateway.
#[tokio::test]
async fn the_sdk_drives_the_test_kit() {
    use appotapay::protocol::messages::sandbox::DeliveryFaultRequest;
    let t = TestGateway::start().await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let client = appotapay::Client::builder()
        .partner_code(&p.code)
        .api_key(&p.api_key)
        .secret_key(p.secret.clone())
        .environment(appotapay::Environment::Custom(t.base.clone()))
        .build()
        .expect("client");
    let sandbox = client.sandbox();
    let before = sandbox.clock().await.expect("clock");
    let after = sandbox.advance_clock(120).await.expect("advance");
    assert!((after - before - 120).abs() <= 2);
    assert!(matches!(sandbox.advance_clock(0).await, Err(appotapay::Error::Api { code: appotapay::ErrorCode(1), .. })));

    let script = DeliveryFaultRequest { next_orders: Some(1), twice: true, ..Default::default() };
    let recorded = sandbox.delivery_fault(&script).await.expect("scripted");
    assert_eq!(recorded.fault.script, script);
    assert_eq!(sandbox.delivery_faults().await.expect("list").faults.len(), 1);

    // The merchant's handler, run through the conformance cases by the SDK: this test
    // merchant acknowledges everything, so the forgeries fail.
    t.create_bank(&p, "sdk-conformance", 10_000, "ATM", "", &m.url).await;
    let report = sandbox.conformance("sdk-conformance", None).await.expect("report");
    assert!(!report.passed);
    assert!(report.settled);
    assert_eq!(report.cases.len(), 12);
    assert!(report.cases.iter().any(|c| c.number == 3 && c.verdict == "fail" && c.hint.is_some()));
    // The real IPN of the settlement used the script: delivered twice.
    let id = report.appotapay_trans_id.clone();
    let end = Instant::now() + Duration::from_secs(10);
    while m.received().iter().filter(|r| r.body["appotapayTransId"] == id.as_str()).count() < 12 + 2
        && Instant::now() < end
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(t.gw().deliveries(&id).await.expect("deliveries").len(), 2);
    sandbox.clear_delivery_faults().await.expect("cleared");
    assert!(sandbox.delivery_faults().await.expect("list").faults.is_empty());
    t.shutdown().await;
}
