//! The core's rules, driven without HTTP: what the checkout's steps do, what a
//! simulated success records, and what a gateway without a bank answers. Each runs on
//! both backends (the core is real, so is its store).

use crate::harness::*;
use crate::pg::MASTER_KEY;
use appotapay_gateway::config::Mode;
use appotapay_gateway::core::pay::{CardOutcome, OtpOutcome};
use appotapay_gateway::core::simulate::Completion;
use appotapay_gateway::core::{Gateway, NewOrder, SettleDetails, Settlement};
use appotapay_gateway::domain::card::{CardData, CardKind, MonthYear};
use appotapay_gateway::domain::order::{Event, State};
use appotapay_gateway::domain::records::{Order, OrderKind};
use appotapay_protocol::{BankCode, ErrorCode, PaymentMethod};

async fn order(gw: &Gateway, partner: &str, id: &str, method: &str, bank: &str) -> Order {
    gw.create_order(NewOrder {
        bank_code: BankCode::parse(bank),
        amount: 120_000,
        order_info: "core rules".into(),
        client_ip: "203.0.113.7".into(),
        notify_url: "http://127.0.0.1:9/ipn".into(),
        redirect_url: "https://shop.example/return".into(),
        extra_data: String::new(),
        ..NewOrder::v1(partner, id, OrderKind::Bank, method.parse().expect("a method"))
    })
    .await
    .expect("create")
    .expect("new order id")
}

fn napas(number: &str) -> CardData {
    CardData {
        kind: CardKind::Atm,
        number: number.into(),
        holder: "NGUYEN VAN A".into(),
        date: MonthYear { year: 2020, month: 7 },
        cvv: None,
    }
}

on_both!(the_third_wrong_otp_fails_the_payment);
async fn the_third_wrong_otp_fails_the_payment(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let gw = t.gw();
    let p = t.sandbox();
    let o = order(gw, &p.code, "otp-1", "ATM", "MB").await;
    let bank = BankCode::parse("MB").expect("bank");
    let outcome = gw.submit_card(&o, None, &napas("9704000000000018"), bank).await.expect("card");
    assert_eq!(outcome, CardOutcome::OtpSent);
    let co = gw.checkout(&o.trans_id).await.expect("read").expect("progress");
    let card = co.card.as_ref().expect("card awaits its OTP");
    assert_eq!(card.card.number_masked, "970400******0018", "first 6 and last 4 only");
    for used in 1..=2 {
        match gw.submit_otp(&o, &co, "000000").await.expect("otp") {
            OtpOutcome::Wrong { used: n } => assert_eq!(n, used),
            other => panic!("wrong OTP {used}: {other:?}"),
        }
    }
    // Another card does not reset the count: it belongs to the transaction.
    gw.step_back(&o, Some(&co)).await.expect("back");
    let co = gw.checkout(&o.trans_id).await.expect("read");
    let again = gw.submit_card(&o, co.as_ref(), &napas("9704000000000018"), bank).await.expect("card");
    assert_eq!(again, CardOutcome::OtpSent);
    let co = gw.checkout(&o.trans_id).await.expect("read").expect("progress");
    match gw.submit_otp(&o, &co, "999999").await.expect("otp") {
        OtpOutcome::Settled(Some(s)) if matches!(*s, Settlement::Changed(_)) => {
            let done = s.order().clone();
            assert_eq!((done.state, done.code), (State::Failed, ErrorCode::TOO_MANY_WRONG_OTP));
            assert_eq!(done.card.expect("card recorded").number_masked, "970400******0018");
        }
        other => panic!("third wrong OTP: {other:?}"),
    }
    t.shutdown().await;
}

on_both!(a_simulated_success_records_what_a_customer_would_have_used);
async fn a_simulated_success_records_what_a_customer_would_have_used(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let gw = t.gw();
    let p = gw.partner(&t.sandbox().code).await.expect("lookup").expect("sandbox partner");
    let all = order(gw, &p.code, "sim-all", "ALL", "").await;
    let cc = order(gw, &p.code, "sim-cc", "CC", "").await;
    let visa = order(gw, &p.code, "sim-visa", "ALL", "VISA").await;
    let settled = |c: Completion| match c {
        Completion::Attempted(s) if matches!(*s, Settlement::Changed(_)) => s.order().clone(),
        other => panic!("{other:?}"),
    };
    let o = settled(gw.simulate_completion(&p, &all.trans_id, ErrorCode::SUCCESS).await.expect("complete"));
    assert_eq!((o.payment_method.as_str(), o.bank_code_text(), o.card.is_none()), ("ATM", "MB", true));
    let o = settled(gw.simulate_completion(&p, &cc.trans_id, ErrorCode::SUCCESS).await.expect("complete"));
    assert_eq!((o.payment_method.as_str(), o.bank_code_text()), ("CC", "MASTERCARD"));
    assert_eq!(o.card.expect("card").number_masked, "512345******2346");
    let o = settled(gw.simulate_completion(&p, &visa.trans_id, ErrorCode::SUCCESS).await.expect("complete"));
    assert_eq!((o.payment_method.as_str(), o.bank_code_text()), ("CC", "VISA"));
    // Another partner's transaction, and codes that are no outcome.
    let other = gw.partner(&t.partner("OTHER", false).await.code).await.expect("lookup").expect("partner");
    let fresh = order(gw, &p.code, "sim-2", "ATM", "").await;
    assert!(matches!(
        gw.simulate_completion(&other, &fresh.trans_id, ErrorCode::SUCCESS).await.expect("x"),
        Completion::UnknownTransaction
    ));
    assert!(matches!(
        gw.simulate_completion(&p, &fresh.trans_id, ErrorCode::PENDING).await.expect("x"),
        Completion::UnsupportedCode
    ));
    t.shutdown().await;
}

on_both!(a_settlement_from_a_stale_copy_decides_again_from_the_row);
async fn a_settlement_from_a_stale_copy_decides_again_from_the_row(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let gw = t.gw();
    let p = gw.partner(&t.sandbox().code).await.expect("lookup").expect("sandbox partner");
    let stale = order(gw, &p.code, "stale-copy", "ATM", "").await;
    assert_eq!(stale.state, State::Pending);
    // Paid since the copy was read.
    gw.simulate_completion(&p, &stale.trans_id, ErrorCode::SUCCESS).await.expect("complete");
    // A cancel decided from the copy matches nothing, is decided again from the paid
    // row, and is refused as for any paid order; the one IPN stays the only one.
    let got = gw.settle_order(stale.clone(), Event::Cancel, SettleDetails::default()).await.expect("settle");
    match got {
        Some(Settlement::Rejected(code, o)) => {
            assert_eq!(code, ErrorCode::ALREADY_SUCCEEDED);
            assert_eq!(o.state, State::Success);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(gw.deliveries(&stale.trans_id).await.expect("deliveries").len(), 1, "one IPN");
    t.shutdown().await;
}

on_both!(production_has_no_issuer);
async fn production_has_no_issuer(backend: Backend) {
    let t = TestGateway::start_on(backend, |c| {
        c.mode = Mode::Production;
        c.master_key = Some(MASTER_KEY.to_owned());
    })
    .await;
    let gw = t.gw();
    let p = gw.partner(&t.partner("PROD", false).await.code).await.expect("lookup").expect("partner");
    let o = order(gw, &p.code, "card-1", "ATM", "MB").await;
    let bank = BankCode::parse("MB").expect("bank");
    // Even the sandbox's own test card: nothing can be charged, nothing is kept.
    let outcome = gw.submit_card(&o, None, &napas("9704000000000018"), bank).await.expect("card");
    assert_eq!(outcome, CardOutcome::NotConnected);
    assert_eq!(gw.checkout(&o.trans_id).await.expect("read"), None);
    assert!(gw.choose_method(&o, None, PaymentMethod::Cc).await.is_ok_and(|changed| !changed), "not an ALL order");
    assert!(matches!(
        gw.simulate_completion(&p, &o.trans_id, ErrorCode::SUCCESS).await.expect("x"),
        Completion::NoSimulator
    ));
    let o = gw.order(&o.trans_id).await.expect("read").expect("order");
    assert_eq!(o.state, State::Pending);
    t.shutdown().await;
}
