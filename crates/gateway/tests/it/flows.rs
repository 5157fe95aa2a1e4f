//! Whole payment flows through the partner API and the sandbox helpers.

use crate::harness::*;
use appotapay_gateway::domain::order::State;
use appotapay_protocol::signing::{self, canonical_data_with};
use appotapay_protocol::vietqr::VietQr;
use appotapay_protocol::{DECLINE_CODES, ErrorCode, jwt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// Checks a redirect URL's signature the way a merchant would: form-decode, then sign.
fn verify_redirect(p: &Partner, url: &str) -> HashMap<String, String> {
    let q = query_map(url);
    let data = canonical_data_with(&signing::NOTIFICATION, |k| q.get(k).map(|v| v.as_str().into()));
    assert!(signing::verify_data(&p.secret, &data, &q["signature"]).is_ok(), "redirect signature: {url}");
    q
}

fn verify_ipn(p: &Partner, body: &Value) {
    assert!(signing::verify_json(&signing::NOTIFICATION, &p.secret, body).is_ok(), "IPN signature: {body}");
}

on_both!(atm_payment_end_to_end);
async fn atm_payment_end_to_end(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let created = t.create_bank(&p, "atm-1", 150_000, "ATM", "VCB", &m.url).await;
    assert_eq!(created["amount"], 150_000);
    assert_eq!(created["orderId"], "atm-1");
    assert_eq!(created["message"], "Thành công");
    let obj = created.as_object().expect("object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["amount", "errorCode", "message", "orderId", "paymentUrl", "signature"],
        "exactly the documented keys"
    );
    let payment_url = created["paymentUrl"].as_str().expect("url");
    assert!(payment_url.starts_with(&format!("{}/bank/payment/process?tran=", t.base)));
    let trans_id = t.trans_id_of(payment_url);
    assert!(trans_id.parse::<appotapay_protocol::AppotapayTransId>().is_ok(), "{trans_id}");

    let (s, before) = t.status(&p, "atm-1").await;
    assert_eq!(s, 200);
    assert_eq!(before["errorCode"], 35, "pending: {before}");
    assert!(signing::verify_json(&signing::STATUS_RESPONSE, &p.secret, &before).is_ok());
    assert!(before.get("cardInfo").is_none(), "no cardInfo for ATM");

    let (s, done) = t.complete(&p, &trans_id, 0).await;
    assert_eq!(s, 200, "{done}");
    assert_eq!(done["errorCode"], 0);
    let redirect = done["redirectUrl"].as_str().expect("redirect");
    assert!(redirect.starts_with("http://127.0.0.1:9/return?shop=1&"), "existing query kept: {redirect}");
    let q = verify_redirect(&p, redirect);
    assert_eq!(q["errorCode"], "0");
    assert_eq!(q["message"], "Thành công");
    assert_eq!(q["amount"], "150000");
    assert_eq!(q["orderId"], "atm-1");
    assert_eq!(q["bankCode"], "VCB");
    assert_eq!(q["paymentMethod"], "ATM");
    assert_eq!(q["paymentType"], "WEB");
    assert_eq!(q["currency"], "VND");
    assert_eq!(q["extraData"], "cart=42 x&y");
    assert_eq!(q["appotapayTransId"], trans_id);
    assert_eq!(q["partnerCode"], "APPOTAPAY");

    let ipns = m.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(ipns.len(), 1);
    let ipn = &ipns[0].body;
    verify_ipn(&p, ipn);
    assert_eq!(ipn["errorCode"], 0);
    assert_eq!(ipn["amount"], 150_000);
    assert_eq!(ipn["appotapayTransId"], trans_id.as_str());
    assert_eq!(ipn["transactionTs"].as_i64().map(|v| v.to_string()), Some(q["transactionTs"].clone()));

    let (_, after) = t.status(&p, "atm-1").await;
    assert_eq!(after["errorCode"], 0);
    assert_eq!(after["transactionTs"], ipn["transactionTs"]);
    assert!(signing::verify_json(&signing::STATUS_RESPONSE, &p.secret, &after).is_ok());

    let (s, again) = t.complete(&p, &trans_id, 0).await;
    assert_eq!((s, again["errorCode"].clone()), (400, json!(41)), "already succeeded");
    let (s, again) = t.complete(&p, &trans_id, 38).await;
    assert_eq!((s, again["errorCode"].clone()), (400, json!(41)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(m.received().len(), 1, "exactly one IPN");
    t.shutdown().await;
}

on_both!(cc_and_all_record_what_was_used);
async fn cc_and_all_record_what_was_used(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let cc = t.create_bank(&p, "cc-1", 20_000, "CC", "", &m.url).await;
    let cc_id = t.trans_id_of(cc["paymentUrl"].as_str().expect("url"));
    let (s, _) = t.complete(&p, &cc_id, 0).await;
    assert_eq!(s, 200);
    let (_, st) = t.status(&p, "cc-1").await;
    assert_eq!(st["paymentMethod"], "CC");
    assert_eq!(st["bankCode"], "MASTERCARD");
    assert_eq!(st["cardInfo"]["cardNumber"], "512345******2346");
    assert!(signing::verify_json(&signing::STATUS_RESPONSE, &p.secret, &st).is_ok(), "cardInfo is not signed");

    let all = t.create_bank(&p, "all-1", 30_000, "ALL", "", &m.url).await;
    let all_id = t.trans_id_of(all["paymentUrl"].as_str().expect("url"));
    let (_, done) = t.complete(&p, &all_id, 0).await;
    let q = verify_redirect(&p, done["redirectUrl"].as_str().expect("redirect"));
    assert_eq!(q["paymentMethod"], "ATM");
    assert_eq!(q["bankCode"], "MB");

    let all_visa = t.create_bank(&p, "all-2", 30_000, "ALL", "VISA", &m.url).await;
    let id = t.trans_id_of(all_visa["paymentUrl"].as_str().expect("url"));
    let (_, done) = t.complete(&p, &id, 0).await;
    let q = verify_redirect(&p, done["redirectUrl"].as_str().expect("redirect"));
    assert_eq!((q["paymentMethod"].as_str(), q["bankCode"].as_str()), ("CC", "VISA"));
    let ipns = m.wait_for(3, Duration::from_secs(5)).await;
    assert_eq!(ipns.len(), 3);
    for i in &ipns {
        verify_ipn(&p, &i.body);
    }
    t.shutdown().await;
}

on_both!(qr_payment_by_bank_credit);
async fn qr_payment_by_bank_credit(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let before = appotapay_gateway::now_ms() / 1000;
    let created = t.create_qr(&p, "qr-1", 79_000, &m.url).await;
    let trans_id = created["appotapayTransId"].as_str().expect("id").to_owned();
    let qr_url = created["qrData"]["qrCodeUrl"].as_str().expect("qrCodeUrl");
    assert!(qr_url.starts_with(&format!("{}/qr/{trans_id}.png?sign=", t.base)), "{qr_url}");
    assert_eq!(qr_url, t.gw().qr_code_url(&trans_id), "the same URL for the order every time");
    let expiry = created["qrData"]["qrCodeExpiryIn"].as_i64().expect("expiry");
    assert!((before + 899..=before + 902).contains(&expiry), "unix time of expiry: {expiry}");
    let order = t.gw().order(&trans_id).await.expect("get").expect("order");
    let qr = VietQr::parse(order.qr_payload.as_deref().expect("payload")).expect("valid VietQR");
    assert_eq!(qr.amount, Some(79_000));
    assert_eq!(qr.memo.as_deref(), Some(trans_id.as_str()));
    assert_eq!(qr.bin, "970415");

    let credit = |amount: i64, memo: &str| json!({"amount": amount, "memo": memo});
    let (s, v, _) = t.post(&p, "/api/v1/sandbox/bank-credit", &credit(78_000, &trans_id)).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(32)), "wrong amount");
    let (s, v, _) = t.post(&p, "/api/v1/sandbox/bank-credit", &credit(79_000, "AP000000000001")).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(36)), "unknown memo");
    let (_, st) = t.status(&p, "qr-1").await;
    assert_eq!(st["errorCode"], 35, "nothing completed");

    let (s, v, _) = t.post(&p, "/api/v1/sandbox/bank-credit", &credit(79_000, &trans_id)).await;
    assert_eq!((s, v["errorCode"].clone()), (200, json!(0)), "{v}");
    let ipns = m.wait_for(1, Duration::from_secs(5)).await;
    verify_ipn(&p, &ipns[0].body);
    assert_eq!(ipns[0].body["paymentMethod"], "QR");
    let (_, st) = t.status(&p, "qr-1").await;
    assert_eq!(st["errorCode"], 0);
    let (s, v, _) = t.post(&p, "/api/v1/sandbox/bank-credit", &credit(79_000, &trans_id)).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(41)), "second credit");

    // A bank order's id is not a QR memo.
    let bank = t.create_bank(&p, "bank-for-memo", 10_000, "ATM", "", &m.url).await;
    let bank_id = t.trans_id_of(bank["paymentUrl"].as_str().expect("url"));
    let (s, v, _) = t.post(&p, "/api/v1/sandbox/bank-credit", &credit(10_000, &bank_id)).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(36)));
    t.shutdown().await;
}

on_both!(every_decline_code_cancel_and_failure_ipns);
async fn every_decline_code_cancel_and_failure_ipns(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let quiet = t.sandbox();
    let loud = t.partner("LOUD", true).await;
    let mut codes: Vec<u32> = DECLINE_CODES.iter().map(|c| c.code()).collect();
    codes.push(ErrorCode::CANCELLED.code());
    codes.push(ErrorCode::PAYMENT_EXPIRED.code());
    for code in &codes {
        for p in [&quiet, &loud] {
            let oid = format!("d-{code}");
            let created = t.create_bank(p, &oid, 50_000, "ATM", "TPBANK", &m.url).await;
            let id = t.trans_id_of(created["paymentUrl"].as_str().expect("url"));
            let (s, v) = t.complete(p, &id, *code).await;
            assert_eq!(s, 200, "{code}: {v}");
            let q = verify_redirect(p, v["redirectUrl"].as_str().expect("redirect"));
            assert_eq!(q["errorCode"], code.to_string());
            assert_eq!(q["message"], ErrorCode(*code).message(appotapay_protocol::Lang::Vi));
            let (_, st) = t.status(p, &oid).await;
            assert_eq!(st["errorCode"], *code, "status of a {code} order");
            let (s, again) = t.complete(p, &id, 0).await;
            assert_eq!((s, again["errorCode"].clone()), (400, json!(code)), "final stays final");
        }
    }
    let ipns = m.wait_for(codes.len(), Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ipns_now = m.received();
    assert_eq!(ipns_now.len(), codes.len(), "failures notified only for the partner that opted in");
    for i in &ipns {
        assert_eq!(i.body["partnerCode"], "LOUD");
        verify_ipn(&loud, &i.body);
    }
    // Codes that are not payment outcomes are refused.
    let created = t.create_bank(&quiet, "bad-code", 50_000, "ATM", "", &m.url).await;
    let id = t.trans_id_of(created["paymentUrl"].as_str().expect("url"));
    for bad in [1u32, 30, 35, 41, 500, 9999] {
        let (s, v) = t.complete(&quiet, &id, bad).await;
        assert_eq!((s, v["errorCode"].clone()), (400, json!(1)), "code {bad}");
    }
    let (s, v) = t.complete(&quiet, "AP000000000000", 0).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(36)));
    // Another partner's transaction is unknown to this one.
    let (s, v) = t.complete(&loud, &id, 0).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(36)));
    t.shutdown().await;
}

on_both!(expiry_is_reported_at_once_and_swept);
async fn expiry_is_reported_at_once_and_swept(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| c.payment_ttl = Duration::from_secs(1)).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.partner("EXP", true).await;
    let created = t.create_bank(&p, "exp-1", 10_000, "ATM", "", &m.url).await;
    let id = t.trans_id_of(created["paymentUrl"].as_str().expect("url"));
    let (_, st) = t.status(&p, "exp-1").await;
    assert_eq!(st["errorCode"], 35);
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    let (_, st) = t.status(&p, "exp-1").await;
    assert_eq!(st["errorCode"], 77, "expired as soon as the lifetime ends");
    // The sweeper finalises it (and notifies the opted-in partner).
    let ipns = m.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(ipns.len(), 1);
    assert_eq!(ipns[0].body["errorCode"], 77);
    let order = t.gw().order(&id).await.expect("get").expect("order");
    assert_eq!(order.state, State::Expired);
    let (s, v) = t.complete(&p, &id, 0).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(77)));
    t.shutdown().await;
}

on_both!(a_settlement_of_an_overdue_order_not_yet_swept_answers_expired);
async fn a_settlement_of_an_overdue_order_not_yet_swept_answers_expired(backend: Backend) {
    // The sweeper runs far too rarely to get there first.
    let t = TestGateway::start_on(backend, |c| {
        c.payment_ttl = Duration::from_secs(1);
        c.sweep_interval = Duration::from_secs(3600);
    })
    .await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.partner("LATE", true).await;
    let created = t.create_bank(&p, "late-1", 10_000, "ATM", "VCB", &m.url).await;
    let card = t.trans_id_of(created["paymentUrl"].as_str().expect("url"));
    let qr = t.create_qr(&p, "late-2", 20_000, &m.url).await;
    let qr_id = qr["appotapayTransId"].as_str().expect("id").to_owned();
    tokio::time::sleep(Duration::from_millis(1_100)).await;

    let (s, v) = t.complete(&p, &card, 0).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(77)), "not a success: {v}");
    let redirect = v["redirectUrl"].as_str().expect("the customer is still sent back");
    assert!(redirect.contains("errorCode=77"), "{redirect}");
    let (s, v, _) = t.post(&p, "/api/v1/sandbox/bank-credit", &json!({"amount": 20_000, "memo": qr_id})).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(77)), "{v}");
    for oid in ["late-1", "late-2"] {
        let (_, st) = t.status(&p, oid).await;
        assert_eq!(st["errorCode"], 77, "{oid}");
    }
    t.shutdown().await;
}

on_both!(concurrent_settlements_have_exactly_one_winner);
async fn concurrent_settlements_have_exactly_one_winner(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.partner("RACE", true).await;
    for round in 0..20 {
        let oid = format!("race-{round}");
        let created = t.create_bank(&p, &oid, 10_000, "ATM", "", &m.url).await;
        let id = t.trans_id_of(created["paymentUrl"].as_str().expect("url"));
        let (a, b, c) = tokio::join!(t.complete(&p, &id, 0), t.complete(&p, &id, 61), t.complete(&p, &id, 38));
        let results = [a, b, c];
        let winners = results.iter().filter(|(s, _)| *s == 200).count();
        assert_eq!(winners, 1, "round {round}: {results:?}");
        let (_, st) = t.status(&p, &oid).await;
        let final_code = st["errorCode"].as_u64().expect("code");
        for (s, v) in &results {
            if *s != 200 {
                let expected = if final_code == 0 { 41 } else { final_code };
                assert_eq!(v["errorCode"], expected, "loser answer in round {round}");
            }
        }
    }
    let ipns = m.wait_for(20, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(m.received().len(), 20, "one IPN per order: {}", ipns.len());
    t.shutdown().await;
}

on_both!(duplicates_languages_request_ids_and_ops);
async fn duplicates_languages_request_ids_and_ops(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    t.create_bank(&p, "dup-1", 10_000, "ATM", "", &m.url).await;
    let (s, v, _) =
        t.post(&p, "/api/v1/orders/payment/bank", &p.bank_request("dup-1", 10_000, "ATM", "", &m.url)).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(30)));
    assert_eq!(v["message"], "Mã đơn hàng bị trùng");
    let (s, v, _) = t.post(&p, "/api/v1/orders/payment/qr", &p.qr_request("dup-1", 10_000, &m.url, "")).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(30)), "order ids are unique across both APIs");

    let body = p.bank_request("dup-1", 10_000, "ATM", "", &m.url).to_string().into_bytes();
    let (_, v, h) = t
        .post_raw(
            "/api/v1/orders/payment/bank",
            Some(&p.token()),
            body,
            &[("X-Language", "en"), ("X-Request-ID", "abc-123")],
        )
        .await;
    assert_eq!(v["message"], "Duplicate order id");
    assert_eq!(h.get("x-request-id").and_then(|v| v.to_str().ok()), Some("abc-123"));
    let (_, v, h) = t.post(&p, "/api/v1/orders/payment/bank", &p.bank_request("en-1", 10_000, "ATM", "", &m.url)).await;
    assert_eq!(v["errorCode"], 0);
    assert!(h.get("x-request-id").is_some(), "a request id is assigned when none is sent");
    let body = p.bank_request("en-2", 10_000, "ATM", "", &m.url).to_string().into_bytes();
    let (_, v, _) = t.post_raw("/api/v1/orders/payment/bank", Some(&p.token()), body, &[("X-Language", "en")]).await;
    assert_eq!(v["message"], "Success");
    assert!(signing::verify_json(&signing::BANK_PAYMENT_RESPONSE, &p.secret, &v).is_ok());

    let health = t.http.get(format!("{}/healthz", t.base)).send().await.expect("healthz");
    assert_eq!(health.status(), 200);
    let metrics = t.http.get(format!("{}/metrics", t.base)).send().await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("appotapay_orders_created_total"), "{metrics}");
    assert!(metrics.contains("appotapay_http_request_duration_seconds"), "{metrics}");
    if matches!(backend, Backend::Sqlite) {
        // The checkpointer reports each of its passes (every 100 ms).
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let metrics =
                t.http.get(format!("{}/metrics", t.base)).send().await.expect("metrics").text().await.expect("text");
            if metrics.contains(r#"appotapay_sqlite_checkpoint_seconds_count{by="background"}"#)
                && metrics.contains("appotapay_sqlite_wal_frames")
            {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no checkpoint in /metrics: {metrics}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    t.shutdown().await;
}

on_both!(sub_accounts);
async fn sub_accounts(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let other = t.partner("OTHER", false).await;
    let sub = appotapay_gateway::domain::records::SubAccount {
        id: "9723f73b-9295-4acb-884b-ab6310c2e653".into(),
        partner_code: "APPOTAPAY".into(),
        owner: true,
        created_at_ms: 0,
    };
    assert!(t.gw().add_sub_account(&sub).await.expect("insert"));
    let body = p.qr_request("sub-1", 10_000, &m.url, "").to_string().into_bytes();
    let (s, v, _) =
        t.post_raw("/api/v1/orders/payment/qr", Some(&p.token()), body, &[("X-Account-Ref-ID", &sub.id)]).await;
    assert_eq!(s, 200, "{v}");
    let id = v["appotapayTransId"].as_str().expect("id");
    let order = t.gw().order(id).await.expect("get").expect("order");
    assert_eq!(order.sub_account.as_deref(), Some(sub.id.as_str()));
    let body = p.qr_request("sub-2", 10_000, &m.url, "").to_string().into_bytes();
    let (s, v, _) =
        t.post_raw("/api/v1/orders/payment/qr", Some(&p.token()), body, &[("X-Account-Ref-ID", "nope")]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(90)));
    let body = other.qr_request("sub-3", 10_000, &m.url, "").to_string().into_bytes();
    let (s, v, _) =
        t.post_raw("/api/v1/orders/payment/qr", Some(&other.token()), body, &[("X-Account-Ref-ID", &sub.id)]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(90)), "another partner's sub-account");
    t.shutdown().await;
}

on_both!(text_no_database_can_hold_is_refused_or_not_found);
async fn text_no_database_can_hold_is_refused_or_not_found(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let mut body = p.bank_request("nul-1", 10_000, "ATM", "", &m.url);
    body["extraData"] = json!("a\u{0}b");
    let body = p.sign(&signing::BANK_PAYMENT_REQUEST, body);
    let (s, v, _) = t.post(&p, "/api/v1/orders/payment/bank", &body).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(1)), "{v}");
    let (s, v) = t.complete(&p, "AP%00", 0).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(36)), "{v}");
    let (s, v, _) = t.post(&p, "/api/v1/sandbox/bank-credit", &json!({"amount": 10_000, "memo": "AP\u{0}"})).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(36)), "{v}");
    t.shutdown().await;
}

on_both!(jwt_replay_check_accepts_each_token_once);
async fn jwt_replay_check_accepts_each_token_once(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| c.jwt_replay_check = true).await;
    let p = t.sandbox();
    let now = appotapay_gateway::now_ms() / 1000;
    let token = jwt::build(&p.code, &p.api_key, &p.secret, now, 300);
    let with_jti = |jti: Option<String>| {
        let mut claims = jwt::decode(&token).expect("decode").claims().clone();
        claims.jti = jti;
        jwt::build_with_claims(&claims, &p.secret)
    };
    let create = |token: String, order_id: &str| {
        let body =
            serde_json::to_vec(&p.bank_request(order_id, 10_000, "ATM", "", "http://127.0.0.1:9/ipn")).expect("json");
        let t = &t;
        async move {
            let (s, v, _) = t.post_raw("/api/v1/orders/payment/bank", Some(&token), body, &[]).await;
            (s, v["errorCode"].clone())
        }
    };
    assert_eq!(create(token.clone(), "rp-1").await, (200, json!(0)));
    assert_eq!(create(token.clone(), "rp-2").await, (401, json!(401)), "the same token again");
    // A token of its own per request passes; the replayed request created nothing.
    let fresh = with_jti(Some(format!("{}-{now}-2", p.api_key)));
    assert_eq!(create(fresh, "rp-2").await, (200, json!(0)));
    // Without a jti nothing can be checked: refused.
    assert_eq!(create(with_jti(None), "rp-3").await, (401, json!(401)));
    t.shutdown().await;
}

on_both!(without_the_replay_check_a_token_is_reused);
async fn without_the_replay_check_a_token_is_reused(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let token = p.token();
    for i in 0..3 {
        let body = serde_json::to_vec(&p.bank_request(&format!("ru-{i}"), 10_000, "ATM", "", "http://127.0.0.1:9/ipn"))
            .expect("json");
        let (s, v, _) = t.post_raw("/api/v1/orders/payment/bank", Some(&token), body, &[]).await;
        assert_eq!((s, v["errorCode"].clone()), (200, json!(0)), "{v}");
    }
    t.shutdown().await;
}

/// The SDK against a gateway that accepts each jti once: it fails once it reuses
/// its token, and works throughout with a token per request.
#[tokio::test]
async fn the_sdk_with_a_token_per_request_passes_the_replay_check() {
    use appotapay::{Amount, BankPaymentRequest, Environment, PaymentMethod};
    let t = TestGateway::start_with(|c| c.jwt_replay_check = true).await;
    let p = t.sandbox();
    let client = |per_request: bool| {
        appotapay::Client::builder()
            .partner_code(&p.code)
            .api_key(&p.api_key)
            .secret_key(p.secret.clone())
            .environment(Environment::Custom(t.base.clone()))
            .token_per_request(per_request)
            .build()
            .expect("client")
    };
    let order = |id: &str| BankPaymentRequest {
        order_id: id.into(),
        order_info: "replay".into(),
        amount: Amount::vnd(10_000),
        client_ip: "203.0.113.7".into(),
        notify_url: "http://127.0.0.1:9/ipn".into(),
        redirect_url: "http://127.0.0.1:9/return".into(),
        payment_method: PaymentMethod::Atm,
        bank_code: String::new(),
        extra_data: String::new(),
        signature: String::new(),
    };
    let reusing = client(false);
    reusing.create_bank_payment(order("sdk-rp-1")).await.expect("first use of the token");
    let err = reusing.create_bank_payment(order("sdk-rp-2")).await.expect_err("the token again");
    assert_eq!(err.api_code(), Some(ErrorCode::UNAUTHORIZED), "{err:?}");
    let fresh = client(true);
    for i in 0..5 {
        fresh.create_bank_payment(order(&format!("sdk-rp-f{i}"))).await.expect("a token of its own");
    }
    let status = fresh.transaction_status("sdk-rp-f4").await.expect("status");
    assert_eq!(status.error_code, ErrorCode::PENDING);
    t.shutdown().await;
}
