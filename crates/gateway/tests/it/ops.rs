//! Operations: `/healthz` fails while writes fail (a SQLite file locked by another
//! connection, a read-only PostgreSQL), `/metrics` behind its bearer token, the
//! modes of the SQLite files, and one serving process per SQLite file (in this
//! process and with the real binary).

use crate::harness::{Backend, TestGateway, on_both};
use appotapay_gateway::config::MetricsAccess;
use appotapay_gateway::store;
use serde_json::Value;
use sqlx::Connection;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

async fn health(t: &TestGateway) -> (u16, Value) {
    let r = t.http.get(format!("{}/healthz", t.base)).send().await.expect("healthz");
    let status = r.status().as_u16();
    (status, r.json().await.expect("a JSON body"))
}

/// Makes new connections to `db` read-only (or writable again), and ends the ones
/// open now, as a failover to a standby does: the pool reconnects.
async fn set_read_only(db: &str, read_only: bool) {
    let mut admin = sqlx::PgConnection::connect(&crate::pg::server_url()).await.expect("admin connection");
    let setting =
        if read_only { "SET default_transaction_read_only = on" } else { "RESET default_transaction_read_only" };
    sqlx::query(&format!("ALTER DATABASE {db} {setting}")).execute(&mut admin).await.expect("alter database");
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(db)
    .execute(&mut admin)
    .await
    .expect("end the database's connections");
    let _ = admin.close().await;
}

/// The health check's answer once the pool has reconnected: a request that took a
/// connection ended under it fails for that reason, not the one tested.
async fn health_after_reconnect(t: &TestGateway) -> (u16, Value) {
    let mut last = health(t).await;
    for _ in 0..20 {
        if last.1["failed"] != "read" {
            break;
        }
        last = health(t).await;
    }
    last
}

on_both!(healthz_fails_while_writes_fail);
async fn healthz_fails_while_writes_fail(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    assert_eq!(health(&t).await, (200, serde_json::json!({"status": "ok"})));
    match backend {
        Backend::Sqlite => {
            // Another connection holds the write lock: reads still work, writes wait.
            let other = rusqlite::Connection::open(t.dir.path().join("gateway.db")).expect("open");
            other.execute_batch("BEGIN IMMEDIATE").expect("take the write lock");
            let (status, body) = health(&t).await;
            assert_eq!((status, &body["status"], &body["failed"]), (503, &"unavailable".into(), &"write".into()));
            other.execute_batch("ROLLBACK").expect("release it");
            assert_eq!(health(&t).await.0, 200, "healthy again once the lock is released");
        }
        Backend::Postgres => {
            let name = t.db.as_ref().expect("a database").name.clone();
            set_read_only(&name, true).await;
            let (status, body) = health_after_reconnect(&t).await;
            assert_eq!((status, &body["status"], &body["failed"]), (503, &"unavailable".into(), &"write".into()));
            set_read_only(&name, false).await;
            assert_eq!(health_after_reconnect(&t).await.0, 200, "healthy again once writable");
        }
    }
    t.shutdown().await;
}

#[tokio::test]
async fn metrics_need_the_bearer_token_when_one_is_set() {
    let token = "ops-metrics-token-0123456789";
    let t = TestGateway::start_with(|c| c.metrics = MetricsAccess::Token(token.into())).await;
    let get = |auth: Option<String>| {
        let mut req = t.http.get(format!("{}/metrics", t.base));
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        req.send()
    };
    let r = get(None).await.expect("metrics");
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers().get("www-authenticate").map(|v| v.as_bytes()), Some(&b"Bearer"[..]));
    assert_eq!(get(Some("Bearer wrong-token-0123456789".into())).await.expect("metrics").status(), 401);
    assert_eq!(get(Some(format!("Basic {token}"))).await.expect("metrics").status(), 401);
    let r = get(Some(format!("Bearer {token}"))).await.expect("metrics");
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("text").contains("appotapay_"), "Prometheus text");
    t.shutdown().await;

    // Production without a token: not served at all.
    let t = TestGateway::start_with(|c| c.metrics = MetricsAccess::Off).await;
    let r = t.http.get(format!("{}/metrics", t.base)).send().await.expect("metrics");
    assert_eq!(r.status(), 404);
    t.shutdown().await;
}

#[cfg(unix)]
#[tokio::test]
async fn sqlite_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let t = TestGateway::start_on_url(&format!("sqlite://{}", data.join("gateway.db").display()), &data, |_| {}).await;
    let p = t.gw().create_partner("MODES", "Modes", "modes-api-key-0123456789", "modes-secret-0123456789ab", false);
    assert!(p.await.expect("a write"));
    let mode = |name: &str| std::fs::metadata(data.join(name)).expect(name).permissions().mode() & 0o777;
    assert_eq!(std::fs::metadata(&data).expect("data dir").permissions().mode() & 0o777, 0o700);
    for file in ["gateway.db", "gateway.db-wal", "gateway.db-shm", "gateway.db.lock", "master.key"] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
    t.shutdown().await;
}

#[tokio::test]
async fn one_serving_store_per_sqlite_file_in_a_process() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("one.db").display());
    let first = store::open_serving(&url).await.expect("the first serving store");
    let e = store::open_serving(&url).await.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(e.contains("already in use by another gateway process"), "{e}");
    // An administration handle may still open it beside the serving one.
    let admin = store::open(&url).await.expect("an administration handle");
    drop(admin);
    drop(first);
    store::open_serving(&url).await.expect("free once the first is closed");
}

/// Runs the real binary over `data` with `args`, bounded; returns its exit status and
/// standard error.
async fn run_binary(data: &std::path::Path, args: &[&str]) -> (std::process::ExitStatus, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_appotapay-gateway"))
        .args(args)
        .env_remove("APPOTAPAY_CONFIG")
        .env_remove("APPOTAPAY_DATABASE_URL")
        .env("APPOTAPAY_LISTEN", format!("127.0.0.1:{port}"))
        .env("APPOTAPAY_DATA_DIR", data)
        .env("APPOTAPAY_MODE", "sandbox")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the gateway");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the gateway {args:?} is still running after 30 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    (status, stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_gateway_process_on_the_sqlite_file_refuses_to_start() {
    // This process serves <dir>/gateway.db, the binary's default file in <dir>.
    let t = TestGateway::start().await;
    let (status, stderr) = run_binary(t.dir.path(), &[]).await;
    assert!(!status.success(), "a second serving process exits: {status}");
    assert!(stderr.contains("already in use by another gateway process"), "{stderr}");
    // Administration commands still work beside the serving process.
    let (status, stderr) = run_binary(t.dir.path(), &["partner", "list"]).await;
    assert!(status.success(), "partner list beside the server: {status}\n{stderr}");
    assert_eq!(health(&t).await.0, 200, "the first one still serves");
    t.shutdown().await;
}
