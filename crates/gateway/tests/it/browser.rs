//! The checkout in a real headless Chromium, over HTTP, as a customer uses it:
//! every test starts a gateway, a merchant shop and a browser, pays (or fails to),
//! and checks where the browser ends up. Screenshots of every step are written to
//! `$CARGO_TARGET_DIR/test-artifacts/checkout/`.

use crate::checkout::{bank_order, verified_redirect};
use crate::harness::*;
use crate::webdriver::Browser;
use axum::extract::RawQuery;
use axum::response::Html;
use axum::routing::get;
use serde_json::json;
use std::time::Duration;
use tokio::net::TcpListener;

/// A merchant: the IPN endpoint of the harness, and a shop whose return page shows
/// what the gateway sent back.
pub(crate) struct Shop {
    pub(crate) ipn: Merchant,
    pub(crate) redirect: String,
}

impl Shop {
    pub(crate) async fn start() -> Shop {
        let ipn = Merchant::start(vec![], Answer::Ok).await;
        let app = axum::Router::new().route(
            "/return",
            get(|RawQuery(q): RawQuery| async move {
                let q = q.unwrap_or_default();
                let rows: String = form_urlencoded::parse(q.as_bytes())
                    .map(|(k, v)| format!("<tr><th>{}</th><td id=\"r-{}\">{}</td></tr>", esc(&k), esc(&k), esc(&v)))
                    .collect();
                Html(format!(
                    "<!DOCTYPE html><html><head><meta name=\"viewport\" content=\"width=device-width\"><title>Shop</title></head>\
                     <body><h1 id=\"shop-return\">Shop: payment result</h1><table>{rows}</table></body></html>"
                ))
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Shop { ipn, redirect: format!("http://{addr}/return?shop=1") }
    }

    pub(crate) fn is_return(&self, url: &str) -> bool {
        url.starts_with(self.redirect.as_str())
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Fails if the page is wider than the (phone-sized) window.
async fn fits_phone(b: &mut Browser) {
    let v = b.execute("return [document.documentElement.scrollWidth, window.innerWidth];").await;
    let (scroll, inner) = (v[0].as_i64().unwrap_or(0), v[1].as_i64().unwrap_or(0));
    assert!(inner > 0 && inner <= 400, "phone-sized window: {inner}");
    assert!(
        scroll <= inner,
        "no horizontal scrolling on a phone: page {scroll}px, window {inner}px at {}",
        b.url().await
    );
}

/// Waits until the countdown's text changes: the page's script runs under the CSP.
async fn countdown_ticks(b: &mut Browser) {
    let first = b.text("#countdown").await;
    assert!(first.contains(':'), "m:ss countdown: {first}");
    let start = std::time::Instant::now();
    while b.text("#countdown").await == first {
        assert!(start.elapsed() < crate::webdriver::WAIT, "countdown never ticked");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(crate) async fn fill_card(b: &mut Browser, number: &str, holder: &str, date: &str, cvv: Option<&str>) {
    b.type_into("#card_number", number).await;
    b.type_into("#card_holder", holder).await;
    b.type_into("#card_date", date).await;
    if let Some(cvv) = cvv {
        b.type_into("#card_cvv", cvv).await;
    }
}

#[tokio::test]
async fn atm_sandbox_card_with_otp_lands_on_the_merchant() {
    let t = TestGateway::start().await;
    let shop = Shop::start().await;
    let p = t.sandbox();
    let info = "Đơn hàng #42 <script>alert(1)</script>";
    let url = bank_order(&t, &p, "b-atm-1", 50_000, "ATM", "", info, &shop.ipn.url, &shop.redirect).await;
    let mut b = Browser::start("atm").await;
    b.goto(&url).await;
    b.wait_for("#bank-MB").await;
    assert_eq!(b.text("#amount").await, "50.000 ₫");
    assert_eq!(b.text("#order-info").await, info, "orderInfo shown as text");
    assert_eq!(b.text("#merchant").await, "AppotaPay Sandbox Merchant");
    assert_eq!(b.text("#order-id").await, "b-atm-1");
    countdown_ticks(&mut b).await;
    fits_phone(&mut b).await;
    b.screenshot("banks").await;
    b.click("#bank-MB").await;
    b.wait_for("#card_number").await;
    assert_eq!(b.text("#paying-with").await, "MB Bank");
    assert!(b.exists("#sandbox-cards").await, "sandbox instruments printed");
    assert_eq!(b.attr("#card_number", "autocomplete").await, "cc-number");
    fill_card(&mut b, "9704 2293 0660 4047", "Arturo Moen", "01/23", None).await;
    fits_phone(&mut b).await;
    b.screenshot("card").await;
    b.click("#pay").await;
    b.wait_for("#otp").await;
    assert_eq!(b.text("#masked-card").await, "970422******4047");
    b.type_into("#otp", "123456").await;
    b.screenshot("otp").await;
    b.click("#confirm").await;
    let back = b.wait_url("the merchant's return page", |u| shop.is_return(u)).await;
    b.wait_for("#shop-return").await;
    b.screenshot("merchant").await;
    let q = verified_redirect(&p, &back);
    assert_eq!(q["errorCode"], "0");
    assert_eq!((q["paymentMethod"].as_str(), q["bankCode"].as_str()), ("ATM", "MB"));
    assert_eq!(q["amount"], "50000");
    assert_eq!(q["shop"], "1", "the merchant's own query is kept");
    let ipns = shop.ipn.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(ipns[0].body["errorCode"], 0);
    // The link, opened again, shows the result and the way back.
    b.goto(&url).await;
    assert_eq!(b.text("#result-title").await, "Thanh toán thành công");
    assert!(b.exists("#back-to-merchant").await && !b.exists("form").await);
    b.screenshot("result-again").await;
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn cc_order_chosen_on_the_page() {
    let t = TestGateway::start().await;
    let shop = Shop::start().await;
    let p = t.sandbox();
    let url = bank_order(&t, &p, "b-cc-1", 250_000, "ALL", "", "Áo thun x2", &shop.ipn.url, &shop.redirect).await;
    let mut b = Browser::start("cc").await;
    b.goto(&url).await;
    b.wait_for("#method-CC").await;
    fits_phone(&mut b).await;
    b.screenshot("methods").await;
    b.click("#method-CC").await;
    b.wait_for("#bank-VISA").await;
    b.screenshot("brands").await;
    b.click("#bank-VISA").await;
    b.wait_for("#card_cvv").await;
    assert_eq!(b.attr("#card_date", "autocomplete").await, "cc-exp");
    assert_eq!(b.attr("#card_cvv", "autocomplete").await, "cc-csc");
    fill_card(&mut b, "4000000000001075", "NGUYEN VAN A", "12/30", Some("123")).await;
    b.screenshot("card").await;
    b.click("#pay").await;
    b.type_into("#otp", "123456").await;
    b.click("#confirm").await;
    let back = b.wait_url("the merchant's return page", |u| shop.is_return(u)).await;
    b.screenshot("merchant").await;
    let q = verified_redirect(&p, &back);
    assert_eq!((q["errorCode"].as_str(), q["paymentMethod"].as_str(), q["bankCode"].as_str()), ("0", "CC", "VISA"));
    let (_, st) = t.status(&p, "b-cc-1").await;
    assert_eq!(st["cardInfo"]["cardNumber"], "400000******1075");
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn declines_show_their_message() {
    let t = TestGateway::start().await;
    let shop = Shop::start().await;
    let p = t.sandbox();
    let url = bank_order(&t, &p, "b-dec-1", 30_000, "CC", "VISA", "decline", &shop.ipn.url, &shop.redirect).await;
    let mut b = Browser::start("decline").await;
    b.goto(&url).await;
    // An input error: shown next to the field, nothing settled.
    fill_card(&mut b, "4000000000000003", "LE VAN C", "01/31", Some("123")).await;
    b.click("#pay").await;
    assert_eq!(b.text("#card_number-error").await, "Số thẻ không đúng (mã 76)");
    assert_eq!(b.attr("#card_number", "aria-invalid").await, "true");
    b.screenshot("invalid-number").await;
    // The issuer declines: the customer goes back to the merchant with 61.
    fill_card(&mut b, "4000000000000002", "LE VAN C", "01/31", Some("123")).await;
    b.click("#pay").await;
    b.type_into("#otp", "123456").await;
    b.click("#confirm").await;
    let back = b.wait_url("the merchant's return page", |u| shop.is_return(u)).await;
    assert_eq!(b.text("#r-message").await, "Giao dịch bị từ chối");
    b.screenshot("merchant-declined").await;
    let q = verified_redirect(&p, &back);
    assert_eq!((q["errorCode"].as_str(), q["message"].as_str()), ("61", "Giao dịch bị từ chối"));
    // The link again: the failure, in the customer's words.
    b.goto(&url).await;
    assert_eq!(b.text("#result-title").await, "Thanh toán không thành công");
    assert_eq!(b.text("#result-message").await, "Giao dịch bị từ chối (mã 61)");
    b.screenshot("result").await;
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn wrong_otp_then_the_right_one() {
    let t = TestGateway::start().await;
    let shop = Shop::start().await;
    let p = t.sandbox();
    let url = bank_order(&t, &p, "b-otp-1", 12_000, "ATM", "VCB", "otp", &shop.ipn.url, &shop.redirect).await;
    let mut b = Browser::start("otp").await;
    b.goto(&url).await;
    fill_card(&mut b, "9704000000000018", "NGUYEN VAN A", "05/21", None).await;
    b.click("#pay").await;
    b.type_into("#otp", "111111").await;
    b.click("#confirm").await;
    assert_eq!(b.text("#otp-error").await, "OTP không chính xác (mã 21)");
    assert_eq!(b.text("#attempts-left").await, "2");
    b.screenshot("wrong-otp").await;
    b.type_into("#otp", "123456").await;
    b.click("#confirm").await;
    let back = b.wait_url("the merchant's return page", |u| shop.is_return(u)).await;
    assert_eq!(verified_redirect(&p, &back)["errorCode"], "0");
    b.screenshot("merchant").await;
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn cancel_returns_38() {
    let t = TestGateway::start().await;
    let shop = Shop::start().await;
    let p = t.sandbox();
    let url = bank_order(&t, &p, "b-cancel-1", 12_000, "ATM", "", "cancel", &shop.ipn.url, &shop.redirect).await;
    let mut b = Browser::start("cancel").await;
    b.goto(&url).await;
    b.click("#bank-VCB").await;
    b.wait_for("#card_number").await;
    b.click("#cancel").await;
    let back = b.wait_url("the merchant's return page", |u| shop.is_return(u)).await;
    b.screenshot("merchant").await;
    let q = verified_redirect(&p, &back);
    assert_eq!((q["errorCode"].as_str(), q["message"].as_str()), ("38", "Người dùng huỷ giao dịch"));
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn expired_and_tampered_links() {
    let t = TestGateway::start_with(|c| c.payment_ttl = Duration::from_secs(5)).await;
    let shop = Shop::start().await;
    let p = t.sandbox();
    // The browser first: the order's few seconds of life start with its creation.
    let mut b = Browser::start("links").await;
    let url = bank_order(&t, &p, "b-exp-1", 12_000, "ATM", "VCB", "expiry", &shop.ipn.url, &shop.redirect).await;
    // Left open until it expires: the page turns into the expired result by itself.
    b.goto(&url).await;
    b.wait_for("#card_number").await;
    b.screenshot("before-expiry").await;
    b.wait_for("#result-title").await;
    assert_eq!(b.text("#result-title").await, "Giao dịch đã hết hạn");
    assert!(!b.exists("#card_number").await);
    b.screenshot("expired").await;
    // An expired link opened later: the same result, with the way back.
    b.goto(&url).await;
    assert_eq!(b.text("#result-message").await, "Quá thời gian thanh toán (mã 77)");
    b.click("#back-to-merchant").await;
    let back = b.wait_url("the merchant's return page", |u| shop.is_return(u)).await;
    assert_eq!(verified_redirect(&p, &back)["errorCode"], "77");
    // Tampered signature: an error page, never the order.
    let tampered = format!("{}{}", &url[..url.len() - 1], if url.ends_with('a') { 'b' } else { 'a' });
    b.goto(&tampered).await;
    assert_eq!(b.text("#error-title").await, "Liên kết thanh toán không hợp lệ");
    assert!(!b.exists("form").await && !b.exists("#amount").await);
    b.screenshot("tampered").await;
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn qr_order_settled_by_the_sandbox_button_while_the_page_polls() {
    let t = TestGateway::start().await;
    let shop = Shop::start().await;
    let p = t.sandbox();
    let body = p.qr_request("b-qr-1", 79_000, &shop.ipn.url, &shop.redirect);
    let (s, v, _) = t.post(&p, "/api/v1/orders/payment/qr", &body).await;
    assert_eq!(s, 200, "{v}");
    let trans_id = v["appotapayTransId"].as_str().expect("id").to_owned();
    let mut b = Browser::start("qr").await;
    b.goto(v["paymentUrl"].as_str().expect("url")).await;
    b.wait_for("#qr-image").await;
    assert!(b.property("#qr-image", "naturalWidth").await.as_i64().unwrap_or(0) > 100, "the QR image loads");
    assert_eq!(b.text("#qr-memo").await, trans_id);
    assert_eq!(b.text("#qr-amount").await, "79.000 ₫");
    assert_eq!(b.text("#qr-bank").await, "VietinBank");
    assert_eq!(b.text("#qr-account").await, "113366668888");
    countdown_ticks(&mut b).await;
    fits_phone(&mut b).await;
    b.screenshot("qr").await;
    let page_url = b.url().await;
    b.click("#simulate").await;
    // The script sent the credit without leaving the page; polling then moves on.
    let back = b.wait_url("the merchant's return page", |u| shop.is_return(u)).await;
    b.screenshot("merchant").await;
    assert_ne!(back, page_url);
    let q = verified_redirect(&p, &back);
    assert_eq!((q["errorCode"].as_str(), q["paymentMethod"].as_str()), ("0", "QR"));
    assert_eq!(q["appotapayTransId"], trans_id);

    // A credit reported by the bank (the sandbox API here) while the page is open:
    // the page notices by polling alone.
    let body = p.qr_request("b-qr-2", 5_000, &shop.ipn.url, &shop.redirect);
    let (_, v, _) = t.post(&p, "/api/v1/orders/payment/qr", &body).await;
    b.goto(v["paymentUrl"].as_str().expect("url")).await;
    b.wait_for("#qr-image").await;
    let credit = json!({"amount": 5_000, "memo": v["appotapayTransId"]});
    let (s, r, _) = t.post(&p, "/api/v1/sandbox/bank-credit", &credit).await;
    assert_eq!(s, 200, "{r}");
    let back = b.wait_url("the merchant's return page", |u| shop.is_return(u)).await;
    assert_eq!(verified_redirect(&p, &back)["orderId"], "b-qr-2");
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn processing_card_waits_then_succeeds() {
    let t = TestGateway::start_with(|c| c.sandbox_processing_delay = Duration::from_secs(2)).await;
    let shop = Shop::start().await;
    let p = t.sandbox();
    let url = bank_order(&t, &p, "b-slow-1", 40_000, "ATM", "BIDV", "slow", &shop.ipn.url, &shop.redirect).await;
    let mut b = Browser::start("processing").await;
    b.goto(&url).await;
    fill_card(&mut b, "9704000000000034", "TRAN THI B", "02/22", None).await;
    b.click("#pay").await;
    b.type_into("#otp", "123456").await;
    b.click("#confirm").await;
    b.wait_for("#processing-title").await;
    b.screenshot("processing").await;
    let back = b.wait_url("the merchant's return page", |u| shop.is_return(u)).await;
    assert_eq!(verified_redirect(&p, &back)["errorCode"], "0");
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn english_on_request() {
    let t = TestGateway::start().await;
    let shop = Shop::start().await;
    let p = t.sandbox();
    let url = bank_order(&t, &p, "b-en-1", 1_500_000, "ATM", "ACB", "Laptop", &shop.ipn.url, &shop.redirect).await;
    let mut b = Browser::start("english").await;
    b.goto(&url).await;
    assert_eq!(b.text("#lang-toggle").await, "English");
    b.click("#lang-toggle").await;
    b.wait_for("html[lang=en]").await;
    assert_eq!(b.text("#pay").await, "Pay 1.500.000 ₫");
    b.screenshot("english").await;
    // The choice sticks across steps.
    fill_card(&mut b, "9704000000000018", "NGUYEN VAN A", "05/21", None).await;
    b.click("#pay").await;
    b.wait_for("#otp").await;
    assert!(b.exists("html[lang=en]").await);
    b.screenshot("otp-english").await;
    drop(b);
    t.shutdown().await;
}

/// The demo shop (built only on the SDK) beside the gateway, as a customer uses them:
/// the shop's product page, the gateway's checkout, back to the shop's verified
/// result page; the shop records the IPN and its orders page shows the state the
/// status API confirms. One card order and one QR order.
#[tokio::test]
async fn the_demo_shop_end_to_end() {
    let t = TestGateway::start().await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut config = appotapay_demo_shop::Config::from_env().expect("shop config");
    config.listen = addr.to_string();
    config.public_url = format!("http://{addr}");
    config.gateway_url = t.base.clone();
    let app = appotapay_demo_shop::app(config).expect("shop");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let shop = format!("http://{addr}");
    let on_shop_result = |u: &str| u.starts_with(&format!("{shop}/return"));

    let mut b = Browser::start("demo-shop").await;
    b.goto(&shop).await;
    b.wait_for("#pay-card-non-la").await;
    b.screenshot("products").await;
    b.click("#pay-card-non-la").await;
    b.wait_for("#method-ATM").await;
    assert_eq!(b.text("#amount").await, "120.000 ₫");
    b.click("#method-ATM").await;
    b.wait_for("#bank-VCB").await;
    b.click("#bank-VCB").await;
    b.wait_for("#card_number").await;
    fill_card(&mut b, "9704000000000018", "Nguyễn Văn A", "05/21", None).await;
    b.click("#pay").await;
    b.wait_for("#otp").await;
    b.type_into("#otp", "123456").await;
    b.click("#confirm").await;
    b.wait_url("the shop's result page", on_shop_result).await;
    b.wait_for("#result").await;
    b.screenshot("card-result").await;
    assert_eq!(b.attr("#result", "data-error-code").await, "0", "the shop verified a success");
    let card_order = b.text("#order-id").await;

    b.goto(&shop).await;
    b.wait_for("#pay-qr-ca-phe").await;
    b.click("#pay-qr-ca-phe").await;
    b.wait_for("#qr-image").await;
    assert_eq!(b.text("#qr-amount").await, "45.000 ₫");
    b.screenshot("qr").await;
    b.click("#simulate").await;
    b.wait_url("the shop's result page", on_shop_result).await;
    b.wait_for("#result").await;
    assert_eq!(b.attr("#result", "data-error-code").await, "0");
    let qr_order = b.text("#order-id").await;

    // The IPNs reach the shop (at once, in the sandbox); its orders page shows them,
    // with the status API's word beside.
    let http = reqwest::Client::new();
    let start = std::time::Instant::now();
    let orders = loop {
        let orders: serde_json::Value =
            http.get(format!("{shop}/orders.json")).send().await.expect("orders").json().await.expect("json");
        let paid = orders.as_array().map_or(0, |a| a.iter().filter(|o| o["state"] == "paid").count());
        if paid == 2 {
            break orders;
        }
        assert!(start.elapsed() < crate::webdriver::WAIT, "both IPNs recorded by the shop: {orders}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for id in [&card_order, &qr_order] {
        let o = orders.as_array().and_then(|a| a.iter().find(|o| o["order_id"] == id.as_str())).expect("the order");
        assert_eq!((o["ipn_count"].clone(), o["confirmed_error_code"].clone()), (json!(1), json!(0)), "{o}");
    }
    b.goto(&format!("{shop}/orders")).await;
    b.wait_for("table").await;
    b.screenshot("orders").await;
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn the_card_page_scripts_delivery_faults() {
    let t = TestGateway::start().await;
    let shop = Shop::start().await;
    let p = t.sandbox();
    let url = bank_order(&t, &p, "b-faults", 30_000, "ATM", "VCB", "Thử lỗi IPN", &shop.ipn.url, &shop.redirect).await;
    let mut b = Browser::start("faults").await;
    b.goto(&url).await;
    b.wait_for("#card_number").await;
    b.click("#faults summary").await;
    b.wait_for("#fault-twice").await;
    b.click("#fault-twice").await;
    b.type_into("#fault-delay", "1").await;
    b.screenshot("faults-form").await;
    b.click("#fault-submit").await;
    b.wait_for("#faults-scripted").await;
    assert!(b.text("#faults-scripted").await.contains("gửi hai lần, trễ 1 giây"), "the page shows the script");
    fits_phone(&mut b).await;
    b.screenshot("faults-scripted").await;
    fill_card(&mut b, "9704 0000 0000 0018", "Nguyen Van A", "01/20", None).await;
    b.click("#pay").await;
    b.wait_for("#otp").await;
    b.type_into("#otp", "123456").await;
    b.click("#confirm").await;
    b.wait_url("the merchant's return page", |u| shop.is_return(u)).await;
    let ipns = shop.ipn.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(ipns.len(), 2, "delivered twice, as scripted");
    assert_eq!(ipns[0].body, ipns[1].body);
    drop(b);
    t.shutdown().await;
}
