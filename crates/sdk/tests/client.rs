//! The client against a real local HTTP server (wiremock on 127.0.0.1).

use appotapay::protocol::jwt::{self, Claims};
use appotapay::protocol::messages::sandbox::CompleteResponse;
use appotapay::protocol::sandbox_partner::{API_KEY, PARTNER_CODE, SECRET_KEY};
use appotapay::protocol::signing::{self, SignatureError, SignatureSpec, Signed};
use appotapay::{
    Amount, BankPaymentRequest, BankPaymentResponse, CardInfo, Client, ClientBuilder, Environment, Error, ErrorCode,
    Lang, OrderRefunds, OrderRefundsResponse, PaymentMethod, QrData, QrPaymentRequest, QrPaymentResponse, RefundData,
    RefundListMeta, RefundListQuery, RefundListResponse, RefundRequest, RefundResponse, RefundStatus, RefundType,
    SecretKey, StatusResponse,
};
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Match, Mock, MockServer, Request, ResponseTemplate};

fn key() -> SecretKey {
    SecretKey::new(SECRET_KEY)
}

fn builder(uri: &str) -> ClientBuilder {
    Client::builder()
        .environment(Environment::Custom(uri.to_owned()))
        .partner_code(PARTNER_CODE)
        .api_key(API_KEY)
        .secret_key(key())
}

fn client(server: &MockServer) -> Client {
    builder(&server.uri()).build().expect("valid configuration")
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).expect("clock after 1970")
}

/// Checks that a received request is authenticated with a valid partner JWT, is
/// JSON, and (when `spec` is given) carries a valid request signature.
fn check_request(req: &Request, spec: Option<&SignatureSpec>) -> Result<Claims, String> {
    let auth = req.headers.get("X-APPOTAPAY-AUTH").ok_or("no X-APPOTAPAY-AUTH")?;
    let auth = auth.to_str().map_err(|e| e.to_string())?;
    let token = auth.strip_prefix("Bearer ").ok_or("no Bearer prefix")?;
    let claims = jwt::decode(token).and_then(|t| t.verify(&key(), now(), 0)).map_err(|e| e.to_string())?;
    if claims.iss != PARTNER_CODE || claims.api_key != API_KEY {
        return Err(format!("wrong claims {claims:?}"));
    }
    let content_type = req.headers.get("Content-Type").and_then(|v| v.to_str().ok());
    if content_type != Some("application/json") {
        return Err(format!("content type {content_type:?}"));
    }
    if let Some(spec) = spec {
        let body: Value = serde_json::from_slice(&req.body).map_err(|e| e.to_string())?;
        signing::verify_json(spec, &key(), &body).map_err(|e| format!("request signature: {e}"))?;
    }
    Ok(claims)
}

/// A wiremock matcher for [`check_request`].
struct Authed(Option<&'static SignatureSpec>);

impl Match for Authed {
    fn matches(&self, request: &Request) -> bool {
        check_request(request, self.0).is_ok()
    }
}

async fn single_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.expect("recording is on");
    assert_eq!(requests.len(), 1, "exactly one request");
    requests.remove(0)
}

fn auth_header(req: &Request) -> String {
    req.headers.get("X-APPOTAPAY-AUTH").and_then(|v| v.to_str().ok()).expect("auth header").to_owned()
}

fn bank_request() -> BankPaymentRequest {
    BankPaymentRequest {
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
    }
}

fn bank_response() -> BankPaymentResponse {
    BankPaymentResponse {
        error_code: ErrorCode::SUCCESS,
        message: "Thành công".into(),
        order_id: "5f61cf4f41e2b".into(),
        amount: Amount::vnd(10_000),
        payment_url: "https://payment.dev.appotapay.com/bank/payment/process?tran=dGlk&sign=abc".into(),
        signature: String::new(),
    }
    .signed(&key())
}

fn json_of<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("serialisable")
}

fn status_response(code: ErrorCode) -> StatusResponse {
    StatusResponse {
        error_code: code,
        message: code.message(Lang::Vi).into(),
        partner_code: PARTNER_CODE.into(),
        api_key: API_KEY.into(),
        amount: Amount::vnd(50_000),
        currency: "VND".into(),
        order_id: "5f5b46cb73fd0".into(),
        bank_code: "VISA".into(),
        payment_method: "CC".into(),
        payment_type: "WEB".into(),
        appotapay_trans_id: "AP221434473737".into(),
        transaction_ts: 1_700_000_000,
        extra_data: "a b&c".into(),
        card_info: Some(CardInfo {
            card_number: "400000******1075".into(),
            card_date: "03/27".into(),
            card_name: "NGUYEN VAN A".into(),
            country_code: "VN".into(),
        }),
        signature: String::new(),
    }
    .signed(&key())
}

fn refund_data() -> RefundData {
    RefundData {
        appotapay_trans_id: "AP211364332963".into(),
        refund_id: "RF000000000001".into(),
        refund_original_id: "237052c887614019bedfd1851a287d9c".into(),
        amount: Amount::vnd(10_000),
        reason: "Test refund".into(),
        status: RefundStatus::Pending,
        transaction_ts: 1_700_000_100,
    }
}

fn refund_response() -> RefundResponse {
    RefundResponse {
        error_code: ErrorCode::SUCCESS,
        message: "Thành công".into(),
        data: refund_data(),
        signature: String::new(),
    }
    .signed(&key())
}

// ---------------------------------------------------------------------------------
// One test per API method.

#[tokio::test]
async fn create_bank_payment() {
    let server = MockServer::start().await;
    let expected = bank_response();
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/payment/bank"))
        .and(header("X-Language", "vi"))
        .and(Authed(Some(&signing::BANK_PAYMENT_REQUEST)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json_of(&expected)))
        .expect(1)
        .mount(&server)
        .await;

    let got = client(&server).create_bank_payment(bank_request()).await.expect("payment created");
    assert_eq!(got, expected);

    let req = single_request(&server).await;
    check_request(&req, Some(&signing::BANK_PAYMENT_REQUEST)).expect("authenticated and signed");
    let body: BankPaymentRequest = req.body_json().expect("request JSON");
    // Spec §11 regression vector for these parameters.
    assert_eq!(body.signature, "1aa4ccc272064178dd0ac7eb1d57df9946ec7342463b03a8a0b4d3c8bad32297");
    assert_eq!(body.payment_method, PaymentMethod::Atm);
}

#[tokio::test]
async fn create_qr_payment_with_sub_account() {
    let server = MockServer::start().await;
    let expected = QrPaymentResponse {
        error_code: ErrorCode::SUCCESS,
        message: "Thành công".into(),
        order_id: "u7XR9xfTj".into(),
        amount: Amount::vnd(10_000),
        payment_url: "https://payment.dev.appotapay.com/qr/AP221434596643".into(),
        appotapay_trans_id: "AP221434596643".into(),
        qr_data: QrData { qr_code_url: "https://example.test/qr.png".into(), qr_code_expiry_in: 1_655_355_366 },
        signature: String::new(),
    }
    .signed(&key());
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/payment/qr"))
        .and(header("X-Account-Ref-ID", "SUB-1"))
        .and(Authed(Some(&signing::QR_PAYMENT_REQUEST)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json_of(&expected)))
        .expect(1)
        .mount(&server)
        .await;

    let request = QrPaymentRequest {
        order_id: "u7XR9xfTj".into(),
        order_info: "test thanh toan".into(),
        amount: Amount::vnd(10_000),
        client_ip: "103.53.171.140".into(),
        notify_url: "http://yourwebsite.com/ipn".into(),
        redirect_url: "http://yourwebsite.com/redirect".into(),
        extra_data: String::new(),
        signature: String::new(),
    };
    let got = client(&server).create_qr_payment(request, Some("SUB-1")).await.expect("QR created");
    assert_eq!(got, expected);

    let body: QrPaymentRequest = single_request(&server).await.body_json().expect("request JSON");
    // TV1, the docs' published QR request signature.
    assert_eq!(body.signature, "c1ad6f769866d74003ffd4f7cf4f21230723c059e0744ec4fd75d16b8bff1001");
}

#[tokio::test]
async fn create_qr_payment_without_sub_account_sends_no_header() {
    let server = MockServer::start().await;
    let expected = QrPaymentResponse {
        error_code: ErrorCode::SUCCESS,
        message: "Success".into(),
        order_id: "Q1".into(),
        amount: Amount::vnd(79_000),
        payment_url: "http://gw.test/qr/AP000000000002".into(),
        appotapay_trans_id: "AP000000000002".into(),
        qr_data: QrData { qr_code_url: "http://gw.test/qr/AP000000000002.png".into(), qr_code_expiry_in: 1 },
        signature: String::new(),
    }
    .signed(&key());
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/payment/qr"))
        .and(Authed(Some(&signing::QR_PAYMENT_REQUEST)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json_of(&expected)))
        .expect(1)
        .mount(&server)
        .await;
    let request = QrPaymentRequest {
        order_id: "Q1".into(),
        order_info: "Q1".into(),
        amount: Amount::vnd(79_000),
        client_ip: "::1".into(),
        notify_url: "http://shop.test/ipn".into(),
        redirect_url: String::new(),
        extra_data: String::new(),
        signature: String::new(),
    };
    let got = client(&server).create_qr_payment(request, None).await.expect("QR created");
    assert_eq!(got.qr_data.qr_code_expiry_in, 1);
    let req = single_request(&server).await;
    assert!(req.headers.get("X-Account-Ref-ID").is_none());
}

#[tokio::test]
async fn invalid_account_ref_id_is_refused_locally() {
    let server = MockServer::start().await;
    let request = QrPaymentRequest {
        order_id: "Q1".into(),
        order_info: "Q1".into(),
        amount: Amount::vnd(79_000),
        client_ip: "::1".into(),
        notify_url: "http://shop.test/ipn".into(),
        redirect_url: String::new(),
        extra_data: String::new(),
        signature: String::new(),
    };
    let err = client(&server).create_qr_payment(request, Some("bad\nvalue")).await.expect_err("invalid header");
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    assert!(server.received_requests().await.expect("recording").is_empty());
}

#[tokio::test]
async fn transaction_status_success() {
    let server = MockServer::start().await;
    let expected = status_response(ErrorCode::SUCCESS);
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/transaction/bank/status"))
        .and(body_json(json!({
            "orderId": "5f5b46cb73fd0",
            "signature": "0d5395e8bcffd9f2527f4a966440dbbde1a14923b5f8812bd947818f2313e7fc"
        })))
        .and(Authed(Some(&signing::STATUS_REQUEST)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json_of(&expected)))
        .expect(1)
        .mount(&server)
        .await;
    let got = client(&server).transaction_status("5f5b46cb73fd0").await.expect("status");
    assert_eq!(got, expected);
    assert_eq!(got.card_info.as_ref().map(|c| c.card_name.as_str()), Some("NGUYEN VAN A"));
}

#[tokio::test]
async fn transaction_status_pending_is_ok() {
    let server = MockServer::start().await;
    let mut pending = status_response(ErrorCode::PENDING);
    pending.card_info = None;
    pending.bank_code = String::new();
    let pending = pending.signed(&key());
    let mut body = json_of(&pending);
    // An ATM-style answer has no cardInfo key at all.
    assert!(body.get("cardInfo").is_none());
    body["message"] = json!(ErrorCode::PENDING.message(Lang::Vi));
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/transaction/bank/status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let got = client(&server).transaction_status("5f5b46cb73fd0").await.expect("a signed state is an answer");
    assert_eq!(got.error_code, ErrorCode::PENDING);
    assert!(!got.error_code.is_final());
}

#[tokio::test]
async fn transaction_status_declined_is_ok() {
    let server = MockServer::start().await;
    let declined = status_response(ErrorCode::INSUFFICIENT_FUNDS);
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/transaction/bank/status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json_of(&declined)))
        .mount(&server)
        .await;
    let got = client(&server).transaction_status("5f5b46cb73fd0").await.expect("a signed state is an answer");
    assert_eq!(got.error_code, ErrorCode(74));
}

#[tokio::test]
async fn transaction_status_unknown_order_is_an_api_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/transaction/bank/status"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"errorCode": 36, "message": "Giao dịch không tồn tại"})),
        )
        .mount(&server)
        .await;
    let err = client(&server).transaction_status("nope").await.expect_err("unknown order");
    match err {
        Error::Api { code, message, http_status } => {
            assert_eq!(code, ErrorCode::TRANSACTION_NOT_FOUND);
            assert_eq!(message, "Giao dịch không tồn tại");
            assert_eq!(http_status, 400);
        }
        other => panic!("expected Api, got {other:?}"),
    }
}

#[tokio::test]
async fn transaction_status_unsigned_success_is_refused() {
    let server = MockServer::start().await;
    let mut body = json_of(&status_response(ErrorCode::SUCCESS));
    body.as_object_mut().expect("object").remove("signature");
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/transaction/bank/status"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let err = client(&server).transaction_status("5f5b46cb73fd0").await.expect_err("unsigned");
    assert!(matches!(err, Error::Signature { spec: "status response", source: SignatureError::Missing }), "{err:?}");
}

#[tokio::test]
async fn refund() {
    let server = MockServer::start().await;
    let expected = refund_response();
    Mock::given(method("POST"))
        .and(path("/api/v1/transaction/refund"))
        .and(Authed(Some(&signing::REFUND_REQUEST)))
        .respond_with(ResponseTemplate::new(200).set_body_json(json_of(&expected)))
        .expect(1)
        .mount(&server)
        .await;
    let request = RefundRequest {
        refund_id: "237052c887614019bedfd1851a287d9c".into(),
        appotapay_trans_id: "AP211364332963".into(),
        amount: Amount::vnd(10_000),
        reason: "Test refund".into(),
        signature: String::new(),
    };
    let got = client(&server).refund(request).await.expect("refund accepted");
    assert_eq!(got, expected);
    let body: RefundRequest = single_request(&server).await.body_json().expect("request JSON");
    assert_eq!(body.signature, "c20e277141f316a93260d1ef56d1fca81cf809eef12ac7122a7caa60420078c9");
}

#[tokio::test]
async fn refund_detail_percent_encodes_the_id() {
    let server = MockServer::start().await;
    let expected = refund_response();
    Mock::given(method("GET"))
        .and(path("/api/v1/transaction/refund/r%201%2F2%3F"))
        .and(Authed(None))
        .respond_with(ResponseTemplate::new(200).set_body_json(json_of(&expected)))
        .expect(1)
        .mount(&server)
        .await;
    let got = client(&server).refund_detail("r 1/2?").await.expect("refund detail");
    assert_eq!(got, expected);
    let req = single_request(&server).await;
    assert_eq!(req.url.query(), None);
}

#[tokio::test]
async fn dot_segments_are_refused() {
    let server = MockServer::start().await;
    let err = client(&server).refund_detail("..").await.expect_err("dot segment");
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    let err = client(&server).refunds_by_order("").await.expect_err("empty");
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
}

#[tokio::test]
async fn refunds_by_order() {
    let server = MockServer::start().await;
    let expected = OrderRefundsResponse {
        error_code: ErrorCode::SUCCESS,
        message: "Thành công".into(),
        data: OrderRefunds {
            appotapay_trans_id: "AP211364332963".into(),
            order_id: "ORDER/1".into(),
            order_info: "test".into(),
            partner_code: PARTNER_CODE.into(),
            amount: Amount::vnd(20_000),
            bank_code: "VCB".into(),
            payment_method: "ATM".into(),
            refund_type: RefundType::Partial,
            transaction_ts: 1_700_000_000,
            refund_transactions: vec![refund_data()],
        },
    };
    Mock::given(method("GET"))
        .and(path("/api/v1/transaction/ORDER%2F1/refund"))
        .and(Authed(None))
        .respond_with(ResponseTemplate::new(200).set_body_json(json_of(&expected)))
        .expect(1)
        .mount(&server)
        .await;
    let got = client(&server).refunds_by_order("ORDER/1").await.expect("refunds of the order");
    assert_eq!(got, expected);
}

fn refund_list_response() -> RefundListResponse {
    RefundListResponse {
        error_code: ErrorCode::SUCCESS,
        message: "Thành công".into(),
        data: vec![refund_data()],
        meta: RefundListMeta { page: 2, limit: 20, total: 21, total_amount: 210_000, pages: 2 },
    }
}

#[tokio::test]
async fn refund_list_sends_only_the_given_filters() {
    let server = MockServer::start().await;
    let expected = refund_list_response();
    Mock::given(method("GET"))
        .and(path("/api/v1/refunds"))
        .and(Authed(None))
        .respond_with(ResponseTemplate::new(200).set_body_json(json_of(&expected)))
        .expect(2)
        .mount(&server)
        .await;
    let c = client(&server);
    let query = RefundListQuery {
        order_id: Some("O 1&x=y".into()),
        status: Some(RefundStatus::Success),
        refund_type: Some(RefundType::Total),
        start_time: Some(1_700_000_000),
        page: Some(2),
        limit: Some(20),
        ..Default::default()
    };
    assert_eq!(c.refund_list(&query).await.expect("list"), expected);
    assert_eq!(c.refund_list(&RefundListQuery::default()).await.expect("list"), expected);

    let requests = server.received_requests().await.expect("recording");
    let mut pairs: Vec<(String, String)> = requests[0].url.query_pairs().into_owned().collect();
    pairs.sort();
    let expected_pairs: Vec<(String, String)> = [
        ("limit", "20"),
        ("orderId", "O 1&x=y"),
        ("page", "2"),
        ("refundType", "total"),
        ("startTime", "1700000000"),
        ("status", "success"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    assert_eq!(pairs, expected_pairs);
    assert_eq!(requests[1].url.query(), None, "no filters, no query string");
}

#[tokio::test]
async fn sandbox_complete() {
    let server = MockServer::start().await;
    let expected = CompleteResponse {
        error_code: ErrorCode::SUCCESS,
        message: "Thành công".into(),
        redirect_url: "http://shop.test/return?orderId=1".into(),
    };
    Mock::given(method("POST"))
        .and(path("/api/v1/sandbox/transactions/AP000000000001/complete"))
        .and(body_json(json!({"errorCode": 61})))
        .and(Authed(None))
        .respond_with(ResponseTemplate::new(200).set_body_json(json_of(&expected)))
        .expect(1)
        .mount(&server)
        .await;
    let got = client(&server).sandbox().complete("AP000000000001", ErrorCode::DECLINED).await.expect("completed");
    assert_eq!(got, expected);
}

#[tokio::test]
async fn sandbox_bank_credit() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/sandbox/bank-credit"))
        .and(body_json(json!({"amount": 79000, "memo": "AP000000000002"})))
        .and(Authed(None))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"errorCode": 0, "message": "Success"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/sandbox/bank-credit"))
        .and(body_json(json!({"amount": 1000, "memo": "AP000000000002"})))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"errorCode": 32, "message": "Invalid amount"})))
        .mount(&server)
        .await;
    let c = client(&server);
    let ok = c.sandbox().bank_credit(Amount::vnd(79_000), "AP000000000002").await.expect("credited");
    assert_eq!(ok.error_code, ErrorCode::SUCCESS);
    let err = c.sandbox().bank_credit(Amount::vnd(1_000), "AP000000000002").await.expect_err("wrong amount");
    assert_eq!(err.api_code(), Some(ErrorCode::INVALID_AMOUNT));
}

// ---------------------------------------------------------------------------------
// Response signatures.

async fn bank_with_body(body: Value) -> Result<BankPaymentResponse, Error> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/payment/bank"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    client(&server).create_bank_payment(bank_request()).await
}

#[tokio::test]
async fn tampered_response_is_refused() {
    let mut body = json_of(&bank_response());
    body["paymentUrl"] = json!("https://evil.test/pay");
    let err = bank_with_body(body).await.expect_err("tampered");
    assert!(
        matches!(err, Error::Signature { spec: "bank payment response", source: SignatureError::Mismatch }),
        "{err:?}"
    );
    assert!(!err.is_final());
}

#[tokio::test]
async fn tampered_nested_response_is_refused() {
    let server = MockServer::start().await;
    let mut body = json_of(&refund_response());
    body["data"]["amount"] = json!(99_999);
    Mock::given(method("GET"))
        .and(path("/api/v1/transaction/refund/R1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let err = client(&server).refund_detail("R1").await.expect_err("tampered");
    assert!(matches!(err, Error::Signature { spec: "refund response", .. }), "{err:?}");
}

#[tokio::test]
async fn signed_copies_at_top_level_do_not_cover_a_tampered_nested_value() {
    // The signed values left at top level, the ones the typed answer is read from
    // changed: the signature must not vouch for them.
    let server = MockServer::start().await;
    let mut body = json_of(&refund_response());
    let original = body["data"].as_object().expect("data").clone();
    for (k, v) in &original {
        body[k.as_str()] = v.clone();
    }
    body["data"]["amount"] = json!(99_999);
    body["data"]["status"] = json!("success");
    Mock::given(method("GET"))
        .and(path("/api/v1/transaction/refund/R1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let err = client(&server).refund_detail("R1").await.expect_err("ambiguous");
    assert!(
        matches!(err, Error::Signature { spec: "refund response", source: SignatureError::Ambiguous(_) }),
        "{err:?}"
    );
}

#[tokio::test]
async fn response_without_signature_is_refused() {
    let mut body = json_of(&bank_response());
    body.as_object_mut().expect("object").remove("signature");
    let err = bank_with_body(body).await.expect_err("unsigned");
    assert!(matches!(err, Error::Signature { source: SignatureError::Missing, .. }), "{err:?}");
}

#[tokio::test]
async fn response_signed_with_another_key_is_refused() {
    let other = BankPaymentResponse { signature: String::new(), ..bank_response() }.signed(&SecretKey::new("other"));
    let err = bank_with_body(json_of(&other)).await.expect_err("wrong key");
    assert!(matches!(err, Error::Signature { source: SignatureError::Mismatch, .. }), "{err:?}");
}

#[tokio::test]
async fn extra_response_keys_do_not_break_verification() {
    let expected = bank_response();
    let mut body = json_of(&expected);
    body["requestId"] = json!("7b3c");
    body["unexpected"] = Value::Null;
    body["nested"] = json!({"amount": 1});
    let got = bank_with_body(body).await.expect("only the listed fields are signed");
    assert_eq!(got, expected);
}

#[tokio::test]
async fn signed_response_missing_a_typed_field_is_a_decode_error() {
    // A body signed over an empty paymentUrl that lacks the key verifies, but is not
    // a bank payment answer.
    let response =
        BankPaymentResponse { payment_url: String::new(), signature: String::new(), ..bank_response() }.signed(&key());
    let mut body = json_of(&response);
    body.as_object_mut().expect("object").remove("paymentUrl");
    let err = bank_with_body(body).await.expect_err("shape");
    assert!(matches!(err, Error::Decode { http_status: 200, .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------
// Error answers.

#[tokio::test]
async fn business_error_is_an_api_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/orders/payment/bank"))
        .respond_with(
            ResponseTemplate::new(400).set_body_json(json!({"errorCode": 30, "message": "Mã đơn hàng bị trùng"})),
        )
        .mount(&server)
        .await;
    let err = client(&server).create_bank_payment(bank_request()).await.expect_err("duplicate");
    assert!(
        matches!(&err, Error::Api { code: ErrorCode(30), http_status: 400, message } if message == "Mã đơn hàng bị trùng"),
        "{err:?}"
    );
    assert!(err.is_final());
    assert!(err.to_string().contains("30"));
}

#[tokio::test]
async fn authentication_error_is_an_api_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/transaction/refund"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"errorCode": 401, "message": "Unauthorized"})))
        .mount(&server)
        .await;
    let request = RefundRequest {
        refund_id: "R1".into(),
        appotapay_trans_id: "AP000000000001".into(),
        amount: Amount::vnd(1_000),
        reason: "r".into(),
        signature: String::new(),
    };
    let err = client(&server).refund(request).await.expect_err("unauthorised");
    assert!(matches!(err, Error::Api { code: ErrorCode::UNAUTHORIZED, http_status: 401, .. }), "{err:?}");
}

#[tokio::test]
async fn error_code_with_http_200_is_an_api_error() {
    let err = bank_with_body(json!({"errorCode": 32, "message": "Invalid amount"})).await.expect_err("32");
    assert!(matches!(err, Error::Api { code: ErrorCode(32), http_status: 200, .. }), "{err:?}");
}

#[tokio::test]
async fn internal_error_is_not_final() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"errorCode": 500, "message": "System error"})))
        .mount(&server)
        .await;
    let err = client(&server).create_bank_payment(bank_request()).await.expect_err("500");
    assert_eq!(err.api_code(), Some(ErrorCode::SYSTEM_ERROR));
    assert!(!err.is_final());
}

#[tokio::test]
async fn html_error_page_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(502).set_body_raw("<html><body>502 Bad Gateway</body></html>", "text/html"))
        .mount(&server)
        .await;
    let err = client(&server).create_bank_payment(bank_request()).await.expect_err("HTML");
    assert!(matches!(err, Error::Decode { http_status: 502, .. }), "{err:?}");
}

#[tokio::test]
async fn garbage_is_a_decode_error() {
    for (status, body) in [(200, "garbage"), (200, ""), (200, "[1,2]"), (200, r#"{"message":"no code"}"#), (404, "")] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
        let err = client(&server).create_bank_payment(bank_request()).await.expect_err("garbage");
        assert!(matches!(err, Error::Decode { http_status, .. } if http_status == status), "{body:?}: {err:?}");
    }
}

#[tokio::test]
async fn slow_answer_times_out() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json_of(&bank_response())).set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;
    let c = builder(&server.uri()).timeout(Duration::from_millis(200)).build().expect("client");
    let started = std::time::Instant::now();
    let err = c.create_bank_payment(bank_request()).await.expect_err("timeout");
    assert!(matches!(err, Error::Timeout), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(!err.is_final());
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let c =
        builder(&format!("http://127.0.0.1:{port}")).connect_timeout(Duration::from_secs(2)).build().expect("client");
    let err = c.transaction_status("O1").await.expect_err("refused");
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(!err.is_final());
}

// ---------------------------------------------------------------------------------
// Authentication token.

#[tokio::test]
async fn jwt_is_reused_between_calls() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json_of(&status_response(ErrorCode::SUCCESS))))
        .mount(&server)
        .await;
    let c = client(&server);
    c.transaction_status("5f5b46cb73fd0").await.expect("first");
    c.clone().transaction_status("5f5b46cb73fd0").await.expect("second, from a clone");
    let requests = server.received_requests().await.expect("recording");
    assert_eq!(requests.len(), 2);
    assert_eq!(auth_header(&requests[0]), auth_header(&requests[1]));
    let claims = check_request(&requests[0], Some(&signing::STATUS_REQUEST)).expect("valid token");
    let lifetime = claims.exp - now();
    assert!((3500..=3600).contains(&lifetime), "default lifetime 3600 s, got {lifetime}");
    assert_eq!(claims.jti.as_deref().map(|j| j.starts_with(&format!("{API_KEY}-"))), Some(true));
}

#[tokio::test]
async fn short_lived_jwt_is_renewed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json_of(&status_response(ErrorCode::SUCCESS))))
        .mount(&server)
        .await;
    let c = builder(&server.uri()).jwt_lifetime(Duration::from_secs(1)).build().expect("client");
    c.transaction_status("5f5b46cb73fd0").await.expect("first");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    c.transaction_status("5f5b46cb73fd0").await.expect("second");
    let requests = server.received_requests().await.expect("recording");
    assert_ne!(auth_header(&requests[0]), auth_header(&requests[1]));
    let claims = check_request(&requests[1], None).expect("the fresh token is valid");
    assert!(claims.exp - now() <= 1);
}

// ---------------------------------------------------------------------------------
// Configuration.

#[tokio::test]
async fn language_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header("X-Language", "en"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json_of(&bank_response())))
        .expect(1)
        .mount(&server)
        .await;
    let c = builder(&server.uri()).language(Lang::En).build().expect("client");
    c.create_bank_payment(bank_request()).await.expect("English answer");
}

#[tokio::test]
async fn base_url_path_prefix_is_kept() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/gateway/api/v1/orders/payment/bank"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json_of(&bank_response())))
        .expect(1)
        .mount(&server)
        .await;
    let c = builder(&format!("{}/gateway/", server.uri())).build().expect("client");
    c.create_bank_payment(bank_request()).await.expect("prefixed");
}

#[test]
fn builder_validation() {
    let base = || Client::builder().environment(Environment::Sandbox).partner_code("P").api_key("K").secret_key(key());
    assert!(base().build().is_ok());
    let config_err = |b: ClientBuilder| matches!(b.build(), Err(Error::Config(_)));
    assert!(config_err(Client::builder().partner_code("P").api_key("K").secret_key(key())), "no environment");
    assert!(config_err(Client::builder().environment(Environment::Sandbox).api_key("K").secret_key(key())));
    assert!(config_err(base().partner_code("")));
    assert!(config_err(base().api_key(" ")));
    assert!(config_err(base().secret_key(SecretKey::new(""))));
    assert!(config_err(base().jwt_lifetime(Duration::from_millis(500))));
    assert!(config_err(base().jwt_lifetime(Duration::from_secs(8 * 24 * 3600))));
    assert!(config_err(base().jwt_lifetime(Duration::MAX)));
    assert!(base().jwt_lifetime(Duration::from_secs(7 * 24 * 3600)).build().is_ok());
    assert!(config_err(base().environment(Environment::Custom("not a url".into()))));
    assert!(config_err(base().environment(Environment::Custom("ftp://host".into()))));
    assert!(config_err(base().environment(Environment::Custom("http://host/?q=1".into()))));
    let prod = base().environment(Environment::Production).build().expect("production");
    assert_eq!(prod.base_url().as_str(), "https://payment.appotapay.com/");
    assert_eq!(prod.partner_code(), "P");
}

#[test]
fn debug_never_shows_secrets() {
    let c = Client::builder()
        .environment(Environment::Sandbox)
        .partner_code(PARTNER_CODE)
        .api_key(API_KEY)
        .secret_key(key())
        .build()
        .expect("client");
    let debug = format!("{c:?}");
    assert!(!debug.contains(SECRET_KEY), "{debug}");
    assert!(!debug.contains(API_KEY), "{debug}");
    assert!(debug.contains("payment.dev.appotapay.com"));
    let builder_debug = format!("{:?}", Client::builder().api_key(API_KEY).secret_key(key()));
    assert!(!builder_debug.contains(SECRET_KEY) && !builder_debug.contains(API_KEY), "{builder_debug}");
}
