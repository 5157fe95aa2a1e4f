//! IPN delivery: retries on the configured schedule, attempts recorded, give-up.

use crate::harness::*;
use std::time::Duration;

on_both!(retries_until_ok_with_the_configured_delays);
async fn retries_until_ok_with_the_configured_delays(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| {
        c.ipn_schedule =
            vec![Duration::ZERO, Duration::from_millis(400), Duration::from_millis(700), Duration::from_millis(400)]
    })
    .await;
    let m = Merchant::start(vec![Answer::Status(500), Answer::WrongBody, Answer::Ok], Answer::Ok).await;
    let p = t.sandbox();
    let created = t.create_bank(&p, "retry-1", 10_000, "ATM", "", &m.url).await;
    let id = t.trans_id_of(created["paymentUrl"].as_str().expect("url"));
    let (s, _) = t.complete(&p, &id, 0).await;
    assert_eq!(s, 200);
    let got = m.wait_for(3, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let got_all = m.received();
    assert_eq!(got_all.len(), 3, "exactly three attempts");
    let gap1 = got[1].at - got[0].at;
    let gap2 = got[2].at - got[1].at;
    assert!(gap1 >= Duration::from_millis(400) && gap1 < Duration::from_millis(1_500), "first retry after {gap1:?}");
    assert!(gap2 >= Duration::from_millis(700) && gap2 < Duration::from_millis(1_800), "second retry after {gap2:?}");
    assert!(got.iter().all(|r| r.body == got[0].body), "the same body each time");

    let deliveries = t.gw().deliveries(&id).await.expect("deliveries");
    assert_eq!(deliveries.len(), 1);
    let d = &deliveries[0];
    assert_eq!(d.status, appotapay_gateway::domain::records::DeliveryStatus::Delivered);
    let statuses: Vec<Option<u16>> = d.attempts.iter().map(|a| a.http_status).collect();
    assert_eq!(statuses, vec![Some(500), Some(200), Some(200)]);
    assert_eq!(d.attempts.iter().map(|a| a.attempt).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert_eq!(d.attempts[0].response_head, "nope");
    assert!(d.attempts[1].error.as_deref().is_some_and(|e| e.contains("status")), "{:?}", d.attempts[1]);
    assert!(d.attempts[2].error.is_none());
    t.shutdown().await;
}

on_both!(a_merchant_that_never_answers_exhausts_the_schedule);
async fn a_merchant_that_never_answers_exhausts_the_schedule(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| {
        c.ipn_timeout = Duration::from_millis(300);
        c.ipn_schedule = vec![Duration::ZERO, Duration::from_millis(200), Duration::from_millis(200)];
    })
    .await;
    let m = Merchant::start(vec![], Answer::Hang).await;
    let p = t.sandbox();
    let created = t.create_bank(&p, "hang-1", 10_000, "ATM", "", &m.url).await;
    let id = t.trans_id_of(created["paymentUrl"].as_str().expect("url"));
    t.complete(&p, &id, 0).await;
    let mut d = Vec::new();
    for _ in 0..100 {
        d = t.gw().deliveries(&id).await.expect("deliveries");
        if d.first().is_some_and(|d| d.status == appotapay_gateway::domain::records::DeliveryStatus::Failed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(d[0].status, appotapay_gateway::domain::records::DeliveryStatus::Failed, "given up after the schedule");
    assert_eq!(d[0].attempts.len(), 3);
    for a in &d[0].attempts {
        assert_eq!(a.http_status, None);
        assert!(a.error.as_deref().is_some_and(|e| e.contains("timed out")), "{a:?}");
        assert!(a.latency_ms >= 250, "{a:?}");
    }
    assert_eq!(m.received().len(), 3);
    assert_eq!(t.gw().outbox_depth().await.expect("depth"), 0);

    // Connection refused is an attempt too.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_url = format!("http://{}/ipn", closed.local_addr().expect("addr"));
    drop(closed);
    let created = t.create_bank(&p, "dead-1", 10_000, "ATM", "", &dead_url).await;
    let id = t.trans_id_of(created["paymentUrl"].as_str().expect("url"));
    t.complete(&p, &id, 0).await;
    for _ in 0..100 {
        d = t.gw().deliveries(&id).await.expect("deliveries");
        if d.first().is_some_and(|d| d.status == appotapay_gateway::domain::records::DeliveryStatus::Failed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(d[0].attempts.len(), 3);
    assert!(d[0].attempts.iter().all(|a| a.error.is_some() && a.http_status.is_none()));
    t.shutdown().await;
}

on_both!(production_mode_refuses_private_targets_unless_allow_listed);
async fn production_mode_refuses_private_targets_unless_allow_listed(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| {
        c.mode = appotapay_gateway::config::Mode::Production;
        c.master_key = Some("11".repeat(32));
    })
    .await;
    let p = t.partner("PROD", false).await;
    for target in
        ["http://127.0.0.1:8080/ipn", "http://10.0.0.5/ipn", "http://[::1]/ipn", "http://169.254.169.254/latest"]
    {
        let (s, v, h) =
            t.post(&p, "/api/v1/orders/payment/bank", &p.bank_request("o-1", 10_000, "ATM", "", target)).await;
        assert_eq!((s, v["errorCode"].clone()), (400, serde_json::json!(1)), "{target}");
        assert!(h.get("x-error-detail").is_some());
    }
    // The sandbox helpers do not exist in production.
    let (s, _) = t.complete(&p, "AP000000000000", 0).await;
    assert_eq!(s, 404);
    t.shutdown().await;

    let t = TestGateway::start_on(backend, |c| {
        c.mode = appotapay_gateway::config::Mode::Production;
        c.master_key = Some("11".repeat(32));
        c.outbound_allow = vec!["127.0.0.0/8".parse().expect("net")];
    })
    .await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.partner("PROD", false).await;
    let (s, v, _) = t.post(&p, "/api/v1/orders/payment/bank", &p.bank_request("o-1", 10_000, "ATM", "", &m.url)).await;
    assert_eq!(s, 200, "allow-listed loopback: {v}");
    // Settle through the core (no helpers in production) and check the IPN arrives.
    let id = t.trans_id_of(v["paymentUrl"].as_str().expect("url"));
    t.gw().settle(&id, appotapay_gateway::domain::order::Event::Succeed, Default::default()).await.expect("settle");
    assert_eq!(m.wait_for(1, Duration::from_secs(5)).await.len(), 1);
    t.shutdown().await;
}
