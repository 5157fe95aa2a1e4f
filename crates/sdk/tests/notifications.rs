//! IPN and redirect verification.

use appotapay::protocol::sandbox_partner::{API_KEY, PARTNER_CODE, SECRET_KEY};
use appotapay::protocol::signing::{self, NOTIFICATION, Signed};
use appotapay::{Amount, ErrorCode, NotificationError, PaymentNotification, SecretKey, verify_ipn, verify_redirect};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::borrow::Cow;

fn key() -> SecretKey {
    SecretKey::new(SECRET_KEY)
}

fn notification() -> PaymentNotification {
    PaymentNotification {
        error_code: ErrorCode::SUCCESS,
        message: "Thành công".into(),
        partner_code: PARTNER_CODE.into(),
        api_key: API_KEY.into(),
        amount: Amount::vnd(150_000),
        currency: "VND".into(),
        order_id: "ORDER-1".into(),
        bank_code: "VCB".into(),
        payment_method: "ATM".into(),
        payment_type: "WEB".into(),
        appotapay_trans_id: "AP221434473737".into(),
        transaction_ts: 1_700_000_000,
        extra_data: "gift wrap & card=yes".into(),
        signature: String::new(),
    }
    .signed(&key())
}

/// The redirect query of [`notification`], encoded by hand as browsers receive it.
fn redirect_query(n: &PaymentNotification) -> String {
    format!(
        "partnerCode=APPOTAPAY&apiKey={API_KEY}&amount=150000&currency=VND&orderId=ORDER-1&bankCode=VCB\
         &paymentMethod=ATM&paymentType=WEB&appotapayTransId=AP221434473737&errorCode=0\
         &message=Th%C3%A0nh+c%C3%B4ng&transactionTs=1700000000&extraData=gift+wrap+%26+card%3Dyes\
         &signature={}",
        n.signature
    )
}

/// A query signed over arbitrary raw values (bypassing the typed message).
fn signed_query(pairs: &[(&str, &str)]) -> String {
    let data = signing::canonical_data_with(&NOTIFICATION, |k| {
        pairs.iter().find(|(name, _)| *name == k).map(|(_, v)| Cow::Borrowed(*v))
    });
    let signature = signing::sign_data(&key(), &data);
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter())
        .append_pair("signature", &signature)
        .finish()
}

fn base_pairs() -> Vec<(&'static str, &'static str)> {
    vec![
        ("partnerCode", PARTNER_CODE),
        ("apiKey", API_KEY),
        ("amount", "150000"),
        ("currency", "VND"),
        ("orderId", "ORDER-1"),
        ("bankCode", "VCB"),
        ("paymentMethod", "ATM"),
        ("paymentType", "WEB"),
        ("appotapayTransId", "AP221434473737"),
        ("errorCode", "0"),
        ("message", "Thành công"),
        ("transactionTs", "1700000000"),
        ("extraData", ""),
    ]
}

// ---------------------------------------------------------------------------------
// Redirect.

#[test]
fn redirect_valid() {
    let n = notification();
    let query = redirect_query(&n);
    assert_eq!(verify_redirect(&key(), &query), Ok(n.clone()));
    assert_eq!(verify_redirect(&key(), &format!("?{query}")), Ok(n.clone()), "leading ?");
    let got = verify_redirect(&key(), &query).expect("valid");
    assert_eq!(got.message, "Thành công");
    assert_eq!(got.extra_data, "gift wrap & card=yes");
}

#[test]
fn redirect_percent_encoded_spaces_and_merchant_parameters() {
    let n = notification();
    // %20 instead of +, lower-case hex escapes, the merchant's own parameters around.
    let query = format!("shop=1&{}&utm=x", redirect_query(&n).replace('+', "%20").replace("%C3%A0", "%c3%a0"));
    assert_eq!(verify_redirect(&key(), &query), Ok(n));
}

#[test]
fn redirect_accepts_uppercase_signature() {
    let n = notification();
    let query = redirect_query(&n).replace(&n.signature, &n.signature.to_uppercase());
    assert!(verify_redirect(&key(), &query).is_ok());
}

#[test]
fn redirect_tampered_amount() {
    let query = redirect_query(&notification()).replace("amount=150000", "amount=1500000");
    assert_eq!(verify_redirect(&key(), &query), Err(NotificationError::BadSignature));
}

#[test]
fn redirect_tampered_message() {
    let query = redirect_query(&notification()).replace("c%C3%B4ng", "cong");
    assert_eq!(verify_redirect(&key(), &query), Err(NotificationError::BadSignature));
}

#[test]
fn redirect_wrong_key() {
    let query = redirect_query(&notification());
    assert_eq!(verify_redirect(&SecretKey::new("other"), &query), Err(NotificationError::BadSignature));
}

#[test]
fn redirect_missing_field() {
    let query = redirect_query(&notification()).replace("&orderId=ORDER-1", "");
    assert_eq!(verify_redirect(&key(), &query), Err(NotificationError::MissingField("orderId")));
    let n = notification();
    let query = redirect_query(&n).replace(&format!("&signature={}", n.signature), "");
    assert_eq!(verify_redirect(&key(), &query), Err(NotificationError::MissingField("signature")));
}

#[test]
fn redirect_optional_fields_may_be_absent() {
    let n =
        PaymentNotification { bank_code: String::new(), extra_data: String::new(), ..notification() }.signed(&key());
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(n.to_pairs().iter().filter(|(k, _)| *k != "bankCode" && *k != "extraData"))
        .finish();
    assert!(!query.contains("bankCode") && !query.contains("extraData"));
    assert_eq!(verify_redirect(&key(), &query), Ok(n));
}

#[test]
fn redirect_duplicate_parameter() {
    let n = notification();
    let query = format!("{}&amount=150000", redirect_query(&n));
    assert!(matches!(verify_redirect(&key(), &query), Err(NotificationError::Malformed(_))));
    let query = format!("{}&signature={}", redirect_query(&n), n.signature);
    assert!(matches!(verify_redirect(&key(), &query), Err(NotificationError::Malformed(_))));
}

#[test]
fn redirect_garbage() {
    for garbage in ["", "?", "%%%", "&&&==", "garbage", "\u{0}\u{ffff}", "signature=abc"] {
        let err = verify_redirect(&key(), garbage).expect_err(garbage);
        assert!(matches!(err, NotificationError::MissingField(_)), "{garbage:?}: {err:?}");
    }
    // All fields present, signature not hex.
    let query = redirect_query(&notification());
    let query = format!("{}signature=zz", &query[..query.find("signature=").expect("signature")]);
    assert_eq!(verify_redirect(&key(), &query), Err(NotificationError::BadSignature));
}

#[test]
fn redirect_non_integer_fields_are_malformed_even_when_signed() {
    for (field, value) in [("amount", "12.5"), ("errorCode", "-1"), ("transactionTs", "soon"), ("amount", "")] {
        let mut pairs = base_pairs();
        for pair in pairs.iter_mut().filter(|(k, _)| *k == field) {
            pair.1 = value;
        }
        let err = verify_redirect(&key(), &signed_query(&pairs)).expect_err(field);
        assert!(matches!(err, NotificationError::Malformed(_)), "{field}={value}: {err:?}");
    }
    assert!(verify_redirect(&key(), &signed_query(&base_pairs())).is_ok());
}

#[test]
fn verification_happens_before_parsing() {
    // A forged notification with a garbage amount is reported as forged, not malformed.
    let mut pairs = base_pairs();
    pairs[2].1 = "lots";
    let query = signed_query(&pairs).replace("lots", "more");
    assert_eq!(verify_redirect(&key(), &query), Err(NotificationError::BadSignature));
}

// ---------------------------------------------------------------------------------
// IPN.

fn ipn_json(n: &PaymentNotification) -> Value {
    serde_json::to_value(n).expect("serialisable")
}

#[test]
fn ipn_valid() {
    let n = notification();
    let body = serde_json::to_vec(&n).expect("JSON");
    assert_eq!(verify_ipn(&key(), &body), Ok(n));
}

#[test]
fn ipn_extra_keys_and_string_numbers() {
    let n = notification();
    let mut body = ipn_json(&n);
    body["amount"] = json!("150000");
    body["requestId"] = json!({"nested": true});
    assert_eq!(verify_ipn(&key(), body.to_string().as_bytes()), Ok(n));
}

#[test]
fn ipn_optional_fields_may_be_absent_or_null() {
    let n =
        PaymentNotification { bank_code: String::new(), extra_data: String::new(), ..notification() }.signed(&key());
    let mut body = ipn_json(&n);
    let object = body.as_object_mut().expect("object");
    object.remove("bankCode");
    object.insert("extraData".into(), Value::Null);
    assert_eq!(verify_ipn(&key(), body.to_string().as_bytes()), Ok(n));
}

#[test]
fn ipn_tampered_amount() {
    let mut body = ipn_json(&notification());
    body["amount"] = json!(1_500_000);
    assert_eq!(verify_ipn(&key(), body.to_string().as_bytes()), Err(NotificationError::BadSignature));
}

#[test]
fn ipn_missing_field() {
    let mut body = ipn_json(&notification());
    body.as_object_mut().expect("object").remove("appotapayTransId");
    assert_eq!(
        verify_ipn(&key(), body.to_string().as_bytes()),
        Err(NotificationError::MissingField("appotapayTransId"))
    );
    let mut body = ipn_json(&notification());
    body.as_object_mut().expect("object").remove("signature");
    assert_eq!(verify_ipn(&key(), body.to_string().as_bytes()), Err(NotificationError::MissingField("signature")));
}

#[test]
fn ipn_garbage() {
    for garbage in [&b""[..], b"garbage", b"[1,2,3]", b"\"text\"", b"{", b"\xff\xfe"] {
        let err = verify_ipn(&key(), garbage).expect_err("garbage");
        assert!(matches!(err, NotificationError::Malformed(_)), "{garbage:?}: {err:?}");
    }
    let mut body = ipn_json(&notification());
    body["message"] = json!(["not", "text"]);
    assert!(matches!(verify_ipn(&key(), body.to_string().as_bytes()), Err(NotificationError::Malformed(_))));
    assert_eq!(verify_ipn(&key(), b"{}"), Err(NotificationError::MissingField("amount")));
}

#[test]
fn client_convenience_methods() {
    let client = appotapay::Client::builder()
        .environment(appotapay::Environment::Sandbox)
        .partner_code(PARTNER_CODE)
        .api_key(API_KEY)
        .secret_key(key())
        .build()
        .expect("client");
    let n = notification();
    assert_eq!(client.verify_redirect(&redirect_query(&n)), Ok(n.clone()));
    assert_eq!(client.verify_ipn(&serde_json::to_vec(&n).expect("JSON")), Ok(n));
}

// ---------------------------------------------------------------------------------
// Properties.

fn any_notification() -> impl Strategy<Value = PaymentNotification> {
    (
        (any::<u32>(), any::<String>(), any::<String>(), any::<String>(), any::<i64>(), any::<String>()),
        (any::<String>(), any::<String>(), any::<String>(), any::<String>(), any::<String>(), any::<i64>()),
        any::<String>(),
    )
        .prop_map(
            |(
                (code, message, partner_code, api_key, amount, currency),
                (order_id, bank_code, payment_method, payment_type, trans_id, ts),
                extra_data,
            )| PaymentNotification {
                error_code: ErrorCode(code),
                message,
                partner_code,
                api_key,
                amount: Amount::vnd(amount),
                currency,
                order_id,
                bank_code,
                payment_method,
                payment_type,
                appotapay_trans_id: trans_id,
                transaction_ts: ts,
                extra_data,
                signature: String::new(),
            },
        )
}

proptest! {
    #[test]
    fn any_signed_notification_verifies_as_redirect(n in any_notification()) {
        let n = n.signed(&key());
        let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(n.to_pairs()).finish();
        prop_assert_eq!(verify_redirect(&key(), &query), Ok(n.clone()));
        prop_assert_eq!(verify_redirect(&key(), &format!("?{query}")), Ok(n));
    }

    #[test]
    fn any_signed_notification_verifies_as_ipn(n in any_notification()) {
        let n = n.signed(&key());
        let body = serde_json::to_vec(&n).expect("JSON");
        prop_assert_eq!(verify_ipn(&key(), &body), Ok(n));
    }

    #[test]
    fn any_changed_amount_is_refused(n in any_notification(), delta in 1i64..1_000_000) {
        let n = n.signed(&key());
        let changed = PaymentNotification { amount: Amount::vnd(n.amount.value().wrapping_add(delta)), ..n };
        let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(changed.to_pairs()).finish();
        prop_assert_eq!(verify_redirect(&key(), &query), Err(NotificationError::BadSignature));
    }

    #[test]
    fn verify_redirect_never_panics(query in any::<String>()) {
        let _ = verify_redirect(&key(), &query);
    }

    #[test]
    fn verify_ipn_never_panics(body in any::<Vec<u8>>()) {
        let _ = verify_ipn(&key(), &body);
    }
}
