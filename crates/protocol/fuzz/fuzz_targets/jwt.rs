//! The JWT decoder and verifier must never panic on any token.
#![no_main]

use appotapay_protocol::{SecretKey, jwt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(t) = jwt::decode(s) {
        let _ = t.claims();
        let _ = t.verify(&SecretKey::new("XAonJgy14YhtePEITXhyBS2unjfJLAV3"), 1_700_000_000, 60);
    }
});
