//! Microbenchmarks of the protocol's hot paths, each beside a baseline measured in
//! the same run, so the figure that matters is the ratio: how much the canonical
//! `data` builder, the JWT rules and the VietQR codec add to the cryptography or
//! checksum they cannot avoid.
//!
//! `cargo bench -p appotapay-protocol` (or `scripts/bench`). Each line reports the
//! median of 15 batches of about 40 ms.

use appotapay_protocol::messages::BankPaymentRequest;
use appotapay_protocol::signing::{self, BANK_PAYMENT_REQUEST, Signed};
use appotapay_protocol::token_cache::{KeyId, VerifiedTokens};
use appotapay_protocol::vietqr::{VietQr, crc16_ccitt_false};
use appotapay_protocol::{Amount, PaymentMethod, SecretKey, jwt, sandbox_partner};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Median nanoseconds per call of `f`.
fn ns_per_op<R>(mut f: impl FnMut() -> R) -> f64 {
    // Calibrate: iterations that take about 40 ms.
    let mut iters: u64 = 1;
    loop {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(f());
        }
        let took = start.elapsed();
        if took >= Duration::from_millis(40) {
            break;
        }
        iters = if took < Duration::from_micros(100) {
            iters * 16
        } else {
            (iters as f64 * 40e6 / took.as_nanos() as f64).ceil() as u64
        };
    }
    let mut samples: Vec<f64> = (0..15)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                black_box(f());
            }
            start.elapsed().as_nanos() as f64 / iters as f64
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn report(name: &str, op: f64, baseline_name: &str, baseline: f64) {
    println!("{name:<44} {op:>9.0} ns   {baseline_name:<40} {baseline:>9.0} ns   ×{:.2}", op / baseline);
}

fn request() -> BankPaymentRequest {
    BankPaymentRequest {
        order_id: "5f61cf4f41e2b".into(),
        order_info: "Thanh toan don hang 5f61cf4f41e2b".into(),
        amount: Amount::vnd(150_000),
        client_ip: "103.53.171.140".into(),
        notify_url: "https://shop.example/ipn".into(),
        redirect_url: "https://shop.example/return?cart=42".into(),
        payment_method: PaymentMethod::Atm,
        bank_code: "VCB".into(),
        extra_data: String::new(),
        signature: String::new(),
    }
}

fn main() {
    // `cargo test --benches` runs this with no arguments and `--bench`; either way it
    // only measures, never asserts.
    let key = SecretKey::new(sandbox_partner::SECRET_KEY);
    println!("{:<44} {:>12}   {:<40} {:>12}   ratio", "operation", "time", "baseline", "time");

    // Signing a request: canonical data from the typed message, then HMAC and hex.
    let req = request();
    let data = req.data();
    let hmac_hex = ns_per_op(|| signing::sign_data(&key, black_box(&data)));
    report(
        "sign bank request (typed → data → HMAC)",
        ns_per_op(|| black_box(&req).clone().signed(&key)),
        "HMAC-SHA256 + hex of the same data",
        hmac_hex,
    );

    // Verifying a received request as the gateway does: from the JSON as received.
    let body = serde_json::to_value(request().signed(&key)).unwrap_or_default();
    let sig = body["signature"].as_str().unwrap_or_default().to_owned();
    let verify_raw = ns_per_op(|| signing::verify_data(&key, black_box(&data), &sig));
    report(
        "verify bank request (JSON → data → HMAC)",
        ns_per_op(|| signing::verify_json(&BANK_PAYMENT_REQUEST, &key, black_box(&body))),
        "constant-time verify of the same data",
        verify_raw,
    );

    // The X-APPOTAPAY-AUTH JWT: decode, check every rule, verify the signature.
    let token = jwt::build(sandbox_partner::PARTNER_CODE, sandbox_partner::API_KEY, &key, 1_700_000_000, 300);
    let signing_input = &token[..token.rfind('.').unwrap_or(0)];
    let jwt_hmac = ns_per_op(|| signing::hmac_bytes(key.expose().as_bytes(), black_box(signing_input).as_bytes()));
    report(
        "JWT decode + verify (every rule)",
        ns_per_op(|| jwt::decode(black_box(&token)).and_then(|t| t.verify(&key, 1_700_000_100, 60))),
        "HMAC-SHA256 of the JWT signing input",
        jwt_hmac,
    );
    // The same token again, remembered: expiry and key still checked on each use.
    let cache = VerifiedTokens::new(10_000);
    let key_id = KeyId::of(&key);
    let verified = jwt::decode(&token).and_then(|t| t.verify(&key, 1_700_000_100, 60));
    if let Ok(claims) = verified {
        cache.insert(&token, claims, key_id, 1_700_000_100);
    }
    let full = ns_per_op(|| jwt::decode(black_box(&token)).and_then(|t| t.verify(&key, 1_700_000_100, 60)));
    report(
        "JWT remembered (token cache hit)",
        ns_per_op(|| cache.get(black_box(&token), 1_700_000_100, 60, &[key_id])),
        "JWT decode + verify (every rule)",
        full,
    );

    // VietQR: encoding and parsing a dynamic payload against its CRC alone.
    let qr = VietQr::dynamic("970415", "113366668888", 150_000, "AP221434473737");
    let payload = qr.encode().unwrap_or_default();
    let crc = ns_per_op(|| crc16_ccitt_false(black_box(payload.as_bytes())));
    report("VietQR encode (dynamic)", ns_per_op(|| black_box(&qr).encode()), "CRC-16 of the payload", crc);
    report("VietQR parse + CRC check", ns_per_op(|| VietQr::parse(black_box(&payload))), "CRC-16 of the payload", crc);
}
