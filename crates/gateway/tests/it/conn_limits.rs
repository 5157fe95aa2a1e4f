//! The HTTP server's limits over real sockets: a client stalled in its headers or in
//! its body, and an idle kept-alive connection, are disconnected while others are
//! served; the connection cap answers one connection too many 503; a handler past
//! the request time limit answers 503 with errorCode 500.

use crate::harness::{Backend, TestGateway};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn short(c: &mut appotapay_gateway::config::Config) {
    c.http.header_read = Duration::from_secs(1);
    c.http.keep_alive = Duration::from_secs(1);
    c.http.body_read = Duration::from_secs(1);
}

async fn connect(gw: &TestGateway) -> TcpStream {
    TcpStream::connect(gw.running.as_ref().expect("running").addr).await.expect("connect")
}

/// Reads until the server closes the connection (or resets it), returning what came.
/// A server that never closes fails the test (after a minute) rather than hanging it.
async fn read_to_close(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), read).await.expect("the server closes the connection");
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads one answer to a request with `connection: keep-alive`, up to its body's end.
async fn read_answer(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = s.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed before the answer: {:?}", String::from_utf8_lossy(&out));
        out.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&out).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let len = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if out.len() >= end + 4 + len {
                return text;
            }
        }
    }
}

/// `/healthz` on a new connection (a pooled one may be closed as idle meanwhile).
async fn healthz(gw: &TestGateway) -> u16 {
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
    client.get(format!("{}/healthz", gw.base)).send().await.expect("healthz").status().as_u16()
}

#[tokio::test]
async fn a_client_stalled_in_its_headers_is_disconnected() {
    let gw = TestGateway::start_with(short).await;
    let mut stalled = connect(&gw).await;
    stalled.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.expect("write");
    // Others are served meanwhile.
    assert_eq!(healthz(&gw).await, 200);
    let got = read_to_close(&mut stalled).await;
    assert!(!got.contains("200 OK"), "no answer to an unfinished request: {got:?}");
    assert_eq!(healthz(&gw).await, 200);
    gw.shutdown().await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let gw = TestGateway::start_with(short).await;
    let mut idle = connect(&gw).await;
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    let first = read_answer(&mut idle).await;
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    assert!(!first.to_ascii_lowercase().contains("connection: close"), "kept alive: {first}");
    assert_eq!(healthz(&gw).await, 200);
    let rest = read_to_close(&mut idle).await;
    assert_eq!(rest, "", "closed without another answer");
    gw.shutdown().await;
}

#[tokio::test]
async fn a_body_that_stalls_answers_408_and_closes() {
    let gw = TestGateway::start_with(short).await;
    let mut stalled = connect(&gw).await;
    let head = format!(
        "POST /api/v1/orders/transaction/bank/status HTTP/1.1\r\nHost: x\r\nX-APPOTAPAY-AUTH: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"partnerReference\"",
        gw.sandbox().token()
    );
    stalled.write_all(head.as_bytes()).await.expect("write");
    assert_eq!(healthz(&gw).await, 200);
    let got = read_to_close(&mut stalled).await;
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    let body: Value = serde_json::from_str(&got[got.find("\r\n\r\n").expect("head") + 4..]).expect("json");
    assert_eq!(body["errorCode"], 1, "{body}");
    assert_eq!(healthz(&gw).await, 200);
    gw.shutdown().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_are_answered_503() {
    let gw = TestGateway::start_with(|c| c.http.max_connections = 2).await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = connect(&gw).await;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
        assert!(read_answer(&mut s).await.starts_with("HTTP/1.1 200"));
        held.push(s);
    }
    let mut third = connect(&gw).await;
    third.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("write");
    let got = read_to_close(&mut third).await;
    assert!(got.starts_with("HTTP/1.1 503"), "{got}");
    assert!(got.contains(r#""errorCode":91"#), "{got}");
    // A freed place is served again (once the server has seen the close).
    drop(held.pop());
    let mut served = false;
    for _ in 0..200 {
        let mut s = connect(&gw).await;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nconnection: close\r\n\r\n").await.expect("write");
        if read_to_close(&mut s).await.starts_with("HTTP/1.1 200") {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(served, "a freed place takes a new connection");
    drop(held);
    gw.shutdown().await;
}

/// A handler that outlives `request_timeout`: order creation waiting on a table
/// the test holds locked.
#[tokio::test]
async fn a_request_past_its_time_limit_answers_503_postgres() {
    use sqlx::Connection;
    let gw = TestGateway::start_on(Backend::Postgres, |c| c.http.request = Duration::from_secs(1)).await;
    let p = gw.sandbox();
    let url = gw.db.as_ref().expect("db").url.clone();
    let mut locker = sqlx::postgres::PgConnection::connect(&url).await.expect("connect");
    let mut tx = locker.begin().await.expect("begin");
    sqlx::query("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE").execute(&mut *tx).await.expect("lock");
    let req = p.bank_request("SLOW-1", 50_000, "ATM", "", "http://127.0.0.1:9/ipn");
    let answer = tokio::time::timeout(Duration::from_secs(60), gw.post(&p, "/api/v1/orders/payment/bank", &req));
    let (status, body, _) = answer.await.expect("answered within the time limit");
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["errorCode"], 500, "{body}");
    assert_eq!(healthz(&gw).await, 200, "other requests are served");
    tx.rollback().await.expect("rollback");
    let req = p.bank_request("SLOW-2", 50_000, "ATM", "", "http://127.0.0.1:9/ipn");
    let (status, body, _) = gw.post(&p, "/api/v1/orders/payment/bank", &req).await;
    assert_eq!((status, body["errorCode"].clone()), (200, json!(0)), "{body}");
    gw.shutdown().await;
}
