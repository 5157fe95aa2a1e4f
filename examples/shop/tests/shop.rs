//! The demo shop end to end against a real gateway (no browser: the sandbox helper
//! API plays the customer): shop → gateway → shop redirect page, IPN recorded once,
//! orders page confirmed by the status API.

use appotapay::{Client, Environment, ErrorCode};
use appotapay_gateway::config::Config as GatewayConfig;
use std::time::Duration;
use tokio::net::TcpListener;

struct Running {
    gateway: String,
    shop: String,
    http: reqwest::Client,
    sdk: Client,
    _dir: tempfile::TempDir,
}

async fn start() -> Running {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut gc = GatewayConfig::defaults().expect("defaults");
    gc.data_dir = dir.path().to_path_buf();
    gc.database_url = format!("sqlite://{}", dir.path().join("gw.db").display());
    let gl = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let gaddr = gl.local_addr().expect("addr");
    gc.public_url = format!("http://{gaddr}");
    gc.listen = gaddr;
    let gw = appotapay_gateway::server::open(gc).await.expect("open");
    let running = appotapay_gateway::server::start(gw, gl).await.expect("start");
    std::mem::forget(running); // lives as long as the test process

    let sl = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let saddr = sl.local_addr().expect("addr");
    let mut sc = appotapay_demo_shop::Config::from_env().expect("config");
    sc.listen = saddr.to_string();
    sc.public_url = format!("http://{saddr}");
    sc.gateway_url = format!("http://{gaddr}");
    let app = appotapay_demo_shop::app(sc.clone()).expect("app");
    tokio::spawn(async move {
        let _ = axum::serve(sl, app).await;
    });
    let sdk = Client::builder()
        .environment(Environment::Custom(sc.gateway_url.clone()))
        .partner_code(sc.partner_code.clone())
        .api_key(sc.api_key.clone())
        .secret_key(sc.secret_key.clone())
        .build()
        .expect("sdk");
    Running {
        gateway: format!("http://{gaddr}"),
        shop: format!("http://{saddr}"),
        http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("http"),
        sdk,
        _dir: dir,
    }
}

impl Running {
    /// Clicks a pay button: returns the gateway URL the shop redirects to.
    async fn pay(&self, product: &str, method: &str) -> String {
        let resp = self
            .http
            .post(format!("{}/pay", self.shop))
            .form(&[("product", product), ("method", method)])
            .send()
            .await
            .expect("pay");
        assert_eq!(resp.status(), 303);
        let loc = resp.headers().get("location").and_then(|v| v.to_str().ok()).expect("location").to_owned();
        assert!(loc.starts_with(&format!("{}/bank/payment/process?tran=", self.gateway)), "{loc}");
        loc
    }

    async fn orders(&self) -> serde_json::Value {
        self.http.get(format!("{}/orders.json", self.shop)).send().await.expect("orders").json().await.expect("json")
    }
}

fn trans_id_of(payment_url: &str) -> String {
    let u = url::Url::parse(payment_url).expect("url");
    let tran = u.query_pairs().find(|(k, _)| k == "tran").map(|(_, v)| v.into_owned()).expect("tran");
    // tran is base64url("tid=…&orderId=…&ts=…"): the shop never needs this, the test does.
    let decoded = base64_decode(&tran);
    decoded.split('&').find_map(|kv| kv.strip_prefix("tid=")).expect("tid").to_owned()
}

fn base64_decode(s: &str) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = A.iter().position(|&a| a == c).expect("base64url") as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).expect("utf8")
}

#[tokio::test]
async fn card_payment_through_the_shop() {
    let r = start().await;
    let index = r.http.get(&r.shop).send().await.expect("index").text().await.expect("text");
    assert!(index.contains("1.250.000 ₫"), "Vietnamese amounts");
    let url = r.pay("non-la", "card").await;
    let trans_id = trans_id_of(&url);
    let done = r.sdk.sandbox().complete(&trans_id, ErrorCode::SUCCESS).await.expect("complete");
    // The customer's browser follows the signed redirect back to the shop.
    assert!(done.redirect_url.starts_with(&format!("{}/return?", r.shop)), "{}", done.redirect_url);
    let page = r.http.get(&done.redirect_url).send().await.expect("return");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("text");
    assert!(html.contains("data-error-code=\"0\""), "{html}");
    assert!(html.contains("120.000 ₫"));
    // A tampered redirect is refused.
    let tampered = done.redirect_url.replace("amount=120000", "amount=1");
    let bad = r.http.get(&tampered).send().await.expect("tampered");
    assert_eq!(bad.status(), 400);

    // The IPN arrives and is recorded; the status API confirms.
    let mut orders = serde_json::Value::Null;
    for _ in 0..100 {
        orders = r.orders().await;
        if orders[0]["state"] == "paid" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(orders[0]["state"], "paid", "{orders}");
    assert_eq!(orders[0]["ipn_count"], 1);
    assert_eq!(orders[0]["confirmed_error_code"], 0);
    assert_eq!(orders[0]["appotapay_trans_id"], trans_id.as_str());
    let page = r.http.get(format!("{}/orders", r.shop)).send().await.expect("orders").text().await.expect("text");
    assert!(page.contains("0 (thành công)"));
}

#[tokio::test]
async fn declined_and_qr_payments() {
    let r = start().await;
    let url = r.pay("ca-phe", "card").await;
    let done = r.sdk.sandbox().complete(&trans_id_of(&url), ErrorCode::INSUFFICIENT_FUNDS).await.expect("complete");
    let html = r.http.get(&done.redirect_url).send().await.expect("return").text().await.expect("text");
    assert!(html.contains("data-error-code=\"74\""), "{html}");
    assert!(html.contains("Thẻ không đủ hạn mức"), "the gateway's message is shown");

    let url = r.pay("ao-dai", "qr").await;
    let trans_id = trans_id_of(&url);
    r.sdk.sandbox().bank_credit(appotapay::Amount::vnd(1_250_000), &trans_id).await.expect("credit");
    let mut orders = serde_json::Value::Null;
    for _ in 0..100 {
        orders = r.orders().await;
        let qr = orders.as_array().and_then(|a| a.iter().find(|o| o["method"] == "qr").cloned());
        if qr.as_ref().is_some_and(|o| o["state"] == "paid") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let list = orders.as_array().expect("array");
    let card = list.iter().find(|o| o["method"] == "card").expect("card order");
    let qr = list.iter().find(|o| o["method"] == "qr").expect("qr order");
    // Failures are not sent by IPN to this partner (AppotaPay's default), but the
    // status API tells the truth.
    assert_eq!(card["state"], "pending");
    assert_eq!(card["confirmed_error_code"], 74);
    assert_eq!(qr["state"], "paid", "{orders}");
    assert_eq!(qr["confirmed_error_code"], 0);
}

/// Waits until the shop's product page shows a saved card (the IPN recorded it).
async fn saved_card_shown(r: &Running) -> String {
    for _ in 0..100 {
        let index = r.http.get(&r.shop).send().await.expect("index").text().await.expect("text");
        if index.contains("id=\"saved-card\"") {
            return index;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no saved card shown");
}

#[tokio::test]
async fn save_my_card_then_pay_with_it() {
    let r = start().await;
    let index = r.http.get(&r.shop).send().await.expect("index").text().await.expect("text");
    assert!(!index.contains("pay-saved-"), "nothing saved yet");
    let url = r.pay("non-la", "card-save").await;
    let first = trans_id_of(&url);
    let done = r.sdk.sandbox().complete(&first, ErrorCode::SUCCESS).await.expect("complete");
    assert!(done.redirect_url.contains("tokenResult="), "{}", done.redirect_url);
    let html = r.http.get(&done.redirect_url).send().await.expect("return").text().await.expect("text");
    assert!(html.contains("data-error-code=\"0\""), "a v1.1 redirect verifies: {html}");
    let index = saved_card_shown(&r).await;
    assert!(index.contains("970400xxxxxx0018"), "the masked number, never the full one: {index}");
    assert!(index.contains("id=\"pay-saved-ca-phe\""));

    // The saved card pays the next order.
    let url = r.pay("ca-phe", "saved").await;
    let second = trans_id_of(&url);
    r.sdk.sandbox().complete(&second, ErrorCode::SUCCESS).await.expect("complete");
    let mut orders = serde_json::Value::Null;
    for _ in 0..100 {
        orders = r.orders().await;
        let paid = orders.as_array().map_or(0, |a| a.iter().filter(|o| o["state"] == "paid").count());
        if paid == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let methods: Vec<&str> = orders.as_array().expect("orders").iter().filter_map(|o| o["method"].as_str()).collect();
    assert!(methods.contains(&"saved") && methods.contains(&"card-save"), "{orders}");
    assert!(orders.as_array().expect("orders").iter().all(|o| o["state"] == "paid"), "{orders}");

    // "Forget my card" deletes the token at the gateway too.
    let saving = orders.as_array().and_then(|a| a.iter().find(|o| o["method"] == "card-save")).expect("saving order");
    let lookup = r.sdk.v11().token_of_order(saving["order_id"].as_str().unwrap_or_default()).await;
    let token = lookup.expect("the order saved the card").token_result.token;
    let resp = r.http.post(format!("{}/forget-card", r.shop)).send().await.expect("forget");
    assert_eq!(resp.status(), 303);
    let index = r.http.get(&r.shop).send().await.expect("index").text().await.expect("text");
    assert!(!index.contains("saved-card"), "{index}");
    assert!(r.sdk.v11().delete_token(&token).await.is_err(), "already deleted at the gateway");
}
