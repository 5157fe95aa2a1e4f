//! A locked partner's open payment links: every checkout page and post answers the
//! "cannot take payments now" page and settles nothing, the QR image is withheld;
//! unlocked, the same links work again.

use crate::checkout::{Page, bank_order, get, shop, submit};
use crate::harness::*;
use appotapay_gateway::domain::order::State;
use std::time::Duration;

const VI: &str = "Cửa hàng này hiện không thể nhận thanh toán";
const EN: &str = "This merchant cannot take payments now";

fn locked_page(page: &Page, text: &str) {
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains(text) && page.body.contains("13"), "{}", page.body);
}

on_both!(a_locked_partners_links_settle_nothing);
async fn a_locked_partners_links_settle_nothing(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let (m, redirect) = shop().await;
    let p = t.partner("LOCKME", false).await;
    let card_url = bank_order(&t, &p, "lock-card", 50_000, "ATM", "TPBANK", "x", &m.url, &redirect).await;
    let card_id = t.trans_id_of(&card_url);
    let body = p.qr_request("lock-qr", 60_000, &m.url, &redirect);
    let (s, qr, _) = t.post(&p, "/api/v1/orders/payment/qr", &body).await;
    assert_eq!(s, 200, "{qr}");
    let qr_id = qr["appotapayTransId"].as_str().expect("id").to_owned();
    let qr_url = qr["paymentUrl"].as_str().expect("url").to_owned();
    let qr_image = qr["qrData"]["qrCodeUrl"].as_str().expect("qr").to_owned();
    // The pages as the customer opened them before the lock (forms and tokens).
    let card_page = get(&t, &card_url).await;
    let qr_page = get(&t, &qr_url).await;
    assert_eq!((card_page.status, qr_page.status), (200, 200));

    assert!(t.gw().set_partner_locked("LOCKME", true).await.expect("lock"));
    locked_page(&get(&t, &card_url).await, VI);
    locked_page(&get(&t, &format!("{card_url}&lang=en")).await, EN);
    locked_page(&get(&t, &qr_url).await, VI);
    let card = [("card_number", "9704000000000018"), ("card_holder", "NGUYEN VAN A"), ("card_date", "05/21")];
    locked_page(&submit(&t, &card_page, "/bank/payment/card", &card).await, VI);
    locked_page(&submit(&t, &qr_page, "/bank/payment/qr/simulate", &[]).await, VI);
    locked_page(&submit(&t, &card_page, "/bank/payment/cancel", &[]).await, VI);
    let status = get(&t, &card_url.replace("/bank/payment/process", "/bank/payment/status")).await;
    assert_eq!(status.status, 403, "{}", status.body);
    let img = t.http.get(&qr_image).send().await.expect("qr");
    assert_eq!(img.status(), 403, "no QR to pay into");
    for id in [&card_id, &qr_id] {
        let o = t.gw().order(id).await.expect("read").expect("order");
        assert_eq!(o.state, State::Pending, "{id} settled nothing");
        assert_eq!(t.gw().checkout(id).await.expect("read"), None, "{id}: no card kept");
    }
    // The partner's own API answers 13 meanwhile, the sandbox helper included.
    let (s, v) = t.complete(&p, &qr_id, 0).await;
    assert_eq!((s, v["errorCode"].as_i64()), (401, Some(13)), "{v}");

    // Unlocked, the same links work again.
    assert!(t.gw().set_partner_locked("LOCKME", false).await.expect("unlock"));
    assert_eq!(get(&t, &card_url).await.status, 200);
    assert_eq!(t.http.get(&qr_image).send().await.expect("qr").status(), 200);
    let after_card = submit(&t, &card_page, "/bank/payment/card", &card).await;
    assert_eq!(after_card.status, 303, "card accepted: {}", after_card.body);
    assert!(t.gw().checkout(&card_id).await.expect("read").is_some(), "awaiting its OTP");
    let paid = submit(&t, &qr_page, "/bank/payment/qr/simulate", &[]).await;
    assert_eq!(paid.status, 303, "{}", paid.body);
    assert_eq!(t.gw().order(&qr_id).await.expect("read").expect("order").state, State::Success);
    assert_eq!(m.wait_for(1, Duration::from_secs(5)).await.len(), 1, "its IPN");
    t.shutdown().await;
}
