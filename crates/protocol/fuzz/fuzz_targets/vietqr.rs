//! The VietQR/EMVCo parser must never panic, and whatever it accepts must encode back
//! to a payload it accepts again with the same content.
#![no_main]

use appotapay_protocol::vietqr::{self, VietQr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let _ = vietqr::parse_payload(s);
    let _ = vietqr::parse_tlv(s);
    if let Ok(qr) = VietQr::parse(s) {
        if let Ok(again) = qr.encode() {
            assert_eq!(VietQr::parse(&again).ok(), Some(qr));
        }
    }
});
