//! Property tests: signatures round-trip and break on any single-character change;
//! VietQR round-trips; parsers never panic.

use appotapay_protocol::jwt;
use appotapay_protocol::messages::{BankPaymentRequest, PaymentNotification};
use appotapay_protocol::signing::{self, Signed};
use appotapay_protocol::vietqr::{self, VietQr};
use appotapay_protocol::{Amount, ErrorCode, PaymentMethod, SecretKey};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[ -~àáạảãâầấậẩẫăằắặẳẵđèéẹẻẽêềếệểễ]{0,40}").expect("regex")
}

fn notification() -> impl Strategy<Value = PaymentNotification> {
    (
        (0u32..600, text(), text(), text(), 0i64..1_000_000_000),
        (text(), text(), text(), text(), text(), 0i64..4_000_000_000, text()),
    )
        .prop_map(|((code, message, partner, api_key, amount), (order, bank, method, trans, extra, ts, cur))| {
            PaymentNotification {
                error_code: ErrorCode(code),
                message,
                partner_code: partner,
                api_key,
                amount: Amount::vnd(amount),
                currency: cur,
                order_id: order,
                bank_code: bank,
                payment_method: method,
                payment_type: "WEB".into(),
                appotapay_trans_id: trans,
                transaction_ts: ts,
                extra_data: extra,
                signature: String::new(),
            }
        })
}

/// Replaces the character at `idx` (modulo length) with a different one; an empty
/// string gets a character appended.
fn mutate(s: &str, idx: usize, replacement: char) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return replacement.to_string();
    }
    let i = idx % chars.len();
    let new = if chars[i] == replacement { if replacement == 'a' { 'b' } else { 'a' } } else { replacement };
    chars.iter().enumerate().map(|(j, c)| if j == i { new } else { *c }).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn notification_sign_verify_round_trip(n in notification(), secret in "[A-Za-z0-9]{8,40}") {
        let key = SecretKey::new(secret);
        let signed = n.signed(&key);
        prop_assert_eq!(signed.verify(&key), Ok(()));
        // Through JSON, as a receiver sees it.
        let json = serde_json::to_value(&signed).expect("json");
        prop_assert_eq!(signing::verify_json(&signing::NOTIFICATION, &key, &json), Ok(()));
    }

    #[test]
    fn any_single_character_change_of_a_signed_field_breaks_it(
        n in notification(),
        field in 0usize..13,
        idx in any::<usize>(),
        ch in proptest::char::range(' ', '~'),
    ) {
        let key = SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3");
        let signed = n.signed(&key);
        let mut json = serde_json::to_value(&signed).expect("json");
        let name = signing::NOTIFICATION.fields[field];
        let obj = json.as_object_mut().expect("object");
        let current = signing::raw_value(&obj[name]).into_owned();
        let changed = mutate(&current, idx, ch);
        obj.insert(name.to_owned(), serde_json::Value::String(changed));
        prop_assert!(signing::verify_json(&signing::NOTIFICATION, &key, &json).is_err());
    }

    /// Every signed field list of the protocol, not only the notification's: any
    /// field, at top level or inside the object the list flattens, changed by one
    /// character, breaks the signature.
    #[test]
    fn any_single_character_change_of_any_message_breaks_it(
        spec_index in 0usize..signing::ALL_SPECS.len(),
        values in proptest::collection::vec(text(), 13),
        nested_mask in any::<u16>(),
        field in any::<usize>(),
        idx in any::<usize>(),
        ch in proptest::char::range(' ', '~'),
    ) {
        use serde_json::{Map, Value};
        let spec = signing::ALL_SPECS[spec_index];
        let key = SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3");
        let outer = spec.flatten.first().copied();
        let nested = |i: usize| outer.is_some() && nested_mask & (1 << i) != 0;
        let (mut top, mut inner) = (Map::new(), Map::new());
        for (i, name) in spec.fields.iter().enumerate() {
            let v = Value::String(values[i].clone());
            if nested(i) { inner.insert((*name).to_owned(), v) } else { top.insert((*name).to_owned(), v) };
        }
        if let Some(outer) = outer {
            top.insert(outer.to_owned(), Value::Object(inner));
        }
        let data = signing::canonical_data_json(spec, &Value::Object(top.clone()));
        top.insert("signature".into(), Value::String(signing::sign_data(&key, &data)));
        let json = Value::Object(top);
        prop_assert_eq!(signing::verify_json(spec, &key, &json), Ok(()));

        let i = field % spec.fields.len();
        let name = spec.fields[i];
        let mut tampered = json.clone();
        let slot = match outer {
            Some(outer) if nested(i) => &mut tampered[outer][name],
            _ => &mut tampered[name],
        };
        let changed = mutate(&signing::raw_value(slot), idx, ch);
        *slot = Value::String(changed);
        prop_assert!(signing::verify_json(spec, &key, &tampered).is_err(), "{} {}", spec.name, name);
    }

    #[test]
    fn signature_change_breaks_it(idx in 0usize..64, ch in proptest::char::range('0', 'f')) {
        let key = SecretKey::new("k");
        let req = BankPaymentRequest {
            order_id: "o1".into(), order_info: "i".into(), amount: Amount::vnd(10_000),
            client_ip: "1.2.3.4".into(), notify_url: "http://a/ipn".into(), redirect_url: "http://a/r".into(),
            payment_method: PaymentMethod::Cc, bank_code: String::new(), extra_data: String::new(), signature: String::new(),
        }.signed(&key);
        let mut tampered = req.clone();
        tampered.signature = mutate(&req.signature, idx, ch);
        // Upper-case hex is the same signature.
        prop_assume!(!tampered.signature.eq_ignore_ascii_case(&req.signature));
        prop_assert!(tampered.verify(&key).is_err());
    }

    #[test]
    fn vietqr_round_trip(
        bin in "[0-9]{6}",
        account in "[0-9A-Z]{1,19}",
        amount in 1u64..10_000_000_000,
        memo in "[ -~]{1,25}",
        dynamic in any::<bool>(),
    ) {
        let mut qr = VietQr::dynamic(&bin, &account, amount, &memo);
        if !dynamic { qr.initiation = vietqr::Initiation::Static; }
        let payload = qr.encode().expect("encodes");
        prop_assert_eq!(VietQr::parse(&payload), Ok(qr));
    }

    #[test]
    fn vietqr_parser_never_panics(s in ".{0,200}") {
        let _ = VietQr::parse(&s);
        let _ = vietqr::parse_payload(&s);
    }

    #[test]
    fn vietqr_parser_never_panics_on_near_valid(idx in 0usize..120, ch in any::<char>()) {
        let valid = "00020101021238560010A0000007270126000697041501121133666688880208QRIBFTTA53037045405790005802VN62120808ORDER12363044445";
        let s = mutate(valid, idx, ch);
        if s != valid {
            prop_assert!(VietQr::parse(&s).is_err());
        }
    }

    #[test]
    fn jwt_decoder_never_panics(s in ".{0,300}") {
        let _ = jwt::decode(&s).and_then(|t| t.verify(&SecretKey::new("k"), 0, 60));
    }

    #[test]
    fn jwt_round_trip(iss in "[A-Z]{1,12}", api in "[A-Za-z0-9]{1,32}", now in 0i64..4_000_000_000, ttl in 1i64..604_800) {
        let key = SecretKey::new("secret");
        let t = jwt::build(&iss, &api, &key, now, ttl);
        let c = jwt::decode(&t).and_then(|u| u.verify(&key, now, 0));
        prop_assert_eq!(c.map(|c| (c.iss, c.api_key, c.exp)), Ok((iss, api, now + ttl)));
        prop_assert!(jwt::decode(&t).and_then(|u| u.verify(&SecretKey::new("other"), now, 0)).is_err());
    }
}
