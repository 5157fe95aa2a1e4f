//! The hosted checkout over plain HTTP: rendering and escaping, security headers,
//! CSRF, link errors, every sandbox outcome of spec §7, the QR image.
//! (The same pages driven by a real browser: `browser.rs`.)

use crate::harness::*;
use appotapay_gateway::config::Mode;
use appotapay_protocol::signing::{self, canonical_data_with};
use appotapay_protocol::vietqr::{VietQr, crc16_ccitt_false};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// An HTTP answer of the checkout.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> String {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }

    /// The value of hidden input `name` in the form posting to `action`.
    pub fn hidden(&self, action: &str, name: &str) -> String {
        let at = self.body.find(&format!("action=\"{action}\"")).unwrap_or_else(|| panic!("no form {action}"));
        let rest = &self.body[at..];
        let end = rest.find("</form>").expect("form end");
        let form = &rest[..end];
        let key = format!("name=\"{name}\" value=\"");
        let v = form.find(&key).unwrap_or_else(|| panic!("no {name} in form {action}"));
        let v = &form[v + key.len()..];
        v[..v.find('"').expect("quote")].to_owned()
    }
}

/// Escapes like the templates do (askama: numeric entities).
pub fn esc(s: &str) -> String {
    s.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;").replace('"', "&#34;").replace('\'', "&#39;")
}

/// Undoes [`esc`] on an attribute value (URLs only carry `&`).
pub fn unesc(s: &str) -> String {
    s.replace("&#38;", "&").replace("&amp;", "&")
}

/// The value of attribute `attr` after the first `marker` in `body`.
pub fn attr_after(body: &str, marker: &str, attr: &str) -> String {
    let at = body.find(marker).unwrap_or_else(|| panic!("{marker} not in page"));
    let key = format!("{attr}=\"");
    let rest = &body[at..];
    let v = &rest[rest.find(&key).unwrap_or_else(|| panic!("no {attr} after {marker}")) + key.len()..];
    unesc(&v[..v.find('"').expect("quote")])
}

pub async fn get(t: &TestGateway, url: &str) -> Page {
    let url = if url.starts_with("http") { url.to_owned() } else { format!("{}{url}", t.base) };
    let resp = t.http.get(url).send().await.expect("get");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    Page { status, headers, body: resp.text().await.expect("body") }
}

pub async fn post(t: &TestGateway, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Page {
    let mut req = t
        .http
        .post(format!("{}{path}", t.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_urlencoded::Serializer::new(String::new()).extend_pairs(fields).finish());
    // What a browser sends from the gateway's own page, unless a case says otherwise.
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("origin")) {
        req = req.header("origin", &t.base);
    }
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("sec-fetch-site")) {
        req = req.header("sec-fetch-site", "same-origin");
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("post");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    Page { status, headers, body: resp.text().await.expect("body") }
}

/// Posts a form of `page` (with its link and CSRF token) plus `extra` fields.
pub async fn submit(t: &TestGateway, page: &Page, action: &str, extra: &[(&str, &str)]) -> Page {
    let tran = page.hidden(action, "tran");
    let sign = page.hidden(action, "sign");
    let csrf = page.hidden(action, "csrf");
    let mut fields = vec![("tran", tran.as_str()), ("sign", sign.as_str()), ("csrf", csrf.as_str())];
    fields.extend_from_slice(extra);
    post(t, action, &fields, &[]).await
}

/// A merchant's redirect target on 127.0.0.1 (answers any path).
pub async fn shop() -> (Merchant, String) {
    let m = Merchant::start(vec![], Answer::Ok).await;
    let base = m.url.trim_end_matches("/ipn").to_owned();
    (m, format!("{base}/return?shop=1"))
}

/// Creates a bank order; returns its paymentUrl.
#[allow(clippy::too_many_arguments)]
pub async fn bank_order(
    t: &TestGateway,
    p: &Partner,
    order_id: &str,
    amount: i64,
    method: &str,
    bank: &str,
    info: &str,
    notify: &str,
    redirect: &str,
) -> String {
    let body = p.sign(
        &signing::BANK_PAYMENT_REQUEST,
        json!({
            "orderId": order_id, "orderInfo": info, "amount": amount, "clientIp": "127.0.0.1",
            "notifyUrl": notify, "redirectUrl": redirect, "paymentMethod": method, "bankCode": bank,
            "extraData": "x=1&y=2"
        }),
    );
    let (s, v, _) = t.post(p, "/api/v1/orders/payment/bank", &body).await;
    assert_eq!(s, 200, "{v}");
    v["paymentUrl"].as_str().expect("paymentUrl").to_owned()
}

/// Checks a merchant redirect URL's signature as a merchant would; returns its query.
pub fn verified_redirect(p: &Partner, url: &str) -> HashMap<String, String> {
    let q = query_map(url);
    let data = canonical_data_with(&signing::NOTIFICATION, |k| q.get(k).map(|v| v.as_str().into()));
    assert!(signing::verify_data(&p.secret, &data, q.get("signature").expect("signature")).is_ok(), "{url}");
    q
}

/// Pays a card order through the pages: card form, then OTP. Returns the answer to
/// the OTP post.
pub(crate) async fn pay(t: &TestGateway, payment_url: &str, card: &[(&str, &str)], otp: &str) -> Page {
    let form = get(t, payment_url).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let after_card = submit(t, &form, "/bank/payment/card", card).await;
    assert_eq!(after_card.status, 303, "card accepted: {}", after_card.body);
    let otp_page = get(t, &after_card.location()).await;
    assert!(otp_page.body.contains("name=\"otp\""), "OTP step: {}", otp_page.body);
    submit(t, &otp_page, "/bank/payment/otp", &[("otp", otp)]).await
}

/// Everything the gateway's database holds, as text: the SQLite file and its WAL, or
/// every row of every table on PostgreSQL.
async fn everything_stored(t: &TestGateway) -> String {
    match &t.db {
        None => {
            let db = std::fs::read(t.dir.path().join("gateway.db")).expect("db");
            let wal = std::fs::read(t.dir.path().join("gateway.db-wal")).unwrap_or_default();
            format!("{}{}", String::from_utf8_lossy(&db), String::from_utf8_lossy(&wal))
        }
        Some(db) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
            let tables: Vec<(String,)> =
                sqlx::query_as("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'")
                    .fetch_all(&mut conn)
                    .await
                    .expect("tables");
            let mut all = String::new();
            for (table,) in tables {
                let rows: Vec<(String,)> = sqlx::query_as(&format!("SELECT t::text FROM \"{table}\" t"))
                    .fetch_all(&mut conn)
                    .await
                    .expect("rows");
                for (row,) in rows {
                    all.push_str(&row);
                    all.push('\n');
                }
            }
            all
        }
    }
}

fn atm_card(number: &str, holder: &str, date: &str) -> Vec<(&'static str, String)> {
    vec![("card_number", number.into()), ("card_holder", holder.into()), ("card_date", date.into())]
}

fn as_refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn pages_escape_merchant_strings_and_are_locked_down() {
    let t = TestGateway::start().await;
    let (m, redirect) = shop().await;
    // A merchant name with markup, set directly in the store.
    assert!(
        t.gw()
            .create_partner(
                "ESC2",
                "Shop <b>\"Bé\"</b> & Co",
                "esc2-api-key-0123456789",
                "esc2-secret-0123456789abcdef",
                false
            )
            .await
            .expect("partner")
    );
    let p2 = Partner::new("ESC2", "esc2-api-key-0123456789", "esc2-secret-0123456789abcdef");
    let evil = "<script>alert('x')</script> \"quoted\" & <img src=x onerror=alert(1)>";
    let redirect_evil = format!("{redirect}&q=%3Cscript%3E&r=\"<i>\"");
    let url = bank_order(&t, &p2, "esc-1", 10_000, "ATM", "VCB", evil, &m.url, &redirect_evil).await;
    let page = get(&t, &url).await;
    assert_eq!(page.status, 200);
    let b = &page.body;
    assert!(b.contains(&format!("id=\"order-info\">{}</dd>", esc(evil))), "orderInfo escaped: {b}");
    assert!(!b.contains("<script>alert") && !b.contains("<img src=x"), "no markup from orderInfo");
    assert!(b.contains(&format!("id=\"merchant\">{}</p>", esc("Shop <b>\"Bé\"</b> & Co"))), "merchant name escaped");
    assert!(!b.contains("<b>\"Bé\"</b>"));
    assert!(b.contains("10.000 ₫"), "Vietnamese amount");
    assert!(b.contains(">esc-1<"), "order id shown");
    assert!(b.contains("data-expires-at="), "countdown");
    assert!(b.contains("<html lang=\"vi\">") && b.contains("Nhập thông tin thẻ ATM"), "Vietnamese by default");
    assert!(b.contains("autocomplete=\"cc-number\"") && b.contains("autocomplete=\"cc-name\""));
    // Only the gateway's own script, no inline script, no external asset.
    assert_eq!(b.matches("<script").count(), 1, "one script tag");
    assert!(b.contains("<script src=\"/assets/checkout.js?v="));
    for attr in ["src=\"", "href=\""] {
        for (i, _) in b.match_indices(attr) {
            let v = &b[i + attr.len()..];
            assert!(
                v.starts_with('/') || v.starts_with("data:image/png") || v.starts_with('?'),
                "external asset: {}",
                &v[..40.min(v.len())]
            );
        }
    }
    let csp = page.headers["content-security-policy"].to_str().expect("csp");
    let origin = redirect.split("/return").next().expect("origin");
    assert_eq!(
        csp,
        format!(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
             form-action 'self' {origin}; base-uri 'none'; frame-ancestors 'none'"
        )
    );
    assert!(!csp.contains("unsafe"));
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert_eq!(page.headers["cache-control"], "no-store");
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["referrer-policy"], "same-origin");

    // The stylesheet and script are served here, cacheable.
    for (path, kind) in [("/assets/checkout.css", "text/css"), ("/assets/checkout.js", "text/javascript")] {
        let a = get(&t, path).await;
        assert_eq!(a.status, 200);
        assert!(a.headers["content-type"].to_str().expect("ct").starts_with(kind));
        assert!(a.headers["cache-control"].to_str().expect("cc").contains("immutable"));
    }
    assert!(!get(&t, "/assets/checkout.js").await.body.contains("http"), "no remote URL in the script");
    assert_eq!(get(&t, "/assets/other.js").await.status, 404);

    // English on request, remembered by a cookie.
    let en = get(&t, &format!("{url}&lang=en")).await;
    assert!(en.body.contains("<html lang=\"en\">") && en.body.contains("Enter your ATM card details"));
    assert!(en.headers["set-cookie"].to_str().expect("cookie").starts_with("checkout_lang=en"));

    // The result page: the merchant's redirect URL is escaped in the link.
    let cancelled = submit(&t, &page, "/bank/payment/cancel", &[]).await;
    assert_eq!(cancelled.status, 303);
    let q = verified_redirect(&p2, &cancelled.location());
    assert_eq!(q["errorCode"], "38");
    assert_eq!(q["r"], "\"<i>\"");
    let result = get(&t, &url).await;
    assert!(result.body.contains("Giao dịch đã bị huỷ"), "{}", result.body);
    assert!(!result.body.contains("<i>") && !result.body.contains("\"<"), "redirect URL escaped");
    assert!(result.body.contains("id=\"back-to-merchant\" href=\"http://"));
    assert!(result.body.contains("&#38;errorCode=38"), "query separators escaped in the href");
    let q = verified_redirect(&p2, &attr_after(&result.body, "id=\"back-to-merchant\"", "href"));
    assert_eq!(q["r"], "\"<i>\"");
    assert!(!result.body.contains("name=\"card_number\""), "never the form on a final order");
    t.shutdown().await;
}

#[tokio::test]
async fn csrf_and_cross_site_posts_are_refused() {
    let t = TestGateway::start().await;
    let (m, redirect) = shop().await;
    let p = t.sandbox();
    let url = bank_order(&t, &p, "csrf-1", 20_000, "ATM", "VCB", "csrf", &m.url, &redirect).await;
    let other = bank_order(&t, &p, "csrf-2", 20_000, "ATM", "VCB", "csrf", &m.url, &redirect).await;
    let page = get(&t, &url).await;
    let other_page = get(&t, &other).await;
    let tran = page.hidden("/bank/payment/cancel", "tran");
    let sign = page.hidden("/bank/payment/cancel", "sign");
    let token = page.hidden("/bank/payment/cancel", "csrf");
    let card_token = page.hidden("/bank/payment/card", "csrf");
    let other_token = other_page.hidden("/bank/payment/cancel", "csrf");
    let send = |csrf: String, headers: Vec<(&'static str, &'static str)>| {
        let (tran, sign, t) = (tran.clone(), sign.clone(), &t);
        async move {
            let f = [("tran", tran.as_str()), ("sign", sign.as_str()), ("csrf", csrf.as_str())];
            post(t, "/bank/payment/cancel", &f, &headers).await
        }
    };
    let refused = [
        send(token.clone(), vec![("origin", "http://evil.example")]).await,
        send(token.clone(), vec![("sec-fetch-site", "cross-site")]).await,
        send(token.clone(), vec![("origin", "null")]).await,
        send(card_token, vec![]).await,
        send(other_token, vec![]).await,
        send(String::new(), vec![]).await,
        send("00".repeat(32), vec![]).await,
    ];
    for (i, r) in refused.iter().enumerate() {
        assert_eq!(r.status, 403, "case {i}: {}", r.body);
        assert!(r.body.contains("Yêu cầu bị từ chối"), "case {i}");
    }
    let (_, st) = t.status(&p, "csrf-1").await;
    assert_eq!(st["errorCode"], 35, "nothing changed");
    // A body that is not a form: an error page, not a server error.
    let bad = t
        .http
        .post(format!("{}/bank/payment/cancel", t.base))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status(), 400);
    // The real page's post goes through.
    let ok = send(token, vec![]).await;
    assert_eq!(ok.status, 303);
    assert_eq!(verified_redirect(&p, &ok.location())["errorCode"], "38");
    t.shutdown().await;
}

#[tokio::test]
async fn bad_expired_and_final_links() {
    let t = TestGateway::start_with(|c| c.payment_ttl = Duration::from_secs(1)).await;
    let (m, redirect) = shop().await;
    let p = t.sandbox();
    let url = bank_order(&t, &p, "link-1", 10_000, "ATM", "", "link", &m.url, &redirect).await;
    // Tampered sign, tampered tran, missing parameters.
    let tampered =
        if url.ends_with('0') { format!("{}1", &url[..url.len() - 1]) } else { format!("{}0", &url[..url.len() - 1]) };
    let q = query_map(&url);
    let other_tran = url.replace(&q["tran"], &format!("{}A", &q["tran"]));
    for bad in [
        tampered,
        other_tran,
        format!("{}/bank/payment/process", t.base),
        format!("{}/bank/payment/process?tran=x", t.base),
    ] {
        let page = get(&t, &bad).await;
        assert_eq!(page.status, 403, "{bad}");
        assert!(page.body.contains("Liên kết thanh toán không hợp lệ"));
        assert!(!page.body.contains("10.000") && !page.body.contains("<form"), "never the order");
    }
    // A valid signature for an order that does not exist.
    let mut ghost = t.gw().order(&t.trans_id_of(&url)).await.expect("get").expect("order");
    ghost.trans_id = "AP999999999999".parse().expect("id");
    let page = get(&t, &t.gw().payment_url(&ghost)).await;
    assert_eq!(page.status, 404);
    assert!(!page.body.contains("<form"));

    // Expired: the result with a way back to the merchant, code 77.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let page = get(&t, &url).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Giao dịch đã hết hạn") && page.body.contains("mã 77"), "{}", page.body);
    assert!(!page.body.contains("action=\"/bank/payment/"), "no form");
    let q = verified_redirect(&p, &attr_after(&page.body, "id=\"back-to-merchant\"", "href"));
    assert_eq!(q["errorCode"], "77");
    // Posting to an expired order sends the customer back to its page.
    let (_, st) = t.status(&p, "link-1").await;
    assert_eq!(st["errorCode"], 77);
    t.shutdown().await;
}

on_both!(every_sandbox_instrument_over_http);
async fn every_sandbox_instrument_over_http(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| {
        c.sandbox_processing_delay = Duration::from_millis(300);
        c.sandbox_refund_delay = Duration::from_secs(7);
    })
    .await;
    let (m, redirect) = shop().await;
    let p = t.sandbox();
    // The card page tells how the sandbox bank answers refunds.
    let url = bank_order(&t, &p, "atm-doc", 50_000, "ATM", "TPBANK", "sandbox", &m.url, &redirect).await;
    let page = get(&t, &url).await;
    assert!(
        page.body.contains("id=\"sandbox-refunds\"")
            && page.body.contains("thẻ nội địa (ATM) chuyển sang đang xử lý rồi thành công sau 7s")
            && page.body.contains("FAIL"),
        "{}",
        page.body
    );
    let en = get(&t, &format!("{url}&lang=en")).await;
    assert!(en.body.contains("ATM refunds are processing, then succeed after 7s"), "{}", en.body);
    let mut n = 0;
    let atm: &[(&str, &str, &str, u32)] = &[
        ("9704229306604047", "ARTURO MOEN", "01/23", 0),
        ("9704000000000018", "Nguyễn Văn A", "05/21", 0),
        ("9704000000080002", "TRAN B", "02/20", 61),
        ("9704000000080069", "TRAN B", "02/20", 69),
        ("9704000000090068", "TRAN B", "02/20", 68),
        ("9704000000010074", "TRAN B", "02/20", 74),
        ("9704000000030072", "TRAN B", "02/20", 72),
        ("9704000000000026", "TRAN B", "02/20", 65),
    ];
    for (number, holder, date, code) in atm {
        n += 1;
        let url = bank_order(&t, &p, &format!("atm-{n}"), 50_000, "ATM", "TPBANK", "sandbox", &m.url, &redirect).await;
        let card = atm_card(number, holder, date);
        let done = pay(&t, &url, &as_refs(&card), "123456").await;
        assert_eq!(done.status, 303, "{number}");
        let q = verified_redirect(&p, &done.location());
        assert_eq!(q["errorCode"], code.to_string(), "{number}");
        assert_eq!((q["paymentMethod"].as_str(), q["bankCode"].as_str()), ("ATM", "TPBANK"));
        let order = t.gw().order(&t.trans_id_of(&url)).await.expect("get").expect("order");
        let card = order.card.expect("card recorded");
        assert_eq!(card.number_masked, format!("{}******{}", &number[..6], &number[12..]));
        let (_, st) = t.status(&p, &format!("atm-{n}")).await;
        assert!(st.get("cardInfo").is_none(), "no cardInfo for ATM");
    }
    let cc: &[(&str, &str, &str, &str, &str, u32)] = &[
        ("5123456789012346", "MASTERCARD", "NGUYEN VAN A", "03/27", "123", 0),
        ("5123450000000008", "MASTERCARD", "NGUYEN VAN A", "12/30", "999", 0),
        ("4000000000001075", "VISA", "NGUYEN VAN A", "01/31", "000", 0),
        ("4000000000000002", "VISA", "LE C", "01/31", "111", 61),
        ("4000000000000069", "VISA", "LE C", "01/31", "111", 69),
        ("4000000000010068", "VISA", "LE C", "01/31", "111", 68),
        ("4000000000030074", "VISA", "LE C", "01/31", "111", 74),
        ("4000000000050072", "VISA", "LE C", "01/31", "111", 72),
        ("4111111111111111", "VISA", "LE C", "01/31", "111", 65),
    ];
    for (number, brand, holder, date, cvv, code) in cc {
        n += 1;
        let url = bank_order(&t, &p, &format!("cc-{n}"), 60_000, "CC", brand, "sandbox", &m.url, &redirect).await;
        let card = [("card_number", *number), ("card_holder", *holder), ("card_date", *date), ("card_cvv", *cvv)];
        let done = pay(&t, &url, &card, "123456").await;
        let q = verified_redirect(&p, &done.location());
        assert_eq!(q["errorCode"], code.to_string(), "{number}");
        assert_eq!(q["bankCode"], *brand);
        let (_, st) = t.status(&p, &format!("cc-{n}")).await;
        assert_eq!(st["cardInfo"]["cardNumber"], format!("{}******{}", &number[..6], &number[12..]), "{st}");
        assert_eq!(st["cardInfo"]["cardName"], *holder);
    }
    // No card number is stored anywhere in full.
    let stored = everything_stored(&t).await;
    assert!(stored.contains("512345******2346"), "the masked number is what is kept");
    assert!(!stored.contains("9704229306604047") && !stored.contains("5123456789012346"), "full card number stored");

    // 0034: processing, then success once the delay passed (the sweeper settles it).
    for (i, (method, bank, card)) in [
        ("ATM", "VCB", vec![("card_number", "9704000000000034"), ("card_holder", "A B"), ("card_date", "01/20")]),
        (
            "CC",
            "VISA",
            vec![
                ("card_number", "4000000000020034"),
                ("card_holder", "A B"),
                ("card_date", "01/31"),
                ("card_cvv", "123"),
            ],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let oid = format!("slow-{i}");
        let url = bank_order(&t, &p, &oid, 70_000, method, bank, "slow", &m.url, &redirect).await;
        let done = pay(&t, &url, &card, "123456").await;
        assert_eq!(done.status, 303);
        assert!(done.location().starts_with("/bank/payment/process?"), "back to its page: {}", done.location());
        let page = get(&t, &done.location()).await;
        assert!(page.body.contains("data-poll=") && page.body.contains("Giao dịch đang được xử lý"));
        let (_, st) = t.status(&p, &oid).await;
        assert_eq!(st["errorCode"], 34);
        let status_url = attr_after(&page.body, "class=\"status-block\"", "data-poll");
        let start = Instant::now();
        loop {
            let s: Value = serde_json::from_str(&get(&t, &status_url).await.body).expect("json");
            if s["final"] == true {
                assert_eq!(s["state"], "success");
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(30), "settled within the delay");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (_, st) = t.status(&p, &oid).await;
        assert_eq!(st["errorCode"], 0);
        let next = attr_after(&page.body, "class=\"status-block\"", "data-next");
        let to_merchant = get(&t, &next).await;
        assert_eq!(to_merchant.status, 303);
        assert_eq!(verified_redirect(&p, &to_merchant.location())["errorCode"], "0");
    }
    let ipns = m.wait_for(5, Duration::from_secs(10)).await;
    assert!(ipns.len() >= 5, "IPNs of the successes");
    t.shutdown().await;
}

on_both!(inline_errors_and_otp_retries);
async fn inline_errors_and_otp_retries(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let (m, redirect) = shop().await;
    let p = t.sandbox();
    let url = bank_order(&t, &p, "inl-1", 10_000, "CC", "VISA", "inline", &m.url, &redirect).await;
    let page = get(&t, &url).await;
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, u32);
    let cases: &[Case<'_>] = &[
        (
            &[("card_number", "4000000000001076"), ("card_holder", "A B"), ("card_date", "01/31"), ("card_cvv", "123")],
            "card_number-error",
            76,
        ),
        (
            &[("card_number", "5123456789012346"), ("card_holder", "A B"), ("card_date", "01/31"), ("card_cvv", "123")],
            "card_number-error",
            64,
        ),
        (
            &[("card_number", "4000000000001075"), ("card_holder", "A B"), ("card_date", "01/20"), ("card_cvv", "123")],
            "card_date-error",
            73,
        ),
        (
            &[("card_number", "4000000000001075"), ("card_holder", "A B"), ("card_date", "01/31"), ("card_cvv", "12a")],
            "card_cvv-error",
            80,
        ),
        (
            &[("card_number", "4000000000001075"), ("card_holder", "X"), ("card_date", "01/31"), ("card_cvv", "123")],
            "card_holder-error",
            71,
        ),
        (
            &[
                ("card_number", "4000000000001075"),
                ("card_holder", "ANOTHER NAME"),
                ("card_date", "01/31"),
                ("card_cvv", "123"),
            ],
            "card_holder-error",
            71,
        ),
    ];
    for (fields, id, code) in cases {
        let r = submit(&t, &page, "/bank/payment/card", fields).await;
        assert_eq!(r.status, 422, "{id}");
        let msg = appotapay_protocol::ErrorCode(*code).message(appotapay_protocol::Lang::Vi);
        assert!(r.body.contains(&format!("id=\"{id}\">{msg} (mã {code})")), "{id} {code}: {}", r.body);
        assert!(!r.body.contains("value=\"123\""), "CVV never echoed");
    }
    let (_, st) = t.status(&p, "inl-1").await;
    assert_eq!(st["errorCode"], 35, "input errors settle nothing");

    // Wrong OTP: 21 and a retry; then the right one.
    let card = [
        ("card_number", "4000 0000 0000 1075"),
        ("card_holder", "Nguyen Van A"),
        ("card_date", "1/2031"),
        ("card_cvv", "321"),
    ];
    let wrong = pay(&t, &url, &card, "111111").await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("OTP không chính xác (mã 21)") && wrong.body.contains("id=\"attempts-left\">2<"));
    let right = submit(&t, &wrong, "/bank/payment/otp", &[("otp", "123456")]).await;
    assert_eq!(verified_redirect(&p, &right.location())["errorCode"], "0");

    // Three wrong OTPs: 39.
    let url = bank_order(&t, &p, "inl-2", 10_000, "CC", "VISA", "inline", &m.url, &redirect).await;
    let mut r = pay(&t, &url, &card, "000000").await;
    assert!(r.body.contains("id=\"attempts-left\">2<"));
    r = submit(&t, &r, "/bank/payment/otp", &[("otp", "654321")]).await;
    assert!(r.body.contains("id=\"attempts-left\">1<"));
    r = submit(&t, &r, "/bank/payment/otp", &[("otp", "12345")]).await;
    assert_eq!(r.status, 303);
    let q = verified_redirect(&p, &r.location());
    assert_eq!((q["errorCode"].as_str(), q["message"].as_str()), ("39", "Nhập sai OTP quá số lần cho phép"));

    // Going back to enter the card again does not buy new OTP attempts: they belong
    // to the transaction.
    let url = bank_order(&t, &p, "inl-3", 10_000, "CC", "VISA", "inline", &m.url, &redirect).await;
    let r = pay(&t, &url, &card, "000000").await;
    assert!(r.body.contains("id=\"attempts-left\">2<"));
    assert_eq!(submit(&t, &r, "/bank/payment/back", &[]).await.status, 303);
    let r = pay(&t, &url, &card, "000000").await;
    assert!(r.body.contains("id=\"attempts-left\">1<"), "{}", r.body);
    assert_eq!(submit(&t, &r, "/bank/payment/back", &[]).await.status, 303);
    let r = pay(&t, &url, &card, "000000").await;
    assert_eq!(r.status, 303);
    assert_eq!(verified_redirect(&p, &r.location())["errorCode"], "39");
    t.shutdown().await;
}

on_both!(method_and_bank_choice_with_going_back);
async fn method_and_bank_choice_with_going_back(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let (m, redirect) = shop().await;
    let p = t.sandbox();
    let url = bank_order(&t, &p, "all-1", 15_000, "ALL", "", "all", &m.url, &redirect).await;
    let page = get(&t, &url).await;
    assert!(page.body.contains("Chọn phương thức thanh toán"));
    let r = submit(&t, &page, "/bank/payment/method", &[("choice", "CC")]).await;
    assert_eq!(r.status, 303);
    let brands = get(&t, &r.location()).await;
    assert!(brands.body.contains("Chọn loại thẻ"));
    assert_eq!(brands.body.matches("class=\"bank\"").count(), 3, "Visa, Mastercard, JCB");
    // A bank of the other method is not accepted.
    submit(&t, &brands, "/bank/payment/bank", &[("choice", "VCB")]).await;
    assert!(get(&t, &url).await.body.contains("Chọn loại thẻ"));
    let back = submit(&t, &brands, "/bank/payment/back", &[]).await;
    assert_eq!(back.status, 303);
    let methods = get(&t, &url).await;
    assert!(methods.body.contains("Chọn phương thức thanh toán"));
    submit(&t, &methods, "/bank/payment/method", &[("choice", "ATM")]).await;
    let banks = get(&t, &url).await;
    assert_eq!(banks.body.matches("class=\"bank\"").count(), 39, "every ATM bank of spec §9");
    assert!(
        banks.body.contains("Vietcombank") && banks.body.contains("MB Bank") && banks.body.contains("Shinhan Bank")
    );
    submit(&t, &banks, "/bank/payment/bank", &[("choice", "MB")]).await;
    let card = atm_card("9704229306604047", "ARTURO MOEN", "01/23");
    let done = pay(&t, &url, &as_refs(&card), "123456").await;
    let q = verified_redirect(&p, &done.location());
    assert_eq!((q["errorCode"].as_str(), q["paymentMethod"].as_str(), q["bankCode"].as_str()), ("0", "ATM", "MB"));
    assert_eq!(q["extraData"], "x=1&y=2");
    t.shutdown().await;
}

/// Reads the QR code in a PNG.
pub fn decode_qr(png_bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let (w, h) = (info.width as usize, info.height as usize);
    let line = info.line_size;
    let px = |x: usize, y: usize| -> u8 {
        match (info.color_type, info.bit_depth) {
            (png::ColorType::Grayscale, png::BitDepth::One) => {
                if buf[y * line + x / 8] & (0x80 >> (x % 8)) != 0 {
                    255
                } else {
                    0
                }
            }
            (png::ColorType::Grayscale, png::BitDepth::Eight) => buf[y * line + x],
            other => panic!("unexpected PNG format {other:?}"),
        }
    };
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, px);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    let (_, content) = grids[0].decode().expect("QR decodes");
    content
}

on_both!(qr_image_and_page);
async fn qr_image_and_page(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let (m, redirect) = shop().await;
    let p = t.sandbox();
    let body = p.qr_request("qr-img", 123_000, &m.url, &redirect);
    let (s, v, _) = t.post(&p, "/api/v1/orders/payment/qr", &body).await;
    assert_eq!(s, 200, "{v}");
    let trans_id = v["appotapayTransId"].as_str().expect("id").to_owned();
    let stored = t.gw().order(&trans_id).await.expect("get").expect("order").qr_payload.expect("payload");

    let img = t.http.get(v["qrData"]["qrCodeUrl"].as_str().expect("url")).send().await.expect("get");
    assert_eq!(img.status(), 200);
    assert_eq!(img.headers()["content-type"], "image/png");
    assert!(img.headers()["cache-control"].to_str().expect("cc").contains("max-age="));
    let bytes = img.bytes().await.expect("bytes");
    let decoded = decode_qr(&bytes);
    assert_eq!(decoded, stored, "the PNG holds exactly the stored payload");
    let (body_part, crc) = decoded.split_at(decoded.len() - 4);
    assert!(body_part.ends_with("6304"));
    assert_eq!(crc, format!("{:04X}", crc16_ccitt_false(body_part.as_bytes())), "CRC valid");
    let qr = VietQr::parse(&decoded).expect("VietQR");
    assert_eq!((qr.amount, qr.memo.as_deref()), (Some(123_000), Some(trans_id.as_str())));

    // Without its signature, or with another order's, the image is not found: ids
    // are not secrets, the URL is.
    let other = t.gw().qr_code_url("AP100000000001");
    let other_sign = other.split("sign=").nth(1).expect("sign");
    let unsigned = format!("/qr/{trans_id}.png");
    let forged = format!("/qr/{trans_id}.png?sign={other_sign}");
    let bad_query = format!("/qr/{trans_id}.png?sign=%zz&sign=1");
    for missing in
        ["/qr/AP000000000001.png", "/qr/garbage", "/qr/.png", unsigned.as_str(), forged.as_str(), bad_query.as_str()]
    {
        assert_eq!(get(&t, missing).await.status, 404, "{missing}");
    }
    let signed_unknown = t.gw().qr_code_url("AP100000000001").replace(&t.base, "");
    assert_eq!(get(&t, &signed_unknown).await.status, 404, "a signed URL of no order");
    let bank_url = bank_order(&t, &p, "not-qr", 10_000, "ATM", "", "x", &m.url, &redirect).await;
    let bank_qr = t.gw().qr_code_url(&t.trans_id_of(&bank_url)).replace(&t.base, "");
    assert_eq!(get(&t, &bank_qr).await.status, 404, "bank orders have no QR");

    // The page: the same QR inline, amount, memo, collecting account, countdown.
    let page = get(&t, v["paymentUrl"].as_str().expect("url")).await;
    assert_eq!(page.status, 200);
    let b = &page.body;
    assert!(b.contains("123.000 ₫") && b.contains(&format!("id=\"qr-memo\">{trans_id}<")));
    assert!(b.contains("113366668888") && b.contains("VietinBank") && b.contains("CONG TY APPOTAPAY SANDBOX"));
    assert!(b.contains("data-expires-at=") && b.contains("data-poll="));
    let src = b.split("src=\"data:image/png;base64,").nth(1).expect("inline QR").split('"').next().expect("b64");
    use base64::Engine;
    let inline = base64::engine::general_purpose::STANDARD.decode(src).expect("base64");
    assert_eq!(decode_qr(&inline), stored);
    assert!(b.contains("id=\"simulate\""), "sandbox button");

    // The button, posted as a plain form, completes the order and goes to the merchant.
    let r = submit(&t, &page, "/bank/payment/qr/simulate", &[]).await;
    assert_eq!(r.status, 303);
    let q = verified_redirect(&p, &r.location());
    assert_eq!((q["errorCode"].as_str(), q["paymentMethod"].as_str()), ("0", "QR"));
    let ipns = m.wait_for(1, Duration::from_secs(5)).await;
    assert_eq!(ipns[0].body["errorCode"], 0);

    // A QR order without redirectUrl ends on the gateway's result page.
    let body = p.qr_request("qr-noredir", 5_000, &m.url, "");
    let (_, v, _) = t.post(&p, "/api/v1/orders/payment/qr", &body).await;
    let page = get(&t, v["paymentUrl"].as_str().expect("url")).await;
    assert!(!page.headers["content-security-policy"].to_str().expect("csp").contains("127.0.0.1"));
    let r = submit(&t, &page, "/bank/payment/qr/simulate", &[]).await;
    assert!(r.location().starts_with("/bank/payment/result?"), "{}", r.location());
    let result = get(&t, &r.location()).await;
    assert!(result.body.contains("Thanh toán thành công") && result.body.contains("id=\"close-page\""));
    t.shutdown().await;
}

#[tokio::test]
async fn production_mode_has_no_sandbox_features() {
    let t = TestGateway::start_with(|c| {
        c.mode = Mode::Production;
        c.master_key = Some("11".repeat(32));
        c.outbound_allow = vec!["127.0.0.0/8".parse().expect("net")];
    })
    .await;
    let (m, redirect) = shop().await;
    let p = t.partner("PROD", false).await;
    let url = bank_order(&t, &p, "prod-1", 10_000, "ATM", "VCB", "prod", &m.url, &redirect).await;
    let page = get(&t, &url).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("9704229306604047") && !page.body.contains("sandbox"), "no sandbox table");
    assert!(!page.body.contains("class=\"ribbon\""));
    let card = atm_card("9704229306604047", "ARTURO MOEN", "01/23");
    let r = submit(&t, &page, "/bank/payment/card", &as_refs(&card)).await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("Phương thức thanh toán này chưa được kết nối") && r.body.contains("(mã 15)"),
        "no issuer connected: {}",
        r.body
    );
    let body = p.qr_request("prod-qr", 10_000, &m.url, &redirect);
    let (_, v, _) = t.post(&p, "/api/v1/orders/payment/qr", &body).await;
    let qr_page = get(&t, v["paymentUrl"].as_str().expect("url")).await;
    assert!(qr_page.body.contains("data:image/png") && !qr_page.body.contains("id=\"simulate\""));
    let tran = qr_page.hidden("/bank/payment/cancel", "tran");
    let sign = qr_page.hidden("/bank/payment/cancel", "sign");
    let r = post(&t, "/bank/payment/qr/simulate", &[("tran", &tran), ("sign", &sign), ("csrf", "x")], &[]).await;
    assert_eq!(r.status, 404, "no simulate endpoint in production");
    let (_, st) = t.status(&p, "prod-qr").await;
    assert_eq!(st["errorCode"], 35);
    t.shutdown().await;
}

/// A checkout moves between nodes: each step may reach another node (no sticky
/// sessions), a wrong OTP counted on one node counts on the others, and a
/// processing payment is settled by whichever node's sweeper comes first.
#[tokio::test]
async fn a_checkout_moves_between_nodes_postgres() {
    let tweak = |c: &mut appotapay_gateway::config::Config| c.sandbox_processing_delay = Duration::from_millis(300);
    let a = TestGateway::start_on(Backend::Postgres, tweak).await;
    let b = a.another_node(tweak).await;
    let (m, redirect) = shop().await;
    let p = a.sandbox();
    let url = bank_order(&a, &p, "mv-1", 10_000, "ALL", "", "moves", &m.url, &redirect).await;
    let path = url.strip_prefix(&a.base).expect("a link of node a").to_owned();

    let methods = get(&a, &path).await;
    assert!(methods.body.contains("Chọn phương thức thanh toán"));
    assert_eq!(submit(&b, &methods, "/bank/payment/method", &[("choice", "ATM")]).await.status, 303);
    let banks = get(&a, &path).await;
    assert_eq!(banks.body.matches("class=\"bank\"").count(), 39, "node a sees node b's step");
    assert_eq!(submit(&b, &banks, "/bank/payment/bank", &[("choice", "VCB")]).await.status, 303);
    let card_page = get(&a, &path).await;
    assert!(card_page.body.contains("name=\"card_number\""), "{}", card_page.body);
    let card = atm_card("9704000000000034", "A B", "01/20");
    assert_eq!(submit(&b, &card_page, "/bank/payment/card", &as_refs(&card)).await.status, 303);

    let otp_page = get(&a, &path).await;
    let wrong = submit(&b, &otp_page, "/bank/payment/otp", &[("otp", "000000")]).await;
    assert_eq!(wrong.status, 422);
    let otp_page = get(&a, &path).await;
    assert!(otp_page.body.contains("id=\"attempts-left\">2<"), "counted on every node: {}", otp_page.body);
    let done = submit(&a, &otp_page, "/bank/payment/otp", &[("otp", "123456")]).await;
    assert_eq!(done.status, 303);
    let (_, st) = b.status(&p, "mv-1").await;
    assert_eq!(st["errorCode"], 34, "processing, seen from node b");

    let start = Instant::now();
    loop {
        let (_, st) = b.status(&p, "mv-1").await;
        if st["errorCode"] == 0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(15), "a sweeper settles the processing payment: {st}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ipns = m.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(ipns[0].body["errorCode"], 0);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(m.received().len(), 1, "settled and notified once, by one node");
    b.shutdown().await;
    a.shutdown().await;
}
