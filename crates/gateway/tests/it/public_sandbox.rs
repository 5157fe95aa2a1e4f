//! Sandbox mode on an address others can reach: refused unless `sandbox_public`;
//! with it, IPNs reach this machine's loopback only through `outbound_allow`.

use crate::harness::{Answer, Merchant, TestGateway};
use appotapay_gateway::config::Config;
use appotapay_gateway::domain::records::DeliveryStatus;
use appotapay_gateway::server;
use std::time::Duration;

#[tokio::test]
async fn sandbox_mode_refuses_a_public_listen_address() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::defaults().expect("defaults");
    config.data_dir = dir.path().to_path_buf();
    config.database_url = format!("sqlite://{}", dir.path().join("gateway.db").display());
    config.listen = "0.0.0.0:0".parse().expect("addr");
    let e = server::open(config.clone()).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("APPOTAPAY_SANDBOX_PUBLIC") && e.contains("0.0.0.0"), "{e}");
    config.sandbox_public = true;
    assert!(server::open(config).await.is_ok(), "allowed when set");
}

#[tokio::test]
async fn a_public_sandbox_refuses_loopback_notify_urls_unless_allowed() {
    let t = TestGateway::start_with(|c| c.sandbox_public = true).await;
    let p = t.sandbox();
    let m = Merchant::start(vec![], Answer::Ok).await;
    let (s, v, _) =
        t.post(&p, "/api/v1/orders/payment/bank", &p.bank_request("pub-1", 10_000, "ATM", "", &m.url)).await;
    assert_eq!((s, v["errorCode"].as_i64()), (400, Some(1)), "loopback notifyUrl refused at creation: {v}");
    // A name that resolves to loopback passes creation and is refused at delivery.
    let by_name = m.url.replace("127.0.0.1", "localhost");
    let v = t.create_bank(&p, "pub-2", 10_000, "ATM", "", &by_name).await;
    let id = t.trans_id_of(v["paymentUrl"].as_str().expect("url"));
    assert_eq!(t.complete(&p, &id, 0).await.0, 200);
    let mut status = None;
    for _ in 0..500 {
        status = t.gw().deliveries(&id).await.expect("deliveries").first().map(|d| d.status);
        if status == Some(DeliveryStatus::Failed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status, Some(DeliveryStatus::Failed), "every attempt refused");
    assert!(m.received().is_empty(), "nothing reached the loopback merchant");
    t.shutdown().await;

    let t = TestGateway::start_with(|c| {
        c.sandbox_public = true;
        c.outbound_allow = vec!["127.0.0.0/8".parse().expect("net")];
    })
    .await;
    let p = t.sandbox();
    let v = t.create_bank(&p, "pub-3", 10_000, "ATM", "", &m.url).await;
    let id = t.trans_id_of(v["paymentUrl"].as_str().expect("url"));
    assert_eq!(t.complete(&p, &id, 0).await.0, 200);
    assert_eq!(m.wait_for(1, Duration::from_secs(5)).await.len(), 1, "allow-listed loopback is reached");
    t.shutdown().await;
}
