//! The sandbox's merchant test kit, card by card: every row of its table paid through
//! the hosted checkout over HTTP as a customer would (method, bank, card, OTP) and
//! checked through the status API, so a row added to the table is tested without
//! another edit. Also: no instrument expires, and the README and the docs carry the
//! table as the code renders it.

use crate::checkout::{Page, attr_after, bank_order, get, pay, shop, submit, verified_redirect};
use crate::harness::*;
use appotapay_gateway::acquirer::Verdict;
use appotapay_gateway::acquirer::sandbox::cards::{self, CardKind, INSTRUMENTS, Instrument, MonthYear, Outcome};
use appotapay_gateway::acquirer::sandbox::instruments;
use appotapay_gateway::checkout::forms::{self, CardForm};
use appotapay_protocol::ErrorCode;
use serde_json::Value;
use std::time::{Duration, Instant};

/// How long the undecided cards stay so in these tests: long enough to read their
/// interim code, short enough to wait for.
const UNDECIDED_FOR: Duration = Duration::from_secs(3);

fn method(ins: &Instrument) -> &'static str {
    match ins.kind {
        CardKind::Atm => "ATM",
        CardKind::Cc => "CC",
    }
}

/// The card form's fields for `ins`, valid as of `checked` (the month its date is
/// checked against).
fn fields(ins: &Instrument, checked: MonthYear) -> Vec<(&'static str, String)> {
    let mut f = vec![
        ("card_number", ins.number.to_owned()),
        ("card_holder", ins.holder.unwrap_or("TRAN THI B").to_owned()),
        ("card_date", ins.example_date(checked).to_string()),
    ];
    if ins.kind == CardKind::Cc {
        f.push(("card_cvv", ins.cvv.unwrap_or("321").to_owned()));
    }
    f
}

/// `4000000000001075` → `4000 0000 0000 1075`, as the card page prints it.
fn grouped(number: &str) -> String {
    number.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

/// Creates an `ALL` order as the sandbox partner and pays it with `ins`: method,
/// bank, card, OTP, with `shop` as its merchant. Returns the answer to the OTP.
async fn walk(t: &TestGateway, p: &Partner, shop: &(Merchant, String), order_id: &str, ins: &Instrument) -> Page {
    let (m, redirect) = shop;
    let url = bank_order(t, p, order_id, 55_000, "ALL", "", "test kit", &m.url, redirect).await;
    let methods = get(t, &url).await;
    let r = submit(t, &methods, "/bank/payment/method", &[("choice", method(ins))]).await;
    assert_eq!(r.status, 303, "{}: method", ins.number);
    let banks = get(t, &r.location()).await;
    let r = submit(t, &banks, "/bank/payment/bank", &[("choice", ins.bank_code())]).await;
    assert_eq!(r.status, 303, "{}: bank", ins.number);
    let card_page = get(t, &url).await;
    assert!(card_page.body.contains(&grouped(ins.number)), "{} is listed on its card page", ins.number);
    let checked = t.gw().card_month(ins.number, forms::vn_month(appotapay_gateway::now_ms()));
    let f = fields(ins, checked);
    let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = pay(t, &url, &f, "123456").await;
    assert_eq!(done.status, 303, "{}: OTP", ins.number);
    done
}

async fn status_code(t: &TestGateway, p: &Partner, order_id: &str) -> (u64, Value) {
    let (s, st) = t.status(p, order_id).await;
    assert_eq!(s, 200, "{st}");
    (st["errorCode"].as_u64().unwrap_or(u64::MAX), st)
}

/// Waits until the status API answers a final code for `order_id`.
async fn final_code(t: &TestGateway, p: &Partner, order_id: &str) -> (u64, Value) {
    let start = Instant::now();
    loop {
        let (code, st) = status_code(t, p, order_id).await;
        if ErrorCode(u32::try_from(code).unwrap_or(u32::MAX)).is_final() {
            return (code, st);
        }
        assert!(start.elapsed() < UNDECIDED_FOR + Duration::from_secs(20), "{order_id} is decided: {st}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn expected_method(ins: &Instrument) -> (&'static str, &'static str) {
    (method(ins), ins.bank_code())
}

#[tokio::test]
async fn every_instrument_through_the_hosted_checkout() {
    let t = TestGateway::start_on(Backend::Sqlite, |c| c.sandbox_processing_delay = UNDECIDED_FOR).await;
    let p = t.sandbox();
    let shop = shop().await;
    let mut undecided = Vec::new();
    for (n, ins) in INSTRUMENTS.iter().enumerate() {
        let oid = format!("kit-{n}-{}", ins.number);
        let done = walk(&t, &p, &shop, &oid, ins).await;
        match ins.outcome {
            Outcome::Undecided { interim, .. } => {
                assert!(done.location().starts_with("/bank/payment/process?"), "{}: waits", ins.number);
                let (code, st) = status_code(&t, &p, &oid).await;
                assert_eq!(code, u64::from(interim.code()), "{}: undecided at first: {st}", ins.number);
                undecided.push((oid, ins));
            }
            outcome => {
                let q = verified_redirect(&p, &done.location());
                assert_eq!(q["errorCode"], outcome.final_code().code().to_string(), "{}", ins.number);
                let (code, st) = status_code(&t, &p, &oid).await;
                assert_eq!(code, u64::from(outcome.final_code().code()), "{}: {st}", ins.number);
                let used = (st["paymentMethod"].as_str().unwrap_or(""), st["bankCode"].as_str().unwrap_or(""));
                assert_eq!(used, expected_method(ins), "{}: {st}", ins.number);
            }
        }
    }
    assert_eq!(undecided.len(), 6, "34, 35 and 99, of both kinds");
    for (oid, ins) in undecided {
        let (code, st) = final_code(&t, &p, &oid).await;
        assert_eq!(code, u64::from(ins.outcome.final_code().code()), "{}: resolved: {st}", ins.number);
        let used = (st["paymentMethod"].as_str().unwrap_or(""), st["bankCode"].as_str().unwrap_or(""));
        assert_eq!(used, expected_method(ins), "{}: {st}", ins.number);
    }
    t.shutdown().await;
}

#[tokio::test]
async fn the_card_page_lists_every_card_in_groups() {
    let t = TestGateway::start_on(Backend::Sqlite, |c| c.sandbox_processing_delay = UNDECIDED_FOR).await;
    let p = t.sandbox();
    let (m, redirect) = shop().await;
    for (kind, method, bank) in [(CardKind::Atm, "ATM", "VCB"), (CardKind::Cc, "CC", "VISA")] {
        let url = bank_order(&t, &p, &format!("page-{method}"), 10_000, method, bank, "page", &m.url, &redirect).await;
        for (lang, headings) in [
            (
                "vi",
                ["Thẻ do AppotaPay công bố", "Chưa có kết quả ngay: giữ mã này trong 3s, rồi kết thúc", "Bị từ chối"],
            ),
            ("en", ["Published by AppotaPay", "Not final at first: this code for 3s, then final", "Declined"]),
        ] {
            let page = get(&t, &format!("{url}&lang={lang}")).await;
            let table = &page.body[page.body.find("id=\"sandbox-cards\"").expect("table")..];
            let table = &table[..table.find("</table>").expect("end")];
            let mut at = 0;
            for h in headings {
                let found = table[at..].find(h).unwrap_or_else(|| panic!("{method} {lang}: {h} in order: {table}"));
                at += found;
            }
            let rows: Vec<&Instrument> = INSTRUMENTS.iter().filter(|i| i.kind == kind).collect();
            assert_eq!(
                table.matches("<td class=\"mono\">").count(),
                rows.len() * if kind == CardKind::Cc { 3 } else { 2 }
            );
            for ins in rows {
                assert!(table.contains(&grouped(ins.number)), "{method} {lang}: {}", ins.number);
            }
            let undecided_row = if lang == "vi" {
                "<span class=\"code\">99</span> Lỗi không xác định, vui lòng kiểm tra lại giao dịch → <span class=\"code\">72</span>"
            } else {
                "<span class=\"code\">35</span> Transaction pending, try later → <span class=\"code\">0</span> Success"
            };
            assert!(table.contains(undecided_row), "{method} {lang}: {table}");
        }
    }
    t.shutdown().await;
}

on_both!(an_undetermined_payment_reports_99_then_fails);
async fn an_undetermined_payment_reports_99_then_fails(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| c.sandbox_processing_delay = UNDECIDED_FOR).await;
    let p = t.sandbox();
    let Some(ins) =
        INSTRUMENTS.iter().find(|i| i.kind == CardKind::Cc && i.outcome.after_otp() == ErrorCode::UNDEFINED_ERROR)
    else {
        panic!("a CC card for 99");
    };
    let shop = shop().await;
    let done = walk(&t, &p, &shop, "kit-99", ins).await;
    let page = get(&t, &done.location()).await;
    assert!(page.body.contains("data-poll=") && !page.body.contains("/bank/payment/cancel"), "waits: {}", page.body);
    assert_eq!(status_code(&t, &p, "kit-99").await.0, 99);
    let (code, st) = final_code(&t, &p, "kit-99").await;
    assert_eq!(code, 72, "then failed: {st}");
    assert_eq!(st["cardInfo"]["cardNumber"], "400000******0099", "{st}");
    let next = attr_after(&page.body, "class=\"status-block\"", "data-next");
    let to_merchant = get(&t, &next).await;
    assert_eq!(to_merchant.status, 303);
    assert_eq!(verified_redirect(&p, &to_merchant.location())["errorCode"], "72");
    t.shutdown().await;
}

/// A published date never stops an instrument from working: as of months far ahead,
/// every card's data still passes the checkout's checks and the issuer answers its
/// row's outcome.
#[test]
fn no_instrument_expires() {
    let months = [
        forms::vn_month(appotapay_gateway::now_ms()),
        MonthYear { year: 2027, month: 4 },
        MonthYear { year: 2031, month: 6 },
        MonthYear { year: 2040, month: 1 },
    ];
    for as_of in months {
        for ins in INSTRUMENTS {
            let checked = cards::checked_month(ins.number, as_of);
            let f = fields(ins, checked);
            let value = |k: &str| f.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone()).unwrap_or_default();
            let form = CardForm {
                card_number: value("card_number"),
                card_holder: value("card_holder"),
                card_date: value("card_date"),
                card_cvv: value("card_cvv"),
                ..CardForm::default()
            };
            let card = forms::validate_card(ins.kind, ins.bank_code(), &form, checked)
                .unwrap_or_else(|e| panic!("{} as of {as_of}: {e:?}", ins.number));
            assert_eq!(
                cards::authorize(&card),
                Verdict::SendOtp { outcome: ins.outcome.after_otp() },
                "{} as of {as_of}",
                ins.number
            );
        }
    }
}

const BEGIN: &str = "<!-- instruments:begin -->";
const END: &str = "<!-- instruments:end -->";

/// `text` with the part between the markers replaced by the generated table.
fn with_generated(text: &str) -> Option<String> {
    let start = text.find(BEGIN)? + BEGIN.len();
    let end = start + text[start..].find(END)?;
    let generated = format!(
        "\n<!-- Generated from crates/gateway/src/acquirer/sandbox/instruments.rs; edit the table there, then \
         run the tests with APPOTAPAY_WRITE_DOCS=1. -->\n\n{}\n",
        instruments::markdown()
    );
    Some(format!("{}{generated}{}", &text[..start], &text[end..]))
}

#[test]
fn generated_docs_are_current() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let write = std::env::var("APPOTAPAY_WRITE_DOCS").is_ok_and(|v| v == "1");
    for file in ["README.md", "docs/appotapay-api.md"] {
        let path = root.join(file);
        let text = std::fs::read_to_string(&path).expect("read");
        let Some(want) = with_generated(&text) else { panic!("{file} has no {BEGIN} … {END}") };
        if write {
            if want != text {
                std::fs::write(&path, &want).expect("write");
            }
        } else {
            assert!(
                want == text,
                "{file} differs from the sandbox's instrument table: run \
                 APPOTAPAY_WRITE_DOCS=1 cargo test -p appotapay-gateway --test it -- instruments::generated_docs"
            );
        }
    }
}
