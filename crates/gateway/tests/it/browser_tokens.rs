//! A saved card in a real headless Chromium: a v1.1 `PAY_WITH_RETURN_TOKEN` payment
//! typed on the checkout saves the card, and the token then pays a second order,
//! which opens on the saved card's OTP step (the sandbox still asks for the OTP).

use crate::browser::{Shop, fill_card};
use crate::harness::*;
use crate::v11::{create_v11, v11_body};
use crate::webdriver::Browser;
use appotapay_protocol::v11::{Reading, TokenResult};
use std::time::Duration;

#[tokio::test]
async fn a_saved_card_pays_a_second_order_in_the_browser() {
    let t = TestGateway::start().await;
    let shop = Shop::start().await;
    let p = t.sandbox();
    let mut first = v11_body("tok-b-1", "ATM", "", "PAY_WITH_RETURN_TOKEN", None, &shop.ipn.url);
    first["redirectUrl"] = serde_json::json!(shop.redirect);
    let (s, created) = create_v11(&t, &p, first, Reading::A).await;
    assert_eq!(s, 200, "{created}");
    let mut b = Browser::start("saved-card").await;
    b.goto(created["paymentUrl"].as_str().expect("url")).await;
    b.wait_for("#bank-MB").await;
    b.click("#bank-MB").await;
    b.wait_for("#card_number").await;
    fill_card(&mut b, "9704 2293 0660 4047", "Arturo Moen", "01/23", None).await;
    b.click("#pay").await;
    b.wait_for("#otp").await;
    b.type_into("#otp", "123456").await;
    b.click("#confirm").await;
    let back = b.wait_url("the merchant's return page", |u| shop.is_return(u)).await;
    b.wait_for("#shop-return").await;
    b.screenshot("saved").await;
    let q = query_map(&back);
    assert_eq!(q["errorCode"], "0");
    let saved = TokenResult::parse(&q["tokenResult"]).expect("tokenResult");
    assert_eq!(b.text("#r-tokenResult").await, q["tokenResult"], "shown as sent");
    assert_eq!(saved.card.card_number, "970422xxxxxx4047");
    assert_eq!(saved.card.card_name, "ARTURO MOEN");

    // The token pays a second order: straight to the OTP of the saved card.
    let mut second = v11_body("tok-b-2", "ALL", "", "PAY_WITH_TOKEN", Some(&saved.card.token), &shop.ipn.url);
    second["redirectUrl"] = serde_json::json!(shop.redirect);
    let (s, created) = create_v11(&t, &p, second, Reading::B).await;
    assert_eq!(s, 200, "{created}");
    b.goto(created["paymentUrl"].as_str().expect("url")).await;
    b.wait_for("#otp").await;
    assert_eq!(b.text("#masked-card").await, "970422******4047");
    assert!(!b.exists("#card_number").await, "no card to type");
    b.screenshot("token-otp").await;
    b.type_into("#otp", "123456").await;
    b.click("#confirm").await;
    let back = b.wait_url("the merchant's return page", |u| shop.is_return(u)).await;
    let q = query_map(&back);
    assert_eq!((q["errorCode"].as_str(), q["orderId"].as_str(), q["bankCode"].as_str()), ("0", "tok-b-2", "MB"));
    assert!(!q.contains_key("tokenResult"), "paying with a token saves nothing new");
    let ipns = shop.ipn.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(ipns.len(), 2);
    let second_ipn = ipns.iter().find(|r| r.body["orderId"] == "tok-b-2").expect("the second IPN");
    assert_eq!(second_ipn.body["errorCode"], 0);
    drop(b);
    t.shutdown().await;
}
