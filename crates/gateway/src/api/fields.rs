//! Reading and checking request fields, each failure mapped to its errorCode. The
//! rules themselves are the protocol's ([`appotapay_protocol::fields`]).

use super::ApiError;
use appotapay_protocol::fields as rules;
use appotapay_protocol::{ErrorCode, FieldError, Lang};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use serde_json::{Map, Value};

/// Parses a request body as a JSON object: an oversized body answers 413, anything
/// that is not a JSON object, or has a key twice in one object, answers 400; all
/// with errorCode 1.
///
/// One pass (`ValueOnce`) both builds the value and notes a repeated key: parsing
/// the body twice (once for the value, once for the keys) was a tenth of an order's
/// instructions. The answers come in the order the two passes gave them: a body
/// that is not JSON, then one that is not an object, then a repeated key, whose
/// detail (the key and where it is) the walk over the keys writes, on that error
/// path only.
pub fn json_object(body: Result<Bytes, BytesRejection>, lang: Lang) -> Result<Value, ApiError> {
    let body = bytes(body, lang)?;
    let bad = || ApiError::bad(ErrorCode::INVALID_PARAMS).lang(lang);
    let repeated = std::cell::Cell::new(false);
    let parsed = {
        use serde::de::DeserializeSeed;
        let mut de = serde_json::Deserializer::from_slice(&body);
        ValueOnce { repeated: &repeated }.deserialize(&mut de).and_then(|v| de.end().map(|()| v))
    };
    let v = parsed.map_err(|e| bad().detail(format!("body is not JSON: {e}")))?;
    if !v.is_object() {
        return Err(bad().detail("body is not a JSON object"));
    }
    if repeated.get() {
        let detail = unique_keys(&body).err().unwrap_or_else(|| "a key appears twice in one object".into());
        return Err(bad().detail(detail));
    }
    Ok(v)
}

/// Builds a JSON value as `serde_json::Value` does (of a repeated key, the last
/// value stays), and notes in `repeated` whether any object, at any depth, had a key
/// twice.
#[derive(Clone, Copy)]
struct ValueOnce<'r> {
    repeated: &'r std::cell::Cell<bool>,
}

impl<'de> serde::de::DeserializeSeed<'de> for ValueOnce<'_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ValueOnce<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        serde::de::DeserializeSeed::deserialize(self, d)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut obj = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self)?;
            if obj.insert(key, value).is_some() {
                self.repeated.set(true);
            }
        }
        Ok(Value::Object(obj))
    }
}

/// A request body as received: an oversized body answers 413, one that could not be
/// read 400; both with errorCode 1.
pub fn bytes(body: Result<Bytes, BytesRejection>, lang: Lang) -> Result<Bytes, ApiError> {
    body.map_err(|r| {
        let status = if r.status() == StatusCode::PAYLOAD_TOO_LARGE { r.status() } else { StatusCode::BAD_REQUEST };
        ApiError::new(status, ErrorCode::INVALID_PARAMS).lang(lang).detail(format!("body: {}", r.body_text()))
    })
}

/// Checks that no object of a JSON text, at any depth, has a key twice. A parser
/// keeps one copy (serde_json the last, others the first), so a body with a repeated
/// key means different requests to the gateway and to a proxy or log in front of
/// it. `Err` names the key. Keys are compared as decoded (`"a"` and `"\u0061"` are
/// one key). The text must already be known to be valid JSON.
pub fn unique_keys(json: &[u8]) -> Result<(), String> {
    use serde::de::DeserializeSeed;
    let mut de = serde_json::Deserializer::from_slice(json);
    UniqueKeys.deserialize(&mut de).map_err(|e| e.to_string())
}

/// Walks any JSON value, failing on the first repeated key of an object.
struct UniqueKeys;

impl<'de> serde::de::DeserializeSeed<'de> for UniqueKeys {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueKeys {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(UniqueKeys)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!("the key {key} appears twice in one object")));
            }
            map.next_value_seed(UniqueKeys)?;
        }
        Ok(())
    }
}

/// Field access on a JSON object.
#[derive(Debug)]
pub struct Fields<'a> {
    obj: &'a Map<String, Value>,
    lang: Lang,
}

impl<'a> Fields<'a> {
    /// Wraps an object (see [`json_object`]).
    pub fn new(v: &'a Value, lang: Lang) -> Fields<'a> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        Fields { obj: v.as_object().unwrap_or_else(|| EMPTY.get_or_init(Map::new)), lang }
    }

    /// An error with code and detail in this request's language.
    pub fn err(&self, code: ErrorCode, detail: impl Into<String>) -> ApiError {
        ApiError::bad(code).lang(self.lang).detail(detail)
    }

    /// The answer to a broken field rule: its code, its rule as the detail.
    pub fn rule(&self, e: FieldError) -> ApiError {
        self.err(e.code(), e.to_string())
    }

    /// A required string field: absent, null and empty are all "missing" (1).
    pub fn required(&self, key: &str) -> Result<&'a str, ApiError> {
        match self.obj.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s),
            None | Some(Value::Null) | Some(Value::String(_)) => {
                Err(self.err(ErrorCode::INVALID_PARAMS, format!("{key} is missing")))
            }
            Some(_) => Err(self.err(ErrorCode::INVALID_PARAMS, format!("{key} must be a string"))),
        }
    }

    /// An optional string field: absent or null is empty.
    pub fn optional(&self, key: &str) -> Result<&'a str, ApiError> {
        match self.obj.get(key) {
            Some(Value::String(s)) => Ok(s),
            None | Some(Value::Null) => Ok(""),
            Some(_) => Err(self.err(ErrorCode::INVALID_PARAMS, format!("{key} must be a string"))),
        }
    }

    /// The `signature` field. Every fault of it answers 2, its type included: the
    /// spec ties the field to that one code, and a merchant debugging a signature
    /// should not be sent looking for another parameter.
    pub fn signature(&self) -> Result<&'a str, ApiError> {
        match self.obj.get("signature") {
            Some(Value::String(s)) if !s.is_empty() => Ok(s),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                Err(self.err(ErrorCode::INVALID_SIGNATURE, "signature is missing"))
            }
            Some(_) => Err(self.err(ErrorCode::INVALID_SIGNATURE, "signature must be a string")),
        }
    }

    /// The `amount` field: missing or not a number → 1; not a positive integer → 32.
    pub fn amount(&self) -> Result<i64, ApiError> {
        match self.obj.get("amount") {
            Some(Value::Number(n)) => match n.as_i64() {
                Some(a) => Ok(a),
                None => Err(self.err(ErrorCode::INVALID_AMOUNT, "amount must be an integer number of VND")),
            },
            None | Some(Value::Null) => Err(self.err(ErrorCode::INVALID_PARAMS, "amount is missing")),
            Some(_) => Err(self.err(ErrorCode::INVALID_PARAMS, "amount must be a number")),
        }
    }
}

/// Checks a partner order id (1..=50 of `[A-Za-z0-9_.:-]`).
pub fn order_id(f: &Fields<'_>, id: &str) -> Result<(), ApiError> {
    rules::order_id(id).map_err(|e| f.rule(e))
}

/// Checks `orderInfo`: 1..=150 characters without control characters.
pub fn order_info(f: &Fields<'_>, info: &str) -> Result<(), ApiError> {
    rules::order_info(info).map_err(|e| f.rule(e))
}

/// Checks `clientIp`: an IPv4 or IPv6 literal.
pub fn client_ip(f: &Fields<'_>, ip: &str) -> Result<(), ApiError> {
    rules::client_ip(ip).map(|_| ()).map_err(|e| f.rule(e))
}

/// Checks an absolute http(s) URL of at most 2,048 bytes.
///
/// A merchant sends the same `notifyUrl` (and most often the same `redirectUrl`)
/// with every order, and parsing a URL (its host through IDNA) was the largest part
/// of checking an order's fields that is not a signature: two URLs, 12,000
/// instructions. So each thread remembers the last `URL_MEMO` (16) URLs that passed,
/// by their exact text: the rule is a pure function of the text, and a URL that
/// fails is checked again every time (it is never remembered).
pub fn http_url(f: &Fields<'_>, key: &'static str, value: &str) -> Result<url::Url, ApiError> {
    checked_url(key, value).map_err(|e| f.rule(e))
}

/// How many URLs that passed each thread remembers.
const URL_MEMO: usize = 16;

thread_local! {
    static PASSED_URLS: std::cell::RefCell<Vec<(Box<str>, url::Url)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`rules::http_url`], remembered for the texts that passed.
fn checked_url(key: &'static str, value: &str) -> Result<url::Url, FieldError> {
    let known = PASSED_URLS.with(|m| m.borrow().iter().find(|(text, _)| &**text == value).map(|(_, u)| u.clone()));
    if let Some(u) = known {
        return Ok(u);
    }
    let u = rules::http_url(key, value)?;
    PASSED_URLS.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= URL_MEMO {
            m.remove(0);
        }
        m.push((value.into(), u.clone()));
    });
    Ok(u)
}

/// Checks `extraData`: at most 200 characters, none of them NUL.
pub fn extra_data(f: &Fields<'_>, extra: &str) -> Result<(), ApiError> {
    rules::extra_data(extra).map_err(|e| f.rule(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The remembered URLs answer as the rule does: the same URL for one that
    /// passed, the same error (with its field) for one that failed, each time, and
    /// no more than [`URL_MEMO`] are kept.
    #[test]
    fn remembered_urls_answer_as_the_rule() {
        let texts = [
            "https://shop.example/ipn",
            "http://127.0.0.1:8080/return?x=1",
            "https://SHOP.example:443/a/../b",
            "http://[::1]/ipn",
            "https://xn--bcher-kva.example/ipn",
            "https://bücher.example/ipn",
            "ftp://shop.example/ipn",
            "https://shop_example/ipn",
            "not a url",
            "",
        ];
        for round in 0..3 {
            for t in texts {
                for key in ["notifyUrl", "redirectUrl"] {
                    assert_eq!(checked_url(key, t), rules::http_url(key, t), "round {round}: {t:?} as {key}");
                }
            }
        }
        for i in 0..(URL_MEMO * 3) {
            let t = format!("https://shop{i}.example/ipn");
            assert_eq!(checked_url("notifyUrl", &t), rules::http_url("notifyUrl", &t));
        }
        let kept = PASSED_URLS.with(|m| m.borrow().len());
        assert_eq!(kept, URL_MEMO);
        let newest = format!("https://shop{}.example/ipn", URL_MEMO * 3 - 1);
        assert!(PASSED_URLS.with(|m| m.borrow().iter().any(|(t, _)| **t == *newest)), "the newest is kept");
        assert!(PASSED_URLS.with(|m| m.borrow().iter().all(|(t, _)| rules::http_url("notifyUrl", t).is_ok())));
    }

    /// What the gateway answered before the one pass: a whole parse, the object
    /// check, then the walk over the keys.
    fn two_pass_reference(body: &[u8]) -> Result<Value, (StatusCode, ErrorCode, Option<String>)> {
        let err = |d: String| (StatusCode::BAD_REQUEST, ErrorCode::INVALID_PARAMS, Some(d));
        let v: Value = serde_json::from_slice(body).map_err(|e| err(format!("body is not JSON: {e}")))?;
        if !v.is_object() {
            return Err(err("body is not a JSON object".into()));
        }
        unique_keys(body).map_err(err)?;
        Ok(v)
    }

    /// The one pass gives every body the value or the answer the two passes gave:
    /// values of every kind, repeated keys at any depth, and bodies that are also
    /// broken or not objects.
    #[test]
    fn one_pass_answers_as_two_passes_did() {
        let bodies: &[&[u8]] = &[
            br#"{"amount":2000000,"orderId":"x","notifyUrl":"https://s.example/ipn","extraData":""}"#,
            br#"{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}],"d":null,"e":true,"f":false}"#,
            br#"{"n":-12,"u":18446744073709551615,"f":1.5e3,"g":-0.0,"h":1e400,"i":0.1}"#,
            r#"{"s":"\u0061\n\"q\"\ud83d\ude00","t":"tiếng Việt"}"#.as_bytes(),
            br#"  {"spaces" : [ 1 , [ 2 , [ ] ] , { } ] }  "#,
            br#"{"amount":2000000,"orderId":"x","amount":10000}"#,
            br#"{"o":{"k":1,"k":2}}"#,
            br#"{"a":"x","\u0061":"y"}"#,
            br#"{"a":1,"a":2,"broken":}"#,
            br#"[{"a":1,"a":2}]"#,
            br#"[1,{"x":[{"y":1,"y":1}]}]"#,
            br#"{"a":1} trailing"#,
            br#"{"a":1,}"#,
            br#"{"a":01}"#,
            br#"{"a":"\x"}"#,
            b"[]",
            b"1",
            br#""s""#,
            b"{}",
            b"",
            b"nul",
            b"{\"a\":\"\xff\"}",
        ];
        for body in bodies {
            let got = json_object(Ok(Bytes::copy_from_slice(body)), Lang::Vi).map_err(|e| (e.status, e.code, e.detail));
            assert_eq!(got, two_pass_reference(body), "{}", String::from_utf8_lossy(body));
        }
        // Deep nesting: the same recursion limit.
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        let got = json_object(Ok(Bytes::from(deep.clone())), Lang::Vi).map_err(|e| (e.status, e.code, e.detail));
        assert_eq!(got, two_pass_reference(deep.as_bytes()));
        assert!(got.is_err(), "past the recursion limit");
    }

    #[test]
    fn repeated_keys_are_found_at_any_depth() {
        for ok in [&br#"{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}"#[..], b"[]", b"1", br#""s""#, b"{}"] {
            assert_eq!(unique_keys(ok), Ok(()), "{}", String::from_utf8_lossy(ok));
        }
        for bad in [
            &br#"{"amount":2000000,"orderId":"x","amount":10000}"#[..],
            br#"{"o":{"k":1,"k":2}}"#,
            br#"[1,{"x":[{"y":1,"y":1}]}]"#,
            br#"{"a":1,"a":2}"#,
        ] {
            assert!(unique_keys(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(unique_keys(br#"{"amount":1,"amount":2}"#).expect_err("twice").contains("amount"));
    }
}
