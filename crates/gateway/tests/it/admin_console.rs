//! The console's admin API over HTTP, on SQLite and PostgreSQL: admin tokens and
//! roles, the order search and an order's story, resending and redriving IPNs to a
//! real merchant endpoint, operators' refunds and settlements, partners, and the
//! audit log of every action; plus the `admin token` and `ipn` commands.

use crate::harness::*;
use appotapay_gateway::domain::console::Role;
use serde_json::{Value, json};
use std::time::Duration;

/// An admin API call with a bearer token.
async fn admin(t: &TestGateway, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req =
        t.http.request(method, format!("{}{path}", t.base)).header("authorization", format!("Bearer {token}"));
    if let Some(b) = body {
        req = req.header("content-type", "application/json").body(b.to_string());
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn get(t: &TestGateway, token: &str, path: &str) -> (u16, Value) {
    admin(t, token, reqwest::Method::GET, path, None).await
}

async fn post(t: &TestGateway, token: &str, path: &str, body: Value) -> (u16, Value) {
    admin(t, token, reqwest::Method::POST, path, Some(body)).await
}

/// Runs SQL on the gateway's database beside it (for what the gateway takes from the
/// wall clock, which a test moves back).
async fn execute_directly(t: &TestGateway, sql: &str) {
    match &t.db {
        None => {
            let conn = rusqlite::Connection::open(t.dir.path().join("gateway.db")).expect("open the file");
            conn.busy_timeout(Duration::from_secs(5)).expect("busy timeout");
            conn.execute_batch(sql).expect("execute");
        }
        Some(db) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
            sqlx::raw_sql(sql).execute(&mut conn).await.expect("execute");
            let _ = conn.close().await;
        }
    }
}

/// Waits until an order's latest IPN has `n` attempts; its story.
async fn wait_attempts(t: &TestGateway, token: &str, id: &str, n: usize) -> Value {
    for _ in 0..250 {
        let (s, story) = get(t, token, &format!("/admin/api/v1/orders/{id}")).await;
        assert_eq!(s, 200, "{story}");
        let count: usize = story["deliveries"]
            .as_array()
            .map_or(0, |d| d.iter().map(|x| x["attempts"].as_array().map_or(0, Vec::len)).sum());
        if count >= n {
            return story;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{id}: fewer than {n} attempts recorded");
}

async fn audit_actions(t: &TestGateway, token: &str) -> Vec<(String, String, String)> {
    let (s, log) = get(t, token, "/admin/api/v1/audit?limit=200").await;
    assert_eq!(s, 200, "{log}");
    log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or_default().to_owned(),
                e["action"].as_str().unwrap_or_default().to_owned(),
                e["target"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

on_both!(tokens_roles_and_refusals);
async fn tokens_roles_and_refusals(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let (viewer, viewer_secret) = t.gw().create_admin_token(Role::Viewer, "qa").await.expect("viewer");
    let (operator, op_secret) = t.gw().create_admin_token(Role::Operator, "ops").await.expect("operator");
    assert!(viewer_secret.starts_with("apgw_admin_") && viewer_secret != op_secret);
    assert_ne!(viewer.token_hash, viewer_secret, "only a hash is stored");

    // No token, a wrong one, a malformed header: 401, never the data.
    for auth in [None, Some("Bearer nope-nope-nope"), Some("Basic abc"), Some("Bearer ")] {
        let mut req = t.http.get(format!("{}/admin/api/v1/orders", t.base));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.expect("get");
        assert_eq!(resp.status().as_u16(), 401, "{auth:?}");
        assert_eq!(resp.headers().get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"));
    }
    let (s, me) = get(&t, &viewer_secret, "/admin/api/v1/whoami").await;
    assert_eq!((s, me["role"].as_str(), me["id"].as_str()), (200, Some("viewer"), Some(viewer.id.as_str())), "{me}");

    // A viewer reads everything and acts on nothing.
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.partner("ROLES", false).await;
    let v = t.create_bank(&p, "roles-1", 80_000, "ATM", "TPBANK", &m.url).await;
    let id = t.trans_id_of(v["paymentUrl"].as_str().expect("paymentUrl"));
    assert_eq!(get(&t, &viewer_secret, &format!("/admin/api/v1/orders/{id}")).await.0, 200);
    for (path, body) in [
        (format!("/admin/api/v1/orders/{id}/resend-ipn"), json!({})),
        (format!("/admin/api/v1/orders/{id}/settle"), json!({"errorCode": 0})),
        (format!("/admin/api/v1/orders/{id}/refund"), json!({"amount": 1000})),
        ("/admin/api/v1/partners/ROLES/lock".to_owned(), json!({})),
        ("/admin/api/v1/partners".to_owned(), json!({"partnerCode": "NEWP", "name": "n"})),
        ("/admin/api/v1/deliveries/redrive".to_owned(), json!({"partnerCode": "ROLES"})),
        (format!("/admin/api/v1/tokens/{}/revoke", operator.id), json!({})),
    ] {
        let (s, e) = post(&t, &viewer_secret, &path, body).await;
        assert_eq!(s, 403, "{path}: {e}");
        assert!(e["error"].as_str().is_some_and(|m| m.contains("operator")), "{e}");
    }
    assert_eq!(get(&t, &viewer_secret, "/admin/api/v1/tokens").await.0, 403, "token list is an operator's");
    let order = t.gw().order(&id).await.expect("read").expect("order");
    assert_eq!(order.state.as_str(), "pending", "the viewer's settle did nothing");
    assert!(!t.gw().partner("ROLES").await.expect("read").expect("partner").locked);

    // The operator lists tokens (never a token or a hash), and revokes the viewer's:
    // it opens nothing from then on.
    let (s, list) = get(&t, &op_secret, "/admin/api/v1/tokens").await;
    assert_eq!(s, 200, "{list}");
    let text = list.to_string();
    assert!(!text.contains(&viewer_secret) && !text.contains(&viewer.token_hash), "{text}");
    assert_eq!(list["tokens"].as_array().map(Vec::len), Some(2));
    let (s, _) = post(&t, &op_secret, &format!("/admin/api/v1/tokens/{}/revoke", viewer.id), json!({})).await;
    assert_eq!(s, 200);
    assert_eq!(get(&t, &viewer_secret, "/admin/api/v1/whoami").await.0, 401);
    let (s, _) = post(&t, &op_secret, &format!("/admin/api/v1/tokens/{}/revoke", viewer.id), json!({})).await;
    assert_eq!(s, 404, "revoked already");
    let audit = audit_actions(&t, &op_secret).await;
    assert!(
        audit
            .iter()
            .any(|(who, what, on)| who.starts_with(&operator.id) && what == "admin_token.revoke" && *on == viewer.id),
        "{audit:?}"
    );
    assert!(!audit.iter().any(|(who, _, _)| who.starts_with(&viewer.id)), "the viewer did nothing: {audit:?}");
}

on_both!(orders_are_found_and_told_whole);
async fn orders_are_found_and_told_whole(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let (_, token) = t.gw().create_admin_token(Role::Operator, "ops").await.expect("token");
    let m = Merchant::start(vec![], Answer::Ok).await;
    let a = t.partner("FINDA", false).await;
    let b = t.partner("FINDB", false).await;
    let before = appotapay_gateway::now_ms();
    // A few milliseconds apart, so that newest-first is one order.
    let a1 = t.create_bank(&a, "find-a1", 10_000, "ATM", "TPBANK", &m.url).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let a2 = t.create_bank(&a, "find-a2", 20_000, "CC", "", &m.url).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let b1 = t.create_bank(&b, "find-b1", 30_000, "ATM", "TPBANK", &m.url).await;
    let id = |v: &Value| t.trans_id_of(v["paymentUrl"].as_str().expect("paymentUrl"));
    let (a1, a2, b1) = (id(&a1), id(&a2), id(&b1));
    assert_eq!(t.complete(&a, &a1, 0).await.0, 200);

    let ids = |v: &Value| -> Vec<String> {
        v["orders"]
            .as_array()
            .expect("orders")
            .iter()
            .map(|o| o["appotapayTransId"].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let (s, all) = get(&t, &token, "/admin/api/v1/orders").await;
    assert_eq!(s, 200, "{all}");
    assert_eq!(all["total"], 3);
    assert_eq!(ids(&all), vec![b1.clone(), a2.clone(), a1.clone()], "newest first, every partner");
    let (_, of_a) = get(&t, &token, "/admin/api/v1/orders?partner=FINDA").await;
    assert_eq!(ids(&of_a), vec![a2.clone(), a1.clone()]);
    let (_, paid) = get(&t, &token, "/admin/api/v1/orders?state=success").await;
    assert_eq!(ids(&paid), vec![a1.clone()]);
    let (_, cards) = get(&t, &token, "/admin/api/v1/orders?method=cc").await;
    assert_eq!(ids(&cards), vec![a2.clone()]);
    let (_, by_order_id) = get(&t, &token, "/admin/api/v1/orders?orderId=find-b1").await;
    assert_eq!(ids(&by_order_id), vec![b1.clone()]);
    let (_, by_trans) = get(&t, &token, &format!("/admin/api/v1/orders?appotapayTransId={a2}")).await;
    assert_eq!(ids(&by_trans), vec![a2.clone()]);
    let (_, none) = get(&t, &token, &format!("/admin/api/v1/orders?toMs={}", before - 1)).await;
    assert_eq!((none["total"].as_i64(), ids(&none).len()), (Some(0), 0));
    let (_, page) = get(&t, &token, "/admin/api/v1/orders?limit=1&offset=1").await;
    assert_eq!((page["total"].as_i64(), ids(&page)), (Some(3), vec![a2.clone()]));
    for bad in ["state=paid", "method=CASH", "limit=0", "limit=201", "fromMs=5&toMs=4", "offset=-1"] {
        let (s, e) = get(&t, &token, &format!("/admin/api/v1/orders?{bad}")).await;
        assert_eq!(s, 400, "{bad}: {e}");
    }
    assert_eq!(get(&t, &token, "/admin/api/v1/orders/AP000000000000").await.0, 404);

    // The story of the paid order: every field, the timeline, the redirect, the IPN
    // with the exact body the merchant received and its attempt.
    let got = m.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    let story = wait_attempts(&t, &token, &a1, 1).await;
    assert_eq!(story["order"]["orderId"], "find-a1");
    assert_eq!(story["order"]["amount"], 10_000);
    assert_eq!(story["order"]["state"], "success");
    assert_eq!(story["order"]["partnerCode"], "FINDA");
    let kinds: Vec<&str> =
        story["timeline"].as_array().expect("timeline").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds.first(), Some(&"created"));
    assert!(kinds.contains(&"settled") && kinds.contains(&"ipn"), "{kinds:?}");
    assert!(story["redirectUrl"].as_str().is_some_and(|u| u.contains("signature=")), "{story}");
    let delivery = &story["deliveries"][0];
    assert_eq!(delivery["url"], m.url.as_str());
    assert_eq!(delivery["status"], "delivered");
    let sent: Value = serde_json::from_str(delivery["body"].as_str().expect("body")).expect("json body");
    assert_eq!(sent, got[0].body, "the exact body sent");
    let attempt = &delivery["attempts"][0];
    assert_eq!((attempt["httpStatus"].as_u64(), attempt["delivered"].as_bool()), (Some(200), Some(true)), "{attempt}");
    assert!(attempt["responseHead"].as_str().is_some_and(|h| h.contains("ok")), "{attempt}");

    // A pending order has no redirect yet and no IPN to resend.
    let (_, pending) = get(&t, &token, &format!("/admin/api/v1/orders/{b1}")).await;
    assert_eq!(pending["redirectUrl"], Value::Null);
    let (s, e) = post(&t, &token, &format!("/admin/api/v1/orders/{b1}/resend-ipn"), json!({})).await;
    assert_eq!(s, 409, "{e}");
}

on_both!(resend_refund_settle_and_partners);
async fn resend_refund_settle_and_partners(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let (op, token) = t.gw().create_admin_token(Role::Operator, "ops").await.expect("token");
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.partner("ACTS", false).await;
    let v = t.create_bank(&p, "acts-1", 100_000, "ATM", "TPBANK", &m.url).await;
    let id = t.trans_id_of(v["paymentUrl"].as_str().expect("paymentUrl"));

    // Settle as the simulated bank (sandbox), with bad codes refused.
    let (s, e) = post(&t, &token, &format!("/admin/api/v1/orders/{id}/settle"), json!({"errorCode": 35})).await;
    assert_eq!((s, e["errorCode"].as_u64()), (409, Some(1)), "{e}");
    let (s, e) = post(&t, &token, &format!("/admin/api/v1/orders/{id}/settle"), json!({"errorCode": "0"})).await;
    assert_eq!(s, 400, "{e}");
    let (s, o) = post(&t, &token, &format!("/admin/api/v1/orders/{id}/settle"), json!({"errorCode": 0})).await;
    assert_eq!((s, o["state"].as_str()), (200, Some("success")), "{o}");
    let (s, e) = post(&t, &token, &format!("/admin/api/v1/orders/{id}/settle"), json!({"errorCode": 0})).await;
    assert_eq!(s, 409, "settled already: {e}");
    let first = m.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(first.len(), 1);
    wait_attempts(&t, &token, &id, 1).await;

    // Resend: a second delivery of the same body reaches the merchant.
    let (s, r) = post(&t, &token, &format!("/admin/api/v1/orders/{id}/resend-ipn"), json!({})).await;
    assert_eq!(s, 202, "{r}");
    let both = m.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(both.len(), 2);
    assert_eq!(both[0].body, both[1].body, "the same notification");
    let story = wait_attempts(&t, &token, &id, 2).await;
    let deliveries = story["deliveries"].as_array().expect("deliveries").clone();
    assert_eq!(deliveries.len(), 2, "the delivered IPN stays as it was; the resend is queued anew");
    assert_eq!((&deliveries[0]["url"], &deliveries[0]["body"]), (&deliveries[1]["url"], &deliveries[1]["body"]));
    assert_eq!(r["outboxId"], deliveries[1]["outboxId"]);
    for d in &deliveries {
        assert_eq!(d["status"], "delivered", "{d}");
        assert_eq!(d["attempts"][0]["delivered"], true, "{d}");
    }

    // Partial refunds, then the rest, then nothing more.
    let (s, r1) =
        post(&t, &token, &format!("/admin/api/v1/orders/{id}/refund"), json!({"amount": 30_000, "reason": "damaged"}))
            .await;
    assert_eq!(s, 201, "{r1}");
    assert_eq!(r1["amount"], 30_000);
    let (s, e) = post(&t, &token, &format!("/admin/api/v1/orders/{id}/refund"), json!({"amount": 80_000})).await;
    assert_eq!(
        (s, e["errorCode"].as_u64()),
        (409, Some(appotapay_protocol::ErrorCode::REFUND_EXCEEDS_AMOUNT.0 as u64)),
        "{e}"
    );
    for bad in [
        json!({"amount": 0}),
        json!({"amount": -5}),
        json!({"amount": "70000"}),
        json!({}),
        json!({"amount": 5, "reason": 7}),
    ] {
        let (s, e) = post(&t, &token, &format!("/admin/api/v1/orders/{id}/refund"), bad.clone()).await;
        assert_eq!(s, 400, "{bad}: {e}");
    }
    let (s, r2) = post(&t, &token, &format!("/admin/api/v1/orders/{id}/refund"), json!({"amount": 70_000})).await;
    assert_eq!(s, 201, "{r2}");
    let (_, story) = get(&t, &token, &format!("/admin/api/v1/orders/{id}")).await;
    let amounts: Vec<i64> =
        story["refunds"].as_array().expect("refunds").iter().filter_map(|r| r["amount"].as_i64()).collect();
    assert_eq!(amounts, vec![30_000, 70_000]);

    // Partners: create (the secret once), lock (its API answers 13), unlock, the
    // notify-failures flag, a sub-account, a key rotation.
    let (s, created) =
        post(&t, &token, "/admin/api/v1/partners", json!({"partnerCode": "NEWSHOP", "name": "New shop"})).await;
    assert_eq!(s, 201, "{created}");
    let secret = created["secretKey"].as_str().expect("secret").to_owned();
    let (s, e) = post(&t, &token, "/admin/api/v1/partners", json!({"partnerCode": "NEWSHOP", "name": "again"})).await;
    assert_eq!(s, 409, "{e}");
    for bad in [
        json!({"partnerCode": "bad code", "name": "x"}),
        json!({"partnerCode": "OK1"}),
        json!({"partnerCode": "", "name": "x"}),
    ] {
        assert_eq!(post(&t, &token, "/admin/api/v1/partners", bad.clone()).await.0, 400, "{bad}");
    }
    let (_, listed) = get(&t, &token, "/admin/api/v1/partners").await;
    assert!(!listed.to_string().contains(&secret), "secrets are never listed");
    let fresh = Partner::new("NEWSHOP", created["apiKey"].as_str().expect("key"), &secret);
    // With valid keys, a status of an unknown order answers its own code.
    let (_, v) = t.status(&fresh, "nothing").await;
    let unknown = v["errorCode"].as_i64();
    assert!(unknown.is_some() && unknown != Some(13), "{v}");
    assert_eq!(post(&t, &token, "/admin/api/v1/partners/NEWSHOP/lock", json!({})).await.0, 200);
    let (_, v) = t.status(&fresh, "nothing").await;
    assert_eq!(v["errorCode"].as_i64(), Some(13), "locked: {v}");
    assert_eq!(post(&t, &token, "/admin/api/v1/partners/NEWSHOP/unlock", json!({})).await.0, 200);
    let (_, v) = t.status(&fresh, "nothing").await;
    assert_eq!(v["errorCode"].as_i64(), unknown, "unlocked: {v}");
    let (s, _) = post(&t, &token, "/admin/api/v1/partners/NEWSHOP/notify-failures", json!({"on": true})).await;
    assert_eq!(s, 200);
    let (s, sub) = post(&t, &token, "/admin/api/v1/partners/NEWSHOP/sub-accounts", json!({"owner": true})).await;
    assert_eq!(s, 200, "{sub}");
    let (_, one) = get(&t, &token, "/admin/api/v1/partners/NEWSHOP").await;
    assert_eq!(one["notifyFailures"], true);
    assert_eq!(one["subAccounts"][0]["id"], sub["id"]);
    let (s, rotated) = post(&t, &token, "/admin/api/v1/partners/NEWSHOP/rotate", json!({"graceSeconds": 0})).await;
    assert_eq!(s, 200, "{rotated}");
    let (_, v) = t.status(&fresh, "nothing").await;
    assert_ne!(v["errorCode"].as_i64(), unknown, "the old keys stopped: {v}");
    let renewed = Partner::new(
        "NEWSHOP",
        rotated["apiKey"].as_str().expect("key"),
        rotated["secretKey"].as_str().expect("secret"),
    );
    let (_, v) = t.status(&renewed, "nothing").await;
    assert_eq!(v["errorCode"].as_i64(), unknown, "the new keys work: {v}");
    assert_eq!(post(&t, &token, "/admin/api/v1/partners/NOPE/lock", json!({})).await.0, 404);
    assert_eq!(post(&t, &token, "/admin/api/v1/partners/NEWSHOP/explode", json!({})).await.0, 404);

    // Every action is in the audit log, by the operator's token.
    let audit = audit_actions(&t, &token).await;
    for (what, on) in [
        ("order.settle", id.as_str()),
        ("ipn.resend", id.as_str()),
        ("refund.create", id.as_str()),
        ("partner.create", "NEWSHOP"),
        ("partner.lock", "NEWSHOP"),
        ("partner.unlock", "NEWSHOP"),
        ("partner.notify_failures", "NEWSHOP"),
        ("partner.sub_account", "NEWSHOP"),
        ("partner.rotate", "NEWSHOP"),
    ] {
        assert!(
            audit.iter().any(|(who, w, o)| who.starts_with(&op.id) && w == what && o == on),
            "{what} on {on} missing: {audit:?}"
        );
    }
    let refunds = audit.iter().filter(|(_, w, _)| w == "refund.create").count();
    assert_eq!(refunds, 2, "refused refunds are not recorded as done");
    let (_, filtered) = get(&t, &token, "/admin/api/v1/audit?target=NEWSHOP").await;
    assert!(filtered["entries"].as_array().expect("entries").iter().all(|e| e["target"] == "NEWSHOP"));
}

on_both!(failing_deliveries_are_grouped_and_redriven);
async fn failing_deliveries_are_grouped_and_redriven(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let (_, token) = t.gw().create_admin_token(Role::Operator, "ops").await.expect("token");
    // A merchant that fails the whole retry schedule (3 attempts), then recovers.
    let m = Merchant::start(vec![Answer::Status(500); 6], Answer::Ok).await;
    let p = t.partner("FAILS", false).await;
    let mut ids = Vec::new();
    for n in 0..2 {
        let v = t.create_bank(&p, &format!("fails-{n}"), 10_000, "ATM", "TPBANK", &m.url).await;
        let id = t.trans_id_of(v["paymentUrl"].as_str().expect("paymentUrl"));
        assert_eq!(t.complete(&p, &id, 0).await.0, 200);
        ids.push(id);
    }
    // Both IPNs exhaust the schedule.
    let mut groups = Value::Null;
    for _ in 0..500 {
        let (s, g) = get(&t, &token, "/admin/api/v1/deliveries").await;
        assert_eq!(s, 200, "{g}");
        if g["groups"][0]["exhausted"] == 2 {
            groups = g;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let group = &groups["groups"][0];
    assert_eq!(
        (group["partnerCode"].as_str(), group["url"].as_str()),
        (Some("FAILS"), Some(m.url.as_str())),
        "{groups}"
    );
    assert_eq!(group["failing"], 2);
    assert_eq!(group["lastDeliveredMs"], Value::Null);
    assert_eq!(group["down"], false, "failing for less than an hour");
    // Failing for two hours with nothing delivered: the URL is down.
    execute_directly(&t, "UPDATE outbox SET created_at_ms = created_at_ms - 7200000 WHERE partner_code = 'FAILS'")
        .await;
    let (_, aged) = get(&t, &token, "/admin/api/v1/deliveries").await;
    assert_eq!(aged["groups"][0]["down"], true, "{aged}");
    let item = &group["items"][0];
    assert_eq!((item["status"].as_str(), item["attempts"].as_u64()), (Some("failed"), Some(3)), "{item}");
    assert_eq!(item["lastAttempt"]["httpStatus"], 500);
    assert_eq!(groups["groups"].as_array().map(Vec::len), Some(1));
    let (_, other) = get(&t, &token, "/admin/api/v1/deliveries?partner=NOBODY").await;
    assert_eq!(other["groups"].as_array().map(Vec::len), Some(0));

    // Redrive one: it is delivered now (the merchant recovered), the other still failed.
    let one = item["outboxId"].as_i64().expect("outbox id");
    let (s, r) = post(&t, &token, &format!("/admin/api/v1/deliveries/{one}/redrive"), json!({})).await;
    assert_eq!(s, 202, "{r}");
    assert_eq!(m.wait_for(7, Duration::from_secs(10)).await.len(), 7);
    for _ in 0..250 {
        let (_, g) = get(&t, &token, "/admin/api/v1/deliveries").await;
        if g["groups"][0]["failing"] == 1 {
            assert!(g["groups"][0]["lastDeliveredMs"].as_i64().is_some(), "{g}");
            assert_eq!(g["groups"][0]["down"], false, "delivered since its failures began: {g}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Redrive all of the partner's URL: nothing is left failing.
    let (s, r) =
        post(&t, &token, "/admin/api/v1/deliveries/redrive", json!({"partnerCode": "FAILS", "url": m.url})).await;
    assert_eq!((s, r["queued"].as_u64()), (202, Some(1)), "{r}");
    assert_eq!(m.wait_for(8, Duration::from_secs(10)).await.len(), 8);
    let mut cleared = false;
    for _ in 0..250 {
        let (_, g) = get(&t, &token, "/admin/api/v1/deliveries").await;
        if g["groups"].as_array().is_some_and(Vec::is_empty) {
            cleared = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(cleared, "every IPN delivered after the redrive");
    for id in &ids {
        let (_, story) = get(&t, &token, &format!("/admin/api/v1/orders/{id}")).await;
        assert_eq!(story["deliveries"][0]["status"], "delivered", "{story}");
    }
    for bad in [json!({}), json!({"partnerCode": ""}), json!({"partnerCode": "FAILS", "url": 5})] {
        assert_eq!(post(&t, &token, "/admin/api/v1/deliveries/redrive", bad.clone()).await.0, 400, "{bad}");
    }
    assert_eq!(post(&t, &token, "/admin/api/v1/deliveries/redrive", json!({"partnerCode": "NOBODY"})).await.0, 404);
    assert_eq!(post(&t, &token, "/admin/api/v1/deliveries/999999/redrive", json!({})).await.0, 404);
    assert_eq!(post(&t, &token, "/admin/api/v1/deliveries/abc/redrive", json!({})).await.0, 400);
}

/// The command line's `admin token` and `ipn` commands on the gateway's database,
/// with the gateway running.
#[tokio::test]
async fn admin_and_ipn_commands() {
    let t = TestGateway::start().await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let v = t.create_bank(&p, "cli-1", 10_000, "ATM", "TPBANK", &m.url).await;
    let id = t.trans_id_of(v["paymentUrl"].as_str().expect("paymentUrl"));
    assert_eq!(t.complete(&p, &id, 0).await.0, 200);
    assert_eq!(m.wait_for(1, Duration::from_secs(10)).await.len(), 1);

    let run = |args: Vec<String>| {
        let dir = t.dir.path().to_path_buf();
        async move {
            let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_appotapay-gateway"))
                .args(&args)
                .env("APPOTAPAY_DATA_DIR", &dir)
                .env("APPOTAPAY_DATABASE_URL", format!("sqlite://{}", dir.join("gateway.db").display()))
                .output()
                .await
                .expect("run");
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        }
    };
    let (code, out, err) = run(vec![
        "admin".into(),
        "token".into(),
        "create".into(),
        "--role".into(),
        "viewer".into(),
        "--name".into(),
        "qa".into(),
    ])
    .await;
    assert_eq!(code, Some(0), "{err}");
    let created: Value = serde_json::from_str(out.trim()).expect("json");
    let secret = created["token"].as_str().expect("token").to_owned();
    let (s, me) = get(&t, &secret, "/admin/api/v1/whoami").await;
    assert_eq!((s, me["role"].as_str(), me["name"].as_str()), (200, Some("viewer"), Some("qa")), "{me}");
    let (code, out, _) = run(vec!["admin".into(), "token".into(), "list".into()]).await;
    assert_eq!(code, Some(0));
    assert!(out.contains(created["id"].as_str().expect("id")) && !out.contains(&secret), "{out}");
    let (code, _, err) =
        run(vec!["admin".into(), "token".into(), "create".into(), "--role".into(), "root".into()]).await;
    assert_ne!(code, Some(0), "unknown role refused: {err}");

    // ipn resend: the running gateway sends the IPN again.
    let (code, out, err) = run(vec!["ipn".into(), "resend".into(), id.clone()]).await;
    assert_eq!(code, Some(0), "{out} {err}");
    assert_eq!(m.wait_for(2, Duration::from_secs(10)).await.len(), 2, "delivered again");
    let (code, _, err) = run(vec!["ipn".into(), "resend".into(), "AP000000000000".into()]).await;
    assert_eq!(code, Some(1), "unknown order: {err}");
    let (code, out, err) = run(vec!["ipn".into(), "redrive".into(), "--partner".into(), p.code.clone()]).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("\"queued\":0"), "nothing failing: {out}");

    // Revoked on the command line: the token opens nothing.
    let (code, _, err) =
        run(vec!["admin".into(), "token".into(), "revoke".into(), created["id"].as_str().expect("id").into()]).await;
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(get(&t, &secret, "/admin/api/v1/whoami").await.0, 401);
    let (_, token) = t.gw().create_admin_token(Role::Operator, "ops").await.expect("token");
    let audit = audit_actions(&t, &token).await;
    for what in ["admin_token.create", "ipn.resend", "admin_token.revoke"] {
        assert!(audit.iter().any(|(who, w, _)| who.starts_with("cli") && w == what), "{what}: {audit:?}");
    }
}
