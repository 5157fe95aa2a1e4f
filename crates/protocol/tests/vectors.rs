//! Golden vectors of spec §10 and §11.

use appotapay_protocol::messages::{BankPaymentRequest, QrPaymentRequest, RefundRequest, StatusRequest};
use appotapay_protocol::signing::{self, Signed, canonical_data, sign_data};
use appotapay_protocol::{Amount, PaymentMethod, SecretKey, sandbox_partner};

fn key() -> SecretKey {
    SecretKey::new(sandbox_partner::SECRET_KEY)
}

#[test]
fn tv1_published_qr_request() {
    let req = QrPaymentRequest {
        order_id: "u7XR9xfTj".into(),
        order_info: "test thanh toan".into(),
        amount: Amount::vnd(10_000),
        client_ip: "103.53.171.140".into(),
        notify_url: "http://yourwebsite.com/ipn".into(),
        redirect_url: "http://yourwebsite.com/redirect".into(),
        extra_data: String::new(),
        signature: String::new(),
    };
    let expected_data = "amount=10000&clientIp=103.53.171.140&extraData=&notifyUrl=http://yourwebsite.com/ipn&orderId=u7XR9xfTj&orderInfo=test thanh toan&redirectUrl=http://yourwebsite.com/redirect";
    assert_eq!(req.data(), expected_data);
    let signed = req.signed(&key());
    assert_eq!(signed.signature, "c1ad6f769866d74003ffd4f7cf4f21230723c059e0744ec4fd75d16b8bff1001");
    assert_eq!(signed.verify(&key()), Ok(()));
}

#[test]
fn tv1_from_the_docs_json_body() {
    // The request exactly as printed in the documentation, verified from raw JSON.
    let body = r#"{"orderId":"u7XR9xfTj","orderInfo":"test thanh toan","amount":10000,"notifyUrl":"http://yourwebsite.com/ipn","redirectUrl":"http://yourwebsite.com/redirect","extraData":"","clientIp":"103.53.171.140","signature":"c1ad6f769866d74003ffd4f7cf4f21230723c059e0744ec4fd75d16b8bff1001"}"#;
    let v: serde_json::Value = serde_json::from_str(body).expect("json");
    assert_eq!(signing::verify_json(&signing::QR_PAYMENT_REQUEST, &key(), &v), Ok(()));
    let parsed: QrPaymentRequest = serde_json::from_value(v).expect("typed");
    assert_eq!(parsed.verify(&key()), Ok(()));
}

#[test]
fn bank_request_regression_vector() {
    let req = BankPaymentRequest {
        order_id: "5f61cf4f41e2b".into(),
        order_info: "test thanh toan".into(),
        amount: Amount::vnd(10_000),
        client_ip: "103.53.171.140".into(),
        notify_url: "http://yourwebsite.com/ipn".into(),
        redirect_url: "http://yourwebsite.com/redirect".into(),
        payment_method: PaymentMethod::Atm,
        bank_code: "VCB".into(),
        extra_data: String::new(),
        signature: String::new(),
    };
    assert_eq!(
        req.data(),
        "amount=10000&bankCode=VCB&clientIp=103.53.171.140&extraData=&notifyUrl=http://yourwebsite.com/ipn&orderId=5f61cf4f41e2b&orderInfo=test thanh toan&paymentMethod=ATM&redirectUrl=http://yourwebsite.com/redirect"
    );
    assert_eq!(req.signed(&key()).signature, "1aa4ccc272064178dd0ac7eb1d57df9946ec7342463b03a8a0b4d3c8bad32297");
}

#[test]
fn status_request_regression_vector() {
    let req = StatusRequest { order_id: "5f5b46cb73fd0".into(), signature: String::new() }.signed(&key());
    assert_eq!(req.signature, "0d5395e8bcffd9f2527f4a966440dbbde1a14923b5f8812bd947818f2313e7fc");
}

#[test]
fn refund_request_regression_vector() {
    let req = RefundRequest {
        refund_id: "237052c887614019bedfd1851a287d9c".into(),
        appotapay_trans_id: "AP211364332963".into(),
        amount: Amount::vnd(10_000),
        reason: "Test refund".into(),
        signature: String::new(),
    };
    assert_eq!(
        canonical_data(&signing::REFUND_REQUEST, &req),
        "amount=10000&appotapayTransId=AP211364332963&reason=Test refund&refundId=237052c887614019bedfd1851a287d9c"
    );
    assert_eq!(req.signed(&key()).signature, "c20e277141f316a93260d1ef56d1fca81cf809eef12ac7122a7caa60420078c9");
}

#[test]
fn tv1_literal_data_string() {
    // The data string of spec §11 signed directly, independent of the message types.
    let data = "amount=10000&clientIp=103.53.171.140&extraData=&notifyUrl=http://yourwebsite.com/ipn&orderId=u7XR9xfTj&orderInfo=test thanh toan&redirectUrl=http://yourwebsite.com/redirect";
    assert_eq!(sign_data(&key(), data), "c1ad6f769866d74003ffd4f7cf4f21230723c059e0744ec4fd75d16b8bff1001");
}
