//! API v2 over HTTP on both backends: create (field rules, the error shape, 140 and
//! 141 from the partner's allowed methods and banks, X-Language), the base64
//! redirect and IPN (tokenResult double-encoded), status by query or by a JSON body
//! on the GET and across versions, the list, refunds on the v1 ledger, and the token
//! delete.

use crate::harness::*;
use crate::v11::{create_v11, v11_body};
use appotapay_gateway::domain::records::Allowed;
use appotapay_protocol::v2::{Envelope, RefundResponse};
use appotapay_protocol::v11::Reading;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const CREATE: &str = "/api/v2/orders/payment";

fn body(order_id: &str, method: &str, bank: &str, action: &str, notify: &str) -> Value {
    json!({
        "transaction": {"amount": 10_000, "currency": "VND", "bankCode": bank, "paymentMethod": method, "action": action},
        "partnerReference": {
            "order": {"id": order_id, "info": "test thanh toan", "extraData": "a+b/c"},
            "notificationConfig": {"notifyUrl": notify, "redirectUrl": "http://127.0.0.1:9/redirect"}
        }
    })
}

async fn create(t: &TestGateway, p: &Partner, b: &Value, headers: &[(&str, &str)]) -> (u16, Value) {
    t.call(p, Method::POST, CREATE, Some(b), headers).await
}

fn trans_id(v: &Value) -> String {
    v["transaction"]["transactionId"].as_str().expect("transactionId").to_owned()
}

/// A change made to a valid body.
type Change = Box<dyn Fn(&mut Value)>;

on_both!(create_answers_and_refuses_as_documented);
async fn create_answers_and_refuses_as_documented(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    // The docs example, with a stray signature and an unknown field: both ignored.
    let mut b = body("5f61cf4f41e2b", "ATM", "VCB", "PAY", "http://127.0.0.1:9/ipn");
    b["signature"] = json!("[object Object]");
    b["somethingElse"] = json!(1);
    let (s, v) = create(&t, &p, &b, &[]).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!((v["errorCode"].clone(), v["message"].clone()), (json!(0), json!("Thành công")));
    assert_eq!(v["transaction"]["status"], "pending");
    assert_eq!(v["transaction"]["errorCode"], 35);
    assert_eq!(v["transaction"]["orderAmount"], 10_000);
    assert_eq!(v["transaction"]["action"], "PAY");
    assert!(v["transaction"]["createdAt"].as_str().is_some_and(|d| d.ends_with("+07:00")), "{v}");
    let url = v["payment"]["url"].as_str().expect("url");
    assert!(url.starts_with(&format!("{}/v2/bank/payment/process?tran=", t.base)), "{url}");
    assert!(url.ends_with("&lang=vi"), "{url}");
    assert_eq!(v["payment"]["qrCode"], Value::Null);
    assert_eq!(v["payment"]["deepLinkUrl"], "");
    assert!(v.get("signature").is_none());
    let page = t.http.get(url).send().await.expect("page");
    assert_eq!(page.status().as_u16(), 200, "the v2 path opens the checkout");

    let (_, en) =
        create(&t, &p, &body("en-1", "ALL", "", "PAY", "http://127.0.0.1:9/ipn"), &[("X-Language", "en")]).await;
    assert!(en["payment"]["url"].as_str().is_some_and(|u| u.ends_with("&lang=en")), "{en}");
    assert_eq!(en["message"], "Success");

    let (s, dup) = create(&t, &p, &b, &[]).await;
    assert_eq!((s, dup["errorCode"].clone()), (400, json!(30)), "{dup}");
    assert_eq!(dup["errors"][0]["field"], "partnerReference.order.id");

    let cases: Vec<(&str, Change, u32)> = vec![
        (
            "transaction.amount",
            Box::new(|b| b["transaction"].as_object_mut().map(|o| o.remove("amount")).map(drop).unwrap_or(())),
            1,
        ),
        ("transaction.amount", Box::new(|b| b["transaction"]["amount"] = json!(999)), 32),
        ("transaction.amount", Box::new(|b| b["transaction"]["amount"] = json!(500_000_001)), 32),
        ("transaction.amount", Box::new(|b| b["transaction"]["amount"] = json!(10_000.5)), 32),
        ("transaction.amount", Box::new(|b| b["transaction"]["amount"] = json!("10000")), 1),
        ("transaction.currency", Box::new(|b| b["transaction"]["currency"] = json!("USD")), 1),
        ("transaction.paymentMethod", Box::new(|b| b["transaction"]["paymentMethod"] = json!("EWALLET")), 52),
        ("transaction.action", Box::new(|b| b["transaction"]["action"] = json!("PAY_LATER")), 1),
        ("transaction.bankCode", Box::new(|b| b["transaction"]["bankCode"] = json!("NOPE")), 51),
        ("transaction.token", Box::new(|b| b["transaction"]["action"] = json!("PAY_WITH_TOKEN")), 1),
        ("partnerReference.order.id", Box::new(|b| b["partnerReference"]["order"]["id"] = json!("x".repeat(51))), 1),
        ("partnerReference.order.info", Box::new(|b| b["partnerReference"]["order"]["info"] = json!("")), 1),
        (
            "partnerReference.order.extraData",
            Box::new(|b| b["partnerReference"]["order"]["extraData"] = json!("e".repeat(201))),
            1,
        ),
        (
            "partnerReference.notificationConfig.notifyUrl",
            Box::new(|b| b["partnerReference"]["notificationConfig"]["notifyUrl"] = json!("ftp://x")),
            1,
        ),
        (
            "partnerReference.notificationConfig.redirectUrl",
            Box::new(|b| b["partnerReference"]["notificationConfig"] = json!({"notifyUrl": "http://127.0.0.1:9/ipn"})),
            1,
        ),
        ("partnerReference", Box::new(|b| b["partnerReference"] = json!("x")), 1),
    ];
    for (field, change, code) in cases {
        let mut b = body("bad-1", "ATM", "", "PAY", "http://127.0.0.1:9/ipn");
        change(&mut b);
        let (s, v) = create(&t, &p, &b, &[]).await;
        assert_eq!((s, v["errorCode"].clone()), (400, json!(code)), "{field}: {v}");
        assert_eq!(v["errors"][0]["field"], field, "{v}");
        assert!(v["errors"][0]["reason"].as_str().is_some_and(|r| !r.is_empty()), "{v}");
        assert!(v["message"].is_string());
    }
    let (s, v, _) = t.post_raw(CREATE, None, b.to_string().into_bytes(), &[]).await;
    assert_eq!((s, v["errorCode"].clone(), v["errors"].clone()), (401, json!(401), json!([])), "{v}");
    let (s, v, _) = t.post_raw(CREATE, Some(&p.token()), b"[]".to_vec(), &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(1)), "{v}");
    assert!(v["errors"].is_array());
    // A raw token (no Bearer) is accepted too.
    let (s, v, _) = t
        .post_raw(
            CREATE,
            None,
            body("raw-1", "ATM", "", "PAY", "http://127.0.0.1:9/ipn").to_string().into_bytes(),
            &[("X-APPOTAPAY-AUTH", &p.token())],
        )
        .await;
    assert_eq!(s, 200, "{v}");

    // VA: a VietQR transfer, with its QR code.
    let (s, v) = create(&t, &p, &body("va-1", "VA", "", "PAY", "http://127.0.0.1:9/ipn"), &[]).await;
    assert_eq!(s, 200, "{v}");
    assert!(v["payment"]["qrCode"]["content"].as_str().is_some_and(|c| c.starts_with("000201")), "{v}");
    assert!(v["payment"]["qrCode"]["expiry"].as_i64().is_some_and(|e| e > 0));
    t.shutdown().await;
}

on_both!(allowed_methods_and_banks);
async fn allowed_methods_and_banks(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let allowed = Allowed { methods: vec!["ATM".into()], banks: vec!["VCB".into()] };
    assert!(t.gw().set_partner_allowed(&p.code, &allowed).await.expect("store"));
    let (s, v) = create(&t, &p, &body("al-1", "CC", "", "PAY", "http://127.0.0.1:9/ipn"), &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(140)), "{v}");
    assert_eq!(v["errors"][0]["field"], "transaction.paymentMethod");
    let (s, v) = create(&t, &p, &body("al-2", "ATM", "BIDV", "PAY", "http://127.0.0.1:9/ipn"), &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(141)), "{v}");
    let (s, v) = create(&t, &p, &body("al-3", "ATM", "VCB", "PAY", "http://127.0.0.1:9/ipn"), &[]).await;
    assert_eq!(s, 200, "{v}");
    assert!(t.gw().set_partner_allowed(&p.code, &Allowed::default()).await.expect("store"));
    let (s, v) = create(&t, &p, &body("al-4", "CC", "", "PAY", "http://127.0.0.1:9/ipn"), &[]).await;
    assert_eq!(s, 200, "everything allowed again: {v}");
    t.shutdown().await;
}

on_both!(redirect_and_ipn_carry_the_signed_envelope);
async fn redirect_and_ipn_carry_the_signed_envelope(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let (s, v) = create(&t, &p, &body("env-1", "ATM", "VCB", "PAY_WITH_RETURN_TOKEN", &m.url), &[]).await;
    assert_eq!(s, 200, "{v}");
    let id = trans_id(&v);
    let (_, done) = t.complete(&p, &id, 0).await;
    let redirect = done["redirectUrl"].as_str().expect("redirect");
    let query = redirect.split_once('?').map(|(_, q)| q).expect("a query");
    let raw_data = query.split('&').find_map(|kv| kv.strip_prefix("data=")).expect("data");
    assert!(
        !raw_data.contains('+') && !raw_data.contains('/') && !raw_data.contains('='),
        "percent-encoded: {raw_data}"
    );
    let env = Envelope::from_query(query).expect("an envelope");
    let payload = env.open(&p.secret).expect("the signature covers data");
    assert_eq!(payload.transaction.transaction_id, id);
    assert_eq!(payload.transaction.status, "success");
    assert_eq!(payload.transaction.error_code.code(), 0);
    assert_eq!(payload.transaction.action, "PAY_WITH_RETURN_TOKEN");
    assert_eq!(payload.partner_reference.order.id, "env-1");
    assert_eq!(payload.partner_reference.order.extra_data, "a+b/c");
    let card = payload.token().expect("tokenResult").card;
    assert_eq!(card.card_number, "970400xxxxxx0018");

    let ipns = m.wait_for(1, Duration::from_secs(5)).await;
    let body = &ipns[0].body;
    assert!(body["time"].is_i64(), "{body}");
    let ipn: Envelope = serde_json::from_value(body.clone()).expect("an envelope");
    let decoded = String::from_utf8(base64_decode(&ipn.data)).expect("utf-8");
    assert!(decoded.contains(r#""tokenResult":"{\"status\":0,\"message\":\"Th\\u00e0nh c\\u00f4ng\""#), "{decoded}");
    assert!(decoded.contains(r#""extraData":"a+b\/c""#), "PHP style: {decoded}");
    let payload = ipn.open(&p.secret).expect("verifies");
    assert_eq!(payload.token().map(|r| r.card.token), Some(card.token.clone()));
    let mut forged = ipn.clone();
    forged.data = forged.data.replacen('e', "f", 1);
    assert!(forged.open(&p.secret).is_err());

    // The v2 token delete (a string).
    let (s, v) = t.call(&p, Method::DELETE, "/api/v2/token/delete", Some(&json!({"token": card.token})), &[]).await;
    assert_eq!((s, v.clone()), (200, json!({"errorCode": 0, "message": "Thành công"})));
    let (s, v) = t.call(&p, Method::DELETE, "/api/v2/token/delete", Some(&json!({"token": card.token})), &[]).await;
    assert_eq!((s, v["errorCode"].clone(), v["errors"][0]["field"].clone()), (400, json!(87), json!("token")), "{v}");
    t.shutdown().await;
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).expect("base64")
}

on_both!(status_by_query_or_body_and_across_versions);
async fn status_by_query_or_body_and_across_versions(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let (_, v) = create(&t, &p, &body("st-2", "CC", "", "PAY", "http://127.0.0.1:9/ipn"), &[]).await;
    let id2 = trans_id(&v);
    let (s, st) = t.call(&p, Method::GET, &format!("/api/v2/orders/transaction?referenceId={id2}"), None, &[]).await;
    assert_eq!(s, 200, "{st}");
    assert_eq!((st["errorCode"].clone(), st["transaction"]["status"].clone()), (json!(0), json!("pending")));
    assert_eq!(st["transaction"]["errorCode"], 35);
    assert_eq!(st["partnerReference"]["order"]["id"], "st-2");
    let by_body = json!({"referenceId": "st-2", "type": "PARTNER_ORDER_ID"});
    let (s, st) = t.call(&p, Method::GET, "/api/v2/orders/transaction", Some(&by_body), &[]).await;
    assert_eq!((s, st["transaction"]["transactionId"].clone()), (200, json!(id2)), "a JSON body on the GET: {st}");
    // The v2 order through v1.0 and v1.1 status.
    let (s, v1) = t.status(&p, "st-2").await;
    assert_eq!((s, v1["errorCode"].clone(), v1["appotapayTransId"].clone()), (200, json!(35), json!(id2)), "{v1}");

    // A v1.0 order through v2 status, once paid.
    let v10 = t.create_bank(&p, "st-1", 60_000, "ATM", "VCB", "http://127.0.0.1:9/ipn").await;
    let id1 = t.trans_id_of(v10["paymentUrl"].as_str().expect("url"));
    t.complete(&p, &id1, 0).await;
    let q = "/api/v2/orders/transaction?referenceId=st-1&type=PARTNER_ORDER_ID";
    let (s, st) = t.call(&p, Method::GET, q, None, &[]).await;
    assert_eq!(s, 200, "{st}");
    assert_eq!(st["transaction"]["transactionId"], id1.as_str());
    assert_eq!(
        (st["transaction"]["status"].clone(), st["transaction"]["errorCode"].clone()),
        (json!("success"), json!(0))
    );
    assert_eq!(st["transaction"]["action"], "PAY");
    assert_eq!(st["transaction"]["orderAmount"], 60_000);
    // A v1.1 order too.
    let (_, c) =
        create_v11(&t, &p, v11_body("st-3", "ATM", "", "PAY", None, "http://127.0.0.1:9/ipn"), Reading::C).await;
    assert_eq!(c["errorCode"], 0, "{c}");
    let (s, _) =
        t.call(&p, Method::GET, "/api/v2/orders/transaction?referenceId=st-3&type=PARTNER_ORDER_ID", None, &[]).await;
    assert_eq!(s, 200);

    for (q, code) in [
        ("referenceId=AP000000000000", 36),
        ("referenceId=st-1", 36),
        ("referenceId=st-1&type=ORDER", 1),
        ("", 1),
        ("referenceId=a%20b", 1),
    ] {
        let (s, v) = t.call(&p, Method::GET, &format!("/api/v2/orders/transaction?{q}"), None, &[]).await;
        assert_eq!((s, v["errorCode"].clone()), (400, json!(code)), "{q}: {v}");
        assert!(v["errors"].is_array());
    }
    // Another partner sees none of them.
    let other = t.partner("OTHER", false).await;
    let (s, v) = t.call(&other, Method::GET, &format!("/api/v2/orders/transaction?referenceId={id1}"), None, &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(36)), "{v}");

    let (s, list) = t.call(&p, Method::GET, "/api/v2/orders/transactions?limit=2&page=1", None, &[]).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["pagination"], json!({"total": 3, "page": 1, "limit": 2}));
    assert_eq!(list["transactions"].as_array().map(Vec::len), Some(2));
    assert!(list["transactions"][0]["appotapayTransId"].is_string(), "v1 names: {list}");
    let (s, v) = t.call(&p, Method::GET, "/api/v2/orders/transactions?limit=99", None, &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(1)), "{v}");
    t.shutdown().await;
}

on_both!(refunds_share_the_v1_ledger);
async fn refunds_share_the_v1_ledger(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let v10 = t.create_bank(&p, "rf-1", 50_000, "CC", "", "http://127.0.0.1:9/ipn").await;
    let id = t.trans_id_of(v10["paymentUrl"].as_str().expect("url"));
    t.complete(&p, &id, 0).await;
    let req = json!({"partnerRefId": "ref1", "transactionId": id, "amount": 30_000, "currency": "VND", "reason": "test refund"});
    let (s, r) = t.call(&p, Method::POST, "/api/v2/transaction/refund", Some(&req), &[]).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["errorCode"].clone(), r["partnerRefId"].clone(), r["amount"].clone()),
        (json!(0), json!("ref1"), json!(30_000))
    );
    assert_eq!(RefundResponse::verify_json(&p.secret, &r), Ok(()), "signed over every top-level key: {r}");
    let refund_id = r["refundId"].as_str().expect("refundId").to_owned();

    // A v1 refund of more than what remains: the same ledger.
    let v1 = p.sign(
        &appotapay_protocol::signing::REFUND_REQUEST,
        json!({"refundId": "ref2", "appotapayTransId": id, "amount": 30_000, "reason": "v1"}),
    );
    let (s, v, _) = t.post(&p, "/api/v1/transaction/refund", &v1).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(103)), "{v}");
    let (s, v) = t.call(&p, Method::POST, "/api/v2/transaction/refund", Some(&req), &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(31)), "the same partnerRefId: {v}");

    for path in [
        format!("/api/v2/transaction/refund/{refund_id}"),
        "/api/v2/transaction/refund/ref1?type=PARTNER_ORDER_ID".into(),
    ] {
        let (s, d) = t.call(&p, Method::GET, &path, None, &[]).await;
        assert_eq!((s, d["refundId"].clone()), (200, json!(refund_id)), "{path}: {d}");
        assert_eq!(RefundResponse::verify_json(&p.secret, &d), Ok(()));
    }
    let (s, v) = t.call(&p, Method::GET, "/api/v2/transaction/refund/nope", None, &[]).await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(36)), "{v}");
    for (change, code) in [
        (json!({"amount": "1"}), 1),
        (json!({"currency": "USD"}), 1),
        (json!({"partnerRefId": "p".repeat(51)}), 1),
        (json!({"transactionId": "AP000000000000", "partnerRefId": "ref9"}), 36),
    ] {
        let mut b = req.clone();
        for (k, v) in change.as_object().expect("object") {
            b[k] = v.clone();
        }
        let (s, v) = t.call(&p, Method::POST, "/api/v2/transaction/refund", Some(&b), &[]).await;
        assert_eq!((s, v["errorCode"].clone()), (400, json!(code)), "{change}: {v}");
    }
    t.shutdown().await;
}

/// A token as `jsonwebtoken`'s defaults build it: `{"alg","typ"}`, no `cty`.
fn plain_jwt(p: &Partner, claims: &Value) -> String {
    use base64::Engine;
    let b64 = |v: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.as_bytes());
    let input = format!("{}.{}", b64(r#"{"alg":"HS256","typ":"JWT"}"#), b64(&claims.to_string()));
    let sig = appotapay_protocol::signing::hmac_bytes(p.secret.expose().as_bytes(), input.as_bytes());
    format!("{input}.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig))
}

on_both!(jwt_quirks_of_public_clients);
async fn jwt_quirks_of_public_clients(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let now = appotapay_gateway::now_ms() / 1000;
    let q = "/api/v2/orders/transactions";
    let get = |token: String, bearer: bool| {
        let t = &t;
        async move {
            let value = if bearer { format!("Bearer {token}") } else { token };
            let resp =
                t.http.get(format!("{}{q}", t.base)).header("X-APPOTAPAY-AUTH", value).send().await.expect("request");
            let status = resp.status().as_u16();
            let detail = resp.headers().get("x-error-detail").and_then(|v| v.to_str().ok()).map(str::to_owned);
            (status, detail)
        }
    };
    // No cty, a jti without a dash, as a raw token and with Bearer.
    let quirky = plain_jwt(
        &p,
        &json!({"iss": p.code, "jti": format!("{}{now}", p.api_key), "api_key": p.api_key, "exp": now + 300}),
    );
    assert_eq!(get(quirky.clone(), false).await.0, 200);
    assert_eq!(get(quirky, true).await.0, 200);
    // exp in milliseconds: refused, with a hint (docs §12).
    let ms = plain_jwt(&p, &json!({"iss": p.code, "api_key": p.api_key, "exp": (now + 300) * 1000}));
    let (status, detail) = get(ms, true).await;
    assert_eq!(status, 401);
    assert!(detail.is_some_and(|d| d.contains("milliseconds")), "a hint names the unit");
    t.shutdown().await;
}

on_both!(a_v2_create_retried_with_its_idempotency_key);
async fn a_v2_create_retried_with_its_idempotency_key(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let p = t.sandbox();
    let b = body("idem-1", "ATM", "", "PAY", "http://127.0.0.1:9/ipn");
    let key = [("Idempotency-Key", "v2-create-1")];
    let (s1, v1, _) = t.post_raw(CREATE, Some(&p.token()), b.to_string().into_bytes(), &key).await;
    let (s2, v2, h2) = t.post_raw(CREATE, Some(&p.token()), b.to_string().into_bytes(), &key).await;
    assert_eq!((s1, s2), (200, 200), "{v1} {v2}");
    assert_eq!(v1, v2, "the first answer again");
    assert_eq!(h2.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    let (s3, v3) = create(&t, &p, &b, &[]).await;
    assert_eq!((s3, v3["errorCode"].clone()), (400, json!(30)), "without the key, a duplicate: {v3}");
    t.shutdown().await;
}
