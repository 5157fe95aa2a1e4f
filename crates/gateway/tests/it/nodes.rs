//! Several gateway nodes on one PostgreSQL database acting as one gateway: any node
//! serves any request, and the uniqueness rules hold across nodes under concurrency.
//! (The whole-process test with a node killed mid-run is in `multinode`.)

use crate::harness::*;
use crate::pg::TestDb;
use appotapay_gateway::config::Config;
use appotapay_gateway::domain::order::Event;
use appotapay_gateway::server::{self, StartError};
use appotapay_protocol::signing;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

async fn three_nodes() -> Vec<TestGateway> {
    let a = TestGateway::start_on(Backend::Postgres, |_| {}).await;
    let b = a.another_node(|_| {}).await;
    let c = a.another_node(|_| {}).await;
    vec![a, b, c]
}

async fn shutdown(nodes: Vec<TestGateway>) {
    for n in nodes {
        n.shutdown().await;
    }
}

#[tokio::test]
async fn any_node_serves_any_request_postgres() {
    let nodes = three_nodes().await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    // A partner created through one node is known to every node.
    let p = nodes[0].partner("SHOP", false).await;

    let created = nodes[0].create_bank(&p, "n-1", 120_000, "ATM", "VCB", &m.url).await;
    let url = created["paymentUrl"].as_str().expect("url");
    // The payment link of one node verifies on the others (shared master key).
    let trans_id = nodes[1].trans_id_of(url);
    assert_eq!(nodes[2].trans_id_of(url), trans_id);
    let (s, st) = nodes[2].status(&p, "n-1").await;
    assert_eq!((s, st["errorCode"].clone()), (200, json!(35)), "pending, seen from a third node");

    let (s, done) = nodes[1].complete(&p, &trans_id, 0).await;
    assert_eq!((s, done["errorCode"].clone()), (200, json!(0)), "{done}");
    let (_, st) = nodes[2].status(&p, "n-1").await;
    assert_eq!(st["errorCode"], 0);
    assert!(signing::verify_json(&signing::STATUS_RESPONSE, &p.secret, &st).is_ok());
    let (s, again) = nodes[0].complete(&p, &trans_id, 0).await;
    assert_eq!((s, again["errorCode"].clone()), (400, json!(41)), "already paid, on any node");

    // QR: created on one node, credited on another.
    let qr = nodes[2].create_qr(&p, "n-2", 50_000, &m.url).await;
    let qr_id = qr["appotapayTransId"].as_str().expect("id");
    let (s, v, _) = nodes[0].post(&p, "/api/v1/sandbox/bank-credit", &json!({"amount": 50_000, "memo": qr_id})).await;
    assert_eq!((s, v["errorCode"].clone()), (200, json!(0)), "{v}");

    let ipns = m.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(ipns.len(), 2);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(m.received().len(), 2, "each IPN delivered once, by one node");
    shutdown(nodes).await;
}

#[tokio::test]
async fn an_order_id_is_created_once_across_nodes_postgres() {
    let nodes = Arc::new(three_nodes().await);
    let p = nodes[0].sandbox();
    for round in 0..15 {
        let order_id = format!("dup-{round}");
        let mut tasks = Vec::new();
        for i in 0..9usize {
            let (nodes, p, order_id) = (nodes.clone(), p.clone(), order_id.clone());
            tasks.push(tokio::spawn(async move {
                let node = &nodes[i % 3];
                let body = p.bank_request(&order_id, 10_000 + i as i64, "ATM", "", "http://127.0.0.1:9/ipn");
                let (s, v, _) = node.post(&p, "/api/v1/orders/payment/bank", &body).await;
                (s, v["errorCode"].as_u64())
            }));
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.expect("join"));
        }
        let won = results.iter().filter(|r| **r == (200, Some(0))).count();
        let dup = results.iter().filter(|r| **r == (400, Some(30))).count();
        assert_eq!((won, dup), (1, 8), "round {round}: {results:?}");
        let (_, st) = nodes[round % 3].status(&p, &order_id).await;
        assert_eq!(st["errorCode"], 35, "the one order exists");
    }
    let nodes = Arc::into_inner(nodes).expect("tasks done");
    shutdown(nodes).await;
}

#[tokio::test]
async fn one_settlement_wins_across_nodes_postgres() {
    let nodes = Arc::new(three_nodes().await);
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = nodes[0].partner("RACE", true).await;
    const ROUNDS: usize = 15;
    for round in 0..ROUNDS {
        let oid = format!("race-{round}");
        let created = nodes[round % 3].create_bank(&p, &oid, 10_000, "ATM", "", &m.url).await;
        let id = nodes[0].trans_id_of(created["paymentUrl"].as_str().expect("url"));
        let mut tasks = Vec::new();
        for (i, code) in [0u32, 61, 38, 0, 74, 38].into_iter().enumerate() {
            let (nodes, p, id) = (nodes.clone(), p.clone(), id.clone());
            tasks.push(tokio::spawn(async move { nodes[i % 3].complete(&p, &id, code).await }));
        }
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.expect("join"));
        }
        let winners = results.iter().filter(|(s, _)| *s == 200).count();
        assert_eq!(winners, 1, "round {round}: {results:?}");
        let (_, st) = nodes[(round + 1) % 3].status(&p, &oid).await;
        let final_code = st["errorCode"].as_u64().expect("code");
        for (s, v) in &results {
            if *s != 200 {
                let expected = if final_code == 0 { 41 } else { final_code };
                assert_eq!(v["errorCode"], expected, "loser in round {round}: {v}");
            }
        }
    }
    m.wait_for(ROUNDS, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(m.received().len(), ROUNDS, "one IPN per order, whichever node won");
    let nodes = Arc::into_inner(nodes).expect("tasks done");
    shutdown(nodes).await;
}

#[tokio::test]
async fn an_ipn_queued_by_a_node_without_worker_is_delivered_by_another_postgres() {
    let worker = TestGateway::start_on(Backend::Postgres, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = worker.sandbox();
    let created = worker.create_bank(&p, "quiet-1", 10_000, "ATM", "", &m.url).await;
    let id = worker.trans_id_of(created["paymentUrl"].as_str().expect("url"));
    // A node that is open but runs no worker (as the CLI is) settles the order.
    let db = worker.db.clone().expect("postgres");
    let quiet = server::open(node_config(&db, Some(crate::pg::MASTER_KEY))).await.expect("open");
    quiet.settle(&id, Event::Succeed, Default::default()).await.expect("settle");
    let got = m.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "delivered by the node that has a worker");
    assert_eq!(got[0].body["appotapayTransId"], id.as_str());
    worker.shutdown().await;
}

fn node_config(db: &TestDb, master_key: Option<&str>) -> Config {
    let mut config = Config::defaults().expect("defaults");
    config.database_url = db.url.clone();
    config.master_key = master_key.map(str::to_owned);
    config
}

#[tokio::test]
async fn a_node_with_another_master_key_refuses_to_start_postgres() {
    let first = TestGateway::start_on(Backend::Postgres, |_| {}).await;
    let db = first.db.clone().expect("postgres");
    let other_key = "77".repeat(32);
    match server::open(node_config(&db, Some(&other_key))).await {
        Err(StartError::MasterKeyMismatch(code)) => assert_eq!(code, "APPOTAPAY"),
        Err(e) => panic!("unexpected error: {e}"),
        Ok(_) => panic!("a node with another master key started"),
    }
    // The same key starts fine.
    server::open(node_config(&db, Some(crate::pg::MASTER_KEY))).await.expect("same key");
    first.shutdown().await;
}
