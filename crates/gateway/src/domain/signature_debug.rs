//! The sandbox's signature debugger: why a merchant's signature did not verify.
//!
//! A signature that does not match tells the merchant nothing about which of the
//! many ways of building the `data` string (spec §4) they got wrong. The common
//! mistakes are few, so each is checked for by rebuilding the string the way a
//! merchant who made it would have, signing it with the partner's secret and
//! comparing with the signature sent: a hint is given only when one of those
//! readings reproduces the signature exactly, never as a guess. The expected
//! signature itself is never revealed (it would make the sandbox a signing oracle
//! for anyone holding a token); only the expected `data` string and the hint are.
//!
//! The readings, in the order they are tried:
//! - a value signed decoded while sent percent-encoded (`%XX`), or signed
//!   percent-encoded while sent raw;
//! - `+` standing for spaces (sent `+`, signed spaces), or spaces signed as `+`;
//! - empty fields left out of the string instead of signed as `key=`;
//! - the fields in the order of the body instead of the documented (sorted) order;
//! - a field of the wrong JSON type (an amount sent as `"10000"`): the body is
//!   refused for its type before its signature is checked, and the hint says
//!   whether the signature was otherwise right ([`wrong_types`]).

use appotapay_protocol::SecretKey;
use appotapay_protocol::headers::{decode_signature_data, encode_signature_data};
use appotapay_protocol::signing::{self, SignatureSpec};
use serde_json::{Map, Value};

/// The signed fields that are JSON numbers on the wire (spec §5); every other
/// signed request field is a string.
pub const NUMBER_FIELDS: &[&str] = &["amount"];

/// A mistake a merchant's signature is explained by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mistake {
    /// The fields were sent percent-encoded and signed decoded.
    SignedDecoded(Vec<&'static str>),
    /// The fields were sent raw and signed percent-encoded.
    SignedEncoded(Vec<&'static str>),
    /// The fields were sent with `+` and signed with spaces in their place.
    SignedSpacesForPlus(Vec<&'static str>),
    /// The fields were sent with spaces and signed with `+` in their place.
    SignedPlusForSpaces(Vec<&'static str>),
    /// Empty fields were left out of the string.
    EmptyLeftOut,
    /// The fields were signed in the order of the body.
    BodyOrder,
    /// The fields were signed in the order of the body, empty ones left out.
    BodyOrderEmptyLeftOut,
    /// The signature is right, but a field has the wrong JSON type.
    WrongType {
        /// The field.
        field: &'static str,
        /// Whether it should be a number (else a string).
        number: bool,
    },
}

impl Mistake {
    /// The hint, in visible ASCII, for `X-Error-Detail`.
    pub fn hint(&self) -> String {
        let names = |f: &[&str]| f.join(",");
        match self {
            Mistake::SignedDecoded(f) => {
                format!("{} sent percent-encoded but signed decoded: sign values exactly as sent", names(f))
            }
            Mistake::SignedEncoded(f) => {
                format!("{} signed URL-encoded: sign raw values, no URL encoding", names(f))
            }
            Mistake::SignedSpacesForPlus(f) => {
                format!("{} sent with + but signed with spaces: send spaces as spaces", names(f))
            }
            Mistake::SignedPlusForSpaces(f) => format!("{} signed with + for spaces: sign raw values", names(f)),
            Mistake::EmptyLeftOut => "empty fields left out: sign every field, empty ones as key=".into(),
            Mistake::BodyOrder => "fields signed in body order: sort them (documented order)".into(),
            Mistake::BodyOrderEmptyLeftOut => {
                "fields signed in body order, empty ones left out: sort them, empty ones as key=".into()
            }
            Mistake::WrongType { field, number: true } => {
                format!("the signature is right, but {field} must be a JSON number (10000), not a string")
            }
            Mistake::WrongType { field, number: false } => {
                format!("the signature is right, but {field} must be a JSON string")
            }
        }
    }
}

/// Whether `data` signed with any of `secrets` gives `signature`.
fn signs(data: &str, signature: &str, secrets: &[&SecretKey]) -> bool {
    secrets.iter().any(|k| signing::verify_data(k, data, signature).is_ok())
}

/// The signed fields of a body with their raw values, in the documented order.
fn documented(spec: &SignatureSpec, obj: &Map<String, Value>) -> Vec<(&'static str, String)> {
    spec.fields
        .iter()
        .map(|f| {
            (*f, signing::lookup_json(obj, spec, f).map(|v| signing::raw_value(v).into_owned()).unwrap_or_default())
        })
        .collect()
}

fn join(fields: &[(&str, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in fields.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// How a merchant may have rewritten a value before signing it.
#[derive(Clone, Copy)]
enum Rewrite {
    Decode,
    Rfc3986,
    UriComponent,
    Form,
    PlusToSpace,
    SpaceToPlus,
}

impl Rewrite {
    fn apply(self, v: &str) -> Option<String> {
        let out = match self {
            Rewrite::Decode if v.contains('%') => decode_signature_data(v)?,
            Rewrite::Decode => return None,
            Rewrite::Rfc3986 => encode_signature_data(v),
            Rewrite::UriComponent => uri_component(v),
            Rewrite::Form => form_component(v),
            Rewrite::PlusToSpace => v.replace('+', " "),
            Rewrite::SpaceToPlus => v.replace(' ', "+"),
        };
        (out != v).then_some(out)
    }

    fn mistake(self, fields: Vec<&'static str>) -> Mistake {
        match self {
            Rewrite::Decode => Mistake::SignedDecoded(fields),
            Rewrite::Rfc3986 | Rewrite::UriComponent | Rewrite::Form => Mistake::SignedEncoded(fields),
            Rewrite::PlusToSpace => Mistake::SignedSpacesForPlus(fields),
            Rewrite::SpaceToPlus => Mistake::SignedPlusForSpaces(fields),
        }
    }
}

/// JavaScript's `encodeURIComponent`: RFC 3986's unreserved set and `!'()*` kept.
fn uri_component(v: &str) -> String {
    encode_keeping(v, b"-._~!'()*", false)
}

/// `application/x-www-form-urlencoded` as PHP's `urlencode` and Java's `URLEncoder`
/// write it: space as `+`, `-._*` kept.
fn form_component(v: &str) -> String {
    encode_keeping(v, b"-._*", true)
}

fn encode_keeping(v: &str, keep: &[u8], plus_for_space: bool) -> String {
    let mut out = String::with_capacity(v.len() * 2);
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(char::from(b));
        } else if b == b' ' && plus_for_space {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Finds the mistake that explains `signature` over `body`, the signature having
/// failed on the documented string. `body_keys` is the body's top-level keys in the
/// order they were sent (the parsed object does not keep it).
pub fn diagnose(
    spec: &SignatureSpec,
    body: &Value,
    body_keys: &[String],
    signature: &str,
    secrets: &[&SecretKey],
) -> Option<Mistake> {
    let obj = body.as_object()?;
    if signature.is_empty() {
        return None;
    }
    let fields = documented(spec, obj);
    let rewrites = [
        Rewrite::Decode,
        Rewrite::Rfc3986,
        Rewrite::UriComponent,
        Rewrite::Form,
        Rewrite::PlusToSpace,
        Rewrite::SpaceToPlus,
    ];
    for rewrite in rewrites {
        // Every field rewritten (a merchant's helper applied to all values), then
        // each field alone.
        let mut all = fields.clone();
        let mut changed = Vec::new();
        for (k, v) in &mut all {
            if let Some(new) = rewrite.apply(v) {
                *v = new;
                changed.push(*k);
            }
        }
        if changed.is_empty() {
            continue;
        }
        if signs(&join(&all), signature, secrets) {
            return Some(rewrite.mistake(changed));
        }
        if changed.len() > 1 {
            for field in &changed {
                let one: Vec<_> = fields
                    .iter()
                    .map(|(k, v)| (*k, if k == field { rewrite.apply(v).unwrap_or_default() } else { v.clone() }))
                    .collect();
                if signs(&join(&one), signature, secrets) {
                    return Some(rewrite.mistake(vec![field]));
                }
            }
        }
    }
    let non_empty: Vec<_> = fields.iter().filter(|(_, v)| !v.is_empty()).cloned().collect();
    if non_empty.len() < fields.len() && signs(&join(&non_empty), signature, secrets) {
        return Some(Mistake::EmptyLeftOut);
    }
    // Body order: the signed fields the body holds, as sent, then (as a merchant
    // appending defaults would) the ones it lacks.
    let mut ordered: Vec<(&'static str, String)> =
        body_keys.iter().filter_map(|k| fields.iter().find(|(f, _)| f == k)).cloned().collect();
    let present = fields.iter().map(|(k, _)| *k).filter(|k| body_keys.iter().any(|b| b == k));
    if ordered.iter().map(|(k, _)| *k).ne(present) {
        let sent: Vec<_> = ordered.iter().filter(|(_, v)| !v.is_empty()).cloned().collect();
        for (k, v) in &fields {
            if !ordered.iter().any(|(o, _)| o == k) {
                ordered.push((k, v.clone()));
            }
        }
        if signs(&join(&ordered), signature, secrets) {
            return Some(Mistake::BodyOrder);
        }
        if signs(&join(&sent), signature, secrets) {
            return Some(Mistake::BodyOrderEmptyLeftOut);
        }
    }
    None
}

/// The signed fields of a body sent with the wrong JSON type (a number as a string,
/// a string as a number), when the signature verifies on the body as it is (the
/// signed rendering of `"10000"` and `10000` is the same): the merchant's string
/// was right and only the body's types are not. Empty when the signature does not
/// verify or every type is right.
pub fn wrong_types(spec: &SignatureSpec, body: &Value, secrets: &[&SecretKey]) -> Option<Mistake> {
    let obj = body.as_object()?;
    let wrong = spec.fields.iter().find_map(|f| {
        let number = NUMBER_FIELDS.contains(f);
        match signing::lookup_json(obj, spec, f)? {
            Value::String(s) if number && !s.is_empty() => Some(Mistake::WrongType { field: f, number }),
            Value::Number(_) | Value::Bool(_) if !number => Some(Mistake::WrongType { field: f, number }),
            _ => None,
        }
    })?;
    secrets.iter().any(|k| signing::verify_json(spec, k, body).is_ok()).then_some(wrong)
}

/// The top-level keys of a JSON object text in the order they appear; empty for
/// anything else.
pub fn key_order(json: &[u8]) -> Vec<String> {
    use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::new();
            while let Some(k) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                out.push(k);
            }
            Ok(out)
        }
    }
    impl<'de> DeserializeSeed<'de> for Keys {
        type Value = Vec<String>;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
            d.deserialize_map(self)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(json);
    Keys.deserialize(&mut de).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use appotapay_protocol::signing::{BANK_PAYMENT_REQUEST, QR_PAYMENT_REQUEST, STATUS_REQUEST};
    use serde_json::json;

    const KEY: &str = "XAonJgy14YhtePEITXhyBS2unjfJLAV3";

    fn qr(info: &str, extra: &str) -> Value {
        json!({"orderId": "VN1", "orderInfo": info, "amount": 10000, "clientIp": "103.53.171.140",
            "notifyUrl": "http://shop.vn/ipn", "redirectUrl": "http://shop.vn/back", "extraData": extra})
    }

    fn sig(data: &str) -> String {
        signing::sign_data(&SecretKey::new(KEY), data)
    }

    fn find(spec: &SignatureSpec, body: &Value, signature: &str) -> Option<Mistake> {
        let k = SecretKey::new(KEY);
        diagnose(spec, body, &key_order(body.to_string().as_bytes()), signature, &[&k])
    }

    fn data_with(body: &Value, field: &str, value: &str) -> String {
        let mut b = body.clone();
        b[field] = json!(value);
        signing::canonical_data_json(&QR_PAYMENT_REQUEST, &b)
    }

    #[test]
    fn vietnamese_text_signed_encoded_or_decoded() {
        let info = "Thanh toán đơn hàng số 1";
        let body = qr(info, "");
        let encoded = "Thanh%20to%C3%A1n%20%C4%91%C6%A1n%20h%C3%A0ng%20s%E1%BB%91%201";
        assert_eq!(uri_component(info), encoded);
        let s = sig(&data_with(&body, "orderInfo", encoded));
        assert_eq!(find(&QR_PAYMENT_REQUEST, &body, &s), Some(Mistake::SignedEncoded(vec!["orderInfo"])));
        let form = sig(&data_with(&body, "orderInfo", &form_component(info)));
        assert_eq!(find(&QR_PAYMENT_REQUEST, &body, &form), Some(Mistake::SignedEncoded(vec!["orderInfo"])));
        let sent = qr(encoded, "");
        let s = sig(&data_with(&sent, "orderInfo", info));
        assert_eq!(find(&QR_PAYMENT_REQUEST, &sent, &s), Some(Mistake::SignedDecoded(vec!["orderInfo"])));
    }

    #[test]
    fn plus_for_spaces_both_ways() {
        let body = qr("Thanh+toán+đơn+hàng", "");
        let s = sig(&data_with(&body, "orderInfo", "Thanh toán đơn hàng"));
        assert_eq!(find(&QR_PAYMENT_REQUEST, &body, &s), Some(Mistake::SignedSpacesForPlus(vec!["orderInfo"])));
        let body = qr("Thanh toán đơn hàng", "");
        let s = sig(&data_with(&body, "orderInfo", "Thanh+toán+đơn+hàng"));
        assert_eq!(find(&QR_PAYMENT_REQUEST, &body, &s), Some(Mistake::SignedPlusForSpaces(vec!["orderInfo"])));
    }

    #[test]
    fn empty_fields_left_out_and_body_order() {
        let body = qr("Mua hàng", "");
        let data = signing::canonical_data_json(&QR_PAYMENT_REQUEST, &body).replace("extraData=&", "");
        assert_eq!(find(&QR_PAYMENT_REQUEST, &body, &sig(&data)), Some(Mistake::EmptyLeftOut));
        // qr() lists orderId, orderInfo, amount, …: serialised in that order.
        let text = r#"{"orderId":"VN1","orderInfo":"Mua hàng","amount":10000,"clientIp":"103.53.171.140","notifyUrl":"http://shop.vn/ipn","redirectUrl":"http://shop.vn/back","extraData":""}"#;
        let body: Value = serde_json::from_str(text).expect("json");
        let k = SecretKey::new(KEY);
        let keys = key_order(text.as_bytes());
        assert_eq!(keys[0], "orderId");
        let in_order = "orderId=VN1&orderInfo=Mua hàng&amount=10000&clientIp=103.53.171.140&notifyUrl=http://shop.vn/ipn&redirectUrl=http://shop.vn/back&extraData=";
        assert_eq!(diagnose(&QR_PAYMENT_REQUEST, &body, &keys, &sig(in_order), &[&k]), Some(Mistake::BodyOrder));
        let no_empty = in_order.trim_end_matches("&extraData=");
        assert_eq!(
            diagnose(&QR_PAYMENT_REQUEST, &body, &keys, &sig(no_empty), &[&k]),
            Some(Mistake::BodyOrderEmptyLeftOut)
        );
    }

    #[test]
    fn nothing_is_guessed() {
        let body = qr("Thanh toán", "");
        assert_eq!(find(&QR_PAYMENT_REQUEST, &body, &"0".repeat(64)), None);
        assert_eq!(find(&QR_PAYMENT_REQUEST, &body, ""), None);
        // Another key's signature of the right string explains nothing either.
        let other =
            signing::sign_data(&SecretKey::new("other"), &signing::canonical_data_json(&QR_PAYMENT_REQUEST, &body));
        assert_eq!(find(&QR_PAYMENT_REQUEST, &body, &other), None);
    }

    #[test]
    fn wrong_types_with_a_right_signature() {
        let k = SecretKey::new(KEY);
        let mut body = json!({"orderId": "B1", "orderInfo": "Áo dài", "amount": "10000", "clientIp": "1.2.3.4",
            "notifyUrl": "http://a/i", "redirectUrl": "http://a/r", "paymentMethod": "ATM", "bankCode": "", "extraData": ""});
        let data = signing::canonical_data_json(&BANK_PAYMENT_REQUEST, &body);
        assert!(data.contains("amount=10000&"));
        body["signature"] = json!(sig(&data));
        assert_eq!(
            wrong_types(&BANK_PAYMENT_REQUEST, &body, &[&k]),
            Some(Mistake::WrongType { field: "amount", number: true })
        );
        let mut status = json!({"orderId": 12345});
        status["signature"] = json!(sig("orderId=12345"));
        assert_eq!(
            wrong_types(&STATUS_REQUEST, &status, &[&k]),
            Some(Mistake::WrongType { field: "orderId", number: false })
        );
        status["signature"] = json!("0".repeat(64));
        assert_eq!(wrong_types(&STATUS_REQUEST, &status, &[&k]), None);
    }

    #[test]
    fn hints_are_short_visible_ascii() {
        let all = [
            Mistake::SignedDecoded(vec!["orderInfo", "notifyUrl", "redirectUrl"]),
            Mistake::SignedEncoded(vec!["orderInfo", "notifyUrl", "redirectUrl"]),
            Mistake::SignedSpacesForPlus(vec!["orderInfo"]),
            Mistake::SignedPlusForSpaces(vec!["orderInfo"]),
            Mistake::EmptyLeftOut,
            Mistake::BodyOrder,
            Mistake::BodyOrderEmptyLeftOut,
            Mistake::WrongType { field: "amount", number: true },
            Mistake::WrongType { field: "orderId", number: false },
        ];
        for m in all {
            let h = m.hint();
            assert!(h.len() <= 150 && h.bytes().all(|b| b.is_ascii_graphic() || b == b' '), "{h}");
        }
    }
}
