//! PostgreSQL restarting under load: two gateway processes on a PostgreSQL server of
//! the drill's own (never the shared test server) create and settle orders while the
//! server is stopped and started again. The window of 5xx answers is printed; every
//! acknowledged order exists afterwards, every paid order's IPN reaches the merchant,
//! and both processes recover without a restart (their pools reconnect, and their
//! `LISTEN` connections are back).

use super::{Node, acknowledged, client, create, is_root, run, settle};
use crate::harness::{Answer, Merchant};
use crate::pg::MASTER_KEY;
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ORDERS: usize = 600;
const CONCURRENCY: usize = 8;
/// The server restarts once this many settlements were acknowledged.
const RESTART_AFTER: usize = 150;
/// How long the server stays down: longer than the pool's acquire timeout (10 s), so
/// requests waiting for a connection give up and answer 500.
const DOWN_FOR: Duration = Duration::from_secs(12);

/// A PostgreSQL cluster in a temporary directory, on a free port, stopped when dropped.
struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
}

impl Cluster {
    fn bin() -> PathBuf {
        let mut bins: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's binaries under /usr/lib/postgresql (scripts/test installs them)")
            .filter_map(|e| e.ok())
            .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
            .filter(|(_, p)| p.join("initdb").exists())
            .collect();
        bins.sort();
        bins.pop().expect("no /usr/lib/postgresql/<version>/bin/initdb").1
    }

    /// A command of the cluster's binaries, run as `postgres` when this is root.
    fn command(&self, tool: &str) -> Command {
        let tool = self.bin.join(tool);
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(tool);
            c
        } else {
            Command::new(tool)
        }
    }

    fn create() -> Cluster {
        let dir = tempfile::tempdir().expect("tempdir");
        if is_root() {
            run(Command::new("chown").arg("postgres").arg(dir.path()));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let cluster = Cluster { dir, bin: Cluster::bin(), port };
        run(cluster.command("initdb").arg("-D").arg(cluster.data()).args([
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]));
        cluster.start();
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn start(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c max_connections=100",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log");
        run(self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(log)
            .args(["-w", "-t", "60", "-o"])
            .arg(options)
            .arg("start"));
    }

    /// A fast shutdown: sessions are terminated, in-flight transactions roll back.
    fn stop(&self) {
        run(self.command("pg_ctl").arg("-D").arg(self.data()).args(["-m", "fast", "-w", "-t", "60", "stop"]));
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.command("pg_ctl").arg("-D").arg(self.data()).args(["-m", "immediate", "stop"]).output();
    }
}

/// What the load saw.
#[derive(Default)]
struct Seen {
    /// appotapayTransIds of acknowledged creations, and whether each got paid.
    created: Mutex<Vec<(String, bool)>>,
    /// When each 5xx answer came back.
    errors: Mutex<Vec<Instant>>,
    /// Requests that got no HTTP answer at all.
    unanswered: AtomicUsize,
    settled: AtomicUsize,
}

impl Seen {
    fn note(&self, answer: &Option<(u16, serde_json::Value)>) {
        match answer {
            Some((s, _)) if *s >= 500 => self.errors.lock().expect("lock").push(Instant::now()),
            None => {
                self.unanswered.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

/// Creates order `i` on one node and settles it on the other, retrying the
/// settlement (bounded) until it is acknowledged or answered "already paid".
async fn one_order(http: &reqwest::Client, bases: &[String], notify: &str, i: usize, seen: &Seen) {
    let answer = create(http, &bases[i % 2], &format!("pgr-{i}"), notify).await;
    seen.note(&answer);
    let Some(tid) = acknowledged(&answer) else {
        if let Some((s, v)) = &answer {
            assert!(*s >= 500 && v["errorCode"] == 500, "creation answered {s}: {v}");
        }
        return;
    };
    let end = Instant::now() + Duration::from_secs(90);
    loop {
        let answer = settle(http, &bases[(i + 1) % 2], &tid).await;
        seen.note(&answer);
        match &answer {
            Some((200, v)) if v["errorCode"] == 0 => break,
            Some((400, v)) if v["errorCode"] == 41 => break,
            Some((s, v)) if *s < 500 => panic!("settling {tid}: {s} {v}"),
            _ => {}
        }
        assert!(Instant::now() < end, "{tid} could not be settled within 90 s: {answer:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    seen.settled.fetch_add(1, Ordering::Relaxed);
    seen.created.lock().expect("lock").push((tid, true));
}

/// Waits (bounded) until `sql` (a count) returns `want`.
async fn wait_count(pool: &sqlx::PgPool, sql: &str, want: i64, what: &str) {
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        let got: i64 = sqlx::query_scalar(sql).fetch_one(pool).await.expect(sql);
        if got == want {
            return;
        }
        assert!(Instant::now() < end, "{what}: {got}, not {want}, after 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every acknowledged order is paid in the database and its IPN reached the
/// merchant; no IPN for anything else. Returns the number of paid orders.
async fn check_paid_and_notified(pool: &sqlx::PgPool, merchant: &Merchant, created: &[(String, bool)]) -> usize {
    let in_db: HashSet<String> = sqlx::query_scalar("SELECT trans_id FROM orders WHERE state = 'success'")
        .fetch_all(pool)
        .await
        .expect("orders")
        .into_iter()
        .collect();
    let notified: HashSet<String> =
        merchant.received().iter().filter_map(|r| r.body["appotapayTransId"].as_str().map(str::to_owned)).collect();
    for (tid, _) in created {
        assert!(in_db.contains(tid), "acknowledged and paid order {tid} is not paid in the database");
        assert!(notified.contains(tid), "paid order {tid}: its IPN never reached the merchant");
    }
    assert!(notified.is_subset(&in_db), "an IPN for an order that is not paid");
    in_db.len()
}

/// The 5xx answers' window, relative to the start of the shutdown.
fn window(errors: &[Instant], stopping: Instant) -> String {
    match (errors.first(), errors.last()) {
        (Some(first), Some(last)) => format!(
            "first {:.2}s, last {:.2}s after the stop began ({:.2}s wide)",
            first.duration_since(stopping).as_secs_f64(),
            last.duration_since(stopping).as_secs_f64(),
            last.duration_since(*first).as_secs_f64()
        ),
        _ => "none".to_owned(),
    }
}

/// Two gateway processes on the drill's server.
async fn start_nodes(http: &reqwest::Client, url: &str, dir: &std::path::Path) -> Vec<Node> {
    let mut nodes = Vec::new();
    for n in 0..2 {
        let data = dir.join(format!("node{n}"));
        std::fs::create_dir_all(&data).expect("data dir");
        let env = [
            ("APPOTAPAY_DATABASE_URL", url.to_owned()),
            ("APPOTAPAY_DATA_DIR", data.display().to_string()),
            ("APPOTAPAY_MASTER_KEY", MASTER_KEY.to_owned()),
            ("APPOTAPAY_IPN_RETRY_SCHEDULE", "0s,1s,1s,1s,1s,1s,1s,1s,1s,1s".to_owned()),
            ("APPOTAPAY_IPN_TIMEOUT", "4s".to_owned()),
        ];
        nodes.push(Node::start(http, &dir.join(format!("node{n}.log")), &env).await);
    }
    nodes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "drill: needs a PostgreSQL cluster of its own; run by scripts/test"]
async fn postgres_restart_mid_load_loses_nothing_and_nodes_recover_postgres() {
    let started = Instant::now();
    let cluster = Cluster::create();
    let url = cluster.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let merchant = Merchant::start(vec![], Answer::Ok).await;
    let http = client();
    let mut nodes = start_nodes(&http, &url, dir.path()).await;
    let bases: Arc<Vec<String>> = Arc::new(nodes.iter().map(|n| n.base.clone()).collect());
    let seen = Arc::new(Seen::default());
    let next = Arc::new(AtomicUsize::new(0));
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let (http, bases, seen, next, notify) =
            (http.clone(), bases.clone(), seen.clone(), next.clone(), merchant.url.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= ORDERS {
                    return;
                }
                one_order(&http, &bases, &notify, i, &seen).await;
            }
        }));
    }

    let end = Instant::now() + Duration::from_secs(120);
    while seen.settled.load(Ordering::Relaxed) < RESTART_AFTER {
        assert!(Instant::now() < end, "the load stalled before the restart: {}", nodes[0].log());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stopping = Instant::now();
    let stopped_after = seen.settled.load(Ordering::Relaxed);
    let stop = cluster.stop_blocking().await;
    tokio::time::sleep(DOWN_FOR).await;
    let start = cluster.start_blocking().await;
    for w in workers {
        w.await.expect("load worker");
    }
    let load_done = started.elapsed();
    for n in &mut nodes {
        n.assert_alive();
    }

    let pool = sqlx::PgPool::connect(&url).await.expect("connect to the drill's server");
    // Both nodes listen again (the LISTEN connection was re-established).
    wait_count(
        &pool,
        "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = 'appotapay-gateway' AND query ILIKE 'LISTEN%'",
        2,
        "nodes listening again",
    )
    .await;
    // Each node serves a new order end to end after the restart.
    for (n, base) in bases.iter().enumerate() {
        let answer = create(&http, base, &format!("pgr-after-{n}"), &merchant.url).await;
        let tid = acknowledged(&answer).unwrap_or_else(|| panic!("node {n} after the restart: {answer:?}"));
        let settled = settle(&http, base, &tid).await;
        assert!(matches!(&settled, Some((200, v)) if v["errorCode"] == 0), "node {n} settling: {settled:?}");
        seen.created.lock().expect("lock").push((tid, true));
    }
    wait_count(&pool, "SELECT COUNT(*) FROM outbox WHERE status <> 'delivered'", 0, "undelivered IPNs").await;

    let created = seen.created.lock().expect("lock").clone();
    let paid_in_db = check_paid_and_notified(&pool, &merchant, &created).await;

    let errors = seen.errors.lock().expect("lock").clone();
    let window = window(&errors, stopping);
    println!(
        "postgres restart drill: {ORDERS} orders over 2 nodes, {CONCURRENCY} at a time; server stopped after \
         {stopped_after} settlements (stop took {:.2}s, down {:.1}s, start took {:.2}s); 5xx answers: {} ({window}); \
         unanswered requests {}; acknowledged and paid {}, in the database paid {}, IPNs received {}; load {:.1}s, total {:.1}s",
        stop.as_secs_f64(),
        DOWN_FOR.as_secs_f64(),
        start.as_secs_f64(),
        errors.len(),
        seen.unanswered.load(Ordering::Relaxed),
        created.len(),
        paid_in_db,
        merchant.received().len(),
        load_done.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(seen.unanswered.load(Ordering::Relaxed), 0, "every request got an HTTP answer");
    pool.close().await;
    for n in nodes {
        n.stop().await;
    }
}

impl Cluster {
    /// `stop`, off the runtime's threads; how long it took.
    async fn stop_blocking(&self) -> Duration {
        let t = Instant::now();
        tokio::task::block_in_place(|| self.stop());
        t.elapsed()
    }

    /// `start`, off the runtime's threads; how long it took.
    async fn start_blocking(&self) -> Duration {
        let t = Instant::now();
        tokio::task::block_in_place(|| self.start());
        t.elapsed()
    }
}
