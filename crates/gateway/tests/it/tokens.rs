//! JWT lifetimes and shapes over HTTP: a non-integer or too distant `exp`, a `crit`
//! header, a long `jti` and repeated keys answer HTTP 401 with errorCode 401; SDK
//! tokens are accepted.

use crate::harness::{Partner, TestGateway};
use appotapay_protocol::jwt::{self, Claims};
use appotapay_protocol::signing::{self, hmac_bytes};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

fn now() -> i64 {
    appotapay_gateway::now_ms() / 1000
}

fn forge(p: &Partner, header: &str, payload: &str) -> String {
    let mut t = format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
    let sig = hmac_bytes(p.secret.expose().as_bytes(), t.as_bytes());
    t.push('.');
    t.push_str(&URL_SAFE_NO_PAD.encode(sig));
    t
}

async fn status_with(t: &TestGateway, p: &Partner, token: &str) -> (u16, i64) {
    let body = p.sign(&signing::STATUS_REQUEST, json!({"partnerReference": "no-such-order"}));
    let (s, v, _) =
        t.post_raw("/api/v1/orders/transaction/bank/status", Some(token), body.to_string().into_bytes(), &[]).await;
    (s, v["errorCode"].as_i64().unwrap_or(-1))
}

#[tokio::test]
async fn token_lifetimes_and_shapes_are_checked() {
    let t = TestGateway::start_with(|c| c.jwt_replay_check = true).await;
    let p = t.sandbox();
    let (code, key) = (p.code.clone(), p.api_key.clone());
    let n = now();
    let claims = |exp: &str, jti: &str| format!(r#"{{"iss":"{code}","jti":"{jti}","api_key":"{key}","exp":{exp}}}"#);
    let h = r#"{"typ":"JWT","alg":"HS256"}"#;
    let ok = forge(&p, h, &claims(&(n + 300).to_string(), "ok-1"));
    assert_ne!(status_with(&t, &p, &ok).await.0, 401, "a plain token is accepted");
    for (why, token) in [
        ("exp 2^64-1", forge(&p, h, &claims("18446744073709551615", "a"))),
        ("exp 1e300", forge(&p, h, &claims("1e300", "b"))),
        ("exp beyond max lifetime", forge(&p, h, &claims(&(n + 8 * 24 * 3600).to_string(), "c"))),
        ("crit", forge(&p, r#"{"typ":"JWT","alg":"HS256","crit":["exp"]}"#, &claims(&(n + 300).to_string(), "d"))),
        ("long jti", forge(&p, h, &claims(&(n + 300).to_string(), &"j".repeat(129)))),
        (
            "repeated iss",
            forge(&p, h, &format!(r#"{{"iss":"X","iss":"{code}","jti":"e","api_key":"{key}","exp":{}}}"#, n + 300)),
        ),
        ("repeated header key", forge(&p, r#"{"alg":"none","alg":"HS256"}"#, &claims(&(n + 300).to_string(), "f"))),
    ] {
        assert_eq!(status_with(&t, &p, &token).await, (401, 401), "{why}");
    }
    t.shutdown().await;
}

#[tokio::test]
async fn a_shorter_max_lifetime_is_applied() {
    let t = TestGateway::start_with(|c| c.jwt_max_lifetime_secs = 600).await;
    let p = t.sandbox();
    let n = now();
    let at = |ttl: i64| {
        jwt::build_with_claims(
            &Claims { iss: p.code.clone(), jti: None, api_key: p.api_key.clone(), exp: n + ttl },
            &p.secret,
        )
    };
    assert_ne!(status_with(&t, &p, &at(300)).await.0, 401);
    assert_eq!(status_with(&t, &p, &at(3600)).await, (401, 401));
    t.shutdown().await;
}

#[tokio::test]
async fn sdk_tokens_are_accepted() {
    use appotapay::{Amount, BankPaymentRequest, Environment, PaymentMethod};
    let t = TestGateway::start().await;
    let p = t.sandbox();
    for (i, lifetime) in [300u64, 7 * 24 * 3600].into_iter().enumerate() {
        for per_request in [false, true] {
            let client = appotapay::Client::builder()
                .partner_code(&p.code)
                .api_key(&p.api_key)
                .secret_key(p.secret.clone())
                .environment(Environment::Custom(t.base.clone()))
                .jwt_lifetime(std::time::Duration::from_secs(lifetime))
                .token_per_request(per_request)
                .build()
                .expect("client");
            let order = BankPaymentRequest {
                order_id: format!("sdk-{i}-{per_request}"),
                order_info: "lifetime".into(),
                amount: Amount::vnd(10_000),
                client_ip: "203.0.113.7".into(),
                notify_url: "http://127.0.0.1:9/ipn".into(),
                redirect_url: "http://127.0.0.1:9/return".into(),
                payment_method: PaymentMethod::Atm,
                bank_code: String::new(),
                extra_data: String::new(),
                signature: String::new(),
            };
            let r = client.create_bank_payment(order).await;
            assert!(r.is_ok(), "lifetime {lifetime}, token per request {per_request}: {r:?}");
        }
    }
    t.shutdown().await;
}

/// The answer of a call that passed authentication (its body then fails validation).
const ACCEPTED: i64 = 1;

/// A token verified once is remembered, and a remembered token still expires on time,
/// and stops working when its partner's key changes or the partner is locked, on this
/// node and on another one.
#[tokio::test]
async fn remembered_tokens_still_expire_and_follow_key_changes_postgres() {
    let a = TestGateway::start_on(crate::harness::Backend::Postgres, |c| c.jwt_leeway_secs = 0).await;
    let b = a.another_node(|c| c.jwt_leeway_secs = 0).await;
    let p = a.partner("CACHED", false).await;
    let long = jwt::build(&p.code, &p.api_key, &p.secret, now(), 3600);
    for node in [&a, &b] {
        for _ in 0..3 {
            assert_eq!(status_with(node, &p, &long).await.1, ACCEPTED, "accepted (and remembered)");
        }
    }
    assert!(a.gw().verified_tokens().issuer(&long).is_some() && b.gw().verified_tokens().issuer(&long).is_some());

    // Expiry is checked on every use, remembered or not.
    let short = jwt::build(&p.code, &p.api_key, &p.secret, now(), 2);
    assert_eq!(status_with(&a, &p, &short).await.1, ACCEPTED);
    tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
    assert_eq!(status_with(&a, &p, &short).await, (401, 401), "expired although remembered");

    // Locking: refused at once on this node, within the partner cache's lifetime there.
    assert!(a.gw().set_partner_locked("CACHED", true).await.expect("lock"));
    assert_eq!(status_with(&a, &p, &long).await.1, 13);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(status_with(&b, &p, &long).await.1, 13);
    assert!(a.gw().set_partner_locked("CACHED", false).await.expect("unlock"));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(status_with(&b, &p, &long).await.1, ACCEPTED, "unlocked");

    // A rotation without grace: the remembered token (signed with the old secret) is
    // refused everywhere once the nodes see the new keys.
    match a.gw().rotate_partner_keys("CACHED", std::time::Duration::ZERO, false).await.expect("rotate") {
        appotapay_gateway::core::Rotated::Done { .. } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(status_with(&a, &p, &long).await.0, 401);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(status_with(&b, &p, &long).await.0, 401, "the other node's remembered token goes too");

    // A rotation with a grace period: a token signed with the replaced secret (naming
    // the new API key) works during the grace period and is remembered; when the
    // period ends the replaced secret is no longer accepted, and neither is the token.
    let current = match a.gw().rotate_partner_keys("CACHED", std::time::Duration::ZERO, false).await.expect("rotate") {
        appotapay_gateway::core::Rotated::Done { keys, .. } => keys,
        other => panic!("{other:?}"),
    };
    let next =
        match a.gw().rotate_partner_keys("CACHED", std::time::Duration::from_secs(2), false).await.expect("rotate") {
            appotapay_gateway::core::Rotated::Done { keys, .. } => keys,
            other => panic!("{other:?}"),
        };
    let old = Partner::new("CACHED", &current.api_key, current.secret.expose());
    let mixed = jwt::build("CACHED", &next.api_key, &current.secret, now(), 3600);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(status_with(&b, &old, &mixed).await.1, ACCEPTED, "during the grace period");
    assert!(b.gw().verified_tokens().issuer(&mixed).is_some(), "remembered");
    tokio::time::sleep(std::time::Duration::from_millis(2_200)).await;
    assert_eq!(status_with(&b, &old, &mixed).await.0, 401, "its secret is no longer accepted");
    b.shutdown().await;
    a.shutdown().await;
}
