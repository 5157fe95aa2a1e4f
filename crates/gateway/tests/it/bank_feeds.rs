//! Real QR payments from bank feeds, over HTTP into the real server on both
//! backends: SePay and Casso webhooks in the providers' exact formats and
//! signatures, the matching rule, unmatched credits, refunds paid by hand, and the
//! reconciliation reading a provider's transaction list from a local server that
//! speaks the documented API.

use crate::harness::{Answer, Backend, Merchant, Partner, TestGateway, on_both};
use appotapay_gateway::config::Mode;
use appotapay_gateway::core::NewFeed;
use appotapay_gateway::domain::credit::{BankAccount, CreditStatus, FeedAuth};
use appotapay_gateway::domain::order::{Event, State};
use appotapay_protocol::bankfeed::{casso, sepay};
use appotapay_protocol::signing;
use appotapay_protocol::vietqr::VietQr;
use axum::extract::State as AxState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ACCOUNT: &str = "0123456789";
const HMAC_SECRET: &str = "whsec_a7c3f0e9d1b24c6e8f0a1b2c3d4e5f60";
const API_KEY: &str = "sepay-api-key-0123456789";
const CHECKSUM_KEY: &str = "mgExMrjj4i7a1p8Cs6LmFbpCd8lbw4sSX4LZXPag7TKazeIogtR90tvWYTkwQbvs";
const SECURE_TOKEN: &str = "eogrBiWqaq-0123456789";
const ADMIN_TOKEN: &str = "admin-token-0123456789abcdef";

fn now_s() -> i64 {
    appotapay_gateway::now_ms() / 1000
}

/// A production gateway taking QR payments through bank feeds (IPNs allowed to
/// loopback, where the test merchant listens), with the admin API on.
async fn production(backend: Backend) -> TestGateway {
    TestGateway::start_on(backend, |c| {
        c.mode = Mode::Production;
        c.master_key = Some("22".repeat(32));
        c.outbound_allow = vec!["127.0.0.0/8".parse().expect("net")];
        c.admin = appotapay_gateway::config::MetricsAccess::Token(ADMIN_TOKEN.into());
    })
    .await
}

/// A partner with its own account and one feed of each kind.
async fn shop(t: &TestGateway, code: &str) -> Partner {
    let p = t.partner(code, false).await;
    let gw = t.gw();
    gw.set_partner_account(code, BankAccount { bin: "970436".into(), account: ACCOUNT.into(), name: "SHOP A".into() })
        .await
        .expect("account");
    for (auth, secret) in [
        (FeedAuth::SepayHmac, HMAC_SECRET),
        (FeedAuth::SepayApiKey, API_KEY),
        (FeedAuth::CassoChecksum, CHECKSUM_KEY),
        (FeedAuth::CassoSecureToken, SECURE_TOKEN),
    ] {
        let feed = NewFeed { auth, secret: secret.into(), api_token: None, api_url: None, reconcile_every: None };
        gw.add_feed(code, feed).await.expect("store").expect("feed");
    }
    p
}

/// A SePay webhook body (the documented shape).
fn sepay_body(id: i64, account: &str, amount: i64, content: &str, direction: &str) -> String {
    json!({
        "id": id, "gateway": "Vietcombank", "transactionDate": "2026-12-02 14:02:37", "accountNumber": account,
        "code": null, "content": content, "transferType": direction, "transferAmount": amount,
        "accumulated": 19_077_000, "subAccount": null, "referenceCode": format!("MBVCB.{id}"),
        "description": format!("BankAPINotify {content}")
    })
    .to_string()
}

async fn post_feed(t: &TestGateway, path: &str, body: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let (s, v, _) = t.post_raw(path, None, body.as_bytes().to_vec(), headers).await;
    (s, v)
}

/// Posts a SePay webhook signed with the HMAC secret, timestamp now.
async fn sepay_signed(t: &TestGateway, code: &str, body: &str) -> (u16, Value) {
    let ts = now_s().to_string();
    let sig = sepay::sign(HMAC_SECRET, &ts, body.as_bytes());
    post_feed(
        t,
        &format!("/bank-feeds/sepay/{code}"),
        body,
        &[(sepay::SIGNATURE_HEADER, &sig), (sepay::TIMESTAMP_HEADER, &ts)],
    )
    .await
}

async fn admin_get(t: &TestGateway, path: &str) -> (u16, Value) {
    let resp = t
        .http
        .get(format!("{}{path}", t.base))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .send()
        .await
        .expect("request");
    let s = resp.status().as_u16();
    (s, resp.json().await.unwrap_or(Value::Null))
}

async fn admin_post(t: &TestGateway, path: &str, body: Value) -> (u16, Value) {
    let (s, v, _) = t
        .post_raw(path, None, body.to_string().into_bytes(), &[("authorization", &format!("Bearer {ADMIN_TOKEN}"))])
        .await;
    (s, v)
}

/// Creates a QR order; returns its appotapayTransId.
async fn qr_order(t: &TestGateway, p: &Partner, order_id: &str, amount: i64, notify: &str) -> String {
    let v = t.create_qr(p, order_id, amount, notify).await;
    v["appotapayTransId"].as_str().expect("trans id").to_owned()
}

async fn state_of(t: &TestGateway, trans_id: &str) -> State {
    t.gw().order(trans_id).await.expect("read").expect("order").state
}

on_both!(a_sepay_credit_settles_its_order_once);
async fn a_sepay_credit_settles_its_order_once(backend: Backend) {
    let t = production(backend).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = shop(&t, "SHOPA").await;
    let id = qr_order(&t, &p, "qr-1", 50_000, &m.url).await;

    // The order's VietQR and its checkout page name the partner's own account.
    let order = t.gw().order(&id).await.expect("read").expect("order");
    let qr = VietQr::parse(order.qr_payload.as_deref().expect("payload")).expect("VietQR");
    assert_eq!(
        (qr.bin.as_str(), qr.account.as_str(), qr.amount, qr.memo.as_deref()),
        ("970436", ACCOUNT, Some(50_000), Some(id.as_str()))
    );
    let link = t.create_qr(&p, "qr-page", 10_000, &m.url).await;
    let html =
        t.http.get(link["paymentUrl"].as_str().expect("url")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains(ACCOUNT) && html.contains("SHOP A") && html.contains("Vietcombank"), "{html}");

    // The bank wraps the memo: prefix, suffix, a space inside the id.
    let memo =
        format!("MBVCB.3278907687.520369.{} {}.CT tu 0441000649180 NGUYEN VAN A toi {ACCOUNT}", &id[..6], &id[6..]);
    let body = sepay_body(92_704, ACCOUNT, 50_000, &memo, "in");
    let (s, v) = sepay_signed(&t, "SHOPA", &body).await;
    assert_eq!((s, v.clone()), (200, json!({"success": true})));
    assert_eq!(state_of(&t, &id).await, State::Success);

    // The IPN: status 0, signed, once.
    let ipns = m.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(ipns.len(), 1);
    assert_eq!(ipns[0].body["errorCode"], 0);
    assert_eq!(ipns[0].body["appotapayTransId"], id.as_str());
    assert!(signing::verify_json(&signing::NOTIFICATION, &p.secret, &ipns[0].body).is_ok());
    let (_, st) = t.status(&p, "qr-1").await;
    assert_eq!(st["errorCode"], 0, "{st}");

    // A retried delivery (SePay retries a lost answer; the API-key feed too) settles
    // nothing twice.
    let (s, v) = sepay_signed(&t, "SHOPA", &body).await;
    assert_eq!((s, v), (200, json!({"success": true})));
    let (s, _) =
        post_feed(&t, "/bank-feeds/sepay/SHOPA", &body, &[("Authorization", &format!("Apikey {API_KEY}"))]).await;
    assert_eq!(s, 200);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(m.received().len(), 1, "one IPN");
    let (s, list) = admin_get(&t, "/admin/api/v1/credits?partner=SHOPA").await;
    assert_eq!(s, 200);
    let credits = list["credits"].as_array().expect("credits");
    assert_eq!(credits.len(), 1, "{list}");
    assert_eq!(credits[0]["status"], "settled");
    assert_eq!(credits[0]["appotapayTransId"], id.as_str());
    assert_eq!(credits[0]["providerTransactionId"], "92704");
    let raw: Value = serde_json::from_str(credits[0]["raw"].as_str().expect("raw")).expect("raw JSON");
    assert_eq!(raw["referenceCode"], "MBVCB.92704", "the payload is kept");
    t.shutdown().await;
}

on_both!(credits_that_pay_nothing_stay_open_with_their_reason);
async fn credits_that_pay_nothing_stay_open_with_their_reason(backend: Backend) {
    let t = production(backend).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = shop(&t, "SHOPB").await;
    let under = qr_order(&t, &p, "under", 50_000, &m.url).await;
    let over = qr_order(&t, &p, "over", 50_000, &m.url).await;
    let late = qr_order(&t, &p, "late", 50_000, &m.url).await;
    let paid = qr_order(&t, &p, "paid", 50_000, &m.url).await;
    let wrong = qr_order(&t, &p, "wrong", 50_000, &m.url).await;
    let other = t.partner("OTHER", false).await;
    let foreign = qr_order(&t, &other, "foreign", 50_000, &m.url).await;
    // Expired the way the sweeper does it.
    t.gw().settle(&late, Event::Expire, Default::default()).await.expect("expire");

    let cases: Vec<(i64, String, i64, String, &str)> = vec![
        (1, ACCOUNT.into(), 49_000, format!("thanh toan {under}"), "underpaid"),
        (2, ACCOUNT.into(), 50_001, format!("thanh toan {over}"), "overpaid"),
        (3, ACCOUNT.into(), 50_000, format!("thanh toan {late}"), "expired"),
        (4, ACCOUNT.into(), 50_000, format!("thanh toan {paid}"), "settles"),
        (5, ACCOUNT.into(), 50_000, format!("lan hai {paid}"), "already_paid"),
        (6, "9999999999".into(), 50_000, format!("thanh toan {wrong}"), "wrong_account"),
        (7, ACCOUNT.into(), 50_000, "chuyen tien an trua".into(), "no_trans_id"),
        (8, ACCOUNT.into(), 50_000, "thanh toan AP999999999999".into(), "unknown_trans_id"),
        (9, ACCOUNT.into(), 50_000, format!("thanh toan {foreign}"), "unknown_trans_id"),
        (10, ACCOUNT.into(), 50_000, format!("{under} {over}"), "several_trans_ids"),
    ];
    for (n, account, amount, content, _) in &cases {
        let (s, v) = sepay_signed(&t, "SHOPB", &sepay_body(9_000 + n, account, *amount, content, "in")).await;
        assert_eq!((s, v), (200, json!({"success": true})), "case {n}");
    }
    // Money going out of the account is no payment.
    let (s, _) = sepay_signed(&t, "SHOPB", &sepay_body(9_100, ACCOUNT, 50_000, &format!("hoan {under}"), "out")).await;
    assert_eq!(s, 200);

    for (id, want) in
        [(&under, State::Pending), (&over, State::Pending), (&late, State::Expired), (&paid, State::Success)]
    {
        assert_eq!(state_of(&t, id).await, want, "{id}");
    }
    assert_eq!(state_of(&t, &wrong).await, State::Pending);
    assert_eq!(state_of(&t, &foreign).await, State::Pending, "another partner's order is never paid by this feed");

    let (_, open) = admin_get(&t, "/admin/api/v1/credits?partner=SHOPB&status=open").await;
    let open = open["credits"].as_array().expect("credits").clone();
    assert_eq!(open.len(), 9, "{open:?}");
    for (n, _, amount, _, why) in cases.iter().filter(|c| c.4 != "settles") {
        let c = open
            .iter()
            .find(|c| c["providerTransactionId"].as_str() == Some((9_000 + n).to_string().as_str()))
            .expect("listed");
        assert_eq!(c["reason"], *why, "case {n}: {c}");
        assert_eq!(c["amount"], *amount);
    }
    let (_, ignored) = admin_get(&t, "/admin/api/v1/credits?partner=SHOPB&status=ignored").await;
    assert_eq!(ignored["credits"].as_array().map(Vec::len), Some(1));

    // Resolving records a note and moves no money; only open credits resolve.
    let first = open[0]["id"].as_i64().expect("id");
    let (s, v) =
        admin_post(&t, &format!("/admin/api/v1/credits/{first}/resolve"), json!({"note": "refunded by hand"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["status"].clone(), v["note"].clone()), (json!("resolved"), json!("refunded by hand")));
    let (s, _) = admin_post(&t, &format!("/admin/api/v1/credits/{first}/resolve"), json!({"note": "again"})).await;
    assert_eq!(s, 409);
    let (s, _) = admin_post(&t, &format!("/admin/api/v1/credits/{first}/resolve"), json!({"note": ""})).await;
    assert_eq!(s, 400);
    let (s, _) = admin_post(&t, "/admin/api/v1/credits/999999/resolve", json!({"note": "x"})).await;
    assert_eq!(s, 404);
    let (_, open) = admin_get(&t, "/admin/api/v1/credits?partner=SHOPB&status=open").await;
    assert_eq!(open["credits"].as_array().map(Vec::len), Some(8));
    // The admin API needs its token.
    let resp = t.http.get(format!("{}/admin/api/v1/credits", t.base)).send().await.expect("request");
    assert_eq!(resp.status().as_u16(), 401);
    // Only the one paid order was notified.
    let ipns = m.wait_for(1, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(m.received().len(), 1);
    assert_eq!(ipns[0].body["appotapayTransId"], paid.as_str());
    t.shutdown().await;
}

on_both!(bad_credentials_record_nothing_and_unreadable_bodies_are_kept);
async fn bad_credentials_record_nothing_and_unreadable_bodies_are_kept(backend: Backend) {
    let t = production(backend).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = shop(&t, "SHOPC").await;
    let id = qr_order(&t, &p, "qr-1", 20_000, &m.url).await;
    let body = sepay_body(1, ACCOUNT, 20_000, &id, "in");
    let path = "/bank-feeds/sepay/SHOPC";
    let ts = now_s().to_string();
    let stale = (now_s() - 301).to_string();
    // Well past the 300 s allowed ahead: the test's own requests take time, and a
    // timestamp only 301 s ahead when made can be 300 s ahead when it is checked.
    let future = (now_s() + 330).to_string();
    let good = sepay::sign(HMAC_SECRET, &ts, body.as_bytes());
    let refused: Vec<Vec<(&str, String)>> = vec![
        vec![],
        vec![
            (sepay::SIGNATURE_HEADER, sepay::sign("another-secret", &ts, body.as_bytes())),
            (sepay::TIMESTAMP_HEADER, ts.clone()),
        ],
        vec![(sepay::SIGNATURE_HEADER, good.clone())],
        vec![(sepay::SIGNATURE_HEADER, good.clone()), (sepay::TIMESTAMP_HEADER, (now_s() + 1).to_string())],
        vec![
            (sepay::SIGNATURE_HEADER, sepay::sign(HMAC_SECRET, &stale, body.as_bytes())),
            (sepay::TIMESTAMP_HEADER, stale),
        ],
        vec![
            (sepay::SIGNATURE_HEADER, sepay::sign(HMAC_SECRET, &future, body.as_bytes())),
            (sepay::TIMESTAMP_HEADER, future),
        ],
        vec![(sepay::SIGNATURE_HEADER, "sha256=zz".into()), (sepay::TIMESTAMP_HEADER, ts.clone())],
        vec![("Authorization", "Apikey wrong-key-0123456789".into())],
        vec![("Authorization", format!("Bearer {API_KEY}"))],
    ];
    for (i, h) in refused.iter().enumerate() {
        let h: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, v) = post_feed(&t, path, &body, &h).await;
        assert_eq!(s, 401, "case {i}: {v}");
        assert_eq!(v["success"], false);
    }
    // Casso: a signature over another body, an old `t`, a wrong secure token.
    let cbody = casso_v2_body(7, ACCOUNT, 20_000, &id);
    let other =
        casso::sign_v2(CHECKSUM_KEY, appotapay_gateway::now_ms(), casso_v2_body(7, ACCOUNT, 20_001, &id).as_bytes())
            .expect("sign");
    let old = casso::sign_v2(CHECKSUM_KEY, appotapay_gateway::now_ms() - 301_000, cbody.as_bytes()).expect("sign");
    for h in [
        vec![(casso::SIGNATURE_HEADER, other.as_str())],
        vec![(casso::SIGNATURE_HEADER, old.as_str())],
        vec![(casso::SECURE_TOKEN_HEADER, "nope")],
    ] {
        let (s, _) = post_feed(&t, "/bank-feeds/casso/SHOPC", &cbody, &h).await;
        assert_eq!(s, 401);
    }
    // A partner without feeds, an unknown partner, an unknown provider.
    t.partner("NOFEED", false).await;
    for path in ["/bank-feeds/sepay/NOFEED", "/bank-feeds/sepay/NOBODY"] {
        let sig = sepay::sign(HMAC_SECRET, &ts, body.as_bytes());
        let (s, _) =
            post_feed(&t, path, &body, &[(sepay::SIGNATURE_HEADER, &sig), (sepay::TIMESTAMP_HEADER, &ts)]).await;
        assert_eq!(s, 401, "{path}");
    }
    let (s, _) = post_feed(&t, "/bank-feeds/payos/SHOPC", &body, &[]).await;
    assert_eq!(s, 404);
    assert_eq!(state_of(&t, &id).await, State::Pending);
    let (_, all) = admin_get(&t, "/admin/api/v1/credits").await;
    assert_eq!(all["credits"].as_array().map(Vec::len), Some(0), "nothing recorded: {all}");

    // Authentic but unreadable: 400, and kept for the operator.
    for junk in ["not json", r#"{"id":5,"transferAmount":"lots"}"#] {
        let (s, v) = sepay_signed(&t, "SHOPC", junk).await;
        assert_eq!(s, 400, "{v}");
    }
    let (_, kept) = admin_get(&t, "/admin/api/v1/credits?status=unreadable").await;
    let kept = kept["credits"].as_array().expect("credits").clone();
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().any(|c| c["raw"] == "not json"));
    // Then the genuine delivery still settles.
    let (s, _) = sepay_signed(&t, "SHOPC", &body).await;
    assert_eq!(s, 200);
    assert_eq!(state_of(&t, &id).await, State::Success);
    t.shutdown().await;
}

/// A Casso webhook v2 body (the documented shape), with a Vietnamese name.
fn casso_v2_body(id: i64, account: &str, amount: i64, description: &str) -> String {
    json!({"error": 0, "data": {
        "id": id, "reference": format!("FT{id}"), "description": description, "amount": amount,
        "runningBalance": 25_000_000, "transactionDateTime": "2026-12-02 15:06:37", "accountNumber": account,
        "bankName": "VPBank", "bankAbbreviation": "VPB", "virtualAccountNumber": "", "virtualAccountName": "",
        "counterAccountName": "NGUYỄN VĂN A", "counterAccountNumber": "8888888888", "counterAccountBankId": "970415",
        "counterAccountBankName": "VietinBank"
    }})
    .to_string()
}

on_both!(casso_webhooks_v2_and_v1_settle);
async fn casso_webhooks_v2_and_v1_settle(backend: Backend) {
    let t = production(backend).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = shop(&t, "SHOPD").await;
    let a = qr_order(&t, &p, "casso-v2", 599_000, &m.url).await;
    let b = qr_order(&t, &p, "casso-v1-1", 200_500, &m.url).await;
    let c = qr_order(&t, &p, "casso-v1-2", 10_000, &m.url).await;

    let body = casso_v2_body(101, ACCOUNT, 599_000, &format!("CT DEN:0123 {}-THANH TOAN", a.to_lowercase()));
    let sig = casso::sign_v2(CHECKSUM_KEY, appotapay_gateway::now_ms(), body.as_bytes()).expect("sign");
    let (s, v) = post_feed(&t, "/bank-feeds/casso/SHOPD", &body, &[(casso::SIGNATURE_HEADER, &sig)]).await;
    assert_eq!((s, v), (200, json!({"success": true})));
    assert_eq!(state_of(&t, &a).await, State::Success);

    // v1: several transactions in one body, keyed by the secure token.
    let v1 = json!({"error": 0, "data": [
        {"id": 201, "tid": "TF80307914", "amount": 200_500, "description": format!("DH {b}"), "cusum_balance": 15_900_500,
         "when": "2026-12-02", "subAccId": ACCOUNT, "bank_sub_acc_id": ACCOUNT},
        {"id": 202, "tid": "TF80307915", "amount": 10_000, "description": format!("DH {c}"), "cusum_balance": 15_910_500,
         "when": "2026-12-02", "subAccId": ACCOUNT, "bank_sub_acc_id": ACCOUNT},
        {"id": 203, "tid": "TF80307916", "amount": -193_000, "description": "chuyen di", "cusum_balance": 15_717_500,
         "when": "2026-12-02", "subAccId": ACCOUNT, "bank_sub_acc_id": ACCOUNT}
    ]})
    .to_string();
    let (s, _) = post_feed(&t, "/bank-feeds/casso/SHOPD", &v1, &[(casso::SECURE_TOKEN_HEADER, SECURE_TOKEN)]).await;
    assert_eq!(s, 200);
    assert_eq!((state_of(&t, &b).await, state_of(&t, &c).await), (State::Success, State::Success));
    assert_eq!(m.wait_for(3, Duration::from_secs(5)).await.len(), 3);
    let credits = t
        .gw()
        .credits(&appotapay_gateway::core::CreditQuery { partner_code: Some("SHOPD"), limit: 50, ..Default::default() })
        .await
        .expect("list");
    assert_eq!(credits.len(), 4);
    assert_eq!(credits.iter().filter(|c| c.status == CreditStatus::Settled).count(), 3);
    assert_eq!(credits.iter().filter(|c| c.status == CreditStatus::Ignored).count(), 1, "the outgoing one");
    t.shutdown().await;
}

/// How a bank writes a transfer memo around an id.
type Memo = Box<dyn Fn(&str) -> String>;

on_both!(banks_mangled_memos_still_settle);
async fn banks_mangled_memos_still_settle(backend: Backend) {
    let t = production(backend).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = shop(&t, "SHOPE").await;
    let memos: Vec<Memo> = vec![
        Box::new(|id| id.to_owned()),
        Box::new(|id| format!("MBVCB.3278907687.520369.{id}.CT tu 0441000649180 DO DUY HUNG toi 0934860931")),
        Box::new(|id| format!("{} {}", &id[..7], &id[7..])),
        Box::new(|id| format!("A P{}", &id[2..])),
        Box::new(|id| id.to_lowercase()),
        Box::new(|id| format!("{}-{}-{}", &id[..4], &id[4..9], &id[9..])),
        Box::new(|id| format!("Thanh toán đơn hàng {id} cảm ơn")),
        Box::new(|id| format!("884114.100924.223854.NGUYEN VAN A chuyen {id}FT24255276428461")),
        Box::new(|id| format!("Momo chi ho 247 OL 1987501343 {id} Ma GD ACSP/ co291473")),
    ];
    let mut ids = Vec::new();
    for (i, memo) in memos.iter().enumerate() {
        let id = qr_order(&t, &p, &format!("memo-{i}"), 15_000 + i as i64, &m.url).await;
        let (s, _) =
            sepay_signed(&t, "SHOPE", &sepay_body(500 + i as i64, ACCOUNT, 15_000 + i as i64, &memo(&id), "in")).await;
        assert_eq!(s, 200);
        ids.push(id);
    }
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(state_of(&t, id).await, State::Success, "memo {i}: {}", memos[i](id));
    }
    t.shutdown().await;
}

#[tokio::test]
async fn concurrent_deliveries_on_two_nodes_settle_once_postgres() {
    let a = production(Backend::Postgres).await;
    let b = a
        .another_node(|c| {
            c.mode = Mode::Production;
            c.master_key = Some("22".repeat(32));
            c.outbound_allow = vec!["127.0.0.0/8".parse().expect("net")];
        })
        .await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = shop(&a, "SHOPF").await;
    for round in 0..5 {
        let id = qr_order(&a, &p, &format!("race-{round}"), 30_000, &m.url).await;
        let body = sepay_body(7_000 + round, ACCOUNT, 30_000, &format!("TT {id}"), "in");
        let mut tasks = Vec::new();
        for i in 0..8 {
            let node = if i % 2 == 0 { a.base.clone() } else { b.base.clone() };
            let (body, http) = (body.clone(), a.http.clone());
            tasks.push(tokio::spawn(async move {
                let ts = now_s().to_string();
                let sig = sepay::sign(HMAC_SECRET, &ts, body.as_bytes());
                let resp = http
                    .post(format!("{node}/bank-feeds/sepay/SHOPF"))
                    .header(sepay::SIGNATURE_HEADER, sig)
                    .header(sepay::TIMESTAMP_HEADER, ts)
                    .body(body)
                    .send()
                    .await
                    .expect("request");
                resp.status().as_u16()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.expect("task"), 200);
        }
        assert_eq!(state_of(&a, &id).await, State::Success);
        let deliveries = a.gw().deliveries(&id).await.expect("deliveries");
        assert_eq!(deliveries.len(), 1, "one IPN queued for round {round}");
    }
    let credits = a
        .gw()
        .credits(&appotapay_gateway::core::CreditQuery { partner_code: Some("SHOPF"), limit: 50, ..Default::default() })
        .await
        .expect("list");
    assert_eq!(credits.len(), 5, "each transaction recorded once");
    assert!(credits.iter().all(|c| c.status == CreditStatus::Settled), "{credits:?}");
    let ipns = m.wait_for(5, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(ipns.len(), 5);
    assert_eq!(m.received().len(), 5);
    b.shutdown().await;
    a.shutdown().await;
}

on_both!(refunds_of_feed_payments_are_paid_by_hand);
async fn refunds_of_feed_payments_are_paid_by_hand(backend: Backend) {
    let t = production(backend).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = shop(&t, "SHOPG").await;
    let id = qr_order(&t, &p, "qr-1", 80_000, &m.url).await;
    let (s, _) = sepay_signed(&t, "SHOPG", &sepay_body(31, ACCOUNT, 80_000, &id, "in")).await;
    assert_eq!(s, 200);
    let body = p.sign(
        &signing::REFUND_REQUEST,
        json!({"refundId": "rf-1", "appotapayTransId": id, "amount": 30_000, "reason": "khach tra hang"}),
    );
    let (s, v, _) = t.post(&p, "/api/v1/transaction/refund", &body).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["errorCode"], 0);
    assert_eq!(v["data"]["status"], "pending", "to be paid by the merchant by hand: {v}");
    let rid = v["data"]["refundId"].as_str().expect("refund id").to_owned();
    // The sweeper never hands it to a bank.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let refunds = t.gw().order_refunds(&id).await.expect("refunds");
    assert_eq!(refunds.len(), 1);
    assert_eq!((refunds[0].refund_id.as_str(), refunds[0].status.as_str()), (rid.as_str(), "pending"));
    assert_eq!(refunds[0].due_at_ms, None);
    // The operator records it done.
    let (s, v) = admin_post(&t, &format!("/admin/api/v1/refunds/{rid}/by-hand"), json!({"status": "success"})).await;
    assert_eq!((s, v["status"].clone()), (200, json!("success")), "{v}");
    let (s, _) = admin_post(&t, &format!("/admin/api/v1/refunds/{rid}/by-hand"), json!({"status": "error"})).await;
    assert_eq!(s, 409, "final already");
    let (s, _) = admin_post(&t, "/admin/api/v1/refunds/RF000000000000/by-hand", json!({"status": "success"})).await;
    assert_eq!(s, 404);
    let (s, _) = admin_post(&t, &format!("/admin/api/v1/refunds/{rid}/by-hand"), json!({"status": "maybe"})).await;
    assert_eq!(s, 400);
    // The partner's refund API reports it.
    let resp = t
        .http
        .get(format!("{}/api/v1/transaction/refund/rf-1", t.base))
        .header("X-APPOTAPAY-AUTH", format!("Bearer {}", p.token()))
        .send()
        .await
        .expect("request");
    let detail: Value = resp.json().await.expect("JSON");
    assert_eq!(detail["data"]["status"], "success", "{detail}");
    // A second one, recorded as failed: its amount is free again.
    let body = p.sign(
        &signing::REFUND_REQUEST,
        json!({"refundId": "rf-2", "appotapayTransId": id, "amount": 50_000, "reason": "het hang"}),
    );
    let (s, _, _) = t.post(&p, "/api/v1/transaction/refund", &body).await;
    assert_eq!(s, 200);
    let rid2 = t.gw().order_refunds(&id).await.expect("refunds")[1].refund_id.clone();
    match t.gw().finish_refund_by_hand(&rid2, false).await.expect("mark") {
        appotapay_gateway::core::ByHand::Done(r) => assert_eq!(r.status.as_str(), "error"),
        other => panic!("{other:?}"),
    }
    let ledger = t.gw().refund_ledger(&t.gw().order(&id).await.expect("read").expect("order")).await.expect("ledger");
    assert_eq!((ledger.committed, ledger.refunded), (30_000, 30_000));
    t.shutdown().await;
}

on_both!(the_sandbox_rehearses_bank_feeds);
async fn the_sandbox_rehearses_bank_feeds(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let code = appotapay_protocol::sandbox_partner::PARTNER_CODE;
    let feed = NewFeed {
        auth: FeedAuth::SepayHmac,
        secret: HMAC_SECRET.into(),
        api_token: None,
        api_url: None,
        reconcile_every: None,
    };
    t.gw().add_feed(code, feed).await.expect("store").expect("feed");
    let id = qr_order(&t, &p, "rehearse-1", 25_000, &m.url).await;
    // No account of its own: the gateway's configured account collects.
    let gateway_account = t.gw().collecting_account().account.clone();
    let (s, _) = sepay_signed(&t, code, &sepay_body(77, &gateway_account, 25_000, &id, "in")).await;
    assert_eq!(s, 200);
    assert_eq!(state_of(&t, &id).await, State::Success);
    assert_eq!(m.wait_for(1, Duration::from_secs(5)).await.len(), 1);
    // Without a valid admin token the admin API answers 401.
    for path in ["/admin/api/v1/credits", "/admin/api/v1/credits/1"] {
        let resp = t
            .http
            .get(format!("{}{path}", t.base))
            .header("authorization", "Bearer anything-at-all-123")
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status().as_u16(), 401, "{path}");
    }
    // A forged one, then the counters (the sandbox serves /metrics without a token).
    let (s, _) =
        post_feed(&t, &format!("/bank-feeds/sepay/{code}"), "{}", &[(sepay::SIGNATURE_HEADER, "sha256=00")]).await;
    assert_eq!(s, 401);
    let metrics = t.http.get(format!("{}/metrics", t.base)).send().await.expect("metrics").text().await.expect("text");
    for name in [
        "appotapay_bank_credits_received_total",
        "appotapay_bank_credits_matched_total",
        "appotapay_bank_feed_auth_failures_total",
    ] {
        assert!(metrics.contains(name), "{name} in {metrics}");
    }
    t.shutdown().await;
}

/// One scripted answer: HTTP status, body, `Retry-After`.
type Scripted = (u16, Value, Option<&'static str>);

/// A provider's transaction-list API on 127.0.0.1: answers 429 first (with
/// `Retry-After`), then the scripted pages; records the requests.
#[derive(Clone, Default)]
struct ProviderApi {
    pages: Arc<Mutex<Vec<Scripted>>>,
    requests: Arc<Mutex<Vec<(String, String, Instant)>>>,
}

async fn provider_api(s: AxState<ProviderApi>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    s.requests.lock().expect("lock").push((uri.to_string(), auth, Instant::now()));
    let next = {
        let mut pages = s.pages.lock().expect("lock");
        if pages.len() > 1 { Some(pages.remove(0)) } else { pages.first().cloned() }
    };
    match next {
        Some((status, body, retry_after)) => {
            let mut resp = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), axum::Json(body)).into_response();
            if let Some(r) = retry_after {
                resp.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static(r));
            }
            resp
        }
        None => (StatusCode::NOT_FOUND, "no script").into_response(),
    }
}

async fn start_provider(api: ProviderApi) -> String {
    let app = axum::Router::new().fallback(provider_api).with_state(api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

on_both!(reconciliation_catches_missed_webhooks);
async fn reconciliation_catches_missed_webhooks(backend: Backend) {
    let t = production(backend).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = shop(&t, "SHOPH").await;
    let a = qr_order(&t, &p, "lost-sepay", 40_000, &m.url).await;
    let b = qr_order(&t, &p, "lost-casso-1", 41_000, &m.url).await;
    let c = qr_order(&t, &p, "lost-casso-2", 42_000, &m.url).await;

    // SePay's list (the one with the webhook's numeric ids): rate-limited first.
    let sepay_api = ProviderApi::default();
    let row = json!({"id": "4501", "bank_brand_name": "Vietcombank", "account_number": ACCOUNT,
        "transaction_date": "2026-12-02 10:00:00", "amount_out": "0.00", "amount_in": "40000.00",
        "accumulated": "19077000.00", "transaction_content": format!("MBVCB.1.{a}.CT tu"), "reference_number": "FT1",
        "code": null, "sub_account": null, "bank_account_id": "19"});
    *sepay_api.pages.lock().expect("lock") = vec![
        (429, json!({"status": 429, "error": "rate limited"}), Some("1")),
        (200, json!({"status": 200, "error": null, "messages": {"success": true}, "transactions": [row]}), None),
    ];
    let sepay_url = start_provider(sepay_api.clone()).await;
    // Casso's list: two pages.
    let casso_api = ProviderApi::default();
    let rec = |id: i64, amount: i64, desc: String| {
        json!({"id": id, "tid": format!("TF{id}"), "description": desc, "amount": amount,
        "cusumBalance": 1_000_000, "when": "2026-12-02 10:00:00", "bookingDate": "2026-12-02", "bankSubAccId": ACCOUNT,
        "paymentChannel": "", "virtualAccount": "", "virtualAccountName": "", "corresponsiveName": "", "corresponsiveAccount": "",
        "corresponsiveBankId": "", "corresponsiveBankName": ""})
    };
    *casso_api.pages.lock().expect("lock") = vec![
        (
            200,
            json!({"error": 0, "message": "success", "data": {"page": 1, "pageSize": 1, "nextPage": 2, "prevPage": 0,
            "totalPages": 2, "totalRecords": 2, "records": [rec(801, 41_000, format!("TT {b}"))]}}),
            None,
        ),
        (
            200,
            json!({"error": 0, "message": "success", "data": {"page": 2, "pageSize": 1, "nextPage": 0, "prevPage": 1,
            "totalPages": 2, "totalRecords": 2, "records": [rec(802, 42_000, format!("TT {c}"))]}}),
            None,
        ),
    ];
    let casso_url = start_provider(casso_api.clone()).await;

    let gw = t.gw();
    for (auth, secret, token, url) in [
        (FeedAuth::SepayApiKey, "sepay-poll-key-0123456789", "SEPAYTOKEN123", sepay_url),
        (FeedAuth::CassoSecureToken, "casso-poll-token-0123", "CASSOKEY456", casso_url),
    ] {
        let feed = NewFeed {
            auth,
            secret: secret.into(),
            api_token: Some(token.into()),
            api_url: Some(url),
            reconcile_every: Some(Duration::from_secs(1)),
        };
        gw.add_feed("SHOPH", feed).await.expect("store").expect("feed");
    }
    let end = Instant::now() + Duration::from_secs(20);
    while Instant::now() < end
        && !(state_of(&t, &a).await == State::Success
            && state_of(&t, &b).await == State::Success
            && state_of(&t, &c).await == State::Success)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for id in [&a, &b, &c] {
        assert_eq!(state_of(&t, id).await, State::Success, "{id} settled by the reconciliation");
    }
    assert_eq!(m.wait_for(3, Duration::from_secs(5)).await.len(), 3);

    let sreq = sepay_api.requests.lock().expect("lock").clone();
    assert!(sreq.len() >= 2, "{sreq:?}");
    assert!(sreq[0].0.starts_with("/userapi/transactions/list?"), "{}", sreq[0].0);
    assert!(sreq.iter().all(|r| r.1 == "Bearer SEPAYTOKEN123"));
    assert!(sreq[1].2.duration_since(sreq[0].2) >= Duration::from_millis(950), "Retry-After honoured: {sreq:?}");
    let creq = casso_api.requests.lock().expect("lock").clone();
    assert!(creq.iter().all(|r| r.1 == "Apikey CASSOKEY456"));
    assert!(creq.iter().any(|r| r.0.contains("page=2")), "{creq:?}");
    assert!(creq.windows(2).all(|w| w[1].2.duration_since(w[0].2) >= Duration::from_millis(350)), "paced");

    // The webhook arriving late for the same transaction records nothing more.
    let body = sepay_body(4501, ACCOUNT, 40_000, &a, "in");
    let (s, _) =
        post_feed(&t, "/bank-feeds/sepay/SHOPH", &body, &[("Authorization", "Apikey sepay-poll-key-0123456789")]).await;
    assert_eq!(s, 200);
    // Later runs find only what is on record.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let credits = gw
        .credits(&appotapay_gateway::core::CreditQuery { partner_code: Some("SHOPH"), limit: 50, ..Default::default() })
        .await
        .expect("list");
    assert_eq!(credits.len(), 3, "{credits:?}");
    assert!(credits.iter().all(|c| c.status == CreditStatus::Settled && c.new.via.as_str() == "reconciliation"));
    assert_eq!(m.received().len(), 3);
    t.shutdown().await;
}

/// Runs the real binary's admin command on `t`'s database (production, the test
/// master key); its exit success and output.
fn cli(t: &TestGateway, args: &[&str]) -> (bool, String) {
    cli_with_stdin(t, args, "")
}

/// [`cli`] with `stdin` on the command's standard input.
fn cli_with_stdin(t: &TestGateway, args: &[&str], stdin: &str) -> (bool, String) {
    use std::io::Write;
    let url = t.gw().config().database_url.clone();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_appotapay-gateway"))
        .env_remove("APPOTAPAY_CONFIG")
        .env("APPOTAPAY_DATABASE_URL", url)
        .env("APPOTAPAY_DATA_DIR", t.dir.path())
        .env("APPOTAPAY_MODE", "production")
        .env("APPOTAPAY_MASTER_KEY", "22".repeat(32))
        .env("RUST_LOG", "warn")
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the binary");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

on_both!(the_command_line_sets_up_accounts_feeds_and_handles_credits);
async fn the_command_line_sets_up_accounts_feeds_and_handles_credits(backend: Backend) {
    let t = production(backend).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.partner("SHOPI", false).await;
    let ok = |r: (bool, String)| {
        assert!(r.0, "{}", r.1);
        r.1
    };
    ok(cli(
        &t,
        &["partner", "account", "set", "--code", "SHOPI", "--bin", "970436", "--account", ACCOUNT, "--name", "SHOP A"],
    ));
    let shown = ok(cli(&t, &["partner", "account", "show", "--code", "SHOPI"]));
    assert!(shown.contains(&format!("\"account\":\"{ACCOUNT}\"")) && shown.contains("SHOP A"), "{shown}");
    for bad in [
        vec!["partner", "account", "set", "--code", "SHOPI", "--bin", "97043", "--account", ACCOUNT, "--name", "X"],
        vec!["partner", "account", "set", "--code", "NOBODY", "--bin", "970436", "--account", ACCOUNT, "--name", "X"],
        vec!["partner", "bank-feed", "add", "--code", "SHOPI", "--provider", "casso", "--hmac-secret", "s"],
        vec![
            "partner",
            "bank-feed",
            "add",
            "--code",
            "SHOPI",
            "--provider",
            "sepay",
            "--api-key",
            "a",
            "--hmac-secret",
            "b",
        ],
        vec!["partner", "bank-feed", "add", "--code", "SHOPI", "--provider", "sepay"],
        vec![
            "partner",
            "bank-feed",
            "add",
            "--code",
            "SHOPI",
            "--provider",
            "sepay",
            "--api-key",
            "k",
            "--api-token",
            "t",
        ],
        vec!["partner", "bank-feed", "add", "--code", "NOBODY", "--provider", "sepay", "--api-key", "k"],
    ] {
        let (success, out) = cli(&t, &bad);
        assert!(!success, "{bad:?} must fail: {out}");
        assert!(out.contains("error") || out.contains("Usage"), "{bad:?}: {out}");
    }
    // The credential from standard input: it shows in no process listing.
    let added = ok(cli_with_stdin(
        &t,
        &["partner", "bank-feed", "add", "--code", "SHOPI", "--provider", "sepay", "--hmac-secret", "-"],
        &format!("{HMAC_SECRET}\n"),
    ));
    let feed: Value = serde_json::from_str(added.lines().find(|l| l.starts_with('{')).expect("line")).expect("JSON");
    assert_eq!(feed["webhookPath"], "/bank-feeds/sepay/SHOPI");
    let listed = ok(cli(&t, &["partner", "bank-feed", "list", "--code", "SHOPI"]));
    assert!(listed.contains(feed["id"].as_str().expect("id")) && !listed.contains(HMAC_SECRET), "{listed}");

    // Orders now name the account; an underpayment stays open until resolved.
    let paid = qr_order(&t, &p, "cli-paid", 70_000, &m.url).await;
    let short = qr_order(&t, &p, "cli-short", 70_000, &m.url).await;
    assert_eq!(sepay_signed(&t, "SHOPI", &sepay_body(61, ACCOUNT, 70_000, &paid, "in")).await.0, 200);
    assert_eq!(sepay_signed(&t, "SHOPI", &sepay_body(62, ACCOUNT, 7_000, &short, "in")).await.0, 200);
    let open = ok(cli(&t, &["partner", "credits", "list", "--code", "SHOPI", "--status", "open"]));
    let open: Vec<Value> =
        open.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(open.len(), 1);
    assert_eq!((open[0]["reason"].clone(), open[0]["appotapayTransId"].clone()), (json!("underpaid"), json!(short)));
    let id = open[0]["id"].to_string();
    ok(cli(&t, &["credits", "resolve", &id, "--note", "7.000 VND paid back to the customer"]));
    assert!(!cli(&t, &["credits", "resolve", &id, "--note", "again"]).0, "only open credits resolve");
    let resolved = ok(cli(&t, &["partner", "credits", "list", "--code", "SHOPI", "--status", "resolved"]));
    assert!(resolved.contains("7.000 VND paid back"), "{resolved}");

    // A refund paid by hand, recorded from the command line.
    let body = p.sign(
        &signing::REFUND_REQUEST,
        json!({"refundId": "cli-rf", "appotapayTransId": paid, "amount": 70_000, "reason": "doi y"}),
    );
    let (s, v, _) = t.post(&p, "/api/v1/transaction/refund", &body).await;
    assert_eq!((s, v["data"]["status"].clone()), (200, json!("pending")), "{v}");
    let rid = v["data"]["refundId"].as_str().expect("id").to_owned();
    ok(cli(&t, &["refund", "mark", &rid, "--status", "success"]));
    assert!(!cli(&t, &["refund", "mark", &rid, "--status", "error"]).0, "final already");
    assert_eq!(t.gw().order_refunds(&paid).await.expect("refunds")[0].status.as_str(), "success");

    // Removing the feed refuses its webhooks from then on.
    ok(cli(&t, &["partner", "bank-feed", "remove", "--code", "SHOPI", "--id", feed["id"].as_str().expect("id")]));
    assert_eq!(sepay_signed(&t, "SHOPI", &sepay_body(63, ACCOUNT, 70_000, &short, "in")).await.0, 401);
    ok(cli(&t, &["partner", "account", "clear", "--code", "SHOPI"]));
    assert!(cli(&t, &["partner", "account", "show", "--code", "SHOPI"]).1.contains("\"gatewayAccount\":true"));
    t.shutdown().await;
}

on_both!(one_transfer_pays_once_and_one_odd_row_hides_nothing);
async fn one_transfer_pays_once_and_one_odd_row_hides_nothing(backend: Backend) {
    let t = production(backend).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = shop(&t, "SHOPJ").await;
    let q = shop(&t, "SHOPK").await;

    // One transfer, reported by SePay and by Casso (the account linked to both): paid once.
    let a = qr_order(&t, &p, "both-feeds", 33_000, &m.url).await;
    let mut sepay = serde_json::from_str::<Value>(&sepay_body(4_242, ACCOUNT, 33_000, &a, "in")).expect("JSON");
    sepay["referenceCode"] = json!("FT26336123456789");
    assert_eq!(sepay_signed(&t, "SHOPJ", &sepay.to_string()).await.0, 200);
    let mut casso_body = serde_json::from_str::<Value>(&casso_v2_body(4_242, ACCOUNT, 33_000, &a)).expect("JSON");
    casso_body["data"]["reference"] = json!("FT26336123456789");
    let casso_body = casso_body.to_string();
    let sig = casso::sign_v2(CHECKSUM_KEY, appotapay_gateway::now_ms(), casso_body.as_bytes()).expect("sign");
    assert_eq!(post_feed(&t, "/bank-feeds/casso/SHOPJ", &casso_body, &[(casso::SIGNATURE_HEADER, &sig)]).await.0, 200);
    let (_, list) = admin_get(&t, "/admin/api/v1/credits?partner=SHOPJ").await;
    let list = list["credits"].as_array().expect("credits").clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|c| c["status"] == "settled").count(), 1, "{list:?}");
    let second = list.iter().find(|c| c["provider"] == "casso").expect("casso's");
    assert_eq!(second["status"], "ignored", "not an open credit to pay back: {second}");
    assert!(second["reason"].as_str().is_some_and(|r| r.starts_with("same bank transfer")), "{second}");

    // Another partner's feed using the same provider id takes nothing from this one.
    let b = qr_order(&t, &q, "same-id", 12_000, &m.url).await;
    assert_eq!(sepay_signed(&t, "SHOPK", &sepay_body(4_242, ACCOUNT, 12_000, &b, "in")).await.0, 200);
    assert_eq!(state_of(&t, &b).await, State::Success, "recorded for its own partner");

    // Casso v1: one row that does not read is kept apart; the others settle.
    let c = qr_order(&t, &p, "v1-ok", 21_000, &m.url).await;
    let v1 = json!({"error": 0, "data": [
        {"id": 9_001, "tid": "TF9001", "amount": "lots", "description": "?", "when": "2026-12-02", "bank_sub_acc_id": ACCOUNT},
        {"id": 9_002, "tid": "TF9002", "amount": 21_000, "description": format!("DH {c}"), "when": "2026-12-02", "bank_sub_acc_id": ACCOUNT}
    ]})
    .to_string();
    assert_eq!(
        post_feed(&t, "/bank-feeds/casso/SHOPJ", &v1, &[(casso::SECURE_TOKEN_HEADER, SECURE_TOKEN)]).await.0,
        200
    );
    assert_eq!(state_of(&t, &c).await, State::Success);
    let (_, kept) = admin_get(&t, "/admin/api/v1/credits?partner=SHOPJ&status=unreadable").await;
    let kept = kept["credits"].as_array().expect("credits").clone();
    assert_eq!(kept.len(), 1);
    assert!(kept[0]["raw"].as_str().is_some_and(|r| r.contains("lots")), "{kept:?}");

    // An order keeps the account its VietQR names when the partner sets a new one.
    let old = qr_order(&t, &p, "old-account", 44_000, &m.url).await;
    t.gw()
        .set_partner_account(
            "SHOPJ",
            BankAccount { bin: "970418".into(), account: "5550001111".into(), name: "SHOP A MOI".into() },
        )
        .await
        .expect("new account");
    let new = qr_order(&t, &p, "new-account", 44_000, &m.url).await;
    assert_eq!(sepay_signed(&t, "SHOPJ", &sepay_body(4_300, "5550001111", 44_000, &old, "in")).await.0, 200);
    assert_eq!(state_of(&t, &old).await, State::Pending, "paid into another account than its QR named");
    assert_eq!(sepay_signed(&t, "SHOPJ", &sepay_body(4_301, ACCOUNT, 44_000, &old, "in")).await.0, 200);
    assert_eq!(state_of(&t, &old).await, State::Success, "paid into the account its QR named");
    assert_eq!(sepay_signed(&t, "SHOPJ", &sepay_body(4_302, "5550001111", 44_000, &new, "in")).await.0, 200);
    assert_eq!(state_of(&t, &new).await, State::Success);
    let (_, open) = admin_get(&t, "/admin/api/v1/credits?partner=SHOPJ&status=open").await;
    assert_eq!(open["credits"][0]["reason"], "wrong_account");
    // An empty partner filter lists every partner's.
    let (_, all) = admin_get(&t, "/admin/api/v1/credits?partner=&limit=500").await;
    assert!(all["credits"].as_array().is_some_and(|c| c.iter().any(|c| c["partnerCode"] == "SHOPK")));
    t.shutdown().await;
}
