//! Production safety: a production gateway cannot be reached with the public sandbox
//! keys, cannot share a database with a sandbox node, and never reports money moved
//! that no bank moved. Each rule runs on SQLite and on PostgreSQL.

use crate::harness::*;
use crate::pg::{MASTER_KEY, TestDb};
use appotapay_gateway::config::{Config, Mode};
use appotapay_gateway::domain::order::Event;
use appotapay_gateway::server::{self, StartError};
use appotapay_protocol::sandbox_partner;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// A database that outlives the gateways opened on it.
struct Db {
    _dir: tempfile::TempDir,
    data_dir: std::path::PathBuf,
    url: String,
    _pg: Option<Arc<TestDb>>,
}

impl Db {
    async fn new(backend: Backend) -> Db {
        let dir = tempfile::tempdir().expect("tempdir");
        let data_dir = dir.path().to_path_buf();
        match backend {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("gateway.db").display());
                Db { _dir: dir, data_dir, url, _pg: None }
            }
            Backend::Postgres => {
                let pg = Arc::new(TestDb::create().await);
                Db { _dir: dir, data_dir, url: pg.url.clone(), _pg: Some(pg) }
            }
        }
    }

    fn config(&self, mode: Mode) -> Config {
        let mut c = Config::defaults().expect("defaults");
        c.data_dir = self.data_dir.clone();
        c.database_url = self.url.clone();
        c.master_key = Some(MASTER_KEY.to_owned());
        c.mode = mode;
        c.sweep_interval = Duration::from_millis(100);
        c
    }
}

fn mismatch(e: &StartError) -> bool {
    let text = e.to_string();
    matches!(e, StartError::ModeMismatch { .. })
        && text.contains("sandbox")
        && text.contains("production")
        && text.contains("APPOTAPAY_MODE")
}

on_both!(a_database_belongs_to_the_mode_it_first_served);
async fn a_database_belongs_to_the_mode_it_first_served(backend: Backend) {
    let db = Db::new(backend).await;
    let gw = server::open(db.config(Mode::Production)).await.expect("production starts on a new database");
    drop(gw);
    let e = server::open(db.config(Mode::Sandbox)).await.expect_err("a sandbox node refuses a production database");
    assert!(mismatch(&e), "{e}");
    let e = server::open_admin(db.config(Mode::Sandbox)).await.expect_err("so does a sandbox admin command");
    assert!(mismatch(&e), "{e}");
    // Nothing of the refused node stayed behind: production still starts, without
    // the public sandbox partner.
    let gw = server::open(db.config(Mode::Production)).await.expect("production starts again");
    assert!(gw.partners().await.expect("partners").is_empty());

    let db = Db::new(backend).await;
    drop(server::open(db.config(Mode::Sandbox)).await.expect("sandbox"));
    let e = server::open(db.config(Mode::Production)).await.expect_err("production refuses a sandbox database");
    assert!(mismatch(&e), "{e}");
}

on_both!(admin_commands_never_create_the_sandbox_partner);
async fn admin_commands_never_create_the_sandbox_partner(backend: Backend) {
    let db = Db::new(backend).await;
    let admin = server::open_admin(db.config(Mode::Sandbox)).await.expect("admin, sandbox mode");
    assert!(admin.partners().await.expect("partners").is_empty(), "no partner was created");
    assert_eq!(admin.recorded_mode().await.expect("mode"), None, "an admin command records no mode");
    drop(admin);
    // So the database is still free for production, and has no public partner.
    let gw = server::open(db.config(Mode::Production)).await.expect("production");
    assert!(gw.partner(sandbox_partner::PARTNER_CODE).await.expect("lookup").is_none());
}

on_both!(production_refuses_partners_holding_the_public_secret);
async fn production_refuses_partners_holding_the_public_secret(backend: Backend) {
    let db = Db::new(backend).await;
    // A database that holds the public partner (as an earlier version's admin
    // commands created it), and a partner given the public secret by hand.
    let admin = server::open_admin(db.config(Mode::Production)).await.expect("admin");
    let code = sandbox_partner::PARTNER_CODE;
    assert!(
        admin.create_partner(code, "x", sandbox_partner::API_KEY, sandbox_partner::SECRET_KEY, false).await.expect("p")
    );
    assert!(admin.create_partner("COPY", "x", "k", sandbox_partner::SECRET_KEY, false).await.expect("p"));
    assert!(admin.create_partner("REAL", "x", "k", "a-secret-of-its-own-0123456789ab", false).await.expect("p"));
    drop(admin);
    let e = server::open(db.config(Mode::Production)).await.expect_err("production refuses to start");
    let text = e.to_string();
    assert!(matches!(&e, StartError::PublicSecret(codes) if codes.len() == 2), "{text}");
    assert!(text.contains(code) && text.contains("COPY") && !text.contains("REAL"), "{text}");
    assert!(text.contains("partner lock"), "says how to fix it: {text}");
    assert!(text.contains("partner rotate-keys --code"), "or to rotate its keys: {text}");

    // New keys with a grace period do not do: the public secret is accepted until it
    // ends. Without one, the partner no longer holds it.
    let admin = server::open_admin(db.config(Mode::Production)).await.expect("admin");
    admin.rotate_partner_keys("COPY", Duration::from_secs(3600), false).await.expect("rotate");
    drop(admin);
    let e = server::open(db.config(Mode::Production)).await.expect_err("still refused during the grace period");
    assert!(matches!(&e, StartError::PublicSecret(codes) if codes.len() == 2), "{e}");
    let admin = server::open_admin(db.config(Mode::Production)).await.expect("admin");
    admin.rotate_partner_keys("COPY", Duration::ZERO, true).await.expect("rotate");
    drop(admin);
    let e = server::open(db.config(Mode::Production)).await.expect_err("the public partner still holds it");
    assert!(matches!(&e, StartError::PublicSecret(codes) if codes == &[code.to_owned()]), "{e}");

    let admin = server::open_admin(db.config(Mode::Production)).await.expect("admin");
    assert!(admin.set_partner_locked(code, true).await.expect("lock"));
    drop(admin);
    // Locked, they no longer stop production, and a request signed with the public
    // secret is refused (13).
    let t = TestGateway::start_on_url(&db.url, &db.data_dir, |c| {
        c.mode = Mode::Production;
        c.master_key = Some(MASTER_KEY.to_owned());
    })
    .await;
    let p = t.sandbox();
    let (s, v, _) = t
        .post(&p, "/api/v1/orders/payment/bank", &p.bank_request("o-1", 10_000, "ATM", "", "https://shop.example/ipn"))
        .await;
    assert_eq!((s, v["errorCode"].clone()), (401, json!(13)), "{v}");
    t.shutdown().await;
}

on_both!(production_has_no_card_bank);
async fn production_has_no_card_bank(backend: Backend) {
    // Without bank feeds too: nothing at all can be paid or refunded then.
    let t = TestGateway::start_on(backend, |c| {
        c.mode = Mode::Production;
        c.master_key = Some(MASTER_KEY.to_owned());
        c.production_acquirer = appotapay_gateway::config::ProductionAcquirer::Unconnected;
    })
    .await;
    assert_eq!(t.gw().acquirer_name(), "unconnected");
    assert!(t.gw().simulator().is_none());
    t.shutdown().await;

    let t = TestGateway::start_on(backend, |c| {
        c.mode = Mode::Production;
        c.master_key = Some(MASTER_KEY.to_owned());
    })
    .await;
    let gw = t.gw();
    assert_eq!(gw.acquirer_name(), "bank-feeds", "the default");
    assert!(gw.simulator().is_none());
    let p = t.partner("PROD", false).await;
    // No sandbox helpers: their routes do not exist.
    let (s, _) = t.complete(&p, "AP000000000000", 0).await;
    assert_eq!(s, 404);
    let (s, _, _) = t.post(&p, "/api/v1/sandbox/bank-credit", &json!({"amount": 1000, "memo": "x"})).await;
    assert_eq!(s, 404);

    // A successful card payment (settled through the core: nothing else can in
    // production) cannot be refunded, and no refund is recorded.
    let created = t.create_bank(&p, "paid-1", 50_000, "CC", "", "https://shop.example/ipn").await;
    let id = t.trans_id_of(created["paymentUrl"].as_str().expect("url"));
    gw.settle(&id, Event::Succeed, Default::default()).await.expect("settle").expect("order");
    let body = p.sign(
        &appotapay_protocol::signing::REFUND_REQUEST,
        json!({"refundId": "r-1", "appotapayTransId": id, "amount": 50_000, "reason": "returned"}),
    );
    let (s, v, _) = t.post(&p, "/api/v1/transaction/refund", &body).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(15)), "{v}");
    assert!(gw.order_refunds(&id).await.expect("refunds").is_empty(), "nothing was recorded");
    let (_, st) = t.status(&p, "paid-1").await;
    assert_eq!(st["errorCode"], 0, "still paid, not refunded");
    t.shutdown().await;
}

#[tokio::test]
async fn a_sandbox_node_cannot_join_a_production_database_postgres() {
    let prod = TestGateway::start_on(Backend::Postgres, |c| {
        c.mode = Mode::Production;
        c.master_key = Some(MASTER_KEY.to_owned());
    })
    .await;
    let p = prod.partner("REAL", false).await;
    let created = prod.create_bank(&p, "real-1", 80_000, "ATM", "", "https://shop.example/ipn").await;
    let id = prod.trans_id_of(created["paymentUrl"].as_str().expect("url"));
    // A second node, left in sandbox mode, on the production database.
    let db = prod.db.clone().expect("postgres");
    let mut config = Config::defaults().expect("defaults");
    config.database_url = db.url.clone();
    config.master_key = Some(MASTER_KEY.to_owned());
    config.mode = Mode::Sandbox;
    let e = server::open(config).await.expect_err("the sandbox node refuses to start");
    assert!(mismatch(&e), "{e}");
    // So nothing could settle the real order, and it is still pending.
    let (_, st) = prod.status(&p, "real-1").await;
    assert_eq!(st["errorCode"], 35, "{st}");
    assert_eq!(prod.gw().order(&id).await.expect("get").expect("order").code.code(), 35);
    prod.shutdown().await;
}

/// The admin commands of the real binary say which mode they ran in (on standard
/// error, so standard output stays machine-readable) and never create the public
/// sandbox partner.
#[tokio::test]
async fn admin_commands_print_their_mode_and_create_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_appotapay-gateway"))
            .args(args)
            .env("APPOTAPAY_DATABASE_URL", format!("sqlite://{}", dir.path().join("gateway.db").display()))
            .env("APPOTAPAY_DATA_DIR", dir.path())
            .env_remove("APPOTAPAY_MODE")
            .output()
            .expect("run the binary");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, stdout, stderr) = run(&["migrate"]);
    assert!(ok && stderr.contains("mode: sandbox"), "{stdout} {stderr}");
    let (ok, stdout, stderr) = run(&["partner", "list"]);
    assert!(ok && stderr.contains("mode: sandbox"), "{stderr}");
    assert_eq!(stdout.trim(), "", "no partner, the public one included");
    let (ok, stdout, _) = run(&["partner", "create", "--code", "SHOP1", "--name", "Shop 1"]);
    assert!(ok && stdout.contains("\"partnerCode\":\"SHOP1\""), "{stdout}");
    let (ok, stdout, _) = run(&["partner", "list"]);
    assert!(ok && stdout.contains("SHOP1") && !stdout.contains(sandbox_partner::PARTNER_CODE), "{stdout}");
    // A production admin command says so too, even when it then refuses: this
    // database's secrets were sealed under the generated sandbox key.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_appotapay-gateway"))
        .args(["--mode", "production", "partner", "list"])
        .env("APPOTAPAY_DATABASE_URL", format!("sqlite://{}", dir.path().join("gateway.db").display()))
        .env("APPOTAPAY_DATA_DIR", dir.path())
        .env("APPOTAPAY_MASTER_KEY", "22".repeat(32))
        .output()
        .expect("run the binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("mode: production"), "{stderr}");
    assert!(!out.status.success() && stderr.contains("APPOTAPAY_MASTER_KEY"), "{stderr}");
}
