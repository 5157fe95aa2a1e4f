//! The SDK's v1.1 and v2 clients against the gateway over HTTP, on both backends:
//! every call, and the verification of their redirects and IPNs as a merchant does
//! it (the IPN from the bytes a real merchant endpoint received).

use crate::harness::*;
use appotapay::protocol::v2::{
    CreateRequest, CreateTransaction, NotificationConfig, OrderReference, PartnerReference, RefundRequest,
};
use appotapay::protocol::v11::{Action, BankPaymentRequest, Reading};
use appotapay::v2::{ListQuery, ReferenceType};
use appotapay::{Amount, Client, Environment, Error, ErrorCode, SecretKey};
use std::time::Duration;

fn client(t: &TestGateway) -> Client {
    let p = t.sandbox();
    Client::builder()
        .environment(Environment::Custom(t.base.clone()))
        .partner_code(&p.code)
        .api_key(&p.api_key)
        .secret_key(p.secret.clone())
        .build()
        .expect("client")
}

fn v11_request(
    order_id: &str,
    method: &str,
    action: Action,
    token: Option<String>,
    notify: &str,
) -> BankPaymentRequest {
    BankPaymentRequest {
        order_id: order_id.into(),
        order_info: "SDK v1.1".into(),
        amount: Amount::vnd(40_000),
        client_ip: "203.0.113.7".into(),
        notify_url: notify.into(),
        redirect_url: "http://127.0.0.1:9/return".into(),
        payment_method: method.into(),
        bank_code: String::new(),
        extra_data: String::new(),
        action,
        token,
        signature: String::new(),
    }
}

fn query_of(url: &str) -> String {
    url.split_once('?').map(|(_, q)| q.to_owned()).expect("a query")
}

fn api_code(e: Error) -> u32 {
    match e {
        Error::Api { code, .. } => code.code(),
        other => panic!("not an API error: {other:?}"),
    }
}

on_both!(sdk_v11_saves_and_reuses_a_card);
async fn sdk_v11_saves_and_reuses_a_card(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let c = client(&t);
    let secret: SecretKey = t.sandbox().secret;
    let created = c
        .v11()
        .create_bank_payment(v11_request("sdk11-1", "ATM", Action::PayWithReturnToken, None, &m.url), None)
        .await
        .expect("created");
    let trans_id = t.trans_id_of(&created.payment_url);
    let done = c.sandbox().complete(&trans_id, ErrorCode::SUCCESS).await.expect("completed");
    let redirect = appotapay::verify_redirect_v11(&secret, &query_of(&done.redirect_url)).expect("redirect verifies");
    let token = redirect.token().expect("tokenResult").card.token;
    let ipns = m.wait_for(1, Duration::from_secs(5)).await;
    let ipn = appotapay::verify_ipn_v11(&secret, ipns[0].body.to_string().as_bytes()).expect("IPN verifies");
    assert_eq!(ipn.token().map(|r| r.card.token), Some(token.clone()));
    assert_eq!(ipn.base.appotapay_trans_id, trans_id);

    let status = c.v11().transaction_status("sdk11-1", None).await.expect("status");
    assert_eq!((status.error_code, status.transaction.status.as_str()), (ErrorCode::SUCCESS, "success"));
    let saved = c.v11().token_of_order("sdk11-1").await.expect("lookup");
    assert_eq!(saved.token_result.token, token);
    let list = c
        .v11()
        .transactions(&ListQuery { status: Some("success".into()), limit: Some(5), ..Default::default() })
        .await
        .expect("list");
    assert_eq!((list.total, list.transactions[0].order_id.as_str()), (1, "sdk11-1"));

    // Reading B, and the saved card paying a second order.
    let second = c
        .v11()
        .with_reading(Reading::B)
        .create_bank_payment(v11_request("sdk11-2", "ALL", Action::PayWithToken, Some(token.clone()), &m.url), None)
        .await
        .expect("pays with the token");
    assert!(second.payment_url.contains("/bank/payment/process?"));
    c.v11().delete_token(&token).await.expect("deleted");
    assert_eq!(api_code(c.v11().delete_token(&token).await.expect_err("gone")), 87);
    let again = c
        .v11()
        .create_bank_payment(v11_request("sdk11-3", "ATM", Action::PayWithToken, Some(token), &m.url), None)
        .await
        .expect_err("a deleted token");
    assert_eq!(api_code(again), 87);
    t.shutdown().await;
}

fn v2_request(order_id: &str, method: &str, action: Action, notify: &str) -> CreateRequest {
    CreateRequest {
        transaction: CreateTransaction {
            amount: Amount::vnd(25_000),
            currency: "VND".into(),
            bank_code: String::new(),
            payment_method: method.into(),
            action,
            token: None,
        },
        partner_reference: PartnerReference {
            order: OrderReference { id: order_id.into(), info: "SDK v2".into(), extra_data: "k=v/1+2".into() },
            notification_config: Some(NotificationConfig {
                notify_url: notify.into(),
                redirect_url: "http://127.0.0.1:9/return".into(),
                installment_notify_url: None,
            }),
        },
    }
}

on_both!(sdk_v2_pays_refunds_and_verifies);
async fn sdk_v2_pays_refunds_and_verifies(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let c = client(&t);
    let created = c
        .v2()
        .create_payment(&v2_request("sdk2-1", "CC", Action::PayWithReturnToken, &m.url), None)
        .await
        .expect("created");
    assert_eq!(created.error_code, ErrorCode::SUCCESS);
    let id = created.transaction.transaction_id.clone();
    assert!(created.payment.url.contains("/v2/bank/payment/process?"));
    let pending = c.v2().transaction_status(&id, ReferenceType::TransactionId, None).await.expect("status");
    assert_eq!(pending.transaction.error_code, ErrorCode::PENDING);

    let done = c.sandbox().complete(&id, ErrorCode::SUCCESS).await.expect("completed");
    let redirect = c.v2().verify_redirect(&query_of(&done.redirect_url)).expect("redirect verifies");
    assert_eq!(
        (redirect.transaction.transaction_id.as_str(), redirect.transaction.status.as_str()),
        (id.as_str(), "success")
    );
    assert_eq!(redirect.partner_reference.order.extra_data, "k=v/1+2");
    let ipns = m.wait_for(1, Duration::from_secs(5)).await;
    let ipn = c.v2().verify_ipn(ipns[0].body.to_string().as_bytes()).expect("IPN verifies");
    let token = ipn.token().expect("tokenResult").card;
    assert_eq!(token.card_type, "CREDIT_CARD");
    assert!(c.v2().verify_ipn(br#"{"data":"e30=","signature":"00","time":1}"#).is_err());

    let by_order = c.v2().transaction_status("sdk2-1", ReferenceType::PartnerOrderId, None).await.expect("status");
    assert_eq!(by_order.transaction.error_code, ErrorCode::SUCCESS);
    let refund = c
        .v2()
        .refund(&RefundRequest {
            partner_ref_id: "sdk2-r1".into(),
            transaction_id: id.clone(),
            amount: Amount::vnd(5_000),
            currency: "VND".into(),
            reason: "test refund".into(),
        })
        .await
        .expect("refund");
    assert_eq!(refund.amount, Amount::vnd(5_000));
    let detail = c.v2().refund_detail("sdk2-r1", ReferenceType::PartnerOrderId).await.expect("detail");
    assert_eq!(detail.refund_id, refund.refund_id);
    let list = c.v2().transactions(&ListQuery::default()).await.expect("list");
    assert_eq!(list.pagination.total, 1);
    c.v2().delete_token(&token.token).await.expect("deleted");
    assert_eq!(api_code(c.v2().delete_token(&token.token).await.expect_err("gone")), 87);
    let bad = c.v2().create_payment(&v2_request("sdk2-1", "CC", Action::Pay, &m.url), None).await.expect_err("dup");
    assert_eq!(api_code(bad), 30);
    t.shutdown().await;
}
