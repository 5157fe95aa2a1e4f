//! Links the gateway hands out and takes back, all signed with the link key (derived
//! from the master key, so any node verifies what another made):
//! - `paymentUrl`: `/bank/payment/process?tran=…&sign=…`;
//! - `qrCodeUrl`: `/qr/{appotapayTransId}.png?sign=…`;
//! - the checkout's per-form tokens ([`Gateway::form_token`]).

use super::Gateway;
use crate::domain::records::Order;
use appotapay_protocol::signing::{hmac_bytes, verify_bytes};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

impl Gateway {
    /// `paymentUrl` of an order: `/bank/payment/process?tran=…&sign=…` where `tran`
    /// is unpadded base64url of `tid=…&orderId=…&ts=…` and `sign` its HMAC under the
    /// gateway's link key.
    pub fn payment_url(&self, order: &Order) -> String {
        let (tran, sign) = self.link_parts(order);
        format!("{}/bank/payment/process?tran={tran}&sign={sign}", self.config.public_url)
    }

    /// The payment link of a v2 order: the v2 path, and the checkout's language
    /// (from the create request's `X-Language`).
    pub fn v2_payment_url(&self, order: &Order, lang: appotapay_protocol::Lang) -> String {
        let (tran, sign) = self.link_parts(order);
        format!("{}/v2/bank/payment/process?tran={tran}&sign={sign}&lang={}", self.config.public_url, lang.code())
    }

    fn link_parts(&self, order: &Order) -> (String, String) {
        let tran = URL_SAFE_NO_PAD.encode(format!(
            "tid={}&orderId={}&ts={}",
            order.trans_id,
            order.order_id,
            order.created_at_ms / 1000
        ));
        let sign = hex::encode(hmac_bytes(self.keys.link_key(), tran.as_bytes()));
        (tran, sign)
    }

    /// Checks a payment link and returns the appotapayTransId it names.
    pub fn verify_payment_link(&self, tran: &str, sign: &str) -> Option<String> {
        verify_bytes(self.keys.link_key(), tran.as_bytes(), sign).ok()?;
        let raw = URL_SAFE_NO_PAD.decode(tran.trim_end_matches('=')).ok()?;
        let text = String::from_utf8(raw).ok()?;
        form_urlencoded::parse(text.as_bytes()).find(|(k, _)| k == "tid").map(|(_, v)| v.into_owned())
    }

    /// `qrCodeUrl` of a QR order: `/qr/{appotapayTransId}.png?sign=…`, `sign` the
    /// HMAC of `qr:{appotapayTransId}` under the link key. The same URL every time
    /// for an order; without the signature an image could be fetched by guessing
    /// ids, which are not secrets (docs §12).
    pub fn qr_code_url(&self, trans_id: &str) -> String {
        let sign = hex::encode(hmac_bytes(self.keys.link_key(), qr_signed(trans_id).as_bytes()));
        format!("{}/qr/{trans_id}.png?sign={sign}", self.config.public_url)
    }

    /// Whether `sign` is the QR image signature of `trans_id` (constant time).
    pub fn verify_qr_sign(&self, trans_id: &str, sign: &str) -> bool {
        verify_bytes(self.keys.link_key(), qr_signed(trans_id).as_bytes(), sign).is_ok()
    }

    /// The checkout's token of one form (`purpose`) of one order: stateless (any
    /// node checks it, nothing is stored) and bound to both, so a token read from one
    /// form cannot drive another order or another step.
    pub fn form_token(&self, trans_id: &str, purpose: &str) -> String {
        hex::encode(hmac_bytes(self.keys.link_key(), &form_signed(trans_id, purpose)))
    }

    /// Whether `given` is [`form_token`](Self::form_token) of `trans_id` and
    /// `purpose` (constant time).
    pub fn verify_form_token(&self, trans_id: &str, purpose: &str, given: &str) -> bool {
        verify_bytes(self.keys.link_key(), &form_signed(trans_id, purpose), given).is_ok()
    }
}

/// What a QR image signature covers: `qr:` keeps it apart from a payment link's
/// `tran`, which is base64url and never holds a colon.
fn qr_signed(trans_id: &str) -> String {
    format!("qr:{trans_id}")
}

/// What a form token covers; the newlines keep it apart from the other signed texts.
fn form_signed(trans_id: &str, purpose: &str) -> Vec<u8> {
    format!("checkout-csrf\n{trans_id}\n{purpose}").into_bytes()
}
