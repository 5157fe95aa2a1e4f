//! Key rotation: `partner rotate-keys` from the command line, then requests, responses
//! and IPNs with the old and the new credentials during and after the grace period,
//! on each backend and across two PostgreSQL nodes; production's start-up check.

use crate::harness::*;
use crate::pg::MASTER_KEY;
use appotapay_gateway::core::{Gateway, Rotated, now_ms};
use appotapay_protocol::signing::{self, SignatureSpec};
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

/// Rotates `p`'s keys through the core, as the command line does; the new credentials.
async fn rotate(gw: &Gateway, p: &Partner, grace: Duration, force: bool) -> Partner {
    match gw.rotate_partner_keys(&p.code, grace, force).await.expect("rotate") {
        Rotated::Done { keys, .. } => Partner::new(&p.code, &keys.api_key, keys.secret.expose()),
        other => panic!("{other:?}"),
    }
}

/// Waits (bounded) until the partner's grace period is over on this node.
async fn wait_grace_end(gw: &Gateway, code: &str) {
    let until = gw.partner(code).await.expect("lookup").expect("partner").grace_until_ms().unwrap_or(0);
    while now_ms() <= until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn signed_by(spec: &SignatureSpec, p: &Partner, v: &Value) -> bool {
    signing::verify_json(spec, &p.secret, v).is_ok()
}

/// A bank order with `auth`'s token and `body`'s signature; the answer.
async fn order(t: &TestGateway, auth: &Partner, body: &Partner, id: &str, notify: &str) -> (u16, Value) {
    let req = body.bank_request(id, 10_000, "ATM", "", notify);
    let (s, v, _) = t.post(auth, "/api/v1/orders/payment/bank", &req).await;
    (s, v)
}

/// Completes `v`'s order (sandbox) with `p`'s credentials and returns its IPN body.
async fn paid_ipn(t: &TestGateway, p: &Partner, m: &Merchant, v: &Value) -> Value {
    let id = t.trans_id_of(v["paymentUrl"].as_str().expect("url"));
    let n = m.received().len();
    let (s, c) = t.complete(p, &id, 0).await;
    assert_eq!(s, 200, "{c}");
    m.wait_for(n + 1, Duration::from_secs(10)).await.get(n).expect("an IPN").body.clone()
}

on_both!(during_the_grace_period_both_keys_work_and_the_old_one_signs);
async fn during_the_grace_period_both_keys_work_and_the_old_one_signs(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let old = t.partner("ROT", false).await;
    let new = rotate(t.gw(), &old, HOUR, false).await;
    assert!(new.api_key != old.api_key && new.secret.expose() != old.secret.expose());

    // Old, new and mixed credentials are all accepted; every answer is signed with
    // the old secret and carries the old API key.
    for (i, (auth, body)) in [(&old, &old), (&new, &new), (&new, &old), (&old, &new)].into_iter().enumerate() {
        let (s, v) = order(&t, auth, body, &format!("g-{i}"), &m.url).await;
        assert_eq!((s, v["errorCode"].clone()), (200, json!(0)), "{v}");
        assert!(signed_by(&signing::BANK_PAYMENT_RESPONSE, &old, &v), "old signs: {v}");
        assert!(!signed_by(&signing::BANK_PAYMENT_RESPONSE, &new, &v), "{v}");
    }
    let (s, st) = t.status(&new, "g-1").await;
    assert_eq!((s, st["apiKey"].as_str()), (200, Some(old.api_key.as_str())), "{st}");
    assert!(signed_by(&signing::STATUS_RESPONSE, &old, &st), "{st}");

    // The IPN of a payment made during the grace period: signed with the old secret.
    let (_, v) = order(&t, &new, &new, "g-ipn", &m.url).await;
    let ipn = paid_ipn(&t, &new, &m, &v).await;
    assert!(signed_by(&signing::NOTIFICATION, &old, &ipn) && !signed_by(&signing::NOTIFICATION, &new, &ipn), "{ipn}");
    assert_eq!(ipn["apiKey"].as_str(), Some(old.api_key.as_str()));

    // A forged key is still refused.
    let forged = Partner::new("ROT", &new.api_key, "not-the-secret-0123456789abcdef");
    assert_eq!(order(&t, &forged, &new, "g-x", &m.url).await.0, 401);
    let wrong_key = Partner { api_key: "another-api-key".into(), ..new.clone() };
    assert_eq!(order(&t, &wrong_key, &new, "g-y", &m.url).await.1["errorCode"], 14);
    let bad_sig = order(&t, &new, &forged, "g-z", &m.url).await;
    assert_eq!(bad_sig.1["errorCode"], 2, "{}", bad_sig.1);

    // A second rotation during the grace period is refused, unless forced.
    match t.gw().rotate_partner_keys("ROT", HOUR, false).await.expect("rotate") {
        Rotated::InGrace { until_ms } => assert!(until_ms > now_ms()),
        other => panic!("{other:?}"),
    }
    assert_eq!(order(&t, &old, &old, "g-still", &m.url).await.0, 200, "the refused rotation changed nothing");
    assert!(matches!(
        t.gw().rotate_partner_keys("NOBODY", HOUR, false).await.expect("rotate"),
        Rotated::UnknownPartner
    ));
    t.shutdown().await;
}

on_both!(after_the_grace_period_only_the_new_keys_work_and_sign);
async fn after_the_grace_period_only_the_new_keys_work_and_sign(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let old = t.partner("ROT", false).await;
    let new = rotate(t.gw(), &old, Duration::from_millis(300), false).await;
    wait_grace_end(t.gw(), "ROT").await;
    assert_new_only(&t, &m, &old, &new).await;

    // Without a grace period the old credentials stop at once.
    let newer = rotate(t.gw(), &new, Duration::ZERO, false).await;
    assert_new_only(&t, &m, &new, &newer).await;
    t.shutdown().await;
}

/// Only `new` is accepted: `old`'s token (401), `old`'s API key (14) and `old`'s body
/// signature (2) are refused; answers and IPNs are signed with `new`.
async fn assert_new_only(t: &TestGateway, m: &Merchant, old: &Partner, new: &Partner) {
    let id = |s: &str| format!("{}-{s}", &new.api_key[..8]);
    let (s, v) = order(t, old, new, &id("old-token"), &m.url).await;
    assert_eq!((s, v["errorCode"].clone()), (401, json!(401)), "{v}");
    let old_key = Partner { api_key: old.api_key.clone(), ..new.clone() };
    assert_eq!(order(t, &old_key, new, &id("old-key"), &m.url).await.1["errorCode"], 14);
    assert_eq!(order(t, new, old, &id("old-sig"), &m.url).await.1["errorCode"], 2);
    let (s, v) = order(t, new, new, &id("new"), &m.url).await;
    assert_eq!(s, 200, "{v}");
    assert!(
        signed_by(&signing::BANK_PAYMENT_RESPONSE, new, &v) && !signed_by(&signing::BANK_PAYMENT_RESPONSE, old, &v)
    );
    let ipn = paid_ipn(t, new, m, &v).await;
    assert!(signed_by(&signing::NOTIFICATION, new, &ipn) && !signed_by(&signing::NOTIFICATION, old, &ipn), "{ipn}");
    assert_eq!(ipn["apiKey"].as_str(), Some(new.api_key.as_str()));
}

#[tokio::test]
async fn another_node_sees_a_rotation_within_the_cache_ttl_postgres() {
    let a = TestGateway::start_on(Backend::Postgres, |_| {}).await;
    let b = a.another_node(|_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let old = a.partner("ROT", false).await;
    assert_eq!(order(&b, &old, &old, "n-0", &m.url).await.0, 200, "b has the old record cached");

    let new = rotate(a.gw(), &old, HOUR, false).await;
    // b accepts the new keys once its cached record expires (partner_cache_ttl).
    let mut n = 0;
    let v = loop {
        n += 1;
        let (s, v) = order(&b, &new, &new, &format!("n-{n}"), &m.url).await;
        if s == 200 {
            break v;
        }
        assert!(n < 200, "b never accepted the new keys: {v}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(signed_by(&signing::BANK_PAYMENT_RESPONSE, &old, &v), "b signs with the old secret during grace");
    assert_eq!(order(&b, &old, &old, "n-old", &m.url).await.0, 200, "b accepts the old keys during grace");
    let ipn = paid_ipn(&b, &new, &m, &v).await;
    assert!(signed_by(&signing::NOTIFICATION, &old, &ipn), "{ipn}");

    // A forced rotation without grace on a: b refuses the first new keys within the
    // ttl, then only the newest work there.
    let newer = rotate(a.gw(), &new, Duration::ZERO, true).await;
    for i in 0.. {
        let (s, _) = order(&b, &old, &old, &format!("x-{i}"), &m.url).await;
        if s == 401 {
            break;
        }
        assert!(i < 200, "b kept accepting the old keys");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_new_only(&b, &m, &new, &newer).await;
    b.shutdown().await;
    a.shutdown().await;
}

/// Runs the gateway's command line on `url`; exit code, standard output, standard error.
fn cli(url: &str, data_dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_appotapay-gateway"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("APPOTAPAY_DATABASE_URL", url)
        .env("APPOTAPAY_DATA_DIR", data_dir)
        .env("APPOTAPAY_MASTER_KEY", MASTER_KEY)
        .env("RUST_LOG", "info")
        .output()
        .expect("run the command line");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

fn credentials(stdout: &str) -> Partner {
    let v: Value = serde_json::from_str(stdout.trim()).expect("JSON credentials");
    let s = |k: &str| v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}")).to_owned();
    Partner::new(&s("partnerCode"), &s("apiKey"), &s("secretKey"))
}

on_both!(rotate_keys_on_the_command_line);
async fn rotate_keys_on_the_command_line(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(crate::pg::TestDb::create().await),
    };
    let url = match &pg {
        None => format!("sqlite://{}", dir.path().join("gateway.db").display()),
        Some(db) => db.url.clone(),
    };
    let run = |args: &[&str]| cli(&url, dir.path(), args);
    let (code, out, err) = run(&["partner", "create", "--code", "SHOP", "--name", "Shop"]);
    assert_eq!(code, 0, "{err}");
    let first = credentials(&out);
    let (code, out, err) = run(&["partner", "rotate-keys", "--code", "SHOP", "--grace", "1h"]);
    assert_eq!(code, 0, "{err}");
    let second = credentials(&out);
    let v: Value = serde_json::from_str(out.trim()).expect("json");
    assert!(v["oldKeysValidUntil"].as_str().is_some_and(|s| s.ends_with('Z')), "{v}");
    assert!(!err.contains(second.secret.expose()) && !err.contains(first.secret.expose()), "no secret logged: {err}");
    // A second rotation during the grace period is refused and says how to force it.
    let (code, out, err) = run(&["partner", "rotate-keys", "--code", "SHOP"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("--force"), "{err}");
    let (code, out, err) = run(&["partner", "rotate-keys", "--code", "SHOP", "--force"]);
    assert_eq!(code, 0, "{err}");
    let third = credentials(&out);
    assert_eq!(serde_json::from_str::<Value>(out.trim()).expect("json")["oldKeysValidUntil"], Value::Null);
    for bad in [&["--code", "NOBODY"][..], &["--code", "SHOP", "--grace", "soon"][..]] {
        let (code, _, err) = run(&[&["partner", "rotate-keys"][..], bad].concat());
        assert_ne!(code, 0, "{bad:?}: {err}");
    }
    let (_, list, _) = run(&["partner", "list"]);
    assert!(list.contains(&third.api_key) && !list.contains(third.secret.expose()), "{list}");

    // Forced without grace: only the third credentials work.
    let t = TestGateway::start_on_url(&url, dir.path(), |c| c.master_key = Some(MASTER_KEY.to_owned())).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    for (i, stale) in [&first, &second].into_iter().enumerate() {
        assert_eq!(order(&t, stale, stale, &format!("c-{i}"), &m.url).await.0, 401);
    }
    let (s, v) = order(&t, &third, &third, "c-ok", &m.url).await;
    assert!(s == 200 && signed_by(&signing::BANK_PAYMENT_RESPONSE, &third, &v), "{v}");
    t.shutdown().await;
    drop(pg);
}
