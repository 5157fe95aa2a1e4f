//! Notification decoding (IPN JSON and redirect query) must never panic, and a
//! notification the verifier accepts must be one signed with the key.
#![no_main]

use appotapay_protocol::SecretKey;
use appotapay_protocol::messages::PaymentNotification;
use appotapay_protocol::signing::{self, Signed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3");
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let verified = signing::verify_json(&signing::NOTIFICATION, &key, &v).is_ok();
        if let Ok(n) = serde_json::from_value::<PaymentNotification>(v) {
            if verified {
                assert!(n.verify(&key).is_ok());
            }
        }
    }
    let pairs: std::collections::HashMap<String, String> = form_urlencoded::parse(data).into_owned().collect();
    let built = signing::canonical_data_with(&signing::NOTIFICATION, |k| pairs.get(k).map(|v| v.as_str().into()));
    let _ = signing::verify_data(&key, &built, pairs.get("signature").map_or("", String::as_str));
});
