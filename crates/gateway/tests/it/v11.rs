//! API v1.1 over HTTP on both backends: the three readings of the create
//! signature (and the strict setting), the create answer's signature, saved cards
//! (save, look up, pay with, delete; 87 for unknown, deleted and other partners'
//! tokens), tokenResult in the redirect and the IPN under both signature readings,
//! the nested status answer, the list, and the owner-type sub-account rule.

use crate::harness::*;
use appotapay_gateway::config::V11Signatures;
use appotapay_protocol::signing::{self, canonical_data_with};
use appotapay_protocol::v11::{self, Reading, TokenResult};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

const CREATE: &str = "/api/v1.1/orders/payment/bank";
const STATUS: &str = "/api/v1.1/orders/transaction/bank/status";

pub fn v11_body(order_id: &str, method: &str, bank: &str, action: &str, token: Option<&str>, notify: &str) -> Value {
    let mut b = json!({
        "orderId": order_id, "orderInfo": "Đơn hàng v1.1", "amount": 50_000, "clientIp": "103.53.171.140",
        "notifyUrl": notify, "redirectUrl": "http://127.0.0.1:9/return", "paymentMethod": method,
        "bankCode": bank, "extraData": "x=1", "action": action
    });
    if let Some(t) = token {
        b["token"] = json!(t);
    }
    b
}

pub fn sign_v11(p: &Partner, mut body: Value, reading: Reading) -> Value {
    body["signature"] = json!(signing::sign_data(&p.secret, &reading.data(&body)));
    body
}

/// Creates a v1.1 order signed under `reading`; answers the status and the body.
pub async fn create_v11(t: &TestGateway, p: &Partner, body: Value, reading: Reading) -> (u16, Value) {
    let (s, v, _) = t.post(p, CREATE, &sign_v11(p, body, reading)).await;
    (s, v)
}

async fn status_v11(t: &TestGateway, p: &Partner, order_id: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let body = p.sign(&signing::STATUS_REQUEST, json!({"orderId": order_id}));
    t.call(p, Method::POST, STATUS, Some(&body), headers).await
}

fn verify_redirect_13(p: &Partner, url: &str) -> HashMap<String, String> {
    let q = query_map(url);
    let data = canonical_data_with(&signing::NOTIFICATION, |k| q.get(k).map(|v| v.as_str().into()));
    assert!(signing::verify_data(&p.secret, &data, &q["signature"]).is_ok(), "13-field signature: {url}");
    q
}

on_both!(create_accepts_each_reading_and_records_it);
async fn create_accepts_each_reading_and_records_it(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    for (i, reading) in Reading::ALL.into_iter().enumerate() {
        let id = format!("v11-read-{i}");
        let (s, v) =
            create_v11(&t, &p, v11_body(&id, "ATM", "VCB", "PAY", None, "http://127.0.0.1:9/ipn"), reading).await;
        assert_eq!(s, 200, "{reading:?}: {v}");
        assert_eq!(v["errorCode"], 0);
        assert!(signing::verify_json(&v11::CREATE_RESPONSE, &p.secret, &v).is_ok(), "errorCode+message: {v}");
        assert!(signing::verify_json(&signing::BANK_PAYMENT_RESPONSE, &p.secret, &v).is_err(), "not the five");
        let order = t.gw().find_order(&p.code, &id).await.expect("store").expect("order");
        assert_eq!(order.signature_reading.as_deref(), Some(reading.as_str()));
        assert_eq!(order.api, appotapay_gateway::store::ApiVersion::V1_1);
    }
    // A wrong signature under every reading is 2; an unknown action is 1.
    let mut bad = sign_v11(&p, v11_body("v11-bad", "ATM", "", "PAY", None, "http://127.0.0.1:9/ipn"), Reading::A);
    bad["amount"] = json!(50_001);
    let (s, v, _) = t.post(&p, CREATE, &bad).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(2)), "{v}");
    let (s, v) =
        create_v11(&t, &p, v11_body("v11-act", "ATM", "", "PAY_LATER", None, "http://127.0.0.1:9/ipn"), Reading::A)
            .await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(1)), "{v}");
    let (s, v) = create_v11(
        &t,
        &p,
        v11_body("v11-tok", "ATM", "", "PAY_WITH_TOKEN", None, "http://127.0.0.1:9/ipn"),
        Reading::A,
    )
    .await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(1)), "a token payment needs its token: {v}");
    t.shutdown().await;
}

on_both!(strict_setting_and_five_field_answer);
async fn strict_setting_and_five_field_answer(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| {
        c.v11 = V11Signatures {
            request: vec![Reading::B],
            response: &signing::BANK_PAYMENT_RESPONSE,
            sign_token_result: false,
        }
    })
    .await;
    let p = t.sandbox();
    let body = || v11_body("strict-1", "ATM", "", "PAY", None, "http://127.0.0.1:9/ipn");
    for refused in [Reading::A, Reading::C] {
        let (s, v) = create_v11(&t, &p, body(), refused).await;
        assert_eq!((s, v["errorCode"].clone()), (400, json!(2)), "strict B refuses {refused:?}: {v}");
    }
    let (s, v) = create_v11(&t, &p, body(), Reading::B).await;
    assert_eq!(s, 200, "{v}");
    assert!(signing::verify_json(&signing::BANK_PAYMENT_RESPONSE, &p.secret, &v).is_ok(), "five fields: {v}");
    t.shutdown().await;
}

on_both!(a_saved_card_pays_a_second_order);
async fn a_saved_card_pays_a_second_order(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let (s, v) =
        create_v11(&t, &p, v11_body("save-1", "ATM", "VCB", "PAY_WITH_RETURN_TOKEN", None, &m.url), Reading::A).await;
    assert_eq!(s, 200, "{v}");
    let trans_id = t.trans_id_of(v["paymentUrl"].as_str().expect("url"));
    // Before it is paid, the order has saved nothing.
    let (s, v) = t.call(&p, Method::GET, "/api/v1.1/token/save-1", None, &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(87)), "{v}");

    let (s, done) = t.complete(&p, &trans_id, 0).await;
    assert_eq!(s, 200, "{done}");
    let q = verify_redirect_13(&p, done["redirectUrl"].as_str().expect("redirect"));
    let result = TokenResult::parse(&q["tokenResult"]).expect("tokenResult is JSON text");
    assert!(q["tokenResult"].contains(r#""message":"Th\u00e0nh c\u00f4ng""#), "PHP style: {}", q["tokenResult"]);
    assert_eq!(result.status, 0);
    let token = result.card.token.clone();
    assert!(v11::is_token(&token), "16 digits: {token}");
    assert_eq!(result.card.card_number, "970400xxxxxx0018");
    assert_eq!((result.card.card_type.as_str(), result.card.status.as_str()), ("ATM_CARD", "active"));

    let ipns = m.wait_for(1, Duration::from_secs(5)).await;
    let ipn: v11::PaymentNotification = serde_json::from_value(ipns[0].body.clone()).expect("a v1.1 IPN");
    assert_eq!(ipn.verify(&p.secret), Ok(false), "13 fields by default");
    assert_eq!(ipn.token().map(|r| r.card.token), Some(token.clone()));

    // The lookup answers the card as an object.
    let (s, v) = t.call(&p, Method::GET, "/api/v1.1/token/save-1", None, &[]).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["tokenResult"]["token"], token.as_str());
    assert_eq!(v["tokenResult"]["card_number"], "970400xxxxxx0018");
    assert!(v.get("signature").is_none());

    // The saved card pays another order; the checkout asks for the OTP.
    let (s, v) =
        create_v11(&t, &p, v11_body("save-2", "ALL", "", "PAY_WITH_TOKEN", Some(&token), &m.url), Reading::A).await;
    assert_eq!(s, 200, "{v}");
    let second = t.gw().find_order(&p.code, "save-2").await.expect("store").expect("order");
    assert_eq!(second.token.as_deref(), Some(token.as_str()));
    assert_eq!(second.payment_method.as_str(), "ATM", "the card's method");
    // Unknown, and another partner's, tokens are 87.
    for bad in ["1234567812345678", "x"] {
        let (s, v) =
            create_v11(&t, &p, v11_body("save-x", "ATM", "", "PAY_WITH_TOKEN", Some(bad), &m.url), Reading::A).await;
        assert_eq!((s, v["errorCode"].clone()), (400, json!(87)), "{bad}: {v}");
    }
    let other = t.partner("OTHER", false).await;
    let (s, v) =
        create_v11(&t, &other, v11_body("o-1", "ATM", "", "PAY_WITH_TOKEN", Some(&token), &m.url), Reading::A).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(87)), "another partner's token: {v}");
    let (s, v) = t.call(&other, Method::DELETE, "/api/v1.1/token/delete", Some(&json!({"token": token})), &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(87)), "{v}");

    // Deleted (the token as a number, as Postman sends it), it pays nothing more.
    let number: u64 = token.parse().expect("digits");
    let (s, v) = t.call(&p, Method::DELETE, "/api/v1.1/token/delete", Some(&json!({"token": number})), &[]).await;
    assert_eq!((s, v.clone()), (200, json!({"errorCode": 0, "message": "Thành công"})), "{v}");
    let (s, v) = t.call(&p, Method::DELETE, "/api/v1.1/token/delete", Some(&json!({"token": token})), &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(87)), "deleted twice: {v}");
    let (s, v) = t.call(&p, Method::DELETE, "/api/v1.1/token/delete", Some(&json!({"token": [1]})), &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(1)), "{v}");
    let (s, v) =
        create_v11(&t, &p, v11_body("save-3", "ATM", "", "PAY_WITH_TOKEN", Some(&token), &m.url), Reading::A).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(87)), "a deleted token: {v}");
    let (s, v) = t.call(&p, Method::GET, "/api/v1.1/token/save-1", None, &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(87)), "{v}");
    t.shutdown().await;
}

on_both!(token_result_signed_when_switched_on);
async fn token_result_signed_when_switched_on(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| c.v11.sign_token_result = true).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let (_, v) =
        create_v11(&t, &p, v11_body("sw-1", "CC", "", "PAY_WITH_RETURN_TOKEN", None, &m.url), Reading::C).await;
    let trans_id = t.trans_id_of(v["paymentUrl"].as_str().expect("url"));
    let (_, done) = t.complete(&p, &trans_id, 0).await;
    let q = query_map(done["redirectUrl"].as_str().expect("redirect"));
    let data = canonical_data_with(&v11::NOTIFICATION_WITH_TOKEN, |k| q.get(k).map(|v| v.as_str().into()));
    assert!(signing::verify_data(&p.secret, &data, &q["signature"]).is_ok(), "14 fields: {q:?}");
    assert_eq!(TokenResult::parse(&q["tokenResult"]).map(|r| r.card.card_type), Some("CREDIT_CARD".to_owned()));
    let ipns = m.wait_for(1, Duration::from_secs(5)).await;
    let ipn: v11::PaymentNotification = serde_json::from_value(ipns[0].body.clone()).expect("a v1.1 IPN");
    assert_eq!(ipn.verify(&p.secret), Ok(true), "tokenResult covered");
    t.shutdown().await;
}

on_both!(status_answers_every_version);
async fn status_answers_every_version(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let v10 = t.create_bank(&p, "v10-order", 70_000, "ATM", "VCB", "http://127.0.0.1:9/ipn").await;
    let trans_id = t.trans_id_of(v10["paymentUrl"].as_str().expect("url"));
    t.complete(&p, &trans_id, 0).await;
    let (s, v) = status_v11(&t, &p, "v10-order", &[]).await;
    assert_eq!(s, 200, "{v}");
    assert!(signing::verify_json(&v11::STATUS_RESPONSE, &p.secret, &v).is_ok(), "14 fields: {v}");
    assert_eq!(v["errorCode"], 0);
    assert_eq!(v["transaction"]["status"], "success");
    assert_eq!(v["transaction"]["appotapayTransId"], trans_id.as_str());
    assert_eq!(v["transaction"]["amount"], 70_000);

    let (_, c) =
        create_v11(&t, &p, v11_body("v11-order", "ATM", "", "PAY", None, "http://127.0.0.1:9/ipn"), Reading::B).await;
    assert_eq!(c["errorCode"], 0, "{c}");
    let (s, v1) = t.status(&p, "v11-order").await;
    assert_eq!((s, v1["errorCode"].clone()), (200, json!(35)), "v1.0 status of a v1.1 order: {v1}");
    assert!(signing::verify_json(&signing::STATUS_RESPONSE, &p.secret, &v1).is_ok());
    let (s, v) = status_v11(&t, &p, "v11-order", &[]).await;
    assert_eq!((s, v["transaction"]["status"].clone()), (200, json!("pending")), "{v}");
    let (s, v) = status_v11(&t, &p, "nope", &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(36)), "{v}");
    t.shutdown().await;
}

fn list_query(p: &Partner, params: &[(&str, &str)], documented: bool) -> String {
    let map: std::collections::BTreeMap<&str, &str> = params.iter().copied().collect();
    let data = if documented {
        canonical_data_with(&v11::LIST_REQUEST, |k| map.get(k).map(|v| (*v).into()))
    } else {
        map.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
    };
    let sig = signing::sign_data(&p.secret, &data);
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    q.append_pair("signature", &sig);
    format!("/api/v1.1/orders/transactions?{}", q.finish())
}

on_both!(list_pages_and_filters);
async fn list_pages_and_filters(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    for i in 0..3 {
        t.create_bank(&p, &format!("list-{i}"), 10_000 + i, "ATM", "", "http://127.0.0.1:9/ipn").await;
    }
    let paid = t.create_bank(&p, "list-cc", 20_000, "CC", "", "http://127.0.0.1:9/ipn").await;
    t.complete(&p, &t.trans_id_of(paid["paymentUrl"].as_str().expect("url")), 0).await;

    let (s, v) = t.call(&p, Method::GET, &list_query(&p, &[("limit", "2"), ("page", "1")], false), None, &[]).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["total"].clone(), v["page"].clone()), (json!(4), json!(1)));
    let items = v["transactions"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["orderId"], "list-cc", "newest first");
    let (_, v) = t.call(&p, Method::GET, &list_query(&p, &[("limit", "2"), ("page", "2")], true), None, &[]).await;
    assert_eq!(v["transactions"].as_array().map(Vec::len), Some(2), "documented reading too: {v}");
    let (_, v) = t.call(&p, Method::GET, &list_query(&p, &[("status", "success")], true), None, &[]).await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["transactions"][0]["orderId"], "list-cc");
    assert_eq!(v["transactions"][0]["status"], "success");
    let (_, v) = t.call(&p, Method::GET, &list_query(&p, &[("paymentMethod", "ATM")], false), None, &[]).await;
    assert_eq!(v["total"], 3, "{v}");
    let (_, v) =
        t.call(&p, Method::GET, &list_query(&p, &[("startTime", "1"), ("endTime", "2")], false), None, &[]).await;
    assert_eq!(v["total"], 0, "{v}");
    for bad in [&[("limit", "51")][..], &[("limit", "0")], &[("page", "0")], &[("endTime", "5")], &[("status", "done")]]
    {
        let (s, v) = t.call(&p, Method::GET, &list_query(&p, bad, false), None, &[]).await;
        assert_eq!((s, v["errorCode"].clone()), (400, json!(1)), "{bad:?}: {v}");
    }
    let (s, v) = t.call(&p, Method::GET, "/api/v1.1/orders/transactions?limit=2&signature=00", None, &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(2)), "{v}");
    t.shutdown().await;
}

on_both!(owner_sub_account_orders_need_their_header);
async fn owner_sub_account_orders_need_their_header(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let owner = t.gw().create_sub_account(&p.code, true).await.expect("store").expect("sub-account");
    let plain = t.gw().create_sub_account(&p.code, false).await.expect("store").expect("sub-account");
    let body = sign_v11(&p, v11_body("own-1", "ATM", "", "PAY", None, "http://127.0.0.1:9/ipn"), Reading::A);
    let (s, v, _) =
        t.post_raw(CREATE, Some(&p.token()), body.to_string().into_bytes(), &[("X-Account-Ref-ID", &owner.id)]).await;
    assert_eq!(s, 200, "{v}");
    t.create_bank(&p, "own-none", 10_000, "ATM", "", "http://127.0.0.1:9/ipn").await;

    for (headers, want) in [
        (vec![], 90),
        (vec![("X-Account-Ref-ID", plain.id.as_str())], 90),
        (vec![("X-Account-Ref-ID", "nobody")], 90),
        (vec![("X-Account-Ref-ID", owner.id.as_str())], 35),
    ] {
        let (_, v) = status_v11(&t, &p, "own-1", &headers).await;
        assert_eq!(v["errorCode"], json!(want), "v1.1 status with {headers:?}: {v}");
        let body = p.sign(&signing::STATUS_REQUEST, json!({"orderId": "own-1"}));
        let (_, v) = t.call(&p, Method::POST, "/api/v1/orders/transaction/bank/status", Some(&body), &headers).await;
        assert_eq!(v["errorCode"], json!(want), "v1.0 status with {headers:?}: {v}");
    }
    // v2 status and the v1 refunds of the order follow the same rule.
    let q = "/api/v2/orders/transaction?referenceId=own-1&type=PARTNER_ORDER_ID";
    let (s, v) = t.call(&p, Method::GET, q, None, &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(90)), "{v}");
    let (s, v) = t.call(&p, Method::GET, q, None, &[("X-Account-Ref-ID", owner.id.as_str())]).await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = t.call(&p, Method::GET, "/api/v1/transaction/own-1/refund", None, &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(90)), "{v}");
    let (_, v2list) =
        t.call(&p, Method::GET, "/api/v2/orders/transactions", None, &[("X-Account-Ref-ID", owner.id.as_str())]).await;
    assert_eq!(v2list["pagination"]["total"], 1, "{v2list}");
    // The partner's own orders answer with or without a header.
    let (_, v) = status_v11(&t, &p, "own-none", &[("X-Account-Ref-ID", owner.id.as_str())]).await;
    assert_eq!(v["errorCode"], 35, "{v}");
    // Lists filter by the header.
    let q = list_query(&p, &[], false);
    let (_, all) = t.call(&p, Method::GET, &q, None, &[]).await;
    assert_eq!(all["total"], 2, "{all}");
    let (_, mine) = t.call(&p, Method::GET, &q, None, &[("X-Account-Ref-ID", owner.id.as_str())]).await;
    assert_eq!((mine["total"].clone(), mine["transactions"][0]["orderId"].clone()), (json!(1), json!("own-1")));
    t.shutdown().await;
}

on_both!(the_debugger_shows_a_v11_reading);
async fn the_debugger_shows_a_v11_reading(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let mut bad = sign_v11(&p, v11_body("dbg-1", "ATM", "", "PAY", None, "http://127.0.0.1:9/ipn"), Reading::A);
    bad["signature"] = json!("0".repeat(64));
    let (s, v, headers) = t.post(&p, CREATE, &bad).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(2)), "{v}");
    let shown = headers
        .get(appotapay_protocol::headers::EXPECTED_SIGNATURE_DATA)
        .and_then(|h| h.to_str().ok())
        .and_then(appotapay_protocol::headers::decode_signature_data);
    assert_eq!(shown, Some(Reading::A.data(&bad)), "the first reading tried");
    t.shutdown().await;
}
