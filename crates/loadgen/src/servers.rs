//! The servers under test, as child processes: the ceiling, or gateway nodes on a
//! fresh SQLite file or a fresh PostgreSQL database. Their peak RSS and CPU time are
//! read from `/proc`.

use crate::report::Scenario;
use axum::Router;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::routing::{get, post};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The path every scenario is loaded on.
pub const BANK_PATH: &str = "/api/v1/orders/payment/bank";

/// The master key of the benchmark's gateways (PostgreSQL nodes need one, and all
/// nodes on one database the same).
const MASTER_KEY: &str = "be0c4be0c4be0c4be0c4be0c4be0c4be0c4be0c4be0c4be0c4be0c4be0c4be0c";

/// What the ceiling answers: the shape and size of a real creation answer.
const CEILING_BODY: &str = concat!(
    r#"{"errorCode":0,"message":"Thành công","orderId":"b0000000-0-0","amount":10000,"#,
    r#""paymentUrl":"http://127.0.0.1:8080/bank/payment/process?tran=dGlkPUFQMjIxNDM0NDczNzM3Jm9yZGVySWQ9YjAwMDAwMDAtMC0wJnRzPTE3NjQ1NzYwMDA"#,
    r#"&sign=0d5395e8bcffd9f2527f4a966440dbbde1a14923b5f8812bd947818f2313e7fc","#,
    r#""signature":"4a1d5e7bfa1b4cf0a7a24ed7fb1f0c5f3e6d5f0a8c9e2b1d3f4a5b6c7d8e9f00"}"#
);

/// Serves the ceiling until killed: the gateway's HTTP stack (the same layers, the
/// same metrics recorder and log subscriber) with a handler that reads the body and
/// answers [`CEILING_BODY`].
pub async fn serve_ceiling(listen: SocketAddr) -> Result<(), String> {
    appotapay_gateway::init_tracing(false);
    let _ = appotapay_gateway::metrics::handle();
    let routes = Router::new()
        .route(BANK_PATH, post(|_body: Bytes| async { ([(CONTENT_TYPE, "application/json")], CEILING_BODY) }))
        .route("/healthz", get(|| async { "ok" }));
    let app = appotapay_gateway::api::http_stack(routes);
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("bind {listen}: {e}"))?;
    axum::serve(listener, app).await.map_err(|e| e.to_string())
}

/// Serves the plain baseline until killed: axum with no middleware at all, a
/// handler that reads the body and answers [`CEILING_BODY`], on the same runtime.
pub async fn serve_plain(listen: SocketAddr) -> Result<(), String> {
    let routes = Router::new()
        .route(BANK_PATH, post(|_body: Bytes| async { ([(CONTENT_TYPE, "application/json")], CEILING_BODY) }))
        .route("/healthz", get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("bind {listen}: {e}"))?;
    axum::serve(listener, routes).await.map_err(|e| e.to_string())
}

/// A binary built beside this one.
pub fn sibling_binary(name: &str) -> Result<PathBuf, String> {
    let me = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let path = me.with_file_name(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{} not found: build it first (scripts/bench does), or pass --gateway-bin", path.display()))
    }
}

/// One server process.
#[derive(Debug)]
struct Node {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

/// The servers of one scenario, with what they need (data directory, database).
#[derive(Debug)]
pub struct Nodes {
    nodes: Vec<Node>,
    dir: tempfile::TempDir,
    database: Option<PgDatabase>,
}

impl Nodes {
    /// The nodes' addresses.
    pub fn addrs(&self) -> Vec<SocketAddr> {
        self.nodes.iter().map(|n| n.addr).collect()
    }

    /// The largest peak resident set size (VmHWM) of the nodes, in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        self.nodes.iter().filter_map(|n| proc_status_kib(n.child.id(), "VmHWM:")).max().unwrap_or(0)
    }

    /// CPU time (user + system) the nodes have used so far, in seconds.
    pub fn cpu_seconds(&self) -> f64 {
        self.nodes.iter().filter_map(|n| proc_cpu_seconds(n.child.id())).sum()
    }

    /// Whether the scenario runs on PostgreSQL.
    pub fn on_postgres(&self) -> bool {
        self.database.is_some()
    }

    /// Kills the processes and drops what they used.
    pub async fn stop(mut self) {
        // SIGTERM first, so that a server can end the way it ends in production (and
        // a profiler wrapped around it writes its figures); SIGKILL after 20 s.
        for n in &self.nodes {
            let _ = Command::new("kill").arg("-TERM").arg(n.child.id().to_string()).status();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        for n in &mut self.nodes {
            while matches!(n.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let _ = n.child.kill();
            let _ = n.child.wait();
        }
        if let Some(db) = self.database.take() {
            db.drop_it().await;
        }
    }
}

/// Starts the servers of a scenario and waits until each answers `/healthz`.
pub async fn start(scenario: Scenario, gateway_bin: &Path, postgres_url: &str) -> Result<Nodes, String> {
    let dir = tempfile::Builder::new().prefix("appotapay-bench-").tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let mut nodes = Nodes { nodes: Vec::new(), dir, database: None };
    match scenario {
        Scenario::Plain | Scenario::Ceiling => {
            let me = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
            let addr = free_addr()?;
            let name = if scenario == Scenario::Plain { "plain" } else { "ceiling" };
            let mut cmd = Command::new(me);
            cmd.arg(name).arg("--listen").arg(addr.to_string());
            nodes.nodes.push(spawn(cmd, addr, nodes.dir.path(), name)?);
        }
        Scenario::Sqlite | Scenario::SqliteLog => {
            let url = format!("sqlite://{}/gateway.db", nodes.dir.path().display());
            let node = spawn_gateway(gateway_bin, &url, nodes.dir.path(), 0, scenario.request_log())?;
            nodes.nodes.push(node);
        }
        Scenario::Postgres1 | Scenario::Postgres1Log | Scenario::Postgres2 => {
            let db = PgDatabase::create(postgres_url).await?;
            let url = db.url.clone();
            nodes.database = Some(db);
            let count = if scenario == Scenario::Postgres2 { 2 } else { 1 };
            // One node first, so that it applies the migrations alone; the second
            // finds them done.
            for i in 0..count {
                let node = spawn_gateway(gateway_bin, &url, nodes.dir.path(), i, scenario.request_log())?;
                nodes.nodes.push(node);
                wait_healthy(nodes.nodes.last_mut().ok_or("no node")?).await?;
            }
        }
    }
    for n in &mut nodes.nodes {
        wait_healthy(n).await?;
    }
    Ok(nodes)
}

fn spawn_gateway(bin: &Path, database_url: &str, dir: &Path, i: usize, request_log: bool) -> Result<Node, String> {
    let addr = free_addr()?;
    let data = dir.join(format!("node{i}"));
    std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    let mut cmd = Command::new(bin);
    cmd.arg("serve")
        .env("APPOTAPAY_LISTEN", addr.to_string())
        .env("APPOTAPAY_DATA_DIR", &data)
        .env("APPOTAPAY_DATABASE_URL", database_url)
        .env("APPOTAPAY_MODE", "sandbox")
        .env("APPOTAPAY_MASTER_KEY", MASTER_KEY)
        .env("APPOTAPAY_SANDBOX_REQUEST_LOG", if request_log { "true" } else { "false" })
        .env_remove("APPOTAPAY_CONFIG");
    spawn(cmd, addr, dir, &format!("gateway{i}"))
}

fn spawn(mut cmd: Command, addr: SocketAddr, dir: &Path, name: &str) -> Result<Node, String> {
    let log = dir.join(format!("{name}.log"));
    let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .map_err(|e| format!("starting {:?}: {e}", cmd.get_program()))?;
    Ok(Node { child, addr, log })
}

/// A loopback address nobody listens on (the port is released just before the
/// server binds it).
fn free_addr() -> Result<SocketAddr, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind: {e}"))?;
    l.local_addr().map_err(|e| e.to_string())
}

async fn wait_healthy(node: &mut Node) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(status)) = node.child.try_wait() {
            let log = std::fs::read_to_string(&node.log).unwrap_or_default();
            return Err(format!("the server at {} exited ({status}):\n{log}", node.addr));
        }
        if crate::load::get_ok(node.addr, "/healthz").await {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("the server at {} did not answer /healthz within 60 s", node.addr));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// CPU time (user + system) every PostgreSQL server process on this machine has used
/// so far, in seconds: the backends serving the nodes, and the WAL writer,
/// checkpointer and the rest of the cluster's processes. (Processes that exited in
/// between are not counted; the nodes' pooled connections live for the whole run.)
pub fn postgres_cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else { return 0.0 };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "postgres"))
        .filter_map(proc_cpu_seconds)
        .sum()
}

/// A `/proc/<pid>/status` figure in KiB (`VmHWM:`, `VmRSS:`).
fn proc_status_kib(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// User + system CPU seconds of a process, from `/proc/<pid>/stat`.
fn proc_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces):
    // state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clock_ticks_per_second())
}

fn clock_ticks_per_second() -> f64 {
    // `getconf CLK_TCK`; Linux has used 100 on every common architecture for decades.
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// A fresh PostgreSQL database, dropped after the scenario.
#[derive(Debug)]
struct PgDatabase {
    server: String,
    name: String,
    url: String,
}

impl PgDatabase {
    async fn create(server: &str) -> Result<PgDatabase, String> {
        let name = format!("appotapay_bench_{:08x}", rand::random::<u32>());
        let mut conn = PgConnection::connect(server)
            .await
            .map_err(|e| format!("PostgreSQL at {server}: {e} (set APPOTAPAY_TEST_POSTGRES_URL or --postgres-url)"))?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .map_err(|e| format!("CREATE DATABASE {name}: {e}"))?;
        let _ = conn.close().await;
        let mut url = url::Url::parse(server).map_err(|e| format!("{server}: {e}"))?;
        url.set_path(&format!("/{name}"));
        Ok(PgDatabase { server: server.to_owned(), name, url: url.to_string() })
    }

    async fn drop_it(self) {
        if let Ok(mut conn) = PgConnection::connect(&self.server).await {
            let _ =
                sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut conn).await;
            let _ = conn.close().await;
        }
    }
}

/// Loads `addr` (the plain server) with wrk for one phase, with the same connections
/// on one thread, posting a creation body of the same size; its requests per second.
pub async fn wrk(bin: &Path, addr: SocketAddr, args: &crate::RunArgs) -> Result<f64, String> {
    let orders = crate::load::Orders::new(Scenario::Plain, "http://127.0.0.1:9/ipn")?;
    let mut body = Vec::new();
    orders.body(&mut body);
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    let script = dir.path().join("post.lua");
    let head = String::from_utf8_lossy(orders.head()).into_owned();
    let mut lua = String::from("wrk.method = \"POST\"\n");
    for line in head.split("\r\n").filter(|l| !l.is_empty()) {
        if let Some((name, value)) = line.split_once(": ") {
            lua.push_str(&format!("wrk.headers[{name:?}] = {value:?}\n"));
        }
    }
    lua.push_str(&format!("wrk.body = {:?}\n", String::from_utf8_lossy(&body)));
    std::fs::write(&script, lua).map_err(|e| format!("{}: {e}", script.display()))?;
    let secs = args.duration.as_secs().max(1);
    let out = tokio::process::Command::new(bin)
        .args(["-t1", &format!("-c{}", args.connections), &format!("-d{secs}s"), "-s"])
        .arg(&script)
        .arg(format!("http://{addr}{BANK_PATH}"))
        .output()
        .await
        .map_err(|e| format!("running {}: {e}", bin.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    print!(
        "  wrk: {}",
        text.lines().filter(|l| l.contains("Requests/sec") || l.contains("Non-2xx")).collect::<Vec<_>>().join("; ")
    );
    println!();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .ok_or_else(|| format!("no Requests/sec in wrk's output:\n{text}"))
}
