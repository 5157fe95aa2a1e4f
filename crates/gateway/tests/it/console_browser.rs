//! The console (`/console`) and the front door (`/`) in a real headless Chromium:
//! signing in with an admin token, a viewer refused, finding an order and its IPN,
//! resending, refunding, locking a partner, escaping, cross-site posts refused, and a
//! screenshot of every page at 1440 and 375 px wide (written to
//! `$CARGO_TARGET_DIR/test-artifacts/console/`). Every test has its own gateway and
//! browser, and waits by polling the page.

use crate::harness::*;
use crate::webdriver::Browser;
use appotapay_gateway::console::{CONTENT_SECURITY_POLICY, i18n};
use appotapay_gateway::domain::console::{Admin, Role};
use appotapay_protocol::{Lang, signing};
use axum::response::Html;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::net::TcpListener;

/// What the merchant endpoint may take to arrive: generous, a bound only.
const IPN_WAIT: Duration = Duration::from_secs(20);
/// An orderInfo that would run, or add elements, if a page did not escape it.
const XSS: &str = "<script>window.__xss=1</script><b>x</b>";

/// A bank order of the partner with this `orderInfo`; returns its appotapayTransId.
async fn order_with_info(
    t: &TestGateway,
    p: &Partner,
    order_id: &str,
    amount: i64,
    info: &str,
    notify: &str,
) -> String {
    let body = p.sign(
        &signing::BANK_PAYMENT_REQUEST,
        json!({
            "orderId": order_id, "orderInfo": info, "amount": amount, "clientIp": "103.53.171.140",
            "notifyUrl": notify, "redirectUrl": "http://127.0.0.1:9/return", "paymentMethod": "ATM",
            "bankCode": "VCB", "extraData": ""
        }),
    );
    let (s, v, _) = t.post(p, "/api/v1/orders/payment/bank", &body).await;
    assert_eq!((s, v["errorCode"].clone()), (200, json!(0)), "{v}");
    t.trans_id_of(v["paymentUrl"].as_str().expect("paymentUrl"))
}

/// A bank order settled with `code` (0: paid) through the sandbox; returns its
/// appotapayTransId.
async fn settled_order(t: &TestGateway, p: &Partner, order_id: &str, amount: i64, code: u32, notify: &str) -> String {
    let id = order_with_info(t, p, order_id, amount, "Đơn hàng thử", notify).await;
    let (s, v) = t.complete(p, &id, code).await;
    assert_eq!(s, 200, "{v}");
    id
}

/// The order's IPN attempts as the store has them: (delivery status, attempt count)
/// per delivery.
async fn deliveries(t: &TestGateway, trans_id: &str) -> Vec<(String, usize)> {
    let story = t.gw().order_story(trans_id).await.expect("read").expect("the order");
    story.deliveries.iter().map(|d| (d.status.as_str().to_owned(), d.attempts.len())).collect()
}

/// Waits until the order's only IPN is delivered after `n` attempts in all.
async fn wait_delivered(t: &TestGateway, trans_id: &str, n: usize) {
    let start = std::time::Instant::now();
    loop {
        let d = deliveries(t, trans_id).await;
        if d.iter().all(|(s, _)| s == "delivered") && d.iter().map(|(_, a)| a).sum::<usize>() == n {
            return;
        }
        assert!(start.elapsed() < crate::webdriver::WAIT, "IPN of {trans_id} delivered after {n} attempts: {d:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The page's phrases (the browser's language decides).
async fn texts(b: &Browser) -> &'static i18n::Texts {
    let lang = b.execute("return document.documentElement.lang;").await;
    i18n::texts(if lang == "en" { Lang::En } else { Lang::Vi })
}

/// The whole text of an element (`textContent`, hidden parts too).
async fn text_content(b: &mut Browser, css: &str) -> String {
    b.wait_for(css).await;
    let script = format!("return document.querySelector({}).textContent;", json!(css));
    b.execute(&script).await.as_str().unwrap_or_default().to_owned()
}

/// Fails on a Content-Security-Policy violation the browser reported on the pages
/// since the last call.
async fn no_csp_violation(b: &Browser) {
    let bad: Vec<Value> = b
        .console_log()
        .await
        .into_iter()
        .filter(|e| {
            let m = e["message"].as_str().unwrap_or_default();
            m.contains("Content Security Policy") || m.contains("Content-Security-Policy")
        })
        .collect();
    assert!(bad.is_empty(), "CSP violations: {bad:?}");
}

/// Screenshots of the open page at 1440 px and at 375 px wide (`step-1440`,
/// `step-375`); at 375 px the page must not scroll sideways. Back to 1440 px after.
async fn shoot(b: &mut Browser, step: &str) {
    b.set_viewport(1440, 900).await;
    b.wait_true("a 1440 px viewport", "return window.innerWidth === 1440;").await;
    b.screenshot_full(&format!("{step}-1440")).await;
    b.set_viewport(375, 812).await;
    b.wait_true("a 375 px viewport", "return window.innerWidth === 375;").await;
    let v = b.execute("return [document.documentElement.scrollWidth, window.innerWidth];").await;
    let (scroll, inner) = (v[0].as_i64().unwrap_or(i64::MAX), v[1].as_i64().unwrap_or(0));
    if scroll > inner + 1 {
        let wide = b
            .execute(
                "var w = innerWidth, out = []; document.querySelectorAll('body *').forEach(function (e) { \
                 var r = e.getBoundingClientRect(); if (r.right > w + 1 && out.length < 8) \
                 { out.push(e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(r.right)); } }); return out;",
            )
            .await;
        b.screenshot(&format!("{step}-375-too-wide")).await;
        panic!("{step}: page {scroll}px wide in a {inner}px window at {}; wide elements: {wide}", b.url().await);
    }
    // No label wider than its column (a long field name over its value).
    let spilled = b
        .execute(
            "return Array.prototype.filter.call(document.querySelectorAll('dl.fields dt, dl.fields dd'), \
             function (e) { return e.scrollWidth > e.clientWidth + 1; }).map(function (e) { return e.textContent; });",
        )
        .await;
    assert_eq!(spilled, json!([]), "{step}: field names or values spill over at 375 px");
    b.screenshot_full(&format!("{step}-375")).await;
    b.set_viewport(1440, 900).await;
    b.wait_true("a 1440 px viewport", "return window.innerWidth === 1440;").await;
}

/// The security headers of a console page, fetched outside the browser.
async fn has_csp(t: &TestGateway, path: &str) {
    let resp =
        t.http.get(format!("{}{path}", t.base)).header("accept", "text/html").send().await.expect("console page");
    let status = resp.status().as_u16();
    let csp = resp.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(status < 500, "{path}: HTTP {status}");
    assert_eq!(csp, CONTENT_SECURITY_POLICY, "{path}: Content-Security-Policy");
}

/// The number of `css` elements on the page.
async fn count(b: &Browser, css: &str) -> i64 {
    b.execute(&format!("return document.querySelectorAll({}).length;", json!(css))).await.as_i64().unwrap_or(-1)
}

/// Waits until the page has exactly `n` `css` elements (live updates included).
async fn wait_count(b: &mut Browser, css: &str, n: i64) {
    let script = format!("return document.querySelectorAll({}).length === {n};", json!(css));
    b.wait_true(&format!("{n} × {css}"), &script).await;
}

/// Opens an order's page from the orders list, filtered by its orderId.
async fn open_by_order_id(b: &mut Browser, t: &TestGateway, order_id: &str, trans_id: &str) {
    b.goto(&format!("{}/console/orders", t.base)).await;
    b.type_into("#f-order-id", order_id).await;
    b.click("#filter-button").await;
    b.wait_url("the filtered list", |u| u.contains("order_id=")).await;
    b.wait_for("a.order-link").await;
    assert_eq!(count(b, "a.order-link").await, 1, "one order found by its orderId");
    // In one script each: the list's live part may be fetched again meanwhile.
    assert_eq!(text_content(b, "a.order-link").await, trans_id);
    b.execute("document.querySelector('a.order-link').click();").await;
    b.wait_for("#order-title").await;
    assert_eq!(b.text("#order-title").await, trans_id);
}

#[tokio::test]
async fn a_token_signs_in_and_a_viewer_may_not_act() {
    let t = TestGateway::start_with(|c| c.console_login = true).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let (viewer, viewer_secret) = t.gw().create_admin_token(Role::Viewer, "qa").await.expect("viewer token");
    let (operator, operator_secret) = t.gw().create_admin_token(Role::Operator, "ops").await.expect("operator token");
    let id = settled_order(&t, &p, "cb-login-1", 40_000, 0, &m.url).await;
    wait_delivered(&t, &id, 1).await;
    has_csp(&t, "/console/login").await;

    let mut b = Browser::start_in("console", "login").await;
    b.goto(&format!("{}/console", t.base)).await;
    b.wait_url("the login page", |u| u.ends_with("/console/login")).await;
    b.wait_for("#login-form").await;
    assert!(!b.exists("#nav-orders").await, "nothing of the console before signing in");
    shoot(&mut b, "login").await;

    // A wrong token: refused, still on the login page.
    b.type_into("#token", "apgw_admin_not-a-token").await;
    b.click("#login-button").await;
    b.wait_for("#login-error").await;
    assert!(!b.exists("#who").await);
    shoot(&mut b, "login-failed").await;

    // The viewer signs in and sees who they are.
    b.type_into("#token", &viewer_secret).await;
    b.click("#login-button").await;
    b.wait_for("#who").await;
    let who = b.text("#who").await;
    assert!(who.contains(&viewer.id) && who.contains("qa") && who.contains("viewer"), "#who: {who}");
    assert!(b.exists("#viewer-note").await, "the viewer is told they only look");
    no_csp_violation(&b).await;

    // The viewer opens the order and presses resend: refused, nothing queued.
    b.goto(&format!("{}/console/orders/{id}", t.base)).await;
    b.wait_for("tr.attempt").await;
    b.click("#resend-button").await;
    b.wait_for("#message").await;
    let msg = b.text("#message").await;
    assert!(msg.contains("operator"), "the refusal says an operator is needed: {msg}");
    shoot(&mut b, "viewer-refused").await;
    assert_eq!(deliveries(&t, &id).await, vec![("delivered".to_owned(), 1)], "no IPN queued by a viewer");
    assert_eq!(m.received().len(), 1, "the merchant got no extra delivery");

    // Log out; the operator signs in.
    b.click("#logout").await;
    b.wait_url("the login page", |u| u.ends_with("/console/login")).await;
    b.wait_for("#login-form").await;
    b.goto(&format!("{}/console/orders", t.base)).await;
    b.wait_url("the login page again", |u| u.ends_with("/console/login")).await;
    b.type_into("#token", &operator_secret).await;
    b.click("#login-button").await;
    b.wait_for("#who").await;
    let who = b.text("#who").await;
    assert!(who.contains(&operator.id) && who.contains("operator"), "#who: {who}");
    assert!(!b.exists("#viewer-note").await);
    no_csp_violation(&b).await;
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn an_order_found_by_its_order_id_shows_the_ipn_sent() {
    let t = TestGateway::start().await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    settled_order(&t, &p, "cb-other-1", 10_000, 0, &m.url).await;
    let id = settled_order(&t, &p, "cb-find-1", 75_000, 0, &m.url).await;
    let sent = m.wait_for(2, IPN_WAIT).await;
    let sent = sent.iter().find(|r| r.body["orderId"] == "cb-find-1").expect("the order's IPN").body.clone();
    wait_delivered(&t, &id, 1).await;

    let mut b = Browser::start_in("console", "find").await;
    open_by_order_id(&mut b, &t, "cb-find-1", &id).await;
    let outbox_id = t.gw().order_story(&id).await.expect("read").expect("order").deliveries[0].id;
    let shown: Value = serde_json::from_str(&text_content(&mut b, &format!("pre#ipn-body-{outbox_id}")).await)
        .expect("the body shown is JSON");
    assert_eq!(shown, sent, "the page shows the body the merchant received");
    assert_eq!(count(&b, "tr.attempt").await, 1);
    let row = text_content(&mut b, "tr.attempt").await;
    let t_ = texts(&b).await;
    assert!(row.contains("HTTP 200"), "attempt row: {row}");
    assert!(row.contains(t_.yes), "attempt row says delivered: {row}");
    assert!(b.exists("tr.attempt.ok").await, "the attempt is marked delivered");
    no_csp_violation(&b).await;
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn an_operator_resends_the_ipn() {
    let t = TestGateway::start().await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let id = settled_order(&t, &p, "cb-resend-1", 60_000, 0, &m.url).await;
    wait_delivered(&t, &id, 1).await;
    assert_eq!(m.received().len(), 1);

    let mut b = Browser::start_in("console", "resend").await;
    b.goto(&format!("{}/console/orders/{id}", t.base)).await;
    wait_count(&mut b, "tr.attempt", 1).await;
    b.click("#resend-button").await;
    b.wait_for("#flash").await;
    let got = m.wait_for(2, IPN_WAIT).await;
    assert_eq!(got.len(), 2, "a second delivery");
    assert_eq!(got[1].body, got[0].body, "the same body");
    // After the redirect back, or by the live update when the attempt came later.
    wait_count(&mut b, "tr.attempt", 2).await;
    assert_eq!(count(&b, "tr.attempt.ok").await, 2);
    shoot(&mut b, "resent").await;
    no_csp_violation(&b).await;
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn an_operator_refunds_part_of_an_order() {
    let t = TestGateway::start().await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let id = settled_order(&t, &p, "cb-refund-1", 100_000, 0, &m.url).await;
    wait_delivered(&t, &id, 1).await;

    let mut b = Browser::start_in("console", "refund").await;
    b.goto(&format!("{}/console/orders/{id}", t.base)).await;
    b.wait_for("#refund-form").await;
    assert_eq!(b.attr("#refund-amount", "max").await, "100000");
    assert_eq!(count(&b, "tr.refund").await, 0);
    b.type_into("#refund-amount", "30000").await;
    b.type_into("#refund-reason", "Khách trả một món").await;
    b.click("#refund-button").await;
    b.wait_for("#flash").await;
    b.wait_for("tr.refund").await;
    assert_eq!(count(&b, "tr.refund").await, 1);
    let row = text_content(&mut b, "tr.refund").await;
    assert_eq!(text_content(&mut b, "tr.refund .refund-amount").await, "30.000 ₫", "refund row: {row}");
    assert!(row.contains("Khách trả một món"), "the reason: {row}");
    assert_eq!(b.attr("#refund-amount", "max").await, "70000", "what is left to refund");
    let form = b.text("#refund-form").await;
    assert!(form.contains("70.000 ₫"), "the form says what is left: {form}");
    shoot(&mut b, "refunded").await;
    no_csp_violation(&b).await;
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn a_locked_partner_is_refused_until_unlocked() {
    let t = TestGateway::start().await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.partner("CBLOCK", false).await;
    t.create_bank(&p, "cb-lock-0", 20_000, "ATM", "VCB", &m.url).await;

    let mut b = Browser::start_in("console", "lock").await;
    b.goto(&format!("{}/console/partners/CBLOCK", t.base)).await;
    b.wait_for("#lock-button").await;
    let t_ = texts(&b).await;
    assert_eq!(b.text("#partner-status").await, t_.active);
    b.click("#lock-button").await;
    b.wait_for("#flash").await;
    assert_eq!(b.text("#partner-status").await, t_.locked);
    shoot(&mut b, "locked").await;
    let body = p.bank_request("cb-lock-1", 20_000, "ATM", "VCB", &m.url);
    let (_, v, _) = t.post(&p, "/api/v1/orders/payment/bank", &body).await;
    assert_eq!(v["errorCode"], 13, "a locked partner's calls are refused: {v}");
    let (_, v) = t.status(&p, "cb-lock-0").await;
    assert_eq!(v["errorCode"], 13, "{v}");

    b.click("#lock-button").await;
    b.wait_true(
        "the partner active again",
        &format!(
            "var e = document.getElementById('partner-status'); return !!e && e.textContent === {};",
            json!(t_.active)
        ),
    )
    .await;
    t.create_bank(&p, "cb-lock-2", 20_000, "ATM", "VCB", &m.url).await;
    let (_, v) = t.status(&p, "cb-lock-0").await;
    assert_eq!(v["errorCode"], 35, "the status of the pending order again: {v}");
    no_csp_violation(&b).await;
    drop(b);
    t.shutdown().await;
}

/// A merchant endpoint that accepts every IPN, its answer carrying markup.
async fn markup_merchant() -> String {
    let app = axum::Router::new()
        .route("/ipn", post(|| async { r#"{"status":"ok","note":"<script>window.__xss=3</script><b>x</b>"}"# }));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}/ipn")
}

/// Fails if markup from the data became elements, or ran.
async fn nothing_injected(b: &Browser, page: &str) {
    let v = b
        .execute(
            "return { inline: document.querySelectorAll('script:not([src])').length, \
             bold: Array.prototype.filter.call(document.querySelectorAll('b'), function (e) { return e.textContent === 'x'; }).length, \
             xss: typeof window.__xss };",
        )
        .await;
    assert_eq!(v, json!({"inline": 0, "bold": 0, "xss": "undefined"}), "{page}: markup from the data became elements");
}

#[tokio::test]
async fn markup_in_the_data_is_shown_as_text() {
    let t = TestGateway::start().await;
    let notify = markup_merchant().await;
    let name = "Shop <script>window.__xss=2</script><b>x</b>";
    let mut b = Browser::start_in("console", "escaping").await;

    // A partner with markup in its name, created on the console.
    b.goto(&format!("{}/console/partners", t.base)).await;
    b.type_into("#new-code", "CBXSS").await;
    b.type_into("#new-name", name).await;
    b.click("#create-partner-button").await;
    b.wait_for("#new-secret").await;
    let p = Partner::new("CBXSS", &b.text("#new-api-key").await, &b.text("#new-secret").await);

    // The live page open before the orders come.
    b.goto(&format!("{}/console/live", t.base)).await;
    b.wait_for("#live-dot:not([hidden])").await;
    let id = order_with_info(&t, &p, "cb-xss-1", 30_000, XSS, &notify).await;
    b.wait_for("#live-list li.live-event").await;
    let (s, v) = t.complete(&p, &id, 0).await;
    assert_eq!(s, 200, "{v}");
    wait_delivered(&t, &id, 1).await;
    b.wait_true(
        "the settlement and the IPN on the live page",
        "return document.querySelectorAll('#live-list li.k-settled').length >= 1 && \
         document.querySelectorAll('#live-list li.k-ipn').length >= 1;",
    )
    .await;
    let live = text_content(&mut b, "#live-list").await;
    assert!(live.contains(&id) && live.contains("CBXSS"), "the live page lists the events: {live}");
    nothing_injected(&b, "live").await;
    shoot(&mut b, "live-events").await;

    // The orders list: the orderInfo as the cell's title, verbatim.
    b.goto(&format!("{}/console/orders", t.base)).await;
    b.wait_for("a.order-link").await;
    let titled = b
        .execute(&format!(
            "return Array.prototype.some.call(document.querySelectorAll('#orders-table td[title]'), \
             function (e) {{ return e.title === {}; }});",
            json!(XSS)
        ))
        .await;
    assert_eq!(titled, json!(true), "the orderInfo verbatim on the list");
    nothing_injected(&b, "orders").await;
    shoot(&mut b, "escaping-orders").await;

    // The order page: orderInfo, and the merchant's answer, as text.
    b.goto(&format!("{}/console/orders/{id}", t.base)).await;
    b.wait_for("tr.attempt").await;
    assert_eq!(text_content(&mut b, "#field-orderInfo").await, XSS);
    let head = text_content(&mut b, "tr.attempt code.head").await;
    assert!(head.contains("<script>window.__xss=3</script>"), "the answer's head as text: {head}");
    nothing_injected(&b, "order").await;
    shoot(&mut b, "escaping-order").await;

    // The partner's name on the partner list, its page and the audit log.
    for (path, css) in [("/console/partners", "#partners-table"), ("/console/partners/CBXSS", "dl.fields")] {
        b.goto(&format!("{}{path}", t.base)).await;
        let text = text_content(&mut b, css).await;
        assert!(text.contains(name), "{path}: the name as text: {text}");
        nothing_injected(&b, path).await;
    }
    b.goto(&format!("{}/console/audit", t.base)).await;
    let audit = text_content(&mut b, "#audit-table").await;
    assert!(audit.contains("partner.create") && audit.contains("<script>window.__xss=2</script>"), "{audit}");
    nothing_injected(&b, "audit").await;
    shoot(&mut b, "escaping-audit").await;
    no_csp_violation(&b).await;
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn a_post_from_another_origin_is_refused() {
    let t = TestGateway::start().await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let id = settled_order(&t, &p, "cb-csrf-1", 45_000, 0, &m.url).await;
    wait_delivered(&t, &id, 1).await;

    let mut b = Browser::start_in("console", "csrf").await;
    // A real token, as a page of the console has it.
    b.goto(&format!("{}/console/orders/{id}", t.base)).await;
    let csrf = b.attr("#resend-form input[name=csrf]", "value").await;
    assert!(!csrf.is_empty());

    // Another origin: 127.0.0.1 on another port, with forms that post to the console.
    let action = format!("{}/console/orders/{id}/resend", t.base);
    let page = format!(
        "<!DOCTYPE html><html><head><title>Elsewhere</title></head><body><h1 id=\"elsewhere\">Elsewhere</h1>\
         <form method=\"post\" action=\"{action}\" id=\"with-token\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button id=\"post-with-token\">with token</button></form>\
         <form method=\"post\" action=\"{action}\" id=\"without-token\"><button id=\"post-without-token\">without</button></form>\
         </body></html>"
    );
    let app = axum::Router::new().route("/", get(move || async move { Html(page) }));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let other = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    for button in ["#post-with-token", "#post-without-token"] {
        b.goto(&other).await;
        b.wait_for("#elsewhere").await;
        b.click(button).await;
        b.wait_url("the console's answer", |u| u.starts_with(&t.base)).await;
        b.wait_for("#message").await;
        let t_ = texts(&b).await;
        assert_eq!(b.text("#message").await, t_.forbidden, "{button}: refused");
        b.screenshot(&format!("refused{}", button.replace('#', "-"))).await;
        assert_eq!(deliveries(&t, &id).await, vec![("delivered".to_owned(), 1)], "{button}: no IPN queued");
    }
    let status = t
        .http
        .post(&action)
        .header("origin", other.trim_end_matches('/'))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("post")
        .status();
    assert_eq!(status, 403, "the same post outside a browser, with its Origin");
    assert_eq!(m.received().len(), 1, "the merchant got no extra delivery");
    drop(b);
    t.shutdown().await;
}

#[tokio::test]
async fn every_page_at_desktop_and_phone_width() {
    let t = TestGateway::start().await;
    let ok = Merchant::start(vec![], Answer::Ok).await;
    let failing = Merchant::start(vec![], Answer::Status(500)).await;
    let p = t.sandbox();
    let shop = t.partner("CBSHOP", true).await;
    // Orders of every kind, for the charts' bars.
    let paid = settled_order(&t, &p, "cb-shot-1", 120_000, 0, &ok.url).await;
    settled_order(&t, &p, "cb-shot-2", 45_000, 0, &ok.url).await;
    settled_order(&t, &p, "cb-shot-3", 80_000, 61, &ok.url).await;
    settled_order(&t, &shop, "cb-shot-4", 30_000, 0, &failing.url).await;
    settled_order(&t, &shop, "cb-shot-5", 15_000, 0, &failing.url).await;
    t.create_qr(&p, "cb-shot-6", 79_000, &ok.url).await;
    wait_delivered(&t, &paid, 1).await;
    let refunded = t.gw().operator_refund(&Admin::local(), &paid, 20_000, "một phần", None).await.expect("refund");
    assert!(refunded.is_ok(), "{refunded:?}");
    // The failing merchant's IPNs in the deliveries' list.
    let start = std::time::Instant::now();
    while t.gw().delivery_groups(None, 100, 50).await.expect("groups").is_empty() {
        assert!(start.elapsed() < crate::webdriver::WAIT, "a failing group");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let order_path = format!("/console/orders/{paid}");
    let pages = [
        ("/console", "overview", "#overview-region rect > title"),
        ("/console?window=day", "overview-day", "#overview-region rect > title"),
        ("/console/orders", "orders", "a.order-link"),
        (order_path.as_str(), "order", "tr.attempt"),
        ("/console/deliveries", "deliveries", ".group .failing-row"),
        ("/console/partners", "partners", "a.partner-link"),
        ("/console/partners/CBSHOP", "partner", "#lock-button"),
        ("/console/audit", "audit", "h1"),
    ];
    let mut b = Browser::start_in("console", "pages").await;
    for (path, step, ready) in pages {
        has_csp(&t, path).await;
        b.goto(&format!("{}{path}", t.base)).await;
        b.wait_for(ready).await;
        shoot(&mut b, step).await;
        no_csp_violation(&b).await;
    }
    // The policy holds in the browser, and its violations reach the log read above:
    // an inline script added to the page does not run, and is reported.
    b.execute(
        "var s = document.createElement('script'); s.textContent = 'window.__inline = 1;'; document.head.appendChild(s);",
    )
    .await;
    assert_eq!(b.execute("return typeof window.__inline;").await, json!("undefined"), "inline script blocked");
    let start = std::time::Instant::now();
    loop {
        let log = b.console_log().await;
        if log.iter().any(|e| e["message"].as_str().unwrap_or_default().contains("Content Security Policy")) {
            break;
        }
        assert!(start.elapsed() < crate::webdriver::WAIT, "the blocked inline script is reported: {log:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The failing URL's group: both IPNs exhausted, each result said once.
    b.goto(&format!("{}/console/deliveries", t.base)).await;
    wait_count(&mut b, ".group .failing-row", 2).await;
    let group = text_content(&mut b, ".group").await;
    assert!(group.contains("CBSHOP") && group.contains(&failing.url), "the group: {group}");
    assert!(group.contains("HTTP 500") && !group.contains("HTTP 500: HTTP 500"), "the last results: {group}");

    // The overview's charts have bars.
    b.goto(&format!("{}/console", t.base)).await;
    b.wait_for("#overview-region svg").await;
    let bars = b
        .execute(
            "return Array.prototype.map.call(document.querySelectorAll('figure.chart'), \
                  function (f) { return f.querySelectorAll('rect > title').length; });",
        )
        .await;
    let bars: Vec<i64> = bars.as_array().expect("charts").iter().map(|n| n.as_i64().unwrap_or(0)).collect();
    assert!(bars.len() == 8 && bars[0] >= 2 && bars[1] >= 2, "bars by method and by result: {bars:?}");

    // The live page, with an event received.
    has_csp(&t, "/console/live").await;
    b.goto(&format!("{}/console/live", t.base)).await;
    b.wait_for("#live-dot:not([hidden])").await;
    t.create_bank(&p, "cb-shot-live", 25_000, "ATM", "VCB", &ok.url).await;
    b.wait_for("#live-list li.live-event").await;
    assert!(text_content(&mut b, "#live-list").await.contains("created"));
    shoot(&mut b, "live").await;
    no_csp_violation(&b).await;

    // The front door, and its demo payment.
    has_csp(&t, "/").await;
    b.goto(&format!("{}/", t.base)).await;
    b.wait_for("#sandbox-partner").await;
    assert_eq!(b.text("#sandbox-partner").await, p.code);
    shoot(&mut b, "front").await;
    // On a phone the title wraps between words, never inside one.
    b.set_viewport(375, 812).await;
    b.wait_true("a 375 px viewport", "return window.innerWidth === 375;").await;
    let broken = b
        .execute(
            "var h = document.getElementById('front-title'), t = h.firstChild, out = [], re = /\\S+/g, m; \
             while ((m = re.exec(t.data))) { var r = document.createRange(); r.setStart(t, m.index); \
             r.setEnd(t, m.index + m[0].length); if (r.getClientRects().length > 1) { out.push(m[0]); } } return out;",
        )
        .await;
    assert_eq!(broken, json!([]), "words of the title broken across lines at 375 px");
    b.set_viewport(1440, 900).await;
    b.click("#demo-button").await;
    b.wait_url("the demo's checkout", |u| u.contains("/bank/payment")).await;
    b.wait_for("#amount").await;
    assert_eq!(b.text("#amount").await, "50.000 ₫");
    shoot(&mut b, "demo-checkout").await;
    no_csp_violation(&b).await;
    drop(b);
    t.shutdown().await;
}
