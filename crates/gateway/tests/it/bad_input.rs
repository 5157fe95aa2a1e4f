//! Bad input: one table of invalid requests against every partner API route and the
//! sandbox helpers. Each row names a mutation of an otherwise valid request and the
//! HTTP status and errorCode the spec documents for it (§2, §3, §5, §8; the order of
//! checks is in `api/payments.rs` and `api/auth.rs`). A few rows are *valid* variants
//! that real clients send (upper-case signature, token without `Bearer `, a token
//! inside the expiry leeway…) and must be accepted.
//!
//! Every row runs in Vietnamese and (error rows) again in English; after each, the
//! error body must have exactly `errorCode` and `message` with the documented text,
//! no answer may be a 5xx, and `/healthz` must still answer.

use crate::harness::*;
use appotapay_gateway::domain::records::SubAccount;
use appotapay_protocol::signing::{self, SignatureSpec, canonical_data_with, raw_value, sign_data};
use appotapay_protocol::{ErrorCode, Lang, jwt};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use std::time::Duration;

/// The route a row calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ep {
    Bank,
    Qr,
    Status,
    Complete,
    Credit,
}

impl Ep {
    fn spec(self) -> Option<&'static SignatureSpec> {
        match self {
            Ep::Bank => Some(&signing::BANK_PAYMENT_REQUEST),
            Ep::Qr => Some(&signing::QR_PAYMENT_REQUEST),
            Ep::Status => Some(&signing::STATUS_REQUEST),
            Ep::Complete | Ep::Credit => None,
        }
    }
}

/// What goes into `X-APPOTAPAY-AUTH`.
enum Auth {
    /// `Bearer <fresh token of this partner>`.
    Token(Partner),
    /// This exact header value.
    Header(String),
    /// No header.
    Absent,
}

/// The body on the wire.
enum Wire {
    /// `body` serialised.
    Json,
    /// These bytes instead.
    Raw(Vec<u8>),
    /// `body` with an unsigned `pad` key grown until the body is exactly this long.
    PadTo(usize),
}

/// A request being built by a row's mutation.
struct Req {
    path: String,
    body: Value,
    spec: Option<&'static SignatureSpec>,
    signer: Partner,
    /// Sign `body` after the mutation (rows that forge a signature turn it off).
    auto_sign: bool,
    auth: Auth,
    headers: Vec<(String, String)>,
    wire: Wire,
    /// A number unique to this execution, for fresh order ids.
    n: usize,
}

impl Req {
    /// Signs the body as it is now; later changes are not covered.
    fn sign_now(&mut self) {
        if let Some(spec) = self.spec {
            self.body = self.signer.sign(spec, self.body.clone());
        }
        self.auto_sign = false;
    }

    fn header(&mut self, k: &str, v: &str) {
        self.headers.push((k.to_owned(), v.to_owned()));
    }
}

/// Fixtures the rows refer to.
struct Ctx {
    /// The sandbox partner: the default caller.
    p: Partner,
    /// Another, valid partner.
    other: Partner,
    /// A partner locked after its record was cached.
    locked: Partner,
    /// An orderId of `p` that exists (pending).
    existing: String,
    /// appotapayTransId of a pending bank order of `p`.
    pending: String,
    /// appotapayTransId of a pending order of `other`.
    other_pending: String,
    /// appotapayTransId and amount of a pending QR order of `p`.
    qr: String,
    qr_amount: i64,
    /// A sub-account of `p`, and one of `other`.
    sub: String,
    other_sub: String,
}

type Mutation = Box<dyn Fn(&mut Req, &Ctx) + Send + Sync>;

/// Picks an `X-Account-Ref-ID` value.
type SubId = fn(&Ctx) -> String;

struct Case {
    name: String,
    ep: Ep,
    mutate: Mutation,
    status: u16,
    code: u32,
}

fn m(f: impl Fn(&mut Req, &Ctx) + Send + Sync + 'static) -> Mutation {
    Box::new(f)
}

fn set(key: &'static str, v: Value) -> Mutation {
    m(move |r, _| r.body[key] = v.clone())
}

fn remove(key: &'static str) -> Mutation {
    m(move |r, _| {
        r.body.as_object_mut().expect("object").remove(key);
    })
}

fn raw(bytes: impl Into<Vec<u8>>) -> Mutation {
    let bytes = bytes.into();
    m(move |r, _| r.wire = Wire::Raw(bytes.clone()))
}

fn auth_header(f: impl Fn(&Ctx) -> String + Send + Sync + 'static) -> Mutation {
    m(move |r, c| r.auth = Auth::Header(f(c)))
}

fn now() -> i64 {
    appotapay_gateway::now_ms() / 1000
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

/// A token with this header and these claims, HMAC-SHA256 under `secret`.
fn forge(header: Value, claims: Value, secret: &str) -> String {
    let mut t = format!("{}.{}", b64(&header), b64(&claims));
    let sig = signing::hmac_bytes(secret.as_bytes(), t.as_bytes());
    t.push('.');
    t.push_str(&URL_SAFE_NO_PAD.encode(sig));
    t
}

fn std_header() -> Value {
    json!({"typ": "JWT", "alg": "HS256", "cty": jwt::CONTENT_TYPE})
}

fn claims(p: &Partner, exp: i64) -> Value {
    json!({"iss": p.code, "jti": format!("{}-{}", p.api_key, now()), "api_key": p.api_key, "exp": exp})
}

/// `Bearer <token>` for `p` with claims changed by `f`, signed with `p`'s secret.
fn token_with(p: &Partner, header: Value, f: impl FnOnce(&mut Value)) -> String {
    let mut c = claims(p, now() + 300);
    f(&mut c);
    format!("Bearer {}", forge(header, c, p.secret.expose()))
}

struct Table(Vec<Case>);

impl Table {
    fn row(&mut self, name: impl Into<String>, ep: Ep, mutate: Mutation, status: u16, code: u32) {
        self.0.push(Case { name: name.into(), ep, mutate, status, code });
    }
    fn ok(&mut self, name: impl Into<String>, ep: Ep, mutate: Mutation) {
        let code = if ep == Ep::Status { 35 } else { 0 };
        self.row(name, ep, mutate, 200, code);
    }
    fn bad(&mut self, name: impl Into<String>, ep: Ep, mutate: Mutation, code: u32) {
        self.row(name, ep, mutate, 400, code);
    }
    fn unauth(&mut self, name: impl Into<String>, ep: Ep, mutate: Mutation, code: u32) {
        self.row(name, ep, mutate, 401, code);
    }
}

const VI_CHAR: &str = "ệ";
const URLS_BAD: &[&str] = &[
    "ftp://x/ipn",
    "/relative",
    "relative/ipn",
    "http://",
    "https://",
    "javascript:alert(1)",
    "data:text/plain,hi",
    "mailto:a@b.c",
    "http://exa mple.com/ipn",
    " http://example.com/ipn",
    "http://example.com/ipn ",
    "http://example.com/i\tpn",
    "http://example.com/\nipn",
    "example.com/ipn",
    "http://127.0.0.1:99999/ipn",
    "http://[::1/ipn",
];

fn cases() -> Table {
    let mut t = Table(Vec::new());
    use Ep::*;

    // ---- Field matrix: every field of §5.1/§5.2/§5.3, missing/null/wrong type/empty.
    let wrong_types: [(&str, Value); 5] = [
        ("number", json!(12345)),
        ("array", json!(["x"])),
        ("object", json!({"a": "b"})),
        ("bool", json!(true)),
        ("float", json!(1.5)),
    ];
    let fields: &[(Ep, &str, bool)] = &[
        (Bank, "orderId", true),
        (Bank, "orderInfo", true),
        (Bank, "clientIp", true),
        (Bank, "notifyUrl", true),
        (Bank, "redirectUrl", true),
        (Bank, "paymentMethod", true),
        (Bank, "bankCode", false),
        (Bank, "extraData", false),
        (Qr, "orderId", true),
        (Qr, "orderInfo", true),
        (Qr, "clientIp", true),
        (Qr, "notifyUrl", true),
        (Qr, "redirectUrl", false),
        (Qr, "extraData", false),
        (Status, "orderId", true),
        (Credit, "memo", true),
    ];
    for &(ep, field, required) in fields {
        let absent = if required { Some(1) } else { None };
        for (way, mutation) in
            [("missing", remove(field)), ("null", set(field, Value::Null)), ("empty", set(field, json!("")))]
        {
            match absent {
                Some(code) => t.bad(format!("{ep:?} {field} {way}"), ep, mutation, code),
                None => t.ok(format!("{ep:?} {field} {way} (optional)"), ep, mutation),
            }
        }
        for (way, v) in &wrong_types {
            t.bad(format!("{ep:?} {field} {way}"), ep, set(field, v.clone()), 1);
        }
    }
    // amount: a number is required; its value is a field rule (32).
    for ep in [Bank, Qr, Credit] {
        t.bad(format!("{ep:?} amount missing"), ep, remove("amount"), 1);
        t.bad(format!("{ep:?} amount null"), ep, set("amount", Value::Null), 1);
        t.bad(format!("{ep:?} amount string \"10000\""), ep, set("amount", json!("10000")), 1);
        t.bad(format!("{ep:?} amount empty string"), ep, set("amount", json!("")), 1);
        t.bad(format!("{ep:?} amount array"), ep, set("amount", json!([10000])), 1);
        t.bad(format!("{ep:?} amount object"), ep, set("amount", json!({"v": 10000})), 1);
        t.bad(format!("{ep:?} amount bool"), ep, set("amount", json!(true)), 1);
        t.bad(format!("{ep:?} amount 10000.5"), ep, set("amount", json!(10000.5)), 32);
        t.bad(format!("{ep:?} amount 1e20"), ep, raw_amount("1e20"), 32);
        t.bad(format!("{ep:?} amount 1e400 (not a JSON number we can read)"), ep, raw_amount("1e400"), 1);
    }
    // signature: every fault answers 2.
    for ep in [Bank, Qr, Status] {
        let unsigned = |f: fn(&mut Req)| m(move |r, _| f(r));
        t.bad(format!("{ep:?} signature missing"), ep, unsigned(|r| r.auto_sign = false), 2);
        for (way, v) in [
            ("null", Value::Null),
            ("empty", json!("")),
            ("number", json!(12345)),
            ("array", json!(["x"])),
            ("object", json!({"a": "b"})),
            ("bool", json!(true)),
            ("not hex", json!("zz")),
            ("64 non-hex", json!("g".repeat(64))),
            ("all zeros", json!("0".repeat(64))),
            ("too long", json!("a".repeat(10_000))),
        ] {
            let v2 = v.clone();
            t.bad(
                format!("{ep:?} signature {way}"),
                ep,
                m(move |r, _| {
                    r.auto_sign = false;
                    r.body["signature"] = v2.clone();
                }),
                2,
            );
        }
        t.ok(
            format!("{ep:?} signature upper-case hex (accepted)"),
            ep,
            m(|r, _| {
                r.sign_now();
                let up = r.body["signature"].as_str().expect("sig").to_uppercase();
                r.body["signature"] = json!(up);
            }),
        );
        t.bad(
            format!("{ep:?} signature with surrounding blanks"),
            ep,
            m(|r, _| {
                r.sign_now();
                let s = format!(" {} ", r.body["signature"].as_str().expect("sig"));
                r.body["signature"] = json!(s);
            }),
            2,
        );
        t.bad(format!("{ep:?} signature under another partner's secret"), ep, m(|r, c| r.signer = c.other.clone()), 2);
        t.bad(
            format!("{ep:?} signature over url-encoded values"),
            ep,
            m(|r, c| {
                r.auto_sign = false;
                let spec = r.spec.expect("spec");
                let body = r.body.clone();
                let data = canonical_data_with(spec, |k| {
                    body.get(k)
                        .map(|v| form_urlencoded::byte_serialize(raw_value(v).as_bytes()).collect::<String>().into())
                });
                r.body["signature"] = json!(sign_data(&c.p.secret, &data));
            }),
            2,
        );
        t.ok(
            format!("{ep:?} unknown extra key (not signed, ignored)"),
            ep,
            m(|r, _| {
                r.sign_now();
                r.body["somethingElse"] = json!("x");
            }),
        );
    }
    for ep in [Bank, Qr] {
        t.bad(
            format!("{ep:?} signature computed before amount changed"),
            ep,
            m(|r, _| {
                r.sign_now();
                r.body["amount"] = json!(20_000);
            }),
            2,
        );
        t.bad(
            format!("{ep:?} signature computed before orderInfo changed"),
            ep,
            m(|r, _| {
                r.sign_now();
                r.body["orderInfo"] = json!("something else");
            }),
            2,
        );
        t.bad(
            format!("{ep:?} signature over the fields unsorted"),
            ep,
            m(|r, c| {
                r.auto_sign = false;
                let spec = r.spec.expect("spec");
                let data = spec
                    .fields
                    .iter()
                    .rev()
                    .map(|k| format!("{k}={}", r.body.get(*k).map(raw_value).unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join("&");
                r.body["signature"] = json!(sign_data(&c.p.secret, &data));
            }),
            2,
        );
    }
    t.bad(
        "Bank signed with the QR field list",
        Bank,
        m(|r, c| {
            r.auto_sign = false;
            r.body = c.p.sign(&signing::QR_PAYMENT_REQUEST, r.body.clone());
        }),
        2,
    );
    t.bad(
        "Qr signed with the bank field list",
        Qr,
        m(|r, c| {
            r.auto_sign = false;
            r.body = c.p.sign(&signing::BANK_PAYMENT_REQUEST, r.body.clone());
        }),
        2,
    );
    t.bad(
        "Status signed over another orderId",
        Status,
        m(|r, _| {
            r.sign_now();
            r.body["orderId"] = json!("other-order");
        }),
        2,
    );

    // ---- Field rules shared by both creation APIs.
    for ep in [Bank, Qr] {
        // orderId
        t.bad(format!("{ep:?} orderId 51 chars"), ep, set("orderId", json!("o".repeat(51))), 1);
        t.ok(
            format!("{ep:?} orderId 50 chars"),
            ep,
            m(|r, _| {
                let id = format!("{}-{}", r.n, "o".repeat(50));
                r.body["orderId"] = json!(id[..50]);
            }),
        );
        t.ok(
            format!("{ep:?} orderId with _ . : -"),
            ep,
            m(|r, _| r.body["orderId"] = json!(format!("A_b.c:d-{}", r.n))),
        );
        for bad in ["a b", "đơn-1", "a/b", "a&b=c", "<x>", "a\u{0}b", "a\nb", "a+b", "a%20b", "😀"] {
            t.bad(format!("{ep:?} orderId {bad:?}"), ep, set("orderId", json!(bad)), 1);
        }
        // orderInfo: counted in Unicode scalar values.
        t.bad(format!("{ep:?} orderInfo 151 chars"), ep, set("orderInfo", json!(VI_CHAR.repeat(151))), 1);
        t.ok(format!("{ep:?} orderInfo 150 Vietnamese chars"), ep, set("orderInfo", json!(VI_CHAR.repeat(150))));
        t.ok(format!("{ep:?} orderInfo 150 ASCII chars"), ep, set("orderInfo", json!("i".repeat(150))));
        for bad in ["line\nbreak", "nul\u{0}", "tab\there", "\u{7f}"] {
            t.bad(format!("{ep:?} orderInfo {bad:?}"), ep, set("orderInfo", json!(bad)), 1);
        }
        t.ok(format!("{ep:?} orderInfo with markup and quotes"), ep, set("orderInfo", json!("<b>\"x\" & 'y'</b>")));
        // amount
        for (v, code) in [(0i64, 32), (-1, 32), (999, 32), (500_000_001, 32), (i64::MIN, 32), (i64::MAX, 32)] {
            t.bad(format!("{ep:?} amount {v}"), ep, set("amount", json!(v)), code);
        }
        t.bad(format!("{ep:?} amount u64::MAX"), ep, set("amount", json!(u64::MAX)), 32);
        t.bad(format!("{ep:?} amount 10000.0"), ep, set("amount", json!(10000.0)), 32);
        t.bad(format!("{ep:?} amount -0.5"), ep, set("amount", json!(-0.5)), 32);
        t.ok(format!("{ep:?} amount 1000 (minimum)"), ep, set("amount", json!(1000)));
        t.ok(format!("{ep:?} amount 500000000 (maximum)"), ep, set("amount", json!(500_000_000)));
        // clientIp
        for bad in ["999.1.1.1", "abc", "1.2.3", "1.2.3.4:80", " 1.2.3.4", "1.2.3.4/24", "::g", "localhost"] {
            t.bad(format!("{ep:?} clientIp {bad:?}"), ep, set("clientIp", json!(bad)), 1);
        }
        t.ok(format!("{ep:?} clientIp IPv6"), ep, set("clientIp", json!("2001:db8::1")));
        // URLs
        for bad in URLS_BAD {
            t.bad(format!("{ep:?} notifyUrl {bad:?}"), ep, set("notifyUrl", json!(bad)), 1);
            t.bad(format!("{ep:?} redirectUrl {bad:?}"), ep, set("redirectUrl", json!(bad)), 1);
        }
        let long = format!("http://example.com/{}", "a".repeat(2100));
        t.bad(format!("{ep:?} notifyUrl over 2048 bytes"), ep, set("notifyUrl", json!(long)), 1);
        t.ok(
            format!("{ep:?} https URLs with query"),
            ep,
            m(|r, _| {
                r.body["notifyUrl"] = json!("https://shop.example/ipn?a=1&b=2");
                r.body["redirectUrl"] = json!("https://shop.example/return?x=y#top");
            }),
        );
        // extraData
        t.bad(format!("{ep:?} extraData 201 chars"), ep, set("extraData", json!("e".repeat(201))), 1);
        t.ok(format!("{ep:?} extraData 200 Vietnamese chars"), ep, set("extraData", json!(VI_CHAR.repeat(200))));
        // sub-account
        let sub_rows: [(&str, SubId, Option<u32>); 5] = [
            ("unknown", |_| "nope".into(), Some(90)),
            ("empty", |_| String::new(), Some(90)),
            ("65 chars", |_| "s".repeat(65), Some(90)),
            ("of another partner", |c| c.other_sub.clone(), Some(90)),
            ("of this partner", |c| c.sub.clone(), None),
        ];
        for (name, f, code) in sub_rows {
            let mutation = m(move |r, c| r.header("X-Account-Ref-ID", &f(c)));
            match code {
                Some(code) => t.bad(format!("{ep:?} X-Account-Ref-ID {name}"), ep, mutation, code),
                None => t.ok(format!("{ep:?} X-Account-Ref-ID {name}"), ep, mutation),
            }
        }
        // Order of checks.
        t.bad(format!("{ep:?} duplicate orderId"), ep, m(|r, c| r.body["orderId"] = json!(c.existing)), 30);
        t.bad(
            format!("{ep:?} duplicate orderId and unknown sub-account → 90 first"),
            ep,
            m(|r, c| {
                r.body["orderId"] = json!(c.existing);
                r.header("X-Account-Ref-ID", "nope");
            }),
            90,
        );
        t.bad(
            format!("{ep:?} unknown sub-account and amount 0 → 32 first"),
            ep,
            m(|r, _| {
                r.body["amount"] = json!(0);
                r.header("X-Account-Ref-ID", "nope");
            }),
            32,
        );
        t.bad(
            format!("{ep:?} duplicate orderId and amount 0 → 32 first"),
            ep,
            m(|r, c| {
                r.body["orderId"] = json!(c.existing);
                r.body["amount"] = json!(0);
            }),
            32,
        );
        for (what, key, v) in [
            ("amount 0", "amount", json!(0)),
            ("orderId 51 chars", "orderId", json!("o".repeat(51))),
            ("clientIp abc", "clientIp", json!("abc")),
            ("notifyUrl ftp", "notifyUrl", json!("ftp://x")),
        ] {
            t.bad(
                format!("{ep:?} {what} and a bad signature → 2 first"),
                ep,
                m(move |r, _| {
                    r.body[key] = v.clone();
                    r.auto_sign = false;
                    r.body["signature"] = json!("0".repeat(64));
                }),
                2,
            );
        }
        t.bad(
            format!("{ep:?} amount 10000.5 and a bad signature → 32 first (not an integer)"),
            ep,
            m(|r, _| {
                r.body["amount"] = json!(10000.5);
                r.auto_sign = false;
                r.body["signature"] = json!("0".repeat(64));
            }),
            32,
        );
        t.bad(
            format!("{ep:?} orderId wrong type and a bad signature → 1 first"),
            ep,
            m(|r, _| {
                r.body["orderId"] = json!(42);
                r.auto_sign = false;
                r.body["signature"] = json!("0".repeat(64));
            }),
            1,
        );
    }
    // QR: optional redirectUrl, and bank-only keys are ignored (not signed).
    t.ok(
        "Qr paymentMethod and bankCode keys are ignored",
        Qr,
        m(|r, _| {
            r.body["paymentMethod"] = json!("XYZ");
            r.body["bankCode"] = json!("NOPE");
        }),
    );

    // ---- paymentMethod and bankCode (§5.1, §9).
    for method in ["atm", "Atm", "EWALLET", "VA", "MM", "ISTM", "XYZ", " ATM", "ATM ", "ATM,CC", "QR"] {
        t.bad(
            format!("Bank paymentMethod {method:?}"),
            Bank,
            m(move |r, _| {
                r.body["paymentMethod"] = json!(method);
                r.body["bankCode"] = json!("");
            }),
            52,
        );
    }
    for (method, bank, code) in [
        ("ATM", "NOPE", Some(51)),
        ("ATM", "vcb", Some(51)),
        ("ATM", " VCB", Some(51)),
        ("ATM", "VISA", Some(51)),
        ("ATM", "APPOTA", Some(51)),
        ("CC", "VCB", Some(51)),
        ("CC", "MB", Some(51)),
        ("ALL", "APPOTA", Some(51)),
        ("ALL", "VINAPHONE", Some(51)),
        ("EWALLET", "APPOTA", Some(52)),
        ("XYZ", "NOPE", Some(52)),
        ("CC", "VISA", None),
        ("CC", "JCB", None),
        ("ALL", "MASTERCARD", None),
        ("ALL", "TPBANK", None),
        ("ATM", "SHINHANBANK", None),
        ("ALL", "", None),
        ("CC", "", None),
    ] {
        let mutation = m(move |r, _| {
            r.body["paymentMethod"] = json!(method);
            r.body["bankCode"] = json!(bank);
        });
        match code {
            Some(code) => t.bad(format!("Bank {method} with bankCode {bank:?}"), Bank, mutation, code),
            None => t.ok(format!("Bank {method} with bankCode {bank:?}"), Bank, mutation),
        }
    }

    // ---- Status rules (§5.3).
    t.bad("Status unknown orderId", Status, set("orderId", json!("no-such-order")), 36);
    t.bad("Status orderId 51 chars", Status, set("orderId", json!("o".repeat(51))), 1);
    t.bad("Status orderId with a blank", Status, set("orderId", json!("a b")), 1);
    t.bad(
        "Status another partner's order",
        Status,
        m(|r, c| {
            r.auth = Auth::Token(c.other.clone());
            r.signer = c.other.clone();
        }),
        36,
    );

    // ---- Authentication (§3): every route.
    for ep in [Bank, Qr, Status, Complete, Credit] {
        t.unauth(format!("{ep:?} no X-APPOTAPAY-AUTH"), ep, m(|r, _| r.auth = Auth::Absent), 401);
        t.unauth(
            format!("{ep:?} unknown partner"),
            ep,
            auth_header(|c| {
                let mut other = c.p.clone();
                other.code = "NOPE".into();
                token_with(&other, std_header(), |_| {})
            }),
            11,
        );
        t.unauth(
            format!("{ep:?} locked partner"),
            ep,
            m(|r, c| {
                r.auth = Auth::Token(c.locked.clone());
                r.signer = c.locked.clone();
            }),
            13,
        );
        t.unauth(
            format!("{ep:?} expired token"),
            ep,
            auth_header(|c| {
                token_with(&c.p, std_header(), |cl| {
                    cl["exp"] = json!(now() - 120);
                })
            }),
            401,
        );
    }
    let b = Bank;
    for (name, value) in [
        ("empty", ""),
        ("Bearer alone", "Bearer"),
        ("Bearer and a blank", "Bearer "),
        ("garbage", "garbage"),
        ("Bearer garbage", "Bearer not-a-token"),
        ("three dots", "Bearer a.b.c"),
        ("four parts", "Bearer a.b.c.d"),
        ("Basic auth", "Basic dXNlcjpwYXNz"),
        ("base64 of nothing", "Bearer ..."),
    ] {
        t.unauth(format!("token {name}"), b, auth_header(move |_| value.to_owned()), 401);
    }
    t.unauth(
        "token alg none, no signature",
        b,
        auth_header(|c| {
            let h = json!({"typ": "JWT", "alg": "none"});
            format!("Bearer {}.{}.", b64(&h), b64(&claims(&c.p, now() + 300)))
        }),
        401,
    );
    t.unauth(
        "token alg none, HS256 signature",
        b,
        auth_header(|c| {
            format!(
                "Bearer {}",
                forge(json!({"typ": "JWT", "alg": "none"}), claims(&c.p, now() + 300), c.p.secret.expose())
            )
        }),
        401,
    );
    t.unauth(
        "token alg HS512",
        b,
        auth_header(|c| {
            let h = json!({"typ": "JWT", "alg": "HS512", "cty": jwt::CONTENT_TYPE});
            let mut tok = format!("{}.{}", b64(&h), b64(&claims(&c.p, now() + 300)));
            let mut mac = <Hmac<sha2::Sha512> as Mac>::new_from_slice(c.p.secret.expose().as_bytes()).expect("key");
            mac.update(tok.as_bytes());
            tok.push('.');
            tok.push_str(&URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()));
            format!("Bearer {tok}")
        }),
        401,
    );
    t.unauth(
        "token alg hs256 (lower-case)",
        b,
        auth_header(|c| token_with(&c.p, json!({"alg": "hs256"}), |_| {})),
        401,
    );
    t.unauth("token without alg", b, auth_header(|c| token_with(&c.p, json!({"typ": "JWT"}), |_| {})), 401);
    t.unauth(
        "token cty v=2",
        b,
        auth_header(|c| token_with(&c.p, json!({"typ": "JWT", "alg": "HS256", "cty": "appotapay-api;v=2"}), |_| {})),
        401,
    );
    t.unauth(
        "token cty a number",
        b,
        auth_header(|c| token_with(&c.p, json!({"typ": "JWT", "alg": "HS256", "cty": 1}), |_| {})),
        401,
    );
    t.ok("token without cty or typ (accepted)", b, auth_header(|c| token_with(&c.p, json!({"alg": "HS256"}), |_| {})));
    t.unauth(
        "token expired 65 s ago (beyond the 60 s leeway)",
        b,
        auth_header(|c| token_with(&c.p, std_header(), |cl| cl["exp"] = json!(now() - 65))),
        401,
    );
    t.ok(
        "token expired 30 s ago (within the leeway)",
        b,
        auth_header(|c| token_with(&c.p, std_header(), |cl| cl["exp"] = json!(now() - 30))),
    );
    t.unauth(
        "token without exp",
        b,
        auth_header(|c| {
            token_with(&c.p, std_header(), |cl| {
                cl.as_object_mut().expect("claims").remove("exp");
            })
        }),
        401,
    );
    t.unauth(
        "token exp a string",
        b,
        auth_header(|c| token_with(&c.p, std_header(), |cl| cl["exp"] = json!("tomorrow"))),
        401,
    );
    t.unauth(
        "token signed with the wrong secret",
        b,
        auth_header(|c| format!("Bearer {}", forge(std_header(), claims(&c.p, now() + 300), "not-the-secret"))),
        401,
    );
    t.unauth(
        "token signed with another partner's secret",
        b,
        auth_header(|c| format!("Bearer {}", forge(std_header(), claims(&c.p, now() + 300), c.other.secret.expose()))),
        401,
    );
    t.unauth(
        "token with a truncated signature",
        b,
        auth_header(|c| {
            let tok = format!("Bearer {}", c.p.token());
            tok[..tok.len() - 4].to_owned()
        }),
        401,
    );
    t.unauth(
        "token payload altered",
        b,
        auth_header(|c| {
            let good = c.p.token();
            let parts: Vec<&str> = good.split('.').collect();
            format!("Bearer {}.{}.{}", parts[0], b64(&claims(&c.p, now() + 86_400 * 365)), parts[2])
        }),
        401,
    );
    t.unauth(
        "token without iss",
        b,
        auth_header(|c| {
            token_with(&c.p, std_header(), |cl| {
                cl.as_object_mut().expect("claims").remove("iss");
            })
        }),
        401,
    );
    t.unauth("token iss empty", b, auth_header(|c| token_with(&c.p, std_header(), |cl| cl["iss"] = json!(""))), 11);
    t.unauth(
        "token iss of a lower-cased partner code",
        b,
        auth_header(|c| token_with(&c.p, std_header(), |cl| cl["iss"] = json!(c.p.code.to_lowercase()))),
        11,
    );
    t.unauth(
        "token with a wrong api_key",
        b,
        auth_header(|c| token_with(&c.p, std_header(), |cl| cl["api_key"] = json!("wrong-key"))),
        14,
    );
    t.unauth(
        "token with another partner's api_key",
        b,
        auth_header(|c| token_with(&c.p, std_header(), |cl| cl["api_key"] = json!(c.other.api_key))),
        14,
    );
    t.unauth(
        "token without api_key",
        b,
        auth_header(|c| {
            token_with(&c.p, std_header(), |cl| {
                cl.as_object_mut().expect("claims").remove("api_key");
            })
        }),
        401,
    );
    t.unauth(
        "locked partner with a wrong api_key → 14 first",
        b,
        auth_header(|c| token_with(&c.locked, std_header(), |cl| cl["api_key"] = json!("wrong-key"))),
        14,
    );
    t.unauth(
        "locked partner with a bad token signature → 401 first",
        b,
        auth_header(|c| format!("Bearer {}", forge(std_header(), claims(&c.locked, now() + 300), "nope"))),
        401,
    );
    t.ok("token without Bearer (accepted)", b, auth_header(|c| c.p.token()));
    t.ok("token with bearer in lower case (accepted)", b, auth_header(|c| format!("bearer {}", c.p.token())));
    t.ok("token with extra blanks (accepted)", b, auth_header(|c| format!("  Bearer   {}  ", c.p.token())));
    t.ok(
        "token without jti (accepted)",
        b,
        auth_header(|c| {
            token_with(&c.p, std_header(), |cl| {
                cl.as_object_mut().expect("claims").remove("jti");
            })
        }),
    );
    t.ok(
        "token with a dash-less jti (accepted)",
        b,
        auth_header(|c| {
            token_with(&c.p, std_header(), |cl| {
                cl["jti"] = json!(format!("{}{}", c.p.api_key, now()));
            })
        }),
    );
    t.bad("another partner's token, body signed by this one", b, m(|r, c| r.auth = Auth::Token(c.other.clone())), 2);
    t.unauth(
        "no token and a non-JSON body → 401 first",
        b,
        m(|r, _| {
            r.auth = Auth::Absent;
            r.wire = Wire::Raw(b"not json".to_vec());
        }),
        401,
    );
    t.unauth(
        "no token and an oversized body → 401 first",
        b,
        m(|r, _| {
            r.auth = Auth::Absent;
            r.wire = Wire::Raw(vec![b' '; 64 * 1024 + 1]);
        }),
        401,
    );

    // ---- Bodies: every route.
    for ep in [Bank, Qr, Status, Complete, Credit] {
        let bodies: [(&str, Vec<u8>); 13] = [
            ("non-JSON", b"orderId=1&amount=10000".to_vec()),
            ("JSON array", b"[]".to_vec()),
            ("JSON string", b"\"x\"".to_vec()),
            ("JSON null", b"null".to_vec()),
            ("JSON number", b"10000".to_vec()),
            ("empty body", Vec::new()),
            ("truncated JSON", b"{\"orderId\": \"x\", ".to_vec()),
            ("trailing garbage", b"{} x".to_vec()),
            ("invalid UTF-8 in a string", b"{\"orderId\": \"\xff\xfe\"}".to_vec()),
            ("invalid UTF-8 bytes", vec![0xff, 0xfe, 0xfd]),
            ("lone surrogate escape", br#"{"orderId": "\ud800"}"#.to_vec()),
            ("nested 10000 deep", format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)).into_bytes()),
            ("UTF-8 BOM", [&[0xef, 0xbb, 0xbf][..], b"{}"].concat()),
        ];
        for (name, bytes) in bodies {
            t.bad(format!("{ep:?} body {name}"), ep, raw(bytes), 1);
        }
        t.row(format!("{ep:?} body 64 KiB + 1"), ep, m(|r, _| r.wire = Wire::PadTo(64 * 1024 + 1)), 413, 1);
        t.row(format!("{ep:?} body of 1 MiB"), ep, raw(vec![b' '; 1024 * 1024]), 413, 1);
    }
    for ep in [Bank, Qr, Status] {
        t.ok(format!("{ep:?} body exactly 64 KiB (accepted)"), ep, m(|r, _| r.wire = Wire::PadTo(64 * 1024)));
    }

    // ---- Sandbox helpers (§7).
    let c = Complete;
    for (name, v) in [
        ("errorCode missing", json!({})),
        ("errorCode null", json!({"errorCode": null})),
        ("errorCode \"0\"", json!({"errorCode": "0"})),
        ("errorCode -1", json!({"errorCode": -1})),
        ("errorCode 0.5", json!({"errorCode": 0.5})),
        ("errorCode array", json!({"errorCode": [0]})),
        ("errorCode 1 (not an outcome)", json!({"errorCode": 1})),
        ("errorCode 35 (not final)", json!({"errorCode": 35})),
        ("errorCode 9999", json!({"errorCode": 9999})),
        ("errorCode 2^32", json!({"errorCode": 4_294_967_296u64})),
    ] {
        t.bad(format!("Complete {name}"), c, m(move |r, _| r.body = v.clone()), 1);
    }
    for (name, id) in [
        ("unknown appotapayTransId", "AP000000000001".to_owned()),
        ("malformed appotapayTransId", "abc".to_owned()),
        ("very long appotapayTransId", "A".repeat(5000)),
        ("percent-encoded blank", "AP%20".to_owned()),
    ] {
        t.bad(
            format!("Complete {name}"),
            c,
            m(move |r, _| {
                r.path = format!("/api/v1/sandbox/transactions/{id}/complete");
            }),
            36,
        );
    }
    t.bad("Complete path not UTF-8", c, m(|r, _| r.path = "/api/v1/sandbox/transactions/%FF%FE/complete".into()), 1);
    t.bad(
        "Complete another partner's transaction",
        c,
        m(|r, c| {
            r.path = format!("/api/v1/sandbox/transactions/{}/complete", c.other_pending);
        }),
        36,
    );
    let cr = Credit;
    t.bad("Credit wrong amount", cr, m(|r, c| r.body["amount"] = json!(c.qr_amount - 1)), 32);
    t.bad("Credit unknown memo", cr, set("memo", json!("AP000000000001")), 36);
    t.bad("Credit memo of a bank order", cr, m(|r, c| r.body["memo"] = json!(c.pending)), 36);
    t.bad("Credit memo of another partner's order", cr, m(|r, c| r.body["memo"] = json!(c.other_pending)), 36);
    t
}

/// Sets `amount` to a JSON number literal as written (serde_json would render it
/// differently). Such an amount is refused before the signature is checked, so the
/// signature does not matter.
fn raw_amount(literal: &'static str) -> Mutation {
    m(move |r, _| {
        r.body["amount"] = json!("@AMOUNT@");
        r.sign_now();
        r.wire = Wire::Raw(r.body.to_string().replace("\"@AMOUNT@\"", literal).into_bytes());
    })
}

fn base(ep: Ep, ctx: &Ctx, n: usize) -> Req {
    let (path, body) = match ep {
        Ep::Bank => (
            "/api/v1/orders/payment/bank".to_owned(),
            json!({
                "orderId": format!("bad-input-{n}"), "orderInfo": "Thanh toán đơn hàng 42", "amount": 10_000,
                "clientIp": "103.53.171.140", "notifyUrl": "http://127.0.0.1:9/ipn",
                "redirectUrl": "http://127.0.0.1:9/return", "paymentMethod": "ATM", "bankCode": "VCB",
                "extraData": "cart=1"
            }),
        ),
        Ep::Qr => (
            "/api/v1/orders/payment/qr".to_owned(),
            json!({
                "orderId": format!("bad-input-{n}"), "orderInfo": "Thanh toán QR 42", "amount": 10_000,
                "clientIp": "103.53.171.140", "notifyUrl": "http://127.0.0.1:9/ipn",
                "redirectUrl": "http://127.0.0.1:9/return", "extraData": "cart=1"
            }),
        ),
        Ep::Status => ("/api/v1/orders/transaction/bank/status".to_owned(), json!({"orderId": ctx.existing})),
        Ep::Complete => (format!("/api/v1/sandbox/transactions/{}/complete", ctx.pending), json!({"errorCode": 0})),
        Ep::Credit => ("/api/v1/sandbox/bank-credit".to_owned(), json!({"amount": ctx.qr_amount, "memo": ctx.qr})),
    };
    Req {
        path,
        body,
        spec: ep.spec(),
        signer: ctx.p.clone(),
        auto_sign: ep.spec().is_some(),
        auth: Auth::Token(ctx.p.clone()),
        headers: Vec::new(),
        wire: Wire::Json,
        n,
    }
}

/// Runs one row; `Err` describes how the answer differs from the expectation.
async fn run(t: &TestGateway, ctx: &Ctx, case: &Case, lang: Lang, n: usize) -> Result<(), String> {
    let mut r = base(case.ep, ctx, n);
    (case.mutate)(&mut r, ctx);
    if r.auto_sign {
        r.sign_now();
    }
    let bytes = match &r.wire {
        Wire::Json => r.body.to_string().into_bytes(),
        Wire::Raw(b) => b.clone(),
        Wire::PadTo(size) => {
            let mut v = r.body.clone();
            v["pad"] = json!("");
            let len = v.to_string().len();
            assert!(len <= *size, "{}: body already {len} bytes", case.name);
            v["pad"] = json!("p".repeat(size - len));
            let b = v.to_string().into_bytes();
            assert_eq!(b.len(), *size);
            b
        }
    };
    let mut headers: Vec<(String, String)> = r.headers.clone();
    match &r.auth {
        Auth::Token(p) => headers.push(("X-APPOTAPAY-AUTH".into(), format!("Bearer {}", p.token()))),
        Auth::Header(h) => headers.push(("X-APPOTAPAY-AUTH".into(), h.clone())),
        Auth::Absent => {}
    }
    if lang == Lang::En {
        headers.push(("X-Language".into(), "en".into()));
    }
    let hdrs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, v, _) = t.post_raw(&r.path, None, bytes, &hdrs).await;
    let mut problems = Vec::new();
    if status >= 500 {
        problems.push(format!("server error {status}"));
    }
    if status != case.status {
        problems.push(format!("HTTP {status}, expected {}", case.status));
    }
    if v["errorCode"] != json!(case.code) {
        problems.push(format!("errorCode {}, expected {}", v["errorCode"], case.code));
    }
    let expected_message = ErrorCode(case.code).message(lang);
    if v["message"] != json!(expected_message) {
        problems.push(format!("message {}, expected {expected_message:?}", v["message"]));
    }
    if status == 200 {
        let spec = match case.ep {
            Ep::Bank => Some(&signing::BANK_PAYMENT_RESPONSE),
            Ep::Qr => Some(&signing::QR_PAYMENT_RESPONSE),
            Ep::Status => Some(&signing::STATUS_RESPONSE),
            Ep::Complete | Ep::Credit => None,
        };
        if let Some(spec) = spec {
            if signing::verify_json(spec, &ctx.p.secret, &v).is_err() {
                problems.push("response signature does not verify".into());
            }
        }
    } else {
        let keys: Vec<&String> = v.as_object().map(|o| o.keys().collect()).unwrap_or_default();
        if keys != ["errorCode", "message"] {
            problems.push(format!("error body keys {keys:?}, expected exactly errorCode and message"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        let body = v.to_string();
        let body: String = body.chars().take(300).collect();
        Err(format!("[{lang:?}] {}: {} — body {body}", case.name, problems.join("; ")))
    }
}

async fn setup(t: &TestGateway) -> Ctx {
    let p = t.sandbox();
    let other = t.partner("OTHERSHOP", false).await;
    let locked = t.partner("LOCKEDSHOP", false).await;
    let existing = "bad-input:existing".to_owned();
    let created = t.create_bank(&p, &existing, 10_000, "ATM", "", "http://127.0.0.1:9/ipn").await;
    let pending = t.trans_id_of(created["paymentUrl"].as_str().expect("url"));
    let created = t.create_bank(&other, "other-1", 10_000, "ATM", "", "http://127.0.0.1:9/ipn").await;
    let other_pending = t.trans_id_of(created["paymentUrl"].as_str().expect("url"));
    let qr_amount = 79_000;
    let created = t.create_qr(&p, "bad-input-qr", qr_amount, "http://127.0.0.1:9/ipn").await;
    let qr = created["appotapayTransId"].as_str().expect("id").to_owned();
    let sub = |id: &str, partner: &str| SubAccount {
        id: id.to_owned(),
        partner_code: partner.to_owned(),
        owner: false,
        created_at_ms: 0,
    };
    let gw = t.gw();
    assert!(gw.add_sub_account(&sub("3f1c2b9e-0d7a-4c55-9a51-5a8e2f6d7b10", &p.code)).await.expect("sub"));
    assert!(gw.add_sub_account(&sub("9b2d4e6f-1a3c-4e5f-8a7b-0c1d2e3f4a5b", &other.code)).await.expect("sub"));
    // Lock a partner whose record the gateway has already cached: the lock must take
    // effect once the cache entry ages out.
    let (s, v) = t.status(&locked, "none").await;
    assert_eq!((s, v["errorCode"].clone()), (400, json!(36)), "the partner works before the lock");
    assert!(gw.set_partner_locked(&locked.code, true).await.expect("lock"));
    tokio::time::sleep(t.gw().config().partner_cache_ttl + Duration::from_millis(50)).await;
    Ctx {
        p,
        other,
        locked,
        existing,
        pending,
        other_pending,
        qr,
        qr_amount,
        sub: "3f1c2b9e-0d7a-4c55-9a51-5a8e2f6d7b10".into(),
        other_sub: "9b2d4e6f-1a3c-4e5f-8a7b-0c1d2e3f4a5b".into(),
    }
}

#[tokio::test]
async fn every_bad_input_gets_its_documented_answer_and_the_server_keeps_serving() {
    let t = TestGateway::start().await;
    let ctx = setup(&t).await;
    let table = cases();
    assert!(table.0.len() > 300, "{} rows", table.0.len());
    let mut failures = Vec::new();
    let mut n = 0;
    for lang in [Lang::Vi, Lang::En] {
        for case in &table.0 {
            // Accepted rows create orders: once is enough.
            if lang == Lang::En && case.status == 200 {
                continue;
            }
            n += 1;
            if let Err(e) = run(&t, &ctx, case, lang, n).await {
                failures.push(e);
            }
            let health = t.http.get(format!("{}/healthz", t.base)).send().await.expect("healthz");
            assert_eq!(health.status(), 200, "after {}", case.name);
        }
    }
    assert!(failures.is_empty(), "{} of {n} rows differ:\n{}", failures.len(), failures.join("\n"));

    // The fixtures are untouched by all of that: nothing settled, nothing locked out.
    let (s, st) = t.status(&ctx.p, &ctx.existing).await;
    assert_eq!((s, st["errorCode"].clone()), (200, json!(35)));
    let qr = t.gw().order(&ctx.qr).await.expect("get").expect("order");
    assert_eq!(qr.code, ErrorCode::PENDING, "no bad credit completed the QR order");
    // And a valid request still succeeds.
    t.create_bank(&ctx.p, "after-bad-input", 10_000, "ATM", "VCB", "http://127.0.0.1:9/ipn").await;
    let (s, v) = t.complete(&ctx.p, &ctx.pending, 0).await;
    assert_eq!((s, v["errorCode"].clone()), (200, json!(0)), "{v}");
    t.shutdown().await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json_errors() {
    let t = TestGateway::start().await;
    let p = t.sandbox();
    let cases: [(reqwest::Method, &str, u16); 5] = [
        (reqwest::Method::GET, "/api/v1/orders/payment/bank", 405),
        (reqwest::Method::PUT, "/api/v1/orders/transaction/bank/status", 405),
        (reqwest::Method::POST, "/api/v1/orders/payment/nope", 404),
        (reqwest::Method::GET, "/", 404),
        (reqwest::Method::POST, "/api/v1/sandbox/transactions/AP000000000001", 404),
    ];
    for (method, path, status) in cases {
        let resp = t
            .http
            .request(method.clone(), format!("{}{path}", t.base))
            .header("X-APPOTAPAY-AUTH", format!("Bearer {}", p.token()))
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status().as_u16(), status, "{method} {path}");
        let v: Value = resp.json().await.expect("JSON body");
        let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
        assert_eq!(keys, ["errorCode", "message"], "{method} {path}: {v}");
        assert_eq!(v["message"], ErrorCode(v["errorCode"].as_u64().expect("code") as u32).message(Lang::Vi));
    }
    t.shutdown().await;
}
