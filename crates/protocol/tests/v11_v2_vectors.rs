//! The sandbox vectors of API v1.1 and v2, computed with AppotaPay's public sandbox
//! secret over the documented examples: the three readings of the v1.1 create
//! signature, the two readings of the v1.1 notification (with and without
//! `tokenResult`), and the v2 notification's HMAC over its `data` text.

use appotapay_protocol::messages::PaymentNotification as V10Notification;
use appotapay_protocol::signing::{self, sign_data};
use appotapay_protocol::v2::{self, Envelope, Fee, OrderReference, PartnerReference, Payload, Transaction};
use appotapay_protocol::v11::{self, Action, Reading, TokenCard, TokenResult};
use appotapay_protocol::{Amount, ErrorCode, SecretKey, php_json, sandbox_partner};
use serde_json::json;

fn key() -> SecretKey {
    SecretKey::new(sandbox_partner::SECRET_KEY)
}

fn postman_body() -> serde_json::Value {
    json!({
        "amount": 10000, "orderId": "5f61cf4f41e2b", "orderInfo": "test thanh toan", "bankCode": "",
        "paymentMethod": "ATM", "clientIp": "103.53.171.140", "extraData": "", "action": "PAY_WITH_RETURN_TOKEN",
        "notifyUrl": "http://yourwebsite.com/ipn", "redirectUrl": "http://yourwebsite.com/redirect"
    })
}

const SIG_A: &str = "79d22bb6d8df009d5d5cdc322d708094e54518e1ede89598be6f6e7de566b1d3";
const SIG_B: &str = "c7c2c0d015de2bc3bf92967fed40c41e5639d742ea2431a687f7cd05874f2d56";
const SIG_C: &str = "0d0cd5b25e8c7f6e271aff6bdb31b30f61e41ba61156be931fa0013e4cebfbb6";

#[test]
fn the_three_readings_of_the_create_signature() {
    let body = postman_body();
    assert_eq!(
        Reading::A.data(&body),
        "action=PAY_WITH_RETURN_TOKEN&amount=10000&bankCode=&clientIp=103.53.171.140&extraData=&notifyUrl=http://yourwebsite.com/ipn&orderId=5f61cf4f41e2b&orderInfo=test thanh toan&paymentMethod=ATM&redirectUrl=http://yourwebsite.com/redirect"
    );
    assert!(Reading::B.data(&body).ends_with("&redirectUrl=http://yourwebsite.com/redirect&token="));
    assert_eq!(sign_data(&key(), &Reading::A.data(&body)), SIG_A);
    assert_eq!(sign_data(&key(), &Reading::B.data(&body)), SIG_B);
    assert_eq!(sign_data(&key(), &Reading::C.data(&body)), SIG_C);

    for (sig, reading) in [(SIG_A, Reading::A), (SIG_B, Reading::B), (SIG_C, Reading::C)] {
        let mut b = body.clone();
        b["signature"] = json!(sig);
        assert_eq!(v11::verify_create(&key(), &b, &Reading::ALL), Ok(reading), "any reading by default");
        assert_eq!(v11::verify_create(&key(), &b, &[reading]), Ok(reading), "strict: its own");
        let others: Vec<Reading> = Reading::ALL.into_iter().filter(|r| *r != reading).collect();
        assert_eq!(
            v11::verify_create(&key(), &b, &others),
            Err(signing::SignatureError::Mismatch),
            "strict: no other reading accepts {reading:?}"
        );
    }
    let mut b = body.clone();
    b["signature"] = json!(SIG_A);
    b["amount"] = json!(10001);
    assert_eq!(v11::verify_create(&key(), &b, &Reading::ALL), Err(signing::SignatureError::Mismatch));
}

#[test]
fn the_typed_request_signs_each_reading() {
    let mut req = v11::BankPaymentRequest {
        order_id: "5f61cf4f41e2b".into(),
        order_info: "test thanh toan".into(),
        amount: Amount::vnd(10_000),
        client_ip: "103.53.171.140".into(),
        notify_url: "http://yourwebsite.com/ipn".into(),
        redirect_url: "http://yourwebsite.com/redirect".into(),
        payment_method: "ATM".into(),
        bank_code: String::new(),
        extra_data: String::new(),
        action: Action::PayWithReturnToken,
        token: None,
        signature: String::new(),
    };
    for (reading, sig) in [(Reading::A, SIG_A), (Reading::B, SIG_B), (Reading::C, SIG_C)] {
        req.sign(&key(), reading);
        assert_eq!(req.signature, sig, "{reading:?}");
    }
}

fn docs_token_result() -> TokenResult {
    TokenResult {
        status: 0,
        message: "Thành công".into(),
        card: TokenCard {
            status: "active".into(),
            token: "2331123162638222".into(),
            card_name: "NGUYEN VAN A".into(),
            card_number: "970400xxxxxx0001".into(),
            card_date: String::new(),
            card_type: "ATM_CARD".into(),
        },
    }
}

fn docs_redirect(token_result: Option<String>, signature: &str) -> v11::PaymentNotification {
    v11::PaymentNotification {
        base: V10Notification {
            error_code: ErrorCode::SUCCESS,
            message: "Thành công".into(),
            partner_code: "APPOTAPAY".into(),
            api_key: sandbox_partner::API_KEY.into(),
            amount: Amount::vnd(50_000),
            currency: "VND".into(),
            order_id: "5f61d06311019".into(),
            bank_code: "SHB".into(),
            payment_method: "ATM".into(),
            payment_type: "WEB".into(),
            appotapay_trans_id: "AP200910016654B".into(),
            transaction_ts: 1_600_246_241,
            extra_data: "test test".into(),
            signature: signature.into(),
        },
        token_result,
    }
}

const SIG_13: &str = "02d0b8bc0aaad7f85b9556e4f4ec97c9bcba0ba2f0dc41c4fce887b1c881f692";
const SIG_14: &str = "f1e025baacee1ee4a5ed06b0c7fda88e3ad1921b82c183f9f85590ecff270da8";

#[test]
fn the_two_readings_of_the_token_result_signature() {
    let text = docs_token_result().to_php_json();
    assert_eq!(
        text,
        r#"{"status":0,"message":"Th\u00e0nh c\u00f4ng","card":{"status":"active","token":"2331123162638222","card_name":"NGUYEN VAN A","card_number":"970400xxxxxx0001","card_date":"","card_type":"ATM_CARD"}}"#
    );
    let n = docs_redirect(Some(text.clone()), "");
    assert_eq!(sign_data(&key(), &n.data(false)), SIG_13);
    assert_eq!(sign_data(&key(), &n.data(true)), SIG_14);
    assert!(n.data(true).contains(&format!("&paymentType=WEB&tokenResult={text}&transactionTs=1600246241")));

    assert_eq!(docs_redirect(Some(text.clone()), SIG_13).verify(&key()), Ok(false), "13 fields");
    assert_eq!(docs_redirect(Some(text.clone()), SIG_14).verify(&key()), Ok(true), "with tokenResult");
    assert_eq!(docs_redirect(None, SIG_13).verify(&key()), Ok(false));
    assert!(docs_redirect(None, SIG_14).verify(&key()).is_err(), "no tokenResult, nothing to cover");
    let mut tampered = text.replace("2331123162638222", "2331123162638223");
    assert!(docs_redirect(Some(tampered.clone()), SIG_14).verify(&key()).is_err());
    tampered.clear();
    assert_eq!(docs_redirect(Some(text), SIG_13).token(), Some(docs_token_result()));
}

#[test]
fn the_v2_notification_hmac_over_the_data_text() {
    let payload = Payload {
        transaction: Transaction {
            transaction_id: "AP241453213740".into(),
            reconciliation_id: Some("AP241453213740".into()),
            partner_code: "CPM".into(),
            status: "success".into(),
            error_code: ErrorCode::SUCCESS,
            error_message: "Thành công".into(),
            order_amount: Amount::vnd(10_000),
            amount: Amount::vnd(10_000),
            discount_amount: 0,
            currency: "VND".into(),
            bank_code: "SAIGONBANK".into(),
            payment_method: "ATM".into(),
            action: "PAY_WITH_RETURN_TOKEN".into(),
            client_ip: Some("118.70.9.6".into()),
            version: Some(v2::VERSION.into()),
            fee: Some(Fee { customer_fee: 0 }),
            created_at: v2::rfc3339_vn(1_726_029_136_000),
            updated_at: v2::rfc3339_vn(1_726_029_160_000),
        },
        partner_reference: PartnerReference {
            order: OrderReference { id: "yQoM2cAJd".into(), info: "test thanh toan".into(), extra_data: String::new() },
            notification_config: None,
        },
        token_result: Some(
            TokenResult {
                card: TokenCard {
                    token: "2336100686629909".into(),
                    card_number: "970400xxxxxx0018".into(),
                    ..docs_token_result().card
                },
                ..docs_token_result()
            }
            .to_php_json(),
        ),
    };
    let text = php_json::encode(&payload);
    assert!(text.contains(r#""tokenResult":"{\"status\":0,\"message\":\"Th\\u00e0nh c\\u00f4ng\",\"card\""#), "{text}");
    let env = Envelope::seal(&payload, &key(), 1_726_029_178);
    assert!(env.data.starts_with("eyJ0cmFuc2FjdGlvbiI6"), "{}", env.data);
    assert_eq!(env.signature, "ca4792b8229fdaf43726e6c9213823cfa2d46f3725b4fe39c3c83df0af2ac642");
    assert_eq!(sign_data(&key(), &env.data), env.signature, "over the data text itself");
    let opened = env.open(&key()).expect("verifies");
    assert_eq!(opened, payload);
    assert_eq!(opened.token().map(|t| t.card.token), Some("2336100686629909".to_owned()));
}

#[test]
fn the_v2_refund_answer_signs_every_top_level_key() {
    let r = v2::RefundResponse {
        error_code: ErrorCode::SUCCESS,
        message: "Thành công".into(),
        refund_id: "f28a4ac3".into(),
        transaction_id: "AP241453209745".into(),
        partner_ref_id: "5f61cf4f41e2b".into(),
        amount: Amount::vnd(10_000),
        currency: "VND".into(),
        reason: "test refund".into(),
        status: "success".into(),
        created_at: "2024-09-11T11:21:17+07:00".into(),
        refunded_at: String::new(),
        signature: String::new(),
    }
    .signed(&key());
    let v = serde_json::to_value(&r).expect("json");
    assert_eq!(
        v11::all_keys_data(&v),
        "amount=10000&createdAt=2024-09-11T11:21:17+07:00&currency=VND&errorCode=0&message=Thành công&partnerRefId=5f61cf4f41e2b&reason=test refund&refundId=f28a4ac3&refundedAt=&status=success&transactionId=AP241453209745"
    );
    assert_eq!(v2::RefundResponse::verify_json(&key(), &v), Ok(()));
}
